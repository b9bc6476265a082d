"""Horizon: one metric over two windows of the same runs, compared per scenario and for each
difference from the baseline; and the one-line horizon verdict every report carries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.experiments import horizon
from simulation.experiments.schema import MetricRef
from simulation.experiments.store import ResultsFolder
from simulation.experiments.sweep import sweep

T_975_3 = 3.18244630528  # Student's t, 0.975 quantile, 3 degrees of freedom (printed table)
LATE, EARLY = MetricRef(metric="m"), MetricRef(metric="m", steps=(51, 100))


def _summary(early: dict[str, list[float]], late: dict[str, list[float]]) -> pd.DataFrame:
    rows = [{"scenario": s, "point": 0, "replication": k, "seed": 7 + k, "status": "ok", "m[51-100]": e, "m": late[s][k]}
            for s, es in early.items() for k, e in enumerate(es)]
    return pd.DataFrame(rows)


def _table(early, late):
    return horizon.compare(_summary(early, late), [(EARLY, LATE)], list(early), "base", 0.95)


def test_each_scenario_gets_both_means_and_their_paired_difference():
    """s: early [1, 2, 3, 4], late [2, 4, 5, 7]: late - early = [1, 2, 2, 3], mean 2, sd sqrt(2/3)."""
    table = _table({"base": [0, 0, 0, 0], "s": [1, 2, 3, 4]}, {"base": [0, 0, 0, 0], "s": [2, 4, 5, 7]})
    row = table[(table["kind"] == "window") & (table["scenario"] == "s")].iloc[0]
    half = T_975_3 * np.sqrt(2 / 3) / 2
    assert (row["early_mean"], row["late_mean"], row["diff_mean"]) == pytest.approx((2.5, 4.5, 2.0))
    assert (row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx((2 - half, 2 + half), rel=1e-9)
    assert (row["early"], row["late"], row["metric"]) == ("m[51-100]", "m", "m")


@pytest.mark.parametrize("early, late, verdict", [
    ([1, 2, 3, 4], [2, 4, 5, 7], "holds"),              # positive in both windows
    ([1, 2, 3, 4], [-1, -2, -2, -3], "changes sign"),
    ([1, 2, 3, 4], [-1, 1, -1, 1], "vanishes"),         # mean 0 late
    ([-1, 1, -1, 1], [1, 2, 3, 4], "appears"),
    ([-1, 1, -1, 1], [1, -1, 1, -1], "absent"),
])
def test_a_difference_from_the_baseline_is_classified_across_windows(early, late, verdict):
    table = _table({"base": [0, 0, 0, 0], "s": early}, {"base": [0, 0, 0, 0], "s": late})
    row = table[table["kind"] == "vs_baseline"].iloc[0]
    assert row["verdict"] == verdict
    assert row["diff_mean"] == pytest.approx(np.mean(np.subtract(late, early)))


def test_the_baseline_is_subtracted_run_by_run():
    """The baseline moves too: s - base is [1, 1, 1, 1] early and late (constant), so the
    difference holds and its change between windows is exactly 0."""
    table = _table({"base": [0, 1, 2, 3], "s": [1, 2, 3, 4]}, {"base": [5, 0, 9, 2], "s": [6, 1, 10, 3]})
    row = table[table["kind"] == "vs_baseline"].iloc[0]
    assert (row["early_mean"], row["late_mean"], row["diff_mean"]) == (1.0, 1.0, 0.0)
    assert row["verdict"] == "holds"


def test_the_conclusion_names_what_moved_or_says_nothing_did():
    held = _table({"base": [0, 0, 0, 0], "s": [1, 2, 3, 4]}, {"base": [0, 0, 0, 0], "s": [2, 4, 5, 7]})
    assert horizon.conclusion(held, "years 51–100", "years 251–300").startswith("**No conclusion depends on the horizon**")
    moved = _table({"base": [0, 0, 0, 0], "s": [1, 2, 3, 4]}, {"base": [0, 0, 0, 0], "s": [-1, -2, -2, -3]})
    text = horizon.conclusion(moved, "years 51–100", "years 251–300")
    assert text.startswith("**Some conclusions depend on the horizon**: 1 of 1") and "`s` m (changes sign)" in text


def test_report_of_two_windows_compares_them(make_experiment, tmp_path):
    out = tmp_path / "r"
    metrics = ["mean_tension", {"metric": "mean_tension", "steps": [1, 5]}, "crisis_rate", {"metric": "crisis_rate", "steps": [1, 5]}]
    sweep(make_experiment(summary={"metrics": metrics, "window": 5}, steps=10), out=out, executor="serial")
    report = (out / "report.md").read_text()
    assert "## Does any conclusion depend on the horizon?" in report
    assert "### Each scenario in both windows" in report and "### Differences from `tiny_a` in both windows" in report
    assert "over years 1–5 and over years 6–10" in report
    last = report.split("### Differences from `tiny_a` in both windows")[1].split("\n\n## ")[0].strip().splitlines()[-1]
    assert "depends on the horizon" in last or "depend on the horizon" in last  # the section ends with its conclusion
    table = pd.read_csv(out / "horizon.csv")
    summary = pd.read_csv(out / "summary.csv").sort_values("replication")
    row = table[(table["kind"] == "window") & (table["scenario"] == "tiny_b") & (table["metric"] == "mean_tension")].iloc[0]
    b = summary[summary["scenario"] == "tiny_b"]
    assert row["diff_mean"] == pytest.approx((b["mean_tension"] - b["mean_tension[1-5]"]).mean(), rel=1e-12)
    folder = ResultsFolder(out)
    assert folder.foreign_entries(folder.read_manifest()) == []  # horizon.csv is the tool's own


def test_every_report_says_whether_the_horizon_could_matter(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(), out=out, executor="serial")
    report = (out / "report.md").read_text()
    line = next(l for l in report.splitlines() if l.startswith("**Could these conclusions depend on the horizon?**"))
    assert "burn-in check" in line
    assert not (out / "horizon.csv").exists()  # one window: nothing to compare
    assert report.index("## Burn-in check") < report.index("## Does any conclusion depend on the horizon?")


def test_a_sibling_long_horizon_folder_running_the_same_scenarios_is_pointed_to(make_experiment, tmp_path):
    sweep(make_experiment(name="long_horizon", replications=2, steps=12), out=tmp_path / "long_horizon", executor="serial")
    sweep(make_experiment(replications=2), out=tmp_path / "other", executor="serial")
    report = (tmp_path / "other" / "report.md").read_text()
    assert "[`long_horizon`](../long_horizon/report.md) runs `tiny_a.yaml`, `tiny_b.yaml` for 12 years and compares" in report
    own = (tmp_path / "long_horizon" / "report.md").read_text()
    assert "../long_horizon/report.md" not in own


def test_one_replication_says_the_horizon_question_cannot_be_answered(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(replications=1), out=out, executor="serial")
    report = (out / "report.md").read_text()
    assert "**Could these conclusions depend on the horizon?** Not known: the burn-in check finds no drift, but" in report
