"""Threads and SIMD levels."""
from __future__ import annotations

import contextlib
import contextvars
import os
from typing import Iterator, Optional

from . import _core


def _env_threads() -> Optional[int]:
    for var in ("PYRAMIDKIT_NUM_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(var, "").split(",")[0].strip()
        if v.isdigit() and int(v) > 0:
            return int(v)
    return None


_default_threads: int = _env_threads() or max(1, _core.hardware_threads())
# A `with num_threads(n)` block overrides the default for its own thread / task only.
_local_threads: contextvars.ContextVar[Optional[int]] = contextvars.ContextVar("pyramidkit_threads", default=None)


def _check_threads(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n: expected a thread count >= 1, got {n!r}")
    return n


def get_num_threads() -> int:
    """Threads the next call will use (the `num_threads` context, else the process default).

    >>> import pyramidkit as pk
    >>> pk.get_num_threads() >= 1
    True
    """
    n = _local_threads.get()
    return _default_threads if n is None else n


def set_num_threads(n: int) -> None:
    """Set the process-wide default thread count.

    The initial default is $PYRAMIDKIT_NUM_THREADS, else $OMP_NUM_THREADS, else the number
    of CPUs. Results are bit-identical for any thread count.

    >>> import pyramidkit as pk
    >>> before = pk.get_num_threads()
    >>> pk.set_num_threads(1); pk.get_num_threads()
    1
    >>> pk.set_num_threads(before)
    """
    global _default_threads
    _default_threads = _check_threads(n)


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[None]:
    """Use n threads inside the block, in this Python thread (or task) only.

    >>> import pyramidkit as pk
    >>> with pk.num_threads(1):
    ...     pk.get_num_threads()
    1
    """
    token = _local_threads.set(_check_threads(n))
    try:
        yield
    finally:
        _local_threads.reset(token)


def simd_levels() -> dict:
    """Compiled, supported (compiled and runnable here) and active SIMD levels.

    >>> import pyramidkit as pk
    >>> levels = pk.simd_levels()
    >>> sorted(levels), levels["active"] in levels["supported"]
    (['active', 'compiled', 'supported'], True)
    """
    return {"compiled": list(_core.compiled_isas()), "supported": list(_core.supported_isas()),
            "active": _core.active_isa()}


def set_max_simd(level: str) -> str:
    """Cap the SIMD level ("baseline", "avx2", "avx512", "avx512vbmi"); returns the level now active.

    The active level becomes the best one this CPU supports at or below the cap; the
    PYRAMIDKIT_MAX_ISA environment variable sets the same cap at import. All levels give
    bit-identical results (conv_transpose2d: see the README); the cap exists for testing
    and for reproducing a slower CPU.

    >>> import pyramidkit as pk
    >>> best = pk.simd_levels()["supported"][-1]
    >>> pk.set_max_simd("baseline")
    'baseline'
    >>> pk.set_max_simd(best) == best
    True
    """
    if not isinstance(level, str):
        raise TypeError(f"level: expected a string, got {type(level).__name__}")
    _core.set_max_isa(level.lower())
    return _core.active_isa()


@contextlib.contextmanager
def max_simd(level: str) -> Iterator[str]:
    """Temporarily cap the SIMD level (process-wide; meant for tests and benchmarks).

    >>> import pyramidkit as pk
    >>> with pk.max_simd("baseline"):
    ...     pk.simd_levels()["active"]
    'baseline'
    """
    previous = _core.active_isa()
    try:
        yield set_max_simd(level)
    finally:
        _core.set_max_isa(previous)


def config() -> dict:
    """The build and run-time configuration as a dict (see show_config).

    >>> import pyramidkit as pk
    >>> c = pk.config()
    >>> c["num_threads"] == pk.get_num_threads(), "simd" in c
    (True, True)
    """
    import numpy as np

    from . import __version__
    return {
        "version": __version__,
        "simd": simd_levels(),
        "compiler": str(_core.compiler),
        "openmp": bool(_core.openmp),
        "openmp_version": int(_core.openmp_version),
        "num_threads": get_num_threads(),
        "cpus": _core.hardware_threads(),
        "numpy": np.__version__,
        "env": {k: os.environ[k] for k in ("PYRAMIDKIT_NUM_THREADS", "PYRAMIDKIT_MAX_ISA", "OMP_NUM_THREADS")
                if k in os.environ},
    }


def show_config() -> None:
    """Print compiled / supported / active SIMD levels, OpenMP and threads.

    >>> import pyramidkit as pk
    >>> pk.show_config()  # doctest: +ELLIPSIS
    pyramidkit ...
    """
    c = config()
    s = c["simd"]
    print(f"pyramidkit {c['version']}")
    print(f"  SIMD compiled : {', '.join(s['compiled'])}")
    print(f"  SIMD supported: {', '.join(s['supported'])}")
    print(f"  SIMD active   : {s['active']}  (cap with PYRAMIDKIT_MAX_ISA or pk.set_max_simd)")
    print(f"  compiler      : {c['compiler']}")
    print(f"  OpenMP        : {'yes (' + str(c['openmp_version']) + ')' if c['openmp'] else 'no'}")
    print(f"  threads       : {c['num_threads']} of {c['cpus']} CPUs")
    for k, v in c["env"].items():
        print(f"  ${k} = {v}")
