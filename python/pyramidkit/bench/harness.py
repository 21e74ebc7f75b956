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

import functools
import json
import os
import platform
import statistics
import sys
import time
from typing import Callable, Dict, List, NamedTuple, Optional

import numpy as np

from .. import _core
from .._config import config, num_threads

# Pause before each timed block: the thread pools of the library timed just before (OpenMP,
# OpenBLAS, torch's) keep spinning for a while after their last call and would tax this
# block on a machine with few cores.
_SETTLE_S = 0.03


def _block(fn: Callable[[], object], reps: int) -> float:
    time.sleep(_SETTLE_S)
    fn()  # one untimed call: the block starts with this library's pool awake
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def _calibrate(fn: Callable[[], object], target_s: float) -> int:
    fn()  # warm-up (page faults, thread pool start, caches)
    t = _block(fn, 1)
    return max(1, min(1000, int(target_s / max(t, 1e-6))))


def fma_peak(threads: int, dtype: str = "float32", seconds: float = 0.1) -> float:
    """This machine's multiply-add rate in FLOP/s at the active ISA level on `threads`
    threads (independent chains of vector FMAs, cpp/ops/conv2d/fma_peak.cpp): the best of
    five runs of about `seconds` each, the yardstick of compute-bound rows."""
    its = 1 << 16
    while True:
        t0 = time.perf_counter()
        _core.fma_peak(dtype, its, threads)
        if time.perf_counter() - t0 >= seconds / 4:
            break
        its *= 4
    best = 0.0
    for _ in range(5):
        t0 = time.perf_counter()
        flops = _core.fma_peak(dtype, its, threads)
        best = max(best, flops / (time.perf_counter() - t0))
    return best


def _copy_fn(nbytes: int, threads: int) -> Callable[[], None]:
    half = max(1, nbytes // 2)  # reads half and writes half: nbytes moved in all
    src = np.ones(half, np.uint8)
    dst = np.empty_like(src)
    return lambda: _core.parallel_copy(dst, src, threads)


class Workload(NamedTuple):
    op: str
    name: str
    ours: Callable[[], object]       # returns its result (reusing outputs where the API allows)
    peer: Optional[Callable[[], object]]
    check: Callable[[object, object], bool]  # ours' result vs the peer's, the op's tolerance
    moved: Optional[int]             # bytes read + written for the copy-bandwidth column
    peer_name: str = "opencv"
    flops: Optional[float] = None    # floating-point operations, for the FLOP-rate columns


def close(ours: np.ndarray, theirs: np.ndarray, scale: float, ulps: float = 8) -> bool:
    """Integers exact; floats within `ulps` ulps of the value range."""
    theirs = np.asarray(theirs).reshape(ours.shape)
    if ours.dtype.kind in "ui":
        return bool(np.array_equal(ours, theirs))
    return bool(np.abs(ours.astype(np.float64) - theirs).max() <= ulps * np.finfo(ours.dtype).eps * max(1.0, scale))


def all_close(ours: List[np.ndarray], theirs: List[np.ndarray], scale: float, ulps: float = 8) -> bool:
    return len(ours) == len(theirs) and all(close(a, b, scale, ulps) for a, b in zip(ours, theirs))


class Context:
    """What the workload modules share: the inputs (made on first use, seeded) and the
    peers, each imported only when a workload asks for it (None when not installed)."""

    def __init__(self, quick: bool, threads: int, peers: Optional[List[str]] = None) -> None:
        self.quick, self.threads = quick, threads
        self.s = 4 if quick else 1  # quick: every side / 4
        self.rng = np.random.default_rng(0)
        self.selected = set(PEERS.values()) if peers is None else set(peers)
        self._peers: Dict[str, object] = {}

    def peer(self, name: str):
        """The peer's module, or None when it is not installed or not selected (`--peers`;
        torch stays importable while kornia, which runs on it, is selected)."""
        wanted = PEERS[name] in self.selected or (name == "torch" and "kornia" in self.selected)
        if not wanted:
            return None
        if name not in self._peers:
            self._peers[name] = _import_peer(name, self.threads)
        return self._peers[name]

    @functools.cached_property
    def gray8(self) -> np.ndarray:
        return self.rng.integers(0, 256, (4096 // self.s, 4096 // self.s), dtype=np.uint8)

    @functools.cached_property
    def gray32(self) -> np.ndarray:
        return self.rng.random((4096 // self.s, 4096 // self.s), dtype=np.float32)

    @functools.cached_property
    def rgb8(self) -> np.ndarray:
        return self.rng.integers(0, 256, (1080 // self.s, 1920 // self.s, 3), dtype=np.uint8)

    @functools.cached_property
    def hd8(self) -> np.ndarray:
        return self.rng.integers(0, 256, (1080 // self.s, 1920 // self.s), dtype=np.uint8)

    @functools.cached_property
    def fmap(self) -> np.ndarray:
        return self.rng.random((1, 64, 128 // self.s, 128 // self.s), dtype=np.float32)


# The peers' modules and the names the table and `--peers` give them.
PEERS = {"cv2": "opencv", "torch": "torch", "skimage": "scikit-image", "PIL.Image": "pillow", "kornia": "kornia"}

# What a new user runs to fill a missing peer's rows. torch is never in the extras: an
# unpinned torch brings several GB of CUDA packages.
INSTALL_HINTS = {
    "opencv": 'pip install "pyramidkit[bench]" (opencv-python-headless)',
    "scikit-image": 'pip install "pyramidkit[bench]"',
    "pillow": 'pip install "pyramidkit[bench]"',
    "torch": "pip install torch==2.13.0, the CPU-only build (the CPU wheel index of PyTorch's install page; "
             "a plain `pip install torch` takes a CUDA build of several GB)",
    "kornia": "pip install kornia, after torch's CPU build",
}


def _import_peer(name: str, threads: int):
    try:
        if name == "cv2":
            import cv2  # type: ignore
            cv2.setNumThreads(threads)
            return cv2
        if name == "torch":
            import torch  # type: ignore
            torch.set_num_threads(threads)
            return torch
        if name == "kornia":
            return __import__("kornia") if _import_peer("torch", threads) is not None else None
        if name == "skimage":
            import skimage.filters  # noqa: F401
            import skimage.measure  # noqa: F401
            import skimage.transform  # noqa: F401
            return skimage
        if name == "PIL.Image":
            from PIL import Image
            return Image
    except ImportError:
        return None
    raise ValueError(f"unknown peer {name!r}")


def size_name(a: np.ndarray) -> str:
    h, w = a.shape[:2]
    return f"{w}x{h}x{a.shape[2]}" if a.ndim == 3 else f"{h}x{w}"


def dtype_name(a: np.ndarray) -> str:
    return f"{size_name(a)} {a.dtype.name}"


# The benchmark's families, one module each (pyramidkit/bench/<family>.py), in table order.
FAMILIES = ("pyramid", "blur", "dog", "resample", "conv_transpose", "conv2d", "aspp", "pool")


def _family(name: str):
    import importlib
    return importlib.import_module(f"{__package__}.{name}")


OPS = [op for fam in FAMILIES for op in _family(fam).OPS]


def proc_memory() -> "tuple[int, int]":
    """This process' (RSS, peak RSS) in bytes, from /proc (VmHWM: unlike getrusage's
    ru_maxrss, not inherited from the parent across fork and exec; (0, 0) elsewhere)."""
    rss = hwm = 0
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) << 10
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) << 10
    except OSError:
        pass
    return rss, hwm


def run_child(module: str, *args: str) -> Dict:
    """``python -m module args``: the JSON its last stdout line prints, or {"error": its
    last stderr line}."""
    import subprocess
    p = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    if p.returncode != 0:
        return dict(error=(p.stderr.strip().splitlines() or ["failed"])[-1])
    return json.loads(p.stdout.strip().splitlines()[-1])


def _cpuinfo() -> Dict[str, str]:
    """The first processor's fields of /proc/cpuinfo ({} elsewhere)."""
    out: Dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                k, _, v = line.partition(":")
                out[k.strip()] = v.strip()
    except OSError:
        pass
    return out


def _caches() -> Dict[str, str]:
    """Per-core cache sizes from sysfs (L3: the size shared by the cores listed)."""
    import glob
    out = {}
    for d in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
        try:
            level, kind, size = (open(f"{d}/{n}").read().strip() for n in ("level", "type", "size"))
        except OSError:
            continue
        if size.endswith("K") and size[:-1].isdigit():   # sysfs gives KiB: "48K", "107520K"
            kib = int(size[:-1])
            size = f"{kib >> 10} MiB" if kib >= 1024 and kib % 1024 == 0 else f"{kib} KiB"
        out[f"L{level}{dict(Data='d', Instruction='i').get(kind, '')}"] = size
    return out


def _size_bytes(text: str) -> Optional[int]:
    """ "48 KiB", "2 MiB" -> bytes (None if unreadable)."""
    try:
        n, unit = text.split()
        return int(n) << {"KiB": 10, "MiB": 20, "GiB": 30}[unit]
    except (ValueError, KeyError):
        return None


def copy_level(nbytes: int, caches: Dict[str, str], threads: int) -> str:
    """Where a memcpy of nbytes (half read, half written) runs from once warm: each
    thread's share in its core's L2, the whole in the shared L3, or DRAM."""
    l2, l3 = _size_bytes(caches.get("L2", "")), _size_bytes(caches.get("L3", ""))
    if l2 and nbytes <= l2 * threads * 3 // 4:
        return "L2"
    if l3 and nbytes <= l3 * 3 // 4:
        return "L3"
    return "DRAM" if l3 else "?"


def cpu_model() -> str:
    """The CPU's model name (platform.processor() is empty on Linux)."""
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


def _versions() -> Dict[str, Optional[str]]:
    """The versions of pyramidkit, NumPy and every peer's distribution (None: not installed)."""
    from importlib import metadata
    import pyramidkit

    out: Dict[str, Optional[str]] = {"pyramidkit": pyramidkit.__version__}
    for label, dists in (("numpy", ["numpy"]), ("opencv", ["opencv-python-headless", "opencv-python",
                                                          "opencv-contrib-python-headless", "opencv-contrib-python"]),
                         ("torch", ["torch"]), ("scikit-image", ["scikit-image"]), ("pillow", ["pillow", "Pillow"]),
                         ("kornia", ["kornia"])):
        out[label] = None
        for d in dists:
            try:
                out[label] = metadata.version(d)
                break
            except metadata.PackageNotFoundError:
                continue
    return out


def machine_info() -> Dict:
    """Where a benchmark ran: CPU (vendor, family / model, cores, caches), the active ISA
    level, OS, Python and the libraries' versions."""
    info = _cpuinfo()
    return dict(processor=cpu_model(), vendor=info.get("vendor_id"), family=info.get("cpu family"),
                model=info.get("model"), cpus=os.cpu_count(), caches=_caches(),
                isa=config()["simd"]["active"], platform=platform.platform(), python=sys.version.split()[0],
                versions=_versions())


def machine_slug(m: Dict) -> str:
    """A file name for a machine's results: vendor, model name and family / model, e.g.
    "intel-xeon-processor-f6m167" (one model name covers several CPUs)."""
    import re
    name = re.sub(r"\((r|tm)\)|\bcpu\b|\bprocessor\b|@.*", "", (m.get("processor") or "cpu").lower())
    slug = "-".join(re.findall(r"[a-z0-9]+", name)) or "cpu"
    if m.get("family") and m.get("model"):
        slug += f"-f{m['family']}m{m['model']}"
    return slug


def describe_machine(m: Dict) -> str:
    """One line: CPU, family / model, cores, caches, ISA level."""
    fm = f" (family {m['family']} model {m['model']})" if m.get("family") else ""
    caches = ", ".join(f"{k} {v}" for k, v in (m.get("caches") or {}).items() if k != "L1i")
    return f"{m.get('processor')}{fm}, {m.get('cpus')} cpus, {caches}, {m.get('isa')}"


def peer_hints(missing: List[str]) -> List[str]:
    """One line per missing peer: how to install it."""
    return [f"note: {p} is not installed, its rows read (missing): {INSTALL_HINTS[p]}" for p in missing]


# A row whose per-round ratios spread wider than this share of their median is flagged.
NOISY_SPREAD = 0.2


def run(threads: Optional[int] = None, rounds: int = 7, target_s: float = 0.05, quick: bool = False,
        ops: Optional[List[str]] = None, progress: bool = True, peers: Optional[List[str]] = None) -> Dict:
    threads = threads or config()["num_threads"]
    if quick:
        rounds, target_s = min(rounds, 3), min(target_s, 0.02)
    bad = sorted(set(peers or []) - set(PEERS.values()))
    if bad:
        raise ValueError(f"peers: unknown {bad}; accepted: {', '.join(PEERS.values())}")
    ctx = Context(quick, threads, peers)
    rows = []
    work: List[Workload] = []
    with num_threads(threads):
        for fam in FAMILIES:
            mod = _family(fam)
            if not ops or any(op in ops for op in mod.OPS):  # peers are imported only for rows that run
                work += [w for w in mod.workloads(ctx) if not ops or w.op in ops]
    work = [w if w.peer_name in ctx.selected else w._replace(peer=None) for w in work]
    missing = list(dict.fromkeys(w.peer_name for w in work if w.peer is None and w.peer_name in ctx.selected))
    if progress:   # once, before the first row: how to fill the rows that will read "(missing)"
        for line in peer_hints(missing):
            print(line, flush=True)
    peak = fma_peak(threads) if any(w.flops for w in work) else None
    for k, w in enumerate(work, 1):
        if progress:
            print(f"[{k}/{len(work)}] {w.op} {w.name} ...", file=sys.stderr, flush=True)
        fns: Dict[str, Callable[[], object]] = {"pyramidkit": w.ours}
        if w.moved:
            fns["copy"] = _copy_fn(w.moved, threads)
        peer_ok = None
        with num_threads(threads):
            if w.peer is not None:
                fns["peer"] = w.peer
                peer_ok = w.check(w.ours(), w.peer())
            reps = {name: _calibrate(fn, target_s) for name, fn in fns.items()}
            times: Dict[str, List[float]] = {name: [] for name in fns}
            for _ in range(rounds):
                for name, fn in fns.items():
                    times[name].append(_block(fn, reps[name]))
        med = {name: statistics.median(t) for name, t in times.items()}
        row = dict(op=w.op, workload=w.name, threads=threads, bytes_moved=w.moved,
                   pyramidkit_ms=med["pyramidkit"] * 1e3, copy_ms=None, copy_fraction=None)
        if w.flops:
            row.update(gflops=w.flops / med["pyramidkit"] / 1e9, of_fma_peak=w.flops / med["pyramidkit"] / peak)
        if "copy" in times:
            row.update(copy_ms=med["copy"] * 1e3,
                       copy_fraction=statistics.median(c / p for c, p in zip(times["copy"], times["pyramidkit"])),
                       copy_level=copy_level(w.moved, _caches(), threads))
        if "peer" in times:
            ratios = [o / p for o, p in zip(times["peer"], times["pyramidkit"])]
            speedup = statistics.median(ratios)
            spread = (max(ratios) - min(ratios)) / speedup
            row.update(peer=w.peer_name, peer_ms=med["peer"] * 1e3, speedup=speedup, speedup_min=min(ratios),
                       speedup_max=max(ratios), spread=spread, noisy=spread > NOISY_SPREAD, matches_peer=peer_ok)
        else:
            why = "missing" if w.peer_name in ctx.selected else "not selected"
            row.update(peer=f"{w.peer_name} ({why})", peer_ms=None, speedup=None, matches_peer=None)
        rows.append(row)
    return dict(config=config(), machine=machine_info(), date=time.strftime("%Y-%m-%d"), missing_peers=missing,
                method=dict(rounds=rounds, block_seconds=target_s, statistic="median of per-round ratios",
                            spread="(max - min) / median of the per-round ratios", noisy_above=NOISY_SPREAD),
                fma_peak_gflops=None if peak is None else peak / 1e9, results=rows)


def format_table(res: Dict) -> str:
    head = f"{'op':16s} {'workload':44s} {'peer':16s} {'ours ms':>8s} {'peer ms':>8s} {'speedup':>8s} " \
           f"{'min-max':>12s} {'of copy bw':>10s}  check"
    lines = []
    if "machine" in res and "caches" in res["machine"]:
        lines.append(f"machine: {describe_machine(res['machine'])}")
    lines += [head, "-" * len(head)]
    for r in res["results"]:
        peer_ms = f"{r['peer_ms']:8.2f}" if r["peer_ms"] is not None else f"{'-':>8s}"
        speed = f"{r['speedup']:7.2f}x" if r["speedup"] is not None else f"{'-':>8s}"
        rng = f"{'-':>12s}"
        if r.get("speedup_min") is not None:   # the spread of the rounds, "!" above NOISY_SPREAD
            rng = f"{r['speedup_min']:.2f}-{r['speedup_max']:.2f}{'!' if r['noisy'] else ' '}".rjust(12)
        check = {True: "ok", False: "MISMATCH", None: "-"}[r["matches_peer"]]
        frac = f"{r['copy_fraction']:5.2f} {r.get('copy_level', ''):>4s}" if r["copy_fraction"] is not None \
            else f"{'-':>10s}"
        if r.get("gflops") is not None:  # compute-bound rows: the FLOP rate and its share of the FMA peak
            frac = f"{r['gflops']:4.0f}GF {r['of_fma_peak']:3.0%}"
        lines.append(f"{r['op']:16s} {r['workload']:44s} {r['peer']:16s} {r['pyramidkit_ms']:8.2f} {peer_ms} "
                     f"{speed} {rng} {frac}  {check}")
    c = res["config"]
    lines.append(f"threads={res['results'][0]['threads'] if res['results'] else '-'}  "
                 f"simd={c['simd']['active']}  'of copy bw' = memcpy time / our time for the same bytes, "
                 f"and the level that memcpy runs from (its footprint against L2 x threads and L3); "
                 + (f"'GF p%' = our GFLOP/s and its share of the FMA peak ({res['fma_peak_gflops']:.0f} "
                    f"GFLOP/s measured, float32); " if res.get("fma_peak_gflops") else "")
                 + f"'min-max': the "
                 f"per-round ratios, '!' where they spread over {NOISY_SPREAD:.0%} of the median")
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
    if not rows:
        return False
    # One horizontal bar per workload, grouped as the table is: speedup on a log axis (the
    # ratios span 1x to several hundred x), the fraction of copy bandwidth beside it.
    def short(text: str, n: int = 58) -> str:
        return text if len(text) <= n else text[:n - 3] + "..."

    labels = [short(f"{r['op']}: {r['workload']}") + f"  [{r['peer']}]" for r in rows]
    colours = {"opencv": "#3b7dd8", "torch": "#d8833b", "scikit-image": "#4fa35a", "pillow": "#8a5cc2",
               "kornia": "#c24f7a"}
    y = np.arange(len(rows))[::-1]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 1.2 + 0.3 * len(rows)), sharey=True,
                                 gridspec_kw={"width_ratios": [3, 1]})
    speed = [r["speedup"] for r in rows]
    err = [[v - r.get("speedup_min", v) for v, r in zip(speed, rows)],
           [r.get("speedup_max", v) - v for v, r in zip(speed, rows)]]   # the rounds' min to max
    ax.barh(y, speed, xerr=err, error_kw=dict(lw=0.6, capsize=1.5),
            color=[colours.get(r["peer"], "#777777") for r in rows])
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", lw=0.8)
    for yy, v, hi in zip(y, speed, err[1]):
        ax.text((v + hi) * 1.05, yy, f"{v:.2f}x", va="center", fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlabel("speedup over the peer (log scale; 1 = same speed)")
    ax.set_xlim(min(0.5, min(speed) / 1.5), max(speed) * 3)
    frac = [r["copy_fraction"] if r["copy_fraction"] is not None else 0.0 for r in rows]
    bx.barh(y, frac, color="#999999")
    bx.axvline(0.67, color="#d8573b", lw=0.8, ls="--")
    bx.set_xlim(0, 1.2)
    bx.set_xlabel("fraction of copy bandwidth\n(dashed: the 0.67 goal)")
    m = res.get("machine", {})
    where = describe_machine(m) if "caches" in m else m.get("processor", "")
    versions = ", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items() if v)
    fig.suptitle(f"pyramidkit against each peer, {rows[0]['threads']} threads, medians of rounds "
                 f"({res.get('date', '')})\n{where}; {m.get('platform', '')}\n{versions}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


SCALING_SIDES = (1024, 2048, 4096, 8192)


def scaling(sides=SCALING_SIDES, threads: Optional[List[int]] = None, rounds: int = 5, target_s: float = 0.05,
            progress: bool = True) -> List[Dict]:
    """Our time against image size and thread count: pyr_down and gaussian_blur (sigma 2) of
    square uint8 images, 1, 2 and all threads. Cost should grow linearly in pixels."""
    import pyramidkit as pk

    if threads is None:
        threads = sorted({1, 2, config()["cpus"]})
    rng = np.random.default_rng(1)
    rows = []
    for side in sides:
        img = rng.integers(0, 256, (side, side), dtype=np.uint8)
        small, blurred = np.empty(((side + 1) // 2, (side + 1) // 2), np.uint8), np.empty_like(img)
        for op, fn in (("pyr_down", lambda: pk.pyr_down(img, out=small)),
                       ("gaussian_blur", lambda: pk.gaussian_blur(img, 2.0, out=blurred))):
            for nt in threads:
                if progress:
                    print(f"[scaling] {op} {side}x{side} uint8, {nt} threads ...", file=sys.stderr, flush=True)
                with num_threads(nt):
                    reps = _calibrate(fn, target_s)
                    ms = statistics.median(_block(fn, reps) for _ in range(rounds)) * 1e3
                rows.append(dict(op=op, side=side, threads=nt, ms=ms, ns_per_pixel=ms * 1e6 / (side * side)))
    return rows


def format_scaling(rows: List[Dict]) -> str:
    lines = [f"{'op':<14} {'image':>11} {'threads':>7} {'ms':>9} {'ns/pixel':>9}", "-" * 54]
    for r in rows:
        lines.append(f"{r['op']:<14} {str(r['side']) + 'x' + str(r['side']):>11} {r['threads']:>7} {r['ms']:>9.2f} "
                     f"{r['ns_per_pixel']:>9.3f}")
    return "\n".join(lines)


def plot_scaling(rows: List[Dict], path: str) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart written (pip install matplotlib)", file=sys.stderr)
        return False
    ops = sorted({r["op"] for r in rows})
    fig, axes = plt.subplots(1, len(ops), figsize=(5 * len(ops), 4), squeeze=False)
    for ax, op in zip(axes[0], ops):
        for nt in sorted({r["threads"] for r in rows}):
            pts = [r for r in rows if r["op"] == op and r["threads"] == nt]
            ax.loglog([r["side"] ** 2 / 1e6 for r in pts], [r["ms"] for r in pts], "o-", label=f"{nt} threads")
        ax.set_xlabel("megapixels")
        ax.set_ylabel("ms (median)")
        ax.set_title(f"{op}, uint8: time against size")
        ax.grid(True, which="both", lw=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def compare_table(results: List[Dict]) -> str:
    """A Markdown table of several runs (one per CPU): per row, each run's speedup with its
    min-max; rows matched by op, workload and peer, in the first run's order."""
    def key(r):
        return (r["op"], r["workload"], r["peer"].split(" (")[0])

    cols = []
    for res in results:
        m = res.get("machine", {})
        fm = f" f{m['family']}m{m['model']}" if m.get("family") else ""
        l3 = (m.get("caches") or {}).get("L3")
        cols.append(res.get("label") or f"{m.get('processor', '?')}{fm}{', L3 ' + l3 if l3 else ''} "
                                           f"({res.get('date', '?')})")
    order: List = []
    by_run = []
    for res in results:
        rows = {key(r): r for r in res["results"]}
        by_run.append(rows)
        order += [k for k in rows if k not in order]
    lines = ["| op | workload | peer | " + " | ".join(cols) + " |",
             "|---|---|---|" + "---:|" * len(cols)]
    for k in order:
        cells = []
        for rows in by_run:
            r = rows.get(k)
            if r is None or r.get("speedup") is None:
                cells.append("-")
            elif r.get("speedup_min") is not None:
                flag = " (noisy)" if r["noisy"] else ""
                cells.append(f"{r['speedup']:.2f}x ({r['speedup_min']:.2f}-{r['speedup_max']:.2f}){flag}")
            else:
                cells.append(f"{r['speedup']:.2f}x")
            if r is not None and r.get("matches_peer") is False:
                cells[-1] += " MISMATCH"
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def save_json(res: Dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(res, f, indent=2)
