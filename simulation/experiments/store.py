"""The results folder of one experiment, and the rules that keep it trustworthy.

Layout (``results/<experiment>/``)::

    manifest.json          provenance, plan, seeds, per-run status and timing
    experiment.yaml        the experiment file as run (its sha256 is in the manifest)
    scenarios/<label>.yaml each scenario resolved (every default written out)
    runs/<run_id>.parquet  a run's time series, written atomically when it finishes
    runs/<run_id>.json     its record: status, seed, timing, error, summary values
    summary.csv            one row per run (rebuilt from the records)
    figures/, report.md    written by ``report``

A run is complete when its record exists (it is written after the Parquet file).  A lock
file created with ``O_EXCL`` keeps two sweeps out of one folder; a lock whose process is
gone is taken over.  Nothing here deletes results unless the caller passed ``force``.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from simulation.errors import UserError
from simulation.experiments.worker import RUNS_DIR, TMP_SUFFIX, atomic_write

MANIFEST = "manifest.json"
SUMMARY = "summary.csv"
EXPERIMENT_COPY = "experiment.yaml"
SCENARIOS_DIR = "scenarios"
FIGURES_DIR = "figures"
REPORT = "report.md"
LOCK = ".lock"
#: Everything a sweep writes; ``--force`` removes these and nothing else.
OWNED = (MANIFEST, SUMMARY, EXPERIMENT_COPY, SCENARIOS_DIR, RUNS_DIR, FIGURES_DIR, REPORT)
PARQUET_MAGIC = b"PAR1"
#: Fixed columns of summary.csv, before the design parameters and metrics.
SUMMARY_ID_COLUMNS = ("run_id", "scenario", "point", "replication", "seed", "status")


class LockError(UserError):
    """Another sweep holds the results folder."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class ResultsFolder:
    """Paths and safe operations on one results folder."""

    root: Path

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self._locked = False

    # paths -----------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    @property
    def runs_dir(self) -> Path:
        return self.root / RUNS_DIR

    @property
    def scenarios_dir(self) -> Path:
        return self.root / SCENARIOS_DIR

    @property
    def figures_dir(self) -> Path:
        return self.root / FIGURES_DIR

    @property
    def summary_path(self) -> Path:
        return self.root / SUMMARY

    def record_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def timeseries_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.parquet"

    # locking ---------------------------------------------------------------------------
    def acquire(self) -> None:
        """Create the lock file exclusively; take over a lock left by a dead process."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = self.root / LOCK
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._lock_holder(lock)
                if holder is None or (holder.get("host") == me["host"] and not _pid_alive(int(holder.get("pid", -1)))):
                    lock.unlink(missing_ok=True)  # stale: its process is gone
                    continue
                raise LockError(
                    f"another sweep (pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('since')}) is writing "
                    f"this folder; expected it to be free (if that sweep is gone, delete {lock})",
                    file=str(self.root),
                ) from None
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            self._locked = True
            return
        raise LockError(f"could not take the lock {lock}; expected a writable folder", file=str(self.root))

    @staticmethod
    def _lock_holder(lock: Path) -> dict[str, Any] | None:
        try:
            return json.loads(lock.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            # being written right now, or damaged; treat a damaged old lock as stale
            age = time.time() - lock.stat().st_mtime if lock.exists() else 0.0
            return None if age > 60 else {"pid": "?", "host": "?", "since": "just now"}

    def release(self) -> None:
        if self._locked:
            (self.root / LOCK).unlink(missing_ok=True)
            self._locked = False

    def __enter__(self) -> "ResultsFolder":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # state -----------------------------------------------------------------------------
    def has_results(self) -> bool:
        return self.root.is_dir() and any((self.root / name).exists() for name in OWNED)

    def clear(self) -> None:
        """Remove what a sweep wrote (``--force``); other files in the folder are kept."""
        import shutil

        for name in OWNED:
            target = self.root / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()

    def remove_stale_temporaries(self) -> None:
        """Delete temporary files of writers that are gone (a killed sweep's half-writes)."""
        for folder in (self.root, self.runs_dir):
            if not folder.is_dir():
                continue
            for tmp in folder.glob(f".*{TMP_SUFFIX}"):
                pid_text = tmp.name[: -len(TMP_SUFFIX)].rsplit(".", 1)[-1]
                if not (pid_text.isdigit() and _pid_alive(int(pid_text))):
                    tmp.unlink(missing_ok=True)

    def read_record(self, run_id: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.record_path(run_id).read_text())
        except FileNotFoundError:
            return None
        except ValueError:
            return None  # cannot happen with atomic writes; treat as not done

    def is_complete(self, run_id: str) -> bool:
        """A run counts as done when its record says ok and its time series is a whole
        Parquet file (ends with the format's magic bytes; a file cut short by a power
        failure does not)."""
        record = self.read_record(run_id)
        if not (record and record.get("status") == "ok"):
            return False
        try:
            with open(self.timeseries_path(run_id), "rb") as fh:
                fh.seek(-len(PARQUET_MAGIC), os.SEEK_END)
                return fh.read() == PARQUET_MAGIC
        except OSError:
            return False

    def read_manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            raise UserError("no manifest.json here; expected a results folder written by 'alliance-sim sweep'", file=str(self.root)) from None
        except ValueError as exc:
            raise UserError(f"manifest.json is not valid JSON ({exc}); expected the file written by 'alliance-sim sweep'", file=str(self.manifest_path)) from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write(self.manifest_path, (json.dumps(manifest, indent=1, allow_nan=False) + "\n").encode("utf-8"))

    def write_text(self, relative: str | Path, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode("utf-8"))

    # summary ---------------------------------------------------------------------------
    def write_summary(self, runs: Iterable[dict[str, Any]], design_columns: list[str], metric_columns: list[str]) -> None:
        """Write summary.csv, one row per run in plan order, streaming from the run records.

        ``runs`` yields dicts with the id columns and ``design`` (values by parameter).  Floats
        are written in their shortest exact form, so the file is byte-identical whenever the
        numbers are.
        """
        tmp = self.summary_path.with_name(f".{SUMMARY}.{os.getpid()}{TMP_SUFFIX}")
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            self._write_rows(fh, runs, design_columns, metric_columns)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.summary_path)

    def _write_rows(self, fh: Any, runs: Iterable[dict[str, Any]], design_columns: list[str], metric_columns: list[str]) -> None:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([*SUMMARY_ID_COLUMNS, *design_columns, *metric_columns])
        for run in runs:
            record = self.read_record(run["run_id"])
            status = record["status"] if record else "missing"
            values = (record or {}).get("summary") or {}
            writer.writerow([
                run["run_id"], run["scenario"], run["point"], run["replication"], run["seed"], status,
                *(_cell(run["design"].get(c)) for c in design_columns),
                *(_cell(values.get(c)) for c in metric_columns),
            ])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
