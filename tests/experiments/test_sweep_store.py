"""The results folder: no overwrite without --force, one sweep at a time, resume rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from simulation.cli import main
from simulation.errors import UserError
from simulation.experiments.store import LOCK, ResultsFolder
from simulation.experiments.sweep import sweep


def test_existing_results_are_not_overwritten(make_experiment, tmp_path, read_bytes, capsys):
    experiment = make_experiment()
    out = tmp_path / "r"
    sweep(experiment, out=out, executor="serial", report=False)
    before = read_bytes(out, "**/*")
    code = main(["sweep", str(experiment), "--out", str(out), "--executor", "serial"])
    assert code == 2 and "--force" in capsys.readouterr().err
    assert read_bytes(out, "**/*") == before


def test_force_replaces_only_what_a_sweep_wrote(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(), out=out, executor="serial", report=False)
    (out / "runs" / "stray.json").write_text("{}")
    (out / "NOTES.txt").write_text("mine")
    with pytest.raises(UserError, match="NOTES.txt, runs/stray.json"):  # a folder holding anything else is refused
        sweep(make_experiment(replications=2), out=out, executor="serial", force=True, report=False)
    assert (out / "NOTES.txt").read_text() == "mine" and len(list((out / "runs").glob("*.parquet"))) == 6
    (out / "runs" / "stray.json").unlink()
    (out / "NOTES.txt").unlink()
    result = sweep(make_experiment(replications=2), out=out, executor="serial", force=True, report=False)
    assert result.ok == 4
    assert len(list((out / "runs").glob("*.parquet"))) == 4  # the old runs the manifest named are gone


def test_a_live_lock_keeps_a_second_sweep_out(make_experiment, tmp_path):
    out = tmp_path / "r"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        out.mkdir()
        import socket

        (out / LOCK).write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(), "since": "now"}))
        with pytest.raises(UserError, match="another sweep"):
            sweep(make_experiment(), out=out, executor="serial", report=False)
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone: its lock is stale and is taken over
    result = sweep(make_experiment(), out=out, executor="serial", report=False)
    assert result.ok == 6 and not (out / LOCK).exists()


def test_lock_is_exclusive_within_one_machine(tmp_path):
    first = ResultsFolder(tmp_path / "r")
    first.acquire()
    try:
        with pytest.raises(UserError, match="another sweep"):
            ResultsFolder(tmp_path / "r").acquire()
    finally:
        first.release()
    assert not (tmp_path / "r" / LOCK).exists()


def test_resume_refuses_a_changed_experiment(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(), out=out, executor="serial", report=False)
    with pytest.raises(UserError, match="changed since"):
        sweep(make_experiment(seed=8), out=out, executor="serial", resume=True, report=False)


def test_resume_of_a_complete_sweep_runs_nothing(make_experiment, tmp_path):
    experiment = make_experiment()
    out = tmp_path / "r"
    sweep(experiment, out=out, executor="serial", report=False)
    result = sweep(experiment, out=out, executor="serial", resume=True, report=False)
    assert result.executed == 0 and result.ok == 6
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 2 and manifest["counts"]["ok"] == 6


def test_manifest_records_provenance(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(), out=out, executor="serial", report=False)
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["experiment"]["sha256"]) == 64 and m["experiment"]["settings"]["seed"] == 7
    assert set(m["scenarios"]) == {"tiny_a", "tiny_b"} and (out / m["scenarios"]["tiny_a"]["resolved"]).exists()
    assert m["environment"]["packages"]["numpy"] and m["started"] and m["finished"]
    assert all(r["status"] == "ok" and r["elapsed_s"] > 0 and "seed" in r for r in m["runs"])
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))
    assert os.path.isabs(m["experiment"]["file"]) is False
