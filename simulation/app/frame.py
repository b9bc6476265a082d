"""One frame of the page: the pictures of an ``AppModel`` at its current step (map, paired
map, tension matrix, time series), drawn once per step and kept on the app model.

While playing, ``AppModel.step`` draws the new step's frame before it waits for the page to
show the previous step, so the drawing overlaps the page's painting; the panels then read the
frame instead of drawing it.  A frame is keyed by the run and its pair and their steps, so a
swap, a reset or a new step draws a new one and nothing else does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from simulation.app import map as world_map, matrix, timeseries


@dataclass(frozen=True, eq=False)
class Frame:
    key: tuple
    map: str
    partner_map: str | None
    matrix: str
    series: str


def key(app) -> tuple:
    """What a frame shows: the run and its pair (the objects, not their ids, which can be
    reused), their steps, and the pair's rules."""
    partner = app.partner
    return (app.sim, app.sim.steps, partner, None if partner is None else partner.steps, app.partner_variant)


def current(app) -> Frame:
    """The frame of ``app`` (an ``AppModel``) at its current step, drawn unless it already was;
    drawing time goes to ``app.draw_seconds`` and ``app.frames`` counts the frames drawn."""
    k = key(app)
    frame = app.frame
    if frame is not None and frame.key == k:
        return frame
    started = time.perf_counter()
    sim, partner = app.sim, app.partner
    frame = Frame(
        key=k,
        map=world_map.svg(sim, app.run.name),
        partner_map=None if partner is None else world_map.svg(partner, f"paired: {app.partner_variant}"),
        matrix=matrix.svg(sim),
        series=timeseries.svg(sim, app.run.steps, partner),
    )
    app.draw_seconds += time.perf_counter() - started
    app.frames += 1
    app.frame = frame
    return frame
