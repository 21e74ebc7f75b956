"""Difference-of-Gaussian pyramid: the SIFT scale space (Lowe 2004, as OpenCV's SIFT builds it)."""
from __future__ import annotations

import math
from typing import Any, List, NamedTuple, Optional

import numpy as np

from ._args import dog_args, image_arg, spatial_shape
from ._memory import new_array
from .blur import gaussian_blur
from .resample import resize

__all__ = ["dog_pyramid", "DogPyramid"]


class DogPyramid(NamedTuple):
    """Result of :func:`dog_pyramid`; one entry per octave in ``gaussians`` and ``dogs``.

    >>> import numpy as np, pyramidkit as pk
    >>> p = pk.dog_pyramid(np.zeros((32, 32), np.uint8), octaves=2)
    >>> len(p.gaussians), p.dogs[0].shape, p.sigmas.shape
    (2, (5, 32, 32), (6,))
    """
    gaussians: List[np.ndarray]  # (scales + 3, *octave image shape)
    dogs: List[np.ndarray]       # (scales + 2, *octave image shape): gaussians[o][i+1] - gaussians[o][i]
    sigmas: np.ndarray           # (scales + 3,): blur of Gaussian i in its octave's pixels, sigma * 2**(i/scales)


def dog_params(img_hw: tuple, octaves: Any, scales: Any, sigma: Any, assume_blur: Any, upsample: Any,
               dtype: Any) -> tuple:
    """(octaves, scales, sigma, base blur, incremental blurs, dtype): the blurs SIFT applies."""
    octaves, scales, sigma, assume_blur, upsample, dt = dog_args(img_hw, octaves, scales, sigma, assume_blur,
                                                                 upsample, dtype)
    base = math.sqrt(max(sigma * sigma - (assume_blur * (2 if upsample else 1)) ** 2, 0.01))
    k = 2.0 ** (1.0 / scales)
    steps = [0.0]
    for i in range(1, scales + 3):
        prev = k ** (i - 1) * sigma
        total = prev * k
        steps.append(math.sqrt(total * total - prev * prev))
    return int(octaves), int(scales), float(sigma), base, steps, dt


def decimate_index(ndim: int, lay: str) -> tuple:
    """Index of the even rows and columns, floor(H/2) x floor(W/2) (cv2.resize INTER_NEAREST, 1/2)."""
    idx = [slice(None)] * ndim
    for axis in "HW":
        idx[lay.index(axis) - len(lay) + ndim] = slice(None, -1, 2)  # floor(n/2) even indices
    return tuple(idx)


def dog_pyramid(img: Any, *, octaves: Optional[int] = None, scales: int = 3, sigma: float = 1.6,
                assume_blur: float = 0.5, upsample: bool = False, dtype: Any = np.float32,
                border: Any = "reflect101", layout: Optional[str] = None) -> DogPyramid:
    """The SIFT scale space: per octave ``scales + 3`` Gaussians and ``scales + 2`` DoGs.

    As OpenCV's SIFT builds it: the image is converted to ``dtype`` (values kept, not
    rescaled), doubled with bilinear interpolation if ``upsample``, and blurred to
    ``sigma`` assuming it already has a blur of ``assume_blur`` (doubled with the image):
    ``sqrt(max(sigma^2 - assume_blur'^2, 0.01))``. In an octave, Gaussian ``i`` is
    Gaussian ``i-1`` blurred by ``sqrt(s_i^2 - s_{i-1}^2)``, ``s_i = sigma * 2^(i/scales)``
    (:func:`gaussian_blur`, OpenCV's kernel sizes, ``border``); the next octave starts from
    every second pixel (even rows and columns) of Gaussian ``scales``.

    Parameters
    ----------
    img : array-like
        Any dtype and layout :func:`gaussian_blur` takes (all channels and planes are
        filtered independently).
    octaves : int, optional
        Default OpenCV's ``round(log2(min(H, W)) - 2)`` of the base image, ``+1`` with
        ``upsample``, at least 1. An octave must be at least 1x1.
    scales, sigma, assume_blur, upsample
        SIFT's ``nOctaveLayers`` (3), base sigma (1.6), assumed input blur (0.5) and
        whether the first octave is the doubled image.
    dtype : float32 (default) or float64
        The type the whole scale space is computed and returned in.

    Returns
    -------
    DogPyramid(gaussians, dogs, sigmas): per octave, ``gaussians[o]`` has shape
    ``(scales + 3, *image shape of octave o)`` and ``dogs[o] = gaussians[o][1:] -
    gaussians[o][:-1]``; ``sigmas[i] = sigma * 2**(i/scales)``.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> p = pk.dog_pyramid(np.zeros((64, 48), np.uint8))
    >>> [g.shape for g in p.gaussians], [d.shape for d in p.dogs][0]
    ([(6, 64, 48), (6, 32, 24), (6, 16, 12), (6, 8, 6)], (5, 64, 48))
    """
    a, lay = image_arg(img, layout)
    n_oct, n_sc, sig, base_blur, steps, dt = dog_params(spatial_shape(a, lay), octaves, scales, sigma,
                                                        assume_blur, upsample, dtype)
    x = a.astype(dt)
    if upsample:  # cv2.resize INTER_LINEAR to twice the size, as OpenCV's SIFT
        h, w = spatial_shape(x, lay)
        x = resize(x, (2 * h, 2 * w), layout=lay)
    gaussians, dogs = [], []
    for o in range(n_oct):
        if o:  # every second pixel of Gaussian `scales` of the octave above
            x = gaussians[-1][n_sc][decimate_index(x.ndim, lay)]
        g, _ = new_array((n_sc + 3,) + x.shape, dt)
        if o:
            g[0] = x
        else:
            gaussian_blur(x, base_blur, border=border, layout=lay, out=g[0])
        for i in range(1, n_sc + 3):
            gaussian_blur(g[i - 1], steps[i], border=border, layout=lay, out=g[i])
        d, _ = new_array((n_sc + 2,) + x.shape, dt)
        np.subtract(g[1:], g[:-1], out=d)
        gaussians.append(g)
        dogs.append(d)
    return DogPyramid(gaussians, dogs, sig * 2.0 ** (np.arange(n_sc + 3) / n_sc))
