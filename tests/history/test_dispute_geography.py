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
    system.write_text("stateabb,ccode,styear,endyear\nAAA,1,1990,2010\nBBB,2,1995,2010\nCCC,3,1990,1996\nCCC,3,1999,2010\n")
    disputes = tmp_path / "gml.csv"
    disputes.write_text("ccode1,ccode2,year,midonset\n1,2,1996,1\n1,2,1997,0\n1,3,1997,1\n2,3,1991,1\n2 Policy,3,1996,1\n")
    o = geo.from_record(range(1995, 2000), disputes=disputes, system=system)
    assert o.states == ["AAA", "BBB", "CCC"]
    assert o.onset.astype(int).tolist() == [[0, 1, 1, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0]]
    assert o.present.astype(int).tolist() == [[1] * 5, [1] * 5, [1, 1, 0, 0, 1]]  # CCC's two spells
    # 1991 is outside the years; the row with text in a numeric field is dropped, not read


def test_run_onsets_are_the_sides_of_the_disputes_drawn():
    scenario = load_scenario(TINY)
    o = geo.from_run(scenario, seed=5)
    counts = []
    from simulation.model import AllianceModel

    model = AllianceModel(scenario, seed=5)
    for t in range(scenario.steps):
        model.step()
        i, j = model.tally.dispute_pairs
        counts.append(len(set(i.tolist()) | set(j.tolist())))
    assert o.onset.sum(axis=0).tolist() == counts
    assert o.years.tolist() == list(range(1991, 1991 + scenario.steps))
    assert not (o.onset & ~o.present).any()


def test_no_disputes_no_onsets():
    scenario = load_scenario(TINY, ["dynamics.conflict.dispute_base=0"])
    o = geo.from_run(scenario, seed=5)
    assert not o.onset.any()
    assert np.isnan(geo.repeat(o)) and geo.summary(o)["never"] == 1.0


def test_the_record_concentrates_disputes_more_than_an_even_spread():
    """On the shipped GML record (1949-1990): the figures docs/history.md quotes."""
    s = geo.summary(geo.from_record(range(1949, 1991)))
    assert s["repeat"] > 0.5 and s["gini"] > 0.45 and 0.1 < s["never"] < 0.2


def test_command_prints_the_record_beside_the_runs(capsys):
    assert geo.main([str(TINY), "--runs", "2", "--states", "USA", "GBR"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["record", "runs", "(mean)", "runs", "(min)", "runs", "(max)"]
    rows = {line.split()[0] + (" " + line.split()[1] if line.startswith("share") else ""): line for line in out.splitlines()[1:]}
    assert set(rows) == {"onset_share_mean", "repeat", "gini", "never", "share USA", "share GBR", "rank_corr"}
    assert rows["share USA"].split()[2] == "1.000"  # the USA had a dispute onset in every year 1991-1998
