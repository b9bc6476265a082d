"""Metamorphic tests: relations between paired runs of the whole model.

Each relation is checked on several replications; the two runs of a pair share the seed, so
they share the world and (by design) the random shocks: common random numbers.  Where the
relation concerns members, memberships are frozen (``mechanisms.membership: false``) so both
runs average over the same member set.  Worlds are small (30 states, 40 steps) to stay fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from simulation.model import AllianceModel
from simulation.runner import run_scenario, simulate
from simulation.scenario import Mechanisms
from test_membership_mechanisms import NEW_SWITCHES
from strategies import ATLANTIC, CONCORD, after_start, scenario, series, world_table

SEEDS = (1, 2, 3, 4, 5)
FROZEN = "mechanisms.membership=false"

# Every effect parameter of a hegemonic alliance (all but admission_distance).
HEGEMONIC_EFFECTS = (
    "interference", "planning", "umbrella", "deterrence", "suppression", "dispute_control",
    "polarisation", "counter_threat", "entrapment", "grievance_rate", "burden",
)

# World metrics that describe membership itself, so they differ even when members have no effect.
MEMBERSHIP_DESCRIPTIONS = {
    "aligned_share_hegemonic", "aligned_share_dialogue", "mean_autonomy",
    "dispute_rate_intra", "dispute_rate_inter", "conflict_rate_intra", "conflict_rate_inter",
    *(f"{rate}_{kind}" for rate in ("dispute_rate", "conflict_rate", "dyad_share")
      for kind in ("within", "across", "member_outsider", "outsiders")),
}


def heg(**params):
    return {"Atlantic": {**ATLANTIC, "params": params}}


def dia(**params):
    return {"Concord": {**CONCORD, "params": params}}


# ---------------------------------------------------------------------- (a) null alliance
@pytest.mark.parametrize("seed", SEEDS)
def test_hegemonic_alliance_with_zero_effects_behaves_like_the_control(seed):
    """An alliance whose effect parameters are all 0 leaves every world trajectory bit-identical to
    the control's (states still join and leave it), apart from metrics that describe membership."""
    control = simulate(scenario(), seed=seed)
    null = simulate(scenario(heg(**dict.fromkeys(HEGEMONIC_EFFECTS, 0.0))), seed=seed)
    wc, wn = world_table(control.recorder.frame()), world_table(null.recorder.frame())
    keep = [m for m in wc.columns if m not in MEMBERSHIP_DESCRIPTIONS]
    pd.testing.assert_frame_equal(wc[keep], wn[keep], check_exact=True)
    for name in ("tension", "capability", "regime", "policy", "stability", "threat"):
        assert_array_equal(getattr(control, name), getattr(null, name), err_msg=name)
    assert (wn["mean_autonomy"] == 1.0).all()


def test_null_alliance_comparison_is_not_vacuous():
    """The runs above do exercise membership: some states join the null alliance."""
    joins = [series(run_scenario(scenario(heg(**dict.fromkeys(HEGEMONIC_EFFECTS, 0.0))), seed=s), "Atlantic", "joins").sum() for s in SEEDS]
    assert sum(joins) > 0


# ---------------------------------------------------------------------- (b) dialogue intensity
@pytest.mark.parametrize("seed", SEEDS)
def test_more_dialogue_intensity_never_raises_member_tension(seed):
    """Frozen members: the platform's member_tension averaged over the run falls as delta rises."""
    levels = (0.0, 0.03, 0.06, 0.12)
    means = [
        after_start(series(run_scenario(scenario(dia(dialogue_intensity=d), overrides=[FROZEN]), seed=seed), "Concord", "member_tension")).mean()
        for d in levels
    ]
    assert np.all(np.diff(means) <= 0), dict(zip(levels, means))
    assert means[-1] < means[0]


# ---------------------------------------------------------------------- (c) umbrella
@pytest.mark.parametrize("seed", SEEDS)
def test_larger_umbrella_never_raises_members_crises(seed):
    """Frozen members: per seed (crisis draws are common random numbers), members' crises over the
    run never increase with the umbrella."""
    levels = (0.0, 0.25, 0.5, 0.9)
    totals = [
        after_start(series(run_scenario(scenario(heg(umbrella=u), overrides=[FROZEN]), seed=seed), "Atlantic", "crisis_rate")).sum()
        for u in levels
    ]
    assert np.all(np.diff(totals) <= 0), dict(zip(levels, totals))
    assert totals[-1] < totals[0]


# ---------------------------------------------------------------------- (d) interference
@pytest.mark.parametrize("seed", SEEDS)
def test_more_interference_lowers_regime_heterogeneity_and_autonomy(seed):
    """Frozen members: regime_heterogeneity (mean over the run) and measured autonomy fall with
    interference; autonomy stays within (0, 1), below 1 as long as the planning pull imposes."""
    levels = (0.0, 0.1, 0.3)
    runs = [run_scenario(scenario(heg(interference=x), overrides=[FROZEN]), seed=seed) for x in levels]
    het = [after_start(series(df, "Atlantic", "regime_heterogeneity")).mean() for df in runs]
    aut = [after_start(series(df, "Atlantic", "autonomy")).mean() for df in runs]
    assert np.all(np.diff(het) < 0), dict(zip(levels, het))
    assert np.all(np.diff(aut) < 0), dict(zip(levels, aut))
    assert all(0.0 < a < 1.0 for a in aut), aut


# ---------------------------------------------------------------------- (e) admission distance 0
def closed_alliance(seed: int):
    """A world where no outsider can have exactly the leader's regime: the leader 'Hub' has
    governance 1 (crisis hazard 0, so its regime never moves) and an interior regime, while other
    regimes move by continuous shocks (and clipping only piles them up at 0 and 1)."""
    states = [{"name": "Hub", "capability": 20.0, "regime": 0.8, "governance": 1.0, "location": [5000, 5000]}]
    inst = {"Atlantic": {**ATLANTIC, "founders": ["Hub", "S001", "S002"], "leader": "Hub", "params": {"admission_distance": 0.0}}}
    return AllianceModel(scenario(inst, world={"generate": {"count": 30}, "states": states}, steps=60), seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_admission_distance_zero_admits_no_one(seed):
    """With admission_distance 0 no state ever joins: joins = 0 every step, members stay a subset
    of the founders (some founders leave, so membership is still being decided)."""
    model = closed_alliance(seed)
    alliance = model.institutions[0]
    founders = alliance.members.copy()
    for _ in range(60):
        model.step()
        assert alliance.joins == 0
        assert not (alliance.members & ~founders).any()


def test_admission_distance_positive_does_admit_in_the_same_world():
    """Control for the test above: with the default admission distance the same worlds do see joins."""
    joins = 0
    for seed in SEEDS:
        model = closed_alliance(seed)
        model.institutions[0].params["admission_distance"] = 0.35
        for _ in range(60):
            model.step()
            joins += model.institutions[0].joins
    assert joins > 0


# ---------------------------------------------------------------------- (f) polarisation
def member_outsider_tension(model) -> float:
    members = model.institutions[0].members
    return float(model.tension[np.ix_(members, ~members)].mean())


@pytest.mark.parametrize("seed", SEEDS)
def test_more_polarisation_raises_member_outsider_tension(seed):
    """Frozen members: mean final T over member x outsider pairs rises with polarisation."""
    levels = (0.0, 0.02, 0.1)
    values = [member_outsider_tension(simulate(scenario(heg(polarisation=p), overrides=[FROZEN]), seed=seed)) for p in levels]
    assert np.all(np.diff(values) > 0), dict(zip(levels, values))


# ---------------------------------------------------------------------- mechanism switches
BOTH = {"Atlantic": ATLANTIC, "Concord": CONCORD}
A, C, D = "institutions.Atlantic.params", "institutions.Concord.params", "dynamics"

# For each switch: the parameter values under which the mechanism already does nothing.
ZERO_PARAMS = {
    "threat_emergence": [f"{D}.threats.emergence=0"],
    "threat_spread": [f"{D}.threats.spread=0"],
    "counter_threat": [f"{A}.counter_threat=0", f"{C}.counter_threat=0"],
    "crises": [f"{D}.internal.crisis_base=0"],
    "umbrella": [f"{A}.umbrella=0"],
    "regime_pull": [f"{A}.interference=0"],
    "planning_pull": [f"{A}.planning=0"],
    "grievance": [f"{A}.grievance_rate=0"],
    "suppression": [f"{A}.suppression=0", f"{A}.dispute_control=0"],
    "polarisation": [f"{A}.polarisation=0"],
    "dialogue": [f"{C}.dialogue_intensity=0"],
    "consensus_capacity": [f"{C}.consensus_cost=0"],
    "policy_convergence": [f"{C}.convergence=0"],
    "settlement": [f"{C}.settlement=0"],
    "deterrence": [f"{A}.deterrence=0"],
    "escalation": [f"{D}.conflict.escalation=0"],
    "entrapment": [f"{A}.entrapment=0"],
    "capability_growth": [f"{D}.capability.growth_mean=0", f"{D}.capability.growth_sd=0"],
    "burden": [f"{A}.burden=0", f"{C}.burden=0"],
    # No review happens at all: none at random and no crisis forcing one.
    "membership": [f"{D}.membership.review_rate=0", f"{D}.internal.crisis_base=0"],
    # The history mechanisms (off by default): the values under which each, switched on, does nothing.
    "accession_consent": [f"{A}.veto_threshold=-1e9", f"{A}.approval_threshold=-1e9", f"{C}.veto_threshold=-1e9"],
    "eligibility_regions": [],  # no institution lists eligible_regions: open to every region
    "view_persistence": [f"{D}.membership.view_persistence=0"],
    "exit_cost": [f"{D}.membership.exit_cost=0"],
    "commitments": [f"{A}.reliability=1", f"{A}.ally_loss=0", f"{D}.membership.abandonment_loss=0", f"{D}.membership.entrapment_loss=0"],
    "growth_trends": [],  # generated states have no growth_trend (0)
    "leader_exit": [f"{D}.membership.leadership_value=1e6"],
    "leader_succession": [f"{A}.succession_ratio=1e9"],
    # No candidacy period (below half a year rounds to 0) and no veto: every applicant joins in
    # the year it applies, as without consent (the record only gains apply rows).
    "candidacy": [f"{k}.{p}" for k in (A, C) for p in ("candidacy_years=0.4", "veto_share=1")],
    # A round every year that no number of candidates can fill is staged candidacy (which rounds need).
    "enlargement_rounds": ["mechanisms.candidacy=true"] + [f"{k}.{p}" for k in (A, C) for p in ("round_years=0", "round_share=1000")],
    # Security demand enters utilities only through the defence and dialogue weights.
    "threat_by_power": [f"{D}.membership.defence_value=0", f"{D}.membership.dialogue_value=0"],
}
# What a switch needs, beyond its defaults, to act in these generated worlds at all.
ENABLING = {
    "eligibility_regions": ["institutions.Atlantic.eligible_regions=[Europe]"],
    # A leader that values command over its followers weighs its alliance far above leaving.
    "leader_exit": [f"{D}.membership.leadership_value=0", f"{D}.membership.protection_cost=5"],
    "growth_trends": ["world.states=[{name: Riser, capability: 1.0, regime: 0.5, location: [5000, 5000], growth_trend: 0.05}]"],
    # Rounds act on candidacies, and at their defaults (a round every year) hardly bind.
    "enlargement_rounds": ["mechanisms.candidacy=true", f"{A}.round_years=4", f"{C}.round_years=4"],
}


def flipped(switch: str) -> str:
    """The override that turns a switch away from its default (off for most, on for the history ones)."""
    return f"mechanisms.{switch}={'false' if Mechanisms.model_fields[switch].default else 'true'}"


def csv(overrides, seed=1) -> str:
    return run_scenario(scenario(BOTH, steps=30, overrides=overrides), seed=seed).to_csv(index=False)


def test_every_switch_has_a_zero_parameter_equivalent_listed():
    """Adding a switch to ``Mechanisms`` without a metamorphic test here fails (the history
    switches of tests/test_membership_mechanisms.py included: all are wired into the step)."""
    assert set(ZERO_PARAMS) == set(Mechanisms.model_fields)
    assert set(NEW_SWITCHES) <= set(ZERO_PARAMS)


@pytest.mark.parametrize("switch", sorted(ZERO_PARAMS))
def test_switch_changes_nothing_when_its_parameters_are_neutral(switch):
    """With the mechanism's parameters at their neutral values, flipping its switch (off for a
    mechanism on by default, on for a history mechanism) gives byte-identical results."""
    zero = ZERO_PARAMS[switch]
    assert csv(zero) == csv(zero + [flipped(switch)])


@pytest.mark.parametrize("switch", sorted(s for s in set(ZERO_PARAMS) - {"membership"} if Mechanisms.model_fields[s].default))
def test_switch_off_equals_setting_its_parameters_to_zero(switch):
    """Switching a mechanism off is the same run as setting its parameters to 0 (defaults otherwise)."""
    assert csv([f"mechanisms.{switch}=false"]) == csv(ZERO_PARAMS[switch])


@pytest.mark.parametrize("switch", sorted(ZERO_PARAMS))
def test_every_switch_is_wired_in(switch):
    """With default parameters, flipping the switch changes the run for some seed (1-4)."""
    extra = ENABLING.get(switch, [])
    assert any(csv(extra + [flipped(switch)], seed) != csv(extra, seed) for seed in (1, 2, 3, 4))


def test_membership_switch_off_equals_no_reviews_and_keeps_founders():
    """membership off == review_rate 0 when no crisis forces a review; with defaults, switching it
    off keeps every institution exactly as founded (and that differs from the default run)."""
    no_crises = "mechanisms.crises=false"
    assert csv([no_crises, "mechanisms.membership=false"]) == csv([no_crises, f"{D}.membership.review_rate=0"])
    df = run_scenario(scenario(BOTH, steps=30, overrides=["mechanisms.membership=false"]), seed=1)
    for name in BOTH:
        assert (series(df, name, "size") == 6).all()
        assert series(df, name, "joins").sum() == series(df, name, "exits").sum() == 0
    assert df.to_csv(index=False) != csv([])


# ---------------------------------------------------------------------- common random numbers
STREAM_SCENARIOS = {
    "dialogue_intensity": (dia(dialogue_intensity=0.03), dia(dialogue_intensity=0.2)),
    "umbrella": (heg(umbrella=0.0), heg(umbrella=0.9)),
    "interference": (heg(interference=0.0), heg(interference=0.3)),
    "control vs two blocs": ({}, BOTH),
    "hegemonic vs two blocs": (heg(), BOTH),
}


def generator_state(model, stream):
    if stream == "views":  # one utility-noise stream per institution, compared by name
        return {name: g.bit_generator.state for name, g in model.view_streams.items()}
    return model.streams[stream].bit_generator.state


@pytest.mark.parametrize("stream", ["threats", "crises", "tension", "disputes", "capability", "membership", "views"])
def test_each_random_stream_consumes_the_same_draws_whatever_the_institutions(stream):
    """Common random numbers (model docstring: 'each phase draws a fixed number of values whatever
    the institutions do'): after 30 steps each phase's generator is in the same state in two runs
    that differ in an institution parameter or in which institutions exist, so later shocks line up."""
    for name, pair in STREAM_SCENARIOS.items():
        a, b = (simulate(scenario(inst, steps=30), seed=3) for inst in pair)
        sa, sb = generator_state(a, stream), generator_state(b, stream)
        if stream == "views":
            sa, sb = ({k: v for k, v in st.items() if k in sa.keys() & sb.keys()} for st in (sa, sb))
        assert sa == sb, name
