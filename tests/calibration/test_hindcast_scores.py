"""The hindcast scores as calibration terms: hand-computed values on a two-run record, and the
shipped Cold War calibration files pass their checks' schema and path tests."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from simulation.calibration import hindcast_scores as hs
from simulation.calibration.schema import load_calibration
from simulation.scenario import Scenario
from simulation.scenario_io import load_scenario, with_overrides

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["replication", "step", "year", "state", "institution", "change"]


def simulated(with_states: bool = True) -> pd.DataFrame:
    """Two runs from 1990.  A: X, Y found it; run 0: Z joins in 1992, X leaves in 1993; run 1:
    Z joins in 1991, Q in 1993.  B: X alone in both runs.  W is a state that never joins."""
    rows = []
    for rep in (0, 1):
        rows += [(rep, 0, 1990, "", "A", "found"), (rep, 0, 1990, "X", "A", "join"), (rep, 0, 1990, "Y", "A", "join"),
                 (rep, 0, 1990, "", "B", "found"), (rep, 0, 1990, "X", "B", "join")]
        if with_states:
            rows += [(rep, 0, 1990, s, "", hs.STATE_ROW) for s in "XYZQW"]
    rows += [(0, 2, 1992, "Z", "A", "join"), (0, 3, 1993, "X", "A", "leave"), (1, 1, 1991, "Z", "A", "join"), (1, 3, 1993, "Q", "A", "join")]
    return pd.DataFrame(rows, columns=COLUMNS)


def observed() -> pd.DataFrame:
    """A: X, Y in 1990-91, Z joins 1992.  B: X throughout."""
    members = {1990: "XY", 1991: "XY", 1992: "XYZ", 1993: "XYZ"}
    rows = [("A", y, s) for y, ss in members.items() for s in ss] + [("B", y, "X") for y in members]
    return pd.DataFrame(rows, columns=["institution", "year", "state"])


def test_size_error_is_the_rmse_over_the_mean_record_size():
    # compared years 1991-93: runs [2, 3, 2] and [3, 3, 4], mean [2.5, 3, 3], record [2, 3, 3]
    rmse = math.sqrt(0.25 / 3)
    assert hs.size_error(simulated(), observed(), institution="A") == pytest.approx(rmse / (8 / 3))
    assert hs.size_error(simulated(), observed(), institution="B") == 0.0
    assert hs.size_error(simulated(), observed()) == pytest.approx(rmse / (8 / 3) / 2)  # mean over A and B


def test_coverage_shortfall_counts_years_outside_the_band():
    # 1991: runs {2, 3}, band [2.05, 2.95], record 2 outside; 1992: {3, 3} holds 3; 1993: [2.1, 3.9] holds 3
    assert hs.coverage_shortfall(simulated(), observed(), institution="A") == pytest.approx(1 / 3)
    assert hs.coverage_shortfall(simulated(), observed(), institution="B") == 0.0


def test_exits_error_is_the_distance_from_the_records_rate():
    # run 0 loses X in 1993: 1 exit in 0.3 decades; run 1 none; the record none
    assert hs.exits_error(simulated(), observed(), institution="A") == pytest.approx((1 / 0.3) / 2)


def test_accession_scores_over_the_candidate_states():
    # candidates (not start members X, Y): Q (0.5 of runs, not in the record), W (never), Z (both runs, in the record)
    assert hs.accession_brier(simulated(), observed(), institution="A") == pytest.approx(0.25 / 3)
    assert hs.accession_error(simulated(), observed(), institution="A") == pytest.approx(0.25)  # summed, per accession (1)
    assert hs.accession_auc_shortfall(simulated(), observed(), institution="A") == 0.0  # Z ranks above Q and W
    # without the state rows W is unknown, so the Brier score is a mean over Q and Z only; the summed error is the same
    assert hs.accession_brier(simulated(False), observed(), institution="A") == pytest.approx(0.25 / 2)
    assert hs.accession_error(simulated(False), observed(), institution="A") == pytest.approx(0.25)


def test_auc_undefined_counts_as_a_coin_and_errors_are_clear():
    # B: nobody joins in the record, so the AUC is undefined
    assert hs.accession_auc_shortfall(simulated(), observed(), institution="B") == 0.5
    with pytest.raises(ValueError, match="not in the fitted record"):
        hs.size_error(simulated(), observed(), institution="C")
    with pytest.raises(ValueError, match="no calendar"):
        hs.size_error(simulated().assign(year=None), observed())


def test_a_perfect_replay_scores_zero_and_the_cache_follows_the_frame():
    exact = simulated()
    exact = exact[~((exact["replication"] == 0) & (exact["change"] == "leave"))]
    exact = exact[~((exact["replication"] == 1) & (exact["state"] == "Q"))]
    exact.loc[(exact["replication"] == 1) & (exact["state"] == "Z") & (exact["institution"] == "A"), ["step", "year"]] = [2, 1992]
    for fn in (hs.size_error, hs.coverage_shortfall, hs.exits_error, hs.accession_brier, hs.accession_error, hs.accession_auc_shortfall):
        assert fn(exact, observed(), institution="A") == 0.0, fn.__name__
    assert hs.size_error(simulated(), observed(), institution="A") > 0  # a new frame is scored afresh


def test_simulator_adds_one_state_row_per_named_state():
    scenario: Scenario = load_scenario(ROOT / "tests" / "history" / "scenarios" / "bloc.yaml")
    scenario = with_overrides(scenario, {"history.start_year": 2000}, source="<test>") if scenario.history is None else scenario
    record = hs.membership_record_with_states(scenario, seed=3)
    rows = record[record["change"] == hs.STATE_ROW]
    assert sorted(rows["state"]) == sorted(s.name for s in scenario.world.states)
    assert (rows["step"] == 0).all() and (rows["year"] == scenario.history.start_year).all()
    assert (record[record["change"] != hs.STATE_ROW]["change"].isin(["found", "join", "leave", "enter", "exit", "dissolve", "apply", "refused"])).all()


@pytest.mark.parametrize("name", ["coldwar.yaml", "coldwar_quick.yaml", "coldwar_rounds.yaml", "coldwar_threat_by_power.yaml"])
def test_shipped_cold_war_calibrations_load_and_name_real_parameters(name):
    calibration = load_calibration(ROOT / "calibration" / name).calibration
    base = load_scenario(ROOT / "scenarios" / "world_1949_1990.yaml", calibration.hindcasts[0].overrides)
    for path, prior in calibration.priors.items():  # every prior path is a real-valued field that accepts both ends
        for value in (prior.low, prior.high):
            with_overrides(base, {path: value}, source="<test>")
    assert calibration.observed.institutions == ["NATO", "WTO"] and list(calibration.observed.years) == [1949, 1990]
    assert {t.score.rsplit(":", 1)[0] for t in calibration.distance} == {"simulation.calibration.hindcast_scores"}
