"""The app's parts without a page: layout, controls, swap, the app model, the downloads."""

from __future__ import annotations

import numpy as np
import pytest


from simulation.app import controls, layout, swap
from simulation.app.appmodel import AppModel
from simulation.app.export import resolved_yaml, timeseries_csv
from simulation.app.source import SCENARIO_DIR, ScenarioText
from simulation.cli import main
from simulation.scenario_io import load_scenario_text

TWO_BLOCS = ScenarioText.from_file(SCENARIO_DIR / "two_blocs.yaml")
INTERFERENCE = "institutions.Atlantic.params.interference"


def test_classical_mds_keeps_planar_distances_and_fixes_the_signs():
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 1000, (12, 2))
    dist = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    xy = layout.classical_mds(dist)
    back = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    assert np.allclose(back, dist, atol=1e-6)
    assert xy[0, 0] <= 0 and xy[0, 1] >= 0
    assert np.array_equal(layout.classical_mds(dist), xy)  # deterministic


def test_real_world_layout_is_fixed_across_steps_and_covers_late_entrants():
    app = AppModel(source=ScenarioText.from_file(SCENARIO_DIR / "world_1949_1990.yaml"))
    before = layout.positions(app.sim).copy()
    assert before.shape == (app.sim.n, 2) and np.isfinite(before).all()
    assert not app.sim.active.all()  # states that enter later have a place already
    for _ in range(3):
        app.step()
    assert np.array_equal(layout.positions(app.sim), before)


def test_controls_cover_each_institution_kind_and_every_switch():
    scenario, _ = TWO_BLOCS.load()
    params = controls.model_params(scenario)
    assert params[INTERFERENCE]["value"] == scenario.institutions["Atlantic"].params.interference
    assert "institutions.Concord.params.dialogue_intensity" in params
    assert "institutions.Concord.params.interference" not in params
    assert sum(k.startswith("mechanisms.") for k in params) == len(type(scenario.mechanisms).model_fields)
    assert controls.seed_of("7", 1) == (7, None)
    seed, message = controls.seed_of("x", 1)
    assert seed == 1 and "whole number" in message


def test_app_model_takes_its_controls_and_drops_mesas_scenario_keyword():
    from mesa.experimental.scenarios import Scenario as MesaScenario

    app = AppModel(source=TWO_BLOCS, seed="5", scenario=MesaScenario(), **{INTERFERENCE: 0.42, "mechanisms.umbrella": False})
    atlantic = app.sim.institution("Atlantic")
    assert atlantic.params["interference"] == 0.42
    assert app.sim.seed == 5 and not app.sim.mechanisms.umbrella
    assert app.changed_controls() == {INTERFERENCE: 0.42, "mechanisms.umbrella": False}


def test_app_model_stops_at_the_scenarios_last_step():
    text = ScenarioText(TWO_BLOCS.text.replace("steps: 100", "steps: 3"), "short.yaml", TWO_BLOCS.base_dir)
    app = AppModel(source=text)
    for _ in range(5):
        app.step()
    assert app.sim.steps == 3 and not app.running


def test_swapped_kinds_and_no_institutions():
    scenario, _ = TWO_BLOCS.load()
    kinds = swap.swapped(scenario, swap.KINDS_SWAPPED)
    assert kinds.institutions["Atlantic"].kind == "dialogue" and kinds.institutions["Concord"].kind == "hegemonic"
    assert swap.swapped(kinds, swap.KINDS_SWAPPED).institutions["Atlantic"].kind == "hegemonic"
    assert swap.swapped(scenario, swap.NO_INSTITUTIONS).institutions == {}
    assert kinds.model_dump(exclude={"institutions", "name"}) == scenario.model_dump(exclude={"institutions", "name"})


def test_paired_run_catches_up_and_steps_in_lockstep_with_common_world():
    app = AppModel(source=TWO_BLOCS)
    app.step()
    app.step()
    app.start_swap(swap.NO_INSTITUTIONS)
    assert app.partner.steps == 2 and app.partner.institutions == []
    app.step()
    assert app.partner.steps == app.sim.steps == 3
    assert app.partner.names == app.sim.names
    fresh = AppModel(source=TWO_BLOCS)
    fresh.start_swap(swap.KINDS_SWAPPED)  # same world and seed: the same states at step 0
    assert np.array_equal(fresh.partner.capability, fresh.sim.capability)
    assert np.array_equal(fresh.partner.regime, fresh.sim.regime)


def test_downloaded_scenario_reproduces_the_time_series(tmp_path):
    app = AppModel(source=TWO_BLOCS, seed="3", **{INTERFERENCE: 0.3})
    for _ in range(4):
        app.step()
    yaml_text = resolved_yaml(app)
    assert f"# Set in the app: {INTERFERENCE}=0.3" in yaml_text
    (tmp_path / "scenario.resolved.yaml").write_text(yaml_text)
    assert main(["run", str(tmp_path / "scenario.resolved.yaml"), "--out", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "timeseries.csv").read_text() == timeseries_csv(app.sim)


def test_text_loading_names_the_upload_in_messages():
    from simulation.errors import ScenarioError

    with pytest.raises(ScenarioError) as err:
        load_scenario_text("name: x\nsteps: -1\n", "upload.yaml", base_dir=SCENARIO_DIR)
    assert str(err.value).startswith("upload.yaml:2: steps: expected")


def test_a_step_is_drawn_at_once_and_shown_after_the_page_shows_the_previous_one():
    """A step draws its frame right after the model step, and publishes it (what the panels
    show) only once the page reports the previous frame: a render of the previous step that
    runs late still shows the previous step.  A swap draws a new frame at once."""
    import queue
    import threading
    import time

    from simulation.app import frame
    from simulation.app.appmodel import Shown

    app = AppModel.for_source(TWO_BLOCS, Shown())()
    reports = queue.Queue()

    def page():  # the page's reports arrive in a thread of their own
        while (step := reports.get()) is not None:
            app.shown.report(step)

    threading.Thread(target=page, daemon=True).start()
    reports.put(0)
    time.sleep(0.05)
    app.step()
    first = app.frame
    assert first.step == app.sim.steps == 1 and app.frames == 1 and "step 1" in first.counter
    assert frame.current(app) is first and app.frames == 1
    stepping = threading.Thread(target=app.step)
    stepping.start()  # steps to 2, then waits for the page to show step 1
    time.sleep(0.3)
    assert app.sim.steps == 2 and frame.current(app) is first  # a late render shows step 1
    reports.put(1)
    stepping.join()
    assert app.frame.step == 2 and app.frames_missed == 0
    app.start_swap(swap.KINDS_SWAPPED)
    assert frame.current(app).partner_map is not None and "Paired run" in app.frame.paired and app.frames == 3
    reports.put(None)


def test_app_command_refuses_a_bad_scenario_before_serving(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsteps: many\n")
    assert main(["app", str(bad), "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {bad}:2: steps: expected a whole number")


def test_app_command_serves_with_the_fast_renderer_unless_the_environment_says_otherwise(monkeypatch):
    from simulation.app import cli as app_cli

    served = {}
    monkeypatch.setattr(app_cli.os, "execve", lambda exe, argv, env: served.update(env))
    monkeypatch.setenv("SOLARA_SERVER_SYNC_WS_WRITE", "false")
    assert main(["app", "--port", "0"]) == 0
    assert served["REACTON_FAST"] == "1" and served["SOLARA_SERVER_SYNC_WS_WRITE"] == "false"


REAL_WORLDS = ("world_2016.yaml", "world_1949_1990.yaml", "world_1991_2024.yaml", "world_2001_2024.yaml")


def _capitals() -> dict[str, tuple[float, float]]:
    import csv

    with open(SCENARIO_DIR / "data" / "capitals.csv", encoding="utf-8") as f:
        return {r["state"]: (float(r["lon"]), float(r["lat"])) for r in csv.DictReader(f)}


@pytest.mark.parametrize("world", REAL_WORLDS)
def test_real_worlds_are_placed_at_their_capitals_longitude_and_latitude(world):
    app = AppModel(source=ScenarioText.from_file(SCENARIO_DIR / world))
    capitals = _capitals()
    assert layout.is_geographic(app.sim)
    expected = np.array([capitals[name] for name in app.sim.names])  # late entrants included
    assert np.array_equal(layout.positions(app.sim), expected)


def test_world_map_is_equirectangular_with_a_graticule():
    """Every drawn state's circle lies at a + s * lon, b - s * lat (one scale for both axes)."""
    import re

    from simulation.app import map as world_map

    app = AppModel(source=ScenarioText.from_file(SCENARIO_DIR / "world_2016.yaml"))
    svg = world_map.svg(app.sim)
    capitals = _capitals()
    drawn = re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)" r="[\d.]+"[^>]*><title>(\w+):', svg)
    assert len(drawn) == int(app.sim.active.sum())
    lon, lat = (np.array([capitals[name][k] for *_, name in drawn]) for k in (0, 1))
    cx, cy = (np.array([float(p[k]) for p in drawn]) for k in (0, 1))
    sx, ax = np.polyfit(lon, cx, 1)
    sy, ay = np.polyfit(lat, cy, 1)
    assert sx > 0 and np.isclose(sy, -sx, rtol=1e-3)  # north up, degrees square
    assert np.abs(ax + sx * lon - cx).max() < 0.06 and np.abs(ay + sy * lat - cy).max() < 0.06  # rounding to 0.1 px
    assert "180°W" in svg and "0°" in svg and "45°N" in svg and "longitude" in svg and "latitude" in svg


def test_generated_world_keeps_its_generated_coordinates():
    app = AppModel(source=TWO_BLOCS)
    assert not layout.is_geographic(app.sim)
    assert np.array_equal(layout.positions(app.sim), app.sim.location)


def test_a_line_across_the_antimeridian_goes_the_short_way():
    from simulation.app.map import _segments

    wrap = (0.0, 360.0)  # 1 px per degree
    assert _segments(10, 50, 20, 60, wrap) == [(10, 50, 20, 60)]
    pieces = _segments(355, 100, 5, 120, wrap)  # Tonga to Fiji: 10 px apart across the edge
    assert pieces == [(5, 120, 0.0, 110.0), (355, 100, 360.0, 110.0)]


def test_the_page_names_scenarios_without_the_machines_absolute_path(tmp_path, monkeypatch):
    from simulation.app.source import display_name

    monkeypatch.chdir(tmp_path)
    assert display_name(str(SCENARIO_DIR / "world_2016.yaml")) == "scenarios/world_2016.yaml"
    assert display_name(str(tmp_path / "sub" / "mine.yaml")) == "sub/mine.yaml"  # inside the current folder
    assert display_name("/elsewhere/entirely/mine.yaml") == "mine.yaml"
    assert display_name("my/own.yaml") == "my/own.yaml"  # as typed
    assert ScenarioText.from_file(SCENARIO_DIR / "two_blocs.yaml").shown == "scenarios/two_blocs.yaml"
    bad = SCENARIO_DIR / "nested" / "bad.yaml"  # not read: a name for the page only
    text = ScenarioText("name: bad\nsteps: many\n", display_name(str(bad)), str(SCENARIO_DIR))
    with pytest.raises(Exception) as exc:
        text.load()
    assert str(exc.value).startswith("scenarios/nested/bad.yaml:2:") and str(SCENARIO_DIR) not in str(exc.value)


def test_play_waits_for_the_page_to_show_each_step(monkeypatch):
    """Each step waits until the page reports showing the current one (so play draws every
    step); without any report (no browser) nothing waits; a page that stops answering costs at
    most FRAME_WAIT_S per step, counted as a frame not seen in time."""
    import threading

    from simulation.app import appmodel
    from simulation.app.appmodel import Shown

    import time

    shown = Shown()
    assert shown.wait_for(7, timeout=0.0)  # never reported: no browser, no waiting
    threading.Thread(target=shown.report, args=(3,)).start()  # reports come from another thread
    time.sleep(0.05)
    assert shown.wait_for(3, timeout=0.0) and not shown.wait_for(4, timeout=0.01)
    threading.Timer(0.05, shown.report, args=(4,)).start()
    assert shown.wait_for(4, timeout=5.0)  # released by the page's report from another thread
    shown.report(5)  # this thread delivers reports (as for a Step click): it never waits
    started = time.perf_counter()
    assert not shown.wait_for(6, timeout=5.0) and time.perf_counter() - started < 1.0

    monkeypatch.setattr(appmodel, "FRAME_WAIT_S", 0.05)
    app = AppModel.for_source(TWO_BLOCS, Shown())()
    reporter = threading.Thread(target=app.shown.report, args=(0,))
    reporter.start()
    reporter.join()
    app.step()  # step 0 is shown: no wait
    assert app.sim.steps == 1 and app.frames_missed == 0
    app.step()  # step 1 never shown: waits FRAME_WAIT_S, then steps anyway
    assert app.sim.steps == 2 and app.frames_missed == 1 and app.wait_seconds >= 0.05
