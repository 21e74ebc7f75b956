"""The Gaussian pyramid family: pyr_down and pyr_up (OpenCV's reduce and expand steps), and
whole pyramids, Gaussian and (exactly invertible) Laplacian, each built in one native call."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._args import (BAND_DTYPES, border_value, down_size, image_arg, kernel_input, laplacian_pyramid_arg,
                    level_sizes, parse_border, plane_view, pyr_args, run_into, spatial_shape, with_spatial)
from ._config import get_num_threads
from ._dask import (WRAP, Down, Input, Up, any_dask, as_dask, check_chunks, check_no_out, is_dask, level_chunks,
                    map_windows, shape_proxy)
from ._memory import carve, new_array

__all__ = ["pyr_down", "pyr_up", "gaussian_pyramid", "laplacian_pyramid", "reconstruct_laplacian"]


def pyr_down(img: Any, *, dst_size: Optional[Tuple[int, int]] = None, border: Any = "reflect101",
             layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Blur with the 5x5 Gaussian [1 4 6 4 1]/16 (separable) and drop every other row and column.

    ``dst(y, x) = sum_ij k[i] k[j] src(B(2y+i-2), B(2x+j-2)) / 256`` with ``k = [1, 4, 6, 4, 1]``
    and ``B`` the border rule, exactly ``cv2.pyrDown``.

    Parameters
    ----------
    img : array-like
        uint8, uint16, int16, float16, float32 or float64; any number of channels.
    dst_size : (height, width), optional
        Default ``((H+1)//2, (W+1)//2)``. Any size with ``|2*dst - src| <= 2`` per axis, as
        OpenCV allows. Note the NumPy order (height, width), unlike cv2's ``dstsize``.
    border : str or int
        ``"reflect101"`` (default, OpenCV's BORDER_DEFAULT), ``"reflect"``, ``"replicate"``,
        ``"wrap"`` or ``"constant"`` (with ``value``); cv2.BORDER_* codes 0-4 are accepted.
    layout : str, optional
        ``"HW"``, ``"HWC"``, ``"CHW"``, ``"NHWC"`` or ``"NCHW"``; default by ndim: HW, HWC, NHWC.
    value : float
        Border value for ``"constant"``, saturated to the dtype as cv2 does.
    out : ndarray, optional
        Destination of the result's shape and dtype, not overlapping ``img``.

    Returns
    -------
    ndarray of img's dtype and layout, spatial size ``dst_size``.

    Integer results are bit-exact with OpenCV (sum rounded by ``(s + 128) >> 8``).
    float32 and float16 compute in float32, float64 in float64; the summation order differs
    from OpenCV's, so results agree within a few ulps of the value range.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> img = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16
    >>> pk.pyr_down(img)          # equal to cv2.pyrDown(img)
    array([[ 60,  78],
           [132, 150]], dtype=uint8)
    """
    if is_dask(img):
        return _pyr_dask("pyr_down", img, dst_size, border, value, layout, out)
    r = pyr_args("pyr_down", img, dst_size, border, value, layout)
    return run_into(lambda src, dst, fresh: _core.pyr_down(src, dst, r.border, r.value, get_num_threads(), fresh),
                    r.img, r.layout, r.out_shape, out)


def pyr_up(img: Any, *, dst_size: Optional[Tuple[int, int]] = None, border: Any = "reflect101",
           layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Double the size: insert zeros between samples, then filter with 4 x the 5x5 Gaussian.

    Per axis ``out[2i] = (s[i-1] + 6 s[i] + s[i+1]) / 8`` and ``out[2i+1] = (s[i] + s[i+1]) / 2``,
    exactly ``cv2.pyrUp`` (integers rounded by ``(s + 32) >> 6``).

    Parameters
    ----------
    img : array-like
        uint8, uint16, int16, float16, float32 or float64; any number of channels.
    dst_size : (height, width), optional
        Default ``(2H, 2W)``; per axis ``2n`` or ``2n +- 1`` as OpenCV allows. ``2n-1`` drops
        the last row/column; ``2n+1`` adds one: the extra column repeats column ``2W-1`` and
        the extra row repeats row ``2H-2``, which is what cv2.pyrUp does.
    border : str or int
        ``"reflect101"`` (default) is OpenCV's rule, a reflection on the upsampled grid:
        on the source grid it reads ``s[-1] = s[1]`` at the top/left and ``s[H] = s[H-1]`` at
        the bottom/right. The other borders (``"reflect"``, ``"replicate"``, ``"wrap"``,
        ``"constant"`` with ``value``) extend the source grid by that rule before upsampling.
        The filter only reaches one source pixel past the edge, so ``"reflect"`` and
        ``"replicate"`` give the same result. (cv2.pyrUp accepts only the default.)
    layout, value, out
        As in :func:`pyr_down`.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> pk.pyr_up(np.array([[0, 64], [128, 255]], dtype=np.uint8))   # equal to cv2.pyrUp
    array([[ 52,  72, 102, 112],
           [ 88, 112, 148, 160],
           [142, 172, 216, 231],
           [160, 192, 239, 255]], dtype=uint8)
    """
    if is_dask(img):
        return _pyr_dask("pyr_up", img, dst_size, border, value, layout, out)
    r = pyr_args("pyr_up", img, dst_size, border, value, layout)
    return run_into(lambda src, dst, fresh: _core.pyr_up(src, dst, r.border, r.value, get_num_threads(), fresh),
                    r.img, r.layout, r.out_shape, out)


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
    if is_dask(img):
        return _gaussian_pyramid_dask(img, levels, min_size, border, layout, value)
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
    if is_dask(img):
        return _laplacian_pyramid_dask(img, levels, min_size, border, layout, value)
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
    if not isinstance(pyramid, np.ndarray) and isinstance(pyramid, Sequence) and any_dask(pyramid):
        return _reconstruct_laplacian_dask(pyramid, border, layout, value)
    bands, coarse, lay = laplacian_pyramid_arg(pyramid, layout)
    b, v = parse_border(border), border_value(value, coarse.dtype)
    if not bands:
        return coarse.copy()
    sizes = _laplacian_sizes(bands, coarse, lay)
    result, fresh = new_array(with_spatial(coarse.shape, lay, *sizes[0]), coarse.dtype)
    fine = [result]
    fine += carve([(with_spatial(coarse.shape, lay, lh, lw), coarse.dtype) for lh, lw in sizes[1:-1]], scratch=True)[0]
    _core.reconstruct_laplacian([kernel_input(x, lay) for x in bands], kernel_input(coarse, lay),
                                [plane_view(f, lay) for f in fine], b, v, get_num_threads(), fresh)
    return fine[0]


def _laplacian_sizes(bands: Sequence[np.ndarray], coarse: np.ndarray, lay: str) -> List[Tuple[int, int]]:
    """Every level's (h, w), checked to be a Laplacian pyramid's."""
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
    return sizes


# Dask arrays: one graph layer per level, one task per output chunk (see _dask). The task
# functions run the in-memory ops above on each chunk's window.

def _rules(ndim: int, lay: str, rule: Any, src_hw: Tuple[int, int], dst_hw: Tuple[int, int], border: int):
    hi = lay.index("H")
    rules = [None] * ndim
    rules[hi] = rule(src_hw[0], dst_hw[0], border == WRAP)
    rules[hi + 1] = rule(src_hw[1], dst_hw[1], border == WRAP)
    return tuple(rules)


def _pyr_task(params, wins):
    op, border, value, lay = params
    w = wins[0]
    hi = lay.index("H")
    f = pyr_down if op == "pyr_down" else pyr_up
    return f(w.array, dst_size=w.out_lens[hi:hi + 2], border=border, layout=lay, value=value)[w.crop]


def _pyr_level(op: str, x: Any, lay: str, dst_hw: Tuple[int, int], border: int, value: float):
    hi = lay.index("H")
    src_hw = x.shape[hi], x.shape[hi + 1]
    shape = with_spatial(x.shape, lay, *dst_hw)
    rules = _rules(x.ndim, lay, Down if op == "pyr_down" else Up, src_hw, dst_hw, border)
    return map_windows(_pyr_task, (op, border, value, lay), [Input(x, rules)], level_chunks(x, shape, (hi, hi + 1)),
                       x.dtype, op.replace("_", "-"))


def _pyr_dask(op: str, img: Any, dst_size: Any, border: Any, value: Any, layout: Optional[str], out: Any):
    check_no_out(out)
    check_chunks(img, "img")
    r = pyr_args(op, shape_proxy(img), dst_size, border, value, layout)
    return _pyr_level(op, img, r.layout, r.dst_hw, r.border, r.value)


def _gaussian_levels(img: Any, levels: Any, min_size: Any, border: Any, layout: Optional[str], value: Any):
    check_chunks(img, "img")
    a, lay = image_arg(shape_proxy(img), layout)
    b, v = parse_border(border), border_value(value, a.dtype)
    sizes = level_sizes(*spatial_shape(a, lay), levels, min_size)
    out = [img]
    for hw in sizes[1:]:
        out.append(_pyr_level("pyr_down", out[-1], lay, hw, b, v))
    return out, lay, b, v


def _gaussian_pyramid_dask(img, levels, min_size, border, layout, value):
    return _gaussian_levels(img, levels, min_size, border, layout, value)[0]


def _band_task(params, wins):
    border, value, lay, band = params
    up, fine = wins
    hi = lay.index("H")
    u = pyr_up(up.array, dst_size=up.out_lens[hi:hi + 2], border=border, layout=lay, value=value)[up.crop]
    return fine.array.astype(band) - u.astype(band)


def _laplacian_pyramid_dask(img, levels, min_size, border, layout, value):
    g, lay, b, v = _gaussian_levels(img, levels, min_size, border, layout, value)
    band = BAND_DTYPES[img.dtype]
    hi = lay.index("H")
    out = []
    for fine, coarse in zip(g[:-1], g[1:]):
        rules = _rules(fine.ndim, lay, Up, coarse.shape[hi:hi + 2], fine.shape[hi:hi + 2], b)
        out.append(map_windows(_band_task, (b, v, lay, band), [Input(coarse, rules), Input(fine, (None,) * fine.ndim)],
                               fine.chunks, band, "laplacian-band"))
    return out + [g[-1]]


def _add_task(params, wins):
    border, value, lay, band, dtype = params
    up, bandw = wins
    hi = lay.index("H")
    u = pyr_up(up.array, dst_size=up.out_lens[hi:hi + 2], border=border, layout=lay, value=value)[up.crop]
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (bandw.array.astype(band) + u.astype(band)).astype(dt)
    wide = np.int32 if np.dtype(band).itemsize == 2 else np.int64
    s = bandw.array.astype(wide) + u.astype(wide)
    info = np.iinfo(dt)
    return np.clip(s, info.min, info.max).astype(dt)


def _reconstruct_laplacian_dask(pyramid, border, layout, value):
    pyramid = list(pyramid)
    for i, x in enumerate(pyramid):
        if is_dask(x):
            check_chunks(x, f"pyramid[{i}]")
    bands, coarse, lay = laplacian_pyramid_arg([shape_proxy(x) if is_dask(x) else x for x in pyramid], layout)
    b, v = parse_border(border), border_value(value, coarse.dtype)
    sizes = _laplacian_sizes(bands, coarse, lay)
    band = BAND_DTYPES[coarse.dtype]
    g = as_dask(pyramid[-1])
    for i in range(len(bands) - 1, -1, -1):
        lp = as_dask(pyramid[i])
        rules = _rules(lp.ndim, lay, Up, sizes[i + 1], sizes[i], b)
        g = map_windows(_add_task, (b, v, lay, band, coarse.dtype.str), [Input(g, rules), Input(lp, (None,) * lp.ndim)],
                        lp.chunks, coarse.dtype, "reconstruct-laplacian")
    return g
