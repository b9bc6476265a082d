"""Built-in scores and size readers for the calibration distance.

A score compares what a particle's runs produced with the record:
``fn(simulated: DataFrame, observed: DataFrame, **options) -> float`` where ``simulated`` is
every replication of one hindcast (the simulator's table plus ``replication`` and ``seed``
columns) and ``observed`` is the record (``institution, year, state, ...``) restricted to the
fitted institutions and years.  Lower is better unless the calibration file gives a
``target``.  The hindcast scores of ``simulation.history`` plug in with the same signature.

These two (size path RMSE, final size error) work with both simulator tables: size paths
(``institution, year, size``) and membership records (``institution, year, change``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIZE_FRAME = ("institution", "year", "size")


def observed_sizes(observed: pd.DataFrame) -> pd.DataFrame:
    """Members per institution and year in a record with one row per member per year."""
    counts = observed.groupby(["institution", "year"], sort=True).size().astype(float)
    return counts.rename("size").reset_index()


def simulated_sizes(simulated: pd.DataFrame) -> pd.DataFrame:
    """Members per institution, year and replication: read from a ``size`` column, or rebuilt
    from a membership record by adding its ``join`` rows and subtracting its ``leave`` rows."""
    if "replication" not in simulated.columns:
        simulated = simulated.assign(replication=0)
    if "size" in simulated.columns:
        return simulated[["replication", "institution", "year", "size"]]
    if "change" not in simulated.columns:
        raise ValueError("expected a table with a 'size' column (size paths) or a 'change' column (a membership record)")
    delta = simulated["change"].map({"join": 1.0, "leave": -1.0})
    rows = simulated.assign(delta=delta)[delta.notna()]
    years = np.arange(int(simulated["year"].min()), int(simulated["year"].max()) + 1)
    frames = []
    for (rep, inst), group in rows.groupby(["replication", "institution"], sort=True):
        per_year = group.groupby("year")["delta"].sum().reindex(years, fill_value=0.0).cumsum()
        frames.append(pd.DataFrame({"replication": rep, "institution": inst, "year": years, "size": per_year.to_numpy()}))
    if not frames:
        return pd.DataFrame({"replication": [], "institution": [], "year": [], "size": []})
    return pd.concat(frames, ignore_index=True)


def _paired(simulated: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """Mean simulated size beside the observed size, on the years and institutions of both."""
    sim = simulated_sizes(simulated).groupby(["institution", "year"], sort=True)["size"].mean().rename("simulated")
    obs = observed.groupby(["institution", "year"], sort=True).size().astype(float).rename("observed")
    paired = pd.concat([sim, obs], axis=1, join="inner").reset_index()
    if paired.empty:
        raise ValueError("the simulated and observed sizes share no institution-year; expected the hindcast to cover the record's years")
    return paired


def size_path_rmse(simulated: pd.DataFrame, observed: pd.DataFrame) -> float:
    """Root mean squared error of the mean simulated size path against the record, averaged over
    institutions (members)."""
    paired = _paired(simulated, observed)
    squared = (paired["simulated"] - paired["observed"]) ** 2
    return float(np.sqrt(squared.groupby(paired["institution"]).mean()).mean())


def final_size_error(simulated: pd.DataFrame, observed: pd.DataFrame) -> float:
    """|mean simulated size - observed size| in the last year both cover, averaged over
    institutions (members): the summary statistic "final institution sizes"."""
    paired = _paired(simulated, observed)
    last = paired.loc[paired.groupby("institution")["year"].idxmax()]
    return float((last["simulated"] - last["observed"]).abs().mean())
