"""Benchmark workloads of the pyramid family against OpenCV: pyr_down, pyr_up, a whole
Gaussian pyramid, and a Laplacian pyramid built and reconstructed."""
from __future__ import annotations

from typing import List

import numpy as np

from .harness import Context, Workload, all_close, close, dtype_name

OPS = ["pyr_down", "pyr_up", "gaussian_pyramid", "laplacian"]


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


def workloads(ctx: Context) -> List[Workload]:
    import pyramidkit as pk

    cv2, s, rng = ctx.peer("cv2"), ctx.s, ctx.rng
    up8 = rng.integers(0, 256, (2048 // s, 2048 // s), dtype=np.uint8)
    up32 = rng.random((2048 // s, 2048 // s), dtype=np.float32)
    work = []
    for op, img in [("pyr_down", ctx.gray8), ("pyr_down", ctx.gray32), ("pyr_down", ctx.rgb8), ("pyr_up", up8),
                    ("pyr_up", up32)]:
        ours_fn = getattr(pk, op)
        out = ours_fn(img)
        peer = None
        if cv2 is not None:
            cv_fn, cv_out = (cv2.pyrDown if op == "pyr_down" else cv2.pyrUp), np.empty_like(out)
            peer = (lambda f, a, o: lambda: f(a, dst=o))(cv_fn, img, cv_out)
        work.append(Workload(op, dtype_name(img), (lambda f, a, o: lambda: f(a, out=o))(ours_fn, img, out), peer,
                             lambda a, b, img=img: close(a, b, float(np.abs(img).max())), img.nbytes + out.nbytes))
    levels, gray8, gray32 = 5, ctx.gray8, ctx.gray32
    pyr_bytes = sum(lv.nbytes for lv in pk.gaussian_pyramid(gray8, levels))
    work.append(Workload("gaussian_pyramid", f"{dtype_name(gray8)}, {levels} levels",
                         lambda: pk.gaussian_pyramid(gray8, levels),
                         (lambda: _cv_gaussian(cv2, gray8, levels)) if cv2 is not None else None,
                         lambda a, b: all_close(a, b, 255.0), pyr_bytes))
    work.append(Workload("laplacian", f"{dtype_name(gray32)}, {levels} levels, build+reconstruct",
                         lambda: pk.reconstruct_laplacian(pk.laplacian_pyramid(gray32, levels)),
                         (lambda: _cv_laplacian_roundtrip(cv2, gray32, levels)) if cv2 is not None else None,
                         lambda a, b: close(a, b, 1.0, ulps=64), None))
    return work
