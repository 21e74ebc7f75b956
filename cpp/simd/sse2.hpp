// The vector layer at the baseline level on x86-64 (SSE2, 128-bit). The interface and its
// rules: simd/simd.hpp.
#pragma once
#include "core/dtype.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace simd {

constexpr bool kSimd = true;
constexpr int kBits = 128;
constexpr bool kHasFma = false;
constexpr bool kHasGather = false;
constexpr bool kHasRoundU8 = false;
constexpr bool kHasPermute2 = false;
constexpr bool kHasByteShuffle = false;
constexpr bool kHasMaskRegs = false;
constexpr bool kHasBytePermute = false;

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
    // Lanes < n (0 < n <= N).
    static void store_first(float* p, V v, int n) {
        alignas(16) float t[4];
        _mm_store_ps(t, v);
        for (int i = 0; i < n; ++i) p[i] = t[i];
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
    static void zip(V a, V b, V& lo, V& hi) {
        lo = _mm_unpacklo_pd(a, b);
        hi = _mm_unpackhi_pd(a, b);
    }
    static void store_first(double* p, V v, int n) {
        if (n >= 2) _mm_storeu_pd(p, v);
        else _mm_store_sd(p, v);
    }
};

}  // namespace simd
}  // namespace PK_ISA_NS
}  // namespace pk
