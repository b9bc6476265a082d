"""The experiment file: which scenarios, which design, how many replications, what to summarise.

Like the scenario schema, every block is a frozen pydantic model with ``extra="forbid"``
(a misspelt key is an error), validated once when the file is read.  Each field's
``description`` is its documentation (``docs/experiments.md`` mirrors it).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, ValidationError, field_validator, model_serializer, model_validator

from simulation.errors import UserError
from simulation.experiments.yamllines import KeyPath, load_yaml_with_lines, validation_error

#: Experiment names become folder names, so they are restricted to portable characters.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: The scope of world-level metrics; any other scope is an institution name.
WORLD = "world"
#: Separates metric and scope in a metric reference such as ``cohesion@Atlantic``.
SCOPE_SEPARATOR = "@"

Scalar = bool | int | float | str
DesignType = Literal["none", "grid", "lhs", "sobol", "morris"]
Statistic = Literal["mean", "final", "min", "max", "sum"]
FigureKind = Literal["comparison", "differences", "timeseries", "heatmap", "sobol", "morris"]


class Frozen(BaseModel):
    """Base for every block: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricRef(Frozen):
    """One metric at one scope: ``world`` or an institution's name."""

    metric: Annotated[str, Field(min_length=1)] = Field(description="metric name, as in the run time series (docs/ODD.md)")
    scope: Annotated[str, Field(min_length=1)] = Field(WORLD, description="'world' or an institution name")
    statistic: Statistic | None = Field(None, description="overrides summary.statistic for this metric")

    @property
    def column(self) -> str:
        """The summary.csv column: ``metric`` for world metrics, ``metric@scope`` otherwise."""
        return self.metric if self.scope == WORLD else f"{self.metric}{SCOPE_SEPARATOR}{self.scope}"


def parse_metric_ref(value: Any) -> Any:
    """Accept the short string form ``metric`` or ``metric@scope`` as well as a mapping."""
    if isinstance(value, str):
        metric, _, scope = value.partition(SCOPE_SEPARATOR)
        return {"metric": metric, "scope": scope or WORLD}
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
            raise ValueError("expected at least one value in 'values'")
        if (self.low is None) != (self.high is None):
            raise ValueError("expected both 'low' and 'high'")
        if self.low is not None and not self.high > self.low:
            raise ValueError("expected high > low")
        return self


class Design(Frozen):
    """How design points are chosen.  Each point is run for every scenario and replication."""

    type: DesignType = Field("none", description="none (one point: the scenarios as they are), grid, lhs, sobol (Saltelli) or morris")
    parameters: dict[str, Parameter] = Field(default_factory=dict, description="swept parameters by dotted path")
    samples: Annotated[int, Field(ge=1)] | None = Field(None, description="lhs: points; sobol: base sample N (power of 2; N*(2D+2) points, or N*(D+2) without second order); morris: trajectories (N*(D+1) points)")
    second_order: bool = Field(True, description="sobol: also estimate second-order indices (needs N*(2D+2) instead of N*(D+2) points)")
    levels: Annotated[int, Field(ge=2)] = Field(4, description="morris: grid levels p")

    @model_validator(mode="after")
    def _consistent(self) -> "Design":
        if self.type == "none":
            if self.parameters:
                raise ValueError("expected no parameters for design type 'none' (use 'grid', 'lhs', 'sobol' or 'morris')")
            return self
        if not self.parameters:
            raise ValueError(f"expected at least one parameter for design type {self.type!r}")
        for path, spec in self.parameters.items():
            if self.type == "grid" and spec.values is None:
                raise ValueError(f"parameter {path}: expected 'values' for a grid design")
            if self.type != "grid" and spec.low is None:
                raise ValueError(f"parameter {path}: expected 'low' and 'high' for a {self.type} design")
        if self.type != "grid" and self.samples is None:
            raise ValueError(f"expected 'samples' for a {self.type} design")
        if self.type == "sobol" and self.samples is not None and self.samples & (self.samples - 1):
            raise ValueError(f"expected 'samples' to be a power of 2 for a sobol design (got {self.samples})")
        if self.type in ("sobol", "morris") and len(self.parameters) < 2:
            raise ValueError(f"expected at least 2 parameters for a {self.type} design")
        return self


class Summary(Frozen):
    """What to keep from each run's time series: one number per metric per run."""

    metrics: list[MetricField] = Field(min_length=1, description="metrics to summarise")
    window: Annotated[int, Field(ge=1)] = Field(50, description="the statistic is taken over the last `window` steps (all steps if the run is shorter)")
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
            raise ValueError(f"expected each metric once; repeated: {', '.join(dup)}")
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

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"file": value}
        if not isinstance(value, dict):
            raise ValueError("expected a scenario file path, or a mapping with keys file, label, overrides")
        return value

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A plain entry is stored as its path, as it was written (older manifests stay equal)."""
        if self.label is None and not self.overrides:
            return self.file
        return handler(self)

    @property
    def name(self) -> str:
        """The label: given, or the file stem."""
        return self.label if self.label is not None else Path(self.file).stem


class Experiment(Frozen):
    """A batch of runs: scenarios x design points x replications, and what to make of them."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)] = Field(description="short name; the default results folder is results/<name>")
    description: str = Field("", description="what the experiment asks; shown at the top of report.md")
    notes: str = Field("", description="Markdown: findings and caveats, printed in report.md under 'Notes and caveats'")
    scenarios: list[ScenarioEntry] = Field(min_length=1, description="scenario files (relative to this file), each a path "
                                           "(labelled by its file stem) or {file, label, overrides}")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted path -> value, applied to every scenario before the design point")
    design: Design = Field(default_factory=Design)
    replications: Annotated[int, Field(ge=1)] = Field(description="runs per scenario and design point; replication k uses the same seed everywhere")
    seed: Annotated[int, Field(ge=0)] = Field(description="root seed: every run seed and the design's sample derive from it")
    steps: Annotated[int, Field(ge=1)] | None = Field(None, description="steps per run; default: each scenario's own")
    summary: Summary
    analysis: Analysis = Field(default_factory=Analysis)
    figures: list[Figure] | None = Field(None, description="figures to draw; default: those that fit the design")

    @property
    def labels(self) -> list[str]:
        """Scenario labels (given labels or file stems), in the order listed."""
        return [entry.name for entry in self.scenarios]

    @model_validator(mode="after")
    def _cross_checks(self) -> "Experiment":
        labels = self.labels
        if self.analysis.baseline is not None and self.analysis.baseline not in labels:
            raise ValueError(f"analysis.baseline: expected one of {labels} (got {self.analysis.baseline!r})")
        summarised = {m.column for m in self.summary.metrics}
        for index, fig in enumerate(self.figures or ()):
            if fig.kind != "timeseries":
                missing = [m.column for m in fig.metrics or () if m.column not in summarised]
                if missing:
                    raise ValueError(f"figures.{index}: expected metrics listed in summary.metrics; not summarised: {', '.join(missing)}")
            if fig.kind == "timeseries" and not fig.metrics:
                raise ValueError(f"figures.{index}: expected 'metrics' for a timeseries figure")
            if fig.kind == "heatmap" and not (self.design.type == "grid" and len(self.design.parameters) == 2):
                raise ValueError(f"figures.{index}: expected a grid design over exactly 2 parameters for a heatmap")
            if fig.kind in ("sobol", "morris") and self.design.type != fig.kind:
                raise ValueError(f"figures.{index}: expected a {fig.kind} design for a {fig.kind} figure (design is {self.design.type!r})")
            if fig.kind == "differences" and len(labels) < 2:
                raise ValueError(f"figures.{index}: expected at least 2 scenarios for a differences figure")
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
        raise validation_error(exc, str(path), lines) from None
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
        if label in first:
            loc = ("scenarios", index, "label") if entry.label is not None else ("scenarios", index)
            how = "its label" if entry.label is not None else "its file stem (give it a 'label')"
            raise UserError(f"expected distinct scenario labels; {label!r}, {how}, is already the label of scenarios.{first[label]}",
                            file=str(path), line=line_of(lines, loc), path=".".join(map(str, loc)))
        first[label] = index


def is_missing(value: Any) -> bool:
    """True for values that mean 'no number' in summaries (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


__all__ = ["Experiment", "ExperimentFile", "ScenarioEntry", "Design", "Parameter", "Summary", "MetricRef", "Figure", "Analysis",
           "load_experiment", "WORLD", "SCOPE_SEPARATOR"]
