"""The calibrated default of the real worlds (docs/calibration.md, "The calibrated default of
the real worlds"): the committed copy of the Cold War calibration's overlay, the per-world
overlays build_world.py writes from it, and why the included values cannot feed back into a
re-calibration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulation.calibration.schema import load_calibration
from simulation.scenario_io import load_scenario, load_scenario_text

ROOT = Path(__file__).resolve().parents[2]
COPY = ROOT / "calibration" / "coldwar_calibrated.yaml"
RESULT = ROOT / "results" / "calibration_coldwar" / "overlay.yaml"
BUILD = ROOT / "scenarios" / "data" / "build_world.py"
HISTORICAL = ("world_1949_1990", "world_1991_2024", "world_2001_2024")
STATIC = ("world_2016",)
#: The calibrations that fit the Cold War world (their priors must cover the included keys).
COLDWAR_CALIBRATIONS = ("coldwar.yaml", "coldwar_quick.yaml", "coldwar_rounds.yaml", "coldwar_threat_by_power.yaml")


def mapping(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def world(name: str) -> dict:
    return mapping(ROOT / "scenarios" / f"{name}.yaml")


def expected_overlay(name: str) -> dict:
    """The copy restricted as docs/calibration.md says: a historical world keeps the keys of the
    institutions it declares; a static world keeps no institution's keys."""
    declared = set(world(name).get("institutions") or {}) if name in HISTORICAL else set()
    return {k: v for k, v in mapping(COPY).items()
            if not (k.startswith("institutions.") and k.split(".")[1] not in declared)}


def test_committed_copy_equals_the_calibration_result():
    """A re-calibration that is not copied into calibration/ fails here: the real worlds would
    otherwise keep the old parameters without anyone noticing."""
    assert mapping(COPY) == mapping(RESULT), (
        "calibration/coldwar_calibrated.yaml differs from results/calibration_coldwar/overlay.yaml: "
        "cp results/calibration_coldwar/overlay.yaml calibration/coldwar_calibrated.yaml, then rebuild the "
        "worlds (python scenarios/data/build_world.py, and --year Y --end-year E for each historical world)")


@pytest.mark.parametrize("name", HISTORICAL + STATIC)
def test_each_real_world_includes_its_restricted_overlay(name):
    doc = world(name)
    assert doc["include"] == [f"data/{name}_calibrated.yaml"]
    overlay = ROOT / "scenarios" / "data" / f"{name}_calibrated.yaml"
    assert mapping(overlay) == expected_overlay(name), f"{overlay.name} is stale: rebuild {name} with build_world.py"


def test_historical_worlds_take_every_key_of_their_institutions():
    """The Cold War world takes the whole calibrated set; a world without the WTO all but its keys."""
    assert expected_overlay("world_1949_1990") == mapping(COPY)
    post = expected_overlay("world_2001_2024")
    assert set(mapping(COPY)) - set(post) == {k for k in mapping(COPY) if k.startswith("institutions.WTO.")} != set()
    assert not any(k.startswith("institutions.") for k in expected_overlay("world_2016"))


@pytest.mark.parametrize("name", HISTORICAL + STATIC)
def test_loaded_worlds_carry_the_calibrated_values(name):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    values = mapping(COPY)
    assert scenario.dynamics.membership.join_threshold == values["dynamics.membership.join_threshold"]
    assert scenario.dynamics.membership.view_persistence == values["dynamics.membership.view_persistence"]
    if name in HISTORICAL:
        assert scenario.institutions["NATO"].params.reliability == values["institutions.NATO.params.reliability"]
    else:
        default = load_scenario_text(_without_include(name), f"{name}.yaml", base_dir=ROOT / "scenarios")[0]
        assert scenario.institutions == default.institutions


def _without_include(name: str) -> str:
    text = (ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("include:")]
    assert len(lines) == len(text.splitlines()) - 1
    return "".join(lines)


@pytest.mark.parametrize("calibration", COLDWAR_CALIBRATIONS)
def test_included_keys_are_all_fitted_so_a_recalibration_cannot_see_them(calibration):
    """The calibration sets every prior key on the loaded hindcast world (after its includes), so
    an included key that is not a prior would leak the last fit into the next one."""
    cf = load_calibration(ROOT / "calibration" / calibration)
    priors = set(cf.calibration.priors)
    fitted_worlds = {Path(h.file).stem for h in cf.calibration.hindcasts}
    assert fitted_worlds == {"world_1949_1990"}
    included = set(mapping(ROOT / "scenarios" / "data" / "world_1949_1990_calibrated.yaml"))
    assert included <= priors, f"included but not fitted: {sorted(included - priors)}"


def test_a_particle_sees_the_same_world_with_or_without_the_include():
    """Metamorphic: the scenario the calibration builds for a particle (the hindcast world with its
    includes and overrides, then the prior keys) equals the one built from the world without the
    include, while the two worlds themselves differ."""
    from simulation.calibration.checks import check_calibration
    from simulation.scenario_io import with_overrides

    cf = load_calibration(ROOT / "calibration" / "coldwar.yaml")
    model = check_calibration(cf, pilot=False).model
    label, base = model.hindcasts[0]
    particle = {key: (p.low + p.high) / 2 + 0.01 for key, p in cf.calibration.priors.items()}
    path = ROOT / "scenarios" / "world_1949_1990.yaml"
    plain = load_scenario_text(_without_include("world_1949_1990"), path.name, base_dir=path.parent,
                               overrides=dict(cf.calibration.hindcasts[0].overrides))[0]
    assert base.model_dump() != plain.model_dump()
    assert model.scenario(label, particle).model_dump() == with_overrides(plain, particle, source="test").model_dump()


def _build(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BUILD), "--out-data", str(tmp / "data"), *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_build_writes_the_include_and_a_world_built_elsewhere_loads(tmp_path):
    """The restricted overlay sits beside the data tables, so a world built outside scenarios/
    is complete; --no-calibrated leaves the include out and the world runs on the defaults."""
    res = _build(tmp_path, "--year", "1955", "--out-scenario", str(tmp_path / "w.yaml"))
    assert res.returncode == 0, res.stderr
    assert mapping(tmp_path / "w.yaml")["include"] == ["data/w_calibrated.yaml"]
    got = mapping(tmp_path / "data" / "w_calibrated.yaml")
    assert got == {k: v for k, v in mapping(COPY).items() if not k.startswith("institutions.")}
    scenario = load_scenario(tmp_path / "w.yaml")
    assert scenario.dynamics.membership.exit_cost == mapping(COPY)["dynamics.membership.exit_cost"]

    res = _build(tmp_path / "plain", "--year", "1955", "--no-calibrated", "--out-scenario", str(tmp_path / "plain.yaml"))
    assert res.returncode == 0, res.stderr
    doc = mapping(tmp_path / "plain.yaml")
    assert "include" not in doc and "--no-calibrated" in (tmp_path / "plain.yaml").read_text()
    assert not (tmp_path / "plain" / "data" / "plain_calibrated.yaml").exists()
    assert load_scenario(tmp_path / "plain.yaml").dynamics.membership.exit_cost != mapping(COPY)["dynamics.membership.exit_cost"]


def test_a_missing_calibrated_overlay_exits_2_with_one_message(tmp_path):
    res = _build(tmp_path, "--calibrated", str(tmp_path / "nowhere.yaml"), "--out-scenario", str(tmp_path / "w.yaml"))
    assert res.returncode == 2 and res.stderr.startswith("build_world: error: missing calibrated overlay")
    assert "Traceback" not in res.stderr
