"""Reference conv2d: the direct sum over taps of torch's definition, float64."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._args import conv2d_args

__all__ = ["conv2d"]


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> np.ndarray:
    """torch.nn.functional.conv2d by its definition:

        out[n, co, y, x] = bias[co] + sum over ci in co's group, ki, kj of
            input_padded[n, ci, y*stride_h + ki*dilation_h, x*stride_w + kj*dilation_w]
            * weight[co, ci % (C_in/groups), ki, kj]
    """
    a = conv2d_args(input, weight, bias, stride, padding, dilation, groups)
    x, w = a.x.astype(np.float64), a.weight.astype(np.float64)
    n, cin, h, wd = x.shape
    cout, cin_g, kh, kw = w.shape
    (pt, pb), (pl, pr) = a.padding
    (sh, sw), (dh, dw), g = a.stride, a.dilation, a.groups
    ho, wo = a.out_shape[2:]
    xp = np.zeros((n, cin, h + pt + pb, wd + pl + pr))
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    out = np.zeros(a.out_shape)
    cout_g = cout // g
    for gi in range(g):
        xs = xp[:, gi * cin_g:(gi + 1) * cin_g]
        for ki in range(kh):
            for kj in range(kw):
                tap = xs[:, :, ki * dh:ki * dh + (ho - 1) * sh + 1:sh, kj * dw:kj * dw + (wo - 1) * sw + 1:sw]
                out[:, gi * cout_g:(gi + 1) * cout_g] += np.einsum("nchw,oc->nohw", tap,
                                                                   w[gi * cout_g:(gi + 1) * cout_g, :, ki, kj])
    if a.bias is not None:
        out += a.bias.astype(np.float64)[None, :, None, None]
    out = out.astype(a.x.dtype)
    return out[0] if a.unbatched else out
