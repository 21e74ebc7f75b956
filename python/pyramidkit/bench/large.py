"""The large-image benchmark behind ``python -m pyramidkit bench-large``: chunked pyramids
on Dask and N-D downsampling against ngff-zarr, dask-image and libvips.

Method: every row runs in child processes, so one job's memory never counts against the
next. Time: one child times pyramidkit and the peer in alternating rounds (after one
untimed warm-up round each) and the row reports the median and the spread of the
per-round ratios. Memory: one child per library runs the job once and reports its
working memory, the peak RSS above the RSS before the job (the input already built),
less the result's bytes. Both sides use the same thread count (Dask's threaded scheduler
with that many workers; libvips' concurrency). Results are checked against each other
where they compute the same thing (pyramidkit Dask against in-memory: bit-identical).
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Dict, List, Optional, Tuple

import numpy as np

from .harness import proc_memory, run_child

# row -> (description, peer name, target, what the target means)
ROWS: Dict[str, Tuple[str, str, str]] = {
    "pyramid_dask": ("gaussian_pyramid of a {n}^2 uint8 Dask array in {c}^2 chunks, levels 1-4 to memory",
                     "pyramidkit in-memory", "peer/ours >= 1/3 (within 3x of in-memory)"),
    "pyramid_ngff_itk": ("same job, ngff-zarr to_multiscales ITKWASM_GAUSSIAN", "ngff-zarr itkwasm",
                         ">= 10x, memory <= 1/3"),
    "pyramid_ngff_dask_image": ("same job, ngff-zarr to_multiscales DASK_IMAGE_GAUSSIAN", "ngff-zarr dask-image",
                                ">= 10x, memory <= 1/3"),
    "pyramid_dask_image": ("same job, dask-image gaussian_filter(sigma 1) + [::2, ::2] per level", "dask-image",
                           ">= 10x, memory <= 1/3"),
    "volume_gaussian": ("downsample gaussian zyx of a {vz}x{vn}x{vn} uint16 volume (NumPy)", "ngff-zarr itkwasm",
                        ">= 10x"),
    "volume_gaussian_dask": ("same, Dask in {vc} chunks", "ngff-zarr itkwasm", ">= 10x"),
    "mean_rgb": ("downsample mean 2x of {n}^2 RGB uint8", "pyvips shrink(2, 2)", ">= 1x"),
}


def sizes(quick: bool) -> Dict[str, int]:
    if quick:
        return dict(n=4096, c=512, vz=64, vn=512, vcz=16, vcn=128)
    return dict(n=16384, c=1024, vz=256, vn=2048, vcz=64, vcn=512)


# ---------------------------------------------------------------------------------------
# Jobs (run inside a child): each returns (input builder, {library: job})

def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")   # resets VmHWM to the current RSS
    except OSError:
        pass


def _nbytes(res) -> int:
    if isinstance(res, (list, tuple)):
        return sum(_nbytes(r) for r in res)
    return int(np.asarray(res).nbytes)


def _jobs(row: str, quick: bool, threads: int):
    import pyramidkit as pk

    s = sizes(quick)
    rng = np.random.default_rng(0)
    # Import every library the row uses now, so that the memory measured is the job's only.
    import importlib
    import importlib.util
    for mod in ("dask.array", "ngff_zarr", "dask_image.ndfilters", "pyvips"):
        if importlib.util.find_spec(mod.split(".")[0]) is not None:
            importlib.import_module(mod)

    def dask_compute(arrays):
        import dask
        return dask.compute(*arrays, scheduler="threads", num_workers=threads)

    if row.startswith("pyramid"):
        img = rng.integers(0, 256, (s["n"], s["n"]), dtype=np.uint8)
        # The job's input is a Dask array (name=False: no hashing of the data)
        import dask.array as da
        dimg = da.from_array(img, chunks=s["c"], name=False)

        def ours():
            return list(dask_compute(pk.gaussian_pyramid(dimg, 5)[1:]))

        if row == "pyramid_dask":
            return ours, lambda: pk.gaussian_pyramid(img, 5)[1:]
        if row in ("pyramid_ngff_itk", "pyramid_ngff_dask_image"):
            def peer():
                import ngff_zarr as nz
                method = nz.Methods.ITKWASM_GAUSSIAN if row == "pyramid_ngff_itk" else nz.Methods.DASK_IMAGE_GAUSSIAN
                im = nz.to_ngff_image(dimg, dims=("y", "x"))
                ms = nz.to_multiscales(im, scale_factors=[2, 4, 8, 16], method=method, chunks=s["c"])
                return list(dask_compute([lv.data for lv in ms.images[1:]]))
            return ours, peer

        def peer():
            from dask_image.ndfilters import gaussian_filter
            lv, out = dimg, []
            for _ in range(4):
                lv = gaussian_filter(lv, sigma=1.0)[::2, ::2]
                out.append(lv)
            return list(dask_compute(out))
        return ours, peer
    if row.startswith("volume"):
        vol = rng.integers(0, 65536, (s["vz"], s["vn"], s["vn"]), dtype=np.uint16)
        import dask.array as da
        dvol = da.from_array(vol, chunks=(s["vcz"], s["vcn"], s["vcn"]), name=False)
        if row == "volume_gaussian":
            def ours():
                return pk.downsample(vol, 2, axes="zyx")
        else:
            def ours():
                return dask_compute([pk.downsample(dvol, 2, axes="zyx")])[0]

        def peer():
            import ngff_zarr as nz
            im = nz.to_ngff_image(dvol, dims=("z", "y", "x"))
            ms = nz.to_multiscales(im, scale_factors=[2], method=nz.Methods.ITKWASM_GAUSSIAN)
            return dask_compute([ms.images[1].data])[0]
        return ours, peer
    if row == "mean_rgb":
        rgb = rng.integers(0, 256, (s["n"], s["n"], 3), dtype=np.uint8)

        def ours():
            return pk.downsample(rgb, 2, method="mean")

        def peer():
            import pyvips
            h, w, c = rgb.shape
            im = pyvips.Image.new_from_memory(rgb.data, w, h, c, "uchar").shrink(2, 2)
            return np.ndarray((im.height, im.width, im.bands), np.uint8, im.write_to_memory())
        return ours, peer
    raise ValueError(f"unknown row {row!r}")


def _check(row: str, a, b) -> Optional[bool]:
    if row == "pyramid_dask":
        return all(np.array_equal(x, y) for x, y in zip(a, b))
    if row == "mean_rgb":
        return bool(np.abs(a.astype(int) - b.astype(int)).max() <= 1)   # libvips rounds its own way
    return None   # different filters: sizes only


def child(row: str, mode: str, quick: bool, threads: int, rounds: int) -> Dict:
    os.environ.setdefault("VIPS_CONCURRENCY", str(threads))
    import pyramidkit as pk
    pk.set_num_threads(threads)
    ours, peer = _jobs(row, quick, threads)
    if mode in ("mem-ours", "mem-peer"):
        fn = ours if mode == "mem-ours" else peer
        rss0, _ = proc_memory()
        _reset_peak()
        res = fn()
        _, hwm = proc_memory()
        return dict(working_bytes=max(0, hwm - rss0 - _nbytes(res)), result_bytes=_nbytes(res))
    a, b = ours(), peer()   # warm-up round, and the check
    out = dict(check=_check(row, a, b), ours_s=[], peer_s=[])
    del a, b
    for _ in range(rounds):
        for name, fn in (("ours_s", ours), ("peer_s", peer)):
            t = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - t)
    return out


# ---------------------------------------------------------------------------------------
# Parent

def _run_child(row: str, mode: str, quick: bool, threads: int, rounds: int) -> Dict:
    return run_child("pyramidkit.bench.large", row, mode, str(int(quick)), str(threads), str(rounds))


def _peer_missing(row: str) -> Optional[str]:
    import importlib.util
    need = {"pyramid_ngff_itk": ["ngff_zarr", "itkwasm_downsample"], "pyramid_ngff_dask_image": ["ngff_zarr", "dask_image"],
            "pyramid_dask_image": ["dask_image"], "volume_gaussian": ["ngff_zarr", "itkwasm_downsample"],
            "volume_gaussian_dask": ["ngff_zarr", "itkwasm_downsample"], "mean_rgb": ["pyvips"]}.get(row, [])
    for mod in ["dask"] + need:
        if importlib.util.find_spec(mod) is None:
            return mod
    return None


def run(quick: bool = False, threads: Optional[int] = None, rounds: int = 3, rows: Optional[List[str]] = None,
        progress: bool = True) -> Dict:
    from .harness import cpu_model
    from .._config import config
    threads = threads or config()["num_threads"]
    s = sizes(quick)
    fmt = dict(s, vc=f"({s['vcz']}, {s['vcn']}, {s['vcn']})")
    out = []
    for row in rows or list(ROWS):
        desc, peer, target = ROWS[row]
        r = dict(row=row, workload=desc.format(**fmt), peer=peer, target=target, threads=threads)
        missing = _peer_missing(row)
        if missing:
            r.update(peer=f"{peer} (missing: pip install \"pyramidkit[bench-large]\"; {missing})")
            out.append(r)
            continue
        if progress:
            print(f"[{row}] {r['workload']} ...", file=sys.stderr, flush=True)
        t = _run_child(row, "time", quick, threads, rounds)
        if "error" in t:
            r.update(error=t["error"])
            out.append(r)
            continue
        ratios = sorted(p / o for o, p in zip(t["ours_s"], t["peer_s"]))
        r.update(ours_s=statistics.median(t["ours_s"]), peer_s=statistics.median(t["peer_s"]),
                 speedup=statistics.median(ratios), speedup_min=ratios[0], speedup_max=ratios[-1],
                 check=t["check"])
        mo, mp = (_run_child(row, m, quick, threads, 1) for m in ("mem-ours", "mem-peer"))
        r.update(ours_working_mib=mo.get("working_bytes", 0) / 2**20 if "error" not in mo else None,
                 peer_working_mib=mp.get("working_bytes", 0) / 2**20 if "error" not in mp else None)
        out.append(r)
    return dict(machine=dict(processor=cpu_model(), cpus=os.cpu_count(), python=sys.version.split()[0]),
                config=config(), method=dict(rounds=rounds, statistic="median of per-round ratios (min-max)"),
                results=out)


def format_table(res: Dict) -> str:
    head = f"{'row':24s} {'peer':22s} {'ours s':>8s} {'peer s':>8s} {'speedup (min-max)':>20s} " \
           f"{'ours MiB':>9s} {'peer MiB':>9s}  target"
    lines = [f"CPU: {res['machine']['processor']}, {res['machine']['cpus']} CPUs, "
             f"SIMD {res['config']['simd']['active']}, {res['results'][0]['threads'] if res['results'] else '?'} threads", head, "-" * len(head)]
    for r in res["results"]:
        if "speedup" not in r:
            lines.append(f"{r['row']:24s} {r['peer'][:60]:22s} {r.get('error', '')}")
            continue
        mib = lambda v: f"{v:9.0f}" if v is not None else f"{'-':>9s}"
        sp = f"{r['speedup']:.2f}x ({r['speedup_min']:.2f}-{r['speedup_max']:.2f})"
        chk = "" if r["check"] is None else ("  ok" if r["check"] else "  MISMATCH")
        lines.append(f"{r['row']:24s} {r['peer'][:22]:22s} {r['ours_s']:8.3f} {r['peer_s']:8.3f} {sp:>20s} "
                     f"{mib(r['ours_working_mib'])} {mib(r['peer_working_mib'])}  {r['target']}{chk}")
    return "\n".join(lines)


if __name__ == "__main__":
    row_, mode_, quick_, threads_, rounds_ = sys.argv[1:6]
    print(json.dumps(child(row_, mode_, bool(int(quick_)), int(threads_), int(rounds_))))
