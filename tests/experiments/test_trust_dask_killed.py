"""A real dask scheduler killed in the middle of a sweep (not a fake client).

``dask scheduler --scheduler-file F`` and one ``dask worker`` run as subprocesses; the sweep
runs as a third (``--scheduler-file F``), in its own session so that any process it leaves
behind can be found.  Killing the scheduler mid-sweep must give one clean message with the
resume command and a nonzero exit, leave no process behind, and ``--resume`` (serial) must
then finish with files byte-identical to an uninterrupted serial sweep.  Every wait has a
deadline, so the test cannot hang.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from experiment_files import experiment_data

from simulation.experiments.sweep import sweep as sweep_

pytest.importorskip("dask.distributed")

DASK = Path(sys.executable).with_name("dask")
#: Seconds any one step may take before the test gives up (a shared machine is slow).
DEADLINE_S = 60
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "5s"}
PATTERNS = ("summary.csv", "runs/*.parquet", "scenarios/*.yaml")


def _wait(what: str, condition, deadline_s: float = DEADLINE_S, every: float = 0.05) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what} after {deadline_s} s")
        time.sleep(every)


def _start(*args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(list(args), stdout=subprocess.DEVNULL, stderr=open(log, "wb"), env=ENV,
                            start_new_session=True)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _session_members(sid: int) -> list[int]:
    """Live processes of session ``sid`` (the sweep's, started with ``start_new_session``)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid and Path(f"/proc/{entry}/stat").read_text().split()[2] != "Z":
                    out.append(int(entry))
            except (ProcessLookupError, PermissionError, FileNotFoundError, IndexError):
                continue
    return out


def test_a_killed_scheduler_gives_a_message_and_resume_finishes_identically(tmp_path, read_bytes):
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text(yaml.safe_dump(experiment_data(replications=8, steps=60), sort_keys=False))
    scheduler_file = tmp_path / "scheduler.json"
    out = tmp_path / "r"
    scheduler = _start(str(DASK), "scheduler", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1", "--port", "0",
                       "--no-dashboard", "--no-show", log=tmp_path / "scheduler.log")
    worker = sweep = None
    try:
        _wait("the scheduler file", lambda: scheduler_file.is_file() and scheduler_file.stat().st_size > 0)
        worker = _start(str(DASK), "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1", "--nworkers", "1",
                        "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", log=tmp_path / "worker.log")
        _wait("the worker to register", lambda: b"Registered to" in (tmp_path / "worker.log").read_bytes())
        sweep = subprocess.Popen([sys.executable, "-m", "simulation", "sweep", str(experiment), "--scheduler-file", str(scheduler_file),
                                  "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
                                 start_new_session=True)
        records = out / "records"
        _wait("the first stored run", lambda: records.is_dir() and any(p.suffix == ".json" for p in records.iterdir()))
        scheduler.send_signal(signal.SIGKILL)
        scheduler.wait(timeout=10)
        try:
            _, err = sweep.communicate(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            raise AssertionError("the sweep did not end after its scheduler was killed") from None
        err = err.decode(errors="replace")
        assert sweep.returncode not in (0, None), err
        assert "Traceback" not in err, err
        lines = [line for line in err.splitlines() if line.strip() and not line.startswith("sweep tiny: ")]  # progress lines
        assert len(lines) == 1 and lines[0].startswith("error: "), err  # one message: no dask log lines, no traceback
        assert "lost the connection to the dask scheduler" in lines[0] and "None" not in lines[0], err
        assert f"alliance-sim sweep {experiment} --resume --out {out}" in lines[0], err
        stored = sum(1 for p in records.iterdir() if p.suffix == ".json")
        manifest = json.loads((out / "manifest.json").read_text())
        assert 0 < stored < manifest["counts"]["total"] == 16, stored  # killed mid-sweep
        assert _session_members(sweep.pid) == []  # the sweep left no process behind
    finally:
        for proc in (sweep, worker, scheduler):
            if proc is not None:
                _kill_group(proc)

    # the figures are not what is compared: no report, to keep the test short
    assert sweep_(experiment, resume=True, executor="serial", out=out, report=False).exit_code == 0
    assert sweep_(experiment, executor="serial", out=tmp_path / "serial", report=False).exit_code == 0
    assert read_bytes(out, *PATTERNS) == read_bytes(tmp_path / "serial", *PATTERNS)
    assert len(read_bytes(out, "runs/*.parquet")) == 16
