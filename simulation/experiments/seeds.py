"""Run seeds, derived from one root seed with ``numpy.random.SeedSequence``.

Replication ``k`` gets the same seed in every scenario and at every design point (common
random numbers), so differences between scenarios come from the rules, not the noise.
Seeds are spawned children of the root, so they are statistically independent across
replications, and adding replications never changes the seeds of earlier ones.
"""

from __future__ import annotations

import numpy as np

#: Child streams of the root seed: one for run seeds, one for the design sampler.
REPLICATION_STREAM = 0
DESIGN_STREAM = 1
#: Run seeds are non-negative 63-bit integers (they fit int64 columns and any JSON reader).
SEED_MASK = (1 << 63) - 1


def _child(root: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(root, spawn_key=key)


def _as_int(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, dtype=np.uint64)[0]) & SEED_MASK


def replication_seeds(root: int, replications: int) -> list[int]:
    """One seed per replication: ``SeedSequence(root).spawn(2)[0].spawn(replications)``."""
    parent = _child(root, REPLICATION_STREAM)
    return [_as_int(child) for child in parent.spawn(replications)]


def design_seed(root: int) -> int:
    """The seed of the design sampler (LHS, Saltelli, Morris) and of bootstrap CIs."""
    return _as_int(_child(root, DESIGN_STREAM)) & 0xFFFFFFFF
