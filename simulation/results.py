"""Read a results folder from Python: the run table, the time series, the design.

    >>> from simulation.results import open_results
    >>> r = open_results("results/interference_sweep")        # doctest: +SKIP
    >>> r.summary.groupby("interference")["cohesion@Atlantic"].mean()  # doctest: +SKIP

Every table carries the design values under the design's own labels (``interference``,
not ``institutions.Atlantic.params.interference``), so no hand merge is needed.  Reading
never runs the model and never writes into the folder.  The worked example in
docs/experiments.md is run by tests/experiments/test_results_api.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.errors import UserError

#: Identifying columns of every per-run table, before the design values.
ID_COLUMNS = ("run_id", "scenario", "point", "replication", "seed")
SERIES_COLUMNS = ("step", "metric", "scope", "value")


def design_labels(manifest: dict[str, Any], experiment: Any) -> dict[str, str]:
    """Dotted design path -> the column name used in exported tables: the design's label,
    else the last part of the path, else (when two would clash) the whole path."""
    params = experiment.design.parameters
    paths = list(manifest["design"]["columns"])
    names = {}
    for path in paths:
        spec = params.get(path)
        names[path] = (spec.label if spec is not None and spec.label else None) or path.rsplit(".", 1)[-1]
    taken = list(names.values())
    reserved = set(ID_COLUMNS) | set(SERIES_COLUMNS) | {"status"}
    return {p: (n if taken.count(n) == 1 and n not in reserved else p) for p, n in names.items()}


@dataclass
class Results:
    """One results folder as read back.  Build with ``open_results``."""

    root: Path
    manifest: dict[str, Any]
    experiment: Any
    labels: dict[str, str]
    _summary: pd.DataFrame = field(repr=False)

    @property
    def design_columns(self) -> list[str]:
        """The design's parameters as they are named in these tables (labels)."""
        return list(self.labels.values())

    @property
    def metrics(self) -> list[str]:
        """The summarised metrics (columns of ``summary``)."""
        return [m.column for m in self.experiment.summary.metrics]

    @property
    def summary(self) -> pd.DataFrame:
        """One row per run: ids, status, design values (by label), summary metrics."""
        return self._summary.copy()

    @property
    def design(self) -> pd.DataFrame:
        """One row per design point: ``point`` and its values by label (no rows' worth of
        parameters for a design of type ``none``: a single point with no columns)."""
        points = self.manifest["design"]["points"]
        paths = list(self.labels)
        rows = [{"point": i, **{self.labels[p]: v for p, v in zip(paths, values)}} for i, values in enumerate(points)]
        return pd.DataFrame(rows, columns=["point", *self.design_columns])

    @property
    def scores(self) -> pd.DataFrame | None:
        """``scores.csv`` of a hindcast (scores against the observed record), else None."""
        path = self.root / "scores.csv"
        return pd.read_csv(path) if path.is_file() else None

    def runs_with_series(self) -> list[dict[str, Any]]:
        """The manifest's successful runs whose time-series file is present."""
        from simulation.experiments.store import ResultsFolder

        folder = ResultsFolder(self.root)
        return [r for r in self.manifest["runs"] if r["status"] == "ok" and folder.timeseries_path(r["run_id"]).is_file()]

    def iter_timeseries(self, metrics: Iterable[str] | None = None, scopes: Iterable[str] | None = None,
                        scenarios: Iterable[str] | None = None) -> Iterator[pd.DataFrame]:
        """The tidy series one run at a time (for a caller that must not hold every run)."""
        from simulation.experiments.store import ResultsFolder

        folder = ResultsFolder(self.root)
        wanted_scenarios = None if scenarios is None else set(scenarios)
        filters = []
        if metrics is not None:
            filters.append(("metric", "in", list(metrics)))
        if scopes is not None:
            filters.append(("scope", "in", list(scopes)))
        for run in self.runs_with_series():
            if wanted_scenarios is not None and run["scenario"] not in wanted_scenarios:
                continue
            path = folder.timeseries_path(run["run_id"])
            try:
                table = pq.read_table(path, columns=list(SERIES_COLUMNS), filters=filters or None)
            except (pa.ArrowException, OSError) as exc:
                raise folder.damaged_run(run["run_id"], exc, self.manifest) from None
            yield self._with_ids(table.to_pandas(), run)

    def _with_ids(self, frame: pd.DataFrame, run: dict[str, Any]) -> pd.DataFrame:
        for column in ("metric", "scope"):
            frame[column] = frame[column].astype(str)
        n = len(frame)
        ids = {"run_id": [run["run_id"]] * n, "scenario": [run["scenario"]] * n, "point": [run["point"]] * n,
               "replication": [run["replication"]] * n, "seed": [run["seed"]] * n}
        design = {label: [run["design"].get(path)] * n for path, label in self.labels.items()}
        head = pd.DataFrame({**ids, **design}, index=frame.index)
        return pd.concat([head, frame], axis=1)

    def timeseries(self, metrics: Iterable[str] | None = None, scopes: Iterable[str] | None = None,
                   scenarios: Iterable[str] | None = None) -> pd.DataFrame:
        """Tidy per-step values of every successful run: ``run_id, scenario, point,
        replication, seed, <design labels>, step, metric, scope, value``.  ``metrics`` are
        metric names (``size``), ``scopes`` scope names (``world``, ``Atlantic``)."""
        parts = list(self.iter_timeseries(metrics, scopes, scenarios))
        if not parts:
            if not self.runs_with_series():
                raise UserError("holds no per-run time series (runs/<run_id>.parquet); expected a folder a sweep wrote, "
                                "not a committed copy kept with summary.csv alone (run the sweep again to get them)",
                                file=str(self.root))
            return pd.DataFrame(columns=[*ID_COLUMNS, *self.design_columns, *SERIES_COLUMNS])
        return pd.concat(parts, ignore_index=True)


def read_summary(root: Path, manifest: dict[str, Any], experiment: Any, labels: dict[str, str]) -> pd.DataFrame:
    """summary.csv with its design columns renamed to labels (read as it is; never rebuilt)."""
    path = root / "summary.csv"
    try:
        table = pd.read_csv(path, dtype={"run_id": str, "scenario": str, "status": str})
    except FileNotFoundError:
        raise UserError("no summary.csv here; expected the folder a sweep wrote (alliance-sim report rebuilds it)",
                        file=str(root)) from None
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot be read ({type(exc).__name__}); expected the summary.csv a sweep writes", file=str(path)) from None
    missing = [c for c in ("run_id", "scenario", "status", *labels) if c not in table.columns]
    if missing:
        raise UserError(f"missing columns {', '.join(missing)}; expected the summary.csv a sweep writes", file=str(path))
    return table.rename(columns=labels)


def open_results(root: str | Path) -> Results:
    """Open a results folder written by ``alliance-sim sweep`` (``UserError`` if it is not one)."""
    from simulation.experiments.store import ResultsFolder

    folder = ResultsFolder(Path(root))
    manifest = folder.read_manifest()
    experiment = folder.read_experiment(manifest)
    labels = design_labels(manifest, experiment)
    return Results(folder.root, manifest, experiment, labels, read_summary(folder.root, manifest, experiment, labels))


__all__ = ["Results", "open_results", "design_labels", "ID_COLUMNS", "SERIES_COLUMNS"]
