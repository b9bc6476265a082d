"""Shared builders for the model tests: small scenarios, tidy-table views, hypothesis strategies.

Kept small on purpose: a test should still read on its own.  Scenarios are built through
``scenario_from_dict`` (the same validation as a file), so every override is checked.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulation.scenario import Scenario
from simulation.scenario_io import scenario_from_dict

# One alliance of each kind, founded by rank so they fit any generated world.
ATLANTIC = {"kind": "hegemonic", "founders": {"by": "regime", "order": "highest", "count": 6}}
CONCORD = {"kind": "dialogue", "founders": {"by": "regime", "order": "lowest", "count": 6}}


def scenario(
    institutions: dict[str, Any] | None = None,
    *,
    count: int = 30,
    steps: int = 40,
    overrides: Sequence[str] = (),
    **extra: Any,
) -> Scenario:
    """A generated world of ``count`` states with the given institutions, validated."""
    data: dict[str, Any] = {
        "name": "test",
        "steps": steps,
        "world": {"generate": {"count": count}},
        "institutions": institutions or {},
    }
    data.update(extra)
    return scenario_from_dict(data, "<test>", overrides=list(overrides))


def listed_scenario(states: list[dict[str, Any]], institutions: dict[str, Any] | None = None, **extra: Any) -> Scenario:
    """A world of explicitly listed states only (no generated ones)."""
    data: dict[str, Any] = {"name": "listed", "steps": 1, "world": {"states": states}, "institutions": institutions or {}}
    data.update(extra)
    return scenario_from_dict(data, "<test>")


def world_table(df: pd.DataFrame) -> pd.DataFrame:
    """World metrics as a step x metric table."""
    return df[df.scope == "world"].pivot(index="step", columns="metric", values="value")


def series(df: pd.DataFrame, scope: str, metric: str) -> pd.Series:
    """One metric of one scope over the steps (index = step)."""
    rows = df[(df.scope == scope) & (df.metric == metric)]
    return rows.set_index("step")["value"]


def after_start(s: pd.Series) -> pd.Series:
    """Drop step 0 (the initial world, where flow metrics are 0 by definition)."""
    return s[s.index > 0]


# ------------------------------------------------------------------ hypothesis strategies
unit_floats = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)


def unit_vectors(min_size: int = 2, max_size: int = 40):
    """1-D float arrays in [0, 1]."""
    return hnp.arrays(np.float64, st.integers(min_size, max_size), elements=unit_floats)


def policy_matrices(min_rows: int = 2, max_rows: int = 25, max_dims: int = 4):
    """N x K foreign-policy positions in [0, 1]."""
    shape = st.tuples(st.integers(min_rows, max_rows), st.integers(1, max_dims))
    return hnp.arrays(np.float64, shape, elements=unit_floats)
