"""Fixed map positions for every state slot, computed once per world (never per step).

Generated worlds have locations (km): they are used as they are.  Real and historical worlds
have only capital-to-capital distances (``world.distance_file``), and the repository holds no
table of capitals' longitude and latitude, so their map is the classical multidimensional
scaling (Torgerson) of the distance matrix: the two leading eigenvectors of the doubly
centred matrix -1/2 J D^2 J, scaled by the square roots of their eigenvalues.  It keeps
great-circle distances as well as a plane can, needs no new data, and is deterministic; the
sign of each axis is fixed so that the first listed state lies left (x < 0) and up (y > 0),
which puts the Americas on the left and the north up when the list starts with the USA.
States entering later have their slot (and position) from the start, so nothing moves.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from simulation.world import read_distance_file


def classical_mds(dist: np.ndarray) -> np.ndarray:
    """N x 2 coordinates whose Euclidean distances best match ``dist`` (classical MDS)."""
    n = len(dist)
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    d2 = np.asarray(dist, dtype=float) ** 2
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ d2 @ j
    values, vectors = np.linalg.eigh(b)
    top = np.argsort(values)[::-1][:2]
    xy = vectors[:, top] * np.sqrt(np.clip(values[top], 0.0, None))
    if xy[0, 0] > 0:
        xy[:, 0] = -xy[:, 0]
    if xy[0, 1] < 0:
        xy[:, 1] = -xy[:, 1]
    return xy


@lru_cache(maxsize=8)
def _from_file(path: str, names: tuple[str, ...]) -> np.ndarray:
    return classical_mds(read_distance_file(path, list(names)))


def positions(model) -> np.ndarray:
    """N x 2 map positions of ``model``'s state slots (an ``AllianceModel``, read only)."""
    if np.isfinite(model.location).all():
        return np.asarray(model.location, dtype=float)
    return _from_file(model.config.world.distance_file, tuple(model.names))
