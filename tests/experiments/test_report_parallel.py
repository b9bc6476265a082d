"""The report's figures drawn by several processes are the same bytes as drawn by one."""

from __future__ import annotations

import json
import subprocess
import sys

from simulation.experiments import figures
from simulation.experiments.sweep import sweep

GRID = {"type": "grid", "parameters": {"dynamics.tension.noise": {"values": [0.01, 0.05]},
                                       "dynamics.threats.emergence": {"values": [0.02, 0.08]}}}
FIGURES = [{"kind": "comparison"}, {"kind": "differences"}, {"kind": "heatmap", "metrics": ["mean_tension"]},
           {"kind": "timeseries", "metrics": ["mean_tension"]}]


def _swept(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(design=GRID, figures=FIGURES, replications=2), out=out, executor="serial")
    return out


#: Runs the report in a fresh interpreter (no thread left by another test, so forking is
#: allowed), counting the children forked; with "fail", every child fails.
REPORT = """
import json, os, sys
from simulation.experiments import figures
from simulation.experiments.report import build_report
forked, parent, real_fork, real_draw = [], os.getpid(), figures._fork_drawing, figures._draw
figures._fork_drawing = lambda res, share: forked.append([j.stem for j in share]) or real_fork(res, share)
def draw(res, job, aggregates):
    if sys.argv[3] == "fail" and os.getpid() != parent:
        raise RuntimeError("child failed")
    return real_draw(res, job, aggregates)
figures._draw = draw
build_report(sys.argv[1], workers=int(sys.argv[2]))
print(json.dumps(forked))
"""


def _report_in_fresh_interpreter(out, workers: int, mode: str = "ok") -> list[list[str]]:
    for path in (out / "figures").iterdir():
        path.unlink()
    done = subprocess.run([sys.executable, "-c", REPORT, str(out), str(workers), mode], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_figures_drawn_in_parallel_are_identical(make_experiment, tmp_path, read_bytes):
    out = _swept(make_experiment, tmp_path)
    serial = read_bytes(out, "report.md", "figures/*", "aggregates.csv")
    assert len([k for k in serial if k.endswith(".png")]) == 5  # comparison, differences, heatmap, timeseries, effects
    forked = _report_in_fresh_interpreter(out, 2)
    # the time series stays in the parent (it alone builds aggregates.csv); the 4 others go to 2 children
    assert sorted(s for share in forked for s in share) == ["comparison", "differences", "effects", "heatmap"]
    assert len(forked) == 2
    assert read_bytes(out, "report.md", "figures/*", "aggregates.csv") == serial


def test_a_failing_child_is_redrawn_here(make_experiment, tmp_path, read_bytes):
    out = _swept(make_experiment, tmp_path)
    serial = read_bytes(out, "report.md", "figures/*")
    assert len(_report_in_fresh_interpreter(out, 3, "fail")) == 3  # every child failed; the parent drew their figures
    assert read_bytes(out, "report.md", "figures/*") == serial


def test_one_worker_or_other_threads_draw_here(monkeypatch):
    import threading

    assert not figures._can_fork(1)
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # e.g. a dask client's event loop
    assert not figures._can_fork(2)
