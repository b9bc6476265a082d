"""Units of the history machinery: forcing, the record, membership changes (roster), the
entry tension row, the members panel, the sweep's membership files, and bit-identity of
scenarios without history."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation import events, forcing, roster
from simulation.cli_run import tidy_timeseries
from simulation.dyads import intra_dyads
from simulation.institutions import InstitutionState
from simulation.mechanisms.tension import equilibrium
from simulation.overview import membership_spells
from simulation.record import MembershipLog, members_at
from simulation.runner import RunOutput, run_scenario, run_with_memberships
from simulation.scenario import Scenario
from simulation.scenario_io import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"


# ---------------------------------------------------------------------- forcing
def test_forcing_applies_to_active_states_with_a_row_only(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("year,state,capability,regime\n2001,A,2.0,0.1\n2001,B,3.0,0.2\n2001,Z,9.0,0.9\n2002,A,4.0,0.4\n")
    f = forcing.read_forcing_file(str(path), ["A", "B", "C"])
    assert sorted(f.years) == [2001, 2002]
    cap, reg = np.array([1.0, 1.0, 1.0]), np.array([0.5, 0.5, 0.5])
    forcing.apply(f, 2001, np.array([True, False, True]), cap, reg)
    assert cap.tolist() == [2.0, 1.0, 1.0] and reg.tolist() == [0.1, 0.5, 0.5]  # B inactive, C without a row
    forcing.apply(f, 1999, np.ones(3, bool), cap, reg)  # a year without rows changes nothing
    assert cap.tolist() == [2.0, 1.0, 1.0]


# ---------------------------------------------------------------------- record and roster
def fake_model(n=4, max_memberships=1):
    insts = [
        InstitutionState("H", "hegemonic", np.array([True, True, False, False]), {}, leader=0),
        InstitutionState("D", "dialogue", np.array([False, False, True, True]), {}),
        InstitutionState("H2", "hegemonic", np.zeros(n, bool), {}, leader=None),
    ]
    model = SimpleNamespace(
        steps=3, names=[f"s{i}" for i in range(n)], grievance=np.ones(n), membership_log=MembershipLog(2000),
        institutions=insts, dynamics=SimpleNamespace(membership=SimpleNamespace(max_memberships=max_memberships)),
    )
    model.alive = lambda: [k for k in insts if k.alive]
    return model, insts


def test_roster_changes_are_logged_and_counted():
    model, (h, d, h2) = fake_model()
    roster.leave(model, h, [1])
    roster.join(model, d, [1])
    roster.dissolve(model, d)
    log = model.membership_log.frame()
    assert log[["step", "year", "state", "institution", "change"]].values.tolist() == [
        [3, 2003, "s1", "H", "leave"], [3, 2003, "s1", "D", "join"],
        [3, 2003, "", "D", "dissolve"], [3, 2003, "s1", "D", "leave"], [3, 2003, "s2", "D", "leave"], [3, 2003, "s3", "D", "leave"],
    ]
    assert model.grievance.tolist() == [1, 0, 1, 1]  # leaving a hegemonic alliance clears grievance
    assert (h.exits, d.joins, d.exits, d.alive) == (1, 1, 3, False)


def test_room_for_keeps_the_membership_limits():
    model, (h, d, h2) = fake_model()
    assert not roster.room_for(model, h2, 2)  # s2 is in D and may hold one membership
    assert not roster.room_for(model, h2, 0)
    model2, (h, d, h2) = fake_model(max_memberships=2)
    assert roster.room_for(model2, h2, 2)  # a second membership, not a second hegemonic alliance
    assert not roster.room_for(model2, h2, 1)


def test_members_at_rebuilds_from_rows():
    log = MembershipLog(None)
    for change, state, inst in [("found", "", "K"), ("join", "a", "K"), ("join", "b", "K"), ("leave", "a", "K"),
                                ("found", "", "L"), ("join", "c", "L"), ("dissolve", "", "L"), ("leave", "c", "L")]:
        log.add(1 if inst == "L" else 0, change, state=state, institution=inst)
    frame = log.frame()
    assert members_at(frame, 0) == {"K": {"b"}}
    assert members_at(frame, 1) == {"K": {"b"}}
    assert frame["year"].isna().all()


def test_intra_dyads_counts_pairs_sharing_an_institution():
    a = np.array([1, 1, 1, 0, 0], bool)
    b = np.array([0, 0, 1, 1, 0], bool)
    assert intra_dyads([a, b]) == 3 + 1
    assert intra_dyads([]) == 0


# ---------------------------------------------------------------------- entry
def test_baseline_tension_row_equals_the_dense_equilibrium_with_rivalry():
    rng = np.random.default_rng(0)
    n = 6
    t = SimpleNamespace(baseline=0.1, regime_weight=0.6, policy_weight=0.5, rivalry_weight=0.5)
    model = SimpleNamespace(regime=rng.random(n), policy=rng.random((n, 2)), tension=np.zeros((n, n), np.float32),
                            dynamics=SimpleNamespace(tension=t),
                            rivalry=(np.array([1, 2]), np.array([2, 4]), np.array([0.8, 0.3])))
    r = np.zeros((n, n))
    r[1, 2] = r[2, 1] = 0.8
    r[2, 4] = r[4, 2] = 0.3
    star = equilibrium(model.regime, model.policy, r, baseline=0.1, regime_weight=0.6, policy_weight=0.5, rivalry_weight=0.5)
    expected = np.clip(star[2], 0, 1)
    expected[2] = 0
    np.testing.assert_allclose(events.baseline_tension_row(model, 2), expected, rtol=1e-6)


def test_entry_policy_draws_come_after_every_other_draw_of_the_world():
    """Adding an enter event for a new state keeps every existing state's drawn values."""
    base = {"steps": 0, "world": {"generate": {"count": 5}}}
    plain = run_with_memberships(scenario_from_dict(base))
    from simulation.model import AllianceModel

    a = AllianceModel(scenario_from_dict(base))
    b = AllianceModel(scenario_from_dict({**base, "events": [{"step": 3, "kind": "enter", "state": "New", "capability": 1.0, "regime": 0.5, "location": [0, 0]}]}))
    for name in ("capability", "regime", "sovereignty", "governance", "stability", "policy", "location"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name)[:5])
    assert b.names[-1] == "New" and not b.active[-1] and b.active[:5].all()
    assert len(plain.memberships) == 0


# ---------------------------------------------------------------------- bit identity
@pytest.mark.parametrize("name, steps", [("two_blocs", 25), ("world_2016", 3)])
def test_scenarios_without_history_give_the_numbers_of_the_plain_runner(name, steps):
    """The time series of run_with_memberships equals run_scenario's, and neither depends on
    the membership record (golden numbers: tests/test_reproducibility.py)."""
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml", [f"steps={steps}"])
    out = run_with_memberships(sc)
    assert isinstance(out, RunOutput)
    pd.testing.assert_frame_equal(out.timeseries, run_scenario(sc), check_exact=True)
    assert (out.memberships["step"] == 0).sum() >= 2


# ---------------------------------------------------------------------- overview and sweep
def test_membership_spells_close_at_leave_and_run_to_the_end():
    log = MembershipLog(None)
    log.add(0, "join", state="a", institution="K")
    log.add(2, "leave", state="a", institution="K")
    log.add(3, "join", state="a", institution="K")
    log.add(1, "join", state="b", institution="K")
    assert membership_spells(log.frame(), 5) == [("K", "a", 0, 2), ("K", "b", 1, 6), ("K", "a", 3, 6)]
