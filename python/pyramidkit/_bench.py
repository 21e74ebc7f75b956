"""The benchmark behind ``python -m pyramidkit bench``.

Method: for each workload, each library is timed in blocks of repetitions (not strictly
alternating calls: on a 2-core machine the thread pool of the library just called keeps
spinning and taxes the next one), over several rounds; the speedup is computed per round
and the median reported. All libraries run with the same thread count. Memory-bound ops
are also reported against the machine's copy bandwidth measured in the same run: a
multi-threaded memcpy of as many bytes as the op reads plus writes. Every timed result is
checked against the peer's output within the op's documented tolerance, and a mismatch is
flagged in the table, so a fast wrong answer never looks like a win.
"""
from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional

import numpy as np

from . import _core
from ._config import config, num_threads


def _block(fn: Callable[[], object], reps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def _calibrate(fn: Callable[[], object], target_s: float) -> int:
    fn()  # warm-up (page faults, thread pool start, caches)
    t = _block(fn, 1)
    return max(1, min(1000, int(target_s / max(t, 1e-6))))


def _copy_fn(nbytes: int, threads: int) -> Callable[[], None]:
    half = max(1, nbytes // 2)  # reads half and writes half: nbytes moved in all
    src = np.ones(half, np.uint8)
    dst = np.empty_like(src)
    return lambda: _core.parallel_copy(dst, src, threads)


def _load_cv2(threads: int):
    try:
        import cv2  # type: ignore
    except ImportError:
        return None
    cv2.setNumThreads(threads)
    return cv2


def _workloads(quick: bool) -> List[Dict]:
    rng = np.random.default_rng(0)
    s = 4 if quick else 1
    gray8 = rng.integers(0, 256, (4096 // s, 4096 // s), dtype=np.uint8)
    gray32 = rng.random((4096 // s, 4096 // s), dtype=np.float32)
    rgb8 = rng.integers(0, 256, (1080 // s, 1920 // s, 3), dtype=np.uint8)
    up8 = rng.integers(0, 256, (2048 // s, 2048 // s), dtype=np.uint8)
    up32 = rng.random((2048 // s, 2048 // s), dtype=np.float32)
    return [
        dict(op="pyr_down", img=gray8, name=f"{gray8.shape[0]}x{gray8.shape[1]} uint8"),
        dict(op="pyr_down", img=gray32, name=f"{gray32.shape[0]}x{gray32.shape[1]} float32"),
        dict(op="pyr_down", img=rgb8, name=f"{rgb8.shape[1]}x{rgb8.shape[0]}x3 uint8"),
        dict(op="pyr_up", img=up8, name=f"{up8.shape[0]}x{up8.shape[1]} uint8"),
        dict(op="pyr_up", img=up32, name=f"{up32.shape[0]}x{up32.shape[1]} float32"),
    ]


def _matches(ours: np.ndarray, theirs: np.ndarray, inp: np.ndarray) -> bool:
    theirs = np.asarray(theirs).reshape(ours.shape)
    if ours.dtype.kind in "ui":
        return bool(np.array_equal(ours, theirs))
    scale = max(1.0, float(np.abs(inp).max()))
    return bool(np.abs(ours.astype(np.float64) - theirs).max() <= 8 * np.finfo(ours.dtype).eps * scale)


def run(threads: Optional[int] = None, rounds: int = 7, target_s: float = 0.05, quick: bool = False,
        ops: Optional[List[str]] = None, progress: bool = True) -> Dict:
    from . import pyramid

    threads = threads or config()["num_threads"]
    if quick:
        rounds, target_s = min(rounds, 3), min(target_s, 0.02)
    cv2 = _load_cv2(threads)
    rows = []
    work = [w for w in _workloads(quick) if not ops or w["op"] in ops]
    for k, w in enumerate(work, 1):
        img, op = w["img"], w["op"]
        ours_fn = getattr(pyramid, op)
        out = ours_fn(img)
        moved = img.nbytes + out.nbytes
        fns: Dict[str, Callable[[], object]] = {
            "pyramidkit": lambda: ours_fn(img, out=out),
            "copy": _copy_fn(moved, threads),
        }
        peer_ok = None
        if cv2 is not None:
            cv_fn = cv2.pyrDown if op == "pyr_down" else cv2.pyrUp
            cv_out = np.empty_like(out)
            fns["opencv"] = lambda: cv_fn(img, dst=cv_out)
            peer_ok = _matches(ours_fn(img), cv_fn(img), img)
        if progress:
            print(f"[{k}/{len(work)}] {op} {w['name']} ...", file=sys.stderr, flush=True)
        with num_threads(threads):
            reps = {name: _calibrate(fn, target_s) for name, fn in fns.items()}
            times: Dict[str, List[float]] = {name: [] for name in fns}
            for _ in range(rounds):
                for name, fn in fns.items():
                    times[name].append(_block(fn, reps[name]))
        med = {name: statistics.median(t) for name, t in times.items()}
        row = dict(op=op, workload=w["name"], threads=threads, bytes_moved=moved,
                   pyramidkit_ms=med["pyramidkit"] * 1e3, copy_ms=med["copy"] * 1e3,
                   copy_fraction=statistics.median(c / p for c, p in zip(times["copy"], times["pyramidkit"])))
        if "opencv" in times:
            row.update(peer="opencv", peer_ms=med["opencv"] * 1e3,
                       speedup=statistics.median(o / p for o, p in zip(times["opencv"], times["pyramidkit"])),
                       matches_peer=peer_ok)
        else:
            row.update(peer="opencv (missing)", peer_ms=None, speedup=None, matches_peer=None)
        rows.append(row)
    return dict(config=config(), machine=dict(platform=platform.platform(), processor=platform.processor(),
                                              python=sys.version.split()[0]),
                method=dict(rounds=rounds, block_seconds=target_s, statistic="median of per-round ratios"),
                results=rows)


def format_table(res: Dict) -> str:
    head = f"{'op':9s} {'workload':22s} {'peer':17s} {'ours ms':>8s} {'peer ms':>8s} {'speedup':>8s} " \
           f"{'of copy bw':>10s}  check"
    lines = [head, "-" * len(head)]
    for r in res["results"]:
        peer_ms = f"{r['peer_ms']:8.2f}" if r["peer_ms"] is not None else f"{'-':>8s}"
        speed = f"{r['speedup']:7.2f}x" if r["speedup"] is not None else f"{'-':>8s}"
        check = {True: "ok", False: "MISMATCH", None: "-"}[r["matches_peer"]]
        lines.append(f"{r['op']:9s} {r['workload']:22s} {r['peer']:17s} {r['pyramidkit_ms']:8.2f} {peer_ms} "
                     f"{speed} {r['copy_fraction']:10.2f}  {check}")
    c = res["config"]
    lines.append(f"threads={res['results'][0]['threads'] if res['results'] else '-'}  "
                 f"simd={c['simd']['active']}  'of copy bw' = memcpy time / our time for the same bytes")
    return "\n".join(lines)


def plot(res: Dict, path: str) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart written (pip install matplotlib)", file=sys.stderr)
        return False
    rows = [r for r in res["results"] if r["speedup"] is not None]
    labels = [f"{r['op']}\n{r['workload']}" for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(rows)), 4))
    ax.bar(range(len(rows)), [r["speedup"] for r in rows], color="#3b7dd8", label="speedup vs OpenCV")
    ax.plot(range(len(rows)), [r["copy_fraction"] for r in rows], "o", color="#d8573b",
            label="fraction of copy bandwidth")
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("ratio (higher is better)")
    ax.set_title(f"pyramidkit vs OpenCV, {rows[0]['threads'] if rows else '?'} threads, medians")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def save_json(res: Dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(res, f, indent=2)
