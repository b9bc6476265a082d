"""Scheduled events: checked once when the model is built, applied at the start of their step.

``resolve`` turns the scenario's ``events:`` into per-step lists, resolving names and checking
everything that can be known before the run (who is in the world at each step, which
institutions exist then); each problem is a ``ScenarioError`` at ``events.N.key``.  Each
event kind has one handler (``HANDLERS``); within a step, events apply in file order.
Formulas and semantics: docs/ODD.md, 'Scheduled events' and 'History'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
from pydantic import ValidationError

from simulation import roster
from simulation.errors import ScenarioError
from simulation.scenario import (
    CrisisEvent,
    DissolveEvent,
    EnterEvent,
    ExitEvent,
    FoundEvent,
    Hegemonic,
    JoinEvent,
    LeaveEvent,
    ParamEvent,
    RivalryEvent,
    Scenario,
    ThreatEvent,
)
from simulation.world import pairs_to_arrays, resolve as resolve_state, select_founders

if TYPE_CHECKING:  # pragma: no cover
    from simulation.institutions import InstitutionState
    from simulation.model import AllianceModel


@dataclass(frozen=True)
class Scheduled:
    """One resolved event: the event, its number in ``events:`` and the state indices it names."""

    event: object
    number: int
    idx: tuple[int, ...] = ()


def founded_later(scenario: Scenario) -> set[str]:
    """Institutions with a ``found`` event: dormant from step 0 until founded (an unknown
    name is an error here, before the institutions existing at step 0 are built)."""
    out = set()
    for n, ev in enumerate(scenario.events):
        if isinstance(ev, FoundEvent):
            _institution(scenario.institutions, ev.institution, f"events.{n}.institution")
            out.add(ev.institution)
    return out


def record_applies(scenario: Scenario) -> bool:
    """Join/leave events marked ``record: true`` apply only in history mode ``imposed``."""
    return scenario.history is not None and scenario.history.mode == "imposed"


# ---------------------------------------------------------------------- checking
class _Timeline:
    """Who is in the world and which institutions are live, replayed event by event."""

    def __init__(self, model: "AllianceModel"):
        self.active = model.active.copy()
        self.live = {k.name: (k.name not in model.dormant) for k in model.institutions}
        self.ever_founded = {k.name: (k.name not in model.dormant) for k in model.institutions}
        self.leader = {k.name: k.leader for k in model.institutions}


def resolve(model: "AllianceModel") -> dict[int, list[Scheduled]]:
    """Events by step, names resolved and checked (see module doc)."""
    scenario = model.config
    names = {k.name: k for k in model.institutions}
    timeline = _Timeline(model)
    generated = set(model.names[len(scenario.world.states): len(scenario.world.states) + scenario.world.generate.count])
    record = record_applies(scenario)
    by_step: dict[int, list[Scheduled]] = {}
    order = sorted(range(len(scenario.events)), key=lambda n: scenario.events[n].step)
    for n in order:
        ev = scenario.events[n]
        path = f"events.{n}"
        check = CHECKS[type(ev)]
        idx = check(model, ev, path, names, timeline, generated)
        if isinstance(ev, (JoinEvent, LeaveEvent)) and ev.record and not record:
            continue  # the record is imposed only in mode imposed
        by_step.setdefault(ev.step, []).append(Scheduled(ev, n, tuple(idx)))
    for items in by_step.values():
        items.sort(key=lambda s: s.number)
    return by_step


def _institution(names: dict, name: str, path: str) -> "InstitutionState":
    if name not in names:
        raise ScenarioError(f"unknown institution {name!r}; expected one of {sorted(names)}", path=path)
    return names[name]


def _present(model, timeline: _Timeline, i: int, ev, path: str) -> None:
    if not timeline.active[i]:
        raise ScenarioError(f"{model.names[i]} is not in the world at step {ev.step} (it enters later or has exited)", path=path)


def _check_states(model, ev, path, names, timeline, generated):
    return [resolve_state(s, model.index, f"{path}.states.{k}") for k, s in enumerate(ev.states)]


def _check_rivalry(model, ev, path, names, timeline, generated):
    idx = [resolve_state(ev.a, model.index, f"{path}.a"), resolve_state(ev.b, model.index, f"{path}.b")]
    if idx[0] == idx[1]:
        raise ScenarioError("a state cannot be its own rival", path=path)
    return idx


def _check_join_leave(model, ev, path, names, timeline, generated):
    i = resolve_state(ev.state, model.index, f"{path}.state")
    _institution(names, ev.institution, f"{path}.institution")
    if isinstance(ev, LeaveEvent) and timeline.leader.get(ev.institution) == i:
        raise ScenarioError(f"{ev.state} leads {ev.institution} and cannot leave it", path=path)
    _present(model, timeline, i, ev, f"{path}.state")
    return [i]


def _check_param(model, ev, path, names, timeline, generated):
    inst = _institution(names, ev.institution, f"{path}.institution")
    if ev.param not in inst.params:
        raise ScenarioError(f"{ev.institution} has no parameter {ev.param!r}; expected one of {sorted(inst.params)}", path=f"{path}.param")
    spec = model.config.institutions[ev.institution].params
    try:
        type(spec).model_validate({**spec.model_dump(), ev.param: ev.value})
    except ValidationError as err:
        raise ScenarioError(f"value {ev.value} out of range for {ev.param}: {err.errors()[0]['msg']}", path=f"{path}.value") from None
    return []


def _check_enter(model, ev, path, names, timeline, generated):
    i = model.index[ev.state]  # every entering state has a slot (world.build_world)
    if timeline.active[i]:
        if ev.state in generated:
            raise ScenarioError(
                f"{ev.state} is the name of a generated state, in the world from step 0; an entering state needs a name of its own (or an exit event before)",
                path=f"{path}.state",
            )
        raise ScenarioError(f"{ev.state} is already in the world at step {ev.step}; a state can enter only if it is new or has exited before", path=f"{path}.state")
    here = model.location[i]
    if ev.location is not None and not np.isnan(here).any() and tuple(here.tolist()) != tuple(float(x) for x in ev.location):
        raise ScenarioError(
            f"{ev.state}'s capital is already at {here.tolist()}; a state keeps one location for the whole run (leave location out)",
            path=f"{path}.location",
        )
    timeline.active[i] = True
    return [i]


def _check_exit(model, ev, path, names, timeline, generated):
    i = resolve_state(ev.state, model.index, f"{path}.state")
    _present(model, timeline, i, ev, f"{path}.state")
    for name, live in timeline.live.items():
        if live and timeline.leader.get(name) == i:
            raise ScenarioError(
                f"{ev.state} leads {name}, which still exists at step {ev.step}; a leader can exit only after its institution is dissolved (a dissolve event before)",
                path=f"{path}.state",
            )
    idx = [i]
    for k, s in enumerate(ev.successors):
        j = resolve_state(s, model.index, f"{path}.successors.{k}")
        if j == i:
            raise ScenarioError(f"{s} cannot succeed itself", path=f"{path}.successors.{k}")
        if not timeline.active[j]:
            raise ScenarioError(f"the successor {s} is not in the world at step {ev.step}; expected a state present then (an enter event before in the same step counts)", path=f"{path}.successors.{k}")
        idx.append(j)
    timeline.active[i] = False
    return idx


def _check_found(model, ev, path, names, timeline, generated):
    _institution(names, ev.institution, f"{path}.institution")
    if timeline.ever_founded[ev.institution]:
        raise ScenarioError(f"{ev.institution} is already founded before step {ev.step}; an institution is founded once", path=f"{path}.institution")
    spec = model.config.institutions[ev.institution]
    ipath = f"institutions.{ev.institution}"
    idx: list[int] = []
    if isinstance(spec.founders, list):
        for k, s in enumerate(spec.founders):
            j = resolve_state(s, model.index, f"{ipath}.founders.{k}")
            if not timeline.active[j]:
                raise ScenarioError(f"the founder {s} of {ev.institution} is not in the world at step {ev.step}", path=path)
            idx.append(j)
    if isinstance(spec, Hegemonic):
        if spec.leader is None:
            raise ScenarioError(f"{ev.institution} is founded by an event; a hegemonic alliance founded later needs its leader named (institutions.{ev.institution}.leader)", path=path)
        lead = resolve_state(spec.leader, model.index, f"{ipath}.leader")
        if isinstance(spec.founders, list) and lead not in idx:
            raise ScenarioError(f"expected the leader {spec.leader!r} among the founders", path=f"{ipath}.leader")
        if not timeline.active[lead]:
            raise ScenarioError(f"the leader {spec.leader} of {ev.institution} is not in the world at step {ev.step}", path=path)
        timeline.leader[ev.institution] = lead
        names[ev.institution].leader = lead
    timeline.live[ev.institution] = timeline.ever_founded[ev.institution] = True
    return idx


def _check_dissolve(model, ev, path, names, timeline, generated):
    _institution(names, ev.institution, f"{path}.institution")
    if not timeline.ever_founded[ev.institution]:
        raise ScenarioError(f"{ev.institution} is not founded yet at step {ev.step} (its found event comes later)", path=f"{path}.institution")
    if not timeline.live[ev.institution]:
        raise ScenarioError(f"{ev.institution} is already dissolved before step {ev.step}", path=f"{path}.institution")
    timeline.live[ev.institution] = False
    return []


CHECKS: dict[type, Callable] = {
    ThreatEvent: _check_states,
    CrisisEvent: _check_states,
    RivalryEvent: _check_rivalry,
    JoinEvent: _check_join_leave,
    LeaveEvent: _check_join_leave,
    ParamEvent: _check_param,
    EnterEvent: _check_enter,
    ExitEvent: _check_exit,
    FoundEvent: _check_found,
    DissolveEvent: _check_dissolve,
}


# ---------------------------------------------------------------------- applying
def apply(model: "AllianceModel", scheduled: list[Scheduled]) -> None:
    """Apply one step's events in file order."""
    for s in scheduled:
        HANDLERS[type(s.event)](model, s)


def _threat(model, s: Scheduled) -> None:
    idx = list(s.idx)
    model.threat[idx] = np.maximum(model.threat[idx], s.event.level)


def _crisis(model, s: Scheduled) -> None:
    model.forced_crisis[list(s.idx)] = True


def _rivalry(model, s: Scheduled) -> None:
    i, j = min(s.idx), max(s.idx)
    ri, rj, rv = model.rivalry
    pairs = {(a, b): v for a, b, v in zip(ri.tolist(), rj.tolist(), rv.tolist())}
    pairs[(i, j)] = s.event.intensity
    model.rivalry = pairs_to_arrays(pairs)


def _join(model, s: Scheduled) -> None:
    if model.active[s.idx[0]]:
        roster.forced_join(model, model.institution(s.event.institution), s.idx[0])


def _leave(model, s: Scheduled) -> None:
    inst = model.institution(s.event.institution)
    if inst.alive and inst.members[s.idx[0]]:
        roster.leave(model, inst, [s.idx[0]])


def _param(model, s: Scheduled) -> None:
    model.institution(s.event.institution).set_param(s.event.param, s.event.value, model.mechanisms)


def _enter(model, s: Scheduled) -> None:
    """The state takes exactly its event's data; its tension with every state starts at T*."""
    ev, i = s.event, s.idx[0]
    model.capability[i] = ev.capability
    model.regime[i] = ev.regime
    model.sovereignty[i] = ev.sovereignty
    model.governance[i] = ev.governance
    model.stability[i] = ev.governance if ev.stability is None else ev.stability
    model.policy[i] = model.enter_policy[s.number]
    if ev.growth_trend is not None:
        model.growth_trend[i] = ev.growth_trend
    model.threat[i] = 0.0
    model.grievance[i] = 0.0
    model.forced_crisis[i] = False
    model.active[i] = True
    model.reach_changed()
    row = baseline_tension_row(model, i)
    model.tension[i, :] = row
    model.tension[:, i] = row
    model.membership_log.add(model.steps, "enter", state=ev.state)


def baseline_tension_row(model, i: int) -> np.ndarray:
    """T*_ij for every j: baseline + w_r (r_i - r_j)^2 + (w_f / K) |f_i - f_j|^2 + w_R R_ij, in [0, 1], zero at j = i."""
    t = model.dynamics.tension
    row = t.baseline + t.regime_weight * (model.regime[i] - model.regime) ** 2
    row = row + t.policy_weight * ((model.policy[i] - model.policy) ** 2).mean(axis=1)
    ri, rj, rv = model.rivalry
    mine = (ri == i) | (rj == i)
    other = np.where(ri[mine] == i, rj[mine], ri[mine])
    row[other] += t.rivalry_weight * rv[mine]
    row = np.clip(row, 0.0, 1.0).astype(model.tension.dtype)
    row[i] = 0.0
    return row


def _exit(model, s: Scheduled) -> None:
    """Memberships pass to the successors in order where the limits allow, else lapse."""
    i, successors = s.idx[0], s.idx[1:]
    model.membership_log.add(model.steps, "exit", state=s.event.state)
    for inst in model.alive():
        if not inst.members[i]:
            continue
        roster.leave(model, inst, [i])
        for j in successors:
            if not inst.members[j] and roster.room_for(model, inst, j):
                roster.join(model, inst, [j])
    model.active[i] = False
    model.threat[i] = 0.0
    model.forced_crisis[i] = False
    model.reach_changed()


def _found(model, s: Scheduled) -> None:
    """Founders join under the rules of a scheduled accession; a leader that cannot join ends it."""
    inst = model.institution(s.event.institution)
    spec = model.config.institutions[inst.name]
    founders = select_founders(model, spec.founders, model.index, f"institutions.{inst.name}.founders", active=model.active)
    if inst.hegemonic and inst.leader not in founders:
        founders = [inst.leader, *founders]  # a selector may rank the named leader out: it founds all the same
    model.dormant.discard(inst.name)
    inst.alive = True
    roster.found(model, inst)
    for i in founders:
        roster.forced_join(model, inst, i)
    if inst.hegemonic and not inst.members[inst.leader]:
        roster.dissolve(model, inst)
    inst.update_consensus_capacity(model.regime)


def _dissolve(model, s: Scheduled) -> None:
    inst = model.institution(s.event.institution)
    if inst.alive:
        roster.dissolve(model, inst)


HANDLERS: dict[type, Callable] = {
    ThreatEvent: _threat,
    CrisisEvent: _crisis,
    RivalryEvent: _rivalry,
    JoinEvent: _join,
    LeaveEvent: _leave,
    ParamEvent: _param,
    EnterEvent: _enter,
    ExitEvent: _exit,
    FoundEvent: _found,
    DissolveEvent: _dissolve,
}


__all__ = ["CHECKS", "HANDLERS", "Scheduled", "apply", "baseline_tension_row", "founded_later", "record_applies", "resolve"]
