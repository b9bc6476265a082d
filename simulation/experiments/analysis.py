"""Statistics from stored results only: never imports or runs the model.

Inputs are the files a sweep leaves (``manifest.json``, ``summary.csv``, ``runs/*.parquet``);
outputs are tidy tables that ``figures`` and ``report`` turn into pictures and text.
Confidence intervals use the t distribution (replications are few); scenario comparisons
are paired by replication, which common random numbers make legitimate.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulation.errors import UserError
from simulation.experiments.schema import Experiment, MetricRef
from simulation.experiments.store import (AGGREGATES, MAX_TABLE_BYTES, SUMMARY_ID_COLUMNS, ResultsFolder, read_parquet_bounded,
                                          read_text_bounded)

#: Sobol and Morris confidence intervals are bootstrap intervals with this many resamples.
BOOTSTRAP_RESAMPLES = 1000
#: Beyond this many scenario x design-point groups a time-series figure pools design points.
MAX_TIMESERIES_GROUPS = 10
OK = "ok"


@dataclass
class StoredResults:
    """A results folder as read back: its manifest, its experiment and its summary table."""

    folder: ResultsFolder
    manifest: dict[str, Any]
    experiment: Experiment
    summary: pd.DataFrame

    @classmethod
    def load(cls, root: str | Path, *, rebuild_summary: bool = False) -> "StoredResults":
        folder = ResultsFolder(Path(root))
        manifest = folder.read_manifest()
        experiment = folder.read_experiment(manifest)
        columns = [*SUMMARY_ID_COLUMNS, *manifest["design"]["columns"], *(m.column for m in experiment.summary.metrics)]
        complete = _records_complete(folder, manifest)

        def rebuild() -> None:
            folder.write_summary(manifest["runs"], manifest["design"]["columns"], [m.column for m in experiment.summary.metrics])

        if (rebuild_summary and complete) or not folder.summary_path.exists():
            rebuild()
        summary, problem = _read_summary(folder.summary_path, columns)
        if problem is not None and complete:  # damaged, but the run records can rebuild it
            rebuild()
            summary, problem = _read_summary(folder.summary_path, columns)
        if problem is not None:
            raise UserError(f"{problem}; expected the summary.csv 'alliance-sim sweep' writes (some run records are "
                            "missing, so it cannot be rebuilt from them)", file=str(folder.summary_path))
        return cls(folder, manifest, experiment, summary)

    @property
    def design_columns(self) -> list[str]:
        return list(self.manifest["design"]["columns"])

    @property
    def metrics(self) -> list[MetricRef]:
        return list(self.experiment.summary.metrics)

    @property
    def labels(self) -> list[str]:
        return self.experiment.labels

    @property
    def confidence(self) -> float:
        return self.experiment.analysis.confidence

    def ok(self) -> pd.DataFrame:
        """Successful runs only."""
        return self.summary[self.summary["status"] == OK]


def _read_summary(path: Path, columns: list[str]) -> tuple[pd.DataFrame, str | None]:
    """summary.csv as a table, or a description of why it cannot be used."""
    try:
        text = read_text_bounded(path, MAX_TABLE_BYTES, "a summary.csv")  # size, regular file, UTF-8
    except (UserError, FileNotFoundError) as exc:
        return pd.DataFrame(), exc.detail if isinstance(exc, UserError) else "no such file"
    try:
        table = pd.read_csv(io.StringIO(text), dtype={"run_id": str, "scenario": str, "status": str})
    except (ValueError, OSError, UnicodeDecodeError) as exc:  # pandas' EmptyDataError and ParserError are ValueErrors
        return pd.DataFrame(), f"cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    missing = [c for c in columns if c not in table.columns]
    if missing:
        return table, f"missing columns: {', '.join(missing)}"
    return table, None


def _records_complete(folder: ResultsFolder, manifest: dict[str, Any]) -> bool:
    """True when every finished run still has a readable record, so summary.csv can be
    rebuilt from them without losing rows (a folder may be kept with summary.csv alone, and
    a damaged record must not blank a row that summary.csv still holds)."""
    return all(folder.read_record(r["run_id"]) is not None for r in manifest["runs"] if r["status"] in ("ok", "failed"))


def t_quantile(q: float, df: np.ndarray | int) -> np.ndarray:
    """Student t quantile: ``scipy.special.stdtrit``, the function ``scipy.stats.t.ppf`` calls
    (same numbers), without importing ``scipy.stats`` (a second of start-up)."""
    from scipy.special import stdtrit

    return stdtrit(df, q)


def mean_ci(values: np.ndarray, confidence: float) -> dict[str, float]:
    """Mean, sample sd and t-based confidence interval of ``values`` (NaNs ignored)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return {"n": 0, "mean": np.nan, "sd": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    mean = float(x.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "sd": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    sd = float(x.std(ddof=1))
    half = float(t_quantile(0.5 + confidence / 2.0, n - 1)) * sd / np.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def describe(results: StoredResults) -> pd.DataFrame:
    """Per scenario, design point and metric: n, mean, sd and CI over replications."""
    data = results.ok()
    rows = []
    order = {label: i for i, label in enumerate(results.labels)}
    for (scenario, point), group in data.groupby(["scenario", "point"], sort=False):
        design = {c: group[c].iloc[0] for c in results.design_columns}
        for ref in results.metrics:
            rows.append({"scenario": scenario, "point": int(point), **design, "metric": ref.column,
                         **mean_ci(group[ref.column].to_numpy(), results.confidence)})
    table = pd.DataFrame(rows, columns=_table_columns(results))
    if table.empty:
        return table
    table["_order"] = table["scenario"].map(order)
    return table.sort_values(["_order", "point"], kind="stable").drop(columns="_order").reset_index(drop=True)


def paired_differences(results: StoredResults, baseline: str | None = None) -> pd.DataFrame:
    """Each scenario minus the baseline, paired by design point and replication (same seed)."""
    baseline = baseline or results.experiment.baseline
    data = results.ok()
    base = data[data["scenario"] == baseline]
    rows = []
    for scenario in results.labels:
        if scenario == baseline:
            continue
        other = data[data["scenario"] == scenario]
        pairs = other.merge(base, on=["point", "replication", "seed"], suffixes=("", "_base"))
        for point, group in pairs.groupby("point", sort=True):
            design = {c: group[c].iloc[0] for c in results.design_columns}
            for ref in results.metrics:
                diff = group[ref.column].to_numpy(dtype=float) - group[f"{ref.column}_base"].to_numpy(dtype=float)
                rows.append({"scenario": scenario, "baseline": baseline, "point": int(point), **design,
                             "metric": ref.column, **mean_ci(diff, results.confidence)})
    columns = _table_columns(results)
    return pd.DataFrame(rows, columns=[*columns[:1], "baseline", *columns[1:]])


def _table_columns(results: StoredResults) -> list[str]:
    """Columns of ``describe`` (``paired_differences`` adds ``baseline``), so a table with no
    rows (no run succeeded) still has them."""
    return ["scenario", "point", *results.design_columns, "metric", "n", "mean", "sd", "ci_low", "ci_high"]


def _point_means(results: StoredResults, scenario: str, column: str) -> np.ndarray:
    """Mean over replications per design point, in point order (NaN where no run succeeded)."""
    n_points = len(results.manifest["design"]["points"])
    data = results.ok()
    data = data[data["scenario"] == scenario]
    means = data.groupby("point")[column].mean()
    return means.reindex(range(n_points)).to_numpy(dtype=float)


def sobol_indices(results: StoredResults) -> pd.DataFrame:
    """First- and total-order Sobol indices (with bootstrap CIs) per scenario and metric.

    The model output at each Saltelli point is the mean over replications.  A metric with
    a missing point (a failed run) cannot be analysed and is left out.
    """
    from SALib.analyze import sobol

    design = results.manifest["design"]
    if design["type"] != "sobol":
        return pd.DataFrame()
    problem = design["problem"]
    rows = []
    for scenario in results.labels:
        for ref in results.metrics:
            y = _point_means(results, scenario, ref.column)
            if np.isnan(y).any() or np.nanstd(y) == 0:
                continue
            res = sobol.analyze(problem, y, calc_second_order=design["second_order"], num_resamples=BOOTSTRAP_RESAMPLES,
                                conf_level=results.confidence, seed=design["seed"])
            for i, name in enumerate(problem["names"]):
                rows.append({"scenario": scenario, "metric": ref.column, "parameter": name,
                             "S1": float(res["S1"][i]), "S1_conf": float(res["S1_conf"][i]),
                             "ST": float(res["ST"][i]), "ST_conf": float(res["ST_conf"][i])})
    return pd.DataFrame(rows)


def morris_indices(results: StoredResults) -> pd.DataFrame:
    """Morris elementary-effect statistics mu, mu* (with bootstrap CI) and sigma."""
    from SALib.analyze import morris

    design = results.manifest["design"]
    if design["type"] != "morris":
        return pd.DataFrame()
    problem = design["problem"]
    x = np.asarray(design["points"], dtype=float)
    rows = []
    for scenario in results.labels:
        for ref in results.metrics:
            y = _point_means(results, scenario, ref.column)
            if np.isnan(y).any():
                continue
            res = morris.analyze(problem, x, y, num_resamples=BOOTSTRAP_RESAMPLES, conf_level=results.confidence,
                                 num_levels=design["levels"], seed=design["seed"])
            for i, name in enumerate(problem["names"]):
                rows.append({"scenario": scenario, "metric": ref.column, "parameter": name, "mu": float(res["mu"][i]),
                             "mu_star": float(res["mu_star"][i]), "mu_star_conf": float(res["mu_star_conf"][i]),
                             "sigma": float(res["sigma"][i])})
    return pd.DataFrame(rows)


def morris_ranking(table: pd.DataFrame) -> pd.DataFrame:
    """Parameters ranked by how much they matter over all outputs at once.

    mu* has each output's own unit, so it is first divided by the largest mu* of that output
    (scenario and metric); a parameter's score is its largest relative mu* over the outputs
    (it matters if it moves any output), ties broken by the mean.  This ranking chooses the
    Sobol study's parameters (experiments/sobol_top10.yaml)."""
    if table.empty:
        return pd.DataFrame(columns=["parameter", "score", "mean_relative", "top_output"])
    t = table.copy()
    top = t.groupby(["scenario", "metric"])["mu_star"].transform("max")
    t["relative"] = np.where(top > 0, t["mu_star"] / top.where(top > 0, 1.0), 0.0)
    t["output"] = t["metric"]
    best = t.loc[t.groupby("parameter")["relative"].idxmax(), ["parameter", "relative", "output"]]
    best = best.rename(columns={"relative": "score", "output": "top_output"})
    best["mean_relative"] = best["parameter"].map(t.groupby("parameter")["relative"].mean())
    return (best.sort_values(["score", "mean_relative", "parameter"], ascending=[False, False, True])
            .reset_index(drop=True)[["parameter", "score", "mean_relative", "top_output"]])


def grid_effects(results: StoredResults) -> pd.DataFrame:
    """Per scenario, grid parameter, value and metric: n, mean, sd and CI of the runs at
    that value (pooled over the other parameters' values when there are several)."""
    data = results.ok()
    spec = results.experiment.design.parameters
    rows = []
    for scenario in results.labels:
        part = data[data["scenario"] == scenario]
        for path in results.design_columns:
            for value in dict.fromkeys(spec[path].values):
                group = part[part[path] == value]
                for ref in results.metrics:
                    rows.append({"scenario": scenario, "parameter": path, "value": value, "metric": ref.column,
                                 **mean_ci(group[ref.column].to_numpy(), results.confidence)})
    return pd.DataFrame(rows, columns=["scenario", "parameter", "value", "metric", "n", "mean", "sd", "ci_low", "ci_high"])


#: A parameter is inert when no test of its effect reaches this significance level.
INERT_ALPHA = 0.05


def inert_parameters(results: StoredResults) -> tuple[list[str], str]:
    """Design parameters whose effect on every summarised metric (in every scenario) is
    within noise, and how that was judged.

    Grid: a one-way ANOVA of the runs' values across the parameter's values (other
    parameters pooled) has p >= ``INERT_ALPHA`` for every metric.  Sobol: every total-order
    index's bootstrap interval reaches 0.  Morris: every mu* interval reaches 0.
    """
    kind = results.manifest["design"]["type"]
    params = results.design_columns
    if not params or results.ok().empty:
        return [], ""
    if kind == "grid":
        from scipy.stats import f_oneway

        data = results.ok()
        active = set()
        for path in params:
            for scenario in results.labels:
                part = data[data["scenario"] == scenario]
                for ref in results.metrics:
                    groups = [g[ref.column].dropna().to_numpy(dtype=float) for _, g in part.groupby(path)]
                    groups = [g for g in groups if g.size > 1]
                    if len(groups) < 2:
                        continue
                    if np.ptp(np.concatenate(groups)) == 0:
                        continue  # a constant metric: no effect to find
                    with np.errstate(all="ignore"):
                        p = float(f_oneway(*groups).pvalue)
                    if np.isfinite(p) and p < INERT_ALPHA:
                        active.add(path)
        how = (f"a one-way ANOVA of the runs across the parameter's values (other parameters pooled) finds no effect "
               f"at p < {INERT_ALPHA:g} on any summarised metric in any scenario")
        return [p for p in params if p not in active], how
    if kind == "sobol":
        table = sobol_indices(results)
        if table.empty:
            return [], ""
        low = table["ST"] - table["ST_conf"]
        active = set(table.loc[low > 0, "parameter"])
        return [p for p in params if p not in active], "every total-order Sobol index's bootstrap interval includes 0"
    if kind == "morris":
        table = morris_indices(results)
        if table.empty:
            return [], ""
        active = set(table.loc[table["mu_star"] - table["mu_star_conf"] > 0, "parameter"])
        return [p for p in params if p not in active], "every mu* bootstrap interval includes 0"
    return [], ""


def column_codes(column: pa.ChunkedArray) -> tuple[dict[str, int], np.ndarray]:
    """A dictionary-encoded column (as the sweep writes them) as (value -> code, codes)."""
    combined = column.combine_chunks()
    if not pa.types.is_dictionary(combined.type):
        combined = combined.dictionary_encode()
    return {v: i for i, v in enumerate(combined.dictionary.to_pylist())}, combined.indices.to_numpy(zero_copy_only=False)


class _Running:
    """Streaming mean and variance per step (Welford), so no run's series is kept."""

    def __init__(self) -> None:
        self.n = np.zeros(0)
        self.mean = np.zeros(0)
        self.m2 = np.zeros(0)

    def add(self, steps: np.ndarray, values: np.ndarray) -> None:
        size = int(steps.max()) + 1 if steps.size else 0
        if size > self.n.size:
            grow = size - self.n.size
            self.n, self.mean, self.m2 = (np.concatenate([a, np.zeros(grow)]) for a in (self.n, self.mean, self.m2))
        ok = ~np.isnan(values)
        steps, values = steps[ok], values[ok]
        self.n[steps] += 1
        delta = values - self.mean[steps]
        self.mean[steps] += delta / self.n[steps]
        self.m2[steps] += delta * (values - self.mean[steps])


def timeseries(results: StoredResults, refs: list[MetricRef]) -> pd.DataFrame:
    """Mean and CI per step of each metric, per scenario (and design point when few).

    Reads one run file at a time, only the rows needed, so memory does not depend on the
    number of runs.  Returns ``group, scenario, point, metric, step, n, mean, ci_low, ci_high``.
    """
    data = results.ok()
    n_groups = data[["scenario", "point"]].drop_duplicates().shape[0]
    pooled = n_groups > MAX_TIMESERIES_GROUPS
    acc: dict[tuple[str, int, str], _Running] = {}
    wanted = {(r.metric, r.scope): r.column for r in refs}
    for run_id, scenario, point in data[["run_id", "scenario", "point"]].itertuples(index=False):
        path = results.folder.timeseries_path(run_id)
        if not path.exists():  # a folder kept without its bulky series
            continue
        try:
            table = read_parquet_bounded(path, columns=["step", "metric", "scope", "value"])
        except (pa.ArrowException, OSError) as exc:
            raise results.folder.damaged_run(run_id, exc, results.manifest) from None
        # Rows selected by comparing small integer codes in Arrow's arrays, not strings in a
        # DataFrame: the same rows in the same order, at a fraction of the cost.
        metric_of, metric_codes = column_codes(table.column("metric"))
        scope_of, scope_codes = column_codes(table.column("scope"))
        all_steps = table.column("step").to_numpy()
        all_values = table.column("value").to_numpy()
        for (metric, scope), column in wanted.items():
            if metric not in metric_of or scope not in scope_of:
                continue
            mask = (metric_codes == metric_of[metric]) & (scope_codes == scope_of[scope])
            if not mask.any():
                continue
            key = (scenario, -1 if pooled else int(point), column)
            acc.setdefault(key, _Running()).add(all_steps[mask].astype(np.int64), all_values[mask].astype(float))
    out = []
    for (scenario, point, column), run in acc.items():
        has = run.n > 0
        steps = np.nonzero(has)[0]
        n = run.n[has]
        mean = run.mean[has]
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(run.m2[has] / (n - 1))
            half = t_quantile(0.5 + results.confidence / 2.0, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
        half = np.where(n > 1, half, np.nan)
        out.append(pd.DataFrame({"scenario": scenario, "point": point, "metric": column, "step": steps,
                                 "n": n.astype(int), "mean": mean, "ci_low": mean - half, "ci_high": mean + half}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


#: Per-step aggregates committed beside summary.csv: the time-series figures are drawn from
#: this table, so a folder without its per-run files redraws them identically.
AGGREGATE_COLUMNS = ("scenario", "point", "metric", "step", "n", "mean", "ci_low", "ci_high")
#: Significant digits kept in aggregates.csv: far below what a figure can show, and small
#: enough that the last digits a CPU's rounding can move (about 1e-9) rarely reach the file.
AGGREGATE_DIGITS = 7


def timeseries_refs(experiment: Experiment) -> list[MetricRef]:
    """Every metric a time-series figure of the experiment draws (in first-use order)."""
    refs: dict[str, MetricRef] = {}
    for spec in experiment.figure_list():
        if spec.kind == "timeseries":
            for ref in spec.metrics or experiment.summary.metrics:
                refs.setdefault(ref.column, ref)
    return list(refs.values())


def series_complete(results: StoredResults) -> bool:
    """True when every successful run still has its time series (so aggregates can be built)."""
    return all(results.folder.timeseries_path(r).exists() for r in results.ok()["run_id"])


def write_aggregates(results: StoredResults, refs: list[MetricRef]) -> Path:
    """Build the per-step aggregates of ``refs`` from the per-run files and write them."""
    table = timeseries(results, refs)
    if table.empty:
        table = pd.DataFrame(columns=list(AGGREGATE_COLUMNS))
    table = table.loc[:, list(AGGREGATE_COLUMNS)]
    path = results.folder.root / AGGREGATES
    text = table.to_csv(index=False, lineterminator="\n", float_format=f"%.{AGGREGATE_DIGITS}g")
    results.folder.write_text(AGGREGATES, text)
    return path


def read_aggregates(results: StoredResults, refs: list[MetricRef]) -> pd.DataFrame | None:
    """The stored aggregates of ``refs``, or None when the file is missing, unreadable or
    lacks one of them (then the figure cannot be drawn without the per-run files)."""
    path = results.folder.root / AGGREGATES
    if not path.is_file():
        return None
    try:
        text = read_text_bounded(path, MAX_TABLE_BYTES, "an aggregates.csv")
        table = pd.read_csv(io.StringIO(text), dtype={"scenario": str, "metric": str})
    except (UserError, ValueError, OSError, UnicodeDecodeError):
        return None
    if list(table.columns) != list(AGGREGATE_COLUMNS):
        return None
    wanted = [r.column for r in refs]
    if not set(wanted) <= set(table["metric"]):
        return None
    return table[table["metric"].isin(wanted)].reset_index(drop=True)


__all__ = ["StoredResults", "mean_ci", "grid_effects", "inert_parameters", "describe", "paired_differences", "sobol_indices", "morris_indices",
           "timeseries", "timeseries_refs", "series_complete", "write_aggregates", "read_aggregates", "AGGREGATES"]
