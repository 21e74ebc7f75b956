"""Reference Gaussian / Laplacian pyramids: the definitions, level by level."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from .._args import BAND_DTYPES, image_arg, laplacian_pyramid_arg, level_sizes, spatial_shape
from .pyramid import pyr_down, pyr_up


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
