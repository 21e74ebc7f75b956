"""Benchmark workloads of gaussian_blur against OpenCV, scikit-image and kornia."""
from __future__ import annotations

from typing import List

import numpy as np

from .harness import Context, Workload, close, dtype_name

OPS = ["gaussian_blur"]


def workloads(ctx: Context) -> List[Workload]:
    import pyramidkit as pk

    cv2 = ctx.peer("cv2")
    gray32 = ctx.gray32
    work = []
    for img in (gray32, ctx.rgb8):
        out = np.empty_like(img)
        cv_out = np.empty_like(img)
        work.append(Workload("gaussian_blur", f"{dtype_name(img)}, sigma 2",
                             (lambda a, o: lambda: pk.gaussian_blur(a, 2.0, out=o))(img, out),
                             (lambda a, o: lambda: cv2.GaussianBlur(a, (0, 0), 2.0, dst=o))(img, cv_out)
                             if cv2 is not None else None,
                             # uint8: OpenCV's fixed point, bit-exact; floats: 1e-5 of the range
                             lambda a, b, img=img: close(a, b, float(np.abs(img).max()), ulps=1e-5 / 2 ** -23),
                             2 * img.nbytes))
    # scikit-image (one thread): its Gaussian with the edge border and OpenCV's 4-sigma truncation.
    # Not timed: Pillow's GaussianBlur (box filter approximations).
    skimage = ctx.peer("skimage")
    sk_out = np.empty_like(gray32)
    work.append(Workload("gaussian_blur", f"{'x'.join(map(str, gray32.shape))} float32, sigma 2, edge border",
                         lambda: pk.gaussian_blur(gray32, 2.0, border="replicate", out=sk_out),
                         (lambda: skimage.filters.gaussian(gray32, sigma=2.0, mode="nearest", truncate=4.0,
                                                           preserve_range=True)) if skimage is not None else None,
                         lambda a, b: close(a, b, 1.0, ulps=1e-5 / 2 ** -23), 2 * gray32.nbytes,
                         peer_name="scikit-image"))
    # kornia (torch tensors, torch's threads): gaussian_blur2d with OpenCV's float kernel size
    # and reflect-101 border. kornia needs torch, so it is never in the extras.
    kornia = ctx.peer("kornia")
    torch = ctx.peer("torch") if kornia is not None else None
    tgray = torch.from_numpy(gray32)[None, None] if kornia is not None else None
    ksize = int(round(2.0 * 4 * 2 + 1)) | 1  # OpenCV's rule for float images, sigma 2
    k_out = np.empty_like(gray32)
    work.append(Workload("gaussian_blur", f"{'x'.join(map(str, gray32.shape))} float32, sigma 2",
                         lambda: pk.gaussian_blur(gray32, 2.0, out=k_out),
                         (lambda: kornia.filters.gaussian_blur2d(tgray, (ksize, ksize), (2.0, 2.0),
                                                                  border_type="reflect"))
                         if kornia is not None else None,
                         lambda a, b: close(a, b.numpy(), 1.0, ulps=1e-5 / 2 ** -23), 2 * gray32.nbytes,
                         peer_name="kornia"))
    return work
