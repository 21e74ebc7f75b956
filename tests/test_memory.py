"""The buffer cache behind large results (pyramidkit._memory)."""
import subprocess
import sys
import threading

import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref
from pyramidkit import _memory


@pytest.fixture(autouse=True)
def _fresh_cache():
    old = pk.set_cache_limit(256 << 20)
    pk.clear_cache()
    yield
    pk.set_cache_limit(old)
    pk.clear_cache()


def _big(dtype=np.float32, seed=0):
    return (np.random.default_rng(seed).random((2048, 1024)) * 255).astype(dtype)


def test_large_results_reuse_a_freed_buffer_and_are_fully_written():
    a = _big()
    r = pk.pyr_up(a)
    assert isinstance(r.base, _memory._Lease) and r.flags.c_contiguous and r.flags.writeable
    np.testing.assert_allclose(r, ref.pyr_up(a), rtol=1e-6, atol=1e-6)
    expected, ptr = r.copy(), r.ctypes.data
    r[...] = np.nan  # garbage the next user must overwrite
    del r
    r2 = pk.pyr_up(a)
    assert r2.ctypes.data == ptr  # the same buffer, not fresh pages
    np.testing.assert_array_equal(r2, expected)


def test_a_view_keeps_its_buffer():
    a = _big()
    r = pk.pyr_up(a)
    keep = r[10:20].copy()
    view = r[10:20]
    del r
    r2 = pk.pyr_up(a * 2)
    assert not np.shares_memory(view, r2)
    np.testing.assert_array_equal(view, keep)


def test_small_results_and_the_off_switch_use_plain_arrays():
    assert pk.pyr_down(np.zeros((64, 64), np.uint8)).base is None
    pk.set_cache_limit(0)
    assert pk.pyr_up(_big()).base is None


def test_cap_is_respected():
    pk.set_cache_limit(40 << 20)
    for seed in range(4):
        pk.pyr_up(_big(seed=seed))  # 32 MiB each, dropped at once
        assert _memory._held[0] <= 40 << 20
    pk.gaussian_blur(_big(), 1.0)  # another size class (8 MiB) evicts the first
    assert _memory._held[0] <= 40 << 20
    pk.clear_cache()
    assert _memory._held[0] == 0 and not _memory._free


def test_pyramids_and_reconstruction_through_the_cache():
    a = np.random.default_rng(3).integers(0, 256, (1500, 1700), dtype=np.uint8)
    for _ in range(3):  # second and third runs reuse buffers holding the previous results
        lp = pk.laplacian_pyramid(a, 4)
        np.testing.assert_array_equal(pk.reconstruct_laplacian(lp), a)
        g = pk.gaussian_pyramid(a, 4)
        np.testing.assert_array_equal(g[1], pk.pyr_down(a))
        del lp, g


def test_threads_allocating_and_freeing_large_results():
    a = np.tile(_big(np.uint8), (2, 2))  # results of 32, 8 and 2 MiB
    expected = ref.pyr_down(a)
    errors = []

    def worker():
        try:
            for _ in range(20):
                r = pk.pyr_down(pk.pyr_up(a))[::2, ::2]
                if not np.array_equal(pk.pyr_down(a), expected) or r.shape != (2048, 1024):
                    errors.append("mismatch")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _memory._held[0] <= pk.cache_limit()


@pytest.mark.parametrize("bad", [-1, 1.5, True, "64"])
def test_set_cache_limit_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="nbytes"):
        pk.set_cache_limit(bad)


def test_environment_variable():
    code = "import pyramidkit as pk; print(pk.cache_limit())"
    out = subprocess.run([sys.executable, "-c", code], env={**_env(), "PYRAMIDKIT_CACHE_MB": "8"},
                         capture_output=True, text=True, check=True).stdout
    assert int(out) == 8 << 20
    bad = subprocess.run([sys.executable, "-c", code], env={**_env(), "PYRAMIDKIT_CACHE_MB": "lots"},
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "PYRAMIDKIT_CACHE_MB" in bad.stderr


def _env():
    import os
    return dict(os.environ)
