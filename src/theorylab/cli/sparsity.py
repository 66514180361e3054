"""``theorylab pathnorm MODULE_PATH:FACTORY --input-shape 3 32 32 [--q 1 2 4] [--log]``:
path-norms of any ReLU network built by a factory function (Gonon et al., ICLR 2024)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()

PATHNORM_CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def _load(target: str):
    """The object named by ``module.path:name`` or ``file.py:name``."""
    if ":" not in target:
        raise typer.BadParameter(
            f"expected MODULE_PATH:FACTORY (e.g. theorylab.sparsity.zoo:resnet); got {target!r}"
        )
    path, name = target.rsplit(":", 1)
    if path.endswith(".py"):
        file = Path(path)
        if not file.is_file():
            raise typer.BadParameter(f"no such file: {path}")
        spec = importlib.util.spec_from_file_location(file.stem, file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(path)
        except ImportError as exc:
            raise typer.BadParameter(f"cannot import {path!r}: {exc}") from exc
    if not hasattr(module, name):
        raise typer.BadParameter(f"{path!r} has no attribute {name!r}")
    return getattr(module, name)


def _options(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="theorylab pathnorm", add_help=False, exit_on_error=False)
    parser.add_argument("--input-shape", nargs="+", type=int, required=True)
    parser.add_argument("--q", nargs="+", type=float, default=[1.0, 2.0, 4.0])
    try:
        ns, rest = parser.parse_known_args(args)
    except (argparse.ArgumentError, SystemExit) as exc:
        raise typer.BadParameter(
            f"{exc}; use --input-shape C H W (no batch dimension) and --q Q1 Q2 ..."
        ) from None
    if rest:
        raise typer.BadParameter(f"unexpected arguments {rest}")
    return ns


def pathnorm(
    ctx: typer.Context,
    target: str = typer.Argument(
        ..., help="MODULE_PATH:FACTORY (or file.py:FACTORY) returning a torch.nn.Module"
    ),
    log: bool = typer.Option(False, "--log", help="log-domain pass (never overflows)"),
    seed: int = typer.Option(0, help="torch.manual_seed before calling FACTORY"),
) -> None:
    """Lq path-norms of the network built by FACTORY, one forward pass each. Also takes --input-shape C H W (required, no batch dimension) and --q Q1 Q2 ... (default 1 2 4). Unsupported layers are listed by name."""  # noqa: E501
    import torch

    from theorylab.sparsity import neuron_groups, path_norms, unsupported_layers

    try:
        opts = _options(list(ctx.args))
    except typer.BadParameter as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    torch.manual_seed(seed)
    try:
        factory = _load(target)
        model = (
            factory() if callable(factory) and not isinstance(factory, torch.nn.Module) else factory
        )
    except typer.BadParameter as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    if not isinstance(model, torch.nn.Module):
        console.print(f"[red]error:[/] {target} did not give a torch.nn.Module")
        raise typer.Exit(2)
    model.eval()
    problems = unsupported_layers(model)
    if problems:
        console.print(f"[red]unsupported layers in {type(model).__name__}:[/]")
        for p in problems:
            console.print(f"  - {p}")
        raise typer.Exit(2)
    n_params = sum(p.numel() for p in model.parameters())
    groups = neuron_groups(model)
    console.print(
        f"[bold]{type(model).__name__}[/]: {n_params:,} parameters, "
        f"{sum(g.size for g in groups):,} rescalable neurons in {len(groups)} layers, "
        f"input shape {tuple(opts.input_shape)}"
    )
    table = Table("q", "path-norm", "log path-norm", "seconds")
    for q in opts.q:
        start = time.perf_counter()
        try:
            if log:
                value_log = path_norms(model, opts.input_shape, [q], log=True)[0]
                value = math.exp(value_log) if value_log < 709 else math.inf
            else:
                value = path_norms(model, opts.input_shape, [q])[0]
                value_log = math.log(value) if value > 0 else -math.inf
        except (ValueError, TypeError) as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from exc
        shown = f"{value:.6g}" if math.isfinite(value) else "overflow (see log)"
        table.add_row(f"{q:g}", shown, f"{value_log:.6f}", f"{time.perf_counter() - start:.3f}")
    console.print(table)
