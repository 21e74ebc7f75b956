// downsample: the N-D box mean and the N-D gaussian ([1 4 6 4 1] / 16 with factor 2) over
// z (the n1 planes of the Image), y (rows) and x (pixels), channels and the n0 planes
// carried. Per output row: the weighted sum of the input rows its z and y taps name, in
// tap order (z outer, y inner), into an accumulator row; then the x taps of that row.
// Integers sum exactly (int32 where it cannot overflow, else int64) and round once, half
// up; floats sum in OpMath<T> with weights already divided by their axis' total (powers of
// two: exact), the mean divides once.
#include <cstring>
#include <vector>

#include "core/border.hpp"
#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "core/store.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

// Per output index of one axis: its taps (input index, or -1 for the constant) and weights.
struct AxisTaps {
    std::vector<int64_t> first;   // taps of output o: [first[o], first[o + 1])
    std::vector<int64_t> index;
    std::vector<int64_t> weight;
    int64_t total = 1;            // sum of one output's weights (gaussian: 16 or 1)
    std::vector<int64_t> count;   // mean: samples inside the image per output
};

AxisTaps axis_taps(int64_t n, int64_t m, int64_t f, bool gaussian, Border border) {
    AxisTaps t;
    t.first.push_back(0);
    static const int64_t k5[5] = {1, 4, 6, 4, 1};
    for (int64_t o = 0; o < m; ++o) {
        if (gaussian && f == 2) {
            for (int k = 0; k < 5; ++k) {
                t.index.push_back(border_index(2 * o + k - 2, n, border));
                t.weight.push_back(k5[k]);
            }
        } else {
            const int64_t end = gaussian ? o + 1 : std::min(n, f * o + f);
            for (int64_t i = gaussian ? o : f * o; i < end; ++i) {
                t.index.push_back(i);
                t.weight.push_back(1);
            }
            t.count.push_back(end - (gaussian ? o : f * o));
        }
        t.first.push_back((int64_t)t.index.size());
    }
    t.total = gaussian && f == 2 ? 16 : 1;
    return t;
}

constexpr int64_t k5x[5] = {1, 4, 6, 4, 1};

// Outputs [ox0, ox1) of a row whose x taps are all inside: out = sum_t w[t] acc[fx*ox + off[t]]
// (channels interleaved), in tap order from zero like the general loop, so an output has
// the same bits whichever loop computes it. CC and FX fixed at compile time where known.
template <int CC, int FX, class A>
void interior(const A* __restrict acc, A* __restrict out, int64_t ox0, int64_t ox1, int64_t c_rt,
              const int64_t* off, const A* w, int nt, int64_t fx_rt) {
    const int64_t C = CC ? CC : c_rt, fx = FX ? FX : fx_rt;
    for (int64_t k = ox0 * C; k < ox1 * C; ++k) out[k] = A(0);
    for (int t = 0; t < nt; ++t) {
        const A wt = w[t];
        const A* a = acc + off[t] * C;
        for (int64_t ox = ox0; ox < ox1; ++ox)
            for (int64_t c = 0; c < C; ++c) out[ox * C + c] += wt * a[fx * ox * C + c];
    }
}

template <int CC, class A>
void interior_fx(const A* acc, A* out, int64_t ox0, int64_t ox1, int64_t c, const int64_t* off, const A* w, int nt,
                 int64_t fx) {
    if (fx == 2)
        interior<CC, 2>(acc, out, ox0, ox1, c, off, w, nt, fx);
    else
        interior<CC, 0>(acc, out, ox0, ox1, c, off, w, nt, fx);
}

// len sums of n samples each, stored as their means: integers round half up (a shift when
// n is a power of two), floats divide once.
template <class T, class A>
void mean_store(A* __restrict o, T* __restrict d, int64_t len, int64_t n) {
    if constexpr (!std::is_integral_v<A>) {
        for (int64_t k = 0; k < len; ++k) o[k] = o[k] / A(n);
        store_rounded(o, d, len);
    } else if ((n & (n - 1)) == 0) {
        int sh = 0;
        while ((int64_t(1) << sh) < n) ++sh;
        const A half = A(n >> 1);
        for (int64_t k = 0; k < len; ++k) d[k] = T((o[k] + half) >> sh);
    } else {
        const int64_t den = 2 * n;
        for (int64_t k = 0; k < len; ++k) {
            const int64_t num = 2 * int64_t(o[k]) + n;   // floor(num / den)
            d[k] = T(num >= 0 ? num / den : -((-num + den - 1) / den));
        }
    }
}

template <class T, class A>
void run(const Image& src, const Image& dst, const DownsampleSpec& sp, const BorderSpec& border, int nthreads) {
    using L = Loaded<T>;
    constexpr bool kFloat = !std::is_integral_v<A>;
    const AxisTaps tz = axis_taps(src.n1, dst.n1, sp.fz, sp.gaussian, border.type);
    const AxisTaps ty = axis_taps(src.h, dst.h, sp.fy, sp.gaussian, border.type);
    const AxisTaps tx = axis_taps(src.w, dst.w, sp.fx, sp.gaussian, border.type);
    const int64_t C = src.cn, rowlen = src.w * C, outlen = dst.w * C;
    const int64_t total = tz.total * ty.total * tx.total;
    int shift = 0;
    while ((int64_t(1) << shift) < total) ++shift;
    const A value = A(border.value);
    const int64_t rows = dst.n0 * dst.n1 * dst.h;
    // Interior outputs along x: every tap inside, at offsets xoff from fx * ox.
    const int64_t fx = sp.fx;
    const int nxt = sp.gaussian ? (sp.fx == 2 ? 5 : 1) : (int)sp.fx;
    std::vector<int64_t> xoffv(nxt);
    std::vector<A> xwv(nxt);
    for (int j = 0; j < nxt; ++j) {
        xoffv[j] = (sp.gaussian && sp.fx == 2) ? j - 2 : j;
        xwv[j] = kFloat ? A(sp.gaussian && sp.fx == 2 ? k5x[j] : 1) / A(tx.total)
                        : A(sp.gaussian && sp.fx == 2 ? k5x[j] : 1);
    }
    const int64_t* xoff = xoffv.data();
    const A* xw = xwv.data();
    int64_t xin0 = 0, xin1 = 0;   // [xin0, xin1): the interior
    {
        const int64_t lo = -std::min<int64_t>(0, xoffv.front()), hi = xoffv.back();
        xin0 = (lo + fx - 1) / fx;
        xin1 = std::max(xin0, std::min(dst.w, src.w - hi > 0 ? (src.w - 1 - hi) / fx + 1 : 0));
        if (!sp.gaussian) xin1 = std::max(xin0, std::min(dst.w, src.w / fx));
    }
    parallel_for(rows, nthreads, 4, [&](int64_t b, int64_t e) {
        std::vector<A> acc((size_t)rowlen);
        std::vector<L> in((size_t)rowlen);
        std::vector<A> out((size_t)outlen);
        for (int64_t r = b; r < e; ++r) {
            const int64_t oy = r % dst.h, oz = (r / dst.h) % dst.n1, o0 = r / (dst.h * dst.n1);
            std::fill(acc.begin(), acc.end(), A(0));
            A vsum = 0;   // the constant's weight in this row (taps outside the image)
            for (int64_t i = tz.first[oz]; i < tz.first[oz + 1]; ++i) {
                for (int64_t j = ty.first[oy]; j < ty.first[oy + 1]; ++j) {
                    const int64_t iz = tz.index[i], iy = ty.index[j];
                    const A w = kFloat ? A(tz.weight[i] * ty.weight[j]) / A(tz.total * ty.total)
                                       : A(tz.weight[i] * ty.weight[j]);
                    if (iz < 0 || iy < 0) {
                        vsum += w;
                        continue;
                    }
                    const T* s = (const T*)(src.data + o0 * src.s0 + iz * src.s1 + iy * src.sh);
                    if constexpr (std::is_same_v<T, half_t>) {
                        half_to_float_row(s, in.data(), rowlen);
                        for (int64_t k = 0; k < rowlen; ++k) acc[k] += w * A(in[k]);
                    } else {
                        for (int64_t k = 0; k < rowlen; ++k) acc[k] += w * A(s[k]);
                    }
                }
            }
            if (vsum != A(0))
                for (int64_t k = 0; k < rowlen; ++k) acc[k] += vsum * value;
            const A vtotal = kFloat ? A(1) : A(tz.total * ty.total);
            // x taps: the outputs whose taps are all inside run the vectorisable loop of
            // their channel count; the few at the edges the general one (same tap order).
            for (int64_t ox = 0; ox < dst.w; ++ox) {
                if (ox == xin0) ox = xin1;
                if (ox >= dst.w) break;
                for (int64_t c = 0; c < C; ++c) {
                    A s = 0;
                    for (int64_t j = tx.first[ox]; j < tx.first[ox + 1]; ++j) {
                        const int64_t ix = tx.index[j];
                        s += xw[j - tx.first[ox]] * (ix < 0 ? vtotal * value : acc[ix * C + c]);
                    }
                    out[ox * C + c] = s;
                }
            }
            switch (C) {
                case 1: interior_fx<1>(acc.data(), out.data(), xin0, xin1, 1, xoff, xw, nxt, fx); break;
                case 2: interior_fx<2>(acc.data(), out.data(), xin0, xin1, 2, xoff, xw, nxt, fx); break;
                case 3: interior_fx<3>(acc.data(), out.data(), xin0, xin1, 3, xoff, xw, nxt, fx); break;
                case 4: interior_fx<4>(acc.data(), out.data(), xin0, xin1, 4, xoff, xw, nxt, fx); break;
                default: interior_fx<0>(acc.data(), out.data(), xin0, xin1, C, xoff, xw, nxt, fx);
            }
            T* d = (T*)(dst.data + o0 * dst.s0 + oz * dst.s1 + oy * dst.sh);
            if (sp.gaussian) {
                if constexpr (kFloat) {
                    store_rounded(out.data(), d, outlen);   // the weights were normalised
                } else {
                    const A half = shift ? A(1) << (shift - 1) : A(0);
                    for (int64_t k = 0; k < outlen; ++k) d[k] = T((out[k] + half) >> shift);
                }
                continue;
            }
            const int64_t nzy = tz.count[oz] * ty.count[oy];
            for (int64_t ox = 0; ox < dst.w;) {   // runs of outputs with the same sample count
                const int64_t n = nzy * tx.count[ox];
                int64_t end = ox + 1;
                while (end < dst.w && tx.count[end] == tx.count[ox]) ++end;
                mean_store(out.data() + ox * C, d + ox * C, (end - ox) * C, n);
                ox = end;
            }
        }
    });
}

template <class T>
void downsample_impl(const Image& src, const Image& dst, const DownsampleSpec& sp, const BorderSpec& border,
                     int nthreads) {
    if constexpr (std::is_integral_v<T>) {
        // The largest sum: every tap at the dtype's largest magnitude times the weights' total.
        const int64_t total = sp.gaussian ? (sp.fz == 2 ? 16 : 1) * (sp.fy == 2 ? 16 : 1) * (sp.fx == 2 ? 16 : 1)
                                          : sp.fz * sp.fy * sp.fx;
        if (total <= (int64_t(1) << 30) / 65536)
            run<T, int32_t>(src, dst, sp, border, nthreads);
        else
            run<T, int64_t>(src, dst, sp, border, nthreads);
    } else {
        run<T, OpMath<T>>(src, dst, sp, border, nthreads);
    }
}

}  // namespace

PK_REGISTER(downsample, downsample_impl, PK_ALL_DTYPES);

}  // namespace PK_ISA_NS
}  // namespace pk
