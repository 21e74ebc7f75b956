"""Sources of write_multiscale: what level 0 is, read in bands, never whole.

A Source has the array's shape, dtype and OME axis letters, what is known of its pixel
size (per spatial axis: size and unit) and channel names, the chunk shape it is best read
in, and ``read(slices)``. NumPy arrays are sliced in place; Zarr arrays, OME-Zarr images
and TIFF files (through tifffile's Zarr view of the file's tiles or strips) read only the
chunks a band covers; Dask arrays compute only the band; small images that Pillow reads
are read whole.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .._args import OME_AXES, downsample_axes
from .._dask import is_dask
from .ngff import OME_UNIT_SYMBOLS, SPACE_UNITS, dataset_transform, read_multiscales

ZARR_SUFFIXES = (".zarr",)
TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8", ".tf2")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ppm", ".pgm")


class SourceError(ValueError):
    """The source cannot be read as an image (missing, unreadable, axes that don't fit)."""


class Source:
    def __init__(self, array: Any, axes: str, pixel: Optional[Dict[str, Tuple[float, Optional[str]]]] = None,
                 channel_names: Optional[List[str]] = None, chunks: Optional[Tuple[int, ...]] = None,
                 reader: Any = None, closer: Any = None, description: str = "array"):
        self.array, self.axes = array, axes
        self.shape = tuple(int(n) for n in array.shape)
        self.dtype = np.dtype(array.dtype)
        self.pixel = pixel or {}
        self.channel_names = channel_names
        self.chunks = chunks or self.shape
        self._reader = reader
        self._closer = closer
        self.description = description

    def read(self, index: Tuple[Any, ...]) -> np.ndarray:
        if self._reader is not None:
            return np.asarray(self._reader(index))
        return np.asarray(self.array[index])

    def as_dask(self, chunks: Tuple[int, ...]):
        import dask.array as da
        if is_dask(self.array):
            return self.array
        return da.from_array(self.array, chunks=chunks, name=False if isinstance(self.array, np.ndarray) else None)

    def close(self) -> None:
        if self._closer is not None:
            self._closer()


def _axes_from_letters(letters: Optional[List[str]], ndim: int) -> Optional[str]:
    if not letters or len(letters) != ndim:
        return None
    ax = "".join(str(c).lower() for c in letters)
    if all(c in OME_AXES for c in ax) and len(set(ax)) == len(ax):
        return ax
    return None


def _check_axes(axes: Optional[str], found: Optional[str], ndim: int, what: str) -> str:
    if axes is not None:
        ax = downsample_axes(axes, ndim)
        if found is not None and ax != found:
            raise ValueError(f"axes: {axes!r} given, but {what} says its axes are {found!r}")
        return ax
    if found is not None:
        return found
    return downsample_axes(None, ndim)


def open_source(source: Any, axes: Optional[str] = None) -> Source:
    """The Source for any accepted input (see write_multiscale)."""
    if isinstance(source, (str, os.PathLike)):
        return _open_path(os.fspath(source), axes)
    if isinstance(source, np.ndarray):
        return Source(source, _check_axes(axes, None, source.ndim, "the array"), description="NumPy array")
    if is_dask(source):
        return Source(source, _check_axes(axes, None, source.ndim, "the array"), chunks=source.chunksize,
                      reader=lambda index: source[index].compute(), description="Dask array")
    try:
        import zarr
    except ImportError:
        zarr = None
    if zarr is not None and isinstance(source, zarr.Array):
        return _zarr_array_source(source, axes, "Zarr array")
    if zarr is not None and isinstance(source, zarr.Group):
        return _zarr_group_source(source, axes, "Zarr group")
    if hasattr(source, "__array__") or hasattr(source, "__array_interface__"):
        a = np.asarray(source)
        return Source(a, _check_axes(axes, None, a.ndim, "the array"), description="array")
    raise TypeError(f"source: expected a NumPy, Dask or Zarr array or a path, got {type(source).__name__}")


def _zarr_array_source(arr: Any, axes: Optional[str], what: str) -> Source:
    names = getattr(getattr(arr, "metadata", None), "dimension_names", None)
    found = _axes_from_letters(list(names) if names else None, arr.ndim)
    return Source(arr, _check_axes(axes, found, arr.ndim, what), chunks=tuple(arr.chunks), description=what)


def _zarr_group_source(group: Any, axes: Optional[str], what: str) -> Source:
    ms = read_multiscales(dict(group.attrs))
    if ms is None:
        raise SourceError(f"source: {what} has no OME-Zarr multiscales metadata (not an OME-Zarr image)")
    arr = group[ms["datasets"][0]["path"]]
    letters = [a["name"] if isinstance(a, dict) else a for a in ms.get("axes", [])]
    found = _axes_from_letters(letters, arr.ndim)
    if found is None:
        raise SourceError(f"source: {what}'s axes {letters} are not OME axis letters t, c, z, y, x")
    scale, _ = dataset_transform(ms, 0)
    pixel = {}
    for ax, s in zip(ms["axes"], scale):
        if isinstance(ax, dict) and ax.get("type") == "space":
            pixel[ax["name"]] = (float(s), ax.get("unit"))
    attrs = dict(group.attrs)
    omero = attrs.get("omero") or attrs.get("ome", {}).get("omero")
    names = [c.get("label") for c in omero.get("channels", [])] if isinstance(omero, dict) else None
    return Source(arr, _check_axes(axes, found, arr.ndim, what), pixel=pixel, channel_names=names,
                  chunks=tuple(arr.chunks), description=what)


def _open_path(path: str, axes: Optional[str]) -> Source:
    if not os.path.exists(path):
        raise SourceError(f"source: {path!r} does not exist")
    low = path.lower().rstrip("/")
    if os.path.isdir(path) or low.endswith(ZARR_SUFFIXES):
        try:
            import zarr
        except ImportError as e:
            raise SourceError('source: reading Zarr needs zarr (pip install "pyramidkit[ome]")') from e
        try:
            node = zarr.open(path, mode="r")
        except Exception as e:
            raise SourceError(f"source: {path!r} is not a Zarr array or group ({e})") from e
        if isinstance(node, zarr.Array):
            return _zarr_array_source(node, axes, f"Zarr array {path!r}")
        return _zarr_group_source(node, axes, f"OME-Zarr {path!r}")
    if low.endswith(TIFF_SUFFIXES):
        return _tiff_source(path, axes)
    return _pillow_source(path, axes)


def _tiff_axes(series_axes: str, ndim: int) -> Optional[str]:
    m = {"Y": "y", "X": "x", "Z": "z", "C": "c", "S": "c", "T": "t"}
    ax = "".join(m.get(c, "?") for c in series_axes)
    if "?" in ax or len(set(ax)) != len(ax) or len(ax) != ndim:
        return None
    return ax


def _ome_pixels(tf: Any) -> Tuple[Dict[str, Tuple[float, Optional[str]]], Optional[List[str]]]:
    pixel: Dict[str, Tuple[float, Optional[str]]] = {}
    names = None
    try:
        root = ET.fromstring(tf.ome_metadata)
    except (ET.ParseError, TypeError, ValueError):
        return pixel, names
    px = next((e for e in root.iter() if e.tag.endswith("Pixels")), None)
    if px is None:
        return pixel, names
    for c in "xyz":
        v = px.get(f"PhysicalSize{c.upper()}")
        if v is not None:
            unit = px.get(f"PhysicalSize{c.upper()}Unit", "µm")
            pixel[c] = (float(v), OME_UNIT_SYMBOLS.get(unit, unit if unit in SPACE_UNITS else None))
    chans = [e for e in px if e.tag.endswith("Channel")]
    if chans and any(e.get("Name") for e in chans):
        names = [e.get("Name") or f"channel {i}" for i, e in enumerate(chans)]
    return pixel, names


def _tiff_source(path: str, axes: Optional[str]) -> Source:
    try:
        import tifffile
        import zarr
    except ImportError as e:
        raise SourceError('source: reading TIFF needs tifffile and zarr (pip install "pyramidkit[ome]")') from e
    try:
        tf = tifffile.TiffFile(path)
    except Exception as e:
        raise SourceError(f"source: {path!r} is not a readable TIFF ({e})") from e
    try:
        series = tf.series[0]
        level = series.levels[0] if series.levels else series
        store = level.aszarr()
        arr = zarr.open(store, mode="r")
        if not isinstance(arr, zarr.Array):   # a multi-level series: level 0 is "0"
            arr = arr["0"]
        found = _tiff_axes(series.axes, arr.ndim)
        pixel, names = _ome_pixels(tf) if tf.is_ome else ({}, None)
    except SourceError:
        tf.close()
        raise
    except Exception as e:
        tf.close()
        raise SourceError(f"source: {path!r}: cannot read its first image series ({e})") from e
    if found is None and axes is None:
        tf.close()
        raise SourceError(f"source: {path!r} has axes {series.axes!r}, which are not t, c, z, y, x; pass axes=")
    try:
        ax = _check_axes(axes, found, arr.ndim, f"TIFF {path!r}")
    except ValueError:
        tf.close()
        raise

    def close() -> None:
        store.close()
        tf.close()
    return Source(arr, ax, pixel=pixel, channel_names=names, chunks=tuple(arr.chunks), closer=close,
                  description=f"TIFF {path!r}")


def _pillow_source(path: str, axes: Optional[str]) -> Source:
    try:
        from PIL import Image
    except ImportError as e:
        raise SourceError(f"source: {path!r}: reading this format needs Pillow") from e
    try:
        with Image.open(path) as im:
            a = np.asarray(im)
    except Exception as e:
        raise SourceError(f"source: {path!r} is not an image Pillow can read ({e})") from e
    return Source(a, _check_axes(axes, None, a.ndim, f"image {path!r}"), description=f"image {path!r}")
