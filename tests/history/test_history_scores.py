"""Every score and baseline on tiny synthetic records, against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from history_helpers import CASE_A_OBSERVED, CASE_A_RUN1, CASE_A_RUN2, CASE_A_UNIVERSE, founded, observed, record
from simulation.history import baselines, scores
from simulation.history.record import absent_states, calendar_start, observed_path, replay

YEARS = np.arange(2000, 2005)
COMPARED = np.arange(1, 5)  # 2001..2004: the years after step 0


def hindcast(obs_years: dict[int, list[str]], runs: list[list[tuple]], universe=CASE_A_UNIVERSE, institution="A", years=YEARS):
    recs = [record(r) for r in runs]
    steps = len(years) - 1
    return scores.Hindcast(institution, observed_path(observed(obs_years, institution), institution, years),
                           tuple(replay(r, institution, int(years[0]), steps) for r in recs),
                           absent_states(recs[0], int(years[0]), steps), frozenset(universe), np.arange(1, len(years)))


def by_score(rows):
    return {r["score"]: r for r in rows}


# ---- case A: two runs that differ ------------------------------------------------------
# record sizes 2001..2004: 2, 3, 3, 4.  run 1: 2, 3, 2, 2 (Z joins 2002, Y leaves 2003);
# run 2: 3, 3, 3, 4 (W joins 2001, Z 2004).  Mean 2.5, 3, 2.5, 3.

def test_case_a_sizes():
    rows = by_score(scores.score_hindcast(hindcast(CASE_A_OBSERVED, [CASE_A_RUN1, CASE_A_RUN2])))
    # errors of the mean: .5, 0, -.5, -1 -> mean square 1.5/4
    assert rows["size_rmse"]["model"] == pytest.approx(math.sqrt(0.375))
    # persistence keeps {X, Y}: errors 0, -1, -1, -2 -> mean square 6/4
    assert rows["size_rmse"]["baseline_persistence"] == pytest.approx(math.sqrt(1.5))
    assert math.isnan(rows["size_rmse"]["baseline_logistic"])
    assert rows["size_rmse"]["better_than_baselines"] == "yes" and "logistic: undefined" in rows["size_rmse"]["note"]
    # bands of two runs [a + .05(b-a), a + .95(b-a)]: [2.05, 2.95], [3, 3], [2.05, 2.95], [2.1, 3.9]: only 2002 holds 3
    assert rows["size_coverage90"]["model"] == pytest.approx(0.25)
    assert rows["size_coverage90"]["baseline_persistence"] == pytest.approx(0.25)  # equal to the record in 2001 only
    assert rows["size_coverage90"]["better_than_baselines"] == "no"  # a tie is not better


def test_case_a_exits():
    rows = by_score(scores.score_hindcast(hindcast(CASE_A_OBSERVED, [CASE_A_RUN1, CASE_A_RUN2])))
    # run 1 loses Y once in 4 years = 2.5 per decade; run 2 none; the record none
    ex = rows["exits_per_decade"]
    assert ex["model"] == pytest.approx(1.25) and ex["observed"] == 0.0 and ex["baseline_persistence"] == 0.0
    assert ex["better_than_baselines"] == "no"  # persistence hits the record's 0 exactly


def test_case_a_accession():
    h = hindcast(CASE_A_OBSERVED, [CASE_A_RUN1, CASE_A_RUN2])
    acc = scores.accession(h, frozenset("XY"), None)
    # candidates: not start members {X, Y}, present at the end
    assert acc.states == ["V", "W", "Z"] and acc.end_year == 2004
    assert acc.outcome.tolist() == [0, 1, 1]
    assert acc.model.tolist() == [0.0, 0.5, 1.0]  # W in run 2 only; Z in both
    rows = by_score(scores.score_hindcast(h))
    assert rows["join_auc"]["model"] == 1.0 and rows["join_auc"]["baseline_persistence"] == 0.5
    assert rows["join_brier"]["model"] == pytest.approx(0.25 / 3)  # (0-0)^2 + (.5-1)^2 + (1-1)^2 over 3
    assert rows["join_brier"]["baseline_persistence"] == pytest.approx(2 / 3)  # predicting 0: share of joiners
    assert rows["join_brier"]["better_than_baselines"] == "yes"
    # joined in the record: Z 2002, W 2004; run 1: Z 2002; run 2: W 2001, Z 2004 -> |0|, |3|, |2|
    tm = rows["timing_mae_years"]
    assert tm["model"] == pytest.approx(5 / 3)
    assert math.isnan(tm["baseline_persistence"]) and math.isnan(tm["baseline_logistic"])
    assert tm["better_than_baselines"] == "undefined" and "no baseline defines" in tm["note"]


# ---- primitives ---------------------------------------------------------------------------

def test_auc_counts_ties_as_half_and_is_undefined_without_both_classes():
    assert scores.auc([0.2, 0.2, 0.9], [0, 1, 1]) == pytest.approx(0.75)  # pairs: (0.2 vs 0.2) 1/2, (0.9 vs 0.2) 1
    assert scores.auc([0.9, 0.1], [0, 1]) == 0.0
    assert math.isnan(scores.auc([0.3, 0.4], [0, 0]))
    assert math.isnan(scores.auc([0.3, 0.4], [1, 1]))


def test_verdict_directions_and_undefined_baselines():
    assert scores.verdict("join_auc", 0.7, 0.5, 0.8) == ("no", "")
    assert scores.verdict("join_auc", 0.9, 0.5, 0.8) == ("yes", "")
    assert scores.verdict("size_rmse", 1.0, 2.0, math.nan)[0] == "yes"
    assert scores.verdict("size_rmse", math.nan, 2.0, 1.0)[0] == "undefined"
    assert scores.verdict("timing_mae_years", 1.0, math.nan, math.nan) == ("undefined", "no baseline defines this score")
    # exits: distance to the record's value decides
    assert scores.verdict("exits_per_decade", 0.5, 0.0, math.nan, observed=0.4)[0] == "yes"  # 0.1 < 0.4
    assert scores.verdict("exits_per_decade", 3.0, 0.0, math.nan, observed=0.4)[0] == "no"


def test_calendar_start_from_any_dated_row_and_none_without_calendar():
    assert calendar_start(record(CASE_A_RUN1, start=1991)) == 1991
    assert calendar_start(record(CASE_A_RUN1, start=None)) is None


# ---- edge cases ---------------------------------------------------------------------------

def test_no_joiners_leaves_auc_undefined_and_says_why():
    obs = {y: ["X", "Y"] for y in YEARS}
    run = founded("A", "X", "Y") + [(2, "Z", "A", "join")]
    rows = by_score(scores.score_hindcast(hindcast(obs, [run, founded("A", "X", "Y")])))
    assert math.isnan(rows["join_auc"]["model"]) and math.isnan(rows["join_auc"]["baseline_persistence"])
    assert rows["join_auc"]["better_than_baselines"] == "undefined" and "no candidate state joined" in rows["join_auc"]["note"]
    # candidates V, W, Z; P(Z) = 1/2 -> Brier (1/2)^2 / 3; persistence predicts 0 for all: 0
    assert rows["join_brier"]["model"] == pytest.approx(0.25 / 3)
    assert rows["join_brier"]["baseline_persistence"] == 0.0
    assert math.isnan(rows["timing_mae_years"]["model"]) and "no state joined both" in rows["timing_mae_years"]["note"]
    # sizes: mean 2, 2.5, 2.5, 2.5 against 2 -> sqrt((0 + 3 * .25) / 4); persistence exact
    assert rows["size_rmse"]["model"] == pytest.approx(math.sqrt(0.75 / 4))
    assert rows["size_rmse"]["baseline_persistence"] == 0.0 and rows["size_coverage90"]["baseline_persistence"] == 1.0


def test_an_institution_dissolved_mid_run():
    # record: A exists 2000..2002 (Y leaves in 2002, like Albania), gone from 2003
    obs = {2000: ["X", "Y", "Z"], 2001: ["X", "Y", "Z"], 2002: ["X", "Z"]}
    run = founded("A", "X", "Y", "Z") + [(3, "", "A", "dissolve"), (3, "X", "A", "leave"), (3, "Y", "A", "leave"),
                                         (3, "Z", "A", "leave")]
    h = hindcast(obs, [run])
    path = h.runs[0]
    assert path.sizes().tolist() == [3, 3, 3, 0, 0] and path.alive.tolist() == [True, True, True, False, False]
    rows = by_score(scores.score_hindcast(h))
    # dissolution releases are not exits; the record's one exit in 4 years = 2.5 per decade
    assert rows["exits_per_decade"]["model"] == 0.0 and rows["exits_per_decade"]["observed"] == pytest.approx(2.5)
    # sizes 2001..2004: run 3, 3, 0, 0; record 3, 2, 0, 0; persistence 3, 3, 0, 0
    assert rows["size_rmse"]["model"] == pytest.approx(0.5) and rows["size_rmse"]["baseline_persistence"] == pytest.approx(0.5)
    # the join scores look at the last year the institution exists in the record (2002): nobody joined
    acc = scores.accession(h, frozenset("XYZ"), None)
    assert acc.end_year == 2002 and acc.outcome.sum() == 0


def test_states_entering_later_and_successors():
    # Q enters in 2002 and joins in 2003; P exits in 2002, its membership passing to its successor P2
    obs = {2000: ["X", "P"], 2001: ["X", "P"], 2002: ["X", "P2"], 2003: ["X", "P2", "Q"], 2004: ["X", "P2", "Q"]}
    run = founded("A", "X", "P") + [(2, "Q", "", "enter"), (2, "P2", "", "enter"), (2, "P", "", "exit"), (2, "P", "A", "leave"),
                                    (2, "P2", "A", "join"), (3, "Q", "A", "join")]
    h = hindcast(obs, [run], universe={"X", "P", "Q", "P2", "V"})
    assert h.absent[2] == frozenset({"P"})
    rows = by_score(scores.score_hindcast(h))
    assert rows["exits_per_decade"]["model"] == 0.0 and rows["exits_per_decade"]["observed"] == 0.0  # P's exit is no member exit
    acc = scores.accession(h, frozenset({"X", "P"}), None)
    assert acc.states == ["P2", "Q", "V"]  # P left the system; the entrants are candidates
    assert acc.model.tolist() == [1.0, 1.0, 0.0] and acc.outcome.tolist() == [1, 1, 0]
    assert rows["join_auc"]["model"] == 1.0 and rows["timing_mae_years"]["model"] == 0.0


def test_all_replications_identical():
    # three copies of case A's run 2: the band is the path itself
    rows = by_score(scores.score_hindcast(hindcast(CASE_A_OBSERVED, [CASE_A_RUN2] * 3)))
    # run 2 sizes 3, 3, 3, 4 against 2, 3, 3, 4: equal in 3 of 4 years; squares 1, 0, 0, 0
    assert rows["size_coverage90"]["model"] == pytest.approx(0.75)
    assert rows["size_rmse"]["model"] == pytest.approx(0.5)
    # P(member at end) is 0 or 1: V 0, W 1, Z 1 -> AUC 1, Brier 0
    assert rows["join_auc"]["model"] == 1.0 and rows["join_brier"]["model"] == 0.0
    assert rows["timing_mae_years"]["model"] == pytest.approx(2.5)  # each run: W 2001 vs 2004 (3), Z 2004 vs 2002 (2)


def test_an_institution_founded_during_the_hindcast_starts_from_its_founders():
    obs = {2002: ["X", "Y"], 2003: ["X", "Y"], 2004: ["X", "Y", "Z"]}
    run = [(2, "", "A", "found"), (2, "X", "A", "join"), (2, "Y", "A", "join"), (4, "Z", "A", "join")]
    h = hindcast(obs, [run])
    assert scores.start_members(h.observed) == frozenset("XY")
    rows = by_score(scores.score_hindcast(h))
    assert rows["size_rmse"]["model"] == 0.0 and rows["size_coverage90"]["model"] == 1.0
    # persistence: 0 before founding, then the 2 founders: errors 0, 0, 0, -1
    assert rows["size_rmse"]["baseline_persistence"] == pytest.approx(0.5)


# ---- the logistic baseline -------------------------------------------------------------------

def test_features_by_hand():
    locations = {"X": (0.0, 0.0), "Y": (0.0, 2000.0), "Z": (0.0, 1000.0)}
    world = baselines.StartWorld({"X": 3.0, "Y": 1.0, "Z": 1.0}, {"X": 1.0, "Y": 0.5, "Z": 0.2},
                                 lambda a, b: math.dist(locations[a], locations[b]), total_capability=5.0)
    f = baselines.accession_features(world, frozenset("XY"), ["Z", "Q"])
    assert f.loc["Z"].tolist() == pytest.approx([abs(0.2 - 0.75), 1000.0, 0.2])
    assert f.loc["Q"].isna().all()  # a state the world does not know


def test_logistic_fit_solves_its_penalised_score_equation():
    # x = -1, +1 (already standard), y = 0, 1, penalty 1: by symmetry b0 = 0 and w solves
    # w = 2 / (1 + e^w)  (the derivative of 2 log(1 + e^-w) + w^2/2)
    beta = baselines.fit_logistic(np.array([[-1.0], [1.0]]), np.array([0.0, 1.0]), l2=1.0)
    assert beta[0] == pytest.approx(0.0, abs=1e-6)
    assert beta[1] == pytest.approx(2.0 / (1.0 + math.exp(beta[1])), abs=1e-6)
    assert 0.67 < beta[1] < 0.68


def test_logistic_probabilities_rank_by_the_feature_and_refuse_constant_outcomes():
    import pandas as pd

    features = pd.DataFrame({"regime_distance": [0.9, 0.8, 0.1, 0.05], "capital_distance_km": [1.0, 1.0, 1.0, 1.0],
                             "capability_share": [0.1, 0.1, 0.1, 0.1]})
    p = baselines.logistic_probabilities(features, np.array([0, 0, 1, 1]))
    assert np.all(np.diff(p) > 0) and scores.auc(p, [0, 0, 1, 1]) == 1.0
    assert baselines.logistic_probabilities(features, np.zeros(4)) is None
