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

from dataclasses import dataclass

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

    @classmethod
    def from_spec(cls, name: str, spec: Hegemonic | Dialogue, members: np.ndarray, leader: int | None, mechanisms: Mechanisms) -> "InstitutionState":
        params = {k: effective_value(spec.kind, k, v, mechanisms) for k, v in spec.params.model_dump().items()}
        return cls(name=name, kind=spec.kind, members=members, params=params, leader=leader, consensus_capacity_on=mechanisms.consensus_capacity)

    @property
    def hegemonic(self) -> bool:
        return self.kind == "hegemonic"

    @property
    def size(self) -> int:
        return int(self.members.sum())

    def set_param(self, param: str, value: float, mechanisms: Mechanisms) -> None:
        self.params[param] = effective_value(self.kind, param, value, mechanisms)

    def control(self) -> float:
        """Share of a member's sovereignty the institution exercises: 1 - (1 - interference)(1 - planning)."""
        if not self.hegemonic:
            return 0.0
        return 1.0 - (1.0 - self.params["interference"]) * (1.0 - self.params["planning"])

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
