// gaussian_blur: a separable filter with any odd taps per axis (the Gaussian weights are
// computed in Python by OpenCV's getGaussianKernel rule). Compiled once per ISA level.
//
// Arithmetic (the reference repeats it operation for operation, so results are exact):
// compute type C = double for float64 images, float otherwise; per output row, vertical
// first, t[x] = ((ky0 * r0[x] + ky1 * r1[x]) + ky2 * r2[x]) + ..., then horizontal the same
// way over t; integers round half to even and saturate, float16 rounds once at the end.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/common.hpp"
#include "pyramidkit/kernels.hpp"
#include "pyramidkit/parallel.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

template <class T> struct Compute { using type = float; };
template <> struct Compute<double> { using type = double; };

template <class T, class C>
inline C load_c(T v) {
    if constexpr (std::is_same_v<T, half_t>) return C(half_to_float(v.bits));
    else return C(v);
}

template <class T, class C>
void vertical_tap(const T* __restrict r, C k, C* __restrict t, int64_t n, bool first) {
    if (first)
        for (int64_t i = 0; i < n; ++i) t[i] = k * load_c<T, C>(r[i]);
    else
        for (int64_t i = 0; i < n; ++i) t[i] = t[i] + k * load_c<T, C>(r[i]);
}

template <class C>
void horizontal_tap(const C* __restrict t, C k, C* __restrict o, int64_t n, bool first) {
    if (first)
        for (int64_t i = 0; i < n; ++i) o[i] = k * t[i];
    else
        for (int64_t i = 0; i < n; ++i) o[i] = o[i] + k * t[i];
}

template <class T, class C>
void store_row(const C* __restrict o, T* __restrict d, int64_t n) {
    if constexpr (std::is_integral_v<T>) {
        for (int64_t i = 0; i < n; ++i) d[i] = saturate_to<T>(std::nearbyint(o[i]));
    } else if constexpr (std::is_same_v<T, half_t>) {
        float_to_half_row(o, d, n);
    } else {
        for (int64_t i = 0; i < n; ++i) d[i] = T(o[i]);
    }
}

template <class T>
void gaussian_blur_impl(const Image& src, const Image& dst, const double* ky, int nky, const double* kx, int nkx,
                        const BorderSpec& border, int nthreads) {
    using C = typename Compute<T>::type;
    const int64_t H = src.h, W = src.w, cn = src.cn, rowlen = W * cn;
    const int64_t ry = nky / 2, rx = nkx / 2;
    const Border b = border.type;
    std::vector<C> cy(ky, ky + nky), cx(kx, kx + nkx);
    // A constant-border pixel after the vertical pass: the same sum with every row = value.
    T tval;  // the border value as the image stores it (the caller saturated it)
    if constexpr (std::is_same_v<T, half_t>) tval = half_t{float_to_half((float)border.value)};
    else tval = T(border.value);
    const C cval = load_c<T, C>(tval);
    C cconst = 0;
    for (int i = 0; i < nky; ++i) cconst = i == 0 ? cy[0] * cval : cconst + cy[i] * cval;
    std::vector<T> constrow(b == Border::constant ? (size_t)rowlen : 0, tval);
    std::vector<int64_t> colmap((size_t)(W + 2 * rx));
    for (int64_t v = -rx; v < W + rx; ++v) colmap[(size_t)(v + rx)] = border_index(v, W, b);

    auto work = [&](int64_t begin, int64_t end) {
        Scratch<C> tbuf, obuf;
        C* t = tbuf.get((W + 2 * rx) * cn) + rx * cn;
        C* o = obuf.get(rowlen);
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / H, y = item % H;
            for (int i = 0; i < nky; ++i) {
                int64_t sy = border_index(y + i - ry, H, b);
                const T* r = sy < 0 ? constrow.data() : (const T*)(src.plane(p) + sy * src.sh);
                vertical_tap<T, C>(r, cy[i], t, rowlen, i == 0);
            }
            auto pad = [&](int64_t v) {  // virtual column v of t through the border
                int64_t m = colmap[(size_t)(v + rx)];
                for (int64_t c = 0; c < cn; ++c) t[v * cn + c] = m < 0 ? cconst : t[m * cn + c];
            };
            for (int64_t v = -rx; v < 0; ++v) pad(v);
            for (int64_t v = W; v < W + rx; ++v) pad(v);
            for (int j = 0; j < nkx; ++j) horizontal_tap<C>(t + (j - rx) * cn, cx[j], o, rowlen, j == 0);
            store_row<T, C>(o, (T*)(dst.plane(p) + y * dst.sh), rowlen);
        }
    };
    const int64_t items = src.planes() * H;
    parallel_for(items, nthreads, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, rowlen)), work);
}

}  // namespace

void fill_blur(KernelTable& t) { PK_FILL(gaussian_blur, gaussian_blur_impl) }

}  // namespace PK_ISA_NS
}  // namespace pk
