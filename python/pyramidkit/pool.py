"""Pooling with ``torch.nn.functional``'s names, arguments and semantics: max / average /
adaptive pooling, max-unpooling, spatial pyramid pooling (SPP) and PSPNet's pyramid pooling.

Every pooling becomes per-axis window tables (``window_tables``: the first tap, the tap
count and the tap spacing of each output index, padding clipped away) that one native
kernel applies (cpp/ops/pool/pool.cpp); the reference builds its own tables from torch's
window rules and applies them in NumPy.

Layouts: NCHW (default for 4-D), CHW (3-D), NHWC and HWC via ``layout=``. An NCHW array with
channels-last strides (a channels-last tensor's NumPy view) is read in place and answered
in the same memory format, as torch does.
"""
from __future__ import annotations

import math

from typing import Any, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._args import (AVG_DTYPES, MAX_DTYPES, adaptive_args, as_array, bin_weights, channels_last, check_output,
                    int_pair, kernel_input, map_arg, pixels_contiguous, plane_view, pool_args, pool_levels, pool_mode,
                    prepare_out, spatial_shape, unpool_output_size, with_spatial)
from ._config import get_num_threads
from ._memory import new_array
from .resample import interpolate_taps

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "max_unpool2d",
           "spatial_pyramid_pool", "pyramid_pool", "window_tables", "adaptive_tables", "pool_plan", "adaptive_plan",
           "PoolPlan"]

class Axis(NamedTuple):
    """Windows along one axis: output o reads start[o] + j*dil for j < count[o] (all inside
    the input). stride/taps describe regular windows (0 for adaptive ones); factor is the
    average's divisor along this axis (pad-inclusive or not)."""
    start: np.ndarray
    count: np.ndarray
    dil: int
    stride: int
    taps: int
    factor: np.ndarray


class PoolPlan(NamedTuple):
    """A validated pooling: the input, its layout, output size and both axes."""
    a: np.ndarray
    layout: str
    out_hw: Tuple[int, int]
    ay: Axis
    ax: Axis
    avg: bool
    divisor: int


def window_tables(n: int, n_out: int, k: int, s: int, p: int, d: int, avg: bool = False,
                  count_include_pad: bool = True) -> Axis:
    """Regular windows (max_pool2d, avg_pool2d) along an axis of n inputs."""
    o = np.arange(n_out, dtype=np.int64)
    lo = o * s - p
    if avg:  # torch: the window end is clipped to n + p first (the pad-inclusive size)
        hi = np.minimum(lo + k, n + p)
        size = hi - lo
        start, end = np.maximum(lo, 0), np.minimum(hi, n)
        count = end - start
        factor = size if count_include_pad else count
    else:
        skip = np.maximum(0, -lo + d - 1) // d  # taps before the input
        start = lo + skip * d
        last = np.minimum(k - 1, (n - 1 - lo) // d)  # last tap inside the input
        count = last - skip + 1
        factor = count
    if (count < 1).any():   # torch answers -inf (max) with an index outside the input there
        bad = int(np.argmax(count < 1))
        raise ValueError(f"input: pooling window {bad} of {n_out} along an axis of {n} lies entirely in the padding "
                         f"(kernel {k}, stride {s}, padding {p}, dilation {d}): it has no input to pool (torch "
                         f"returns -inf with an index outside the input there; pyramidkit refuses it)")
    return Axis(start.astype(np.int32), count.astype(np.int32), d, s, k, factor.astype(np.int64))


def adaptive_tables(n: int, n_out: int) -> Axis:
    """torch's adaptive windows: [floor(o*n/n_out), ceil((o+1)*n/n_out))."""
    o = np.arange(n_out, dtype=np.int64)
    start = (o * n) // n_out
    end = -((-(o + 1) * n) // n_out)
    count = end - start
    regular = n % n_out == 0
    return Axis(start.astype(np.int32), count.astype(np.int32), 1, n // n_out if regular else 0,
                n // n_out if regular else 0, count)


def pool_plan(input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any, avg: bool,
              count_include_pad: bool = True, divisor_override: Any = None, layout: Optional[str] = None) -> PoolPlan:
    """The window tables of max_pool2d / avg_pool2d."""
    r = pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, avg, count_include_pad, divisor_override,
                  layout)
    (h, w), (oh, ow) = spatial_shape(r.a, r.layout), r.out_hw
    ay = window_tables(h, oh, r.kernel[0], r.stride[0], r.padding[0], r.dilation[0], avg, r.count_include_pad)
    ax = window_tables(w, ow, r.kernel[1], r.stride[1], r.padding[1], r.dilation[1], avg, r.count_include_pad)
    return PoolPlan(r.a, r.layout, r.out_hw, ay, ax, avg, r.divisor)


def adaptive_plan(input: Any, output_size: Any, avg: bool, layout: Optional[str] = None) -> PoolPlan:
    a, lay, (oh, ow) = adaptive_args(input, output_size, avg, layout)
    h, w = spatial_shape(a, lay)
    return PoolPlan(a, lay, (oh, ow), adaptive_tables(h, oh), adaptive_tables(w, ow), avg, 0)


def _channels_last(plan: PoolPlan) -> Tuple[np.ndarray, str, bool]:
    """Work on NHWC when an NCHW array has channels-last memory (read in place)."""
    a = plan.a
    if plan.layout == "NCHW" and channels_last(a):
        return a.transpose(0, 2, 3, 1), "NHWC", True
    return a, plan.layout, False


def run_plan(plan: PoolPlan, return_indices: bool = False) -> Any:
    a, lay, cl = _channels_last(plan)
    oh, ow = plan.out_hw
    shape = with_spatial(a.shape, lay, oh, ow)
    check_output(shape, a.itemsize + (8 if return_indices else 0), "output")
    out, _ = new_array(shape, a.dtype)
    idx = new_array(shape, np.int64)[0] if return_indices else None
    ay, ax = plan.ay, plan.ax
    if out.size:   # (an empty batch: the empty result)
        _core.pool(kernel_input(a, lay), plane_view(out, lay), None if idx is None else plane_view(idx, lay),
                   (ay.start, ay.count, ay.dil, ay.stride, ay.taps), (ax.start, ax.count, ax.dil, ax.stride, ax.taps),
                   plan.avg, ay.factor, ax.factor, plan.divisor, get_num_threads())
    if cl:
        out = out.transpose(0, 3, 1, 2)
        idx = None if idx is None else idx.transpose(0, 3, 1, 2)
    return (out, idx) if return_indices else out


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False, *, layout: Optional[str] = None) -> Any:
    """``torch.nn.functional.max_pool2d``: the maximum over each window.

    ``input``: (N, C, H, W) or (C, H, W) (``layout=`` "NHWC" / "HWC" for channels-last
    images); uint8, float16, float32 or float64. ``kernel_size``, ``stride`` (default
    ``kernel_size``), ``padding``, ``dilation``: an int or (h, w). Output size
    ``floor((H + 2p - d(k-1) - 1) / s) + 1`` (``ceil`` with ``ceil_mode``, dropping a last
    window that would start in the padding). Padding never wins (it acts as -inf); a NaN in
    a window is the result (torch's rule); ties keep the first element in row-major order.
    ``return_indices``: also the int64 flat index ``h * W + w`` of each maximum within its
    (H, W) plane, as torch gives them (they feed ``max_unpool2d``, ours or torch's).

    >>> import numpy as np, pyramidkit as pk
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> out, idx = pk.max_pool2d(x, 2, return_indices=True)
    >>> out[0, 0], idx[0, 0]
    (array([[ 5.,  7.],
           [13., 15.]], dtype=float32), array([[ 5,  7],
           [13, 15]]))
    """
    plan = pool_plan(input, kernel_size, stride, padding, dilation, ceil_mode, False, layout=layout)
    return run_plan(plan, bool(return_indices))


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Optional[int] = None, *,
               layout: Optional[str] = None) -> np.ndarray:
    """``torch.nn.functional.avg_pool2d``: the mean over each window.

    float16 (computed in float32), float32, float64. The sum runs over the window's pixels
    inside the input, in row-major order, then divides by ``divisor_override`` if given,
    else by the window size counting the padding (``count_include_pad=True``, the window
    clipped to the padded input as torch does) or only the pixels inside. Output size as
    ``max_pool2d`` without dilation.

    >>> import numpy as np, pyramidkit as pk
    >>> pk.avg_pool2d(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4), 2)[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    plan = pool_plan(input, kernel_size, stride, padding, 1, ceil_mode, True, count_include_pad, divisor_override,
                     layout)
    return run_plan(plan)


def adaptive_avg_pool2d(input: Any, output_size: Any, *, layout: Optional[str] = None) -> np.ndarray:
    """``torch.nn.functional.adaptive_avg_pool2d``: output (oh, ow) whatever the input size.

    Output cell ``o`` of an axis of ``n`` inputs averages ``[floor(o*n/out), ceil((o+1)*n/out))``
    (windows may overlap, and may repeat pixels when ``out > n``). ``output_size``: an int
    or a pair, None in the pair keeps that size.

    >>> import numpy as np, pyramidkit as pk
    >>> pk.adaptive_avg_pool2d(np.arange(9, dtype=np.float32).reshape(1, 3, 3), 2)[0]
    array([[2., 3.],
           [5., 6.]], dtype=float32)
    """
    return run_plan(adaptive_plan(input, output_size, True, layout))


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False, *,
                        layout: Optional[str] = None) -> Any:
    """``torch.nn.functional.adaptive_max_pool2d``: adaptive windows (see
    ``adaptive_avg_pool2d``) with ``max_pool2d``'s maximum, NaN and index rules.

    >>> import numpy as np, pyramidkit as pk
    >>> pk.adaptive_max_pool2d(np.arange(9, dtype=np.float32).reshape(1, 3, 3), 2)[0]
    array([[4., 5.],
           [7., 8.]], dtype=float32)
    """
    return run_plan(adaptive_plan(input, output_size, False, layout), bool(return_indices))


def max_unpool2d(input: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None, *, layout: Optional[str] = None, out: Optional[np.ndarray] = None) -> np.ndarray:
    """``torch.nn.functional.max_unpool2d``: zeros with ``input`` written at ``indices``.

    ``indices``: int64 flat ``h * W_out + w`` per element, as ``max_pool2d(...,
    return_indices=True)`` gives them, same shape as ``input``. Output size
    ``(H - 1)*stride - 2*padding + kernel_size``, or ``output_size`` (checked as torch does:
    strictly within one stride of that default). An index outside the output plane raises
    ValueError, nothing is written out of bounds. Equal indices: the last one in the
    input's row-major order wins. ``out``: an optional array of the result's shape and dtype
    to fill (reusing one across calls saves the OS the zeroing of fresh pages).

    >>> import numpy as np, pyramidkit as pk
    >>> x = np.array([[[[1., 2.], [3., 4.]]]], np.float32)
    >>> out, idx = pk.max_pool2d(x, 2, return_indices=True)
    >>> pk.max_unpool2d(out, idx, 2)[0, 0]
    array([[0., 0.],
           [0., 4.]], dtype=float32)
    """
    a, lay = map_arg(input, layout, MAX_DTYPES)
    k = as_array(indices, "indices")
    if k.dtype != np.int64:
        if k.dtype.kind not in "iu":
            raise TypeError(f"indices: expected an integer array (int64), got {k.dtype}")
        k = k.astype(np.int64)
    if k.shape != a.shape:
        raise ValueError(f"indices: shape {k.shape} differs from the input's {a.shape}")
    kh, kw = int_pair(kernel_size, "kernel_size", positive=True)
    st = (kh, kw) if stride is None else int_pair(stride, "stride", positive=True)
    pad = int_pair(padding, "padding")
    if pad[0] < 0 or pad[1] < 0:
        raise ValueError(f"padding: must be non-negative, got {pad}")
    oh, ow = unpool_output_size(spatial_shape(a, lay), (kh, kw), st, pad, output_size)
    shape = with_spatial(a.shape, lay, oh, ow)
    res, _ = prepare_out(out, shape, a.dtype, a)  # the kernel zeroes each plane right before filling it
    if out is not None and np.may_share_memory(res, k):
        raise ValueError("out: array overlaps the indices; pass a separate array")
    if res.size == 0:   # an output side of 0 (torch returns the empty tensor; no index is read)
        return res
    dst = plane_view(res, lay)
    if not pixels_contiguous(dst):
        raise ValueError("out: pixels must be contiguous within each row")
    bad = _core.max_unpool2d(kernel_input(a, lay), kernel_input(k, lay), dst, get_num_threads())
    if bad:
        raise ValueError(f"indices: {bad} indices lie outside the output planes of size {oh}x{ow} "
                         f"(valid: 0 .. {oh * ow - 1})")
    return res


def spatial_pyramid_pool(input: Any, levels: Sequence[int] = (1, 2, 4), mode: str = "max", *,
                         layout: Optional[str] = None) -> np.ndarray:
    """Spatial pyramid pooling (He et al., SPP-net): a fixed-length vector for any input size.

    For each level ``l``: adaptive pooling to ``l x l``, flattened. Output (N, C * sum(l*l))
    (or (C * sum(l*l),) for a single map), ordered level by level (in the order given), then
    channel, then row, then column: exactly
    ``np.concatenate([adaptive_max_pool2d(x, l).reshape(N, -1) for l in levels], 1)`` for
    NCHW (also for NHWC input: the features do not depend on the memory layout).

    >>> import numpy as np, pyramidkit as pk
    >>> pk.spatial_pyramid_pool(np.ones((2, 3, 13, 9), np.float32)).shape
    (2, 63)
    """
    avg = pool_mode(mode)
    lv = pool_levels(levels, "levels")
    a, lay = map_arg(input, layout, AVG_DTYPES if avg else MAX_DTYPES)
    for level in lv:   # every level's size before any level's bin tables are built
        check_output(with_spatial(a.shape, lay, level, level), a.itemsize, "levels", 64 * level)
    parts = []
    for level in lv:
        p = run_plan(adaptive_plan(a, level, avg, lay))
        if "N" not in lay:
            p = p[None]
        lay4 = lay if "N" in lay else "N" + lay
        if lay4 == "NHWC":
            p = p.transpose(0, 3, 1, 2)
        parts.append(p.reshape(p.shape[0], math.prod(p.shape[1:])))   # (-1 is ambiguous for an empty batch)
    out = np.concatenate(parts, axis=1)
    return out if "N" in lay else out[0]


def pyramid_pool(input: Any, bins: Sequence[int] = (1, 2, 3, 6), mode: str = "avg", weights: Any = None,
                 align_corners: bool = False, *, layout: Optional[str] = None,
                 out: Optional[np.ndarray] = None) -> np.ndarray:
    """PSPNet's pyramid pooling module, without its learned convolutions' nonlinearity.

    For each bin size ``b``: adaptive pooling of ``input`` (N, C, H, W) to ``b x b``
    (``mode`` "avg" or "max"), an optional channel projection ``weights[i]``: a (C_out, C)
    matrix, a (matrix, bias) pair or None (no projection for that bin), applied at the pooled resolution (a 1x1 convolution,
    computed in float64 and rounded once), then bilinear upsampling to H x W with
    ``interpolate``'s rule (``align_corners``), concatenated after the input along channels:
    output (N, C + sum(C_out_i), H, W) (C_out_i = C without weights). The upsampled maps
    are written straight into their channel slices of the output: no full-size temporaries
    (NHWC in, NHWC out with ``layout=``: there each bin goes through one temporary).
    ``out``: an optional array of the result's shape and dtype to fill.

    >>> import numpy as np, pyramidkit as pk
    >>> pk.pyramid_pool(np.ones((1, 4, 12, 12), np.float32)).shape
    (1, 20, 12, 12)
    """
    avg = pool_mode(mode)
    bl = pool_levels(bins, "bins")
    a, lay = map_arg(input, layout, AVG_DTYPES if avg else MAX_DTYPES)
    if a.dtype == np.uint8:
        raise TypeError("input: pyramid_pool needs a floating dtype (its upsampling interpolates)")
    for b in bl:   # every bin's size before any bin's tables are built
        check_output(with_spatial(a.shape, lay, b, b), a.itemsize, "bins", 64 * b)
    batched = "N" in lay
    x = a if batched else a[None]
    lay4 = lay if batched else "N" + lay
    nchw = lay4 == "NCHW"
    c = x.shape[1] if nchw else x.shape[3]
    h, w = spatial_shape(x, lay4)
    proj = bin_weights(weights, bl, c)
    couts = [c if p is None else p[0].shape[0] for p in proj]
    total = c + sum(couts)
    shape = (x.shape[0], total, h, w) if nchw else (x.shape[0], h, w, total)
    res, fresh = prepare_out(out, shape if batched else shape[1:], x.dtype, a)
    if res.size == 0:   # an empty batch
        return res
    out = res if batched else res[None]
    nt = get_num_threads()
    for n in range(x.shape[0]):  # the input's channels first: a copy on all threads when contiguous
        head = out[n, :c] if nchw else out[n, ..., :c]
        if head.flags.c_contiguous and x[n].flags.c_contiguous:
            _core.parallel_copy(head, x[n], nt)
        else:
            head[...] = x[n]
    off = c
    for b, p, co in zip(bl, proj, couts):
        pooled = run_plan(adaptive_plan(x, b, avg, lay4))
        if p is not None:  # 1x1 convolution at b x b: cheap, done in float64
            m, bias = p
            pooled64 = pooled.astype(np.float64)
            if nchw:
                y = np.einsum("oc,nchw->nohw", m.astype(np.float64), pooled64)
                y = y + (0 if bias is None else np.asarray(bias, np.float64)[None, :, None, None])
            else:
                y = np.einsum("oc,nhwc->nhwo", m.astype(np.float64), pooled64)
                y = y + (0 if bias is None else np.asarray(bias, np.float64))
            pooled = y.astype(x.dtype)
        (_, _), ty, tx = interpolate_taps(pooled if nchw else pooled.transpose(0, 3, 1, 2), (h, w), None, "bilinear",
                                          bool(align_corners), None, False)
        if nchw:  # straight into the output's channel slice
            _core.resample(kernel_input(pooled, lay4), plane_view(out[:, off:off + co], lay4), ty[0], ty[1], tx[0],
                           tx[1], nt, fresh, res.nbytes)
        else:  # an NHWC channel slice has gaps between pixels: one temporary per bin
            up, _ = new_array((x.shape[0], h, w, co), x.dtype)
            _core.resample(kernel_input(pooled, lay4), plane_view(up, lay4), ty[0], ty[1], tx[0], tx[1], nt, True)
            out[..., off:off + co] = up
        off += co
    return res

