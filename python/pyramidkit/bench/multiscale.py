"""The file-writing benchmark behind ``python -m pyramidkit bench --multiscale``: writing a
whole pyramid to OME-Zarr or pyramidal OME-TIFF, against the I/O floor (a plain Zarr copy of
level 0), ngff-zarr, ome-zarr-py and libvips.

Inputs are Zarr v3 arrays on disk in 1024^2 chunks (uncompressed, or zstd), made once
under the work directory: a W^2 uint8 image (W = 32768, 1 GiB; 8192 with --quick), a
(W/2)^2 RGB uint8 image, and for the memory row the same width 4x as tall (4 GiB).
Every job runs in its own child process (the time of one run, after the page cache holds
the input, the destination removed before the clock starts) and reports its peak RSS
(the whole process, as a user sees it). Rows alternate ours and the peer's runs and
report the median of the per-round ratios and their spread.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Dict, List, Optional

import numpy as np

from ..files.write import PARTIAL, _remove
from .harness import proc_memory, run_child

CHUNK = 1024
# row -> (description, peer, target)
ROWS: Dict[str, tuple] = {
    "copy_raw": ("write_multiscale gaussian, {w}^2 uint8, Zarr v3 uncompressed", "zarr copy of level 0",
                 "peer/ours >= 1/1.3 (at most 1.3x the I/O floor)"),
    "copy_zstd": ("same, zstd", "zarr copy of level 0", "peer/ours >= 1/1.3"),
    "copy_rgb": ("same, ({h})^2 RGB uint8, zstd", "zarr copy of level 0", "peer/ours >= 1/1.3"),
    "ngff_zarr": ("same as copy_zstd", "ngff-zarr ITKWASM_GAUSSIAN", ">= 10x"),
    "ome_zarr_py": ("same as copy_zstd", "ome-zarr-py (resize: Gaussian anti-aliased)", ">= 10x"),
    "tiff_mean": ("pyramidal OME-TIFF, mean, {w}^2 uint8 from a tiled TIFF, 1024^2 tiles, deflate",
                  "libvips tiffsave pyramid",
                  ">= 1x, peak RSS <= libvips'"),
    "memory_4x": ("peak RSS, zstd OME-Zarr: {w} x {w4} (4x as tall) against {w}^2", "ours on the 1x image",
                  "ratio <= 1 (memory independent of height)"),
}
# --large only (not in CI): an image larger than this machine's memory
LARGE_ROWS: Dict[str, tuple] = {
    "larger_than_memory": ("write_multiscale gaussian, zstd OME-Zarr, 32768 x 1048576 uint8 (32 GiB)", "-",
                           "runs to the end, peak RSS < 2 GiB"),
}


def sizes(quick: bool) -> Dict[str, int]:
    w = 8192 if quick else 32768
    return dict(w=w, h=w // 2, w4=4 * w)


def _work(workdir: str, name: str) -> str:
    return os.path.join(workdir, name)


def make_input(path: str, shape, zstd: bool) -> None:
    """A smooth image with noise (compresses like a real scan, not like zeros or noise); the
    noise of each band a shifted copy of the first's, so that 32 GiB take minutes to make."""
    import zarr
    if os.path.exists(path):
        return
    comp = "auto" if zstd else None
    chunks = (CHUNK, CHUNK) + tuple(shape[2:])
    a = zarr.create_array(path + ".tmp", shape=shape, chunks=chunks, dtype="uint8", compressors=comp,
                          config={"write_empty_chunks": True}, overwrite=True)
    rng = np.random.default_rng(0)
    w = shape[1]
    xs = np.arange(w, dtype=np.float32)
    ys = np.arange(CHUNK, dtype=np.float32)[:, None]
    smooth = 128 + 60 * np.sin(xs / 97.0) * np.cos(ys / 131.0)
    noise = rng.normal(0, 12, (CHUNK, w)).astype(np.float32)
    for k, r in enumerate(range(0, shape[0], CHUNK)):   # one band computed, the others shifted copies
        n = min(CHUNK, shape[0] - r)
        band = np.clip(smooth[:n] + np.roll(noise[:n], 37 * k, axis=1), 0, 255).astype(np.uint8)
        if len(shape) == 3:
            band = np.stack([band, 255 - band, band // 2], axis=-1)
        a[r:r + n] = band
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------------------------------
# Jobs (in a child)

def make_tiff(path: str, zarr_path: str) -> None:
    """The Zarr input as a tiled TIFF (the source both sides read in the TIFF row)."""
    import tifffile
    import zarr
    if os.path.exists(path):
        return
    s = zarr.open_array(zarr_path, mode="r")
    h, w = s.shape

    def tiles():
        for r in range(0, h, CHUNK):
            band = s[r:r + CHUNK]
            for c in range(0, w, CHUNK):
                yield band[:, c:c + CHUNK]
    tifffile.imwrite(path + ".tmp.tif", tiles(), shape=s.shape, dtype=s.dtype, tile=(CHUNK, CHUNK), bigtiff=True)
    os.replace(path + ".tmp.tif", path)


def job(kind: str, src: str, dest: str, threads: int) -> None:
    if kind in ("ours_tiff", "libvips"):
        if kind == "ours_tiff":
            import pyramidkit as pk
            pk.write_multiscale(src, dest, chunks=CHUNK, method="mean", compressor="zlib")
        else:
            import pyvips
            im = pyvips.Image.new_from_file(src, access="sequential")
            im.tiffsave(dest, tile=True, tile_width=CHUNK, tile_height=CHUNK, pyramid=True, compression="deflate",
                        bigtiff=True)
        return
    import zarr
    s = zarr.open_array(src, mode="r")
    zstd = bool(s.compressors)
    rgb = s.ndim == 3
    if kind == "ours":
        import pyramidkit as pk
        pk.write_multiscale(src, dest, chunks=CHUNK, compressor="default" if zstd else None)
    elif kind == "copy":
        d = zarr.create_array(dest, shape=s.shape, chunks=s.chunks, dtype=s.dtype, compressors="auto" if zstd else None,
                              config={"write_empty_chunks": True})
        for r in range(0, s.shape[0], CHUNK):
            d[r:r + CHUNK] = s[r:r + CHUNK]
    elif kind == "ngff_zarr":
        import dask
        import dask.array as da
        import ngff_zarr as nz
        x = da.from_zarr(s)
        im = nz.to_ngff_image(x, dims=("y", "x", "c") if rgb else ("y", "x"))
        ms = nz.to_multiscales(im, scale_factors=[2, 4, 8, 16, 32], method=nz.Methods.ITKWASM_GAUSSIAN,
                               chunks=CHUNK)
        with dask.config.set(scheduler="threads", num_workers=threads):
            nz.to_ngff_zarr(dest, ms, version="0.5")
    elif kind == "ome_zarr_py":
        import dask
        import dask.array as da
        from ome_zarr.writer import write_image
        root = zarr.open_group(dest, mode="w")
        with dask.config.set(scheduler="threads", num_workers=threads):
            write_image(da.from_zarr(s), root, axes="yxc" if rgb else "yx", scale_factors=(2, 4, 8, 16, 32),
                        method="resize", storage_options=dict(chunks=(CHUNK, CHUNK)))
    else:
        raise ValueError(kind)


def child(kind: str, src: str, dest: str, threads: int) -> Dict:
    os.environ.setdefault("VIPS_CONCURRENCY", str(threads))
    import pyramidkit as pk
    pk.set_num_threads(threads)
    t = time.perf_counter()
    job(kind, src, dest, threads)
    dt = time.perf_counter() - t
    return dict(seconds=dt, peak_rss=proc_memory()[1])


def _run(kind: str, src: str, dest: str, threads: int) -> Dict:
    _cleanup(dest)
    os.sync()
    return run_child("pyramidkit.bench.multiscale", kind, src, dest, str(threads))


def _missing(kind: str) -> Optional[str]:
    import importlib.util
    need = {"ngff_zarr": ["ngff_zarr", "itkwasm_downsample"], "ome_zarr_py": ["ome_zarr"],
            "libvips": ["pyvips"]}.get(kind, [])   # "none" and None: ours alone
    for m in ["zarr"] + need:
        if importlib.util.find_spec(m) is None:
            return m
    return None


def run(quick: bool = False, threads: Optional[int] = None, rounds: int = 3, rows: Optional[List[str]] = None,
        workdir: Optional[str] = None, progress: bool = True) -> Dict:
    from .._config import config
    from .harness import cpu_model
    threads = threads or config()["num_threads"]
    s = sizes(quick)
    workdir = workdir or os.path.join(os.getcwd(), "pyramidkit-bench-files")
    os.makedirs(workdir, exist_ok=True)
    inputs = {"raw": (_work(workdir, f"gray{s['w']}_raw.zarr"), (s["w"], s["w"]), False),
              "zstd": (_work(workdir, f"gray{s['w']}_zstd.zarr"), (s["w"], s["w"]), True),
              "rgb": (_work(workdir, f"rgb{s['h']}_zstd.zarr"), (s["h"], s["h"], 3), True),
              "tall": (_work(workdir, f"gray{s['w']}x{s['w4']}_zstd.zarr"), (s["w4"], s["w"]), True)}
    plan = {"copy_raw": ("raw", "ours", "copy"), "copy_zstd": ("zstd", "ours", "copy"),
            "copy_rgb": ("rgb", "ours", "copy"), "ngff_zarr": ("zstd", "ours", "ngff_zarr"),
            "ome_zarr_py": ("zstd", "ours", "ome_zarr_py"), "tiff_mean": ("raw", "ours_tiff", "libvips"),
            "memory_4x": ("tall", "ours", None)}
    inputs["large"] = (_work(workdir, "gray32768x1048576_zstd.zarr"), (1 << 20, 32768), True)
    plan["larger_than_memory"] = ("large", "ours", "none")
    out = []
    for row in rows or list(ROWS):
        desc, peer, target = {**ROWS, **LARGE_ROWS}[row]
        inp, ours, theirs = plan[row]
        r = dict(row=row, workload=desc.format(**s), peer=peer, target=target, threads=threads)
        missing = _missing(theirs or "")
        if missing:
            r["peer"] = f"{peer} (missing: pip install \"pyramidkit[bench-large]\"; {missing})"
            out.append(r)
            continue
        if progress:
            print(f"[{row}] {r['workload']} ...", file=sys.stderr, flush=True)
        path, shape, zstd = inputs[inp]
        make_input(path, shape, zstd)
        if row == "tiff_mean":
            make_tiff(path[:-5] + ".tif", path)
            path = path[:-5] + ".tif"
        ext = ".ome.tif" if ours == "ours_tiff" else ".ome.zarr"
        d_ours, d_peer = _work(workdir, "ours" + ext), _work(workdir, "peer" + (".tif" if theirs == "libvips" else ".zarr"))
        if theirs == "none":   # ours alone: time and peak RSS
            a = _run(ours, path, d_ours, threads)
            if "error" in a:
                r["error"] = a["error"]
            else:
                r.update(ours_s=a["seconds"], peer_s=None, ours_peak_mib=a["peak_rss"] / 2**20,
                         peer_peak_mib=None, ratio=a["peak_rss"] / 2**30, image_mib=shape[0] * shape[1] / 2**20)
            out.append(r)
            _cleanup(d_ours)
            continue
        if theirs is None:   # memory: the tall image against the square one
            path1, _, _ = inputs["zstd"]
            make_input(path1, (s["w"], s["w"]), True)
            a, b = _run(ours, path, d_ours, threads), _run(ours, path1, d_ours, threads)
            if "error" in a or "error" in b:
                r["error"] = a.get("error") or b.get("error")
            else:
                r.update(ours_s=a["seconds"], peer_s=b["seconds"], ours_peak_mib=a["peak_rss"] / 2**20,
                         peer_peak_mib=b["peak_rss"] / 2**20, ratio=a["peak_rss"] / b["peak_rss"],
                         image_mib=shape[0] * shape[1] / 2**20)
            out.append(r)
            _cleanup(d_ours, d_peer)
            continue
        ts_o, ts_p, peaks_o, peaks_p = [], [], [], []
        n = 1 if theirs in ("ngff_zarr", "ome_zarr_py") and not quick else rounds
        err = None
        for _ in range(n):
            a = _run(ours, path, d_ours, threads)
            b = _run(theirs, path, d_peer, threads)
            if "error" in a or "error" in b:
                err = a.get("error") or b.get("error")
                break
            ts_o.append(a["seconds"]), ts_p.append(b["seconds"])
            peaks_o.append(a["peak_rss"]), peaks_p.append(b["peak_rss"])
        if err:
            r["error"] = err
        else:
            ratios = sorted(p / o for o, p in zip(ts_o, ts_p))
            r.update(ours_s=statistics.median(ts_o), peer_s=statistics.median(ts_p),
                     speedup=statistics.median(ratios), speedup_min=ratios[0], speedup_max=ratios[-1],
                     ours_peak_mib=max(peaks_o) / 2**20, peer_peak_mib=max(peaks_p) / 2**20,
                     image_mib=int(np.prod(shape)) / 2**20)
        out.append(r)
        _cleanup(d_ours, d_peer)
    return dict(machine=dict(processor=cpu_model(), cpus=os.cpu_count(), python=sys.version.split()[0]),
                config=config(), method=dict(rounds=rounds, statistic="median of per-round ratios (min-max)",
                                             memory="peak RSS of the child process (whole process)"),
                results=out)


def _cleanup(*paths: str) -> None:
    for p in paths:
        _remove(p)
        _remove(p + PARTIAL)


def format_table(res: Dict) -> str:
    head = (f"{'row':12s} {'peer':32s} {'ours s':>8s} {'peer s':>8s} {'speedup (min-max)':>20s} "
            f"{'ours MiB':>9s} {'peer MiB':>9s}  target")
    lines = [f"CPU: {res['machine']['processor']}, {res['machine']['cpus']} CPUs, SIMD "
             f"{res['config']['simd']['active']}", head, "-" * len(head)]
    for r in res["results"]:
        if "ours_s" not in r:
            lines.append(f"{r['row']:12s} {r['peer'][:70]:32s} {r.get('error', '')}")
            continue
        if r["row"] in LARGE_ROWS:
            sp = f"RSS {r['ratio']:.2f} GiB"
        elif "ratio" in r:
            sp = f"RSS {r['ratio']:.2f}x"
        else:
            sp = f"{r['speedup']:.2f}x ({r['speedup_min']:.2f}-{r['speedup_max']:.2f})"
        num = (lambda v, w, p: f"{v:{w}.{p}f}" if v is not None else f"{'-':>{w}s}")
        lines.append(f"{r['row']:12s} {r['peer'][:32]:32s} {num(r['ours_s'], 8, 2)} {num(r['peer_s'], 8, 2)} "
                     f"{sp:>20s} {num(r['ours_peak_mib'], 9, 0)} {num(r['peer_peak_mib'], 9, 0)}  {r['target']}")
    return "\n".join(lines)


def plot(res: Dict, path: str) -> bool:
    """A bar chart of the speedups (log scale), the CPU in the title; False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [r for r in res["results"] if "speedup" in r]
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.5 * len(rows)))
    ax.barh([f"{r['row']} vs {r['peer']}" for r in rows], [r["speedup"] for r in rows],
            xerr=[[r["speedup"] - r["speedup_min"] for r in rows], [r["speedup_max"] - r["speedup"] for r in rows]])
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("peer time / pyramidkit time (higher is faster)")
    ax.set_title(f"write_multiscale, {res['machine']['processor']}, {res['machine']['cpus']} CPUs", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


if __name__ == "__main__":
    kind_, src_, dest_, threads_ = sys.argv[1:5]
    print(json.dumps(child(kind_, src_, dest_, int(threads_))))
