"""Dask arrays in, Dask arrays out: bit-identical to the in-memory call for every chunking,
small lazy graphs, a real distributed cluster, bad input."""
import pickle
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pyramidkit as pk
from conftest import BORDERS, DTYPES, random_array

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")


def compute(x):
    return [v.compute(scheduler="sync") if hasattr(v, "compute") else v for v in x] if isinstance(x, list) \
        else x.compute(scheduler="sync")


def same(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)   # floats too: bit-identical (NaN-free inputs)


def chunkings(shape):
    """Regular, irregular, 1-sample, smaller-than-halo and split-carried-axis chunkings."""
    irregular = tuple(tuple(c for c in (n // 3, 1, n - n // 3 - 1) if c) if n > 2 else (n,) for n in shape)
    single = [1] if np.prod(shape) <= 64 else []   # 1-sample chunks: a task per sample
    return [-1] + single + [2, 3, tuple(max(1, n // 2) for n in shape), irregular]


IMAGE_CASES = [((23, 17), None), ((9, 14, 3), None), ((2, 11, 10, 2), None), ((3, 9, 8), "CHW"),
               ((1, 1), None), ((2, 5), None), ((7, 6), None)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("border", BORDERS)
def test_image_ops_bit_identical(dtype, border):
    rng = np.random.default_rng(0)
    for shape, layout in IMAGE_CASES:
        x = random_array(rng, shape, dtype)
        kw = dict(border=border, layout=layout, value=3)
        expected = {
            "pyr_down": pk.pyr_down(x, **kw), "pyr_up": pk.pyr_up(x, **kw),
            "blur": pk.gaussian_blur(x, 1.3, **kw), "blur_k": pk.gaussian_blur(x, (0, 2.0), ksize=(7, 3), **kw),
            "gp": pk.gaussian_pyramid(x, **kw), "lp": pk.laplacian_pyramid(x, **kw)}
        for chunks in chunkings(shape):
            d = da.from_array(x, chunks=chunks)
            got = {
                "pyr_down": pk.pyr_down(d, **kw), "pyr_up": pk.pyr_up(d, **kw),
                "blur": pk.gaussian_blur(d, 1.3, **kw), "blur_k": pk.gaussian_blur(d, (0, 2.0), ksize=(7, 3), **kw),
                "gp": pk.gaussian_pyramid(d, **kw), "lp": pk.laplacian_pyramid(d, **kw)}
            per_level = 3 if isinstance(chunks, tuple) and isinstance(chunks[0], tuple) else chunks
            got["rec"] = pk.reconstruct_laplacian([da.from_array(b, chunks=per_level) for b in expected["lp"]], **kw)
            expected["rec"] = pk.reconstruct_laplacian(expected["lp"], **kw)
            computed = dask.compute(got, scheduler="sync")[0]   # one graph: shared input tasks
            for k, v in computed.items():
                if isinstance(v, (list, tuple)):
                    assert len(v) == len(expected[k])
                    for a, b in zip(v, expected[k]):
                        same(a, b)
                else:
                    same(v, expected[k])


@pytest.mark.parametrize("dtype", DTYPES)
def test_pyr_dst_sizes(dtype):
    """Every dst size; input chunks 1-5 give output chunks whose last one is a single sample,
    the window that reads furthest back for a reflection at the edge."""
    x = random_array(np.random.default_rng(1), (10, 9), dtype)
    for ic in (1, 2, 3, 4, 5):
        d = da.from_array(x, chunks=ic)
        for b in BORDERS:
            for dst in [(5, 5), (6, 4), (4, 5)]:
                same(compute(pk.pyr_down(d, dst_size=dst, border=b)), pk.pyr_down(x, dst_size=dst, border=b))
            for dst in [(20, 18), (21, 17), (19, 19)]:
                same(compute(pk.pyr_up(d, dst_size=dst, border=b)), pk.pyr_up(x, dst_size=dst, border=b))


def test_reconstruct_edited_bands_saturate_alike():
    x = random_array(np.random.default_rng(2), (13, 11), np.uint8)
    lp = pk.laplacian_pyramid(x)
    edited = [b * 5 for b in lp[:-1]] + [lp[-1]]
    mixed = [da.from_array(b, chunks=4) for b in edited[:-1]] + [edited[-1]]   # NumPy coarsest level
    same(compute(pk.reconstruct_laplacian(mixed)), pk.reconstruct_laplacian(edited))


@pytest.mark.parametrize("method", ["gaussian", "mean", "nearest", "mode", "min", "max"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_downsample_bit_identical(method, dtype):
    rng = np.random.default_rng(3)
    for shape, axes in [((9, 13), "yx"), ((7, 9, 3), "yxc"), ((5, 6, 7), "zyx"), ((2, 5, 6, 7), "czyx")]:
        x = random_array(rng, shape, dtype)
        nsp = sum(c in "zyx" for c in axes)
        for f in [2, (1,) * (nsp - 1) + (2,)] + ([3] if method != "gaussian" else []):
            for b in BORDERS if method == "gaussian" else ["reflect101"]:
                want = pk.downsample(x, f, method=method, axes=axes, border=b, value=2)
                for chunks in chunkings(shape)[1:]:
                    got = pk.downsample(da.from_array(x, chunks=chunks), f, method=method, axes=axes, border=b, value=2)
                    same(compute(got), want)


@pytest.mark.parametrize("method", ["gaussian", "mean", "mode"])
def test_multiscale_levels_keep_chunks(method):
    x = random_array(np.random.default_rng(4), (6, 40, 36), np.uint16)
    d = da.from_array(x, chunks=(2, 8, 8))
    levels = pk.multiscale(d, method=method, axes="zyx")
    want = pk.multiscale(x, method=method, axes="zyx")
    assert len(levels) == len(want)
    for lv, w in zip(levels[1:], want[1:]):
        assert lv.chunksize == tuple(min(c, n) for c, n in zip((2, 8, 8), lv.shape))
        same(compute(lv), w)
    custom = pk.multiscale(d, 3, method=method, axes="zyx", chunks=(1, 5, 6))
    assert custom[2].chunksize == (1, 5, 6)
    same(compute(custom[2]), want[2])


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_chunking_hypothesis(data):
    h = data.draw(st.integers(1, 40), label="h")
    w = data.draw(st.integers(1, 40), label="w")

    def cuts(n):
        sizes, left = [], n
        while left:
            c = data.draw(st.integers(1, left))
            sizes.append(c)
            left -= c
        return tuple(sizes)

    chunks = (cuts(h), cuts(w))
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    border = data.draw(st.sampled_from(BORDERS), label="border")
    x = random_array(np.random.default_rng(h * 41 + w), (h, w), dtype)
    d = da.from_array(x, chunks=chunks)
    same(compute(pk.pyr_down(d, border=border)), pk.pyr_down(x, border=border))
    same(compute(pk.pyr_up(d, border=border)), pk.pyr_up(x, border=border))
    same(compute(pk.gaussian_blur(d, 2.0, border=border)), pk.gaussian_blur(x, 2.0, border=border))
    for a, b in zip(compute(pk.laplacian_pyramid(d, border=border)), pk.laplacian_pyramid(x, border=border)):
        same(a, b)
    method = data.draw(st.sampled_from(["gaussian", "mean", "mode", "max"]), label="method")
    same(compute(pk.downsample(d, 2, method=method, border=border)), pk.downsample(x, 2, method=method, border=border))


def graph_len(arrays):
    return len(dask.base.collections_to_expr(arrays).__dask_graph__()) \
        if hasattr(dask.base, "collections_to_expr") else len(dask.base.collections_to_dsk(arrays))


def nchunks(a):
    return int(np.prod(a.numblocks))


def test_graph_size():
    x = da.zeros((1000, 1200), dtype=np.uint8, chunks=100)
    levels = pk.gaussian_pyramid(x, 5)
    outs = sum(nchunks(v) for v in levels[1:])
    assert len(levels[-1].__dask_graph__()) <= 2 * (nchunks(x) + outs)
    lp = pk.laplacian_pyramid(x, 4)
    assert len(lp[0].__dask_graph__()) <= 2 * (nchunks(x) + sum(nchunks(v) for v in lp))
    for one in (pk.pyr_down(x), pk.pyr_up(x), pk.gaussian_blur(x, 2), pk.downsample(x, 2, method="mean")):
        assert len(one.__dask_graph__()) <= 2 * (nchunks(x) + nchunks(one))
        assert len(one.dask.layers) == 2   # the input's layer and the op's: no overlap, rechunk, getitem


def test_million_chunks_graph_is_lazy():
    x = da.zeros((4000, 4000), dtype=np.uint8, chunks=4)   # 10^6 chunks
    t = time.perf_counter()
    levels = pk.gaussian_pyramid(x, 4)
    built = time.perf_counter() - t
    layer = levels[1].dask.layers[levels[1].name]
    assert not layer.is_materialized()
    assert len(layer) == 1000 * 1000 // 4
    assert built < 1.0   # no Python loop per chunk: a few layers, whatever the chunk count
    # culling a slice builds only the tasks it needs
    np.testing.assert_array_equal(levels[1][:4, :4].compute(scheduler="sync"), np.zeros((4, 4), np.uint8))


def test_tasks_pickle_small():
    x = da.from_array(np.zeros((64, 64), np.float32), chunks=16)
    y = pk.pyr_down(x)
    layer = y.dask.layers[y.name]
    task = layer[(y.name, 1, 1)]
    assert len(pickle.dumps(task)) < 2000   # parameters and keys only, no arrays


def test_channels_are_a_batch_axis_inside_tasks():
    x = da.from_array(np.zeros((32, 32, 4), np.uint8), chunks=(8, 8, 4))
    y = pk.pyr_down(x)
    assert y.numblocks == (2, 2, 1)   # one task per spatial chunk, all channels inside it


def test_import_does_not_import_dask():
    code = "import sys, pyramidkit; assert 'dask' not in sys.modules, 'dask imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_is_dask_while_dask_is_being_imported(monkeypatch):
    """A distributed worker runs NumPy calls in one thread while another imports dask: the
    half-initialised module has no Array yet, and the NumPy call must go on (it once raised
    AttributeError in a task)."""
    import types
    from pyramidkit import _dask
    monkeypatch.setitem(sys.modules, "dask.array.core", types.ModuleType("dask.array.core"))
    assert not _dask.is_dask(np.zeros(3))
    np.testing.assert_array_equal(pk.pyr_down(np.full((8, 8), 7, np.uint8)), np.full((4, 4), 7, np.uint8))
    monkeypatch.undo()
    assert _dask.is_dask(da.zeros(3, chunks=1)) and not _dask.is_dask(np.zeros(3))


def test_bad_input():
    x = da.from_array(np.zeros((8, 8), np.uint8), chunks=4)
    with pytest.raises(TypeError, match="out"):
        pk.pyr_down(x, out=np.zeros((4, 4), np.uint8))
    with pytest.raises(TypeError, match="out"):
        pk.gaussian_blur(x, 1.0, out=np.zeros((8, 8), np.uint8))
    with pytest.raises(TypeError, match="dtype"):
        pk.pyr_down(da.zeros((8, 8), dtype=np.int32, chunks=4))
    with pytest.raises(ValueError, match="dst_size"):
        pk.pyr_down(x, dst_size=(9, 9))
    with pytest.raises(ValueError, match="axes"):
        pk.downsample(x, axes="zyx")
    with pytest.raises(ValueError, match="method"):
        pk.multiscale(x, method="lanczos")
    unknown = x[x[:, 0] >= 0]   # unknown (nan) chunk sizes along axis 0
    with pytest.raises(ValueError, match="unknown"):
        pk.pyr_down(unknown)
    empty_chunk = da.from_array(np.zeros((8, 8), np.uint8), chunks=((4, 0, 4), (8,)))
    for call in (pk.pyr_down, pk.gaussian_pyramid, lambda a: pk.downsample(a, 2, method="mean"), pk.multiscale):
        with pytest.raises(ValueError, match="zero-size"):
            call(empty_chunk)
    with pytest.raises(TypeError, match="x:"):
        pk.downsample([object()])
    with pytest.raises(ValueError, match="chunks"):
        pk.multiscale(x, chunks=(0, 4))


def test_threaded_scheduler():
    x = random_array(np.random.default_rng(5), (300, 260, 3), np.float32)
    d = da.from_array(x, chunks=(64, 64, 3))
    got = dask.compute(*pk.gaussian_pyramid(d)[1:], scheduler="threads", num_workers=2)
    for a, b in zip(got, pk.gaussian_pyramid(x)[1:]):
        same(a, b)


def test_local_cluster_processes():
    distributed = pytest.importorskip("distributed")
    x = random_array(np.random.default_rng(6), (200, 150), np.uint16)
    d = da.from_array(x, chunks=(48, 40))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        lp = pk.laplacian_pyramid(d, 4, border="wrap")
        got = client.compute(lp, sync=True)
        for a, b in zip(got, pk.laplacian_pyramid(x, 4, border="wrap")):
            same(a, b)
        vol = random_array(np.random.default_rng(7), (9, 40, 30), np.uint8)
        ms = client.compute(pk.multiscale(da.from_array(vol, chunks=(4, 16, 16)), axes="zyx")[1:], sync=True)
        for a, b in zip(ms, pk.multiscale(vol, axes="zyx")[1:]):
            same(a, b)


@pytest.mark.parametrize("dtype", [np.uint8, np.float16, np.float32])
def test_large_windows_in_slabs(monkeypatch, dtype):
    """A task whose window exceeds SLAB_BYTES computes its chunk in slabs: the same bits."""
    import importlib
    engine = importlib.import_module("pyramidkit._dask")
    rng = np.random.default_rng(8)
    vol = random_array(rng, (13, 20, 17), dtype)
    img = random_array(rng, (21, 19, 3), dtype)
    want = [pk.downsample(vol, 2, axes="zyx", border="wrap"), pk.downsample(vol, (2, 1, 3), method="mean", axes="zyx"),
            pk.pyr_up(img, border="reflect"), pk.gaussian_blur(img, 1.5, border="wrap")] + pk.laplacian_pyramid(img, 3)
    monkeypatch.setattr(engine, "SLAB_BYTES", 256)
    dv, di = da.from_array(vol, chunks=(5, 7, 9)), da.from_array(img, chunks=(8, 6, 3))
    got = [pk.downsample(dv, 2, axes="zyx", border="wrap"), pk.downsample(dv, (2, 1, 3), method="mean", axes="zyx"),
           pk.pyr_up(di, border="reflect"), pk.gaussian_blur(di, 1.5, border="wrap")] + pk.laplacian_pyramid(di, 3)
    for g, w in zip(dask.compute(*got, scheduler="sync"), want):
        same(g, w)
