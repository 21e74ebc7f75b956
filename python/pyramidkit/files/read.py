"""open_multiscale: the levels of an OME-Zarr image or a pyramidal TIFF as Dask arrays, with
their axes and coordinates, whoever wrote the file."""
from __future__ import annotations

import math
import os
from typing import Any, Dict, List, NamedTuple, Optional

from .ngff import dataset_transform, read_multiscales
from .sources import SourceError, TIFF_SUFFIXES, _ome_pixels, _tiff_axes


class Level(NamedTuple):
    """One level: its data (lazy), its path in the file, and where its samples sit:
    sample i along an axis is at ``translation + i * scale`` (in that axis' unit)."""
    data: Any
    path: str
    scale: List[float]
    translation: List[float]


class Multiscale(NamedTuple):
    levels: List[Level]
    axes: str                      # OME letters, one per array axis
    units: Dict[str, str]          # axis letter -> unit, where the file names one
    name: Optional[str]
    metadata: Dict[str, Any]       # the file's own multiscales entry (OME-Zarr) or {}

    def __len__(self) -> int:
        return len(self.levels)

    def __getitem__(self, k: int) -> Any:
        """Level k's data."""
        return self.levels[k].data


def open_multiscale(path: Any) -> Multiscale:
    """Open an OME-Zarr image (NGFF 0.4 or 0.5) or a pyramidal (OME-)TIFF.

    Returns a :class:`Multiscale`: ``ms[k]`` is level k as a Dask array, ``ms.levels[k]``
    also gives its path, scale and translation (the multiscales-wide transformations
    applied), ``ms.axes`` the axis letters. Nothing is read until a level is computed.

    >>> import os, tempfile, numpy as np, pyramidkit as pk
    >>> path = pk.write_multiscale(np.zeros((64, 100, 80), np.uint16), os.path.join(tempfile.mkdtemp(), "v.zarr"),
    ...                            axes="zyx", method="mean", chunks=32, pixel_size=(2.0, 0.5, 0.5))
    >>> ms = pk.open_multiscale(path)
    >>> ms.axes, ms.units["x"], ms[2].shape
    ('zyx', 'micrometer', (16, 25, 20))
    >>> ms.levels[1].scale, ms.levels[1].translation
    ([4.0, 1.0, 1.0], [1.0, 0.25, 0.25])
    """
    import dask.array as da
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a path, got {type(path).__name__}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise SourceError(f"path: {path!r} does not exist")
    if path.lower().endswith(TIFF_SUFFIXES):
        return _open_tiff(path)
    import zarr
    try:
        group = zarr.open_group(path, mode="r")
    except Exception as e:
        raise SourceError(f"path: {path!r} is not a Zarr group ({e})") from e
    ms = read_multiscales(dict(group.attrs))
    if ms is None:
        raise SourceError(f"path: {path!r} has no OME-Zarr multiscales metadata (not an OME-Zarr image, or an "
                          f"unfinished write)")
    axes = "".join(a["name"] if isinstance(a, dict) else a for a in ms["axes"])
    units = {a["name"]: a["unit"] for a in ms["axes"] if isinstance(a, dict) and a.get("unit")}
    levels = []
    for k, d in enumerate(ms["datasets"]):
        arr = group[d["path"]]
        scale, trans = dataset_transform(ms, k)
        levels.append(Level(da.from_zarr(arr), d["path"], scale, trans))
    return Multiscale(levels, axes, units, ms.get("name"), ms)


def _factor(n0: int, n: int) -> float:
    """A TIFF level's downsampling factor from its size: the nearest power of two when the
    size is that power's ceil-division of level 0 (factor-2 pyramids), else the ratio."""
    r = n0 / n
    p = 2.0 ** round(math.log2(r)) if r > 0 else 1.0
    return p if -(-n0 // int(p)) == n else r


def _open_tiff(path: str) -> Multiscale:
    import dask.array as da
    import tifffile
    import zarr
    try:
        tf = tifffile.TiffFile(path)
    except Exception as e:
        raise SourceError(f"path: {path!r} is not a readable TIFF ({e})") from e
    series = tf.series[0]
    axes = _tiff_axes(series.axes, len(series.shape))
    if axes is None:
        raise SourceError(f"path: {path!r} has axes {series.axes!r}, which are not t, c, z, y, x")
    pixel, _ = _ome_pixels(tf) if tf.is_ome else ({}, None)
    units = {c: u for c, (_, u) in pixel.items() if u}
    levels = []
    shape0 = series.levels[0].shape
    for k, lv in enumerate(series.levels):
        arr = zarr.open(lv.aszarr(), mode="r")
        if not isinstance(arr, zarr.Array):
            arr = arr["0"]
        scale = [(pixel[c][0] if c in pixel else 1.0) * (_factor(n0, n) if c in "zyx" else 1.0)
                 for c, n0, n in zip(axes, shape0, lv.shape)]
        levels.append(Level(da.from_zarr(arr), str(k), scale, [0.0] * len(axes)))
    return Multiscale(levels, axes, units, None, {})
