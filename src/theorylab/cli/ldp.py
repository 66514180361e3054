"""``theorylab ldp``: locally private frequency estimation from the command line.

``theorylab ldp simulate --oracle pgr --k 1000000 --n 100000000 --epsilon 4`` runs a whole
simulation (Zipf data, client randomisation, aggregation, estimation) in chunks of bounded
memory, locally or on a Dask cluster (``--scheduler tcp://host:8786``), and prints the
communication, client and server throughput, the MSE and the analytic variance.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from theorylab.cli._common import json_option, print_json

app = typer.Typer(
    help="Locally private frequency estimation (PGR and the oracle zoo).", no_args_is_help=True
)


def _run_chunks(spec: dict[str, Any], chunk_ids: list[int]) -> tuple[Any, np.ndarray, float, float]:
    """Generate, randomise and aggregate the given chunks; returns (aggregate, true counts,
    client seconds, aggregation seconds). Module-level so Dask can ship it."""
    import theorylab.ldp as L

    oracle = L.make(spec["oracle"], spec["k"], spec["epsilon"], **spec["opts"])
    cdf = np.cumsum(L.zipf_frequencies(spec["k"], spec["zipf"]))
    agg = None
    true = np.zeros(spec["k"], dtype=np.int64)
    t_client = t_agg = 0.0
    oracle.privatize(np.zeros(1, dtype=np.int64), seed=0)  # compile/load kernels before timing
    for cid in chunk_ids:
        size = min(spec["chunk"], spec["n"] - cid * spec["chunk"])
        rng = np.random.default_rng([spec["seed"], cid])
        items = np.minimum(np.searchsorted(cdf, rng.random(size)), spec["k"] - 1)
        true += np.bincount(items, minlength=spec["k"])
        t0 = time.perf_counter()
        reports = oracle.privatize(items, seed=rng)
        t1 = time.perf_counter()
        part = oracle.aggregate(reports)
        t_agg += time.perf_counter() - t1
        t_client += t1 - t0
        agg = part if agg is None else agg + part
    return agg, true, t_client, t_agg


@app.command()
def simulate(
    oracle: str = typer.Option("pgr", help="grr, sue, oue, olh, hr, rhr, ss, rappor, pgr, hpgr"),
    k: int = typer.Option(1024, help="number of items"),
    n: int = typer.Option(100_000, help="number of users"),
    epsilon: float = typer.Option(4.0, help="privacy parameter"),
    zipf: float = typer.Option(1.1, help="Zipf exponent of the simulated item distribution"),
    chunk: int = typer.Option(1_000_000, help="users per chunk (bounds memory)"),
    seed: int = typer.Option(0, help="seed of the data and of the randomisers"),
    q: str = typer.Option("auto", help="PGR field size (auto or a prime power)"),
    q_prime: int = typer.Option(5, help="HPGR small field size"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address (tcp://host:port)"),
    as_json: bool = json_option(),
) -> None:
    """Simulate n users through an oracle, chunk by chunk, and report accuracy and speed
    (the Zipf workload of Feldman, Nelson, Nguyen, Talwar 2022)."""
    import theorylab.ldp as L
    from theorylab._core.validation import check_int

    console = Console(stderr=as_json)
    opts: dict[str, Any] = {}
    if oracle.lower() == "pgr":
        if q != "auto" and not q.isdigit():
            raise ValueError(f"q must be 'auto' or a prime power; got {q!r}")
        opts["q"] = q if q == "auto" else int(q)
    if oracle.lower() == "hpgr":
        opts["q_prime"] = q_prime
    o = L.make(oracle, k, epsilon, **opts)
    n = check_int(n, "n", min_value=1)
    chunk = check_int(chunk, "chunk", min_value=1)
    seed = check_int(seed, "seed", min_value=0)
    spec = {
        "oracle": oracle,
        "k": k,
        "epsilon": epsilon,
        "opts": opts,
        "zipf": zipf,
        "chunk": chunk,
        "seed": seed,
        "n": n,
    }
    n_chunks = -(-n // chunk)
    console.print(f"{o!r}: {o.bits} bits per report, {n:,} users in {n_chunks} chunks")
    wall0 = time.perf_counter()
    agg, true, t_client, t_agg = None, np.zeros(k, dtype=np.int64), 0.0, 0.0
    if scheduler is None:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("simulating", total=n_chunks)
            for cid in range(n_chunks):
                part, tr, tc, ta = _run_chunks(spec, [cid])
                agg = part if agg is None else agg + part
                true += tr
                t_client += tc
                t_agg += ta
                bar.advance(task)
    else:
        from theorylab._core import parallel

        # at most 64 tasks of >= 4 chunks each: every task ships back one aggregate
        n_tasks = max(1, min(64, n_chunks // 4))
        groups = [list(range(i, n_chunks, n_tasks)) for i in range(n_tasks)]
        for part, tr, tc, ta in parallel.map(
            lambda ids: _run_chunks(spec, ids), groups, scheduler=scheduler, label="simulating"
        ):
            agg = part if agg is None else agg + part
            true += tr
            t_client += tc
            t_agg += ta
    t0 = time.perf_counter()
    est = o.estimate(agg)
    t_est = time.perf_counter() - t0
    wall = time.perf_counter() - wall0
    f = true / n
    mse = float(np.mean((est - f) ** 2))
    var = float(o.variance(n, f).mean())
    if as_json:
        print_json(
            {
                "oracle": repr(o),
                "k": k,
                "n": n,
                "epsilon": epsilon,
                "bits": o.bits,
                "achieved_epsilon": o.achieved_epsilon,
                "client_reports_per_s": n / max(t_client, 1e-9),
                "aggregation_reports_per_s": n / max(t_agg, 1e-9),
                "estimate_seconds": t_est,
                "mse": mse,
                "analytic_variance": var,
                "wall_seconds": wall,
            }
        )
        return
    table = Table(title=f"theorylab ldp simulate: {o!r}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("bits per report", str(o.bits))
    table.add_row("achieved epsilon", f"{o.achieved_epsilon:.17g}")
    table.add_row("client throughput (per process)", f"{n / max(t_client, 1e-9):,.0f} reports/s")
    table.add_row("aggregation throughput", f"{n / max(t_agg, 1e-9):,.0f} reports/s")
    table.add_row("server estimate time", f"{t_est:.3f} s")
    table.add_row("MSE (frequencies)", f"{mse:.4e}")
    table.add_row("analytic variance (mean)", f"{var:.4e}")
    table.add_row("MSE / analytic", f"{mse / var:.3f}")
    table.add_row("wall time", f"{wall:.1f} s")
    console.print(table)


__all__ = ["app", "simulate"]
