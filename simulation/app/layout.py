"""Fixed map positions for every state slot, computed once per world (never per step).

Three cases, in this order:

- **Geographic**: every state (listed, or entering by an event) has ``lonlat``, its capital's
  longitude and latitude -- the real and historical worlds (``scenarios/data/capitals.csv``).
  The map is equirectangular: x = longitude, y = latitude, in degrees.
- **Generated locations** (km): used as they are.
- Otherwise (a distance file and no coordinates): the classical multidimensional scaling
  (Torgerson) of the distance matrix: the two leading eigenvectors of the doubly centred matrix
  -1/2 J D^2 J, scaled by the square roots of their eigenvalues.  It keeps the distances as
  well as a plane can; the sign of each axis is fixed so that the first listed state lies left
  (x < 0) and up (y > 0).

States entering later have their slot (and position) from the start, so nothing moves.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from simulation.world import read_distance_file

#: Graticule spacing of the geographic map, degrees (longitude, latitude).
GRID_LON, GRID_LAT = 30, 15


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


def lonlat(model) -> np.ndarray | None:
    """N x 2 (longitude, latitude) of every state slot, or None unless every state has one.
    A state's first ``lonlat`` counts (its listing, else its first entry that gives one)."""
    given: dict[str, tuple[float, float]] = {}
    for s in model.config.world.states:
        if s.lonlat is not None:
            given.setdefault(s.name, s.lonlat)
    for ev in model.config.events:
        if getattr(ev, "kind", None) == "enter" and ev.lonlat is not None:
            given.setdefault(ev.state, ev.lonlat)
    if any(name not in given for name in model.names):
        return None
    return np.array([given[name] for name in model.names], dtype=float)


def is_geographic(model) -> bool:
    return lonlat(model) is not None


def positions(model) -> np.ndarray:
    """N x 2 map positions of ``model``'s state slots (an ``AllianceModel``, read only):
    (longitude, latitude) in degrees when geographic, else km or MDS units."""
    geo = lonlat(model)
    if geo is not None:
        return geo
    if np.isfinite(model.location).all():
        return np.asarray(model.location, dtype=float)
    return _from_file(model.config.world.distance_file, tuple(model.names))


def geo_box(lonlat: np.ndarray) -> tuple[float, float, float, float]:
    """(west, east, south, north) of the map: the states' extent widened to the graticule, so
    the frame is the same at every step and for every run of a world."""
    west = max(-180.0, GRID_LON * math.floor(lonlat[:, 0].min() / GRID_LON))
    east = min(180.0, GRID_LON * math.ceil(lonlat[:, 0].max() / GRID_LON))
    south = max(-90.0, GRID_LAT * math.floor(lonlat[:, 1].min() / GRID_LAT))
    north = min(90.0, GRID_LAT * math.ceil(lonlat[:, 1].max() / GRID_LAT))
    return west, max(east, west + GRID_LON), south, max(north, south + GRID_LAT)
