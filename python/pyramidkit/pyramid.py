"""Gaussian pyramid primitives: pyr_down and pyr_up."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from . import _core
from ._args import pyr_args, run_into
from ._config import get_num_threads

__all__ = ["pyr_down", "pyr_up"]


def pyr_down(img: Any, *, dst_size: Optional[Tuple[int, int]] = None, border: Any = "reflect101",
             layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Blur with the 5x5 Gaussian [1 4 6 4 1]/16 (separable) and drop every other row and column.

    ``dst(y, x) = sum_ij k[i] k[j] src(B(2y+i-2), B(2x+j-2)) / 256`` with ``k = [1, 4, 6, 4, 1]``
    and ``B`` the border rule, exactly ``cv2.pyrDown``.

    Parameters
    ----------
    img : array-like
        uint8, uint16, int16, float16, float32 or float64; any number of channels.
    dst_size : (height, width), optional
        Default ``((H+1)//2, (W+1)//2)``. Any size with ``|2*dst - src| <= 2`` per axis, as
        OpenCV allows. Note the NumPy order (height, width), unlike cv2's ``dstsize``.
    border : str or int
        ``"reflect101"`` (default, OpenCV's BORDER_DEFAULT), ``"reflect"``, ``"replicate"``,
        ``"wrap"`` or ``"constant"`` (with ``value``); cv2.BORDER_* codes 0-4 are accepted.
    layout : str, optional
        ``"HW"``, ``"HWC"``, ``"CHW"``, ``"NHWC"`` or ``"NCHW"``; default by ndim: HW, HWC, NHWC.
    value : float
        Border value for ``"constant"``, saturated to the dtype as cv2 does.
    out : ndarray, optional
        Destination of the result's shape and dtype, not overlapping ``img``.

    Returns
    -------
    ndarray of img's dtype and layout, spatial size ``dst_size``.

    Integer results are bit-exact with OpenCV (sum rounded by ``(s + 128) >> 8``).
    float32 and float16 compute in float32, float64 in float64; the summation order differs
    from OpenCV's, so results agree within a few ulps of the value range.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> img = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16
    >>> pk.pyr_down(img)          # equal to cv2.pyrDown(img)
    array([[ 60,  78],
           [132, 150]], dtype=uint8)
    """
    r = pyr_args("pyr_down", img, dst_size, border, value, layout)
    return run_into(lambda src, dst, fresh: _core.pyr_down(src, dst, r.border, r.value, get_num_threads(), fresh),
                    r.img, r.layout, r.out_shape, out)


def pyr_up(img: Any, *, dst_size: Optional[Tuple[int, int]] = None, border: Any = "reflect101",
           layout: Optional[str] = None, value: float = 0.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Double the size: insert zeros between samples, then filter with 4 x the 5x5 Gaussian.

    Per axis ``out[2i] = (s[i-1] + 6 s[i] + s[i+1]) / 8`` and ``out[2i+1] = (s[i] + s[i+1]) / 2``,
    exactly ``cv2.pyrUp`` (integers rounded by ``(s + 32) >> 6``).

    Parameters
    ----------
    img : array-like
        uint8, uint16, int16, float16, float32 or float64; any number of channels.
    dst_size : (height, width), optional
        Default ``(2H, 2W)``; per axis ``2n`` or ``2n +- 1`` as OpenCV allows. ``2n-1`` drops
        the last row/column; ``2n+1`` adds one: the extra column repeats column ``2W-1`` and
        the extra row repeats row ``2H-2``, which is what cv2.pyrUp does.
    border : str or int
        ``"reflect101"`` (default) is OpenCV's rule, a reflection on the upsampled grid:
        on the source grid it reads ``s[-1] = s[1]`` at the top/left and ``s[H] = s[H-1]`` at
        the bottom/right. The other borders (``"reflect"``, ``"replicate"``, ``"wrap"``,
        ``"constant"`` with ``value``) extend the source grid by that rule before upsampling.
        The filter only reaches one source pixel past the edge, so ``"reflect"`` and
        ``"replicate"`` give the same result. (cv2.pyrUp accepts only the default.)
    layout, value, out
        As in :func:`pyr_down`.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> pk.pyr_up(np.array([[0, 64], [128, 255]], dtype=np.uint8))   # equal to cv2.pyrUp
    array([[ 52,  72, 102, 112],
           [ 88, 112, 148, 160],
           [142, 172, 216, 231],
           [160, 192, 239, 255]], dtype=uint8)
    """
    r = pyr_args("pyr_up", img, dst_size, border, value, layout)
    return run_into(lambda src, dst, fresh: _core.pyr_up(src, dst, r.border, r.value, get_num_threads(), fresh),
                    r.img, r.layout, r.out_shape, out)
