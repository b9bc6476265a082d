"""Phase 8 (issue: history): a leader that can leave or be succeeded.

The leader L of hegemonic alliance k weighs its own alliance by

  V_Lk = w_def d_k z_L + w_thr c_k tau_L + w_lead f_k - w_prot upsilon_k (1 - f_k) - w_bur B_k,

f_k = (P_k - p_L) / P_k the followers' share of the bloc's capability: command over others'
capability is the leader's gain; providing the umbrella, in proportion to its own weight in
the bloc, its cost.  It loses no sovereignty and adapts to no one (no control or adaptation
term).  A leader whose V_Lk falls below the leave threshold leaves like any member.

Succession rule:
- *Power transition*: when the strongest other member's capability exceeds the leader's by
  the factor kappa_k (``succession_ratio``, > 1 means clearly stronger), leadership passes
  to it; the old leader stays a member and reviews as one.
- *Exit*: when the leader leaves, the strongest remaining member becomes leader (ties: the
  lower index, i.e. listed first); if fewer than 2 members remain the alliance dissolves as
  usual.
"""

from __future__ import annotations

import numpy as np

from simulation.scenario import MembershipParams


def followers_share(members: np.ndarray, capability: np.ndarray, leader: int) -> float:
    """f_k = (P_k - p_L) / P_k."""
    bloc = capability[members].sum()
    return float((bloc - capability[leader]) / bloc) if bloc > 0 else 0.0


def leader_utility(w: MembershipParams, p: dict[str, float], *, members: np.ndarray, capability: np.ndarray, leader: int, demand: float, threat: float) -> float:
    """V_Lk (see module doc); ``demand`` and ``threat`` are the leader's z_L and tau_L."""
    f = followers_share(members, capability, leader)
    return float(
        w.defence_value * p["deterrence"] * demand
        + w.threat_value * p["counter_threat"] * threat
        + w.leadership_value * f
        - w.protection_cost * p["umbrella"] * (1.0 - f)
        - w.burden_cost * p["burden"]
    )


def strongest(members: np.ndarray, capability: np.ndarray, exclude: int | None = None) -> int | None:
    """The member with the highest capability (ties: lowest index), or None."""
    cand = members.copy()
    if exclude is not None:
        cand[exclude] = False
    idx = np.flatnonzero(cand)
    if not len(idx):
        return None
    return int(idx[np.argmax(capability[idx])])


def succeed(members: np.ndarray, capability: np.ndarray, leader: int, *, ratio: float) -> int:
    """The leader after a power-transition check: the strongest other member if its capability
    exceeds ``ratio`` times the leader's, otherwise the same leader."""
    rival = strongest(members, capability, exclude=leader)
    if rival is not None and capability[rival] > ratio * capability[leader]:
        return rival
    return leader


def after_exit(members: np.ndarray, capability: np.ndarray) -> int | None:
    """The new leader once the old one has left: the strongest remaining member."""
    return strongest(members, capability)
