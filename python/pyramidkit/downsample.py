"""N-D downsampling of images and volumes (``downsample``) and whole multiscale pyramids
(``multiscale``), for NumPy and Dask arrays, with OME axis letters (t c z y x)."""
from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ._args import (DownsampleArgs, downsample_args, downsample_shape, multiscale_factors, parse_border)
from ._config import get_num_threads, num_threads
from ._dask import Box, Down, Input, check_chunks, is_dask, map_windows, regular, shape_proxy
from .pyramid import gaussian_pyramid, pyr_down

__all__ = ["downsample", "multiscale"]

_WRAP = parse_border("wrap")
_CONSTANT = parse_border("constant")
_REPLICATE = parse_border("replicate")
_REFLECT = parse_border("reflect")

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

def _slab_rule(r: DownsampleArgs, a: int):
    n, f = r.array.shape[a], r.factors[a]
    if r.method == "gaussian":
        return Down(n, -(-n // 2), r.border == _WRAP)
    return Box(n, f)


def _downsample(r: DownsampleArgs) -> np.ndarray:
    x = r.array
    shrinking = [i for i, f in enumerate(r.factors) if f > 1]
    if not shrinking:
        return x.copy()
    if r.method == "gaussian" and set(shrinking) == {r.axes.index("y"), r.axes.index("x")}:
        return _pyr_down_yx(x, r.axes, r.border, r.value)    # native, streaming, threaded
    out_shape = downsample_shape(x.shape, r.factors)
    a = shrinking[0]
    row_bytes = math.prod(out_shape) // out_shape[a] * max(x.itemsize, 8)
    step = max(1, _SLAB_BYTES // max(1, row_bytes))
    if step >= out_shape[a]:
        return _block(x, r)
    out = np.empty(out_shape, x.dtype)
    rule = _slab_rule(r, a)
    n = x.shape[a]

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
    box = {a: f for a, f in enumerate(r.factors) if f > 1}
    if r.method == "nearest":
        return x[tuple(slice(None, None, box.get(a, 1)) for a in range(x.ndim))].copy()
    if r.method == "mean":
        return _mean(x, box)
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


def _mean(x: np.ndarray, box: dict) -> np.ndarray:
    floating = x.dtype.kind == "f"
    acc_t = (np.float64 if x.dtype == np.float64 else np.float32) if floating else np.int64
    xp = _pad_to(x, box, "constant")
    acc = None
    for s in _offsets(box, x.ndim):      # a fixed order: sums are the same for any memory layout
        acc = xp[s].astype(acc_t) if acc is None else np.add(acc, xp[s], out=acc, casting="unsafe")
    count = _box_counts(x, box)
    if floating:
        return (acc / count.astype(acc_t)).astype(x.dtype)
    return ((2 * acc + count) // (2 * count)).astype(x.dtype)


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


def _border_index(i: np.ndarray, n: int, border: int) -> np.ndarray:
    """Source index of sample i (possibly outside [0, n)) under the border rule; -1 for constant."""
    if border == _CONSTANT:
        return np.where((i >= 0) & (i < n), i, -1)
    if border == _REPLICATE:
        return np.clip(i, 0, n - 1)
    if border == _WRAP:
        return i % n
    if border == _REFLECT:
        j = i % (2 * n)
        return np.where(j < n, j, 2 * n - 1 - j)
    if n == 1:
        return np.zeros_like(i)
    j = i % (2 * n - 2)
    return np.where(j < n, j, 2 * n - 2 - j)


def _pass(x: np.ndarray, a: int, border: int, value: float, acc_t: Any, normalise: bool) -> np.ndarray:
    """[1 4 6 4 1] along axis a with factor 2, summed in acc_t (divided by 16 if normalise)."""
    n = x.shape[a]
    m = -(-n // 2)
    idx = _border_index(2 * np.arange(m)[:, None] + np.arange(-2, 3), n, border)
    if (idx < 0).any():
        pad = list(x.shape)
        pad[a] = 1
        x = np.concatenate([x, np.full(pad, value, x.dtype)], axis=a)
        idx = np.where(idx < 0, n, idx)
    t = [np.take(x, idx[:, k], axis=a).astype(acc_t, copy=False) for k in range(5)]
    s = (t[0] + t[4]) + (t[1] + t[3]) * acc_t(4) + t[2] * acc_t(6)
    return s * acc_t(1 / 16) if normalise else s


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
    halve = [a for a, f in enumerate(r.factors) if f == 2]
    iy, ix = r.axes.find("y"), r.axes.find("x")
    pair = iy in halve and ix in halve
    rest = [a for a in halve if not (pair and a in (iy, ix))]
    if not rest:
        return _pyr_down_yx(x, r.axes, r.border, r.value)
    if x.dtype.kind == "f":
        acc_t = np.float64 if x.dtype == np.float64 else np.float32
        acc = x
        for a in rest:
            acc = _pass(acc, a, r.border, r.value, acc_t, True)
        if pair:
            acc = _pyr_down_yx(acc, r.axes, r.border, r.value)
        return acc.astype(x.dtype)
    # Integers: exact sums, one rounding (half up) at the end.
    acc, scale = x, 1
    for a in rest:
        acc = _pass(acc, a, r.border, r.value * scale, np.int64, False)
        scale *= 16
    shift = 4 * len(halve)
    if pair:
        # pyr_down in floating point is exact on these integer sums (every partial sum fits the
        # mantissa and the weights are powers of two): it returns the full sum / 256.
        exact_t = np.float32 if x.dtype == np.uint8 else np.float64
        pd = _pyr_down_yx(acc.astype(exact_t), r.axes, r.border, r.value * scale)
        q = float(1 << (shift - 8))
        return np.floor((pd.astype(np.float64) + q / 2) / q).astype(x.dtype)
    return ((acc + (1 << (shift - 1))) >> shift).astype(x.dtype)


# ---------------------------------------------------------------------------------------
# Dask: one task per output chunk (see _dask)

def _downsample_task(params, wins):
    method, axes, factors, border, value = params
    w = wins[0]
    r = DownsampleArgs(np.asarray(w.array), axes, factors, method, border, value)
    return _block(r.array, r)[w.crop]


def _downsample_dask(x: Any, r: DownsampleArgs, chunk_shape: Optional[Tuple[int, ...]]):
    shape = downsample_shape(x.shape, r.factors)
    rules, out_chunks = [], []
    for a, (n, f, c) in enumerate(zip(x.shape, r.factors, r.axes)):
        if c not in "zyx":
            rules.append(None)
            out_chunks.append(x.chunks[a])
            continue
        if f == 1:
            rules.append(None)
        elif r.method == "gaussian":
            rules.append(Down(n, shape[a], r.border == _WRAP))
        else:
            rules.append(Box(n, f))
        out_chunks.append(regular(shape[a], (chunk_shape or x.chunksize)[a]))
    params = (r.method, r.axes, r.factors, r.border, r.value)
    return map_windows(_downsample_task, params, [Input(x, tuple(rules))], out_chunks, x.dtype, "downsample")
