"""Where the disputes fall (simulation/history/dispute_geography.py): the statistics by hand,
the record read from GML rows, and a run's onsets against the model's own tally."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.history import dispute_geography as geo
from simulation.scenario_io import load_scenario

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_history.yaml"


def onsets(onset, present=None, states=None) -> geo.Onsets:
    onset = np.array(onset, dtype=bool)
    present = np.ones_like(onset) if present is None else np.array(present, dtype=bool)
    return geo.Onsets(states or [f"S{i}" for i in range(len(onset))], np.arange(2000, 2000 + onset.shape[1]), onset, present)


def test_gini_by_hand():
    assert geo.gini(np.array([0.2, 0.2, 0.2])) == pytest.approx(0.0)
    assert geo.gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)  # (n - 1) / n: one state has them all
    assert np.isnan(geo.gini(np.zeros(3)))


def test_repeat_counts_only_years_present_on_both_sides():
    o = onsets([[1, 1, 0, 1], [1, 0, 0, 0]], present=[[1, 1, 1, 1], [1, 1, 1, 1]])
    # pairs with an onset before: S0 (y0->y1 yes, y1->y2 no), S1 (y0->y1 no): 1 of 3
    assert geo.repeat(o) == pytest.approx(1 / 3)
    absent = onsets([[1, 1, 0, 1], [1, 0, 0, 0]], present=[[1, 1, 1, 1], [1, 0, 1, 1]])
    assert geo.repeat(absent) == pytest.approx(1 / 2)  # S1 left the system in year 1: its pair does not count
    assert np.isnan(geo.repeat(onsets([[0, 0], [0, 0]])))


def test_share_is_over_the_years_present_and_drops_states_never_present():
    o = onsets([[1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]], present=[[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]])
    share = o.share()
    assert share.to_dict() == {"S0": 0.5, "S1": 1.0}
    assert geo.summary(o)["never"] == 0.0


def test_until_keeps_the_years_up_to_the_last():
    o = onsets([[1, 0, 1, 1]]).until(2001)
    assert o.years.tolist() == [2000, 2001] and o.onset.tolist() == [[True, False]]


def test_rank_corr_over_common_states():
    a = pd.Series({"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.9})
    b = pd.Series({"A": 0.0, "B": 0.5, "C": 0.6, "E": 1.0})
    assert geo.rank_corr(a, b) == pytest.approx(1.0)
    assert geo.rank_corr(a, -b) == pytest.approx(-1.0)
    assert np.isnan(geo.rank_corr(a, pd.Series({"A": 1.0})))
    assert np.isnan(geo.rank_corr(a, pd.Series({"A": 0.0, "B": 0.0, "C": 0.0})))


def test_record_from_gml_rows(tmp_path):
    system = tmp_path / "states.csv"
    system.write_text("stateabb,ccode,styear,stmonth,stday,endyear,endmonth,endday\n"
                      "AAA,1,1990,1,1,2010,12,31\nBBB,2,1995,3,1,2010,12,31\n"
                      "CCC,3,1990,1,1,1996,12,31\nCCC,3,1999,6,1,2010,12,31\nDDD,4,1990,1,1,1997,6,30\n")
    disputes = tmp_path / "gml.csv"
    disputes.write_text("ccode1,ccode2,year,midonset\n1,2,1996,1\n1,2,1997,0\n1,3,1997,1\n2,3,1991,1\n1,4,1997,1\n")
    o = geo.from_record(range(1995, 2000), disputes=disputes, system=system)
    assert o.states == ["AAA", "BBB", "CCC", "DDD"]
    # CCC is out of the system on 31 Dec 1997 and DDD left in mid-1997: their 1997 onsets do not count
    assert o.onset.astype(int).tolist() == [[0, 1, 1, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    assert o.present.astype(int).tolist() == [[1] * 5, [1] * 5, [1, 1, 0, 0, 1], [1, 1, 0, 0, 0]]  # CCC's two spells
    # 1991 is outside the years


def test_record_with_text_in_a_numeric_field_is_refused(tmp_path):
    disputes = tmp_path / "gml.csv"
    disputes.write_text("ccode1,ccode2,year,midonset\n1,2,1996,1\n2 Policy,3,1996,1\n")
    with pytest.raises(ValueError, match="column ccode1 is not whole numbers"):
        geo.from_record(range(1995, 2000), disputes=disputes)


def test_run_onsets_are_the_sides_of_the_disputes_drawn():
    scenario = load_scenario(TINY)
    o = geo.from_run(scenario, seed=5)
    from simulation.model import AllianceModel

    model = AllianceModel(scenario, seed=5)
    expected = np.zeros_like(o.onset)
    for t in range(scenario.steps):
        model.step()
        i, j = model.tally.dispute_pairs
        expected[i, t] = expected[j, t] = True
    assert (o.onset == expected).all() and expected.any()
    assert o.years.tolist() == list(range(1991, 1991 + scenario.steps))
    assert not (o.onset & ~o.present).any()


def test_a_world_without_calendar_is_refused(tmp_path, capsys):
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: plain\nsteps: 3\nworld: {generate: {count: 5}}\n")
    with pytest.raises(SystemExit) as stop:
        geo.main([str(plain), "--runs", "1"])
    assert stop.value.code == 2 and "history.start_year" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        geo.main([str(TINY), "--runs", "0"])
    assert stop.value.code == 2


def test_no_disputes_no_onsets():
    scenario = load_scenario(TINY, ["dynamics.conflict.dispute_base=0"])
    o = geo.from_run(scenario, seed=5)
    assert not o.onset.any()
    assert np.isnan(geo.repeat(o)) and geo.summary(o)["never"] == 1.0


def test_the_record_figures_docs_history_quotes():
    """docs/history.md section 17 quotes these (all COW states there; the runs' states are the same)."""
    s = geo.summary(geo.from_record(range(1949, 1991)))
    assert (s["repeat"], s["gini"], s["never"]) == pytest.approx((0.539, 0.511, 0.126), abs=1e-3)
    assert s["lift"] == pytest.approx(s["repeat"] / s["onset_share_mean"])
    share = geo.from_record(range(1949, 1991)).share()
    assert share["SWZ"] == pytest.approx(2 / 42) and share["CYP"] == pytest.approx(10 / 31, abs=1e-3)


def test_command_prints_the_record_beside_the_runs(capsys):
    assert geo.main([str(TINY), "--runs", "2", "--states", "USA", "RUS"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["record", "runs", "(mean)", "runs", "(min)", "runs", "(max)"]
    rows = {line.split()[0] + (" " + line.split()[1] if line.startswith("share") else ""): line for line in out.splitlines()[1:]}
    assert set(rows) == {"onset_share_mean", "repeat", "lift", "gini", "never", "share USA", "share RUS", "rank_corr",
                         "rank_corr_mean_share"}
    record_rus = geo.from_record(range(1991, 1999)).share()["RUS"]
    assert rows["share RUS"].split()[2] == f"{record_rus:.3f}"  # the record's column is over 1991-1998
