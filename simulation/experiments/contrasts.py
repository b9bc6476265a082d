"""Factorial contrasts: which differences between treatments survive each control?

An experiment's ``factorial:`` block names each scenario label's levels (schema.Factorial).
From ``summary.csv`` alone (never the model, never the time series) this module computes,
paired run by run (replication k of every arm shares its seed: common random numbers):

* each treated arm against the reference arm (e.g. no institution);
* each treated arm against its null arm (same treatment and the control levels the null arm
  names: the institutions present but without effect);
* the difference between the two ``compare`` levels under every combination of the
  controls' levels, and whether it *survives* each control: the interval excludes 0 with
  the sign it has uncontrolled (``survives``), with the other sign (``reverses``), or not at
  all (``vanishes``); a difference absent uncontrolled may ``appear`` under a control.

The table is written to ``contrasts.csv`` beside ``summary.csv`` so text can cite it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiments.analysis import StoredResults, mean_ci
from simulation.experiments.schema import NULL_ARM, Factorial

CONTRASTS_CSV = "contrasts.csv"  # store.CONTRASTS
#: Kinds of contrast, in the order the CSV lists them.
DIFFERENCE, VS_REFERENCE, VS_NULL = "difference", "vs_reference", "vs_null"
#: How a difference under a control relates to the same difference uncontrolled.
SURVIVES, REVERSES, VANISHES, APPEARS, ABSENT = "survives", "reverses", "vanishes", "appears", "absent"
UNKNOWN = "–"
COLUMNS = ["kind", "control", "a", "b", "point", "metric", "n", "mean", "sd", "ci_low", "ci_high", "sign", "verdict"]
#: The report lists at most this many design points (like report.MAX_TABLE_POINTS).
MAX_POINTS = 12


def sign(ci_low: float, ci_high: float) -> int | None:
    """+1 or -1 when the interval excludes 0 on that side, 0 when it includes 0, None when
    there is no interval (fewer than 2 pairs)."""
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return None
    return 1 if ci_low > 0 else -1 if ci_high < 0 else 0


def change(before: int | None, after: int | None) -> str:
    """How a difference of sign ``after`` (under a control, or in another window) relates to
    the same difference of sign ``before``: one of SURVIVES, REVERSES, VANISHES, APPEARS,
    ABSENT (neither excludes 0) or UNKNOWN."""
    if before is None or after is None:
        return UNKNOWN
    if before == 0:
        return ABSENT if after == 0 else APPEARS
    return VANISHES if after == 0 else SURVIVES if after == before else REVERSES


def paired(data: pd.DataFrame, a: str, b: str, columns: list[str], confidence: float) -> list[dict]:
    """Arm ``a`` minus arm ``b``, run by run (same design point, replication and seed), per
    column: n, mean, sd and t-interval of the differences, per design point."""
    left = data[data["scenario"] == a]
    right = data[data["scenario"] == b]
    pairs = left.merge(right, on=["point", "replication", "seed"], suffixes=("", "_b"))
    rows = []
    for point, group in pairs.groupby("point", sort=True):
        for column in columns:
            diff = group[column].to_numpy(dtype=float) - group[f"{column}_b"].to_numpy(dtype=float)
            stats = mean_ci(diff, confidence)
            if stats["n"]:
                rows.append({"a": a, "b": b, "point": int(point), "metric": column, **stats,
                             "sign": sign(stats["ci_low"], stats["ci_high"])})
    return rows


def control_name(spec: Factorial, levels: dict[str, str]) -> str:
    """``uncontrolled`` when every control is at its first level, else the controlled ones
    (``coverage frozen, bundle equalised``)."""
    moved = [f"{f} {v}" for f, v in levels.items() if v != spec.factors[f][0]]
    return ", ".join(moved) or "uncontrolled"


def _arm(spec: Factorial, treatment_level: str, levels: dict[str, str]) -> str | None:
    treatment = next(iter(spec.factors))
    for label, arm in spec.arms.items():
        if arm.get(NULL_ARM) is not True and arm[treatment] == treatment_level and all(arm.get(f) == v for f, v in levels.items()):
            return label
    return None


def null_arm(spec: Factorial, label: str) -> str | None:
    """The null arm of ``label``: same treatment level, and the control levels it names
    equal to the arm's (a null arm naming no bundle serves every bundle)."""
    arm = spec.arms[label]
    for other, levels in spec.arms.items():
        if levels.get(NULL_ARM) is True and all(arm.get(f) == v for f, v in levels.items() if f != NULL_ARM):
            return other
    return None


def control_combinations(spec: Factorial) -> list[dict[str, str]]:
    """Every combination of the controls' levels: the uncontrolled one first, then one control
    at a time (in the order of ``factors``), then two at a time, and so on."""
    controls = list(spec.factors)[1:]
    combos = [dict(zip(controls, combo)) for combo in itertools.product(*(spec.factors[c] for c in controls))]
    moved = lambda c: [spec.factors[f].index(v) for f, v in c.items()]  # noqa: E731
    return sorted(combos, key=lambda c: (sum(i > 0 for i in moved(c)), [-(i > 0) for i in moved(c)], moved(c)))


def contrasts(data: pd.DataFrame, spec: Factorial, columns: list[str], confidence: float) -> pd.DataFrame:
    """The contrast table of successful runs ``data`` (summary.csv rows), see the module doc."""
    treatment, *_ = spec.factors
    reference_level = spec.factors[treatment][0]
    reference = next((label for label, arm in spec.arms.items() if arm[treatment] == reference_level), None)
    rows: list[dict] = []
    combos = control_combinations(spec)
    uncontrolled: dict[tuple[int, str], int | None] = {}
    for levels in combos:
        a, b = (_arm(spec, level, levels) for level in spec.compare)
        if a is None or b is None:
            continue
        name = control_name(spec, levels)
        for row in paired(data, a, b, columns, confidence):
            key = (row["point"], row["metric"])
            if name == "uncontrolled":
                uncontrolled[key] = row["sign"]
                verdict = ""
            else:
                verdict = change(uncontrolled.get(key), row["sign"]) if key in uncontrolled else UNKNOWN
            rows.append({"kind": DIFFERENCE, "control": name, **row, "verdict": verdict})
    for label, arm in spec.arms.items():
        if arm.get(NULL_ARM) is True or arm[treatment] == reference_level:
            continue
        name = control_name(spec, {f: arm[f] for f in list(spec.factors)[1:] if f in arm})
        if reference is not None:
            rows += [{"kind": VS_REFERENCE, "control": name, **r, "verdict": ""} for r in paired(data, label, reference, columns, confidence)]
        null = null_arm(spec, label)
        if null is not None:
            rows += [{"kind": VS_NULL, "control": name, **r, "verdict": ""} for r in paired(data, label, null, columns, confidence)]
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["sign"] = table["sign"].map(lambda s: "" if s is None or pd.isna(s) else int(s)).astype(object)
    return table


def compute(results: StoredResults) -> pd.DataFrame:
    """The contrasts of a results folder (empty without a ``factorial:`` block or runs)."""
    spec = results.experiment.factorial
    if spec is None or results.ok().empty:
        return pd.DataFrame(columns=COLUMNS)
    present = set(results.ok()["scenario"])
    spec_labels = [label for label in spec.arms if label in present]
    data = results.ok()[results.ok()["scenario"].isin(spec_labels)]
    return contrasts(data, spec, [ref.column for ref in results.metrics], results.confidence)


def write(results: StoredResults, table: pd.DataFrame) -> Path:
    """contrasts.csv, floats in their shortest exact form (identical bytes for identical numbers)."""
    path = Path(results.folder.root) / CONTRASTS_CSV
    results.folder.write_text(CONTRASTS_CSV, table.to_csv(index=False, lineterminator="\n"))
    return path


def _num(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.4g}"


def _ci(row: pd.Series) -> str:
    return f"{_num(row['mean'])} [{_num(row['ci_low'])}, {_num(row['ci_high'])}]"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _shown(verdict: str) -> str:
    return f"**{verdict}**" if verdict in (REVERSES, VANISHES, APPEARS) else verdict


def section(results: StoredResults) -> str:
    """The report's "Factorial contrasts" section: which differences survive each control
    (compact table first), then every contrast with its interval; writes contrasts.csv."""
    spec = results.experiment.factorial
    if spec is None or results.ok().empty:
        return ""
    table = compute(results)
    write(results, table)
    if table.empty:
        return "## Factorial contrasts\n\nNo pairs of runs to compare (the arms have no successful runs in common)."
    if table["point"].nunique() > MAX_POINTS:
        return (f"## Factorial contrasts\n\n{table['point'].nunique()} design points: every contrast is in "
                f"[`{CONTRASTS_CSV}`]({CONTRASTS_CSV}).")
    conf = f"{results.confidence:.0%}"
    a_level, b_level = spec.compare
    treatment = next(iter(spec.factors))
    several = table["point"].nunique() > 1
    at = (lambda r: f" (point {int(r['point'])})") if several else (lambda r: "")
    diff = table[table["kind"] == DIFFERENCE]
    controls = list(dict.fromkeys(diff["control"]))
    parts = ["## Factorial contrasts",
             f"Arms are paired run by run (replication k of every arm shares its seed: common random numbers); each "
             f"entry is the mean difference over pairs with its {conf} t-interval. Treatment: `{treatment}` "
             f"({', '.join(spec.factors[treatment])}); controls: "
             + ", ".join(f"`{c}` ({' → '.join(spec.factors[c])})" for c in list(spec.factors)[1:])
             + f". Every number is in [`{CONTRASTS_CSV}`]({CONTRASTS_CSV})."]
    if not diff.empty and "uncontrolled" in controls:
        base = diff[diff["control"] == "uncontrolled"]
        header = ["metric", f"{a_level} − {b_level}, uncontrolled", *controls[1:]]
        rows = []
        for _, r in base.iterrows():
            cells = [f"`{r['metric']}`{at(r)}", _ci(r)]
            for name in controls[1:]:
                other = diff[(diff["control"] == name) & (diff["metric"] == r["metric"]) & (diff["point"] == r["point"])]
                cells.append(f"{_shown(other['verdict'].iloc[0])} ({_num(other['mean'].iloc[0])})" if not other.empty else UNKNOWN)
            rows.append(cells)
        found = base[base["sign"].isin([1, -1])]
        survivors = [m for m in found["metric"] if (diff[(diff["metric"] == m) & (diff["control"] != "uncontrolled")]["verdict"] == SURVIVES).all()]
        summary = (f"Of {len(base)} metrics, {len(found)} differ uncontrolled (interval excludes 0); "
                   + (f"{len(survivors)} survive every control: {', '.join(f'`{m}`' for m in survivors)}." if survivors
                      else "none survives every control."))
        parts += [f"### Which {a_level} − {b_level} differences survive each control",
                  "Each control's column gives its verdict and, in brackets, its mean difference. "
                  f"*survives*: the interval under the control excludes 0 with the uncontrolled sign; *reverses*: with "
                  f"the other sign; *vanishes*: it includes 0; *appears*: excludes 0 although the uncontrolled one does "
                  f"not; *absent*: includes 0 in both. {summary}",
                  _table(header, rows)]
    if not diff.empty:
        rows = [[f"`{r['metric']}`{at(r)}", r["control"], f"`{r['a']}` − `{r['b']}`", str(int(r["n"])), _ci(r), _shown(r["verdict"]) or "–"]
                for _, r in diff.iterrows()]
        parts += [f"### {a_level} − {b_level} under each control", _table(["metric", "control", "arms", "pairs", f"mean [{conf} CI]", "verdict"], rows)]
    effects = table[table["kind"] != DIFFERENCE]
    if not effects.empty:
        keys = effects[["a", "point", "metric"]].drop_duplicates()
        rows = []
        for _, k in keys.iterrows():
            mine = effects[(effects["a"] == k["a"]) & (effects["point"] == k["point"]) & (effects["metric"] == k["metric"])]
            ref = mine[mine["kind"] == VS_REFERENCE]
            null = mine[mine["kind"] == VS_NULL]
            rows.append([f"`{k['metric']}`{at(k)}", f"`{k['a']}`",
                         _ci(ref.iloc[0]) if not ref.empty else "–",
                         f"{_ci(null.iloc[0])} (`{null['b'].iloc[0]}`)" if not null.empty else "–"])
        reference = effects.loc[effects["kind"] == VS_REFERENCE, "b"]
        against = f"`{reference.iloc[0]}`" if not reference.empty else "the reference"
        parts += [f"### Each arm against {against} and against its null arm",
                  f"The null arm has the same {treatment} and the control levels it names, with every effect parameter 0: "
                  "the difference from it is the effect of the rules, not of the institution's presence.",
                  _table(["metric", "arm", f"− {against} [{conf} CI]", f"− null arm [{conf} CI]"], rows)]
    return "\n\n".join(parts)


__all__ = ["CONTRASTS_CSV", "COLUMNS", "SURVIVES", "REVERSES", "VANISHES", "APPEARS", "ABSENT", "UNKNOWN", "sign", "change",
           "paired", "null_arm", "control_combinations", "control_name", "contrasts", "compute", "write", "section"]
