"""Reference gaussian_blur: the kernel's arithmetic, operation for operation, in NumPy."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .._args import border_value, image_arg, parse_border, plane_view, prepare_out
from ..blur import blur_kernels
from .pyramid import border_index


def gaussian_blur(img: Any, sigma: Any, *, ksize: Any = None, border: Any = "reflect101",
                  layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Reference of :func:`pyramidkit.gaussian_blur`."""
    a, lay = image_arg(img, layout)
    ky, kx = blur_kernels(a.dtype, sigma, ksize)
    b, v = parse_border(border), border_value(value, a.dtype)
    c = np.float64 if a.dtype == np.float64 else np.float32
    x = plane_view(a, lay).astype(c)
    h, w = x.shape[2], x.shape[3]
    cval = c(np.array(v).astype(a.dtype))
    ry, rx = len(ky) // 2, len(kx) // 2
    # vertical: rows through the border map (-1: the constant), taps summed in order
    t = None
    for i, k in enumerate(ky.astype(c)):
        rows = [border_index(y + i - ry, h, b) for y in range(h)]
        r = np.stack([x[:, :, j] if j >= 0 else np.full_like(x[:, :, 0], cval) for j in rows], axis=2)
        t = k * r if t is None else t + k * r
    cconst = None
    for k in ky.astype(c):
        cconst = k * cval if cconst is None else cconst + k * cval
    cols = [border_index(u, w, b) for u in range(-rx, w + rx)]
    tp = np.stack([t[:, :, :, j] if j >= 0 else np.full_like(t[:, :, :, 0], cconst) for j in cols], axis=3)
    o = None
    for j, k in enumerate(kx.astype(c)):
        o = k * tp[:, :, :, j:j + w] if o is None else o + k * tp[:, :, :, j:j + w]
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        o = np.rint(np.clip(o, info.min, info.max))
    res = prepare_out(out, a.shape, a.dtype, a)
    plane_view(res, lay)[...] = o.astype(a.dtype)
    return res
