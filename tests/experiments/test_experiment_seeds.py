"""Seeds: common random numbers across scenarios and points, independence across replications."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from simulation.experiments.plan import make_runs, run_id
from simulation.experiments.seeds import design_seed, replication_seeds


def test_replication_k_has_the_same_seed_in_every_scenario_and_point():
    seeds = replication_seeds(123, 4)
    runs = make_runs(["control", "hegemonic", "dialogue"], n_points=5, seeds=seeds)
    assert len(runs) == 3 * 5 * 4
    by_rep = defaultdict(set)
    for run in runs:
        by_rep[run.replication].add(run.seed)
    assert all(by_rep[k] == {seeds[k]} for k in range(4))


def test_seeds_differ_across_replications_and_roots():
    seeds = replication_seeds(1, 200)
    assert len(set(seeds)) == 200
    assert set(seeds).isdisjoint(replication_seeds(2, 200))
    assert all(0 <= s < 2**63 for s in seeds)


def test_adding_replications_keeps_earlier_seeds():
    assert replication_seeds(9, 10)[:4] == replication_seeds(9, 4)


def test_seeds_are_spawned_children_of_the_root():
    expected = np.random.SeedSequence(5).spawn(2)[0].spawn(3)
    assert replication_seeds(5, 3) == [int(s.generate_state(1, dtype=np.uint64)[0]) & (2**63 - 1) for s in expected]
    assert design_seed(5) not in replication_seeds(5, 3)


def test_streams_of_different_replications_are_uncorrelated():
    a, b = (np.random.default_rng(s).random(20000) for s in replication_seeds(3, 2))
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.03  # 4.2 standard errors of zero correlation


def test_run_ids_are_stable_sortable_and_unique():
    runs = make_runs(["a", "b"], n_points=12, seeds=replication_seeds(0, 11))
    ids = [r.run_id for r in runs]
    assert len(set(ids)) == len(ids)
    assert run_id("a", 3, 7, 12, 11) == "a-p0003-r007"
    assert sorted(ids) == sorted(ids, key=lambda i: (i.split("-p")[0], i))
