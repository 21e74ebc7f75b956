// Shared pieces of the kernels: per-dtype arithmetic, float16 conversion, borders.
// Included by kernel files, so it is compiled once per ISA level with that level's flags.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

// For a hot-loop lambda that GCC may otherwise leave out of line (it did, at random, for
// pyr_down's RGB step: a call per vector, 13% of the whole op).
#if defined(__GNUC__)
#define PK_INLINE __attribute__((always_inline))
#else
#define PK_INLINE
#endif

#include "pyramidkit/image.hpp"

namespace pk {
namespace PK_ISA_NS {

// float16 storage. Arithmetic on it is done in float32 (see Traits<half_t>).
struct half_t {
    uint16_t bits;
};

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
#endif
    for (; i < n; ++i) dst[i] = half_to_float(src[i].bits);
}

inline void float_to_half_row(const float* src, half_t* dst, int64_t n) {
    int64_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i*)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; i < n; ++i) dst[i].bits = float_to_half(src[i]);
}

// Per dtype: I is the type rows are read as (float16 rows are converted to float32),
// A the accumulator of the 5-tap sums. Accumulators are as narrow as exactness allows:
// uint8 sums stay below 2^16 in both passes, so they run in 16-bit lanes.
template <class T> struct Traits;
template <> struct Traits<uint8_t> {
    using I = uint8_t; using A = uint16_t;
    // (s + 128) >> 8 and (s + 32) >> 6 are OpenCV's rounding; s + 128 <= 65408 fits.
    static I down(A s) { return I(uint16_t(s + 128) >> 8); }
    static I up(A s) { return I(uint16_t(s + 32) >> 6); }
};
template <> struct Traits<uint16_t> {
    using I = uint16_t; using A = int32_t;
    static I down(A s) { return I((s + 128) >> 8); }
    static I up(A s) { return I((s + 32) >> 6); }
};
template <> struct Traits<int16_t> {
    using I = int16_t; using A = int32_t;  // >> is an arithmetic shift, as in OpenCV
    static I down(A s) { return I((s + 128) >> 8); }
    static I up(A s) { return I((s + 32) >> 6); }
};
template <> struct Traits<float> {
    using I = float; using A = float;
    static I down(A s) { return s * (1.0f / 256); }
    static I up(A s) { return s * (1.0f / 64); }
};
template <> struct Traits<half_t> {
    using I = float; using A = float;
    static I down(A s) { return s * (1.0f / 256); }
    static I up(A s) { return s * (1.0f / 64); }
};
template <> struct Traits<double> {
    using I = double; using A = double;
    static I down(A s) { return s * (1.0 / 256); }
    static I up(A s) { return s * (1.0 / 64); }
};

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

// Every dtype's instance of a kernel template, in a fill function's table t.
#define PK_FILL(field, fn)                   \
    t.field[(int)DType::u8] = fn<uint8_t>;   \
    t.field[(int)DType::u16] = fn<uint16_t>; \
    t.field[(int)DType::i16] = fn<int16_t>;  \
    t.field[(int)DType::f16] = fn<half_t>;   \
    t.field[(int)DType::f32] = fn<float>;    \
    t.field[(int)DType::f64] = fn<double>;

// Outputs much larger than the caches are written with non-temporal stores: the lines
// are not read first (no read-for-ownership), which saves a third of the traffic.
// Measured on the development machine (2 cores, large shared L3): a 64 MiB pyr_up output
// got 1.6x faster, 16 MiB outputs got 10-25% slower, hence the threshold.
constexpr int64_t kStreamBytes = int64_t(32) << 20;

// Kernels that store whole vectors of output rows straight to a reused dst (no staging row,
// unlike RowSink) stream from this size on. Measured, 2 threads, same process, ordinary /
// streamed: uint8 pyr_up 4 MiB output 1.11-1.24x, 7 MiB 1.01-1.04x, 16 MiB 1.03-1.14x,
// 31 MiB 1.58-1.78x; 1 MiB 0.98x. The dyadic uint8 resize shares the rule (1080p RGB x2,
// 24 MiB: within the noise either way).
constexpr int64_t kStreamBytesRows = int64_t(4) << 20;

inline void stream_copy(void* __restrict dst, const void* __restrict src, int64_t n) {
    char* d = static_cast<char*>(dst);
    const char* s = static_cast<const char*>(src);
#if defined(__SSE2__)
    int64_t head = std::min<int64_t>(n, (16 - (int64_t)((uintptr_t)d & 15)) & 15);
    std::memcpy(d, s, (size_t)head);
    int64_t i = head;
#if defined(__AVX512F__)
    // Whole lines per store: a line written in parts by NT stores can leave its
    // write-combining buffer partial (max_unpool2d through a row buffer into rows 16 bytes
    // off a line: 7.9 -> 7.7 ms).
    for (; ((uintptr_t)(d + i) & 63) && i + 16 <= n; i += 16)
        _mm_stream_si128((__m128i*)(d + i), _mm_loadu_si128((const __m128i*)(s + i)));
    for (; i + 64 <= n; i += 64) _mm512_stream_si512((__m512i*)(d + i), _mm512_loadu_si512(s + i));
#elif defined(__AVX2__)
    if (((uintptr_t)(d + i) & 31) && i + 16 <= n) {
        _mm_stream_si128((__m128i*)(d + i), _mm_loadu_si128((const __m128i*)(s + i)));
        i += 16;
    }
    for (; i + 32 <= n; i += 32)
        _mm256_stream_si256((__m256i*)(d + i), _mm256_loadu_si256((const __m256i*)(s + i)));
#endif
    for (; i + 16 <= n; i += 16) _mm_stream_si128((__m128i*)(d + i), _mm_loadu_si128((const __m128i*)(s + i)));
    std::memcpy(d + i, s + i, (size_t)(n - i));
#else
    std::memcpy(d, s, (size_t)n);
#endif
}

inline void stream_fence() {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

// Where a kernel writes an output row: straight into dst, or into per-thread scratch when
// the row must be converted (float16) or streamed (outputs >= kStreamBytes); finish()
// moves a staged row to dst. One per thread; its destructor fences streamed stores.
template <class T>
class RowSink {
    using I = typename Traits<T>::I;
    static constexpr bool kHalf = std::is_same_v<T, half_t>;
    bool stream_;
    std::vector<I> buf_[4];

public:
    // allow_stream = false for rows that are read again soon (pyramid levels). Fresh
    // outputs are not streamed: measured, pyr_up 2048^2 float32 into a new array took 16.4 ms
    // streamed and 11.5 ms with ordinary stores (into a reused one: 4.9 and 8.8 ms).
    explicit RowSink(const Image& dst, bool allow_stream = true)
        : stream_(allow_stream && !kHalf && !dst.fresh &&
                  dst.planes() * dst.h * dst.w * dst.cn * (int64_t)sizeof(T) >= kStreamBytes) {}
    ~RowSink() {
        if (stream_) stream_fence();
    }
    bool streams() const { return stream_; }  // for kernels that stream straight to dst
    // slot: 0 .. 3, for a kernel that has several staged rows at once.
    I* row(T* drow, int64_t n, int slot = 0) {
        if (!kHalf && !stream_) return (I*)drow;
        std::vector<I>& b = buf_[slot];
        if ((int64_t)b.size() < n) b.resize((size_t)n);
        return b.data();
    }
    void finish(T* drow, const I* out, int64_t n) {
        if constexpr (kHalf) float_to_half_row(out, drow, n);
        else if (stream_) stream_copy(drow, out, n * (int64_t)sizeof(T));
    }
};

// A source row as type I: the row itself, or float16 converted into scratch.
template <class T>
inline const typename Traits<T>::I* read_row(const T* row, typename Traits<T>::I* scratch, int64_t n) {
    if constexpr (std::is_same_v<T, half_t>) {
        half_to_float_row(row, scratch, n);
        return scratch;
    } else {
        (void)scratch; (void)n;
        return row;
    }
}

// OpenCV's borderInterpolate: the index that virtual index p reads, or -1 (constant).
inline int64_t border_index(int64_t p, int64_t len, Border b) {
    if (p >= 0 && p < len) return p;
    switch (b) {
        case Border::replicate: return p < 0 ? 0 : len - 1;
        case Border::reflect:
        case Border::reflect101: {
            if (len == 1) return 0;
            int64_t delta = b == Border::reflect101 ? 1 : 0;
            do {
                if (p < 0) p = -p - 1 + delta;
                else p = len - 1 - (p - len) - delta;
            } while (p < 0 || p >= len);
            return p;
        }
        case Border::wrap:
            if (p < 0) p -= ((p - len + 1) / len) * len;
            if (p >= len) p %= len;
            return p;
        case Border::constant:
        default: return -1;
    }
}

// Per-thread scratch that grows and is reused across the rows a thread processes.
template <class X>
struct Scratch {
    std::vector<X> v;
    X* get(int64_t n) {
        if ((int64_t)v.size() < n) v.resize((size_t)n);
        return v.data();
    }
    // n elements from a 64-byte boundary with `front` more before it, for vector loads and
    // stores that do not split cache lines (measured: 8% on up_rows_u8).
    X* aligned(int64_t n, int64_t front) {
        constexpr int64_t k = 64 / sizeof(X);
        X* p = get(n + front + k) + front;
        return p + (k - (int64_t)((uintptr_t)p / sizeof(X) % k)) % k;
    }
};

}  // namespace PK_ISA_NS
}  // namespace pk
