"""N-D downsampling of images and volumes (``downsample``) and whole multiscale pyramids
(``multiscale``), for NumPy and Dask arrays, with OME axis letters (t c z y x)."""
from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._args import DownsampleArgs, downsample_args, downsample_shape, multiscale_factors
from ._config import get_num_threads, num_threads
from ._dask import WRAP, Box, Down, Input, check_chunks, is_dask, level_chunks, map_windows, shape_proxy
from ._memory import new_array
from .pyramid import gaussian_pyramid, pyr_down

__all__ = ["downsample", "multiscale"]


# The per-slab output the NumPy path works on (its temporaries are a few times this).
_SLAB_BYTES = 8 << 20


def downsample(x: Any, factor: Any = 2, *, method: str = "gaussian", axes: Optional[str] = None,
               border: Any = "reflect101", value: float = 0.0) -> Any:
    """Downsample the spatial axes (z, y, x) of an image or volume by an integer factor.

    Parameters
    ----------
    x : array-like or dask.array.Array
        A NumPy array (or any array-like) or a Dask array (the result is then a lazy Dask
        array, bit-identical to the NumPy result for every chunking).
    factor : int or sequence of int
        One factor for every spatial axis, or one per spatial axis in ``axes`` order; 1
        keeps an axis (an anisotropic volume keeps z while y and x shrink).
    method : str
        ``"gaussian"`` (factor 2 or 1 per axis): the [1 4 6 4 1]/16 filter along every axis
        with factor 2, then every second sample; on y and x exactly :func:`pyr_down`.
        Integers are the exact separable sum rounded half up once; floats compute in
        float32 (float16, float32) or float64, z first, then y and x as pyr_down does.
        ``"mean"``: the mean of each box of factor samples per axis; a partial box at an
        odd edge averages the samples inside the image; integers round half up.
        ``"nearest"``: the first sample of each box (``x[::f]``). ``"mode"``: the most
        frequent value of the box, ties to the smallest (label images). ``"min"``, ``"max"``.
    axes : str, optional
        One OME letter per array axis from ``"tczyx"``: z, y, x are spatial, t and c are
        carried along. Default by ndim as the image ops' layouts: 2 -> ``"yx"``, 3 ->
        ``"yxc"`` (HWC), 4 -> ``"tyxc"`` (NHWC). A volume says ``axes="zyx"``.
    border, value
        The gaussian method's border, as in :func:`pyr_down` (``value`` for "constant").

    Returns
    -------
    Array of x's dtype, each spatial axis ``ceil(n / factor)`` long.

    Dtypes: gaussian and mean take the image dtypes (uint8, uint16, int16, float16,
    float32, float64); nearest, mode, min and max also bool, int8, int32, uint32, int64,
    uint64 (labels).

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> vol = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    >>> pk.downsample(vol, 2, method="mean", axes="zyx")
    array([[[11, 13],
            [19, 21]]], dtype=uint8)
    >>> pk.downsample(np.zeros((5, 7)), (1, 2)).shape
    (5, 4)
    """
    if is_dask(x):
        check_chunks(x, "x")
        r = downsample_args(shape_proxy(x), factor, method, axes, border, value)
        return _downsample_dask(x, r, None)
    r = downsample_args(x, factor, method, axes, border, value)
    return _downsample(r)


def multiscale(x: Any, levels: Optional[int] = None, *, factor: Any = 2, method: str = "gaussian",
               axes: Optional[str] = None, min_size: int = 1, border: Any = "reflect101", value: float = 0.0,
               chunks: Any = None) -> List[Any]:
    """``[x, downsample(x), downsample(downsample(x)), ...]``: a multiscale pyramid.

    Parameters
    ----------
    x, factor, method, axes, border, value
        As in :func:`downsample`.
    levels : int, optional
        Number of levels returned, level 0 (x itself) included. Default: go on until every
        spatial axis has reached ``min_size``.
    min_size : int
        An axis at or below this size stops shrinking (its factor becomes 1).
    chunks : int or sequence of int, optional
        Dask input only: the chunk shape of every level (one int for every spatial axis, or
        one per spatial axis); default the input's chunk shape, as OME-Zarr viewers expect.
        Carried axes keep the input's chunks.

    With method gaussian on a 2-D image and the default ``min_size=1``, the levels are
    :func:`gaussian_pyramid`'s whenever both axes halve at every level (for NumPy input
    computed by it, in one native call). Where one axis reaches ``min_size`` first, it
    stops being filtered, unlike in gaussian_pyramid, which goes on filtering it.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> [lv.shape for lv in pk.multiscale(np.zeros((3, 16, 16), np.uint16), axes="zyx")]
    [(3, 16, 16), (2, 8, 8), (1, 4, 4), (1, 2, 2), (1, 1, 1)]
    """
    dask_in = is_dask(x)
    if dask_in:
        check_chunks(x, "x")
    r = downsample_args(shape_proxy(x) if dask_in else x, factor, method, axes, border, value)
    steps = multiscale_factors(r.array.shape, r.factors, levels, min_size)
    if dask_in:
        spatial = [i for i, c in enumerate(r.axes) if c in "zyx"]
        cs = _level_chunk_shape(x, r, spatial, chunks)
        out = [x]
        for fs in steps:
            out.append(_downsample_dask(out[-1], r._replace(array=shape_proxy(out[-1]), factors=fs), cs))
        return out
    if chunks is not None:
        raise TypeError("chunks: applies to Dask input only")
    if r.method == "gaussian" and _is_pyramid(r, steps):
        lay = "HW" if r.axes == "yx" else ("HWC" if r.axes == "yxc" else "NHWC")
        return gaussian_pyramid(r.array, len(steps) + 1, border=r.border, value=r.value, layout=lay)
    out = [r.array]
    for fs in steps:
        out.append(_downsample(r._replace(array=out[-1], factors=fs)))
    return out


def _is_pyramid(r: DownsampleArgs, steps) -> bool:
    """Whether every step is pyr_down on an image layout gaussian_pyramid takes."""
    if r.axes not in ("yx", "yxc", "tyxc"):
        return False
    iy = r.axes.index("y")
    return all(fs[iy] == 2 and fs[iy + 1] == 2 for fs in steps)


def _level_chunk_shape(x: Any, r: DownsampleArgs, spatial: Sequence[int], chunks: Any) -> Tuple[int, ...]:
    cs = list(x.chunksize)
    if chunks is None:
        return tuple(cs)
    if isinstance(chunks, int) and not isinstance(chunks, bool):
        chunks = (chunks,) * len(spatial)
    if (not isinstance(chunks, (tuple, list)) or len(chunks) != len(spatial)
            or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 1 for c in chunks)):
        raise ValueError(f"chunks: expected an int >= 1 or one per spatial axis ({len(spatial)}), got {chunks!r}")
    for i, c in zip(spatial, chunks):
        cs[i] = c
    return tuple(cs)


# ---------------------------------------------------------------------------------------
# NumPy: slabs along the outermost shrinking axis, each computed whole by _block

def _downsample(r: DownsampleArgs) -> np.ndarray:
    x = r.array
    shrinking = [i for i, f in enumerate(r.factors) if f > 1]
    if not shrinking:
        return x.copy()
    if r.method in ("gaussian", "mean"):
        return _block(x, r)     # native kernels: threaded, no temporaries
    out_shape = downsample_shape(x.shape, r.factors)
    a = shrinking[0]
    row_bytes = math.prod(out_shape) // out_shape[a] * max(x.itemsize, 8)
    step = max(1, _SLAB_BYTES // max(1, row_bytes))
    if step >= out_shape[a]:
        return _block(x, r)
    out = np.empty(out_shape, x.dtype)
    n = x.shape[a]
    rule = Box(n, r.factors[a])

    def slab(o0: int) -> None:
        o1 = min(o0 + step, out_shape[a])
        ws, we, _, crop = rule.window(o0, o1)
        if 0 <= ws and we <= n:
            src = x[(slice(None),) * a + (slice(ws, we),)]
        else:
            src = np.take(x, np.arange(ws, we) % n, axis=a)
        with num_threads(1):
            res = _block(src, r)
        out[(slice(None),) * a + (slice(o0, o1),)] = res[(slice(None),) * a + (slice(crop, crop + o1 - o0),)]

    starts = range(0, out_shape[a], step)
    threads = min(get_num_threads(), len(starts))
    if threads <= 1:
        for o0 in starts:
            slab(o0)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(slab, starts))
    return out


def _block(x: np.ndarray, r: DownsampleArgs) -> np.ndarray:
    """downsample of a whole in-memory array (the border applies at its edges)."""
    if all(f == 1 for f in r.factors):
        return x.copy()
    if r.method == "gaussian":
        return _gaussian(x, r)
    # a box longer than its axis is the whole axis: the same result, and no padding to a
    # multiple of a factor like 2**62
    box = {a: min(f, x.shape[a]) for a, f in enumerate(r.factors) if f > 1}
    if r.method == "nearest":
        return x[tuple(slice(None, None, box.get(a, 1)) for a in range(x.ndim))].copy()
    if r.method == "mean":
        return _native(x, r, False)
    if r.method in ("min", "max"):
        xp = _pad_to(x, box, "edge")
        op = np.minimum if r.method == "min" else np.maximum
        acc = None
        for s in _offsets(box, x.ndim):
            acc = xp[s].copy() if acc is None else op(acc, xp[s], out=acc)
        return acc
    return _mode(x, box)


def _offsets(box: dict, ndim: int):
    """Slices picking sample j of every box, for every j (lexicographic over the axes)."""
    axes = sorted(box)
    for js in itertools.product(*(range(box[a]) for a in axes)):
        s = [slice(None)] * ndim
        for a, j in zip(axes, js):
            s[a] = slice(j, None, box[a])
        yield tuple(s)


def _pad_to(x: np.ndarray, box: dict, mode: str) -> np.ndarray:
    pad = [(0, (-x.shape[a]) % box.get(a, 1)) for a in range(x.ndim)]
    return np.pad(x, pad, mode=mode) if any(p[1] for p in pad) else x


def _box_counts(x: np.ndarray, box: dict) -> np.ndarray:
    """Samples inside the image per box (broadcastable to the output)."""
    count = np.ones((1,) * x.ndim, np.int64)
    for a, f in box.items():
        n = x.shape[a]
        c = np.minimum(f, n - f * np.arange(-(-n // f)))
        shape = [1] * x.ndim
        shape[a] = len(c)
        count = count * c.reshape(shape)
    return count


def _mode(x: np.ndarray, box: dict) -> np.ndarray:
    """Most frequent value per box (samples inside the image only), ties to the smallest."""
    xp = _pad_to(x, box, "edge")
    vals = [xp[s] for s in _offsets(box, x.ndim)]
    inside = []
    for s in _offsets(box, x.ndim):   # which box positions are inside the image
        m = np.ones((1,) * x.ndim, bool)
        for a, f in box.items():
            n = x.shape[a]
            idx = np.arange(s[a].start, f * -(-n // f), f) < n
            shape = [1] * x.ndim
            shape[a] = len(idx)
            m = m & idx.reshape(shape)
        inside.append(m)
    counts = []
    for v, m in zip(vals, inside):
        c = np.zeros(v.shape, np.int32)
        for w, mw in zip(vals, inside):
            c += (v == w) & mw
        counts.append(np.where(m, c, -1))
    best = counts[0].copy()
    for c in counts[1:]:
        np.maximum(best, c, out=best)
    big = np.array(np.inf if x.dtype.kind == "f" else (True if x.dtype == np.bool_ else np.iinfo(x.dtype).max),
                   x.dtype)
    res = None
    for v, c in zip(vals, counts):
        cand = np.where(c == best, v, big)
        res = cand if res is None else np.minimum(res, cand)
    return res


def _pyr_down_yx(x: np.ndarray, axes: str, border: int, value: float) -> np.ndarray:
    """pyr_down over the y and x axes of any axis order (the others as a batch)."""
    nd = x.ndim
    iy, ix = axes.index("y"), axes.index("x")
    c_last = axes[-1] == "c" and ix == nd - 2 and iy == nd - 3
    others = [i for i in range(nd) if i not in (iy, ix) and not (c_last and i == nd - 1)]
    perm = others + [iy, ix] + ([nd - 1] if c_last else [])
    v = x.transpose(perm)
    lead = v.shape[:len(others)]
    if c_last:
        res = pyr_down(v.reshape((-1,) + v.shape[-3:]), layout="NHWC", border=border, value=value)
    else:
        res = pyr_down(v.reshape((-1,) + v.shape[-2:]), layout="CHW", border=border, value=value)
    res = res.reshape(lead + res.shape[1:])
    return res.transpose(np.argsort(perm))


def _gaussian(x: np.ndarray, r: DownsampleArgs) -> np.ndarray:
    iy, ix = r.axes.find("y"), r.axes.find("x")
    halve = {a for a, f in enumerate(r.factors) if f == 2}
    if iy >= 0 and ix >= 0 and halve == {iy, ix}:
        return _pyr_down_yx(x, r.axes, r.border, r.value)
    return _native(x, r, True)


def _native(x: np.ndarray, r: DownsampleArgs, gaussian: bool) -> np.ndarray:
    """The native kernel on x seen as (batch, z, y, x, channels): carried axes before x are
    the batch, those after it the channels; a missing spatial axis has length 1."""
    nd, axes = x.ndim, r.axes
    ix = axes.find("x")
    trailing = [i for i in range(nd) if axes[i] in "tc" and 0 <= ix < i]
    lead = [i for i in range(nd) if axes[i] in "tc" and i not in trailing]
    spatial = {c: axes.find(c) for c in "zyx"}
    perm = lead + [i for i in spatial.values() if i >= 0] + trailing
    v = x.transpose(perm)
    lead_shape = v.shape[:len(lead)]
    trail_shape = v.shape[len(v.shape) - len(trailing):] if trailing else ()
    size = {c: (x.shape[i] if i >= 0 else 1) for c, i in spatial.items()}
    fac = {c: (r.factors[i] if i >= 0 else 1) for c, i in spatial.items()}
    if not gaussian:   # a box longer than its axis is the whole axis (factors beyond int64 too)
        fac = {c: min(f, size[c]) for c, f in fac.items()}
    src = v.reshape((math.prod(lead_shape), size["z"], size["y"], size["x"], math.prod(trail_shape)))
    item = src.itemsize
    if (src.shape[4] > 1 and src.strides[4] != item) or (src.shape[3] > 1 and src.strides[3] != src.shape[4] * item):
        src = np.ascontiguousarray(src)
    out_sp = {c: -(-size[c] // fac[c]) for c in "zyx"}
    dst, fresh = new_array((src.shape[0], out_sp["z"], out_sp["y"], out_sp["x"], src.shape[4]), x.dtype)
    _core.downsample(src, dst, fac["z"], fac["y"], fac["x"], gaussian, r.border, r.value, get_num_threads(), fresh)
    res = dst.reshape(lead_shape + tuple(out_sp[c] for c in "zyx" if spatial[c] >= 0) + trail_shape)
    if perm == list(range(nd)):
        return res
    return np.ascontiguousarray(res.transpose(np.argsort(perm)))


# ---------------------------------------------------------------------------------------
# Dask: one task per output chunk (see _dask)

def _downsample_task(params, wins):
    method, axes, factors, border, value = params
    w = wins[0]
    r = DownsampleArgs(np.asarray(w.array), axes, factors, method, border, value)
    return _block(r.array, r)[w.crop]


def _downsample_dask(x: Any, r: DownsampleArgs, chunk_shape: Optional[Tuple[int, ...]]):
    shape = downsample_shape(x.shape, r.factors)
    rules = []
    for n, f in zip(x.shape, r.factors):   # carried axes have factor 1
        if f == 1:
            rules.append(None)
        elif r.method == "gaussian":
            rules.append(Down(n, -(-n // 2), r.border == WRAP))
        else:
            rules.append(Box(n, f))
    out_chunks = level_chunks(x, shape, [a for a, c in enumerate(r.axes) if c in "zyx"], chunk_shape)
    params = (r.method, r.axes, r.factors, r.border, r.value)
    return map_windows(_downsample_task, params, [Input(x, tuple(rules))], out_chunks, x.dtype, "downsample")
