"""The pyramid family: pyr_down / pyr_up against the reference, OpenCV, across ISA levels and
threads; gaussian_pyramid / laplacian_pyramid / reconstruct_laplacian."""
import itertools
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pyramidkit as pk
import pyramidkit.reference as ref
from conftest import BORDERS, DTYPES, ISA_LEVELS, LAYOUT_SHAPES, assert_close, random_array

OPS = ["pyr_down", "pyr_up"]
# tiny, odd, even, widths around the vector lengths (16/32/64 bytes), and wide enough for
# the 512-bit loops over output columns (2 x 32 uint8 outputs per step)
SIZES = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (5, 8), (4, 7), (9, 15), (16, 17), (33, 65), (31, 64), (5, 263)]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", list(LAYOUT_SHAPES))
def test_matches_reference(op, dtype, layout, isa, threads):
    rng = np.random.default_rng(zlib.crc32(f"{op}-{layout}".encode()))  # same data in every run
    for (h, w), border in itertools.product(SIZES, BORDERS):
        a = random_array(rng, LAYOUT_SHAPES[layout](h, w), dtype)
        kw = dict(border=border, layout=layout, value=17)
        assert_close(getattr(pk, op)(a, **kw), getattr(ref, op)(a, **kw), dtype, a)


def _dst_sizes(op, h, w):
    if op == "pyr_down":
        hs = [d for d in range(1, h // 2 + 2) if abs(2 * d - h) <= 2]
        ws = [d for d in range(1, w // 2 + 2) if abs(2 * d - w) <= 2]
    else:
        hs, ws = [2 * h - 1, 2 * h, 2 * h + 1], [2 * w - 1, 2 * w, 2 * w + 1]
    return list(itertools.product(hs, ws))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_dst_size_matches_reference(op, dtype, isa):
    rng = np.random.default_rng(7)
    for h, w in [(1, 1), (2, 3), (5, 4), (8, 9), (13, 20)]:
        a = random_array(rng, (h, w, 2), dtype)
        for dst in _dst_sizes(op, h, w):
            for border in BORDERS:
                kw = dict(dst_size=dst, border=border, value=-3)
                r = getattr(pk, op)(a, **kw)
                assert r.shape == (dst[0], dst[1], 2)
                assert_close(r, getattr(ref, op)(a, **kw), dtype, a)


@pytest.mark.parametrize("op", OPS)
def test_isa_levels_bit_identical(op):
    rng = np.random.default_rng(3)
    for dtype in DTYPES:
        for shape in [(67, 131), (40, 51, 3), (3, 30, 70, 4)]:
            a = random_array(rng, shape, dtype)
            outs = []
            for level in ISA_LEVELS:
                with pk.max_simd(level):
                    outs.append(getattr(pk, op)(a))
            for o in outs[1:]:
                assert o.tobytes() == outs[0].tobytes(), (dtype, shape)


@pytest.mark.parametrize("op", OPS)
def test_threads_bit_identical(op):
    rng = np.random.default_rng(4)
    for dtype in DTYPES:
        a = random_array(rng, (2, 301, 257, 3), dtype)
        outs = []
        for n in (1, 2, 3, 8):
            with pk.num_threads(n):
                outs.append(getattr(pk, op)(a))
        for o in outs[1:]:
            assert o.tobytes() == outs[0].tobytes(), dtype


@pytest.mark.parametrize("op", OPS)
def test_strided_views_read_in_place(op):
    rng = np.random.default_rng(5)
    big = random_array(rng, (80, 90, 4), np.uint8)
    for view in [big[5:60, 7:71], big[::-1], big[::2, :, :3], big[:, ::-2], big[..., ::-1], big[10:40, 3:50, 1]]:
        expected = getattr(ref, op)(np.ascontiguousarray(view))
        np.testing.assert_array_equal(getattr(pk, op)(view), expected)
    planes = random_array(rng, (3, 4, 40, 50), np.float32)[:, ::2, 5:35, 1:44]  # NCHW with gaps
    assert_close(getattr(pk, op)(planes, layout="NCHW"), getattr(ref, op)(np.ascontiguousarray(planes), layout="NCHW"),
                 np.float32)


@pytest.mark.parametrize("op", OPS)
def test_out_argument(op):
    rng = np.random.default_rng(6)
    a = random_array(rng, (21, 34, 3), np.uint16)
    expected = getattr(ref, op)(a)
    out = np.empty_like(expected)
    r = getattr(pk, op)(a, out=out)
    assert r is out
    np.testing.assert_array_equal(out, expected)
    # a strided out (every other channel of a wider buffer) is filled too
    wide = np.zeros(expected.shape[:2] + (6,), np.uint16)
    r = getattr(pk, op)(a, out=wide[..., ::2])
    np.testing.assert_array_equal(wide[..., ::2], expected)
    assert not wide[..., 1::2].any()


def test_large_channel_counts_and_batches():
    rng = np.random.default_rng(8)
    x = random_array(rng, (2, 9, 11, 300), np.float32)
    for op in OPS:
        assert_close(getattr(pk, op)(x), getattr(ref, op)(x), np.float32)
    y = random_array(rng, (2, 64, 10, 12), np.float32)
    for op in OPS:
        assert_close(getattr(pk, op)(y, layout="NCHW"), getattr(ref, op)(y, layout="NCHW"), np.float32)


def test_array_likes_without_copy():
    class Wrapper:
        def __init__(self, a):
            self.a = a

        def __array__(self, dtype=None, copy=None):
            return self.a

    a = np.random.default_rng(9).integers(0, 255, (10, 12), dtype=np.uint8)
    np.testing.assert_array_equal(pk.pyr_down(Wrapper(a)), ref.pyr_down(a))
    np.testing.assert_array_equal(pk.pyr_up(memoryview(a)), ref.pyr_up(a))


def test_pyr_up_reflect_equals_replicate():
    a = np.random.default_rng(10).random((9, 14)).astype(np.float64)
    np.testing.assert_array_equal(pk.pyr_up(a, border="reflect"), pk.pyr_up(a, border="replicate"))


def test_docstring_formula_values():
    # constant image stays constant for every border but constant
    for op in OPS:
        for border in BORDERS[:-1]:
            r = getattr(pk, op)(np.full((7, 9), 200, np.uint8), border=border)
            assert (r == 200).all()
    # constant border with value 0 darkens the edges
    assert pk.pyr_down(np.full((8, 8), 255, np.uint8), border="constant")[0, 0] < 255


@settings(max_examples=60, deadline=None, derandomize=True)
@given(h=st.integers(1, 40), w=st.integers(1, 40), cn=st.integers(1, 6),
       dtype=st.sampled_from(DTYPES), border=st.sampled_from(BORDERS), op=st.sampled_from(OPS),
       value=st.integers(-5, 300), seed=st.integers(0, 2**16), data=st.data())
def test_property_against_reference(h, w, cn, dtype, border, op, value, seed, data):
    rng = np.random.default_rng(seed)
    a = random_array(rng, (h, w, cn), dtype)
    dst = data.draw(st.sampled_from([None] + _dst_sizes(op, h, w)))
    kw = dict(dst_size=dst, border=border, value=value)
    assert_close(getattr(pk, op)(a, **kw), getattr(ref, op)(a, **kw), dtype, a)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_large_outputs_streaming_path(dtype):
    # Outputs >= 32 MiB take the non-temporal store path; a full-width crop of the same
    # image (small output, regular stores) must give bit-identical interior rows.
    rng = np.random.default_rng(11)
    a = random_array(rng, (2900, 3000) if dtype == np.uint8 else (2048, 2048), dtype)
    big = pk.pyr_up(a)
    assert big.nbytes >= 32 << 20
    crop = pk.pyr_up(a[40:70])
    np.testing.assert_array_equal(big[82:138], crop[2:58])
    down_src = np.tile(a, (4, 4) if dtype == np.uint8 else (4, 2))
    big_down = pk.pyr_down(down_src)
    assert big_down.nbytes >= 32 << 20
    np.testing.assert_array_equal(big_down[30:40], pk.pyr_down(down_src[56:84])[2:12])
    # into a given out= (not fresh pages): streamed, paired rows staged two at a time
    for op, r in (("pyr_up", big), ("pyr_down", big_down)):
        out = np.full_like(r, 7)
        getattr(pk, op)(a if op == "pyr_up" else down_src, out=out)
        np.testing.assert_array_equal(out, r)


@pytest.mark.parametrize("dtype", [np.uint8, np.float16, np.float32], ids=lambda d: np.dtype(d).name)
def test_pyr_down_fused_rows_every_width(dtype, isa):
    # Single-channel rows: the middle of a row is read in place (uint8: blocks of 2 x 32
    # outputs from 2 x 64 + 2 source columns; float: written from registers one block
    # late), the first block and the last ones go through the border code; every width
    # from one vector to several, each dst width, each border, groups of rows and single.
    rng = np.random.default_rng(11)
    for w in list(range(60, 200, 7)) + list(range(256, 268, 3)) + [1024, 1025, 1087, 2113]:
        a = random_array(rng, (13, w), dtype)
        for border in BORDERS:
            for dst_w in sorted({(w + 1) // 2, w // 2, (w + 2) // 2} - {0}):
                kw = dict(border=border, value=-3, dst_size=(7, dst_w))
                assert_close(pk.pyr_down(a, **kw), ref.pyr_down(a, **kw), dtype, a)


@pytest.mark.parametrize("cn", [2, 3, 4])
def test_pyr_down_uint8_channels_every_width(cn, isa):
    # uint8 with 2 to 4 channels (AVX2 and up): each source row is rearranged into pixel
    # pairs in vector steps (VBMI: 64 / (2 cn) pairs from 64 bytes; otherwise 16 bytes per
    # lane), the last step moved left to the row's end, the rest and the border pixels in
    # scalar code; outputs in pairs of vectors with a partial last pair. Widths across all
    # those boundaries, every dst width, every border.
    rng = np.random.default_rng(12)
    widths = [1, 2, 3, 5, 10, 11, 15, 16, 17, 20, 21, 22, 31, 32, 33, 42, 43, 44, 63, 64, 65, 85, 86, 87, 128, 131]
    for w in widths:
        a = random_array(rng, (5, w, cn), np.uint8)
        for border in BORDERS:
            for dst_w in sorted({(w + 1) // 2, w // 2, (w + 2) // 2} - {0}):
                kw = dict(border=border, value=201, dst_size=(3, dst_w))
                np.testing.assert_array_equal(pk.pyr_down(a, **kw), ref.pyr_down(a, **kw))


@pytest.mark.parametrize("cn", [2, 3, 4])
def test_pyr_down_uint8_channels_running_rows(cn, isa, threads):
    # The same path keeps a running vertical sum from one output row to the next and the
    # pair rows of the next two source rows, keyed by row address: a new plane, a thread's
    # first row, border rows that repeat or that a constant border has no address for, and
    # an odd extra output row all restart or reuse it. Every height from 1, every dst
    # height, a batch, and images large enough to split between threads.
    rng = np.random.default_rng(13)
    for h in list(range(1, 10)) + [16, 17]:
        a = random_array(rng, (2, h, 37, cn), np.uint8)
        for border in BORDERS:
            for dst_h in sorted({(h + 1) // 2, h // 2, (h + 2) // 2} - {0}):
                kw = dict(border=border, value=7, dst_size=(dst_h, 19), layout="NHWC")
                np.testing.assert_array_equal(pk.pyr_down(a, **kw), ref.pyr_down(a, **kw))
    a = random_array(rng, (3, 161, 700, cn), np.uint8)
    for border in ["reflect101", "constant"]:
        np.testing.assert_array_equal(pk.pyr_down(a, border=border, value=99, layout="NHWC"),
                                      ref.pyr_down(a, border=border, value=99, layout="NHWC"))


def test_pyr_up_float32_streamed_rows_any_alignment():
    # A large float32 pyr_up into a given out= streams both rows of a pair straight to
    # dst; rows whose start is not vector-aligned (an offset view with an odd row stride)
    # and an odd extra last row take the unaligned paths. Compared with a small output's
    # ordinary stores on the same rows.
    rng = np.random.default_rng(5)
    a = rng.random((2048, 2049), dtype=np.float32)
    for dst_size in [(4096, 4098), (4097, 4097)]:
        buf = np.full((dst_size[0], dst_size[1] + 3), 9.0, np.float32)
        out = buf[:, 1:1 + dst_size[1]]
        assert out.nbytes >= 32 << 20
        pk.pyr_up(a, dst_size=dst_size, out=out)
        assert (buf[:, 0] == 9).all() and (buf[:, 1 + dst_size[1]:] == 9).all()
        np.testing.assert_array_equal(out[:40], pk.pyr_up(a[:22], dst_size=(44, dst_size[1]))[:40])
        tail = pk.pyr_up(a[-22:], dst_size=(44 + dst_size[0] % 2, dst_size[1]))
        np.testing.assert_array_equal(out[-30:], tail[-30:])


def test_pyr_up_uint8_streamed_rows_any_alignment():
    # uint8 pyr_up into a given out= of >= 4 MiB streams its rows from the first vector
    # boundary on; rows that start at an odd address store normally. An offset view with
    # an odd row stride gives both kinds, and the odd extra row and column are checked.
    rng = np.random.default_rng(6)
    a = rng.integers(0, 256, (1024, 1025), dtype=np.uint8)
    for dst_size in [(2048, 2050), (2049, 2051)]:
        buf = np.full((dst_size[0], dst_size[1] + 3), 9, np.uint8)
        out = buf[:, 1:1 + dst_size[1]]
        assert out.nbytes >= 4 << 20
        for border in ["reflect101", "constant"]:
            pk.pyr_up(a, dst_size=dst_size, out=out, border=border, value=200)
            assert (buf[:, 0] == 9).all() and (buf[:, 1 + dst_size[1]:] == 9).all()
            small = pk.pyr_up(a[:22], dst_size=(44, dst_size[1]), border=border, value=200)
            np.testing.assert_array_equal(out[:40], small[:40])
            tail = pk.pyr_up(a[-22:], dst_size=(44 + dst_size[0] % 2, dst_size[1]), border=border, value=200)
            np.testing.assert_array_equal(out[-30:], tail[-30:])
            np.testing.assert_array_equal(out[500:530], ref.pyr_up(a[248:268], border=border, value=200,
                                                                    dst_size=(40, dst_size[1]))[4:34])


# ---------------------------------------------------------------- whole pyramids

BAND = {np.uint8: np.int16, np.uint16: np.int32, np.int16: np.int32, np.float16: np.float32,
        np.float32: np.float32, np.float64: np.float64}
LEVEL_SIZES = [(1, 1), (2, 3), (5, 8), (7, 4), (33, 65), (125, 125)]


def _chain(a, n, **kw):
    out = [a]
    for _ in range(n - 1):
        out.append(pk.pyr_down(out[-1], **kw))
    return out


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", list(LAYOUT_SHAPES))
def test_gaussian_equals_repeated_pyr_down(dtype, layout, isa, threads):
    rng = np.random.default_rng(1)
    for (h, w), border in itertools.product(LEVEL_SIZES, BORDERS):
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
    for (h, w), border in itertools.product(LEVEL_SIZES + [(64, 1), (3, 200)], BORDERS):
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
    for h, w in LEVEL_SIZES:
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
