"""The ``theorylab`` command line (typer + rich).

``list``, ``run``, ``reproduce`` and ``report`` drive the studies; topic commands
(``laws``, ``ldp ...``, ``pathnorm``, ``maxcut``) expose the libraries. ``--help`` works on
every command.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from theorylab import studies
from theorylab._core import parallel
from theorylab.cli import conservation, ldp, sdp, sparsity

app = typer.Typer(
    help="theorylab: recent results in the mathematics of ML, made executable.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()

app.command("laws", context_settings=conservation.LAWS_CONTEXT)(conservation.laws)
app.add_typer(ldp.app, name="ldp")
app.command("pathnorm", context_settings=sparsity.PATHNORM_CONTEXT)(sparsity.pathnorm)
app.command("maxcut")(sdp.maxcut)


@app.command("list")
def list_studies() -> None:
    """List the registered studies."""
    table = Table("study", "title", "source")
    for name in studies.names():
        mod = studies.load(name)
        table.add_row(name, getattr(mod, "TITLE", ""), getattr(mod, "CITATION", ""))
    console.print(table)


def _run_and_save(name: str, preset: str, seed: int | None, out: Path) -> studies.StudyResult:
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


def _check_names(names: list[str]) -> None:
    unknown = [n for n in names if n not in studies.REGISTRY]
    if unknown:
        raise typer.BadParameter(f"unknown study {unknown}; known: {', '.join(studies.names())}")


@app.command()
def run(
    study: str = typer.Argument(..., help="study name (see `theorylab list`)"),
    full: bool = typer.Option(False, "--full", help="run the full preset (the paper's figure)"),
    seed: int | None = typer.Option(None, help="override the preset's seed"),
    out: Path = typer.Option(Path("results"), help="folder for results/<study>/"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address, or 'processes'"),
) -> None:
    """Run one study and save its result under OUT/<study>/."""
    _check_names([study])
    with parallel.using(scheduler):
        result = _run_and_save(study, "full" if full else "quick", seed, out)
    raise typer.Exit(0 if result.passed else 1)


@app.command()
def reproduce(
    quick: bool = typer.Option(True, "--quick/--full", help="quick preset (default) or full"),
    only: list[str] | None = typer.Option(None, "--only", help="run only these studies"),
    seed: int | None = typer.Option(None, help="override every preset's seed"),
    out: Path = typer.Option(Path("results"), help="folder for results/<study>/"),
    report_dir: Path = typer.Option(Path("report"), "--report", help="folder for the report"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address, or 'processes'"),
) -> None:
    """Run the studies, save their results, write the report; exit 1 if a claim fails."""
    names = only or studies.names()
    _check_names(names)
    preset = "quick" if quick else "full"
    failed = []
    with parallel.using(scheduler):
        for name in names:
            if not _run_and_save(name, preset, seed, out).passed:
                failed.append(name)
    from theorylab.report import write_report

    path = write_report(out, report_dir)
    console.print(f"report: [bold]{path.resolve()}[/] (and {path.with_name('README.md')})")
    if failed:
        console.print(f"[red]claims failed in: {', '.join(failed)}[/]")
        raise typer.Exit(1)


@app.command()
def report(
    results: Path = typer.Option(Path("results"), help="folder of saved study results"),
    out: Path = typer.Option(Path("report"), help="folder for index.html and README.md"),
) -> None:
    """Render saved results to OUT/index.html (self-contained) and OUT/README.md."""
    from theorylab.report import write_report

    try:
        path = write_report(results, out)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"report: [bold]{path.resolve()}[/]")


def main() -> None:  # pragma: no cover - console entry point
    app()
