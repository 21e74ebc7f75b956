// Kernel declarations: the table each ISA level fills, and the entry points of each op.
#pragma once
#include "pyramidkit/image.hpp"

namespace pk {

// A kernel reads src, writes dst (both validated by the caller) with up to nthreads threads.
using PyrFn = void (*)(const Image& src, const Image& dst, const BorderSpec& border, int nthreads);

struct KernelTable {
    const char* isa = "";
    PyrFn pyr_down[kNumDTypes] = {};
    PyrFn pyr_up[kNumDTypes] = {};
};

// Each kernel file defines, in every ISA namespace, a function that fills its entries.
#define PK_DECLARE_ISA(ns) \
    namespace ns { void fill_pyramid(KernelTable& t); }
PK_DECLARE_ISA(baseline)
PK_DECLARE_ISA(avx2)
PK_DECLARE_ISA(avx512)
#undef PK_DECLARE_ISA

// The table of the active ISA level (see dispatch.hpp).
const KernelTable& kernels();

}  // namespace pk
