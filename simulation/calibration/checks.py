"""Everything checked before a calibration starts, each mistake one message ``file:line: key: ...``.

- every import path (simulator, scores, size readers) resolves to a function;
- every hindcast scenario exists and validates with its overrides;
- every prior path is a real-valued parameter of every hindcast: the override machinery of
  ``--set`` applies the prior's midpoint and the scenario schema validates it;
- every prior's support lies inside the schema's bounds: the scenario validates at both ends;
- the record exists, has the columns ``institution, year, state`` and is not empty once
  restricted to the fitted institutions and years;
- a pilot evaluation (one replication at the prior midpoints) runs and gives a finite distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.calibration.evaluate import ParticleModel, resolve
from simulation.calibration.schema import CalibrationFile, LogUniformPrior, NormalPrior, Prior
from simulation.errors import ScenarioError, UserError
from simulation.experiments.schema import RUN_SEED
from simulation.scenario import Scenario
from simulation.scenario_io import MAX_OBSERVED_FILE_BYTES, load_scenario, read_csv_bounded, with_overrides

RECORD_COLUMNS = ("institution", "year", "state")
#: Where in a prior's support the second probe value lies (irrational-looking, never a whole number for whole-number ends).
PROBE = 0.3819660112501051


@dataclass(frozen=True)
class CalibrationPlan:
    """A checked calibration: the file, the particle model and the prior midpoints."""

    source: CalibrationFile
    model: ParticleModel
    midpoint: dict[str, float]
    pilot: dict[str, float]


def midpoint(prior: Prior) -> float:
    """A point inside the support (geometric mean for loguniform, mean clipped for normal)."""
    if isinstance(prior, LogUniformPrior):
        return math.sqrt(prior.low * prior.high)
    if isinstance(prior, NormalPrior):
        return min(max(prior.mean, prior.low), prior.high)
    return 0.5 * (prior.low + prior.high)


def _check_imports(cf: CalibrationFile) -> None:
    c = cf.calibration
    named = [(c.simulator, ("simulator",)), *((t.score, ("distance", i, "score")) for i, t in enumerate(c.distance)),
             (c.fan_chart.simulated_sizes, ("fan_chart", "simulated_sizes")), (c.fan_chart.observed_sizes, ("fan_chart", "observed_sizes"))]
    for path, loc in named:
        try:
            fn = resolve(path)
        except (ImportError, AttributeError) as exc:
            raise cf.error(f"cannot import {path} ({exc}); expected package.module:function", *loc) from None
        if not callable(fn):
            raise cf.error(f"{path} is not a function; expected package.module:function", *loc)


def _load_hindcasts(cf: CalibrationFile) -> tuple[tuple[str, Scenario], ...]:
    out = []
    for i, entry in enumerate(cf.calibration.hindcasts):
        path = cf.resolve(entry.file)
        if not path.is_file():
            raise cf.error(f"no such scenario file {path}; expected a path relative to the calibration file", "hindcasts", i, "file")
        if RUN_SEED in entry.overrides:
            raise cf.error("cannot set the run seed: each particle's model seeds derive from the calibration 'seed'", "hindcasts", i, "overrides", RUN_SEED)
        overrides = dict(entry.overrides)
        if entry.steps is not None:
            overrides["steps"] = entry.steps
        scenario = load_scenario(path, overrides)  # ScenarioError names the scenario file and line
        out.append((entry.name, scenario))
    return tuple(out)


def _check_priors(cf: CalibrationFile, hindcasts: tuple[tuple[str, Scenario], ...]) -> dict[str, float]:
    mid: dict[str, float] = {}
    for path, prior in cf.calibration.priors.items():
        if path == RUN_SEED or path.split(".")[0] == RUN_SEED:
            raise cf.error("cannot calibrate the run seed; expected a model parameter path", "priors", path)
        mid[path] = midpoint(prior)
        # the midpoint, and an interior point that is not a round number (an integer field
        # accepts 2.0 but not 1.76)
        probes = (mid[path], prior.low + PROBE * (prior.high - prior.low))
        for label, scenario in hindcasts:
            for probe in probes:
                try:
                    inside = with_overrides(scenario, {path: probe}, source=label)
                except ScenarioError as exc:
                    raise cf.error(f"not a real-valued parameter of hindcast {label!r}: {exc.detail}", "priors", path) from None
                if _value_at(inside, path) != probe:
                    raise cf.error(f"hindcast {label!r} does not take real values at {path} (it stored {_value_at(inside, path)!r} "
                                   f"for {probe!r}); expected a real-valued parameter", "priors", path)
            for end in (prior.low, prior.high):
                try:
                    with_overrides(scenario, {path: float(end)}, source=label)
                except ScenarioError as exc:
                    raise cf.error(f"the prior's support [{prior.low}, {prior.high}] lies outside the schema's bounds "
                                   f"(hindcast {label!r} refuses {end}: {exc.detail})", "priors", path) from None
    return mid


def _value_at(scenario: Scenario, path: str) -> object:
    node: object = scenario.model_dump(mode="python")
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]  # type: ignore[index]
    return node


def load_record(cf: CalibrationFile) -> pd.DataFrame:
    """The record restricted to the fitted institutions and years (checked not empty)."""
    obs = cf.calibration.observed
    path = cf.resolve(obs.file)
    if path.is_dir() or not path.exists():  # anything else is read within the limits (a FIFO, a device: refused)
        raise cf.error(f"no such record file {path}; expected a CSV relative to the calibration file", "observed", "file")
    try:
        record = read_csv_bounded(path, MAX_OBSERVED_FILE_BYTES, f"an observed record CSV ({', '.join(RECORD_COLUMNS)})")
    except UserError as exc:
        raise cf.error(f"cannot read the record {exc}", "observed", "file") from None
    missing = [c for c in RECORD_COLUMNS if c not in record.columns]
    if missing:
        raise cf.error(f"the record {path} lacks the column(s) {', '.join(missing)}; expected at least {', '.join(RECORD_COLUMNS)}", "observed", "file")
    if obs.institutions is not None:
        unknown = sorted(set(obs.institutions) - set(record["institution"].astype(str)))
        if unknown:
            raise cf.error(f"no rows for {', '.join(unknown)} in the record; expected institutions among "
                           f"{sorted(set(record['institution'].astype(str)))}", "observed", "institutions")
        record = record[record["institution"].isin(obs.institutions)]
    if obs.years is not None:
        record = record[record["year"].between(obs.years[0], obs.years[1])]
    if record.empty:
        where = ("observed", "years") if obs.years is not None else ("observed", "file")
        raise cf.error("the record is empty (no member rows for the fitted institutions and years); expected a non-empty record", *where)
    return record.reset_index(drop=True)


def check_calibration(cf: CalibrationFile, *, pilot: bool = True) -> CalibrationPlan:
    """Run every check; return the plan the calibration runs (raises ``UserError``)."""
    c = cf.calibration
    _check_imports(cf)
    hindcasts = _load_hindcasts(cf)
    mid = _check_priors(cf, hindcasts)
    record = load_record(cf)
    model = ParticleModel(hindcasts=hindcasts, simulator=c.simulator, terms=tuple(c.distance), observed=record,
                          replications=c.replications, seed=c.seed)
    stats: dict[str, float] = {}
    if pilot:
        try:
            simulated = model.simulate(mid, replications=1)
        except UserError:
            raise
        except Exception as exc:  # a user's simulator: its failure is a message about the file
            raise cf.error(f"the pilot run at the prior midpoints failed: {type(exc).__name__}: {exc}", "simulator") from None
        try:
            stats = model.scores(simulated)
        except Exception as exc:
            raise cf.error(f"a score failed on the pilot run at the prior midpoints: {type(exc).__name__}: {exc}", "distance") from None
        if not math.isfinite(stats["distance"]):
            raise cf.error(f"the pilot run's distance is not finite ({stats}); expected finite scores", "distance")
    return CalibrationPlan(source=cf, model=model, midpoint=mid, pilot=stats)


__all__ = ["CalibrationPlan", "check_calibration", "load_record", "midpoint"]
