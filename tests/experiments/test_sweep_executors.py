"""Executors never change a number: serial == processes == dask, byte for byte."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulation.experiments.sweep import sweep

GRID = {"type": "grid", "parameters": {"dynamics.tension.noise": {"values": [0.01, 0.05]}}}


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
    yield cluster
    cluster.close()


def test_serial_processes_and_dask_give_identical_files(make_experiment, tmp_path, read_bytes, dask_cluster):
    experiment = make_experiment(design=GRID)
    runs = [
        ("serial", dict(executor="serial")),
        ("processes1", dict(executor="processes", workers=1)),
        ("processes2", dict(executor="processes", workers=2)),
        ("dask", dict(executor="dask", scheduler=dask_cluster.scheduler_address)),
    ]
    files = {}
    for name, kwargs in runs:
        result = sweep(experiment, out=tmp_path / name, report=False, **kwargs)
        assert result.exit_code == 0 and result.ok == 12
        files[name] = read_bytes(tmp_path / name, "summary.csv", "runs/*.parquet", "scenarios/*.yaml")
    reference = files.pop("serial")
    assert len(reference) == 1 + 12 + 2
    for name, got in files.items():
        assert got == reference, name


def test_dask_scheduler_file(make_experiment, tmp_path, read_bytes, dask_cluster):
    # what `dask scheduler --scheduler-file F` writes (Client reads only "address"); written by
    # hand because Client.write_scheduler_file can fail to serialise a busy scheduler's info
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(json.dumps({"type": "Scheduler", "address": dask_cluster.scheduler_address}))
    experiment = make_experiment()
    sweep(experiment, out=tmp_path / "file", executor="dask", scheduler_file=str(scheduler_file), report=False)
    sweep(experiment, out=tmp_path / "serial", executor="serial", report=False)
    patterns = ("summary.csv", "runs/*.parquet")
    assert read_bytes(tmp_path / "file", *patterns) == read_bytes(tmp_path / "serial", *patterns)


def test_every_row_carries_its_seed_and_summary_matches_the_series(make_experiment, tmp_path):
    result = sweep(make_experiment(), out=tmp_path / "r", executor="serial", report=False)
    summary = pd.read_csv(result.folder / "summary.csv")
    row = summary.iloc[0]
    series = pd.read_parquet(result.folder / "runs" / f"{row['run_id']}.parquet")
    assert (series["seed"] == row["seed"]).all() and (series["run_id"] == row["run_id"]).all()
    tension = series[(series["metric"] == "mean_tension") & (series["scope"] == "world") & (series["step"] > 0)]
    assert row["mean_tension"] == pytest.approx(tension.sort_values("step")["value"].to_numpy()[-5:].mean(), rel=1e-12)
    # common random numbers: replication k has one seed across scenarios
    assert summary.groupby("replication")["seed"].nunique().eq(1).all()
    assert summary["seed"].nunique() == 3


def test_no_global_numpy_randomness_is_touched(make_experiment, tmp_path):
    before = np.random.get_state()[1].copy()
    sweep(make_experiment(), out=tmp_path / "r", executor="serial", report=False)
    assert (np.random.get_state()[1] == before).all()


@pytest.mark.parametrize("stop", [KeyboardInterrupt, "refused"])
def test_workers_started_while_planning_are_stopped_when_the_sweep_ends_there(make_experiment, tmp_path, monkeypatch, stop):
    """The process pool starts before the plan is built (its workers import the model
    meanwhile); a refused input or Ctrl-C during planning stops them and creates nothing."""
    import multiprocessing

    import simulation.experiments.sweep as sweep_module
    from simulation.errors import UserError

    started = []
    real = sweep_module.build_plan
    before = set(multiprocessing.active_children())  # e.g. a dask cluster of another test

    def planning(*args, **kwargs):
        started.extend(set(multiprocessing.active_children()) - before)  # the workers, spawned before planning
        if stop is KeyboardInterrupt:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "build_plan", planning)
    experiment = make_experiment(design={"type": "grid", "parameters": {"dynamics.tension.noise": {"values": [0.01, -5.0]}}})
    with pytest.raises(KeyboardInterrupt if stop is KeyboardInterrupt else UserError):
        sweep(experiment, out=tmp_path / "r", executor="processes", workers=2)
    assert len(started) == 2
    assert not any(p.is_alive() for p in started) and not set(multiprocessing.active_children()) - before
    assert not (tmp_path / "r").exists()
