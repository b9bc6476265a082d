"""``alliance-sim reproduce``: re-run recorded runs from the manifest and compare.

Each run is rebuilt from what the results folder holds (the resolved scenario, the run's
design-point overrides and its seed), executed into a scratch folder by the same worker code
as the sweep, and compared exactly with what is stored: the time series value by value
(when ``runs/<id>.parquet`` is there; a folder committed to a repository may leave the
bulky series out) and the summary values in the run's record and in ``summary.csv``.
The results folder itself is only read.
"""

from __future__ import annotations

import math
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from simulation.errors import UserError
from simulation.experiments.executors import ExecutorSpec, execute, runs_per_batch
from simulation.experiments.store import ResultsFolder
from simulation.experiments.worker import DEFAULT_RUN_FUNCTION, Batch, RunTask

#: Differences listed per run before the rest are only counted.
MAX_LISTED_PER_RUN = 3
EXIT_IDENTICAL, EXIT_DIFFERENT = 0, 1


@dataclass
class Comparison:
    checked: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def _stored_summary_rows(folder: ResultsFolder) -> dict[str, dict[str, str]]:
    import csv

    if not folder.summary_path.exists():
        return {}
    try:
        with open(folder.summary_path, newline="", encoding="utf-8") as fh:
            return {row["run_id"]: row for row in csv.DictReader(fh) if row.get("run_id")}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot be read ({type(exc).__name__}); expected the summary.csv 'alliance-sim sweep' writes "
                        "('alliance-sim report' rebuilds it from the run records)", file=str(folder.summary_path)) from None


def _same(a: float | None, b: float | None) -> bool:
    a = math.nan if a is None else float(a)
    b = math.nan if b is None else float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


def _number(cell: str) -> float | None:
    try:
        return float(cell) if cell else None
    except ValueError:
        return math.inf  # not a number: differs from any re-run value


def compare_run(run_id: str, stored: ResultsFolder, fresh: ResultsFolder, summary_row: dict[str, str] | None) -> list[str]:
    """Differences between a stored run and its re-run (empty when identical)."""
    out: list[str] = []
    path = stored.timeseries_path(run_id)
    new_record = fresh.read_record(run_id) or {}
    if new_record.get("status") != "ok":
        first = (new_record.get("error") or "no record").splitlines()[0]
        return [f"{run_id}: the re-run failed: {first}"]
    old_record = stored.read_record(run_id)
    if old_record is None and summary_row is None:
        return [f"{run_id}: neither its record ({stored.record_path(run_id)}) nor a summary.csv row is stored"]
    if path.exists():
        out += _compare_series(run_id, path, fresh.timeseries_path(run_id))
    new_summary = new_record.get("summary") or {}
    for column, value in new_summary.items():
        if old_record is not None and not _same((old_record.get("summary") or {}).get(column), value):
            out.append(f"{run_id}: summary {column}: run record {(old_record.get('summary') or {}).get(column)!r}, re-run {value!r}")
        if summary_row is not None:
            cell = summary_row.get(column) or ""
            if not _same(_number(cell), value):
                out.append(f"{run_id}: summary.csv {column}: stored {cell or 'blank'}, re-run {value!r}")
    if summary_row is None:
        out.append(f"{run_id}: no row in summary.csv")
    return out


class _DamagedRun(Exception):
    """The stored time series of a run cannot be read."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


def _compare_series(run_id: str, stored_path: Path, fresh_path: Path) -> list[str]:
    out: list[str] = []
    try:
        old = pq.read_table(stored_path).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise _DamagedRun(exc) from None
    new = pq.read_table(fresh_path).to_pandas()
    if list(old.columns) != list(new.columns) or len(old) != len(new):
        out.append(f"{run_id}: time series shape differs (stored {len(old)} rows x {len(old.columns)} columns, re-run {len(new)} x {len(new.columns)})")
    else:
        for column in old.columns:
            if column == "value":
                continue
            if not (old[column].astype(str).to_numpy() == new[column].astype(str).to_numpy()).all():
                out.append(f"{run_id}: column {column!r} differs")
        a, b = old["value"].to_numpy(dtype=float), new["value"].to_numpy(dtype=float)
        bad = np.nonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))[0]
        for i in bad[:MAX_LISTED_PER_RUN]:
            out.append(f"{run_id}: step {old['step'].iloc[i]} {old['metric'].iloc[i]}@{old['scope'].iloc[i]}: stored {a[i]!r}, re-run {b[i]!r}")
        if len(bad) > MAX_LISTED_PER_RUN:
            out.append(f"{run_id}: ... {len(bad) - MAX_LISTED_PER_RUN} more values differ")
    return out


def reproduce(results: str | Path, *, runs: int | None = None, workers: int = 1,
              run_function: str = DEFAULT_RUN_FUNCTION) -> Comparison:
    """Re-run the first ``runs`` successful runs of the manifest (all by default) and compare."""
    folder = ResultsFolder(Path(results))
    manifest = folder.read_manifest()
    if runs is not None and runs < 1:
        raise UserError(f"--runs: expected a whole number >= 1 (got {runs})")
    if workers < 1:
        raise UserError(f"--workers: expected a whole number >= 1 (got {workers})")
    experiment = folder.read_experiment(manifest)
    chosen = [r for r in manifest["runs"] if r["status"] == "ok"]
    if not chosen:
        raise UserError("no successful runs are recorded; expected a results folder with finished runs", file=str(folder.manifest_path))
    chosen = chosen[:runs] if runs is not None else chosen
    scenarios = {}
    for label, entry in manifest["scenarios"].items():
        path = folder.root / entry["resolved"]
        if not path.is_file():
            raise UserError(f"resolved scenario missing: {path}; expected the file the sweep wrote", file=str(folder.root))
        try:
            scenarios[label] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise UserError(f"cannot be read ({type(exc).__name__}); expected the resolved scenario the sweep wrote", file=str(path)) from None
        if not isinstance(scenarios[label], dict):
            raise UserError("expected the resolved scenario the sweep wrote (a mapping of scenario keys)", file=str(path))
    comparison = Comparison()
    rows = _stored_summary_rows(folder)
    with tempfile.TemporaryDirectory(prefix="alliance-sim-reproduce-") as scratch:
        fresh = ResultsFolder(Path(scratch))
        fresh.runs_dir.mkdir(parents=True)
        tasks = [RunTask(r["run_id"], r["scenario"], r["point"], r["replication"], r["seed"], r["design"]) for r in chosen]
        size = runs_per_batch(len(tasks), workers)
        batches = [Batch(index=i, out_dir=scratch, scenarios=scenarios, scenario_dir=str(folder.scenarios_dir),
                         runs=tuple(tasks[s:s + size]), summary=tuple(experiment.summary.metrics),
                         window=experiment.summary.window, statistic=experiment.summary.statistic, run_function=run_function)
                   for i, s in enumerate(range(0, len(tasks), size))]
        errors: list[str] = []
        spec = ExecutorSpec("serial" if workers == 1 else "processes", workers)
        execute(batches, spec, lambda b, recs: None, lambda b, exc: errors.append(f"batch {b.index}: {exc}"))
        comparison.differences.extend(errors)
        for task in tasks:
            comparison.checked.append(task.run_id)
            try:
                comparison.differences.extend(compare_run(task.run_id, folder, fresh, rows.get(task.run_id)))
            except _DamagedRun as exc:
                raise folder.damaged_run(task.run_id, exc.cause, manifest) from None
    return comparison


def reproduce_command(results: str, *, runs: int | None, workers: int) -> int:
    comparison = reproduce(results, runs=runs, workers=workers)
    if comparison.identical:
        print(f"{len(comparison.checked)} run(s) re-run: identical to the stored results", file=sys.stderr)
        return EXIT_IDENTICAL
    print(f"{len(comparison.checked)} run(s) re-run: {len(comparison.differences)} difference(s):", file=sys.stderr)
    for line in comparison.differences:
        print(f"  {line}", file=sys.stderr)
    return EXIT_DIFFERENT


__all__ = ["reproduce", "reproduce_command", "Comparison"]
