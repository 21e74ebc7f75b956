"""conv2d (native kernels and reference) and its argument rules (torch's messages) against torch."""
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

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def random_case(rng):
    """A random valid configuration: (x shape, weight shape, kwargs)."""
    groups = int(rng.choice([1, 1, 2, 3]))
    cin = groups * int(rng.integers(1, 6))
    cout = groups * int(rng.integers(1, 5))
    kh, kw = (int(v) for v in rng.integers(1, 6, 2))
    dh, dw = (int(v) for v in rng.integers(1, 4, 2))
    if rng.random() < 0.3:
        padding, sh, sw = str(rng.choice(["same", "valid"])), 1, 1
    else:
        sh, sw = (int(v) for v in rng.integers(1, 4, 2))
        padding = (int(rng.integers(0, 4)), int(rng.integers(0, 4)))
    pt = (dh * (kh - 1)) if padding == "same" else (0 if padding == "valid" else 2 * padding[0])
    pl = (dw * (kw - 1)) if padding == "same" else (0 if padding == "valid" else 2 * padding[1])
    h = max(1, dh * (kh - 1) + 1 - pt) + int(rng.integers(0, 12))
    w = max(1, dw * (kw - 1) + 1 - pl) + int(rng.integers(0, 12))
    kwargs = dict(stride=(sh, sw), padding=padding, dilation=(dh, dw), groups=groups)
    return (int(rng.integers(1, 3)), cin, h, w), (cout, cin // groups, kh, kw), kwargs


@needs_torch
@pytest.mark.parametrize("seed", range(40))
def test_reference_matches_torch(seed):
    rng = np.random.default_rng(seed)
    xs, ws, kw = random_case(rng)
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if seed % 2 else None
    got = ref.conv2d(x, w, b, **kw)
    want = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b), **kw).numpy()
    assert got.shape == want.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    got32 = ref.conv2d(x.astype(np.float32), w.astype(np.float32), None if b is None else b.astype(np.float32), **kw)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=1e-5, atol=1e-5)


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
def test_same_padding_even_kernels_and_unbatched():
    rng = np.random.default_rng(3)
    for kh, kw, d in ((2, 4, 1), (4, 2, 3), (3, 3, 2)):
        x = rng.standard_normal((3, 9, 11))
        w = rng.standard_normal((2, 3, kh, kw))
        got = ref.conv2d(x, w, padding="same", dilation=d)
        want = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding="same", dilation=d).numpy()
        assert got.shape == want.shape == (2, 9, 11)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_reference_definition_by_hand():
    """One output by the formula: a 3x3 tap sum at dilation 2, stride 2, padding 1."""
    x = np.arange(2 * 7 * 8, dtype=np.float64).reshape(1, 2, 7, 8)
    w = np.arange(3 * 2 * 9, dtype=np.float64).reshape(3, 2, 3, 3) / 10
    out = ref.conv2d(x, w, np.array([1.0, 2.0, 3.0]), stride=2, padding=1, dilation=2)
    assert out.shape == (1, 3, 3, 3)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    co, oy, ox = 1, 2, 1
    want = 2.0 + sum(xp[0, ci, oy * 2 + ki * 2, ox * 2 + kj * 2] * w[co, ci, ki, kj]
                     for ci in range(2) for ki in range(3) for kj in range(3))
    assert out[0, co, oy, ox] == pytest.approx(want, rel=1e-14)


BAD = [
    (dict(x=(4, 10)), ValueError, "Expected 3D (unbatched) or 4D (batched) input to conv2d"),
    (dict(x=(1, 3, 10, 10)), ValueError, "expected input[1, 3, 10, 10] to have 4 channels, but got 3 channels"),
    (dict(w=(7, 2, 3, 3), groups=2), ValueError, "expected weight to be divisible by 2 at dimension 0"),
    (dict(padding="same", stride=2), ValueError, "padding='same' is not supported for strided convolutions"),
    (dict(padding="foo"), ValueError, "Invalid padding string: 'foo'"),
    (dict(x=(1, 4, 2, 2)), ValueError, "Kernel size can't be greater than actual input size"),
    (dict(padding=-1), ValueError, "negative padding is not supported"),
    (dict(stride=0), ValueError, "non-positive stride is not supported"),
    (dict(dilation=0), ValueError, "dilation should be greater than zero"),
    (dict(bias=7), ValueError, "expected bias to be 1-dimensional with 8 elements, but got bias of size [7]"),
    (dict(groups=0), ValueError, "non-positive groups is not supported"),
    (dict(padding=(1, 2, 3)), ValueError, "expected padding to be a single integer value or a list of 2 values"),
    (dict(stride=(1, 2, 3)), ValueError, "expected stride to be a single integer value or a list of 2 values"),
    (dict(w=(0, 4, 3, 3)), ValueError, "expected weight to be at least 1 at dimension 0"),
    (dict(dtype_w=np.float64), TypeError, "differs from the input's float32"),
    (dict(dtype_w=np.float16), TypeError, "differs from the input's float32"),
    (dict(dtype_x=np.int32), TypeError, "int32"),
    (dict(groups=1.5), TypeError, "groups"),
]


@pytest.mark.parametrize("case,exc,msg", BAD, ids=[m[:30] for _, _, m in BAD])
def test_bad_input_torch_messages(case, exc, msg):
    x = np.zeros(case.get("x", (1, 4, 10, 10)), case.get("dtype_x", np.float32))
    w = np.zeros(case.get("w", (8, 4, 3, 3)), case.get("dtype_w", np.float32))
    b = np.zeros(case["bias"], np.float32) if "bias" in case else None
    kw = {k: case[k] for k in ("stride", "padding", "dilation", "groups") if k in case}
    with pytest.raises(exc) as e:
        ref.conv2d(x, w, b, **kw)
    assert msg.lower() in str(e.value).lower()
    if torch is not None and exc is ValueError:   # torch says the same
        with pytest.raises(RuntimeError) as t:
            F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b), **kw)
        assert msg.lower() in str(t.value).lower()


def test_empty_batch_and_kernel_size_message():
    out = ref.conv2d(np.zeros((0, 4, 10, 10)), np.zeros((8, 4, 3, 3)))
    assert out.shape == (0, 8, 8, 8)
    with pytest.raises(ValueError, match=r"Kernel size: \(5 x 5\)"):
        ref.conv2d(np.zeros((1, 4, 4, 4)), np.zeros((8, 4, 3, 3)), dilation=2)


# ---------------------------------------------------------------------------- pk.conv2d

def wide_case(rng):
    """Channel counts and widths that fill several register blocks (16-lane channel vectors
    in pairs, blocks of up to 24 pixels), depthwise one case in three."""
    xs, ws, kw = random_case(rng)
    n, cin, h, w = xs
    kind = int(rng.integers(0, 3))
    if kind == 0:    # depthwise
        c = int(rng.integers(2, 70))
        return (n, c, h, w + int(rng.integers(0, 80))), (c, 1) + ws[2:], dict(kw, groups=c)
    g = kw["groups"]
    cin_g, cout_g = int(rng.integers(1, 40)), int(rng.integers(1, 70))
    return (n, g * cin_g, h, w + int(rng.integers(0, 60))), (g * cout_g, cin_g) + ws[2:], kw


def bound(x, w):
    """Sums of C_in/groups * taps products, each rounded: the tolerance is a few ulps of the
    largest partial sum (assert_close(..., ulps=16, scale=bound(x, w)))."""
    return float(np.abs(x).max() * np.abs(w).sum(axis=(1, 2, 3)).max()) + 1.0


def channels_last_view(x):
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_conv2d_matches_reference(dtype, isa):
    rng = np.random.default_rng(17)
    for i in range(30):
        xs, ws, kw = (random_case if i % 2 else wide_case)(rng)
        x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
        b = rng.standard_normal(ws[0]).astype(dtype) if rng.random() < 0.6 else None
        theirs = ref.conv2d(x, w, b, **kw)
        for cl in (False, True):
            ours = pk.conv2d(channels_last_view(x) if cl else x, w, b, **kw)
            assert ours.dtype == dtype and ours.shape == theirs.shape
            # answered in the input's memory format (one channel: NCHW is channels-last too)
            cl_out = cl and xs[1] > 1
            assert (ours.transpose(0, 2, 3, 1).flags.c_contiguous if cl_out else ours.flags.c_contiguous)
            assert_close(np.asarray(ours), np.asarray(theirs), dtype, ulps=16, scale=bound(x, w),
                         err_msg=str((xs, ws, kw, cl)))


def test_conv2d_float16_through_float32():
    """float16: computed in float32 and rounded once (within one float16 ulp of the exact
    sum; the reference rounds its float64 sum), in the input's memory format, unbatched too;
    torch's CPU float16 kernel where installed."""
    rng = np.random.default_rng(23)
    for xs, ws, kw in (((2, 8, 11, 13), (6, 8, 3, 3), dict(padding=1)),
                       ((1, 16, 9, 9), (16, 1, 3, 3), dict(padding=2, dilation=2, groups=16)),
                       ((1, 40, 7, 10), (36, 20, 1, 3), dict(stride=(1, 2), groups=2))):
        x = rng.standard_normal(xs).astype(np.float16)
        w = (rng.standard_normal(ws) * 0.2).astype(np.float16)
        b = rng.standard_normal(ws[0]).astype(np.float16)
        want = ref.conv2d(x, w, b, **kw)
        exact32 = pk.conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), **kw)
        for cl in (False, True):
            got = pk.conv2d(channels_last_view(x) if cl else x, w, b, **kw)
            assert got.dtype == np.float16
            assert got.transpose(0, 2, 3, 1).flags.c_contiguous if cl else got.flags.c_contiguous
            np.testing.assert_array_equal(got, exact32.astype(np.float16))
            assert_close(got, want, np.float16, scale=bound(x, w))
            if torch is not None:
                t = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
                assert_close(got, t, np.float16, scale=bound(x, w))
        one = pk.conv2d(x[0], w, b, **kw)
        assert one.dtype == np.float16 and one.shape == want.shape[1:]


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_conv2d_matches_torch(dtype):
    rng = np.random.default_rng(19)
    for i in range(60):
        xs, ws, kw = (random_case if i % 2 else wide_case)(rng)
        x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
        b = rng.standard_normal(ws[0]).astype(dtype)
        t = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
        ours = pk.conv2d(x, w, b, **kw)
        assert ours.shape == t.shape
        assert_close(np.asarray(ours), np.asarray(t), dtype, ulps=16, scale=bound(x, w), err_msg=str((xs, ws, kw)))


@needs_torch
@pytest.mark.parametrize("case", ["aspp_3x3_d12", "aspp_3x3_d36_is_1x1", "pointwise", "depthwise_s2", "strided_7x7",
                                  "unbatched", "channel_multiplier", "channels_last_torch"])
def test_conv2d_named_cases_match_torch(case):
    rng = np.random.default_rng(4)
    xs, ws, kw = {
        "aspp_3x3_d12": ((1, 40, 33, 33), (48, 40, 3, 3), dict(padding=12, dilation=12)),
        "aspp_3x3_d36_is_1x1": ((1, 40, 33, 33), (48, 40, 3, 3), dict(padding=36, dilation=36)),
        "pointwise": ((2, 70, 9, 31), (33, 70, 1, 1), {}),
        "depthwise_s2": ((1, 24, 37, 41), (24, 1, 3, 3), dict(stride=2, padding=1, groups=24)),
        "strided_7x7": ((1, 3, 40, 37), (20, 3, 7, 7), dict(stride=2, padding=3)),
        "unbatched": ((8, 10, 10), (5, 8, 3, 3), dict(padding="same")),
        "channel_multiplier": ((1, 6, 12, 12), (18, 1, 3, 3), dict(groups=6, padding=1)),
        "channels_last_torch": ((2, 16, 11, 13), (24, 16, 3, 3), dict(padding=2, dilation=2)),
    }[case]
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    tx = torch.from_numpy(x)
    if case == "channels_last_torch":
        tx = tx.contiguous(memory_format=torch.channels_last)
        x = tx.numpy()                         # the NumPy view of a channels_last tensor
        assert not x.flags.c_contiguous
    t = F.conv2d(tx, torch.from_numpy(w), **kw).numpy()
    ours = pk.conv2d(x, w, **kw)
    assert ours.shape == t.shape and ours.strides == t.strides    # torch's memory format too
    assert_close(np.asarray(ours), np.asarray(t), np.float32, ulps=16, scale=bound(x, w))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_conv2d_deep_channels_in_chunks(dtype, isa):
    """More input channels than one chunk of the sum (64-256 per tap): the partial sums
    stored and reloaded give the result of one pass, and the bits do not depend on where
    the chunks fall (two channel counts either side of a chunk size agree with the
    reference alike)."""
    rng = np.random.default_rng(6)
    for cin, cout, kw in ((300, 20, dict(padding=1)), (129, 40, dict(padding=2, dilation=2, stride=2)),
                          (520, 33, {}), (257, 17, dict(groups=1, padding=(0, 3), dilation=(1, 3)))):
        x = rng.standard_normal((2, cin, 7, 23)).astype(dtype)
        w = rng.standard_normal((cout, cin, 3 if kw else 1, 3 if kw else 1)).astype(dtype)
        b = rng.standard_normal(cout).astype(dtype)
        want = ref.conv2d(x, w, b, **kw)
        for xx in (x, channels_last_view(x)):
            assert_close(np.asarray(pk.conv2d(xx, w, b, **kw)), np.asarray(want), dtype, ulps=16, scale=bound(x, w),
                         err_msg=str((cin, cout, kw)))


def test_conv2d_identical_across_threads_layouts_and_fma_levels():
    """Same bits for every thread count and memory format; AVX2 and AVX-512 (fused
    multiply-add) agree bit for bit, the baseline level within float rounding."""
    rng = np.random.default_rng(5)
    deep = ((1, 300, 9, 20), (40, 300, 3, 3), dict(padding=1))   # chunks of the sum differ by level
    for i in range(13):
        xs, ws, kw = deep if i == 12 else (random_case if i % 2 else wide_case)(rng)
        x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        outs = {}
        for level in ISA_LEVELS:
            for n in (1, 2):
                for cl in (False, True):
                    with pk.max_simd(level), pk.num_threads(n):
                        out = pk.conv2d(channels_last_view(x) if cl else x, w, b, **kw)
                    outs.setdefault(level == "baseline", set()).add(np.ascontiguousarray(out).tobytes())
        assert all(len(v) == 1 for v in outs.values()), (xs, ws, kw)
        if len(outs) == 2:
            a, c = (np.frombuffer(outs[k].pop(), np.float32) for k in (True, False))
            assert_close(np.asarray(a), np.asarray(c), np.float32, ulps=16, scale=bound(x, w))


def test_conv2d_1x1_planar_equals_channels_last():
    """1x1 convolutions at stride 1 without padding on NCHW planes take their own path
    (the plane one matrix product); it gives the channels-last path's bits at every level
    and thread count: plane ends inside a vector, groups, one channel, one pixel."""
    rng = np.random.default_rng(29)
    for n, ci, h, w, co, groups in ((1, 300, 9, 11, 30, 3), (2, 7, 5, 9, 3, 1), (1, 64, 16, 16, 40, 2),
                                    (3, 3, 1, 1, 5, 1), (1, 1, 7, 13, 17, 1), (1, 1100, 4, 8, 2, 1)):
        for dtype in (np.float32, np.float64):
            x = rng.standard_normal((n, ci, h, w)).astype(dtype)
            wt = rng.standard_normal((co, ci // groups, 1, 1)).astype(dtype)
            b = rng.standard_normal(co).astype(dtype)
            want = ref.conv2d(x, wt, b, groups=groups)
            for level in ISA_LEVELS:
                with pk.max_simd(level):
                    planar = pk.conv2d(x, wt, b, groups=groups)
                    cl = pk.conv2d(channels_last_view(x), wt, b, groups=groups)
                    with pk.num_threads(1):
                        one = pk.conv2d(x, wt, b, groups=groups)
                np.testing.assert_array_equal(planar, cl)
                np.testing.assert_array_equal(planar, one)
                assert_close(planar, want, dtype, ulps=16, scale=bound(x, wt))


def test_conv2d_taps_in_padding_are_not_computed():
    """A tap that reads only padding contributes nothing, not even 0 * inf: at dilation 36 on
    a 33 x 33 map only the centre tap of a 3 x 3 kernel reads the input, so infinite outer
    weights leave the result that of the centre tap alone (torch's zero padding gives NaN)."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 5, 33, 33)).astype(np.float32)
    w = rng.standard_normal((7, 5, 3, 3)).astype(np.float32)
    w_inf = w.copy()
    w_inf[:, :, [0, 0, 0, 1, 1, 2, 2, 2], [0, 1, 2, 0, 2, 0, 1, 2]] = np.inf
    for groups, ws in ((1, w_inf), (5, w_inf[:5, :1])):
        got = pk.conv2d(x, ws, padding=36, dilation=36, groups=groups)
        centre = pk.conv2d(x, np.ascontiguousarray(ws[:, :, 1:2, 1:2]), groups=groups)
        np.testing.assert_array_equal(got, centre)
    # A stride wider than the input: with padding 3 and stride 5 on 3 columns, tap column 0
    # reads the input for output column 1 only, tap columns 1 and 2 for none.
    x = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    w = rng.standard_normal((7, 5, 1, 3)).astype(np.float32)
    w_inf, w_zero = w.copy(), w.copy()
    w_inf[:, :, :, 1:], w_zero[:, :, :, 1:] = np.inf, 0
    got = pk.conv2d(x, w_inf, np.ones(7, np.float32), stride=(1, 5), padding=(0, 3))
    assert got.shape == (2, 7, 4, 2) and np.isfinite(got).all()
    np.testing.assert_array_equal(got, pk.conv2d(x, w_zero, np.ones(7, np.float32), stride=(1, 5), padding=(0, 3)))


def test_conv2d_strided_views_and_bias_only_rows():
    rng = np.random.default_rng(2)
    base = rng.standard_normal((3, 8, 12, 14)).astype(np.float32)
    w = rng.standard_normal((4, 4, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    for v in (base[::2, 1:5, ::2, 1:-1], base[:, 2:6, ::-1, :], base[:, :4, :, ::3]):
        want = ref.conv2d(np.ascontiguousarray(v), w, b, stride=2, padding=1)
        np.testing.assert_allclose(pk.conv2d(v, w, b, stride=2, padding=1), want, rtol=1e-5, atol=1e-5)
    # padding 5 > the kernel's reach: the first and last rows and columns are the bias alone
    out = pk.conv2d(base, w[:, :1].repeat(8, axis=1), b, padding=5)
    np.testing.assert_array_equal(out[:, :, :3, :], np.broadcast_to(b[:, None, None], out[:, :, :3, :].shape))
    np.testing.assert_array_equal(out[:, :, :, -3:], np.broadcast_to(b[:, None, None], out[:, :, :, -3:].shape))


def test_conv2d_empty_batch_and_bad_input():
    assert pk.conv2d(np.zeros((0, 4, 10, 10), np.float32), np.zeros((8, 4, 3, 3), np.float32)).shape == (0, 8, 8, 8)
    for case, exc, msg in BAD:
        x = np.zeros(case.get("x", (1, 4, 10, 10)), case.get("dtype_x", np.float32))
        w = np.zeros(case.get("w", (8, 4, 3, 3)), case.get("dtype_w", np.float32))
        b = np.zeros(case["bias"], np.float32) if "bias" in case else None
        kw = {k: case[k] for k in ("stride", "padding", "dilation", "groups") if k in case}
        with pytest.raises(exc) as e:
            pk.conv2d(x, w, b, **kw)
        assert msg.lower() in str(e.value).lower()
