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
    """Collects a level's tiles (output axis order; rows along the band axis, columns along
    the segment axis) and writes whole write blocks (chunks or shards), so every block is
    written once, by one writer. The whole blocks a tile covers go out as a view of it, in
    one call; the parts of blocks are copied into the block's buffer, written when full."""

    def __init__(self, write, level: int, shape: Tuple[int, ...], band_axis: int, seg_axis: Optional[int],
                 block: Tuple[int, ...]):
        self._write, self.level, self.shape, self.a, self.s = write, level, shape, band_axis, seg_axis
        self.block = block
        self.bufs: Dict[Tuple[int, int], list] = {}   # (row block, column block) -> [buffer, samples in it]

    def _region(self, outer: Tuple[Any, ...], rows: Tuple[int, int], cols: Tuple[int, int]) -> Tuple[slice, ...]:
        region = list(outer)
        region[self.a] = slice(*rows)
        if self.s is not None:
            region[self.s] = slice(*cols)
        return tuple(region)

    def _cut(self, data: np.ndarray, rows: Tuple[int, int], cols: Tuple[int, int]) -> np.ndarray:
        index = [slice(None)] * data.ndim
        index[self.a] = slice(*rows)
        if self.s is not None:
            index[self.s] = slice(*cols)
        return data[tuple(index)]

    def put(self, outer: Tuple[Any, ...], start: int, cstart: int, data: np.ndarray) -> None:
        a, s = self.a, self.s
        n, bh = self.shape[a], self.block[a]
        h = data.shape[a]
        if s is None:
            w, ns, bw = 1, 1, 1
        else:
            w, ns, bw = data.shape[s], self.shape[s], self.block[s]
        for rb in range(start // bh, (start + h - 1) // bh + 1):
            b0, b1 = rb * bh, min(n, (rb + 1) * bh)
            lo, hi = max(b0, start), min(b1, start + h)
            run = None   # whole blocks in a row, written from the tile as they are: (first column, end)
            for cb in range(cstart // bw, (cstart + w - 1) // bw + 1):
                k0, k1 = cb * bw, min(ns, (cb + 1) * bw)
                clo, chi = max(k0, cstart), min(k1, cstart + w)
                if lo == b0 and hi == b1 and clo == k0 and chi == k1 and (rb, cb) not in self.bufs:
                    run = (run[0], k1) if run else (k0, k1)
                    continue
                if run:
                    self._flush(outer, (b0, b1), run, self._cut(data, (lo - start, hi - start),
                                                                 (run[0] - cstart, run[1] - cstart)))
                    run = None
                entry = self.bufs.get((rb, cb))
                if entry is None:
                    shape = list(data.shape)
                    shape[a] = b1 - b0
                    if s is not None:
                        shape[s] = k1 - k0
                    entry = self.bufs[(rb, cb)] = [np.empty(shape, data.dtype), 0]
                self._cut(entry[0], (lo - b0, hi - b0), (clo - k0, chi - k0))[...] = \
                    self._cut(data, (lo - start, hi - start), (clo - cstart, chi - cstart))
                entry[1] += (hi - lo) * (chi - clo)
                if entry[1] == (b1 - b0) * (k1 - k0):
                    del self.bufs[(rb, cb)]      # the writer owns it now
                    self._flush(outer, (b0, b1), (k0, k1), entry[0])
            if run:
                self._flush(outer, (b0, b1), run, self._cut(data, (lo - start, hi - start),
                                                             (run[0] - cstart, run[1] - cstart)))

    def _flush(self, outer: Tuple[Any, ...], rows: Tuple[int, int], cols: Tuple[int, int], data: np.ndarray) -> None:
        self._write(self.level, self._region(outer, rows, cols), data)
