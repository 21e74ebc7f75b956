"""The streaming engine: every level of a multiscale pyramid from one pass over level 0.

Level 0 arrives in bands along the *band axis* (the first spatial axis of the source: y
of an image, z of a volume), full extent on every other axis. Each level keeps the few
bands of the level above that its next output band reads, computes that band as soon as
they have arrived and passes it on, to the sink and to the level below. Which input
samples an output band reads is the axis rule of the chunked engine (``_dask.Down`` for
gaussian, ``_dask.Box`` for the box methods), and a band is computed by the same
whole-array function as a Dask task (``downsample._block``) with the same crop, so the
levels are bit-identical to :func:`pyramidkit.multiscale` of the whole array.

Memory: per level, the input samples its next band reads (2 x band + 3 samples along the
band axis for gaussian) and nothing else; the sink adds what it buffers for writing.
"""
from __future__ import annotations

import math
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from .._args import DownsampleArgs, downsample_shape
from .._config import num_threads
from .._dask import Box, Down, _window
from ..downsample import _block

Emit = Callable[[int, int, np.ndarray], None]   # (level, start along the band axis, samples)


def band_step(shape: Sequence[int], band_axis: int, itemsize: int, target_bytes: int = 2 << 20) -> int:
    """Output samples per computed band along the band axis: about target_bytes of output,
    few calls but below the result cache's threshold (pyramidkit._memory), which would keep
    the buffers."""
    per = math.prod(n for a, n in enumerate(shape) if a != band_axis) * itemsize
    return max(1, min(shape[band_axis], target_bytes // max(1, per)))


class _Level:
    """One level of the stream: its input (the level above) arrives band by band."""

    def __init__(self, index: int, args: DownsampleArgs, in_shape: Tuple[int, ...], band_axis: int, emit: Emit,
                 below: Optional["_Level"], threads: int):
        self.index, self.args, self.a, self.emit, self.below = index, args, band_axis, emit, below
        f = args.factors[band_axis]
        n = in_shape[band_axis]
        self.n = n
        self.shape = downsample_shape(in_shape, args.factors)
        self.m = self.shape[band_axis]
        if f == 1:
            self.rule = None
        elif args.method == "gaussian":
            self.rule = Down(n, self.m, False)
        else:
            self.rule = Box(n, f)
        native = args.method in ("gaussian", "mean")   # the others make temporaries of 8-byte counts
        self.step = band_step(self.shape, band_axis, np.dtype(args.array.dtype).itemsize * (1 if native else 8))
        self.threads = threads
        self.parts: List[Tuple[int, np.ndarray]] = []   # (start, samples) along the band axis, in order
        self.have = 0      # input samples [0, have) have arrived
        self.o = 0         # next output sample

    def feed(self, start: int, piece: np.ndarray) -> None:
        if start != self.have:
            raise RuntimeError(f"level {self.index}: band at {start}, expected {self.have}")
        self.parts.append((start, piece))
        self.have = start + piece.shape[self.a]
        self._drain()

    def _take(self, ws: int, we: int) -> np.ndarray:
        a = self.a
        pieces = []
        for s, p in self.parts:
            e = s + p.shape[a]
            lo, hi = max(ws, s), min(we, e)
            if lo < hi:
                pieces.append(p[(slice(None),) * a + (slice(lo - s, hi - s),)])
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=a)

    def _end_of_part(self, i: int) -> int:
        """Where the part holding input sample i ends."""
        for s, p in self.parts:
            if s <= i < s + p.shape[self.a]:
                return s + p.shape[self.a]
        return self.have

    def _drain(self) -> None:
        a = self.a
        while self.o < self.m:
            o0, o1 = self.o, min(self.o + self.step, self.m)
            ws, we, _, crop = _window(self.rule, o0, o1)
            if we > self.have:
                return
            end = self._end_of_part(ws)
            if we > end:   # the window crosses into the next part
                # the longest band whose window stays inside this part (a view), else a few
                # samples across the seam (a small copy); window ends grow with o1
                lo, hi = o0, o1
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    if _window(self.rule, o0, mid)[1] <= end:
                        lo = mid
                    else:
                        hi = mid - 1
                o1 = lo if lo > o0 else min(o1, o0 + 4)
                ws, we, _, crop = _window(self.rule, o0, o1)
            win = self._take(ws, we)
            with num_threads(self.threads):
                res = _block(win, self.args._replace(array=win))
            res = res[(slice(None),) * a + (slice(crop, crop + o1 - o0),)]
            self.o = o1
            if o1 < self.m:   # keep only what the next band reads, copying a part's tail
                keep = _window(self.rule, o1, min(o1 + self.step, self.m))[0]
                kept = []
                for s, p in self.parts:
                    n = p.shape[a]
                    if s + n <= keep:
                        continue
                    if s < keep and n > 8 * (s + n - keep):   # a short tail: free the rest
                        p, s = p[(slice(None),) * a + (slice(keep - s, None),)].copy(), keep
                    kept.append((s, p))
                self.parts = kept
            else:
                self.parts = []
            self.emit(self.index, o0, res)
            if self.below is not None:
                self.below.feed(o0, res)


class Stream:
    """Feed level 0 of one image (the leading carried axes fixed) in order along the band
    axis; emit(level, start, samples) receives every level's bands, level 0's included."""

    def __init__(self, args: DownsampleArgs, steps: Sequence[Tuple[int, ...]], shape0: Tuple[int, ...],
                 band_axis: int, emit: Emit, threads: int = 1):
        self.emit, self.a = emit, band_axis
        shapes = [tuple(shape0)]
        for fs in steps:
            shapes.append(downsample_shape(shapes[-1], fs))
        below = None
        self.levels: List[_Level] = []
        for k in range(len(steps), 0, -1):
            lv = _Level(k, args._replace(factors=tuple(steps[k - 1])), shapes[k - 1], band_axis, emit, below, threads)
            self.levels.insert(0, lv)
            below = lv
        self.shapes = shapes
        self.have = 0

    def feed(self, piece: np.ndarray) -> None:
        start = self.have
        self.have += piece.shape[self.a]
        self.emit(0, start, piece)
        if self.levels:
            self.levels[0].feed(start, piece)
