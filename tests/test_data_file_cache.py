"""The distance and forcing files are parsed once per content (``world._parse_distances``,
``forcing._parse``): a calibration builds the same world thousands of times.  The cache must be
invisible: same values, an edited file read afresh, errors never remembered, and nothing a
run can change in it."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from simulation import forcing, world
from simulation.errors import ScenarioError

NAMES = ["A", "B", "C"]


def _distances(path, km_ab=100.0):
    path.write_text(f"a,b,km\nA,B,{km_ab}\nA,C,200\nB,C,300\n", encoding="utf-8")
    return str(path)


def test_a_second_read_is_a_cache_hit_with_the_same_values(tmp_path):
    p = _distances(tmp_path / "d.csv")
    first = world.read_distance_file(p, NAMES)
    hits = world._parse_distances.cache_info().hits
    second = world.read_distance_file(p, NAMES)
    assert world._parse_distances.cache_info().hits == hits + 1
    assert_array_equal(first, second)
    assert first[0, 1] == 100.0 and first[2, 1] == 300.0


def test_an_edited_file_is_read_afresh(tmp_path):
    p = _distances(tmp_path / "d.csv")
    assert world.read_distance_file(p, NAMES)[0, 1] == 100.0
    _distances(tmp_path / "d.csv", km_ab=150.0)
    assert world.read_distance_file(p, NAMES)[0, 1] == 150.0


def test_a_caller_that_changes_its_matrix_does_not_change_the_next_read(tmp_path):
    p = _distances(tmp_path / "d.csv")
    d = world.read_distance_file(p, NAMES)
    d[:] = -1
    assert world.read_distance_file(p, NAMES)[0, 1] == 100.0


def test_errors_are_not_remembered(tmp_path):
    """A bad file fails every time with its message; once mended, it reads."""
    p = tmp_path / "d.csv"
    p.write_text("a,b,km\nA,B,x\nA,C,200\nB,C,300\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ScenarioError, match=r"d\.csv:2: expected a number of km"):
            world.read_distance_file(str(p), NAMES)
    _distances(p)
    assert world.read_distance_file(str(p), NAMES)[0, 1] == 100.0


def test_the_same_file_with_other_names_is_parsed_for_those_names(tmp_path):
    p = _distances(tmp_path / "d.csv")
    assert world.read_distance_file(p, ["C", "A"])[0, 1] == 200.0


def test_forcing_is_shared_read_only_and_reparsed_when_edited(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("year,state,capability,regime\n1950,A,0.5,0.2\n1950,C,0.25,0.9\n", encoding="utf-8")
    f1 = forcing.read_forcing_file(str(p), NAMES)
    f2 = forcing.read_forcing_file(str(p), NAMES)
    idx, cap, reg = f1.for_year(1950)
    assert_array_equal(idx, [0, 2]) and assert_array_equal(cap, [0.5, 0.25]) and assert_array_equal(reg, [0.2, 0.9])
    assert f2.for_year(1950)[1] is cap  # one parse
    with pytest.raises(ValueError):
        cap[0] = 1.0
    f1.years.clear()  # a caller's own Forcing: the next read is whole
    assert forcing.read_forcing_file(str(p), NAMES).for_year(1950) is not None
    p.write_text("year,state,capability,regime\n1950,A,0.75,0.2\n", encoding="utf-8")
    assert forcing.read_forcing_file(str(p), NAMES).for_year(1950)[1][0] == 0.75


def test_forcing_applies_without_writing_to_the_shared_arrays(tmp_path):
    """``apply`` copies the year's values into the model's arrays; the shared ones stay."""
    p = tmp_path / "f.csv"
    p.write_text("year,state,capability,regime\n1950,A,0.5,0.2\n", encoding="utf-8")
    f = forcing.read_forcing_file(str(p), NAMES)
    cap, reg = np.ones(3), np.zeros(3)
    forcing.apply(f, 1950, np.ones(3, dtype=bool), cap, reg)
    cap[0] = 9.0
    assert_array_equal(cap[1:], [1.0, 1.0]) and reg[0] == 0.2
    assert forcing.read_forcing_file(str(p), NAMES).for_year(1950)[1][0] == 0.5
