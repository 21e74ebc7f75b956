"""Pure-NumPy twins of every public op: same signatures, float64 inside.

The reference is the executable specification the C++ kernels are tested against: it is
written for clarity (index maps and explicit weight matrices), not speed.
"""
from .pyramid import pyr_down, pyr_up
from .blur import gaussian_blur
from .pyramid import gaussian_pyramid, laplacian_pyramid, reconstruct_laplacian
from .dog import dog_pyramid
from .downsample import downsample, multiscale
from .resample import interpolate, resize
from .conv_transpose import bilinear_kernel, bilinear_upsample_weights, conv_transpose2d
from .conv2d import conv2d
from .aspp import aspp
from .pool import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d, max_unpool2d, pyramid_pool,
                   spatial_pyramid_pool)

__all__ = ["pyr_down", "pyr_up", "gaussian_pyramid", "laplacian_pyramid", "reconstruct_laplacian", "gaussian_blur",
           "dog_pyramid", "downsample", "multiscale", "resize", "interpolate", "conv_transpose2d", "bilinear_kernel",
           "bilinear_upsample_weights", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d",
           "max_unpool2d", "spatial_pyramid_pool", "pyramid_pool", "conv2d", "aspp"]
