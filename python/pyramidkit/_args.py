"""Argument normalisation shared by the public ops and their references.

Everything a kernel relies on is checked here, so the C++ never sees unvalidated input.
Errors: TypeError for types and dtypes, ValueError for shapes and parameters; every
message names the argument, what was given and what is accepted.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._config import get_num_threads
from ._memory import check_alloc, new_array

LAYOUTS = ("HW", "HWC", "CHW", "NHWC", "NCHW")
IMAGE_DTYPES = (np.uint8, np.uint16, np.int16, np.float16, np.float32, np.float64)
_IMAGE_DTYPE_NAMES = ", ".join(np.dtype(d).name for d in IMAGE_DTYPES)

# OpenCV's border codes, so cv2.BORDER_* constants work too (defined once, in cpp/core/image.hpp).
BORDERS = dict(_core.BORDERS)
_BORDER_ALIASES = {"reflect_101": "reflect101", "default": "reflect101", "edge": "replicate",
                   "symmetric": "reflect", "mirror": "reflect101"}
_BORDER_NAMES = {v: k for k, v in BORDERS.items()}

# Largest array the library allocates or indexes: keeps every byte offset well inside int64.
MAX_BYTES = 1 << 60


# DLPack device types whose memory the CPU reads directly (kDLCPU, kDLCUDAHost, kDLROCMHost).
_DLPACK_HOST_DEVICES = (1, 3, 11)


def _foreign_error(x: Any, name: str, e: Exception) -> TypeError:
    """The TypeError for an array object that refused to hand out its memory."""
    if getattr(x, "requires_grad", False) is True:
        return TypeError(f"{name}: the tensor requires grad, and pyramidkit does not track gradients; "
                         f"pass {name}.detach() (it shares the memory: no copy)")
    return TypeError(f"{name}: could not read the {type(x).__name__} in place ({e})")


def _from_dlpack(x: Any, name: str) -> Optional[np.ndarray]:
    """x's memory through DLPack, or None where x has no __dlpack__; TypeError for memory the
    CPU cannot read (a GPU tensor) or an export the producer refuses."""
    if not hasattr(x, "__dlpack__"):
        return None
    try:
        device = x.__dlpack_device__() if hasattr(x, "__dlpack_device__") else (1, 0)
    except Exception as e:  # e.g. torch's meta tensors, which have no memory
        raise TypeError(f"{name}: the {type(x).__name__} is on a device pyramidkit cannot read ({e}); "
                        f"pyramidkit runs on the CPU") from None
    kind = int(device[0])
    if kind not in _DLPACK_HOST_DEVICES:
        where = getattr(x, "device", None)
        where = f"device {where}" if where is not None else f"DLPack device type {kind}"
        raise TypeError(f"{name}: the {type(x).__name__} is on {where}, and pyramidkit runs on the CPU; "
                        f"copy it to host memory first (e.g. {name}.cpu())")
    try:
        return np.from_dlpack(x)
    except (TypeError, RuntimeError, BufferError, ValueError) as e:
        if getattr(x, "requires_grad", False) is True or not hasattr(x, "__array__"):
            raise _foreign_error(x, name, e) from None
        return None  # a dtype DLPack cannot say (e.g. bool in old NumPy): try __array__


def as_array(x: Any, name: str) -> np.ndarray:
    """The NumPy view of x without a copy: an ndarray as it is; a CPU object with __dlpack__
    (torch, JAX, CuPy's host arrays, ...) through np.from_dlpack; then __array__ /
    __array_interface__ and the buffer protocol. TypeError for what the CPU cannot read in
    place: a tensor that requires grad (pass .detach()), memory on a GPU."""
    if isinstance(x, np.ndarray):
        return x
    a = _from_dlpack(x, name)
    if a is None:
        if hasattr(x, "__array__") or hasattr(x, "__array_interface__"):
            try:
                a = np.asarray(x)
            except (TypeError, RuntimeError, BufferError, ValueError) as e:
                raise _foreign_error(x, name, e) from None
        else:
            try:  # the buffer protocol (memoryview, array.array, ...), still without a copy
                a = np.asarray(memoryview(x))
            except TypeError:
                raise TypeError(f"{name}: expected a NumPy array or an array-like object (__array__, "
                                f"__dlpack__ or a buffer), got {type(x).__name__}") from None
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected an array, got {type(a).__name__}")
    return a


def check_dtype(a: np.ndarray, name: str, accepted: Sequence[Any] = IMAGE_DTYPES) -> np.ndarray:
    if a.dtype.type not in accepted:
        names = ", ".join(np.dtype(d).name for d in accepted)
        raise TypeError(f"{name}: dtype {a.dtype} is not supported; accepted: {names}")
    if not a.dtype.isnative:  # the kernels read native byte order; one documented copy
        a = a.astype(a.dtype.newbyteorder("="))
    return a


def resolve_layout(a: np.ndarray, layout: Optional[str], name: str, default_by_ndim: dict) -> str:
    if layout is None:
        if a.ndim not in default_by_ndim:
            raise ValueError(f"{name}: expected a 2-D, 3-D or 4-D array, got {a.ndim}-D with shape {a.shape}")
        return default_by_ndim[a.ndim]
    if not isinstance(layout, str) or layout.upper() not in LAYOUTS:
        raise ValueError(f"layout: unknown layout {layout!r}; accepted: {', '.join(LAYOUTS)}")
    layout = layout.upper()
    if a.ndim != len(layout):
        raise ValueError(f"{name}: layout {layout!r} needs a {len(layout)}-D array, got {a.ndim}-D "
                         f"with shape {a.shape}")
    return layout


IMAGE_LAYOUT_BY_NDIM = {2: "HW", 3: "HWC", 4: "NHWC"}


_ALL = slice(None)
_PLANE_INDEX = {"HW": (None, None, _ALL, _ALL, None), "HWC": (None, None), "CHW": (None, _ALL, _ALL, _ALL, None),
                "NHWC": (_ALL, None), "NCHW": (Ellipsis, None)}


def plane_view(a: np.ndarray, layout: str) -> np.ndarray:
    """The (n0, n1, H, W, C) view the kernels take; a view, never a copy."""
    return a[_PLANE_INDEX[layout]]


def spatial_shape(a: np.ndarray, layout: str) -> Tuple[int, int]:
    i = layout.index("H")
    return a.shape[i], a.shape[i + 1]


def with_spatial(shape: Tuple[int, ...], layout: str, h: int, w: int) -> Tuple[int, ...]:
    i = layout.index("H")
    s = list(shape)
    s[i], s[i + 1] = h, w
    return tuple(s)


def pixels_contiguous(v: np.ndarray) -> bool:
    """Whether a 5-D plane view has contiguous pixels within each row (what kernels need)."""
    item = v.itemsize
    _, _, _, w, c = v.shape
    _, _, _, sw, sc = v.strides
    return (c == 1 or sc == item) and (w == 1 or sw == c * item)


def run_into(call: Any, a: np.ndarray, layout: str, out_shape: Tuple[int, ...], out: Any) -> np.ndarray:
    """call(src_view, dst_view, fresh) into a new array of out_shape or the validated `out`;
    fresh tells the kernel dst was just allocated (it then avoids non-temporal stores).

    An `out` whose pixels are not contiguous within a row gets the result through one
    temporary and a copy.
    """
    res, fresh = prepare_out(out, out_shape, a.dtype, a)   # first: it checks the output's size
    src = kernel_input(a, layout)
    dst = plane_view(res, layout)
    if pixels_contiguous(dst):
        call(src, dst, fresh)
        return res
    tmp = np.empty(out_shape, a.dtype)
    call(src, plane_view(tmp, layout), True)
    res[...] = tmp
    return res


def channels_last(a: np.ndarray) -> bool:
    """Whether a 4-D NCHW array has channels-last memory (the NumPy view of a torch
    channels_last tensor): its NHWC transpose is C-contiguous. Such arrays are read in
    place as NHWC and answered in the same memory format."""
    return a.ndim == 4 and a.shape[1] > 1 and a.transpose(0, 2, 3, 1).flags.c_contiguous


def down_size(h: int, w: int) -> Tuple[int, int]:
    """pyr_down's default output size (and every pyramid level's size)."""
    return (h + 1) // 2, (w + 1) // 2


def kernel_input(a: np.ndarray, layout: str) -> np.ndarray:
    """Plane view of the input, read in place when rows are contiguous in pixels.

    Arbitrary plane and row strides (ROI views, flipped rows) are read in place. A view
    whose pixels or channels are not contiguous within a row (img[:, ::2], img[..., ::-1])
    costs one contiguous copy.
    """
    v = plane_view(a, layout)
    if not pixels_contiguous(v):
        v = plane_view(np.ascontiguousarray(a), layout)
    return v


def check_nonempty(a: np.ndarray, name: str) -> None:
    if a.size == 0:
        raise ValueError(f"{name}: array is empty (shape {a.shape}); every dimension must be >= 1")


def check_size(shape: Sequence[int], itemsize: int, name: str) -> None:
    n = itemsize
    for s in shape:
        n *= int(s)
    if n > MAX_BYTES:
        raise ValueError(f"{name}: an array of shape {tuple(shape)} would need {n} bytes, more than "
                         f"the supported {MAX_BYTES}")


def check_output(shape: Sequence[int], itemsize: int, name: str, extra: int = 0, what: str = "") -> None:
    """An output's size checked before anything proportional to it is allocated: beyond
    MAX_BYTES a ValueError, beyond this machine's memory (with `extra` bytes of tables or
    scratch it needs too) a MemoryError."""
    check_size(shape, itemsize, name)
    check_alloc(math.prod(int(v) for v in shape) * itemsize + extra, name,
                what or f"an output of shape {tuple(int(v) for v in shape)}")


def _taps_bytes(h: int, w: int, oh: int, ow: int, antialias: bool) -> int:
    """About what resampling's per-axis tables take (index and weight per tap)."""
    taps = 2 * math.ceil(max(h / oh, w / ow, 1.0)) + 3 if antialias else 2
    return (oh + ow) * taps * 16


def parse_border(border: Any) -> int:
    if type(border) is str and border in BORDERS:
        return BORDERS[border]
    if isinstance(border, str):
        key = border.lower()
        key = _BORDER_ALIASES.get(key, key)
        if key in BORDERS:
            return BORDERS[key]
    elif isinstance(border, numbers.Integral) and not isinstance(border, bool) and int(border) in _BORDER_NAMES:
        return int(border)
    raise ValueError(f"border: unknown border {border!r}; accepted: {', '.join(BORDERS)} "
                     "(or the matching cv2.BORDER_* codes 0-4)")


_INT_LIMITS = {np.dtype(t).char: (int(np.iinfo(t).min), int(np.iinfo(t).max))
               for t in (np.uint8, np.uint16, np.int16, np.int32, np.int64)}


def border_value(value: Any, dtype: np.dtype) -> float:
    """The constant border value as the image dtype would hold it (OpenCV saturate_cast)."""
    if (type(value) is float or type(value) is int) and value == 0:  # the default, in every dtype
        return float(value)
    if type(value) is not float and type(value) is not int:  # (the ABC check costs a microsecond)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"value: expected a real number, got {type(value).__name__}")
    v = float(value)
    char = np.dtype(dtype).char
    limits = _INT_LIMITS.get(char)
    if limits is not None:
        if not math.isfinite(v):
            raise ValueError(f"value: {value!r} cannot be a border value for an integer image")
        return float(min(max(round(v), limits[0]), limits[1]))  # round(): half to even, as np.rint
    if char == "d":
        return v
    with np.errstate(over="ignore"):  # too large for float16/32 becomes inf, as a cast does
        return float(np.dtype(dtype).type(v))


def pair(v: Any, name: str, *, real: bool = False, single: bool = True, minimum: Optional[float] = None,
         above: bool = False) -> Tuple[Any, Any]:
    """The one parser of two-valued (y, x) arguments: a pair, or (when `single`) one value
    or a one-element sequence for both. Integers (bools excluded), or with `real` finite
    real numbers; with `minimum`, each >= it (> it when `above`). TypeError for a value of
    the wrong type, ValueError for a wrong count or range."""
    if isinstance(v, (tuple, list)):
        if len(v) == 2:
            items = (v[0], v[1])
        elif len(v) == 1 and single:
            items = (v[0], v[0])
        else:
            raise ValueError(f"{name}: expected {'one value or ' if single else ''}a (y, x) pair, got {v!r}")
    elif single:
        items = (v, v)
    else:
        raise ValueError(f"{name}: expected a (y, x) pair, got {v!r}")
    for e in items:
        if isinstance(e, (bool, np.bool_)) or not isinstance(e, numbers.Real if real else numbers.Integral):
            raise TypeError(f"{name}: expected {'real numbers' if real else 'integers'}, got {v!r}")
        if real and not math.isfinite(e):
            raise ValueError(f"{name}: values must be finite, got {v!r}")
        if minimum is not None and (e < minimum or (above and e == minimum)):
            raise ValueError(f"{name}: values must be {'>' if above else '>='} {minimum}, got {v!r}")
    conv = float if real else int
    return conv(items[0]), conv(items[1])


def prepare_out(out: Any, shape: Tuple[int, ...], dtype: np.dtype, src: np.ndarray) -> Tuple[np.ndarray, bool]:
    """A new array, or the validated user `out`; and whether its pages are fresh from the OS
    (see _memory.new_array)."""
    if out is None:
        check_output(shape, np.dtype(dtype).itemsize, "out")
        return new_array(shape, dtype)
    if not isinstance(out, np.ndarray):  # a torch tensor, ...: written in place through its NumPy view
        out = as_array(out, "out")
    if out.dtype is not dtype and out.dtype != dtype:
        raise TypeError(f"out: dtype {out.dtype} differs from the result dtype {np.dtype(dtype)}")
    if out.shape != tuple(shape):
        raise ValueError(f"out: shape {out.shape} differs from the result shape {tuple(shape)}")
    if out.nbytes > MAX_BYTES:  # (an existing array of the result's shape: only a 0-stride view can be this large)
        check_size(shape, out.itemsize, "out")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    if np.may_share_memory(out, src):
        raise ValueError("out: array overlaps the input; pass a separate array")
    return out, False


class PyrArgs:
    """Validated arguments of pyr_down / pyr_up."""

    __slots__ = ("img", "layout", "src", "dst_hw", "out_shape", "border", "value")


_IMAGE_TYPES = frozenset(IMAGE_DTYPES)


def image_arg(img: Any, layout: Optional[str]) -> Tuple[np.ndarray, str]:
    """The validated image argument `img` (array of a supported dtype, non-empty) and its layout."""
    # The common case (an ndarray of a native supported dtype, default layout) in as few
    # steps as possible: this runs right after the previous call's kernel has evicted the
    # interpreter's data from the caches, where every step costs several times its warm time.
    a = img if type(img) is np.ndarray else as_array(img, "img")
    dt = a.dtype
    if dt.type not in _IMAGE_TYPES or not dt.isnative:
        a = check_dtype(a, "img")
    lay = IMAGE_LAYOUT_BY_NDIM.get(a.ndim) if layout is None else None
    if lay is None:
        lay = resolve_layout(a, layout, "img", IMAGE_LAYOUT_BY_NDIM)
    if a.size == 0:
        check_nonempty(a, "img")
    return a, lay


def pyr_args(op: str, img: Any, dst_size: Any, border: Any, value: Any, layout: Optional[str]) -> PyrArgs:
    r = PyrArgs()
    a, r.layout = image_arg(img, layout)
    h, w = spatial_shape(a, r.layout)
    if dst_size is None:
        dh, dw = down_size(h, w) if op == "pyr_down" else (2 * h, 2 * w)
    else:
        dh, dw = pair(dst_size, "dst_size", single=False)
        if op == "pyr_down":
            ok = dh >= 1 and dw >= 1 and abs(2 * dh - h) <= 2 and abs(2 * dw - w) <= 2
            rule = "|2*dst - src| <= 2 on each axis"
        else:
            ok = dh >= 1 and dw >= 1 and abs(dh - 2 * h) == dh % 2 and abs(dw - 2 * w) == dw % 2
            rule = "dst = 2*src, or 2*src +- 1, on each axis"
        if not ok:
            raise ValueError(f"dst_size: {(dh, dw)} is not valid for an image of size {(h, w)} "
                             f"(height, width); {op} needs {rule}")
    r.border = parse_border(border)
    r.value = border_value(value, a.dtype)
    r.img = a
    r.dst_hw = (dh, dw)
    r.out_shape = with_spatial(a.shape, r.layout, dh, dw)
    check_size(r.out_shape, a.itemsize, "img")
    return r


# Laplacian band dtype per image dtype: wide enough that bands and reconstruction are exact
# (defined once, as Band<T> in cpp/core/dtype.hpp).
BAND_DTYPES = {np.dtype(k): np.dtype(v) for k, v in _core.BAND_DTYPES.items()}


def level_sizes(h: int, w: int, levels: Any, min_size: Any) -> list:
    """(h, w) of every pyramid level, level 0 first, each the pyr_down size of the one above."""
    if isinstance(min_size, bool) or not isinstance(min_size, numbers.Integral) or min_size < 1:
        raise ValueError(f"min_size: expected an integer >= 1, got {min_size!r}")
    if levels is not None:
        if isinstance(levels, bool) or not isinstance(levels, numbers.Integral) or levels < 1:
            raise ValueError(f"levels: expected an integer >= 1 (level 0, the input, included) or None, "
                             f"got {levels!r}")
        if levels > 64:
            raise ValueError(f"levels: {levels} is more than 64; every level below 1x1 would be 1x1")
    sizes = [(h, w)]
    while (len(sizes) < levels) if levels is not None else (max(sizes[-1]) > min_size):
        sizes.append(down_size(*sizes[-1]))
    return sizes


def int_pair(v: Any, name: str, positive: bool = False) -> Tuple[int, int]:
    """torch's convolution / pooling argument rule (an int or a pair of ints) through
    :func:`pair`, with torch's messages."""
    if isinstance(v, (tuple, list)) and len(v) not in (1, 2):
        raise ValueError(f"expected {name} to be a single integer value or a list of 2 values to match "
                         f"the convolution dimensions, but got {name}={list(v)!r}")
    if not isinstance(v, (tuple, list, numbers.Integral)) or isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name}: expected an int or a pair of ints, got {type(v).__name__}")
    a, b = pair(v, name)
    if positive and (a <= 0 or b <= 0):
        raise ValueError(f"{name}: must be greater than zero, got {(a, b)}")
    return a, b


# ---------------------------------------------------------------- resize / interpolate

MODES = ("bilinear", "nearest", "nearest-exact")
COORDINATES = ("half_pixel", "align_corners", "asymmetric")
RESIZE_DTYPES = (np.uint8, np.float16, np.float32, np.float64)


class ResampleArgs:
    """A validated resize / interpolate call: output size, the user's scale per axis (None:
    derived from the sizes), mode, coordinate convention, antialias."""
    __slots__ = ("out_hw", "scale", "mode", "coordinates", "antialias")


def _check_mode(mode: Any, antialias: Any) -> str:
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    if not isinstance(antialias, (bool, np.bool_)):
        raise TypeError(f"antialias: expected a bool, got {antialias!r}")
    if antialias and mode != "bilinear":
        raise ValueError("antialias: only the bilinear mode has an antialiasing filter")
    return mode


def resize_args(a: np.ndarray, lay: str, size: Any, scale: Any, mode: Any, coordinates: Any,
                antialias: Any) -> ResampleArgs:
    """resize's arguments, OpenCV's rules: the output size rounds input * scale."""
    check_dtype(a, "img", RESIZE_DTYPES)
    mode = _check_mode(mode, antialias)
    if coordinates not in COORDINATES:
        raise ValueError(f"coordinates: expected one of {', '.join(COORDINATES)}, got {coordinates!r}")
    if mode != "bilinear" and coordinates != "half_pixel":
        raise ValueError("coordinates: only the bilinear mode takes a coordinate convention")
    h, w = spatial_shape(a, lay)
    if (size is None) == (scale is None):
        raise ValueError("size, scale: give exactly one of them")
    sy = sx = None
    if size is not None:
        oh, ow = pair(size, "size", minimum=1)
    else:
        sy, sx = pair(scale, "scale", real=True, minimum=0, above=True)
        oh, ow = int(np.rint(h * sy)), int(np.rint(w * sx))
        if oh < 1 or ow < 1:
            raise ValueError(f"scale: {scale!r} gives an empty output from {h}x{w}")
    check_output(with_spatial(a.shape, lay, oh, ow), a.itemsize, "output", _taps_bytes(h, w, oh, ow, antialias),
                 f"an output of shape {with_spatial(a.shape, lay, oh, ow)} and its coordinate tables")
    r = ResampleArgs()
    r.out_hw, r.scale, r.mode, r.coordinates, r.antialias = (oh, ow), (sy, sx), mode, coordinates, bool(antialias)
    return r


def interpolate_args(a: np.ndarray, size: Any, scale_factor: Any, mode: Any, align_corners: Any,
                     recompute_scale_factor: Any, antialias: Any) -> ResampleArgs:
    """interpolate's arguments, torch's rules and messages: the output size floors input *
    scale_factor; the scale itself is used for the coordinates unless recompute_scale_factor."""
    if a.ndim != 4:
        raise ValueError(f"input: expected a 4-D (N, C, H, W) array, got {a.ndim}-D")
    if 0 in a.shape and not empty_batch(a, "NCHW"):
        raise ValueError(f"input: empty array of shape {a.shape}")
    mode = _check_mode(mode, antialias)
    if mode != "bilinear" and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    if align_corners is not None and not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"align_corners: expected a bool or None, got {align_corners!r}")
    h, w = a.shape[2:]
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    sy = sx = None
    if size is not None:
        oh, ow = pair(size, "size", minimum=1)
    else:
        sy, sx = pair(scale_factor, "scale_factor", real=True, minimum=0, above=True)
        oh, ow = int(math.floor(h * sy)), int(math.floor(w * sx))
        if oh < 1 or ow < 1:
            raise ValueError(f"scale_factor: {scale_factor!r} gives an empty output from {h}x{w}")
        if recompute_scale_factor:
            sy = sx = None
    shape = a.shape[:2] + (oh, ow)
    check_output(shape, a.itemsize, "output", _taps_bytes(h, w, oh, ow, antialias),
                 f"an output of shape {shape} and its coordinate tables")
    r = ResampleArgs()
    r.out_hw, r.scale, r.mode = (oh, ow), (sy, sx), mode
    r.coordinates, r.antialias = ("align_corners" if align_corners else "half_pixel"), bool(antialias)
    return r


# ---------------------------------------------------------------- pooling (torch's rules)

MAX_DTYPES = (np.uint8, np.float16, np.float32, np.float64)
AVG_DTYPES = (np.float16, np.float32, np.float64)
MAP_LAYOUT_BY_NDIM = {3: "CHW", 4: "NCHW"}
MAP_LAYOUTS = ("NCHW", "NHWC", "CHW", "HWC")


def map_arg(x: Any, layout: Optional[str], dtypes: Sequence[Any], name: str = "input") -> Tuple[np.ndarray, str]:
    a = check_dtype(as_array(x, name), name, dtypes)
    if layout is not None and (not isinstance(layout, str) or layout.upper() not in MAP_LAYOUTS):
        raise ValueError(f"layout: unknown layout {layout!r}; accepted: {', '.join(MAP_LAYOUTS)}")
    if layout is None and a.ndim not in MAP_LAYOUT_BY_NDIM:
        raise ValueError(f"{name}: non-empty 3D or 4D (batch mode) array expected, got {a.ndim}-D with shape "
                         f"{a.shape}")
    lay = resolve_layout(a, layout, name, MAP_LAYOUT_BY_NDIM)
    if 0 in a.shape and not empty_batch(a, lay):
        raise ValueError(f"{name}: non-empty 3D or 4D (batch mode) array expected, got shape {a.shape}")
    return a, lay


def empty_batch(a: np.ndarray, lay: str) -> bool:
    """A batch of no maps (N = 0, the other sides non-empty): torch answers it with an empty
    result of the output's shape, and so do the pooling ops and interpolate."""
    return len(lay) == 4 and a.shape[0] == 0 and 0 not in a.shape[1:]


def pool_out_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape: a last window that would start in the padding is dropped."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


class PoolArgs(NamedTuple):
    """A validated max_pool2d / avg_pool2d call: input, layout, output size and the window
    parameters per axis ((y, x) pairs), average options (divisor 0: none given)."""
    a: np.ndarray
    layout: str
    out_hw: Tuple[int, int]
    kernel: Tuple[int, int]
    stride: Tuple[int, int]
    padding: Tuple[int, int]
    dilation: Tuple[int, int]
    avg: bool
    count_include_pad: bool
    divisor: int


def pool_args(input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any, avg: bool,
              count_include_pad: bool = True, divisor_override: Any = None, layout: Optional[str] = None) -> PoolArgs:
    """max_pool2d / avg_pool2d's arguments, torch's checks, rules and messages."""
    a, lay = map_arg(input, layout, AVG_DTYPES if avg else MAX_DTYPES)
    kh, kw = int_pair(kernel_size, "kernel_size", positive=True)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        sh, sw = kh, kw
    else:
        sh, sw = int_pair(stride, "stride", positive=True)
    ph, pw = int_pair(padding, "padding")
    dh, dw = int_pair(dilation, "dilation", positive=True)
    if ph < 0 or pw < 0:
        raise ValueError(f"padding: must be non-negative, got {(ph, pw)}")
    for p, k in ((ph, kh), (pw, kw)):  # torch: pad <= kernel_size // 2, whatever the dilation
        if p > k // 2:
            raise ValueError(f"padding: pad should be smaller than or equal to half of kernel size, but got "
                             f"pad={p}, kernel_size={k}")
    divisor = 0
    if divisor_override is not None:
        if isinstance(divisor_override, (bool, np.bool_)) or not isinstance(divisor_override, numbers.Integral):
            raise TypeError(f"divisor_override: expected an int or None, got {divisor_override!r}")
        if divisor_override == 0:
            raise ValueError("divisor_override: divisor must be not zero")
        divisor = int(divisor_override)
        if divisor < 0:
            raise ValueError(f"divisor_override: must be positive, got {divisor}")
    h, w = spatial_shape(a, lay)
    oh = pool_out_size(h, kh, sh, ph, dh, bool(ceil_mode))
    ow = pool_out_size(w, kw, sw, pw, dw, bool(ceil_mode))
    if oh < 1 or ow < 1:
        raise ValueError(f"input: given input size {h}x{w}, the calculated output size {oh}x{ow} is too small")
    return PoolArgs(a, lay, (oh, ow), (kh, kw), (sh, sw), (ph, pw), (dh, dw), avg, bool(count_include_pad), divisor)


def adaptive_args(input: Any, output_size: Any, avg: bool, layout: Optional[str] = None) -> Tuple[np.ndarray, str, Tuple[int, int]]:
    """adaptive_{avg,max}_pool2d's arguments: input, layout, output size (None keeps a size)."""
    a, lay = map_arg(input, layout, AVG_DTYPES if avg else MAX_DTYPES)
    h, w = spatial_shape(a, lay)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"output_size: expected an int or a pair, got {output_size!r}")
        sizes = [h if output_size[0] is None else output_size[0], w if output_size[1] is None else output_size[1]]
    else:
        sizes = [output_size, output_size]
    for v in sizes:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"output_size: expected ints (or None to keep a size), got {output_size!r}")
        if v < 1:
            raise ValueError(f"output_size: must be >= 1, got {output_size!r}")
    oh, ow = int(sizes[0]), int(sizes[1])
    # checked before the bin tables (one entry per output row and column) are built
    check_output(with_spatial(a.shape, lay, oh, ow), 8 if not avg else a.itemsize, "output", (oh + ow) * 32)
    return a, lay, (oh, ow)


def unpool_output_size(in_hw: Tuple[int, int], kernel: Tuple[int, int], stride: Tuple[int, int],
                       padding: Tuple[int, int], output_size: Any) -> Tuple[int, int]:
    """torch's _unpool_output_size: the default size, or a given one checked against it."""
    default = [(in_hw[d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(2)]
    if output_size is None:
        ret = default
    else:
        size = list(output_size)
        if len(size) == 4:
            size = size[2:]
        if len(size) != 2:
            raise ValueError(f"output_size should be a sequence containing 2 or 4 elements, but it has a length of "
                             f"'{len(size)}'")
        for d in range(2):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not (isinstance(size[d], numbers.Integral) and lo < size[d] < hi):
                raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be between {lo} and '
                                 f'{hi})')
        ret = [int(v) for v in size]
    for d in range(2):   # torch's rule: an empty output (a size of 0) is returned, a negative one refused
        if ret[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return ret[0], ret[1]


def pool_levels(levels: Any, name: str) -> List[int]:
    if isinstance(levels, numbers.Integral):
        levels = (levels,)
    try:
        lv = [v for v in levels]
    except TypeError:
        raise TypeError(f"{name}: expected a sequence of positive ints, got {levels!r}") from None
    if not lv or any(isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < 1 for v in lv):
        raise ValueError(f"{name}: expected a non-empty sequence of positive ints, got {levels!r}")
    return [int(v) for v in lv]


def pool_mode(mode: Any) -> bool:
    if mode not in ("max", "avg"):
        raise ValueError(f"mode: expected 'max' or 'avg', got {mode!r}")
    return mode == "avg"


def bin_weights(weights: Any, bins: List[int], c: int) -> List[Optional[Tuple[np.ndarray, Any]]]:
    if weights is None:
        return [None] * len(bins)
    if not isinstance(weights, (list, tuple)) or len(weights) != len(bins):
        raise ValueError(f"weights: expected None or one entry per bin ({len(bins)}), got {weights!r:.80}")
    res: List[Optional[Tuple[np.ndarray, Any]]] = []
    for i, wt in enumerate(weights):
        if wt is None:  # this bin keeps its C channels
            res.append(None)
            continue
        bias = None
        if isinstance(wt, tuple):
            if len(wt) != 2:
                raise ValueError(f"weights[{i}]: expected a (C_out, C) matrix or a (matrix, bias) pair")
            wt, bias = wt
        m = as_array(wt, f"weights[{i}]")
        if m.ndim != 2 or m.shape[1] != c or m.shape[0] < 1:
            raise ValueError(f"weights[{i}]: expected a (C_out, {c}) matrix, got shape {m.shape}")
        if m.dtype.kind != "f":
            raise TypeError(f"weights[{i}]: expected a floating dtype, got {m.dtype}")
        if bias is not None:
            bias = as_array(bias, f"bias of weights[{i}]")
            if bias.shape != (m.shape[0],):
                raise ValueError(f"weights[{i}]: bias of shape {bias.shape}, expected ({m.shape[0]},)")
        res.append((m, bias))
    return res


# ---------------------------------------------------------------- conv_transpose2d (torch's rules)

CONV_DTYPES = (np.float32, np.float64)
# conv2d also takes float16, computed in float32 (pyramidkit.conv2d).
CONV2D_DTYPES = (np.float16, np.float32, np.float64)

def _conv_arrays(input: Any, weight: Any, op: str, layout: str,
                 dtypes: Sequence[Any] = CONV_DTYPES) -> Tuple[np.ndarray, np.ndarray, bool]:
    """A convolution's input (batched: 4-D) and 4-D weight of one float dtype; whether the
    input came unbatched."""
    x = check_dtype(as_array(input, "input"), "input", dtypes)
    w = check_dtype(as_array(weight, "weight"), "weight", dtypes)
    if w.dtype != x.dtype:
        raise TypeError(f"weight: dtype {w.dtype} differs from the input's {x.dtype}")
    if x.ndim not in (3, 4):
        raise ValueError(f"input: expected 3D (unbatched) or 4D (batched) input to {op}, but got input "
                         f"of size: {list(x.shape)}")
    if w.ndim != 4:
        raise ValueError(f"weight: expected a 4-D {layout} array, got shape {w.shape}")
    return (x[None], w, True) if x.ndim == 3 else (x, w, False)


def _conv_groups(groups: Any) -> int:
    if isinstance(groups, (bool, np.bool_)) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"groups: expected an int, got {groups!r}")
    return int(groups)


def _conv_bias(bias: Any, dtype: np.dtype, cout: int, given: str) -> Optional[np.ndarray]:
    if bias is None:
        return None
    b = check_dtype(as_array(bias, "bias"), "bias", CONV2D_DTYPES)
    if b.dtype != dtype:
        raise TypeError(f"bias: dtype {b.dtype} differs from the input's {dtype}")
    if b.shape != (cout,):
        raise ValueError(f"bias: {given}expected bias to be 1-dimensional with {cout} elements, but got bias of "
                         f"size {list(b.shape)}{' instead' if given else ''}")
    return b


class ConvArgs:
    """Validated arguments of conv2d and conv_transpose2d (input batched). padding: a
    (height, width) pair for conv_transpose2d, ((top, bottom), (left, right)) for conv2d."""

    def __init__(self, x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray], stride: Tuple[int, int],
                 padding: Tuple[Any, Any], dilation: Tuple[int, int], groups: int, out_shape: Tuple[int, ...],
                 unbatched: bool) -> None:
        self.x, self.weight, self.bias = x, weight, bias
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.out_shape, self.unbatched = out_shape, unbatched

    def run(self, kernel: Any, x: np.ndarray, out: np.ndarray, padding: Tuple[int, int]) -> np.ndarray:
        """The native kernel (_core.conv2d or _core.conv_transpose2d) from x into out, with
        (top, left) padding; the result unbatched where the input was."""
        if out.size:
            b = None if self.bias is None else np.ascontiguousarray(self.bias)
            kernel(x, np.ascontiguousarray(self.weight), b, out, self.stride, padding, self.dilation, self.groups,
                   get_num_threads())
        return out[0] if self.unbatched else out


def conv_transpose2d_args(input: Any, weight: Any, bias: Any, stride: Any, padding: Any, output_padding: Any,
                          groups: Any, dilation: Any) -> ConvArgs:
    """torch's checks, in torch's order, with its messages (as ValueError / TypeError)."""
    x, w, unbatched = _conv_arrays(input, weight, "conv_transpose2d", "(C_in, C_out/groups, kH, kW)")
    sh, sw = int_pair(stride, "stride")
    ph, pw = int_pair(padding, "padding")
    oph, opw = int_pair(output_padding, "output_padding")
    dh, dw = int_pair(dilation, "dilation")
    groups = _conv_groups(groups)
    if sh <= 0 or sw <= 0:
        raise ValueError(f"stride: non-positive stride is not supported, got {(sh, sw)}")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding: negative padding is not supported, got {(ph, pw)}")
    if oph < 0 or opw < 0:
        raise ValueError(f"output_padding: negative output_padding is not supported, got {(oph, opw)}")
    if dh <= 0 or dw <= 0:
        raise ValueError(f"dilation: dilation should be greater than zero, got {(dh, dw)}")
    if groups <= 0:
        raise ValueError(f"groups: non-positive groups is not supported, got {groups}")
    n, cin, h, wd = x.shape
    if cin == 0 or h == 0 or wd == 0:
        raise ValueError(f"input: channels and spatial sizes must be >= 1, got shape {x.shape}")
    kh, kw = w.shape[2:]
    if kh == 0 or kw == 0 or w.shape[1] == 0:
        raise ValueError(f"weight: kernel size and output channels must be >= 1, got shape {w.shape}")
    if w.shape[0] % groups:
        raise ValueError(f"weight: given groups={groups}, expected weight to be divisible by {groups} at "
                         f"dimension 0, but got weight of size {list(w.shape)}")
    if w.shape[0] != cin:
        raise ValueError(f"weight: given transposed=1, weight of size {list(w.shape)}, expected input "
                         f"{list(x.shape)} to have {w.shape[0]} channels, but got {cin} channels instead")
    cout = w.shape[1] * groups
    b = _conv_bias(bias, x.dtype, cout, "")
    if not ((oph < sh or oph < dh) and (opw < sw or opw < dw)):
        raise ValueError("output_padding: output padding must be smaller than either stride or dilation, but got "
                         f"output_padding {(oph, opw)}, stride {(sh, sw)}, dilation {(dh, dw)}")
    ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    wo = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"input: given input size per channel ({h} x {wd}), calculated output size per channel "
                         f"({ho} x {wo}); output size is too small")
    out_shape = (n, cout, ho, wo)
    check_output(out_shape, x.itemsize, "output")
    return ConvArgs(x, w, b, (sh, sw), (ph, pw), (dh, dw), groups, out_shape, unbatched)


# ---------------------------------------------------------------- conv2d (torch's rules)

def conv2d_args(input: Any, weight: Any, bias: Any, stride: Any, padding: Any, dilation: Any,
                groups: Any) -> ConvArgs:
    """torch.nn.functional.conv2d's checks, in torch's order, with its messages (as
    ValueError / TypeError). padding="same" pads d (k - 1) in total per axis, the odd one
    at the bottom / right, as torch does for even kernels."""
    x, w, unbatched = _conv_arrays(input, weight, "conv2d", "(C_out, C_in/groups, kH, kW)", CONV2D_DTYPES)
    sh, sw = int_pair(stride, "stride")
    dh, dw = int_pair(dilation, "dilation")
    groups = _conv_groups(groups)
    kh, kw = w.shape[2:]
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"padding: Invalid padding string: {padding!r}")
        if padding == "same" and (sh != 1 or sw != 1):
            raise ValueError("padding: padding='same' is not supported for strided convolutions")
        if padding == "valid":
            pads = ((0, 0), (0, 0))
        else:
            th, tw = dh * (kh - 1), dw * (kw - 1)
            pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    else:
        ph, pw = int_pair(padding, "padding")
        if ph < 0 or pw < 0:
            raise ValueError(f"padding: negative padding is not supported, got {(ph, pw)}")
        pads = ((ph, ph), (pw, pw))
    if sh <= 0 or sw <= 0:
        raise ValueError(f"stride: non-positive stride is not supported, got {(sh, sw)}")
    if dh <= 0 or dw <= 0:
        raise ValueError(f"dilation: dilation should be greater than zero, but got {[dh, dw]}")
    if groups <= 0:
        raise ValueError(f"groups: non-positive groups is not supported, got {groups}")
    n, cin, h, wd = x.shape
    if w.shape[0] == 0:
        raise ValueError(f"weight: Given groups={groups}, expected weight to be at least 1 at dimension 0, but got "
                         f"weight of size {list(w.shape)} instead")
    if w.shape[0] % groups:
        raise ValueError(f"weight: Given groups={groups}, expected weight to be divisible by {groups} at "
                         f"dimension 0, but got weight of size {[list(w.shape)]} instead")
    if w.shape[1] * groups != cin:
        raise ValueError(f"input: Given groups={groups}, weight of size {list(w.shape)}, expected input"
                         f"{list(x.shape)} to have {w.shape[1] * groups} channels, but got {cin} channels instead")
    cout = w.shape[0]
    b = _conv_bias(bias, x.dtype, cout, f"Given weight of size {list(w.shape)}, ")
    hp, wp = h + sum(pads[0]), wd + sum(pads[1])
    if hp < dh * (kh - 1) + 1 or wp < dw * (kw - 1) + 1:
        raise ValueError(f"input: Calculated padded input size per channel: ({hp} x {wp}). Kernel size: "
                         f"({dh * (kh - 1) + 1} x {dw * (kw - 1) + 1}). Kernel size can't be greater than actual "
                         f"input size")
    out_shape = (n, cout, (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1)
    check_output(out_shape, x.itemsize, "output")
    return ConvArgs(x, w, b, (sh, sw), pads, (dh, dw), groups, out_shape, unbatched)


# ---------------------------------------------------------------- whole pyramids, dog_pyramid

def laplacian_pyramid_arg(pyramid: Any, layout: Optional[str]):
    """A Laplacian pyramid argument: (bands, coarsest level, layout), dtypes and ranks checked."""
    if isinstance(pyramid, np.ndarray) or not isinstance(pyramid, Sequence) or len(pyramid) == 0:
        raise TypeError("pyramid: expected a non-empty list of arrays (bands, then the coarsest level)")
    coarse, lay = image_arg(pyramid[-1], layout)
    band_dt = BAND_DTYPES[coarse.dtype]
    bands = []
    for i, x in enumerate(pyramid[:-1]):
        x = as_array(x, f"pyramid[{i}]")
        if x.dtype != band_dt:
            raise TypeError(f"pyramid[{i}]: dtype {x.dtype} is not the band dtype {band_dt} of a "
                            f"{coarse.dtype} pyramid (see laplacian_pyramid)")
        if x.ndim != coarse.ndim:
            raise ValueError(f"pyramid[{i}]: {x.ndim}-D, the coarsest level is {coarse.ndim}-D")
        check_nonempty(x, f"pyramid[{i}]")
        bands.append(x)
    return bands, coarse, lay


def dog_args(img_hw: tuple, octaves: Any, scales: Any, sigma: Any, assume_blur: Any, upsample: Any,
             dtype: Any) -> tuple:
    """dog_pyramid's arguments, OpenCV SIFT's rules: (octaves, scales, sigma, assume_blur,
    upsample, dtype), octaves defaulting to log2(min side) - 2 (+1 when upsampling)."""
    if isinstance(scales, bool) or not isinstance(scales, numbers.Integral) or scales < 1:
        raise ValueError(f"scales: expected an integer >= 1, got {scales!r}")
    for name, v, zero_ok in (("sigma", sigma, False), ("assume_blur", assume_blur, True)):
        if (isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0
                or (v == 0 and not zero_ok)):
            raise ValueError(f"{name}: expected a finite number {'>= 0' if zero_ok else '> 0'}, got {v!r}")
    if not isinstance(upsample, (bool, np.bool_)):
        raise TypeError(f"upsample: expected a bool, got {upsample!r}")
    dt = np.dtype(dtype) if dtype is not None else None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype: expected float32 or float64, got {dtype!r}")
    h, w = (2 * img_hw[0], 2 * img_hw[1]) if upsample else img_hw
    possible = 1  # octaves whose image is at least 1x1 after halving (floor, as OpenCV)
    while min(h >> possible, w >> possible) >= 1:
        possible += 1
    if octaves is None:
        # OpenCV: cvRound(log2(min side of the base image) - 2) - firstOctave
        octaves = max(1, min(possible, int(np.rint(math.log2(min(h, w)) - 2)) + int(bool(upsample))))
    elif isinstance(octaves, bool) or not isinstance(octaves, numbers.Integral) or not 1 <= octaves <= possible:
        raise ValueError(f"octaves: expected an integer in [1, {possible}] for a {h}x{w} base image, got {octaves!r}")
    # the first octave's scales + 3 Gaussians and scales + 2 DoGs (the others add < 1/3)
    first = (2 * int(scales) + 5, h, w)
    check_output(first, np.dtype(dt).itemsize, "scales", math.prod(first) * np.dtype(dt).itemsize // 3,
                 f"{int(scales) + 3} Gaussians and {int(scales) + 2} DoGs of {h}x{w}")
    return int(octaves), int(scales), float(sigma), float(assume_blur), bool(upsample), dt


# downsample / multiscale: OME axis letters; z, y, x are spatial, t and c are carried along.
OME_AXES = "tczyx"
SPATIAL_AXES = "zyx"
DOWNSAMPLE_AXES_BY_NDIM = {2: "yx", 3: "yxc", 4: "tyxc"}
DOWNSAMPLE_METHODS = ("gaussian", "mean", "nearest", "mode", "min", "max")
# Methods that pick or compare samples take label dtypes too; the filters take the image dtypes.
SELECT_DTYPES = IMAGE_DTYPES + (np.bool_, np.int8, np.int32, np.uint32, np.int64, np.uint64)


class DownsampleArgs(NamedTuple):
    array: np.ndarray
    axes: str                  # one letter per array axis
    factors: Tuple[int, ...]   # per array axis (1 on carried axes)
    method: str
    border: int
    value: float


def downsample_axes(axes: Any, ndim: int) -> str:
    """The validated `axes` letters for an ndim-D array."""
    if axes is None:
        if ndim not in DOWNSAMPLE_AXES_BY_NDIM:
            raise ValueError(f"axes: a {ndim}-D array needs axes= (one of the letters {OME_AXES!r} per axis, "
                             f"e.g. 'zyx' or 'tczyx'); the defaults are {DOWNSAMPLE_AXES_BY_NDIM}")
        return DOWNSAMPLE_AXES_BY_NDIM[ndim]
    if not isinstance(axes, str):
        raise TypeError(f"axes: expected a string of axis letters from {OME_AXES!r}, got {type(axes).__name__}")
    ax = axes.lower()
    if len(ax) != ndim:
        raise ValueError(f"axes: {axes!r} names {len(ax)} axes, the array has {ndim}")
    bad = [c for c in ax if c not in OME_AXES]
    if bad:
        raise ValueError(f"axes: unknown axis letter {bad[0]!r} in {axes!r}; accepted: {', '.join(OME_AXES)}")
    if len(set(ax)) != len(ax):
        raise ValueError(f"axes: {axes!r} repeats a letter")
    if not any(c in SPATIAL_AXES for c in ax):
        raise ValueError(f"axes: {axes!r} has no spatial axis (z, y or x)")
    return ax


def downsample_factors(factor: Any, axes: str, method: str) -> Tuple[int, ...]:
    """Per array axis factors from an int or one int per spatial axis (in `axes` order)."""
    spatial = [i for i, c in enumerate(axes) if c in SPATIAL_AXES]
    if isinstance(factor, numbers.Integral) and not isinstance(factor, bool):
        fs = [int(factor)] * len(spatial)
    elif isinstance(factor, (tuple, list)) and all(isinstance(f, numbers.Integral) and not isinstance(f, bool)
                                                   for f in factor):
        if len(factor) != len(spatial):
            raise ValueError(f"factor: {tuple(factor)} has {len(factor)} values; axes "
                             f"{axes!r} has {len(spatial)} spatial axes")
        fs = [int(f) for f in factor]
    else:
        raise TypeError(f"factor: expected an int or one int per spatial axis, got {factor!r}")
    if any(f < 1 for f in fs):
        raise ValueError(f"factor: every factor must be >= 1, got {factor!r}")
    if method == "gaussian" and any(f not in (1, 2) for f in fs):
        raise ValueError(f"factor: method 'gaussian' halves an axis (factor 2) or keeps it (1), got {factor!r}")
    out = [1] * len(axes)
    for i, f in zip(spatial, fs):
        out[i] = f
    return tuple(out)


def downsample_method(method: Any) -> str:
    if not isinstance(method, str) or method.lower() not in DOWNSAMPLE_METHODS:
        raise ValueError(f"method: unknown method {method!r}; accepted: {', '.join(DOWNSAMPLE_METHODS)}")
    return method.lower()


def downsample_args(x: Any, factor: Any, method: Any, axes: Any, border: Any, value: Any) -> DownsampleArgs:
    """Validated arguments of downsample (x: an array, or a shape proxy of a Dask array)."""
    m = downsample_method(method)
    a = as_array(x, "x")
    a = check_dtype(a, "x", IMAGE_DTYPES if m in ("gaussian", "mean") else SELECT_DTYPES)
    ax = downsample_axes(axes, a.ndim)
    check_nonempty(a, "x")
    b = parse_border(border)
    v = border_value(value, a.dtype) if a.dtype.kind in "uif" and a.dtype != np.bool_ else 0.0
    return DownsampleArgs(a, ax, downsample_factors(factor, ax, m), m, b, v)


def downsample_shape(shape: Sequence[int], factors: Sequence[int]) -> Tuple[int, ...]:
    """ceil(n / f) per axis."""
    return tuple(-(-n // f) for n, f in zip(shape, factors))


def multiscale_factors(shape: Sequence[int], factors: Sequence[int], levels: Any, min_size: Any) -> List[Tuple[int, ...]]:
    """The per-axis factors from each level to the next: an axis at or below min_size keeps
    its size (factor 1); levels=None goes on until every shrinking axis has reached it."""
    if isinstance(min_size, bool) or not isinstance(min_size, numbers.Integral) or min_size < 1:
        raise ValueError(f"min_size: expected an integer >= 1, got {min_size!r}")
    if levels is not None and (isinstance(levels, bool) or not isinstance(levels, numbers.Integral)
                               or not 1 <= levels <= 64):
        raise ValueError(f"levels: expected an integer in [1, 64] (level 0, the input, included) or None, "
                         f"got {levels!r}")
    steps, cur = [], tuple(shape)
    while len(steps) + 1 < (levels if levels is not None else 65):
        fs = tuple(f if f > 1 and n > min_size else 1 for n, f in zip(cur, factors))
        if levels is None and all(f == 1 for f in fs):
            break
        steps.append(fs)
        cur = downsample_shape(cur, fs)
    return steps
