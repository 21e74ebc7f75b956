// The vector layer: the few generic vector operations the hand-written kernel loops use,
// one header per level at that level's widest width (avx512.hpp: 512-bit, avx2.hpp: 256,
// sse2.hpp and, on aarch64, neon.hpp: 128, none.hpp: no vectors). A kernel loop is written
// once against the lane types U16 (uint16 lanes), F32 and F64 and compiled per level;
// where kSimd is false the kernels run their scalar loops only. The k* flags name
// capabilities (kHasGather: a gather instruction, ...), and a kernel tests the flag of what
// it uses. Sequences that serve one op live with that op (cpp/ops/...), built from these
// operations.
//
// Every operation is exact lane-wise arithmetic in the lane type, so a loop written with
// them gives the same bits as the scalar loop with the same operation order. The one
// exception is fma (kHasFma), rounding a*b + c once: only kernels that document it use it
// (conv_transpose2d, conv2d, aspp), and they then agree across AVX2 / AVX-512 / NEON but
// not with the baseline level. tests/cpp/test_simd.cpp checks every operation against its
// scalar definition at every compiled level.
#pragma once
#include "core/portability.hpp"

#if defined(PK_NO_SIMD)
#include "simd/none.hpp"
#elif defined(__AVX512BW__)
#include <immintrin.h>
#include "simd/avx512.hpp"
#elif defined(__AVX2__)
#include <immintrin.h>
#include "simd/avx2.hpp"
#elif PK_SSE2
#include <immintrin.h>
#include "simd/sse2.hpp"
#elif PK_ARM64 && defined(__ARM_NEON)
#include "simd/neon.hpp"
#else
#include "simd/none.hpp"
#endif

namespace pk {
namespace PK_ISA_NS {
namespace simd {

// Lanes of type T in one vector of this level (0 without vectors).
template <class T>
constexpr int kLanes = kBits / (8 * int(sizeof(T)));

// The lane type L as a type that depends on the template parameters D of the code using
// it. A kernel's vector branch, `if constexpr (simd::kSimd)`, is then discarded unchecked
// at a level without vectors, where none.hpp declares the lane types and defines nothing.
// Kernel functions that are not templates take their lane type as a defaulted template
// parameter instead (`template <class S = simd::F32>`), which has the same effect.
template <class L, class... D>
struct DependentT {
    using type = L;
};
template <class L, class... D>
using Dependent = typename DependentT<L, D...>::type;

}  // namespace simd
}  // namespace PK_ISA_NS
}  // namespace pk
