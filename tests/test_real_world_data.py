"""The real-world scenario (scenarios/world_2016.yaml) against the data it is built from.

The figures here are computed straight from the committed raw CSV files with code written
independently of scenarios/data/build_world.py: states are matched by their letter codes
(COW ``stateabb``, Polity ``scode``) where the build script matches numeric codes, and the
imputation rule for missing Polity scores is re-implemented from its written description
(README: "the median polity2 of the state's region, regions by COW code range").

Three groups of checks:
  (a) the build script is deterministic, and the committed outputs equal a fresh build;
  (b) the model's step-0 metrics equal the figures the data give;
  (c) world_2016.yaml validates and runs a few steps quickly.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "scenarios" / "data" / "raw"
BUILD = ROOT / "scenarios" / "data" / "build_world.py"
SCENARIO = ROOT / "scenarios" / "world_2016.yaml"
COMMITTED = {
    "scenario": SCENARIO,
    "states": ROOT / "scenarios" / "data" / "world_2016_states.csv",
    "distances": ROOT / "scenarios" / "data" / "world_2016_distances.csv",
}

# sha256 of the raw files as listed in shared/data/PROVENANCE.md
PROVENANCE_SHA256 = {
    "NMC-60-abridged.csv": "cd8465ea476da51d3e91261e216e96cfaf1fbf309dbe6bfc25a99bfb9fa7cfde",
    "p5v2018.csv": "bc58a058bab72bafd5046b9ad56c29f448ea6753dd24853464f8227eedd78172",
    "states2016.csv": "dbb5d20c4c410fac2a5f751633c8ab144afbb7f4853f15c4cfef26deb69afd00",
    "capdist.csv": "aa4c56943089034d76bec4fdad90267d06693afaa19eec19ebe5d56ce881dc42",
    "nato_sco_membership.csv": "4e39522d57914da4e4735b94d6fba342ff7ac963b26cd5cb3ef46007cd2ba20b",
    "warsaw_pact_membership.csv": "077ecee1ebd1633b153c9d0de03ea77514fd5c6a134a08eb108ceaaae5a8bdfc",
}

# COW stateabb -> Polity5 scode where the letters differ (for states of the 2016 system).
POLITY_SCODE = {"ROM": "RUM", "MNG": "MNT", "YUG": "SER", "ETH": "ETI", "SUD": "SDN", "SSD": "SSU",
                "DRV": "VIE", "CDI": "IVO", "DRC": "ZAI", "FIJ": "FJI"}
# COW regions by code range (Oceania split from Asia at 900).
REGION_BOUNDS = [(2, 165), (200, 399), (400, 626), (630, 698), (700, 899), (900, 999)]

REL = 1e-9


def build(tmp: Path, *extra: str) -> Path:
    """Run the build script into ``tmp`` (scenario at tmp/scenarios/<name>, tables at tmp/scenarios/data)."""
    out = tmp / "scenarios"
    args = list(extra)
    if "--out-scenario" not in args:
        args += ["--out-scenario", str(out / "world_2016.yaml")]
    subprocess.run([sys.executable, str(BUILD), "--out-data", str(out / "data"), *args],
                   check=True, capture_output=True, text=True, cwd=ROOT)
    return out


# ---------------------------------------------------------------------------------------
# Independent figures from the raw files
# ---------------------------------------------------------------------------------------


def states_2016() -> pd.DataFrame:
    s = pd.read_csv(RAW / "states2016.csv", usecols=["stateabb", "ccode", "endyear"])
    return s[s.endyear == 2016].drop(columns="endyear").reset_index(drop=True)


def capabilities(names) -> pd.Series:
    n = pd.read_csv(RAW / "NMC-60-abridged.csv", usecols=["stateabb", "year", "cinc"])
    n = n[n.year == 2016].set_index("stateabb").cinc
    return n.reindex(list(names))


def regimes() -> pd.Series:
    """Rescaled polity2 for every 2016 state; missing scores: median polity2 of the region."""
    s = states_2016()
    p = pd.read_csv(RAW / "p5v2018.csv", usecols=["scode", "year", "polity2"])
    p = p[p.year == 2016]
    assert not p.scode.duplicated().any()
    p = p.set_index("scode").polity2
    s["scode"] = [POLITY_SCODE.get(a, a) for a in s.stateabb]
    s["polity2"] = p.reindex(s.scode).to_numpy()
    s["region"] = [next(k for k, (lo, hi) in enumerate(REGION_BOUNDS) if lo <= c <= hi) for c in s.ccode]
    median = s.dropna(subset=["polity2"]).groupby("region").polity2.median()
    filled = s.polity2.fillna(s.region.map(median))
    return pd.Series(((filled + 10) / 20).to_numpy(), index=s.stateabb)


def members(org: str, year: int) -> list[str]:
    m = pd.read_csv(RAW / "nato_sco_membership.csv")
    m = m[(m.org == org) & (m.join_year <= year)]
    names = [{"GFR": "GMY"}.get(a, a) for a in m.stateabb]  # West Germany's seat is unified Germany's
    system = set(states_2016().stateabb)
    return [n for n in names if n in system]


def hhi(p) -> float:
    s = np.asarray(p, dtype=float) / np.sum(p)
    return float((s**2).sum())


def expected_figures(membership_year: int = 2024) -> dict[tuple[str, str], float]:
    names = list(states_2016().stateabb)
    cap = capabilities(names)
    reg = regimes()
    n = len(names)
    world_hhi = hhi(cap)
    out = {("world", "hhi"): world_hhi,
           ("world", "concentration"): math.sqrt((world_hhi - 1 / n) / (1 - 1 / n))}
    for org in ("NATO", "SCO"):
        mem = members(org, membership_year)
        p = cap[mem]
        out[(org, "size")] = float(len(mem))
        out[(org, "hhi")] = hhi(p)
        out[(org, "regime_mean")] = float(reg[mem].mean())
        out[(org, "regime_heterogeneity")] = float(reg[mem].std(ddof=0))
        leader = "USA" if org == "NATO" else p.idxmax()  # dialogue platforms: the largest member
        out[(org, "leader_share")] = float(p[leader] / p.sum())
    return out


# ---------------------------------------------------------------------------------------
# The data themselves
# ---------------------------------------------------------------------------------------


def test_raw_files_are_the_documented_ones():
    for name, digest in PROVENANCE_SHA256.items():
        assert hashlib.sha256((RAW / name).read_bytes()).hexdigest() == digest, name


def test_state_system_2016_counts():
    s = states_2016()
    assert len(s) == 195 and s.stateabb.is_unique and s.ccode.is_unique
    assert capabilities(s.stateabb).notna().all()
    assert len(members("NATO", 2024)) == 32 and len(members("SCO", 2024)) == 10
    assert len(members("NATO", 2001)) == 19 and members("SCO", 2001) == ["CHN", "RUS", "KZK", "KYR", "TAJ", "UZB"]


def test_committed_scenario_lists_the_data():
    doc = yaml.safe_load(SCENARIO.read_text())
    states = pd.DataFrame(doc["world"]["states"]).set_index("name")
    names = list(states_2016().stateabb)
    assert sorted(states.index) == sorted(names)
    np.testing.assert_array_equal(states.capability[names].to_numpy(), capabilities(names).to_numpy())
    np.testing.assert_allclose(states.regime[names].to_numpy(), regimes()[names].to_numpy(), rtol=0, atol=1e-12)
    for col in ("sovereignty", "governance"):
        assert states[col].between(0, 1).all()
    assert doc["institutions"]["NATO"]["kind"] == "hegemonic" and doc["institutions"]["NATO"]["leader"] == "USA"
    assert doc["institutions"]["SCO"]["kind"] == "dialogue"
    assert doc["institutions"]["NATO"]["founders"] == members("NATO", 2024)
    assert doc["institutions"]["SCO"]["founders"] == members("SCO", 2024)
    assert {"a": "IND", "b": "PAK", "intensity": 1.0} in doc["rivalries"]
    assert doc["steps"] == 50 and isinstance(doc["seed"], int)
    assert (SCENARIO.parent / doc["world"]["distance_file"]).resolve() == COMMITTED["distances"].resolve()


def test_state_table_flags_every_imputation():
    t = pd.read_csv(COMMITTED["states"])
    imputed = ~t.polity_flag.str.startswith("observed")
    assert imputed.sum() == 29  # 28 states without a Polity row (microstates) + Bosnia (polity -66)
    assert t.loc[imputed, "polity2"].isna().all() and t.loc[~imputed, "polity2"].notna().all()
    assert set(t.loc[t.polity_code == -66, "name"]) == {"BOS"}
    assert (t.durable_flag != "observed").sum() == 29  # 28 system tenure + USA carried forward


def test_distances_cover_every_pair_and_follow_capdist():
    d = pd.read_csv(COMMITTED["distances"])
    names = sorted(states_2016().stateabb)
    n = len(names)
    assert len(d) == n * (n - 1) // 2 and (d.a < d.b).all() and not d.duplicated(["a", "b"]).any()
    assert set(d.a) | set(d.b) == set(names) and (d.km >= 0).all()
    c = pd.read_csv(RAW / "capdist.csv").drop_duplicates(["numa", "numb"])
    code = dict(zip(states_2016().stateabb, states_2016().ccode))
    km = {(a, b): k for a, b, k in zip(c.numa, c.numb, c.kmdist)}
    absent = {x for x in names if code[x] not in set(c.numa)}
    assert absent == {"KOS", "SSD", "KIR", "TUV", "TON", "NAU"}
    both = d[~d.a.isin(absent) & ~d.b.isin(absent)]
    assert [km[(code[a], code[b])] for a, b in zip(both.a, both.b)] == both.km.tolist()
    assert len(d) - len(both) == 1149
    # imputed values: a state absent from capdist takes its nearest neighbour's distances, so the
    # error is at most the distance to that neighbour; check a few against great-circle figures
    for a, b, ref in [("KOS", "MAC", 77), ("SSD", "UGA", 514), ("KOS", "USA", 7600), ("NAU", "MSI", 983)]:
        x, y = sorted((a, b))
        got = d[(d.a == x) & (d.b == y)].km.item()
        assert abs(got - ref) <= 0.2 * ref, (a, b, got)


# ---------------------------------------------------------------------------------------
# (a) determinism
# ---------------------------------------------------------------------------------------


def test_build_is_deterministic_and_committed_outputs_are_fresh(tmp_path):
    one, two = build(tmp_path / "one"), build(tmp_path / "two")
    for key, committed in COMMITTED.items():
        rel = committed.relative_to(ROOT / "scenarios")
        first, second = (one / rel).read_bytes(), (two / rel).read_bytes()
        assert first == second, f"{rel}: two builds differ"
        assert committed.read_bytes() == first, f"{rel}: committed file differs from a fresh build; rerun build_world.py"


# ---------------------------------------------------------------------------------------
# (b) the model's step-0 metrics equal the data
# ---------------------------------------------------------------------------------------


def step0(path: Path) -> dict[tuple[str, str], float]:
    from simulation.runner import run_scenario
    from simulation.scenario_io import load_scenario

    df = run_scenario(load_scenario(str(path)), steps=0)
    df = df[df.step == 0]
    return {(s, m): float(v) for s, m, v in zip(df.scope, df.metric, df.value)}


def test_model_step0_metrics_equal_the_data():
    got = step0(SCENARIO)
    for key, want in expected_figures(2024).items():
        assert key in got, f"model reports no {key}"
        assert got[key] == pytest.approx(want, rel=REL, abs=1e-12), key


def test_membership_year_2001_variant(tmp_path):
    out = build(tmp_path, "--membership-year", "2001", "--out-scenario", str(tmp_path / "scenarios" / "world_2001.yaml"))
    got = step0(out / "world_2001.yaml")
    assert got[("NATO", "size")] == 19 and got[("SCO", "size")] == 6
    for key, want in expected_figures(2001).items():
        assert got[key] == pytest.approx(want, rel=REL, abs=1e-12), key


# ---------------------------------------------------------------------------------------
# (c) the scenario validates and runs
# ---------------------------------------------------------------------------------------


def test_world_2016_validates_and_runs_a_few_steps():
    from simulation.runner import run_scenario
    from simulation.scenario_io import load_scenario

    start = time.perf_counter()
    scenario = load_scenario(str(SCENARIO))
    assert len(scenario.world.states) == 195 and set(scenario.institutions) == {"NATO", "SCO"}
    df = run_scenario(scenario, steps=3)
    elapsed = time.perf_counter() - start
    assert list(df.columns) == ["step", "metric", "scope", "value"]
    assert sorted(df.step.unique()) == [0, 1, 2, 3]
    assert elapsed < 30, f"3 steps of the 2016 world took {elapsed:.1f} s"


# ---------------------------------------------------------------------------------------
# (d) the rule-swap experiment plans the four variants of this world
# ---------------------------------------------------------------------------------------

RULE_SWAP = ROOT / "experiments" / "rule_swap.yaml"
#: label -> (NATO kind, NATO leader, SCO kind, SCO leader)
VARIANTS = {
    "as_is": ("hegemonic", "USA", "dialogue", None),
    "both_hegemonic": ("hegemonic", "USA", "hegemonic", "CHN"),
    "both_dialogue": ("dialogue", None, "dialogue", None),
    "swapped": ("dialogue", None, "hegemonic", "CHN"),
}


def test_rule_swap_experiment_plans_four_variants_of_world_2016():
    from simulation.experiments.plan import build_plan
    from simulation.experiments.schema import load_experiment

    source = load_experiment(RULE_SWAP)
    exp = source.experiment
    assert exp.labels == list(VARIANTS) and exp.baseline == "as_is"
    assert all(source.scenario_path(i) == SCENARIO.resolve() for i in range(len(exp.scenarios)))
    assert exp.steps == 50 and exp.summary.window == 50 and "Notes" not in exp.notes and "calibrat" in exp.notes
    plan = build_plan(source)
    assert plan.labels == list(VARIANTS)
    assert len(plan.runs) == 4 * exp.replications
    # common random numbers: replication k has one seed in every variant
    seeds = {}
    for run in plan.runs:
        seeds.setdefault(run.replication, set()).add(run.seed)
    assert all(len(s) == 1 for s in seeds.values())
    docs = {label: yaml.safe_load(text) for label, text in plan.scenario_texts.items()}
    for label, (nato_kind, nato_leader, sco_kind, sco_leader) in VARIANTS.items():
        inst = docs[label]["institutions"]
        assert (inst["NATO"]["kind"], inst["NATO"]["leader"], inst["SCO"]["kind"], inst["SCO"]["leader"]) == \
            (nato_kind, nato_leader, sco_kind, sco_leader), label
        assert inst["NATO"]["founders"] == members("NATO", 2024) and inst["SCO"]["founders"] == members("SCO", 2024)
        # everything but the two institutions is the same world
        rest = {k: v for k, v in docs[label].items() if k != "institutions"}
        assert rest == {k: v for k, v in docs["as_is"].items() if k != "institutions"}, label
    assert len(docs["as_is"]["world"]["states"]) == 195 and docs["as_is"]["steps"] == 50
