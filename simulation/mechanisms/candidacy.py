"""Phase 8 (issue: history): staged candidacy with a power-weighted veto (``mechanisms.candidacy``).

Accession by consent (``accession.py``) decides an application in the year it is made.  NATO's
Membership Action Plan and the SCO's observer -> member path took years, and a strong member's
objection weighs more than a small one's.  Here an application opens a *candidacy*:

- A reviewing state whose choice is to join institution k (``membership.choose``) applies
  (``apply``) and becomes a candidate of k.  A state holds at most one candidacy, and a state
  refused by k may not apply to k again for ``reapply_years`` years.
- A candidate reviews every year.  Its only admissible choice is its candidacy: when its utility
  for k (with its view) no longer exceeds the join threshold, or k is no longer admissible or
  it has no room, it withdraws (``withdraw``).
- Every year of candidacy, the application year included, the incumbents judge it with the
  consent utilities W_ma of ``accession.incumbent_utility``.  Incumbent m objects when
  W_ma < veto_k; a leader L also objects when W_La < approval_k.  With O_a the objectors and
  p the capabilities, the objecting share is

      s_a = sum_{m in O_a} p_m / sum_{m in k} p_m,

  and the candidacy is blocked when s_a > veto_share_k (veto_share_k = 0: any objection
  blocks, today's unanimity/consensus; 1: nothing blocks).  A blocked candidate is refused
  (``refused``) and waits reapply_years; an unblocked one counts the year, and after
  candidacy_years + 1 unblocked judgments (candidacy_years years after applying) it joins.

With candidacy_years = 0, veto_share = 0 and reapply_years = 0 this is accession by consent.
``candidacy_years`` and ``reapply_years`` are stored as real numbers (so that calibration priors
are continuous) and rounded half up to whole years here (``whole_years``).

Enlargement rounds (``mechanisms.enlargement_rounds``, ``rounds=True``): NATO enlarged in rounds
decided together (1952, 1999, 2004), the SCO in pairs.  A candidacy that has served its years is
*ready*; ready candidates join only in a round year, when ``since_round`` (the years k has been
alive since its last round; its founding year counts as 1, the run's start as a round) has reached
round_years_k.  A round admits at most
max(1, round(round_share_k * n_k)) of them, those with the highest support, the capability-weighted
mean of the incumbents' consent utilities; the rest stay ready (still judged every year) for the
next round.  With round_years = 0 and a round_share no round can fill (1000), it is staged candidacy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.mechanisms import accession
from simulation.scenario import MembershipParams

NOT_CANDIDATE = -1


def whole_years(value: float) -> int:
    """A year count stored as a real number, rounded half up (2.5 -> 3; 0.49 -> 0)."""
    return int(np.floor(float(value) + 0.5))


def objections(utility: np.ndarray, leader_col: int | None, *, veto: float, approval: float) -> np.ndarray:
    """Objectors (applicants x incumbents): W < veto, and the leader also when W_L < approval."""
    return accession.objections(utility, leader_col, veto=veto, approval=approval)


def objecting_share(objecting: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """s_a = objectors' capability / the incumbents' capability (per applicant row), in [0, 1]."""
    total = capability.sum()
    if not objecting.shape[1] or total <= 0:
        return np.zeros(objecting.shape[0])
    return np.minimum(objecting.astype(float) @ capability / total, 1.0)


def blocked(objecting: np.ndarray, capability: np.ndarray, veto_share: float) -> np.ndarray:
    """Blocked candidacies: objecting share > veto_share; at veto_share 0 any objection blocks
    (whatever the objector's capability, so that 0 is exactly unanimity)."""
    if veto_share <= 0.0:
        return objecting.any(axis=1)
    return objecting_share(objecting, capability) > veto_share


@dataclass
class Candidacies:
    """Per state x institution (columns in the order of ``model.institutions``): ``years``, the
    unblocked judgments of a running candidacy (NOT_CANDIDATE: none), and ``wait``, the years a
    refused state must still wait before it may apply again."""

    years: np.ndarray
    wait: np.ndarray
    since_round: np.ndarray  # per institution: years since its last enlargement round (0 while it does not exist)

    @classmethod
    def empty(cls, n: int, k: int) -> "Candidacies":
        return cls(np.full((n, k), NOT_CANDIDATE, dtype=np.int64), np.zeros((n, k), dtype=np.int64), np.zeros(k, dtype=np.int64))

    @property
    def running(self) -> np.ndarray:
        return self.years != NOT_CANDIDATE

    def start_year(self, alive: np.ndarray, active: np.ndarray, members: np.ndarray) -> np.ndarray:
        """Begin this year's phase: candidacies end silently when the institution has gone, the
        state has left the world or already belongs; returns which states may not apply where
        (``wait`` > 0), then a year of waiting passes."""
        drop = self.running & (~alive[None, :] | ~active[:, None] | members)
        self.years[drop] = NOT_CANDIDATE
        barred = self.wait > 0
        self.wait = np.maximum(self.wait - 1, 0)
        self.since_round = np.where(alive, self.since_round + 1, 0)
        return barred


def round_size(round_share: float, members: int) -> int:
    """The most a round admits: round_share x the members, rounded half up, at least 1."""
    return max(1, whole_years(round_share * members))


def support(utility: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """Per applicant row: the incumbents' consent utilities, averaged with capability weights."""
    if not utility.shape[1]:
        return np.zeros(utility.shape[0])
    total = capability.sum()
    return utility @ capability / total if total > 0 else utility.mean(axis=1)


def admit_in_round(ready: np.ndarray, backing: np.ndarray | None, *, due: bool, room: int) -> np.ndarray:
    """Positions (ascending) of the ready candidates a round admits: none unless a round is due,
    else the ``room`` with the highest ``backing`` (ties: the lower position first)."""
    ready = np.flatnonzero(ready)
    if not due or not len(ready):
        return ready[:0]
    order = np.argsort(-backing[ready], kind="stable")
    return np.sort(ready[order[:room]])


def restrict(admissible: np.ndarray, rows: np.ndarray, cols: list[int], state: Candidacies, barred: np.ndarray) -> np.ndarray:
    """Admission for the reviewing ``rows`` over the live columns ``cols``: a barred state may not
    apply; a candidate's only admissible choice is its candidacy (one candidacy at a time)."""
    running = state.running[np.ix_(rows, cols)]
    keep = ~barred[np.ix_(rows, cols)]
    keep = np.where(running.any(axis=1)[:, None], running, keep)
    return admissible & keep


@dataclass(frozen=True)
class Outcome:
    """State indices per live column: withdrawn, applied (new), joined and refused this year."""

    withdrawn: list[np.ndarray]
    applied: list[np.ndarray]
    joined: list[np.ndarray]
    refused: list[np.ndarray]


def advance(
    state: Candidacies,
    rows: np.ndarray,
    join: np.ndarray,
    institutions: list,
    cols: list[int],
    w: MembershipParams,
    *,
    capability: np.ndarray,
    tension: np.ndarray,
    proximity: np.ndarray,
    regime: np.ndarray,
    demand: np.ndarray,
    relaxation: float,
    rounds: bool = False,
) -> Outcome:
    """One year of candidacies after ``membership.choose`` (``join``: per reviewing row the live
    column chosen, or -1, under ``restrict``).  Candidates that no longer choose their candidacy
    withdraw; new choices are applications; every candidacy is judged against the members at the
    start of the phase; with ``rounds``, ready candidates join only in a round; ``state`` is
    updated in place."""
    withdrawn, applied, joined, refused = [], [], [], []
    for c, (inst, col) in enumerate(zip(institutions, cols)):
        years = state.years[:, col]
        running = years[rows] != NOT_CANDIDATE
        wants = join == c
        out = rows[running & ~wants]
        new = rows[~running & wants]
        years[out] = NOT_CANDIDATE
        years[new] = 0
        withdrawn.append(out)
        applied.append(new)
        judged = np.flatnonzero(years != NOT_CANDIDATE)
        if not len(judged):
            joined.append(judged)
            refused.append(judged)
            continue
        util = accession.incumbent_utility(
            w, inst, judged, capability=capability, tension=tension, proximity=proximity,
            regime=regime, demand=demand, relaxation=relaxation,
        )
        mem = np.flatnonzero(inst.members)
        p = inst.params
        leader_col = int(np.searchsorted(mem, inst.leader)) if inst.hegemonic and inst.leader is not None else None
        objecting = objections(util, leader_col, veto=p["veto_threshold"], approval=p.get("approval_threshold", -np.inf))
        stop = blocked(objecting, capability[mem], p["veto_share"])
        years[judged[~stop]] += 1
        ready = ~stop & (years[judged] > whole_years(p["candidacy_years"]))
        if rounds:
            due = bool(ready.any()) and state.since_round[col] >= whole_years(p["round_years"])
            backing = support(util, capability[mem]) if due else None  # only a round ranks its candidates
            done = judged[admit_in_round(ready, backing, due=due, room=round_size(p["round_share"], len(mem)))]
            if len(done):
                state.since_round[col] = 0
        else:
            done = judged[ready]
        years[judged[stop]] = NOT_CANDIDATE
        years[done] = NOT_CANDIDATE
        state.wait[judged[stop], col] = whole_years(p["reapply_years"])
        joined.append(done)
        refused.append(judged[stop])
    return Outcome(withdrawn, applied, joined, refused)


__all__ = ["Candidacies", "NOT_CANDIDATE", "Outcome", "admit_in_round", "advance", "blocked", "objecting_share", "objections", "restrict",
           "round_size", "support", "whole_years"]
