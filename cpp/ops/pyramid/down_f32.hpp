// pyr_down strategy: float32 (and float16 through float32), one channel, vertical pass
// first with the split sums folded into registers.
#pragma once
#include <utility>

#include "ops/pyramid/taps.hpp"

namespace pk {
namespace PK_ISA_NS {
// Private to each kernel file that includes this header (internal linkage: the compiler
// inlines these as if they were written there).
namespace {

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
template <class S = simd::F32>
inline void down_finish_cn1(const float* __restrict te, const float* __restrict to, float* __restrict out, int64_t x0,
                            int64_t x1) {
    int64_t x = x0;
    if constexpr (simd::kSimd) {
        for (; x + S::N <= x1; x += S::N) {
            typename S::V v[5] = {S::load(te + x - 1), S::load(to + x - 1), S::load(te + x), S::load(to + x), S::load(te + x + 1)};
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
template <bool R2, class S = simd::F32>
std::pair<int64_t, int64_t> down_fused_cn1(const float* const* r, int64_t W, float* __restrict te, float* __restrict to,
                                           float* __restrict te1, float* __restrict to1, float* __restrict out0,
                                           float* __restrict out1) {
    constexpr int NR = R2 ? 7 : 5, NO = R2 ? 2 : 1;
    float* const ste[2] = {te, te1};
    float* const sto[2] = {to, to1};
    float* const out[2] = {out0, out1};
    int64_t j = 0, begin = 0, end = 0;  // [begin, end): outputs the vector loop writes
    if constexpr (simd::kSimd) {
        using V = typename S::V;
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

}  // namespace
}  // namespace PK_ISA_NS
}  // namespace pk
