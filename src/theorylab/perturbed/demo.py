"""A built-in solver made differentiable, timed, and checked against the closed form where one
exists (the Gumbel-max trick of Berthet, Blondel, Teboul, Cuturi, Vert, Bach, NeurIPS 2020):
what ``theorylab perturbed demo`` prints."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch

from theorylab._core.results import Result
from theorylab._core.rng import SeedLike, as_torch_generator, spawn_seeds
from theorylab._core.validation import check_choice, check_int
from theorylab.perturbed import solvers
from theorylab.perturbed.optimizer import PerturbedOptimizer

SOLVERS = ("argmax", "ranks", "sort", "top_k")


@dataclass(frozen=True, slots=True)
class LayerDemo(Result):
    """What :func:`demo_layer` measured (this library's demo).

    ``seconds`` / ``seconds_median``: the fastest / median wall time of one forward + backward
    pass over ``repeats`` passes (after one warm-up pass). For the Gumbel argmax, where the
    perturbed map is ``softmax(theta / sigma)`` exactly (Berthet et al. 2020),
    ``max_abs_gap_to_softmax`` is the max-abs gap of the first timed forward pass to it and
    ``rel_error_gradient`` the relative L2 error of its gradient against the exact softmax
    Jacobian-vector product; both are ``None`` for the other solvers and noises."""

    solver: str
    batch: int
    d: int
    n_samples: int
    sigma: float
    noise: str
    control_variate: str | None
    repeats: int
    seconds: float
    seconds_median: float
    max_abs_gap_to_softmax: float | None = None
    rel_error_gradient: float | None = None


def demo_layer(
    solver: str = "argmax",
    *,
    batch: int = 128,
    d: int = 100,
    n_samples: int = 100,
    sigma: float = 1.0,
    noise: str = "gumbel",
    k: int = 5,
    control_variate: str | None = None,
    repeats: int = 5,
    seed: SeedLike = None,
) -> LayerDemo:
    """Time the perturbed layer of a built-in solver on random scores ``theta ~ N(0, I)`` of
    shape ``(batch, d)``: forward + backward of ``<y*_eps(theta), w>`` with ``w`` the ramp
    ``0..1`` over the ``d`` entries, ``n_samples`` noise draws per pass (Berthet et al. 2020's
    Monte-Carlo estimators). ``solver`` is ``"argmax"``, ``"ranks"``, ``"sort"`` or
    ``"top_k"`` (with ``k``); ``control_variate`` is ``None``, ``"loo"`` or ``"baseline"`` (as in
    :func:`~theorylab.perturbed.perturbed`); ``seed`` draws ``theta`` and the noise
    (independent streams).
    Returns a :class:`LayerDemo`."""
    solver = check_choice(solver, "solver", SOLVERS)
    batch = check_int(batch, "batch", min_value=1)
    d = check_int(d, "d", min_value=1)
    repeats = check_int(repeats, "repeats", min_value=1)
    if solver == "top_k":
        fn = solvers.top_k(check_int(k, "k", min_value=1, max_value=d))
    else:
        fn = getattr(solvers, solver)
    seed_theta, seed_noise = spawn_seeds(seed, 2)
    layer = PerturbedOptimizer(
        fn,
        n_samples=n_samples,
        sigma=sigma,
        noise=noise,
        control_variate=control_variate,
        seed=seed_noise,
    )
    theta = torch.randn(batch, d, generator=as_torch_generator(seed_theta)).requires_grad_()
    w = torch.linspace(0, 1, d)
    times, first = [], None
    for i in range(repeats + 1):  # pass 0 warms up
        theta.grad = None
        start = time.perf_counter()
        y = layer(theta)
        (y * w).sum().backward()
        if i > 0:
            times.append(time.perf_counter() - start)
        if i == 1:
            first = (y.detach(), theta.grad.clone())
    gap = grad_err = None
    if solver == "argmax" and layer.noise.name == "gumbel":
        y, grad = first  # type: ignore[misc]
        s = torch.softmax(theta.detach() / layer.sigma, dim=-1)
        exact = (s * w - s * (s * w).sum(-1, keepdim=True)) / layer.sigma
        gap = float((y - s).abs().max())
        grad_err = float((grad - exact).norm() / exact.norm())
    return LayerDemo(
        solver=solver,
        batch=batch,
        d=d,
        n_samples=layer.n_samples,
        sigma=layer.sigma,
        noise=layer.noise.name,
        control_variate=layer.control_variate,
        repeats=repeats,
        seconds=min(times),
        seconds_median=statistics.median(times),
        max_abs_gap_to_softmax=gap,
        rel_error_gradient=grad_err,
    )


__all__ = ["SOLVERS", "LayerDemo", "demo_layer"]
