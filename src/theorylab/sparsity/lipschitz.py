"""A rescaling-invariant Lipschitz bound through the ℓ1 path-metric, in forward passes.

Gonon, Brisebarre, Riccietti, Gribonval (ICML 2025) bound how far two parameterizations of
the same ReLU DAG network can be apart as functions by the ℓ1 path-metric:

    ‖R_θ(x) − R_θ'(x)‖₁ ≤ max(1, ‖x‖_∞) · ‖Φ(θ) − Φ(θ')‖₁,

and compute the metric "in two forward passes". When θ and θ' lie in the same orthant
(θ_i θ'_i ≥ 0 for all i, BatchNorm folded), every path coordinate keeps its sign and
|Φ_p(θ) − Φ_p(θ')| ≤ Π_e max(|θ_e|, |θ'_e|) − Π_e min(|θ_e|, |θ'_e|), so

    ‖Φ(θ) − Φ(θ')‖₁ ≤ ‖Φ(max(|θ|, |θ'|))‖₁ − ‖Φ(min(|θ|, |θ'|))‖₁,

two |θ|-network passes, with equality when θ' is θ with some weights set to zero (pruning).
Across orthants we go through θ'' (θ with the sign-disagreeing coordinates zeroed) and add
the two same-orthant bounds (triangle inequality): four passes. (Our derivation of the
computable form; the exact statement of the paper's theorem was not available to us and is
checked numerically against brute-force path enumeration in the tests.)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from theorylab.sparsity._graph import Op, signed_parameters, trace
from theorylab.sparsity.pathnorm import _device, _finish, absolute_pass, check_input_shape

_Params = dict[str, tuple[torch.Tensor, torch.Tensor | None]]


def _params(model: nn.Module, ops: list[Op], label: str) -> _Params:
    out: _Params = {}
    for op in ops:
        if op.kind not in ("linear", "conv", "bn"):
            continue
        try:
            mod = model.get_submodule(op.name) if op.name else model
        except AttributeError as exc:
            raise ValueError(
                f"{label} has no layer {op.name!r}: not the same architecture"
            ) from exc
        if type(mod) is not type(op.module):
            raise ValueError(f"{label}: layer {op.name!r} is a {type(mod).__name__}")
        w, b = signed_parameters(Op(op.node, op.kind, op.label, mod, op.name), torch.float64)
        out[op.name] = (w.detach(), None if b is None else b.detach())
    return out


def _l1(model: nn.Module, traced, shape, table: dict[str, tuple]) -> float:
    def mags(op: Op):
        return table[op.name]

    total = absolute_pass(
        traced, shape, 1.0, log=False, mags=mags, dtype=torch.float64, device=_device(model)
    )
    return _finish(total, 1.0, False)


def _same_orthant_bound(model, traced, shape, p: _Params, r: _Params) -> float:
    hi, lo = {}, {}
    for name in p:
        (w1, b1), (w2, b2) = p[name], r[name]
        hi[name] = (
            torch.maximum(w1.abs(), w2.abs()),
            None if b1 is None else torch.maximum(b1.abs(), b2.abs()),
        )
        lo[name] = (
            torch.minimum(w1.abs(), w2.abs()),
            None if b1 is None else torch.minimum(b1.abs(), b2.abs()),
        )
    return max(0.0, _l1(model, traced, shape, hi) - _l1(model, traced, shape, lo))


def path_metric_lipschitz_bound(
    model: nn.Module,
    other: nn.Module,
    input_shape: Sequence[int],
    *,
    x: torch.Tensor | None = None,
) -> float:
    """An upper bound B on the ℓ1 path-metric ‖Φ(θ) − Φ(θ')‖₁ between ``model`` (θ) and
    ``other`` (θ', same architecture), from |θ|-network forward passes (see the module
    docstring; exact when ``other`` is a pruned copy of ``model``). With ``x`` (a batch or
    one input), returns max(1, ‖x‖_∞)·B, which bounds ‖R_θ(x) − R_θ'(x)‖₁ for every sample
    of ``x`` (Gonon et al., ICML 2025)."""
    shape = check_input_shape(input_shape)
    traced = trace(model)
    trace(other)
    with torch.no_grad():
        p = _params(model, traced.ops, "model")
        r = _params(other, traced.ops, "other")
        for name in p:
            for a, b in zip(p[name], r[name], strict=True):
                if (a is None) != (b is None) or (a is not None and a.shape != b.shape):
                    raise ValueError(f"other: layer {name!r} has different parameter shapes")
        mixed = any(
            bool((a * b < 0).any())
            for name in p
            for a, b in zip(p[name], r[name], strict=True)
            if a is not None
        )
        if not mixed:
            bound = _same_orthant_bound(model, traced, shape, p, r)
        else:
            mid = {
                n: tuple(
                    None if a is None else torch.where(a * b < 0, torch.zeros_like(a), a)
                    for a, b in zip(p[n], r[n], strict=True)
                )
                for n in p
            }
            bound = _same_orthant_bound(model, traced, shape, p, mid) + _same_orthant_bound(
                model, traced, shape, mid, r
            )
    if x is None:
        return bound
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor; got {type(x).__name__}")
    return max(1.0, float(x.detach().abs().max())) * bound
