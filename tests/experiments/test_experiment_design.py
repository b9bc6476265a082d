"""Samplers: sizes, strata and determinism (design.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.experiments.design import expected_size, sample
from simulation.experiments.schema import Design


def _ranged(n_params: int, **kw) -> Design:
    params = {f"p{i}": {"low": float(i), "high": float(i) + 1.0 + i} for i in range(n_params)}
    return Design.model_validate({"parameters": params, **kw})


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4))
def test_grid_is_the_cartesian_product_in_file_order(sizes):
    params = {f"p{i}": {"values": [10 * i + v for v in range(n)]} for i, n in enumerate(sizes)}
    points = sample(Design(type="grid", parameters=params), seed=0)
    assert len(points) == math.prod(sizes) == expected_size(Design(type="grid", parameters=params))
    assert len(set(points.rows)) == len(points)
    assert points.rows[0] == tuple(10 * i for i in range(len(sizes)))  # first value of each
    assert points.rows[-1] == tuple(10 * i + n - 1 for i, n in enumerate(sizes))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(min_value=2, max_value=60), d=st.integers(min_value=1, max_value=5), seed=st.integers(0, 2**32 - 1))
def test_lhs_has_one_point_per_stratum_in_every_dimension(n, d, seed):
    design = _ranged(d, type="lhs", samples=n)
    points = np.array(sample(design, seed).rows)
    assert points.shape == (n, d)
    for j, spec in enumerate(design.parameters.values()):
        strata = np.floor((points[:, j] - spec.low) / (spec.high - spec.low) * n).astype(int)
        assert sorted(strata) == list(range(n))


@pytest.mark.parametrize("d", [2, 3, 5])
@pytest.mark.parametrize("n", [4, 16])
def test_sobol_sample_counts(n, d):
    with_second = _ranged(d, type="sobol", samples=n)
    without = _ranged(d, type="sobol", samples=n, second_order=False)
    assert len(sample(with_second, 1)) == n * (2 * d + 2) == expected_size(with_second)
    assert len(sample(without, 1)) == n * (d + 2) == expected_size(without)


def test_sobol_samples_stay_within_bounds():
    design = _ranged(3, type="sobol", samples=8)
    points = np.array(sample(design, 3).rows)
    for j, spec in enumerate(design.parameters.values()):
        assert points[:, j].min() >= spec.low and points[:, j].max() <= spec.high


def test_morris_sample_count_and_levels():
    design = _ranged(3, type="morris", samples=5, levels=4)
    points = np.array(sample(design, 2).rows)
    assert len(points) == 5 * (3 + 1) == expected_size(design)
    for j, spec in enumerate(design.parameters.values()):
        levels = np.unique(np.round((points[:, j] - spec.low) / (spec.high - spec.low) * 3, 9))
        assert set(levels) <= {0.0, 1.0, 2.0, 3.0}


@pytest.mark.parametrize("kind,extra", [("lhs", {}), ("sobol", {}), ("morris", {})])
def test_samplers_are_deterministic_in_the_seed(kind, extra):
    design = _ranged(2, type=kind, samples=8, **extra)
    assert sample(design, 5) == sample(design, 5)
    assert sample(design, 5) != sample(design, 6)


def test_integer_parameters_are_rounded():
    design = Design.model_validate({"type": "lhs", "samples": 10, "parameters": {"world.generate.count": {"low": 5, "high": 40, "integer": True}}})
    assert all(isinstance(v, int) for (v,) in sample(design, 0).rows)


def test_none_design_has_one_empty_point():
    points = sample(Design(), 0)
    assert len(points) == 1 and points.values(0) == {}
