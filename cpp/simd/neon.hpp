// The vector layer on aarch64 (NEON / Advanced SIMD, 128-bit, with FMA and float16
// conversions: both are in every aarch64 core). The interface and its rules: simd/simd.hpp.
// The operations match the SSE2 level lane for lane; fma is fused, as at the AVX2 level.
#pragma once
#include <arm_neon.h>

#include <cstring>

#include "core/dtype.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace simd {

constexpr bool kSimd = true;
constexpr int kBits = 128;
constexpr bool kHasFma = true;
constexpr bool kHasGather = false;
constexpr bool kHasRoundU8 = true;
constexpr bool kHasPermute2 = false;
constexpr bool kHasByteShuffle = false;
constexpr bool kHasMaskRegs = false;
constexpr bool kHasBytePermute = false;

struct U16 {
    using V = uint16x8_t;
    static constexpr int N = 8;
    static V load(const uint16_t* p) { return vld1q_u16(p); }
    static void store(uint16_t* p, V v) { vst1q_u16(p, v); }
    static V set1(uint16_t x) { return vdupq_n_u16(x); }
    static V add(V a, V b) { return vaddq_u16(a, b); }
    static V mul(V a, V b) { return vmulq_u16(a, b); }
    template <int K> static V shl(V a) { return vshlq_n_u16(a, K); }
    template <int K> static V shr(V a) { return vshrq_n_u16(a, K); }
    static V load_raw(const uint8_t* p) { return vreinterpretq_u16_u8(vld1q_u8(p)); }
    // Each lane: its low byte * K0 + its high byte * K1 (pmaddubsw's sums, which never
    // saturate for the kernels' small weights).
    template <int K0, int K1> static V madd_u8(V raw) {
        return vmlaq_n_u16(vmulq_n_u16(lo_u8(raw), (uint16_t)K0), vshrq_n_u16(raw, 8), (uint16_t)K1);
    }
    static V lo_u8(V raw) { return vandq_u16(raw, vdupq_n_u16(0x00ff)); }
    static void stream(uint16_t* p, V v) { vst1q_u16(p, v); }  // no non-temporal vector store to call
    static V merge_hi(V hi, V lo) { return vorrq_u16(vandq_u16(hi, vdupq_n_u16(0xff00)), lo); }
    static V load_u8(const uint8_t* p) { return vmovl_u8(vld1_u8(p)); }
    // Lanes as int16, saturated to uint8 (packuswb).
    static void store_u8x2(uint8_t* p, V a, V b) {
        vst1q_u8(p, vcombine_u8(vqmovun_s16(vreinterpretq_s16_u16(a)), vqmovun_s16(vreinterpretq_s16_u16(b))));
    }
    static void zip(V a, V b, V& lo, V& hi) {
        lo = vzip1q_u16(a, b);
        hi = vzip2q_u16(a, b);
    }
};

struct F32 {
    using V = float32x4_t;
    static constexpr int N = 4;
    static V load(const float* p) { return vld1q_f32(p); }
    static void store(float* p, V v) { vst1q_f32(p, v); }
    static void stream(float* p, V v) { vst1q_f32(p, v); }
    static V set1(float x) { return vdupq_n_f32(x); }
    static V add(V a, V b) { return vaddq_f32(a, b); }
    static V mul(V a, V b) { return vmulq_f32(a, b); }
    static V fma(V a, V b, V c) { return vfmaq_f32(c, a, b); }  // a * b + c, rounded once
    static V div(V a, V b) { return vdivq_f32(a, b); }
    static V prev1(V p, V c) { return vextq_f32(p, c, 3); }
    static V next1(V c, V n) { return vextq_f32(c, n, 1); }
    using I = int32x4_t;
    static I iset1(int32_t x) { return vdupq_n_s32(x); }
    static I iota(int32_t step) {
        const int32_t v[4] = {0, step, 2 * step, 3 * step};
        return vld1q_s32(v);
    }
    static I iadd(I a, I b) { return vaddq_s32(a, b); }
    static void istore(int32_t* p, I v) { vst1q_s32(p, v); }
    // Where v > m or v is NaN.
    static uint32x4_t take_mask(V m, V v) { return vorrq_u32(vcgtq_f32(v, m), vmvnq_u32(vceqq_f32(v, v))); }
    static V take_max(V m, V v) { return vbslq_f32(take_mask(m, v), v, m); }
    static void take_max(V& m, I& idx, V v, I cur) {
        const uint32x4_t k = take_mask(m, v);
        m = vbslq_f32(k, v, m);
        idx = vbslq_s32(k, cur, idx);
    }
    static void store_idx(int64_t* p, I v) {
        vst1q_s64(p, vmovl_s32(vget_low_s32(v)));
        vst1q_s64(p + 2, vmovl_high_s32(v));
    }
    // Clamped to [0, 255] (NaN to 0, as maxps / minps give), rounded half to even.
    static void store_u8(uint8_t* p, V v) {
        v = vminnmq_f32(vmaxnmq_f32(v, vdupq_n_f32(0.0f)), vdupq_n_f32(255.0f));
        const uint16x4_t w = vqmovun_s32(vcvtnq_s32_f32(v));
        const uint8x8_t b = vqmovn_u16(vcombine_u16(w, w));
        vst1_lane_u32((uint32_t*)(void*)p, vreinterpret_u32_u8(b), 0);
    }
    static V load(const uint8_t* p) {
        uint32_t x;
        std::memcpy(&x, p, 4);
        const uint8x8_t b = vreinterpret_u8_u32(vdup_n_u32(x));
        return vcvtq_f32_u32(vmovl_u16(vget_low_u16(vmovl_u8(b))));
    }
    static V load(const int16_t* p) { return vcvtq_f32_s32(vmovl_s16(vld1_s16(p))); }
    static V load(const half_t* p) {
        return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p))));
    }
    static void widen(U16::V v, V& lo, V& hi) {
        lo = vcvtq_f32_u32(vmovl_u16(vget_low_u16(v)));
        hi = vcvtq_f32_u32(vmovl_high_u16(v));
    }
    static void unzip(V a, V b, V& even, V& odd) {
        even = vuzp1q_f32(a, b);
        odd = vuzp2q_f32(a, b);
    }
    static void zip(V a, V b, V& lo, V& hi) {
        lo = vzip1q_f32(a, b);
        hi = vzip2q_f32(a, b);
    }
    // Lanes < n (0 < n <= N).
    static void store_first(float* p, V v, int n) {
        float t[4];
        vst1q_f32(t, v);
        for (int i = 0; i < n; ++i) p[i] = t[i];
    }
};

struct F64 {
    using V = float64x2_t;
    static constexpr int N = 2;
    static V load(const double* p) { return vld1q_f64(p); }
    static V load(const uint16_t* p) {
        const double v[2] = {double(p[0]), double(p[1])};
        return vld1q_f64(v);
    }
    static void store(double* p, V v) { vst1q_f64(p, v); }
    static V set1(double x) { return vdupq_n_f64(x); }
    static V add(V a, V b) { return vaddq_f64(a, b); }
    static V mul(V a, V b) { return vmulq_f64(a, b); }
    static V fma(V a, V b, V c) { return vfmaq_f64(c, a, b); }
    static V div(V a, V b) { return vdivq_f64(a, b); }
    using I = int32x2_t;  // int32 index lanes, one per value
    static I iset1(int32_t x) { return vdup_n_s32(x); }
    static I iota(int32_t step) {
        const int32_t v[2] = {0, step};
        return vld1_s32(v);
    }
    static I iadd(I a, I b) { return vadd_s32(a, b); }
    static void istore(int32_t* p, I v) { vst1_s32(p, v); }
    static void store_idx(int64_t* p, I v) { vst1q_s64(p, vmovl_s32(v)); }
    static uint64x2_t take_mask(V m, V v) {
        return vorrq_u64(vcgtq_f64(v, m), vreinterpretq_u64_u32(vmvnq_u32(vreinterpretq_u32_u64(vceqq_f64(v, v)))));
    }
    static V take_max(V m, V v) { return vbslq_f64(take_mask(m, v), v, m); }
    static void take_max(V& m, I& idx, V v, I cur) {
        const uint64x2_t k = take_mask(m, v);
        m = vbslq_f64(k, v, m);
        idx = vbsl_s32(vmovn_u64(k), cur, idx);  // the 64-bit lane masks as 32-bit lanes
    }
    static void unzip(V a, V b, V& even, V& odd) {
        even = vzip1q_f64(a, b);
        odd = vzip2q_f64(a, b);
    }
    static void zip(V a, V b, V& lo, V& hi) {
        lo = vzip1q_f64(a, b);
        hi = vzip2q_f64(a, b);
    }
    static void store_first(double* p, V v, int n) {
        if (n >= 2) vst1q_f64(p, v);
        else vst1q_lane_f64(p, v, 0);
    }
};

}  // namespace simd
}  // namespace PK_ISA_NS
}  // namespace pk
