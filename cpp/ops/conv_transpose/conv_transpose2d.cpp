// conv_transpose2d: torch's transposed convolution as a register-blocked gather.
//
// An input pixel (iy, ix) reaches output (iy*s - p + k*d) for every tap k. Turned around,
// output row oy gets input row iy = (oy + p_h - ki*d_h) / s_h from each tap row ki that
// divides evenly, and along the row tap kj sends input column ix to output column
// ox = ix*s_w + e, e = kj*d_w - p_w. Writing ox = m*s_w + r (phase r = e mod s_w), every
// tap of phase r is a unit-stride term: acc_r[m] += w * x[m - q], q = floor(e / s_w).
// So each output row phase is a small GEMM: (output channels) x (row segment), summed
// over (taps of the phase) x (input channels of the group). The micro-kernel keeps MR
// output channels x NB columns in registers and streams input rows through them; no
// scatter, no column buffer, no BLAS (whose spinning thread pool would fight ours).
// Input rows are copied once into zero-padded rows, so blocks never test borders.
//
// Sum order for each output element: bias, then taps (ki, kj ascending), then input
// channels ascending, the same at every ISA level and thread count. AVX2 and AVX-512 use
// fused multiply-add (twice the arithmetic rate; the full-convolution case is compute
// bound) and give identical bits; the baseline level rounds the product separately, so
// it agrees with them within float rounding, not bit for bit.
#include <algorithm>
#include <memory>
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

inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

template <class T>
struct Lanes {
    using S = std::conditional_t<std::is_same_v<T, double>, simd::F64, simd::F32>;
    static constexpr int N = simd::kSimd ? simd::kLanes<T> : 4;  // lanes of one vector
    static constexpr int NB = 2 * N;                  // columns per block: two vectors
    // Output channels per block: the accumulators (MR x 2 vectors) fill at most half the
    // vector registers (32 with AVX-512, 16 otherwise).
    static constexpr int kMaxMR = simd::kBits == 512 ? 8 : 4;
};

// For column blocks b < nblk: out[r*pitch + b*NB + i] = bias[r] + sum over taps t, channels c of
// w[t][c*wc + woff + r] * x[t][b*xstep + c*xc + i], for r < MR, i < NB.
template <int MR, class T>
void block(const T* const* x, int64_t xc, int64_t xstep, const T* const* w, int64_t wc, int64_t woff, int ntaps,
           int64_t cin, const T* bias, T* out, int64_t pitch, int64_t nblk) {
    using L = Lanes<T>;
    for (int64_t b = 0; b < nblk; ++b, out += L::NB) {
        const int64_t xoff = b * xstep;
        if constexpr (simd::kSimd) {
            using S = typename L::S;
            using V = typename S::V;
            V acc[MR][2];
            for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = S::set1(bias ? bias[r] : T(0));
            for (int t = 0; t < ntaps; ++t) {
                const T* xp = x[t] + xoff;
                const T* wp = w[t] + woff;
                for (int64_t c = 0; c < cin; ++c, xp += xc, wp += wc) {
                    const V a = S::load(xp), bv = S::load(xp + S::N);
                    for (int r = 0; r < MR; ++r) {
                        const V wr = S::set1(wp[r]);
                        if constexpr (simd::kHasFma) {
                            acc[r][0] = S::fma(wr, a, acc[r][0]);
                            acc[r][1] = S::fma(wr, bv, acc[r][1]);
                        } else {
                            acc[r][0] = S::add(acc[r][0], S::mul(wr, a));
                            acc[r][1] = S::add(acc[r][1], S::mul(wr, bv));
                        }
                    }
                }
            }
            for (int r = 0; r < MR; ++r) {
                S::store(out + r * pitch, acc[r][0]);
                S::store(out + r * pitch + S::N, acc[r][1]);
            }
        } else {
            T acc[MR][L::NB];
            for (int r = 0; r < MR; ++r)
                for (int i = 0; i < L::NB; ++i) acc[r][i] = bias ? bias[r] : T(0);
            for (int t = 0; t < ntaps; ++t) {
                const T* xp = x[t] + xoff;
                const T* wp = w[t] + woff;
                for (int64_t c = 0; c < cin; ++c, xp += xc, wp += wc)
                    for (int r = 0; r < MR; ++r)
                        for (int i = 0; i < L::NB; ++i) acc[r][i] = acc[r][i] + wp[r] * xp[i];
            }
            for (int r = 0; r < MR; ++r)
                for (int i = 0; i < L::NB; ++i) out[r * pitch + i] = acc[r][i];
        }
    }
}

// Depthwise (one input and one output channel per group): a phase row as block<1> computes
// it, acc[m] = bias + sum over taps t of w[t][0] * x[t][m], m < pitch, taps in the same
// order and with the same fused or separate multiply-add, so the bits are block<1>'s, but
// four vectors of the row at a time: a single chain of dependent multiply-adds is latency
// bound.
template <class T>
inline void depthwise_phase(const T* const* x, const T* const* w, int ntaps, T bias, T* __restrict acc,
                            int64_t pitch) {
    using L = Lanes<T>;
    int64_t m = 0;
    if constexpr (simd::kSimd) {
        using S = typename L::S;
        // U vectors of the row from m on, U independent accumulators.
        auto run = [&](auto u_count) {
            constexpr int U = decltype(u_count)::value;
            typename S::V a[U];
            for (int u = 0; u < U; ++u) a[u] = S::set1(bias);
            for (int t = 0; t < ntaps; ++t) {
                const typename S::V wt = S::set1(w[t][0]);
                for (int u = 0; u < U; ++u) {
                    if constexpr (simd::kHasFma) a[u] = S::fma(wt, S::load(x[t] + m + u * S::N), a[u]);
                    else a[u] = S::add(a[u], S::mul(wt, S::load(x[t] + m + u * S::N)));
                }
            }
            for (int u = 0; u < U; ++u) S::store(acc + m + u * S::N, a[u]);
        };
        for (; m + 4 * S::N <= pitch; m += 4 * S::N) run(std::integral_constant<int, 4>{});
        for (; m + S::N <= pitch; m += S::N) run(std::integral_constant<int, 1>{});
    }
    for (; m < pitch; ++m) {
        T a = bias;
        for (int t = 0; t < ntaps; ++t) a = a + w[t][0] * x[t][m];
        acc[m] = a;
    }
}

// out[m*s + r] = acc[r*pitch + m] for the phases r < s.
template <class T>
inline void interleave(const T* acc, int64_t pitch, int64_t s, T* __restrict out, int64_t wo) {
    if (s == 1) {
        std::copy(acc, acc + wo, out);
        return;
    }
    if (s == 2) {
        const T* a = acc;
        const T* b = acc + pitch;
        int64_t m = 0;
        if constexpr (simd::kSimd && std::is_same_v<T, float>) {
            using S = simd::Dependent<simd::F32, T>;
            for (; 2 * (m + S::N) <= wo; m += S::N) {
                typename S::V lo, hi;
                S::zip(S::load(a + m), S::load(b + m), lo, hi);
                S::store(out + 2 * m, lo);
                S::store(out + 2 * m + S::N, hi);
            }
        }
        for (; 2 * m < wo; ++m) {
            out[2 * m] = a[m];
            if (2 * m + 1 < wo) out[2 * m + 1] = b[m];
        }
        return;
    }
    for (int64_t r = 0; r < s && r < wo; ++r) {
        const T* a = acc + r * pitch;
        for (int64_t m = 0, ox = r; ox < wo; ++m, ox += s) out[ox] = a[m];
    }
}

// The geometry in elements: sizes from the Images, strides of their first three axes.
struct Geometry : ConvSpec {
    int64_t n = 0, c_in = 0, h = 0, w = 0, c_out = 0, ho = 0, wo = 0;
    int64_t xs[3] = {0, 0, 0}, os[3] = {0, 0, 0};
};

template <class T>
void conv_transpose2d_impl(const Image& xim, const void* wv, const void* bv, const Image& oim,
                           const ConvSpec& spec, int nthreads) {
    using L = Lanes<T>;
    Geometry g;
    static_cast<ConvSpec&>(g) = spec;
    g.n = xim.n0; g.c_in = xim.n1; g.h = xim.h; g.w = xim.w;
    g.c_out = oim.n1; g.ho = oim.h; g.wo = oim.w;
    const int64_t item = (int64_t)sizeof(T);
    g.xs[0] = xim.s0 / item; g.xs[1] = xim.s1 / item; g.xs[2] = xim.sh / item;
    g.os[0] = oim.s0 / item; g.os[1] = oim.s1 / item; g.os[2] = oim.sh / item;
    const T* x = (const T*)xim.data;
    const T* wt = (const T*)wv;
    const T* bias = (const T*)bv;
    T* out = (T*)oim.data;
    const int64_t G = g.groups, cin_g = g.c_in / G, cout_g = g.c_out / G, sw = g.sw;
    const int64_t pitch = ((g.wo + sw - 1) / sw + L::NB - 1) / L::NB * L::NB;  // phase row, whole blocks

    // Column taps of each phase, and the padding the shifted reads x[m - q] need.
    std::vector<std::vector<int64_t>> phase_kj((size_t)sw), phase_q((size_t)sw);
    int64_t qmin = 0, qmax = 0;
    for (int64_t kj = 0; kj < g.kw; ++kj) {
        const int64_t e = kj * g.dw - g.pw, q = floor_div(e, sw), r = e - q * sw;
        phase_kj[(size_t)r].push_back(kj);
        phase_q[(size_t)r].push_back(q);
        qmin = std::min(qmin, q);
        qmax = std::max(qmax, q);
    }
    const int64_t left = qmax, wp = left + std::max(g.w, pitch - qmin);

    // The tap rows ki reaching each output row oy, and the input row iy each reads.
    std::vector<int64_t> nrows((size_t)g.ho, 0), row_ki((size_t)(g.ho * g.kh)), row_iy((size_t)(g.ho * g.kh));
    for (int64_t oy = 0; oy < g.ho; ++oy)
        for (int64_t ki = 0; ki < g.kh; ++ki) {
            const int64_t t = oy + g.ph - ki * g.dh;
            if (t < 0 || t % g.sh || t / g.sh >= g.h) continue;
            row_ki[(size_t)(oy * g.kh + nrows[(size_t)oy])] = ki;
            row_iy[(size_t)(oy * g.kh + nrows[(size_t)oy]++)] = t / g.sh;
        }

    // Zero-padded copy of the input, channels inner: row (n, iy, ci) at ((n*h + iy)*c_in + ci)*wp + left,
    // so a block's walk over input channels reads one compact, sequential region.
    std::unique_ptr<T[]> xpad_buf(new T[(size_t)(g.n * g.c_in * g.h * wp)]);  // every element written below
    T* const xpad = xpad_buf.get();
    parallel_for(g.n * g.c_in * g.h, nthreads, grain::min_items(grain::kConvTransposePad, wp), [&](int64_t b, int64_t e) {
        for (int64_t row = b; row < e; ++row) {
            const int64_t ci = row % g.c_in, iy = (row / g.c_in) % g.h, n = row / (g.h * g.c_in);
            T* d = xpad + row * wp;
            std::fill(d, d + left, T(0));
            std::copy_n(x + n * g.xs[0] + ci * g.xs[1] + iy * g.xs[2], g.w, d + left);
            std::fill(d + left + g.w, d + wp, T(0));
        }
    });
    // Weights regrouped as [group][ki][kj][ci][co]: a block's MR channels are adjacent.
    std::vector<T> wpk((size_t)(g.c_in * cout_g * g.kh * g.kw));
    for (int64_t ci = 0; ci < g.c_in; ++ci)
        for (int64_t co = 0; co < cout_g; ++co)
            for (int64_t ki = 0; ki < g.kh; ++ki)
                for (int64_t kj = 0; kj < g.kw; ++kj) {
                    const int64_t grp = ci / cin_g, c = ci % cin_g;
                    wpk[(size_t)((((grp * g.kh + ki) * g.kw + kj) * cin_g + c) * cout_g + co)] =
                        wt[((ci * cout_g + co) * g.kh + ki) * g.kw + kj];
                }

    // One item: output row oy of one group of one image, all its channels. With more output
    // channels than one block holds, the input rows a phase's taps read are first packed
    // as panels [column block][tap][channel][NB], which every block then streams front to
    // back from cache; with few channels the blocks read the padded rows in place.
    const int64_t mr_max = L::kMaxMR, nblocks = pitch / L::NB;
    const bool pack = cout_g > mr_max;
    const bool depthwise = cin_g == 1 && cout_g == 1;
    auto work = [&](int64_t begin, int64_t end) {
        Scratch<T> accbuf, panelbuf;
        T* acc = accbuf.get(cout_g * sw * pitch);
        std::vector<const T*> xr((size_t)(g.kh * g.kw)), wr((size_t)(g.kh * g.kw)), xb((size_t)(g.kh * g.kw));
        // (n, grp, oy) of the item, advanced by counting (no 64-bit divisions per item).
        int64_t oy = begin % g.ho, grp = (begin / g.ho) % G, n = begin / (g.ho * G);
        for (int64_t item = begin; item < end; ++item, ++oy) {
            if (oy == g.ho) {
                oy = 0;
                if (++grp == G) {
                    grp = 0;
                    ++n;
                }
            }
            for (int64_t r = 0; r < sw; ++r) {
                int ntaps = 0;
                for (int64_t j = 0; j < nrows[(size_t)oy]; ++j) {
                    const int64_t ki = row_ki[(size_t)(oy * g.kh + j)], iy = row_iy[(size_t)(oy * g.kh + j)];
                    const T* xrow = xpad + ((n * g.h + iy) * g.c_in + grp * cin_g) * wp + left;
                    for (size_t j = 0; j < phase_kj[(size_t)r].size(); ++j) {
                        xr[(size_t)ntaps] = xrow - phase_q[(size_t)r][j];
                        wr[(size_t)ntaps] = wpk.data() + ((grp * g.kh + ki) * g.kw + phase_kj[(size_t)r][j]) * cin_g * cout_g;
                        ++ntaps;
                    }
                }
                if (depthwise) {  // one channel in, one out: the taps inline, no block calls
                    depthwise_phase<T>(xr.data(), wr.data(), ntaps, bias ? bias[grp] : T(0), acc + r * pitch, pitch);
                    continue;
                }
                const int64_t kdepth = ntaps * cin_g;  // panel rows per column block
                T* panel = pack ? panelbuf.get(std::max<int64_t>(1, nblocks * kdepth * L::NB)) : nullptr;
                if (pack)
                    for (int64_t mb = 0; mb < nblocks; ++mb)
                        for (int t = 0; t < ntaps; ++t)
                            for (int64_t c = 0; c < cin_g; ++c)
                                std::copy_n(xr[(size_t)t] + c * wp + mb * L::NB, L::NB,
                                            panel + ((mb * ntaps + t) * cin_g + c) * L::NB);
                const int64_t rp = sw * pitch;  // next output channel in acc
                // Packed: per column block, every channel block (the panel slice stays in L1).
                // In place: one call per channel block runs along the whole row.
                const int64_t passes = pack ? nblocks : 1, nblk = pack ? 1 : nblocks;
                for (int64_t mb = 0; mb < passes; ++mb) {
                    for (int t = 0; t < ntaps; ++t)
                        xb[(size_t)t] = pack ? panel + (mb * ntaps + t) * cin_g * L::NB : xr[(size_t)t];
                    for (int64_t c = 0; c < cout_g;) {  // channel blocks of 8, 4, 2, 1
                        const int64_t n_left = cout_g - c;
                        const int m = n_left >= 8 && mr_max >= 8 ? 8 : n_left >= 4 ? 4 : n_left >= 2 ? 2 : 1;
                        const auto run = m == 8   ? &block<8, T>
                                         : m == 4 ? &block<4, T>
                                         : m == 2 ? &block<2, T>
                                                  : &block<1, T>;
                        run(xb.data(), pack ? L::NB : wp, L::NB, wr.data(), cout_g, c, ntaps, cin_g,
                            bias ? bias + grp * cout_g + c : nullptr, acc + c * rp + r * pitch + mb * L::NB, rp, nblk);
                        c += m;
                    }
                }
            }
            for (int64_t c = 0; c < cout_g; ++c)
                interleave(acc + c * sw * pitch, pitch, sw,
                           out + n * g.os[0] + (grp * cout_g + c) * g.os[1] + oy * g.os[2], g.wo);
        }
    };
    // An item is one output row of a group: about cout_g * cin_g * taps / stride^2 row passes.
    const int64_t row_cost = std::max<int64_t>(1, g.wo * cout_g * cin_g * g.kh * g.kw / (g.sh * g.sw));
    parallel_for(g.n * G * g.ho, nthreads, grain::min_items(grain::kConvTranspose, row_cost), work);
}

}  // namespace

PK_REGISTER(conv_transpose2d, conv_transpose2d_impl, float, double);

}  // namespace PK_ISA_NS
}  // namespace pk
