"""Historical worlds (scenarios/world_<Y>_<E>.yaml), the static worlds of other years and the
observed membership record, checked against the raw files.

The reference figures are computed here with code written independently of
scenarios/data/build_world.py and its modules (nothing is imported from them):
  - the state system on 31 Dec: spells compared as calendar dates (pandas Timestamps);
  - capabilities: NMC matched by COW letter code (the script matches numeric codes);
  - regimes: Polity5 matched by *letter* code, with a year-ranged letter alias table written from
    Polity's own series (the script uses a numeric crosswalk checked by country name), missing
    scores filled with the region median of the year;
  - members: the membership files read directly (member on 31 Dec y: join_year <= y < leave_year);
    a seat of a state no longer in the system is shown under its successor (GFR -> GMY).
Events are replayed here with the successor rule of docs/history.md, independently of the
build script's own replay.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "scenarios" / "data" / "raw"
DATA = ROOT / "scenarios" / "data"
BUILD = ROOT / "scenarios" / "data" / "build_world.py"
RECORD = DATA / "observed_memberships.csv"
HINDCASTS = {(1949, 1990): "world_1949_1990", (1991, 2024): "world_1991_2024", (2001, 2024): "world_2001_2024"}
SCO_FOUNDERS = ["CHN", "RUS", "KZK", "KYR", "TAJ", "UZB"]
WARSAW_SHA256 = "077ecee1ebd1633b153c9d0de03ea77514fd5c6a134a08eb108ceaaae5a8bdfc"  # shared/data/PROVENANCE.md

# COW stateabb -> Polity scode, by year (first year, last year, scode); everything else: same letters.
POLITY_LETTERS = {
    "ROM": [(0, 9999, "RUM")], "CDI": [(0, 9999, "IVO")], "DRC": [(0, 9999, "ZAI")], "FIJ": [(0, 9999, "FJI")],
    "MNG": [(2006, 9999, "MNT")], "SSD": [(2011, 9999, "SSU")],
    "YUG": [(0, 1990, "YUG"), (1991, 2005, "YGS"), (2006, 9999, "SER")],
    "RUS": [(0, 1991, "USR"), (1992, 9999, "RUS")],
    "ETH": [(0, 1992, "ETH"), (1993, 9999, "ETI")],
    "SUD": [(0, 2010, "SUD"), (2011, 9999, "SDN")],
    "PAK": [(0, 1971, "PKS"), (1972, 9999, "PAK")],
    "DRV": [(0, 1975, "DRV"), (1976, 9999, "VIE")],
}
REGION_BOUNDS = [(2, 165), (200, 399), (400, 626), (630, 698), (700, 899), (900, 999)]
INSTITUTION_KIND = {"NATO": "hegemonic", "WTO": "hegemonic", "SCO": "dialogue"}


# ---------------------------------------------------------------------------------------
# Independent figures from the raw files
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _state_list() -> pd.DataFrame:
    s = pd.read_csv(RAW / "states2016.csv", usecols=["stateabb", "ccode", "styear", "stmonth", "stday",
                                                       "endyear", "endmonth", "endday"])
    s["start"] = pd.to_datetime(dict(year=s.styear, month=s.stmonth, day=s.stday))
    s["end"] = pd.to_datetime(dict(year=s.endyear, month=s.endmonth, day=s.endday))
    return s


def state_list() -> pd.DataFrame:
    return _state_list().copy()


@lru_cache(maxsize=None)
def _read(name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.read_csv(RAW / name, usecols=list(columns))


@lru_cache(maxsize=None)
def _states_on(year: int) -> pd.DataFrame:
    """stateabb, ccode of the states in the system on 31 Dec ``year`` (the 2016 list after 2016), by ccode."""
    s = state_list()
    day = pd.Timestamp(min(year, 2016), 12, 31)
    cur = s[(s.start <= day) & (s.end >= day)][["stateabb", "ccode"]]
    assert cur.stateabb.is_unique
    return cur.sort_values("ccode").reset_index(drop=True)


def states_on(year: int) -> pd.DataFrame:
    return _states_on(year).copy()


@lru_cache(maxsize=None)
def cinc(year: int) -> pd.Series:
    n = _read("NMC-60-abridged.csv", ("stateabb", "year", "cinc"))
    n = n[n.year == min(year, 2016)].set_index("stateabb").cinc
    return n.reindex(states_on(year).stateabb)


@lru_cache(maxsize=None)
def regime(year: int) -> pd.Series:
    """(polity2 + 10) / 20 by letter code; a missing score: the region median of the year."""
    s = states_on(year)
    py = min(year, 2018)
    p = _read("p5v2018.csv", ("scode", "year", "polity2"))
    p = p[p.year == py]
    assert p.scode.is_unique
    p = p.set_index("scode").polity2

    def letters(abb: str) -> str:
        return next((sc for lo, hi, sc in POLITY_LETTERS.get(abb, []) if lo <= py <= hi), abb)

    s["polity2"] = p.reindex([letters(a) for a in s.stateabb]).to_numpy()
    s["region"] = [next(k for k, (lo, hi) in enumerate(REGION_BOUNDS) if lo <= c <= hi) for c in s.ccode]
    median = s.dropna(subset=["polity2"]).groupby("region").polity2.median()
    filled = s.polity2.fillna(s.region.map(median))
    return pd.Series(((filled + 10) / 20).to_numpy(), index=s.stateabb)


def memberships() -> pd.DataFrame:
    ns = pd.read_csv(RAW / "nato_sco_membership.csv")
    wp = pd.read_csv(RAW / "warsaw_pact_membership.csv")
    m = pd.concat([ns, wp], ignore_index=True)
    m["leave_year"] = m.leave_year.fillna(10**6)
    return m


def members(org: str, year: int) -> list[str]:
    """Members of ``org`` on 31 Dec ``year``, in file order; GFR's seat is Germany's once GFR is gone."""
    if org == "WTO" and not 1955 <= year <= 1990:
        return []
    m = memberships()
    m = m[(m.org == org) & (m.join_year <= year) & (year < m.leave_year)]
    system = set(states_on(year).stateabb)
    out = []
    for a in m.stateabb:
        a = a if a in system else {"GFR": "GMY"}[a]
        assert a in system
        out.append(a)
    return out


def hhi(p) -> float:
    s = np.asarray(p, dtype=float) / np.sum(p)
    return float((s**2).sum())


def world_figures(year: int) -> dict[str, float]:
    cap = cinc(year)
    n = len(cap)
    h = hhi(cap)
    return {"n": n, "hhi": h, "concentration": math.sqrt((h - 1 / n) / (1 - 1 / n))}


def build(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BUILD), "--out-data", str(tmp / "data"), *args],
                          capture_output=True, text=True, cwd=ROOT)


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())


# ---------------------------------------------------------------------------------------
# The raw file and the record
# ---------------------------------------------------------------------------------------


def test_warsaw_pact_file_is_the_documented_one():
    assert hashlib.sha256((RAW / "warsaw_pact_membership.csv").read_bytes()).hexdigest() == WARSAW_SHA256


def test_observed_record_matches_the_raw_files():
    rec = pd.read_csv(RECORD)
    assert list(rec.columns) == ["institution", "year", "state", "ccode"]
    spans = {"NATO": range(1949, 2025), "WTO": range(1955, 1991), "SCO": range(2001, 2025)}
    assert set(rec.institution) == set(spans)
    code = dict(zip(state_list().stateabb, state_list().ccode))
    for org, years in spans.items():
        r = rec[rec.institution == org]
        assert sorted(r.year.unique()) == list(years), org
        for y in years:
            got = r[r.year == y]
            assert sorted(got.state) == sorted(members(org, y)), (org, y)
            assert [code[a] for a in got.state] == got.ccode.tolist()
    size = rec.groupby(["institution", "year"]).size()
    assert size["NATO"][2024] == 32 and size["SCO"][2024] == 10 and size["NATO"][1949] == 12
    assert "BLR" in set(rec[(rec.institution == "SCO") & (rec.year == 2024)].state)
    assert size["WTO"][1955] == 8 and size["WTO"][1967] == 8 and size["WTO"][1968] == 7 and size["WTO"][1990] == 6
    assert not ((rec.institution == "WTO") & (rec.year >= 1991)).any()
    nato = rec[rec.institution == "NATO"]
    assert "GFR" in set(nato[nato.year == 1989].state) and "GMY" not in set(nato[nato.year == 1989].state)
    assert "GMY" in set(nato[nato.year == 1990].state) and "GFR" not in set(nato[nato.year == 1990].state)
    assert sorted(rec[(rec.institution == "SCO") & (rec.year == 2001)].state) == sorted(SCO_FOUNDERS)


# ---------------------------------------------------------------------------------------
# Static worlds of 1955, 1991 and 2001: the model's step 0 against the data
# ---------------------------------------------------------------------------------------


def step0(path: Path) -> dict[tuple[str, str], float]:
    from simulation.runner import run_scenario
    from simulation.scenario_io import load_scenario

    df = run_scenario(load_scenario(str(path)), steps=0)
    df = df[df.step == 0]
    return {(s, m): float(v) for s, m, v in zip(df.scope, df.metric, df.value)}


@pytest.mark.parametrize("year, sizes", [(1955, {"NATO": 15, "WTO": 8}), (1991, {"NATO": 16}),
                                         (2001, {"NATO": 19, "SCO": 6})])
def test_static_world_step0_equals_the_data(tmp_path, year, sizes):
    out = tmp_path / f"world_{year}.yaml"
    res = build(tmp_path, "--year", str(year), "--out-scenario", str(out))
    assert res.returncode == 0, res.stderr
    doc = yaml.safe_load(out.read_text())
    assert "history" not in doc and "events" not in doc
    states = pd.DataFrame(doc["world"]["states"]).set_index("name")
    names = list(states_on(year).stateabb)
    assert list(states.index) == names
    np.testing.assert_array_equal(states.capability.to_numpy(), cinc(year).to_numpy())
    np.testing.assert_allclose(states.regime.to_numpy(), regime(year)[names].to_numpy(), rtol=0, atol=1e-12)
    assert {k: len(v["founders"]) for k, v in doc["institutions"].items()} == sizes
    for org, spec in doc["institutions"].items():
        assert spec["founders"] == members(org, year) and spec["kind"] == INSTITUTION_KIND[org]
    got = step0(out)
    want = world_figures(year)
    assert got[("world", "hhi")] == pytest.approx(want["hhi"], rel=1e-9)
    assert got[("world", "concentration")] == pytest.approx(want["concentration"], rel=1e-9)
    cap = cinc(year)
    for org, n in sizes.items():
        assert got[(org, "size")] == n
        assert got[(org, "hhi")] == pytest.approx(hhi(cap[members(org, year)]), rel=1e-9)


# ---------------------------------------------------------------------------------------
# The committed hindcast worlds
# ---------------------------------------------------------------------------------------


def test_committed_hindcast_worlds_are_fresh_builds(tmp_path):
    for (first, end), name in HINDCASTS.items():
        res = build(tmp_path, "--year", str(first), "--end-year", str(end),
                    "--out-scenario", str(tmp_path / f"{name}.yaml"))
        assert res.returncode == 0, res.stderr
        assert (tmp_path / f"{name}.yaml").read_bytes() == (ROOT / "scenarios" / f"{name}.yaml").read_bytes(), name
        for table in ("states", "distances", "forcing"):
            f = f"{name}_{table}.csv"
            assert (tmp_path / "data" / f).read_bytes() == (DATA / f).read_bytes(), f
    assert (tmp_path / "data" / RECORD.name).read_bytes() == RECORD.read_bytes()


@pytest.mark.parametrize("span", list(HINDCASTS))
def test_hindcast_step0_equals_the_data(span):
    first, end = span
    doc = load(HINDCASTS[span])
    start = first - 1  # step 0 is the world on 31 Dec of the year before the first simulated year
    assert doc["history"]["start_year"] == start and doc["history"]["mode"] == "free"
    assert doc["steps"] == end - start
    states = pd.DataFrame(doc["world"]["states"]).set_index("name")
    names = list(states_on(start).stateabb)
    assert list(states.index) == names
    np.testing.assert_array_equal(states.capability.to_numpy(), cinc(start).to_numpy())
    np.testing.assert_allclose(states.regime.to_numpy(), regime(start)[names].to_numpy(), rtol=0, atol=1e-12)
    want = world_figures(start)
    assert hhi(states.capability) == pytest.approx(want["hhi"], rel=1e-12)
    founded_later = {e["institution"] for e in doc["events"] if e["kind"] == "found"}
    for org, spec in doc["institutions"].items():
        assert spec["kind"] == INSTITUTION_KIND[org]
        if org not in founded_later:
            assert spec["founders"] == members(org, start), org
    at0 = {org: len(s["founders"]) for org, s in doc["institutions"].items() if org not in founded_later}
    assert at0 == {(1949, 1990): {}, (1991, 2024): {"NATO": 16, "WTO": 6}, (2001, 2024): {"NATO": 19}}[span]
    for d in (doc["world"]["distance_file"], doc["history"]["forcing_file"]):
        assert (ROOT / "scenarios" / d).is_file()


def events_of(doc: dict, kind: str) -> list[dict]:
    return [e for e in doc["events"] if e["kind"] == kind]


def test_postwar_events_dissolve_the_wto_in_1991_and_found_the_sco_in_2001():
    doc = load("world_1991_2024")
    start = doc["history"]["start_year"]
    dissolve = events_of(doc, "dissolve")
    assert [(e["institution"], start + e["step"]) for e in dissolve] == [("WTO", 1991)]
    found = events_of(doc, "found")
    assert [(e["institution"], start + e["step"]) for e in found] == [("SCO", 2001)]
    assert doc["institutions"]["SCO"]["founders"] == SCO_FOUNDERS
    assert doc["institutions"]["WTO"]["leader"] == "RUS" and doc["institutions"]["NATO"]["leader"] == "USA"
    assert all(e.get("source") for e in doc["events"])
    # every recorded accession of the period, in its year, and nothing else
    m = memberships()
    want = sorted((o, {"GFR": "GMY"}.get(a, a), int(y)) for o, a, y in zip(m.org, m.stateabb, m.join_year)
                  if 1991 <= y <= 2024 and not (o == "SCO" and y == 2001))
    joins = events_of(doc, "join")
    assert all(e["record"] is True for e in joins)
    assert sorted((e["institution"], e["state"], start + e["step"]) for e in joins) == want
    assert events_of(doc, "leave") == []


def test_event_order_within_a_step():
    rank = {"enter": 0, "exit": 1, "found": 2, "dissolve": 3, "join": 4, "leave": 4, "rivalry": 5}
    for name in HINDCASTS.values():
        keys = [(e["step"], rank[e["kind"]]) for e in load(name)["events"]]
        assert keys == sorted(keys) and keys[0][0] >= 1, name


@pytest.mark.parametrize("span", list(HINDCASTS))
def test_entries_and_exits_follow_the_state_list(span):
    first, end = span
    doc = load(HINDCASTS[span])
    start = doc["history"]["start_year"]
    enters = {(start + e["step"], e["state"]): e for e in events_of(doc, "enter")}
    exits = {(start + e["step"], e["state"]) for e in events_of(doc, "exit")}
    want_in, want_out = set(), set()
    for y in range(first, end + 1):
        before, now = set(states_on(y - 1).stateabb), set(states_on(y).stateabb)
        want_in |= {(y, a) for a in now - before}
        want_out |= {(y, a) for a in before - now}
    assert set(enters) == want_in and exits == want_out
    for (y, a), e in enters.items():  # each entering state carries exactly its data of that year
        assert e["capability"] == cinc(y)[a], (y, a)
        assert e["regime"] == pytest.approx(regime(y)[a], abs=1e-12), (y, a)
        assert 0 <= e["sovereignty"] <= 1 and 0 <= e["governance"] <= 1


def replay(doc: dict, mode_imposed: bool = True) -> dict[int, dict[str, set[str]]]:
    """Members of each institution at the end of each year when the events apply (docs/history.md:
    a leaving state's memberships pass to each successor in order unless that would put it in a
    second hegemonic alliance)."""
    start = doc["history"]["start_year"]
    spec = doc["institutions"]
    later = {e["institution"] for e in events_of(doc, "found")}
    mem = {k: set(v["founders"]) for k, v in spec.items() if k not in later}
    active = {s["name"] for s in doc["world"]["states"]}
    out = {start: {k: set(v) for k, v in mem.items()}}
    by_step: dict[int, list[dict]] = {}
    for e in doc["events"]:
        by_step.setdefault(e["step"], []).append(e)
    for step in range(1, doc["steps"] + 1):
        for e in by_step.get(step, []):
            k = e["kind"]
            if k == "enter":
                assert e["state"] not in active
                active.add(e["state"])
            elif k == "exit":
                assert e["state"] in active and set(e["successors"]) <= active
                for org in mem:
                    if e["state"] in mem[org]:
                        mem[org].discard(e["state"])
                        for s in e["successors"]:
                            other = any(s in mem[o] for o in mem if o != org and spec[o]["kind"] == "hegemonic")
                            if not (spec[org]["kind"] == "hegemonic" and other):
                                mem[org].add(s)
                active.discard(e["state"])
            elif k == "found":
                assert set(spec[e["institution"]]["founders"]) <= active
                mem[e["institution"]] = set(spec[e["institution"]]["founders"])
            elif k == "dissolve":
                del mem[e["institution"]]
            elif k in ("join", "leave") and (mode_imposed or not e.get("record")):
                assert e["state"] in active
                (mem[e["institution"]].add if k == "join" else mem[e["institution"]].discard)(e["state"])
        out[start + step] = {k: set(v) for k, v in mem.items()}
    return out


@pytest.mark.parametrize("span", list(HINDCASTS))
def test_events_replayed_give_the_record_every_year(span):
    doc = load(HINDCASTS[span])
    for year, mem in replay(doc).items():
        want = {org: set(members(org, year)) for org in doc["institutions"]}
        want = {org: v for org, v in want.items() if v}
        assert {org: v for org, v in mem.items() if v} == want, year


def test_successor_rules():
    cold = load("world_1949_1990")
    start = cold["history"]["start_year"]
    ex = {e["state"]: (start + e["step"], e["successors"]) for e in events_of(cold, "exit")}
    assert ex["GFR"] == (1990, ["GMY"]) and ex["GDR"] == (1990, ["GMY"])
    assert (1990, "GMY") in {(start + e["step"], e["state"]) for e in events_of(cold, "enter")}
    # the GDR's WTO seat ended before unification: no leave event after its exit, and Germany,
    # holding NATO through GFR, cannot take a second hegemonic seat
    assert [(e["state"], start + e["step"]) for e in events_of(cold, "leave")] == [("ALB", 1968)]
    end = replay(cold)[1990]
    assert "GMY" in end["NATO"] and "GFR" not in end["NATO"] and "GMY" not in end["WTO"] and "GDR" not in end["WTO"]
    assert ("GFR", 1955) in {(e["state"], start + e["step"]) for e in events_of(cold, "join")}
    post = load("world_1991_2024")
    start = post["history"]["start_year"]
    assert [(e["state"], start + e["step"], e["successors"]) for e in events_of(post, "exit")] == \
        [("CZE", 1993, ["CZR", "SLO"])]
    # free mode: recorded accessions are not applied, founding and dissolution are
    free = replay(post, mode_imposed=False)
    assert free[2024]["NATO"] == set(members("NATO", 1990)) and free[2024]["SCO"] == set(SCO_FOUNDERS)
    assert "WTO" not in free[1991]


@pytest.mark.parametrize("span", list(HINDCASTS))
def test_forcing_file_and_distances(span):
    first, end = span
    name = HINDCASTS[span]
    f = pd.read_csv(DATA / f"{name}_forcing.csv")
    assert list(f.columns) == ["year", "state", "capability", "regime", "flag"]
    assert sorted(f.year.unique()) == list(range(first, end + 1))
    for y in sorted({first, end, min(end, 2016), min(end, 2018)}):
        got = f[f.year == y].set_index("state")
        assert list(got.index) == list(states_on(y).stateabb), y
        np.testing.assert_array_equal(got.capability.to_numpy(), cinc(y).to_numpy())
        np.testing.assert_allclose(got.regime.to_numpy(), regime(y).to_numpy(), rtol=0, atol=1e-12)
    late = f[f.year > 2016]
    assert late.flag.str.contains("cinc_from_2016").all() and not f[f.year <= 2016].flag.str.contains("cinc_from").any()
    assert f[f.year > 2018].flag.str.contains("polity_from_2018").all()
    # distances: every pair among the states ever present from the start year to the end
    ever = sorted(set().union(*(set(states_on(y).stateabb) for y in range(first - 1, end + 1))))
    d = pd.read_csv(DATA / f"{name}_distances.csv")
    assert len(d) == len(ever) * (len(ever) - 1) // 2 and (d.a < d.b).all()
    assert set(d.a) | set(d.b) == set(ever)
    c = pd.read_csv(RAW / "capdist.csv").drop_duplicates(["numa", "numb"])
    code = dict(zip(state_list().stateabb, state_list().ccode))
    km = {(a, b): k for a, b, k in zip(c.numa, c.numb, c.kmdist)}
    both = d[d.a.map(code).isin(c.numa) & d.b.map(code).isin(c.numa)]
    assert [km[(code[a], code[b])] for a, b in zip(both.a, both.b)] == both.km.tolist()


# ---------------------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (["--year", "1945"], "--year must be in 1946-2016"),
    (["--year", "2000", "--end-year", "2025"], "--end-year must be in 2000-2024"),
    (["--year", "2000", "--end-year", "1999"], "--end-year must be in 2000-2024"),
    (["--year", "1991", "--end-year", "2024", "--membership-year", "2001"], "--membership-year is for static worlds"),
    (["--year", "1991", "--mode", "forced"], "--mode is for historical worlds"),
])
def test_bad_arguments_exit_2_with_one_message(tmp_path, args, words):
    res = build(tmp_path, *args, "--out-scenario", str(tmp_path / "w.yaml"))
    assert res.returncode == 2
    assert res.stderr.startswith("build_world: error:") and words in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "w.yaml").exists()
