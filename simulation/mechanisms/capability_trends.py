"""Phase 7 (issue: history): each state grows at its own trend, so power can shift.

Yearly growth of state i becomes  p_i <- p_i exp(mu_p + b_i + s_p eps_i) (1 - burden_i),
where b_i is the state's own trend relative to the world (``StateSpec.growth_trend``; 0 for
states without one).  With every b_i equal to 0 this is today's growth exactly.

The trend is fitted from NMC CINC, which is a *share* of world capability, so the slope of
log CINC is the state's growth relative to the world:

1. For each state, the OLS slope b^_i of log CINC on the year over the ``window`` years
   ending at the start year (start - window + 1 .. start), with its standard error se_i;
   years without a positive CINC are skipped; a state with fewer than ``min_years`` usable
   years has no slope of its own.
2. Empirical-Bayes shrinkage toward the world mean b_bar (the mean of the fitted slopes):
   tau^2 = max(0, var(b^) - mean(se^2)) is the spread of true trends, and
       b_i = b_bar + (b^_i - b_bar) tau^2 / (tau^2 + se_i^2),
   so a noisy slope moves most of the way to the mean and a steady one keeps most of itself.
   A state with no slope of its own gets b_bar.

The functions take plain arrays, so the world build script can call them on the NMC table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Years of NMC before (and including) the start year used for each state's slope.
TREND_WINDOW = 10
#: Fewest usable years for a state's own slope (3 leave one degree of freedom for its error).
MIN_YEARS = 3


@dataclass(frozen=True)
class TrendFit:
    """Raw slopes and standard errors (NaN where a state has too few years), the shrinkage
    target and spread, and the shrunk trends b_i (one per state)."""

    slope: np.ndarray
    se: np.ndarray
    target: float
    tau2: float
    trend: np.ndarray


def ols_slopes(log_values: np.ndarray, years: np.ndarray, *, min_years: int = MIN_YEARS) -> tuple[np.ndarray, np.ndarray]:
    """Per-row OLS slope of ``log_values`` (states x years, NaN = missing) on ``years`` and its
    standard error; NaN where a row has fewer than ``min_years`` values."""
    ok = np.isfinite(log_values)
    n = ok.sum(axis=1)
    x = np.where(ok, years[None, :].astype(float), 0.0)
    y = np.where(ok, log_values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = x.sum(axis=1) / n
        ym = y.sum(axis=1) / n
        dx = np.where(ok, x - xm[:, None], 0.0)
        dy = np.where(ok, y - ym[:, None], 0.0)
        sxx = (dx ** 2).sum(axis=1)
        slope = (dx * dy).sum(axis=1) / sxx
        resid = np.where(ok, dy - slope[:, None] * dx, 0.0)
        se = np.sqrt((resid ** 2).sum(axis=1) / (n - 2) / sxx)
    bad = (n < max(min_years, 3)) | ~(sxx > 0)
    slope[bad] = np.nan
    se[bad] = np.nan
    return slope, se


def shrink(slope: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Empirical-Bayes shrinkage of slopes toward their mean; (trends, target, tau^2)."""
    have = np.isfinite(slope)
    if not have.any():
        return np.zeros_like(slope), 0.0, 0.0
    target = float(slope[have].mean())
    tau2 = max(0.0, float(slope[have].var()) - float((se[have] ** 2).mean())) if have.sum() > 1 else 0.0
    weight = np.where(have, tau2 / np.maximum(tau2 + np.where(have, se, 0.0) ** 2, np.finfo(float).tiny), 0.0)
    trend = target + np.where(have, (np.where(have, slope, target) - target) * weight, 0.0)
    return trend, target, tau2


def fit_growth_trends(cinc: np.ndarray, years: np.ndarray, *, start_year: int, window: int = TREND_WINDOW, min_years: int = MIN_YEARS) -> TrendFit:
    """Trends b_i from a CINC table (states x years, NaN or <= 0 where missing)."""
    years = np.asarray(years)
    cols = (years > start_year - window) & (years <= start_year)
    values = np.asarray(cinc, dtype=float)[:, cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)
    slope, se = ols_slopes(logs, years[cols], min_years=min_years)
    trend, target, tau2 = shrink(slope, se)
    return TrendFit(slope, se, target, tau2, trend)


def growth_means(mean: float, trends: np.ndarray | None) -> float | np.ndarray:
    """mu_p + b_i per state; just mu_p when no state has a trend (today's dynamics)."""
    return mean if trends is None else mean + np.asarray(trends, dtype=float)
