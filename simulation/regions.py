"""Regions of the world from Correlates of War (COW) state codes.

The COW list numbers states by region, so a code range is a region.  Two tables live here:

- ``COW_RANGES``: the coarse six-region table by code range, exactly as the world build
  script (scenarios/data/build_world.py, ``REGIONS``) uses it to impute missing Polity
  scores by regional median.  It is repeated here unchanged so that the build script can
  import it from this module without changing any built world.
- ``region_of``: the region a state belongs to for *eligibility* (``eligible_regions`` of an
  institution, ``region`` of a listed state).  It refines the coarse table where the treaties
  need it:
    * the Americas split into ``North America`` (COW 2 United States, 20 Canada: the two
      North Atlantic parties of 1949) and ``Latin America`` (COW 31-165, Mexico included);
    * Turkey (COW 640, in COW's Middle East range) counts as ``Europe``: a member of the
      Council of Europe since 1949 and of NATO since 1952, and the North Atlantic Treaty's
      Article 6 names its territory.

Treaty regions (documented in docs/ODD.md, "Membership (issue: history)"):
    NATO  Europe + North America  (Article 10: "any other European State"; USA, Canada founders)
    WTO   Europe                  (the USSR, COW 365, lies in COW's Europe range 200-399)
    SCO   Europe + Asia + Middle East  ("Eurasia": the Charter, Art. 13, opens membership to
          "other States of the region" without defining it; its members span Belarus and
          Russia, Central, South and East Asia, and Iran)

This module imports nothing from the package, so both the schema and the build script can
use it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: (first code, last code, region) -- the build script's table, unchanged.
COW_RANGES: tuple[tuple[int, int, str], ...] = (
    (2, 165, "Americas"), (200, 399, "Europe"), (400, 626, "Africa"),
    (630, 698, "Middle East"), (700, 899, "Asia"), (900, 999, "Oceania"),
)

#: Eligibility regions, the only names ``region`` and ``eligible_regions`` accept.
REGION_NAMES: tuple[str, ...] = ("North America", "Latin America", "Europe", "Africa", "Middle East", "Asia", "Oceania")

#: Codes of the coarse "Americas" range that are North America for eligibility.
NORTH_AMERICA = frozenset({2, 20})
#: States outside the coarse range of the region they are assigned to, with the reason.
EXCEPTIONS: dict[int, tuple[str, str]] = {
    640: ("Europe", "Turkey: Council of Europe 1949, NATO 1952; North Atlantic Treaty Art. 6 names its territory"),
}

#: Eligible regions of the historical institutions (used by the build script).
TREATY_REGIONS: dict[str, tuple[str, ...]] = {
    "NATO": ("Europe", "North America"),
    "WTO": ("Europe",),
    "SCO": ("Europe", "Asia", "Middle East"),
}


def cow_range_region(ccode: int) -> str | None:
    """The coarse region of a COW code (build script's table), or None outside every range."""
    for lo, hi, name in COW_RANGES:
        if lo <= ccode <= hi:
            return name
    return None


def region_of(ccode: int) -> str | None:
    """The eligibility region of a COW code, or None outside every range."""
    if ccode in EXCEPTIONS:
        return EXCEPTIONS[ccode][0]
    coarse = cow_range_region(ccode)
    if coarse == "Americas":
        return "North America" if ccode in NORTH_AMERICA else "Latin America"
    return coarse


def eligibility_mask(state_regions: Sequence[str | None], eligible_regions: Sequence[str] | None) -> np.ndarray:
    """Which states an institution may admit: all when it has no restriction, otherwise those
    whose region is listed.  A state without a region (generated states) is outside every
    region, so a restricted institution never admits it."""
    if eligible_regions is None:
        return np.ones(len(state_regions), dtype=bool)
    allowed = set(eligible_regions)
    return np.array([r is not None and r in allowed for r in state_regions], dtype=bool)
