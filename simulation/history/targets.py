"""Targets a hindcast must meet: each marked met or missed, with its figure.

An experiment's ``observed.targets`` block (defaults: issue "Membership that matches history",
the out-of-sample test) turns the scores of ``scores.csv`` into verdicts, one row per scenario
entry, institution and target, written to ``targets.csv`` and the report's "Targets" section:

- ``coverage90``: the record's size inside the runs' 5-95% band in at least this share of the
  years in which the institution exists in the record (the SCO: from 2001, not from 1991);
- ``exits_per_decade``: the runs' mean member exits per decade at most this, per decade of the
  institution's existence in the record (``scores.csv`` divides by every compared year; an
  institution founded during the hindcast has no members, hence no exits, before it is founded,
  so the count is the same and only the decades differ);
- ``join_auc``: the per-state accession AUC at least this;
- ``join_brier_beats_baselines``: the accession Brier score strictly below both baselines'
  (persistence and the in-sample logistic; a baseline that is undefined counts as missed).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from simulation.history import scores

TARGETS_CSV = "targets.csv"
COLUMNS = ("scenario", "institution", "target", "threshold", "value", "met", "years", "note")


def _row(s: Any, target: str, threshold: Any, value: float, met: bool, years: str, note: str = "") -> dict[str, Any]:
    return {"scenario": s.scenario, "institution": s.institution, "target": target, "threshold": threshold, "value": value,
            "met": "met" if met else "missed", "years": years, "note": note}


def evaluate(scored: list[Any], targets: Any) -> pd.DataFrame:
    """One row per scenario entry x institution x target given (a target set to null is skipped).
    ``scored``: ``hindcast.Scored`` items (their rows are the lines of scores.csv, and their
    size arrays the years compared)."""
    out: list[dict[str, Any]] = []
    for s in scored:
        by = {r["score"]: r for r in s.rows}
        alive = s.observed_sizes > 0
        span = f"{int(s.years[alive][0])}-{int(s.years[alive][-1])}" if alive.any() else "none"
        if targets.coverage90 is not None:
            value = scores.size_coverage(s.simulated_sizes[:, alive], s.observed_sizes[alive]) if alive.any() and s.simulated_sizes.size else math.nan
            out.append(_row(s, "coverage90", f">= {targets.coverage90:g}", value, bool(value >= targets.coverage90), span,
                            "share of years with the record inside the runs' 5-95% band"))
        if targets.exits_per_decade is not None:
            raw = float(by["exits_per_decade"]["model"])
            value = raw * len(s.years) / int(alive.sum()) if alive.any() else math.nan
            out.append(_row(s, "exits_per_decade", f"<= {targets.exits_per_decade:g}", value, bool(value <= targets.exits_per_decade),
                            span, f"runs' mean member exits per decade of existence (record: {float(by['exits_per_decade']['observed']):.3g})"))
        if targets.join_auc is not None:
            value = float(by["join_auc"]["model"])
            out.append(_row(s, "join_auc", f">= {targets.join_auc:g}", value, bool(value >= targets.join_auc), span,
                            "per-state accession AUC"))
        if targets.join_brier_beats_baselines:
            r = by["join_brier"]
            model, pers, logi = (float(r[k]) for k in ("model", "baseline_persistence", "baseline_logistic"))
            met = all(np.isfinite(v) for v in (model, pers, logi)) and model < pers and model < logi
            out.append(_row(s, "join_brier", "< both baselines", model, met, span,
                            f"persistence {pers:.3g}, logistic (in-sample) {logi:.3g}"))
    return pd.DataFrame(out, columns=list(COLUMNS))


def _num(value: Any) -> str:
    return "–" if not isinstance(value, (int, float)) or not np.isfinite(value) else f"{value:.3g}"


def section(table: pd.DataFrame) -> str:
    """The report's "Targets" section: a sentence with the count met, and the table."""
    if table.empty:
        return ""
    met = int((table["met"] == "met").sum())
    header = ["scenario", "institution", "target", "threshold", "value", "verdict", "years", "note"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for _, r in table.iterrows():
        verdict = "**met**" if r["met"] == "met" else "**missed**"
        lines.append("| " + " | ".join([r["scenario"], r["institution"], r["target"], str(r["threshold"]), _num(r["value"]), verdict,
                                        r["years"], r["note"]]) + " |")
    return "\n\n".join(["## Targets", f"{met} of {len(table)} targets met (definitions: simulation/history/targets.py; every "
                        f"value in [`{TARGETS_CSV}`]({TARGETS_CSV})).", "\n".join(lines)])


__all__ = ["COLUMNS", "TARGETS_CSV", "evaluate", "section"]
