"""OME-NGFF metadata: axes, per-level coordinate transformations, the OMERO channel block,
labels; for NGFF 0.4 (Zarr v2, attributes at the top level) and 0.5 (Zarr v3, under "ome").

Coordinates: level k's sample i sits at ``translation_k + i * scale_k`` in the units of the
axes. Each level multiplies the scale by its factor; the translation is where the method
puts output sample 0: on input sample 0 for gaussian and nearest (output k is centred on
input f * k), and at the centre of the first box, ``(f - 1) / 2`` input samples, for the
box methods mean, mode, min and max.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
BOX_METHODS = ("mean", "mode", "min", "max")
# Units NGFF accepts for space axes (UDUNITS-2 names), and the OME-XML symbols that map to them.
SPACE_UNITS = ("angstrom", "attometer", "centimeter", "decimeter", "exameter", "femtometer", "foot", "gigameter",
               "hectometer", "inch", "kilometer", "megameter", "meter", "micrometer", "mile", "millimeter",
               "nanometer", "parsec", "petameter", "picometer", "terameter", "yard", "yoctometer", "yottameter",
               "zeptometer", "zettameter")
OME_UNIT_SYMBOLS = {"Å": "angstrom", "am": "attometer", "cm": "centimeter", "dm": "decimeter", "fm": "femtometer",
                    "ft": "foot", "in": "inch", "km": "kilometer", "m": "meter", "µm": "micrometer",
                    "um": "micrometer", "mm": "millimeter", "nm": "nanometer", "pm": "picometer", "pc": "parsec",
                    "mi": "mile", "yd": "yard"}
COLORS = ("FF0000", "00FF00", "0000FF", "FF00FF", "00FFFF", "FFFF00", "FFFFFF")


def coordinate_transforms(axes: str, pixel: Dict[str, float], steps: Sequence[Sequence[int]],
                          method: str) -> List[Dict[str, List[float]]]:
    """Per level (level 0 first) the scale and translation of each axis in `axes` order.
    steps[k] are the factors from level k to k + 1, per axis of `axes`."""
    scale = [float(pixel.get(c, 1.0)) for c in axes]
    trans = [0.0] * len(axes)
    out = [dict(scale=list(scale), translation=list(trans))]
    for fs in steps:
        if method in BOX_METHODS:
            trans = [t + (f - 1) / 2 * s for t, f, s in zip(trans, fs, scale)]
        scale = [s * f for s, f in zip(scale, fs)]
        out.append(dict(scale=list(scale), translation=list(trans)))
    return out


def axes_block(axes: str, units: Dict[str, str]) -> List[Dict[str, str]]:
    out = []
    for c in axes:
        ax = {"name": c, "type": AXIS_TYPES[c]}
        if c in units:
            ax["unit"] = units[c]
        out.append(ax)
    return out


def multiscales_block(version: str, axes: str, units: Dict[str, str], transforms, name: str, method: str,
                      paths: Sequence[str]) -> Dict[str, Any]:
    datasets = []
    for p, tr in zip(paths, transforms):
        ct = [{"type": "scale", "scale": tr["scale"]}]
        if any(t != 0 for t in tr["translation"]):
            ct.append({"type": "translation", "translation": tr["translation"]})
        datasets.append({"path": p, "coordinateTransformations": ct})
    ms: Dict[str, Any] = {"name": name, "axes": axes_block(axes, units), "datasets": datasets, "type": method,
                          "metadata": {"method": f"pyramidkit.downsample(method={method!r})"}}
    if version == "0.4":
        ms = {"version": "0.4", **ms}
    return ms


def omero_block(version: str, dtype: np.dtype, channels: int, names: Optional[Sequence[str]],
                lo: Sequence[float], hi: Sequence[float]) -> Dict[str, Any]:
    """Display settings: the dtype's range as the window bounds, the smallest level's
    range per channel as the initial contrast."""
    if dtype.kind == "f":
        dmin, dmax = float(min(lo)) if len(lo) else 0.0, float(max(hi)) if len(hi) else 1.0
    elif dtype.kind == "b":
        dmin, dmax = 0.0, 1.0
    else:
        info = np.iinfo(dtype)
        dmin, dmax = float(info.min), float(info.max)
    chans = []
    for i in range(channels):
        color = "FFFFFF" if channels == 1 else COLORS[i % len(COLORS)]
        chans.append({"label": names[i] if names and i < len(names) else f"channel {i}", "color": color,
                      "active": True, "coefficient": 1.0, "family": "linear", "inverted": False,
                      "window": {"min": dmin, "max": dmax, "start": float(lo[i]), "end": float(hi[i])}})
    block: Dict[str, Any] = {"channels": chans, "rdefs": {"model": "color" if channels > 1 else "greyscale"}}
    if version == "0.4":
        block["version"] = "0.4"
    return block


def image_attrs(version: str, multiscales: Dict[str, Any], omero: Optional[Dict[str, Any]] = None,
                extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The group attributes of an image."""
    body: Dict[str, Any] = {"multiscales": [multiscales]}
    if omero is not None:
        body["omero"] = omero
    if extra:
        body.update(extra)
    if version == "0.4":
        return body
    return {"ome": {"version": "0.5", **body}}


def read_multiscales(attrs: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The first multiscales entry of a group's attributes (0.4 or 0.5), or None."""
    if "ome" in attrs and isinstance(attrs["ome"], dict) and "multiscales" in attrs["ome"]:
        return attrs["ome"]["multiscales"][0]
    if "multiscales" in attrs:
        return attrs["multiscales"][0]
    return None


def dataset_transform(ms: Dict[str, Any], k: int):
    """(scale, translation) of dataset k, the multiscales-wide transformations applied."""
    naxes = len(ms["axes"])
    scale, trans = [1.0] * naxes, [0.0] * naxes
    for ct in list(ms["datasets"][k].get("coordinateTransformations", [])) + list(ms.get("coordinateTransformations", [])):
        if ct.get("type") == "scale" and "scale" in ct:
            trans = [t * s for t, s in zip(trans, ct["scale"])]
            scale = [a * s for a, s in zip(scale, ct["scale"])]
        elif ct.get("type") == "translation" and "translation" in ct:
            trans = [a + t for a, t in zip(trans, ct["translation"])]
    return scale, trans
