"""DeepLab's atrous spatial pyramid pooling (ASPP): so far the batch-norm folding that
its fused form uses."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from ._args import as_array

__all__ = ["fold_batch_norm"]


def fold_batch_norm(weight: Any, bias: Optional[Any], running_mean: Any, running_var: Any, gamma: Any, beta: Any,
                    eps: float = 1e-5) -> Tuple[np.ndarray, np.ndarray]:
    """Fold an eval-mode batch norm into the convolution before it.

    ``batch_norm(conv(x, weight, bias))`` with running statistics equals
    ``conv(x, w, b)`` for ``s = gamma / sqrt(running_var + eps)``,
    ``w = weight * s`` (per output channel, the first axis of ``weight``) and
    ``b = beta + (bias - running_mean) * s`` (``bias`` None counts as zeros).

    Parameters
    ----------
    weight : array (C_out, ...)
        The convolution's weight, any floating dtype (conv2d: (C_out, C_in/groups, kH, kW)).
    bias : array (C_out,) or None
    running_mean, running_var, gamma, beta : arrays (C_out,)
        The batch norm's running statistics and affine parameters (torch: ``weight`` is
        gamma, ``bias`` is beta).
    eps : float
        The batch norm's epsilon (torch's default 1e-5).

    Returns
    -------
    (w, b): arrays of weight's dtype, computed in float64 and rounded once.

    Examples
    --------
    >>> import numpy as np, pyramidkit as pk
    >>> w, b = pk.fold_batch_norm(np.ones((2, 1, 1, 1), np.float32), None, np.array([0., 1.]),
    ...                           np.array([4., 1.]), np.array([2., 1.]), np.array([0., 0.5]), eps=0.0)
    >>> w.ravel(), b
    (array([1., 1.], dtype=float32), array([ 0. , -0.5], dtype=float32))
    """
    w = as_array(weight, "weight")
    if w.dtype.kind != "f" or w.ndim < 1 or w.shape[0] < 1:
        raise TypeError(f"weight: expected a floating array (C_out, ...), got {w.dtype} of shape {w.shape}")
    c = w.shape[0]
    stats = {}
    for name, v in (("running_mean", running_mean), ("running_var", running_var), ("gamma", gamma), ("beta", beta),
                    ("bias", bias)):
        if v is None and name == "bias":
            stats[name] = np.zeros(c)
            continue
        a = as_array(v, name)
        if a.shape != (c,):
            raise ValueError(f"{name}: expected shape ({c},) (one per output channel of weight), got {a.shape}")
        if a.dtype.kind not in "fiu":
            raise TypeError(f"{name}: expected a numeric array, got {a.dtype}")
        stats[name] = a.astype(np.float64)
    if not isinstance(eps, (int, float, np.floating)) or isinstance(eps, bool) or not eps >= 0:
        raise ValueError(f"eps: expected a number >= 0, got {eps!r}")
    var = stats["running_var"] + float(eps)
    if np.any(var <= 0) or not np.all(np.isfinite(var)):
        raise ValueError("running_var: running_var + eps must be positive and finite")
    s = stats["gamma"] / np.sqrt(var)
    wf = w.astype(np.float64) * s.reshape((c,) + (1,) * (w.ndim - 1))
    bf = stats["beta"] + (stats["bias"] - stats["running_mean"]) * s
    return wf.astype(w.dtype), bf.astype(w.dtype)
