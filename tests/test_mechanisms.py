"""Unit tests, one group per mechanism (MODEL.md section 3), on the pure functions.

Inputs are small hand-made arrays whose expected outputs were worked out by hand (the
arithmetic is in the comments), or compared with a direct dense formula / brute force.
Where a mechanism lives inline in the model (dispute onset and acceptance, escalation,
settlement, institutional acts), a tiny listed world is built and the phase method is
called directly.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from numpy.testing import assert_allclose, assert_array_equal

from simulation import metrics
from simulation.institutions import InstitutionState, imposed_change, pull_toward
from simulation.mechanisms import capability, conflict, internal, membership, tension, threats
from simulation.mechanisms.tension import BlocTerm
from simulation.model import AllianceModel
from simulation.scenario import MembershipParams
from strategies import listed_scenario, policy_matrices, unit_vectors


def binomial_z(successes: int, trials: int, p: float) -> float:
    """z-score of an observed count against Binomial(trials, p)."""
    return (successes - trials * p) / np.sqrt(trials * p * (1.0 - p))


# ====================================================================== threats (phases 1-2)
def test_threat_emergence_uses_probability_emergence_times_one_minus_stability():
    """P(new threat) = emergence (1 - h): h = 0 -> 0.03, h = 0.5 -> 0.015, h = 1 -> never; capped at 1."""
    threat = np.array([0.0, 0.0, 0.0, 0.8])
    stability = np.array([0.0, 0.5, 1.0, 0.0])
    draws = np.array([0.029, 0.016, 0.0, 0.01])
    new, hit = threats.emerge(threat, stability, draws, emergence=0.03, size=0.4)
    assert_array_equal(hit, [True, False, False, True])
    assert_allclose(new, [0.4, 0.0, 0.0, 1.0])  # 0.8 + 0.4 capped at 1


def test_threat_emergence_frequency_is_proportional_to_instability():
    """Over many uniform draws the emergence frequency matches emergence (1 - h) (binomial CI)."""
    rng = np.random.default_rng(5)
    trials = 40_000
    for h in (0.0, 0.4, 0.9):
        draws = rng.random(trials)
        _, hit = threats.emerge(np.zeros(trials), np.full(trials, h), draws, emergence=0.3, size=0.4)
        assert abs(binomial_z(int(hit.sum()), trials, 0.3 * (1 - h))) < 4.5


def test_threat_spread_and_decay_without_cooperation():
    """tau <- tau (1 - decay) + spread * proximity-weighted mean of others' tau.

    prox rows sum to 0.75, 1.5, 1.25; inflow = [0.2/0.75, 1.0/1.5, 0.1/1.25];
    new = [0.36 + 0.1*0.2667, 0 + 0.1*0.6667, 0.72 + 0.1*0.08].
    """
    prox = np.array([[0.0, 0.5, 0.25], [0.5, 0.0, 1.0], [0.25, 1.0, 0.0]])
    tau = np.array([0.4, 0.0, 0.8])
    new = threats.spread_and_decay(tau, prox, prox.sum(axis=1), [], spread=0.1, decay=0.1, cooperation_decay=0.3)
    assert_allclose(new, [0.36 + 0.1 * 0.2 / 0.75, 0.1 * 1.0 / 1.5, 0.72 + 0.1 * 0.08], rtol=1e-12)


def test_counter_threat_blocks_spread_between_co_members_and_speeds_their_decay():
    """Co-members 0 and 1 (c = 0.5) block half the flow between them; members decay faster.

    inflow_1 = (0.5 * (1 - 0.5) * 0.4 + 1.0 * 0.8) / 1.5 = 0.6 (flow from outsider 2 unblocked);
    keep for members = 1 - 0.1 - 0.3 * 0.5 = 0.75, outsider keeps 0.9.
    """
    prox = np.array([[0.0, 0.5, 0.25], [0.5, 0.0, 1.0], [0.25, 1.0, 0.0]])
    tau = np.array([0.4, 0.0, 0.8])
    blocks = [(np.array([1.0, 1.0, 0.0]), 0.5)]
    new = threats.spread_and_decay(tau, prox, prox.sum(axis=1), blocks, spread=0.1, decay=0.1, cooperation_decay=0.3)
    assert_allclose(new, [0.4 * 0.75 + 0.1 * 0.2 / 0.75, 0.1 * 0.6, 0.72 + 0.1 * 0.08], rtol=1e-12)


def test_cooperation_decay_is_capped_at_one_unit_of_cooperation():
    """A state in two institutions (c = 0.8 and 0.6) gets extra decay cooperation_decay * min(1, 1.4):
    isolated (no inflow), 0.5 * (1 - 0.1 - 0.3) = 0.3."""
    prox = np.zeros((2, 2))
    m = np.array([1.0, 0.0])
    new = threats.spread_and_decay(np.array([0.5, 0.5]), prox, prox.sum(axis=1), [(m, 0.8), (m, 0.6)], spread=0.1, decay=0.1, cooperation_decay=0.3)
    assert_allclose(new, [0.3, 0.45])


def test_counter_threat_never_blocks_threat_coming_from_outsiders():
    """Co-members 0 and 1 share two institutions (c = 0.8 + 0.6 > 1).  At most the whole flow from 1
    to 0 can be blocked, so state 0 still receives the flow from outsider 2: inflow_0 >= 1 * 1 / 2.
    (Fails while the blocked shares are summed without a cap: 1.4 of the 1 -> 0 flow is removed,
    eating into the outsider's flow, inflow_0 = (2 - 1.4) / 2 = 0.3.)"""
    prox = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    tau = np.array([0.0, 1.0, 1.0])
    m = np.array([1.0, 1.0, 0.0])
    new = threats.spread_and_decay(tau, prox, prox.sum(axis=1), [(m, 0.8), (m, 0.6)], spread=0.1, decay=0.1, cooperation_decay=0.3)
    assert new[0] >= 0.1 * 0.5 - 1e-12


def test_threat_spread_matches_dense_formula_with_float32_proximity():
    """The row-restricted, float32 implementation equals the dense formula of its docstring."""
    rng = np.random.default_rng(1)
    n = 12
    prox = rng.random((n, n))
    prox = ((prox + prox.T) / 2).astype(np.float32)
    np.fill_diagonal(prox, 0.0)
    tau = rng.random(n)
    m1 = (rng.random(n) < 0.4).astype(float)
    m2 = (1.0 - m1) * (rng.random(n) < 0.5)
    blocks = [(m1, 0.2), (m2, 0.5)]
    new = threats.spread_and_decay(tau, prox, prox.sum(axis=1), blocks, spread=0.15, decay=0.1, cooperation_decay=0.3)
    p = prox.astype(float)
    b = 0.2 * np.outer(m1, m1) + 0.5 * np.outer(m2, m2)
    inflow = (p * (1 - b)) @ tau / p.sum(axis=1)
    coop = np.minimum(0.2 * m1 + 0.5 * m2, 1.0)
    expected = np.clip(tau * (1 - 0.1 - 0.3 * coop) + 0.15 * inflow, 0, 1)
    assert_allclose(new, expected, rtol=1e-5)


# ====================================================================== internal dynamics (phase 3)
def test_stability_relaxes_toward_governance_and_is_eroded_by_threat():
    """h <- clip(h + recovery (g - h) - erosion tau): 0.5 + 0.1*0.3 - 0.1*0.5 = 0.48; clipped at 0 and 1."""
    h = internal.relax_stability(
        np.array([0.5, 0.0, 1.0]), np.array([0.8, 0.0, 1.0]), np.array([0.5, 1.0, 0.0]), recovery=0.1, erosion=0.1
    )
    assert_allclose(h, [0.48, 0.0, 1.0])


def test_crisis_hazard_formula_and_umbrella_multiplies_by_one_minus_u():
    """q = q0 (1-g)(1 + k_tau tau)(1 + k_h (1-h))(1-U) with g = 0.5, tau = 0.5, h = 0.25:
    0.08*0.5*2*1.75 = 0.14; U = 0.5 halves it; U = 1 -> 0."""
    ones = np.ones(3)
    q = internal.crisis_hazard(
        0.5 * ones, 0.25 * ones, 0.5 * ones, np.array([0.0, 0.5, 1.0]), base=0.08, threat_factor=2.0, stability_factor=1.0
    )
    assert_allclose(q, [0.14, 0.07, 0.0])


def test_crisis_hazard_is_capped_at_one_and_zero_for_perfect_governance():
    """g = 0, tau = 1, h = 0 with q0 = 1 gives 1*1*3*2 = 6 -> capped at 1; g = 1 gives 0."""
    q = internal.crisis_hazard(
        np.array([0.0, 1.0]), np.zeros(2), np.ones(2), np.zeros(2), base=1.0, threat_factor=2.0, stability_factor=1.0
    )
    assert_allclose(q, [1.0, 0.0])


def test_crisis_shift_moves_only_states_in_crisis_and_clips():
    """values + crisis * sd * shock, clipped to [0, 1]; works for 1-D regimes and N x K policies."""
    regime = internal.crisis_shift(np.array([0.5, 0.5, 0.95]), np.array([True, False, True]), np.array([1.0, 5.0, 1.0]), sd=0.1)
    assert_allclose(regime, [0.6, 0.5, 1.0])
    policy = internal.crisis_shift(
        np.array([[0.5, 0.5], [0.5, 0.5]]), np.array([False, True]), np.array([[1.0, 1.0], [-1.0, 2.0]]), sd=0.1
    )
    assert_allclose(policy, [[0.5, 0.5], [0.4, 0.7]])


# ====================================================================== institutions act (phase 4)
def test_pull_toward_moves_members_a_share_of_the_way_to_the_target():
    """Regime pull: change = strength (target - value) for members only; 0.1*(0.6-0.2) = 0.04, 0.1*(0.6-0.9) = -0.03."""
    change = pull_toward(np.array([0.2, 0.5, 0.9]), np.array([True, False, True]), 0.6, 0.1)
    assert_allclose(change, [0.04, 0.0, -0.03])


def test_planning_pull_acts_on_every_policy_dimension():
    """Planning pull with a K-vector target: each dimension moves strength (target_k - f_ik)."""
    f = np.array([[0.0, 1.0], [0.5, 0.5]])
    change = pull_toward(f, np.array([True, True]), np.array([1.0, 0.0]), 0.25)
    assert_allclose(change, [[0.25, -0.25], [0.125, -0.125]])
    assert_array_equal(pull_toward(f, np.array([True, True]), np.array([1.0, 0.0]), 0.0), np.zeros((2, 2)))


def test_imposed_change_is_abs_regime_change_plus_mean_abs_policy_change():
    """Grievance base: |dr| + mean_k |df_k| = 0.04 + (0.1 + 0.3)/2 = 0.24."""
    assert_allclose(imposed_change(np.array([-0.04, 0.0]), np.array([[0.1, -0.3], [0.0, 0.0]])), [0.24, 0.0])


def _bloc_world():
    """Four listed states: L (leader) and F in a hegemonic alliance, C and D in a dialogue platform."""
    states = [
        {"name": "L", "capability": 6.0, "regime": 0.9, "sovereignty": 0.5, "governance": 0.8, "location": [0, 0], "policy": [0.8, 0.2]},
        {"name": "F", "capability": 2.0, "regime": 0.5, "sovereignty": 0.8, "governance": 0.6, "location": [900, 0], "policy": [0.4, 0.6]},
        {"name": "C", "capability": 3.0, "regime": 0.2, "sovereignty": 0.5, "governance": 0.6, "location": [0, 800], "policy": [0.1, 0.5]},
        {"name": "D", "capability": 1.0, "regime": 0.6, "sovereignty": 0.5, "governance": 0.6, "location": [700, 700], "policy": [0.5, 0.9]},
    ]
    institutions = {
        "Atlantic": {"kind": "hegemonic", "founders": ["L", "F"], "leader": "L"},
        "Concord": {"kind": "dialogue", "founders": ["C", "D"]},
    }
    return states, institutions


def test_institutions_act_pulls_followers_not_the_leader_and_accrues_grievance():
    """Hegemonic act: r_F += 0.1 (0.9 - 0.5) = 0.54, f_F += 0.15 (f_L - f_F); the leader is unchanged;
    G_F += 1.0 * sigma_F * (|dr| + mean|df|) = 0.8 * (0.04 + 0.06) = 0.08.  Dialogue act: no regime
    change; f_i += convergence * chi * (mean member f - f_i)."""
    states, institutions = _bloc_world()
    model = AllianceModel(listed_scenario(states, institutions))
    r0, f0 = model.regime.copy(), model.policy.copy()
    model.institutions_act()
    assert_allclose(model.regime, [0.9, 0.54, 0.2, 0.6])
    assert_allclose(model.policy[:2], [[0.8, 0.2], [0.46, 0.54]])
    assert_allclose(model.grievance, [0.0, 0.8 * (0.04 + 0.06), 0.0, 0.0])
    chi = 1.0 / (1.0 + 2.0 * 1 / 10.0 * 0.2)  # n = 2, sd(0.2, 0.6) = 0.2
    centre = f0[2:].mean(axis=0)
    assert_allclose(model.policy[2:], f0[2:] + 0.02 * chi * (centre - f0[2:]))
    assert_array_equal(model.regime[2:], r0[2:])


def test_umbrella_covers_members_of_hegemonic_alliances_only():
    """U_i = umbrella for members of a hegemonic alliance, 0 for dialogue members and outsiders."""
    states, institutions = _bloc_world()
    model = AllianceModel(listed_scenario(states, institutions))
    assert_allclose(model.umbrella(), [0.5, 0.5, 0.0, 0.0])


def _platform(regimes_of_members, n_states=6, *, kind="dialogue", on=True, cost=2.0, reference=10.0):
    members = np.zeros(n_states, dtype=bool)
    members[: len(regimes_of_members)] = True
    regime = np.full(n_states, 0.5)
    regime[: len(regimes_of_members)] = regimes_of_members
    params = {"consensus_cost": cost, "consensus_reference": reference, "dialogue_intensity": 0.03}
    inst = InstitutionState("P", kind, members, params, leader=0 if kind == "hegemonic" else None, consensus_capacity_on=on)
    return inst, regime


def test_consensus_capacity_formula():
    """chi = 1 / (1 + lambda_c (n-1)/N0 sd(r)): r = .2,.4,.6,.8 -> sd = sqrt(0.05); chi = 1/(1 + 2*3/10*0.2236)."""
    inst, regime = _platform([0.2, 0.4, 0.6, 0.8])
    assert inst.update_consensus_capacity(regime) == pytest.approx(1.0 / (1.0 + 0.6 * np.sqrt(0.05)), rel=1e-12)
    assert inst.chi == pytest.approx(0.881707, rel=1e-5)


def test_consensus_capacity_falls_with_size_and_heterogeneity():
    """A larger platform (same spread) and a more heterogeneous one (same size) both have lower chi."""
    small, r_small = _platform([0.3, 0.7], n_states=8)
    large, r_large = _platform([0.3, 0.7, 0.3, 0.7, 0.3, 0.7], n_states=8)
    narrow, r_narrow = _platform([0.45, 0.55, 0.45, 0.55, 0.45, 0.55], n_states=8)
    assert large.update_consensus_capacity(r_large) < small.update_consensus_capacity(r_small) < 1.0
    assert large.update_consensus_capacity(r_large) < narrow.update_consensus_capacity(r_narrow)


def test_consensus_capacity_switch_and_hegemonic_alliances_give_one():
    """mechanisms.consensus_capacity = false -> chi = 1 whatever the platform; hegemonic -> 1."""
    off, regime = _platform([0.0, 1.0, 0.0, 1.0], on=False)
    assert off.update_consensus_capacity(regime) == 1.0
    heg, regime = _platform([0.0, 1.0, 0.0, 1.0], kind="hegemonic")
    assert heg.update_consensus_capacity(regime) == 1.0


def test_tension_terms_of_each_institution_kind():
    """Hegemonic: (suppression, polarisation * world share); dialogue: (delta chi, 0); dissolved: zeros."""
    m = np.array([True, True, False])
    heg = InstitutionState("H", "hegemonic", m, {"suppression": 0.01, "polarisation": 0.02}, leader=0)
    t = heg.tension_term(0.25)
    assert (t.comember, t.outsider) == (0.01, pytest.approx(0.005))
    dia = InstitutionState("D", "dialogue", m, {"dialogue_intensity": 0.03}, chi=0.5)
    assert (dia.tension_term(0.9).comember, dia.tension_term(0.9).outsider) == (pytest.approx(0.015), 0.0)
    dia.alive = False
    assert (dia.tension_term(0.9).comember, dia.tension_term(0.9).outsider) == (0.0, 0.0)


# ====================================================================== tension (phase 5)
def _tension_inputs(n=7, k=3, seed=3):
    rng = np.random.default_rng(seed)
    regime, policy = rng.random(n), rng.random((n, k))
    mood = 0.02 * rng.standard_normal(n)
    t0 = rng.uniform(0.2, 0.6, (n, n))
    t0 = (t0 + t0.T) / 2
    np.fill_diagonal(t0, 0.0)
    rivalry = (np.array([0, 2]), np.array([5, 3]), np.array([1.0, 0.5]))
    return regime, policy, mood, t0, rivalry


PARAMS = dict(baseline=0.1, regime_weight=0.6, policy_weight=0.5)


def _relaxed(t0, regime, policy, mood, terms, rivalry, alpha=0.1, w_r=0.5):
    t = t0.copy()
    u, v = tension.low_rank_factors(regime, policy, mood, terms, relaxation=alpha, **PARAMS)
    tension.relax(t, u, v, rivalry, relaxation=alpha, rivalry_weight=w_r)
    return t


def test_low_rank_tension_update_equals_dense_formula():
    """clip((1-a) T + a T* + sum_k effects_k + (e_i + e_j), 0, 1), zero diagonal, with T* from
    ``tension.equilibrium`` and effects -c m_i m_j + pi (m_i (1-m_j) + m_j (1-m_i))."""
    regime, policy, mood, t0, rivalry = _tension_inputs()
    n = len(regime)
    m1 = np.array([1, 1, 1, 0, 0, 0, 0], dtype=float)
    m2 = np.array([0, 0, 0, 1, 1, 0, 0], dtype=float)
    terms = [BlocTerm(m1, 0.01, 0.015), BlocTerm(m2, 0.024, 0.0)]
    got = _relaxed(t0, regime, policy, mood, terms, rivalry)

    rmat = np.zeros((n, n))
    rmat[rivalry[0], rivalry[1]] = rivalry[2]
    rmat = rmat + rmat.T
    tstar = tension.equilibrium(regime, policy, rmat, rivalry_weight=0.5, **PARAMS)
    effects = np.zeros((n, n))
    for t in terms:
        m = t.members
        effects += -t.comember * np.outer(m, m) + t.outsider * (np.outer(m, 1 - m) + np.outer(1 - m, m))
    expected = np.clip(0.9 * t0 + 0.1 * tstar + effects + mood[:, None] + mood[None, :], 0, 1)
    np.fill_diagonal(expected, 0.0)
    assert_allclose(got, expected, atol=1e-12)


def test_equilibrium_matches_direct_computation_for_one_pair():
    """T*_01 = b + w_r (r0-r1)^2 + w_f mean_k (f0k-f1k)^2 + w_R R_01, by hand: 0.1 + 0.6*0.09 + 0.5*0.05 + 0.5."""
    regime = np.array([0.2, 0.5])
    policy = np.array([[0.1, 0.4], [0.4, 0.5]])
    rmat = np.array([[0.0, 1.0], [1.0, 0.0]])
    tstar = tension.equilibrium(regime, policy, rmat, rivalry_weight=0.5, **PARAMS)
    assert tstar[0, 1] == pytest.approx(0.1 + 0.6 * 0.09 + 0.5 * 0.05 + 0.5)


def test_suppression_and_dialogue_lower_only_co_member_tension_by_their_coefficient():
    """A co-member term c changes T_ij by exactly -c for member pairs and by 0 elsewhere."""
    regime, policy, mood, t0, rivalry = _tension_inputs()
    m = np.array([1, 1, 1, 0, 0, 0, 0], dtype=float)
    base = _relaxed(t0, regime, policy, mood, [], rivalry)
    for c in (0.01, 0.03 * 0.7):  # suppression; dialogue delta * chi
        diff = _relaxed(t0, regime, policy, mood, [BlocTerm(m, c, 0.0)], rivalry) - base
        pair = np.outer(m, m).astype(bool)
        np.fill_diagonal(pair, False)
        assert_allclose(diff[pair], -c, atol=1e-12)
        assert_allclose(diff[~pair], 0.0, atol=1e-12)


def test_polarisation_raises_member_outsider_tension_only():
    """An outsider term pi adds pi to member-outsider pairs, nothing to member-member or outsider-outsider."""
    regime, policy, mood, t0, rivalry = _tension_inputs()
    m = np.array([1, 1, 1, 0, 0, 0, 0], dtype=float)
    diff = _relaxed(t0, regime, policy, mood, [BlocTerm(m, 0.0, 0.02)], rivalry) - _relaxed(t0, regime, policy, mood, [], rivalry)
    cross = (np.outer(m, 1 - m) + np.outer(1 - m, m)).astype(bool)
    assert_allclose(diff[cross], 0.02, atol=1e-12)
    assert_allclose(diff[~cross], 0.0, atol=1e-12)


def test_rivalry_pushes_its_pairs_by_alpha_times_weight_times_intensity():
    """Rivalry R_ij adds alpha w_R R_ij to the pair (both orders) and nothing elsewhere."""
    regime, policy, mood, t0, rivalry = _tension_inputs()
    none = (np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    diff = _relaxed(t0, regime, policy, mood, [], rivalry) - _relaxed(t0, regime, policy, mood, [], none)
    expected = np.zeros_like(diff)
    expected[0, 5] = expected[5, 0] = 0.1 * 0.5 * 1.0
    expected[2, 3] = expected[3, 2] = 0.1 * 0.5 * 0.5
    assert_allclose(diff, expected, atol=1e-12)


def test_tension_is_clipped_to_unit_interval_with_zero_diagonal():
    """Huge positive mood saturates every pair at 1, huge negative at 0; the diagonal stays 0."""
    regime, policy, _, t0, rivalry = _tension_inputs()
    n = len(regime)
    high = _relaxed(t0, regime, policy, np.full(n, 5.0), [], rivalry)
    low = _relaxed(t0, regime, policy, np.full(n, -5.0), [], rivalry)
    off = ~np.eye(n, dtype=bool)
    assert (high[off] == 1.0).all() and (low == 0.0).all()
    assert (np.diag(high) == 0.0).all()


def test_zero_coefficient_terms_add_no_column_and_change_nothing_bitwise():
    """A term with c = pi = 0 leaves U, V and the update bit-for-bit unchanged (switched-off effects)."""
    regime, policy, mood, t0, rivalry = _tension_inputs()
    m = np.array([1, 1, 0, 0, 1, 0, 0], dtype=float)
    u0, v0 = tension.low_rank_factors(regime, policy, mood, [], relaxation=0.1, **PARAMS)
    u1, v1 = tension.low_rank_factors(regime, policy, mood, [BlocTerm(m, 0.0, 0.0)], relaxation=0.1, **PARAMS)
    assert_array_equal(u0, u1)
    assert_array_equal(v0, v1)


def test_initial_tension_is_the_baseline_equilibrium():
    """At step 0, T = T* (regime, policy, rivalry), with no institutional effect or noise."""
    states, institutions = _bloc_world()
    sc = listed_scenario(states, institutions, rivalries=[{"a": "L", "b": "C", "intensity": 0.6}])
    model = AllianceModel(sc)
    rmat = np.zeros((4, 4))
    rmat[0, 2] = rmat[2, 0] = 0.6
    expected = np.clip(tension.equilibrium(model.regime, model.policy, rmat, rivalry_weight=0.5, **PARAMS), 0, 1)
    np.fill_diagonal(expected, 0.0)
    assert model.tension.dtype == np.float32  # stored in single precision (see model.TENSION_DTYPE)
    assert_allclose(model.tension, expected, atol=1e-6)


# ====================================================================== disputes and conflicts (phase 6)
def test_dyad_sampler_draws_each_dyad_with_its_band_probability():
    """Every dyad is a candidate independently with probability min(1, d0 * bound): per-dyad
    counts within a binomial CI, pairs always i < j and never repeated in one draw."""
    prox = np.array(
        [[0.0, 0.9, 0.3, 0.02], [0.9, 0.0, 0.6, 0.1], [0.3, 0.6, 0.0, 0.001], [0.02, 0.1, 0.001, 0.0]], dtype=np.float32
    )
    sampler = conflict.DyadSampler(prox)
    bound_of = {}
    for positions, bound in sampler.bands:
        for k in positions:
            bound_of[int(k)] = bound
    iu = np.triu_indices(4, 1)
    rng = np.random.default_rng(12)
    d0, reps = 0.4, 20000
    counts = np.zeros((4, 4), dtype=int)
    for _ in range(reps):
        i, j, bound = sampler.candidates(rng, d0)
        assert (i < j).all() and len(set(zip(i.tolist(), j.tolist()))) == len(i)
        assert ((bound > 0) & (bound <= 1)).all()
        np.add.at(counts, (i, j), 1)
    for k, (a, b) in enumerate(zip(*iu)):
        p = min(1.0, d0 * bound_of[k])
        assert abs(binomial_z(int(counts[a, b]), reps, p)) < 4.5, (a, b, counts[a, b] / reps, p)


def test_dyad_sampler_takes_whole_bands_when_certain_and_none_at_zero():
    prox = np.array([[0.0, 0.9, 0.3], [0.9, 0.0, 0.2], [0.3, 0.2, 0.0]], dtype=np.float32)
    sampler = conflict.DyadSampler(prox)
    rng = np.random.default_rng(0)
    i, j, bound = sampler.candidates(rng, 1.0)  # the band of 0.9 has bound 1: certain
    assert (0, 1) in set(zip(i.tolist(), j.tolist()))
    assert len(sampler.candidates(rng, 0.0)[0]) == 0
    assert len(conflict.poisson_arrivals(rng, 0.0)) == 0
    times = conflict.poisson_arrivals(rng, 5000.0)
    assert (np.diff(times) > 0).all() and times[-1] < 5000.0 and abs(len(times) - 5000) < 5 * np.sqrt(5000)


@pytest.mark.parametrize("n", [2, 3, 4, 7, 31, 60, 301])
def test_condensed_to_pairs_is_exact_for_every_pair(n):
    """Every row-major upper-triangle position maps to its (i, j), as np.triu_indices orders them."""
    i, j = conflict.condensed_to_pairs(np.arange(n * (n - 1) // 2), n)
    ti, tj = np.triu_indices(n, 1)
    assert_array_equal(i, ti)
    assert_array_equal(j, tj)


def test_condensed_to_pairs_is_exact_at_row_boundaries_for_large_worlds():
    """Float sqrt must not misplace the first/last dyad of any row, up to 20000 states."""
    n = 20000
    i = np.arange(n - 1, dtype=np.int64)
    start = i * n - i * (i + 1) // 2
    got_i, got_j = conflict.condensed_to_pairs(np.concatenate([start, start + (n - 2 - i)]), n)
    assert_array_equal(got_i, np.concatenate([i, i]))
    assert_array_equal(got_j, np.concatenate([i + 1, np.full(n - 1, n - 1)]))


def test_dyad_sampler_bounds_dominate_proximity():
    """Each dyad sits in a band whose bound b satisfies prox <= b (so d0 b >= d0 prox) and b < R prox
    except in the last band; every dyad is in exactly one band."""
    rng = np.random.default_rng(2)
    n = 40
    xy = rng.uniform(0, 10000, (n, 2))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    prox = np.exp(-d / 2000).astype(np.float32)
    np.fill_diagonal(prox, 0)
    sampler = conflict.DyadSampler(prox)
    seen = np.concatenate([pos for pos, _ in sampler.bands])
    assert_array_equal(np.sort(seen), np.arange(n * (n - 1) // 2))
    iu = np.triu_indices(n, 1)
    for b, (pos, bound) in enumerate(sampler.bands):
        p = prox[iu][pos].astype(float)
        assert (p <= bound).all()
        if bound > conflict.BAND_RATIO ** -(conflict.PROXIMITY_BANDS - 1):
            assert (p > bound / conflict.BAND_RATIO).all()


def _dispute_world(**dynamics):
    """L, F (hegemonic) and C, D (dialogue) with fixed tension; escalation may be varied."""
    states, institutions = _bloc_world()
    institutions["Atlantic"]["params"] = {"deterrence": 0.6, "dispute_control": 0.5}
    conflict_params = {"dispute_base": 0.9, "tension_exponent": 1.5, "escalation": 0.0}
    conflict_params.update(dynamics)
    model = AllianceModel(listed_scenario(states, institutions, dynamics={"conflict": conflict_params}))
    t0 = np.array([[0.0, 0.8, 0.6, 0.9], [0.8, 0.0, 0.5, 0.7], [0.6, 0.5, 0.0, 0.7], [0.9, 0.7, 0.7, 0.0]])
    return model, t0


def _repeat_disputes(model, t0, draws):
    """Call the dispute phase ``draws`` times from the same tension and capability; count per pair."""
    cap0 = model.capability.copy()
    disputes, conflicts, settled = np.zeros((4, 4), int), np.zeros((4, 4), int), 0
    for _ in range(draws):
        model.tension[:] = t0
        model.capability[:] = cap0
        model.resolve_disputes()
        np.add.at(disputes, model.tally.dispute_pairs, 1)
        np.add.at(conflicts, model.tally.conflict_pairs, 1)
        settled += model.tally.settled
    return disputes, conflicts, settled


def test_accepted_disputes_occur_with_onset_probability_including_deterrence():
    """P(dispute_ij) = d0 T^gamma prox (1 - D_ij), D = 0.6 P_bloc/(P_bloc + p_outsider) for
    member-outsider pairs; checked per dyad within a binomial CI over many draws."""
    model, t0 = _dispute_world()
    draws = 10000
    disputes, _, _ = _repeat_disputes(model, t0, draws)
    cap = model.capability
    bloc = cap[0] + cap[1]
    for i, j in itertools.combinations(range(4), 2):
        deter = 0.6 * bloc / (bloc + cap[j]) if (i < 2) != (j < 2) else 0.0
        p = 0.9 * t0[i, j] ** 1.5 * float(model.proximity[i, j]) * (1 - deter)
        assert abs(binomial_z(int(disputes[i, j]), draws, p)) < 4.5, (i, j, disputes[i, j] / draws, p)


def test_settlement_and_escalation_probabilities():
    """A dispute between dialogue co-members is settled with probability settlement * chi; an unsettled
    dispute escalates with probability escalation * T (1 - dispute_control if both are in one
    hegemonic alliance)."""
    model, t0 = _dispute_world(escalation=0.6)
    chi = model.institutions[1].chi
    disputes, conflicts, settled = _repeat_disputes(model, t0, 10000)
    assert abs(binomial_z(settled, int(disputes[2, 3]), 0.6 * chi)) < 4.5
    p_cd = (1 - 0.6 * chi) * 0.6 * t0[2, 3]
    assert abs(binomial_z(int(conflicts[2, 3]), int(disputes[2, 3]), p_cd)) < 4.5
    assert abs(binomial_z(int(conflicts[0, 1]), int(disputes[0, 1]), 0.6 * t0[0, 1] * 0.5)) < 4.5
    assert abs(binomial_z(int(conflicts[1, 3]), int(disputes[1, 3]), 0.6 * t0[1, 3])) < 4.5


def test_deterrence_formula_takes_the_strongest_split_alliance():
    """D_ij = max_k d_k P_k / (P_k + p_outsider) over alliances with exactly one side a member.

    caps 4,1,3,2; bloc A = {0,1} (P = 5, d = 0.6), bloc B = {2,3} (P = 5, d = 0.9):
    (0,2): max(0.6*5/8, 0.9*5/9) = 0.5; (0,1) and (2,3): 0 (both inside); (1,3): max(0.6*5/7, 0.9*5/6).
    """
    cap = np.array([4.0, 1.0, 3.0, 2.0])
    a = np.array([True, True, False, False])
    b = ~a
    i, j = np.array([0, 0, 2, 1]), np.array([2, 1, 3, 3])
    d = conflict.deterrence(i, j, cap, [(a, 0.6), (b, 0.9)])
    assert_allclose(d, [0.5, 0.0, 0.0, max(0.6 * 5 / 7, 0.9 * 5 / 6)])
    assert_allclose(conflict.deterrence(i, j, cap, [(b, 0.9), (a, 0.6)]), d)  # order of alliances is irrelevant
    assert_allclose(conflict.deterrence(i, j, cap, [(a, 0.6)]), [0.375, 0.0, 0.0, 0.6 * 5 / 7])
    assert_allclose(conflict.deterrence(i, j, cap, [(a, 0.0)]), 0.0)


def test_onset_probability_formula():
    """p = d0 T^gamma prox (1 - D): 0.2 * 0.25^1.5 * 0.5 * (1 - 0.4) = 0.0075."""
    p = conflict.onset_probability(np.array([0.25]), np.array([0.5]), np.array([0.4]), base=0.2, exponent=1.5)
    assert_allclose(p, [0.0075])


def test_shared_takes_the_largest_value_over_groups_holding_both_sides():
    """settlement chi / dispute control: only pairs inside a group get its value; overlaps take the max."""
    g1 = np.array([True, True, True, False])
    g2 = np.array([False, True, True, True])
    out = conflict.shared(np.array([0, 1, 2, 0]), np.array([1, 2, 3, 3]), [(g1, 0.3), (g2, 0.5)])
    assert_allclose(out, [0.3, 0.5, 0.5, 0.0])


def test_raise_tension_is_symmetric_and_proportional_to_headroom():
    """T_ij += a (1 - T_ij) on both orders: 0.6 + 0.3*0.4 = 0.72."""
    t = np.array([[0.0, 0.6], [0.6, 0.0]])
    conflict.raise_tension(t, np.array([0]), np.array([1]), 0.3)
    assert_allclose(t, [[0.0, 0.72], [0.72, 0.0]])


def test_war_losses_scale_with_opponent_strength_and_compound():
    """Each side loses loss * opponent / (both): 4 vs 1 -> 0.98 and 0.92; a second war multiplies."""
    cap = np.array([4.0, 1.0, 3.0])
    assert_allclose(conflict.war_losses(cap, np.array([0]), np.array([1]), 0.1), [4 * 0.98, 1 * 0.92, 3.0])
    two = conflict.war_losses(cap, np.array([0, 0]), np.array([1, 2]), 0.1)
    assert_allclose(two, [4 * 0.98 * (1 - 0.1 * 3 / 7), 0.92, 3 * (1 - 0.1 * 4 / 7)])


def test_entrapment_raises_allies_tension_with_the_opponent_only():
    """Member 0 fights outsider 3: allies 1, 2 get T_a3 += e (1 - T_a3), symmetric; the fighters'
    own pair, outsiders' pairs and members' mutual pairs are untouched."""
    members = np.array([True, True, True, False, False])
    t = np.full((5, 5), 0.4)
    np.fill_diagonal(t, 0.0)
    before = t.copy()
    conflict.entrap(t, np.array([0]), np.array([3]), [(members, 0.3)])
    expected = before.copy()
    for a in (1, 2):
        expected[a, 3] = expected[3, a] = 0.4 + 0.3 * 0.6
    assert_allclose(t, expected)


def test_entrapment_raises_each_pair_once_and_ignores_member_member_or_outsider_wars():
    """Two members fighting the same outsider: the third ally's pair rises once, fighters' pairs not;
    wars inside the alliance or between outsiders drag no one in; e = 0 does nothing."""
    members = np.array([True, True, True, False, False])
    t = np.full((5, 5), 0.5)
    np.fill_diagonal(t, 0.0)
    conflict.entrap(t, np.array([0, 3, 1, 3]), np.array([1, 4, 4, 0]), [(members, 0.2)])
    # cross wars: (1 vs 4) and (3 vs 0) -> opponents {3, 4}; fought pairs (1,4), (0,3) stay.
    expected = np.full((5, 5), 0.5)
    np.fill_diagonal(expected, 0.0)
    for a, o in [(0, 4), (2, 4), (1, 3), (2, 3)]:
        expected[a, o] = expected[o, a] = 0.5 + 0.2 * 0.5
    assert_allclose(t, expected)
    t2 = np.full((5, 5), 0.5)
    conflict.entrap(t2, np.array([0]), np.array([3]), [(members, 0.0)])
    assert (t2 == 0.5).all()


# ====================================================================== capability (phase 7)
def test_capability_grows_log_normally_less_burden():
    """p <- p exp(mean + sd eps)(1 - burden): 2 e^{0.02 + 0.03} 0.99 ; burden clipped to [0, 1]."""
    p = capability.grow(np.array([2.0, 1.0, 1.0]), np.array([1.0, 0.0, 0.0]), np.array([0.01, 0.0, 3.0]), mean=0.02, sd=0.03)
    assert_allclose(p, [2 * np.exp(0.05) * 0.99, np.exp(0.02), 0.0])


# ====================================================================== membership (phase 8)
def test_security_demand_is_worst_proximate_tension():
    """z_i = max_j T_ij prox_ij."""
    z = membership.security_demand(np.array([[0.0, 0.5, 0.9], [0.5, 0.0, 0.2]]), np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 0.9]]))
    assert_allclose(z, [0.5, 0.5])


def test_hegemonic_utility_by_hand():
    """0.5*0.6 + 0.6*0.3 + 0.2*0.5 - 0.6*0.235 - (0.5-0.9)^2 - 10*0.005 = 0.229."""
    p = {"umbrella": 0.5, "deterrence": 0.6, "counter_threat": 0.2, "burden": 0.005}
    u = membership.hegemonic_utility(
        MembershipParams(), p, 1 - 0.9 * 0.85, governance=np.array([0.4]), threat=np.array([0.5]),
        demand=np.array([0.3]), sovereignty=np.array([0.6]), regime=np.array([0.5]), leader_regime=0.9,
    )
    assert_allclose(u, [0.229])


def test_dialogue_utility_by_hand():
    """3 * chi * (delta/alpha) * z + counter_threat * tau - 10 burden = 3*0.8*0.3*0.3 + 0.25 - 0.01 = 0.456."""
    p = {"dialogue_intensity": 0.03, "counter_threat": 0.5, "burden": 0.001}
    u = membership.dialogue_utility(MembershipParams(), p, 0.8, 0.1, threat=np.array([0.5]), demand=np.array([0.3]))
    assert_allclose(u, [0.456])
    assert_allclose(membership.dialogue_utility(MembershipParams(), p, 0.8, 0.0, threat=np.array([0.5]), demand=np.array([0.3])), [0.24])


def _choose(utility, member, admissible=None, forced=None, locked=None, hegemonic=(True, False, False), max_memberships=1):
    utility = np.atleast_2d(np.array(utility, dtype=float))
    shape = utility.shape
    f = lambda x: np.zeros(shape, bool) if x is None else np.atleast_2d(np.array(x, dtype=bool))  # noqa: E731
    return membership.choose(
        utility, f(member), np.ones(shape, bool) if admissible is None else f(admissible), f(forced), f(locked),
        np.array(hegemonic), join_threshold=0.05, leave_threshold=-0.05, max_memberships=max_memberships,
    )


def test_choose_leaves_below_threshold_and_on_grievance_unless_leader():
    leave, _ = _choose([[-0.1, 0.0, 0.0]], [[1, 0, 0]])
    assert leave[0, 0]
    leave, _ = _choose([[-0.04, 0.0, 0.0]], [[1, 0, 0]])
    assert not leave[0, 0]  # above the leave threshold
    leave, _ = _choose([[0.9, 0.0, 0.0]], [[1, 0, 0]], forced=[[1, 0, 0]])
    assert leave[0, 0]  # grievance forces the exit whatever the utility
    leave, _ = _choose([[-0.9, 0.0, 0.0]], [[1, 0, 0]], forced=[[1, 0, 0]], locked=[[1, 0, 0]])
    assert not leave[0, 0]  # the leader never leaves its own alliance


def test_choose_joins_best_admissible_above_threshold():
    _, join = _choose([[0.3, 0.2, 0.1]], [[0, 0, 0]], admissible=[[0, 1, 1]])
    assert join[0] == 1  # best admissible, not the inadmissible best
    _, join = _choose([[0.04, 0.05, 0.0]], [[0, 0, 0]])
    assert join[0] == -1  # nothing strictly above the join threshold
    _, join = _choose([[0.2, 0.2, 0.2]], [[0, 0, 0]])
    assert join[0] == 0  # ties go to the institution listed first


def test_choose_respects_max_memberships_and_one_hegemon():
    _, join = _choose([[0.0, 0.0, 0.5]], [[0, 1, 0]])
    assert join[0] == -1  # slot taken (max 1)
    leave, join = _choose([[0.0, -0.5, 0.5]], [[0, 1, 0]])
    assert leave[0, 1] and join[0] == 2  # leaving frees the slot in the same review
    _, join = _choose([[0.0, 0.9, 0.3]], [[1, 0, 0]], hegemonic=(True, True, False), max_memberships=3)
    assert join[0] == 2  # never two hegemonic alliances, even with free slots
    _, join = _choose([[0.0, 0.9, 0.3]], [[1, 0, 0]], hegemonic=(True, True, False), max_memberships=1)
    assert join[0] == -1


def test_choose_never_rejoins_what_it_just_left():
    leave, join = _choose([[0.0, 0.9, 0.0]], [[0, 1, 0]], forced=[[0, 1, 0]])
    assert leave[0, 1] and join[0] == -1


def test_membership_phase_forces_grievance_exit_but_never_the_leader():
    """Every state reviews (review_rate 1, no noise): F, over the grievance limit, leaves and its
    grievance is reset; the leader L, also over the limit, stays; E (positive utility) stays; the
    distant autocracy O is not admitted (|0.1 - 0.9| > 0.35)."""
    states = [
        {"name": "L", "capability": 6.0, "regime": 0.9, "location": [0, 0]},
        {"name": "F", "capability": 2.0, "regime": 0.8, "sovereignty": 0.9, "location": [900, 0]},
        {"name": "E", "capability": 2.0, "regime": 0.85, "location": [0, 900]},
        {"name": "O", "capability": 2.0, "regime": 0.1, "location": [600, 600]},
    ]
    institutions = {"Atlantic": {"kind": "hegemonic", "founders": ["L", "F", "E"], "leader": "L"}}
    dynamics = {"membership": {"review_rate": 1.0, "utility_noise": 0.0}}
    model = AllianceModel(listed_scenario(states, institutions, dynamics=dynamics))
    model.grievance[:] = [5.0, 5.0, 0.0, 0.0]
    model.decide_memberships()
    alliance = model.institutions[0]
    assert_array_equal(alliance.members, [True, False, True, False])
    assert (alliance.exits, alliance.joins) == (1, 0)
    assert_allclose(model.grievance, [5.0, 0.0, 0.0, 0.0])


# ====================================================================== metrics helpers
@given(unit_vectors())
@settings(max_examples=60, deadline=None, database=None)
def test_mean_pairwise_l1_equals_brute_force(x):
    brute = np.mean([abs(a - b) for a, b in itertools.combinations(x, 2)])
    assert metrics.mean_pairwise_l1(x) == pytest.approx(brute, abs=1e-12)


@given(policy_matrices())
@settings(max_examples=60, deadline=None, database=None)
def test_s_score_mean_equals_brute_force_signorino_ritter(f):
    """S_ij = 1 - 2 sum_k w_k |f_ik - f_jk| / (d_max sum_k w_k), d_max = 1, equal weights; mean over pairs."""
    k = f.shape[1]
    s = [1 - 2 * np.abs(f[i] - f[j]).sum() / k for i, j in itertools.combinations(range(len(f)), 2)]
    assert metrics.s_score_mean(f) == pytest.approx(np.mean(s), abs=1e-12)


def test_s_score_extremes():
    """Identical positions -> 1; opposite corners of [0,1]^K -> -1."""
    assert metrics.s_score_mean(np.full((3, 2), 0.4)) == pytest.approx(1.0)
    assert metrics.s_score_mean(np.array([[0.0, 0.0], [1.0, 1.0]])) == pytest.approx(-1.0)


def test_herfindahl_and_concentration_formula():
    """HHI = sum s^2: (2,1,1) -> 0.375; CON = sqrt((HHI - 1/N)/(1 - 1/N)) = sqrt(0.0417/0.6667) = 0.25."""
    p = np.array([2.0, 1.0, 1.0])
    assert metrics.herfindahl(p) == pytest.approx(0.375)
    model = SimpleNamespace(n=3, capability=p)
    assert metrics.concentration(model) == pytest.approx(np.sqrt((0.375 - 1 / 3) / (2 / 3)))
    assert metrics.concentration(SimpleNamespace(n=4, capability=np.ones(4))) == 0.0
    assert metrics.concentration(SimpleNamespace(n=4, capability=np.array([1.0, 0, 0, 0]))) == pytest.approx(1.0)


def test_intra_dyads_equals_brute_force_with_overlapping_memberships():
    """Dyads sharing at least one live institution, counted from membership patterns vs all pairs."""
    rng = np.random.default_rng(4)
    n = 25
    insts = [SimpleNamespace(members=rng.random(n) < q) for q in (0.3, 0.4, 0.2)]
    model = SimpleNamespace(n=n, alive=lambda: insts)
    brute = sum(any(k.members[i] and k.members[j] for k in insts) for i, j in itertools.combinations(range(n), 2))
    assert metrics.intra_dyads(model) == brute
    assert metrics.intra_dyads(SimpleNamespace(n=n, alive=lambda: [])) == 0


def test_member_tension_is_mean_over_ordered_member_pairs():
    """member_pair_sum / (n (n-1)) equals the mean of T over distinct member pairs."""
    rng = np.random.default_rng(8)
    t = rng.random((9, 9))
    t = (t + t.T) / 2
    np.fill_diagonal(t, 0)
    m = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0], bool)
    idx = np.flatnonzero(m)
    brute = np.mean([t[i, j] for i in idx for j in idx if i != j])
    assert metrics.pair_tension_mean(metrics.member_pair_sum(t, m), 4) == pytest.approx(brute)
