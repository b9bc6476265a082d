"""Synthetic membership records and observed tables for the history tests (tiny, with
answers worked out by hand in the tests)."""

from __future__ import annotations

import pandas as pd

START = 2000


def record(rows: list[tuple[int, str, str, str]], start: int | None = START) -> pd.DataFrame:
    """A run's membership record from (step, state, institution, change) tuples, in event order."""
    frame = pd.DataFrame(rows, columns=["step", "state", "institution", "change"])
    frame["step"] = frame["step"].astype("int64")
    frame["year"] = pd.array([None if start is None else start + s for s in frame["step"]], dtype="Int64")
    return frame[["step", "year", "state", "institution", "change"]]


def founded(institution: str, *members: str) -> list[tuple[int, str, str, str]]:
    """Step-0 rows: the institution's found row, then one join row per founding member."""
    return [(0, "", institution, "found"), *((0, m, institution, "join") for m in members)]


def observed(by_year: dict[int, list[str]], institution: str = "A") -> pd.DataFrame:
    """The observed table (one row per member per year)."""
    rows = [(institution, year, state, 0) for year, states in by_year.items() for state in states]
    return pd.DataFrame(rows, columns=["institution", "year", "state", "ccode"]).astype({"year": "int64"})


# Case A (worked by hand in test_history_scores.py): years 2000..2004, institution A.
CASE_A_OBSERVED = {2000: ["X", "Y"], 2001: ["X", "Y"], 2002: ["X", "Y", "Z"], 2003: ["X", "Y", "Z"], 2004: ["X", "Y", "Z", "W"]}
CASE_A_RUN1 = founded("A", "X", "Y") + [(2, "Z", "A", "join"), (3, "Y", "A", "leave")]
CASE_A_RUN2 = founded("A", "X", "Y") + [(1, "W", "A", "join"), (4, "Z", "A", "join")]
CASE_A_UNIVERSE = frozenset("XYZWV")
