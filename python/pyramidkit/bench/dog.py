"""Benchmark workload of dog_pyramid against OpenCV SIFT's scale space written with cv2 calls."""
from __future__ import annotations

from typing import List

import numpy as np

from .harness import Context, Workload, all_close, dtype_name

OPS = ["dog_pyramid"]


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


def workloads(ctx: Context) -> List[Workload]:
    import pyramidkit as pk

    cv2, hd8, octaves = ctx.peer("cv2"), ctx.hd8, 4
    return [Workload("dog_pyramid", f"{dtype_name(hd8)}, {octaves} octaves x 3 scales",
                     lambda: pk.dog_pyramid(hd8, octaves=octaves).dogs,
                     (lambda: _cv_dog(cv2, hd8, octaves)) if cv2 is not None else None,
                     lambda a, b: all_close(a, b, 255.0, ulps=1e-4 / 2 ** -23), None)]
