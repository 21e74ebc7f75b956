"""Convolution (``torch.nn.functional.conv2d``): dense, grouped, depthwise, dilated, strided.

One native kernel file (cpp/ops/conv2d/conv2d.cpp): dense and grouped convolutions as a
register-blocked implicit GEMM over channels-last pixels (vectors along output channels,
so maps of any width use whole vectors), depthwise convolutions as their own
memory-bound loops. No BLAS (its spinning thread pool would compete with our OpenMP
threads, docs/performance.md).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._args import channels_last, conv2d_args
from ._memory import new_array

__all__ = ["conv2d"]


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> np.ndarray:
    """``torch.nn.functional.conv2d``: the 2-D convolution (cross-correlation) of deep learning.

    ``input`` (N, C_in, H, W) or unbatched (C_in, H, W); ``weight`` (C_out, C_in/groups, kH, kW);
    ``bias`` (C_out,) or None; float16, float32 or float64, all three the same dtype
    (float16 is computed in float32 and rounded once, as torch's CPU kernel does). ``stride``,
    ``dilation``: an int or a pair (height, width); ``padding``: an int, a pair, ``"valid"``
    (none) or ``"same"`` (the output the size of the input; stride 1; an even kernel extent
    pads its odd pixel at the bottom / right, as torch does). Output
    (N, C_out, H_out, W_out), ``H_out = (H + 2*padding - dilation*(kH - 1) - 1) // stride + 1``:

        out[n, co, y, x] = bias[co] + sum over ci in co's group, ki, kj of
            weight[co, ci % (C_in/groups), ki, kj] * input[n, ci, y*stride - padding + ki*dilation, ...]

    with zeros outside the input. torch's validation and messages (ValueError / TypeError).
    An input with channels-last strides (the NumPy view of a ``channels_last`` tensor) is
    read in place and answered channels-last, as torch does; other inputs give a
    C-contiguous NCHW result. Taps that read only padding are never computed.

    Matches torch within float rounding: each output sums bias, then the taps (ki, kj
    ascending), then the input channels, with fused multiply-adds on AVX2 / AVX-512 (which
    agree bit for bit) and separate ones on the baseline level; identical for every thread
    count and memory format.

    >>> import numpy as np, pyramidkit as pk
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> pk.conv2d(x, np.ones((1, 1, 3, 3), np.float32), padding=1)[0, 0]
    array([[10., 18., 24., 18.],
           [27., 45., 54., 39.],
           [51., 81., 90., 63.],
           [42., 66., 72., 50.]], dtype=float32)
    """
    a = conv2d_args(input, weight, bias, stride, padding, dilation, groups)
    x = a.x
    half = x.dtype == np.float16
    if half:  # computed in float32, rounded to float16 once (layouts kept)
        x, a.weight = x.astype(np.float32), a.weight.astype(np.float32)
        a.bias = None if a.bias is None else a.bias.astype(np.float32)
    nhwc = channels_last(x)
    if nhwc:
        out_nhwc, _ = new_array((a.out_shape[0], a.out_shape[2], a.out_shape[3], a.out_shape[1]), x.dtype)
        out = out_nhwc.transpose(0, 3, 1, 2)
    else:
        out, _ = new_array(a.out_shape, x.dtype)
        if x.shape[3] > 1 and x.strides[3] != x.itemsize:
            x = np.ascontiguousarray(x)
    out = a.run(_core.conv2d, x, out, (a.padding[0][0], a.padding[1][0]))
    return out.astype(np.float16) if half else out
