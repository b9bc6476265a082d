"""The Gibler-Miller-Little MID record and the COW system list, read one way for every user:
``scenarios/data/build_disputes.py`` (the observed dispute rates) and
``simulation.history.dispute_geography`` (disputes state by state)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: The last year of GML MID v2.0.
LAST_YEAR = 2010


def in_system(system: pd.DataFrame, year: int) -> set[int]:
    """COW codes of the states in the system on 31 December of ``year`` (``system``: states2016.csv),
    the date the model's world is taken after that year's step (docs/history.md, section 4)."""
    start = system.styear * 10000 + system.stmonth * 100 + system.stday
    end = system.endyear * 10000 + system.endmonth * 100 + system.endday
    day = year * 10000 + 1231
    return set(int(c) for c in system.ccode[(start <= day) & (end >= day)])


def onsets(path: Path) -> pd.DataFrame:
    """The dyad-years with ``midonset == 1`` (columns year, ccode1, ccode2); raises ValueError
    naming the column when one is not whole numbers."""
    d = pd.read_csv(path, usecols=["ccode1", "ccode2", "year", "midonset"])
    for col in d.columns:
        if not pd.api.types.is_integer_dtype(d[col]):
            raise ValueError(f"{Path(path).name}: column {col} is not whole numbers")
    return d.loc[d.midonset == 1, ["year", "ccode1", "ccode2"]]


__all__ = ["LAST_YEAR", "in_system", "onsets"]
