"""``reproduce`` (and ``report``) read a results folder as data from elsewhere: every file
(resolved scenario, summary.csv, run record, time series) within the limits of
docs/limits.md.  A FIFO, a file over its limit or a file that is not UTF-8 is one message and
exit 2, never a hang or a traceback."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from trust_bounds import run_bounded

from simulation.experiments.store import MAX_RECORD_BYTES, MAX_SERIES_BYTES, MAX_TABLE_BYTES
from simulation.experiments.sweep import sweep
from simulation.scenario_io import MAX_YAML_BYTES


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    from experiment_files import experiment_data
    import yaml

    tmp = tmp_path_factory.mktemp("swept")
    path = tmp / "experiment.yaml"
    path.write_text(yaml.safe_dump(experiment_data(replications=1), sort_keys=False))
    sweep(path, out=tmp / "r", executor="serial", report=False)
    return tmp / "r"


def _first_run(folder) -> str:
    return json.loads((folder / "manifest.json").read_text())["runs"][0]["run_id"]


#: file (relative to the folder, ``{run}`` for the first run's id) -> (size limit, reads as text)
FILES = {
    "scenarios/tiny_a.yaml": (MAX_YAML_BYTES, True),
    "summary.csv": (MAX_TABLE_BYTES, True),
    "records/{run}.json": (MAX_RECORD_BYTES, True),
    "runs/{run}.parquet": (MAX_SERIES_BYTES, False),
}


def _hostile(swept, tmp_path, name: str, kind: str):
    folder = tmp_path / "r"
    shutil.copytree(swept, folder)
    target = folder / name.format(run=_first_run(folder))
    limit, _ = FILES[name]
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)  # nobody ever writes to it: opening it to read would wait forever
    elif kind == "oversized":
        with open(target, "wb") as fh:
            fh.truncate(limit + 1)  # sparse: costs no disk
    else:
        target.write_bytes(b"\xff\xfe not utf-8 \x80\n")
    return folder, target


def _one_message(result, target) -> None:
    assert result.refused(), result
    assert result.stderr.count("\n") == 1, result.stderr  # one line
    assert str(target) in result.stderr


CASES = [(name, kind) for name in sorted(FILES) for kind in ("fifo", "oversized", "not-utf8")
         if kind != "not-utf8" or FILES[name][1]]  # a Parquet file is binary: its damage is tested below


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_reproduce_refuses_a_hostile_file(swept, tmp_path, name, kind):
    folder, target = _hostile(swept, tmp_path, name, kind)
    result = run_bounded("reproduce", str(folder), "--runs", "1")
    _one_message(result, target)
    if kind == "oversized":
        assert "at most" in result.stderr
    elif kind == "fifo":
        assert "not a regular file" in result.stderr
    else:
        assert "UTF-8" in result.stderr


def test_reproduce_refuses_a_damaged_time_series(swept, tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(swept, folder)
    target = folder / "runs" / f"{_first_run(folder)}.parquet"
    target.write_bytes(b"PAR1 not a parquet file PAR1")
    _one_message(run_bounded("reproduce", str(folder), "--runs", "1"), target)


@pytest.mark.parametrize("kind", ["fifo", "oversized"])
def test_report_refuses_a_hostile_time_series(swept, tmp_path, kind):
    folder, target = _hostile(swept, tmp_path, "runs/{run}.parquet", kind)
    _one_message(run_bounded("report", str(folder)), target)


def test_report_rebuilds_a_summary_that_is_a_fifo(swept, tmp_path):
    """summary.csv is the tool's own and rebuilt from the records: a FIFO in its place is replaced."""
    folder, target = _hostile(swept, tmp_path, "summary.csv", "fifo")
    (folder / "runs").rename(folder / "runs-away")  # a clone without the bulky series: no time series to read
    result = run_bounded("report", str(folder))
    assert result.returncode == 0, result
    assert target.is_file() and target.read_text().startswith("run_id,")
