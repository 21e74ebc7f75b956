"""Command line (``pyramidkit`` or ``python -m pyramidkit``): ``multiscale SOURCE DEST`` (an
image's pyramid as OME-Zarr or pyramidal OME-TIFF), ``bench`` (the benchmark), ``pyramid
[IMAGE] -o OUT.png`` (a picture of an image's Gaussian and Laplacian pyramids) and
``config``."""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    from .bench import OPS, PEERS
    from .bench.large import ROWS as LARGE_ROWS
    from .files import cli as files_cli

    parser = argparse.ArgumentParser(prog="python -m pyramidkit", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    files_cli.add_parser(sub)
    b = sub.add_parser("bench", help="time pyramidkit against the installed peers (OpenCV, torch) on built-in inputs")
    b.add_argument("--threads", type=int, default=None, help="threads for every library (default: pk default)")
    b.add_argument("--rounds", type=int, default=7, help="timing rounds; medians are reported (default 7)")
    b.add_argument("--block", type=float, default=0.05, help="seconds per timing block (default 0.05)")
    b.add_argument("--quick", action="store_true", help="smaller inputs and fewer rounds")
    b.add_argument("--ops", nargs="*", default=None, choices=OPS, help="ops to run (default all)")
    b.add_argument("--peers", nargs="*", default=None, choices=list(PEERS.values()),
                   help="peers to time against (default all installed); the others' rows time pyramidkit only")
    b.add_argument("--json", default=None, help="write the results as JSON to this path")
    b.add_argument("--png", default=None, help="write a chart to this path (needs matplotlib)")
    b.add_argument("--results", default=None, metavar="DIR", help="also write DIR/<cpu>.json and DIR/<cpu>.png, "
                   "<cpu> naming this machine's CPU (e.g. bench/results/intel-xeon-f6m167.json)")
    b.add_argument("--first-call", action="store_true", help="also time each op's first call in a fresh process "
                   "against its steady state")
    b.add_argument("--compare", nargs="+", default=None, metavar="JSON", help="instead: a Markdown table of saved "
                   "runs, one speedup column per run (e.g. bench/results/*.json; LABEL=PATH names a column)")
    b.add_argument("--scaling", action="store_true", help="also time pyr_down / gaussian_blur against image size "
                   "(1K to 8K side) and threads (1, 2, all)")
    b.add_argument("--scaling-png", default=None, help="chart of the scaling runs (needs matplotlib)")
    b.add_argument("--multiscale", action="store_true", help="instead: time writing whole pyramids as OME-Zarr / "
                   "OME-TIFF against a Zarr copy, ngff-zarr, ome-zarr-py and libvips (1 GiB inputs, made once "
                   "under --workdir; --quick: 64 MiB)")
    b.add_argument("--workdir", default=None, help="--multiscale: where inputs and outputs go (default "
                   "./pyramidkit-bench-files)")
    b.add_argument("--rows", nargs="*", default=None, help="--multiscale: rows to run (default all)")
    b.add_argument("--large", action="store_true", help="--multiscale: also write a 32 GiB image (larger than "
                   "this machine's memory; ~40 GB of disk under --workdir, minutes; not in CI)")
    bl = sub.add_parser("bench-large", help="chunked pyramids on Dask and N-D downsampling against ngff-zarr, "
                        "dask-image and libvips on large images (pip install \"pyramidkit[bench-large]\")")
    bl.add_argument("--quick", action="store_true", help="4096^2 images and a 64x512x512 volume instead of "
                    "16384^2 and 256x2048x2048")
    bl.add_argument("--threads", type=int, default=None, help="threads / Dask workers for every library")
    bl.add_argument("--rounds", type=int, default=3, help="timed rounds per row (default 3)")
    bl.add_argument("--rows", nargs="*", default=None, help="rows to run (default all): " + ", ".join(LARGE_ROWS))
    bl.add_argument("--json", default=None, help="write the results as JSON to this path")
    m = sub.add_parser("pyramid", help="write a mosaic of an image's Gaussian and Laplacian pyramids")
    m.add_argument("image", nargs="?", default=None, help="image file (default: a built-in test image); reading "
                   "one needs Pillow, OpenCV or imageio")
    m.add_argument("-o", "--output", default="pyramid.png", help="PNG to write (default pyramid.png)")
    m.add_argument("--levels", type=int, default=None, help="pyramid levels (default: down to 8 pixels, at most 8)")
    m.add_argument("--from-file", default=None, metavar="PATH", help="instead: the levels of a written OME-Zarr or "
                   "pyramidal TIFF (those at most 1024 pixels on a side)")
    sub.add_parser("config", help="print SIMD levels, OpenMP and threads")
    args = parser.parse_args(argv)

    import pyramidkit as pk

    if args.cmd == "multiscale":
        return files_cli.run(args)
    if args.cmd == "config":
        pk.show_config()
        return 0
    if args.cmd == "pyramid":
        from . import mosaic

        if args.levels is not None and args.levels < 1:
            parser.error("--levels must be >= 1")
        if args.from_file is not None:
            try:
                picture = mosaic.file_mosaic(args.from_file)
            except (ValueError, OSError, ImportError) as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
            mosaic.write_png(args.output, picture)
            print(f"wrote {args.output} ({picture.shape[1]}x{picture.shape[0]}) from {args.from_file}")
            return 0
        try:
            img = mosaic.test_image() if args.image is None else mosaic.read_image(args.image)
        except (RuntimeError, ValueError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        picture = mosaic.pyramid_mosaic(img, args.levels)
        mosaic.write_png(args.output, picture)
        print(f"wrote {args.output} ({picture.shape[1]}x{picture.shape[0]}) from "
              f"{'the built-in test image' if args.image is None else args.image}")
        return 0
    if args.cmd == "bench-large":
        from .bench import large

        bad_rows = [r for r in args.rows or [] if r not in LARGE_ROWS]
        if bad_rows:
            parser.error(f"--rows: unknown {bad_rows}; accepted: {', '.join(LARGE_ROWS)}")
        if args.threads is not None and args.threads < 1:
            parser.error("--threads must be >= 1")
        res = large.run(quick=args.quick, threads=args.threads, rounds=args.rounds, rows=args.rows)
        print(large.format_table(res))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(res, f, indent=1)
            print(f"wrote {args.json}")
        return 0
    from . import bench as _bench

    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    if args.multiscale:
        from .bench import multiscale as _ms
        known = {**_ms.ROWS, **_ms.LARGE_ROWS}
        bad_rows = [r for r in args.rows or [] if r not in known]
        if bad_rows:
            parser.error(f"--rows: unknown {bad_rows}; accepted: {', '.join(known)}")
        rows = args.rows or list(_ms.ROWS) + (list(_ms.LARGE_ROWS) if args.large else [])
        res = _ms.run(quick=args.quick, threads=args.threads, rounds=min(args.rounds, 3), rows=rows,
                      workdir=args.workdir)
        print(_ms.format_table(res))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(res, f, indent=1)
            print(f"wrote {args.json}")
        if args.png and _ms.plot(res, args.png):
            print(f"wrote {args.png}")
        return 0
    if args.compare:
        try:
            runs = []
            for spec in args.compare:   # PATH or LABEL=PATH
                label, _, path = spec.rpartition("=") if "=" in spec else ("", "", spec)
                with open(path) as f:
                    runs.append(dict(json.load(f), label=label or None))
        except (OSError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(_bench.compare_table(runs))
        return 0
    res = _bench.run(threads=args.threads, rounds=args.rounds, target_s=args.block, quick=args.quick, ops=args.ops,
                     peers=args.peers)
    print(_bench.format_table(res))
    if args.scaling:
        sides = (512, 1024) if args.quick else _bench.SCALING_SIDES
        res["scaling"] = _bench.scaling(sides, rounds=min(args.rounds, 5), target_s=args.block)
        print()
        print(_bench.format_scaling(res["scaling"]))
        if args.scaling_png and _bench.plot_scaling(res["scaling"], args.scaling_png):
            print(f"wrote {args.scaling_png}")
    if args.first_call:
        from .bench import first_call
        res["first_call"] = first_call.run(quick=args.quick, threads=res["results"][0]["threads"] if res["results"]
                                           else (args.threads or 2), ops=args.ops)
        print()
        print(first_call.format_table(res["first_call"]))
    if args.json:
        _bench.save_json(res, args.json)
        print(f"wrote {args.json}")
    if args.png and _bench.plot(res, args.png):
        print(f"wrote {args.png}")
    if args.results:
        import os
        os.makedirs(args.results, exist_ok=True)
        base = os.path.join(args.results, _bench.machine_slug(res["machine"]))
        _bench.save_json(res, base + ".json")
        print(f"wrote {base}.json")
        if _bench.plot(res, base + ".png"):
            print(f"wrote {base}.png")
    bad = [r for r in res["results"] if r["matches_peer"] is False]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
