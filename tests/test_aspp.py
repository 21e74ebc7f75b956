"""DeepLab's ASPP reference against torchvision's module rebuilt in plain torch;
fold_batch_norm."""
import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _torch_aspp(cin, cout, rates):
    """torchvision.models.segmentation.deeplabv3.ASPP, rebuilt in plain torch (same module
    tree, so the same state-dict keys)."""
    nn = torch.nn

    class ASPPPooling(nn.Sequential):
        def __init__(self):
            super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout),
                             nn.ReLU())

        def forward(self, x):
            size = x.shape[-2:]
            for mod in self:
                x = mod(x)
            return F.interpolate(x, size=size, mode="bilinear", align_corners=False)

    class ASPP(nn.Module):
        def __init__(self):
            super().__init__()
            mods = [nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())]
            for r in rates:
                mods.append(nn.Sequential(nn.Conv2d(cin, cout, 3, padding=r, dilation=r, bias=False),
                                          nn.BatchNorm2d(cout), nn.ReLU()))
            mods.append(ASPPPooling())
            self.convs = nn.ModuleList(mods)
            self.project = nn.Sequential(nn.Conv2d(len(mods) * cout, cout, 1, bias=False), nn.BatchNorm2d(cout),
                                         nn.ReLU(), nn.Dropout(0.5))

        def forward(self, x):
            return self.project(torch.cat([c(x) for c in self.convs], dim=1))

    return ASPP()


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
