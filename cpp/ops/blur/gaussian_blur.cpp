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

// One output of a pass: rows (or columns) lo[i] / hi[i] at distance i, mid the centre.
template <class C, class T>
inline C taps(const T* const* lo, const T* const* hi, const T* mid, const C* k, int r, int64_t x) {
    if (r == 0) return k[0] * load_c<C>(mid[x]);
    C s = k[r] * (load_c<C>(lo[r][x]) + load_c<C>(hi[r][x]));
    for (int i = r - 1; i >= 1; --i) s = s + k[i] * (load_c<C>(lo[i][x]) + load_c<C>(hi[i][x]));
    return s + k[0] * load_c<C>(mid[x]);
}

// out[x] = taps(...) for x in [0, n): kU vectors at a time, weights held in registers.
template <class C, class T>
void pass(const T* const* lo, const T* const* hi, const T* mid, const C* k, int r, C* __restrict out, int64_t n) {
    int64_t x = 0;
    if constexpr (simd::kSimd) {
        using V = std::conditional_t<std::is_same_v<C, double>, simd::F64, simd::F32>;
        constexpr int N = V::N, kU = 4;
        for (; x + kU * N <= n; x += kU * N) {
            typename V::V s[kU];
            if (r == 0) {
                for (int u = 0; u < kU; ++u) s[u] = V::mul(V::set1(k[0]), V::load(mid + x + u * N));
            } else {
                const typename V::V kr = V::set1(k[r]);
                for (int u = 0; u < kU; ++u)
                    s[u] = V::mul(kr, V::add(V::load(lo[r] + x + u * N), V::load(hi[r] + x + u * N)));
                for (int i = r - 1; i >= 1; --i) {
                    const typename V::V ki = V::set1(k[i]);
                    for (int u = 0; u < kU; ++u)
                        s[u] = V::add(s[u], V::mul(ki, V::add(V::load(lo[i] + x + u * N), V::load(hi[i] + x + u * N))));
                }
                const typename V::V k0 = V::set1(k[0]);
                for (int u = 0; u < kU; ++u) s[u] = V::add(s[u], V::mul(k0, V::load(mid + x + u * N)));
            }
            for (int u = 0; u < kU; ++u) V::store(out + x + u * N, s[u]);
        }
    }
    for (; x < n; ++x) out[x] = taps<C>(lo, hi, mid, k, r, x);
}

// uint8's vertical pass in 16-bit lanes: with fixed-point weights (k[0] <= 256, k[i] <= 128
// for i >= 1, sum 256) every product and partial sum is below 2^16, so this is the float
// computation above, exactly, at twice the lanes.
template <class U = simd::U16, class F = simd::F32>
void pass_u8(const uint8_t* const* lo, const uint8_t* const* hi, const uint8_t* mid, const float* k, int r,
             float* __restrict out, int64_t n) {
    int64_t x = 0;
    if constexpr (simd::kSimd) {
        constexpr int N = U::N, kU = 2;
        for (; x + kU * N <= n; x += kU * N) {
            typename U::V s[kU];
            const typename U::V k0 = U::set1((uint16_t)k[0]);
            for (int u = 0; u < kU; ++u) s[u] = U::mul(k0, U::load_u8(mid + x + u * N));
            for (int i = 1; i <= r; ++i) {
                const typename U::V ki = U::set1((uint16_t)k[i]);
                for (int u = 0; u < kU; ++u)
                    s[u] = U::add(s[u], U::mul(ki, U::add(U::load_u8(lo[i] + x + u * N), U::load_u8(hi[i] + x + u * N))));
            }
            for (int u = 0; u < kU; ++u) {
                typename F::V a, b;
                F::widen(s[u], a, b);
                F::store(out + x + u * N, a);
                F::store(out + x + u * N + F::N, b);
            }
        }
    }
    for (; x < n; ++x) out[x] = taps<float>(lo, hi, mid, k, r, x);
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
    std::vector<const T*> crow((size_t)ry + 1, constrow.data());
    const C cconst = taps<C>(crow.data(), crow.data(), constrow.data(), cy.data(), ry, 0);
    std::vector<int64_t> colmap((size_t)(W + 2 * rx));
    for (int64_t v = -rx; v < W + rx; ++v) colmap[(size_t)(v + rx)] = border_index(v, W, b);

    auto work = [&](int64_t begin, int64_t end) {
        Scratch<C> tbuf, obuf;
        C* t = tbuf.get((W + 2 * rx) * cn) + rx * cn;
        C* o = std::is_same_v<T, C> ? nullptr : obuf.get(rowlen);
        std::vector<const T*> lo((size_t)ry + 1), hi((size_t)ry + 1);
        std::vector<const C*> tlo((size_t)rx + 1), thi((size_t)rx + 1);
        for (int i = 1; i <= rx; ++i) {
            tlo[i] = t - i * cn;
            thi[i] = t + i * cn;
        }
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / H, y = item % H;
            auto row = [&](int64_t v) {
                int64_t sy = border_index(v, H, b);
                return sy < 0 ? constrow.data() : (const T*)(src.plane(p) + sy * src.sh);
            };
            for (int i = 1; i <= ry; ++i) {
                lo[i] = row(y - i);
                hi[i] = row(y + i);
            }
            if constexpr (std::is_same_v<T, uint8_t>) pass_u8(lo.data(), hi.data(), row(y), cy.data(), ry, t, rowlen);
            else pass<C, T>(lo.data(), hi.data(), row(y), cy.data(), ry, t, rowlen);
            auto pad = [&](int64_t v) {  // virtual column v of t through the border
                int64_t m = colmap[(size_t)(v + rx)];
                for (int64_t c = 0; c < cn; ++c) t[v * cn + c] = m < 0 ? cconst : t[m * cn + c];
            };
            for (int64_t v = -rx; v < 0; ++v) pad(v);
            for (int64_t v = W; v < W + rx; ++v) pad(v);
            T* drow = (T*)(dst.plane(p) + y * dst.sh);
            if constexpr (std::is_same_v<T, C>) {
                pass<C, C>(tlo.data(), thi.data(), t, cx.data(), rx, drow, rowlen);
            } else {
                pass<C, C>(tlo.data(), thi.data(), t, cx.data(), rx, o, rowlen);
                store_row<T, C>(o, drow, rowlen, shift);
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
