"""Overlapping reading, computing and writing in the streaming mode: the next band is read
while the current one is computed, and blocks are written by a background thread while
the next ones are computed. Both queues are short, so memory stays bounded; an error in
either thread is raised in the caller's."""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterable, Iterator

_DONE = object()


def prefetch(items: Iterable[Any]) -> Iterator[Any]:
    """items, each produced by a background thread while the consumer works on the one
    before: at most one item is read ahead."""
    q: "queue.Queue[Any]" = queue.Queue(maxsize=1)
    taken = threading.Semaphore(1)   # the reader starts an item only when the last one is taken
    stop = threading.Event()
    err: list = []

    def run() -> None:
        try:
            it = iter(items)
            while True:
                while not taken.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                try:
                    item = next(it)
                except StopIteration:
                    break
                q.put(item)
        except BaseException as e:   # handed to the consumer
            err.append(e)
        q.put(_DONE)

    t = threading.Thread(target=run, name="pyramidkit-read", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                if err:
                    raise err[0]
                return
            taken.release()
            yield item
            del item
    finally:
        stop.set()
        taken.release()
        t.join()


class AsyncWriter:
    """Calls write(*args) in `workers` background threads, at most `workers` calls in flight
    (a call waits for a free thread, so no data waits in a queue). The calls must be
    independent (each writes its own chunks or shards)."""

    def __init__(self, write: Callable[..., None], workers: int = 2):
        self._write = write
        self._q: "queue.Queue[Any]" = queue.Queue()
        self._free = threading.Semaphore(workers)
        self._err: list = []
        self._ts = [threading.Thread(target=self._run, name="pyramidkit-write", daemon=True) for _ in range(workers)]
        for t in self._ts:
            t.start()

    def _run(self) -> None:
        while True:
            args = self._q.get()
            if args is _DONE:
                return
            if not self._err:
                try:
                    self._write(*args)
                except BaseException as e:
                    self._err.append(e)
            del args
            self._free.release()

    def __call__(self, *args: Any) -> None:
        self._free.acquire()
        if self._err:
            self._free.release()
            raise self._err[0]
        self._q.put(args)

    def close(self) -> None:
        """Wait for every pending write; raise the first error of any."""
        for _ in self._ts:
            self._q.put(_DONE)
        for t in self._ts:
            t.join()
        if self._err:
            raise self._err[0]
