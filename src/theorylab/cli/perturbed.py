"""``theorylab perturbed``: differentiable perturbed optimizers from the command line.

``theorylab perturbed demo --solver ranks --batch 128 --d 100 --n-samples 100`` makes a built-in
solver differentiable (``theorylab.perturbed.perturbed``), times one forward + backward pass of
``<y*_eps(theta), w>`` on random scores (best and median of ``--repeats`` passes) and, for the
Gumbel argmax, prints the gap of the Monte-Carlo forward pass and gradient to the exact
``softmax(theta / sigma)`` (Berthet et al., NeurIPS 2020); ``--control-variate loo`` lowers
that gradient error. ``--json`` prints
``theorylab.perturbed.demo_layer``'s result.
"""

from __future__ import annotations

import typer

from theorylab.cli._common import json_option, print_json

app = typer.Typer(
    help="Differentiable perturbed optimizers and Fenchel-Young losses.", no_args_is_help=True
)


@app.command()
def demo(
    solver: str = typer.Option("argmax", help="argmax, ranks, sort or top_k"),
    batch: int = typer.Option(128, help="batch size B"),
    d: int = typer.Option(100, help="entries per instance"),
    n_samples: int = typer.Option(100, "--n-samples", "--samples", help="noise draws M per pass"),
    sigma: float = typer.Option(1.0, help="noise scale eps (> 0)"),
    noise: str = typer.Option("gumbel", help="normal or gumbel"),
    k: int = typer.Option(5, help="top_k: the k"),
    control_variate: str = typer.Option("none", help="none, loo (leave-one-out) or baseline"),
    repeats: int = typer.Option(5, help="timed passes (after one warm-up pass)"),
    seed: int = typer.Option(0, help="seed of theta and of the noise"),
    as_json: bool = json_option(),
) -> None:
    """Time forward + backward of a perturbed built-in solver on random scores theta ~ N(0, I)
    of shape (B, d), and for the Gumbel argmax compare with the exact softmax(theta / sigma)
    (Berthet et al. 2020)."""
    from rich.console import Console
    from rich.table import Table

    from theorylab.perturbed import demo_layer

    res = demo_layer(
        solver,
        batch=batch,
        d=d,
        n_samples=n_samples,
        sigma=sigma,
        noise=noise,
        k=k,
        control_variate=None if control_variate == "none" else control_variate,
        repeats=repeats,
        seed=seed,
    )
    if as_json:
        return print_json(res)
    table = Table(title="theorylab perturbed demo", show_header=False)
    table.add_row("solver", f"top_k(k={k})" if res.solver == "top_k" else res.solver)
    table.add_row("noise", res.noise + (f" ({res.control_variate})" if res.control_variate else ""))
    table.add_row("B, d, M, sigma", f"{res.batch}, {res.d}, {res.n_samples}, {res.sigma:g}")
    table.add_row(f"forward + backward, best of {res.repeats}", f"{1e3 * res.seconds:.2f} ms")
    table.add_row("median", f"{1e3 * res.seconds_median:.2f} ms")
    if res.max_abs_gap_to_softmax is not None:
        table.add_row("max-abs gap to softmax(theta / sigma)", f"{res.max_abs_gap_to_softmax:.3g}")
        table.add_row("gradient: relative L2 error vs exact", f"{res.rel_error_gradient:.3g}")
    Console().print(table)
