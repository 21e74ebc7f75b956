"""Separable Gaussian blur with OpenCV's kernel rules."""
from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any, Optional, Tuple

import numpy as np

from . import _core
from ._args import border_value, image_arg, pair, parse_border, run_into
from ._config import get_num_threads
from ._dask import WRAP, Input, Same, check_chunks, check_no_out, is_dask, map_windows, shape_proxy

__all__ = ["gaussian_blur", "gaussian_kernel"]

# uint8 / uint16 blur with OpenCV's fixed-point kernels: (fraction bits per kernel, shift)
FIXED_POINT = {np.dtype(np.uint8): (8, 16), np.dtype(np.uint16): (16, 32)}

# getGaussianKernel's fixed kernels for ksize 1-9 when sigma <= 0 (OpenCV 4.x/5.x tables).
_SMALL = {1: [1.0], 3: [0.25, 0.5, 0.25], 5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
          7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
          9: [v / 256 for v in (4, 13, 30, 51, 60, 51, 30, 13, 4)]}


def gaussian_kernel(ksize: int, sigma: float) -> np.ndarray:
    """``cv2.getGaussianKernel(ksize, sigma)`` as a float64 vector.

    ``sigma <= 0`` takes ``0.15 * ksize + 0.35`` (= ``0.3 * ((ksize - 1) * 0.5 - 1) + 0.8``)
    and the fixed binomial kernels for ksize 1-9; weights ``exp(-x^2 / (2 sigma^2))``
    normalised to sum 1, evaluated in OpenCV's order so the values agree to the last bit
    in all but rare cases (OpenCV uses a software exp).

    >>> gaussian_kernel(3, 0).tolist()
    [0.25, 0.5, 0.25]
    """
    if isinstance(ksize, bool) or not isinstance(ksize, numbers.Integral) or ksize < 1 or ksize % 2 == 0:
        raise ValueError(f"ksize: expected a positive odd integer, got {ksize!r}")
    n = int(ksize)
    if sigma <= 0 and n in _SMALL:
        return np.array(_SMALL[n])
    # OpenCV's fused n * 0.15 + 0.35, rounded once
    s = float(sigma) if sigma > 0 else float(Fraction(n) * Fraction(0.15) + Fraction(0.35))
    scale2 = -0.125 / (s * s)
    half = [math.exp(float(x * x) * scale2) for x in range(1 - n, -1, 2)]  # x in half steps
    total = 0.0
    for v in half:
        total += v
    mul = 1.0 / (total * 2 + 1.0)
    side = [v * mul for v in half]
    return np.array(side + [mul] + side[::-1])


def fixed_kernel(kernel: np.ndarray, bits: int) -> np.ndarray:
    """OpenCV's fixed-point form of a symmetric kernel: integers summing to ``2**bits``.

    Side weights are rounded (half to even) with the error carried to the next one, from
    the outside in; the centre takes what is left (``getGaussianKernelFixedPoint_ED``).

    >>> fixed_kernel(gaussian_kernel(5, 1.0), 8).tolist()
    [14, 62, 104, 62, 14]
    """
    n = len(kernel)
    out = np.zeros(n, dtype=np.int64)
    err, scale = 0.0, float(1 << bits)
    for i in range(n // 2):
        adj = float(kernel[i]) * scale + err
        v = int(np.rint(adj))
        err = adj - v
        out[i] = out[n - 1 - i] = v
    out[n // 2] = (1 << bits) - 2 * int(out[: n // 2].sum())
    return out


def blur_kernels(dtype: np.dtype, sigma: Any, ksize: Any) -> Tuple[np.ndarray, np.ndarray, int]:
    """The (vertical, horizontal) kernels cv2.GaussianBlur would use for this dtype, and the
    fixed-point shift (0: float weights; uint8 / uint16: integer weights, see FIXED_POINT)."""
    sy, sx = pair(sigma, "sigma", real=True, minimum=0)
    ky, kx = pair(0 if ksize is None else ksize, "ksize", minimum=0)
    if sx == 0 and sy > 0 and not isinstance(sigma, (tuple, list)):
        sx = sy
    out = []
    for k, s in ((ky, sy), (kx, sx)):
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 0 or (k > 0 and k % 2 == 0):
            raise ValueError(f"ksize: expected positive odd integers (or None), got {ksize!r}")
        if k == 0:
            if s <= 0:
                raise ValueError("sigma: must be > 0 when ksize is not given")
            # cv2.GaussianBlur: 3 sigma each side for uint8, 4 for the other depths
            k = int(np.rint(s * (3 if dtype == np.uint8 else 4) * 2 + 1)) | 1
        if k > 4095:
            raise ValueError(f"ksize: {k} taps is more than the supported 4095 (sigma {s})")
        out.append(gaussian_kernel(int(k), float(s)))
    bits, shift = FIXED_POINT.get(np.dtype(dtype), (0, 0))
    if shift:
        return fixed_kernel(out[0], bits), fixed_kernel(out[1], bits), shift
    return out[0], out[1], 0


def gaussian_blur(img: Any, sigma: Any, *, ksize: Any = None, border: Any = "reflect101",
                  layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Separable Gaussian blur, ``cv2.GaussianBlur`` with NumPy (y, x) argument order.

    Parameters
    ----------
    img : array-like
        uint8, uint16, int16, float16, float32 or float64; layouts and channels as
        :func:`pyr_down`.
    sigma : float or (sigma_y, sigma_x)
        Standard deviations. One value blurs both axes alike.
    ksize : int or (ky, kx), optional
        Odd tap counts. Default from sigma as cv2 does for ksize 0:
        ``round(sigma * 2 * (3 if uint8 else 4) + 1) | 1``. With a ksize, a sigma of 0 takes
        ``0.3 * ((ksize - 1) * 0.5 - 1) + 0.8`` (``cv2.getGaussianKernel``).
    border, value, out
        As in :func:`pyr_down` (every border, also ``"wrap"`` and ``"constant"``).

    uint8 and uint16 use OpenCV's fixed-point kernels (:func:`fixed_kernel`, 8 resp. 16
    fraction bits) in exact integer arithmetic, rounded half up: bit for bit
    ``cv2.GaussianBlur`` on every border OpenCV has. int16, float16 and float32 compute in
    float32, float64 in float64: vertical pass, then horizontal, each summing the symmetric
    tap pairs from the outside in and the centre last (int16 rounds half to even and
    saturates); within 1 of OpenCV for int16 and 1e-5 of the value range for floats.
    Every dtype equals :func:`pyramidkit.reference.gaussian_blur` bit for bit.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> pk.gaussian_blur(np.eye(5, dtype=np.float32) * 16, 0, ksize=3)[1:4, 1:4]
    array([[6., 4., 1.],
           [4., 6., 4.],
           [1., 4., 6.]], dtype=float32)
    """
    if is_dask(img):
        return _gaussian_blur_dask(img, sigma, ksize, border, layout, value, out)
    a, lay = image_arg(img, layout)
    ky, kx, shift = blur_kernels(a.dtype, sigma, ksize)
    b, v = parse_border(border), border_value(value, a.dtype)
    return run_into(lambda src, dst, fresh: _core.gaussian_blur(src, dst, ky, kx, shift, b, v, get_num_threads(),
                                                                fresh), a, lay, a.shape, out)


def _blur_task(params, wins):
    sigma, ksize, border, lay, value = params
    w = wins[0]
    return gaussian_blur(w.array, sigma, ksize=ksize, border=border, layout=lay, value=value)[w.crop]


def _gaussian_blur_dask(img, sigma, ksize, border, layout, value, out):
    """Dask input: one task per input chunk, reading the kernel's radius from its neighbours."""
    check_no_out(out)
    check_chunks(img, "img")
    a, lay = image_arg(shape_proxy(img), layout)
    ky, kx, _ = blur_kernels(a.dtype, sigma, ksize)
    b, v = parse_border(border), border_value(value, a.dtype)
    hi = lay.index("H")
    wrap = b == WRAP
    rules = [None] * img.ndim
    rules[hi], rules[hi + 1] = Same(img.shape[hi], len(ky) // 2, wrap), Same(img.shape[hi + 1], len(kx) // 2, wrap)
    params = (sigma, (len(ky), len(kx)), b, lay, v)
    return map_windows(_blur_task, params, [Input(img, tuple(rules))], img.chunks, img.dtype, "gaussian-blur")
