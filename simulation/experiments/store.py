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
gone is taken over.  Nothing here deletes results unless the caller passed ``force``, and
then only the files the manifest names (``owned_files``): a folder counts as a results
folder only if its manifest says so, a folder holding anything else is never written into
or cleared, and nothing is deleted through a symbolic link.  Everything read back (the
manifest, run records) is read within size limits, and run ids must have the form the tool
generates, so a crafted manifest cannot name paths outside the folder.
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import stat
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
#: Files a sweep or report writes at the top of a results folder.
SCORES = "scores.csv"
BURNIN = "burnin.csv"
TARGETS = "targets.csv"
CONTRASTS = "contrasts.csv"  # the factorial contrasts (contrasts.py)
HORIZON = "horizon.csv"  # the two windows compared (horizon.py)
OWNED_FILES = (MANIFEST, SUMMARY, EXPERIMENT_COPY, REPORT, AGGREGATES, SCORES, BURNIN, TARGETS, CONTRASTS, HORIZON)
#: Folders that ``alliance-sim discover`` and ``export`` write from a folder's results: the tool's,
#: so not foreign, but not a sweep's either, so ``--force`` keeps them.
DERIVED_DIRS = ("discover", "export")
#: Folders they write; each holds only files whose names the manifest determines.
OWNED_DIRS = (SCENARIOS_DIR, RUNS_DIR, RECORDS_DIR, FIGURES_DIR, MEMBERSHIPS_DIR)
OWNED = (*OWNED_FILES, *OWNED_DIRS)
#: Figure files ``report`` draws (``figures/<stem>.png`` and ``.svg``).
FIGURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.(png|svg|pdf)$")
#: Scenario labels (as ``schema.NAME_PATTERN``) and the run ids ``plan.run_id`` makes from them.
LABEL = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
LABEL_PATTERN = re.compile(rf"^{LABEL}$")
RUN_ID_PATTERN = re.compile(rf"^{LABEL}-p[0-9]{{4,}}-r[0-9]{{3,}}$")
#: Size limits of what is read back from a results folder (docs/limits.md).
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024
#: Largest table read back from a results folder (summary.csv, aggregates.csv, burn-in.csv):
#: one row per run (at most ``plan.MAX_RUNS``) or per scenario, metric and step.
MAX_TABLE_BYTES = 256 * 1024 * 1024
#: Largest per-run time series (``runs/<id>.parquet``) read back.
MAX_SERIES_BYTES = 256 * 1024 * 1024
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
            holder = read_json_bounded(lock, MAX_RECORD_BYTES)
            return holder if isinstance(holder, dict) else {}
        except FileNotFoundError:
            return None
        except (OSError, UserError):
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
        """Whether the folder holds a sweep's results: its manifest says so."""
        return os.path.lexists(self.manifest_path)

    def foreign_entries(self, manifest: dict[str, Any] | None) -> list[str]:
        """Entries of the folder this tool did not write (relative paths): anything but the
        files ``manifest`` names (``owned_files``), lock and temporary files, and the folders
        holding them.  Without a manifest only locks, temporaries and empty owned folders
        are the tool's.  Symbolic links are never the tool's."""
        owned = self.owned_files(manifest) if manifest is not None else set()
        foreign: list[str] = []
        for entry in sorted(os.listdir(self.root)) if self.root.is_dir() else ():
            path = self.root / entry
            if _is_temporary(entry) or entry == LOCK:
                if not path.is_symlink():
                    continue
            if entry in DERIVED_DIRS and path.is_dir() and not path.is_symlink():
                continue
            if entry in OWNED_DIRS and path.is_dir() and not path.is_symlink():
                for inner in sorted(os.listdir(path)):
                    rel = f"{entry}/{inner}"
                    inner_path = path / inner
                    if _is_temporary(inner) and not inner_path.is_symlink():
                        continue
                    ours = rel in owned or (entry == FIGURES_DIR and manifest is not None and FIGURE_NAME.match(inner))
                    if not ours or not _is_regular(inner_path):
                        foreign.append(rel)
                continue
            if entry not in owned or not _is_regular(path):
                foreign.append(entry)
        return foreign

    @staticmethod
    def owned_files(manifest: dict[str, Any]) -> set[str]:
        """The relative paths of every file a sweep of ``manifest`` writes (figures apart)."""
        out = set(OWNED_FILES)
        for label in manifest.get("scenarios", {}):
            out.add(f"{SCENARIOS_DIR}/{label}.yaml")
        for run in manifest.get("runs", []):
            run_id = run["run_id"]
            out.update({f"{RUNS_DIR}/{run_id}.json", f"{RECORDS_DIR}/{run_id}.json", f"{RUNS_DIR}/{run_id}.parquet",
                        f"{MEMBERSHIPS_DIR}/{run_id}.parquet"})
        return out

    def check_foreign(self, manifest: dict[str, Any] | None) -> None:
        """Refuse (``UserError``) a folder holding anything this tool did not write."""
        foreign = self.foreign_entries(manifest)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            what = "results of this tool" if manifest is not None else "results of a sweep (it has no manifest.json)"
            raise UserError(f"holds files that are not {what}: {shown}; a sweep writes only into a new or empty folder or one "
                            "holding nothing but its results, and never deletes anything else, even with --force; "
                            "expected another folder (--out DIR)", file=str(self.root))

    def planned_removal(self, manifest: dict[str, Any]) -> list[Path]:
        """What ``--force`` will delete: the manifest's files and figures that exist, as
        regular files (never symbolic links); call ``check_foreign`` first."""
        owned = self.owned_files(manifest)
        out = []
        for rel in sorted(owned):
            path = self.root / rel
            if _is_regular(path):
                out.append(path)
        figures = self.figures_dir
        if figures.is_dir() and not figures.is_symlink():
            out += [figures / n for n in sorted(os.listdir(figures)) if FIGURE_NAME.match(n) and _is_regular(figures / n)]
        return out

    def clear(self, files: list[Path]) -> None:
        """Remove ``files`` (from ``planned_removal``), then the owned folders left empty;
        other files in the folder are never touched, and no folder is removed whole."""
        for path in files:
            if _is_regular(path):  # checked again: never through a link
                path.unlink()
        self.remove_stale_temporaries()
        for name in OWNED_DIRS:
            folder = self.root / name
            if folder.is_dir() and not folder.is_symlink() and not os.listdir(folder):
                folder.rmdir()

    def remove_stale_temporaries(self, *, mine: bool = False) -> None:
        """Delete temporary files of writers that are gone (a killed sweep's half-writes);
        ``mine``: also this process's own (after a failed write, e.g. a full disk)."""
        for folder in (self.root, *(self.root / name for name in OWNED_DIRS)):
            if not folder.is_dir() or folder.is_symlink():
                continue
            for tmp in folder.glob(f".*{TMP_SUFFIX}"):
                pid_text = tmp.name[: -len(TMP_SUFFIX)].rsplit(".", 1)[-1]
                pid = int(pid_text) if pid_text.isdigit() else -1
                if (mine and pid == os.getpid()) or not (pid > 0 and _pid_alive(pid)):
                    tmp.unlink(missing_ok=True)  # unlinks a link itself, never its target

    def read_record(self, run_id: str, *, strict: bool = False) -> dict[str, Any] | None:
        """A run's record, or ``None`` when it is missing or unreadable (then the run counts
        as not done and ``--resume`` runs it again): read within ``MAX_RECORD_BYTES``, from a
        regular file only.  ``strict`` (for ``reproduce``, which only reads): a record that
        exists but cannot be read is a ``UserError`` naming it."""
        path = self.record_path(run_id)
        try:
            data = read_json_bounded(path, MAX_RECORD_BYTES)
        except FileNotFoundError:
            return None
        except UserError as exc:
            if strict:
                raise UserError(f"{exc.detail} (the run record the sweep writes)", file=str(path), line=exc.line) from None
            return None
        if isinstance(data, dict):
            return data
        if strict:
            raise UserError("expected the run record the sweep writes (a JSON object)", file=str(path))
        return None

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
            manifest = read_json_bounded(self.manifest_path, MAX_MANIFEST_BYTES)
        except FileNotFoundError:
            raise UserError("no manifest.json here; expected a results folder written by 'alliance-sim sweep'", file=str(self.root)) from None
        except UserError as exc:
            raise UserError(f"{exc.detail}; expected the manifest 'alliance-sim sweep' writes", file=str(self.manifest_path)) from None
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


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(TMP_SUFFIX)


def _is_regular(path: Path) -> bool:
    """A regular file, not a symbolic link (``lstat``: links are never followed)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_json_bounded(path: Path, limit: int) -> Any:
    """JSON from the regular file ``path`` within ``limit`` bytes; ``UserError`` for a file
    too large, not regular, unreadable, not JSON or nested too deep.  ``FileNotFoundError``
    passes through (callers decide what a missing file means)."""
    from simulation.scenario_io import read_bounded

    if not os.path.lexists(path):
        raise FileNotFoundError(path)
    raw = read_bounded(path, str(path), limit, "a JSON")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError("cannot be read as UTF-8 text", file=str(path)) from None
    except RecursionError:
        raise UserError("nested too deeply to be read", file=str(path)) from None
    except ValueError as exc:
        raise UserError(f"not valid JSON ({exc})", file=str(path)) from None


def read_text_bounded(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of the regular file ``path`` within ``limit`` bytes; ``UserError`` for
    a file too large, not regular (a FIFO would hang the reader), unreadable or not UTF-8
    (naming the line).  ``FileNotFoundError`` passes through."""
    from simulation.scenario_io import read_bounded

    if not os.path.lexists(path):
        raise FileNotFoundError(path)
    raw = read_bounded(path, str(path), limit, what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"cannot be read as UTF-8 text; expected {what} file as the tool writes it",
                        file=str(path), line=raw.count(b"\n", 0, exc.start) + 1) from None


def read_parquet_bounded(path: Path, columns: list[str] | None = None) -> Any:
    """A per-run time series as a ``pyarrow.Table``, read within ``MAX_SERIES_BYTES`` from a
    regular file (``UserError`` otherwise, before Arrow opens it); Arrow's own errors for a
    damaged file pass through, for the caller's message."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulation.scenario_io import read_bounded

    raw = read_bounded(path, str(path), MAX_SERIES_BYTES, "a Parquet time-series")
    return pq.read_table(pa.BufferReader(raw), columns=columns)


def read_resolved_scenario(path: Path) -> dict[str, Any]:
    """A resolved scenario the sweep wrote (``scenarios/<label>.yaml``), read as any scenario
    file is: size, regular file, depth and alias limits (docs/limits.md)."""
    from simulation.scenario_io import ScenarioSource, read_yaml_mapping

    return read_yaml_mapping(path, ScenarioSource(file=str(path)))


def parquet_looks_whole(path: Path) -> bool:
    """True when ``path`` starts and ends with the Parquet magic bytes and its footer fits
    in the file: cheap enough for every run on ``--resume``, and false for a file cut short
    (or not a regular file: opening a FIFO would wait for a writer)."""
    if not _is_regular(path):
        return False
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
        if not LABEL_PATTERN.match(label) or entry["resolved"] != f"{SCENARIOS_DIR}/{label}.yaml":
            damaged(path, f"scenarios.{label}", f"the scenario label {label[:80]!r} or its file {entry['resolved'][:80]!r} is not "
                    f"one this tool writes (expected a label of letters, digits, '_', '.', '-' and {SCENARIOS_DIR}/<label>.yaml)")
    check(manifest["design"], _SAMPLED_KEYS.get(manifest["design"]["type"], {}), "design")
    for index, run in enumerate(manifest["runs"]):
        check(run, _RUN_KEYS, f"runs.{index}")
        if not RUN_ID_PATTERN.match(run["run_id"]) or not run["run_id"].startswith(run["scenario"] + "-") \
                or run["scenario"] not in manifest["scenarios"]:
            damaged(path, f"runs.{index}.run_id", f"the run id {run['run_id'][:80]!r} is not one this tool generates "
                    "(expected <scenario label>-p<point>-r<replication>, e.g. control-p0000-r000, of a listed scenario)")


def damaged(path: Path, where: str, message: str) -> None:
    """Refuse a manifest whose contents could not have been written by a sweep: paths
    derived from it would not be safe to use."""
    raise UserError(f"{message}; the results folder is damaged (restore it, or run the sweep again into a new folder)",
                    file=str(path), path=where)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
