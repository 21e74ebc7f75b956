"""dog_pyramid against the reference, a straight composition of gaussian_blur, and OpenCV."""
import itertools
import math

import numpy as np
import pytest

import pyramidkit as pk
import pyramidkit.reference as ref
from conftest import ISA_LEVELS, LAYOUT_SHAPES, random_array

try:
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None


def _same(p, q):
    assert len(p.gaussians) == len(q.gaussians) and len(p.dogs) == len(q.dogs)
    for a, b in zip(p.gaussians + p.dogs, q.gaussians + q.dogs):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(p.sigmas, q.sigmas)


@pytest.mark.parametrize("layout", list(LAYOUT_SHAPES))
@pytest.mark.parametrize("upsample", [False, True])
def test_matches_reference_exactly(layout, upsample):
    rng = np.random.default_rng(21)
    for (h, w), dtype, kw in [((37, 29), np.uint8, {}), ((16, 23), np.float32, dict(scales=2, dtype=np.float64)),
                              ((9, 12), np.uint16, dict(border="wrap", sigma=1.2, assume_blur=0))]:
        a = random_array(rng, LAYOUT_SHAPES[layout](h, w), dtype)
        _same(pk.dog_pyramid(a, upsample=upsample, layout=layout, **kw),
              ref.dog_pyramid(a, upsample=upsample, layout=layout, **kw))


def test_isa_levels_and_threads_identical():
    a = random_array(np.random.default_rng(22), (70, 90), np.uint8)
    results = []
    for level, n in itertools.product(ISA_LEVELS, [1, 2, 3]):
        with pk.max_simd(level), pk.num_threads(n):
            results.append(pk.dog_pyramid(a, upsample=True))
    for r in results[1:]:
        _same(r, results[0])


def _straight(img, octaves, scales, sigma, assume_blur):
    """Lowe's recipe written out with gaussian_blur (no upsampling)."""
    x = img.astype(np.float32)
    g = [pk.gaussian_blur(x, math.sqrt(max(sigma ** 2 - assume_blur ** 2, 0.01)))]
    octs = []
    for o in range(octaves):
        if o:
            top = octs[-1][scales]
            g = [np.ascontiguousarray(top[0:top.shape[0] // 2 * 2:2, 0:top.shape[1] // 2 * 2:2])]
        for i in range(1, scales + 3):
            s_prev, s_next = sigma * 2 ** ((i - 1) / scales), sigma * 2 ** (i / scales)
            g.append(pk.gaussian_blur(g[-1], math.sqrt(s_next ** 2 - s_prev ** 2)))
        octs.append(g)
    return octs


def test_matches_straight_composition():
    a = random_array(np.random.default_rng(23), (75, 101), np.uint8)
    for scales, sigma, assume_blur in [(3, 1.6, 0.5), (2, 1.0, 0.0), (4, 2.0, 0.8)]:
        p = pk.dog_pyramid(a, scales=scales, sigma=sigma, assume_blur=assume_blur)
        expected = _straight(a, len(p.gaussians), scales, sigma, assume_blur)
        assert len(p.gaussians) == round(math.log2(75) - 2)
        for o, g in enumerate(expected):
            np.testing.assert_allclose(p.gaussians[o], np.stack(g), rtol=0, atol=1e-4)
            np.testing.assert_allclose(p.dogs[o], np.diff(np.stack(g), axis=0), rtol=0, atol=2e-4)
        np.testing.assert_allclose(p.sigmas, sigma * 2 ** (np.arange(scales + 3) / scales))


@pytest.mark.skipif(cv2 is None, reason="OpenCV not installed")
def test_matches_opencv_composition():
    """OpenCV SIFT's createInitialImage + buildGaussianPyramid, written with cv2 calls."""
    a = random_array(np.random.default_rng(24), (61, 80), np.uint8)
    scales, sigma = 3, 1.6
    for upsample in (False, True):
        x = a.astype(np.float32)
        if upsample:
            x = cv2.resize(x, (2 * x.shape[1], 2 * x.shape[0]), interpolation=cv2.INTER_LINEAR)
        base = cv2.GaussianBlur(x, (0, 0), math.sqrt(max(sigma ** 2 - (0.5 * (2 if upsample else 1)) ** 2, 0.01)))
        n_oct = round(math.log2(min(x.shape)) - 2) + upsample
        p = pk.dog_pyramid(a, upsample=upsample)
        assert len(p.gaussians) == n_oct
        k = 2 ** (1 / scales)
        steps = [math.sqrt((sigma * k ** i) ** 2 - (sigma * k ** (i - 1)) ** 2) for i in range(1, scales + 3)]
        g = [base]
        for o in range(n_oct):
            if o:
                top = g[scales]
                g = [cv2.resize(top, (top.shape[1] // 2, top.shape[0] // 2), interpolation=cv2.INTER_NEAREST)]
            for s in steps:
                g.append(cv2.GaussianBlur(g[-1], (0, 0), s))
            np.testing.assert_allclose(p.gaussians[o], np.stack(g), rtol=0, atol=255 * 1e-5)


def test_default_octaves_and_sizes():
    for h, w, upsample in [(64, 48, False), (64, 48, True), (5, 7, False), (1, 1, False), (1, 9, True), (300, 17, False)]:
        p = pk.dog_pyramid(np.zeros((h, w), np.uint8), upsample=upsample)
        bh, bw = (2 * h, 2 * w) if upsample else (h, w)
        expected = max(1, round(math.log2(min(bh, bw)) - 2) + upsample)
        assert len(p.gaussians) == len(p.dogs) == expected
        for o, g in enumerate(p.gaussians):
            assert g.shape == (6, bh >> o, bw >> o) and g.dtype == np.float32
            assert p.dogs[o].shape == (5, bh >> o, bw >> o)
    # as many octaves as halving allows, and not one more
    assert len(pk.dog_pyramid(np.zeros((8, 12)), octaves=4).gaussians) == 4
    with pytest.raises(ValueError, match="octaves"):
        pk.dog_pyramid(np.zeros((8, 12)), octaves=5)


def test_constant_image_has_zero_dogs():
    p = pk.dog_pyramid(np.full((40, 50, 3), 77, np.uint8))
    for g, d in zip(p.gaussians, p.dogs):
        np.testing.assert_allclose(g, 77, rtol=0, atol=1e-3)
        np.testing.assert_allclose(d, 0, rtol=0, atol=1e-3)


@pytest.mark.parametrize("kw, err, match", [
    (dict(scales=0), ValueError, "scales"),
    (dict(scales=2.5), ValueError, "scales"),
    (dict(sigma=0), ValueError, "sigma"),
    (dict(sigma=float("inf")), ValueError, "sigma"),
    (dict(assume_blur=-0.1), ValueError, "assume_blur"),
    (dict(octaves=0), ValueError, "octaves"),
    (dict(octaves=True), ValueError, "octaves"),
    (dict(upsample="yes"), TypeError, "upsample"),
    (dict(dtype=np.float16), TypeError, "dtype"),
    (dict(dtype=np.uint8), TypeError, "dtype"),
    (dict(border="nope"), ValueError, "border"),
])
def test_bad_input(kw, err, match):
    with pytest.raises(err, match=match):
        pk.dog_pyramid(np.zeros((16, 16), np.uint8), **kw)
    with pytest.raises(TypeError, match="img"):
        pk.dog_pyramid(np.zeros((16, 16), np.complex64))
