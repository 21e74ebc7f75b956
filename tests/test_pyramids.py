"""gaussian_pyramid / laplacian_pyramid / reconstruct_laplacian."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pyramidkit as pk
import pyramidkit.reference as ref
from conftest import BORDERS, DTYPES, ISA_LEVELS, LAYOUT_SHAPES, assert_close, random_array

BAND = {np.uint8: np.int16, np.uint16: np.int32, np.int16: np.int32, np.float16: np.float32,
        np.float32: np.float32, np.float64: np.float64}
SIZES = [(1, 1), (2, 3), (5, 8), (7, 4), (33, 65), (125, 125)]


def _chain(a, n, **kw):
    out = [a]
    for _ in range(n - 1):
        out.append(pk.pyr_down(out[-1], **kw))
    return out


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", list(LAYOUT_SHAPES))
def test_gaussian_equals_repeated_pyr_down(dtype, layout, isa, threads):
    rng = np.random.default_rng(1)
    for (h, w), border in itertools.product(SIZES, BORDERS):
        a = random_array(rng, LAYOUT_SHAPES[layout](h, w), dtype)
        kw = dict(border=border, layout=layout, value=9)
        g = pk.gaussian_pyramid(a, **kw)
        assert g[0] is a
        assert max(g[-1].shape[layout.index("H"):][:2]) == 1
        expected = _chain(a, len(g), **kw)
        for lv, ex in zip(g, expected):
            assert lv.dtype == a.dtype and lv.shape == ex.shape
            assert lv.tobytes() == ex.tobytes(), (h, w, border)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_gaussian_and_laplacian_match_reference(dtype):
    rng = np.random.default_rng(2)
    for (h, w), border in itertools.product([(5, 8), (33, 20), (1, 9)], BORDERS):
        a = random_array(rng, (h, w, 2), dtype)
        kw = dict(border=border, value=-4)
        for ours, theirs in zip(pk.gaussian_pyramid(a, **kw), ref.gaussian_pyramid(a, **kw)):
            assert_close(ours, theirs, dtype, a)
        lp, lr = pk.laplacian_pyramid(a, 3, **kw), ref.laplacian_pyramid(a, 3, **kw)
        assert [x.dtype for x in lp] == [np.dtype(BAND[dtype])] * 2 + [np.dtype(dtype)]
        for ours, theirs in zip(lp, lr):
            if np.dtype(dtype).kind == "f":  # levels agree within the image dtype's rounding
                tol = 4 * np.finfo(dtype).eps * max(1.0, float(np.abs(a.astype(np.float64)).max()))
                np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64), rtol=0, atol=tol)
            else:
                np.testing.assert_array_equal(ours, theirs)
        rec = pk.reconstruct_laplacian(lr, **kw)
        assert_close(rec, ref.reconstruct_laplacian(lr, **kw), dtype, a)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", list(LAYOUT_SHAPES))
def test_laplacian_roundtrip_lossless(dtype, layout, isa, threads):
    rng = np.random.default_rng(3)
    for (h, w), border in itertools.product(SIZES + [(64, 1), (3, 200)], BORDERS):
        a = random_array(rng, LAYOUT_SHAPES[layout](h, w), dtype)
        kw = dict(border=border, layout=layout, value=3)
        lp = pk.laplacian_pyramid(a, **kw)
        rec = pk.reconstruct_laplacian(lp, **kw)
        assert rec.dtype == a.dtype
        np.testing.assert_array_equal(rec, a, err_msg=f"{h}x{w} {border}")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(h=st.integers(1, 90), w=st.integers(1, 90), levels=st.integers(1, 9),
       border=st.sampled_from(BORDERS), seed=st.integers(0, 2**31))
def test_laplacian_roundtrip_property(h, w, levels, border, seed):
    a = np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)
    lp = pk.laplacian_pyramid(a, levels, border=border)
    assert len(lp) == levels
    np.testing.assert_array_equal(pk.reconstruct_laplacian(lp, border=border), a)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_laplacian_roundtrip_float(dtype):
    rng = np.random.default_rng(4)
    for h, w in SIZES:
        a = random_array(rng, (h, w), dtype)
        rec = pk.reconstruct_laplacian(pk.laplacian_pyramid(a))
        scale = max(1.0, float(np.abs(a.astype(np.float64)).max()))
        # each level adds at most one rounding of a band sum: a few ulps of the range
        tol = 8 * np.finfo(np.float32 if dtype == np.float16 else dtype).eps * scale
        if dtype == np.float16:
            tol = max(tol, float(np.spacing(np.float16(scale))))
        np.testing.assert_allclose(rec.astype(np.float64), a.astype(np.float64), rtol=0, atol=tol)


def test_threads_and_isa_bit_identical_with_bands():
    # Large enough for several row bands per plane, so halos and the pull order are exercised.
    rng = np.random.default_rng(5)
    for dtype, border in itertools.product([np.uint8, np.float32, np.float16], BORDERS):
        a = random_array(rng, (523, 301), dtype)
        outs = []
        for level, n in itertools.product(ISA_LEVELS, [1, 2, 3, 8]):
            with pk.max_simd(level), pk.num_threads(n):
                outs.append(pk.gaussian_pyramid(a, border=border) + pk.laplacian_pyramid(a, 6, border=border))
        expected = _chain(a, len(outs[0]) - 6, border=border)
        for o in outs:
            assert [x.tobytes() for x in o[:len(expected)]] == [x.tobytes() for x in expected]
            assert [x.tobytes() for x in o] == [x.tobytes() for x in outs[0]]


def test_levels_and_min_size():
    a = np.zeros((100, 37), np.float32)
    assert len(pk.gaussian_pyramid(a, 1)) == 1
    assert [x.shape for x in pk.gaussian_pyramid(a, 3)] == [(100, 37), (50, 19), (25, 10)]
    assert [x.shape for x in pk.gaussian_pyramid(a, min_size=10)][-1] == (7, 3)
    assert pk.gaussian_pyramid(a, 20)[-1].shape == (1, 1)
    lp = pk.laplacian_pyramid(a, 1)
    assert len(lp) == 1 and lp[0] is a


def test_levels_share_one_allocation():
    a = np.zeros((64, 64), np.uint8)
    g = pk.gaussian_pyramid(a, 4)
    bases = {id(x.base) for x in g[1:]}
    assert len(bases) == 1
    lp = pk.laplacian_pyramid(a, 4)
    assert len({id(x.base) for x in lp}) == 1


@pytest.mark.parametrize("kw, err, match", [
    (dict(levels=0), ValueError, "levels"),
    (dict(levels=-2), ValueError, "levels"),
    (dict(levels=True), ValueError, "levels"),
    (dict(levels=2.5), ValueError, "levels"),
    (dict(min_size=0), ValueError, "min_size"),
    (dict(border="nope"), ValueError, "border"),
    (dict(layout="CHW"), ValueError, "layout"),
])
@pytest.mark.parametrize("fn", [pk.gaussian_pyramid, pk.laplacian_pyramid])
def test_bad_arguments(fn, kw, err, match):
    with pytest.raises(err, match=match):
        fn(np.zeros((8, 8), np.uint8), **kw)


def test_bad_images():
    with pytest.raises(TypeError, match="img"):
        pk.gaussian_pyramid(np.zeros((4, 4), np.int32))
    with pytest.raises(ValueError, match="img"):
        pk.laplacian_pyramid(np.zeros((0, 4), np.uint8))
    with pytest.raises(TypeError, match="img"):
        pk.gaussian_pyramid("abc")


def test_reconstruct_bad_input():
    lp = pk.laplacian_pyramid(np.zeros((9, 9), np.uint8), 3)
    with pytest.raises(TypeError, match="pyramid"):
        pk.reconstruct_laplacian([])
    with pytest.raises(TypeError, match="pyramid"):
        pk.reconstruct_laplacian(np.zeros((3, 3), np.uint8))
    with pytest.raises(TypeError, match=r"pyramid\[0\]"):
        pk.reconstruct_laplacian([lp[0].astype(np.uint8)] + lp[1:])
    with pytest.raises(ValueError, match=r"pyramid\[1\]"):
        pk.reconstruct_laplacian([lp[0], lp[1][:2], lp[2]])
    with pytest.raises(ValueError, match=r"pyramid\[1\]: shape"):
        pk.reconstruct_laplacian([lp[0][:, :, None], lp[1][:, :, None].repeat(2, 2), lp[2][:, :, None]])
    assert pk.reconstruct_laplacian(lp[-1:]).tobytes() == lp[-1].tobytes()


def test_reconstruct_saturates_edited_bands():
    a = np.full((6, 6), 250, np.uint8)
    lp = pk.laplacian_pyramid(a, 2)
    lp[0] += 100
    rec = pk.reconstruct_laplacian(lp)
    assert rec.dtype == np.uint8 and (rec == 255).all()
    np.testing.assert_array_equal(rec, ref.reconstruct_laplacian(lp))


def test_strided_and_noncontiguous_inputs():
    rng = np.random.default_rng(6)
    big = random_array(rng, (80, 90, 3), np.uint8)
    for view in [big[5:70, 3:80], big[::-1], big[:, ::2], big[..., ::-1]]:
        g = pk.gaussian_pyramid(view, 4)
        for ours, ex in zip(g, _chain(np.ascontiguousarray(view), 4)):
            np.testing.assert_array_equal(ours, ex)
        np.testing.assert_array_equal(pk.reconstruct_laplacian(pk.laplacian_pyramid(view)), view)
