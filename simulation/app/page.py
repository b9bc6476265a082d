"""The page: the scenario card in the sidebar, and SolaraViz with the app's controls and panels.

``solara run simulation.app.page`` serves ``Page``; ``alliance-sim app`` names the scenario
to open in the environment variable ``ALLIANCE_SIM_APP_SCENARIO`` (default
``scenarios/two_blocs.yaml``).  A new scenario gets a new page (its controls differ):
a successful load reopens the page on it (``?scenario=TOKEN``, ``source.remember``).
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

import solara
from mesa.visualization import SolaraViz

from simulation.app import controls
from simulation.app.appmodel import AppModel, Shown
from simulation.app.panels import ExportPanel, MapPanel, MatrixPanel, SeriesPanel, SwapPanel
from simulation.app.picker import Picker
from simulation.app.source import DEFAULT_SCENARIO, ScenarioText, display_name, recall, remember

SCENARIO_ENV = "ALLIANCE_SIM_APP_SCENARIO"
#: Default pause between steps while playing (ms); the speed slider goes down to 1.
PLAY_INTERVAL_MS = 100
PANELS = [(MapPanel, 0), (MatrixPanel, 0), (SeriesPanel, 0), (SwapPanel, 0), (ExportPanel, 0)]


def initial_source() -> ScenarioText:
    path = os.environ.get(SCENARIO_ENV) or str(DEFAULT_SCENARIO)
    return ScenarioText.from_file(path, display_name(path))  # the page never shows the server's absolute paths


@solara.component
def Viz(source: ScenarioText):
    """SolaraViz for one scenario: its own model class, controls and play state."""
    scenario = solara.use_memo(lambda: source.load()[0], [source])
    shown = solara.use_memo(Shown, [source])
    app = solara.use_memo(lambda: AppModel.for_source(source, shown)(), [source])
    SolaraViz(app, components=list(PANELS), model_params=controls.model_params(scenario),
              name=f"alliance-sim: {scenario.name}", play_interval=PLAY_INTERVAL_MS)


@solara.component_vue("reload.vue")
def Reload(token: str):
    """Reopens the page on a scenario (by token): SolaraViz keeps its controller and
    parameters in the sidebar, outside any component the page could re-key, so a new
    scenario gets a new page rather than a half-new SolaraViz."""


@solara.component
def AppPage(initial: ScenarioText):
    """The whole app for a first scenario ``initial`` (already checked)."""
    loaded = solara.use_reactive(initial)
    problem = solara.use_reactive(None)
    with solara.Sidebar():
        Picker(loaded, problem)
    if loaded.value is not initial:
        Reload(token=remember(loaded.value))
        return
    Viz(initial)


@solara.component
def Page():
    router = solara.use_router()
    token = parse_qs(router.search or "").get("scenario", [None])[0]
    initial = solara.use_memo(lambda: recall(token) or initial_source(), [token])
    AppPage(initial)
