"""The burn-in check (two halves of the summary window) and metrics summarised over their
own steps (two windows in one experiment)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulation.experiments import stationarity
from simulation.experiments.analysis import StoredResults
from simulation.experiments.schema import MetricRef, load_experiment
from simulation.experiments.sweep import sweep
from simulation.errors import UserError


def test_window_steps_and_halves_follow_the_summary_rule():
    steps = np.arange(11)
    plain = MetricRef(metric="mean_tension")
    assert stationarity.window_steps(steps, plain, 6).tolist() == [5, 6, 7, 8, 9, 10]
    assert stationarity.window_steps(steps, MetricRef(metric="mean_tension", steps=(0, 4)), 6).tolist() == [1, 2, 3, 4]
    values = steps.astype(float)
    assert stationarity.halves(steps, values, np.array([5, 6, 7, 8, 9, 10])) == (6.0, 9.0)
    assert stationarity.halves(steps, values, np.array([4, 5, 6, 7, 8])) == (4.5, 7.5)  # middle step left out
    assert all(np.isnan(stationarity.halves(steps, values, np.array([3]))))


def test_report_flags_a_drifting_metric_and_passes_a_settled_one(make_experiment, tmp_path):
    """Measured autonomy is a stock that falls every year the leader imposes, so its halves
    differ in every run; an alliance that never dissolves has survival 1 in both halves."""
    out = tmp_path / "r"
    metrics = ["mean_autonomy", "survival@Atlantic", {"metric": "size", "scope": "Atlantic", "statistic": "final"}]
    sweep(make_experiment(summary={"metrics": metrics, "window": 8}), out=out, executor="serial")
    res = StoredResults.load(out)
    table = stationarity.check(res)
    assert set(table["metric"]) == {"mean_autonomy", "survival@Atlantic"}  # a final value has no halves
    autonomy = table[(table["metric"] == "mean_autonomy") & (table["scenario"] == "tiny_a")]  # tiny_a has the alliance
    assert len(autonomy) == 1 and (autonomy["drift"] < 0).all() and (autonomy["agree"] == False).all()  # noqa: E712
    survival = table[(table["metric"] == "survival@Atlantic") & (table["scenario"] == "tiny_a")]
    assert (survival["drift"] == 0).all() and (survival["agree"] == True).all()  # noqa: E712
    report = (out / "report.md").read_text()
    assert "## Burn-in check" in report and "**The halves do not agree**" in report and "`mean_autonomy`" in report
    assert "Not checked (not a window mean): `size@Atlantic`" in report


def test_own_steps_give_a_second_window_in_the_same_experiment(make_experiment, tmp_path):
    out = tmp_path / "r"
    metrics = ["mean_tension", {"metric": "mean_tension", "steps": [1, 4]}, {"metric": "cohesion", "scope": "Atlantic", "steps": [2, 3]}]
    sweep(make_experiment(summary={"metrics": metrics, "window": 5}), out=out, executor="serial")
    summary = pd.read_csv(out / "summary.csv")
    assert {"mean_tension", "mean_tension[1-4]", "cohesion@Atlantic[2-3]"} <= set(summary.columns)
    row = summary.iloc[0]
    series = pq.read_table(out / "runs" / f"{row['run_id']}.parquet").to_pandas()
    tension = series[(series["metric"] == "mean_tension") & (series["scope"] == "world")].set_index("step")["value"]
    cohesion = series[(series["metric"] == "cohesion") & (series["scope"] == "Atlantic")].set_index("step")["value"]
    assert row["mean_tension[1-4]"] == pytest.approx(tension.loc[1:4].mean())
    assert row["mean_tension"] == pytest.approx(tension.loc[6:10].mean())
    assert row["cohesion@Atlantic[2-3]"] == pytest.approx(cohesion.loc[2:3].mean())
    assert "mean dyadic tension T, steps 1-4" in (out / "report.md").read_text()


def test_steps_out_of_order_are_refused_at_their_line(make_experiment):
    path = make_experiment(summary={"metrics": [{"metric": "mean_tension", "steps": [9, 3]}]})
    with pytest.raises(UserError) as err:
        load_experiment(path)
    assert "last >= first" in str(err.value) and "summary.metrics.0.steps" in str(err.value)
