"""Reading, overriding and writing scenario files (``simulation.scenario_io``).

Every bad input must become one ``ScenarioError``/``UserError`` whose message names the file,
the line where known, the key path and what was expected; the resolved dump must load back
into an equal scenario.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation.errors import ScenarioError, UserError
from simulation.scenario import Scenario
from simulation.scenario_io import (
    Override,
    apply_overrides,
    check_scenario,
    dump_resolved,
    load_scenario,
    load_scenario_with_source,
    scenario_from_dict,
    scenario_warnings,
    with_overrides,
)

# Line numbers below refer to this text (line 1 is "name: tiny").
TINY = textwrap.dedent(
    """\
    name: tiny
    seed: 3
    steps: 5
    world:
      generate:
        count: 6
      states:
        - {name: A, capability: 5.0, regime: 0.9, location: [0, 0]}
        - {name: B, capability: 3.0, regime: 0.2, location: [500, 0]}
    institutions:
      Atlantic:
        kind: hegemonic
        founders: [A, S001]
      Forum:
        kind: dialogue
        founders: [B, S002]
    events:
      - {step: 2, kind: threat, states: [A]}
      - {step: 3, kind: crisis, states: [B]}
    """
)


@pytest.fixture
def write(tmp_path):
    """Write scenario text to a file in ``tmp_path`` and return its path."""

    def _write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def error_of(path, overrides=()) -> UserError:
    with pytest.raises(UserError) as info:
        load_scenario(path, overrides)
    return info.value


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def test_loads_a_valid_file(write):
    s = load_scenario(write(TINY))
    assert isinstance(s, Scenario)
    assert (s.name, s.seed, s.steps) == ("tiny", 3, 5)
    assert list(s.institutions) == ["Atlantic", "Forum"]
    assert s.events[1].kind == "crisis"


def test_source_keeps_lines_of_keys_and_list_items(write):
    _, source = load_scenario_with_source(write(TINY))
    assert source.lines[("steps",)] == 3
    assert source.lines[("institutions", "Forum", "kind")] == 15
    assert source.lines[("events", 1)] == 19
    assert source.line_of(source.key_path("institutions.Atlantic.founders.1")) == 13
    assert source.line_of(("institutions", "Atlantic", "params", "umbrella")) == 11  # nearest written key


# --------------------------------------------------------------------------------------
# Messages: file, line, key path, what was expected
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("count: 6", "count: 6\n    colour: red", ":7: world.generate.colour: unknown key; allowed here: count, capability, regime"),
        ("steps: 5", "steps: five", ":3: steps: expected a whole number between 0 and 100000 (got 'five')"),
        ("steps: 5", "steps: 2.5", ":3: steps: expected a whole number"),
        ("regime: 0.9", "regime: 1.9", ":8: world.states.0.regime: expected a number between 0 and 1 (got 1.9)"),
        ("step: 3,", "step: 0,", ":19: events.1.step: expected a whole number >= 1 (got 0)"),
        ("kind: hegemonic", "kind: hegemonik", ":12: institutions.Atlantic.kind: expected one of: hegemonic, dialogue (got 'hegemonik')"),
        ("    kind: dialogue\n", "", ":14: institutions.Forum.kind: missing; expected one of: hegemonic, dialogue"),
        ("kind: crisis", "kind: earthquake", ":19: events.1.kind: expected one of: threat, crisis, rivalry, join, leave, set_param"),
        ("count: 6", "count: 6\n    capability: {mean: 1}", ":7: world.generate.capability.distribution: missing; expected one of: lognormal, pareto, uniform"),
        ("count: 6", "count: 6\n    regime: {distribution: normal}", ":7: world.generate.regime.distribution: expected one of: beta, uniform (got 'normal')"),
        ("count: 6", "count: 6\n    regime: {distribution: uniform, low: 0.8, high: 0.2}", ":7: world.generate.regime: expected high >= low"),
        ("location: [0, 0]", "location: [0, 0, 1]", ":8: world.states.0.location: expected 2 values (got [0, 0, 1])"),
        ("founders: [A, S001]", "founders: 5", ":13: institutions.Atlantic.founders: expected founding members: a list of state names or a selector (got 5)"),
        ("founders: [A, S001]", "founders: {by: capability}", ":13: institutions.Atlantic.founders.count: required key is missing"),
        ("world:", "world: 3\nold_world:", ":4: world: expected a mapping (keys: seed, generate, states"),
    ],
)
def test_schema_errors_name_file_line_path_and_expectation(write, old, new, expected):
    assert old in TINY
    path = write(TINY.replace(old, new, 1))
    err = error_of(path)
    assert isinstance(err, ScenarioError)
    assert str(err).startswith(str(path) + ":")
    assert expected in str(err)
    assert all(line.startswith(f"{path}:") for line in str(err).splitlines())  # one line per problem


def test_unknown_key_suggests_the_closest_allowed_key(write):
    err = error_of(write(TINY.replace("count: 6", "cuont: 6")))
    assert "world.generate.cuont: unknown key" in str(err)
    assert "did you mean count?" in str(err)


def test_several_problems_are_listed_one_per_line(write):
    path = write(TINY.replace("steps: 5", "steps: -1\ncolour: red\nsize: 2"))
    lines = str(error_of(path)).splitlines()
    assert len(lines) == 3
    assert lines[0].endswith(":3: steps: expected a whole number between 0 and 100000 (got -1)")
    assert lines[1].startswith(f"{path}:4: colour: unknown key") and lines[2].startswith(f"{path}:5: size: unknown key")


def test_whole_scenario_rules_are_reported_with_their_reason(write):
    text = TINY.replace("founders: [A, S001]", "founders: [A, S001]\n    leader: B")
    path = write(text)
    scenario, source = load_scenario_with_source(path)
    with pytest.raises(UserError) as info:
        check_scenario(scenario, source)
    assert "institutions.Atlantic.leader: expected the leader 'B' among the founders" in str(info.value)
    text = TINY.replace("count: 6", "count: 0").replace("    - {name: B, capability: 3.0, regime: 0.2, location: [500, 0]}\n", "")
    assert ":4: world: expected at least 2 states" in str(error_of(write(text)))


# --------------------------------------------------------------------------------------
# Bad files
# --------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    err = error_of(path)
    assert str(err) == f"{path}: no such file"


def test_directory_instead_of_file(tmp_path):
    err = error_of(tmp_path)
    assert str(err) == f"{tmp_path}: is a folder, not a scenario file"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(write, text):
    path = write(text)
    assert str(error_of(path)).startswith(f"{path}: the file is empty")


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "a list"), ("just text\n", "the value 'just text'"), ("42\n", "the value 42")])
def test_top_level_must_be_a_mapping(write, text, kind):
    path = write(text)
    assert str(error_of(path)) == f"{path}:1: expected a mapping of keys (name, steps, world, institutions, ...) at the top level, got {kind}"


@pytest.mark.parametrize(
    ("old", "new", "line", "hint"),
    [
        ("name: tiny", "name: [oops", 2, "invalid YAML"),
        ("  generate:", "\tgenerate:", 5, "indent with spaces, not tabs"),
        ("steps: 5", "steps: 5\n  oops: 1", 4, "invalid YAML"),
    ],
)
def test_yaml_syntax_error_has_a_line(write, old, new, line, hint):
    path = write(TINY.replace(old, new, 1))
    err = str(error_of(path))
    assert err.startswith(f"{path}:{line}: invalid YAML")
    assert hint in err


def test_python_tag_is_refused_before_anything_is_built(write, tmp_path):
    marker = tmp_path / "executed"
    path = write(TINY.replace("name: tiny", f"name: !!python/object/apply:os.system ['touch {marker}']"))
    err = error_of(path)
    assert str(err).startswith(f"{path}:1: name: the tag !!python/object/apply:os.system is not allowed")
    assert not marker.exists()


@pytest.mark.parametrize("tagged", ["!!python/object:collections.OrderedDict {}", "!custom 3", "!!python/name:os.system"])
def test_any_unsafe_tag_is_a_user_error(write, tagged):
    err = error_of(write(TINY.replace("steps: 5", f"steps: {tagged}")))
    assert ":3: steps: the tag" in str(err) and "is not allowed" in str(err)


def test_duplicate_key_is_an_error(write):
    err = error_of(write(TINY.replace("seed: 3", "seed: 3\nseed: 4")))
    assert ":3: seed: the key 'seed' appears twice (first on line 2)" in str(err)


def test_not_utf8(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    assert "cannot be read as text" in str(error_of(path))


# --------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------


def test_override_creates_missing_params(write):
    s = load_scenario(write(TINY), ["institutions.Atlantic.params.interference=0.2"])
    assert s.institutions["Atlantic"].params.interference == 0.2
    assert s.institutions["Atlantic"].params.umbrella == 0.5  # the other defaults stay


@pytest.mark.parametrize(
    ("override", "get", "value"),
    [
        ("steps=7", lambda s: s.steps, 7),
        ("mechanisms.crises=false", lambda s: s.mechanisms.crises, False),
        ("institutions.Forum.founders=[A, B]", lambda s: s.institutions["Forum"].founders, ["A", "B"]),
        ("events.0.step=4", lambda s: s.events[0].step, 4),
        ("world.states.1.regime=0.25", lambda s: s.world.states[1].regime, 0.25),
        ("dynamics.tension.noise=0", lambda s: s.dynamics.tension.noise, 0.0),
        ("description=a b = c", lambda s: s.description, "a b = c"),
    ],
)
def test_string_overrides_are_read_as_yaml(write, override, get, value):
    assert get(load_scenario(write(TINY), [override])) == value


def test_mapping_overrides_and_order(write):
    s = load_scenario(write(TINY), {"seed": 11, "dynamics.threats.size": 0.5})
    assert (s.seed, s.dynamics.threats.size) == (11, 0.5)
    assert load_scenario(write(TINY), ["steps=7", "steps=9"]).steps == 9  # applied in order
    s = load_scenario(write(TINY), [Override(("steps",), 2, "--steps 2")])
    assert s.steps == 2


def test_bad_overridden_value_names_the_set_argument_and_no_line(write):
    path = write(TINY)
    err = error_of(path, ["institutions.Atlantic.params.interference=2"])
    assert str(err) == (
        f"{path}: institutions.Atlantic.params.interference: expected a number between 0 and 1 (got 2)"
        " (from --set institutions.Atlantic.params.interference=2)"
    )
    err = error_of(path, ["institutions.Atlantic.params.interferense=0.2"])
    assert "unknown key" in str(err) and "did you mean interference?" in str(err) and "(from --set" in str(err)
    err = error_of(path, [Override(("steps",), 10**9, "--steps 1000000000")])
    assert "steps: expected a whole number between 0 and 100000 (got 1000000000) (from --steps 1000000000)" in str(err)


def test_unknown_institution_in_override(write):
    path = write(TINY)
    err = error_of(path, ["institutions.Atlantc.params.interference=0.2"])
    assert isinstance(err, ScenarioError)
    assert "institutions.Atlantc: unknown institution Atlantc; expected one of ['Atlantic', 'Forum']" in str(err)


@pytest.mark.parametrize("bad", ["steps", "=3", "a..b=3", ".steps=3", " =1"])
def test_malformed_override_is_a_user_error_naming_the_argument(write, bad):
    err = error_of(write(TINY), [bad])
    assert str(err).startswith(f"--set {bad}: expected PATH=VALUE")
    assert "institutions.Atlantic.params.interference=0.2" in str(err)  # an example


def test_malformed_override_is_reported_before_reading_the_file(tmp_path):
    assert str(error_of(tmp_path / "missing.yaml", ["oops"])).startswith("--set oops:")


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("events.5.step=1", "events: expected an item number from 0 to 1 (from --set events.5.step=1)"),
        ("events.x.step=1", "events: expected an item number from 0 to 1"),
        ("steps.x=1", "steps: holds a single value (5), so it has no key 'x'"),
        ("steps=[1", "the value is not valid YAML"),
        ("steps=!!python/object/apply:os.system [ls]", "the value is not valid YAML"),
    ],
)
def test_overrides_that_do_not_fit_the_file(write, override, expected):
    assert expected in str(error_of(write(TINY), [override]))


def test_apply_overrides_copies_its_input():
    data = {"institutions": {"A": {"kind": "dialogue", "founders": ["x", "y"]}}}
    out = apply_overrides(data, ["institutions.A.params.burden=0.01"])
    assert out["institutions"]["A"]["params"] == {"burden": 0.01}
    assert "params" not in data["institutions"]["A"]


# --------------------------------------------------------------------------------------
# Distance file
# --------------------------------------------------------------------------------------


def test_distance_file_is_resolved_relative_to_the_scenario(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "km.csv").write_text("a,b,km\n")
    (tmp_path / "scen").mkdir()
    path = tmp_path / "scen" / "s.yaml"
    path.write_text(TINY.replace("  generate:", "  distance_file: ../data/km.csv\n  generate:"))
    s = load_scenario(path)
    assert s.world.distance_file == str((tmp_path / "data" / "km.csv").resolve())
    assert os.path.isabs(s.world.distance_file)


def test_missing_distance_file_names_the_key(write):
    path = write(TINY.replace("  generate:", "  distance_file: nowhere.csv\n  generate:"))
    err = error_of(path)
    assert str(err).startswith(f"{path}:5: world.distance_file: no such file")


# --------------------------------------------------------------------------------------
# Resolved dump
# --------------------------------------------------------------------------------------


def test_dump_resolved_round_trips_exactly(write):
    tricky = [
        "institutions.Atlantic.params.interference=0.30000000000000004",
        "dynamics.capability.growth_mean=-1.0e-17",
        "world.generate.map_size=1.0e+20",
        "world.states.0.policy=[0.1, 0.3333333333333333]",
        "description='yes'",  # text that YAML would otherwise read as true
    ]
    text_in = TINY.replace("founders: [B, S002]", "founders: [B, S002, 'null', '1.5']\n    description: \"x: y # z\"")
    s = load_scenario(write(text_in), tricky)
    text = dump_resolved(s)
    again = load_scenario(write(text, "resolved.yaml"))
    assert again == s
    assert again.institutions["Atlantic"].params.interference == 0.30000000000000004
    assert again.institutions["Forum"].founders == ["B", "S002", "null", "1.5"]
    assert dump_resolved(again) == text  # stable


def test_dump_resolved_writes_every_default_in_schema_order():
    s = scenario_from_dict({"name": "d", "world": {"generate": {"count": 3}}, "institutions": {"F": {"kind": "dialogue", "founders": ["S001", "S002"]}}})
    text = dump_resolved(s)
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header and "reproduces the run" in " ".join(header)  # says what the file is for
    data = yaml.safe_load(text)
    assert list(data) == list(Scenario.model_fields)
    assert data == s.model_dump(mode="json")
    assert data["institutions"]["F"]["params"]["consensus_cost"] == 2.0
    assert data["dynamics"]["membership"]["burden_cost"] == 10.0
    assert "&" not in text and "*" not in text  # no anchors or aliases


def test_dump_resolved_writes_distance_file_relative_to_its_folder(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "km.csv").write_text("a,b,km\n")
    path = tmp_path / "s.yaml"
    path.write_text(TINY.replace("  generate:", "  distance_file: data/km.csv\n  generate:"))
    s = load_scenario(path)
    out = tmp_path / "results" / "run1"
    out.mkdir(parents=True)
    text = dump_resolved(s, relative_to=out)
    assert yaml.safe_load(text)["world"]["distance_file"] == os.path.join("..", "..", "data", "km.csv")
    (out / "scenario.resolved.yaml").write_text(text)
    assert load_scenario(out / "scenario.resolved.yaml") == s


# --------------------------------------------------------------------------------------
# Programmatic use and name checks
# --------------------------------------------------------------------------------------


def test_scenario_from_dict_uses_the_same_messages():
    s = scenario_from_dict({"steps": 3}, overrides=["seed=9"])
    assert (s.steps, s.seed) == (3, 9)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({"steps": -3}, "experiments/e.yaml#scenario")
    assert str(info.value) == "experiments/e.yaml#scenario: steps: expected a whole number between 0 and 100000 (got -3)"
    with pytest.raises(ScenarioError):
        scenario_from_dict(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_with_overrides_revalidates(write):
    s = load_scenario(write(TINY))
    t = with_overrides(s, {"institutions.Forum.params.dialogue_intensity": 0.1})
    assert t.institutions["Forum"].params.dialogue_intensity == 0.1
    assert t.world == s.world
    with pytest.raises(ScenarioError, match="dialogue_intensity: expected a number between 0 and 1"):
        with_overrides(s, {"institutions.Forum.params.dialogue_intensity": -1})


def test_check_scenario_points_at_the_unknown_state(write):
    path = write(TINY.replace("founders: [A, S001]", "founders: [A, Nobody]"))
    scenario, source = load_scenario_with_source(path)
    with pytest.raises(ScenarioError) as info:
        check_scenario(scenario, source)
    assert str(info.value).startswith(f"{path}:13: institutions.Atlantic.founders.1: ")
    assert "Nobody" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        check_scenario(scenario, "named.yaml")  # a plain name: file but no line
    assert str(info.value).startswith("named.yaml: institutions.Atlantic.founders.1: ")


def test_check_scenario_accepts_a_valid_scenario(write):
    scenario, source = load_scenario_with_source(write(TINY))
    check_scenario(scenario, source)


def test_anchors_and_merge_keys_are_plain_yaml(write):
    text = TINY.replace("  Forum:\n    kind: dialogue\n    founders: [B, S002]", "  Forum: &forum\n    kind: dialogue\n    founders: [B, S002]\n  Club:\n    <<: *forum\n    founders: [S003, S004]")
    s = load_scenario(write(text))
    assert s.institutions["Club"].kind == "dialogue"
    assert s.institutions["Club"].founders == ["S003", "S004"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: &a [*a]\n", ":1: name.0: an alias refers to itself"),
        ("name: a\n---\nname: b\n", ":2: invalid YAML: expected a single document"),
        ("? [a, b]\n: 1\n", ":1: invalid YAML: while constructing a mapping: found unhashable key"),
    ],
)
def test_yaml_that_cannot_be_a_scenario(write, text, expected):
    assert expected in str(error_of(write(text)))


# --------------------------------------------------------------------------------------
# Numbers must be finite; capabilities positive
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("steps: 5", "steps: 5\ndynamics: {capability: {growth_mean: .nan}}", ":4: dynamics.capability.growth_mean: expected a number between -1 and 1 (got nan)"),
        ("steps: 5", "steps: 5\ndynamics: {tension: {noise: .inf}}", ":4: dynamics.tension.noise: expected a number between 0 and 10 (got inf)"),
        ("steps: 5", "steps: 5\ndynamics: {tension: {relaxation: -.inf}}", ":4: dynamics.tension.relaxation: expected a number between 0 and 1 (got -inf)"),
        ("steps: 5", "steps: .nan", ":3: steps: expected a whole number between 0 and 100000 (got nan)"),
        ("count: 6", "count: 6\n    map_size: .inf", ":7: world.generate.map_size: expected a finite number > 0 (got inf)"),
        ("count: 6", "count: 6\n    capability: {distribution: uniform, low: 1, high: .inf}", ":7: world.generate.capability.high: expected a finite number (got inf)"),
        ("count: 6", "count: 6\n    capability: {distribution: lognormal, sd: .inf}", ":7: world.generate.capability.sd: expected a finite number >= 0 (got inf)"),
        ("count: 6", "count: 6\n    regime: {distribution: uniform, low: -1.0e308, high: 1.0e308}", ":7: world.generate.regime: expected high - low to be a finite number"),
        ("location: [0, 0]", "location: [.nan, 0]", ":8: world.states.0.location.0: expected a finite number (got nan)"),
        ("kind: crisis, states: [B]", "kind: set_param, institution: Forum, param: settlement, value: .nan", ":19: events.1.value: expected a finite number (got nan)"),
    ],
)
def test_nan_and_infinity_are_refused_with_the_line(write, old, new, expected):
    assert old in TINY
    path = write(TINY.replace(old, new, 1))
    err = str(error_of(path))
    assert err.startswith(str(path) + ":"), err
    assert expected in err, err


@pytest.mark.parametrize("low", ["0", "-5"])
def test_uniform_capabilities_must_be_positive(write, low):
    path = write(TINY.replace("count: 6", f"count: 6\n    capability:\n      distribution: uniform\n      low: {low}\n      high: 2"))
    err = str(error_of(path))
    assert err.startswith(f"{path}:9: world.generate.capability.low: expected a number > 0: capabilities are positive"), err
    ok = load_scenario(write(TINY.replace("count: 6", "count: 6\n    capability: {distribution: uniform, low: 0.5, high: 2}")))
    assert ok.world.generate.capability.low == 0.5


def test_capabilities_drawn_too_large_are_refused_when_checked(write):
    path = write(TINY.replace("count: 6", "count: 6\n    capability: {distribution: lognormal, mean: 1000, sd: 1}"))
    scenario, source = load_scenario_with_source(path)
    with pytest.raises(ScenarioError) as info:
        check_scenario(scenario, source)
    assert str(info.value).startswith(f"{path}:7: world.generate.capability: the distribution drew capabilities that are not finite positive numbers (e.g. inf)")


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("world", ":14: institutions.world: this name is reserved for the world-wide results (scope 'world' in timeseries.csv); choose another institution name (got 'world')"),
        ("'a.b'", ":14: institutions.a.b: an institution name cannot contain '.'"),
        ("''", ":14: institutions.'': expected a non-empty institution name"),
        ("' Forum'", ":14: institutions. Forum: an institution name cannot start or end with a space"),
        ("'7'", ":14: institutions.7: an institution name cannot be only digits"),
        ("7", ":14: institutions.7: expected a name (text) as the key (got 7)"),
        ("null", ":14: institutions.null: expected a name as the key (got null, ~ or nothing)"),
        ("~", ":14: institutions.null: expected a name as the key"),
    ],
)
def test_institution_names_must_be_usable_as_scopes_and_paths(write, key, expected):
    path = write(TINY.replace("  Forum:", f"  {key}:"))
    err = str(error_of(path))
    assert err.startswith(str(path) + expected), err


def test_repeated_state_name_points_at_the_repeat(write):
    path = write(TINY.replace("{name: B,", "{name: A,"))
    assert str(error_of(path)) == f"{path}:9: world.states.1.name: the state name 'A' is used twice (first by world.states.0); expected unique names"


def test_policy_of_the_wrong_length_points_at_the_state(write):
    path = write(TINY.replace("location: [500, 0]}", "location: [500, 0], policy: [0.5]}"))
    assert str(error_of(path)).startswith(f"{path}:9: world.states.1.policy: state B: expected policy with 2 values")


def test_founder_listed_twice_is_named(write):
    path = write(TINY.replace("founders: [B, S002]", "founders: [B, S002, B]"))
    scenario, source = load_scenario_with_source(path)
    with pytest.raises(ScenarioError) as info:
        check_scenario(scenario, source)
    assert str(info.value) == f"{path}:16: institutions.Forum.founders.2: B is listed twice among the founders (also as item 0); list each founder once"


# --------------------------------------------------------------------------------------
# Overrides that address list items the file does not have
# --------------------------------------------------------------------------------------

NO_LISTS = textwrap.dedent(
    """\
    name: plain
    world: {generate: {count: 6}}
    institutions:
      Forum:
        kind: dialogue
        founders: {by: capability, count: 3}
    """
)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("events.0.step=1", ": events: has no item 0 (the file has no events); add the list in the file, or set it whole with --set events=[...] (from --set events.0.step=1)"),
        ("events.0={step: 1, kind: crisis, states: [S001]}", ": events: has no item 0 (the file has no events)"),
        ("world.states.0.regime=0.2", ": world.states: has no item 0 (the file has no world.states); add the list in the file"),
        ("institutions.Forum.founders.99=S001", ": institutions.Forum.founders: is a mapping (keys: by, count), not a list, so it has no item 99 (from --set institutions.Forum.founders.99=S001)"),
        ("institutions.Forum.founders.0.x=1", ": institutions.Forum.founders: is a mapping (keys: by, count), not a list, so it has no item 0"),
    ],
)
def test_overrides_into_lists_the_file_does_not_have(write, override, expected):
    path = write(NO_LISTS)
    err = str(error_of(path, [override]))
    assert err.startswith(str(path) + expected), err


def test_a_whole_list_can_still_be_set(write):
    s = load_scenario(write(NO_LISTS), ["events=[{step: 1, kind: crisis, states: [S001]}]", "events.0.step=2"])
    assert s.events[0].step == 2


# --------------------------------------------------------------------------------------
# Distance file contents
# --------------------------------------------------------------------------------------

DIST = textwrap.dedent(
    """\
    name: dist
    world:
      distance_file: km.csv
      states:
        - {name: A, capability: 1, regime: 0.5}
        - {name: B, capability: 2, regime: 0.5}
        - {name: C, capability: 3, regime: 0.5}
    """
)


def check_distances(tmp_path, csv: bytes):
    (tmp_path / "km.csv").write_bytes(csv)
    path = tmp_path / "dist.yaml"
    path.write_text(DIST)
    scenario, source = load_scenario_with_source(path)
    check_scenario(scenario, source)
    return scenario


@pytest.mark.parametrize(
    "csv",
    [
        b"a,b,km\nA,B,5\nA,C,6\nB,C,7\n",
        b"\xef\xbb\xbfa,b,km\r\nA,B,5\r\nA,C,6\r\nB,C,7\r\n",  # Excel: byte-order mark, CRLF
        b"a, b, km\nA, B, 5\nA, C, 6\n\nB, C, 7\nA, Z, 1\n",  # spaces, a blank line, an unknown state
        b"km,b,a,source\n5,B,A,atlas\n6,C,A,atlas\n7,C,B,atlas\n",  # other column order, an extra column
    ],
)
def test_distance_files_that_are_fine(tmp_path, csv):
    from simulation.model import AllianceModel

    model = AllianceModel(check_distances(tmp_path, csv))
    assert model.proximity[0, 1] == pytest.approx(np.exp(-5 / 2000.0))
    assert model.proximity[1, 2] == pytest.approx(np.exp(-7 / 2000.0))


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        (b"a,b,km\nA,B,5\nA,C\nB,C,7\n", "km.csv:3: expected 3 values (a,b,km), got 2"),
        (b"a,b,km\nA,B,5\nA,C,6,9\nB,C,7\n", "km.csv:3: expected 3 values (a,b,km), got 4"),
        (b"a,b,km\nA,B,5\nA,C,far\nB,C,7\n", "km.csv:3: expected a number of km, got 'far'"),
        (b"a,b,km\nA,B,-5\nA,C,6\nB,C,7\n", "km.csv:2: expected a finite number of km >= 0, got '-5'"),
        (b"a,b,km\nA,B,5\nA,C,nan\nB,C,7\n", "km.csv:3: expected a finite number of km >= 0, got 'nan'"),
        (b"a,b,km\nA,B,5\nA,C,6\nB,C,inf\n", "km.csv:4: expected a finite number of km >= 0, got 'inf'"),
        (b"a,b,km\nA,A,3\n", "km.csv:2: expected 0 km from A to itself, got '3'"),
        (b"a,b,km\nA,B,5\nA,C,6\nB,C,7\xff\n", "km.csv:4: cannot be read as text (expected a UTF-8 CSV file with columns a,b,km)"),
        (b"\xff\xfea\x00,\x00b\x00", "km.csv:1: cannot be read as text"),
        (b"x,y,z\n1,2,3\n", "km.csv:1: expected columns a,b,km in the first line (got x,y,z)"),
        (b"", "km.csv: the file is empty; expected a header line a,b,km"),
        (b"a,b,km\nA,B,5\n", "km.csv: no distance for 2 pairs, e.g. A-C; expected every pair of states"),
    ],
)
def test_distance_file_problems_name_the_file_line_and_key(tmp_path, csv, expected):
    with pytest.raises(ScenarioError) as info:
        check_distances(tmp_path, csv)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'dist.yaml'}:3: world.distance_file: {tmp_path / expected}"), message
    assert "\n" not in message


def test_validate_reports_distance_file_problems(tmp_path, capsys):
    from simulation import cli

    (tmp_path / "km.csv").write_bytes(b"a,b,km\nA,B\n")
    path = tmp_path / "dist.yaml"
    path.write_text(DIST)
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {path}:3: world.distance_file: {tmp_path / 'km.csv'}:2: expected 3 values (a,b,km), got 2\n"


# --------------------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------------------


def test_warnings_for_events_that_will_not_happen(write):
    scenario, source = load_scenario_with_source(write(TINY), ["steps=2"])
    assert scenario_warnings(scenario, source) == [f"{source.file}:19: events.1: step 3 is after the last step (2); it will not happen"]
    scenario, source = load_scenario_with_source(write(TINY))
    assert scenario_warnings(scenario, source) == []
    assert scenario_warnings(scenario.model_copy(update={"steps": 0}), "named.yaml") == [
        "named.yaml: events.0: step 2 is after the last step (0); it will not happen",
        "named.yaml: events.1: step 3 is after the last step (0); it will not happen",
    ]
