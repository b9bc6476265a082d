"""A run that raises is recorded (error and seed) and the sweep goes on; exit code 1."""

from __future__ import annotations

import json

import pandas as pd

from simulation.experiments import sweep as sweep_module
from simulation.experiments.sweep import sweep

FAILING = "simulation.experiments.testing:failing_run"
DESIGN = {"type": "grid", "parameters": {"world.generate.count": {"values": [10, 13]}}}


def test_failed_runs_are_recorded_and_the_sweep_goes_on(make_experiment, tmp_path):
    out = tmp_path / "r"
    result = sweep(make_experiment(design=DESIGN), out=out, executor="processes", workers=2, run_function=FAILING)
    assert (result.ok, result.failed, result.exit_code) == (6, 6, 1)
    manifest = json.loads((out / "manifest.json").read_text())
    failed = [r for r in manifest["runs"] if r["status"] == "failed"]
    assert len(failed) == 6 and all(r["design"] == {"world.generate.count": 13} for r in failed)
    assert all("deliberate failure" in r["error"] and isinstance(r["seed"], int) for r in failed)
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary["status"].unique()) == ["failed", "ok"]
    assert summary.loc[summary["status"] == "failed", "mean_tension"].isna().all()
    assert "Failed runs (6)" in (out / "report.md").read_text()
    assert not list((out / "runs").glob("*p0001*.parquet"))


def test_cli_exit_code_is_1_when_runs_fail(make_experiment, tmp_path, monkeypatch, capsys):
    real = sweep_module.sweep
    monkeypatch.setattr(sweep_module, "sweep", lambda *a, **k: real(*a, **k, run_function=FAILING, report=False))
    code = sweep_module.sweep_command(str(make_experiment(design=DESIGN)), executor="serial", workers=None, scheduler=None,
                                      scheduler_file=None, resume=False, force=False, out=str(tmp_path / "r"))
    assert code == 1
    assert "6 of 12 runs failed" in capsys.readouterr().err


def test_resume_retries_failed_runs(make_experiment, tmp_path):
    experiment = make_experiment(design=DESIGN)
    out = tmp_path / "r"
    sweep(experiment, out=out, executor="serial", run_function=FAILING, report=False)
    # the cause is fixed (here: the real model does not fail), resume re-runs only the failures
    result = sweep(experiment, out=out, executor="serial", resume=True, report=False)
    assert (result.executed, result.ok, result.failed) == (6, 12, 0)
