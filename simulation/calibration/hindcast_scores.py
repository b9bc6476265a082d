"""The hindcast scores of ``simulation.history`` as calibration distance terms.

Each function here has the calibration's score signature
``fn(simulated, observed, *, institution=None) -> float`` (a loss, 0 best): ``simulated`` is the
membership records of every replication of one particle (``simulators:membership_record`` or
``membership_record_with_states`` plus ``replication, seed``), ``observed`` the record of the
fitted institutions and years.  The records are replayed and scored with
``simulation.history.record`` and ``simulation.history.scores`` exactly as ``hindcast.py``
scores a results folder, so the calibration fits the numbers a hindcast's ``scores.csv`` reports.

- ``size_error``: size RMSE / the record's mean size (while the institution exists);
- ``coverage_shortfall``: 1 - share of years with the record inside the runs' 5-95% band;
- ``exits_error``: |simulated - recorded| member exits per decade;
- ``accession_brier``: Brier score of P(member at the end) over the candidate states (not members
  at the start); ``accession_error``: the same squared errors summed, per recorded accession;
- ``accession_auc_shortfall``: 1 - AUC of the same probabilities (0.5 when undefined).

Without ``institution`` a term is the mean over the institutions of ``observed``.  Why these
normalisations: docs/calibration.md, "The Cold War distance".
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from simulation.calibration.simulators import calendar_offset, membership_record
from simulation.history import record, scores
from simulation.scenario import Scenario

#: ``change`` of the rows ``membership_record_with_states`` adds: one per named state of the
#: scenario, so the accession scores know the states that never join anything.
STATE_ROW = "state"


def membership_record_with_states(scenario: Scenario, *, seed: int) -> pd.DataFrame:
    """The run's membership record plus one step-0 row ``change: state`` per named state of the
    scenario (listed, or entering by event): the candidate states of the accession scores,
    which are the same for every particle.  Replay, sizes and exits ignore these rows."""
    run = membership_record(scenario, seed=seed)
    names = [s.name for s in scenario.world.states]
    names += [e.state for e in scenario.events if getattr(e, "kind", None) == "enter" and e.state not in names]
    names = list(dict.fromkeys(names))
    start = calendar_offset(scenario)
    extra = pd.DataFrame({"step": 0, "year": start, "state": names, "institution": "", "change": STATE_ROW})
    extra = extra.astype({c: run[c].dtype for c in extra.columns if c in run.columns and c != "year"})
    return pd.concat([run, extra.astype({"year": run["year"].dtype})], ignore_index=True)


def replications(simulated: pd.DataFrame) -> list[pd.DataFrame]:
    """The membership record of each replication, in replication order."""
    if "replication" not in simulated.columns:
        return [simulated]
    return [group for _, group in simulated.groupby("replication", sort=True)]


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with missing cells as "" (records read back from parquet carry None)."""
    out = frame.copy()
    for column in ("state", "institution", "change"):
        out[column] = out[column].astype(object).where(out[column].notna(), "").astype(str)
    return out


#: The last particle's aligned hindcasts: every term of a distance reads the same records, and
#: replaying them is as costly as a model run.  The frames are held (not just their ids), so an
#: id cannot be reused by another frame while it is cached.
_CACHE: dict[str, object] = {}


def hindcast(simulated: pd.DataFrame, observed: pd.DataFrame, institution: str) -> tuple[scores.Hindcast, frozenset[str]]:
    """One institution's runs and record aligned as ``hindcast.score_results`` aligns them:
    years start_year .. the record's last year, compared from the record's first year (and
    step 1); returns the ``Hindcast`` and the start members (the record's first members).
    Cached for the last (simulated, observed) pair."""
    if _CACHE.get("simulated") is not simulated or _CACHE.get("observed") is not observed:
        _CACHE.clear()
        _CACHE.update(simulated=simulated, observed=observed, aligned={})
    aligned: dict[str, tuple[scores.Hindcast, frozenset[str]]] = _CACHE["aligned"]  # type: ignore[assignment]
    if institution not in aligned:
        aligned[institution] = _align(simulated, observed, institution)
    return aligned[institution]


def _align(simulated: pd.DataFrame, observed: pd.DataFrame, institution: str) -> tuple[scores.Hindcast, frozenset[str]]:
    runs = [_clean(r) for r in replications(simulated)]
    start = record.calendar_start(runs[0])
    if start is None:
        raise ValueError("the simulated membership record has no calendar years; expected a scenario with history.start_year")
    first, last = int(observed["year"].min()), int(observed["year"].max())
    steps = last - start
    if steps < 1:
        raise ValueError(f"the record ends in {last}, before the first simulated year {start + 1}")
    years = np.arange(start, last + 1)
    compared = np.array([t for t in range(1, steps + 1) if years[t] >= first], dtype=int)
    absent = record.absent_states(runs[0], start, steps)
    named = set(runs[0].loc[runs[0]["change"] == STATE_ROW, "state"])
    universe = named or {s for r in runs for s in r["state"] if s}
    universe = frozenset(universe | set(observed["state"].astype(str)))
    obs = record.observed_path(observed, institution, years)
    paths = tuple(record.replay(r[r["change"] != STATE_ROW], institution, start, steps) for r in runs)
    return scores.Hindcast(institution, obs, paths, absent, universe, compared), scores.start_members(obs)


def _per_institution(fn: Callable[[scores.Hindcast, frozenset[str]], float]) -> Callable[..., float]:
    def score(simulated: pd.DataFrame, observed: pd.DataFrame, *, institution: str | None = None) -> float:
        names = [institution] if institution is not None else list(dict.fromkeys(observed["institution"].astype(str)))
        if institution is not None and institution not in set(observed["institution"]):
            raise ValueError(f"institution {institution!r} is not in the fitted record (it has {sorted(set(observed['institution']))})")
        return float(np.mean([fn(*hindcast(simulated, observed, name)) for name in names]))

    score.__name__ = fn.__name__
    score.__doc__ = fn.__doc__
    return score


def _sizes(h: scores.Hindcast) -> tuple[np.ndarray, np.ndarray]:
    idx = h.compared
    return np.array([p.sizes()[idx] for p in h.runs]).reshape(len(h.runs), len(idx)), h.observed.sizes()[idx]


@_per_institution
def size_error(h: scores.Hindcast, start: frozenset[str]) -> float:
    """``scores.size_rmse`` divided by the record's mean size over the compared years in which
    the institution exists: an error of one member weighs more in a small alliance."""
    sim, obs = _sizes(h)
    alive = h.observed.alive[h.compared]
    return scores.size_rmse(sim, obs) / float(obs[alive].mean())


@_per_institution
def coverage_shortfall(h: scores.Hindcast, start: frozenset[str]) -> float:
    """1 - ``scores.size_coverage`` (share of years whose record lies in the runs' 5-95% band)."""
    return 1.0 - scores.size_coverage(*_sizes(h))


@_per_institution
def exits_error(h: scores.Hindcast, start: frozenset[str]) -> float:
    """|simulated - recorded| member exits per decade (``scores.exits_per_decade``)."""
    simulated = scores.exits_per_decade(list(h.runs), h.absent, h.compared)
    recorded = scores.exits_per_decade([h.observed], h.absent, h.compared)
    return abs(simulated - recorded)


def _accession(h: scores.Hindcast, start: frozenset[str]) -> scores.Accession:
    acc = scores.accession(h, start, None)
    if acc is None:
        raise ValueError(f"{h.institution} does not exist in the record in the compared years")
    return acc


@_per_institution
def accession_brier(h: scores.Hindcast, start: frozenset[str]) -> float:
    """``scores.brier`` of P(member at the end) (share of runs) over the candidate states."""
    acc = _accession(h, start)
    return scores.brier(acc.model, acc.outcome)


@_per_institution
def accession_error(h: scores.Hindcast, start: frozenset[str]) -> float:
    """Squared error of P(member at the end) summed over the candidate states, per accession in
    the record (at least one): the Brier score times candidates / max(1, joiners).  Predicting
    that nobody joins scores 1 when someone did; unlike the Brier score it does not shrink
    as the number of states that never come near the institution grows."""
    acc = _accession(h, start)
    return scores.brier(acc.model, acc.outcome) * len(acc.outcome) / max(1.0, float(acc.outcome.sum()))


@_per_institution
def accession_auc_shortfall(h: scores.Hindcast, start: frozenset[str]) -> float:
    """1 - ``scores.auc`` of P(member at the end) over the candidate states; 0.5 (a coin) when
    the AUC is undefined (no joiner or no non-joiner in the record)."""
    acc = _accession(h, start)
    value = scores.auc(acc.model, acc.outcome)
    return 1.0 - value if np.isfinite(value) else 0.5


__all__ = ["STATE_ROW", "accession_auc_shortfall", "accession_brier", "accession_error", "coverage_shortfall", "exits_error", "hindcast",
           "membership_record_with_states", "replications", "size_error"]
