"""Progress of a sweep: a tqdm bar on a terminal, plain lines in logs and batch jobs.

The ETA is shown only once it can be estimated: after ``MIN_ETA_RUNS`` runs and
``MIN_ETA_SHARE`` of the runs to execute have finished in this session, and from the rate
since the first finished run (workers' start-up is a fixed cost, not a per-run one, and
would make the first estimates absurd).
"""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

#: Plain-line mode prints at most one line per this many seconds (and at the end).
PLAIN_INTERVAL_S = 10.0
#: No ETA before this many runs have finished in this session...
MIN_ETA_RUNS = 10
#: ...and this share of the runs this session executes.
MIN_ETA_SHARE = 0.05
#: The bar without tqdm's own remaining-time estimate (ours is in the postfix).
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Counts finished and failed runs and shows them, with an ETA once it means something."""

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None, interval_s: float = PLAIN_INTERVAL_S,
                 clock=time.monotonic):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self.clock = clock
        self._bar = None

    def start(self, name: str, *, total: int, done: int) -> None:
        self.name, self.total, self.done, self.failed = name, total, done, 0
        self._skipped = done
        self._t0 = self._last = self.clock()
        self._first: tuple[float, int] | None = None  # (time, runs executed) at the first finished run
        if self.quiet:
            return
        if self.stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=done, desc=f"sweep {name}", unit="run", file=self.stream, dynamic_ncols=True,
                             bar_format=BAR_FORMAT)
            self._bar.set_postfix_str("failed 0")
        else:
            already = f" ({done} already stored)" if done else ""
            print(f"sweep {name}: {total} runs{already}", file=self.stream, flush=True)

    def update(self, *, failed: bool) -> None:
        self.done += 1
        self.failed += failed
        now = self.clock()
        if self._first is None:
            self._first = (now, self.done - self._skipped)
        if self._bar is not None:
            self._bar.update(1)
            eta = self.eta(now)
            self._bar.set_postfix_str(f"failed {self.failed}" + (f", ETA {_clock(eta)}" if eta is not None else ""), refresh=False)
        elif not self.quiet:
            if now - self._last >= self.interval_s or self.done == self.total:
                self._last = now
                print(self.line(now), file=self.stream, flush=True)

    def eta(self, now: float) -> float | None:
        """Seconds left, or None while too few runs have finished to estimate."""
        executed = self.done - self._skipped
        to_execute = self.total - self._skipped
        if self._first is None or executed < max(MIN_ETA_RUNS, math.ceil(MIN_ETA_SHARE * to_execute)):
            return None
        first_time, first_count = self._first
        rate_runs = executed - first_count
        if rate_runs <= 0 or now <= first_time:
            return None
        return (now - first_time) / rate_runs * (self.total - self.done)

    def line(self, now: float) -> str:
        elapsed = now - self._t0
        remaining = self.eta(now)
        if self.done == self.total:
            eta = "0:00"
        else:
            eta = _clock(remaining) if remaining is not None else "not yet known"
        return (f"sweep {self.name}: {self.done}/{self.total} runs done, {self.failed} failed, "
                f"elapsed {_clock(elapsed)}, ETA {eta}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
