// The vector layer at the AVX-512 levels (512-bit; F, BW, DQ, VL, CD; with VBMI's byte
// permute on the avx512vbmi level). The interface and its rules: simd/simd.hpp.
#pragma once
#include "core/dtype.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace simd {

constexpr bool kSimd = true;
constexpr int kBits = 512;
constexpr bool kHasFma = true;
constexpr bool kHasGather = true;       // F32::gather
constexpr bool kHasRoundU8 = true;      // F32::store_u8
constexpr bool kHasPermute2 = true;     // F32 / U16 ::gather_near (two-register permutes)
constexpr bool kHasByteShuffle = true;  // U16::shuffle_bytes, permute_dwords
constexpr bool kHasMaskRegs = true;     // AVX-512 opmask registers (for op-specific code)
#ifdef __AVX512VBMI__
constexpr bool kHasBytePermute = true;  // U16::permute_bytes
#else
constexpr bool kHasBytePermute = false;
#endif

struct U16 {  // uint16 lanes
    using V = __m512i;
    static constexpr int N = 32;
    static V load(const uint16_t* p) { return _mm512_loadu_si512(p); }
    static void store(uint16_t* p, V v) { _mm512_storeu_si512(p, v); }
    static V set1(uint16_t x) { return _mm512_set1_epi16((short)x); }
    static V add(V a, V b) { return _mm512_add_epi16(a, b); }
    static V mul(V a, V b) { return _mm512_mullo_epi16(a, b); }
    template <int K> static V shl(V a) { return _mm512_slli_epi16(a, K); }
    template <int K> static V shr(V a) { return _mm512_srli_epi16(a, K); }
    // 2N bytes at p as they are: lane i holds bytes p[2i] (low) and p[2i+1] (high).
    static V load_raw(const uint8_t* p) { return _mm512_loadu_si512(p); }
    static void store_raw(uint8_t* p, V v) { _mm512_storeu_si512(p, v); }
    // Byte i of each 16-byte lane from byte idx[i] & 15 of that lane (0 where idx[i] & 0x80).
    static V shuffle_bytes(V v, const uint8_t* idx) { return _mm512_shuffle_epi8(v, _mm512_loadu_si512(idx)); }
    // 32-bit element i from element idx[i] of the whole vector.
    static V permute_dwords(V v, const uint32_t* idx) {
        // (maskz forms: the plain ones trip GCC 12's -Wmaybe-uninitialized in its own headers)
        return _mm512_maskz_permutexvar_epi32(0xffff, _mm512_loadu_si512(idx), v);
    }
#ifdef __AVX512VBMI__
    // Byte i from byte idx[i] of the whole vector (VBMI).
    static V permute_bytes(V v, const uint8_t* idx) {
        return _mm512_maskz_permutexvar_epi8(~0ull, _mm512_loadu_si512(idx), v);
    }
#endif
    // Lane-wise low * K0 + high * K1 of such a vector (K0, K1 small: no saturation).
    template <int K0, int K1> static V madd_u8(V raw) { return _mm512_maddubs_epi16(raw, _mm512_set1_epi16(K1 << 8 | K0)); }
    static V lo_u8(V raw) { return _mm512_and_si512(raw, _mm512_set1_epi16(0x00ff)); }
    static V and_(V a, V b) { return _mm512_and_si512(a, b); }
    static V shr_n(V a, int n) { return _mm512_srl_epi16(a, _mm_cvtsi32_si128(n)); }
    // base[idx[i]] for idx[i] < 2N: a two-register permute (as F32::gather_near).
    static V gather_near(const uint16_t* base, const uint16_t* idx) {
        return _mm512_permutex2var_epi16(_mm512_loadu_si512(base), _mm512_loadu_si512(idx), _mm512_loadu_si512(base + N));
    }
    static void stream(uint16_t* p, V v) { _mm512_stream_si512((__m512i*)p, v); }  // p aligned to the vector
    // Lanes (hi & 0xff00) | lo (lo <= 255): two byte streams interleaved in one vector.
    static V merge_hi(V hi, V lo) { return _mm512_ternarylogic_epi32(hi, _mm512_set1_epi16((short)0xff00), lo, 0xEA); }
    // N lanes of u8 from p, widened.
    static V load_u8(const uint8_t* p) { return _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i*)p)); }
    // Lanes of a then b (all <= 255) as 2N bytes.
    static void store_u8x2(uint8_t* p, V a, V b) { _mm512_storeu_si512(p, pack_u8x2(a, b)); }
    static void stream_u8x2(uint8_t* p, V a, V b) { _mm512_stream_si512((__m512i*)p, pack_u8x2(a, b)); }  // p aligned
    static V pack_u8x2(V a, V b) {
        // maskz form: the plain one trips GCC 12's -Wmaybe-uninitialized in its own header
        return _mm512_maskz_permutexvar_epi64(0xff, _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), _mm512_packus_epi16(a, b));
    }
    // Interleave: lo = a0 b0 a1 b1 ... (first N), hi = the rest.
    static void zip(V a, V b, V& lo, V& hi) {
        V l = _mm512_unpacklo_epi16(a, b), h = _mm512_unpackhi_epi16(a, b);
        lo = _mm512_permutex2var_epi64(l, _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), h);
        hi = _mm512_permutex2var_epi64(l, _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15), h);
    }
};

struct F32 {
    using V = __m512;
    static constexpr int N = 16;
    static V load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    static void store_first(float* p, V v, int n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v); }  // lanes < n (0 < n <= N)
    static void stream(float* p, V v) { _mm512_stream_ps(p, v); }  // p aligned to the vector
    static V set1(float x) { return _mm512_set1_ps(x); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }  // a*b + c, one rounding
    static V div(V a, V b) { return _mm512_div_ps(a, b); }
    // Neighbours one lane away across a pair of vectors: prev1 = p[N-1], c[0], .., c[N-2];
    // next1 = c[1], .., c[N-1], n[0].
    static V prev1(V p, V c) {
        return _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(0xffff, _mm512_castps_si512(c), _mm512_castps_si512(p), 15));
    }
    static V next1(V c, V n) {
        return _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(0xffff, _mm512_castps_si512(n), _mm512_castps_si512(c), 1));
    }
    // Pooling: int32 index lanes beside the values. take_max keeps torch's rule: v replaces
    // m where v > m or v is NaN (ties keep the earlier element; a NaN wins and stays).
    using I = __m512i;
    static I iset1(int32_t x) { return _mm512_set1_epi32(x); }
    static I iota(int32_t step) { return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(step)); }
    static I iadd(I a, I b) { return _mm512_add_epi32(a, b); }
    static void istore(int32_t* p, I v) { _mm512_storeu_si512(p, v); }
    static V take_max(V m, V v) {
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), m, v);
    }
    static void take_max(V& m, I& idx, V v, I cur) {
        const __mmask16 k = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        m = _mm512_mask_blend_ps(k, m, v);
        idx = _mm512_mask_blend_epi32(k, idx, cur);
    }
    static void store_idx(int64_t* p, I v) {
        _mm512_storeu_si512(p, _mm512_maskz_cvtepi32_epi64(0xff, _mm512_maskz_extracti64x4_epi64(0xff, v, 0)));
        _mm512_storeu_si512(p + 8, _mm512_maskz_cvtepi32_epi64(0xff, _mm512_maskz_extracti64x4_epi64(0xff, v, 1)));
    }
    static V gather(const float* base, const int32_t* idx) {
        return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xffff, _mm512_loadu_si512(idx), base, 4);
    }
    // base[idx[i]] for idx[i] < 2N: a two-register permute, far cheaper than a gather.
    static V gather_near(const float* base, const int32_t* idx) {
        return _mm512_permutex2var_ps(_mm512_loadu_ps(base), _mm512_loadu_si512(idx), _mm512_loadu_ps(base + N));
    }
    // N values rounded half to even (the default rounding mode) and saturated to uint8.
    static void store_u8(uint8_t* p, V v) {
        v = _mm512_maskz_min_ps(0xffff, _mm512_maskz_max_ps(0xffff, v, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
        _mm_storeu_si128((__m128i*)p, _mm512_maskz_cvtepi32_epi8(0xffff, _mm512_maskz_cvtps_epi32(0xffff, v)));
    }
    // N samples of another dtype, converted exactly. (maskz forms: the plain ones trip
    // GCC 12's -Wmaybe-uninitialized in its own header.)
    static V load(const uint8_t* p) {
        return _mm512_maskz_cvtepi32_ps(0xffff, _mm512_maskz_cvtepu8_epi32(0xffff, _mm_loadu_si128((const __m128i*)p)));
    }
    static V load(const int16_t* p) {
        return _mm512_maskz_cvtepi32_ps(0xffff,
                                        _mm512_maskz_cvtepi16_epi32(0xffff, _mm256_loadu_si256((const __m256i*)p)));
    }
    static V load(const half_t* p) { return _mm512_maskz_cvtph_ps(0xffff, _mm256_loadu_si256((const __m256i*)p)); }
    // The 2N uint16 lanes of v as floats: lanes 0..N-1 to lo, N..2N-1 to hi.
    static void widen(U16::V v, V& lo, V& hi) {
        lo = _mm512_maskz_cvtepi32_ps(0xffff, _mm512_maskz_cvtepu16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xff, v, 0)));
        hi = _mm512_maskz_cvtepi32_ps(
            0xffff, _mm512_maskz_cvtepu16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xff, v, 1)));
    }
    static void unzip(V a, V b, V& even, V& odd) {
        const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        even = _mm512_permutex2var_ps(a, ie, b);
        odd = _mm512_permutex2var_ps(a, io, b);
    }
    static void zip(V a, V b, V& lo, V& hi) {
        const __m512i il = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const __m512i ih = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        lo = _mm512_permutex2var_ps(a, il, b);
        hi = _mm512_permutex2var_ps(a, ih, b);
    }
};

struct F64 {
    using V = __m512d;
    static constexpr int N = 8;
    static V load(const double* p) { return _mm512_loadu_pd(p); }
    static V load(const uint16_t* p) {
        return _mm512_maskz_cvtepi32_pd(0xff, _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)p)));
    }
    static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
    static void store_first(double* p, V v, int n) { _mm512_mask_storeu_pd(p, (__mmask8)((1u << n) - 1), v); }
    static V set1(double x) { return _mm512_set1_pd(x); }
    static V add(V a, V b) { return _mm512_add_pd(a, b); }
    static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
    static V div(V a, V b) { return _mm512_div_pd(a, b); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
    // Pooling, as F32's: int32 index lanes, one per value.
    using I = __m256i;
    static I iset1(int32_t x) { return _mm256_set1_epi32(x); }
    static I iota(int32_t step) { return _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(step)); }
    static I iadd(I a, I b) { return _mm256_add_epi32(a, b); }
    static void istore(int32_t* p, I v) { _mm256_storeu_si256((__m256i*)p, v); }
    static void store_idx(int64_t* p, I v) { _mm512_storeu_si512(p, _mm512_maskz_cvtepi32_epi64(0xff, v)); }
    static V take_max(V m, V v) {
        return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q), m, v);
    }
    static void take_max(V& m, I& idx, V v, I cur) {
        const __mmask8 k = _mm512_cmp_pd_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q);
        m = _mm512_mask_blend_pd(k, m, v);
        idx = _mm256_mask_blend_epi32(k, idx, cur);
    }
    static void unzip(V a, V b, V& even, V& odd) {
        even = _mm512_permutex2var_pd(a, _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), b);
        odd = _mm512_permutex2var_pd(a, _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15), b);
    }
    static void zip(V a, V b, V& lo, V& hi) {
        lo = _mm512_permutex2var_pd(a, _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), b);
        hi = _mm512_permutex2var_pd(a, _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15), b);
    }
};

}  // namespace simd
}  // namespace PK_ISA_NS
}  // namespace pk
