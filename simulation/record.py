"""The membership record: one row per change of who belongs to what (docs/ODD.md, 'Observation').

Every run keeps one.  Step 0 holds a ``found`` row per institution existing then, followed
by a ``join`` row per founding member, so the record alone rebuilds the memberships at any
step.  ``year`` is the calendar year (``history.start_year + step``), null without a history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MEMBERSHIP_COLUMNS = ("step", "year", "state", "institution", "change")
#: The kinds of change; ``apply`` and ``refused`` are applications under accession by consent
#: (an ``apply`` row is followed by the applicant's ``join`` or ``refused`` row); under staged
#: candidacy the ``join``, ``refused`` or ``withdraw`` (the candidate no longer wants in) row may
#: come in a later year.
CHANGES = ("join", "leave", "found", "dissolve", "enter", "exit", "apply", "refused", "withdraw")


class MembershipLog:
    """Rows ``step, year, state, institution, change`` in the order the changes happened.

    Args:
        start_year: calendar year of step 0, or None (no calendar).
    """

    def __init__(self, start_year: int | None = None):
        self.start_year = start_year
        self.step: list[int] = []
        self.state: list[str] = []
        self.institution: list[str] = []
        self.change: list[str] = []

    def add(self, step: int, change: str, *, state: str = "", institution: str = "") -> None:
        self.step.append(int(step))
        self.state.append(state)
        self.institution.append(institution)
        self.change.append(change)

    def __len__(self) -> int:
        return len(self.step)

    def frame(self) -> "pd.DataFrame":
        import pandas as pd

        steps = np.array(self.step, dtype=np.int64)
        if self.start_year is None:
            year = pd.array(np.zeros(len(steps), dtype=np.int64), dtype="Int64", copy=False)
            year[:] = pd.NA
        else:
            year = pd.array(steps + self.start_year, dtype="Int64")
        text = lambda values: np.array(values, dtype=object)
        return pd.DataFrame(
            {"step": steps, "year": year, "state": text(self.state), "institution": text(self.institution), "change": text(self.change)}
        )


def members_at(frame: "pd.DataFrame", step: int) -> dict[str, set[str]]:
    """Members of each institution after ``step``, rebuilt from a membership record alone."""
    out: dict[str, set[str]] = {}
    for row in frame[frame["step"] <= step].itertuples(index=False):
        if row.change == "found":
            out[row.institution] = set()
        elif row.change == "dissolve":
            out.pop(row.institution, None)
        elif row.change == "join":
            out.setdefault(row.institution, set()).add(row.state)
        elif row.change == "leave":
            out.get(row.institution, set()).discard(row.state)
    return out


__all__ = ["CHANGES", "MEMBERSHIP_COLUMNS", "MembershipLog", "members_at"]
