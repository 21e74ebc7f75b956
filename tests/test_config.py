"""Threads, SIMD levels, configuration, fork safety."""
import multiprocessing as mp
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import pyramidkit as pk


def test_num_threads_api():
    default = pk.get_num_threads()
    assert default >= 1
    with pk.num_threads(1):
        assert pk.get_num_threads() == 1
        with pk.num_threads(3):
            assert pk.get_num_threads() == 3
        assert pk.get_num_threads() == 1
    assert pk.get_num_threads() == default
    pk.set_num_threads(2)
    try:
        assert pk.get_num_threads() == 2
    finally:
        pk.set_num_threads(default)
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="n: expected a thread count"):
            pk.set_num_threads(bad)


def test_num_threads_context_is_per_thread():
    seen = {}
    barrier = threading.Barrier(2)

    def worker(n):
        with pk.num_threads(n):
            barrier.wait()
            seen[n] = pk.get_num_threads()

    ts = [threading.Thread(target=worker, args=(n,)) for n in (1, 5)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert seen == {1: 1, 5: 5}


def test_simd_levels():
    s = pk.simd_levels()
    assert s["compiled"][0] == "baseline"
    assert set(s["supported"]) <= set(s["compiled"])
    assert s["active"] == s["supported"][-1]
    with pk.max_simd("baseline") as level:
        assert level == "baseline" == pk.simd_levels()["active"]
    assert pk.simd_levels()["active"] == s["active"]
    with pytest.raises(ValueError, match="level: unknown ISA level"):
        pk.set_max_simd("sse9")
    with pytest.raises(TypeError, match="level"):
        pk.set_max_simd(3)


def _run(code, **env):
    e = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True, timeout=120)


def test_environment_variables():
    r = _run("import pyramidkit as pk; print(pk.simd_levels()['active'], pk.get_num_threads())",
             PYRAMIDKIT_MAX_ISA="baseline", PYRAMIDKIT_NUM_THREADS="3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["baseline", "3"]


def test_show_config(capsys):
    pk.show_config()
    text = capsys.readouterr().out
    assert "SIMD active" in text and "OpenMP" in text and "threads" in text
    c = pk.config()
    assert c["num_threads"] == pk.get_num_threads()


def _child(q):
    a = np.random.default_rng(0).integers(0, 255, (1024, 1024), dtype=np.uint8)
    with pk.num_threads(2):
        q.put(int(pk.pyr_down(a).sum()) + int(pk.pyr_up(a[:300, :300]).sum()))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_fork_after_use_does_not_hang(method):
    a = np.random.default_rng(0).integers(0, 255, (1024, 1024), dtype=np.uint8)
    with pk.num_threads(2):
        expected = int(pk.pyr_down(a).sum()) + int(pk.pyr_up(a[:300, :300]).sum())  # pool now in use
    ctx = mp.get_context(method)
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q,))
    p.start()
    p.join(60)
    if p.is_alive():
        p.kill()
        pytest.fail(f"child process hung after {method}")
    assert p.exitcode == 0
    assert q.get(timeout=5) == expected
