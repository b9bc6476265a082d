"""``alliance-sim sweep``: plan an experiment, execute the missing runs, store everything.

The order is chosen so that nothing is touched before the inputs are known to be valid,
and nothing stored is lost if the sweep stops at any point: (1) read and validate the
experiment and its scenarios (local worker processes start meanwhile, so their imports
overlap this; they are stopped if the sweep ends here), (2) take the folder's lock, (3) write the manifest with every
run pending, (4) execute; workers write each run as it finishes, (5) write the summary and
the final manifest, (6) draw figures and the report.
"""

from __future__ import annotations

import datetime as _dt
import errno
import importlib.metadata
import os
import platform
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from simulation.errors import Interrupted, UserError, sigterm_as_interrupt
from simulation.experiments.design import salib_problem
from simulation.experiments.executors import (MAX_WORKERS_PER_CORE, ExecutorSpec, SchedulerLost, WorkerPool, check_scheduler,
                                              default_workers, execute, max_workers, runs_per_batch)
from simulation.experiments.plan import Plan, Run, build_plan
from simulation.experiments.progress import Progress
from simulation.experiments.schema import ExperimentFile, load_experiment
from simulation.experiments.seeds import SCHEMES
from simulation.experiments.store import EXPERIMENT_COPY, SCENARIOS_DIR, ResultsFolder
from simulation.experiments.worker import DEFAULT_RUN_FUNCTION, Batch, RunTask, atomic_write, record_bytes

#: Version of the results-folder layout, stored in the manifest.
FORMAT_VERSION = 1
#: Packages whose versions are recorded in the manifest (they can change the numbers).
RECORDED_PACKAGES = ("alliance-sim", "mesa", "numpy", "pandas", "pyarrow", "pydantic", "PyYAML", "scipy",
                     "SALib", "dask", "distributed", "matplotlib", "threadpoolctl")
#: Seconds allowed for the git queries that record the commit.
GIT_TIMEOUT_S = 5
DEFAULT_RESULTS_ROOT = Path("results")
EXIT_OK, EXIT_FAILED_RUNS, EXIT_INTERRUPTED = 0, 1, 130


@dataclass
class SweepResult:
    """What happened: counts, and where the results are."""

    folder: Path
    total: int
    ok: int = 0
    failed: int = 0
    executed: int = 0
    interrupted: bool = False
    signal: int = signal.SIGINT
    failures: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 128 + int(self.signal)
        return EXIT_FAILED_RUNS if self.failed else EXIT_OK


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# Paths (from the repository root) whose edits make a checkout "dirty" for provenance.
CODE_PATHS = (":/simulation", ":/scenarios", ":/experiments", ":/pyproject.toml")


def git_commit() -> dict[str, Any] | None:
    """The commit of the code that ran (and whether it had local changes), if in a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
        if head.returncode != 0:
            return None
        # Only what can change the numbers counts as a local change (not results/ or docs/).
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS], cwd=here,
                                capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def environment() -> dict[str, Any]:
    versions = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "platform": platform.platform(), "packages": versions, "git": git_commit()}


def design_manifest(plan: Plan) -> dict[str, Any]:
    design = plan.source.experiment.design
    out: dict[str, Any] = {
        "type": design.type,
        "parameters": {k: v.model_dump(mode="json") for k, v in design.parameters.items()},
        "seed": plan.design_seed,
        "columns": list(plan.points.columns),
        "points": [list(row) for row in plan.points.rows],
    }
    if design.type in ("sobol", "morris", "lhs"):
        out["problem"] = salib_problem(design)
    if design.type == "sobol":
        out["second_order"] = design.second_order
    if design.type == "morris":
        out["levels"] = design.levels
    return out


def run_entry(plan: Plan, run: Run) -> dict[str, Any]:
    return {"run_id": run.run_id, "scenario": run.scenario, "point": run.point, "replication": run.replication,
            "seed": run.seed, "design": plan.points.values(run.point)}


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to the results folder, so a committed folder stays valid in any clone."""
    try:
        return os.path.relpath(os.path.abspath(path), os.path.abspath(start))
    except ValueError:  # another drive (Windows)
        return str(path)


def plan_manifest(plan: Plan, folder: ResultsFolder) -> dict[str, Any]:
    """The parts of the manifest fixed by the inputs (compared on ``--resume``)."""
    import hashlib

    src = plan.source
    return {
        "format": FORMAT_VERSION,
        "experiment": {"file": _relative(src.path, folder.root), "sha256": src.sha256, "copy": EXPERIMENT_COPY,
                       "settings": src.experiment.model_dump(mode="json")},
        "scenarios": {label: {"file": _relative(src.scenario_path(i), folder.root),
                              "overrides": dict(src.experiment.scenarios[i].overrides),
                              "resolved": f"{SCENARIOS_DIR}/{label}.yaml",
                              "sha256": hashlib.sha256(text.encode()).hexdigest()}
                      for i, (label, text) in enumerate(plan.scenario_texts.items())},
        "design": design_manifest(plan),
        "seeds": {"root": src.experiment.seed, "replications": list(plan.seeds),
                  "scheme": SCHEMES[src.experiment.design.seed_per]},
    }


def _check_resumable(old: dict[str, Any], new: dict[str, Any], folder: ResultsFolder) -> None:
    for key, what in (("experiment", "the experiment file"), ("scenarios", "a scenario file"), ("design", "the design"), ("seeds", "the seeds")):
        old_part, new_part = old.get(key), new.get(key)
        if key == "experiment":
            old_part, new_part = (old_part or {}).get("sha256"), new_part["sha256"]
        if key == "scenarios":
            old_part = {k: v.get("sha256") for k, v in (old_part or {}).items()}
            new_part = {k: v["sha256"] for k, v in new_part.items()}
        if old_part != new_part:
            raise UserError(f"{what} changed since these results were started, so resuming would mix two experiments; "
                            "expected the same inputs (use --force to start again, or --out for a new folder)", file=str(folder.root))


def _batches(plan: Plan, runs: list[Run], folder: ResultsFolder, size: int, run_function: str) -> Iterator[Batch]:
    exp = plan.source.experiment
    data = plan.scenario_data()
    for index, start in enumerate(range(0, len(runs), size)):
        chunk = runs[start:start + size]
        labels = sorted({r.scenario for r in chunk})
        yield Batch(
            index=index, out_dir=str(folder.root), scenarios={k: data[k] for k in labels},
            scenario_dir=str(folder.scenarios_dir),
            runs=tuple(RunTask(r.run_id, r.scenario, r.point, r.replication, r.seed, plan.points.values(r.point)) for r in chunk),
            summary=tuple(exp.summary.metrics), window=exp.summary.window, statistic=exp.summary.statistic,
            run_function=run_function,
        )


def _final_runs(plan: Plan, folder: ResultsFolder, result: SweepResult) -> list[dict[str, Any]]:
    entries = []
    result.ok = result.failed = 0
    result.failures = []
    for run in plan.runs:
        record = folder.read_record(run.run_id) or {}
        status = record.get("status", "pending")
        if status == "ok" and not folder.timeseries_path(run.run_id).exists():
            status = "pending"
        result.ok += status == "ok"
        if status == "failed":
            result.failed += 1
            result.failures.append(run.run_id)
        entries.append({**run_entry(plan, run), "status": status, "elapsed_s": record.get("elapsed_s"), "model_s": record.get("model_s"),
                        "started": record.get("started"), "error": record.get("error") if status == "failed" else None})
    return entries


def resolve_executor(executor: str | None, workers: int | None, scheduler: str | None, scheduler_file: str | None,
                     warn: Callable[[str], None] | None = None) -> ExecutorSpec:
    """The executor the options ask for.  ``--workers`` above the cores this process may use
    is a warning (``warn``), above ``MAX_WORKERS_PER_CORE`` times them an error: each worker
    is a whole interpreter with its own memory, and workers beyond the cores only queue."""
    if workers is not None and workers < 1:
        raise UserError(f"--workers: expected a whole number >= 1 (got {workers})")
    kind = executor or ("dask" if scheduler or scheduler_file else "processes")
    if (scheduler or scheduler_file) and kind != "dask":
        raise UserError(f"--scheduler/--scheduler-file: expected --executor dask (got --executor {kind})")
    if kind == "serial":
        workers = 1
    cores = default_workers()
    if workers is not None and not (scheduler or scheduler_file):
        cap = max_workers(cores)
        if workers > cap:
            raise UserError(f"--workers {workers}: expected at most {cap} ({MAX_WORKERS_PER_CORE} per core; this machine lets "
                            f"this process use {cores} core{'s' if cores != 1 else ''}; see docs/limits.md)")
        if workers > cores and warn is not None:
            warn(f"--workers {workers} is more than the {cores} core{'s' if cores != 1 else ''} this process may use; "
                 "the extra workers only share them (and each takes its own memory)")
    return ExecutorSpec(kind, workers or cores, scheduler, scheduler_file)


def largest_world(plan: Plan) -> int:
    """The most states any run of the plan holds: listed, generated (the design may set
    ``world.generate.count``) and those entering later (their slots exist from the start)."""
    counts = [float(v) for row in plan.points.rows for c, v in zip(plan.points.columns, row)
              if c == "world.generate.count" and isinstance(v, (int, float))]
    largest = 0
    for data in plan.scenario_data().values():
        world = data.get("world") or {}
        states = world.get("states") or []
        named = {st.get("name") for st in states if isinstance(st, dict)}
        entering = {e.get("state") for e in data.get("events") or [] if isinstance(e, dict) and e.get("kind") == "enter"} - named
        generated = max([int((world.get("generate") or {}).get("count") or 0), *(int(c) for c in counts)])
        largest = max(largest, generated + len(states) + len(entering))
    return largest


def check_memory(spec: ExecutorSpec, plan: Plan, *, explicit: bool, warn: Callable[[str], None]) -> ExecutorSpec:
    """Workers times the memory of the world each holds must fit in the memory available
    (docs/limits.md): each local worker process runs one world at a time.  ``--workers``
    given explicitly and too many is an error naming how many fit; the default (one per
    core) is lowered to what fits, with a warning.  A remote dask cluster is not checked
    (its memory is not this machine's)."""
    from simulation import scenario_io

    if spec.kind == "serial" or spec.workers <= 1 or spec.scheduler or spec.scheduler_file:
        return spec
    available = scenario_io.available_memory_bytes()
    if available is None:
        return spec
    n = largest_world(plan)
    each = scenario_io.world_memory_bytes(n)
    fit = int(available // each)
    if spec.workers <= fit:
        return spec
    need = f"{spec.workers} workers each holding a world of {n:,} states need about {spec.workers * each / 1e9:.1f} GB of memory " \
           f"({each / 1e9:.2f} GB each) and this machine has about {available / 1e9:.1f} GB available"
    if explicit or fit < 1:
        how = f"use --workers {fit} (or fewer)" if fit >= 1 else "free memory or use a smaller world"
        raise UserError(f"--workers {spec.workers}: {need}; expected at most {fit} worker(s) for this experiment "
                        f"({how}; see docs/limits.md)")
    warn(f"{need}: using {fit} worker(s) instead of {spec.workers}")
    return ExecutorSpec(spec.kind, fit, spec.scheduler, spec.scheduler_file)


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def sweep(
    experiment: str | Path,
    *,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    resume: bool = False,
    force: bool = False,
    out: str | Path | None = None,
    run_function: str = DEFAULT_RUN_FUNCTION,
    progress: Progress | None = None,
    report: bool = True,
    say: Callable[[str], None] = _say,
) -> SweepResult:
    """Run an experiment into its results folder; see the module docstring for the order.

    Nothing is created before the inputs, the size limits and the scheduler connection are
    checked.  The manifest is the first file written into the folder, so a sweep killed at
    any later moment leaves a folder that ``--resume`` accepts.
    """
    if resume and force:
        raise UserError("--resume and --force: expected at most one of them")
    spec = resolve_executor(executor, workers, scheduler, scheduler_file, warn=lambda text: say(f"warning: {text}"))
    source = load_experiment(experiment)
    folder = ResultsFolder(Path(out) if out is not None else DEFAULT_RESULTS_ROOT / source.experiment.name)
    folder.check_writable()
    # Local workers start now: each imports the model (about a second) while this process
    # plans and checks the experiment.  Stopped at once if the sweep ends before running.
    pool = WorkerPool(spec.workers, run_function) if spec.kind == "processes" else None
    try:
        return _sweep(experiment, source, folder, spec, pool, explicit_workers=workers is not None, resume=resume,
                      force=force, out=out, run_function=run_function, progress=progress, report=report, say=say)
    finally:
        if pool is not None:
            pool.close()


def _sweep(experiment: str | Path, source: ExperimentFile, folder: ResultsFolder, spec: ExecutorSpec, pool: WorkerPool | None, *,
           explicit_workers: bool, resume: bool, force: bool, out: str | Path | None, run_function: str,
           progress: Progress | None, report: bool, say: Callable[[str], None]) -> SweepResult:
    plan = build_plan(source, folder.scenarios_dir)
    if source.experiment.observed is not None:  # the history modules (and scipy.stats) load only then
        from simulation.history.hindcast import check_observed

        check_observed(source, plan.scenario_data())  # the record the runs will be scored against
    spec = check_memory(spec, plan, explicit=explicit_workers, warn=lambda text: say(f"warning: {text}"))
    if pool is not None and pool.workers != spec.workers:  # fewer fit in memory: started again with as many
        pool.close()
    fixed = plan_manifest(plan, folder)
    check_scheduler(spec)  # before the folder exists, so a refused connection leaves nothing behind
    _check_target(folder, resume=resume, force=force)  # read-only: nothing is created for a folder refused
    result = SweepResult(folder.root, total=len(plan.runs))
    with folder:
        previous = _prepare(folder, fixed, resume=resume, force=force, say=say)
        session = {"started": _now(), "finished": None, "executor": spec.describe(), "run_function": run_function,
                   "argv": sys.argv[1:] if sys.argv and sys.argv[0].endswith("alliance-sim") else None}
        sessions = list(previous.get("sessions", [])) + [session]
        started = previous.get("started") or session["started"]
        env = environment()

        def manifest(finished: str | None) -> dict[str, Any]:
            runs = _final_runs(plan, folder, result)
            counts = {"total": len(runs), "ok": result.ok, "failed": result.failed, "pending": len(runs) - result.ok - result.failed}
            return {**fixed, "started": started, "finished": finished, "counts": counts, "sessions": sessions,
                    "environment": env, "runs": runs}

        try:
            # The manifest first: from here on the folder is a results folder that --resume accepts.
            todo = [run for run in plan.runs if not folder.is_complete(run.run_id)]
            size = runs_per_batch(len(todo), spec.workers if spec.kind != "serial" else 1)
            session.update(runs_to_execute=len(todo), runs_per_batch=size)
            folder.write_manifest(manifest(None))
            folder.runs_dir.mkdir(parents=True, exist_ok=True)
            folder.write_text(EXPERIMENT_COPY, source.text)
            for label, text in plan.scenario_texts.items():
                folder.write_text(f"{SCENARIOS_DIR}/{label}.yaml", text)
        except OSError as exc:
            raise _write_failure(folder, exc, plan, experiment, out) from None
        progress = progress or Progress(quiet=True)
        progress.start(source.experiment.name, total=len(plan.runs), done=len(plan.runs) - len(todo))

        def on_done(batch: Batch, records: list[dict[str, Any]]) -> None:
            for record in records:
                result.executed += 1
                progress.update(failed=record["status"] != "ok")

        def on_error(batch: Batch, exc: BaseException) -> None:
            # The batch died as a whole (crashed worker, lost connection): record its
            # unfinished runs as failed so the sweep goes on and --resume retries them.
            # A full disk stops the sweep instead: every later run would fail the same way.
            if isinstance(exc, OSError) and exc.errno in DISK_FULL:
                raise exc
            for run in batch.runs:
                if folder.read_record(run.run_id) is None:
                    record = {"run_id": run.run_id, "scenario": run.scenario, "point": run.point, "replication": run.replication,
                              "seed": run.seed, "overrides": run.overrides, "status": "failed", "summary": None,
                              "error": f"the worker running this batch failed: {type(exc).__name__}: {exc}",
                              "started": None, "elapsed_s": None}
                    atomic_write(folder.record_path(run.run_id), record_bytes(record))
                result.executed += 1
                progress.update(failed=True)

        failure: UserError | None = None
        try:
            execute(list(_batches(plan, todo, folder, size, run_function)), spec, on_done, on_error,
                    pool=pool.take() if pool is not None else None)
        except Interrupted as exc:
            result.interrupted = True
            result.signal = exc.signal
        except KeyboardInterrupt:
            result.interrupted = True
        except OSError as exc:
            failure = _write_failure(folder, exc, plan, experiment, out)
        except SchedulerLost as exc:
            failure = UserError(f"{exc}; the runs finished so far are stored; when the scheduler is back, finish with: "
                                f"{resume_command(experiment, folder, out)}", file=str(folder.root))
        finally:
            progress.close()
            session["finished"] = _now()
            try:
                folder.remove_stale_temporaries(mine=True)
                folder.write_summary((run_entry(plan, r) for r in plan.runs), list(plan.points.columns),
                                     [m.column for m in source.experiment.summary.metrics])
                folder.write_manifest(manifest(None if result.interrupted or failure else session["finished"]))
            except OSError as exc:  # the disk is still full: the manifest on disk is the last whole one
                folder.remove_stale_temporaries(mine=True)
                failure = failure or _write_failure(folder, exc, plan, experiment, out)
        if failure is not None:
            raise failure
    if report and not result.interrupted:
        from simulation.experiments.report import build_report

        # The figures are drawn by as many processes as the runs were (no more than the cores).
        build_report(folder.root, workers=1 if spec.kind == "serial" else min(spec.workers, default_workers()))
    return result


#: errno values that mean "no room left": a full disk, a quota, a file-size limit.
DISK_FULL = frozenset(getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG") if hasattr(errno, name))


def resume_command(experiment: str | Path, folder: ResultsFolder, out: str | Path | None) -> str:
    return f"alliance-sim sweep {experiment} --resume" + (f" --out {out}" if out is not None else "")


def _write_failure(folder: ResultsFolder, exc: OSError, plan: Plan, experiment: str | Path, out: str | Path | None) -> UserError:
    """One message for a write that failed (a full disk above all): the folder, what it still
    needs (estimated from the runs stored so far) and how to go on.  Temporary files are
    removed first."""
    folder.remove_stale_temporaries(mine=True)
    if exc.errno not in DISK_FULL:
        return UserError(f"cannot write the results ({exc.strerror or exc}: {exc.filename or folder.root}); expected a writable "
                         f"folder; the runs stored so far are kept; finish with: {resume_command(experiment, folder, out)}",
                         file=str(folder.root))
    stored, size = 0, 0
    for run in plan.runs:
        try:
            size += folder.timeseries_path(run.run_id).stat().st_size + folder.record_path(run.run_id).stat().st_size
            stored += 1
        except OSError:
            continue
    left = len(plan.runs) - stored
    need = f"about {(size / stored * left + 1e6) / 1e6:,.0f} MB more" if stored else "more space"
    return UserError(f"the disk is full ({exc.strerror or exc}); {stored} of {len(plan.runs)} runs are stored and the "
                     f"{left} left need {need}; free space, then finish with: {resume_command(experiment, folder, out)}",
                     file=str(folder.root))


def _check_target(folder: ResultsFolder, *, resume: bool, force: bool) -> None:
    """Refuse a folder this sweep must not write into, before anything is created: one
    holding anything but a sweep's results (a repository, scenarios/, experiments/, ...)."""
    if not folder.root.is_dir():
        return
    manifest = _read_manifest(folder, resume=resume) if folder.has_results() and (force or resume) else None
    if folder.has_results() and not (force or resume):
        raise UserError("results already exist here; expected an empty or new folder "
                        "(use --resume to finish them, --force to replace them, or --out for another folder)",
                        file=str(folder.root))
    folder.check_foreign(manifest)


def _prepare(folder: ResultsFolder, fixed: dict[str, Any], *, resume: bool, force: bool,
             say: Callable[[str], None]) -> dict[str, Any]:
    """Under the lock: check the folder again, clear it (``--force``, only the manifest's own
    files, after saying which) or read the manifest to resume; return the previous manifest."""
    if not folder.has_results():
        folder.check_foreign(None)
        folder.remove_stale_temporaries()
        return {}
    if force:
        old = _read_manifest(folder, resume=False)
        folder.check_foreign(old)
        files = folder.planned_removal(old)
        runs = sum(1 for p in files if p.parent in (folder.runs_dir, folder.records_dir) and p.suffix == ".json")  # records/, or runs/ in old folders
        names = sorted({p.relative_to(folder.root).parts[0] for p in files})
        say(f"--force: replacing the results in {folder.root}: {len(files)} file(s) the manifest names "
            f"({runs} run record(s); in {', '.join(names)}); nothing else is touched")
        folder.clear(files)
        return {}
    if resume:
        previous = _read_manifest(folder, resume=True)
        _check_resumable(previous, fixed, folder)
        folder.remove_stale_temporaries()
        return previous
    raise UserError("results already exist here; expected an empty or new folder "
                    "(use --resume to finish them, --force to replace them, or --out for another folder)",
                    file=str(folder.root))


def _read_manifest(folder: ResultsFolder, *, resume: bool) -> dict[str, Any]:
    """The manifest, for ``--resume`` or ``--force``: a damaged one refuses both (without it
    nothing tells which files are the sweep's)."""
    try:
        return folder.read_manifest()
    except UserError as exc:
        what = "cannot resume from it" if resume else "so --force cannot tell which files the sweep wrote"
        raise UserError(f"{exc.detail}; {what} (delete the folder yourself if it holds nothing else you need, "
                        "or use --out for a new folder)", file=exc.file, line=exc.line, path=exc.path) from None


def sweep_command(experiment: str, *, executor: str | None, workers: int | None, scheduler: str | None,
                  scheduler_file: str | None, resume: bool, force: bool, out: str | None) -> int:
    """The CLI handler: a progress bar on a terminal, plain lines otherwise; exit code per outcome.

    SIGTERM is handled like SIGINT (workers stopped, the manifest written, the resume command
    printed), with the exit code 143 the shell expects."""
    try:
        with sigterm_as_interrupt():
            progress = Progress(quiet=False)
            result = sweep(experiment, executor=executor, workers=workers, scheduler=scheduler, scheduler_file=scheduler_file,
                           resume=resume, force=force, out=out, progress=progress)
    except Interrupted as exc:  # before the folder was written: nothing to resume
        print("terminated", file=sys.stderr)
        return 128 + exc.signal
    stream = sys.stderr
    if result.interrupted and result.ok + result.failed == result.total:  # stopped after the last run finished
        print(f"interrupted after every run was stored ({result.ok} ok, {result.failed} failed) in {result.folder}; "
              f"draw the report with: alliance-sim report {result.folder}", file=stream)
    elif result.interrupted:
        print(f"interrupted: {result.ok} of {result.total} runs stored in {result.folder}; "
              f"finish with: {resume_command(experiment, ResultsFolder(result.folder), out)}", file=stream)
    elif result.failed:
        shown = ", ".join(result.failures[:5]) + (" ..." if len(result.failures) > 5 else "")
        print(f"{result.failed} of {result.total} runs failed ({shown}); errors and seeds are in "
              f"{result.folder / 'manifest.json'}; rerun them with --resume", file=stream)
    else:
        print(f"{result.total} runs stored in {result.folder}; report: {result.folder / 'report.md'}", file=stream)
    return result.exit_code


__all__ = ["sweep", "sweep_command", "SweepResult", "resolve_executor", "Interrupted"]
