"""Writing the levels into an OME-Zarr image: NGFF 0.4 on Zarr v2, 0.5 on Zarr v3 (sharded
when asked). The arrays are created first, filled a whole chunk (or shard) row at a time,
and the multiscales metadata goes in last."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np


def zarr_compressors(compressor: Any, zarr_format: int):
    """write_multiscale's `compressor` as zarr-python's `compressors` argument."""
    if compressor is None or (isinstance(compressor, str) and compressor.lower() == "none"):
        return None
    if isinstance(compressor, str):
        name = compressor.lower()
        if name == "default":
            return "auto"
        if zarr_format == 3:
            from zarr import codecs
            table = {"zstd": lambda: codecs.ZstdCodec(level=3), "gzip": lambda: codecs.GzipCodec(level=5),
                     "blosc": lambda: codecs.BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")}
        else:
            import numcodecs
            table = {"zstd": lambda: numcodecs.Zstd(level=3), "gzip": lambda: numcodecs.GZip(level=5),
                     "blosc": lambda: numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE)}
        if name not in table:
            raise ValueError(f"compressor: unknown name {compressor!r}; accepted: 'default', None, "
                             f"{', '.join(repr(k) for k in table)} or a zarr codec object")
        return table[name]()
    return compressor


class ZarrSink:
    """The arrays "0", "1", ... of an image group; put() writes whole blocks along the band axis."""

    def __init__(self, path: str, zarr_format: int, shapes: Sequence[Tuple[int, ...]], dtype: np.dtype,
                 out_axes: str, chunks: Tuple[int, ...], shards: Optional[Tuple[int, ...]], compressor: Any):
        import zarr
        self.group = zarr.open_group(path, mode="w", zarr_format=zarr_format)
        comp = zarr_compressors(compressor, zarr_format)
        self.arrays = []
        for k, shape in enumerate(shapes):
            ch = tuple(min(c, n) for c, n in zip(chunks, shape))
            # every chunk is written, background too: a complete file, and zarr-python's
            # test for chunks equal to the fill value costs more than writing them
            kw: Dict[str, Any] = dict(shape=shape, dtype=dtype, chunks=ch, compressors=comp, fill_value=0,
                                      config={"write_empty_chunks": True})
            if zarr_format == 3:
                kw["dimension_names"] = list(out_axes)
                if shards is not None:
                    # whole chunks per shard, the shard no larger than the level needs
                    kw["shards"] = tuple(min(s, -(-n // c) * c) for s, n, c in zip(shards, shape, ch))
            else:
                kw["chunk_key_encoding"] = {"name": "v2", "separator": "/"}
            self.arrays.append(self.group.create_array(str(k), **kw))

    def block(self, level: int) -> Tuple[int, ...]:
        """The write unit of a level: its shard shape, else its chunk shape."""
        a = self.arrays[level]
        return tuple(a.shards) if getattr(a, "shards", None) else tuple(a.chunks)

    def write(self, level: int, region: Tuple[slice, ...], data: np.ndarray) -> None:
        self.arrays[level][region] = data

    def finish(self, attrs: Dict[str, Any]) -> None:
        self.group.attrs.update(attrs)


class BlockWriter:
    """Collects a level's bands (output axis order) and writes them a whole write block along
    the band axis at a time, so every chunk or shard is written once, by one writer. A band
    that is a whole block goes out as it is; others are copied into the block's buffer."""

    def __init__(self, write, level: int, shape: Tuple[int, ...], band_axis: int, block: int):
        self._write, self.level, self.shape, self.a, self.block = write, level, shape, band_axis, block
        self.buf: Optional[np.ndarray] = None
        self.start = 0    # band-axis start of the block being filled
        self.count = 0    # samples in it
        self.outer: Tuple[slice, ...] = ()

    def put(self, outer: Tuple[Any, ...], start: int, data: np.ndarray) -> None:
        a, n = self.a, self.shape[self.a]
        pos, m = 0, data.shape[a]
        while pos < m:
            if self.count == 0:
                self.start, self.outer = start + pos, outer
            end = min(n, (self.start // self.block + 1) * self.block)   # this block's end
            take = min(m - pos, end - self.start - self.count)
            piece = data[(slice(None),) * a + (slice(pos, pos + take),)]
            if self.count == 0 and take == end - self.start:
                self._flush(piece, end)          # a whole block: no copy
            else:
                if self.buf is None or self.buf.shape[a] != end - self.start or self.buf.shape[:a] != data.shape[:a]:
                    shape = list(data.shape)
                    shape[a] = end - self.start
                    self.buf = np.empty(shape, data.dtype)
                self.buf[(slice(None),) * a + (slice(self.count, self.count + take),)] = piece
                self.count += take
                if self.start + self.count == end:
                    buf, self.buf = self.buf, None   # the writer owns it now
                    self._flush(buf, end)
            pos += take

    def _flush(self, data: np.ndarray, end: int) -> None:
        region = list(self.outer)
        region[self.a] = slice(self.start, end)
        self._write(self.level, tuple(region), data)
        self.count = 0
        self.start = end
