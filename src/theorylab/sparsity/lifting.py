"""The path-lifting Φ(θ) by brute-force enumeration of the paths of a small network.

Every neuron of the network (one per output coordinate of every traced layer) keeps the
list of the products of weights along all paths that end at it: an input neuron starts one
path with value 1, a neuron with a bias b starts one more path with value b, and an edge of
weight w from neuron i extends every path of i by w (Gonon et al., ICLR 2024, Sec. 2;
Neyshabur, Tomioka, Srebro, COLT 2015). The edges are read off the layers themselves:
Jacobians of the linear maps (Linear, Conv, average pooling, means, BatchNorm's scale),
window memberships for max-pooling (each window input joins the pooling neuron with an
edge of weight 1) and index bookkeeping for reshapes, additions and concatenations. This
is independent of the |w|^q forward pass of :func:`theorylab.sparsity.path_norm` and is
used to test it. The number of paths grows like the product of the widths: tiny nets only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

from theorylab._core.validation import check_int
from theorylab.sparsity._graph import Op, signed_parameters, trace, unsupported
from theorylab.sparsity.pathnorm import check_input_shape

_DT = torch.float64


class _Neurons:
    """A layer's neurons: ``probe`` a zero tensor of the layer's shape (batch 1), ``paths``
    one array of path values per neuron (flattened index)."""

    def __init__(self, probe: torch.Tensor, paths: list[np.ndarray]):
        self.probe = probe
        self.paths = paths


def _index_map(fn, *probes: torch.Tensor) -> list[np.ndarray]:
    """Source (input number, flat index) of every output entry of a selection op ``fn``."""
    tagged = []
    offset = 0
    for p in probes:
        tagged.append(torch.arange(offset + 1, offset + 1 + p.numel(), dtype=_DT).reshape(p.shape))
        offset += p.numel()
    out = fn(*tagged).reshape(-1).round().long().numpy() - 1
    return out


def _jacobian(fn, probe: torch.Tensor) -> np.ndarray:
    """Matrix (out, in) of the linear map ``fn`` on one sample (batch of basis vectors)."""
    n = probe.numel()
    basis = torch.eye(n, dtype=_DT).reshape(n, *probe.shape[1:])
    out = fn(basis)
    return out.reshape(n, -1).T.detach().numpy()


def _combine(
    matrix: np.ndarray,
    src: list[np.ndarray],
    bias: np.ndarray | None,
    edges: np.ndarray | None = None,
) -> list:
    out = []
    for j in range(matrix.shape[0]):
        cols = np.nonzero(matrix[j] if edges is None else edges[j])[0]
        parts = [matrix[j, i] * src[i] for i in cols]
        if bias is not None:
            parts.append(np.array([bias[j]]))
        out.append(np.concatenate(parts) if parts else np.zeros(0))
    return out


def _layer_map(op: Op, w: torch.Tensor):
    """The linear part of a weight layer or BatchNorm, with weight ``w``, as a function."""
    mod = op.module
    if op.kind == "linear":
        return lambda t: F.linear(t, w)
    if op.kind == "conv":
        conv = F.conv1d if isinstance(mod, nn.Conv1d) else F.conv2d
        return lambda t: conv(t, w, None, mod.stride, mod.padding, mod.dilation, mod.groups)
    return lambda t: t * w.reshape(1, -1, *([1] * (t.ndim - 2)))


def _windows_max(op: Op, x: _Neurons, out_probe: torch.Tensor) -> list[list[int]]:
    """Input neurons of every max-pooling window (flat indices)."""
    probe = x.probe
    nd = probe.ndim - 2
    c = probe.shape[1]
    spatial = probe.shape[2:]
    idx = torch.arange(probe.numel(), dtype=_DT).reshape(probe.shape)
    out_sp = out_probe.shape[2:]
    members: list[list[int]] = []
    if op.kind == "adaptive_max":
        outs = op.module.output_size
        outs = tuple(outs) if isinstance(outs, (tuple, list)) else (outs,) * nd
        outs = tuple(n if o is None else o for n, o in zip(spatial, outs, strict=True))
        ranges = [
            [(math.floor(i * n / o), math.ceil((i + 1) * n / o)) for i in range(o)]
            for n, o in zip(spatial, outs, strict=True)
        ]
        for ch in range(c):
            for pos in np.ndindex(*outs):
                sl = tuple(slice(*ranges[d][pos[d]]) for d in range(nd))
                members.append(idx[(0, ch, *sl)].reshape(-1).long().tolist())
        return members
    mod = op.module

    def tup(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd

    k, p, d = tup(mod.kernel_size), tup(mod.padding), tup(mod.dilation)
    s = tup(mod.stride if mod.stride not in (None, ()) else mod.kernel_size)
    for ch in range(c):
        for pos in np.ndindex(*out_sp):
            coords = [[pos[a] * s[a] - p[a] + d[a] * t for t in range(k[a])] for a in range(nd)]
            inside = [[v for v in cs if 0 <= v < spatial[a]] for a, cs in enumerate(coords)]
            win = []
            for point in np.ndindex(*[len(v) for v in inside]):
                where = tuple(inside[a][point[a]] for a in range(nd))
                win.append(int(idx[(0, ch, *where)]))
            members.append(win)
    return members


def _args(node: fx.Node, env: dict) -> tuple[tuple, dict]:
    return fx.node.map_arg(node.args, lambda n: env[n]), fx.node.map_arg(
        node.kwargs, lambda n: env[n]
    )


def _probe_of(v: Any) -> Any:
    return fx.node.map_aggregate(v, lambda a: a.probe if isinstance(a, _Neurons) else a)


def _call(op: Op, args: tuple, kwargs: dict) -> Any:
    node = op.node
    if node.op == "call_method":
        return getattr(args[0], node.target)(*args[1:], **kwargs)
    if op.module is not None:
        return op.module(args[0])
    return node.target(*args, **kwargs)


def _step(op: Op, env: dict, input_shape: tuple[int, ...]) -> Any:
    kind = op.kind
    if kind == "input":
        probe = torch.zeros(1, *input_shape, dtype=_DT)
        return _Neurons(probe, [np.ones(1) for _ in range(probe.numel())])
    args, kwargs = _args(op.node, env)
    if kind == "output":
        return args[0]
    x = args[0]
    if kind == "aux" or (kind == "struct" and not isinstance(x, _Neurons)):  # shapes, sizes
        return _call(op, _probe_of(args), _probe_of(kwargs))
    if kind in ("relu", "identity") or (
        kind == "struct" and op.module is not None and "Dropout" in type(op.module).__name__
    ):
        return x
    pa, pk = _probe_of(args), _probe_of(kwargs)
    out_probe = _call(op, pa, pk) if kind not in ("linear", "conv", "bn") else None
    if kind == "struct":
        src = _index_map(lambda t: _call(op, (t, *pa[1:]), pk), x.probe)
        return _Neurons(out_probe, [x.paths[i] for i in src])
    if kind in ("linear", "conv", "bn"):
        w, b = signed_parameters(op, _DT)
        w, b = w.detach(), (b.detach() if b is not None else None)
        fn = _layer_map(op, w)
        out_probe = fn(x.probe)
        bias = None
        if b is not None:
            full = torch.zeros_like(out_probe) + (
                b.reshape(1, -1, *([1] * (out_probe.ndim - 2))) if out_probe.ndim > 2 else b
            )
            bias = full.reshape(-1).numpy()
        # edges are where a layer with all-one weights connects: zero weights stay edges
        edges = _jacobian(_layer_map(op, torch.ones_like(w)), x.probe) != 0
        return _Neurons(out_probe, _combine(_jacobian(fn, x.probe), x.paths, bias, edges))
    if kind in ("maxpool", "adaptive_max"):
        members = _windows_max(op, x, out_probe)
        return _Neurons(out_probe, [np.concatenate([x.paths[i] for i in m]) for m in members])
    if kind in ("avgpool", "adaptive_avg", "mean"):
        fn = lambda t: _call(op, (t, *pa[1:]), pk)  # noqa: E731
        return _Neurons(out_probe, _combine(_jacobian(fn, x.probe), x.paths, None))
    if kind == "scale":
        a, c = (args[0], args[1]) if isinstance(args[0], _Neurons) else (args[1], args[0])
        c = float(c)
        target = op.node.target
        if getattr(target, "__name__", str(target)).lstrip("i").startswith(("truediv", "div")):
            c = 1.0 / c
        return _Neurons(out_probe, [c * p for p in a.paths])
    if kind == "add":
        a, b = args[0], args[1]
        shape = out_probe.shape
        ia = _index_map(lambda t: t.broadcast_to(shape), a.probe)
        ib = _index_map(lambda t: t.broadcast_to(shape), b.probe)
        return _Neurons(
            out_probe,
            [np.concatenate([a.paths[i], b.paths[j]]) for i, j in zip(ia, ib, strict=True)],
        )
    if kind == "cat":
        parts = list(x)
        src = _index_map(lambda *ts: torch.cat(ts, *pa[1:], **pk), *[p.probe for p in parts])
        pool = [path for p in parts for path in p.paths]
        return _Neurons(out_probe, [pool[i] for i in src])
    raise unsupported([f"operation {op.node.name!r} ({op.label})"])  # pragma: no cover


def _default_shape(ops: list[Op]) -> tuple[int, ...]:
    first = next((op for op in ops if op.kind in ("linear", "conv")), None)
    if first is None or first.kind != "linear":
        raise ValueError("input_shape is needed (the network does not start with a Linear layer)")
    return (first.module.in_features,)


def path_lifting(
    model: nn.Module,
    input_shape: Sequence[int] | None = None,
    *,
    max_paths: int = 1_000_000,
) -> torch.Tensor:
    """The path-lifting Φ(θ): one coordinate per path of the network, enumerated
    (Neyshabur, Tomioka, Srebro, COLT 2015; Gonon, Brisebarre, Riccietti, Gribonval,
    ICLR 2024).

    Coordinates of paths that start at an input are the products of the weights along them;
    paths that start at the bias b_j of a neuron have coordinate b_j times the weights after
    it (the output biases are paths of length 0). Zero weights keep their paths (coordinate
    0), so two parameterizations of one architecture give aligned vectors. Returns a float64
    vector ordered by output neuron; its Lq norm is :func:`theorylab.sparsity.path_norm`.
    ``input_shape`` (no batch dimension) defaults to ``(in_features,)`` of a leading Linear
    layer. Raises ``ValueError`` past ``max_paths``.
    """
    max_paths = check_int(max_paths, "max_paths", min_value=1)
    traced = trace(model)
    shape = _default_shape(traced.ops) if input_shape is None else check_input_shape(input_shape)
    env: dict[fx.Node, Any] = {}
    with torch.no_grad():
        for op in traced.ops:
            try:
                env[op.node] = _step(op, env, shape)
            except RuntimeError as exc:
                raise ValueError(
                    f"input_shape {shape} does not fit the model (at {op.label!r}: {exc})"
                ) from exc
            value = env[op.node]
            if isinstance(value, _Neurons):
                total = sum(p.size for p in value.paths)
                if total > max_paths:
                    raise ValueError(
                        f"more than max_paths={max_paths} paths (at {op.label!r}); "
                        "path_lifting is a brute force for tiny networks"
                    )
    out = env[traced.ops[-1].node]
    leaves: list[_Neurons] = []
    fx.node.map_aggregate(out, lambda a: leaves.append(a) if isinstance(a, _Neurons) else a)
    paths = [p for leaf in leaves for p in leaf.paths]
    return torch.from_numpy(np.concatenate(paths) if paths else np.zeros(0))
