"""The committed results match the code: a few stored runs of every committed results folder
are re-run and must be identical or within tolerance.

A change to the model that alters numbers fails here until the results folders are
regenerated (``alliance-sim sweep experiments/<name>.yaml --force``), so committed figures and
tables never silently describe another model.  One run per scenario (at most
``RUNS_PER_FOLDER``) keeps the whole check to a few seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulation.experiments.reproduce import reproduce

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results"
RUNS_PER_FOLDER = 4
#: The committed results folders (README, "Results in this repository"); a folder removed
#: from the repository must be removed here too, so none is left unchecked by accident.
EXPECTED = {"headline", "rule_swap", "interference_sweep", "dialogue_sweep", "sensitivity", "blocs_discovery",
            "hindcast_coldwar", "hindcast_postwar", "hindcast_sco", "hindcast_postwar_calibrated",
            "headline_factorial", "long_horizon", "screening_morris", "sobol_top10",
            "headline_mechanisms", "rule_swap_mechanisms"}


def committed_folders() -> list[Path]:
    """Results folders of sweeps (a calibration's folder has a manifest of another kind,
    checked by its own tests)."""
    return sorted(p.parent for p in RESULTS.glob("*/manifest.json") if "runs" in json.loads(p.read_text()))


def first_run_of_each_scenario(folder: Path) -> list[str]:
    manifest = json.loads((folder / "manifest.json").read_text())
    firsts: dict[str, str] = {}
    for run in manifest["runs"]:
        if run["status"] == "ok":
            firsts.setdefault(run["scenario"], run["run_id"])
    return list(firsts.values())[:RUNS_PER_FOLDER]


def test_every_committed_results_folder_is_checked():
    assert EXPECTED <= {p.name for p in committed_folders()}


@pytest.mark.parametrize("folder", committed_folders(), ids=lambda p: p.name)
def test_committed_results_reproduce_with_this_code(folder):
    run_ids = first_run_of_each_scenario(folder)
    assert run_ids, f"{folder} records no successful run"
    comparison = reproduce(folder, run_ids=run_ids)
    assert len(comparison.runs) == len(run_ids)
    assert comparison.acceptable, (
        f"{folder.name}: the committed results do not match this code; regenerate them with "
        f"'alliance-sim sweep experiments/{folder.name}.yaml --force'.\n" + comparison.verdict(folder) + "\n"
        + "\n".join(comparison.differences[:10]))
