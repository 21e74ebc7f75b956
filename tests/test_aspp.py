"""DeepLab's ASPP reference against torchvision's module rebuilt in plain torch;
fold_batch_norm."""
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


def _torch_aspp(cin, cout, rates):
    """torchvision.models.segmentation.deeplabv3.ASPP, rebuilt in plain torch (the same
    module tree, so the same state-dict keys): the benchmark's rebuild."""
    from pyramidkit.bench.aspp import torch_aspp
    return torch_aspp(torch, cin, cout, rates)


@needs_torch
@pytest.mark.parametrize("shape,rates", [((2, 6, 13, 11), (2, 4, 6)), ((1, 5, 9, 9), (12, 24, 36)),
                                         ((3, 4, 7), (1, 3, 5))])
def test_aspp_reference_matches_module(shape, rates):
    torch.manual_seed(0)
    m = _torch_aspp(shape[-3], 7, rates).double()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):   # random running statistics and affine
                mod.running_mean.uniform_(-1, 1)
                mod.running_var.uniform_(0.5, 2)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
    m.eval()
    x = np.random.default_rng(1).standard_normal(shape)
    with torch.no_grad():   # the module takes batches only; the reference also (C, H, W)
        want = m(torch.from_numpy(x if x.ndim == 4 else x[None])).numpy()
    want = want if x.ndim == 4 else want[0]
    sd = {k: v.numpy() for k, v in m.state_dict().items()}
    got = ref.aspp(x, sd, rates)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- fold_batch_norm

@needs_torch
@pytest.mark.parametrize("with_bias", [False, True])
def test_fold_batch_norm_equals_conv_then_bn(with_bias):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 8, 9))
    w = rng.standard_normal((5, 3, 3, 3))
    b = rng.standard_normal(5) if with_bias else None
    mean, var = rng.standard_normal(5), rng.uniform(0.2, 2, 5)
    gamma, beta = rng.uniform(0.5, 1.5, 5), rng.standard_normal(5)
    y = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b), padding=1)
    want = F.batch_norm(y, torch.from_numpy(mean), torch.from_numpy(var), torch.from_numpy(gamma),
                        torch.from_numpy(beta), training=False, eps=1e-3).numpy()
    wf, bf = pk.fold_batch_norm(w, b, mean, var, gamma, beta, eps=1e-3)
    assert wf.dtype == bf.dtype == np.float64
    np.testing.assert_allclose(ref.conv2d(x, wf, bf, padding=1), want, rtol=1e-12, atol=1e-12)
    w32, b32 = pk.fold_batch_norm(w.astype(np.float32), b, mean, var, gamma, beta, eps=1e-3)
    assert w32.dtype == b32.dtype == np.float32   # computed in float64, rounded once
    w64, b64 = pk.fold_batch_norm(w.astype(np.float32).astype(np.float64), b, mean, var, gamma, beta, eps=1e-3)
    np.testing.assert_array_equal(w32, w64.astype(np.float32))
    np.testing.assert_array_equal(b32, b64.astype(np.float32))


def test_fold_batch_norm_bad_input():
    w = np.ones((3, 2, 1, 1), np.float32)
    ok = dict(running_mean=np.zeros(3), running_var=np.ones(3), gamma=np.ones(3), beta=np.zeros(3))
    with pytest.raises(ValueError, match=r"running_var: expected shape \(3,\)"):
        pk.fold_batch_norm(w, None, **{**ok, "running_var": np.ones(2)})
    with pytest.raises(ValueError, match="positive"):
        pk.fold_batch_norm(w, None, **{**ok, "running_var": -np.ones(3)}, eps=0.0)
    with pytest.raises(TypeError, match="weight"):
        pk.fold_batch_norm(np.ones((3, 2), np.int32), None, **ok)
    with pytest.raises(ValueError, match="eps"):
        pk.fold_batch_norm(w, None, **ok, eps=-1.0)
    with pytest.raises(ValueError, match=r"bias: expected shape \(3,\)"):
        pk.fold_batch_norm(w, np.zeros(4), **ok)


# ---------------------------------------------------------------- pk.ASPP, pk.aspp

def random_state_dict(rng, cin, cb, rates, cout=None):
    """A torchvision ASPP state dict (as NumPy arrays) with random weights and running
    statistics."""
    cout = cb if cout is None else cout
    nr = len(rates)
    sd = {"convs.0.0.weight": rng.standard_normal((cb, cin, 1, 1)) / np.sqrt(cin)}
    for i in range(1, nr + 1):
        sd[f"convs.{i}.0.weight"] = rng.standard_normal((cb, cin, 3, 3)) / np.sqrt(9 * cin)
    sd[f"convs.{nr + 1}.1.weight"] = rng.standard_normal((cb, cin, 1, 1)) / np.sqrt(cin)
    sd["project.0.weight"] = rng.standard_normal((cout, (nr + 2) * cb, 1, 1)) / np.sqrt((nr + 2) * cb)
    for bn, c in [(f"convs.{i}.1", cb) for i in range(nr + 1)] + [(f"convs.{nr + 1}.2", cb), ("project.1", cout)]:
        sd.update({f"{bn}.weight": rng.uniform(0.5, 1.5, c), f"{bn}.bias": rng.uniform(-0.5, 0.5, c),
                   f"{bn}.running_mean": rng.uniform(-0.3, 0.3, c), f"{bn}.running_var": rng.uniform(0.5, 2, c),
                   f"{bn}.num_batches_tracked": np.array(10)})
    return sd


def aspp_bound(x, sd):
    return float(np.abs(x).max() * 10 + 10)


CASES = [((2, 6, 13, 11), (2, 4, 6), 7), ((1, 40, 33, 33), (12, 24, 36), 48), ((1, 70, 17, 20), (6, 12, 18), 33),
         ((3, 4, 7), (1, 3, 5), 5), ((1, 19, 9, 40), (1, 2), 20), ((2, 9, 6, 5), (3,), 70)]


@needs_torch
@pytest.mark.parametrize("shape,rates,cb", CASES, ids=[str(c[0]) for c in CASES])
def test_aspp_matches_torch_module(shape, rates, cb):
    torch.manual_seed(0)
    m = _torch_aspp(shape[-3], cb, rates)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-1, 1)
                mod.running_var.uniform_(0.5, 2)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
    m.eval()
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    tx = torch.from_numpy(x if x.ndim == 4 else x[None])
    with torch.no_grad():
        want = m(tx).numpy()
        want_cl = m(tx.contiguous(memory_format=torch.channels_last))
    want = want if x.ndim == 4 else want[0]
    head = pk.ASPP.from_torchvision(m.state_dict(), rates)    # torch tensors as the mapping's values
    got = head(x)
    assert got.shape == want.shape and got.dtype == np.float32 and got.flags.c_contiguous
    assert_close(got, want, np.float32, ulps=64, scale=float(np.abs(want).max()) + 1)
    if x.ndim == 4:
        x_cl = tx.contiguous(memory_format=torch.channels_last).numpy()
        got_cl = head(x_cl)
        # answered channels-last (torch's module answers NCHW here: its cat meets the
        # NCHW pooled branch), the same bits as from NCHW
        assert got_cl.transpose(0, 2, 3, 1).flags.c_contiguous
        np.testing.assert_array_equal(got_cl, got)
        assert_close(got_cl, want_cl.numpy(), np.float32, ulps=64, scale=float(np.abs(want).max()) + 1)
        got64 = head(x.astype(np.float64))
        np.testing.assert_allclose(got64, ref.aspp(x.astype(np.float64), m.state_dict(), rates), rtol=1e-11,
                                   atol=1e-11)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_aspp_matches_reference(dtype, isa):
    rng = np.random.default_rng(3)
    for shape, rates, cb in CASES:
        sd = random_state_dict(rng, shape[-3], cb, rates, cout=cb + 3)
        x = rng.standard_normal(shape).astype(dtype)
        want = ref.aspp(x, sd, rates)
        got = pk.ASPP.from_torchvision(sd, rates)(x)
        assert got.shape == want.shape and got.dtype == dtype
        assert_close(got, want, dtype, ulps=64, scale=float(np.abs(want).max()) + 1, err_msg=str((shape, rates, cb)))


def test_aspp_functional_equals_composition_of_conv2d():
    """pk.aspp is the composition of conv2d, ReLU, the image mean and concatenation (within
    rounding: its projection starts from the pool branch's share, the composition ends with it)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 12, 15, 14)).astype(np.float32)
    rates, cb, cout = (3, 7, 20), 10, 9
    ws = [rng.standard_normal((cb, 12, 1, 1)).astype(np.float32)]
    ws += [rng.standard_normal((cb, 12, 3, 3)).astype(np.float32) for _ in rates]
    bs = [rng.standard_normal(cb).astype(np.float32) for _ in ws]
    pw, pb = rng.standard_normal((cb, 12, 1, 1)).astype(np.float32), rng.standard_normal(cb).astype(np.float32)
    wp, bp = rng.standard_normal((cout, 5 * cb, 1, 1)).astype(np.float32), rng.standard_normal(cout).astype(np.float32)
    got = pk.aspp(x, ws, bs, pw, pb, wp, bp, rates)
    relu = lambda a: np.maximum(a, 0)  # noqa: E731
    parts = [relu(pk.conv2d(x, ws[0], bs[0]))]
    parts += [relu(pk.conv2d(x, w, b, padding=r, dilation=r)) for w, b, r in zip(ws[1:], bs[1:], rates)]
    pooled = relu(pk.conv2d(x.mean(axis=(2, 3), keepdims=True), pw, pb))
    parts.append(np.broadcast_to(pooled, parts[0].shape))
    want = relu(pk.conv2d(np.concatenate(parts, axis=1), wp, bp))
    assert_close(got, want, np.float32, ulps=64, scale=float(np.abs(want).max()) + 1)
    # biases None are zeros
    z = [np.zeros(cb, np.float32)] * len(ws)
    np.testing.assert_array_equal(pk.aspp(x, ws, None, pw, None, wp, None, rates),
                                  pk.aspp(x, ws, z, pw, z[0], wp, np.zeros(cout, np.float32), rates))


def test_aspp_identical_across_threads_layouts_and_levels():
    rng = np.random.default_rng(5)
    sd = random_state_dict(rng, 37, 40, (2, 5, 9))
    head = pk.ASPP.from_torchvision(sd, (2, 5, 9))
    x = rng.standard_normal((2, 37, 11, 30)).astype(np.float32)
    x_cl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    outs = {}
    for level in ISA_LEVELS:
        for n in (1, 2):
            with pk.max_simd(level), pk.num_threads(n):
                for v in (x, x_cl):
                    outs.setdefault(level == "baseline", set()).add(np.ascontiguousarray(head(v)).tobytes())
    assert all(len(v) == 1 for v in outs.values())


def test_aspp_rate_beyond_the_map_is_its_centre_tap():
    """At rate 36 on a 33 x 33 map every outer tap of a 3x3 branch reads only padding: it
    is never computed (infinite outer weights change nothing), so the branch is its centre."""
    rng = np.random.default_rng(6)
    sd = random_state_dict(rng, 8, 6, (36,))
    x = rng.standard_normal((1, 8, 33, 33)).astype(np.float32)
    want = pk.ASPP.from_torchvision(sd, (36,))(x)
    w = sd["convs.1.0.weight"].copy()
    centre = w[:, :, 1, 1].copy()
    w[:] = np.inf
    w[:, :, 1, 1] = centre
    got = pk.ASPP.from_torchvision({**sd, "convs.1.0.weight": w}, (36,))(x)
    np.testing.assert_array_equal(got, want)


def test_aspp_bad_input():
    rng = np.random.default_rng(7)
    sd = random_state_dict(rng, 4, 3, (1, 2, 3))
    with pytest.raises(KeyError, match="convs.4.1.weight"):
        pk.ASPP.from_torchvision({k: v for k, v in sd.items() if not k.startswith("convs.4")}, (1, 2, 3))
    with pytest.raises(KeyError, match="convs.3"):
        pk.ASPP.from_torchvision(sd, (1, 2, 3, 4))          # one rate too many: no 3x3 weights for it
    with pytest.raises(ValueError, match="more branches"):
        pk.ASPP.from_torchvision(sd, (1, 2))
    with pytest.raises(ValueError, match="rates"):
        pk.ASPP.from_torchvision(sd, (1, 0, 3))
    with pytest.raises(TypeError, match="rates"):
        pk.ASPP.from_torchvision(sd, 12)
    head = pk.ASPP.from_torchvision(sd, (1, 2, 3))
    with pytest.raises(ValueError, match="expected shape"):
        head(np.zeros((1, 5, 8, 8), np.float32))          # 5 channels, the weights take 4
    with pytest.raises(TypeError, match="int32"):
        head(np.zeros((1, 4, 8, 8), np.int32))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        head(np.zeros((4, 8), np.float32))
    x = np.zeros((1, 4, 6, 6), np.float32)
    w1 = np.zeros((3, 4, 1, 1), np.float32)
    w3 = np.zeros((3, 4, 3, 3), np.float32)
    wp = np.zeros((2, 15, 1, 1), np.float32)
    with pytest.raises(ValueError, match="branch_weights: expected 4"):
        pk.aspp(x, [w1, w3], None, w1, None, wp, None, (1, 2, 3))
    with pytest.raises(TypeError, match="differs"):
        pk.aspp(x, [w1, w3, w3, w3.astype(np.float64)], None, w1, None, wp, None, (1, 2, 3))
    with pytest.raises(ValueError, match="project_weight"):
        pk.aspp(x, [w1, w3, w3, w3], None, w1, None, wp[:, :14], None, (1, 2, 3))
    assert pk.aspp(x, [w1, w3, w3, w3], None, w1, None, wp, None, (1, 2, 3)).shape == (1, 2, 6, 6)
    assert pk.aspp(x[:0], [w1, w3, w3, w3], None, w1, None, wp, None, (1, 2, 3)).shape == (0, 2, 6, 6)


def test_aspp_packs_its_weights_once_per_dtype_and_level():
    """pk.ASPP packs the kernels' weights at its first call per dtype and ISA level and
    reuses them: the same bits as the functional form, which packs per call; packed
    weights are refused for another level, dtype or shape."""
    from pyramidkit import _core
    rng = np.random.default_rng(9)
    sd = random_state_dict(rng, 12, 20, (2, 3))
    head = pk.ASPP.from_torchvision(sd, (2, 3))
    x = rng.standard_normal((2, 12, 9, 17)).astype(np.float32)
    params = {k: ([e.astype(np.float32) for e in v] if isinstance(v, list) else v.astype(np.float32))
              for k, v in head._params.items()}
    want = pk.aspp(x, rates=(2, 3), **params)
    np.testing.assert_array_equal(head(x), want)
    np.testing.assert_array_equal(head(x), want)                  # packed once, reused
    assert len(head._packed) == 1
    head(x.astype(np.float64))
    assert len(head._packed) == 2                                  # one per dtype
    packed, first = head._packed[(np.dtype(np.float32), _core.active_isa())]
    out = np.empty((2, 20, 9, 17), np.float64)
    with pytest.raises(ValueError, match="packed for another"):
        _core.aspp(x.astype(np.float64), [], [], first, np.zeros((2, 20)), out, [2, 3], 1, packed)
    with pytest.raises(ValueError, match="packed for another"):
        _core.aspp(x, [], [], first, np.zeros((2, 20), np.float32), out.astype(np.float32), [2, 4], 1, packed)
