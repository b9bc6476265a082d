"""Hostile input files: each is refused with one message (exit 2) in bounded time and memory.

Each test is written from a reproduction of the adversarial review (issue "Trust"), run as a
subprocess under a 1 GB memory limit and a 10 s CPU limit (``trust_bounds``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from trust_bounds import run_bounded

from simulation.errors import ScenarioError, UserError
from simulation.experiments.store import MAX_MANIFEST_BYTES, ResultsFolder, read_json_bounded
from simulation.scenario_io import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, load_scenario

ROOT = Path(__file__).resolve().parents[2]
TWO_BLOCS = ROOT / "scenarios" / "two_blocs.yaml"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The classic billion-laughs document: ``width ** levels`` values in a few hundred bytes."""
    names = "abcdefghijklmnopqrstuvwxyz"
    lines = [f"a: &a [{','.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"{names[level]}: &{names[level]} [{','.join(['*' + names[level - 1]] * width)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_file_is_refused_fast(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    assert path.stat().st_size < 400  # the review's bomb was 381 bytes
    result = run_bounded("validate", str(path))
    assert result.refused(), result
    assert f"{MAX_YAML_NODES:,} values" in result.stderr and "aliases" in result.stderr


def test_ten_level_alias_bomb_is_refused_fast(tmp_path):
    path = tmp_path / "bomb10.yaml"
    path.write_text(alias_bomb(levels=10, width=10))
    result = run_bounded("validate", str(path))
    assert result.refused(), result


def test_alias_bomb_in_a_set_value_is_refused_fast(tmp_path):
    value = "{" + alias_bomb().replace("\n", ", ").rstrip(", ") + "}"
    assert len(value) < 400
    result = run_bounded("run", str(TWO_BLOCS), "--steps", "1", "--out", str(tmp_path / "o"), "--set", f"description={value}")
    assert result.refused(), result
    assert "--set description=" in result.stderr and not (tmp_path / "o").exists()


def test_alias_bomb_in_an_experiment_file_is_refused_fast(tmp_path):
    path = tmp_path / "experiment.yaml"
    path.write_text(alias_bomb() + f"name: x\nscenarios: [{TWO_BLOCS}]\nreplications: 1\nseed: 1\n")
    result = run_bounded("sweep", str(path), "--out", str(tmp_path / "r"))
    assert result.refused(), result
    assert not (tmp_path / "r").exists()


def test_aliases_within_the_budget_still_work(tmp_path):
    """Aliases are allowed (decided: a node budget, not a ban): a shared value still loads."""
    path = tmp_path / "ok.yaml"
    path.write_text("name: &n shared\ndescription: *n\nsteps: 1\nworld: {generate: {count: 5}}\n")
    assert load_scenario(path).description == "shared"


@pytest.mark.parametrize("kind", ["lists", "mappings"])
def test_deep_nesting_is_refused_without_a_traceback(tmp_path, kind):
    path = tmp_path / "deep.yaml"
    if kind == "lists":
        path.write_text("name: " + "[" * 500 + "]" * 500 + "\n")
    else:
        path.write_text("".join("  " * i + f"k{i}:\n" for i in range(500)) + "  " * 500 + "v: 1\n")
    result = run_bounded("validate", str(path))
    assert result.refused(), result
    assert f"more than {MAX_YAML_DEPTH} levels" in result.stderr


def test_dev_zero_is_refused():
    result = run_bounded("validate", "/dev/zero")
    assert result.refused(), result
    assert "not a regular file" in result.stderr


def test_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    result = run_bounded("validate", str(fifo))  # no writer ever opens it: reading would hang
    assert result.refused(), result
    assert "not a regular file" in result.stderr


def test_fifo_as_experiment_is_refused(tmp_path):
    fifo = tmp_path / "experiment.yaml"
    os.mkfifo(fifo)
    result = run_bounded("sweep", str(fifo), "--out", str(tmp_path / "r"))
    assert result.refused(), result
    assert not (tmp_path / "r").exists()


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:  # sparse: costs no disk
        fh.truncate(MAX_YAML_BYTES + 1)
    result = run_bounded("validate", str(path))
    assert result.refused(), result
    assert f"at most {MAX_YAML_BYTES:,} bytes" in result.stderr


def test_distance_file_must_be_a_regular_file(tmp_path):
    fifo = tmp_path / "distances.csv"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario(TWO_BLOCS, {"world.distance_file": str(fifo)})


@pytest.mark.parametrize("name", ["two\nlines", "nul\x00byte", "tab\there"])
def test_control_characters_in_names_are_refused(tmp_path, name):
    path = tmp_path / "s.yaml"
    path.write_text(TWO_BLOCS.read_text().replace("name: two_blocs", f"name: {json.dumps(name)}", 1))
    result = run_bounded("run", str(path), "--steps", "1", "--out", str(tmp_path / "o"))
    assert result.refused(), result
    assert "control characters" in result.stderr and not (tmp_path / "o").exists()


def test_manifest_json_is_read_within_limits(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(UserError, match="nested too deeply"):
        read_json_bounded(deep, MAX_MANIFEST_BYTES)
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(2048)
    with pytest.raises(UserError, match="at most 1,024 bytes"):
        read_json_bounded(big, 1024)
    folder = tmp_path / "results"
    folder.mkdir()
    os.mkfifo(folder / "manifest.json")
    with pytest.raises(UserError, match="not a regular file"):
        ResultsFolder(folder).read_manifest()
