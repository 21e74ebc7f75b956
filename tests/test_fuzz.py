"""Every public array op against the same matrix of bad first arguments, and a bounded
hypothesis fuzz of their other arguments: the only outcomes allowed are a result or a
TypeError / ValueError (never another exception, never a crash)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pyramidkit as pk

IMG = np.random.default_rng(0).integers(0, 256, (12, 14), dtype=np.uint8)
MAP = np.random.default_rng(1).standard_normal((1, 3, 10, 12)).astype(np.float32)

# op -> (call with the array argument `a`, a valid array for it)
OPS = {
    "pyr_down": (lambda a: pk.pyr_down(a), IMG),
    "pyr_up": (lambda a: pk.pyr_up(a), IMG),
    "gaussian_pyramid": (lambda a: pk.gaussian_pyramid(a, 3), IMG),
    "laplacian_pyramid": (lambda a: pk.laplacian_pyramid(a, 3), IMG),
    "reconstruct_laplacian": (lambda a: pk.reconstruct_laplacian([a]), IMG),
    "gaussian_blur": (lambda a: pk.gaussian_blur(a, 1.5), IMG),
    "dog_pyramid": (lambda a: pk.dog_pyramid(a, octaves=1), IMG),
    "resize": (lambda a: pk.resize(a, (5, 7)), IMG),
    "interpolate": (lambda a: pk.interpolate(a, scale_factor=2), MAP),
    "conv_transpose2d": (lambda a: pk.conv_transpose2d(a, np.ones((3, 2, 3, 3), np.float32)), MAP),
    "max_pool2d": (lambda a: pk.max_pool2d(a, 2), MAP),
    "avg_pool2d": (lambda a: pk.avg_pool2d(a, 2), MAP),
    "adaptive_avg_pool2d": (lambda a: pk.adaptive_avg_pool2d(a, 3), MAP),
    "adaptive_max_pool2d": (lambda a: pk.adaptive_max_pool2d(a, 3), MAP),
    "max_unpool2d": (lambda a: pk.max_unpool2d(a, np.zeros(np.shape(a), np.int64), 2), MAP),
    "spatial_pyramid_pool": (lambda a: pk.spatial_pyramid_pool(a), MAP),
    "pyramid_pool": (lambda a: pk.pyramid_pool(a), MAP),
}

BAD = {
    "list": [[1, 2], [3, 4]],
    "scalar": 3.0,
    "string": "abc",
    "none": None,
    "object array": np.zeros((1, 3, 4, 4), object),
    "string array": np.full((1, 3, 4, 4), "a"),
    "complex": np.zeros((1, 3, 4, 4), np.complex64),
    "bool": np.zeros((1, 3, 4, 4), bool),
    "int64": np.zeros((1, 3, 4, 4), np.int64),
    "1-D": np.zeros(16, np.float32),
    "0-size": np.zeros((1, 3, 0, 4), np.float32),
    "5-D": np.zeros((1, 1, 3, 4, 4), np.float32),
}


@pytest.mark.parametrize("bad", list(BAD), ids=str)
@pytest.mark.parametrize("op", list(OPS), ids=str)
def test_bad_array_arguments(op, bad):
    call, _ = OPS[op]
    with pytest.raises((TypeError, ValueError), match=r"^(img|input): "):  # the message names the argument
        call(BAD[bad])


@pytest.mark.parametrize("op", list(OPS), ids=str)
def test_views_and_special_values(op):
    """Negative strides, non-contiguous views and NaN / Inf values are results, not crashes."""
    call, good = OPS[op]
    views = [good[..., ::-1], good[..., ::2, :], np.asfortranarray(good)]
    if good.dtype.kind == "f":
        special = good.copy()
        special.flat[::3] = np.nan
        special.flat[1::5] = np.inf
        special.flat[2::7] = -np.inf
        views.append(special)
    for v in views:
        try:
            call(v)
        except ValueError:  # e.g. a view too small for the op's own size rules
            pass


# ---------------------------------------------------------------- hypothesis fuzz

# Small values, and extremes that must be refused (sizes overflowing or far beyond memory);
# no mid-sized integers, which could be valid multi-GB requests.
values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 9), st.sampled_from([-2**62, -2**31, 2**40, 2**62]),
    st.floats(allow_nan=False, max_value=20.0, min_value=-5.0), st.sampled_from([float("nan"), float("inf"), 1e300]),
    st.text(max_size=4), st.tuples(st.integers(-2, 6), st.integers(-2, 6)),
    st.tuples(st.integers(-2, 6), st.integers(-2, 6), st.integers(-2, 6)), st.lists(st.integers(-1, 4), max_size=3))

ARGS = {
    "pyr_down": (lambda kw: pk.pyr_down(IMG, **kw), ["dst_size", "border", "layout", "value"]),
    "pyr_up": (lambda kw: pk.pyr_up(IMG, **kw), ["dst_size", "border", "layout", "value"]),
    "gaussian_blur": (lambda kw: pk.gaussian_blur(IMG, kw.pop("sigma", 1.0), **kw), ["sigma", "ksize", "border"]),
    "resize": (lambda kw: pk.resize(IMG, kw.pop("size", None), **kw), ["size", "scale", "mode", "coordinates"]),
    "interpolate": (lambda kw: pk.interpolate(MAP, **kw), ["size", "scale_factor", "mode", "align_corners"]),
    "conv_transpose2d": (lambda kw: pk.conv_transpose2d(MAP, np.ones((3, 2, 2, 2), np.float32), **kw),
                         ["stride", "padding", "output_padding", "groups", "dilation"]),
    "max_pool2d": (lambda kw: pk.max_pool2d(MAP, kw.pop("kernel_size", 2), **kw),
                   ["kernel_size", "stride", "padding", "dilation", "ceil_mode"]),
    "avg_pool2d": (lambda kw: pk.avg_pool2d(MAP, kw.pop("kernel_size", 2), **kw),
                   ["kernel_size", "stride", "padding", "count_include_pad", "divisor_override"]),
    "adaptive_max_pool2d": (lambda kw: pk.adaptive_max_pool2d(MAP, kw.pop("output_size", 2), **kw),
                            ["output_size", "layout"]),
    "max_unpool2d": (lambda kw: pk.max_unpool2d(MAP, np.zeros(MAP.shape, np.int64), kw.pop("kernel_size", 2), **kw),
                     ["kernel_size", "stride", "padding", "output_size"]),
    "spatial_pyramid_pool": (lambda kw: pk.spatial_pyramid_pool(MAP, **kw), ["levels", "mode"]),
    "pyramid_pool": (lambda kw: pk.pyramid_pool(MAP, **kw), ["bins", "mode", "align_corners"]),
}


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(op=st.sampled_from(sorted(ARGS)), data=st.data())
def test_fuzz_arguments(op, data):
    call, names = ARGS[op]
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    kw = {name: data.draw(values, label=name) for name in chosen}
    try:
        with np.errstate(all="ignore"):
            call(dict(kw))
    except (TypeError, ValueError):
        pass
    except MemoryError:  # a valid request for an output too large for this machine
        pass


# ---------------------------------------------------------------- out= arguments

OUT_OPS = {
    "pyr_down": (lambda a, out: pk.pyr_down(a, out=out), IMG),
    "pyr_up": (lambda a, out: pk.pyr_up(a, out=out), IMG),
    "gaussian_blur": (lambda a, out: pk.gaussian_blur(a, 1.2, out=out), IMG),
    "resize": (lambda a, out: pk.resize(a, (6, 7), out=out), IMG),
    "max_unpool2d": (lambda a, out: pk.max_unpool2d(a, np.zeros(a.shape, np.int64), 1, out=out), MAP),
    "pyramid_pool": (lambda a, out: pk.pyramid_pool(a, bins=(1, 2), out=out), MAP),
}


@pytest.mark.parametrize("op", list(OUT_OPS), ids=str)
def test_bad_out_arrays(op):
    call, a = OUT_OPS[op]
    good = call(a, None)
    assert call(a, np.empty_like(good)) is not None
    wrong_dtype = np.float64 if good.dtype != np.float64 else np.float32
    with pytest.raises(TypeError, match="out"):
        call(a, np.empty(good.shape, wrong_dtype))
    with pytest.raises(ValueError, match="out"):
        call(a, np.empty(good.shape[:-1] + (good.shape[-1] + 1,), good.dtype))
    ro = np.empty_like(good)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        call(a, ro)
    with pytest.raises(TypeError, match="out"):
        call(a, good.tolist())
    if good.shape == a.shape:  # the input itself as out: overlapping
        with pytest.raises(ValueError, match="overlap"):
            call(a, a)
