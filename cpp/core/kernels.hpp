// The kernel table: the signature of every op's entry point, the table each ISA level
// fills, and PK_REGISTER, the one line at the end of a kernel file that fills it.
#pragma once
#include <cstdint>
#include <memory>

#include "core/dtype.hpp"
#include "core/image.hpp"
#include "core/isa.hpp"

namespace pk {

// Kernels read src and write dst (shapes, strides and sizes validated by the binding)
// with up to nthreads threads.

// pyr_down / pyr_up: dst has the size the op's rule gives for src (binding-checked).
using PyrFn = void (*)(const Image& src, const Image& dst, const BorderSpec& border, int nthreads);

// Levels 1..n of a Gaussian pyramid of src (levels[i] has the pyr_down size of the one above).
using PyramidFn = void (*)(const Image& src, const Image* levels, int n, const BorderSpec& border, int nthreads);

// Laplacian band steps, band of type Band<T>: band = fine - pyr_up(coarse) and
// fine = band + pyr_up(coarse) (integers saturate).
using LaplacianSubFn = void (*)(const Image& coarse, const Image& fine, const Image& band, const BorderSpec& border,
                                int nthreads);
using LaplacianAddFn = void (*)(const Image& coarse, const Image& band, const Image& fine, const BorderSpec& border,
                                int nthreads);

// Separable filter with symmetric kernels of odd tap counts nky, nkx (dst the size of src);
// shift > 0: integer weights, the result rounded from `shift` fraction bits (gaussian_blur.cpp).
using BlurFn = void (*)(const Image& src, const Image& dst, const double* ky, int nky, const double* kx, int nkx,
                        int shift, const BorderSpec& border, int nthreads);

// Separable resampling with per-output tap tables (resample.cpp): output row y reads source rows
// iy[y*ky + k] with weights wy[y*ky + k], columns likewise; indices already in range.
using ResampleFn = void (*)(const Image& src, const Image& dst, const int32_t* iy, const double* wy, int ky,
                            const int32_t* ix, const double* wx, int kx, int nthreads);

// Convolution geometry, torch's: kernel, stride, padding (conv2d: top and left; the bottom
// and right follow from the output size), dilation, groups.
struct ConvSpec {
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
};
// conv_transpose2d: x is (n, c_in, h, w) and out (n, c_out, ho, wo) as Images (n0 = batch,
// n1 = channels, cn = 1); weight: contiguous (c_in, c_out/groups, kh, kw) of x's dtype;
// bias: c_out values or null. (Contiguous buffers of the dtype the table entry is for,
// hence untyped here.)
using ConvTransposeFn = void (*)(const Image& x, const void* weight, const void* bias, const Image& out,
                                 const ConvSpec& spec, int nthreads);
// conv2d: x and out each NCHW (n0 = batch, n1 = channels, cn = 1) or channels-last
// (n1 = 1, cn = channels); weight: contiguous (c_out, c_in/groups, kh, kw); bias: c_out values or
// null.
using Conv2dFn = void (*)(const Image& x, const void* weight, const void* bias, const Image& out,
                          const ConvSpec& spec, int nthreads);
// aspp (ops/aspp/aspp.cpp): DeepLab's ASPP head with batch norms folded: branch 0 a 1x1
// conv, branch j = 1..nrates a 3x3 conv of dilation and padding rates[j - 1], each
// (cb, c_in, k, k) with cb biases and ReLU; then a 1x1 projection (c_out, (nrates + 1) * cb)
// with per-image biases (n, c_out) and ReLU. x and out as conv2d's; out has x's size.
struct AsppSpec {
    int64_t nrates = 0;
    const int64_t* rates = nullptr;
    int64_t cb = 0;
};
// packed: aspp_pack's result for this level and dtype (weights, biases, proj_weight then
// unused), or null to pack them for this call.
using AsppFn = void (*)(const Image& x, const void* const* weights, const void* const* biases, const void* proj_weight,
                        const void* proj_bias, const void* packed, const Image& out, const AsppSpec& spec,
                        int nthreads);
// aspp_pack: the weights packed once, for the caller to keep across aspp calls.
using AsppPackFn = std::shared_ptr<void> (*)(const void* const* weights, const void* const* biases,
                                             const void* proj_weight, int64_t c_in, int64_t c_out,
                                             const AsppSpec& spec, int nthreads);
// fma_peak: `iterations` rounds of independent multiply-adds on each of nthreads threads;
// returns the floating-point operations done (the benchmark times it).
using FmaPeakFn = double (*)(int64_t iterations, int nthreads);

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
struct PoolSpec {
    PoolAxis y, x;
    bool avg = false;
    const int64_t* fy = nullptr;
    const int64_t* fx = nullptr;
    int64_t divisor = 0;
};
using PoolFn = void (*)(const Image& src, const Image& dst, const Image* idx, const PoolSpec& spec, int nthreads);
// max_unpool2d: dst plane p is zeroed, then gets dst[idx[i]] = src[i] in the order of i
// (the last of equal indices wins). Returns how many indices were outside [0, h*w) of
// dst; those are not written.
using UnpoolFn = int64_t (*)(const Image& src, const Image& idx, const Image& dst, int nthreads);

// X(entry, signature): every entry of the table, one per dtype each. Adding an op is one
// line here, its binding and its kernel file.
#define PK_KERNELS(X)                    \
    X(pyr_down, PyrFn)                   \
    X(pyr_up, PyrFn)                     \
    X(gaussian_pyramid, PyramidFn)       \
    X(laplacian_sub, LaplacianSubFn)     \
    X(laplacian_add, LaplacianAddFn)     \
    X(gaussian_blur, BlurFn)             \
    X(resample, ResampleFn)              \
    X(conv_transpose2d, ConvTransposeFn) \
    X(conv2d, Conv2dFn)                  \
    X(aspp, AsppFn)                      \
    X(aspp_pack, AsppPackFn)             \
    X(fma_peak, FmaPeakFn)               \
    X(pool, PoolFn)                      \
    X(max_unpool2d, UnpoolFn)            \
    X(downsample, DownsampleFn)
// downsample (downsample.cpp): z is the n1 planes, y the rows, x the pixels; dst has
// ceil(n / f) of each. gaussian: factors 1 or 2 (1 4 6 4 1 taps with the border); else the
// box mean of f samples per axis (the last box partial).
struct DownsampleSpec {
    int64_t fz = 1, fy = 1, fx = 1;
    bool gaussian = false;
};
using DownsampleFn = void (*)(const Image& src, const Image& dst, const DownsampleSpec& spec,
                              const BorderSpec& border, int nthreads);

struct KernelTable {
#define PK_KERNEL_FIELD(entry, Fn) Fn entry[kNumDTypes] = {};
    PK_KERNELS(PK_KERNEL_FIELD)
#undef PK_KERNEL_FIELD
};

// The table of the active ISA level (see dispatch.hpp): for each entry and dtype, the
// kernel of the highest level <= the active one that registered it. Null where no kernel
// exists for that dtype (the bindings then raise).
const KernelTable& kernels();

namespace detail {
// The entries kernel files compiled for `isa` registered (filled during static init).
KernelTable& registered(Isa isa);
void mark_compiled(Isa isa);  // a kernel file compiled for `isa` is linked in

// G::get<T>() gives the kernel for dtype T. G lives in the kernel file's anonymous
// namespace, so this instantiation is private to that object file (a shared, merged
// instantiation would register one level's kernels for all of them).
template <class G, class... Ts, class Fn>
bool register_entries(Isa isa, Fn (KernelTable::*entry)[kNumDTypes]) {
    mark_compiled(isa);
    KernelTable& t = registered(isa);
    (((t.*entry)[dtype_index<Ts>()] = G::template get<Ts>()), ...);
    return true;
}
}  // namespace detail

}  // namespace pk

// The last line of a kernel file: PK_REGISTER(entry, function template, dtypes...) puts
// fn<T> into `entry` for each dtype T at the ISA level this object is compiled for.
// PK_ALL_DTYPES lists every image dtype.
#define PK_REGISTER(entry, fn, ...)                                                          \
    namespace {                                                                              \
    struct Register_##entry {                                                                \
        template <class T>                                                                   \
        static auto get() { return &fn<T>; }                                                 \
    };                                                                                       \
    const bool registered_##entry =                                                          \
        ::pk::detail::register_entries<Register_##entry, __VA_ARGS__>(::pk::Isa::PK_ISA_NS, \
                                                                        &::pk::KernelTable::entry); \
    }  // namespace
