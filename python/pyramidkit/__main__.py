"""Command line: ``python -m pyramidkit bench`` (the benchmark) and ``python -m pyramidkit config``."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    from ._bench import OPS

    parser = argparse.ArgumentParser(prog="python -m pyramidkit", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench", help="time pyramidkit against the installed peers (OpenCV) on built-in inputs")
    b.add_argument("--threads", type=int, default=None, help="threads for every library (default: pk default)")
    b.add_argument("--rounds", type=int, default=7, help="timing rounds; medians are reported (default 7)")
    b.add_argument("--block", type=float, default=0.05, help="seconds per timing block (default 0.05)")
    b.add_argument("--quick", action="store_true", help="smaller inputs and fewer rounds")
    b.add_argument("--ops", nargs="*", default=None, choices=OPS, help="ops to run (default all)")
    b.add_argument("--json", default=None, help="write the results as JSON to this path")
    b.add_argument("--png", default=None, help="write a chart to this path (needs matplotlib)")
    sub.add_parser("config", help="print SIMD levels, OpenMP and threads")
    args = parser.parse_args(argv)

    import pyramidkit as pk

    if args.cmd == "config":
        pk.show_config()
        return 0
    from . import _bench

    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    res = _bench.run(threads=args.threads, rounds=args.rounds, target_s=args.block, quick=args.quick, ops=args.ops)
    print(_bench.format_table(res))
    if args.json:
        _bench.save_json(res, args.json)
        print(f"wrote {args.json}")
    if args.png and _bench.plot(res, args.png):
        print(f"wrote {args.png}")
    bad = [r for r in res["results"] if r["matches_peer"] is False]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
