"""Built-in scores and size readers: size paths and membership records give the same sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.calibration.evaluate import particle_seeds
from simulation.calibration.run import weighted_median
from simulation.calibration.scores import final_size_error, observed_sizes, simulated_sizes, size_path_rmse


def record() -> pd.DataFrame:
    """A membership record (history interface, section 4) of two replications."""
    rows = [
        (0, 0, 1990, "", "A", "found"), (0, 0, 1990, "X", "A", "join"), (0, 0, 1990, "Y", "A", "join"),
        (0, 2, 1992, "Z", "A", "join"), (0, 3, 1993, "X", "A", "leave"),
        (1, 0, 1990, "", "A", "found"), (1, 0, 1990, "X", "A", "join"), (1, 0, 1990, "Y", "A", "join"),
        (1, 1, 1991, "Z", "A", "join"), (1, 3, 1993, "Q", "A", "join"),
    ]
    return pd.DataFrame(rows, columns=["replication", "step", "year", "state", "institution", "change"])


def test_sizes_rebuilt_from_a_membership_record():
    sizes = simulated_sizes(record())
    rep0 = sizes[sizes["replication"] == 0].set_index("year")["size"]
    rep1 = sizes[sizes["replication"] == 1].set_index("year")["size"]
    assert rep0.to_dict() == {1990: 2, 1991: 2, 1992: 3, 1993: 2}
    assert rep1.to_dict() == {1990: 2, 1991: 3, 1992: 3, 1993: 4}


def test_scores_are_zero_on_a_perfect_fit_and_grow_with_the_error():
    observed = pd.DataFrame({"institution": "A", "year": [1990, 1990, 1991, 1991, 1992, 1992, 1992],
                             "state": ["X", "Y", "X", "Y", "X", "Y", "Z"]})
    assert observed_sizes(observed)["size"].tolist() == [2, 2, 3]
    paths = pd.DataFrame({"institution": "A", "year": [1990, 1991, 1992], "size": [2.0, 2.0, 3.0], "replication": 0})
    assert size_path_rmse(paths, observed) == 0.0 and final_size_error(paths, observed) == 0.0
    worse = paths.assign(size=[2.0, 4.0, 6.0])
    assert size_path_rmse(worse, observed) == pytest.approx(np.sqrt((0 + 4 + 9) / 3))
    assert final_size_error(worse, observed) == 3.0
    with pytest.raises(ValueError, match="share no institution-year"):
        size_path_rmse(paths.assign(year=[2000, 2001, 2002]), observed)


def test_particle_seeds_depend_on_parameters_and_seed_only():
    a = particle_seeds(1, {"x": 0.25, "y": 1.0}, 3)
    assert a == particle_seeds(1, {"y": 1.0, "x": 0.25}, 3)  # order of keys does not matter
    assert len(set(a)) == 3
    assert a != particle_seeds(2, {"x": 0.25, "y": 1.0}, 3)
    assert a != particle_seeds(1, {"x": 0.2500001, "y": 1.0}, 3)
    assert particle_seeds(1, {"x": 0.25, "y": 1.0}, 5)[:3] == a  # more replications keep the first ones


def test_weighted_median():
    assert weighted_median(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])) == 2.0
    assert weighted_median(np.array([1.0, 2.0, 10.0]), np.array([0.1, 0.1, 0.8])) == 10.0
