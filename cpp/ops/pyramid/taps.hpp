// The Gaussian pyramid's arithmetic, shared by its kernels: the per-dtype accumulator
// and rounding (Traits), the 1 4 6 4 1 sums in scalar and vector form, and pyr_down's
// source rows and border columns.
#pragma once
#include "core/border.hpp"
#include "core/dtype.hpp"
#include "simd/simd.hpp"

namespace pk {
namespace PK_ISA_NS {
// Private to each kernel file that includes this header (internal linkage: the compiler
// inlines these as if they were written there).
namespace {

// Per dtype: I is the type rows are read as (float16 rows are converted to float32),
// A the accumulator of the 5-tap sums. Accumulators are as narrow as exactness allows:
// uint8 sums stay below 2^16 in both passes, so they run in 16-bit lanes.
template <class T> struct Traits;
template <> struct Traits<uint8_t> {
    using I = Loaded<uint8_t>; using A = uint16_t;
    // (s + 128) >> 8 and (s + 32) >> 6 are OpenCV's rounding; s + 128 <= 65408 fits.
    static I down(A s) { return I(uint16_t(s + 128) >> 8); }
    static I up(A s) { return I(uint16_t(s + 32) >> 6); }
};
template <> struct Traits<uint16_t> {
    using I = uint16_t; using A = int32_t;
    static I down(A s) { return I((s + 128) >> 8); }
    static I up(A s) { return I((s + 32) >> 6); }
};
template <> struct Traits<int16_t> {
    using I = int16_t; using A = int32_t;  // >> is an arithmetic shift, as in OpenCV
    static I down(A s) { return I((s + 128) >> 8); }
    static I up(A s) { return I((s + 32) >> 6); }
};
template <> struct Traits<float> {
    using I = float; using A = float;
    static I down(A s) { return s * (1.0f / 256); }
    static I up(A s) { return s * (1.0f / 64); }
};
template <> struct Traits<half_t> {
    using I = float; using A = float;
    static I down(A s) { return s * (1.0f / 256); }
    static I up(A s) { return s * (1.0f / 64); }
};
template <> struct Traits<double> {
    using I = double; using A = double;
    static I down(A s) { return s * (1.0 / 256); }
    static I up(A s) { return s * (1.0 / 64); }
};

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

}  // namespace
}  // namespace PK_ISA_NS
}  // namespace pk
