"""The benchmark behind ``python -m pyramidkit bench``: one timing harness (harness.py) and
one module of workloads per op family (pyramid.py, blur.py, dog.py, resample.py,
conv_transpose.py, conv2d.py, aspp.py, pool.py). Each peer library is imported only when one of its rows runs."""
from .harness import (FAMILIES, OPS, PEERS, SCALING_SIDES, compare_table, format_scaling, format_table,
                      machine_slug, plot, plot_scaling, run, save_json, scaling)

__all__ = ["run", "format_table", "plot", "save_json", "scaling", "format_scaling", "plot_scaling", "OPS",
           "FAMILIES", "SCALING_SIDES", "PEERS", "compare_table", "machine_slug"]
