"""A sweep killed with SIGKILL part-way, then resumed, equals an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

#: Give up waiting for the subprocess to make progress after this long.
PATIENCE_S = 60.0
#: Kill once this many runs are stored (of 60): well after the start, well before the end.
KILL_AFTER = 12


def _launch(experiment: Path, out: Path, *extra: str) -> subprocess.Popen:
    code = ("import sys; from simulation.experiments.sweep import sweep; "
            "sweep(sys.argv[1], out=sys.argv[2], executor='processes', workers=2, "
            "run_function='simulation.experiments.testing:slow_run', report=False, resume='--resume' in sys.argv)")
    return subprocess.Popen([sys.executable, "-c", code, str(experiment), str(out), *extra],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_killed_sweep_resumes_to_identical_files(make_experiment, tmp_path, read_bytes):
    experiment = make_experiment(replications=30)
    killed = tmp_path / "killed"
    proc = _launch(experiment, killed)
    deadline = time.monotonic() + PATIENCE_S
    try:
        while len(list((killed / "records").glob("*.json"))) < KILL_AFTER:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep made no progress"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # the sweep itself, as `kill -9` would
        proc.wait()
    finally:
        # end the orphaned workers of the killed sweep (they are in its session)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    stored = len(list((killed / "records").glob("*.json")))
    assert KILL_AFTER <= stored < 60
    assert (killed / ".lock").exists()  # left behind by the killed process: stale

    resumed = subprocess.run([sys.executable, "-m", "simulation", "sweep", str(experiment), "--out", str(killed),
                              "--resume", "--workers", "2"], capture_output=True, text=True, timeout=PATIENCE_S)
    assert resumed.returncode == 0, resumed.stderr
    assert f"({stored} already stored)" in resumed.stderr or "already stored" in resumed.stderr

    clean = tmp_path / "clean"
    done = subprocess.run([sys.executable, "-m", "simulation", "sweep", str(experiment), "--out", str(clean), "--executor", "serial"],
                          capture_output=True, text=True, timeout=PATIENCE_S)
    assert done.returncode == 0, done.stderr
    patterns = ("summary.csv", "runs/*.parquet", "scenarios/*.yaml", "experiment.yaml", "figures/*")
    assert read_bytes(killed, *patterns) == read_bytes(clean, *patterns)
    assert len(read_bytes(clean, "runs/*.parquet")) == 60
    assert not (killed / ".lock").exists()
    assert not [p for p in killed.rglob("*") if p.name.endswith(".tmp")]


def test_ctrl_c_stops_cleanly_and_resume_finishes(make_experiment, tmp_path):
    experiment = make_experiment(replications=150)
    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-m", "simulation", "sweep", str(experiment), "--out", str(out), "--workers", "2"],
                            start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + PATIENCE_S
    while len(list((out / "records").glob("*.json"))) < KILL_AFTER:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the terminal's whole process group
    _, err = proc.communicate(timeout=PATIENCE_S)
    assert proc.returncode == 130 and "--resume" in err
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["ok"] == len(list((out / "records").glob("*.json"))) < 300  # nothing written after it
    assert manifest["finished"] is None and not (out / ".lock").exists()
    done = subprocess.run([sys.executable, "-m", "simulation", "sweep", str(experiment), "--out", str(out), "--resume"],
                          capture_output=True, text=True, timeout=PATIENCE_S)
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "manifest.json").read_text())["counts"]["ok"] == 300
