"""Results folders that cannot be written or read: one message naming the file (exit 2),
never a traceback, and nothing already written is damaged.  Also: a sweep in which no run
succeeded still gets a report."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest
import yaml

from simulation.cli import main
from simulation.errors import UserError
from simulation.experiments.store import ResultsFolder
from simulation.experiments.sweep import sweep

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
FAILING = "simulation.experiments.testing:failing_run"
RUN = "tiny_a-p0000-r000"


def _experiment(folder: Path, **changes) -> Path:
    data = {"name": "broken", "scenarios": [str(SCENARIOS / "tiny_a.yaml")], "replications": 2, "seed": 3, "steps": 3,
            "summary": {"metrics": ["mean_tension"]},
            "figures": [{"kind": "comparison"}, {"kind": "timeseries", "metrics": ["mean_tension"]}]}
    data.update(changes)
    path = folder / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """One small finished sweep, copied by each test that damages it."""
    root = tmp_path_factory.mktemp("stored")
    out = root / "results"
    assert sweep(_experiment(root), out=out, executor="serial").exit_code == 0
    return out


@pytest.fixture
def copy(stored, tmp_path) -> Path:
    # the experiment file sits next to the folder, as the manifest's relative path expects
    shutil.copy(stored.parent / "broken.yaml", tmp_path / "broken.yaml")
    return Path(shutil.copytree(stored, tmp_path / "results"))


def _fails(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


# --- where a sweep writes -------------------------------------------------------------------

@pytest.mark.parametrize("where", ["afile", "afile/inside"])
def test_out_that_is_or_lies_under_a_file_is_refused_before_running(tmp_path, capsys, where):
    (tmp_path / "afile").write_text("not a folder")
    out = tmp_path / where
    err = _fails(capsys, "sweep", str(_experiment(tmp_path)), "--out", str(out), "--executor", "serial")
    assert f"{out}: " in err and "is a file" in err
    assert (tmp_path / "afile").read_text() == "not a folder"


def test_a_folder_that_cannot_be_made_is_a_user_error(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(UserError, match="cannot create the results folder"):
        ResultsFolder(tmp_path / "x").acquire()


# --- reading a damaged folder ---------------------------------------------------------------

@pytest.mark.parametrize("command", ["report", "reproduce"])
def test_results_path_that_is_a_file(tmp_path, capsys, command):
    (tmp_path / "afile").write_text("")
    assert "is a file, not a folder" in _fails(capsys, command, str(tmp_path / "afile"))


MANIFESTS = {
    "a list": (lambda m: [1, 2], "expected a mapping, got list"),
    "no runs": (lambda m: {k: v for k, v in m.items() if k != "runs"}, "runs: missing key"),
    "runs not a list": (lambda m: {**m, "runs": {}}, "runs: expected a list, got dict"),
    "a run without status": (lambda m: {**m, "runs": [{k: v for k, v in r.items() if k != "status"} for r in m["runs"]]},
                             "runs.0.status: missing key"),
    "bad settings": (lambda m: {**m, "experiment": {**m["experiment"], "settings": {**m["experiment"]["settings"], "replications": 0}}},
                     "experiment.settings.replications: expected a whole number of at least 1"),
}


@pytest.mark.parametrize("case", sorted(MANIFESTS))
@pytest.mark.parametrize("command", ["report", "reproduce"])
def test_a_manifest_of_the_wrong_shape(copy, capsys, case, command):
    change, words = MANIFESTS[case]
    manifest = copy / "manifest.json"
    manifest.write_text(json.dumps(change(json.loads(manifest.read_text()))))
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    err = _fails(capsys, command, str(copy))
    assert f"{manifest}: " in err and words in err
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before


def test_settings_refused_today_stay_readable_in_old_results(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["experiment"]["settings"]["overrides"] = {"seed": 5}  # accepted before the run seed was refused
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert main(["report", str(copy)]) == 0


def test_resume_from_a_damaged_manifest_is_refused(copy, capsys):
    (copy / "manifest.json").write_text("[]")
    err = _fails(capsys, "sweep", str(copy.parent / "broken.yaml"), "--out", str(copy), "--resume", "--executor", "serial")
    assert "manifest.json" in err and "cannot resume" in err and "--out" in err


def test_a_truncated_run_file_is_named_and_resume_runs_it_again(copy, capsys):
    path = copy / "runs" / f"{RUN}.parquet"
    path.write_bytes(path.read_bytes()[:100])
    for command in ("report", "reproduce"):
        err = _fails(capsys, command, str(copy))
        assert f"{path}: " in err and "--resume" in err and "Parquet" in err
    experiment = str(copy.parent / "broken.yaml")
    result = sweep(experiment, out=copy, resume=True, executor="serial")
    assert result.executed == 1
    assert main(["reproduce", str(copy)]) == 0


def test_a_run_file_damaged_inside_names_the_record_to_delete(copy, capsys):
    path = copy / "runs" / f"{RUN}.parquet"
    data = bytearray(path.read_bytes())
    data[200:-200] = bytes(len(data) - 400)  # ends intact, contents gone
    path.write_bytes(bytes(data))
    err = _fails(capsys, "report", str(copy))
    assert f"delete {copy / 'records' / RUN}.json" in err
    (copy / "records" / f"{RUN}.json").unlink()
    assert sweep(str(copy.parent / "broken.yaml"), out=copy, resume=True, executor="serial").executed == 1


def test_a_damaged_run_record_does_not_blank_its_summary_row(copy):
    summary = (copy / "summary.csv").read_bytes()
    (copy / "records" / f"{RUN}.json").write_text("{not json")
    assert main(["report", str(copy)]) == 0
    assert (copy / "summary.csv").read_bytes() == summary
    # and a resume runs it again
    assert sweep(str(copy.parent / "broken.yaml"), out=copy, resume=True, executor="serial").executed == 1


def test_a_damaged_summary_is_rebuilt_from_the_records_or_named(copy, capsys):
    summary = (copy / "summary.csv").read_bytes()
    (copy / "summary.csv").write_text("")
    assert main(["report", str(copy)]) == 0
    assert (copy / "summary.csv").read_bytes() == summary
    capsys.readouterr()
    (copy / "summary.csv").write_text("run_id\n")
    (copy / "records" / f"{RUN}.json").unlink()  # now the records cannot rebuild it
    err = _fails(capsys, "report", str(copy))
    assert f"{copy / 'summary.csv'}: " in err and "missing columns" in err


# --- no run succeeded -----------------------------------------------------------------------

def test_a_sweep_where_no_run_succeeds_still_reports(tmp_path, capsys):
    experiment = _experiment(tmp_path, overrides={"world.generate.count": 13})  # failing_run fails every run
    out = tmp_path / "r"
    result = sweep(experiment, out=out, executor="serial", run_function=FAILING)
    assert (result.ok, result.failed, result.exit_code) == (0, 2, 1)
    report = (out / "report.md").read_text()
    assert "No run succeeded" in report and "Failed runs (2)" in report and "None: no run succeeded" in report
    assert not list((out / "figures").glob("*.png"))
    assert main(["report", str(out)]) == 0
    result = sweep(experiment, out=out, executor="serial", run_function=FAILING, resume=True)
    assert (result.executed, result.exit_code) == (2, 1)


def test_a_scenario_with_no_successful_run_still_gets_its_figures(tmp_path):
    grid = {"type": "grid", "parameters": {"dynamics.tension.noise": {"values": [0.01, 0.05]},
                                           "dynamics.threats.emergence": {"values": [0.02, 0.08]}}}
    scenarios = [str(SCENARIOS / "tiny_a.yaml"),
                 {"file": str(SCENARIOS / "tiny_b.yaml"), "overrides": {"world.generate.count": 13}}]  # fails
    experiment = _experiment(tmp_path, scenarios=scenarios, design=grid, replications=1, figures=None)
    out = tmp_path / "r"
    result = sweep(experiment, out=out, executor="serial", run_function=FAILING)
    assert (result.ok, result.failed) == (4, 4)
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == ["comparison.png", "differences.png", "effects.png", "heatmap.png"]
