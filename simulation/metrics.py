"""Metrics: functions of the model's state, registered by name (MODEL.md section 4).

Names are the public vocabulary of result files and figures.  World metrics have scope
``world``; institution metrics are recorded once per institution with its name as scope.
Rates count this step's events: ``dispute_rate`` and ``conflict_rate`` per 1000 dyad-years,
``crisis_rate`` per 100 state-years; at step 0 nothing has happened yet and they are 0.
Each formula is in docs/ODD.md ("Observation").  Metric functions receive an
``Observation``: the model plus products shared between metrics, computed once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from simulation.dyads import MASK_BITS, dyads
from simulation.dyads import intra_dyads as _intra_dyads

if TYPE_CHECKING:  # pragma: no cover
    from simulation.institutions import InstitutionState
    from simulation.model import AllianceModel

PER_DYAD_YEARS = 1000.0
PER_STATE_YEARS = 100.0

WORLD: dict[str, Callable[["AllianceModel"], float]] = {}
INSTITUTION: dict[str, Callable[["AllianceModel", "InstitutionState"], float]] = {}


def world_metric(fn):
    """Register ``fn(model)`` as the world metric named after it."""
    WORLD[fn.__name__] = fn
    return fn


def institution_metric(name: str | None = None):
    """Register ``fn(model, institution)`` as an institution metric (default: its own name)."""

    def register(fn):
        INSTITUTION[name or fn.__name__] = fn
        return fn

    return register


# ---------------------------------------------------------------- helpers
def shares(p: np.ndarray) -> np.ndarray:
    total = p.sum()
    return p / total if total > 0 else np.zeros_like(p)


def herfindahl(p: np.ndarray) -> float:
    """HHI = sum of squared capability shares."""
    return float((shares(p) ** 2).sum()) if len(p) else float("nan")


def mean_pairwise_l1(x: np.ndarray) -> float:
    """Mean |x_i - x_j| over pairs i < j, in O(n log n) (sorted-order identity)."""
    n = len(x)
    if n < 2:
        return float("nan")
    s = np.sort(x)
    weights = 2.0 * np.arange(n) - n + 1.0
    return float((weights * s).sum() / dyads(n))


def s_score_mean(policy: np.ndarray) -> float:
    """Mean pairwise S-score, S_ij = 1 - 2 sum_k |f_ik - f_jk| / (d_max K), d_max = 1, equal weights."""
    if len(policy) < 2:
        return float("nan")
    k = policy.shape[1]
    mean_l1 = sum(mean_pairwise_l1(policy[:, d]) for d in range(k))
    return 1.0 - 2.0 * mean_l1 / k


def member_pair_sum(tension: np.ndarray, m: np.ndarray) -> float:
    """sum_{i,j members} T_ij over the members' n_k x n_k block (cost n_k^2, not N^2).

    Summed by numpy in float64 (fixed pairwise order), not by a BLAS product, whose
    kernels round differently on different CPUs: the same state gives the same bits anywhere.
    """
    idx = np.flatnonzero(m)
    if len(idx) < 2:
        return float("nan")
    return float(tension[np.ix_(idx, idx)].sum(dtype=np.float64))


def pair_tension_mean(pair_sum: float, n: int) -> float:
    """Mean T_ij over ordered pairs of distinct members (zero diagonal)."""
    return pair_sum / (n * (n - 1)) if n >= 2 else float("nan")


class Observation:
    """The model as seen by the metrics at one recording.

    Attribute access falls through to the model, except ``n``, the number of states in the
    world (active states; states that enter later or have exited are left out of every world
    metric).  The N x N products several metrics need are computed once here: the sum of T
    over active pairs for the world's mean tension and the sum over member pairs for each
    institution's member tension.
    """

    def __init__(self, model: "AllianceModel"):
        self.model = model
        active = getattr(model, "active", None)
        self.everyone = active is None or bool(active.all())
        self.n = model.n if self.everyone else int(active.sum())
        if self.everyone:
            self.tension_total = float(model.tension.sum(axis=1).sum(dtype=np.float64))  # row sums in T's precision
        else:
            idx = np.flatnonzero(active)
            self.tension_total = float(model.tension[np.ix_(idx, idx)].sum(axis=1).sum(dtype=np.float64))
        self.member_tension_sums = {k.name: member_pair_sum(model.tension, k.members) for k in model.institutions}
        self.autonomy = autonomy_of_states(model)

    def __getattr__(self, name):
        return getattr(self.model, name)


def in_world(model, values: np.ndarray) -> np.ndarray:
    """``values`` of the states in the world: all of them when every state is active (or the
    model knows no activity), else those of the active states."""
    active = getattr(model, "active", None)
    return values if active is None or active.all() else values[active]


def intra_dyads(model: "AllianceModel") -> int:
    """Dyads whose two states share at least one live institution."""
    return _intra_dyads([k.members for k in model.alive()])


def rate(events: int, exposure: int, per: float) -> float:
    return per * events / exposure if exposure else 0.0


def autonomy_of_states(model: "AllianceModel") -> np.ndarray:
    """Retained autonomy per state: prod_k (1 - m_ik control_k), leaders excepted."""
    out = np.ones(model.n)
    for k in model.alive():
        controlled = k.members.copy()
        if k.leader is not None:
            controlled[k.leader] = False  # the leader is never pulled
        out *= 1.0 - controlled * k.control()
    return out


# ---------------------------------------------------------------- world metrics
@world_metric
def dispute_rate(model) -> float:
    return rate(model.tally.disputes, dyads(model.n), PER_DYAD_YEARS)


@world_metric
def conflict_rate(model) -> float:
    return rate(model.tally.conflicts, dyads(model.n), PER_DYAD_YEARS)


@world_metric
def dispute_rate_intra(model) -> float:
    return rate(model.tally.disputes_intra, model.tally.intra_dyads, PER_DYAD_YEARS)


@world_metric
def dispute_rate_inter(model) -> float:
    return rate(model.tally.disputes - model.tally.disputes_intra, dyads(model.n) - model.tally.intra_dyads, PER_DYAD_YEARS)


@world_metric
def conflict_rate_intra(model) -> float:
    return rate(model.tally.conflicts_intra, model.tally.intra_dyads, PER_DYAD_YEARS)


@world_metric
def conflict_rate_inter(model) -> float:
    return rate(model.tally.conflicts - model.tally.conflicts_intra, dyads(model.n) - model.tally.intra_dyads, PER_DYAD_YEARS)


@world_metric
def settlement_rate(model) -> float:
    """Disputes settled by dialogue per 1000 dyad-years."""
    return rate(model.tally.settled, dyads(model.n), PER_DYAD_YEARS)


@world_metric
def crisis_rate(model) -> float:
    return rate(int(model.tally.crises.sum()), model.n, PER_STATE_YEARS)


@world_metric
def mean_stability(model) -> float:
    return float(in_world(model, model.stability).mean())


@world_metric
def mean_tension(model) -> float:
    return model.tension_total / (model.n * (model.n - 1))


@world_metric
def mean_threat(model) -> float:
    return float(in_world(model, model.threat).mean())


@world_metric
def mean_autonomy(model) -> float:
    return float(in_world(model, model.autonomy).mean())


@world_metric
def hhi(model) -> float:
    return herfindahl(in_world(model, model.capability))


@world_metric
def concentration(model) -> float:
    """Ray-Singer CON = sqrt((HHI - 1/N) / (1 - 1/N))."""
    n = model.n
    return float(np.sqrt(max(herfindahl(in_world(model, model.capability)) - 1.0 / n, 0.0) / (1.0 - 1.0 / n)))


def _aligned_share(model, hegemonic: bool) -> float:
    aligned = np.zeros(model.model.n, dtype=bool)
    for k in model.alive():
        if k.hegemonic == hegemonic:
            aligned |= k.members
    return float(in_world(model, aligned).mean())


@world_metric
def aligned_share_hegemonic(model) -> float:
    return _aligned_share(model, True)


@world_metric
def aligned_share_dialogue(model) -> float:
    return _aligned_share(model, False)


# ---------------------------------------------------------------- institution metrics
@institution_metric()
def size(model, inst) -> float:
    return float(inst.size)


@institution_metric()
def survival(model, inst) -> float:
    return 1.0 if inst.alive else 0.0


@institution_metric()
def joins(model, inst) -> float:
    return float(inst.joins)


@institution_metric()
def exits(model, inst) -> float:
    return float(inst.exits)


@institution_metric()
def member_tension(model, inst) -> float:
    return pair_tension_mean(model.member_tension_sums[inst.name], inst.size)


@institution_metric()
def cohesion(model, inst) -> float:
    return s_score_mean(model.policy[inst.members])


@institution_metric()
def regime_heterogeneity(model, inst) -> float:
    r = model.regime[inst.members]
    return float(r.std()) if len(r) else float("nan")


@institution_metric()
def regime_mean(model, inst) -> float:
    r = model.regime[inst.members]
    return float(r.mean()) if len(r) else float("nan")


@institution_metric()
def autonomy(model, inst) -> float:
    if not inst.size:
        return float("nan")
    return float(model.autonomy[inst.members].mean())


@institution_metric()
def leader_share(model, inst) -> float:
    """The leader's share of members' capability (dialogue platforms: the largest member's)."""
    p = model.capability[inst.members]
    if not len(p):
        return float("nan")
    top = model.capability[inst.leader] if inst.hegemonic and inst.members[inst.leader] else p.max()
    return float(top / p.sum())


@institution_metric("hhi")
def members_hhi(model, inst) -> float:
    return herfindahl(model.capability[inst.members])



@institution_metric()
def consensus_capacity(model, inst) -> float:
    return float(inst.chi) if inst.alive else float("nan")


@institution_metric("crisis_rate")
def members_crisis_rate(model, inst) -> float:
    if not inst.alive:
        return float("nan")
    return rate(int(model.tally.crises[inst.members].sum()), inst.size, PER_STATE_YEARS)



def _member_pair_rate(model, inst, pairs) -> float:
    if not inst.alive:
        return float("nan")
    i, j = pairs
    both = inst.members[i] & inst.members[j]
    return rate(int(both.sum()), dyads(inst.size), PER_DYAD_YEARS)


@institution_metric("dispute_rate")
def members_dispute_rate(model, inst) -> float:
    return _member_pair_rate(model, inst, model.tally.dispute_pairs)


@institution_metric("conflict_rate")
def members_conflict_rate(model, inst) -> float:
    return _member_pair_rate(model, inst, model.tally.conflict_pairs)



@institution_metric()
def mean_grievance(model, inst) -> float:
    return float(model.grievance[inst.members].mean()) if inst.size else float("nan")


# ---------------------------------------------------------------- recording
class Recorder:
    """Collects (step, metric, scope, value) rows as plain columns; no per-step DataFrames."""

    def __init__(self):
        self.step: list[int] = []
        self.metric: list[str] = []
        self.scope: list[str] = []
        self.value: list[float] = []

    def _add(self, step: int, metric: str, scope: str, value: float) -> None:
        self.step.append(step)
        self.metric.append(metric)
        self.scope.append(scope)
        self.value.append(value)

    def record(self, model: "AllianceModel") -> None:
        """One row per world metric and per institution metric; an institution not founded
        yet (dormant until its ``found`` event) has NaN for every metric."""
        o = Observation(model)
        dormant = getattr(model, "dormant", ())
        for name, fn in WORLD.items():
            self._add(model.steps, name, "world", fn(o))
        for inst in model.institutions:
            for name, fn in INSTITUTION.items():
                self._add(model.steps, name, inst.name, float("nan") if inst.name in dormant else fn(o, inst))

    def frame(self):
        import pandas as pd

        return pd.DataFrame({"step": self.step, "metric": self.metric, "scope": self.scope, "value": self.value})
