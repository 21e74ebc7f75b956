"""pyramidkit: fast, exact multi-scale image and feature-map operations on NumPy arrays.

Image ops follow OpenCV's semantics under snake_case names; CNN ops follow
torch.nn.functional. Every op has a pure-NumPy twin in :mod:`pyramidkit.reference`.
"""
from __future__ import annotations

__version__ = "0.1.0"

from ._config import (config, get_num_threads, max_simd, num_threads, set_max_simd, set_num_threads,
                      show_config, simd_levels)
from ._memory import cache_limit, clear_cache, set_cache_limit
from .pyramid import pyr_down, pyr_up
from .blur import gaussian_blur, gaussian_kernel
from .pyramid import gaussian_pyramid, laplacian_pyramid, reconstruct_laplacian
from .dog import DogPyramid, dog_pyramid
from .downsample import downsample, multiscale
from .files import open_multiscale, write_multiscale
from .resample import interpolate, resize
from .conv2d import conv2d
from .conv_transpose import bilinear_kernel, bilinear_upsample_weights, conv_transpose2d
from .aspp import ASPP, aspp, fold_batch_norm
from .pool import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d, max_unpool2d, pyramid_pool,
                   spatial_pyramid_pool)

__all__ = [
    "pyr_down", "pyr_up", "gaussian_pyramid", "laplacian_pyramid", "reconstruct_laplacian",
    "gaussian_blur", "gaussian_kernel", "dog_pyramid", "DogPyramid", "downsample", "multiscale", "write_multiscale", "open_multiscale",
    "resize", "interpolate", "conv2d", "conv_transpose2d", "bilinear_kernel", "bilinear_upsample_weights",
    "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "max_unpool2d",
    "spatial_pyramid_pool", "pyramid_pool", "ASPP", "aspp", "fold_batch_norm",
    "get_num_threads", "set_num_threads", "num_threads",
    "simd_levels", "set_max_simd", "max_simd", "show_config", "config",
    "clear_cache", "cache_limit", "set_cache_limit",
]
