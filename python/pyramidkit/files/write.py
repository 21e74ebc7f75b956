"""write_multiscale: a source image to an OME-Zarr or pyramidal OME-TIFF file, every level
computed exactly (bit-identical to pk.multiscale of the whole image), streaming with
bounded memory on one machine or as Dask tasks on a cluster."""
from __future__ import annotations

import itertools
import math
import numbers
import os
import shutil
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .._args import OME_AXES, downsample_args, downsample_shape, multiscale_factors
from . import ngff
from .sources import Source, open_source
from .pipeline import AsyncWriter, prefetch
from .stream import Stream

FORMATS = ("zarr", "tiff")
OME_VERSIONS = {"0.4": 2, "0.5": 3}
DEFAULT_CHUNK_2D, DEFAULT_CHUNK_3D = 1024, 64
PARTIAL = ".pyramidkit-partial"


class Plan:
    """Everything decided before a byte is written: levels, shapes, chunks, axes, metadata."""

    def __init__(self, src: Source, method: str, levels: Any, factor: Any, chunks: Any, shards: Any,
                 ome_version: str, fmt: str, pixel_size: Any, unit: Optional[str], name: str):
        self.src = src
        self.factor = factor
        proxy = np.lib.stride_tricks.as_strided(np.zeros(1, src.dtype), shape=src.shape, strides=(0,) * len(src.shape),
                                                writeable=False)
        self.args = downsample_args(proxy, factor, method, src.axes, "reflect101", 0.0)
        if fmt == "tiff" and "z" in src.axes:   # OME-TIFF pyramids keep every plane
            iz = src.axes.index("z")
            if self.args.factors[iz] != 1:
                if not (isinstance(factor, numbers.Integral) and not isinstance(factor, bool)):
                    raise ValueError("factor: OME-TIFF pyramids keep every z plane; give factor 1 along z")
                self.args = self.args._replace(factors=tuple(1 if i == iz else f
                                                             for i, f in enumerate(self.args.factors)))
        self.method = self.args.method
        self.axes = src.axes
        self.spatial = [i for i, c in enumerate(self.axes) if c in "zyx"]
        self.chunks_sp = _per_spatial(chunks, len(self.spatial), "chunks",
                                      DEFAULT_CHUNK_3D if "z" in self.axes else DEFAULT_CHUNK_2D)
        steps = multiscale_factors(src.shape, self.args.factors, levels, 1)
        if levels is None:   # down to the level that fits in one chunk (along the axes that shrink)
            shape, keep = src.shape, 0
            shrink = [(i, c) for i, c in zip(self.spatial, self.chunks_sp) if self.args.factors[i] > 1]
            while keep < len(steps) and any(shape[i] > c for i, c in shrink):
                shape = downsample_shape(shape, steps[keep])
                keep += 1
            steps = steps[:keep]
        self.steps = steps
        self.shapes = [tuple(src.shape)]
        for fs in steps:
            self.shapes.append(downsample_shape(self.shapes[-1], fs))
        # output: OME axis order t, c, z, y, x
        self.out_axes = "".join(sorted(self.axes, key=OME_AXES.index))
        self.perm = [self.axes.index(c) for c in self.out_axes]
        self.out_shapes = [tuple(s[p] for p in self.perm) for s in self.shapes]
        sp = dict(zip((self.axes[i] for i in self.spatial), self.chunks_sp))
        self.out_chunks = tuple(sp.get(c, 1) for c in self.out_axes)
        self.shards = None
        if shards is not None:
            if fmt != "zarr" or OME_VERSIONS[ome_version] != 3:
                raise ValueError("shards: sharding needs OME-Zarr 0.5 (Zarr v3); use ome_version='0.5'")
            sh = dict(zip((self.axes[i] for i in self.spatial), _per_spatial(shards, len(self.spatial), "shards", 0)))
            self.shards = tuple(sh.get(c, 1) for c in self.out_axes)
            for c, s, ch in zip(self.out_axes, self.shards, self.out_chunks):
                if s % ch:
                    raise ValueError(f"shards: {s} along {c!r} is not a multiple of the chunk size {ch}")
        # the band axis: the first spatial axis of the source; carried axes before it are looped
        # over, and so is a first axis that never shrinks when source and file both have it in
        # planes (a stack of 2-D images: bands of rows, not of whole planes)
        self.band = self.spatial[0]
        if (len(self.spatial) > 1 and src.chunks[self.band] == 1 and self.chunks_sp[0] == 1
                and all(fs[self.band] == 1 for fs in steps)
                and (self.shards is None or self.shards[self.perm.index(self.band)] == 1)):   # a shard: one writer
            self.band = self.spatial[1]
        self.outer_axes = list(range(self.band))   # carried axes, and a skipped first spatial axis
        # the segment axis: the next spatial axis; bands are cut along it into tiles, so that
        # memory does not grow with the width
        self.seg = next((i for i in self.spatial if i > self.band), None)
        self.rgb = False
        self.label = False   # an NGFF label image (write_multiscale(labels=...))
        if fmt == "tiff":   # a TIFF is written plane by plane (t, c, z), each plane's rows in order
            from .tiff_sink import is_rgb
            self.rgb = is_rgb(self)
            self.band = self.axes.index("y")
            self.seg = None   # whole bands: a TIFF's tiles go to the file a tile row at a time
            self.outer_axes = [] if self.rgb else sorted((i for i, c in enumerate(self.axes) if c in "tcz"),
                                                         key=lambda i: OME_AXES.index(self.axes[i]))
        # coordinates
        pixel: Dict[str, float] = {}
        units: Dict[str, str] = {}
        for c, (size, u) in src.pixel.items():
            pixel[c] = size
            if u:
                units[c] = u
        if pixel_size is not None:
            sizes = _pixel_sizes(pixel_size, [self.axes[i] for i in self.spatial])
            pixel.update(sizes)
            for c in sizes:
                units[c] = unit or units.get(c) or "micrometer"
        elif unit is not None:
            for c in "zyx":
                if c in self.axes:
                    units[c] = unit
        if unit is not None and unit not in ngff.SPACE_UNITS:
            raise ValueError(f"unit: {unit!r} is not an NGFF space unit (e.g. 'micrometer', 'nanometer')")
        self.pixel, self.units = pixel, units
        out_steps = [tuple(fs[p] for p in self.perm) for fs in steps]
        self.transforms = ngff.coordinate_transforms(self.out_axes, pixel, out_steps, self.method)
        self.name = name

    @property
    def nlevels(self) -> int:
        return len(self.shapes)

    def out_band_axis(self) -> int:
        return self.perm.index(self.band)


def _per_spatial(v: Any, n: int, name: str, default: int) -> Tuple[int, ...]:
    if v is None:
        return (default,) * n
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        v = (int(v),) * n
    if (not isinstance(v, (tuple, list)) or len(v) != n
            or not all(isinstance(c, numbers.Integral) and not isinstance(c, bool) and c >= 1 for c in v)):
        raise ValueError(f"{name}: expected an int >= 1 or one per spatial axis ({n}), got {v!r}")
    return tuple(int(c) for c in v)


def _pixel_sizes(v: Any, letters: List[str]) -> Dict[str, float]:
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        v = (float(v),) * len(letters)
    if (not isinstance(v, (tuple, list)) or len(v) != len(letters)
            or not all(isinstance(s, numbers.Real) and not isinstance(s, bool) and math.isfinite(s) and s > 0
                       for s in v)):
        raise ValueError(f"pixel_size: expected a positive number or one per spatial axis "
                         f"({''.join(letters)}), got {v!r}")
    return {c: float(s) for c, s in zip(letters, v)}


def dest_format(dest: str, fmt: Optional[str]) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise ValueError(f"format: expected one of {FORMATS}, got {fmt!r}")
        return fmt
    low = dest.lower().rstrip("/")
    if low.endswith(".zarr"):
        return "zarr"
    if low.endswith((".tif", ".tiff", ".btf")):
        return "tiff"
    raise ValueError(f"dest: cannot tell the format of {dest!r} from its extension (.zarr, .ome.zarr, .ome.tif, "
                     f".ome.tiff); pass format='zarr' or 'tiff'")


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def write_multiscale(source: Any, dest: Any, *, method: str = "gaussian", levels: Optional[int] = None,
                     factor: Any = 2, axes: Optional[str] = None, chunks: Any = None, shards: Any = None,
                     ome_version: str = "0.5", compressor: Any = "default", overwrite: bool = False,
                     scheduler: Any = None, progress: bool = False, format: Optional[str] = None,
                     pixel_size: Any = None, unit: Optional[str] = None, name: Optional[str] = None,
                     labels: Optional[str] = None) -> str:
    """Write ``pk.multiscale(source)`` as an OME-Zarr image or a pyramidal OME-TIFF.

    Parameters
    ----------
    source
        A NumPy, Dask or Zarr array; a path to a Zarr array, an OME-Zarr image (its level
        0 is read), a TIFF / OME-TIFF / BigTIFF (tifffile; read in tiles or strips, never
        whole), or a small image that Pillow reads.
    dest : str or path
        ``.zarr`` / ``.ome.zarr``: OME-Zarr; ``.ome.tif`` / ``.ome.tiff``: pyramidal
        OME-TIFF; or say ``format="zarr"`` / ``"tiff"``.
    method, factor, axes
        As in :func:`pyramidkit.downsample`. `axes` defaults to what the source says
        (OME-Zarr axes, Zarr v3 dimension names, TIFF series axes), else by ndim as in
        downsample ("yx", "yxc", "tyxc"). The file's axes are in OME order t, c, z, y, x.
    levels : int, optional
        Levels written, level 0 included. Default: until every spatial axis fits in one chunk.
    chunks : int or tuple, optional
        Chunk size per spatial axis (default 1024 for images, 64 for volumes); 1 along t, c.
    shards : int or tuple, optional
        Shard size per spatial axis, a multiple of `chunks` (OME-Zarr 0.5 only).
    ome_version : "0.5" or "0.4"
        NGFF 0.5 on Zarr v3, or 0.4 on Zarr v2.
    compressor
        "default" (zarr-python's default; for TIFF zlib), None (uncompressed), "zstd",
        "gzip", "blosc", or a zarr codec object.
    overwrite : bool
        Replace an existing `dest`; without it an existing `dest` is an error.
    scheduler
        None: streaming on this machine (level 0 read once in bands, bounded memory).
        A ``dask.distributed.Client``, "threads", "processes" or "sync": Dask tasks, one
        writer per chunk or shard; the same file.
    progress : bool
        Show a progress bar (tqdm) on stderr.
    pixel_size : float or tuple, optional
        Physical size of a level-0 sample per spatial axis (default from the source's
        metadata, else 1 in unnamed units); `unit` names its unit (default "micrometer").
    name : str, optional
        The multiscales' name (default the destination's file name).
    labels : str, optional
        Write `source` as the NGFF label image of this name into the existing OME-Zarr
        image `dest` (at ``dest/labels/<labels>``, listed in ``dest/labels``): integer
        samples, the image's spatial shape, its NGFF version and (unless given) pixel size;
        method "mode" unless another box method is asked for.

    Returns the destination path. The file appears only when it is complete: it is written
    under ``dest + ".pyramidkit-partial"`` and renamed at the end, metadata last, so an
    interrupted write never leaves a file at `dest` that looks valid.

    Examples
    --------
    >>> import os, tempfile, numpy as np, pyramidkit as pk
    >>> d = tempfile.mkdtemp()
    >>> rgb = np.zeros((3000, 2000, 3), np.uint8)                     # HWC
    >>> path = pk.write_multiscale(rgb, os.path.join(d, "rgb.ome.zarr"), chunks=512)
    >>> ms = pk.open_multiscale(path)
    >>> ms.axes, [ms[k].shape for k in range(len(ms))]                # OME order: c, y, x
    ('cyx', [(3, 3000, 2000), (3, 1500, 1000), (3, 750, 500), (3, 375, 250)])
    >>> ms.levels[2].scale
    [1.0, 4.0, 4.0]
    """
    if not isinstance(dest, (str, os.PathLike)):
        raise TypeError(f"dest: expected a path, got {type(dest).__name__}")
    dest = os.fspath(dest)
    fmt = dest_format(dest, format)
    if str(ome_version) not in OME_VERSIONS:
        raise ValueError(f"ome_version: expected '0.5' (Zarr v3) or '0.4' (Zarr v2), got {ome_version!r}")
    ome_version = str(ome_version)
    image = None
    if labels is not None:   # into an existing image: its version, its pixel size
        image, ome_version = _label_parent(dest, labels, fmt)
        target = os.path.join(dest, "labels", labels)
        method = "mode" if method == "gaussian" else method
    else:
        target = dest
    if os.path.lexists(target) and not overwrite:
        raise FileExistsError(f"dest: {target!r} exists; pass overwrite=True (--overwrite) to replace it")
    if isinstance(source, (str, os.PathLike)) and os.path.exists(target) and \
            os.path.realpath(os.fspath(source)) == os.path.realpath(target):
        raise ValueError("dest: is the source; write to another path")
    src = open_source(source, axes)
    partial = None
    try:
        if image is not None:
            pixel_size, unit = _check_label(src, image, method, pixel_size, unit)
        plan = Plan(src, method, levels, factor, chunks, shards, ome_version, fmt, pixel_size, unit,
                    name if name is not None else os.path.basename(target.rstrip("/")))
        plan.label = image is not None
        if fmt == "zarr":
            from .zarr_sink import zarr_compressors
            zarr_compressors(compressor, OME_VERSIONS[ome_version])   # checked before anything is written
        if scheduler is not None:
            _scheduler_kwargs(scheduler)
        partial = target.rstrip("/") + PARTIAL
        if image is not None:
            os.makedirs(os.path.dirname(partial), exist_ok=True)
        _remove(partial)
        if fmt == "zarr":
            if scheduler is None:
                _stream_zarr(plan, partial, ome_version, compressor, progress)
            else:
                _dask_zarr(plan, partial, ome_version, compressor, progress, scheduler)
        else:
            from .tiff_sink import write_tiff
            write_tiff(plan, partial, compressor, progress)
    except BaseException:
        src.close()
        if partial is not None:   # a failed write leaves nothing behind (a killed one, its partial)
            _remove(partial)
        raise
    src.close()
    if os.path.lexists(target):
        _remove(target)
    os.replace(partial, target)
    if image is not None:
        _list_label(dest, labels, ome_version)
    return target


def _label_parent(dest: str, labels: Any, fmt: str):
    """The OME-Zarr image a label image goes into: (its multiscales, its NGFF version)."""
    if not isinstance(labels, str) or not labels or "/" in labels or labels.startswith("."):
        raise ValueError(f"labels: expected a name (no '/'), got {labels!r}")
    if fmt != "zarr":
        raise ValueError("labels: NGFF label images live inside an OME-Zarr image; dest must be one")
    import zarr
    try:
        g = zarr.open_group(dest, mode="r")
    except Exception:
        raise ValueError(f"dest: {dest!r} is not an OME-Zarr image to add labels to (write the image first)") from None
    attrs = dict(g.attrs)
    ms = ngff.read_multiscales(attrs)
    if ms is None:
        raise ValueError(f"dest: {dest!r} has no multiscales metadata (not an OME-Zarr image)")
    version = "0.5" if "ome" in attrs else "0.4"
    return (g, ms), version


def _check_label(src: Source, image, method: str, pixel_size: Any, unit: Optional[str]):
    g, ms = image
    if src.dtype.kind not in "iub":
        raise TypeError(f"source: a label image has integer samples, got {src.dtype}")
    if method not in ("mode", "nearest", "min", "max"):
        raise ValueError(f"method: label images take 'mode' (default), 'nearest', 'min' or 'max', got {method!r}")
    names = [a["name"] if isinstance(a, dict) else a for a in ms["axes"]]
    shape0 = g[ms["datasets"][0]["path"]].shape
    for c, n in zip(src.axes, src.shape):
        if c in "zyx" and (c not in names or shape0[names.index(c)] != n):
            raise ValueError(f"source: the label image's {c} size {n} does not match the image's "
                             f"({shape0[names.index(c)] if c in names else 'no such axis'})")
    if pixel_size is None and not src.pixel:
        scale, _ = ngff.dataset_transform(ms, 0)
        sizes = [scale[names.index(c)] for c in src.axes if c in "zyx"]
        units = {a["name"]: a.get("unit") for a in ms["axes"] if isinstance(a, dict)}
        pixel_size = tuple(sizes)
        unit = unit or next((units[c] for c in src.axes if c in "zyx" and units.get(c)), None)
    return pixel_size, unit


def _list_label(dest: str, name: str, version: str) -> None:
    """Add name to dest/labels' list (written after the label image is complete)."""
    import zarr
    g = zarr.open_group(os.path.join(dest, "labels"), mode="a", zarr_format=OME_VERSIONS[version])
    attrs = dict(g.attrs)
    body = attrs.get("ome", {}) if version == "0.5" else attrs
    names = [n for n in body.get("labels", []) if n != name] + [name]
    if version == "0.5":
        g.attrs.update({"ome": {"version": "0.5", "labels": names}})
    else:
        g.attrs.update({"labels": names})


# ---------------------------------------------------------------------------------------
# Streaming

def _progress_bar(total: int, enabled: bool, unit: str = "B"):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return _TextProgress(total)
    return tqdm(total=total, unit=unit, unit_scale=True, unit_divisor=1024, desc="writing", dynamic_ncols=True)


class _TextProgress:
    """A minimal progress line when tqdm is absent."""

    def __init__(self, total: int):
        import sys
        import time
        self.total, self.n, self.t0, self.out, self.time, self.last = total, 0, time.perf_counter(), sys.stderr, \
            time.perf_counter, -1

    def update(self, n: int) -> None:
        self.n += n
        pct = int(100 * self.n / max(1, self.total))
        if pct != self.last:
            self.last = pct
            rate = self.n / max(1e-9, self.time() - self.t0)
            left = (self.total - self.n) / rate if rate > 0 else 0
            self.out.write(f"\rwriting {pct:3d}% {rate / 2**20:8.1f} MiB/s {left:6.0f} s left")
            self.out.flush()

    def close(self) -> None:
        self.out.write("\n")


TILE_BYTES = 4 << 20   # level 0 is read, computed and written in tiles of about this size


def _band_height(plan: Plan) -> int:
    """Level 0's band height: whole source chunks, at least one output chunk."""
    src, a = plan.src, plan.band
    n = src.shape[a]
    step = max(src.chunks[a] if src.chunks[a] < n else 0, plan.chunks_sp[0])
    if src.chunks[a] < n and step % src.chunks[a]:
        step += src.chunks[a] - step % src.chunks[a]
    return min(step, n)


def segment_width(plan: Plan) -> Optional[int]:
    """Level 0's segment width along plan.seg: whole source chunks, at least one output
    chunk, a tile of about TILE_BYTES; None for whole bands (no segment axis, or a source
    whose chunks span the width, which each segment would decode whole)."""
    src, s = plan.src, plan.seg
    if s is None:
        return None
    n = src.shape[s]
    base = 1 if isinstance(src.array, np.ndarray) else src.chunks[s]   # an array in memory: any width
    if base >= n:
        return None
    per = math.prod(src.shape) // (src.shape[plan.band] * n) * _band_height(plan) * src.dtype.itemsize
    for i in plan.outer_axes:
        per //= src.shape[i]
    want = max(plan.chunks_sp[plan.spatial.index(s)], TILE_BYTES // max(1, per))
    width = -(-want // base) * base
    return None if width >= n else width


def read_tiles(plan: Plan, width: Optional[int]):
    """Level 0 in tiles `width` wide along plan.seg (None: whole bands): yields (outer index,
    band start, segment start, samples) in stream order (outer index, bands, segments)."""
    src = plan.src
    a, s = plan.band, plan.seg
    n, step = src.shape[a], _band_height(plan)
    cols = [0] if width is None else range(0, src.shape[s], width)
    for outer in itertools.product(*(range(src.shape[i]) for i in plan.outer_axes)):
        for b0 in range(0, n, step):
            for c0 in cols:
                index = [slice(None)] * len(src.shape)
                for i, j in zip(plan.outer_axes, outer):
                    index[i] = slice(j, j + 1)
                index[a] = slice(b0, min(n, b0 + step))
                if width is not None:
                    index[s] = slice(c0, min(src.shape[s], c0 + width))
                yield outer, b0, c0, src.read(tuple(index))


class _Extremes:
    """Per-channel min and max of the smallest level, for the OMERO contrast window."""

    def __init__(self, plan: Plan):
        self.c = plan.axes.find("c")
        n = plan.shapes[0][self.c] if self.c >= 0 else 1
        self.lo, self.hi = [math.inf] * n, [-math.inf] * n

    def add(self, data: np.ndarray, outer: Tuple[int, ...], plan: Plan) -> None:
        if data.size == 0:
            return
        if self.c < 0:
            self.lo[0] = min(self.lo[0], float(data.min()))
            self.hi[0] = max(self.hi[0], float(data.max()))
            return
        if self.c in plan.outer_axes:
            ch = [outer[plan.outer_axes.index(self.c)]]
            vals = [data]
        else:
            ch = range(data.shape[self.c])
            vals = [np.take(data, i, axis=self.c) for i in ch]
        for i, v in zip(ch, vals):
            self.lo[i] = min(self.lo[i], float(v.min()))
            self.hi[i] = max(self.hi[i], float(v.max()))


def stream_tiles(plan: Plan, put, ext: "_Extremes"):
    """Drive the stream over every outer index: put(level, outer, band start, segment start,
    samples) gets every level's tiles in source axis order; yields after each tile of level
    0 read."""
    last = plan.nlevels - 1
    width = segment_width(plan)
    seg = plan.seg if width is not None else None
    streams: Dict[Tuple[int, ...], Stream] = {}
    for outer, r0, c0, tile in prefetch(read_tiles(plan, width)):
        st = streams.get(outer)
        if st is None:
            streams.clear()

            def emit(level: int, start: int, cstart: int, data: np.ndarray, outer=outer) -> None:
                if level == last:
                    ext.add(data, outer, plan)
                put(level, outer, start, cstart, data)
            shape0 = list(plan.shapes[0])
            for i in plan.outer_axes:
                shape0[i] = 1
            st = streams[outer] = Stream(plan.args, plan.steps, tuple(shape0), plan.band, seg, emit)
        st.feed(r0, c0, tile)
        del tile   # not alive while the next one is read
        yield


def run_stream(plan: Plan, put) -> "_Extremes":
    ext = _Extremes(plan)
    for _ in stream_tiles(plan, put, ext):
        pass
    return ext


def _total_bytes(plan: Plan) -> int:
    return sum(math.prod(s) for s in plan.shapes) * plan.src.dtype.itemsize


def _attrs(plan: Plan, version: str, ext: _Extremes) -> Dict[str, Any]:
    ms = ngff.multiscales_block(version, plan.out_axes, plan.units, plan.transforms, plan.name, plan.method,
                                [str(k) for k in range(plan.nlevels)])
    omero = None
    if "c" in plan.axes:
        lo = [v if math.isfinite(v) else 0.0 for v in ext.lo]
        hi = [v if math.isfinite(v) else 0.0 for v in ext.hi]
        omero = ngff.omero_block(version, plan.src.dtype, plan.shapes[0][plan.axes.index("c")],
                                 plan.src.channel_names, lo, hi)
    extra = None
    if getattr(plan, "label", False):
        extra = {"image-label": {"source": {"image": "../../"}}}
        if version == "0.4":
            extra["image-label"]["version"] = "0.4"
        omero = None
    return ngff.image_attrs(version, ms, omero, extra)


def _stream_zarr(plan: Plan, path: str, version: str, compressor: Any, progress: bool) -> None:
    from .zarr_sink import BlockWriter, ZarrSink
    sink = ZarrSink(path, OME_VERSIONS[version], plan.out_shapes, plan.src.dtype, plan.out_axes, plan.out_chunks,
                    plan.shards, compressor)
    ob = plan.out_band_axis()
    os_ = plan.perm.index(plan.seg) if plan.seg is not None else None
    bar = _progress_bar(_total_bytes(plan), progress)

    def write_counted(level: int, region: Tuple[slice, ...], data: np.ndarray) -> None:
        sink.write(level, region, data)
        if bar is not None:
            bar.update(data.nbytes)
    write = AsyncWriter(write_counted)
    writers = [BlockWriter(write, k, plan.out_shapes[k], ob, os_, sink.block(k)) for k in range(plan.nlevels)]
    out_outer = [plan.perm.index(i) for i in plan.outer_axes]

    def put(level: int, outer: Tuple[int, ...], start: int, cstart: int, data: np.ndarray) -> None:
        region = [slice(None)] * len(plan.out_axes)
        for i, j in zip(out_outer, outer):
            region[i] = slice(j, j + 1)
        writers[level].put(tuple(region), start, cstart, data.transpose(plan.perm))

    try:
        ext = run_stream(plan, put)
    finally:
        try:
            write.close()
        finally:
            if bar is not None:
                bar.close()
    for w in writers:
        if w.bufs:
            raise RuntimeError(f"level {w.level}: {len(w.bufs)} blocks were never completed")
    sink.finish(_attrs(plan, version, ext))


# ---------------------------------------------------------------------------------------
# Dask

def _dask_zarr(plan: Plan, path: str, version: str, compressor: Any, progress: bool, scheduler: Any) -> None:
    import dask
    import dask.array as da
    from ..downsample import multiscale
    from .zarr_sink import ZarrSink
    sink = ZarrSink(path, OME_VERSIONS[version], plan.out_shapes, plan.src.dtype, plan.out_axes, plan.out_chunks,
                    plan.shards, compressor)
    in_chunks = tuple(plan.out_chunks[plan.perm.index(i)] for i in range(len(plan.axes)))
    x = plan.src.as_dask(in_chunks)
    sp = [plan.axes[i] for i in plan.spatial]
    lv = multiscale(x, plan.nlevels, factor=plan.factor, method=plan.method, axes=plan.axes,
                    chunks=tuple(plan.out_chunks[plan.out_axes.index(c)] for c in sp))
    arrays, targets = [], []
    for k, a in enumerate(lv):
        a = a.transpose(plan.perm)
        a = a.rechunk(sink.block(k))    # one task per chunk or shard: one writer each
        arrays.append(a)
        targets.append(sink.arrays[k])
    stores = da.store(arrays, targets, lock=False, compute=False, return_stored=False)
    kw = _scheduler_kwargs(scheduler)
    client = kw.pop("client", None)
    if client is not None:
        futures = client.compute(stores)
        if progress:
            from distributed import progress as dprogress
            dprogress(futures)
        client.gather(futures)   # raises a task's error here
    elif progress:
        from dask.diagnostics import ProgressBar
        with ProgressBar():
            dask.compute(stores, **kw)
    else:
        dask.compute(stores, **kw)
    ext = _Extremes(plan)
    small = sink.arrays[-1]
    for outer in itertools.product(*(range(plan.shapes[-1][i]) for i in plan.outer_axes)):
        index = [slice(None)] * len(plan.out_axes)
        for i, j in zip(plan.outer_axes, outer):
            index[plan.perm.index(i)] = slice(j, j + 1)
        ext.add(np.asarray(small[tuple(index)]).transpose(np.argsort(plan.perm)), outer, plan)
    sink.finish(_attrs(plan, version, ext))


def _scheduler_kwargs(scheduler: Any) -> Dict[str, Any]:
    if isinstance(scheduler, str):
        if scheduler not in ("threads", "processes", "sync", "synchronous"):
            raise ValueError(f"scheduler: expected a dask.distributed.Client, 'threads', 'processes' or 'sync', "
                             f"got {scheduler!r}")
        return {"scheduler": scheduler}
    try:
        from distributed import Client
    except ImportError:
        Client = None
    if Client is not None and isinstance(scheduler, Client):
        return {"client": scheduler}
    raise TypeError(f"scheduler: expected a dask.distributed.Client or a scheduler name, got "
                    f"{type(scheduler).__name__}")
