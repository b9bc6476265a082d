"""Phase 4-5: institutional effects on tension and the tension relaxation, as one low-rank update.

Every term of the update is a sum of outer products of per-state vectors:

    T <- clip( (1 - alpha) T + alpha T* + sum_k effects_k + noise, 0, 1 ),
    T*_ij  = baseline + w_r (r_i - r_j)^2 + (w_f / K) |f_i - f_j|^2 + w_R R_ij,
    effects_k,ij = -c_k m_ik m_jk + pi_k (m_ik (1 - m_jk) + m_jk (1 - m_ik)),
    noise_ij = (e_i + e_j) / sqrt(2),  e_i ~ N(0, sd^2).

c_k is the per-step fall of tension between co-members (suppression for a hegemonic
alliance, dialogue_intensity * chi for a dialogue platform); pi_k is polarisation toward
outsiders.  Squared distances expand into rank-one terms, so (1 - alpha) T + the rest is
one matrix product U V^T of rank 3 + K + (institutions): the N x N array is touched only a
handful of times per step.  Rivalry is sparse and added at its pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import dgemm, sgemm


@dataclass(frozen=True)
class BlocTerm:
    """One institution's effect on tension: members m (0/1 floats), co-member fall c, outsider rise pi."""

    members: np.ndarray
    comember: float
    outsider: float


def low_rank_factors(
    regime: np.ndarray,
    policy: np.ndarray,
    mood: np.ndarray,
    terms: list[BlocTerm],
    *,
    relaxation: float,
    baseline: float,
    regime_weight: float,
    policy_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """U, V with U V^T = alpha (T* without rivalry) + effects + noise (see module docstring).

    Terms whose coefficient is exactly zero add no column, so a switched-off effect leaves
    the floating-point result bit-for-bit unchanged.
    """
    a, k_dims = relaxation, policy.shape[1]
    wf = policy_weight / k_dims
    # The part that depends on i alone (paired with a column of ones) and on j alone.
    single = a * (0.5 * baseline + regime_weight * regime**2 + wf * (policy**2).sum(axis=1)) + mood
    ones = np.ones_like(regime)
    u_cols = [single, ones, -2.0 * a * regime_weight * regime]
    v_cols = [ones, single, regime]
    if wf:
        u_cols.extend(-2.0 * a * wf * policy.T)
        v_cols.extend(policy.T)
    for t in terms:
        if t.outsider:
            single = single + t.outsider * t.members
            u_cols[0], v_cols[1] = single, single
        coef = t.comember + 2.0 * t.outsider
        if coef:
            u_cols.append(-coef * t.members)
            v_cols.append(t.members)
    return np.column_stack(u_cols), np.column_stack(v_cols)


def relax(
    tension: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    rivalry: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    relaxation: float,
    rivalry_weight: float,
) -> None:
    """In place: T <- clip((1 - alpha) T + U V^T + alpha w_R R, 0, 1), zero diagonal.

    The first two terms are one BLAS ``gemm`` call (C <- U V^T + beta C) writing into T:
    a C-ordered T is the Fortran-ordered T^T, so we ask for T^T <- V U^T + (1 - alpha) T^T.
    T may be float32 (``sgemm``) or float64 (``dgemm``); U and V are cast to match.
    """
    assert tension.flags.c_contiguous
    gemm = sgemm if tension.dtype == np.float32 else dgemm
    dt = tension.dtype
    gemm(1.0, v.astype(dt, copy=False), u.astype(dt, copy=False), beta=1.0 - relaxation, c=tension.T, trans_b=1, overwrite_c=1)
    ri, rj, rv = rivalry
    if len(rv):
        push = relaxation * rivalry_weight * rv
        tension[ri, rj] += push
        tension[rj, ri] += push
    np.clip(tension, 0.0, 1.0, out=tension)
    np.fill_diagonal(tension, 0.0)


def equilibrium(regime, policy, rivalry_matrix, *, baseline, regime_weight, policy_weight, rivalry_weight) -> np.ndarray:
    """T* written directly (dense, for tests and documentation; the model uses the low-rank form)."""
    dr2 = (regime[:, None] - regime[None, :]) ** 2
    df2 = ((policy[:, None, :] - policy[None, :, :]) ** 2).mean(axis=-1)
    return baseline + regime_weight * dr2 + policy_weight * df2 + rivalry_weight * rivalry_matrix
