"""Phase 8: states review their memberships and leave or join (docs/ODD.md, process step 8).

The utilities and the choice rule are pure functions in ``simulation.mechanisms.membership``;
the history mechanisms (accession by consent, regional eligibility, persistent views, exit
cost, leader exit and succession) are applied in a fixed order by
``simulation.mechanisms.review``; staged candidacy (``simulation.mechanisms.candidacy``) narrows
admission before that review and judges every running candidacy after it.  This module gathers their inputs from the model and
applies the choices through ``simulation.roster`` (so each change, and each application and
refusal, is in the membership record).  Only states in the world take part.  The draws are
made whatever happens (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation import regions, roster
from simulation.mechanisms import candidacy, membership, persistence
from simulation.mechanisms import review as history_review

if TYPE_CHECKING:  # pragma: no cover
    from simulation.model import AllianceModel
    from simulation.world import WorldArrays


def setup(model: "AllianceModel", world: "WorldArrays") -> None:
    """The per-state x institution state the membership mechanisms keep (columns in the order
    of ``model.institutions``): regional eligibility, years of unbroken membership, trust in
    each alliance's word (phase 6), each institution's views (empty until the first review),
    and running candidacies with the waits after refusals and the years since each institution's
    last enlargement round (mechanisms.candidacy, enlargement_rounds)."""
    k = len(model.institutions)
    model.eligible = np.ones((model.n, k), dtype=bool)
    for c, inst in enumerate(model.institutions):
        model.eligible[:, c] = regions.eligibility_mask(world.region, model.config.institutions[inst.name].eligible_regions)
    model.tenure = np.zeros((model.n, k), dtype=np.int64)
    model.trust = np.ones((model.n, k))
    model.views = {}
    model.candidacies = candidacy.Candidacies.empty(model.n, k)


def review(model: "AllianceModel", *, decide: bool = True) -> None:
    """Reviewing states weigh every live institution, then leave or join; tenure advances.

    ``decide=False`` (history mode ``imposed``, or the membership switch off) makes the
    draws and changes nothing but tenure.
    """
    _decide(model, decide)
    members = np.zeros(model.tenure.shape, dtype=bool)
    for c, k in enumerate(model.institutions):
        members[:, c] = k.members
    model.tenure = persistence.advance_tenure(model.tenure, members)


def _decide(model: "AllianceModel", decide: bool) -> None:
    w = model.dynamics.membership
    mech = model.mechanisms
    draws = model.streams["membership"].random(model.n)
    for k in model.institutions:
        shocks = model.view_streams[k.name].standard_normal(model.n)
        model.views[k.name] = history_review.next_views(model.views.get(k.name), shocks, persistent=mech.view_persistence, w=w)
    live = model.alive()
    if not decide or not live:
        return
    cols = [model.institutions.index(k) for k in live]
    barred = _start_candidacies(model) if mech.candidacy else None
    for k in live:
        if k.hegemonic:
            k.leader = history_review.new_leader(k, model.capability, left=False, succession=mech.leader_succession)
    reviewing = (draws < w.review_rate) | model.tally.crises
    if mech.candidacy:  # a candidate reviews every year
        reviewing |= model.candidacies.running.any(axis=1)
    if not model.all_active:
        reviewing &= model.active
    rows = np.flatnonzero(reviewing)
    if not len(rows):
        return
    # Security demand: every state's when the incumbents or a leader weigh it too, else the
    # reviewing states' only (the same numbers either way; computed once).
    power = membership.relative_power if mech.threat_by_power else None
    if mech.accession_consent or mech.leader_exit or mech.candidacy:
        z_all = membership.security_demand(model.tension, model.proximity_active, power(model.capability) if power else None)
        demand = z_all[rows]
    else:
        z_all = None
        demand = membership.security_demand(model.tension[rows], model.proximity_active[rows], power(model.capability, rows) if power else None)
    shape = (len(rows), len(live))
    util = np.zeros(shape)
    member, admissible, forced, locked = (np.zeros(shape, dtype=bool) for _ in range(4))
    for c, k in enumerate(live):
        member[:, c] = k.members[rows]
        if k.hegemonic:
            r_lead = model.regime[k.leader]
            util[:, c] = membership.hegemonic_utility(
                w, k.params, k.control(), governance=model.governance[rows], threat=model.threat[rows], demand=demand,
                sovereignty=model.sovereignty[rows], regime=model.regime[rows], leader_regime=r_lead,
            )
            admissible[:, c] = np.abs(model.regime[rows] - r_lead) < k.params["admission_distance"]
            forced[:, c] = model.grievance[rows] > w.grievance_limit
            locked[:, c] = rows == k.leader
        else:
            util[:, c] = membership.dialogue_utility(w, k.params, k.chi, model.dynamics.tension.relaxation, threat=model.threat[rows], demand=demand)
            centre = model.regime[k.members].mean()
            admissible[:, c] = np.abs(model.regime[rows] - centre) < k.params["admission_distance"]
    views = np.column_stack([model.views[k.name][rows] for k in live])
    if mech.candidacy:
        admissible = candidacy.restrict(admissible, rows, cols, model.candidacies, barred)
    d = history_review.review(
        rows, util, views, member, admissible, forced, locked, live, w, mech,
        tenure=model.tenure[:, cols], trust=model.trust[:, cols], eligible=model.eligible[:, cols],
        capability=model.capability, tension=model.tension, proximity=model.proximity_active, regime=model.regime,
        threat=model.threat, demand=z_all, relaxation=model.dynamics.tension.relaxation,
    )
    if mech.candidacy:
        out = candidacy.advance(
            model.candidacies, rows, d.join, live, cols, w, capability=model.capability, tension=model.tension,
            proximity=model.proximity_active, regime=model.regime, demand=z_all, relaxation=model.dynamics.tension.relaxation,
            rounds=mech.enlargement_rounds,
        )
        for c, k in enumerate(live):
            roster.leave(model, k, rows[d.leave[:, c]])
            roster.candidacies(model, k, out.withdrawn[c], out.applied[c], out.joined[c], out.refused[c])
        return
    applied_rows, applied_cols = d.applied
    refused = set(zip(*(a.tolist() for a in d.refused)))
    for c, k in enumerate(live):
        roster.leave(model, k, rows[d.leave[:, c]])
        if mech.accession_consent:
            idx = applied_rows[applied_cols == c]
            roster.applications(model, k, idx, np.array([(i, c) not in refused for i in idx.tolist()], dtype=bool))
        else:
            roster.join(model, k, rows[d.join == c])


def _start_candidacies(model: "AllianceModel") -> np.ndarray:
    """Candidacies end where the institution, the state or the need has gone; returns where
    states are still barred after a refusal."""
    alive = np.array([k.alive for k in model.institutions], dtype=bool)
    members = np.column_stack([k.members for k in model.institutions])
    return model.candidacies.start_year(alive, model.active, members)


__all__ = ["review", "setup"]
