"""Staged candidacy with a power-weighted veto (docs/ODD.md, M.6; simulation/mechanisms/candidacy.py):
the veto rule alone, one year of candidacies by hand, and the mechanism in the whole model
against accession by consent (same seed, common random numbers)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from simulation.mechanisms import candidacy
from simulation.model import AllianceModel
from simulation.runner import run_with_memberships
from simulation.scenario import DialogueParams, HegemonicParams, MembershipParams
from strategies import ATLANTIC, CONCORD, scenario

BOTH = {"Atlantic": ATLANTIC, "Concord": CONCORD}
A, C = "institutions.Atlantic.params", "institutions.Concord.params"
W = MembershipParams()


def run(overrides=(), *, seed=1, steps=40, institutions=BOTH) -> AllianceModel:
    model = AllianceModel(scenario(institutions, steps=steps, overrides=list(overrides)), seed=seed)
    for _ in range(steps):
        model.step()
    return model


# ---------------------------------------------------------------------- the veto rule
def test_objecting_share_weighs_objectors_by_capability():
    """Incumbents with capabilities 6, 3, 1: objectors {1} hold 0.3, {0, 2} 0.7, all 1, none 0."""
    cap = np.array([6.0, 3.0, 1.0])
    obj = np.array([[False, True, False], [True, False, True], [True, True, True], [False, False, False]])
    np.testing.assert_allclose(candidacy.objecting_share(obj, cap), [0.3, 0.7, 1.0, 0.0])


def test_a_strong_objector_blocks_where_a_weak_one_does_not():
    """veto_share 0.5: the member holding 0.6 blocks alone; the one holding 0.3 does not, and the
    two small ones together (0.4) do not either; at 0 any single objection blocks, at 1 none."""
    cap = np.array([6.0, 3.0, 1.0])
    obj = np.array([[True, False, False], [False, True, False], [False, True, True], [False, False, False]])
    assert_array_equal(candidacy.blocked(obj, cap, 0.5), [True, False, False, False])
    assert_array_equal(candidacy.blocked(obj, cap, 0.0), [True, True, True, False])
    assert_array_equal(candidacy.blocked(obj, cap, 1.0), [False, False, False, False])
    assert_array_equal(candidacy.blocked(np.ones((1, 3), bool), cap, 1.0), [False])


def test_veto_share_zero_blocks_even_a_member_without_capability():
    """0 is unanimity exactly: an objector whose capability is 0 still blocks."""
    assert_array_equal(candidacy.blocked(np.array([[False, True]]), np.array([1.0, 0.0]), 0.0), [True])


def test_objections_count_a_leader_that_does_not_approve():
    """Column 0 leads: above veto (-0.25) but below approval (0) it objects; a member does not."""
    util = np.array([[-0.1, 0.2], [0.2, -0.1], [0.2, -0.3]])
    obj = candidacy.objections(util, 0, veto=-0.25, approval=0.0)
    assert_array_equal(obj, [[True, False], [False, False], [False, True]])
    assert_array_equal(candidacy.objections(util, None, veto=-0.25, approval=0.0), [[False, False], [False, False], [False, True]])


@pytest.mark.parametrize("value, years", [(0.0, 0), (0.49, 0), (0.5, 1), (2.5, 3), (9.99, 10), (3.0, 3)])
def test_whole_years_round_half_up(value, years):
    assert candidacy.whole_years(value) == years


def test_parameters_are_in_both_institution_kinds_with_bounds():
    for params in (HegemonicParams, DialogueParams):
        p = params()
        assert (p.candidacy_years, p.veto_share, p.reapply_years) == (2.0, 0.0, 2.0)
        for bad in ({"veto_share": 1.5}, {"candidacy_years": -1.0}, {"reapply_years": -0.5}):
            with pytest.raises(ValueError):
                params(**bad)


# ---------------------------------------------------------------------- one year by hand
def _club(**params):
    p = {"deterrence": 0.0, "entrapment": 0.0, "veto_threshold": -0.25, "approval_threshold": -0.25,
         "candidacy_years": 1.0, "veto_share": 0.0, "reapply_years": 2.0, **params}
    return SimpleNamespace(members=np.array([True, True, False, False, False]), leader=0, params=p, chi=1.0,
                           consensus_capacity_on=True, hegemonic=True)


def _arrays(n=5, rival=None):
    tension = np.zeros((n, n))
    if rival is not None:
        tension[rival] = tension[rival[::-1]] = 1.0
    return dict(capability=np.array([4.0, 1.0, 1.0, 1.0, 1.0]), tension=tension, proximity=np.ones((n, n)),
                regime=np.zeros(n), demand=np.zeros(n), relaxation=0.1)


def test_a_candidacy_joins_after_candidacy_years_and_a_rival_is_refused_and_waits():
    """States 2 and 3 apply in year 1; member 1 is 3's rival (W = -1 < -0.25): 3 is refused and
    barred for two years; 2 is judged unblocked twice and joins in year 2 (candidacy_years 1)."""
    inst = _club()
    state = candidacy.Candidacies.empty(5, 1)
    rows = np.array([2, 3, 4])
    out = candidacy.advance(state, rows, np.array([0, 0, -1]), [inst], [0], W, **_arrays(rival=(1, 3)))
    assert_array_equal(out.applied[0], [2, 3])
    assert_array_equal(out.refused[0], [3])
    assert len(out.joined[0]) == 0
    assert state.years[2, 0] == 1 and state.years[3, 0] == candidacy.NOT_CANDIDATE and state.wait[3, 0] == 2
    barred = state.start_year(np.array([True]), np.ones(5, bool), inst.members[:, None])
    assert barred[3, 0] and not barred[2, 0]
    out = candidacy.advance(state, np.array([2]), np.array([0]), [inst], [0], W, **_arrays(rival=(1, 3)))
    assert_array_equal(out.joined[0], [2])
    assert len(out.applied[0]) == 0 and state.years[2, 0] == candidacy.NOT_CANDIDATE


def test_a_candidate_that_no_longer_chooses_its_candidacy_withdraws():
    inst = _club(candidacy_years=5.0)
    state = candidacy.Candidacies.empty(5, 1)
    candidacy.advance(state, np.array([2]), np.array([0]), [inst], [0], W, **_arrays())
    out = candidacy.advance(state, np.array([2]), np.array([-1]), [inst], [0], W, **_arrays())
    assert_array_equal(out.withdrawn[0], [2])
    assert not state.running.any() and not state.wait.any()


def test_restrict_leaves_a_candidate_only_its_candidacy_and_bars_the_refused():
    state = candidacy.Candidacies.empty(3, 2)
    state.years[0, 1] = 0
    barred = np.zeros((3, 2), bool)
    barred[1, 0] = True
    out = candidacy.restrict(np.ones((3, 2), bool), np.arange(3), [0, 1], state, barred)
    assert_array_equal(out, [[False, True], [False, True], [True, True]])


# ---------------------------------------------------------------------- in the model
def _log(model):
    return model.membership_log.frame()


CONSENT = ["mechanisms.accession_consent=true"]
NO_STAGES = [f"{k}.{p}=0" for k in (A, C) for p in ("candidacy_years", "veto_share", "reapply_years")]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_candidacy_period_and_unanimity_is_accession_by_consent(seed):
    """Metamorphic: candidacy_years 0, veto_share 0, reapply_years 0 gives the membership record
    and the time series of accession by consent alone, byte for byte."""
    base = run_with_memberships(scenario(BOTH, steps=60, overrides=CONSENT), seed=seed)
    staged = run_with_memberships(scenario(BOTH, steps=60, overrides=CONSENT + ["mechanisms.candidacy=true", *NO_STAGES]), seed=seed)
    assert (base.memberships.change == "apply").any()
    assert staged.memberships.equals(base.memberships)
    assert staged.timeseries.equals(base.timeseries)


def test_no_candidacy_period_is_accession_by_consent_in_the_cold_war_world():
    """The same on the historical Cold War world (10 years, forced mode), where NATO and the WTO
    see applications and refusals."""
    from pathlib import Path

    from simulation.scenario_io import load_scenario, with_overrides

    world = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "world_1949_1990.yaml")
    sets = {"steps": 10, "history.mode": "forced", "mechanisms.candidacy": False, "mechanisms.accession_consent": True}
    base = run_with_memberships(with_overrides(world, sets), seed=3)
    stages = {f"institutions.{k}.params.{p}": 0 for k in ("NATO", "WTO") for p in ("candidacy_years", "veto_share", "reapply_years")}
    staged = run_with_memberships(with_overrides(world, {**sets, "mechanisms.candidacy": True, **stages}), seed=3)
    assert (base.memberships.change == "apply").any()
    assert staged.memberships.equals(base.memberships)


@pytest.mark.parametrize("seed", [1, 2])
def test_no_candidacy_period_and_no_veto_is_unilateral_accession(seed):
    """Metamorphic: candidacy_years 0 (anything below one half) and veto_share 1 admit every
    applicant in the year it applies, as without consent: the same members, the same time series;
    the record only adds an apply row before each join after founding."""
    sets = ["mechanisms.candidacy=true"] + [f"{k}.{p}={v}" for k in (A, C) for p, v in (("candidacy_years", 0.4), ("veto_share", 1))]
    base = run_with_memberships(scenario(BOTH, steps=40), seed=seed)
    staged = run_with_memberships(scenario(BOTH, steps=40, overrides=sets), seed=seed)
    assert staged.timeseries.equals(base.timeseries)
    rows = staged.memberships
    assert rows[rows.change != "apply"].reset_index(drop=True).equals(base.memberships)
    later = rows[rows.step > 0]
    assert (later.change == "apply").sum() == (later.change == "join").sum() > 0


def test_a_strict_veto_with_staged_candidacy_refuses_what_consent_refuses():
    """With every incumbent objecting (veto threshold above any utility) and veto_share 0, every
    candidacy is refused in the year it is made."""
    m = run(["mechanisms.candidacy=true", f"{A}.veto_threshold=1e9"], seed=2, steps=60)
    atl = _log(m)
    atl = atl[(atl.institution == "Atlantic") & (atl.step > 0)]
    applied, refused = atl[atl.change == "apply"], atl[atl.change == "refused"]
    assert len(applied) > 0
    assert sorted(zip(applied.step, applied.state)) == sorted(zip(refused.step, refused.state))
    assert (atl.change != "join").all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_veto_share_one_never_refuses(seed):
    """Metamorphic: with veto_share 1 no candidacy is ever refused, even when every incumbent objects."""
    m = run(["mechanisms.candidacy=true", f"{A}.veto_threshold=1e9", f"{C}.veto_threshold=1e9",
             f"{A}.veto_share=1", f"{C}.veto_share=1"], seed=seed, steps=60)
    f = _log(m)
    assert not (f.change == "refused").any()
    assert (f[f.step > 0].change == "join").any()


def test_every_candidacy_ends_once_and_joins_follow_an_application():
    """Record consistency: per state and institution, apply rows alternate with exactly one of
    join / refused / withdraw (or a candidacy still running at the end), and every join after
    founding ends a candidacy at least candidacy_years after its application."""
    m = run(["mechanisms.candidacy=true", f"{A}.candidacy_years=3", f"{C}.candidacy_years=3"], seed=2, steps=80)
    f = _log(m)
    later = f[(f.step > 0) & f.change.isin(["apply", "join", "refused", "withdraw", "leave"])]
    ended = 0
    for (state, inst), rows in later.groupby(["state", "institution"], sort=False):
        open_since = None
        for step, change in zip(rows.step, rows.change):
            if change == "apply":
                assert open_since is None
                open_since = step
            elif change in ("join", "refused", "withdraw"):
                assert open_since is not None
                if change == "join":
                    assert step - open_since == 3
                open_since = None
                ended += 1
    assert ended > 0
    assert (f.change == "join").sum() > (f.step == 0).sum() - len(BOTH)


def _fixed_world(years: int, seed: int) -> AllianceModel:
    """Atlantic alone, nothing it does feeds back into the world (its effects switched off),
    every state wants in (join threshold far below any utility), nobody leaves, nobody objects
    (veto_share 1): each state applies at its first review, the same year whatever candidacy_years."""
    off = ["regime_pull", "planning_pull", "umbrella", "suppression", "polarisation", "counter_threat", "deterrence",
           "entrapment", "grievance", "burden"]
    return run([f"mechanisms.{k}=false" for k in off] + [
        "mechanisms.candidacy=true", "dynamics.membership.join_threshold=-1e3", "dynamics.membership.leave_threshold=-1e4",
        f"{A}.admission_distance=1", f"{A}.veto_share=1", f"{A}.candidacy_years={years}",
    ], seed=seed, steps=30, institutions={"Atlantic": ATLANTIC})


@pytest.mark.parametrize("seed", [1, 2])
def test_a_longer_candidacy_never_has_more_members_at_any_step(seed):
    """Metamorphic, in the world where the property is provable (see _fixed_world): the size of
    Atlantic after every step never grows with candidacy_years (0, 1, 3, 6), and a longer
    candidacy admits each state exactly that many years later."""
    sizes, first = [], []
    for years in (0, 1, 3, 6):
        m = _fixed_world(years, seed)
        f = _log(m)
        joins = f[(f.change == "join") & (f.step > 0)]
        first.append(dict(zip(joins.state, joins.step)))
        sizes.append(np.array([((f.step <= t) & (f.change == "join")).sum() - ((f.step <= t) & (f.change == "leave")).sum()
                               for t in range(31)]))
    for a, b in zip(sizes, sizes[1:]):
        assert (b <= a).all()
    assert (sizes[0] > sizes[-1]).any()
    for state, step in first[-1].items():
        assert step == first[0][state] + 6
