"""Whole pyramids: Gaussian and (exactly invertible) Laplacian, built in one native call."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from . import _core
from ._args import (BAND_DTYPES, laplacian_pyramid_arg, border_value, carve, down_size, image_arg,
                    kernel_input, level_sizes, parse_border, plane_view, spatial_shape, with_spatial)
from ._config import get_num_threads
from ._memory import new_array

__all__ = ["gaussian_pyramid", "laplacian_pyramid", "reconstruct_laplacian"]


def gaussian_pyramid(img: Any, levels: Optional[int] = None, *, min_size: int = 1, border: Any = "reflect101",
                     layout: Optional[str] = None, value: float = 0.0) -> List[np.ndarray]:
    """The Gaussian pyramid ``[img, pyr_down(img), pyr_down(pyr_down(img)), ...]``.

    Parameters
    ----------
    img : array-like
        Any dtype, layout and channel count :func:`pyr_down` takes.
    levels : int, optional
        Number of levels returned, level 0 (the input itself, not a copy) included. Default:
        halve until both sides are ``<= min_size`` (``min_size=1``: the last level is 1x1).
    min_size : int
        See ``levels``.
    border, layout, value
        As in :func:`pyr_down`; each level has the default ``pyr_down`` size
        ``((H+1)//2, (W+1)//2)`` of the one above.

    Returns
    -------
    list of ndarray, img's dtype and layout. Levels 1.. are views into one allocation and
    are computed in one native call that streams through the image (each level's rows are
    consumed by the next while still in cache); equal, bit for bit, to repeated ``pyr_down``.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> [lv.shape for lv in pk.gaussian_pyramid(np.zeros((5, 8), np.uint8))]
    [(5, 8), (3, 4), (2, 2), (1, 1)]
    """
    a, lay = image_arg(img, layout)
    b, v = parse_border(border), border_value(value, a.dtype)
    h, w = spatial_shape(a, lay)
    sizes = level_sizes(h, w, levels, min_size)
    out, _ = carve([(with_spatial(a.shape, lay, lh, lw), a.dtype) for lh, lw in sizes[1:]])
    if out:
        _core.gaussian_pyramid(kernel_input(a, lay), [plane_view(o, lay) for o in out], b, v, get_num_threads())
    return [a] + out


def laplacian_pyramid(img: Any, levels: Optional[int] = None, *, min_size: int = 1, border: Any = "reflect101",
                      layout: Optional[str] = None, value: float = 0.0) -> List[np.ndarray]:
    """Burt-Adelson Laplacian pyramid: ``L_i = G_i - pyr_up(G_{i+1}, dst_size=G_i's size)``.

    ``G`` is :func:`gaussian_pyramid`; the last element is the coarsest Gaussian level
    (img's dtype). :func:`reconstruct_laplacian` inverts it for every size (odd ones
    too), bit for bit for integer images.

    Band dtypes (the difference of two images of the dtype must fit):

    ======== ======= =================================================
    image    bands   round trip
    ======== ======= =================================================
    uint8    int16   exact
    uint16   int32   exact
    int16    int32   exact
    float16  float32 exact unless a difference needs > 24 bits (then 1 ulp)
    float32  float32 within a few ulps of the values
    float64  float64 within a few ulps of the values
    ======== ======= =================================================

    ``pyr_up`` is taken in the image dtype (rounded as :func:`pyr_up` rounds), so
    ``G_i = L_i + pyr_up(G_{i+1})`` holds exactly in integers. Float differences and sums
    are computed in the band dtype.

    Parameters are as in :func:`gaussian_pyramid`; ``levels`` counts the returned arrays
    (bands and the coarsest level). All of them share one allocation; the Gaussian levels
    in between are computed in one native call and not returned.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> img = np.arange(35, dtype=np.uint8).reshape(5, 7)
    >>> lp = pk.laplacian_pyramid(img, 3)
    >>> [(x.shape, x.dtype.name) for x in lp]
    [((5, 7), 'int16'), ((3, 4), 'int16'), ((2, 2), 'uint8')]
    >>> bool((pk.reconstruct_laplacian(lp) == img).all())
    True
    """
    a, lay = image_arg(img, layout)
    b, v = parse_border(border), border_value(value, a.dtype)
    h, w = spatial_shape(a, lay)
    sizes = level_sizes(h, w, levels, min_size)
    if len(sizes) == 1:
        return [a]
    band_dt = BAND_DTYPES[a.dtype]
    res, fresh = carve([(with_spatial(a.shape, lay, lh, lw), band_dt) for lh, lw in sizes[:-1]]
                       + [(with_spatial(a.shape, lay, *sizes[-1]), a.dtype)])
    gauss, _ = carve([(with_spatial(a.shape, lay, lh, lw), a.dtype) for lh, lw in sizes[1:-1]], scratch=True)
    gauss.append(res[-1])
    _core.laplacian_pyramid(kernel_input(a, lay), [plane_view(g, lay) for g in gauss],
                            [plane_view(x, lay) for x in res[:-1]], b, v, get_num_threads(), fresh)
    return res


def reconstruct_laplacian(pyramid: Sequence[Any], *, border: Any = "reflect101", layout: Optional[str] = None,
                          value: float = 0.0) -> np.ndarray:
    """Invert :func:`laplacian_pyramid`: ``G_i = L_i + pyr_up(G_{i+1})`` from the coarsest up.

    Pass the same ``border`` (and ``value``) the pyramid was built with. Integer images are
    restored bit for bit, float ones within a few ulps; sums outside the dtype's range
    (edited bands) saturate. Returns a new array of the coarsest level's dtype and level
    0's size.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> img = np.random.default_rng(0).integers(0, 256, (125, 125), dtype=np.uint8)
    >>> bool((pk.reconstruct_laplacian(pk.laplacian_pyramid(img)) == img).all())
    True
    """
    bands, coarse, lay = laplacian_pyramid_arg(pyramid, layout)
    b, v = parse_border(border), border_value(value, coarse.dtype)
    if not bands:
        return coarse.copy()
    sizes = [spatial_shape(x, lay) for x in bands] + [spatial_shape(coarse, lay)]
    for i in range(len(bands)):
        other = with_spatial(bands[i].shape, lay, 1, 1), with_spatial(coarse.shape, lay, 1, 1)
        if other[0] != other[1]:
            raise ValueError(f"pyramid[{i}]: shape {bands[i].shape} does not match the coarsest level's "
                             f"{coarse.shape} outside the spatial axes")
        expected = down_size(*sizes[i])
        if sizes[i + 1] != expected:
            raise ValueError(f"pyramid[{i + 1}]: size {sizes[i + 1]} is not the pyr_down size {expected} of "
                             f"level {i}'s {sizes[i]}")
    result, fresh = new_array(with_spatial(coarse.shape, lay, *sizes[0]), coarse.dtype)
    fine = [result]
    fine += carve([(with_spatial(coarse.shape, lay, lh, lw), coarse.dtype) for lh, lw in sizes[1:-1]], scratch=True)[0]
    _core.reconstruct_laplacian([kernel_input(x, lay) for x in bands], kernel_input(coarse, lay),
                                [plane_view(f, lay) for f in fine], b, v, get_num_threads(), fresh)
    return fine[0]
