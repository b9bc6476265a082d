"""The run back to the command line: the files ``alliance-sim run`` writes, from the app.

``scenario.resolved.yaml`` is the scenario as run (the controls written in, the seed, and
``steps`` set to the steps done), so ``alliance-sim run scenario.resolved.yaml`` reproduces
``timeseries.csv`` byte for byte.  Data files stay absolute paths (the file is downloaded,
so there is no results folder to be relative to).
"""

from __future__ import annotations

import io

from simulation.cli_run import write_timeseries
from simulation.scenario_io import dump_resolved


def resolved_yaml(app) -> str:
    """The resolved scenario of ``app`` (an ``AppModel``), with the changed controls listed."""
    changed = app.changed_controls()
    lines = [f"# Set in the app: {key}={value!r}" for key, value in changed.items()]
    lines.append(f"# Seed {app.run.seed}; {app.sim.steps} steps run in the app (steps: below).")
    return "\n".join(lines) + "\n" + dump_resolved(app.resolved())


def timeseries_csv(model) -> str:
    """``timeseries.csv`` of an ``AllianceModel`` so far, exactly as ``alliance-sim run`` writes it."""
    buffer = io.StringIO()
    write_timeseries(model.recorder.frame(), buffer)
    return buffer.getvalue()
