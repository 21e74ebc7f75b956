"""conv2d's reference and its argument rules (torch's messages) against torch."""
import numpy as np
import pytest

import pyramidkit.reference as ref

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
