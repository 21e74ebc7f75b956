"""Reference pooling: the window tables walked tap by tap in NumPy, in the kernel's order
(maximum: row-major taps; average: each window column summed over the window's rows,
then the columns in order; float32, float64 for float64 data), and the SPP / PSP modules
composed from reference ops with ordinary temporaries."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from .._args import as_array, int_pair, plane_view, spatial_shape, with_spatial
from ..pool import (AVG_DTYPES, MAX_DTYPES, PoolPlan, _mode, _pool_levels, adaptive_plan, bin_weights,
                    map_arg, pool_plan, unpool_output_size)
from .resample import interpolate

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "max_unpool2d",
           "spatial_pyramid_pool", "pyramid_pool"]


def _apply(plan: PoolPlan, return_indices: bool = False) -> Any:
    a, lay = plan.a, plan.layout
    ct = np.float64 if a.dtype == np.float64 else np.float32
    x = plane_view(a, lay).astype(ct)  # (n0, n1, H, W, C)
    W = x.shape[3]
    ay, ax = plan.ay, plan.ax
    oh, ow = plan.out_hw
    m = np.full(x.shape[:2] + (oh, ow, x.shape[4]), 0 if plan.avg else -np.inf, ct)
    idx = np.broadcast_to((ay.start.astype(np.int64)[:, None] * W + ax.start[None, :])[None, None, :, :, None],
                          m.shape).copy()
    rows_of = [np.minimum(ay.start.astype(np.int64) + jy * ay.dil, x.shape[2] - 1) for jy in range(int(ay.count.max()))]
    cols_of = [np.minimum(ax.start.astype(np.int64) + jx * ax.dil, W - 1) for jx in range(int(ax.count.max()))]
    if plan.avg:  # the window's rows first (per input column), then its columns
        for jx, cols in enumerate(cols_of):
            col = None
            for jy, rows in enumerate(rows_of):
                v = x[:, :, rows][:, :, :, cols]
                col = v if col is None else np.where((jy < ay.count)[None, None, :, None, None], col + v, col)
            m = np.where((jx < ax.count)[None, None, None, :, None], m + col, m)
    else:  # taps in row-major order
        for jy, rows in enumerate(rows_of):
            for jx, cols in enumerate(cols_of):
                valid = ((jy < ay.count)[:, None] & (jx < ax.count)[None, :])[None, None, :, :, None]
                v = x[:, :, rows][:, :, :, cols]
                take = valid & ((v > m) | np.isnan(v))
                m = np.where(take, v, m)
                idx = np.where(take, (rows[:, None] * W + cols[None, :])[None, None, :, :, None], idx)
    if plan.avg:
        if plan.divisor > 0:
            m = m / ct(plan.divisor)
        else:  # the int64 product converted once, as the kernel (and torch) do
            m = m / (ay.factor[:, None] * ax.factor[None, :]).astype(ct)[None, None, :, :, None]
    out = np.empty(with_spatial(a.shape, lay, oh, ow), a.dtype)
    plane_view(out, lay)[...] = m.astype(a.dtype)
    if not return_indices:
        return out
    ind = np.empty(out.shape, np.int64)
    plane_view(ind, lay)[...] = idx
    return out, ind


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False, *, layout: Optional[str] = None) -> Any:
    return _apply(pool_plan(input, kernel_size, stride, padding, dilation, ceil_mode, False, layout=layout),
                  bool(return_indices))


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Optional[int] = None, *,
               layout: Optional[str] = None) -> np.ndarray:
    return _apply(pool_plan(input, kernel_size, stride, padding, 1, ceil_mode, True, count_include_pad,
                            divisor_override, layout))


def adaptive_avg_pool2d(input: Any, output_size: Any, *, layout: Optional[str] = None) -> np.ndarray:
    return _apply(adaptive_plan(input, output_size, True, layout))


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False, *,
                        layout: Optional[str] = None) -> Any:
    return _apply(adaptive_plan(input, output_size, False, layout), bool(return_indices))


def max_unpool2d(input: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None, *, layout: Optional[str] = None) -> np.ndarray:
    a, lay = map_arg(input, layout, MAX_DTYPES)
    k = as_array(indices, "indices").astype(np.int64)
    if k.shape != a.shape:
        raise ValueError(f"indices: shape {k.shape} differs from the input's {a.shape}")
    ks = int_pair(kernel_size, "kernel_size", positive=True)
    st = ks if stride is None else int_pair(stride, "stride", positive=True)
    oh, ow = unpool_output_size(spatial_shape(a, lay), ks, st, int_pair(padding, "padding"), output_size)
    out = np.zeros(with_spatial(a.shape, lay, oh, ow), a.dtype)
    src, ind, dst = plane_view(a, lay), plane_view(k, lay), plane_view(out, lay)
    if ((ind < 0) | (ind >= oh * ow)).any():
        raise ValueError(f"indices: some indices lie outside the output planes of size {oh}x{ow}")
    n0, n1, h, w, c = src.shape
    flat = dst.reshape(n0, n1, oh * ow, c)
    for i in range(h * w):  # in order: the last of equal indices wins
        y, xx = divmod(i, w)
        for ch in range(c):
            flat[np.arange(n0)[:, None], np.arange(n1)[None, :], ind[:, :, y, xx, ch], ch] = src[:, :, y, xx, ch]
    return out


def spatial_pyramid_pool(input: Any, levels: Sequence[int] = (1, 2, 4), mode: str = "max", *,
                         layout: Optional[str] = None) -> np.ndarray:
    avg = _mode(mode)
    a, lay = map_arg(input, layout, AVG_DTYPES if avg else MAX_DTYPES)
    x = a if "N" in lay else a[None]
    x = x if lay.endswith("CHW") else x.transpose(0, 3, 1, 2)  # features are NCHW-ordered
    pool = adaptive_avg_pool2d if avg else adaptive_max_pool2d
    out = np.concatenate([pool(x, lv).reshape(x.shape[0], -1) for lv in _pool_levels(levels, "levels")], axis=1)
    return out if "N" in lay else out[0]


def pyramid_pool(input: Any, bins: Sequence[int] = (1, 2, 3, 6), mode: str = "avg", weights: Any = None,
                 align_corners: bool = False, *, layout: Optional[str] = None) -> np.ndarray:
    avg = _mode(mode)
    bl = _pool_levels(bins, "bins")
    a, lay = map_arg(input, layout, AVG_DTYPES if avg else MAX_DTYPES)
    if a.dtype == np.uint8:
        raise TypeError("input: pyramid_pool needs a floating dtype (its upsampling interpolates)")
    x = a if "N" in lay else a[None]
    nhwc = not lay.endswith("CHW")
    x = x.transpose(0, 3, 1, 2) if nhwc else x
    pool = adaptive_avg_pool2d if avg else adaptive_max_pool2d
    parts = [x]
    for b, p in zip(bl, bin_weights(weights, bl, x.shape[1])):
        y = pool(x, b)
        if p is not None:
            m, bias = p
            y64 = np.einsum("oc,nchw->nohw", m.astype(np.float64), y.astype(np.float64))
            y = (y64 + (0 if bias is None else np.asarray(bias, np.float64)[None, :, None, None])).astype(x.dtype)
        parts.append(interpolate(y, size=x.shape[2:], mode="bilinear", align_corners=bool(align_corners)))
    out = np.concatenate(parts, axis=1)
    out = out.transpose(0, 2, 3, 1) if nhwc else out
    return out if "N" in lay else out[0]
