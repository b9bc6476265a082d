"""The Sobol study's ten parameters are the committed Morris screening's ten largest.

experiments/sobol_top10.yaml names its parameters by hand; this test recomputes the ranking
from results/screening_morris (its summary and manifest are committed) so that a new
screening, or an edit of the list, cannot leave the two studies describing different
parameters.  The ranking itself is tested on a hand-made table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from simulation.experiments import analysis

ROOT = Path(__file__).resolve().parents[2]
MORRIS = ROOT / "results" / "screening_morris"
SOBOL = ROOT / "experiments" / "sobol_top10.yaml"
MORRIS_FILE = ROOT / "experiments" / "screening_morris.yaml"


def test_ranking_is_scale_free_and_takes_each_parameters_best_output():
    table = pd.DataFrame([
        # output A in large units: p1 dominates it
        {"scenario": "s", "metric": "A", "parameter": "p1", "mu_star": 100.0},
        {"scenario": "s", "metric": "A", "parameter": "p2", "mu_star": 10.0},
        {"scenario": "s", "metric": "A", "parameter": "p3", "mu_star": 0.0},
        # output B in small units: p3 dominates it, p2 is half of it
        {"scenario": "s", "metric": "B", "parameter": "p1", "mu_star": 0.001},
        {"scenario": "s", "metric": "B", "parameter": "p2", "mu_star": 0.005},
        {"scenario": "s", "metric": "B", "parameter": "p3", "mu_star": 0.01},
    ])
    ranking = analysis.morris_ranking(table)
    # p1 and p3 each lead one output (score 1); p1's mean relative mu* is larger (0.55 vs 0.5)
    assert list(ranking["parameter"]) == ["p1", "p3", "p2"]
    assert ranking["score"].tolist() == pytest.approx([1.0, 1.0, 0.5])
    assert ranking.set_index("parameter").loc["p3", "top_output"] == "B"
    # rescaling one output's unit changes nothing
    scaled = table.assign(mu_star=table["mu_star"].where(table["metric"] != "B", table["mu_star"] * 1e6))
    pd.testing.assert_frame_equal(analysis.morris_ranking(scaled), ranking)


def test_an_inert_output_gives_no_parameter_a_score():
    table = pd.DataFrame([{"scenario": "s", "metric": "A", "parameter": p, "mu_star": 0.0} for p in ("p1", "p2")])
    assert analysis.morris_ranking(table)["score"].tolist() == [0.0, 0.0]


def test_sobol_parameters_are_the_committed_screenings_top_ten():
    results = analysis.StoredResults.load(MORRIS)
    ranking = analysis.morris_ranking(analysis.morris_indices(results))
    top = list(ranking["parameter"][:10])
    sobol = yaml.safe_load(SOBOL.read_text())["design"]["parameters"]
    assert sorted(sobol) == sorted(top)
    # and with the screening's ranges, so the two studies explore the same space
    morris = yaml.safe_load(MORRIS_FILE.read_text())["design"]["parameters"]
    for path, spec in sobol.items():
        assert spec == morris[path], path
