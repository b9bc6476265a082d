"""Shared fixtures: tiny experiment files written into a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

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


@pytest.fixture
def make_experiment(tmp_path: Path) -> Callable[..., Path]:
    """Write an experiment file (defaults from ``experiment_data``) and return its path."""
    counter = iter(range(1000))

    def make(text: str | None = None, **changes: Any) -> Path:
        path = tmp_path / f"experiment_{next(counter)}.yaml"
        path.write_text(text if text is not None else yaml.safe_dump(experiment_data(**changes), sort_keys=False))
        return path

    return make


def folder_bytes(root: Path, *patterns: str) -> dict[str, bytes]:
    """The bytes of every file under ``root`` matching ``patterns`` (for equality checks)."""
    out = {}
    for pattern in patterns:
        for path in sorted(p for p in root.glob(pattern) if p.is_file()):
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


@pytest.fixture
def read_bytes() -> Callable[..., dict[str, bytes]]:
    return folder_bytes
