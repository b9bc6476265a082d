"""The experiment files shipped in experiments/ are valid against the shipped scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.experiments.design import expected_size
from simulation.experiments.plan import build_plan
from simulation.experiments.schema import load_experiment

EXPERIMENTS = sorted((Path(__file__).resolve().parents[2] / "experiments").glob("*.yaml"))


def test_the_four_experiments_are_shipped():
    assert {p.stem for p in EXPERIMENTS} >= {"headline", "interference_sweep", "dialogue_sweep", "sensitivity"}


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_plans(path):
    source = load_experiment(path)
    plan = build_plan(source)
    exp = source.experiment
    assert len(plan.runs) == len(exp.scenarios) * expected_size(exp.design) * exp.replications
