"""DeepLab's atrous spatial pyramid pooling (ASPP) in one call: ``pk.ASPP`` from a
torchvision state dict, the functional ``pk.aspp`` for weights held as arrays, and the
batch-norm folding both use.

The fused kernel (cpp/ops/aspp/aspp.cpp) computes, per tile of rows, the 1x1 branch and
the 3x3 branches into a channels-last buffer and projects it at once, so the
concatenation of the branches never exists as an array; taps that read only padding are
skipped; the image-pool branch, a constant over the pixels, becomes a per-image bias of
the projection.
"""
from __future__ import annotations

import numbers
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._args import CONV_DTYPES, as_array, channels_last, check_dtype
from ._config import get_num_threads
from ._memory import new_array

__all__ = ["ASPP", "aspp", "fold_batch_norm"]


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


def _rates(rates: Any) -> Tuple[int, ...]:
    if isinstance(rates, (str, bytes)) or not isinstance(rates, Sequence) or len(rates) == 0:
        raise TypeError(f"rates: expected a non-empty sequence of ints, got {rates!r}")
    out = []
    for r in rates:
        if isinstance(r, (bool, np.bool_)) or not isinstance(r, numbers.Integral):
            raise TypeError(f"rates: expected ints, got {r!r}")
        if r < 1:
            raise ValueError(f"rates: dilation rates must be >= 1, got {r}")
        out.append(int(r))
    return tuple(out)


def _param(v: Any, name: str, shape: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    a = check_dtype(as_array(v, name), name, CONV_DTYPES)
    if a.dtype != dtype:
        raise TypeError(f"{name}: dtype {a.dtype} differs from the input's {dtype}")
    if a.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {a.shape}")
    return np.ascontiguousarray(a)


def aspp(input: Any, branch_weights: Sequence[Any], branch_biases: Optional[Sequence[Any]], pool_weight: Any,
         pool_bias: Any, project_weight: Any, project_bias: Any, rates: Sequence[int]) -> np.ndarray:
    """DeepLab v3's ASPP head with its batch norms folded into the convolutions (see
    ``fold_batch_norm``), in one fused call:

        b0 = relu(conv2d(x, branch_weights[0], branch_biases[0]))                  # 1x1
        bj = relu(conv2d(x, branch_weights[j], branch_biases[j], padding=r, dilation=r))  # 3x3, r = rates[j-1]
        bp = relu(conv2d(mean of x over H, W, pool_weight, pool_bias))           # image pooling, broadcast
        out = relu(conv2d(concat(b0, ..., bR, bp), project_weight, project_bias))

    ``input`` (N, C_in, H, W) or (C_in, H, W), float32 or float64, every parameter the same
    dtype: ``branch_weights`` 1 + len(rates) arrays, (cb, C_in, 1, 1) then (cb, C_in, 3, 3);
    ``branch_biases`` as many (cb,) arrays or None (zeros); ``pool_weight`` (cb, C_in, 1, 1),
    ``pool_bias`` (cb,) or None; ``project_weight`` (C_out, (len(rates) + 2) * cb, 1, 1),
    ``project_bias`` (C_out,) or None. Output (N, C_out, H, W), in the input's memory format
    (channels-last in, channels-last out). Dropout is the identity (eval mode).

    Within float rounding of the composition of ``conv2d`` calls (the sums of each
    convolution run in conv2d's order; the image-pool branch folds into a per-image bias of
    the projection); identical for every thread count.

    >>> import numpy as np, pyramidkit as pk
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((1, 8, 33, 33)).astype(np.float32)
    >>> w = lambda *s: rng.standard_normal(s).astype(np.float32) / 8
    >>> out = pk.aspp(x, [w(4, 8, 1, 1), w(4, 8, 3, 3), w(4, 8, 3, 3), w(4, 8, 3, 3)], None,
    ...               w(4, 8, 1, 1), None, w(6, 20, 1, 1), None, rates=(12, 24, 36))
    >>> out.shape, bool(out.min() >= 0)
    ((1, 6, 33, 33), True)
    """
    x, unbatched, args = _check(input, branch_weights, branch_biases, pool_weight, pool_bias, project_weight,
                                project_bias, rates)
    return _run(x, unbatched, *args, _rates(rates))


def _check(input: Any, branch_weights: Sequence[Any], branch_biases: Optional[Sequence[Any]], pool_weight: Any,
           pool_bias: Any, project_weight: Any, project_bias: Any, rates: Sequence[int]) -> Tuple[np.ndarray, bool, tuple]:
    """aspp's arguments checked: (input batched, whether it was unbatched, (branch weights,
    branch biases, pool weight, pool bias, projection weight, projection bias)), every
    array C-contiguous of the input's dtype, None biases as zeros."""
    x = check_dtype(as_array(input, "input"), "input", CONV_DTYPES)
    if x.ndim not in (3, 4):
        raise ValueError(f"input: expected (N, C, H, W) or (C, H, W), got shape {x.shape}")
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    if 0 in x.shape[1:]:
        raise ValueError(f"input: empty channel or spatial axis, shape {x.shape}")
    rates = _rates(rates)
    dt, cin = x.dtype, x.shape[1]
    if isinstance(branch_weights, np.ndarray) or not isinstance(branch_weights, Sequence) \
            or len(branch_weights) != len(rates) + 1:
        raise ValueError(f"branch_weights: expected {len(rates) + 1} arrays (the 1x1, then one 3x3 per rate)")
    w0 = check_dtype(as_array(branch_weights[0], "branch_weights[0]"), "branch_weights[0]", CONV_DTYPES)
    if w0.ndim != 4:
        raise ValueError(f"branch_weights[0]: expected (cb, C_in, 1, 1), got shape {w0.shape}")
    cb = w0.shape[0]
    ws = [_param(w, f"branch_weights[{j}]", (cb, cin) + ((1, 1) if j == 0 else (3, 3)), dt)
          for j, w in enumerate(branch_weights)]
    if branch_biases is None:
        bs = [np.zeros(cb, dt) for _ in ws]
    else:
        if isinstance(branch_biases, np.ndarray) or not isinstance(branch_biases, Sequence) \
                or len(branch_biases) != len(ws):
            raise ValueError(f"branch_biases: expected {len(ws)} arrays or None")
        bs = [np.zeros(cb, dt) if b is None else _param(b, f"branch_biases[{j}]", (cb,), dt)
              for j, b in enumerate(branch_biases)]
    pw = _param(pool_weight, "pool_weight", (cb, cin, 1, 1), dt)
    pb = np.zeros(cb, dt) if pool_bias is None else _param(pool_bias, "pool_bias", (cb,), dt)
    wp = check_dtype(as_array(project_weight, "project_weight"), "project_weight", CONV_DTYPES)
    nbr = len(rates) + 2
    if wp.ndim != 4 or wp.shape[1:] != (nbr * cb, 1, 1):
        raise ValueError(f"project_weight: expected (C_out, {nbr * cb}, 1, 1), got shape {wp.shape}")
    wp = _param(wp, "project_weight", wp.shape, dt)
    cout = wp.shape[0]
    bp = np.zeros(cout, dt) if project_bias is None else _param(project_bias, "project_bias", (cout,), dt)

    return x, unbatched, (ws, bs, pw, pb, wp, bp)


def _run(x: np.ndarray, unbatched: bool, ws, bs, pw, pb, wp, bp, rates: Tuple[int, ...], packed: Any = None,
         proj_first: Optional[np.ndarray] = None) -> np.ndarray:
    """The fused head on checked arguments (x batched); packed: _core.aspp_pack's weights."""
    from .conv2d import conv2d
    from .pool import adaptive_avg_pool2d
    n, _, h, w = x.shape
    cb, cout, nbr = ws[0].shape[0], wp.shape[0], len(rates) + 2
    nhwc = channels_last(x)
    if not nhwc and x.shape[3] > 1 and x.strides[3] != x.itemsize:
        x = np.ascontiguousarray(x)
    if nhwc:
        o, _ = new_array((n, h, w, cout), x.dtype)
        out = o.transpose(0, 3, 1, 2)
    else:
        out, _ = new_array((n, cout, h, w), x.dtype)
    if n == 0:
        return out[0] if unbatched else out
    # The image-pool branch: a constant per image, so its share of the projection is a bias.
    if nhwc:
        mean = adaptive_avg_pool2d(x.transpose(0, 2, 3, 1), 1, layout="NHWC").transpose(0, 3, 1, 2)
    else:
        mean = adaptive_avg_pool2d(x, 1)
    pooled = np.maximum(conv2d(np.ascontiguousarray(mean), pw, pb), 0)
    img_bias = np.ascontiguousarray(conv2d(pooled, np.ascontiguousarray(wp[:, (nbr - 1) * cb:]), bp)[:, :, 0, 0])
    if proj_first is None:
        proj_first = np.ascontiguousarray(wp[:, :(nbr - 1) * cb, 0, 0])
    _core.aspp(x, ws, bs, proj_first, img_bias, out, list(rates), get_num_threads(), packed)
    return out[0] if unbatched else out


class ASPP:
    """DeepLab's ASPP head (torchvision ``segmentation.deeplabv3.ASPP``) in eval mode, with
    the batch norms folded once, in float64, and rounded to the dtype of each call's input.

    >>> import numpy as np, pyramidkit as pk
    >>> rng = np.random.default_rng(0)
    >>> cin, cb = 8, 4
    >>> sd = {"convs.0.0.weight": rng.standard_normal((cb, cin, 1, 1))}
    >>> for i in (1, 2, 3):
    ...     sd[f"convs.{i}.0.weight"] = rng.standard_normal((cb, cin, 3, 3))
    >>> sd["convs.4.1.weight"] = rng.standard_normal((cb, cin, 1, 1))
    >>> sd["project.0.weight"] = rng.standard_normal((cb, 5 * cb, 1, 1))
    >>> for bn in ("convs.0.1", "convs.1.1", "convs.2.1", "convs.3.1", "convs.4.2", "project.1"):
    ...     sd.update({f"{bn}.weight": np.ones(cb), f"{bn}.bias": np.zeros(cb),
    ...                f"{bn}.running_mean": np.zeros(cb), f"{bn}.running_var": np.ones(cb)})
    >>> head = pk.ASPP.from_torchvision(sd, rates=(12, 24, 36))
    >>> head(rng.standard_normal((1, cin, 33, 33)).astype(np.float32)).shape
    (1, 4, 33, 33)
    """

    def __init__(self, branch_weights: Sequence[Any], branch_biases: Optional[Sequence[Any]], pool_weight: Any,
                 pool_bias: Any, project_weight: Any, project_bias: Any, rates: Sequence[int]) -> None:
        """The folded parameters of ``pk.aspp`` (any float dtype; kept in float64)."""
        self.rates = _rates(rates)
        f64 = lambda a: None if a is None else np.asarray(as_array(a, "parameter"), np.float64)  # noqa: E731
        self._params = dict(branch_weights=[f64(w) for w in branch_weights],
                            branch_biases=None if branch_biases is None else [f64(b) for b in branch_biases],
                            pool_weight=f64(pool_weight), pool_bias=f64(pool_bias),
                            project_weight=f64(project_weight), project_bias=f64(project_bias))
        self._cast: Dict[np.dtype, Dict[str, Any]] = {}
        self._packed: Dict[Tuple[np.dtype, str], Any] = {}
        # Shapes checked now, on a one-pixel probe, rather than at the first call.
        cin = self._params["pool_weight"].shape[1] if self._params["pool_weight"].ndim == 4 else 1
        aspp(np.zeros((1, cin, 1, 1)), rates=self.rates, **self._params)

    @classmethod
    def from_torchvision(cls, state_dict: Mapping[str, Any], rates: Sequence[int] = (12, 24, 36),
                         eps: float = 1e-5) -> "ASPP":
        """From the state dict of torchvision's ``ASPP(in_channels, atrous_rates, out_channels)``:
        a mapping of its key names (``convs.0.0.weight``, ``convs.1.1.running_var``, ...,
        ``convs.{R+1}.1.weight`` for the pooling conv, ``project.0.weight``, ...) to arrays
        (torch tensors work too; torch is not imported). ``rates``: the module's
        ``atrous_rates``; ``eps``: its batch norms' epsilon."""
        rates = _rates(rates)
        keys = set(state_dict)
        nr = len(rates)

        def get(k: str) -> np.ndarray:
            if k not in keys:
                found = sorted({k.split(".")[1] for k in keys if k.startswith("convs.")}, key=lambda v: int(v)
                               if v.isdigit() else 0)
                raise KeyError(f"state_dict: missing {k!r} (rates={rates} needs convs.0 to convs.{nr + 1}; "
                               f"found convs.{', convs.'.join(found) or ' none'})")
            v = state_dict[k]
            v = v.detach().cpu().numpy() if hasattr(v, "detach") else v
            return np.asarray(as_array(v, k), np.float64)

        if f"convs.{nr + 2}.0.weight" in keys or f"convs.{nr + 2}.1.weight" in keys:
            raise ValueError(f"state_dict: has more branches than rates={rates} (convs.{nr + 2} exists)")

        def folded(conv: str, bn: str) -> Tuple[np.ndarray, np.ndarray]:
            return fold_batch_norm(get(f"{conv}.weight"), None, get(f"{bn}.running_mean"), get(f"{bn}.running_var"),
                                   get(f"{bn}.weight"), get(f"{bn}.bias"), eps)

        branches = [folded(f"convs.{j}.0", f"convs.{j}.1") for j in range(nr + 1)]
        pool_w, pool_b = folded(f"convs.{nr + 1}.1", f"convs.{nr + 1}.2")
        proj_w, proj_b = folded("project.0", "project.1")
        return cls([w for w, _ in branches], [b for _, b in branches], pool_w, pool_b, proj_w, proj_b, rates)

    def __call__(self, x: Any) -> np.ndarray:
        """The module's output in eval mode for x (N, C_in, H, W) or (C_in, H, W), float32 or
        float64, in x's memory format."""
        a = check_dtype(as_array(x, "input"), "input", CONV_DTYPES)
        p = self._cast.get(a.dtype)
        if p is None:
            cast = lambda v: None if v is None else v.astype(a.dtype)  # noqa: E731
            p = {k: ([cast(e) for e in v] if isinstance(v, list) else cast(v)) for k, v in self._params.items()}
            self._cast[a.dtype] = p
        xb, unbatched, args = _check(a, rates=self.rates, **p)
        # The kernels' packed weights, made once per dtype and ISA level (each level packs
        # for its own vector width).
        key = (a.dtype, _core.active_isa())
        packed = self._packed.get(key)
        if packed is None:
            ws, bs, wp = args[0], args[1], args[4]
            nbr = len(self.rates) + 2
            first = np.ascontiguousarray(wp[:, :(nbr - 1) * ws[0].shape[0], 0, 0])
            packed = (_core.aspp_pack(a.dtype.name, ws[0].shape[1], ws, bs, first, list(self.rates),
                                      get_num_threads()), first)
            self._packed[key] = packed
        return _run(xb, unbatched, *args, self.rates, packed=packed[0], proj_first=packed[1])
