// pyr_up's rows, shared by pyr_up.cpp and laplacian.cpp: the horizontal pass into a ring
// of rows (UpRows) and the vertical pass that makes two output rows of each source row.
#pragma once
#include <algorithm>
#include <vector>

#include "core/store.hpp"
#include "ops/pyramid/taps.hpp"

namespace pk {
namespace PK_ISA_NS {
// Private to each kernel file that includes this header (internal linkage: the compiler
// inlines these as if they were written there).
namespace {

// pyr_up: // Zero-insertion upsampling followed by the 5-tap filter times 4 per axis. Per axis:
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

// Interior of the cn == 1 horizontal pass for uint8 and float32 with explicit vectors:
// the outputs interleave even and odd samples, which compilers vectorise poorly. Same
// operation order as the scalar loop, so every ISA level gives the same bits.
// Returns the first i it did not process.
template <class T>
inline int64_t up_horizontal_simd(const typename Traits<T>::I* __restrict s, typename Traits<T>::A* __restrict h,
                                  int64_t last) {
    int64_t i = 1;
    if constexpr (simd::kSimd && std::is_same_v<T, uint8_t>) {
        using S = simd::Dependent<simd::U16, T>;
        for (; i + S::N - 1 <= last; i += S::N) {
            typename S::V a = S::load_u8(s + i - 1), b = S::load_u8(s + i), c = S::load_u8(s + i + 1), lo, hi;
            S::zip(S::add(S::add(a, S::mul(b, S::set1(6))), c), S::template shl<2>(S::add(b, c)), lo, hi);
            S::store(h + 2 * i, lo);
            S::store(h + 2 * i + S::N, hi);
        }
    } else if constexpr (simd::kSimd && std::is_same_v<T, float>) {
        using S = simd::Dependent<simd::F32, T>;
        for (; i + S::N - 1 <= last; i += S::N) {
            typename S::V a = S::load(s + i - 1), b = S::load(s + i), c = S::load(s + i + 1), lo, hi;
            S::zip(S::add(S::add(a, S::mul(b, S::set1(6.0f))), c), S::mul(S::add(b, c), S::set1(4.0f)), lo, hi);
            S::store(h + 2 * i, lo);
            S::store(h + 2 * i + S::N, hi);
        }
    }
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
        for (int64_t i = up_horizontal_simd<T>(s, h, last); i <= last; ++i) {
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
    int64_t i = 0;
    if constexpr (simd::kSimd && std::is_same_v<T, uint8_t>) {  // 16-bit lanes: sums <= 255 * 64 + 32
        using S = simd::Dependent<simd::U16, T>;
        auto one = [&](int64_t k) {
            typename S::V v = S::add(S::add(S::load(h0 + k), S::mul(S::load(h1 + k), S::set1(6))), S::load(h2 + k));
            return S::template shr<6>(S::add(v, S::set1(32)));
        };
        for (; i + 2 * S::N <= n; i += 2 * S::N) S::store_u8x2(out + i, one(i), one(i + S::N));
    }
    for (; i < n; ++i) out[i] = Traits<T>::up(A((h0[i] + h1[i] * 6) + h2[i]));
}

template <class T>
void up_vertical_odd(const typename Traits<T>::A* __restrict h1, const typename Traits<T>::A* __restrict h2,
                     typename Traits<T>::I* __restrict out, int64_t n) {
    using A = typename Traits<T>::A;
    int64_t i = 0;
    if constexpr (simd::kSimd && std::is_same_v<T, uint8_t>) {
        using S = simd::Dependent<simd::U16, T>;
        auto one = [&](int64_t k) {
            typename S::V v = S::template shl<2>(S::add(S::load(h1 + k), S::load(h2 + k)));
            return S::template shr<6>(S::add(v, S::set1(32)));
        };
        for (; i + 2 * S::N <= n; i += 2 * S::N) S::store_u8x2(out + i, one(i), one(i + S::N));
    }
    for (; i < n; ++i) out[i] = Traits<T>::up(A((h1[i] + h2[i]) * 4));
}

// pyr_up's column map: the source column of virtual columns -1 .. W+1 (-1: the constant).
inline std::vector<int64_t> up_colmap(int64_t W, Border b) {
    std::vector<int64_t> colmap((size_t)W + 3);
    for (int64_t v = -1; v <= W + 1; ++v) colmap[(size_t)(v + 1)] = up_index(v, W, b, false);
    return colmap;
}

// Output row 2j + par (par 0 or 1) from the horizontal rows of virtual source rows j-1, j, j+1.
template <class T>
inline void up_vertical(const typename Traits<T>::A* h0, const typename Traits<T>::A* h1,
                        const typename Traits<T>::A* h2, typename Traits<T>::I* out, int64_t n, int par) {
    if (par == 0) up_vertical_even<T>(h0, h1, h2, out, n);
    else up_vertical_odd<T>(h1, h2, out, n);
}

// The horizontal pass over src's rows into a ring of three rows (one per thread): output
// rows 2j and 2j + 1 combine the rows of virtual source rows j-1, j, j+1, and each is
// computed once as j advances.
template <class T>
class UpRows {
    using I = typename Traits<T>::I;
    using A = typename Traits<T>::A;
    const Image& src_;
    int64_t dw_;
    Border b_;
    I cval_;
    const int64_t* colmap_;
    Scratch<A> ring_[3];
    int64_t key_[3] = {INT64_MIN, INT64_MIN, INT64_MIN};  // plane * (H+3) + v + 1
    Scratch<I> conv_;

public:
    UpRows(const Image& src, int64_t dw, const BorderSpec& border, const int64_t* colmap)
        : src_(src), dw_(dw), b_(border.type), cval_(I(border.value)), colmap_(colmap) {}

    // The horizontal row of virtual source row v of plane p (dw * cn values).
    const A* row(int64_t p, int64_t v) {
        const int64_t H = src_.h, W = src_.w, cn = src_.cn, rowlen = W * cn, drowlen = dw_ * cn;
        const int slot = (int)(((v % 3) + 3) % 3);
        const int64_t k = p * (H + 3) + (v + 1);
        A* h = ring_[slot].get(drowlen);
        if (key_[slot] == k) return h;
        key_[slot] = k;
        const int64_t sy = up_index(v, H, b_, true);
        if (sy < 0) {
            std::fill(h, h + drowlen, A(cval_ * 8));
        } else {
            const I* s = read_row((const T*)(src_.plane(p) + sy * src_.sh), conv_.get(rowlen), rowlen);
            switch (cn) {
                case 1: up_horizontal<1, T>(s, h, W, dw_, cn, colmap_, cval_); break;
                case 2: up_horizontal<2, T>(s, h, W, dw_, cn, colmap_, cval_); break;
                case 3: up_horizontal<3, T>(s, h, W, dw_, cn, colmap_, cval_); break;
                case 4: up_horizontal<4, T>(s, h, W, dw_, cn, colmap_, cval_); break;
                default: up_horizontal<0, T>(s, h, W, dw_, cn, colmap_, cval_); break;
            }
        }
        return h;
    }
};

}  // namespace
}  // namespace PK_ISA_NS
}  // namespace pk
