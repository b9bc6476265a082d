"""Counting dyads: a small module that the model (its tallies) and the metrics both use."""

from __future__ import annotations

from typing import Sequence

import numpy as np

MASK_BITS = 63  # institutions that fit one int64 membership pattern


def dyads(n: int) -> int:
    """Unordered pairs among ``n`` states."""
    return n * (n - 1) // 2


def intra_dyads(members: Sequence[np.ndarray]) -> int:
    """Dyads whose two states share at least one of the institutions whose member masks are
    given (grouping states by membership pattern, so the cost is in patterns, not pairs)."""
    if not len(members):
        return 0
    n = len(members[0])
    if len(members) < MASK_BITS:  # membership pattern as one integer: fast
        patterns = np.zeros(n, dtype=np.int64)
        for b, m in enumerate(members):
            patterns |= m.astype(np.int64) << b
        values, counts = np.unique(patterns, return_counts=True)
        shares = [[bool(x & y) for y in values] for x in values]
    else:
        values, counts = np.unique(np.column_stack(members), axis=0, return_counts=True)
        shares = [[bool((x & y).any()) for y in values] for x in values]
    total = 0
    for a in range(len(values)):
        for b in range(a, len(values)):
            if shares[a][b]:
                total += dyads(int(counts[a])) if a == b else int(counts[a]) * int(counts[b])
    return total


__all__ = ["MASK_BITS", "dyads", "intra_dyads"]
