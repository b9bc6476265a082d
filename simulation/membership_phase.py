"""Phase 8: states review their memberships and leave or join (docs/ODD.md, process step 8).

The utilities and the choice rule are pure functions in ``simulation.mechanisms.membership``;
this module gathers their inputs from the model and applies the choices through
``simulation.roster`` (so each change is in the membership record).  Only states in the
world take part.  The draws are made whatever happens (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation import roster
from simulation.mechanisms import membership

if TYPE_CHECKING:  # pragma: no cover
    from simulation.model import AllianceModel


def review(model: "AllianceModel", *, decide: bool = True) -> None:
    """Reviewing states weigh every live institution, then leave or join.

    ``decide=False`` (history mode ``imposed``, or the membership switch off) makes the
    draws and changes nothing.
    """
    w = model.dynamics.membership
    draws = model.streams["membership"].random(model.n)
    views = {k.name: w.utility_noise * model.view_streams[k.name].standard_normal(model.n) for k in model.institutions}
    live = model.alive()
    if not decide or not live:
        return
    reviewing = (draws < w.review_rate) | model.tally.crises
    if not model.all_active:
        reviewing &= model.active
    rows = np.flatnonzero(reviewing)
    if not len(rows):
        return
    demand = membership.security_demand(model.tension[rows], model.proximity_active[rows])
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
    util += np.column_stack([views[k.name][rows] for k in live])
    hegemonic = np.array([k.hegemonic for k in live])
    leave, join = membership.choose(
        util, member, admissible, forced, locked, hegemonic,
        join_threshold=w.join_threshold, leave_threshold=w.leave_threshold, max_memberships=w.max_memberships,
    )
    for c, k in enumerate(live):
        roster.leave(model, k, rows[leave[:, c]])
        roster.join(model, k, rows[join == c])


__all__ = ["review"]
