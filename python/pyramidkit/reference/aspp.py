"""Reference ASPP (DeepLab v3): reference conv2d, batch norm, ReLU, the image mean and
concatenation, as torchvision's module computes it in eval() mode."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .conv2d import conv2d

__all__ = ["aspp"]


def _bn_relu(y: np.ndarray, sd: Mapping[str, Any], key: str, eps: float) -> np.ndarray:
    """Batch norm in eval mode (running statistics), then ReLU."""
    def p(name):
        return np.asarray(sd[f"{key}.{name}"], np.float64)[None, :, None, None]
    return np.maximum((y - p("running_mean")) / np.sqrt(p("running_var") + eps) * p("weight") + p("bias"), 0.0)


def aspp(x: Any, state_dict: Mapping[str, Any], rates: Sequence[int], eps: float = 1e-5) -> np.ndarray:
    """torchvision's ``ASPP`` (segmentation.deeplabv3) in eval() mode from its state dict
    (keys ``convs.0.0.weight``, ``convs.0.1.running_var``, ..., ``convs.4.1.weight``,
    ``project.0.weight``, ...): a 1x1 branch, one 3x3 branch per dilation rate, the image
    pooling branch (mean, 1x1, upsampled from 1x1: a broadcast), each with batch norm and
    ReLU; concatenated, projected by a 1x1 with batch norm and ReLU (dropout: identity).
    (N, C, H, W) or (C, H, W), float32 or float64, all in float64 inside."""
    x = np.asarray(x)
    unbatched = x.ndim == 3
    xb = (x[None] if unbatched else x).astype(np.float64)
    sd = {k: np.asarray(v, np.float64) for k, v in state_dict.items()}
    outs = [_bn_relu(conv2d(xb, sd["convs.0.0.weight"]), sd, "convs.0.1", eps)]
    for i, r in enumerate(rates, start=1):
        outs.append(_bn_relu(conv2d(xb, sd[f"convs.{i}.0.weight"], padding=r, dilation=r), sd, f"convs.{i}.1", eps))
    i = len(rates) + 1
    pooled = xb.mean(axis=(2, 3), keepdims=True)
    pooled = _bn_relu(conv2d(pooled, sd[f"convs.{i}.1.weight"]), sd, f"convs.{i}.2", eps)
    outs.append(np.broadcast_to(pooled, outs[0].shape))
    y = _bn_relu(conv2d(np.concatenate(outs, axis=1), sd["project.0.weight"]), sd, "project.1", eps)
    y = y.astype(x.dtype)
    return y[0] if unbatched else y
