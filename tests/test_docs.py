"""The examples in the docstrings run and give what they show."""
import doctest
import importlib

import pytest

import pyramidkit
import pyramidkit._config
import pyramidkit.blur
import pyramidkit.conv_transpose
import pyramidkit.pool
import pyramidkit.mosaic
import pyramidkit.dog
import pyramidkit.pyramid

import pyramidkit.resample
import pyramidkit.files.read
import pyramidkit.files.write

DOWNSAMPLE = importlib.import_module("pyramidkit.downsample")   # pyramidkit.downsample is the function
CONV2D = importlib.import_module("pyramidkit.conv2d")           # pyramidkit.conv2d is the function
ASPP = importlib.import_module("pyramidkit.aspp")               # pyramidkit.aspp is the function


@pytest.mark.parametrize("module", [pyramidkit.pyramid, pyramidkit.blur, pyramidkit.dog, DOWNSAMPLE,
                                    pyramidkit.resample, pyramidkit.conv_transpose, CONV2D, ASPP, pyramidkit.pool,
                                    pyramidkit.mosaic,
                                    pyramidkit._config, pyramidkit.files.write, pyramidkit.files.read],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_bench_command_quick(capsys):
    from pyramidkit.__main__ import main
    assert main(["bench", "--quick", "--rounds", "1", "--block", "0.001", "--ops", "pyr_up"]) == 0
    out = capsys.readouterr().out
    assert "pyr_up" in out and "of copy bw" in out


def test_bench_scaling_section(tmp_path, capsys):
    from pyramidkit import bench as _bench
    rows = _bench.scaling((64, 128), threads=[1, 2], rounds=1, target_s=0.001, progress=False)
    assert {(r["op"], r["side"], r["threads"]) for r in rows} == {
        (op, side, nt) for op in ("pyr_down", "gaussian_blur") for side in (64, 128) for nt in (1, 2)}
    assert all(r["ms"] > 0 and r["ns_per_pixel"] > 0 for r in rows)
    assert "ns/pixel" in _bench.format_scaling(rows)
    import importlib.util
    if importlib.util.find_spec("matplotlib") is None:
        return
    assert _bench.plot_scaling(rows, str(tmp_path / "s.png"))
    assert (tmp_path / "s.png").stat().st_size > 0


def test_bench_flop_rate_rows(capsys):
    """Compute-bound rows report their FLOP rate and its share of the measured FMA peak."""
    from pyramidkit.__main__ import main
    assert main(["bench", "--quick", "--rounds", "1", "--block", "0.001", "--ops", "conv2d"]) == 0
    out = capsys.readouterr().out
    assert "conv2d" in out and "GF" in out and "FMA peak" in out
    from pyramidkit.bench import harness
    assert harness.fma_peak(1, seconds=0.01) > 1e8   # any CPU does 0.1 GFLOP/s


def test_bench_chart(tmp_path):
    # The results chart: one bar per timed row with a peer; rows without one are left out.
    import importlib.util
    from pyramidkit import bench as _bench
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib not installed")
    row = dict(op="pyr_down", workload="8x8 uint8", peer="opencv", speedup=2.0, copy_fraction=0.5, threads=2)
    res = {"results": [row, dict(row, peer="torch", speedup=300.0, copy_fraction=None), dict(row, speedup=None)]}
    assert _bench.plot(res, str(tmp_path / "r.png"))
    assert (tmp_path / "r.png").stat().st_size > 0
    assert not _bench.plot({"results": [dict(row, speedup=None)]}, str(tmp_path / "none.png"))


def test_every_public_function_has_an_example():
    missing = [n for n in pyramidkit.__all__ if ">>>" not in (getattr(pyramidkit, n).__doc__ or "")]
    assert not missing, f"no docstring example: {missing}"


def test_bench_imports_peers_only_for_rows_that_run():
    """`--ops pyr_down` runs OpenCV rows only: torch, scikit-image and Pillow stay unimported."""
    import subprocess
    import sys
    code = ("import sys; from pyramidkit import bench; "
            "bench.run(ops=['pyr_down'], quick=True, rounds=1, target_s=0.001, progress=False); "
            "print(sorted(m for m in ('torch', 'skimage', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_bench_large_quick_row():
    pytest.importorskip("dask")
    from pyramidkit.bench import large

    res = large.run(quick=True, rounds=1, rows=["pyramid_dask"], progress=False)
    (row,) = res["results"]
    assert row["check"] is True and row["speedup"] > 0 and row["ours_working_mib"] is not None
    assert "pyramid_dask" in large.format_table(res)


def test_bench_multiscale_quick_row(tmp_path):
    pytest.importorskip("zarr")
    from pyramidkit.bench import multiscale

    res = multiscale.run(quick=True, rounds=1, rows=["copy_raw"], workdir=str(tmp_path), progress=False)
    (copy,) = res["results"]
    assert copy["speedup"] > 0 and copy["ours_peak_mib"] > 0 and copy["peer_peak_mib"] > 0
    assert copy["image_mib"] == 64
    assert "copy_raw" in multiscale.format_table(res)
    big = dict(row="larger_than_memory", peer="-", target="t", ours_s=371.4, peer_s=None, ours_peak_mib=383.0,
               peer_peak_mib=None, ratio=0.37)
    assert "0.37 GiB" in multiscale.format_table(dict(res, results=[big]))
    assert not any(p.name.startswith(("ours", "peer")) for p in tmp_path.iterdir())   # outputs cleaned up
