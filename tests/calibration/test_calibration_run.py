"""End-to-end calibrations: toy simulator, reproducibility across executors, kill -9 and resume,
one real (tiny) model calibration, and the overlay included by a scenario."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.calibration.run import calibrate, weighted_median
from simulation.calibration.schema import load_calibration
from simulation.calibration.checks import check_calibration
from simulation.cli import main
from simulation.scenario_io import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def finished_generations(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute("select count(*) from populations where t >= 0").fetchone()[0])
    except sqlite3.Error:  # not created yet, or being written
        return 0


def test_toy_calibration_finds_the_truth_and_writes_every_output(make_toy, tmp_path, truth):
    path = make_toy(population=40, generations=4)
    out = calibrate(path, out=tmp_path / "out", quiet=True)
    for name in ("abc.db", "manifest.json", "posterior.csv", "generations.csv", "populations.csv", "overlay.yaml", "predictive.csv",
                 "figures/marginals.png", "figures/pairs.png", "figures/fan_chart.png"):
        assert (out / name).exists(), name
    posterior = pd.read_csv(out / "posterior.csv")
    assert len(posterior) == 40 and posterior["weight"].sum() == pytest.approx(1.0)
    populations = pd.read_csv(out / "populations.csv")
    assert list(populations["generation"]) == [0, 1, 2, 3]
    assert (np.diff(populations["epsilon"]) < 0).all()  # quantile schedule: epsilon falls
    overlay = yaml.safe_load((out / "overlay.yaml").read_text())
    assert set(overlay) == set(truth)
    # the toy's slopes identify both parameters: the chosen values are near the truth
    for key, value in truth.items():
        assert overlay[key] == pytest.approx(value, abs=0.12), key
        assert overlay[key] == weighted_median(posterior[key].to_numpy(), posterior["weight"].to_numpy())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["generations_done"] == 4
    assert manifest["calibration"]["sha256"] == load_calibration(path).sha256
    assert manifest["sessions"][0]["sampler"]["executor"] == "serial"
    assert manifest["sessions"][0]["environment"]["packages"]["pyabc"].startswith("0.13")


def test_same_seed_same_posterior_and_global_rng_untouched(make_toy, tmp_path):
    path = make_toy(population=10)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = calibrate(path, out=tmp_path / "a", quiet=True, figures=False)
    assert (np.random.get_state()[1] == before).all()
    b = calibrate(path, out=tmp_path / "b", quiet=True, figures=False)
    assert (a / "generations.csv").read_bytes() == (b / "generations.csv").read_bytes()
    other = make_toy("other.yaml", population=10, seed=4)
    c = calibrate(other, out=tmp_path / "c", quiet=True, figures=False)
    assert (a / "generations.csv").read_bytes() != (c / "generations.csv").read_bytes()


def test_processes_and_worker_count_do_not_change_the_posterior(make_toy, tmp_path):
    path = make_toy(population=10)
    serial = calibrate(path, out=tmp_path / "serial", quiet=True, figures=False)
    pooled = calibrate(path, out=tmp_path / "pooled", executor="processes", workers=2, quiet=True, figures=False)
    assert (serial / "generations.csv").read_bytes() == (pooled / "generations.csv").read_bytes()


def wait_for_first_generation(proc: subprocess.Popen, out: Path) -> None:
    """Wait until the calibration in ``proc`` has stored its first generation in ``out``."""
    deadline = time.monotonic() + 180
    while finished_generations(out / "abc.db") < 1:
        assert proc.poll() is None, "the calibration ended before its first generation was stored"
        assert time.monotonic() < deadline, "no generation finished in time"
        time.sleep(0.05)


def test_kill_minus_9_then_resume_continues_from_the_last_generation(make_toy, tmp_path):
    generations = 4
    path = make_toy(simulator="simulation.calibration.toy:slow_toy_sizes", population=10, generations=generations,
                    fan_chart={"enabled": False})
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "simulation", "calibrate", str(path), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_for_first_generation(proc, out)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    kept = finished_generations(out / "abc.db")
    assert 1 <= kept < generations
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"  # died without a word

    assert main(["calibrate", str(path), "--out", str(out), "--resume"]) == 0
    assert finished_generations(out / "abc.db") == generations
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["generations_done"] == generations
    assert [s["resume"] for s in manifest["sessions"]] == [False, True]
    populations = pd.read_csv(out / "populations.csv")
    assert list(populations["generation"]) == list(range(generations))
    # a resumed calibration equals one never interrupted
    whole = calibrate(path, out=tmp_path / "whole", quiet=True, figures=False)
    pd.testing.assert_frame_equal(pd.read_csv(out / "generations.csv"), pd.read_csv(whole / "generations.csv"))
    # resuming a finished calibration runs nothing more
    assert main(["calibrate", str(path), "--out", str(out), "--resume"]) == 0
    assert finished_generations(out / "abc.db") == generations


def _session_processes(sid: int) -> list[int]:
    """Process ids still alive in session ``sid`` (the killed command's workers would be here)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    alive.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                pass
    return alive


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to list the session's processes")
def test_sigterm_stops_the_workers_and_says_how_to_resume(make_toy, tmp_path):
    """SIGTERM to the parent alone (as a batch system sends it) used to end it at once with no
    message and leave both pool workers running as orphans.  Now: exit 143, one line with the
    resume command, no process left in the command's session, and --resume finishes."""
    generations = 4
    path = make_toy(simulator="simulation.calibration.toy:slow_toy_sizes", population=10, generations=generations,
                    fan_chart={"enabled": False})
    out = tmp_path / "terminated"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "simulation", "calibrate", str(path), "--out", str(out),
                             "--executor", "processes", "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        wait_for_first_generation(proc, out)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert f"calibrate {path} --resume --out {out}" in stderr
    deadline = time.monotonic() + 10
    while (left := _session_processes(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"processes outlived the calibration: {left}"
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert main(["calibrate", str(path), "--out", str(out), "--resume"]) == 0
    assert finished_generations(out / "abc.db") == generations


def test_real_model_two_blocs_final_sizes(tmp_path, capsys):
    """One real, tiny calibration: two_blocs for 10 steps, fitted on final institution sizes."""
    record = ROOT / "calibration" / "data" / "two_blocs_record.csv"
    data = {
        "name": "tiny_real",
        "hindcasts": [{"file": str(ROOT / "scenarios" / "two_blocs.yaml"), "steps": 10}],
        "observed": {"file": str(record)},
        "priors": {"dynamics.membership.join_threshold": {"distribution": "uniform", "low": -0.1, "high": 0.3}},
        "distance": [{"score": "simulation.calibration.scores:final_size_error"}],
        "population": 6,
        "generations": 2,
        "seed": 1,
        "fan_chart": {"particles": 3},
    }
    path = tmp_path / "real.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 0
    assert "dynamics.membership.join_threshold =" in capsys.readouterr().out
    posterior = pd.read_csv(tmp_path / "out" / "posterior.csv")
    assert len(posterior) == 6 and posterior["dynamics.membership.join_threshold"].between(-0.1, 0.3).all()
    predictive = pd.read_csv(tmp_path / "out" / "predictive.csv")
    assert set(predictive["institution"]) == {"Atlantic", "Concord"}
    assert predictive["year"].max() == 10


def test_overlay_is_included_by_a_scenario(make_toy, tmp_path):
    out = calibrate(make_toy(), out=tmp_path / "out", quiet=True, figures=False)
    chosen = yaml.safe_load((out / "overlay.yaml").read_text())
    scenario = tmp_path / "calibrated.yaml"
    scenario.write_text(f"include: [out/overlay.yaml]\n" + (ROOT / "scenarios" / "two_blocs.yaml").read_text())
    loaded = load_scenario(scenario)
    assert loaded.dynamics.membership.review_rate == chosen["dynamics.membership.review_rate"]
    assert loaded.dynamics.membership.join_threshold == chosen["dynamics.membership.join_threshold"]


def test_shipped_ci_calibration_passes_its_checks():
    """The CI calibration also fits Atlantic's staged candidacy (changed with mechanisms.candidacy:
    its priors are continuous although the years are whole, see candidacy.whole_years)."""
    plan = check_calibration(load_calibration(ROOT / "calibration" / "ci_small.yaml"))
    assert set(plan.midpoint) == {"dynamics.membership.join_threshold", "institutions.Atlantic.params.admission_distance",
                                  "institutions.Atlantic.params.candidacy_years", "institutions.Atlantic.params.veto_share"}
    assert plan.pilot["distance"] >= 0
