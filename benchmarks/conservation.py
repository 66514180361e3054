"""Benchmark: counting conservation laws (theorylab.conservation).

No peer library runs here: the authors' code needs SageMath. We compare with the times the
authors' saved notebook outputs show for their protocol (Marcotte, Gribonval, Peyré 2023,
main.ipynb: 50 random deep linear nets in 34 min, 50 random deep ReLU nets in 1 h 53 min,
with Sage and 64 threads) and check the targets: every case of the reference table in
< 60 s in total, and a ReLU net with about 200 parameters in < 60 s, on 2 cores. Writes
benchmarks/results/conservation.json.

    python benchmarks/conservation.py [--n-random 50]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from theorylab._core.rng import spawn_seeds
from theorylab.conservation import count_laws, random_architecture, relu
from theorylab.studies.conservation_laws import REFERENCE_CASES

AUTHORS_LINEAR_S = 34 * 60
AUTHORS_RELU_S = 113 * 60


def _time(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-random", type=int, default=50)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per network")
    args = parser.parse_args()
    out: dict[str, object] = {}

    for exact in (False, True):
        rows, total = [], 0.0
        for cid, build, flow, ref in REFERENCE_CASES:
            c, sec = _time(lambda b=build, f=flow, e=exact: count_laws(b(), f, seed=0, exact=e))
            total += sec
            rows.append({"case": cid, "laws": c.number, "reference": ref, "seconds": sec})
            assert c.number == ref, (cid, c.number, ref)
        key = "reference_table_exact" if exact else "reference_table_float"
        out[key] = {"seconds": total, "cases": rows}
        mode = "exact rational" if exact else "float64"
        print(f"reference table, {len(rows)} cases, {mode}: {total:.2f} s (target < 60 s)")

    model = relu([8, 12, 8], bias=True)
    c, sec = _time(lambda: count_laws(model, seed=0))
    out["relu_204_params"] = {"D": model.D, "laws": c.number, "seconds": sec}
    print(
        f"ReLU [8, 12, 8] with biases, D = {model.D}: {c.number} laws in {sec:.2f} s "
        "(target < 60 s)"
    )

    seeds = spawn_seeds(0, 2 * args.n_random)
    for kind, widths, authors in (
        ("linear", (2, 5), AUTHORS_LINEAR_S),
        ("relu", (2, 9), AUTHORS_RELU_S),
    ):
        part = seeds[: args.n_random] if kind == "linear" else seeds[args.n_random :]
        total, ok, worst = 0.0, 0, (0.0, "")
        for s in part:
            m = random_architecture(kind, widths, seed=s)
            c, sec = _time(lambda m=m, s=s: count_laws(m, seed=s, max_seconds=args.budget))
            total += sec
            ok += c.certified
            worst = max(worst, (sec, m.name))
            print(f"  {m.name}: {c.number} laws, {c.status}, {sec:.2f} s", flush=True)
        scale = authors * args.n_random / 50
        out[f"random_{kind}"] = {
            "budget_seconds": args.budget,
            "n": args.n_random,
            "certified": ok,
            "seconds": total,
            "authors_seconds": scale,
            "speedup": scale / total,
            "slowest": {"seconds": worst[0], "model": worst[1]},
        }
        print(
            f"{args.n_random} random {kind} nets (widths {widths[0]}-{widths[1]}): "
            f"{ok}/{args.n_random} certified in {total:.1f} s; authors {scale / 60:.0f} min "
            f"-> ratio {scale / total:.0f}x (slowest {worst[1]}: {worst[0]:.1f} s)"
        )

    path = Path(__file__).with_name("results") / "conservation.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
