"""Benchmark workloads of the fused ASPP head against torchvision's ASPP module (rebuilt in
plain torch, eval mode): DeepLab v3 at output stride 16 (rates 6/12/18) and 8 (12/24/36,
torchvision's DeepLabHead), and the MobileNetV3 head."""
from __future__ import annotations

from typing import List

import numpy as np

from .harness import Context, Workload, close

OPS = ["aspp"]


def torch_aspp(torch, cin: int, cb: int, rates):
    """torchvision.models.segmentation.deeplabv3.ASPP in plain torch (the same module tree
    and state-dict keys; torchvision's ops do not load with this torch)."""
    nn, F = torch.nn, torch.nn.functional

    class ASPPPooling(nn.Sequential):
        def __init__(self):
            super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cb, 1, bias=False), nn.BatchNorm2d(cb), nn.ReLU())

        def forward(self, x):
            size = x.shape[-2:]
            for mod in self:
                x = mod(x)
            return F.interpolate(x, size=size, mode="bilinear", align_corners=False)

    class ASPP(nn.Module):
        def __init__(self):
            super().__init__()
            mods = [nn.Sequential(nn.Conv2d(cin, cb, 1, bias=False), nn.BatchNorm2d(cb), nn.ReLU())]
            mods += [nn.Sequential(nn.Conv2d(cin, cb, 3, padding=r, dilation=r, bias=False), nn.BatchNorm2d(cb),
                                   nn.ReLU()) for r in rates]
            mods.append(ASPPPooling())
            self.convs = nn.ModuleList(mods)
            self.project = nn.Sequential(nn.Conv2d(len(mods) * cb, cb, 1, bias=False), nn.BatchNorm2d(cb), nn.ReLU(),
                                         nn.Dropout(0.5))

        def forward(self, x):
            return self.project(torch.cat([c(x) for c in self.convs], dim=1))

    m = ASPP()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):   # running statistics of a trained model
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 2)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.1, 0.1)
    return m.eval()


def _taps(h: int, w: int, rate: int) -> float:
    """(pixel, tap) pairs of a 3x3 conv at `rate` that read inside an h x w map."""
    rows = sum(sum(0 <= y + k * rate < h for k in (-1, 0, 1)) for y in range(h))
    cols = sum(sum(0 <= x + k * rate < w for k in (-1, 0, 1)) for x in range(w))
    return float(rows * cols)


def workloads(ctx: Context) -> List[Workload]:
    import pyramidkit as pk

    torch, rng, s = ctx.peer("torch"), ctx.rng, ctx.s
    work = []
    for name, cin, side, rates in [("DeepLabv3 OS16", 2048, 33, (6, 12, 18)), ("DeepLabv3 OS8", 2048, 65, (12, 24, 36)),
                                   ("MobileNetV3", 960, 33, (12, 24, 36))]:
        cin, cb = cin // s, 256 // s
        x = rng.standard_normal((1, cin, side, side)).astype(np.float32)
        if torch is not None:
            torch.manual_seed(0)
            m = torch_aspp(torch, cin, cb, rates)
            sd = {k: v.numpy() for k, v in m.state_dict().items()}
            tx = torch.from_numpy(x)
        else:   # our side alone: random weights of the same shapes
            m = tx = None
            sd = {"convs.0.0.weight": rng.standard_normal((cb, cin, 1, 1)) / np.sqrt(cin)}
            for i, _ in enumerate(rates, 1):
                sd[f"convs.{i}.0.weight"] = rng.standard_normal((cb, cin, 3, 3)) / np.sqrt(9 * cin)
            sd[f"convs.{len(rates) + 1}.1.weight"] = rng.standard_normal((cb, cin, 1, 1)) / np.sqrt(cin)
            sd["project.0.weight"] = rng.standard_normal((cb, (len(rates) + 2) * cb, 1, 1)) / np.sqrt(5 * cb)
            for bn in [f"convs.{i}.1" for i in range(len(rates) + 1)] + [f"convs.{len(rates) + 1}.2", "project.1"]:
                sd.update({f"{bn}.weight": np.ones(cb), f"{bn}.bias": np.zeros(cb),
                           f"{bn}.running_mean": np.zeros(cb), f"{bn}.running_var": np.ones(cb)})
        head = pk.ASPP.from_torchvision(sd, rates)
        # FLOPs of the branches' taps inside the map (those the fused op computes) and the projection
        taps = side * side + sum(_taps(side, side, r) for r in rates)
        flops = 2.0 * cb * cin * taps + 2.0 * side * side * cb * (len(rates) + 1) * cb

        def peer(m=m, tx=tx):
            with torch.no_grad():
                return m(tx)
        work.append(Workload("aspp", f"{name} 1x{cin}x{side}x{side} rates {'/'.join(map(str, rates))} -> {cb} ch",
                             (lambda head=head, x=x: head(x)), peer if torch is not None else None,
                             lambda a, b: close(a, b.numpy(), float(np.abs(b.numpy()).max()) + 1, ulps=64), None,
                             peer_name="torch", flops=flops))
    return work
