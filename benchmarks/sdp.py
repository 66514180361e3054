"""Benchmark: theorylab.sdp (MaxCut SDP to a certified relative gap <= 1e-6) against
pymanopt trust regions on the oblique manifold (numpy backend, hand-written Euclidean
gradient and Hessian, rank p_BVB as in Boumal's maxcut_manopt.m) and cvxpy + SCS (the
convex route), with mixing-method timings from an earlier run (Wang, Chang, Kolter 2017,
numba port; no maintained Python package exists) printed alongside.

Graphs: Erdős–Rényi of average degree 20 with n = 200, 1000, 2000 and the G-set graphs
found in ``../shared/data/gset`` (from the repository root; skipped if absent). Every
solver's output goes through the same rigorous certificate (``theorylab.sdp.certificate``;
SCS's X is first projected onto the feasible set), and the time to a certified result
includes that certificate. BLAS runs on one thread (multithreaded BLAS slows the small
products of the Riemannian solvers down).
Peers get time limits (``--peer-time``) so that the run finishes.

Run: ``.venv/bin/python benchmarks/sdp.py [--quick] [--peer-time 60] [--only G11 G43]``.
Writes ``benchmarks/results/sdp.json``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from theorylab.sdp import certificate, erdos_renyi, maxcut, rank_threshold, read_gset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GSET = ROOT.parent / "shared" / "data" / "gset"
GSET_NAMES = ("G1", "G2", "G3", "G11", "G14", "G22", "G43", "G48", "G55", "G70", "G81")
# an earlier run (2-core machine, one BLAS thread): locus-lab mixing method in numba,
# eps = 1e-6 (certified gaps 1.5e-7 ... 3.9e-7)
EARLIER_MIXING = {200: 0.017, 1000: 0.29, 2000: 1.15}
console = Console(width=170)


def certified_max_form(A: sp.csr_matrix, Y: np.ndarray) -> tuple[float, float, float]:
    """(value, certified upper bound, relative gap) of a factor Y for max <L/4, X>."""
    total = float(A.sum())
    cert = certificate(A, Y, target_gap=1e-8 * abs(total) + 1e-12, seed=0)
    value = (total - cert.value) / 4
    upper = (total - cert.bound) / 4
    return value, upper, (upper - value) / abs(value) if value else 0.0


def run_ours(A: sp.csr_matrix, seed: int, repeats: int, max_time: float) -> dict[str, Any]:
    best: dict[str, Any] | None = None
    for r in range(repeats):
        t0 = time.perf_counter()
        res = maxcut(A, tol=1e-6, seed=seed + r, max_time=max_time)
        dt = time.perf_counter() - t0
        if best is None or dt < best["seconds"]:
            best = {
                "seconds": dt,
                "value": res.sdp_value,
                "upper": res.upper_bound,
                "rel_gap": res.rel_gap,
                "certified": res.certified,
                "rank": res.rank,
                "ranks": list(res.sdp.ranks),
                "cut": res.cut_value,
                "memory_Y_MB": res.Y.nbytes / 2**20,
            }
    assert best is not None
    return best


def run_pymanopt(A: sp.csr_matrix, seed: int, max_time: float) -> dict[str, Any]:
    import pymanopt
    from pymanopt.manifolds import Oblique
    from pymanopt.optimizers import TrustRegions

    n = A.shape[0]
    p = rank_threshold(n)
    manifold = Oblique(p, n)  # unit-norm columns: the point is Y^T

    @pymanopt.function.numpy(manifold)
    def cost(Yt: np.ndarray) -> float:
        return float(np.sum((A @ Yt.T) * Yt.T))

    @pymanopt.function.numpy(manifold)
    def egrad(Yt: np.ndarray) -> np.ndarray:
        return 2.0 * (A @ Yt.T).T

    @pymanopt.function.numpy(manifold)
    def ehess(Yt: np.ndarray, Ut: np.ndarray) -> np.ndarray:
        return 2.0 * (A @ Ut.T).T

    problem = pymanopt.Problem(manifold, cost, euclidean_gradient=egrad, euclidean_hessian=ehess)
    rng = np.random.default_rng(seed)
    Y0 = rng.standard_normal((n, p))
    Y0 /= np.linalg.norm(Y0, axis=1, keepdims=True)
    opt = TrustRegions(max_time=max_time, verbosity=0)
    t0 = time.perf_counter()
    res = opt.run(problem, initial_point=Y0.T)
    value, upper, gap = certified_max_form(A, np.asarray(res.point).T)
    dt = time.perf_counter() - t0
    return {
        "seconds": dt,
        "value": value,
        "upper": upper,
        "rel_gap": gap,
        "certified": gap <= 1e-6,
        "rank": p,
        "stop": str(res.stopping_criterion)[:60],
    }


def run_scs(A: sp.csr_matrix, max_time: float) -> dict[str, Any]:
    import cvxpy as cp

    n = A.shape[0]
    L = sp.diags(np.asarray(A.sum(axis=1)).ravel()) - A
    t0 = time.perf_counter()
    X = cp.Variable((n, n), PSD=True)
    prob = cp.Problem(cp.Maximize(cp.trace(L @ X) / 4), [cp.diag(X) == 1])
    try:
        prob.solve(solver=cp.SCS, time_limit_secs=max_time)
    except cp.error.SolverError as exc:
        return {"seconds": time.perf_counter() - t0, "error": str(exc)[:80], "certified": False}
    Xv = np.asarray(X.value)
    w, V = np.linalg.eigh((Xv + Xv.T) / 2)  # project onto the feasible set
    Y = V[:, w > 0] * np.sqrt(w[w > 0])
    value, upper, gap = certified_max_form(A, Y)
    return {
        "seconds": time.perf_counter() - t0,
        "value": value,
        "upper": upper,
        "rel_gap": gap,
        "certified": gap <= 1e-6,
        "status": prob.status,
    }


def graphs(quick: bool, only: list[str] | None) -> list[tuple[str, sp.csr_matrix]]:
    out = [
        (f"ER n={n}", erdos_renyi(n, 20, seed=1))
        for n in ((200, 1000) if quick else (200, 1000, 2000))
    ]
    names = ("G11", "G43") if quick else GSET_NAMES
    for name in names:
        if (GSET / name).is_file():
            out.append((name, read_gset(GSET / name)))
        else:
            console.print(f"[yellow]skipping {name}: not found in {GSET}[/]")
    if only:
        out = [g for g in out if g[0] in only or g[0].split("=")[-1] in only]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer graphs")
    ap.add_argument("--peer-time", type=float, default=60.0, help="time limit per peer run (s)")
    ap.add_argument("--our-time", type=float, default=300.0, help="time limit per run of ours")
    ap.add_argument("--scs-max-n", type=int, default=1000, help="largest n given to SCS")
    ap.add_argument("--pymanopt-max-n", type=int, default=5000, help="largest n for pymanopt")
    ap.add_argument("--only", nargs="*", help="graph names to run (e.g. G11 'ER n=1000')")
    args = ap.parse_args()
    maxcut(erdos_renyi(60, 6, seed=0), method="mixing", seed=0)  # numba warm-up, not timed
    rows: list[dict[str, Any]] = []
    for name, A in graphs(args.quick, args.only):
        n = A.shape[0]
        console.print(f"[bold]{name}[/] n = {n}, edges = {A.nnz // 2}")
        rec: dict[str, Any] = {"graph": name, "n": n, "edges": A.nnz // 2}
        repeats = 3 if n <= 2000 else 1
        rec["theorylab"] = run_ours(A, 0, repeats, args.our_time)
        console.print(f"  theorylab: {rec['theorylab']}")
        if n <= args.pymanopt_max_n:
            try:
                rec["pymanopt"] = run_pymanopt(A, 0, args.peer_time)
            except ImportError as exc:
                rec["pymanopt"] = {"error": f"not installed: {exc}"}
            console.print(f"  pymanopt: {rec['pymanopt']}")
        if n <= args.scs_max_n:
            try:
                rec["cvxpy+scs"] = run_scs(A, args.peer_time)
            except ImportError as exc:
                rec["cvxpy+scs"] = {"error": f"not installed: {exc}"}
            console.print(f"  cvxpy+scs: {rec['cvxpy+scs']}")
        if name.startswith("ER") and n in EARLIER_MIXING:
            rec["mixing (earlier run)"] = {"seconds": EARLIER_MIXING[n], "certified": True}
        rows.append(rec)
    table = Table(
        title="MaxCut SDP to a certified relative gap <= 1e-6 (seconds; ratio = peer / ours)"
    )
    for col in (
        "graph",
        "n",
        "ours [s]",
        "ours gap",
        "rank",
        "pymanopt [s]",
        "gap",
        "ratio",
        "SCS [s]",
        "gap",
        "ratio",
        "mixing, earlier [s]",
        "ratio",
    ):
        table.add_column(col)

    def cell(rec: dict[str, Any], key: str) -> list[str]:
        r = rec.get(key)
        if r is None:
            return ["-", "-", "-"]
        if "error" in r:
            return ["error", r["error"][:20], "-"]
        ours = rec["theorylab"]["seconds"]
        t = r["seconds"]
        mark = "" if r.get("certified") else " (not certified)"
        return [f"{t:.2f}{mark}", f"{r.get('rel_gap', float('nan')):.1e}", f"{t / ours:.1f}x"]

    for rec in rows:
        o = rec["theorylab"]
        mix = rec.get("mixing (earlier run)")
        table.add_row(
            rec["graph"],
            str(rec["n"]),
            f"{o['seconds']:.2f}" + ("" if o["certified"] else " (not certified)"),
            f"{o['rel_gap']:.1e}",
            str(o["rank"]),
            *cell(rec, "pymanopt"),
            *cell(rec, "cvxpy+scs"),
            f"{mix['seconds']:.2f}" if mix else "-",
            f"{mix['seconds'] / o['seconds']:.1f}x" if mix else "-",
        )
    console.print(table)
    out = ROOT / "benchmarks" / "results" / "sdp.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "blas_threads": 1,
        "peer_time_limit_s": args.peer_time,
    }
    out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2, default=str))
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
