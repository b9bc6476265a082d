"""Metrics that measure instead of reading parameters back: autonomy from realised
imposition, cohesion against chance, and event rates per dyad of each kind."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from simulation import metrics
from simulation.institutions import imposition
from simulation.model import AllianceModel
from simulation.runner import run_scenario, simulate
from simulation.scenario_io import load_scenario, scenario_from_dict

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
STEPS = 30


def series(df, metric, scope="world"):
    part = df[(df["metric"] == metric) & (df["scope"] == scope)]
    return part.sort_values("step")["value"].to_numpy(dtype=float)


# ---------------------------------------------------------------- autonomy
@pytest.mark.parametrize("name", ["hegemonic", "dialogue", "two_blocs"])
@pytest.mark.parametrize("seed", [1, 2])
def test_without_pulls_members_keep_all_autonomy_whatever_the_kind(name, seed):
    """Interference and planning zero: nothing is imposed, so every member of every kind of
    institution keeps autonomy 1 at every step (the alliance still controls by parameters)."""
    sc = load_scenario(SCENARIOS / f"{name}.yaml", {"steps": STEPS, "mechanisms.regime_pull": False, "mechanisms.planning_pull": False})
    df = run_scenario(sc, seed=seed)
    assert (series(df, "mean_autonomy") == 1.0).all()
    for inst in sc.institutions:
        values = series(df, "autonomy", inst)
        assert (values[~np.isnan(values)] == 1.0).all()
        assert (series(df, "imposition", inst)[~np.isnan(values)] == 0.0).all()


@pytest.mark.parametrize("seed", [1, 2])
def test_with_pulls_alliance_members_lose_autonomy_and_platform_members_keep_it(seed):
    """The same runs with the default pulls: the alliance imposes, the platform never does."""
    df = run_scenario(load_scenario(SCENARIOS / "hegemonic.yaml", {"steps": STEPS}), seed=seed)
    assert series(df, "autonomy", "Atlantic")[-1] < 1.0
    assert (series(df, "imposition", "Atlantic")[1:] > 0).any()
    df = run_scenario(load_scenario(SCENARIOS / "dialogue.yaml", {"steps": STEPS}), seed=seed)
    assert (series(df, "autonomy", "Concord") == 1.0).all()


def test_imposition_is_the_pull_against_the_counterfactual_without_it():
    regime = np.array([0.8, 0.8, 0.3, 0.1])
    policy = np.array([[0.8, 0.5], [0.8, 0.5], [0.2, 0.9], [0.0, 0.0]])
    followers = np.array([False, True, True, False])  # 0 leads; 3 is an outsider
    out = imposition(regime, policy, followers, 0, 0.1, 0.2)
    assert out.d_regime[1] == 0.0 and (out.d_policy[1] == 0.0).all()  # already where the leader stands
    assert out.log_retained[1] == 0.0 and out.log_retained[0] == 0.0 and out.log_retained[3] == 0.0
    assert out.regime[2] == pytest.approx(0.3 + 0.1 * 0.5)
    kept = (1 - 0.1 * 0.5) * (1 - 0.2 * np.mean([0.6, 0.4]))
    assert np.exp(out.log_retained[2]) == pytest.approx(kept)
    assert out.size[2] == pytest.approx(0.1 * 0.5 + 0.2 * 0.5)
    assert (out.regime[[0, 1, 3]] == regime[[0, 1, 3]]).all()


def _three_state_alliance(steps: int):
    """A leader L, a member A where L stands, a member B far from it, an outsider O; no
    crises and frozen membership, so only the pulls move regimes and policies."""
    states = [
        {"name": "L", "capability": 10.0, "regime": 0.8, "policy": [0.8, 0.5], "location": [0, 0]},
        {"name": "A", "capability": 1.0, "regime": 0.8, "policy": [0.8, 0.5], "location": [500, 0]},
        {"name": "B", "capability": 1.0, "regime": 0.5, "policy": [0.2, 0.9], "location": [0, 500]},
        {"name": "O", "capability": 1.0, "regime": 0.1, "policy": [0.1, 0.1], "location": [500, 500]},
    ]
    data = {
        "name": "imposed", "steps": steps, "seed": 3,
        "world": {"states": states},
        "institutions": {"Alliance": {"kind": "hegemonic", "founders": ["L", "A", "B"], "leader": "L",
                                      "params": {"admission_distance": 0.0}}},
        "mechanisms": {"crises": False, "membership": False},
    }
    return simulate(scenario_from_dict(data))


def test_autonomy_moves_with_realised_imposition_only():
    steps = 20
    model = _three_state_alliance(steps)
    autonomy = metrics.autonomy_of_states(model)
    i = model.index
    assert autonomy[i["L"]] == 1.0 and autonomy[i["O"]] == 1.0
    assert autonomy[i["A"]] == 1.0  # already at the leader's regime and policy: nothing imposed
    iota, phi = 0.10, 0.15  # the defaults
    t = np.arange(steps)
    expected = np.prod((1 - iota * (1 - iota) ** t * 0.3) * (1 - phi * (1 - phi) ** t * np.mean([0.6, 0.4])))
    assert autonomy[i["B"]] == pytest.approx(expected, rel=1e-9)


def test_stronger_interference_costs_more_autonomy():
    base = load_scenario(SCENARIOS / "hegemonic.yaml", {"steps": STEPS, "mechanisms.membership": False})
    low = run_scenario(base, seed=4)
    high = run_scenario(load_scenario(SCENARIOS / "hegemonic.yaml", {"steps": STEPS, "mechanisms.membership": False,
                                                                      "institutions.Atlantic.params.interference": 0.3}), seed=4)
    assert series(high, "autonomy", "Atlantic")[-1] < series(low, "autonomy", "Atlantic")[-1]


# ---------------------------------------------------------------- cohesion against chance
def test_chance_level_is_the_mean_over_all_pairs_exactly():
    """The mean S of all 2-state sets is the world's mean S, so their corrected cohesion averages 0."""
    policy = np.random.default_rng(5).random((12, 3))
    world = metrics.s_score_mean(policy)
    corrected = [metrics.chance_corrected(metrics.s_score_mean(policy[list(p)]), world) for p in itertools.combinations(range(12), 2)]
    assert np.mean(corrected) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("size", [3, 8, 30])
def test_cohesion_of_random_memberships_is_about_zero(size):
    rng = np.random.default_rng(size)
    policy = rng.random((120, 2))
    world = metrics.s_score_mean(policy)
    draws = np.array([metrics.chance_corrected(metrics.s_score_mean(policy[rng.choice(120, size, replace=False)]), world)
                      for _ in range(3000)])
    assert abs(draws.mean()) < 4 * draws.std() / np.sqrt(len(draws))
    assert abs(draws.mean()) < 0.01


def test_a_platform_of_states_chosen_without_regard_to_policy_has_chance_cohesion():
    """Founders picked by map position, no convergence, frozen membership: across worlds the
    platform's corrected cohesion averages about 0, although its raw S-score does not."""
    overrides = {"steps": 5, "mechanisms.policy_convergence": False, "mechanisms.membership": False,
                 "institutions.Concord.founders": {"by": "x", "count": 15}}
    sc = load_scenario(SCENARIOS / "dialogue.yaml", overrides)
    values, raw = [], []
    for seed in range(1, 41):
        df = run_scenario(sc, seed=seed)
        values.append(series(df, "cohesion_vs_chance", "Concord")[-1])
        raw.append(series(df, "cohesion", "Concord")[-1])
    values = np.array(values)
    assert abs(values.mean()) < 3 * values.std(ddof=1) / np.sqrt(len(values))
    assert np.mean(raw) > 0.3  # the raw S-score of the same sets is far from 0


def test_chance_corrected_cohesion_reads_one_for_identical_policies_and_is_nan_without_pairs():
    assert metrics.chance_corrected(1.0, 0.45) == 1.0
    assert np.isnan(metrics.chance_corrected(float("nan"), 0.45))
    assert np.isnan(metrics.chance_corrected(0.9, 1.0))


def test_recorded_corrected_cohesion_uses_the_same_steps_world():
    df = run_scenario(load_scenario(SCENARIOS / "two_blocs.yaml", {"steps": 10}), seed=2)
    world = series(df, "world_cohesion")
    for inst in ("Atlantic", "Concord"):
        s = series(df, "cohesion", inst)
        assert np.allclose(series(df, "cohesion_vs_chance", inst), (s - world) / (1 - world))


# ---------------------------------------------------------------- rates per exposure
def _random_memberships(rng, n, k, p=0.3):
    return rng.random((n, k)) < p


@pytest.mark.parametrize("seed, institutions", [(s, 3) for s in range(5)] + [(5, 70)])  # 70: beyond one int64 pattern
def test_dyad_kinds_match_brute_force(seed, institutions):
    rng = np.random.default_rng(seed)
    m = _random_memberships(rng, 25, institutions, p=0.3 if institutions < 10 else 0.01)
    counts = metrics.dyad_kind_counts(m)
    i, j = np.triu_indices(25, 1)
    kinds = metrics.dyad_kinds(m, i, j)
    brute = {kind: 0 for kind in metrics.DYAD_KINDS}
    for a, b in zip(i, j):
        shared = (m[a] & m[b]).any()
        both = m[a].any() and m[b].any()
        one = m[a].any() != m[b].any()
        brute["within" if shared else "across" if both else "member_outsider" if one else "outsiders"] += 1
    assert counts == brute
    assert {kind: int((kinds == c).sum()) for c, kind in enumerate(metrics.DYAD_KINDS)} == brute
    assert metrics.dyad_kind_counts(np.zeros((25, 0), dtype=bool)) == {"within": 0, "across": 0, "member_outsider": 0, "outsiders": 300}


@pytest.mark.parametrize("name", ["control", "hegemonic", "two_blocs"])
def test_rates_per_exposure_add_up_to_the_world_rate(name):
    df = run_scenario(load_scenario(SCENARIOS / f"{name}.yaml", {"steps": STEPS}), seed=3)
    shares = {kind: series(df, f"dyad_share_{kind}") for kind in metrics.DYAD_KINDS}
    assert np.allclose(sum(shares.values()), 1.0)
    for events in ("dispute_rate", "conflict_rate"):
        weighted = sum(shares[kind] * series(df, f"{events}_{kind}") for kind in metrics.DYAD_KINDS)
        assert np.allclose(weighted, series(df, events), rtol=1e-12, atol=1e-12)
    assert series(df, "dispute_rate").sum() > 0


def test_settled_disputes_show_as_a_metric_of_their_own():
    df = run_scenario(load_scenario(SCENARIOS / "dialogue.yaml", {"steps": STEPS}), seed=1)
    unsettled, settled, total = series(df, "dispute_rate_unsettled"), series(df, "settlement_rate"), series(df, "dispute_rate")
    assert np.allclose(unsettled + settled, total)
    assert settled.sum() > 0 and (unsettled < total).any()
    off = run_scenario(load_scenario(SCENARIOS / "dialogue.yaml", {"steps": STEPS, "mechanisms.settlement": False}), seed=1)
    assert np.array_equal(series(off, "dispute_rate_unsettled"), series(off, "dispute_rate"))


def test_step_zero_has_no_events_of_any_kind():
    model = AllianceModel(load_scenario(SCENARIOS / "two_blocs.yaml"))
    df = model.recorder.frame()
    for kind in metrics.DYAD_KINDS:
        assert series(df, f"dispute_rate_{kind}")[0] == 0.0
