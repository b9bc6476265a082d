"""Everything an experiment can get wrong is found before any run: names in the scenarios,
design values that break a scenario, the run seed, labels; and each mistake is one plain
message at its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulation import scenario_io
from simulation.cli import main
from simulation.errors import UserError
from simulation.experiments.plan import build_plan
from simulation.experiments.schema import load_experiment
from simulation.experiments.sweep import sweep

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
TINY_A = SCENARIOS / "tiny_a.yaml"

HEAD = f"""\
name: pre
replications: 1
seed: 1
steps: 2
summary:
  metrics: [mean_tension]
scenarios:
  - {TINY_A}
"""


def _error(make_experiment, text: str) -> UserError:
    path = make_experiment(textwrap.dedent(text))
    with pytest.raises(UserError) as info:
        build_plan(load_experiment(path))
    return info.value


# --- names in a scenario file (no overrides of its own) ---------------------------------------

BROKEN = {  # the scenario's text, words of the message, the line it names
    "unknown founder": ("founders: [S001, Nobody]", "Nobody", 10),
    "single founder": ("founders: [S001]", "at least 2 founders", 10),
    "leader not a founder": ("founders: [S001, S002]\n    leader: S003", "S003", 11),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_scenario_name_error_stops_the_sweep_before_any_run(make_experiment, tmp_path, capsys, case):
    founders, words, line = BROKEN[case]
    scenario = tmp_path / "named.yaml"
    scenario.write_text(TINY_A.read_text().replace("founders: {by: capability, count: 3}", founders))
    path = make_experiment(HEAD.replace(str(TINY_A), str(scenario)))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err
    assert err.count("error: ") == 1 and "Traceback" not in err and words in err
    assert f"{path}:8: scenarios.0: scenario named: {scenario}:{line}: institutions.Atlantic." in err
    assert not out.exists()


# --- design values --------------------------------------------------------------------------

def test_a_grid_value_that_breaks_the_scenario_is_found_before_running(make_experiment, tmp_path, capsys):
    text = HEAD + "design:\n  type: grid\n  parameters:\n    institutions.Atlantic.founders.count:\n      values: [2, 3, 50]\n"
    err = _error(make_experiment, text)
    assert err.path == "design.parameters.institutions.Atlantic.founders.count" and err.line == 13  # the line of the value
    assert "the value 50 breaks scenario tiny_a" in err.detail and "(from " not in err.detail
    out = tmp_path / "out"
    assert main(["sweep", str(make_experiment(text)), "--out", str(out), "--executor", "serial"]) == 2
    assert "the value 50" in capsys.readouterr().err and not out.exists()


def test_a_wrong_path_in_a_sampled_design_is_named(make_experiment):
    text = HEAD + ("design:\n  type: lhs\n  samples: 4\n  parameters:\n    dynamics.tension.noise: {low: 0.0, high: 0.1}\n"
                   "    dynamics.tension.decay: {low: 0.0, high: 0.1}\n")
    err = _error(make_experiment, text)
    assert err.path == "design.parameters.dynamics.tension.decay" and err.line == 14 and "unknown key" in err.detail


def test_a_sampled_bound_that_breaks_the_scenario_is_named(make_experiment):
    text = HEAD + ("design:\n  type: sobol\n  samples: 4\n  parameters:\n    dynamics.tension.noise: {low: 0.0, high: 0.1}\n"
                   "    world.generate.count: {low: 1, high: 12, integer: true}\n")
    err = _error(make_experiment, text)
    assert err.path == "design.parameters.world.generate.count" and err.line == 14
    assert "the low bound 1" in err.detail and "at least 2 states" in err.detail


@pytest.fixture
def builds(monkeypatch) -> list[object]:
    """Every model build (``check_scenario``) during the test."""
    calls: list[object] = []
    real = scenario_io.check_scenario

    def counting(scenario, source):
        calls.append(scenario)
        return real(scenario, source)

    monkeypatch.setattr(scenario_io, "check_scenario", counting)
    return calls


def test_every_grid_point_is_built_once(make_experiment, builds):
    text = HEAD + ("design:\n  type: grid\n  parameters:\n    dynamics.tension.noise: {values: [0.01, 0.02, 0.03]}\n"
                   "    institutions.Atlantic.founders.count: {values: [2, 3]}\n")
    build_plan(load_experiment(make_experiment(text)))
    assert len(builds) == 1 + 3 * 2  # the scenario as it is, then each point


def test_a_sampled_design_builds_only_its_bounds(make_experiment, builds):
    params = "".join(f"    dynamics.tension.{p}: {{low: 0.0, high: 0.1}}\n" for p in ("noise", "relaxation"))
    params += "    dynamics.threats.emergence: {low: 0.0, high: 0.1}\n    world.generate.count: {low: 8, high: 12, integer: true}\n"
    text = HEAD + "design:\n  type: sobol\n  samples: 64\n  parameters:\n" + params
    plan = build_plan(load_experiment(make_experiment(text)))
    assert len(plan.points) == 64 * (2 * 4 + 2)
    assert len(builds) <= 1 + 1 + 2 * 4 + 2  # all at midpoints, each bound with the others there, all low, all high


# --- the run seed, and steps ----------------------------------------------------------------

@pytest.mark.parametrize("where, line, path", [
    ("design:\n  type: grid\n  parameters:\n    seed: {values: [1, 2]}\n", 12, "design.parameters.seed"),
    ("overrides:\n  seed: 3\n", 10, "overrides.seed"),
])
def test_the_run_seed_cannot_be_swept_or_overridden(make_experiment, where, line, path):
    err = _error(make_experiment, HEAD + where)
    assert err.path == path and err.line == line and "root 'seed'" in err.detail


def test_an_entry_cannot_override_the_run_seed(make_experiment):
    err = _error(make_experiment, HEAD + f"  - file: {TINY_A}\n    label: other\n    overrides: {{seed: 3}}\n")
    assert err.path == "scenarios.1.overrides.seed" and err.line == 11 and "root 'seed'" in err.detail


def test_steps_can_be_swept(make_experiment, tmp_path):
    text = HEAD + "design:\n  type: grid\n  parameters:\n    steps: {values: [2, 4]}\n"
    out = tmp_path / "out"
    result = sweep(make_experiment(text), out=out, executor="serial", report=False)
    assert result.ok == 2
    header = (out / "summary.csv").read_text().splitlines()[0].split(",")
    assert header.count("steps") == 1 and header.count("seed") == 1
    import pyarrow.parquet as pq

    lengths = [int(pq.read_table(out / "runs" / f"tiny_a-p000{p}-r000.parquet").column("step").to_numpy().max()) for p in (0, 1)]
    assert lengths == [2, 4]


# --- labels ---------------------------------------------------------------------------------

def test_a_file_stem_must_be_a_valid_label(make_experiment, tmp_path):
    spaced = tmp_path / "my scen.yaml"
    spaced.write_text(TINY_A.read_text())
    err = _error(make_experiment, HEAD.replace(f"  - {TINY_A}\n", f"  - '{spaced}'\n"))
    assert err.path == "scenarios.0" and err.line == 8 and "'my scen'" in err.detail and "label: my_scen" in err.detail
    labelled = HEAD.replace(f"  - {TINY_A}\n", f"  - {{file: '{spaced}', label: my_scen}}\n")
    assert build_plan(load_experiment(make_experiment(labelled))).labels == ["my_scen"]


def test_labels_differing_only_by_case_are_refused(make_experiment):
    err = _error(make_experiment, HEAD + f"  - {{file: {TINY_A}, label: TINY_A}}\n")
    assert err.path == "scenarios.1.label" and err.line == 9 and "more than case" in err.detail


# --- plain messages -------------------------------------------------------------------------

@pytest.mark.parametrize("extra, line, path, message", [
    ("analysis: {baseline: nope}\n", 9, "analysis.baseline", "expected one of the scenario labels ['tiny_a'] (got 'nope')"),
    ("analysis: {confidence: 1.5}\n", 9, "analysis.confidence", "expected a number below 1 (got 1.5)"),
    ("figures: [{kind: comparison, metrics: [crisis_rate]}]\n", 9, "figures.0.metrics.0", "not summarised: crisis_rate"),
    ("figures: [{kind: heatmap}]\n", 9, "figures.0.kind", "exactly 2 parameters"),
    ("design:\n  type: grid\n  parameters:\n    dynamics.tension.noise: {values: [0.1, [1]]}\n", 12,
     "design.parameters.dynamics.tension.noise.values.1", "expected true or false, a whole number, a number or text (got [1])"),
    ("design:\n  type: lhs\n  samples: 2\n  parameters:\n    dynamics.tension.noise: {low: 0.5, high: 0.1}\n", 13,
     "design.parameters.dynamics.tension.noise.high", "expected high > low"),
])
def test_messages_are_plain_and_at_their_line(make_experiment, extra, line, path, message):
    err = _error(make_experiment, HEAD + extra)
    assert (err.line, err.path) == (line, path) and err.detail.startswith("expected") and message in err.detail
    assert "expected: " not in str(err) and "Input should" not in str(err) and "(top level)" not in str(err)


def test_an_empty_list_says_at_least_one_item(make_experiment):
    err = _error(make_experiment, HEAD.replace("[mean_tension]", "[]"))
    assert (err.line, err.path) == (6, "summary.metrics") and err.detail.startswith("expected at least one item")


def test_a_boolean_is_not_a_count(make_experiment):
    err = _error(make_experiment, HEAD.replace("replications: 1", "replications: true"))
    assert err.path == "replications" and "expected a whole number" in err.detail
