"""Benchmark workloads of conv_transpose2d against torch: depthwise (FCN-style bilinear
upsampling) and a full convolution."""
from __future__ import annotations

from typing import List

import numpy as np

from .harness import Context, Workload, close

OPS = ["conv_transpose2d"]


def workloads(ctx: Context) -> List[Workload]:
    import pyramidkit as pk

    torch, rng, s = ctx.peer("torch"), ctx.rng, ctx.s
    work = []
    for name, (n, cin, side, cout_g, groups) in [("depthwise", (1, 21, 64, 1, 21)),
                                                  ("full", (1, 256 // s, 64, 128 // s, 1))]:
        x = rng.standard_normal((n, cin, side, side)).astype(np.float32)
        wt = rng.standard_normal((cin, cout_g, 4, 4)).astype(np.float32)
        tx, tw = (torch.from_numpy(x), torch.from_numpy(wt)) if torch is not None else (None, None)
        # tolerance: float32 rounding of sums of cin_g * 4 products of unit normals
        scale = float(np.abs(x).max() * np.abs(wt).sum(axis=(0, 2, 3)).max())
        work.append(Workload("conv_transpose2d", f"{name} {'x'.join(map(str, x.shape))} -> {cout_g * groups} ch, "
                             "k4 s2 p1 float32",
                             (lambda x=x, wt=wt, g=groups: pk.conv_transpose2d(x, wt, stride=2, padding=1, groups=g)),
                             (lambda tx=tx, tw=tw, g=groups: torch.nn.functional.conv_transpose2d(
                                 tx, tw, stride=2, padding=1, groups=g)) if torch is not None else None,
                             lambda a, b, scale=scale: close(a, b.numpy(), scale, ulps=16), None, peer_name="torch"))
    return work
