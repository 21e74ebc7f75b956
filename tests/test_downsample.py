"""downsample and multiscale (NumPy): against the reference twin, the reference against
hand-written cases of each method, the equalities with pyr_down / gaussian_pyramid, the
slab path, and bad input."""
import importlib

import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref
from conftest import BORDERS, DTYPES, ISA_LEVELS, assert_close, random_array

ds = importlib.import_module("pyramidkit.downsample")  # the module (pk.downsample is the function)
METHODS = ["gaussian", "mean", "nearest", "mode", "min", "max"]
CASES = [((9, 13), "yx"), ((7, 9, 3), "yxc"), ((5, 6, 7), "zyx"), ((2, 5, 6, 7), "czyx"), ((1, 1), "yx"),
         ((6, 5), "xy"), ((4, 7, 5), "yzx"), ((2, 3, 5, 4, 2), "tczyx"), ((3, 2, 9, 8), "tyxc")]


def factors_for(method, axes):
    nsp = sum(c in "zyx" for c in axes)
    fs = [2, (1,) * (nsp - 1) + (2,), (2,) + (1,) * (nsp - 1)]
    if method != "gaussian":
        fs += [3, (3,) + (2,) * (nsp - 1)]
    return fs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", METHODS)
def test_matches_reference(dtype, method):
    rng = np.random.default_rng(0)
    for shape, axes in CASES:
        x = random_array(rng, shape, dtype)
        if method == "mode":
            x = (x % 3).astype(dtype)   # ties
        for f in factors_for(method, axes):
            for b in BORDERS if method == "gaussian" else ["reflect101"]:
                got = pk.downsample(x, f, method=method, axes=axes, border=b, value=7)
                want = ref.downsample(x, f, method=method, axes=axes, border=b, value=7)
                assert_close(got, want, dtype, x, err_msg=f"{shape} {axes} {f} {b}")


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.int32, np.uint32, np.int64, np.uint64])
@pytest.mark.parametrize("method", ["nearest", "mode", "min", "max"])
def test_label_dtypes(dtype, method):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, (5, 7, 6)).astype(dtype)
    got = pk.downsample(x, 2, method=method, axes="zyx")
    np.testing.assert_array_equal(got, ref.downsample(x, 2, method=method, axes="zyx"))
    assert got.dtype == dtype


def test_reference_hand_written_cases():
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.uint8)
    # mean: full box (1+2+4+5)/4 = 3, half up; partial boxes average the samples inside
    np.testing.assert_array_equal(ref.downsample(x, 2, method="mean"), [[3, 5], [8, 9]])
    np.testing.assert_array_equal(ref.downsample(x, 2, method="nearest"), [[1, 3], [7, 9]])
    np.testing.assert_array_equal(ref.downsample(x, 2, method="min"), [[1, 3], [7, 9]])
    np.testing.assert_array_equal(ref.downsample(x, 2, method="max"), [[5, 6], [8, 9]])
    labels = np.array([[2, 2, 5, 1], [7, 7, 5, 1]], np.int32)
    # ties go to the smallest value: (2, 2, 7, 7) -> 2; (5, 1, 5, 1) -> 1
    np.testing.assert_array_equal(ref.downsample(labels, 2, method="mode"), [[2, 1]])
    np.testing.assert_array_equal(ref.downsample(np.array([[3, 3, 3, 9]], np.int32), (1, 4), method="mode"), [[3]])
    # integer means round half up, also below zero
    np.testing.assert_array_equal(ref.downsample(np.array([[1, 2]], np.int16), (1, 2), method="mean"), [[2]])
    np.testing.assert_array_equal(ref.downsample(np.array([[-1, -2]], np.int16), (1, 2), method="mean"), [[-1]])
    # gaussian along one axis, [1 4 6 4 1]/16 with reflect101 (c b | a b c | b a):
    # out[0] = (6a + 8b + 2c) / 16, out[1] = (a + 4b + 6c + 4b + a) / 16
    v = np.array([[0, 16, 32]], np.uint16)
    np.testing.assert_array_equal(ref.downsample(v, (1, 2)), [[(8 * 16 + 2 * 32 + 8) // 16, 20]])
    # a 3-D gaussian rounds once: the sum of 4096 weights
    vol = np.zeros((3, 3, 3), np.uint8)
    vol[1, 1, 1] = 255
    assert ref.downsample(vol, 2, axes="zyx")[0, 0, 0] == (255 * 4 * 4 * 4 * 8 + 2048) // 4096
    np.testing.assert_array_equal(ref.downsample(np.arange(6.0).reshape(2, 3), 2, method="mean"),
                                  [[2.0, 3.5]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_isa_levels_and_threads_identical(dtype):
    """The native kernel: bit-identical at every SIMD level and thread count."""
    rng = np.random.default_rng(9)
    for shape, axes in [((9, 17, 13), "zyx"), ((5, 33, 3), "yxc"), ((2, 7, 11, 6), "czyx"), ((3, 9, 40, 7), "zyxc")]:
        x = random_array(rng, shape, dtype)
        for method, f in [("gaussian", 2), ("gaussian", (2, 1, 2)[:sum(c in "zyx" for c in axes)]), ("mean", 2),
                          ("mean", 3)]:
            want = None
            for level in ISA_LEVELS:
                for n in (1, 2, 3):
                    with pk.max_simd(level), pk.num_threads(n):
                        got = pk.downsample(x, f, method=method, axes=axes, border="constant", value=9)
                    if want is None:
                        want = got
                    np.testing.assert_array_equal(got, want, err_msg=f"{shape} {axes} {method} {f} {level} {n}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_yx_is_pyr_down(dtype):
    rng = np.random.default_rng(2)
    for shape, axes, layout in [((9, 13), "yx", "HW"), ((7, 8, 3), "yxc", "HWC"), ((2, 7, 8, 3), "tyxc", "NHWC"),
                                ((3, 7, 9), "cyx", "CHW")]:
        x = random_array(rng, shape, dtype)
        for b in BORDERS:
            np.testing.assert_array_equal(pk.downsample(x, 2, axes=axes, border=b, value=3),
                                          pk.pyr_down(x, layout=layout, border=b, value=3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_multiscale_2d_gaussian_is_gaussian_pyramid(dtype):
    x = random_array(np.random.default_rng(3), (37, 45, 3), dtype)
    ms = pk.multiscale(x)
    gp = pk.gaussian_pyramid(x)
    assert len(ms) == len(gp)
    for a, b in zip(ms, gp):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", METHODS)
def test_multiscale_matches_reference(method):
    x = random_array(np.random.default_rng(4), (5, 17, 12), np.uint16)
    for kw in [{}, {"levels": 3}, {"min_size": 4}, {"factor": (1, 2, 2)}]:
        got = pk.multiscale(x, method=method, axes="zyx", **kw)
        want = ref.multiscale(x, method=method, axes="zyx", **kw)
        assert [g.shape for g in got] == [w.shape for w in want]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_multiscale_sizes():
    shapes = [a.shape for a in pk.multiscale(np.zeros((3, 16, 40), np.uint8), axes="zyx", method="mean")]
    assert shapes == [(3, 16, 40), (2, 8, 20), (1, 4, 10), (1, 2, 5), (1, 1, 3), (1, 1, 2), (1, 1, 1)]
    assert [a.shape for a in pk.multiscale(np.zeros((64, 64)), min_size=16)] == [(64, 64), (32, 32), (16, 16)]
    # an axis at min_size keeps its size
    assert [a.shape for a in pk.multiscale(np.zeros((8, 64)), min_size=8)] == [(8, 64), (8, 32), (8, 16), (8, 8)]
    assert len(pk.multiscale(np.zeros((4, 4)), levels=5)) == 5
    assert [a.shape for a in pk.multiscale(np.zeros((9, 9)), factor=3, method="max")] == [(9, 9), (3, 3), (1, 1)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("border", ["reflect101", "wrap", "constant"])
def test_slabs_equal_whole(monkeypatch, method, border):
    rng = np.random.default_rng(5)
    for dtype in (np.uint8, np.int16, np.float32, np.float16):
        for shape, axes in [((9, 13, 11), "zyx"), ((2, 5, 6, 7), "czyx"), ((17, 5, 3), "yxc")]:
            x = random_array(rng, shape, dtype)
            whole = pk.downsample(x, 2, method=method, axes=axes, border=border, value=3)
            monkeypatch.setattr(ds, "_SLAB_BYTES", 1)
            with pk.num_threads(2):
                slabs = pk.downsample(x, 2, method=method, axes=axes, border=border, value=3)
            monkeypatch.undo()
            np.testing.assert_array_equal(whole, slabs)


def test_result_is_new_array():
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    for method in METHODS:
        r = pk.downsample(x, 1 if method != "gaussian" else 1, method=method)
        assert not np.shares_memory(r, x)
        np.testing.assert_array_equal(r, x)
    assert pk.multiscale(x)[0] is x


@pytest.mark.parametrize("call, exc, match", [
    (lambda: pk.downsample(object()), TypeError, "x:"),
    (lambda: pk.downsample("abc"), TypeError, "x:"),
    (lambda: pk.downsample(np.zeros((4, 4)), method="bicubic"), ValueError, "method"),
    (lambda: pk.downsample(np.zeros((4, 4)), 0), ValueError, "factor"),
    (lambda: pk.downsample(np.zeros((4, 4)), -2, method="mean"), ValueError, "factor"),
    (lambda: pk.downsample(np.zeros((4, 4)), 3), ValueError, "gaussian"),
    (lambda: pk.downsample(np.zeros((4, 4)), 2.0), TypeError, "factor"),
    (lambda: pk.downsample(np.zeros((4, 4)), True), TypeError, "factor"),
    (lambda: pk.downsample(np.zeros((4, 4)), (2, 2, 2)), ValueError, "factor"),
    (lambda: pk.downsample(np.zeros((4, 4)), axes="zyx"), ValueError, "axes"),
    (lambda: pk.downsample(np.zeros((4, 4)), axes="yy"), ValueError, "axes"),
    (lambda: pk.downsample(np.zeros((4, 4)), axes="qx"), ValueError, "axes"),
    (lambda: pk.downsample(np.zeros((4, 4)), axes="tc"), ValueError, "axes"),
    (lambda: pk.downsample(np.zeros((4, 4)), axes=3), TypeError, "axes"),
    (lambda: pk.downsample(np.zeros((2, 2, 2, 2, 2))), ValueError, "axes"),
    (lambda: pk.downsample(np.zeros((0, 4))), ValueError, "x:"),
    (lambda: pk.downsample(np.zeros((4, 4), np.int32)), TypeError, "dtype"),
    (lambda: pk.downsample(np.zeros((4, 4), np.complex64), method="max"), TypeError, "dtype"),
    (lambda: pk.downsample(np.zeros((4, 4)), border="mirrorish"), ValueError, "border"),
    (lambda: pk.multiscale(np.zeros((4, 4)), levels=0), ValueError, "levels"),
    (lambda: pk.multiscale(np.zeros((4, 4)), min_size=0), ValueError, "min_size"),
    (lambda: pk.multiscale(np.zeros((4, 4)), chunks=2), TypeError, "chunks"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
