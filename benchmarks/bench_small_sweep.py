"""Benchmark of small sweeps, where fixed costs dominate.  Not a test: it prints a table.

    python benchmarks/bench_small_sweep.py [--repeats 3]

Targets (docs/performance.md, "Small sweeps"):

1. a 32-run copy of the headline experiment (8 replications), with the report, takes at
   most 2x its runs' own time (the sum of the runs' ``elapsed_s`` in their records: model,
   summary and file writes);
2. on a 160-run copy (40 replications), 2 worker processes are at least 1.8x faster than 1.

Each sweep runs in a fresh interpreter that first imports the sweep and report modules
(their import time is reported on its own line), then times one ``sweep()`` call — workers'
start-up, runs, summary, aggregates, figures and report — in that one process.  Each timing is
the best of ``--repeats`` (other load on the machine only ever slows a sweep down).  Also
shown: the report alone (figures from stored results), so its share of the fixed cost is
visible.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = ROOT / "experiments" / "headline.yaml"
SMALL_REPLICATIONS, LARGE_REPLICATIONS = 8, 40
TARGET_SMALL_RATIO, TARGET_SPEEDUP = 2.0, 1.8

SWEEP = """
import sys, time, json
t0 = time.perf_counter()
from simulation.experiments.sweep import sweep
from simulation.experiments.report import build_report
t1 = time.perf_counter()
r = sweep(sys.argv[1], out=sys.argv[2], executor="processes", workers=int(sys.argv[3]), report=sys.argv[4] == "1")
t2 = time.perf_counter()
assert r.failed == 0, r
print(json.dumps({"imports": t1 - t0, "sweep": t2 - t1}))
"""

REPORT = """
import sys, time, json
t0 = time.perf_counter()
from simulation.experiments.report import build_report
t1 = time.perf_counter()
build_report(sys.argv[1])
print(json.dumps({"imports": t1 - t0, "report": time.perf_counter() - t1}))
"""


def copy_of_headline(folder: Path, replications: int) -> Path:
    """The headline experiment with fewer replications (scenario paths made absolute)."""
    text = HEADLINE.read_text()
    text = re.sub(r"^replications: \d+", f"replications: {replications}", text, flags=re.M)
    text = re.sub(r"^name: headline", f"name: headline_{replications}", text, flags=re.M)
    text = text.replace("../scenarios/", f"{ROOT / 'scenarios'}/")
    path = folder / f"headline_{replications}.yaml"
    path.write_text(text)
    return path


def _run(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed ({args}):\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_sweep(experiment: Path, out: Path, workers: int, report: bool, repeats: int) -> dict[str, float]:
    best: dict[str, float] | None = None
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        got = _run(SWEEP, str(experiment), str(out), str(workers), "1" if report else "0")
        if best is None or got["sweep"] < best["sweep"]:
            best = got
    assert best is not None
    return best


def runs_own_time(folder: Path) -> float:
    """Sum of the runs' own time (model, summary and writes), from their records."""
    return sum(json.loads(p.read_text())["elapsed_s"] for p in (folder / "records").glob("*.json"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timings are the best of this many")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-small-") as tmp:
        tmp = Path(tmp)
        small = copy_of_headline(tmp, SMALL_REPLICATIONS)
        got = best_sweep(small, tmp / "s", 2, True, args.repeats)
        own = runs_own_time(tmp / "s")
        ratio = got["sweep"] / own
        report = min((_run(REPORT, str(tmp / "s")) for _ in range(args.repeats)), key=lambda r: r["report"])
        n_small = 4 * SMALL_REPLICATIONS
        rows += [
            ("imports of the sweep and report modules (fresh interpreter)", f"{got['imports']:.2f} s", "", ""),
            (f"{n_small}-run headline copy: runs' own time (sum of records' elapsed_s)", f"{own:.2f} s", "", ""),
            (f"{n_small}-run headline copy: whole sweep with report, 2 workers", f"{got['sweep']:.2f} s", "", ""),
            (f"{n_small}-run copy: sweep / runs' own time", f"{ratio:.2f}x", f"<= {TARGET_SMALL_RATIO}x",
             _ok(ratio <= TARGET_SMALL_RATIO)),
            (f"{n_small}-run copy: report alone (summary, aggregates, 3 figures as PNG + SVG, report.md)",
             f"{report['report']:.2f} s", "", ""),
        ]
        large = copy_of_headline(tmp, LARGE_REPLICATIONS)
        n_large = 4 * LARGE_REPLICATIONS
        one = best_sweep(large, tmp / "l1", 1, True, args.repeats)["sweep"]
        two = best_sweep(large, tmp / "l2", 2, True, args.repeats)["sweep"]
        speedup = one / two
        rows += [
            (f"{n_large}-run headline copy with report, 1 worker", f"{one:.2f} s", "", ""),
            (f"{n_large}-run headline copy with report, 2 workers", f"{two:.2f} s", "", ""),
            ("speed-up 2 workers / 1 worker", f"{speedup:.2f}x", f">= {TARGET_SPEEDUP}x", _ok(speedup >= TARGET_SPEEDUP)),
        ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = (f"Small-sweep benchmark (`python benchmarks/bench_small_sweep.py`), {time.strftime('%Y-%m-%d')}: "
              f"{os.cpu_count()} logical cores, {platform.machine()}, Python {platform.python_version()}, "
              f"load average {load:.1f} at the end (a quiet machine is below 0.5), best of {args.repeats}.\n\n")
    table = "| measure | value | target | met |\n|---|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    print(header + table)


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


if __name__ == "__main__":
    main()
