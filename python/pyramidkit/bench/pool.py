"""Benchmark workloads of the pooling family against torch.nn.functional and scikit-image."""
from __future__ import annotations

from typing import List

import numpy as np

from .harness import Context, Workload

OPS = ["max_pool2d", "avg_pool2d", "max_unpool2d", "spatial_pyramid_pool", "pyramid_pool"]


def workloads(ctx: Context) -> List[Workload]:
    """Pooling against torch.nn.functional: both allocate their results, except unpooling and
    PSP, where both fill a preallocated output (torch's out= variants); and scikit-image's
    block_reduce (one thread)."""
    import pyramidkit as pk

    torch, rng, quick = ctx.peer("torch"), ctx.rng, ctx.quick
    F = torch.nn.functional if torch is not None else None
    fm = rng.standard_normal((2, 64, 128, 128) if quick else (8, 64, 256, 256)).astype(np.float32)
    tfm = torch.from_numpy(fm) if torch is not None else None
    shape = "x".join(map(str, fm.shape))

    def same(a, b) -> bool:  # maxima are exact, indices too
        if isinstance(a, tuple):
            return all(np.array_equal(u, v.numpy()) for u, v in zip(a, b))
        return bool(np.array_equal(a, b.numpy()))

    work = []
    for k, st, pad in ((2, 2, 0), (3, 2, 1)):
        for ind in (False, True):
            out_bytes = fm.nbytes // 4 * (3 if ind else 1)  # values (+ int64 indices)
            work.append(Workload("max_pool2d", f"{shape} float32 {k}x{k}/s{st}/p{pad}{' +indices' if ind else ''}",
                                 (lambda k=k, st=st, pad=pad, ind=ind: pk.max_pool2d(fm, k, st, pad,
                                                                                     return_indices=ind)),
                                 (lambda k=k, st=st, pad=pad, ind=ind: F.max_pool2d(tfm, k, st, pad,
                                                                                    return_indices=ind))
                                 if F is not None else None, same, fm.nbytes + out_bytes, peer_name="torch"))
    work.append(Workload("avg_pool2d", f"{shape} float32 2x2", lambda: pk.avg_pool2d(fm, 2),
                         (lambda: F.avg_pool2d(tfm, 2)) if F is not None else None,
                         lambda a, b: bool(np.allclose(a, b.numpy(), rtol=2e-6, atol=2e-6)), fm.nbytes * 5 // 4,
                         peer_name="torch"))
    pooled, idx = pk.max_pool2d(fm, 2, return_indices=True)
    un_out = np.empty_like(fm)
    if torch is not None:
        tp, ti, tun = torch.from_numpy(pooled), torch.from_numpy(idx), torch.empty(fm.shape)
    work.append(Workload("max_unpool2d", f"{shape} float32 2x2, into a preallocated output",
                         lambda: pk.max_unpool2d(pooled, idx, 2, out=un_out),
                         (lambda: torch._C._nn.max_unpool2d(tp, ti, fm.shape[2:], out=tun)) if F is not None else None,
                         lambda a, b: bool(np.array_equal(a, b.numpy())), pooled.nbytes * 3 + fm.nbytes,
                         peer_name="torch"))
    psp_in = rng.standard_normal((1, 512, 64, 64)).astype(np.float32)
    psp_out = np.empty((1, 512 * 5, 64, 64), np.float32)
    if torch is not None:
        tpsp, tpsp_out = torch.from_numpy(psp_in), torch.empty(psp_out.shape)

    def torch_psp():
        parts = [tpsp] + [F.interpolate(F.adaptive_avg_pool2d(tpsp, b), size=(64, 64), mode="bilinear",
                                        align_corners=False) for b in (1, 2, 3, 6)]
        return torch.cat(parts, 1, out=tpsp_out)

    spp_in = rng.standard_normal((2, 256, 13, 13) if quick else (8, 512, 32, 32)).astype(np.float32)
    tspp = torch.from_numpy(spp_in) if torch is not None else None

    def torch_spp():
        return torch.cat([F.adaptive_max_pool2d(tspp, lv).flatten(1) for lv in (1, 2, 4)], 1)

    work.append(Workload("spatial_pyramid_pool", f"{'x'.join(map(str, spp_in.shape))} float32 levels 1,2,4 max "
                         "(adaptive_max_pool2d + flatten + cat)", lambda: pk.spatial_pyramid_pool(spp_in),
                         torch_spp if F is not None else None, lambda a, b: bool(np.array_equal(a, b.numpy())), None,
                         peer_name="torch"))
    work.append(Workload("pyramid_pool", "1x512x64x64 float32 bins 1,2,3,6 (adaptive_avg_pool2d + interpolate + "
                         "cat), into a preallocated output", lambda: pk.pyramid_pool(psp_in, out=psp_out),
                         torch_psp if F is not None else None,
                         lambda a, b: bool(np.allclose(a, b.numpy(), rtol=1e-5, atol=1e-5)), None, peer_name="torch"))
    skimage = ctx.peer("skimage")
    fm2 = rng.standard_normal((2, 64, 64, 64) if quick else (8, 64, 128, 128)).astype(np.float32)
    work.append(Workload("max_pool2d", f"{'x'.join(map(str, fm2.shape))} float32 2x2 (block_reduce max)",
                         lambda: pk.max_pool2d(fm2, 2),
                         (lambda: skimage.measure.block_reduce(fm2, (1, 1, 2, 2), np.max)) if skimage else None,
                         lambda a, b: bool(np.array_equal(a, b)), fm2.nbytes * 5 // 4, peer_name="scikit-image"))
    work.append(Workload("avg_pool2d", f"{'x'.join(map(str, fm2.shape))} float32 2x2 (block_reduce mean)",
                         lambda: pk.avg_pool2d(fm2, 2),
                         (lambda: skimage.measure.block_reduce(fm2, (1, 1, 2, 2), np.mean)) if skimage else None,
                         lambda a, b: bool(np.allclose(a, b, rtol=2e-6, atol=2e-6)), fm2.nbytes * 5 // 4,
                         peer_name="scikit-image"))
    return work
