"""Finite by construction: extreme parameters are refused, capability never overflows, and a
run whose numbers stop being finite fails with where it happened, the same under every
executor."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from simulation.errors import ScenarioError
from simulation.experiments.sweep import sweep
from simulation.finite import NonFiniteError, check_step
from simulation.mechanisms.capability import RESCALE_EXPONENT, grow, rescale
from simulation.runner import run_scenario
from simulation.scenario_io import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TWO_BLOCS = ROOT / "scenarios" / "two_blocs.yaml"


@pytest.mark.parametrize("path, value", [
    ("dynamics.capability.growth_mean", 1e308),
    ("dynamics.capability.growth_mean", -1e308),
    ("dynamics.capability.growth_sd", 1e308),
    ("dynamics.tension.noise", 1e308),
    ("dynamics.tension.regime_weight", 1e308),
    ("dynamics.tension.policy_weight", 1e308),
    ("dynamics.membership.control_cost", 1e308),
    ("dynamics.membership.utility_noise", 1e308),
    ("dynamics.membership.max_memberships", 10**20),
    ("institutions.Concord.params.dialogue_intensity", 1e308),
])
def test_values_that_made_runs_non_finite_are_refused(path, value):
    with pytest.raises(ScenarioError, match=path.split(".")[-1] + ": expected"):
        load_scenario(TWO_BLOCS, {path: value})


def test_capability_stays_finite_for_100000_steps_of_default_growth():
    """The default growth (2% a year) overflowed at step 35,372 before rescaling."""
    rng = np.random.default_rng(1)
    p = rng.lognormal(size=60)
    burden = np.zeros(60)
    for _ in range(100_000):
        p = grow(p, rng.standard_normal(60), burden, mean=0.02, sd=0.03)
    shares = p / p.sum()
    assert np.isfinite(p).all() and p.max() <= 2.0 ** RESCALE_EXPONENT * math.exp(1)
    assert np.isfinite(shares).all() and math.isclose(shares.sum(), 1.0)


def test_rescaling_is_exactly_neutral():
    """Scaling by a power of two changes no share: the world metrics of a run whose
    capabilities start 2^300 times larger (rescaled at step 1) equal the plain run's, bit for bit."""
    def world(scale: float):
        dist = {"distribution": "uniform", "low": 0.5 * scale, "high": 2.0 * scale}
        table = run_scenario(load_scenario(TWO_BLOCS, {"world.generate.capability": dist, "steps": 30}))
        return table.reset_index(drop=True)

    plain, scaled = world(1.0), world(2.0 ** 300)
    assert plain.equals(scaled)
    assert rescale(np.array([2.0 ** 300, 2.0 ** 299])).tolist() == [0.5, 0.25]
    same = np.array([3.0, 1.0])
    assert rescale(same) is same  # inside the safe range nothing is touched


def test_a_long_run_at_the_largest_growth_stays_finite():
    """growth_mean 1 (the bound) overflowed capability after ~710 steps without rescaling."""
    table = run_scenario(load_scenario(TWO_BLOCS, {"dynamics.capability.growth_mean": 1.0, "steps": 800}))
    world = table[table["scope"] == "world"]
    assert np.isfinite(world["value"]).all()
    assert world[world["metric"] == "hhi"]["value"].iloc[-1] > 0


def _model(**arrays):
    recorder = SimpleNamespace(step=[0, 0], metric=["hhi", "size"], scope=["world", "West"], value=[0.1, math.nan])
    base = {"steps": 7, "names": ["A", "B", "C"], "capability": np.ones(3), "regime": np.zeros(3),
            "policy": np.zeros((3, 2)), "recorder": recorder}
    return SimpleNamespace(**{**base, **arrays})


def test_the_check_names_step_variable_and_state():
    assert check_step(_model()) == 2  # an institution metric may be NaN (nothing to measure)
    with pytest.raises(NonFiniteError, match="step 7: metric capability of state B is inf") as info:
        check_step(_model(capability=np.array([1.0, math.inf, 1.0])))
    assert (info.value.step, info.value.metric, info.value.state) == (7, "capability", "B")
    with pytest.raises(NonFiniteError, match="policy of state C"):
        check_step(_model(policy=np.array([[0.0, 0.0], [0.0, 0.0], [0.0, math.nan]])))
    inactive = _model(capability=np.array([1.0, math.nan, 1.0]), active=np.array([True, False, True]))
    check_step(inactive)  # a state not (yet) in the world is not checked
    model = _model()
    model.recorder.value[0] = math.nan
    with pytest.raises(NonFiniteError, match=r"metric hhi \(world\) is nan"):
        check_step(model)
    model.recorder.value[0], model.recorder.value[1] = 0.1, math.inf
    with pytest.raises(NonFiniteError, match=r"metric size \(West\)"):
        check_step(model)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_an_infinite_summary_is_one_failed_run_under_every_executor(make_experiment, tmp_path, executor):
    """A run whose summary is inf aborted a serial sweep and failed a whole batch under the
    process pool; now it is one failed run, identically recorded, and the others succeed."""
    design = {"type": "grid", "parameters": {"world.generate.count": {"values": [10, 13]}}}
    experiment = make_experiment(design=design, replications=2, scenarios=[str(Path(__file__).parent / "scenarios" / "tiny_a.yaml")])
    out = tmp_path / executor
    result = sweep(experiment, executor=executor, workers=2, out=out, run_function="simulation.experiments.testing:non_finite_run",
                   report=False)
    assert (result.ok, result.failed) == (2, 2)
    manifest = json.loads((out / "manifest.json").read_text())
    failed = [r for r in manifest["runs"] if r["status"] == "failed"]
    assert [r["run_id"] for r in failed] == ["tiny_a-p0001-r000", "tiny_a-p0001-r001"]
    assert all("mean_tension is inf" in r["error"] for r in failed)
