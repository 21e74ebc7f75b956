"""Reference resize / interpolate: each output sample's source taps and weights computed
from the coordinate rules, one sample at a time, then applied in NumPy in the kernel's
order (horizontal, then vertical, taps in order)."""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from .._args import (RESIZE_DTYPES, as_array, check_dtype, image_arg, interpolate_args, plane_view, prepare_out,
                     resize_args, spatial_shape, with_spatial)


def _nearest(n_in: int, n_out: int, mode: str, scale: Any, torch_rules: bool):
    """Source index of output o: floor((o + 0.5 if nearest-exact) * s), s = 1 / scale or
    n_in / n_out, computed in float32 under torch's rules (torch does so for every dtype)
    and float64 under OpenCV's; torch maps sizes n and 2n exactly (o, o // 2)."""
    f = np.float32 if torch_rules else np.float64
    s = f(1.0 / scale) if scale else f(n_in) / f(n_out)
    idx = []
    for o in range(n_out):
        if torch_rules and mode == "nearest" and n_out in (n_in, 2 * n_in):
            idx.append(o if n_out == n_in else o // 2)
            continue
        pos = f(o) + (f(0.5) if mode == "nearest-exact" else f(0))
        idx.append(min(int(math.floor(pos * s)), n_in - 1))
    return np.array(idx, np.int32).reshape(-1, 1), np.ones((n_out, 1))


def _triangle(n_in: int, n_out: int, ratio: float, ct: Any):
    """Antialiased bilinear (torch / Pillow): a triangle of half-width max(ratio, 1) around
    ratio (o + 1/2), over the source samples whose centres j + 1/2 it covers, normalised by
    the weights' sum taken in order (torch's _compute_weights_aa: distance times 1 / support)."""
    support = max(ratio, 1.0)
    inv = 1.0 / support
    k = 2 * math.ceil(support) + 1
    idx, w = np.zeros((n_out, k), np.int32), np.zeros((n_out, k))
    for o in range(n_out):
        centre = ratio * (o + 0.5)
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), n_in)
        t = [max(0.0, 1.0 - abs((j - centre + 0.5) * inv)) for j in range(lo, hi)]
        total = 0.0
        for v in t:
            total += v
        for i, v in enumerate(t):
            idx[o, i], w[o, i] = lo + i, v / total if total != 0 else v
        idx[o, len(t):] = lo
    return idx, w.astype(ct).astype(np.float64)


def axis_taps(n_in: int, n_out: int, mode: str, coordinates: str, scale: Any, antialias: bool, ct: Any,
              torch_rules: bool):
    """(indices, weights) of one axis, (n_out, taps) each."""
    if mode != "bilinear":
        return _nearest(n_in, n_out, mode, scale, torch_rules)
    ct = np.dtype(ct).type
    if torch_rules and n_out == n_in:  # torch copies an axis whose size does not change
        return np.arange(n_out, dtype=np.int32).reshape(-1, 1), np.ones((n_out, 1))
    if coordinates == "align_corners":
        ratio = ct(n_in - 1) / ct(n_out - 1) if n_out > 1 else ct(0)
    else:
        ratio = ct(1.0 / scale) if scale else ct(n_in) / ct(n_out)
    if antialias:
        return _triangle(n_in, n_out, float(ratio), ct)
    idx, w = np.zeros((n_out, 2), np.int32), np.zeros((n_out, 2))
    for o in range(n_out):
        # the source coordinate of output o, in the compute type
        if coordinates == "half_pixel":
            x = max(ratio * (ct(o) + ct(0.5)) - ct(0.5), ct(0))
        else:
            x = ratio * ct(o)
        i0 = min(int(math.floor(x)), n_in - 1)
        lam = min(max(x - ct(i0), ct(0)), ct(1))
        idx[o] = (i0, min(i0 + 1, n_in - 1))
        w[o] = (float(ct(1) - lam), float(lam))
    return idx, w


def resize_taps(a: np.ndarray, lay: str, size: Any, scale: Any, mode: Any, coordinates: Any, antialias: Any):
    r = resize_args(a, lay, size, scale, mode, coordinates, antialias)
    (h, w), (oh, ow), (sy, sx) = spatial_shape(a, lay), r.out_hw, r.scale
    ct = np.float64 if a.dtype == np.float64 else np.float32
    # OpenCV: coordinates in float64, weights kept in the compute type
    iy, wy = axis_taps(h, oh, r.mode, r.coordinates, sy, r.antialias, np.float64, False)
    ix, wx = axis_taps(w, ow, r.mode, r.coordinates, sx, r.antialias, np.float64, False)
    return (oh, ow), (iy, wy.astype(ct).astype(np.float64)), (ix, wx.astype(ct).astype(np.float64))


def interpolate_taps(a: np.ndarray, size: Any, scale_factor: Any, mode: Any, align_corners: Any,
                     recompute_scale_factor: Any, antialias: Any):
    r = interpolate_args(a, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    (h, w), (oh, ow), (sy, sx) = a.shape[2:], r.out_hw, r.scale
    ct = np.float64 if a.dtype == np.float64 else np.float32
    return ((oh, ow), axis_taps(h, oh, r.mode, r.coordinates, sy, r.antialias, ct, True),
            axis_taps(w, ow, r.mode, r.coordinates, sx, r.antialias, ct, True))


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
