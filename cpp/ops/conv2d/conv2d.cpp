// conv2d: torch's convolution.
//
//   out[n, co, oy, ox] = bias[co] + sum over taps (ki, kj), then input channels ci of co's group, of
//       w[co, ci, ki, kj] * x[n, ci, oy*s_h - p_top + ki*d_h, ox*s_w - p_left + kj*d_w]
//
// Dense and grouped convolutions are the implicit GEMM of gemm.hpp over channels-last
// pixels. Depthwise convolutions (one input and one output channel per group) are memory
// bound and have their own loops: along rows in NCHW, along channels in channels-last,
// each output summing bias and exactly the taps inside the input.
//
// AVX2 and AVX-512 use fused multiply-add and give identical bits; the baseline level
// rounds the product separately (the FMA policy of conv_transpose2d).
#include "ops/conv2d/gemm.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

// The geometry in elements.
struct Geometry {
    int64_t n = 0, c_in = 0, h = 0, w = 0, c_out = 0, ho = 0, wo = 0;
    int64_t G = 1, cin_g = 1, cout_g = 1;
    // Strides of image, row, channel and pixel: planar (pixel 1) or channels-last (channel 1).
    int64_t xs0 = 0, xsh = 0, xc = 1, xp = 1;
    int64_t os0 = 0, osh = 0, oc = 1, op = 1;
};

// ---------------------------------------------------------------------------- dense / grouped

template <class T>
void conv_gemm(const Geometry& g, const ConvSpec& s, const T* x, const T* wt, const T* bias, T* out, int nthreads) {
    const PackedWeights<T> pw(wt, bias, g.G, g.cout_g, g.cin_g, s.kh, s.kw, nthreads);
    const Chunks<T> chunks(pw);
    const RowBlocks rb(pw, g.wo, g.w, s.sw, s.pw, s.dw);
    const ChannelsLast<T> xin(x, g.n, g.c_in, g.h, g.w, g.xs0, g.xsh, g.xc, g.xp, rb.lpad, rb.rpad, nthreads);
    // The kernels store the results in the output's layout. Partial sums stay in the output
    // itself where it is channels-last with whole channel blocks per group, otherwise in a
    // buffer of the tile's rows [row][ox][group][cpad].
    const bool inplace = g.oc == 1 && pw.cpad == g.cout_g;
    const int64_t rstride = g.G * pw.cpad, row_elems = g.wo * rstride;
    const int64_t R = tile_rows((g.w * g.c_in * s.kh + row_elems) * (int64_t)sizeof(T));
    auto work = [&](int64_t begin, int64_t end) {
        Scratch<T> tilebuf;
        T* buf = inplace ? nullptr : tilebuf.get(R * row_elems);
        TileScratch<T> sc;
        std::vector<int64_t> items((size_t)R);
        std::vector<T*> orow((size_t)R), prow((size_t)R);
        std::vector<const T*> brow((size_t)R, pw.b.data());
        const TileOut<T> to = {orow.data(), g.op, g.oc, g.cout_g, g.cout_g, prow.data(), inplace ? g.op : rstride};
        for (int64_t i0 = begin; i0 < end; i0 += R) {
            const int64_t rows = std::min(R, end - i0);
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t item = i0 + r;
                items[(size_t)r] = item;
                orow[(size_t)r] = out + (item / g.ho) * g.os0 + (item % g.ho) * g.osh;
                prow[(size_t)r] = inplace ? orow[(size_t)r] : buf + r * row_elems;
            }
            gemm_tile(pw, chunks, rb, s, xin, g.h, g.ho, items.data(), rows, brow.data(), to, sc);
        }
    };
    const int64_t row_cost = std::max<int64_t>(1, g.wo * g.c_out * g.cin_g * s.kh * s.kw);
    parallel_for(g.n * g.ho, nthreads, grain::min_items(grain::kConv, row_cost), work);
}

// 1x1 at stride 1 without padding, planar input and output with contiguous rows: per image
// and group the plane of h*w pixels is one matrix product, out[co][p] = bias[co] + sum
// over ci of w[co][ci] * x[ci][p], run by the micro-kernel with its roles swapped: output
// channels are its pixels (each weight row broadcast as stored, no packing) and the
// plane's pixels its lanes. Items are panels of the plane whose input fits in ~512 KiB,
// copied [panel][ci][lanes] once (plain row copies, against a transpose on the
// channels-last path; loading the vectors straight from the planes, one page per channel,
// was slower than both) and kept in cache across the blocks of output channels. The sum
// order is the GEMM's (bias, then the channels ascending): the same bits as the
// channels-last path.
template <class T>
void conv1x1_planar(const Geometry& g, const T* x, const T* wt, const T* bias, T* out, int nthreads) {
    using L = Lanes<T>;
    constexpr int W = 2 * L::N, MR = L::kMR2;
    static const auto table = block_table<2, T>(std::make_integer_sequence<int, MR>{});
    const int64_t P = g.h * g.w, panels = (P + W - 1) / W;
    const int64_t per = std::clamp<int64_t>((int64_t(512) << 10) / (g.cin_g * W * (int64_t)sizeof(T)), 1, 8);
    const int64_t supers = (panels + per - 1) / per, nb = (g.cout_g + MR - 1) / MR;
    std::vector<T> start((size_t)(g.c_out * W));  // bias[co] along the lanes
    for (int64_t co = 0; co < g.c_out; ++co)
        std::fill_n(start.data() + co * W, W, bias ? bias[co] : T(0));
    auto work = [&](int64_t begin, int64_t end) {
        Scratch<T> panelbuf;
        for (int64_t item = begin; item < end; ++item) {
            const int64_t sp = item % supers, grp = (item / supers) % g.G, n = item / (supers * g.G);
            const int64_t pa = sp * per, pb = std::min(panels, pa + per);
            const T* xg = x + n * g.xs0 + grp * g.cin_g * g.xc;
            // The item's panels packed [panel][ci][W], the plane's end zero-padded: the
            // kernel's vector loads then stream through contiguous memory.
            T* pan = panelbuf.get((pb - pa) * g.cin_g * W);
            for (int64_t pi = pa; pi < pb; ++pi) {
                const int64_t p0 = pi * W, r = std::min<int64_t>(W, P - p0);
                T* d = pan + (pi - pa) * g.cin_g * W;
                for (int64_t ci = 0; ci < g.cin_g; ++ci) {
                    std::copy_n(xg + ci * g.xc + p0, r, d + ci * W);
                    if (r < W) std::fill(d + ci * W + r, d + (ci + 1) * W, T(0));
                }
            }
            for (int64_t k = 0; k < nb; ++k) {
                const int64_t co0 = g.cout_g * k / nb, m = g.cout_g * (k + 1) / nb - co0, c = grp * g.cout_g + co0;
                const T* wrow = wt + c * g.cin_g;
                for (int64_t pi = pa; pi < pb; ++pi) {
                    const int64_t p0 = pi * W;
                    const T* xp = pan + (pi - pa) * g.cin_g * W;
                    const BlockIO<T> io = {start.data() + c * W, W, out + n * g.os0 + c * g.oc + p0, g.oc, 1,
                                           (int)std::min<int64_t>(W, P - p0)};
                    table[(size_t)m - 1](&wrow, g.cin_g, &xp, W, 1, g.cin_g, io);
                }
            }
        }
    };
    const int64_t item_cost = std::max<int64_t>(1, per * W * g.cout_g * g.cin_g);
    parallel_for(g.n * g.G * supers, nthreads, grain::min_items(grain::kConv, item_cost), work);
}

// ---------------------------------------------------------------------------- depthwise

// The depthwise sums of lanes [i0, i1) in vectors: per vector a = start + sum over taps t
// of w(t) * x[t][i], with start(u) and w(t, u) the bias and weight vectors of vector u at i
// (broadcast values along rows, loads along channels; generic lambdas naming the vector
// type through simd::Dependent, so a level without vectors never instantiates them). Four vectors at a time, then one;
// a length that is not a multiple of the vector ends with a vector overlapping the one
// before (the same taps: the same bits). Returns where the scalar tail starts.
template <class T, class Start, class Weight>
int64_t depthwise_vectors(int64_t i0, int64_t i1, int nt, const T* const* x, Start start, Weight w, T* o) {
    if constexpr (simd::kSimd) {
        using S = typename Lanes<T>::S;
        using V = typename S::V;
        constexpr int N = Lanes<T>::N;
        int64_t i = i0;
        auto run = [&](auto u_count) {
            constexpr int U = decltype(u_count)::value;
            V a[U];
            for (int u = 0; u < U; ++u) a[u] = start(i + u * N);
            for (int t = 0; t < nt; ++t)
                for (int u = 0; u < U; ++u) {
                    const V xv = S::load(x[t] + i + u * N), wv = w(t, i + u * N);
                    if constexpr (simd::kHasFma) a[u] = S::fma(wv, xv, a[u]);
                    else a[u] = S::add(a[u], S::mul(wv, xv));
                }
            for (int u = 0; u < U; ++u) S::store(o + i + u * N, a[u]);
        };
        for (; i + 4 * N <= i1; i += 4 * N) run(std::integral_constant<int, 4>{});
        for (; i + N <= i1; i += N) run(std::integral_constant<int, 1>{});
        if (i < i1 && i1 - i0 >= N) {
            i = i1 - N;
            run(std::integral_constant<int, 1>{});
            i = i1;
        }
        return i;
    }
    return i0;
}

// NCHW: one output row of one channel at a time, in column segments over which the set of
// taps inside the input is constant. Stride s reads the input row through its s phases
// (phase r holds columns r, r + s, ...), so every tap is a unit-stride vector load.
template <class T>
void depthwise_planar(const Geometry& g, const ConvSpec& s, const T* x, const T* wt, const T* bias, T* out,
                      int nthreads) {
    using L = Lanes<T>;
    const int64_t K = s.kh * s.kw, sw = s.sw;
    // Segment boundaries: every lo / hi of a tap column, and the row's ends.
    std::vector<int64_t> lo((size_t)s.kw), hi((size_t)s.kw), cuts = {0, g.wo};
    for (int64_t kj = 0; kj < s.kw; ++kj) {
        tap_columns(g.wo, g.w, s.sw, s.pw, s.dw, kj, lo[(size_t)kj], hi[(size_t)kj]);
        cuts.push_back(lo[(size_t)kj]);
        cuts.push_back(hi[(size_t)kj]);
    }
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    const int64_t pw_len = (g.w + sw - 1) / sw;  // columns per phase
    // Per tap column: where output 0 reads in the phase rows (column ox*s + e of the input
    // row is phase e mod s at ox + e div s), and per segment the tap columns inside the input.
    std::vector<int64_t> col((size_t)s.kw);
    for (int64_t kj = 0; kj < s.kw; ++kj) {
        const int64_t e = kj * s.dw - s.pw, q = e >= 0 ? e / sw : -((-e + sw - 1) / sw);
        col[(size_t)kj] = (sw == 1 ? 0 : (e - q * sw) * pw_len) + q;
    }
    std::vector<std::vector<int64_t>> seg_kj(cuts.size());
    for (size_t si = 0; si + 1 < cuts.size(); ++si)
        for (int64_t kj = 0; kj < s.kw; ++kj)
            if (cuts[si] >= lo[(size_t)kj] && cuts[si] < hi[(size_t)kj]) seg_kj[si].push_back(kj);

    auto work = [&](int64_t begin, int64_t end) {
        Scratch<T> phase_buf;
        T* ph = sw > 1 ? phase_buf.get(s.kh * sw * pw_len) : nullptr;
        std::vector<int64_t> ki((size_t)s.kh), iy((size_t)s.kh);
        std::vector<const T*> xr((size_t)K), rowp((size_t)s.kh);
        std::vector<T> wr((size_t)K);
        // (n, c, oy) of the item, advanced by counting (no 64-bit divisions per row).
        int64_t oy = begin % g.ho, c = (begin / g.ho) % g.c_in, n = begin / (g.ho * g.c_in);
        for (int64_t item = begin; item < end; ++item, ++oy) {
            if (oy == g.ho) {
                oy = 0;
                if (++c == g.c_in) {
                    c = 0;
                    ++n;
                }
            }
            const int nr = valid_rows(g.h, s, oy, ki.data(), iy.data());
            const T* plane = x + n * g.xs0 + c * g.xc;
            // Row r of the taps: base pointers of the phases (e = kj*d - p reads phase e mod s at e div s).
            for (int r = 0; r < nr; ++r) {
                const T* src = plane + iy[(size_t)r] * g.xsh;
                if (sw == 1) {
                    rowp[(size_t)r] = src;
                    continue;
                }
                T* d = ph + r * sw * pw_len;
                for (int64_t ix = 0; ix < g.w; ++ix) d[(ix % sw) * pw_len + ix / sw] = src[ix];
                rowp[(size_t)r] = d;
            }
            T* o = out + n * g.os0 + c * g.oc + oy * g.osh;
            const T b = bias ? bias[c] : T(0);
            for (size_t si = 0; si + 1 < cuts.size(); ++si) {
                const int64_t x0 = cuts[si], x1 = cuts[si + 1];
                int nt = 0;
                for (int r = 0; r < nr; ++r)
                    for (int64_t kj : seg_kj[si]) {
                        xr[(size_t)nt] = rowp[(size_t)r] + col[(size_t)kj];
                        wr[(size_t)nt++] = wt[c * K + ki[(size_t)r] * s.kw + kj];
                    }
                int64_t ox = depthwise_vectors<T>(
                    x0, x1, nt, xr.data(), [&](auto i) { return simd::Dependent<typename L::S, decltype(i)>::set1(b); },
                    [&](int t, auto i) { return simd::Dependent<typename L::S, decltype(i)>::set1(wr[(size_t)t]); }, o);
                for (; ox < x1; ++ox) {
                    T a = b;
                    for (int t = 0; t < nt; ++t) {
                        if constexpr (simd::kHasFma) a = std::fma(wr[(size_t)t], xr[(size_t)t][ox], a);
                        else a = a + wr[(size_t)t] * xr[(size_t)t][ox];
                    }
                    o[ox] = a;
                }
            }
        }
    };
    const int64_t row_cost = std::max<int64_t>(1, g.wo * K);
    parallel_for(g.n * g.c_in * g.ho, nthreads, grain::min_items(grain::kConv, row_cost), work);
}

// Channels-last: per output pixel, vectors along channels, exactly the taps inside the input.
template <class T>
void depthwise_nhwc(const Geometry& g, const ConvSpec& s, const T* x, const T* wt, const T* bias, T* out,
                    int nthreads) {
    using L = Lanes<T>;
    const int64_t K = s.kh * s.kw, C = g.c_in;
    std::vector<T> wpk((size_t)(K * C)), bz((size_t)C);  // [tap][channel]
    for (int64_t c = 0; c < C; ++c) {
        bz[(size_t)c] = bias ? bias[c] : T(0);
        for (int64_t k = 0; k < K; ++k) wpk[(size_t)(k * C + c)] = wt[c * K + k];
    }
    std::vector<int64_t> lo((size_t)s.kw), hi((size_t)s.kw);
    for (int64_t kj = 0; kj < s.kw; ++kj) tap_columns(g.wo, g.w, s.sw, s.pw, s.dw, kj, lo[(size_t)kj], hi[(size_t)kj]);
    auto work = [&](int64_t begin, int64_t end) {
        std::vector<int64_t> ki((size_t)s.kh), iy((size_t)s.kh);
        std::vector<const T*> xr((size_t)K), wr((size_t)K);
        for (int64_t item = begin; item < end; ++item) {
            const int64_t n = item / g.ho, oy = item % g.ho;
            const int nr = valid_rows(g.h, s, oy, ki.data(), iy.data());
            for (int64_t ox = 0; ox < g.wo; ++ox) {
                int nt = 0;
                for (int r = 0; r < nr; ++r)
                    for (int64_t kj = 0; kj < s.kw; ++kj) {
                        if (ox < lo[(size_t)kj] || ox >= hi[(size_t)kj]) continue;
                        xr[(size_t)nt] = x + n * g.xs0 + iy[(size_t)r] * g.xsh + (ox * s.sw - s.pw + kj * s.dw) * g.xp;
                        wr[(size_t)nt++] = wpk.data() + (ki[(size_t)r] * s.kw + kj) * C;
                    }
                T* o = out + n * g.os0 + oy * g.osh + ox * g.op;
                int64_t c = depthwise_vectors<T>(
                    0, C, nt, xr.data(), [&](auto i) { return simd::Dependent<typename L::S, decltype(i)>::load(bz.data() + i); },
                    [&](int t, auto i) { return simd::Dependent<typename L::S, decltype(i)>::load(wr[(size_t)t] + i); }, o);
                for (; c < C; ++c) {
                    T a = bz[(size_t)c];
                    for (int t = 0; t < nt; ++t) {
                        if constexpr (simd::kHasFma) a = std::fma(wr[(size_t)t][c], xr[(size_t)t][c], a);
                        else a = a + wr[(size_t)t][c] * xr[(size_t)t][c];
                    }
                    o[c] = a;
                }
            }
        }
    };
    const int64_t row_cost = std::max<int64_t>(1, g.wo * C * K);
    parallel_for(g.n * g.ho, nthreads, grain::min_items(grain::kConv, row_cost), work);
}

template <class T>
void conv2d_impl(const Image& xim, const void* wv, const void* bv, const Image& oim, const ConvSpec& spec,
                 int nthreads) {
    Geometry g;
    const int64_t item = (int64_t)sizeof(T);
    g.n = xim.n0; g.c_in = xim.n1 * xim.cn; g.h = xim.h; g.w = xim.w;
    g.c_out = oim.n1 * oim.cn; g.ho = oim.h; g.wo = oim.w;
    g.G = spec.groups; g.cin_g = g.c_in / g.G; g.cout_g = g.c_out / g.G;
    g.xs0 = xim.s0 / item; g.xsh = xim.sh / item; g.xc = xim.cn > 1 ? 1 : xim.s1 / item; g.xp = xim.cn;
    g.os0 = oim.s0 / item; g.osh = oim.sh / item; g.oc = oim.cn > 1 ? 1 : oim.s1 / item; g.op = oim.cn;
    const T* x = (const T*)xim.data;
    const T* w = (const T*)wv;
    const T* b = (const T*)bv;
    T* out = (T*)oim.data;
    if (g.cin_g == 1 && g.cout_g == 1 && g.G > 1) {
        // Depthwise: vectors along rows (both sides planar) or along channels (both with
        // unit channel stride; a one-pixel-wide map is both). Other pairs take the GEMM.
        if (g.xp == 1 && g.op == 1) return depthwise_planar<T>(g, spec, x, w, b, out, nthreads);
        if (g.xc == 1 && g.oc == 1) return depthwise_nhwc<T>(g, spec, x, w, b, out, nthreads);
    }
    if (spec.kh == 1 && spec.kw == 1 && spec.sh == 1 && spec.sw == 1 && spec.ph == 0 && spec.pw == 0 && g.xp == 1 &&
        g.op == 1 && g.xsh == g.w && g.osh == g.wo)
        return conv1x1_planar<T>(g, x, w, b, out, nthreads);
    conv_gemm<T>(g, spec, x, w, b, out, nthreads);
}

}  // namespace

PK_REGISTER(conv2d, conv2d_impl, float, double);

}  // namespace PK_ISA_NS
}  // namespace pk
