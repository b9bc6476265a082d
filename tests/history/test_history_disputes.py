"""Dispute-rate scores against the record (simulation.history.disputes), hand-computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.errors import UserError
from simulation.history import disputes


def observed(scope: str, rates: dict[int, float], dyads: int = 100) -> pd.DataFrame:
    return pd.DataFrame({"year": list(rates), "scope": scope, "dyads": dyads,
                         "onset_dyads": [round(r * dyads / 1000) for r in rates.values()], "rate_per_1000": list(rates.values())})


def by_score(result: disputes.DisputeScored) -> dict[str, dict]:
    return {r["score"]: r for r in result.rows}


def test_scores_by_hand():
    # record: 1998-2000 before the start (persistence = mean 3.0), then 2001-2003 compared
    obs = observed("world", {1998: 2.0, 1999: 3.0, 2000: 4.0, 2001: 2.0, 2002: 4.0, 2003: 6.0})
    years = np.array([2001, 2002, 2003])
    sim = np.array([[1.0, 3.0, 5.0], [3.0, 5.0, 7.0]])  # mean path 2, 4, 6: exactly the record
    got = by_score(disputes.score_scope("free", "world", years, sim, obs))
    assert got["dispute_rate_mean"]["model"] == pytest.approx(4.0)
    assert got["dispute_rate_mean"]["observed"] == pytest.approx(4.0)
    assert got["dispute_rate_mean"]["baseline_persistence"] == pytest.approx(3.0)
    assert got["dispute_rate_mean"]["better_than_baselines"] == "yes"  # |4-4| < |3-4|
    assert got["dispute_rate_rmse"]["model"] == pytest.approx(0.0)
    assert got["dispute_rate_rmse"]["baseline_persistence"] == pytest.approx(np.sqrt((1 + 1 + 9) / 3))
    # band of two runs: [low + 0.05 (high-low), ...] contains 2, 4, 6 in every year
    assert got["dispute_rate_coverage90"]["model"] == pytest.approx(1.0)
    assert got["dispute_rate_coverage90"]["better_than_baselines"] == "undefined"


def test_years_without_dyads_or_data_are_not_compared():
    obs = observed("NATO", {2001: 5.0, 2002: 7.0}).assign(dyads=[0, 10])
    years = np.array([2001, 2002, 2003])  # 2003: no record; 2001: no dyads
    sim = np.array([[9.0, 7.0, 1.0]])
    result = disputes.score_scope("forced", "NATO", years, sim, obs)
    assert list(result.years) == [2002]
    got = by_score(result)
    assert got["dispute_rate_mean"]["model"] == pytest.approx(7.0)
    assert np.isnan(got["dispute_rate_mean"]["baseline_persistence"])  # no years before the start
    assert got["dispute_rate_mean"]["better_than_baselines"] == "undefined"


def test_no_runs_leaves_every_score_undefined():
    obs = observed("world", {2001: 2.0})
    result = disputes.score_scope("free", "world", np.array([2001]), np.zeros((0, 1)), obs)
    assert all(r["better_than_baselines"] == "undefined" and np.isnan(r["model"]) for r in result.rows)


def test_a_worse_model_is_not_better():
    obs = observed("world", {2000: 4.0, 2001: 4.0, 2002: 4.0})
    got = by_score(disputes.score_scope("free", "world", np.array([2001, 2002]), np.array([[10.0, 10.0]]), obs))
    assert got["dispute_rate_mean"]["better_than_baselines"] == "no"
    assert got["dispute_rate_rmse"]["better_than_baselines"] == "no"


@pytest.mark.parametrize("text,expected", [
    ("year,scope,dyads\n2001,world,3\n", "missing columns"),
    ("year,scope,dyads,onset_dyads,rate_per_1000\n", "empty"),
    ("year,scope,dyads,onset_dyads,rate_per_1000\n2001,world,x,1,2.0\n", ":2"),
])
def test_bad_record_names_file_and_line(tmp_path, text, expected):
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        disputes.read_observed_disputes(path)
    assert expected in str(err.value) and "d.csv" in str(err.value)


def test_shipped_record_reads():
    from pathlib import Path

    table = disputes.read_observed_disputes(Path(__file__).resolve().parents[2] / "scenarios" / "data" / "observed_disputes.csv")
    assert set(table["scope"]) == {"world", "intra", "inter", "NATO", "WTO", "SCO"}
