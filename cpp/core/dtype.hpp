// Dtypes: the C++ type of each image dtype, and the types kernels compute in, each defined
// once: Loaded (what a stored sample is read as), OpMath (the float type of weighted sums,
// torch's opmath_type) and Band (a Laplacian band). Included by kernel files, so the
// functions are compiled once per ISA level with that level's flags (F16C conversions).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#elif defined(__aarch64__) && !defined(PK_NO_SIMD)
#include <arm_neon.h>
#define PK_NEON_F16 1
#endif

#include "core/image.hpp"

namespace pk {

// float16 storage. Arithmetic on it is done in float32 (see Loaded).
struct half_t {
    uint16_t bits;
};

template <class T> struct Type { using type = T; };

// The C++ type of each DType, in code order (PK_DTYPES).
#define PK_ALL_DTYPES uint8_t, uint16_t, int16_t, ::pk::half_t, float, double

template <class T> constexpr int dtype_index() {
    if constexpr (std::is_same_v<T, uint8_t>) return int(DType::u8);
    else if constexpr (std::is_same_v<T, uint16_t>) return int(DType::u16);
    else if constexpr (std::is_same_v<T, int16_t>) return int(DType::i16);
    else if constexpr (std::is_same_v<T, half_t>) return int(DType::f16);
    else if constexpr (std::is_same_v<T, float>) return int(DType::f32);
    else {
        static_assert(std::is_same_v<T, double>, "not an image dtype");
        return int(DType::f64);
    }
}

// f(Type<T>{}) for every image dtype T.
template <class F> void for_each_dtype(F&& f) {
    f(Type<uint8_t>{}); f(Type<uint16_t>{}); f(Type<int16_t>{}); f(Type<half_t>{}); f(Type<float>{}); f(Type<double>{});
}

template <class T> constexpr const char* numpy_name() {
    if constexpr (std::is_same_v<T, uint8_t>) return "uint8";
    else if constexpr (std::is_same_v<T, uint16_t>) return "uint16";
    else if constexpr (std::is_same_v<T, int16_t>) return "int16";
    else if constexpr (std::is_same_v<T, int32_t>) return "int32";
    else if constexpr (std::is_same_v<T, half_t>) return "float16";
    else if constexpr (std::is_same_v<T, float>) return "float32";
    else return "float64";
}

// A stored sample as kernels read it: float16 is computed in float32, the rest as stored.
template <class T> using Loaded = std::conditional_t<std::is_same_v<T, half_t>, float, T>;

// The float type of weighted sums and averages (torch's opmath_type): double for float64,
// float for every other dtype. Ops whose exactness needs more say so where they use it.
template <class T> using OpMath = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Laplacian band type: wide enough that band = G - pyr_up(G') and G = band + pyr_up(G')
// are exact (float16 differences are exact in float32). The bindings export it to Python.
template <class T> struct BandOf { using type = T; };
template <> struct BandOf<uint8_t> { using type = int16_t; };
template <> struct BandOf<uint16_t> { using type = int32_t; };
template <> struct BandOf<int16_t> { using type = int32_t; };
template <> struct BandOf<half_t> { using type = float; };
template <class T> using Band = typename BandOf<T>::type;

namespace PK_ISA_NS {

inline float bits_to_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline uint32_t float_to_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// IEEE conversions, exact and round-to-nearest-even, so the portable path gives the
// same bits as the F16C instructions used on AVX2/AVX-512.
inline float half_to_float(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ffu;
    if (e == 0) {
        if (m == 0) return bits_to_float(sign);
        int sh = 0;
        while (!(m & 0x400u)) { m <<= 1; ++sh; }
        return bits_to_float(sign | uint32_t(113 - sh) << 23 | (m & 0x3ffu) << 13);
    }
    if (e == 31) return bits_to_float(sign | 0x7f800000u | m << 13);
    return bits_to_float(sign | (e + 112) << 23 | m << 13);
}

inline uint16_t float_to_half(float f) {
    uint32_t x = float_to_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u)  // inf or NaN (NaN stays quiet, keeps its top payload bits)
        return uint16_t(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0u));
    if (ax >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // >= 65520 rounds to inf
    if (ax < 0x38800000u) {  // half subnormal or zero: let float addition do the rounding
        float t = bits_to_float(ax) + 0.5f;
        return uint16_t(sign | (float_to_bits(t) - 0x3f000000u));
    }
    uint32_t odd = (ax >> 13) & 1u;
    ax += 0xc8000fffu + odd;  // rebias the exponent and round half to even
    return uint16_t(sign | (ax >> 13));
}

inline void half_to_float_row(const half_t* src, float* dst, int64_t n) {
    int64_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(src + i))));
#elif defined(PK_NEON_F16)
    for (; i + 4 <= n; i += 4)
        vst1q_f32(dst + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t*)(const void*)(src + i)))));
#endif
    for (; i < n; ++i) dst[i] = half_to_float(src[i].bits);
}

inline void float_to_half_row(const float* src, half_t* dst, int64_t n) {
    int64_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i*)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
#elif defined(PK_NEON_F16)
    for (; i + 4 <= n; i += 4)  // rounded half to even (the FPCR's default, as NumPy leaves it)
        vst1_u16((uint16_t*)(void*)(dst + i), vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(src + i))));
#endif
    for (; i < n; ++i) dst[i].bits = float_to_half(src[i]);
}

// v in type I: integers clamped to I's range (v already rounded), floats converted.
template <class I, class W>
inline I saturate_to(W v) {
    if constexpr (std::is_integral_v<I>)
        return I(std::min<W>(std::max<W>(v, W(std::numeric_limits<I>::min())), W(std::numeric_limits<I>::max())));
    else
        return I(v);
}

// A stored sample in compute type C (float16 through float32).
template <class C, class T>
inline C load_c(T v) {
    if constexpr (std::is_same_v<T, half_t>) return C(half_to_float(v.bits));
    else return C(v);
}

}  // namespace PK_ISA_NS
}  // namespace pk
