#!/usr/bin/env python3
"""Capitals' longitude and latitude for every state of the COW system since 1946, checked
against the Gleditsch capital distances, for the map of the real and historical worlds.

The model never reads these coordinates (its distances are capdist's); the browser app draws
the real worlds at them.  So the one rule is: a state's point must agree with the distances the
model uses.  Steps (counts and sources in scenarios/data/README.md, "Capitals"):

1. The capital's name: the COW state's capitals by year (peacesciencer ``capitals.csv``), every
   capital it had in a spell that reaches 1946 or later.
2. Its coordinates: the same capital in the techslides country-capitals table (name matched
   after folding accents, case and punctuation, plus ``ALIASES`` for spellings that differ; an
   ambiguous name goes to the row whose country shares a word with the COW state's name).
   Where a state had several capitals, the one that agrees best with capdist is kept (capdist
   has one point per state).
3. States with no match (capitals absent from a modern list: Bonn, East Berlin, Saigon, Aden,
   Zanzibar, ...) are placed by least squares: the point whose great-circle distances to the
   matched capitals best fit capdist's ``kmdist`` (``scipy.optimize.least_squares``, started at
   the nearest matched capital).
4. The check: for every state in capdist, the haversine distance (R = 6371 km) to every other
   state vs ``kmdist``; the median and the largest error per state are written to the table,
   and the build fails (exit 2, naming the states) when a state's median error exceeds
   ``TOL_MEDIAN_KM`` or its largest exceeds ``TOL_MAX_KM``.  States absent from capdist (Kosovo,
   South Sudan, Kiribati, Tuvalu, Tonga, Nauru: build_world.py gives them proxy distances) keep
   their listed coordinates, unchecked (``source`` says so).

Output: ``scenarios/data/capitals.csv`` (``ccode,state,capital,lon,lat,source,median_error_km,
max_error_km``), the same bytes on every run.

    python scenarios/data/build_capitals.py
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

DATA_DIR = Path(__file__).resolve().parent
EARTH_RADIUS_KM = 6371.0
FIRST_YEAR = 1946  # the earliest world build_world.py makes

RAW_SHA256 = {
    "capitals_peacesciencer.csv": "6508daa5be079bda68e3e1bf1ac917cb200696d9e6d8c1caeda21ea18f0a91d3",
    "country-capitals.csv": "66bbe3355e3a8257cb45a145f1b7bf418fd7971a7d4c1438ae301293bea133d5",
    "capdist.csv": "aa4c56943089034d76bec4fdad90267d06693afaa19eec19ebe5d56ce881dc42",
    "states2016.csv": "dbb5d20c4c410fac2a5f751633c8ab144afbb7f4853f15c4cfef26deb69afd00",
}

#: peacesciencer spelling -> techslides spelling, where the two differ.
ALIASES = {
    "Washington D.C.": "Washington, D.C.",
    "Luxembourg City": "Luxembourg",
    "Kiev": "Kyiv",
    "Djibouti City": "Djibouti",
    "Jerusalem": "West Jerusalem",
    "South Tarawa": "Tarawa",
    "St. George's": "Saint George's",
    "St. John's": "Saint John's",
}

#: States that capdist measures from a former capital missing from the modern list: fitted to
#: capdist (the point the model's distances use), whatever the list matches.
FIT_INSTEAD = {
    475: "capdist measures Nigeria from Lagos (capital to 1991), not Abuja",
    705: "capdist measures Kazakhstan from Almaty (capital 1991-1998), not Astana",
}
#: States whose capdist point is not their capital: the listed capital is kept (it is where the
#: state is), its errors are reported but do not fail the build, and it is no one's partner in
#: the check or a fit.
CAPDIST_OFF = {
    983: "capdist's point for the Marshall Islands lies ~400 km west of Majuro (near Kwajalein)",
    990: "capdist's point for Samoa lies at ~172 E, not Apia's 171.8 W (the longitude's sign)",
}
#: Tolerance of the check, per state, km.  Between correct capitals capdist differs from the
#: great circle by a median of ~25 km (its own points are coarse: in southern Africa and the
#: South Pacific they lie up to ~1 degree north); a wrong city (Astana for Almaty) is 700 km off.
TOL_MEDIAN_KM = 200.0
TOL_MAX_KM = 500.0
DECIMALS = 3  # ~100 m


def fail(msg: str) -> None:
    print(f"build_capitals: error: {msg}", file=sys.stderr)
    raise SystemExit(2)


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance, km (arrays broadcast)."""
    l1, p1, l2, p2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def fold(name: str) -> str:
    """A capital's name without accents, case or punctuation (for matching)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z]+", name.lower()) if len(w) > 2}


def read_raw(raw: Path, name: str) -> str:
    path = raw / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"{path}: cannot read ({exc.strerror})")
    if hashlib.sha256(data).hexdigest() != RAW_SHA256[name]:
        fail(f"{path}: sha256 differs from the one listed in scenarios/data/README.md")
    return data.decode("utf-8")


def gazetteer(text: str) -> list[tuple[str, str, float, float]]:
    """(country, capital, lon, lat) rows of the techslides table.  Two rows carry an unquoted
    comma ("Washington, D.C."): a row of 7 fields is read with fields 2-3 as the capital."""
    rows = list(csv.reader(io.StringIO(text)))
    out = []
    for r in rows[1:]:
        if len(r) == 7:
            r = [r[0], f"{r[1]},{r[2]}", *r[3:]]
        if len(r) != 6 or r[1] == "N/A":
            continue
        out.append((r[0], r[1], float(r[3]), float(r[2])))
    return out


def states(text: str) -> dict[int, tuple[str, str]]:
    """COW ccode -> (stateabb, statenme) for states with a spell ending in FIRST_YEAR or later."""
    out: dict[int, tuple[str, str]] = {}
    for r in csv.DictReader(io.StringIO(text)):
        if int(r["endyear"]) >= FIRST_YEAR:
            out.setdefault(int(r["ccode"]), (r["stateabb"], r["statenme"]))
    return out


def capital_names(text: str) -> dict[int, list[str]]:
    """COW ccode -> capitals (in file order) of spells that reach FIRST_YEAR or later."""
    out: dict[int, list[str]] = {}
    for r in csv.DictReader(io.StringIO(text)):
        if int(r["endyear"]) >= FIRST_YEAR and int(r["endyear"]) >= int(r["styear"]):
            names = out.setdefault(int(r["ccode"]), [])
            if r["capital"] not in names:
                names.append(r["capital"])
    return out


def capdist_matrix(text: str, codes: list[int]) -> np.ndarray:
    """kmdist between ``codes`` (NaN where capdist has no pair)."""
    index = {c: i for i, c in enumerate(codes)}
    d = np.full((len(codes), len(codes)), np.nan)
    np.fill_diagonal(d, 0.0)
    for r in csv.DictReader(io.StringIO(text)):
        a, b = index.get(int(r["numa"])), index.get(int(r["numb"]))
        if a is not None and b is not None:
            d[a, b] = float(r["kmdist"])
    return d


def errors(lon: np.ndarray, lat: np.ndarray, d: np.ndarray) -> np.ndarray:
    """|haversine - capdist| for every pair (NaN where either point or the distance is unknown)."""
    e = np.abs(haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :]) - d)
    np.fill_diagonal(e, np.nan)
    return e


def fit_point(lon: np.ndarray, lat: np.ndarray, d: np.ndarray) -> tuple[float, float]:
    """The point whose great-circle distances to (lon, lat) best fit ``d`` (least squares)."""
    start = int(np.argmin(d))

    def resid(p):
        return haversine_km(p[0], p[1], lon, lat) - d

    best = least_squares(resid, x0=[lon[start], lat[start]], bounds=([-180, -90], [180, 90]))
    return float(best.x[0]), float(best.x[1])


def check_table(names: list[str], lon, lat, d: np.ndarray, partner: np.ndarray, judged: np.ndarray):
    """Per-state median and largest |haversine - capdist| against the ``partner`` states, and the
    ``judged`` states beyond tolerance (one message each)."""
    e = errors(lon, lat, np.where(partner[None, :], d, np.nan))
    has = np.isfinite(e).any(axis=1)
    med, big = np.full(len(names), np.nan), np.full(len(names), np.nan)
    med[has] = np.nanmedian(e[has], axis=1)
    big[has] = np.nanmax(e[has], axis=1)
    bad = [f"{names[i]}: median {med[i]:.0f} km, max {big[i]:.0f} km" for i in range(len(names))
           if judged[i] and has[i] and (med[i] > TOL_MEDIAN_KM or big[i] > TOL_MAX_KM)]
    return med, big, bad


def build(raw: Path) -> tuple[list[dict], dict]:
    """The table's rows, and a summary of the check."""
    system = states(read_raw(raw, "states2016.csv"))
    caps = capital_names(read_raw(raw, "capitals_peacesciencer.csv"))
    gaz = gazetteer(read_raw(raw, "country-capitals.csv"))
    codes = sorted(system)
    n = len(codes)
    missing = [c for c in codes if c not in caps]
    if missing:
        fail(f"states with no capital in capitals_peacesciencer.csv: {missing}")
    d = capdist_matrix(read_raw(raw, "capdist.csv"), codes)
    in_capdist = np.array([np.isfinite(np.delete(d[i], i)).any() for i in range(n)])
    off = np.array([c in CAPDIST_OFF for c in codes])

    by_name: dict[str, list[tuple[str, str, float, float]]] = {}
    for row in gaz:
        by_name.setdefault(fold(row[1]), []).append(row)

    def lookup(ccode: int, capital: str):
        rows = by_name.get(fold(ALIASES.get(capital, capital)), [])
        if len(rows) > 1:
            mine = _words(system[ccode][1])
            rows = sorted(rows, key=lambda r: -len(mine & _words(r[0])))
        return rows[0] if rows else None

    candidates = {c: [] if c in FIT_INSTEAD else [(cap, hit) for cap in caps[c] if (hit := lookup(c, cap)) is not None]
                  for c in codes}
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    capital, source = [""] * n, [""] * n
    for i, c in enumerate(codes):  # one candidate: placed now
        if len(candidates[c]) == 1:
            cap, hit = candidates[c][0]
            lon[i], lat[i], capital[i], source[i] = hit[2], hit[3], cap, f"country-capitals ({hit[0]}: {hit[1]})"
    for i, c in enumerate(codes):  # several: the one that agrees best with capdist
        if len(candidates[c]) > 1:
            known = np.isfinite(lon) & np.isfinite(d[i]) & ~off
            known[i] = False

            def median_error(hit):
                return float(np.median(np.abs(haversine_km(hit[2], hit[3], lon[known], lat[known]) - d[i, known])))

            cap, hit = min(candidates[c], key=lambda ch: (median_error(ch[1]), ch[0]))
            lon[i], lat[i], capital[i] = hit[2], hit[3], cap
            source[i] = f"country-capitals ({hit[0]}: {hit[1]}; of {' / '.join(x for x, _ in candidates[c])} the one nearest capdist)"
    anchors = np.isfinite(lon) & in_capdist & ~off
    for i, c in enumerate(codes):  # no match (or FIT_INSTEAD): fitted to capdist
        if np.isfinite(lon[i]):
            continue
        if not in_capdist[i]:
            fail(f"{system[c][0]} ({c}): no coordinates in country-capitals.csv and no capdist distances to fit")
        use = anchors & np.isfinite(d[i])
        use[i] = False
        lon[i], lat[i] = fit_point(lon[use], lat[use], d[i, use])
        capital[i] = " / ".join(caps[c])
        why = f"; {FIT_INSTEAD[c]}" if c in FIT_INSTEAD else ""
        source[i] = f"fitted to capdist ({int(use.sum())} capitals){why}"
    lon, lat = np.round(lon, DECIMALS), np.round(lat, DECIMALS)
    for i, c in enumerate(codes):
        if not in_capdist[i]:
            source[i] += "; not in capdist: unchecked"
        if c in CAPDIST_OFF:
            source[i] += f"; not failed: {CAPDIST_OFF[c]}"
    names = [f"{system[c][0]} ({c})" for c in codes]
    partner = in_capdist & ~off
    med, big, bad = check_table(names, lon, lat, d, partner, judged=partner)
    rows = [{"ccode": c, "state": system[c][0], "capital": capital[i], "lon": f"{lon[i]:.{DECIMALS}f}",
             "lat": f"{lat[i]:.{DECIMALS}f}", "source": source[i],
             "median_error_km": "" if np.isnan(med[i]) else f"{med[i]:.1f}",
             "max_error_km": "" if np.isnan(big[i]) else f"{big[i]:.1f}"} for i, c in enumerate(codes)]
    e = errors(lon, lat, d)[np.ix_(partner, partner)]
    summary = {"states": n, "matched": sum(s.startswith("country-capitals") for s in source),
               "fitted": sum(s.startswith("fitted") for s in source), "unchecked": int((~in_capdist).sum()),
               "off": int(off.sum()), "median_km": float(np.nanmedian(e)), "max_km": float(np.nanmax(e)),
               "p99_km": float(np.nanpercentile(e, 99)), "bad": bad}
    return rows, summary


COLUMNS = ["ccode", "state", "capital", "lon", "lat", "source", "median_error_km", "max_error_km"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=DATA_DIR / "raw", help="folder of the raw files")
    ap.add_argument("--out", type=Path, default=DATA_DIR / "capitals.csv")
    args = ap.parse_args(argv)
    rows, s = build(args.raw)
    print(f"build_capitals: {s['states']} states: {s['matched']} matched in country-capitals.csv, {s['fitted']} fitted "
          f"to capdist, {s['unchecked']} not in capdist, {s['off']} with capdist's point off; "
          f"|haversine - capdist| over the checked pairs: median {s['median_km']:.1f} km, 99th percentile {s['p99_km']:.0f} km, "
          f"max {s['max_km']:.0f} km (tolerance per state: median {TOL_MEDIAN_KM:g}, max {TOL_MAX_KM:g})")
    if s["bad"]:
        fail("coordinates disagree with capdist beyond the tolerance: " + "; ".join(s["bad"]))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    args.out.write_text(buf.getvalue(), encoding="utf-8")
    print(f"build_capitals: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
