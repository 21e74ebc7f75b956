"""``pyramidkit multiscale SOURCE DEST``: write_multiscale from the command line."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Optional

EXAMPLES = """\
examples:
  pyramidkit multiscale slide.ome.tif slide.ome.zarr
  pyramidkit multiscale scan.tif scan.ome.zarr --chunks 512 --shards 4096 --compressor zstd
  pyramidkit multiscale volume.zarr volume.ome.zarr --axes zyx --factor 1,2,2 --pixel-size 2,0.5,0.5
  pyramidkit multiscale labels.tif labels.ome.zarr --method mode
  pyramidkit multiscale cells.tif slide.ome.zarr --labels cells      # an NGFF label of slide
  pyramidkit multiscale image.zarr image.ome.tif --method mean --compressor zlib
  pyramidkit multiscale big.zarr big.ome.zarr --scheduler tcp://scheduler:8786

The file appears at DEST only when it is complete (it is written next to it as
DEST.pyramidkit-partial and renamed at the end); an existing DEST needs --overwrite.
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("multiscale", help="write an image's multiscale pyramid as OME-Zarr or pyramidal OME-TIFF",
                       description="Write every level of SOURCE's pyramid (pk.multiscale, bit for bit) as an "
                                   "OME-Zarr image (NGFF 0.5 on Zarr v3, or 0.4 on Zarr v2) or a pyramidal "
                                   "OME-TIFF, streaming level 0 once with bounded memory, or as Dask tasks.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="a Zarr array or OME-Zarr image (.zarr), a TIFF / OME-TIFF / BigTIFF, or an "
                   "image Pillow reads (PNG, JPEG, ...)")
    p.add_argument("dest", help="output: .zarr / .ome.zarr (OME-Zarr) or .ome.tif / .ome.tiff (pyramidal OME-TIFF)")
    p.add_argument("--method", default="gaussian", help="gaussian (default), mean, nearest, mode (labels), min, max")
    p.add_argument("--levels", type=int, default=None, help="levels written, level 0 included (default: until "
                   "the image fits in one chunk)")
    p.add_argument("--factor", default="2", help="downsampling factor: one int, or one per spatial axis "
                   "(comma separated, in the source's axis order), e.g. 1,2,2 (default 2)")
    p.add_argument("--axes", default=None, help="the source's axes, one of t c z y x per axis, e.g. yx, yxc, cyx, "
                   "zyx, tczyx (default: from the file's metadata, else by ndim)")
    p.add_argument("--chunks", default=None, help="chunk (or TIFF tile) size per spatial axis: one int or a "
                   "comma list (default 1024 for images, 64 for volumes)")
    p.add_argument("--shards", default=None, help="shard size per spatial axis, a multiple of --chunks "
                   "(OME-Zarr 0.5 only)")
    p.add_argument("--ome-version", default="0.5", choices=("0.5", "0.4"), help="NGFF version (default 0.5)")
    p.add_argument("--compressor", default="default", help="default, none, zstd, gzip, blosc (Zarr); default, "
                   "none, zlib, zstd, lzw, jpeg (TIFF)")
    p.add_argument("--format", default=None, choices=("zarr", "tiff"), help="output format, when DEST's "
                   "extension does not say")
    p.add_argument("--pixel-size", default=None, help="physical size of a level-0 sample per spatial axis (one "
                   "number or a comma list; default from the source's metadata)")
    p.add_argument("--unit", default=None, help="unit of --pixel-size (default micrometer)")
    p.add_argument("--name", default=None, help="the image's name in the metadata (default DEST's file name)")
    p.add_argument("--labels", default=None, metavar="NAME", help="SOURCE is a label image: write it as the NGFF "
                   "label NAME into the existing OME-Zarr image DEST (method mode)")
    p.add_argument("--scheduler", default=None, help="run as Dask tasks: threads, processes, sync, or a "
                   "dask.distributed scheduler address (tcp://host:port); default: streaming on this machine")
    p.add_argument("--overwrite", action="store_true", help="replace DEST if it exists")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def _numbers(v: Optional[str], name: str, kind: type, what: str) -> Any:
    """A comma list of numbers from the command line: one value, or a tuple of them."""
    if v is None:
        return None
    try:
        vals = [kind(s) for s in v.split(",")]
    except ValueError:
        raise ValueError(f"--{name}: expected {what}, got {v!r}") from None
    return vals[0] if len(vals) == 1 else tuple(vals)


def _ints(v: Optional[str], name: str) -> Any:
    return _numbers(v, name, int, "an integer or a comma list of integers")


def _floats(v: Optional[str], name: str) -> Any:
    return _numbers(v, name, float, "a number or a comma list of numbers")


def run(args: argparse.Namespace) -> int:
    from . import write_multiscale
    client = None
    try:
        scheduler: Any = args.scheduler
        if scheduler is not None and "://" in scheduler:
            from distributed import Client
            scheduler = client = Client(scheduler)
        comp = None if args.compressor.lower() == "none" else args.compressor
        dest = write_multiscale(args.source, args.dest, method=args.method, levels=args.levels,
                                factor=_ints(args.factor, "factor"), axes=args.axes,
                                chunks=_ints(args.chunks, "chunks"), shards=_ints(args.shards, "shards"),
                                ome_version=args.ome_version, compressor=comp, overwrite=args.overwrite,
                                scheduler=scheduler, progress=not args.quiet, format=args.format,
                                pixel_size=_floats(args.pixel_size, "pixel-size"), unit=args.unit, name=args.name,
                                labels=args.labels)
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written at the destination", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if client is not None:
            client.close()
    if not args.quiet:
        print(f"wrote {dest}", file=sys.stderr)
    return 0

