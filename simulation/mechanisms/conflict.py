"""Phase 6: disputes, settlement, escalation to conflict, costs and entrapment.

Onset is rare per dyad, so it is sampled by thinning instead of one draw per dyad: each
dyad becomes a candidate with probability d0 (the largest onset probability any dyad can
have) and a candidate is accepted with probability p_ij / d0.  That is exactly a Bernoulli
(p_ij) draw per dyad, at a cost proportional to the number of candidates.  Because
p_ij <= d0 prox_ij and proximity is fixed, dyads are banded by proximity once and each band
is thinned with its own bound, so remote dyads rarely become candidates.  The candidates
drawn depend only on the world and d0, so scenarios with the same world share them
(common random numbers).
"""

from __future__ import annotations

import numpy as np

# Dyads are grouped by proximity into bands (R^-(b+1), R^-b]; the last band takes the rest.
# Narrow bands waste few candidates (at most 1 in R accepted at worst); all bands are drawn
# in one vectorised pass, so their number costs almost nothing.
PROXIMITY_BANDS = 24
BAND_RATIO = 2.0


class DyadSampler:
    """Draws the dyads (i < j) on which a dispute may start, banded by proximity.

    Each dyad is a candidate with probability d0 * bound(band), bound = the band's upper
    proximity edge; ``candidates`` returns the bound per candidate, so accepting with
    p_ij / (d0 * bound) gives exactly P(dispute_ij) = p_ij.

    All bands are drawn at once: a Bernoulli(p) choice of each integer k equals "a Poisson
    process of rate -log(1 - p) has an event in [k, k + 1)".  Laying the bands end to end,
    one unit-rate Poisson process mapped through the piecewise-linear cumulative rate gives
    every band's candidates in a single vectorised pass.
    """

    def __init__(self, proximity: np.ndarray):
        n = proximity.shape[0]
        self.n = n
        iu = np.triu_indices(n, 1)
        prox = proximity[iu]
        with np.errstate(divide="ignore"):
            band = np.floor(-np.log(np.maximum(prox, np.finfo(float).tiny)) / np.log(BAND_RATIO)).astype(np.int64)
        band = np.clip(band, 0, PROXIMITY_BANDS - 1)
        order = np.argsort(band, kind="stable").astype(np.int64)
        counts = np.bincount(band, minlength=PROXIMITY_BANDS)
        self.bands = []  # (positions in the condensed upper triangle, bound), non-empty bands
        start = 0
        for b, c in enumerate(counts):
            if c:
                self.bands.append((order[start:start + c], BAND_RATIO ** -b))
            start += c
        self._order = np.concatenate([pos for pos, _ in self.bands]) if self.bands else np.zeros(0, np.int64)
        self._sizes = np.array([len(pos) for pos, _ in self.bands], dtype=np.int64)
        self._starts = np.concatenate([[0], np.cumsum(self._sizes)[:-1]]).astype(np.int64)
        self._bounds = np.array([bound for _, bound in self.bands])

    def candidates(self, rng: np.random.Generator, base: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(i, j, bound) of candidate dyads for onset probability bound ``base`` (d0)."""
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
        if base <= 0.0 or not len(self._sizes):
            return empty
        p = np.minimum(base * self._bounds, 1.0)
        certain = p >= 1.0
        rate = -np.log1p(-np.where(certain, 0.0, p))  # per dyad, within each band
        cum = np.concatenate([[0.0], np.cumsum(np.where(certain, 0.0, rate * self._sizes))])
        arrivals = poisson_arrivals(rng, cum[-1])
        band = np.searchsorted(cum, arrivals, side="right") - 1
        offset = np.minimum(np.floor((arrivals - cum[band]) / rate[band]).astype(np.int64), self._sizes[band] - 1)
        chosen = self._starts[band] + offset  # non-decreasing, as the arrivals are
        chosen = chosen[np.concatenate([[True], chosen[1:] != chosen[:-1]])] if len(chosen) else chosen
        whole = [np.arange(s, s + c) for s, c, full in zip(self._starts, self._sizes, certain) if full]
        if whole:
            chosen = np.union1d(chosen, np.concatenate(whole))
        which = np.searchsorted(self._starts, chosen, side="right") - 1
        i, j = condensed_to_pairs(self._order[chosen], self.n)
        return i, j, self._bounds[which]


def poisson_arrivals(rng: np.random.Generator, horizon: float) -> np.ndarray:
    """Event times of a unit-rate Poisson process on [0, horizon), from exponential gaps."""
    if horizon <= 0.0:
        return np.zeros(0)
    chunk = int(horizon + 6.0 * np.sqrt(horizon) + 16)
    parts, last = [], 0.0
    while True:
        times = last + np.cumsum(rng.exponential(1.0, chunk))
        parts.append(times[times < horizon])
        if times[-1] >= horizon:
            return np.concatenate(parts)
        last = float(times[-1])


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


def entrap(tension: np.ndarray, fighters_i: np.ndarray, fighters_j: np.ndarray, alliances: list[tuple[np.ndarray, float]]) -> None:
    """Snyder's entrapment, in place: allies are dragged into their partners' conflicts.

    For each hegemonic alliance k with entrapment e_k and each conflict between a member and
    an outsider o, every other member a sees T_ao += e_k (1 - T_ao).  Each (a, o) pair is
    raised once per alliance and step, however many members fought o.
    """
    for members, e in alliances:
        if not e or not len(fighters_i):
            continue
        mi, mj = members[fighters_i], members[fighters_j]
        cross = mi != mj
        if not cross.any():
            continue
        inside = np.where(mi, fighters_i, fighters_j)[cross]
        outside = np.where(mi, fighters_j, fighters_i)[cross]
        opponents = np.unique(outside)
        allies = np.flatnonzero(members)
        block = np.ix_(allies, opponents)
        old = tension[block]
        new = old + e * (1.0 - old)
        # The fighters themselves already bear the conflict's own tension rise.
        fought = np.zeros_like(new, dtype=bool)
        fought[np.searchsorted(allies, inside), np.searchsorted(opponents, outside)] = True
        new = np.where(fought, old, new)
        tension[block] = new
        tension[np.ix_(opponents, allies)] = new.T
