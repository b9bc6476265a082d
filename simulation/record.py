"""The membership record: one row per change of who belongs to what (docs/ODD.md, 'Observation').

Every run keeps one.  Step 0 holds a ``found`` row per institution existing then, followed
by a ``join`` row per founding member, so the record alone rebuilds the memberships at any
step.  ``year`` is the calendar year (``history.start_year + step``), null without a history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MEMBERSHIP_COLUMNS = ("step", "year", "state", "institution", "change")
#: The kinds of change (issue 8 adds ``apply`` and ``refused``).
CHANGES = ("join", "leave", "found", "dissolve", "enter", "exit")


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

        steps = pd.Series(self.step, dtype="int64")
        if self.start_year is None:
            year = pd.Series([pd.NA] * len(steps), dtype="Int64")
        else:
            year = (steps + self.start_year).astype("Int64")
        return pd.DataFrame(
            {
                "step": steps,
                "year": year,
                "state": pd.Series(self.state, dtype=object),
                "institution": pd.Series(self.institution, dtype=object),
                "change": pd.Series(self.change, dtype=object),
            }
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
