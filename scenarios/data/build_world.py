#!/usr/bin/env python3
"""Build the real-world scenario (the state system of one year, NATO and the SCO) from raw data.

Inputs (``--raw``, default ``scenarios/data/raw``; checked against their sha256):
  states2016.csv           COW State System Membership v2016: who is a state at the end of the year
  NMC-60-abridged.csv      COW National Material Capabilities v6.0: CINC -> capability
  p5v2018.csv              Polity5: polity2 -> regime; durable -> governance
  capdist.csv              Gleditsch capital distances -> world_<year>_distances.csv
  nato_sco_membership.csv  NATO and SCO members with accession years (hand-compiled)
and ``scenarios/data/rivalries.csv`` (hand-compiled, sourced list of rivalries).

Outputs (same bytes on every run; nothing depends on time, locale or dictionary order):
  <out-data>/world_<year>_states.csv      one row per state, with every imputation flagged
  <out-data>/world_<year>_distances.csv   a,b,km for every unordered pair (a < b)
  <out-scenario>                          the scenario YAML (default scenarios/world_<year>.yaml)

Every rule below is documented, with counts, in scenarios/data/README.md and docs/real-world.md.

    python scenarios/data/build_world.py                                   # world_2016.yaml
    python scenarios/data/build_world.py --membership-year 2001 --out-scenario scenarios/world_2001.yaml
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

DATA_DIR = Path(__file__).resolve().parent
SCENARIO_DIR = DATA_DIR.parent

# sha256 of the raw files, as listed in shared/data/PROVENANCE.md.
RAW_SHA256 = {
    "NMC-60-abridged.csv": "cd8465ea476da51d3e91261e216e96cfaf1fbf309dbe6bfc25a99bfb9fa7cfde",
    "p5v2018.csv": "bc58a058bab72bafd5046b9ad56c29f448ea6753dd24853464f8227eedd78172",
    "states2016.csv": "dbb5d20c4c410fac2a5f751633c8ab144afbb7f4853f15c4cfef26deb69afd00",
    "capdist.csv": "aa4c56943089034d76bec4fdad90267d06693afaa19eec19ebe5d56ce881dc42",
    "nato_sco_membership.csv": "4e39522d57914da4e4735b94d6fba342ff7ac963b26cd5cb3ef46007cd2ba20b",
}

# Years for which the crosswalks below hold: NMC v6.0 ends in 2016; the COW/Polity code
# differences for Sudan and South Sudan start in 2011.
MIN_YEAR, MAX_YEAR = 2011, 2016

# ---------------------------------------------------------------------------------------
# Polity5 uses its own country codes where COW's differ (checked by country name, 2011-2016).
# COW ccode -> Polity ccode.  Without this, a plain ccode merge gives Montenegro (COW 341) the
# score of Kosovo (Polity 341) and South Sudan (COW 626) that of Sudan (Polity 626 "Sudan-North").
COW_TO_POLITY = {
    341: 348,  # Montenegro        (Polity 341 is Kosovo)
    345: 342,  # Serbia (COW "YUG", Yugoslavia)  -> Polity "Serbia"
    347: 341,  # Kosovo
    530: 529,  # Ethiopia
    625: 626,  # Sudan             -> Polity "Sudan-North"
    626: 525,  # South Sudan
    816: 818,  # Vietnam
}
# Polity country names the crosswalk must hit (a guard against a silently wrong merge).
POLITY_NAME_CHECK = {348: "Montenegro", 342: "Serbia", 341: "Kosovo", 529: "Ethiopia",
                     626: "Sudan-North", 525: "South Sudan", 818: "Vietnam"}

# Regions by COW code range (the COW list numbers states by region).
REGIONS = [(2, 165, "Americas"), (200, 399, "Europe"), (400, 626, "Africa"),
           (630, 698, "Middle East"), (700, 899, "Asia"), (900, 999, "Oceania")]

# Governance proxy g from Polity `durable` (years since the last regime transition):
#   g = G_MIN + (G_MAX - G_MIN) * min(1, ln(1 + D) / ln(1 + D_REF))
G_MIN, G_MAX, D_REF = 0.2, 0.9, 100.0
# Sovereignty proxy sigma from the capability rank (Morrow 1991, autonomy-security trade-off):
#   sigma = S_MIN + (S_MAX - S_MIN) * (rank - 1) / (N - 1), rank 1 = smallest CINC (ties averaged)
S_MIN, S_MAX = 0.25, 0.75
PROXY_DECIMALS = 4

# Membership: a member state whose COW code left the system is continued by its successor.
SUCCESSOR = {260: 255}  # German Federal Republic (NATO 1955) -> Germany (unified 1990-10-03)

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


def fmt_float(x: float) -> str:
    """Shortest round-tripping form, always read back by YAML 1.1 as a float."""
    s = repr(float(x))
    if "e" in s and "." not in s:
        s = s.replace("e", ".0e", 1)
    return s


# ---------------------------------------------------------------------------------------
# The state table
# ---------------------------------------------------------------------------------------


def system_members(raw: Path, year: int) -> pd.DataFrame:
    """States in the COW system on 31 December of ``year`` (one row per state)."""
    s = pd.read_csv(raw / "states2016.csv")
    s = s.loc[:, [c for c in s.columns if not c.startswith("Unnamed")]]
    start = s.styear * 10000 + s.stmonth * 100 + s.stday
    end = s.endyear * 10000 + s.endmonth * 100 + s.endday
    day = year * 10000 + 1231
    cur = s[(start <= day) & (end >= day)].copy()
    if cur.ccode.duplicated().any():
        fail("a state has two spells covering the year")
    cur = cur.rename(columns={"stateabb": "name", "statenme": "country"})
    cur["system_entry_year"] = cur.styear
    return cur[["name", "ccode", "country", "system_entry_year"]].sort_values("ccode").reset_index(drop=True)


def add_capability(df: pd.DataFrame, raw: Path, year: int) -> pd.DataFrame:
    n = pd.read_csv(raw / "NMC-60-abridged.csv")
    n = n[n.year == year][["ccode", "stateabb", "cinc"]]
    m = df.merge(n, on="ccode", how="left", validate="one_to_one")
    if m.cinc.isna().any() or (m.cinc <= 0).any():
        fail(f"no positive CINC for {sorted(m.loc[m.cinc.isna() | (m.cinc <= 0), 'name'])}")
    if (m.stateabb != m.name).any():
        fail("NMC and the state list disagree on a state abbreviation")
    return m.drop(columns="stateabb")


def add_polity(df: pd.DataFrame, raw: Path, year: int) -> pd.DataFrame:
    p = pd.read_csv(raw / "p5v2018.csv", low_memory=False)
    p_year = p[p.year == year].set_index("ccode")
    for pc, name in POLITY_NAME_CHECK.items():
        if pc in p_year.index and p_year.at[pc, "country"] != name:
            fail(f"Polity ccode {pc} is {p_year.at[pc, 'country']!r}, expected {name!r}")
    df = df.copy()
    df["region"] = [region_of(c) for c in df.ccode]
    df["polity_ccode"] = [COW_TO_POLITY.get(c, c) for c in df.ccode]
    if df.polity_ccode.duplicated().any():
        fail("two states map to one Polity code")
    has_row = df.polity_ccode.isin(p_year.index)
    df.loc[~has_row, "polity_ccode"] = np.nan
    df["polity_ccode"] = df.polity_ccode.astype("Int64")
    get = lambda col: [p_year.at[int(pc), col] if pd.notna(pc) else np.nan for pc in df.polity_ccode]  # noqa: E731
    df["polity_country"] = get("country")
    df["polity_code"] = pd.array(get("polity"), dtype="Int64")  # raw `polity`, incl. -66/-77/-88
    df["polity2"] = pd.array(get("polity2"), dtype="float64")
    durable = pd.array(get("durable"), dtype="float64")

    # polity2: Polity's own rules already turn -77 into 0 and interpolate -88; -66 stays missing.
    observed = df.polity2.notna()
    medians = df[observed].groupby("region").polity2.median()
    df["polity2_used"] = df.polity2.where(observed, df.region.map(medians))
    flag = np.where(observed, np.where(df.polity_ccode.astype("float") != df.ccode, "observed_crosswalk", "observed"),
                    np.where(has_row, "imputed_region_median_polity2_missing", "imputed_region_median_not_in_polity"))
    df["polity_flag"] = flag
    df["regime"] = (df.polity2_used + 10.0) / 20.0

    # durable: observed; else carried forward from the last observed year of the same Polity
    # series (+1 per year); else (no Polity row) years since entry into the state system.
    df["durable"] = durable
    used, dflag = [], []
    for pc, d, entry in zip(df.polity_ccode, durable, df.system_entry_year):
        if pd.notna(d):
            used.append(float(d)); dflag.append("observed")
            continue
        if pd.notna(pc):
            hist = p[(p.ccode == int(pc)) & (p.year < year) & p.durable.notna()]
            if len(hist):
                last = hist.sort_values("year").iloc[-1]
                used.append(float(last.durable + (year - last.year))); dflag.append("carried_forward")
                continue
        used.append(float(year - entry)); dflag.append("system_tenure")
    df["durable_used"] = used
    df["durable_flag"] = dflag
    g = G_MIN + (G_MAX - G_MIN) * np.minimum(1.0, np.log1p(df.durable_used) / math.log1p(D_REF))
    df["governance"] = g.round(PROXY_DECIMALS)
    return df


def add_sovereignty(df: pd.DataFrame, rule: str) -> pd.DataFrame:
    df = df.copy()
    if rule == "neutral":
        df["sovereignty"] = 0.5
    else:
        rank = df.cinc.rank(method="average")
        df["sovereignty"] = (S_MIN + (S_MAX - S_MIN) * (rank - 1) / (len(df) - 1)).round(PROXY_DECIMALS)
    return df


# ---------------------------------------------------------------------------------------
# Distances
# ---------------------------------------------------------------------------------------


def build_distances(df: pd.DataFrame, raw: Path) -> tuple[pd.DataFrame, dict[int, str]]:
    c = pd.read_csv(raw / "capdist.csv")
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
        if any(p not in present or p not in codes for p in cands):
            fail(f"a proxy candidate for {name[x]} is not in capdist and the system")
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


def members(raw: Path, org: str, upto: int, df: pd.DataFrame) -> tuple[list[str], list[str]]:
    m = pd.read_csv(raw / "nato_sco_membership.csv")
    m = m[(m.org == org) & (m.join_year <= upto)]
    in_system = dict(zip(df.ccode, df.name))
    names, missing = [], []
    for cc, abb, country in zip(m.ccode, m.stateabb, m.country):
        cc = SUCCESSOR.get(cc, cc)
        if cc in in_system:
            if in_system[cc] not in names:
                names.append(in_system[cc])
        else:
            missing.append(f"{abb} ({country})")
    return names, missing


def load_rivalries(path: Path, df: pd.DataFrame) -> tuple[list[tuple[str, str, float, str]], list[str]]:
    r = pd.read_csv(path, comment="#")
    names = set(df.name)
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
# Scenario YAML (hand-written for a readable layout; checked by reading it back)
# ---------------------------------------------------------------------------------------


def write_scenario(path: Path, *, df, year, myear, seed, steps, distance_rel, nato, sco, rivalries, header) -> None:
    L = [f"# {line}".rstrip() for line in header]
    L += [
        f"name: {path.stem}",
        f"description: The state system of {year} (COW) with CINC capabilities, Polity5 regimes and capital "
        f"distances; NATO and the SCO with their members as of {myear}.",
        f"seed: {seed}",
        f"steps: {steps}",
        "world:",
        f"  distance_file: {distance_rel}",
        "  states:  # name = COW stateabb; capability = CINC; regime = (polity2 + 10) / 20",
    ]
    for r in df.itertuples():
        L.append(f"    - {{name: {r.name}, capability: {fmt_float(r.cinc)}, regime: {fmt_float(r.regime)}, "
                 f"sovereignty: {fmt_float(r.sovereignty)}, governance: {fmt_float(r.governance)}}}")
    L.append("rivalries:  # source in scenarios/data/rivalries.csv")
    for a, b, k, src in rivalries:
        L.append(f"  - {{a: {a}, b: {b}, intensity: {fmt_float(k)}}}  # {src}")
    L += [
        "institutions:",
        "  NATO:",
        "    kind: hegemonic",
        "    leader: USA",
        f"    description: North Atlantic Treaty Organization, members with accession year <= {myear}",
        f"    founders: [{', '.join(nato)}]",
        "  SCO:",
        "    kind: dialogue",
        f"    description: Shanghai Cooperation Organisation, members with accession year <= {myear}",
        f"    founders: [{', '.join(sco)}]",
    ]
    text = "\n".join(L) + "\n"
    # Read back: every value must survive the YAML round trip exactly.
    doc = yaml.safe_load(text)
    got = doc["world"]["states"]
    for r, s in zip(df.itertuples(), got):
        if (s["name"], s["capability"], s["regime"], s["sovereignty"], s["governance"]) != (
                r.name, float(r.cinc), float(r.regime), float(r.sovereignty), float(r.governance)):
            fail(f"YAML round trip changed state {r.name}")
    if len(got) != len(df) or doc["institutions"]["NATO"]["founders"] != nato or doc["institutions"]["SCO"]["founders"] != sco:
        fail("YAML round trip changed the state list or the memberships")
    path.write_bytes(text.encode("utf-8"))


def shown_path(path: Path) -> str:
    """A path as shown in the generated header: relative to the project root, else its file name
    (so that the output does not depend on where a temporary build was written)."""
    try:
        return path.resolve().relative_to(SCENARIO_DIR.parent).as_posix()
    except ValueError:
        return path.name


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--year", type=int, default=2016, help=f"state-system year ({MIN_YEAR}-{MAX_YEAR}; default 2016)")
    ap.add_argument("--membership-year", type=int, default=2024, help="NATO/SCO members with join_year <= this (default 2024)")
    ap.add_argument("--out-scenario", type=Path, default=None, help="scenario YAML (default scenarios/world_<year>.yaml, "
                    "or scenarios/world_<year>_members_<membership-year>.yaml for another membership year)")
    ap.add_argument("--out-data", type=Path, default=DATA_DIR, help="folder for the state and distance tables (default scenarios/data)")
    ap.add_argument("--raw", type=Path, default=DATA_DIR / "raw", help="folder with the raw files (default scenarios/data/raw)")
    ap.add_argument("--rivalries", type=Path, default=DATA_DIR / "rivalries.csv", help="rivalry list a,b,intensity,source,...")
    ap.add_argument("--sovereignty-rule", choices=["capability-rank", "neutral"], default="capability-rank")
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args(argv)

    if not MIN_YEAR <= args.year <= MAX_YEAR:
        fail(f"--year must be in {MIN_YEAR}-{MAX_YEAR} (NMC v6.0 ends in 2016; the COW/Polity crosswalk holds from 2011)")
    raw = args.raw
    for fname, digest in RAW_SHA256.items():
        if not (raw / fname).is_file():
            fail(f"missing raw file {raw / fname}")
        if sha256(raw / fname) != digest:
            fail(f"{raw / fname}: sha256 differs from PROVENANCE.md")
    default_name = f"world_{args.year}.yaml" if args.membership_year == 2024 else f"world_{args.year}_members_{args.membership_year}.yaml"
    out_scenario = args.out_scenario or SCENARIO_DIR / default_name

    df = system_members(raw, args.year)
    df = add_capability(df, raw, args.year)
    df = add_polity(df, raw, args.year)
    df = add_sovereignty(df, args.sovereignty_rule)
    dist, proxies = build_distances(df, raw)
    nato, nato_missing = members(raw, "NATO", args.membership_year, df)
    sco, sco_missing = members(raw, "SCO", args.membership_year, df)
    if "USA" not in nato:
        fail("the leader USA is not a NATO member in this membership year")
    rivalries, riv_skipped = load_rivalries(args.rivalries, df)

    df["distance_source"] = [f"proxy:{proxies[c]}" if c in proxies else "capdist" for c in df.ccode]
    cols = ["name", "ccode", "country", "region", "system_entry_year", "cinc", "polity_ccode", "polity_country",
            "polity_code", "polity2", "polity2_used", "polity_flag", "regime", "durable", "durable_used",
            "durable_flag", "governance", "sovereignty", "distance_source"]
    states = df[cols]

    args.out_data.mkdir(parents=True, exist_ok=True)
    out_scenario.parent.mkdir(parents=True, exist_ok=True)
    states_path = args.out_data / f"world_{args.year}_states.csv"
    dist_path = args.out_data / f"world_{args.year}_distances.csv"
    states_path.write_bytes(to_csv_bytes(states))
    dist_path.write_bytes(to_csv_bytes(dist[["a", "b", "km"]]))
    distance_rel = Path(os.path.relpath(dist_path.resolve(), out_scenario.resolve().parent)).as_posix()

    n_imp_pol = int((~states.polity_flag.str.startswith("observed")).sum())
    n_imp_dist = int((dist.source != "capdist").sum())
    cmd = "python scenarios/data/build_world.py" + (f" --year {args.year}" if args.year != 2016 else "") + (
        f" --membership-year {args.membership_year}" if args.membership_year != 2024 else "") + (
        f" --out-scenario {shown_path(out_scenario)}" if out_scenario.name != default_name else "") + (
        f" --sovereignty-rule {args.sovereignty_rule}" if args.sovereignty_rule != "capability-rank" else "") + (
        f" --rivalries {shown_path(args.rivalries)}" if args.rivalries.resolve() != DATA_DIR / "rivalries.csv" else "")
    header = [
        f"The real world of {args.year} as a scenario: every state of the COW state system on 31 Dec {args.year},",
        "with NATO (hegemonic, leader USA) and the SCO (dialogue) as their members were in "
        f"{args.membership_year}.",
        "For comparing the model's rule sets on the real distribution of power, regimes and distance.",
        "GENERATED FILE -- do not edit by hand.  Regenerate with:",
        f"  {cmd}",
        "Data: COW State System v2016; COW NMC v6.0 (CINC); Polity5 (Marshall & Gurr); Gleditsch & Ward",
        "capital distances; NATO/SCO accession years (see scenarios/data/README.md for citations and rules).",
        f"States: {len(states)}.  Polity2 imputed (region median): {n_imp_pol}.  "
        f"Distance pairs imputed: {n_imp_dist} of {len(dist)}.",
        "Sovereignty and governance are stated proxies, not measurements (README: Assumptions).",
        f"NATO: {len(nato)} members; SCO: {len(sco)} members "
        f"(join_year <= {args.membership_year}; GFR counted as Germany).",
        "Members not in the state system: " + (", ".join(nato_missing + sco_missing) or "none") + ".",
    ]
    if riv_skipped:
        header.append("Rivalries skipped (a side not in the system): " + ", ".join(riv_skipped) + ".")
    write_scenario(out_scenario, df=states, year=args.year, myear=args.membership_year, seed=args.seed,
                   steps=args.steps, distance_rel=distance_rel, nato=nato, sco=sco, rivalries=rivalries, header=header)

    print(f"states: {len(states)}; polity2 imputed: {n_imp_pol}; durable not observed: "
          f"{int((states.durable_flag != 'observed').sum())}; distance pairs imputed: {n_imp_dist} "
          f"(states absent from capdist: {', '.join(f'{df.set_index('ccode').at[c, 'name']}->{p}' for c, p in proxies.items())})")
    print(f"NATO ({args.membership_year}): {len(nato)}; SCO: {len(sco)}; not in system: {nato_missing + sco_missing or 'none'}")
    print(f"rivalries: {len(rivalries)}; skipped: {riv_skipped or 'none'}")
    print(f"wrote {states_path}, {dist_path}, {out_scenario}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
