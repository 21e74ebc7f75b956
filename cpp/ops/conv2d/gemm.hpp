// The implicit GEMM of conv2d and aspp, compiled into each of their kernel files per ISA
// level: the register-blocked micro-kernel, the blocks of an output row with the tap
// columns each needs, the channels-last input view, the packed weights, the chunks of
// the sum and a tile of output rows of a convolution; the per-thread buffer pool.
//
// A block of MR output pixels of one row times NV vectors of output channels stays in
// registers; for every tap and input channel the kernel loads the NV weight vectors once
// and broadcasts each pixel's input value into them. Vectors run along output channels, so
// a row of any width wastes nothing (a 33-wide map in vectors along columns would waste
// half), and every (pixel, channel) accumulator sums bias, taps, channels in the same
// order at every ISA level and thread count. The kernel stores its block in the output's
// layout (channels-last directly, planar transposed in registers), so no pass over the
// output follows.
//
// Taps that read only padding are never computed: tap rows outside the input are dropped
// per output row, tap columns per block of pixels; a tap that reads the input for some
// pixels of a block reads zeros for the others (w * 0 added: a finite weight gives the
// bits of the skipped tap, as torch's zero padding does).
#pragma once
#include <algorithm>
#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "core/grain.hpp"
#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "core/store.hpp"
#include "simd/simd.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

inline int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

template <class T>
struct Lanes {
    using S = std::conditional_t<std::is_same_v<T, double>, simd::F64, simd::F32>;
    static constexpr int N = simd::kSimd ? simd::kLanes<T> : 4;  // lanes of one vector (or of a scalar "vector")
    // Pixels per block for NV = 1, 2 channel vectors: MR * NV accumulators, NV weight
    // vectors and a broadcast within the vector registers (32 with AVX-512, else 16).
    static constexpr int kMR1 = simd::kBits == 512 ? 24 : simd::kSimd ? 12 : 4;
    static constexpr int kMR2 = simd::kBits == 512 ? 14 : simd::kSimd ? 6 : 4;
};

// The transpose d[ix*dp + ch] = src[ch*xc + ix] for ch < c, ix < w (planar to channels-last
// and back): in N x N tiles of vectors transposed in registers (log2 N rounds of zips:
// round k pairs row i with row i + N/2), a last partial tile of rows zero-filled and
// stored in part; the columns past the last whole tile element by element.
template <class T>
void transpose_rows(const T* src, int64_t xc, int64_t c, int64_t w, T* d, int64_t dp) {
    int64_t xv = 0;  // columns [0, xv) in whole tiles
    if constexpr (simd::kSimd) {
        using S = typename Lanes<T>::S;
        constexpr int N = S::N;
        xv = w / N * N;
        for (int64_t c0 = 0; c0 < c; c0 += N) {
            const int rows = (int)std::min<int64_t>(N, c - c0);
            for (int64_t x0 = 0; x0 < xv; x0 += N) {
                typename S::V r[N], t[N];
                for (int i = 0; i < N; ++i) r[i] = i < rows ? S::load(src + (c0 + i) * xc + x0) : S::set1(T(0));
                for (int step = 1; step < N; step *= 2) {
                    for (int i = 0; i < N / 2; ++i) S::zip(r[i], r[i + N / 2], t[2 * i], t[2 * i + 1]);
                    for (int i = 0; i < N; ++i) r[i] = t[i];
                }
                if (rows == N)
                    for (int i = 0; i < N; ++i) S::store(d + (x0 + i) * dp + c0, r[i]);
                else
                    for (int i = 0; i < N; ++i) S::store_first(d + (x0 + i) * dp + c0, r[i], rows);
            }
        }
    }
    for (int64_t c0 = 0; c0 < c; c0 += 8) {
        const int64_t cn = std::min<int64_t>(8, c - c0);
        for (int64_t ix = xv; ix < w; ++ix)
            for (int64_t k = 0; k < cn; ++k) d[ix * dp + c0 + k] = src[(c0 + k) * xc + ix];
    }
}

// Where a block's sums start and where they go, for pixel i < MR and channel lane l < NV*N:
// they start from start[i*spix + l] (spix = 0: one bias for every pixel) and are stored
// to out[i*opix + l*ochan] for l < nchan. ochan = 1 is channels-last; otherwise the block
// is stored planar (opix = 1), transposed through a tile on the stack: per channel a row
// of MR pixels.
template <class T>
struct BlockIO {
    const T* start;
    int64_t spix;
    T* out;
    int64_t opix, ochan;
    int nchan;
};

// The sums start + sum over taps t, channels c of w[t][c*wstep + l] * x[t][i*xpix + c]
// (wstep = NV*N for packed weights).
template <int MR, int NV, class T>
void block(const T* const* x, int64_t xpix, const T* const* w, int64_t wstep, int ntaps, int64_t cin,
           const BlockIO<T>& io) {
    using L = Lanes<T>;
    constexpr int N = L::N, W = NV * N;
    const bool planar = io.ochan != 1;
    alignas(64) T tile[MR * W];  // the sums channels-last, for a planar store
    T* const o = planar ? tile : io.out;
    const int64_t opix = planar ? W : io.opix;
    const int nchan = planar ? W : io.nchan;
    if constexpr (simd::kSimd) {
        using S = typename L::S;
        using V = typename S::V;
        V acc[MR][NV];
        for (int v = 0; v < NV; ++v)
            for (int i = 0; i < MR; ++i) acc[i][v] = S::load(io.start + i * io.spix + v * N);
        // Pixels in threes from one pointer each: p, p + xpix, p + 2*xpix are one base
        // register and one index register scaled by 4 or 8 (float), so the loop keeps every
        // address in registers instead of one register per pixel.
        constexpr int G = (MR + 2) / 3;
        for (int t = 0; t < ntaps; ++t) {
            const T* p[G];
            for (int g = 0; g < G; ++g) p[g] = x[t] + 3 * g * xpix;
            const T* wp = w[t];
            for (int64_t c = 0; c < cin; ++c, wp += wstep) {
                V wv[NV];
                for (int v = 0; v < NV; ++v) wv[v] = S::load(wp + v * N);
                for (int i = 0; i < MR; ++i) {
                    const V xv = S::set1(p[i / 3][(i % 3) * xpix]);
                    for (int v = 0; v < NV; ++v) {
                        if constexpr (simd::kHasFma) acc[i][v] = S::fma(wv[v], xv, acc[i][v]);
                        else acc[i][v] = S::add(acc[i][v], S::mul(wv[v], xv));
                    }
                }
                for (int g = 0; g < G; ++g) ++p[g];
            }
        }
        for (int v = 0; v < NV; ++v) {
            const int lanes = std::min(N, nchan - v * N);
            if (lanes <= 0) break;
            for (int i = 0; i < MR; ++i) {
                if (lanes == N) S::store(o + i * opix + v * N, acc[i][v]);
                else S::store_first(o + i * opix + v * N, acc[i][v], lanes);
            }
        }
    } else {
        T acc[MR][W];
        for (int i = 0; i < MR; ++i)
            for (int l = 0; l < W; ++l) acc[i][l] = io.start[i * io.spix + l];
        for (int t = 0; t < ntaps; ++t) {
            const T* xp = x[t];
            const T* wp = w[t];
            for (int64_t c = 0; c < cin; ++c, ++xp, wp += wstep)
                for (int i = 0; i < MR; ++i)
                    for (int l = 0; l < W; ++l) acc[i][l] = acc[i][l] + wp[l] * xp[i * xpix];
        }
        for (int i = 0; i < MR; ++i)
            for (int l = 0; l < nchan; ++l) o[i * opix + l] = acc[i][l];
    }
    if (planar) transpose_rows(tile, W, MR, io.nchan, io.out, io.ochan);
}

// A large scratch buffer of the calling thread, reused across calls: freed, a buffer of
// many MiB goes back to the OS and faults in again page by page on the next call (see
// docs/performance.md). Up to kPoolBytes of buffers stay per thread, kernel file and ISA
// level (the pool lives in each kernel object: code compiled for one level must not run on
// behalf of another), the largest given back first when over.
constexpr size_t kPoolBytes = size_t(128) << 20;
struct PoolEntry {
    size_t bytes;
    std::unique_ptr<char[]> mem;
};
inline std::vector<PoolEntry>& thread_pool() {
    thread_local std::vector<PoolEntry> pool;
    return pool;
}
template <class T>
class Pooled {
  public:
    Pooled() = default;
    // pooled = false: a plain allocation, freed at the end (buffers kept across calls).
    explicit Pooled(size_t n, bool pooled = true) : bytes_(std::max<size_t>(64, n * sizeof(T) + 64)), pooled_(pooled) {
        if (!pooled_) {
            mem_.reset(new char[bytes_]);
            return;
        }
        auto& pool = thread_pool();
        size_t best = pool.size();  // the smallest pooled buffer that is large enough
        for (size_t i = 0; i < pool.size(); ++i)
            if (pool[i].bytes >= bytes_ && (best == pool.size() || pool[i].bytes < pool[best].bytes)) best = i;
        if (best < pool.size()) {
            bytes_ = pool[best].bytes;
            mem_ = std::move(pool[best].mem);
            pool.erase(pool.begin() + (std::ptrdiff_t)best);
        } else {
            mem_.reset(new char[bytes_]);
        }
    }
    Pooled(Pooled&& o) noexcept : bytes_(o.bytes_), pooled_(o.pooled_), mem_(std::move(o.mem_)) {}
    Pooled& operator=(Pooled&& o) noexcept {
        release();
        bytes_ = o.bytes_;
        pooled_ = o.pooled_;
        mem_ = std::move(o.mem_);
        return *this;
    }
    ~Pooled() { release(); }
    // 64-byte aligned.
    T* data() const { return mem_ ? (T*)(((uintptr_t)mem_.get() + 63) & ~uintptr_t(63)) : nullptr; }

  private:
    void release() {
        if (!mem_ || !pooled_) return;
        auto& pool = thread_pool();
        pool.push_back({bytes_, std::move(mem_)});
        size_t total = 0;
        for (const auto& e : pool) total += e.bytes;
        while (total > kPoolBytes) {
            auto big = std::max_element(pool.begin(), pool.end(),
                                        [](const PoolEntry& x, const PoolEntry& y) { return x.bytes < y.bytes; });
            total -= big->bytes;
            pool.erase(big);
        }
    }
    size_t bytes_ = 0;
    bool pooled_ = true;
    std::unique_ptr<char[]> mem_;
};

template <class T>
using BlockFn = void (*)(const T* const*, int64_t, const T* const*, int64_t, int, int64_t, const BlockIO<T>&);

// block<m, NV, T> for m = 1..MR, indexed by m - 1.
template <int NV, class T, int... I>
constexpr std::array<BlockFn<T>, sizeof...(I)> block_table(std::integer_sequence<int, I...>) {
    return {&block<I + 1, NV, T>...};
}

// A convolution's weights as [group][channel block][ki][kj][ci][OCB] (OCB = NV vectors of
// output channels, zero beyond the group's channels) and its bias as [group][cpad], with
// the micro-kernels for that block width.
template <class T>
struct PackedWeights {
    int64_t G = 1, cin_g = 1, cout_g = 1, kh = 1, kw = 1, ocb = 1, nocb = 1, cpad = 1, mr = 1;
    Pooled<T> w;
    std::vector<T> b;
    const BlockFn<T>* table = nullptr;

    // weight: (G * cout_g, cin_g, kh, kw) contiguous; bias: G * cout_g values or null;
    // pooled: the buffer from the thread's pool (false for weights kept across calls).
    PackedWeights(const T* weight, const T* bias, int64_t groups, int64_t cout_per_group, int64_t cin_per_group,
                  int64_t kernel_h, int64_t kernel_w, int nthreads, bool pooled = true)
        : G(groups), cin_g(cin_per_group), cout_g(cout_per_group), kh(kernel_h), kw(kernel_w) {
        using L = Lanes<T>;
        static const auto t1 = block_table<1, T>(std::make_integer_sequence<int, L::kMR1>{});
        static const auto t2 = block_table<2, T>(std::make_integer_sequence<int, L::kMR2>{});
        const bool one = cout_g <= L::N;
        ocb = (one ? 1 : 2) * L::N;
        mr = one ? L::kMR1 : L::kMR2;
        table = one ? t1.data() : t2.data();
        nocb = (cout_g + ocb - 1) / ocb;
        cpad = nocb * ocb;
        const int64_t K = kh * kw, panel = K * cin_g * ocb;
        b.assign((size_t)(G * cpad), T(0));
        for (int64_t grp = 0; grp < G; ++grp)
            for (int64_t co = 0; co < cout_g; ++co) b[(size_t)(grp * cpad + co)] = bias ? bias[grp * cout_g + co] : T(0);
        // One panel (group, channel block) per item, in blocks of 16 input channels: the
        // block's part of the panel (K x 16 x ocb) stays in L1 while each of the ocb weight
        // rows is read in order (reading the rows side by side would touch ocb pages per
        // element).
        w = Pooled<T>((size_t)(G * nocb * panel), pooled);
        parallel_for(G * nocb, nthreads, grain::min_items(grain::kConvPad, panel), [&](int64_t p0, int64_t p1) {
            for (int64_t pi = p0; pi < p1; ++pi) {
                const int64_t grp = pi / nocb, co0 = (pi % nocb) * ocb, nl = std::min(ocb, cout_g - co0);
                const T* src = weight + (grp * cout_g + co0) * cin_g * K;
                T* d = w.data() + pi * panel;  // d[(k*cin_g + ci)*ocb + l]
                for (int64_t c0 = 0; c0 < cin_g; c0 += 16) {
                    const int64_t c1 = std::min(cin_g, c0 + 16);
                    for (int64_t l = 0; l < ocb; ++l) {
                        if (l >= nl) {
                            for (int64_t k = 0; k < K; ++k)
                                for (int64_t ci = c0; ci < c1; ++ci) d[(k * cin_g + ci) * ocb + l] = T(0);
                            continue;
                        }
                        const T* row = src + l * cin_g * K;
                        for (int64_t ci = c0; ci < c1; ++ci)
                            for (int64_t k = 0; k < K; ++k) d[(k * cin_g + ci) * ocb + l] = row[ci * K + k];
                    }
                }
            }
        });
    }
    const T* tap(int64_t grp, int64_t blk, int64_t ki, int64_t kj) const {
        return w.data() + (((grp * nocb + blk) * kh + ki) * kw + kj) * cin_g * ocb;
    }
};

// The output columns [lo, hi) of a row of wo whose tap column kj reads inside an input row
// of w (column stride sw, left padding pw, dilation dw).
inline void tap_columns(int64_t wo, int64_t w, int64_t sw, int64_t pw, int64_t dw, int64_t kj, int64_t& lo,
                        int64_t& hi) {
    const int64_t e = kj * dw - pw;  // input column of output 0
    lo = std::min(wo, std::max<int64_t>(0, ceil_div(-e, sw)));
    hi = std::max(lo, std::min(wo, ceil_div(w - e, sw)));
}

// The blocks of an output row, per block the tap columns that read the input for at least
// one of its pixels, and the zero columns left and right of the input those reads need.
// Blocks of at most mr pixels are chosen by a shortest path over the row's columns that
// minimises the modelled cycles: a block of m pixels runs max(m * nv, 8) / 2 + 1/2 cycles
// per tap and input channel (m * nv FMAs on two ports, at least 8 accumulators to cover
// the FMA latency) plus a fixed cost per call, and among equal costs the most even widths.
// A tap column that reads only padding for a block is skipped, so at dilation d the row
// splits where tap columns enter the input (at d = 12 on a 65-wide row: 12 | 41 | 12, the
// edge blocks with two tap columns of three).
struct RowBlocks {
    std::vector<int64_t> x0;               // block b: output columns [x0[b], x0[b + 1])
    std::vector<std::vector<int64_t>> kj;  // its tap columns
    int64_t lpad = 0, rpad = 0;

    // For the micro-kernels and tap columns of p: output width wo, input width w, column
    // stride, padding and dilation.
    template <class T>
    RowBlocks(const PackedWeights<T>& p, int64_t wo, int64_t w, int64_t sw, int64_t pw, int64_t dw)
        : RowBlocks(wo, w, p.kw, sw, pw, dw, p.mr, p.ocb / Lanes<T>::N, p.cin_g) {}
    // nv: channel vectors per block; cin: input channels per tap.
    RowBlocks(int64_t wo, int64_t w, int64_t kw, int64_t sw, int64_t pw, int64_t dw, int64_t mr, int64_t nv,
              int64_t cin) {
        // Tap column j reads the input for output columns [lo[j], hi[j]).
        std::vector<int64_t> lo((size_t)kw), hi((size_t)kw);
        for (int64_t j = 0; j < kw; ++j) tap_columns(wo, w, sw, pw, dw, j, lo[(size_t)j], hi[(size_t)j]);
        auto reads = [&](int64_t j, int64_t a, int64_t b) {  // a pixel of [a, b) reads column j inside
            return lo[(size_t)j] < hi[(size_t)j] && a < hi[(size_t)j] && b > lo[(size_t)j];
        };
        auto taps = [&](int64_t a, int64_t b) {
            int64_t n = 0;
            for (int64_t j = 0; j < kw; ++j) n += reads(j, a, b);
            return n;
        };
        auto cost = [&](int64_t a, int64_t b) {  // half-cycles
            return taps(a, b) * (cin * (std::max<int64_t>((b - a) * nv, 8) + 1) + 40) + 80;
        };
        // best[e]: the least cost of columns [0, e), then the least sum of squared widths
        // (balanced blocks among equal costs); from[e]: where its last block starts.
        std::vector<std::pair<int64_t, int64_t>> best((size_t)wo + 1, {0, 0});
        std::vector<int64_t> from((size_t)wo + 1, 0);
        for (int64_t e = 1; e <= wo; ++e) {
            for (int64_t a = std::max<int64_t>(0, e - mr); a < e; ++a) {
                const std::pair<int64_t, int64_t> c = {best[(size_t)a].first + cost(a, e),
                                                       best[(size_t)a].second + (e - a) * (e - a)};
                if (a == std::max<int64_t>(0, e - mr) || c < best[(size_t)e]) {
                    best[(size_t)e] = c;
                    from[(size_t)e] = a;
                }
            }
        }
        for (int64_t e = wo; e > 0; e = from[(size_t)e]) x0.push_back(e);
        x0.push_back(0);
        std::reverse(x0.begin(), x0.end());
        const int64_t nb = (int64_t)x0.size() - 1;
        kj.resize((size_t)nb);
        for (int64_t b = 0; b < nb; ++b)
            for (int64_t j = 0; j < kw; ++j) {
                const int64_t a = x0[(size_t)b], z = x0[(size_t)b + 1];
                if (!reads(j, a, z)) continue;
                kj[(size_t)b].push_back(j);
                lpad = std::max(lpad, -(a * sw - pw + j * dw));
                rpad = std::max(rpad, (z - 1) * sw - pw + j * dw - (w - 1));
            }
    }
    int64_t blocks() const { return (int64_t)kj.size(); }
};

// A pixel stride (elements) of at least n whose byte size is an odd number of cache lines:
// the MR pixels a block broadcasts from then fall in MR different L1 sets. (At 2048
// float channels, 8 KiB apart, they would all share one set with the weights and evict
// each other.)
template <class T>
inline int64_t odd_lines(int64_t n) {
    const int64_t per = 64 / (int64_t)sizeof(T), lines = (n + per - 1) / per;
    return (lines | 1) * per;
}

// An input (n, c, h, w) read as channels-last rows: pixel (n, iy, ix), channel ch at
// base + n*sn + iy*srow + ix*spix + ch. In place when the channels are contiguous, no
// read leaves the input and the pixel stride is not a multiple of 1 KiB (see odd_lines);
// otherwise a copy with lpad and rpad zero columns and an odd-lines pixel stride (one
// pass over the input, against C_out multiply-adds per tap and element).
template <class T>
struct ChannelsLast {
    const T* base = nullptr;
    int64_t sn = 0, srow = 0, spix = 0;
    Pooled<T> buf;

    ChannelsLast() = default;
    // Rows already channels-last, read in place.
    static ChannelsLast view(const T* base, int64_t sn, int64_t srow, int64_t spix) {
        ChannelsLast v;
        v.base = base; v.sn = sn; v.srow = srow; v.spix = spix;
        return v;
    }
    // x's strides in elements: image, row, channel, pixel.
    ChannelsLast(const T* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t xs0, int64_t xsh, int64_t xc,
                 int64_t xp, int64_t lpad, int64_t rpad, int nthreads) {
        if (xc == 1 && lpad == 0 && rpad == 0 && (xp * (int64_t)sizeof(T)) % 1024 != 0) {
            base = x; sn = xs0; srow = xsh; spix = xp;
            return;
        }
        const int64_t wp = lpad + w + rpad, cp = odd_lines<T>(c);
        buf = Pooled<T>((size_t)(n * h * wp * cp));  // every element read is written below
        T* const d0 = buf.data();
        parallel_for(n * h, nthreads, grain::min_items(grain::kConvPad, wp * cp), [&](int64_t b, int64_t e) {
            for (int64_t row = b; row < e; ++row) {
                T* d = d0 + row * wp * cp;
                std::fill(d, d + lpad * cp, T(0));
                std::fill(d + (lpad + w) * cp, d + wp * cp, T(0));
                d += lpad * cp;
                const T* src = x + (row / h) * xs0 + (row % h) * xsh;
                if (xc == 1) {
                    for (int64_t ix = 0; ix < w; ++ix) std::copy_n(src + ix * xp, c, d + ix * cp);
                } else {
                    transpose_rows(src, xc, c, w, d, cp);
                }
            }
        });
        base = d0 + lpad * cp;
        sn = h * wp * cp;
        srow = wp * cp;
        spix = cp;
    }
};

// The tap rows ki of output row oy that read input rows iy in [0, h).
inline int valid_rows(int64_t h, const ConvSpec& s, int64_t oy, int64_t* ki, int64_t* iy) {
    int n = 0;
    for (int64_t k = 0; k < s.kh; ++k) {
        const int64_t y = oy * s.sh - s.ph + k * s.dh;
        if (y >= 0 && y < h) {
            ki[n] = k;
            iy[n++] = y;
        }
    }
    return n;
}

// The sum of a block runs over its taps (ki, kj ascending), then channels; it is computed
// in chunks of (tap, channel) pairs, each a run of that sequence, so every accumulator
// sees the same operations in the same order whatever the chunks (the partial sums are
// stored and reloaded exactly). A chunk's weights for one channel block (128 KiB) stay in
// L2 while every block of a tile of rows streams through them, and the tile's input stays
// in cache across the channel blocks: the weights are read from L3 or memory once per
// tile, not once per block.
template <class T>
struct Chunks {
    struct Chunk {
        int64_t k0, k1, c0, c1;  // taps [k0, k1) of kh*kw, channels [c0, c1)
    };
    std::vector<Chunk> list;
    Chunks(const PackedWeights<T>& pw) {
        const int64_t depth = std::max<int64_t>(64, 131072 / (pw.ocb * (int64_t)sizeof(T)));  // 128 KiB of weights
        const int64_t K = pw.kh * pw.kw;
        if (pw.cin_g >= depth) {
            for (int64_t k = 0; k < K; ++k)
                for (int64_t c = 0; c < pw.cin_g; c += depth) list.push_back({k, k + 1, c, std::min(pw.cin_g, c + depth)});
        } else {
            const int64_t per = std::max<int64_t>(1, depth / pw.cin_g);
            for (int64_t k = 0; k < K; k += per) list.push_back({k, std::min(K, k + per), 0, pw.cin_g});
        }
    }
};

// Rows of output computed together: as many as keep a tile's input and results within
// about 4 MiB (each row at most about `row_bytes`), at most 8; more rows per tile read
// the weights fewer times.
inline int64_t tile_rows(int64_t row_bytes) {
    return std::max<int64_t>(1, std::min<int64_t>(8, (int64_t(4096) << 10) / std::max<int64_t>(1, row_bytes)));
}

// Per-thread state of gemm_tile.
template <class T>
struct TileScratch {
    std::vector<const T*> xt, wt;
    std::vector<int64_t> iy;    // [row][ki]: input row, or -1 outside the input
    std::vector<int64_t> last;  // [row][block]: the last chunk with taps, or -1
    std::vector<char> started;  // [row][group][channel block][block]
};

// Where gemm_tile's results go: channel co < cstore of group grp of pixel ox of row r to
// row[r][ox*opix + (grp*gstride + co)*ochan] (ochan != 1: planar, opix = 1). A block whose
// sum takes more than one chunk keeps its partial sums channels-last in
// part[r][ox*ppix + grp*cpad + co] (padding channels included), which may be the
// destination itself where that has this layout.
template <class T>
struct TileOut {
    T* const* row;
    int64_t opix, ochan, gstride, cstore;
    T* const* part;
    int64_t ppix;
};

// Output rows items[r] = n * ho + oy for r < rows, every group and channel block, starting
// from brow[r] ([group][cpad]).
template <class T>
void gemm_tile(const PackedWeights<T>& pw, const Chunks<T>& ch, const RowBlocks& rb, const ConvSpec& s,
               const ChannelsLast<T>& xin, int64_t h, int64_t ho, const int64_t* items, int64_t rows,
               const T* const* brow, const TileOut<T>& out, TileScratch<T>& sc) {
    const int64_t K = s.kh * s.kw, nb = rb.blocks(), nch = (int64_t)ch.list.size();
    sc.xt.resize((size_t)K);
    sc.wt.resize((size_t)K);
    sc.iy.assign((size_t)(rows * s.kh), -1);
    sc.last.assign((size_t)(rows * nb), -1);
    sc.started.assign((size_t)(rows * pw.G * pw.nocb * nb), 0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t ki = 0; ki < s.kh; ++ki) {
            const int64_t y = (items[r] % ho) * s.sh - s.ph + ki * s.dh;
            if (y >= 0 && y < h) sc.iy[(size_t)(r * s.kh + ki)] = y;
        }
    // The taps of chunk c inside the input for row r and block b, into sc.xt and sc.wt.
    auto taps = [&](const typename Chunks<T>::Chunk& c, int64_t r, int64_t b, int64_t grp, int64_t blk) {
        const T* xn = xin.base + (items[r] / ho) * xin.sn + grp * pw.cin_g + c.c0;
        const int64_t x0 = rb.x0[(size_t)b];
        int n = 0;
        for (int64_t ki = c.k0 / s.kw; ki <= (c.k1 - 1) / s.kw; ++ki) {
            const int64_t y = sc.iy[(size_t)(r * s.kh + ki)];
            if (y < 0) continue;
            for (int64_t kj : rb.kj[(size_t)b]) {
                const int64_t k = ki * s.kw + kj;
                if (k < c.k0 || k >= c.k1) continue;
                sc.xt[(size_t)n] = xn + y * xin.srow + (x0 * s.sw - s.pw + kj * s.dw) * xin.spix;
                sc.wt[(size_t)n++] = pw.tap(grp, blk, ki, kj) + c.c0 * pw.ocb;
            }
        }
        return n;
    };
    for (int64_t ci = 0; ci < nch; ++ci)
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t b = 0; b < nb; ++b)
                if (taps(ch.list[(size_t)ci], r, b, 0, 0)) sc.last[(size_t)(r * nb + b)] = ci;
    // The destination of block b of row r, channel block blk of group grp.
    auto dest = [&](BlockIO<T>& io, int64_t r, int64_t b, int64_t grp, int64_t blk) {
        io.out = out.row[r] + rb.x0[(size_t)b] * out.opix + (grp * out.gstride + blk * pw.ocb) * out.ochan;
        io.opix = out.opix;
        io.ochan = out.ochan;
        io.nchan = (int)std::min(pw.ocb, out.cstore - blk * pw.ocb);
    };
    for (int64_t grp = 0; grp < pw.G; ++grp)
        for (int64_t ci = 0; ci < nch; ++ci)
            for (int64_t blk = 0; blk < pw.nocb; ++blk)
                for (int64_t r = 0; r < rows; ++r)
                    for (int64_t b = 0; b < nb; ++b) {
                        const int nt = taps(ch.list[(size_t)ci], r, b, grp, blk);
                        if (!nt) continue;
                        char& st = sc.started[(size_t)(((r * pw.G + grp) * pw.nocb + blk) * nb + b)];
                        T* part = out.part[r] + rb.x0[(size_t)b] * out.ppix + grp * pw.cpad + blk * pw.ocb;
                        BlockIO<T> io;
                        io.start = st ? part : brow[r] + grp * pw.cpad + blk * pw.ocb;
                        io.spix = st ? out.ppix : 0;
                        if (ci == sc.last[(size_t)(r * nb + b)]) {
                            dest(io, r, b, grp, blk);
                        } else {
                            io.out = part;
                            io.opix = out.ppix;
                            io.ochan = 1;
                            io.nchan = (int)pw.ocb;
                        }
                        const int64_t depth = ch.list[(size_t)ci].c1 - ch.list[(size_t)ci].c0;
                        pw.table[rb.x0[(size_t)b + 1] - rb.x0[(size_t)b] - 1](sc.xt.data(), s.sw * xin.spix,
                                                                              sc.wt.data(), pw.ocb, nt, depth, io);
                        st = 1;
                    }
    // Blocks no tap reaches: the bias alone.
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t b = 0; b < nb; ++b) {
            if (sc.last[(size_t)(r * nb + b)] >= 0) continue;
            for (int64_t grp = 0; grp < pw.G; ++grp)
                for (int64_t blk = 0; blk < pw.nocb; ++blk) {
                    BlockIO<T> io;
                    io.start = brow[r] + grp * pw.cpad + blk * pw.ocb;
                    io.spix = 0;
                    dest(io, r, b, grp, blk);
                    pw.table[rb.x0[(size_t)b + 1] - rb.x0[(size_t)b] - 1](sc.xt.data(), 0, sc.wt.data(), pw.ocb, 0, 0, io);
                }
        }
}

}  // namespace
}  // namespace PK_ISA_NS
}  // namespace pk
