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
from typing import Callable, Dict, List, NamedTuple, Optional

import numpy as np

from . import _core
from ._config import config, num_threads


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


class Workload(NamedTuple):
    op: str
    name: str
    ours: Callable[[], object]       # returns its result (reusing outputs where the API allows)
    peer: Optional[Callable[[], object]]
    check: Callable[[object, object], bool]  # ours' result vs the peer's, the op's tolerance
    moved: Optional[int]             # bytes read + written for the copy-bandwidth column
    peer_name: str = "opencv"


def _close(ours: np.ndarray, theirs: np.ndarray, scale: float, ulps: float = 8) -> bool:
    """Integers exact; floats within `ulps` ulps of the value range."""
    theirs = np.asarray(theirs).reshape(ours.shape)
    if ours.dtype.kind in "ui":
        return bool(np.array_equal(ours, theirs))
    return bool(np.abs(ours.astype(np.float64) - theirs).max() <= ulps * np.finfo(ours.dtype).eps * max(1.0, scale))


def _all_close(ours: List[np.ndarray], theirs: List[np.ndarray], scale: float, ulps: float = 8) -> bool:
    return len(ours) == len(theirs) and all(_close(a, b, scale, ulps) for a, b in zip(ours, theirs))


def _cv_gaussian(cv2, img: np.ndarray, levels: int) -> List[np.ndarray]:
    out = [img]
    for _ in range(levels - 1):
        out.append(cv2.pyrDown(out[-1]))
    return out


def _cv_laplacian_roundtrip(cv2, img: np.ndarray, levels: int) -> np.ndarray:
    g = _cv_gaussian(cv2, img, levels)
    bands = [g[i] - cv2.pyrUp(g[i + 1], dstsize=g[i].shape[1::-1]) for i in range(levels - 1)]
    x = g[-1]
    for band in reversed(bands):
        x = band + cv2.pyrUp(x, dstsize=band.shape[1::-1])
    return x


def _cv_dog(cv2, img: np.ndarray, octaves: int, scales: int = 3, sigma: float = 1.6) -> List[np.ndarray]:
    """OpenCV SIFT's buildGaussianPyramid + buildDoGPyramid, written with cv2 calls."""
    k = 2 ** (1 / scales)
    steps = [((sigma * k ** i) ** 2 - (sigma * k ** (i - 1)) ** 2) ** 0.5 for i in range(1, scales + 3)]
    g = [cv2.GaussianBlur(img.astype(np.float32), (0, 0), (sigma ** 2 - 0.25) ** 0.5)]
    dogs = []
    for o in range(octaves):
        if o:
            top = g[scales]
            g = [cv2.resize(top, (top.shape[1] // 2, top.shape[0] // 2), interpolation=cv2.INTER_NEAREST)]
        for s in steps:
            g.append(cv2.GaussianBlur(g[-1], (0, 0), s))
        dogs.append(np.stack([cv2.subtract(g[i + 1], g[i]) for i in range(scales + 2)]))
    return dogs


def _load_torch(threads: int):
    try:
        import torch  # type: ignore
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def _workloads(quick: bool, cv2, torch=None) -> List[Workload]:
    import pyramidkit as pk

    rng = np.random.default_rng(0)
    s = 4 if quick else 1
    gray8 = rng.integers(0, 256, (4096 // s, 4096 // s), dtype=np.uint8)
    gray32 = rng.random((4096 // s, 4096 // s), dtype=np.float32)
    rgb8 = rng.integers(0, 256, (1080 // s, 1920 // s, 3), dtype=np.uint8)
    hd8 = rng.integers(0, 256, (1080 // s, 1920 // s), dtype=np.uint8)
    up8 = rng.integers(0, 256, (2048 // s, 2048 // s), dtype=np.uint8)
    up32 = rng.random((2048 // s, 2048 // s), dtype=np.float32)

    def size(a: np.ndarray) -> str:
        h, w = a.shape[:2]
        return f"{w}x{h}x{a.shape[2]}" if a.ndim == 3 else f"{h}x{w}"

    def dt(a: np.ndarray) -> str:
        return f"{size(a)} {a.dtype.name}"

    work = []
    for op, img in [("pyr_down", gray8), ("pyr_down", gray32), ("pyr_down", rgb8), ("pyr_up", up8), ("pyr_up", up32)]:
        ours_fn = getattr(pk, op)
        out = ours_fn(img)
        peer = None
        if cv2 is not None:
            cv_fn, cv_out = (cv2.pyrDown if op == "pyr_down" else cv2.pyrUp), np.empty_like(out)
            peer = (lambda f, a, o: lambda: f(a, dst=o))(cv_fn, img, cv_out)
        work.append(Workload(op, dt(img), (lambda f, a, o: lambda: f(a, out=o))(ours_fn, img, out), peer,
                             lambda a, b, img=img: _close(a, b, float(np.abs(img).max())), img.nbytes + out.nbytes))

    levels = 5
    pyr_bytes = sum(lv.nbytes for lv in pk.gaussian_pyramid(gray8, levels))
    work.append(Workload("gaussian_pyramid", f"{dt(gray8)}, {levels} levels",
                         lambda: pk.gaussian_pyramid(gray8, levels),
                         (lambda: _cv_gaussian(cv2, gray8, levels)) if cv2 is not None else None,
                         lambda a, b: _all_close(a, b, 255.0), pyr_bytes))
    work.append(Workload("laplacian", f"{dt(gray32)}, {levels} levels, build+reconstruct",
                         lambda: pk.reconstruct_laplacian(pk.laplacian_pyramid(gray32, levels)),
                         (lambda: _cv_laplacian_roundtrip(cv2, gray32, levels)) if cv2 is not None else None,
                         lambda a, b: _close(a, b, 1.0, ulps=64), None))
    for img in (gray32, rgb8):
        out = np.empty_like(img)
        cv_out = np.empty_like(img)
        work.append(Workload("gaussian_blur", f"{dt(img)}, sigma 2",
                             (lambda a, o: lambda: pk.gaussian_blur(a, 2.0, out=o))(img, out),
                             (lambda a, o: lambda: cv2.GaussianBlur(a, (0, 0), 2.0, dst=o))(img, cv_out)
                             if cv2 is not None else None,
                             # uint8: OpenCV's fixed point, bit-exact; floats: 1e-5 of the range
                             lambda a, b, img=img: _close(a, b, float(np.abs(img).max()), ulps=1e-5 / 2 ** -23),
                             2 * img.nbytes))
    octaves = 4
    work.append(Workload("dog_pyramid", f"{dt(hd8)}, {octaves} octaves x 3 scales",
                         lambda: pk.dog_pyramid(hd8, octaves=octaves).dogs,
                         (lambda: _cv_dog(cv2, hd8, octaves)) if cv2 is not None else None,
                         lambda a, b: _all_close(a, b, 255.0, ulps=1e-4 / 2 ** -23), None))
    out4k = np.empty((2 * rgb8.shape[0], 2 * rgb8.shape[1], 3), np.uint8)
    cv_out4k = np.empty_like(out4k)
    work.append(Workload("resize", f"{dt(rgb8)} -> x2 bilinear",
                         lambda: pk.resize(rgb8, out4k.shape[:2], out=out4k),
                         (lambda: cv2.resize(rgb8, out4k.shape[1::-1], dst=cv_out4k)) if cv2 is not None else None,
                         lambda a, b: bool(np.abs(a.astype(np.int16) - b).max() <= 1), rgb8.nbytes + out4k.nbytes))
    fmap = rng.random((1, 64, 128 // s, 128 // s), dtype=np.float32)
    tmap = torch.from_numpy(fmap) if torch is not None else None
    for memory, t in [("NCHW", tmap), ("channels-last", tmap.contiguous(memory_format=torch.channels_last)
                                       if tmap is not None else None)]:
        x = fmap if memory == "NCHW" else (t.numpy() if t is not None else fmap)
        work.append(Workload("interpolate", f"{'x'.join(map(str, fmap.shape))} float32 {memory} x2 bilinear",
                             (lambda x=x: pk.interpolate(x, scale_factor=2)),
                             (lambda t=t: torch.nn.functional.interpolate(t, scale_factor=2, mode="bilinear"))
                             if t is not None else None,
                             lambda a, b: _close(a, b.numpy(), 1.0, ulps=1e-5 / 2 ** -23), None, peer_name="torch"))
    for name, (n, cin, side, cout_g, groups) in [("depthwise", (1, 21, 64, 1, 21)),
                                                  ("full", (1, 256 // s, 64, 128 // s, 1))]:
        x = rng.standard_normal((n, cin, side, side)).astype(np.float32)
        wt = rng.standard_normal((cin, cout_g, 4, 4)).astype(np.float32)
        tx, tw = (torch.from_numpy(x), torch.from_numpy(wt)) if torch is not None else (None, None)
        # tolerance: float32 rounding of sums of cin_g * 4 products of unit normals
        scale = float(np.abs(x).max() * np.abs(wt).sum(axis=(0, 2, 3)).max())
        work.append(Workload("conv_transpose2d", f"{name} {'x'.join(map(str, x.shape))} -> {cout_g * groups} ch, "
                             "k4 s2 p1 float32",
                             (lambda x=x, wt=wt, g=groups: pk.conv_transpose2d(x, wt, stride=2, padding=1, groups=g)),
                             (lambda tx=tx, tw=tw, g=groups: torch.nn.functional.conv_transpose2d(
                                 tx, tw, stride=2, padding=1, groups=g)) if torch is not None else None,
                             lambda a, b, scale=scale: _close(a, b.numpy(), scale, ulps=16), None, peer_name="torch"))
    work += _pool_workloads(pk, rng, quick, torch)
    work += _other_peer_workloads(pk, rng, quick, gray32, rgb8)
    work += _kornia_workloads(pk, rng, quick, gray32, torch)
    return work


def _kornia_workloads(pk, rng, quick: bool, gray32: np.ndarray, torch) -> List[Workload]:
    """kornia (torch tensors, torch's threads) where it computes the same thing: its
    gaussian_blur2d with OpenCV's float kernel size and reflect-101 border, and its resize
    (torch's interpolate). Not timed: kornia's pyrdown / pyrup (blur plus a bilinear
    resize: another operation than cv2.pyrDown / pyrUp). kornia needs torch, so it is
    never in the extras: install it yourself to see these rows."""
    kornia = None
    if torch is not None:
        try:
            import kornia  # type: ignore
        except ImportError:
            kornia = None
    tgray = torch.from_numpy(gray32)[None, None] if kornia is not None else None
    ksize = int(round(2.0 * 4 * 2 + 1)) | 1  # OpenCV's rule for float images, sigma 2
    blur_out = np.empty_like(gray32)
    fmap = rng.random((1, 64, 128 // (4 if quick else 1), 128 // (4 if quick else 1)), dtype=np.float32)
    tmap = torch.from_numpy(fmap) if kornia is not None else None
    size = (2 * fmap.shape[2], 2 * fmap.shape[3])
    return [
        Workload("gaussian_blur", f"{'x'.join(map(str, gray32.shape))} float32, sigma 2",
                 lambda: pk.gaussian_blur(gray32, 2.0, out=blur_out),
                 (lambda: kornia.filters.gaussian_blur2d(tgray, (ksize, ksize), (2.0, 2.0), border_type="reflect"))
                 if kornia is not None else None,
                 lambda a, b: _close(a, b.numpy(), 1.0, ulps=1e-5 / 2 ** -23), 2 * gray32.nbytes, peer_name="kornia"),
        Workload("interpolate", f"{'x'.join(map(str, fmap.shape))} float32 NCHW x2 bilinear",
                 lambda: pk.interpolate(fmap, size=size),
                 (lambda: kornia.geometry.transform.resize(tmap, size, interpolation="bilinear", align_corners=False))
                 if kornia is not None else None,
                 lambda a, b: _close(a, b.numpy(), 1.0, ulps=1e-5 / 2 ** -23), None, peer_name="kornia"),
    ]


def _other_peer_workloads(pk, rng, quick: bool, gray32: np.ndarray, rgb8: np.ndarray) -> List[Workload]:
    """scikit-image and Pillow where they compute the same thing (their ops run on one
    thread). Not timed: skimage's pyramid_reduce / pyramid_expand (a sigma-2/3 Gaussian and
    a spline resize: another operation than pyrDown / pyrUp) and Pillow's GaussianBlur (box
    filter approximations)."""
    try:
        import skimage.filters
        import skimage.measure
        import skimage.transform
        have_sk = True
    except ImportError:
        have_sk = False
    try:
        from PIL import Image
    except ImportError:
        Image = None
    blur_out = np.empty_like(gray32)
    big = (2 * rgb8.shape[0], 2 * rgb8.shape[1])
    out4k = np.empty(big + (3,), np.uint8)
    pil_img = Image.fromarray(rgb8) if Image is not None else None
    fm = rng.standard_normal((2, 64, 64, 64) if quick else (8, 64, 128, 128)).astype(np.float32)
    within1 = lambda a, b: bool(np.abs(a.astype(np.int16) - np.asarray(b).astype(np.int16)).max() <= 1)  # noqa: E731
    return [
        Workload("gaussian_blur", f"{'x'.join(map(str, gray32.shape))} float32, sigma 2, edge border",
                 lambda: pk.gaussian_blur(gray32, 2.0, border="replicate", out=blur_out),
                 (lambda: skimage.filters.gaussian(gray32, sigma=2.0, mode="nearest", truncate=4.0,
                                                   preserve_range=True)) if have_sk else None,
                 lambda a, b: _close(a, b, 1.0, ulps=1e-5 / 2 ** -23), 2 * gray32.nbytes, peer_name="scikit-image"),
        Workload("resize", f"{rgb8.shape[1]}x{rgb8.shape[0]}x3 uint8 -> x2 bilinear",
                 lambda: pk.resize(rgb8, big, out=out4k),
                 (lambda: pil_img.resize(big[::-1], Image.BILINEAR)) if Image is not None else None,
                 lambda a, b: within1(a, np.asarray(b)), rgb8.nbytes + out4k.nbytes, peer_name="pillow"),
        Workload("resize", f"{rgb8.shape[1]}x{rgb8.shape[0]}x3 uint8 -> x2 bilinear",
                 lambda: pk.resize(rgb8, big, out=out4k),
                 (lambda: skimage.transform.resize(rgb8, big, order=1, mode="edge", anti_aliasing=False,
                                                   preserve_range=True)) if have_sk else None,
                 lambda a, b: within1(a, np.rint(b)), rgb8.nbytes + out4k.nbytes, peer_name="scikit-image"),
        Workload("max_pool2d", f"{'x'.join(map(str, fm.shape))} float32 2x2 (block_reduce max)",
                 lambda: pk.max_pool2d(fm, 2),
                 (lambda: skimage.measure.block_reduce(fm, (1, 1, 2, 2), np.max)) if have_sk else None,
                 lambda a, b: bool(np.array_equal(a, b)), fm.nbytes * 5 // 4, peer_name="scikit-image"),
        Workload("avg_pool2d", f"{'x'.join(map(str, fm.shape))} float32 2x2 (block_reduce mean)",
                 lambda: pk.avg_pool2d(fm, 2),
                 (lambda: skimage.measure.block_reduce(fm, (1, 1, 2, 2), np.mean)) if have_sk else None,
                 lambda a, b: bool(np.allclose(a, b, rtol=2e-6, atol=2e-6)), fm.nbytes * 5 // 4,
                 peer_name="scikit-image"),
    ]


def _pool_workloads(pk, rng, quick: bool, torch) -> List[Workload]:
    """Pooling against torch.nn.functional: both allocate their results, except unpooling and
    PSP, where both fill a preallocated output (torch's out= variants)."""
    F = torch.nn.functional if torch is not None else None
    fm = rng.standard_normal((2, 64, 128, 128) if quick else (8, 64, 256, 256)).astype(np.float32)
    tfm = torch.from_numpy(fm) if torch is not None else None
    shape = "x".join(map(str, fm.shape))

    def same(a, b) -> bool:  # maxima are exact, indices too
        if isinstance(a, tuple):
            return all(np.array_equal(u, v.numpy()) for u, v in zip(a, b))
        return bool(np.array_equal(a, b.numpy()))

    work = []
    for k, st, pad in ((2, 2, 0), (3, 2, 1)):
        for ind in (False, True):
            out_bytes = fm.nbytes // 4 * (3 if ind else 1)  # values (+ int64 indices)
            work.append(Workload("max_pool2d", f"{shape} float32 {k}x{k}/s{st}/p{pad}{' +indices' if ind else ''}",
                                 (lambda k=k, st=st, pad=pad, ind=ind: pk.max_pool2d(fm, k, st, pad,
                                                                                     return_indices=ind)),
                                 (lambda k=k, st=st, pad=pad, ind=ind: F.max_pool2d(tfm, k, st, pad,
                                                                                    return_indices=ind))
                                 if F is not None else None, same, fm.nbytes + out_bytes, peer_name="torch"))
    work.append(Workload("avg_pool2d", f"{shape} float32 2x2", lambda: pk.avg_pool2d(fm, 2),
                         (lambda: F.avg_pool2d(tfm, 2)) if F is not None else None,
                         lambda a, b: bool(np.allclose(a, b.numpy(), rtol=2e-6, atol=2e-6)), fm.nbytes * 5 // 4,
                         peer_name="torch"))
    pooled, idx = pk.max_pool2d(fm, 2, return_indices=True)
    un_out = np.empty_like(fm)
    if torch is not None:
        tp, ti, tun = torch.from_numpy(pooled), torch.from_numpy(idx), torch.empty(fm.shape)
    work.append(Workload("max_unpool2d", f"{shape} float32 2x2, into a preallocated output",
                         lambda: pk.max_unpool2d(pooled, idx, 2, out=un_out),
                         (lambda: torch._C._nn.max_unpool2d(tp, ti, fm.shape[2:], out=tun)) if F is not None else None,
                         lambda a, b: bool(np.array_equal(a, b.numpy())), pooled.nbytes * 3 + fm.nbytes,
                         peer_name="torch"))
    psp_in = rng.standard_normal((1, 512, 64, 64)).astype(np.float32)
    psp_out = np.empty((1, 512 * 5, 64, 64), np.float32)
    if torch is not None:
        tpsp, tpsp_out = torch.from_numpy(psp_in), torch.empty(psp_out.shape)

    def torch_psp():
        parts = [tpsp] + [F.interpolate(F.adaptive_avg_pool2d(tpsp, b), size=(64, 64), mode="bilinear",
                                        align_corners=False) for b in (1, 2, 3, 6)]
        return torch.cat(parts, 1, out=tpsp_out)

    spp_in = rng.standard_normal((2, 256, 13, 13) if quick else (8, 512, 32, 32)).astype(np.float32)
    tspp = torch.from_numpy(spp_in) if torch is not None else None

    def torch_spp():
        return torch.cat([F.adaptive_max_pool2d(tspp, lv).flatten(1) for lv in (1, 2, 4)], 1)

    work.append(Workload("spatial_pyramid_pool", f"{'x'.join(map(str, spp_in.shape))} float32 levels 1,2,4 max "
                         "(adaptive_max_pool2d + flatten + cat)", lambda: pk.spatial_pyramid_pool(spp_in),
                         torch_spp if F is not None else None, lambda a, b: bool(np.array_equal(a, b.numpy())), None,
                         peer_name="torch"))
    work.append(Workload("pyramid_pool", "1x512x64x64 float32 bins 1,2,3,6 (adaptive_avg_pool2d + interpolate + "
                         "cat), into a preallocated output", lambda: pk.pyramid_pool(psp_in, out=psp_out),
                         torch_psp if F is not None else None,
                         lambda a, b: bool(np.allclose(a, b.numpy(), rtol=1e-5, atol=1e-5)), None, peer_name="torch"))
    return work


OPS = ["pyr_down", "pyr_up", "gaussian_pyramid", "laplacian", "gaussian_blur", "dog_pyramid", "resize",
       "interpolate", "conv_transpose2d", "max_pool2d", "avg_pool2d", "max_unpool2d", "spatial_pyramid_pool",
       "pyramid_pool"]
TORCH_OPS = ("interpolate", "conv_transpose2d", "max_pool2d", "avg_pool2d", "max_unpool2d", "spatial_pyramid_pool",
             "pyramid_pool")


def run(threads: Optional[int] = None, rounds: int = 7, target_s: float = 0.05, quick: bool = False,
        ops: Optional[List[str]] = None, progress: bool = True) -> Dict:
    threads = threads or config()["num_threads"]
    if quick:
        rounds, target_s = min(rounds, 3), min(target_s, 0.02)
    cv2 = _load_cv2(threads)
    torch = _load_torch(threads) if not ops or any(op in ops for op in TORCH_OPS) else None
    rows = []
    with num_threads(threads):
        work = [w for w in _workloads(quick, cv2, torch) if not ops or w.op in ops]
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
        if "copy" in times:
            row.update(copy_ms=med["copy"] * 1e3,
                       copy_fraction=statistics.median(c / p for c, p in zip(times["copy"], times["pyramidkit"])))
        if "peer" in times:
            row.update(peer=w.peer_name, peer_ms=med["peer"] * 1e3,
                       speedup=statistics.median(o / p for o, p in zip(times["peer"], times["pyramidkit"])),
                       matches_peer=peer_ok)
        else:
            row.update(peer=f"{w.peer_name} (missing)", peer_ms=None, speedup=None, matches_peer=None)
        rows.append(row)
    return dict(config=config(), machine=dict(platform=platform.platform(), processor=platform.processor(),
                                              python=sys.version.split()[0]),
                method=dict(rounds=rounds, block_seconds=target_s, statistic="median of per-round ratios"),
                results=rows)


def format_table(res: Dict) -> str:
    head = f"{'op':16s} {'workload':44s} {'peer':16s} {'ours ms':>8s} {'peer ms':>8s} {'speedup':>8s} " \
           f"{'of copy bw':>10s}  check"
    lines = [head, "-" * len(head)]
    for r in res["results"]:
        peer_ms = f"{r['peer_ms']:8.2f}" if r["peer_ms"] is not None else f"{'-':>8s}"
        speed = f"{r['speedup']:7.2f}x" if r["speedup"] is not None else f"{'-':>8s}"
        check = {True: "ok", False: "MISMATCH", None: "-"}[r["matches_peer"]]
        frac = f"{r['copy_fraction']:10.2f}" if r["copy_fraction"] is not None else f"{'-':>10s}"
        lines.append(f"{r['op']:16s} {r['workload']:44s} {r['peer']:16s} {r['pyramidkit_ms']:8.2f} {peer_ms} "
                     f"{speed} {frac}  {check}")
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
    ax.barh(y, speed, color=[colours.get(r["peer"], "#777777") for r in rows])
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", lw=0.8)
    for yy, v in zip(y, speed):
        ax.text(v * 1.05, yy, f"{v:.2f}x", va="center", fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlabel("speedup over the peer (log scale; 1 = same speed)")
    ax.set_xlim(min(0.5, min(speed) / 1.5), max(speed) * 3)
    frac = [r["copy_fraction"] if r["copy_fraction"] is not None else 0.0 for r in rows]
    bx.barh(y, frac, color="#999999")
    bx.axvline(0.67, color="#d8573b", lw=0.8, ls="--")
    bx.set_xlim(0, 1.2)
    bx.set_xlabel("fraction of copy bandwidth\n(dashed: the 0.67 goal)")
    fig.suptitle(f"pyramidkit against each peer, {rows[0]['threads']} threads, medians of rounds", fontsize=10)
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


def save_json(res: Dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(res, f, indent=2)
