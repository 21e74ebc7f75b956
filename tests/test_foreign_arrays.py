"""Arrays from other libraries: every op reads a CPU torch tensor (or any object with
__dlpack__, __array__ or the buffer protocol) in place, without a copy, and gives the same
result as for the NumPy array; what cannot be read in place raises a TypeError that says why."""
import array
import tracemalloc

import numpy as np
import pytest

import pyramidkit as pk
from pyramidkit._args import as_array

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
U8 = RNG.integers(0, 256, (37, 50), dtype=np.uint8)
RGB = RNG.integers(0, 256, (33, 28, 3), dtype=np.uint8)
F32 = RNG.standard_normal((29, 40)).astype(np.float32)
NCHW = RNG.standard_normal((2, 3, 17, 20)).astype(np.float32)
W3 = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
B4 = RNG.standard_normal(4).astype(np.float32)
WT = RNG.standard_normal((3, 2, 4, 4)).astype(np.float32)
VOL = RNG.integers(0, 4096, (9, 14, 11), dtype=np.uint16)


def _unpool_inputs():
    y, idx = pk.max_pool2d(NCHW, 2, return_indices=True)
    return y, idx


POOLED, INDICES = _unpool_inputs()
LAP = pk.laplacian_pyramid(F32, 3)

# name -> (op, positional arrays, keyword arguments): each op over every array argument.
CASES = {
    "pyr_down": (pk.pyr_down, [U8], {}),
    "pyr_down_rgb": (pk.pyr_down, [RGB], {}),
    "pyr_up": (pk.pyr_up, [F32], {}),
    "gaussian_pyramid": (pk.gaussian_pyramid, [U8], dict(levels=3)),
    "laplacian_pyramid": (pk.laplacian_pyramid, [F32], dict(levels=3)),
    "gaussian_blur": (pk.gaussian_blur, [RGB], dict(sigma=1.5)),
    "dog_pyramid": (pk.dog_pyramid, [F32], dict(octaves=2)),
    "downsample": (pk.downsample, [VOL], dict(axes="zyx", method="mean")),
    "multiscale": (pk.multiscale, [VOL], dict(axes="zyx", levels=2)),
    "resize": (pk.resize, [RGB], dict(size=(19, 23), mode="bilinear")),
    "interpolate": (pk.interpolate, [NCHW], dict(scale_factor=2, mode="bilinear")),
    "conv2d": (pk.conv2d, [NCHW, W3, B4], dict(padding=1)),
    "conv_transpose2d": (pk.conv_transpose2d, [NCHW, WT], dict(stride=2)),
    "max_pool2d": (pk.max_pool2d, [NCHW], dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    "avg_pool2d": (pk.avg_pool2d, [NCHW], dict(kernel_size=2)),
    "adaptive_avg_pool2d": (pk.adaptive_avg_pool2d, [NCHW], dict(output_size=(5, 3))),
    "adaptive_max_pool2d": (pk.adaptive_max_pool2d, [NCHW], dict(output_size=4)),
    "max_unpool2d": (pk.max_unpool2d, [POOLED, INDICES], dict(kernel_size=2)),
    "spatial_pyramid_pool": (pk.spatial_pyramid_pool, [NCHW], dict(levels=(1, 2, 4))),
    "pyramid_pool": (pk.pyramid_pool, [NCHW], dict(bins=(1, 2, 3))),
}


def _leaves(r):
    """The arrays of a result (an array, a tuple / list of them, a DogPyramid)."""
    if isinstance(r, np.ndarray):
        return [r]
    if hasattr(r, "gaussians"):
        return _leaves(list(r.gaussians)) + _leaves(list(r.dogs))
    out = []
    for x in r:
        out += _leaves(x)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_torch_tensor_input_equals_numpy(name):
    op, arrays, kw = CASES[name]
    want = _leaves(op(*arrays, **kw))
    got = _leaves(op(*[torch.from_numpy(a.copy()) for a in arrays], **kw))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g) is np.ndarray and g.dtype == w.dtype and np.array_equal(g, w)


def test_reconstruct_laplacian_from_tensors():
    want = pk.reconstruct_laplacian(LAP)
    got = pk.reconstruct_laplacian([torch.from_numpy(x.copy()) for x in LAP])
    assert np.array_equal(got, want)


def test_aspp_functional_tensors():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 4, 12, 12)).astype(np.float32)
    branch = [rng.standard_normal((2, 4, 1, 1)).astype(np.float32)] + \
             [rng.standard_normal((2, 4, 3, 3)).astype(np.float32) for _ in range(2)]
    pool_w = rng.standard_normal((2, 4, 1, 1)).astype(np.float32)
    proj = rng.standard_normal((2, 8, 1, 1)).astype(np.float32)
    want = pk.aspp(x, branch, None, pool_w, None, proj, None, rates=(2, 3))
    t = torch.from_numpy
    got = pk.aspp(t(x.copy()), [t(b.copy()) for b in branch], None, t(pool_w.copy()), None, t(proj.copy()), None,
                  rates=(2, 3))
    assert np.array_equal(got, want)


@pytest.mark.parametrize("view", ["contiguous", "rows", "columns", "transposed", "offset"])
def test_tensor_memory_read_in_place(view):
    base = torch.arange(24 * 30, dtype=torch.float32).reshape(24, 30)
    t = {"contiguous": base, "rows": base[::2], "columns": base[:, ::3], "transposed": base.t(),
         "offset": base[3:, 5:]}[view]
    a = as_array(t, "img")
    assert a.ctypes.data == t.data_ptr()
    assert a.strides == tuple(s * t.element_size() for s in t.stride())
    assert np.array_equal(pk.pyr_down(t), pk.pyr_down(t.numpy().copy()))


def test_no_copy_of_the_input():
    """A 16 MB tensor costs the op no allocation that the NumPy array does not (tracemalloc
    sees NumPy's buffers: a copy of the input would be 16 MB)."""
    a = RNG.standard_normal((2048, 2048)).astype(np.float32)
    t = torch.from_numpy(a.copy())

    def peak(x):
        tracemalloc.start()
        try:
            pk.gaussian_blur(x, sigma=1.0)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(a), peak(t)  # warm both paths
    assert peak(t) < peak(a) + (1 << 20)


def test_out_tensor_written_in_place():
    out = torch.zeros(19, 25, dtype=torch.uint8)
    r = pk.pyr_down(torch.from_numpy(U8.copy()), out=out)
    assert r.ctypes.data == out.data_ptr()
    assert np.array_equal(out.numpy(), pk.pyr_down(U8))
    # the documented way back to torch, also without a copy
    back = torch.from_numpy(pk.pyr_down(U8))
    assert np.array_equal(back.numpy(), pk.pyr_down(U8))


def test_requires_grad_says_detach():
    t = torch.zeros(8, 8, requires_grad=True)
    with pytest.raises(TypeError, match=r"img: the tensor requires grad.*img\.detach\(\)"):
        pk.pyr_down(t)
    with pytest.raises(TypeError, match=r"input: the tensor requires grad"):
        pk.max_pool2d(torch.zeros(1, 1, 4, 4, requires_grad=True), 2)
    assert np.array_equal(pk.pyr_down(t.detach()), np.zeros((4, 4), np.float32))


def test_unsupported_tensor_dtype():
    with pytest.raises(TypeError, match="img"):
        pk.pyr_down(torch.zeros(8, 8, dtype=torch.bfloat16))
    with pytest.raises(TypeError, match="img: dtype int64"):
        pk.pyr_down(torch.zeros(8, 8, dtype=torch.int64))


def test_meta_tensor_has_no_memory():
    with pytest.raises(TypeError, match="img: .*runs on the CPU"):
        pk.pyr_down(torch.zeros(8, 8, device="meta"))


class _DLPackOnly:
    """An array object that offers only DLPack, on the device it is told."""

    def __init__(self, a, device=(1, 0)):
        self._a, self._device = a, device

    def __dlpack__(self, **kw):
        return self._a.__dlpack__(**kw)

    def __dlpack_device__(self):
        return self._device


def test_dlpack_only_object_read_in_place():
    a = F32.copy()
    x = _DLPackOnly(a)
    v = as_array(x, "img")
    assert v.ctypes.data == a.ctypes.data
    assert np.array_equal(pk.pyr_down(x), pk.pyr_down(a))


def test_gpu_memory_says_so():
    with pytest.raises(TypeError, match=r"img: the _DLPackOnly is on DLPack device type 2, and pyramidkit runs "
                                        r"on the CPU; copy it to host memory first"):
        pk.pyr_down(_DLPackOnly(F32, device=(2, 0)))


def test_buffer_protocol_read_in_place():
    buf = array.array("f", F32.ravel())
    v = as_array(buf, "x")
    assert v.ctypes.data == buf.buffer_info()[0]
    got = pk.downsample(buf, method="mean", axes="x")
    assert np.array_equal(got, pk.downsample(F32.ravel(), method="mean", axes="x"))
