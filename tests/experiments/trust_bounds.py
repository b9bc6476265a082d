"""Run the command line in a subprocess within a memory and CPU budget, and measure it.

The adversarial tests (hostile files, huge sizes) must fail fast and small: each runs
``python -m simulation ...`` under ``RLIMIT_AS`` (1 GB) and ``RLIMIT_CPU`` (10 s), and
reports the child's CPU time and peak memory from ``wait4``, so a test can assert them even
on a machine busy with other work (CPU time does not depend on the load; wall time does).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

MEMORY_LIMIT_BYTES = 1 << 30
CPU_LIMIT_S = 10
#: Wall-clock patience: generous, since the test machine may be shared.
WALL_LIMIT_S = 120
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    cpu_s: float
    peak_mb: float
    wall_s: float

    def refused(self) -> bool:
        """Exit 2 with one message, no traceback, within the budget."""
        return (self.returncode == 2 and "Traceback" not in self.stderr and self.stderr.startswith("error: ")
                and self.cpu_s < CPU_LIMIT_S and self.peak_mb < MEMORY_LIMIT_BYTES / 2**20)


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S))


def run_bounded(*args: str, cwd: str | None = None, stdin: int | None = subprocess.DEVNULL) -> Outcome:
    """``alliance-sim ARGS`` in a budget; returns its exit code, output, CPU time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "simulation", *args], stdout=out, stderr=err, stdin=stdin,
                                cwd=cwd, env=ENV, preexec_fn=_limit)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > WALL_LIMIT_S:
                proc.kill()
                proc.wait()
                raise AssertionError(f"alliance-sim {' '.join(args)} ran for more than {WALL_LIMIT_S} s")
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Outcome(proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                       usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, wall)
