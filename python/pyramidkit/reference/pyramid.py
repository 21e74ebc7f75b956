"""Reference of the pyramid family: pyr_down / pyr_up from their definitions, and whole
Gaussian / Laplacian pyramids level by level from those."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .._args import (BAND_DTYPES, BORDERS, image_arg, laplacian_pyramid_arg, level_sizes, plane_view, prepare_out, pyr_args,
                     spatial_shape)


# OpenCV's border codes (one definition, cpp/core/image.hpp, through _args)
_REPLICATE, _REFLECT, _WRAP, _REFLECT101 = (BORDERS[n] for n in ("replicate", "reflect", "wrap", "reflect101"))


def border_index(p: int, n: int, border: int) -> int:
    """OpenCV's borderInterpolate: the index virtual index p reads, or -1 for the constant."""
    if 0 <= p < n:
        return p
    if border == _REPLICATE:
        return 0 if p < 0 else n - 1
    if border in (_REFLECT, _REFLECT101):
        if n == 1:
            return 0
        delta = 1 if border == _REFLECT101 else 0
        while not 0 <= p < n:
            p = -p - 1 + delta if p < 0 else n - 1 - (p - n) - delta
        return p
    if border == _WRAP:
        return p % n
    return -1


def _weights(taps, n: int) -> np.ndarray:
    """Dense (m, n+1) matrix from a list of {source index: weight} rows; index -1 is the constant."""
    w = np.zeros((len(taps), n + 1))
    for i, row in enumerate(taps):
        for j, c in row:
            w[i, j if j >= 0 else n] += c
    return w


def down_weights(n: int, m: int, border: int) -> np.ndarray:
    k = (1, 4, 6, 4, 1)
    return _weights([[(border_index(2 * y + i - 2, n, border), k[i]) for i in range(5)] for y in range(m)], n)


def up_index(v: int, n: int, border: int, is_row: bool) -> int:
    # OpenCV's reflect101 reflects on the upsampled grid: on the source grid that is
    # reflect-101 at the low end, replicate for columns / reflect for rows at the high end.
    if border == _REFLECT101 and v >= n:
        return border_index(v, n, _REFLECT if is_row else _REPLICATE)
    return border_index(v, n, border)


def up_weights(n: int, m: int, border: int, is_row: bool) -> np.ndarray:
    taps = []
    for x in range(m):
        i = x // 2
        src = [(i - 1, 1), (i, 6), (i + 1, 1)] if x % 2 == 0 else [(i, 4), (i + 1, 4)]
        taps.append([(up_index(v, n, border, is_row), c) for v, c in src])
    return _weights(taps, n)


def _apply(r, wy: np.ndarray, wx: np.ndarray, shift: int, out: Optional[np.ndarray]) -> np.ndarray:
    a = r.img
    v = plane_view(a, r.layout).astype(np.float64)
    h, w = v.shape[2], v.shape[3]
    ext = np.full(v.shape[:2] + (h + 1, w + 1) + v.shape[4:], r.value)  # row/col h, w: the constant
    ext[:, :, :h, :w] = v
    s = np.einsum("yi,abijc,xj->abyxc", wy, ext, wx, optimize=True)
    if np.issubdtype(a.dtype, np.integer):
        # Exact: sums of integers times small weights are exact in float64.
        res = (s.astype(np.int64) + (1 << (shift - 1))) >> shift
        info = np.iinfo(a.dtype)
        res = np.clip(res, info.min, info.max)
    else:
        res = s / float(1 << shift)
    result, _ = prepare_out(out, r.out_shape, a.dtype, a)
    plane_view(result, r.layout)[...] = res.astype(a.dtype)
    return result


def pyr_down(img: Any, *, dst_size: Optional[Tuple[int, int]] = None, border: Any = "reflect101",
             layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Reference of :func:`pyramidkit.pyr_down`."""
    r = pyr_args("pyr_down", img, dst_size, border, value, layout)
    (h, w), (dh, dw) = r.img.shape[r.layout.index("H"):][:2], r.dst_hw
    return _apply(r, down_weights(h, dh, r.border), down_weights(w, dw, r.border), 8, out)


def pyr_up(img: Any, *, dst_size: Optional[Tuple[int, int]] = None, border: Any = "reflect101",
           layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Reference of :func:`pyramidkit.pyr_up`."""
    r = pyr_args("pyr_up", img, dst_size, border, value, layout)
    (h, w), (dh, dw) = r.img.shape[r.layout.index("H"):][:2], r.dst_hw
    return _apply(r, up_weights(h, dh, r.border, True), up_weights(w, dw, r.border, False), 6, out)


def gaussian_pyramid(img: Any, levels: Optional[int] = None, *, min_size: int = 1, border: Any = "reflect101",
                     layout: Optional[str] = None, value: float = 0.0) -> List[np.ndarray]:
    """Reference of :func:`pyramidkit.gaussian_pyramid`: repeated reference pyr_down."""
    a, lay = image_arg(img, layout)
    out = [a]
    for _ in level_sizes(*spatial_shape(a, lay), levels, min_size)[1:]:
        out.append(pyr_down(out[-1], border=border, layout=lay, value=value))
    return out


def _saturate(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(x, info.min, info.max).astype(dtype)
    return x.astype(dtype)


def laplacian_pyramid(img: Any, levels: Optional[int] = None, *, min_size: int = 1, border: Any = "reflect101",
                      layout: Optional[str] = None, value: float = 0.0) -> List[np.ndarray]:
    """Reference of :func:`pyramidkit.laplacian_pyramid`."""
    a, lay = image_arg(img, layout)
    g = gaussian_pyramid(a, levels, min_size=min_size, border=border, layout=lay, value=value)
    bd = BAND_DTYPES[a.dtype]
    bands = []
    for fine, coarse in zip(g[:-1], g[1:]):
        up = pyr_up(coarse, dst_size=spatial_shape(fine, lay), border=border, layout=lay, value=value)
        bands.append(fine.astype(bd) - up.astype(bd))
    return bands + [g[-1]]


def reconstruct_laplacian(pyramid: Sequence[Any], *, border: Any = "reflect101", layout: Optional[str] = None,
                          value: float = 0.0) -> np.ndarray:
    """Reference of :func:`pyramidkit.reconstruct_laplacian`."""
    bands, cur, lay = laplacian_pyramid_arg(pyramid, layout)
    cur = cur.copy()
    for band in reversed(bands):
        up = pyr_up(cur, dst_size=spatial_shape(band, lay), border=border, layout=lay, value=value)
        wide = np.int64 if np.issubdtype(band.dtype, np.integer) else band.dtype
        cur = _saturate(band.astype(wide) + up.astype(wide), cur.dtype)
    return cur
