"""The results folder of one experiment, and the rules that keep it trustworthy.

Layout (``results/<experiment>/``)::

    manifest.json          provenance, plan, seeds, per-run status and timing
    experiment.yaml        the experiment file as run (its sha256 is in the manifest)
    scenarios/<label>.yaml each scenario resolved (every default written out)
    runs/<run_id>.parquet  a run's time series, written atomically when it finishes
    records/<run_id>.json  its record: status, seed, timing, error, summary values
                           (folders written before records/ existed keep them in runs/;
                           they are still read there)
    memberships/<run_id>.parquet  its membership record (written before its time series)
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
from simulation.experiments.worker import MEMBERSHIPS_DIR, RECORDS_DIR, RUNS_DIR, TMP_SUFFIX, atomic_write

MANIFEST = "manifest.json"
SUMMARY = "summary.csv"
EXPERIMENT_COPY = "experiment.yaml"
SCENARIOS_DIR = "scenarios"
FIGURES_DIR = "figures"
REPORT = "report.md"
AGGREGATES = "aggregates.csv"
LOCK = ".lock"
#: Everything a sweep writes; ``--force`` removes these and nothing else.
OWNED = (MANIFEST, SUMMARY, EXPERIMENT_COPY, SCENARIOS_DIR, RUNS_DIR, RECORDS_DIR, MEMBERSHIPS_DIR, FIGURES_DIR, REPORT, AGGREGATES)
PARQUET_MAGIC = b"PAR1"
#: A Parquet file ends with its footer's length (4 bytes, little-endian) and the magic.
PARQUET_TAIL = 8
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

    @property
    def records_dir(self) -> Path:
        return self.root / RECORDS_DIR

    def record_path(self, run_id: str) -> Path:
        """records/<id>.json; a folder of the older layout (records in runs/) is read where it is."""
        path = self.records_dir / f"{run_id}.json"
        legacy = self.runs_dir / f"{run_id}.json"
        return legacy if not path.exists() and legacy.exists() else path

    def timeseries_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.parquet"

    # checks ----------------------------------------------------------------------------
    def check_writable(self) -> None:
        """Refuse (``UserError``) a results folder that cannot be made or written: a file, a
        path under a file, a read-only place.  Creates nothing, so it can run before the
        inputs are known to be valid."""
        root = Path(os.path.abspath(self.root))
        if root.exists() and not root.is_dir():
            raise UserError("is a file, not a folder; expected a results folder (--out DIR names a folder)", file=str(self.root))
        existing = root
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        if not existing.is_dir():
            raise UserError(f"{existing} is a file, so no folder can be made under it; expected --out to name a folder",
                            file=str(self.root))
        if not os.access(existing, os.W_OK | os.X_OK):
            what = "folder" if existing == root else f"folder {existing}"
            raise UserError(f"the {what} is not writable; expected a results folder this user can write (--out DIR)",
                            file=str(self.root))

    def _make_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create the results folder ({exc.strerror or exc}); expected a writable place (--out DIR)",
                            file=str(self.root)) from None

    # locking ---------------------------------------------------------------------------
    def acquire(self) -> None:
        """Create the lock file exclusively; take over a lock left by a dead process."""
        self._make_root()
        lock = self.root / LOCK
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except (PermissionError, NotADirectoryError) as exc:
                raise LockError(f"cannot create the lock file {lock} ({exc.strerror or exc}); expected a writable folder",
                                file=str(self.root)) from None
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
        for folder in (self.root, self.runs_dir, self.records_dir, self.root / MEMBERSHIPS_DIR):
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
        Parquet file (a file cut short by a power failure, or otherwise damaged, is not)."""
        record = self.read_record(run_id)
        if not (record and record.get("status") == "ok"):
            return False
        return parquet_looks_whole(self.timeseries_path(run_id))

    def damaged_run(self, run_id: str, exc: BaseException, manifest: dict[str, Any] | None = None) -> UserError:
        """The message for a run's time series that cannot be read: name the file and say
        how to get it back (``--resume`` runs again every run whose file is not whole)."""
        path = self.timeseries_path(run_id)
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        experiment = "EXPERIMENT"
        if manifest is not None:
            experiment = os.path.normpath(os.path.join(str(self.root), manifest["experiment"]["file"]))
        command = f"alliance-sim sweep {experiment} --resume --out {self.root}"
        if self.is_complete(run_id):  # whole on the outside, damaged inside: make resume see it
            how = f"delete {self.record_path(run_id)} and run '{command}' to run it again"
        else:
            how = f"'{command}' runs it again"
        return UserError(f"the run's time series cannot be read ({type(exc).__name__}: {first}); expected a whole Parquet "
                         f"file as the sweep writes it; {how}", file=str(path))

    def read_manifest(self) -> dict[str, Any]:
        """The manifest, checked to have the form a sweep writes (``UserError`` otherwise)."""
        if not self.root.exists():
            raise UserError("no such folder; expected a results folder written by 'alliance-sim sweep' (with its manifest.json)", file=str(self.root))
        if not self.root.is_dir():
            raise UserError("is a file, not a folder; expected a results folder written by 'alliance-sim sweep' (with its manifest.json)", file=str(self.root))
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError("no manifest.json here; expected a results folder written by 'alliance-sim sweep'", file=str(self.root)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot be read ({exc}); expected the manifest 'alliance-sim sweep' writes", file=str(self.manifest_path)) from None
        try:
            manifest = json.loads(text)
        except ValueError as exc:
            raise UserError(f"not valid JSON ({exc}); expected the manifest 'alliance-sim sweep' writes", file=str(self.manifest_path)) from None
        check_manifest(manifest, self.manifest_path)
        return manifest

    def read_experiment(self, manifest: dict[str, Any]) -> Any:
        """The experiment settings stored in the manifest, validated (``UserError`` naming the key)."""
        from pydantic import ValidationError

        from simulation.experiments.schema import STORED, Experiment
        from simulation.experiments.yamllines import validation_error

        settings = manifest["experiment"]["settings"]
        try:
            return Experiment.model_validate(settings, context=STORED)
        except ValidationError as exc:
            err = validation_error(exc, str(self.manifest_path), {}, settings)
            raise UserError(f"{err.detail}; the manifest's experiment settings are not those of a valid experiment",
                            file=str(self.manifest_path), path=f"experiment.settings.{err.path}") from None

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


def parquet_looks_whole(path: Path) -> bool:
    """True when ``path`` starts and ends with the Parquet magic bytes and its footer fits
    in the file: cheap enough for every run on ``--resume``, and false for a file cut short."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < len(PARQUET_MAGIC) + PARQUET_TAIL:
                return False
            head = fh.read(len(PARQUET_MAGIC))
            fh.seek(-PARQUET_TAIL, os.SEEK_END)
            tail = fh.read(PARQUET_TAIL)
    except OSError:
        return False
    footer = int.from_bytes(tail[:4], "little")
    return head == PARQUET_MAGIC and tail[4:] == PARQUET_MAGIC and footer + PARQUET_TAIL + len(PARQUET_MAGIC) <= size


#: The keys of a manifest that reading results relies on, with their JSON types.
_MANIFEST_KEYS: dict[str, Any] = {
    "experiment": {"file": str, "sha256": str, "settings": dict},
    "scenarios": dict,
    "design": {"type": str, "columns": list, "points": list},
    "seeds": {"root": int},
    "runs": list,
}
_SCENARIO_KEYS = {"file": str, "resolved": str}
_RUN_KEYS = {"run_id": str, "scenario": str, "point": int, "replication": int, "seed": int, "status": str, "design": dict}
_SAMPLED_KEYS = {"sobol": {"problem": dict, "seed": int, "second_order": bool}, "morris": {"problem": dict, "seed": int, "levels": int}}
_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "text", int: "a whole number", bool: "true or false"}


def check_manifest(manifest: Any, path: Path) -> None:
    """Refuse a manifest that is valid JSON but not in the form a sweep writes (edited, or
    another file), naming the first key that is missing or of the wrong type."""

    def fail(where: str, message: str) -> None:
        raise UserError(f"{message}; expected the manifest 'alliance-sim sweep' writes", file=str(path), path=where or None)

    def check(value: Any, shape: Any, where: str) -> None:
        if isinstance(shape, dict):
            if not isinstance(value, dict):
                fail(where, f"expected a mapping, got {type(value).__name__}")
            for key, inner in shape.items():
                here = f"{where}.{key}" if where else key
                if key not in value:
                    fail(here, "missing key")
                check(value[key], inner, here)
        elif not isinstance(value, shape) or (shape is int and isinstance(value, bool)):
            fail(where, f"expected {_TYPE_NAMES[shape]}, got {type(value).__name__}")

    check(manifest, _MANIFEST_KEYS, "")
    for label, entry in manifest["scenarios"].items():
        check(entry, _SCENARIO_KEYS, f"scenarios.{label}")
    check(manifest["design"], _SAMPLED_KEYS.get(manifest["design"]["type"], {}), "design")
    for index, run in enumerate(manifest["runs"]):
        check(run, _RUN_KEYS, f"runs.{index}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
