"""Design points: which parameter values each run uses.

Library samplers only (``scipy.stats.qmc`` for Latin hypercubes, SALib for Saltelli and
Morris); this module only maps an experiment's design block onto them and keeps the points
in a deterministic order (the order Sobol and Morris analysis expect).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.experiments.schema import Design


@dataclass(frozen=True)
class DesignPoints:
    """The sampled points: ``rows[i][j]`` is parameter ``columns[j]`` at point ``i``."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def values(self, point: int) -> dict[str, Any]:
        """The overrides of one point, by dotted path."""
        return dict(zip(self.columns, self.rows[point]))


def salib_problem(design: Design) -> dict[str, Any]:
    """The SALib ``problem`` dictionary for a sampled (non-grid) design."""
    names = list(design.parameters)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [[spec.low, spec.high] for spec in design.parameters.values()],
    }


def sample(design: Design, seed: int) -> DesignPoints:
    """Draw the design's points; the same design and seed always give the same points."""
    columns = tuple(design.parameters)
    if design.type == "none":
        return DesignPoints((), ((),))
    if design.type == "grid":
        grids = [spec.values for spec in design.parameters.values()]
        return DesignPoints(columns, tuple(tuple(p) for p in itertools.product(*grids)))
    if design.type == "lhs":
        from scipy.stats import qmc  # a second of start-up: only for Latin hypercubes

        unit = qmc.LatinHypercube(d=len(columns), rng=np.random.default_rng(seed)).random(design.samples)
        problem = salib_problem(design)
        bounds = np.array(problem["bounds"], dtype=float)
        matrix = qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    elif design.type == "sobol":
        from SALib.sample import sobol

        matrix = sobol.sample(salib_problem(design), design.samples, calc_second_order=design.second_order, seed=seed)
    elif design.type == "morris":
        from SALib.sample import morris

        matrix = morris.sample(salib_problem(design), design.samples, num_levels=design.levels, seed=seed)
    else:  # pragma: no cover - the schema admits no other type
        raise ValueError(f"unknown design type {design.type!r}")
    matrix = np.asarray(matrix, dtype=float)
    if not np.isfinite(matrix).all():  # plan.check_size refuses ranges that overflow; this is the backstop
        raise ValueError("the design sampled values that are not finite numbers")
    specs = list(design.parameters.values())
    rows = tuple(
        tuple(int(round(v)) if spec.integer else float(v) for v, spec in zip(row, specs))
        for row in np.asarray(matrix, dtype=float)
    )
    return DesignPoints(columns, rows)


def expected_size(design: Design) -> int:
    """How many points ``sample`` returns (used by tests and to warn before huge sweeps)."""
    d = len(design.parameters)
    if design.type == "none":
        return 1
    if design.type == "grid":
        return math.prod(len(spec.values) for spec in design.parameters.values())
    if design.type == "lhs":
        return design.samples
    if design.type == "sobol":
        return design.samples * (2 * d + 2 if design.second_order else d + 2)
    return design.samples * (d + 1)
