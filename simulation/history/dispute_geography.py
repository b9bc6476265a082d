"""Where the disputes fall: the record's and the model's dispute onsets, state by state.

The dispute scores (``disputes.py``) compare yearly *rates*.  A model can match them while
putting the disputes on the wrong states, and membership depends on where they fall: a state's
security demand z_i = max_j T_ij prox_ij (docs/ODD.md, section 7.10) rises with its quarrels,
and it is what draws states into alliances.  This module reads one states x years matrix of
onsets (a state has an onset in a year when it enters a dispute with another state that year:
GML's ``midonset``, the first year of the dispute for that pair; in the model, a dispute drawn in
phase 6; counted over the years the state is in the system) and gives these statistics
(docs/history.md, "Where the disputes fall"):

  onset_share_i  the share of state i's years with an onset
  repeat         P(onset in year y | onset in y - 1), pooled over states and years
  lift           repeat / the mean onset share (1: no persistence beyond the base rate)
  gini           the Gini coefficient of onset_share over states (0: evenly spread)
  rank_corr      Spearman's correlation of the model's and the record's onset_share, over the
                 states both have (how far the model puts the quarrels on the right states)

Run it on a hindcast world (it prints the record's figures beside the runs'):

  .venv/bin/python -m simulation.history.dispute_geography scenarios/world_1949_1990.yaml \\
      --runs 20 --set history.mode=forced --states SWZ IRE

(the record is GML MID v2.0, which ends in 2010: later years are left out).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulation.errors import UserError
from simulation.history import gml

RAW = Path(__file__).resolve().parents[2] / "scenarios" / "data" / "raw"
#: The last year of the GML record: a run's later years are left out of the comparison.
RECORD_LAST = gml.LAST_YEAR


@dataclass(frozen=True)
class Onsets:
    """``onset`` and ``present`` are states x years booleans (rows ``states``, columns ``years``)."""

    states: list[str]
    years: np.ndarray
    onset: np.ndarray
    present: np.ndarray

    def until(self, last: int) -> "Onsets":
        """The same onsets over the years up to ``last``."""
        keep = self.years <= last
        return Onsets(self.states, self.years[keep], self.onset[:, keep], self.present[:, keep])

    def share(self) -> pd.Series:
        """Per state present at least once: the share of its years with an onset."""
        n = self.present.sum(axis=1)
        keep = n > 0
        values = (self.onset & self.present).sum(axis=1)[keep] / n[keep]
        return pd.Series(values, index=[s for s, k in zip(self.states, keep) if k], dtype=float)


def repeat(o: Onsets) -> float:
    """P(onset in y | onset in y-1 and present in both years); NaN without such pairs."""
    both = o.present[:, 1:] & o.present[:, :-1]
    before = o.onset[:, :-1] & both
    n = int(before.sum())
    return float((before & o.onset[:, 1:]).sum() / n) if n else float("nan")


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0: all equal); NaN when they sum to 0."""
    v = np.sort(np.asarray(values, dtype=float))
    n, total = len(v), v.sum()
    if not n or total <= 0:
        return float("nan")
    return float((2 * np.arange(1, n + 1) - n - 1) @ v / (n * total))


def rank_corr(model: pd.Series, record: pd.Series) -> float:
    """Spearman's rho of two per-state shares over the states both have (NaN if fewer than 3, or one side constant)."""
    common = model.index.intersection(record.index)
    a, b = model[common].to_numpy(), record[common].to_numpy()
    if len(common) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:  # a constant side has no ranks to correlate
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def summary(o: Onsets) -> dict[str, float]:
    """The statistics of one matrix; ``lift`` = repeat / onset_share_mean, the repeat relative
    to the base rate (1: an onset last year says nothing about this year), so that a model
    with more disputes overall is not credited with persistence it only has from its level."""
    share = o.share()
    mean, rep = float(share.mean()), repeat(o)
    return {"onset_share_mean": mean, "repeat": rep, "lift": rep / mean if mean > 0 else float("nan"),
            "gini": gini(share.to_numpy()), "never": float((share == 0).mean())}


def from_record(years: range, *, disputes: Path = RAW / "gml-ndy-disputes-2.0.csv",
                system: Path = RAW / "states2016.csv") -> Onsets:
    """The record's onsets (GML MID v2.0 dyad-years with ``midonset == 1``) over ``years``, for
    the states of the COW system list, present in a year when in the system on 31 December
    (``gml.in_system``, the rule of the observed dispute rates and of the model's world)."""
    table = pd.read_csv(system)
    names = list(dict.fromkeys(table["stateabb"]))
    row = {s: i for i, s in enumerate(names)}
    abb = dict(zip(table["ccode"], table["stateabb"]))
    yrs = np.arange(years.start, years.stop)
    present = np.zeros((len(names), len(yrs)), dtype=bool)
    for t, y in enumerate(yrs):
        present[[row[abb[c]] for c in gml.in_system(table, int(y))], t] = True
    rows = gml.onsets(disputes)
    rows = rows[rows["year"].isin(yrs)]
    onset = np.zeros_like(present)
    for side in ("ccode1", "ccode2"):
        for c, y in rows[[side, "year"]].itertuples(index=False):
            if c in abb:
                onset[row[abb[c]], y - years.start] = True
    return Onsets(names, yrs, onset & present, present)


def from_run(scenario, *, seed: int) -> Onsets:
    """A run's onsets: after every step, both sides of each dispute drawn in phase 6, over the
    states in the world then (years = the scenario's calendar).  The run is ``runner.simulate``'s
    (one BLAS thread, the finite-value check)."""
    from simulation.runner import simulate

    if scenario.history is None:
        raise ValueError("the scenario has no calendar (history.start_year): its years cannot meet the record's")
    onset: list[np.ndarray] = []
    present: list[np.ndarray] = []

    def record(model, t: int) -> None:
        row = np.zeros(model.n, dtype=bool)
        i, j = model.tally.dispute_pairs
        row[i] = True
        row[j] = True
        onset.append(row)
        present.append(model.active.copy())

    model = simulate(scenario, seed=seed, after_step=record)
    start = model.start_year
    empty = np.zeros((model.n, 0), dtype=bool)
    return Onsets(list(model.names), np.arange(start + 1, start + scenario.steps + 1),
                  np.column_stack(onset) if onset else empty, np.column_stack(present) if present else empty)


def compare(path: str, *, runs: int, seed: int, overrides: list[str], states: list[str] = ()) -> pd.DataFrame:
    """The record's statistics and each run's, over the scenario's calendar years up to
    RECORD_LAST, on the states the runs have; ``states`` adds their onset shares as columns.
    ``rank_corr`` is each run's; ``rank_corr_mean_share`` (record row) is that of the runs'
    mean share, free of one run's own randomness."""
    from simulation.scenario_io import load_scenario

    if runs < 1:
        raise ValueError(f"expected at least 1 run, got {runs}")
    scenario = load_scenario(path, overrides)
    seeds = np.random.SeedSequence(seed).generate_state(runs, dtype=np.uint64)
    rows, shares = [], []
    for k, s in enumerate(seeds.tolist()):
        o = from_run(scenario, seed=int(s)).until(RECORD_LAST)
        share = o.share()
        rows.append({"source": f"run {k}", **summary(o), **{f"share {n}": share.get(n, np.nan) for n in states}})
        shares.append(share)
    if not len(o.years):
        raise ValueError(f"the scenario's years end before the record's first; the record ends in {RECORD_LAST}")
    modelled = set().union(*(s.index for s in shares))
    record = from_record(range(int(o.years[0]), int(o.years[-1]) + 1))
    record = Onsets(record.states, record.years, record.onset, record.present & np.isin(record.states, list(modelled))[:, None])
    rec_share = record.share()
    for r, s in zip(rows, shares):
        r["rank_corr"] = rank_corr(s, rec_share)
    mean_share = pd.concat(shares, axis=1).mean(axis=1)
    rec = {"source": "record", **summary(record), **{f"share {n}": rec_share.get(n, np.nan) for n in states},
           "rank_corr": np.nan, "rank_corr_mean_share": rank_corr(mean_share, rec_share)}
    return pd.DataFrame([rec, *rows])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a scenario override, as sweep's")
    ap.add_argument("--states", nargs="*", default=[], metavar="NAME", help="also print these states' onset shares")
    args = ap.parse_args(argv)
    try:
        table = compare(args.scenario, runs=args.runs, seed=args.seed, overrides=args.set, states=args.states)
    except (ValueError, UserError) as e:
        ap.error(str(e))  # exit 2 with the one message (a scenario's names its file, line and key path)
    runs = table[table["source"] != "record"].drop(columns="source")
    out = pd.DataFrame({"record": table.iloc[0].drop("source"), "runs (mean)": runs.mean(),
                        "runs (min)": runs.min(), "runs (max)": runs.max()})
    print(out.to_string(float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
