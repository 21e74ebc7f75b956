"""Writing the levels as a pyramidal OME-TIFF (tifffile): level 0 as the series' pages,
tiled, each page with the lower levels as its SubIFDs (reduced-resolution images), as
QuPath, OMERO and Bio-Formats read them.

A TIFF is written in order: every page of level 0, then level 1, and so on. Level 0's
tiles go to the file as the stream reads them; the lower levels, produced at the same
time, wait in uncompressed temporary files next to the destination (a third of level 0
for factor 2) and are copied in afterwards. Memory stays a band of rows per level.

OME-TIFF's pyramids keep every plane: only y and x shrink, so z, c and t are planes of
the file (for a volume, factor 1 along z; the default factor does that).
"""
from __future__ import annotations

import math
import os
import shutil
from typing import Any, Dict, List, Optional

import numpy as np

from .ngff import OME_UNIT_SYMBOLS

TIFF_COMPRESSION = {"default": "zlib", "zlib": "zlib", "deflate": "zlib", "zstd": "zstd", "lzw": "lzw",
                    "jpeg": "jpeg", "lzma": "lzma", "webp": "webp", "png": "png"}
_SYMBOL = {v: k for k, v in OME_UNIT_SYMBOLS.items() if k != "um"}


def tiff_compression(compressor: Any) -> Optional[str]:
    if compressor is None or (isinstance(compressor, str) and compressor.lower() == "none"):
        return None
    if not isinstance(compressor, str) or compressor.lower() not in TIFF_COMPRESSION:
        raise ValueError(f"compressor: for TIFF one of None, {', '.join(repr(k) for k in TIFF_COMPRESSION)}; "
                         f"got {compressor!r}")
    return TIFF_COMPRESSION[compressor.lower()]


def is_rgb(plan: Any) -> bool:
    """An interleaved 3-channel 8/16-bit image: written as TIFF RGB (photometric rgb)."""
    ax = plan.axes
    return (ax.endswith("c") and ax[:-1] in ("yx",) and plan.src.shape[-1] == 3
            and plan.src.dtype in (np.uint8, np.uint16))


def _ome_metadata(plan: Any, rgb: bool) -> Dict[str, Any]:
    axes = "YXS" if rgb else plan.out_axes.upper()
    md: Dict[str, Any] = {"axes": axes}
    for c in "zyx":
        if c in plan.pixel and c in plan.axes:
            md[f"PhysicalSize{c.upper()}"] = plan.pixel[c]
            unit = plan.units.get(c)
            if unit:
                md[f"PhysicalSize{c.upper()}Unit"] = _SYMBOL.get(unit, unit)
    if plan.src.channel_names:
        md["Channel"] = {"Name": list(plan.src.channel_names)}
    md["Name"] = plan.name
    return md


def write_tiff(plan: Any, path: str, compressor: Any, progress: bool) -> None:
    import tifffile
    from .write import _Extremes, _progress_bar, stream_tiles
    comp = tiff_compression(compressor)
    if comp == "jpeg" and plan.src.dtype != np.uint8:
        raise ValueError("compressor: JPEG needs uint8 samples")
    rgb = plan.rgb
    th, tw = plan.chunks_sp[-2], plan.chunks_sp[-1]
    if th % 16 or tw % 16:
        raise ValueError(f"chunks: TIFF tiles are multiples of 16, got {th} x {tw}")
    perm = _file_perm(plan, rgb)
    shapes = [tuple(s[i] for i in perm) for s in plan.shapes]
    nbytes = sum(math.prod(s) for s in shapes) * plan.src.dtype.itemsize
    levels_dir = path + ".levels"
    os.makedirs(levels_dir, exist_ok=True)
    bar = _progress_bar(nbytes, progress)
    temps: List[_RawLevel] = []
    try:
        out_outer = [perm.index(i) for i in plan.outer_axes]
        ya = perm.index(plan.band)
        temps += [_RawLevel(os.path.join(levels_dir, f"{k}.raw"), shapes[k], plan.src.dtype, ya)
                  for k in range(1, plan.nlevels)]
        height = plan.shapes[0][plan.band]
        pending: List[Any] = []   # level 0's bands (start, samples in file order), not yet in tiles

        def put(level: int, outer, start: int, cstart: int, data: np.ndarray) -> None:   # whole bands (cstart 0)
            d = data.transpose(perm)
            if level == 0:
                pending.append((start, d))
                return
            plane = 0
            for i, j in zip(out_outer, outer):   # the page: outer indices in file order
                plane = plane * shapes[level][i] + j
            temps[level - 1].write(plane, start, d)

        ext = _Extremes(plan)

        def tiles():
            """Level 0's tiles in file order (page by page, each row-major), as the stream reads them."""
            rows: List[np.ndarray] = []
            row0 = have = 0
            for _ in stream_tiles(plan, put, ext):
                while pending:
                    start, d = pending.pop(0)
                    if not rows:
                        row0 = start
                    rows.append(d)
                    have += d.shape[ya]
                    while have >= th or (have and row0 + have == height):
                        block = np.concatenate(rows, axis=ya) if len(rows) > 1 else rows[0]
                        take = min(th, have)
                        head = block[(slice(None),) * ya + (slice(0, take),)]
                        plane = head.reshape(head.shape[ya:])   # the page's tile row: (rows, x[, samples])
                        for x0 in range(0, plane.shape[1], tw):
                            yield plane[:, x0:x0 + tw]
                        if bar is not None:
                            bar.update(head.nbytes)
                        rest = block[(slice(None),) * ya + (slice(take, None),)]
                        rows = [rest] if rest.shape[ya] else []
                        row0, have = row0 + take, have - take

        opts = dict(tile=(th, tw), compression=comp, photometric="rgb" if rgb else "minisblack")
        # classic TIFF offsets are 32-bit: BigTIFF whenever the data could come near 4 GiB
        with tifffile.TiffWriter(path, bigtiff=nbytes > 2**31, ome=True) as tif:
            tif.write(tiles(), shape=shapes[0], dtype=plan.src.dtype, subifds=plan.nlevels - 1,
                      metadata=_ome_metadata(plan, rgb), **opts)
            for t in temps:
                tif.write(t.tiles(th, tw), shape=t.shape, dtype=t.dtype, subfiletype=1, metadata=None, **opts)
                if bar is not None:
                    bar.update(t.nbytes)

    finally:
        for t in temps:
            t.close()
        if bar is not None:
            bar.close()
        shutil.rmtree(levels_dir, ignore_errors=True)


class _RawLevel:
    """A lower level waiting for its turn: a raw C-order file written band by band and read
    back a tile row at a time (plain reads and writes, so its pages never count as this
    process' memory, as a memory map's would)."""

    def __init__(self, path: str, shape, dtype: np.dtype, band_axis: int):
        self.shape, self.dtype, self.a = tuple(shape), np.dtype(dtype), band_axis
        self.row = math.prod(shape[band_axis + 1:]) * self.dtype.itemsize   # bytes per band-axis sample
        self.plane = self.row * shape[band_axis]
        self.nbytes = math.prod(shape) * self.dtype.itemsize
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    def write(self, plane: int, start: int, data: np.ndarray) -> None:
        buf = np.ascontiguousarray(data).data.cast("B")
        off, done = plane * self.plane + start * self.row, 0
        while done < len(buf):
            done += os.pwrite(self.fd, buf[done:], off + done)

    def tiles(self, th: int, tw: int):
        """The level's tiles in file order, page by page."""
        h = self.shape[self.a]
        planes = math.prod(self.shape[:self.a])
        inner = self.shape[self.a + 1:]
        for p in range(planes):
            for y0 in range(0, h, th):
                n = min(th, h - y0)
                raw = os.pread(self.fd, n * self.row, p * self.plane + y0 * self.row)
                rows = np.frombuffer(raw, self.dtype).reshape((n,) + inner)
                for x0 in range(0, inner[0], tw):
                    yield rows[:, x0:x0 + tw]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _file_perm(plan: Any, rgb: bool) -> List[int]:
    """Source axes in the file's order: YXS for RGB, else OME order t, c, z, y, x."""
    if rgb:
        return [plan.axes.index(c) for c in "yxc"]
    return list(plan.perm)
