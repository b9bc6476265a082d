"""``export`` round-trips: reading the tidy dataset back gives the per-run files' values
with the design values attached; it streams per scenario and reads in one call."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from simulation.cli import main
from simulation.experiments.sweep import sweep

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    data = {"name": "grid", "description": "test", "replications": 2, "seed": 5,
            "scenarios": [str(SCENARIOS / "tiny_a.yaml"), str(SCENARIOS / "tiny_b.yaml")],
            "design": {"type": "grid", "parameters": {"world.generate.count": {"values": [8, 10], "label": "states"}}},
            "summary": {"metrics": ["mean_tension", "crisis_rate"], "window": 5}}
    path = tmp / "grid.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp / "r"
    sweep(path, out=out, executor="serial")
    return out


def test_parquet_export_round_trips(grid, tmp_path):
    out = tmp_path / "x"
    assert main(["export", str(grid), "--out", str(out)]) == 0
    table = pd.read_parquet(out / "timeseries")
    assert sorted(p.name for p in (out / "timeseries").iterdir()) == ["scenario=tiny_a", "scenario=tiny_b"]
    assert {"run_id", "scenario", "point", "states", "replication", "seed", "step", "metric", "scope", "value"} == set(table.columns)
    raw = pd.read_parquet(grid / "runs")
    key = ["run_id", "metric", "scope", "step"]
    for frame in (table, raw):
        for c in ("run_id", "scenario", "metric", "scope"):
            frame[c] = frame[c].astype(str)
    merged = raw.merge(table, on=key, suffixes=("_raw", ""), validate="one_to_one")
    assert len(merged) == len(raw) == len(table)
    assert (merged["value_raw"].fillna(-1) == merged["value"].fillna(-1)).all()
    assert (merged["scenario_raw"] == merged["scenario"]).all() and (merged["seed_raw"] == merged["seed"]).all()
    summary = pd.read_parquet(out / "summary.parquet")
    states = summary.set_index("run_id")["states"]
    assert (merged["states"] == merged["run_id"].map(states)).all()
    assert set(states) == {8, 10} and len(summary) == 8


def test_csv_export_round_trips(grid, tmp_path):
    out = tmp_path / "c"
    assert main(["export", str(grid), "--format", "csv", "--out", str(out)]) == 0
    table = pd.read_csv(out / "timeseries.csv")
    raw = pd.read_parquet(grid / "runs")
    assert len(table) == len(raw)
    assert abs(table["value"].sum() - raw["value"].sum()) < 1e-9 * max(1.0, abs(raw["value"].sum()))
    assert list(pd.read_csv(out / "summary.csv")["states"].unique()) == [8, 10]


def test_export_of_a_clone_without_runs_exports_the_summary_and_says_so(tmp_path, capsys):
    import shutil

    copy = tmp_path / "sens"
    shutil.copytree(ROOT / "results" / "interference_sweep", copy, ignore=shutil.ignore_patterns("figures", "runs"))  # as on a fresh clone
    assert main(["export", str(copy)]) == 0
    assert "no per-run time series" in capsys.readouterr().err
    summary = pd.read_parquet(copy / "export" / "summary.parquet")
    assert len(summary) == 500 and {"interference", "umbrella"} <= set(summary.columns)


def test_export_refuses_a_folder_that_is_not_results(tmp_path, capsys):
    assert main(["export", str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err and not (tmp_path / "export").exists()
