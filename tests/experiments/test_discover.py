"""Scenario discovery finds a box that is known in advance, gives the committed box on the
committed example, and refuses bad input with exit 2 and no files.  Needs the 'discover' extra, which
``make test`` installs (pip install -e '.[discover]')."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.errors import UserError
from simulation.experiments.discover import default_name, evaluate, parse_condition

ROOT = Path(__file__).resolve().parents[2]
GRID = ROOT / "results" / "interference_sweep"
EXAMPLE = ROOT / "results" / "blocs_discovery"
EXAMPLE_NAME = "concord-fewer-disputes"
EXAMPLE_WHERE = "dispute_rate@Concord < dispute_rate@Atlantic"


@pytest.fixture
def planted(tmp_path):
    """The committed 5 x 5 grid with dispute_rate replaced by a known rule: below 2 exactly
    when interference <= 0.1 and umbrella >= 0.5 (plus noise that never crosses 2)."""
    copy = tmp_path / "grid"
    shutil.copytree(GRID, copy, ignore=shutil.ignore_patterns("figures"))
    table = pd.read_csv(copy / "summary.csv")
    inside = (table["institutions.Atlantic.params.interference"] <= 0.1) & (table["institutions.Atlantic.params.umbrella"] >= 0.5)
    noise = np.random.default_rng(1).uniform(-0.5, 0.5, len(table))
    table["dispute_rate"] = np.where(inside, 1.0, 3.0) + noise
    table.to_csv(copy / "summary.csv", index=False)
    return copy, int(inside.sum())


def test_prim_finds_the_planted_box(planted, capsys):
    folder, n_inside = planted
    assert main(["discover", str(folder), "--where", "dispute_rate < 2", "--name", "planted"]) == 0
    out = folder / "discover" / "planted"
    box = pd.read_csv(out / "box.csv").set_index("parameter")
    assert box.loc["interference", "high"] < 0.2 and box.loc["umbrella", "low"] > 0.25
    assert box.loc["interference", "restricted"] and box.loc["umbrella", "restricted"]
    peeling = pd.read_csv(out / "peeling.csv")
    best = peeling[(peeling["coverage"] == 1.0) & (peeling["density"] == 1.0)]
    assert not best.empty and int(best["k"].iloc[0]) == n_inside
    scores = pd.read_csv(out / "feature_scores.csv").set_index("parameter")
    assert set(scores.index) == {"interference", "umbrella"} and "condition" in scores.columns
    for name in ("peeling.png", "feature_scores.png", "box.md", "cart.csv"):
        assert (out / name).is_file()
    assert "coverage 1.000, density 1.000" in (out / "box.md").read_text()


def test_integer_design_columns_are_accepted(planted):
    """PRIM in ema-workbench 3.0.0 fails on int64 columns under pandas 3: they go in as floats."""
    folder, _ = planted
    table = pd.read_csv(folder / "summary.csv")
    table["institutions.Atlantic.params.umbrella"] = (table["institutions.Atlantic.params.umbrella"] * 4).astype(int)
    table.to_csv(folder / "summary.csv", index=False)
    assert main(["discover", str(folder), "--where", "dispute_rate < 2", "--out", str(folder / "d")]) == 0


def test_committed_example_gives_the_committed_box(tmp_path):
    again = tmp_path / "again"
    assert main(["discover", str(EXAMPLE), "--where", EXAMPLE_WHERE, "--scenario", "two_blocs", "--out", str(again)]) == 0
    committed = pd.read_csv(EXAMPLE / "discover" / EXAMPLE_NAME / "box.csv")
    pd.testing.assert_frame_equal(pd.read_csv(again / "box.csv"), committed)
    pd.testing.assert_frame_equal(pd.read_csv(again / "peeling.csv"), pd.read_csv(EXAMPLE / "discover" / EXAMPLE_NAME / "peeling.csv"))


@pytest.mark.parametrize("args, message", [
    (["--where", "no_such_metric < 2"], "unknown metric 'no_such_metric'"),
    (["--where", "dispute_rate < -1"], "no run meets"),
    (["--where", "dispute_rate < 1e9"], "every run (500) meets"),
    (["--where", "dispute_rate about 2"], "expected a condition like"),
    (["--where", "dispute_rate < 2", "--scenario", "nope"], "unknown scenario 'nope'"),
])
def test_bad_conditions_exit_2_and_write_nothing(tmp_path, capsys, args, message):
    copy = tmp_path / "grid"
    shutil.copytree(GRID, copy, ignore=shutil.ignore_patterns("figures"))
    before = sorted(p.relative_to(copy) for p in copy.rglob("*"))
    assert main(["discover", str(copy), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert sorted(p.relative_to(copy) for p in copy.rglob("*")) == before


def test_folder_without_a_design_exits_2(tmp_path, capsys):
    copy = tmp_path / "headline"
    shutil.copytree(ROOT / "results" / "headline", copy, ignore=shutil.ignore_patterns("figures"))
    assert main(["discover", str(copy), "--where", "dispute_rate < 2"]) == 2
    assert "has no design" in capsys.readouterr().err and not (copy / "discover").exists()


def test_condition_parsing_and_evaluation():
    table = pd.DataFrame({"a": [1.0, 3.0, np.nan], "b@X": [2.0, 2.0, 2.0]})
    held = evaluate(parse_condition("a < b@X and a >= 0"), table, ["a", "b@X"])
    assert held.tolist() == [True, False, False]  # NaN never meets a clause
    assert default_name("dispute_rate@Concord < dispute_rate@Atlantic") == "dispute_rate-Concord-lt-dispute_rate-Atlantic"
    with pytest.raises(UserError):
        evaluate(parse_condition("1 < 2"), table, ["a"])
