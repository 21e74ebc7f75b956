"""``python -m pyramidkit pyramid [IMAGE] -o OUT.png``: a picture of an image's Gaussian and
Laplacian pyramids.

Layout: the Gaussian pyramid on top (level 0 on the left, the smaller levels stacked in a
column to its right), the Laplacian pyramid below in the same arrangement (bands shown as
``128 + band``, clipped; the last level is the coarsest Gaussian). PNG is written by a
small built-in encoder (zlib from the standard library), so the command needs no image
library unless it reads an image file: then Pillow, OpenCV or imageio, whichever is
installed.
"""
from __future__ import annotations

import struct
import zlib
from typing import List, Optional

import numpy as np

from .pyramid import gaussian_pyramid, laplacian_pyramid

__all__ = ["test_image", "pyramid_mosaic", "file_mosaic", "read_image", "write_png"]


def test_image(size: int = 512) -> np.ndarray:
    """A synthetic RGB uint8 image with detail at every scale: a zone plate (fine rings),
    colour ramps and a few solid shapes. Deterministic.

    >>> test_image(64).shape, test_image(64).dtype
    ((64, 64, 3), dtype('uint8'))
    """
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    r2 = (x - 0.5) ** 2 + (y - 0.5) ** 2
    zone = 0.5 + 0.5 * np.cos(np.pi * size * 0.7 * r2)
    img = np.stack([zone * 0.6 + 0.4 * x, zone * 0.6 + 0.4 * y, zone * 0.6 + 0.4 * (1 - x)], axis=-1)
    img[(np.abs(x - 0.22) < 0.1) & (np.abs(y - 0.22) < 0.1)] = (0.9, 0.1, 0.1)  # a square
    img[(x - 0.78) ** 2 + (y - 0.25) ** 2 < 0.01] = (0.1, 0.2, 0.9)              # a disc
    img[(np.abs(x - y) < 0.015) & (x > 0.6)] = (1.0, 1.0, 0.2)                    # a line
    return np.round(img * 255).astype(np.uint8)


def _arrange(levels: List[np.ndarray], fill: int) -> np.ndarray:
    """Level 0 on the left, the others stacked top-down in a column to its right."""
    h0, w0 = levels[0].shape[:2]
    right = max((lv.shape[1] for lv in levels[1:]), default=0)
    height = max(h0, sum(lv.shape[0] for lv in levels[1:]))
    canvas = np.full((height, w0 + right) + levels[0].shape[2:], fill, np.uint8)
    canvas[:h0, :w0] = levels[0]
    y = 0
    for lv in levels[1:]:
        canvas[y:y + lv.shape[0], w0:w0 + lv.shape[1]] = lv
        y += lv.shape[0]
    return canvas


def _to_u8(a: np.ndarray, offset: float = 0.0) -> np.ndarray:
    if a.dtype == np.uint8 and offset == 0:
        return a
    scale = 255.0 if a.dtype.kind == "f" and float(np.abs(a).max(initial=0)) <= 1.5 else 1.0
    return np.clip(np.round(a.astype(np.float64) * scale + offset), 0, 255).astype(np.uint8)


def pyramid_mosaic(img: np.ndarray, levels: Optional[int] = None, min_size: int = 8) -> np.ndarray:
    """The mosaic picture (uint8) of img's Gaussian (top) and Laplacian (bottom) pyramids.

    img: HW or HWC uint8 (or float in [0, 1] or [0, 255]). levels: pyramid levels (default:
    down to ``min_size`` pixels on the short side, at most 8).

    >>> m = pyramid_mosaic(test_image(64), levels=3)
    >>> m.shape, m.dtype
    ((128, 96, 3), dtype('uint8'))
    """
    a = np.asarray(img)
    if a.ndim not in (2, 3) or a.size == 0:
        raise ValueError(f"img: expected a non-empty HW or HWC image, got shape {a.shape}")
    if levels is None:
        levels = 1
        while levels < 8 and min(a.shape[:2]) >> levels >= min_size:
            levels += 1
    gauss = gaussian_pyramid(a, levels)
    bands = laplacian_pyramid(a, levels)
    top = _arrange([_to_u8(g) for g in gauss], 255)
    bottom = _arrange([_to_u8(b, 128.0) for b in bands[:-1]] + [_to_u8(bands[-1])], 255)
    width = max(top.shape[1], bottom.shape[1])
    pad = [(0, 0), (0, width - top.shape[1])] + [(0, 0)] * (top.ndim - 2)
    pad_b = [(0, 0), (0, width - bottom.shape[1])] + [(0, 0)] * (bottom.ndim - 2)
    return np.concatenate([np.pad(top, pad, constant_values=255), np.pad(bottom, pad_b, constant_values=255)])


def file_mosaic(path: str, max_side: int = 1024) -> np.ndarray:
    """The mosaic picture (uint8) of a written OME-Zarr or pyramidal TIFF's levels: every
    level whose sides are at most max_side (the large ones of a slide are skipped), the
    largest on the left; the middle plane of t and z; three channels as RGB, else the first.
    """
    from .files import open_multiscale
    ms = open_multiscale(path)
    pictures = []
    for lv in ms.levels:
        a = lv.data
        index = []
        for c, n in zip(ms.axes, a.shape):
            index.append(slice(None) if c in "yxc" else n // 2)
        a = a[tuple(index)]
        axes = [c for c in ms.axes if c in "yxc"]
        if "c" in axes:
            ic = axes.index("c")
            a = a.transpose([axes.index("y"), axes.index("x"), ic])
            a = a[..., :3] if a.shape[-1] >= 3 else a[..., 0]
        if max(a.shape[:2]) > max_side:
            continue
        a = np.asarray(a)
        if a.dtype != np.uint8:   # stretch to the level's range
            lo, hi = float(a.min()), float(a.max())
            a = np.round((a.astype(np.float64) - lo) * (255.0 / max(hi - lo, 1e-12))).astype(np.uint8)
        pictures.append(a)
    if not pictures:
        raise ValueError(f"{path}: no level is at most {max_side} pixels on a side")
    return _arrange(pictures, 255)


def write_png(path: str, img: np.ndarray) -> None:
    """Write an HW (gray) or HWC (RGB / RGBA) uint8 image as PNG, with no image library."""
    a = np.ascontiguousarray(img)
    if a.dtype != np.uint8 or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ValueError(f"img: expected uint8 HW or HWC with 1, 3 or 4 channels, got {a.dtype} {a.shape}")
    h, w = a.shape[:2]
    colour = {1: 0, 3: 2, 4: 6}[a.shape[2] if a.ndim == 3 else 1]
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))  # filter type 0 per row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def read_image(path: str) -> np.ndarray:
    """Read an image file as HW or HWC (RGB) uint8 through Pillow, OpenCV or imageio."""
    try:
        from PIL import Image  # type: ignore
        with Image.open(path) as im:
            if im.mode not in ("L", "RGB"):
                im = im.convert("RGB")
            return np.asarray(im)
    except ImportError:
        pass
    try:
        import cv2  # type: ignore
        a = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if a is None:
            raise ValueError(f"{path}: OpenCV could not read this file")
        if a.ndim == 3:
            a = cv2.cvtColor(a, cv2.COLOR_BGRA2RGB if a.shape[2] == 4 else cv2.COLOR_BGR2RGB)
        return a if a.dtype == np.uint8 else np.clip(a, 0, 255).astype(np.uint8)
    except ImportError:
        pass
    try:
        import imageio.v3 as iio  # type: ignore
        return np.asarray(iio.imread(path))
    except ImportError:
        raise RuntimeError("reading an image file needs Pillow, OpenCV or imageio: pip install pillow "
                           "(or run the command without IMAGE to use the built-in test image)") from None
