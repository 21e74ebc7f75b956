"""Large result arrays from a small cache of buffers.

A fresh large array costs the OS a page fault and a zeroed page per 4 KiB the first time
it is written, often more than the op's own arithmetic (docs/performance.md). Results of
4 MiB and more are therefore
carved from buffers that go back to a cache when the last view of them is deleted, and
the next call of the same size reuses one instead of faulting new pages.

- What the cache may hold is capped: PYRAMIDKIT_CACHE_MB (default 256; 0 turns it off)
  at import, or set_cache_limit(); clear_cache() releases everything it holds now.
- Such an array does not own its memory (``a.base`` is the buffer's lease), so
  ``a.resize()`` in place is refused; everything else is an ordinary C-contiguous array.
- No locks: a lease returns its buffer from ``__del__``, which may run during a garbage
  collection in the middle of an allocation, so the cache is only touched with single
  list and dict operations, which the GIL makes atomic. The byte count is approximate
  under races, which only moves the cap a little.
"""
from __future__ import annotations

import math
import os
import threading
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

MIN_BYTES = 4 << 20
_CLASS = 2 << 20  # sizes rounded up to this: one class per huge page multiple


def _env_limit() -> int:
    raw = os.environ.get("PYRAMIDKIT_CACHE_MB", "256")
    try:
        mb = int(raw)
    except ValueError:
        mb = -1
    if mb < 0:
        raise ValueError(f"PYRAMIDKIT_CACHE_MB: expected a non-negative integer, got {raw!r}")
    return mb << 20


_limit = _env_limit()
_free: Dict[int, List[np.ndarray]] = {}
_held = [0]  # bytes in _free


class _Lease:
    """The base of a cached result array; gives its buffer back when the last view goes."""

    __slots__ = ("buf", "size", "__array_interface__", "__weakref__")

    def __init__(self, buf: np.ndarray, size: int, shape: Tuple[int, ...], dtype: np.dtype) -> None:
        self.buf, self.size = buf, size
        ptr = buf.ctypes.data
        self.__array_interface__ = {"shape": tuple(shape), "typestr": dtype.str, "descr": dtype.descr,
                                    "data": (ptr + (-ptr) % 64, False), "version": 3}

    def __del__(self) -> None:
        try:
            _give_back(self.buf, self.size)
        except Exception:  # interpreter shutdown: module globals may be gone
            pass


def _give_back(buf: np.ndarray, size: int) -> None:
    if _held[0] + size > _limit:
        for key in list(_free):  # make room: drop what other sizes hold
            if key != size:
                dropped = _free.pop(key, [])
                _held[0] -= key * len(dropped)
    if _held[0] + size <= _limit:
        _free.setdefault(size, []).append(buf)
        _held[0] += size


_machine_bytes: List[int] = []


def machine_bytes() -> int:
    """What this process could ever allocate: RAM plus swap, or what its address-space
    limit (RLIMIT_AS) leaves above the address space it maps now, when that is lower. An
    allocation above it can only fail, or with the OS' overcommit be granted and then kill
    the process when its pages are touched."""
    if not _machine_bytes:
        total = 0
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
            with open("/proc/meminfo") as f:
                for line in f:
                    if line.startswith("SwapTotal:"):
                        total += int(line.split()[1]) << 10
        except (OSError, ValueError, AttributeError):
            pass
        _machine_bytes.append(total or 1 << 62)
    limit = _machine_bytes[0]
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/statm") as f:   # pages mapped now (a sanitizer maps terabytes)
                mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            limit = min(limit, max(0, soft - mapped))
    except (ImportError, OSError, ValueError):
        pass
    return limit


def check_alloc(nbytes: int, name: str, what: str = "") -> None:
    """MemoryError, with the size, for an allocation this machine can never satisfy: raised
    before anything proportional to it is allocated."""
    if nbytes < MIN_BYTES:   # (no machine is that small: spares small calls the system calls)
        return
    limit = machine_bytes()
    if nbytes > limit:
        raise MemoryError(f"{name}: {what or 'the result'} would need {nbytes} bytes ({nbytes / 2**30:.1f} GiB), "
                          f"more than this machine's memory ({limit / 2**30:.1f} GiB: RAM and swap, or the "
                          f"process' address-space limit)")


def new_array(shape: Tuple[int, ...], dtype: Any) -> Tuple[np.ndarray, bool]:
    """An uninitialised C-contiguous array, and whether its pages are fresh from the OS
    (kernels then avoid non-temporal stores, see Image::fresh in the C++)."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize  # exact: the shape passed check_size
    if nbytes < MIN_BYTES or _limit == 0 or dtype.hasobject:
        return np.empty(shape, dtype), True
    check_alloc(nbytes, "output", f"an array of shape {tuple(shape)} and dtype {dtype.name}")
    size = -(-nbytes // _CLASS) * _CLASS
    try:
        buf = _free.get(size, []).pop()
        _held[0] -= size
        fresh = False
    except IndexError:
        buf = np.empty(size + 64, np.uint8)
        fresh = True
    return np.asarray(_Lease(buf, size, shape, dtype)), fresh


def clear_cache() -> None:
    """Release the buffers pyramidkit keeps for reuse (arrays in use are not affected).

    Large results (4 MiB and more) come from buffers that return to a cache when the
    result is deleted, so that repeated calls do not pay the OS for fresh pages; the
    cache holds at most ``cache_limit()`` bytes.

    Example:
        >>> import numpy as np, pyramidkit as pk
        >>> _ = pk.pyr_down(np.zeros((4096, 4096), np.uint8))  # 4 MiB: goes back to the cache
        >>> pk.clear_cache()
        >>> pk.cache_limit() >= 0
        True
    """
    _free.clear()
    _held[0] = 0


def cache_limit() -> int:
    """Bytes the buffer cache may hold (see clear_cache); 0: off.

    Example:
        >>> import pyramidkit as pk
        >>> old = pk.set_cache_limit(0)   # off: every result gets fresh memory
        >>> pk.cache_limit()
        0
        >>> _ = pk.set_cache_limit(old)
    """
    return _limit


def set_cache_limit(nbytes: int) -> int:
    """Set the most bytes the buffer cache may hold (0 turns it off, releasing what it
    holds); returns the previous limit. The default is PYRAMIDKIT_CACHE_MB (256) MiB.

    Example:
        >>> import pyramidkit as pk
        >>> old = pk.set_cache_limit(64 << 20)
        >>> pk.cache_limit() == 64 << 20
        True
        >>> _ = pk.set_cache_limit(old)
    """
    global _limit
    if isinstance(nbytes, bool) or not isinstance(nbytes, (int, np.integer)) or nbytes < 0:
        raise ValueError(f"nbytes: expected a non-negative integer, got {nbytes!r}")
    old, _limit = _limit, int(nbytes)
    if _held[0] > _limit:
        clear_cache()
    return old


_workspace = threading.local()
# Largest workspace kept between calls; larger ones are allocated per call.
WORKSPACE_MAX_BYTES = 256 << 20


def carve(specs: Sequence[Tuple[Tuple[int, ...], Any]], scratch: bool = False) -> Tuple[list, bool]:
    """Arrays of the given (shape, dtype) carved from one allocation, each 64-byte aligned.

    scratch=True: intermediates that do not outlive the call. They come from a buffer kept
    per Python thread and reused, because first-touching fresh pages (the kernel zeroing
    them) costs as much as the arithmetic on this kind of data. Results come from the
    buffer cache of _memory for the same reason. Returns (arrays, whether the pages are
    fresh from the OS).
    """
    from ._args import check_size  # (_args imports this module)

    offsets, total = [], 0
    for shape, dtype in specs:
        check_size(shape, np.dtype(dtype).itemsize, "pyramid")
        total = (total + 63) // 64 * 64
        offsets.append(total)
        total += math.prod(shape) * np.dtype(dtype).itemsize
    check_alloc(total, "pyramid", f"{len(specs)} arrays of shapes {', '.join(str(tuple(s)) for s, _ in specs[:3])}"
                f"{', ...' if len(specs) > 3 else ''}")
    fresh = False
    if scratch and total + 64 <= WORKSPACE_MAX_BYTES:
        buf = getattr(_workspace, "buf", None)
        if buf is None or buf.size < total + 64:
            buf = _workspace.buf = np.empty(total + 64, np.uint8)
            fresh = True
    else:
        buf, fresh = new_array((total + 64,), np.uint8)
    base = (-buf.ctypes.data) % 64
    out = []
    for (shape, dtype), off in zip(specs, offsets):
        n = math.prod(shape)
        start = base + off
        out.append(buf[start:start + n * np.dtype(dtype).itemsize].view(dtype).reshape(shape))
    return out, fresh
