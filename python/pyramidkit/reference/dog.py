"""Reference dog_pyramid: OpenCV SIFT's buildGaussianPyramid / buildDoGPyramid in NumPy."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

import math

from .._args import dog_args, image_arg, spatial_shape
from ..dog import DogPyramid  # the result container (a NamedTuple), not a computation
from .blur import gaussian_blur


def _sift_blurs(scales: int, sigma: float, assume_blur: float, upsample: bool):
    """SIFT's blurs: the base image is blurred from its assumed blur (doubled when upsampled)
    up to sigma, with at least 0.1; Gaussian i of an octave has blur sigma 2^(i/scales) and
    is made from Gaussian i - 1 by the blur that adds the difference of their variances."""
    base = math.sqrt(max(sigma * sigma - (assume_blur * (2 if upsample else 1)) ** 2, 0.01))
    k = 2.0 ** (1.0 / scales)
    steps = [0.0]
    for i in range(1, scales + 3):
        prev = k ** (i - 1) * sigma
        total = prev * k
        steps.append(math.sqrt(total * total - prev * prev))
    return base, steps


def _resize2x_linear(x: np.ndarray, ax: int) -> np.ndarray:
    """Doubles axis ax: output j samples source (j + 0.5) / 2 - 0.5, clamped to the edge."""
    n = x.shape[ax]
    j = np.arange(2 * n)
    src = (j + 0.5) / 2 - 0.5
    i0 = np.floor(src).astype(int)
    frac = (src - i0).astype(x.dtype)  # 0.25 or 0.75
    lo, hi = np.clip(i0, 0, n - 1), np.clip(i0 + 1, 0, n - 1)
    shape = [1] * x.ndim
    shape[ax] = 2 * n
    w1 = frac.reshape(shape)
    w0 = (1 - frac).reshape(shape)
    return np.take(x, lo, axis=ax) * w0 + np.take(x, hi, axis=ax) * w1


def dog_pyramid(img: Any, *, octaves: Optional[int] = None, scales: int = 3, sigma: float = 1.6,
                assume_blur: float = 0.5, upsample: bool = False, dtype: Any = np.float32,
                border: Any = "reflect101", layout: Optional[str] = None) -> DogPyramid:
    """Reference of :func:`pyramidkit.dog_pyramid`."""
    a, lay = image_arg(img, layout)
    n_oct, n_sc, sig, assumed, upsample, dt = dog_args(spatial_shape(a, lay), octaves, scales, sigma,
                                                       assume_blur, upsample, dtype)
    base_blur, steps = _sift_blurs(n_sc, sig, assumed, upsample)
    ax_h, ax_w = (lay.index(c) - len(lay) + a.ndim for c in "HW")
    x = a.astype(dt)
    if upsample:
        x = _resize2x_linear(_resize2x_linear(x, ax_w), ax_h)
    pyr = []  # octave-major, scales + 3 per octave
    for o in range(n_oct):
        for i in range(n_sc + 3):
            if o == 0 and i == 0:
                pyr.append(gaussian_blur(x, base_blur, border=border, layout=lay))
            elif i == 0:
                src = pyr[(o - 1) * (n_sc + 3) + n_sc]
                h, w = src.shape[ax_h] // 2, src.shape[ax_w] // 2
                pyr.append(np.take(np.take(src, 2 * np.arange(h), axis=ax_h), 2 * np.arange(w), axis=ax_w))
            else:
                pyr.append(gaussian_blur(pyr[-1], steps[i], border=border, layout=lay))
    gaussians = [np.stack(pyr[o * (n_sc + 3):(o + 1) * (n_sc + 3)]) for o in range(n_oct)]
    dogs = [np.stack([g[i + 1] - g[i] for i in range(n_sc + 2)]) for g in gaussians]
    return DogPyramid(gaussians, dogs, sig * 2.0 ** (np.arange(n_sc + 3) / n_sc))
