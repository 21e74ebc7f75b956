"""Every _core entry re-checks what protects memory: called directly with wrong sizes,
shapes, dtypes or strides, it raises instead of reading or writing out of bounds."""
import numpy as np
import pytest

from pyramidkit import _core

NT = 1


def v5(a):
    """A (H, W) array as the kernels' 5-D plane view."""
    return a[None, None, :, :, None]


def img(h, w, dtype=np.float32):
    return v5(np.zeros((h, w), dtype))


@pytest.mark.parametrize("dst_hw", [(1, 3), (5, 3), (3, 1), (3, 5), (6, 3)])
def test_pyr_down_dst_size(dst_hw):
    with pytest.raises(ValueError, match="pyr_down"):
        _core.pyr_down(img(6, 6), img(*dst_hw), 4, 0.0, NT)


@pytest.mark.parametrize("dst_hw", [(8, 10), (13, 10), (7, 10), (10, 12)])
def test_pyr_up_dst_size(dst_hw):
    with pytest.raises(ValueError, match="pyr_up"):
        _core.pyr_up(img(5, 5), img(*dst_hw), 4, 0.0, NT)


def test_pyr_shapes_dtypes_strides():
    with pytest.raises(TypeError):
        _core.pyr_down(img(6, 6), img(3, 3, np.float64), 4, 0.0, NT)
    with pytest.raises(ValueError):
        _core.pyr_down(img(6, 6)[..., 0], img(3, 3)[..., 0], 4, 0.0, NT)          # not 5-D
    with pytest.raises(ValueError):
        _core.pyr_down(v5(np.zeros((6, 12), np.float32)[:, ::2]), img(3, 3), 4, 0.0, NT)  # strided pixels
    with pytest.raises(ValueError):
        _core.pyr_down(img(6, 6), np.zeros((2, 1, 3, 3, 1), np.float32), 4, 0.0, NT)  # plane counts
    ro = img(3, 3)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        _core.pyr_down(img(6, 6), ro, 4, 0.0, NT)
    with pytest.raises(ValueError):
        _core.pyr_down(img(6, 6), img(3, 3), 9, 0.0, NT)                           # border code


def test_pyramids_level_sizes():
    with pytest.raises(ValueError):
        _core.gaussian_pyramid(img(8, 8), [img(4, 4), img(3, 2)], 4, 0.0, NT)
    with pytest.raises(ValueError):
        _core.laplacian_pyramid(img(8, 8), [img(4, 4)], [img(8, 7)], 4, 0.0, NT)
    with pytest.raises(TypeError):
        _core.laplacian_pyramid(img(8, 8, np.uint8), [img(4, 4, np.uint8)], [img(8, 8, np.uint8)], 4, 0.0, NT)
    with pytest.raises(ValueError):
        _core.reconstruct_laplacian([img(8, 8)], img(2, 2), [img(8, 8)], 4, 0.0, NT)
    with pytest.raises(ValueError):
        _core.reconstruct_laplacian([img(8, 8)], img(4, 4), [img(8, 9)], 4, 0.0, NT)


def test_blur_sizes_and_taps():
    k = np.array([0.25, 0.5, 0.25])
    with pytest.raises(ValueError):
        _core.gaussian_blur(img(8, 8), img(8, 7), k, k, 0, 4, 0.0, NT)
    with pytest.raises(ValueError):
        _core.gaussian_blur(img(8, 8), img(8, 8), np.ones(4) / 4, k, 0, 4, 0.0, NT)  # even length
    with pytest.raises(ValueError):
        _core.gaussian_blur(img(8, 8), img(8, 8), np.array([0.2, 0.5, 0.3]), k, 0, 4, 0.0, NT)  # asymmetric
    with pytest.raises(ValueError):
        _core.gaussian_blur(img(8, 8, np.uint8), img(8, 8, np.uint8), k, k, 0, 4, 0.0, NT)  # uint8 needs shift 16


def test_resample_tables():
    src, dst = img(4, 4), img(8, 8)
    iy = np.zeros((8, 2), np.int32)
    w = np.full((8, 2), 0.5)
    with pytest.raises(ValueError, match="out of range"):
        _core.resample(src, dst, iy + 4, w, iy, w, NT)
    with pytest.raises(ValueError):
        _core.resample(src, dst, iy[:7], w[:7], iy, w, NT)
    with pytest.raises(ValueError):
        _core.resample(src, dst, iy, w[:, :1], iy, w, NT)


def test_conv_transpose2d_shapes():
    x = np.zeros((1, 2, 4, 4), np.float32)
    w = np.zeros((2, 3, 3, 3), np.float32)
    good = np.zeros((1, 3, 6, 6), np.float32)
    _core.conv_transpose2d(x, w, None, good, [1, 1], [0, 0], [1, 1], 1, NT)
    for out in (np.zeros((1, 3, 7, 6), np.float32), np.zeros((1, 3, 5, 6), np.float32),
                np.zeros((1, 4, 6, 6), np.float32), np.zeros((2, 3, 6, 6), np.float32)):
        with pytest.raises(ValueError):
            _core.conv_transpose2d(x, w, None, out, [1, 1], [0, 0], [1, 1], 1, NT)
    with pytest.raises(ValueError):
        _core.conv_transpose2d(x, w, np.zeros(2, np.float32), good, [1, 1], [0, 0], [1, 1], 1, NT)
    with pytest.raises(ValueError):
        _core.conv_transpose2d(x, w[:, :, :, ::-1], None, good, [1, 1], [0, 0], [1, 1], 1, NT)
    with pytest.raises(TypeError):
        _core.conv_transpose2d(x.astype(np.float16), w, None, good, [1, 1], [0, 0], [1, 1], 1, NT)


def test_pool_windows():
    src, dst = img(4, 4), img(2, 2)
    start, count = np.array([0, 2], np.int32), np.array([2, 2], np.int32)
    f = np.ones(2, np.int64)
    ok = (start, count, 1, 2, 2)
    _core.pool(src, dst, None, ok, ok, False, f, f, 0, NT)
    for bad in ((start + 1, count, 1, 2, 2), (start, count + 1, 1, 2, 2), (start, count, 3, 2, 2),
                (start[:1], count[:1], 1, 2, 2)):
        with pytest.raises(ValueError):
            _core.pool(src, dst, None, bad, ok, False, f, f, 0, NT)
    with pytest.raises(ValueError):
        _core.pool(src, dst, img(2, 3, np.int64), ok, ok, False, f, f, 0, NT)   # indices shape
    with pytest.raises(ValueError):
        _core.pool(src, dst, None, ok, ok, True, f[:1], f, 0, NT)               # divisor tables
    with pytest.raises(TypeError):
        _core.pool(img(4, 4, np.uint16), img(2, 2, np.uint16), None, ok, ok, False, f, f, 0, NT)  # no kernel


def test_max_unpool2d_shapes():
    src, idx = img(2, 2), img(2, 2, np.int64)
    with pytest.raises(ValueError):
        _core.max_unpool2d(src, img(2, 3, np.int64), img(4, 4), NT)
    with pytest.raises(TypeError):
        _core.max_unpool2d(src, img(2, 2, np.int32), img(4, 4), NT)
    # out-of-range indices are counted, never written
    assert _core.max_unpool2d(src, v5(np.full((2, 2), 99, np.int64)), img(4, 4), NT) == 4
    assert _core.max_unpool2d(src, idx, img(4, 4), NT) == 0


def test_codes_exported():
    assert _core.BORDERS == {"constant": 0, "replicate": 1, "reflect": 2, "wrap": 3, "reflect101": 4}
    assert _core.BAND_DTYPES["uint8"] == "int16" and _core.BAND_DTYPES["float16"] == "float32"
    assert _core.all_isas()[0] == "baseline"
    assert set(_core.compiled_isas()) <= set(_core.all_isas())


def test_downsample_sizes_and_factors():
    src = np.zeros((1, 5, 6, 7, 2), np.uint16)
    ok = np.zeros((1, 3, 3, 4, 2), np.uint16)
    _core.downsample(src, ok, 2, 2, 2, True, 4, 0.0, NT)
    for bad in [np.zeros((1, 2, 3, 4, 2), np.uint16), np.zeros((1, 3, 3, 4, 1), np.uint16),
                np.zeros((2, 3, 3, 4, 2), np.uint16), np.zeros((1, 3, 3, 3, 2), np.uint16)]:
        with pytest.raises(ValueError, match="src/dst"):
            _core.downsample(src, bad, 2, 2, 2, True, 4, 0.0, NT)
    with pytest.raises(ValueError, match="factors"):
        _core.downsample(src, np.zeros((1, 2, 2, 3, 2), np.uint16), 3, 3, 3, True, 4, 0.0, NT)
    with pytest.raises(ValueError, match="factors"):
        _core.downsample(src, ok, 0, 2, 2, False, 4, 0.0, NT)
    with pytest.raises(TypeError):
        _core.downsample(src, ok.astype(np.uint8), 2, 2, 2, False, 4, 0.0, NT)
    with pytest.raises(ValueError, match="read-only"):
        ro = ok.copy()
        ro.flags.writeable = False
        _core.downsample(src, ro, 2, 2, 2, False, 4, 0.0, NT)
