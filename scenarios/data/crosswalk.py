"""COW -> Polity5 country codes, by year, each mapping checked against Polity's own names.

Polity5 numbers some states differently from COW, and the difference changes over time (a
state's Polity code changes when Polity starts a new series for it: USSR 364 -> Russia 365,
Yugoslavia 345 -> 347 -> Serbia 342, ...).  A plain ccode merge is silently wrong for these
states: COW 341 (Montenegro) would get Polity 341 (Kosovo), COW 626 (South Sudan) Polity 626
("Sudan-North").  So the crosswalk is year-ranged, and ``check_polity_year`` verifies every
state-year it maps:
  - a crosswalked code must carry one of the Polity country names listed with it;
  - a code used as it stands must carry Polity's letter code equal to the COW stateabb (or the
    known letter alias in ``SCODE_ALIAS``).
Any mismatch stops the build.

Rule for the years in which Polity has rows for both the old and the new series (1991
Yugoslavia, 1993 Ethiopia, 2006 Serbia, 2011 Sudan, 1976 Vietnam): the new series, because a
state-year describes the state on 31 December of the year (the COW rule used throughout).
"""

from __future__ import annotations

# (COW ccode, first year, last year, Polity ccode, Polity country names accepted)
POLITY_CROSSWALK: tuple[tuple[int, int, int, int, tuple[str, ...]], ...] = (
    (341, 2006, 9999, 348, ("Montenegro",)),                         # Polity 341 is Kosovo
    (345, 1991, 2005, 347, ("Yugoslavia", "Serbia and Montenegro")),  # FRY / Serbia and Montenegro
    (345, 2006, 9999, 342, ("Serbia",)),                              # COW "YUG" continues as Serbia
    (347, 2008, 9999, 341, ("Kosovo",)),
    (365, 1922, 1991, 364, ("USSR",)),                                # COW 365 is the USSR, then Russia
    (530, 1993, 9999, 529, ("Ethiopia",)),                            # Polity's post-1993 Ethiopia series
    (625, 2011, 9999, 626, ("Sudan-North",)),
    (626, 2011, 9999, 525, ("South Sudan",)),
    (770, 1947, 1971, 769, ("Pakistan",)),                            # Pakistan before Bangladesh's secession
    (816, 1976, 9999, 818, ("Vietnam",)),                             # unified Vietnam
)

# COW stateabb -> Polity scode where the letters differ but the numeric code is the same.
SCODE_ALIAS = {"ROM": "RUM", "CDI": "IVO", "DRC": "ZAI", "FIJ": "FJI"}


def polity_code(ccode: int, year: int) -> int:
    """The Polity ccode that describes COW state ``ccode`` in ``year``."""
    for cow, lo, hi, pc, _ in POLITY_CROSSWALK:
        if cow == ccode and lo <= year <= hi:
            return pc
    return ccode


def expected_names(ccode: int, year: int) -> tuple[str, ...] | None:
    """Polity country names a crosswalked state-year must hit (None: the code is used as it stands)."""
    for cow, lo, hi, _, names in POLITY_CROSSWALK:
        if cow == ccode and lo <= year <= hi:
            return names
    return None


def check_polity_year(rows: list[tuple[str, int, int, str | None, str | None]], year: int) -> list[str]:
    """Mismatches for one year.  ``rows``: (COW stateabb, COW ccode, Polity ccode, Polity scode,
    Polity country) per state, scode/country None when Polity has no row."""
    bad = []
    for abb, cc, pc, scode, country in rows:
        if scode is None:
            continue
        names = expected_names(cc, year)
        if names is not None:
            if country not in names:
                bad.append(f"{year} {abb} (COW {cc}) -> Polity {pc} is {country!r}, expected one of {list(names)}")
        elif scode != SCODE_ALIAS.get(abb, abb):
            bad.append(f"{year} {abb} (COW {cc}) -> Polity {pc} has letter code {scode!r} ({country!r})")
    return bad
