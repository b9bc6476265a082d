"""Figures of a calibration: posterior marginals and pairs, and the posterior-predictive fan chart.

The plotting functions read tables only (particles, size paths), never pyabc or the model;
``write_figures`` produces those tables (re-running posterior particles for the fan chart).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.calibration.evaluate import ParticleModel, resolve  # noqa: E402

#: Child stream of the root seed that draws the posterior particles re-run for the fan chart.
PREDICTIVE_STREAM = 9
BAND = (0.05, 0.95)
DPI = 120


def plot_marginals(generations: pd.DataFrame, params: list[str], path: Path) -> None:
    """One panel per parameter: the weighted histogram of every generation, the last darkest."""
    gens = sorted(generations["generation"].unique())
    fig, axes = plt.subplots(1, len(params), figsize=(3.6 * len(params), 3.0), squeeze=False)
    for ax, param in zip(axes[0], params):
        lo, hi = generations[param].min(), generations[param].max()
        bins = np.linspace(lo, hi if hi > lo else lo + 1e-9, 25)
        for i, g in enumerate(gens):
            part = generations[generations["generation"] == g]
            last = g == gens[-1]
            ax.hist(part[param], bins=bins, weights=part["weight"], density=True, histtype="stepfilled" if last else "step",
                    alpha=0.6 if last else 0.35 + 0.4 * i / max(1, len(gens) - 1), color="C0" if last else "0.5",
                    label=f"generation {g}" if last or i == 0 else None)
        ax.set_xlabel(param, fontsize=8)
        ax.set_ylabel("density")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Posterior marginals (grey: earlier generations)")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_pairs(posterior: pd.DataFrame, params: list[str], path: Path) -> None:
    """Scatter of every pair of parameters, point area proportional to weight; histograms on the diagonal."""
    n = len(params)
    fig, axes = plt.subplots(n, n, figsize=(2.6 * n + 0.5, 2.6 * n + 0.5), squeeze=False)
    size = 200 * posterior["weight"] / posterior["weight"].max()
    for i, py in enumerate(params):
        for j, px in enumerate(params):
            ax = axes[i][j]
            if i == j:
                ax.hist(posterior[px], bins=20, weights=posterior["weight"], color="C0", alpha=0.7)
            else:
                ax.scatter(posterior[px], posterior[py], s=size, alpha=0.5, color="C0")
            if i == n - 1:
                ax.set_xlabel(px, fontsize=7)
            if j == 0:
                ax.set_ylabel(py, fontsize=7)
    fig.suptitle("Posterior pairs (last generation; area = weight)")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def fan_chart_table(paths: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """5%, 50% and 95% of simulated sizes per institution and year beside the observed size.

    ``paths``: ``institution, year, size`` (one row per simulated path and year, any number of
    paths); ``observed``: ``institution, year, size``."""
    grouped = paths.groupby(["institution", "year"], sort=True)["size"]
    table = pd.DataFrame({"q05": grouped.quantile(BAND[0]), "q50": grouped.quantile(0.5), "q95": grouped.quantile(BAND[1])})
    obs = observed.set_index(["institution", "year"])["size"].rename("observed")
    table = table.join(obs, how="outer").reset_index()
    table["inside"] = (table["observed"] >= table["q05"]) & (table["observed"] <= table["q95"])
    return table


def plot_fan_chart(table: pd.DataFrame, path: Path, title: str = "Posterior predictive: institution sizes") -> None:
    """A 5-95% band and median per institution, with the record as points."""
    insts = list(dict.fromkeys(table["institution"]))
    fig, axes = plt.subplots(1, len(insts), figsize=(4.5 * len(insts), 3.2), squeeze=False)
    for ax, inst in zip(axes[0], insts):
        part = table[table["institution"] == inst].sort_values("year")
        ax.fill_between(part["year"], part["q05"], part["q95"], alpha=0.3, color="C0", label="5-95% simulated")
        ax.plot(part["year"], part["q50"], color="C0", label="median simulated")
        ax.plot(part["year"], part["observed"], "o", ms=3, color="k", label="record")
        covered = part.dropna(subset=["observed", "q05"])
        if len(covered):
            ax.set_title(f"{inst}: record inside the band in {covered['inside'].mean():.0%} of years", fontsize=9)
        ax.set_xlabel("year")
        ax.set_ylabel("members")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _predict_sizes(model: ParticleModel, sizes: str, params: dict[str, float]) -> pd.DataFrame:
    """Size paths of one particle (every hindcast, every replication), for the fan chart."""
    read = resolve(sizes)
    frames = []
    for label, simulated in model.simulate(params).items():
        frames.append(read(simulated).assign(hindcast=label))
    return pd.concat(frames, ignore_index=True)


def predictive_paths(model: ParticleModel, posterior: pd.DataFrame, params: list[str], n: int, sizes: str,
                     mapper: Callable[..., Any] = map) -> pd.DataFrame:
    """Re-run ``n`` particles drawn (with replacement, by weight) from the posterior."""
    rng = np.random.default_rng(np.random.SeedSequence(model.seed, spawn_key=(PREDICTIVE_STREAM,)))
    w = posterior["weight"].to_numpy(dtype=float)
    picks = rng.choice(len(posterior), size=n, replace=True, p=w / w.sum())
    draws = [{p: float(posterior[p].iloc[k]) for p in params} for k in picks]
    results = list(mapper(functools.partial(_predict_sizes, model, sizes), draws))
    return pd.concat([r.assign(draw=i) for i, r in enumerate(results)], ignore_index=True)


def write_figures(root: Path, plan: Any, history: Any, mapper: Callable[..., Any] = map) -> list[str]:
    """Every figure of the results folder; returns their paths relative to ``root``."""
    c = plan.source.calibration
    params = list(c.priors)
    figures = root / "figures"
    figures.mkdir(exist_ok=True)
    generations = pd.read_csv(root / "generations.csv")
    posterior = pd.read_csv(root / "posterior.csv")
    written = []
    plot_marginals(generations, params, figures / "marginals.png")
    written.append("figures/marginals.png")
    plot_pairs(posterior, params, figures / "pairs.png")
    written.append("figures/pairs.png")
    if c.fan_chart.enabled:
        paths = predictive_paths(plan.model, posterior, params, c.fan_chart.particles, c.fan_chart.simulated_sizes, mapper)
        observed = resolve(c.fan_chart.observed_sizes)(plan.model.observed)
        table = fan_chart_table(paths, observed)
        table.to_csv(root / "predictive.csv", index=False, float_format="%.6g")
        plot_fan_chart(table, figures / "fan_chart.png")
        written.append("figures/fan_chart.png")
    return written
