// CPU feature detection and the choice of the kernel table. The levels and their checks
// come from core/isa.hpp; the entries from the kernel files' PK_REGISTER lines.
#include "core/dispatch.hpp"

#include <atomic>
#include <cstdlib>

#include "core/kernels.hpp"

namespace pk {
namespace {

bool g_compiled[kNumIsas] = {};

// What level i adds to the level before it, on this CPU.
bool cpu_adds(int i) {
    PK_CPU_INIT();
    switch (i) {
#define PK_ISA_CHECK(name, check) \
    case int(Isa::name): return (check);
        PK_ISA_LEVELS(PK_ISA_CHECK)
#undef PK_ISA_CHECK
    }
    return false;
}

// __builtin_cpu_supports also checks that the OS saves the wider registers.
bool cpu_supports(int i) {
    for (int j = 0; j <= i; ++j)
        if (!cpu_adds(j)) return false;
    return true;
}

// Level i's table: level i - 1's with what level i registered laid over it, so a kernel
// file built for fewer levels serves the levels above its highest one.
KernelTable g_tables[kNumIsas];
std::atomic<int> g_active{-1};

void overlay(KernelTable& t, const KernelTable& add) {
#define PK_OVERLAY(entry, Fn) \
    for (int d = 0; d < kNumDTypes; ++d)   \
        if (add.entry[d]) t.entry[d] = add.entry[d];
    PK_KERNELS(PK_OVERLAY)
#undef PK_OVERLAY
}

int parse(const std::string& name) {
    for (int i = 0; i < kNumIsas; ++i)
        if (name == isa_name(Isa(i))) return i;
    return -1;
}

int best_up_to(int cap) {
    int best = 0;
    for (int i = 0; i <= cap && i < kNumIsas; ++i)
        if (g_compiled[i] && cpu_supports(i)) best = i;
    return best;
}

int init() {
    for (int i = 0; i < kNumIsas; ++i) {
        if (i > 0) g_tables[i] = g_tables[i - 1];
        overlay(g_tables[i], detail::registered(Isa(i)));
    }
    int cap = kNumIsas - 1;
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

KernelTable& detail::registered(Isa isa) {
    static KernelTable tables[kNumIsas];
    return tables[int(isa)];
}

void detail::mark_compiled(Isa isa) { g_compiled[int(isa)] = true; }

const char* isa_name(Isa isa) {
    switch (isa) {
#define PK_ISA_NAME(name, check) \
    case Isa::name: return #name;
        PK_ISA_LEVELS(PK_ISA_NAME)
#undef PK_ISA_NAME
    }
    return "?";
}

std::vector<std::string> all_isas() {
    std::vector<std::string> out;
    for (int i = 0; i < kNumIsas; ++i) out.push_back(isa_name(Isa(i)));
    return out;
}

std::vector<std::string> compiled_isas() {
    std::vector<std::string> out;
    for (int i = 0; i < kNumIsas; ++i)
        if (g_compiled[i]) out.push_back(isa_name(Isa(i)));
    return out;
}

std::vector<std::string> supported_isas() {
    std::vector<std::string> out;
    for (int i = 0; i < kNumIsas; ++i)
        if (g_compiled[i] && cpu_supports(i)) out.push_back(isa_name(Isa(i)));
    return out;
}

std::string active_isa() { return isa_name(Isa(active_index())); }

bool set_max_isa(const std::string& name) {
    int cap = parse(name);
    if (cap < 0) return false;
    active_index();  // tables are filled before the first switch
    g_active.store(best_up_to(cap), std::memory_order_release);
    return true;
}

const KernelTable& kernels() { return g_tables[active_index()]; }

}  // namespace pk
