"""Choosing the scenario: a file of ``scenarios/``, an uploaded file, or pasted YAML.

A new scenario replaces the running one only once it has loaded and its model has been
built (``ScenarioText.checked``); otherwise the page shows the command line's message
(``error: file:line: key.path: expected ...``) and the running model is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import solara

from simulation.app.source import ScenarioText, display_name, scenario_files
from simulation.errors import UserError, error_text


@solara.component_vue("upload.vue")
def UploadButton(label: str = "Upload YAML", event_upload: Callable[[dict], None] | None = None):
    """A plain file input; the browser reads the file and sends ``{name, text}``."""


def try_load(make: Callable[[], ScenarioText]) -> tuple[ScenarioText | None, str | None]:
    """(the scenario text, None) when it loads and builds, else (None, the message)."""
    try:
        text = make()
        text.checked()
    except UserError as exc:
        return None, error_text(exc)
    return text, None


@solara.component
def Picker(loaded: solara.Reactive[ScenarioText], problem: solara.Reactive[str | None]):
    """The scenario card: file list, upload, paste; the message of the last failed load."""
    pasted = solara.use_reactive("")
    files = scenario_files()
    shown = {Path(f).name: f for f in files}
    current = next((name for name, f in shown.items() if display_name(f) == loaded.value.file), None)

    def load(make: Callable[[], ScenarioText]) -> None:
        text, message = try_load(make)
        problem.set(message)
        if text is not None:
            loaded.set(text)

    with solara.Card("Scenario"):
        solara.Select("file in scenarios/", values=list(shown), value=current, on_value=lambda name: load(lambda: ScenarioText.from_file(shown[name], display_name(shown[name]))))
        UploadButton(event_upload=lambda data: load(lambda: ScenarioText.from_upload(str(data.get("name", "upload.yaml")), str(data.get("text", "")))))
        solara.InputTextArea("or paste YAML here", value=pasted, rows=3, auto_grow=False, continuous_update=True)
        solara.Button("Load pasted YAML", on_click=lambda: load(lambda: ScenarioText.from_upload("pasted.yaml", pasted.value)), outlined=True, classes=["as-load-pasted"])
        solara.Text(f"running: {loaded.value.shown}", classes=["as-running"])
        if problem.value:
            solara.Error(problem.value, classes=["as-problem"])
