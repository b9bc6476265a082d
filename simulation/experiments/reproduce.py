"""``alliance-sim reproduce``: re-run recorded runs from the manifest and compare.

Each run is rebuilt from what the results folder holds (the resolved scenario, the run's
design-point overrides and its seed), executed into a scratch folder by the same worker code
as the sweep, and compared with what is stored: the time series value by value (when
``runs/<id>.parquet`` is there; a folder committed to a repository leaves the bulky series
out) and the summary values in the run's record and in ``summary.csv``.  The results folder
itself is only read.

Each run gets one of three levels:

- **identical**: every value equal, bit for bit;
- **within tolerance**: every count-derived value equal, and every continuous value within
  ``rtol`` of the stored one (relative to the larger magnitude; values below ``ABS_FLOOR``
  in both runs count as equal).  Another CPU or BLAS kernel rounds the float32 tension
  update differently (docs/ODD.md, "Reproducibility across machines"), which moves
  tension-derived values by about 1e-9 relative and nothing else;
- **different**: a count differs, a continuous value is beyond tolerance, the re-run failed,
  or the stored run is incomplete.

The ``statistical`` check is for a reviewer whose numbers may differ more (a newer numpy,
other hardware): it re-runs a sample of replications of every scenario and design point and
requires each summary mean over the sample to move by less than the half-width of the
stored mean's confidence interval (paired: the re-run of replication k is compared with the
stored replication k).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from simulation.errors import UserError
from simulation.experiments import labels
from simulation.experiments.store import (MAX_TABLE_BYTES, ResultsFolder, read_parquet_bounded, read_resolved_scenario,
                                          read_text_bounded)
from simulation.experiments.worker import DEFAULT_RUN_FUNCTION

#: Default relative tolerance on continuous values (``--rtol``).
DEFAULT_RTOL = 1e-6
#: Values this close to zero in both runs are equal (float noise around an exact zero).
ABS_FLOOR = 1e-12
#: Replications re-run per scenario and design point by the statistical check (``--sample``).
DEFAULT_SAMPLE = 10
#: Differences listed per run (with ``--verbose``) before the rest are only counted.
MAX_LISTED_PER_RUN = 3
EXIT_IDENTICAL, EXIT_DIFFERENT = 0, 1
IDENTICAL, WITHIN, DIFFERENT = "identical", "within tolerance", "different"
LEVELS = (IDENTICAL, WITHIN, DIFFERENT)


@dataclass(frozen=True)
class Difference:
    """One value that is not bit-identical: where, stored, re-run, and how far apart."""

    run_id: str
    where: str
    metric: str
    stored: float
    fresh: float
    relative: float
    count: bool
    within: bool

    def text(self) -> str:
        kind = "count" if self.count else ("within tolerance" if self.within else "beyond tolerance")
        return f"{self.run_id}: {self.where}: stored {self.stored!r}, re-run {self.fresh!r} (relative {self.relative:.3g}, {kind})"


@dataclass
class RunResult:
    """A run's level, the values that differ, and problems that are not values (failed
    re-run, missing record or row, different shape)."""

    run_id: str
    differences: list[Difference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Differences found beyond those kept in ``differences`` (a time series may have thousands).
    more: int = 0

    @property
    def level(self) -> str:
        if self.problems or any(not d.within for d in self.differences):
            return DIFFERENT
        return WITHIN if self.differences else IDENTICAL

    @property
    def largest(self) -> Difference | None:
        finite = [d for d in self.differences if not math.isnan(d.relative)]
        return max(finite, key=lambda d: d.relative, default=None)

    def lines(self) -> list[str]:
        out = [f"{self.run_id}: {self.level}" + (f" (largest relative difference {self.largest.relative:.3g} in {self.largest.metric})"
                                                 if self.largest is not None else "")]
        out += [f"  {p}" for p in self.problems]
        shown = sorted(self.differences, key=lambda d: (d.within, -d.relative))[:MAX_LISTED_PER_RUN]
        out += [f"  {d.text()}" for d in shown]
        hidden = len(self.differences) - len(shown) + self.more
        if hidden > 0:
            out.append(f"  ... {hidden} more value(s) differ")
        return out


@dataclass
class Comparison:
    """The outcome of ``reproduce``: one ``RunResult`` per re-run run."""

    rtol: float = DEFAULT_RTOL
    runs: list[RunResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def checked(self) -> list[str]:
        return [r.run_id for r in self.runs]

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(LEVELS, 0)
        for run in self.runs:
            out[run.level] += 1
        return out

    @property
    def identical(self) -> bool:
        return not self.errors and all(r.level == IDENTICAL for r in self.runs)

    @property
    def acceptable(self) -> bool:
        """Every run identical or within tolerance (exit 0)."""
        return not self.errors and all(r.level != DIFFERENT for r in self.runs)

    @property
    def differences(self) -> list[str]:
        """Every problem and difference as text (for messages and tests)."""
        out = list(self.errors)
        for run in self.runs:
            out += run.problems + [d.text() for d in run.differences]
        return out

    @property
    def largest(self) -> Difference | None:
        return max((r.largest for r in self.runs if r.largest is not None), key=lambda d: d.relative, default=None)

    def verdict(self, results: str | Path) -> str:
        """The one summary line."""
        c = self.counts
        line = (f"reproduce {results}: {len(self.runs)} run(s) re-run: {c[IDENTICAL]} identical, "
                f"{c[WITHIN]} within tolerance (rtol {self.rtol:g}), {c[DIFFERENT]} different")
        largest = self.largest
        if largest is None:
            line += "; no value differs"
        else:
            line += f"; largest relative difference {largest.relative:.3g} in {largest.metric} ({largest.run_id})"
        if self.errors:
            line += f"; {len(self.errors)} batch(es) failed"
        return line


# ------------------------------------------------------------------------------ values
def relative_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| / max(|a|, |b|); 0 where equal (NaN equals NaN), inf where only one is NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.maximum(np.abs(a), np.abs(b))
        rel = np.abs(a - b) / scale
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    rel = np.where(same, 0.0, rel)
    rel = np.where(np.isnan(a) != np.isnan(b), np.inf, rel)
    rel = np.where(~same & (np.abs(a - b) <= ABS_FLOOR) & (scale <= ABS_FLOOR), 0.0, rel)
    return np.where(np.isnan(rel), np.inf, rel)  # inf - inf and the like


def _values_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def compare_values(run_id: str, where: list[str], metrics: list[str], stored: np.ndarray, fresh: np.ndarray,
                   rtol: float) -> list[Difference]:
    """Differences between two aligned value arrays (count metrics must be equal)."""
    stored, fresh = np.asarray(stored, dtype=float), np.asarray(fresh, dtype=float)
    bad = np.flatnonzero(~_values_equal(stored, fresh))
    if not len(bad):
        return []
    rel = relative_difference(stored[bad], fresh[bad])
    out = []
    for i, r in zip(bad, rel):
        count = labels.is_count(metrics[i])
        out.append(Difference(run_id, where[i], metrics[i], float(stored[i]), float(fresh[i]), float(r), count,
                              within=(not count) and r <= rtol))
    return out


def _number(cell: str | None) -> float:
    if cell is None or cell == "":
        return math.nan
    try:
        return float(cell)
    except ValueError:
        return math.inf  # not a number: differs from any re-run value


def _stored_summary_rows(folder: ResultsFolder) -> dict[str, dict[str, str]]:
    import csv
    import io

    try:
        text = read_text_bounded(folder.summary_path, MAX_TABLE_BYTES, "a summary.csv")
    except FileNotFoundError:
        return {}
    try:
        return {row["run_id"]: row for row in csv.DictReader(io.StringIO(text, newline="")) if row.get("run_id")}
    except csv.Error as exc:
        raise UserError(f"cannot be read ({type(exc).__name__}); expected the summary.csv 'alliance-sim sweep' writes "
                        "('alliance-sim report' rebuilds it from the run records)", file=str(folder.summary_path)) from None


def compare_run(run_id: str, stored: ResultsFolder, fresh: ResultsFolder, summary_row: dict[str, str] | None,
                rtol: float = DEFAULT_RTOL) -> RunResult:
    """How a stored run compares with its re-run."""
    result = RunResult(run_id)
    new_record = fresh.read_record(run_id) or {}
    if new_record.get("status") != "ok":
        first = (new_record.get("error") or "no record").splitlines()[0]
        result.problems.append(f"{run_id}: the re-run failed: {first}")
        return result
    old_record = stored.read_record(run_id, strict=True)
    if old_record is None and summary_row is None:
        result.problems.append(f"{run_id}: neither its record ({stored.record_path(run_id)}) nor a summary.csv row is stored")
        return result
    path = stored.timeseries_path(run_id)
    if path.exists():
        _compare_series(result, path, fresh.timeseries_path(run_id), rtol)
    new_summary = new_record.get("summary") or {}
    columns = list(new_summary)
    fresh_values = np.array([math.nan if new_summary[c] is None else float(new_summary[c]) for c in columns])
    if old_record is not None:
        old = old_record.get("summary") or {}
        stored_values = np.array([math.nan if old.get(c) is None else float(old[c]) for c in columns])
        result.differences += compare_values(run_id, [f"summary {c} (run record)" for c in columns], columns,
                                             stored_values, fresh_values, rtol)
    if summary_row is None:
        result.problems.append(f"{run_id}: no row in summary.csv")
    else:
        stored_values = np.array([_number(summary_row.get(c)) for c in columns])
        result.differences += compare_values(run_id, [f"summary.csv {c}" for c in columns], columns, stored_values, fresh_values, rtol)
    return result


class _DamagedRun(Exception):
    """The stored time series of a run cannot be read."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


#: Time-series differences kept per run as ``Difference`` objects (the rest are counted).
_KEPT_SERIES = 50


def _compare_series(result: RunResult, stored_path: Path, fresh_path: Path, rtol: float) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        old = read_parquet_bounded(stored_path).to_pandas()  # not regular or too large: a UserError of its own
    except (pa.ArrowException, OSError) as exc:
        raise _DamagedRun(exc) from None
    new = pq.read_table(fresh_path).to_pandas()
    run_id = result.run_id
    if list(old.columns) != list(new.columns) or len(old) != len(new):
        result.problems.append(f"{run_id}: time series shape differs (stored {len(old)} rows x {len(old.columns)} columns, "
                               f"re-run {len(new)} x {len(new.columns)})")
        return
    for column in old.columns:
        if column != "value" and not (old[column].astype(str).to_numpy() == new[column].astype(str).to_numpy()).all():
            result.problems.append(f"{run_id}: column {column!r} differs")
    if result.problems:
        return
    a, b = old["value"].to_numpy(dtype=float), new["value"].to_numpy(dtype=float)
    bad = np.flatnonzero(~_values_equal(a, b))
    if not len(bad):
        return
    metric = old["metric"].astype(str).to_numpy()[bad]
    scope = old["scope"].astype(str).to_numpy()[bad]
    step = old["step"].to_numpy()[bad]
    rel = relative_difference(a[bad], b[bad])
    count = np.array([labels.is_count(m) for m in metric], dtype=bool)
    within = ~count & (rel <= rtol)
    # Keep the worst values (beyond tolerance first, then the largest relative difference).
    order = np.lexsort((-rel, within))
    for i in order[:_KEPT_SERIES]:
        result.differences.append(Difference(run_id, f"step {step[i]} {metric[i]}@{scope[i]}", str(metric[i]), float(a[bad][i]),
                                             float(b[bad][i]), float(rel[i]), bool(count[i]), bool(within[i])))
    result.more += max(0, len(bad) - _KEPT_SERIES)  # all within tolerance when any kept one is


# ------------------------------------------------------------------------------ re-running
def _load(results: str | Path) -> tuple[ResultsFolder, dict[str, Any], Any, dict[str, Any]]:
    """The folder, its manifest, its experiment and its resolved scenarios."""
    folder = ResultsFolder(Path(results))
    manifest = folder.read_manifest()
    experiment = folder.read_experiment(manifest)
    scenarios = {}
    for label, entry in manifest["scenarios"].items():
        path = folder.root / entry["resolved"]
        if not os.path.lexists(path):
            raise UserError(f"resolved scenario missing: {path}; expected the file the sweep wrote", file=str(folder.root))
        scenarios[label] = read_resolved_scenario(path)  # the limits of any scenario file; one located message
    return folder, manifest, experiment, scenarios


@contextlib.contextmanager
def _rerun(folder: ResultsFolder, experiment: Any, scenarios: dict[str, Any], chosen: list[dict[str, Any]], workers: int,
           run_function: str, errors: list[str]) -> Iterator[ResultsFolder]:
    """Execute ``chosen`` runs into a scratch folder (removed afterwards) and yield it."""
    from simulation.experiments.executors import ExecutorSpec, execute, runs_per_batch
    from simulation.experiments.worker import Batch, RunTask

    with tempfile.TemporaryDirectory(prefix="alliance-sim-reproduce-") as scratch:
        fresh = ResultsFolder(Path(scratch))
        fresh.runs_dir.mkdir(parents=True)
        tasks = [RunTask(r["run_id"], r["scenario"], r["point"], r["replication"], r["seed"], r["design"]) for r in chosen]
        size = runs_per_batch(len(tasks), workers)
        batches = [Batch(index=i, out_dir=scratch, scenarios=scenarios, scenario_dir=str(folder.scenarios_dir),
                         runs=tuple(tasks[s:s + size]), summary=tuple(experiment.summary.metrics),
                         window=experiment.summary.window, statistic=experiment.summary.statistic, run_function=run_function)
                   for i, s in enumerate(range(0, len(tasks), size))]
        spec = ExecutorSpec("serial" if workers == 1 else "processes", workers)
        execute(batches, spec, lambda b, recs: None, lambda b, exc: errors.append(f"batch {b.index}: {exc}"))
        yield fresh


def _check_counts(runs: int | None, workers: int, rtol: float) -> None:
    if runs is not None and runs < 1:
        raise UserError(f"--runs: expected a whole number >= 1 (got {runs})")
    if workers < 1:
        raise UserError(f"--workers: expected a whole number >= 1 (got {workers})")
    if not (math.isfinite(rtol) and 0.0 <= rtol < 1.0):
        raise UserError(f"--rtol: expected a number >= 0 and < 1 (got {rtol})")


def _ok_runs(folder: ResultsFolder, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    chosen = [r for r in manifest["runs"] if r["status"] == "ok"]
    if not chosen:
        raise UserError("no successful runs are recorded; expected a results folder with finished runs", file=str(folder.manifest_path))
    return chosen


def reproduce(results: str | Path, *, runs: int | None = None, workers: int = 1, rtol: float = DEFAULT_RTOL,
              run_function: str = DEFAULT_RUN_FUNCTION, run_ids: list[str] | None = None) -> Comparison:
    """Re-run the first ``runs`` successful runs of the manifest (all by default; only
    ``run_ids`` when given) and compare."""
    _check_counts(runs, workers, rtol)
    folder, manifest, experiment, scenarios = _load(results)
    chosen = _ok_runs(folder, manifest)
    if run_ids is not None:
        chosen = [r for r in chosen if r["run_id"] in set(run_ids)]
    chosen = chosen[:runs] if runs is not None else chosen
    comparison = Comparison(rtol=rtol)
    rows = _stored_summary_rows(folder)
    with _rerun(folder, experiment, scenarios, chosen, workers, run_function, comparison.errors) as fresh:
        for run in chosen:
            try:
                comparison.runs.append(compare_run(run["run_id"], folder, fresh, rows.get(run["run_id"]), rtol))
            except _DamagedRun as exc:
                raise folder.damaged_run(run["run_id"], exc.cause, manifest) from None
    return comparison


# ------------------------------------------------------------------------------ statistical check
@dataclass(frozen=True)
class MeanCheck:
    """A summary mean over the sampled replications of one scenario and design point."""

    scenario: str
    point: int
    metric: str
    n: int
    stored: float
    fresh: float
    half_width: float

    @property
    def shift(self) -> float:
        """|re-run - stored| as a share of the stored CI's half-width (0 when equal)."""
        diff = abs(self.fresh - self.stored)
        if diff == 0 or (math.isnan(self.fresh) and math.isnan(self.stored)):
            return 0.0
        if not (math.isfinite(diff) and math.isfinite(self.half_width)) or self.half_width <= 0:
            return math.inf
        return diff / self.half_width

    @property
    def agrees(self) -> bool:
        if self.shift <= 1.0:
            return True
        # A metric with no spread (a constant, or one replication) has no CI: use the tolerance.
        return bool(relative_difference(np.array([self.stored]), np.array([self.fresh]))[0] <= DEFAULT_RTOL)

    def text(self) -> str:
        return (f"{self.scenario} p{self.point} {self.metric}: stored mean {self.stored:.6g}, re-run {self.fresh:.6g} over "
                f"{self.n} replication(s); shift {self.shift:.3g} of the CI half-width {self.half_width:.3g}: "
                + ("agrees" if self.agrees else "DISAGREES"))


@dataclass
class StatisticalCheck:
    sampled: list[int]
    replications: int
    confidence: float
    reruns: int = 0
    checks: list[MeanCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.problems and all(c.agrees for c in self.checks)

    def verdict(self, results: str | Path) -> str:
        good = sum(c.agrees for c in self.checks)
        line = (f"reproduce --statistical {results}: {len(self.sampled)} of {self.replications} replications re-run "
                f"({self.reruns} runs); {good} of {len(self.checks)} summary means agree with the stored ones within "
                f"their {self.confidence:.0%} CI")
        worst = max((c for c in self.checks if math.isfinite(c.shift)), key=lambda c: c.shift, default=None)
        if worst is not None:
            line += f"; largest shift {worst.shift:.3g} of a CI half-width ({worst.metric}, {worst.scenario} p{worst.point})"
        if self.problems:
            line += f"; {len(self.problems)} re-run(s) failed"
        return line


def sampled_replications(replications: int, sample: int) -> list[int]:
    """``sample`` replication indices spread evenly over 0..replications-1 (all when fewer)."""
    if sample >= replications:
        return list(range(replications))
    return sorted({int(round(x)) for x in np.linspace(0, replications - 1, sample)})


def reproduce_statistical(results: str | Path, *, sample: int = DEFAULT_SAMPLE, workers: int = 1,
                          run_function: str = DEFAULT_RUN_FUNCTION) -> StatisticalCheck:
    """Re-run ``sample`` replications of every scenario and design point; compare the means."""
    from simulation.experiments.analysis import mean_ci

    _check_counts(None, workers, DEFAULT_RTOL)
    if sample < 1:
        raise UserError(f"--sample: expected a whole number >= 1 (got {sample})")
    folder, manifest, experiment, scenarios = _load(results)
    ok = _ok_runs(folder, manifest)
    rows = _stored_summary_rows(folder)
    picked = set(sampled_replications(experiment.replications, sample))
    chosen = [r for r in ok if r["replication"] in picked and r["run_id"] in rows]
    check = StatisticalCheck(sorted(picked), experiment.replications, experiment.analysis.confidence, reruns=len(chosen))
    columns = [m.column for m in experiment.summary.metrics]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for run in ok:
        if run["run_id"] in rows:
            groups.setdefault((run["scenario"], run["point"]), []).append(run)
    with _rerun(folder, experiment, scenarios, chosen, workers, run_function, check.problems) as fresh:
        new = {r["run_id"]: fresh.read_record(r["run_id"]) or {} for r in chosen}
    for r in chosen:
        if new[r["run_id"]].get("status") != "ok":
            check.problems.append(f"{r['run_id']}: the re-run failed: {(new[r['run_id']].get('error') or 'no record').splitlines()[0]}")
    for (scenario, point), members in groups.items():
        sample_runs = [r for r in members if r["replication"] in picked and new.get(r["run_id"], {}).get("status") == "ok"]
        if not sample_runs:
            continue
        for column in columns:
            everything = np.array([_number(rows[r["run_id"]].get(column)) for r in members])
            stats = mean_ci(everything, check.confidence)
            half = (stats["ci_high"] - stats["mean"]) if stats["n"] > 1 else math.nan
            stored = np.array([_number(rows[r["run_id"]].get(column)) for r in sample_runs])
            fresh_values = np.array([math.nan if (v := (new[r["run_id"]].get("summary") or {}).get(column)) is None else float(v)
                                     for r in sample_runs])
            keep = ~(np.isnan(stored) & np.isnan(fresh_values))
            if not keep.any():
                continue
            with np.errstate(invalid="ignore"):
                check.checks.append(MeanCheck(scenario, int(point), column, int(keep.sum()), float(np.nanmean(stored[keep])),
                                              float(np.nanmean(fresh_values[keep])), float(half)))
    return check


# ------------------------------------------------------------------------------ command
def reproduce_command(results: str, *, runs: int | None, workers: int, rtol: float = DEFAULT_RTOL, verbose: bool = False,
                      statistical: bool = False, sample: int = DEFAULT_SAMPLE) -> int:
    """One verdict line on stderr (the per-run list with ``verbose``); exit 0 when acceptable."""
    from simulation.calibration.reproduce import is_calibration_folder  # a calibration folder has its own items

    if is_calibration_folder(results):
        from simulation.calibration.reproduce import reproduce_calibration_command

        return reproduce_calibration_command(results, runs=runs, workers=workers, rtol=rtol, verbose=verbose, statistical=statistical)
    if statistical:
        if runs is not None:
            raise UserError("--runs and --statistical: expected one of them (--sample K sets how many replications --statistical re-runs)")
        check = reproduce_statistical(results, sample=sample, workers=workers)
        if verbose:
            for line in check.problems + [c.text() for c in check.checks]:
                print(f"  {line}", file=sys.stderr)
        print(check.verdict(results), file=sys.stderr)
        return EXIT_IDENTICAL if check.agrees else EXIT_DIFFERENT
    return print_verdict(reproduce(results, runs=runs, workers=workers, rtol=rtol), results, verbose)


def print_verdict(comparison: Any, results: Path, verbose: bool) -> int:
    """The verdict line (every run and error first with ``verbose``) on stderr, and the exit
    code: shared by sweep and calibration folders, whose comparisons have ``runs``,
    ``acceptable`` and ``verdict`` (and, for sweeps, ``errors``)."""
    if verbose:
        for line in getattr(comparison, "errors", ()):
            print(f"  {line}", file=sys.stderr)
        for run in comparison.runs:
            for line in run.lines():
                print(f"  {line}", file=sys.stderr)
    verdict = comparison.verdict(results)
    if not comparison.acceptable and not verbose:
        verdict += " (--verbose lists every run)"
    print(verdict, file=sys.stderr)
    return EXIT_IDENTICAL if comparison.acceptable else EXIT_DIFFERENT


__all__ = ["reproduce", "reproduce_statistical", "reproduce_command", "Comparison", "RunResult", "Difference",
           "StatisticalCheck", "MeanCheck", "relative_difference", "sampled_replications", "DEFAULT_RTOL"]
