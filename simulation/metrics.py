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
    metric).  The products several metrics need are computed once here: the sum of T over
    active pairs for the world's mean tension, the sum over member pairs for each
    institution's member tension, states' measured autonomy, the world's mean S-score (the
    chance level of cohesion) and the step's events by kind of dyad.
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
        self.world_cohesion = s_score_mean(in_world(model, model.policy))
        self.member_cohesion = {k.name: s_score_mean(model.policy[k.members]) for k in model.institutions}
        self.exposure = exposure(model)

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
    """Measured autonomy per state: A_i = exp(sum_k log_retained_ik), the product over every
    step and every institution (dissolved ones too) of the share a leader's pull left it.

    1 for a state nothing was ever imposed on (leaders, platform members, outsiders, and
    members already where their leader stands); see ``institutions.imposition``."""
    total = np.zeros(model.n)
    for k in model.institutions:
        total += k.log_retained
    return np.exp(total)


def chance_corrected(s_members: float, s_world: float) -> float:
    """(S_k - E[S]) / (1 - E[S]): cohesion above what a random set of states would have.

    E[S] is the world's mean pairwise S-score: every pair of states is equally likely to be
    a pair of a random set of any size n >= 2, so the expected mean pairwise S of such a set
    is exactly the mean over all pairs (no sampling).  0 = chance, 1 = identical policies,
    negative = less alike than chance (a kappa-type correction, as Haege 2011 for S)."""
    if not (np.isfinite(s_members) and np.isfinite(s_world)) or s_world >= 1.0:
        return float("nan")
    return (s_members - s_world) / (1.0 - s_world)


#: Kinds of dyads, a partition of all dyads by the two sides' memberships at recording:
#: sharing an institution; both members but of different institutions only; a member and
#: a state in no institution; two states in no institution.
DYAD_KINDS = ("within", "across", "member_outsider", "outsiders")


class Exposure:
    """Dyads of each kind (the exposure) and this step's disputes and conflicts of each kind.

    Kinds use the memberships at recording (like the institution metrics), for exposure and
    events alike, so the kinds partition the world: sum_c Y_c rate_c = Y rate."""

    def __init__(self, dyads: dict[str, int], disputes: dict[str, int], conflicts: dict[str, int]):
        self.dyads, self.disputes, self.conflicts = dyads, disputes, conflicts


def membership_matrix(model: "AllianceModel") -> np.ndarray:
    """N x (alive institutions) bool: m_ik."""
    live = model.alive()
    if not live:
        return np.zeros((model.n, 0), dtype=bool)
    return np.column_stack([k.members for k in live])


def _patterns(m: np.ndarray) -> np.ndarray | None:
    """Each state's memberships as one int64 bit pattern (None when they do not fit one)."""
    if m.shape[1] >= MASK_BITS:
        return None
    return m.astype(np.int64) @ (np.int64(1) << np.arange(m.shape[1], dtype=np.int64))


def dyad_kind_counts(m: np.ndarray) -> dict[str, int]:
    """Dyads of each kind, grouping states by membership pattern (O(N log N), not N x N)."""
    n = m.shape[0]
    aligned = int(m.any(axis=1).sum())
    pat = _patterns(m)
    if pat is not None:
        values, counts = np.unique(pat, return_counts=True)
        share = lambda a, b: bool(values[a] & values[b])  # noqa: E731
    else:
        values, counts = np.unique(m, axis=0, return_counts=True)
        share = lambda a, b: bool((values[a] & values[b]).any())  # noqa: E731
    within = 0
    for a in range(len(values)):
        if not share(a, a):
            continue
        within += dyads(int(counts[a]))
        for b in range(a + 1, len(values)):
            if share(a, b):
                within += int(counts[a]) * int(counts[b])
    outsiders = n - aligned
    return {"within": within, "across": dyads(aligned) - within, "member_outsider": aligned * outsiders,
            "outsiders": dyads(outsiders)}


def dyad_kinds(m: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Index into DYAD_KINDS of each pair (i, j): 3 minus the aligned sides minus a shared
    institution (outsiders 3, member-outsider 2, across 1, within 0)."""
    pat = _patterns(m)
    if pat is not None:
        aligned, shared = pat != 0, (pat[i] & pat[j]) != 0
    else:
        aligned, shared = m.any(axis=1), (m[i] & m[j]).any(axis=1)
    return 3 - aligned[i].astype(np.int64) - aligned[j] - shared


def exposure(model: "AllianceModel") -> Exposure:
    m = membership_matrix(model)
    counts = []
    for i, j in (model.tally.dispute_pairs, model.tally.conflict_pairs):
        kinds = np.bincount(dyad_kinds(m, np.asarray(i, dtype=np.intp), np.asarray(j, dtype=np.intp)), minlength=len(DYAD_KINDS))
        counts.append(dict(zip(DYAD_KINDS, kinds.tolist())))
    return Exposure(dyad_kind_counts(in_world(model, m)), *counts)  # exposure among states in the world


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
def dispute_rate_unsettled(model) -> float:
    """Disputes not settled per 1000 dyad-years: dispute_rate - settlement_rate, so settlement shows."""
    return rate(model.tally.disputes - model.tally.settled, dyads(model.n), PER_DYAD_YEARS)


def _register_exposure_metrics() -> None:
    """Per kind of dyad: disputes and conflicts per 1000 dyad-years of that kind, and the
    kind's share of all dyads (the exposure that weights them back to the world rate)."""

    def per_kind(events: str, kind: str):
        def fn(model) -> float:
            e = model.exposure
            return rate(getattr(e, events)[kind], e.dyads[kind], PER_DYAD_YEARS)
        return fn

    def share(kind: str):
        def fn(model) -> float:
            return rate(model.exposure.dyads[kind], dyads(model.n), 1.0)
        return fn

    for kind in DYAD_KINDS:
        WORLD[f"dispute_rate_{kind}"] = per_kind("disputes", kind)
        WORLD[f"conflict_rate_{kind}"] = per_kind("conflicts", kind)
    for kind in DYAD_KINDS:
        WORLD[f"dyad_share_{kind}"] = share(kind)


_register_exposure_metrics()


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
def world_cohesion(model) -> float:
    """Mean S-score over all pairs of states: the expected cohesion of a random set of states."""
    return model.world_cohesion


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
    return model.member_cohesion[inst.name]


@institution_metric()
def cohesion_vs_chance(model, inst) -> float:
    """Cohesion above the chance level of the same world at the same step (``chance_corrected``)."""
    return chance_corrected(model.member_cohesion[inst.name], model.world_cohesion)


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
def imposition(model, inst) -> float:
    """Mean over members of the share of autonomy the leader's pulls took this step (the flow
    that ``autonomy`` cumulates); 0 for platforms."""
    if not inst.size:
        return float("nan")
    return float(inst.imposed_share[inst.members].mean()) if len(inst.imposed_share) else 0.0


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
