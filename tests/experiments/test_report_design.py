"""Reports answer the design's question: each grid parameter against each metric with CIs,
per-point tables in the design's labels, CI half-widths on heat maps, pooled figures say
so, and a parameter that changes nothing is named as inert (and an active one is not)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.cli import main
from simulation.experiments import analysis
from simulation.experiments.sweep import sweep

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
GRID = ROOT / "results" / "interference_sweep"


def _planted(tmp_path: Path, active: str, inert: str) -> Path:
    """The committed 5 x 5 grid with every metric a function of ``active`` plus noise."""
    copy = tmp_path / "grid"
    # the committed files only, as on a fresh clone (a local sweep may have left per-run files)
    shutil.copytree(GRID, copy, ignore=shutil.ignore_patterns("runs", "records", "memberships"))
    table = pd.read_csv(copy / "summary.csv")
    rng = np.random.default_rng(3)
    metrics = [c for c in table.columns if c not in ("run_id", "scenario", "point", "replication", "seed", "status")
               and not c.startswith("institutions.")]
    for column in metrics:
        table[column] = 10.0 * table[f"institutions.Atlantic.params.{active}"] + rng.normal(0.0, 0.1, len(table))
    table.to_csv(copy / "summary.csv", index=False)
    return copy


def test_report_names_the_inert_parameter_and_not_the_active_one(tmp_path):
    copy = _planted(tmp_path, active="interference", inert="umbrella")
    assert main(["report", str(copy)]) == 0
    text = (copy / "report.md").read_text()
    assert "Inert within noise: **umbrella**" in text and "**interference**" not in text.split("Inert within noise")[1].split("\n")[0]
    res = analysis.StoredResults.load(copy)
    inert, how = analysis.inert_parameters(res)
    assert inert == ["institutions.Atlantic.params.umbrella"] and "ANOVA" in how


def test_no_parameter_is_inert_when_both_act(tmp_path):
    copy = _planted(tmp_path, active="interference", inert="umbrella")
    table = pd.read_csv(copy / "summary.csv")
    table["crisis_rate"] = 10.0 * table["institutions.Atlantic.params.umbrella"] + np.random.default_rng(4).normal(0, 0.1, len(table))
    table.to_csv(copy / "summary.csv", index=False)
    inert, _ = analysis.inert_parameters(analysis.StoredResults.load(copy))
    assert inert == []


def test_grid_tables_use_labels_and_heat_maps_show_ci_width(tmp_path):
    copy = _planted(tmp_path, active="interference", inert="umbrella")
    assert main(["report", str(copy)]) == 0
    text = (copy / "report.md").read_text()
    assert "| interference = 0.0, umbrella = 0.0 |" in text.replace("| two_blocs ", "").replace("| hegemonic | ", "| ")
    assert "institutions.Atlantic.params" not in text.split("## Results by scenario")[1]
    assert "± 95% CI half-width" in text  # the heat map's caption
    assert "each value pooled over the other parameters' values" in text  # the effects figure and tables
    assert (copy / "figures" / "effects.png").is_file()
    effects = analysis.grid_effects(analysis.StoredResults.load(copy))
    row = effects[(effects["parameter"].str.endswith("interference")) & (effects["value"] == 0.4) & (effects["metric"] == "crisis_rate")]
    assert row["n"].iloc[0] == 100 and abs(row["mean"].iloc[0] - 4.0) < 0.05


def test_one_parameter_grid_is_not_called_pooled(tmp_path):
    data = {"name": "one", "description": "t", "replications": 2, "seed": 3,
            "scenarios": [str(SCENARIOS / "tiny_a.yaml"), str(SCENARIOS / "tiny_b.yaml")],
            "design": {"type": "grid", "parameters": {"world.generate.count": {"values": [8, 10], "label": "states"}}},
            "summary": {"metrics": ["mean_tension"], "window": 5}}
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(data))
    sweep(path, out=tmp_path / "r", executor="serial")
    text = (tmp_path / "r" / "report.md").read_text()
    caption = next(line for line in text.splitlines() if line.startswith("*") and "effect of each design parameter" in line)
    assert "pooled" not in caption
    assert "states = 8" in text and "world.generate.count =" not in text
