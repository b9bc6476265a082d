"""Horizon: could a report's conclusions depend on how long the runs are?

Two checks, both from stored files only:

* every report: the burn-in check's verdict (``stationarity``: do the two halves of each
  summary window agree?) in one line, with a pointer to a sibling ``long_horizon`` folder
  when it runs the same scenario files;
* an experiment that summarises a metric over two windows of the same runs (``metric`` over
  the last ``window`` steps and ``metric[first-last]`` over its own steps, as
  ``experiments/long_horizon.yaml`` does): per scenario and metric both means and their
  paired difference, and for each scenario's difference from the baseline whether its sign
  and significance are the same in both windows (``holds``, ``changes sign``, ``vanishes``,
  ``appears``; ``absent`` when neither window shows one).  Written to ``horizon.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiments import contrasts
from simulation.experiments.analysis import StoredResults, mean_ci
from simulation.experiments.schema import MetricRef
from simulation.experiments.stationarity import BURNIN_CSV, CHECKED_STATISTICS

HORIZON_CSV = "horizon.csv"  # store.HORIZON
#: The folder (beside this one) that runs the headline's worlds at two horizons.
LONG_HORIZON = "long_horizon"
WINDOW, VS_BASELINE = "window", "vs_baseline"
#: A between-scenario difference in the late window compared with the same in the early one.
WORDS = {contrasts.SURVIVES: "holds", contrasts.REVERSES: "changes sign", contrasts.VANISHES: "vanishes",
         contrasts.APPEARS: "appears", contrasts.ABSENT: "absent", contrasts.UNKNOWN: contrasts.UNKNOWN}
DEPENDS = ("changes sign", "vanishes", "appears")
COLUMNS = ["kind", "scenario", "baseline", "point", "metric", "early", "late", "n", "early_mean", "early_ci_low",
           "early_ci_high", "late_mean", "late_ci_low", "late_ci_high", "diff_mean", "diff_ci_low", "diff_ci_high", "verdict"]
MAX_LISTED = 10


def window_pairs(results: StoredResults) -> list[tuple[MetricRef, MetricRef]]:
    """(early, late) summary metrics that are one metric over two windows: same metric,
    scope and statistic; the window ending first is early (the summary window, the last
    steps of the run, ends last)."""
    default = results.experiment.summary.statistic
    groups: dict[tuple[str, str, str], list[MetricRef]] = {}
    for ref in results.metrics:
        groups.setdefault((ref.metric, ref.scope, ref.statistic or default), []).append(ref)
    pairs = []
    for refs in groups.values():
        if len(refs) < 2:
            continue
        ordered = sorted(refs, key=lambda r: np.inf if r.steps is None else r.steps[1])
        pairs += [(ordered[0], late) for late in ordered[1:]]
    return pairs


def window_name(results: StoredResults, ref: MetricRef) -> str:
    """``years 51-100`` for a metric's own steps; the summary window in years when the
    experiment fixes the run length, else ``the last N years``."""
    if ref.steps is not None:
        return f"years {ref.steps[0]}–{ref.steps[1]}"
    window, steps = results.experiment.summary.window, results.experiment.steps
    return f"years {max(steps - window, 0) + 1}–{steps}" if steps else f"the last {window} years"


def _stats(prefix: str, values: np.ndarray, confidence: float) -> dict[str, float]:
    s = mean_ci(values, confidence)
    return {f"{prefix}_mean": s["mean"], f"{prefix}_ci_low": s["ci_low"], f"{prefix}_ci_high": s["ci_high"]}


def compare(data: pd.DataFrame, pairs: list[tuple[MetricRef, MetricRef]], labels: list[str], baseline: str,
            confidence: float) -> pd.DataFrame:
    """The horizon table of successful runs ``data`` (summary.csv rows): per scenario, point
    and pair, the mean in each window and the paired late - early difference (``window``
    rows); per scenario other than ``baseline``, its paired difference from the baseline in
    each window, their difference, and the verdict (``vs_baseline`` rows)."""
    rows: list[dict] = []
    for scenario in labels:
        mine = data[data["scenario"] == scenario]
        for point, group in mine.groupby("point", sort=True):
            for early, late in pairs:
                a, b = group[early.column].to_numpy(dtype=float), group[late.column].to_numpy(dtype=float)
                d = mean_ci(b - a, confidence)
                if d["n"] == 0:
                    continue
                rows.append({"kind": WINDOW, "scenario": scenario, "baseline": "", "point": int(point), "metric": late.column,
                             "early": early.column, "late": late.column, "n": d["n"], **_stats("early", a, confidence),
                             **_stats("late", b, confidence), "diff_mean": d["mean"], "diff_ci_low": d["ci_low"],
                             "diff_ci_high": d["ci_high"], "verdict": ""})
    base = data[data["scenario"] == baseline]
    for scenario in labels:
        if scenario == baseline:
            continue
        merged = data[data["scenario"] == scenario].merge(base, on=["point", "replication", "seed"], suffixes=("", "_base"))
        for point, group in merged.groupby("point", sort=True):
            for early, late in pairs:
                e = group[early.column].to_numpy(dtype=float) - group[f"{early.column}_base"].to_numpy(dtype=float)
                l_ = group[late.column].to_numpy(dtype=float) - group[f"{late.column}_base"].to_numpy(dtype=float)
                es, ls, ds = mean_ci(e, confidence), mean_ci(l_, confidence), mean_ci(l_ - e, confidence)
                if es["n"] == 0 and ls["n"] == 0:
                    continue
                verdict = WORDS[contrasts.change(contrasts.sign(es["ci_low"], es["ci_high"]), contrasts.sign(ls["ci_low"], ls["ci_high"]))]
                rows.append({"kind": VS_BASELINE, "scenario": scenario, "baseline": baseline, "point": int(point),
                             "metric": late.column, "early": early.column, "late": late.column, "n": ds["n"],
                             "early_mean": es["mean"], "early_ci_low": es["ci_low"], "early_ci_high": es["ci_high"],
                             "late_mean": ls["mean"], "late_ci_low": ls["ci_low"], "late_ci_high": ls["ci_high"],
                             "diff_mean": ds["mean"], "diff_ci_low": ds["ci_low"], "diff_ci_high": ds["ci_high"], "verdict": verdict})
    return pd.DataFrame(rows, columns=COLUMNS)


def compute(results: StoredResults) -> pd.DataFrame:
    pairs = window_pairs(results)
    if not pairs or results.ok().empty:
        return pd.DataFrame(columns=COLUMNS)
    return compare(results.ok(), pairs, results.labels, results.experiment.baseline, results.confidence)


def conclusion(table: pd.DataFrame, early: str, late: str) -> str:
    """The one sentence: does any difference from the baseline depend on the window?"""
    between = table[table["kind"] == VS_BASELINE]
    if between.empty:
        return "No difference from a baseline to compare between the windows (one scenario)."
    moved = between[between["verdict"].isin(DEPENDS)]
    baseline = between["baseline"].iloc[0]
    if moved.empty:
        return (f"**No conclusion depends on the horizon**: each of the {len(between)} differences from `{baseline}` has the "
                f"same sign and significance in {early} as in {late}.")
    listed = ", ".join(f"`{r['scenario']}` {r['metric']} ({r['verdict']})" for _, r in moved.head(MAX_LISTED).iterrows())
    more = f" and {len(moved) - MAX_LISTED} more" if len(moved) > MAX_LISTED else ""
    return (f"**Some conclusions depend on the horizon**: {len(moved)} of {len(between)} differences from `{baseline}` "
            f"change sign, vanish or appear between {early} and {late}: {listed}{more}.")


def _burnin_verdict(results: StoredResults) -> str:
    """The burn-in check's verdict, from the ``burnin.csv`` the check has just written."""
    path = Path(results.folder.root) / BURNIN_CSV
    default = results.experiment.summary.statistic
    if not any((r.statistic or default) in CHECKED_STATISTICS for r in results.metrics):
        return "not checked: no summary is a window mean, so the burn-in check has nothing to split"
    try:
        table = pd.read_csv(path, dtype={"metric": str}, keep_default_na=False, na_values=[""])
    except (OSError, ValueError):
        return "not known: the burn-in check could not be made (the runs' time series are not in this folder)"
    agree = table["agree"].map(lambda v: None if pd.isna(v) else str(v) == "True")
    drifting = table.loc[agree == False, "metric"]  # noqa: E712 - None means "cannot tell"
    unknown = int(agree.isna().sum())
    if drifting.empty and unknown:
        return (f"not known: the burn-in check finds no drift, but {unknown} of {len(table)} checks could not be made "
                "(fewer than 2 runs)")
    if drifting.empty:
        return ("not within the summary window: the burn-in check finds its two halves agree for every metric (the runs "
                "have settled there; a much longer run may still differ)")
    names = ", ".join(f"`{m}`" for m in dict.fromkeys(drifting))
    return (f"yes, for {names}: the burn-in check finds them still moving within the summary window ({len(drifting)} of "
            f"{len(table)} checks), so their summaries depend on the horizon")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _long_horizon_pointer(results: StoredResults) -> str:
    """A link to the sibling long-horizon folder when it runs one of this folder's scenario files."""
    here = Path(results.folder.root).resolve()
    other = here.parent / LONG_HORIZON
    if other == here or not (other / "manifest.json").is_file():
        return ""
    import json

    try:
        manifest = json.loads((other / "manifest.json").read_text())
        theirs = {Path(s["file"]).name for s in manifest["scenarios"].values()}
        steps = manifest["experiment"]["settings"].get("steps")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ""
    mine = {Path(s["file"]).name for s in results.manifest["scenarios"].values()}
    if not mine & theirs:
        return ""
    return (f" [`{LONG_HORIZON}`](../{LONG_HORIZON}/report.md) runs {', '.join(f'`{n}`' for n in sorted(mine & theirs))} "
            + (f"for {steps} years " if isinstance(steps, int) else "") + "and compares two windows of the same runs.")


def section(results: StoredResults) -> str:
    """The report's "Does any conclusion depend on the horizon?" section: one line for every
    report; for a two-window experiment the comparison tables and the concluding sentence.
    Placed after the burn-in check, whose ``burnin.csv`` it reads."""
    if results.ok().empty:
        return ""
    title = "## Does any conclusion depend on the horizon?"
    pairs = window_pairs(results)
    table = compute(results)
    line = f"**Could these conclusions depend on the horizon?** {_sentence(_burnin_verdict(results))}."
    if not pairs or table.empty:
        return f"{title}\n\n{line}{_long_horizon_pointer(results)}"
    results.folder.write_text(HORIZON_CSV, table.to_csv(index=False, lineterminator="\n"))
    early, late = window_name(results, pairs[0][0]), window_name(results, pairs[0][1])
    end = conclusion(table, early, late)
    if table["point"].nunique() > contrasts.MAX_POINTS:
        return f"{title}\n\n{line} Between the windows: {end} Every number is in [`{HORIZON_CSV}`]({HORIZON_CSV})."
    conf = f"{results.confidence:.0%}"
    num = contrasts._num
    ci = lambda r, p: f"{num(r[f'{p}_mean'])} [{num(r[f'{p}_ci_low'])}, {num(r[f'{p}_ci_high'])}]"  # noqa: E731
    several = table["point"].nunique() > 1
    at = (lambda r: f" (point {int(r['point'])})") if several else (lambda r: "")
    within = table[table["kind"] == WINDOW]
    name = lambda r: f"`{r['metric']}`" if str(r["early"]).startswith(f"{r['metric']}[") else f"`{r['early']}` → `{r['late']}`"  # noqa: E731
    rows = [[f"{r['scenario']}{at(r)}", name(r), str(int(r["n"])), num(r["early_mean"]), num(r["late_mean"]),
             ci(r, "diff")] for _, r in within.iterrows()]
    parts = [title, f"{line} Between the windows: {end}",
             f"Each metric is summarised twice from the same runs: over {early} and over {late}. Differences are paired "
             f"run by run, with {conf} t-intervals. Every number is in [`{HORIZON_CSV}`]({HORIZON_CSV}).",
             "### Each scenario in both windows",
             contrasts._table(["scenario", "metric", "runs", early, late, f"late − early [{conf} CI]"], rows)]
    between = table[table["kind"] == VS_BASELINE]
    if not between.empty:
        shown = lambda v: f"**{v}**" if v in DEPENDS else v  # noqa: E731
        rows = [[f"{r['scenario']}{at(r)}", name(r), str(int(r["n"])), ci(r, "early"), ci(r, "late"), ci(r, "diff"), shown(r["verdict"])]
                for _, r in between.iterrows()]
        parts += [f"### Differences from `{results.experiment.baseline}` in both windows",
                  "*holds*: the interval excludes 0 with the same sign in both windows; *changes sign*: with opposite "
                  "signs; *vanishes*: only in the early window; *appears*: only in the late one; *absent*: in neither.",
                  contrasts._table(["scenario", "metric", "pairs", f"{early} [{conf} CI]", f"{late} [{conf} CI]",
                                    f"late − early [{conf} CI]", "verdict"], rows)]
    parts.append(end)
    return "\n\n".join(parts)


__all__ = ["HORIZON_CSV", "COLUMNS", "WORDS", "window_pairs", "window_name", "compare", "compute", "conclusion", "section"]
