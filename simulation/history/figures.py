"""Hindcast figures, drawn like the experiment figures (PNG and SVG, deterministic bytes).

- ``history-sizes``: per scenario entry and institution, the record's size path over the
  fan of simulated paths (median and 5–95% band of runs) and the persistence baseline;
- ``history-accession``: per scenario entry and institution, a calibration plot and a ROC
  curve of P(member at the end) for the states that were not members at the start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.ticker import MaxNLocator

from simulation.experiments.figures import BAND_ALPHA, STYLE, Drawn, _grid_panels, _panels, _save, _title
from simulation.history.scores import BAND

#: Equal-width bins of predicted probability in the calibration plot.
CALIBRATION_BINS = 5


def sizes(result: Any, name: str) -> tuple[Any, str]:
    """Observed size over the fan of simulated sizes, one panel per scenario entry x institution."""
    items = [s for s in result.scored if s.simulated_sizes.size]
    fig, axes = _panels(max(1, len(items)))
    for ax, s in zip(axes, items):
        low, mid, high = np.quantile(s.simulated_sizes, (BAND[0], 0.5, BAND[1]), axis=0)
        ax.fill_between(s.years, low, high, alpha=BAND_ALPHA, color="C0", label="runs: 5–95% band")
        ax.plot(s.years, mid, color="C0", label="runs: median")
        ax.plot(s.years, s.observed_sizes, color="black", marker="o", markersize=3, label="record")
        ax.plot(s.years, s.persistence_sizes, color="C1", linestyle="--", label="persistence baseline")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{s.institution} ({s.scenario}), {s.simulated_sizes.shape[0]} runs")
        ax.set_xlabel("year")
        ax.set_ylabel("members (states)")
        ax.legend(fontsize=7)
    title = f"{name}: institution size, the record against the fan of simulated paths"
    _title(fig, title)
    return fig, title


def _roc(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates as the threshold falls through the distinct values of p."""
    order = np.unique(p)[::-1]
    pos, neg = max(int(y.sum()), 1), max(int((1 - y).sum()), 1)
    fpr = [0.0] + [float(((p >= t) & (y == 0)).sum()) / neg for t in order]
    tpr = [0.0] + [float(((p >= t) & (y == 1)).sum()) / pos for t in order]
    return np.array(fpr), np.array(tpr)


def _calibration(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean prediction, share joined and count per bin (empty bins left out)."""
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, CALIBRATION_BINS - 1)
    keep = [b for b in range(CALIBRATION_BINS) if (which == b).any()]
    return (np.array([p[which == b].mean() for b in keep]), np.array([y[which == b].mean() for b in keep]),
            np.array([(which == b).sum() for b in keep]))


def accession(result: Any, name: str) -> tuple[Any, str]:
    """Calibration and ROC of P(member at the end) for the model and the baselines."""
    items = [s for s in result.scored if s.accession is not None and s.accession.states]
    fig, axes = _grid_panels(max(1, len(items)), 2)
    for (cal, roc), s in zip(axes, items):
        a = s.accession
        # line styles differ so that curves lying on each other (a perfect ranking) stay visible
        for label, p, colour, style in (("model", a.model, "C0", "-"), ("persistence", a.persistence, "C1", ":"),
                                        ("logistic (in-sample)", a.logistic, "C2", "--")):
            if p is None or not np.isfinite(p).all():
                continue
            mean_p, share, count = _calibration(p, a.outcome)
            cal.plot(mean_p, share, marker="o", color=colour, linestyle=style, label=label)
            fpr, tpr = _roc(p, a.outcome)
            roc.plot(fpr, tpr, color=colour, linestyle=style, linewidth=2.5 if label == "model" else 1.5, label=label)
        for ax in (cal, roc):
            ax.plot([0, 1], [0, 1], color="grey", linestyle="-", linewidth=0.5)
            ax.set_xlim(-0.02, 1.02)
            ax.set_ylim(-0.02, 1.02)
            ax.legend(fontsize=7)
        n_join = int(a.outcome.sum())
        cal.set_title(f"{s.institution} ({s.scenario}): calibration, {len(a.states)} states, {n_join} joined by {a.end_year}")
        cal.set_xlabel("predicted P(member at the end), bin mean")
        cal.set_ylabel("share that were members")
        roc.set_title(f"{s.institution} ({s.scenario}): ROC")
        roc.set_xlabel("false-positive rate")
        roc.set_ylabel("true-positive rate")
    title = f"{name}: accession of states that were not members at the start, predicted against the record"
    _title(fig, title)
    return fig, title


def dispute_rates(result: Any, name: str) -> tuple[Any, str]:
    """Observed yearly dispute onset rate over the fan of simulated rates, per entry and scope."""
    items = [d for d in result.disputes if d.years.size]
    fig, axes = _panels(max(1, len(items)))
    for ax, d in zip(axes, items):
        low, mid, high = np.quantile(d.simulated, (BAND[0], 0.5, BAND[1]), axis=0)
        ax.fill_between(d.years, low, high, alpha=BAND_ALPHA, color="C0", label="runs: 5–95% band")
        ax.plot(d.years, mid, color="C0", label="runs: median")
        ax.plot(d.years, d.observed, color="black", marker="o", markersize=3, label="record (GML MID)")
        if np.isfinite(d.persistence):
            ax.axhline(d.persistence, color="C1", linestyle="--", label="persistence baseline")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{d.scope} ({d.scenario}), {d.simulated.shape[0]} runs")
        ax.set_xlabel("year")
        ax.set_ylabel("onsets per 1000 dyad-years")
        ax.legend(fontsize=7)
    title = f"{name}: dispute onset rates, the record against the fan of simulated rates"
    _title(fig, title)
    return fig, title


def draw(result: Any, folder: Path, name: str) -> list[Drawn]:
    """The figures into ``folder``; nothing when no entry was scored."""
    drawn: list[Drawn] = []
    if not any(s.simulated_sizes.size for s in result.scored):
        return drawn
    makers = [("history-sizes", sizes), ("history-accession", accession)]
    if any(d.years.size for d in getattr(result, "disputes", ())):
        makers.append(("history-disputes", dispute_rates))
    with rc_context(STYLE):
        for stem, make in makers:
            fig, caption = make(result, name)
            _save(fig, folder, stem)
            drawn.append(Drawn(stem, caption))
    return drawn


__all__ = ["CALIBRATION_BINS", "accession", "dispute_rates", "draw", "sizes"]
