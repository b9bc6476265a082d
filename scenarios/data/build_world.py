#!/usr/bin/env python3
"""Build a real-world scenario (the state system of one year, NATO, the WTO and the SCO) from raw data.

Two kinds of world:
  static      ``--year Y`` (default 2016): the system on 31 Dec Y, no calendar, no events;
  historical  ``--year Y --end-year E`` (E > Y): step 0 is the system on 31 Dec Y-1 (the world
              as the year Y begins), steps 1 .. E-Y+1 are the calendar years Y .. E, and every
              change in between is a scheduled event with its source row (docs/history.md).

Inputs (``--raw``, default ``scenarios/data/raw``; checked against their sha256):
  states2016.csv              COW State System Membership v2016: who is a state at the end of a year
  NMC-60-abridged.csv         COW National Material Capabilities v6.0: CINC -> capability
  p5v2018.csv                 Polity5: polity2 -> regime; durable -> governance
  capdist.csv                 Gleditsch capital distances -> the distance table
  nato_sco_membership.csv     NATO and SCO members with accession years (hand-compiled)
  warsaw_pact_membership.csv  WTO members with accession and leaving dates (hand-compiled)
and ``scenarios/data/rivalries.csv`` (hand-compiled, sourced list of rivalries).

Outputs (same bytes on every run; nothing depends on time, locale or dictionary order):
  static:      <out-data>/world_<Y>_states.csv, world_<Y>_distances.csv, scenarios/world_<Y>.yaml
  historical:  <out-data>/world_<Y>_<E>_states.csv (step 0 and every entering state),
               world_<Y>_<E>_distances.csv, world_<Y>_<E>_forcing.csv, scenarios/world_<Y>_<E>.yaml
  always:      <out-data>/observed_memberships.csv (the institutions' members by year)
  calibrated:  <out-data>/<scenario stem>_calibrated.yaml, the calibrated default the world includes
               (not with --no-calibrated; docs/calibration.md, "The calibrated default of the real worlds")

Every rule below is documented, with counts, in scenarios/data/README.md, docs/real-world.md
and docs/history.md.

    python scenarios/data/build_world.py                                   # world_2016.yaml
    python scenarios/data/build_world.py --membership-year 2001 --out-scenario scenarios/world_2001.yaml
    python scenarios/data/build_world.py --year 1991 --end-year 2024       # world_1991_2024.yaml
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # the project root, for simulation.*
import crosswalk  # noqa: E402
import events as ev  # noqa: E402
from simulation import regions  # noqa: E402
from simulation.mechanisms import capability_trends  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent
SCENARIO_DIR = DATA_DIR.parent

# sha256 of the raw files, as listed in shared/data/PROVENANCE.md.
RAW_SHA256 = {
    "NMC-60-abridged.csv": "cd8465ea476da51d3e91261e216e96cfaf1fbf309dbe6bfc25a99bfb9fa7cfde",
    "p5v2018.csv": "bc58a058bab72bafd5046b9ad56c29f448ea6753dd24853464f8227eedd78172",
    "states2016.csv": "dbb5d20c4c410fac2a5f751633c8ab144afbb7f4853f15c4cfef26deb69afd00",
    "capdist.csv": "aa4c56943089034d76bec4fdad90267d06693afaa19eec19ebe5d56ce881dc42",
    "nato_sco_membership.csv": "4e39522d57914da4e4735b94d6fba342ff7ac963b26cd5cb3ef46007cd2ba20b",
    "warsaw_pact_membership.csv": "077ecee1ebd1633b153c9d0de03ea77514fd5c6a134a08eb108ceaaae5a8bdfc",
}

# Years: a world starts in 1946..2016 and may run to 2024.  The data end earlier -- the state
# list and NMC in 2016, Polity5 in 2018 -- and are carried forward from their last year (flagged).
MIN_YEAR, MAX_YEAR, MAX_END_YEAR = 1946, 2016, 2024
STATES_LAST, NMC_LAST, POLITY_LAST = 2016, 2016, 2018
# The membership record (observed_memberships.csv) runs to this year.
RECORD_LAST = 2024

# Regions by COW code range (the COW list numbers states by region), for the regional median of
# Polity: the canonical table of simulation/regions.py.  The eligibility region written for each
# state (``region``, for the institutions' ``eligible_regions``) is regions.region_of, which
# refines it (North/Latin America; Turkey in Europe).
REGIONS = list(regions.COW_RANGES)
# Growth trends (simulation/mechanisms/capability_trends.py): OLS slope of log CINC over the
# TREND_WINDOW (10) most recent years up to the year of the data that are not years of world war
# (1939-1945), shrunk toward the mean.  For a 1948 start that is 1932-1938 and 1946-1948: the
# three post-war years alone are demobilisation (UK -21 %/yr, USSR +14 %/yr), not a trend.
TREND_WAR_YEARS = range(1939, 1946)
MIN_TREND_YEAR = 1816  # the first NMC year
# The mechanisms a historical world switches on (docs/ODD.md, "Membership (issue: history)").
HISTORY_MECHANISMS = ("accession_consent", "eligibility_regions", "view_persistence", "exit_cost", "commitments",
                      "growth_trends", "leader_exit", "leader_succession", "candidacy")

# The calibrated default (docs/calibration.md, "The calibrated default of the real worlds"): every
# world includes the Cold War calibration's parameter set, a committed copy of
# results/calibration_coldwar/overlay.yaml, restricted to the institutions a historical world
# declares (a world without the WTO cannot take the WTO's parameters); a static world takes no
# institution's parameters (write_calibrated_overlay says why).  The restricted overlay is written beside
# the data tables as <out-data>/<scenario stem>_calibrated.yaml and included by a path relative to the
# scenario, like the distance file, so a world built elsewhere is complete too.  --no-calibrated
# builds a world on the model's defaults.
CALIBRATED = SCENARIO_DIR.parent / "calibration" / "coldwar_calibrated.yaml"
CALIBRATED_SUFFIX = "_calibrated.yaml"

# Governance proxy g from Polity `durable` (years since the last regime transition):
#   g = G_MIN + (G_MAX - G_MIN) * min(1, ln(1 + D) / ln(1 + D_REF))
G_MIN, G_MAX, D_REF = 0.2, 0.9, 100.0
# Sovereignty proxy sigma from the capability rank (Morrow 1991, autonomy-security trade-off):
#   sigma = S_MIN + (S_MAX - S_MIN) * (rank - 1) / (N - 1), rank 1 = smallest CINC (ties averaged)
S_MIN, S_MAX = 0.25, 0.75
PROXY_DECIMALS = 4

# ---------------------------------------------------------------------------------------
# Capitals missing from capdist.  Each absent state X takes the distances of the nearest
# capital present in capdist (its proxy P, chosen among the candidates listed, all present):
#   d(X, j) = d_capdist(P, j);  d(X, P) and d(X, Y) for two absent states: great circle
#   (haversine, R = 6371 km) between the capital coordinates below, rounded to km.
# Coordinates (decimal degrees, capital city centres) are standard gazetteer values.
EARTH_RADIUS_KM = 6371.0
ABSENT_CAPITALS = {  # COW ccode: (capital, lat, lon, candidate proxies by ccode)
    347: ("Pristina", 42.663, 21.166, (343, 341, 339, 345)),
    626: ("Juba", 4.859, 31.571, (500, 501, 530, 625, 482)),
    946: ("South Tarawa", 1.329, 172.979, (983, 987, 940)),
    947: ("Funafuti", -8.521, 179.198, (950, 990)),
    955: ("Nuku'alofa", -21.139, -175.204, (950, 990)),
    970: ("Yaren", -0.547, 166.920, (983, 987, 940)),
}
CANDIDATE_CAPITALS = {  # ccode: (capital, lat, lon) -- used only to pick and place proxies
    339: ("Tirana", 41.328, 19.818), 341: ("Podgorica", 42.441, 19.263),
    343: ("Skopje", 41.997, 21.428), 345: ("Belgrade", 44.787, 20.457),
    482: ("Bangui", 4.394, 18.558), 500: ("Kampala", 0.347, 32.582),
    501: ("Nairobi", -1.286, 36.817), 530: ("Addis Ababa", 9.030, 38.740),
    625: ("Khartoum", 15.501, 32.560), 940: ("Honiara", -9.433, 159.950),
    950: ("Suva", -18.141, 178.442), 983: ("Majuro", 7.090, 171.380),
    987: ("Palikir", 6.917, 158.158), 990: ("Apia", -13.833, -171.767),
}


def fail(msg: str) -> None:
    print(f"build_world: error: {msg}", file=sys.stderr)
    raise SystemExit(2)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def region_of(ccode: int) -> str:
    for lo, hi, name in REGIONS:
        if lo <= ccode <= hi:
            return name
    fail(f"ccode {ccode} in no region")


def growth_trends(raw: "Raw", ccodes, year: int) -> dict[int, float]:
    """b_i for each state ``ccodes`` from NMC up to ``year`` (capped at the last NMC year):
    capability_trends.fit_growth_trends over every state with data in the window, war years
    left out, rounded to 6 decimals.  A state without enough years of its own gets the mean."""
    trend, target = raw.trend_fit(min(year, NMC_LAST))
    return {int(c): round(float(trend.get(int(c), target)), 6) + 0.0 for c in ccodes}


def fmt_float(x: float) -> str:
    """Shortest round-tripping form, always read back by YAML 1.1 as a float."""
    s = repr(float(x))
    if "e" in s and "." not in s:
        s = s.replace("e", ".0e", 1)
    return s


# ---------------------------------------------------------------------------------------
# The raw files, read once
# ---------------------------------------------------------------------------------------


def read_lonlat(path: Path) -> dict[int, str]:
    """ccode -> "lon, lat" of its capital (written by build_capitals.py; display only: the
    model never reads it, the browser app draws the real worlds at it)."""
    if not path.is_file():
        fail(f"{path} is missing; run python scenarios/data/build_capitals.py first")
    t = pd.read_csv(path, dtype={"lon": str, "lat": str})
    return {int(c): f"{lon}, {lat}" for c, lon, lat in zip(t.ccode, t.lon, t.lat)}


def lonlat_of(raw: "Raw", ccode: int) -> str:
    if int(ccode) not in raw.lonlat:
        fail(f"ccode {ccode} has no row in capitals.csv; run python scenarios/data/build_capitals.py")
    return raw.lonlat[int(ccode)]


class Raw:
    """The raw tables: the state list (with file lines), NMC, Polity5 (to 2018), capdist, memberships."""

    def __init__(self, raw: Path) -> None:
        s = pd.read_csv(raw / "states2016.csv")
        s = s.loc[:, [c for c in s.columns if not c.startswith("Unnamed")]]
        s["line"] = s.index + 2
        s["start"] = s.styear * 10000 + s.stmonth * 100 + s.stday
        s["end"] = s.endyear * 10000 + s.endmonth * 100 + s.endday
        if s.groupby("ccode").stateabb.nunique().max() != 1 or s.groupby("stateabb").ccode.nunique().max() != 1:
            fail("states2016.csv: a ccode with two letter codes or a letter code with two ccodes")
        self.states = s
        self.nmc = pd.read_csv(raw / "NMC-60-abridged.csv")
        p = pd.read_csv(raw / "p5v2018.csv", low_memory=False)
        self.polity = p[p.year <= POLITY_LAST]  # two stray USA rows for 2019-2020 are not part of the release
        d = self.polity[self.polity.durable.notna()].sort_values("year")
        self.durable_series = {int(c): (g.year.to_numpy(), g.durable.to_numpy()) for c, g in d.groupby("ccode")}
        self.capdist = pd.read_csv(raw / "capdist.csv")
        self.memberships = ev.load_memberships(raw)
        self.name_of = dict(zip(s.ccode, s.stateabb))
        self.lonlat = read_lonlat(DATA_DIR / "capitals.csv")
        self._present: dict[int, set[int]] = {}
        self._trends: dict[int, tuple[dict[int, float], float]] = {}

    def trend_fit(self, year: int) -> tuple[dict[int, float], float]:
        """Shrunk growth trends by ccode over the TREND_WINDOW most recent years up to ``year``
        that are not war years (TREND_WAR_YEARS), and their mean (cached per year)."""
        if year not in self._trends:
            years = [y for y in range(year, MIN_TREND_YEAR - 1, -1) if y not in TREND_WAR_YEARS][:capability_trends.TREND_WINDOW]
            nmc = self.nmc[self.nmc.year.isin(years)]
            table = nmc.pivot_table(index="ccode", columns="year", values="cinc", aggfunc="first")
            values = table.to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)
            slope, se = capability_trends.ols_slopes(logs, table.columns.to_numpy())
            trend, target, _ = capability_trends.shrink(slope, se)
            self._trends[year] = (dict(zip(table.index.astype(int).tolist(), trend.tolist())), target)
        return self._trends[year]

    def spells_on(self, year: int) -> pd.DataFrame:
        """Spells covering 31 December of ``year`` (the 2016 list for later years: no change is known)."""
        day = min(year, STATES_LAST) * 10000 + 1231
        s = self.states
        cur = s[(s.start <= day) & (s.end >= day)]
        if cur.ccode.duplicated().any():
            fail("a state has two spells covering the year")
        return cur

    def present(self, year: int) -> set[int]:
        if year not in self._present:
            self._present[year] = set(self.spells_on(year).ccode)
        return self._present[year]


# ---------------------------------------------------------------------------------------
# The state table of one year
# ---------------------------------------------------------------------------------------


def system_members(raw: Raw, year: int) -> pd.DataFrame:
    """States in the COW system on 31 December of ``year`` (one row per state)."""
    cur = raw.spells_on(year).rename(columns={"stateabb": "name", "statenme": "country"})
    cur = cur.assign(system_entry_year=cur.styear)
    return cur[["name", "ccode", "country", "system_entry_year"]].sort_values("ccode").reset_index(drop=True)


def add_capability(df: pd.DataFrame, raw: Raw, year: int) -> pd.DataFrame:
    data_year = min(year, NMC_LAST)
    n = raw.nmc[raw.nmc.year == data_year][["ccode", "stateabb", "cinc"]]
    m = df.merge(n, on="ccode", how="left", validate="one_to_one")
    if m.cinc.isna().any() or (m.cinc <= 0).any():
        fail(f"no positive CINC in {data_year} for {sorted(m.loc[m.cinc.isna() | (m.cinc <= 0), 'name'])}")
    if (m.stateabb != m.name).any():
        fail("NMC and the state list disagree on a state abbreviation")
    m = m.drop(columns="stateabb")
    m["cinc_year"] = data_year
    return m


def add_polity(df: pd.DataFrame, raw: Raw, year: int) -> pd.DataFrame:
    data_year = min(year, POLITY_LAST)
    p_year = raw.polity[raw.polity.year == data_year].set_index("ccode")
    df = df.copy()
    df["region"] = [region_of(c) for c in df.ccode]
    df["polity_ccode"] = [crosswalk.polity_code(c, data_year) for c in df.ccode]
    if df.polity_ccode.duplicated().any():
        fail(f"two states map to one Polity code in {data_year}")
    has_row = df.polity_ccode.isin(p_year.index)
    bad = crosswalk.check_polity_year(
        [(a, c, pc, p_year.at[pc, "scode"] if h else None, p_year.at[pc, "country"] if h else None)
         for a, c, pc, h in zip(df.name, df.ccode, df.polity_ccode, has_row)], data_year)
    if bad:
        fail("the COW-Polity crosswalk hits the wrong country: " + "; ".join(bad))
    df.loc[~has_row, "polity_ccode"] = np.nan
    df["polity_ccode"] = df.polity_ccode.astype("Int64")
    def get(col: str) -> list:
        values = p_year[col].to_dict()
        return [values[int(pc)] if pd.notna(pc) else np.nan for pc in df.polity_ccode]

    df["polity_country"] = get("country")
    df["polity_code"] = pd.array(get("polity"), dtype="Int64")  # raw `polity`, incl. -66/-77/-88
    df["polity2"] = pd.array(get("polity2"), dtype="float64")
    durable = pd.array(get("durable"), dtype="float64")

    # polity2: Polity's own rules already turn -77 into 0 and interpolate -88; -66 stays missing.
    observed = df.polity2.notna()
    medians = df[observed].groupby("region").polity2.median()
    df["polity2_used"] = df.polity2.where(observed, df.region.map(medians))
    if df.polity2_used.isna().any():
        fail(f"no polity2 in the region of {sorted(df.loc[df.polity2_used.isna(), 'name'])} in {data_year}")
    flag = np.where(observed, np.where(df.polity_ccode.astype("float") != df.ccode, "observed_crosswalk", "observed"),
                    np.where(has_row, "imputed_region_median_polity2_missing", "imputed_region_median_not_in_polity"))
    df["polity_flag"] = flag
    df["regime"] = (df.polity2_used + 10.0) / 20.0

    # durable: observed (in the year itself); else carried forward from the last observed year of
    # the same Polity series (+1 per year); else (no Polity row) years since entry into the system.
    df["durable"] = durable
    used, dflag = [], []
    for pc, d, entry in zip(df.polity_ccode, durable, df.system_entry_year):
        if pd.notna(d) and data_year == year:
            used.append(float(d)); dflag.append("observed")
            continue
        if pd.notna(pc) and int(pc) in raw.durable_series:
            years, values = raw.durable_series[int(pc)]
            k = int(np.searchsorted(years, year)) - 1  # the last observed year before ``year``
            if k >= 0:
                used.append(float(values[k] + (year - years[k]))); dflag.append("carried_forward")
                continue
        used.append(float(year - entry)); dflag.append("system_tenure")
    df["durable_used"] = used
    df["durable_flag"] = dflag
    g = G_MIN + (G_MAX - G_MIN) * np.minimum(1.0, np.log1p(df.durable_used) / math.log1p(D_REF))
    df["governance"] = g.round(PROXY_DECIMALS)
    df["polity_year"] = data_year
    return df


def add_sovereignty(df: pd.DataFrame, rule: str) -> pd.DataFrame:
    df = df.copy()
    if rule == "neutral":
        df["sovereignty"] = 0.5
    else:
        rank = df.cinc.rank(method="average")
        df["sovereignty"] = (S_MIN + (S_MAX - S_MIN) * (rank - 1) / (len(df) - 1)).round(PROXY_DECIMALS)
    return df


def year_table(raw: Raw, year: int, rule: str) -> pd.DataFrame:
    """Every state on 31 Dec ``year`` with its capability, regime, governance and sovereignty."""
    df = system_members(raw, year)
    df = add_capability(df, raw, year)
    df = add_polity(df, raw, year)
    return add_sovereignty(df, rule)


STATE_COLUMNS = ["name", "ccode", "country", "region", "system_entry_year", "cinc", "polity_ccode", "polity_country",
                 "polity_code", "polity2", "polity2_used", "polity_flag", "regime", "durable", "durable_used",
                 "durable_flag", "governance", "sovereignty", "distance_source"]


def data_flag(r) -> str:
    """How a state-year's capability and regime were obtained (the forcing file's ``flag``)."""
    parts = []
    if r.cinc_year != r.year:
        parts.append(f"cinc_from_{r.cinc_year}")
    if r.polity_year != r.year:
        parts.append(f"polity_from_{r.polity_year}")
    if not r.polity_flag.startswith("observed"):
        parts.append("regime_imputed_region_median")
    return ";".join(parts) or "observed"


# ---------------------------------------------------------------------------------------
# Distances
# ---------------------------------------------------------------------------------------


def build_distances(df: pd.DataFrame, raw: Raw) -> tuple[pd.DataFrame, dict[int, str]]:
    """a,b,km for every unordered pair of the states in ``df`` (columns name, ccode)."""
    c = raw.capdist
    # ccode 345 appears under two letter codes (SER, YUG) with identical distances: deduplicate.
    dup = c.groupby(["numa", "numb"]).kmdist.nunique()
    if (dup > 1).any():
        fail("capdist has conflicting distances for one code pair")
    c = c.drop_duplicates(["numa", "numb"])
    dist = {(a, b): int(k) for a, b, k in zip(c.numa, c.numb, c.kmdist)}
    present = set(c.numa)
    codes = list(df.ccode)
    name = dict(zip(df.ccode, df.name))
    absent = [x for x in codes if x not in present]
    unknown = [x for x in absent if x not in ABSENT_CAPITALS]
    if unknown:
        fail(f"states absent from capdist with no capital listed in ABSENT_CAPITALS: {[name[x] for x in unknown]}")
    proxy: dict[int, int] = {}
    for x in absent:
        _, lat, lon, cands = ABSENT_CAPITALS[x]
        if any(p not in present for p in cands):
            fail(f"a proxy candidate for {name[x]} is not in capdist")
        proxy[x] = min(cands, key=lambda p: (haversine_km(lat, lon, *CANDIDATE_CAPITALS[p][1:]), p))

    def coords(x: int) -> tuple[float, float]:
        return ABSENT_CAPITALS[x][1:3] if x in ABSENT_CAPITALS else CANDIDATE_CAPITALS[x][1:3]

    rows = []
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            if a in present and b in present:
                km = dist.get((a, b))
                if km is None:
                    fail(f"capdist lacks the pair {name[a]}-{name[b]}")
                src = "capdist"
            elif (a in proxy and b in proxy) or proxy.get(a) == b or proxy.get(b) == a:
                km = int(round(haversine_km(*coords(a), *coords(b))))
                src = "great_circle"
            else:
                pa, pb = proxy.get(a, a), proxy.get(b, b)
                km = dist[(pa, pb)]
                src = "proxy"
            x, y = sorted((name[a], name[b]))
            rows.append((x, y, km, src))
    out = pd.DataFrame(rows, columns=["a", "b", "km", "source"]).sort_values(["a", "b"]).reset_index(drop=True)
    return out, {x: name[p] for x, p in proxy.items()}


# ---------------------------------------------------------------------------------------
# Memberships and rivalries
# ---------------------------------------------------------------------------------------


def members(raw: Raw, inst: str, on_year: int, system: dict[int, str]) -> tuple[list[str], list[str], bool]:
    """Members of ``inst`` on 31 Dec ``on_year`` that are in ``system`` (ccode -> name), in file
    order; the members not in it; whether a seat was passed on (PASS_ON)."""
    names, missing, passed = [], [], False
    now = ev.members_on(raw.memberships, inst, on_year)
    for cc, abb, country in zip(now.ccode, now.stateabb, now.country):
        holder = ev.seat_holder(int(cc), set(system))
        if holder is None:
            missing.append(f"{abb} ({country})")
            continue
        passed |= holder != cc
        if system[holder] not in names:
            names.append(system[holder])
    return names, missing, passed


def load_rivalries(path: Path, names: set[str]) -> tuple[list[tuple[str, str, float, str]], list[str]]:
    r = pd.read_csv(path, comment="#")
    keep, skipped = [], []
    for a, b, k, src in zip(r.a, r.b, r.intensity, r.source):
        if not 0.0 <= float(k) <= 1.0:
            fail(f"rivalry {a}-{b}: intensity {k} outside [0, 1]")
        if a in names and b in names:
            keep.append((a, b, float(k), src))
        else:
            skipped.append(f"{a}-{b}")
    return keep, skipped


# ---------------------------------------------------------------------------------------
# The scenario file
# ---------------------------------------------------------------------------------------

ARTICLE = {"NATO": "", "WTO": "the ", "SCO": "the "}


def phrase(items: list[str]) -> str:
    if not items:
        return "no institution"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def institution_lines(blocks: list[dict]) -> list[str]:
    if not blocks:
        return ["institutions: {}"]
    L = ["institutions:"]
    for b in blocks:
        L += [f"  {b['name']}:", f"    kind: {b['kind']}"]
        if b.get("leader"):
            L.append(f"    leader: {b['leader']}")
        L += [f"    description: {b['description']}", f"    founders: [{', '.join(b['founders'])}]"]
        if b["name"] in regions.TREATY_REGIONS:
            L.append(f"    eligible_regions: [{', '.join(regions.TREATY_REGIONS[b['name']])}]  # simulation/regions.py")
    return L


def write_scenario(path: Path, *, header, name, description, seed, steps, history, distance_rel, df,
                   rivalries, blocks, event_lines, mechanisms=(), include=None) -> None:
    """The scenario YAML (``df`` has one row per listed state, ``lonlat`` included)."""
    L = [f"# {line}".rstrip() for line in header]
    if include is not None:
        L.append(f"include: [{include}]  # the calibrated default (docs/calibration.md); build with --no-calibrated to leave it out")
    L += [f"name: {name}", f"description: {description}", f"seed: {seed}", f"steps: {steps}"]
    if history:
        L += ["history:"] + [f"  {k}: {v}" for k, v in history.items()]
    if mechanisms:
        L += ["mechanisms:  # the membership mechanisms of docs/ODD.md, 'Membership (issue: history)'"]
        L += [f"  {m}: true" for m in mechanisms]
    L += [
        "world:",
        f"  distance_file: {distance_rel}",
        "  states:  # name = COW stateabb; capability = CINC; regime = (polity2 + 10) / 20",
    ]
    for r in df.itertuples():
        L.append(f"    - {{name: {r.name}, capability: {fmt_float(r.cinc)}, regime: {fmt_float(r.regime)}, "
                 f"sovereignty: {fmt_float(r.sovereignty)}, governance: {fmt_float(r.governance)}, "
                 f"region: {regions.region_of(int(r.ccode))}, growth_trend: {fmt_float(r.growth_trend)}, "
                 f"lonlat: [{r.lonlat}]}}")
    L.append("rivalries:  # source in scenarios/data/rivalries.csv" if rivalries else "rivalries: []")
    for a, b, k, src in rivalries:
        L.append(f"  - {{a: {a}, b: {b}, intensity: {fmt_float(k)}}}  # {src}")
    L += institution_lines(blocks)
    if event_lines:
        L += ["events:  # order within a step: enter, exit, found, dissolve, join/leave, rivalry"] + event_lines
    text = "\n".join(L) + "\n"
    # Read back: every value must survive the YAML round trip exactly.
    doc = yaml.safe_load(text)
    got = doc["world"]["states"]
    for r, s in zip(df.itertuples(), got):
        if (s["name"], s["capability"], s["regime"], s["sovereignty"], s["governance"]) != (
                r.name, float(r.cinc), float(r.regime), float(r.sovereignty), float(r.governance)):
            fail(f"YAML round trip changed state {r.name}")
    if len(got) != len(df) or [(k, v["founders"]) for k, v in (doc["institutions"] or {}).items()] != \
            [(b["name"], b["founders"]) for b in blocks]:
        fail("YAML round trip changed the state list or the memberships")
    if doc.get("history") != (history or None) or len(doc.get("events") or []) != len(event_lines):
        fail("YAML round trip changed the history block or the events")
    if doc.get("include") != ([include] if include is not None else None):
        fail("YAML round trip changed the include line")
    path.write_bytes(text.encode("utf-8"))
    return doc


def calibrated_overlay(source: Path, institutions: list[str]) -> tuple[dict, list[str]]:
    """The calibrated parameter set restricted to a world's institutions: every key except
    ``institutions.<name>.*`` of an institution the world does not declare.  Returns the kept
    mapping (in file order) and the institutions whose keys were left out."""
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        fail(f"{source}: cannot be read ({type(exc).__name__}); expected the calibrated overlay (or --no-calibrated)")
    if not isinstance(data, dict) or "include" in data:
        fail(f"{source}: expected an overlay of dotted key paths (as results/<calibration>/overlay.yaml), without include")
    kept, dropped = {}, []
    for key, value in data.items():
        parts = str(key).split(".")
        if parts[0] == "institutions" and len(parts) > 1 and parts[1] not in institutions:
            if parts[1] not in dropped:
                dropped.append(parts[1])
            continue
        kept[str(key)] = value
    return kept, dropped


def write_calibrated_overlay(path: Path, scenario: Path, source: Path, institutions: list[str], *, static: bool) -> str:
    """Write the restricted overlay ``path`` for the world ``scenario``; return the include path
    (relative to the scenario's folder).  A static world takes no institution's parameters: they
    were fitted for the Cold War's hegemonic NATO and WTO, and the rule-swap experiment re-kinds a
    static world's institutions (a dialogue NATO has no approval_threshold or reliability)."""
    kept, dropped = calibrated_overlay(source, [] if static else institutions)
    if static:
        scope = "without any institution's keys (a static world's institutions keep the defaults of their kind)."
    elif dropped:
        scope = "restricted to the world's institutions: " + ", ".join(f"institutions.{d}.*" for d in dropped) + " left out (not in this world)."
    else:
        scope = "restricted to the world's institutions (every key applies)."
    header = [
        f"GENERATED FILE -- do not edit by hand; written by scenarios/data/build_world.py with {scenario.name}.",
        f"The calibrated default of this world: {shown_path(source)}, the Cold War calibration's parameter",
        "set (a committed copy of results/calibration_coldwar/overlay.yaml; docs/calibration.md,",
        f"\"The calibrated default of the real worlds\"), {scope}",
    ]
    lines = [f"# {h}" for h in header]
    for key, value in kept.items():
        text = repr(value) if isinstance(value, float) else yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
        lines.append(f"{key}: {text}")
    text = "\n".join(lines) + "\n"
    if yaml.safe_load(text) != kept:
        fail(f"YAML round trip changed the calibrated overlay {path}")
    path.write_bytes(text.encode("utf-8"))
    return Path(os.path.relpath(path.resolve(), scenario.resolve().parent)).as_posix()


def shown_path(path: Path) -> str:
    """A path as shown in the generated header: relative to the project root, else its file name
    (so that the output does not depend on where a temporary build was written)."""
    try:
        return path.resolve().relative_to(SCENARIO_DIR.parent).as_posix()
    except ValueError:
        return path.name


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


# ---------------------------------------------------------------------------------------
# The record, and a replay of a historical world's events against it
# ---------------------------------------------------------------------------------------


def write_record(raw: Raw, out_data: Path) -> tuple[Path, pd.DataFrame]:
    rec = ev.observed_record(raw.memberships, raw.present, raw.name_of, RECORD_LAST)
    path = out_data / "observed_memberships.csv"
    path.write_bytes(to_csv_bytes(rec))
    return path, rec


def replay(doc: dict, record: pd.DataFrame, start_year: int, end_year: int) -> None:
    """Apply the scenario's events as the model would in mode ``imposed`` (enter/exit with the
    successor rule, found, dissolve, recorded join/leave) and require the members of every
    institution at the end of every year to equal the record: the events and the step-0 world
    together must reproduce history.  Also checks the rules the model enforces (an entering
    state is new or gone, a leaving state is present, successors and founders are present)."""
    active = {s["name"] for s in doc["world"]["states"]}
    spec = doc["institutions"] or {}
    kinds = {k: v["kind"] for k, v in spec.items()}
    founded_later = {e["institution"] for e in doc.get("events") or [] if e["kind"] == "found"}
    mem = {k: set(v["founders"]) for k, v in spec.items() if k not in founded_later}
    events = doc.get("events") or []
    order = {"enter": 0, "exit": 1, "found": 2, "dissolve": 3, "join": 4, "leave": 4, "rivalry": 5}
    last = (0, 0)
    for k, e in enumerate(events):
        if (e["step"], order[e["kind"]]) < last:
            fail(f"events.{k}: out of order")
        last = (e["step"], order[e["kind"]])

    def room(inst: str, j: str) -> bool:
        return kinds[inst] != "hegemonic" or not any(j in mem[o] for o in mem if o != inst and kinds[o] == "hegemonic")

    def check_year(year: int) -> None:
        for inst, members_now in mem.items():
            want = set(record[(record.institution == inst) & (record.year == year)].state)
            if members_now != want:
                fail(f"replay: {inst} in {year}: events give {sorted(members_now ^ want)} differently from the record")
        for inst in spec:
            if inst not in mem and len(record[(record.institution == inst) & (record.year == year)]):
                fail(f"replay: {inst} exists in the record in {year} but not in the scenario")

    check_year(start_year)
    k = 0
    for step in range(1, end_year - start_year + 1):
        while k < len(events) and events[k]["step"] == step:
            e = events[k]
            kind = e["kind"]
            if kind == "enter":
                if e["state"] in active:
                    fail(f"events.{k}: {e['state']} enters but is already present")
                active.add(e["state"])
            elif kind == "exit":
                i = e["state"]
                if i not in active or any(s not in active for s in e["successors"]):
                    fail(f"events.{k}: {i} or a successor is not present at the exit")
                for inst in list(mem):
                    if i in mem[inst]:
                        mem[inst].discard(i)
                        for j in e["successors"]:
                            if j not in mem[inst] and room(inst, j):
                                mem[inst].add(j)
                active.discard(i)
            elif kind == "found":
                f = spec[e["institution"]]["founders"]
                if any(s not in active for s in f):
                    fail(f"events.{k}: a founder of {e['institution']} is not present")
                mem[e["institution"]] = set(f)
            elif kind == "dissolve":
                del mem[e["institution"]]
            elif kind in ("join", "leave"):
                if e["state"] not in active or e["institution"] not in mem:
                    fail(f"events.{k}: {e['state']} {kind}s {e['institution']}, one of which is not there")
                (mem[e["institution"]].add if kind == "join" else mem[e["institution"]].discard)(e["state"])
            k += 1
        check_year(start_year + step)
    if k != len(events):
        fail("events beyond the last step")


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def calibrated_flag(args) -> str:
    """The calibration option as written in the header's command (nothing for the default)."""
    if args.calibrated is None:
        return " --no-calibrated"
    return "" if args.calibrated.resolve() == CALIBRATED else f" --calibrated {shown_path(args.calibrated)}"


def build_static(args, raw: Raw) -> None:
    year = args.year
    default_myear = year if year < MAX_YEAR else RECORD_LAST
    myear = args.membership_year if args.membership_year is not None else default_myear
    if not MIN_YEAR <= myear <= RECORD_LAST:
        fail(f"--membership-year must be in {MIN_YEAR}-{RECORD_LAST}")
    default_name = f"world_{year}.yaml" if myear == default_myear else f"world_{year}_members_{myear}.yaml"
    out_scenario = args.out_scenario or SCENARIO_DIR / default_name

    df = year_table(raw, year, args.sovereignty_rule)
    trend = growth_trends(raw, df.ccode, year)
    df["growth_trend"] = df.ccode.map(trend)
    dist, proxies = build_distances(df, raw)
    system = dict(zip(df.ccode, df.name))
    blocks, counts, missing, passed = [], [], [], False
    for info in ev.INSTITUTIONS:
        if not info.exists(myear):
            continue
        names, miss, p = members(raw, info.name, myear, system)
        missing += miss
        passed |= p
        leader = raw.name_of[info.leader] if info.leader is not None else None
        if leader is not None and leader not in names:
            fail(f"the leader {leader} is not a {info.name} member in this membership year")
        rule = f"members with accession year <= {myear}" if info.dissolved is None else f"members on 31 Dec {myear}"
        blocks.append({"name": info.name, "kind": info.kind, "leader": leader, "founders": names,
                       "description": f"{info.title}, {rule}"})
        counts.append(f"{info.name}: {len(names)} members")
    rivalries, riv_skipped = load_rivalries(args.rivalries, set(df.name))

    df["distance_source"] = [f"proxy:{proxies[c]}" if c in proxies else "capdist" for c in df.ccode]
    states = df[STATE_COLUMNS]
    args.out_data.mkdir(parents=True, exist_ok=True)
    out_scenario.parent.mkdir(parents=True, exist_ok=True)
    states_path = args.out_data / f"world_{year}_states.csv"
    dist_path = args.out_data / f"world_{year}_distances.csv"
    states_path.write_bytes(to_csv_bytes(states))
    dist_path.write_bytes(to_csv_bytes(dist[["a", "b", "km"]]))
    record_path, _ = write_record(raw, args.out_data)
    distance_rel = Path(os.path.relpath(dist_path.resolve(), out_scenario.resolve().parent)).as_posix()
    include = None if args.calibrated is None else write_calibrated_overlay(
        args.out_data / f"{out_scenario.stem}{CALIBRATED_SUFFIX}", out_scenario, args.calibrated, [b["name"] for b in blocks],
        static=True)

    n_imp_pol = int((~states.polity_flag.str.startswith("observed")).sum())
    n_imp_dist = int((dist.source != "capdist").sum())
    cmd = "python scenarios/data/build_world.py" + (f" --year {year}" if year != 2016 else "") + (
        f" --membership-year {myear}" if myear != default_myear else "") + (
        f" --out-scenario {shown_path(out_scenario)}" if out_scenario.name != default_name else "") + (
        f" --sovereignty-rule {args.sovereignty_rule}" if args.sovereignty_rule != "capability-rank" else "") + (
        f" --rivalries {shown_path(args.rivalries)}" if args.rivalries.resolve() != DATA_DIR / "rivalries.csv" else "") + (
        calibrated_flag(args))
    described = [ARTICLE[b["name"]] + b["name"] + (f" (hegemonic, leader {b['leader']})" if b["leader"] else f" ({b['kind']})")
                 for b in blocks]
    names_only = [ARTICLE[b["name"]] + b["name"] for b in blocks]
    notes = [f"join_year <= {myear}"] + (["WTO leaving dates applied"] if any(b["name"] == "WTO" for b in blocks) else []) + (
        ["GFR counted as Germany"] if passed else [])
    header = [
        f"The real world of {year} as a scenario: every state of the COW state system on 31 Dec {year},",
        f"with {phrase(described)} as their members were in {myear}.",
        "For comparing the model's rule sets on the real distribution of power, regimes and distance.",
        "GENERATED FILE -- do not edit by hand.  Regenerate with:",
        f"  {cmd}",
        "Data: COW State System v2016; COW NMC v6.0 (CINC); Polity5 (Marshall & Gurr); Gleditsch & Ward",
        "capital distances; NATO/SCO accession years (see scenarios/data/README.md for citations and rules).",
    ]
    if any(b["name"] == "WTO" for b in blocks):
        header.append("WTO membership dates: warsaw_pact_membership.csv (hand-compiled; see docs/history.md).")
    header += [
        f"States: {len(states)}.  Polity2 imputed (region median): {n_imp_pol}.  "
        f"Distance pairs imputed: {n_imp_dist} of {len(dist)}.",
        "Sovereignty and governance are stated proxies, not measurements (README: Assumptions).",
        ("; ".join(counts) + f" ({'; '.join(notes)})." if blocks else f"No institution existed on 31 Dec {myear}."),
        "Members not in the state system: " + (", ".join(missing) or "none") + ".",
    ]
    if riv_skipped:
        header.append("Rivalries skipped (a side not in the system): " + ", ".join(riv_skipped) + ".")
    write_scenario(out_scenario, header=header, name=out_scenario.stem,
                   description=f"The state system of {year} (COW) with CINC capabilities, Polity5 regimes and capital "
                   f"distances; {phrase(names_only)} with their members as of {myear}.",
                   seed=args.seed, steps=args.steps if args.steps is not None else 50, history=None,
                   distance_rel=distance_rel, df=df.assign(lonlat=[lonlat_of(raw, c) for c in df.ccode]), rivalries=rivalries,
                   blocks=blocks, event_lines=[], include=include)

    print(f"states: {len(states)}; polity2 imputed: {n_imp_pol}; durable not observed: "
          f"{int((states.durable_flag != 'observed').sum())}; distance pairs imputed: {n_imp_dist} "
          f"(states absent from capdist: {', '.join(f'{system[c]}->{p}' for c, p in proxies.items())})")
    print(f"members ({myear}): {'; '.join(counts) or 'no institution'}; not in system: {missing or 'none'}")
    print(f"rivalries: {len(rivalries)}; skipped: {riv_skipped or 'none'}")
    print(f"wrote {states_path}, {dist_path}, {record_path}, {out_scenario}")


def build_history(args, raw: Raw) -> None:
    first, end = args.year, args.end_year
    start = first - 1  # step 0: the world on 31 Dec of the year before the first simulated year
    if args.membership_year is not None:
        fail("--membership-year is for static worlds; a historical world takes its members from the record")
    if args.steps is not None and args.steps != end - start:
        fail(f"--steps: a historical world from {first} to {end} has {end - start} steps")
    default_name = f"world_{first}_{end}.yaml"
    out_scenario = args.out_scenario or SCENARIO_DIR / default_name
    stem = f"world_{first}_{end}"

    tables = {y: year_table(raw, y, args.sovereignty_rule) for y in range(start, end + 1)}
    for y, t in tables.items():
        t["year"] = y
    df = tables[start]
    df["growth_trend"] = df.ccode.map(growth_trends(raw, df.ccode, start))
    ever = pd.concat([t[["name", "ccode"]] for t in tables.values()]).drop_duplicates("ccode").sort_values("ccode")
    dist, proxies = build_distances(ever, raw)
    source_of = {c: (f"proxy:{proxies[c]}" if c in proxies else "capdist") for c in ever.ccode}
    system = dict(zip(df.ccode, df.name))

    # institutions: at step 0 with their members on 31 Dec of the start year, or founded later
    blocks, inst_names, at0, later = [], [], [], []
    for info in ev.INSTITUTIONS:
        if info.exists(start):
            founders, miss, _ = members(raw, info.name, start, system)
            if miss:
                fail(f"{info.name} members on 31 Dec {start} not in the system: {miss}")
            desc = f"{info.title}, members on 31 Dec {start}"
            at0.append(f"{info.name} {len(founders)}")
        elif start < info.founded_year <= end:
            f = raw.memberships[(raw.memberships.institution == info.name) & (raw.memberships.join_year == info.founded_year)]
            founders = [raw.name_of[c] for c in f.ccode]
            desc = f"{info.title}, founded {info.founded} (found event); founders as on that day"
            later.append(f"{info.name} ({info.founded_year})")
        else:
            continue
        leader = raw.name_of[info.leader] if info.leader is not None else None
        if leader is not None and leader not in founders:
            fail(f"the leader {leader} is not a founder of {info.name}")
        if info.dissolved_year is not None and info.dissolved_year <= end:
            desc += f"; dissolved {info.dissolved} (dissolve event)"
        blocks.append({"name": info.name, "kind": info.kind, "leader": leader, "founders": founders, "description": desc})
        inst_names.append(info.name)

    all_names = set(ever.name)
    rivalries_all, riv_skipped = load_rivalries(args.rivalries, all_names)
    at_start = set(df.name)
    rivalries = [r for r in rivalries_all if r[0] in at_start and r[1] in at_start]

    def entry_row(year: int, cc: int) -> dict:
        t = tables[year]
        r = t[t.ccode == cc].iloc[0]
        return {"name": r["name"], "capability": r.cinc, "regime": r.regime, "sovereignty": r.sovereignty,
                "governance": r.governance, "region": regions.region_of(int(cc)), "growth_trend": growth_trends(raw, [cc], year)[int(cc)],
                "lonlat": lonlat_of(raw, cc),
                "data": f"CINC of {r.cinc_year}, polity2 of {r.polity_year} ({r.polity_flag}), durable {r.durable_flag}"}

    event_lines, counts = ev.build_events(start_year=start, end_year=end, spells=raw.states, present=raw.present,
                                          entry_row=entry_row, m=raw.memberships, institutions=inst_names,
                                          rivalries=rivalries_all, fmt=fmt_float)

    # the states table: step 0 and each entering state in its entry year
    rows = [df.assign(step=0)]
    for y in range(start + 1, end + 1):
        new = raw.present(y) - raw.present(y - 1)
        if new:
            rows.append(tables[y][tables[y].ccode.isin(new)].assign(step=y - start))
    states = pd.concat(rows, ignore_index=True)
    states["distance_source"] = states.ccode.map(source_of)
    states = states[["step", "year", *STATE_COLUMNS, "cinc_year", "polity_year"]]
    # the forcing file: every state present in each year start+1 .. end
    panel = pd.concat([tables[y] for y in range(start + 1, end + 1)], ignore_index=True)
    panel["flag"] = [data_flag(r) for r in panel.itertuples()]
    forcing = panel.rename(columns={"name": "state", "cinc": "capability"})[["year", "state", "capability", "regime", "flag"]]

    args.out_data.mkdir(parents=True, exist_ok=True)
    out_scenario.parent.mkdir(parents=True, exist_ok=True)
    states_path = args.out_data / f"{stem}_states.csv"
    dist_path = args.out_data / f"{stem}_distances.csv"
    forcing_path = args.out_data / f"{stem}_forcing.csv"
    states_path.write_bytes(to_csv_bytes(states))
    dist_path.write_bytes(to_csv_bytes(dist[["a", "b", "km"]]))
    forcing_path.write_bytes(to_csv_bytes(forcing))
    record_path, record = write_record(raw, args.out_data)
    rel = lambda p: Path(os.path.relpath(p.resolve(), out_scenario.resolve().parent)).as_posix()  # noqa: E731
    include = None if args.calibrated is None else write_calibrated_overlay(
        args.out_data / f"{out_scenario.stem}{CALIBRATED_SUFFIX}", out_scenario, args.calibrated, inst_names, static=False)

    n_enter, n_exit = counts["enter"], counts["exit"]
    cmd = f"python scenarios/data/build_world.py --year {first} --end-year {end}" + (
        f" --out-scenario {shown_path(out_scenario)}" if out_scenario.name != default_name else "") + (
        f" --mode {args.mode}" if args.mode != "free" else "") + (
        f" --sovereignty-rule {args.sovereignty_rule}" if args.sovereignty_rule != "capability-rank" else "") + (
        f" --rivalries {shown_path(args.rivalries)}" if args.rivalries.resolve() != DATA_DIR / "rivalries.csv" else "") + (
        calibrated_flag(args))
    n_carried = int((forcing.flag != "observed").sum())
    header = [
        f"The real world from {first} to {end} as a historical scenario (a hindcast).",
        f"Step 0 is the COW state system on 31 Dec {start}, the world as {first} begins; step s is the calendar",
        f"year {start} + s (history.start_year = {start}), so the events of {first} happen at step 1.",
        "Every change from then on is a scheduled event with its source row: states entering and leaving",
        "the system, institutions founded and dissolved, recorded accessions and withdrawals (record: true,",
        "applied only in history.mode imposed; the model's own membership decisions run otherwise).",
        "GENERATED FILE -- do not edit by hand.  Regenerate with:",
        f"  {cmd}",
        "Data: COW State System v2016; COW NMC v6.0 (CINC); Polity5 (Marshall & Gurr); Gleditsch & Ward",
        "capital distances; NATO/SCO accession years; WTO membership dates (scenarios/data/README.md, docs/history.md).",
        f"Forcing file: {len(forcing)} rows, {n_carried} not plainly observed (column flag: regime imputed, or past the data",
        f"the last year carried forward -- the state list and CINC from {NMC_LAST}, Polity5 from {POLITY_LAST}).",
        f"States at step 0: {len(df)}; entering: {n_enter}; leaving: {n_exit}; ever present: {len(ever)}.  "
        f"Distance pairs imputed: {int((dist.source != 'capdist').sum())} of {len(dist)}.",
        f"Polity2 imputed (region median) at step 0: {int((~df.polity_flag.str.startswith('observed')).sum())}.  "
        "Sovereignty and governance are stated proxies (README: Assumptions).",
        f"Institutions at step 0: {', '.join(at0) or 'none'}; founded later: {', '.join(later) or 'none'}.",
        "Events: " + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "rivalries_never_together") + ".",
    ]
    if riv_skipped:
        header.append("Rivalries skipped (a side never in the system): " + ", ".join(riv_skipped) + ".")
    if counts["rivalries_never_together"]:
        header.append(f"Rivalries whose sides are never in the system together: {counts['rivalries_never_together']}.")
    history = {"start_year": start, "mode": args.mode, "forcing_file": rel(forcing_path)}
    doc = write_scenario(out_scenario, header=header, name=out_scenario.stem,
                         description=f"The state system from {first} to {end} (COW), CINC capabilities, Polity5 regimes "
                         f"and capital distances, with {phrase([ARTICLE[n] + n for n in inst_names])}; "
                         "states, institutions and memberships change by scheduled events from the record.",
                         seed=args.seed, steps=end - start, history=history, distance_rel=rel(dist_path),
                         df=df.assign(lonlat=[lonlat_of(raw, c) for c in df.ccode]), rivalries=rivalries, blocks=blocks,
                         event_lines=event_lines, mechanisms=HISTORY_MECHANISMS, include=include)
    replay(doc, record, start, end)

    print(f"{first}-{end}: step 0 = 31 Dec {start}: {len(df)} states; entering {n_enter}, leaving {n_exit}; "
          f"ever present {len(ever)}; institutions at step 0: {', '.join(at0) or 'none'}; founded later: "
          f"{', '.join(later) or 'none'}")
    print("events: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"wrote {states_path}, {dist_path}, {forcing_path}, {record_path}, {out_scenario}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--year", type=int, default=2016, help=f"state-system year ({MIN_YEAR}-{MAX_YEAR}; default 2016); "
                    "with --end-year the first simulated year")
    ap.add_argument("--end-year", type=int, default=None, help=f"last simulated year (<= {MAX_END_YEAR}); default: "
                    "--year, a static world")
    ap.add_argument("--membership-year", type=int, default=None, help="static worlds: members on 31 Dec of this year "
                    f"(default: --year, or {RECORD_LAST} for the last data year {MAX_YEAR})")
    ap.add_argument("--mode", choices=["free", "forced", "imposed"], default="free", help="history.mode of a historical world")
    ap.add_argument("--out-scenario", type=Path, default=None, help="scenario YAML (default scenarios/world_<year>.yaml; "
                    "scenarios/world_<year>_members_<membership-year>.yaml for another membership year; "
                    "scenarios/world_<year>_<end-year>.yaml for a historical world)")
    ap.add_argument("--out-data", type=Path, default=DATA_DIR, help="folder for the data tables (default scenarios/data)")
    ap.add_argument("--raw", type=Path, default=DATA_DIR / "raw", help="folder with the raw files (default scenarios/data/raw)")
    ap.add_argument("--rivalries", type=Path, default=DATA_DIR / "rivalries.csv", help="rivalry list a,b,intensity,source,...")
    ap.add_argument("--sovereignty-rule", choices=["capability-rank", "neutral"], default="capability-rank")
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--calibrated", type=Path, default=CALIBRATED, help="the calibrated parameter set the world includes, "
                    "restricted to its institutions (default calibration/coldwar_calibrated.yaml; docs/calibration.md)")
    ap.add_argument("--no-calibrated", dest="calibrated", action="store_const", const=None,
                    help="build the world on the model's defaults (no include)")
    ap.add_argument("--steps", type=int, default=None, help="static worlds (default 50); a historical world has end - start + 1")
    args = ap.parse_args(argv)

    if not MIN_YEAR <= args.year <= MAX_YEAR:
        fail(f"--year must be in {MIN_YEAR}-{MAX_YEAR} (the state list and NMC v6.0 end in {MAX_YEAR})")
    end = args.year if args.end_year is None else args.end_year
    if not args.year <= end <= MAX_END_YEAR:
        fail(f"--end-year must be in {args.year}-{MAX_END_YEAR}")
    for fname, digest in RAW_SHA256.items():
        if not (args.raw / fname).is_file():
            fail(f"missing raw file {args.raw / fname}")
        if sha256(args.raw / fname) != digest:
            fail(f"{args.raw / fname}: sha256 differs from PROVENANCE.md")
    if args.calibrated is not None and not args.calibrated.is_file():
        fail(f"missing calibrated overlay {args.calibrated}; expected calibration/coldwar_calibrated.yaml (or --no-calibrated)")
    raw = Raw(args.raw)
    if end == args.year:
        if args.mode != "free":
            fail("--mode is for historical worlds (--end-year after --year)")
        build_static(args, raw)
    else:
        args.end_year = end
        build_history(args, raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
