import numpy as np
import pytest

import pyramidkit as pk

ISA_LEVELS = pk.simd_levels()["supported"]
DTYPES = [np.uint8, np.uint16, np.int16, np.float16, np.float32, np.float64]
LAYOUT_SHAPES = {  # layout -> shape builder from (h, w)
    "HW": lambda h, w: (h, w),
    "HWC": lambda h, w: (h, w, 3),
    "CHW": lambda h, w: (2, h, w),
    "NHWC": lambda h, w: (2, h, w, 5),
    "NCHW": lambda h, w: (2, 3, h, w),
}
BORDERS = ["reflect101", "reflect", "replicate", "wrap", "constant"]


def random_array(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
    return (rng.standard_normal(shape) * 100).astype(dtype)


def assert_close(actual, expected, dtype, inputs=None, *, ulps=8, scale=None, err_msg=""):
    """The one tolerance helper of the suite, the documented tolerance per dtype: integers
    exact; floats `ulps` ulps of the value range (the largest magnitude among inputs and
    result, or `scale` when the caller knows a bound, e.g. a sum of products); float16 one
    float16 ulp of the result plus the float32 tolerance (it is computed in float32, where
    sums near zero cancel)."""
    dtype = np.dtype(dtype)
    assert actual.dtype == expected.dtype == dtype
    assert actual.shape == expected.shape
    if dtype.kind in "ui":
        np.testing.assert_array_equal(actual, expected, err_msg=err_msg)
        return
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    if scale is None:
        scale = max(1.0, float(np.abs(e).max()))
        if inputs is not None:
            scale = max(scale, float(np.abs(np.asarray(inputs, np.float64)).max()))
    if dtype == np.float16:
        f32 = ulps * float(np.finfo(np.float32).eps) * scale
        np.testing.assert_array_less(np.abs(a - e), np.spacing(np.abs(expected)).astype(np.float64) * 1.01 + f32,
                                     err_msg=err_msg)
    else:
        eps = np.finfo(dtype).eps
        np.testing.assert_allclose(a, e, rtol=0, atol=ulps * eps * scale, err_msg=err_msg)


@pytest.fixture(params=ISA_LEVELS)
def isa(request):
    with pk.max_simd(request.param):
        assert pk.simd_levels()["active"] == request.param
        yield request.param


@pytest.fixture(params=[1, 2])
def threads(request):
    with pk.num_threads(request.param):
        yield request.param
