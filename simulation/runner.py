"""Run one scenario and return its tidy time series (and its membership record).

This is the boundary between the model and everything that runs it (the command line,
experiment executors): callers pass a validated ``Scenario`` and get tables back.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import pandas as pd
from threadpoolctl import threadpool_limits

from simulation.finite import check_step
from simulation.model import AllianceModel
from simulation.scenario import Scenario

TIMESERIES_COLUMNS = ("step", "metric", "scope", "value")


class RunOutput(NamedTuple):
    """What one run produces: the tidy time series and the membership record
    (``step, year, state, institution, change``; see ``simulation.record``)."""

    timeseries: pd.DataFrame
    memberships: pd.DataFrame


def simulate(scenario: Scenario, *, seed: int | None = None, steps: int | None = None,
             after_step: Callable[[AllianceModel, int], None] | None = None) -> AllianceModel:
    """Build the model and run it for ``steps`` (default ``scenario.steps``); return the model.

    BLAS is held to one thread: the numbers then cannot depend on how many threads a
    machine offers, and parallel runs do not oversubscribe the cores.  ``after_step(model, t)``
    (t = 0 after the first step) lets a caller read what a step did before the next one.
    """
    steps = scenario.steps if steps is None else int(steps)
    with threadpool_limits(limits=1, user_api="blas"):
        model = AllianceModel(scenario, seed=seed)
        checked = check_step(model)  # NaN or inf stops the run at its first step (simulation.finite)
        for t in range(steps):
            model.step()
            checked = check_step(model, checked)
            if after_step is not None:
                after_step(model, t)
    return model


def run_scenario(scenario: Scenario, *, seed: int | None = None, steps: int | None = None) -> pd.DataFrame:
    """Simulate ``scenario`` and return the tidy table ``step, metric, scope, value``.

    ``seed`` and ``steps`` default to the scenario's own.  Rows are recorded at step 0 (the
    initial world) and after every step; ``scope`` is ``"world"`` or an institution's name.
    """
    return simulate(scenario, seed=seed, steps=steps).recorder.frame()


def run_with_memberships(scenario: Scenario, *, seed: int | None = None, steps: int | None = None) -> RunOutput:
    """Like ``run_scenario``, also returning the run's membership record."""
    model = simulate(scenario, seed=seed, steps=steps)
    return RunOutput(model.recorder.frame(), model.membership_log.frame())
