"""``report.md``: what was run, the tables, the figures, and how to reproduce them.

Built only from the stored results (via ``analysis`` and ``figures``), so
``alliance-sim report`` can rebuild it at any time without running the model.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiments import analysis, compare, contrasts, figures, horizon, labels, stationarity
from simulation.experiments.analysis import StoredResults
from simulation.experiments.store import REPORT

SIGNIFICANT = 4
#: How a metric's own summary statistic is named next to its table.
STATISTIC_TEXT = {"mean": "mean over the window", "final": "value at the last step", "min": "minimum over the window",
                  "max": "maximum over the window", "sum": "sum over the window"}
#: Tables list at most this many design points; larger designs are summarised by figures.
MAX_TABLE_POINTS = 12
#: Grid designs (whose points are the question asked) get per-point tables up to this size.
MAX_GRID_TABLE_POINTS = 200
MAX_FAILURES_LISTED = 20


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:.{SIGNIFICANT}g}"


def _ci(row: pd.Series) -> str:
    return f"[{_num(row['ci_low'])}, {_num(row['ci_high'])}]"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _point_text(row: pd.Series, columns: list[str], res: StoredResults | None = None) -> str:
    """A design point in the design's own labels (``interference = 0.1``)."""
    name = (lambda c: figures._parameter_name(res, c)) if res is not None else (lambda c: c)
    return ", ".join(f"{name(c)} = {row[c]}" for c in columns)


def _table_limit(res: StoredResults) -> int:
    return MAX_GRID_TABLE_POINTS if res.manifest["design"]["type"] == "grid" else MAX_TABLE_POINTS


def _provenance(res: StoredResults) -> str:
    m = res.manifest
    env = m.get("environment") if isinstance(m.get("environment"), dict) else {}
    git = env.get("git") if isinstance(env.get("git"), dict) else {}
    pkgs = env.get("packages") if isinstance(env.get("packages"), dict) else {}
    counts = m.get("counts") if isinstance(m.get("counts"), dict) else {}
    rows = [
        ["experiment file", f"`{m['experiment']['file']}` (sha256 `{m['experiment']['sha256'][:16]}…`)"],
        ["scenarios", ", ".join(f"`{k}`" for k in m["scenarios"])],
        ["design", f"{m['design']['type']}, {len(m['design']['points'])} point(s)"],
        ["replications / root seed", f"{res.experiment.replications} / {m['seeds']['root']} (common random numbers)"],
        ["runs", f"{counts.get('total')} total: {counts.get('ok')} ok, {counts.get('failed')} failed, {counts.get('pending')} pending"],
        ["started / finished (UTC)", f"{m.get('started')} / {m.get('finished')}"],
        ["code", f"commit `{git.get('commit', 'unknown')[:12]}`" + (" (with local changes)" if git.get("dirty") else "") if git else "not a git checkout"],
        ["versions", ", ".join(f"{k} {v}" for k, v in pkgs.items() if v) + f", Python {env.get('python')}"],
    ]
    return _table(["", ""], rows)


def _scenarios_section(res: StoredResults) -> str:
    """Each scenario label with its file and its own overrides (the same file may be run
    several ways); the resolved files are in ``scenarios/<label>.yaml``."""
    rows = []
    for label, entry in res.manifest["scenarios"].items():
        overrides = entry.get("overrides") or {}
        shown = "<br>".join(f"`{k}: {_yaml_value(v)}`" for k, v in overrides.items()) or "–"
        rows.append([f"`{label}`", f"`{entry['file']}`", shown, f"[`{entry['resolved']}`]({entry['resolved']})"])
    order = "scenario file → experiment `overrides` → `steps` → the scenario's own overrides → design point"
    return ("## Scenarios\n\n" + _table(["label", "file (relative to this folder)", "own overrides", "resolved"], rows)
            + f"\n\nOrder of application: {order}.")


def _yaml_value(value: object) -> str:
    import yaml

    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("\n...").strip()


def _describe_section(res: StoredResults) -> str:
    if res.ok().empty:
        return _no_success(res)
    table = analysis.describe(res)
    if table.empty:
        return "No successful runs."
    design = res.design_columns
    n_points = len(res.manifest["design"]["points"])
    if n_points > _table_limit(res):
        return f"{n_points} design points: see the figures and `summary.csv`."
    out = []
    for ref in res.metrics:
        part = table[table["metric"] == ref.column]
        header = ["scenario", *(["design point"] if design else []), "n", "mean", "sd", f"{res.confidence:.0%} CI"]
        rows = [[r["scenario"], *([_point_text(r, design, res)] if design else []), str(int(r["n"])), _num(r["mean"]), _num(r["sd"]), _ci(r)]
                for _, r in part.iterrows()]
        unit = labels.unit(ref.column, ref.statistic or res.experiment.summary.statistic)
        own = f"; {STATISTIC_TEXT[ref.statistic]}" if ref.statistic and ref.statistic != res.experiment.summary.statistic else ""
        out.append(f"**{ref.column}** — {labels.describe_metric(ref.column)}" + (f" ({unit})" if unit else "") + own
                   + "\n\n" + _table(header, rows))
    return "\n\n".join(out)


def _no_success(res: StoredResults) -> str:
    counts = {status: 0 for status in ("failed", "pending")}
    for run in res.manifest["runs"]:
        if run["status"] in counts:
            counts[run["status"]] += 1
    why = "see **Failed runs** below, fix the cause and run the sweep again with `--resume`" if counts["failed"] else \
        "finish the sweep with `--resume`"
    total = len(res.manifest["runs"])
    return (f"**No run succeeded** ({total} run{'s' if total != 1 else ''}: {counts['failed']} failed, {counts['pending']} not run), "
            f"so there are no tables or figures; {why}.")


def _differences_section(res: StoredResults) -> str:
    if len(res.labels) < 2 or res.ok().empty:
        return ""
    table = analysis.paired_differences(res)
    if table.empty:
        return ""
    n_points = len(res.manifest["design"]["points"])
    if n_points > _table_limit(res):
        return ""
    design = res.design_columns
    header = ["metric", "scenario", *(["design point"] if design else []), "pairs", "mean difference", f"{res.confidence:.0%} CI", "CI excludes 0"]
    rows = []
    for _, r in table.iterrows():
        excl = "yes" if np.isfinite(r["ci_low"]) and (r["ci_low"] > 0 or r["ci_high"] < 0) else "no"
        rows.append([r["metric"], r["scenario"], *([_point_text(r, design, res)] if design else []), str(int(r["n"])), _num(r["mean"]), _ci(r), excl])
    return (f"## Paired differences from `{res.experiment.baseline}`\n\n"
            "Each scenario minus the baseline, run by run with the same seed (common random numbers).\n\n"
            + _table(header, rows))


def _sensitivity_section(res: StoredResults) -> str:
    kind = res.manifest["design"]["type"]
    if res.ok().empty:
        return ""
    if kind == "sobol":
        table = analysis.sobol_indices(res)
        if table.empty:
            return "## Sobol indices\n\nNot computable (missing runs or a constant output)."
        rows = [[r["scenario"], r["metric"], figures._parameter_name(res, r["parameter"]), f"{_num(r['S1'])} ± {_num(r['S1_conf'])}", f"{_num(r['ST'])} ± {_num(r['ST_conf'])}"]
                for _, r in table.iterrows()]
        return "## Sobol indices\n\nFirst order S1 and total order ST with bootstrap half-widths.\n\n" + _table(["scenario", "metric", "parameter", "S1", "ST"], rows)
    if kind == "morris":
        table = analysis.morris_indices(res)
        if table.empty:
            return "## Morris screening\n\nNot computable (missing runs)."
        rows = [[r["scenario"], r["metric"], figures._parameter_name(res, r["parameter"]), f"{_num(r['mu_star'])} ± {_num(r['mu_star_conf'])}", _num(r["sigma"]), _num(r["mu"])]
                for _, r in table.iterrows()]
        ranking = analysis.morris_ranking(table)
        rank_rows = [[str(i + 1), figures._parameter_name(res, r["parameter"]), _num(r["score"]), _num(r["mean_relative"]), r["top_output"]]
                     for i, r in ranking.iterrows()]
        skipped = [ref.column for ref in res.metrics if ref.column not in set(table["metric"])]
        note = (f" Left out because some design points have no value (e.g. cohesion of an institution with fewer than two "
                f"members): {', '.join(f'`{m}`' for m in skipped)}." if skipped else "")
        return ("## Morris ranking over all outputs\n\n"
                "Each output's mu* divided by the largest mu* of that output; a parameter's score is its largest relative "
                "mu* over the outputs (mean relative mu* breaks ties)." + note + "\n\n"
                + _table(["rank", "parameter", "score", "mean relative mu*", "where largest"], rank_rows)
                + "\n\n## Morris screening\n\n" + _table(["scenario", "metric", "parameter", "mu*", "sigma", "mu"], rows))
    return ""


def _effects_section(res: StoredResults) -> str:
    """For a grid: each parameter's values against each metric (mean and CI per value,
    pooled over the other parameters when there are several); and, for every design, the
    parameters whose effect is within noise."""
    if res.ok().empty or not res.design_columns:
        return ""
    parts = []
    if res.manifest["design"]["type"] == "grid":
        table = analysis.grid_effects(res)
        pooled = len(res.design_columns) > 1
        for path in res.design_columns:
            name = figures._parameter_name(res, path)
            header = [name, *(f"{m}" + (f" ({s})" if len(res.labels) > 1 else "") for m in (r.column for r in res.metrics) for s in res.labels)]
            rows = []
            for value in dict.fromkeys(res.experiment.design.parameters[path].values):
                cells = [str(value)]
                for ref in res.metrics:
                    for scenario in res.labels:
                        r = table[(table["parameter"] == path) & (table["value"] == value) & (table["metric"] == ref.column)
                                  & (table["scenario"] == scenario)]
                        cells.append(f"{_num(r['mean'].iloc[0])} {_ci(r.iloc[0])}" if not r.empty else "–")
                rows.append(cells)
            how = " (each value pooled over the other parameters' values)" if pooled else ""
            parts.append(f"**{name}**{how}: mean [{res.confidence:.0%} CI]\n\n" + _table(header, rows))
    inert, how = analysis.inert_parameters(res)
    if how:
        if inert:
            names = ", ".join(f"**{figures._parameter_name(res, p)}**" for p in inert)
            parts.append(f"Inert within noise: {names} ({how}). Over the ranges tried these parameters change none of "
                         "the summarised metrics; a metric not summarised may still move.")
        else:
            parts.append(f"No design parameter is inert: each has an effect beyond noise on at least one summarised metric "
                         f"(a parameter would be inert when {how}).")
    return "## Effects of the design parameters\n\n" + "\n\n".join(parts) if parts else ""


def _failures_section(res: StoredResults) -> str:
    failed = [r for r in res.manifest["runs"] if r["status"] == "failed"]
    if not failed:
        return ""
    rows = [[f"`{r['run_id']}`", str(r["seed"]), (str(r.get("error") or "").splitlines() or [""])[0][:120]] for r in failed[:MAX_FAILURES_LISTED]]
    more = f"\n\n…and {len(failed) - MAX_FAILURES_LISTED} more (see manifest.json)." if len(failed) > MAX_FAILURES_LISTED else ""
    return f"## Failed runs ({len(failed)})\n\nRe-run them with `--resume`.\n\n" + _table(["run", "seed", "error"], rows) + more


def _experiment_path(res: StoredResults) -> str:
    """The experiment file as seen from where the command runs (the manifest stores it
    relative to the results folder)."""
    import os

    return os.path.normpath(os.path.join(str(res.folder.root), res.manifest["experiment"]["file"]))


def build_report(root: str | Path, workers: int | None = None) -> Path:
    """Rebuild summary.csv from the run records, draw the figures, write report.md.

    ``workers`` processes draw the figures (default: one per core this process may use)."""
    if workers is None:
        from simulation.experiments.executors import default_workers

        workers = default_workers()
    res = StoredResults.load(root, rebuild_summary=True)
    drawn, kept = figures.draw_all(res, lambda: _aggregates(res), workers=workers)
    for k in kept:
        print(f"warning: figures/{k.stem}.png kept as it was: {k.reason}", file=sys.stderr)
    shown = [*drawn, *kept]
    exp = res.experiment
    record = ""
    if exp.observed is not None:  # scores.csv and its figures (the history modules load only then)
        from simulation.history.hindcast import against_the_record

        record = against_the_record(res.folder.root, res.manifest, exp)
    folder = res.folder.root
    window = f"the {exp.summary.statistic} over the last {exp.summary.window} steps"
    if any(m.statistic and m.statistic != exp.summary.statistic for m in exp.summary.metrics):
        window += " (or the metric's own statistic, named with its table)"
    parts = [
        f"# {exp.name}",
        exp.description.strip(),
        "## Notes and caveats\n\n" + exp.notes.strip() if exp.notes.strip() else "",
        "## What was run\n\n" + _provenance(res),
        f"Each run is summarised by {window}; intervals are t-based {res.confidence:.0%} confidence intervals over replications.",
        _scenarios_section(res),
        "## Figures\n\n" + ("\n\n".join(f"![{d.caption}](figures/{d.stem}.png)\n\n*{d.caption}* ([SVG](figures/{d.stem}.svg))"
                                         for d in shown) or "None: no run succeeded."),
        "## Results by scenario\n\n" + _describe_section(res),
        record,
        _effects_section(res),
        _differences_section(res),
        compare.section(res, _experiment_path(res)),  # compare_with: what changed against another folder
        contrasts.section(res),  # with a factorial: block; writes contrasts.csv
        stationarity.section(res),
        horizon.section(res),  # after the burn-in check, whose burnin.csv it reads
        _sensitivity_section(res),
        _failures_section(res),
        "## Reproduce\n\n```\n"
        f"alliance-sim sweep {_experiment_path(res)} --out {folder}-again   # the whole experiment, into a new folder\n"
        f"alliance-sim reproduce {folder} --runs 5   # re-run the first 5 runs and compare\n"
        f"alliance-sim report {folder}               # rebuild this report from the stored runs\n```",
    ]
    text = "\n\n".join(p for p in parts if p) + "\n"
    res.folder.write_text(REPORT, text)
    return folder / REPORT


def _aggregates(res: StoredResults) -> pd.DataFrame | None:
    """The per-step table the time-series figures draw: rebuilt from the per-run files when
    every successful run still has one, else the stored ``aggregates.csv`` (a clone without
    the bulky files).  Always read back from the file, so both ways draw identical figures."""
    refs = analysis.timeseries_refs(res.experiment)
    if not refs or res.ok().empty:
        return None
    if analysis.series_complete(res):
        analysis.write_aggregates(res, refs)
    return analysis.read_aggregates(res, refs)


def report_command(results: str) -> int:
    path = build_report(results)

    print(f"report written: {path}", file=sys.stderr)
    return 0
