"""Simulators: one model run of one hindcast, as the table the distance's scores read.

A simulator is named in the calibration file by import path (``simulator:``), like the
sweep's ``run_function``, so workers import it themselves.  Its signature is
``fn(scenario: Scenario, *, seed: int) -> pandas.DataFrame``; the calibration adds the
columns ``replication`` and ``seed`` and concatenates the replications of one particle.
"""

from __future__ import annotations

import pandas as pd

from simulation.scenario import Scenario

#: Columns of a size path table.
SIZE_COLUMNS = ("institution", "step", "year", "size")


def calendar_offset(scenario: Scenario) -> int:
    """The calendar year of step 0 (``history.start_year``), or 0 for a world without calendar,
    whose "years" are then its steps."""
    history = getattr(scenario, "history", None)
    start = getattr(history, "start_year", None) if history is not None else None
    return int(start) if start is not None else 0


def size_paths(scenario: Scenario, *, seed: int) -> pd.DataFrame:
    """The members of every institution at every step (the ``size`` metric of the time series):
    columns ``institution, step, year, size``.  Works with every scenario today."""
    from simulation.runner import run_scenario

    frame = run_scenario(scenario, seed=seed)
    sizes = frame[frame["metric"] == "size"]
    out = pd.DataFrame({
        "institution": sizes["scope"].astype(str).to_numpy(),
        "step": sizes["step"].astype(int).to_numpy(),
        "size": sizes["value"].to_numpy(dtype=float),
    })
    out.insert(2, "year", out["step"] + calendar_offset(scenario))
    return out


def membership_record(scenario: Scenario, *, seed: int) -> pd.DataFrame:
    """The run's membership record (docs: history interface, section 4): ``step, year, state,
    institution, change``; ``year`` is filled from the steps when the world has no calendar.
    Needs ``simulation.runner.run_with_memberships``."""
    from simulation import runner

    run = getattr(runner, "run_with_memberships", None)
    if run is None:
        raise RuntimeError("simulation.runner.run_with_memberships is not available in this version of the model; "
                           "use the simulator simulation.calibration.simulators:size_paths")
    record = run(scenario, seed=seed).memberships.copy()
    if record["year"].isna().all():
        record["year"] = record["step"] + calendar_offset(scenario)
    return record
