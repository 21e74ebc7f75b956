// pyr_down / pyr_up: the Gaussian pyramid reduce and expand steps, 5-tap [1 4 6 4 1]/16.
// Compiled once per ISA level (PK_ISA_NS names the namespace); see CMakeLists.txt.
#include <algorithm>
#include <vector>

#include "kernels/common.hpp"
#include "pyramidkit/kernels.hpp"
#include "pyramidkit/parallel.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

// Below this many output elements per thread, threading costs more than it saves.
constexpr int64_t kMinElemsPerThread = 1 << 15;

// ---------------------------------------------------------------- pyr_down
//
// dst(y, x) = sum_ij k_i k_j src(B(2y+i-2), B(2x+j-2)) / 256, k = [1 4 6 4 1], B the
// border rule on each axis; exactly OpenCV's definition, for any dst size it accepts.
//
// Order: vertical first. Each output row sums 5 source rows at full width into t (pure
// vertical adds, no shuffles), then decimates t horizontally. Doing the horizontal pass
// second halves the work that needs stride-2 access compared with OpenCV's order.

template <class I, class A>
inline void down_vertical(const I* __restrict r0, const I* __restrict r1, const I* __restrict r2,
                          const I* __restrict r3, const I* __restrict r4, A* __restrict t, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        t[i] = A(((r0[i] + r4[i]) + (r1[i] + r3[i]) * 4) + r2[i] * 6);
}

// Explicit-vector cn == 1 decimation for uint8 and float32 (stride-2 reads vectorise
// poorly). Returns the first x not processed; same arithmetic and order as the scalar loop.
inline int64_t down_horizontal_simd(const uint16_t* __restrict t, uint8_t* __restrict out, int64_t dw) {
    int64_t x = 0;
    // t <= 4080, so pairs fit signed 16-bit madd: (t[2x-2] + 4 t[2x-1]) + (6 t[2x] + 4 t[2x+1]) + t[2x+2].
#if defined(__AVX2__)
    const __m256i w14 = _mm256_set1_epi32(0x00040001), w64 = _mm256_set1_epi32(0x00040006),
                  w10 = _mm256_set1_epi32(0x00000001), r = _mm256_set1_epi32(128);
    auto eight = [&](const uint16_t* p) {
        __m256i a = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i*)(p - 2)), w14);
        __m256i b = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i*)(p)), w64);
        __m256i c = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i*)(p + 2)), w10);
        return _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, r)), 8);
    };
    for (; x + 16 <= dw; x += 16) {
        __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi32(eight(t + 2 * x), eight(t + 2 * x + 16)), 0xD8);
        _mm_storeu_si128((__m128i*)(out + x),
                         _mm_packus_epi16(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1)));
    }
#elif defined(__SSE2__)
    const __m128i w14 = _mm_set1_epi32(0x00040001), w64 = _mm_set1_epi32(0x00040006),
                  w10 = _mm_set1_epi32(0x00000001), r = _mm_set1_epi32(128);
    auto four = [&](const uint16_t* p) {
        __m128i a = _mm_madd_epi16(_mm_loadu_si128((const __m128i*)(p - 2)), w14);
        __m128i b = _mm_madd_epi16(_mm_loadu_si128((const __m128i*)(p)), w64);
        __m128i c = _mm_madd_epi16(_mm_loadu_si128((const __m128i*)(p + 2)), w10);
        return _mm_srai_epi32(_mm_add_epi32(_mm_add_epi32(a, b), _mm_add_epi32(c, r)), 8);
    };
    for (; x + 16 <= dw; x += 16) {
        __m128i lo = _mm_packs_epi32(four(t + 2 * x), four(t + 2 * x + 8));
        __m128i hi = _mm_packs_epi32(four(t + 2 * x + 16), four(t + 2 * x + 24));
        _mm_storeu_si128((__m128i*)(out + x), _mm_packus_epi16(lo, hi));
    }
#endif
    (void)t; (void)out; (void)dw;
    return x;
}

inline int64_t down_horizontal_simd(const float* __restrict t, float* __restrict out, int64_t dw) {
    int64_t x = 0;
#if defined(__AVX2__)
    const __m256 four = _mm256_set1_ps(4.0f), six = _mm256_set1_ps(6.0f), scale = _mm256_set1_ps(1.0f / 256);
    // even/odd samples of 16 consecutive floats starting at p, in order
    auto split = [](const float* p, __m256& ev, __m256& od) {
        __m256 v0 = _mm256_loadu_ps(p), v1 = _mm256_loadu_ps(p + 8);
        ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(v0, v1, 0x88)), 0xD8));
        od = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(v0, v1, 0xDD)), 0xD8));
    };
    for (; x + 8 <= dw; x += 8) {
        __m256 em, om, e0, o0, ep, op;  // samples 2x-2+2k (em), 2x-1+2k (om), 2x+2k, 2x+1+2k, 2x+2+2k
        split(t + 2 * x - 2, em, om);
        split(t + 2 * x, e0, o0);
        split(t + 2 * x + 2, ep, op);
        __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(em, ep), _mm256_mul_ps(_mm256_add_ps(om, o0), four)),
                                 _mm256_mul_ps(e0, six));
        _mm256_storeu_ps(out + x, _mm256_mul_ps(s, scale));
    }
#endif
    (void)t; (void)out; (void)dw;
    return x;
}

// Interleaved channels (2 <= CN <= 4): filter at full resolution, where every tap is a
// contiguous load at a constant offset, then keep the even pixels. Twice the arithmetic
// of a direct decimation but all of it vectorised; the direct version would gather.
template <int CN, class T>
inline void down_horizontal_fullres(const typename Traits<T>::A* __restrict t, typename Traits<T>::I* __restrict f,
                                    typename Traits<T>::I* __restrict out, int64_t dw) {
    using A = typename Traits<T>::A;
    const int64_t n = (2 * dw - 1) * CN;
    for (int64_t j = 0; j < n; ++j)
        f[j] = Traits<T>::down(A(((t[j - 2 * CN] + t[j + 2 * CN]) + (t[j - CN] + t[j + CN]) * 4) + t[j] * 6));
    for (int64_t x = 0; x < dw; ++x)
        for (int c = 0; c < CN; ++c) out[x * CN + c] = f[2 * x * CN + c];
}

// t points at pixel 0 of a row padded by 2 pixels on the left and 3 on the right.
template <int CN, class T>
inline void down_horizontal(const typename Traits<T>::A* __restrict t, typename Traits<T>::I* __restrict out,
                            int64_t dw, int64_t cn_rt) {
    using A = typename Traits<T>::A;
    const int64_t cn = CN > 0 ? CN : cn_rt;
    if constexpr (CN == 1) {
        int64_t x = 0;
        if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, float>) x = down_horizontal_simd(t, out, dw);
        for (; x < dw; ++x) {
            const A* p = t + 2 * x;
            out[x] = Traits<T>::down(A(((p[-2] + p[2]) + (p[-1] + p[1]) * 4) + p[0] * 6));
        }
    } else {
        for (int64_t x = 0; x < dw; ++x) {
            const A* p = t + 2 * x * cn;
            typename Traits<T>::I* o = out + x * cn;
            for (int64_t c = 0; c < cn; ++c)
                o[c] = Traits<T>::down(
                    A(((p[c - 2 * cn] + p[c + 2 * cn]) + (p[c - cn] + p[c + cn]) * 4) + p[c] * 6));
        }
    }
}

template <class T>
void pyr_down_impl(const Image& src, const Image& dst, const BorderSpec& border, int nthreads) {
    using I = typename Traits<T>::I;
    using A = typename Traits<T>::A;
    const int64_t H = src.h, W = src.w, cn = src.cn, dh = dst.h, dw = dst.w;
    const int64_t rowlen = W * cn;
    const Border b = border.type;
    const I cval = I(border.value);

    // Column pads: virtual pixels -2, -1 and W .. W+2 (2*dw <= W+2 by the size rule).
    int64_t padmap[5];
    for (int k = 0; k < 5; ++k) padmap[k] = border_index(k < 2 ? k - 2 : W + (k - 2), W, b);
    const std::vector<I> constrow(b == Border::constant ? (size_t)rowlen : 0, cval);

    auto work = [&](int64_t begin, int64_t end) {
        Scratch<A> tbuf;
        Scratch<I> conv[5];  // float16 rows converted to float32
        Scratch<I> fbuf;
        RowSink<T> sink(dst);
        A* t0 = tbuf.get((W + 5) * cn);
        A* t = t0 + 2 * cn;
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / dh, y = item % dh;
            const char* splane = src.plane(p);
            const I* rows[5];
            for (int k = 0; k < 5; ++k) {
                int64_t sy = border_index(2 * y + k - 2, H, b);
                rows[k] = sy < 0 ? constrow.data()
                                 : read_row((const T*)(splane + sy * src.sh), conv[k].get(rowlen), rowlen);
            }
            down_vertical(rows[0], rows[1], rows[2], rows[3], rows[4], t, rowlen);
            for (int k = 0; k < 5; ++k) {
                A* pad = t + (k < 2 ? (k - 2) * cn : (W + k - 2) * cn);
                if (padmap[k] < 0)
                    for (int64_t c = 0; c < cn; ++c) pad[c] = A(cval * 16);
                else
                    for (int64_t c = 0; c < cn; ++c) pad[c] = t[padmap[k] * cn + c];
            }
            T* drow = (T*)(dst.plane(p) + y * dst.sh);
            I* out = sink.row(drow, dw * cn);
            switch (cn) {
                case 1: down_horizontal<1, T>(t, out, dw, cn); break;
                case 2: down_horizontal_fullres<2, T>(t, fbuf.get(2 * dw * cn), out, dw); break;
                case 3: down_horizontal_fullres<3, T>(t, fbuf.get(2 * dw * cn), out, dw); break;
                case 4: down_horizontal_fullres<4, T>(t, fbuf.get(2 * dw * cn), out, dw); break;
                default: down_horizontal<0, T>(t, out, dw, cn); break;
            }
            sink.finish(drow, out, dw * cn);
        }
    };
    const int64_t items = src.planes() * dh;
    parallel_for(items, nthreads, std::max<int64_t>(1, kMinElemsPerThread / std::max<int64_t>(1, dw * cn)), work);
}

// ---------------------------------------------------------------- pyr_up
//
// Zero-insertion upsampling followed by the 5-tap filter times 4 per axis. Per axis:
//   out[2i] = (s[i-1] + 6 s[i] + s[i+1]) / 8,   out[2i+1] = (s[i] + s[i+1]) * 4 / 8.
// s outside the image comes from the border rule on the source grid. "reflect101" is
// OpenCV's rule: it reflects on the upsampled grid, which on the source grid means
// s[-1] = s[1] and s[W] = s[W-1]; an odd extra column (dst width 2W+1) repeats column
// 2W-1 and an odd extra row (dst height 2H+1) repeats row 2H-2, both as cv2.pyrUp does.
//
// Order: horizontal first into a ring of 3 rows (each source row filtered once), then a
// vertical pass that writes two output rows with plain vertical adds.

inline int64_t up_index(int64_t v, int64_t len, Border b, bool is_row) {
    if (b == Border::reflect101 && v >= len)
        return border_index(v, len, is_row ? Border::reflect : Border::replicate);
    return border_index(v, len, b);
}

// Interior of the cn == 1 horizontal pass for the common dtypes with explicit vectors:
// the outputs interleave even and odd samples, which compilers vectorise poorly. Same
// operation order as the scalar loop, so every ISA level gives the same bits.
// Returns the first i it did not process.
inline int64_t up_horizontal_simd(const uint8_t* __restrict s, uint16_t* __restrict h, int64_t last) {
    int64_t i = 1;
#if defined(__AVX2__)
    for (; i + 15 <= last; i += 16) {
        __m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(s + i - 1)));
        __m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(s + i)));
        __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(s + i + 1)));
        __m256i ev = _mm256_add_epi16(_mm256_add_epi16(a, c),
                                      _mm256_add_epi16(_mm256_slli_epi16(b, 2), _mm256_slli_epi16(b, 1)));
        __m256i od = _mm256_slli_epi16(_mm256_add_epi16(b, c), 2);
        __m256i lo = _mm256_unpacklo_epi16(ev, od), hi = _mm256_unpackhi_epi16(ev, od);
        _mm256_storeu_si256((__m256i*)(h + 2 * i), _mm256_permute2x128_si256(lo, hi, 0x20));
        _mm256_storeu_si256((__m256i*)(h + 2 * i + 16), _mm256_permute2x128_si256(lo, hi, 0x31));
    }
#elif defined(__SSE2__)
    const __m128i z = _mm_setzero_si128();
    for (; i + 15 <= last; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i*)(s + i - 1));
        __m128i b = _mm_loadu_si128((const __m128i*)(s + i));
        __m128i c = _mm_loadu_si128((const __m128i*)(s + i + 1));
        for (int half = 0; half < 2; ++half) {
            __m128i a16 = half ? _mm_unpackhi_epi8(a, z) : _mm_unpacklo_epi8(a, z);
            __m128i b16 = half ? _mm_unpackhi_epi8(b, z) : _mm_unpacklo_epi8(b, z);
            __m128i c16 = half ? _mm_unpackhi_epi8(c, z) : _mm_unpacklo_epi8(c, z);
            __m128i ev = _mm_add_epi16(_mm_add_epi16(a16, c16),
                                       _mm_add_epi16(_mm_slli_epi16(b16, 2), _mm_slli_epi16(b16, 1)));
            __m128i od = _mm_slli_epi16(_mm_add_epi16(b16, c16), 2);
            _mm_storeu_si128((__m128i*)(h + 2 * i + 16 * half), _mm_unpacklo_epi16(ev, od));
            _mm_storeu_si128((__m128i*)(h + 2 * i + 16 * half + 8), _mm_unpackhi_epi16(ev, od));
        }
    }
#endif
    (void)s; (void)h; (void)last;
    return i;
}

inline int64_t up_horizontal_simd(const float* __restrict s, float* __restrict h, int64_t last) {
    int64_t i = 1;
#if defined(__AVX2__)
    const __m256 six = _mm256_set1_ps(6.0f), four = _mm256_set1_ps(4.0f);
    for (; i + 7 <= last; i += 8) {
        __m256 a = _mm256_loadu_ps(s + i - 1), b = _mm256_loadu_ps(s + i), c = _mm256_loadu_ps(s + i + 1);
        __m256 ev = _mm256_add_ps(_mm256_add_ps(a, _mm256_mul_ps(b, six)), c);
        __m256 od = _mm256_mul_ps(_mm256_add_ps(b, c), four);
        __m256 lo = _mm256_unpacklo_ps(ev, od), hi = _mm256_unpackhi_ps(ev, od);
        _mm256_storeu_ps(h + 2 * i, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(h + 2 * i + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
#elif defined(__SSE2__)
    const __m128 six = _mm_set1_ps(6.0f), four = _mm_set1_ps(4.0f);
    for (; i + 3 <= last; i += 4) {
        __m128 a = _mm_loadu_ps(s + i - 1), b = _mm_loadu_ps(s + i), c = _mm_loadu_ps(s + i + 1);
        __m128 ev = _mm_add_ps(_mm_add_ps(a, _mm_mul_ps(b, six)), c);
        __m128 od = _mm_mul_ps(_mm_add_ps(b, c), four);
        _mm_storeu_ps(h + 2 * i, _mm_unpacklo_ps(ev, od));
        _mm_storeu_ps(h + 2 * i + 4, _mm_unpackhi_ps(ev, od));
    }
#endif
    (void)s; (void)h; (void)last;
    return i;
}

template <int CN, class T>
inline void up_horizontal(const typename Traits<T>::I* __restrict s, typename Traits<T>::A* __restrict h,
                          int64_t W, int64_t dw, int64_t cn_rt, const int64_t* colmap,
                          typename Traits<T>::I cval) {
    using A = typename Traits<T>::A;
    using I = typename Traits<T>::I;
    const int64_t cn = CN > 0 ? CN : cn_rt;
    // Virtual source pixel v (-1 <= v <= W+1) through the column map.
    auto at = [&](int64_t v, int64_t c) -> I {
        int64_t m = colmap[v + 1];
        return m < 0 ? cval : s[m * cn + c];
    };
    auto edge = [&](int64_t i) {
        for (int64_t c = 0; c < cn; ++c) {
            if (2 * i < dw) h[2 * i * cn + c] = A((at(i - 1, c) + at(i, c) * 6) + at(i + 1, c));
            if (2 * i + 1 < dw) h[(2 * i + 1) * cn + c] = A((at(i, c) + at(i + 1, c)) * 4);
        }
    };
    // Interior: i-1 and i+1 inside the row and both outputs inside dst.
    const int64_t last = std::min(W - 2, (dw - 2) / 2);
    edge(0);
    if constexpr (CN == 1) {
        int64_t i = 1;
        if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, float>)
            i = up_horizontal_simd(s, h, last);
        for (; i <= last; ++i) {
            h[2 * i] = A((s[i - 1] + s[i] * 6) + s[i + 1]);
            h[2 * i + 1] = A((s[i] + s[i + 1]) * 4);
        }
    } else {
        for (int64_t i = 1; i <= last; ++i) {
            const I* q = s + i * cn;
            A* o = h + 2 * i * cn;
            for (int64_t c = 0; c < cn; ++c) {
                o[c] = A((q[c - cn] + q[c] * 6) + q[c + cn]);
                o[c + cn] = A((q[c] + q[c + cn]) * 4);
            }
        }
    }
    for (int64_t i = std::max<int64_t>(1, last + 1); 2 * i < dw; ++i) edge(i);
}

// Separate functions with restrict pointers: inline in the lambda, a uint8_t output
// may alias everything and the loop stays scalar.
template <class T>
void up_vertical_even(const typename Traits<T>::A* __restrict h0, const typename Traits<T>::A* __restrict h1,
                      const typename Traits<T>::A* __restrict h2, typename Traits<T>::I* __restrict out, int64_t n) {
    using A = typename Traits<T>::A;
    for (int64_t i = 0; i < n; ++i) out[i] = Traits<T>::up(A((h0[i] + h1[i] * 6) + h2[i]));
}

template <class T>
void up_vertical_odd(const typename Traits<T>::A* __restrict h1, const typename Traits<T>::A* __restrict h2,
                     typename Traits<T>::I* __restrict out, int64_t n) {
    using A = typename Traits<T>::A;
    for (int64_t i = 0; i < n; ++i) out[i] = Traits<T>::up(A((h1[i] + h2[i]) * 4));
}

template <class T>
void pyr_up_impl(const Image& src, const Image& dst, const BorderSpec& border, int nthreads) {
    using I = typename Traits<T>::I;
    using A = typename Traits<T>::A;
    const int64_t H = src.h, W = src.w, cn = src.cn, dh = dst.h, dw = dst.w;
    const int64_t rowlen = W * cn, drowlen = dw * cn;
    const Border b = border.type;
    const I cval = I(border.value);

    std::vector<int64_t> colmap((size_t)W + 3);
    for (int64_t v = -1; v <= W + 1; ++v) colmap[(size_t)(v + 1)] = up_index(v, W, b, false);
    const int64_t npairs = (dh + 1) / 2;

    auto work = [&](int64_t begin, int64_t end) {
        Scratch<A> ring[3];
        int64_t key[3] = {INT64_MIN, INT64_MIN, INT64_MIN};  // item-plane * (H+3) + v
        Scratch<I> conv;
        RowSink<T> sink(dst);
        // Horizontal row of virtual source row v of plane p, computed once per thread.
        auto hrow = [&](int64_t p, int64_t v) -> const A* {
            int slot = (int)(((v % 3) + 3) % 3);
            int64_t k = p * (H + 3) + (v + 1);
            A* h = ring[slot].get(drowlen);
            if (key[slot] == k) return h;
            key[slot] = k;
            int64_t sy = up_index(v, H, b, true);
            if (sy < 0) {
                std::fill(h, h + drowlen, A(cval * 8));
            } else {
                const I* s = read_row((const T*)(src.plane(p) + sy * src.sh), conv.get(rowlen), rowlen);
                switch (cn) {
                    case 1: up_horizontal<1, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                    case 2: up_horizontal<2, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                    case 3: up_horizontal<3, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                    case 4: up_horizontal<4, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                    default: up_horizontal<0, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                }
            }
            return h;
        };
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / npairs, j = item % npairs;
            const A* h0 = hrow(p, j - 1);
            const A* h1 = hrow(p, j);
            const A* h2 = hrow(p, j + 1);
            char* dplane = dst.plane(p);
            for (int64_t par = 0; par < 2; ++par) {
                const int64_t y = 2 * j + par;
                if (y >= dh) break;
                T* drow = (T*)(dplane + y * dst.sh);
                I* out = sink.row(drow, drowlen);
                if (par == 0) up_vertical_even<T>(h0, h1, h2, out, drowlen);
                else up_vertical_odd<T>(h1, h2, out, drowlen);
                sink.finish(drow, out, drowlen);
            }
        }
    };
    const int64_t items = src.planes() * npairs;
    parallel_for(items, nthreads, std::max<int64_t>(1, kMinElemsPerThread / std::max<int64_t>(1, 2 * drowlen)), work);
}

}  // namespace

void fill_pyramid(KernelTable& t) {
    t.pyr_down[(int)DType::u8] = pyr_down_impl<uint8_t>;
    t.pyr_down[(int)DType::u16] = pyr_down_impl<uint16_t>;
    t.pyr_down[(int)DType::i16] = pyr_down_impl<int16_t>;
    t.pyr_down[(int)DType::f16] = pyr_down_impl<half_t>;
    t.pyr_down[(int)DType::f32] = pyr_down_impl<float>;
    t.pyr_down[(int)DType::f64] = pyr_down_impl<double>;
    t.pyr_up[(int)DType::u8] = pyr_up_impl<uint8_t>;
    t.pyr_up[(int)DType::u16] = pyr_up_impl<uint16_t>;
    t.pyr_up[(int)DType::i16] = pyr_up_impl<int16_t>;
    t.pyr_up[(int)DType::f16] = pyr_up_impl<half_t>;
    t.pyr_up[(int)DType::f32] = pyr_up_impl<float>;
    t.pyr_up[(int)DType::f64] = pyr_up_impl<double>;
}

}  // namespace PK_ISA_NS
}  // namespace pk
