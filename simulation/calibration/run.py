"""The ``calibrate`` command: check, run pyabc's ABC-SMC, resume, and write the results folder.

results/<name>/ (or --out) holds:
- ``abc.db``: pyabc's history database (every finished generation; ``--resume`` reads it);
- ``posterior.csv`` (last generation) and ``generations.csv`` (all): one row per particle with
  generation, weight, parameters, the score terms and the distance; ``populations.csv``: epsilon,
  particles, simulations and acceptance rate per generation;
- ``overlay.yaml``: the chosen parameter set (weighted posterior median of each parameter), a
  file scenarios include with ``include: [overlay.yaml]``;
- ``figures/``: posterior marginals and pairs, and the posterior-predictive fan chart;
- ``manifest.json``: calibration file hash, versions, git commit, seeds, times, sampler, workers.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulation.calibration.checks import CalibrationPlan, check_calibration
from simulation.calibration.evaluate import DISTANCE, SCORE_PREFIX, stored_distance
from simulation.calibration.schema import Calibration, ListSchedule, LogUniformPrior, NormalPrior, Prior, load_calibration
from simulation.errors import Interrupted, UserError

DB_FILE = "abc.db"
MANIFEST = "manifest.json"
POSTERIOR = "posterior.csv"
GENERATIONS = "generations.csv"
POPULATIONS = "populations.csv"
OVERLAY = "overlay.yaml"
FIGURES = "figures"
#: What the command owns in the results folder (``--force`` removes only these).
OWNED = (DB_FILE, MANIFEST, POSTERIOR, GENERATIONS, POPULATIONS, OVERLAY, FIGURES, "predictive.csv")
EXECUTORS = ("serial", "processes", "dask")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def prior_rv(prior: Prior) -> Any:
    """The pyabc random variable of one prior."""
    import pyabc

    if isinstance(prior, LogUniformPrior):
        return pyabc.RV("loguniform", prior.low, prior.high)
    if isinstance(prior, NormalPrior):
        a, b = (prior.low - prior.mean) / prior.sd, (prior.high - prior.mean) / prior.sd
        return pyabc.RV("truncnorm", a, b, loc=prior.mean, scale=prior.sd)
    return pyabc.RV("uniform", prior.low, prior.high - prior.low)


def _epsilon(c: Calibration) -> Any:
    import pyabc

    if isinstance(c.epsilon, ListSchedule):
        return pyabc.epsilon.ListEpsilon(list(c.epsilon.values))
    return pyabc.epsilon.QuantileEpsilon(initial_epsilon="from_sample", alpha=c.epsilon.alpha)


def build_abc(plan: CalibrationPlan, sampler: Any) -> Any:
    """pyabc's ABCSMC for this calibration (parameters named by their scenario paths)."""
    import pyabc

    c = plan.source.calibration
    prior = pyabc.Distribution(**{path: prior_rv(p) for path, p in c.priors.items()})
    transitions = None
    if c.prior_mixture > 0:
        from simulation.calibration.transition import PriorMixtureTransition

        transitions = PriorMixtureTransition(prior, c.prior_mixture)
    return pyabc.ABCSMC(plan.model, prior, stored_distance, population_size=c.population, eps=_epsilon(c), sampler=sampler,
                        transitions=transitions)


def environment() -> dict[str, Any]:
    from simulation.experiments.sweep import environment as sweep_environment

    env = sweep_environment()
    for name in ("pyabc", "SQLAlchemy"):
        try:
            env["packages"][name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            env["packages"][name] = None
    return env


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    os.replace(tmp, path)


def calibrate(path: str | Path, *, out: str | Path | None = None, executor: str = "serial", workers: int | None = None,
              scheduler: str | None = None, scheduler_file: str | None = None, resume: bool = False, force: bool = False,
              figures: bool = True, quiet: bool = False) -> Path:
    """Run (or resume) the calibration in ``path``; return the results folder."""
    from simulation.calibration.sampler import SeededMappingSampler, global_rng_guard, open_mapper
    from simulation.experiments.executors import default_workers

    if resume and force:
        raise UserError("--resume and --force exclude each other; expected one of them")
    if executor not in EXECUTORS:
        raise UserError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise UserError(f"--workers {workers}: expected a whole number >= 1")
    if scheduler_file and not os.path.exists(scheduler_file):
        raise UserError(f"scheduler file not found: {scheduler_file}; expected the file written by the dask scheduler")
    cf = load_calibration(path)
    c = cf.calibration
    root = Path(out) if out is not None else Path("results") / c.name
    if root.exists() and not root.is_dir():
        raise UserError("is a file, not a folder; expected a results folder (--out DIR names a folder)", file=str(root))
    db = root / DB_FILE
    manifest_path = root / MANIFEST
    if resume:
        if not db.exists() or not manifest_path.exists():
            raise UserError(f"nothing to resume: no {DB_FILE} and {MANIFEST} (a calibration stopped before its first "
                            "database write has nothing to continue); expected the folder of an earlier calibration "
                            "(start again with --force)", file=str(root))
        old = json.loads(manifest_path.read_text())
        if old.get("calibration", {}).get("sha256") != cf.sha256:
            raise UserError(f"the calibration file changed since this folder was started (sha256 {old.get('calibration', {}).get('sha256', '?')[:12]} "
                            f"-> {cf.sha256[:12]}); expected the same file to resume (or --force to start again)", file=str(cf.path))
    elif any((root / name).exists() for name in OWNED):
        if not force:
            raise UserError("already holds a calibration; expected --resume to continue it or --force to start again", file=str(root))
        for name in OWNED:
            target = root / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()

    plan = check_calibration(cf)  # every input mistake, before anything is written
    n_workers = 1 if executor == "serial" else (workers or default_workers())
    root.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{db.resolve()}"
    manifest: dict[str, Any] = json.loads(manifest_path.read_text()) if resume else {
        "kind": "calibration",
        "name": c.name,
        "calibration": {"file": str(cf.path), "sha256": cf.sha256, "text": cf.text},
        "seed": c.seed,
        "replications": c.replications,
        "population": c.population,
        "generations": c.generations,
        "parameters": list(c.priors),
        "chosen": "weighted posterior median of each parameter",
        "started": _now(),
        "sessions": [],
    }
    session = {"started": _now(), "resume": resume, "environment": environment(), "pilot": plan.pilot}
    manifest["sessions"].append(session)
    manifest["status"] = "running"
    _write_json(manifest_path, manifest)

    level = logging.getLogger("ABC").level
    if quiet:
        logging.getLogger("ABC").setLevel(logging.WARNING)
    start = time.perf_counter()
    try:
        with global_rng_guard(c.seed), open_mapper(executor, n_workers, scheduler, scheduler_file) as (mapper, described):
            sampler = SeededMappingSampler(mapper, c.seed)
            session["sampler"] = {"class": "SeededMappingSampler (pyabc MappingSampler, tasks seeded from the calibration seed)", **described}
            _write_json(manifest_path, manifest)
            abc = build_abc(plan, sampler)
            done = 0
            if resume:
                import pyabc

                history = pyabc.History(db_url, create=False)
                abc.load(db_url, history.id)
                done = abc.history.n_populations
            else:
                abc.new(db_url, {}, meta_info={"calibration": c.name, "sha256": cf.sha256})
            remaining = c.generations - done
            last_eps = _last_epsilon(abc.history)
            if remaining > 0 and not (last_eps is not None and last_eps <= c.minimum_epsilon):
                abc.run(minimum_epsilon=c.minimum_epsilon, max_nr_populations=remaining, min_acceptance_rate=c.min_acceptance_rate)
            history = abc.history
            session["finished"] = _now()
            session["seconds"] = round(time.perf_counter() - start, 3)
            write_tables(root, history, c)
            manifest["status"] = "complete"
            manifest["finished"] = session["finished"]
            manifest["abc_id"] = int(history.id)
            manifest["generations_done"] = int(history.n_populations)
            manifest["total_simulations"] = int(history.total_nr_simulations)
            chosen = write_overlay(root, c, cf.sha256)
            manifest["chosen_values"] = chosen
            if figures:
                from simulation.calibration.figures import write_figures

                manifest["figures"] = write_figures(root, plan, history, mapper)
    finally:
        logging.getLogger("ABC").setLevel(level)
        if manifest.get("status") != "complete":
            manifest["status"] = "interrupted"
        _write_json(manifest_path, manifest)
    return root


def _last_epsilon(history: Any) -> float | None:
    if history.n_populations == 0:
        return None
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return float(pops["epsilon"].iloc[-1]) if len(pops) else None


def particles(history: Any, t: int) -> pd.DataFrame:
    """Generation ``t`` as a table: particle, weight, parameters, score terms, distance."""
    rows = []
    for k, particle in enumerate(history.get_population(t=t).particles):
        stats = particle.sum_stat
        rows.append({"generation": t, "particle": k, "weight": float(particle.weight),
                     **{str(name): float(value) for name, value in particle.parameter.items()},
                     **{name: float(v) for name, v in stats.items() if name.startswith(SCORE_PREFIX)},
                     DISTANCE: float(particle.distance)})
    table = pd.DataFrame(rows)
    table["weight"] = table["weight"] / table["weight"].sum()
    return table


def write_tables(root: Path, history: Any, c: Calibration) -> None:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    frames = [particles(history, int(t)) for t in pops["t"]]
    all_gens = pd.concat(frames, ignore_index=True)
    all_gens.to_csv(root / GENERATIONS, index=False, float_format="%.17g")
    frames[-1].to_csv(root / POSTERIOR, index=False, float_format="%.17g")
    table = pd.DataFrame({
        "generation": pops["t"].astype(int),
        "epsilon": pops["epsilon"].astype(float),
        "particles": pops["particles"].astype(int),
        "simulations": pops["samples"].astype(int),
    })
    table["acceptance_rate"] = table["particles"] / table["simulations"]
    table.to_csv(root / POPULATIONS, index=False, float_format="%.17g")


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The smallest value whose cumulative weight reaches half (ties broken by order)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cum, 0.5)])


def chosen_values(posterior: pd.DataFrame, paths: list[str]) -> dict[str, float]:
    w = posterior["weight"].to_numpy(dtype=float)
    return {p: weighted_median(posterior[p].to_numpy(dtype=float), w) for p in paths}


def write_overlay(root: Path, c: Calibration, sha: str) -> dict[str, float]:
    posterior = pd.read_csv(root / POSTERIOR)
    chosen = chosen_values(posterior, list(c.priors))
    header = (f"# Calibrated parameters of '{c.name}' (calibration file sha256 {sha[:12]}):\n"
              "# the weighted posterior median of each parameter in the last generation.\n"
              "# Use it from a scenario with a top-level key  include: [path/to/overlay.yaml]\n"
              "# (the scenario's own keys win over the overlay's).\n")
    body = yaml.safe_dump({k: float(v) for k, v in chosen.items()}, sort_keys=False, default_flow_style=False)
    (root / OVERLAY).write_text(header + body)
    return chosen


def calibrate_command(path: str, **kwargs: Any) -> int:
    """The CLI handler.  Ctrl-C and SIGTERM stop the workers and exit 130 / 143 with the resume
    command: pyabc has stored every finished generation, only the one in progress is lost."""
    from simulation.calibration.sampler import terminate_workers

    received: list[int] = []

    def terminate(signal_number: int, frame: Any) -> None:
        received.append(signal_number)
        if not terminate_workers():  # serial or dask: unwind from here, as Ctrl-C does
            raise Interrupted(signal_number)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        root = calibrate(path, **kwargs)
    except BaseException as exc:
        if not (received or isinstance(exc, KeyboardInterrupt)):
            raise
        again = f"alliance-sim calibrate {path} --resume" + (f" --out {kwargs['out']}" if kwargs.get("out") else "")
        print(f"interrupted: the finished generations are kept (the one in progress is lost); continue with: {again}",
              file=sys.stderr)
        return 128 + (received[0] if received else signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)
    populations = pd.read_csv(root / POPULATIONS)
    chosen = yaml.safe_load((root / OVERLAY).read_text())
    last = populations.iloc[-1]
    print(f"calibration done: {len(populations)} generation(s), last epsilon {last['epsilon']:.4g}, "
          f"{int(populations['simulations'].sum())} particle evaluations")
    for key, value in chosen.items():
        print(f"  {key} = {value:.6g}")
    print(f"results: {root}/ (posterior.csv, overlay.yaml, figures/, manifest.json)")
    return 0


__all__ = ["calibrate", "calibrate_command", "build_abc", "prior_rv", "chosen_values", "weighted_median"]
