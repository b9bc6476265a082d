"""The report's figures drawn by several processes are the same bytes as drawn by one."""

from __future__ import annotations

import os

from simulation.experiments import figures
from simulation.experiments.report import build_report
from simulation.experiments.sweep import sweep

GRID = {"type": "grid", "parameters": {"dynamics.tension.noise": {"values": [0.01, 0.05]},
                                       "dynamics.threats.emergence": {"values": [0.02, 0.08]}}}
FIGURES = [{"kind": "comparison"}, {"kind": "differences"}, {"kind": "heatmap", "metrics": ["mean_tension"]},
           {"kind": "timeseries", "metrics": ["mean_tension"]}]


def _swept(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(design=GRID, figures=FIGURES, replications=2), out=out, executor="serial")
    return out


def test_figures_drawn_in_parallel_are_identical(make_experiment, tmp_path, read_bytes, monkeypatch):
    out = _swept(make_experiment, tmp_path)
    serial = read_bytes(out, "report.md", "figures/*", "aggregates.csv")
    assert len([k for k in serial if k.endswith(".png")]) == 5  # comparison, differences, heatmap, timeseries, effects
    forked = []
    real = figures._fork_drawing
    monkeypatch.setattr(figures, "_fork_drawing", lambda res, share: forked.append([j.stem for j in share]) or real(res, share))
    for path in (out / "figures").iterdir():
        path.unlink()
    build_report(out, workers=2)
    # the time series stays in this process (it alone builds aggregates.csv); the 4 others go to 2 children
    assert sorted(s for share in forked for s in share) == ["comparison", "differences", "effects", "heatmap"]
    assert len(forked) == 2
    assert read_bytes(out, "report.md", "figures/*", "aggregates.csv") == serial


def test_a_failing_child_is_redrawn_here(make_experiment, tmp_path, read_bytes, monkeypatch):
    out = _swept(make_experiment, tmp_path)
    serial = read_bytes(out, "report.md", "figures/*")
    parent, real = os.getpid(), figures._draw

    def draw(res, job, aggregates):
        if os.getpid() != parent:
            raise RuntimeError("child failed")
        return real(res, job, aggregates)

    monkeypatch.setattr(figures, "_draw", draw)
    for path in (out / "figures").iterdir():
        path.unlink()
    build_report(out, workers=3)
    assert read_bytes(out, "report.md", "figures/*") == serial


def test_one_worker_or_other_threads_draw_here(monkeypatch):
    import threading

    assert not figures._can_fork(1)
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # e.g. a dask client's event loop
    assert not figures._can_fork(2)
