"""Progress of a sweep: a tqdm bar on a terminal, plain lines in logs and batch jobs."""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: Plain-line mode prints at most one line per this many seconds (and at the end).
PLAIN_INTERVAL_S = 10.0


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Counts finished and failed runs and shows them with an ETA."""

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None, interval_s: float = PLAIN_INTERVAL_S):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self._bar = None

    def start(self, name: str, *, total: int, done: int) -> None:
        self.name, self.total, self.done, self.failed = name, total, done, 0
        self._skipped = done
        self._t0 = self._last = time.monotonic()
        if self.quiet:
            return
        if self.stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=done, desc=f"sweep {name}", unit="run", file=self.stream, dynamic_ncols=True)
            self._bar.set_postfix(failed=0)
        else:
            already = f" ({done} already stored)" if done else ""
            print(f"sweep {name}: {total} runs{already}", file=self.stream, flush=True)

    def update(self, *, failed: bool) -> None:
        self.done += 1
        self.failed += failed
        if self._bar is not None:
            self._bar.update(1)
            if failed:
                self._bar.set_postfix(failed=self.failed)
        elif not self.quiet:
            now = time.monotonic()
            if now - self._last >= self.interval_s or self.done == self.total:
                self._last = now
                print(self.line(now), file=self.stream, flush=True)

    def line(self, now: float) -> str:
        elapsed = now - self._t0
        executed = self.done - self._skipped
        remaining = self.total - self.done
        eta = _clock(elapsed / executed * remaining) if executed else "?"
        return (f"sweep {self.name}: {self.done}/{self.total} runs done, {self.failed} failed, "
                f"elapsed {_clock(elapsed)}, ETA {eta}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
