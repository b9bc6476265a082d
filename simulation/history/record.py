"""Membership by year, rebuilt from a run's change log or read from the observed table.

A run's membership record (``memberships/<run_id>.parquet`` in a results folder; columns
``step, year, state, institution, change``) lists changes in event order.  Replaying it
gives the members of each institution after every step; the member set "in year y" is the
set after the step whose year is y (step s is year ``start_year + s``), which matches the
observed table's "member on 31 December of year y".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import UserError

#: Folder of a results folder holding one membership record per run.
MEMBERSHIPS_DIR = "memberships"
RECORD_COLUMNS = ("step", "year", "state", "institution", "change")
OBSERVED_COLUMNS = ("institution", "year", "state", "ccode")
CHANGES = ("join", "leave", "found", "dissolve", "enter", "exit", "apply", "refused", "withdraw")


@dataclass(frozen=True)
class InstitutionPath:
    """One institution's members in consecutive calendar years (one run, or the record)."""

    years: np.ndarray  # int, consecutive
    members: tuple[frozenset[str], ...]
    alive: np.ndarray  # bool: the institution exists in that year

    def sizes(self) -> np.ndarray:
        return np.array([len(m) for m in self.members], dtype=float)

    def at(self, year: int) -> frozenset[str]:
        return self.members[int(year - self.years[0])]


def calendar_start(record: pd.DataFrame) -> int | None:
    """The start year of a run (``year - step`` of any dated row); None without a calendar."""
    if record.empty or "year" not in record:
        return None
    dated = record[record["year"].notna()]
    if dated.empty:
        return None
    offsets = (dated["year"].astype("int64") - dated["step"].astype("int64")).unique()
    if len(offsets) != 1:
        raise ValueError(f"membership record: year - step is not constant ({sorted(offsets.tolist())})")
    return int(offsets[0])


def replay(record: pd.DataFrame, institution: str, start_year: int, steps: int) -> InstitutionPath:
    """Members of ``institution`` after each step 0..``steps`` of one run, by replaying its
    changes in order (``found`` makes it exist, ``dissolve`` ends it and releases everyone;
    ``join``/``leave`` change members; other changes do not touch membership)."""
    rows = record[record["institution"] == institution]
    by_step: dict[int, list[tuple[str, str]]] = {}
    for step, state, change in zip(rows["step"].to_numpy(), rows["state"].to_numpy(), rows["change"].to_numpy()):
        by_step.setdefault(int(step), []).append((str(state) if isinstance(state, str) else "", str(change)))
    members: set[str] = set()
    alive = False
    out_members: list[frozenset[str]] = []
    out_alive = np.zeros(steps + 1, dtype=bool)
    for step in range(steps + 1):
        for state, change in by_step.get(step, ()):
            if change == "found":
                alive = True
            elif change == "dissolve":
                alive = False
                members.clear()
            elif change == "join":
                members.add(state)
            elif change == "leave":
                members.discard(state)
        out_members.append(frozenset(members))
        out_alive[step] = alive
    return InstitutionPath(np.arange(start_year, start_year + steps + 1), tuple(out_members), out_alive)


def absent_states(record: pd.DataFrame, start_year: int, steps: int) -> tuple[frozenset[str], ...]:
    """For each year of the run, the states that have left the system (an ``exit`` row not
    followed by a re-entry): they cannot be members, so losing their membership is no exit."""
    rows = record[record["change"].isin(("enter", "exit"))]
    gone: set[str] = set()
    by_step: dict[int, list[tuple[str, str]]] = {}
    for step, state, change in zip(rows["step"].to_numpy(), rows["state"].to_numpy(), rows["change"].to_numpy()):
        by_step.setdefault(int(step), []).append((str(state), str(change)))
    out = []
    for step in range(steps + 1):
        for state, change in by_step.get(step, ()):
            (gone.add if change == "exit" else gone.discard)(state)
        out.append(frozenset(gone))
    return tuple(out)


def observed_path(observed: pd.DataFrame, institution: str, years: np.ndarray) -> InstitutionPath:
    """The record's members of ``institution`` in ``years`` (a year without rows: no members,
    and the institution does not exist then)."""
    rows = observed[observed["institution"] == institution]
    by_year = {int(y): frozenset(g["state"].astype(str)) for y, g in rows.groupby("year")}
    members = tuple(by_year.get(int(y), frozenset()) for y in years)
    return InstitutionPath(np.asarray(years, dtype=int), members, np.array([bool(m) for m in members]))


def read_observed(path: Path) -> pd.DataFrame:
    """The observed table, checked: the columns, whole years, a state name on every row.
    Problems raise ``UserError`` naming the file and line; the file is read within
    ``MAX_OBSERVED_FILE_BYTES``, from a regular file only (docs/limits.md)."""
    from simulation.scenario_io import MAX_OBSERVED_FILE_BYTES, read_csv_bounded

    what = f"an observed memberships CSV ({', '.join(OBSERVED_COLUMNS)})"
    table = read_csv_bounded(path, MAX_OBSERVED_FILE_BYTES, what, dtype={"institution": str, "state": str}, keep_default_na=False)
    missing = [c for c in ("institution", "year", "state") if c not in table.columns]
    if missing:
        raise UserError(f"missing columns {missing}; expected columns {', '.join(OBSERVED_COLUMNS)}", file=str(path), line=1)
    if table.empty:
        raise UserError("the record is empty; expected one row per member per year", file=str(path), line=1)
    years = pd.to_numeric(table["year"], errors="coerce")
    bad = np.flatnonzero(years.isna().to_numpy() | (years.fillna(0) % 1 != 0).to_numpy())
    if bad.size:
        raise UserError(f"year: expected a whole number (got {table['year'].iloc[bad[0]]!r})", file=str(path), line=int(bad[0]) + 2)
    for column in ("institution", "state"):
        blank = np.flatnonzero(table[column].str.strip().eq("").to_numpy())
        if blank.size:
            raise UserError(f"{column}: expected a name, got an empty cell", file=str(path), line=int(blank[0]) + 2)
    table = table.assign(year=years.astype("int64"))
    dup = table.duplicated(["institution", "year", "state"])
    if dup.any():
        first = int(np.flatnonzero(dup.to_numpy())[0])
        r = table.iloc[first]
        raise UserError(f"{r['state']} is listed twice as a member of {r['institution']} in {r['year']}; expected one row per "
                        "member per year", file=str(path), line=first + 2)
    return table


def read_memberships(root: Path, run_id: str) -> pd.DataFrame | None:
    """A run's membership record from a results folder (None when the run wrote none)."""
    path = Path(root) / MEMBERSHIPS_DIR / f"{run_id}.parquet"
    if not path.exists():
        return None
    table = pd.read_parquet(path)
    for column in ("state", "institution", "change"):
        table[column] = table[column].astype(object).where(table[column].notna(), "").astype(str)
    return table


__all__ = ["InstitutionPath", "MEMBERSHIPS_DIR", "absent_states", "calendar_start", "observed_path", "read_memberships",
           "read_observed", "replay"]
