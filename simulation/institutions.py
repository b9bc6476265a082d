"""The two institution kinds at run time: members, leader, effective parameters, and acts.

A hegemonic internal-control alliance (NATO-like) has a leader that pulls members' regimes
and foreign policies toward its own, shelters members' elites under an umbrella, deters
outsiders and suppresses quarrels between members.  A sovereign dialogue platform
(SCO-like) has no leader and no pull on regimes; its members talk, and what dialogue
achieves falls with the platform's size and heterogeneity (consensus capacity chi).

Both act on state arrays through the pure functions below; their effects on tension are
returned as ``BlocTerm``s and applied in the tension phase.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.mechanisms.tension import BlocTerm
from simulation.scenario import Dialogue, Hegemonic, Mechanisms

# Which mechanism switch zeroes which institution parameter.
SWITCHES: dict[str, dict[str, str]] = {
    "hegemonic": {
        "interference": "regime_pull",
        "planning": "planning_pull",
        "umbrella": "umbrella",
        "deterrence": "deterrence",
        "suppression": "suppression",
        "dispute_control": "suppression",
        "polarisation": "polarisation",
        "counter_threat": "counter_threat",
        "entrapment": "entrapment",
        "grievance_rate": "grievance",
        "burden": "burden",
    },
    "dialogue": {
        "dialogue_intensity": "dialogue",
        "settlement": "settlement",
        "convergence": "policy_convergence",
        "counter_threat": "counter_threat",
        "burden": "burden",
    },
}

# An institution with fewer members than this has dissolved.
MIN_SIZE = 2


def effective_value(kind: str, param: str, value: float, mechanisms: Mechanisms) -> float:
    """A parameter's value after the mechanism switches: zero when its mechanism is off."""
    switch = SWITCHES[kind].get(param)
    return 0.0 if switch is not None and not getattr(mechanisms, switch) else float(value)


@dataclass
class InstitutionState:
    """One institution during a run."""

    name: str
    kind: str  # "hegemonic" or "dialogue"
    members: np.ndarray  # bool, one entry per state
    params: dict[str, float]
    leader: int | None = None
    consensus_capacity_on: bool = True
    alive: bool = True
    joins: int = 0
    exits: int = 0
    # Per-step results kept for metrics.
    chi: float = 1.0
    # Per state: the log of the autonomy its pulls have left it, summed over the run (see
    # ``Imposition``).  Kept after a state leaves and after dissolution: what was imposed stays.
    log_retained: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Per state: the share of its autonomy this step's pulls took (0 when nothing was imposed).
    imposed_share: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def from_spec(cls, name: str, spec: Hegemonic | Dialogue, members: np.ndarray, leader: int | None, mechanisms: Mechanisms) -> "InstitutionState":
        params = {k: effective_value(spec.kind, k, v, mechanisms) for k, v in spec.params.model_dump().items()}
        return cls(name=name, kind=spec.kind, members=members, params=params, leader=leader,
                   consensus_capacity_on=mechanisms.consensus_capacity, log_retained=np.zeros(len(members)),
                   imposed_share=np.zeros(len(members)))

    @property
    def hegemonic(self) -> bool:
        return self.kind == "hegemonic"

    @property
    def size(self) -> int:
        return int(self.members.sum())

    def set_param(self, param: str, value: float, mechanisms: Mechanisms) -> None:
        self.params[param] = effective_value(self.kind, param, value, mechanisms)

    def control(self) -> float:
        """The sovereignty cost a state expects from membership: 1 - (1 - interference)(1 - planning).

        A prospective member's expectation in the membership utility, not a measurement: what
        the alliance actually imposes is measured by ``impose`` (the autonomy metrics)."""
        if not self.hegemonic:
            return 0.0
        return 1.0 - (1.0 - self.params["interference"]) * (1.0 - self.params["planning"])

    def impose(self, regime: np.ndarray, policy: np.ndarray) -> "Imposition":
        """The leader pulls its followers' regimes and policies; returns the new values and what
        was imposed, and cumulates each follower's retained autonomy."""
        followers = self.members.copy()
        followers[self.leader] = False  # the leader is never pulled
        out = imposition(regime, policy, followers, self.leader, self.params["interference"], self.params["planning"])
        self.log_retained += out.log_retained
        self.imposed_share = -np.expm1(out.log_retained)
        return out

    def update_consensus_capacity(self, regime: np.ndarray) -> float:
        """chi = 1 / (1 + lambda_c (n - 1) / N0 * sd(r of members)); 1 for hegemonic alliances."""
        if self.hegemonic or not self.consensus_capacity_on or not self.alive:
            self.chi = 1.0
        else:
            r = regime[self.members]
            n = len(r)
            het = float(r.std()) if n > 1 else 0.0
            p = self.params
            self.chi = 1.0 / (1.0 + p["consensus_cost"] * (n - 1) / p["consensus_reference"] * het)
        return self.chi

    def tension_term(self, world_capability_share: float) -> BlocTerm:
        """Effect on tension: co-members' fall and outsiders' rise (see mechanisms.tension)."""
        m = self.members.astype(float)
        if not self.alive:
            return BlocTerm(m, 0.0, 0.0)
        if self.hegemonic:
            return BlocTerm(m, self.params["suppression"], self.params["polarisation"] * world_capability_share)
        return BlocTerm(m, self.params["dialogue_intensity"] * self.chi, 0.0)


def pull_toward(values: np.ndarray, members: np.ndarray, target: np.ndarray, strength: float) -> np.ndarray:
    """Members' values move a share ``strength`` of the way to ``target``; returns the change."""
    change = np.zeros_like(values)
    if strength:
        mask = members.reshape(members.shape + (1,) * (values.ndim - 1))
        change = mask * strength * (target - values)
    return change


def imposed_change(d_regime: np.ndarray, d_policy: np.ndarray) -> np.ndarray:
    """Size of what a leader imposed on each state: |dr| + mean_k |df_k|."""
    return np.abs(d_regime) + np.abs(d_policy).mean(axis=1)


@dataclass(frozen=True)
class Imposition:
    """One step of a leader's pulls, measured against the counterfactual without them.

    ``regime`` and ``policy`` are the values with the pulls; ``d_regime`` and ``d_policy``
    the difference from the same step without them (the state's own values, since nothing
    else moves them inside the pull); ``log_retained`` per state the log of the share of its
    autonomy left this step, ``log((1 - |dr|)(1 - mean_d |df_d|))`` (0 for non-followers and
    for a follower already where the leader stands).
    """

    regime: np.ndarray
    policy: np.ndarray
    d_regime: np.ndarray
    d_policy: np.ndarray
    log_retained: np.ndarray

    @property
    def size(self) -> np.ndarray:
        """Imposed change per state (what grievance accrues on)."""
        return imposed_change(self.d_regime, self.d_policy)


def imposition(regime: np.ndarray, policy: np.ndarray, followers: np.ndarray, leader: int,
               interference: float, planning: float) -> Imposition:
    """Pull ``followers`` toward the leader and measure what the pull imposed.

    The counterfactual is the same step without the pull, so the imposed part is the
    difference of the two outcomes.  Regime and policy are two channels on [0, 1]; a step
    leaves the share ``1 - |dr|`` of the regime channel and ``1 - mean_d |df_d|`` of the
    policy channel to the state itself, and the shares of successive steps multiply.
    """
    # Without the pull the state keeps its values in this phase, so the outcome with the pull
    # minus the counterfactual is the pull term itself (taken as computed, not as a difference
    # of rounded sums, so grievance sees exactly the same numbers as before).
    d_r = pull_toward(regime, followers, regime[leader], interference)
    d_f = pull_toward(policy, followers, policy[leader], planning)
    with_pull_r, with_pull_f = regime + d_r, policy + d_f
    kept = (1.0 - np.minimum(np.abs(d_r), 1.0)) * (1.0 - np.minimum(np.abs(d_f).mean(axis=1), 1.0))
    with np.errstate(divide="ignore"):
        log_kept = np.log(kept)  # -inf only for a full pull across the whole range
    return Imposition(with_pull_r, with_pull_f, d_r, d_f, log_kept)
