"""Joining, leaving, founding and dissolving: the one place membership arrays change.

Every change goes through these functions so that the membership record
(``simulation.record``) and the per-step join/exit counts can never disagree with the
members themselves.  ``model`` is anything with ``steps``, ``names``, ``grievance``,
``membership_log``, ``institutions`` and ``dynamics`` (the ``AllianceModel``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import numpy as np

from simulation.institutions import MIN_SIZE
from simulation.mechanisms import leadership

if TYPE_CHECKING:  # pragma: no cover
    from simulation.institutions import InstitutionState


def join(model, inst: "InstitutionState", idx: Iterable[int] | np.ndarray) -> None:
    """States ``idx`` (not yet members) become members of ``inst``."""
    idx = np.asarray(idx, dtype=np.intp)
    if not len(idx):
        return
    inst.members[idx] = True
    inst.joins += len(idx)
    for i in idx.tolist():
        model.membership_log.add(model.steps, "join", state=model.names[i], institution=inst.name)


def leave(model, inst: "InstitutionState", idx: Iterable[int] | np.ndarray) -> None:
    """Members ``idx`` leave ``inst``; leaving a hegemonic alliance clears their grievance.

    A leader that leaves (mechanisms.leader_exit, or a state that became leader by succession
    and then exits the world) hands the alliance to the strongest remaining member."""
    idx = np.asarray(idx, dtype=np.intp)
    if not len(idx):
        return
    inst.members[idx] = False
    inst.exits += len(idx)
    if inst.hegemonic:
        model.grievance[idx] = 0.0
        if inst.leader is not None and inst.leader in idx.tolist():
            inst.leader = leadership.after_exit(inst.members, model.capability)
    for i in idx.tolist():
        model.membership_log.add(model.steps, "leave", state=model.names[i], institution=inst.name)


def applications(model, inst: "InstitutionState", idx: Iterable[int] | np.ndarray, accepted: np.ndarray) -> None:
    """Applications of states ``idx`` to ``inst`` under accession by consent: an ``apply`` row
    each, then the accepted ones join (``join`` rows) and the rest get a ``refused`` row."""
    idx = np.asarray(idx, dtype=np.intp)
    if not len(idx):
        return
    for i in idx.tolist():
        model.membership_log.add(model.steps, "apply", state=model.names[i], institution=inst.name)
    join(model, inst, idx[accepted])
    for i in idx[~accepted].tolist():
        model.membership_log.add(model.steps, "refused", state=model.names[i], institution=inst.name)


def candidacies(model, inst: "InstitutionState", withdrawn: np.ndarray, applied: np.ndarray, joined: np.ndarray, refused: np.ndarray) -> None:
    """One year of staged candidacy for ``inst`` (mechanisms.candidacy): ``withdraw`` rows, then
    ``apply`` rows of new candidates, then the candidates admitted join and the blocked ones get
    a ``refused`` row (the order of ``applications``, which this equals with no candidacy period)."""
    for i in np.asarray(withdrawn, dtype=np.intp).tolist():
        model.membership_log.add(model.steps, "withdraw", state=model.names[i], institution=inst.name)
    for i in np.asarray(applied, dtype=np.intp).tolist():
        model.membership_log.add(model.steps, "apply", state=model.names[i], institution=inst.name)
    join(model, inst, joined)
    for i in np.asarray(refused, dtype=np.intp).tolist():
        model.membership_log.add(model.steps, "refused", state=model.names[i], institution=inst.name)


def found(model, inst: "InstitutionState") -> None:
    """Record the founding of ``inst`` and its founders (whose ``members`` are already set)."""
    model.membership_log.add(model.steps, "found", institution=inst.name)
    for i in np.flatnonzero(inst.members).tolist():
        model.membership_log.add(model.steps, "join", state=model.names[i], institution=inst.name)


def dissolve(model, inst: "InstitutionState") -> None:
    """``inst`` ends: a ``dissolve`` row, then a ``leave`` row per released member."""
    inst.alive = False
    model.membership_log.add(model.steps, "dissolve", institution=inst.name)
    out = np.flatnonzero(inst.members)
    inst.exits += len(out)
    inst.members[:] = False
    for i in out.tolist():
        model.membership_log.add(model.steps, "leave", state=model.names[i], institution=inst.name)


def dissolve_small(model) -> None:
    """An institution left with fewer than MIN_SIZE members dissolves; the rest are released."""
    for k in model.alive():
        if k.size < MIN_SIZE:
            dissolve(model, k)


def room_for(model, inst: "InstitutionState", i: int) -> bool:
    """Whether state ``i`` may take a membership of ``inst`` within the limits (max_memberships;
    at most one hegemonic alliance)."""
    held = [k for k in model.alive() if k.members[i]]
    if len(held) >= model.dynamics.membership.max_memberships:
        return False
    return not (inst.hegemonic and any(k.hegemonic for k in held))


def forced_join(model, inst: "InstitutionState", i: int) -> None:
    """A scheduled accession: admission rules are waived, but never the membership limits.

    A state at its limit (max_memberships, or already in a hegemonic alliance when joining
    another) first leaves the institutions it does not lead; if it leads one that stands
    in the way, the event has no effect.
    """
    if not inst.alive or inst.members[i]:
        return
    held = [k for k in model.alive() if k.members[i]]
    limit = model.dynamics.membership.max_memberships
    blocking = [k for k in held if inst.hegemonic and k.hegemonic]
    spare = [k for k in held if k not in blocking]
    excess = max(0, len(held) - len(blocking) + 1 - limit)
    blocking += spare[:excess]
    if any(k.leader == i for k in blocking):
        return
    for k in blocking:
        leave(model, k, [i])
    join(model, inst, [i])


__all__ = ["applications", "candidacies", "dissolve", "dissolve_small", "forced_join", "found", "join", "leave", "room_for"]
