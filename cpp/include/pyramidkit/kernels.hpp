// Kernel declarations: the table each ISA level fills, and the entry points of each op.
#pragma once
#include "pyramidkit/image.hpp"

namespace pk {

// A kernel reads src, writes dst (both validated by the caller) with up to nthreads threads.
using PyrFn = void (*)(const Image& src, const Image& dst, const BorderSpec& border, int nthreads);

// Levels 1..n of a Gaussian pyramid of src (levels[i] has the pyr_down size of the one above).
using PyramidFn = void (*)(const Image& src, const Image* levels, int n, const BorderSpec& border, int nthreads);
// Laplacian band step: band = fine - pyr_up(coarse) (sub), fine = band + pyr_up(coarse) (add).
using LapFn = void (*)(const Image& coarse, const Image& a, const Image& b, const BorderSpec& border, int nthreads);

// Separable filter with symmetric kernels of odd tap counts nky, nkx (dst the size of src);
// shift > 0: integer weights, the result rounded from `shift` fraction bits (blur.cpp).
using BlurFn = void (*)(const Image& src, const Image& dst, const double* ky, int nky, const double* kx, int nkx,
                        int shift, const BorderSpec& border, int nthreads);

// Separable resampling with per-output tap tables (resample.cpp): output row y reads source rows
// iy[y*ky + k] with weights wy[y*ky + k], columns likewise; indices already in range.
using ResampleFn = void (*)(const Image& src, const Image& dst, const int32_t* iy, const double* wy, int ky,
                            const int32_t* ix, const double* wx, int kx, int nthreads);

// Transposed convolution geometry (conv_transpose.cpp), torch's conv_transpose2d: x is
// (n, c_in, h, w), out (n, c_out, ho, wo); strides in elements, the last axes unit-stride.
struct ConvTransposeSpec {
    int64_t n = 0, c_in = 0, h = 0, w = 0, c_out = 0, ho = 0, wo = 0;
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
    int64_t xs[3] = {0, 0, 0}, os[3] = {0, 0, 0};
};
// weight: contiguous (c_in, c_out/groups, kh, kw); bias: c_out values or null.
using ConvTransposeFn = void (*)(const void* x, const void* weight, const void* bias, void* out,
                                 const ConvTransposeSpec& spec, int nthreads);

// Window pooling (pool.cpp). Along each axis, output o reads the taps start[o] + j*dil for
// j < count[o], all inside the input (Python has clipped the padding away). Windows of a
// regular pooling also give stride and taps (the unclipped tap count): outputs whose
// window is whole, start[o] = o*stride - pad, may then use vector loads.
struct PoolAxis {
    const int32_t* start = nullptr;
    const int32_t* count = nullptr;
    int64_t dil = 1, stride = 0, taps = 0;
};
// max: dst = the window's maximum, torch's rule (a NaN wins; ties keep the first tap in
// row-major order); idx (may be null): int64 h*W + w of it, laid out like dst.
// avg: dst = sum of the taps in row-major order / (fy[oy] * fx[ox]), or / divisor if > 0.
using PoolFn = void (*)(const Image& src, const Image& dst, const Image* idx, const PoolAxis& ay, const PoolAxis& ax,
                        bool avg, const int64_t* fy, const int64_t* fx, int64_t divisor, int nthreads);
// max_unpool2d: dst plane p is zeroed, then gets dst[idx[i]] = src[i] in the order of i
// (the last of equal indices wins). Returns how many indices were outside [0, h*w) of
// dst; those are not written.
using UnpoolFn = int64_t (*)(const Image& src, const Image& idx, const Image& dst, int nthreads);

struct KernelTable {
    const char* isa = "";
    PyrFn pyr_down[kNumDTypes] = {};
    PyrFn pyr_up[kNumDTypes] = {};
    PyramidFn gaussian_pyramid[kNumDTypes] = {};
    LapFn laplacian_sub[kNumDTypes] = {};  // (coarse, fine, band)
    LapFn laplacian_add[kNumDTypes] = {};  // (coarse, band, fine)
    BlurFn gaussian_blur[kNumDTypes] = {};
    ResampleFn resample[kNumDTypes] = {};
    ConvTransposeFn conv_transpose2d[kNumDTypes] = {};  // float32, float64
    PoolFn pool[kNumDTypes] = {};                        // uint8 (max only), float16, float32, float64
    UnpoolFn max_unpool2d[kNumDTypes] = {};
};

// Each kernel file defines, in every ISA namespace, a function that fills its entries.
#define PK_DECLARE_ISA(ns) \
    namespace ns { void fill_pyramid(KernelTable& t); void fill_blur(KernelTable& t); void fill_resample(KernelTable& t); \
                 void fill_conv_transpose(KernelTable& t); void fill_pool(KernelTable& t); }
PK_DECLARE_ISA(baseline)
PK_DECLARE_ISA(avx2)
PK_DECLARE_ISA(avx512)
PK_DECLARE_ISA(avx512vbmi)
#undef PK_DECLARE_ISA

// The table of the active ISA level (see dispatch.hpp).
const KernelTable& kernels();

}  // namespace pk
