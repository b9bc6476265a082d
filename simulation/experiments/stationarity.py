"""Burn-in check: do the two halves of each run's summary window agree?

A summary averages a window of years on the assumption that the runs have settled there.
This module tests it from the stored runs only (like ``analysis``, it never runs the model):
for every summarised metric, each run's mean over the first half of its window is compared
with its mean over the second half, paired run by run, and the report says for which
metrics the confidence interval of the drift (second half minus first) excludes 0.
"""

from __future__ import annotations

import io
from pathlib import Path

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulation.experiments.analysis import StoredResults, column_codes, mean_ci
from simulation.experiments.schema import MetricRef
from simulation.experiments.store import MAX_TABLE_BYTES, read_parquet_bounded, read_text_bounded

#: Above this many design points the check pools each scenario's points (a sensitivity design
#: asks whether runs are stationary at all, not at which point).
MAX_POINTS_SHOWN = 12
#: Only window means are split: a final value or a sum has no halves to compare.
CHECKED_STATISTICS = ("mean",)
COLUMNS = ["scenario", "point", "metric", "n", "first", "second", "drift", "ci_low", "ci_high", "agree"]


def window_steps(steps: np.ndarray, ref: MetricRef, window: int) -> np.ndarray:
    """The steps a run's summary of ``ref`` covers, as ``worker.summarise`` takes them: the
    metric's own ``steps`` range, or the last ``window`` recorded steps after step 0."""
    steps = np.unique(steps)
    if ref.steps is not None:
        return steps[(steps >= ref.steps[0]) & (steps <= ref.steps[1]) & (steps > 0)]
    later = steps[steps > 0]
    return later[-window:]


def halves(steps: np.ndarray, values: np.ndarray, covered: np.ndarray) -> tuple[float, float]:
    """Means over the first and the second half of ``covered`` (equal halves: the middle step
    of an odd window is left out); NaN when the window has fewer than 2 steps."""
    half = len(covered) // 2
    if half < 1:
        return float("nan"), float("nan")
    first, second = covered[:half], covered[-half:]
    a = values[(steps >= first[0]) & (steps <= first[-1])]
    b = values[(steps >= second[0]) & (steps <= second[-1])]
    mean = lambda x: float(np.nanmean(x)) if x.size and not np.isnan(x).all() else float("nan")  # noqa: E731
    return mean(a), mean(b)


def _checked(results: StoredResults) -> list[MetricRef]:
    default = results.experiment.summary.statistic
    return [ref for ref in results.metrics if (ref.statistic or default) in CHECKED_STATISTICS]


def run_halves(results: StoredResults) -> pd.DataFrame:
    """One row per successful run and checked metric: scenario, point, run_id, metric,
    first, second.  Reads one run file at a time, only the rows it needs."""
    refs = _checked(results)
    window = results.experiment.summary.window
    rows: list[dict[str, Any]] = []
    data = results.ok()
    for run_id, scenario, point in data[["run_id", "scenario", "point"]].itertuples(index=False):
        path = results.folder.timeseries_path(run_id)
        if not path.exists():  # a folder kept without its time series
            continue
        try:
            table = read_parquet_bounded(path, columns=["step", "metric", "scope", "value"])
        except (pa.ArrowException, OSError) as exc:
            raise results.folder.damaged_run(run_id, exc, results.manifest) from None
        metric_of, metric_codes = column_codes(table.column("metric"))  # compare small integer codes, not strings
        scope_of, scope_codes = column_codes(table.column("scope"))
        all_steps = table.column("step").to_numpy()
        all_values = table.column("value").to_numpy()
        for ref in refs:
            if ref.metric not in metric_of or ref.scope not in scope_of:
                continue
            mask = (metric_codes == metric_of[ref.metric]) & (scope_codes == scope_of[ref.scope])
            steps, values = all_steps[mask].astype(np.int64), all_values[mask].astype(float)
            first, second = halves(steps, values, window_steps(steps, ref, window))
            rows.append({"scenario": scenario, "point": int(point), "run_id": run_id, "metric": ref.column,
                         "first": first, "second": second})
    return pd.DataFrame(rows, columns=["scenario", "point", "run_id", "metric", "first", "second"])


def check(results: StoredResults) -> pd.DataFrame:
    """Per scenario (and design point, unless there are many), per checked metric: the mean of
    each half, the mean drift (second - first) with its CI, and whether the CI includes 0
    (``agree``; NaN when it cannot be told: fewer than 2 runs, or no time series)."""
    runs = run_halves(results)
    if runs.empty:
        return pd.DataFrame(columns=COLUMNS)
    pooled = len(results.manifest["design"]["points"]) > MAX_POINTS_SHOWN
    if pooled:
        runs = runs.assign(point=-1)
    order = {label: i for i, label in enumerate(results.labels)}
    metric_order = {ref.column: i for i, ref in enumerate(results.metrics)}
    out = []
    for (scenario, point, metric), group in runs.groupby(["scenario", "point", "metric"], sort=False):
        drift = (group["second"] - group["first"]).to_numpy(dtype=float)
        stats = mean_ci(drift, results.confidence)
        if stats["n"] == 0:  # the metric does not exist in this scenario (no such institution)
            continue
        known = np.isfinite(stats["ci_low"])
        agree = bool(stats["ci_low"] <= 0.0 <= stats["ci_high"]) if known else None
        out.append({"scenario": scenario, "point": int(point), "metric": metric, "n": stats["n"],
                    "first": float(np.nanmean(group["first"])), "second": float(np.nanmean(group["second"])),
                    "drift": stats["mean"], "ci_low": stats["ci_low"], "ci_high": stats["ci_high"], "agree": agree})
    table = pd.DataFrame(out, columns=COLUMNS)
    table["_s"], table["_m"] = table["scenario"].map(order), table["metric"].map(metric_order)
    return table.sort_values(["_s", "point", "_m"], kind="stable").drop(columns=["_s", "_m"]).reset_index(drop=True)


def _num(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.4g}"


#: The check's table, kept beside summary.csv so that a folder without per-run files (a fresh
#: clone) still reports it identically.
BURNIN_CSV = "burnin.csv"


def stored_check(results: StoredResults) -> pd.DataFrame:
    """``check(results)``, written to ``burnin.csv``; read back from it when the runs' time
    series are not in the folder (empty when neither is there)."""
    from simulation.experiments.worker import atomic_write

    path = Path(results.folder.root) / BURNIN_CSV
    table = check(results)
    if not table.empty:
        atomic_write(path, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        return table
    if not path.is_file():
        return table
    text = read_text_bounded(path, MAX_TABLE_BYTES, "a burn-in table")
    stored = pd.read_csv(io.StringIO(text), dtype={"scenario": str, "metric": str}, keep_default_na=False, na_values=[""])
    agree = stored["agree"].map(lambda v: None if pd.isna(v) else str(v) == "True").astype(object)
    return stored.assign(agree=agree, point=stored["point"].astype(int), n=stored["n"].astype(int))[COLUMNS]


def section(results: StoredResults) -> str:
    """The report's "Burn-in check" section (Markdown), with its verdict first."""
    title = "## Burn-in check: the two halves of the summary window"
    if results.ok().empty:
        return ""
    skipped = [ref.column for ref in results.metrics if ref not in _checked(results)]
    table = stored_check(results)
    how = (f"Each run's mean over the first half of its summary window is compared with its mean over the second "
           f"half (paired run by run; {results.confidence:.0%} t-interval of the drift, second half minus first). "
           "A summary describes a settled state only where the interval includes 0.")
    if skipped:
        how += f" Not checked (not a window mean): {', '.join(f'`{c}`' for c in skipped)}."
    if table.empty:
        return f"{title}\n\n{how}\n\nNot checkable: the runs' time series are not in this folder."
    drifting = table[table["agree"] == False]  # noqa: E712 - None means "cannot tell"
    unknown = table[table["agree"].isna()]
    where = "scenario" if (table["point"] < 0).all() or table["point"].nunique() == 1 else "scenario and design point"
    if drifting.empty and unknown.empty:
        verdict = f"**The halves agree** for every checked metric and {where}."
    elif drifting.empty:
        verdict = f"**No drift found**, but {len(unknown)} of {len(table)} checks could not be made (fewer than 2 runs)."
    else:
        names = sorted(set(drifting["metric"]), key=list(table["metric"]).index)
        verdict = (f"**The halves do not agree** in {len(drifting)} of {len(table)} checks, for "
                   + ", ".join(f"`{n}`" for n in names)
                   + ": these summaries average a window in which the runs are still moving, so they depend on the horizon.")
    show_point = not (table["point"] < 0).all() and table["point"].nunique() > 1
    header = ["scenario", *(["point"] if show_point else []), "metric", "n", "first half", "second half", "drift",
              f"{results.confidence:.0%} CI", "halves agree"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for _, r in table.iterrows():
        agree = "–" if r["agree"] is None or pd.isna(r["agree"]) else ("yes" if r["agree"] else "**no**")
        cells = [str(r["scenario"]), *([str(r["point"])] if show_point else []), f"`{r['metric']}`", str(int(r["n"])),
                 _num(r["first"]), _num(r["second"]), _num(r["drift"]), f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]", agree]
        lines.append("| " + " | ".join(cells) + " |")
    pooled = " (design points pooled)" if (table["point"] < 0).all() else ""
    return f"{title}\n\n{verdict}\n\n{how}{pooled}\n\n" + "\n".join(lines)


__all__ = ["BURNIN_CSV", "window_steps", "halves", "run_halves", "check", "section", "stored_check"]
