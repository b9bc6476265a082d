"""Figures survive a fresh clone: per-step aggregates are stored beside summary.csv, the
time-series figures are drawn from them, and a folder without its per-run files redraws
every figure byte for byte; without the data, an existing figure is kept, never emptied."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from simulation.cli import main
from simulation.experiments.sweep import sweep

FIGURES = [{"kind": "comparison"}, {"kind": "differences"},
           {"kind": "timeseries", "metrics": ["mean_tension", "crisis_rate"]},
           {"kind": "timeseries", "metrics": ["cohesion@Atlantic"]}]


@pytest.fixture
def swept(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(figures=FIGURES), out=out, executor="serial")
    return out


def _clone_without_runs(src, dst):
    """What a fresh clone holds: the committed files, not runs/."""
    dst.parent.mkdir()
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("runs"))
    return dst


def test_aggregates_hold_only_what_the_time_series_figures_draw(swept):
    table = pd.read_csv(swept / "aggregates.csv")
    assert list(table.columns) == ["scenario", "point", "metric", "step", "n", "mean", "ci_low", "ci_high"]
    assert set(table["metric"]) == {"mean_tension", "crisis_rate", "cohesion@Atlantic"}
    assert set(table["scenario"]) == {"tiny_a", "tiny_b"} or set(table["scenario"]) == {"tiny_a"}
    world = table[table["metric"] == "mean_tension"]
    assert (world["n"] == 3).all() and world["step"].min() == 0 and world["step"].max() == 10
    assert (world["ci_low"] <= world["mean"]).all() and (world["mean"] <= world["ci_high"]).all()
    # The mean at a step is the mean over the runs' stored values at that step.
    series = [pd.read_parquet(p) for p in sorted((swept / "runs").glob("tiny_a-*.parquet"))]
    at5 = [s[(s["metric"] == "mean_tension") & (s["scope"] == "world") & (s["step"] == 5)]["value"].iloc[0] for s in series]
    stored = world[(world["scenario"] == "tiny_a") & (world["step"] == 5)]["mean"].iloc[0]
    assert stored == pytest.approx(sum(at5) / 3, rel=1e-6)


def test_report_on_a_clone_without_runs_redraws_every_figure_identically(swept, tmp_path, read_bytes, capsys):
    first = read_bytes(swept, "report.md", "figures/*", "summary.csv", "aggregates.csv")
    assert {"figures/timeseries.png", "figures/timeseries-2.svg"} <= set(first)
    clone = _clone_without_runs(swept, tmp_path / "clone" / "r")
    assert not (clone / "runs").exists()
    assert main(["report", str(clone)]) == 0
    assert "warning" not in capsys.readouterr().err
    again = read_bytes(clone, "report.md", "figures/*", "summary.csv", "aggregates.csv")
    # report.md names its folder in the commands it gives; a clone has the same path.
    again["report.md"] = again["report.md"].replace(str(clone.parent).encode(), str(swept.parent).encode())
    for name in first:  # a readable diff of the first differing file
        if again.get(name) != first[name] and name.endswith(".md"):
            import difflib

            diff = "\n".join(difflib.unified_diff(first[name].decode().splitlines(), again[name].decode().splitlines(), lineterm=""))
            assert again[name] == first[name], diff
    assert again == first


def test_without_runs_or_aggregates_the_figure_is_kept_and_said_so(swept, tmp_path, read_bytes, capsys):
    clone = _clone_without_runs(swept, tmp_path / "clone" / "r")
    (clone / "aggregates.csv").unlink()
    before = read_bytes(clone, "figures/*")
    assert main(["report", str(clone)]) == 0
    err = capsys.readouterr().err
    assert "figures/timeseries.png kept as it was" in err and "figures/timeseries-2.png kept as it was" in err
    assert read_bytes(clone, "figures/*") == before  # nothing emptier
    report = (clone / "report.md").read_text()
    assert "(figures/timeseries.png)" in report and "(figures/timeseries-2.png)" in report  # still shown


def test_aggregates_missing_a_metric_do_not_draw_an_emptier_figure(swept, tmp_path, read_bytes, capsys):
    clone = _clone_without_runs(swept, tmp_path / "clone" / "r")
    table = pd.read_csv(clone / "aggregates.csv")
    table[table["metric"] != "cohesion@Atlantic"].to_csv(clone / "aggregates.csv", index=False)
    before = (clone / "figures" / "timeseries-2.png").read_bytes()
    assert main(["report", str(clone)]) == 0
    assert "figures/timeseries-2.png kept as it was" in capsys.readouterr().err
    assert (clone / "figures" / "timeseries-2.png").read_bytes() == before


def test_without_runs_aggregates_or_a_figure_nothing_is_drawn(swept, tmp_path):
    clone = _clone_without_runs(swept, tmp_path / "clone" / "r")
    (clone / "aggregates.csv").unlink()
    for path in (clone / "figures").glob("timeseries*"):
        path.unlink()
    assert main(["report", str(clone)]) == 0
    assert not list((clone / "figures").glob("timeseries*"))
    assert "timeseries" not in (clone / "report.md").read_text()
