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
RESULT_FILES = {"timeseries.csv", "memberships.csv", "scenario.resolved.yaml", "overview.png"}


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
    assert run_cli(capsys, "run", scenario_file, "--out", out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, stdout, stderr = run_cli(capsys, "run", scenario_file, "--out", out, "--seed", "8")
    assert code == 2
    assert stderr.startswith("error: ") and "--force" in stderr and str(out) in stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    code, _, stderr = run_cli(capsys, "run", scenario_file, "--out", out, "--force", "--seed", "8")
    assert code == 0, stderr
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    assert (out / "timeseries.csv").read_bytes() != before["timeseries.csv"]  # replaced
    assert "seed: 8" in (out / "scenario.resolved.yaml").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("foreign", ["notes.txt", ".hidden", "sub/", "timeseries.csv/"])
def test_a_folder_holding_other_files_is_never_replaced(capsys, scenario_file, tmp_path, force, foreign):
    out = tmp_path / "out"
    assert run_cli(capsys, "run", scenario_file, "--out", out)[0] == 0
    if foreign.endswith("/"):  # a folder, even one named like a result file
        name = foreign.rstrip("/")
        if (out / name).exists():
            (out / name).unlink()
        (out / name).mkdir()
        (out / name / "inside.txt").write_text("mine")
    else:
        (out / foreign).write_text("mine")
    before = listing(out)
    contents = {p: (out / p).read_bytes() for p in before if (out / p).is_file()}
    code, stdout, stderr = run_cli(capsys, "run", scenario_file, "--out", out, *(["--force"] if force else []))
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert f"error: {out} holds files that are not results of a run ({foreign.rstrip('/')})" in stderr
    assert "never replaced, even with --force" in stderr
    assert listing(out) == before
    assert {p: (out / p).read_bytes() for p in contents} == contents
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("where", [".", "..", "here"])
def test_never_replaces_the_current_folder_or_one_containing_it(capsys, scenario_file, tmp_path, monkeypatch, where):
    work = tmp_path / "work"
    work.mkdir()
    (work / "mine.txt").write_text("keep")
    monkeypatch.chdir(work)
    if where == "here":  # a folder that holds only run files, but is the current folder
        (work / "mine.txt").unlink()
        (work / "timeseries.csv").write_text("old")
        where = str(work)
    before = listing(tmp_path)
    code, _, stderr = run_cli(capsys, "run", scenario_file, "--out", where, "--force")
    assert code == 2
    assert "is the current folder or contains it" in stderr and "Traceback" not in stderr
    assert listing(tmp_path) == before
    assert Path.cwd() == work


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("afile", "{tmp}/afile exists and is not a folder"),
        ("afile/sub", "cannot create the results folder {tmp}/afile/sub: {tmp}/afile is a file, not a folder"),
        ("afile/sub/deeper", "cannot create the results folder {tmp}/afile/sub/deeper: {tmp}/afile is a file"),
    ],
)
def test_output_places_that_cannot_be_a_folder_are_refused_before_the_run(capsys, scenario_file, tmp_path, monkeypatch, out, expected):
    (tmp_path / "afile").write_text("a file")
    monkeypatch.setattr("simulation.runner.run_scenario", lambda *a, **k: pytest.fail("ran before checking --out"))
    before = listing(tmp_path)
    code, stdout, stderr = run_cli(capsys, "run", scenario_file, "--out", tmp_path / out)
    assert code == 2 and stdout == ""
    assert stderr.startswith("error: " + expected.format(tmp=tmp_path)), stderr
    assert stderr.count("\n") == 1
    assert listing(tmp_path) == before


def test_a_folder_the_system_refuses_is_a_user_error(capsys, scenario_file, tmp_path, monkeypatch):
    """A place where no folder can be made (/proc, read-only disks, no permission)."""
    monkeypatch.setattr("simulation.runner.run_scenario", lambda *a, **k: pytest.fail("ran before checking --out"))
    code, _, stderr = run_cli(capsys, "run", scenario_file, "--out", "/proc/alliance-sim-test/run")
    assert code == 2
    assert stderr.startswith("error: cannot create the results folder /proc/alliance-sim-test/run: cannot write in /proc"), stderr
    assert "Traceback" not in stderr


def test_an_os_error_while_writing_is_a_user_error_and_leaves_nothing(capsys, scenario_file, tmp_path, monkeypatch):
    out = tmp_path / "out"

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli_run, "write_timeseries", full_disk)
    code, _, stderr = run_cli(capsys, "run", scenario_file, "--out", out)
    assert code == 2
    assert stderr == f"error: cannot write the results folder {out}: No space left on device; choose another --out\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


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
    "not a number": (TINY.replace("interference: 0.1", "interference: .nan"), [], "{file}:15: institutions.Atlantic.params.interference: expected a number between 0 and 1 (got nan)"),
    "infinite": (TINY.replace("steps: 5", "steps: 5\ndynamics: {capability: {growth_mean: .inf}}"), [], "{file}:4: dynamics.capability.growth_mean: expected a number between -1 and 1 (got inf)"),
    "reserved institution name": (TINY.replace("  Forum:", "  world:"), [], "{file}:16: institutions.world: this name is reserved for the world-wide results"),
    "founder listed twice": (TINY.replace("founders: [A, S001]", "founders: [A, A]"), [], "{file}:13: institutions.Atlantic.founders.1: A is listed twice among the founders"),
    "--set into a list the file lacks": (TINY, ["--set", "rivalries.0.a=A"], "{file}: rivalries: has no item 0 (the file has no rivalries); add the list in the file"),
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


# --------------------------------------------------------------------------------------
# Warnings: allowed, but probably not meant
# --------------------------------------------------------------------------------------


def test_events_after_the_last_step_are_a_warning_not_an_error(capsys, scenario_file, tmp_path):
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(capsys, "run", scenario_file, "--out", out, "--steps", "1")
    assert code == 0
    assert stderr == f"warning: {scenario_file}:20: events.0: step 2 is after the last step (1); it will not happen\n"
    assert {p.name for p in out.iterdir()} == RESULT_FILES

    late = tmp_path / "late.yaml"
    late.write_text(TINY.replace("step: 2,", "step: 999,"))
    code, stdout, stderr = run_cli(capsys, "validate", late, scenario_file)
    assert code == 0
    assert stdout.splitlines() == [f"ok {late} (10 states, 2 institutions, 5 steps)", f"ok {scenario_file} (10 states, 2 institutions, 5 steps)"]
    assert stderr == f"warning: {late}:20: events.0: step 999 is after the last step (5); it will not happen\n"

    code, _, stderr = run_cli(capsys, "run", scenario_file, "--out", tmp_path / "again", "--set", "events.0.step=6")
    assert code == 0
    assert stderr == f"warning: {scenario_file}:20: events.0: step 6 is after the last step (5); it will not happen (after --set events.0.step=6)\n"


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
