"""Benchmark: theorylab.perturbed against PyEPO 2.2.7's perturbed optimizers (DPO / PFY) on the
workloads below, in one process, torch single-threaded.

- A: perturbed argmax (one-hot), forward + backward of <y_eps(theta), w>; B = 128, d = 100,
  M = 100, sigma = 1, normal noise, leave-one-out control variate (PyEPO's default).
- B: the same for perturbed ranks (permutohedron).
- C: one Fenchel-Young training step (linear model, 32 features -> 100 scores, Adam) with the
  argmax and the ranks oracles; B = 128, M = 100.
- D: one Fenchel-Young training step on 12x12 shortest paths, B = 32, M = 10 (linear model,
  5 features -> costs, multiplicative noise so that costs stay positive; PFYMul in PyEPO):
  D1 Warcraft-style 8-neighbour vertex-cost grid; D2 PyEPO's grid DAG (264 right/down arcs).

PyEPO calls an ``optModel`` once per perturbed instance. Gurobi and OR-Tools are not installed
here, so its models are small ``optModel`` subclasses: NumPy argmax and ranks; for shortest
paths either a per-instance SciPy Dijkstra (the fastest per-instance solver) or a per-instance
HiGHS LP (``scipy.optimize.linprog``; the LP route PyEPO uses, in place of
OR-Tools GLOP). Times are min wall over repeats (the machine is shared). Writes
``benchmarks/results/perturbed.json``.

Run: ``.venv/bin/python benchmarks/perturbed.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.optimize
import scipy.sparse as sp
import torch
from rich.console import Console
from rich.table import Table
from scipy.sparse.csgraph import dijkstra

from theorylab.perturbed import FenchelYoungLoss, perturbed, solvers

console = Console()
B, D, M = 128, 100, 100
GRID, GB, GM = 12, 32, 10


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times))


# ------------------------------------------------------------------------------ PyEPO models
def pyepo_models() -> dict[str, Any]:
    from pyepo import EPO
    from pyepo.model.opt import optModel

    class ArgmaxModel(optModel):
        def __init__(self, d: int) -> None:
            self.d = d
            super().__init__()
            self.modelSense = EPO.MAXIMIZE

        def _getModel(self) -> tuple[Any, list[int]]:
            return None, list(range(self.d))

        def setObj(self, c: Any) -> None:
            self.c = np.asarray(c)

        def solve(self) -> tuple[np.ndarray, float]:
            y = np.zeros(self.d)
            i = int(np.argmax(self.c))
            y[i] = 1.0
            return y, float(self.c[i])

    class RanksModel(ArgmaxModel):
        def solve(self) -> tuple[np.ndarray, float]:
            y = np.empty(self.d)
            y[np.argsort(self.c)] = np.arange(1, self.d + 1)
            return y, float(self.c @ y)

    class GridDijkstraModel(optModel):
        """8-neighbour vertex-cost grid, one SciPy Dijkstra per instance (minimise)."""

        def __init__(self, h: int) -> None:
            self.h = h
            super().__init__()
            self.modelSense = EPO.MINIMIZE
            src, dst = solvers.GridShortestPath._grid_edges(h, h)
            self.src, self.dst = src, dst

        def _getModel(self) -> tuple[Any, list[int]]:
            return None, list(range(self.h * self.h))

        def setObj(self, c: Any) -> None:
            self.c = np.asarray(c, dtype=np.float64)

        def solve(self) -> tuple[np.ndarray, float]:
            n = self.h * self.h
            g = sp.csr_matrix((self.c[self.dst], (self.src, self.dst)), shape=(n, n))
            _, pred = dijkstra(g, indices=0, return_predecessors=True)
            y = np.zeros(n)
            v = n - 1
            while v >= 0:
                y[v] = 1.0
                v = pred[v]
            return y, float(self.c @ y)

    class GridLPModel(GridDijkstraModel):
        """The same problem as a min-cost-flow LP over the grid's arcs (HiGHS per instance)."""

        def __init__(self, h: int) -> None:
            super().__init__(h)
            n, e = h * h, len(self.src)
            inc = np.zeros((n, e))
            inc[self.src, np.arange(e)] = 1.0  # out-flow
            inc[self.dst, np.arange(e)] -= 1.0  # in-flow
            self.A_eq = sp.csr_matrix(inc)
            self.b_eq = np.zeros(n)
            self.b_eq[0], self.b_eq[n - 1] = 1.0, -1.0

        def solve(self) -> tuple[np.ndarray, float]:
            res = scipy.optimize.linprog(
                self.c[self.dst], A_eq=self.A_eq, b_eq=self.b_eq, bounds=(0, 1), method="highs"
            )
            y = np.zeros(self.h * self.h)
            np.add.at(y, self.dst, res.x)
            y[0] = 1.0
            return y, float(self.c @ y)

    class DagLPModel(optModel):
        """PyEPO's 12x12 grid DAG (right/down arcs, arc costs) as an LP (HiGHS per instance)."""

        def __init__(self, edges: np.ndarray, n: int) -> None:
            self.edges, self.n = edges, n
            super().__init__()
            self.modelSense = EPO.MINIMIZE
            e = len(edges)
            inc = np.zeros((n, e))
            inc[edges[:, 0], np.arange(e)] = 1.0
            inc[edges[:, 1], np.arange(e)] -= 1.0
            self.A_eq = sp.csr_matrix(inc)
            self.b_eq = np.zeros(n)
            self.b_eq[0], self.b_eq[n - 1] = 1.0, -1.0

        def _getModel(self) -> tuple[Any, list[int]]:
            return None, list(range(len(self.edges)))

        def setObj(self, c: Any) -> None:
            self.c = np.asarray(c, dtype=np.float64)

        def solve(self) -> tuple[np.ndarray, float]:
            res = scipy.optimize.linprog(
                self.c, A_eq=self.A_eq, b_eq=self.b_eq, bounds=(0, 1), method="highs"
            )
            return res.x, float(res.fun)

    return {
        "argmax": ArgmaxModel,
        "ranks": RanksModel,
        "grid_dijkstra": GridDijkstraModel,
        "grid_lp": GridLPModel,
        "dag_lp": DagLPModel,
    }


def dag_edges(h: int) -> np.ndarray:
    """PyEPO's grid DAG: right and down arcs of an h x h node grid (2 h (h - 1) arcs)."""
    edges = []
    for r in range(h):
        for c in range(h):
            v = r * h + c
            if c + 1 < h:
                edges.append((v, v + 1))
            if r + 1 < h:
                edges.append((v, v + h))
    return np.array(edges)


# ------------------------------------------------------------------------------ workloads
def layer_workload(ours: Any, peer: Any, theta: torch.Tensor, w: torch.Tensor) -> dict[str, Any]:
    def step(layer: Any) -> Callable[[], None]:
        def run() -> None:
            th = theta.clone().requires_grad_()
            (layer(th) * w).sum().backward()

        return run

    return {"ours": step(ours), "peer": step(peer) if peer is not None else None}


def fy_workload(
    ours_loss: Any, peer_loss: Any, p: int, y: torch.Tensor, event_dims: int, positive: bool
) -> dict[str, Any]:
    """A training step: linear model (p features -> the scores of y's instances) -> FY loss ->
    backward -> Adam. Ours gets theta in y's shape; PyEPO gets flat cost vectors."""
    n = y.shape[0]
    d_out = int(np.prod(y.shape[1:]))
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(n, p, generator=gen)

    def make(loss: Any, y: torch.Tensor) -> Callable[[], None]:
        model = torch.nn.Linear(p, d_out)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def run() -> None:
            out = model(x)
            theta = torch.nn.functional.softplus(out) + 0.1 if positive else out
            opt.zero_grad()
            loss(theta.reshape(y.shape), y).backward()
            opt.step()

        return run

    flat = y.reshape(n, d_out)
    return {
        "ours": make(ours_loss, y),
        "peer": make(peer_loss, flat) if peer_loss is not None else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--no-peer", action="store_true", help="skip PyEPO")
    args = ap.parse_args()
    torch.set_num_threads(1)
    reps, peer_reps = (5, 2) if args.quick else (20, 5)
    try:
        if args.no_peer:
            raise ImportError("--no-peer")
        import pyepo
        from pyepo.func import perturbedFenchelYoung, perturbedFenchelYoungMul, perturbedOpt

        models = pyepo_models()
        peer_version = getattr(pyepo, "__version__", "?")
    except ImportError as exc:
        console.print(f"[yellow]PyEPO not available ({exc}); timing theorylab only[/]")
        models, peer_version = None, None

    gen = torch.Generator().manual_seed(0)
    theta = torch.randn(B, D, generator=gen)
    w = torch.randn(B, D, generator=gen)
    cases: dict[str, dict[str, Any]] = {}
    for name, solver in (("argmax", solvers.argmax), ("ranks", solvers.ranks)):
        ours = perturbed(solver, n_samples=M, sigma=1.0, control_variate="loo", seed=0)
        peer = (
            perturbedOpt(models[name](D), n_samples=M, sigma=1.0, processes=1, seed=0)
            if models
            else None
        )
        cases[f"A/B {name}: layer fwd+bwd (B=128, d=100, M=100)"] = layer_workload(
            ours, peer, theta, w
        )
    exact = perturbed(solvers.argmax, noise="gumbel", exact=True)
    cases["A argmax: exact Gumbel path softmax(theta/sigma)"] = layer_workload(
        exact, None, theta, w
    )
    for name, solver in (("argmax", solvers.argmax), ("ranks", solvers.ranks)):
        y = solver(torch.randn(B, D, generator=gen))
        ours = FenchelYoungLoss(solver, n_samples=M, sigma=1.0, seed=0)
        peer = (
            perturbedFenchelYoung(models[name](D), n_samples=M, sigma=1.0, processes=1, seed=0)
            if models
            else None
        )
        cases[f"C {name}: FY training step (B=128, d=100, M=100, p=32)"] = fy_workload(
            ours, peer, 32, y, 1, positive=False
        )
    # D1: Warcraft-style vertex-cost grid
    y_grid = solvers.shortest_path_grid(torch.rand(GB, GRID, GRID, generator=gen) + 0.1)
    ours_grid = FenchelYoungLoss(
        solvers.shortest_path_grid,
        maximize=False,
        n_samples=GM,
        sigma=1.0,
        mode="multiplicative",
        seed=0,
    )
    for label, key in (("per-instance Dijkstra", "grid_dijkstra"), ("per-instance LP", "grid_lp")):
        peer = (
            perturbedFenchelYoungMul(models[key](GRID), n_samples=GM, sigma=1.0, seed=0)
            if models
            else None
        )
        cases[f"D1 12x12 8-neighbour grid FY step (B=32, M=10), PyEPO {label}"] = fy_workload(
            ours_grid, peer, 5, y_grid, 2, positive=True
        )
        if peer is None:
            break
    edges = dag_edges(GRID)
    dag = solvers.shortest_path(edges, 0, GRID * GRID - 1)
    y_dag = dag(torch.rand(GB, len(edges), generator=gen) + 0.1)
    ours_dag = FenchelYoungLoss(
        dag, maximize=False, n_samples=GM, sigma=1.0, mode="multiplicative", seed=0
    )
    peer_dag = (
        perturbedFenchelYoungMul(
            models["dag_lp"](edges, GRID * GRID), n_samples=GM, sigma=1.0, seed=0
        )
        if models
        else None
    )
    cases["D2 12x12 grid DAG (264 arcs) FY step (B=32, M=10), PyEPO per-instance LP"] = fy_workload(
        ours_dag, peer_dag, 5, y_dag, 1, positive=True
    )

    table = Table("workload", "theorylab (ms)", "PyEPO (ms)", "ratio")
    results: dict[str, Any] = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pyepo": peer_version,
        "torch_threads": 1,
        "cases": {},
    }
    for name, case in cases.items():
        ours_min, ours_med = best_time(case["ours"], reps)
        row: dict[str, Any] = {"ours_min_ms": 1e3 * ours_min, "ours_median_ms": 1e3 * ours_med}
        if case["peer"] is not None:
            peer_min, peer_med = best_time(case["peer"], peer_reps)
            row.update(
                peer_min_ms=1e3 * peer_min, peer_median_ms=1e3 * peer_med, ratio=peer_min / ours_min
            )
        results["cases"][name] = row
        table.add_row(
            name,
            f"{row['ours_min_ms']:.2f}",
            f"{row['peer_min_ms']:.1f}" if "peer_min_ms" in row else "-",
            f"{row['ratio']:.1f}x" if "ratio" in row else "-",
        )
        console.print(f"{name}: {row}")
    # grid solver methods (the issue asks which is faster)
    methods = Table("grid solver (12x12)", "instances", "bellman-ford (ms)", "dijkstra (ms)")
    results["grid_methods"] = {}
    for n in (GB * GM, B * M):
        costs = torch.rand(n, GRID, GRID, generator=gen) + 0.05
        bf = best_time(lambda c=costs: solvers.GridShortestPath("bellman-ford")(c), reps)[0]
        dj = best_time(lambda c=costs: solvers.GridShortestPath("dijkstra")(c), reps)[0]
        results["grid_methods"][n] = {"bellman_ford_ms": 1e3 * bf, "dijkstra_ms": 1e3 * dj}
        methods.add_row("8-neighbour, vertex costs", str(n), f"{1e3 * bf:.2f}", f"{1e3 * dj:.2f}")
    console.print(table)
    console.print(methods)
    out = Path(__file__).parent / "results" / "perturbed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
