"""The experiment file: which scenarios, which design, how many replications, what to summarise.

Like the scenario schema, every block is a frozen pydantic model with ``extra="forbid"``
(a misspelt key is an error), validated once when the file is read.  Each field's
``description`` is its documentation (``docs/experiments.md`` mirrors it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, StrictInt, ValidationError, ValidationInfo, field_validator, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from simulation.errors import UserError
from simulation.experiments.yamllines import KeyPath, load_yaml_with_lines, validation_error

#: Experiment names become folder names, so they are restricted to portable characters.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: The scope of world-level metrics; any other scope is an institution name.
WORLD = "world"
#: Separates metric and scope in a metric reference such as ``cohesion@Atlantic``.
SCOPE_SEPARATOR = "@"
#: Opens the step range of a metric summarised over its own steps, e.g. ``dispute_rate[51-100]``.
STEPS_OPEN = "["

Scalar = bool | int | float | str
#: The scenario key the run seed goes to; an experiment sets it per replication, never by path.
RUN_SEED = "seed"
SEED_REFUSED = ("cannot set the run seed: each run's seed derives from the experiment's root 'seed' (replication k "
                "gets the same seed in every scenario and design point); expected another path (to vary seeds, change "
                "'seed' or 'replications'; world.seed fixes the generated world)")
DesignType = Literal["none", "grid", "lhs", "sobol", "morris"]
SeedPer = Literal["replication", "point", "trajectory", "sample"]
Statistic = Literal["mean", "final", "min", "max", "sum"]
FigureKind = Literal["comparison", "differences", "timeseries", "heatmap", "sobol", "morris"]


def problem(message: str, *at: Any) -> PydanticCustomError:
    """A validation error placed at key path ``at`` below the model that raises it (so a
    check across keys is reported at the key it is about, not at the model's first line)."""
    return PydanticCustomError("experiment_check", "{message}", {"message": message, "at": at})


#: Validation context of settings read back from a manifest: checks that only guard new input
#: (the run seed) are skipped, so results written before a check existed stay readable.
STORED = {"stored": True}


def _checking_input(info: ValidationInfo) -> bool:
    return not (isinstance(info.context, dict) and info.context.get("stored"))


class Frozen(BaseModel):
    """Base for every block: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricRef(Frozen):
    """One metric at one scope: ``world`` or an institution's name."""

    metric: Annotated[str, Field(min_length=1)] = Field(description="metric name, as in the run time series (docs/ODD.md)")
    scope: Annotated[str, Field(min_length=1)] = Field(WORLD, description="'world' or an institution name")
    statistic: Statistic | None = Field(None, description="overrides summary.statistic for this metric")
    steps: tuple[Annotated[StrictInt, Field(ge=0)], Annotated[StrictInt, Field(ge=0)]] | None = Field(
        None, description="[first, last]: take the statistic over these steps (inclusive) instead of the last `window` "
        "steps, so one experiment can summarise a metric over two windows (the column gets the suffix [first-last])")

    @model_validator(mode="after")
    def _ordered_steps(self) -> "MetricRef":
        if self.steps is not None and self.steps[1] < self.steps[0]:
            raise problem(f"expected [first, last] with last >= first (got {list(self.steps)})", "steps")
        return self

    @property
    def column(self) -> str:
        """The summary.csv column: ``metric`` for world metrics, ``metric@scope`` otherwise,
        with ``[first-last]`` after it when the metric has its own steps."""
        base = self.metric if self.scope == WORLD else f"{self.metric}{SCOPE_SEPARATOR}{self.scope}"
        return base if self.steps is None else f"{base}{STEPS_OPEN}{self.steps[0]}-{self.steps[1]}]"


def parse_metric_ref(value: Any) -> Any:
    """Accept the short string form ``metric``, ``metric@scope`` (either with ``[first-last]``
    after it, the column of a metric summarised over its own steps) as well as a mapping."""
    if isinstance(value, str):
        text, bracket, steps = value.partition(STEPS_OPEN)
        metric, _, scope = text.partition(SCOPE_SEPARATOR)
        out: dict[str, Any] = {"metric": metric, "scope": scope or WORLD}
        if bracket:
            first, _, last = steps.removesuffix("]").partition("-")
            out["steps"] = [int(first), int(last)] if first.isdigit() and last.isdigit() else steps
        return out
    return value


MetricField = Annotated[MetricRef, Field(description="'metric', 'metric@scope' or {metric, scope, statistic}")]


class Parameter(Frozen):
    """One swept parameter, named by its dotted path in the scenario (e.g. ``world.generate.count``)."""

    values: list[Scalar] | None = Field(None, description="grid: the values to try, in this order")
    low: float | None = Field(None, description="lhs/sobol/morris: lower bound")
    high: float | None = Field(None, description="lhs/sobol/morris: upper bound")
    integer: bool = Field(False, description="round sampled values to integers (for counts)")
    label: str | None = Field(None, description="axis label in figures; default: the last part of the path")
    unit: str = Field("", description="unit shown on figure axes, e.g. 'per step'; empty for dimensionless")

    @model_validator(mode="after")
    def _ordered(self) -> "Parameter":
        if self.values is not None and not self.values:
            raise problem("expected at least one value", "values")
        if (self.low is None) != (self.high is None):
            raise problem("expected both 'low' and 'high'", "high" if self.high is None else "low")
        if self.low is not None and not self.high > self.low:
            raise problem(f"expected high > low (got low {self.low:g}, high {self.high:g})", "high")
        return self


class Design(Frozen):
    """How design points are chosen.  Each point is run for every scenario and replication."""

    type: DesignType = Field("none", description="none (one point: the scenarios as they are), grid, lhs, sobol (Saltelli) or morris")
    parameters: dict[str, Parameter] = Field(default_factory=dict, description="swept parameters by dotted path")
    samples: Annotated[StrictInt, Field(ge=1)] | None = Field(None, description="lhs: points; sobol: base sample N (power of 2; N*(2D+2) points, or N*(D+2) without second order); morris: trajectories (N*(D+1) points)")
    second_order: bool = Field(True, description="sobol: also estimate second-order indices (needs N*(2D+2) instead of N*(D+2) points)")
    levels: Annotated[StrictInt, Field(ge=2)] = Field(4, description="morris: grid levels p")
    seed_per: SeedPer = Field("replication", description="replication: replication k has the same seed at every point "
                              "(common random numbers across points); point: every point has seeds of its own (with a "
                              "generated world, a new world per point); trajectory (morris): the D + 1 points of a "
                              "trajectory share seeds, each trajectory has its own; sample (sobol): the world is one more input factor, "
                              "so each base sample's A row and its AB rows share one seed and its BA rows and B row another "
                              "(pairs that differ in one parameter share their world). Scenarios always share them")

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> "Design":
        if RUN_SEED in self.parameters and _checking_input(info):
            raise problem(SEED_REFUSED, "parameters", RUN_SEED)
        if self.type == "none":
            if self.seed_per == "trajectory":
                raise problem("expected seed_per 'replication' or 'point' for design type 'none'", "seed_per")
            if self.parameters:
                raise problem("expected no parameters for design type 'none' (use 'grid', 'lhs', 'sobol' or 'morris')", "parameters")
            return self
        if not self.parameters:
            raise problem(f"expected at least one parameter for design type {self.type!r}", "parameters")
        for path, spec in self.parameters.items():
            if self.type == "grid" and spec.values is None:
                raise problem("expected 'values' for a grid design", "parameters", path)
            if self.type != "grid" and spec.low is None:
                raise problem(f"expected 'low' and 'high' for {'an' if self.type == 'lhs' else 'a'} {self.type} design", "parameters", path)
        if self.type != "grid" and self.samples is None:
            raise problem(f"missing key; expected 'samples' for {'an' if self.type == 'lhs' else 'a'} {self.type} design", "samples")
        if self.type == "sobol" and self.samples is not None and self.samples & (self.samples - 1):
            raise problem(f"expected a power of 2 for a sobol design (got {self.samples})", "samples")
        if self.seed_per == "sample" and self.type != "sobol":
            raise problem(f"expected seed_per 'replication', 'point' or 'trajectory' for a {self.type} design ('sample' needs a sobol design)", "seed_per")
        if self.seed_per == "trajectory" and self.type != "morris":
            raise problem(f"expected seed_per 'replication' or 'point' for a {self.type} design ('trajectory' needs a morris design)", "seed_per")
        if self.type in ("sobol", "morris") and len(self.parameters) < 2:
            raise problem(f"expected at least 2 parameters for {'an' if self.type == 'lhs' else 'a'} {self.type} design", "parameters")
        return self


class Summary(Frozen):
    """What to keep from each run's time series: one number per metric per run."""

    metrics: list[MetricField] = Field(min_length=1, description="metrics to summarise")
    window: Annotated[StrictInt, Field(ge=1)] = Field(50, description="the statistic is taken over the last `window` steps (all steps if the run is shorter)")
    statistic: Statistic = Field("mean", description="mean, final, min, max or sum over the window")

    @field_validator("metrics", mode="before")
    @classmethod
    def _short_forms(cls, value: Any) -> Any:
        return [parse_metric_ref(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _unique(self) -> "Summary":
        columns = [m.column for m in self.metrics]
        dup = sorted({c for c in columns if columns.count(c) > 1})
        if dup:
            raise problem(f"expected each metric once; repeated: {', '.join(dup)}", "metrics", columns.index(dup[0], columns.index(dup[0]) + 1))
        return self


class Analysis(Frozen):
    """How results are compared."""

    baseline: str | None = Field(None, description="scenario (file stem) the others are compared with; default: the first")
    confidence: float = Field(0.95, gt=0.0, lt=1.0, description="confidence level of all intervals")


class Figure(Frozen):
    """One figure to draw (each as PNG and SVG)."""

    kind: FigureKind = Field(description="comparison, differences, timeseries, heatmap, sobol or morris")
    metrics: list[MetricField] | None = Field(None, description="metrics to show; default: all summarised metrics")

    @field_validator("metrics", mode="before")
    @classmethod
    def _short_forms(cls, value: Any) -> Any:
        return [parse_metric_ref(v) for v in value] if isinstance(value, list) else value


class ScenarioEntry(Frozen):
    """One scenario of an experiment: a file, the label its results go under, and overrides
    that apply to this scenario only.  Written either as a path (``../scenarios/x.yaml``,
    labelled by its file stem) or as a mapping, so the same file can be run several ways."""

    file: Annotated[str, Field(min_length=1)] = Field(description="scenario file, relative to the experiment file")
    label: Annotated[str, Field(pattern=NAME_PATTERN)] | None = Field(
        None, description="name of this scenario in results (run ids, summary.csv, figures); default: the file stem")
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="dotted path -> value for this scenario only, applied after the experiment's "
        "overrides and steps, before the design point")
    include: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="overlay files (dotted path -> value, e.g. a calibration's overlay.yaml), relative to "
        "the experiment file, applied to this scenario after the experiment's overrides and before the entry's own overrides")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"file": value}
        if not isinstance(value, dict):
            raise ValueError("expected a scenario file path, or a mapping with keys file, label, include, overrides")
        return value

    @model_validator(mode="after")
    def _no_run_seed(self, info: ValidationInfo) -> "ScenarioEntry":
        if RUN_SEED in self.overrides and _checking_input(info):
            raise problem(SEED_REFUSED, "overrides", RUN_SEED)
        return self

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A plain entry is stored as its path, as it was written, and an empty ``include`` is
        left out (older manifests stay equal)."""
        if self.label is None and not self.overrides and not self.include:
            return self.file
        data = handler(self)
        if not self.include and isinstance(data, dict):
            data.pop("include", None)
        return data

    @property
    def name(self) -> str:
        """The label: given, or the file stem."""
        return self.label if self.label is not None else Path(self.file).stem


class Targets(Frozen):
    """Thresholds a hindcast is marked against (simulation/history/targets.py); null skips one.
    Defaults: the out-of-sample targets of the issue "Membership that matches history"."""

    coverage90: Annotated[float, Field(ge=0, le=1)] | None = Field(0.8, description="min share of the years an institution exists in the record with its size inside the runs' 5-95% band")
    exits_per_decade: Annotated[float, Field(ge=0)] | None = Field(0.5, description="max mean member exits per decade of the runs")
    join_auc: Annotated[float, Field(ge=0, le=1)] | None = Field(0.85, description="min per-state accession AUC")
    join_brier_beats_baselines: bool = Field(True, description="the accession Brier score must be below both baselines'")


class Observed(Frozen):
    """The historical record a hindcast is scored against (docs/history.md: Scores).  The
    file and the names are checked against the scenarios before any run."""

    memberships: Annotated[str, Field(min_length=1)] = Field(
        description="CSV of members by year (columns institution, year, state, ccode), relative to the experiment file")
    institutions: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, description="institutions to score; default: every institution of the scenarios found in the record")
    disputes: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="CSV of observed dispute onset rates by year and scope (year, scope, dyads, onset_dyads, rate_per_1000; "
        "scenarios/data/observed_disputes.csv), relative to the experiment file; scores the runs' dispute rates too")
    targets: Targets | None = Field(None, description="mark each institution's scores met or missed against these thresholds "
                                    "(targets.csv and the report's Targets section); {} takes the defaults")

    @model_serializer(mode="wrap")
    def _without_absent_targets(self, handler: SerializerFunctionWrapHandler) -> Any:
        """No ``targets`` key when there are none (older manifests stay equal)."""
        data = handler(self)
        if self.targets is None and isinstance(data, dict):
            data.pop("targets", None)
        return data


#: The key of an arm's levels that marks a null institution (present, but with no effect).
NULL_ARM = "null_arm"


class Factorial(Frozen):
    """Each scenario label's levels in a factorial design, so the report can compute the
    contrasts the design was built for (``simulation/experiments/contrasts.py``).  The first
    factor is the treatment, and its first level the reference arm (no treatment); every other
    factor is a control, and its first level is the uncontrolled one (what the model does
    unless told otherwise)."""

    factors: dict[str, list[Annotated[str, Field(min_length=1)]]] = Field(
        min_length=1, description="factor -> its levels; first factor: the treatment (first level: the reference, e.g. no "
        "institution); the others: controls (first level: uncontrolled)")
    compare: tuple[str, str] = Field(description="two treatment levels whose difference (first minus second) is tested under "
                                     "every combination of the controls' levels")
    arms: dict[str, dict[str, str | bool]] = Field(
        min_length=1, description="scenario label -> {factor: level}; the reference arm needs the treatment only; "
        "'null_arm: true' marks a null arm (the institutions without effect), matched to the arms with the levels it names")

    @model_validator(mode="after")
    def _levels(self) -> "Factorial":
        if NULL_ARM in self.factors:
            raise problem(f"expected a factor name other than {NULL_ARM!r} (it marks null arms)", "factors", NULL_ARM)
        for name, levels in self.factors.items():
            if len(levels) < 2 or len(set(levels)) != len(levels):
                raise problem("expected at least 2 distinct levels", "factors", name)
        treatment, *controls = self.factors
        levels = self.factors[treatment]
        for i, level in enumerate(self.compare):
            if level not in levels[1:] or self.compare[0] == self.compare[1]:
                raise problem(f"expected two distinct levels of {treatment!r} other than its reference {levels[0]!r} "
                              f"(one of {levels[1:]})", "compare", i)
        seen: dict[tuple[Any, ...], str] = {}
        for label, arm in self.arms.items():
            for key, value in arm.items():
                if key == NULL_ARM:
                    if not isinstance(value, bool):
                        raise problem("expected true or false", "arms", label, key)
                elif key not in self.factors:
                    raise problem(f"expected a factor ({', '.join(self.factors)}) or {NULL_ARM!r}", "arms", label, key)
                elif value not in self.factors[key]:
                    raise problem(f"expected a level of {key!r}: one of {self.factors[key]}", "arms", label, key)
            if treatment not in arm:
                raise problem(f"missing key; expected the arm's level of {treatment!r}", "arms", label)
            null = arm.get(NULL_ARM) is True
            reference = arm[treatment] == levels[0]
            if reference and null:
                raise problem(f"expected a null arm of a treatment level other than the reference {levels[0]!r}", "arms", label, NULL_ARM)
            missing = [c for c in controls if c not in arm]
            if missing and not (reference or null):
                raise problem(f"missing key; expected the arm's level of {missing[0]!r}", "arms", label)
            key = (null, *(arm.get(f) for f in self.factors)) if not reference else ("reference",)
            if key in seen:
                raise problem(f"expected each combination of levels once; {label!r} repeats {seen[key]!r}", "arms", label)
            seen[key] = label
        return self


class Experiment(Frozen):
    """A batch of runs: scenarios x design points x replications, and what to make of them."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)] = Field(description="short name; the default results folder is results/<name>")
    description: str = Field("", description="what the experiment asks; shown at the top of report.md")
    notes: str = Field("", description="Markdown: findings and caveats, printed in report.md under 'Notes and caveats'")
    scenarios: list[ScenarioEntry] = Field(min_length=1, description="scenario files (relative to this file), each a path "
                                           "(labelled by its file stem) or {file, label, overrides}")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted path -> value, applied to every scenario before the design point")
    design: Design = Field(default_factory=Design)
    replications: Annotated[StrictInt, Field(ge=1)] = Field(description="runs per scenario and design point; replication k uses the same seed everywhere")
    seed: Annotated[StrictInt, Field(ge=0)] = Field(description="root seed: every run seed and the design's sample derive from it")
    steps: Annotated[StrictInt, Field(ge=1)] | None = Field(None, description="steps per run; default: each scenario's own")
    summary: Summary
    analysis: Analysis = Field(default_factory=Analysis)
    figures: list[Figure] | None = Field(None, description="figures to draw; default: those that fit the design")
    observed: Observed | None = Field(None, description="the historical record to score each institution against (scores.csv)")
    compare_with: Annotated[str, Field(min_length=1)] | None = Field(
        None, exclude_if=lambda v: v is None,  # absent from the stored settings when not set (older manifests stay equal)
        description="another results folder, relative to this file: the report adds 'What changed against <folder>', "
        "each shared scenario and summary metric paired by replication (simulation/experiments/compare.py)")
    factorial: Factorial | None = Field(None, description="each label's factor levels: the report's factorial contrasts (contrasts.csv)")

    @model_serializer(mode="wrap")
    def _without_absent_factorial(self, handler: SerializerFunctionWrapHandler) -> Any:
        """No ``factorial`` key when there is none (older manifests stay equal)."""
        data = handler(self)
        if self.factorial is None and isinstance(data, dict):
            data.pop("factorial", None)
        return data

    @property
    def labels(self) -> list[str]:
        """Scenario labels (given labels or file stems), in the order listed."""
        return [entry.name for entry in self.scenarios]

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> "Experiment":
        labels = self.labels
        if RUN_SEED in self.overrides and _checking_input(info):
            raise problem(SEED_REFUSED, "overrides", RUN_SEED)
        if self.analysis.baseline is not None and self.analysis.baseline not in labels:
            raise problem(f"expected one of the scenario labels {labels} (got {self.analysis.baseline!r})", "analysis", "baseline")
        for label in (self.factorial.arms if self.factorial is not None else ()):
            if label not in labels:
                raise problem(f"expected one of the scenario labels {labels} (got {label!r})", "factorial", "arms", label)
        summarised = {m.column for m in self.summary.metrics}
        for index, fig in enumerate(self.figures or ()):
            if fig.kind != "timeseries":
                missing = [i for i, m in enumerate(fig.metrics or ()) if m.column not in summarised]
                if missing:
                    names = ", ".join(fig.metrics[i].column for i in missing)
                    raise problem(f"expected metrics listed in summary.metrics; not summarised: {names}", "figures", index, "metrics", missing[0])
            if fig.kind == "timeseries" and not fig.metrics:
                raise problem("expected 'metrics' for a timeseries figure", "figures", index)
            if fig.kind == "heatmap" and not (self.design.type == "grid" and len(self.design.parameters) == 2):
                raise problem("expected a grid design over exactly 2 parameters for a heatmap", "figures", index, "kind")
            if fig.kind in ("sobol", "morris") and self.design.type != fig.kind:
                raise problem(f"expected a {fig.kind} design for a {fig.kind} figure (design is {self.design.type!r})", "figures", index, "kind")
            if fig.kind == "differences" and len(labels) < 2:
                raise problem("expected at least 2 scenarios for a differences figure", "figures", index, "kind")
        return self

    @property
    def baseline(self) -> str:
        return self.analysis.baseline or self.labels[0]

    def figure_list(self) -> list[Figure]:
        """The figures to draw: those listed, or the ones that fit the design."""
        if self.figures is not None:
            return list(self.figures)
        figs = [Figure(kind="comparison")]
        if len(self.scenarios) > 1:
            figs.append(Figure(kind="differences"))
        if self.design.type == "grid" and len(self.design.parameters) == 2:
            figs.append(Figure(kind="heatmap"))
        if self.design.type in ("sobol", "morris"):
            figs.append(Figure(kind=self.design.type))
        return figs


@dataclass(frozen=True)
class ExperimentFile:
    """A validated experiment together with where it came from (for errors and provenance)."""

    experiment: Experiment
    path: Path
    text: str
    sha256: str
    lines: dict[KeyPath, int]

    def line(self, *loc: Any) -> int | None:
        from simulation.experiments.yamllines import line_of

        return line_of(self.lines, loc)

    def error(self, message: str, *loc: Any) -> UserError:
        """A ``UserError`` pointing at key path ``loc`` in this file."""
        return UserError(message, file=str(self.path), line=self.line(*loc), path=".".join(map(str, loc)) or None)

    def scenario_path(self, index: int) -> Path:
        return (self.path.parent / self.experiment.scenarios[index].file).resolve()


def load_experiment(path: str | Path) -> ExperimentFile:
    """Read and validate an experiment file; mistakes raise ``UserError`` naming the line."""
    path = Path(path)
    data, lines = load_yaml_with_lines(path)
    if not isinstance(data, dict):
        raise UserError("expected a mapping of keys (name, scenarios, replications, seed, summary, ...)", file=str(path), line=1)
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, str(path), lines, data) from None
    _check_labels(experiment, path, lines)
    raw = path.read_bytes()
    return ExperimentFile(experiment, path, raw.decode("utf-8"), hashlib.sha256(raw).hexdigest(), lines)


def _check_labels(experiment: Experiment, path: Path, lines: dict[KeyPath, int]) -> None:
    """Two scenarios with one label would write over each other's results (run ids, resolved
    files): name the line of the second."""
    from simulation.experiments.yamllines import line_of

    first: dict[str, int] = {}
    for index, entry in enumerate(experiment.scenarios):
        label = entry.name
        loc = ("scenarios", index, "label") if entry.label is not None else ("scenarios", index)

        def error(message: str) -> UserError:
            return UserError(message, file=str(path), line=line_of(lines, loc), path=".".join(map(str, loc)))

        if entry.label is None and not re.match(NAME_PATTERN, label):
            suggestion = re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_.-") or "name"
            raise error(f"the file stem {label!r} cannot be a label (labels name run ids and files); expected letters, digits, "
                        f"'_', '.' and '-', starting with a letter or digit: give the entry a label, e.g. "
                        f"{{file: {entry.file!r}, label: {suggestion}}}")
        key = label.casefold()
        if key in first:
            other = experiment.scenarios[first[key]].name
            if other != label:  # 'a' and 'A' name the same files on macOS and Windows
                raise error(f"expected labels that differ in more than case; {label!r} and {other!r} (scenarios.{first[key]}) "
                            "would name the same files on a case-insensitive file system (macOS, Windows)")
            how = "its label" if entry.label is not None else "its file stem (give it a 'label')"
            raise error(f"expected distinct scenario labels; {label!r}, {how}, is already the label of scenarios.{first[key]}")
        first[key] = index


__all__ = ["Experiment", "ExperimentFile", "ScenarioEntry", "Design", "Parameter", "Summary", "MetricRef", "Figure", "Analysis",
           "Observed", "Targets", "Factorial", "NULL_ARM", "load_experiment", "WORLD", "SCOPE_SEPARATOR"]
