"""``alliance-sim export``: every run of an experiment as one tidy dataset.

Writes, under ``--out`` (default ``<results>/export``)::

    timeseries/scenario=<label>/part-0.parquet   run_id, point, <design labels>, replication,
                                                 seed, step, metric, scope, value
    summary.parquet                              one row per run, design values by label

(with ``--format csv``: ``timeseries.csv`` and ``summary.csv``).  The time series is
partitioned by scenario (hive style), so ``pd.read_parquet``, ``polars.read_parquet`` and
DuckDB's ``read_parquet('.../**/*.parquet', hive_partitioning=true)`` each read it in one
call.  It is streamed: one run's file is read, extended and appended at a time, so memory
does not grow with the number of runs.  Nothing is written until the folder is known to be
readable; the output is built in a temporary folder and renamed into place.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from simulation.errors import UserError
from simulation.results import SERIES_COLUMNS, Results, open_results

FORMATS = ("parquet", "csv")
DEFAULT_DIR = "export"
TIMESERIES = "timeseries"
SUMMARY = "summary"
#: Rows gathered before a row group is written (about 40 MB in memory at most).
ROW_GROUP_ROWS = 1_000_000


def _series_schema(results: Results) -> pa.Schema:
    """Fixed column types (a partition file per scenario, so ``scenario`` is the folder)."""
    text = pa.dictionary(pa.int32(), pa.string())
    design = []
    for i, label in enumerate(results.labels.values()):
        values = [row[i] for row in results.manifest["design"]["points"]]
        kind = pa.int64() if all(isinstance(v, int) and not isinstance(v, bool) for v in values) else \
            pa.float64() if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) else pa.string()
        design.append((label, kind))
    return pa.schema([("run_id", text), ("point", pa.int32()), *design, ("replication", pa.int32()), ("seed", pa.int64()),
                      ("step", pa.int64()), ("metric", text), ("scope", text), ("value", pa.float64())])


def _run_table(stored: pa.Table, run: dict, labels: dict[str, str], schema: pa.Schema) -> pa.Table:
    """A run's stored table in the export's columns, in Arrow (no pandas round trip: the
    per-run cost is what bounds the export of a large sweep)."""
    n = stored.num_rows
    columns = []
    for name in schema.names:
        kind = schema.field(name).type
        if name in stored.column_names:
            columns.append(stored.column(name).cast(kind))
        else:
            path = next(p for p, label in labels.items() if label == name)
            columns.append(pa.array([run["design"].get(path)] * n, type=kind))
    return pa.Table.from_arrays(columns, schema=schema)


def export(root: str | Path, out: str | Path | None = None, fmt: str = "parquet") -> Path:
    """Write the tidy time series and the run summary of ``root``; return the output folder."""
    if fmt not in FORMATS:
        raise UserError(f"expected --format one of {', '.join(FORMATS)}, got {fmt!r}")
    results = open_results(root)
    target = Path(out) if out is not None else results.root / DEFAULT_DIR
    if target.exists() and not target.is_dir():
        raise UserError("is a file; expected --out to name a folder", file=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        summary = results.summary
        if fmt == "parquet":
            summary.to_parquet(work / f"{SUMMARY}.parquet", index=False)
        else:
            summary.to_csv(work / f"{SUMMARY}.csv", index=False, lineterminator="\n")
        n_runs = _write_series(results, work, fmt)
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if n_runs == 0:
        print(f"note: {results.root} holds no per-run time series (a committed folder keeps summary.csv alone); "
              f"only the summary was exported", file=sys.stderr)
    return target


def _write_series(results: Results, work: Path, fmt: str) -> int:
    """Stream every successful run's series into the output, scenario by scenario."""
    schema = _series_schema(results)
    labels = list(dict.fromkeys(r["scenario"] for r in results.manifest["runs"]))
    written = 0
    csv_path = work / f"{TIMESERIES}.csv"
    if fmt == "parquet":
        from simulation.experiments.store import ResultsFolder

        folder = ResultsFolder(results.root)
        runs = results.runs_with_series()
        for scenario in labels:
            mine = [r for r in runs if r["scenario"] == scenario]
            if not mine:
                continue
            out = work / TIMESERIES / f"scenario={scenario}"
            out.mkdir(parents=True)
            with pq.ParquetWriter(out / "part-0.parquet", schema, compression="snappy") as writer:
                batch: list[pa.Table] = []
                rows = 0
                for run in mine:
                    try:
                        stored = pq.read_table(folder.timeseries_path(run["run_id"]))
                    except (pa.ArrowException, OSError) as exc:
                        raise folder.damaged_run(run["run_id"], exc, results.manifest) from None
                    batch.append(_run_table(stored, run, results.labels, schema))
                    rows += stored.num_rows
                    written += 1
                    if rows >= ROW_GROUP_ROWS:  # bounded memory, and row groups large enough to read fast
                        writer.write_table(pa.concat_tables(batch))
                        batch, rows = [], 0
                if batch:
                    writer.write_table(pa.concat_tables(batch))
        return written
    columns = ["run_id", "scenario", "point", *results.design_columns, "replication", "seed", *SERIES_COLUMNS]
    for scenario in labels:
        for frame in results.iter_timeseries(scenarios=[scenario]):
            frame.loc[:, columns].to_csv(csv_path, mode="a", header=written == 0, index=False, lineterminator="\n")
            written += 1
    return written


def export_command(results: str, out: str | None, fmt: str) -> int:
    path = export(results, out, fmt)
    print(f"exported: {path}", file=sys.stderr)
    return 0
