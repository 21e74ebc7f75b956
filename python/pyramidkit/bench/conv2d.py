"""Benchmark workloads of conv2d against torch: the convolutions of DeepLab's ASPP head
(dense 3x3 at dilations 1, 6, 12, 18; 1x1) and a depthwise 3x3 (MobileNet's)."""
from __future__ import annotations

from typing import List

import numpy as np

from .harness import Context, Workload, close

OPS = ["conv2d"]


def workloads(ctx: Context) -> List[Workload]:
    import pyramidkit as pk

    torch, rng, s = ctx.peer("torch"), ctx.rng, ctx.s
    cases = [(f"3x3 d{d}", (1, 256 // s, 65, 65), (256 // s, 256 // s, 3, 3), dict(padding=d, dilation=d))
             for d in (1, 6, 12, 18)]
    cases += [("1x1", (1, 1280 // s, 33, 33), (256 // s, 1280 // s, 1, 1), {}),
              ("depthwise 3x3", (1, 512 // s, 128, 128), (512 // s, 1, 3, 3), dict(padding=1, groups=512 // s))]
    work = []
    for name, xs, ws, kw in cases:
        x = rng.standard_normal(xs).astype(np.float32)
        wt = (rng.standard_normal(ws) / np.sqrt(np.prod(ws[1:]))).astype(np.float32)
        tx, tw = (torch.from_numpy(x), torch.from_numpy(wt)) if torch is not None else (None, None)
        # FLOPs of the taps inside the input (those conv2d computes; torch's nominal count is higher)
        taps = pk.conv2d(np.ones((1, 1) + xs[2:], np.float32), np.ones((1, 1) + ws[2:], np.float32),
                         **dict(kw, groups=1)).sum()
        flops = 2.0 * xs[0] * ws[0] * ws[1] * float(taps)
        # tolerance: float32 rounding of sums of C_in/groups * 9 products
        scale = float(np.abs(x).max() * np.abs(wt).sum(axis=(1, 2, 3)).max())

        def peer(tx=tx, tw=tw, kw=kw):
            with torch.no_grad():
                return torch.nn.functional.conv2d(tx, tw, **kw)
        work.append(Workload("conv2d", f"{name} {'x'.join(map(str, xs))} -> {ws[0]} ch float32",
                             (lambda x=x, wt=wt, kw=kw: pk.conv2d(x, wt, **kw)), peer if torch is not None else None,
                             lambda a, b, scale=scale: close(a, b.numpy(), scale, ulps=16), None, peer_name="torch",
                             flops=flops))
    return work
