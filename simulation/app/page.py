"""The page: the scenario card in the sidebar, and SolaraViz with the app's controls and panels.

``solara run simulation.app.page`` serves ``Page``; ``alliance-sim app`` names the scenario
to open in the environment variable ``ALLIANCE_SIM_APP_SCENARIO`` (default
``scenarios/two_blocs.yaml``).  A new scenario gets a new SolaraViz (its controls differ), so
the SolaraViz element is keyed by the scenario's text.
"""

from __future__ import annotations

import os

import solara
from mesa.visualization import SolaraViz

from simulation.app import controls
from simulation.app.appmodel import AppModel
from simulation.app.panels import ExportPanel, MapPanel, MatrixPanel, SeriesPanel, SwapPanel
from simulation.app.picker import Picker
from simulation.app.source import DEFAULT_SCENARIO, ScenarioText

SCENARIO_ENV = "ALLIANCE_SIM_APP_SCENARIO"
#: Default pause between steps while playing (ms); the speed slider goes down to 1.
PLAY_INTERVAL_MS = 100
PANELS = [(MapPanel, 0), (MatrixPanel, 0), (SeriesPanel, 0), (SwapPanel, 0), (ExportPanel, 0)]


def initial_source() -> ScenarioText:
    return ScenarioText.from_file(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


@solara.component
def AppPage(initial: ScenarioText):
    """The whole app for a first scenario ``initial`` (already checked)."""
    loaded = solara.use_reactive(initial)
    problem = solara.use_reactive(None)
    source = loaded.value
    scenario = solara.use_memo(lambda: source.load()[0], [source])
    app = solara.use_memo(lambda: AppModel(source=source), [source])
    with solara.Sidebar():
        Picker(loaded, problem)
    params = {"source": source, **controls.model_params(scenario)}
    SolaraViz(app, components=list(PANELS), model_params=params, name=f"alliance-sim: {scenario.name}",
              play_interval=PLAY_INTERVAL_MS).key(f"viz-{hash((source.file, source.text))}")


@solara.component
def Page():
    initial = solara.use_memo(initial_source, [])
    AppPage(initial)
