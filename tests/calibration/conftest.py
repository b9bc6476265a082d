"""Fixtures for the calibration tests: a toy record made at known parameters and a file writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from simulation.calibration.toy import toy_record, toy_sizes
from simulation.scenario_io import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TWO_BLOCS = ROOT / "scenarios" / "two_blocs.yaml"
#: The parameters the toy record is made at (the calibration should find them).
TRUTH = {"dynamics.membership.review_rate": 0.6, "dynamics.membership.join_threshold": 0.2}
TOY_STEPS = 12


@pytest.fixture
def toy_record_file(tmp_path: Path) -> Path:
    scenario = load_scenario(TWO_BLOCS, {"steps": TOY_STEPS, **TRUTH})
    path = tmp_path / "record.csv"
    toy_record(toy_sizes(scenario, seed=5)).to_csv(path, index=False)
    return path


def toy_calibration(record: Path, **changes: Any) -> dict[str, Any]:
    """A toy calibration file's content (change any key with keyword arguments)."""
    data: dict[str, Any] = {
        "name": "toy",
        "hindcasts": [{"file": str(TWO_BLOCS), "overrides": {"steps": TOY_STEPS}}],
        "observed": {"file": str(record)},
        "simulator": "simulation.calibration.toy:toy_sizes",
        "priors": {
            "dynamics.membership.review_rate": {"distribution": "uniform", "low": 0.0, "high": 1.0},
            "dynamics.membership.join_threshold": {"distribution": "normal", "mean": 0.0, "sd": 0.5, "low": -0.5, "high": 1.0},
        },
        "distance": [{"score": "simulation.calibration.scores:size_path_rmse"},
                     {"score": "simulation.calibration.scores:final_size_error", "weight": 0.5}],
        "population": 16,
        "generations": 2,
        "seed": 3,
        "fan_chart": {"particles": 4},
    }
    data.update(changes)
    return data


@pytest.fixture
def make_toy(tmp_path: Path, toy_record_file: Path) -> Callable[..., Path]:
    """Write a toy calibration file (keyword arguments change its keys) and return its path."""

    def make(name: str = "toy.yaml", **changes: Any) -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(toy_calibration(toy_record_file, **changes), sort_keys=False))
        return path

    return make


@pytest.fixture
def truth() -> dict[str, float]:
    return dict(TRUTH)
