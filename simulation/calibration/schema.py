"""The calibration file: which hindcasts, which record, which priors, which distance, how long.

Like experiment files, every block is a frozen pydantic model with ``extra="forbid"`` and is
read with the same line-keeping YAML reader, so a mistake is one message
``file:line: key.path: expected ...``.  What pydantic cannot see alone (a prior path the
scenario does not have, a prior wider than the schema allows, an empty record) is checked in
``simulation.calibration.checks`` before any run starts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import Field, ValidationError, field_validator, model_validator

from simulation.errors import UserError
from simulation.experiments.schema import NAME_PATTERN, Frozen, problem
from simulation.experiments.yamllines import KeyPath, line_of, validation_error
from simulation.scenario_io import ScenarioSource, read_yaml_mapping

CALIBRATION_DOCUMENT = ("a calibration", "name, hindcasts, observed, priors, distance, population, seed")

#: An import path ``package.module:function``, as the sweep's ``run_function``.
IMPORT_PATH = r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$"
ImportPath = Annotated[str, Field(pattern=IMPORT_PATH)]

#: The simulator used when the file names none: the model's time series turned into size paths.
DEFAULT_SIMULATOR = "simulation.calibration.simulators:size_paths"
DEFAULT_SIMULATED_SIZES = "simulation.calibration.scores:simulated_sizes"
DEFAULT_OBSERVED_SIZES = "simulation.calibration.scores:observed_sizes"


class UniformPrior(Frozen):
    """Uniform on [low, high]."""

    distribution: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> "UniformPrior":
        if not self.low < self.high:
            raise problem(f"expected low < high (got low={self.low}, high={self.high})", "high")
        return self


class LogUniformPrior(UniformPrior):
    """Uniform in log(value) on [low, high], 0 < low < high: for rates spanning decades."""

    distribution: Literal["loguniform"]  # type: ignore[assignment]

    @model_validator(mode="after")
    def _positive(self) -> "LogUniformPrior":
        if self.low <= 0:
            raise problem(f"expected low > 0 for a loguniform prior (got {self.low})", "low")
        return self


class NormalPrior(Frozen):
    """Normal(mean, sd) truncated to [low, high]; both ends are required so that the prior's
    support can be checked against the schema's bounds."""

    distribution: Literal["normal"]
    mean: float
    sd: Annotated[float, Field(gt=0)]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> "NormalPrior":
        if not self.low < self.high:
            raise problem(f"expected low < high (got low={self.low}, high={self.high})", "high")
        return self


Prior = Annotated[Union[UniformPrior, LogUniformPrior, NormalPrior], Field(discriminator="distribution")]


class HindcastEntry(Frozen):
    """One scenario to fit, with overrides that apply to it alone (e.g. ``history.mode: forced``)."""

    file: Annotated[str, Field(min_length=1)] = Field(description="scenario file, relative to the calibration file")
    label: Annotated[str, Field(pattern=NAME_PATTERN)] | None = Field(None, description="name in results; default: the file stem")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted path -> value, applied before the particle's parameters")
    steps: Annotated[int, Field(ge=1)] | None = Field(None, description="steps to run; default: the scenario's own")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"file": value}
        return value

    @property
    def name(self) -> str:
        return self.label if self.label is not None else Path(self.file).stem


class Observed(Frozen):
    """The record to fit: a CSV with at least ``institution,year,state`` (one row per member per
    year, as ``scenarios/data/observed_memberships.csv``)."""

    file: Annotated[str, Field(min_length=1)] = Field(description="CSV of the record, relative to the calibration file")
    institutions: Annotated[list[str], Field(min_length=1)] | None = Field(None, description="institutions fitted; default: every one in the file")
    years: tuple[int, int] | None = Field(None, description="first and last year fitted (inclusive); default: all")

    @model_validator(mode="after")
    def _ordered(self) -> "Observed":
        if self.years is not None and self.years[0] > self.years[1]:
            raise problem(f"expected [first, last] with first <= last (got {list(self.years)})", "years")
        return self


class Term(Frozen):
    """One pattern in the distance: ``weight * |score(simulated, observed, **options) - target|``
    (or ``weight * score`` without a target; a score is then read as lower-is-better)."""

    score: ImportPath = Field(description="import path of fn(simulated, observed, **options) -> float")
    weight: Annotated[float, Field(gt=0)] = Field(1.0, description="weight of this term in the distance")
    target: float | None = Field(None, description="the score's ideal value (e.g. 1 for an AUC); null: the score is a loss (0 best)")
    options: dict[str, Any] = Field(default_factory=dict, description="keyword arguments passed to the score function")
    label: Annotated[str, Field(pattern=NAME_PATTERN)] | None = Field(None, description="column name of the term; default: the function name")

    @property
    def name(self) -> str:
        return self.label if self.label is not None else self.score.rsplit(":", 1)[1]


class QuantileSchedule(Frozen):
    """pyabc.QuantileEpsilon: each generation's epsilon is the alpha-quantile of the last
    generation's weighted distances (the first from a prior sample)."""

    schedule: Literal["quantile"]
    alpha: Annotated[float, Field(gt=0, le=1)] = 0.5
    initial: Annotated[float, Field(gt=0)] | None = Field(None, description="epsilon of generation 0; default: from a prior sample")


class ListSchedule(Frozen):
    """pyabc.ListEpsilon: a fixed, decreasing list, one epsilon per generation."""

    schedule: Literal["list"]
    values: Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=1)]

    @field_validator("values")
    @classmethod
    def _decreasing(cls, values: list[float]) -> list[float]:
        if any(b > a for a, b in zip(values, values[1:])):
            raise ValueError(f"expected a non-increasing list of epsilons (got {values})")
        return values


Schedule = Annotated[Union[QuantileSchedule, ListSchedule], Field(discriminator="schedule")]


class FanChart(Frozen):
    """Posterior-predictive check: particles drawn from the final posterior by weight, each run
    ``replications`` times; their size paths are drawn as a 5-95% band over the record."""

    particles: Annotated[int, Field(ge=1, le=1000)] = Field(20, description="posterior particles re-run for the fan chart")
    enabled: bool = Field(True, description="false: no posterior-predictive runs and no fan chart")
    simulated_sizes: ImportPath = Field(DEFAULT_SIMULATED_SIZES, description="fn(simulated) -> DataFrame[institution, year, size]")
    observed_sizes: ImportPath = Field(DEFAULT_OBSERVED_SIZES, description="fn(observed) -> DataFrame[institution, year, size]")


class Calibration(Frozen):
    """A calibration file (see docs/calibration.md)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)] = Field(description="results go to results/<name>/")
    description: str = ""
    hindcasts: Annotated[list[HindcastEntry], Field(min_length=1)] = Field(description="scenario files to fit, each with overrides")
    observed: Observed
    priors: Annotated[dict[str, Prior], Field(min_length=1)] = Field(description="scenario key path (as --set) -> prior")
    simulator: ImportPath = Field(DEFAULT_SIMULATOR, description="fn(scenario, *, seed) -> DataFrame, one run of one hindcast")
    distance: Annotated[list[Term], Field(min_length=1)] = Field(description="weighted score terms summed into the ABC distance")
    replications: Annotated[int, Field(ge=1, le=1000)] = Field(1, description="model runs per particle and hindcast")
    population: Annotated[int, Field(ge=2)] = Field(100, description="accepted particles per generation")
    generations: Annotated[int, Field(ge=1)] = Field(6, description="maximum number of generations (pyabc max_nr_populations)")
    epsilon: Schedule = Field(default_factory=lambda: QuantileSchedule(schedule="quantile"))
    minimum_epsilon: Annotated[float, Field(ge=0)] = Field(0.0, description="stop once epsilon falls to this")
    min_acceptance_rate: Annotated[float, Field(ge=0, lt=1)] = Field(0.0, description="stop when a generation accepts fewer")
    seed: Annotated[int, Field(ge=0)] = Field(description="root seed: proposals and model seeds derive from it")
    prior_mixture: Annotated[float, Field(ge=0, le=0.5)] = Field(
        0.0, description="share of proposals drawn from the prior (a defensive mixture that bounds every importance "
        "weight by 1/share); 0 = pyabc's multivariate normal kernel alone (docs/calibration.md)")
    fan_chart: FanChart = Field(default_factory=FanChart)

    @model_validator(mode="after")
    def _cross_checks(self) -> "Calibration":
        if isinstance(self.epsilon, ListSchedule) and len(self.epsilon.values) < self.generations:
            raise problem(f"expected at least 'generations' ({self.generations}) epsilons, got {len(self.epsilon.values)}", "epsilon", "values")
        labels: dict[str, int] = {}
        for i, entry in enumerate(self.hindcasts):
            if entry.name.casefold() in labels:
                raise problem(f"expected distinct hindcast labels; {entry.name!r} is already hindcasts.{labels[entry.name.casefold()]}", "hindcasts", i)
            labels[entry.name.casefold()] = i
        names: dict[str, int] = {}
        for i, term in enumerate(self.distance):
            if term.name in names:
                raise problem(f"expected distinct term names; {term.name!r} is already distance.{names[term.name]} (give one a label)", "distance", i)
            names[term.name] = i
        return self


@dataclass(frozen=True)
class CalibrationFile:
    """A validated calibration with where it came from (for errors and provenance)."""

    calibration: Calibration
    path: Path
    text: str
    sha256: str
    lines: dict[KeyPath, int]

    def error(self, message: str, *loc: Any) -> UserError:
        """A ``UserError`` pointing at key path ``loc`` in this file."""
        return UserError(message, file=str(self.path), line=line_of(self.lines, loc), path=".".join(map(str, loc)) or None)

    def resolve(self, relative: str) -> Path:
        """A path written in the file, taken relative to the file's folder."""
        return (self.path.parent / relative).resolve()


def load_calibration(path: str | Path) -> CalibrationFile:
    """Read and validate a calibration file (schema only; see ``checks.check_calibration``)."""
    path = Path(path)
    source = ScenarioSource(file=str(path))
    data = read_yaml_mapping(path, source, CALIBRATION_DOCUMENT)
    lines = source.lines
    try:
        calibration = Calibration.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, str(path), lines, data) from None
    raw = path.read_bytes()
    return CalibrationFile(calibration, path, raw.decode("utf-8"), hashlib.sha256(raw).hexdigest(), lines)


__all__ = ["Calibration", "CalibrationFile", "HindcastEntry", "Observed", "Term", "Prior", "UniformPrior",
           "LogUniformPrior", "NormalPrior", "QuantileSchedule", "ListSchedule", "FanChart", "load_calibration"]
