// Thread helpers for the kernels: static row partitioning over OpenMP, fork safety.
#pragma once
#include <algorithm>
#include <cstdint>
#include <exception>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace pk {

// True in a child forked after the parent used threads: libgomp's pool does not survive
// fork, so the child runs everything on its calling thread (as PyTorch does).
bool in_forked_child();
void install_fork_handler();
void note_pool_used();  // a fork after this point leaves the child single-threaded
int hardware_threads();
// memcpy on up to nthreads threads: the yardstick for memory-bound kernels.
void parallel_copy(void* dst, const void* src, int64_t nbytes, int nthreads);

// Calls fn(begin, end) on up to nthreads threads, each with one contiguous range of
// [0, n). Every item is computed by exactly the same code whatever the split, which is
// why results are bit-identical for any thread count.
template <class Fn>
void parallel_for(int64_t n, int nthreads, int64_t min_items_per_thread, Fn&& fn) {
    if (n <= 0) return;
    int64_t max_useful = std::max<int64_t>(1, n / std::max<int64_t>(1, min_items_per_thread));
    int nt = (int)std::min<int64_t>(std::max(1, nthreads), max_useful);
#ifdef _OPENMP
    if (nt > 1 && !in_forked_child()) {
        // An exception must not leave an OpenMP region (that terminates the process):
        // keep the first one and rethrow it on the calling thread.
        std::exception_ptr error;
        note_pool_used();
#pragma omp parallel num_threads(nt)
        {
            int t = omp_get_thread_num(), T = omp_get_num_threads();
            int64_t b = n * t / T, e = n * (t + 1) / T;
            try {
                if (b < e) fn(b, e);
            } catch (...) {
#pragma omp critical(pk_parallel_error)
                if (!error) error = std::current_exception();
            }
        }
        if (error) std::rethrow_exception(error);
        return;
    }
#endif
    fn(int64_t(0), n);
}

}  // namespace pk
