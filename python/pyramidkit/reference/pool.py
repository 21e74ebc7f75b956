"""Reference pooling: the window tables walked tap by tap in NumPy, in the kernel's order
(maximum: row-major taps; average: each window column summed over the window's rows,
then the columns in order; float32, float64 for float64 data), the windows built from
torch's rules output by output, and the SPP / PSP modules
composed from reference ops with ordinary temporaries."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from .._args import (AVG_DTYPES, MAX_DTYPES, adaptive_args, as_array, bin_weights, int_pair, map_arg, plane_view,
                     pool_args, pool_levels, pool_mode, spatial_shape, unpool_output_size, with_spatial)
from .resample import interpolate

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "max_unpool2d",
           "spatial_pyramid_pool", "pyramid_pool"]


def _windows(n: int, n_out: int, k: int, s: int, p: int, d: int, avg: bool, count_include_pad: bool):
    """Per output o, torch's window along an axis of n inputs: the taps o s - p + j d (j < k)
    that lie in the input, as (first tap, tap count, divisor). Average pooling (d = 1)
    clips the window to [o s - p, min(o s - p + k, n + p)) first, whose length is the
    pad-inclusive divisor; count_include_pad=False divides by the taps inside instead."""
    start, count, factor = [], [], []
    for o in range(n_out):
        taps = [o * s - p + j * d for j in range(k)]
        if avg:
            lo, hi = o * s - p, min(o * s - p + k, n + p)
            taps = [t for t in range(lo, hi) if 0 <= t < n]
            size = hi - lo
        else:
            taps = [t for t in taps if 0 <= t < n]
            size = len(taps)
        if not taps:   # pyramidkit refuses it (torch: -inf, an index outside the input)
            raise ValueError(f"input: pooling window {o} of {n_out} along an axis of {n} lies entirely in the "
                             f"padding (kernel {k}, stride {s}, padding {p}, dilation {d})")
        start.append(taps[0])
        count.append(len(taps))
        factor.append(size if (avg and count_include_pad) else len(taps))
    return np.array(start), np.array(count), d, np.array(factor, np.int64)


def _adaptive(n: int, n_out: int):
    """torch's adaptive windows: output o covers [floor(o n / n_out), ceil((o + 1) n / n_out))."""
    start = [o * n // n_out for o in range(n_out)]
    end = [-(-(o + 1) * n // n_out) for o in range(n_out)]
    count = [e - b for b, e in zip(start, end)]
    return np.array(start), np.array(count), 1, np.array(count, np.int64)


def _apply(a: np.ndarray, lay: str, out_hw, ay, ax, avg: bool, divisor: int, return_indices: bool = False) -> Any:
    ct = np.float64 if a.dtype == np.float64 else np.float32
    x = plane_view(a, lay).astype(ct)  # (n0, n1, H, W, C)
    W = x.shape[3]
    (ys, yc, ydil, yf), (xs, xc, xdil, xf) = ay, ax
    oh, ow = out_hw
    m = np.full(x.shape[:2] + (oh, ow, x.shape[4]), 0 if avg else -np.inf, ct)
    idx = np.broadcast_to((ys.astype(np.int64)[:, None] * W + xs[None, :])[None, None, :, :, None], m.shape).copy()
    rows_of = [np.minimum(ys + jy * ydil, x.shape[2] - 1) for jy in range(int(yc.max()))]
    cols_of = [np.minimum(xs + jx * xdil, W - 1) for jx in range(int(xc.max()))]
    if avg:  # the window's rows first (per input column), then its columns: the kernel's order
        for jx, cols in enumerate(cols_of):
            col = None
            for jy, rows in enumerate(rows_of):
                v = x[:, :, rows][:, :, :, cols]
                col = v if col is None else np.where((jy < yc)[None, None, :, None, None], col + v, col)
            m = np.where((jx < xc)[None, None, None, :, None], m + col, m)
    else:  # taps in row-major order; a NaN wins, ties keep the first
        for jy, rows in enumerate(rows_of):
            for jx, cols in enumerate(cols_of):
                valid = ((jy < yc)[:, None] & (jx < xc)[None, :])[None, None, :, :, None]
                v = x[:, :, rows][:, :, :, cols]
                take = valid & ((v > m) | np.isnan(v))
                m = np.where(take, v, m)
                idx = np.where(take, (rows[:, None] * W + cols[None, :])[None, None, :, :, None], idx)
    if avg:
        if divisor > 0:
            m = m / ct(divisor)
        else:  # the int64 product converted once, as the kernel (and torch) do
            m = m / (yf[:, None] * xf[None, :]).astype(ct)[None, None, :, :, None]
    out = np.empty(with_spatial(a.shape, lay, oh, ow), a.dtype)
    plane_view(out, lay)[...] = m.astype(a.dtype)
    if not return_indices:
        return out
    ind = np.empty(out.shape, np.int64)
    plane_view(ind, lay)[...] = idx
    return out, ind


def _pool(r, return_indices: bool = False) -> Any:
    (h, w), (oh, ow) = spatial_shape(r.a, r.layout), r.out_hw
    ay = _windows(h, oh, r.kernel[0], r.stride[0], r.padding[0], r.dilation[0], r.avg, r.count_include_pad)
    ax = _windows(w, ow, r.kernel[1], r.stride[1], r.padding[1], r.dilation[1], r.avg, r.count_include_pad)
    return _apply(r.a, r.layout, r.out_hw, ay, ax, r.avg, r.divisor, return_indices)


def _adaptive_pool(input: Any, output_size: Any, avg: bool, layout: Any, return_indices: bool = False) -> Any:
    a, lay, (oh, ow) = adaptive_args(input, output_size, avg, layout)
    h, w = spatial_shape(a, lay)
    return _apply(a, lay, (oh, ow), _adaptive(h, oh), _adaptive(w, ow), avg, 0, return_indices)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False, *, layout: Optional[str] = None) -> Any:
    return _pool(pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, False, layout=layout),
                 bool(return_indices))


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Optional[int] = None, *,
               layout: Optional[str] = None) -> np.ndarray:
    return _pool(pool_args(input, kernel_size, stride, padding, 1, ceil_mode, True, count_include_pad,
                           divisor_override, layout))


def adaptive_avg_pool2d(input: Any, output_size: Any, *, layout: Optional[str] = None) -> np.ndarray:
    return _adaptive_pool(input, output_size, True, layout)


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False, *,
                        layout: Optional[str] = None) -> Any:
    return _adaptive_pool(input, output_size, False, layout, bool(return_indices))


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
    if out.size == 0:   # torch: an empty output, the indices unread
        return out
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
    avg = pool_mode(mode)
    a, lay = map_arg(input, layout, AVG_DTYPES if avg else MAX_DTYPES)
    x = a if "N" in lay else a[None]
    x = x if lay.endswith("CHW") else x.transpose(0, 3, 1, 2)  # features are NCHW-ordered
    pool = adaptive_avg_pool2d if avg else adaptive_max_pool2d
    out = np.concatenate([pool(x, lv).reshape(x.shape[0], x.shape[1] * lv * lv)
                          for lv in pool_levels(levels, "levels")], axis=1)
    return out if "N" in lay else out[0]


def pyramid_pool(input: Any, bins: Sequence[int] = (1, 2, 3, 6), mode: str = "avg", weights: Any = None,
                 align_corners: bool = False, *, layout: Optional[str] = None) -> np.ndarray:
    avg = pool_mode(mode)
    bl = pool_levels(bins, "bins")
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
