"""Helpers for the browser tests: a system Chromium driven by Playwright, and
``alliance-sim app`` served on a free local port.

Playwright's own browser download needs the internet, so the tests launch Debian's
``chromium`` (``.ci/run`` installs it) with ``--no-sandbox`` (CI runs as root).
``ALLIANCE_SIM_CHROMIUM`` names another executable.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

SERVER_START_S = 60
ROOT = Path(__file__).resolve().parents[2]


def chromium() -> str:
    path = os.environ.get("ALLIANCE_SIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("no chromium found: install Debian's chromium package (apt-get install chromium) or set ALLIANCE_SIM_CHROMIUM")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(scenario: str | None = None):
    """``alliance-sim app`` on a free port of 127.0.0.1; yields its address, stops it after."""
    port = free_port()
    cmd = [sys.executable, "-m", "simulation", "app", "--port", str(port), "--host", "127.0.0.1"] + ([scenario] if scenario else [])
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"alliance-sim app did not start: {proc.stdout.read() if proc.poll() is not None else 'timeout'}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


#: JavaScript: record (time in ms, step text) each time the step counter changes in the page
#: (``__steps``: DOM updates, which the browser may replace before painting any of them) and
#: each animation frame that paints a counter different from the previous frame's
#: (``__painted``: what a student can see); ``__ticks`` counts the animation frames.
WATCH_STEPS = """() => {
  window.__steps = []; window.__painted = []; window.__ticks = [];
  const read = () => { const e = document.querySelector('.as-step'); return e ? e.textContent : null; };
  let last = read();
  new MutationObserver(() => { const t = read(); if (t !== last) { last = t; window.__steps.push([performance.now(), t]); } })
    .observe(document.body, {subtree: true, childList: true, characterData: true});
  let shown = read();
  const tick = (now) => {
    window.__ticks.push(now);
    const t = read();
    if (t !== shown) { shown = t; window.__painted.push([now, t]); }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
