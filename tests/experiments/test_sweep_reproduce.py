"""``reproduce`` re-runs recorded runs: identical results pass, tampered ones are caught."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulation.cli import main
from simulation.experiments.reproduce import reproduce
from simulation.experiments.sweep import sweep


@pytest.fixture
def results(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(), out=out, executor="serial", report=False)
    return out


def test_untouched_results_reproduce(results, capsys):
    assert main(["reproduce", str(results), "--runs", "3"]) == 0
    err = capsys.readouterr().err
    assert "3 run(s) re-run: 3 identical, 0 within tolerance (rtol 1e-06), 0 different; no value differs" in err
    assert len(err.strip().splitlines()) == 1
    assert reproduce(results, workers=2).identical  # all six, in a process pool


def test_a_tampered_time_series_is_detected(results, capsys):
    path = results / "runs" / "tiny_a-p0000-r000.parquet"
    table = pq.read_table(path)
    values = table.column("value").to_numpy().copy()
    values[17] += 1.0  # far beyond any tolerance
    pq.write_table(table.set_column(table.schema.get_field_index("value"), "value", pa.array(values)), path)
    assert main(["reproduce", str(results), "--runs", "2"]) == 1
    err = capsys.readouterr().err
    assert "1 identical, 0 within tolerance (rtol 1e-06), 1 different" in err and "(tiny_a-p0000-r000)" in err
    assert main(["reproduce", str(results), "--runs", "2", "--verbose"]) == 1
    err = capsys.readouterr().err
    assert "tiny_a-p0000-r000: different" in err and "tiny_a-p0000-r000: step" in err


def test_a_tampered_summary_is_detected(results):
    path = results / "summary.csv"
    lines = path.read_text().splitlines()
    cells = lines[2].split(",")
    cells[-1] = "0.123"
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    comparison = reproduce(results, runs=2)
    assert not comparison.acceptable and any("summary.csv mean_stability" in d for d in comparison.differences)


def test_summaries_are_compared_when_series_are_not_kept(results):
    for path in (results / "runs").glob("*.parquet"):
        path.unlink()
    assert reproduce(results, runs=2).identical
    record_path = results / "records" / "tiny_b-p0000-r000.json"
    record = json.loads(record_path.read_text())
    record["summary"]["mean_tension"] *= 1.0001
    record_path.write_text(json.dumps(record))
    assert not reproduce(results, runs=2).acceptable


def test_reproduce_of_a_missing_folder_is_a_user_error(tmp_path, capsys):
    assert main(["reproduce", str(tmp_path / "nothing")]) == 2
    assert "manifest.json" in capsys.readouterr().err


