"""``compare_with:``: the report section "What changed against <folder>" (simulation/experiments/compare.py)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import yaml
from scipy import stats

from simulation.errors import UserError
from simulation.experiments.analysis import StoredResults
from simulation.experiments.compare import changes, read_other
from simulation.experiments.report import build_report
from simulation.experiments.schema import load_experiment
from simulation.experiments.sweep import sweep


def summary_rows(folder) -> list[dict[str, str]]:
    with open(folder / "summary.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def two_folders(make_experiment, tmp_path):
    """An earlier folder (``before``) and a later experiment with the same seeds and a changed
    parameter, comparing with it (``after``), as the mechanisms experiments do."""
    before = tmp_path / "before"
    sweep(make_experiment(name="before"), out=before, executor="serial")
    path = make_experiment(name="after", overrides={"dynamics.tension.noise": 0.08}, compare_with="before")
    after = tmp_path / "after"
    sweep(path, out=after, executor="serial")
    return before, after


def test_section_gives_the_paired_difference_computed_by_hand(two_folders):
    before, after = two_folders
    report = (after / "report.md").read_text()
    assert "## What changed against `before`" in report
    old = {(r["scenario"], r["replication"]): r for r in summary_rows(before)}
    new = {(r["scenario"], r["replication"]): r for r in summary_rows(after)}
    a = np.array([float(new[("tiny_b", str(k))]["mean_tension"]) for k in range(3)])
    b = np.array([float(old[("tiny_b", str(k))]["mean_tension"]) for k in range(3)])
    assert all(new[("tiny_b", str(k))]["seed"] == old[("tiny_b", str(k))]["seed"] for k in range(3))
    d = a - b
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    table = changes(StoredResults.load(after), read_other(before))
    row = table[(table["scenario"] == "tiny_b") & (table["metric"] == "mean_tension")].iloc[0]
    assert row["n"] == 3 and row["same_seed"] == 3
    assert row["mean_this"] == pytest.approx(a.mean(), rel=1e-12) and row["mean_other"] == pytest.approx(b.mean(), rel=1e-12)
    assert row["mean"] == pytest.approx(d.mean(), rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(d.mean() - half, rel=1e-9), pytest.approx(d.mean() + half, rel=1e-9))
    assert d.mean() != 0  # the changed parameter moved the metric, so the check compares real numbers
    flag = "**yes**" if (d.mean() - half > 0 or d.mean() + half < 0) else "no"
    section = report.split("## What changed against `before`")[1].split("\n## ")[0]
    line = next(l for l in section.splitlines() if l.startswith("| mean_tension | tiny_b |"))
    assert f"| {row['n']} |" in line
    assert line.rstrip(" |").endswith(flag)
    assert "every pair shares its seed (common random numbers)" in report


def test_same_runs_compared_with_themselves_change_nothing(make_experiment, tmp_path):
    """Metamorphic: an experiment compared with a folder of the same runs gives zero everywhere."""
    before = tmp_path / "before"
    sweep(make_experiment(name="before"), out=before, executor="serial")
    again = tmp_path / "again"
    sweep(make_experiment(name="again", compare_with="before"), out=again, executor="serial")
    table = changes(StoredResults.load(again), read_other(before))
    assert len(table) == 2 * 3 and (table["mean"] == 0).all() and (table["mean_this"] == table["mean_other"]).all()
    assert "0 of 6 differences have a CI that excludes 0" in (again / "report.md").read_text()


def test_only_shared_scenarios_and_metrics_are_compared(make_experiment, tmp_path):
    before = tmp_path / "before"
    sweep(make_experiment(name="before"), out=before, executor="serial")
    exp = yaml.safe_load(make_experiment(name="x").read_text())
    path = make_experiment(name="after", scenarios=exp["scenarios"][:1], compare_with="before",
                           summary={"metrics": ["mean_tension", "dispute_rate"], "window": 5})
    after = tmp_path / "after"
    sweep(path, out=after, executor="serial")
    table = changes(StoredResults.load(after), read_other(before))
    assert set(table["scenario"]) == {"tiny_a"} and set(table["metric"]) == {"mean_tension"}
    report = (after / "report.md").read_text()
    assert "`tiny_b` (there)" in report and "`dispute_rate`" in report


def test_a_missing_folder_is_said_and_never_written(make_experiment, tmp_path):
    path = make_experiment(name="after", compare_with="nowhere")
    after = tmp_path / "after"
    sweep(path, out=after, executor="serial")
    report = (after / "report.md").read_text()
    assert "## What changed against `nowhere`" in report and "Nothing to compare:" in report
    assert not (tmp_path / "nowhere").exists()


def test_the_other_folder_is_only_read(two_folders):
    before, after = two_folders
    (before / "summary.csv").unlink()
    with pytest.raises(UserError, match="has no summary.csv"):
        read_other(before)
    build_report(after)
    assert not (before / "summary.csv").exists()
    assert "Nothing to compare:" in (after / "report.md").read_text()


def test_without_compare_with_the_settings_and_report_are_unchanged(make_experiment, tmp_path):
    exp = load_experiment(make_experiment()).experiment
    assert exp.compare_with is None and "compare_with" not in exp.model_dump(mode="json")
    assert load_experiment(make_experiment(compare_with="x")).experiment.model_dump(mode="json")["compare_with"] == "x"


def test_a_bad_compare_with_value_exits_2_naming_the_line(make_experiment):
    with pytest.raises(UserError, match=r":\d+: compare_with: "):
        load_experiment(make_experiment(compare_with=""))
