"""Figures from analysis tables (never from the model): PNG and SVG, deterministic bytes.

Each figure has a title and axis labels that say what is shown, in which unit, over how
many replications and with which confidence level, so it can be read without the code.
Matplotlib is used through ``Figure`` objects and the Agg canvas, without pyplot's global
state; SVG ids use a fixed salt and no date, so re-drawing gives identical files.
"""

from __future__ import annotations

import io
import math
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simulation.experiments import analysis, labels
from simulation.experiments.analysis import StoredResults
from simulation.experiments.worker import atomic_write

PNG_DPI = 150
PANEL_WIDTH_IN, PANEL_HEIGHT_IN = 4.6, 3.4
MAX_COLUMNS = 3
#: More design points than this and comparison figures pool the points of each scenario.
MAX_COMPARISON_POINTS = 12
STYLE = {"svg.hashsalt": "alliance-sim", "font.size": 9, "axes.titlesize": 9, "figure.titlesize": 11,
         "axes.grid": True, "grid.alpha": 0.3}
BAND_ALPHA = 0.2
#: Characters of the figure title per inch of figure width (at the title's font size).
TITLE_CHARS_PER_INCH = 12
#: Axis labels longer than this many characters are wrapped (they would run past a panel).
AXIS_LABEL_CHARS_X, AXIS_LABEL_CHARS_Y = 52, 44
#: Colour-scale span given to a metric that is constant over a grid.
CONSTANT_SPAN = 1.0


@dataclass(frozen=True)
class Drawn:
    """A written figure: its file stem (``figures/<stem>.png`` and ``.svg``) and caption."""

    stem: str
    caption: str


def _panels(n: int) -> tuple[Figure, list]:
    cols = min(MAX_COLUMNS, max(1, n))
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(PANEL_WIDTH_IN * cols, PANEL_HEIGHT_IN * rows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(rows, cols, i + 1) for i in range(n)]
    return fig, axes


def _save(fig: Figure, folder: Path, stem: str) -> None:
    """PNG, then SVG with the layout the PNG computed frozen: constrained layout measures
    every text again on each save, a third of the drawing time, for the same positions."""
    folder.mkdir(parents=True, exist_ok=True)
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=ext, dpi=PNG_DPI, metadata=meta)
        fig.set_layout_engine("none")
        atomic_write(folder / f"{stem}.{ext}", buffer.getvalue())


def _reps(results: StoredResults) -> str:
    return f"{results.experiment.replications} replications"


def _conf(results: StoredResults) -> str:
    return f"{results.confidence:.0%} CI"


def _point_label(row: pd.Series, columns: list[str], results: StoredResults | None = None) -> str:
    name = (lambda c: _parameter_name(results, c)) if results is not None else (lambda c: c.rsplit(".", 1)[-1])
    return ", ".join(f"{name(c)}={_short(row[c])}" for c in columns)


def _short(value: object) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def _pooled_describe(results: StoredResults) -> pd.DataFrame:
    data = results.ok()
    rows = []
    for scenario in results.labels:
        group = data[data["scenario"] == scenario]
        for ref in results.metrics:
            rows.append({"scenario": scenario, "point": -1, "metric": ref.column,
                         **analysis.mean_ci(group[ref.column].to_numpy(), results.confidence)})
    return pd.DataFrame(rows)


def comparison(results: StoredResults, columns: list[str]) -> tuple[Figure, str]:
    """Mean and CI of each summarised metric per scenario (and design point when few)."""
    n_points = len(results.manifest["design"]["points"])
    pooled = n_points > MAX_COMPARISON_POINTS
    table = _pooled_describe(results) if pooled else analysis.describe(results)
    fig, axes = _panels(len(columns))
    design_cols = results.design_columns
    for ax, column in zip(axes, columns):
        part = table[table["metric"] == column]
        if n_points == 1 or pooled:
            x = np.arange(len(part))
            ax.errorbar(x, part["mean"], yerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
                        fmt="o", capsize=4)
            ax.set_xticks(x, part["scenario"], rotation=20, ha="right")
            ax.set_xlabel("scenario")
        else:
            offsets = np.linspace(-0.2, 0.2, len(results.labels)) if len(results.labels) > 1 else [0.0]
            for off, scenario in zip(offsets, results.labels):
                rows = part[part["scenario"] == scenario]
                ax.errorbar(rows["point"] + off, rows["mean"], yerr=[rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]],
                            fmt="o", capsize=3, label=scenario)
            first = part.drop_duplicates("point")
            ax.set_xticks(first["point"], [_point_label(r, design_cols, results) for _, r in first.iterrows()], rotation=30, ha="right", fontsize=7)
            ax.set_xlabel("design point")
            ax.legend(fontsize=7)
        ax.set_ylabel(_wrap(_summary_label(results, column), AXIS_LABEL_CHARS_Y))
        ax.set_title(labels.describe_metric(column))
    how = f", pooled over {n_points} design points" if pooled else ""
    summary = results.experiment.summary
    what = summary.statistic if summary.statistic != "final" else "final value"
    if any(m.statistic and m.statistic != summary.statistic for m in summary.metrics if m.column in columns):
        what += " (or as the axis says)"
    title = f"{results.experiment.name}: {what} over the last {summary.window} steps, {_conf(results)} ({_reps(results)}{how})"
    _title(fig, title)
    return fig, title


def differences(results: StoredResults, columns: list[str]) -> tuple[Figure, str]:
    """Paired differences from the baseline (same seeds), with CIs; 0 means no effect."""
    table = analysis.paired_differences(results)
    n_points = len(results.manifest["design"]["points"])
    fig, axes = _panels(len(columns))
    baseline = results.experiment.baseline
    for ax, column in zip(axes, columns):
        part = table[table["metric"] == column] if not table.empty else table
        if n_points > MAX_COMPARISON_POINTS and not part.empty:
            part = part.groupby("scenario", sort=False)["mean"].agg(list).reset_index()
            part = pd.DataFrame([{"scenario": s, **analysis.mean_ci(np.array(v), results.confidence)} for s, v in zip(part["scenario"], part["mean"])])
        names = [f"{r.scenario}" + (f" [{_point_label(r, results.design_columns, results)}]" if 1 < n_points <= MAX_COMPARISON_POINTS else "")
                 for _, r in part.iterrows()] if not part.empty else []
        y = np.arange(len(names))
        if names:
            ax.errorbar(part["mean"], y, xerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]], fmt="o", capsize=4)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y, names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(_wrap(_summary_label(results, column, prefix=f"difference from {baseline}: "), AXIS_LABEL_CHARS_X))
        ax.set_title(labels.describe_metric(column))
    how = f", pooled over {n_points} design points" if n_points > MAX_COMPARISON_POINTS else ""
    title = f"{results.experiment.name}: paired difference from {baseline} (same seeds), {_conf(results)} ({_reps(results)}{how})"
    _title(fig, title)
    return fig, title


def timeseries(results: StoredResults, refs: list, table: pd.DataFrame | None = None) -> tuple[Figure, str]:
    """Mean trajectory per scenario with a CI band over replications, from the per-step
    aggregates (``aggregates.csv``; built from the per-run files when not given)."""
    if table is None:
        table = analysis.timeseries(results, refs)
    columns = [r.column for r in refs]
    fig, axes = _panels(len(columns))
    pooled = not table.empty and (table["point"] == -1).all()
    for ax, column in zip(axes, columns):
        part = table[table["metric"] == column] if not table.empty else table
        for (scenario, point), rows in (part.groupby(["scenario", "point"], sort=False) if not part.empty else []):
            name = scenario if point == -1 or len(results.manifest["design"]["points"]) == 1 else f"{scenario} p{point}"
            line, = ax.plot(rows["step"], rows["mean"], label=name)
            ax.fill_between(rows["step"], rows["ci_low"], rows["ci_high"], color=line.get_color(), alpha=BAND_ALPHA, linewidth=0)
        ax.set_xlabel("step (year)")
        ax.set_ylabel(_wrap(labels.axis_label(column), AXIS_LABEL_CHARS_Y))
        ax.set_title(labels.describe_metric(column))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    title = _timeseries_title(results, pooled)
    _title(fig, title)
    return fig, title


def _timeseries_title(results: StoredResults, pooled: bool) -> str:
    how = ", pooled over design points" if pooled else ""
    return f"{results.experiment.name}: mean per step with {_conf(results)} band ({_reps(results)}{how})"


def heatmap(results: StoredResults, columns: list[str]) -> tuple[Figure, str]:
    """Mean of each metric over a two-parameter grid.  With several scenarios: a row per
    metric, a column per scenario and one colour scale per metric, so scenarios compare by
    eye; with one scenario: the metrics side by side."""
    table = analysis.describe(results)
    table = table.assign(half=(table["ci_high"] - table["ci_low"]) / 2.0)
    xcol, ycol = results.design_columns
    params = results.experiment.design.parameters
    xs = list(dict.fromkeys(params[xcol].values))
    ys = list(dict.fromkeys(params[ycol].values))
    single = len(results.labels) == 1
    if single:
        fig, flat = _panels(len(columns))
        axes = [[ax] for ax in flat]
    else:
        fig, axes = _grid_panels(len(columns), len(results.labels))
    for r, column in enumerate(columns):
        grids, halves = [], []
        for scenario in results.labels:
            part = table[(table["metric"] == column) & (table["scenario"] == scenario)]
            if part.empty:  # no run of this scenario succeeded: an empty grid
                grids.append(np.full((len(ys), len(xs)), np.nan))
                halves.append(np.full((len(ys), len(xs)), np.nan))
                continue
            for values, out in (("mean", grids), ("half", halves)):
                grid = part.pivot_table(index=ycol, columns=xcol, values=values, aggfunc="first", sort=False, dropna=False)
                out.append(grid.reindex(index=ys, columns=xs).to_numpy(dtype=float))
        finite = np.concatenate([g[np.isfinite(g)] for g in grids]) if grids else np.array([])
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if high <= low:  # a constant metric: centre it in the colour scale
            low, high = low - CONSTANT_SPAN / 2, high + CONSTANT_SPAN / 2
        for c, (scenario, grid, half) in enumerate(zip(results.labels, grids, halves)):
            ax = axes[r][c]
            image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=low, vmax=high)
            ax.set_xticks(range(len(xs)), [_short(v) for v in xs])
            ax.set_yticks(range(len(ys)), [_short(v) for v in ys])
            ax.grid(False)
            middle = (low + high) / 2.0
            for (i, j), value in np.ndenumerate(grid):
                if np.isfinite(value):  # the mean, and under it the CI half-width (the noise layer)
                    text = f"{value:.3g}" + (f"\n±{half[i, j]:.2g}" if np.isfinite(half[i, j]) else "")
                    ax.text(j, i, text, ha="center", va="center", fontsize=6,
                            color="black" if value > middle else "white")
            ax.set_xlabel(labels.parameter_label(xcol, params[xcol].label, params[xcol].unit))
            ax.set_ylabel(labels.parameter_label(ycol, params[ycol].label, params[ycol].unit))
            ax.set_title(labels.describe_metric(column) if single else f"{scenario}: {labels.describe_metric(column)}")
        bar = fig.colorbar(image, ax=axes[r])
        bar.set_label(_summary_label(results, column))
    where = f" ({results.labels[0]})" if single else ""
    title = (f"{results.experiment.name}{where}: mean per grid cell (± {_conf(results)} half-width) over {_reps(results)} "
             f"of each run's {results.experiment.summary.statistic} over its last {results.experiment.summary.window} steps")
    _title(fig, title)
    return fig, title


def _summary_label(results: StoredResults, column: str, prefix: str = "") -> str:
    """Axis text for a summarised metric, naming its statistic when it is not the mean."""
    ref = next((m for m in results.metrics if m.column == column), None)
    statistic = (ref.statistic if ref is not None else None) or results.experiment.summary.statistic
    how = {"mean": "", "final": "final "}.get(statistic, f"{statistic} over the window of ")
    return labels.axis_label(column, prefix=prefix + how, statistic=statistic)


def _parameter_name(results: StoredResults, path: str) -> str:
    """A parameter's label from the experiment file, else the last part of its path."""
    spec = results.experiment.design.parameters.get(path)
    return (spec.label if spec is not None and spec.label else None) or path.rsplit(".", 1)[-1]


def _wrap(text: str, width: int) -> str:
    """An axis label wrapped to fit its panel (at spaces only, so names stay whole)."""
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def _title(fig: Figure, title: str) -> None:
    """The figure's title, wrapped to the figure's width."""
    width = max(40, int(fig.get_figwidth() * TITLE_CHARS_PER_INCH))
    fig.suptitle(textwrap.fill(title, width))


def _grid_panels(rows: int, cols: int) -> tuple[Figure, list[list]]:
    fig = Figure(figsize=(PANEL_WIDTH_IN * cols + 1.0, PANEL_HEIGHT_IN * rows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [[fig.add_subplot(rows, cols, r * cols + c + 1) for c in range(cols)] for r in range(rows)]
    return fig, axes


def sobol(results: StoredResults, columns: list[str]) -> tuple[Figure, str]:
    """First-order (S1) and total-order (ST) Sobol indices with bootstrap CIs."""
    table = analysis.sobol_indices(results)
    keys = [(s, c) for c in columns for s in results.labels if not table.empty and ((table["metric"] == c) & (table["scenario"] == s)).any()]
    fig, axes = _panels(max(1, len(keys)))
    for ax, (scenario, column) in zip(axes, keys):
        part = table[(table["metric"] == column) & (table["scenario"] == scenario)]
        x = np.arange(len(part))
        width = 0.38
        ax.bar(x - width / 2, part["S1"], width, yerr=part["S1_conf"], capsize=3, label="first order S1")
        ax.bar(x + width / 2, part["ST"], width, yerr=part["ST_conf"], capsize=3, label="total order ST")
        ax.set_xticks(x, [_parameter_name(results, p) for p in part["parameter"]], rotation=30, ha="right")
        ax.set_ylabel("Sobol index (share of output variance)")
        ax.set_xlabel("parameter")
        ax.set_title(f"{scenario}: {labels.describe_metric(column)}")
        ax.legend(fontsize=7)
    n = results.experiment.design.samples
    title = f"{results.experiment.name}: Sobol sensitivity indices, {_conf(results)} by bootstrap (N={n}, {_reps(results)} per point)"
    _title(fig, title)
    return fig, title


def morris(results: StoredResults, columns: list[str]) -> tuple[Figure, str]:
    """Morris screening: mean absolute elementary effect mu* against its spread sigma."""
    table = analysis.morris_indices(results)
    keys = [(s, c) for c in columns for s in results.labels if not table.empty and ((table["metric"] == c) & (table["scenario"] == s)).any()]
    fig, axes = _panels(max(1, len(keys)))
    for ax, (scenario, column) in zip(axes, keys):
        part = table[(table["metric"] == column) & (table["scenario"] == scenario)]
        ax.errorbar(part["mu_star"], part["sigma"], xerr=part["mu_star_conf"], fmt="o", capsize=3)
        for row in part.itertuples():
            ax.annotate(_parameter_name(results, row.parameter), (row.mu_star, row.sigma), fontsize=7, xytext=(3, 3), textcoords="offset points")
        unit = labels.unit(column)
        ax.set_xlabel("mu* (mean |elementary effect|" + (f", {unit})" if unit else ")"))
        ax.set_ylabel("sigma (sd of elementary effects" + (f", {unit})" if unit else ")"))
        ax.set_title(f"{scenario}: {labels.describe_metric(column)}")
    title = f"{results.experiment.name}: Morris screening, {_conf(results)} on mu* ({results.experiment.design.samples} trajectories)"
    _title(fig, title)
    return fig, title


def effects(results: StoredResults, columns: list[str]) -> tuple[Figure, str]:
    """Each metric against each grid parameter: mean and CI per value, one line per
    scenario.  With one parameter every point is a design point; with several, each value
    pools the runs over the other parameters' values, and the title says so."""
    table = analysis.grid_effects(results)
    params = results.design_columns
    spec = results.experiment.design.parameters
    fig, axes = _grid_panels(len(params), len(columns))
    offsets = np.linspace(-0.08, 0.08, len(results.labels)) if len(results.labels) > 1 else [0.0]
    for r, path in enumerate(params):
        values = list(dict.fromkeys(spec[path].values))
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        for c, column in enumerate(columns):
            ax = axes[r][c]
            for off, scenario in zip(offsets, results.labels):
                part = table[(table["parameter"] == path) & (table["metric"] == column) & (table["scenario"] == scenario)]
                if part.empty:
                    continue
                x = np.arange(len(part)) + off
                ax.errorbar(x, part["mean"], yerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
                            fmt="o-", capsize=3, markersize=4, label=scenario)
            ax.set_xticks(range(len(values)), [_short(v) for v in values] if numeric else [str(v) for v in values],
                          rotation=30 if len(values) > 6 else 0)
            ax.set_xlabel(_wrap(labels.parameter_label(path, spec[path].label, spec[path].unit), AXIS_LABEL_CHARS_X))
            ax.set_ylabel(_wrap(_summary_label(results, column), AXIS_LABEL_CHARS_Y))
            ax.set_title(labels.describe_metric(column))
            if len(results.labels) > 1 and r == 0 and c == 0:
                ax.legend(fontsize=7)
    how = "" if len(params) == 1 else ", each value pooled over the other parameters' values"
    title = f"{results.experiment.name}: effect of each design parameter, mean and {_conf(results)} ({_reps(results)} per point{how})"
    _title(fig, title)
    return fig, title


@dataclass(frozen=True)
class Kept:
    """A figure left as it was, because the data to redraw it is not in the folder."""

    stem: str
    caption: str
    reason: str


@dataclass(frozen=True)
class Job:
    """One figure to draw: its file stem, kind and what it shows (metric refs for a time
    series, summary columns otherwise)."""

    stem: str
    kind: str
    metrics: tuple


def figure_jobs(results: StoredResults) -> list[Job]:
    """The figures the experiment asks for, in report order (plus ``effects`` for a grid)."""
    jobs: list[Job] = []
    counts: dict[str, int] = {}
    summarised = tuple(m.column for m in results.metrics)
    for spec in results.experiment.figure_list():
        counts[spec.kind] = counts.get(spec.kind, 0) + 1
        stem = spec.kind if counts[spec.kind] == 1 else f"{spec.kind}-{counts[spec.kind]}"
        if spec.kind == "timeseries":
            jobs.append(Job(stem, spec.kind, tuple(spec.metrics or results.metrics)))
        else:
            jobs.append(Job(stem, spec.kind, tuple(m.column for m in spec.metrics) if spec.metrics else summarised))
    if results.manifest["design"]["type"] == "grid" and results.design_columns:  # always: it answers the design's question
        jobs.append(Job("effects", "effects", summarised))
    return jobs


def _draw(results: StoredResults, job: Job, aggregates: pd.DataFrame | None) -> Drawn | Kept | None:
    """Draw and write one figure; a time series without ``aggregates`` is kept (if it
    exists) or skipped, never redrawn emptier."""
    with rc_context(STYLE):
        if job.kind == "timeseries":
            refs = list(job.metrics)
            if aggregates is None:
                if (results.folder.figures_dir / f"{job.stem}.png").exists():
                    return Kept(job.stem, _timeseries_title(results, _pooled_groups(results)),
                                f"the per-run time series are not in {results.folder.root} and its "
                                f"{analysis.AGGREGATES} does not hold them")
                return None
            part = aggregates[aggregates["metric"].isin([r.column for r in refs])]
            fig, caption = timeseries(results, refs, part)
        elif job.kind == "effects":
            fig, caption = effects(results, list(job.metrics))
        else:
            fig, caption = FIGURES[job.kind](results, list(job.metrics))
        _save(fig, results.folder.figures_dir, job.stem)
    return Drawn(job.stem, caption)


def draw_all(results: StoredResults, aggregates: pd.DataFrame | None | Callable[[], pd.DataFrame | None] = None,
             workers: int = 1) -> tuple[list[Drawn], list[Kept]]:
    """Draw every figure the experiment asks for into ``figures/``; return what was drawn
    and what was kept (nothing when no run succeeded: there is nothing to show).

    Time-series figures are drawn from ``aggregates`` (the per-step table, or a function
    computing it, called once in this process).  Without it a time-series figure is never
    redrawn emptier: an existing file is kept and reported.

    With ``workers > 1`` the other figures are drawn in forked processes while this one
    builds the aggregates and draws the time series: a small sweep's report is mostly text
    layout and PNG/SVG encoding, a figure at a time.  Every figure's bytes depend only on
    the stored results, so they are the same whichever process draws them.
    """
    if results.ok().empty:
        return [], []
    jobs = figure_jobs(results)
    series = [j for j in jobs if j.kind == "timeseries"]
    others = [j for j in jobs if j.kind != "timeseries"]
    shares = _shares(others, len(series), workers) if _can_fork(workers) else [others]
    if len(shares) > 1:
        import scipy.special  # noqa: F401 - every figure's intervals need it: imported once, before forking, not per child
    children = [_fork_drawing(results, share) for share in shares[1:]]
    try:
        done: dict[str, Drawn | Kept | None] = {}
        for job in shares[0]:
            done[job.stem] = _draw(results, job, None)
        if series:
            table = aggregates() if callable(aggregates) else aggregates
            for job in series:
                done[job.stem] = _draw(results, job, table)
        for child, share in zip(children, shares[1:]):
            got = _collect(child)
            for job in share:  # a child that failed: draw its figures here, so its error surfaces as it would serially
                done[job.stem] = got[job.stem] if got is not None and job.stem in got else _draw(results, job, None)
    finally:
        for child in children:
            _end(child)
    ordered = [done.get(j.stem) for j in jobs]
    return [d for d in ordered if isinstance(d, Drawn)], [k for k in ordered if isinstance(k, Kept)]


def _can_fork(workers: int) -> bool:
    """Figures are drawn in forked children only where fork is safe: on Linux, from a
    process running no other thread (a lock held by another thread would stay locked in
    the child)."""
    import sys
    import threading

    return workers > 1 and sys.platform.startswith("linux") and threading.active_count() == 1


def _shares(others: list[Job], series: int, workers: int) -> list[list[Job]]:
    """Split the non-time-series figures over ``workers`` processes besides this one
    (index 0), which draws the time series (it alone builds their table) and takes a share
    only when there are none; about the same number of figures each.  Drawing is a couple
    of seconds of CPU per figure, forking a child milliseconds."""
    slots: list[list[Job]] = [[] for _ in range(max(1, workers) + (1 if series else 0))]
    load = [series] + [0] * (len(slots) - 1)
    for job in others:
        i = min(range(len(slots)), key=lambda k: (load[k], -k))  # ties go to a child
        slots[i].append(job)
        load[i] += 1
    return [slots[0]] + [s for s in slots[1:] if s]


def _fork_drawing(results: StoredResults, share: list[Job]) -> tuple:
    """A forked child drawing ``share``; it sends back ``{stem: Drawn | Kept | None}`` or
    None if anything failed."""
    import multiprocessing
    import sys

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(results, share, send), daemon=True)
    for stream in (sys.stdout, sys.stderr):  # else the child would write out the parent's buffered output again
        stream.flush()
    with warnings.catch_warnings():
        # Python warns about fork in any process with several OS threads; here the only
        # others are native pools (OpenBLAS, Arrow) that stop or reset themselves at fork
        # (pthread_atfork), and ``_can_fork`` has checked that no Python thread runs.
        warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning)
        process.start()
    send.close()
    return process, receive


def _child(results: StoredResults, share: list[Job], send: Any) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent handles Ctrl-C and SIGTERM and ends its children
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        got = {job.stem: _draw(results, job, None) for job in share}
    except BaseException:  # noqa: BLE001 - the parent draws these figures again and reports the error itself
        got = None
    send.send(got)
    send.close()


def _collect(child: tuple) -> dict[str, Any] | None:
    process, receive = child
    try:
        return receive.recv()
    except (EOFError, OSError):  # the child died before answering
        return None
    finally:
        receive.close()
        process.join()


def _end(child: tuple) -> None:
    """Stop a child still drawing (the parent was interrupted) and wait for it."""
    process, receive = child
    if process.is_alive():
        process.terminate()
    process.join(timeout=5)
    receive.close()


def _pooled_groups(results: StoredResults) -> bool:
    """Whether a time-series figure pools design points (as ``analysis.timeseries`` decides)."""
    groups = results.ok()[["scenario", "point"]].drop_duplicates().shape[0]
    return groups > analysis.MAX_TIMESERIES_GROUPS


FIGURES = {"comparison": comparison, "differences": differences, "heatmap": heatmap, "sobol": sobol, "morris": morris}
