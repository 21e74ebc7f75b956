"""Transposed convolution (``torch.nn.functional.conv_transpose2d``) and the FCN bilinear
upsampling weights.

One native kernel (cpp/ops/conv_transpose/conv_transpose2d.cpp) for every case, depthwise to full:
each output row phase is computed as a small register-blocked GEMM over the taps and input
channels that reach it, straight into the output (no column buffer, no col2im). It does
not call NumPy's BLAS, whose spinning thread pool would compete with our OpenMP threads
(and any other library's) after each call (docs/performance.md).
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import _core
from ._args import CONV_DTYPES, check_dtype, conv_transpose2d_args
from ._memory import new_array

__all__ = ["conv_transpose2d", "bilinear_kernel", "bilinear_upsample_weights"]

def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> np.ndarray:
    """``torch.nn.functional.conv_transpose2d``: the transposed ("fractionally strided") convolution.

    ``input`` (N, C_in, H, W) or unbatched (C_in, H, W); ``weight`` (C_in, C_out/groups, kH, kW);
    ``bias`` (C_out,) or None; float32 or float64, all three the same dtype. ``stride``,
    ``padding``, ``output_padding``, ``dilation``: an int or a pair (height, width). Output
    (N, C_out, H_out, W_out), C-contiguous NCHW, with
    ``H_out = (H - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1``:

        out[n, co, y, x] = bias[co] + sum over ci in co's group, ki, kj with
            y = iy*stride_h - padding_h + ki*dilation_h and x likewise of
            input[n, ci, iy, ix] * weight[ci, co % (C_out/groups), ki, kj]

    The same validation as torch (``output_padding`` must be smaller than the stride or the
    dilation, channel counts must match ``groups``...), raised as ValueError / TypeError.
    Input with a non-contiguous last axis (channels-last) is copied once. Matches torch
    within float rounding (the sum order differs); identical for every thread count and
    SIMD level.

    >>> import numpy as np, pyramidkit as pk
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)
    >>> pk.conv_transpose2d(x, np.ones((1, 1, 2, 2), np.float32), stride=2)[0, 0]
    array([[0., 0., 1., 1.],
           [0., 0., 1., 1.],
           [2., 2., 3., 3.],
           [2., 2., 3., 3.]], dtype=float32)
    """
    a = conv_transpose2d_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
    out, _ = new_array(a.out_shape, a.x.dtype)
    x = a.x if a.x.shape[3] == 1 or a.x.strides[3] == a.x.itemsize else np.ascontiguousarray(a.x)
    return a.run(_core.conv_transpose2d, x, out, a.padding)


def _positive_int(v: Any, name: str) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {v!r}")
    if v < 1:
        raise ValueError(f"{name}: must be >= 1, got {v}")
    return int(v)


def bilinear_kernel(size: int, dtype: Any = np.float32) -> np.ndarray:
    """The (size, size) bilinear filter of FCN's ``upsample_filt`` (Long et al. 2015).

    ``factor = (size + 1) // 2``, centre ``factor - 1`` (odd size) or ``factor - 0.5``
    (even), value ``(1 - |i - c| / factor) * (1 - |j - c| / factor)``.

    >>> import pyramidkit as pk
    >>> pk.bilinear_kernel(4)[0]
    array([0.0625, 0.1875, 0.1875, 0.0625], dtype=float32)
    """
    size = _positive_int(size, "size")
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    t = 1 - np.abs(np.arange(size) - centre) / factor
    return np.outer(t, t).astype(check_dtype(np.empty(0, dtype), "dtype", CONV_DTYPES).dtype)


def bilinear_upsample_weights(channels: int, factor: int, depthwise: bool = True, dtype: Any = np.float32) -> np.ndarray:
    """Weights of a fixed bilinear x``factor`` upsampling by transposed convolution (FCN).

    Kernel size ``2*factor - factor % 2``, to be used with ``stride=factor`` and
    ``padding=factor // 2`` (= ceil((factor - 1) / 2)), which gives an output of
    exactly ``factor * H``. ``depthwise=True``: shape (channels, 1, k, k), for
    ``groups=channels``; ``depthwise=False``: (channels, channels, k, k) with the filter on
    the diagonal and zeros elsewhere, for ``groups=1`` (FCN's Caffe surgery; same result,
    ``channels`` times the work).

    Relation to ``interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)``:
    equal in the interior; they differ within ``factor`` pixels of the border, where the
    transposed convolution sees zeros beyond the edge and interpolate repeats the edge.

    >>> import numpy as np, pyramidkit as pk
    >>> x = np.random.default_rng(0).random((1, 3, 8, 8), dtype=np.float32)
    >>> up = pk.conv_transpose2d(x, pk.bilinear_upsample_weights(3, 2), stride=2, padding=1, groups=3)
    >>> up.shape
    (1, 3, 16, 16)
    >>> ref = pk.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    >>> bool(np.allclose(up[..., 2:-2, 2:-2], ref[..., 2:-2, 2:-2], atol=1e-6))
    True
    """
    channels = _positive_int(channels, "channels")
    factor = _positive_int(factor, "factor")
    k = bilinear_kernel(2 * factor - factor % 2, dtype)
    if depthwise:
        return np.ascontiguousarray(np.broadcast_to(k, (channels, 1) + k.shape))
    w = np.zeros((channels, channels) + k.shape, k.dtype)
    w[np.arange(channels), np.arange(channels)] = k
    return w
