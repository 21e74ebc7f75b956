// Compiler- and architecture-specific spellings, in one place.
#pragma once

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#define PK_X86 1
#else
#define PK_X86 0
#endif

#if defined(__aarch64__) || defined(_M_ARM64)
#define PK_ARM64 1
#else
#define PK_ARM64 0
#endif

// SSE2, the x86-64 baseline: GCC and Clang say so, MSVC implies it on x64.
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define PK_SSE2 1
#else
#define PK_SSE2 0
#endif

// The compiler that built the extension, as pk.config() reports it.
#if defined(__clang__)
#define PK_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define PK_COMPILER "gcc " __VERSION__
#elif defined(_MSC_VER)
#define PK_STR2(x) #x
#define PK_STR(x) PK_STR2(x)
#define PK_COMPILER "msvc " PK_STR(_MSC_FULL_VER)
#else
#define PK_COMPILER "unknown"
#endif

// For a hot-loop lambda or helper that the compiler may otherwise leave out of line.
#if defined(__GNUC__)
#define PK_INLINE __attribute__((always_inline))
#else
#define PK_INLINE
#endif

#if PK_X86 && defined(__GNUC__)
#define PK_CPU(feature) __builtin_cpu_supports(feature)
#define PK_CPU_INIT() __builtin_cpu_init()
#else
#define PK_CPU(feature) false
#define PK_CPU_INIT() ((void)0)
#endif

#if defined(__GNUC__)
#define PK_PREFETCH(p) __builtin_prefetch((p), 0, 3)
#else
#define PK_PREFETCH(p) ((void)(p))
#endif
