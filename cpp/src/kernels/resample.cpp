// resample: the separable kernel behind resize and interpolate. Every coordinate
// convention, mode (bilinear, nearest, nearest-exact) and the antialiasing filter reduce to
// per-axis tap tables that Python computes: output column x reads source columns
// ix[x*kx + k] with weights wx[x*kx + k] (k < kx), rows likewise with iy / wy.
//
// Arithmetic (the reference repeats it): compute type C = double for float64 images,
// float otherwise. Horizontal first, per source row: h[x] = w0 * s[i0]; h[x] = h[x] + wk * s[ik]
// for k = 1.. ; then per output row o[x] = wy0 * h_0[x]; o[x] = o[x] + wyk * h_k[x]. Integers
// round half to even and saturate; float16 rounds once at the end.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/common.hpp"
#include "kernels/simd.hpp"
#include "pyramidkit/kernels.hpp"
#include "pyramidkit/parallel.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

template <class T> struct Compute { using type = float; };
template <> struct Compute<double> { using type = double; };

// One source row through the horizontal taps, cn channels per pixel. CN > 0 / K > 0 fix the
// channel and tap counts at compile time (the loops unroll: bilinear with 1-4 channels).
template <int CN, int K, class T, class C>
void horizontal_fixed(const T* __restrict s, C* __restrict h, int64_t dw, int64_t cn_rt, const int32_t* ix,
                      const C* wx, int kx_rt) {
    const int64_t cn = CN > 0 ? CN : cn_rt;
    const int kx = K > 0 ? K : kx_rt;
    for (int64_t x = 0; x < dw; ++x) {
        const int32_t* i = ix + x * kx;
        const C* w = wx + x * kx;
        C* o = h + x * cn;
        const T* s0 = s + (int64_t)i[0] * cn;
        for (int64_t c = 0; c < cn; ++c) o[c] = w[0] * load_c<C>(s0[c]);
        for (int k = 1; k < kx; ++k) {
            const T* sk = s + (int64_t)i[k] * cn;
            for (int64_t c = 0; c < cn; ++c) o[c] = o[c] + w[k] * load_c<C>(sk[c]);
        }
    }
}

template <class T, class C>
void horizontal(const T* s, C* h, int64_t dw, int64_t cn, const int32_t* ix, const C* wx, int kx) {
    if (kx == 2) {
        switch (cn) {
            case 1: return horizontal_fixed<1, 2>(s, h, dw, cn, ix, wx, kx);
            case 2: return horizontal_fixed<2, 2>(s, h, dw, cn, ix, wx, kx);
            case 3: return horizontal_fixed<3, 2>(s, h, dw, cn, ix, wx, kx);
            case 4: return horizontal_fixed<4, 2>(s, h, dw, cn, ix, wx, kx);
            default: break;
        }
    }
    horizontal_fixed<0, 0>(s, h, dw, cn, ix, wx, kx);
}

// o = sum_k w[k] * rows[k], in order, vectorised over the row.
template <class C>
void vertical(const C* const* rows, const C* w, int ky, C* __restrict o, int64_t n) {
    int64_t x = 0;
    if constexpr (simd::kSimd) {
        using V = std::conditional_t<std::is_same_v<C, double>, simd::F64, simd::F32>;
        constexpr int N = V::N;
        for (; x + 2 * N <= n; x += 2 * N) {
            typename V::V w0 = V::set1(w[0]);
            typename V::V a = V::mul(w0, V::load(rows[0] + x)), b = V::mul(w0, V::load(rows[0] + x + N));
            for (int k = 1; k < ky; ++k) {
                typename V::V wk = V::set1(w[k]);
                a = V::add(a, V::mul(wk, V::load(rows[k] + x)));
                b = V::add(b, V::mul(wk, V::load(rows[k] + x + N)));
            }
            V::store(o + x, a);
            V::store(o + x + N, b);
        }
    }
    for (; x < n; ++x) {
        C s = w[0] * rows[0][x];
        for (int k = 1; k < ky; ++k) s = s + w[k] * rows[k][x];
        o[x] = s;
    }
}

template <class T>
void resample_impl(const Image& src, const Image& dst, const int32_t* iy, const double* wy, int ky,
                   const int32_t* ix, const double* wx, int kx, int nthreads) {
    using C = typename Compute<T>::type;
    const int64_t dh = dst.h, dw = dst.w, cn = src.cn, drowlen = dw * cn;
    const std::vector<C> cwy(wy, wy + dh * ky), cwx(wx, wx + dw * kx);

    auto work = [&](int64_t begin, int64_t end) {
        // A few horizontally filtered source rows, reused by consecutive output rows.
        const int slots = ky + 1;
        std::vector<Scratch<C>> cache((size_t)slots);
        std::vector<int64_t> key((size_t)slots, -1), used((size_t)slots, -1);
        std::vector<const C*> rows((size_t)ky);
        Scratch<C> obuf;
        int64_t tick = 0;
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / dh, y = item % dh;
            ++tick;
            for (int k = 0; k < ky; ++k) {
                const int64_t want = p * src.h + iy[y * ky + k];
                int slot = -1;
                for (int s = 0; s < slots; ++s)
                    if (key[s] == want) slot = s;
                if (slot < 0) {  // the least recently used slot not needed by this row
                    for (int s = 0; s < slots; ++s)
                        if (used[s] != tick && (slot < 0 || used[s] < used[slot])) slot = s;
                    key[slot] = want;
                    horizontal<T, C>((const T*)(src.plane(p) + (want - p * src.h) * src.sh), cache[slot].get(drowlen),
                                     dw, cn, ix, cwx.data(), kx);
                }
                used[slot] = tick;
                rows[k] = cache[slot].get(drowlen);
            }
            T* drow = (T*)(dst.plane(p) + y * dst.sh);
            if constexpr (std::is_same_v<T, C>) {
                vertical<C>(rows.data(), cwy.data() + y * ky, ky, drow, drowlen);
            } else {
                C* o = obuf.get(drowlen);
                vertical<C>(rows.data(), cwy.data() + y * ky, ky, o, drowlen);
                store_rounded<T, C>(o, drow, drowlen);
            }
        }
    };
    parallel_for(src.planes() * dh, nthreads, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, drowlen)), work);
}

}  // namespace

void fill_resample(KernelTable& t) { PK_FILL(resample, resample_impl) }

}  // namespace PK_ISA_NS
}  // namespace pk
