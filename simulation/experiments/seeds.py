"""Run seeds, derived from one root seed with ``numpy.random.SeedSequence``.

By default replication ``k`` gets the same seed in every scenario and at every design point
(common random numbers), so differences between scenarios come from the rules, not the
noise.  A design can instead give each point, or each Morris trajectory, seeds of its own
(``design.seed_per``), so a sensitivity analysis sees a new world there; scenarios at the
same point and replication still share their seed.  Seeds are spawned children of the root,
so they are statistically independent, and adding replications never changes the seeds of
earlier ones.
"""

from __future__ import annotations

import numpy as np

#: Child streams of the root seed: one for run seeds, one for the design sampler, one for the
#: seeds of groups of design points (``design.seed_per``: point, trajectory or sample).
REPLICATION_STREAM = 0
DESIGN_STREAM = 1
GROUP_STREAM = 2
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


def group_seeds(root: int, group: int, replications: int) -> list[int]:
    """The replication seeds of one group of design points (a point, or a Morris trajectory):
    ``SeedSequence(root, spawn_key=(2, group)).spawn(replications)``."""
    return [_as_int(child) for child in _child(root, GROUP_STREAM, group).spawn(replications)]


def seed_groups(seed_per: str, n_points: int, points_per_trajectory: int, *, sobol_block: int | None = None) -> list[int] | None:
    """Which seed group each design point belongs to; ``None`` when replication k has one seed
    everywhere (``seed_per: replication``).

    ``sample`` (Sobol, Saltelli's layout: per base sample the rows A, AB_1..AB_D, then BA_1..BA_D
    with second order, then B; ``sobol_block`` rows in all, ``points_per_trajectory`` = D + 1):
    the world is treated as one more input factor drawn with the A or the B matrix.  A and every
    AB_i share A's world, the BA_i and B share B's, so each pair the estimators difference
    (f(A) - f(AB_i)) differs in one parameter only, and a parameter's total index is not
    inflated by world-to-world noise, while the S1 estimator, which multiplies by f(B), sees a
    new world and integrates over worlds."""
    if seed_per == "replication":
        return None
    if seed_per == "point":
        return list(range(n_points))
    if seed_per == "sample":
        if not sobol_block:
            raise ValueError("seed_per 'sample' needs the Sobol block size")
        return [2 * (p // sobol_block) + (0 if p % sobol_block < points_per_trajectory else 1) for p in range(n_points)]
    return [p // points_per_trajectory for p in range(n_points)]  # trajectory: its D + 1 points share seeds


#: How the manifest describes each scheme.
SCHEMES = {
    "replication": "replication k: SeedSequence(root).spawn(2)[0].spawn(R)[k], same in every scenario and design point",
    "point": "point p, replication k: SeedSequence(root, spawn_key=(2, p)).spawn(R)[k], same in every scenario",
    "sample": "Sobol base sample i: its A and AB rows SeedSequence(root, spawn_key=(2, 2i)).spawn(R)[k], its BA rows and B "
              "row SeedSequence(root, spawn_key=(2, 2i + 1)).spawn(R)[k] (the world as one more factor), same in every scenario",
    "trajectory": "Morris trajectory t (points t(D+1) .. t(D+1)+D), replication k: "
                  "SeedSequence(root, spawn_key=(2, t)).spawn(R)[k], same in every scenario",
}
