// pool: max / average pooling over per-axis window tables (max_unpool2d: max_unpool2d.cpp).
//
// max_pool2d, avg_pool2d, adaptive_{max,avg}_pool2d, SPP and PSP's pooling all reduce to
// "output (oy, ox) reads rows start_y[oy] + j*dil_y and columns start_x[ox] + i*dil_x"
// (Python builds the tables with torch's window rules and clips the padding away). Taps
// are visited in row-major order, as torch does, so the maximum's index follows torch's
// tie rule (the first maximum; a NaN wins and a later NaN replaces it) and sums add in
// torch's order: the same bits at every ISA level and thread count.
//
// Vector paths (float32 and float64; float16 and uint8 through float32 with converting
// loads): channels-last images vectorise over channels; planar maps vectorise over output
// columns where the windows are whole (interior), with stride 1 (plain loads) or 2 (two
// loads and an even/odd split), and otherwise (adaptive windows) take each column's
// maximum over the window rows in vectors first. Everything else runs the scalar loop,
// which is the definition.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
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


// The vector type of a compute type.
template <class C>
using VecOf = std::conditional_t<std::is_same_v<C, double>, simd::F64, simd::F32>;

// Columns [lo, hi) of a planar row that planar_row computes: whole, regularly spaced
// windows, and vector blocks whose loads stay inside the row (the stride-2 split loads
// 2N values from each tap it splits: one past the window for an unpaired last tap).
struct Interior { int64_t lo = 0, hi = 0; };

Interior interior_of(const PoolAxis& ax, int64_t dw, int64_t w, int64_t n) {
    Interior r;
    if (ax.stride < 1 || ax.stride > 2) return r;
    int64_t x = 0;
    while (x < dw && ax.count[x] != ax.taps) ++x;
    r.lo = r.hi = x;
    while (r.hi < dw && ax.count[r.hi] == ax.taps && (r.hi == r.lo || ax.start[r.hi] == ax.start[r.hi - 1] + ax.stride))
        ++r.hi;
    // Furthest element a block starting at column x0 reads, past start[x0].
    const int64_t last_split = ax.dil == 1 ? (ax.taps - 1) / 2 * 2 : ax.taps - 1;  // offset of the last split tap
    const int64_t reach = ax.stride == 1 ? (ax.taps - 1) * ax.dil + n : last_split * ax.dil + 2 * n;
    while (r.hi - r.lo >= n && ax.start[r.hi - n] + reach > w) --r.hi;
    if (r.hi - r.lo < n) r.hi = r.lo;
    return r;
}

// Planar rows, whole windows, output columns [xb, xe) in vectors: tap by tap in
// row-major order. rows[j] / hw[j]: input row j of the window and its h*W. With stride 2
// and adjacent taps, one even/odd split serves two taps. U blocks of N columns advance
// together: independent dependency chains keep the vector units busy.
template <bool AVG, bool IDX, int STRIDE, int U, class R, class C>
inline void planar_blocks(const R* const* rows, const int64_t* hw, int64_t ny, const int64_t* x0, int64_t nx,
                          int64_t dx, const C* dv, C* out, int64_t* idx, const int64_t* xo) {
    using S = VecOf<C>;
    using V = typename S::V;
    using I = typename S::I;
    const I lanes = S::iota(STRIDE);
    V m[U];
    I best[U];
    for (int u = 0; u < U; ++u) {
        m[u] = S::set1(AVG ? C(0) : -std::numeric_limits<C>::infinity());
        if constexpr (IDX) best[u] = S::iadd(S::iset1((int32_t)(hw[0] + x0[u])), lanes);
    }
    for (int64_t j = 0; j < ny; ++j) {
        auto tap = [&](int u, V v, int64_t off) {
            if constexpr (AVG) m[u] = S::add(m[u], v);
            else if constexpr (IDX) S::take_max(m[u], best[u], v, S::iadd(S::iset1((int32_t)(hw[j] + x0[u] + off)), lanes));
            else m[u] = S::take_max(m[u], v);
        };
        if constexpr (STRIDE == 1) {
            for (int64_t i = 0; i < nx; ++i)
                for (int u = 0; u < U; ++u) tap(u, S::load(rows[j] + x0[u] + i * dx), i * dx);
        } else if (dx == 1) {
            for (int64_t i = 0; i < nx; i += 2) {
                V e[U], o[U];
                for (int u = 0; u < U; ++u) {
                    const R* q = rows[j] + x0[u] + i;
                    S::unzip(S::load(q), S::load(q + S::N), e[u], o[u]);
                }
                for (int u = 0; u < U; ++u) tap(u, e[u], i);
                if (i + 1 < nx)
                    for (int u = 0; u < U; ++u) tap(u, o[u], i + 1);
            }
        } else {
            for (int64_t i = 0; i < nx; ++i)
                for (int u = 0; u < U; ++u) {
                    V e, o;
                    const R* q = rows[j] + x0[u] + i * dx;
                    S::unzip(S::load(q), S::load(q + S::N), e, o);
                    tap(u, e, i * dx);
                }
        }
    }
    for (int u = 0; u < U; ++u) {
        S::store(out + xo[u], AVG ? S::div(m[u], S::load(dv + xo[u])) : m[u]);
        if constexpr (IDX) S::store_idx(idx + xo[u], best[u]);
    }
}

template <bool AVG, bool IDX, int STRIDE, class R, class C>
void planar_row(const R* const* rows, const int64_t* hw, int64_t ny, const int32_t* xs, int64_t xb, int64_t xe,
                int64_t nx, int64_t dx, const C* dv, C* out, int64_t* idx) {
    constexpr int64_t N = VecOf<C>::N;
    // Blocks of N columns from xb; a last partial block is redone ending at xe (the
    // overlapping columns get the same values again).
    int64_t xv = xb;
    for (; xv + 2 * N <= xe; xv += 2 * N) {
        const int64_t xo[2] = {xv, xv + N}, x0[2] = {xs[xv], xs[xv + N]};
        planar_blocks<AVG, IDX, STRIDE, 2>(rows, hw, ny, x0, nx, dx, dv, out, idx, xo);
    }
    for (; xv < xe; xv += N) {
        const int64_t xo[1] = {std::min(xv, xe - N)}, x0[1] = {xs[xo[0]]};
        planar_blocks<AVG, IDX, STRIDE, 1>(rows, hw, ny, x0, nx, dx, dv, out, idx, xo);
    }
}

// acc[e] = sum over the window's rows j (in order) of row j's element e, e < n.
template <class T, class C>
void vertical_sum(const Image& src, int64_t p, int64_t y0, int64_t ny, int64_t dy, C* __restrict acc, int64_t n) {
    const T* r0 = row_ptr<T>(src, p, y0);
    int64_t e = 0;
    if constexpr (simd::kSimd && !std::is_same_v<T, uint8_t> && !std::is_same_v<T, uint16_t> &&
                  !std::is_same_v<T, int16_t>) {
        using S = VecOf<C>;
        for (; e + S::N <= n; e += S::N) {
            typename S::V a = S::load(r0 + e);
            for (int64_t j = 1; j < ny; ++j) a = S::add(a, S::load(row_ptr<T>(src, p, y0 + j * dy) + e));
            S::store(acc + e, a);
        }
    }
    for (; e < n; ++e) {
        C a = load_c<C>(r0[e]);
        for (int64_t j = 1; j < ny; ++j) a = a + load_c<C>(row_ptr<T>(src, p, y0 + j * dy)[e]);
        acc[e] = a;
    }
}

// torch's maximum rule for one value v after the running maximum m: v replaces m where it is
// greater or NaN (ties keep the earlier element; a NaN wins, and a later NaN replaces it).
template <class C>
inline bool replaces(C v, C m) {
    return v > m || v != v;
}

// acc[e] = the maximum over the window's rows of row j's element e (in the compute type,
// take_max's rule per element), e < n; returns acc. With arg: arg[e] = the row it came from (the first
// row holding the maximum; for NaN, the last NaN's row).
template <class T, class C>
const C* vertical_max(const Image& src, int64_t p, int64_t y0, int64_t ny, int64_t dy, C* __restrict acc, int64_t n,
                      int32_t* __restrict arg = nullptr) {
    int64_t e = 0;
    if constexpr (simd::kSimd) {
        using S = VecOf<C>;
        for (; e + S::N <= n; e += S::N) {
            typename S::V m = S::load(row_ptr<T>(src, p, y0) + e);
            if (arg) {
                typename S::I r = S::iset1((int32_t)y0);
                for (int64_t j = 1; j < ny; ++j)
                    S::take_max(m, r, S::load(row_ptr<T>(src, p, y0 + j * dy) + e), S::iset1((int32_t)(y0 + j * dy)));
                S::istore(arg + e, r);
            } else {
                for (int64_t j = 1; j < ny; ++j) m = S::take_max(m, S::load(row_ptr<T>(src, p, y0 + j * dy) + e));
            }
            S::store(acc + e, m);
        }
    }
    for (; e < n; ++e) {
        C m = load_c<C>(row_ptr<T>(src, p, y0)[e]);
        int32_t r = (int32_t)y0;
        for (int64_t j = 1; j < ny; ++j) {
            const C v = load_c<C>(row_ptr<T>(src, p, y0 + j * dy)[e]);
            if (replaces(v, m)) m = v, r = (int32_t)(y0 + j * dy);
        }
        acc[e] = m;
        if (arg) arg[e] = r;
    }
    return acc;
}

template <class T>
void pool_impl(const Image& src, const Image& dst, const Image* idx, const PoolSpec& spec, int nthreads) {
    const PoolAxis &ay = spec.y, &ax = spec.x;
    const bool avg = spec.avg;
    const int64_t *fy = spec.fy, *fx = spec.fx, divisor = spec.divisor;
    using C = OpMath<T>;  // exact for max; torch's opmath for avg
    const int64_t W = src.w, cn = src.cn, dh = dst.h, dw = dst.w, rowlen = dw * cn;
    // float16 and uint8 take the float32 paths: their vector loads convert exactly, and
    // results go back through the float32 row o; float64 runs the same code in F64 vectors.
    constexpr bool kVec = simd::kSimd && (std::is_same_v<T, float> || std::is_same_v<T, half_t> ||
                                          std::is_same_v<T, uint8_t> || std::is_same_v<T, double>);
    using S = VecOf<C>;
    const bool int32_ok = src.h * W < (int64_t(1) << 31);
    const Interior inner = (kVec && cn == 1 && int32_ok) ? interior_of(ax, dw, W, simd::kLanes<C>) : Interior{};

    auto work = [&](int64_t begin, int64_t end) {
        Scratch<C> obuf, divbuf, accbuf;
        Scratch<int32_t> argbuf;
        const T* rows[64];
        int64_t hw[64];
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / dh, oy = item % dh;
            const int64_t y0 = ay.start[oy], ny = ay.count[oy], dy = ay.dil;
            C* o = std::is_same_v<T, C> ? (C*)(dst.plane(p) + oy * dst.sh) : obuf.get(rowlen);
            int64_t* irow = idx ? (int64_t*)(idx->plane(p) + oy * idx->sh) : nullptr;
            if (oy + 1 < dh)  // the next output row's new input rows: start their fetch now
                for (int64_t h = std::max(y0 + (ny - 1) * dy + 1, (int64_t)ay.start[oy + 1]);
                     h < ay.start[oy + 1] + (int64_t)ay.count[oy + 1] * dy; h += dy) {
                    const char* r = (const char*)row_ptr<T>(src, p, h);
                    for (int64_t b = 0; b < std::min<int64_t>(W * cn * (int64_t)sizeof(T), 16384); b += 64)
                        PK_PREFETCH(r + b);
                }
            // The scalar definition `one(x, c)` for the columns no vector path did ([vb, ve) did).
            auto scalar_outside = [&](int64_t vb, int64_t ve, const auto& one) {
                for (int64_t x = 0; x < std::min(vb, dw); ++x)
                    for (int64_t c = 0; c < cn; ++c) one(x, c);
                for (int64_t x = std::max(ve, vb); x < dw; ++x)
                    for (int64_t c = 0; c < cn; ++c) one(x, c);
            };
            if (avg) {
                // Sum order: the window's rows first (acc, per input column), then its
                // columns: out = (acc[w0] + acc[w1] + ...) / divisor.
                C* dv = divbuf.get(dw);
                for (int64_t x = 0; x < dw; ++x) dv[x] = C(divisor > 0 ? divisor : fy[oy] * fx[x]);
                C* acc = accbuf.get(W * cn);
                vertical_sum<T, C>(src, p, y0, ny, dy, acc, W * cn);
                auto scalar_avg = [&](int64_t x, int64_t c) {
                    const int64_t x0 = ax.start[x], nx = ax.count[x], dx = ax.dil;
                    C m = C(0);
                    for (int64_t i = 0; i < nx; ++i) m = m + acc[(x0 + i * dx) * cn + c];
                    o[x * cn + c] = m / dv[x];
                };
                int64_t vb = dw, ve = dw;  // columns done by vectors (planar)
                if constexpr (kVec) {
                    if (cn >= S::N) {
                        for (int64_t x = 0; x < dw; ++x) {
                            const int64_t x0 = ax.start[x], nx = ax.count[x], dx = ax.dil;
                            int64_t c = 0;
                            for (; c + S::N <= cn; c += S::N) {
                                typename S::V m = S::set1(0.0f);
                                for (int64_t i = 0; i < nx; ++i) m = S::add(m, S::load(acc + (x0 + i * dx) * cn + c));
                                S::store(o + x * cn + c, S::div(m, S::set1(dv[x])));
                            }
                            for (; c < cn; ++c) scalar_avg(x, c);
                        }
                        vb = ve = 0;
                    } else if (cn == 1 && inner.hi > inner.lo) {
                        const C* accrow[1] = {acc};
                        const int64_t zero[1] = {0};
                        (ax.stride == 1 ? &planar_row<true, false, 1, C, C> : &planar_row<true, false, 2, C, C>)(
                            accrow, zero, 1, ax.start, inner.lo, inner.hi, ax.taps, ax.dil, dv, o, nullptr);
                        vb = inner.lo;
                        ve = inner.hi;
                    }
                }
                scalar_outside(vb, ve, scalar_avg);
            } else {
                // The definition: taps in row-major order, torch's maximum and index rule.
                auto scalar_max = [&](int64_t x, int64_t c) {
                    const int64_t x0 = ax.start[x], nx = ax.count[x], dx = ax.dil;
                    C m = -std::numeric_limits<C>::infinity();
                    int64_t best = y0 * W + x0;
                    for (int64_t j = 0; j < ny; ++j) {
                        const int64_t h = y0 + j * dy;
                        const T* r = row_ptr<T>(src, p, h);
                        for (int64_t i = 0; i < nx; ++i) {
                            const int64_t w = x0 + i * dx;
                            const C v = load_c<C>(r[w * cn + c]);
                            if (replaces(v, m)) {
                                m = v;
                                best = h * W + w;
                            }
                        }
                    }
                    o[x * cn + c] = m;
                    if (irow) irow[x * cn + c] = best;
                };
                int64_t vb = dw, ve = dw;
                if constexpr (kVec) {
                    using V = typename S::V;
                    using I = typename S::I;
                    if (cn >= S::N && int32_ok) {  // channels-last: vectors of channels
                        for (int64_t x = 0; x < dw; ++x) {
                            const int64_t x0 = ax.start[x], nx = ax.count[x], dx = ax.dil;
                            int64_t c = 0;
                            for (; c + S::N <= cn; c += S::N) {
                                V m = S::set1(-std::numeric_limits<C>::infinity());
                                I best = S::iset1((int32_t)(y0 * W + x0));
                                for (int64_t j = 0; j < ny; ++j) {
                                    const int64_t h = y0 + j * dy;
                                    const T* r = row_ptr<T>(src, p, h);
                                    for (int64_t i = 0; i < nx; ++i) {
                                        const int64_t w = x0 + i * dx;
                                        S::take_max(m, best, S::load(r + w * cn + c), S::iset1((int32_t)(h * W + w)));
                                    }
                                }
                                S::store(o + x * cn + c, m);
                                if (irow) S::store_idx(irow + x * cn + c, best);
                            }
                            for (; c < cn; ++c) scalar_max(x, c);
                        }
                        vb = ve = 0;
                    } else if (cn == 1 && inner.hi > inner.lo && ny <= 64) {  // planar: vectors of columns
                        for (int64_t j = 0; j < ny; ++j) {
                            rows[j] = row_ptr<T>(src, p, y0 + j * dy);
                            hw[j] = (y0 + j * dy) * W;
                        }
                        const auto run = irow ? (ax.stride == 1 ? &planar_row<false, true, 1, T, C> : &planar_row<false, true, 2, T, C>)
                                              : (ax.stride == 1 ? &planar_row<false, false, 1, T, C> : &planar_row<false, false, 2, T, C>);
                        run(rows, hw, ny, ax.start, inner.lo, inner.hi, ax.taps, ax.dil, nullptr, o, irow);
                        vb = inner.lo;
                        ve = inner.hi;
                    }
                }
                // Planar maps without a regular interior (adaptive pooling, SPP): the
                // window rows' maximum per column first, in vectors (vertical_max), then each
                // window's columns. Without indices, a maximum does not depend on the order
                // except when it is NaN (which NaN) or zero (which sign): those windows rerun
                // the definition. With indices, each column's row (crow) decides between equal
                // values: the row-major first maximum is the one with the smallest (row,
                // column), the last NaN the one with the largest, exactly the definition's
                // choice.
                const C* cmax = nullptr;
                const int32_t* crow = nullptr;
                if constexpr (kVec)
                    if (cn == 1 && vb == ve && vb > 0 && (!irow || int32_ok)) {
                        int32_t* arg = irow ? argbuf.get(W) : nullptr;
                        cmax = vertical_max<T, C>(src, p, y0, ny, dy, accbuf.get(W), W, arg);
                        crow = arg;
                    }
                auto wide_max = [&](int64_t x, int64_t c) {
                    if (crow) {
                        const int64_t x0 = ax.start[x], nx = ax.count[x], dx = ax.dil;
                        C m = cmax[x0];
                        int64_t bc = x0;
                        for (int64_t i = 1; i < nx; ++i) {
                            const int64_t w = x0 + i * dx;
                            const C v = cmax[w];
                            if (v != v ? (m == m || crow[w] >= crow[bc]) : (v > m || (v == m && crow[w] < crow[bc])))
                                m = v, bc = w;
                        }
                        o[x] = C(m);
                        irow[x] = (int64_t)crow[bc] * W + bc;
                        return;
                    }
                    if (cmax) {
                        const int64_t x0 = ax.start[x], nx = ax.count[x], dx = ax.dil;
                        C m = -std::numeric_limits<C>::infinity();
                        for (int64_t i = 0; i < nx; ++i) {
                            const C v = cmax[x0 + i * dx];
                            if (replaces(v, m)) m = v;
                        }
                        if (m == m && m != 0.0f) {
                            o[x] = C(m);
                            return;
                        }
                    }
                    scalar_max(x, c);
                };
                scalar_outside(vb, ve, wide_max);
            }
            if constexpr (!std::is_same_v<T, C>) store_rounded<T, C>(o, (T*)(dst.plane(p) + oy * dst.sh), rowlen);
        }
    };
    const int64_t taps = std::max<int64_t>(1, (ay.taps > 0 ? ay.taps : 1) * (ax.taps > 0 ? ax.taps : 1));
    parallel_for(dst.planes() * dh, nthreads, grain::min_items(grain::kPool, rowlen * taps),
                 work);
}

}  // namespace

PK_REGISTER(pool, pool_impl, uint8_t, ::pk::half_t, float, double);

}  // namespace PK_ISA_NS
}  // namespace pk
