"""Phase 8 (issue: history): memberships with inertia.

Two mechanisms keep a state where it is unless conditions change:

- Views persist.  A state's idiosyncratic view of an institution follows an AR(1) process
  instead of a fresh draw each year:
      v_t = phi v_{t-1} + sqrt(1 - phi^2) sd eps_t,
  so its stationary sd is ``sd`` (today's ``utility_noise``) whatever phi, and phi = 0 gives
  exactly today's v_t = sd eps_t from the same normal draws eps_t.
- Leaving costs more the longer a state has belonged: a member adds
      c(t) = c_max (1 - exp(-t / t_c))
  to its utility when it weighs leaving (t = consecutive years of membership), so an old
  member leaves only after a larger change in conditions than a new one.  Joining and
  leaving already have separate thresholds (hysteresis: theta_join > theta_leave).
"""

from __future__ import annotations

import numpy as np


def update_views(previous: np.ndarray | None, shocks: np.ndarray, *, phi: float, sd: float) -> np.ndarray:
    """v_t = phi v_{t-1} + sqrt(1 - phi^2) sd eps_t; the first year (previous None) starts at
    the stationary distribution, v = sd eps, so no draw beyond today's is needed."""
    if previous is None or phi == 0.0:
        return sd * shocks
    return phi * previous + np.sqrt(1.0 - phi * phi) * sd * shocks


def advance_tenure(tenure: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Years of unbroken membership after one more year: members +1, everyone else 0."""
    return np.where(member, tenure + 1, 0)


def exit_cost(tenure: np.ndarray, *, cost: float, scale: float) -> np.ndarray:
    """c(t) = cost (1 - exp(-t / scale)): zero for a newcomer, approaching ``cost`` with age."""
    if cost == 0.0:
        return np.zeros(np.shape(tenure))
    return cost * -np.expm1(-np.asarray(tenure, dtype=float) / scale)


def staying_utility(utility: np.ndarray, member: np.ndarray, tenure: np.ndarray, *, cost: float, scale: float) -> np.ndarray:
    """Utility as a member weighs leaving: the exit cost is added for current members only, so
    the join decision (non-members) is unchanged."""
    return utility + np.where(member, exit_cost(tenure, cost=cost, scale=scale), 0.0)
