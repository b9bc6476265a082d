"""What a worker does with a batch of runs: build each scenario, run it, summarise, write.

This is the only code that executes on workers (processes or dask).  It receives plain
data (resolved scenario dicts, run coordinates, the summary spec), so any executor can
ship it.  Each finished run is written at once, atomically, into the results folder, so a
killed sweep loses no finished run; the executor only gets a small record back.  A run
that raises is recorded as failed (error and seed) and the batch goes on.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import math
import os
import signal
import socket
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.experiments.schema import MetricRef
from simulation.finite import require_finite_summary

#: The model entry point, named by import path so workers import it themselves.
#: It returns a ``RunOutput`` (time series and membership record) or, for a custom
#: function, a plain time-series DataFrame (then no membership file is written).
DEFAULT_RUN_FUNCTION = "simulation.runner:run_with_memberships"
#: Parquet compression of per-run time series: the fastest to write (zstd saves ~10% of
#: the size at twice the cost), since writing is per-run overhead.
PARQUET_COMPRESSION = "snappy"
#: Lines of traceback kept in a failed run's record.
TRACEBACK_LINES = 12
RUNS_DIR = "runs"
#: Per-run records (status, seed, timing, summary), apart from the time series so that
#: ``runs/`` holds only Parquet files and reads as one dataset.
RECORDS_DIR = "records"
#: Per-run membership records, a folder of their own so each folder reads as one dataset.
MEMBERSHIPS_DIR = "memberships"
TMP_SUFFIX = ".tmp"

#: Column types of the per-run time series files (fixed, so files compare across runs).
_TEXT = pa.dictionary(pa.int32(), pa.string())
#: The run's coordinates, first in every per-run file (``_run_columns`` fills them).
RUN_FIELDS = [
    ("run_id", _TEXT),
    ("scenario", _TEXT),
    ("point", pa.int32()),
    ("replication", pa.int32()),
    ("seed", pa.int64()),
]
TIMESERIES_SCHEMA = pa.schema([
    *RUN_FIELDS,
    ("step", pa.int64()),
    ("metric", _TEXT),
    ("scope", _TEXT),
    ("value", pa.float64()),
])
#: Column types of the per-run membership records (see ``simulation.record``).
MEMBERSHIPS_SCHEMA = pa.schema([
    *RUN_FIELDS,
    ("step", pa.int64()),
    ("year", pa.int64()),
    ("state", _TEXT),
    ("institution", _TEXT),
    ("change", _TEXT),
])


@dataclass(frozen=True)
class RunTask:
    """One run as shipped to a worker."""

    run_id: str
    scenario: str
    point: int
    replication: int
    seed: int
    overrides: dict[str, Any]


@dataclass(frozen=True)
class Batch:
    """Runs executed one after another by one worker (batching keeps per-run overhead small)."""

    index: int
    out_dir: str
    scenarios: dict[str, dict[str, Any]]
    scenario_dir: str
    runs: tuple[RunTask, ...]
    summary: tuple[MetricRef, ...]
    window: int
    statistic: str
    run_function: str = DEFAULT_RUN_FUNCTION


def resolve_function(path: str) -> Callable[..., pd.DataFrame]:
    """Import ``module:function``."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part.

    The temporary name carries the pid so two writers (e.g. an orphaned worker of a killed
    sweep and a resumed one) never share a temporary file.  ``durable`` also flushes to
    disk before the rename (survives a power cut, not only a killed process).  Per-run files
    skip it: it would double the per-run overhead, and a run file damaged by a power cut is
    detected on ``--resume`` (``ResultsFolder.is_complete``) and simply run again.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def window_statistic(steps: np.ndarray, values: np.ndarray, window: int, statistic: str) -> float:
    """The statistic over the last ``window`` recorded steps after step 0.

    Step 0 (the initial world, before any dynamics) is used only when the run has no
    other step.
    """
    if values.size == 0:
        return math.nan
    order = np.argsort(steps, kind="stable")
    steps, values = steps[order], values[order]
    later = steps > 0
    if later.any():
        steps, values = steps[later], values[later]
    values = values[-window:]
    if statistic == "final":
        return float(values[-1])
    if np.isnan(values).all():
        return math.nan
    reducer = {"mean": np.nanmean, "min": np.nanmin, "max": np.nanmax, "sum": np.nansum}[statistic]
    return float(reducer(values))


def summarise(table: pa.Table, metrics: tuple[MetricRef, ...], window: int, statistic: str) -> dict[str, float | None]:
    """One number per summarised metric (``None`` where the run has no such series).

    ``table`` is the run's Arrow table with dictionary-encoded ``metric`` and ``scope``, so
    selecting a series compares small integer codes instead of strings.
    """
    metric_dict, metric_codes = _codes(table.column("metric"))
    scope_dict, scope_codes = _codes(table.column("scope"))
    step = table.column("step").to_numpy()
    value = table.column("value").to_numpy()
    out: dict[str, float | None] = {}
    for ref in metrics:
        result = math.nan
        if ref.metric in metric_dict and ref.scope in scope_dict:
            mask = (metric_codes == metric_dict[ref.metric]) & (scope_codes == scope_dict[ref.scope])
            if ref.steps is not None:  # the metric's own steps instead of the last `window`
                mask &= (step >= ref.steps[0]) & (step <= ref.steps[1])
            result = window_statistic(step[mask], value[mask], step.size if ref.steps else window, ref.statistic or statistic)
        out[ref.column] = None if math.isnan(result) else result
    return out


def _codes(column: pa.ChunkedArray) -> tuple[dict[str, int], np.ndarray]:
    """A dictionary-encoded column as (value -> code, codes)."""
    combined = column.combine_chunks()
    return {v: i for i, v in enumerate(combined.dictionary.to_pylist())}, combined.indices.to_numpy(zero_copy_only=False)


def _run_columns(run: RunTask, n: int) -> list[pa.Array]:
    """run_id, scenario, point, replication and seed repeated over ``n`` rows."""

    def constant(value: Any, typ: pa.DataType) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([value], typ)) \
            if pa.types.is_string(typ) else pa.array(np.full(n, value), typ)

    return [
        constant(run.run_id, pa.string()),
        constant(run.scenario, pa.string()),
        constant(run.point, pa.int32()),
        constant(run.replication, pa.int32()),
        pa.array(np.full(n, run.seed, dtype=np.int64), pa.int64()),
    ]


def timeseries_table(table: pd.DataFrame, run: RunTask) -> pa.Table:
    """The run's tidy time series as an Arrow table in ``TIMESERIES_SCHEMA``, each row
    carrying run id and seed (strings dictionary-encoded: few distinct values)."""
    arrays = [
        *_run_columns(run, len(table)),
        pa.array(table["step"].to_numpy(dtype=np.int64), pa.int64()),
        pa.array(table["metric"], pa.string()).dictionary_encode(),
        pa.array(table["scope"], pa.string()).dictionary_encode(),
        pa.array(table["value"].to_numpy(dtype=float), pa.float64()),
    ]
    return pa.Table.from_arrays(arrays, schema=TIMESERIES_SCHEMA)


def memberships_table(table: pd.DataFrame, run: RunTask) -> pa.Table:
    """The run's membership record in ``MEMBERSHIPS_SCHEMA`` (year null without a calendar)."""
    arrays = [
        *_run_columns(run, len(table)),
        pa.array(table["step"].to_numpy(dtype=np.int64), pa.int64()),
        pa.array(table["year"], pa.int64(), from_pandas=True),
        *(pa.array(table[c].to_numpy(dtype=object), pa.string()).dictionary_encode() for c in ("state", "institution", "change")),
    ]
    return pa.Table.from_arrays(arrays, schema=MEMBERSHIPS_SCHEMA)


def parquet_bytes(table: pa.Table) -> bytes:
    """Parquet without column statistics (nobody filters one run's file by min/max; they
    cost more than the compression)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=PARQUET_COMPRESSION, write_statistics=False,
                   use_dictionary=[f.name for f in table.schema if pa.types.is_dictionary(f.type)])
    return sink.getvalue().to_pybytes()


def record_bytes(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=1, allow_nan=False) + "\n").encode("utf-8")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def _error_text(exc: BaseException) -> str:
    lines = traceback.format_exception(exc)
    tail = "".join(lines[-TRACEBACK_LINES:]).rstrip()
    return f"{type(exc).__name__}: {exc}\n{tail}"


def execute_run(batch: Batch, run: RunTask, function: Callable[..., pd.DataFrame]) -> dict[str, Any]:
    """Run one simulation and write its files; return its record."""
    from simulation.scenario_io import scenario_from_dict

    out = Path(batch.out_dir) / RUNS_DIR
    members_dir = Path(batch.out_dir) / MEMBERSHIPS_DIR
    records_dir = Path(batch.out_dir) / RECORDS_DIR
    started = _now()
    clock = time.perf_counter()
    record: dict[str, Any] = {
        "run_id": run.run_id, "scenario": run.scenario, "point": run.point,
        "replication": run.replication, "seed": run.seed, "overrides": run.overrides,
    }
    model_s = None
    try:
        scenario = scenario_from_dict(batch.scenarios[run.scenario], f"scenario {run.scenario}",
                                      overrides=run.overrides, base_dir=batch.scenario_dir)
        model_clock = time.perf_counter()
        raw = function(scenario, seed=run.seed)
        model_s = time.perf_counter() - model_clock
        members = None
        if not isinstance(raw, pd.DataFrame):  # a RunOutput: time series and membership record
            raw, members = raw.timeseries, raw.memberships
        series = timeseries_table(raw, run)
        summary = summarise(series, batch.summary, batch.window, batch.statistic)
        require_finite_summary(summary)  # an infinite value fails this run, not its batch
        payload = parquet_bytes(series)
        members_payload = None if members is None else parquet_bytes(memberships_table(members, run))
    except Exception as exc:  # a failing run is data, not a reason to stop the sweep
        record.update(status="failed", error=_error_text(exc), summary=None)
        for stale in (out / f"{run.run_id}.parquet", members_dir / f"{run.run_id}.parquet"):
            if stale.exists():
                stale.unlink()
    else:
        if members_payload is not None:  # before the time series: a run is complete when its record exists
            members_dir.mkdir(exist_ok=True)
            atomic_write(members_dir / f"{run.run_id}.parquet", members_payload, durable=False)
        atomic_write(out / f"{run.run_id}.parquet", payload, durable=False)
        record.update(status="ok", error=None, summary=summary)
    # elapsed_s: everything this run cost the worker except writing its record;
    # model_s: the run function alone (the difference is the experiment layer's overhead)
    record.update(started=started, elapsed_s=round(time.perf_counter() - clock, 6),
                  model_s=None if model_s is None else round(model_s, 6), host=socket.gethostname(), pid=os.getpid())
    records_dir.mkdir(exist_ok=True)
    atomic_write(records_dir / f"{run.run_id}.json", record_bytes(record), durable=False)
    return {k: record[k] for k in ("run_id", "status", "elapsed_s", "error")}


def warm_up(run_function: str) -> None:
    """Import what a batch needs (the run function's module: the model and Mesa), so a worker
    started ahead of the batches (``executors.WorkerPool``) is ready when they come.  An
    import that fails is left for the first batch to report, as it would without this."""
    try:
        import threadpoolctl  # noqa: F401

        import simulation.scenario_io  # noqa: F401

        resolve_function(run_function)
    except Exception:  # noqa: BLE001 - reported by the batch that needs it
        pass


#: Linux's prctl option: the signal a process gets when its parent ends.
PR_SET_PDEATHSIG = 1
#: Set when this worker process was interrupted (Ctrl-C reaches every process of the
#: terminal's group): batches already queued to it are then skipped, not run.
_interrupted = False
#: Set in a pool worker (``pool_worker_init``): Ctrl-C is then felt only while a batch runs.
_sigint_only_in_batches = False


def pool_worker_init(parent: int) -> None:
    """Initializer of the sweep's pool workers.  Ctrl-C is ignored except while a batch
    runs: an idle worker (started ahead of the batches, or between them) interrupted in its
    wait would end with a traceback on the terminal, and the sweep stops its workers itself.
    On Linux a worker also ends when the sweep (``parent``) is killed outright (SIGKILL):
    an idle worker would otherwise wait for batches forever."""
    global _sigint_only_in_batches
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _sigint_only_in_batches = True
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() != parent:  # the sweep died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def run_batch(batch: Batch) -> list[dict[str, Any]]:
    """Execute a batch with BLAS/OpenMP pools limited to one thread (one run per core)."""
    global _interrupted
    from threadpoolctl import threadpool_limits

    if _interrupted:
        return []
    function = resolve_function(batch.run_function)
    idle = signal.signal(signal.SIGINT, signal.default_int_handler) if _sigint_only_in_batches else None
    try:
        with threadpool_limits(limits=1):
            return [execute_run(batch, run, function) for run in batch.runs]
    except KeyboardInterrupt:
        _interrupted = True
        raise
    finally:
        if idle is not None:
            signal.signal(signal.SIGINT, idle)
