"""Stand-ins for tests of the hindcast path before the model writes membership records.

``synthetic_run`` is a run function (like ``simulation.experiments.testing``) returning a
small time series without running the model; ``membership_table`` lays a membership
record out as a sweep stores it (``memberships/<run_id>.parquet``: the record's columns
plus the run's coordinates, strings dictionary-encoded).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.scenario import Scenario

_TEXT = pa.dictionary(pa.int32(), pa.string())
MEMBERSHIP_SCHEMA = pa.schema([
    ("step", pa.int64()), ("year", pa.int64()), ("state", _TEXT), ("institution", _TEXT), ("change", _TEXT),
    ("run_id", _TEXT), ("scenario", _TEXT), ("point", pa.int32()), ("replication", pa.int32()), ("seed", pa.int64()),
])


def synthetic_run(scenario: Scenario, *, seed: int | None = None) -> pd.DataFrame:
    """A time series of one world metric (``mean_tension``, constant 0.5) over the scenario's steps."""
    steps = np.arange(scenario.steps + 1)
    return pd.DataFrame({"step": steps, "metric": "mean_tension", "scope": "world", "value": np.full(steps.size, 0.5)})


def membership_table(record: pd.DataFrame, *, run_id: str, scenario: str, point: int, replication: int, seed: int) -> pa.Table:
    """A run's membership record (step, year, state, institution, change) with its run's coordinates."""
    n = len(record)
    columns = {
        "step": record["step"].astype("int64"), "year": record["year"].astype("Int64"),
        "state": record["state"], "institution": record["institution"], "change": record["change"],
        "run_id": [run_id] * n, "scenario": [scenario] * n, "point": [point] * n, "replication": [replication] * n, "seed": [seed] * n,
    }
    arrays = [pa.array(list(columns[f.name]), f.type.value_type).dictionary_encode() if pa.types.is_dictionary(f.type)
              else pa.array(pd.Series(columns[f.name]).astype(object).where(pd.Series(columns[f.name]).notna(), None).tolist(), f.type)
              for f in MEMBERSHIP_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=MEMBERSHIP_SCHEMA)


def write_membership_file(path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
