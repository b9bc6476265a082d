"""Stand-ins for the model's run function, for tests and benchmarks of the experiment layer.

They live in the package (like ``numpy.testing``) so that worker processes and dask
workers can import them by name, exactly as they import the real ``run_scenario``.
"""

from __future__ import annotations

import time

import pandas as pd

from simulation.scenario import Scenario

#: A world of this many generated states makes ``failing_run`` raise: a design can then
#: include deliberately failing points (``world.generate.count: {values: [10, 13]}``).
FAILING_STATE_COUNT = 13
#: Extra seconds per run added by ``slow_run`` (so a test can stop a sweep part-way).
SLOW_RUN_S = 0.05


def _real(scenario: Scenario, seed: int | None) -> pd.DataFrame:
    from simulation.runner import run_scenario

    return run_scenario(scenario, seed=seed)


def failing_run(scenario: Scenario, *, seed: int | None = None) -> pd.DataFrame:
    """The real model, except that worlds of ``FAILING_STATE_COUNT`` states raise."""
    if scenario.world.generate.count == FAILING_STATE_COUNT:
        raise RuntimeError(f"deliberate failure for a world of {FAILING_STATE_COUNT} states")
    return _real(scenario, seed)


def slow_run(scenario: Scenario, *, seed: int | None = None) -> pd.DataFrame:
    """The real model, plus a fixed pause."""
    time.sleep(SLOW_RUN_S)
    return _real(scenario, seed)


def non_finite_run(scenario: Scenario, *, seed: int | None = None) -> pd.DataFrame:
    """The real model, except that worlds of ``FAILING_STATE_COUNT`` states report an
    infinite ``mean_tension`` at their last step (a run whose summary is not finite)."""
    table = _real(scenario, seed)
    if scenario.world.generate.count == FAILING_STATE_COUNT:
        last = (table["metric"] == "mean_tension") & (table["step"] == table["step"].max())
        table.loc[last, "value"] = float("inf")
    return table
