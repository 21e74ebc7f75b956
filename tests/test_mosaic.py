"""python -m pyramidkit pyramid: the mosaic picture, the PNG writer and image reading."""
import struct
import zlib

import numpy as np
import pytest

import pyramidkit as pk
from pyramidkit import mosaic
from pyramidkit.__main__ import main

try:
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None


def read_png_plain(path):
    """Decode the PNGs write_png makes (8-bit, filter 0, one IDAT): test-side decoder."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(tag + body) & 0xFFFFFFFF
        chunks[tag] = body
        pos += 12 + n
    w, h, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    ch = {0: 1, 2: 3, 6: 4}[colour]
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(h, 1 + w * ch)
    assert depth == 8 and (raw[:, 0] == 0).all()
    img = raw[:, 1:].reshape(h, w, ch)
    return img[..., 0] if ch == 1 else img


@pytest.mark.parametrize("shape", [(5, 7), (6, 4, 3), (3, 9, 4), (1, 1, 1)])
def test_write_png_roundtrip(tmp_path, shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    path = str(tmp_path / "a.png")
    mosaic.write_png(path, img)
    expected = img[..., 0] if img.ndim == 3 and img.shape[2] == 1 else img
    np.testing.assert_array_equal(read_png_plain(path), expected)
    if cv2 is not None and img.ndim == 3 and img.shape[2] == 3:
        np.testing.assert_array_equal(cv2.imread(path)[..., ::-1], img)


def test_mosaic_layout():
    img = mosaic.test_image(64)
    m = mosaic.pyramid_mosaic(img, levels=3)
    g = pk.gaussian_pyramid(img, 3)
    assert m.shape == (128, 96, 3)
    np.testing.assert_array_equal(m[:64, :64], img)            # level 0, top left
    np.testing.assert_array_equal(m[:32, 64:96], g[1])          # level 1 to its right
    np.testing.assert_array_equal(m[32:48, 64:80], g[2])        # level 2 below it
    bands = pk.laplacian_pyramid(img, 3)
    np.testing.assert_array_equal(m[64:128, :64], np.clip(bands[0].astype(int) + 128, 0, 255))
    np.testing.assert_array_equal(m[96:112, 64:80], bands[2])   # the coarsest Gaussian


def test_pyramid_command_default_image(tmp_path, capsys):
    out = tmp_path / "p.png"
    assert main(["pyramid", "-o", str(out), "--levels", "4"]) == 0
    assert "wrote" in capsys.readouterr().out
    np.testing.assert_array_equal(read_png_plain(str(out)), mosaic.pyramid_mosaic(mosaic.test_image(), 4))


@pytest.mark.skipif(cv2 is None, reason="needs an image reader (OpenCV here)")
def test_pyramid_command_reads_an_image(tmp_path):
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    img = mosaic.test_image(40)
    mosaic.write_png(str(src), img)
    assert main(["pyramid", str(src), "-o", str(out)]) == 0
    np.testing.assert_array_equal(read_png_plain(str(out)), mosaic.pyramid_mosaic(img))


def test_pyramid_command_missing_file(tmp_path, capsys):
    assert main(["pyramid", str(tmp_path / "none.png"), "-o", str(tmp_path / "o.png")]) == 2
    assert "error" in capsys.readouterr().err


def test_bad_images():
    with pytest.raises(ValueError, match="img"):
        mosaic.write_png("x.png", np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="img"):
        mosaic.pyramid_mosaic(np.zeros((0, 4), np.uint8))
