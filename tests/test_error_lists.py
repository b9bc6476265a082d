"""Files with several mistakes list them all (up to 20), one ``file:line: key.path: expected``
line each; a ``world:`` block with neither states nor generate keeps the default generation."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from simulation.cli import main
from simulation.errors import MAX_LISTED_ERRORS, ScenarioError, UserError, several
from simulation.experiments.schema import load_experiment
from simulation.scenario import DEFAULT_GENERATED_STATES
from simulation.scenario_io import load_scenario

BAD_SCENARIO = textwrap.dedent("""\
    name: bad
    steps: -3
    seed: x
    world:
      generate:
        count: 6
        colour: red
    dynamics:
      tension:
        noise: -1
    """)


def test_every_scenario_mistake_is_listed_with_its_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_SCENARIO)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = str(info.value).splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{path}:2", "steps"], [f"{path}:3", "seed"], [f"{path}:7", "world.generate.colour"], [f"{path}:10", "dynamics.tension.noise"]]
    assert all("expected" in line or "unknown key" in line for line in lines)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith(f"error: {path}:") for line in err)


def test_every_experiment_mistake_is_listed(tmp_path, capsys):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "scenarios": ["a.yaml"], "replications": 0, "seed": -1,
                                    "summary": {"metrics": ["mean_tension"], "window": 0}}, sort_keys=False))
    with pytest.raises(UserError) as info:
        load_experiment(path)
    lines = str(info.value).splitlines()
    assert [line.split(": ", 2)[1] for line in lines] == ["replications", "seed", "summary.window"]
    assert all(line.startswith(f"{path}:") and ": expected" in line for line in lines)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 3
    assert not (tmp_path / "out").exists()


def test_at_most_twenty_are_listed_then_counted():
    errors = [UserError("expected x", file="f.yaml", line=i + 1, path=f"k{i}") for i in range(MAX_LISTED_ERRORS + 5)]
    lines = str(several(errors)).splitlines()
    assert len(lines) == MAX_LISTED_ERRORS + 1 and lines[-1] == "... and 5 more problems"
    assert lines[0] == "f.yaml:1: k0: expected x"


def test_one_error_stays_itself():
    err = ScenarioError("expected y", file="f.yaml", line=3, path="a")
    assert several([err, err]) is err


@pytest.mark.parametrize("world", ["world:\n  seed: 4\n", "world:\n  proximity_scale: 3000\n", ""])
def test_a_world_block_without_states_or_generate_keeps_the_default_generation(tmp_path, world):
    path = tmp_path / "w.yaml"
    path.write_text("name: w\nsteps: 2\n" + world)
    assert load_scenario(path).world.generate.count == DEFAULT_GENERATED_STATES == 60


def test_a_world_seed_set_from_the_command_line_keeps_the_generated_states(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("name: w\nsteps: 2\n")
    scenario = load_scenario(path, ["world.seed=4"])
    assert scenario.world.seed == 4 and scenario.world.generate.count == 60


def test_listed_states_alone_generate_none(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("name: w\nsteps: 2\nworld:\n  states:\n    - {name: A, capability: 1, regime: 0.5, location: [0, 0]}\n"
                    "    - {name: B, capability: 2, regime: 0.2, location: [1, 1]}\n")
    assert load_scenario(path).world.generate.count == 0


def test_a_generate_block_without_count_is_an_error_that_says_so(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("name: w\nsteps: 2\nworld:\n  generate:\n    map_size: 3000\n")
    with pytest.raises(ScenarioError, match="expected at least 2 states"):
        load_scenario(path)


def test_an_unknown_state_name_gets_a_did_you_mean(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""\
        name: s
        steps: 2
        world:
          generate: {count: 4}
          states:
            - {name: Germany, capability: 1, regime: 0.9, location: [0, 0]}
        institutions:
          Bloc: {kind: hegemonic, founders: [Germnay, S001]}
        """))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "institutions.Bloc.founders.0: unknown state 'Germnay'" in err and "did you mean Germany?" in err


def test_no_suggestion_when_nothing_is_close(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nsteps: 2\nworld: {generate: {count: 4}}\ninstitutions:\n  Bloc: {kind: hegemonic, founders: [Zzzzzz, S001]}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "unknown state 'Zzzzzz'" in err and "did you mean" not in err
