"""Phase 3: internal stability, crises and their consequences."""

from __future__ import annotations

import numpy as np


def relax_stability(stability: np.ndarray, governance: np.ndarray, threat: np.ndarray, recovery: float, erosion: float) -> np.ndarray:
    """h <- h + recovery (g - h) - erosion tau: stability returns to governance, threats erode it."""
    return np.clip(stability + recovery * (governance - stability) - erosion * threat, 0.0, 1.0)


def crisis_hazard(
    governance: np.ndarray,
    stability: np.ndarray,
    threat: np.ndarray,
    umbrella: np.ndarray,
    *,
    base: float,
    threat_factor: float,
    stability_factor: float,
) -> np.ndarray:
    """q_i = q0 (1 - g_i) (1 + k_tau tau_i) (1 + k_h (1 - h_i)) (1 - U_i), at most 1.

    ``umbrella`` is U_i, the strongest security umbrella state i sits under (0 outside
    hegemonic alliances).
    """
    q = base * (1.0 - governance) * (1.0 + threat_factor * threat) * (1.0 + stability_factor * (1.0 - stability)) * (1.0 - umbrella)
    return np.clip(q, 0.0, 1.0)


def crisis_shift(values: np.ndarray, crisis: np.ndarray, shocks: np.ndarray, sd: float) -> np.ndarray:
    """A crisis moves a state's regime or policy by a normal shock of sd ``sd`` (others unchanged)."""
    mask = crisis.reshape(crisis.shape + (1,) * (values.ndim - 1))
    return np.clip(values + mask * sd * shocks, 0.0, 1.0)
