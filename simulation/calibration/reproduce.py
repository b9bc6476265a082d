"""``alliance-sim reproduce`` for a calibration folder (``results/<name>/`` written by ``calibrate``).

ABC-SMC itself is not re-run (that is the calibration's whole cost); what a reviewer can
re-make in minutes is re-made and compared with what the folder stores:

- **particles**: a sample of the final generation (``posterior.csv``), spread evenly over it
  (``--runs K`` particles, default ``DEFAULT_PARTICLES``).  Each is re-evaluated exactly as the
  calibration evaluated it: its parameters set in each hindcast, its model seeds derived from
  the calibration seed and the parameter values (``evaluate.particle_seeds``), the score terms
  and the distance recomputed and compared with the stored ones;
- **predictive.csv**: the posterior-predictive runs behind the fan chart (the same particles,
  drawn by weight with the calibration's own stream), re-run and summarised into the quantile
  table, compared cell by cell (as stored: 6 significant digits);
- **overlay.yaml**: the chosen parameter set, recomputed from ``posterior.csv`` (the weighted
  median of each parameter), must equal the overlay and the manifest's ``chosen_values``.

Each item gets the levels of a sweep's runs (identical, within ``--rtol``, different) and the
command prints the same verdict line with the same exit codes (0 none different, 1 some, 2 bad
input).  The calibration settings are the text stored in the manifest; the scenario, record and
data files it names are read from where they are now (relative to the calibration file), so a
change to any of them since shows as a difference.
"""

from __future__ import annotations

import functools
import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulation.errors import UserError

#: Final-generation particles re-evaluated by default (``--runs`` sets another number).
DEFAULT_PARTICLES = 10
#: How ``predictive.csv`` is written (figures.write_figures): compared after the same rounding.
PREDICTIVE_FORMAT = "%.6g"
PREDICTIVE_VALUES = ("q05", "q50", "q95", "observed")
MANIFEST = "manifest.json"


#: The head of a manifest read to tell a calibration folder from a sweep folder.
HEAD_BYTES = 4096
#: A calibration manifest is small (settings, sessions, chosen values): read within this.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def is_calibration_folder(results: str | Path) -> bool:
    """Whether ``results`` holds a calibration: ``calibrate`` writes ``"kind": "calibration"``
    as the manifest's first key, so only the file's head is read (a sweep's manifest may be
    large, and its own reader gives any message about it)."""
    try:
        with open(Path(results) / MANIFEST, "rb") as fh:
            head = fh.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    return re.match(r'\s*\{\s*"kind"\s*:\s*"calibration"', head) is not None


def _manifest(root: Path) -> dict[str, Any]:
    from simulation.experiments.store import read_json_bounded

    try:
        manifest = read_json_bounded(root / MANIFEST, MAX_MANIFEST_BYTES)
        text, sha = manifest["calibration"]["text"], manifest["calibration"]["sha256"]
        file = manifest["calibration"]["file"]
    except (OSError, KeyError, TypeError) as exc:
        raise UserError(f"cannot be read ({type(exc).__name__}); expected the manifest 'alliance-sim calibrate' writes, with "
                        "calibration.file, .sha256 and .text", file=str(root / MANIFEST)) from None
    if manifest.get("status") != "complete":
        raise UserError(f"the calibration is {manifest.get('status')!r}; expected a complete calibration "
                        "(finish it with 'alliance-sim calibrate FILE --resume')", file=str(root / MANIFEST))
    if not all(isinstance(x, str) for x in (text, sha, file)):
        raise UserError("expected calibration.file, .sha256 and .text as strings", file=str(root / MANIFEST))
    return manifest


def _calibration_file(root: Path, manifest: dict[str, Any]) -> Any:
    """The calibration as it was run (the stored text), placed where its file is now so that
    the hindcasts and the record it names resolve as they did."""
    from pydantic import ValidationError

    from simulation.calibration.schema import Calibration, CalibrationFile
    from simulation.experiments.yamllines import validation_error

    stored = manifest["calibration"]
    written = Path(stored["file"])
    candidates = [written] if written.is_absolute() else [Path.cwd() / written, root.resolve().parent.parent / written]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise UserError(f"the calibration file {written} is not at {' or '.join(str(c) for c in candidates)}; expected it there "
                        "(the hindcasts and the record are named relative to it)", file=str(root / MANIFEST))
    data = yaml.safe_load(stored["text"])
    try:
        calibration = Calibration.model_validate(data)
    except ValidationError as exc:
        err = validation_error(exc, str(found), {}, data)
        raise UserError(f"{err.detail}; the stored calibration text is no longer a valid calibration file",
                        file=str(root / MANIFEST), path=f"calibration.text.{err.path}") from None
    return CalibrationFile(calibration, found, stored["text"], stored["sha256"], {})


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"cannot be read ({type(exc).__name__}); expected the {what} 'alliance-sim calibrate' writes",
                        file=str(path)) from None


def _numbers(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def _particle(model: Any, params: dict[str, float]) -> dict[str, float]:
    """One particle's statistics, as the calibration computed them (picklable for workers)."""
    return model(params)


def sampled_particles(n: int, k: int | None) -> list[int]:
    from simulation.experiments.reproduce import sampled_replications

    return sampled_replications(n, DEFAULT_PARTICLES if k is None else k)


def reproduce_calibration(results: str | Path, *, runs: int | None = None, workers: int = 1, rtol: float | None = None) -> Any:
    """Re-evaluate a sample of final-generation particles, the posterior-predictive table and
    the chosen set; return a ``reproduce.Comparison`` (one ``RunResult`` per item)."""
    from simulation.calibration.checks import check_calibration
    from simulation.calibration.evaluate import DISTANCE, SCORE_PREFIX
    from simulation.calibration.run import chosen_values
    from simulation.calibration.sampler import open_mapper
    from simulation.experiments.reproduce import DEFAULT_RTOL, Comparison, RunResult, _check_counts, compare_values

    rtol = DEFAULT_RTOL if rtol is None else rtol
    _check_counts(runs, workers, rtol)
    root = Path(results)
    manifest = _manifest(root)
    cf = _calibration_file(root, manifest)
    c = cf.calibration
    params = list(c.priors)
    posterior = _read_csv(root / "posterior.csv", "posterior.csv")
    stats = [SCORE_PREFIX + t.name for t in c.distance] + [DISTANCE]
    missing = [col for col in [*params, *stats] if col not in posterior.columns]
    if missing or posterior.empty:
        raise UserError(f"expected a row per particle with the columns {', '.join(missing or params)}", file=str(root / "posterior.csv"))
    plan = check_calibration(cf, pilot=False)  # the same checks as calibrate: a vanished scenario key exits 2 here
    comparison = Comparison(rtol=rtol)
    picked = sampled_particles(len(posterior), runs)
    draws = [{p: float(posterior[p].iloc[i]) for p in params} for i in picked]
    predictive = root / "predictive.csv"
    with open_mapper("serial" if workers == 1 else "processes", workers) as (mapper, _):
        fresh = list(mapper(functools.partial(_particle, plan.model), draws))
        for i, new in zip(picked, fresh):
            row = posterior.iloc[i]
            run_id = f"particle {int(row['generation'])}.{int(row['particle'])}" if {"generation", "particle"} <= set(posterior.columns) else f"particle {i}"
            result = RunResult(run_id)
            result.differences += compare_values(run_id, [f"posterior.csv {s}" for s in stats], stats,
                                                 _numbers(posterior.iloc[[i]], stats)[0], np.array([new[s] for s in stats]), rtol)
            comparison.runs.append(result)
        if c.fan_chart.enabled:
            comparison.runs.append(_predictive(plan, posterior, params, predictive, mapper, rtol))
    comparison.runs.append(_overlay(root, manifest, posterior, params, chosen_values, rtol))
    return comparison


def _predictive(plan: Any, posterior: pd.DataFrame, params: list[str], path: Path, mapper: Any, rtol: float) -> Any:
    """Re-run the fan chart's particles and compare the quantile table with ``predictive.csv``."""
    from simulation.calibration.evaluate import resolve
    from simulation.calibration.figures import fan_chart_table, predictive_paths
    from simulation.experiments.reproduce import RunResult, compare_values

    c = plan.source.calibration
    result = RunResult("predictive.csv")
    if not path.is_file():
        result.problems.append("predictive.csv: not stored (the calibration draws a fan chart, so it should be)")
        return result
    stored = _read_csv(path, "predictive.csv")
    paths = predictive_paths(plan.model, posterior, params, c.fan_chart.particles, c.fan_chart.simulated_sizes, mapper)
    table = fan_chart_table(paths, resolve(c.fan_chart.observed_sizes)(plan.model.observed))
    fresh = pd.read_csv(io.StringIO(table.to_csv(index=False, float_format=PREDICTIVE_FORMAT)))
    keys = ["institution", "year"]
    if list(stored.columns) != list(fresh.columns) or len(stored) != len(fresh) or \
            not (stored[keys].astype(str).to_numpy() == fresh[keys].astype(str).to_numpy()).all():
        result.problems.append(f"predictive.csv: the table's shape or rows differ (stored {len(stored)} rows x {len(stored.columns)} "
                               f"columns, re-run {len(fresh)} x {len(fresh.columns)})")
        return result
    columns = [col for col in PREDICTIVE_VALUES if col in stored.columns]
    where = [f"predictive.csv {a} {y} {col}" for a, y in zip(stored["institution"], stored["year"]) for col in columns]
    names = [col for _ in range(len(stored)) for col in columns]
    result.differences += compare_values("predictive.csv", where, names, _numbers(stored, columns).ravel(),
                                         _numbers(fresh, columns).ravel(), rtol)
    if "inside" in stored.columns:
        bad = stored["inside"].astype(str).str.lower().to_numpy() != fresh["inside"].astype(str).str.lower().to_numpy()
        for a, y in zip(stored["institution"][bad], stored["year"][bad]):
            result.problems.append(f"predictive.csv: 'inside' differs for {a} {y}")
    return result


def _overlay(root: Path, manifest: dict[str, Any], posterior: pd.DataFrame, params: list[str], chosen_values: Any,
             rtol: float) -> Any:
    """The chosen set recomputed from ``posterior.csv`` against ``overlay.yaml`` and the manifest."""
    from simulation.experiments.reproduce import RunResult, compare_values

    result = RunResult("overlay.yaml")
    want = chosen_values(posterior, params)
    try:
        overlay = yaml.safe_load((root / "overlay.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        result.problems.append(f"overlay.yaml: cannot be read ({type(exc).__name__})")
        return result
    if not isinstance(overlay, dict) or set(overlay) != set(params):
        result.problems.append(f"overlay.yaml: expected exactly the calibrated parameters {params}")
        return result
    recorded = manifest.get("chosen_values") or {}
    for source, values in (("overlay.yaml", overlay), ("manifest.json chosen_values", recorded)):
        stored = np.array([float(values[p]) if isinstance(values.get(p), (int, float)) else math.nan for p in params])
        result.differences += compare_values("overlay.yaml", [f"{source} {p}" for p in params], params, stored,
                                             np.array([want[p] for p in params]), rtol)
    return result


def reproduce_calibration_command(results: str | Path, *, runs: int | None, workers: int, rtol: float, verbose: bool,
                                  statistical: bool = False) -> int:
    """The verdict line (and, with ``verbose``, every item) on stderr; exit 0 when nothing differs."""
    from simulation.experiments.reproduce import print_verdict

    if statistical:
        raise UserError("--statistical is for sweep folders; expected 'alliance-sim reproduce FOLDER' (a sample of the final "
                        "generation's particles, --runs K of them, and the posterior-predictive table)", file=str(results))
    return print_verdict(reproduce_calibration(results, runs=runs, workers=workers, rtol=rtol), results, verbose)


__all__ = ["is_calibration_folder", "reproduce_calibration", "reproduce_calibration_command", "sampled_particles", "DEFAULT_PARTICLES"]
