"""``theorylab sparsity pathnorm MODULE_PATH:FACTORY --input-shape 3 32 32 [--q 1 2 4] [--log]
[--json]``: path-norms of any ReLU network built by a factory function (Gonon et al., ICLR 2024).
"""

from __future__ import annotations

import math
import time

import typer

from theorylab.cli._common import json_option, load_factory, print_json

app = typer.Typer(
    help="Path-norms and rescaling invariances of ReLU networks.", no_args_is_help=True
)


@app.command()
def pathnorm(
    target: str = typer.Argument(
        ..., help="MODULE_PATH:FACTORY (or file.py:FACTORY) returning a torch.nn.Module"
    ),
    input_shape: list[int] = typer.Option(
        ..., "--input-shape", help="input shape without the batch dimension: --input-shape 3 32 32"
    ),
    q: list[float] = typer.Option([1.0, 2.0, 4.0], "--q", help="exponents: --q 1 2 4"),
    log: bool = typer.Option(False, "--log", help="log-domain pass (never overflows)"),
    seed: int = typer.Option(0, help="torch.manual_seed before calling FACTORY"),
    as_json: bool = json_option(),
) -> None:
    """Lq path-norms of the network built by FACTORY, one forward pass each (Gonon et al.,
    ICLR 2024). Unsupported layers are listed by name."""
    import torch

    from theorylab.errors import UnsupportedLayerError
    from theorylab.sparsity import neuron_groups, path_norms
    from theorylab.sparsity.pathnorm import check_input_shape, check_q

    shape = check_input_shape(input_shape)
    qs = [check_q(qi) for qi in q]
    torch.manual_seed(seed)
    factory = load_factory(target)
    model = factory() if callable(factory) and not isinstance(factory, torch.nn.Module) else factory
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{target} did not give a torch.nn.Module")
    model.eval()
    name = type(model).__name__
    try:
        groups = neuron_groups(model)  # traces the model: every unsupported layer, by name
    except UnsupportedLayerError as exc:
        raise UnsupportedLayerError(exc.problems, exc.supported, what=name) from exc
    n_params = sum(p.numel() for p in model.parameters())
    rows = []
    for qi in qs:
        start = time.perf_counter()
        if log:
            value_log = path_norms(model, shape, [qi], log=True)[0]
            value = math.exp(value_log) if value_log < 709 else math.inf
        else:
            value = path_norms(model, shape, [qi])[0]
            value_log = math.log(value) if value > 0 else -math.inf
        rows.append((qi, value, value_log, time.perf_counter() - start))
    if as_json:
        return print_json(
            {
                "model": name,
                "parameters": n_params,
                "rescalable_neurons": sum(g.size for g in groups),
                "rescalable_layers": len(groups),
                "input_shape": list(shape),
                "path_norms": [{"q": a, "value": b, "log": c, "seconds": d} for a, b, c, d in rows],
            }
        )
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{name}[/]: {n_params:,} parameters, "
        f"{sum(g.size for g in groups):,} rescalable neurons in {len(groups)} layers, "
        f"input shape {shape}"
    )
    table = Table("q", "path-norm", "log path-norm", "seconds")
    for qi, value, value_log, secs in rows:
        shown = f"{value:.6g}" if math.isfinite(value) else "overflow (see log)"
        table.add_row(f"{qi:g}", shown, f"{value_log:.6f}", f"{secs:.3f}")
    console.print(table)
