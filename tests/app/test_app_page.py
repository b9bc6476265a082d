"""The page without a browser (``solara.render``): it builds for every scenario file, a slider
reaches the model built on Reset, and a bad file shows the command line's message."""

from __future__ import annotations

from pathlib import Path

import ipyvuetify as v
import pytest
import solara

from simulation.app import appmodel
from simulation.app.cli import SERVER_ENV
from simulation.app.page import AppPage
from simulation.app.picker import try_load
from simulation.app.source import SCENARIO_DIR, ScenarioText, recall, scenario_files

INTERFERENCE = "Atlantic · interference"


@pytest.fixture(autouse=True)
def served_renderer(monkeypatch):
    """Render the page as ``alliance-sim app`` serves it (its ``SERVER_ENV``: reacton's fast renderer)."""
    for name, value in SERVER_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def built(monkeypatch):
    """Every AppModel the page builds, in order."""
    models = []
    original = appmodel.AppModel.__init__

    def record(self, **kwargs):
        original(self, **kwargs)
        models.append(self)

    monkeypatch.setattr(appmodel.AppModel, "__init__", record)
    return models


def _html(rc, cls: str) -> str:
    return rc.find(attributes={"class": cls}).widget.unsafe_innerHTML


def render(text: ScenarioText):
    """The page inside Solara's app layout (the layout ``solara run`` gives it: sidebar included)."""
    return solara.render(solara.AppLayout(children=[AppPage(text)]), handle_error=False)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: Path(p).name)
def test_page_builds_for_every_scenario(path, built):
    box, rc = render(ScenarioText.from_file(path))
    assert _html(rc, "as-step").startswith("<b>step 0")
    assert "<circle" in _html(rc, "as-map-box") and "data:image/png" in _html(rc, "as-matrix-box")
    assert built[-1].sim.n > 0
    rc.close()


def test_slider_changes_the_model_built_on_reset(built):
    box, rc = render(ScenarioText.from_file(SCENARIO_DIR / "two_blocs.yaml"))
    first = built[-1]
    assert first.sim.institution("Atlantic").params["interference"] == 0.1
    rc.find(v.Slider, label=INTERFERENCE).widget.v_model = 0.37
    rc.find(v.Btn, children=["Step"]).widget.fire_event("click", {})
    assert first.sim.steps == 1
    rc.find(v.Btn, children=["Reset"]).widget.fire_event("click", {})
    assert built[-1] is not first
    assert built[-1].sim.institution("Atlantic").params["interference"] == 0.37
    assert built[-1].sim.steps == 0
    rc.close()


def test_bad_yaml_shows_its_message_and_keeps_the_model(built):
    box, rc = render(ScenarioText.from_file(SCENARIO_DIR / "two_blocs.yaml"))
    running = built[-1]
    rc.find(v.Textarea).widget.v_model = "name: bad\nsteps: many\n"
    rc.find(v.Btn, children=["Load pasted YAML"]).widget.fire_event("click", {})
    alert = rc.find(v.Alert).widget
    assert "error: pasted.yaml:2: steps: expected a whole number" in repr(alert.children), alert.children
    assert built[-1] is running and "step 0" in _html(rc, "as-step")
    rc.close()


def test_try_load_reports_names_that_do_not_resolve():
    text = ScenarioText.from_upload("x.yaml", "name: x\nworld: {generate: {count: 5}}\ninstitutions:\n  A: {kind: hegemonic, founders: [Nobody, Else]}\n")
    loaded, message = try_load(lambda: text)
    assert loaded is None and message.startswith("error: x.yaml:4: institutions.A.founders")


def test_a_new_scenario_reopens_the_page_on_it(built):
    box, rc = render(ScenarioText.from_file(SCENARIO_DIR / "two_blocs.yaml"))
    rc.find(v.Select, label="file in scenarios/").widget.v_model = "hegemonic.yaml"
    token = _reload_token(rc)
    rc.close()
    reopened = recall(token)
    assert reopened.file.endswith("hegemonic.yaml")
    box, rc = render(reopened)
    rc.find(v.Slider, label=INTERFERENCE).widget.v_model = 0.55
    rc.find(v.Btn, children=["Reset"]).widget.fire_event("click", {})
    assert built[-1].source is reopened
    assert built[-1].sim.institution("Atlantic").params["interference"] == 0.55
    rc.close()


def _reload_token(rc) -> str:
    widgets = [w for w in rc.find(v.VuetifyTemplate).widgets if w.has_trait("token")]
    assert len(widgets) == 1, "expected the page to reopen on the new scenario"
    return widgets[0].token
