"""Phase 1-2: transboundary threats (terrorist networks, radical cross-border movements)."""

from __future__ import annotations

import numpy as np


def emerge(threat: np.ndarray, stability: np.ndarray, draws: np.ndarray, emergence: float, size: float) -> tuple[np.ndarray, np.ndarray]:
    """New threats appear where stability is low: P(emerge_i) = emergence * (1 - h_i)."""
    hit = draws < emergence * (1.0 - stability)
    return np.minimum(1.0, threat + size * hit), hit


def spread_and_decay(
    threat: np.ndarray,
    proximity: np.ndarray,
    proximity_rowsum: np.ndarray,
    blocks: list[tuple[np.ndarray, float]],
    *,
    spread: float,
    decay: float,
    cooperation_decay: float,
) -> np.ndarray:
    """Threat flows in from proximate states; counter-threat cooperation blocks and removes it.

    inflow_i = sum_j prox_ij (1 - b_ij) tau_j / sum_j prox_ij, with b_ij = sum_k c_k m_ik m_jk
    (co-members of institution k block a share c_k of the flow between them);
    tau_i <- tau_i (1 - decay - cooperation_decay * min(1, sum_k c_k m_ik)) + spread * inflow_i.

    ``blocks`` holds (membership as 0/1 floats, c_k) for institutions with c_k > 0.
    Float32 proximity is accepted (its products are returned as float64).
    (Separate matrix-vector products are faster here than one product with several columns.)
    """
    dtype = proximity.dtype
    inflow = (proximity @ threat.astype(dtype)).astype(float)
    coop = np.zeros_like(threat)
    for m, c in blocks:
        # Only members' rows are blocked: copy them out (cost n_k x N instead of N x N).
        rows = np.flatnonzero(m)
        inflow[rows] -= c * (proximity[rows] @ (m * threat).astype(dtype))
        coop += c * m
    inflow = np.maximum(inflow, 0.0) / np.maximum(proximity_rowsum, np.finfo(float).tiny)
    keep = np.clip(1.0 - decay - cooperation_decay * np.minimum(coop, 1.0), 0.0, 1.0)
    return np.clip(threat * keep + spread * inflow, 0.0, 1.0)
