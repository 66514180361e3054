"""The ``theorylab`` command line (typer + rich).

``theorylab <topic> <verb>`` exposes each library (``theorylab conservation laws``,
``theorylab sdp maxcut``, ...; every verb takes ``--json``); ``list``, ``run``,
``reproduce`` and ``report`` drive the studies. Topics are imported only when used, bad
input ends in one ``error:`` line and exit code 2 (``theorylab.cli._common``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from theorylab import __version__
from theorylab.cli._common import TopicGroup

TopicGroup.topics = {
    "conservation": "Conservation laws of gradient, momentum and mirror flows.",
    "ldp": "Locally private frequency estimation (PGR and the oracle zoo).",
    "perturbed": "Differentiable perturbed optimizers and Fenchel-Young losses.",
    "sparsity": "Path-norms and rescaling invariances of ReLU networks.",
    "sdp": "Certified Burer-Monteiro SDPs (MaxCut).",
}
TopicGroup.aliases = {
    "laws": ("conservation", "laws"),
    "pathnorm": ("sparsity", "pathnorm"),
    "maxcut": ("sdp", "maxcut"),
}

app = typer.Typer(
    cls=TopicGroup,
    help="theorylab: recent results in the mathematics of ML, made executable.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

_PRESET_HELP = "quick (under 30 s a study) or full (the paper's protocol)"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"theorylab {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """theorylab: recent results in the mathematics of ML, made executable."""


def _preset(preset: str, quick: bool, full: bool) -> str:
    if quick and full:
        raise ValueError("give at most one of --quick and --full")
    preset = "quick" if quick else "full" if full else preset
    if preset not in ("quick", "full"):
        raise ValueError(f"preset must be 'quick' or 'full'; got {preset!r}")
    return preset


def _check_names(names: list[str]) -> None:
    from theorylab import studies

    unknown = [n for n in names if n not in studies.REGISTRY]
    if unknown:
        raise ValueError(f"unknown study {unknown}; known: {', '.join(studies.names())}")


def _run_and_save(name: str, preset: str, seed: int | None, out: Path):  # type: ignore[no-untyped-def]
    from rich.console import Console

    from theorylab import studies

    console = Console()
    with console.status(f"running [bold]{name}[/] ({preset})"):
        result = studies.run(name, preset=preset, seed=seed)
    folder = result.save(out)
    ok = sum(c.passed for c in result.claims)
    colour = "green" if result.passed else "red"
    console.print(
        f"[{colour}]{name}: {ok}/{len(result.claims)} claims pass[/] "
        f"in {result.seconds:.1f} s -> {folder}"
    )
    for c in result.claims:
        if not c.passed:
            console.print(
                f"  [red]FAIL[/] {c.statement} (measured {c.measured}, expected {c.expected})"
            )
    return result


@app.command("list")
def list_studies() -> None:
    """List the registered studies."""
    from rich.console import Console
    from rich.table import Table

    from theorylab import studies

    table = Table("study", "title", "source")
    for name in studies.names():
        study = studies.load(name)
        table.add_row(name, study.title, study.citation)
    Console().print(table)


@app.command()
def run(
    study: str = typer.Argument(..., help="study name (see `theorylab list`)"),
    preset: str = typer.Option("quick", help=_PRESET_HELP),
    quick: bool = typer.Option(False, "--quick", help="shorthand for --preset quick"),
    full: bool = typer.Option(False, "--full", help="shorthand for --preset full"),
    seed: int | None = typer.Option(None, help="override the preset's seed"),
    out: Path = typer.Option(Path("results"), help="folder for results/<study>/"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address, or 'processes'"),
) -> None:
    """Run one study and save its result under OUT/<study>/; exit 1 if a claim fails."""
    from theorylab._core import parallel

    preset = _preset(preset, quick, full)
    _check_names([study])
    with parallel.using(scheduler):
        result = _run_and_save(study, preset, seed, out)
    raise typer.Exit(0 if result.passed else 1)


@app.command()
def reproduce(
    preset: str = typer.Option("quick", help=_PRESET_HELP),
    quick: bool = typer.Option(False, "--quick", help="shorthand for --preset quick"),
    full: bool = typer.Option(False, "--full", help="shorthand for --preset full"),
    only: list[str] | None = typer.Option(None, "--only", help="run only these studies"),
    seed: int | None = typer.Option(None, help="override every preset's seed"),
    out: Path = typer.Option(Path("results"), help="folder for results/<study>/"),
    report_dir: Path = typer.Option(Path("report"), "--report", help="folder for the report"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address, or 'processes'"),
) -> None:
    """Run the studies, save their results, write the report; exit 1 if a claim fails."""
    from theorylab import studies
    from theorylab._core import parallel
    from theorylab.report import write_report

    preset = _preset(preset, quick, full)
    names = only or studies.names()
    _check_names(names)
    failed = []
    with parallel.using(scheduler):
        for name in names:
            if not _run_and_save(name, preset, seed, out).passed:
                failed.append(name)
    path = write_report(out, report_dir)
    typer.echo(f"report: {path.resolve()} (and {path.with_name('README.md')})")
    if failed:
        typer.echo(f"claims failed in: {', '.join(failed)}")
        raise typer.Exit(1)


@app.command()
def report(
    results: Path = typer.Option(Path("results"), help="folder of saved study results"),
    out: Path = typer.Option(Path("report"), help="folder for index.html and README.md"),
) -> None:
    """Render saved results to OUT/index.html (self-contained) and OUT/README.md."""
    from theorylab.report import write_report

    path = write_report(results, out)
    typer.echo(f"report: {path.resolve()}")


__all__ = ["app"]
