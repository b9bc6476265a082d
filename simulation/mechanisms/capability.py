"""Phase 7: capability growth with noise and the burden of commitments."""

from __future__ import annotations

import numpy as np


def grow(capability: np.ndarray, shocks: np.ndarray, burden: np.ndarray, *, mean: float, sd: float) -> np.ndarray:
    """p <- p exp(mean + sd eps) (1 - burden_i); burden_i sums the burdens of i's institutions."""
    return capability * np.exp(mean + sd * shocks) * (1.0 - np.clip(burden, 0.0, 1.0))
