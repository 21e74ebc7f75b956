"""Compare kernel_hashes runs (tests/cpp/kernel_hashes.cpp) of one or more architectures.

    python tests/cpp/compare_hashes.py x86.txt aarch64.txt

Every case must give the same output bytes at every level of every run, except the
kernels that use fused multiply-adds, whose levels with FMA (x86 avx2 and up, aarch64
neon) must agree with each other and whose levels without it (baseline) with each other.
Exits 1 listing the first disagreements; every run must have the same cases.
"""
import sys
from collections import defaultdict

FMA_ENTRIES = {"conv2d", "conv_transpose2d", "aspp"}
FMA_LEVELS = {"avx2", "avx512", "avx512vbmi", "neon"}


def read(path):
    rows = defaultdict(dict)  # (entry, dtype, case) -> {level: hash}
    with open(path) as f:
        for line in f:
            level, entry, dtype, case, h = line.split()
            rows[(entry, dtype, case)][level] = h
    return rows


def main(paths):
    runs = [(p, read(p)) for p in paths]
    keys = set(runs[0][1])
    for p, r in runs[1:]:
        if set(r) != keys:
            print(f"{p}: cases differ from {runs[0][0]} ({len(set(r) ^ keys)} not in both)")
            return 1
    bad = []
    levels = set()
    for key in sorted(keys):
        groups = defaultdict(dict)  # group -> {run:level: hash}
        for p, r in runs:
            for level, h in r[key].items():
                levels.add(f"{p}:{level}")
                group = "fma" if key[0] in FMA_ENTRIES and level in FMA_LEVELS else "plain"
                groups[group][f"{p}:{level}"] = h
        for group, hs in groups.items():
            if len(set(hs.values())) > 1:
                bad.append((key, group, hs))
    for key, group, hs in bad[:20]:
        print("MISMATCH", *key, group, " ".join(f"{k}={v}" for k, v in sorted(hs.items())))
    print(f"{len(keys)} cases x {len(levels)} levels ({', '.join(sorted(levels))}): "
          f"{'ok' if not bad else f'{len(bad)} disagree'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
