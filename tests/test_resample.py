"""The resample family: resize / interpolate against the reference, torch and OpenCV."""
import itertools

import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref
from pyramidkit import _core
from pyramidkit._args import kernel_input, plane_view
from pyramidkit.resample import resize_taps
from conftest import ISA_LEVELS, random_array

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None
try:
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None

DTYPES = [np.uint8, np.float16, np.float32, np.float64]
SIZES = [((1, 1), (3, 2)), ((5, 8), (5, 8)), ((7, 9), (14, 18)), ((13, 7), (4, 3)), ((20, 33), (31, 17)),
         ((6, 70), (11, 150)), ((40, 40), (9, 13))]
SETTINGS = [dict(mode="bilinear"), dict(mode="bilinear", coordinates="align_corners"),
            dict(mode="bilinear", coordinates="asymmetric"), dict(mode="nearest"), dict(mode="nearest-exact"),
            dict(mode="bilinear", antialias=True)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout, shape", [("HW", lambda h, w: (h, w)), ("HWC", lambda h, w: (h, w, 3)),
                                           ("NCHW", lambda h, w: (2, 2, h, w)), ("NHWC", lambda h, w: (2, h, w, 5))])
def test_resize_matches_reference_exactly(dtype, layout, shape, isa):
    rng = np.random.default_rng(31)
    for ((h, w), (oh, ow)), kw in itertools.product(SIZES, SETTINGS):
        a = random_array(rng, shape(h, w), dtype)
        ours, theirs = pk.resize(a, (oh, ow), layout=layout, **kw), ref.resize(a, (oh, ow), layout=layout, **kw)
        assert ours.shape == theirs.shape and ours.dtype == a.dtype
        assert ours.tobytes() == theirs.tobytes(), (h, w, oh, ow, kw)


@pytest.mark.parametrize("cn", [1, 2, 3, 4, 5])
def test_resize_uint8_dyadic_scales_exact(cn, isa):
    # uint8 bilinear with weights that are multiples of 2^-q (x2, x4, /2, x1.5, asymmetric
    # x2) runs in 16-bit integers on AVX-512 (same bits as the float definition): widths
    # with and without a tail after the 32-element blocks, every convention.
    rng = np.random.default_rng(33)
    cases = [((9, 40), (18, 80)), ((5, 37), (20, 148)), ((16, 70), (8, 35)), ((12, 64), (18, 96)), ((3, 11), (6, 22))]
    for ((h, w), (oh, ow)), coordinates in itertools.product(cases, ["half_pixel", "asymmetric", "align_corners"]):
        a = random_array(rng, (h, w, cn), np.uint8)
        kw = dict(coordinates=coordinates)
        ours, theirs = pk.resize(a, (oh, ow), **kw), ref.resize(a, (oh, ow), **kw)
        assert ours.tobytes() == theirs.tobytes(), (h, w, oh, ow, coordinates)


def test_resize_uint8_streamed_rows_any_alignment():
    # A uint8 output of >= 4 MiB in reused memory is streamed from each row's first 64-byte
    # boundary: an offset view with an odd row stride starts rows at every alignment.
    rng = np.random.default_rng(34)
    a = rng.integers(0, 256, (600, 700, 3), dtype=np.uint8)
    buf = np.full((1200, 1400 * 3 + 5), 7, np.uint8)
    out = np.lib.stride_tricks.as_strided(buf[:, 1:], shape=(1200, 1400, 3), strides=(buf.strides[0], 3, 1),
                                          writeable=True)
    assert out.nbytes >= 4 << 20
    pk.resize(a, (1200, 1400), out=out)
    assert (buf[:, 0] == 7).all() and (buf[:, 1 + 1400 * 3:] == 7).all()
    np.testing.assert_array_equal(out[100:140], ref.resize(a[45:75], (60, 1400))[10:50])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_float_streamed_rows(dtype, isa):
    # float rows into a reused output that is, or is part of, 32 MiB or more are staged in
    # pieces and streamed: rows at every alignment (an offset view with an odd row stride,
    # long rows of several pieces), and pyramid_pool's upsampled maps streamed into their
    # channel slices of a given out= (the kernel told the size of the whole).
    rng = np.random.default_rng(35)
    a = random_array(rng, (3, 70, 90), dtype)
    expect = pk.resize(a, (130, 1500), layout="CHW")  # 2.3 MB: not streamed
    buf = np.full((3, 130, 1501), 7, dtype)
    out = buf[:, :, 1:]
    (_, _), ty, tx = resize_taps(a, "CHW", (130, 1500), None, "bilinear", "half_pixel", False)
    _core.resample(kernel_input(a, "CHW"), plane_view(out, "CHW"), ty[0], ty[1], tx[0], tx[1], 2, False, 1 << 30)
    assert (buf[:, :, 0] == 7).all()
    np.testing.assert_array_equal(out, expect)
    c = 256 if dtype == np.float32 else 128  # output 47 MB
    x = random_array(rng, (1, c, 96, 96), dtype)
    o = np.full((1, 5 * c, 96, 96), 7, dtype)
    pk.pyramid_pool(x, out=o)
    np.testing.assert_array_equal(o, ref.pyramid_pool(x))


def test_threads_identical():
    a = random_array(np.random.default_rng(32), (2, 3, 67, 45), np.float32)
    outs = []
    for level, n in itertools.product(ISA_LEVELS, [1, 2, 3]):
        with pk.max_simd(level), pk.num_threads(n):
            outs.append(pk.interpolate(a, size=(130, 91)).tobytes())
            outs.append(pk.interpolate(a, size=(20, 15), antialias=True).tobytes())
    assert len(set(outs[0::2])) == 1 and len(set(outs[1::2])) == 1


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_interpolate_matches_torch(dtype):
    rng = np.random.default_rng(33)
    modes = [("bilinear", False, False), ("bilinear", True, False), ("nearest", None, False),
             ("nearest-exact", None, False), ("bilinear", False, True), ("bilinear", True, True)]
    for ((h, w), (oh, ow)), (mode, ac, aa) in itertools.product(SIZES, modes):
        x = rng.standard_normal((2, 3, h, w)).astype(dtype)
        for kw in [dict(size=(oh, ow)), dict(scale_factor=(oh / h * 1.01, ow / w * 1.01)),
                   dict(scale_factor=1.7, recompute_scale_factor=True), dict(scale_factor=0.6)]:
            if "scale_factor" in kw and min(np.floor(np.array([h, w]) * kw["scale_factor"])) < 1:
                continue
            expected = F.interpolate(torch.from_numpy(x), mode=mode, align_corners=ac, antialias=aa, **kw).numpy()
            ours = pk.interpolate(x, mode=mode, align_corners=ac, antialias=aa, **kw)
            assert ours.shape == expected.shape and ours.dtype == x.dtype
            np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-5 * np.abs(x).max(), err_msg=str((mode, ac, aa, kw)))
            np.testing.assert_array_equal(ours, ref.interpolate(x, mode=mode, align_corners=ac, antialias=aa, **kw))


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_interpolate_channels_last_keeps_memory_format():
    x = torch.randn(2, 8, 13, 17).contiguous(memory_format=torch.channels_last)
    a = x.numpy()  # NCHW logical, channels-last strides
    ours = pk.interpolate(a, size=(26, 30))
    expected = F.interpolate(x, size=(26, 30), mode="bilinear")
    np.testing.assert_allclose(ours, expected.numpy(), rtol=0, atol=1e-5 * float(x.abs().max()))
    assert ours.transpose(0, 2, 3, 1).flags.c_contiguous


@pytest.mark.skipif(cv2 is None, reason="OpenCV not installed")
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=lambda d: np.dtype(d).name)
def test_resize_matches_opencv(dtype):
    rng = np.random.default_rng(34)
    for (h, w), (oh, ow) in [((27, 48), (54, 96)), ((33, 47), (20, 71)), ((64, 64), (128, 96)), ((9, 5), (3, 11))]:
        img = random_array(rng, (h, w, 3), dtype) if dtype == np.uint8 else rng.random((h, w, 3)).astype(dtype)
        for interp, mode in [(cv2.INTER_LINEAR, "bilinear"), (cv2.INTER_NEAREST, "nearest")]:
            expected = cv2.resize(img, (ow, oh), interpolation=interp)
            ours = pk.resize(img, (oh, ow), mode=mode)
            diff = np.abs(ours.astype(np.float64) - expected)
            assert diff.max() <= (1 if dtype == np.uint8 else 1e-4), (h, w, oh, ow, mode)
        for fy, fx in [(2.0, 2.0), (0.5, 0.75), (1.3, 0.7)]:  # scale: OpenCV's size and coordinate rules
            expected = cv2.resize(img, None, fx=fx, fy=fy, interpolation=cv2.INTER_LINEAR)
            ours = pk.resize(img, scale=(fy, fx))
            assert ours.shape == expected.shape
            assert np.abs(ours.astype(np.float64) - expected).max() <= (1 if dtype == np.uint8 else 1e-4)


def test_conventions_by_formula():
    x = np.array([[0.0, 10.0, 20.0, 30.0]], np.float64)
    # half pixel: 4 -> 8 samples (d + 0.5) / 2 - 0.5, clamped at both ends
    np.testing.assert_allclose(pk.resize(x, (1, 8))[0], [0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30])
    np.testing.assert_allclose(pk.resize(x, (1, 7), coordinates="align_corners")[0], np.linspace(0, 30, 7))
    np.testing.assert_allclose(pk.resize(x, (1, 8), coordinates="asymmetric")[0], [0, 5, 10, 15, 20, 25, 30, 30])
    np.testing.assert_array_equal(pk.resize(x, (1, 6), mode="nearest")[0], [0, 0, 10, 20, 20, 30])
    np.testing.assert_array_equal(pk.resize(x, (1, 6), mode="nearest-exact")[0], [0, 10, 10, 20, 30, 30])


@pytest.mark.parametrize("call, err, match", [
    (lambda a: pk.resize(a), ValueError, "size, scale"),
    (lambda a: pk.resize(a, (2, 2), scale=2), ValueError, "size, scale"),
    (lambda a: pk.resize(a, (0, 2)), ValueError, "size"),
    (lambda a: pk.resize(a, scale=-1), ValueError, "scale"),
    (lambda a: pk.resize(a, scale=0.01), ValueError, "scale"),
    (lambda a: pk.resize(a, (2, 2), mode="cubic"), ValueError, "mode"),
    (lambda a: pk.resize(a, (2, 2), coordinates="tf"), ValueError, "coordinates"),
    (lambda a: pk.resize(a, (2, 2), mode="nearest", coordinates="align_corners"), ValueError, "coordinates"),
    (lambda a: pk.resize(a, (2, 2), mode="nearest", antialias=True), ValueError, "antialias"),
    (lambda a: pk.resize(a.astype(np.int16), (2, 2)), TypeError, "img"),
    (lambda a: pk.resize(a, (2, 2), out=np.empty((3, 3), np.float32)), ValueError, "out"),
    (lambda a: pk.interpolate(a, size=(2, 2)), ValueError, "4-D"),
    (lambda a: pk.interpolate(a[None, None], size=(2, 2), scale_factor=2), ValueError, "only one"),
    (lambda a: pk.interpolate(a[None, None]), ValueError, "either size"),
    (lambda a: pk.interpolate(a[None, None], size=2, mode="nearest", align_corners=True), ValueError, "align_corners"),
    (lambda a: pk.interpolate(a[None, None], size=2, mode="area"), ValueError, "mode"),
    (lambda a: pk.interpolate(a[None, None], scale_factor=float("nan")), ValueError, "scale_factor"),
])
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call(np.zeros((8, 8), np.float32))


def test_tap_tables_match_reference():
    """The tap tables the ops pass to C++ against the reference's, computed sample by sample
    from the coordinate rules: a wrong index or weight shows here, not only in the pixels."""
    from pyramidkit import resample as ops
    import pyramidkit.reference.resample as ref_resample
    for dtype in (np.uint8, np.float32, np.float64):
        for h, w, oh, ow in [(7, 5, 14, 10), (16, 16, 5, 3), (9, 13, 9, 27), (1, 4, 3, 1), (100, 3, 37, 8)]:
            a = np.zeros((h, w), dtype)
            for mode, coords, aa in [("bilinear", "half_pixel", False), ("bilinear", "align_corners", False),
                                     ("bilinear", "asymmetric", False), ("bilinear", "half_pixel", True),
                                     ("nearest", "half_pixel", False), ("nearest-exact", "half_pixel", False)]:
                for size, scale in [((oh, ow), None), (None, (oh / h, ow / w)), (None, 2.5)]:
                    got = ops.resize_taps(a, "HW", size, scale, mode, coords, aa)
                    want = ref_resample.resize_taps(a, "HW", size, scale, mode, coords, aa)
                    assert got[0] == want[0]
                    for g, r in zip(got[1:], want[1:]):
                        np.testing.assert_array_equal(g[1], r[1])
                        np.testing.assert_array_equal(g[0][g[1] != 0], r[0][r[1] != 0])
            x = np.zeros((1, 1, h, w), dtype if dtype != np.uint8 else np.float32)
            for mode, ac, aa in [("bilinear", None, False), ("bilinear", True, False), ("bilinear", False, True),
                                 ("nearest", None, False), ("nearest-exact", None, False)]:
                for size, sf, rec in [((oh, ow), None, None), (None, 2.0, None), (None, (1.5, 0.5), True),
                                      (None, 1.7, False)]:
                    got = ops.interpolate_taps(x, size, sf, mode, ac, rec, aa)
                    want = ref_resample.interpolate_taps(x, size, sf, mode, ac, rec, aa)
                    assert got[0] == want[0]
                    for g, r in zip(got[1:], want[1:]):
                        np.testing.assert_array_equal(g[1], r[1])
                        np.testing.assert_array_equal(g[0][g[1] != 0], r[0][r[1] != 0])
