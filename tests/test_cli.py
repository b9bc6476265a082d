"""The ``alliance-sim`` command line, run in-process into temporary folders.

A user's mistake must end with exit code 2 and one message on stderr naming the file, the
line where known, the key path and what was expected; never a traceback, and nothing
written.  Results are written atomically and reproduce byte for byte from the resolved file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simulation import cli, cli_run
from simulation.runner import run_scenario
from simulation.scenario_io import load_scenario

# Line numbers in the bad-input cases refer to this text (line 1 is "name: tiny").
TINY = textwrap.dedent(
    """\
    name: tiny
    seed: 3
    steps: 5
    world:
      generate:
        count: 8
      states:
        - {name: A, capability: 5.0, regime: 0.9, location: [0, 0]}
        - {name: B, capability: 3.0, regime: 0.2, location: [500, 0]}
    institutions:
      Atlantic:
        kind: hegemonic
        founders: [A, S001]
        params:
          interference: 0.1
      Forum:
        kind: dialogue
        founders: [B, S002]
    events:
      - {step: 2, kind: threat, states: [A]}
    """
)
RESULT_FILES = {"timeseries.csv", "scenario.resolved.yaml", "overview.png"}


@pytest.fixture
def scenario_file(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listing(folder: Path) -> set[str]:
    """Every path under ``folder``, hidden ones included."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------


def test_run_writes_the_three_files_and_prints_a_summary(capsys, scenario_file, tmp_path):
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(capsys, "run", scenario_file, "--out", out)
    assert code == 0, stderr
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    for metric in ("mean_tension", "dispute_rate", "crisis_rate", "aligned_share_dialogue", "member_tension", "cohesion", "survival"):
        assert metric in stdout
    assert "Atlantic (hegemonic)" in stdout and "Forum (dialogue)" in stdout
    assert "step 0" in stdout and "step 5" in stdout and "mean 1-5" in stdout
    assert f"wrote {out}" in stdout and "wall time" in stdout
    assert (out / "overview.png").read_bytes().startswith(b"\x89PNG")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left

    table = pd.read_csv(out / "timeseries.csv")
    assert list(table.columns) == ["step", "metric", "scope", "value"]
    assert set(table["scope"]) == {"world", "Atlantic", "Forum"}
    assert sorted(table["step"].unique()) == list(range(6))
    assert table.equals(cli_run.tidy_timeseries(table))  # already sorted and typed
    expected = cli_run.tidy_timeseries(run_scenario(load_scenario(scenario_file)))
    pd.testing.assert_frame_equal(table, expected, check_exact=True)  # floats round-trip exactly


def test_resolved_file_reproduces_the_run_byte_for_byte(capsys, scenario_file, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_cli(capsys, "run", scenario_file, "--out", first, "--seed", "7", "--steps", "4", "--set", "institutions.Forum.params.dialogue_intensity=0.1")[0] == 0
    resolved = yaml.safe_load((first / "scenario.resolved.yaml").read_text())
    assert (resolved["seed"], resolved["steps"]) == (7, 4)
    assert resolved["institutions"]["Forum"]["params"]["dialogue_intensity"] == 0.1
    assert run_cli(capsys, "run", first / "scenario.resolved.yaml", "--out", second)[0] == 0
    assert (first / "timeseries.csv").read_bytes() == (second / "timeseries.csv").read_bytes()
    assert (first / "overview.png").read_bytes() == (second / "overview.png").read_bytes()
    assert (first / "scenario.resolved.yaml").read_text() == (second / "scenario.resolved.yaml").read_text()


def test_default_folder_is_results_runs_name_seed(capsys, scenario_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = run_cli(capsys, "run", scenario_file, "--seed", "4", "--steps", "2")
    assert code == 0
    out = tmp_path / "results" / "runs" / "tiny-seed4"
    assert {p.name for p in out.iterdir()} == RESULT_FILES


def test_refuses_to_overwrite_without_force_and_replaces_with_it(capsys, scenario_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("earlier results")
    code, stdout, stderr = run_cli(capsys, "run", scenario_file, "--out", out)
    assert code == 2
    assert stderr.startswith("error: ") and "--force" in stderr and str(out) in stderr
    assert listing(out) == {"old.txt"}

    code, _, stderr = run_cli(capsys, "run", scenario_file, "--out", out, "--force")
    assert code == 0, stderr
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_empty_existing_folder_is_used(capsys, scenario_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert run_cli(capsys, "run", scenario_file, "--out", out)[0] == 0
    assert {p.name for p in out.iterdir()} == RESULT_FILES


def test_existing_results_untouched_when_the_run_is_bad(capsys, scenario_file, tmp_path):
    out = tmp_path / "out"
    assert run_cli(capsys, "run", scenario_file, "--out", out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, _, stderr = run_cli(capsys, "run", scenario_file, "--out", out, "--force", "--set", "steps=-1")
    assert code == 2 and "steps" in stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_failure_while_writing_leaves_old_results_and_no_partial_folder(capsys, scenario_file, tmp_path, monkeypatch, failure):
    out = tmp_path / "out"
    assert run_cli(capsys, "run", scenario_file, "--out", out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken_plot(*args, **kwargs):
        raise failure("stopped while drawing")

    monkeypatch.setattr("simulation.overview.plot_overview", broken_plot)
    if failure is KeyboardInterrupt:
        assert run_cli(capsys, "run", scenario_file, "--out", out, "--force", "--seed", "9")[0] == 130
    else:  # a bug keeps its traceback
        with pytest.raises(RuntimeError):
            cli.main(["run", str(scenario_file), "--out", str(out), "--force", "--seed", "9"])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.yaml"]


# --------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------


def test_validate_ok(capsys, scenario_file, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text("name: other\nworld: {generate: {count: 3}}\n")
    code, stdout, stderr = run_cli(capsys, "validate", scenario_file, other)
    assert code == 0, stderr
    assert stdout.splitlines() == [
        f"ok {scenario_file} (10 states, 2 institutions, 5 steps)",
        f"ok {other} (3 states, 0 institutions, 100 steps)",
    ]
    assert listing(tmp_path) == {"tiny.yaml", "other.yaml"}


def test_validate_reports_every_bad_file(capsys, scenario_file, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("steps: 5", "steps: five"))
    code, stdout, stderr = run_cli(capsys, "validate", bad, scenario_file, tmp_path / "missing.yaml")
    assert code == 2
    assert stdout.splitlines() == [f"ok {scenario_file} (10 states, 2 institutions, 5 steps)"]
    assert stderr.splitlines() == [
        f"error: {bad}:3: steps: expected a whole number between 0 and 100000 (got 'five')",
        f"error: {tmp_path / 'missing.yaml'}: no such file",
    ]


# --------------------------------------------------------------------------------------
# Every bad input: exit 2, one message, no traceback, nothing written
# --------------------------------------------------------------------------------------

BAD_INPUTS = {
    "missing file": (None, [], "{file}: no such file"),
    "bad YAML": (TINY.replace("name: tiny", "name: [tiny"), [], "{file}:2: invalid YAML"),
    "unknown key": (TINY.replace("count: 8", "count: 8\n    colour: red"), [], "{file}:7: world.generate.colour: unknown key; allowed here: count,"),
    "wrong type": (TINY.replace("steps: 5", "steps: five"), [], "{file}:3: steps: expected a whole number between 0 and 100000 (got 'five')"),
    "out of range": (TINY.replace("interference: 0.1", "interference: 1.5"), [], "{file}:15: institutions.Atlantic.params.interference: expected a number between 0 and 1 (got 1.5)"),
    "out of range by --set": (TINY, ["--set", "institutions.Atlantic.params.interference=-1"], "{file}: institutions.Atlantic.params.interference: expected a number between 0 and 1 (got -1) (from --set institutions.Atlantic.params.interference=-1)"),
    "unknown state": (TINY.replace("founders: [A, S001]", "founders: [A, Nobody]"), [], "{file}:13: institutions.Atlantic.founders.1: unknown state 'Nobody'"),
    "unknown state in event": (TINY.replace("states: [A]", "states: [Nobody]"), [], "{file}:20: events.0.states.0: unknown state 'Nobody'"),
    "unknown institution by --set": (TINY, ["--set", "institutions.Atlantc.params.interference=0.2"], "{file}: institutions.Atlantc: unknown institution Atlantc; expected one of ['Atlantic', 'Forum']"),
    "unknown institution in event": (TINY.replace("kind: threat, states: [A]", "kind: join, state: A, institution: Nato"), [], "{file}:20: events.0.institution: unknown institution 'Nato'; expected one of ['Atlantic', 'Forum']"),
    "unknown kind": (TINY.replace("kind: dialogue", "kind: forum"), [], "{file}:17: institutions.Forum.kind: expected one of: hegemonic, dialogue (got 'forum')"),
    "python tag": (TINY.replace("name: tiny", "name: !!python/object:os.system {}"), [], "{file}:1: name: the tag !!python/object:os.system is not allowed"),
    "malformed --set": (TINY, ["--set", "steps"], "--set steps: expected PATH=VALUE"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_one_message_and_writes_nothing(capsys, tmp_path, monkeypatch, case):
    text, extra, expected = BAD_INPUTS[case]
    monkeypatch.chdir(tmp_path)  # the default results folder would appear here
    file = tmp_path / "scenario.yaml"
    if text is not None:
        file.write_text(text, encoding="utf-8")
    before = listing(tmp_path)
    code, stdout, stderr = run_cli(capsys, "run", file, *extra)
    assert code == 2
    assert stderr.startswith("error: " + expected.format(file=file)), stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert stdout == ""
    assert listing(tmp_path) == before


def test_usage_errors_exit_2(capsys, scenario_file):
    assert run_cli(capsys, "run", scenario_file, "--steps", "-3")[0] == 2
    assert run_cli(capsys, "frobnicate")[0] == 2
    assert run_cli(capsys)[0] == 2
    assert run_cli(capsys, "--help")[0] == 0


def test_real_command_line_in_a_subprocess(scenario_file, tmp_path):
    """``python -m simulation`` exits with the code ``main`` returns, and prints no traceback."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("steps: 5", "steps: -5"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "simulation", "validate", str(scenario_file), str(bad)],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=False,
    )
    assert done.returncode == 2
    assert done.stdout == f"ok {scenario_file} (10 states, 2 institutions, 5 steps)\n"
    assert done.stderr == f"error: {bad}:3: steps: expected a whole number between 0 and 100000 (got -5)\n"
