"""``compare_with:``: what changed against another results folder.

An experiment may name an earlier results folder (``compare_with: ../results/headline``,
relative to the experiment file), typically the same scenarios and seeds run by other code or
with other mechanisms.  The report then gets a section "What changed against <folder>": for
each scenario label and summary metric present in both, the mean in each and the paired
difference (this minus that) with its confidence interval.  Runs are paired by scenario label,
design point and replication; with the same root seed replication k has the same seed in both
(common random numbers), so the pairing removes the world-to-world noise the two share.

Only stored results are read (like the rest of the report), and the other folder is never
written: a folder that is missing or unreadable gives a section that says so.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import UserError
from simulation.experiments.analysis import StoredResults, mean_ci

#: Columns of ``changes``.
COLUMNS = ["scenario", "point", "metric", "n", "same_seed", "mean_this", "mean_other", "mean", "sd", "ci_low", "ci_high"]
#: Runs are paired on these summary columns.
PAIR_ON = ["scenario", "point", "replication"]


def other_folder(res: StoredResults, experiment_path: str | Path) -> Path | None:
    """The folder ``compare_with`` names, relative to the experiment file (None when unset)."""
    target = res.experiment.compare_with
    if target is None:
        return None
    return Path(os.path.normpath(Path(experiment_path).parent / target))


def read_other(root: Path) -> StoredResults:
    """A results folder as stored, read only (``StoredResults.load`` may rebuild a summary;
    another experiment's folder is not this report's to write)."""
    from simulation.experiments.store import ResultsFolder

    folder = ResultsFolder(root)
    manifest = folder.read_manifest()
    experiment = folder.read_experiment(manifest)
    if not folder.summary_path.is_file():
        raise UserError("has no summary.csv; expected a finished sweep ('alliance-sim report' there rebuilds it)", file=str(root))
    try:
        summary = pd.read_csv(folder.summary_path, dtype={"run_id": str, "scenario": str, "status": str})
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot be read ({type(exc).__name__}); expected the summary.csv 'alliance-sim sweep' writes",
                        file=str(folder.summary_path)) from None
    missing = [c for c in [*PAIR_ON, "seed", "status"] if c not in summary.columns]
    if missing:
        raise UserError(f"lacks the column(s) {', '.join(missing)}; expected the summary.csv 'alliance-sim sweep' writes",
                        file=str(folder.summary_path))
    return StoredResults(folder, manifest, experiment, summary)


def changes(this: StoredResults, other: StoredResults) -> pd.DataFrame:
    """Per shared scenario, design point and summary metric: the pairs, how many share their
    seed, the mean over the pairs in each folder and the paired difference (this - other)."""
    mine, theirs = this.ok(), other.ok()
    shared = [m.column for m in this.metrics if m.column in theirs.columns and m.column in {r.column for r in other.metrics}]
    pairs = mine.merge(theirs, on=PAIR_ON, suffixes=("", "_other"))
    rows = []
    for label in this.labels:
        if label not in other.labels:
            continue
        for point, group in pairs[pairs["scenario"] == label].groupby("point", sort=True):
            same = int((group["seed"].to_numpy() == group["seed_other"].to_numpy()).sum())
            for column in shared:
                a = group[column].to_numpy(dtype=float)
                b = group[f"{column}_other"].to_numpy(dtype=float)
                keep = ~(np.isnan(a) | np.isnan(b))
                stats = mean_ci(a[keep] - b[keep], this.confidence)
                rows.append({"scenario": label, "point": int(point), "metric": column, "same_seed": same,
                             "mean_this": float(a[keep].mean()) if keep.any() else np.nan,
                             "mean_other": float(b[keep].mean()) if keep.any() else np.nan, **stats})
    return pd.DataFrame(rows, columns=COLUMNS)


def excludes_zero(row: pd.Series) -> bool:
    return bool(np.isfinite(row["ci_low"]) and (row["ci_low"] > 0 or row["ci_high"] < 0))


def section(res: StoredResults, experiment_path: str | Path) -> str:
    """The report section, or "" when the experiment names no folder to compare with."""
    from simulation.experiments.report import _num, _table

    root = other_folder(res, experiment_path)
    if root is None:
        return ""
    title = f"## What changed against `{res.experiment.compare_with}`"
    try:
        other = read_other(root)
    except UserError as exc:
        return f"{title}\n\nNothing to compare: {exc}."
    table = changes(res, other)
    if table.empty:
        return (f"{title}\n\nNo scenario label and summary metric with successful runs in both folders "
                f"(here: {', '.join(res.labels)}; there: {', '.join(other.labels)}).")
    points = table["point"].nunique() > 1
    conf = f"{res.confidence:.0%}"
    header = ["metric", "scenario", *(["design point"] if points else []), "pairs", "mean here", f"mean in `{other.experiment.name}`",
              "difference", f"{conf} CI", "CI excludes 0"]
    rows = [[r["metric"], r["scenario"], *([str(r["point"])] if points else []), str(int(r["n"])), _num(r["mean_this"]),
             _num(r["mean_other"]), _num(r["mean"]), f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]",
             "**yes**" if excludes_zero(r) else "no"] for _, r in table.iterrows()]
    pairs, same = int(table.groupby(["scenario", "point"])["n"].max().sum()), int(table.groupby(["scenario", "point"])["same_seed"].first().sum())
    seeds = ("every pair shares its seed (common random numbers)" if same == pairs
             else f"{same} of {pairs} pairs share their seed; the others are paired by replication only, without common random numbers")
    only_here = [label for label in res.labels if label not in other.labels]
    only_there = [label for label in other.labels if label not in res.labels]
    skipped = [m.column for m in res.metrics if m.column not in set(table["metric"])]
    notes = []
    if only_here or only_there:
        notes.append("Scenarios in one folder only (not compared): " + ", ".join(
            [f"`{x}` (here)" for x in only_here] + [f"`{x}` (there)" for x in only_there]) + ".")
    if skipped:
        notes.append("Summary metrics not in the other folder (not compared): " + ", ".join(f"`{m}`" for m in skipped) + ".")
    flagged = sum(excludes_zero(r) for _, r in table.iterrows())
    return (f"{title}\n\nEach scenario here against the same label in `{root}` (experiment `{other.experiment.name}`), "
            f"run by run: replication k here minus replication k there, by design point; {seeds}. The means are over "
            f"the pairs; the difference is the mean paired difference with its t-based {conf} CI. "
            f"{flagged} of {len(table)} differences have a CI that excludes 0.\n\n" + _table(header, rows)
            + ("\n\n" + " ".join(notes) if notes else ""))


__all__ = ["changes", "section", "read_other", "other_folder", "excludes_zero", "COLUMNS"]
