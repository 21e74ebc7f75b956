// Compiler- and architecture-specific spellings, in one place.
#pragma once

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#define PK_X86 1
#else
#define PK_X86 0
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
