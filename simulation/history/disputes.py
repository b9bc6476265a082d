"""Dispute onset rates scored against the record: the hindcasts' second pattern.

Membership paths alone can be matched by a model whose conflict dynamics are wrong, so a
hindcast is also held against the yearly onset rates of militarised disputes in
``scenarios/data/observed_disputes.csv`` (built by ``scenarios/data/build_disputes.py`` from
the Gibler-Miller-Little MID data, 1946-2010).  Each observed scope meets one model series
of the runs' time series (``runs/<run_id>.parquet``):

  world      -> dispute_rate         (scope world)
  intra      -> dispute_rate_intra   (dyads sharing an institution)
  inter      -> dispute_rate_inter
  NATO, ...  -> dispute_rate         (scope: the institution; dyads of two members)

Scores per scope (formulas in docs/history.md, "Dispute rates"), over the compared years
(the run's calendar, the record's years, and years in which the scope has dyads):

  dispute_rate_mean        mean over years of the runs' mean rate; better = closer to the
                           record's mean (column ``observed``)
  dispute_rate_rmse        RMSE over years of the runs' mean rate against the record's
  dispute_rate_coverage90  share of years whose observed rate lies in the 5-95% band of runs

The persistence baseline predicts every year at the record's mean rate of the (up to) ten
years before the start year; it is undefined where the record has no such years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import UserError
from simulation.history.scores import BAND, size_coverage, verdict

OBSERVED_COLUMNS = ("year", "scope", "dyads", "onset_dyads", "rate_per_1000")
#: Observed scope -> (metric, scope) of the model's time series; institutions map to themselves.
WORLD_SERIES = {"world": ("dispute_rate", "world"), "intra": ("dispute_rate_intra", "world"),
                "inter": ("dispute_rate_inter", "world")}
PERSISTENCE_YEARS = 10
SCORES = ("dispute_rate_mean", "dispute_rate_rmse", "dispute_rate_coverage90")
RUNS_DIR = "runs"


@dataclass
class DisputeScored:
    """One scenario entry x scope: score rows and the yearly paths the figure draws."""

    scenario: str
    scope: str
    rows: list[dict[str, object]]
    years: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    observed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    simulated: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    persistence: float = np.nan


def read_observed_disputes(path: Path) -> pd.DataFrame:
    """The observed rates, checked (columns, whole years, numbers); problems name file and line.
    Read within ``MAX_OBSERVED_FILE_BYTES``, from a regular file only (docs/limits.md)."""
    from simulation.scenario_io import MAX_OBSERVED_FILE_BYTES, read_csv_bounded

    what = f"an observed dispute rates CSV ({', '.join(OBSERVED_COLUMNS)})"
    table = read_csv_bounded(path, MAX_OBSERVED_FILE_BYTES, what, dtype={"scope": str}, keep_default_na=False, na_values=[""])
    missing = [c for c in OBSERVED_COLUMNS if c not in table.columns]
    if missing:
        raise UserError(f"missing columns {missing}; expected columns {', '.join(OBSERVED_COLUMNS)}", file=str(path), line=1)
    if table.empty:
        raise UserError("the record is empty; expected one row per year and scope", file=str(path), line=1)
    for column in ("year", "dyads", "onset_dyads"):
        values = pd.to_numeric(table[column], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() | (values.fillna(0) % 1 != 0).to_numpy() | (values.fillna(0) < 0).to_numpy())
        if bad.size:
            raise UserError(f"{column}: expected a whole number >= 0 (got {table[column].iloc[bad[0]]!r})", file=str(path),
                            line=int(bad[0]) + 2)
        table[column] = values.astype("int64")
    table["rate_per_1000"] = pd.to_numeric(table["rate_per_1000"], errors="coerce")
    return table


def _series(table: pd.DataFrame | None, metric: str, scope: str, steps: int) -> np.ndarray:
    """Values after steps 1..steps (NaN where the run has none)."""
    out = np.full(steps, np.nan)
    if table is None:
        return out
    rows = table[(table["metric"] == metric) & (table["scope"] == scope) & (table["step"] >= 1) & (table["step"] <= steps)]
    out[rows["step"].to_numpy(dtype=int) - 1] = rows["value"].to_numpy(dtype=float)
    return out


def read_run(root: Path, run_id: str, scopes: list[str]) -> pd.DataFrame | None:
    """The dispute-rate rows of one run's time series; None when the file is missing."""
    path = Path(root) / RUNS_DIR / f"{run_id}.parquet"
    if not path.is_file():
        return None
    table = pd.read_parquet(path, columns=["step", "metric", "scope", "value"])
    table = table.assign(metric=table["metric"].astype(str), scope=table["scope"].astype(str))
    wanted = {"dispute_rate", "dispute_rate_intra", "dispute_rate_inter"}
    return table[table["metric"].isin(wanted) & table["scope"].isin({"world", *scopes})]


def score_scope(scenario: str, scope: str, years: np.ndarray, simulated: np.ndarray, observed: pd.DataFrame) -> DisputeScored:
    """Scores of one scope: ``years`` are the calendar years of steps 1..steps, ``simulated`` is
    runs x steps; ``observed`` the record's rows of this scope."""
    obs = observed.set_index("year")
    have = obs[obs["dyads"] > 0]["rate_per_1000"]
    keep = np.array([simulated.shape[0] > 0 and int(y) in have.index and np.isfinite(simulated[:, t]).all()
                     for t, y in enumerate(years)], dtype=bool)
    yrs = years[keep]
    sim = simulated[:, keep]
    rec = np.array([float(have.loc[int(y)]) for y in yrs])
    start = int(years[0]) - 1 if len(years) else 0
    before = have[(have.index >= start - PERSISTENCE_YEARS + 1) & (have.index <= start)]
    pers = float(before.mean()) if len(before) else np.nan
    rows: list[dict[str, object]] = []

    def put(score: str, model: float, persistence: float, observed_value: float = np.nan, note: str = "") -> None:
        better, why = verdict(score, model, persistence, np.nan, observed_value)
        rows.append({"score": score, "model": model, "baseline_persistence": persistence, "baseline_logistic": np.nan,
                     "better_than_baselines": better, "observed": observed_value, "note": "; ".join(n for n in (note, why) if n)})

    if not yrs.size:
        for score in SCORES:
            put(score, np.nan, np.nan, note="no year in which the runs and the record both have this scope")
        return DisputeScored(scenario, scope, rows, persistence=pers)
    mean_path = sim.mean(axis=0)
    pnote = "" if np.isfinite(pers) else "persistence: the record has no years before the start"
    lnote = "the logistic baseline predicts accession, not dispute rates"
    put("dispute_rate_mean", float(mean_path.mean()), pers, float(rec.mean()),
        note="; ".join(n for n in (f"per 1000 dyad-years over {yrs.size} years; better = closer to the record (column observed)", pnote, lnote) if n))
    put("dispute_rate_rmse", float(np.sqrt(np.mean((mean_path - rec) ** 2))),
        float(np.sqrt(np.mean((pers - rec) ** 2))) if np.isfinite(pers) else np.nan, note="; ".join(n for n in (pnote, lnote) if n))
    put("dispute_rate_coverage90", size_coverage(sim, rec, BAND), np.nan,
        note="a constant baseline covers a year only when it equals the record, so no baseline defines this score")
    return DisputeScored(scenario, scope, rows, yrs, rec, sim, pers)


def score_entry(scenario: str, root: Path, run_ids: list[str], institutions: list[str], start_year: int, steps: int,
                observed: pd.DataFrame) -> tuple[list[DisputeScored], int]:
    """Every scope of one scenario entry; returns the scored scopes and the runs without a time series."""
    tables = [read_run(root, r, institutions) for r in run_ids]
    missing = sum(t is None for t in tables)
    tables = [t for t in tables if t is not None]
    years = np.arange(start_year + 1, start_year + steps + 1)
    series = {**WORLD_SERIES, **{k: ("dispute_rate", k) for k in institutions}}
    out = []
    for scope, (metric, model_scope) in series.items():
        rows = observed[observed["scope"] == scope]
        if rows.empty:
            continue
        if not tables:
            sim = np.full((0, steps), np.nan)
        else:
            sim = np.array([_series(t, metric, model_scope, steps) for t in tables])
        out.append(score_scope(scenario, scope, years, sim, rows))
    return out, missing


__all__ = ["DisputeScored", "OBSERVED_COLUMNS", "SCORES", "read_observed_disputes", "score_entry", "score_scope"]
