"""The run table: one row per scenario x design point x replication, with stable ids.

A plan is derived only from the experiment file and the scenario files it names, so the
same files always give the same plan: ``--resume`` and ``reproduce`` rebuild it and find the
same run ids, seeds and parameter values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulation.errors import ScenarioError, UserError
from simulation.experiments.design import DesignPoints, sample
from simulation.experiments.schema import WORLD, ExperimentFile
from simulation.experiments.seeds import design_seed, group_seeds, replication_seeds, seed_groups

#: Size limits of one experiment (docs/limits.md), checked before anything is sampled or
#: written: planning, the manifest and summary.csv grow with the number of runs.  A larger
#: study is split into several experiments (e.g. by seed).
MAX_REPLICATIONS = 10_000
MAX_DESIGN_POINTS = 100_000
MAX_RUNS = 100_000

#: Minimum zero-padding of point and replication numbers in run ids (ids sort in plan order).
POINT_DIGITS = 4
REPLICATION_DIGITS = 3


@dataclass(frozen=True)
class Run:
    """One simulation: a scenario, a design point, a replication and its seed."""

    run_id: str
    scenario: str
    point: int
    replication: int
    seed: int


@dataclass(frozen=True)
class Plan:
    """Everything needed to execute (or re-execute) every run of an experiment."""

    source: ExperimentFile
    scenario_texts: dict[str, str]
    points: DesignPoints
    seeds: tuple[int, ...]
    design_seed: int
    runs: tuple[Run, ...]
    #: The texts parsed, once (``scenario_data``).
    parsed: dict[str, dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    @property
    def labels(self) -> list[str]:
        return list(self.scenario_texts)

    def scenario_data(self) -> dict[str, dict[str, Any]]:
        """The resolved scenarios as plain data (parsed from the texts the results folder keeps),
        parsed once: the sweep reads them several times (record, memory, batches).  Callers
        only read them (a worker applies its overrides to a copy)."""
        if self.parsed is None:
            object.__setattr__(self, "parsed", parse_texts(self.scenario_texts))
        assert self.parsed is not None
        return self.parsed


def parse_texts(texts: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Resolved scenario texts as plain data, by label."""
    return {label: yaml.safe_load(text) for label, text in texts.items()}


def run_id(label: str, point: int, replication: int, n_points: int, n_replications: int) -> str:
    """A stable, sortable, file-name-safe id such as ``control-p0000-r007``."""
    pw = max(POINT_DIGITS, len(str(n_points - 1)))
    rw = max(REPLICATION_DIGITS, len(str(n_replications - 1)))
    return f"{label}-p{point:0{pw}d}-r{replication:0{rw}d}"


def make_runs(labels: list[str], n_points: int, seeds: list[int], point_seeds: list[list[int]] | None = None) -> tuple[Run, ...]:
    """The runs in execution order: point-major, then replication, then scenario.

    Interleaving scenarios keeps partial results (and the ETA) balanced across scenarios.
    Replication ``k`` has seed ``seeds[k]`` whatever the scenario and point (common random
    numbers), or ``point_seeds[p][k]`` at point ``p`` when points have seeds of their own.
    """
    return tuple(
        Run(run_id(label, point, rep, n_points, len(seeds)), label, point, rep, seed)
        for point in range(n_points)
        for rep, seed in enumerate(seeds if point_seeds is None else point_seeds[point])
        for label in labels
    )


def _overrides(pairs: dict[str, Any], where: tuple[Any, ...]) -> list[tuple[Any, tuple[Any, ...]]]:
    """Scenario overrides, each with the experiment-file key path it was written at (so a
    value the scenario schema refuses is reported at its line)."""
    from simulation.scenario_io import Override

    out = []
    for key, value in pairs.items():
        parts = tuple(int(p) if p.isdigit() else p for p in str(key).split("."))
        loc = (*where, key)
        out.append((Override(parts, value, ".".join(map(str, loc))), loc))
    return out


def _included(source: ExperimentFile, index: int) -> list[tuple[Any, tuple[Any, ...]]]:
    """The overlays a scenario entry includes (``include:``, relative to the experiment file),
    read as scenario files read theirs (``scenario_io``), each value blamed on the entry's line."""
    from simulation.scenario_io import ScenarioSource, _included_overrides

    paths = source.experiment.scenarios[index].include
    if not paths:
        return []
    where = ScenarioSource(file=str(source.path), base_dir=source.path.parent)
    where.lines = {("include", i): source.line("scenarios", index, "include", i) for i in range(len(paths))}
    where.lines[("include",)] = source.line("scenarios", index, "include")
    try:
        found = _included_overrides({"include": list(paths)}, where, source.path)
    except ScenarioError as exc:
        raise source.error(exc.detail, "scenarios", index, "include") from None
    return [(o, ("scenarios", index, "include")) for o in found]


def _blame(exc: ScenarioError, overrides: list[tuple[Any, tuple[Any, ...]]]) -> tuple[Any, ...] | None:
    """The experiment-file key path of the override an error names (``(from ...)``/``(after ...)``)."""
    for override, loc in reversed(overrides):
        if f"from {override.origin})" in exc.detail:
            return loc
    for override, loc in reversed(overrides):
        if override.origin in exc.detail:
            return loc
    at = tuple(str(p) for p in (exc.path or "").split(".") if p)
    for override, loc in reversed(overrides):  # e.g. an unknown leader found when the model is built
        mine = tuple(map(str, override.path))
        if at and at[:len(mine)] == mine:
            return loc
    return None


def _hint(exc: ScenarioError) -> str:
    """A pointer for the commonest mistake when recasting an institution by overrides."""
    if (exc.path or "").endswith(".leader") and "should be None" in exc.detail:
        return f"; a dialogue platform has no leader: also override {exc.path}: null"
    return ""


def _load_checked(path: Path, overrides: list[Any]) -> Any:
    """The scenario at ``path`` with ``overrides``, validated and built for 0 steps."""
    from simulation.scenario_io import check_scenario, load_scenario_with_source

    scenario, where = load_scenario_with_source(path, overrides)
    check_scenario(scenario, where)
    return scenario


def _resolve(source: ExperimentFile) -> dict[str, Any]:
    """The resolved ``Scenario`` of each entry, by label.  Order: the scenario file, the
    experiment's ``overrides``, its ``steps``, then the entry's own ``overrides`` (the design
    point comes later, per run).  A value that makes a scenario invalid is reported at the
    line of the experiment-file key that set it; every entry is built once (0 steps), so the
    names it uses are checked before anything runs."""
    exp = source.experiment
    common = _overrides(dict(exp.overrides), ("overrides",))
    if exp.steps is not None:
        common += _overrides({"steps": exp.steps}, ())
    scenarios: dict[str, Any] = {}
    for index, entry in enumerate(exp.scenarios):
        label = entry.name
        mapping_form = ("scenarios", index, "file") in source.lines
        at_entry = ("scenarios", index, "file") if mapping_form else ("scenarios", index)
        path = source.scenario_path(index)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "not found"
            raise source.error(f"scenario file {what}: {path}; expected a scenario file, relative to the experiment file", *at_entry)
        own = _included(source, index) + _overrides(dict(entry.overrides), ("scenarios", index, "overrides"))
        overrides = common + own
        try:
            scenarios[label] = _load_checked(path, [o for o, _ in overrides])
        except ScenarioError as exc:
            loc = _blame(exc, overrides)
            if loc is None and own:
                try:  # valid without the entry's own overrides: one of them (or their combination) is the cause
                    _load_checked(path, [o for o, _ in common])
                    loc = ("scenarios", index, "overrides")
                except ScenarioError:
                    pass
            if loc is None:
                raise UserError(f"scenario {label}: {exc}", file=str(source.path), line=source.line(*at_entry),
                                path=".".join(map(str, at_entry))) from None
            detail = exc.detail
            for override, _ in overrides:
                detail = detail.replace(f" (from {override.origin})", "")
            inside = f"{exc.path}: " if exc.path else ""
            raise source.error(f"scenario {label} ({entry.file}): {inside}{detail}{_hint(exc)}", *loc) from None
    return scenarios


@dataclass(frozen=True)
class _Probe:
    """Values to try for every parameter.  For a sampled design: which ``bound`` is tried
    (``low``/``high``; ``middle``: all at their midpoints) and ``varied``, the one parameter
    at that bound (the others at their midpoints; ``None``: all at the bound), blamed when the
    error does not name a parameter."""

    values: dict[str, Any]
    bound: str | None = None
    varied: str | None = None


def _probes(source: ExperimentFile, points: DesignPoints) -> list[_Probe]:
    """What to build before running: every point of a grid; for a sampled design, all
    parameters at their midpoints (so a wrong path is found there, whatever the bounds), each
    parameter at its low and at its high bound with the others at their midpoints, and all
    at once at the low and at the high bounds."""
    design = source.experiment.design
    if design.type == "grid":
        return [_Probe(points.values(i)) for i in range(len(points))]

    def at(spec: Any, value: float) -> Any:
        return int(round(value)) if spec.integer else float(value)

    middle = {p: at(s, (s.low + s.high) / 2.0) for p, s in design.parameters.items()}
    probes = [_Probe(middle, "middle")]
    for bound in ("low", "high"):
        for path, spec in design.parameters.items():
            probes.append(_Probe({**middle, path: at(spec, getattr(spec, bound))}, bound, path))
    for bound in ("low", "high"):
        probes.append(_Probe({p: at(s, getattr(s, bound)) for p, s in design.parameters.items()}, bound))
    return probes


def check_design(source: ExperimentFile, scenarios: dict[str, Any], points: DesignPoints) -> None:
    """Build every scenario (0 steps) at the design's values before anything runs: every
    point of a grid, each sampled parameter's bounds.  A wrong parameter path, a value out of
    range or a value that breaks the scenario (more founders than states) is reported with
    the line of the parameter and the value.  ``scenarios``: the resolved ``Scenario`` of
    each label.  Each distinct set of values is built once."""
    if not points.columns:
        return
    bases = {label: scenario.model_dump(mode="json") for label, scenario in scenarios.items()}
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for probe in _probes(source, points):
        for label, base in bases.items():
            key = (label, tuple(sorted((p, repr(v)) for p, v in probe.values.items())))
            if key in seen:
                continue
            seen.add(key)
            problem = _build_at(base, label, probe.values)
            if problem is not None:
                raise _design_error(source, base, label, probe, problem)


def _build_at(base: dict[str, Any], label: str, values: dict[str, Any]) -> UserError | None:
    """The error of building the resolved scenario ``base`` (as data) with the design
    ``values`` (None when it builds)."""
    from simulation.scenario_io import Override, check_scenario, scenario_from_dict

    overrides = [Override(tuple(int(p) if p.isdigit() else p for p in path.split(".")), value, f"design.parameters.{path}")
                 for path, value in values.items()]
    try:
        check_scenario(scenario_from_dict(base, f"scenario {label}", overrides=overrides), f"scenario {label}")
    except UserError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - the model refused these values in a way it does not describe
        return UserError(f"building the model failed ({type(exc).__name__}: {exc})")
    return None


def _design_error(source: ExperimentFile, base: dict[str, Any], label: str, probe: _Probe, exc: UserError) -> UserError:
    """The message for a design value that breaks a scenario, at the line of the value."""
    design = source.experiment.design
    at = exc.path or ""
    param = next((p for p in probe.values if at and (at == p or at.startswith(p + "."))), None)
    param = param or next((p for p in probe.values if at and p.startswith(at + ".")), None)
    if param is None and probe.varied is not None:
        param = probe.varied
    if param is None and len(probe.values) > 1:  # a grid point: the parameter that fails on its own
        param = next((p for p in probe.values if _build_at(base, label, {p: probe.values[p]}) is not None), None)
    if param is None and len(probe.values) == 1:
        param = next(iter(probe.values))
    detail = re.sub(r" \((?:from|after) design\.parameters\.[^()]*\)", "", exc.detail)
    inside = f" ({at})" if at and at != param else ""
    if param is None:
        shown = ", ".join(f"{p} = {v!r}" for p, v in probe.values.items())
        return source.error(f"the design point {shown} breaks scenario {label}{inside}: {detail}", "design", "parameters")
    value = probe.values[param]
    spec = design.parameters[param]
    if design.type == "grid":
        index = next((i for i, v in enumerate(spec.values) if v is value), None)  # points hold the listed objects
        value_key: tuple[Any, ...] = ("values", index) if index is not None else ()
        what = f"the value {value!r}"
    elif probe.bound == "middle":
        value_key = ()
        what = f"the value {value!r} (the midpoint of low and high)"
    elif probe.varied in (None, param):
        value_key = (probe.bound,)
        what = f"the {probe.bound} bound {value!r}"
        if len(probe.values) > 1:
            what += " (the other parameters at their midpoints)" if probe.varied else f" (every parameter at its {probe.bound} bound)"
    else:
        value_key = ()
        what = f"the midpoint {value!r} (with {probe.varied} at its {probe.bound} bound)"
    loc = ("design", "parameters", param)
    return UserError(f"{what} breaks scenario {label}{inside}: {detail}", file=str(source.path),
                     line=source.line(*loc, *value_key), path=".".join(map(str, loc)))


def check_metrics(source: ExperimentFile, scenario_data: dict[str, dict[str, Any]]) -> None:
    """Every summarised or plotted metric must exist at its scope in at least one scenario
    (a misspelt name would otherwise give a column of blanks).  ``scenario_data``: the
    resolved scenarios as plain data (``parse_texts``)."""
    from simulation import metrics  # the registry of names only; the model is not imported

    institutions = sorted({name for data in scenario_data.values() for name in (data.get("institutions") or {})})
    refs = [(m, ("summary", "metrics", i)) for i, m in enumerate(source.experiment.summary.metrics)]
    for f, fig in enumerate(source.experiment.figures or ()):
        refs += [(m, ("figures", f, "metrics", i)) for i, m in enumerate(fig.metrics or ())]
    for ref, loc in refs:
        if ref.scope == WORLD:
            known = metrics.WORLD
            if ref.metric not in known and ref.metric in metrics.INSTITUTION:
                raise source.error(f"{ref.metric} is an institution metric; expected '{ref.metric}@<institution>' with one of {institutions}", *loc)
        else:
            known = metrics.INSTITUTION
            if ref.scope not in institutions:
                raise source.error(f"no scenario has an institution {ref.scope!r}; expected 'world' or one of {institutions}", *loc)
        if ref.metric not in known:
            raise source.error(f"unknown {ref.scope if ref.scope == WORLD else 'institution'} metric {ref.metric!r}; expected one of {sorted(known)}", *loc)


def check_size(source: ExperimentFile) -> None:
    """Refuse an experiment over the size limits, or a sampled range whose width overflows,
    before any point is drawn (the count comes from the design block alone)."""
    from simulation.experiments.design import expected_size

    exp = source.experiment
    design = exp.design
    if exp.replications > MAX_REPLICATIONS:
        raise source.error(f"expected at most {MAX_REPLICATIONS:,} replications (got {exp.replications:,}; see docs/limits.md)", "replications")
    if design.type not in ("none", "grid"):
        for path, spec in design.parameters.items():
            if not math.isfinite(spec.high - spec.low):
                raise source.error(f"the range from {spec.low:g} to {spec.high:g} is too wide to sample (high - low overflows); "
                                   "expected bounds whose difference is a finite number", "design", "parameters", path, "high")
    points = expected_size(design)
    if points > MAX_DESIGN_POINTS:
        raise source.error(f"the {design.type} design has {points:,} points; expected at most {MAX_DESIGN_POINTS:,} (see docs/limits.md)",
                           "design", "samples" if design.type != "grid" else "parameters")
    runs = points * exp.replications * len(exp.scenarios)
    if runs > MAX_RUNS:
        raise source.error(f"{len(exp.scenarios)} scenario(s) x {points:,} design point(s) x {exp.replications:,} replication(s) "
                           f"= {runs:,} runs; expected at most {MAX_RUNS:,} runs in one experiment (split it into several; "
                           "see docs/limits.md)", "replications")


def build_plan(source: ExperimentFile, scenario_dir: Path | None = None) -> Plan:
    """Check the size, resolve scenarios, sample the design, spawn seeds and lay out the runs."""
    exp = source.experiment
    from simulation.scenario_io import dump_resolved

    check_size(source)
    scenarios = _resolve(source)
    texts = {label: dump_resolved(scenario, relative_to=scenario_dir) for label, scenario in scenarios.items()}
    dseed = design_seed(exp.seed)
    points = sample(exp.design, dseed)
    check_design(source, scenarios, points)
    parsed = parse_texts(texts)
    check_metrics(source, parsed)
    seeds = replication_seeds(exp.seed, exp.replications)
    d = len(exp.design.parameters)
    block = (2 * d + 2 if exp.design.second_order else d + 2) if exp.design.type == "sobol" else None
    groups = seed_groups(exp.design.seed_per, len(points), d + 1, sobol_block=block)
    by_group = {g: group_seeds(exp.seed, g, exp.replications) for g in sorted(set(groups or ()))}
    runs = make_runs(list(texts), len(points), seeds, None if groups is None else [by_group[g] for g in groups])
    return Plan(source, texts, points, tuple(seeds), dseed, runs, parsed)
