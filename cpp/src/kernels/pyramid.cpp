// pyr_down / pyr_up: the Gaussian pyramid reduce and expand steps, 5-tap [1 4 6 4 1]/16.
// Compiled once per ISA level (PK_ISA_NS names the namespace); see CMakeLists.txt.
#include <algorithm>
#include <vector>

#include "kernels/common.hpp"
#include "kernels/simd.hpp"
#include "pyramidkit/kernels.hpp"
#include "pyramidkit/parallel.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

// Below this many output elements per thread, threading costs more than it saves.
constexpr int64_t kMinElemsPerThread = 1 << 15;

// ---------------------------------------------------------------- pyr_down
//
// dst(y, x) = sum_ij k_i k_j src(B(2y+i-2), B(2x+j-2)) / 256, k = [1 4 6 4 1], B the
// border rule on each axis; exactly OpenCV's definition, for any dst size it accepts.
//
// Order: vertical first. Each output row sums 5 source rows at full width into t (pure
// vertical adds, no shuffles), then decimates t horizontally. Doing the horizontal pass
// second halves the work that needs stride-2 access compared with OpenCV's order.

// pyr_down's padmap: slot k = 0 .. 4 describes virtual column -2, -1, W, W+1, W+2 (the only
// columns outside the row that outputs read, as 2*dw <= W+2).
inline int64_t pad_column(int k, int64_t W) { return k < 2 ? k - 2 : W + k - 2; }
inline int pad_slot(int64_t c, int64_t W) { return int(c < 0 ? c + 2 : c - W + 2); }

// Source row (through the border; -1: the constant) of tap k of pyr_down output row y.
inline int64_t down_source_row(int64_t y, int k, int64_t H, Border b) { return border_index(2 * y + k - 2, H, b); }

// 1 4 6 4 1 of five values, in the order every scalar loop and the float vector loops use:
// ((a + e) + (b + d) * 4) + c * 6, converted to the accumulator type A.
template <class A, class X>
inline A tap5(X a, X b, X c, X d, X e) {
    return A(((a + e) + (b + d) * 4) + c * 6);
}

template <class I, class A>
inline void down_vertical(const I* __restrict r0, const I* __restrict r1, const I* __restrict r2,
                          const I* __restrict r3, const I* __restrict r4, A* __restrict t, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        t[i] = tap5<A>(r0[i], r1[i], r2[i], r3[i], r4[i]);
}

// 1 4 6 4 1 of five vectors. Floats in the scalar loops' order, ((a + e) + (b + d) * 4) + c * 6;
// 16-bit integers (exact in any order) as ((a + e) + 2c) + 4 (b + c + d): one shift and
// adds, which issue on twice the ports of shifts (GCC turns a multiply by 6 into shifts).
template <class S>
inline typename S::V sum5(const typename S::V* v) {
    if constexpr (std::is_same_v<S, simd::U16>)
        return S::add(S::add(S::add(v[0], v[4]), S::add(v[2], v[2])),
                      S::template shl<2>(S::add(S::add(v[1], v[3]), v[2])));
    else
        return S::add(S::add(S::add(v[0], v[4]), S::mul(S::add(v[1], v[3]), S::set1(4))), S::mul(v[2], S::set1(6)));
}

// A vector of pyr_down outputs from their 2-D sums, as Traits::down does lane-wise:
// uint8 (s + 128) >> 8 in 16-bit lanes, float32 s / 256.
template <class S>
inline typename S::V down_vec(typename S::V s) {
    if constexpr (std::is_same_v<S, simd::U16>) return S::template shr<8>(S::add(s, S::set1(128)));
    else return S::mul(s, S::set1(1.0f / 256));
}

// uint8, one channel: horizontal first, in registers. A 16-bit lane of the raw bytes holds
// a pair of neighbouring columns and pmaddubsw weights the pair, so the decimating taps
// need no shuffles: with p at column 2j - 2,
//   h[j] = (p[0] + 4 p[1]) + (6 p[2] + 4 p[3]) + p[4]
//        = madd(load(p), 1, 4) + madd(load(p + 2), 6, 4) + low byte of load(p + 4).
// Each of the 2 NO + 3 source rows of a group of NO output rows is filtered once, and the
// vertical pass combines those sums in registers: 16 * 4080 + 128 fits in 16 bits.
// Measured (one thread, 4096^2): 1.22 ms for the previous vertical-first version (sums of
// split even / odd columns, then lane shifts to decimate), 1.03 ms; AVX2 1.50 -> 1.19 ms.
// The SSE2 level has no pmaddubsw and emulates it: 2.4 -> 3.0 ms there.
constexpr int64_t kDownU8Block = simd::kSimd ? 2 * simd::U16::N : 1;  // outputs per block
constexpr int64_t kDownU8Seg = 2 * kDownU8Block + 4;  // source bytes a block reads from p
// Output rows per group: 11 source rows for 4 outputs. 22 sum vectors live fit AVX-512's
// 32 registers; AVX2 spills a few and is still faster than with pairs (1.19 / 1.24 ms).
constexpr int kDownU8Group = 4;

// Outputs j .. j + kDownU8Block - 1 of NO rows; p[i]: source row i at column 2j - 2.
template <int NO>
inline void down_u8_block(const uint8_t* const* p, uint8_t* const* out) {
    if constexpr (simd::kSimd) {
        using S = simd::U16;
        using V = S::V;
        constexpr int NR = 2 * NO + 3;
        V h[2][NR];
        for (int i = 0; i < NR; ++i)
            for (int k = 0; k < 2; ++k) {
                const uint8_t* q = p[i] + 2 * S::N * k;
                h[k][i] = S::add(S::add(S::madd_u8<1, 4>(S::load_raw(q)), S::madd_u8<6, 4>(S::load_raw(q + 2))),
                                 S::lo_u8(S::load_raw(q + 4)));
            }
        for (int o = 0; o < NO; ++o)
            S::store_u8x2(out[o], down_vec<S>(sum5<S>(h[0] + 2 * o)), down_vec<S>(sum5<S>(h[1] + 2 * o)));
    } else {
        for (int o = 0; o < NO; ++o) {
            uint16_t h[5];
            for (int i = 0; i < 5; ++i) {
                const uint8_t* q = p[2 * o + i];
                h[i] = tap5<uint16_t>(q[0], q[1], q[2], q[3], q[4]);
            }
            out[o][0] = Traits<uint8_t>::down(tap5<uint16_t>(h[0], h[1], h[2], h[3], h[4]));
        }
    }
}

// NO output rows of uint8 pyr_down, one channel, dw wide, from source rows r[0 .. 2NO + 2]
// (row borders already resolved). Columns outside the row come from padmap (virtual
// columns -2, -1, W .. W+2; the outputs never need columns beyond W + 2). Rows too narrow
// for a block read in place go through padded copies (seg: (2NO + 3) * kDownU8Seg bytes).
template <int NO>
void down_rows_u8(const uint8_t* const* r, uint8_t* const* out, int64_t W, int64_t dw, const int64_t* padmap,
                  uint8_t cval, uint8_t* seg, uint8_t* tmp) {
    constexpr int NR = 2 * NO + 3;
    constexpr int64_t B = kDownU8Block;
    auto padded = [&](int64_t j) {  // outputs j .. min(j + B, dw) - 1
        const int64_t c0 = 2 * j - 2, lo = std::max<int64_t>(c0, 0), hi = std::min(c0 + kDownU8Seg, W);
        const uint8_t* p[NR];
        for (int i = 0; i < NR; ++i) {
            uint8_t* s = seg + i * kDownU8Seg;
            // Fixed-size copies: a variable-length memcpy became `rep movsq`, whose start-up
            // cost was a quarter of the whole row's time.
            std::memset(s, 0, kDownU8Seg);
            int64_t c = lo;
            for (; c + 16 <= hi; c += 16) std::memcpy(s + (c - c0), r[i] + c, 16);
            for (; c < hi; ++c) s[c - c0] = r[i][c];
            for (int k = 0; k < 5; ++k) {
                const int64_t v = pad_column(k, W);
                if (v >= c0 && v < c0 + kDownU8Seg) s[v - c0] = padmap[k] < 0 ? cval : r[i][padmap[k]];
            }
            p[i] = s;
        }
        uint8_t* o[NO];
        for (int q = 0; q < NO; ++q) o[q] = tmp + q * B;
        down_u8_block<NO>(p, o);
        for (int q = 0; q < NO; ++q) std::memcpy(out[q] + j, o[q], (size_t)std::min(B, dw - j));
    };
    auto in_place = [&](int64_t j) {  // reads columns 2j - 2 .. 2j + 2B + 1
        const uint8_t* p[NR];
        uint8_t* o[NO];
        for (int i = 0; i < NR; ++i) p[i] = r[i] + 2 * j - 2;
        for (int q = 0; q < NO; ++q) o[q] = out[q] + j;
        down_u8_block<NO>(p, o);
    };
    auto single = [&](int64_t j) {  // one output column, in scalar code
        uint16_t h[NR];
        for (int i = 0; i < NR; ++i) {
            uint16_t t[5];
            for (int k = 0; k < 5; ++k) {
                const int64_t c = 2 * j - 2 + k;
                if (c >= 0 && c < W) {
                    t[k] = r[i][c];
                } else {
                    const int64_t m = padmap[pad_slot(c, W)];
                    t[k] = m < 0 ? cval : r[i][m];
                }
            }
            h[i] = tap5<uint16_t>(t[0], t[1], t[2], t[3], t[4]);
        }
        for (int q = 0; q < NO; ++q)
            out[q][j] = Traits<uint8_t>::down(tap5<uint16_t>(h[2 * q], h[2 * q + 1], h[2 * q + 2], h[2 * q + 3], h[2 * q + 4]));
    };
    // Wide rows: output 0 and the last one to three in scalar code, everything between
    // read in place, the last block moved left to end where in-place reads end (it then
    // overlaps the one before it, writing the same values again).
    const int64_t jmax = std::min((W - 2 * B - 2) / 2, dw - B);  // last in-place block start
    if (jmax < 1) {
        for (int64_t j = 0; j < dw; j += B) padded(j);
        return;
    }
    single(0);
    for (int64_t j = 1;; j += B) {
        j = std::min(j, jmax);
        in_place(j);
        if (j == jmax) break;
    }
    for (int64_t j = jmax + B; j < dw; ++j) single(j);
}

// float32, one channel (float16 is computed in float32): one output row, vertical first.
// The vertical sums are split into even (te) and odd (to) columns, so the decimation
// becomes unit-stride loads at offsets -1, 0, +1 with no shuffles:
//   out[x] = ((te[x-1] + te[x+1]) + (to[x-1] + to[x]) * 4) + te[x] * 6.
// te and to are valid from index -1; padmap maps virtual columns -2, -1, W .. W+2.

// Border columns of the split sums: virtual columns -2, -1 and W .. W+2.
inline void down_pads_cn1(float* __restrict te, float* __restrict to, int64_t W, const int64_t* padmap, float cpad) {
    // (Plain branches, see down_fused_cn1.)
    auto at = [&](int64_t v) -> float& {  // v >> 1 floors: -2, -1 -> -1
        if (v & 1) return to[v >> 1];
        return te[v >> 1];
    };
    float pad[5];
    for (int k = 0; k < 5; ++k) pad[k] = padmap[k] < 0 ? cpad : at(padmap[k]);
    for (int k = 0; k < 5; ++k) at(pad_column(k, W)) = pad[k];
}

// Outputs x0 .. x1-1 from split sums valid on te[x0-1 .. x1], to[x0-1 .. x1-1].
inline void down_finish_cn1(const float* __restrict te, const float* __restrict to, float* __restrict out, int64_t x0,
                            int64_t x1) {
    int64_t x = x0;
    if constexpr (simd::kSimd) {
        using S = simd::F32;
        for (; x + S::N <= x1; x += S::N) {
            S::V v[5] = {S::load(te + x - 1), S::load(to + x - 1), S::load(te + x), S::load(to + x), S::load(te + x + 1)};
            S::store(out + x, down_vec<S>(sum5<S>(v)));
        }
    }
    for (; x < x1; ++x)
        out[x] = Traits<float>::down(tap5<float>(te[x - 1], to[x - 1], te[x], to[x], te[x + 1]));
}

// Vertical sums of rows r[0..4] (and, with R2, of r[2..6]: two output rows from seven
// source rows, each loaded once), split into even and odd columns, and the horizontal
// pass done in registers on the way: block k of N outputs (2N source columns) needs the
// sums of blocks k-1 and k+1 one lane away, so it is written one block late from the
// three blocks held in registers, and the split sums never go back through memory.
// Only the first block and the blocks from the second-last on (whose neighbours include
// border columns) are stored to te / to and left to down_finish_cn1, after the borders
// are known. Returns the outputs written, [N, end) (empty: {0, 0}).
template <bool R2>
std::pair<int64_t, int64_t> down_fused_cn1(const float* const* r, int64_t W, float* __restrict te, float* __restrict to,
                                           float* __restrict te1, float* __restrict to1, float* __restrict out0,
                                           float* __restrict out1) {
    constexpr int NR = R2 ? 7 : 5, NO = R2 ? 2 : 1;
    float* const ste[2] = {te, te1};
    float* const sto[2] = {to, to1};
    float* const out[2] = {out0, out1};
    int64_t j = 0, begin = 0, end = 0;  // [begin, end): outputs the vector loop writes
    if constexpr (simd::kSimd) {
        using S = simd::F32;
        using V = S::V;
        constexpr int64_t N = S::N;
        const int64_t blocks = W / (2 * N);
        if (blocks >= 3) begin = N;  // blocks 1 .. blocks-2
        V e[NO], o[NO], pe[NO], po[NO], ppe[NO], ppo[NO];
        for (int q = 0; q < NO; ++q) e[q] = o[q] = pe[q] = po[q] = ppe[q] = ppo[q] = S::set1(0);
        for (int64_t k = 0; k < blocks; ++k, j += 2 * N) {
            V a[NR], b[NR];
            for (int i = 0; i < NR; ++i) {
                a[i] = S::load(r[i] + j);
                b[i] = S::load(r[i] + j + N);
            }
            for (int q = 0; q < NO; ++q) S::unzip(sum5<S>(a + 2 * q), sum5<S>(b + 2 * q), e[q], o[q]);
            if (k < 2 || k >= blocks - 2)
                for (int q = 0; q < NO; ++q) {
                    S::store(ste[q] + j / 2, e[q]);
                    S::store(sto[q] + j / 2, o[q]);
                }
            if (k >= 2) {
                const int64_t x = (k - 1) * N;
                for (int q = 0; q < NO; ++q) {
                    V v[5] = {S::prev1(ppe[q], pe[q]), S::prev1(ppo[q], po[q]), pe[q], po[q], S::next1(pe[q], e[q])};
                    S::store(out[q] + x, down_vec<S>(sum5<S>(v)));
                }
                end = x + N;
            }
            for (int q = 0; q < NO; ++q) {
                ppe[q] = pe[q];
                ppo[q] = po[q];
                pe[q] = e[q];
                po[q] = o[q];
            }
        }
    }
    // Plain branches and named pointers: GCC 12 with ASan miscompiled stores through
    // `(c ? p : q)[i]` here (a garbage upper half in the index).
    auto put = [](float* e, float* o, int64_t i, float v) {
        if (i & 1) o[i >> 1] = v;
        else e[i >> 1] = v;
    };
    for (; j < W; ++j) {
        put(te, to, j, tap5<float>(r[0][j], r[1][j], r[2][j], r[3][j], r[4][j]));
        if constexpr (R2) put(te1, to1, j, tap5<float>(r[2][j], r[3][j], r[4][j], r[5][j], r[6][j]));
    }
    return {begin, end};
}

// One (R2: two) float output rows: the fused pass, then the borders and the outputs it
// left, [0, N) and [end, dw), from the stored sums.
template <bool R2>
void down_rows_cn1(const float* const* r, float* te, float* to, float* te1, float* to1, float* out0, float* out1,
                   int64_t W, int64_t dw, const int64_t* padmap, float cpad) {
    const auto [begin, end] = down_fused_cn1<R2>(r, W, te, to, te1, to1, out0, out1);
    down_pads_cn1(te, to, W, padmap, cpad);
    if (R2) down_pads_cn1(te1, to1, W, padmap, cpad);
    down_finish_cn1(te, to, out0, 0, begin);
    down_finish_cn1(te, to, out0, end, dw);
    if (R2) {
        down_finish_cn1(te1, to1, out1, 0, begin);
        down_finish_cn1(te1, to1, out1, end, dw);
    }
}

// uint8 with 2 to 4 interleaved channels (kHasPairPx: AVX2, AVX-512): horizontal first,
// as for one channel. pair_px rearranges a source row into q, whose 16-bit lane CN x + c
// holds channel c of the pixel pair 2x, 2x + 1; then the decimating taps are pmaddubsw of
// unit-stride loads one pair (CN lanes) apart:
//   h[k] = madd(q[k - CN], 1, 4) + madd(q[k], 6, 4) + low byte of q[k + CN],  k = CN x + c.
// The vertical pass is a running sum: output row y needs h of source rows 2y-2 .. 2y+2,
//   out = P + 4 h(2y+1) + h(2y+2),  P = h(2y-2) + 4 h(2y-1) + 6 h(2y),
// so the state kept between rows is P and E = h(2y); each output row filters its two new
// source rows and, in the same pass, leaves P' = E + 4 h(2y+1) + 6 h(2y+2) and E' = h(2y+2)
// for the next one (16 * 4080 + 128 fits in 16 bits). The baseline level filters at full
// resolution and picks the even pixels (down_horizontal_fullres).
// Measured (1920x1080x3, AVX-512, one / two threads): full resolution 0.87 ms / -; even /
// odd pixels split by 16-bit permutes and a ring of five h rows 0.72-0.75 / 0.38 ms; pairs
// and the running sum 0.40-0.42 / 0.20 ms (0.22 without VBMI's byte permute; AVX2 0.24).
// Slower, tried: converting the next rows inside the step loop (0.26 ms), two output rows
// per pass (0.24 ms: four converted rows and their prefetched sources overflow L1).
constexpr int64_t kPairSlack = 8 * simd::U16::N;  // bytes read past a q row's pairs

// q of source row s: pairs -1 .. (the outputs need pixels -2 .. 2 dw <= W + 2). q: valid from
// byte -2 CN, 2 CN (max(W / 2, dw) + 4) + kPairSlack bytes.
template <int CN>
void down_pair_row(const uint8_t* __restrict s, uint8_t* __restrict q, int64_t W, const int64_t* padmap, uint8_t cval) {
    using S = std::conditional_t<CN != 0, simd::U16, void>;  // dependent: discarded without kHasPairPx
    if constexpr (simd::kHasPairPx) {
        constexpr int64_t step = simd::pair_count<CN, S::N>;
        // The last step moved left to end where in-bounds reads end (overlapping the one
        // before it), so at most a few pixels are left to the scalar loop.
        int64_t x = 0;  // pixel pairs converted
        if (W * CN >= 2 * S::N) {
            const int64_t last = (W * CN - 2 * S::N) / (2 * CN);
            for (; x < last; x += step) S::template pair_px<CN>(s + 2 * CN * x, q + 2 * CN * x);
            S::template pair_px<CN>(s + 2 * CN * last, q + 2 * CN * last);
            x = last + step;
        }
        auto put = [&](int64_t p, const uint8_t* px) {  // pixel p >= -2
            for (int c = 0; c < CN; ++c) q[2 * (CN * (p >> 1) + c) + (p & 1)] = px[c];
        };
        for (int64_t p = 2 * x; p < W; ++p) put(p, s + p * CN);
        const uint8_t cpx[4] = {cval, cval, cval, cval};
        for (int k = 0; k < 5; ++k) put(pad_column(k, W), padmap[k] < 0 ? cpx : s + padmap[k] * CN);
    }
}

// M h at lanes k .. k + N - 1 of the q row whose lane k is at p (M = 1 or 4: the weights
// scaled, 4 * 16 * 255 stays below pmaddubsw's saturation).
template <class S, int CN, int M = 1>
inline typename S::V down_h(const uint8_t* p) {
    return S::add(S::add(S::template madd_u8<M, 4 * M>(S::load_raw(p - 2 * CN)), S::template madd_u8<6 * M, 4 * M>(S::load_raw(p))),
                  M == 1 ? S::lo_u8(S::load_raw(p + 2 * CN)) : S::template madd_u8<M, 0>(S::load_raw(p + 2 * CN)));
}

// The state P, E (n lanes, in whole vector pairs: scratch of n + 2N lanes) from the q rows
// of source rows 2y-2, 2y-1, 2y.
template <int CN>
void down_prime_px(const uint8_t* q0, const uint8_t* q1, const uint8_t* q2, uint16_t* __restrict P,
                   uint16_t* __restrict E, int64_t n) {
    using S = std::conditional_t<CN != 0, simd::U16, void>;
    if constexpr (simd::kHasPairPx) {
        for (int64_t k = 0; k < n; k += S::N) {
            const typename S::V h0 = down_h<S, CN>(q0 + 2 * k), h1 = down_h<S, CN>(q1 + 2 * k), h2 = down_h<S, CN>(q2 + 2 * k);
            S::store(P + k, S::add(S::add(h0, S::template shl<2>(h1)), S::add(S::template shl<2>(h2), S::add(h2, h2))));
            S::store(E + k, h2);
        }
    }
}

// Output row y (n bytes) from P, E and the q rows of source rows 2y+1, 2y+2; P, E advance
// to row y + 1. tmp: 2N bytes for the last partial vector pair. next (may be null): the two
// source rows the next output row will convert, prefetched here, where the loop reads only
// L1-resident rows; without it the conversion waited on each row's lines (one thread,
// 1920x1080x3: 0.49-0.50 -> 0.42-0.44 ms).
template <int CN>
void down_step_px(const uint8_t* q3, const uint8_t* q4, uint16_t* __restrict P, uint16_t* __restrict E,
                  uint8_t* __restrict out, uint8_t* __restrict tmp, int64_t n, const uint8_t* const* next) {
    using S = std::conditional_t<CN != 0, simd::U16, void>;
    if constexpr (simd::kHasPairPx) {
        using V = typename S::V;
        auto one = [&](int64_t k) PK_INLINE {
            const V h4 = down_h<S, CN>(q4 + 2 * k), u = S::add(down_h<S, CN, 4>(q3 + 2 * k), h4);  // 4 h3 + h4
            const V o = down_vec<S>(S::add(S::load(P + k), u));
            S::store(P + k, S::add(S::add(S::load(E + k), u), S::add(S::template shl<2>(h4), h4)));
            S::store(E + k, h4);
            return o;
        };
        int64_t k = 0;
        for (; k + 2 * S::N <= n; k += 2 * S::N) {
            if (next)  // the 4N source bytes of the next rows that this block's outputs span
                for (int r = 0; r < 2; ++r)
                    for (int64_t b = 0; b < 4 * S::N; b += 64) __builtin_prefetch(next[r] + 2 * k + b, 0, 3);
            const V a = one(k), b = one(k + S::N);
            S::store_u8x2(out + k, a, b);
        }
        if (k < n) {
            const V a = one(k), b = one(k + S::N);
            S::store_u8x2(tmp, a, b);
            std::memcpy(out + k, tmp, (size_t)(n - k));
        }
    }
}

// Interleaved channels (2 <= CN <= 4): filter at full resolution, where every tap is a
// contiguous load at a constant offset, then keep the even pixels. Twice the arithmetic
// of a direct decimation but all of it vectorised; the direct version would gather.
template <int CN, class T>
inline void down_horizontal_fullres(const typename Traits<T>::A* __restrict t, typename Traits<T>::I* __restrict f,
                                    typename Traits<T>::I* __restrict out, int64_t dw) {
    using A = typename Traits<T>::A;
    const int64_t n = (2 * dw - 1) * CN;
    for (int64_t j = 0; j < n; ++j)
        f[j] = Traits<T>::down(tap5<A>(t[j - 2 * CN], t[j - CN], t[j], t[j + CN], t[j + 2 * CN]));
    for (int64_t x = 0; x < dw; ++x)
        for (int c = 0; c < CN; ++c) out[x * CN + c] = f[2 * x * CN + c];
}

// t points at pixel 0 of a row padded by 2 pixels on the left and 3 on the right.
template <int CN, class T>
inline void down_horizontal(const typename Traits<T>::A* __restrict t, typename Traits<T>::I* __restrict out,
                            int64_t dw, int64_t cn_rt) {
    using A = typename Traits<T>::A;
    const int64_t cn = CN > 0 ? CN : cn_rt;
    if constexpr (CN == 1) {
        for (int64_t x = 0; x < dw; ++x) {
            const A* p = t + 2 * x;
            out[x] = Traits<T>::down(tap5<A>(p[-2], p[-1], p[0], p[1], p[2]));
        }
    } else {
        for (int64_t x = 0; x < dw; ++x) {
            const A* p = t + 2 * x * cn;
            typename Traits<T>::I* o = out + x * cn;
            for (int64_t c = 0; c < cn; ++c)
                o[c] = Traits<T>::down(tap5<A>(p[c - 2 * cn], p[c - cn], p[c], p[c + cn], p[c + 2 * cn]));
        }
    }
}

// pyr_down one output row at a time, with the scratch rows it needs (one per thread).
template <class T>
class DownRows {
    using I = typename Traits<T>::I;
    using A = typename Traits<T>::A;
    int64_t W_, cn_, dw_;
    I cval_;
    int64_t padmap_[5];  // source column (or -1: the constant) of each pad_column
    std::vector<I> constrow_;
    Scratch<A> t_;
    Scratch<float> te_, to_, te1_, to1_;  // float32 split sums
    Scratch<uint8_t> seg_, tmp_;          // uint8 padded edge blocks
    // uint8, 2 to 4 channels (kHasPairPx): the running state P, E (see down_step_px) and
    // the source rows it was built from, by address (a row is never rewritten while its
    // DownRows is alive), so consecutive output rows continue it and any other row starts
    // it again.
    const uint8_t* state_rows_[3] = {};
    Scratch<uint16_t> P_, E_;
    Scratch<uint8_t> q_[3], qtmp_;

    template <int CN>
    void rows_px(const uint8_t* const* rows, uint8_t* out, const uint8_t* const* next) {
        const int64_t W = W_, dw = dw_, n = CN * dw;
        const uint8_t cval = uint8_t(cval_);
        const int64_t qbytes = 2 * CN * (std::max(W / 2, dw) + 4) + kPairSlack;
        // 64-byte aligned: P, E are loaded and stored whole vectors at a time, and the q
        // loads at pair 0 (measured, step alone: 1255 -> 1066 cycles per 1920x3 row).
        uint8_t* q[3];
        for (int i = 0; i < 3; ++i) q[i] = q_[i].aligned(qbytes, 2 * CN);
        uint16_t *P = P_.aligned(n + 2 * simd::U16::N, 0), *E = E_.aligned(n + 2 * simd::U16::N, 0);
        if (!(state_rows_[0] == rows[0] && state_rows_[1] == rows[1] && state_rows_[2] == rows[2])) {
            for (int i = 0; i < 3; ++i) down_pair_row<CN>(rows[i], q[i], W, padmap_, cval);
            down_prime_px<CN>(q[0], q[1], q[2], P, E, n);
        }
        down_pair_row<CN>(rows[3], q[0], W, padmap_, cval);
        down_pair_row<CN>(rows[4], q[1], W, padmap_, cval);
        down_step_px<CN>(q[0], q[1], P, E, out, qtmp_.get(2 * simd::U16::N), n, next);
        for (int i = 0; i < 3; ++i) state_rows_[i] = rows[2 + i];
    }
    Scratch<I> conv_[5];  // float16 rows converted to float32
    Scratch<I> f_;

public:
    DownRows(int64_t W, int64_t cn, int64_t dw, const BorderSpec& border)
        : W_(W), cn_(cn), dw_(dw), cval_(I(border.value)),
          constrow_(border.type == Border::constant ? (size_t)(W * cn) : 0, I(border.value)) {
        for (int k = 0; k < 5; ++k) padmap_[k] = border_index(pad_column(k, W), W, border.type);
    }

    // Groups of G output rows of one channel from the 2G + 3 source rows they read, all
    // inside the image, each read once: uint8 kDownU8Group rows, float32 pairs.
    static constexpr int kGroup = std::is_same_v<T, uint8_t> ? kDownU8Group : std::is_same_v<T, float> ? 2 : 1;
    int group() const { return cn_ == 1 ? kGroup : 1; }
    void run_group(const T* const* src, T* const* drow, RowSink<T>& sink) {
        constexpr int G = kGroup;
        if constexpr (G > 1) {
            const int64_t W = W_, dw = dw_;
            I* out[G];
            for (int q = 0; q < G; ++q) out[q] = sink.row(drow[q], dw, q);
            if constexpr (std::is_same_v<T, uint8_t>)
                down_rows_u8<G>(src, out, W, dw, padmap_, cval_, seg_.get((2 * G + 3) * kDownU8Seg),
                                tmp_.get(G * kDownU8Block));
            else
                down_rows_cn1<true>(src, te_.get(W / 2 + 4) + 1, to_.get(W / 2 + 4) + 1, te1_.get(W / 2 + 4) + 1,
                                    to1_.get(W / 2 + 4) + 1, out[0], out[1], W, dw, padmap_, A(cval_ * 16));
            for (int q = 0; q < G; ++q) sink.finish(drow[q], out[q], dw);
        }
    }

    // Output row drow from source rows src[0..4] (nullptr: a constant-border row). next (may
    // be null): the two source rows that the next run will add (its src[3], src[4]), a hint
    // for prefetching.
    void run(const T* const* src, T* drow, RowSink<T>& sink, const T* const* next = nullptr) {
        const int64_t W = W_, cn = cn_, dw = dw_, rowlen = W * cn;
        const I* rows[5];
        for (int k = 0; k < 5; ++k) rows[k] = src[k] ? read_row(src[k], conv_[k].get(rowlen), rowlen) : constrow_.data();
        I* out = sink.row(drow, dw * cn);
        const A cpad = A(cval_ * 16);
        if (cn == 1) {
            if constexpr (std::is_same_v<I, uint8_t>) {
                down_rows_u8<1>(rows, &out, W, dw, padmap_, cval_, seg_.get(5 * kDownU8Seg), tmp_.get(kDownU8Block));
                sink.finish(drow, out, dw);
                return;
            } else if constexpr (std::is_same_v<I, float>) {
                // te, to: index -1 .. W/2 + 2
                down_rows_cn1<false>(rows, te_.get(W / 2 + 4) + 1, to_.get(W / 2 + 4) + 1, nullptr, nullptr, out,
                                     nullptr, W, dw, padmap_, cpad);
                sink.finish(drow, out, dw);
                return;
            }
        }
        if constexpr (std::is_same_v<I, uint8_t> && simd::kHasPairPx) {
            if (cn >= 2 && cn <= 4) {
                switch (cn) {
                    case 2: rows_px<2>(rows, out, next); break;
                    case 3: rows_px<3>(rows, out, next); break;
                    default: rows_px<4>(rows, out, next); break;
                }
                sink.finish(drow, out, dw * cn);
                return;
            }
        }
        A* t = t_.get((W + 5) * cn) + 2 * cn;
        down_vertical(rows[0], rows[1], rows[2], rows[3], rows[4], t, rowlen);
        for (int k = 0; k < 5; ++k) {
            A* pad = t + (k < 2 ? (k - 2) * cn : (W + k - 2) * cn);
            if (padmap_[k] < 0)
                for (int64_t c = 0; c < cn; ++c) pad[c] = cpad;
            else
                for (int64_t c = 0; c < cn; ++c) pad[c] = t[padmap_[k] * cn + c];
        }
        switch (cn) {
            case 1: down_horizontal<1, T>(t, out, dw, cn); break;
            case 2: down_horizontal_fullres<2, T>(t, f_.get(2 * dw * cn), out, dw); break;
            case 3: down_horizontal_fullres<3, T>(t, f_.get(2 * dw * cn), out, dw); break;
            case 4: down_horizontal_fullres<4, T>(t, f_.get(2 * dw * cn), out, dw); break;
            default: down_horizontal<0, T>(t, out, dw, cn); break;
        }
        sink.finish(drow, out, dw * cn);
    }
};

template <class T>
void pyr_down_impl(const Image& src, const Image& dst, const BorderSpec& border, int nthreads) {
    const int64_t H = src.h, dh = dst.h, dw = dst.w, cn = src.cn;
    auto work = [&](int64_t begin, int64_t end) {
        DownRows<T> down(src.w, cn, dw, border);
        RowSink<T> sink(dst);
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / dh, y = item % dh;
            const int64_t g = down.group();
            if (g > 1 && item + g <= end && y + g <= dh && 2 * y - 2 >= 0 && 2 * (y + g - 1) + 2 < H) {
                const T* rows[11];  // rows 2y-2 .. 2(y+g-1)+2, no border involved
                T* drows[4];
                for (int64_t k = 0; k < 2 * g + 3; ++k) rows[k] = (const T*)(src.plane(p) + (2 * y - 2 + k) * src.sh);
                for (int64_t q = 0; q < g; ++q) drows[q] = (T*)(dst.plane(p) + (y + q) * dst.sh);
                down.run_group(rows, drows, sink);
                item += g - 1;
                continue;
            }
            auto source_row = [&](int64_t yy, int k) -> const T* {
                const int64_t sy = down_source_row(yy, k, H, border.type);
                return sy < 0 ? nullptr : (const T*)(src.plane(p) + sy * src.sh);
            };
            const T* rows[5];
            for (int k = 0; k < 5; ++k) rows[k] = source_row(y, k);
            const T* next[2] = {};
            if (item + 1 < end && y + 1 < dh) next[0] = source_row(y + 1, 3), next[1] = source_row(y + 1, 4);
            down.run(rows, (T*)(dst.plane(p) + y * dst.sh), sink, next[0] && next[1] ? next : nullptr);
        }
    };
    const int64_t items = src.planes() * dh;
    parallel_for(items, nthreads, std::max<int64_t>(1, kMinElemsPerThread / std::max<int64_t>(1, dw * cn)), work);
}

// ---------------------------------------------------------------- gaussian_pyramid
//
// Levels 1..L of the Gaussian pyramid in one call. Each thread owns a band of rows of
// every level (the rows whose centre falls in its band of the level above) and writes
// only those; the few rows just outside that the next level needs (its halo) it computes
// again into private rows. Rows are produced in a pull order: after each row of level 1,
// every deeper level advances as far as its inputs allow, so a row is consumed while it
// is still in cache instead of level after level through memory. Borders whose rows
// depend on the far edge (wrap) simply make deeper levels wait; the result is the same.
template <class T>
void gaussian_pyramid_impl(const Image& src, const Image* lev, int L, const BorderSpec& border, int nthreads) {
    const Border b = border.type;
    const int64_t planes = src.planes(), cn = src.cn;
    std::vector<const Image*> img(L + 1);
    img[0] = &src;
    for (int l = 1; l <= L; ++l) img[l] = &lev[l - 1];
    // Bands: enough for every thread when there are fewer planes than threads, and each at
    // least 64 rows of level 0 so halos stay small.
    int64_t nb = 1;
    if (planes < nthreads) nb = std::min<int64_t>((nthreads + planes - 1) / planes, std::max<int64_t>(1, src.h / 64));
    const int64_t total = planes * src.h * src.w * cn;
    if (total < 4 * kMinElemsPerThread) nthreads = 1;

    auto work = [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / nb, band = item % nb;
            std::vector<int64_t> lo(L + 1), hi(L + 1);
            lo[0] = src.h * band / nb;
            hi[0] = src.h * (band + 1) / nb;
            for (int l = 1; l <= L; ++l) {
                lo[l] = std::min(img[l]->h, (lo[l - 1] + 1) / 2);
                hi[l] = band == nb - 1 ? img[l]->h : std::min(img[l]->h, (hi[l - 1] + 1) / 2);
            }
            // Rows each level needs: its band, plus what the needed rows below read.
            std::vector<std::vector<char>> need(L + 1), done(L + 1);
            for (int l = 1; l <= L; ++l) {
                need[l].assign((size_t)img[l]->h, 0);
                done[l].assign((size_t)img[l]->h, 0);
                for (int64_t y = lo[l]; y < hi[l]; ++y) need[l][y] = 1;
            }
            for (int l = L; l >= 2; --l)
                for (int64_t y = 0; y < img[l]->h; ++y)
                    if (need[l][y])
                        for (int k = 0; k < 5; ++k) {
                            int64_t r = down_source_row(y, k, img[l - 1]->h, b);
                            if (r >= 0) need[l - 1][r] = 1;
                        }
            // Halo rows live in private storage, band rows in the output.
            std::vector<std::vector<int64_t>> slot(L + 1), order(L + 1);
            std::vector<std::vector<T>> halo(L + 1);
            for (int l = 1; l <= L; ++l) {
                const int64_t rowlen = img[l]->w * cn;
                slot[l].assign((size_t)img[l]->h, -1);
                int64_t n = 0;
                for (int64_t y = 0; y < img[l]->h; ++y) {
                    if (!need[l][y]) continue;
                    order[l].push_back(y);
                    if (y < lo[l] || y >= hi[l]) slot[l][y] = n++;
                }
                halo[l].resize((size_t)(n * rowlen));
            }
            auto row = [&](int l, int64_t y) -> T* {
                if (l > 0 && slot[l][y] >= 0) return halo[l].data() + slot[l][y] * img[l]->w * cn;
                return (T*)(img[l]->plane(p) + y * img[l]->sh);
            };
            auto ready = [&](int l, int64_t y) {
                if (l == 1) return true;
                for (int k = 0; k < 5; ++k) {
                    int64_t r = down_source_row(y, k, img[l - 1]->h, b);
                    if (r >= 0 && !done[l - 1][r]) return false;
                }
                return true;
            };
            std::vector<DownRows<T>> down;
            std::vector<RowSink<T>> sink;
            for (int l = 1; l <= L; ++l) {
                down.emplace_back(img[l - 1]->w, cn, img[l]->w, border);
                sink.emplace_back(*img[l], false);
            }
            std::vector<size_t> next(L + 1, 0);
            auto compute = [&](int l) {
                const int64_t y = order[l][next[l]++];
                const T* rows[5];
                for (int k = 0; k < 5; ++k) {
                    int64_t r = down_source_row(y, k, img[l - 1]->h, b);
                    rows[k] = r < 0 ? nullptr : row(l - 1, r);
                }
                // Level 1 reads the source image (from memory, not from rows just made): the
                // next level-1 row's two new source rows are the prefetch hint, as in pyr_down.
                const T* ahead[2] = {};
                if (l == 1 && next[1] < order[1].size()) {
                    const int64_t y1 = order[1][next[1]], r3 = down_source_row(y1, 3, img[0]->h, b),
                                  r4 = down_source_row(y1, 4, img[0]->h, b);
                    if (r3 >= 0 && r4 >= 0) ahead[0] = row(0, r3), ahead[1] = row(0, r4);
                }
                down[l - 1].run(rows, row(l, y), sink[l - 1], ahead[0] ? ahead : nullptr);
                done[l][y] = 1;
            };
            for (bool progress = true; progress;) {
                progress = false;
                if (next[1] < order[1].size()) { compute(1); progress = true; }
                for (int l = 2; l <= L; ++l)
                    while (next[l] < order[l].size() && ready(l, order[l][next[l]])) { compute(l); progress = true; }
            }
        }
    };
    parallel_for(planes * nb, nthreads, 1, work);
}

// ---------------------------------------------------------------- pyr_up
//
// Zero-insertion upsampling followed by the 5-tap filter times 4 per axis. Per axis:
//   out[2i] = (s[i-1] + 6 s[i] + s[i+1]) / 8,   out[2i+1] = (s[i] + s[i+1]) * 4 / 8.
// s outside the image comes from the border rule on the source grid. "reflect101" is
// OpenCV's rule: it reflects on the upsampled grid, which on the source grid means
// s[-1] = s[1] and s[W] = s[W-1]; an odd extra column (dst width 2W+1) repeats column
// 2W-1 and an odd extra row (dst height 2H+1) repeats row 2H-2, both as cv2.pyrUp does.
//
// Order: horizontal first into a ring of 3 rows (each source row filtered once), then a
// vertical pass that writes two output rows with plain vertical adds.

inline int64_t up_index(int64_t v, int64_t len, Border b, bool is_row) {
    if (b == Border::reflect101 && v >= len)
        return border_index(v, len, is_row ? Border::reflect : Border::replicate);
    return border_index(v, len, b);
}

// Interior of the cn == 1 horizontal pass for uint8 and float32 with explicit vectors:
// the outputs interleave even and odd samples, which compilers vectorise poorly. Same
// operation order as the scalar loop, so every ISA level gives the same bits.
// Returns the first i it did not process.
template <class T>
inline int64_t up_horizontal_simd(const typename Traits<T>::I* __restrict s, typename Traits<T>::A* __restrict h,
                                  int64_t last) {
    int64_t i = 1;
    if constexpr (simd::kSimd && std::is_same_v<T, uint8_t>) {
        using S = simd::U16;
        for (; i + S::N - 1 <= last; i += S::N) {
            typename S::V a = S::load_u8(s + i - 1), b = S::load_u8(s + i), c = S::load_u8(s + i + 1), lo, hi;
            S::zip(S::add(S::add(a, S::mul(b, S::set1(6))), c), S::template shl<2>(S::add(b, c)), lo, hi);
            S::store(h + 2 * i, lo);
            S::store(h + 2 * i + S::N, hi);
        }
    } else if constexpr (simd::kSimd && std::is_same_v<T, float>) {
        using S = simd::F32;
        for (; i + S::N - 1 <= last; i += S::N) {
            typename S::V a = S::load(s + i - 1), b = S::load(s + i), c = S::load(s + i + 1), lo, hi;
            S::zip(S::add(S::add(a, S::mul(b, S::set1(6.0f))), c), S::mul(S::add(b, c), S::set1(4.0f)), lo, hi);
            S::store(h + 2 * i, lo);
            S::store(h + 2 * i + S::N, hi);
        }
    }
    (void)s; (void)h; (void)last;
    return i;
}

template <int CN, class T>
inline void up_horizontal(const typename Traits<T>::I* __restrict s, typename Traits<T>::A* __restrict h,
                          int64_t W, int64_t dw, int64_t cn_rt, const int64_t* colmap,
                          typename Traits<T>::I cval) {
    using A = typename Traits<T>::A;
    using I = typename Traits<T>::I;
    const int64_t cn = CN > 0 ? CN : cn_rt;
    // Virtual source pixel v (-1 <= v <= W+1) through the column map.
    auto at = [&](int64_t v, int64_t c) -> I {
        int64_t m = colmap[v + 1];
        return m < 0 ? cval : s[m * cn + c];
    };
    auto edge = [&](int64_t i) {
        for (int64_t c = 0; c < cn; ++c) {
            if (2 * i < dw) h[2 * i * cn + c] = A((at(i - 1, c) + at(i, c) * 6) + at(i + 1, c));
            if (2 * i + 1 < dw) h[(2 * i + 1) * cn + c] = A((at(i, c) + at(i + 1, c)) * 4);
        }
    };
    // Interior: i-1 and i+1 inside the row and both outputs inside dst.
    const int64_t last = std::min(W - 2, (dw - 2) / 2);
    edge(0);
    if constexpr (CN == 1) {
        for (int64_t i = up_horizontal_simd<T>(s, h, last); i <= last; ++i) {
            h[2 * i] = A((s[i - 1] + s[i] * 6) + s[i + 1]);
            h[2 * i + 1] = A((s[i] + s[i + 1]) * 4);
        }
    } else {
        for (int64_t i = 1; i <= last; ++i) {
            const I* q = s + i * cn;
            A* o = h + 2 * i * cn;
            for (int64_t c = 0; c < cn; ++c) {
                o[c] = A((q[c - cn] + q[c] * 6) + q[c + cn]);
                o[c + cn] = A((q[c] + q[c + cn]) * 4);
            }
        }
    }
    for (int64_t i = std::max<int64_t>(1, last + 1); 2 * i < dw; ++i) edge(i);
}

// Separate functions with restrict pointers: inline in the lambda, a uint8_t output
// may alias everything and the loop stays scalar.
template <class T>
void up_vertical_even(const typename Traits<T>::A* __restrict h0, const typename Traits<T>::A* __restrict h1,
                      const typename Traits<T>::A* __restrict h2, typename Traits<T>::I* __restrict out, int64_t n) {
    using A = typename Traits<T>::A;
    int64_t i = 0;
    if constexpr (simd::kSimd && std::is_same_v<T, uint8_t>) {  // 16-bit lanes: sums <= 255 * 64 + 32
        using S = simd::U16;
        auto one = [&](int64_t k) {
            typename S::V v = S::add(S::add(S::load(h0 + k), S::mul(S::load(h1 + k), S::set1(6))), S::load(h2 + k));
            return S::template shr<6>(S::add(v, S::set1(32)));
        };
        for (; i + 2 * S::N <= n; i += 2 * S::N) S::store_u8x2(out + i, one(i), one(i + S::N));
    }
    for (; i < n; ++i) out[i] = Traits<T>::up(A((h0[i] + h1[i] * 6) + h2[i]));
}

template <class T>
void up_vertical_odd(const typename Traits<T>::A* __restrict h1, const typename Traits<T>::A* __restrict h2,
                     typename Traits<T>::I* __restrict out, int64_t n) {
    using A = typename Traits<T>::A;
    int64_t i = 0;
    if constexpr (simd::kSimd && std::is_same_v<T, uint8_t>) {
        using S = simd::U16;
        auto one = [&](int64_t k) {
            typename S::V v = S::template shl<2>(S::add(S::load(h1 + k), S::load(h2 + k)));
            return S::template shr<6>(S::add(v, S::set1(32)));
        };
        for (; i + 2 * S::N <= n; i += 2 * S::N) S::store_u8x2(out + i, one(i), one(i + S::N));
    }
    for (; i < n; ++i) out[i] = Traits<T>::up(A((h1[i] + h2[i]) * 4));
}

// uint8, one channel: vertical first, at source resolution, then both output rows'
// columns in registers. For source rows a, b, c (virtual rows j-1, j, j+1):
//   ve = a + 6b + c (output row 2j),  vo = 4 (b + c) (row 2j + 1),  each <= 2040,
// then per output row, from its v: column 2x = (v[x-1] + 6 v[x] + v[x+1] + 32) >> 6 and
// column 2x+1 = (4 (v[x] + v[x+1]) + 32) >> 6 = (v[x] + v[x+1] + 8) >> 4. The second is
// formed shifted into the high byte of the 16-bit lane holding the first, so a vector of
// lanes is already the interleaved output bytes: no packing, no zip. Exact integers, so
// the same bits as the horizontal-first order of the other types.
// Measured (one thread, 2048^2 -> 4096^2 into a reused array): 1.39 ms with the
// horizontal-first rows of the other types, 1.06-1.13 ms (with streamed stores).
// ve, vo: W + 3 lanes from index -1 (virtual columns -1 .. W+1 through colmap).
inline void up_rows_u8(const uint8_t* __restrict a, const uint8_t* __restrict b, const uint8_t* __restrict c,
                       uint8_t* __restrict even, uint8_t* __restrict odd, int64_t W, int64_t dw,
                       const int64_t* colmap, uint8_t cval, uint16_t* __restrict ve, uint16_t* __restrict vo,
                       bool stream) {
    int64_t x = 0;
    if constexpr (simd::kSimd) {
        using S = simd::U16;
        for (; x + S::N <= W; x += S::N) {
            const S::V va = S::load_u8(a + x), vb = S::load_u8(b + x), vc = S::load_u8(c + x);
            const S::V b2 = S::add(vb, vb);
            S::store(ve + x, S::add(S::add(va, vc), S::add(b2, S::add(b2, b2))));
            S::store(vo + x, S::template shl<2>(S::add(vb, vc)));
        }
    }
    for (; x < W; ++x) {
        ve[x] = uint16_t((a[x] + b[x] * 6) + c[x]);
        vo[x] = uint16_t((b[x] + c[x]) * 4);
    }
    for (int64_t v : {int64_t(-1), W, W + 1}) {
        const int64_t m = colmap[v + 1];
        ve[v] = m < 0 ? uint16_t(cval * 8) : ve[m];
        vo[v] = m < 0 ? uint16_t(cval * 8) : vo[m];
    }
    auto row = [&](const uint16_t* __restrict v, uint8_t* __restrict out) {
        auto one = [&](int64_t i) {
            out[2 * i] = Traits<uint8_t>::up(uint16_t((v[i - 1] + v[i] * 6) + v[i + 1]));
            if (2 * i + 1 < dw) out[2 * i + 1] = Traits<uint8_t>::up(uint16_t((v[i] + v[i + 1]) * 4));
        };
        int64_t i = 0;
        if constexpr (simd::kSimd) {
            using S = simd::U16;
            // Streamed rows start their vector stores at a vector boundary (odd row starts
            // never reach one and store normally).
            constexpr int64_t kAlign = sizeof(S::V);
            bool nt = stream && (uintptr_t)out % 2 == 0;
            if (nt)
                for (; 2 * i < dw && (uintptr_t)(out + 2 * i) % kAlign; ++i) one(i);
            // lanes i .. i+N-1: reads v[i-1 .. i+N], writes columns 2i .. 2i+2N-1
            for (; i + S::N <= W + 1 && 2 * (i + S::N) <= dw; i += S::N) {
                const S::V l = S::load(v + i - 1), m = S::load(v + i), r = S::load(v + i + 1), m2 = S::add(m, m);
                const S::V e = S::template shr<6>(S::add(S::add(S::add(l, r), S::add(m2, S::add(m2, m2))), S::set1(32)));
                const S::V o = S::add(S::template shl<4>(S::add(m, r)), S::set1(128));
                if (nt) S::stream((uint16_t*)(out + 2 * i), S::merge_hi(o, e));
                else S::store((uint16_t*)(out + 2 * i), S::merge_hi(o, e));
            }
        }
        for (; 2 * i < dw; ++i) one(i);
    };
    row(ve, even);
    if (odd) row(vo, odd);
}

// float32 rows of a large output: both output rows of a source row pair computed in one
// pass over the three horizontal rows and stored straight to dst with non-temporal stores
// (no staging row, no second copy). Same operation order as the scalar loops.
inline void up_vertical_pair_stream(const float* __restrict h0, const float* __restrict h1,
                                    const float* __restrict h2, float* __restrict even, float* __restrict odd,
                                    int64_t n) {
    auto ev = [&](int64_t i) { return Traits<float>::up((h0[i] + h1[i] * 6) + h2[i]); };
    auto od = [&](int64_t i) { return Traits<float>::up((h1[i] + h2[i]) * 4); };
    int64_t i = 0;
    if constexpr (simd::kSimd) {
        using S = simd::F32;
        constexpr int64_t kAlign = S::N * (int64_t)sizeof(float);
        // Both rows share an alignment when the row stride is a multiple of the vector size;
        // otherwise only the even row streams.
        for (; i < n && ((uintptr_t)(even + i) % kAlign); ++i) {
            even[i] = ev(i);
            if (odd) odd[i] = od(i);
        }
        const bool odd_aligned = odd && (uintptr_t)(odd + i) % kAlign == 0;
        const typename S::V six = S::set1(6.0f), four = S::set1(4.0f), scale = S::set1(1.0f / 64);
        for (; i + S::N <= n; i += S::N) {
            const typename S::V a = S::load(h0 + i), b = S::load(h1 + i), c = S::load(h2 + i);
            S::stream(even + i, S::mul(S::add(S::add(a, S::mul(b, six)), c), scale));
            if (odd) {
                const typename S::V o = S::mul(S::mul(S::add(b, c), four), scale);
                if (odd_aligned) S::stream(odd + i, o);
                else S::store(odd + i, o);
            }
        }
    }
    for (; i < n; ++i) {
        even[i] = ev(i);
        if (odd) odd[i] = od(i);
    }
}

// Laplacian band type: wide enough that band = G - pyr_up(G') and G = band + pyr_up(G')
// are exact (float16 differences are exact in float32).
template <class T> struct BandOf { using type = T; };
template <> struct BandOf<uint8_t> { using type = int16_t; };
template <> struct BandOf<uint16_t> { using type = int32_t; };
template <> struct BandOf<int16_t> { using type = int32_t; };
template <> struct BandOf<half_t> { using type = float; };
template <class T> using Band = typename BandOf<T>::type;

// pyr_up's row as the dtype stores it (float16 computes in float32: round it).
template <class T>
inline void round_to_stored(typename Traits<T>::I* v, int64_t n, Scratch<half_t>& tmp) {
    if constexpr (std::is_same_v<T, half_t>) {
        half_t* h = tmp.get(n);
        float_to_half_row(v, h, n);
        half_to_float_row(h, v, n);
    } else {
        (void)v; (void)n; (void)tmp;
    }
}

enum UpOp { kUpPlain = 0, kUpSub = 1, kUpAdd = 2 };

// Separate functions with restrict pointers so the loops vectorise without alias checks.
template <class T>
void band_sub(const typename Traits<T>::I* __restrict g, const typename Traits<T>::I* __restrict up,
              Band<T>* __restrict d, int64_t n) {
    for (int64_t i = 0; i < n; ++i) d[i] = Band<T>(Band<T>(g[i]) - Band<T>(up[i]));
}

template <class T>
void band_add(const Band<T>* __restrict a, const typename Traits<T>::I* __restrict up,
              typename Traits<T>::I* __restrict o, int64_t n) {
    using I = typename Traits<T>::I;
    // Wide enough for any band value (user-edited ones too) plus the pyr_up value.
    using Wd = std::conditional_t<!std::is_integral_v<I>, Band<T>,
                                  std::conditional_t<sizeof(Band<T>) == 2, int32_t, int64_t>>;
    for (int64_t i = 0; i < n; ++i) o[i] = saturate_to<I>(Wd(a[i]) + Wd(up[i]));
}

// pyr_up; with kUpSub dst = aux - pyr_up(src) (a Laplacian band, dst of type Band<T>),
// with kUpAdd dst = aux + pyr_up(src) (reconstruction, aux a band, integers saturate).
template <class T, int OP>
void pyr_up_op(const Image& src, const Image& dst, const BorderSpec& border, int nthreads, const Image* aux) {
    using I = typename Traits<T>::I;
    using A = typename Traits<T>::A;
    const int64_t H = src.h, W = src.w, cn = src.cn, dh = dst.h, dw = dst.w;
    const int64_t rowlen = W * cn, drowlen = dw * cn;
    const Border b = border.type;
    const I cval = I(border.value);

    std::vector<int64_t> colmap((size_t)W + 3);
    for (int64_t v = -1; v <= W + 1; ++v) colmap[(size_t)(v + 1)] = up_index(v, W, b, false);
    const int64_t npairs = (dh + 1) / 2;
    constexpr bool kRowsU8 = OP == kUpPlain && std::is_same_v<T, uint8_t>;
    const std::vector<I> constrow(kRowsU8 && b == Border::constant ? (size_t)rowlen : 0, cval);
    const bool stream_u8 = kRowsU8 && !dst.fresh && dst.planes() * dst.h * dst.w >= kStreamBytesRows;

    auto work = [&](int64_t begin, int64_t end) {
        Scratch<A> ring[3];
        int64_t key[3] = {INT64_MIN, INT64_MIN, INT64_MIN};  // item-plane * (H+3) + v
        Scratch<I> conv, gconv, upbuf;
        Scratch<half_t> hbuf;
        Scratch<uint16_t> vsum[2];  // up_rows_u8's vertical sums
        RowSink<T> sink(dst);
        // Horizontal row of virtual source row v of plane p, computed once per thread.
        auto hrow = [&](int64_t p, int64_t v) -> const A* {
            int slot = (int)(((v % 3) + 3) % 3);
            int64_t k = p * (H + 3) + (v + 1);
            A* h = ring[slot].get(drowlen);
            if (key[slot] == k) return h;
            key[slot] = k;
            int64_t sy = up_index(v, H, b, true);
            if (sy < 0) {
                std::fill(h, h + drowlen, A(cval * 8));
            } else {
                const I* s = read_row((const T*)(src.plane(p) + sy * src.sh), conv.get(rowlen), rowlen);
                switch (cn) {
                    case 1: up_horizontal<1, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                    case 2: up_horizontal<2, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                    case 3: up_horizontal<3, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                    case 4: up_horizontal<4, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                    default: up_horizontal<0, T>(s, h, W, dw, cn, colmap.data(), cval); break;
                }
            }
            return h;
        };
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / npairs, j = item % npairs;
            char* dplane = dst.plane(p);
            if constexpr (kRowsU8) {
                if (cn == 1) {
                    const I* r[3];
                    for (int k = 0; k < 3; ++k) {
                        const int64_t sy = up_index(j - 1 + k, H, b, true);
                        r[k] = sy < 0 ? constrow.data() : (const I*)(src.plane(p) + sy * src.sh);
                    }
                    // Straight to dst (streamed itself when large), never through the sink's
                    // staging rows.
                    uint8_t* even = (uint8_t*)(dplane + 2 * j * dst.sh);
                    uint8_t* odd = 2 * j + 1 < dh ? (uint8_t*)(dplane + (2 * j + 1) * dst.sh) : nullptr;
                    up_rows_u8(r[0], r[1], r[2], even, odd, W, dw, colmap.data(), cval, vsum[0].aligned(W + 2, 1),
                               vsum[1].aligned(W + 2, 1), stream_u8);
                    continue;
                }
            }
            const A* h0 = hrow(p, j - 1);
            const A* h1 = hrow(p, j);
            const A* h2 = hrow(p, j + 1);
            if constexpr (OP == kUpPlain && std::is_same_v<T, float>) {
                if (sink.streams()) {
                    float* even = (float*)(dplane + 2 * j * dst.sh);
                    float* odd = 2 * j + 1 < dh ? (float*)(dplane + (2 * j + 1) * dst.sh) : nullptr;
                    up_vertical_pair_stream(h0, h1, h2, even, odd, drowlen);
                    continue;
                }
            }
            for (int64_t par = 0; par < 2; ++par) {
                const int64_t y = 2 * j + par;
                if (y >= dh) break;
                T* drow = (T*)(dplane + y * dst.sh);
                I* out = OP == kUpPlain ? sink.row(drow, drowlen) : upbuf.get(drowlen);
                if (par == 0) up_vertical_even<T>(h0, h1, h2, out, drowlen);
                else up_vertical_odd<T>(h1, h2, out, drowlen);
                if constexpr (OP == kUpPlain) {
                    sink.finish(drow, out, drowlen);
                } else if constexpr (OP == kUpSub) {
                    round_to_stored<T>(out, drowlen, hbuf);
                    const I* g = read_row((const T*)(aux->plane(p) + y * aux->sh), gconv.get(drowlen), drowlen);
                    band_sub<T>(g, out, (Band<T>*)drow, drowlen);
                } else {
                    round_to_stored<T>(out, drowlen, hbuf);
                    const Band<T>* a = (const Band<T>*)(aux->plane(p) + y * aux->sh);
                    I* o = sink.row(drow, drowlen);
                    band_add<T>(a, out, o, drowlen);
                    sink.finish(drow, o, drowlen);
                }
            }
        }
        if (stream_u8) stream_fence();
    };
    const int64_t items = src.planes() * npairs;
    parallel_for(items, nthreads, std::max<int64_t>(1, kMinElemsPerThread / std::max<int64_t>(1, 2 * drowlen)), work);
}

template <class T>
void pyr_up_impl(const Image& src, const Image& dst, const BorderSpec& b, int n) {
    pyr_up_op<T, kUpPlain>(src, dst, b, n, nullptr);
}
template <class T>
void laplacian_sub_impl(const Image& coarse, const Image& fine, const Image& band, const BorderSpec& b, int n) {
    pyr_up_op<T, kUpSub>(coarse, band, b, n, &fine);
}
template <class T>
void laplacian_add_impl(const Image& coarse, const Image& band, const Image& fine, const BorderSpec& b, int n) {
    pyr_up_op<T, kUpAdd>(coarse, fine, b, n, &band);
}

}  // namespace

void fill_pyramid(KernelTable& t) {
    PK_FILL(pyr_down, pyr_down_impl)
    PK_FILL(pyr_up, pyr_up_impl)
    PK_FILL(gaussian_pyramid, gaussian_pyramid_impl)
    PK_FILL(laplacian_sub, laplacian_sub_impl)
    PK_FILL(laplacian_add, laplacian_add_impl)
}

}  // namespace PK_ISA_NS
}  // namespace pk
