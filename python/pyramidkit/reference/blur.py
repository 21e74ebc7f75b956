"""Reference gaussian_blur: the kernel's arithmetic, operation for operation, in NumPy."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .._args import border_value, image_arg, parse_border, plane_view, prepare_out
from ..blur import blur_kernels
from .pyramid import border_index


def _taps(k: np.ndarray, take: Any) -> Any:
    """sum_i k[i] * take(i - r): pairs from the outside in, then the centre (blur.cpp)."""
    r = len(k) // 2
    s = None
    for i in range(r, 0, -1):
        term = k[r + i] * (take(-i) + take(i))
        s = term if s is None else s + term
    return k[r] * take(0) if s is None else s + k[r] * take(0)


def gaussian_blur(img: Any, sigma: Any, *, ksize: Any = None, border: Any = "reflect101",
                  layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Reference of :func:`pyramidkit.gaussian_blur`."""
    a, lay = image_arg(img, layout)
    ky, kx, shift = blur_kernels(a.dtype, sigma, ksize)
    b, v = parse_border(border), border_value(value, a.dtype)
    # fixed point: exact integers; else float32 (float64 for float64 images)
    c = np.int64 if shift else np.float64 if a.dtype == np.float64 else np.float32
    x = plane_view(a, lay).astype(c)
    ky, kx = ky.astype(c), kx.astype(c)
    h, w = x.shape[2], x.shape[3]
    cval = np.array(v).astype(a.dtype).astype(c)
    const = np.full_like(x[:, :, 0], cval)

    def row(y: np.ndarray) -> np.ndarray:  # rows y (virtual) through the border, stacked on axis 2
        return np.stack([x[:, :, j] if j >= 0 else const for j in (border_index(int(u), h, b) for u in y)], axis=2)

    ys = np.arange(h)
    t = _taps(ky, lambda d: row(ys + d))
    cconst = _taps(ky, lambda d: cval)
    rx = len(kx) // 2
    cols = [border_index(u, w, b) for u in range(-rx, w + rx)]
    tp = np.stack([t[:, :, :, j] if j >= 0 else np.full_like(t[:, :, :, 0], cconst) for j in cols], axis=3)
    o = _taps(kx, lambda d: tp[:, :, :, rx + d:rx + d + w])
    if shift:
        o = (o + (1 << (shift - 1))) >> shift
    elif np.issubdtype(a.dtype, np.integer):
        o = np.rint(o)
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        o = np.clip(o, info.min, info.max)
    res, _ = prepare_out(out, a.shape, a.dtype, a)
    plane_view(res, lay)[...] = o.astype(a.dtype)
    return res
