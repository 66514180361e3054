"""Benchmark: theorylab.ldp against pure-ldp and multi-freq-ldpy, and the PGR server against
the authors' published C++ timings (Feldman, Nelson, Nguyen, Talwar 2022; reference §5.3).

Workload (reference §6): k = 1024, n = 100,000 users, items i.i.d. Zipf(1.1) truncated to
[k] (``default_rng(12345)``), epsilon in {1, 4}. Client time = randomising all n users;
server time = aggregation + estimation of all k items; MSE in frequency units (raw for
theorylab and pure-ldp; multi-freq-ldpy's MI estimator only returns clipped+normalised
frequencies, so its MSE is of that output). Peers that fail on the current dependency set
are skipped with the reason printed. Writes ``benchmarks/results/ldp.json``.

Run: ``.venv/bin/python benchmarks/ldp.py [--quick]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import theorylab.ldp as L

K, N = 1024, 100_000
EPSILONS = (1.0, 4.0)
# The authors' C++ server times (ms, estimate_all_freqs only; reference §5.3 and §6.2)
AUTHORS_PGR = {
    "k=1e6,eps=4": {"k": 10**6, "eps": 4.0, "q": 59, "seconds": 18.17, "n": 100_000},
    "k=3307948,eps=5": {"k": 3_307_948, "eps": 5.0, "q": 151, "seconds": 36.919, "n": 10_000},
}


def workload(k: int = K, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    x = L.zipf_items(k, n, 1.1, seed=12345)  # = default_rng(12345).choice(k, n, p=zipf)
    return x, np.bincount(x, minlength=k) / n


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


# ------------------------------------------------------------------------------ theorylab
def run_ours(x: np.ndarray, f: np.ndarray, eps: float) -> dict[str, dict[str, Any]]:
    out = {}
    for name in ("grr", "sue", "oue", "olh", "hr", "rhr", "ss", "pgr", "hpgr"):
        o = L.make(name, K, eps)
        o.estimate(o.aggregate(o.privatize(x[:1000], seed=0)))  # warm-up (numba, tables)
        reports, t_client = timed(lambda o=o: o.privatize(x, seed=1))
        est, t_server = timed(lambda o=o, r=reports: o.estimate(o.aggregate(r)))
        out[name] = {
            "client_s": t_client,
            "server_s": t_server,
            "bits": o.bits,
            "mse": float(np.mean((est - f) ** 2)),
            "mse_clip": float(
                np.mean((o.estimate(o.aggregate(reports), normalize="clip") - f) ** 2)
            ),
            "analytic": float(o.variance(x.size, f).mean()),
            "config": repr(o),
        }
    return out


# ------------------------------------------------------------------------------ peers
def _pure_ldp() -> Any:
    """Import pure-ldp's oracles without its package __init__ (which imports sklearn and
    statsmodels for RAPPOR, undeclared dependencies)."""
    import pure_ldp

    pkg = os.path.join(os.path.dirname(pure_ldp.__file__), "frequency_oracles")
    mod = types.ModuleType("pure_ldp.frequency_oracles")
    mod.__path__ = [pkg]
    sys.modules.setdefault("pure_ldp.frequency_oracles", mod)
    return importlib


def run_pure_ldp(x: np.ndarray, f: np.ndarray, eps: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    try:
        _pure_ldp()
        de = importlib.import_module("pure_ldp.frequency_oracles.direct_encoding")
        ue = importlib.import_module("pure_ldp.frequency_oracles.unary_encoding")
        hr = importlib.import_module("pure_ldp.frequency_oracles.hadamard_response")
        lh = importlib.import_module("pure_ldp.frequency_oracles.local_hashing")
    except Exception as exc:
        return {"*": {"skipped": f"import failed: {type(exc).__name__}: {exc}"}}
    mapper = lambda v: v  # noqa: E731 - pure-ldp's default mapper is v - 1 (1-based items)
    items = list(range(K))
    data = x.tolist()

    def make_pair(name: str) -> tuple[Any, Any]:
        if name == "grr":
            return (
                de.DEClient(eps, K, index_mapper=mapper),
                de.DEServer(eps, K, index_mapper=mapper),
            )
        if name in ("sue", "oue"):
            oue = name == "oue"
            return (
                ue.UEClient(eps, K, use_oue=oue, index_mapper=mapper),
                ue.UEServer(eps, K, use_oue=oue, index_mapper=mapper),
            )
        if name == "hr":
            server = hr.HadamardResponseServer(eps, K, index_mapper=mapper)
            client = hr.HadamardResponseClient(eps, K, server.get_hash_funcs(), index_mapper=mapper)
            return client, server
        if name == "olh":
            return (
                lh.LHClient(eps, K, use_olh=True, index_mapper=mapper),
                lh.LHServer(eps, K, use_olh=True, index_mapper=mapper),
            )
        raise KeyError(name)

    for name in ("grr", "sue", "oue", "hr", "olh"):
        try:
            client, server = make_pair(name)
            client.privatise(data[0])  # fail fast (e.g. xxhash >= 3 refuses str input)
            reports, t_client = timed(lambda c=client: [c.privatise(v) for v in data])

            def serve(s: Any = server, r: list = reports) -> np.ndarray:
                for rep in r:
                    s.aggregate(rep)
                return np.array(s.estimate_all(items, suppress_warnings=True)) / len(r)

            est, t_server = timed(serve)
            out[name] = {
                "client_s": t_client,
                "server_s": t_server,
                "mse": float(np.mean((est - f) ** 2)),
            }
            if name == "hr":
                out[name]["note"] = "pure-ldp HR wraps zitengsun's HR (a different variant)"
        except Exception as exc:
            out[name] = {"skipped": f"{type(exc).__name__}: {exc}"}
    return out


def run_multi_freq(x: np.ndarray, f: np.ndarray, eps: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    try:
        grr = importlib.import_module("multi_freq_ldpy.pure_frequency_oracles.GRR")
        ue = importlib.import_module("multi_freq_ldpy.pure_frequency_oracles.UE")
        ss = importlib.import_module("multi_freq_ldpy.pure_frequency_oracles.SS")
        lh = importlib.import_module("multi_freq_ldpy.pure_frequency_oracles.LH")
    except Exception as exc:
        return {"*": {"skipped": f"import failed: {type(exc).__name__}: {exc}"}}
    data = x.tolist()
    spec: dict[str, tuple[Callable[[int], Any], Callable[[list], np.ndarray]]] = {
        "grr": (lambda v: grr.GRR_Client(v, K, eps), lambda r: grr.GRR_Aggregator_MI(r, K, eps)),
        "sue": (
            lambda v: ue.UE_Client(v, K, eps, False),
            lambda r: ue.UE_Aggregator_MI(np.array(r), eps, False),
        ),
        "oue": (
            lambda v: ue.UE_Client(v, K, eps, True),
            lambda r: ue.UE_Aggregator_MI(np.array(r), eps, True),
        ),
        "ss": (lambda v: ss.SS_Client(v, K, eps), lambda r: ss.SS_Aggregator_MI(r, K, eps)),
        "olh": (
            lambda v: lh.LH_Client(v, K, eps, True),
            lambda r: lh.LH_Aggregator_MI(r, K, eps, True),
        ),
    }
    for name, (client, server) in spec.items():
        try:
            client(data[0])  # warm-up (numba JIT) and fail fast
            reports, t_client = timed(lambda c=client: [c(v) for v in data])
            est, t_server = timed(lambda s=server, r=reports: np.asarray(s(r)))
            out[name] = {
                "client_s": t_client,
                "server_s": t_server,
                "mse_clip": float(np.mean((est - f) ** 2)),
                "note": "MI output is clipped and normalised (no raw output)",
            }
        except Exception as exc:
            out[name] = {"skipped": f"{type(exc).__name__}: {exc}"}
    return out


# ------------------------------------------------------------------------------ PGR server
def pgr_server(quick: bool) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for label, ref in AUTHORS_PGR.items():
        k, eps = ref["k"], ref["eps"]
        for qname, q in (("auto", "auto"), ("authors", ref["q"])):
            if quick and qname == "authors":
                continue
            o = L.PGR(k, eps, q=q)
            reports = np.zeros(ref["n"], dtype=np.int64)  # all users on item 0, as the authors
            reports[:] = o.privatize(np.zeros(ref["n"], dtype=np.int64), seed=0)
            agg = o.aggregate(reports)
            _, t = timed(lambda o=o, a=agg: o.estimate(a))
            res[f"{label} q={qname}"] = {
                "q": o.q,
                "t": o.t,
                "K": o.K,
                "work_Kqt": o.K * o.q * o.t,
                "seconds": t,
                "authors_seconds": ref["seconds"],
                "speedup_vs_authors": ref["seconds"] / t,
                "V": o.per_user_variance,
            }
            print(
                f"  PGR server {label} q={o.q} t={o.t} K={o.K:,}: {t:.2f} s "
                f"(authors' C++ {ref['seconds']} s with q={ref['q']}): "
                f"ratio authors/ours = {ref['seconds'] / t:.2f}",
                flush=True,
            )
    return res


def client_throughput() -> dict[str, Any]:
    res = {}
    for k, eps in ((1024, 1.0), (1024, 4.0), (10**6, 1.0), (10**6, 4.0), (3_307_948, 5.0)):
        o = L.PGR(k, eps)
        x = np.random.default_rng(0).integers(0, k, 2_000_000)
        o.privatize(x[:1000], seed=0)
        _, t = timed(lambda o=o, x=x: o.privatize(x, seed=1))
        res[f"k={k},eps={eps}"] = {"q": o.q, "t": o.t, "reports_per_s": x.size / t}
        print(
            f"  PGR client k={k} eps={eps} (q={o.q}, t={o.t}): {x.size / t / 1e6:.2f} M reports/s"
        )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the authors'-q PGR timings")
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    x, f = workload()
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "workload": {"k": K, "n": N, "zipf": 1.1, "seed": 12345},
        "versions": {},
    }
    for pkg in ("pure_ldp", "multi_freq_ldpy", "xxhash", "numba"):
        try:
            from importlib.metadata import version

            results["versions"][pkg] = version(pkg.replace("_", "-"))
        except Exception:
            results["versions"][pkg] = None
    results["frequency"] = {}
    for eps in EPSILONS:
        ours = run_ours(x, f, eps)
        peers = (
            {}
            if args.no_peers
            else {"pure-ldp": run_pure_ldp(x, f, eps), "multi-freq-ldpy": run_multi_freq(x, f, eps)}
        )
        results["frequency"][str(eps)] = {"theorylab": ours, **peers}
        print(f"\n== eps = {eps}: k = {K}, n = {N:,} Zipf(1.1) ==")
        print(
            f"{'oracle':6s} {'bits':>5s} {'client s':>9s} {'server s':>9s} {'MSE':>10s} "
            f"{'analytic':>10s}  peers (client/server ratio = peer time / ours)"
        )
        for name, r in ours.items():
            line = (
                f"{name:6s} {r['bits']:5d} {r['client_s']:9.4f} {r['server_s']:9.4f} "
                f"{r['mse']:10.3e} {r['analytic']:10.3e} "
            )
            for lib, pr in peers.items():
                p = pr.get(name)
                if p is None:
                    continue
                if "skipped" in p:
                    line += f" | {lib}: skipped ({p['skipped'][:60]})"
                    continue
                rc = p["client_s"] / r["client_s"]
                rs = p["server_s"] / max(r["server_s"], 1e-6)
                mse = p.get("mse", p.get("mse_clip"))
                p["client_ratio"], p["server_ratio"] = rc, rs
                line += (
                    f" | {lib}: {p['client_s']:.2f}s/{p['server_s']:.2f}s "
                    f"({rc:.0f}x/{rs:.0f}x) mse={mse:.2e}"
                )
            print(line, flush=True)
        for lib, pr in peers.items():
            if "*" in pr:
                print(f"  {lib}: {pr['*']['skipped']}")
    print("\n== PGR server vs the authors' C++ ==")
    results["pgr_server"] = pgr_server(args.quick)
    print("\n== PGR client throughput (one process) ==")
    results["pgr_client"] = client_throughput()
    out = Path(__file__).parent / "results" / "ldp.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
