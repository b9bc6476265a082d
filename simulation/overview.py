"""The one-page figure written beside every run (``overview.png``).

It reads only the tidy time series (``step, metric, scope, value``) and, when given, the
membership record (``step, year, state, institution, change``), never the model, so it can
be redrawn from a results folder.  The figure is built on matplotlib's Agg canvas
directly (no pyplot, no display needed) and saved without the software/date metadata, so
the same data always gives the same PNG bytes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WORLD = "world"
#: Size of the whole figure in inches (width, height) and its resolution.
FIGURE_SIZE = (15.0, 8.5)
#: With the membership record: a third row (who was a member when), this much taller.
MEMBERS_ROW_HEIGHT = 4.5
#: Above this many membership spells the panel shows no state names (they would overlap).
MAX_LABELLED_SPELLS = 60
DPI = 100
#: Yearly event rates are noisy; a centred moving average over this many years is drawn
#: over the raw series once a run is long enough for it to mean something.
SMOOTHING_YEARS = 10
MIN_STEPS_TO_SMOOTH = 2 * SMOOTHING_YEARS
RAW_ALPHA = 0.35
#: Panels on a 0-1 scale get this margin so lines at exactly 0 or 1 stay visible.
UNIT_LIMITS = (-0.02, 1.02)
#: Institution colours (matplotlib's tab10), in sorted name order, the same in every panel.
COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan")
LEGEND_FONT = "small"


def _series(df: pd.DataFrame, metric: str, scope: str) -> pd.Series | None:
    rows = df[(df["metric"] == metric) & (df["scope"] == scope)]
    if rows.empty:
        return None
    return rows.set_index("step")["value"].astype(float).sort_index()


def _rate(ax, series: pd.Series | None, label: str, colour: str, note: str = "") -> None:
    """Plot a yearly rate: raw values faintly, with a moving average on top for long runs."""
    if series is None:
        return
    if len(series) >= MIN_STEPS_TO_SMOOTH:
        ax.plot(series.index, series.values, color=colour, alpha=RAW_ALPHA, linewidth=0.8)
        smooth = series.rolling(SMOOTHING_YEARS, center=True, min_periods=1).mean()
        ax.plot(smooth.index, smooth.values, color=colour, linewidth=1.8, label=f"{label}, {SMOOTHING_YEARS}-year mean{note}")
    else:
        ax.plot(series.index, series.values, color=colour, marker=".", label=f"{label}{note}")


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


def _institution_panel(ax, df: pd.DataFrame, institutions: Sequence[str], metric: str, ylabel: str, title: str) -> None:
    ax.set_title(title)
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel)
    drawn = False
    for k, name in enumerate(institutions):
        s = _series(df, metric, name)
        if s is not None and s.notna().any():
            ax.plot(s.index, s.values, color=COLOURS[k % len(COLOURS)], label=name)
            drawn = True
    if not institutions:
        _empty(ax, "no institutions in this scenario")
    elif not drawn:
        _empty(ax, f"'{metric}' not recorded")
    else:
        ax.legend(fontsize=LEGEND_FONT)


def membership_spells(memberships: pd.DataFrame, last_step: int) -> list[tuple[str, str, int, int]]:
    """(institution, state, first step, end step) of every membership in the record; a spell
    still open at the end runs to ``last_step`` + 1.  Ordered by institution, then start."""
    open_: dict[tuple[str, str], int] = {}
    spells = []
    for row in memberships.itertuples(index=False):
        key = (str(row.institution), str(row.state))
        if row.change == "join":
            open_.setdefault(key, int(row.step))
        elif row.change == "leave" and key in open_:
            spells.append((*key, open_.pop(key), int(row.step)))
    spells += [(*key, start, last_step + 1) for key, start in open_.items()]
    return sorted(spells, key=lambda s: (s[0], s[2], s[1], s[3]))


def _members_panel(ax, memberships: pd.DataFrame, institutions: Sequence[str], last_step: int) -> None:
    """One bar per membership spell, coloured by institution: who was a member when."""
    ax.set_title("Members over time (membership record)")
    years = memberships["year"].dropna()
    offset = int(years.iloc[0] - memberships.loc[years.index[0], "step"]) if len(years) else 0
    ax.set_xlabel("year" if len(years) else "step")
    spells = membership_spells(memberships, last_step)
    if not spells:
        _empty(ax, "no memberships in this run")
        return
    colour = {name: COLOURS[k % len(COLOURS)] for k, name in enumerate(institutions)}
    labels = [f"{state} ({inst})" for inst, state, _, _ in spells]
    for inst in dict.fromkeys(s[0] for s in spells):  # one call per institution: fast for hundreds of spells
        rows = [(y, start, end) for y, (k, _, start, end) in enumerate(spells) if k == inst]
        y, start, end = (np.array(v) for v in zip(*rows))
        ax.barh(y, end - start, left=start + offset, height=0.8, color=colour.get(inst, "0.5"), label=inst)
    ax.set_ylim(len(spells) - 0.5, -0.5)
    if len(spells) <= MAX_LABELLED_SPELLS:
        ax.set_yticks(range(len(spells)), labels, fontsize="x-small")
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{len(spells)} membership spells")
    ax.set_xlim(offset, offset + max(last_step, 1))
    ax.legend(fontsize=LEGEND_FONT, loc="upper right")


def plot_overview(timeseries_df: pd.DataFrame, path: str | os.PathLike[str], title: str, *, memberships: pd.DataFrame | None = None) -> None:
    """Draw tension, disputes and conflicts, crises and stability, and each institution's
    cohesion, membership, member tension and autonomy over time into the PNG at ``path``;
    with the membership record, a third row shows who was a member of what, when."""
    df = timeseries_df
    institutions = sorted(str(s) for s in df["scope"].unique() if s != WORLD)
    size = FIGURE_SIZE if memberships is None else (FIGURE_SIZE[0], FIGURE_SIZE[1] + MEMBERS_ROW_HEIGHT)
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    if memberships is None:
        axes = fig.subplots(2, 3)
    else:
        grid = fig.add_gridspec(3, 3, height_ratios=(1.0, 1.0, MEMBERS_ROW_HEIGHT / (FIGURE_SIZE[1] / 2)))
        axes = np.array([[fig.add_subplot(grid[r, c]) for c in range(3)] for r in range(2)])
        members_ax = fig.add_subplot(grid[2, :])
    fig.suptitle(title)

    ax = axes[0, 0]
    ax.set_title("Tension between states")
    s = _series(df, "mean_tension", WORLD)
    if s is not None:
        ax.plot(s.index, s.values, color="black", label="mean over all pairs")
        ax.legend(fontsize=LEGEND_FONT)
    else:
        _empty(ax, "'mean_tension' not recorded")
    ax.set_ylim(*UNIT_LIMITS)
    ax.set_xlabel("year")
    ax.set_ylabel("mean tension T (0 calm – 1 hostile)")

    ax = axes[0, 1]
    ax.set_title("Militarised disputes and conflicts")
    _rate(ax, _series(df, "dispute_rate", WORLD), "disputes", "tab:orange")
    _rate(ax, _series(df, "conflict_rate", WORLD), "escalated conflicts", "tab:red")
    ax.set_xlabel("year")
    ax.set_ylabel("per 1000 dyad-years")
    ax.set_ylim(bottom=0)
    if ax.lines:
        ax.legend(fontsize=LEGEND_FONT)

    ax = axes[0, 2]
    ax.set_title("Internal crises and stability")
    _rate(ax, _series(df, "crisis_rate", WORLD), "crises", "tab:purple", note=" (left axis)")
    ax.set_xlabel("year")
    ax.set_ylabel("crises per 100 state-years")
    ax.set_ylim(bottom=0)
    right = ax.twinx()
    s = _series(df, "mean_stability", WORLD)
    if s is not None:
        right.plot(s.index, s.values, color="tab:green", label="mean stability (right axis)")
    right.set_ylim(*UNIT_LIMITS)
    right.set_ylabel("mean internal stability h (0–1)")
    handles = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    if handles[0] or more[0]:
        ax.legend(handles[0] + more[0], handles[1] + more[1], fontsize=LEGEND_FONT)

    _institution_panel(axes[1, 0], df, institutions, "cohesion", "S-score of members' policies (−1 – 1)", "Cohesion of each institution")
    _institution_panel(axes[1, 1], df, institutions, "size", "members (states)", "Membership")
    axes[1, 1].set_ylim(bottom=0)

    ax = axes[1, 2]
    ax.set_title("Members' tension (solid) and autonomy (dashed)")
    ax.set_xlabel("year")
    ax.set_ylabel("0 – 1")
    drawn = False
    for k, name in enumerate(institutions):
        colour = COLOURS[k % len(COLOURS)]
        for metric, style, label in (("member_tension", "-", "tension"), ("autonomy", "--", "autonomy")):
            s = _series(df, metric, name)
            if s is not None and s.notna().any():
                ax.plot(s.index, s.values, color=colour, linestyle=style, label=f"{name}: {label}")
                drawn = True
    if not institutions:
        _empty(ax, "no institutions in this scenario")
    elif drawn:
        ax.set_ylim(*UNIT_LIMITS)
        ax.legend(fontsize=LEGEND_FONT)
    else:
        _empty(ax, "'member_tension' and 'autonomy' not recorded")

    for ax in axes.flat:
        ax.grid(True, alpha=0.3)
        steps = df["step"]
        if len(steps):
            ax.set_xlim(float(np.min(steps)), max(float(np.max(steps)), 1.0))
    if memberships is not None:
        _members_panel(members_ax, memberships, institutions, int(df["step"].max()) if len(df) else 0)
        members_ax.grid(True, axis="x", alpha=0.3)
    fig.savefig(os.fspath(path), format="png", metadata={"Software": None})
