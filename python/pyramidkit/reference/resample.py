"""Reference resize / interpolate: the tap tables applied in NumPy, in the kernel's order."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .._args import as_array, check_dtype, image_arg, plane_view, prepare_out, with_spatial
from ..resample import RESIZE_DTYPES, interpolate_taps, resize_taps


def _apply(a: np.ndarray, lay: str, oh: int, ow: int, ty, tx, out: Any = None) -> np.ndarray:
    c = np.float64 if a.dtype == np.float64 else np.float32
    x = plane_view(a, lay).astype(c)  # (n0, n1, H, W, C)
    (iy, wy), (ix, wx) = ty, tx
    wy, wx = wy.astype(c), wx.astype(c)
    h = None
    for k in range(ix.shape[1]):  # horizontal: taps in order
        term = wx[:, k][None, None, None, :, None] * x[:, :, :, ix[:, k], :]
        h = term if h is None else h + term
    o = None
    for k in range(iy.shape[1]):  # vertical
        term = wy[:, k][None, None, :, None, None] * h[:, :, iy[:, k], :, :]
        o = term if o is None else o + term
    if a.dtype.kind in "ui":
        info = np.iinfo(a.dtype)
        o = np.clip(np.rint(o), info.min, info.max)
    res, _ = prepare_out(out, with_spatial(a.shape, lay, oh, ow), a.dtype, a)
    plane_view(res, lay)[...] = o.astype(a.dtype)
    return res


def resize(img: Any, size: Any = None, *, scale: Any = None, mode: str = "bilinear",
           coordinates: str = "half_pixel", antialias: bool = False, layout: Optional[str] = None,
           out: Optional[np.ndarray] = None) -> np.ndarray:
    """Reference of :func:`pyramidkit.resize`."""
    a, lay = image_arg(img, layout)
    (oh, ow), ty, tx = resize_taps(a, lay, size, scale, mode, coordinates, antialias)
    return _apply(a, lay, oh, ow, ty, tx, out)


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "bilinear",
                align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> np.ndarray:
    """Reference of :func:`pyramidkit.interpolate` (always returns a C-contiguous NCHW array)."""
    a = check_dtype(as_array(input, "input"), "input", RESIZE_DTYPES)
    (oh, ow), ty, tx = interpolate_taps(a, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    return _apply(np.ascontiguousarray(a), "NCHW", oh, ow, ty, tx)
