// Fork safety and thread counts.
#include "core/parallel.hpp"

#include <pthread.h>

#include <atomic>
#include <cstring>
#include <thread>

namespace pk {
namespace {
std::atomic<bool> g_pool_used{false};
std::atomic<bool> g_forked_child{false};
void on_fork_child() {
    if (g_pool_used.load()) g_forked_child.store(true);
}
}  // namespace

void note_pool_used() { g_pool_used.store(true, std::memory_order_relaxed); }

bool in_forked_child() { return g_forked_child.load(std::memory_order_relaxed); }

void install_fork_handler() {
    static const int once = pthread_atfork(nullptr, nullptr, &on_fork_child);
    (void)once;
}

int hardware_threads() {
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    unsigned n = std::thread::hardware_concurrency();
    return n ? (int)n : 1;
#endif
}

void parallel_copy(void* dst, const void* src, int64_t nbytes, int nthreads) {
    // 64 KiB blocks per thread at least; this is the benchmark's copy-bandwidth yardstick.
    parallel_for(nbytes, nthreads, int64_t(1) << 16, [&](int64_t b, int64_t e) {
        std::memcpy(static_cast<char*>(dst) + b, static_cast<const char*>(src) + b, (size_t)(e - b));
    });
}

}  // namespace pk
