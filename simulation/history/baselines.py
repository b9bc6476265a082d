"""Baselines a hindcast must beat, computed from the same data as the scores.

- **persistence**: nobody joins or leaves.  The institution keeps its start members (those of
  the record's first year in the hindcast) for as long as it exists in the record.
- **logistic (in-sample baseline)**: a logistic regression of "member at the end" on three
  features of each candidate state in the scenario's start-year world, fitted on the very
  states it then predicts.  It sees the outcome, so it flatters itself: a model that cannot
  beat it explains less than three numbers per state do after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from scipy import optimize

from simulation.history.record import InstitutionPath

#: Ridge penalty on the standardised coefficients (not the intercept): keeps the fit finite
#: when a feature separates joiners from the others perfectly (few candidates, few joiners).
LOGISTIC_L2 = 1.0
FEATURES = ("regime_distance", "capital_distance_km", "capability_share")
LOGISTIC_LABEL = "logistic (in-sample baseline)"


def persistence_path(observed: InstitutionPath, start: frozenset[str]) -> InstitutionPath:
    """The start members, unchanged, in every year in which the institution exists in the record."""
    members = tuple(start if alive else frozenset() for alive in observed.alive)
    return InstitutionPath(observed.years, members, observed.alive.copy())


@dataclass(frozen=True)
class StartWorld:
    """What the logistic baseline knows of each state: its start-year (or entry) capability
    and regime, and capital distances."""

    capability: dict[str, float]
    regime: dict[str, float]
    distance: Callable[[str, str], float]
    #: total capability of the states present at the start (the denominator of shares)
    total_capability: float = field(default=np.nan)


def accession_features(world: StartWorld, start: frozenset[str], states: list[str]) -> pd.DataFrame:
    """Per state: |regime - mean regime of the start members|, mean capital distance (km) to
    the start members, and capability share of the start-year total.  NaN where the world
    does not know the state (or no start member is known)."""
    known = [m for m in sorted(start) if m in world.regime]
    mean_regime = float(np.mean([world.regime[m] for m in known])) if known else np.nan
    rows = []
    for s in states:
        regime = world.regime.get(s, np.nan)
        dists = [world.distance(s, m) for m in known if m != s] if s in world.regime else []
        dists = [d for d in dists if np.isfinite(d)]
        rows.append({"regime_distance": abs(regime - mean_regime),
                     "capital_distance_km": float(np.mean(dists)) if dists else np.nan,
                     "capability_share": world.capability.get(s, np.nan) / world.total_capability})
    return pd.DataFrame(rows, index=pd.Index(states, name="state"), columns=list(FEATURES))


def _design_matrix(features: pd.DataFrame) -> np.ndarray:
    """Standardised features with missing values set to the mean (0 after standardising);
    a constant column becomes zeros (it carries no information)."""
    x = features.to_numpy(dtype=float)
    mean = np.nanmean(np.where(np.isfinite(x), x, np.nan), axis=0) if x.size else np.zeros(x.shape[1])
    mean = np.where(np.isfinite(mean), mean, 0.0)
    x = np.where(np.isfinite(x), x, mean)
    sd = x.std(axis=0)
    return np.where(sd > 0, (x - mean) / np.where(sd > 0, sd, 1.0), 0.0)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = LOGISTIC_L2) -> np.ndarray:
    """Coefficients (intercept first) minimising the logistic loss plus ``l2/2 * |w|^2``
    (intercept unpenalised); deterministic (L-BFGS from zero)."""
    design = np.column_stack([np.ones(len(x)), x])
    penalty = np.r_[0.0, np.full(x.shape[1], l2)]

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = design @ beta
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z)) + 0.5 * float(penalty @ (beta * beta))
        grad = design.T @ (1.0 / (1.0 + np.exp(-z)) - y) + penalty * beta
        return nll, grad

    return optimize.minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B").x


def logistic_probabilities(features: pd.DataFrame, outcome: np.ndarray) -> np.ndarray | None:
    """In-sample P(member at the end) for each row of ``features``; None when there is
    nothing to fit (fewer than two candidates, or every outcome the same)."""
    outcome = np.asarray(outcome, dtype=float)
    if len(outcome) < 2 or outcome.min() == outcome.max():
        return None
    x = _design_matrix(features)
    beta = fit_logistic(x, outcome)
    return 1.0 / (1.0 + np.exp(-(beta[0] + x @ beta[1:])))


__all__ = ["FEATURES", "LOGISTIC_L2", "LOGISTIC_LABEL", "StartWorld", "accession_features", "fit_logistic",
           "logistic_probabilities", "persistence_path"]
