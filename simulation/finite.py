"""Finite by construction, checked: a run whose numbers turn NaN or infinite stops at once.

The schema bounds every parameter whose extremes would make the dynamics non-finite, and
capabilities are rescaled before they can overflow (``mechanisms.capability.rescale``); this
check is the safety net behind those guarantees.  After each step it looks at the states'
variables and at the metrics just recorded, and raises ``NonFiniteError`` naming the first
step, the metric and the state where a number stopped being finite.  Institution metrics may
be NaN on purpose (an institution that has dissolved, or has no pair of members); they may
never be infinite.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Per-state variables of the model that are always finite numbers (one row per state).
STATE_VARIABLES = ("capability", "regime", "stability", "threat", "grievance", "policy")
#: The scope of world-wide metrics in the recorder.
WORLD = "world"


class NonFiniteError(ArithmeticError):
    """The run's numbers stopped being finite; ``step``, ``metric``, ``scope`` and ``state``
    say where first (``None`` when not known)."""

    def __init__(self, step: int, metric: str | None, scope: str | None, state: str | None, value: float):
        self.step, self.metric, self.scope, self.state, self.value = step, metric, scope, state, value
        where = []
        if metric is not None:
            where.append(f"metric {metric}" + (f" ({scope})" if scope else ""))
        if state is not None:
            where.append(f"state {state}")
        super().__init__(f"the run's numbers stopped being finite at step {step}: {' of '.join(where) or 'a value'} is {value!r}; "
                         "expected finite numbers (a parameter too extreme for the model? see docs/limits.md)")


def check_step(model: Any, recorded_from: int = 0) -> int:
    """Raise ``NonFiniteError`` if the state variables or the metrics recorded since row
    ``recorded_from`` hold a number that is not finite; return the row to check from next.

    Cost: one pass over a few vectors per step, small beside the step itself.
    """
    step = int(getattr(model, "steps", 0))
    active = getattr(model, "active", None)
    names = list(getattr(model, "names", []))
    for variable in STATE_VARIABLES:
        values = getattr(model, variable, None)
        if values is None:
            continue
        values = np.asarray(values, dtype=float)
        finite = np.isfinite(values)
        bad = ~(finite if values.ndim == 1 else finite.reshape(len(values), -1).all(axis=1))
        if active is not None:
            bad &= np.asarray(active, dtype=bool)
        if bad.any():
            i = int(np.argmax(bad))
            value = float(values[i] if values.ndim == 1 else values[i][~finite[i]][0])
            name = names[i] if i < len(names) else str(i)
            raise NonFiniteError(step, variable, None, name, value)
    recorder = getattr(model, "recorder", None)
    if recorder is None:
        return recorded_from
    values = np.asarray(recorder.value[recorded_from:], dtype=float)
    scopes = recorder.scope[recorded_from:]
    for k in np.flatnonzero(~np.isfinite(values)):
        value, scope = float(values[k]), scopes[k]
        if math.isnan(value) and scope != WORLD:
            continue  # an institution metric with nothing to measure
        raise NonFiniteError(int(recorder.step[recorded_from + k]), recorder.metric[recorded_from + k], scope, None, value)
    return len(recorder.value)


def require_finite_summary(summary: dict[str, float | None]) -> None:
    """A run's summary values are finite or absent (``None``); an infinite one fails the run
    as data (one failed run), instead of failing when its record is written."""
    for column, value in summary.items():
        if value is not None and not math.isfinite(value):
            raise ArithmeticError(f"the summary value {column} is {value!r}; expected a finite number")
