"""``theorylab perturbed demo``: a built-in solver made differentiable, timed, and checked
against the closed form where one exists (Berthet et al., NeurIPS 2020)."""

from __future__ import annotations

import time
from enum import Enum

import typer
from rich.console import Console
from rich.table import Table

from theorylab.cli._common import json_option, print_json

app = typer.Typer(
    help="Differentiable perturbed optimizers and Fenchel-Young losses.", no_args_is_help=True
)


class SolverName(str, Enum):
    argmax = "argmax"
    ranks = "ranks"
    sort = "sort"
    top_k = "top_k"


@app.command()
def demo(
    solver: SolverName = typer.Option(SolverName.argmax, help="argmax, ranks, sort or top_k"),
    batch: int = typer.Option(128, min=1, help="batch size B"),
    d: int = typer.Option(100, min=2, help="dimension of each instance"),
    samples: int = typer.Option(100, min=1, help="noise draws M per forward pass"),
    sigma: float = typer.Option(1.0, help="noise scale (> 0)"),
    noise: str = typer.Option("gumbel", help="normal or gumbel"),
    k: int = typer.Option(5, min=1, help="top_k: the k"),
    seed: int = typer.Option(0, help="seed of theta and of the noise"),
    as_json: bool = json_option(),
) -> None:
    """Forward + backward of a perturbed built-in solver on random scores: the time per step,
    and for Gumbel argmax the gap to the exact softmax(theta / sigma) (Berthet et al. 2020,
    Prop. 2.2)."""
    import torch

    from theorylab.perturbed import perturbed, solvers

    fn = solvers.top_k(k) if solver is SolverName.top_k else getattr(solvers, solver.value)
    layer = perturbed(fn, n_samples=samples, sigma=sigma, noise=noise, seed=seed)
    theta = torch.randn(batch, d, generator=torch.Generator().manual_seed(seed))
    theta.requires_grad_(True)
    layer(theta).sum().backward()  # warm-up
    theta.grad = None
    start = time.perf_counter()
    y = layer(theta)
    (y * torch.linspace(0, 1, d)).sum().backward()
    seconds = time.perf_counter() - start
    out = {
        "solver": solver.value,
        "batch": batch,
        "d": d,
        "n_samples": samples,
        "sigma": sigma,
        "noise": noise,
        "seconds_forward_backward": seconds,
        "grad_norm": float(theta.grad.norm()),
    }
    if solver is SolverName.argmax and noise == "gumbel":
        exact = perturbed(fn, noise="gumbel", sigma=sigma, exact=True)(theta.detach())
        out["max_abs_gap_to_softmax"] = float((y.detach() - exact).abs().max())
    if as_json:
        print_json(out)
        return
    table = Table(title=f"perturbed {solver.value}: B={batch}, d={d}, M={samples}", show_header=False)
    for key, value in out.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    Console().print(table)
