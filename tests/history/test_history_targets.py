"""Targets of a hindcast marked met or missed: hand-computed verdicts from score rows, and an
experiment whose scenario entry includes a calibration's overlay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation.experiments.plan import build_plan
from simulation.experiments.schema import Targets, load_experiment
from simulation.history import targets
from simulation.history.hindcast import Scored

ROOT = Path(__file__).resolve().parents[2]


def rows(exits: float, auc: float, brier: tuple[float, float, float]) -> list[dict]:
    return [{"score": "exits_per_decade", "model": exits, "observed": 0.0},
            {"score": "join_auc", "model": auc},
            {"score": "join_brier", "model": brier[0], "baseline_persistence": brier[1], "baseline_logistic": brier[2]}]


def scored() -> list[Scored]:
    """An institution founded in the third of ten compared years (as the SCO in 2001): the record
    is inside the runs' band in 6 of its 8 years; 0.4 exits per decade over all ten years.
    NATO: the same paths ten members higher, existing throughout."""
    years = np.arange(2001, 2011)
    obs = np.array([0, 0, 6, 6, 6, 6, 6, 6, 8, 8], dtype=float)
    runs = np.array([[0, 0, 6, 6, 6, 6, 6, 6, 6, 6], [0, 0, 6, 6, 6, 6, 6, 6, 6, 6], [0, 0, 6, 6, 6, 6, 6, 6, 7, 7]], dtype=float)
    young = Scored("forced", "SCO", rows(0.4, 0.9, (0.05, 0.1, 0.06)), years, obs, runs)
    old = Scored("forced", "NATO", rows(0.2, 0.8, (0.05, 0.1, np.nan)), years, obs + 10, runs + 10)
    return [young, old]


def test_each_target_met_or_missed_with_its_figure():
    table = targets.evaluate(scored(), Targets()).set_index(["institution", "target"])
    sco = table.loc["SCO"]
    assert sco.loc["coverage90", "value"] == pytest.approx(6 / 8) and sco.loc["coverage90", "met"] == "missed"
    assert sco.loc["coverage90", "years"] == "2003-2010"  # the years the institution exists in the record
    assert sco.loc["exits_per_decade", "value"] == pytest.approx(0.4 * 10 / 8) and sco.loc["exits_per_decade", "met"] == "met"
    assert sco.loc["join_auc", "met"] == "met" and sco.loc["join_brier", "met"] == "met"
    nato = table.loc["NATO"]
    # every year counts (it exists throughout): outside the band only in the last two years
    assert nato.loc["coverage90", "value"] == pytest.approx(8 / 10) and nato.loc["coverage90", "met"] == "met"
    assert nato.loc["join_auc", "met"] == "missed"
    assert nato.loc["join_brier", "met"] == "missed"  # a baseline that is undefined is no win


def test_thresholds_move_the_verdicts_and_null_skips_a_target():
    lenient = Targets(coverage90=0.7, exits_per_decade=0.4, join_auc=None, join_brier_beats_baselines=False)
    table = targets.evaluate(scored(), lenient).set_index(["institution", "target"])
    assert set(table.index.get_level_values("target")) == {"coverage90", "exits_per_decade"}
    assert table.loc[("SCO", "coverage90"), "met"] == "met" and table.loc[("SCO", "exits_per_decade"), "met"] == "missed"
    assert table.loc[("NATO", "exits_per_decade"), "met"] == "met"
    text = targets.section(targets.evaluate(scored(), Targets()))
    assert text.startswith("## Targets") and "5 of 8 targets met" in text and "**missed**" in text


def test_an_experiment_entry_includes_an_overlay(tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("dynamics.membership.join_threshold: 0.1234\ninstitutions.Atlantic.params.admission_distance: 0.4321\n")
    scenario = ROOT / "tests" / "experiments" / "scenarios" / "tiny_a.yaml"
    experiment = tmp_path / "e.yaml"
    experiment.write_text(yaml.safe_dump({
        "name": "inc", "replications": 1, "seed": 1, "summary": {"metrics": ["mean_tension"]},
        "scenarios": [{"file": str(scenario), "label": "plain"},
                      {"file": str(scenario), "label": "fitted", "include": ["overlay.yaml"],
                       "overrides": {"institutions.Atlantic.params.admission_distance": 0.5}}]}))
    plan = build_plan(load_experiment(experiment))
    plain, fitted = (yaml.safe_load(plan.scenario_texts[k]) for k in ("plain", "fitted"))
    assert fitted["dynamics"]["membership"]["join_threshold"] == 0.1234
    assert plain["dynamics"]["membership"]["join_threshold"] != 0.1234
    assert fitted["institutions"]["Atlantic"]["params"]["admission_distance"] == 0.5  # the entry's own override wins


def test_a_missing_overlay_is_one_message_at_the_entry(tmp_path, capsys):
    from simulation.cli import main

    experiment = tmp_path / "e.yaml"
    experiment.write_text(f"name: inc\nreplications: 1\nseed: 1\nsummary: {{metrics: [mean_tension]}}\nscenarios:\n  - file: {ROOT / 'tests/experiments/scenarios/tiny_a.yaml'}\n"
                          "    include: [nowhere/overlay.yaml]\n")
    assert main(["sweep", str(experiment), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "e.yaml:7: scenarios.0.include" in err and "no such overlay file" in err


def test_the_shipped_out_of_sample_experiment_plans_with_an_overlay(tmp_path):
    text = (ROOT / "calibration" / "hindcast_postwar_calibrated.yaml").read_text()
    assert "include: [../results/calibration_coldwar/overlay.yaml]" in text
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("institutions.NATO.params.reliability: 0.61\ndynamics.membership.grievance_limit: 0.3\n")
    text = text.replace("../results/calibration_coldwar/overlay.yaml", str(overlay)).replace("../scenarios/", str(ROOT / "scenarios") + "/")
    experiment = tmp_path / "postwar.yaml"
    experiment.write_text(text)
    source = load_experiment(experiment)
    assert source.experiment.observed.targets == Targets()
    plan = build_plan(source)
    resolved = yaml.safe_load(plan.scenario_texts["forced"])
    assert resolved["institutions"]["NATO"]["params"]["reliability"] == 0.61
    assert resolved["history"]["mode"] == "forced"
