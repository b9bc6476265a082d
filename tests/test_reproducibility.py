"""Reproducibility: a run is a pure function of (scenario, seed).

Same seed -> byte-identical results; another seed -> different results; the resolved scenario
written beside a run reproduces it; the number of BLAS threads and the global random
generators have no influence.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from simulation.model import AllianceModel
from simulation.runner import run_scenario, simulate
from simulation.scenario_io import dump_resolved, load_scenario, scenario_from_dict
from strategies import ATLANTIC, CONCORD, scenario

TWO_BLOCS = {"Atlantic": ATLANTIC, "Concord": CONCORD}
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def csv_bytes(sc, seed, steps=None) -> bytes:
    return run_scenario(sc, seed=seed, steps=steps).to_csv(index=False).encode()


def rich_scenario():
    """Listed and generated states, a rivalry, both institution kinds and every event kind."""
    return scenario_from_dict(
        {
            "name": "rich",
            "seed": 9,
            "steps": 25,
            "world": {
                "generate": {"count": 25, "capability": {"distribution": "pareto", "shape": 1.3}},
                "states": [
                    {"name": "A", "capability": 5.0, "regime": 0.9, "location": [0, 0]},
                    {"name": "B", "capability": 3.0, "regime": 0.2, "location": [800, 300], "policy": [0.1, 0.3]},
                ],
            },
            "rivalries": [{"a": "A", "b": "B", "intensity": 0.8}],
            "institutions": {
                "Atlantic": {"kind": "hegemonic", "founders": ["A", "S001", "S002"], "params": {"interference": 0.2}},
                "Concord": {"kind": "dialogue", "founders": ["B", "S003", "S004"]},
            },
            "dynamics": {"tension": {"noise": 0.05}},
            "events": [
                {"step": 3, "kind": "threat", "states": ["A", "S005"]},
                {"step": 4, "kind": "crisis", "states": ["B"]},
                {"step": 5, "kind": "rivalry", "a": "S006", "b": "B", "intensity": 0.5},
                {"step": 6, "kind": "join", "state": "S007", "institution": "Concord"},
                {"step": 7, "kind": "leave", "state": "S001", "institution": "Atlantic"},
                {"step": 8, "kind": "set_param", "institution": "Atlantic", "param": "umbrella", "value": 0.9},
            ],
        }
    )


def test_same_seed_gives_byte_identical_results():
    """Two runs of the same scenario and seed (with another run in between) write the same CSV."""
    sc = scenario(TWO_BLOCS, steps=40)
    first = csv_bytes(sc, 4)
    csv_bytes(sc, 5)
    assert csv_bytes(sc, 4) == first
    assert csv_bytes(rich_scenario(), None) == csv_bytes(rich_scenario(), None)


def test_different_seeds_give_different_results():
    """Another seed draws another world and other shocks: every pair of 4 seeds differs."""
    sc = scenario(TWO_BLOCS, steps=20)
    runs = {seed: csv_bytes(sc, seed) for seed in (1, 2, 3, 4)}
    assert len(set(runs.values())) == 4


def test_fixed_world_seed_keeps_the_world_and_changes_the_shocks():
    """world.seed fixes the initial world across run seeds; the dynamics still follow the run seed."""
    sc = scenario(TWO_BLOCS, steps=10, world={"seed": 77, "generate": {"count": 30}})
    a, b = AllianceModel(sc, seed=1), AllianceModel(sc, seed=2)
    for name in ("capability", "regime", "governance", "sovereignty", "policy", "proximity", "tension"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert csv_bytes(sc, 1) != csv_bytes(sc, 2)


def test_resolved_scenario_file_reproduces_the_run(tmp_path):
    """dump_resolved -> file -> load_scenario gives an equal scenario and a byte-identical run."""
    for sc in (rich_scenario(), load_scenario(SCENARIOS / "two_blocs.yaml", ["institutions.Atlantic.params.interference=0.3", "steps=15"])):
        path = tmp_path / f"{sc.name}.resolved.yaml"
        path.write_text(dump_resolved(sc, relative_to=tmp_path))
        again = load_scenario(path)
        assert again == sc
        assert csv_bytes(again, None) == csv_bytes(sc, None)
    assert again.institutions["Atlantic"].params.interference == 0.3


def test_resolved_scenario_with_a_distance_file_reproduces_the_run(tmp_path):
    """The real-world scenario (distance file, 195 states) survives the round trip into another folder."""
    sc = load_scenario(SCENARIOS / "world_2016.yaml", ["steps=3"])
    out = tmp_path / "run"
    out.mkdir()
    path = out / "scenario.resolved.yaml"
    path.write_text(dump_resolved(sc, relative_to=out))
    again = load_scenario(path)
    assert csv_bytes(again, 5) == csv_bytes(sc, 5)


RUN_IN_SUBPROCESS = textwrap.dedent(
    """
    import sys
    from simulation.runner import run_scenario
    from simulation.scenario_io import scenario_from_dict
    sc = scenario_from_dict({"name": "blas", "steps": 12, "world": {"generate": {"count": 160}},
        "institutions": {"A": {"kind": "hegemonic", "founders": {"by": "regime", "count": 20}},
                         "C": {"kind": "dialogue", "founders": {"by": "regime", "order": "lowest", "count": 20}}}})
    sys.stdout.write(run_scenario(sc, seed=8).to_csv(index=False))
    """
)


def run_with_threads(threads: int) -> bytes:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, "-c", RUN_IN_SUBPROCESS], env=env, capture_output=True, timeout=120, check=True)
    return done.stdout


def test_results_do_not_depend_on_blas_thread_count():
    """The same run in processes with 1 and 2 BLAS threads writes the same bytes."""
    one, two = run_with_threads(1), run_with_threads(2)
    assert one and one == two


def test_runner_holds_blas_to_one_thread_during_steps(monkeypatch):
    """Inside simulate(), every BLAS pool reports one thread (what makes the above hold by design)."""
    seen = []
    step = AllianceModel.step

    def spy(self):
        seen.append(json.dumps([(p["user_api"], p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"]))
        step(self)

    monkeypatch.setattr(AllianceModel, "step", spy)
    simulate(scenario(TWO_BLOCS, steps=2), seed=1)
    pools = [json.loads(s) for s in seen]
    assert pools and all(pools) and all(threads == 1 for pool in pools for _, threads in pool)


def test_no_global_random_generator_is_used():
    """Reseeding numpy's and Python's global generators between runs changes nothing, and a run
    leaves their states untouched (nothing draws from them)."""
    sc = scenario(TWO_BLOCS, steps=30)
    np.random.seed(123)
    random.seed(123)
    first = csv_bytes(sc, 6)
    np.random.seed(999)
    random.seed(999)
    np_state, py_state = np.random.get_state(), random.getstate()
    second = csv_bytes(sc, 6)
    assert first == second
    after = np.random.get_state()
    assert all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y for x, y in zip(np_state, after))
    assert random.getstate() == py_state
