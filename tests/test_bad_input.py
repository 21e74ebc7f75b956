"""Bad input raises TypeError / ValueError naming the argument; nothing crashes."""
import os

import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref

OPS = [pk.pyr_down, pk.pyr_up, ref.pyr_down, ref.pyr_up]
IMG = np.zeros((8, 9), np.uint8)


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__module__ + "." + f.__name__)
@pytest.mark.parametrize("bad, exc, match", [
    ([[1, 2], [3, 4]], TypeError, "img"),
    (3.0, TypeError, "img"),
    ("abc", TypeError, "img"),
    (None, TypeError, "img"),
    (np.zeros((4, 4), np.int32), TypeError, "img: dtype int32"),
    (np.zeros((4, 4), np.int64), TypeError, "img: dtype int64"),
    (np.zeros((4, 4), bool), TypeError, "img: dtype bool"),
    (np.zeros((4, 4), np.complex64), TypeError, "img: dtype complex64"),
    (np.zeros((4, 4), object), TypeError, "img: dtype object"),
    (np.array([["a", "b"]]), TypeError, "img: dtype"),
    (np.zeros(5, np.uint8), ValueError, "img: expected a 2-D"),
    (np.zeros((2, 2, 2, 2, 2), np.uint8), ValueError, "img: expected a 2-D"),
    (np.zeros((0, 4), np.uint8), ValueError, "img: array is empty"),
    (np.zeros((4, 0, 3), np.float32), ValueError, "img: array is empty"),
])
def test_bad_images(op, bad, exc, match):
    with pytest.raises(exc, match=match):
        op(bad)


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__module__ + "." + f.__name__)
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(border="mirror_x"), ValueError, "border: unknown border"),
    (dict(border=7), ValueError, "border: unknown border"),
    (dict(border=None), ValueError, "border: unknown border"),
    (dict(layout="WH"), ValueError, "layout: unknown layout"),
    (dict(layout="NCHW"), ValueError, "img: layout 'NCHW' needs a 4-D"),
    (dict(layout=3), ValueError, "layout: unknown layout"),
    (dict(dst_size=(4,)), ValueError, "dst_size: expected a"),
    (dict(dst_size=5), ValueError, "dst_size: expected a"),
    (dict(dst_size=(4.0, 5.0)), TypeError, "dst_size: expected integer"),
    (dict(dst_size=(0, 5)), ValueError, "dst_size"),
    (dict(dst_size=(-4, 5)), ValueError, "dst_size"),
    (dict(dst_size=(100, 5)), ValueError, "dst_size"),
    (dict(border="constant", value="x"), TypeError, "value"),
    (dict(border="constant", value=float("nan")), ValueError, "value"),
])
def test_bad_parameters(op, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        op(IMG, **kwargs)


def test_dst_size_rules():
    with pytest.raises(ValueError, match=r"\|2\*dst - src\| <= 2"):
        pk.pyr_down(IMG, dst_size=(2, 5))
    with pytest.raises(ValueError, match=r"2\*src"):
        pk.pyr_up(IMG, dst_size=(14, 18))  # 14 is even but not 2*8
    with pytest.raises(ValueError, match="dst_size"):
        pk.pyr_up(IMG, dst_size=(16, 20))
    pk.pyr_up(IMG, dst_size=(17, 17))
    pk.pyr_up(IMG, dst_size=(15, 19))


@pytest.mark.parametrize("op", [pk.pyr_down, pk.pyr_up])
def test_bad_out(op):
    good = op(IMG)
    with pytest.raises(TypeError, match="out: dtype"):
        op(IMG, out=np.empty(good.shape, np.float32))
    with pytest.raises(ValueError, match="out: shape"):
        op(IMG, out=np.empty((3, 3), np.uint8))
    ro = np.empty_like(good)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out: array is read-only"):
        op(IMG, out=ro)
    with pytest.raises(TypeError, match="out: expected a NumPy array"):
        op(IMG, out=[[0]])


def test_out_overlapping_input():
    buf = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match="out: array overlaps the input"):
        pk.pyr_down(buf, out=buf[:4, :4])
    buf2 = np.zeros((16, 16), np.uint8)
    with pytest.raises(ValueError, match="out: array overlaps the input"):
        pk.pyr_up(buf2[:8, :8], out=buf2)


def _huge(shape, dtype):
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape=shape, strides=(0,) * len(shape))


def test_sizes_that_would_overflow():
    with pytest.raises(ValueError, match="would need .* bytes"):
        pk.pyr_up(_huge((2**28, 2**28, 16), np.uint8))
    with pytest.raises(ValueError, match="would need .* bytes"):
        ref.pyr_up(_huge((2**28, 2**28, 16), np.uint8))
    # a result that fits int64 but not in memory is a MemoryError from the allocation
    with pytest.raises((ValueError, MemoryError)):
        pk.pyr_down(_huge((2**28, 2**28, 16), np.uint8))


def test_read_only_input_is_fine():
    a = np.ones((6, 6), np.float32)
    a.flags.writeable = False
    np.testing.assert_array_equal(pk.pyr_down(a), np.ones((3, 3), np.float32))


def test_non_native_byte_order():
    a = np.arange(30, dtype=">f4").reshape(5, 6)
    np.testing.assert_array_equal(pk.pyr_down(a), pk.pyr_down(a.astype(np.float32)))


# Sizes that no machine could hold, or not this one: each op checks its output's size (and
# the tables proportional to it) before it allocates anything, and raises with the size.
# Each case runs in a child process whose address space is capped, so a check that comes
# too late fails the test (MemoryError from NumPy without the op's message, or a crash)
# instead of taking this machine's memory.
_CAPPED = """
import resource, sys
import numpy as np, pyramidkit as pk
with open("/proc/self/statm") as f:   # 3 GiB above what is mapped now (a sanitizer's runtime maps terabytes)
    cap = int(f.read().split()[0]) * resource.getpagesize() + (3 << 30)
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
def huge(shape, dtype=np.float32):
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape=shape, strides=(0,) * len(shape))
m4 = np.zeros((1, 1, 4, 4), np.float32)
w3 = np.zeros((1, 1, 3, 3), np.float32)
try:
    r = eval(sys.argv[1])
    print("returned", getattr(r, "shape", type(r).__name__))
except (ValueError, MemoryError, TypeError) as e:
    print(type(e).__name__, e)
"""

_SIZE_CASES = {
    # (expression, exception, a fragment of its message)
    "interpolate_2_31": ("pk.interpolate(m4, size=(2**31, 2**31))", "ValueError", "would need"),
    "interpolate_tall": ("pk.interpolate(m4, size=(2**40, 4))", "MemoryError", "coordinate tables would need"),
    "interpolate_over_this_machine": ("pk.interpolate(m4, size=(2**16, 2**16))", "MemoryError",
                                      "more than this machine's memory"),
    "interpolate_scale": ("pk.interpolate(m4, scale_factor=1e9)", "ValueError", "would need"),
    "resize_2_31": ("pk.resize(np.zeros((4, 4), np.uint8), (2**31, 2**31))", "ValueError", "would need"),
    "resize_tall": ("pk.resize(np.zeros((4, 4), np.uint8), (2**40, 4))", "MemoryError", "would need"),
    "resize_scale": ("pk.resize(np.zeros((4, 4, 3), np.uint8), scale=1e8)", "MemoryError", "would need"),
    "pyr_up_dst_size": ("pk.pyr_up(np.zeros((4, 4), np.uint8), dst_size=(2**31, 2**31))", "ValueError", "dst_size"),
    "pyr_up_huge_input": ("pk.pyr_up(huge((2**20, 2**20)))", "MemoryError", "would need"),
    "gaussian_pyramid_huge_input": ("pk.gaussian_pyramid(huge((2**20, 2**20)), 3)", "MemoryError", "would need"),
    "conv_transpose2d_stride": ("pk.conv_transpose2d(m4, w3, stride=2**30)", "ValueError", "would need"),
    "conv_transpose2d_output_padding": ("pk.conv_transpose2d(m4, w3, stride=2**20, output_padding=2**20 - 1)",
                                        "MemoryError", "would need"),
    "conv_transpose2d_dilation": ("pk.conv_transpose2d(m4, w3, dilation=2**31)", "ValueError", "would need"),
    "conv2d_padding": ("pk.conv2d(m4, w3, padding=2**31)", "ValueError", "would need"),
    "conv2d_padding_over_this_machine": ("pk.conv2d(m4, w3, padding=2**15)", "MemoryError", "would need"),
    "max_pool2d_padding": ("pk.max_pool2d(huge((1, 1, 2**20, 2**20)), 2, 1)", "MemoryError", "would need"),
    "max_unpool2d_kernel": ("pk.max_unpool2d(m4, np.zeros((1, 1, 4, 4), np.int64), 2**31)", "ValueError",
                            "would need"),
    "max_unpool2d_stride": ("pk.max_unpool2d(m4, np.zeros((1, 1, 4, 4), np.int64), 2, 2**14)", "MemoryError",
                            "would need"),
    "adaptive_avg_pool2d": ("pk.adaptive_avg_pool2d(m4, (2**31, 2**31))", "ValueError", "would need"),
    "adaptive_max_pool2d_tall": ("pk.adaptive_max_pool2d(m4, (2**40, 1), return_indices=True)", "MemoryError",
                                 "would need"),
    "spatial_pyramid_pool": ("pk.spatial_pyramid_pool(m4, (1, 2**31))", "ValueError", "levels: an array"),
    "pyramid_pool": ("pk.pyramid_pool(m4, (1, 2**20))", "MemoryError", "bins:"),
    "gaussian_blur_sigma": ("pk.gaussian_blur(np.zeros((4, 4), np.float32), 1e12)", "ValueError", "taps"),
    "dog_pyramid_scales": ("pk.dog_pyramid(np.zeros((16, 16), np.uint8), scales=2**30)", "MemoryError",
                           "Gaussians and"),
    "gaussian_pyramid_levels": ("pk.gaussian_pyramid(np.zeros((4, 4), np.uint8), 2**40)", "ValueError", "levels"),
    "multiscale_levels": ("pk.multiscale(np.zeros((4, 4), np.uint8), levels=2**40)", "ValueError", "levels"),
}


# Linux only (/proc, RLIMIT_AS); not under a sanitizer's preloaded runtime, whose shadow
# mappings make an address-space cap meaningless.
_LINUX = pytest.mark.skipif(not os.path.exists("/proc/self/statm") or "asan" in os.environ.get("LD_PRELOAD", ""),
                            reason="caps the address space (Linux, no sanitizer)")


@_LINUX
@pytest.mark.parametrize("case", sorted(_SIZE_CASES))
def test_huge_outputs_raise_before_allocating(case):
    import subprocess
    import sys
    expr, exc, fragment = _SIZE_CASES[case]
    p = subprocess.run([sys.executable, "-c", _CAPPED, expr], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{case}: exit {p.returncode}: {p.stderr[-500:]}"
    out = p.stdout.strip()
    assert out.startswith(exc + " ") and fragment in out, f"{case}: {out}"
    if exc == "MemoryError":
        assert "bytes" in out and "Unable to allocate" not in out, out   # the op's own message, with the size


@_LINUX
@pytest.mark.parametrize("method", ["mean", "nearest", "mode", "min", "max"])
def test_downsample_factors_longer_than_the_image(method):
    """A factor beyond the axis (up to 2**62 and past int64) is the whole axis: no crash, no
    padding to its multiple, the same result as the axis' own length."""
    import subprocess
    import sys
    x = "np.arange(35, dtype=np.uint8).reshape(5, 7)"
    for f in ("2**62", "2**70", "(2**40, 3)"):
        expr = (f"(pk.downsample({x}, {f}, method={method!r}), "
                f"pk.downsample({x}, tuple(min(a, n) for a, n in zip(({f},) * 2 if isinstance({f}, int) else {f}, "
                f"(5, 7))), method={method!r}))")
        code = _CAPPED.replace('print("returned", getattr(r, "shape", type(r).__name__))',
                               'print("returned", np.array_equal(*r), r[0].shape)')
        p = subprocess.run([sys.executable, "-c", code, expr], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-500:]
        assert p.stdout.strip().startswith("returned True"), (f, p.stdout)
    np.testing.assert_array_equal(pk.downsample(np.arange(35, dtype=np.uint8).reshape(5, 7), 2**62, method=method),
                                  ref.downsample(np.arange(35, dtype=np.uint8).reshape(5, 7), 2**62, method=method))
