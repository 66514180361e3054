"""``theorylab sparsity pathnorm MODULE_PATH:FACTORY --input-shape 3 32 32 [--q 1 2 4] [--log]``:
path-norms of any ReLU network built by a factory function (Gonon et al., ICLR 2024)."""

from __future__ import annotations

import math
import time

import typer
from rich.console import Console
from rich.table import Table

from theorylab.cli._common import json_option, load_factory, print_json

app = typer.Typer(help="Path-norms and rescaling invariances of ReLU networks.", no_args_is_help=True)


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
    from theorylab.sparsity import neuron_groups, path_norms, unsupported_layers

    for i, s in enumerate(input_shape):
        if s < 1:
            raise ValueError(f"input_shape[{i}] must be >= 1; got {s}")
    torch.manual_seed(seed)
    factory = load_factory(target)
    model = factory() if callable(factory) and not isinstance(factory, torch.nn.Module) else factory
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{target} did not give a torch.nn.Module")
    model.eval()
    problems = unsupported_layers(model)
    if problems:
        raise UnsupportedLayerError(problems, what=type(model).__name__)
    n_params = sum(p.numel() for p in model.parameters())
    groups = neuron_groups(model)
    rows = []
    for qi in q:
        start = time.perf_counter()
        if log:
            value_log = path_norms(model, input_shape, [qi], log=True)[0]
            value = math.exp(value_log) if value_log < 709 else math.inf
        else:
            value = path_norms(model, input_shape, [qi])[0]
            value_log = math.log(value) if value > 0 else -math.inf
        rows.append((qi, value, value_log, time.perf_counter() - start))
    if as_json:
        print_json(
            {
                "model": type(model).__name__,
                "parameters": n_params,
                "input_shape": input_shape,
                "path_norms": [{"q": a, "value": b, "log": c, "seconds": d} for a, b, c, d in rows],
            }
        )
        return
    console = Console()
    console.print(
        f"[bold]{type(model).__name__}[/]: {n_params:,} parameters, "
        f"{sum(g.size for g in groups):,} rescalable neurons in {len(groups)} layers, "
        f"input shape {tuple(input_shape)}"
    )
    table = Table("q", "path-norm", "log path-norm", "seconds")
    for qi, value, value_log, secs in rows:
        shown = f"{value:.6g}" if math.isfinite(value) else "overflow (see log)"
        table.add_row(f"{qi:g}", shown, f"{value_log:.6f}", f"{secs:.3f}")
    console.print(table)
