"""Resampling: ``resize`` for images (OpenCV's conventions) and ``interpolate`` for NCHW feature
maps (``torch.nn.functional.interpolate``'s). One native kernel behind both: every mode and
coordinate convention becomes a per-axis table of source indices and weights."""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np

from . import _core
from ._args import (RESIZE_DTYPES, as_array, channels_last, check_dtype, image_arg, interpolate_args, resize_args,
                    run_into, spatial_shape, with_spatial)
from ._config import get_num_threads

__all__ = ["resize", "interpolate", "axis_taps", "resize_taps", "interpolate_taps"]



def axis_taps(n_in: int, n_out: int, mode: str, coordinates: str = "half_pixel", scale: Optional[float] = None,
              antialias: bool = False, ct: Any = np.float32, torch_rules: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Source indices (n_out, k) and weights (n_out, k) of one axis.

    ``scale`` is the user's scale factor (output / input) when one was given: the
    coordinate scale is then ``1 / scale`` (torch and OpenCV), else ``n_in / n_out``.
    Coordinates are computed in ``ct`` (torch: float32 unless the data is float64; OpenCV's
    resize: float64 rounded to float32 weights). ``torch_rules``: torch's identity shortcut
    when the sizes are equal.
    """
    ct = np.dtype(ct).type
    o = np.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        # torch computes the nearest scale in float32 whatever the data type
        f = np.float32 if torch_rules else np.float64
        s = f(1.0 / scale) if scale else f(n_in) / f(n_out)
        pos = o.astype(f) + (f(0.5) if mode == "nearest-exact" else f(0))
        idx = np.minimum(np.floor(pos * s).astype(np.int64), n_in - 1)
        if torch_rules and mode == "nearest" and n_out in (n_in, 2 * n_in):
            idx = o if n_out == n_in else o >> 1
        return idx.reshape(-1, 1).astype(np.int32), np.ones((n_out, 1))
    if torch_rules and n_out == n_in:  # torch leaves an axis of unchanged size alone
        return o.reshape(-1, 1).astype(np.int32), np.ones((n_out, 1))
    if coordinates == "align_corners":
        ratio = ct(n_in - 1) / ct(n_out - 1) if n_out > 1 else ct(0)
    else:
        ratio = ct(1.0 / scale) if scale else ct(n_in) / ct(n_out)
    if antialias:
        return _antialias_taps(n_in, n_out, float(ratio), ct)
    if coordinates == "half_pixel":
        src = np.maximum(ratio * (o.astype(ct) + ct(0.5)) - ct(0.5), ct(0))
    else:
        src = ratio * o.astype(ct)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(ct), ct(0), ct(1)).astype(ct)
    i1 = i0 + (i0 < n_in - 1)
    w = np.stack([ct(1) - lam, lam], axis=1).astype(np.float64)
    return np.stack([i0, i1], axis=1).astype(np.int32), w


def _antialias_taps(n_in: int, n_out: int, ratio: float, ct: Any) -> Tuple[np.ndarray, np.ndarray]:
    """torch / Pillow's triangle filter, stretched by the ratio on downscale: centre
    ``ratio * (i + 0.5)``, support ``max(ratio, 1)``, weights normalised to sum 1."""
    support = max(ratio, 1.0)
    inv = 1.0 / support
    k = int(math.ceil(support)) * 2 + 1
    idx = np.zeros((n_out, k), np.int64)
    w = np.zeros((n_out, k))
    for i in range(n_out):
        center = ratio * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        n = min(int(center + support + 0.5), n_in) - lo
        j = np.arange(n)
        t = np.maximum(0.0, 1.0 - np.abs((j + lo - center + 0.5) * inv))
        total = 0.0
        for v in t.tolist():  # in order, as torch sums them (NumPy's sum is pairwise)
            total += v
        w[i, :n] = t / total if total != 0 else t
        idx[i, :n] = lo + j
        idx[i, n:] = lo  # unused taps: weight 0
    return idx.astype(np.int32), w.astype(ct).astype(np.float64)


def _run(a: np.ndarray, lay: str, out_hw: Tuple[int, int], ty: Tuple, tx: Tuple, out: Any) -> np.ndarray:
    return run_into(lambda src, dst, fresh: _core.resample(src, dst, ty[0], ty[1], tx[0], tx[1], get_num_threads(), fresh),
                    a, lay, with_spatial(a.shape, lay, *out_hw), out)


def resize_taps(a: np.ndarray, lay: str, size: Any, scale: Any, mode: Any, coordinates: Any,
                antialias: Any) -> Tuple[Tuple[int, int], Tuple, Tuple]:
    """resize's output size and (row, column) tap tables, weights rounded to the compute
    type (OpenCV computes the coordinates in float64 and keeps float32 weights)."""
    r = resize_args(a, lay, size, scale, mode, coordinates, antialias)
    h, w = spatial_shape(a, lay)
    (oh, ow), (sy, sx) = r.out_hw, r.scale
    ty = axis_taps(h, oh, r.mode, r.coordinates, sy, r.antialias, np.float64, torch_rules=False)
    tx = axis_taps(w, ow, r.mode, r.coordinates, sx, r.antialias, np.float64, torch_rules=False)
    ct = np.float64 if a.dtype == np.float64 else np.float32
    return (oh, ow), (ty[0], ty[1].astype(ct).astype(np.float64)), (tx[0], tx[1].astype(ct).astype(np.float64))


def interpolate_taps(a: np.ndarray, size: Any, scale_factor: Any, mode: Any, align_corners: Any,
                     recompute_scale_factor: Any, antialias: Any) -> Tuple[Tuple[int, int], Tuple, Tuple]:
    """interpolate's output size and (row, column) tap tables (torch's coordinate rules)."""
    r = interpolate_args(a, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    h, w = a.shape[2:]
    (oh, ow), (sy, sx) = r.out_hw, r.scale
    ct = np.float64 if a.dtype == np.float64 else np.float32
    ty = axis_taps(h, oh, r.mode, r.coordinates, sy, r.antialias, ct)
    tx = axis_taps(w, ow, r.mode, r.coordinates, sx, r.antialias, ct)
    return (oh, ow), ty, tx


def resize(img: Any, size: Any = None, *, scale: Any = None, mode: str = "bilinear",
           coordinates: str = "half_pixel", antialias: bool = False, layout: Optional[str] = None,
           out: Optional[np.ndarray] = None) -> np.ndarray:
    """Resize an image (HWC by default): bilinear or nearest, every coordinate convention.

    Parameters
    ----------
    img : array-like
        uint8, float16, float32 or float64; layouts HW, HWC, CHW, NHWC, NCHW; any channels.
    size : (height, width) or int, optional
        Output size; exactly one of ``size`` and ``scale``.
    scale : float or (sy, sx), optional
        Output size ``round(in * scale)`` (``cv2.resize`` with fx, fy); the coordinates
        then use ``1 / scale``, as OpenCV and torch do.
    mode : "bilinear", "nearest" or "nearest-exact"
        ``nearest``: source ``floor(dst * s)`` (``cv2.INTER_NEAREST``, torch ``nearest``);
        ``nearest-exact``: ``floor((dst + 0.5) * s)``, with ``s`` the coordinate scale.
    coordinates : "half_pixel", "align_corners" or "asymmetric" (bilinear only)
        Source coordinate of output index ``d``: half_pixel ``(d + 0.5) * s - 0.5``
        (OpenCV, torch ``align_corners=False``; clamped at 0); align_corners
        ``d * (in - 1) / (out - 1)``; asymmetric ``d * s`` (TensorFlow 1 legacy).
        Samples past the last pixel take the last pixel.
    antialias : bool
        On downscale, torch's / Pillow's triangle filter stretched by the scale (bilinear).
    layout, out
        As in :func:`pyr_down`.

    Computed in float32 (float64 for float64 images) from float32 weights (coordinates in
    float64 as OpenCV), horizontal pass first; uint8 rounds half to even. Within 1 of
    ``cv2.resize(INTER_LINEAR)`` for uint8, 1e-4 of the range for float32.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> pk.resize(np.array([[0., 4.]], np.float32), (1, 4))
    array([[0., 1., 3., 4.]], dtype=float32)
    """
    a, lay = image_arg(img, layout)
    (oh, ow), ty, tx = resize_taps(a, lay, size, scale, mode, coordinates, antialias)
    return _run(a, lay, (oh, ow), ty, tx, out)


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "bilinear",
                align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> np.ndarray:
    """``torch.nn.functional.interpolate`` for 4-D NCHW arrays (bilinear, nearest, nearest-exact).

    Same arguments and semantics as torch (the default mode here is bilinear; torch's is
    nearest): output size ``size`` or ``floor(in * scale_factor)``; with a scale factor the
    coordinates use ``1 / scale_factor`` unless ``recompute_scale_factor``; coordinates and
    weights in float32 (float64 for float64 data) as torch computes them; ``antialias``
    is torch's triangle filter on downscale. An NCHW array with channels-last strides (the
    NumPy view of a channels-last tensor) is read in place and the result has the same
    memory format, as torch does. Within 1e-5 of the value range of torch for float32.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)
    >>> pk.interpolate(x, scale_factor=2, align_corners=True)[0, 0, 0] * 3
    array([0., 1., 2., 3.], dtype=float32)
    """
    a = check_dtype(as_array(input, "input"), "input", RESIZE_DTYPES)
    (oh, ow), ty, tx = interpolate_taps(a, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    if a.shape[0] == 0:   # an empty batch (torch: the empty result)
        return np.empty((0, a.shape[1], oh, ow), a.dtype)
    if channels_last(a):
        res = _run(a.transpose(0, 2, 3, 1), "NHWC", (oh, ow), ty, tx, None)
        return res.transpose(0, 3, 1, 2)
    return _run(a, "NCHW", (oh, ow), ty, tx, None)
