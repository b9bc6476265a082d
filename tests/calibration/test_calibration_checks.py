"""Bad calibration files exit 2 with one message naming file, line and key, before any run."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["calibrate", *args])
    return code, capsys.readouterr().err


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_unknown_parameter_path(make_toy, tmp_path, capsys):
    priors = {"dynamics.membership.joint_threshold": {"distribution": "uniform", "low": 0.0, "high": 0.3}}
    path = make_toy(priors=priors)
    code, err = run_cli(capsys, str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    assert f"{path}:{line_of(path, 'joint_threshold')}: priors.dynamics.membership.joint_threshold: not a real-valued parameter" in err
    assert "unknown key" in err
    assert not (tmp_path / "out").exists()  # nothing written


def test_prior_outside_schema_bounds(make_toy, tmp_path, capsys):
    priors = {"dynamics.membership.review_rate": {"distribution": "uniform", "low": 0.5, "high": 1.5}}
    path = make_toy(priors=priors)
    code, err = run_cli(capsys, str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    assert f"{path}:{line_of(path, 'review_rate')}: priors.dynamics.membership.review_rate:" in err
    assert "lies outside the schema's bounds" in err and "1.5" in err


def test_integer_parameter_is_refused(make_toy, tmp_path, capsys):
    priors = {"dynamics.membership.max_memberships": {"distribution": "uniform", "low": 1.0, "high": 3.0}}
    code, err = run_cli(capsys, str(make_toy(priors=priors)), "--out", str(tmp_path / "out"))
    assert code == 2 and "max_memberships" in err and "real-valued" in err


def test_empty_record(make_toy, tmp_path, toy_record_file, capsys):
    path = make_toy(observed={"file": str(toy_record_file), "years": [1990, 2000]})
    code, err = run_cli(capsys, str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    assert f"{path}:{line_of(path, 'years')}: observed.years: the record is empty" in err


def test_missing_scenario(make_toy, tmp_path, capsys):
    path = make_toy(hindcasts=[{"file": "nowhere.yaml"}])
    code, err = run_cli(capsys, str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    assert f"{path}:{line_of(path, 'nowhere.yaml')}: hindcasts.0.file: no such scenario file" in err


def test_unimportable_score(make_toy, tmp_path, capsys):
    path = make_toy(distance=[{"score": "simulation.calibration.scores:no_such_score"}])
    code, err = run_cli(capsys, str(path), "--out", str(tmp_path / "out"))
    assert code == 2 and "distance.0.score: cannot import simulation.calibration.scores:no_such_score" in err


def test_schema_errors_name_the_line(make_toy, tmp_path, capsys):
    priors = {"dynamics.membership.review_rate": {"distribution": "uniform", "low": 0.8, "high": 0.2}}
    path = make_toy(priors=priors)
    code, err = run_cli(capsys, str(path))
    assert code == 2 and f"{path}:" in err and "expected low < high" in err
    path = make_toy(populaton=10)
    code, err = run_cli(capsys, str(path))
    assert code == 2 and f"{path}:{line_of(path, 'populaton')}: populaton:" in err


def test_hindcast_seed_override_refused(make_toy, tmp_path, capsys):
    path = make_toy(hindcasts=[{"file": str(Path(__file__).resolve().parents[2] / "scenarios" / "two_blocs.yaml"), "overrides": {"seed": 4}}])
    code, err = run_cli(capsys, str(path))
    assert code == 2 and "hindcasts.0.overrides.seed: cannot set the run seed" in err


def test_existing_folder_needs_resume_or_force(make_toy, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    code, err = run_cli(capsys, str(make_toy()), "--out", str(out))
    assert code == 2 and "--resume" in err and "--force" in err
    code, err = run_cli(capsys, str(make_toy()), "--out", str(tmp_path / "fresh"), "--resume")
    assert code == 2 and "nothing to resume" in err
