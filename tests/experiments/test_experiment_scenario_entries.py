"""Scenario entries: one scenario file run several ways (labels and per-scenario overrides),
and the ``notes`` an experiment carries into its report."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import pytest
import yaml

from simulation.cli import main
from simulation.errors import UserError
from simulation.experiments.plan import build_plan
from simulation.experiments.reproduce import reproduce
from simulation.experiments.schema import Experiment, load_experiment
from simulation.experiments.sweep import sweep

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
TINY_A = SCENARIOS / "tiny_a.yaml"

#: tiny_a as it is, and the same file with its alliance recast as a dialogue platform.
VARIANTS = f"""\
name: variants
notes: |
  The *dialogue* variant recasts the alliance as a platform.

  - caveat one
scenarios:
  - {TINY_A}
  - file: {TINY_A}
    label: dialogue
    overrides:
      institutions.Atlantic.kind: dialogue
      dynamics.tension.noise: 0.05
replications: 3
seed: 11
overrides:
  dynamics.tension.noise: 0.01
summary:
  window: 5
  metrics: [mean_tension, crisis_rate, autonomy@Atlantic]
analysis:
  baseline: tiny_a
"""


def _error(make_experiment, text: str) -> UserError:
    path = make_experiment(textwrap.dedent(text))
    with pytest.raises(UserError) as info:
        build_plan(load_experiment(path))
    return info.value


# --- the schema ---------------------------------------------------------------------------

def test_both_forms_parse_and_plain_entries_dump_as_written():
    exp = Experiment.model_validate({
        "name": "x", "replications": 1, "seed": 1, "summary": {"metrics": ["mean_tension"]},
        "scenarios": ["../a/hegemonic.yaml", {"file": "../a/hegemonic.yaml", "label": "recast",
                                               "overrides": {"institutions.A.kind": "dialogue"}}],
    })
    assert exp.labels == ["hegemonic", "recast"]
    assert [e.file for e in exp.scenarios] == ["../a/hegemonic.yaml"] * 2
    assert exp.scenarios[0].overrides == {} and exp.scenarios[1].overrides == {"institutions.A.kind": "dialogue"}
    dumped = exp.model_dump(mode="json")["scenarios"]
    assert dumped[0] == "../a/hegemonic.yaml"  # manifests of path-only experiments are unchanged
    assert dumped[1] == {"file": "../a/hegemonic.yaml", "label": "recast", "overrides": {"institutions.A.kind": "dialogue"}}
    assert Experiment.model_validate(exp.model_dump(mode="json")) == exp
    assert exp.notes == ""


def test_plan_applies_common_then_own_overrides(make_experiment):
    plan = build_plan(load_experiment(make_experiment(VARIANTS)))
    assert plan.labels == ["tiny_a", "dialogue"]
    a, b = (yaml.safe_load(plan.scenario_texts[k]) for k in plan.labels)
    assert a["institutions"]["Atlantic"]["kind"] == "hegemonic" and b["institutions"]["Atlantic"]["kind"] == "dialogue"
    # experiment-wide first, then the entry's own: the entry wins where both set a value
    assert a["dynamics"]["tension"]["noise"] == 0.01 and b["dynamics"]["tension"]["noise"] == 0.05
    assert {r.run_id for r in plan.runs} >= {"tiny_a-p0000-r000", "dialogue-p0000-r002"}


# --- through the whole pipeline -------------------------------------------------------------

@pytest.fixture
def variants(make_experiment, tmp_path):
    experiment = make_experiment(VARIANTS)
    out = tmp_path / "r"
    result = sweep(experiment, out=out, executor="serial")
    assert result.ok == 6 and result.failed == 0
    return experiment, out


def test_two_labelled_variants_of_one_file_give_different_results(variants):
    experiment, out = variants
    with open(out / "summary.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["scenario"] for r in rows] == ["tiny_a", "dialogue"] * 3
    by = {(r["scenario"], r["replication"]): r for r in rows}
    for rep in "012":  # common random numbers: same seed, different rules, different numbers
        a, b = by[("tiny_a", rep)], by[("dialogue", rep)]
        assert a["seed"] == b["seed"]
        assert float(b["autonomy@Atlantic"]) == 1.0 and float(a["autonomy@Atlantic"]) < 1.0
        assert a["mean_tension"] != b["mean_tension"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(manifest["scenarios"]) == ["tiny_a", "dialogue"]
    assert manifest["scenarios"]["dialogue"]["overrides"] == {"institutions.Atlantic.kind": "dialogue", "dynamics.tension.noise": 0.05}
    assert manifest["scenarios"]["tiny_a"]["overrides"] == {}
    assert manifest["scenarios"]["tiny_a"]["file"] == manifest["scenarios"]["dialogue"]["file"]
    resolved = yaml.safe_load((out / "scenarios" / "dialogue.yaml").read_text())
    assert resolved["institutions"]["Atlantic"]["kind"] == "dialogue"
    report = (out / "report.md").read_text()
    assert "## Paired differences from `tiny_a`" in report and "| `dialogue` |" in report
    assert "`institutions.Atlantic.kind: dialogue`" in report


def test_variants_resume_and_reproduce(variants):
    experiment, out = variants
    again = sweep(experiment, out=out, executor="serial", resume=True, report=False)
    assert again.executed == 0 and again.ok == 6
    assert reproduce(out).identical


def test_resume_refuses_changed_entry_overrides(variants, tmp_path):
    experiment, out = variants
    changed = tmp_path / "changed.yaml"
    changed.write_text(experiment.read_text().replace("noise: 0.05", "noise: 0.06"))
    with pytest.raises(UserError, match="changed since these results were started"):
        sweep(changed, out=out, executor="serial", resume=True)


def test_notes_are_printed_and_survive_report(variants, capsys):
    _, out = variants
    report = (out / "report.md").read_text()
    assert "## Notes and caveats\n\nThe *dialogue* variant recasts the alliance as a platform.\n\n- caveat one\n" in report
    assert report.index("## Notes and caveats") < report.index("## What was run")
    (out / "report.md").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_text() == report


def test_no_notes_no_heading(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(replications=1), out=out, executor="serial")
    assert "Notes and caveats" not in (out / "report.md").read_text()


# --- mistakes, each at its line ---------------------------------------------------------------

HEAD = f"""\
name: bad
replications: 1
seed: 1
summary:
  metrics: [mean_tension]
scenarios:
  - {TINY_A}
"""


def test_unknown_key_in_an_entry(make_experiment):
    err = _error(make_experiment, HEAD + f"  - file: {TINY_A}\n    lable: other\n")
    assert err.line == 9 and err.path == "scenarios.1.lable" and "unknown key" in str(err)


def test_an_entry_must_be_a_path_or_a_mapping(make_experiment):
    err = _error(make_experiment, HEAD + "  - [a, b]\n")
    assert err.line == 8 and err.path == "scenarios.1" and "file path, or a mapping" in str(err)


def test_missing_file_in_an_entry(make_experiment):
    err = _error(make_experiment, HEAD + "  - file: nowhere.yaml\n    label: other\n")
    assert err.line == 8 and err.path == "scenarios.1.file" and "not found" in str(err)


def test_duplicate_labels(make_experiment):
    err = _error(make_experiment, HEAD + f"  - {TINY_A}\n")
    assert err.line == 8 and err.path == "scenarios.1" and "distinct scenario labels" in str(err) and "give it a 'label'" in str(err)
    err = _error(make_experiment, HEAD + f"  - file: {SCENARIOS / 'tiny_b.yaml'}\n    label: tiny_a\n")
    assert err.line == 9 and err.path == "scenarios.1.label" and "'tiny_a'" in str(err)


def test_label_must_be_file_name_safe(make_experiment):
    err = _error(make_experiment, HEAD + f"  - file: {TINY_A}\n    label: a/b\n")
    assert err.line == 9 and err.path == "scenarios.1.label"


def test_an_override_the_scenario_refuses_names_its_line(make_experiment, capsys):
    text = HEAD + f"  - file: {TINY_A}\n    label: other\n    overrides:\n      steps: 5\n      dynamics.tension.nosie: 0.1\n"
    err = _error(make_experiment, text)
    assert err.line == 12 and err.path == "scenarios.1.overrides.dynamics.tension.nosie"
    assert "scenario other" in str(err) and "did you mean noise" in str(err)
    err = _error(make_experiment, text.replace("nosie: 0.1", "noise: -1"))
    assert err.line == 12 and err.path == "scenarios.1.overrides.dynamics.tension.noise"
    path = make_experiment(textwrap.dedent(text))
    assert main(["sweep", str(path), "--out", str(path.parent / "never"), "--executor", "serial"]) == 2
    assert f"{path}:12: scenarios.1.overrides.dynamics.tension.nosie" in capsys.readouterr().err


def test_unknown_leader_is_found_before_running(make_experiment):
    text = HEAD + f"  - file: {TINY_A}\n    label: other\n    overrides:\n      institutions.Atlantic.leader: Nowhere\n"
    err = _error(make_experiment, text)
    assert err.line == 11 and err.path == "scenarios.1.overrides.institutions.Atlantic.leader" and "Nowhere" in str(err)


def test_recasting_an_alliance_with_a_leader_needs_leader_null(make_experiment, tmp_path):
    scenario = tmp_path / "led.yaml"
    led = TINY_A.read_text().replace("kind: hegemonic", "kind: hegemonic\n    leader: S001")
    scenario.write_text(led.replace("founders: {by: capability, count: 3}", "founders: [S001, S002, S003]"))
    text = HEAD.replace(str(TINY_A), str(scenario)) + f"  - file: {scenario}\n    label: other\n    overrides:\n      institutions.Atlantic.kind: dialogue\n"
    err = _error(make_experiment, text)
    assert err.line == 10 and err.path == "scenarios.1.overrides" and "leader: null" in str(err)
    ok = text + "      institutions.Atlantic.leader: null\n"
    plan = build_plan(load_experiment(make_experiment(textwrap.dedent(ok))))
    assert yaml.safe_load(plan.scenario_texts["other"])["institutions"]["Atlantic"]["leader"] is None


def test_an_experiment_override_the_scenario_refuses_names_its_line(make_experiment):
    err = _error(make_experiment, HEAD + "overrides:\n  dynamics.tension.nosie: 0.1\n")
    assert err.line == 9 and err.path == "overrides.dynamics.tension.nosie"
