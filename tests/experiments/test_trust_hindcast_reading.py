"""The hindcast's and the calibration's input CSVs (the observed membership record, the
observed dispute rates, the distance table the logistic baseline reads, a calibration's
record) are read within the limits of docs/limits.md: a FIFO, a device or an oversized file
is one message naming it and exit 2, never a hang or a traceback.  Each case runs the
command line in a subprocess with a time and memory budget."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from trust_bounds import run_bounded

from simulation.experiments.sweep import sweep
from simulation.history.record import MEMBERSHIPS_DIR
from simulation.history.testing import membership_table, write_membership_file
from simulation.scenario_io import MAX_DISTANCE_FILE_BYTES, MAX_OBSERVED_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]
BLOC = ROOT / "tests" / "history" / "scenarios" / "bloc.yaml"
RUN_FUNCTION = "simulation.history.testing:synthetic_run"
OBSERVED = "institution,year,state,ccode\nA,2000,X,0\nA,2000,Y,0\nA,2001,X,0\nA,2001,Y,0\n"
DISPUTES = "year,scope,dyads,onset_dyads,rate_per_1000\n2000,world,10,0,0.0\n2001,world,10,1,100.0\n"
STATES = "XYZWV"
DISTANCES = "a,b,km\n" + "".join(f"{a},{b},{1000 * (i + j + 1)}\n" for i, a in enumerate(STATES) for j, b in enumerate(STATES) if i < j)
KINDS = ("fifo", "device", "oversized")


def _hindcast(folder: Path) -> Path:
    """A two-replication hindcast of the five-state world (with a distance file) scored
    against a record and dispute rates, every input beside it."""
    (folder / "observed.csv").write_text(OBSERVED)
    (folder / "disputes.csv").write_text(DISPUTES)
    (folder / "distances.csv").write_text(DISTANCES)
    scenario = yaml.safe_load(BLOC.read_text())
    scenario["world"]["distance_file"] = "distances.csv"
    (folder / "bloc.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    path = folder / "hind.yaml"
    path.write_text(textwrap.dedent("""\
        name: hind
        replications: 2
        seed: 3
        summary:
          metrics: [mean_tension]
        scenarios:
          - {file: bloc.yaml, label: free}
        observed:
          memberships: observed.csv
          disputes: disputes.csv
        """))
    return path


def _make_hostile(target: Path, kind: str, limit: int) -> tuple[str, ...]:
    """Put a FIFO, a device or an oversized file where ``target`` was; returns the names a
    message may give it (a device cannot be made here: the file becomes a link to
    /dev/zero, named as either)."""
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)  # nobody ever writes to it: opening it to read would wait forever
    elif kind == "device":
        target.symlink_to("/dev/zero")  # never ends
    else:
        with open(target, "wb") as fh:
            fh.truncate(limit + 1)  # sparse: costs no disk
    return (str(target), "/dev/zero") if kind == "device" else (str(target),)


def _one_message(result, shown: tuple[str, ...], kind: str) -> None:
    assert result.refused(), result
    assert result.stderr.count("\n") == 1, result.stderr  # one line
    assert any(name in result.stderr for name in shown), result.stderr
    assert ("at most" if kind == "oversized" else "not a regular file") in result.stderr, result.stderr


@pytest.mark.parametrize("name, limit", [("observed.csv", MAX_OBSERVED_FILE_BYTES), ("disputes.csv", MAX_OBSERVED_FILE_BYTES)])
@pytest.mark.parametrize("kind", KINDS)
def test_sweep_refuses_a_hostile_record_before_anything_is_written(tmp_path, name, limit, kind):
    experiment = _hindcast(tmp_path)
    shown = _make_hostile(tmp_path / name, kind, limit)
    out = tmp_path / "r"
    result = run_bounded("sweep", str(experiment), "--out", str(out))
    _one_message(result, shown, kind)
    assert not out.exists()


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A stored hindcast (synthetic runs, no report) with a membership record per run, so
    that `report` reads every input when it scores: the record, the dispute rates and the
    distance table of the logistic baseline."""
    tmp = tmp_path_factory.mktemp("hind")
    experiment = _hindcast(tmp)
    sweep(experiment, out=tmp / "r", executor="serial", run_function=RUN_FUNCTION, report=False)
    rows = pd.DataFrame({"step": [0, 0, 0, 2], "year": [2000, 2000, 2000, 2002], "state": ["", "X", "Y", "Z"],
                         "institution": ["A"] * 4, "change": ["found", "join", "join", "join"]})
    for run in json.loads((tmp / "r" / "manifest.json").read_text())["runs"]:
        table = membership_table(rows, run_id=run["run_id"], scenario=run["scenario"], point=run["point"],
                                 replication=run["replication"], seed=run["seed"])
        write_membership_file(tmp / "r" / MEMBERSHIPS_DIR / f"{run['run_id']}.parquet", table)
    assert run_bounded("report", str(tmp / "r")).returncode == 0  # scores with every input as it should be
    return tmp


@pytest.mark.parametrize("name, limit", [("observed.csv", MAX_OBSERVED_FILE_BYTES), ("disputes.csv", MAX_OBSERVED_FILE_BYTES),
                                         ("distances.csv", MAX_DISTANCE_FILE_BYTES)])
@pytest.mark.parametrize("kind", KINDS)
def test_report_refuses_a_hostile_input_of_the_scores(swept, tmp_path, name, limit, kind):
    folder = tmp_path / "hind"
    shutil.copytree(swept, folder, symlinks=True)
    shown = _make_hostile(folder / name, kind, limit)
    result = run_bounded("report", str(folder / "r"))
    _one_message(result, shown, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_calibrate_refuses_a_hostile_record(tmp_path, kind):
    record = tmp_path / "record.csv"
    record.write_text("institution,year,state\nA,2000,X\n")
    shown = _make_hostile(record, kind, MAX_OBSERVED_FILE_BYTES)
    calibration = tmp_path / "cal.yaml"
    calibration.write_text(yaml.safe_dump({
        "name": "toy", "hindcasts": [{"file": str(ROOT / "scenarios" / "two_blocs.yaml"), "overrides": {"steps": 4}}],
        "observed": {"file": str(record)}, "simulator": "simulation.calibration.toy:toy_sizes",
        "priors": {"dynamics.membership.review_rate": {"distribution": "uniform", "low": 0.0, "high": 1.0}},
        "distance": [{"score": "simulation.calibration.scores:size_path_rmse"}],
        "population": 4, "generations": 1, "seed": 3,
    }, sort_keys=False))
    result = run_bounded("calibrate", str(calibration), "--out", str(tmp_path / "c"))
    _one_message(result, shown, kind)
    assert not (tmp_path / "c").exists()
