"""Shared fixtures: tiny experiment files written into a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from experiment_files import SCENARIOS, experiment_data  # noqa: F401  (re-exported for the fixtures)


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
