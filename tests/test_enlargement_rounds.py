"""Enlargement rounds (docs/ODD.md, M.8; simulation/mechanisms/candidacy.py): candidates that have
served their candidacy join together, round_years apart, at most round_share x the members per
round, the best supported first.  The rule by hand, one round year by hand, and the mechanism in the
whole model against staged candidacy alone (same seed, common random numbers)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from simulation import cli
from simulation.mechanisms import candidacy
from simulation.runner import run_with_memberships
from simulation.scenario import DialogueParams, HegemonicParams, MembershipParams
from strategies import ATLANTIC, CONCORD, scenario

BOTH = {"Atlantic": ATLANTIC, "Concord": CONCORD}
A, C = "institutions.Atlantic.params", "institutions.Concord.params"
W = MembershipParams()
STAGED = ["mechanisms.candidacy=true", f"{A}.candidacy_years=1", f"{C}.candidacy_years=1"]
ROUNDS = [*STAGED, "mechanisms.enlargement_rounds=true"]


# ---------------------------------------------------------------------- the rule by hand
@pytest.mark.parametrize("share, members, room", [(0.2, 12, 2), (0.25, 10, 3), (0.01, 30, 1), (0.0, 5, 1), (1.0, 7, 7)])
def test_a_round_admits_round_share_of_the_members_rounded_half_up_and_at_least_one(share, members, room):
    assert candidacy.round_size(share, members) == room


def test_support_weighs_the_incumbents_by_capability():
    """Two incumbents with capabilities 3 and 1: (3 * 1 + 1 * -1) / 4 = 0.5; (3 * -1 + 1 * 1) / 4 = -0.5."""
    util = np.array([[1.0, -1.0], [-1.0, 1.0]])
    np.testing.assert_allclose(candidacy.support(util, np.array([3.0, 1.0])), [0.5, -0.5])


def test_support_without_incumbent_capability_is_the_plain_mean_and_without_incumbents_zero():
    util = np.array([[1.0, -3.0], [2.0, 4.0]])
    np.testing.assert_allclose(candidacy.support(util, np.zeros(2)), [-1.0, 3.0])
    np.testing.assert_allclose(candidacy.support(np.zeros((2, 0)), np.zeros(0)), [0.0, 0.0])


def test_a_round_takes_the_best_supported_ready_candidates_and_none_when_not_due():
    ready = np.array([True, False, True, True, True])
    backing = np.array([0.1, 9.0, 0.5, 0.5, -1.0])
    assert_array_equal(candidacy.admit_in_round(ready, backing, due=True, room=2), [2, 3])
    assert_array_equal(candidacy.admit_in_round(ready, backing, due=True, room=1), [2])  # a tie: the lower position
    assert_array_equal(candidacy.admit_in_round(ready, backing, due=True, room=10), [0, 2, 3, 4])
    assert len(candidacy.admit_in_round(ready, backing, due=False, room=10)) == 0
    assert len(candidacy.admit_in_round(np.zeros(5, bool), backing, due=True, room=10)) == 0


def test_years_since_the_last_round_count_only_while_the_institution_exists():
    state = candidacy.Candidacies.empty(3, 2)
    for _ in range(3):
        state.start_year(np.array([True, False]), np.ones(3, bool), np.zeros((3, 2), bool))
    assert_array_equal(state.since_round, [3, 0])
    state.start_year(np.array([True, True]), np.ones(3, bool), np.zeros((3, 2), bool))
    assert_array_equal(state.since_round, [4, 1])  # founded this year: its first year counts (ODD M.8)
    state.start_year(np.array([False, True]), np.ones(3, bool), np.zeros((3, 2), bool))
    assert_array_equal(state.since_round, [0, 2])  # dissolved: the count starts afresh


def test_parameters_are_in_both_institution_kinds_with_bounds():
    for params in (HegemonicParams, DialogueParams):
        p = params()
        assert (p.round_years, p.round_share) == (0.0, 1.0)
        for bad in ({"round_years": -1.0}, {"round_share": -0.1}, {"round_share": 1001.0}):
            with pytest.raises(ValueError):
                params(**bad)


# ---------------------------------------------------------------------- one round by hand
def _club(**params):
    p = {"deterrence": 0.0, "entrapment": 0.0, "veto_threshold": -0.25, "approval_threshold": -0.25,
         "candidacy_years": 0.0, "veto_share": 0.0, "reapply_years": 2.0, "round_years": 3.0, "round_share": 0.0, **params}
    return SimpleNamespace(members=np.array([True, True, False, False, False]), leader=0, params=p, chi=1.0,
                           consensus_capacity_on=True, hegemonic=True)


def _arrays(n=5, demand=None):
    return dict(capability=np.array([4.0, 1.0, 1.0, 3.0, 1.0]), tension=np.zeros((n, n)), proximity=np.ones((n, n)),
                regime=np.zeros(n), demand=np.zeros(n) if demand is None else demand, relaxation=0.1)


def _year(state, inst, rows, join, **arrays):
    state.start_year(np.array([True]), np.ones(5, bool), inst.members[:, None])
    return candidacy.advance(state, np.asarray(rows, dtype=np.int64), np.asarray(join, dtype=np.int64), [inst], [0], W, rounds=True, **arrays)


def test_ready_candidates_wait_for_the_round_and_the_stronger_one_goes_first():
    """Members 0 and 1 value security (demand 1, deterrence 1), so the stronger applicant 3 is
    better supported than 2.  Rounds are 3 years apart and admit one state (share 0): both apply in
    year 1 and are ready at once (candidacy_years 0), but nobody joins before year 3; then 3 joins
    and 2, still ready, joins in year 6."""
    inst = _club(deterrence=1.0)
    arrays = _arrays(demand=np.array([1.0, 1.0, 0.0, 0.0, 0.0]))
    state = candidacy.Candidacies.empty(5, 1)
    joined = {}
    for year in range(1, 8):
        rows = [2, 3] if year == 1 else [s for s in (2, 3) if state.running[s, 0]]
        out = _year(state, inst, rows, [0] * len(rows), **arrays)
        for s in out.joined[0].tolist():
            joined[s] = year
            inst.members[s] = True
    assert joined == {3: 3, 2: 6}


def test_a_due_year_without_ready_candidates_does_not_restart_the_count():
    """Rounds 3 years apart; nobody applies for four years, so the round is due and stays due:
    an applicant in year 5 (candidacy_years 0) joins at once, not three years later."""
    inst = _club(round_share=1.0)
    state = candidacy.Candidacies.empty(5, 1)
    for _ in range(4):
        out = _year(state, inst, [], [], **_arrays())
        assert not any(len(j) for j in out.joined)
    assert state.since_round[0] == 4
    out = _year(state, inst, [2], [0], **_arrays())
    assert_array_equal(out.joined[0], [2])
    assert state.since_round[0] == 0


def test_a_ready_candidate_blocked_while_it_waits_is_refused_and_waits_to_reapply():
    """State 2 is ready in year 1 but the round is not due (3 years apart); in year 2 member 1
    becomes its rival (W < veto): the candidacy is refused and state 2 waits reapply_years."""
    inst = _club()
    state = candidacy.Candidacies.empty(5, 1)
    out = _year(state, inst, [2], [0], **_arrays())
    assert len(out.joined[0]) == 0 and state.running[2, 0]
    rival = _arrays()
    rival["tension"][1, 2] = rival["tension"][2, 1] = 1.0
    out = _year(state, inst, [2], [0], **rival)
    assert_array_equal(out.refused[0], [2])
    assert not state.running[2, 0] and state.wait[2, 0] == 2


def test_without_rounds_both_join_in_the_year_they_apply():
    inst = _club(deterrence=1.0)
    state = candidacy.Candidacies.empty(5, 1)
    state.start_year(np.array([True]), np.ones(5, bool), inst.members[:, None])
    out = candidacy.advance(state, np.array([2, 3]), np.array([0, 0]), [inst], [0], W, **_arrays())
    assert_array_equal(out.joined[0], [2, 3])


# ---------------------------------------------------------------------- in the model
def test_rounds_without_candidacy_are_a_clear_error(capsys, tmp_path):
    path = tmp_path / "rounds.yaml"
    path.write_text("name: rounds\nsteps: 2\nmechanisms:\n  candidacy: false\n  enlargement_rounds: true\n", encoding="utf-8")
    code = cli.main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: {path}:5: mechanisms.enlargement_rounds: "), err
    assert "mechanisms.candidacy: true" in err and "Traceback" not in err


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_round_every_year_without_a_cap_is_staged_candidacy(seed):
    """Metamorphic: round_years 0 and round_share 1000 (no round can fill in a world of fewer states) give the membership
    record and the time series of staged candidacy alone, byte for byte."""
    base = run_with_memberships(scenario(BOTH, steps=60, overrides=STAGED), seed=seed)
    sets = ROUNDS + [f"{k}.{p}={v}" for k in (A, C) for p, v in (("round_years", 0), ("round_share", 1000))]
    rounds = run_with_memberships(scenario(BOTH, steps=60, overrides=sets), seed=seed)
    assert (base.memberships[base.memberships.step > 0].change == "join").any()
    assert rounds.memberships.equals(base.memberships)
    assert rounds.timeseries.equals(base.timeseries)


def test_a_round_every_year_is_staged_candidacy_in_the_cold_war_world():
    """The same on the historical Cold War world (15 years, forced mode, its calibrated default)."""
    from pathlib import Path

    from simulation.scenario_io import load_scenario, with_overrides

    world = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "world_1949_1990.yaml")
    sets = {"steps": 15, "history.mode": "forced", "mechanisms.candidacy": True}
    base = run_with_memberships(with_overrides(world, sets), seed=3)
    free = {f"institutions.{k}.params.{p}": v for k in ("NATO", "WTO") for p, v in (("round_years", 0), ("round_share", 1000))}
    rounds = run_with_memberships(with_overrides(world, {**sets, "mechanisms.enlargement_rounds": True, **free}), seed=3)
    assert (base.memberships.change == "apply").any()
    assert rounds.memberships.equals(base.memberships)


def _fixed_world(extra, seed):
    """Atlantic alone, nothing it does feeds back into the world, every state wants in, nobody
    leaves, nobody objects (veto_share 1): applications do not depend on the rounds."""
    off = ["regime_pull", "planning_pull", "umbrella", "suppression", "polarisation", "counter_threat", "deterrence",
           "entrapment", "grievance", "burden"]
    sets = [f"mechanisms.{k}=false" for k in off] + [
        "mechanisms.candidacy=true", "dynamics.membership.join_threshold=-1e3", "dynamics.membership.leave_threshold=-1e4",
        f"{A}.admission_distance=1", f"{A}.veto_share=1", f"{A}.candidacy_years=1", *extra,
    ]
    out = run_with_memberships(scenario({"Atlantic": ATLANTIC}, steps=40, overrides=sets), seed=seed)
    f = out.memberships
    size = np.array([((f.step <= t) & (f.change == "join")).sum() - ((f.step <= t) & (f.change == "leave")).sum() for t in range(41)])
    return f[(f.change == "join") & (f.step > 0)], size


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("years, share", [(4, 1000.0), (3, 0.1), (0, 0.0)])
def test_rounds_are_spaced_capped_and_never_admit_more(seed, years, share):
    """Metamorphic, where the property is provable (see _fixed_world): with rounds, joins happen
    only in round years at least round_years apart, a round admits at most max(1, round(share x
    members)), the size never exceeds that of staged candidacy alone at any step, and the rounds
    admit the same states, only later."""
    joins0, size0 = _fixed_world([], seed)
    joins, size = _fixed_world(["mechanisms.enlargement_rounds=true", f"{A}.round_years={years}", f"{A}.round_share={share}"], seed)
    steps = sorted(set(joins.step))
    assert np.all(np.diff(steps) >= max(years, 1))
    for s in steps:
        assert (joins.step == s).sum() <= candidacy.round_size(share, size[s - 1])
    assert (size <= size0).all()
    assert (size < size0).any()
    first0, first = dict(zip(joins0.state, joins0.step)), dict(zip(joins.state, joins.step))
    assert set(first) <= set(first0)
    assert all(first[s] >= first0[s] for s in first)
