"""First calls against the steady state (``python -m pyramidkit bench --first-call``).

Each workload of the benchmark runs in a fresh child process: its inputs are made, then
our call is timed once (the first call of the op in that process) and then again until a
median is steady. What a first call pays on top: the op's one-time set-up (its code's
pages, the thread pool's start) and the first touch of its result's fresh pages, which the
buffer cache of pyramidkit._memory spares the later calls.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Dict, List, Optional

from .harness import FAMILIES, Context, _family, run_child

# A first call slower than this many steady calls is flagged (the target: 2x).
FIRST_CALL_LIMIT = 2.0


def _workloads(ctx: Context, ops: Optional[List[str]]):
    return [w for fam in FAMILIES for w in _family(fam).workloads(ctx) if not ops or w.op in ops]


def child(k: int, quick: bool, threads: int, reps: int = 9) -> Dict:
    import pyramidkit as pk

    pk.set_num_threads(threads)
    w = _workloads(Context(quick, threads, peers=[]), None)[k]
    t0 = time.perf_counter()
    w.ours()
    first = time.perf_counter() - t0
    steady = []
    for _ in range(reps):
        t0 = time.perf_counter()
        w.ours()
        steady.append(time.perf_counter() - t0)
    med = statistics.median(steady)
    return dict(op=w.op, workload=w.name, first_ms=first * 1e3, second_ms=steady[0] * 1e3, steady_ms=med * 1e3,
                ratio=first / med, over_limit=first / med > FIRST_CALL_LIMIT)


def run(quick: bool = False, threads: int = 2, ops: Optional[List[str]] = None, progress: bool = True) -> List[Dict]:
    import pyramidkit as pk

    with pk.num_threads(threads):
        work = _workloads(Context(quick, threads, peers=[]), None)
    rows = []
    for k, w in enumerate(work):
        if ops and w.op not in ops:
            continue
        if progress:
            print(f"[first call] {w.op} {w.name} ...", file=sys.stderr, flush=True)
        r = run_child(__name__, str(k), str(int(quick)), str(threads))
        rows.append(r if "error" not in r else dict(op=w.op, workload=w.name, **r))
    return rows


def format_table(rows: List[Dict]) -> str:
    head = f"{'op':16s} {'workload':44s} {'first ms':>9s} {'2nd ms':>8s} {'steady ms':>9s} {'first/steady':>12s}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['op']:16s} {r['workload']:44s} error: {r['error']}")
            continue
        flag = "!" if r["over_limit"] else " "
        lines.append(f"{r['op']:16s} {r['workload']:44s} {r['first_ms']:9.2f} {r['second_ms']:8.2f} "
                     f"{r['steady_ms']:9.2f} {r['ratio']:11.2f}x{flag}")
    lines.append(f"each row in a fresh process; '!': the first call took more than {FIRST_CALL_LIMIT:g}x the "
                 f"steady median")
    return "\n".join(lines)


if __name__ == "__main__":
    k_, quick_, threads_ = sys.argv[1:4]
    print(json.dumps(child(int(k_), bool(int(quick_)), int(threads_))))
