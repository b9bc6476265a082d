"""The paired run: the same world and seed under other rules (docs/app.md, "Swap the rules").

As in the ``rule_swap`` experiment, swapping an institution's kind swaps its whole parameter
bundle: it takes the other kind's defaults, a dialogue platform has no leader, and a new
hegemonic alliance is led by its strongest founder.  ``set_param`` events name parameters of
the old kind, so they are dropped; with no institutions, every event that names an
institution is dropped too.  The seed is the same, so both runs draw the same random numbers
(common random numbers): their differences come from the rules.
"""

from __future__ import annotations

from typing import Any

from simulation.scenario import Scenario
from simulation.scenario_io import scenario_from_dict

KINDS_SWAPPED = "kinds swapped"
NO_INSTITUTIONS = "no institutions"
VARIANTS = (KINDS_SWAPPED, NO_INSTITUTIONS)
OTHER_KIND = {"hegemonic": "dialogue", "dialogue": "hegemonic"}


def swapped(scenario: Scenario, variant: str) -> Scenario:
    """``scenario`` with the institutions' kinds swapped, or with none; everything else equal."""
    data: dict[str, Any] = scenario.model_dump(mode="json")
    if variant == KINDS_SWAPPED:
        for spec in data["institutions"].values():
            spec["kind"] = OTHER_KIND[spec["kind"]]
            spec["leader"] = None
            spec["params"] = {}
        data["events"] = [e for e in data["events"] if e["kind"] != "set_param"]
    elif variant == NO_INSTITUTIONS:
        data["institutions"] = {}
        data["events"] = [e for e in data["events"] if "institution" not in e]
    else:
        raise ValueError(f"unknown swap {variant!r}; expected one of {VARIANTS}")
    return scenario_from_dict(data, f"{scenario.name} ({variant})")
