"""Sweeps write each run's membership record as memberships/<run_id>.parquet."""

from __future__ import annotations

import pyarrow.parquet as pq

from simulation.experiments.sweep import sweep


def test_a_sweep_writes_one_membership_file_per_run(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(replications=2), out=out, executor="serial", report=False)
    files = sorted((out / "memberships").glob("*.parquet"))
    runs = sorted((out / "runs").glob("*.parquet"))
    assert [f.name for f in files] == [r.name for r in runs] and len(files) == 4
    table = pq.read_table(files[0]).to_pandas()
    assert list(table.columns) == ["run_id", "scenario", "point", "replication", "seed", "step", "year", "state", "institution", "change"]
    assert (table["run_id"].astype(str) == files[0].stem).all()
    assert set(table["change"].astype(str)) <= {"found", "join", "leave", "dissolve"}
    series = pq.read_table(runs[0]).to_pandas()
    assert (series["seed"] == table["seed"].iloc[0]).all()


def test_a_custom_run_function_returning_a_table_writes_no_membership_file(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(replications=1), out=out, executor="serial", report=False, run_function="simulation.experiments.testing:slow_run")
    assert not (out / "memberships").exists() and len(list((out / "runs").glob("*.parquet"))) == 2
