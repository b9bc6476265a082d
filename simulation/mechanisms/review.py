"""Phase 8 with the history mechanisms: one entry point for the membership review.

``review`` takes the arrays the current review builds (utilities without views, membership,
admission, forced exits, locks, kinds of the reviewing rows) plus the per-state x institution
state the new mechanisms keep (views, tenure, trust, regional eligibility), applies the
switched-on mechanisms in a fixed order, and returns the decisions and what the membership
record needs.  With every new switch off it returns exactly ``membership.choose`` on
utility + views, so wiring it in changes no existing run.

Order (docs/ODD.md, "Membership (issue: history)"):
1. eligibility by region narrows admission;
2. trust in each alliance's word enters the utility (commitments);
3. a leader weighs its own alliance with the leader's utility and is no longer locked (leader_exit);
4. members weigh leaving with the exit cost added (exit_cost);
5. ``membership.choose``;
6. every join is an application, put to the incumbents (accession_consent); with staged
   candidacy (``candidacy``) the caller restricts admission beforehand and judges afterwards
   (``candidacy.restrict``, ``candidacy.advance``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.mechanisms import accession, commitments, leadership, membership, persistence
from simulation.scenario import Mechanisms, MembershipParams


@dataclass(frozen=True)
class Decision:
    """``leave`` (rows x institutions) and ``join`` (per row, column or -1) as from
    ``membership.choose``; ``applied`` and ``refused`` as (state index, column) arrays, for the
    membership record's ``apply`` and ``refused`` rows (empty without consent)."""

    leave: np.ndarray
    join: np.ndarray
    applied: tuple[np.ndarray, np.ndarray]
    refused: tuple[np.ndarray, np.ndarray]


def next_views(previous: np.ndarray | None, shocks: np.ndarray, *, persistent: bool, w: MembershipParams) -> np.ndarray:
    """One institution's views for this year from this year's normal draws: AR(1) when the
    switch is on, otherwise today's fresh draw utility_noise * eps."""
    return persistence.update_views(previous if persistent else None, shocks, phi=w.view_persistence, sd=w.utility_noise)


def review(
    rows: np.ndarray,
    utility: np.ndarray,
    views: np.ndarray,
    member: np.ndarray,
    admissible: np.ndarray,
    forced: np.ndarray,
    locked: np.ndarray,
    institutions: list,
    w: MembershipParams,
    mech: Mechanisms,
    *,
    tenure: np.ndarray,
    trust: np.ndarray,
    eligible: np.ndarray,
    capability: np.ndarray,
    tension: np.ndarray,
    proximity: np.ndarray,
    regime: np.ndarray,
    threat: np.ndarray,
    demand: np.ndarray,
    relaxation: float,
) -> Decision:
    """The decisions of the reviewing ``rows`` over the alive ``institutions`` (columns).

    ``utility``, ``views``, ``member``, ``admissible``, ``forced``, ``locked`` are rows x
    institutions as in today's review (``views`` for these rows and institutions).
    ``tenure``, ``trust`` and ``eligible`` are N x institutions (all states; years of unbroken
    membership, trust in [0, 1], regional eligibility).  ``demand`` is z for all N states.
    """
    hegemonic = np.array([k.hegemonic for k in institutions], dtype=bool)
    util = utility + views
    admissible = admissible.copy()
    locked = locked.copy()
    if mech.eligibility_regions:
        admissible &= eligible[rows]
    if mech.commitments:
        util = util + np.where(hegemonic[None, :], commitments.trust_utility(trust[rows], weight=w.trust_value), 0.0)
    if mech.leader_exit:
        for c, k in enumerate(institutions):
            if not k.hegemonic or k.leader is None:
                continue
            at = np.flatnonzero(rows == k.leader)
            if len(at):
                util[at, c] = views[at, c] + leadership.leader_utility(
                    w, k.params, members=k.members, capability=capability, leader=k.leader,
                    demand=float(demand[k.leader]), threat=float(threat[k.leader]),
                )
                locked[at, c] = False
    if mech.exit_cost:
        util = persistence.staying_utility(util, member, tenure[rows], cost=w.exit_cost, scale=w.exit_cost_years)
    leave, join = membership.choose(
        util, member, admissible, forced, locked, hegemonic,
        join_threshold=w.join_threshold, leave_threshold=w.leave_threshold, max_memberships=w.max_memberships,
    )
    empty = (np.zeros(0, dtype=int), np.zeros(0, dtype=int))
    if not mech.accession_consent or mech.candidacy:  # staged candidacy judges in candidacy.advance
        return Decision(leave, join, empty, empty)
    out = accession.screen(
        rows, join, institutions, w, capability=capability, tension=tension, proximity=proximity,
        regime=regime, demand=demand, relaxation=relaxation,
    )
    return Decision(leave, out.join, out.applied, out.refused)


def new_leader(inst, capability: np.ndarray, *, left: bool, succession: bool) -> int | None:
    """The leader of a hegemonic alliance after this phase: the strongest remaining member if
    the leader left; else the strongest other member if ``succession`` is on and it exceeds
    succession_ratio times the leader's capability; else the same leader."""
    if left:
        return leadership.after_exit(inst.members, capability)
    if succession and inst.leader is not None:
        return leadership.succeed(inst.members, capability, inst.leader, ratio=inst.params["succession_ratio"])
    return inst.leader
