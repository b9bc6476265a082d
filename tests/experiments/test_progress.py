"""Sweep progress: an ETA only once enough runs have finished to estimate one, and from the
rate after the first finished run (workers' start-up is not a per-run cost)."""

from __future__ import annotations

import io

from simulation.experiments.progress import MIN_ETA_RUNS, Progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _progress(total, done=0):
    clock = FakeClock()
    stream = io.StringIO()
    p = Progress(stream=stream, interval_s=0.0, clock=clock)
    p.start("x", total=total, done=done)
    return p, clock, stream


def test_no_eta_before_enough_runs():
    p, clock, stream = _progress(1000)
    clock.now = 30.0  # a slow start: workers importing
    for _ in range(MIN_ETA_RUNS - 1):
        clock.now += 0.1
        p.update(failed=False)
    assert p.eta(clock.now) is None
    assert "ETA not yet known" in stream.getvalue().splitlines()[-1]
    assert "ETA 1:" not in stream.getvalue() and "ETA 2:" not in stream.getvalue()


def test_no_eta_before_a_share_of_a_large_sweep():
    p, clock, _ = _progress(10_000)
    for _ in range(MIN_ETA_RUNS + 5):
        clock.now += 1.0
        p.update(failed=False)
    assert p.eta(clock.now) is None  # 15 of 10,000 runs is not enough (5% is 500)


def test_eta_uses_the_rate_after_the_first_run_not_the_start_up():
    p, clock, stream = _progress(100)
    clock.now = 60.0  # one minute of start-up before the first run finishes
    p.update(failed=False)
    for _ in range(19):
        clock.now += 0.5
        p.update(failed=False)
    # 20 done, 80 left, 0.5 s per run since the first: 40 s (the start-up would have said 6 min)
    assert p.eta(clock.now) == 40.0
    assert stream.getvalue().splitlines()[-1].endswith("ETA 0:40")


def test_resumed_sweeps_count_only_this_sessions_runs():
    p, clock, _ = _progress(100, done=90)
    for _ in range(9):
        clock.now += 1.0
        p.update(failed=False)
    assert p.eta(clock.now) is None  # 9 executed here, fewer than the minimum
    clock.now += 1.0
    p.update(failed=False)
    assert "ETA 0:00" in p.line(clock.now)
