// The few vector operations the hand-written kernel loops use, defined once per ISA level
// at that level's widest width (AVX-512BW: 512-bit, AVX2: 256, SSE2: 128; the avx512vbmi
// level is AVX-512 plus VBMI's byte permutes, where pair_px uses them). A kernel loop is
// written once against U16 / F32 and compiled per level; kSimd is false where none of these
// exist (other architectures, or PK_NO_SIMD: the CMake option PK_PORTABLE builds that way
// on x86 so CI runs the scalar loops), and kernels then run their scalar loops only.
// F32 / F64 also load narrower dtypes, converted exactly (a blur's vertical pass needs them).
//
// Every operation is exact lane-wise arithmetic in the lane type, so a loop written with
// them gives the same bits as the scalar loop with the same operation order. The one
// exception is fma (AVX2 and AVX-512 only, kHasFma), rounding a*b + c once: only kernels
// that document it use it (conv_transpose2d), and they then agree across AVX2 / AVX-512
// but not with the baseline level.
#pragma once
#include "kernels/common.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace simd {

// U16::pair_px<CN> (AVX2, AVX-512; 2 <= CN <= 4 interleaved uint8 channels): the pixel
// pairs at p rearranged so that 16-bit lane CN x + c of q holds channel c of pixel 2x in
// its low byte and of pixel 2x + 1 in its high byte, the layout pmaddubsw weights (see
// pyramid.cpp). It reads and writes one vector (2N bytes) and converts pair_count<CN, N>
// pairs; the bytes it writes past them are unspecified. With VBMI it is one byte permute
// of the vector. Otherwise CN = 2 and 4 are one in-lane byte shuffle, and CN = 3, whose
// 6-byte pairs do not divide a 16-byte lane, spreads 12 bytes to each lane with a dword
// permute first and packs them back with another (three permutes for 48 bytes, against
// one for 60: 1920x1080x3 pyr_down takes 9% longer).
template <int CN, int B>  // B: bytes per vector
struct PairPxIdx {
    alignas(64) uint8_t shuf[B];
    alignas(64) uint32_t spread[B / 4], compact[B / 4];
    constexpr PairPxIdx() : shuf(), spread(), compact() {
        for (int i = 0; i < B; ++i) {
            const int r = i % 16, g = r / (2 * CN), k = r % (2 * CN);  // pair g of the lane, byte k
            shuf[i] = uint8_t(g < 16 / (2 * CN) ? 2 * CN * g + (k % 2) * CN + k / 2 : 0x80);
        }
        for (int d = 0; d < B / 4; ++d) {
            spread[d] = uint32_t(3 * (d / 4) + (d % 4 < 2 ? d % 4 : 2));
            compact[d] = uint32_t(d < 3 * (B / 16) ? 4 * (d / 3) + d % 3 : 0);
        }
    }
};
template <int CN, int B>
inline constexpr PairPxIdx<CN, B> kPairPxIdx{};
#ifdef __AVX512VBMI__
template <int CN>
struct PairPxVbmi {  // byte i of the output: pair i / (2 CN), byte i % (2 CN)
    alignas(64) uint8_t v[64];
    constexpr PairPxVbmi() : v() {
        for (int i = 0; i < 64; ++i) {
            const int g = i / (2 * CN), k = i % (2 * CN);
            v[i] = uint8_t(g < 32 / CN ? 2 * CN * g + (k % 2) * CN + k / 2 : 0);
        }
    }
};
template <int CN>
inline constexpr PairPxVbmi<CN> kPairPxVbmi{};
template <int CN, int N>  // N: 16-bit lanes per vector
constexpr int64_t pair_count = N / CN;
#else
template <int CN, int N>
constexpr int64_t pair_count = CN == 3 ? N / 4 : N / CN;
#endif

#if defined(__AVX512BW__) && !defined(PK_NO_SIMD)
constexpr bool kSimd = true;
constexpr bool kHasFma = true;
constexpr bool kHasGather = true;  // F32::gather, F32::store_u8
constexpr bool kHasNear = true;    // F32::gather_near
constexpr bool kHasUnpoolCells = true;  // F32::unpool_cells
constexpr bool kHasPairPx = true;  // U16::pair_px


struct U16 {  // uint16 lanes
    using V = __m512i;
    static constexpr int N = 32;
    template <int CN>
    static void pair_px(const uint8_t* p, uint8_t* q) {
        // (maskz forms: the plain ones trip GCC 12's -Wmaybe-uninitialized in its own headers)
#ifdef __AVX512VBMI__
        _mm512_storeu_si512(q, _mm512_maskz_permutexvar_epi8(~0ull, _mm512_load_si512(kPairPxVbmi<CN>.v), _mm512_loadu_si512(p)));
#else
        const PairPxIdx<CN, 64>& t = kPairPxIdx<CN, 64>;
        V v = _mm512_loadu_si512(p);
        if constexpr (CN == 3) v = _mm512_maskz_permutexvar_epi32(0xffff, _mm512_load_si512(t.spread), v);
        v = _mm512_shuffle_epi8(v, _mm512_load_si512(t.shuf));
        if constexpr (CN == 3) v = _mm512_maskz_permutexvar_epi32(0xffff, _mm512_load_si512(t.compact), v);
        _mm512_storeu_si512(q, v);
#endif
    }
    static V load(const uint16_t* p) { return _mm512_loadu_si512(p); }
    static void store(uint16_t* p, V v) { _mm512_storeu_si512(p, v); }
    static V set1(uint16_t x) { return _mm512_set1_epi16((short)x); }
    static V add(V a, V b) { return _mm512_add_epi16(a, b); }
    static V mul(V a, V b) { return _mm512_mullo_epi16(a, b); }
    template <int K> static V shl(V a) { return _mm512_slli_epi16(a, K); }
    template <int K> static V shr(V a) { return _mm512_srli_epi16(a, K); }
    // 2N bytes at p as they are: lane i holds bytes p[2i] (low) and p[2i+1] (high).
    static V load_raw(const uint8_t* p) { return _mm512_loadu_si512(p); }
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
    // max_unpool2d, 2x2 cells: the N values v of input row y at columns x .. x + N - 1 and
    // their flat indices idx in a plane W2 >= 2 (x + N) wide (base = 2y W2 + 2x). When each
    // index lies in its own cell (rows 2y, 2y + 1, columns 2x', 2x' + 1), writes the 2N
    // columns of both output rows (zero but at the indexed elements) to r0, r1 (streamed:
    // aligned to the vector) and returns true; otherwise writes nothing and returns false.
    template <bool STREAM>
    static bool unpool_cells(const float* v, const int64_t* idx, int64_t base, int64_t W2, float* r0, float* r1) {
        const __m512i b0 = _mm512_add_epi64(_mm512_set1_epi64(base), _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14));
        const __m512i b1 = _mm512_add_epi64(b0, _mm512_set1_epi64(16));
        const __m512i d0 = _mm512_sub_epi64(_mm512_loadu_si512(idx), b0), d1 = _mm512_sub_epi64(_mm512_loadu_si512(idx + 8), b1);
        auto at = [&](int64_t off) {  // lanes whose index is cell element off
            const __m512i c = _mm512_set1_epi64(off);
            return (__mmask16)(_mm512_cmpeq_epi64_mask(d0, c) | (_mm512_cmpeq_epi64_mask(d1, c) << 8));
        };
        const __mmask16 m00 = at(0), m01 = at(1), m10 = at(W2), m11 = at(W2 + 1);
        if ((__mmask16)(m00 | m01 | m10 | m11) != 0xffff) return false;
        const V x = _mm512_loadu_ps(v);
        const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
        auto put = [&](float* r, __mmask16 even, __mmask16 odd) {
            const V e = _mm512_maskz_mov_ps(even, x), o = _mm512_maskz_mov_ps(odd, x);
            const V a = _mm512_permutex2var_ps(e, lo, o), b = _mm512_permutex2var_ps(e, hi, o);
            if constexpr (STREAM) {
                _mm512_stream_ps(r, a);
                _mm512_stream_ps(r + N, b);
            } else {
                _mm512_storeu_ps(r, a);
                _mm512_storeu_ps(r + N, b);
            }
        };
        put(r0, m00, m01);
        put(r1, m10, m11);
        return true;
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
};

#elif defined(__AVX2__) && !defined(PK_NO_SIMD)
constexpr bool kSimd = true;
constexpr bool kHasFma = true;
constexpr bool kHasGather = true;  // F32::gather, F32::store_u8
constexpr bool kHasNear = false;
constexpr bool kHasUnpoolCells = false;
constexpr bool kHasPairPx = true;  // U16::pair_px

struct U16 {
    using V = __m256i;
    static constexpr int N = 16;
    template <int CN>
    static void pair_px(const uint8_t* p, uint8_t* q) {
        const PairPxIdx<CN, 32>& t = kPairPxIdx<CN, 32>;
        V v = _mm256_loadu_si256((const V*)p);
        if constexpr (CN == 3) v = _mm256_permutevar8x32_epi32(v, _mm256_load_si256((const V*)t.spread));
        v = _mm256_shuffle_epi8(v, _mm256_load_si256((const V*)t.shuf));
        if constexpr (CN == 3) v = _mm256_permutevar8x32_epi32(v, _mm256_load_si256((const V*)t.compact));
        _mm256_storeu_si256((V*)q, v);
    }
    static V load(const uint16_t* p) { return _mm256_loadu_si256((const __m256i*)p); }
    static void store(uint16_t* p, V v) { _mm256_storeu_si256((__m256i*)p, v); }
    static V set1(uint16_t x) { return _mm256_set1_epi16((short)x); }
    static V add(V a, V b) { return _mm256_add_epi16(a, b); }
    static V mul(V a, V b) { return _mm256_mullo_epi16(a, b); }
    template <int K> static V shl(V a) { return _mm256_slli_epi16(a, K); }
    template <int K> static V shr(V a) { return _mm256_srli_epi16(a, K); }
    static V load_raw(const uint8_t* p) { return _mm256_loadu_si256((const __m256i*)p); }
    template <int K0, int K1> static V madd_u8(V raw) { return _mm256_maddubs_epi16(raw, _mm256_set1_epi16(K1 << 8 | K0)); }
    static V lo_u8(V raw) { return _mm256_and_si256(raw, _mm256_set1_epi16(0x00ff)); }
    static void stream(uint16_t* p, V v) { _mm256_stream_si256((__m256i*)p, v); }
    static V merge_hi(V hi, V lo) { return _mm256_or_si256(_mm256_and_si256(hi, _mm256_set1_epi16((short)0xff00)), lo); }
    static V load_u8(const uint8_t* p) { return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)p)); }
    static void store_u8x2(uint8_t* p, V a, V b) {
        _mm256_storeu_si256((__m256i*)p, _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8));
    }
    static void zip(V a, V b, V& lo, V& hi) {
        V l = _mm256_unpacklo_epi16(a, b), h = _mm256_unpackhi_epi16(a, b);
        lo = _mm256_permute2x128_si256(l, h, 0x20);
        hi = _mm256_permute2x128_si256(l, h, 0x31);
    }
};

struct F32 {
    using V = __m256;
    static constexpr int N = 8;
    static V load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    static void stream(float* p, V v) { _mm256_stream_ps(p, v); }
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V div(V a, V b) { return _mm256_div_ps(a, b); }
    static V prev1(V p, V c) {
        const __m256i ci = _mm256_castps_si256(c);
        return _mm256_castsi256_ps(_mm256_alignr_epi8(ci, _mm256_permute2x128_si256(_mm256_castps_si256(p), ci, 0x21), 12));
    }
    static V next1(V c, V n) {
        const __m256i ci = _mm256_castps_si256(c);
        return _mm256_castsi256_ps(_mm256_alignr_epi8(_mm256_permute2x128_si256(ci, _mm256_castps_si256(n), 0x21), ci, 4));
    }
    using I = __m256i;
    static I iset1(int32_t x) { return _mm256_set1_epi32(x); }
    static I iota(int32_t step) { return _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(step)); }
    static I iadd(I a, I b) { return _mm256_add_epi32(a, b); }
    static void istore(int32_t* p, I v) { _mm256_storeu_si256((__m256i*)p, v); }
    static V take_max(V m, V v) {
        return _mm256_blendv_ps(m, v, _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
    }
    static void take_max(V& m, I& idx, V v, I cur) {
        const V k = _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        m = _mm256_blendv_ps(m, v, k);
        idx = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(idx), _mm256_castsi256_ps(cur), k));
    }
    static void store_idx(int64_t* p, I v) {
        _mm256_storeu_si256((__m256i*)p, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)));
        _mm256_storeu_si256((__m256i*)(p + 4), _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
    }
    static V gather(const float* base, const int32_t* idx) {
        return _mm256_i32gather_ps(base, _mm256_loadu_si256((const __m256i*)idx), 4);
    }
    static void store_u8(uint8_t* p, V v) {
        v = _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
        const __m256i i = _mm256_cvtps_epi32(v);
        const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
        _mm_storel_epi64((__m128i*)p, _mm_packus_epi16(w, w));
    }
    static V load(const uint8_t* p) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)p))); }
    static V load(const int16_t* p) { return _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i*)p))); }
    static V load(const half_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)p)); }
    static void widen(U16::V v, V& lo, V& hi) {
        lo = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(v)));
        hi = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(v, 1)));
    }
    static void unzip(V a, V b, V& even, V& odd) {
        even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
        odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
    }
    static void zip(V a, V b, V& lo, V& hi) {
        V l = _mm256_unpacklo_ps(a, b), h = _mm256_unpackhi_ps(a, b);
        lo = _mm256_permute2f128_ps(l, h, 0x20);
        hi = _mm256_permute2f128_ps(l, h, 0x31);
    }
};

struct F64 {
    using V = __m256d;
    static constexpr int N = 4;
    static V load(const double* p) { return _mm256_loadu_pd(p); }
    static V load(const uint16_t* p) { return _mm256_cvtepi32_pd(_mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i*)p))); }
    static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
    static V set1(double x) { return _mm256_set1_pd(x); }
    static V add(V a, V b) { return _mm256_add_pd(a, b); }
    static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
    static V div(V a, V b) { return _mm256_div_pd(a, b); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
    using I = __m128i;  // int32 index lanes, one per value
    static I iset1(int32_t x) { return _mm_set1_epi32(x); }
    static I iota(int32_t step) { return _mm_mullo_epi32(_mm_setr_epi32(0, 1, 2, 3), _mm_set1_epi32(step)); }
    static I iadd(I a, I b) { return _mm_add_epi32(a, b); }
    static void istore(int32_t* p, I v) { _mm_storeu_si128((__m128i*)p, v); }
    static void store_idx(int64_t* p, I v) { _mm256_storeu_si256((__m256i*)p, _mm256_cvtepi32_epi64(v)); }
    static V take_mask(V m, V v) { return _mm256_or_pd(_mm256_cmp_pd(v, m, _CMP_GT_OQ), _mm256_cmp_pd(v, v, _CMP_UNORD_Q)); }
    static V take_max(V m, V v) { return _mm256_blendv_pd(m, v, take_mask(m, v)); }
    static void take_max(V& m, I& idx, V v, I cur) {
        const V k = take_mask(m, v);
        m = _mm256_blendv_pd(m, v, k);
        // the 64-bit lane mask as 32-bit lanes: the low half of each
        const __m256i k2 = _mm256_permutevar8x32_epi32(_mm256_castpd_si256(k), _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
        idx = _mm_blendv_epi8(idx, cur, _mm256_castsi256_si128(k2));
    }
    static void unzip(V a, V b, V& even, V& odd) {  // a0 a2 b0 b2, a1 a3 b1 b3
        even = _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b), 0xd8);
        odd = _mm256_permute4x64_pd(_mm256_unpackhi_pd(a, b), 0xd8);
    }
};

#elif defined(__SSE2__) && !defined(PK_NO_SIMD)
constexpr bool kSimd = true;
constexpr bool kHasFma = false;
constexpr bool kHasGather = false;
constexpr bool kHasNear = false;
constexpr bool kHasUnpoolCells = false;
constexpr bool kHasPairPx = false;

struct U16 {
    using V = __m128i;
    static constexpr int N = 8;
    static V load(const uint16_t* p) { return _mm_loadu_si128((const __m128i*)p); }
    static void store(uint16_t* p, V v) { _mm_storeu_si128((__m128i*)p, v); }
    static V set1(uint16_t x) { return _mm_set1_epi16((short)x); }
    static V add(V a, V b) { return _mm_add_epi16(a, b); }
    static V mul(V a, V b) { return _mm_mullo_epi16(a, b); }
    template <int K> static V shl(V a) { return _mm_slli_epi16(a, K); }
    template <int K> static V shr(V a) { return _mm_srli_epi16(a, K); }
    static V load_raw(const uint8_t* p) { return _mm_loadu_si128((const __m128i*)p); }
    template <int K0, int K1> static V madd_u8(V raw) {  // no pmaddubsw in SSE2
        return _mm_add_epi16(_mm_mullo_epi16(lo_u8(raw), _mm_set1_epi16(K0)),
                             _mm_mullo_epi16(_mm_srli_epi16(raw, 8), _mm_set1_epi16(K1)));
    }
    static V lo_u8(V raw) { return _mm_and_si128(raw, _mm_set1_epi16(0x00ff)); }
    static void stream(uint16_t* p, V v) { _mm_stream_si128((__m128i*)p, v); }
    static V merge_hi(V hi, V lo) { return _mm_or_si128(_mm_and_si128(hi, _mm_set1_epi16((short)0xff00)), lo); }
    static V load_u8(const uint8_t* p) {
        return _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)p), _mm_setzero_si128());
    }
    static void store_u8x2(uint8_t* p, V a, V b) { _mm_storeu_si128((__m128i*)p, _mm_packus_epi16(a, b)); }
    static void zip(V a, V b, V& lo, V& hi) {
        lo = _mm_unpacklo_epi16(a, b);
        hi = _mm_unpackhi_epi16(a, b);
    }
};

struct F32 {
    using V = __m128;
    static constexpr int N = 4;
    static V load(const float* p) { return _mm_loadu_ps(p); }
    static void store(float* p, V v) { _mm_storeu_ps(p, v); }
    static void stream(float* p, V v) { _mm_stream_ps(p, v); }
    static V set1(float x) { return _mm_set1_ps(x); }
    static V add(V a, V b) { return _mm_add_ps(a, b); }
    static V mul(V a, V b) { return _mm_mul_ps(a, b); }
    static V div(V a, V b) { return _mm_div_ps(a, b); }
    static V prev1(V p, V c) {
        return _mm_castsi128_ps(_mm_or_si128(_mm_slli_si128(_mm_castps_si128(c), 4), _mm_srli_si128(_mm_castps_si128(p), 12)));
    }
    static V next1(V c, V n) {
        return _mm_castsi128_ps(_mm_or_si128(_mm_srli_si128(_mm_castps_si128(c), 4), _mm_slli_si128(_mm_castps_si128(n), 12)));
    }
    using I = __m128i;
    static I iset1(int32_t x) { return _mm_set1_epi32(x); }
    static I iota(int32_t step) { return _mm_setr_epi32(0, step, 2 * step, 3 * step); }
    static I iadd(I a, I b) { return _mm_add_epi32(a, b); }
    static void istore(int32_t* p, I v) { _mm_storeu_si128((__m128i*)p, v); }
    static V take_max(V m, V v) {
        const V k = _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_cmpunord_ps(v, v));
        return _mm_or_ps(_mm_and_ps(k, v), _mm_andnot_ps(k, m));
    }
    static void take_max(V& m, I& idx, V v, I cur) {
        const V k = _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_cmpunord_ps(v, v));
        m = _mm_or_ps(_mm_and_ps(k, v), _mm_andnot_ps(k, m));
        const __m128i ki = _mm_castps_si128(k);
        idx = _mm_or_si128(_mm_and_si128(ki, cur), _mm_andnot_si128(ki, idx));
    }
    static void store_idx(int64_t* p, I v) {  // indices are non-negative: zero-extend
        _mm_storeu_si128((__m128i*)p, _mm_unpacklo_epi32(v, _mm_setzero_si128()));
        _mm_storeu_si128((__m128i*)(p + 2), _mm_unpackhi_epi32(v, _mm_setzero_si128()));
    }
    static V load(const uint8_t* p) {
        int32_t x;
        std::memcpy(&x, p, 4);
        const __m128i z = _mm_setzero_si128();
        return _mm_cvtepi32_ps(_mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(x), z), z));
    }
    static V load(const int16_t* p) {
        __m128i v = _mm_loadl_epi64((const __m128i*)p);
        return _mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpacklo_epi16(v, v), 16));
    }
    static V load(const half_t* p) {  // no F16C at this level
        return _mm_setr_ps(half_to_float(p[0].bits), half_to_float(p[1].bits), half_to_float(p[2].bits),
                           half_to_float(p[3].bits));
    }
    static void widen(U16::V v, V& lo, V& hi) {
        lo = _mm_cvtepi32_ps(_mm_unpacklo_epi16(v, _mm_setzero_si128()));
        hi = _mm_cvtepi32_ps(_mm_unpackhi_epi16(v, _mm_setzero_si128()));
    }
    static void unzip(V a, V b, V& even, V& odd) {
        even = _mm_shuffle_ps(a, b, 0x88);
        odd = _mm_shuffle_ps(a, b, 0xDD);
    }
    static void zip(V a, V b, V& lo, V& hi) {
        lo = _mm_unpacklo_ps(a, b);
        hi = _mm_unpackhi_ps(a, b);
    }
};

struct F64 {
    using V = __m128d;
    static constexpr int N = 2;
    static V load(const double* p) { return _mm_loadu_pd(p); }
    static V load(const uint16_t* p) { return _mm_setr_pd(p[0], p[1]); }
    static void store(double* p, V v) { _mm_storeu_pd(p, v); }
    static V set1(double x) { return _mm_set1_pd(x); }
    static V add(V a, V b) { return _mm_add_pd(a, b); }
    static V mul(V a, V b) { return _mm_mul_pd(a, b); }
    static V div(V a, V b) { return _mm_div_pd(a, b); }
    using I = __m128i;  // int32 index lanes 0 and 1, one per value
    static I iset1(int32_t x) { return _mm_set1_epi32(x); }
    static I iota(int32_t step) { return _mm_setr_epi32(0, step, 0, 0); }
    static I iadd(I a, I b) { return _mm_add_epi32(a, b); }
    static void istore(int32_t* p, I v) { _mm_storel_epi64((__m128i*)p, v); }
    static void store_idx(int64_t* p, I v) {
        p[0] = _mm_cvtsi128_si32(v);
        p[1] = _mm_cvtsi128_si32(_mm_shuffle_epi32(v, 1));
    }
    static V take_mask(V m, V v) { return _mm_or_pd(_mm_cmpgt_pd(v, m), _mm_cmpunord_pd(v, v)); }
    static V take_max(V m, V v) {
        const V k = take_mask(m, v);
        return _mm_or_pd(_mm_and_pd(k, v), _mm_andnot_pd(k, m));
    }
    static void take_max(V& m, I& idx, V v, I cur) {
        const V k = take_mask(m, v);
        m = _mm_or_pd(_mm_and_pd(k, v), _mm_andnot_pd(k, m));
        const __m128i k32 = _mm_shuffle_epi32(_mm_castpd_si128(k), _MM_SHUFFLE(3, 3, 2, 0));  // low halves
        idx = _mm_or_si128(_mm_and_si128(k32, cur), _mm_andnot_si128(k32, idx));
    }
    static void unzip(V a, V b, V& even, V& odd) {
        even = _mm_unpacklo_pd(a, b);
        odd = _mm_unpackhi_pd(a, b);
    }
};

#else
constexpr bool kSimd = false;
constexpr bool kHasFma = false;
constexpr bool kHasGather = false;
constexpr bool kHasNear = false;
constexpr bool kHasUnpoolCells = false;
constexpr bool kHasPairPx = false;
// No vector unit: the kernels run their scalar loops only. The vector operations are
// declared here and never defined: every use sits in a branch discarded at compile time
// (`if constexpr (kSimd)` and the kHas* flags), but C++ still checks such branches outside
// templates, so the names must exist for the portable build to compile.
struct NoVec {
    struct V {};
    using I = V;
    static constexpr int N = 1;
#define PK_NOVEC(name) template <class... A> static V name(A&&...);
#define PK_NOVEC_K(name) template <int... K, class... A> static V name(A&&...);
    PK_NOVEC(add) PK_NOVEC(and_) PK_NOVEC(div) PK_NOVEC(fma) PK_NOVEC(gather) PK_NOVEC(gather_near) PK_NOVEC(iadd)
    PK_NOVEC(istore)
    PK_NOVEC(iota) PK_NOVEC(iset1) PK_NOVEC(lo_u8) PK_NOVEC(load) PK_NOVEC(load_raw) PK_NOVEC(load_u8)
    PK_NOVEC(merge_hi) PK_NOVEC(mul) PK_NOVEC(next1) PK_NOVEC(prev1) PK_NOVEC(set1) PK_NOVEC(shr_n) PK_NOVEC(store)
    PK_NOVEC(store_idx) PK_NOVEC(store_u8) PK_NOVEC(store_u8x2) PK_NOVEC(stream) PK_NOVEC(stream_u8x2)
    PK_NOVEC(take_max) PK_NOVEC(unzip) PK_NOVEC(widen) PK_NOVEC(zip)
    PK_NOVEC_K(shl) PK_NOVEC_K(shr) PK_NOVEC_K(madd_u8) PK_NOVEC_K(pair_px) PK_NOVEC_K(unpool_cells)
#undef PK_NOVEC
#undef PK_NOVEC_K
};
struct U16 : NoVec {};
struct F32 : NoVec {};
struct F64 : NoVec {};
#endif

}  // namespace simd

// Vector part of a float -> uint8 row store; returns how many values it stored.
template <class S>
inline int64_t store_u8_row(const float* __restrict o, uint8_t* __restrict d, int64_t n) {
    int64_t i = 0;
    for (; i + S::N <= n; i += S::N) S::store_u8(d + i, S::load(o + i));
    return i;
}

// A row of compute-type results stored as T: integers round half to even and saturate,
// float16 rounds once, the other floats convert.
template <class T, class C>
void store_rounded(const C* __restrict o, T* __restrict d, int64_t n) {
    if constexpr (std::is_integral_v<T>) {
        int64_t i = 0;
        if constexpr (simd::kHasGather && std::is_same_v<T, uint8_t> && std::is_same_v<C, float>)
            i = store_u8_row<simd::F32>(o, d, n);
        for (; i < n; ++i) d[i] = saturate_to<T>(std::nearbyint(o[i]));
    } else if constexpr (std::is_same_v<T, half_t>) {
        float_to_half_row(o, d, n);
    } else {
        for (int64_t i = 0; i < n; ++i) d[i] = T(o[i]);
    }
}
}  // namespace PK_ISA_NS
}  // namespace pk
