"""The run table: one row per scenario x design point x replication, with stable ids.

A plan is derived only from the experiment file and the scenario files it names, so the
same files always give the same plan: ``--resume`` and ``reproduce`` rebuild it and find the
same run ids, seeds and parameter values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulation.errors import ScenarioError, UserError
from simulation.experiments.design import DesignPoints, sample
from simulation.experiments.schema import WORLD, ExperimentFile
from simulation.experiments.seeds import design_seed, replication_seeds

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

    @property
    def labels(self) -> list[str]:
        return list(self.scenario_texts)

    def scenario_data(self) -> dict[str, dict[str, Any]]:
        """The resolved scenarios as plain data (parsed from the texts the results folder keeps)."""
        return {label: yaml.safe_load(text) for label, text in self.scenario_texts.items()}


def run_id(label: str, point: int, replication: int, n_points: int, n_replications: int) -> str:
    """A stable, sortable, file-name-safe id such as ``control-p0000-r007``."""
    pw = max(POINT_DIGITS, len(str(n_points - 1)))
    rw = max(REPLICATION_DIGITS, len(str(n_replications - 1)))
    return f"{label}-p{point:0{pw}d}-r{replication:0{rw}d}"


def make_runs(labels: list[str], n_points: int, seeds: list[int]) -> tuple[Run, ...]:
    """The runs in execution order: point-major, then replication, then scenario.

    Interleaving scenarios keeps partial results (and the ETA) balanced across scenarios.
    Replication ``k`` has seed ``seeds[k]`` whatever the scenario and point: common random
    numbers.
    """
    return tuple(
        Run(run_id(label, point, rep, n_points, len(seeds)), label, point, rep, seed)
        for point in range(n_points)
        for rep, seed in enumerate(seeds)
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


def resolve_scenarios(source: ExperimentFile, scenario_dir: Path | None = None) -> dict[str, str]:
    """Load each scenario entry with its overrides and return its resolved YAML text (every
    default written out), by label.  Order: the scenario file, the experiment's
    ``overrides``, its ``steps``, then the entry's own ``overrides`` (the design point comes
    later, per run).  File paths inside (a distance file) are written relative to
    ``scenario_dir``, where the texts are stored with the results.

    A value that makes a scenario invalid is reported at the line of the experiment-file key
    that set it; an entry with its own overrides is also built once (0 steps), so a state
    name it introduces (a leader) is checked before anything runs."""
    from simulation.scenario_io import check_scenario, dump_resolved, load_scenario

    exp = source.experiment
    common = _overrides(dict(exp.overrides), ("overrides",))
    if exp.steps is not None:
        common += _overrides({"steps": exp.steps}, ())
    texts: dict[str, str] = {}
    for index, entry in enumerate(exp.scenarios):
        label = entry.name
        mapping_form = ("scenarios", index, "file") in source.lines
        at_entry = ("scenarios", index, "file") if mapping_form else ("scenarios", index)
        path = source.scenario_path(index)
        if not path.is_file():
            raise source.error(f"scenario file not found: {path}; expected a path relative to the experiment file", *at_entry)
        own = _overrides(dict(entry.overrides), ("scenarios", index, "overrides"))
        overrides = common + own
        try:
            scenario = load_scenario(path, [o for o, _ in overrides])
            if own:
                check_scenario(scenario, str(path))
        except ScenarioError as exc:
            loc = _blame(exc, overrides)
            if loc is None and own:
                try:  # valid without the entry's own overrides: one of them (or their combination) is the cause
                    load_scenario(path, [o for o, _ in common])
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
        texts[label] = dump_resolved(scenario, relative_to=scenario_dir)
    return texts


def check_design(source: ExperimentFile, scenario_texts: dict[str, str], points: DesignPoints) -> None:
    """Validate every scenario at the design's extreme values, so a wrong parameter path or
    an out-of-range bound is reported before anything runs."""
    from simulation.scenario_io import scenario_from_dict

    design = source.experiment.design
    if not points.columns:
        return
    probes: list[dict[str, Any]] = []
    if design.type == "grid":
        longest = max(len(spec.values) for spec in design.parameters.values())
        for i in range(longest):
            probes.append({p: spec.values[min(i, len(spec.values) - 1)] for p, spec in design.parameters.items()})
    else:
        for bound in ("low", "high"):
            probes.append({p: (round(getattr(s, bound)) if s.integer else getattr(s, bound)) for p, s in design.parameters.items()})
    for label, text in scenario_texts.items():
        base = yaml.safe_load(text)
        for probe in probes:
            try:
                scenario_from_dict(base, f"scenario {label}", overrides=probe)
            except UserError as exc:
                param = next((p for p in probe if exc.path and (exc.path == p or exc.path.startswith(p + "."))), None)
                param = param or next((p for p in probe if exc.path and p.startswith(exc.path)), None)
                loc = ("design", "parameters", param) if param else ("design", "parameters")
                raise source.error(f"in scenario {label}: {exc.detail}{' (' + exc.path + ')' if exc.path and not param else ''}", *loc) from None


def check_metrics(source: ExperimentFile, scenario_texts: dict[str, str]) -> None:
    """Every summarised or plotted metric must exist at its scope in at least one scenario
    (a misspelt name would otherwise give a column of blanks)."""
    from simulation import metrics  # the registry of names only; the model is not imported

    institutions = sorted({name for text in scenario_texts.values() for name in (yaml.safe_load(text).get("institutions") or {})})
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


def build_plan(source: ExperimentFile, scenario_dir: Path | None = None) -> Plan:
    """Resolve scenarios, sample the design, spawn seeds and lay out the runs."""
    exp = source.experiment
    texts = resolve_scenarios(source, scenario_dir)
    dseed = design_seed(exp.seed)
    points = sample(exp.design, dseed)
    check_design(source, texts, points)
    check_metrics(source, texts)
    seeds = replication_seeds(exp.seed, exp.replications)
    runs = make_runs(list(texts), len(points), seeds)
    return Plan(source, texts, points, tuple(seeds), dseed, runs)
