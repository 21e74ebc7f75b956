"""Files of multiscale images: OME-Zarr (NGFF 0.4 / 0.5) and pyramidal OME-TIFF.

:func:`write_multiscale` writes every level of a source image, exactly as
:func:`pyramidkit.multiscale` computes them, streaming with bounded memory or as Dask
tasks; :func:`open_multiscale` reads such a file back as Dask arrays with their axes and
coordinates. zarr, tifffile and dask are imported only when used.
"""
from .read import Level, Multiscale, open_multiscale
from .write import write_multiscale

__all__ = ["write_multiscale", "open_multiscale", "Multiscale", "Level"]
