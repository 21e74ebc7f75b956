"""write_multiscale / open_multiscale: OME-Zarr and OME-TIFF files, validated by the
OME-Zarr schemas (ome-zarr-models), read back by zarr, ome-zarr-py and tifffile, and
compared bit for bit with pk.multiscale of the whole image."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pyramidkit as pk

zarr = pytest.importorskip("zarr")
from pyramidkit.files import open_multiscale, write_multiscale  # noqa: E402

RNG = np.random.default_rng(7)


def _img(shape, dtype=np.uint8):
    if np.dtype(dtype).kind == "f":
        return RNG.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return RNG.integers(info.min, int(info.max) + 1, shape, dtype=dtype)


def _ome_order(axes):
    out = "".join(sorted(axes, key="tczyx".index))
    return out, [axes.index(c) for c in out]


def _check_levels(path, x, axes, method="gaussian", factor=2):
    g = zarr.open_group(path, mode="r")
    keys = sorted(g.array_keys(), key=int)
    ref = pk.multiscale(x, len(keys), method=method, axes=axes, factor=factor)
    _, perm = _ome_order(axes)
    assert keys == [str(k) for k in range(len(ref))]
    for k, r in zip(keys, ref):
        got = g[k][...]
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(got, r.transpose(perm))
    return g


def _validate(path, version):
    models = pytest.importorskip("ome_zarr_models")
    del models
    if version == "0.5":
        from ome_zarr_models.v05.image import Image
    else:
        from ome_zarr_models.v04.image import Image
    return Image.from_zarr(zarr.open_group(path, mode="r"))


CASES = [
    ((301, 517), "yx", "gaussian", 64),
    ((200, 131, 3), "yxc", "mean", 32),
    ((2, 97, 66), "cyx", "gaussian", 32),
    ((33, 70, 45), "zyx", "gaussian", 16),
    ((33, 70, 45), "zyx", "mode", 16),
    ((2, 3, 9, 40, 27), "tczyx", "max", 8),
    ((45, 61), "yx", "nearest", 16),
    ((45, 61), "yx", "min", 16),
]


@pytest.mark.parametrize("shape,axes,method,chunk", CASES)
@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_zarr_levels_bit_identical_and_valid(tmp_path, shape, axes, method, chunk, version):
    x = _img(shape)
    dest = str(tmp_path / "img.ome.zarr")
    assert write_multiscale(x, dest, axes=axes, method=method, chunks=chunk, ome_version=version) == dest
    g = _check_levels(dest, x, axes, method)
    model = _validate(dest, version)
    assert model is not None
    assert g.metadata.zarr_format == (3 if version == "0.5" else 2)
    # the last level fits in one chunk; the one before did not
    last = g[str(len(list(g.array_keys())) - 1)]
    out_axes, _ = _ome_order(axes)
    sp = [i for i, c in enumerate(out_axes) if c in "zyx"]
    assert all(last.shape[i] <= chunk for i in sp)


TILE_CASES = [
    ((301, 517), "yx", "gaussian", 64, (50, 70)),
    ((130, 211), "yx", "gaussian", 8, (8, 8)),
    ((200, 131, 3), "yxc", "mean", 32, (32, 17, 3)),
    ((2, 97, 66), "cyx", "gaussian", 16, (1, 97, 5)),
    ((33, 70, 45), "zyx", "gaussian", 16, (7, 9, 45)),
    ((33, 70, 45), "zyx", "mode", 4, (5, 5, 5)),
    ((2, 3, 9, 40, 27), "tczyx", "max", 8, (1, 1, 9, 3, 27)),
    ((45, 61), "yx", "nearest", 4, (3, 1)),
    ((45, 61), "yx", "min", 16, (45, 1)),
    ((61, 90), "yx", "gaussian", 3, None),
]


@pytest.mark.parametrize("min_cols", [1, 5])
@pytest.mark.parametrize("shape,axes,method,chunk,src_chunks", TILE_CASES)
def test_tiles_bit_identical(tmp_path, monkeypatch, shape, axes, method, chunk, src_chunks, min_cols):
    """Level 0 in the smallest tiles (one output chunk wide, or a source chunk), narrow
    tiles joined or not: every level's tiles and the writer's block buffers still give
    pk.multiscale's bytes."""
    from pyramidkit.files import stream, write as w
    monkeypatch.setattr(w, "TILE_BYTES", 1)
    monkeypatch.setattr(stream, "MIN_COLS", min_cols)
    x = _img(shape, np.float32 if method == "gaussian" and len(shape) == 2 else np.uint8)
    src = x
    if src_chunks is not None:
        src = zarr.create_array(str(tmp_path / "src.zarr"), shape=shape, chunks=src_chunks, dtype=x.dtype)
        src[...] = x
    plan = w.Plan(w.open_source(src, axes), method, None, 2, chunk, None, "0.5", "zarr", None, None, "t")
    assert w.segment_width(plan) is not None and w.segment_width(plan) < shape[plan.seg]
    dest = str(tmp_path / "t.zarr")
    write_multiscale(src, dest, axes=axes, method=method, chunks=chunk)
    _check_levels(dest, x, axes, method)
    write_multiscale(src, dest, axes=axes, method=method, chunks=chunk, shards=4 * chunk, overwrite=True)
    _check_levels(dest, x, axes, method)


def test_tile_width():
    """Tiles of whole source chunks, at least an output chunk wide, about TILE_BYTES; whole
    bands for a source chunked across its width."""
    from pyramidkit.files import write as w
    z = zarr.create_array(zarr.storage.MemoryStore(), shape=(4096, 32768), chunks=(1024, 1000), dtype=np.uint8)
    plan = w.Plan(w.open_source(z, None), "gaussian", None, 2, 1024, None, "0.5", "zarr", None, None, "t")
    assert w.segment_width(plan) == 5000     # 4 MiB / 1024 rows -> 4096 columns -> whole chunks of 1000
    z = zarr.create_array(zarr.storage.MemoryStore(), shape=(4096, 32768), chunks=(16, 32768), dtype=np.uint8)
    plan = w.Plan(w.open_source(z, None), "gaussian", None, 2, 1024, None, "0.5", "zarr", None, None, "t")
    assert w.segment_width(plan) is None
    plan = w.Plan(w.open_source(np.zeros((4096, 32768), np.uint8), None), "gaussian", None, 2, 512, None, "0.5",
                  "tiff", None, None, "t")
    assert plan.seg is None   # TIFF: whole bands


def test_stack_of_planes_sharded_along_z(tmp_path):
    """A shard spanning several planes is written by one writer: the stream does not loop
    over planes then, and the file is complete."""
    x = _img((6, 70, 50), np.uint16)
    src = zarr.create_array(str(tmp_path / "s.zarr"), shape=x.shape, chunks=(1, 32, 32), dtype=x.dtype)
    src[...] = x
    dest = str(tmp_path / "st.zarr")
    write_multiscale(src, dest, axes="zyx", factor=(1, 2, 2), chunks=(1, 16, 16), shards=(4, 32, 32))
    g = _check_levels(dest, x, "zyx", factor=(1, 2, 2))
    assert g["0"].shards == (4, 32, 32)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32, np.float64, np.float16])
def test_zarr_dtypes(tmp_path, dtype):
    x = _img((77, 90), dtype)
    dest = str(tmp_path / "d.zarr")
    write_multiscale(x, dest, chunks=16)
    _check_levels(dest, x, "yx")


def test_anisotropic_factor_and_levels(tmp_path):
    x = _img((9, 64, 80), np.uint16)
    dest = str(tmp_path / "v.zarr")
    write_multiscale(x, dest, axes="zyx", factor=(1, 2, 2), levels=3, chunks=(9, 16, 16), method="mean",
                     pixel_size=(2.0, 0.5, 0.5))
    g = _check_levels(dest, x, "zyx", "mean", factor=(1, 2, 2))
    ms = g.attrs["ome"]["multiscales"][0]
    assert [d["coordinateTransformations"][0]["scale"] for d in ms["datasets"]] == \
        [[2.0, 0.5, 0.5], [2.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    assert ms["datasets"][1]["coordinateTransformations"][1]["translation"] == [0.0, 0.25, 0.25]
    assert ms["datasets"][2]["coordinateTransformations"][1]["translation"] == [0.0, 0.75, 0.75]
    assert [a.get("unit") for a in ms["axes"]] == ["micrometer"] * 3


def test_metadata_translation_by_method(tmp_path):
    x = _img((64, 64))
    for method, t in (("gaussian", None), ("nearest", None), ("mean", 0.5), ("mode", 0.5), ("max", 0.5)):
        dest = str(tmp_path / f"{method}.zarr")
        write_multiscale(x, dest, method=method, chunks=16, levels=3)
        ds = zarr.open_group(dest, mode="r").attrs["ome"]["multiscales"][0]["datasets"]
        assert ds[1]["coordinateTransformations"][0] == {"type": "scale", "scale": [2.0, 2.0]}
        if t is None:
            assert len(ds[1]["coordinateTransformations"]) == 1
        else:
            assert ds[1]["coordinateTransformations"][1]["translation"] == [t, t]
            assert ds[2]["coordinateTransformations"][1]["translation"] == [1.5, 1.5]


def test_omero_channels(tmp_path):
    x = _img((40, 50, 3))
    dest = str(tmp_path / "rgb.zarr")
    write_multiscale(x, dest, chunks=16)
    om = zarr.open_group(dest, mode="r").attrs["ome"]["omero"]
    assert [c["color"] for c in om["channels"]] == ["FF0000", "00FF00", "0000FF"]
    assert om["channels"][0]["window"]["min"] == 0 and om["channels"][0]["window"]["max"] == 255
    small = pk.multiscale(x, 3)[-1]
    assert om["channels"][1]["window"]["start"] == small[..., 1].min()
    assert om["channels"][1]["window"]["end"] == small[..., 1].max()


def test_sharded(tmp_path):
    x = _img((150, 260))
    dest = str(tmp_path / "s.zarr")
    write_multiscale(x, dest, chunks=16, shards=64)
    g = _check_levels(dest, x, "yx")
    assert g["0"].shards == (64, 64) and g["0"].chunks == (16, 16)
    _validate(dest, "0.5")
    with pytest.raises(ValueError, match="shards"):
        write_multiscale(x, str(tmp_path / "s4.zarr"), chunks=16, shards=64, ome_version="0.4")
    with pytest.raises(ValueError, match="multiple"):
        write_multiscale(x, str(tmp_path / "s5.zarr"), chunks=16, shards=40)


@pytest.mark.parametrize("compressor", [None, "zstd", "gzip", "blosc", "default"])
@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_compressors(tmp_path, compressor, version):
    x = _img((50, 70))
    dest = str(tmp_path / "c.zarr")
    write_multiscale(x, dest, chunks=32, compressor=compressor, ome_version=version)
    _check_levels(dest, x, "yx")


def test_sources(tmp_path):
    da = pytest.importorskip("dask.array")
    x = _img((130, 150, 3))
    ref = str(tmp_path / "ref.zarr")
    write_multiscale(x, ref, chunks=32, name="img")
    want = zarr.open_group(ref, mode="r")

    def same(dest):
        g = zarr.open_group(dest, mode="r")
        for k in want.array_keys():
            np.testing.assert_array_equal(g[k][...], want[k][...])
        assert g.attrs["ome"]["multiscales"][0]["datasets"] == want.attrs["ome"]["multiscales"][0]["datasets"]

    # Dask arrays of any chunking
    for chunks in (17, (64, 30, 1), -1):
        dest = str(tmp_path / f"dask{chunks}.zarr".replace(" ", ""))
        write_multiscale(da.from_array(x, chunks=chunks), dest, chunks=32, name="img")
        same(dest)
    # a Zarr array (v3, dimension names) and a path to one
    za = zarr.create_array(str(tmp_path / "src.zarr"), shape=x.shape, chunks=(40, 40, 3), dtype=x.dtype,
                           dimension_names=["y", "x", "c"])
    za[...] = x
    write_multiscale(za, str(tmp_path / "za.zarr"), chunks=32, name="img")
    same(str(tmp_path / "za.zarr"))
    write_multiscale(str(tmp_path / "src.zarr"), str(tmp_path / "zp.zarr"), chunks=32, name="img")
    same(str(tmp_path / "zp.zarr"))
    # an OME-Zarr image: its level 0, its axes (c, y, x) and its pixel size
    write_multiscale(ref, str(tmp_path / "again.zarr"), chunks=32, name="img")
    g = zarr.open_group(str(tmp_path / "again.zarr"), mode="r")
    np.testing.assert_array_equal(g["0"][...], want["0"][...])
    np.testing.assert_array_equal(g["2"][...], want["2"][...])


def test_tiff_sources(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    x = _img((300, 200), np.uint16)
    for kw in (dict(tile=(64, 64)), dict(rowsperstrip=7), {}):
        p = str(tmp_path / "in.tif")
        tifffile.imwrite(p, x, **kw)
        dest = str(tmp_path / "t.zarr")
        write_multiscale(p, dest, chunks=64, overwrite=True)
        _check_levels(dest, x, "yx")
    # OME-TIFF: axes and physical pixel size from the OME-XML
    v = _img((2, 5, 40, 30), np.uint8)
    p = str(tmp_path / "in.ome.tif")
    tifffile.imwrite(p, v, metadata={"axes": "CZYX", "PhysicalSizeX": 0.25, "PhysicalSizeY": 0.25,
                                     "PhysicalSizeZ": 1.5, "Channel": {"Name": ["dna", "actin"]}})
    dest = str(tmp_path / "ome.zarr")
    write_multiscale(p, dest, chunks=8)
    g = _check_levels(dest, v, "czyx")
    attrs = g.attrs["ome"]
    assert attrs["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"] == [1.0, 1.5, 0.25, 0.25]
    assert [c["label"] for c in attrs["omero"]["channels"]] == ["dna", "actin"]
    assert [a.get("unit") for a in attrs["multiscales"][0]["axes"]] == [None] + ["micrometer"] * 3


def test_pillow_source(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    x = _img((60, 80, 3))
    p = str(tmp_path / "in.png")
    Image.fromarray(x).save(p)
    dest = str(tmp_path / "p.zarr")
    write_multiscale(p, dest, chunks=16)
    _check_levels(dest, x, "yxc")


def test_dask_scheduler_same_bytes(tmp_path):
    pytest.importorskip("dask.array")
    x = _img((2, 100, 130))
    a, b = str(tmp_path / "a.zarr"), str(tmp_path / "b.zarr")
    write_multiscale(x, a, axes="cyx", chunks=16, shards=32, name="n")
    write_multiscale(x, b, axes="cyx", chunks=16, shards=32, name="n", scheduler="threads")
    files_a = sorted(os.path.relpath(os.path.join(d, f), a) for d, _, fs in os.walk(a) for f in fs)
    files_b = sorted(os.path.relpath(os.path.join(d, f), b) for d, _, fs in os.walk(b) for f in fs)
    assert files_a == files_b
    for f in files_a:
        with open(os.path.join(a, f), "rb") as fa, open(os.path.join(b, f), "rb") as fb:
            assert fa.read() == fb.read(), f


def test_distributed_client(tmp_path):
    distributed = pytest.importorskip("distributed")
    x = _img((90, 120, 3))
    a, b = str(tmp_path / "a.zarr"), str(tmp_path / "b.zarr")
    write_multiscale(x, a, chunks=32, name="n")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        write_multiscale(x, b, chunks=32, name="n", scheduler=client)
    ga, gb = zarr.open_group(a, mode="r"), zarr.open_group(b, mode="r")
    for k in ga.array_keys():
        np.testing.assert_array_equal(ga[k][...], gb[k][...])
    assert dict(ga.attrs) == dict(gb.attrs)


def test_overwrite_and_source_safety(tmp_path):
    x = _img((40, 40))
    dest = str(tmp_path / "o.zarr")
    write_multiscale(x, dest, chunks=16)
    with pytest.raises(FileExistsError, match="overwrite"):
        write_multiscale(x, dest, chunks=16)
    y = _img((40, 40))
    write_multiscale(y, dest, chunks=16, overwrite=True)
    _check_levels(dest, y, "yx")
    with pytest.raises(ValueError, match="is the source"):
        write_multiscale(dest, dest, chunks=16, overwrite=True)
    _check_levels(dest, y, "yx")   # untouched


def test_interrupted_write_leaves_no_image(tmp_path):
    """A write killed halfway leaves nothing at dest (only the partial directory, which no
    reader takes for an image); the next write replaces the partial."""
    dest = str(tmp_path / "k.zarr")
    code = (f"import numpy as np, os, pyramidkit.files.zarr_sink as z\n"
            f"from pyramidkit.files import write_multiscale\n"
            f"n = [0]\n"
            f"w = z.ZarrSink.write\n"
            f"def die(self, *a):\n"
            f"    n[0] += 1\n"
            f"    if n[0] == 3: os._exit(9)\n"
            f"    w(self, *a)\n"
            f"z.ZarrSink.write = die\n"
            f"write_multiscale(np.ones((256, 256), np.uint8), {dest!r}, chunks=32)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 9
    assert not os.path.exists(dest)
    partial = dest + ".pyramidkit-partial"
    assert os.path.isdir(partial)
    g = zarr.open_group(partial, mode="r")
    assert "ome" not in g.attrs and "multiscales" not in g.attrs   # metadata goes in last
    x = _img((256, 256))
    write_multiscale(x, dest, chunks=32)
    assert not os.path.exists(partial)
    _check_levels(dest, x, "yx")


def test_error_in_writer_propagates(tmp_path, monkeypatch):
    import pyramidkit.files.zarr_sink as zs

    def boom(self, *a):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(zs.ZarrSink, "write", boom)
    dest = str(tmp_path / "full.zarr")
    with pytest.raises(OSError, match="No space"):
        write_multiscale(_img((100, 100)), dest, chunks=16)
    assert not os.path.exists(dest)


def test_bad_input(tmp_path):
    x = _img((40, 40))
    d = str(tmp_path / "b.zarr")
    with pytest.raises(TypeError, match="source"):
        write_multiscale(object(), d)
    with pytest.raises(TypeError, match="dest"):
        write_multiscale(x, 5)
    with pytest.raises(ValueError, match="method"):
        write_multiscale(x, d, method="bicubic")
    with pytest.raises(ValueError, match="axes"):
        write_multiscale(x, d, axes="zyx")
    with pytest.raises(ValueError, match="axes"):
        write_multiscale(x, d, axes="yy")
    with pytest.raises(ValueError, match="ome_version"):
        write_multiscale(x, d, ome_version="0.3")
    with pytest.raises(ValueError, match="format"):
        write_multiscale(x, str(tmp_path / "b.png"))
    with pytest.raises(ValueError, match="format"):
        write_multiscale(x, d, format="hdf5")
    with pytest.raises(ValueError, match="chunks"):
        write_multiscale(x, d, chunks=0)
    with pytest.raises(ValueError, match="chunks"):
        write_multiscale(x, d, chunks=(16, 16, 16))
    with pytest.raises(ValueError, match="pixel_size"):
        write_multiscale(x, d, pixel_size=-1)
    with pytest.raises(ValueError, match="unit"):
        write_multiscale(x, d, pixel_size=1, unit="parsecs")
    with pytest.raises(ValueError, match="compressor"):
        write_multiscale(x, d, compressor="lzma9")
    with pytest.raises(ValueError, match="levels"):
        write_multiscale(x, d, levels=0)
    with pytest.raises(ValueError, match="factor"):
        write_multiscale(x, d, factor=0)
    with pytest.raises(ValueError, match="scheduler"):
        write_multiscale(x, d, scheduler="gpu")
    with pytest.raises(ValueError, match="does not exist"):
        write_multiscale(str(tmp_path / "missing.tif"), d)
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff at all")
    with pytest.raises(ValueError, match="not a readable TIFF"):
        write_multiscale(str(bad), d)
    notimg = tmp_path / "x.png"
    notimg.write_bytes(b"nope")
    with pytest.raises(ValueError, match="Pillow"):
        write_multiscale(str(notimg), d)
    assert not os.path.exists(d) and not os.path.exists(d + ".pyramidkit-partial")


def test_ome_zarr_py_reads(tmp_path):
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader
    x = _img((3, 64, 80))
    dest = str(tmp_path / "r.ome.zarr")
    write_multiscale(x, dest, axes="cyx", chunks=16, ome_version="0.4")
    node = list(Reader(parse_url(dest))())[0]
    ref = pk.multiscale(x, len(node.data), axes="cyx")
    for d, r in zip(node.data, ref):
        np.testing.assert_array_equal(np.asarray(d), r)
    assert [a["name"] for a in node.metadata["axes"]] == ["c", "y", "x"]
    assert json.dumps(node.metadata["coordinateTransformations"][1]) == \
        json.dumps([{"type": "scale", "scale": [1.0, 2.0, 2.0]}])


# ---------------------------------------------------------------------------------------
# OME-TIFF

TIFF_CASES = [
    ((300, 517), "yx", "gaussian"),
    ((200, 131, 3), "yxc", "mean"),        # RGB: photometric rgb, YXS
    ((2, 97, 66), "cyx", "gaussian"),
    ((5, 70, 45), "zyx", "gaussian"),      # every plane kept: z factor 1
    ((50, 70, 4), "yxc", "max"),           # 4 interleaved channels: planes C, Y, X
    ((2, 3, 4, 40, 33), "tczyx", "mean"),
]


@pytest.mark.parametrize("shape,axes,method", TIFF_CASES)
def test_ome_tiff_levels(tmp_path, shape, axes, method):
    tifffile = pytest.importorskip("tifffile")
    x = _img(shape, np.uint16 if method == "mean" else np.uint8)
    p = write_multiscale(x, str(tmp_path / "o.ome.tif"), axes=axes, method=method, chunks=32, pixel_size=0.5)
    with tifffile.TiffFile(p) as tf:
        assert tf.is_ome
        s = tf.series[0]
        levels = [lv.asarray() for lv in s.levels]
        assert tf.pages[0].is_tiled and tf.pages[0].tilelength == 32
        assert 'PhysicalSizeX="0.5"' in tf.ome_metadata and "µm" in tf.ome_metadata
    factors = tuple(1 if c == "z" else 2 for c in axes if c in "zyx")
    ref = pk.multiscale(x, len(levels), method=method, axes=axes, factor=factors)
    rgb = axes == "yxc" and shape[-1] == 3
    order = "yxc" if rgb else "".join(sorted(axes, key="tczyx".index))
    for got, r in zip(levels, ref):
        np.testing.assert_array_equal(got, r.transpose([axes.index(c) for c in order]))
    assert max(levels[-1].shape[-3 if rgb else -2:][:2]) <= 32
    ms = open_multiscale(p)
    assert ms.axes == order and len(ms) == len(levels)
    np.testing.assert_array_equal(ms[1].compute(), levels[1])
    assert ms.levels[1].scale[order.index("x")] == 1.0 and ms.levels[0].scale[order.index("x")] == 0.5


def test_ome_tiff_options(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    x = _img((130, 140, 3))
    for comp, tag in ((None, 1), ("zlib", 8), ("zstd", 50000), ("jpeg", 7)):
        p = write_multiscale(x, str(tmp_path / f"{comp}.ome.tif"), chunks=64, compressor=comp)
        with tifffile.TiffFile(p) as tf:
            assert tf.pages[0].compression == tag
            if comp != "jpeg":
                np.testing.assert_array_equal(tf.series[0].levels[1].asarray(), pk.multiscale(x, 2)[1])
    with pytest.raises(ValueError, match="multiples of 16"):
        write_multiscale(x, str(tmp_path / "t.ome.tif"), chunks=40)
    with pytest.raises(ValueError, match="JPEG"):
        write_multiscale(x.astype(np.uint16), str(tmp_path / "j.ome.tif"), chunks=64, compressor="jpeg")
    with pytest.raises(ValueError, match="z plane"):
        write_multiscale(_img((4, 32, 32)), str(tmp_path / "z.ome.tif"), axes="zyx", factor=(2, 2, 2), chunks=16)
    with pytest.raises(ValueError, match="compressor"):
        write_multiscale(x, str(tmp_path / "c.ome.tif"), compressor="blosc")
    assert not any(f.name.startswith(("t.", "j.", "z.", "c.")) for f in tmp_path.iterdir())


# ---------------------------------------------------------------------------------------
# open_multiscale and the command

def test_open_multiscale_zarr(tmp_path):
    pytest.importorskip("dask.array")
    x = _img((3, 70, 90))
    dest = str(tmp_path / "m.ome.zarr")
    write_multiscale(x, dest, axes="cyx", chunks=16, method="mean", pixel_size=0.2, name="cells")
    ms = open_multiscale(dest)
    assert ms.axes == "cyx" and ms.name == "cells" and ms.units == {"y": "micrometer", "x": "micrometer"}
    ref = pk.multiscale(x, len(ms), axes="cyx", method="mean")
    for k, r in enumerate(ref):
        np.testing.assert_array_equal(ms[k].compute(), r)
    assert ms.levels[2].scale == pytest.approx([1.0, 0.8, 0.8])
    assert ms.levels[2].translation == pytest.approx([0.0, 0.3, 0.3])   # (0.5 + 1.0) * 0.2
    with pytest.raises(ValueError, match="multiscales"):
        zarr.open_group(str(tmp_path / "plain.zarr"), mode="w")
        open_multiscale(str(tmp_path / "plain.zarr"))
    with pytest.raises(ValueError, match="does not exist"):
        open_multiscale(str(tmp_path / "none.zarr"))


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pyramidkit", "multiscale", *args], capture_output=True, text=True)


def test_command(tmp_path):
    x = _img((100, 120))
    src = str(tmp_path / "in.zarr")
    a = zarr.create_array(src, shape=x.shape, chunks=(32, 32), dtype=x.dtype)
    a[...] = x
    dest = str(tmp_path / "out.ome.zarr")
    r = _cli(src, dest, "--chunks", "32", "--method", "mean", "--pixel-size", "0.5,0.25")
    assert r.returncode == 0, r.stderr
    assert "100%" in r.stderr and "wrote" in r.stderr
    g = _check_levels(dest, x, "yx", "mean")
    assert g.attrs["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"] == [0.5, 0.25]
    r = _cli(src, dest, "--chunks", "32")
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"error: dest: {dest!r} exists; pass overwrite=True (--overwrite) to replace it"]
    r = _cli(src, dest, "--chunks", "32", "--overwrite", "--quiet", "--ome-version", "0.4")
    assert r.returncode == 0 and r.stderr == ""
    _validate(dest, "0.4")
    for bad, msg in ((["nope.tif", dest], "does not exist"), ([src, dest, "--method", "cubic"], "method"),
                     ([src, dest, "--axes", "zyx"], "axes"), ([src, dest, "--chunks", "a,b"], "--chunks"),
                     ([src, str(tmp_path / "o.png")], "format")):
        r = _cli(*bad, "--overwrite")
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and msg in r.stderr, r.stderr
    r = _cli("--help")
    assert r.returncode == 0 and "examples:" in r.stdout and "--shards" in r.stdout


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_labels(tmp_path, version):
    x = _img((2, 90, 70))
    lab = RNG.integers(0, 5, (90, 70)).astype(np.uint16)
    dest = str(tmp_path / "img.ome.zarr")
    write_multiscale(x, dest, axes="cyx", chunks=16, ome_version=version, pixel_size=0.3)
    out = write_multiscale(lab, dest, labels="cells", chunks=16)
    assert out == os.path.join(dest, "labels", "cells")
    g = _check_levels(out, lab, "yx", "mode")
    attrs = dict(g.attrs)
    body = attrs["ome"] if version == "0.5" else attrs
    assert body["image-label"]["source"] == {"image": "../../"}
    ds = body["multiscales"][0]["datasets"]
    assert ds[0]["coordinateTransformations"][0]["scale"] == [0.3, 0.3]    # the image's pixel size
    assert ds[1]["coordinateTransformations"][1]["translation"] == [pytest.approx(0.15)] * 2
    listing = dict(zarr.open_group(os.path.join(dest, "labels"), mode="r").attrs)
    assert (listing["ome"] if version == "0.5" else listing)["labels"] == ["cells"]
    write_multiscale(lab, dest, labels="nuclei", chunks=16, method="max")
    listing = dict(zarr.open_group(os.path.join(dest, "labels"), mode="r").attrs)
    assert (listing["ome"] if version == "0.5" else listing)["labels"] == ["cells", "nuclei"]
    _validate(dest, version)
    if version == "0.5":
        from ome_zarr_models.v05.labels import Labels
        Labels.from_zarr(zarr.open_group(os.path.join(dest, "labels"), mode="r"))
    with pytest.raises(FileExistsError):
        write_multiscale(lab, dest, labels="cells", chunks=16)
    with pytest.raises(TypeError, match="integer"):
        write_multiscale(lab.astype(np.float32), dest, labels="f", chunks=16)
    with pytest.raises(ValueError, match="does not match"):
        write_multiscale(lab[:50], dest, labels="small", chunks=16)
    with pytest.raises(ValueError, match="method"):
        write_multiscale(lab, dest, labels="m", method="mean")
    with pytest.raises(ValueError, match="not an OME-Zarr image"):
        write_multiscale(lab, str(tmp_path / "none.zarr"), labels="cells")
    with pytest.raises(ValueError, match="labels"):
        write_multiscale(lab, dest, labels="a/b")


def test_distributed_worker_killed_during_write(tmp_path):
    """A worker killed mid-write: Dask reruns its tasks (each rewrites whole chunks), and
    the file still validates and matches the streaming write."""
    distributed = pytest.importorskip("distributed")
    import signal
    import threading
    import time
    x = _img((1536, 1536))
    a, b = str(tmp_path / "a.zarr"), str(tmp_path / "b.zarr")
    write_multiscale(x, a, chunks=64, name="n")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        pids = list(client.run(os.getpid).values())
        killed = []

        def killer():
            level0 = os.path.join(b + ".pyramidkit-partial", "0", "c")
            deadline = time.time() + 60
            while time.time() < deadline:
                if os.path.isdir(level0) and sum(len(f) for _, _, f in os.walk(level0)) >= 20:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(True)
                    return
                time.sleep(0.005)
        t = threading.Thread(target=killer)
        t.start()
        write_multiscale(x, b, chunks=64, name="n", scheduler=client)
        t.join()
    assert killed, "the write finished before a worker could be killed"
    _validate(b, "0.5")
    ga, gb = zarr.open_group(a, mode="r"), zarr.open_group(b, mode="r")
    for k in ga.array_keys():
        np.testing.assert_array_equal(ga[k][...], gb[k][...])


def test_stack_of_planes(tmp_path):
    """z kept (factor 1) with z chunks of 1 in source and file: streamed plane by plane."""
    x = _img((6, 70, 50), np.uint16)
    src = zarr.create_array(str(tmp_path / "s.zarr"), shape=x.shape, chunks=(1, 32, 32), dtype=x.dtype)
    src[...] = x
    dest = str(tmp_path / "st.zarr")
    write_multiscale(src, dest, axes="zyx", factor=(1, 2, 2), chunks=(1, 16, 16))
    g = _check_levels(dest, x, "zyx", factor=(1, 2, 2))
    assert g["0"].chunks == (1, 16, 16) and len(list(g.array_keys())) == 4   # 70 -> 35 -> 18 -> 9


def test_picture_of_written_levels(tmp_path):
    from pyramidkit import mosaic
    img = mosaic.test_image(128)
    dest = str(tmp_path / "t.ome.zarr")
    write_multiscale(img, dest, chunks=32)
    pic = mosaic.file_mosaic(dest)
    assert pic.shape == (128, 192, 3)   # 128 on the left, 64, 32 stacked on the right
    np.testing.assert_array_equal(pic[:128, :128], img)
    np.testing.assert_array_equal(pic[:64, 128:], pk.multiscale(img, 2)[1])
    png = str(tmp_path / "l.png")
    r = subprocess.run([sys.executable, "-m", "pyramidkit", "pyramid", "--from-file", dest, "-o", png],
                       capture_output=True, text=True)
    assert r.returncode == 0 and os.path.getsize(png) > 0
    r = subprocess.run([sys.executable, "-m", "pyramidkit", "pyramid", "--from-file", str(tmp_path / "no.zarr")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "does not exist" in r.stderr
