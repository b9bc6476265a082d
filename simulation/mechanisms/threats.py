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

    inflow_i = sum_j prox_ij (1 - b_ij) tau_j / sum_j prox_ij, with b_ij = min(1, sum_k c_k m_ik m_jk)
    (co-members of institution k block a share c_k of the flow between them, never more than
    all of it); tau_i <- tau_i (1 - decay - cooperation_decay * min(1, sum_k c_k m_ik)) + spread * inflow_i.

    ``blocks`` holds (membership as 0/1 floats, c_k) for institutions with c_k > 0.
    Float32 proximity is accepted (its products are returned as float64).
    """
    dtype = proximity.dtype
    inflow = (proximity @ threat.astype(dtype)).astype(float)
    coop = np.zeros_like(threat)
    held = np.zeros(len(threat), dtype=int)
    for m, c in blocks:
        coop += c * m
        held += m.astype(bool)
    # A state in one blocking institution: b_ij = c_k m_jk <= 1, so each institution's share is
    # subtracted with one product over its members' rows (cost n_k x N, not N x N).
    single = held == 1
    for m, c in blocks:
        rows = np.flatnonzero(m.astype(bool) & single)
        if len(rows):
            inflow[rows] -= c * (proximity[rows] @ (m * threat).astype(dtype))
    # A state in several (only possible with max_memberships > 1): cap the blocked share at 1.
    multi = np.flatnonzero(held > 1)
    if len(multi):
        share = sum(c * np.outer(m[multi], m) for m, c in blocks)
        inflow[multi] -= (proximity[multi] * np.minimum(share, 1.0)) @ threat
    inflow = np.maximum(inflow, 0.0) / np.maximum(proximity_rowsum, np.finfo(float).tiny)
    keep = np.clip(1.0 - decay - cooperation_decay * np.minimum(coop, 1.0), 0.0, 1.0)
    return np.clip(threat * keep + spread * inflow, 0.0, 1.0)
