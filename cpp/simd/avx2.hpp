// The vector layer at the AVX2 level (256-bit, with FMA and F16C). The interface and its
// rules: simd/simd.hpp.
#pragma once
#include "core/dtype.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace simd {

constexpr bool kSimd = true;
constexpr int kBits = 256;
constexpr bool kHasFma = true;
constexpr bool kHasGather = true;
constexpr bool kHasRoundU8 = true;
constexpr bool kHasPermute2 = false;
constexpr bool kHasByteShuffle = true;
constexpr bool kHasMaskRegs = false;
constexpr bool kHasBytePermute = false;

struct U16 {
    using V = __m256i;
    static constexpr int N = 16;
    static V load(const uint16_t* p) { return _mm256_loadu_si256((const __m256i*)p); }
    static void store(uint16_t* p, V v) { _mm256_storeu_si256((__m256i*)p, v); }
    static V set1(uint16_t x) { return _mm256_set1_epi16((short)x); }
    static V add(V a, V b) { return _mm256_add_epi16(a, b); }
    static V mul(V a, V b) { return _mm256_mullo_epi16(a, b); }
    template <int K> static V shl(V a) { return _mm256_slli_epi16(a, K); }
    template <int K> static V shr(V a) { return _mm256_srli_epi16(a, K); }
    static V load_raw(const uint8_t* p) { return _mm256_loadu_si256((const __m256i*)p); }
    static void store_raw(uint8_t* p, V v) { _mm256_storeu_si256((__m256i*)p, v); }
    static V shuffle_bytes(V v, const uint8_t* idx) { return _mm256_shuffle_epi8(v, _mm256_loadu_si256((const V*)idx)); }
    static V permute_dwords(V v, const uint32_t* idx) { return _mm256_permutevar8x32_epi32(v, _mm256_loadu_si256((const V*)idx)); }
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
    // Lanes < n (0 < n <= N).
    static void store_first(float* p, V v, int n) {
        _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), v);
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
    static void zip(V a, V b, V& lo, V& hi) {
        V l = _mm256_unpacklo_pd(a, b), h = _mm256_unpackhi_pd(a, b);
        lo = _mm256_permute2f128_pd(l, h, 0x20);
        hi = _mm256_permute2f128_pd(l, h, 0x31);
    }
    static void store_first(double* p, V v, int n) {
        _mm256_maskstore_pd(p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3)), v);
    }
};

}  // namespace simd
}  // namespace PK_ISA_NS
}  // namespace pk
