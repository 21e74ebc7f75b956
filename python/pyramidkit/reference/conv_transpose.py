"""Reference conv_transpose2d: every tap scattered into a zero-padded full output, float64."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._args import conv_transpose2d_args

__all__ = ["conv_transpose2d", "bilinear_kernel", "bilinear_upsample_weights"]


def bilinear_kernel(size: int, dtype: Any = np.float32) -> np.ndarray:
    """FCN's upsample_filt, element by element: f = ceil(size / 2), centre c = f - 1 (odd
    size) or f - 1/2 (even), value (1 - |i - c| / f) (1 - |j - c| / f)."""
    f = (size + 1) // 2
    c = f - 1 if size % 2 == 1 else f - 0.5
    out = np.empty((size, size))
    for i in range(size):
        for j in range(size):
            out[i, j] = (1 - abs(i - c) / f) * (1 - abs(j - c) / f)
    return out.astype(dtype)


def bilinear_upsample_weights(channels: int, factor: int, depthwise: bool = True, dtype: Any = np.float32) -> np.ndarray:
    """The bilinear kernel of size 2 factor - factor % 2 on each channel's own output channel."""
    k = bilinear_kernel(2 * factor - factor % 2, np.float64)
    w = np.zeros((channels, 1 if depthwise else channels) + k.shape)
    for c in range(channels):
        w[c, 0 if depthwise else c] = k
    return w.astype(dtype)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> np.ndarray:
    a = conv_transpose2d_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
    x, w = a.x.astype(np.float64), a.weight.astype(np.float64)
    n, cin, h, wd = x.shape
    kh, kw = w.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = a.stride, a.padding, a.dilation
    ho, wo = a.out_shape[2:]
    g, cin_g, cout_g = a.groups, cin // a.groups, w.shape[1]
    # Input pixel (iy, ix) lands at full-output (iy*s + k*d); the output is that full grid
    # shifted by the padding, with room for output_padding rows past its end.
    full = np.zeros((n, g * cout_g, ph + ho + (h - 1) * sh + dh * (kh - 1) + 1,
                     pw + wo + (wd - 1) * sw + dw * (kw - 1) + 1))
    for gi in range(g):
        xg = x[:, gi * cin_g:(gi + 1) * cin_g]
        wg = w[gi * cin_g:(gi + 1) * cin_g]
        for ki in range(kh):
            for kj in range(kw):
                contrib = np.einsum("nchw,cd->ndhw", xg, wg[:, :, ki, kj])
                full[:, gi * cout_g:(gi + 1) * cout_g,
                     ki * dh:ki * dh + (h - 1) * sh + 1:sh,
                     kj * dw:kj * dw + (wd - 1) * sw + 1:sw] += contrib
    out = full[:, :, ph:ph + ho, pw:pw + wo]
    if a.bias is not None:
        out = out + a.bias.astype(np.float64)[None, :, None, None]
    out = np.ascontiguousarray(out.astype(a.x.dtype))
    return out[0] if a.unbatched else out
