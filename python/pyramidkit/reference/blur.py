"""Reference gaussian_blur: the kernel's arithmetic, operation for operation, in NumPy."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

import math
from fractions import Fraction

from .._args import border_value, image_arg, parse_border, plane_view, prepare_out
from .pyramid import border_index

# cv2.getGaussianKernel's fixed binomial kernels, used when sigma <= 0 (OpenCV 4.x / 5.x).
_BINOMIAL = {1: [1], 3: [1, 2, 1], 5: [1, 4, 6, 4, 1], 7: [1, 7 / 2, 7, 9, 7, 7 / 2, 1],
             9: [4, 13, 30, 51, 60, 51, 30, 13, 4]}


def gaussian_taps(n: int, sigma: float) -> np.ndarray:
    """cv2.getGaussianKernel(n, sigma), written from its definition: the binomial tables for
    n <= 9 and sigma <= 0, else exp(-x^2 / (2 s^2)) at x = i - (n-1)/2, s = sigma or
    0.3 ((n-1)/2 - 1) + 0.8 (OpenCV rounds it once, as 0.15 n + 0.35), normalised to sum 1
    (the sum taken as OpenCV takes it: the left half outside in, doubled, plus the centre's
    1)."""
    if sigma <= 0 and n in _BINOMIAL:
        t = np.array(_BINOMIAL[n], dtype=np.float64)
        return t / t.sum()
    s = float(sigma) if sigma > 0 else float(Fraction(n) * Fraction(0.15) + Fraction(0.35))
    left = []
    for i in range(n // 2):
        x = i - (n - 1) * 0.5
        left.append(math.exp((x * x) * (-0.5 / (s * s))))
    total = 0.0
    for v in left:
        total += v
    scale = 1.0 / (2 * total + 1.0)
    return np.array([v * scale for v in left] + [scale] + [v * scale for v in left[::-1]])


def fixed_taps(k: np.ndarray, bits: int) -> np.ndarray:
    """OpenCV's bit-exact integer kernel (getGaussianKernelFixedPoint_ED): the side weights
    times 2^bits rounded half to even from the outside in, each carrying its rounding error
    to the next; the centre gets the rest of 2^bits."""
    n, out, err = len(k), np.zeros(len(k), np.int64), 0.0
    for i in range(n // 2):
        want = float(k[i]) * 2.0 ** bits + err
        out[i] = out[n - 1 - i] = round(want)
        err = want - out[i]
    out[n // 2] = 2 ** bits - 2 * int(out[: n // 2].sum())
    return out


def blur_kernels(dtype: np.dtype, sigma: Any, ksize: Any) -> Any:
    """(vertical taps, horizontal taps, shift) of cv2.GaussianBlur: ksize from sigma by
    OpenCV's rule (3 sigma each side for uint8, 4 otherwise), integer taps with 8 / 16
    fraction bits per pass for uint8 / uint16 (shift = both passes' bits), float taps else."""
    sy, sx = (sigma if isinstance(sigma, (tuple, list)) else (sigma, sigma))
    ky, kx = (ksize if isinstance(ksize, (tuple, list)) else (ksize or 0, ksize or 0))
    if sx == 0 and sy > 0 and not isinstance(sigma, (tuple, list)):
        sx = sy
    taps = []
    for k, s in ((ky, sy), (kx, sx)):
        if not k:
            k = int(np.rint(s * (3 if np.dtype(dtype) == np.uint8 else 4) * 2 + 1)) | 1
        taps.append(gaussian_taps(int(k), float(s)))
    bits = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16}.get(np.dtype(dtype), 0)
    if bits:
        return fixed_taps(taps[0], bits), fixed_taps(taps[1], bits), 2 * bits
    return taps[0], taps[1], 0


def _taps(k: np.ndarray, take: Any) -> Any:
    """sum_i k[i] * take(i - r): pairs from the outside in, then the centre (blur.cpp)."""
    r = len(k) // 2
    s = None
    for i in range(r, 0, -1):
        term = k[r + i] * (take(-i) + take(i))
        s = term if s is None else s + term
    return k[r] * take(0) if s is None else s + k[r] * take(0)


def gaussian_blur(img: Any, sigma: Any, *, ksize: Any = None, border: Any = "reflect101",
                  layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Reference of :func:`pyramidkit.gaussian_blur`."""
    a, lay = image_arg(img, layout)
    ky, kx, shift = blur_kernels(a.dtype, sigma, ksize)
    b, v = parse_border(border), border_value(value, a.dtype)
    # fixed point: exact integers; else float32 (float64 for float64 images)
    c = np.int64 if shift else np.float64 if a.dtype == np.float64 else np.float32
    x = plane_view(a, lay).astype(c)
    ky, kx = ky.astype(c), kx.astype(c)
    h, w = x.shape[2], x.shape[3]
    cval = np.array(v).astype(a.dtype).astype(c)
    const = np.full_like(x[:, :, 0], cval)

    def row(y: np.ndarray) -> np.ndarray:  # rows y (virtual) through the border, stacked on axis 2
        return np.stack([x[:, :, j] if j >= 0 else const for j in (border_index(int(u), h, b) for u in y)], axis=2)

    ys = np.arange(h)
    t = _taps(ky, lambda d: row(ys + d))
    cconst = _taps(ky, lambda d: cval)
    rx = len(kx) // 2
    cols = [border_index(u, w, b) for u in range(-rx, w + rx)]
    tp = np.stack([t[:, :, :, j] if j >= 0 else np.full_like(t[:, :, :, 0], cconst) for j in cols], axis=3)
    o = _taps(kx, lambda d: tp[:, :, :, rx + d:rx + d + w])
    if shift:
        o = (o + (1 << (shift - 1))) >> shift
    elif np.issubdtype(a.dtype, np.integer):
        o = np.rint(o)
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        o = np.clip(o, info.min, info.max)
    res, _ = prepare_out(out, a.shape, a.dtype, a)
    plane_view(res, lay)[...] = o.astype(a.dtype)
    return res
