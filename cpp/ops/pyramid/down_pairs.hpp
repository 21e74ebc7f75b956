// pyr_down strategy: uint8 with 2 to 4 interleaved channels (AVX2, AVX-512), pixel pairs
// and a running vertical sum.
#pragma once
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/portability.hpp"
#include "core/store.hpp"
#include "ops/pyramid/taps.hpp"

namespace pk {
namespace PK_ISA_NS {
// Private to each kernel file that includes this header (internal linkage: the compiler
// inlines these as if they were written there).
namespace {

// pair_px<CN> (kHasByteShuffle; 2 <= CN <= 4 interleaved uint8 channels): the pixel
// pairs at p rearranged so that 16-bit lane CN x + c of q holds channel c of pixel 2x in
// its low byte and of pixel 2x + 1 in its high byte, the layout pmaddubsw weights (see below). It reads and writes one vector (2N bytes) and converts pair_count<CN, N>
// pairs; the bytes it writes past them are unspecified. With VBMI it is one byte permute
// of the vector. Otherwise CN = 2 and 4 are one in-lane byte shuffle, and CN = 3, whose
// 6-byte pairs do not divide a 16-byte lane, spreads 12 bytes to each lane with a dword
// permute first and packs them back with another (three permutes for 48 bytes, against
// one for 60: 1920x1080x3 pyr_down takes 9% longer).
template <int CN, int B>  // B: bytes per vector
struct PairPxIdx {
    alignas(64) uint8_t shuf[B];
    alignas(64) uint32_t spread[B / 4], compact[B / 4];
    constexpr PairPxIdx() : shuf(), spread(), compact() {
        for (int i = 0; i < B; ++i) {
            const int r = i % 16, g = r / (2 * CN), k = r % (2 * CN);  // pair g of the lane, byte k
            shuf[i] = uint8_t(g < 16 / (2 * CN) ? 2 * CN * g + (k % 2) * CN + k / 2 : 0x80);
        }
        for (int d = 0; d < B / 4; ++d) {
            spread[d] = uint32_t(3 * (d / 4) + (d % 4 < 2 ? d % 4 : 2));
            compact[d] = uint32_t(d < 3 * (B / 16) ? 4 * (d / 3) + d % 3 : 0);
        }
    }
};
template <int CN, int B>
inline constexpr PairPxIdx<CN, B> kPairPxIdx{};
template <int CN>
struct PairPxVbmi {  // byte i of the output: pair i / (2 CN), byte i % (2 CN)
    alignas(64) uint8_t v[64];
    constexpr PairPxVbmi() : v() {
        for (int i = 0; i < 64; ++i) {
            const int g = i / (2 * CN), k = i % (2 * CN);
            v[i] = uint8_t(g < 32 / CN ? 2 * CN * g + (k % 2) * CN + k / 2 : 0);
        }
    }
};
template <int CN>
inline constexpr PairPxVbmi<CN> kPairPxVbmi{};
// Pairs one pair_px converts (N: 16-bit lanes per vector).
template <int CN, int N>
constexpr int64_t pair_count = simd::kHasBytePermute ? N / CN : CN == 3 ? N / 4 : N / CN;

template <int CN, class S>
inline void pair_px(const uint8_t* p, uint8_t* q) {
    if constexpr (simd::kHasBytePermute) {
        S::store_raw(q, S::permute_bytes(S::load_raw(p), kPairPxVbmi<CN>.v));
    } else {
        const PairPxIdx<CN, 2 * S::N>& t = kPairPxIdx<CN, 2 * S::N>;
        typename S::V v = S::load_raw(p);
        if constexpr (CN == 3) v = S::permute_dwords(v, t.spread);
        v = S::shuffle_bytes(v, t.shuf);
        if constexpr (CN == 3) v = S::permute_dwords(v, t.compact);
        S::store_raw(q, v);
    }
}

// uint8 with 2 to 4 interleaved channels (kHasByteShuffle: AVX2, AVX-512): horizontal first,
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
constexpr int64_t kPairSlack = 8 * simd::kLanes<uint16_t>;  // bytes read past a q row's pairs

// q of source row s: pairs -1 .. (the outputs need pixels -2 .. 2 dw <= W + 2). q: valid from
// byte -2 CN, 2 CN (max(W / 2, dw) + 4) + kPairSlack bytes.
template <int CN>
void down_pair_row(const uint8_t* __restrict s, uint8_t* __restrict q, int64_t W, const int64_t* padmap, uint8_t cval) {
    using S = std::conditional_t<CN != 0, simd::U16, void>;  // dependent: discarded without kHasByteShuffle
    if constexpr (simd::kHasByteShuffle) {
        constexpr int64_t step = pair_count<CN, S::N>;
        // The last step moved left to end where in-bounds reads end (overlapping the one
        // before it), so at most a few pixels are left to the scalar loop.
        int64_t x = 0;  // pixel pairs converted
        if (W * CN >= 2 * S::N) {
            const int64_t last = (W * CN - 2 * S::N) / (2 * CN);
            for (; x < last; x += step) pair_px<CN, S>(s + 2 * CN * x, q + 2 * CN * x);
            pair_px<CN, S>(s + 2 * CN * last, q + 2 * CN * last);
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
    if constexpr (simd::kHasByteShuffle) {
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
// L1-resident rows; otherwise the conversion waits on each row's lines.
template <int CN>
void down_step_px(const uint8_t* q3, const uint8_t* q4, uint16_t* __restrict P, uint16_t* __restrict E,
                  uint8_t* __restrict out, uint8_t* __restrict tmp, int64_t n, const uint8_t* const* next) {
    using S = std::conditional_t<CN != 0, simd::U16, void>;
    if constexpr (simd::kHasByteShuffle) {
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
                    for (int64_t b = 0; b < 4 * S::N; b += 64) PK_PREFETCH(next[r] + 2 * k + b);
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


// The per-thread state of this strategy: P, E and the source rows they were built from,
// by address (a row is never rewritten while its PairRows is alive), so consecutive
// output rows continue the running sum and any other row starts it again; and the q rows.
class PairRows {
    const uint8_t* state_rows_[3] = {};
    Scratch<uint16_t> P_, E_;
    Scratch<uint8_t> q_[3], qtmp_;

public:
    // Output row out (CN * dw bytes) from source rows rows[0..4]; next: see down_step_px.
    template <int CN>
    void run(const uint8_t* const* rows, uint8_t* out, int64_t W, int64_t dw, const int64_t* padmap, uint8_t cval,
             const uint8_t* const* next) {
        using S = std::conditional_t<CN != 0, simd::U16, void>;
        if constexpr (simd::kHasByteShuffle) {
            const int64_t n = CN * dw;
            const int64_t qbytes = 2 * CN * (std::max(W / 2, dw) + 4) + kPairSlack;
            // 64-byte aligned: P, E are loaded and stored whole vectors at a time, and the q
            // loads at pair 0 (a split line on every access otherwise).
            uint8_t* q[3];
            for (int i = 0; i < 3; ++i) q[i] = q_[i].aligned(qbytes, 2 * CN);
            uint16_t *P = P_.aligned(n + 2 * S::N, 0), *E = E_.aligned(n + 2 * S::N, 0);
            if (!(state_rows_[0] == rows[0] && state_rows_[1] == rows[1] && state_rows_[2] == rows[2])) {
                for (int i = 0; i < 3; ++i) down_pair_row<CN>(rows[i], q[i], W, padmap, cval);
                down_prime_px<CN>(q[0], q[1], q[2], P, E, n);
            }
            down_pair_row<CN>(rows[3], q[0], W, padmap, cval);
            down_pair_row<CN>(rows[4], q[1], W, padmap, cval);
            down_step_px<CN>(q[0], q[1], P, E, out, qtmp_.get(2 * S::N), n, next);
            for (int i = 0; i < 3; ++i) state_rows_[i] = rows[2 + i];
        }
    }
};

}  // namespace
}  // namespace PK_ISA_NS
}  // namespace pk
