"""Export and scenario discovery on a large sweep: wall time and peak memory.

Usage: python benchmarks/bench_export_discover.py RESULTS_DIR [--where COND]
RESULTS_DIR is a sweep with its per-run files (e.g. 2,560 runs of a tiny scenario made with
``alliance-sim sweep``).  Export runs as its own process (``alliance-sim export``) so its
peak RSS is the command's own; PRIM is timed in process on the folder's summary.csv.
Targets (docs/performance.md): export of 2,560 runs < 30 s and < 2 GB; PRIM < 10 s.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--where", default="mean_tension < 0.2")
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("alliance-sim")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([str(exe), "export", args.results, "--out", f"{tmp}/x"], check=True)
        export_s = time.perf_counter() - start
        rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        import pyarrow.parquet as pq

        rows = pq.ParquetDataset(f"{tmp}/x/timeseries").read(columns=["value"]).num_rows
    from simulation.experiments.discover import MASS_MIN, PEEL_ALPHA, _workbench, inputs
    from simulation.results import open_results

    results = open_results(args.results)
    prim, _, _ = _workbench()
    x, y = inputs(results, args.where, None)
    start = time.perf_counter()
    prim.Prim(x, y, peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN).find_box()
    prim_s = time.perf_counter() - start
    runs = len(results.summary)
    print("| measure | value | target | met |\n|---|---|---|---|")
    print(f"| export, {runs} runs ({rows:,} rows), wall | {export_s:.1f} s | < 30 s | {'yes' if export_s < 30 else 'no'} |")
    print(f"| export, peak RSS of the command | {rss_mib:.0f} MiB | < 2 GB | {'yes' if rss_mib < 2048 else 'no'} |")
    print(f"| PRIM on {runs} runs ({x.shape[1]} parameters, {int(y.sum())} cases) | {prim_s:.2f} s | < 10 s | {'yes' if prim_s < 10 else 'no'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
