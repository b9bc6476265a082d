"""Benchmark: time per model step against one in-place N x N float64 update.

    python benchmarks/bench_step.py [--sizes 250 500 1000 2000] [--steps 10] [--out docs/performance-step.md]

For each N the script builds the two-bloc world (generated states, one hegemonic alliance
and one dialogue platform), times whole steps, and in the same process times ``T *= a;
T += b`` on an N x N float64 array (the yardstick).  Targets (issue 2): a step within 15x
of the update at N = 1000 and 2000, and cost from N = 250 to 2000 growing no faster than
N^2 (ratio at most 70).  Prints a Markdown table and writes it to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from simulation.model import AllianceModel
from simulation.scenario import Scenario

REPEATS = 5  # best-of repeats
# Worlds keep the density of the shipped scenarios: 60 states on a 10,000 km square.
DENSITY_STATES, DENSITY_MAP_KM = 60, 10000.0


def scenario_for(n: int) -> Scenario:
    """Two-bloc world of n generated states at the density of the shipped scenarios (60 states on 10,000 km)."""
    share = max(2, n // 8)
    return Scenario.model_validate({
        "name": f"bench{n}",
        "world": {"generate": {"count": n, "map_size": DENSITY_MAP_KM * (n / DENSITY_STATES) ** 0.5}},
        "institutions": {
            "Bloc": {"kind": "hegemonic", "founders": {"by": "regime", "order": "highest", "count": share}},
            "Forum": {"kind": "dialogue", "founders": {"by": "regime", "order": "lowest", "count": share}},
        },
    })


def yardstick(n: int) -> float:
    """Seconds for one in-place N x N float64 update T *= a; T += b (best of REPEATS x 10)."""
    t = np.random.default_rng(0).random((n, n))
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(10):
            t *= 0.999
            t += 0.0001
        best = min(best, (time.perf_counter() - start) / 10)
    return best


def step_time(n: int, steps: int) -> float:
    """Mean seconds per step after two warm-up steps (best of REPEATS rounds)."""
    model = AllianceModel(scenario_for(n), seed=1)
    model.step()
    model.step()
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(steps):
            model.step()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000, 2000])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "performance-step.md"))
    args = ap.parse_args()
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        for n in args.sizes:
            rows.append((n, step_time(n, args.steps), yardstick(n)))
    lines = [
        "# Performance of a model step",
        "",
        f"`python benchmarks/bench_step.py` on {date.today().isoformat()}: {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, BLAS pinned to 1 thread.",
        "Step: the two-bloc world of N generated states (density of the shipped scenarios), best of "
        f"{REPEATS} rounds of {args.steps} steps. Update: `T *= a; T += b` on an N x N float64 array, same process.",
        "",
        "| N | step (ms) | N x N update (ms) | step / update | target |",
        "|---:|---:|---:|---:|---|",
    ]
    for n, s, y in rows:
        target = "<= 15" if n >= 1000 else ""
        lines.append(f"| {n} | {s * 1e3:.2f} | {y * 1e3:.3f} | {s / y:.1f} | {target} |")
    if len(rows) > 1:
        (n0, s0, _), (n1, s1, _) = rows[0], rows[-1]
        lines += ["", f"Step time ratio N={n1} / N={n0}: {s1 / s0:.1f} (target <= 70; N^2 ratio {(n1 / n0) ** 2:.0f})."]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
