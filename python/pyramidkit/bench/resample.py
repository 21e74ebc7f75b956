"""Benchmark workloads of resize (against OpenCV, Pillow, scikit-image) and interpolate
(against torch and kornia)."""
from __future__ import annotations

from typing import List

import numpy as np

from .harness import Context, Workload, close, dtype_name

OPS = ["resize", "interpolate"]


def workloads(ctx: Context) -> List[Workload]:
    import pyramidkit as pk

    cv2, rgb8 = ctx.peer("cv2"), ctx.rgb8
    big = (2 * rgb8.shape[0], 2 * rgb8.shape[1])
    out4k = np.empty(big + (3,), np.uint8)
    cv_out4k = np.empty_like(out4k)
    within1 = lambda a, b: bool(np.abs(a.astype(np.int16) - np.asarray(b).astype(np.int16)).max() <= 1)  # noqa: E731
    work = [Workload("resize", f"{dtype_name(rgb8)} -> x2 bilinear",
                     lambda: pk.resize(rgb8, big, out=out4k),
                     (lambda: cv2.resize(rgb8, big[::-1], dst=cv_out4k)) if cv2 is not None else None,
                     lambda a, b: within1(a, b), rgb8.nbytes + out4k.nbytes)]
    torch = ctx.peer("torch")
    fmap = ctx.fmap
    tmap = torch.from_numpy(fmap) if torch is not None else None
    for memory, t in [("NCHW", tmap), ("channels-last", tmap.contiguous(memory_format=torch.channels_last)
                                       if tmap is not None else None)]:
        x = fmap if memory == "NCHW" else (t.numpy() if t is not None else fmap)
        work.append(Workload("interpolate", f"{'x'.join(map(str, fmap.shape))} float32 {memory} x2 bilinear",
                             (lambda x=x: pk.interpolate(x, scale_factor=2)),
                             (lambda t=t: torch.nn.functional.interpolate(t, scale_factor=2, mode="bilinear"))
                             if t is not None else None,
                             lambda a, b: close(a, b.numpy(), 1.0, ulps=1e-5 / 2 ** -23), None, peer_name="torch"))
    # Pillow and scikit-image (one thread). Not timed: skimage's pyramid_reduce / expand (a
    # sigma-2/3 Gaussian and a spline resize: another operation than pyrDown / pyrUp).
    Image, skimage = ctx.peer("PIL.Image"), ctx.peer("skimage")
    pil_img = Image.fromarray(rgb8) if Image is not None else None
    work.append(Workload("resize", f"{rgb8.shape[1]}x{rgb8.shape[0]}x3 uint8 -> x2 bilinear",
                         lambda: pk.resize(rgb8, big, out=out4k),
                         (lambda: pil_img.resize(big[::-1], Image.BILINEAR)) if Image is not None else None,
                         lambda a, b: within1(a, np.asarray(b)), rgb8.nbytes + out4k.nbytes, peer_name="pillow"))
    work.append(Workload("resize", f"{rgb8.shape[1]}x{rgb8.shape[0]}x3 uint8 -> x2 bilinear",
                         lambda: pk.resize(rgb8, big, out=out4k),
                         (lambda: skimage.transform.resize(rgb8, big, order=1, mode="edge", anti_aliasing=False,
                                                           preserve_range=True)) if skimage is not None else None,
                         lambda a, b: within1(a, np.rint(b)), rgb8.nbytes + out4k.nbytes, peer_name="scikit-image"))
    # kornia's resize (torch's interpolate underneath); needs torch, never in the extras.
    kornia = ctx.peer("kornia")
    size = (2 * fmap.shape[2], 2 * fmap.shape[3])
    work.append(Workload("interpolate", f"{'x'.join(map(str, fmap.shape))} float32 NCHW x2 bilinear",
                         lambda: pk.interpolate(fmap, size=size),
                         (lambda: kornia.geometry.transform.resize(tmap, size, interpolation="bilinear",
                                                                   align_corners=False))
                         if kornia is not None else None,
                         lambda a, b: close(a, b.numpy(), 1.0, ulps=1e-5 / 2 ** -23), None, peer_name="kornia"))
    return work
