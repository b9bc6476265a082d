"""History through the command line: bad history input exits 2 with ``file:line: key: ...``
(for ``validate`` and ``run``, nothing written), and ``run`` writes the membership record and
names who joined and left."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from simulation import cli

DATA = Path(__file__).parent / "data"

# Line numbers in the bad-input cases refer to this text (line 1 is "name: hist").
HIST = textwrap.dedent(
    """\
    name: hist
    seed: 2
    steps: 6
    history: {start_year: 2000, mode: free, forcing_file: forcing.csv}
    world:
      generate: {count: 2}
      states:
        - {name: A, capability: 5.0, regime: 0.9, location: [0, 0]}
        - {name: B, capability: 3.0, regime: 0.2, location: [500, 0]}
        - {name: C, capability: 2.0, regime: 0.8, location: [900, 0]}
    institutions:
      Pact: {kind: hegemonic, leader: A, founders: [A, C]}
      Forum: {kind: dialogue, founders: [B, N]}
    events:
      - {step: 1, kind: enter, state: N, capability: 1.0, regime: 0.5, location: [300, 300]}
      - {step: 2, kind: found, institution: Forum}
      - {step: 3, kind: exit, state: C, successors: [N]}
      - {step: 4, kind: dissolve, institution: Forum}
      - {step: 5, kind: join, state: B, institution: Pact, record: true}
    """
)
FORCING = "year,state,capability,regime\n2001,A,5.0,0.9\n2001,B,3.0,0.25\n"


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "forcing.csv").write_text(FORCING, encoding="utf-8")
    return tmp_path


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


BAD = {
    "unknown state entering later in exit": (("state: C, successors: [N]", "state: Nobody, successors: [N]"), "{file}:17: events.2.state: unknown state 'Nobody'"),
    "unknown successor": (("successors: [N]", "successors: [Nobody]"), "{file}:17: events.2.successors.0: unknown state 'Nobody'"),
    "successor not in the world": (("{step: 3, kind: exit, state: C, successors: [N]}", "{step: 3, kind: exit, state: C, successors: [S001, N]}\n  - {step: 3, kind: exit, state: S001}\n  - {step: 3, kind: exit, state: B, successors: [S001]}"),
                                   "{file}:19: events.4.successors.0: the successor S001 is not in the world at step 3"),
    "entering an active state": (("state: N, capability", "state: B, capability"), "{file}:15: events.0.state: B is already in the world at step 1"),
    "entering under a generated name": (("state: N, capability", "state: S002, capability"), "{file}:15: events.0.state: S002 is the name of a generated state"),
    "exit of a leader": (("state: C, successors", "state: A, successors"), "{file}:17: events.2.state: A leads Pact, which still exists at step 3"),
    "exit of a state not in the world": (("{step: 3, kind: exit", "{step: 3, kind: exit, state: C}\n  - {step: 3, kind: exit"), "{file}:18: events.3.state: C is not in the world at step 3"),
    "found of an undeclared institution": (("kind: found, institution: Forum", "kind: found, institution: Club"), "{file}:16: events.1.institution: unknown institution 'Club'; expected one of ['Forum', 'Pact']"),
    "found twice": (("{step: 4, kind: dissolve, institution: Forum}", "{step: 4, kind: found, institution: Forum}"), "{file}:18: events.3.institution: Forum is already founded before step 4"),
    "hegemonic alliance founded later without a leader": (("Forum: {kind: dialogue, founders: [B, N]}", "Forum: {kind: hegemonic, founders: [B, N]}"),
                                                          "{file}:16: events.1: Forum is founded by an event; a hegemonic alliance founded later needs its leader named (institutions.Forum.leader)"),
    "dissolve of a dormant institution": (("{step: 4, kind: dissolve", "{step: 1, kind: dissolve"), "{file}:18: events.3.institution: Forum is not founded yet at step 1"),
    "dissolve of a dissolved institution": (("{step: 5, kind: join, state: B, institution: Pact, record: true}", "{step: 5, kind: dissolve, institution: Forum}"), "{file}:19: events.4.institution: Forum is already dissolved before step 5"),
    "dissolve of an unknown institution": (("kind: dissolve, institution: Forum", "kind: dissolve, institution: Nato"), "{file}:18: events.3.institution: unknown institution 'Nato'"),
    "founder not in the world": (("{step: 1, kind: enter", "{step: 3, kind: enter"), "{file}:16: events.1: the founder N of Forum is not in the world at step 2"),
    "join of a state not in the world": (("state: B, institution: Pact, record", "state: C, institution: Pact, record"), "{file}:19: events.4.state: C is not in the world at step 5"),
    "new state without location": ((", location: [300, 300]}", "}"), "{file}:15: events.0.location: the new state N has no location"),
    "moving a capital": (("state: N, capability: 1.0, regime: 0.5, location: [300, 300]}", "state: N, capability: 1.0, regime: 0.5, location: [300, 300]}\n  - {step: 4, kind: exit, state: N}\n  - {step: 5, kind: enter, state: N, capability: 1.0, regime: 0.5, location: [1, 1]}"),
                         "{file}:17: events.2.location: N's capital is already at [300.0, 300.0]"),
    "enter with a bad regime": (("regime: 0.5, location", "regime: 1.5, location"), "{file}:15: events.0.regime: expected a number between 0 and 1"),
    "record that is not a boolean": (("record: true", "record: maybe"), "{file}:19: events.4.record: expected"),
    "unknown mode": (("mode: free", "mode: replay"), "{file}:4: history.mode: expected"),
    "forced without forcing file": (("mode: free, forcing_file: forcing.csv", "mode: forced"), "{file}:4: history.forcing_file: mode forced sets capability and regime from data each year; expected history.forcing_file"),
    "missing forcing file": (("forcing_file: forcing.csv", "forcing_file: nothere.csv"), "{file}:4: history.forcing_file: no such file"),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_history_input_exits_2_with_file_line_and_key(capsys, folder, case, command):
    (old, new), expected = BAD[case]
    assert old in HIST, case
    path = folder / "hist.yaml"
    path.write_text(HIST.replace(old, new), encoding="utf-8")
    argv = [command, path] if command == "validate" else [command, path, "--out", folder / "out"]
    code, _, stderr = run_cli(capsys, *argv)
    assert code == 2, stderr
    assert stderr.startswith("error: " + expected.format(file=path)), stderr
    assert "Traceback" not in stderr
    assert not (folder / "out").exists()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("year,state,capability\n", "{csv}:1: expected columns year,state,capability,regime in the first line"),
        ("year,state,capability,regime\n2001,A,-1,0.5\n", "{csv}:2: expected a capability > 0, got '-1'"),
        ("year,state,capability,regime\n2001,A,1,0.5\n2001,B,1,1.5\n", "{csv}:3: expected a regime between 0 and 1, got '1.5'"),
        ("year,state,capability,regime\n2001,A,1,0.5\n2001,A,2,0.5\n", "{csv}:3: a second row for A in 2001 (first on line 2)"),
        ("year,state,capability,regime\nlate,A,1,0.5\n", "{csv}:2: expected a whole year, got 'late'"),
        ("year,state,capability,regime\n2001,A,1\n", "{csv}:2: expected 4 values"),
        ("", "{csv}: the file is empty"),
    ],
)
def test_a_bad_forcing_file_names_the_csv_and_its_line(capsys, folder, text, expected):
    (folder / "forcing.csv").write_text(text, encoding="utf-8")
    path = folder / "hist.yaml"
    path.write_text(HIST, encoding="utf-8")
    code, _, stderr = run_cli(capsys, "validate", path)
    assert code == 2
    assert stderr.startswith(f"error: {path}:4: history.forcing_file: " + expected.format(csv=folder / "forcing.csv")), stderr


def test_run_writes_the_membership_record_and_names_joiners_and_leavers(capsys, tmp_path):
    for name in ("tiny_history.yaml", "tiny_history_distances.csv", "tiny_history_forcing.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(capsys, "run", tmp_path / "tiny_history.yaml", "--out", out, "--set", "mechanisms.membership=false")
    assert code == 0, stderr
    log = pd.read_csv(out / "memberships.csv", keep_default_na=False)
    assert list(log.columns) == ["step", "year", "state", "institution", "change"]
    assert log[log["change"] == "dissolve"][["year", "institution"]].values.tolist() == [[1992, "WTO"]]
    assert log[log["change"] == "found"]["institution"].tolist() == ["NATO", "WTO", "SCO"]
    founders = log[(log["step"] == 4) & (log["change"] == "join")]["state"].tolist()
    assert founders == ["RUS", "CHN", "KAZ"]
    assert "  WTO (dissolved in 1992)" in stdout and "  SCO (founded in 1994)" in stdout
    assert "    joined: 3 states: CZE, CZR, SLO" in stdout
    assert "    left:   1 state: CZE" in stdout
    assert "entered the world: 4 states: KAZ, UKR, CZR, SLO" in stdout
    assert "memberships.csv" in stdout
    # The resolved scenario keeps the history block and reproduces the record byte for byte.
    again = tmp_path / "again"
    assert run_cli(capsys, "run", out / "scenario.resolved.yaml", "--out", again)[0] == 0
    assert (again / "memberships.csv").read_bytes() == (out / "memberships.csv").read_bytes()
    assert (again / "timeseries.csv").read_bytes() == (out / "timeseries.csv").read_bytes()


def test_a_generated_world_writes_a_record_with_empty_years(capsys, tmp_path):
    path = tmp_path / "gen.yaml"
    path.write_text(HIST.replace("history: {start_year: 2000, mode: free, forcing_file: forcing.csv}\n", ""), encoding="utf-8")
    assert run_cli(capsys, "run", path, "--out", tmp_path / "out")[0] == 0
    text = (tmp_path / "out" / "memberships.csv").read_text().splitlines()
    assert text[0] == "step,year,state,institution,change"
    assert text[1] == "0,,,Pact,found" and text[2] == "0,,A,Pact,join"
