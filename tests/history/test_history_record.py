"""Reading the observed table and replaying membership records."""

from __future__ import annotations

import pytest

from history_helpers import founded, record
from simulation.errors import UserError
from simulation.history.hindcast import SelectionError, select_institutions
from simulation.history.record import read_observed, replay


@pytest.mark.parametrize("text, message", [
    ("institution,year,ccode\nA,2000,2\n", ":1: missing columns ['state']"),
    ("institution,year,state,ccode\nA,2000,X,2\nA,2000,X,2\n", ":3: X is listed twice as a member of A in 2000"),
    ("institution,year,state,ccode\nA,2000,,2\n", ":2: state: expected a name"),
    ("institution,year,state,ccode\nA,2000.5,X,2\n", ":2: year: expected a whole number"),
    ("institution,year,state,ccode\n", ":1: the record is empty"),
])
def test_a_bad_record_is_named_with_its_line(tmp_path, text, message):
    path = tmp_path / "obs.csv"
    path.write_text(text)
    with pytest.raises(UserError) as info:
        read_observed(path)
    assert f"{path}{message}" in str(info.value)


def test_replay_ignores_rows_that_do_not_change_membership():
    rows = founded("A", "X") + [(1, "Y", "A", "apply"), (1, "Y", "A", "refused"), (2, "Q", "", "enter"), (2, "Y", "A", "join"),
                                (3, "X", "B", "join")]
    path = replay(record(rows), "A", 2000, 3)
    assert [sorted(m) for m in path.members] == [["X"], ["X"], ["X", "Y"], ["X", "Y"]]
    assert path.alive.all() and path.years.tolist() == [2000, 2001, 2002, 2003]


def test_institutions_are_chosen_from_the_scenarios_and_the_record():
    assert select_institutions(None, ["NATO", "WTO", "Bloc"], {"NATO", "WTO", "SCO"}, "r.csv") == ["NATO", "WTO"]
    assert select_institutions(["WTO"], ["NATO", "WTO"], {"NATO", "WTO"}, "r.csv") == ["WTO"]
    with pytest.raises(SelectionError) as info:
        select_institutions(["NATO", "SCO"], ["NATO"], {"NATO", "SCO"}, "r.csv")
    assert info.value.at == ("institutions", 1) and "no scenario has an institution 'SCO'" in info.value.message
