"""The app's controls: one slider per main parameter of each institution, a checkbox per
mechanism switch, and a seed field, as SolaraViz ``model_params``.

Each control's name is the override path it writes (``institutions.Atlantic.params.interference``,
``mechanisms.umbrella``), so the values SolaraViz hands the app model on Reset become
``--set``-style overrides with nothing to translate; ``seed`` is the run's seed.
"""

from __future__ import annotations

from typing import Any

from simulation.scenario import Mechanisms, Scenario
from simulation.scenario_io import Override

SEED = "seed"

#: (parameter, label, min, max, step) shown for each kind of institution.
SLIDERS: dict[str, tuple[tuple[str, str, float, float, float], ...]] = {
    "hegemonic": (
        ("interference", "interference", 0.0, 1.0, 0.01),
        ("planning", "planning", 0.0, 1.0, 0.01),
        ("umbrella", "umbrella", 0.0, 1.0, 0.01),
        ("deterrence", "deterrence", 0.0, 1.0, 0.01),
        ("admission_distance", "admission distance", 0.0, 1.0, 0.01),
    ),
    "dialogue": (
        ("dialogue_intensity", "intensity", 0.0, 0.2, 0.005),
        ("settlement", "settlement", 0.0, 1.0, 0.01),
        ("counter_threat", "counter-threat", 0.0, 1.0, 0.01),
        ("admission_distance", "admission distance", 0.0, 1.0, 0.01),
    ),
}


def param_path(institution: str, param: str) -> str:
    return f"institutions.{institution}.params.{param}"


def model_params(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """SolaraViz ``model_params`` for ``scenario``: seed, sliders, then switches."""
    out: dict[str, dict[str, Any]] = {SEED: {"type": "InputText", "value": str(scenario.seed), "label": "seed"}}
    for name, inst in scenario.institutions.items():
        values = inst.params.model_dump()
        for param, label, lo, hi, step in SLIDERS[inst.kind]:
            value = float(values[param])
            out[param_path(name, param)] = {
                "type": "SliderFloat", "label": f"{name} · {label}", "value": value,
                "min": lo, "max": max(hi, value), "step": step,
            }
    for switch in Mechanisms.model_fields:
        out[f"mechanisms.{switch}"] = {"type": "Checkbox", "label": switch.replace("_", " "), "value": bool(getattr(scenario.mechanisms, switch))}
    return out


def overrides(controls: dict[str, Any]) -> list[Override]:
    """The controls (all but the seed) as overrides, in a fixed order; origins name the control."""
    return [Override(tuple(key.split(".")), value, f"the app's control {key}") for key, value in sorted(controls.items()) if key != SEED]


def seed_of(text: Any, default: int) -> tuple[int, str | None]:
    """The seed typed in the field, or ``default`` with a message when it is not a whole number >= 0."""
    raw = str(text).strip() if text is not None else ""
    if raw == "":
        return default, None
    try:
        seed = int(raw)
    except ValueError:
        seed = -1
    if seed < 0:
        return default, f"seed: expected a whole number >= 0 (got {raw!r}); kept seed {default}"
    return seed, None
