"""Neuron-wise rescaling symmetries of ReLU networks: find, apply, randomize, rebalance.

A hidden neuron j with a positively homogeneous activation (ReLU, or identity through
pooling/BatchNorm) can have its incoming weights and bias multiplied by λ > 0 and its
outgoing weights divided by λ without changing the network function (Neyshabur,
Salakhutdinov, Srebro, NeurIPS 2015; the "curses and blessings" of rescaling invariances
in Gribonval's talk "Frugality in machine learning: sparsity, a value for the future?"). In a CNN
the neuron is an output channel. Frozen BatchNorm after the layer follows the channel:
its running mean and shift β are multiplied by λ too, since BN(λy; λμ, λβ) = λ·BN(y; μ, β)
(Gonon et al., ICML 2025, code of ``random_rescale_resnet18``).

A channel is *rescalable* when everything between its layer and the next weight layers is
positively homogeneous and channel-preserving (ReLU, BatchNorm, pooling, dropout, flatten
into a Linear layer); a channel that feeds a residual addition, a concatenation or the
output is not (its partner in the sum would have to move with it), and is left alone.
Power-of-two factors are exact in floating point: the rescaled network computes
bit-for-bit the same outputs.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import fx, nn

from theorylab._core.results import SKIP, Result
from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_int, check_real
from theorylab.sparsity._graph import BN_TYPES, Traced, effective_weight, trace

_PASS_KINDS = ("relu", "identity", "maxpool", "avgpool", "adaptive_avg", "adaptive_max")


@dataclass(frozen=True, slots=True)
class NeuronGroup(Result):
    """The rescalable neurons (channels) of one layer, each with the rescaling symmetry of
    Neyshabur, Salakhutdinov, Srebro (NeurIPS 2015).

    ``layer``: module path of the Linear/Conv layer that produces them; ``size``: number of
    neurons; ``norms``: BatchNorm modules on the way (their running mean and β follow);
    ``consumers``: (module path, block) of the next weight layers, whose input columns
    ``[c·block, (c+1)·block)`` carry neuron c (block > 1 after flattening a feature map).
    """

    layer: str
    size: int
    norms: tuple[str, ...]
    consumers: tuple[tuple[str, int], ...]


def _flatten_like(op, node: fx.Node) -> bool:
    """flatten(x, 1) / nn.Flatten() / x.view(n, -1) / x.reshape(n, -1)."""
    if op.module is not None and isinstance(op.module, nn.Flatten):
        return op.module.start_dim == 1 and op.module.end_dim == -1
    target = node.target
    args = list(node.args[1:])
    if target in (torch.flatten, "flatten"):
        start = node.kwargs.get("start_dim", args[0] if args else 0)
        end = node.kwargs.get("end_dim", args[1] if len(args) > 1 else -1)
        return start == 1 and end == -1
    if target in ("view", "reshape", torch.reshape):
        shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
        return len(shape) == 2 and shape[1] == -1
    return False


def _mean_spatial(node: fx.Node, rank: int) -> int | None:
    """New rank after a mean over spatial dimensions only, or None if not such a mean."""
    args = list(node.args[1:])
    dims = node.kwargs.get("dim", args[0] if args else None)
    keep = node.kwargs.get("keepdim", args[1] if len(args) > 1 else False)
    if dims is None:
        return None
    dims = [dims] if isinstance(dims, int) else list(dims)
    dims = [d % rank for d in dims]
    if 0 in dims or 1 in dims:
        return None
    return rank if keep else rank - len(set(dims))


def _group(traced: Traced, op, uses: dict[str, int]) -> NeuronGroup | None:
    """Follow the outputs of weight layer ``op`` to the next weight layers (None when the
    neurons reach anything that breaks the symmetry)."""
    mod = op.module
    by_node = {o.node: o for o in traced.ops}
    size = mod.out_features if isinstance(mod, nn.Linear) else mod.out_channels
    rank = 2 if isinstance(mod, nn.Linear) else (3 if isinstance(mod, nn.Conv1d) else 4)
    norms: list[str] = []
    consumers: list[tuple[str, int]] = []
    stack = [(op.node, rank, False)]  # node, tensor rank, flattened
    while stack:
        node, rk, flat = stack.pop()
        for user in node.users:
            u = by_node.get(user)
            if u is None or user.args[0] is not node:
                return None
            if u.kind in ("linear", "conv"):
                if uses[u.name] != 1:
                    return None
                if u.kind == "conv":
                    if flat or rk < 3 or u.module.groups != 1:
                        return None
                    consumers.append((u.name, 1))
                else:
                    n_in = u.module.in_features
                    if not flat and rk != 2:
                        return None
                    if n_in % size:
                        return None
                    if not flat and n_in != size:
                        return None
                    consumers.append((u.name, n_in // size))
                continue
            if u.kind == "aux":  # x.size(0), x.shape: no data flows through
                continue
            if u.kind == "bn":
                if flat or uses[u.name] != 1 or not isinstance(u.module, BN_TYPES):
                    return None
                norms.append(u.name)
                stack.append((user, rk, flat))
            elif u.kind in _PASS_KINDS and not flat:
                stack.append((user, rk, flat))
            elif (
                u.kind == "struct" and u.module is not None and not isinstance(u.module, nn.Flatten)
            ):
                stack.append((user, rk, flat))  # Identity, Dropout
            elif u.kind in ("struct",) and _flatten_like(u, user) and not flat:
                stack.append((user, 2, True))
            elif u.kind == "mean" and not flat:
                new = _mean_spatial(user, rk)
                if new is None:
                    return None
                stack.append((user, new, False))
            else:
                return None
    if not consumers:
        return None
    return NeuronGroup(op.name, size, tuple(norms), tuple(consumers))


def neuron_groups(model: nn.Module) -> list[NeuronGroup]:
    """The rescalable neuron groups of ``model`` (one per layer whose outputs can be
    rescaled, see the module docstring), in forward order: the neuron-wise rescaling
    symmetries of Neyshabur, Salakhutdinov, Srebro (NeurIPS 2015), with frozen BatchNorm
    following its channel as in Gonon et al. (ICML 2025)."""
    traced = trace(model)
    uses: dict[str, int] = {}
    for op in traced.ops:
        if op.name:
            uses[op.name] = uses.get(op.name, 0) + 1
    groups = []
    for op in traced.modules(("linear", "conv")):
        if uses[op.name] != 1:
            continue
        g = _group(traced, op, uses)
        if g is not None:
            groups.append(g)
    return groups


def _param(module: nn.Module, name: str) -> torch.Tensor | None:
    orig = getattr(module, name + "_orig", None)
    return orig if orig is not None else getattr(module, name, None)


def _sync_pruned(module: nn.Module) -> None:
    if hasattr(module, "weight_orig") and hasattr(module, "weight_mask"):
        module.weight = module.weight_orig * module.weight_mask


def _scale_rows(t: torch.Tensor | None, f: torch.Tensor) -> None:
    if t is not None:
        t.mul_(f.to(t.dtype).reshape(-1, *([1] * (t.ndim - 1))))


def _apply(model: nn.Module, group: NeuronGroup, factor: torch.Tensor) -> None:
    """Multiply the group's incoming weights/biases (and BN μ, β) by ``factor`` and divide
    the consumers' input columns by it, in place."""
    prod = model.get_submodule(group.layer)
    _scale_rows(_param(prod, "weight"), factor)
    _scale_rows(prod.bias, factor)
    _sync_pruned(prod)
    for name in group.norms:
        bn = model.get_submodule(name)
        _scale_rows(bn.running_mean, factor)
        _scale_rows(bn.bias, factor)
    for name, block in group.consumers:
        cons = model.get_submodule(name)
        w = _param(cons, "weight")
        inv = (1.0 / factor).to(w.dtype).repeat_interleave(block)
        w.mul_(inv.reshape(1, -1, *([1] * (w.ndim - 2))))
        _sync_pruned(cons)


def copy_model(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` that also works for ``torch.nn.utils.prune``-d layers (their
    derived ``weight`` is recomputed without autograd history first, as the pruning hook
    would do at the next forward pass)."""
    with torch.no_grad():
        for m in model.modules():
            _sync_pruned(m)
    return copy.deepcopy(model)


def rescale_neurons(
    model: nn.Module,
    factors: Mapping[str, torch.Tensor | Sequence[float]],
    *,
    inplace: bool = False,
) -> nn.Module:
    """Apply the neuron-wise rescaling ``factors`` (layer path -> one positive factor per
    neuron of that layer, see :func:`neuron_groups`); the function is unchanged (exactly so
    for powers of two; Neyshabur, Salakhutdinov, Srebro, NeurIPS 2015). Returns the
    rescaled model (a deep copy unless ``inplace``)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(factors, Mapping):
        raise TypeError(f"factors must be a mapping layer name -> factors; got {factors!r}")
    groups = {g.layer: g for g in neuron_groups(model)}
    checked = {}
    for name, f in factors.items():
        if name not in groups:
            raise ValueError(
                f"factors: layer {name!r} has no rescalable neurons; rescalable layers: "
                f"{sorted(groups)}"
            )
        t = torch.as_tensor(f, dtype=torch.float64).reshape(-1)
        if t.numel() != groups[name].size:
            raise ValueError(
                f"factors[{name!r}] must have {groups[name].size} entries; got {t.numel()}"
            )
        if not bool(torch.isfinite(t).all()) or not bool((t > 0).all()):
            raise ValueError(f"factors[{name!r}] must be finite and > 0")
        checked[name] = t
    out = model if inplace else copy_model(model)
    with torch.no_grad():
        for name, t in checked.items():
            _apply(out, groups[name], t)
    return out


def random_rescaling(
    model: nn.Module,
    *,
    seed: SeedLike = None,
    factors: Sequence[float] = (1.0, 128.0, 4096.0),
    inplace: bool = False,
) -> nn.Module:
    """Rescale every rescalable neuron by a factor drawn uniformly from ``factors`` (powers
    of two, so that the outputs are bit-for-bit unchanged). The default {1, 2^7, 2^12} is
    the attack of Gonon et al. (ICML 2025, ``random_rescale_resnet18``), which makes
    magnitude pruning collapse while leaving the function and the path-lifting unchanged."""
    if isinstance(factors, (str, bytes)) or not isinstance(factors, Sequence) or not factors:
        raise TypeError(f"factors must be a non-empty sequence of powers of two; got {factors!r}")
    vals = []
    for i, f in enumerate(factors):
        v = check_real(f, f"factors[{i}]", min_value=0.0, strict_min=True)
        if math.frexp(v)[0] != 0.5:
            raise ValueError(f"factors[{i}] must be a power of two (exact rescaling); got {v}")
        vals.append(v)
    rng = as_generator(seed)
    draws = {
        g.layer: torch.from_numpy(rng.choice(np.asarray(vals), size=g.size))
        for g in neuron_groups(model)
    }
    return rescale_neurons(model, draws, inplace=inplace)


def sum_of_squares(model: nn.Module) -> float:
    """Σ of squared parameters that neuron rescalings change: Linear/Conv weights (masks
    applied) and biases, and BatchNorm shifts β (γ is invariant); the weight-decay
    objective that :func:`rebalance` minimizes (this library)."""
    total = 0.0
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            total += float((effective_weight(m).detach().double() ** 2).sum())
            if m.bias is not None:
                total += float((m.bias.detach().double() ** 2).sum())
        elif isinstance(m, BN_TYPES) and m.bias is not None:
            total += float((m.bias.detach().double() ** 2).sum())
    return total


def _masses(model: nn.Module, g: NeuronGroup) -> tuple[torch.Tensor, torch.Tensor]:
    """Incoming (weights, bias, BN β) and outgoing squared mass of each neuron of ``g``."""
    prod = model.get_submodule(g.layer)
    w = effective_weight(prod).detach().double()
    a = (w**2).reshape(g.size, -1).sum(1)
    if prod.bias is not None:
        a = a + prod.bias.detach().double() ** 2
    for name in g.norms:
        bn = model.get_submodule(name)
        if bn.bias is not None:
            a = a + bn.bias.detach().double() ** 2
    b = torch.zeros(g.size, dtype=torch.float64)
    for name, block in g.consumers:
        wc = effective_weight(model.get_submodule(name)).detach().double() ** 2
        per_col = wc.transpose(0, 1).reshape(wc.shape[1], -1).sum(1)
        b = b + per_col.reshape(g.size, block).sum(1)
    return a, b


@dataclass(frozen=True, slots=True)
class RebalanceInfo(Result):
    """What :func:`rebalance_info` returns (this library): ``sweeps`` over the layers,
    ``max_log_factor`` (the largest |log λ| of the last sweep), :func:`sum_of_squares`
    ``before`` and ``after``, and the rebalanced ``model`` (left out of ``to_dict()``)."""

    sweeps: int
    max_log_factor: float
    before: float
    after: float
    model: nn.Module | None = field(default=None, repr=False, compare=False, metadata=SKIP)


def rebalance_info(
    model: nn.Module,
    *,
    inplace: bool = False,
    tol: float | None = None,
    max_sweeps: int = 10_000,
) -> RebalanceInfo:
    """The function-preserving neuron rescaling that minimizes :func:`sum_of_squares`,
    with what it did (this library's construction; at the optimum every neuron is balanced,
    the conservation law of Du, Hu, Lee, NeurIPS 2018, set to 0).

    The objective Σ_j (λ_j² A_j + B_j/λ_j²) over the rescalable neurons is convex in log λ
    (a sum of exponentials of linear forms); exact minimization over one neuron gives
    λ_j = (B_j/A_j)^{1/4}, i.e. equal incoming mass A_j (weights, bias, BN shift) and
    outgoing mass B_j. Neurons of one layer do not interact, so each sweep updates a layer
    at once; sweeps repeat until the largest |log λ| < ``tol`` (block-coordinate descent on
    a smooth convex function; default: 100 machine epsilons of the weights' dtype).
    Neurons with zero incoming or outgoing mass are left as they are. The rebalanced model
    (a deep copy unless ``inplace``) is ``.model`` of the returned :class:`RebalanceInfo`.
    """
    if tol is None:
        p = next(iter(model.parameters()), None)
        eps = torch.finfo(p.dtype if p is not None and p.is_floating_point() else torch.float64).eps
        tol = 100 * eps
    tol = check_real(tol, "tol", min_value=0.0, strict_min=True)
    max_sweeps = check_int(max_sweeps, "max_sweeps", min_value=1)
    groups = neuron_groups(model)
    out = model if inplace else copy_model(model)
    before = sum_of_squares(out)
    sweeps, biggest = 0, 0.0
    with torch.no_grad():
        for sweeps in range(1, max_sweeps + 1):  # noqa: B007
            biggest = 0.0
            for g in groups:
                a, b = _masses(out, g)
                ok = (a > 0) & (b > 0)
                lam = torch.ones(g.size, dtype=torch.float64)
                lam[ok] = (b[ok] / a[ok]) ** 0.25
                biggest = max(biggest, float(lam.log().abs().max()))
                _apply(out, g, lam)
            if biggest < tol:
                break
    return RebalanceInfo(sweeps, biggest, before, sum_of_squares(out), out)


def rebalance(
    model: nn.Module,
    *,
    inplace: bool = False,
    tol: float | None = None,
    max_sweeps: int = 10_000,
    return_info: bool | None = None,
) -> nn.Module:
    """The rebalanced model: :func:`rebalance_info` without the report (this library's
    construction; see there for the method and the arguments).

    ``return_info`` is deprecated: ``return_info=True`` still returns ``(model, info)``
    with a ``DeprecationWarning``; call :func:`rebalance_info` instead.
    """
    info = rebalance_info(model, inplace=inplace, tol=tol, max_sweeps=max_sweeps)
    if return_info is None:
        return info.model
    warnings.warn(
        "rebalance(): return_info= is deprecated; use rebalance_info(model), whose .model is "
        "the rebalanced model",
        DeprecationWarning,
        stacklevel=2,
    )
    return (info.model, info) if return_info else info.model
