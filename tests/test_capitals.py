"""scenarios/data/capitals.csv: rebuilt byte for byte, and its check against capdist."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "scenarios" / "data"
_spec = importlib.util.spec_from_file_location("build_capitals", DATA / "build_capitals.py")
bc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bc)


def test_haversine_quarter_circle_and_symmetry():
    assert bc.haversine_km(0, 0, 90, 0) == pytest.approx(math.pi * bc.EARTH_RADIUS_KM / 2)
    assert bc.haversine_km(10, 20, -30, 40) == pytest.approx(bc.haversine_km(-30, 40, 10, 20))


def test_fit_recovers_a_point_from_its_distances():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(-150, 150, 30), rng.uniform(-60, 60, 30)
    d = bc.haversine_km(13.4, 52.5, lon, lat)
    assert bc.fit_point(lon, lat, d) == pytest.approx((13.4, 52.5), abs=1e-4)


def test_committed_table_is_the_build_output(tmp_path):
    out = tmp_path / "capitals.csv"
    assert bc.main(["--out", str(out)]) == 0
    assert out.read_bytes() == (DATA / "capitals.csv").read_bytes()


def test_committed_table_is_within_tolerance_of_capdist():
    import csv

    with open(DATA / "capitals.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    checked = [r for r in rows if r["median_error_km"] and int(r["ccode"]) not in bc.CAPDIST_OFF]
    assert len(checked) > 180
    assert all(float(r["median_error_km"]) <= bc.TOL_MEDIAN_KM and float(r["max_error_km"]) <= bc.TOL_MAX_KM for r in checked)
    assert {r["state"] for r in rows} >= {"GFR", "GDR", "RVN", "YPR", "ZAN", "USA", "RUS", "CHN"}


def test_a_wrong_capital_fails_the_build(monkeypatch, capsys):
    """Without the rule that capdist measures Kazakhstan from Almaty, the modern list gives
    Astana (~1000 km away): the check must refuse it, naming the state."""
    monkeypatch.setattr(bc, "FIT_INSTEAD", {k: v for k, v in bc.FIT_INSTEAD.items() if k != 705})
    with pytest.raises(SystemExit) as exc:
        bc.main(["--out", "/dev/null"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "KZK (705)" in err and "disagree with capdist" in err


def test_errors_are_the_haversine_minus_capdist():
    lon, lat = np.array([0.0, 90.0]), np.array([0.0, 0.0])
    d = np.array([[0.0, 10000.0], [10000.0, 0.0]])
    e = bc.errors(lon, lat, d)
    assert e[0, 1] == pytest.approx(abs(math.pi * bc.EARTH_RADIUS_KM / 2 - 10000.0)) and np.isnan(e[0, 0])


@pytest.mark.parametrize("world", ["world_2016.yaml", "world_1949_1990.yaml"])
def test_lonlat_is_display_only_the_model_gives_the_same_numbers_without_it(world):
    """Metamorphic: removing every lonlat (listed states and entering states) changes nothing."""
    from simulation.app.export import timeseries_csv
    from simulation.model import AllianceModel
    from simulation.scenario_io import load_scenario

    sc = load_scenario(DATA.parent / world, ["steps=4"])
    assert all(s.lonlat is not None for s in sc.world.states)
    events = [e.model_copy(update={"lonlat": None}) if e.kind == "enter" else e for e in sc.events]
    bare = sc.model_copy(update={"world": sc.world.model_copy(update={"states": tuple(s.model_copy(update={"lonlat": None}) for s in sc.world.states)}),
                                 "events": type(sc.events)(events)})
    runs = []
    for scenario in (sc, bare):
        model = AllianceModel(scenario)
        for _ in range(4):
            model.step()
        runs.append((timeseries_csv(model), model.tension.copy()))
    assert runs[0][0] == runs[1][0] and np.array_equal(runs[0][1], runs[1][1])
