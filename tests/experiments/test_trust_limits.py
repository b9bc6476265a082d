"""Size limits (docs/limits.md): refused with a message before anything is written, fast.

Each case is a reproduction from the adversarial review: experiments of 10^9 replications,
10^8 LHS samples, 10^7 Morris trajectories, 10^6 grid points, 2^30 Sobol samples; worlds of
20,000 generated or 30,000 listed states; 24 workers on a small machine; overflowing ranges.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from experiment_files import experiment_data
from trust_bounds import run_bounded

from simulation.errors import ScenarioError, UserError
from simulation.experiments.executors import default_workers, max_workers
from simulation.experiments.plan import MAX_DESIGN_POINTS, MAX_REPLICATIONS, MAX_RUNS
from simulation.experiments.sweep import resolve_executor
from simulation.scenario_io import MAX_STATES, load_scenario, world_memory_bytes

ROOT = Path(__file__).resolve().parents[2]
TWO_BLOCS = ROOT / "scenarios" / "two_blocs.yaml"
PATH = "institutions.Atlantic.params.interference"


def _sweep_refused(make_experiment, tmp_path: Path, **changes) -> str:
    experiment = make_experiment(**changes)
    out = tmp_path / "results"
    result = run_bounded("sweep", str(experiment), "--out", str(out), "--executor", "serial")
    assert result.refused(), result
    assert not out.exists()  # checked before anything is written
    return result.stderr


def test_a_billion_replications_are_refused(make_experiment, tmp_path):
    err = _sweep_refused(make_experiment, tmp_path, replications=1_000_000_000)
    assert f"at most {MAX_REPLICATIONS:,} replications" in err


@pytest.mark.parametrize("design, what", [
    ({"type": "lhs", "samples": 10**8, "parameters": {PATH: {"low": 0.0, "high": 0.4}}}, "lhs design has 100,000,000 points"),
    ({"type": "morris", "samples": 10**7, "parameters": {PATH: {"low": 0.0, "high": 0.4},
                                                        "institutions.Atlantic.params.umbrella": {"low": 0.0, "high": 1.0}}},
     "morris design has 30,000,000 points"),
    ({"type": "sobol", "samples": 2**30, "parameters": {PATH: {"low": 0.0, "high": 0.4},
                                                       "institutions.Atlantic.params.umbrella": {"low": 0.0, "high": 1.0}}},
     "sobol design has 6,442,450,944 points"),
    ({"type": "grid", "parameters": {PATH: {"values": [i / 100 for i in range(100)]},
                                     "institutions.Atlantic.params.umbrella": {"values": [i / 100 for i in range(100)]},
                                     "institutions.Atlantic.params.deterrence": {"values": [i / 100 for i in range(100)]}}},
     "grid design has 1,000,000 points"),
])
def test_huge_designs_are_refused(make_experiment, tmp_path, design, what):
    err = _sweep_refused(make_experiment, tmp_path, design=design, replications=1)
    assert what in err and f"at most {MAX_DESIGN_POINTS:,}" in err


def test_too_many_runs_are_refused(make_experiment, tmp_path):
    design = {"type": "lhs", "samples": MAX_DESIGN_POINTS, "parameters": {PATH: {"low": 0.0, "high": 0.4}}}
    err = _sweep_refused(make_experiment, tmp_path, design=design, replications=2)
    assert f"expected at most {MAX_RUNS:,} runs" in err


def test_an_overflowing_lhs_range_is_refused_up_front(make_experiment, tmp_path):
    design = {"type": "lhs", "samples": 4, "parameters": {PATH: {"low": -1e308, "high": 1e308}}}
    err = _sweep_refused(make_experiment, tmp_path, design=design)
    assert "high - low overflows" in err and "design.parameters" in err


def test_twenty_thousand_generated_states_are_refused_by_validate(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(TWO_BLOCS.read_text().replace("count: 60", "count: 20000"))
    assert "count: 20000" in path.read_text()
    result = run_bounded("validate", str(path))
    assert result.refused(), result
    assert f"at most {MAX_STATES:,} states" in result.stderr and "GB of memory" in result.stderr


def test_thirty_thousand_listed_states_are_refused(tmp_path):
    states = [{"name": f"L{i:05d}", "capability": 1.0, "regime": 0.5, "location": [i % 100, i // 100]} for i in range(30_000)]
    path = tmp_path / "listed.yaml"
    path.write_text(yaml.dump({"name": "listed", "steps": 1, "world": {"states": states}}, default_flow_style=None, Dumper=yaml.CSafeDumper))
    result = run_bounded("validate", str(path))
    assert result.refused(), result
    assert "30,000 states" in result.stderr and "world.states" in result.stderr


def test_a_world_that_does_not_fit_in_memory_is_refused(tmp_path, monkeypatch):
    """Under the limit in count, over the memory available: refused, naming both."""
    import simulation.scenario_io as scenario_io

    monkeypatch.setattr(scenario_io, "available_memory_bytes", lambda: world_memory_bytes(1000))
    with pytest.raises(ScenarioError, match="fits in memory"):
        load_scenario(TWO_BLOCS, {"world.generate.count": 2000})
    assert load_scenario(TWO_BLOCS, {"world.generate.count": 900}).world.generate.count == 900


def test_steps_beyond_the_limit_are_refused():
    with pytest.raises(ScenarioError, match="steps"):
        load_scenario(TWO_BLOCS, {"steps": 100_001})


def test_workers_far_above_the_cores_are_refused_and_above_them_warned():
    cores = default_workers()
    with pytest.raises(UserError, match=f"expected at most {max_workers(cores)}"):
        resolve_executor(None, max_workers(cores) + 1, None, None)
    warnings: list[str] = []
    spec = resolve_executor(None, cores + 1, None, None, warn=warnings.append)
    assert spec.workers == cores + 1 and warnings and "more than the" in warnings[0]
    warnings.clear()
    resolve_executor(None, cores, None, None, warn=warnings.append)
    assert not warnings


def test_24_workers_are_refused_before_any_process_starts(make_experiment, tmp_path):
    cores = default_workers()
    experiment = make_experiment()
    result = run_bounded("sweep", str(experiment), "--out", str(tmp_path / "r"), "--workers", str(max_workers(cores) + 1))
    assert result.refused(), result
    assert "--workers" in result.stderr and not (tmp_path / "r").exists()


def test_workers_times_the_world_must_fit_in_memory(make_experiment, tmp_path, monkeypatch, capsys):
    """Each worker holds a world: --workers 2 where only one world fits is refused before
    anything is written, naming the limit and how many workers fit; the default number of
    workers is lowered to what fits, with a warning, and the results are the same."""
    import simulation.scenario_io as scenario_io
    from simulation.cli import main
    from simulation.experiments.sweep import sweep

    monkeypatch.setattr(scenario_io, "available_memory_bytes", lambda: int(world_memory_bytes(10) * 1.5))  # tiny worlds: 10 states
    experiment = make_experiment(replications=2)
    out = tmp_path / "r"
    assert main(["sweep", str(experiment), "--workers", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--workers 2" in err and "10 states" in err and "at most 1 worker" in err, err
    assert "--workers 1" in err and "docs/limits.md" in err
    assert not out.exists()
    monkeypatch.setattr("simulation.experiments.sweep.default_workers", lambda: 2)
    warnings = []
    result = sweep(experiment, out=out, report=False, say=warnings.append)
    assert result.ok == result.total == 4
    assert any("using 1 worker(s) instead of 2" in w for w in warnings), warnings
    manifest = __import__("json").loads((out / "manifest.json").read_text())
    assert manifest["sessions"][0]["executor"]["workers"] == 1


def test_workers_memory_check_counts_the_largest_design_world(make_experiment, monkeypatch):
    import simulation.scenario_io as scenario_io
    from simulation.experiments.plan import build_plan
    from simulation.experiments.schema import load_experiment
    from simulation.experiments.executors import ExecutorSpec
    from simulation.experiments.sweep import check_memory, largest_world

    grid = {"type": "grid", "parameters": {"world.generate.count": {"values": [5, 40]}}}
    source = load_experiment(make_experiment(design=grid))
    plan = build_plan(source, None)
    assert largest_world(plan) == 40
    monkeypatch.setattr(scenario_io, "available_memory_bytes", lambda: 3 * world_memory_bytes(40) - 1)
    assert check_memory(ExecutorSpec("processes", 2), plan, explicit=True, warn=print).workers == 2
    with pytest.raises(UserError, match="at most 2 worker"):
        check_memory(ExecutorSpec("processes", 3), plan, explicit=True, warn=print)
    assert check_memory(ExecutorSpec("serial", 1), plan, explicit=True, warn=print).workers == 1
    assert check_memory(ExecutorSpec("dask", 8, scheduler="tcp://h:1"), plan, explicit=True, warn=print).workers == 8
