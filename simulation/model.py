"""AllianceModel: states under hegemonic alliances and dialogue platforms (Mesa model).

``step()`` is the process overview of docs/ODD.md, one line per phase.  State variables
live in arrays on the model (one entry per state, N x N for dyads) so the dyadic work is
vectorised; ``State`` agents are views onto them.  The maths of each phase is in
``simulation.mechanisms``; what is measured is in ``simulation.metrics``.

Randomness: the run's seed feeds Mesa's ``rng`` and a ``numpy.random.SeedSequence`` that is
split into one stream per phase.  Each phase draws a fixed number of values whatever the
institutions do, so two scenarios with the same world and seed see the same shocks: their
differences come from the rules, not the noise (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np
from pydantic import ValidationError

from simulation import metrics
from simulation.agents import State
from simulation.errors import ScenarioError
from simulation.institutions import MIN_SIZE, InstitutionState, pull_toward
from simulation.mechanisms import capability, conflict, internal, membership, tension, threats
from simulation.scenario import (
    CrisisEvent,
    Dynamics,
    Hegemonic,
    JoinEvent,
    LeaveEvent,
    ParamEvent,
    RivalryEvent,
    Scenario,
    ThreatEvent,
)
from simulation.world import build_world, pairs_to_arrays, resolve, select_founders

TENSION_DTYPE = np.float32
STREAMS = ("world", "threats", "crises", "tension", "disputes", "capability", "membership")


@dataclass
class StepTally:
    """What happened during the current step (flows, as opposed to state)."""

    disputes: int = 0
    conflicts: int = 0
    settled: int = 0
    disputes_intra: int = 0
    conflicts_intra: int = 0
    intra_dyads: int = 0  # dyads sharing an institution when disputes were drawn
    crises: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    dispute_pairs: tuple[np.ndarray, np.ndarray] = field(default_factory=lambda: (np.zeros(0, int), np.zeros(0, int)))
    conflict_pairs: tuple[np.ndarray, np.ndarray] = field(default_factory=lambda: (np.zeros(0, int), np.zeros(0, int)))


def effective_dynamics(dyn: Dynamics, mech) -> Dynamics:
    """Dynamics with switched-off world mechanisms zeroed (draws are still made: see module doc)."""
    upd = {}
    if not mech.threat_emergence:
        upd["threats"] = dyn.threats.model_copy(update={"emergence": 0.0})
    if not mech.threat_spread:
        upd["threats"] = upd.get("threats", dyn.threats).model_copy(update={"spread": 0.0})
    if not mech.crises:
        upd["internal"] = dyn.internal.model_copy(update={"crisis_base": 0.0})
    if not mech.escalation:
        upd["conflict"] = dyn.conflict.model_copy(update={"escalation": 0.0})
    if not mech.capability_growth:
        upd["capability"] = dyn.capability.model_copy(update={"growth_mean": 0.0, "growth_sd": 0.0})
    return dyn.model_copy(update=upd)


class AllianceModel(mesa.Model):
    """One world of states under a scenario's institutions.

    Args:
        scenario: a validated ``Scenario`` (see ``simulation.scenario``).
        seed: the run's seed; default ``scenario.seed``.
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None):
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.config = scenario
        self.seed = seed
        self.mechanisms = scenario.mechanisms
        self.dynamics = effective_dynamics(scenario.dynamics, scenario.mechanisms)
        children = np.random.SeedSequence(seed).spawn(len(STREAMS))
        self.streams = {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children)}
        if scenario.world.seed is not None:
            self.streams["world"] = np.random.default_rng(scenario.world.seed)
        # Each institution's utility noise has its own stream keyed by its name, so scenarios
        # that declare different institutions still share the draws of those they have in common.
        self.view_streams = {
            name: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(len(STREAMS), *name.encode())))
            for name in scenario.institutions
        }

        world = build_world(scenario, self.streams["world"])
        self.names = world.names
        self.index = {name: i for i, name in enumerate(self.names)}
        self.n = world.n
        self.capability = world.capability
        self.regime = world.regime
        self.sovereignty = world.sovereignty
        self.governance = world.governance
        self.stability = world.stability
        self.policy = world.policy
        self.location = world.location
        self.threat = np.zeros(self.n)
        self.grievance = np.zeros(self.n)
        self.proximity = world.proximity
        self.proximity_rowsum = self.proximity.sum(axis=1)
        self.dyad_sampler = conflict.DyadSampler(self.proximity)
        self.rivalry = world.rivalry_pairs

        self.institutions = self._found_institutions(world)
        self.events = self._resolve_events()
        self._forced_crisis = np.zeros(self.n, dtype=bool)
        # Single precision: tension is a bounded index in [0, 1] updated by a contracting
        # relaxation, so float32's 7 digits lose nothing that matters and halve the memory
        # traffic of every pass over the N x N array.
        self.tension = np.zeros((self.n, self.n), dtype=TENSION_DTYPE)
        self._start_at_equilibrium_tension()
        self.tally = StepTally(crises=np.zeros(self.n, dtype=bool))

        State.create_agents(self, self.n, index=list(range(self.n)))
        self.recorder = metrics.Recorder()
        self.recorder.record(self)

    # ------------------------------------------------------------------ the process
    def step(self) -> None:
        """One year, in the order of the process overview (docs/ODD.md, section 3)."""
        self.begin_year()
        self.apply_scheduled_events()
        self.emerge_threats()
        self.spread_threats()
        self.internal_dynamics()
        self.institutions_act()
        self.update_tension()
        self.resolve_disputes()
        self.grow_capability()
        self.decide_memberships()
        self.recorder.record(self)

    # ------------------------------------------------------------------ set-up
    def _found_institutions(self, world) -> list[InstitutionState]:
        out = []
        held = np.zeros(self.n, dtype=int)
        hegemon_held = np.zeros(self.n, dtype=int)
        for name, spec in self.config.institutions.items():
            path = f"institutions.{name}"
            idx = select_founders(world, spec.founders, self.index, f"{path}.founders")
            members = np.zeros(self.n, dtype=bool)
            members[idx] = True
            leader = None
            if isinstance(spec, Hegemonic):
                if spec.leader is not None:
                    leader = resolve(spec.leader, self.index, f"{path}.leader")
                    if not members[leader]:
                        raise ScenarioError(f"expected the leader {spec.leader!r} among the founders", path=f"{path}.leader")
                else:
                    leader = max(idx, key=lambda i: (world.capability[i], -i))
                hegemon_held += members
            held += members
            out.append(InstitutionState.from_spec(name, spec, members, leader, self.mechanisms))
        limit = self.dynamics.membership.max_memberships
        over = np.flatnonzero((held > limit) | (hegemon_held > 1))
        if len(over):
            who = ", ".join(self.names[i] for i in over[:5])
            raise ScenarioError(
                f"{who} would found more institutions than allowed (dynamics.membership.max_memberships = {limit}, and at most one hegemonic alliance)",
                path="institutions",
            )
        for inst in out:
            if inst.size < MIN_SIZE:
                raise ScenarioError(f"expected at least {MIN_SIZE} founders, got {inst.size}", path=f"institutions.{inst.name}.founders")
            inst.update_consensus_capacity(self.regime)
        return out

    def _resolve_events(self) -> dict[int, list]:
        by_step: dict[int, list] = {}
        names = {inst.name: inst for inst in self.institutions}
        for n, ev in enumerate(self.config.events):
            path = f"events.{n}"
            if isinstance(ev, (ThreatEvent, CrisisEvent)):
                idx = [resolve(s, self.index, f"{path}.states.{k}") for k, s in enumerate(ev.states)]
            elif isinstance(ev, RivalryEvent):
                idx = [resolve(ev.a, self.index, f"{path}.a"), resolve(ev.b, self.index, f"{path}.b")]
                if idx[0] == idx[1]:
                    raise ScenarioError("a state cannot be its own rival", path=path)
            elif isinstance(ev, (JoinEvent, LeaveEvent)):
                idx = [resolve(ev.state, self.index, f"{path}.state")]
                inst = self._named_institution(names, ev.institution, f"{path}.institution")
                if isinstance(ev, LeaveEvent) and inst.leader == idx[0]:
                    raise ScenarioError(f"{ev.state} leads {ev.institution} and cannot leave it", path=path)
            else:  # ParamEvent
                inst = self._named_institution(names, ev.institution, f"{path}.institution")
                if ev.param not in inst.params:
                    raise ScenarioError(f"{ev.institution} has no parameter {ev.param!r}; expected one of {sorted(inst.params)}", path=f"{path}.param")
                spec = self.config.institutions[ev.institution].params
                try:
                    type(spec).model_validate({**spec.model_dump(), ev.param: ev.value})
                except ValidationError as err:
                    raise ScenarioError(f"value {ev.value} out of range for {ev.param}: {err.errors()[0]['msg']}", path=f"{path}.value") from None
                idx = []
            by_step.setdefault(ev.step, []).append((ev, idx))
        return by_step

    @staticmethod
    def _named_institution(names: dict, name: str, path: str) -> InstitutionState:
        if name not in names:
            raise ScenarioError(f"unknown institution {name!r}; expected one of {sorted(names)}", path=path)
        return names[name]

    def _start_at_equilibrium_tension(self) -> None:
        """Initial tension is the baseline antagonism T* (no institutional effects, no noise)."""
        t = self.dynamics.tension
        u, v = tension.low_rank_factors(
            self.regime, self.policy, np.zeros(self.n), [],
            relaxation=1.0, baseline=t.baseline, regime_weight=t.regime_weight, policy_weight=t.policy_weight,
        )
        tension.relax(self.tension, u, v, self.rivalry, relaxation=1.0, rivalry_weight=t.rivalry_weight)

    # ------------------------------------------------------------------ phases
    def begin_year(self) -> None:
        """Clear this step's tallies (disputes, crises, joins, exits)."""
        self.tally = StepTally(crises=np.zeros(self.n, dtype=bool))
        for inst in self.institutions:
            inst.joins = inst.exits = 0

    def apply_scheduled_events(self) -> None:
        """Phase 1a: the scenario's events for this step, in file order."""
        self._forced_crisis[:] = False
        for ev, idx in self.events.get(self.steps, []):
            if isinstance(ev, ThreatEvent):
                self.threat[idx] = np.maximum(self.threat[idx], ev.level)
            elif isinstance(ev, CrisisEvent):
                self._forced_crisis[idx] = True
            elif isinstance(ev, RivalryEvent):
                self._set_rivalry(min(idx), max(idx), ev.intensity)
            elif isinstance(ev, JoinEvent):
                self._forced_join(self._institution(ev.institution), idx[0])
            elif isinstance(ev, LeaveEvent):
                inst = self._institution(ev.institution)
                if inst.members[idx[0]]:
                    inst.members[idx[0]] = False
                    inst.exits += 1
                    if inst.hegemonic:
                        self.grievance[idx[0]] = 0.0
            elif isinstance(ev, ParamEvent):
                self._institution(ev.institution).set_param(ev.param, ev.value, self.mechanisms)
        self.dissolve_small()

    def _forced_join(self, inst: InstitutionState, i: int) -> None:
        """A scheduled accession: admission rules are waived, but never the membership limits.

        A state at its limit (max_memberships, or already in a hegemonic alliance when joining
        another) first leaves the institutions it does not lead; if it leads one that stands
        in the way, the event has no effect.
        """
        if not inst.alive or inst.members[i]:
            return
        held = [k for k in self.alive() if k.members[i]]
        limit = self.dynamics.membership.max_memberships
        blocking = [k for k in held if inst.hegemonic and k.hegemonic]
        spare = [k for k in held if k not in blocking]
        excess = max(0, len(held) - len(blocking) + 1 - limit)
        blocking += spare[:excess]
        if any(k.leader == i for k in blocking):
            return
        for k in blocking:
            k.members[i] = False
            k.exits += 1
            if k.hegemonic:
                self.grievance[i] = 0.0
        inst.members[i] = True
        inst.joins += 1

    def emerge_threats(self) -> None:
        """Phase 1b: new transboundary threats, more likely where stability is low."""
        p = self.dynamics.threats
        draws = self.streams["threats"].random(self.n)
        self.threat, _ = threats.emerge(self.threat, self.stability, draws, p.emergence, p.size)

    def spread_threats(self) -> None:
        """Phase 2: threats spread along proximity; counter-threat cooperation blocks and removes them."""
        p = self.dynamics.threats
        blocks = [(k.members.astype(float), k.params["counter_threat"]) for k in self.alive() if k.params["counter_threat"]]
        self.threat = threats.spread_and_decay(
            self.threat, self.proximity, self.proximity_rowsum, blocks,
            spread=p.spread, decay=p.decay, cooperation_decay=p.cooperation_decay,
        )

    def internal_dynamics(self) -> None:
        """Phase 3: stability, crises (hazard lowered by the umbrella), grievance decay."""
        p = self.dynamics.internal
        rng = self.streams["crises"]
        draws = rng.random(self.n)
        regime_shocks = rng.standard_normal(self.n)
        policy_shocks = rng.standard_normal(self.policy.shape)
        self.stability = internal.relax_stability(self.stability, self.governance, self.threat, p.recovery, self.dynamics.threats.erosion)
        hazard = internal.crisis_hazard(
            self.governance, self.stability, self.threat, self.umbrella(),
            base=p.crisis_base, threat_factor=p.crisis_threat_factor, stability_factor=p.crisis_stability_factor,
        )
        crisis = (draws < hazard) | self._forced_crisis
        self.stability = np.clip(self.stability - p.crisis_stability_drop * crisis, 0.0, 1.0)
        self.regime = internal.crisis_shift(self.regime, crisis, regime_shocks, p.crisis_regime_shock)
        self.policy = internal.crisis_shift(self.policy, crisis, policy_shocks, p.crisis_policy_shock)
        self.grievance *= 1.0 - self.dynamics.membership.grievance_decay
        self.tally.crises = crisis

    def institutions_act(self) -> None:
        """Phase 4: leaders pull regimes and policies (grievance accrues); platforms hold dialogue."""
        for inst in self.alive():
            if inst.hegemonic:
                imposed = inst.impose(self.regime, self.policy)  # against the same step without the pulls
                self.regime, self.policy = imposed.regime, imposed.policy
                self.grievance += inst.params["grievance_rate"] * self.sovereignty * imposed.size
            else:
                chi = inst.update_consensus_capacity(self.regime)
                centre = self.policy[inst.members].mean(axis=0)
                self.policy = self.policy + pull_toward(self.policy, inst.members, centre, inst.params["convergence"] * chi)

    def update_tension(self) -> None:
        """Phase 5: T relaxes toward T*, with institutional effects and mood noise (one low-rank update)."""
        t = self.dynamics.tension
        mood = t.noise / np.sqrt(2.0) * self.streams["tension"].standard_normal(self.n)
        total = self.capability.sum()
        terms = [k.tension_term(self.capability[k.members].sum() / total) for k in self.alive()]
        u, v = tension.low_rank_factors(
            self.regime, self.policy, mood, terms,
            relaxation=t.relaxation, baseline=t.baseline, regime_weight=t.regime_weight, policy_weight=t.policy_weight,
        )
        tension.relax(self.tension, u, v, self.rivalry, relaxation=t.relaxation, rivalry_weight=t.rivalry_weight)

    def resolve_disputes(self) -> None:
        """Phase 6: onset (deterred by collective defence), settlement, escalation, costs, entrapment."""
        p = self.dynamics.conflict
        rng = self.streams["disputes"]
        i, j, bound = self.dyad_sampler.candidates(rng, p.dispute_base)
        hegemons = [k for k in self.alive() if k.hegemonic]
        platforms = [k for k in self.alive() if not k.hegemonic]
        deter = conflict.deterrence(i, j, self.capability, [(k.members, k.params["deterrence"]) for k in hegemons])
        t_ij = self.tension[i, j]
        # Candidates were drawn with probability d0 * bound; accept with p_ij / (d0 * bound).
        onset = conflict.onset_probability(t_ij, self.proximity[i, j], deter, base=1.0, exponent=p.tension_exponent) / bound
        # Three draws per candidate (onset, escalation, settlement), whatever is accepted, so the
        # stream stays common to scenarios that share the world.
        draws = rng.random((len(i), 3))
        accept = draws[:, 2] < onset
        i, j, t_ij, draws = i[accept], j[accept], t_ij[accept], draws[accept]

        settle = conflict.shared(i, j, [(k.members, k.params["settlement"] * k.chi) for k in platforms])
        settled = draws[:, 1] < settle
        control = conflict.shared(i, j, [(k.members, k.params["dispute_control"]) for k in hegemons])
        escalate = ~settled & (draws[:, 0] < p.escalation * t_ij * (1.0 - control))

        conflict.raise_tension(self.tension, i[~settled], j[~settled], p.dispute_tension)
        ci, cj = i[escalate], j[escalate]
        conflict.raise_tension(self.tension, ci, cj, p.conflict_tension)
        self.capability = conflict.war_losses(self.capability, ci, cj, p.capability_loss)
        hurt = np.zeros(self.n)
        np.add.at(hurt, ci, p.stability_loss)
        np.add.at(hurt, cj, p.stability_loss)
        self.stability = np.clip(self.stability - hurt, 0.0, 1.0)
        conflict.entrap(self.tension, ci, cj, [(k.members, k.params["entrapment"]) for k in hegemons])

        intra = conflict.shared(i, j, [(k.members, 1.0) for k in self.alive()]) > 0
        self.tally.intra_dyads = metrics.intra_dyads(self)
        self.tally.disputes, self.tally.conflicts, self.tally.settled = len(i), int(escalate.sum()), int(settled.sum())
        self.tally.disputes_intra, self.tally.conflicts_intra = int(intra.sum()), int((intra & escalate).sum())
        self.tally.dispute_pairs, self.tally.conflict_pairs = (i, j), (ci, cj)

    def grow_capability(self) -> None:
        """Phase 7: noisy growth, less the burden of commitments."""
        p = self.dynamics.capability
        shocks = self.streams["capability"].standard_normal(self.n)
        burden = sum((k.members * k.params["burden"] for k in self.alive()), np.zeros(self.n))
        self.capability = capability.grow(self.capability, shocks, burden, mean=p.growth_mean, sd=p.growth_sd)

    def decide_memberships(self) -> None:
        """Phase 8: reviewing states weigh every institution, then leave or join; too-small
        institutions dissolve."""
        self._review_memberships()
        self.dissolve_small()

    def _review_memberships(self) -> None:
        w = self.dynamics.membership
        draws = self.streams["membership"].random(self.n)
        views = {k.name: w.utility_noise * self.view_streams[k.name].standard_normal(self.n) for k in self.institutions}
        live = self.alive()
        if not self.mechanisms.membership or not live:
            return
        rows = np.flatnonzero((draws < w.review_rate) | self.tally.crises)
        if not len(rows):
            return
        demand = membership.security_demand(self.tension[rows], self.proximity[rows])
        shape = (len(rows), len(live))
        util = np.zeros(shape)
        member, admissible, forced, locked = (np.zeros(shape, dtype=bool) for _ in range(4))
        for c, k in enumerate(live):
            member[:, c] = k.members[rows]
            if k.hegemonic:
                r_lead = self.regime[k.leader]
                util[:, c] = membership.hegemonic_utility(
                    w, k.params, k.control(), governance=self.governance[rows], threat=self.threat[rows], demand=demand,
                    sovereignty=self.sovereignty[rows], regime=self.regime[rows], leader_regime=r_lead,
                )
                admissible[:, c] = np.abs(self.regime[rows] - r_lead) < k.params["admission_distance"]
                forced[:, c] = self.grievance[rows] > w.grievance_limit
                locked[:, c] = rows == k.leader
            else:
                util[:, c] = membership.dialogue_utility(w, k.params, k.chi, self.dynamics.tension.relaxation, threat=self.threat[rows], demand=demand)
                centre = self.regime[k.members].mean()
                admissible[:, c] = np.abs(self.regime[rows] - centre) < k.params["admission_distance"]
        util += np.column_stack([views[k.name][rows] for k in live])
        hegemonic = np.array([k.hegemonic for k in live])
        leave, join = membership.choose(
            util, member, admissible, forced, locked, hegemonic,
            join_threshold=w.join_threshold, leave_threshold=w.leave_threshold, max_memberships=w.max_memberships,
        )
        for c, k in enumerate(live):
            out = rows[leave[:, c]]
            k.members[out] = False
            k.exits += len(out)
            if k.hegemonic:
                self.grievance[out] = 0.0
            new = rows[join == c]
            k.members[new] = True
            k.joins += len(new)

    # ------------------------------------------------------------------ helpers
    def dissolve_small(self) -> None:
        """An institution left with fewer than MIN_SIZE members dissolves; the rest are released."""
        for k in self.alive():
            if k.size < MIN_SIZE:
                k.alive = False
                k.exits += k.size
                k.members[:] = False

    def alive(self) -> list[InstitutionState]:
        return [k for k in self.institutions if k.alive]

    def umbrella(self) -> np.ndarray:
        """U_i: the strongest umbrella over each state (0 outside hegemonic alliances)."""
        out = np.zeros(self.n)
        for k in self.alive():
            if k.hegemonic:
                out = np.maximum(out, k.params["umbrella"] * k.members)
        return out

    def _institution(self, name: str) -> InstitutionState:
        return next(k for k in self.institutions if k.name == name)

    def _set_rivalry(self, i: int, j: int, intensity: float) -> None:
        ri, rj, rv = self.rivalry
        pairs = {(a, b): v for a, b, v in zip(ri.tolist(), rj.tolist(), rv.tolist())}
        pairs[(i, j)] = intensity
        self.rivalry = pairs_to_arrays(pairs)
