"""The streaming engine: every level of a multiscale pyramid from one pass over level 0.

Level 0 arrives in tiles, in raster order: bands along the *band axis* (the first spatial
axis of the source: y of an image, z of a volume), each band cut into segments along the
*segment axis* (the next spatial axis) or whole, full extent on every other axis. Each
level keeps, per segment, the few input rows its next band reads and, within a band, the
few input columns of the last segment its next tile reads; it computes an output tile as
soon as the tile's input has arrived and passes it on, to the sink and to the level below.
A level's tiles are again in raster order (a band's tiles left to right, then the next
band), so the level below reads them the same way.

Which input samples an output range reads is the axis rule of the chunked engine
(``_dask.Down`` for gaussian, ``_dask.Box`` for the box methods), and a tile is computed by
the same whole-array function as a Dask task (``downsample._block``) on that window, so the
levels are bit-identical to :func:`pyramidkit.multiscale` of the whole array.

Memory: per level, a few input rows across the width and a few columns down a band, the
tile being computed, and nothing else; the sink adds what it buffers for writing.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .._args import DownsampleArgs, downsample_shape
from .._config import num_threads
from .._dask import Box, Down, _window
from ..downsample import _block

Emit = Callable[[int, int, int, np.ndarray], None]   # (level, start along the band axis, along the segment axis, samples)
Parts = List[Tuple[int, np.ndarray]]                  # (start along the band axis, samples), in order
MIN_COLS = 1024   # a level's input tiles narrower than this are joined first


def band_step(shape: Sequence[int], band_axis: int, itemsize: int, target_bytes: int = 2 << 20) -> int:
    """Output samples per computed band along the band axis: about target_bytes of output,
    few calls but below the result cache's threshold (pyramidkit._memory), which would keep
    the buffers."""
    per = math.prod(n for a, n in enumerate(shape) if a != band_axis) * itemsize
    return max(1, min(shape[band_axis], target_bytes // max(1, per)))


def _rule(method: str, n: int, m: int, f: int):
    if f == 1:
        return None
    return Down(n, m, False) if method == "gaussian" else Box(n, f)


def _last_out(rule, o0: int, m: int, have: int, n: int) -> int:
    """The end of the longest output range from o0 whose input has arrived (samples [0, have)
    of n); all the rest once the input is complete. Window ends grow with the range's end."""
    if have >= n:
        return m
    lo, hi = o0, m
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _window(rule, o0, mid)[1] <= have:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _keep(rule, o1: int, m: int) -> int:
    """Where the input of the next output range (from o1) begins, whatever its end: at the
    far edge a window reaches back further (the reflection)."""
    return min(_window(rule, o1, o1 + 1)[0], _window(rule, o1, m)[0])


def _cut(a: int, lo: int, hi: int) -> Tuple[slice, ...]:
    return (slice(None),) * a + (slice(lo, hi),)


def _kept(parts: Parts, a: int, keep: int) -> Parts:
    """The parts from input sample `keep` on; a long part's short tail is copied, so the
    rest of it is freed."""
    out = []
    for s, p in parts:
        n = p.shape[a]
        if s + n <= keep:
            continue
        if s < keep and n > 8 * (s + n - keep):
            p, s = p[_cut(a, keep - s, None)].copy(), keep
        out.append((s, p))
    return out


def _take(parts: Parts, a: int, ws: int, we: int) -> np.ndarray:
    pieces = []
    for s, p in parts:
        lo, hi = max(ws, s), min(we, s + p.shape[a])
        if lo < hi:
            pieces.append(p[_cut(a, lo - s, hi - s)])
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=a)


def _end_of_part(parts: Parts, a: int, i: int) -> int:
    """Where the part holding input sample i ends."""
    for s, p in parts:
        if s <= i < s + p.shape[a]:
            return s + p.shape[a]
    return parts[-1][0] + parts[-1][1].shape[a]


class _Level:
    """One level of the stream: its input (the level above) arrives tile by tile."""

    def __init__(self, index: int, args: DownsampleArgs, in_shape: Tuple[int, ...], band_axis: int,
                 seg_axis: Optional[int], emit: Emit, below: Optional["_Level"], threads: int):
        self.index, self.args, self.a, self.s, self.emit, self.below = index, args, band_axis, seg_axis, emit, below
        self.threads = threads
        self.shape = downsample_shape(in_shape, args.factors)
        a, s, f = band_axis, seg_axis, args.factors
        self.n, self.m = in_shape[a], self.shape[a]
        self.ra = _rule(args.method, self.n, self.m, f[a])
        self.ns, self.ms = (in_shape[s], self.shape[s]) if s is not None else (1, 1)
        self.rs = _rule(args.method, self.ns, self.ms, f[s]) if s is not None else None
        native = args.method in ("gaussian", "mean")   # the others make temporaries of 8-byte counts
        self.step = band_step(self.shape, a, np.dtype(args.array.dtype).itemsize * (1 if native else 8))
        self.tails: Dict[int, Parts] = {}   # segment start -> the input rows its next band reads
        self.have = 0        # input rows [0, have) have arrived in every segment
        self.o = 0           # next output row
        self.band = (0, 0)   # the band being received: input rows [r0, r1) ...
        self.o1 = 0          # ... and its output rows [o, o1)
        self.c = 0           # the next segment's start
        self.oc = 0          # the band's next output column
        self.left: Optional[Tuple[int, np.ndarray]] = None   # (start, the band's window there): columns the next tile reads
        self.pending: List[Tuple[int, int, np.ndarray]] = []   # narrow tiles waiting to be joined

    def feed(self, r0: int, c0: int, piece: np.ndarray) -> None:
        a, s = self.a, self.s
        r1 = r0 + piece.shape[a]
        c1 = c0 + piece.shape[s] if s is not None else 1
        if s is not None and (self.pending or (c1 < self.ns and piece.shape[s] < MIN_COLS)):
            # narrow tiles (deep levels) are joined up to MIN_COLS columns first: fewer,
            # larger calls; the same joins in every band, as they depend on widths only
            if self.pending and (self.pending[0][0] != r0 or self.pending[-1][1] + self.pending[-1][2].shape[s] != c0):
                raise RuntimeError(f"level {self.index}: tile at ({r0}, {c0}) does not follow the one before")
            self.pending.append((r0, c0, piece))
            if c1 < self.ns and c1 - self.pending[0][1] < MIN_COLS:
                return
            c0 = self.pending[0][1]
            piece = np.concatenate([p for _, _, p in self.pending], axis=s)
            self.pending = []
        if c0 == 0:
            if r0 != self.have:
                raise RuntimeError(f"level {self.index}: band at {r0}, expected {self.have}")
            self.band, self.c, self.oc, self.left = (r0, r1), 0, 0, None
            self.o1 = _last_out(self.ra, self.o, self.m, r1, self.n)
        elif (r0, r1) != self.band or c0 != self.c:
            raise RuntimeError(f"level {self.index}: tile at ({r0}, {c0}), expected ({self.band[0]}, {self.c})")
        self.c = c1
        parts = self.tails.pop(c0, []) + [(r0, piece)]
        if self.o1 < self.m:
            self.tails[c0] = _kept(parts, a, _keep(self.ra, self.o1, self.m))
        if c0 == 0 and c1 == self.ns:
            self._band(parts)
        else:
            self._tile(parts, c0, c1)
        if c1 == self.ns:
            self.have, self.o = r1, self.o1

    def _compute(self, win: np.ndarray) -> np.ndarray:
        with num_threads(self.threads):
            return _block(win, self.args._replace(array=win))

    def _out(self, o: int, oc: int, res: np.ndarray) -> None:
        self.emit(self.index, o, oc, res)
        if self.below is not None:
            self.below.feed(o, oc, res)

    def _band(self, parts: Parts) -> None:
        """A whole band: output rows in steps, each a band of its own; a step's window is a
        view of one part where it can be (a few rows across a seam are copied)."""
        a, o = self.a, self.o
        while o < self.o1:
            q1 = min(o + self.step, self.o1)
            ws, we, _, crop = _window(self.ra, o, q1)
            end = _end_of_part(parts, a, ws)
            if we > end:   # the longest range whose window stays inside this part, else a few rows across
                lo, hi = o, q1
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    if _window(self.ra, o, mid)[1] <= end:
                        lo = mid
                    else:
                        hi = mid - 1
                q1 = lo if lo > o else min(q1, o + 4)
                ws, we, _, crop = _window(self.ra, o, q1)
            res = self._compute(_take(parts, a, ws, we))
            self._out(o, 0, res[_cut(a, crop, crop + q1 - o)])
            o = q1

    def _tile(self, parts: Parts, c0: int, c1: int) -> None:
        """One segment of a band: the output columns whose input has arrived, computed as
        three windows: the bulk, a view of this segment's samples; the first few rows,
        whose window reaches into the rows kept of the band before; the first few columns,
        whose window reaches into the columns kept of the segment before (self.left). Only
        those two edges are copied."""
        a, s = self.a, self.s
        o0, o1 = self.o, self.o1
        if o0 == o1:
            return
        bws, bwe = _window(self.ra, o0, o1)[:2]
        oc0 = self.oc
        oc1 = _last_out(self.rs, oc0, self.ms, c1, self.ns)
        r0 = parts[-1][0]
        q = _first_inside(self.ra, o0, o1, r0)     # rows from q read this band's samples only
        p = _first_inside(self.rs, oc0, oc1, c0)   # columns from p read this segment's only
        if oc0 < oc1:
            res = None
            for (lo, hi), (clo, chi) in (((q, o1), (p, oc1)), ((o0, q), (p, oc1)), ((o0, o1), (oc0, p))):
                if lo == hi or clo == chi:
                    continue
                ws, we, _, crop = _window(self.ra, lo, hi)
                cws, cwe, _, ccrop = _window(self.rs, clo, chi)
                part = self._compute(self._gather(parts, bws, ws, we, cws, cwe, c0))
                part = part[_cut(a, crop, crop + hi - lo)][_cut(s, ccrop, ccrop + chi - clo)]
                if lo == o0 and hi == o1 and clo == oc0 and chi == oc1:
                    res = part
                    break
                if res is None:
                    shape = list(part.shape)
                    shape[a], shape[s] = o1 - o0, oc1 - oc0
                    res = np.empty(shape, part.dtype)
                res[_cut(a, lo - o0, hi - o0)][_cut(s, clo - oc0, chi - oc0)] = part
            self._out(o0, oc0, res)
        if oc1 < self.ms:   # the columns the next segment's tiles read, this band's window rows
            k = _keep(self.rs, oc1, self.ms)
            self.left = (k, self._gather(parts, bws, bws, bwe, k, c1, c0).copy())
        self.oc = oc1

    def _gather(self, parts: Parts, bws: int, ws: int, we: int, cws: int, cwe: int, c0: int) -> np.ndarray:
        """Rows [ws, we) x columns [cws, cwe) of the band's input: columns before c0 from
        self.left (rows from bws), the rest from this segment's parts; a view when one part
        holds it all."""
        a, s = self.a, self.s
        cols = []
        if cws < c0:
            ct0, left = self.left
            cols.append(left[_cut(a, ws - bws, we - bws)][_cut(s, cws - ct0, min(cwe, c0) - ct0)])
        if cwe > c0:
            cut = _cut(s, max(cws, c0) - c0, cwe - c0)
            cols.append(_take([(r, p[cut]) for r, p in parts], a, ws, we))
        return cols[0] if len(cols) == 1 else np.concatenate(cols, axis=s)


def _first_inside(rule, o0: int, o1: int, start: int) -> int:
    """The first output sample in [o0, o1) from which on the window of [q, o1) starts at or
    after input sample `start` (o1 if none); window starts grow with q."""
    lo, hi = o0, o1
    while lo < hi:
        mid = (lo + hi) // 2
        if _window(rule, mid, o1)[0] >= start:
            hi = mid
        else:
            lo = mid + 1
    return lo


class Stream:
    """Feed level 0 of one image (the leading carried axes fixed) tile by tile in raster
    order; emit(level, band start, segment start, samples) receives every level's tiles,
    level 0's included."""

    def __init__(self, args: DownsampleArgs, steps: Sequence[Tuple[int, ...]], shape0: Tuple[int, ...],
                 band_axis: int, seg_axis: Optional[int], emit: Emit, threads: int = 1):
        self.emit = emit
        shapes = [tuple(shape0)]
        for fs in steps:
            shapes.append(downsample_shape(shapes[-1], fs))
        below = None
        self.levels: List[_Level] = []
        for k in range(len(steps), 0, -1):
            lv = _Level(k, args._replace(factors=tuple(steps[k - 1])), shapes[k - 1], band_axis, seg_axis, emit,
                        below, threads)
            self.levels.insert(0, lv)
            below = lv
        self.shapes = shapes

    def feed(self, r0: int, c0: int, piece: np.ndarray) -> None:
        self.emit(0, r0, c0, piece)
        if self.levels:
            self.levels[0].feed(r0, c0, piece)
