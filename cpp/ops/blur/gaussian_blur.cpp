// gaussian_blur: a separable filter with symmetric odd kernels (the weights come from
// Python, by OpenCV's getGaussianKernel rule). Compiled once per ISA level.
//
// Arithmetic (the reference repeats it operation for operation, so results are exact):
// compute type C = double for uint16 and float64 images, float otherwise. With k[0] the
// centre weight and k[i] the weight at distance i (i = 1..r), a pass computes
//     s = k[r] * (x[-r] + x[+r]);  s = s + k[i] * (x[-i] + x[+i]) for i = r-1 .. 1;
//     s = s + k[0] * x[0]
// (r = 0: s = k[0] * x[0]), vertically into a row t, then horizontally over t.
//
// uint8 and uint16 use OpenCV's bit-exact fixed-point kernels (integer weights summing
// to 2^8 resp. 2^16, `shift` = 16 resp. 32 fraction bits in the product of both passes):
// every value above is then an integer below 2^24 (uint8, float) resp. 2^48 (uint16,
// double), so C computes it exactly, in any order, and the result is
// floor((s + 2^(shift-1)) / 2^shift), bit for bit what cv2.GaussianBlur gives.
// uint8's vertical pass runs in 16-bit lanes (its sums stay below 2^16). int16 and the
// float dtypes use float weights; int16 rounds half to even and saturates.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/border.hpp"
#include "core/grain.hpp"
#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "core/store.hpp"
#include "simd/simd.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

// The compute type: OpMath<T>, except uint16, whose 32-bit fixed-point products need
// double to stay exact (see the top of this file).
template <class T> using BlurMath = std::conditional_t<std::is_same_v<T, uint16_t>, double, OpMath<T>>;

// A pass computes R output rows at once from rows[0 .. 2r + R - 1]: output j has its taps
// at rows[j + r -+ i] and its centre at rows[j + r]. The vertical pass takes R > 1, so an
// input vector comes from L2 once and serves R outputs from L1 (2r + R lines per R outputs
// instead of 2r + 1 per output); the horizontal pass takes R = 1 with rows at offsets
// of t. Every output is computed in the order at the top of this file, whatever R.
template <class C, class T>
inline C taps(const T* const* rows, const C* k, int r, int j, int64_t x) {
    if (r == 0) return k[0] * load_c<C>(rows[j][x]);
    C s = k[r] * (load_c<C>(rows[j][x]) + load_c<C>(rows[j + 2 * r][x]));
    for (int i = r - 1; i >= 1; --i) s = s + k[i] * (load_c<C>(rows[j + r - i][x]) + load_c<C>(rows[j + r + i][x]));
    return s + k[0] * load_c<C>(rows[j + r][x]);
}

// run(x0, U) for the vectors of [0, n) of N lanes: kU at a time, then single ones, the
// last overlapping the one before (the same values again: a scalar tail on a short row
// would cost as much as its vectors). Returns where the scalar tail starts (n < N).
template <int N, int kU, class Run>
inline int64_t for_vectors(int64_t n, Run&& run) {
    int64_t x = 0;
    for (; x + kU * N <= n; x += kU * N) run(x, std::integral_constant<int, kU>());
    for (; x + N <= n; x += N) run(x, std::integral_constant<int, 1>());
    if (x < n && n >= N) {
        run(n - N, std::integral_constant<int, 1>());
        x = n;
    }
    return x;
}

// out[j][x] for x in [0, n), R rows at a time.
template <int R, class C, class T>
void pass(const T* const* rows, const C* k, int r, C* const* out, int64_t n) {
    int64_t x = 0;
    if constexpr (simd::kSimd) {
        using V = std::conditional_t<std::is_same_v<C, double>, simd::F64, simd::F32>;
        constexpr int N = V::N, kU = R == 1 ? 4 : 2;
        auto run = [&](int64_t x0, auto nu) {
            constexpr int U = decltype(nu)::value;
            typename V::V s[R][U];
            if (r == 0) {
                for (int j = 0; j < R; ++j)
                    for (int u = 0; u < U; ++u) s[j][u] = V::mul(V::set1(k[0]), V::load(rows[j] + x0 + u * N));
            } else {
                const typename V::V kr = V::set1(k[r]);
                for (int j = 0; j < R; ++j)
                    for (int u = 0; u < U; ++u)
                        s[j][u] = V::mul(kr, V::add(V::load(rows[j] + x0 + u * N), V::load(rows[j + 2 * r] + x0 + u * N)));
                for (int i = r - 1; i >= 1; --i) {
                    const typename V::V ki = V::set1(k[i]);
                    for (int j = 0; j < R; ++j)
                        for (int u = 0; u < U; ++u)
                            s[j][u] = V::add(s[j][u], V::mul(ki, V::add(V::load(rows[j + r - i] + x0 + u * N),
                                                                         V::load(rows[j + r + i] + x0 + u * N))));
                }
                const typename V::V k0 = V::set1(k[0]);
                for (int j = 0; j < R; ++j)
                    for (int u = 0; u < U; ++u) s[j][u] = V::add(s[j][u], V::mul(k0, V::load(rows[j + r] + x0 + u * N)));
            }
            for (int j = 0; j < R; ++j)
                for (int u = 0; u < U; ++u) V::store(out[j] + x0 + u * N, s[j][u]);
        };
        x = for_vectors<N, kU>(n, run);
    }
    for (; x < n; ++x)
        for (int j = 0; j < R; ++j) out[j][x] = taps<C>(rows, k, r, j, x);
}

// uint8's vertical pass in 16-bit lanes: with fixed-point weights (k[0] <= 256, k[i] <= 128
// for i >= 1, sum 256) every product and partial sum is below 2^16, so this is the float
// computation above, exactly (in any order), at twice the lanes.
template <int R, class U = simd::U16, class F = simd::F32>
void pass_u8(const uint8_t* const* rows, const float* k, int r, float* const* out, int64_t n) {
    int64_t x = 0;
    if constexpr (simd::kSimd) {
        constexpr int N = U::N, kU = R == 1 ? 2 : 1;
        auto run = [&](int64_t x0, auto nu) {
            constexpr int W = decltype(nu)::value;
            typename U::V s[R][W];
            const typename U::V k0 = U::set1((uint16_t)k[0]);
            for (int j = 0; j < R; ++j)
                for (int u = 0; u < W; ++u) s[j][u] = U::mul(k0, U::load_u8(rows[j + r] + x0 + u * N));
            for (int i = 1; i <= r; ++i) {
                const typename U::V ki = U::set1((uint16_t)k[i]);
                for (int j = 0; j < R; ++j)
                    for (int u = 0; u < W; ++u)
                        s[j][u] = U::add(s[j][u], U::mul(ki, U::add(U::load_u8(rows[j + r - i] + x0 + u * N),
                                                                    U::load_u8(rows[j + r + i] + x0 + u * N))));
            }
            for (int j = 0; j < R; ++j)
                for (int u = 0; u < W; ++u) {
                    typename F::V a, b;
                    F::widen(s[j][u], a, b);
                    F::store(out[j] + x0 + u * N, a);
                    F::store(out[j] + x0 + u * N + F::N, b);
                }
        };
        x = for_vectors<N, kU>(n, run);
    }
    for (; x < n; ++x)
        for (int j = 0; j < R; ++j) out[j][x] = taps<float>(rows, k, r, j, x);
}

// The output row from s: fixed point (shift > 0) floor((s + half) / 2^shift) (s >= 0 and
// exact, so truncation is the floor), saturated; the other dtypes as store_rounded.
template <class T, class C>
void store_row(const C* __restrict s, T* __restrict d, int64_t n, int shift) {
    if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, uint16_t>) {
        const C half = std::ldexp(C(1), shift - 1), inv = std::ldexp(C(1), -shift);
        using Int = std::conditional_t<std::is_same_v<T, uint8_t>, int32_t, int64_t>;
        for (int64_t i = 0; i < n; ++i) d[i] = (T)std::min<Int>((Int)((s[i] + half) * inv), std::numeric_limits<T>::max());
    } else {
        store_rounded<T, C>(s, d, n);
    }
}

// Output rows per vertical pass (see pass). uint8 takes one: its vertical pass in 16-bit
// lanes is cheap next to the horizontal pass in float, and one row of t stays in L1
// between the two (docs/performance.md, "gaussian_blur").
template <class T> constexpr int kRowsOf = std::is_same_v<T, uint8_t> ? 1 : 4;

// Whether rows `stride` bytes apart crowd the L1 cache: a pass reads 2 r + kRows rows at
// the same column, and rows whose offsets agree modulo 4 KiB (the span of one way of a
// 64-set L1, as on the Intel and AMD cores here) fall into the same set. More than 4 in
// one set (of 8 or 12 ways) and the lines evict each other before their reuse, as at
// every power-of-two row size; such rows are copied into a ring of unaliased rows.
inline bool rows_alias(int64_t stride, int nrows) {
    int in_set[64] = {0};
    for (int m = 0; m < nrows; ++m)
        if (++in_set[(uint64_t)(stride * m) % 4096 / 64] > 4) return true;
    return false;
}

template <class T>
void gaussian_blur_impl(const Image& src, const Image& dst, const double* ky, int nky, const double* kx, int nkx,
                        int shift, const BorderSpec& border, int nthreads) {
    using C = BlurMath<T>;
    const int64_t H = src.h, W = src.w, cn = src.cn, rowlen = W * cn;
    const int ry = nky / 2, rx = nkx / 2;
    const Border b = border.type;
    std::vector<C> cy(ry + 1), cx(rx + 1);  // centre first, then by distance
    for (int i = 0; i <= ry; ++i) cy[i] = C(ky[ry + i]);
    for (int i = 0; i <= rx; ++i) cx[i] = C(kx[rx + i]);
    T tval;  // the border value as the image stores it (the caller saturated it)
    if constexpr (std::is_same_v<T, half_t>) tval = half_t{float_to_half((float)border.value)};
    else tval = T(border.value);
    std::vector<T> constrow(b == Border::constant ? (size_t)std::max<int64_t>(rowlen, 1) : 1, tval);
    // A constant-border column of t: the vertical pass over constant rows.
    const std::vector<const T*> crows((size_t)(2 * ry + 1), constrow.data());
    const C cconst = taps<C>(crows.data(), cy.data(), ry, 0, 0);
    std::vector<int64_t> colmap((size_t)(W + 2 * rx));
    for (int64_t v = -rx; v < W + rx; ++v) colmap[(size_t)(v + rx)] = border_index(v, W, b);
    constexpr int kRows = kRowsOf<T>;
    const int nring = 2 * ry + kRows;
    const bool copy_rows = rows_alias(src.sh, nring);
    // A ring slot's stride: whole lines, one more at a time until rows_alias accepts it.
    int64_t slot_bytes = (rowlen * (int64_t)sizeof(T) + 63) / 64 * 64;
    while (copy_rows && rows_alias(slot_bytes, nring)) slot_bytes += 64;
    const int64_t slot = slot_bytes / (int64_t)sizeof(T);
    const int64_t tstride = ((rowlen + 2 * rx * cn) * (int64_t)sizeof(C) / 64 + 2) * 64 / (int64_t)sizeof(C);

    // Each thread takes a range of rows, kRows output rows per step: the vertical pass
    // into kRows rows of t, t's border columns filled from the columns they map to (or
    // the constant), then the horizontal pass over each.
    auto work = [&](int64_t begin, int64_t end) {
        Scratch<T> ringbuf;
        Scratch<C> tbuf, obuf;
        T* ring = copy_rows ? ringbuf.aligned(nring * slot, 0) : nullptr;
        C* tb = tbuf.aligned(kRows * tstride, 0);
        C* o = std::is_same_v<T, C> ? nullptr : obuf.aligned(rowlen, 0);
        std::vector<const T*> rows((size_t)nring);
        std::vector<const C*> trows((size_t)(2 * rx + 1));
        C* t[kRows];  // t[j][0] is column 0 of output row j; its border columns lie around it
        for (int j = 0; j < kRows; ++j) t[j] = tb + j * tstride + rx * cn;
        for (int64_t item = begin; item < end;) {
            const int64_t p = item / H, y0 = item % H, y1 = std::min(H, y0 + (end - item));
            item += y1 - y0;
            auto image_row = [&](int64_t v) {  // virtual row v
                const int64_t sy = border_index(v, H, b);
                return sy < 0 ? constrow.data() : (const T*)(src.plane(p) + sy * src.sh);
            };
            auto slot_of = [&](int64_t v) { return ring + ((v - y0 + ry) % nring) * slot; };
            auto fetch = [&](int64_t v) {  // row v in the ring: copied as it enters
                if (copy_rows) std::memcpy(slot_of(v), image_row(v), (size_t)rowlen * sizeof(T));
            };
            for (int64_t v = y0 - ry; v < y0 + ry; ++v) fetch(v);
            for (int64_t y = y0; y < y1;) {
                const int nr = (int)std::min<int64_t>(kRows, y1 - y);
                for (int j = 0; j < nr; ++j) fetch(y + ry + j);
                for (int m = 0; m < 2 * ry + nr; ++m) rows[(size_t)m] = copy_rows ? slot_of(y - ry + m) : image_row(y - ry + m);
                auto vertical = [&](auto nrows, int j) {  // output rows j .. j + nrows - 1
                    constexpr int R = decltype(nrows)::value;
                    if constexpr (std::is_same_v<T, uint8_t>) pass_u8<R>(rows.data() + j, cy.data(), ry, t + j, rowlen);
                    else pass<R, C, T>(rows.data() + j, cy.data(), ry, t + j, rowlen);
                };
                if (nr == kRows) vertical(std::integral_constant<int, kRows>(), 0);
                else for (int j = 0; j < nr; ++j) vertical(std::integral_constant<int, 1>(), j);  // the range's last rows
                for (int j = 0; j < nr; ++j) {
                    C* tj = t[j];
                    auto pad = [&](int64_t v) {  // virtual column v of t through the border
                        const int64_t m = colmap[(size_t)(v + rx)];
                        for (int64_t c = 0; c < cn; ++c) tj[v * cn + c] = m < 0 ? cconst : tj[m * cn + c];
                    };
                    for (int64_t v = -rx; v < 0; ++v) pad(v);
                    for (int64_t v = W; v < W + rx; ++v) pad(v);
                    for (int m = 0; m <= 2 * rx; ++m) trows[(size_t)m] = tj + (m - rx) * cn;
                    T* drow = (T*)(dst.plane(p) + (y + j) * dst.sh);
                    if constexpr (std::is_same_v<T, C>) {
                        pass<1, C, C>(trows.data(), cx.data(), rx, &drow, rowlen);
                    } else {
                        pass<1, C, C>(trows.data(), cx.data(), rx, &o, rowlen);
                        store_row<T, C>(o, drow, rowlen, shift);
                    }
                }
                y += nr;
            }
        }
    };
    const int64_t items = src.planes() * H;
    parallel_for(items, nthreads, grain::min_items(grain::kBlur, rowlen), work);
}

}  // namespace

PK_REGISTER(gaussian_blur, gaussian_blur_impl, PK_ALL_DTYPES);

}  // namespace PK_ISA_NS
}  // namespace pk
