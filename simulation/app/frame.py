"""One frame of the page: everything the page shows of an ``AppModel`` at one step (step
counter, map, paired map, tension matrix, time series, paired table), drawn once per step.

``AppModel.step`` draws the new step's frame right after the model step, and, while playing,
publishes it (``app.frame``) only once the page reports that it shows the previous frame: the
drawing overlaps the page's painting, and the panels read the published frame, never the
model.  So a render of the previous step that Solara runs late, in another thread (when that
thread held the render lock as the step asked for it), still shows the previous step, not a
later one, and every step is painted.  A swap, a clear or a reset (other runs) draws a new
frame at once (``current``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from simulation.app import map as world_map, matrix, timeseries

KEY_METRICS = ("mean_tension", "dispute_rate", "conflict_rate", "crisis_rate", "mean_autonomy")


@dataclass(frozen=True, eq=False)
class Frame:
    runs: tuple  # (run, paired run or None, paired rules): what the frame is of
    step: int
    counter: str
    map: str
    partner_map: str | None
    matrix: str
    series: str
    paired: str | None


def _runs(app) -> tuple:
    return (app.sim, app.partner, app.partner_variant)


def when(model) -> str:
    year = None if model.start_year is None else model.start_year + model.steps
    return f"step {model.steps}" + (f" ({year})" if year is not None else "")


def _paired(app) -> str | None:
    if app.partner is None:
        return None
    a, b = timeseries.latest(app.sim, KEY_METRICS), timeseries.latest(app.partner, KEY_METRICS)
    rows = "".join(f"<tr><td>{m}</td><td>{a[m]:.4g}</td><td>{b[m]:.4g}</td><td>{b[m] - a[m]:+.4g}</td></tr>" for m in KEY_METRICS)
    return (f"<b>Paired run ({app.partner_variant}), {when(app.partner)}, same seed {app.run.seed}</b>"
            f"<table><tr><th>metric</th><th>this run</th><th>paired</th><th>difference</th></tr>{rows}</table>"
            "<small>Same world, same random numbers: the difference is the rules'.</small>")


def draw(app) -> Frame:
    """The frame of ``app`` at its current step; drawing time goes to ``app.draw_seconds`` and
    ``app.frames`` counts the frames drawn."""
    started = time.perf_counter()
    sim, partner = app.sim, app.partner
    frame = Frame(
        runs=_runs(app),
        step=sim.steps,
        counter=f"<b>{when(sim)}</b> of {app.run.steps}",
        map=world_map.svg(sim, app.run.name),
        partner_map=None if partner is None else world_map.svg(partner, f"paired: {app.partner_variant}"),
        matrix=matrix.svg(sim),
        series=timeseries.svg(sim, app.run.steps, partner),
        paired=_paired(app),
    )
    app.draw_seconds += time.perf_counter() - started
    app.frames += 1
    return frame


def current(app) -> Frame:
    """The published frame of ``app``, drawn and published now if there is none yet or if it
    is of other runs (a swap, a clear)."""
    frame = app.frame
    if frame is None or frame.runs[0] is not app.sim or frame.runs[1] is not app.partner or frame.runs[2] != app.partner_variant:
        frame = app.frame = draw(app)
    return frame
