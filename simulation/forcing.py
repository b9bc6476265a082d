"""Forcing: capability and regime set from data each year (history modes ``forced`` and ``imposed``).

The forcing file is read once, at the edge (``read_forcing_file``, called while the world is
built, like ``world.read_distance_file``); the model receives a ``Forcing`` of arrays and
applies it with ``apply`` at the start of each step.  Rows for states the scenario does not
have are ignored; an active state without a row for a year keeps its model value.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass, field

import numpy as np

from simulation.errors import data_file_text, file_problem

FORCING_COLUMNS = ("year", "state", "capability", "regime")


@dataclass
class Forcing:
    """Per calendar year: the slots with data and their capability and regime."""

    years: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def for_year(self, year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        return self.years.get(year)


def apply(forcing: Forcing, year: int, active: np.ndarray, capability: np.ndarray, regime: np.ndarray) -> None:
    """In place: every active state with a row for ``year`` takes that row's capability and regime."""
    row = forcing.for_year(year)
    if row is None:
        return
    idx, cap, reg = row
    on = active[idx]
    capability[idx[on]] = cap[on]
    regime[idx[on]] = reg[on]


def read_forcing_file(path: str, names: list[str]) -> Forcing:
    """``Forcing`` from a CSV with columns year,state,capability,regime (capability > 0, regime in [0, 1]).

    UTF-8 (a byte-order mark is fine); blank lines and rows naming states the scenario does not
    have are ignored; a (year, state) pair may appear once.  Every problem is a ``ScenarioError``
    at ``history.forcing_file`` naming the CSV and its line.  The file is read every time; its
    parse is remembered by content (``_parse``), and its arrays are read-only.
    """
    text, _ = data_file_text(path, "history.forcing_file", "year,state,capability,regime")
    return Forcing(dict(_parse(text, str(path), tuple(names)).years))


@functools.lru_cache(maxsize=4)
def _parse(text: str, path: str, names: tuple[str, ...]) -> Forcing:
    """Why cached: as ``world._parse_distances``.  Keyed by the file's text, the path its
    messages name and the names; errors are not cached."""
    problem = file_problem(path, "history.forcing_file")
    index = {n: i for i, n in enumerate(names)}

    rows: dict[int, dict[int, tuple[float, float]]] = {}
    seen: dict[tuple[int, str], int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise problem("the file is empty; expected a header line year,state,capability,regime")
        columns = [c.strip() for c in header]
        if not set(FORCING_COLUMNS) <= set(columns):
            raise problem(f"expected columns {','.join(FORCING_COLUMNS)} in the first line (got {','.join(columns)})", reader.line_num)
        iy, ist, icap, ireg = (columns.index(c) for c in FORCING_COLUMNS)
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns) or len(row) <= max(iy, ist, icap, ireg):
                raise problem(f"expected {len(columns)} values ({','.join(columns)}), got {len(row)}", line)
            year_text, state = row[iy].strip(), row[ist].strip()
            try:
                year = int(year_text)
            except ValueError:
                raise problem(f"expected a whole year, got {year_text!r}", line) from None
            if (year, state) in seen:
                raise problem(f"a second row for {state} in {year} (first on line {seen[(year, state)]}); expected one row per state and year", line)
            seen[(year, state)] = line
            cap = _number(row[icap].strip(), "capability", line, problem)
            reg = _number(row[ireg].strip(), "regime", line, problem)
            if cap <= 0:
                raise problem(f"expected a capability > 0, got {row[icap].strip()!r}", line)
            if not 0.0 <= reg <= 1.0:
                raise problem(f"expected a regime between 0 and 1, got {row[ireg].strip()!r}", line)
            i = index.get(state)
            if i is not None:
                rows.setdefault(year, {})[i] = (cap, reg)
    except csv.Error as exc:
        raise problem(f"not a valid CSV file: {exc}", reader.line_num) from None
    out = Forcing()
    for year, by_state in rows.items():
        idx = np.array(sorted(by_state), dtype=np.intp)
        arrays = (idx, np.array([by_state[i][0] for i in idx]), np.array([by_state[i][1] for i in idx]))
        for a in arrays:
            a.flags.writeable = False  # shared by every run that reads this file
        out.years[year] = arrays
    return out


def _number(text: str, what: str, line: int, problem) -> float:
    try:
        value = float(text)
    except ValueError:
        raise problem(f"expected a number for {what}, got {text!r}", line) from None
    if not math.isfinite(value):
        raise problem(f"expected a finite number for {what}, got {text!r}", line)
    return value


__all__ = ["FORCING_COLUMNS", "Forcing", "apply", "read_forcing_file"]
