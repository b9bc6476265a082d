"""Unit and metamorphic tests of the membership mechanisms of the issue "Membership that
matches history": accession by consent, regions, persistence, commitments, capability
trends and leadership.

They test the pure functions in ``simulation/mechanisms/`` and ``simulation/regions.py``.
Those functions are not yet called by the model's step: the last test checks that their
switches change nothing until they are wired in (and fails, on purpose, once one is).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from simulation import regions
from simulation.institutions import InstitutionState
from simulation.mechanisms import accession, capability, capability_trends, commitments, conflict, leadership, membership, persistence, review
from simulation.runner import run_scenario
from simulation.scenario import Mechanisms, MembershipParams
from strategies import ATLANTIC, CONCORD, scenario

ROOT = Path(__file__).resolve().parents[1]
W = MembershipParams()


def choose(util, member, admissible, *, hegemonic=None, forced=None, locked=None, w=W):
    k = util.shape[1]
    return membership.choose(
        util, member, admissible,
        np.zeros_like(member) if forced is None else forced,
        np.zeros_like(member) if locked is None else locked,
        np.zeros(k, dtype=bool) if hegemonic is None else hegemonic,
        join_threshold=w.join_threshold, leave_threshold=w.leave_threshold, max_memberships=w.max_memberships,
    )


# ====================================================================== regions
def test_region_of_splits_the_americas_and_counts_turkey_as_european():
    """COW ranges, with North America = USA, Canada and Turkey (640) in Europe."""
    expected = {2: "North America", 20: "North America", 70: "Latin America", 140: "Latin America",
                200: "Europe", 365: "Europe", 373: "Europe", 640: "Europe", 630: "Middle East",
                651: "Middle East", 500: "Africa", 705: "Asia", 710: "Asia", 750: "Asia", 900: "Oceania"}
    assert {c: regions.region_of(c) for c in expected} == expected
    assert regions.region_of(1) is None and regions.region_of(1000) is None
    assert regions.cow_range_region(640) == "Middle East"
    assert set(regions.TREATY_REGIONS["NATO"]) | set(regions.TREATY_REGIONS["SCO"]) <= set(regions.REGION_NAMES)


def _build_world_module():
    spec = importlib.util.spec_from_file_location("build_world", ROOT / "scenarios/data/build_world.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cow_ranges_are_the_build_scripts_table():
    """The build script can import COW_RANGES without changing a built world."""
    build = _build_world_module()
    assert tuple(tuple(r) for r in build.REGIONS) == regions.COW_RANGES
    codes = pd.read_csv(ROOT / "scenarios/data/world_2016_states.csv").ccode
    assert all(regions.cow_range_region(c) == build.region_of(c) for c in codes)


# Warsaw Pact members (COW): USSR, Poland, GDR, Czechoslovakia, Hungary, Romania, Bulgaria, Albania.
WTO_MEMBERS = (365, 290, 265, 315, 310, 360, 355, 339)


def test_every_historical_member_lies_in_its_treatys_regions():
    """No state that ever joined NATO, the SCO or the WTO is outside the regions we give them."""
    record = pd.read_csv(ROOT / "scenarios/data/raw/nato_sco_membership.csv")
    assert set(record.org) == {"NATO", "SCO"} and len(record) > 30
    for org, ccode in zip(record.org, record.ccode):
        assert regions.region_of(ccode) in regions.TREATY_REGIONS[org], (org, ccode)
    assert all(regions.region_of(c) in regions.TREATY_REGIONS["WTO"] for c in WTO_MEMBERS)


def test_eligibility_mask():
    states = ["Europe", None, "Asia", "North America"]
    assert_array_equal(regions.eligibility_mask(states, None), [True] * 4)
    assert_array_equal(regions.eligibility_mask(states, ("Europe", "North America")), [True, False, False, True])
    assert_array_equal(regions.eligibility_mask(states, regions.REGION_NAMES), [True, False, True, True])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.lists(st.sampled_from(regions.REGION_NAMES), min_size=1, max_size=4, unique=True))
def test_a_region_restriction_never_admits_a_state_from_outside_it(seed, allowed):
    """Metamorphic: with the mask applied to admission, every join is by a state of an allowed
    region, and restricting to every region equals no restriction."""
    rng = np.random.default_rng(seed)
    n, k = 40, 3
    state_regions = [None if u < 0.1 else regions.REGION_NAMES[int(u * 70) % 7] for u in rng.random(n)]
    util = rng.normal(0.1, 0.3, (n, k))
    member = rng.random((n, k)) < 0.2
    admissible = rng.random((n, k)) < 0.8
    mask = regions.eligibility_mask(state_regions, allowed)
    restricted = admissible.copy()
    restricted[:, 0] &= mask
    _, join = choose(util, member, restricted)
    assert all(state_regions[i] in allowed for i in np.flatnonzero(join == 0))
    named = [r or "Africa" for r in state_regions]
    everywhere = admissible & regions.eligibility_mask(named, regions.REGION_NAMES)[:, None]
    assert_array_equal(choose(util, member, everywhere)[1], choose(util, member, admissible)[1])


def test_a_region_name_is_checked_in_the_scenario():
    from simulation.errors import ScenarioError
    from simulation.scenario_io import scenario_from_dict

    base = {"world": {"generate": {"count": 3}, "states": [{"name": "A", "capability": 1, "regime": 0.5, "region": "Europe"}]}}
    assert scenario_from_dict(base).world.states[0].region == "Europe"
    base["world"]["states"][0]["region"] = "Eurpoe"
    with pytest.raises(ScenarioError, match="expected a region"):
        scenario_from_dict(base)


# ====================================================================== persistence
def test_views_with_phi_zero_are_todays_fresh_draw_exactly():
    """Metamorphic: phi = 0 reproduces utility_noise * standard_normal(n) from the same stream."""
    n, sd = 50, W.utility_noise
    today = sd * np.random.default_rng(3).standard_normal(n)
    shocks = np.random.default_rng(3).standard_normal(n)
    previous = np.random.default_rng(4).normal(size=n)
    assert_array_equal(persistence.update_views(previous, shocks, phi=0.0, sd=sd), today)
    assert_array_equal(persistence.update_views(None, shocks, phi=0.7, sd=sd), today)


def test_views_are_ar1_with_the_stationary_sd_of_utility_noise():
    """Over 200 000 years: sd of v = sd (within 2%), lag-1 autocorrelation = phi (within 0.01)."""
    rng = np.random.default_rng(11)
    phi, sd, years = 0.8, 0.1, 200_000
    shocks = rng.standard_normal(years)
    v = np.empty(years)
    prev = None
    for t in range(years):
        prev = persistence.update_views(prev, shocks[t:t + 1], phi=phi, sd=sd)
        v[t] = prev[0]
    assert abs(v.std() / sd - 1.0) < 0.02
    assert abs(np.corrcoef(v[:-1], v[1:])[0, 1] - phi) < 0.01
    # One hand step: 0.8 * 0.5 + sqrt(1 - 0.64) * 0.1 * 2 = 0.4 + 0.12 = 0.52.
    assert_allclose(persistence.update_views(np.array([0.5]), np.array([2.0]), phi=0.8, sd=0.1), [0.52])


def test_exit_cost_grows_with_tenure_toward_its_ceiling():
    tenure = np.array([0, 1, 10, 1000])
    cost = persistence.exit_cost(tenure, cost=0.1, scale=10.0)
    assert_allclose(cost, [0.0, 0.1 * (1 - np.exp(-0.1)), 0.1 * (1 - np.exp(-1.0)), 0.1])
    assert np.all(np.diff(cost) > 0)
    assert_array_equal(persistence.exit_cost(tenure, cost=0.0, scale=10.0), np.zeros(4))
    assert_array_equal(persistence.advance_tenure(np.array([0, 3, 5]), np.array([True, True, False])), [1, 4, 0])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_phi_zero_and_no_exit_cost_is_todays_choice(seed):
    """Metamorphic: views from update_views(phi=0) and staying_utility(cost=0) give exactly
    the leave/join decisions of today's choose on utility + sd * eps."""
    rng = np.random.default_rng(seed)
    n, k = 30, 3
    base = rng.normal(0.0, 0.2, (n, k))
    eps = rng.standard_normal((n, k))
    member = rng.random((n, k)) < 0.3
    admissible = rng.random((n, k)) < 0.8
    tenure = rng.integers(0, 40, (n, k))
    today = choose(base + W.utility_noise * eps, member, admissible)
    views = persistence.update_views(rng.normal(size=(n, k)), eps, phi=0.0, sd=W.utility_noise)
    util = persistence.staying_utility(base + views, member, tenure, cost=0.0, scale=10.0)
    new = choose(util, member, admissible)
    assert_array_equal(new[0], today[0])
    assert_array_equal(new[1], today[1])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_an_exit_cost_only_removes_exits(seed):
    """Metamorphic: adding the exit cost never makes a member leave that stayed without it."""
    rng = np.random.default_rng(seed)
    n, k = 30, 3
    util = rng.normal(0.0, 0.2, (n, k))
    member = rng.random((n, k)) < 0.4
    tenure = np.where(member, rng.integers(0, 40, (n, k)), 0)
    without, _ = choose(util, member, np.ones((n, k), bool))
    with_cost, _ = choose(persistence.staying_utility(util, member, tenure, cost=0.1, scale=10.0), member, np.ones((n, k), bool))
    assert not (with_cost & ~without).any()


# ====================================================================== accession by consent
def hegemon(members, leader, **params):
    p = {"deterrence": 0.6, "entrapment": 0.3, "veto_threshold": -0.25, "approval_threshold": -0.25, **params}
    return SimpleNamespace(members=np.asarray(members, bool), leader=leader, params=p, chi=1.0, consensus_capacity_on=True, hegemonic=True)


def test_consent_needs_the_leader_and_no_objection():
    util = np.array([[0.1, 0.1, 0.1],     # everyone content
                     [0.1, -0.3, 0.1],    # member 1 objects
                     [-0.2, 0.1, 0.1],    # leader (column 0) below approval 0 but above veto
                     [0.0, 0.0, 0.0]])
    assert_array_equal(accession.consent(util, 0, veto=-0.25, approval=0.0), [True, False, False, True])
    assert_array_equal(accession.consent(util, None, veto=-0.25, approval=0.0), [True, False, True, True])
    assert_array_equal(accession.consent(np.zeros((2, 0)), None, veto=0.0, approval=0.0), [True, True])


def test_incumbent_utility_of_a_hegemonic_alliance_by_hand():
    """Three states; members 0 (leader) and 1; applicant 2.

    p = (4, 1, 1): P_k = 5, s = 1/6.  z = (0.2, 0.4, .).  T_2m = (0.1, 0.5), prox_2m = (1, 0.5).
    Outside risk of 2: no outsider but itself -> 0.  Dilution: max(0, 1/3 - 1/6) = 1/6.
    Member 1: 0.6 * (1/6) * 0.4 - 0.5 * 0.5 - 0.6 / 6 = 0.04 - 0.25 - 0.1 = -0.31.
    Leader 0: 0.6/6*0.2 - 0.1*1 - 0.1 = -0.18, plus f gain (6-4)/6 - (5-4)/5 = 1/3 - 1/5 -> -0.04667.
    """
    inst = hegemon([True, True, False], 0)
    tension = np.array([[0, 0.3, 0.1], [0.3, 0, 0.5], [0.1, 0.5, 0]])
    prox = np.array([[1, 1, 1], [1, 1, 0.5], [1, 0.5, 1]])
    util = accession.incumbent_utility(
        W, inst, np.array([2]), capability=np.array([4.0, 1.0, 1.0]), tension=tension, proximity=prox,
        regime=np.zeros(3), demand=np.array([0.2, 0.4, 0.3]), relaxation=0.1,
    )
    assert_allclose(util, [[-0.18 + 1 / 3 - 1 / 5, -0.31]])


def test_outside_risk_ignores_members_and_the_applicant():
    tension = np.array([[0, 0.9, 0.2, 0.5], [0.9, 0, 0, 0], [0.2, 0, 0, 0], [0.5, 0, 0, 0]])
    prox = np.ones((4, 4))
    members = np.array([False, True, False, False])
    assert_allclose(accession.outside_risk(np.array([0]), members, tension, prox), [0.5])


def test_consensus_capacity_with_an_applicant_matches_the_institution():
    """chi_k^+ equals update_consensus_capacity on the enlarged membership."""
    regime = np.array([0.1, 0.3, 0.35, 0.9, 0.6])
    members = np.array([True, True, True, False, False])
    inst = InstitutionState("C", "dialogue", members.copy(), {"consensus_cost": 2.0, "consensus_reference": 10.0})
    plus = accession.chi_with(regime[members], regime[[3, 4]], cost=2.0, reference=10.0)
    for a, chi in zip((3, 4), plus):
        inst.members = members.copy()
        inst.members[a] = True
        assert_allclose(chi, inst.update_consensus_capacity(regime))


def _world(seed, n=25):
    rng = np.random.default_rng(seed)
    t = rng.random((n, n)) * 0.6
    t = (t + t.T) / 2
    np.fill_diagonal(t, 0)
    prox = np.exp(-rng.random((n, n)) * 3)
    prox = (prox + prox.T) / 2
    return dict(capability=rng.lognormal(size=n), tension=t, proximity=prox, regime=rng.random(n),
                demand=membership.security_demand(t, prox), relaxation=0.1)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_consent_by_an_incumbent_that_always_approves_is_unilateral_accession(seed):
    """Metamorphic: when the single deciding incumbent (the leader of a one-member club, or
    every member with veto -inf) always approves, screening changes no join."""
    rng = np.random.default_rng(seed)
    arrays = _world(seed)
    n = len(arrays["regime"])
    solo = np.zeros(n, bool)
    solo[0] = True
    many = rng.random(n) < 0.3
    many[0] = True
    insts = [hegemon(solo, 0, veto_threshold=-np.inf, approval_threshold=-np.inf),
             SimpleNamespace(members=many, leader=None, chi=0.8, consensus_capacity_on=True, hegemonic=False,
                             params={"dialogue_intensity": 0.03, "consensus_cost": 2.0, "consensus_reference": 10.0, "veto_threshold": -np.inf})]
    rows = np.arange(1, n)
    join = rng.integers(-1, 2, len(rows))
    out = accession.screen(rows, join, insts, W, **arrays)
    assert_array_equal(out.join, join)
    assert len(out.refused[0]) == 0
    assert_array_equal(out.applied[0], rows[join >= 0])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-0.5, 0.2), st.floats(0.0, 0.3))
def test_more_incumbents_or_a_higher_veto_never_admit_more(seed, veto, rise):
    """Metamorphic: unanimity is monotone: an extra incumbent or a stricter veto only refuses more."""
    rng = np.random.default_rng(seed)
    util = rng.normal(-0.1, 0.2, (20, 6))
    base = accession.consent(util[:, :5], 0, veto=veto, approval=veto)
    assert not (accession.consent(util, 0, veto=veto, approval=veto) & ~base).any()
    assert not (accession.consent(util[:, :5], 0, veto=veto + rise, approval=veto) & ~base).any()


def test_screen_reports_applications_and_refusals():
    """Two applicants to an alliance: the one a member's rival (tension 0.9 nearby) is refused."""
    n = 4
    tension = np.full((n, n), 0.05)
    tension[1, 3] = tension[3, 1] = 0.9
    np.fill_diagonal(tension, 0)
    arrays = dict(capability=np.array([5.0, 1.0, 1.0, 1.0]), tension=tension, proximity=np.ones((n, n)),
                  regime=np.zeros(n), demand=np.full(n, 0.2), relaxation=0.1)
    inst = hegemon([True, True, False, False], 0)
    out = accession.screen(np.array([2, 3]), np.array([0, 0]), [inst], W, **arrays)
    assert_array_equal(out.join, [0, -1])
    assert_array_equal(out.applied[0], [2, 3])
    assert_array_equal(out.refused[0], [3]) and assert_array_equal(out.refused[1], [0])


# ====================================================================== commitments
def test_honour_uses_reliability():
    draws = np.array([0.0, 0.5, 0.74, 0.75, 0.99])
    assert_array_equal(commitments.honour(draws, 0.75), [True, True, True, False, False])
    assert commitments.honour(draws, 1.0).all() and not commitments.honour(draws, 0.0).any()


def test_calls_answers_and_trust_by_hand():
    """Members 0, 1, 2.  Conflicts: (0, 5) member vs outsider -> a call; (1, 2) inside; (3, 4) outside.
    Ally 1 honours, ally 2 does not: abandoned share 1/2.  Trust: recovery 0.1 from 0.8 -> 0.82;
    caller 0 loses 0.5 * 0.5 = 0.25 -> 0.57; joiner 1 loses 0.1 * (1 - T_15 = 0.2) = 0.08 from 1."""
    members = np.array([True, True, True, False, False, False])
    calls = commitments.answer_calls(np.array([0, 1, 3]), np.array([5, 2, 4]), members, np.array([True, True, False, True, True, True]))
    assert_array_equal(calls.caller, [0]) and assert_array_equal(calls.opponent, [5])
    assert_array_equal(calls.joined, [[False, True, False, False, False, False]])
    assert_allclose(calls.abandoned, [0.5])
    tension = np.zeros((6, 6))
    tension[1, 5] = tension[5, 1] = 0.2
    trust = commitments.update_trust(np.array([0.8, 1, 1, 1, 1, 1]), calls, tension, abandonment=0.5, entrapment_loss=0.1, recovery=0.1)
    assert_allclose(trust, [0.57, 0.92, 1, 1, 1, 1])
    assert_allclose(commitments.trust_utility(trust, weight=2.0), 2.0 * (trust - 1.0))


def _conflicts(rng, n):
    c = rng.integers(0, 3)
    i = rng.choice(n, c, replace=False) if c else np.zeros(0, int)
    j = np.array([rng.choice(np.setdiff1d(np.arange(n), [a])) for a in i], dtype=int)
    return i, j


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_full_reliability_without_abandonment_is_full_credibility(seed):
    """Metamorphic: rho = 1, no abandonment or entrapment loss: trust stays exactly 1 over 30
    years of random conflicts, its utility term is 0, and joiners are exactly the allies that
    today's entrap() raises."""
    rng = np.random.default_rng(seed)
    n = 12
    members = rng.random(n) < 0.5
    trust = np.ones(n)
    for _ in range(30):
        i, j = _conflicts(rng, n)
        calls = commitments.answer_calls(i, j, members, commitments.honour(rng.random(n), 1.0))
        trust = commitments.update_trust(trust, calls, rng.random((n, n)), abandonment=0.0, entrapment_loss=0.0, recovery=0.1, fought=(i, j))
        assert_array_equal(trust, np.ones(n))
        t0 = rng.random((n, n)).astype(np.float32)
        t0 = (t0 + t0.T) / 2
        today, new = t0.copy(), t0.copy()
        conflict.entrap(today, i, j, [(members, 0.3)])
        a, o = commitments.joined_pairs(calls, fought=(i, j))
        conflict.raise_tension(new, a, o, 0.3)
        assert_array_equal(new, today)
    util = rng.normal(size=n)
    assert_array_equal(util + commitments.trust_utility(trust, weight=1.0), util)


def test_abandonment_lowers_trust_more_when_fewer_allies_honour():
    members = np.array([True] * 5 + [False])
    tension = np.zeros((6, 6))
    loss = []
    for honours in ([True] * 6, [True, True, True, False, False, True], [False] * 6):
        calls = commitments.answer_calls(np.array([0]), np.array([5]), members, np.array(honours))
        loss.append(1.0 - commitments.update_trust(np.ones(6), calls, tension, abandonment=0.5, entrapment_loss=0.0, recovery=0.1)[0])
    assert_allclose(loss, [0.0, 0.25, 0.5])


# ====================================================================== capability trends
def test_ols_slopes_recover_exact_trends_and_skip_short_series():
    years = np.arange(2000, 2010)
    logs = np.vstack([0.03 * (years - 2000) + 1.0, -0.01 * (years - 2000), np.r_[np.full(8, np.nan), 1.0, 1.1]])
    slope, se = capability_trends.ols_slopes(logs, years)
    assert_allclose(slope[:2], [0.03, -0.01], atol=1e-12)
    assert_allclose(se[:2], [0.0, 0.0], atol=1e-12)
    assert np.isnan(slope[2]) and np.isnan(se[2])


def test_shrinkage_pulls_noisy_slopes_toward_the_mean():
    """b = (0, 0.04, 0.02), se = (0, 0.02, 0.001): mean 0.02, var(b) = 0.0008/3, mean se^2 =
    0.000401/3, so tau^2 = 0.000399/3; each slope keeps the share tau^2 / (tau^2 + se^2) of its
    distance from the mean; a state without a slope gets the mean."""
    slope = np.array([0.0, 0.04, 0.02, np.nan])
    se = np.array([0.0, 0.02, 0.001, np.nan])
    trend, target, tau2 = capability_trends.shrink(slope, se)
    expected_tau2 = 0.0008 / 3 - 0.000401 / 3
    assert target == pytest.approx(0.02) and tau2 == pytest.approx(expected_tau2)
    weights = expected_tau2 / (expected_tau2 + se[:3] ** 2)
    assert_allclose(trend, [0.02 + (s - 0.02) * wt for s, wt in zip(slope[:3], weights)] + [0.02])
    assert trend[0] == pytest.approx(0.0)  # no error: keeps its own slope


def test_fit_uses_only_the_window_ending_at_the_start_year():
    years = np.arange(1980, 1995)
    # Share doubles each year after 1990 (outside the window ending 1990): must not count.
    cinc = np.exp(np.vstack([0.05 * (years - 1980) + np.where(years > 1990, 10.0 * (years - 1990), 0.0),
                             -0.02 * (years - 1980), 0.0 * years]))
    fit = capability_trends.fit_growth_trends(cinc, years, start_year=1990)
    assert_allclose(fit.slope, [0.05, -0.02, 0.0], atol=1e-12)
    assert_allclose(fit.trend, fit.slope, atol=1e-12)  # exact fits: se = 0, no shrinkage


def test_nmc_trends_before_1991():
    """On the shipped NMC file: fitted trends are finite, and China's exceeds Russia's (1982-1991)."""
    nmc = pd.read_csv(ROOT / "scenarios/data/raw/NMC-60-abridged.csv")
    table = nmc.pivot_table(index="ccode", columns="year", values="cinc")
    fit = capability_trends.fit_growth_trends(table.to_numpy(), table.columns.to_numpy(), start_year=1991)
    trend = pd.Series(fit.trend, index=table.index)
    have = table.loc[:, 1982:1991].notna().sum(axis=1) >= 3
    assert np.isfinite(trend[have]).all()
    assert trend[710] > trend[365]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-0.05, 0.05))
def test_shared_growth_trends_reproduce_todays_capability(seed, common):
    """Metamorphic: trends all 0 give today's growth exactly; a trend shared by all leaves every
    capability share unchanged."""
    rng = np.random.default_rng(seed)
    n = 20
    p = rng.lognormal(size=n)
    burden = rng.random(n) * 0.01
    shocks = rng.standard_normal(n)
    today = capability.grow(p, shocks, burden, mean=0.02, sd=0.03)
    zero = capability.grow(p, shocks, burden, mean=capability_trends.growth_means(0.02, np.zeros(n)), sd=0.03)
    assert_array_equal(zero, today)
    assert capability_trends.growth_means(0.02, None) == 0.02
    shared = capability.grow(p, shocks, burden, mean=capability_trends.growth_means(0.02, np.full(n, common)), sd=0.03)
    assert_allclose(shared / shared.sum(), today / today.sum(), rtol=1e-12)


# ====================================================================== leadership
def test_leader_utility_by_hand():
    """Bloc capabilities (6, 2, 2): f = 0.4.  0.6*0.2 + 0.2*0.1 + 1*0.4 - 1*0.5*0.6 - 10*0.005 = 0.19."""
    w = MembershipParams()
    p = {"deterrence": 0.6, "counter_threat": 0.2, "umbrella": 0.5, "burden": 0.005}
    v = leadership.leader_utility(w, p, members=np.array([True, True, True, False]), capability=np.array([6.0, 2, 2, 50]), leader=0, demand=0.2, threat=0.1)
    assert v == pytest.approx(0.12 + 0.02 + 0.4 - 0.3 - 0.05)


def test_succession_rule():
    members = np.array([True, True, True, False])
    cap = np.array([3.0, 3.5, 1.0, 99.0])
    assert leadership.succeed(members, cap, 0, ratio=1.0) == 1       # overtaken
    assert leadership.succeed(members, cap, 0, ratio=1.25) == 0      # not by enough
    assert leadership.succeed(members, cap, 1, ratio=1.0) == 1       # already strongest
    gone = members.copy()
    gone[1] = False
    assert leadership.after_exit(gone, cap) == 0
    assert leadership.after_exit(np.zeros(4, bool), cap) is None
    tie = np.array([True, True, True, False])
    assert leadership.strongest(tie, np.array([2.0, 2.0, 1.0, 5.0])) == 0


# ====================================================================== the history switches
NEW_SWITCHES = ("accession_consent", "eligibility_regions", "view_persistence", "exit_cost",
                "commitments", "growth_trends", "leader_exit", "leader_succession", "candidacy", "enlargement_rounds")
# Neutral values (the same as ZERO_PARAMS of tests/test_metamorphic.py, which checks each alone).
NEUTRAL = [
    "institutions.Atlantic.params.veto_threshold=-1e9", "institutions.Atlantic.params.approval_threshold=-1e9",
    "institutions.Concord.params.veto_threshold=-1e9", "dynamics.membership.view_persistence=0",
    "dynamics.membership.exit_cost=0", "institutions.Atlantic.params.reliability=1", "institutions.Atlantic.params.ally_loss=0",
    "dynamics.membership.abandonment_loss=0", "dynamics.membership.entrapment_loss=0",
    "dynamics.membership.leadership_value=1e6", "institutions.Atlantic.params.succession_ratio=1e9",
    "institutions.Atlantic.params.candidacy_years=0.4", "institutions.Atlantic.params.veto_share=1",
    "institutions.Concord.params.candidacy_years=0.4", "institutions.Concord.params.veto_share=1",
    "institutions.Atlantic.params.round_share=1000", "institutions.Concord.params.round_share=1000",
]


def test_new_switches_are_off_by_default():
    m = Mechanisms()
    assert not any(getattr(m, s) for s in NEW_SWITCHES)
    assert set(NEW_SWITCHES) <= set(Mechanisms.model_fields)


def test_all_history_switches_on_with_neutral_parameters_change_nothing():
    """All wired into the step together: with neutral parameters, switching them all on gives
    exactly the run with them off (the defaults of generated worlds)."""
    base = scenario({"Atlantic": ATLANTIC, "Concord": CONCORD}, steps=15, overrides=NEUTRAL)
    on = scenario({"Atlantic": ATLANTIC, "Concord": CONCORD}, steps=15, overrides=NEUTRAL + [f"mechanisms.{s}=true" for s in NEW_SWITCHES])
    assert run_scenario(on, seed=2).to_csv(index=False) == run_scenario(base, seed=2).to_csv(index=False)


def test_all_history_switches_on_with_their_defaults_change_the_run():
    """Control for the test above: with default parameters they do act."""
    base = scenario({"Atlantic": ATLANTIC, "Concord": CONCORD}, steps=15)
    on = scenario({"Atlantic": ATLANTIC, "Concord": CONCORD}, steps=15, overrides=[f"mechanisms.{s}=true" for s in NEW_SWITCHES])
    assert run_scenario(on, seed=2).to_csv(index=False) != run_scenario(base, seed=2).to_csv(index=False)


# ====================================================================== the review entry point
def _review_case(seed, n=24):
    """A world, two alliances and a platform, and the rows x institutions arrays of a review."""
    rng = np.random.default_rng(seed)
    arrays = _world(seed, n)
    insts = []
    for c in range(3):
        members = rng.random(n) < 0.3
        members[c] = True
        if c < 2:
            insts.append(hegemon(members, c, umbrella=0.5, counter_threat=0.2, burden=0.005, succession_ratio=1.0))
        else:
            insts.append(SimpleNamespace(members=members, leader=None, chi=0.9, consensus_capacity_on=True, hegemonic=False,
                                         params={"dialogue_intensity": 0.03, "consensus_cost": 2.0, "consensus_reference": 10.0, "veto_threshold": -0.2}))
    rows = np.union1d([0, 1, 2], rng.choice(np.arange(3, n), 9, replace=False))  # the leaders review
    k = len(insts)
    member = np.column_stack([m.members[rows] for m in insts])
    locked = np.column_stack([rows == (m.leader if m.leader is not None else -1) for m in insts])
    case = dict(
        rows=rows, utility=rng.normal(0.0, 0.2, (len(rows), k)), views=0.1 * rng.standard_normal((len(rows), k)),
        member=member, admissible=rng.random((len(rows), k)) < 0.8, forced=rng.random((len(rows), k)) < 0.05,
        locked=locked, institutions=insts, w=W,
        tenure=rng.integers(0, 30, (n, k)), trust=np.ones((n, k)), eligible=np.ones((n, k), bool),
        threat=rng.random(n) * 0.3, **arrays,
    )
    return case


def _today(case):
    return choose(case["utility"] + case["views"], case["member"], case["admissible"], forced=case["forced"],
                  locked=case["locked"], hegemonic=np.array([k.hegemonic for k in case["institutions"]]))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_review_with_every_new_switch_off_is_todays_choice(seed):
    """Metamorphic: wiring ``review`` in with its switches off changes no decision."""
    case = _review_case(seed)
    d = review.review(mech=Mechanisms(), **case)
    leave, join = _today(case)
    assert_array_equal(d.leave, leave) and assert_array_equal(d.join, join)
    assert len(d.applied[0]) == len(d.refused[0]) == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_review_switches_at_their_neutral_values_change_no_decision(seed):
    """Metamorphic: every state eligible, full trust, zero exit cost and incumbents that always
    approve give today's decisions with every switch but leader_exit on; every join is an
    application and none is refused."""
    case = _review_case(seed)
    case["w"] = MembershipParams(exit_cost=0.0)
    for k in case["institutions"]:
        k.params.update(veto_threshold=-np.inf, approval_threshold=-np.inf)
    on = Mechanisms(accession_consent=True, eligibility_regions=True, exit_cost=True, commitments=True, view_persistence=True, growth_trends=True, leader_succession=True)
    d = review.review(mech=on, **case)
    leave, join = _today(case)
    assert_array_equal(d.leave, leave) and assert_array_equal(d.join, join)
    assert_array_equal(d.applied[0], case["rows"][join >= 0]) and len(d.refused[0]) == 0


def test_review_regions_trust_exit_cost_and_consent_act():
    """Each switch does what it says on a case built for it."""
    case = _review_case(5)
    leave0, join0 = _today(case)
    joiners = np.flatnonzero(join0 >= 0)
    assert len(joiners)
    # Regions: nobody eligible -> nobody joins.
    d = review.review(mech=Mechanisms(eligibility_regions=True), **{**case, "eligible": np.zeros_like(case["eligible"])})
    assert (d.join == -1).all()
    # Trust 0 in every alliance: its utility falls by w_trust, so no alliance is joined.
    d = review.review(mech=Mechanisms(commitments=True), **{**case, "trust": np.zeros_like(case["trust"])})
    heg = np.array([k.hegemonic for k in case["institutions"]])
    assert not heg[d.join[d.join >= 0]].any()
    # A huge exit cost keeps every member that was not forced out.
    d = review.review(mech=Mechanisms(exit_cost=True), **{**case, "w": MembershipParams(exit_cost=100.0, exit_cost_years=1.0)})
    assert_array_equal(d.leave, case["member"] & case["forced"] & ~case["locked"])
    # Incumbents that never approve: every application refused.
    for k in case["institutions"]:
        k.params.update(veto_threshold=np.inf)
    d = review.review(mech=Mechanisms(accession_consent=True), **case)
    assert (d.join == -1).all()
    assert_array_equal(d.refused[0], case["rows"][joiners]) and assert_array_equal(d.refused[1], join0[joiners])


def test_a_leader_leaves_only_with_leader_exit_and_is_succeeded_by_the_strongest():
    case = _review_case(7)
    inst, rows = case["institutions"][0], case["rows"]
    at = int(np.flatnonzero(rows == inst.leader)[0])
    inst.params.update(umbrella=1.0, burden=1.0)  # a leader paying a heavy burden wants out
    assert not review.review(mech=Mechanisms(), **case).leave[at, 0]
    assert review.review(mech=Mechanisms(leader_exit=True), **case).leave[at, 0]
    cap = case["capability"]
    inst.members[inst.leader] = False
    assert review.new_leader(inst, cap, left=True, succession=False) == leadership.strongest(inst.members, cap)


def test_new_leader_under_succession():
    members = np.array([True, True, False])
    inst = SimpleNamespace(members=members, leader=0, params={"succession_ratio": 1.5})
    assert review.new_leader(inst, np.array([1.0, 1.4, 9.0]), left=False, succession=True) == 0
    assert review.new_leader(inst, np.array([1.0, 1.6, 9.0]), left=False, succession=True) == 1
    assert review.new_leader(inst, np.array([1.0, 1.6, 9.0]), left=False, succession=False) == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_respond_at_full_credibility_is_todays_entrapment(seed):
    """Metamorphic: rho = 1, no ally losses, no abandonment or entrapment loss: respond()
    leaves capability and trust unchanged and raises exactly the tension today's entrap() does,
    for two alliances at once."""
    rng = np.random.default_rng(seed)
    n = 14
    i, j = _conflicts(rng, n)
    alliances = [(rng.random(n) < 0.4, {"reliability": 1.0, "ally_loss": 0.0, "entrapment": e}) for e in (0.3, 0.1)]
    t = rng.random((n, n)).astype(np.float32)
    t = (t + t.T) / 2
    today, new = t.copy(), t.copy()
    conflict.entrap(today, i, j, [(m, p["entrapment"]) for m, p in alliances])
    cap = rng.lognormal(size=n)
    cap2, trust = commitments.respond(i, j, alliances, rng.random(n), cap, new, [np.ones(n), np.ones(n)],
                                      abandonment=0.0, entrapment_loss=0.0, recovery=0.1)
    assert_array_equal(cap2, cap)
    assert_array_equal(new, today)
    assert all((tr == 1.0).all() for tr in trust)


def test_respond_when_nobody_honours_or_everybody_does():
    """Members 0, 1, 2 and outsider 3 fight (0, 3).  rho = 0: no joiner, no cost, no entrapment,
    caller's trust 1 -> 0.5.  rho = 1: allies 1 and 2 each lose 0.1 * p3 / (p_a + p3) = 0.05 and
    the opponent loses 0.1 * 1/2 to each; T_13, T_23 rise by 0.3 (1 - T)."""
    members = np.array([True, True, True, False])
    i, j = np.array([0]), np.array([3])
    cap = np.ones(4)
    for rho in (0.0, 1.0):
        t = np.full((4, 4), 0.2)
        p = {"reliability": rho, "ally_loss": 0.1, "entrapment": 0.3}
        cap2, (trust,) = commitments.respond(i, j, [(members, p)], np.full(4, 0.5), cap, t, [np.ones(4)],
                                             abandonment=0.5, entrapment_loss=0.0, recovery=0.1)
        if rho == 0.0:
            assert_array_equal(cap2, cap) and assert_allclose(t, 0.2) and assert_allclose(trust, [0.5, 1, 1, 1])
        else:
            assert_allclose(cap2, [1.0, 0.95, 0.95, 0.95 ** 2])
            assert_allclose(t[[1, 2], 3], 0.2 + 0.3 * 0.8) and assert_allclose(t[0, 3], 0.2)
            assert_allclose(trust, np.ones(4))
