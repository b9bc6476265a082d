"""Analysis on stored results only: a frozen hand-made folder, CIs checked by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from simulation.experiments import analysis
from simulation.experiments.analysis import StoredResults
from simulation.experiments.design import sample
from simulation.experiments.schema import Design

FROZEN = Path(__file__).resolve().parent / "fixtures" / "frozen"
# Student t quantiles t(0.975, df), from tables.
T_975 = {3: 3.182446305284263, 4: 2.7764451051977987}


@pytest.fixture
def frozen() -> StoredResults:
    return StoredResults.load(FROZEN)


def test_describe_matches_hand_computation(frozen):
    table = analysis.describe(frozen).set_index(["scenario", "metric"])
    control = table.loc[("control", "conflict_rate")]
    # values 1, 2, 3, 6, 3: mean 3, sum of squares 14, sd sqrt(14/4)
    assert control["n"] == 5 and control["mean"] == pytest.approx(3.0)
    assert control["sd"] == pytest.approx(np.sqrt(3.5))
    half = T_975[4] * np.sqrt(3.5) / np.sqrt(5)  # = 2.322941
    assert half == pytest.approx(2.322941, abs=1e-6)
    assert (control["ci_low"], control["ci_high"]) == pytest.approx((3 - half, 3 + half))
    # the failed treated run is left out: values 2, 2, 5, 7
    treated = table.loc[("treated", "conflict_rate")]
    assert treated["n"] == 4 and treated["mean"] == pytest.approx(4.0)
    # a blank cell (metric missing in one run) is left out: 0.1, 0.2, 0.3, 0.2
    tension = table.loc[("control", "mean_tension")]
    assert tension["n"] == 4 and tension["mean"] == pytest.approx(0.2)
    assert tension["ci_high"] - tension["mean"] == pytest.approx(T_975[3] * np.sqrt(0.02 / 3) / 2)  # = 0.1299227


def test_paired_differences_by_replication(frozen):
    table = analysis.paired_differences(frozen).set_index("metric")
    diff = table.loc["conflict_rate"]
    # pairs (same seed) 0..3: differences 1, 0, 2, 1; replication 4 has no treated run
    assert diff["baseline"] == "control" and diff["n"] == 4 and diff["mean"] == pytest.approx(1.0)
    half = T_975[3] * np.sqrt(2 / 3) / 2  # = 1.299228
    assert half == pytest.approx(1.299228, abs=1e-6)
    assert (diff["ci_low"], diff["ci_high"]) == pytest.approx((1 - half, 1 + half))
    # pairing matters: the unpaired interval of the same means is much wider
    assert half < T_975[3] * np.std([2, 2, 5, 7], ddof=1) / 2


def test_mean_ci_edge_cases():
    assert np.isnan(analysis.mean_ci(np.array([4.0]), 0.95)["ci_low"])
    assert analysis.mean_ci(np.array([]), 0.95)["n"] == 0


def _synthetic(tmp_path: Path, design: Design, function) -> StoredResults:
    """A results folder whose single metric is ``function(x)`` at each design point."""
    folder = tmp_path / "synthetic"
    shutil.copytree(FROZEN, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    points = sample(design, 42)
    settings = manifest["experiment"]["settings"]
    settings.update(design=design.model_dump(mode="json"), replications=1, scenarios=["control.yaml"])
    manifest["design"] = {"type": design.type, "parameters": {}, "seed": 42, "columns": list(points.columns),
                          "points": [list(r) for r in points.rows], "second_order": design.second_order, "levels": design.levels,
                          "problem": {"num_vars": 2, "names": list(points.columns), "bounds": [[0.0, 1.0], [0.0, 1.0]]}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    lines = ["run_id,scenario,point,replication,seed,status," + ",".join(points.columns) + ",conflict_rate,mean_tension"]
    for i, row in enumerate(points.rows):
        lines.append(f"control-p{i:04d}-r000,control,{i},0,1,ok," + ",".join(map(repr, row)) + f",{function(*row)!r},0.5")
    (folder / "summary.csv").write_text("\n".join(lines) + "\n")
    return StoredResults.load(folder)


def test_sobol_indices_of_a_known_function(tmp_path):
    # y = a + 2 b with a, b ~ U(0, 1): variance shares 1/5 and 4/5, no interaction
    design = Design.model_validate({"type": "sobol", "samples": 512, "second_order": False,
                                    "parameters": {"a": {"low": 0, "high": 1}, "b": {"low": 0, "high": 1}}})
    table = analysis.sobol_indices(_synthetic(tmp_path, design, lambda a, b: a + 2 * b)).set_index("parameter")
    assert list(table["metric"].unique()) == ["conflict_rate"]  # the constant metric is skipped
    for name, share in (("a", 0.2), ("b", 0.8)):
        row = table.loc[name]
        assert row["S1"] == pytest.approx(share, abs=0.05) and row["ST"] == pytest.approx(share, abs=0.05)
        assert 0 < row["S1_conf"] < 0.1


def test_morris_of_a_linear_function(tmp_path):
    design = Design.model_validate({"type": "morris", "samples": 10, "levels": 4,
                                    "parameters": {"a": {"low": 0, "high": 1}, "b": {"low": 0, "high": 1}}})
    table = analysis.morris_indices(_synthetic(tmp_path, design, lambda a, b: a + 2 * b)).set_index("parameter")
    table = table[table["metric"] == "conflict_rate"]
    assert table.loc["a", "mu_star"] == pytest.approx(1.0) and table.loc["b", "mu_star"] == pytest.approx(2.0)
    assert table["sigma"].to_numpy() == pytest.approx([0.0, 0.0], abs=1e-9)
