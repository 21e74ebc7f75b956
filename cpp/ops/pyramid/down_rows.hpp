// pyr_down one output row (or a group of rows) at a time: DownRows picks the strategy for
// the dtype and channel count (down_u8.hpp, down_f32.hpp, down_pairs.hpp, or the generic
// vertical-then-horizontal loops below) and owns each strategy's per-thread scratch.
// Shared by pyr_down.cpp and gaussian_pyramid.cpp.
#pragma once
#include <vector>

#include "core/store.hpp"
#include "ops/pyramid/down_f32.hpp"
#include "ops/pyramid/down_pairs.hpp"
#include "ops/pyramid/down_u8.hpp"
#include "ops/pyramid/taps.hpp"

namespace pk {
namespace PK_ISA_NS {
// Private to each kernel file that includes this header (internal linkage: the compiler
// inlines these as if they were written there).
namespace {

// dst(y, x) = sum_ij k_i k_j src(B(2y+i-2), B(2x+j-2)) / 256, k = [1 4 6 4 1], B the
// border rule on each axis; exactly OpenCV's definition, for any dst size it accepts.
//
// Order: vertical first. Each output row sums 5 source rows at full width into t (pure
// vertical adds, no shuffles), then decimates t horizontally. Doing the horizontal pass
// second halves the work that needs stride-2 access compared with OpenCV's order.


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
    PairRows pairs_;  // uint8, 2 to 4 channels (kHasByteShuffle)
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
        if constexpr (std::is_same_v<I, uint8_t> && simd::kHasByteShuffle) {
            if (cn >= 2 && cn <= 4) {
                const uint8_t cval = uint8_t(cval_);
                switch (cn) {
                    case 2: pairs_.run<2>(rows, out, W, dw, padmap_, cval, next); break;
                    case 3: pairs_.run<3>(rows, out, W, dw, padmap_, cval, next); break;
                    default: pairs_.run<4>(rows, out, W, dw, padmap_, cval, next); break;
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

}  // namespace
}  // namespace PK_ISA_NS
}  // namespace pk
