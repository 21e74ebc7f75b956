"""Bad input raises TypeError / ValueError naming the argument; nothing crashes."""
import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref

OPS = [pk.pyr_down, pk.pyr_up, ref.pyr_down, ref.pyr_up]
IMG = np.zeros((8, 9), np.uint8)


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__module__ + "." + f.__name__)
@pytest.mark.parametrize("bad, exc, match", [
    ([[1, 2], [3, 4]], TypeError, "img"),
    (3.0, TypeError, "img"),
    ("abc", TypeError, "img"),
    (None, TypeError, "img"),
    (np.zeros((4, 4), np.int32), TypeError, "img: dtype int32"),
    (np.zeros((4, 4), np.int64), TypeError, "img: dtype int64"),
    (np.zeros((4, 4), bool), TypeError, "img: dtype bool"),
    (np.zeros((4, 4), np.complex64), TypeError, "img: dtype complex64"),
    (np.zeros((4, 4), object), TypeError, "img: dtype object"),
    (np.array([["a", "b"]]), TypeError, "img: dtype"),
    (np.zeros(5, np.uint8), ValueError, "img: expected a 2-D"),
    (np.zeros((2, 2, 2, 2, 2), np.uint8), ValueError, "img: expected a 2-D"),
    (np.zeros((0, 4), np.uint8), ValueError, "img: array is empty"),
    (np.zeros((4, 0, 3), np.float32), ValueError, "img: array is empty"),
])
def test_bad_images(op, bad, exc, match):
    with pytest.raises(exc, match=match):
        op(bad)


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__module__ + "." + f.__name__)
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(border="mirror_x"), ValueError, "border: unknown border"),
    (dict(border=7), ValueError, "border: unknown border"),
    (dict(border=None), ValueError, "border: unknown border"),
    (dict(layout="WH"), ValueError, "layout: unknown layout"),
    (dict(layout="NCHW"), ValueError, "img: layout 'NCHW' needs a 4-D"),
    (dict(layout=3), ValueError, "layout: unknown layout"),
    (dict(dst_size=(4,)), ValueError, "dst_size: expected a"),
    (dict(dst_size=5), ValueError, "dst_size: expected a"),
    (dict(dst_size=(4.0, 5.0)), TypeError, "dst_size: expected integer"),
    (dict(dst_size=(0, 5)), ValueError, "dst_size"),
    (dict(dst_size=(-4, 5)), ValueError, "dst_size"),
    (dict(dst_size=(100, 5)), ValueError, "dst_size"),
    (dict(border="constant", value="x"), TypeError, "value"),
    (dict(border="constant", value=float("nan")), ValueError, "value"),
])
def test_bad_parameters(op, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        op(IMG, **kwargs)


def test_dst_size_rules():
    with pytest.raises(ValueError, match=r"\|2\*dst - src\| <= 2"):
        pk.pyr_down(IMG, dst_size=(2, 5))
    with pytest.raises(ValueError, match=r"2\*src"):
        pk.pyr_up(IMG, dst_size=(14, 18))  # 14 is even but not 2*8
    with pytest.raises(ValueError, match="dst_size"):
        pk.pyr_up(IMG, dst_size=(16, 20))
    pk.pyr_up(IMG, dst_size=(17, 17))
    pk.pyr_up(IMG, dst_size=(15, 19))


@pytest.mark.parametrize("op", [pk.pyr_down, pk.pyr_up])
def test_bad_out(op):
    good = op(IMG)
    with pytest.raises(TypeError, match="out: dtype"):
        op(IMG, out=np.empty(good.shape, np.float32))
    with pytest.raises(ValueError, match="out: shape"):
        op(IMG, out=np.empty((3, 3), np.uint8))
    ro = np.empty_like(good)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out: array is read-only"):
        op(IMG, out=ro)
    with pytest.raises(TypeError, match="out: expected a NumPy array"):
        op(IMG, out=[[0]])


def test_out_overlapping_input():
    buf = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match="out: array overlaps the input"):
        pk.pyr_down(buf, out=buf[:4, :4])
    buf2 = np.zeros((16, 16), np.uint8)
    with pytest.raises(ValueError, match="out: array overlaps the input"):
        pk.pyr_up(buf2[:8, :8], out=buf2)


def _huge(shape, dtype):
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape=shape, strides=(0,) * len(shape))


def test_sizes_that_would_overflow():
    with pytest.raises(ValueError, match="would need .* bytes"):
        pk.pyr_up(_huge((2**28, 2**28, 16), np.uint8))
    with pytest.raises(ValueError, match="would need .* bytes"):
        ref.pyr_up(_huge((2**28, 2**28, 16), np.uint8))
    # a result that fits int64 but not in memory is a MemoryError from the allocation
    with pytest.raises((ValueError, MemoryError)):
        pk.pyr_down(_huge((2**28, 2**28, 16), np.uint8))


def test_read_only_input_is_fine():
    a = np.ones((6, 6), np.float32)
    a.flags.writeable = False
    np.testing.assert_array_equal(pk.pyr_down(a), np.ones((3, 3), np.float32))


def test_non_native_byte_order():
    a = np.arange(30, dtype=">f4").reshape(5, 6)
    np.testing.assert_array_equal(pk.pyr_down(a), pk.pyr_down(a.astype(np.float32)))
