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

// Two-tap rows (bilinear, every convention) with gathers: h[e] = w0[e] * s[i0[e]], then
// h[e] += w1[e] * s[i1[e]], per output element e (tables expanded over channels), the same
// arithmetic as horizontal_fixed. s is the source row in float, padded by 2N readable
// floats. Where a vector's taps all fall in 2N consecutive source values from base[b]
// (upscaling, mild downscaling) i0 / i1 hold offsets from base[b] and a two-register
// permute replaces the gather (kHasNear); base[b] < 0 marks a block that gathers.
template <class S>
void horizontal_gather(const float* __restrict s, float* __restrict h, int64_t n, const int32_t* i0,
                       const int32_t* i1, const float* w0, const float* w1, const int64_t* base) {
    int64_t e = 0;
    for (; e + S::N <= n; e += S::N) {
        typename S::V a, b;
        const int64_t bb = base[e / S::N];
        if constexpr (simd::kHasNear) {
            if (bb >= 0) {
                a = S::gather_near(s + bb, i0 + e);
                b = S::gather_near(s + bb, i1 + e);
            } else {
                a = S::gather(s, i0 + e);
                b = S::gather(s, i1 + e);
            }
        } else {
            a = S::gather(s, i0 + e);
            b = S::gather(s, i1 + e);
        }
        S::store(h + e, S::add(S::mul(S::load(w0 + e), a), S::mul(S::load(w1 + e), b)));
    }
    for (; e < n; ++e) {
        float v = w0[e] * s[i0[e]];
        h[e] = v + w1[e] * s[i1[e]];
    }
}

// The source row as float in buf, followed by 2N zeros (the permutes read past the end).
template <class S, class T>
const float* float_row(const T* s, int64_t n, Scratch<float>& buf) {
    float* f = buf.get(n + 2 * S::N);
    int64_t i = 0;
    for (; i + S::N <= n; i += S::N) S::store(f + i, S::load(s + i));
    for (; i < n; ++i) f[i] = load_c<float>(s[i]);
    std::fill(f + n, f + n + 2 * S::N, 0.0f);
    return f;
}

template <class S>
inline void store_u8_pair(uint8_t* o, typename S::V a, typename S::V b) {
    S::store_u8(o, a);
    S::store_u8(o + S::N, b);
}

// o = sum_k w[k] * rows[k], in order, vectorised over the row. T = C, or uint8 from float
// with kHasGather (rounded half to even and saturated in the same pass, like store_rounded).
template <class C, class T>
void vertical(const C* const* rows, const C* w, int ky, T* __restrict o, int64_t n) {
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
            if constexpr (std::is_same_v<T, C>) {
                V::store(o + x, a);
                V::store(o + x + N, b);
            } else {
                store_u8_pair<V>(o + x, a, b);
            }
        }
    }
    for (; x < n; ++x) {
        C s = w[0] * rows[0][x];
        for (int k = 1; k < ky; ++k) s = s + w[k] * rows[k][x];
        if constexpr (std::is_same_v<T, C>) o[x] = s;
        else o[x] = saturate_to<T>(std::nearbyint(s));
    }
}

template <class T>
void resample_impl(const Image& src, const Image& dst, const int32_t* iy, const double* wy, int ky,
                   const int32_t* ix, const double* wx, int kx, int nthreads) {
    using C = typename Compute<T>::type;
    const int64_t dh = dst.h, dw = dst.w, cn = src.cn, drowlen = dw * cn;
    const std::vector<C> cwy(wy, wy + dh * ky), cwx(wx, wx + dw * kx);

    // Two taps in float: per-element tables for the gather path (AVX2 / AVX-512).
    constexpr bool kGather = simd::kHasGather && std::is_same_v<C, float> && !std::is_same_v<T, uint16_t> &&
                             !std::is_same_v<T, int16_t>;
    // Many channels: horizontal_fixed runs along contiguous channels, better than element gathers.
    const bool gather = kGather && kx == 2 && cn <= 4;
    std::vector<int32_t> gi0, gi1;
    std::vector<float> gw0, gw1;
    std::vector<int64_t> gbase;
    if (gather) {
        const size_t ne = (size_t)drowlen;
        gi0.resize(ne); gi1.resize(ne); gw0.resize(ne); gw1.resize(ne);
        for (int64_t x = 0; x < dw; ++x)
            for (int64_t c = 0; c < cn; ++c) {
                const size_t e = (size_t)(x * cn + c);
                gi0[e] = (int32_t)(ix[2 * x] * cn + c);
                gi1[e] = (int32_t)(ix[2 * x + 1] * cn + c);
                gw0[e] = (float)cwx[(size_t)(2 * x)];
                gw1[e] = (float)cwx[(size_t)(2 * x + 1)];
            }
        constexpr int64_t N = simd::F32::N;
        gbase.assign((size_t)(drowlen / N), -1);
        for (int64_t b = 0; simd::kHasNear && b < drowlen / N; ++b) {
            const auto lo = std::min(*std::min_element(&gi0[(size_t)(b * N)], &gi0[(size_t)(b * N + N)]),
                                     *std::min_element(&gi1[(size_t)(b * N)], &gi1[(size_t)(b * N + N)]));
            const auto hi = std::max(*std::max_element(&gi0[(size_t)(b * N)], &gi0[(size_t)(b * N + N)]),
                                     *std::max_element(&gi1[(size_t)(b * N)], &gi1[(size_t)(b * N + N)]));
            if (hi - lo >= 2 * N) continue;
            gbase[(size_t)b] = lo;
            for (int64_t e = b * N; e < b * N + N; ++e) {
                gi0[(size_t)e] -= lo;
                gi1[(size_t)e] -= lo;
            }
        }
    }

    auto work = [&](int64_t begin, int64_t end) {
        Scratch<float> srow;
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
                    const T* row = (const T*)(src.plane(p) + (want - p * src.h) * src.sh);
                    bool done = false;
                    if constexpr (kGather) {
                        if (gather) {
                            horizontal_gather<simd::F32>(float_row<simd::F32>(row, src.w * cn, srow),
                                                         (float*)cache[slot].get(drowlen), drowlen, gi0.data(),
                                                         gi1.data(), gw0.data(), gw1.data(), gbase.data());
                            done = true;
                        }
                    }
                    if (!done) horizontal<T, C>(row, cache[slot].get(drowlen), dw, cn, ix, cwx.data(), kx);
                }
                used[slot] = tick;
                rows[k] = cache[slot].get(drowlen);
            }
            T* drow = (T*)(dst.plane(p) + y * dst.sh);
            if constexpr (std::is_same_v<T, C> || (kGather && std::is_same_v<T, uint8_t>)) {
                vertical<C, T>(rows.data(), cwy.data() + y * ky, ky, drow, drowlen);
            } else {
                C* o = obuf.get(drowlen);
                vertical<C, C>(rows.data(), cwy.data() + y * ky, ky, o, drowlen);
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
