"""Benchmark of the calibration layer.  Not a test: it prints a table.

    python benchmarks/bench_calibrate.py [--calibration calibration/ci_small.yaml]
                                         [--executors serial processes] [--workers 2]

For each executor it runs the calibration once into a temporary folder (no figures), in a
fresh interpreter, and reports the wall time, particle evaluations per second and model runs
per second (evaluations x replications x hindcasts; the pilot run and pyabc's import are
outside the timed part).  It also checks that every executor gave the same posterior.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import json, sys, time
import pandas as pd
from simulation.calibration.run import calibrate
from simulation.calibration.schema import load_calibration
import pyabc  # imported before the clock starts
c = load_calibration(sys.argv[1]).calibration
t0 = time.perf_counter()
out = calibrate(sys.argv[1], out=sys.argv[2], executor=sys.argv[3], workers=int(sys.argv[4]), figures=False, quiet=True)
seconds = time.perf_counter() - t0
evals = int(pd.read_csv(out / "populations.csv")["simulations"].sum())
print(json.dumps({"seconds": seconds, "evaluations": evals, "runs": evals * c.replications * len(c.hindcasts),
                  "posterior": (out / "generations.csv").read_text()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calibration", default=str(ROOT / "calibration" / "ci_small.yaml"))
    parser.add_argument("--executors", nargs="+", default=["serial", "processes"], choices=["serial", "processes", "dask"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for executor in args.executors:
            workers = 1 if executor == "serial" else args.workers
            out = Path(tmp) / executor
            done = subprocess.run([sys.executable, "-c", RUN, args.calibration, str(out), executor, str(workers)],
                                  capture_output=True, text=True, check=True, cwd=ROOT)
            rows.append((executor, workers, json.loads(done.stdout.strip().splitlines()[-1])))
    print(f"calibration: {args.calibration}  ({platform.processor() or platform.machine()}, python {platform.python_version()})")
    print(f"{'executor':<10} {'workers':>7} {'seconds':>8} {'evals':>6} {'evals/s':>8} {'runs/s':>8}")
    for executor, workers, r in rows:
        print(f"{executor:<10} {workers:>7} {r['seconds']:>8.1f} {r['evaluations']:>6} {r['evaluations'] / r['seconds']:>8.2f} "
              f"{r['runs'] / r['seconds']:>8.2f}")
    same = len({r["posterior"] for _, _, r in rows}) == 1
    print(f"same posterior with every executor: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
