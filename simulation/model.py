"""AllianceModel: states under hegemonic alliances and dialogue platforms (Mesa model).

``step()`` is the process overview of docs/ODD.md, one line per phase.  State variables
live in arrays on the model (one entry per state, N x N for dyads) so the dyadic work is
vectorised; ``State`` agents are views onto them.  The maths of each phase is in
``simulation.mechanisms``; scheduled events are in ``simulation.events``, forcing in
``simulation.forcing``, membership decisions in ``simulation.membership_phase``, and every
membership change goes through ``simulation.roster`` into the membership record
(``simulation.record``); what is measured is in ``simulation.metrics``.

History: a slot exists from step 0 for every state, including those that enter later; a
state takes part only while ``active`` (docs/ODD.md, section 7.11).

Randomness: the run's seed feeds Mesa's ``rng`` and a ``numpy.random.SeedSequence`` that is
split into one stream per phase.  Each phase draws a fixed number of values whatever the
institutions do, so two scenarios with the same world and seed see the same shocks: their
differences come from the rules, not the noise (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

from simulation import events, forcing, membership_phase, metrics, roster
from simulation.agents import State
from simulation.dyads import intra_dyads
from simulation.errors import ScenarioError
from simulation.institutions import MIN_SIZE, InstitutionState, pull_toward
from simulation.mechanisms import capability, capability_trends, commitments, conflict, internal, tension, threats
from simulation.record import MembershipLog
from simulation.scenario import Dynamics, Hegemonic, Scenario
from simulation.world import build_world, resolve, select_founders

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
        # Allies' answers to calls (mechanisms.commitments) have their own stream, drawn every
        # step; it is not one of STREAMS, so adding it changed no other stream's seed.
        self.commit_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(8,)))

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
        self.growth_trend = world.growth_trend
        self.threat = np.zeros(self.n)
        self.grievance = np.zeros(self.n)
        self.proximity = world.proximity
        self.dyad_sampler = conflict.DyadSampler(self.proximity)
        self.rivalry = world.rivalry_pairs
        # States that enter later hold a slot from the start: they draw their random numbers
        # like every state (common random numbers) but take part only while active.
        self.active = world.active
        self.enter_policy = world.enter_policy
        self.reach_changed()
        self.history = scenario.history
        self.start_year = scenario.history.start_year if scenario.history else None
        mode = scenario.history.mode if scenario.history else "free"
        self.forcing = world.forcing if mode in ("forced", "imposed") else None
        self.decides_memberships = scenario.mechanisms.membership and mode != "imposed"
        self.membership_log = MembershipLog(self.start_year)

        self.dormant = events.founded_later(scenario)
        self.institutions = self._found_institutions(world)
        membership_phase.setup(self, world)
        self.events = events.resolve(self)
        self.forced_crisis = np.zeros(self.n, dtype=bool)
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
        self.apply_forcing()
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
        """Institutions existing at step 0 (founders, leader, limits checked); those with a
        ``found`` event are kept dormant (no members, not alive) until it."""
        out = []
        held = np.zeros(self.n, dtype=int)
        hegemon_held = np.zeros(self.n, dtype=int)
        for name, spec in self.config.institutions.items():
            path = f"institutions.{name}"
            members = np.zeros(self.n, dtype=bool)
            if name in self.dormant:
                inst = InstitutionState.from_spec(name, spec, members, None, self.mechanisms)
                inst.alive = False
                out.append(inst)
                continue
            idx = select_founders(world, spec.founders, self.index, f"{path}.founders")
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
            if inst.name in self.dormant:
                continue
            if inst.size < MIN_SIZE:
                raise ScenarioError(f"expected at least {MIN_SIZE} founders, got {inst.size}", path=f"institutions.{inst.name}.founders")
            inst.update_consensus_capacity(self.regime)
            roster.found(self, inst)
        return out

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

    def apply_forcing(self) -> None:
        """Phase 0b (history modes forced and imposed): capability and regime of every active
        state from the data of this calendar year."""
        if self.forcing is not None:
            forcing.apply(self.forcing, self.start_year + self.steps, self.active, self.capability, self.regime)

    def apply_scheduled_events(self) -> None:
        """Phase 1a: the scenario's events for this step, in file order; too-small institutions dissolve."""
        self.forced_crisis[:] = False
        events.apply(self, self.events.get(self.steps, []))
        roster.dissolve_small(self)

    def emerge_threats(self) -> None:
        """Phase 1b: new transboundary threats, more likely where stability is low."""
        p = self.dynamics.threats
        draws = self.streams["threats"].random(self.n)
        self.threat, _ = threats.emerge(self.threat, self.stability, draws, p.emergence, p.size)
        if not self.all_active:
            self.threat[~self.active] = 0.0  # states outside the world have no threats

    def spread_threats(self) -> None:
        """Phase 2: threats spread along proximity; counter-threat cooperation blocks and removes them."""
        p = self.dynamics.threats
        blocks = [(k.members.astype(float), k.params["counter_threat"]) for k in self.alive() if k.params["counter_threat"]]
        self.threat = threats.spread_and_decay(
            self.threat, self.proximity_active, self.proximity_rowsum, blocks,
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
        crisis = (draws < hazard) | self.forced_crisis
        if not self.all_active:
            crisis &= self.active
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
        total = self.capability.sum() if self.all_active else self.capability[self.active].sum()
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
        if not self.all_active:
            accept &= self.active[i] & self.active[j]  # no disputes with states outside the world
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
        self.answer_calls(ci, cj, hegemons)

        intra = conflict.shared(i, j, [(k.members, 1.0) for k in self.alive()]) > 0
        self.tally.intra_dyads = intra_dyads([k.members for k in self.alive()])
        self.tally.disputes, self.tally.conflicts, self.tally.settled = len(i), int(escalate.sum()), int(settled.sum())
        self.tally.disputes_intra, self.tally.conflicts_intra = int(intra.sum()), int((intra & escalate).sum())
        self.tally.dispute_pairs, self.tally.conflict_pairs = (i, j), (ci, cj)

    def answer_calls(self, ci: np.ndarray, cj: np.ndarray, hegemons: list[InstitutionState]) -> None:
        """Phase 6, end: allies of members at war with outsiders are entrapped; with
        commitments on, each ally honours the call with probability reliability (joiners fight
        and are entrapped) and trust in the alliance falls with abandonment and entrapment."""
        draws = self.commit_rng.random(self.n)
        if not self.mechanisms.commitments:
            conflict.entrap(self.tension, ci, cj, [(k.members, k.params["entrapment"]) for k in hegemons])
            return
        w = self.dynamics.membership
        cols = [self.institutions.index(k) for k in hegemons]
        self.capability, trust = commitments.respond(
            ci, cj, [(k.members, k.params) for k in hegemons], draws, self.capability, self.tension,
            [self.trust[:, c] for c in cols], abandonment=w.abandonment_loss, entrapment_loss=w.entrapment_loss, recovery=w.trust_recovery,
        )
        for c, t in zip(cols, trust):
            self.trust[:, c] = t

    def grow_capability(self) -> None:
        """Phase 7: noisy growth at the world mean plus each state's own trend (growth_trends),
        less the burden of commitments."""
        p = self.dynamics.capability
        shocks = self.streams["capability"].standard_normal(self.n)
        burden = sum((k.members * k.params["burden"] for k in self.alive()), np.zeros(self.n))
        trends = self.growth_trend if self.mechanisms.growth_trends and self.mechanisms.capability_growth else None
        mean = capability_trends.growth_means(p.growth_mean, trends)
        self.capability = capability.grow(self.capability, shocks, burden, mean=mean, sd=p.growth_sd)

    def decide_memberships(self) -> None:
        """Phase 8: leaders may be succeeded; reviewing states weigh every institution, then
        leave, join or apply (not in history mode imposed, where memberships follow the
        record); too-small institutions dissolve."""
        membership_phase.review(self, decide=self.decides_memberships)
        roster.dissolve_small(self)

    # ------------------------------------------------------------------ helpers
    def reach_changed(self) -> None:
        """After states enter or exit: proximity as seen by threats and security demand, with
        the rows and columns of states outside the world zeroed."""
        self.all_active = bool(self.active.all())
        if self.all_active:
            self.proximity_active = self.proximity
        else:
            mask = self.active.astype(self.proximity.dtype)
            self.proximity_active = self.proximity * mask[:, None] * mask[None, :]
        self.proximity_rowsum = self.proximity_active.sum(axis=1)

    def alive(self) -> list[InstitutionState]:
        return [k for k in self.institutions if k.alive]

    def umbrella(self) -> np.ndarray:
        """U_i: the strongest umbrella over each state (0 outside hegemonic alliances)."""
        out = np.zeros(self.n)
        for k in self.alive():
            if k.hegemonic:
                out = np.maximum(out, k.params["umbrella"] * k.members)
        return out

    def institution(self, name: str) -> InstitutionState:
        return next(k for k in self.institutions if k.name == name)
