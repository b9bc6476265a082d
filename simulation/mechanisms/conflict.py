"""Phase 6: disputes, settlement, escalation to conflict, costs and entrapment.

Onset is rare per dyad, so it is sampled by thinning instead of one draw per dyad: each
dyad becomes a candidate with probability d0 (the largest onset probability any dyad can
have) and a candidate is accepted with probability p_ij / d0.  That is exactly a Bernoulli
(p_ij) draw per dyad, at a cost proportional to the number of candidates, and the random
numbers consumed depend only on N and d0, so scenarios with the same world share them
(common random numbers).
"""

from __future__ import annotations

import numpy as np

# Draws per candidate dyad: onset acceptance, escalation, settlement.
DRAWS_PER_CANDIDATE = 3


def bernoulli_positions(rng: np.random.Generator, size: int, p: float) -> np.ndarray:
    """Sorted positions in [0, size) each chosen independently with probability ``p``.

    Gaps between successes of a Bernoulli process are geometric, so drawing gaps costs
    O(successes) rather than O(size).
    """
    if p <= 0.0 or size == 0:
        return np.zeros(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(size, dtype=np.int64)
    chunk = int(size * p + 6.0 * np.sqrt(size * p) + 16)
    parts, last = [], -1
    while True:
        pos = last + np.cumsum(rng.geometric(p, chunk))
        parts.append(pos[pos < size])
        if pos[-1] >= size:
            return np.concatenate(parts)
        last = int(pos[-1])


def condensed_to_pairs(k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Map positions in the row-major upper triangle (i < j) of an n x n matrix to (i, j)."""
    k = np.asarray(k, dtype=np.int64)
    # Row i starts at offset i*n - i*(i+1)/2; solve for the largest such offset <= k.
    i = (n - 2 - np.floor(np.sqrt(-8.0 * k + 4.0 * n * (n - 1) - 7.0) / 2.0 - 0.5)).astype(np.int64)
    j = k + i + 1 - n * (n - 1) // 2 + (n - i) * (n - i - 1) // 2
    return i, j


def deterrence(i: np.ndarray, j: np.ndarray, capability: np.ndarray, blocs: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """D_ij = max over alliances k with exactly one side a member: d_k P_k / (P_k + p_outsider).

    ``blocs`` holds (membership bool array, deterrence d_k) of hegemonic alliances.
    """
    out = np.zeros(len(i))
    for members, d in blocs:
        if not d:
            continue
        bloc_power = capability[members].sum()
        mi, mj = members[i], members[j]
        split = mi != mj
        outsider = np.where(mi, j, i)
        out = np.where(split, np.maximum(out, d * bloc_power / (bloc_power + capability[outsider])), out)
    return out


def onset_probability(tension: np.ndarray, proximity: np.ndarray, deter: np.ndarray, *, base: float, exponent: float) -> np.ndarray:
    """p_ij = d0 T_ij^gamma prox_ij (1 - D_ij)."""
    return base * tension**exponent * proximity * (1.0 - deter)


def shared(i: np.ndarray, j: np.ndarray, groups: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """For each pair, the largest value v_k over groups k containing both sides (0 if none)."""
    out = np.zeros(len(i))
    for members, v in groups:
        both = members[i] & members[j]
        out = np.where(both, np.maximum(out, v), out)
    return out


def raise_tension(tension: np.ndarray, i: np.ndarray, j: np.ndarray, amount: float | np.ndarray) -> None:
    """In place, symmetric: T_ij += amount (1 - T_ij) for unique pairs (i, j)."""
    new = tension[i, j] + amount * (1.0 - tension[i, j])
    tension[i, j] = new
    tension[j, i] = new


def war_losses(capability: np.ndarray, i: np.ndarray, j: np.ndarray, loss: float) -> np.ndarray:
    """Each side loses loss * (opponent's share of the pair's capability) of its capability."""
    factor = np.ones_like(capability)
    pi, pj = capability[i], capability[j]
    np.multiply.at(factor, i, 1.0 - loss * pj / (pi + pj))
    np.multiply.at(factor, j, 1.0 - loss * pi / (pi + pj))
    return capability * factor


def entrapment_pairs(i: int, j: int, alliances: list[tuple[np.ndarray, float]]) -> list[tuple[np.ndarray, int, float]]:
    """Allies dragged into a conflict of i with j: (allies of i in k, j, e_k) for each alliance k.

    Snyder's entrapment: members of a hegemonic alliance that contains i but not j see their
    tension with j rise; and the same for j's allies against i.
    """
    out = []
    for members, e in alliances:
        if not e:
            continue
        for side, other in ((i, j), (j, i)):
            if members[side] and not members[other]:
                allies = np.flatnonzero(members)
                allies = allies[allies != side]
                if len(allies):
                    out.append((allies, other, e))
    return out
