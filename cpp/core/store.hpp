// Output stores and scratch: the non-temporal store rule (one rule for every kernel),
// streaming copies, the per-thread row sink, per-thread scratch and rounded row stores.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/dtype.hpp"
#include "core/portability.hpp"
#include "simd/simd.hpp"
#if PK_SSE2
#include <immintrin.h>
#endif

namespace pk {
namespace PK_ISA_NS {

// Non-temporal stores skip the read-for-ownership of each output line, a third of the
// traffic of a large output, but leave the lines out of cache. So an output is streamed
// when it is much larger than the caches, it is not fresh (a fresh page's lines are in
// cache after the OS zeroes it on first touch), and its rows are not read again soon.
// Kernels that stage a row in scratch and copy it out (RowSink) pay a second pass over
// it, so they stream from kStreamBytes; kernels that store whole vectors straight to dst
// stream from kStreamBytesDirect. The measurements behind both: docs/performance.md.
enum class Writes { staged, direct };
constexpr int64_t kStreamBytes = int64_t(32) << 20;
constexpr int64_t kStreamBytesDirect = int64_t(4) << 20;

template <class T>
inline bool stream_output(const Image& dst, Writes writes) {
    if (dst.fresh) return false;
    const int64_t bytes = std::max(dst.whole_bytes, dst.elements() * (int64_t)sizeof(T));
    return bytes >= (writes == Writes::staged ? kStreamBytes : kStreamBytesDirect);
}

inline void stream_copy(void* __restrict dst, const void* __restrict src, int64_t n) {
    char* d = static_cast<char*>(dst);
    const char* s = static_cast<const char*>(src);
#if PK_SSE2
    int64_t head = std::min<int64_t>(n, (16 - (int64_t)((uintptr_t)d & 15)) & 15);
    std::memcpy(d, s, (size_t)head);
    int64_t i = head;
#if defined(__AVX512F__)
    // Whole lines per store: a line written in parts by NT stores can leave its
    // write-combining buffer partial.
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
#if PK_SSE2
    _mm_sfence();
#endif
}

// Where a kernel writes an output row: straight into dst, or into per-thread scratch when
// the row must be converted (float16) or streamed (outputs >= kStreamBytes); finish()
// moves a staged row to dst. One per thread; its destructor fences streamed stores.
template <class T>
class RowSink {
    using I = Loaded<T>;
    static constexpr bool kHalf = std::is_same_v<T, half_t>;
    bool stream_;
    std::vector<I> buf_[4];

public:
    // allow_stream = false for rows that are read again soon (pyramid levels).
    explicit RowSink(const Image& dst, bool allow_stream = true)
        : stream_(allow_stream && !kHalf && stream_output<T>(dst, Writes::staged)) {}
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

// A source row as Loaded<T>: the row itself, or float16 converted into scratch.
template <class T>
inline const Loaded<T>* read_row(const T* row, Loaded<T>* scratch, int64_t n) {
    if constexpr (std::is_same_v<T, half_t>) {
        half_to_float_row(row, scratch, n);
        return scratch;
    } else {
        (void)scratch; (void)n;
        return row;
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
    // stores that do not split cache lines.
    X* aligned(int64_t n, int64_t front) {
        constexpr int64_t k = 64 / sizeof(X);
        X* p = get(n + front + k) + front;
        return p + (k - (int64_t)((uintptr_t)p / sizeof(X) % k)) % k;
    }
};

// A row of compute-type results stored as T: integers round half to even and saturate,
// float16 rounds once, the other floats convert.
template <class T, class C>
void store_rounded(const C* __restrict o, T* __restrict d, int64_t n) {
    if constexpr (std::is_integral_v<T>) {
        int64_t i = 0;
        if constexpr (simd::kHasRoundU8 && std::is_same_v<T, uint8_t> && std::is_same_v<C, float>) {
            using S = std::conditional_t<std::is_same_v<C, float>, simd::F32, C>;  // dependent
            for (; i + S::N <= n; i += S::N) S::store_u8(d + i, S::load(o + i));
        }
        for (; i < n; ++i) d[i] = saturate_to<T>(std::nearbyint(o[i]));
    } else if constexpr (std::is_same_v<T, half_t>) {
        float_to_half_row(o, d, n);
    } else {
        for (int64_t i = 0; i < n; ++i) d[i] = T(o[i]);
    }
}

}  // namespace PK_ISA_NS
}  // namespace pk
