"""The page's panels as SolaraViz components: functions ``f(app)`` of the ``AppModel`` that
return a Solara element (SolaraViz re-renders them after each step through its
``update_counter``).  What follows the steps comes from the published frame
(``simulation.app.frame``), drawn once per step, never from the model directly.
"""

from __future__ import annotations

from typing import Callable

import solara
from mesa.visualization.utils import force_update, update_counter

from simulation.app import export, swap
from simulation.app.appmodel import AppModel
from simulation.app.frame import current


def MapPanel(app: AppModel):
    """The map of the run, and beside it the paired run's map."""
    frame = current(app)
    with solara.Column() as main:
        solara.HTML(tag="div", unsafe_innerHTML=frame.counter, classes=["as-step"])
        if frame.partner_map is None:
            solara.HTML(tag="div", unsafe_innerHTML=frame.map, classes=["as-map-box"])
        else:  # side by side, so the panel keeps its height
            with solara.Columns([1, 1]):
                solara.HTML(tag="div", unsafe_innerHTML=frame.map, classes=["as-map-box"])
                solara.HTML(tag="div", unsafe_innerHTML=frame.partner_map, classes=["as-partner-map"])
    return main


def MatrixPanel(app: AppModel):
    """Tension between every pair of active states, ordered by bloc."""
    return solara.HTML(tag="div", unsafe_innerHTML=current(app).matrix, classes=["as-matrix-box"])


def SeriesPanel(app: AppModel):
    """The key metrics over time (the paired run dashed)."""
    return solara.HTML(tag="div", unsafe_innerHTML=current(app).series, classes=["as-series-box"])


@solara.component
def SwapPanel(app: AppModel):
    """Run the same world and seed with other rules beside this one (paired).  Only the table
    follows the steps (``PairedTable``); the controls re-render on Swap and Clear."""
    variant = solara.use_reactive(swap.KINDS_SWAPPED)
    _, set_clicks = solara.use_state(0)  # re-renders the controls (app.swap_problem)

    def start():
        app.start_swap(variant.value)
        set_clicks(lambda n: n + 1)
        force_update()

    def stop():
        app.stop_swap()
        set_clicks(lambda n: n + 1)
        force_update()

    with solara.Column() as main:
        with solara.Row():
            solara.Select("paired run", values=list(swap.VARIANTS), value=variant)
            solara.Button("Swap", on_click=start, color="primary", classes=["as-swap"])
            solara.Button("Clear", on_click=stop, outlined=True)
        if app.swap_problem:
            solara.Error(app.swap_problem)
        PairedTable(app)
    return main


@solara.component
def PairedTable(app: AppModel):
    """Both runs' key metrics at this step, and their difference (when there is a paired run)."""
    update_counter.get()
    paired = current(app).paired
    with solara.Column() as main:
        if paired is not None:
            solara.HTML(tag="div", classes=["as-paired"], unsafe_innerHTML=paired)
    return main


@solara.component_vue("shown.vue")
def ShownStep(event_shown: Callable[[int], None] | None = None):
    """Reports the step the page shows (``AppModel.shown``), so play draws every step."""


@solara.component
def ExportPanel(app: AppModel):
    """The run back to the command line, the seed used, and the performance line (the only part
    that follows the steps: ``PerformanceLine``)."""
    with solara.Column() as main:
        solara.FileDownload(lambda: export.resolved_yaml(app), filename="scenario.resolved.yaml", label="scenario.resolved.yaml")
        solara.FileDownload(lambda: export.timeseries_csv(app.sim), filename="timeseries.csv", label="timeseries.csv")
        # (not solara.Markdown: it loads KaTeX from a CDN, which fails offline)
        solara.HTML(tag="div", unsafe_innerHTML="<code>alliance-sim run scenario.resolved.yaml</code> gives the same <code>timeseries.csv</code>.")
        if app.problem:
            solara.Warning(app.problem)
        if app.shown is not None:
            ShownStep(event_shown=app.shown.report)
        PerformanceLine(app)
    return main


@solara.component
def PerformanceLine(app: AppModel):
    """Time per step in the model, per frame drawing, per step waiting for the page."""
    update_counter.get()
    model_ms = 1000 * app.model_seconds / max(app.model_steps, 1)
    draw_ms = 1000 * app.draw_seconds / max(app.frames, 1)
    wait_ms = 1000 * app.wait_seconds / max(app.model_steps, 1)
    return solara.Text(f"model {model_ms:.1f} ms/step · drawing {draw_ms:.1f} ms/frame · waiting for the page {wait_ms:.1f} ms/step · "
                       f"{app.frames} frames drawn for {app.model_steps} steps · {app.frames_missed} not seen in time", classes=["as-perf"])
