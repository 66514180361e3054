"""Tracing a ReLU DAG network with ``torch.fx`` into a list of typed operations.

Each traced node becomes an :class:`Op` whose ``kind`` says how it acts on paths
(Gonon, Brisebarre, Riccietti, Gribonval, ICLR 2024, Sec. 2 and App. A): weight layers
(``linear``, ``conv``), frozen BatchNorm (``bn``, an affine neuron per channel), ``relu``,
pooling neurons (``maxpool``/``adaptive_max``: order statistics with weight-1 edges;
``avgpool``/``adaptive_avg``/``mean``: weights 1/k), skip additions (``add``), ``cat``,
scalar ``scale``, structural reshapes (``struct``: flatten, view, dropout, ...) and ``aux``
computations on sizes. Anything else breaks the rescaling symmetry or the path structure
and is refused with an error that names the layer. By design this includes ReLU6 (it
saturates, so it is not positively homogeneous; the public toolkit accepts it and treats it
as the identity), LeakyReLU, GELU/SiLU/sigmoid/tanh, LayerNorm/GroupNorm, attention and
BatchNorm without running statistics.
"""

from __future__ import annotations

import operator
import weakref
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from theorylab.errors import UnsupportedLayerError

WEIGHT_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d)
BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d)
_STRUCT_MODULES = (nn.Identity, nn.Flatten, nn.Dropout, nn.Dropout1d, nn.Dropout2d)
_MODULE_KIND: list[tuple[tuple[type, ...], str]] = [
    ((nn.Linear,), "linear"),
    ((nn.Conv1d, nn.Conv2d), "conv"),
    (BN_TYPES, "bn"),
    ((nn.ReLU,), "relu"),
    ((nn.MaxPool1d, nn.MaxPool2d), "maxpool"),
    ((nn.AvgPool1d, nn.AvgPool2d), "avgpool"),
    ((nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d), "adaptive_avg"),
    ((nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d), "adaptive_max"),
    (_STRUCT_MODULES, "struct"),
]
_RELU_FUNCS = {F.relu, torch.relu, torch.relu_, F.relu_}
_DROPOUT_FUNCS = {F.dropout, F.dropout1d, F.dropout2d}
_STRUCT_FUNCS = {
    torch.flatten,
    torch.reshape,
    torch.squeeze,
    torch.unsqueeze,
    torch.permute,
    torch.transpose,
    operator.getitem,
}
_ADD_FUNCS = {operator.add, operator.iadd, torch.add}
_SCALE_FUNCS = {operator.mul, operator.imul, torch.mul, operator.truediv, operator.itruediv}
_CAT_FUNCS = {torch.cat, torch.concat}
_METHOD_KIND = {
    "relu": "relu",
    "relu_": "relu",
    "flatten": "struct",
    "view": "struct",
    "reshape": "struct",
    "contiguous": "struct",
    "permute": "struct",
    "transpose": "struct",
    "squeeze": "struct",
    "unsqueeze": "struct",
    "size": "aux",
    "dim": "aux",
    "mean": "mean",
    "add": "add",
    "add_": "add",
    "mul": "scale",
    "mul_": "scale",
    "div": "scale",
    "div_": "scale",
}
# functional pooling -> (module class, names of the positional arguments after the input)
_POOL_FUNCS: dict[Any, tuple[type, tuple[str, ...]]] = {
    F.max_pool1d: (
        nn.MaxPool1d,
        ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    ),
    F.max_pool2d: (
        nn.MaxPool2d,
        ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    ),
    F.avg_pool1d: (
        nn.AvgPool1d,
        ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    ),
    F.avg_pool2d: (
        nn.AvgPool2d,
        (
            "kernel_size",
            "stride",
            "padding",
            "ceil_mode",
            "count_include_pad",
            "divisor_override",
        ),
    ),
    F.adaptive_avg_pool1d: (nn.AdaptiveAvgPool1d, ("output_size",)),
    F.adaptive_avg_pool2d: (nn.AdaptiveAvgPool2d, ("output_size",)),
    F.adaptive_max_pool1d: (nn.AdaptiveMaxPool1d, ("output_size", "return_indices")),
    F.adaptive_max_pool2d: (nn.AdaptiveMaxPool2d, ("output_size", "return_indices")),
}
SUPPORTED = (
    "Linear, Conv1d/Conv2d (zero padding), BatchNorm1d/2d with running statistics, ReLU, "
    "max/avg/adaptive pooling, flatten/view/reshape, dropout, identity, skip additions, "
    "concatenation, mean over spatial dimensions and multiplication by a constant"
)


def unsupported(problems: list[str]) -> UnsupportedLayerError:
    """The error for ``problems`` (one line per offending layer), with what is supported."""
    return UnsupportedLayerError(problems, supported=SUPPORTED, what="path-norm computations")


@dataclass
class Op:
    """One traced node: ``kind`` (see the module docstring), a readable ``label`` (module path
    or function name), the ``module`` that holds its parameters or pooling settings (a module
    is synthesized for functional pooling), and ``name``, the module path in the model."""

    node: fx.Node
    kind: str
    label: str
    module: nn.Module | None = None
    name: str = ""


@dataclass
class Traced:
    gm: fx.GraphModule
    ops: list[Op]
    wrapped: bool  # the model itself was a single leaf layer

    def modules(self, kinds: tuple[str, ...]) -> list[Op]:
        return [op for op in self.ops if op.kind in kinds]


def _fname(target: Any) -> str:
    return getattr(target, "__name__", repr(target))


def _pool_module(target: Any, node: fx.Node) -> tuple[nn.Module | None, str | None]:
    cls, names = _POOL_FUNCS[target]
    if any(isinstance(a, fx.Node) for a in list(node.args[1:]) + list(node.kwargs.values())):
        return None, "pooling settings computed at run time are not supported"
    kw = dict(zip(names, node.args[1:], strict=False))
    kw.update(node.kwargs)
    kw = {k: v for k, v in kw.items() if k in names}
    if kw.get("return_indices"):
        return None, "return_indices=True is not supported"
    kw.pop("return_indices", None)
    return cls(**kw), None


def _module_problem(name: str, mod: nn.Module, kind: str) -> str | None:
    label = f"layer {name!r} ({type(mod).__name__})"
    if kind == "conv" and mod.padding_mode != "zeros":
        return f"{label}: padding_mode={mod.padding_mode!r}; only zero padding is supported"
    if kind == "bn" and (mod.running_mean is None or mod.running_var is None):
        return f"{label}: BatchNorm without running statistics is not a frozen affine map"
    if kind in ("maxpool", "adaptive_max") and getattr(mod, "return_indices", False):
        return f"{label}: return_indices=True is not supported"
    return None


def _classify(gm: fx.GraphModule, node: fx.Node) -> tuple[Op | None, str | None]:
    if node.op == "placeholder":
        return Op(node, "input", node.name), None
    if node.op == "output":
        return Op(node, "output", "output"), None
    if node.op == "get_attr":
        return None, (
            f"operation {node.name!r} reads the tensor attribute {node.target!r} inside "
            "forward (functional layers with their own weights are not supported)"
        )
    if node.op == "call_module":
        mod = gm.get_submodule(node.target)
        for types, kind in _MODULE_KIND:
            if isinstance(mod, types):
                problem = _module_problem(node.target, mod, kind)
                return Op(node, kind, node.target, mod, node.target), problem
        return None, (
            f"layer {node.target!r} ({type(mod).__name__}) is not supported: it is not "
            "positively homogeneous or not a path-lifting operation"
        )
    if node.op == "call_function":
        t = node.target
        if t in _RELU_FUNCS:
            return Op(node, "relu", _fname(t)), None
        if t in _DROPOUT_FUNCS:
            return Op(node, "identity", _fname(t)), None
        if t in _STRUCT_FUNCS:
            return Op(node, "struct", _fname(t)), None
        if t is getattr:
            return Op(node, "aux", "getattr"), None
        if t in _ADD_FUNCS:
            return Op(node, "add", _fname(t)), None
        if t in _SCALE_FUNCS:
            return Op(node, "scale", _fname(t)), None
        if t in _CAT_FUNCS:
            return Op(node, "cat", _fname(t)), None
        if t is torch.mean:
            return Op(node, "mean", "mean"), None
        if t in _POOL_FUNCS:
            mod, problem = _pool_module(t, node)
            if mod is None:
                return None, f"operation {node.name!r} ({_fname(t)}): {problem}"
            kind = next(k for types, k in _MODULE_KIND if isinstance(mod, types))
            return Op(node, kind, _fname(t), mod), None
        return None, f"operation {node.name!r} ({_fname(t)}) is not supported"
    if node.op == "call_method":
        kind = _METHOD_KIND.get(node.target)
        if kind is None:
            return None, f"method {node.name!r} (.{node.target}()) is not supported"
        return Op(node, kind, f".{node.target}()"), None
    return None, f"node {node.name!r} ({node.op}) is not supported"  # pragma: no cover


_CACHE: weakref.WeakKeyDictionary[nn.Module, tuple[tuple, Traced]] = weakref.WeakKeyDictionary()


def _fingerprint(model: nn.Module) -> tuple:
    return (model.training, tuple((n, id(m)) for n, m in model.named_modules()))


def trace(model: nn.Module) -> Traced:
    """Trace ``model`` and classify every node; raise :class:`UnsupportedLayerError`
    listing every unsupported layer. The result is cached per model instance (keyed on its
    module structure, not its weights)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    key = _fingerprint(model)
    hit = _CACHE.get(model)
    if hit is not None and hit[0] == key:
        return hit[1]
    leaf_types = tuple(t for types, _ in _MODULE_KIND for t in types)
    wrapped = isinstance(model, leaf_types)
    root = nn.Sequential(model) if wrapped else model
    try:
        gm = fx.symbolic_trace(root)
    except Exception as exc:
        raise unsupported(
            [f"the model could not be traced with torch.fx ({type(exc).__name__}: {exc})"]
        ) from exc
    ops, problems = [], []
    for node in gm.graph.nodes:
        op, problem = _classify(gm, node)
        if problem:
            problems.append(problem)
        if op is not None:
            if wrapped and op.name:
                op.name = op.name[2:]
                op.label = op.label[2:] or type(model).__name__
            ops.append(op)
    if sum(op.kind == "input" for op in ops) != 1:
        problems.append("the model must take exactly one input tensor")
    if problems:
        raise unsupported(problems)
    traced = Traced(gm, ops, wrapped)
    if not wrapped:  # a wrapped leaf would be referenced by its own cache entry
        _CACHE[model] = (key, traced)
    return traced


def unsupported_layers(model: nn.Module) -> list[str]:
    """The problems that keep ``model`` from path-norm computations, one line per layer
    naming it (empty when the model is supported): the support report the public toolkit of
    Gonon, Brisebarre, Riccietti, Gribonval (ICLR 2024) also offers, here from this
    library's ``torch.fx`` tracer."""
    try:
        trace(model)
    except UnsupportedLayerError as exc:
        return exc.problems
    return []


def effective_weight(module: nn.Module) -> torch.Tensor:
    """The weight a (possibly ``torch.nn.utils.prune``-d) layer uses: ``weight_orig * mask``."""
    if hasattr(module, "weight_orig") and hasattr(module, "weight_mask"):
        return module.weight_orig * module.weight_mask
    return module.weight


def bn_affine(bn: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Frozen BatchNorm as y = a·x + c per channel: a = γ/√(σ² + ε), c = β − μ·a."""
    var = bn.running_var
    a = torch.rsqrt(var + bn.eps)
    if bn.weight is not None:
        a = a * bn.weight
    c = -bn.running_mean * a
    if bn.bias is not None:
        c = c + bn.bias
    return a, c


def signed_parameters(op: Op, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The (weight, bias) of a weight layer or the folded (a, c) of a BatchNorm, as the
    edges and biases of the path-lifting, in ``dtype`` (autograd graph kept)."""
    mod = op.module
    if op.kind == "bn":
        a, c = bn_affine(mod)
        return a.to(dtype), c.to(dtype)
    w = effective_weight(mod).to(dtype)
    b = mod.bias.to(dtype) if mod.bias is not None else None
    return w, b
