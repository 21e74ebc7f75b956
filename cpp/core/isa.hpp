// The one list of ISA levels. Everything else is generated from it: the Isa enum, the
// level names, the run-time CPU checks and the dispatch tables here, and the list of
// levels CMakeLists.txt compiles (it reads the X( lines of this file and takes each
// level's compiler flags from PK_FLAGS_<name>).
//
// X(name, check): levels in increasing order; a level implies every level before it, so
// its check names only what it adds. Adding a level is one line here plus its flags.
#pragma once
#include "core/portability.hpp"

#if PK_X86
#define PK_ISA_LEVELS(X)                                                                          \
    X(baseline, true)                                                                             \
    X(avx2, PK_CPU("avx2") && PK_CPU("fma") && PK_CPU("bmi2") && PK_CPU("popcnt"))                \
    X(avx512, PK_CPU("avx512f") && PK_CPU("avx512bw") && PK_CPU("avx512dq") && PK_CPU("avx512vl") && \
                  PK_CPU("avx512cd"))                                                             \
    X(avx512vbmi, PK_CPU("avx512vbmi"))
#elif PK_ARM64
// aarch64: baseline is the portable scalar build (PK_NO_SIMD), neon the vector layer's
// NEON backend; every aarch64 CPU has NEON, so it is the level chosen unless capped.
#define PK_ISA_LEVELS(X) \
    X(baseline, true)    \
    X(neon, true)
#else
#define PK_ISA_LEVELS(X) X(baseline, true)
#endif

namespace pk {

#define PK_ISA_ENUM(name, check) name,
enum class Isa : int { PK_ISA_LEVELS(PK_ISA_ENUM) };
#undef PK_ISA_ENUM

#define PK_ISA_COUNT(name, check) +1
constexpr int kNumIsas = 0 PK_ISA_LEVELS(PK_ISA_COUNT);
#undef PK_ISA_COUNT

}  // namespace pk
