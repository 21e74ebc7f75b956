"""gaussian_blur / gaussian_kernel against the reference and OpenCV."""
import itertools

import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref
import pyramidkit.reference.blur as ref_blur
from conftest import BORDERS, DTYPES, ISA_LEVELS, LAYOUT_SHAPES, random_array

try:
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", list(LAYOUT_SHAPES))
def test_matches_reference_exactly(dtype, layout, isa, threads):
    rng = np.random.default_rng(11)
    for (h, w), border, (sigma, ksize) in itertools.product(
            [(1, 1), (3, 2), (9, 17), (20, 33), (4, 150)], BORDERS, [(1.2, None), ((0.7, 2.5), None), (0, (5, 3))]):
        a = random_array(rng, LAYOUT_SHAPES[layout](h, w), dtype)
        kw = dict(ksize=ksize, border=border, layout=layout, value=21)
        ours, theirs = pk.gaussian_blur(a, sigma, **kw), ref.gaussian_blur(a, sigma, **kw)
        assert ours.dtype == a.dtype and ours.shape == a.shape
        assert ours.tobytes() == theirs.tobytes(), (h, w, border, sigma)


def test_isa_levels_and_threads_identical():
    rng = np.random.default_rng(12)
    for dtype in DTYPES:
        a = random_array(rng, (67, 131, 3), dtype)
        outs = []
        for level, n in itertools.product(ISA_LEVELS, [1, 2, 3]):
            with pk.max_simd(level), pk.num_threads(n):
                outs.append(pk.gaussian_blur(a, 1.7).tobytes())
        assert len(set(outs)) == 1


@pytest.mark.skipif(cv2 is None, reason="OpenCV not installed")
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_matches_opencv(dtype):
    rng = np.random.default_rng(13)
    borders = {"reflect101": cv2.BORDER_REFLECT_101, "reflect": cv2.BORDER_REFLECT,
               "replicate": cv2.BORDER_REPLICATE, "constant": cv2.BORDER_CONSTANT}
    for shape, sigma, ksize, (bname, bcode) in itertools.product(
            [(40, 57), (33, 20, 3), (7, 9, 4), (6, 263)], [0.6, 2.0, 4.5, (1.0, 3.0)], [None, (7, 5)],
            borders.items()):
        a = random_array(rng, shape, dtype)
        sy, sx = sigma if isinstance(sigma, tuple) else (sigma, sigma)
        k = (0, 0) if ksize is None else ksize[::-1]
        expected = cv2.GaussianBlur(a, k, sigmaX=sx, sigmaY=sy, borderType=bcode)
        ours = pk.gaussian_blur(a, sigma, ksize=ksize, border=bname)
        diff = np.abs(ours.astype(np.float64) - expected.astype(np.float64))
        if dtype in (np.uint8, np.uint16):  # OpenCV's fixed-point kernels, exact integer arithmetic
            assert diff.max() == 0, (shape, sigma, ksize, bname)
        elif dtype == np.int16:
            assert diff.max() <= 1, (shape, sigma, ksize, bname)
        else:
            assert diff.max() <= 1e-5 * max(1.0, float(np.abs(a).max())), (shape, sigma, ksize, bname)


@pytest.mark.skipif(cv2 is None, reason="OpenCV not installed")
def test_kernel_matches_opencv():
    for ksize, sigma in itertools.product([1, 3, 5, 7, 9, 15, 31], [0, 0.5, 1.3, 4.0]):
        np.testing.assert_allclose(pk.gaussian_kernel(ksize, sigma), cv2.getGaussianKernel(ksize, sigma).ravel(),
                                   rtol=0, atol=1e-15)


def test_fixed_kernel():
    from pyramidkit.blur import fixed_kernel
    for ksize, sigma in itertools.product([1, 3, 5, 9, 13, 25, 51], [0, 0.3, 1.1, 2.0, 7.5]):
        for bits in (8, 16):
            k = fixed_kernel(pk.gaussian_kernel(ksize, sigma), bits)
            assert k.sum() == 1 << bits and (k >= 0).all() and (k == k[::-1]).all()
            assert np.abs(k / (1 << bits) - pk.gaussian_kernel(ksize, sigma)).max() <= 1.0 / (1 << bits)


def test_native_checks_kernels():
    from pyramidkit import _core
    a, out = np.zeros((1, 1, 4, 4, 1), np.uint8), np.zeros((1, 1, 4, 4, 1), np.uint8)  # 5-D plane views
    with pytest.raises(ValueError, match="shift"):
        _core.gaussian_blur(a, out, [0.25, 0.5, 0.25], [1.0], 0, 4, 0.0, 1)
    with pytest.raises(ValueError, match="sum"):
        _core.gaussian_blur(a, out, [64, 129, 64], [256], 16, 4, 0.0, 1)
    with pytest.raises(ValueError, match="symmetric"):
        _core.gaussian_blur(a.astype(np.float32), out.astype(np.float32), [0.2, 0.5, 0.3], [1.0], 0, 4, 0.0, 1)


def test_out_and_views():
    rng = np.random.default_rng(14)
    big = random_array(rng, (50, 60, 3), np.uint8)
    for view in [big[3:40, 5:50], big[::-1], big[:, ::2], big[..., ::-1]]:
        expected = ref.gaussian_blur(np.ascontiguousarray(view), 1.5)
        np.testing.assert_array_equal(pk.gaussian_blur(view, 1.5), expected)
        out = np.empty((view.shape[1], view.shape[0], 3), np.uint8).transpose(1, 0, 2)
        assert pk.gaussian_blur(view, 1.5, out=out) is out
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("kw, err, match", [
    (dict(sigma=-1), ValueError, "sigma"),
    (dict(sigma=float("nan")), ValueError, "sigma"),
    (dict(sigma=0), ValueError, "sigma"),
    (dict(sigma=(1, 2, 3)), ValueError, "sigma"),
    (dict(sigma="a"), TypeError, "sigma"),  # a type: TypeError (one pair parser, _args.pair)
    (dict(sigma=1, ksize=4), ValueError, "ksize"),
    (dict(sigma=1, ksize=-3), ValueError, "ksize"),
    (dict(sigma=1, ksize=(3, 2.5)), TypeError, "ksize"),
    (dict(sigma=1e6), ValueError, "ksize"),
    (dict(sigma=1, border="x"), ValueError, "border"),
    (dict(sigma=1, out=np.empty((8, 8), np.float32)), TypeError, "out"),
    (dict(sigma=1, out=np.empty((8, 9), np.uint8)), ValueError, "out"),
])
def test_bad_input(kw, err, match):
    with pytest.raises(err, match=match):
        pk.gaussian_blur(np.zeros((8, 8), np.uint8), **kw)
    with pytest.raises(TypeError, match="img"):
        pk.gaussian_blur(np.zeros((8, 8), np.complex64), 1)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_kernel_tables_match_reference(dtype):
    """The kernel tables the op passes to C++ against the reference's, written again from
    getGaussianKernel's definition: a wrong weight shows here, not only in the pixels."""
    from pyramidkit import blur as ops
    for sigma in (0, 0.3, 0.8, 1.0, 1.6, 2.0, 2.5, 3.7, 5.0, 11.0):
        for ksize in (None, 1, 3, 5, 7, 9, 11, 31):
            if ksize is None and sigma == 0:
                continue
            got = ops.blur_kernels(np.dtype(dtype), sigma, ksize)
            want = ref_blur.blur_kernels(np.dtype(dtype), sigma, ksize)
            assert got[2] == want[2]
            for g, w in zip(got[:2], want[:2]):
                if got[2]:
                    assert np.array_equal(g, w), (sigma, ksize)
                else:
                    np.testing.assert_allclose(g, w, rtol=4e-16, atol=0)
