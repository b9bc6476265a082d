"""The observed dispute rates (scenarios/data/observed_disputes.csv) against the raw files.

The expectations are computed here straight from the raw CSVs with plain Python, not with the
build script's functions, so a mistake in the script cannot confirm itself.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scenarios" / "data"
RAW = DATA / "raw"


def rows() -> list[dict]:
    with open(DATA / "observed_disputes.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def observed(year: int, scope: str) -> dict:
    hit = [r for r in rows() if int(r["year"]) == year and r["scope"] == scope]
    assert len(hit) == 1, (year, scope)
    return hit[0]


def system_on_31_dec(year: int) -> set[int]:
    out = set()
    with open(RAW / "states2016.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            start = (int(r["styear"]), int(r["stmonth"]), int(r["stday"]))
            end = (int(r["endyear"]), int(r["endmonth"]), int(r["endday"]))
            if start <= (year, 12, 31) <= end:
                out.add(int(r["ccode"]))
    return out


def onset_pairs(year: int) -> set[tuple[int, int]]:
    out = set()
    with open(RAW / "gml-ndy-disputes-2.0.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            if int(r["year"]) == year and int(r["midonset"]) == 1:
                a, b = sorted((int(r["ccode1"]), int(r["ccode2"])))
                out.add((a, b))
    return out


@pytest.mark.parametrize("year", [1950, 1968, 1990, 2005])
def test_world_rate_from_raw(year):
    states = system_on_31_dec(year)
    pairs = {p for p in onset_pairs(year) if p[0] in states and p[1] in states}
    row = observed(year, "world")
    assert int(row["dyads"]) == len(states) * (len(states) - 1) // 2
    assert int(row["onset_dyads"]) == len(pairs)
    assert float(row["rate_per_1000"]) == pytest.approx(1000 * len(pairs) / int(row["dyads"]), abs=1e-6)


def test_1968_warsaw_pact_invasion_of_czechoslovakia():
    """Albania left on 1968-09-13, so 7 members and 21 dyads; the five invaders each form an
    onset dyad with Czechoslovakia (315)."""
    row = observed(1968, "WTO")
    assert (int(row["dyads"]), int(row["onset_dyads"])) == (21, 5)
    wto = {365, 290, 315, 310, 360, 355, 265}
    inside = {p for p in onset_pairs(1968) if p[0] in wto and p[1] in wto}
    assert len(inside) == 5 and all(315 in p for p in inside)


@pytest.mark.parametrize("year,members", [(1949, 12), (1952, 14), (1955, 15), (1982, 16), (1999, 19), (2004, 26), (2009, 28)])
def test_nato_dyads_follow_accessions(year, members):
    assert int(observed(year, "NATO")["dyads"]) == members * (members - 1) // 2


def test_scopes_add_up_and_institutions_appear_only_when_they_exist():
    by_year: dict[int, dict[str, dict]] = {}
    for r in rows():
        by_year.setdefault(int(r["year"]), {})[r["scope"]] = r
    assert sorted(by_year) == list(range(1946, 2011))
    for year, scopes in by_year.items():
        w, a, b = scopes["world"], scopes["intra"], scopes["inter"]
        assert int(w["dyads"]) == int(a["dyads"]) + int(b["dyads"])
        assert int(w["onset_dyads"]) == int(a["onset_dyads"]) + int(b["onset_dyads"])
        assert ("NATO" in scopes) == (year >= 1949)
        assert ("WTO" in scopes) == (1955 <= year <= 1990)
        assert ("SCO" in scopes) == (year >= 2001)


def test_build_is_deterministic(tmp_path):
    out = tmp_path / "observed_disputes.csv"
    subprocess.run([sys.executable, str(DATA / "build_disputes.py"), "--out", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (DATA / "observed_disputes.csv").read_bytes()


def test_changed_raw_file_is_refused(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for f in RAW.iterdir():
        (raw / f.name).write_bytes(f.read_bytes())
    with open(raw / "gml-ndy-disputes-2.0.csv", "a") as fh:
        fh.write("\n")
    res = subprocess.run([sys.executable, str(DATA / "build_disputes.py"), "--raw", str(raw), "--out", str(tmp_path / "x.csv")],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "sha256" in res.stderr and not (tmp_path / "x.csv").exists()
