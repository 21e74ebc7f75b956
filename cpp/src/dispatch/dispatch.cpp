// CPU feature detection and the choice of the kernel table.
#include "pyramidkit/dispatch.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "pyramidkit/kernels.hpp"

namespace pk {
namespace {

struct Level {
    Isa isa;
    bool compiled;
    void (*fill[5])(KernelTable&);  // one per kernel file (see kernels.hpp)
};

// Levels without a compiled variant keep a null fill function and are never chosen.
#define PK_LEVEL(ns) \
    { Isa::ns, true, {&ns::fill_pyramid, &ns::fill_blur, &ns::fill_resample, &ns::fill_conv_transpose, &ns::fill_pool} }
const Level kLevels[] = {
    PK_LEVEL(baseline),
#ifdef PK_HAVE_AVX2
    PK_LEVEL(avx2),
#else
    {Isa::avx2, false, {}},
#endif
#ifdef PK_HAVE_AVX512
    PK_LEVEL(avx512),
#else
    {Isa::avx512, false, {}},
#endif
#ifdef PK_HAVE_AVX512VBMI
    PK_LEVEL(avx512vbmi),
#else
    {Isa::avx512vbmi, false, {}},
#endif
};
#undef PK_LEVEL
constexpr int kNumLevels = int(sizeof(kLevels) / sizeof(kLevels[0]));

bool cpu_supports(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    switch (isa) {
        case Isa::baseline: return true;
        // __builtin_cpu_supports also checks that the OS saves the wider registers.
        case Isa::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                   __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
        case Isa::avx512:
            return cpu_supports(Isa::avx2) && __builtin_cpu_supports("avx512f") &&
                   __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                   __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
        case Isa::avx512vbmi:
            return cpu_supports(Isa::avx512) && __builtin_cpu_supports("avx512vbmi");
    }
    return false;
#else
    return isa == Isa::baseline;
#endif
}

KernelTable g_tables[kNumLevels];
std::atomic<int> g_active{-1};

int parse(const std::string& name) {
    for (int i = 0; i < kNumLevels; ++i)
        if (name == isa_name(kLevels[i].isa)) return i;
    return -1;
}

int best_up_to(int cap) {
    int best = 0;
    for (int i = 0; i <= cap && i < kNumLevels; ++i)
        if (kLevels[i].compiled && cpu_supports(kLevels[i].isa)) best = i;
    return best;
}

int init() {
    for (int i = 0; i < kNumLevels; ++i) {
        g_tables[i].isa = isa_name(kLevels[i].isa);
        if (kLevels[i].compiled)
            for (auto fill : kLevels[i].fill) fill(g_tables[i]);
    }
    int cap = kNumLevels - 1;
    if (const char* env = std::getenv("PYRAMIDKIT_MAX_ISA")) {
        int c = parse(env);
        if (c >= 0) cap = c;
    }
    return best_up_to(cap);
}

int active_index() {
    static const int first = [] {
        int a = init();
        int expected = -1;
        g_active.compare_exchange_strong(expected, a);
        return a;
    }();
    (void)first;
    return g_active.load(std::memory_order_acquire);
}

}  // namespace

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::baseline: return "baseline";
        case Isa::avx2: return "avx2";
        case Isa::avx512: return "avx512";
        case Isa::avx512vbmi: return "avx512vbmi";
    }
    return "?";
}

std::vector<std::string> compiled_isas() {
    std::vector<std::string> out;
    for (const Level& l : kLevels)
        if (l.compiled) out.push_back(isa_name(l.isa));
    return out;
}

std::vector<std::string> supported_isas() {
    std::vector<std::string> out;
    for (const Level& l : kLevels)
        if (l.compiled && cpu_supports(l.isa)) out.push_back(isa_name(l.isa));
    return out;
}

std::string active_isa() { return isa_name(kLevels[active_index()].isa); }

bool set_max_isa(const std::string& name) {
    int cap = parse(name);
    if (cap < 0) return false;
    active_index();  // tables are filled before the first switch
    g_active.store(best_up_to(cap), std::memory_order_release);
    return true;
}

const KernelTable& kernels() { return g_tables[active_index()]; }

}  // namespace pk
