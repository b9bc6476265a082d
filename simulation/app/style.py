"""Colours shared by the drawings: one per institution (in the scenario's order), grey for
unaligned states; the same institution has the same colour in every panel."""

from __future__ import annotations

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
UNALIGNED = "#c8c8c8"
WORLD = "#333333"
DISPUTE = "#e6a100"
CONFLICT = "#d62728"


def institution_colours(names) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
