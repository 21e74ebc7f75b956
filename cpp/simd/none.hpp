// No vector unit (other architectures without a backend yet, or PK_NO_SIMD: the CMake
// option PK_PORTABLE builds that way on x86 so CI runs the scalar loops). The vector
// types are declared and left incomplete: every use of them sits in an `if constexpr`
// branch that depends on a template parameter and is discarded here, so none is ever
// instantiated, and a use outside such a branch fails to compile.
#pragma once
#include "core/dtype.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace simd {

constexpr bool kSimd = false;
constexpr int kBits = 0;
constexpr bool kHasFma = false;
constexpr bool kHasGather = false;
constexpr bool kHasRoundU8 = false;
constexpr bool kHasPermute2 = false;
constexpr bool kHasByteShuffle = false;
constexpr bool kHasMaskRegs = false;
constexpr bool kHasBytePermute = false;

struct U16;
struct F32;
struct F64;

}  // namespace simd
}  // namespace PK_ISA_NS
}  // namespace pk
