#!/usr/bin/env python3
"""Observed dispute onset rates by year, the second pattern hindcasts are scored on.

Inputs (``--raw``, default ``scenarios/data/raw``; checked against their sha256):
  gml-ndy-disputes-2.0.csv   Gibler-Miller-Little MID v2.0, non-directed dispute dyad-years
  states2016.csv             COW state system membership (who is a state on 31 December)
  nato_sco_membership.csv    NATO and SCO accessions
  warsaw_pact_membership.csv the Warsaw Treaty Organization's members with leaving dates

Output: ``scenarios/data/observed_disputes.csv`` with one row per year and scope:

  year, scope, dyads, onset_dyads, rate_per_1000

Rules (each documented in docs/history.md, "Observed dispute rates"):
- A dyad is a pair of states both in the COW system on 31 December of the year (the model's
  world after that year's step).
- An onset dyad is such a dyad with at least one GML row with ``midonset == 1`` in that year:
  the model draws at most one dispute per dyad and year, so two disputes starting in one
  dyad in one year count once.  Onsets involving a state not in the system on 31 December are
  dropped (their count is printed).
- Scopes: ``world`` (all dyads), ``NATO``/``WTO``/``SCO`` (both states members on 31 December;
  the institution's ``dispute_rate`` in the model), ``intra`` (the two share at least one
  institution: the model's ``dispute_rate_intra``) and ``inter`` (the rest:
  ``dispute_rate_inter``).  An institution's rows start in the year it has two members.
- Membership on 31 December: NATO and the SCO from their accession year (no member has left);
  the WTO from 1955 until its leaving year (exclusive: Albania 1968, the GDR 1990, the rest at
  the dissolution on 1991-07-01).  West Germany (260) is continued by Germany (255) from 1990.
- rate_per_1000 = 1000 * onset_dyads / dyads, rounded to 6 decimals.

Years: 1946 to 2010 (the last year of GML v2.0).  The output is the same bytes on every run.

    python scenarios/data/build_disputes.py
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from itertools import combinations
from pathlib import Path

import pandas as pd

from simulation.history import gml
from simulation.history.gml import in_system

DATA_DIR = Path(__file__).resolve().parent

RAW_SHA256 = {
    "gml-ndy-disputes-2.0.csv": "0a9348672a92370d52567db7b18914f1d702c69e71d87ee191c1b055bacce911",
    "states2016.csv": "dbb5d20c4c410fac2a5f751633c8ab144afbb7f4853f15c4cfef26deb69afd00",
    "nato_sco_membership.csv": "4e39522d57914da4e4735b94d6fba342ff7ac963b26cd5cb3ef46007cd2ba20b",
    "warsaw_pact_membership.csv": "077ecee1ebd1633b153c9d0de03ea77514fd5c6a134a08eb108ceaaae5a8bdfc",
}
FIRST_YEAR, LAST_YEAR = 1946, gml.LAST_YEAR
#: Membership passes from a state that left the system to its continuation (West Germany).
SUCCESSOR = {260: (255, 1990)}
SCOPES_ORDER = ("world", "intra", "inter", "NATO", "WTO", "SCO")
RATE_DECIMALS = 6


def fail(message: str) -> None:
    print(f"build_disputes: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def members_by_year(raw: Path, year: int) -> dict[str, set[int]]:
    """Each institution's members (COW codes) on 31 December of ``year``."""
    out: dict[str, set[int]] = {}
    ns = pd.read_csv(raw / "nato_sco_membership.csv")
    for org in ("NATO", "SCO"):
        rows = ns[(ns.org == org) & (ns.join_year <= year)]
        out[org] = {_continued(int(c), year) for c in rows.ccode}
    w = pd.read_csv(raw / "warsaw_pact_membership.csv")
    out["WTO"] = {int(c) for c, j, l in zip(w.ccode, w.join_year, w.leave_year) if j <= year < l}
    return {k: v for k, v in out.items() if len(v) >= 2}


def _continued(ccode: int, year: int) -> int:
    succ = SUCCESSOR.get(ccode)
    return succ[0] if succ and year >= succ[1] else ccode


def onset_dyads(raw: Path) -> pd.DataFrame:
    """Distinct (year, a, b) with a < b and at least one dispute onset."""
    try:
        d = gml.onsets(raw / "gml-ndy-disputes-2.0.csv")
    except ValueError as e:
        fail(str(e))
    d = d[d.year.between(FIRST_YEAR, LAST_YEAR)]
    a, b = d[["ccode1", "ccode2"]].min(axis=1), d[["ccode1", "ccode2"]].max(axis=1)
    return pd.DataFrame({"year": d.year, "a": a, "b": b}).drop_duplicates().sort_values(["year", "a", "b"])


def yearly_rows(year: int, states: set[int], members: dict[str, set[int]], onsets: pd.DataFrame) -> tuple[list[tuple], int]:
    pairs = [(a, b) for a, b in zip(onsets.a, onsets.b) if a in states and b in states]
    dropped = len(onsets) - len(pairs)
    n = len(states)
    world_dyads = n * (n - 1) // 2
    shared = set()
    for m in members.values():
        shared |= {tuple(sorted(p)) for p in combinations(sorted(m & states), 2)}
    rows = [("world", world_dyads, len(pairs)),
            ("intra", len(shared), sum(p in shared for p in pairs)),
            ("inter", world_dyads - len(shared), sum(p not in shared for p in pairs))]
    for org in ("NATO", "WTO", "SCO"):
        if org in members:
            m = members[org] & states
            rows.append((org, len(m) * (len(m) - 1) // 2, sum(a in m and b in m for a, b in pairs)))
    return [(year, scope, dy, on, round(1000.0 * on / dy, RATE_DECIMALS) if dy else float("nan")) for scope, dy, on in rows], dropped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw", type=Path, default=DATA_DIR / "raw")
    ap.add_argument("--out", type=Path, default=DATA_DIR / "observed_disputes.csv")
    args = ap.parse_args(argv)
    for name, digest in RAW_SHA256.items():
        path = args.raw / name
        if not path.is_file():
            fail(f"missing raw file {path}")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            fail(f"{path}: sha256 differs from shared/data/PROVENANCE.md")
    onsets = onset_dyads(args.raw)
    system = pd.read_csv(args.raw / "states2016.csv")
    rows, dropped = [], 0
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        got, lost = yearly_rows(year, in_system(system, year), members_by_year(args.raw, year), onsets[onsets.year == year])
        rows += got
        dropped += lost
    out = pd.DataFrame(rows, columns=["year", "scope", "dyads", "onset_dyads", "rate_per_1000"])
    out["scope"] = pd.Categorical(out.scope, SCOPES_ORDER, ordered=True)
    out = out.sort_values(["year", "scope"]).reset_index(drop=True)
    out["scope"] = out.scope.astype(str)
    args.out.write_bytes(out.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    world = out[out.scope == "world"]
    print(f"years {FIRST_YEAR}-{LAST_YEAR}: {int(world.onset_dyads.sum())} onset dyad-years in {int(world.dyads.sum())} dyad-years "
          f"({1000 * world.onset_dyads.sum() / world.dyads.sum():.3f} per 1000); onsets dropped (a side not in the system on 31 Dec): {dropped}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
