"""Benchmark of the experiment layer (issue 3).  Not a test: it prints and writes a table.

    python benchmarks/bench_sweep.py [--out docs/performance-sweep.md]

Measures, on this machine:

1. speed-up of the headline sweep with 2 worker processes over 1 (target >= 1.8x);
2. per-run overhead of the executor: the 1-worker process pool against the serial
   executor doing the same work in-process (pool start-up, pickling, scheduling), per run,
   relative to a run (target < 5%).  Reported beside it: the experiment layer's own
   per-run work (validation, summary, Parquet and record writes) from the timings the
   workers record, and the whole sweep against the same runs in a bare model loop;
3. peak memory (RSS summed over the sweep process and its workers, sampled with psutil)
   of a 2,000-run sweep of a tiny scenario against a 100-run one (target <= 1.2x);
4. dask.distributed (a local cluster of 2 worker processes) against the process pool on
   the headline sweep, as throughput (target >= 0.8x).

Every sweep runs in a fresh interpreter, into a temporary folder, with no report; each
timing is the best of ``--repeats`` (other load on the machine only ever slows a run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = ROOT / "experiments" / "headline.yaml"
#: Memory sampling period of the process tree (seconds).
SAMPLE_S = 0.05
SMALL_RUNS, LARGE_RUNS = 100, 2000
TARGETS = {"speedup": 1.8, "overhead": 0.05, "memory": 1.2, "dask": 0.8}

SWEEP = """
import sys, time
from simulation.experiments.sweep import sweep
t0 = time.perf_counter()
r = sweep(sys.argv[1], out=sys.argv[2], executor=sys.argv[3], workers=int(sys.argv[4]), report=False)
assert r.failed == 0, r
print(time.perf_counter() - t0)
"""

BARE = """
import sys, time, yaml
from simulation.experiments.plan import build_plan
from simulation.experiments.schema import load_experiment
from simulation.runner import run_scenario
from simulation.scenario_io import scenario_from_dict
plan = build_plan(load_experiment(sys.argv[1]))
scenarios = {k: scenario_from_dict(v) for k, v in plan.scenario_data().items()}
t0 = time.perf_counter()
for run in plan.runs:
    run_scenario(scenarios[run.scenario], seed=run.seed)
print(time.perf_counter() - t0)
"""

TINY_SCENARIO = """\
name: tiny
steps: 10
world: {generate: {count: 10}}
institutions:
  Bloc: {kind: hegemonic, founders: {by: capability, count: 3}}
"""


def tiny_experiment(folder: Path, runs: int) -> Path:
    (folder / "tiny.yaml").write_text(TINY_SCENARIO)
    path = folder / f"tiny_{runs}.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: tiny_{runs}
        scenarios: [tiny.yaml]
        replications: {runs}
        seed: 1
        summary: {{metrics: [mean_tension, crisis_rate, size@Bloc], window: 5}}
        """))
    return path


def timed(code: str, *args: str) -> tuple[float, int]:
    """Run ``code`` in a fresh interpreter; return (its printed time, peak tree RSS bytes)."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    peak = 0
    parent = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(SAMPLE_S)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed: {args}")
    return float(out.strip().splitlines()[-1]), peak


REPEATS = 2


def sweep_time(experiment: Path, out: Path, executor: str, workers: int) -> tuple[float, int]:
    """Best time and largest peak memory over ``REPEATS`` sweeps (the last one's files are kept)."""
    import shutil

    best, peak = float("inf"), 0
    for _ in range(REPEATS):
        shutil.rmtree(out, ignore_errors=True)
        seconds, memory = timed(SWEEP, str(experiment), str(out), executor, str(workers))
        best, peak = min(best, seconds), max(peak, memory)
    return best, peak


def per_run_overhead(folder: Path) -> tuple[float, float]:
    """(sum of model time, sum of everything else per run) from the run records."""
    model = other = 0.0
    for path in (folder / "runs").glob("*.json"):
        record = json.loads(path.read_text())
        model += record["model_s"]
        other += record["elapsed_s"] - record["model_s"]
    return model, other


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance-sweep.md"))
    parser.add_argument("--experiment", default=str(HEADLINE))
    parser.add_argument("--repeats", type=int, default=2, help="timings are the best of this many")
    args = parser.parse_args()
    global REPEATS
    REPEATS = args.repeats
    experiment = Path(args.experiment)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        tmp = Path(tmp)
        bare = min(timed(BARE, str(experiment))[0] for _ in range(REPEATS))
        serial, _ = sweep_time(experiment, tmp / "serial", "serial", 1)
        one, _ = sweep_time(experiment, tmp / "p1", "processes", 1)
        two, _ = sweep_time(experiment, tmp / "p2", "processes", 2)
        dask, _ = sweep_time(experiment, tmp / "d2", "dask", 2)
        n_runs = len(list((tmp / "serial" / "runs").glob("*.parquet")))
        speedup = one / two
        model_s, other_s = per_run_overhead(tmp / "p1")
        per_run = serial / n_runs
        executor_overhead = (one - serial) / n_runs
        overhead_pool = one / bare - 1.0
        dask_ratio = two / dask
        rows += [
            (f"headline sweep ({n_runs} runs): bare model loop", f"{bare:.1f} s ({bare / n_runs * 1000:.0f} ms per run)", "", ""),
            ("headline, serial executor", f"{serial:.1f} s", "", ""),
            ("headline, process pool, 1 worker", f"{one:.1f} s", "", ""),
            ("headline, process pool, 2 workers", f"{two:.1f} s", "", ""),
            ("speed-up 2 workers / 1 worker", f"{speedup:.2f}x", f">= {TARGETS['speedup']}x", _ok(speedup >= TARGETS["speedup"])),
            ("executor overhead per run (1-worker pool - serial executor) / run",
             f"{executor_overhead / per_run:.1%} ({executor_overhead * 1000:.2f} ms per run)", f"< {TARGETS['overhead']:.0%}",
             _ok(executor_overhead / per_run < TARGETS["overhead"])),
            ("experiment-layer work per run (validate, summarise, write Parquet + record) / model time",
             f"{other_s / model_s:.1%} ({other_s / n_runs * 1000:.1f} ms per run)", "", ""),
            ("whole sweep, 1-worker pool, vs bare model loop (all fixed and per-run costs)", f"+{overhead_pool:.1%}", "", ""),
            ("headline, dask local cluster, 2 workers (incl. cluster start)", f"{dask:.1f} s", "", ""),
            ("dask throughput / process pool throughput", f"{dask_ratio:.2f}x", f">= {TARGETS['dask']}x", _ok(dask_ratio >= TARGETS["dask"])),
        ]
        small_t, small_m = sweep_time(tiny_experiment(tmp, SMALL_RUNS), tmp / "small", "processes", 2)
        large_t, large_m = sweep_time(tiny_experiment(tmp, LARGE_RUNS), tmp / "large", "processes", 2)
        ratio = large_m / small_m
        rows += [
            (f"peak RSS, sweep + workers, {SMALL_RUNS} tiny runs", f"{small_m / 2**20:.0f} MiB ({small_t:.1f} s)", "", ""),
            (f"peak RSS, sweep + workers, {LARGE_RUNS} tiny runs", f"{large_m / 2**20:.0f} MiB ({large_t:.1f} s)", "", ""),
            (f"memory ratio {LARGE_RUNS} / {SMALL_RUNS} runs", f"{ratio:.2f}x", f"<= {TARGETS['memory']}x", _ok(ratio <= TARGETS["memory"])),
        ]
    cpu = psutil.cpu_count(logical=True)
    header = (f"Sweep benchmark (`python benchmarks/bench_sweep.py`), {time.strftime('%Y-%m-%d')}: "
              f"{cpu} logical cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
              f"{os.cpu_count()} cpus seen, affinity {len(os.sched_getaffinity(0))}.\n\n")
    table = "| measure | value | target | met |\n|---|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    text = header + table + "\n"
    print(text)
    Path(args.out).write_text("# Performance of sweeps\n\n" + text)


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


if __name__ == "__main__":
    main()
