"""Phase 8: states weigh each institution and join or leave.

Utility of institution k for state i (weights w_* are dynamics.membership parameters):

  hegemonic: w_umb U_k (1 - g_i) + w_def d_k z_i + w_thr c_k tau_i
             - w_ctl sigma_i control_k - w_adp (r_i - r_leader)^2 - w_bur burden_k
  dialogue:  w_dia chi_k (delta_k / alpha) z_i + w_thr c_k tau_i - w_bur burden_k

with z_i = max_j T_ij prox_ij (the worst tension with a nearby state) and
control_k = 1 - (1 - interference_k)(1 - planning_k).  With ``mechanisms.threat_by_power`` the
tension with j also counts by j's power relative to i's (Walt 1987: a threat is power,
proximity and intent together): z_i = max_j T_ij prox_ij p_j / (p_i + p_j).
"""

from __future__ import annotations

import numpy as np

from simulation.scenario import MembershipParams


def security_demand(tension_rows: np.ndarray, proximity_rows: np.ndarray, power_rows: np.ndarray | None = None) -> np.ndarray:
    """z_i = max_j T_ij prox_ij [q_ij] for the given rows; ``power_rows`` (or None) from
    :func:`relative_power`."""
    if tension_rows.shape[1] == 0:
        return np.zeros(tension_rows.shape[0])
    weighted = tension_rows * proximity_rows
    if power_rows is not None:
        weighted = weighted * power_rows
    return weighted.max(axis=1)


def relative_power(capability: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """q_ij = p_j / (p_i + p_j) for rows i (all states if None): how much of the pair's power is
    the other side's.  0 where both capabilities are 0 (a pair of states that have left)."""
    p = np.asarray(capability, dtype=float)
    mine = (p if rows is None else p[rows])[:, None]
    total = mine + p[None, :]
    return np.divide(p[None, :], total, out=np.zeros_like(total), where=total > 0)


def hegemonic_utility(w: MembershipParams, p: dict[str, float], control: float, *, governance, threat, demand, sovereignty, regime, leader_regime) -> np.ndarray:
    return (
        w.umbrella_value * p["umbrella"] * (1.0 - governance)
        + w.defence_value * p["deterrence"] * demand
        + w.threat_value * p["counter_threat"] * threat
        - w.control_cost * sovereignty * control
        - w.adaptation_cost * (regime - leader_regime) ** 2
        - w.burden_cost * p["burden"]
    )


def dialogue_utility(w: MembershipParams, p: dict[str, float], chi: float, relaxation: float, *, threat, demand) -> np.ndarray:
    relief = p["dialogue_intensity"] / relaxation if relaxation > 0 else 0.0
    return w.dialogue_value * chi * relief * demand + w.threat_value * p["counter_threat"] * threat - w.burden_cost * p["burden"]


def choose(
    utility: np.ndarray,
    member: np.ndarray,
    admissible: np.ndarray,
    forced_exit: np.ndarray,
    locked: np.ndarray,
    hegemonic: np.ndarray,
    *,
    join_threshold: float,
    leave_threshold: float,
    max_memberships: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Leave and join decisions for reviewing states (rows) over institutions (columns).

    A member leaves when its utility falls below ``leave_threshold`` or a forced exit
    applies (grievance), unless ``locked`` (a leader never leaves its own alliance).  Then a
    state with a free slot joins the single best admissible institution whose utility
    exceeds ``join_threshold``; it never rejoins one it has just left, and never holds two
    hegemonic alliances (no state has two leaders).  Ties go to the institution listed first.

    Returns (leave, join): a bool matrix, and per row the column joined or -1.
    """
    leave = member & ~locked & ((utility < leave_threshold) | forced_exit)
    still = member & ~leave
    slots = max_memberships - still.sum(axis=1)
    has_hegemon = (still & hegemonic[None, :]).any(axis=1)
    eligible = admissible & ~member & (utility > join_threshold)
    eligible &= ~(hegemonic[None, :] & has_hegemon[:, None])
    score = np.where(eligible, utility, -np.inf)
    best = np.argmax(score, axis=1) if score.shape[1] else np.zeros(score.shape[0], dtype=int)
    join = np.where((slots > 0) & eligible.any(axis=1), best, -1)
    return leave, join
