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
#include <map>
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
// permute replaces the gather (kHasPermute2); base[b] < 0 marks a block that gathers.
template <class S>
void horizontal_gather(const float* __restrict s, float* __restrict h, int64_t n, const int32_t* i0,
                       const int32_t* i1, const float* w0, const float* w1, const int64_t* base) {
    int64_t e = 0;
    for (; e + S::N <= n; e += S::N) {
        typename S::V a, b;
        const int64_t bb = base[e / S::N];
        if constexpr (simd::kHasPermute2) {
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

// Two-tap rows expanded over channels: element e = x * cn + c reads source elements
// i0[e] and i1[e] (ix: the column taps, two per output column).
inline void element_taps(const int32_t* ix, int64_t dw, int64_t cn, std::vector<int32_t>& i0,
                         std::vector<int32_t>& i1) {
    i0.resize((size_t)(dw * cn));
    i1.resize((size_t)(dw * cn));
    for (int64_t x = 0; x < dw; ++x)
        for (int64_t c = 0; c < cn; ++c) {
            i0[(size_t)(x * cn + c)] = (int32_t)(ix[2 * x] * cn + c);
            i1[(size_t)(x * cn + c)] = (int32_t)(ix[2 * x + 1] * cn + c);
        }
}

// The lowest and highest source element that elements [e0, e0 + n) read.
inline std::pair<int32_t, int32_t> tap_range(const std::vector<int32_t>& i0, const std::vector<int32_t>& i1,
                                             int64_t e0, int64_t n) {
    const int32_t *a = i0.data() + e0, *b = i1.data() + e0;
    return {std::min(*std::min_element(a, a + n), *std::min_element(b, b + n)),
            std::max(*std::max_element(a, a + n), *std::max_element(b, b + n))};
}

// A few horizontally filtered source rows per thread, reused by consecutive output rows.
template <class X>
class RowCache {
    std::vector<Scratch<X>> rows_;
    std::vector<int64_t> key_, used_;
    int64_t tick_ = 0;

public:
    explicit RowCache(int slots) : rows_((size_t)slots), key_((size_t)slots, -1), used_((size_t)slots, -1) {}
    void next_row() { ++tick_; }
    // Row `want` (n values): cached, or computed by fill(X*) into the least recently used
    // slot that the current output row does not need.
    template <class F>
    const X* get(int64_t want, int64_t n, F&& fill) {
        int slot = -1;
        for (int s = 0; s < (int)key_.size(); ++s)
            if (key_[s] == want) slot = s;
        if (slot < 0) {
            for (int s = 0; s < (int)key_.size(); ++s)
                if (used_[s] != tick_ && (slot < 0 || used_[s] < used_[slot])) slot = s;
            key_[slot] = want;
            fill(rows_[slot].get(n));
        }
        used_[slot] = tick_;
        return rows_[slot].get(n);
    }
};

// uint8 bilinear whose weights are all multiples of 2^-q (q <= 8 over both axes: x2, x4,
// /2, 1.5x, ...), on AVX-512: the float path's arithmetic is then exact, so the same
// result comes from 16-bit integers, h = Wx0 s0 + Wx1 s1 (weights scaled by 2^qx), then
// o = round_half_even((Wy0 h0 + Wy1 h1) / 2^(qx+qy)); the taps gathered by 16-bit
// two-register permutes. Half the bytes and fewer operations than float rows.

// q if every weight pair of the axis is a multiple of 2^-q summing to 1 (0 <= q <= 8), else -1.
[[maybe_unused]] inline int dyadic_shift(const double* w, int64_t pairs) {
    for (int q = 0; q <= 8; ++q) {
        const double scale = double(1 << q);
        bool ok = true;
        for (int64_t i = 0; ok && i < pairs; ++i) {
            const double a = w[2 * i] * scale, b = w[2 * i + 1] * scale;
            ok = a >= 0 && b >= 0 && a == std::floor(a) && b == std::floor(b) && a + b == scale;
        }
        if (ok) return q;
    }
    return -1;
}

// Per-element tables of the dyadic path; empty when it does not apply.
// A block of N output elements reads the source from base[b] on, with the lane offsets
// and weights of pattern pid[b]: pat[pid * 4N ..] holds i0, i1, w0, w1 (N each). Regular
// scales repeat a handful of patterns, so the tables the loop reads stay in L1.
struct DyadicTables {
    int qx = -1, qy = -1;
    std::vector<uint16_t> pat, w0, w1, wy;  // w0 / w1: per element, for the tail
    std::vector<int32_t> a0, a1, pid;       // a0 / a1: absolute indices, for the tail
    std::vector<int64_t> base;
    bool ok() const { return qx >= 0; }
};

[[maybe_unused]] inline DyadicTables dyadic_tables(const int32_t* ix, const double* wx, int64_t dw, const double* wy, int64_t dh,
                                                   int64_t cn) {
    DyadicTables t;
    if constexpr (simd::kHasPermute2) {
        constexpr int64_t N = simd::kLanes<uint16_t>;
        const int qx = dyadic_shift(wx, dw), qy = dyadic_shift(wy, dh);
        if (qx < 0 || qy < 0 || qx + qy > 8) return t;
        const int64_t n = dw * cn;
        element_taps(ix, dw, cn, t.a0, t.a1);
        t.w0.resize((size_t)n);
        t.w1.resize((size_t)n);
        for (int64_t x = 0; x < dw; ++x)
            for (int64_t c = 0; c < cn; ++c) {
                t.w0[(size_t)(x * cn + c)] = (uint16_t)(wx[2 * x] * (1 << qx));
                t.w1[(size_t)(x * cn + c)] = (uint16_t)(wx[2 * x + 1] * (1 << qx));
            }
        t.base.resize((size_t)(n / N));
        t.pid.resize((size_t)(n / N));
        std::map<std::vector<uint16_t>, int32_t> ids;
        for (int64_t b = 0; b < n / N; ++b) {
            const size_t e0 = (size_t)(b * N);
            const auto [lo, hi] = tap_range(t.a0, t.a1, b * N, N);
            if (hi - lo >= 2 * N) return DyadicTables{};  // taps too far apart for a permute
            t.base[(size_t)b] = lo;
            std::vector<uint16_t> key(4 * N);
            for (int64_t k = 0; k < N; ++k) {
                key[(size_t)k] = (uint16_t)(t.a0[e0 + k] - lo);
                key[(size_t)(N + k)] = (uint16_t)(t.a1[e0 + k] - lo);
                key[(size_t)(2 * N + k)] = t.w0[e0 + k];
                key[(size_t)(3 * N + k)] = t.w1[e0 + k];
            }
            const auto [it, added] = ids.emplace(key, (int32_t)ids.size());
            if (added) t.pat.insert(t.pat.end(), key.begin(), key.end());
            t.pid[(size_t)b] = it->second;
        }
        t.wy.resize((size_t)(2 * dh));
        for (int64_t i = 0; i < 2 * dh; ++i) t.wy[(size_t)i] = (uint16_t)(wy[i] * (1 << qy));
        t.qx = qx;
        t.qy = qy;
    }
    (void)ix; (void)wx; (void)dw; (void)wy; (void)dh; (void)cn;
    return t;
}

// o = round_half_even((wy0 h0 + wy1 h1) / 2^q), n values. A function of its own with
// values, not captures, so stores cannot make the compiler reload q and n.
template <class S>
void vertical_dyadic(const uint16_t* __restrict h0, const uint16_t* __restrict h1, uint8_t* __restrict o,
                     const int64_t n, const uint16_t wy0, const uint16_t wy1, const int q, const bool stream) {
    constexpr int64_t N = S::N;
    const uint16_t half = q > 0 ? uint16_t((1 << (q - 1)) - 1) : 0;
    auto scalar = [=](int64_t i) {
        const int64_t v = int64_t(wy0) * h0[i] + int64_t(wy1) * h1[i];
        o[i] = uint8_t(q > 0 ? (v + half + ((v >> q) & 1)) >> q : v);
    };
    const typename S::V v0 = S::set1(wy0), v1 = S::set1(wy1), vh = S::set1(half), one = S::set1(q > 0 ? 1 : 0);
    auto vec = [=](int64_t x) {
        const typename S::V v = S::add(S::mul(v0, S::load(h0 + x)), S::mul(v1, S::load(h1 + x)));
        return S::shr_n(S::add(S::add(v, vh), S::and_(S::shr_n(v, q), one)), q);  // q = 0: v + 0 + 0
    };
    int64_t x = 0;
    if (stream) {
        for (; x < n && (uintptr_t)(o + x) % (2 * N); ++x) scalar(x);
        for (; x + 2 * N <= n; x += 2 * N) S::stream_u8x2(o + x, vec(x), vec(x + N));
    }
    for (; x + 2 * N <= n; x += 2 * N) S::store_u8x2(o + x, vec(x), vec(x + N));
    for (; x < n; ++x) scalar(x);
}

template <class T>  // uint8_t; a template so that levels without U16::gather_near skip it
void resample_u8_dyadic(const Image& src, const Image& dst, const int32_t* iy, const DyadicTables& t,
                        int nthreads) {
    if constexpr (simd::kHasPermute2) {
        using S = std::conditional_t<std::is_same_v<T, uint8_t>, simd::U16, void>;
        constexpr int64_t N = S::N;
        const int64_t dh = dst.h, n = dst.w * src.cn, rowlen = src.w * src.cn;
        const int q = t.qx + t.qy;
        // Large outputs into reused memory: streamed stores (no read for ownership), as pyr_up.
        const bool stream = stream_output<uint8_t>(dst, Writes::direct);
        auto work = [&](int64_t begin, int64_t end) {
            Scratch<uint16_t> wide;
            RowCache<uint16_t> cache(3);
            // Table pointers in locals: stores through h / o may alias the vectors' members,
            // which would reload them after every store.
            const uint16_t *pat = t.pat.data(), *tw0 = t.w0.data(), *tw1 = t.w1.data();
            const int32_t *ta0 = t.a0.data(), *ta1 = t.a1.data(), *pid = t.pid.data();
            const int64_t* tbase = t.base.data();
            auto hrow = [&](const uint8_t* __restrict s, uint16_t* __restrict h) {
                uint16_t* w = wide.get(rowlen + 2 * N);  // widened, then 2N zeros (permutes read past the end)
                int64_t i = 0;
                for (; i + N <= rowlen; i += N) S::store(w + i, S::load_u8(s + i));
                for (; i < rowlen + 2 * N; ++i) w[i] = i < rowlen ? s[i] : 0;
                int64_t e = 0;
                for (; e + N <= n; e += N) {
                    const uint16_t* b = w + tbase[e / N];
                    const uint16_t* q = pat + pid[e / N] * 4 * N;
                    S::store(h + e, S::add(S::mul(S::load(q + 2 * N), S::gather_near(b, q)),
                                           S::mul(S::load(q + 3 * N), S::gather_near(b, q + N))));
                }
                for (; e < n; ++e) h[e] = uint16_t(tw0[e] * s[ta0[e]] + tw1[e] * s[ta1[e]]);
            };
            for (int64_t item = begin; item < end; ++item) {
                const int64_t p = item / dh, y = item % dh;
                cache.next_row();
                const uint16_t* h[2];
                for (int k = 0; k < 2; ++k) {
                    const int64_t sy = iy[2 * y + k];
                    h[k] = cache.get(p * src.h + sy, n, [&](uint16_t* out) {
                        hrow((const uint8_t*)(src.plane(p) + sy * src.sh), out);
                    });
                }
                vertical_dyadic<S>(h[0], h[1], (uint8_t*)(dst.plane(p) + y * dst.sh), n, t.wy[(size_t)(2 * y)],
                                   t.wy[(size_t)(2 * y + 1)], q, stream);
            }
            if (stream) stream_fence();
        };
        parallel_for(src.planes() * dh, nthreads, grain::min_items(grain::kResample, n), work);
    }
    (void)src; (void)dst; (void)iy; (void)t; (void)nthreads;
}

template <class T>
void resample_impl(const Image& src, const Image& dst, const int32_t* iy, const double* wy, int ky,
                   const int32_t* ix, const double* wx, int kx, int nthreads) {
    using C = OpMath<T>;
    const int64_t dh = dst.h, dw = dst.w, cn = src.cn, drowlen = dw * cn;
    if constexpr (std::is_same_v<T, uint8_t> && simd::kHasPermute2) {
        if (kx == 2 && ky == 2 && cn <= 4) {
            const DyadicTables t = dyadic_tables(ix, wx, dw, wy, dh, cn);
            if (t.ok()) return resample_u8_dyadic<T>(src, dst, iy, t, nthreads);
        }
    }
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
        element_taps(ix, dw, cn, gi0, gi1);
        gw0.resize((size_t)drowlen);
        gw1.resize((size_t)drowlen);
        for (int64_t x = 0; x < dw; ++x)
            for (int64_t c = 0; c < cn; ++c) {
                gw0[(size_t)(x * cn + c)] = (float)cwx[(size_t)(2 * x)];
                gw1[(size_t)(x * cn + c)] = (float)cwx[(size_t)(2 * x + 1)];
            }
        constexpr int64_t N = simd::kLanes<float> > 0 ? simd::kLanes<float> : 1;
        gbase.assign((size_t)(drowlen / N), -1);
        for (int64_t b = 0; simd::kHasPermute2 && b < drowlen / N; ++b) {
            const auto [lo, hi] = tap_range(gi0, gi1, b * N, N);
            if (hi - lo >= 2 * N) continue;
            gbase[(size_t)b] = lo;
            for (int64_t e = b * N; e < b * N + N; ++e) {
                gi0[(size_t)e] -= lo;
                gi1[(size_t)e] -= lo;
            }
        }
    }

    // float rows are streamed by the store rule (stream_output), counting the whole array
    // dst is a part of (PSP's upsampled maps fill slices of one large output).
    const bool stream = std::is_same_v<T, C> && stream_output<T>(dst, Writes::staged);
    auto work = [&](int64_t begin, int64_t end) {
        Scratch<float> srow;
        RowCache<C> cache(ky + 1);
        std::vector<const C*> rows((size_t)ky), at((size_t)ky);
        Scratch<C> obuf;
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / dh, y = item % dh;
            cache.next_row();
            for (int k = 0; k < ky; ++k) {
                const int64_t sy = iy[y * ky + k];
                rows[(size_t)k] = cache.get(p * src.h + sy, drowlen, [&](C* h) {
                    const T* row = (const T*)(src.plane(p) + sy * src.sh);
                    if constexpr (kGather) {
                        if (gather) {
                            horizontal_gather<simd::F32>(float_row<simd::F32>(row, src.w * cn, srow), (float*)h, drowlen,
                                                         gi0.data(), gi1.data(), gw0.data(), gw1.data(), gbase.data());
                            return;
                        }
                    }
                    horizontal<T, C>(row, h, dw, cn, ix, cwx.data(), kx);
                });
            }
            T* drow = (T*)(dst.plane(p) + y * dst.sh);
            if (stream) {  // staged in L1-sized pieces (stream implies T == C)
                constexpr int64_t piece = 4096 / sizeof(C);
                C* o = obuf.get(piece);
                for (int64_t x0 = 0; x0 < drowlen; x0 += piece) {
                    const int64_t len = std::min(piece, drowlen - x0);
                    for (int k = 0; k < ky; ++k) at[(size_t)k] = rows[(size_t)k] + x0;
                    vertical<C, C>(at.data(), cwy.data() + y * ky, ky, o, len);
                    stream_copy(drow + x0, o, len * (int64_t)sizeof(T));
                }
            } else if constexpr (std::is_same_v<T, C> || (kGather && std::is_same_v<T, uint8_t>)) {
                vertical<C, T>(rows.data(), cwy.data() + y * ky, ky, drow, drowlen);
            } else {
                C* o = obuf.get(drowlen);
                vertical<C, C>(rows.data(), cwy.data() + y * ky, ky, o, drowlen);
                store_rounded<T, C>(o, drow, drowlen);
            }
        }
        if (stream) stream_fence();
    };
    parallel_for(src.planes() * dh, nthreads, grain::min_items(grain::kResample, drowlen), work);
}

}  // namespace

PK_REGISTER(resample, resample_impl, PK_ALL_DTYPES);

}  // namespace PK_ISA_NS
}  // namespace pk
