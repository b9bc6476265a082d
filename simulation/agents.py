"""State agents: Mesa agents that are views onto the model's state arrays.

The model holds every state variable in arrays so the N x N dyadic work is vectorised;
each ``State`` reads and writes its own entries, so per-agent code (and Mesa tooling that
expects agents) still works.
"""

from __future__ import annotations

import mesa


def _array_property(array_name: str, doc: str):
    def get(self):
        return float(getattr(self.model, array_name)[self.index])

    def set_(self, value):
        getattr(self.model, array_name)[self.index] = value

    return property(get, set_, doc=doc)


class State(mesa.Agent):
    """One state.  ``index`` is its row in the model's arrays."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        return self.model.names[self.index]

    capability = _array_property("capability", "capability p")
    regime = _array_property("regime", "regime position r in [0, 1]")
    sovereignty = _array_property("sovereignty", "sovereignty preference sigma")
    governance = _array_property("governance", "governance quality g")
    stability = _array_property("stability", "internal stability h")
    threat = _array_property("threat", "transboundary threat tau")
    grievance = _array_property("grievance", "grievance G against control")

    @property
    def policy(self):
        """Foreign-policy position f (a copy; K values)."""
        return self.model.policy[self.index].copy()

    @property
    def memberships(self) -> list[str]:
        return [k.name for k in self.model.institutions if k.alive and k.members[self.index]]

    def __repr__(self) -> str:
        return f"State({self.name!r})"
