"""Sweeps that never delete what they did not write, never trust paths from results, and
turn faults (full disk, signals, schedulers) into messages with a folder --resume accepts.

Each test is a reproduction from the adversarial review (issue "Trust")."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from trust_bounds import run_bounded

import simulation.experiments.executors as executors
import simulation.experiments.worker as worker
from simulation.errors import UserError
from simulation.experiments.store import EXPERIMENT_COPY, ResultsFolder
from simulation.experiments.sweep import sweep

ROOT = Path(__file__).resolve().parents[2]
PATIENCE_S = 120.0


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def _results(root: Path) -> dict[str, bytes]:
    """What must be identical between two sweeps of the same experiment (not timings)."""
    out = {k: v for k, v in _tree(root).items() if k.endswith(".parquet") or k in ("summary.csv", EXPERIMENT_COPY) or k.startswith("scenarios/")}
    for path in sorted((root / "records").glob("*.json")):
        record = json.loads(path.read_text())
        out[str(path.relative_to(root))] = json.dumps({k: record[k] for k in ("status", "summary", "seed")}).encode()
    return out


# --------------------------------------------------------------------------------------
# --force removes only what this tool wrote
# --------------------------------------------------------------------------------------


def _clone_like(root: Path) -> Path:
    """A folder shaped like a repository clone: scenarios/, experiments/, tracked files."""
    (root / "scenarios").mkdir(parents=True)
    (root / "experiments").mkdir()
    for name in ("tiny_a.yaml", "tiny_b.yaml", "control.yaml"):
        (root / "scenarios" / name).write_text(f"# tracked {name}\n")
    (root / "experiments" / "headline.yaml").write_text("# tracked\n")
    (root / "README.md").write_text("# tracked\n")
    (root / "summary.csv").write_text("user data\n")
    return root


def test_force_into_a_repository_clone_deletes_nothing(make_experiment, tmp_path):
    clone = _clone_like(tmp_path / "clone")
    before = _tree(clone)
    experiment = make_experiment()
    result = run_bounded("sweep", str(experiment), "--out", str(clone), "--force", "--executor", "serial")
    assert result.refused(), result
    assert "not results of a sweep" in result.stderr and "--force" not in result.stderr.split("never deletes")[0][-20:]
    assert _tree(clone) == before and sorted(os.listdir(clone)) == ["README.md", "experiments", "scenarios", "summary.csv"]


def test_without_force_a_folder_holding_other_files_is_not_written_into(make_experiment, tmp_path):
    clone = _clone_like(tmp_path / "clone")
    before = _tree(clone)
    with pytest.raises(UserError, match="not results of a sweep"):
        sweep(make_experiment(), executor="serial", out=clone, report=False)
    assert _tree(clone) == before  # scenarios/tiny_a.yaml was not overwritten


def test_force_refuses_a_results_folder_holding_a_foreign_file(make_experiment, tmp_path):
    experiment = make_experiment()
    out = tmp_path / "r"
    sweep(experiment, executor="serial", out=out, report=False)
    (out / "runs" / "my-notes.txt").write_text("keep me")
    (out / "analysis.ipynb").write_text("{}")
    before = _tree(out)
    with pytest.raises(UserError, match="analysis.ipynb, runs/my-notes.txt"):
        sweep(experiment, executor="serial", out=out, force=True, report=False)
    assert _tree(out) == before


def test_force_never_deletes_through_a_symlink(make_experiment, tmp_path):
    experiment = make_experiment()
    out = tmp_path / "r"
    sweep(experiment, executor="serial", out=out, report=False)
    precious = tmp_path / "precious.png"
    precious.write_bytes(b"\x89PNG precious")
    (out / "figures").mkdir()
    (out / "figures" / "comparison.png").symlink_to(precious)
    with pytest.raises(UserError, match="figures/comparison.png"):
        sweep(experiment, executor="serial", out=out, force=True, report=False)
    assert precious.read_bytes() == b"\x89PNG precious" and (out / "figures" / "comparison.png").is_symlink()


def test_force_replaces_only_the_manifests_files_and_says_so(make_experiment, tmp_path):
    experiment = make_experiment()
    out = tmp_path / "r"
    sweep(experiment, executor="serial", out=out, report=False)
    first = _results(out)
    said: list[str] = []
    sweep(experiment, executor="serial", out=out, force=True, report=False, say=said.append)
    assert len(said) == 1 and "--force: replacing the results" in said[0] and "6 run record(s)" in said[0]
    assert _results(out) == first


# --------------------------------------------------------------------------------------
# Paths from results are data
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["reproduce", "report", "sweep"])
def test_a_crafted_run_id_is_a_damaged_folder(make_experiment, tmp_path, command):
    experiment = make_experiment()
    out = tmp_path / "deep" / "er" / "r"
    sweep(experiment, executor="serial", out=out, report=False)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["runs"][0]["run_id"] = "../../../../outside/PWNED"
    (out / "manifest.json").write_text(json.dumps(manifest))
    args = {"reproduce": ["reproduce", str(out)], "report": ["report", str(out)],
            "sweep": ["sweep", str(experiment), "--out", str(out), "--resume", "--executor", "serial"]}[command]
    result = run_bounded(*args)
    assert result.refused(), result
    assert "is not one this tool generates" in result.stderr and "damaged" in result.stderr
    assert not list(tmp_path.rglob("PWNED*")) and not Path("/outside").exists()


# --------------------------------------------------------------------------------------
# Faults: a kill at any moment, a full disk, signals, schedulers
# --------------------------------------------------------------------------------------


def test_a_kill_just_after_the_experiment_copy_is_written_leaves_a_resumable_folder(make_experiment, tmp_path, monkeypatch):
    experiment = make_experiment()
    out = tmp_path / "r"
    written = ResultsFolder.write_text

    def killed_after_copy(self, relative, text):
        written(self, relative, text)
        if str(relative) == EXPERIMENT_COPY:
            raise KeyboardInterrupt  # stands for a SIGKILL at this moment: nothing after it runs

    monkeypatch.setattr(ResultsFolder, "write_text", killed_after_copy)
    with pytest.raises(KeyboardInterrupt):
        sweep(experiment, executor="serial", out=out, report=False)
    monkeypatch.undo()
    assert (out / "manifest.json").exists()  # the manifest is written first
    result = sweep(experiment, executor="serial", out=out, resume=True, report=False)
    assert result.ok == 6 and result.exit_code == 0
    clean = tmp_path / "clean"
    sweep(experiment, executor="serial", out=clean, report=False)
    assert _results(out) == _results(clean)


class _FullDisk:
    """``open`` for the worker and the store whose files take only ``room`` bytes in all."""

    def __init__(self, room: int):
        self.room = room

    def __call__(self, path, mode="r", *args, **kwargs):
        handle = open(path, mode, *args, **kwargs)
        if "w" not in mode:
            return handle
        disk, write = self, handle.write

        def limited(data):
            if len(data) > disk.room:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            disk.room -= len(data)
            return write(data)

        handle.write = limited
        return handle


def test_a_full_disk_is_one_message_no_temporaries_and_resume_continues(make_experiment, tmp_path, monkeypatch):
    experiment = make_experiment(replications=5)
    out = tmp_path / "r"
    import simulation.experiments.store as store

    disk = _FullDisk(room=60_000)
    monkeypatch.setattr(worker, "open", disk, raising=False)
    monkeypatch.setattr(store, "open", disk, raising=False)
    with pytest.raises(UserError) as info:
        sweep(experiment, executor="serial", out=out, report=False)
    message = str(info.value)
    assert message.startswith(f"{out}: the disk is full") and "--resume" in message and "MB more" in message
    assert "\n" not in message
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    monkeypatch.undo()
    result = sweep(experiment, executor="serial", out=out, resume=True, report=False)
    assert result.ok == 10 and result.exit_code == 0
    clean = tmp_path / "clean"
    sweep(experiment, executor="serial", out=clean, report=False)
    assert _results(out) == _results(clean)


def _launch(experiment: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simulation", "sweep", str(experiment), "--out", str(out), "--workers", "2"],
                            start_new_session=True, stderr=subprocess.PIPE, text=True)


def _wait_for_runs(proc: subprocess.Popen, out: Path, n: int) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while len(list((out / "records").glob("*.json"))) < n:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_the_parent_alone_stops_workers_at_once(make_experiment, tmp_path, sig, code):
    """SIGTERM exited 143 with no message and left both workers orphaned; SIGINT to the
    parent alone took 13.7 s.  Now: workers stopped, the resume command, quick."""
    experiment = make_experiment(replications=40)
    out = tmp_path / "r"
    proc = _launch(experiment, out)
    _wait_for_runs(proc, out, 4)
    workers = {json.loads(p.read_text())["pid"] for p in (out / "records").glob("*.json")}
    signalled = time.monotonic()
    os.kill(proc.pid, sig)  # the parent only, not its process group
    _, err = proc.communicate(timeout=PATIENCE_S)
    stopped_in = time.monotonic() - signalled
    assert proc.returncode == code, err
    assert "--resume" in err and "Traceback" not in err
    assert stopped_in < 10, stopped_in  # about a second on a quiet machine
    time.sleep(0.5)
    assert workers and not any(_alive(pid) for pid in workers), "a worker outlived the sweep"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["ok"] == len(list((out / "records").glob("*.json"))) < 80
    assert not (out / ".lock").exists()
    done = subprocess.run([sys.executable, "-m", "simulation", "sweep", str(experiment), "--out", str(out), "--resume"],
                          capture_output=True, text=True, timeout=PATIENCE_S * 2)
    assert done.returncode == 0, done.stderr


def test_a_bad_scheduler_address_is_a_message_and_nothing_is_created(make_experiment, tmp_path):
    out = tmp_path / "r"
    result = run_bounded("sweep", str(make_experiment()), "--out", str(out), "--scheduler", "garbage://x")
    assert result.refused(), result
    assert "not a dask scheduler address" in result.stderr and not out.exists()


@pytest.mark.parametrize("content", ["", "{not json", '{"type": "Scheduler"}', "[1, 2]"])
def test_a_bad_scheduler_file_is_a_message_and_nothing_is_created(make_experiment, tmp_path, content):
    file = tmp_path / "scheduler.json"
    file.write_text(content)
    out = tmp_path / "r"
    result = run_bounded("sweep", str(make_experiment()), "--out", str(out), "--scheduler-file", str(file))
    assert result.refused(), result
    assert "expected a dask scheduler file" in result.stderr and not out.exists()


def test_an_unreachable_scheduler_is_refused_before_the_folder_exists(make_experiment, tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    out = tmp_path / "r"
    with pytest.raises(UserError, match="cannot reach the dask scheduler at tcp://127.0.0.1:9"):
        sweep(make_experiment(), scheduler="tcp://127.0.0.1:9", out=out, report=False)
    assert not out.exists()
    # so the re-run, once the scheduler is reachable, is not refused for an existing folder
    result = sweep(make_experiment(), executor="serial", out=out, report=False)
    assert result.exit_code == 0


class _DyingScheduler:
    """A dask client whose scheduler dies after ``lives`` batches (what killing the
    scheduler mid-sweep does: the next call raises ``ClosedClientError``)."""

    lives = 2

    def __init__(self, *args, **kwargs):
        self.submitted = 0

    def nthreads(self):
        return {"worker": 1}

    def submit(self, function, batch, **kwargs):
        from distributed.client import ClosedClientError

        self.submitted += 1
        if self.submitted > self.lives:
            raise ClosedClientError("the scheduler is gone")
        return _DoneFuture(function(batch), kwargs["key"])

    def close(self):
        pass

    status = "running"


class _DoneFuture:
    status = "finished"

    def __init__(self, value, key):
        self.value, self.key = value, key

    def result(self):
        return self.value

    def release(self):
        pass


class _InOrder(list):
    """``as_completed`` for futures that are already done: in submission order."""

    def add(self, future):
        self.append(future)

    def __iter__(self):
        while self:
            yield self.pop(0)


def test_a_scheduler_dying_mid_sweep_is_a_message_and_resume_finishes(make_experiment, tmp_path, monkeypatch):
    import dask.distributed
    import distributed

    for module in (distributed, dask.distributed):  # the executor imports from dask.distributed
        monkeypatch.setattr(module, "Client", _DyingScheduler)
        monkeypatch.setattr(module, "as_completed", _InOrder)
    experiment = make_experiment()
    out = tmp_path / "r"
    with pytest.raises(UserError) as info:
        sweep(experiment, scheduler="tcp://127.0.0.1:8786", out=out, report=False)
    message = str(info.value)
    assert "lost the connection to the dask scheduler" in message and "--resume" in message and "Traceback" not in message
    monkeypatch.undo()
    manifest = json.loads((out / "manifest.json").read_text())
    assert 0 < manifest["counts"]["ok"] < 6  # the runs finished before it died are kept
    result = sweep(experiment, executor="serial", out=out, resume=True, report=False)
    assert result.ok == 6 and result.exit_code == 0


def _workers_of(pid: int) -> list[int]:
    """The spawned worker processes of ``pid`` (not multiprocessing's resource tracker)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            worker = b"spawn_main" in (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and worker:
            out.append(int(stat.parent.name))
    return out


def _ignores_sigint(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:")), 16)
    return bool(mask & (1 << (signal.SIGINT - 1)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_ctrl_c_while_planning_stops_the_workers_started_early_without_a_traceback(make_experiment, tmp_path):
    """Workers start before the plan is built (their imports overlap it).  Ctrl-C then (the
    terminal's whole process group) ends the sweep with "interrupted", no traceback from an
    idle worker, no folder, and no worker left."""
    values = [round(0.001 * (i + 1), 3) for i in range(400)]  # 800 scenario builds: planning takes seconds
    experiment = make_experiment(replications=1, design={"type": "grid", "parameters": {"dynamics.tension.noise": {"values": values}}})
    out = tmp_path / "r"
    proc = _launch(experiment, out)
    deadline = time.monotonic() + PATIENCE_S
    while not (len(workers := _workers_of(proc.pid)) == 2 and all(_ignores_sigint(w) for w in workers)):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    assert not out.exists(), "planning ended before the workers were ready: make it longer"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does
    _, err = proc.communicate(timeout=PATIENCE_S)
    # 130, or death by SIGINT when it lands as the interpreter ends: a shell shows both as 130
    assert proc.returncode in (130, -signal.SIGINT) and "interrupted" in err and "Traceback" not in err, (proc.returncode, err)
    time.sleep(0.5)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the sweep"
    assert not out.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_workers_end_when_the_sweep_is_killed_outright(make_experiment, tmp_path):
    """SIGKILL cannot be handled: the workers must notice the sweep is gone themselves
    (they waited for batches forever, one interpreter each)."""
    experiment = make_experiment(replications=40)
    out = tmp_path / "r"
    proc = _launch(experiment, out)
    _wait_for_runs(proc, out, 4)
    workers = set(_workers_of(proc.pid))
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=PATIENCE_S)
    deadline = time.monotonic() + 10
    while any(_alive(pid) and not _zombie(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workers) == 2 and not any(_alive(pid) and not _zombie(pid) for pid in workers), "a worker outlived the sweep"


def _zombie(pid: int) -> bool:
    """Ended but not yet reaped (its parent, the sweep, is gone; init reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
