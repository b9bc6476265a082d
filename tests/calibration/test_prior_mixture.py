"""The defensive proposal (``prior_mixture``): pyabc's kernel mixed with the prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc
import pytest

from simulation.calibration.run import calibrate
from simulation.calibration.schema import load_calibration
from simulation.calibration.transition import PriorMixtureTransition
from simulation.errors import UserError

PRIOR = pyabc.Distribution(a=pyabc.RV("uniform", 0, 1), b=pyabc.RV("uniform", 0, 1))


def fitted(alpha: float) -> PriorMixtureTransition:
    """The mixture fitted to a tight cluster of weighted particles near (0.5, 0.5)."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": 0.5 + 0.01 * rng.standard_normal(50), "b": 0.5 + 0.01 * rng.standard_normal(50)})
    w = rng.uniform(0.5, 1.5, 50)
    t = PriorMixtureTransition(PRIOR, alpha)
    t.fit(X, w / w.sum())
    return t


def test_density_is_the_mixture_and_bounds_every_weight():
    alpha = 0.1
    mixture = fitted(alpha)
    kernel = pyabc.MultivariateNormalTransition()
    kernel.fit(mixture.X, mixture.w)
    points = pd.DataFrame({"a": [0.5, 0.52, 0.9, 0.01], "b": [0.5, 0.49, 0.1, 0.99]})
    np.testing.assert_allclose(mixture.pdf(points), (1 - alpha) * kernel.pdf(points) + alpha * 1.0)
    # prior / proposal <= 1 / alpha everywhere, where the bare kernel's ratio is astronomically large
    assert (1.0 / mixture.pdf(points) <= 1 / alpha + 1e-9).all()
    assert kernel.pdf(points.iloc[[2]]).item() < 1e-6
    assert mixture.pdf(points.iloc[0]) == pytest.approx((1 - alpha) * kernel.pdf(points.iloc[0]) + alpha)


def test_a_share_alpha_of_proposals_comes_from_the_prior():
    alpha, n = 0.2, 4000
    mixture = fitted(alpha)
    np.random.seed(11)  # pyabc's transitions draw from the global generator; the sampler seeds it per task
    draws = pd.DataFrame([dict(mixture.rvs_single()) for _ in range(n)])
    far = ((draws["a"] - 0.5).abs() > 0.1) | ((draws["b"] - 0.5).abs() > 0.1)
    # a prior draw lands outside the 0.2 x 0.2 square around the cluster with probability 0.96
    expected = alpha * 0.96
    assert abs(far.mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / n)


def test_alpha_outside_the_open_interval_is_refused():
    with pytest.raises(ValueError):
        PriorMixtureTransition(PRIOR, 0.0)


def test_the_key_is_bounded_in_the_calibration_file(make_toy):
    with pytest.raises(UserError, match="prior_mixture"):
        load_calibration(make_toy(prior_mixture=0.7))


def test_a_mixed_calibration_is_reproducible_and_differs_from_the_kernel_alone(make_toy, tmp_path):
    mixed = make_toy("mixed.yaml", population=10, prior_mixture=0.2)
    a = calibrate(mixed, out=tmp_path / "a", quiet=True, figures=False)
    b = calibrate(mixed, out=tmp_path / "b", executor="processes", workers=2, quiet=True, figures=False)
    assert (a / "generations.csv").read_bytes() == (b / "generations.csv").read_bytes()
    plain = calibrate(make_toy("plain.yaml", population=10), out=tmp_path / "plain", quiet=True, figures=False)
    assert (a / "generations.csv").read_bytes() != (plain / "generations.csv").read_bytes()
