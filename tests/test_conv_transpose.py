"""conv_transpose2d against the reference and torch; the FCN bilinear weights."""
import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref
from conftest import ISA_LEVELS, assert_close

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None


def random_case(rng):
    """A random valid configuration: (x shape, weight shape, kwargs)."""
    groups = int(rng.choice([1, 1, 2, 3]))
    cin = groups * int(rng.integers(1, 12))
    cout_g = int(rng.integers(1, 11))
    kh, kw = (int(v) for v in rng.integers(1, 6, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    dh, dw = (int(v) for v in rng.integers(1, 3, 2))
    h, w = (int(v) for v in rng.integers(1, 19, 2))
    oph, opw = int(rng.integers(0, max(sh, dh))), int(rng.integers(0, max(sw, dw)))
    # padding small enough for a non-empty output
    ph = int(rng.integers(0, max(1, ((h - 1) * sh + dh * (kh - 1) + oph) // 2 + 1)))
    pw = int(rng.integers(0, max(1, ((w - 1) * sw + dw * (kw - 1) + opw) // 2 + 1)))
    kwargs = dict(stride=(sh, sw), padding=(ph, pw), output_padding=(oph, opw), groups=groups, dilation=(dh, dw))
    return (int(rng.integers(1, 3)), cin, h, w), (cin, cout_g, kh, kw), kwargs


def bound(x, w):
    """Sums of cin * taps products, each rounded: the tolerance is a few ulps of the largest
    partial sum (assert_close(..., ulps=16, scale=bound(x, w)))."""
    return float(np.abs(x).max() * np.abs(w).sum(axis=(0, 2, 3)).max()) + 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_matches_reference(dtype, isa):
    rng = np.random.default_rng(7)
    for _ in range(40):
        xs, ws, kw = random_case(rng)
        x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
        b = rng.standard_normal(ws[1] * kw["groups"]).astype(dtype) if rng.random() < 0.5 else None
        ours, theirs = pk.conv_transpose2d(x, w, b, **kw), ref.conv_transpose2d(x, w, b, **kw)
        assert ours.dtype == dtype and ours.shape == theirs.shape and ours.flags.c_contiguous
        assert_close(np.asarray(ours), np.asarray(theirs), dtype, ulps=16, scale=bound(x, w), err_msg=str((xs, ws, kw)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_depthwise_wide_rows(dtype, isa):
    # Depthwise (one channel in and out per group) takes its own inline path, four vectors of
    # a phase row at a time: rows wide enough for that and for its remainder, every stride,
    # kernel, dilation and padding mix below, with and without bias.
    rng = np.random.default_rng(13)
    for (k, s, d, p, op), w_in in zip([(4, 2, 1, 1, 0), (3, 1, 1, 0, 0), (5, 3, 2, 2, 1), (2, 2, 1, 0, 1), (3, 2, 2, 1, 0)],
                                      [70, 150, 45, 101, 97]):
        x = rng.standard_normal((2, 6, 3, w_in)).astype(dtype)
        w = rng.standard_normal((6, 1, k, k)).astype(dtype)
        for b in (None, rng.standard_normal(6).astype(dtype)):
            kw = dict(stride=s, padding=p, output_padding=op, groups=6, dilation=d)
            ours, theirs = pk.conv_transpose2d(x, w, b, **kw), ref.conv_transpose2d(x, w, b, **kw)
            assert ours.shape == theirs.shape and ours.shape[-1] >= 128
            assert_close(np.asarray(ours), np.asarray(theirs), dtype, ulps=16, scale=bound(x, w), err_msg=str(kw))


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_matches_torch(dtype):
    rng = np.random.default_rng(11)
    for _ in range(60):
        xs, ws, kw = random_case(rng)
        x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
        b = rng.standard_normal(ws[1] * kw["groups"]).astype(dtype)
        t = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
        assert_close(np.asarray(pk.conv_transpose2d(x, w, b, **kw)), np.asarray(t), dtype, ulps=16, scale=bound(x, w),
                                   err_msg=str((xs, ws, kw)))


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("case", ["depthwise_k4s2p1", "full_k4s2p1", "fcn_x8", "unbatched_3x3", "wide_channels"])
def test_named_cases_match_torch(case):
    rng = np.random.default_rng(3)
    xs, ws, kw = {
        "depthwise_k4s2p1": ((1, 21, 20, 20), (21, 1, 4, 4), dict(stride=2, padding=1, groups=21)),
        "full_k4s2p1": ((2, 64, 9, 11), (64, 40, 4, 4), dict(stride=2, padding=1)),
        "fcn_x8": ((1, 5, 6, 7), (5, 1, 16, 16), dict(stride=8, padding=4, groups=5)),
        "unbatched_3x3": ((6, 10, 10), (6, 4, 3, 3), dict(padding=1)),
        "wide_channels": ((1, 300, 4, 4), (300, 17, 2, 2), dict(stride=2)),
    }[case]
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    t = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), **kw).numpy()
    ours = pk.conv_transpose2d(x, w, **kw)
    assert ours.shape == t.shape
    assert_close(np.asarray(ours), np.asarray(t), np.float32, ulps=16, scale=bound(x, w))


def test_identical_across_threads_and_fma_levels():
    """Same bits for every thread count; AVX2 and AVX-512 (fused multiply-add) agree bit for
    bit, the baseline level (separate rounding of each product) within float rounding."""
    rng = np.random.default_rng(5)
    for _ in range(10):
        xs, ws, kw = random_case(rng)
        x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
        outs = {}
        for level in ISA_LEVELS:
            for n in (1, 2):
                with pk.max_simd(level), pk.num_threads(n):
                    outs.setdefault(level == "baseline", set()).add(pk.conv_transpose2d(x, w, **kw).tobytes())
        assert all(len(v) == 1 for v in outs.values()), (xs, ws, kw)
        if len(outs) == 2:
            a, b = (np.frombuffer(outs[k].pop(), np.float32) for k in (True, False))
            assert_close(np.asarray(a), np.asarray(b), np.float32, ulps=16, scale=bound(x, w))


def test_strided_and_channels_last_input():
    rng = np.random.default_rng(2)
    base = rng.standard_normal((3, 8, 12, 14)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    views = [base[::2, 1:5, ::2, 1:-1], base[:, 2:6, ::-1, :], np.transpose(base[:, :4].transpose(0, 2, 3, 1).copy(),
                                                                           (0, 3, 1, 2))]
    for v in views:
        expected = ref.conv_transpose2d(np.ascontiguousarray(v), w, stride=2, padding=1)
        np.testing.assert_allclose(pk.conv_transpose2d(v, w, stride=2, padding=1), expected, atol=1e-5)


def test_empty_batch_and_output_size_formula():
    x = np.zeros((0, 2, 5, 5), np.float32)
    assert pk.conv_transpose2d(x, np.zeros((2, 3, 3, 3), np.float32), stride=2).shape == (0, 3, 11, 11)
    x = np.ones((1, 1, 4, 6), np.float64)
    for s, p, op, d, k in [(2, 1, 1, 1, 4), (3, 0, 2, 1, 2), (1, 2, 0, 2, 5), (4, 3, 1, 3, 3)]:
        out = pk.conv_transpose2d(x, np.ones((1, 1, k, k)), stride=s, padding=p, output_padding=op, dilation=d)
        assert out.shape[2:] == tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n in (4, 6))


def test_bias_only_where_no_tap_reaches():
    # stride 3 with a 1x1 kernel: two of every three outputs get nothing but the bias
    x = np.ones((1, 1, 2, 2), np.float32)
    out = pk.conv_transpose2d(x, np.full((1, 1, 1, 1), 2, np.float32), np.array([0.5], np.float32), stride=3)
    expected = np.full((4, 4), 0.5, np.float32)
    expected[::3, ::3] = 2.5
    np.testing.assert_array_equal(out[0, 0], expected)


# ---------------------------------------------------------------- FCN bilinear weights

def upsample_filt(size):
    """FCN's surgery.upsample_filt, verbatim."""
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    og = np.ogrid[:size, :size]
    return (1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 16, 64])
def test_bilinear_kernel_is_fcn_upsample_filt(size):
    np.testing.assert_allclose(pk.bilinear_kernel(size, np.float64), upsample_filt(size), rtol=0, atol=1e-15)
    assert pk.bilinear_kernel(size).dtype == np.float32


@pytest.mark.parametrize("factor", [1, 2, 3, 4, 5, 8])
def test_bilinear_upsampling_equals_interpolate_in_the_interior(factor):
    rng = np.random.default_rng(factor)
    x = rng.random((2, 3, 9, 7), dtype=np.float32)
    w = pk.bilinear_upsample_weights(3, factor)
    assert w.shape == (3, 1, 2 * factor - factor % 2, 2 * factor - factor % 2)
    up = pk.conv_transpose2d(x, w, stride=factor, padding=factor // 2, groups=3)
    assert up.shape == (2, 3, 9 * factor, 7 * factor)
    bil = pk.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
    inner = (Ellipsis, slice(factor, -factor), slice(factor, -factor))
    np.testing.assert_allclose(up[inner], bil[inner], rtol=0, atol=1e-6)
    if factor > 1:  # at the border the deconvolution sees zeros, interpolate repeats the edge
        assert np.abs(up[..., 0, :] - bil[..., 0, :]).max() > 1e-3
    # the (C, C, k, k) diagonal form for groups=1 is the same operator
    full = pk.conv_transpose2d(x, pk.bilinear_upsample_weights(3, factor, depthwise=False), stride=factor,
                               padding=factor // 2)
    np.testing.assert_allclose(full, up, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- bad input

X = np.zeros((1, 4, 5, 5), np.float32)
W = np.zeros((4, 2, 3, 3), np.float32)


@pytest.mark.parametrize("call, err, match", [
    (lambda: pk.conv_transpose2d(X, W, output_padding=1), ValueError, "output padding must be smaller"),
    (lambda: pk.conv_transpose2d(X, W, stride=2, output_padding=2), ValueError, "output padding"),
    (lambda: pk.conv_transpose2d(X, np.zeros((3, 2, 3, 3), np.float32)), ValueError, "weight.*channels"),
    (lambda: pk.conv_transpose2d(X, W, groups=3), ValueError, "divisible by 3"),
    (lambda: pk.conv_transpose2d(X, W, groups=0), ValueError, "groups"),
    (lambda: pk.conv_transpose2d(X, W, bias=np.zeros(3, np.float32)), ValueError, "bias.*2 elements"),
    (lambda: pk.conv_transpose2d(X, W, bias=np.zeros(2, np.float64)), TypeError, "bias: dtype"),
    (lambda: pk.conv_transpose2d(X, W, padding=-1), ValueError, "padding"),
    (lambda: pk.conv_transpose2d(X, W, stride=0), ValueError, "stride"),
    (lambda: pk.conv_transpose2d(X, W, dilation=(1, 0)), ValueError, "dilation"),
    (lambda: pk.conv_transpose2d(X, W, output_padding=-1), ValueError, "output_padding"),
    (lambda: pk.conv_transpose2d(X, W, padding=5), ValueError, "output size is too small"),
    (lambda: pk.conv_transpose2d(X, W, padding=(1, 1, 1)), ValueError, "padding"),
    (lambda: pk.conv_transpose2d(X, W, stride=True), TypeError, "stride"),
    (lambda: pk.conv_transpose2d(X, W, stride=1.5), TypeError, "stride"),
    (lambda: pk.conv_transpose2d(X[None], W), ValueError, "3D .*4D"),
    (lambda: pk.conv_transpose2d(X[0, 0], W), ValueError, "3D .*4D"),
    (lambda: pk.conv_transpose2d(X, W[0]), ValueError, "weight"),
    (lambda: pk.conv_transpose2d(X, np.zeros((4, 2, 0, 3), np.float32)), ValueError, "kernel size"),
    (lambda: pk.conv_transpose2d(X[:, :, :0], W), ValueError, "input"),
    (lambda: pk.conv_transpose2d(X.astype(np.int32), W), TypeError, "input: dtype"),
    (lambda: pk.conv_transpose2d(X, W.astype(np.float64)), TypeError, "weight: dtype"),
    (lambda: pk.conv_transpose2d("x", W), TypeError, "input"),
    (lambda: pk.bilinear_kernel(0), ValueError, "size"),
    (lambda: pk.bilinear_kernel(2.0), TypeError, "size"),
    (lambda: pk.bilinear_upsample_weights(3, 0), ValueError, "factor"),
    (lambda: pk.bilinear_upsample_weights(0, 2), ValueError, "channels"),
    (lambda: pk.bilinear_kernel(3, np.int32), TypeError, "dtype"),
])
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()


@pytest.mark.parametrize("channels,factor,depthwise", [(1, 1, True), (3, 2, True), (2, 3, False), (4, 4, False)])
def test_bilinear_weights_match_reference(channels, factor, depthwise):
    for size in range(1, 9):
        np.testing.assert_array_equal(pk.bilinear_kernel(size, np.float64), ref.bilinear_kernel(size, np.float64))
    np.testing.assert_array_equal(pk.bilinear_upsample_weights(channels, factor, depthwise),
                                  ref.bilinear_upsample_weights(channels, factor, depthwise))
