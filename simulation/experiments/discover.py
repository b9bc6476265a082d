"""``alliance-sim discover``: under which parameter ranges does a condition hold?

Scenario discovery (Bryant and Lempert 2010) on a sweep's ``summary.csv`` (one row per
run with its design values), so it works on a committed folder without per-run files.
Each run is a case of interest when ``--where`` holds for it.  PRIM (the EMA Workbench's
``prim.Prim``) peels the design space towards boxes dense in such cases; CART
(``cart.CART``) gives a second view; extra-trees feature scores
(``feature_scoring.get_ex_feature_scores``) rank every design parameter on each metric.

The chosen PRIM box is the densest box on the peeling trajectory whose coverage is at
least ``MIN_COVERAGE`` (a box that explains at most half of the cases is not an answer).
Written to ``discover/<name>/``: ``peeling.csv`` and ``peeling.png``, ``box.csv`` (limits,
with each limit's quasi-p value), ``box.md``, ``cart.csv``, ``feature_scores.csv`` and
``feature_scores.png``.  The EMA Workbench is an optional extra (``pip install
'alliance-sim[discover]'``).
"""

from __future__ import annotations


import math
import operator
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import UserError
from simulation.results import Results, open_results

#: The chosen box is the densest one with at least this coverage.
MIN_COVERAGE = 0.5
#: PRIM settings: the EMA Workbench's defaults (peel 5% per step, boxes of at least 5% of runs).
PEEL_ALPHA, MASS_MIN = 0.05, 0.05
#: Extra-trees settings: fixed seed, so the scores (and the committed example) are reproducible.
TREES, TREES_SEED = 100, 20240601
OPERATORS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq, "!=": operator.ne}
_CLAUSE = re.compile(r"^\s*(\S+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Clause:
    left: str
    op: str
    right: str


def parse_condition(text: str) -> list[Clause]:
    """``'a < 2 and b@X >= c@Y'`` as clauses (``UserError`` when it does not parse)."""
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip()):
        match = _CLAUSE.match(part)
        if not match:
            raise UserError(f"expected a condition like 'dispute_rate < 2' (metric, one of {' '.join(OPERATORS)}, a number or "
                            f"metric; clauses joined by 'and'), got {part!r}", path="--where")
        clauses.append(Clause(*match.groups()))
    return clauses


def _side(token: str, table: pd.DataFrame, metrics: list[str]) -> pd.Series | float:
    try:
        return float(token)
    except ValueError:
        pass
    if token not in metrics:
        raise UserError(f"unknown metric {token!r}; expected one of the summary metrics: {', '.join(metrics)}", path="--where")
    return table[token].astype(float)


def evaluate(clauses: list[Clause], table: pd.DataFrame, metrics: list[str]) -> np.ndarray:
    """True per row where every clause holds (a NaN metric never meets a clause)."""
    held = np.ones(len(table), dtype=bool)
    for c in clauses:
        left, right = _side(c.left, table, metrics), _side(c.right, table, metrics)
        if isinstance(left, float) and isinstance(right, float):
            raise UserError(f"expected a clause naming a metric, got {c.left} {c.op} {c.right}", path="--where")
        held &= np.asarray(OPERATORS[c.op](left, right), dtype=bool) & ~np.isnan(np.asarray(left - right, dtype=float))
    return held


def default_name(text: str) -> str:
    """A folder name from the condition: ``dispute_rate@Concord < dispute_rate@Atlantic`` ->
    ``dispute_rate-Concord-lt-dispute_rate-Atlantic``."""
    words = {"<=": "le", ">=": "ge", "<": "lt", ">": "gt", "==": "eq", "!=": "ne"}
    out = re.sub(r"(<=|>=|==|!=|<|>)", lambda m: f" {words[m.group(1)]} ", text)
    return re.sub(r"[^A-Za-z0-9_.]+", "-", out).strip("-")


def _workbench():
    import warnings

    try:
        with warnings.catch_warnings():  # its optional cluster back-ends warn on import; none is used here
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import cart, feature_scoring, prim
    except ImportError:
        raise UserError("needs the EMA Workbench; expected it installed: pip install 'alliance-sim[discover]' "
                        "(or pip install ema-workbench==3.0.0)") from None
    return prim, cart, feature_scoring


@dataclass
class Discovery:
    """What discover found (also written to files)."""

    n_runs: int
    n_cases: int
    peeling: pd.DataFrame
    chosen: int
    box: pd.DataFrame
    cart: pd.DataFrame
    scores: pd.DataFrame


def inputs(results: Results, where: str, scenario: str | None) -> tuple[pd.DataFrame, np.ndarray]:
    """The design values (floats) and the case-of-interest flag of each successful run."""
    if not results.design_columns:
        raise UserError("has no design (its experiment varies no parameter); expected the results of a grid, "
                        "Morris or Sobol sweep", file=str(results.root))
    clauses = parse_condition(where)
    table = results.summary
    table = table[table["status"] == "ok"]
    if scenario is not None:
        known = list(dict.fromkeys(results.summary["scenario"]))
        if scenario not in known:
            raise UserError(f"unknown scenario {scenario!r}; expected one of {', '.join(known)}", path="--scenario")
        table = table[table["scenario"] == scenario]
    y = evaluate(clauses, table, results.metrics)
    if not y.any() or y.all():
        which = "no run meets" if not y.any() else f"every run ({len(y)}) meets"
        raise UserError(f"{which} the condition {where!r}; expected one that splits the runs (nothing to discover)",
                        path="--where")
    # PRIM under pandas 3 refuses integer columns; design values are numbers, so floats are exact
    x = table.loc[:, results.design_columns].astype(float).reset_index(drop=True)
    return x, y


def discover(results: Results, where: str, scenario: str | None = None) -> Discovery:
    """Run PRIM, CART and feature scoring; nothing is written."""
    prim, cart, feature_scoring = _workbench()
    x, y = inputs(results, where, scenario)
    import warnings

    with warnings.catch_warnings():  # the workbench's own pandas deprecations, not the user's concern
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        finder = prim.Prim(x, y, peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN)
        box = finder.find_box()
    peeling = box.peeling_trajectory.loc[:, ["id", "coverage", "density", "mass", "res_dim", "n", "k"]].copy()
    eligible = peeling[peeling["coverage"] >= MIN_COVERAGE]
    chosen = int(eligible.sort_values(["density", "coverage"], ascending=False, kind="stable").iloc[0]["id"])
    box.select(chosen)
    limits = box.box_lims[chosen]
    initial = box.box_lims[0]
    qp = box.p_values[chosen]
    rows = []
    for column in results.design_columns:
        restricted = not (limits.at[0, column] == initial.at[0, column] and limits.at[1, column] == initial.at[1, column])
        q = qp.get(column, [math.nan, math.nan])
        rows.append({"parameter": column, "low": float(limits.at[0, column]), "high": float(limits.at[1, column]),
                     "range_low": float(initial.at[0, column]), "range_high": float(initial.at[1, column]),
                     "restricted": restricted,
                     "qp_low": _qp(q[0]), "qp_high": _qp(q[1])})
    box_table = pd.DataFrame(rows)
    box_table.attrs.update(coverage=float(box.coverage), density=float(box.density), mass=float(box.mass))
    tree = cart.CART(x, y, mass_min=MASS_MIN)
    tree.build_tree()
    cart_rows = []
    for i, (lims, stats) in enumerate(zip(tree.boxes, tree.stats)):
        for column in results.design_columns:
            cart_rows.append({"leaf": i, "parameter": column, "low": float(lims.at[0, column]), "high": float(lims.at[1, column]),
                              "coverage": float(stats["coverage"]), "density": float(stats["density"]), "mass": float(stats["mass"])})
    scores = _feature_scores(feature_scoring, x, y, results, scenario)
    return Discovery(len(y), int(y.sum()), peeling, chosen, box_table, pd.DataFrame(cart_rows), scores)


def _qp(value: float) -> float:
    """The workbench marks an unrestricted limit with -1: that is 'not tested', NaN here."""
    value = float(value)
    return math.nan if value < 0 else value


def _feature_scores(feature_scoring, x: pd.DataFrame, y: np.ndarray, results: Results, scenario: str | None) -> pd.DataFrame:
    """Extra-trees scores of every design parameter on the condition and on each metric."""
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

    table = results.summary
    table = table[table["status"] == "ok"]
    if scenario is not None:
        table = table[table["scenario"] == scenario]
    targets = {"condition": (y.astype(int), RuleInductionType.CLASSIFICATION)}
    for metric in results.metrics:
        values = table[metric].to_numpy(dtype=float)
        if np.isfinite(values).all() and np.std(values) > 0:
            targets[metric] = (values, RuleInductionType.REGRESSION)
    out = {}
    for name, (target, mode) in targets.items():
        scores, _ = feature_scoring.get_ex_feature_scores(x, target, mode=mode, nr_trees=TREES, random_state=TREES_SEED)
        out[name] = scores.iloc[:, 0]
    return pd.DataFrame(out).reindex(results.design_columns)


def write(found: Discovery, folder: Path, where: str, results: Results, scenario: str | None) -> None:
    """The files of one discovery (``folder`` is made new)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from simulation.experiments.figures import STYLE, _save

    folder.mkdir(parents=True)
    found.peeling.to_csv(folder / "peeling.csv", index=False, lineterminator="\n", float_format="%.6g")
    found.box.to_csv(folder / "box.csv", index=False, lineterminator="\n", float_format="%.6g")
    found.cart.to_csv(folder / "cart.csv", index=False, lineterminator="\n", float_format="%.6g")
    found.scores.rename_axis("parameter").to_csv(folder / "feature_scores.csv", lineterminator="\n", float_format="%.4f")
    with rc_context(STYLE):
        fig = Figure(figsize=(5.6, 4.2), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        points = ax.scatter(found.peeling["coverage"], found.peeling["density"], c=found.peeling["res_dim"], cmap="viridis", s=18)
        pick = found.peeling[found.peeling["id"] == found.chosen]
        ax.scatter(pick["coverage"], pick["density"], s=120, facecolors="none", edgecolors="red", label=f"chosen box {found.chosen}")
        ax.set_xlabel("coverage (share of the cases of interest inside the box)")
        ax.set_ylabel("density (share of the box's runs that are cases)")
        ax.legend(fontsize=7)
        fig.colorbar(points, ax=ax).set_label("restricted parameters")
        where_text = f" ({scenario})" if scenario else ""
        fig.suptitle(f"PRIM peeling trajectory{where_text}: {where}\n{found.n_cases} of {found.n_runs} runs meet it", fontsize=9)
        _save(fig, folder, "peeling")
        scores = found.scores
        fig = Figure(figsize=(2.4 + 0.9 * scores.shape[1], 2.2 + 0.45 * scores.shape[0]), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        image = ax.imshow(scores.to_numpy(dtype=float), cmap="viridis", aspect="auto", vmin=0)
        ax.set_xticks(range(scores.shape[1]), list(scores.columns), rotation=35, ha="right")
        ax.set_yticks(range(scores.shape[0]), list(scores.index))
        ax.grid(False)
        for (i, j), value in np.ndenumerate(scores.to_numpy(dtype=float)):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color="white" if value < scores.max().max() / 2 else "black")
        fig.colorbar(image, ax=ax).set_label("feature score")
        scope = f", {scenario}" if scenario else ""
        fig.suptitle(f"Extra-trees feature scores of each design parameter\non the condition and each metric ({found.n_runs} runs{scope})",
                     fontsize=9)
        _save(fig, folder, "feature_scores")
    (folder / "box.md").write_text(box_markdown(found, where, results, scenario), encoding="utf-8")


def box_markdown(found: Discovery, where: str, results: Results, scenario: str | None) -> str:
    attrs = found.box.attrs
    lines = [f"# Scenario discovery: `{where}`", "",
             f"Results: `{results.experiment.name}`" + (f", scenario `{scenario}`" if scenario else "") +
             f"; {found.n_cases} of {found.n_runs} runs meet the condition.", "",
             f"PRIM box {found.chosen} of {len(found.peeling)} on the peeling trajectory (the densest with coverage "
             f">= {MIN_COVERAGE:g}): coverage {attrs['coverage']:.3f}, density {attrs['density']:.3f}, "
             f"mass {attrs['mass']:.3f}.", "",
             "| parameter | box | full range | quasi-p (low, high) |", "|---|---|---|---|"]
    for _, r in found.box.iterrows():
        if not r["restricted"]:
            continue
        q = ", ".join("–" if not np.isfinite(v) else f"{v:.2g}" for v in (r["qp_low"], r["qp_high"]))
        lines.append(f"| {r['parameter']} | [{r['low']:.4g}, {r['high']:.4g}] | [{r['range_low']:.4g}, {r['range_high']:.4g}] | {q} |")
    lines += ["", "Quasi-p: one-sided binomial test that the limit raises the density (Bryant and Lempert 2010); "
              "below 0.05 the limit matters. Unrestricted parameters are not listed.", "",
              "Files: peeling.csv/png (trajectory), box.csv (all limits), cart.csv (CART leaves), "
              "feature_scores.csv/png (extra trees).", ""]
    return "\n".join(lines)


def discover_command(root: str, where: str, *, scenario: str | None = None, name: str | None = None, out: str | None = None) -> int:
    results = open_results(root)
    found = discover(results, where, scenario)  # every input check happens before anything is written
    target = Path(out) if out is not None else results.root / "discover" / (name or default_name(where))
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        shutil.rmtree(work)
        write(found, work, where, results, scenario)
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    attrs = found.box.attrs
    print(f"{found.n_cases}/{found.n_runs} runs meet {where!r}; PRIM box {found.chosen}: coverage {attrs['coverage']:.3f}, "
          f"density {attrs['density']:.3f}", file=sys.stderr)
    for _, r in found.box[found.box["restricted"]].iterrows():
        print(f"  {r['parameter']}: [{r['low']:.4g}, {r['high']:.4g}]", file=sys.stderr)
    print(f"written: {target}", file=sys.stderr)
    return 0



