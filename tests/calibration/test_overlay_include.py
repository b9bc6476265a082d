"""``include:`` in scenario files: overlays of dotted key paths, before the file's own keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.errors import ScenarioError
from simulation.scenario_io import load_scenario, load_scenario_with_source

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "scenarios" / "two_blocs.yaml").read_text()


def scenario_with(tmp_path: Path, head: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(head + BASE)
    return path


def test_overlay_values_apply_and_the_files_own_keys_win(tmp_path):
    (tmp_path / "a.yaml").write_text("include: [b.yaml]\ndynamics.membership.join_threshold: 0.123\n")
    (tmp_path / "b.yaml").write_text("dynamics.membership.review_rate: 0.7\ninstitutions.Atlantic.params.admission_distance: 0.5\n")
    path = scenario_with(tmp_path, "include: [a.yaml]\ndynamics: {membership: {review_rate: 0.3}}\n")
    s = load_scenario(path)
    assert s.dynamics.membership.join_threshold == 0.123
    assert s.institutions["Atlantic"].params.admission_distance == 0.5
    assert s.dynamics.membership.review_rate == 0.3  # written by the scenario itself
    # --set applies after the overlay
    assert load_scenario(path, ["dynamics.membership.join_threshold=0.2"]).dynamics.membership.join_threshold == 0.2


def test_without_include_nothing_changes(tmp_path):
    assert load_scenario(scenario_with(tmp_path, "")) == load_scenario(ROOT / "scenarios" / "two_blocs.yaml")


def test_cycle_is_an_error_with_the_line(tmp_path):
    (tmp_path / "a.yaml").write_text("include: [b.yaml]\n")
    (tmp_path / "b.yaml").write_text("dynamics.membership.review_rate: 0.7\ninclude: [a.yaml]\n")
    with pytest.raises(ScenarioError, match="forms a cycle") as info:
        load_scenario(scenario_with(tmp_path, "include: [a.yaml]\n"))
    assert info.value.file.endswith("b.yaml") and info.value.line == 2


def test_bad_overlay_value_names_the_overlay_line(tmp_path):
    (tmp_path / "a.yaml").write_text("# calibrated\ndynamics.membership.grievance_decay: 3\n")
    with pytest.raises(ScenarioError, match=r"expected a number between 0 and 1 .*from include .*a\.yaml:2"):
        load_scenario_with_source(scenario_with(tmp_path, "include: [a.yaml]\n"))


def test_missing_overlay_and_bad_include_value(tmp_path):
    with pytest.raises(ScenarioError, match="no such overlay file") as info:
        load_scenario(scenario_with(tmp_path, "include: [nowhere.yaml]\n"))
    assert info.value.line == 1
    with pytest.raises(ScenarioError, match="expected a list of overlay file paths"):
        load_scenario(scenario_with(tmp_path, "include: {a: 1}\n"))
