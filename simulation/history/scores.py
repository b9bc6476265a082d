"""Scores of a hindcast against the record: pure functions of membership paths.

Inputs for one scenario entry and one institution: the record's path and each run's path
over the same calendar years (``record.InstitutionPath``; index 0 is the start year, the
world before any step), the states absent from the system in each year, the states of the
scenario, and the start members.  Formulas: docs/history.md, "Scores".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from simulation.history import baselines
from simulation.history.record import InstitutionPath

#: The band of replications the observed size should lie in (size_coverage90).
BAND = (0.05, 0.95)
YEARS_PER_DECADE = 10.0
#: Which way is better, per score; "record" means closer to the record's own value.
DIRECTION = {"size_rmse": "lower", "size_coverage90": "higher", "exits_per_decade": "record", "join_auc": "higher",
             "join_brier": "lower", "timing_mae_years": "lower"}
SCORES = tuple(DIRECTION)
#: The dispute-rate scores (simulation.history.disputes), scored per scope rather than per institution.
DISPUTE_DIRECTION = {"dispute_rate_mean": "record", "dispute_rate_rmse": "lower", "dispute_rate_coverage90": "higher"}
COLUMNS = ("scenario", "institution", "score", "model", "baseline_persistence", "baseline_logistic", "better_than_baselines",
           "observed", "note")
YES, NO, UNDEFINED = "yes", "no", "undefined"  # not "n/a": pandas reads that as a missing value


# ---- primitives ----------------------------------------------------------------------

def size_rmse(sim_sizes: np.ndarray, observed_sizes: np.ndarray) -> float:
    """RMSE over years of the mean simulated size (over runs, axis 0) against the record."""
    sim = np.atleast_2d(np.asarray(sim_sizes, dtype=float))
    if sim.shape[1] == 0 or sim.shape[0] == 0:
        return np.nan
    return float(np.sqrt(np.mean((sim.mean(axis=0) - np.asarray(observed_sizes, dtype=float)) ** 2)))


def size_coverage(sim_sizes: np.ndarray, observed_sizes: np.ndarray, band: tuple[float, float] = BAND) -> float:
    """Share of years whose observed size lies in the [5%, 95%] quantile band of the runs
    (linear interpolation between order statistics; bounds included)."""
    sim = np.atleast_2d(np.asarray(sim_sizes, dtype=float))
    if sim.shape[1] == 0 or sim.shape[0] == 0:
        return np.nan
    low, high = np.quantile(sim, band, axis=0)
    obs = np.asarray(observed_sizes, dtype=float)
    return float(np.mean((obs >= low) & (obs <= high)))


def member_exits(path: InstitutionPath, absent: tuple[frozenset[str], ...], index: np.ndarray) -> int:
    """Members lost between year t-1 and year t, over the year indices ``index`` (t >= 1),
    not counting the end of the institution (it no longer exists in year t) nor states that
    left the system in t (their membership lapses or passes to a successor)."""
    count = 0
    for t in index:
        if t < 1 or not path.alive[t]:
            continue
        count += len(path.members[t - 1] - path.members[t] - absent[t])
    return count


def exits_per_decade(paths: list[InstitutionPath], absent: tuple[frozenset[str], ...], index: np.ndarray) -> float:
    """Mean over ``paths`` of member exits per ten compared years."""
    if not paths or len(index) == 0:
        return np.nan
    decades = len(index) / YEARS_PER_DECADE
    return float(np.mean([member_exits(p, absent, index) / decades for p in paths]))


def auc(p: np.ndarray, outcome: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count one half); NaN without both
    a joiner and a non-joiner."""
    p, y = np.asarray(p, dtype=float), np.asarray(outcome, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return np.nan
    ranks = stats.rankdata(p)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def brier(p: np.ndarray, outcome: np.ndarray) -> float:
    """Mean squared difference between P(member) and membership (0/1)."""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return np.nan
    return float(np.mean((p - np.asarray(outcome, dtype=float)) ** 2))


def accession_years(path: InstitutionPath, states: list[str], index: np.ndarray) -> dict[str, int]:
    """The first compared year in which each state is a member (states never a member are left out)."""
    out: dict[str, int] = {}
    for t in index:
        for s in path.members[t]:
            if s not in out:
                out[s] = int(path.years[t])
    return {s: out[s] for s in states if s in out}


def timing_mae(observed: dict[str, int], simulated: list[dict[str, int]]) -> float:
    """Mean |simulated - observed accession year| over (state, run) pairs where the state
    joined both in the record and in that run; NaN when there is no such pair."""
    errors = [abs(run[s] - year) for run in simulated for s, year in observed.items() if s in run]
    return float(np.mean(errors)) if errors else np.nan


def start_members(observed: InstitutionPath) -> frozenset[str]:
    """The record's members in the start year, or, for an institution founded during the
    hindcast, in its first year (its founders)."""
    alive = np.flatnonzero(observed.alive)
    return observed.members[alive[0]] if alive.size else frozenset()


def verdict(score: str, model: float, persistence: float, logistic: float, observed: float = np.nan) -> tuple[str, str]:
    """``better_than_baselines`` and why: "yes" when the model beats every baseline that
    defines the score (strictly), "no" when one does at least as well, "undefined" when the model
    or every baseline leaves the score undefined (never silently "yes")."""
    direction = DIRECTION.get(score) or DISPUTE_DIRECTION[score]
    values = {"persistence": persistence, "logistic": logistic}
    if direction == "record":
        if not np.isfinite(observed):
            return UNDEFINED, "the record's value is undefined"
        model = abs(model - observed)
        values = {k: abs(v - observed) for k, v in values.items()}
    defined = {k: v for k, v in values.items() if np.isfinite(v)}
    undefined = sorted(set(values) - set(defined))
    if not np.isfinite(model):
        return UNDEFINED, "the model's value is undefined"
    if not defined:
        return UNDEFINED, "no baseline defines this score"
    better = all(model < v if direction in ("lower", "record") else model > v for v in defined.values())
    note = f"compared with {' and '.join(sorted(defined))} only ({' and '.join(undefined)}: undefined)" if undefined else ""
    return (YES if better else NO), note


# ---- one institution of one scenario entry ---------------------------------------------

@dataclass(frozen=True)
class Hindcast:
    """One scenario entry's runs for one institution, aligned with the record in calendar
    years (index 0: the start year).  ``compared``: the year indices scored (after step 0,
    within the record's years); ``absent``: states out of the system per year; ``universe``:
    the scenario's states (listed and entering)."""

    institution: str
    observed: InstitutionPath
    runs: tuple[InstitutionPath, ...]
    absent: tuple[frozenset[str], ...]
    universe: frozenset[str]
    compared: np.ndarray

    def end_index(self) -> int | None:
        """The last compared year in which the institution exists in the record."""
        alive = [t for t in self.compared if self.observed.alive[t]]
        return int(alive[-1]) if alive else None


@dataclass(frozen=True)
class Accession:
    """Per candidate state (not a start member, present at the end): P(member at the end)
    by the model and the baselines, and the record's outcome."""

    states: list[str]
    outcome: np.ndarray
    model: np.ndarray
    persistence: np.ndarray
    logistic: np.ndarray | None
    end_year: int


def accession(h: Hindcast, start: frozenset[str], world: baselines.StartWorld | None) -> Accession | None:
    """The join-score inputs; None when the institution does not exist in the record in the compared years."""
    end = h.end_index()
    if end is None:
        return None
    at_end = set(h.observed.members[end]).union(*(r.members[end] for r in h.runs))
    states = sorted((set(h.universe) | at_end) - set(start) - set(h.absent[end]))
    outcome = np.array([s in h.observed.members[end] for s in states], dtype=float)
    model = np.array([np.mean([s in r.members[end] for r in h.runs]) for s in states], dtype=float) if h.runs else np.full(len(states), np.nan)
    logistic = None
    if world is not None and states:
        logistic = baselines.logistic_probabilities(baselines.accession_features(world, start, states), outcome)
    return Accession(states, outcome, model, np.zeros(len(states)), logistic, int(h.observed.years[end]))


def score_hindcast(h: Hindcast, start: frozenset[str] | None = None, world: baselines.StartWorld | None = None,
                   acc: Accession | None = None) -> list[dict[str, object]]:
    """Every score for one institution of one scenario entry: one dict per score with the
    model's value, the baselines', the record's (where the score has one) and the verdict.
    ``acc``: the entry's ``accession(h, start, world)`` when already computed."""
    start = start_members(h.observed) if start is None else start
    idx = np.asarray(h.compared, dtype=int)
    obs_sizes = h.observed.sizes()[idx]
    sim_sizes = np.array([r.sizes()[idx] for r in h.runs]).reshape(len(h.runs), len(idx))
    persist = baselines.persistence_path(h.observed, start)
    pers_sizes = persist.sizes()[idx][None, :]
    acc = accession(h, start, world) if acc is None else acc
    no_record = "the institution does not exist in the record in the compared years"
    rows: dict[str, dict[str, object]] = {}

    def put(score: str, model: float, persistence: float, logistic: float, observed: float = np.nan, note: str = "") -> None:
        better, why = verdict(score, model, persistence, logistic, observed)
        rows[score] = {"score": score, "model": model, "baseline_persistence": persistence, "baseline_logistic": logistic,
                       "better_than_baselines": better, "observed": observed, "note": "; ".join(n for n in (note, why) if n)}

    size_note = "the logistic baseline predicts membership at the end, not a size path"
    put("size_rmse", size_rmse(sim_sizes, obs_sizes), size_rmse(pers_sizes, obs_sizes), np.nan, note=size_note)
    put("size_coverage90", size_coverage(sim_sizes, obs_sizes), size_coverage(pers_sizes, obs_sizes), np.nan,
        note=size_note + "; persistence is one path, so it covers a year only when it equals the record")
    recorded = exits_per_decade([h.observed], h.absent, idx)
    put("exits_per_decade", exits_per_decade(list(h.runs), h.absent, idx), 0.0 if len(idx) else np.nan, np.nan, recorded,
        note="better = closer to the record's value (column observed)")
    if acc is None:
        for score in ("join_auc", "join_brier", "timing_mae_years"):
            put(score, np.nan, np.nan, np.nan, note=no_record)
    else:
        logistic = acc.logistic
        why_auc = "" if 0 < acc.outcome.sum() < len(acc.outcome) else \
            ("no candidate state joined in the record" if acc.outcome.sum() == 0 else "every candidate state joined in the record")
        lnote = "" if logistic is not None else "logistic baseline: nothing to fit (no start-year world, or every outcome the same)"
        put("join_auc", auc(acc.model, acc.outcome), auc(acc.persistence, acc.outcome),
            auc(logistic, acc.outcome) if logistic is not None else np.nan, note="; ".join(n for n in (why_auc, lnote) if n))
        put("join_brier", brier(acc.model, acc.outcome), brier(acc.persistence, acc.outcome),
            brier(logistic, acc.outcome) if logistic is not None else np.nan, note=lnote)
        joined = [s for s, o in zip(acc.states, acc.outcome) if o]
        observed_years = accession_years(h.observed, joined, idx)
        simulated = [accession_years(r, list(observed_years), idx) for r in h.runs]
        mae = timing_mae(observed_years, simulated)
        put("timing_mae_years", mae, np.nan, np.nan,
            note="persistence has no joiners and the logistic baseline no years" + ("" if np.isfinite(mae) else
                                                                                     "; no state joined both in the record and in a run"))
    return [rows[s] for s in SCORES]


def scores_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The rows of scores.csv, in its column order."""
    return pd.DataFrame(rows, columns=list(COLUMNS))


__all__ = ["BAND", "COLUMNS", "DIRECTION", "SCORES", "Accession", "Hindcast", "accession", "accession_years", "auc", "brier",
           "exits_per_decade", "member_exits", "score_hindcast", "scores_frame", "size_coverage", "size_rmse", "start_members",
           "timing_mae", "verdict"]
