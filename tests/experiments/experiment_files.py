"""A small valid experiment, for tests that need its data without the fixtures.

Imported as ``from experiment_files import experiment_data``: a module of its own, because
``from conftest import ...`` picks whichever conftest pytest imported last when several test
folders are collected together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"


def experiment_data(**changes: Any) -> dict[str, Any]:
    """A small valid experiment (2 scenarios x 1 point x 3 replications, 10 steps)."""
    data: dict[str, Any] = {
        "name": "tiny",
        "description": "test experiment",
        "scenarios": [str(SCENARIOS / "tiny_a.yaml"), str(SCENARIOS / "tiny_b.yaml")],
        "replications": 3,
        "seed": 7,
        "summary": {"metrics": ["mean_tension", "crisis_rate", "mean_stability"], "window": 5},
    }
    data.update(changes)
    return data
