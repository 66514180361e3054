"""Benchmark: path-norms and path-magnitude scores (theorylab.sparsity).

Target: ``path_norm`` on a ResNet-18-shaped network costs at most 3 forward
passes of the same network. The public toolkit (agonon/pathnorm-pytorch) is not on PyPI and
needs torchvision, so it does not run here; we print the timings it published
(``benchmark_summary.csv`` of its ICML 2025 reproduction, Gonon et al. 2025; device not
recorded) as reference numbers, and its random-init ResNet-18 path-norms (its quickstart
notebook, unseeded) as orders of magnitude. Writes benchmarks/results/sparsity.json.

    python benchmarks/sparsity.py [--size 224] [--repeat 5] [--deep 152]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from theorylab.sparsity import path_magnitude_scores, path_norm, path_norms, resnet

# published by the public toolkit agonon/pathnorm-pytorch (benchmark_summary.csv, quickstart)
TOOLKIT_MS = {"forward bs1": 3.1, "magnitude": 1.9, "path-magnitude": 49.2}
TOOLKIT_RANDOM_RESNET18 = {1: 6.31e30, 2: 516.12, 4: 0.16706}


def _round_robin(fns: dict, repeat: int) -> dict[str, float]:
    """Best time of each function over ``repeat`` interleaved rounds (the machine is
    shared: interleaving spreads the noise evenly, the minimum filters it)."""
    for fn in fns.values():
        fn()  # warm-up (tracing is cached per model)
    best = dict.fromkeys(fns, math.inf)
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=224, help="input height = width")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--deep", type=int, default=152, help="depth of the log-mode check")
    args = parser.parse_args()
    console = Console()
    torch.manual_seed(0)
    shape = (3, args.size, args.size)
    net = resnet(18).eval()
    x = torch.randn(1, *shape)
    net64 = resnet(18).eval().double()
    x64 = x.double()

    def forward(model, inp):
        with torch.no_grad():
            model(inp)

    best = _round_robin(
        {
            "forward (float32)": lambda: forward(net, x),
            "forward (float64)": lambda: forward(net64, x64),
            "path_norm q=1 (float64)": lambda: path_norm(net, shape, 1),
            "path_norm q=1 log (float64)": lambda: path_norm(net, shape, 1, log=True),
            "path_norm q=1 (float32)": lambda: path_norm(net, shape, 1, dtype=torch.float32),
            "path_norm q=2 (float64)": lambda: path_norm(net, shape, 2),
            "path-magnitude scores": lambda: path_magnitude_scores(net, shape),
        },
        args.repeat,
    )
    fwd32, fwd64 = best.pop("forward (float32)"), best.pop("forward (float64)")
    timings = best
    table = Table(title=f"ResNet-18, input {shape}, batch 1, {torch.get_num_threads()} threads")
    for col in ("operation", "ms", "/ forward f32", "/ forward f64"):
        table.add_column(col)
    table.add_row("forward (float32)", f"{1e3 * fwd32:.1f}", "1.00", f"{fwd32 / fwd64:.2f}")
    table.add_row("forward (float64)", f"{1e3 * fwd64:.1f}", f"{fwd64 / fwd32:.2f}", "1.00")
    for name, sec in timings.items():
        table.add_row(name, f"{1e3 * sec:.1f}", f"{sec / fwd32:.2f}", f"{sec / fwd64:.2f}")
    console.print(table)
    ref = Table(title="public toolkit, published (benchmark_summary.csv; device not recorded)")
    for col in ("operation", "ms", "/ forward bs1"):
        ref.add_column(col)
    for name, ms in TOOLKIT_MS.items():
        ref.add_row(name, f"{ms}", f"{ms / TOOLKIT_MS['forward bs1']:.2f}")
    console.print(ref)
    ratio = timings["path_norm q=1 (float64)"] / fwd32
    console.print(
        f"path_norm / forward = [bold]{ratio:.2f}[/] (float64 pass vs float32 forward; "
        f"target <= 3); path-magnitude / forward = "
        f"{timings['path-magnitude scores'] / fwd32:.2f} (toolkit: "
        f"{TOOLKIT_MS['path-magnitude'] / TOOLKIT_MS['forward bs1']:.1f})"
    )
    values = path_norms(net, (3, 224, 224), [1, 2, 4])
    console.print(
        "random-init ResNet-18 at 224x224 (seed 0): "
        + ", ".join(f"L{q} = {v:.4g}" for q, v in zip((1, 2, 4), values, strict=True))
        + "; toolkit quickstart (unseeded): "
        + ", ".join(f"L{q} = {v:.4g}" for q, v in TOOLKIT_RANDOM_RESNET18.items())
    )
    deep = resnet(args.deep).eval()
    start = time.perf_counter()
    deep_log = path_norm(deep, (3, 224, 224), 1, log=True)
    deep_s = time.perf_counter() - start
    try:
        direct = path_norm(deep, (3, 224, 224), 1, dtype=torch.float32)
        f32 = f"{direct:.4g}"
    except ValueError:
        f32 = "overflow"
    console.print(
        f"ResNet-{args.deep} log-domain L1: log10 = {deep_log / math.log(10):.2f} in "
        f"{deep_s:.2f} s; direct float32 pass: {f32}"
    )
    out = {
        "input_shape": shape,
        "threads": torch.get_num_threads(),
        "forward_float32_s": fwd32,
        "forward_float64_s": fwd64,
        "timings_s": timings,
        "ratio_path_norm_to_forward": ratio,
        "toolkit_published_ms": TOOLKIT_MS,
        "random_resnet18_pathnorms": dict(zip((1, 2, 4), values, strict=True)),
        "deep": {
            "depth": args.deep,
            "log10_l1": deep_log / math.log(10),
            "seconds": deep_s,
            "float32_direct": f32,
        },
    }
    path = Path(__file__).parent / "results" / "sparsity.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
