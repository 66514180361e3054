"""``theorylab sdp maxcut PATH_OR_GSET_NAME``: certified MaxCut SDP bound and a rounded cut.

``PATH_OR_GSET_NAME`` is a G-set/rudy text file, or a G-set name (``G11``) looked up in
``$THEORYLAB_GSET_DIR``, ``./shared/data/gset`` and ``../shared/data/gset``. ``--json``
prints :meth:`MaxCutResult.to_dict` (``value`` = SDP value, ``bound`` = certified upper
bound, the cut; the factor ``Y`` is left out). The old spelling ``theorylab maxcut`` still
works, with a deprecation note.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from theorylab.cli._common import json_option, print_json

app = typer.Typer(help="Certified Burer-Monteiro SDPs (MaxCut).", no_args_is_help=True)


def _resolve(graph: str) -> Path:
    path = Path(graph)
    if path.is_file():
        return path
    dirs = [os.environ.get("THEORYLAB_GSET_DIR", "")]
    dirs += [str(Path.cwd() / "shared/data/gset"), str(Path.cwd().parent / "shared/data/gset")]
    for d in dirs:
        if d and (Path(d) / graph).is_file():
            return Path(d) / graph
    raise FileNotFoundError(
        f"{graph!r} is neither a file nor a G-set name found in $THEORYLAB_GSET_DIR, "
        "./shared/data/gset or ../shared/data/gset"
    )


def _rank(rank: str) -> int | str:
    if rank == "auto":
        return rank
    try:
        return int(rank)
    except ValueError:
        raise ValueError(f"rank must be 'auto' or an int >= 1; got {rank!r}") from None


@app.command()
def maxcut(
    graph: str = typer.Argument(..., help="G-set/rudy file, or a G-set name such as G11"),
    rank: str = typer.Option("auto", help="'auto' (Riemannian staircase) or a fixed rank"),
    tol: float = typer.Option(1e-6, help="certified relative gap to reach"),
    method: str = typer.Option("auto", help="auto, mixing or rtr"),
    max_time: float | None = typer.Option(None, "--max-time", help="time limit in seconds"),
    seed: int = typer.Option(0, help="seed of the start point and of the rounding"),
    rounds: int = typer.Option(64, help="random hyperplanes for Goemans–Williamson rounding"),
    as_json: bool = json_option(),
) -> None:
    """Solve the MaxCut SDP with a certified upper bound and round it to a cut (Goemans &
    Williamson 1995; Burer–Monteiro with a dual certificate)."""
    from threadpoolctl import threadpool_limits

    from theorylab.sdp import maxcut as solve
    from theorylab.sdp import read_gset

    fixed_rank = _rank(rank)
    path = _resolve(graph)
    A = read_gset(path)
    with threadpool_limits(1):
        res = solve(
            A,
            rank=fixed_rank,
            tol=tol,
            method=method,
            max_time=max_time,
            seed=seed,
            n_rounds=rounds,
        )
    if as_json:
        return print_json(res)
    t = Table(title=f"MaxCut SDP of {path.name}", show_header=False)
    lo, hi = res.sdp.lambda_interval
    rows = [
        ("vertices / edges", f"{A.shape[0]} / {A.nnz // 2}"),
        ("SDP value <L/4, YY^T>", f"{res.sdp_value:.10g}"),
        ("certified upper bound", f"{res.upper_bound:.10g}"),
        ("gap (relative)", f"{res.gap:.3g} ({res.rel_gap:.2e})"),
        ("certified", "[green]yes[/]" if res.certified else "[red]no[/]"),
        ("lambda_min(S) in", f"[{lo:.3e}, {hi:.3e}]"),
        ("rank (staircase)", f"{res.rank} ({' -> '.join(map(str, res.sdp.ranks))})"),
        ("cut (GW rounding)", f"{res.cut_value:.10g}"),
        ("cut / upper bound", f"{res.cut_value / res.upper_bound:.4f}" if res.upper_bound else "-"),
        ("iterations", str(res.iterations)),
        ("time", f"{res.seconds:.2f} s"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    Console().print(t)
