"""One particle: set its parameters in each hindcast, run the replications, score against the record.

``ParticleModel`` is what pyabc calls (its "model"): a picklable callable from a parameter
dict to summary statistics, executed on the workers.  The summary statistics are the score
terms and their weighted sum, ``distance``, so pyabc's database stays small and the distance
pyabc applies (``stored_distance``) only reads it back.

    distance = sum_k w_k * mean_h |s_k(simulated_h, observed) - target_k|     (target given)
             = sum_k w_k * mean_h  s_k(simulated_h, observed)                 (no target)

over the distance terms k and the hindcasts h.

A particle's model seeds come from ``SeedSequence([seed, *digest(parameters)])``: every
particle gets its own independent runs, and the same particle always gets the same runs,
whatever the worker, the executor or the order of evaluation.  Replication k of a particle
uses the same seed in every hindcast.
"""

from __future__ import annotations

import hashlib
import importlib
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from simulation.calibration.schema import Term
from simulation.experiments.seeds import SEED_MASK
from simulation.scenario import Scenario
from simulation.scenario_io import with_overrides

DISTANCE = "distance"
SCORE_PREFIX = "score."


@lru_cache(maxsize=None)
def resolve(import_path: str) -> Callable[..., Any]:
    """The function at ``package.module:name`` (cached: workers import each once)."""
    module, _, name = import_path.partition(":")
    return getattr(importlib.import_module(module), name)


def particle_seeds(seed: int, params: Mapping[str, float], replications: int) -> list[int]:
    """Model seeds of one particle, derived from the root seed and the parameter values."""
    digest = hashlib.blake2b(digest_size=16)
    for key in sorted(params):
        digest.update(key.encode())
        digest.update(np.float64(params[key]).tobytes())
    words = np.frombuffer(digest.digest(), dtype=np.uint32).tolist()
    children = np.random.SeedSequence([seed, *words]).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint64)[0]) & SEED_MASK for c in children]


@dataclass(frozen=True)
class ParticleModel:
    """Everything a worker needs to evaluate a particle (pickled once per generation)."""

    hindcasts: tuple[tuple[str, Scenario], ...]
    simulator: str
    terms: tuple[Term, ...]
    observed: pd.DataFrame
    replications: int
    seed: int

    def scenario(self, label: str, params: Mapping[str, float]) -> Scenario:
        base = dict(self.hindcasts)[label]
        return with_overrides(base, {path: float(value) for path, value in params.items()}, source=f"<particle of {label}>")

    def simulate(self, params: Mapping[str, float], replications: int | None = None) -> dict[str, pd.DataFrame]:
        """Every replication of every hindcast at ``params``: label -> table with ``replication, seed``."""
        params = {str(k): float(v) for k, v in params.items()}
        seeds = particle_seeds(self.seed, params, replications or self.replications)
        run = resolve(self.simulator)
        out = {}
        for label, _ in self.hindcasts:
            scenario = self.scenario(label, params)
            frames = [run(scenario, seed=s).assign(replication=k, seed=s) for k, s in enumerate(seeds)]
            out[label] = pd.concat(frames, ignore_index=True)
        return out

    def scores(self, simulated: Mapping[str, pd.DataFrame]) -> dict[str, float]:
        """Each term's raw score, averaged over hindcasts, and the weighted ``distance``."""
        stats: dict[str, float] = {}
        distance = 0.0
        for term in self.terms:
            fn = resolve(term.score)
            raw = [float(fn(frame, self.observed, **term.options)) for frame in simulated.values()]
            losses = [abs(r - term.target) if term.target is not None else r for r in raw]
            stats[SCORE_PREFIX + term.name] = float(np.mean(raw))
            distance += term.weight * float(np.mean(losses))
        stats[DISTANCE] = distance if math.isfinite(distance) else math.inf
        return stats

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        return self.scores(self.simulate(params))


def stored_distance(x: Mapping[str, Any], x_0: Mapping[str, Any]) -> float:
    """pyabc's distance: the one the particle's workers already computed."""
    return float(x[DISTANCE])
