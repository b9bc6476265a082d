"""Security demand weighted by power (``mechanisms.threat_by_power``, docs/ODD.md §M.9):
z_i = max_j T_ij prox_ij p_j / (p_i + p_j)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from simulation.mechanisms import membership
from simulation.model import AllianceModel
from simulation.scenario_io import scenario_from_dict
from strategies import ATLANTIC


def test_relative_power_by_hand():
    """q_ij = p_j / (p_i + p_j); a pair with no capability on either side counts 0."""
    q = membership.relative_power(np.array([1.0, 3.0, 0.0]))
    assert_array_equal(q, [[0.5, 0.75, 0.0], [0.25, 0.5, 0.0], [1.0, 1.0, 0.0]])
    assert_array_equal(membership.relative_power(np.array([1.0, 3.0, 0.0]), np.array([1])), q[[1]])


def test_demand_weighs_each_tension_by_the_other_sides_power():
    """State 0's worst raw threat is the weak state 1 (0.9 x 1.0); weighted by power the strong
    state 2 is worse (0.5 x 1.0 x 0.8 = 0.4 against 0.9 x 0.2 = 0.18)."""
    t = np.array([[0.0, 0.9, 0.5], [0.9, 0.0, 0.1], [0.5, 0.1, 0.0]])
    prox = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    p = np.array([1.0, 0.25, 4.0])
    assert membership.security_demand(t, prox)[0] == 0.9
    z = membership.security_demand(t, prox, membership.relative_power(p))
    assert np.isclose(z[0], 0.4) and np.isclose(z[1], 0.9 * 0.8) and np.isclose(z[2], 0.5 * 0.2)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 8), st.integers(0, 2**31 - 1), st.floats(1e-3, 1e3))
def test_demand_depends_on_shares_only_and_rises_with_a_rivals_power(n, seed, scale):
    """Metamorphic: scaling every capability leaves z unchanged (only shares matter); raising one
    state's capability never lowers any other state's z; z never exceeds the raw demand."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, (n, n))
    t = (t + t.T) / 2
    np.fill_diagonal(t, 0)
    prox = rng.uniform(0, 1, (n, n))
    np.fill_diagonal(prox, 0)
    p = rng.uniform(0.01, 1, n)
    z = membership.security_demand(t, prox, membership.relative_power(p))
    assert np.allclose(membership.security_demand(t, prox, membership.relative_power(p * scale)), z, rtol=1e-12, atol=0)
    stronger = p.copy()
    stronger[0] *= 3
    z2 = membership.security_demand(t, prox, membership.relative_power(stronger))
    assert (z2[1:] >= z[1:] - 1e-15).all()
    assert (z <= membership.security_demand(t, prox) + 1e-15).all()


def _equal_world(overrides):
    """30 listed states of equal capability, without growth, burden or war: capabilities stay
    equal, so every q_ij is exactly 1/2 for the whole run."""
    rng = np.random.default_rng(5)
    states = [{"name": f"S{i:02d}", "capability": 1.0, "regime": float(rng.uniform(0.2, 1.0)),
               "location": [float(rng.uniform(0, 4000)), float(rng.uniform(0, 4000))]} for i in range(30)]
    data = {"name": "equal", "steps": 40, "world": {"states": states},
            "institutions": {"Atlantic": dict(ATLANTIC, founders=["S00", "S01", "S02"])}}
    base = ["mechanisms.capability_growth=false", "mechanisms.burden=false", "mechanisms.escalation=false",
            "mechanisms.accession_consent=true", "mechanisms.candidacy=true", "mechanisms.view_persistence=true",
            "mechanisms.leader_exit=true"]
    model = AllianceModel(scenario_from_dict(data, "<test>", overrides=base + overrides), seed=3)
    for _ in range(40):
        model.step()
    return model


def test_with_equal_powers_weighing_by_power_halves_demand_exactly():
    """Metamorphic: with every q_ij = 1/2 and one hegemonic alliance, the switch on with the
    defence weight doubled is the switch off, bit for bit: with no platform, z enters every
    utility (a state's, an incumbent's consent, the leader's) only as w_def * ... * z, and w_def
    nowhere else; scaling by 2 is exact in binary floating point.  (A platform would break it:
    w_dia also weighs tension without z in the platform's consent.)  The switch on alone differs."""
    d = "dynamics.membership"
    on = _equal_world(["mechanisms.threat_by_power=true", f"{d}.defence_value=2.0"])
    off = _equal_world([f"{d}.defence_value=1.0"])
    plain = _equal_world(["mechanisms.threat_by_power=true", f"{d}.defence_value=1.0"])
    assert (on.capability == 1.0).all()
    assert on.membership_log.frame().equals(off.membership_log.frame())
    assert_array_equal(on.tension, off.tension)
    assert len(off.membership_log.frame()) > 6  # the run has decisions to compare
    assert not plain.membership_log.frame().equals(off.membership_log.frame())
