"""Lq path-norms of ReLU DAG networks in one forward pass, in float64 or in log domain.

The path-lifting Φ(θ) of a ReLU DAG network has one coordinate per path (input -> output,
or bias -> output), the product of the weights along it. Its Lq norm is computed without
enumerating paths (Gonon, Brisebarre, Riccietti, Gribonval, "A path-norm toolkit for modern
networks", ICLR 2024, Thm. A.1): replace every weight and bias w by |w|^q, frozen
BatchNorm by the per-channel map y -> |a|^q y + |c|^q, max-pooling by a sum over the window
(every window input is joined to the pooling neuron by an edge of weight 1), k-input
average pooling by a sum with weights (1/k)^q, feed the all-ones input, and sum the outputs:
that is Σ_p |Φ_p|^q, and its 1/q-th power is ‖Φ‖_q.

``log=True`` carries every activation tensor as t·2^e with max(t) in [1/2, 1): after each
layer the tensor is divided by an exact power of two and e accumulates, and additions align
their operands' exponents (logsumexp-style), so nothing overflows however deep the network
(ResNet-152 has L1 path-norms near 1e195 and deeper nets exceed float64). Power-of-two
normalisation is exact, so the log-domain pass gives the same digits as the direct one.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from theorylab._core.validation import check_int_sequence, check_real
from theorylab.sparsity._graph import Op, Traced, signed_parameters, trace, unsupported

LN2 = math.log(2.0)

# magnitudes(op) -> (|weight|, |bias| or None), nonnegative, in the working dtype
Magnitudes = Callable[[Op], tuple[torch.Tensor, torch.Tensor | None]]


class _S:
    """A nonnegative tensor t standing for t·2^e (e a float)."""

    __slots__ = ("e", "t")

    def __init__(self, t: torch.Tensor, e: float = 0.0):
        self.t = t
        self.e = e


def _renorm(x: _S, log: bool) -> _S:
    if not log:
        return x
    m = float(x.t.detach().max()) if x.t.numel() else 0.0
    if m == 0.0 or not math.isfinite(m):
        return x
    k = math.frexp(m)[1]
    return _S(x.t * 2.0**-k, x.e + k) if k else x


def _align(parts: Sequence[_S]) -> tuple[list[torch.Tensor], float]:
    top = max(p.e for p in parts)
    return [p.t if p.e == top else p.t * 2.0 ** (p.e - top) for p in parts], top


def _powq(a: torch.Tensor, q: float, log: bool) -> _S:
    """|a|^q (a >= 0) as a scaled tensor; q = 0 gives the indicator a != 0."""
    if q == 0:
        return _S((a != 0).to(a.dtype))
    if not log:
        return _S(a if q == 1 else a**q)
    m = float(a.detach().max()) if a.numel() else 0.0
    if m == 0.0:
        return _S(a)
    k = math.frexp(m)[1]
    a = a * 2.0**-k
    return _S(a if q == 1 else a**q, q * k)


def _channel_view(t: torch.Tensor, ndim: int) -> torch.Tensor:
    return t.reshape(1, -1, *([1] * (ndim - 2)))


def _affine(z: _S, bias: _S | None, ndim: int, log: bool) -> _S:
    if bias is None:
        return _renorm(z, log)
    b = _channel_view(bias.t, ndim) if ndim > 2 else bias.t
    (zt, bt), e = _align([z, _S(b, bias.e)])
    return _renorm(_S(zt + bt, e), log)


def _tuple(v: Any, n: int) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def sum_pool(
    x: torch.Tensor,
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    ceil_mode: bool,
) -> torch.Tensor:
    """Sum of each pooling window (zero padding; PyTorch's window rule incl. ceil_mode):
    a depthwise convolution with an all-ones kernel."""
    nd = len(kernel)
    pads: list[int] = []
    for i in reversed(range(nd)):
        size = x.shape[2 + i]
        span = dilation[i] * (kernel[i] - 1) + 1
        num = size + 2 * padding[i] - span
        out = (-(-num // stride[i]) if ceil_mode else num // stride[i]) + 1
        if ceil_mode and (out - 1) * stride[i] >= size + padding[i]:
            out -= 1
        extra = max(0, (out - 1) * stride[i] + span - (size + 2 * padding[i]))
        pads += [padding[i], padding[i] + extra]
    x = F.pad(x, pads)
    if all(d == 1 for d in dilation):  # fast path: average pooling with divisor 1
        if nd == 1:
            out = F.avg_pool2d(x.unsqueeze(2), (1, kernel[0]), (1, stride[0]), divisor_override=1)
            return out.squeeze(2)
        return F.avg_pool2d(x, tuple(kernel), tuple(stride), divisor_override=1)
    c = x.shape[1]
    w = torch.ones(c, 1, *kernel, dtype=x.dtype, device=x.device)
    conv = F.conv1d if nd == 1 else F.conv2d
    return conv(x, w, stride=tuple(stride), dilation=tuple(dilation), groups=c)


def _pool_args(mod: nn.Module, nd: int):
    k = _tuple(mod.kernel_size, nd)
    s = _tuple(mod.stride if mod.stride not in (None, ()) else mod.kernel_size, nd)
    p = _tuple(mod.padding, nd)
    d = _tuple(getattr(mod, "dilation", 1), nd)
    return k, s, p, d


def _avg_factor(mod: nn.Module, x: torch.Tensor, nd: int) -> torch.Tensor:
    """The weight 1/divisor of every output window of an average pool (divisor as PyTorch
    computes it: padding, ceil_mode, count_include_pad, divisor_override)."""
    ones = torch.ones(1, 1, *x.shape[2:], dtype=x.dtype, device=x.device)
    k, s, p, d = _pool_args(mod, nd)
    avg = mod(ones)
    return avg / sum_pool(ones, k, s, p, d, mod.ceil_mode)


def _adaptive_sizes(in_sizes: Sequence[int], out_sizes: Any, like: torch.Tensor) -> torch.Tensor:
    """Number of inputs of every adaptive-pooling window (PyTorch's floor/ceil windows)."""
    nd = len(in_sizes)
    outs = _tuple(out_sizes, nd)
    counts = None
    for i, (n, o) in enumerate(zip(in_sizes, outs, strict=True)):
        o = n if o is None else o
        idx = torch.arange(o)
        c = (torch.div((idx + 1) * n + o - 1, o, rounding_mode="floor")) - torch.div(
            idx * n, o, rounding_mode="floor"
        )
        shape = [1] * nd
        shape[i] = o
        c = c.reshape(shape)
        counts = c if counts is None else counts * c
    return counts.to(like.dtype).to(like.device).reshape(1, 1, *counts.shape)


def _tensor_part(v: Any) -> Any:
    return fx.node.map_aggregate(v, lambda a: a.t if isinstance(a, _S) else a)


def _scaled_args(node: fx.Node, env: dict[fx.Node, Any]) -> tuple[tuple, dict]:
    args = fx.node.map_arg(node.args, lambda n: env[n])
    kwargs = fx.node.map_arg(node.kwargs, lambda n: env[n])
    return args, kwargs


def _fail(op: Op, msg: str) -> None:
    raise unsupported([f"operation {op.node.name!r} ({op.label}): {msg}"])


def _run_op(op: Op, env: dict, q: float, log: bool, mags: Magnitudes, x0: torch.Tensor) -> Any:
    node, kind = op.node, op.kind
    if kind == "input":
        return _S(x0)
    args, kwargs = _scaled_args(node, env)
    if kind == "aux" or (kind == "struct" and not isinstance(args[0], _S)):  # shapes, sizes
        return _evaluate(op, _tensor_part(args), _tensor_part(kwargs))
    if kind in ("identity", "relu") or (kind == "struct" and op.module is None):
        x = args[0]
        if kind in ("identity", "relu"):
            return x  # all signals are >= 0: ReLU is the identity, dropout is off (eval)
        rest_a, rest_k = _tensor_part(args[1:]), _tensor_part(kwargs)
        return _S(_evaluate(op, (x.t, *rest_a), rest_k), x.e)
    if kind == "struct":  # module: Identity / Flatten / Dropout
        x = args[0]
        return _S(x.t if "Dropout" in type(op.module).__name__ else op.module(x.t), x.e)
    if kind == "output":
        return args[0]
    x = args[0]
    if kind in ("linear", "conv", "bn"):
        w, b = mags(op)
        ws = _powq(w, q, log)
        bs = _powq(b, q, log) if b is not None else None
        mod = op.module
        if kind == "linear":
            z = F.linear(x.t, ws.t)
        elif kind == "conv":
            conv = F.conv1d if isinstance(mod, nn.Conv1d) else F.conv2d
            z = conv(x.t, ws.t, None, mod.stride, mod.padding, mod.dilation, mod.groups)
        else:
            z = x.t * (_channel_view(ws.t, x.t.ndim) if x.t.ndim > 2 else ws.t)
        return _affine(_S(z, x.e + ws.e), bs, x.t.ndim, log)
    if kind in ("maxpool", "avgpool"):
        nd = x.t.ndim - 2
        k, s, p, d = _pool_args(op.module, nd)
        summed = sum_pool(x.t, k, s, p, d, op.module.ceil_mode)
        if kind == "avgpool":
            factor = _avg_factor(op.module, x.t, nd)
            summed = summed * (factor != 0) if q == 0 else summed * factor**q
        return _renorm(_S(summed, x.e), log)
    if kind in ("adaptive_avg", "adaptive_max"):
        nd = x.t.ndim - 2
        avg = (F.adaptive_avg_pool1d if nd == 1 else F.adaptive_avg_pool2d)(
            x.t, op.module.output_size
        )
        sizes = _adaptive_sizes(x.t.shape[2:], op.module.output_size, x.t)
        power = 1.0 if kind == "adaptive_max" else 1.0 - q
        return _renorm(_S(avg * sizes**power, x.e), log)
    if kind == "mean":
        rest_a, rest_k = _tensor_part(args[1:]), _tensor_part(kwargs)
        if "dtype" in rest_k:
            rest_k = {k: v for k, v in rest_k.items() if k != "dtype"}
        m = torch.mean(x.t, *rest_a, **rest_k)
        count = x.t.numel() / max(m.numel(), 1)
        return _renorm(_S(m * count ** (1.0 - q), x.e), log)
    if kind == "add":
        if kwargs.get("alpha", 1) != 1 or len(args) != 2:
            _fail(op, "only plain additions of two activations are supported")
        a, b = args
        if not (isinstance(a, _S) and isinstance(b, _S)):
            _fail(op, "adding a constant to an activation is not supported")
        (at, bt), e = _align([a, b])
        return _renorm(_S(at + bt, e), log)
    if kind == "scale":
        a, b = args[0], args[1]
        if isinstance(a, _S) == isinstance(b, _S):
            _fail(op, "only multiplication of an activation by a constant is supported")
        x, c = (a, b) if isinstance(a, _S) else (b, a)
        target = op.node.target
        divide = target in (operator.truediv, operator.itruediv) or (
            isinstance(target, str) and target.startswith("div")
        )
        if divide and x is b:
            _fail(op, "dividing by an activation is not supported")
        if isinstance(c, torch.Tensor):
            _fail(op, "multiplication by a tensor constant is not supported")
        c = 1.0 / float(c) if divide else float(c)
        if c == 0:
            return _S(torch.zeros_like(x.t), x.e)
        if q == 0:
            return x
        return _S(x.t, x.e + q * math.log2(abs(c))) if log else _S(x.t * abs(c) ** q, x.e)
    if kind == "cat":
        parts = list(args[0])
        ts, e = _align(parts)
        rest_a, rest_k = _tensor_part(args[1:]), _tensor_part(kwargs)
        return _S(torch.cat(ts, *rest_a, **rest_k), e)
    _fail(op, "unexpected operation")  # pragma: no cover
    return None  # pragma: no cover


def _evaluate(op: Op, args: tuple, kwargs: dict) -> Any:
    node = op.node
    if node.op == "call_method":
        return getattr(args[0], node.target)(*args[1:], **kwargs)
    if node.op == "call_module":
        return op.module(*args, **kwargs)
    return node.target(*args, **kwargs)


def default_magnitudes(dtype: torch.dtype) -> Magnitudes:
    """|θ| of the model's own parameters (BatchNorm folded), detached, in ``dtype``."""

    def mags(op: Op) -> tuple[torch.Tensor, torch.Tensor | None]:
        w, b = signed_parameters(op, dtype)
        return w.detach().abs(), (b.detach().abs() if b is not None else None)

    return mags


def absolute_pass(
    traced: Traced,
    input_shape: tuple[int, ...],
    q: float,
    *,
    log: bool,
    mags: Magnitudes,
    dtype: torch.dtype,
    device: torch.device,
) -> _S:
    """Σ_p |Φ_p|^q as a scaled scalar s·2^e (the one forward pass described above)."""
    x0 = torch.ones(1, *input_shape, dtype=dtype, device=device)
    env: dict[fx.Node, Any] = {}
    try:
        for op in traced.ops:
            env[op.node] = _run_op(op, env, q, log, mags, x0)
    except RuntimeError as exc:
        raise ValueError(
            f"input_shape {tuple(input_shape)} does not fit the model (at operation "
            f"{op.label!r}: {exc})"
        ) from exc
    out = env[traced.ops[-1].node]
    leaves: list[_S] = []
    fx.node.map_aggregate(out, lambda a: leaves.append(a) if isinstance(a, _S) else a)
    if not leaves:
        raise ValueError("the model's output holds no tensor reached from its input")
    sums = [_S(v.t.sum(), v.e) for v in leaves]
    ts, e = _align(sums)
    return _S(torch.stack(ts).sum(), e)


def check_input_shape(input_shape: Any) -> tuple[int, ...]:
    """``input_shape`` (without the batch dimension) as a tuple of positive ints."""
    return check_int_sequence(input_shape, "input_shape", min_value=1)


def check_q(q: Any) -> float:
    """``q`` as a float >= 0 (``q = 0`` counts the paths whose weights are all nonzero)."""
    return check_real(q, "q", min_value=0.0)


def _device(model: nn.Module) -> torch.device:
    p = next(iter(model.parameters()), None)
    return p.device if p is not None else torch.device("cpu")


def path_norm(
    model: nn.Module,
    input_shape: Sequence[int],
    q: float = 1,
    *,
    log: bool = False,
    dtype: torch.dtype = torch.float64,
) -> float:
    """The Lq path-norm ‖Φ(θ)‖_q of a ReLU DAG network, by one forward pass.

    ``model``: a ``torch.nn.Module`` built from Linear, Conv1d/2d (biases allowed),
    BatchNorm in eval semantics (running statistics), ReLU, max/avg/adaptive pooling,
    identity skip connections (additions), concatenation, flatten/view and dropout, traced
    with ``torch.fx``. ``input_shape``: the input shape without the batch dimension, e.g.
    ``(3, 32, 32)``. ``q >= 0``; for ``q = 0`` the number of paths whose weights are all
    nonzero is returned (no root). ``log=True`` returns log ‖Φ‖_q computed without overflow.
    The model is never modified; pruning masks (``torch.nn.utils.prune``) are honoured.

    Frozen BatchNorm counts as its own neuron y = a·x + c (a = γ/√(σ²+ε), c = β − μa), as
    in the public toolkit (Gonon et al. 2024): a conv bias b before it and its shift c start
    separate paths. Raises :class:`UnsupportedLayerError` (a ``ValueError``) naming every
    unsupported layer, and a ``ValueError`` pointing to ``log=True`` on overflow.
    """
    return path_norms(model, input_shape, [q], log=log, dtype=dtype)[0]


def path_norms(
    model: nn.Module,
    input_shape: Sequence[int],
    qs: Sequence[float],
    *,
    log: bool = False,
    dtype: torch.dtype = torch.float64,
) -> list[float]:
    """:func:`path_norm` for several exponents ``qs`` (one forward pass each, one trace;
    Gonon, Brisebarre, Riccietti, Gribonval, ICLR 2024, Thm. A.1): a list of floats in the
    order of ``qs``."""
    shape = check_input_shape(input_shape)
    if isinstance(qs, (str, bytes)) or not isinstance(qs, Iterable):
        raise TypeError(f"qs must be a non-empty sequence of exponents; got {qs!r}")
    qs = [check_q(q.item() if hasattr(q, "item") else q) for q in qs]
    if not qs:
        raise ValueError("qs must hold at least one exponent")
    traced = trace(model)
    device = _device(model)
    out = []
    with torch.no_grad():
        for q in qs:
            total = absolute_pass(
                traced,
                shape,
                q,
                log=log,
                mags=default_magnitudes(dtype),
                dtype=dtype,
                device=device,
            )
            out.append(_finish(total, q, log))
    return out


def _finish(total: _S, q: float, log: bool) -> float:
    s = float(total.t)
    if log:
        value = (math.log(s) if s > 0 else -math.inf) + total.e * LN2
        return value / q if q > 0 else value
    value = s * 2.0**total.e if total.e else s
    if not math.isfinite(value):
        raise ValueError(
            "the path-norm overflows the working dtype; use log=True (log-domain pass)"
        )
    return value ** (1.0 / q) if q > 0 else value
