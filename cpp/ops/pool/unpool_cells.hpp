// max_unpool2d's 2x2-cell step with AVX-512 compare masks and two-register permutes
// (simd::kHasMaskRegs); max_unpool2d.cpp calls it only at the levels that have them.
#pragma once
#include <cstdint>

#include "simd/simd.hpp"

namespace pk {
namespace PK_ISA_NS {

#if defined(__AVX512F__) && !defined(PK_NO_SIMD)
constexpr int kUnpoolCellLanes = 16;

// max_unpool2d, 2x2 cells: the 16 values v of input row y at columns x .. x + 15 and
// their flat indices idx in a plane W2 >= 2 (x + 16) wide (base = 2y W2 + 2x). When each
// index lies in its own cell (rows 2y, 2y + 1, columns 2x', 2x' + 1), writes the 32
// columns of both output rows (zero but at the indexed elements) to r0, r1 (streamed:
// aligned to the vector) and returns true; otherwise writes nothing and returns false.
template <bool STREAM>
inline bool unpool_cells(const float* v, const int64_t* idx, int64_t base, int64_t W2, float* r0, float* r1) {
    const __m512i b0 = _mm512_add_epi64(_mm512_set1_epi64(base), _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14));
    const __m512i b1 = _mm512_add_epi64(b0, _mm512_set1_epi64(16));
    const __m512i d0 = _mm512_sub_epi64(_mm512_loadu_si512(idx), b0), d1 = _mm512_sub_epi64(_mm512_loadu_si512(idx + 8), b1);
    auto at = [&](int64_t off) {  // lanes whose index is cell element off
        const __m512i c = _mm512_set1_epi64(off);
        return (__mmask16)(_mm512_cmpeq_epi64_mask(d0, c) | (_mm512_cmpeq_epi64_mask(d1, c) << 8));
    };
    const __mmask16 m00 = at(0), m01 = at(1), m10 = at(W2), m11 = at(W2 + 1);
    if ((__mmask16)(m00 | m01 | m10 | m11) != 0xffff) return false;
    const __m512 x = _mm512_loadu_ps(v);
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    auto put = [&](float* r, __mmask16 even, __mmask16 odd) {
        const __m512 e = _mm512_maskz_mov_ps(even, x), o = _mm512_maskz_mov_ps(odd, x);
        const __m512 a = _mm512_permutex2var_ps(e, lo, o), b = _mm512_permutex2var_ps(e, hi, o);
        if constexpr (STREAM) {
            _mm512_stream_ps(r, a);
            _mm512_stream_ps(r + 16, b);
        } else {
            _mm512_storeu_ps(r, a);
            _mm512_storeu_ps(r + 16, b);
        }
    };
    put(r0, m00, m01);
    put(r1, m10, m11);
    return true;
}
#endif

}  // namespace PK_ISA_NS
}  // namespace pk
