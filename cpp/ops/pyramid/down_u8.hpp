// pyr_down strategy: uint8, one channel, horizontal pass first with pmaddubsw pairs.
#pragma once
#include <cstring>

#include "ops/pyramid/taps.hpp"

namespace pk {
namespace PK_ISA_NS {
// Private to each kernel file that includes this header (internal linkage: the compiler
// inlines these as if they were written there).
namespace {

// uint8, one channel: horizontal first, in registers. A 16-bit lane of the raw bytes holds
// a pair of neighbouring columns and pmaddubsw weights the pair, so the decimating taps
// need no shuffles: with p at column 2j - 2,
//   h[j] = (p[0] + 4 p[1]) + (6 p[2] + 4 p[3]) + p[4]
//        = madd(load(p), 1, 4) + madd(load(p + 2), 6, 4) + low byte of load(p + 4).
// Each of the 2 NO + 3 source rows of a group of NO output rows is filtered once, and the
// vertical pass combines those sums in registers: 16 * 4080 + 128 fits in 16 bits.
// The SSE2 level has no pmaddubsw and emulates it.
constexpr int64_t kDownU8Block = simd::kSimd ? 2 * simd::kLanes<uint16_t> : 1;  // outputs per block
constexpr int64_t kDownU8Seg = 2 * kDownU8Block + 4;  // source bytes a block reads from p
// Output rows per group: 11 source rows for 4 outputs. 22 sum vectors live fit AVX-512's
// 32 registers; AVX2 spills a few and is still faster than with pairs.
constexpr int kDownU8Group = 4;

// Outputs j .. j + kDownU8Block - 1 of NO rows; p[i]: source row i at column 2j - 2.
template <int NO>
inline void down_u8_block(const uint8_t* const* p, uint8_t* const* out) {
    if constexpr (simd::kSimd) {
        using S = simd::Dependent<simd::U16, std::integral_constant<int, NO>>;
        using V = typename S::V;
        constexpr int NR = 2 * NO + 3;
        V h[2][NR];
        for (int i = 0; i < NR; ++i)
            for (int k = 0; k < 2; ++k) {
                const uint8_t* q = p[i] + 2 * S::N * k;
                h[k][i] = S::add(S::add(S::template madd_u8<1, 4>(S::load_raw(q)), S::template madd_u8<6, 4>(S::load_raw(q + 2))),
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
            // Fixed-size copies: a variable-length memcpy becomes `rep movsq`, whose start-up
            // cost dominates copies this short.
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

}  // namespace
}  // namespace PK_ISA_NS
}  // namespace pk
