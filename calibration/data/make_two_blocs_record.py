"""Write calibration/data/two_blocs_record.csv: the "record" the CI calibration fits.

A synthetic record: one run of scenarios/two_blocs.yaml (10 steps, seed 11) at known values
(dynamics.membership.join_threshold = 0.1, institutions.Atlantic.params.admission_distance =
0.35), written as one row per member per year (year = step; member names are placeholders).
A calibration that recovers these values shows the machinery works, until the historical
hindcasts and the observed record exist.

    .venv/bin/python calibration/data/make_two_blocs_record.py
"""

from pathlib import Path

from simulation.calibration.simulators import size_paths
from simulation.calibration.toy import toy_record
from simulation.scenario_io import load_scenario

HERE = Path(__file__).resolve().parent
TRUTH = {"steps": 10, "dynamics.membership.join_threshold": 0.1, "institutions.Atlantic.params.admission_distance": 0.35}

if __name__ == "__main__":
    scenario = load_scenario(HERE.parents[1] / "scenarios" / "two_blocs.yaml", TRUTH)
    toy_record(size_paths(scenario, seed=11)).to_csv(HERE / "two_blocs_record.csv", index=False)
