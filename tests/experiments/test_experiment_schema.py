"""Experiment files: mistakes become one message with file, line, key path and expectation."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulation.cli import main
from simulation.errors import UserError
from simulation.experiments.plan import build_plan
from simulation.experiments.schema import load_experiment

SCENARIOS = Path(__file__).resolve().parent / "scenarios"

VALID = f"""\
name: tiny
scenarios: [{SCENARIOS / 'tiny_a.yaml'}]
replications: 2
seed: 1
summary:
  metrics: [mean_tension]
"""


def _error(make_experiment, text: str) -> UserError:
    path = make_experiment(textwrap.dedent(text))
    with pytest.raises(UserError) as info:
        build_plan(load_experiment(path))
    return info.value


def test_valid_file_loads(make_experiment):
    exp = load_experiment(make_experiment(VALID)).experiment
    assert exp.labels == ["tiny_a"] and exp.summary.metrics[0].column == "mean_tension"


def test_misspelt_key_names_line_and_path(make_experiment):
    err = _error(make_experiment, VALID + "replicatoins: 3\n")
    assert err.line == 7 and err.path == "replicatoins" and "unknown key" in str(err)


def test_wrong_value_names_the_nested_path(make_experiment):
    err = _error(make_experiment, VALID.replace("seed: 1", "seed: -4"))
    assert err.line == 4 and err.path == "seed" and "-4" in str(err)


def test_missing_key(make_experiment):
    err = _error(make_experiment, VALID.replace("seed: 1\n", ""))
    assert err.path == "seed" and "missing" in str(err)


def test_duplicate_key_is_refused(make_experiment):
    err = _error(make_experiment, VALID + "seed: 2\n")
    assert err.line == 7 and err.path == "seed" and "appears twice" in err.detail


def test_sobol_needs_a_power_of_two(make_experiment):
    text = VALID + "design:\n  type: sobol\n  samples: 6\n  parameters:\n    a.b: {low: 0, high: 1}\n    a.c: {low: 0, high: 1}\n"
    err = _error(make_experiment, text)
    assert err.path == "design.samples" and err.line == 9 and "power of 2" in str(err)


def test_grid_needs_values(make_experiment):
    text = VALID + "design:\n  type: grid\n  parameters:\n    dynamics.tension.noise: {low: 0, high: 1}\n"
    assert "expected 'values'" in str(_error(make_experiment, text))


def test_unknown_parameter_path_points_at_the_design_line(make_experiment):
    text = VALID + "design:\n  type: grid\n  parameters:\n    dynamics.tension.nosie: {values: [0.1]}\n"
    err = _error(make_experiment, text)
    assert err.line == 10 and err.path == "design.parameters.dynamics.tension.nosie"


def test_out_of_range_bound_is_reported_before_running(make_experiment):
    text = VALID + "design:\n  type: lhs\n  samples: 4\n  parameters:\n    dynamics.tension.noise: {low: -1, high: 1}\n"
    err = _error(make_experiment, text)
    assert err.path == "design.parameters.dynamics.tension.noise" and "tiny_a" in str(err)


def test_missing_scenario_file(make_experiment):
    err = _error(make_experiment, VALID.replace("tiny_a.yaml", "nowhere.yaml"))
    assert err.line == 2 and err.path == "scenarios.0" and "not found" in str(err)


def test_unknown_metric_and_scope(make_experiment):
    err = _error(make_experiment, VALID.replace("[mean_tension]", "[mean_tension, mean_tensoin]"))
    assert err.line == 6 and err.path == "summary.metrics.1" and "unknown world metric" in str(err)
    err = _error(make_experiment, VALID.replace("[mean_tension]", "[cohesion@Pacific]"))
    assert "no scenario has an institution 'Pacific'" in str(err)
    err = _error(make_experiment, VALID.replace("[mean_tension]", "[cohesion]"))
    assert "cohesion@<institution>" in str(err)


def test_figure_needing_another_design(make_experiment):
    err = _error(make_experiment, VALID + "figures: [{kind: heatmap}]\n")
    assert "exactly 2 parameters" in str(err)


def test_scenario_labels_must_differ(make_experiment):
    text = VALID.replace("scenarios: [", f"scenarios: [{SCENARIOS / 'tiny_a.yaml'}, ")
    err = _error(make_experiment, text)
    assert "distinct scenario labels" in str(err) and err.path == "scenarios.1" and err.line == 2


def test_cli_exit_code_2_and_no_traceback(make_experiment, tmp_path, capsys):
    path = make_experiment(VALID + "replicatoins: 3\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--executor", "serial"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"{path}:7: replicatoins" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
