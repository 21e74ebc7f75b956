"""Pooling against the reference and torch: values, indices, layouts, dtypes, NaN, bad input."""
import itertools
import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref
from conftest import ISA_LEVELS

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def random_pool_case(rng, avg):
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    dh, dw = (1, 1) if avg else tuple(int(v) for v in rng.integers(1, 3, 2))
    ph, pw = int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))
    h = int(rng.integers(max(1, (kh - 1) * dh + 1 - 2 * ph), 24))
    w = int(rng.integers(max(1, (kw - 1) * dw + 1 - 2 * pw), 40))
    kw_ = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=bool(rng.random() < 0.5))
    if avg:
        kw_["count_include_pad"] = bool(rng.random() < 0.5)
        if rng.random() < 0.2:
            kw_["divisor_override"] = int(rng.integers(1, 7))
    else:
        kw_["dilation"] = (dh, dw)
    return (int(rng.integers(1, 3)), int(rng.integers(1, 20)), h, w), kw_


def with_ties_and_nans(rng, shape, dtype, nan=True):
    x = rng.integers(0, 6, shape).astype(dtype)  # few values: many ties
    if nan and np.dtype(dtype).kind == "f":
        x[rng.random(shape) < 0.03] = np.nan
        x[rng.random(shape) < 0.03] = -np.inf
    return x


def to_layout(x, layout):
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if layout == "NHWC" else x


def from_layout(y, layout):
    return y.transpose(0, 3, 1, 2) if layout == "NHWC" else y


@pytest.mark.parametrize("dtype", [np.uint8, np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_max_pool_matches_reference(dtype, layout, isa):
    rng = np.random.default_rng(1)
    for _ in range(25):
        shape, kw = random_pool_case(rng, False)
        x = to_layout(with_ties_and_nans(rng, shape, dtype), layout)
        o, i = pk.max_pool2d(x, return_indices=True, layout=layout, **kw)
        ro, ri = ref.max_pool2d(x, return_indices=True, layout=layout, **kw)
        assert o.dtype == x.dtype and i.dtype == np.int64
        np.testing.assert_array_equal(o, ro, err_msg=str((shape, kw)))
        np.testing.assert_array_equal(i, ri, err_msg=str((shape, kw)))
        np.testing.assert_array_equal(pk.max_pool2d(x, layout=layout, **kw), o)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_avg_pool_matches_reference_exactly(dtype, layout, isa):
    rng = np.random.default_rng(2)
    for _ in range(25):
        shape, kw = random_pool_case(rng, True)
        x = to_layout(rng.standard_normal(shape).astype(dtype), layout)
        np.testing.assert_array_equal(pk.avg_pool2d(x, layout=layout, **kw), ref.avg_pool2d(x, layout=layout, **kw),
                                      err_msg=str((shape, kw)))


@pytest.mark.parametrize("dtype", [np.uint8, np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_adaptive_matches_reference(dtype, layout, isa):
    # (17 channels: channels-last takes the vector path over channels; float16 and uint8
    # go through the float32 vector paths with converting loads, float64 its own)
    rng = np.random.default_rng(3)
    for size in [1, 2, 3, 5, (4, 7), (None, 3), (2, None), (30, 41)]:
        x = to_layout(with_ties_and_nans(rng, (2, 17, 13, 21), dtype), layout)
        if dtype != np.uint8:
            np.testing.assert_array_equal(pk.adaptive_avg_pool2d(x, size, layout=layout),
                                          ref.adaptive_avg_pool2d(x, size, layout=layout))
        o, i = pk.adaptive_max_pool2d(x, size, True, layout=layout)
        ro, ri = ref.adaptive_max_pool2d(x, size, True, layout=layout)
        np.testing.assert_array_equal(o, ro)
        np.testing.assert_array_equal(i, ri)


def test_threads_and_isa_levels_identical():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 40, 33, 70)).astype(np.float32)
    outs = set()
    for level in ISA_LEVELS:
        for n in (1, 2):
            with pk.max_simd(level), pk.num_threads(n):
                o, i = pk.max_pool2d(x, 3, 2, 1, return_indices=True)
                outs.add(o.tobytes() + i.tobytes() + pk.avg_pool2d(x, 2).tobytes() +
                         pk.adaptive_avg_pool2d(x, 5).tobytes())
    assert len(outs) == 1


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_max_pool_matches_torch(dtype):
    rng = np.random.default_rng(5)
    for _ in range(60):
        shape, kw = random_pool_case(rng, False)
        x = with_ties_and_nans(rng, shape, dtype)
        o, i = pk.max_pool2d(x, return_indices=True, **kw)
        to, ti = F.max_pool2d(torch.from_numpy(x), return_indices=True, **kw)
        np.testing.assert_array_equal(o, to.numpy(), err_msg=str((shape, kw)))
        np.testing.assert_array_equal(i, ti.numpy(), err_msg=str((shape, kw)))


@needs_torch
def test_avg_pool_matches_torch():
    rng = np.random.default_rng(6)
    for _ in range(60):
        shape, kw = random_pool_case(rng, True)
        x = rng.standard_normal(shape).astype(np.float32)
        t = F.avg_pool2d(torch.from_numpy(x), **kw).numpy()
        # sums in another order than torch's: a few float32 ulps of the sum
        np.testing.assert_allclose(pk.avg_pool2d(x, **kw), t, rtol=2e-6, atol=2e-6, err_msg=str((shape, kw)))


@needs_torch
def test_adaptive_and_unpool_match_torch():
    rng = np.random.default_rng(7)
    for _ in range(30):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        size = (int(rng.integers(1, 12)), int(rng.integers(1, 12)))
        x = with_ties_and_nans(rng, (2, 5, h, w), np.float32)
        xt = torch.from_numpy(x)
        np.testing.assert_allclose(pk.adaptive_avg_pool2d(x, size), F.adaptive_avg_pool2d(xt, size).numpy(),
                                   rtol=2e-6, atol=2e-6)
        o, i = pk.adaptive_max_pool2d(x, size, True)
        to, ti = F.adaptive_max_pool2d(xt, size, True)
        np.testing.assert_array_equal(o, to.numpy())
        np.testing.assert_array_equal(i, ti.numpy())
    for _ in range(20):
        shape, kw = random_pool_case(rng, False)
        kw.pop("dilation"), kw.pop("ceil_mode")
        x = rng.standard_normal(shape).astype(np.float32)
        o, i = pk.max_pool2d(x, return_indices=True, **kw)
        size = shape[2:]
        try:
            t = F.max_unpool2d(torch.from_numpy(o), torch.from_numpy(i), output_size=size, **kw).numpy()
        except (ValueError, RuntimeError):
            with pytest.raises(ValueError):
                pk.max_unpool2d(o, i, output_size=size, **kw)
            continue
        np.testing.assert_array_equal(pk.max_unpool2d(o, i, output_size=size, **kw), t)
        np.testing.assert_array_equal(ref.max_unpool2d(o, i, output_size=size, **kw), t)


@needs_torch
def test_channels_last_memory_is_kept():
    x = np.random.default_rng(8).standard_normal((2, 6, 10, 12)).astype(np.float32)
    xcl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    o, i = pk.max_pool2d(xcl, 3, 2, 1, return_indices=True)
    assert o.transpose(0, 2, 3, 1).flags.c_contiguous
    to, ti = F.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(o, to.numpy())
    np.testing.assert_array_equal(i, ti.numpy())


def test_nan_and_inf_rules():
    x = np.array([[[[1, np.nan, 3, -np.inf], [np.nan, 2, -np.inf, -np.inf]]]], np.float32)
    o, i = pk.max_pool2d(x, 2, return_indices=True)
    assert np.isnan(o[0, 0, 0, 0]) and i[0, 0, 0, 0] == 4  # the last NaN in row-major order
    assert o[0, 0, 0, 1] == 3 and i[0, 0, 0, 1] == 2
    o, i = pk.max_pool2d(np.full((1, 1, 2, 2), -np.inf, np.float32), 2, return_indices=True)
    assert o[0, 0, 0, 0] == -np.inf and i[0, 0, 0, 0] == 0  # all -inf: the first element
    assert np.isnan(pk.avg_pool2d(x, 2)[0, 0, 0, 0])


def test_unbatched_and_single_map_layouts():
    x = np.random.default_rng(9).standard_normal((3, 9, 11)).astype(np.float32)
    np.testing.assert_array_equal(pk.max_pool2d(x, 2), pk.max_pool2d(x[None], 2)[0])
    hwc = np.ascontiguousarray(x.transpose(1, 2, 0))
    np.testing.assert_array_equal(pk.avg_pool2d(hwc, 3, layout="HWC"), pk.avg_pool2d(x, 3).transpose(1, 2, 0))
    assert pk.spatial_pyramid_pool(x).shape == (3 * 21,)
    assert pk.pyramid_pool(x, bins=(1, 2)).shape == (9, 9, 11)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_spatial_pyramid_pool_order_and_torch(mode):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 4, 13, 10)).astype(np.float32)
    pool = pk.adaptive_max_pool2d if mode == "max" else pk.adaptive_avg_pool2d
    expected = np.concatenate([pool(x, lv).reshape(2, -1) for lv in (1, 2, 4)], axis=1)
    out = pk.spatial_pyramid_pool(x, mode=mode)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out, ref.spatial_pyramid_pool(x, mode=mode))
    nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(pk.spatial_pyramid_pool(nhwc, mode=mode, layout="NHWC"), out)
    if torch is not None:
        tpool = F.adaptive_max_pool2d if mode == "max" else F.adaptive_avg_pool2d
        t = torch.cat([tpool(torch.from_numpy(x), lv).flatten(1) for lv in (1, 2, 4)], 1).numpy()
        np.testing.assert_allclose(out, t, rtol=0, atol=1e-6)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_pyramid_pool_matches_reference_and_torch(layout, align_corners):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 6, 19, 23)).astype(np.float32)
    w = [rng.standard_normal((3, 6)), (rng.standard_normal((2, 6)), rng.standard_normal(2)), None,
         rng.standard_normal((1, 6))]
    for weights in (None, w):
        out = pk.pyramid_pool(to_layout(x, layout), weights=weights, align_corners=align_corners, layout=layout)
        r = ref.pyramid_pool(to_layout(x, layout), weights=weights, align_corners=align_corners, layout=layout)
        np.testing.assert_allclose(out, r, rtol=0, atol=1e-6)
        if torch is None:
            continue
        xt = torch.from_numpy(x)
        parts = [xt]
        for b, p in zip((1, 2, 3, 6), weights or [None] * 4):
            y = F.adaptive_avg_pool2d(xt, b)
            if p is not None:
                m, bias = p if isinstance(p, tuple) else (p, None)
                y = F.conv2d(y.double(), torch.from_numpy(m)[:, :, None, None],
                             None if bias is None else torch.from_numpy(bias)).float()
            parts.append(F.interpolate(y, size=(19, 23), mode="bilinear", align_corners=align_corners))
        t = torch.cat(parts, 1).numpy()
        np.testing.assert_allclose(from_layout(out, layout), t, rtol=0, atol=1e-5)


def test_unpool_index_out_of_range_raises():
    x = np.ones((1, 1, 2, 2), np.float32)
    with pytest.raises(ValueError, match="outside the output"):
        pk.max_unpool2d(x, np.full((1, 1, 2, 2), 16, np.int64), 2)
    with pytest.raises(ValueError, match="outside the output"):
        pk.max_unpool2d(x, np.full((1, 1, 2, 2), -1, np.int64), 2)


@pytest.mark.parametrize("shape,k,s,p,layout,expected", [
    ((1, 1, 1, 1), 2, 1, 1, None, (1, 1, 0, 0)),        # (1 - 1) * 1 + 2 - 2 = 0 on both axes
    ((1, 1, 2, 1), 2, 1, 1, None, (1, 1, 1, 0)),        # 0 along W only
    ((3, 1, 1), 2, 2, 1, None, (3, 0, 0)),              # CHW
    ((1, 1, 1, 4), 2, 1, 1, "NHWC", (1, 0, 0, 4)),      # channels-last
])
def test_unpool_empty_output_like_torch(shape, k, s, p, layout, expected):
    """torch returns an empty tensor when the default output size is 0 along an axis (the
    indices are not read); a negative size is refused with torch's message."""
    x = np.ones(shape, np.float32)
    idx = np.full(shape, 5, np.int64)   # out of range for any output: never read
    for fn in (pk.max_unpool2d, ref.max_unpool2d):
        out = fn(x, idx, k, s, p, layout=layout)
        assert out.shape == expected and out.dtype == np.float32
    if torch is not None and layout is None and len(shape) == 4:
        t = F.max_unpool2d(torch.from_numpy(x), torch.from_numpy(idx), k, s, p)
        assert tuple(t.shape) == expected
    assert pk.max_unpool2d(x, idx, k, s, p, layout=layout, out=np.empty(expected, np.float32)).shape == expected
    with pytest.raises(ValueError, match="non-negative spatial dimensions"):
        pk.max_unpool2d(np.ones((1, 1, 1, 1), np.float32), np.zeros((1, 1, 1, 1), np.int64), 1, 1, 1)


def test_unpool_duplicates_last_wins():
    x = np.array([[[[1., 2.], [3., 4.]]]], np.float32)
    out = pk.max_unpool2d(x, np.zeros((1, 1, 2, 2), np.int64), 2)
    assert out[0, 0, 0, 0] == 4 and out.sum() == 4


def test_unpool_cells_path(isa):
    # Planar float32 whose indices each lie in their own 2x2 cell (a 2x2 max_pool2d's) are
    # written row pair by row pair without zeroing (AVX-512: 16 inputs per step, streamed
    # when the output rows are aligned); an index outside its cell anywhere sends the whole
    # plane to the general scatter. Widths around the vector, outputs larger than twice the
    # input (extra zero rows and columns), unaligned outputs, NaN payloads and -0.0 kept.
    rng = np.random.default_rng(21)
    for h, w in [(1, 1), (3, 5), (2, 15), (4, 16), (3, 17), (5, 33), (2, 64)]:
        x = rng.standard_normal((2, 3, 2 * h, 2 * w)).astype(np.float32)
        special = np.array([0x7fc00123, 0xffc00077, 0x80000000, 0x7f800000], np.uint32).view(np.float32)
        x[0, 0, 0, :min(4, 2 * w)] = special[:min(4, 2 * w)]
        x[0, 1] = -0.0
        o, i = pk.max_pool2d(x, 2, return_indices=True)
        for size in [(2 * h, 2 * w), (2 * h + 1, 2 * w + 1)]:
            expect = ref.max_unpool2d(o, i, 2, output_size=size)
            np.testing.assert_array_equal(pk.max_unpool2d(o, i, 2, output_size=size).view(np.uint32),
                                          expect.view(np.uint32))
            n = 6 * size[0] * size[1]
            for buf in [np.full((2, 3, size[0], size[1] + 1), 7, np.float32)[..., 1:],  # rows apart, unaligned
                        np.full(n + 1, 7, np.float32)[1:].reshape(expect.shape),  # dense, 4 bytes off
                        np.full(n + 4, 7, np.float32)[4:].reshape(expect.shape)]:  # dense, 16 bytes off
                pk.max_unpool2d(o, i, 2, output_size=size, out=buf)
                np.testing.assert_array_equal(buf.view(np.uint32), expect.view(np.uint32))
        # One index outside its cell (another valid position): that plane takes the general
        # path, the others keep the cells path; all match the reference (last write wins).
        bad = i.copy()
        bad[1, 2, h - 1, w - 1] = 0
        np.testing.assert_array_equal(pk.max_unpool2d(o, bad, 2), ref.max_unpool2d(o, bad, 2))
        np.testing.assert_array_equal(pk.max_unpool2d(o[:1, :1], bad[1:, 2:], 2), ref.max_unpool2d(o[:1, :1], bad[1:, 2:], 2))


def test_out_arrays():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 8, 10)).astype(np.float32)
    o, i = pk.max_pool2d(x, 2, return_indices=True)
    buf = np.full(x.shape, 7, np.float32)  # stale content must not survive
    assert pk.max_unpool2d(o, i, 2, out=buf) is buf
    np.testing.assert_array_equal(buf, pk.max_unpool2d(o, i, 2))
    res = np.full((2, 15, 8, 10), np.nan, np.float32)
    assert pk.pyramid_pool(x, out=res) is res
    np.testing.assert_array_equal(res, pk.pyramid_pool(x))
    single = np.empty((15, 8, 10), np.float32)
    np.testing.assert_array_equal(pk.pyramid_pool(x[0], out=single), res[0])
    with pytest.raises(ValueError, match="shape"):
        pk.max_unpool2d(o, i, 2, out=np.empty((2, 3, 8, 9), np.float32))
    with pytest.raises(TypeError, match="dtype"):
        pk.pyramid_pool(x, out=np.empty((2, 15, 8, 10), np.float64))
    ro = np.empty(x.shape, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pk.max_unpool2d(o, i, 2, out=ro)
    with pytest.raises(ValueError, match="overlaps"):
        big = np.zeros((2, 3, 8, 10), np.float32)
        pk.max_unpool2d(big[:, :, :4, :5], i, 2, out=big)


X = np.zeros((1, 2, 8, 8), np.float32)


@pytest.mark.parametrize("call, err, match", [
    (lambda: pk.max_pool2d(X, 0), ValueError, "kernel_size"),
    (lambda: pk.max_pool2d(X, 2, stride=0), ValueError, "stride"),
    (lambda: pk.max_pool2d(X, 2, padding=2), ValueError, "pad should be smaller than or equal to half"),
    (lambda: pk.max_pool2d(X, 3, padding=-1), ValueError, "padding"),
    (lambda: pk.max_pool2d(X, 2, dilation=0), ValueError, "dilation"),
    (lambda: pk.max_pool2d(X, 9), ValueError, "too small"),
    (lambda: pk.max_pool2d(X, (2, 2, 2)), ValueError, "kernel_size"),
    (lambda: pk.max_pool2d(X, 2.5), TypeError, "kernel_size"),
    (lambda: pk.max_pool2d(X[0, 0], 2), ValueError, "3D or 4D"),
    (lambda: pk.max_pool2d(X[:, :0], 2), ValueError, "non-empty"),
    (lambda: pk.max_pool2d(X.astype(np.int32), 2), TypeError, "dtype"),
    (lambda: pk.max_pool2d(X, 2, layout="XY"), ValueError, "layout"),
    (lambda: pk.avg_pool2d(X.astype(np.uint8), 2), TypeError, "dtype"),
    (lambda: pk.avg_pool2d(X, 2, divisor_override=0), ValueError, "divisor"),
    (lambda: pk.avg_pool2d(X, 3, padding=2), ValueError, "pad should be smaller than or equal to half"),
    (lambda: pk.adaptive_avg_pool2d(X, 0), ValueError, "output_size"),
    (lambda: pk.adaptive_avg_pool2d(X, (1, 2, 3)), ValueError, "output_size"),
    (lambda: pk.adaptive_max_pool2d(X, 1.5), TypeError, "output_size"),
    (lambda: pk.max_unpool2d(X, np.zeros((1, 2, 8, 7), np.int64), 2), ValueError, "indices: shape"),
    (lambda: pk.max_unpool2d(X, np.zeros((1, 2, 8, 8), np.float32), 2), TypeError, "indices"),
    (lambda: pk.max_unpool2d(X, np.zeros((1, 2, 8, 8), np.int64), 2, output_size=(30, 30)), ValueError,
     "invalid output_size"),
    (lambda: pk.max_unpool2d(X, np.zeros((1, 2, 8, 8), np.int64), 2, output_size=(1, 16, 16)), ValueError,
     "2 or 4 elements"),
    (lambda: pk.spatial_pyramid_pool(X, levels=(1, 0)), ValueError, "levels"),
    (lambda: pk.spatial_pyramid_pool(X, mode="min"), ValueError, "mode"),
    (lambda: pk.pyramid_pool(X, bins=()), ValueError, "bins"),
    (lambda: pk.pyramid_pool(X, weights=[np.zeros((1, 2))]), ValueError, "one entry per bin"),
    (lambda: pk.pyramid_pool(X, bins=(1,), weights=[np.zeros((1, 3))]), ValueError, r"\(C_out, 2\)"),
    (lambda: pk.pyramid_pool(X, bins=(1,), weights=[(np.zeros((1, 2)), np.zeros(2))]), ValueError, "bias"),
    (lambda: pk.pyramid_pool(X.astype(np.uint8), mode="max"), TypeError, "floating"),
])
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_adaptive_max_planar_bits(isa):
    # Planar float32 adaptive max takes each column's maximum over the window rows first,
    # then the window's columns. Without indices, windows whose maximum is NaN (which
    # payload: the last in row-major order) or zero (which sign: the first) rerun the
    # definition; with indices, each column's row breaks ties between equal values (the
    # first in row-major order; for NaN the last). Bits and indices compared with the
    # reference, windows narrower and wider than a vector.
    rng = np.random.default_rng(21)
    for h, w, size in [(32, 32, 1), (32, 32, 2), (33, 70, (3, 4)), (20, 100, (5, 3)), (9, 17, (2, 1))]:
        x = rng.integers(-3, 4, (2, 3, h, w)).astype(np.float32)
        x[x == 0] = np.where(rng.random(int((x == 0).sum())) < 0.5, np.float32(0.0), np.float32(-0.0))
        nan_at = rng.random(x.shape) < 0.02
        payloads = (0x7FC00000 + rng.integers(1, 1000, int(nan_at.sum()))).astype(np.uint32)
        x[nan_at] = payloads.view(np.float32)
        x[0, 0] = np.where(x[0, 0] > 0, -x[0, 0], x[0, 0])  # a plane whose maxima are zeros
        for layout_x in (x, x[:, :, ::-1, :]):  # and a strided view
            ours = pk.adaptive_max_pool2d(layout_x, size)
            theirs = ref.adaptive_max_pool2d(np.ascontiguousarray(layout_x), size)
            assert ours.view(np.uint32).tobytes() == theirs.view(np.uint32).tobytes(), (h, w, size)
            ours, oi = pk.adaptive_max_pool2d(layout_x, size, True)
            theirs, ti = ref.adaptive_max_pool2d(np.ascontiguousarray(layout_x), size, True)
            assert ours.view(np.uint32).tobytes() == theirs.view(np.uint32).tobytes(), (h, w, size)
            np.testing.assert_array_equal(oi, ti)


def test_window_tables_match_reference():
    """The window tables the ops pass to C++ against the reference's, built output by output
    from torch's window rules: a wrong start, count or divisor shows here directly."""
    from pyramidkit import pool as ops
    from pyramidkit._args import pool_out_size
    import pyramidkit.reference.pool as ref_pool
    for n in (1, 2, 5, 8, 13, 32):
        for k, s, p, d in itertools.product((1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2)):
            if p > k // 2:
                continue
            for ceil_mode in (False, True):
                for avg, cip in ((False, True), (True, True), (True, False)):
                    dd = 1 if avg else d
                    n_out = pool_out_size(n, k, s, p, dd, ceil_mode)
                    if n_out < 1:
                        continue
                    try:
                        got = ops.window_tables(n, n_out, k, s, p, dd, avg, cip)
                    except ValueError:  # a window entirely in the padding (the ops raise)
                        continue
                    start, count, dil, factor = ref_pool._windows(n, n_out, k, s, p, dd, avg, cip)
                    assert np.array_equal(got.start, start) and np.array_equal(got.count, count), (n, k, s, p, dd)
                    assert got.dil == dil and np.array_equal(got.factor, factor)
        for n_out in range(1, 2 * n + 2):
            got = ops.adaptive_tables(n, n_out)
            start, count, _, factor = ref_pool._adaptive(n, n_out)
            assert np.array_equal(got.start, start) and np.array_equal(got.count, count)
            assert np.array_equal(got.factor, factor)


_EMPTY_BATCH = {
    "max_pool2d": lambda m, a: m.max_pool2d(a, 3, 2, 1),
    "max_pool2d_indices": lambda m, a: m.max_pool2d(a, 2, return_indices=True)[1],
    "avg_pool2d": lambda m, a: m.avg_pool2d(a, 2, ceil_mode=True),
    "adaptive_avg_pool2d": lambda m, a: m.adaptive_avg_pool2d(a, (3, 5)),
    "adaptive_max_pool2d": lambda m, a: m.adaptive_max_pool2d(a, 3, return_indices=True)[0],
}


@pytest.mark.parametrize("op", sorted(_EMPTY_BATCH))
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_pooling_an_empty_batch_like_torch(op, layout):
    """torch pools a batch of no maps into an empty result of the output's shape."""
    x = np.zeros((0, 3, 9, 8), np.float32)
    expected = {"max_pool2d": (0, 3, 5, 4), "max_pool2d_indices": (0, 3, 4, 4), "avg_pool2d": (0, 3, 5, 4),
                "adaptive_avg_pool2d": (0, 3, 3, 5), "adaptive_max_pool2d": (0, 3, 3, 3)}[op]
    if torch is not None:
        assert tuple(_EMPTY_BATCH[op](F, torch.from_numpy(x)).shape) == expected
    fn = _EMPTY_BATCH[op]
    assert fn(pk, x).shape == expected and fn(ref, x).shape == expected
    if layout == "NHWC":
        xl = np.zeros((0, 9, 8, 3), np.float32)
        kw_fn = {"max_pool2d": lambda a: pk.max_pool2d(a, 3, 2, 1, layout="NHWC"),
                 "max_pool2d_indices": lambda a: pk.max_pool2d(a, 2, return_indices=True, layout="NHWC")[1],
                 "avg_pool2d": lambda a: pk.avg_pool2d(a, 2, ceil_mode=True, layout="NHWC"),
                 "adaptive_avg_pool2d": lambda a: pk.adaptive_avg_pool2d(a, (3, 5), layout="NHWC"),
                 "adaptive_max_pool2d": lambda a: pk.adaptive_max_pool2d(a, 3, True, layout="NHWC")[0]}[op]
        e = expected
        assert kw_fn(xl).shape == (0, e[2], e[3], 3)


def test_empty_batch_through_unpool_spp_psp_interpolate():
    x = np.zeros((0, 3, 8, 8), np.float32)
    idx = np.zeros((0, 3, 4, 4), np.int64)
    for m in (pk, ref):
        assert m.max_unpool2d(x[:, :, :4, :4], idx, 2).shape == (0, 3, 8, 8)
        assert m.spatial_pyramid_pool(x).shape == (0, 3 * (1 + 4 + 16))
        assert m.pyramid_pool(x).shape == (0, 3 * 5, 8, 8)
        assert m.interpolate(x, scale_factor=2).shape == (0, 3, 16, 16)
    if torch is not None:
        assert tuple(F.max_unpool2d(torch.zeros(0, 3, 4, 4), torch.from_numpy(idx), 2).shape) == (0, 3, 8, 8)
        assert tuple(F.interpolate(torch.from_numpy(x), scale_factor=2, mode="bilinear").shape) == (0, 3, 16, 16)
    # an empty channel or spatial axis is still refused, as torch does
    for bad in (np.zeros((2, 0, 8, 8), np.float32), np.zeros((2, 3, 0, 8), np.float32), np.zeros((0, 8, 8), np.float32)):
        with pytest.raises(ValueError, match="non-empty"):
            pk.max_pool2d(bad, 2)


def test_window_wholly_in_the_padding_raises():
    """A deliberate difference from torch (docs/semantics.md): torch's max_pool2d answers a
    window with no input sample -inf and an index outside the input; pyramidkit raises."""
    x = np.arange(3, dtype=np.float32).reshape(1, 1, 1, 3)
    kw = dict(kernel_size=(1, 2), stride=1, padding=(0, 1), dilation=(1, 4))   # taps at -1 and 3
    if torch is not None:
        v, i = F.max_pool2d(torch.from_numpy(x), return_indices=True, **kw)
        assert v.item() == -np.inf and i.item() == 3
    for fn in (pk.max_pool2d, ref.max_pool2d):
        with pytest.raises(ValueError, match="lies entirely in the padding"):
            fn(x, **kw)
