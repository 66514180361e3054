"""Differentiable perturbed optimizers for PyTorch (Berthet, Blondel, Teboul, Cuturi, Vert,
Bach, "Learning with Differentiable Perturbed Optimizers", NeurIPS 2020).

Any batched discrete solver ``theta -> y*(theta)`` becomes a differentiable layer
``y*_eps(theta) = E[y*(theta + eps Z)]`` with a Monte-Carlo Jacobian (integration by parts),
and a perturbed Fenchel-Young loss with its real Monte-Carlo value and gradient
``y*_eps(theta) - y``.

- :func:`perturbed`: the layer (Normal/Gumbel/custom noise, additive/multiplicative,
  leave-one-out and baseline control variates, one batched solver call per forward pass,
  per-instance solvers and a process pool, the exact Gumbel-argmax softmax);
- :class:`FenchelYoungLoss`: the loss;
- :mod:`theorylab.perturbed.solvers`: argmax, top-k, ranks, sort, 8-neighbour grid shortest
  paths (Warcraft maps), shortest paths on any graph, assignment, LPs (HiGHS);
- :mod:`theorylab.perturbed.warcraft`: locally generated Warcraft-like maps
  (:func:`warcraft_maps`, the shortest-path task of Vlastelica et al. 2020) and the small CNN
  :class:`CostNet` that predicts their cell costs;
- :func:`demo_layer`: a built-in solver's layer timed and checked against the Gumbel-max
  closed form (``theorylab perturbed demo``).

Example::

    import torch
    from theorylab.perturbed import perturbed, solvers

    layer = perturbed(solvers.ranks, n_samples=100, sigma=0.5, seed=0)
    theta = torch.randn(8, 10, requires_grad=True)
    soft_ranks = layer(theta)          # (8, 10), differentiable
    soft_ranks.sum(dim=0)[0].backward()
"""

from theorylab.perturbed import solvers, warcraft
from theorylab.perturbed.demo import LayerDemo, demo_layer
from theorylab.perturbed.fenchel_young import FenchelYoungLoss
from theorylab.perturbed.noise import EULER_GAMMA, Gumbel, Noise, Normal
from theorylab.perturbed.optimizer import PerturbedOptimizer, perturbed
from theorylab.perturbed.warcraft import CostNet, WarcraftMaps, warcraft_maps

__all__ = [
    "EULER_GAMMA",
    "CostNet",
    "FenchelYoungLoss",
    "Gumbel",
    "LayerDemo",
    "Noise",
    "Normal",
    "PerturbedOptimizer",
    "WarcraftMaps",
    "demo_layer",
    "perturbed",
    "solvers",
    "warcraft",
    "warcraft_maps",
]
