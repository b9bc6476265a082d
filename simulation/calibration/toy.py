"""A toy simulator for tests, docs and the benchmark of the calibration layer.

It lives in the package (like ``simulation.experiments.testing``) so that worker processes
and dask workers import it by name.  It reads two real scenario parameters, so the checks on
prior paths and schema bounds run against a real scenario, but costs microseconds: institution
k's size grows linearly, with a slope set by the parameters, plus Gaussian noise.

    size_k(t) = FOUNDERS + slope_k * t + noise,  slope_0 = SLOPE * review_rate,
                                                 slope_1 = SLOPE * (join_threshold + SHIFT)
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from simulation.calibration.simulators import calendar_offset
from simulation.scenario import Scenario

FOUNDERS = 8.0
SLOPE = 2.0
SHIFT = 0.5
NOISE_SD = 0.5
#: Seconds added per run by ``slow_toy_sizes`` (so a test can kill a calibration mid-way).
SLOW_RUN_S = 0.02


def toy_sizes(scenario: Scenario, *, seed: int) -> pd.DataFrame:
    """Size paths ``institution, step, year, size`` of the scenario's first two institutions."""
    rng = np.random.default_rng(seed)
    membership = scenario.dynamics.membership
    slopes = (SLOPE * membership.review_rate, SLOPE * (membership.join_threshold + SHIFT))
    steps = np.arange(scenario.steps + 1)
    frames = []
    for name, slope in zip(list(scenario.institutions)[:2], slopes):
        size = FOUNDERS + slope * steps + rng.normal(0.0, NOISE_SD, steps.size)
        frames.append(pd.DataFrame({"institution": name, "step": steps, "year": steps + calendar_offset(scenario), "size": size}))
    return pd.concat(frames, ignore_index=True)


def slow_toy_sizes(scenario: Scenario, *, seed: int) -> pd.DataFrame:
    """``toy_sizes`` plus a fixed pause."""
    time.sleep(SLOW_RUN_S)
    return toy_sizes(scenario, seed=seed)


def toy_record(sizes: pd.DataFrame) -> pd.DataFrame:
    """A record (``institution, year, state``: one row per member per year) with the given
    sizes, rounded: how a test writes an "observed" record from a run at known parameters."""
    rows = []
    for row in sizes.itertuples(index=False):
        for k in range(max(0, int(round(row.size)))):
            rows.append((row.institution, int(row.year), f"{row.institution[:3].upper()}{k:03d}"))
    return pd.DataFrame(rows, columns=["institution", "year", "state"])
