"""The history membership mechanisms acting in the whole model (docs/ODD.md, 'Membership
(issue: history)'): each test switches one on and checks what it must do to a run, against
the same run (same seed, common random numbers) with it off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from simulation import regions
from simulation.model import AllianceModel
from simulation.scenario_io import load_scenario
from strategies import ATLANTIC, CONCORD, scenario

ROOT = Path(__file__).resolve().parents[1]
BOTH = {"Atlantic": ATLANTIC, "Concord": CONCORD}
A, D = "institutions.Atlantic.params", "dynamics.membership"


def run(overrides=(), *, seed=1, steps=40, institutions=BOTH, **extra) -> AllianceModel:
    model = AllianceModel(scenario(institutions, steps=steps, overrides=list(overrides), **extra), seed=seed)
    for _ in range(steps):
        model.step()
    return model


def log(model):
    return model.membership_log.frame()


# ---------------------------------------------------------------------- accession by consent
def test_a_vetoed_applicant_does_not_join_and_the_record_shows_apply_and_refused():
    """Every incumbent of Atlantic objects to everyone (veto threshold above any utility): no
    state joins Atlantic after founding; each application has an ``apply`` row followed, in the
    same step, by a ``refused`` row.  Without consent the same worlds do see joins."""
    vetoed, applied, joined_without = 0, 0, 0
    for seed in (1, 2, 3):
        m = run(["mechanisms.accession_consent=true", f"{A}.veto_threshold=1e9"], seed=seed)
        f = log(m)
        atl = f[(f.institution == "Atlantic") & (f.step > 0)]
        assert (atl.change != "join").all()
        apply_rows = atl[atl.change == "apply"]
        refused = atl[atl.change == "refused"]
        assert sorted(zip(apply_rows.step, apply_rows.state)) == sorted(zip(refused.step, refused.state))
        applied += len(apply_rows)
        vetoed += len(refused)
        off = log(run([f"{A}.veto_threshold=1e9"], seed=seed))
        joined_without += int(((off.institution == "Atlantic") & (off.step > 0) & (off.change == "join")).sum())
        assert not off.change.isin(["apply", "refused"]).any()
    assert applied > 0 and vetoed == applied
    assert joined_without > 0


def test_with_default_consent_every_application_ends_in_a_join_or_a_refusal():
    """Default thresholds: some applications are approved and joins happen only after an apply
    row; apply rows = join rows + refused rows (after founding)."""
    m = run(["mechanisms.accession_consent=true"], seed=2, steps=60)
    f = log(m)
    later = f[f.step > 0]
    n_apply = (later.change == "apply").sum()
    assert n_apply > 0
    assert n_apply == (later.change == "join").sum() + (later.change == "refused").sum()


# ---------------------------------------------------------------------- regions
def test_regions_keep_a_restricted_institution_to_its_regions():
    """Listed states in Europe and Asia: Atlantic (eligible Europe) admits only European states
    with regions on, but also Asian ones with them off (same seed)."""
    rng = np.random.default_rng(0)
    states = [
        {"name": f"{'E' if i % 2 == 0 else 'A'}{i:02d}", "capability": float(rng.uniform(0.5, 2.0)), "regime": float(rng.uniform(0.3, 1.0)),
         "location": [float(rng.uniform(0, 5000)), float(rng.uniform(0, 5000))], "region": "Europe" if i % 2 == 0 else "Asia"}
        for i in range(30)
    ]
    atl = {"kind": "hegemonic", "founders": ["E00", "E02", "E04"], "eligible_regions": ["Europe"]}
    joined = {True: set(), False: set()}
    for on in (True, False):
        for seed in (1, 2, 3):
            m = run([f"mechanisms.eligibility_regions={'true' if on else 'false'}"], seed=seed, institutions={"Atlantic": atl},
                    world={"states": states, "generate": {"count": 0}})
            f = log(m)
            joined[on] |= set(f[(f.institution == "Atlantic") & (f.change == "join") & (f.step > 0)].state)
    assert joined[True] and all(s.startswith("E") for s in joined[True])
    assert any(s.startswith("A") for s in joined[False])


def test_a_nato_hindcast_admits_only_european_and_north_american_states():
    """The Cold War world (mechanisms on, as built): every state NATO ever admits is in Europe
    or North America."""
    sc = load_scenario(ROOT / "scenarios/world_1949_1990.yaml")
    m = AllianceModel(sc, seed=3)
    for _ in range(25):
        m.step()
    nato = m.institutions[[k.name for k in m.institutions].index("NATO")]
    c = m.institutions.index(nato)
    f = log(m)
    admitted = set(f[(f.institution == "NATO") & (f.change == "join") & (f.step > 0)].state)
    assert all(m.eligible[m.index[s], c] for s in admitted)
    assert not m.eligible[m.index["CHN"], c] and m.eligible[m.index["USA"], c] and m.eligible[m.index["TUR"], c]


def test_hindcast_worlds_carry_regions_trends_and_treaty_regions():
    """The build script's output: every listed and entering state has a region and a growth
    trend; NATO, the WTO and the SCO list their treaty regions; the mechanisms are on."""
    for name in ("world_1949_1990", "world_1991_2024", "world_2001_2024"):
        doc = yaml.safe_load((ROOT / f"scenarios/{name}.yaml").read_text())
        states = doc["world"]["states"] + [e for e in doc["events"] if e["kind"] == "enter"]
        assert all(s["region"] in regions.REGION_NAMES and -1 <= s["growth_trend"] <= 1 for s in states)
        for inst, spec in doc["institutions"].items():
            assert tuple(spec["eligible_regions"]) == regions.TREATY_REGIONS[inst]
        assert all(doc["mechanisms"][s] for s in ("accession_consent", "eligibility_regions", "commitments", "growth_trends"))


# ---------------------------------------------------------------------- persistence
def test_persistent_views_and_exit_cost_lower_turnover():
    """Joins plus exits over the run, summed over seeds, fall when views persist, and fall
    again when leaving also costs (same worlds, same draws)."""
    def turnover(extra):
        return sum(int(log(run(extra, seed=s)).query("step > 0").change.isin(["join", "leave"]).sum()) for s in (1, 2, 3, 4))

    fresh = turnover([])
    persistent = turnover(["mechanisms.view_persistence=true"])
    costly = turnover(["mechanisms.view_persistence=true", "mechanisms.exit_cost=true", f"{D}.exit_cost=0.5"])
    assert persistent < fresh
    assert costly < persistent


def test_tenure_counts_unbroken_years_of_membership():
    m = run(["mechanisms.membership=false"], steps=12)
    c = 0
    founders = m.institutions[c].members
    assert (m.tenure[founders, c] == 12).all() and (m.tenure[~founders, c] == 0).all()


# ---------------------------------------------------------------------- commitments
def test_unreliable_allies_stay_out_and_trust_falls():
    """Reliability 0.5: some calls go unanswered, so members lose trust in Atlantic (and trust
    is below 1 somewhere); at full credibility (reliability 1, no trust losses) trust stays
    exactly 1.  Conflicts with outsiders are made frequent so that calls happen."""
    busy = ["dynamics.conflict.escalation=1", "dynamics.conflict.dispute_base=1", "mechanisms.membership=false"]
    low = [run(busy + ["mechanisms.commitments=true", f"{A}.reliability=0.5"], seed=s, steps=20) for s in (1, 2)]
    assert min(m.trust[:, 0].min() for m in low) < 1.0
    full = run(busy + ["mechanisms.commitments=true", f"{A}.reliability=1", f"{D}.abandonment_loss=0", f"{D}.entrapment_loss=0"], seed=1, steps=20)
    assert (full.trust == 1.0).all()


def test_allies_that_stay_out_bear_no_conflict_losses():
    """Reliability 0 (nobody answers) versus 1 with ally losses: allies that join lose
    capability, so the alliance's members end weaker than when nobody answers."""
    busy = ["dynamics.conflict.escalation=1", "dynamics.conflict.dispute_base=1", "mechanisms.membership=false",
            "mechanisms.commitments=true", f"{A}.ally_loss=0.5", "mechanisms.capability_growth=false"]
    never = run(busy + [f"{A}.reliability=0"], seed=1, steps=20)
    always = run(busy + [f"{A}.reliability=1"], seed=1, steps=20)
    members = never.institutions[0].members
    assert always.capability[members].sum() < never.capability[members].sum()


# ---------------------------------------------------------------------- growth trends
def test_a_state_with_a_higher_trend_gains_share():
    """Frozen members (same burdens), same shocks: with growth trends on, the state with a
    trend of +3 %/yr ends with exactly exp(0.03 t) times its share relative to the others."""
    states = [{"name": "Riser", "capability": 1.0, "regime": 0.5, "location": [2500, 2500], "growth_trend": 0.03}]
    world = {"generate": {"count": 30}, "states": states}
    on = run(["mechanisms.growth_trends=true", "mechanisms.membership=false"], world=world, steps=30)
    off = run(["mechanisms.membership=false"], world=world, steps=30)
    share = lambda m: m.capability[0] / m.capability.sum()  # noqa: E731
    assert share(on) > share(off)
    ratio = (on.capability[0] / on.capability[1:]) / (off.capability[0] / off.capability[1:])
    np.testing.assert_allclose(ratio, np.exp(0.03 * 30), rtol=1e-9)


def test_an_entering_state_brings_its_region_and_trend():
    ev = {"step": 3, "kind": "enter", "state": "New", "capability": 1.0, "regime": 0.5, "location": [100, 100],
          "region": "Europe", "growth_trend": 0.02}
    atl = {**ATLANTIC, "eligible_regions": ["Europe"]}
    m = run(["mechanisms.growth_trends=true"], steps=4, institutions={"Atlantic": atl}, events=[ev])
    i = m.index["New"]
    assert m.growth_trend[i] == 0.02 and (m.growth_trend[:i] == 0).all()
    assert m.eligible[i, 0] and not m.eligible[:i, 0].any()


# ---------------------------------------------------------------------- leaders
def test_a_stronger_member_succeeds_the_leader():
    """The named leader is the weakest founder; with succession (ratio 1) the strongest founder
    leads after the first review, and without it the named leader stays."""
    states = [{"name": n, "capability": c, "regime": 0.8, "location": [1000.0 * k, 0.0]} for k, (n, c) in enumerate([("Big", 5.0), ("Mid", 2.0), ("Small", 0.5)])]
    inst = {"Atlantic": {"kind": "hegemonic", "founders": ["Big", "Mid", "Small"], "leader": "Small"}}
    world = {"generate": {"count": 10}, "states": states}
    on = run(["mechanisms.leader_succession=true"], steps=1, institutions=inst, world=world)
    off = run([], steps=1, institutions=inst, world=world)
    assert on.names[on.institutions[0].leader] == "Big" and off.names[off.institutions[0].leader] == "Small"


def test_a_leader_that_values_nothing_leaves_and_the_strongest_member_leads():
    """leader_exit with no value of command and a heavy cost of protection: some leader leaves
    its alliance (a leave row for it), and the alliance is then led by a member."""
    extra = ["mechanisms.leader_exit=true", f"{D}.leadership_value=0", f"{D}.protection_cost=5", f"{D}.review_rate=1"]
    left = 0
    for seed in (1, 2, 3):
        m = AllianceModel(scenario(BOTH, steps=10, overrides=extra), seed=seed)
        atl = m.institutions[0]
        for _ in range(10):
            old = atl.leader
            m.step()
            if atl.alive and old is not None and not atl.members[old]:
                left += 1
                assert atl.leader is not None and atl.members[atl.leader]
    assert left > 0


def test_a_world_without_institutions_runs_with_every_history_switch_on():
    """No institution at all (the control): the per-institution state has no columns."""
    m = run([f"mechanisms.{s}=true" for s in ("accession_consent", "eligibility_regions", "view_persistence", "exit_cost",
                                                "commitments", "growth_trends", "leader_exit", "leader_succession")],
            institutions={}, steps=3)
    assert m.tenure.shape == (m.n, 0) and m.trust.shape == (m.n, 0)
