"""``reproduce`` levels: identical, within tolerance (continuous values), different (counts,
or beyond tolerance); one verdict line; the statistical check of summary means."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulation.cli import main
from simulation.experiments import labels
from simulation.experiments.reproduce import (DIFFERENT, IDENTICAL, WITHIN, relative_difference, reproduce,
                                              reproduce_statistical, sampled_replications)
from simulation.experiments.sweep import sweep


@pytest.fixture
def results(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(), out=out, executor="serial", report=False)
    return out


def _scale_series(path, metric, factor):
    """Multiply every value of ``metric`` in a stored time series by ``factor``."""
    table = pq.read_table(path)
    values = table.column("value").to_numpy().copy()
    mask = np.asarray(table.column("metric").to_pylist()) == metric
    values[mask] *= factor
    pq.write_table(table.set_column(table.schema.get_field_index("value"), "value", pa.array(values)), path)


def _scale_summary(results, run_id, column, factor):
    path = results / "summary.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["run_id"] == run_id:
            row[column] = repr(float(row[column]) * factor)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    record_path = results / "records" / f"{run_id}.json"
    record = json.loads(record_path.read_text())
    record["summary"][column] *= factor
    record_path.write_text(json.dumps(record))


def test_relative_difference_treats_nan_zero_and_tiny_values():
    a = np.array([1.0, np.nan, np.nan, 0.0, 1e-15, 2.0])
    b = np.array([1.0, np.nan, 1.0, 1e-14, 0.0, 2.000002])
    rel = relative_difference(a, b)
    assert rel[0] == 0 and rel[1] == 0 and math.isinf(rel[2])
    assert rel[3] == 0 and rel[4] == 0  # both below the absolute floor: float noise around zero
    assert rel[5] == pytest.approx(1e-6, rel=1e-3)


def test_counts_are_classified_by_metric_name():
    assert labels.is_count("crisis_rate") and labels.is_count("size@Atlantic") and labels.is_count("dispute_rate")
    assert not labels.is_count("mean_tension") and not labels.is_count("member_tension@Atlantic")


def test_a_tiny_continuous_difference_is_within_tolerance(results, capsys):
    """What another CPU does to tension-derived values (about 1e-9 relative)."""
    _scale_series(results / "runs" / "tiny_a-p0000-r000.parquet", "mean_tension", 1 + 3e-9)
    _scale_summary(results, "tiny_a-p0000-r000", "mean_tension", 1 + 3e-9)
    comparison = reproduce(results, runs=2)
    assert [r.level for r in comparison.runs] == [WITHIN, IDENTICAL]
    assert comparison.acceptable and not comparison.identical
    assert comparison.largest.metric == "mean_tension" and comparison.largest.relative == pytest.approx(3e-9, rel=1e-3)
    assert main(["reproduce", str(results), "--runs", "2"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "0 identical" not in err[0] and "1 identical, 1 within tolerance (rtol 1e-06), 0 different" in err[0]
    assert "largest relative difference 3e-09 in mean_tension (tiny_a-p0000-r000)" in err[0]
    # A stricter tolerance makes the same run different.
    assert main(["reproduce", str(results), "--runs", "2", "--rtol", "1e-10"]) == 1
    assert "1 different" in capsys.readouterr().err


def test_a_changed_count_is_different_however_small(results):
    _scale_summary(results, "tiny_a-p0000-r000", "crisis_rate", 1 + 1e-12)
    comparison = reproduce(results, runs=1)
    assert comparison.runs[0].level == DIFFERENT
    assert not comparison.acceptable


def test_a_large_continuous_difference_is_different(results):
    _scale_summary(results, "tiny_b-p0000-r000", "mean_stability", 1.001)
    levels = {r.run_id: r.level for r in reproduce(results).runs}
    assert levels["tiny_b-p0000-r000"] == DIFFERENT and list(levels.values()).count(IDENTICAL) == 5


def test_verbose_lists_every_run_with_its_level(results, capsys):
    _scale_summary(results, "tiny_a-p0000-r001", "mean_tension", 1 + 1e-8)
    assert main(["reproduce", str(results), "--verbose"]) == 0
    err = capsys.readouterr().err
    assert "tiny_a-p0000-r000: identical" in err
    assert "tiny_a-p0000-r001: within tolerance (largest relative difference 1e-08 in mean_tension)" in err
    assert err.strip().splitlines()[-1].startswith("reproduce ")


@pytest.mark.parametrize("args", [["--rtol", "-1"], ["--rtol", "nan"], ["--statistical", "--runs", "2"], ["--statistical", "--sample", "0"]])
def test_bad_reproduce_options_are_user_errors(results, capsys, args):
    assert main(["reproduce", str(results), *args]) == 2
    assert "expected" in capsys.readouterr().err


def test_sampled_replications_spread_over_the_range():
    assert sampled_replications(100, 5) == [0, 25, 50, 74, 99]
    assert sampled_replications(3, 10) == [0, 1, 2]


def test_statistical_check_agrees_on_untouched_results(results, capsys):
    check = reproduce_statistical(results, sample=2)
    assert check.sampled == [0, 2] and check.reruns == 4
    assert check.agrees and len(check.checks) == 2 * 3  # scenarios x metrics
    assert all(c.shift == 0 for c in check.checks)
    assert main(["reproduce", str(results), "--statistical", "--sample", "2"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 of 3 replications re-run (4 runs); 6 of 6 summary means agree" in err[0]


def test_statistical_check_catches_a_mean_moved_beyond_its_ci(make_experiment, tmp_path, capsys):
    results = tmp_path / "eight"
    sweep(make_experiment(replications=8), out=results, executor="serial", report=False)
    rows = list(csv.DictReader(open(results / "summary.csv", newline="")))
    values = [float(r["mean_stability"]) for r in rows if r["scenario"] == "tiny_a"]
    spread = max(values) - min(values)
    # Replication 0 (the one a sample of 1 re-runs) stored 10 spreads away from what it gives.
    row = next(r for r in rows if r["run_id"] == "tiny_a-p0000-r000")
    _scale_summary(results, "tiny_a-p0000-r000", "mean_stability", 1 + 10 * spread / float(row["mean_stability"]))
    check = reproduce_statistical(results, sample=1)
    bad = [c for c in check.checks if not c.agrees]
    assert [(c.scenario, c.metric) for c in bad] == [("tiny_a", "mean_stability")]
    assert bad[0].shift > 1
    assert main(["reproduce", str(results), "--statistical", "--sample", "1", "--verbose"]) == 1
    assert "DISAGREES" in capsys.readouterr().err
