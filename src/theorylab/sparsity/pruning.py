"""Invariance-aware pruning: path-magnitude scores and global unstructured pruning.

The path-magnitude score of a weight θ_i is |θ_i|·∂‖Φ(θ)‖₁/∂|θ_i| (Gonon, Brisebarre,
Riccietti, Gribonval, ICML 2025, pruning criterion derived from the path-metric Lipschitz
bound). As ‖Φ‖₁ is multilinear in the |θ_i| (a path uses each weight at most once), the
score equals ‖Φ(θ)‖₁ − ‖Φ(θ with θ_i = 0)‖₁: the L1 mass of the paths through θ_i. It is
invariant under neuron-wise rescaling, so the pruning masks are too, while plain magnitude
pruning can be made to collapse by a function-preserving rescaling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.utils.prune as tprune
from torch import nn

from theorylab._core.rng import SeedLike, as_torch_generator
from theorylab._core.validation import check_choice, check_real
from theorylab.sparsity._graph import Op, effective_weight, signed_parameters, trace
from theorylab.sparsity.pathnorm import LN2, _device, absolute_pass, check_input_shape

CRITERIA = ("magnitude", "path-magnitude", "random")


def path_magnitude_scores(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    normalized: bool = False,
    dtype: torch.dtype = torch.float64,
) -> dict[str, torch.Tensor]:
    """Path-magnitude score of every Linear/Conv weight, keyed by module path (same shape
    as the weight): one forward pass of the |θ| network on the all-ones input and one
    backward pass (Gonon et al., ICML 2025). The pass runs in log domain, so it never
    overflows; ``normalized=True`` returns the scores divided by ‖Φ‖₁ (they sum, over the
    paths they cover, to fractions of the norm), which stays finite for any depth."""
    shape = check_input_shape(input_shape)
    traced = trace(model)
    leaves: dict[str, torch.Tensor] = {}

    def mags(op: Op) -> tuple[torch.Tensor, torch.Tensor | None]:
        w, b = signed_parameters(op, dtype)
        b = b.detach().abs() if b is not None else None
        if op.kind == "bn":
            return w.detach().abs(), b
        if op.name not in leaves:
            leaves[op.name] = w.detach().abs().requires_grad_(True)
        return leaves[op.name], b

    with torch.enable_grad():
        total = absolute_pass(
            traced, shape, 1.0, log=True, mags=mags, dtype=dtype, device=_device(model)
        )
        log_norm = torch.log(total.t) + total.e * LN2
        names = list(leaves)
        grads = torch.autograd.grad(log_norm, [leaves[n] for n in names], allow_unused=True)
    scale = 1.0
    if not normalized:
        log_value = float(log_norm.detach())
        scale = math.exp(log_value) if log_value < 709.0 else math.inf
        if not math.isfinite(scale):
            raise ValueError("the path-norm overflows float64; use normalized=True (scores / ‖Φ‖₁)")
    out = {}
    for n, g in zip(names, grads, strict=True):
        g = torch.zeros_like(leaves[n]) if g is None else g
        out[n] = (leaves[n].detach() * g * scale).detach()
    return out


def _weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [
        (n, m) for n, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))
    ]


def prune(
    model: nn.Module,
    amount: float,
    criterion: str = "magnitude",
    *,
    input_shape: Sequence[int] | None = None,
    seed: SeedLike = None,
) -> dict[str, torch.Tensor]:
    """Global unstructured pruning of the Linear/Conv weights of ``model``, in place,
    through ``torch.nn.utils.prune.global_unstructured`` (biases and BatchNorm are kept).

    ``amount`` in [0, 1): the fraction of weights removed, smallest scores first.
    ``criterion``: ``"magnitude"`` (|θ_i|), ``"path-magnitude"`` (rescaling-invariant,
    :func:`path_magnitude_scores`; needs ``input_shape``) or ``"random"`` (uniform scores
    from ``seed``). Magnitude pruning is that of Han, Pool, Tran, Dally (NeurIPS 2015);
    path-magnitude pruning that of Gonon, Brisebarre, Riccietti, Gribonval (ICML 2025).
    Returns the masks, keyed by module path."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    amount = check_real(amount, "amount", min_value=0.0)
    if amount >= 1.0:
        raise ValueError(f"amount must be in [0, 1); got {amount}")
    criterion = check_choice(criterion, "criterion", CRITERIA)
    layers = _weight_layers(model)
    if not layers:
        raise ValueError("model has no Linear/Conv layer to prune")
    if criterion == "path-magnitude":
        if input_shape is None:
            raise ValueError("input_shape is needed for criterion='path-magnitude'")
        scores = path_magnitude_scores(model, input_shape, normalized=True)
        missing = [n for n, _ in layers if n not in scores]
        if missing:
            raise ValueError(f"layers {missing} are not reached by the traced forward pass")
    elif criterion == "random":
        gen = as_torch_generator(seed)
        scores = {
            n: torch.rand(m.weight.shape, generator=gen, dtype=torch.float64) for n, m in layers
        }
    else:
        scores = {n: effective_weight(m).detach().abs().double() for n, m in layers}
    # masked weights keep score 0, so they are pruned first (prune.global_unstructured
    # re-applies the old masks anyway)
    tprune.global_unstructured(
        [(m, "weight") for _, m in layers],
        pruning_method=tprune.L1Unstructured,
        importance_scores={(m, "weight"): scores[n].to(m.weight.device) for n, m in layers},
        amount=amount,
    )
    return {n: m.weight_mask.detach().clone() for n, m in layers}
