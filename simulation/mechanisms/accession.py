"""Phase 8 (issue: history): accession by application and consent.

A reviewing state that would join an institution (``membership.choose``) *applies*; the
incumbents decide.  Each incumbent m judges applicant a by its own utility of admitting it
(P_k: members' capability, n_k: members, s_a = p_a / (P_k + p_a) the applicant's share of the
enlarged bloc, z_m = max_j T_mj prox_mj m's security demand, rho_a = max over non-members j
!= a of T_aj prox_aj the applicant's worst quarrel outside the institution):

  hegemonic: W_ma = w_def d_k s_a z_m                      security gained
                    - w_ent e_k rho_a                       risk of entrapment
                    - w_riv T_ma prox_ma                    the applicant is m's own nearby rival
                    - w_dil d_k max(0, 1/(n_k+1) - s_a)     dilution of the umbrella/deterrence
             the leader L adds  w_lead (f_k^+ - f_k), f_k = followers' share of P_k
             (a leader gains command over more capability)
  dialogue:  W_ma = w_dia chi_k (delta_k / alpha) T_ma prox_ma   dialogue with a rival nearby
                    - w_riv T_ma prox_ma
                    - w_dil (chi_k - chi_k^+)               consensus capacity lost to heterogeneity

Decision: a member objects when W_ma < veto_k.  Hegemonic: approved iff the leader approves
(W_La >= approval_k) and no member objects (NATO: unanimity).  Dialogue: approved iff no
member objects (SCO: consensus).  Applicants are judged independently, against the members
at the start of the phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simulation.scenario import MembershipParams


class InstitutionView(Protocol):
    """What consent needs of an institution (``InstitutionState`` has all of it)."""

    members: np.ndarray
    leader: int | None
    params: dict[str, float]
    chi: float
    consensus_capacity_on: bool

    @property
    def hegemonic(self) -> bool: ...


def outside_risk(applicants: np.ndarray, members: np.ndarray, tension: np.ndarray, proximity: np.ndarray) -> np.ndarray:
    """rho_a = max over states j outside the institution (j != a) of T_aj prox_aj."""
    if not len(applicants):
        return np.zeros(0)
    rows = np.asarray(tension[applicants], dtype=float) * proximity[applicants]
    rows[:, members] = 0.0
    rows[np.arange(len(applicants)), applicants] = 0.0
    return rows.max(axis=1)


def chi_with(regime_members: np.ndarray, regime_applicants: np.ndarray, *, cost: float, reference: float) -> np.ndarray:
    """chi_k^+ = 1 / (1 + lambda_c n / N0 sd(r of members and applicant)), one per applicant."""
    n = len(regime_members)
    s, ss = regime_members.sum(), (regime_members ** 2).sum()
    mean = (s + regime_applicants) / (n + 1)
    sd = np.sqrt(np.maximum((ss + regime_applicants ** 2) / (n + 1) - mean ** 2, 0.0))
    return 1.0 / (1.0 + cost * n / reference * sd)


def incumbent_utility(
    w: MembershipParams,
    inst: InstitutionView,
    applicants: np.ndarray,
    *,
    capability: np.ndarray,
    tension: np.ndarray,
    proximity: np.ndarray,
    regime: np.ndarray,
    demand: np.ndarray,
    relaxation: float,
) -> np.ndarray:
    """W (applicants x members, members in index order): each incumbent's utility of admitting
    each applicant.  ``demand`` is z for every state (length N)."""
    p = inst.params
    mem = np.flatnonzero(inst.members)
    t_am = np.asarray(tension[np.ix_(applicants, mem)], dtype=float)
    prox = proximity[np.ix_(applicants, mem)]
    if inst.hegemonic:
        bloc = capability[mem].sum()
        share = capability[applicants] / (bloc + capability[applicants])
        rho = outside_risk(applicants, inst.members, tension, proximity)
        dilution = np.maximum(0.0, 1.0 / (len(mem) + 1) - share)
        util = (
            w.defence_value * p["deterrence"] * share[:, None] * demand[mem][None, :]
            - w.consent_entrapment_cost * p["entrapment"] * rho[:, None]
            - w.consent_rivalry_cost * t_am * prox
            - w.consent_dilution_cost * p["deterrence"] * dilution[:, None]
        )
        if inst.leader is not None:
            lead = capability[inst.leader]
            before = (bloc - lead) / bloc
            after = (bloc + capability[applicants] - lead) / (bloc + capability[applicants])
            util[:, np.searchsorted(mem, inst.leader)] += w.leadership_value * (after - before)
        return util
    relief = p["dialogue_intensity"] / relaxation if relaxation > 0 else 0.0
    if inst.consensus_capacity_on:
        lost = inst.chi - chi_with(regime[mem], regime[applicants], cost=p["consensus_cost"], reference=p["consensus_reference"])
    else:
        lost = np.zeros(len(applicants))
    return (
        w.dialogue_value * inst.chi * relief * t_am * prox
        - w.consent_rivalry_cost * t_am * prox
        - w.consent_dilution_cost * lost[:, None]
    )


def objections(utility: np.ndarray, leader_col: int | None, *, veto: float, approval: float) -> np.ndarray:
    """Objecting incumbents (applicants x incumbents): W < veto, and the leader also when it does
    not approve (W_L < approval).  Staged candidacy weighs these by capability (candidacy.py)."""
    objecting = utility < veto
    if leader_col is not None:
        objecting[:, leader_col] |= utility[:, leader_col] < approval
    return objecting


def consent(utility: np.ndarray, leader_col: int | None, *, veto: float, approval: float) -> np.ndarray:
    """Approved applicants (rows): no incumbent (column) objects (W < veto), and, where there is
    a leader, the leader approves (W >= approval).  No incumbents: nobody objects."""
    return ~objections(utility, leader_col, veto=veto, approval=approval).any(axis=1)


@dataclass(frozen=True)
class Screening:
    """Outcome of the applications of one review: ``join`` with refused applications set to -1,
    and the (row, column) of every application and every refusal, for the membership record."""

    join: np.ndarray
    applied: tuple[np.ndarray, np.ndarray]
    refused: tuple[np.ndarray, np.ndarray]


def screen(
    rows: np.ndarray,
    join: np.ndarray,
    institutions: list[InstitutionView],
    w: MembershipParams,
    *,
    capability: np.ndarray,
    tension: np.ndarray,
    proximity: np.ndarray,
    regime: np.ndarray,
    demand: np.ndarray,
    relaxation: float,
) -> Screening:
    """Every application (``join[r] = c >= 0`` from ``membership.choose``) is put to the
    incumbents of institution c.  ``rows`` are the reviewing states (state indices), ``demand``
    is z for every state."""
    out = join.copy()
    for c, inst in enumerate(institutions):
        pos = np.flatnonzero(join == c)
        if not len(pos):
            continue
        util = incumbent_utility(
            w, inst, rows[pos], capability=capability, tension=tension, proximity=proximity,
            regime=regime, demand=demand, relaxation=relaxation,
        )
        mem = np.flatnonzero(inst.members)
        leader_col = int(np.searchsorted(mem, inst.leader)) if inst.hegemonic and inst.leader is not None else None
        ok = consent(util, leader_col, veto=inst.params["veto_threshold"], approval=inst.params.get("approval_threshold", -np.inf))
        out[pos[~ok]] = -1
    applied = np.flatnonzero(join >= 0)
    refused = np.flatnonzero((join >= 0) & (out < 0))
    return Screening(out, (rows[applied], join[applied]), (rows[refused], join[refused]))
