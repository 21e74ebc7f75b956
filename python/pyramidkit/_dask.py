"""The chunked engine: ops on Dask arrays, exact for every chunking.

One graph layer per op (and per pyramid level), one task per output chunk. A task
assembles its input window itself from the input chunks it touches (its share of the
input plus the halo the filter reads), runs the in-memory op on that window and keeps
its chunk. Which input samples an output chunk needs is an *axis rule* of the op:

    window(o0, o1) -> (ws, we, out_len, crop)

for output samples [o0, o1) of one axis: the op reads input samples [ws, we); run on that
window it gives out_len samples, of which [crop, crop + o1 - o0) are the chunk. A window
that ends at the true image edge lets the in-memory op apply the border there, exactly as
on the whole array (reaching back far enough for the samples a reflection reads);
everywhere else the window carries enough real neighbours that the
samples the op computes from its window border are cut away. With the "wrap" border the
window takes its halo from the far side of the image (indices modulo n), so the op's own
border is never used. A result is therefore bit-identical to the whole-array call.

The layer is lazy (no Python loop per chunk until the graph is computed or culled), so
building the graph of an array of a million chunks costs microseconds.
"""
from __future__ import annotations

import bisect
import itertools
import math
import sys
from typing import Any, Callable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from ._args import BORDERS
from ._config import num_threads
from ._memory import new_array


def is_dask(x: Any) -> bool:
    """Whether x is a dask.array.Array (never imports dask). The class is looked up where it
    is defined, and may be missing while another thread is still importing dask (a
    distributed worker deserialising a task): then no instance of it exists yet."""
    m = sys.modules.get("dask.array.core")
    cls = getattr(m, "Array", None) if m is not None else None
    return cls is not None and isinstance(x, cls)


def any_dask(xs: Sequence[Any]) -> bool:
    return any(is_dask(x) for x in xs)


# ---------------------------------------------------------------------------------------
# Axis rules

class Down:
    """pyr_down along an axis (n input samples, m output samples): output k reads 2k-2..2k+2."""

    def __init__(self, n: int, m: int, wrap: bool):
        self.n, self.m, self.wrap = n, m, wrap

    def window(self, o0: int, o1: int) -> Tuple[int, int, int, int]:
        ws, we = 2 * o0 - 2, 2 * o1 + 1
        if not self.wrap:
            if we >= self.n:  # the true edge: the op's size rule and border apply there,
                # and a reflection reads back up to 4 samples (index n + 2 -> n - 4)
                ws = max(0, min(ws, self.n - 4) & ~1)
                return ws, self.n, self.m - ws // 2, o0 - ws // 2
            ws = max(ws, 0)
        return ws, we, (we - ws + 1) // 2, o0 - ws // 2


class Up:
    """pyr_up along an axis: output 2i reads i-1..i+1, output 2i+1 reads i, i+1."""

    def __init__(self, n: int, m: int, wrap: bool):
        self.n, self.m, self.wrap = n, m, wrap

    def window(self, o0: int, o1: int) -> Tuple[int, int, int, int]:
        ws, we = o0 // 2 - 1, (o1 - 1) // 2 + 2
        if not self.wrap:
            if we >= self.n:  # a reflection at the true edge reads back up to 3 samples
                ws = max(0, min(ws, self.n - 3))
                return ws, self.n, self.m - 2 * ws, o0 - 2 * ws
            ws = max(ws, 0)
        return ws, we, 2 * (we - ws), o0 - 2 * ws


class Same:
    """A same-size filter of radius r (gaussian_blur)."""

    def __init__(self, n: int, r: int, wrap: bool):
        self.n, self.r, self.wrap = n, r, wrap

    def window(self, o0: int, o1: int) -> Tuple[int, int, int, int]:
        ws, we = o0 - self.r, o1 + self.r
        if not self.wrap:
            ws, we = max(ws, 0), min(we, self.n)
        return ws, we, we - ws, o0 - ws


class Box:
    """Boxes of f samples, the last one partial (downsample's mean, nearest, mode, min, max)."""

    def __init__(self, n: int, f: int):
        self.n, self.f = n, f

    def window(self, o0: int, o1: int) -> Tuple[int, int, int, int]:
        return self.f * o0, min(self.f * o1, self.n), o1 - o0, 0


def _pieces(starts: Sequence[int], n: int, ws: int, we: int) -> Tuple[Tuple[int, int, int], ...]:
    """The window [ws, we) of an axis (indices modulo n) as (block, start, stop) runs."""
    out, i = [], ws
    while i < we:
        g = i % n
        b = bisect.bisect_right(starts, g) - 1
        stop = min(starts[b + 1], g + (we - i))
        out.append((b, g - starts[b], stop - starts[b]))
        i += stop - g
    return tuple(out)


# ---------------------------------------------------------------------------------------
# The task

class Window(NamedTuple):
    """An input window as an op's task function sees it."""
    array: np.ndarray
    out_lens: Tuple[int, ...]   # per axis, the op's output length on this window
    crop: Tuple[slice, ...]     # the chunk within that output


def _assemble(blocks: Sequence[Any], runs: Sequence[Tuple[Tuple[int, int], ...]]) -> np.ndarray:
    if all(len(r) == 1 for r in runs):
        return np.asarray(blocks[0])[tuple(slice(*r[0]) for r in runs)]
    offsets = [np.cumsum([0] + [b - a for a, b in r]).tolist() for r in runs]
    first = np.asarray(blocks[0])
    out, _ = new_array(tuple(o[-1] for o in offsets), first.dtype)   # reused pages, no faults
    for blk, combo in zip(blocks, itertools.product(*(range(len(r)) for r in runs))):
        src = np.asarray(blk)[tuple(slice(*runs[a][c]) for a, c in enumerate(combo))]
        out[tuple(slice(offsets[a][c], offsets[a][c + 1]) for a, c in enumerate(combo))] = src
    return out


def _window(rule: Any, o0: int, o1: int) -> Tuple[int, int, int, int]:
    return (o0, o1, o1 - o0, 0) if rule is None else rule.window(o0, o1)


# A window larger than this is computed in slabs along the outermost axis of the chunk
# (each slab's window from the same rules), so a task's memory stays bounded whatever the
# chunk shape: a (64, 512, 512) output chunk of a 3-D gaussian reads 276 MB of input.
SLAB_BYTES = 32 << 20


def _slab_spec(spec, blocks: Sequence[Any], a: int, q0: int, q1: int):
    """The spec and blocks of the window of output samples [q0, q1) along axis a."""
    runs, out_lens, crop, count, rules, ws, o0 = spec
    sws, swe, sout, scrop = _window(rules[a], q0, q1)
    lo, hi = sws - ws[a], swe - ws[a]          # in the task window's coordinates
    keep, new_runs, pos = [], [], 0
    for p, (b0, b1) in enumerate(runs[a]):
        s0, s1 = max(lo, pos), min(hi, pos + b1 - b0)
        if s0 < s1:
            keep.append(p)
            new_runs.append((b0 + s0 - pos, b0 + s1 - pos))
        pos += b1 - b0
    sub = [blk for blk, combo in zip(blocks, itertools.product(*(range(len(r)) for r in runs))) if combo[a] in keep]
    runs = runs[:a] + (tuple(new_runs),) + runs[a + 1:]
    out_lens = out_lens[:a] + (sout,) + out_lens[a + 1:]
    crop = crop[:a] + ((scrop, q1 - q0),) + crop[a + 1:]
    return (runs, out_lens, crop, len(sub)), sub


def _windows(specs, blocks) -> List[Window]:
    wins, k = [], 0
    for runs, out_lens, crop, count in specs:
        wins.append(Window(_assemble(blocks[k:k + count], runs), out_lens,
                           tuple(slice(c, c + n) for c, n in crop)))
        k += count
    return wins


def run_task(fn: Callable, params: Any, specs: Tuple[Any, ...], *blocks: Any) -> np.ndarray:
    """Assemble every input's window, then fn(params, windows) on one kernel thread (the
    scheduler runs tasks in parallel); large windows in slabs (SLAB_BYTES)."""
    per_input, k = [], 0
    for spec in specs:
        per_input.append(blocks[k:k + spec[3]])
        k += spec[3]
    item = max(np.asarray(b[0]).itemsize for b in per_input)
    nbytes = sum(math.prod(sum(e - s for s, e in r) for r in spec[0]) for spec in specs) * item
    lens = [n for _, n in specs[0][2]]
    a = next((i for i, n in enumerate(lens) if n > 1), None)
    with num_threads(1):
        if nbytes <= SLAB_BYTES or a is None:
            return fn(params, _windows([s[:4] for s in specs], blocks))
        step = max(1, lens[a] * SLAB_BYTES // nbytes)
        out = None
        o0 = specs[0][6][a]
        for q0 in range(o0, o0 + lens[a], step):
            q1 = min(q0 + step, o0 + lens[a])
            sub = [_slab_spec(spec, blk, a, q0, q1) for spec, blk in zip(specs, per_input)]
            res = fn(params, _windows([s for s, _ in sub], [b for _, bs in sub for b in bs]))
            if out is None:
                out = np.empty(tuple(lens), res.dtype)
            out[(slice(None),) * a + (slice(q0 - o0, q1 - o0),)] = res
        return out


# ---------------------------------------------------------------------------------------
# The layer

def _layer_base():
    from dask.highlevelgraph import Layer
    return Layer


class Input(NamedTuple):
    """An input array of a windowed op and its axis rules (None: the output chunk's own
    samples, from however the input is chunked along that axis)."""
    array: Any
    rules: Tuple[Any, ...]


def _axis_tables(inp: Input, out_chunks: Tuple[Tuple[int, ...], ...]):
    """Per axis, per output block: (runs of (block, start, stop), out_len, crop start,
    window start, output start)."""
    tables = []
    for a, rule in enumerate(inp.rules):
        chunks = inp.array.chunks[a]
        starts = [0] + np.cumsum(chunks).tolist()
        n = starts[-1]
        rows, o0 = [], 0
        for c in out_chunks[a]:
            ws, we, out_len, crop = _window(rule, o0, o0 + c)
            rows.append((_pieces(starts, n, ws, we), out_len, crop, ws, o0))
            o0 += c
        tables.append(rows)
    return tables


def _make_layer(name: str, out_chunks, fn: Callable, params: Any, inputs: Sequence[Input]):
    Layer = _layer_base()
    from dask._task_spec import Task, TaskRef

    class WindowLayer(Layer):
        """One task per output chunk, generated on demand."""

        has_legacy_tasks = False   # Task objects only; dask then never iterates the layer to check

        def __init__(self):
            super().__init__()
            self.numblocks = tuple(len(c) for c in out_chunks)
            self._tables = None

        def __repr__(self):
            return f"WindowLayer<name={name!r}, fn={fn.__name__}, blocks={self.numblocks}>"

        def _keys(self):
            return ((name,) + idx for idx in itertools.product(*(range(n) for n in self.numblocks)))

        def _task(self, key):
            if self._tables is None:
                self._tables = [_axis_tables(inp, out_chunks) for inp in inputs]
            idx = key[1:]
            specs, refs = [], []
            for inp, tables in zip(inputs, self._tables):
                rows = [tables[a][i] for a, i in enumerate(idx)]
                pieces = [r[0] for r in rows]
                count = 0
                for combo in itertools.product(*pieces):
                    refs.append(TaskRef((inp.array.name,) + tuple(p[0] for p in combo)))
                    count += 1
                specs.append((tuple(tuple((p[1], p[2]) for p in ps) for ps in pieces),
                              tuple(r[1] for r in rows),
                              tuple((r[2], out_chunks[a][i]) for a, (r, i) in enumerate(zip(rows, idx))),
                              count, inp.rules, tuple(r[3] for r in rows), tuple(r[4] for r in rows)))
            return Task(key, run_task, fn, params, tuple(specs), *refs)

        def __contains__(self, key):
            return (isinstance(key, tuple) and len(key) == len(self.numblocks) + 1 and key[0] == name
                    and all(isinstance(i, int) and 0 <= i < n for i, n in zip(key[1:], self.numblocks)))

        def __getitem__(self, key):
            if key not in self:
                raise KeyError(key)
            return self._task(key)

        def __iter__(self):
            return self._keys()

        def __len__(self):
            return math.prod(self.numblocks)

        def is_materialized(self):
            return False

        def get_output_keys(self):
            return set(self._keys())

        def cull(self, keys, all_hlg_keys):
            from dask.highlevelgraph import MaterializedLayer
            out = {k: self._task(k) for k in keys if k in self}
            return MaterializedLayer(out, annotations=self.annotations), {
                k: set(t.dependencies) for k, t in out.items()}

        def get_dependencies(self, key, all_hlg_keys):
            return set(self._task(key).dependencies)

    return WindowLayer()


def map_windows(fn: Callable, params: Any, inputs: Sequence[Input], out_chunks, dtype: Any, token: str):
    """A Dask array of out_chunks whose chunk is fn(params, windows) of the inputs' windows."""
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    out_chunks = tuple(tuple(int(c) for c in cs) for cs in out_chunks)
    name = f"{token}-" + tokenize(fn.__module__, fn.__name__, params, out_chunks,
                                  [(i.array.name, i.rules and [vars(r) if r is not None else None for r in i.rules])
                                   for i in inputs])
    layer = _make_layer(name, out_chunks, fn, params, inputs)
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[i.array for i in inputs])
    return da.Array(graph, name, out_chunks, dtype=np.dtype(dtype),
                    meta=np.empty((0,) * len(out_chunks), np.dtype(dtype)))


# ---------------------------------------------------------------------------------------
# Helpers for the ops

WRAP = BORDERS["wrap"]   # the border whose halo comes from the far side of the image


def check_no_out(out: Any) -> None:
    if out is not None:
        raise TypeError("out: not supported for Dask input (the result is a lazy Dask array)")


def check_chunks(x: Any, name: str) -> None:
    """Dask input the engine can tile: known, non-zero chunk sizes."""
    for a, cs in enumerate(x.chunks):
        if any(isinstance(c, float) and math.isnan(c) for c in cs):
            raise ValueError(f"{name}: chunk sizes along axis {a} are unknown (nan); call "
                             f"{name}.compute_chunk_sizes() first")
        if x.shape[a] > 0 and 0 in cs:
            raise ValueError(f"{name}: axis {a} has zero-size chunks {cs}; rechunk it first")


def shape_proxy(x: Any) -> np.ndarray:
    """A zero-stride array of x's shape and dtype, for argument checks written for arrays."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, x.dtype), shape=x.shape, strides=(0,) * x.ndim,
                                           writeable=False)


def regular(n: int, c: int) -> Tuple[int, ...]:
    """Chunks of c samples over n (the last one partial)."""
    c = max(1, min(int(c), n))
    return (c,) * (n // c) + ((n % c,) if n % c else ())


def level_chunks(x: Any, shape: Sequence[int], windowed: Sequence[int], chunks: Optional[Sequence[int]] = None):
    """Output chunks: along windowed axes regular chunks of x's chunk shape (or `chunks`), the
    input's chunks along the others."""
    out = []
    for a, n in enumerate(shape):
        if a in windowed:
            out.append(regular(n, chunks[a] if chunks is not None else x.chunksize[a]))
        else:
            out.append(x.chunks[a])
    return tuple(out)


def as_dask(x: Any) -> Any:
    """x as a Dask array (NumPy arrays of a mixed argument list become one-chunk arrays)."""
    import dask.array as da
    return x if is_dask(x) else da.from_array(np.asarray(x), chunks=-1)
