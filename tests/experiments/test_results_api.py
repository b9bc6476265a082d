"""The documented way to read results works as documented: the worked example in
docs/experiments.md runs as written, on the committed folder (no per-run files) and on a
fresh sweep (with them); tables carry the design's labels; old-layout folders still read."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from simulation.errors import UserError
from simulation.experiments.sweep import sweep
from simulation.results import open_results

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "experiments.md"
COMMITTED = "results/interference_sweep"
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def documented_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    part = text.split("### Reading results", 1)[1]
    return re.search(r"```python\n(.*?)```", part, re.S).group(1)


def run_example(code: str, cwd: Path) -> str:
    out = io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})
    return out.getvalue()


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """A fresh sweep over the alliance's interference (label 'interference'), with runs/."""
    import yaml

    tmp = tmp_path_factory.mktemp("api")
    data = {"name": "grid", "description": "test", "scenarios": [str(SCENARIOS / "tiny_a.yaml")], "replications": 2, "seed": 7,
            "design": {"type": "grid", "parameters": {"institutions.Atlantic.params.interference":
                                                      {"values": [0.1, 0.3], "label": "interference"}}},
            "summary": {"metrics": ["mean_tension", "cohesion@Atlantic"], "window": 5}}
    path = tmp / "grid.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp / "results" / "interference_sweep"
    sweep(path, out=out, executor="serial")
    return out


def test_documented_example_runs_on_the_committed_folder():
    printed = run_example(documented_example(), ROOT)
    assert "interference" in printed and "umbrella" in printed


def test_documented_example_runs_on_a_fresh_sweep_with_time_series(grid):
    printed = run_example(documented_example(), grid.parent.parent)
    assert "step" in printed  # the time-series part ran


def test_summary_and_design_carry_the_design_labels(grid):
    r = open_results(grid)
    assert r.design_columns == ["interference"]
    assert set(r.summary["interference"]) == {0.1, 0.3}
    assert list(r.design.columns) == ["point", "interference"] and len(r.design) == 2
    assert r.scores is None and r.manifest["design"]["type"] == "grid"


def test_timeseries_matches_the_per_run_files_and_filters(grid):
    r = open_results(grid)
    table = r.timeseries(metrics=["size", "mean_tension"], scopes=["Atlantic", "world"])
    assert set(table["metric"]) == {"size", "mean_tension"}
    assert set(table["scope"]) <= {"Atlantic", "world"}
    run = r.summary["run_id"].iloc[0]
    raw = pd.read_parquet(grid / "runs" / f"{run}.parquet")
    raw = raw[raw["metric"].isin(["size", "mean_tension"])].sort_values(["metric", "scope", "step"])
    mine = table[table["run_id"] == run].sort_values(["metric", "scope", "step"])
    assert mine["value"].to_numpy().tolist() == raw["value"].to_numpy().tolist()
    point = r.summary.set_index("run_id").loc[run, "interference"]
    assert (mine["interference"] == point).all()


def test_runs_folder_reads_as_one_parquet_dataset(grid):
    table = pd.read_parquet(grid / "runs")
    assert set(table["run_id"].astype(str)) == set(open_results(grid).summary["run_id"])
    assert not list((grid / "runs").glob("*.json")) and len(list((grid / "records").glob("*.json"))) == 4


def test_old_layout_folder_still_reads_and_reproduces(grid, tmp_path):
    """A folder written before records/ existed (records in runs/) still reports and reproduces."""
    from simulation.cli import main

    old = tmp_path / "old"
    shutil.copytree(grid, old)
    for record in (old / "records").glob("*.json"):
        record.rename(old / "runs" / record.name)
    (old / "records").rmdir()
    (old / "summary.csv").unlink()
    assert main(["report", str(old)]) == 0
    assert len(pd.read_csv(old / "summary.csv")) == 4
    assert main(["reproduce", str(old), "--runs", "1"]) == 0
    resumed = sweep(grid.parent.parent / "grid.yaml", out=old, executor="serial", resume=True)
    assert resumed.executed == 0 and resumed.ok == 4  # every old-layout record counts as done


def test_timeseries_on_a_folder_without_runs_says_what_to_do(tmp_path):
    import shutil

    clone = tmp_path / "committed"  # the committed files only, as on a fresh clone (a local sweep may have left runs)
    shutil.copytree(ROOT / COMMITTED, clone, ignore=shutil.ignore_patterns("runs", "records", "memberships", "figures"))
    r = open_results(clone)
    with pytest.raises(UserError, match="no per-run time series"):
        r.timeseries(metrics=["size"])
