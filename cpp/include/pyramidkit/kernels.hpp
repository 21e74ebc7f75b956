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
};

// Each kernel file defines, in every ISA namespace, a function that fills its entries.
#define PK_DECLARE_ISA(ns) \
    namespace ns { void fill_pyramid(KernelTable& t); void fill_blur(KernelTable& t); void fill_resample(KernelTable& t); \
                 void fill_conv_transpose(KernelTable& t); }
PK_DECLARE_ISA(baseline)
PK_DECLARE_ISA(avx2)
PK_DECLARE_ISA(avx512)
#undef PK_DECLARE_ISA

// The table of the active ISA level (see dispatch.hpp).
const KernelTable& kernels();

}  // namespace pk
