"""Phase 6 (issue: history): commitments that may or may not be honoured.

When a member of a hegemonic alliance k fights an outsider o (a conflict this step), it calls
on its allies.  Each ally a honours the call with probability rho_k (its reliability; Leeds,
Long & Mitchell 2000 find about 75% of alliance commitments honoured): one uniform draw per
state per step, u_a < rho_k.  An ally that honours

- joins the conflict (pairs that already fight each other this step are left out): it and
  the opponent bear the conflict's capability cost between them,
  p_a *= 1 - l_join p_o / (p_a + p_o) and p_o *= 1 - l_join p_a / (p_a + p_o);
- is entrapped: T_ao += e_k (1 - T_ao) (with commitments on, only joiners are entrapped);
- may resent it: its trust in k falls by x_ent (1 - T_ao), the less it cared about o the more.

The member called on falls in trust by x_ab times the share of allies that stayed out
(abandonment).  Trust recovers toward 1 at rate r_trust per year, and enters the state's
utility of k as w_trust (trust_ik - 1) (zero at full trust).  With rho = 1 and x_ab = x_ent = 0,
trust stays at 1 and nothing changes: full credibility, as without this mechanism.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.mechanisms.conflict import raise_tension, war_losses


def honour(draws: np.ndarray, rho: float) -> np.ndarray:
    """Which states honour a call this step: u_a < rho (rho = 1: always, rho = 0: never)."""
    return draws < rho


@dataclass(frozen=True)
class Calls:
    """Calls to arms in one alliance: the member fighting (``caller``) and its opponent, one
    entry per conflict between a member and an outsider; ``joined`` (calls x N) marks the
    allies that honoured each call; ``abandoned`` is the share of allies that stayed out."""

    caller: np.ndarray
    opponent: np.ndarray
    joined: np.ndarray
    abandoned: np.ndarray


def answer_calls(fighters_i: np.ndarray, fighters_j: np.ndarray, members: np.ndarray, honours: np.ndarray) -> Calls:
    """The calls of one alliance's members at war with outsiders, and who answered them."""
    mi, mj = members[fighters_i], members[fighters_j]
    cross = mi != mj
    caller = np.where(mi, fighters_i, fighters_j)[cross]
    opponent = np.where(mi, fighters_j, fighters_i)[cross]
    n = len(members)
    allies = np.broadcast_to(members, (len(caller), n)).copy()
    allies[np.arange(len(caller)), caller] = False
    joined = allies & honours[None, :]
    count = allies.sum(axis=1)
    abandoned = np.where(count > 0, 1.0 - joined.sum(axis=1) / np.maximum(count, 1), 0.0)
    return Calls(caller, opponent, joined, abandoned)


def joined_pairs(calls: Calls, fought: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ally, opponent) of every ally that joined, each pair once, leaving out pairs in
    ``fought`` (this step's conflicts, either order): they already bear the conflict's own
    tension rise and losses."""
    call, ally = np.nonzero(calls.joined)
    if not len(call):
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    pairs = np.unique(np.column_stack([ally, calls.opponent[call]]), axis=0)
    if fought is not None and len(fought[0]):
        n = len(calls.joined[0])
        key = pairs[:, 0] * n + pairs[:, 1]
        fi, fj = np.asarray(fought[0]), np.asarray(fought[1])
        pairs = pairs[~np.isin(key, np.concatenate([fi * n + fj, fj * n + fi]))]
    return pairs[:, 0], pairs[:, 1]


def update_trust(
    trust: np.ndarray,
    calls: Calls,
    tension: np.ndarray,
    *,
    abandonment: float,
    entrapment_loss: float,
    recovery: float,
    fought: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Trust of every state in one alliance after this step's calls (length N, in [0, 1]).

    trust <- trust + recovery (1 - trust); a caller loses abandonment x (share of allies that
    stayed out), its worst call counting; a joiner loses entrapment_loss x (1 - T_ao), its
    worst call counting.
    """
    out = trust + recovery * (1.0 - trust)
    loss = np.zeros_like(out)
    if len(calls.caller):
        np.maximum.at(loss, calls.caller, abandonment * calls.abandoned)
        a, o = joined_pairs(calls, fought)
        if len(a):
            np.maximum.at(loss, a, entrapment_loss * (1.0 - np.asarray(tension[a, o], dtype=float)))
    return np.clip(out - loss, 0.0, 1.0)


def trust_utility(trust: np.ndarray, *, weight: float) -> np.ndarray:
    """w_trust (trust - 1): what a state that doubts an alliance's word deducts from its utility."""
    return weight * (trust - 1.0)


def respond(
    fighters_i: np.ndarray,
    fighters_j: np.ndarray,
    alliances: list[tuple[np.ndarray, dict[str, float]]],
    draws: np.ndarray,
    capability: np.ndarray,
    tension: np.ndarray,
    trust: list[np.ndarray],
    *,
    abandonment: float,
    entrapment_loss: float,
    recovery: float,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Phase 6 with commitments, for every hegemonic alliance (members, effective params) in
    turn: calls, who honours them (``draws``: one uniform per state this step), the joiners'
    and opponents' capability losses, the joiners' entrapment (``tension`` updated in place;
    this replaces ``conflict.entrap``), and every state's trust in each alliance.  Trust is
    updated from the tension before this step's entrapment.

    Returns the new capability and the new trust arrays (same order as ``alliances``)."""
    fought = (fighters_i, fighters_j)
    out = []
    for (members, p), tr in zip(alliances, trust):
        calls = answer_calls(fighters_i, fighters_j, members, honour(draws, p["reliability"]))
        out.append(update_trust(tr, calls, tension, abandonment=abandonment, entrapment_loss=entrapment_loss, recovery=recovery, fought=fought))
        a, o = joined_pairs(calls, fought)
        if len(a):
            capability = war_losses(capability, a, o, p["ally_loss"])
            if p["entrapment"]:
                raise_tension(tension, a, o, p["entrapment"])
    return capability, out
