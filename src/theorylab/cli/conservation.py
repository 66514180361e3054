"""``theorylab conservation laws``: count and print the conservation laws of a built-in model."""

from __future__ import annotations

from enum import Enum

import typer
from rich.console import Console

from theorylab.cli._common import json_option, print_json

app = typer.Typer(
    help="Conservation laws of gradient, momentum and mirror flows.", no_args_is_help=True
)


class ModelName(str, Enum):
    relu = "relu"
    linear2 = "linear2"
    deep_linear = "deep_linear"
    attention = "attention"
    product = "product"


class FlowName(str, Enum):
    gradient = "gradient"
    momentum = "momentum"
    mirror = "mirror"


@app.command()
def laws(
    model: ModelName = typer.Argument(..., help="relu, linear2, deep_linear, attention or product"),
    dims: list[int] | None = typer.Option(
        None, "--dims", help="widths [d_in, h_1, ..., d_out] for relu/deep_linear: --dims 3 4 2"
    ),
    bias: bool = typer.Option(False, "--bias", help="hidden biases (relu)"),
    n: int = typer.Option(2, help="linear2: output size n"),
    r: int = typer.Option(2, help="linear2: inner width r"),
    m: int = typer.Option(2, help="linear2: input size m"),
    d: int = typer.Option(2, help="attention: token dimension d (product: number of factors D)"),
    d_k: int = typer.Option(2, "--d-k", help="attention: key/query dimension"),
    d_v: int = typer.Option(2, "--d-v", help="attention: value dimension"),
    flow: FlowName = typer.Option(FlowName.gradient, help="gradient, momentum or mirror (entropy)"),
    tau: float = typer.Option(0.0, help="momentum: friction tau >= 0"),
    degree: int = typer.Option(
        0, help="degree of the polynomial-law search (0: 2, or 3 for momentum with tau > 0)"
    ),
    exact: bool = typer.Option(False, "--exact", help="exact rational arithmetic for the count"),
    seed: int = typer.Option(0, help="seed of the generic points (fixed, so reruns agree)"),
    as_json: bool = json_option(),
) -> None:
    """Count the conservation laws of a model's flow, print them in closed form, and say
    whether the count is certified (Marcotte, Gribonval, Peyré 2023, 2024)."""
    from theorylab import conservation as C

    if model in (ModelName.relu, ModelName.deep_linear) and not dims:
        raise ValueError(f"--dims is required for {model.value}, e.g. --dims 3 4 2")
    if model is ModelName.relu:
        mdl = C.models.relu(dims, bias=bias)
    elif model is ModelName.deep_linear:
        mdl = C.models.deep_linear(dims)
    elif model is ModelName.linear2:
        mdl = C.models.linear2(n, r, m)
    elif model is ModelName.attention:
        mdl = C.models.attention(d, d_k, d_v)
    else:
        mdl = C.models.product(d)
    if flow is FlowName.momentum:
        fl: str | C.Mirror | C.Momentum = C.Momentum(tau)
    elif flow is FlowName.mirror:
        fl = C.Mirror("entropy")
    else:
        fl = "gradient"
    console = Console(stderr=as_json)
    with console.status("counting laws (Lie-algebra algorithm)"):
        count = C.count_laws(mdl, fl, seed=seed, exact=exact)
    deg = degree or (3 if flow is FlowName.momentum and tau > 0 else 2)
    with console.status(f"polynomial laws of degree <= {deg}"):
        found = C.polynomial_laws(mdl, deg, fl, seed=seed)
    if as_json:
        print_json({"count": count, "degree": deg, "polynomial_laws": [str(f) for f in found]})
        return
    console.print(
        f"[bold]{mdl.name}[/] under [bold]{fl}[/]: state dimension {count.state_dim}, "
        f"Lie-algebra trace dimension {count.lie_dim}"
    )
    console.print(
        f"[bold]{count.number}[/] independent conservation law(s) "
        f"(status: {count.status}; trace rank per round {list(count.history)}; "
        f"{count.seconds:.2f} s)"
    )
    colour = "green" if count.certified else "yellow"
    console.print(
        f"[{colour}]certified: {count.certified}[/] "
        f"(known closed-form laws have rank {count.n_known})"
    )
    console.print(f"{len(found)} independent polynomial law(s) of degree <= {deg}:")
    for law in found:
        console.print(f"  {law}")
    if len(found) < count.number:
        console.print(
            f"[yellow]{count.number - len(found)} law(s) are not polynomial of degree <= {deg}[/]"
        )
