// fma_peak: the convolutions' yardstick, the multiply-add rate of this core at the active
// ISA level. Each thread runs 16 independent chains acc = acc * m + a (fused on AVX2 /
// AVX-512, separate on the baseline), enough to fill every FMA port past its latency;
// the benchmark divides a convolution's FLOP rate by this one.
#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "simd/simd.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

template <class T>
double fma_peak_impl(int64_t iterations, int nthreads) {
    constexpr int K = 16;
    using S = std::conditional_t<std::is_same_v<T, double>, simd::F64, simd::F32>;
    constexpr int N = simd::kSimd ? simd::kLanes<T> : 1;
    volatile T sink = 0;
    int used = 0;
    parallel_for(std::max(1, nthreads), nthreads, 1, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
            const T m = T(0.999999), a = T(1e-6);  // converges to 1: no overflow, no subnormals
            T total = 0;
            if constexpr (simd::kSimd) {
                typename S::V acc[K];
                for (int k = 0; k < K; ++k) acc[k] = S::set1(T(k));
                const typename S::V mv = S::set1(m), av = S::set1(a);
                for (int64_t i = 0; i < iterations; ++i)
                    for (int k = 0; k < K; ++k) {
                        if constexpr (simd::kHasFma) acc[k] = S::fma(acc[k], mv, av);
                        else acc[k] = S::add(S::mul(acc[k], mv), av);
                    }
                alignas(64) T lanes[64];
                for (int k = 0; k < K; ++k) {
                    S::store(lanes, acc[k]);
                    total += lanes[0];
                }
            } else {
                T acc[K];
                for (int k = 0; k < K; ++k) acc[k] = T(k);
                for (int64_t i = 0; i < iterations; ++i)
                    for (int k = 0; k < K; ++k) acc[k] = acc[k] * m + a;
                for (int k = 0; k < K; ++k) total += acc[k];
            }
            sink = sink + total;
#pragma omp atomic
            ++used;
        }
    });
    (void)sink;
    return 2.0 * K * N * (double)iterations * used;
}

}  // namespace

PK_REGISTER(fma_peak, fma_peak_impl, float, double);

}  // namespace PK_ISA_NS
}  // namespace pk
