"""The app in a real browser: headless Chromium (Playwright) against ``alliance-sim app``.

Also the performance benchmark of docs/performance.md (not a timed test: it records steps
per second while playing and the time per step split between the model and the drawing).
The screenshot and the figures are written to the artefact folder
(``ALLIANCE_SIM_APP_ARTEFACTS``, default a pytest temporary folder).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from browser import WATCH_STEPS, chromium, served

PLAY_SECONDS = 4


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("ALLIANCE_SIM_APP_ARTEFACTS") or tmp_path_factory.mktemp("app-artefacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"], headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def url():
    with served() as address:
        yield address


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1500, "height": 1150})
    page.goto(url)
    page.wait_for_selector(".as-step", timeout=60_000)
    return page


def step_number(page) -> int:
    return int(re.search(r"step (\d+)", page.inner_text(".as-step")).group(1))


def test_step_reset_swap_upload(browser, url, artefacts):
    page = open_page(browser, url)
    assert step_number(page) == 0
    expect(page.locator(".as-running")).to_have_text("running: scenarios/two_blocs.yaml")  # never the server's absolute path
    before = page.inner_html(".as-map-box")
    for _ in range(5):
        page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator(".as-step")).to_contain_text("step 5 ")
    assert page.inner_html(".as-map-box") != before

    slider = page.get_by_role("slider").nth(3)  # play interval, render interval, then the first model slider
    slider.focus()
    slider.press("End")
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(".as-step")).to_contain_text("step 0 ")

    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_role("button", name="Swap", exact=True).click()
    expect(page.locator(".as-partner-map")).to_be_visible()
    expect(page.locator(".as-paired")).to_contain_text("Paired run (kinds swapped), step 1")
    page.screenshot(path=str(artefacts / "app.png"), full_page=True)  # the README's picture

    page.locator("input[type=file]").set_input_files(files=[{"name": "bad.yaml", "mimeType": "text/yaml", "buffer": b"name: bad\nsteps: many\n"}])
    expect(page.locator(".as-problem")).to_contain_text("error: bad.yaml:2: steps: expected a whole number")
    page.get_by_role("button", name="Step", exact=True).click()  # the page still works, with the same run
    expect(page.locator(".as-step")).to_contain_text("step 2 ")
    page.screenshot(path=str(artefacts / "app-after-bad-upload.png"), full_page=True)
    page.close()


def play(page, seconds: float) -> dict:
    """Press play at full speed (play interval 1 ms) and measure, as the browser sees it: steps
    per second from the click to the last step shown; the step counter's updates in the page
    (DOM updates); the animation frames that painted a new step (what is seen); and, from the
    server's performance line, the frames it drew and the time per step and per frame."""
    speed = page.get_by_role("slider").first  # play interval (ms): to its minimum
    speed.focus()
    speed.press("Home")
    page.evaluate(WATCH_STEPS)
    clicked = page.evaluate("performance.now()")
    page.get_by_role("button", name="▶").click()
    time.sleep(seconds)
    changes = page.evaluate("window.__steps")
    painted = page.evaluate("window.__painted")
    ticks = page.evaluate("window.__ticks")
    perf = page.inner_text(".as-perf")
    assert changes, "the step counter never changed while playing"
    last_ms, last_text = changes[-1]
    steps = int(re.search(r"step (\d+)", last_text).group(1))
    elapsed = (last_ms - clicked) / 1000.0
    # play goes on while the figures are read: count up to the last step the counter showed
    # (whose paint comes a frame after its DOM update)
    painted = [p for p in painted if p[0] <= last_ms + 100 and int(re.search(r"step (\d+)", p[1]).group(1)) <= steps]
    ticks = [t for t in ticks if clicked <= t <= last_ms]
    seen = {int(re.search(r"step (\d+)", text).group(1)) for _, text in painted} - {0}
    model_ms, draw_ms, wait_ms = (float(x) for x in re.findall(r"([\d.]+) ms", perf))
    drawn = int(re.search(r"(\d+) frames drawn", perf).group(1))
    missed = int(re.search(r"(\d+) not seen in time", perf).group(1))
    return {"steps": steps, "seconds": round(elapsed, 3), "steps_per_second": round(steps / elapsed, 1),
            "frames_drawn_by_server": drawn, "dom_updates": len(changes), "dom_updates_per_second": round(len(changes) / elapsed, 1),
            "frames_painted": len(painted), "painted_per_second": round(len(painted) / elapsed, 1),
            "animation_frames_per_second": round(len(ticks) / elapsed, 1),
            "steps_seen_share": round(len(seen) / max(steps, 1), 3),
            "steps_not_painted": sorted(set(range(1, steps + 1)) - seen)[:20],
            "model_ms_per_step": model_ms, "drawing_ms_per_frame": draw_ms, "waiting_ms_per_step": wait_ms,
            "steps_not_seen_in_time": missed}


def test_performance_while_playing(browser, url, artefacts):
    figures = {}
    page = open_page(browser, url)
    figures["two_blocs"] = play(page, PLAY_SECONDS)
    page.locator(".v-select__selections").first.click()  # the scenario list in the sidebar
    page.get_by_role("option", name="world_2016.yaml").click()
    expect(page.locator(".as-step")).to_contain_text("step 0 of 50", timeout=60_000)  # the page reopens on it
    expect(page.get_by_role("button", name="▶")).to_be_enabled()
    figures["world_2016"] = play(page, PLAY_SECONDS)
    page.close()
    (artefacts / "performance.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    for name, f in figures.items():
        assert f["steps"] > 0, name  # a benchmark, not a timed test: it must play
        # ... and play draws every step: each one painted (unless the page did not answer in time)
        assert f["steps_not_painted"] == [] or f["steps_not_seen_in_time"] > 0, (name, f)
