"""Reference of downsample and multiscale, from the definitions: the gaussian method as a
weight matrix per halved axis, the box methods box by box."""
from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from .._args import downsample_args, downsample_shape, multiscale_factors
from .pyramid import down_weights


def _along(a: np.ndarray, w: np.ndarray, axis: int, value: float) -> np.ndarray:
    """Apply the (m, n+1) weight matrix along axis (column n reads the constant value)."""
    pad = list(a.shape)
    pad[axis] = 1
    ext = np.concatenate([a, np.full(pad, value)], axis=axis)
    return np.moveaxis(np.tensordot(w, ext, axes=([1], [axis])), 0, axis)


def _gaussian(a: np.ndarray, factors, border: int, value: float) -> np.ndarray:
    s, k = a.astype(np.float64), 0
    for axis, f in enumerate(factors):
        if f == 2:
            n = s.shape[axis]
            s = _along(s, down_weights(n, -(-n // 2), border), axis, value * 16.0 ** k)
            k += 1
    if np.issubdtype(a.dtype, np.integer):   # exact integer sums in float64, rounded half up once
        return np.floor((s + 16.0 ** k / 2) / 16.0 ** k).astype(a.dtype)
    return (s / 16.0 ** k).astype(a.dtype)


def _box(values: np.ndarray, method: str, dtype: np.dtype) -> Any:
    """One box's samples (flattened) to its value."""
    if method == "nearest":
        return values[0]
    if method == "min":
        return values.min()
    if method == "max":
        return values.max()
    if method == "mode":
        uniq, counts = np.unique(values, return_counts=True)
        return uniq[counts == counts.max()].min()
    if dtype.kind == "f":
        return values.astype(np.float64).mean()
    total, n = int(values.astype(np.int64).sum()), values.size
    return (2 * total + n) // (2 * n)           # round half up


def downsample(x: Any, factor: Any = 2, *, method: str = "gaussian", axes: Optional[str] = None,
               border: Any = "reflect101", value: float = 0.0) -> np.ndarray:
    r = downsample_args(x, factor, method, axes, border, value)
    a = r.array
    if r.method == "gaussian":
        return _gaussian(a, r.factors, r.border, r.value)
    out = np.empty(downsample_shape(a.shape, r.factors), a.dtype)
    for idx in np.ndindex(*out.shape):
        box = a[tuple(slice(f * i, f * i + f) for i, f in zip(idx, r.factors))]
        out[idx] = _box(box.ravel(), r.method, a.dtype)
    return out


def multiscale(x: Any, levels: Optional[int] = None, *, factor: Any = 2, method: str = "gaussian",
               axes: Optional[str] = None, min_size: int = 1, border: Any = "reflect101",
               value: float = 0.0) -> List[np.ndarray]:
    r = downsample_args(x, factor, method, axes, border, value)
    out = [r.array]
    for fs in multiscale_factors(r.array.shape, r.factors, levels, min_size):
        sp = [f for f, c in zip(fs, r.axes) if c in "zyx"]
        out.append(downsample(out[-1], sp, method=r.method, axes=r.axes, border=border, value=value))
    return out
