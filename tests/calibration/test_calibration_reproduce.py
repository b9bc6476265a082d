"""``alliance-sim reproduce`` on a calibration folder (simulation/calibration/reproduce.py), on the
output of the small CI calibration (calibration/ci_small.yaml)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simulation.calibration.reproduce import is_calibration_folder, reproduce_calibration, sampled_particles
from simulation.calibration.run import calibrate
from simulation.cli import main

ROOT = Path(__file__).resolve().parents[2]
CI_SMALL = ROOT / "calibration" / "ci_small.yaml"


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ci_small") / "ci_small"
    calibrate(CI_SMALL, out=out, executor="serial", quiet=True)
    return out


@pytest.fixture
def folder(calibrated, tmp_path) -> Path:
    """A copy of the calibration folder a test may tamper with."""
    return Path(shutil.copytree(calibrated, tmp_path / "ci_small"))


def test_an_untouched_calibration_reproduces_identically(folder, capsys):
    posterior = pd.read_csv(folder / "posterior.csv")
    assert main(["reproduce", str(folder), "--runs", "4"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"reproduce {folder}: 6 run(s) re-run: 6 identical, 0 within tolerance (rtol 1e-06), 0 different; "
                       "no value differs")
    comparison = reproduce_calibration(folder, runs=4)
    picked = sampled_particles(len(posterior), 4)
    assert [r.run_id for r in comparison.runs] == [f"particle 2.{posterior['particle'].iloc[i]}" for i in picked] + [
        "predictive.csv", "overlay.yaml"]


def test_a_tampered_score_is_reported_as_different(folder, capsys):
    posterior = pd.read_csv(folder / "posterior.csv")
    i = sampled_particles(len(posterior), 3)[1]
    posterior.loc[i, "score.size_path_rmse"] *= 1.001
    posterior.to_csv(folder / "posterior.csv", index=False, float_format="%.17g")
    assert main(["reproduce", str(folder), "--runs", "3", "--verbose"]) == 1
    err = capsys.readouterr().err
    particle = f"particle 2.{posterior['particle'].iloc[i]}"
    assert f"{particle}: different" in err and "posterior.csv score.size_path_rmse" in err
    assert err.strip().splitlines()[-1].startswith(f"reproduce {folder}: 5 run(s) re-run: 4 identical, 0 within tolerance")
    assert "1 different" in err and f"in score.size_path_rmse ({particle})" in err
    # a tolerance wider than the change accepts it, as for sweep folders
    assert main(["reproduce", str(folder), "--runs", "3", "--rtol", "0.01"]) == 0
    assert "1 within tolerance (rtol 0.01)" in capsys.readouterr().err


def test_a_tampered_predictive_table_is_reported_as_different(folder, capsys):
    table = pd.read_csv(folder / "predictive.csv")
    row = table.index[table["q95"] > 0][0]
    table.loc[row, "q95"] += 1
    table.to_csv(folder / "predictive.csv", index=False, float_format="%.6g")
    assert main(["reproduce", str(folder), "--runs", "1", "--verbose"]) == 1
    err = capsys.readouterr().err
    assert "predictive.csv: different" in err and "q95" in err


def test_an_overlay_that_is_not_the_posterior_median_is_different(folder, capsys):
    overlay = yaml.safe_load((folder / "overlay.yaml").read_text())
    key = next(iter(overlay))
    overlay[key] += 0.05
    (folder / "overlay.yaml").write_text(yaml.safe_dump(overlay))
    assert main(["reproduce", str(folder), "--runs", "1", "--verbose"]) == 1
    err = capsys.readouterr().err
    assert "overlay.yaml: different" in err and f"overlay.yaml {key}" in err


def test_the_calibration_file_is_found_from_the_working_folder(folder, monkeypatch, capsys):
    """The manifest stores the file as given on the command line (relative, as for the
    committed results): it is looked up from the working folder, else from the project root."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["calibration"]["file"] = "calibration/ci_small.yaml"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.chdir(ROOT)
    assert main(["reproduce", str(folder), "--runs", "1"]) == 0
    monkeypatch.chdir(folder)
    assert main(["reproduce", str(folder), "--runs", "1"]) == 2
    assert "the calibration file calibration/ci_small.yaml is not at" in capsys.readouterr().err


def test_bad_requests_exit_2_with_one_message(folder, capsys):
    assert main(["reproduce", str(folder), "--statistical"]) == 2
    assert "--statistical is for sweep folders" in capsys.readouterr().err
    assert main(["reproduce", str(folder), "--runs", "0"]) == 2
    assert "--runs: expected a whole number >= 1" in capsys.readouterr().err
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["status"] = "interrupted"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["reproduce", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "expected a complete calibration" in err and "Traceback" not in err


def test_only_a_calibration_manifest_takes_the_calibration_mode(calibrated, tmp_path):
    assert is_calibration_folder(calibrated)
    (tmp_path / "manifest.json").write_text(json.dumps({"experiment": {"kind": "calibration"}, "runs": []}))
    assert not is_calibration_folder(tmp_path) and not is_calibration_folder(tmp_path / "nowhere")
