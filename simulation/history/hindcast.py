"""A results folder scored against the record: ``scores.csv``, figures and a report section.

Reads only what a sweep stores: the manifest, the resolved scenarios (``scenarios/<label>.yaml``,
with their distance files), each run's membership record (``memberships/<run_id>.parquet``)
and the observed table named by the experiment's ``observed:`` block.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.errors import UserError
from simulation.history import baselines, disputes, record, scores

SCORES_CSV = "scores.csv"


class SelectionError(Exception):
    """An institution list that does not fit the record or the scenarios; ``at`` is the
    key path below ``observed`` it is about."""

    def __init__(self, message: str, *at: Any):
        super().__init__(message)
        self.message, self.at = message, at


def select_institutions(wanted: list[str] | None, in_scenarios: list[str], in_record: set[str], record_name: str) -> list[str]:
    """The institutions to score: those listed (each must be in the record and in a
    scenario), or every institution of the scenarios that the record has."""
    if wanted is None:
        chosen = [i for i in in_scenarios if i in in_record]
        if not chosen:
            raise SelectionError(f"no institution of the scenarios ({', '.join(in_scenarios) or 'none'}) is in the record {record_name} "
                                 f"(it has {', '.join(sorted(in_record))}); expected a record of at least one of them")
        return chosen
    for index, name in enumerate(wanted):
        if name not in in_record:
            raise SelectionError(f"{name!r} is not in the record {record_name}; expected one of {sorted(in_record)}", "institutions", index)
        if name not in in_scenarios:
            raise SelectionError(f"no scenario has an institution {name!r}; expected one of {in_scenarios}", "institutions", index)
    return list(dict.fromkeys(wanted))


def scenario_institutions(scenarios: dict[str, dict[str, Any]]) -> list[str]:
    """Institution names of the scenarios, in order of first appearance."""
    return list(dict.fromkeys(name for data in scenarios.values() for name in (data.get("institutions") or {})))


def check_observed(source: Any, scenarios: dict[str, dict[str, Any]]) -> list[str]:
    """Check an experiment's ``observed:`` block before anything runs (``UserError`` at the
    line of the key); return the institutions that will be scored ([] without the block)."""
    observed = source.experiment.observed
    if observed is None:
        return []
    path = (source.path.parent / observed.memberships).resolve()
    if path.is_dir() or not path.exists():  # anything else is read within the limits (a FIFO, a device: refused)
        what = "is a folder" if path.is_dir() else "not found"
        raise source.error(f"observed memberships file {what}: {path}; expected a CSV (institution, year, state, ccode), relative to "
                           "the experiment file", "observed", "memberships")
    try:
        table = record.read_observed(path)
    except UserError as exc:
        raise source.error(f"the record {exc}", "observed", "memberships") from None
    if observed.disputes is not None:
        dpath = (source.path.parent / observed.disputes).resolve()
        if dpath.is_dir() or not dpath.exists():
            what = "is a folder" if dpath.is_dir() else "not found"
            raise source.error(f"observed disputes file {what}: {dpath}; expected a CSV ({', '.join(disputes.OBSERVED_COLUMNS)}), "
                               "relative to the experiment file", "observed", "disputes")
        try:
            disputes.read_observed_disputes(dpath)
        except UserError as exc:
            raise source.error(f"the dispute record {exc}", "observed", "disputes") from None
    try:
        return select_institutions(observed.institutions, scenario_institutions(scenarios), set(table["institution"]), str(path))
    except SelectionError as exc:
        raise source.error(exc.message, "observed", *exc.at) from None


# ---- the start-year world (features of the logistic baseline) -------------------------

def _distance_table(path: Path) -> dict[tuple[str, str], float]:
    """The scenario's distance file (``a,b,km``), read within ``MAX_DISTANCE_FILE_BYTES`` from a
    regular file (``UserError`` naming it otherwise)."""
    from simulation.scenario_io import MAX_DISTANCE_FILE_BYTES, read_csv_bounded

    table = read_csv_bounded(path, MAX_DISTANCE_FILE_BYTES, "a distance CSV (a,b,km)", dtype={"a": str, "b": str})
    missing = [c for c in ("a", "b", "km") if c not in table.columns]
    if missing:
        raise UserError(f"missing columns {missing}; expected a distance CSV with columns a,b,km", file=str(path), line=1)
    return {(a, b): float(km) for a, b, km in zip(table["a"], table["b"], table["km"])}


def start_world(data: dict[str, Any], scenario_dir: Path) -> baselines.StartWorld:
    """Capabilities and regimes of the listed states (and of entering states, from their
    ``enter`` events), and capital distances (the distance file, else the locations)."""
    world = data.get("world") or {}
    capability, regime, location = {}, {}, {}
    for spec in world.get("states") or ():
        capability[spec["name"]] = float(spec["capability"])
        regime[spec["name"]] = float(spec["regime"])
        if spec.get("location") is not None:
            location[spec["name"]] = tuple(map(float, spec["location"]))
    total = float(sum(capability.values())) if capability else math.nan
    for event in data.get("events") or ():
        if event.get("kind") == "enter" and event.get("state") not in capability:
            capability[event["state"]] = float(event.get("capability", math.nan))
            regime[event["state"]] = float(event.get("regime", math.nan))
            if event.get("location") is not None:
                location[event["state"]] = tuple(map(float, event["location"]))
    pairs: dict[tuple[str, str], float] = {}
    if world.get("distance_file"):
        path = Path(world["distance_file"])
        path = Path(os.path.normpath(path if path.is_absolute() else scenario_dir / path))
        if os.path.lexists(path):  # gone (a clone without the data): the locations give the distances
            pairs = _distance_table(path)

    def distance(a: str, b: str) -> float:
        if pairs:
            return pairs.get((a, b), pairs.get((b, a), math.nan))
        if a in location and b in location:
            return float(math.dist(location[a], location[b]))
        return math.nan

    return baselines.StartWorld(capability, regime, distance, total)


def scenario_states(data: dict[str, Any]) -> set[str]:
    """Named states of a scenario: listed ones and those entering by event."""
    names = {s["name"] for s in (data.get("world") or {}).get("states") or ()}
    return names | {e["state"] for e in data.get("events") or () if e.get("kind") == "enter" and e.get("state")}


# ---- scoring a results folder ----------------------------------------------------------

@dataclass
class Scored:
    """One scenario entry x institution: its score rows and what the figures draw."""

    scenario: str
    institution: str
    rows: list[dict[str, Any]]
    years: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    observed_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    simulated_sizes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    persistence_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    accession: scores.Accession | None = None


@dataclass
class HindcastScores:
    record_path: Path
    record_sha256: str
    scored: list[Scored]
    runs_without_record: int
    disputes: list[disputes.DisputeScored] = field(default_factory=list)
    disputes_path: Path | None = None
    runs_without_series: int = 0

    def frame(self) -> pd.DataFrame:
        rows = [{"scenario": s.scenario, "institution": s.institution, **r} for s in self.scored for r in s.rows]
        rows += [{"scenario": d.scenario, "institution": d.scope, **r} for d in self.disputes for r in d.rows]
        return scores.scores_frame(rows)


def _empty(scenario: str, institution: str, note: str) -> Scored:
    rows = [{"score": name, "model": np.nan, "baseline_persistence": np.nan, "baseline_logistic": np.nan,
             "better_than_baselines": scores.UNDEFINED, "observed": np.nan, "note": note} for name in scores.SCORES]
    return Scored(scenario, institution, rows)


def record_path(root: Path, manifest: dict[str, Any], memberships: str) -> Path:
    """The observed table: relative to the experiment file, which the manifest names relative to the results folder."""
    experiment = Path(os.path.normpath(os.path.join(str(root), manifest["experiment"]["file"])))
    return Path(os.path.normpath(experiment.parent / memberships))


def score_results(root: Path, manifest: dict[str, Any], experiment: Any) -> HindcastScores | None:
    """Score every scenario entry (and design point) and institution of a results folder;
    None when the experiment names no record."""
    if experiment.observed is None:
        return None
    root = Path(root)
    path = record_path(root, manifest, experiment.observed.memberships)
    observed = record.read_observed(path)
    from simulation.experiments.store import read_resolved_scenario  # within the limits of any scenario file

    datas = {label: read_resolved_scenario(root / entry["resolved"]) for label, entry in manifest["scenarios"].items()}
    try:
        institutions = select_institutions(experiment.observed.institutions, scenario_institutions(datas), set(observed["institution"]), str(path))
    except SelectionError as exc:
        raise UserError(exc.message, file=str(root / "manifest.json"), path=".".join(("experiment.settings.observed", *map(str, exc.at)))) from None
    first_year, last_year = int(observed["year"].min()), int(observed["year"].max())
    dpath = record_path(root, manifest, experiment.observed.disputes) if experiment.observed.disputes else None
    observed_disputes = disputes.read_observed_disputes(dpath) if dpath else None
    n_points = len(manifest["design"]["points"])
    missing = missing_series = 0
    scored: list[Scored] = []
    disputed: list[disputes.DisputeScored] = []
    for label, data in datas.items():
        for point in range(n_points):
            name = label if n_points == 1 else f"{label}-p{point:04d}"
            runs = [r for r in manifest["runs"] if r["scenario"] == label and r["point"] == point and r["status"] == "ok"]
            records = [record.read_memberships(root, r["run_id"]) for r in runs]
            missing += sum(x is None for x in records)
            records = [x for x in records if x is not None]
            here = [i for i in institutions if i in (data.get("institutions") or {})]
            if not records:
                scored += [_empty(name, i, "no membership records (memberships/<run_id>.parquet) for these runs") for i in here]
                continue
            start = next((s for s in map(record.calendar_start, records) if s is not None), None)
            if start is None:
                start = (data.get("history") or {}).get("start_year")
            if start is None:
                scored += [_empty(name, i, "no calendar: the scenario has no history.start_year, so its years cannot meet the record's") for i in here]
                continue
            steps = int(runs[0]["design"].get("steps", data.get("steps", 0)))
            years = np.arange(start, start + steps + 1)
            compared = np.array([t for t in range(1, steps + 1) if first_year <= years[t] <= last_year], dtype=int)
            if compared.size == 0:
                note = f"no years to compare: the runs cover {years[0]}..{years[-1]}, the record {first_year}..{last_year}"
                scored += [_empty(name, i, note) for i in here]
                continue
            if observed_disputes is not None:
                here_all = [i for i in (data.get("institutions") or {})]
                got, lost = disputes.score_entry(name, root, [r["run_id"] for r in runs], here_all, int(start), steps, observed_disputes)
                disputed += got
                missing_series += lost
            absent = record.absent_states(records[0], start, steps)
            universe = frozenset(scenario_states(data) | set(s for x in records for s in x["state"] if s))
            world = start_world(data, (root / manifest["scenarios"][label]["resolved"]).parent)
            for institution in here:
                obs = record.observed_path(observed, institution, years)
                paths = tuple(record.replay(x, institution, start, steps) for x in records)
                h = scores.Hindcast(institution, obs, paths, absent, universe, compared)
                begin = scores.start_members(obs)
                acc = scores.accession(h, begin, world)
                rows = scores.score_hindcast(h, begin, world, acc)
                scored.append(Scored(name, institution, rows, years[compared], obs.sizes()[compared],
                                     np.array([p.sizes()[compared] for p in paths]),
                                     baselines.persistence_path(obs, begin).sizes()[compared], acc))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return HindcastScores(path, digest, scored, missing, disputed, dpath, missing_series)


# ---- report ------------------------------------------------------------------------------

def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:.3g}"


def _sentence(s: Scored) -> str:
    """How far the model is from the record, in words, for one institution of one entry."""
    by = {r["score"]: r for r in s.rows}
    if s.simulated_sizes.size == 0 or s.years.size == 0:
        return f"- **{s.institution}** (`{s.scenario}`): not scored ({by['size_rmse']['note']})."
    last = int(s.years[-1])
    mean_end = float(s.simulated_sizes[:, -1].mean())
    obs_end = float(s.observed_sizes[-1])
    parts = [f"the model ends {last} with {mean_end:.3g} members on average against {obs_end:.0f} in the record "
             f"(size RMSE {_num(by['size_rmse']['model'])} members over {s.years.size} years; the record lies inside the "
             f"5–95% band of runs in {by['size_coverage90']['model']:.0%} of years)"]
    ex = by["exits_per_decade"]
    parts.append(f"{_num(ex['model'])} member exits per decade against {_num(ex['observed'])} in the record")
    auc = by["join_auc"]
    if np.isfinite(auc["model"]):
        parts.append(f"it ranks the states that joined by {s.accession.end_year if s.accession else last} with AUC {_num(auc['model'])} "
                     f"(persistence {_num(auc['baseline_persistence'])}, in-sample logistic {_num(auc['baseline_logistic'])})")
    wins = sum(r["better_than_baselines"] == scores.YES for r in s.rows)
    defined = sum(r["better_than_baselines"] != scores.UNDEFINED for r in s.rows)
    parts.append(f"it beats the baselines on {wins} of {defined} comparable scores")
    return f"- **{s.institution}** (`{s.scenario}`): " + "; ".join(parts) + "."


def _dispute_sentence(d: disputes.DisputeScored) -> str:
    by = {r["score"]: r for r in d.rows}
    mean = by["dispute_rate_mean"]
    if not d.years.size:
        return f"- disputes, **{d.scope}** (`{d.scenario}`): not scored ({mean['note']})."
    ratio = mean["model"] / mean["observed"] if mean["observed"] else np.nan
    return (f"- disputes, **{d.scope}** (`{d.scenario}`): {_num(mean['model'])} onsets per 1000 dyad-years on average against "
            f"{_num(mean['observed'])} in the record over {d.years.size} years ({d.years[0]}–{d.years[-1]}; ratio {_num(ratio)}); "
            f"the record lies inside the 5–95% band of runs in {by['dispute_rate_coverage90']['model']:.0%} of years.")


def report_section(result: HindcastScores, root: Path, drawn: list[Any]) -> str:
    """The report's "Against the record" section."""
    table = result.frame()
    rel = os.path.relpath(result.record_path, root)
    header = ["scenario", "institution", "score", "model", "persistence", "logistic (in-sample baseline)", "better than baselines"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for _, r in table.iterrows():
        lines.append("| " + " | ".join([r["scenario"], r["institution"], r["score"], _num(r["model"]), _num(r["baseline_persistence"]),
                                        _num(r["baseline_logistic"]), r["better_than_baselines"]]) + " |")
    text = [
        "## Against the record",
        f"Record: `{rel}` (sha256 `{result.record_sha256[:16]}…`). Scores and baselines are defined in docs/history.md "
        f"(\"Scores\", \"Baselines\"); every value, the record's exits and the notes are in [`{SCORES_CSV}`]({SCORES_CSV}). "
        "The logistic baseline is fitted on the states it predicts: an in-sample baseline, a floor to clear rather than a forecast.",
        "\n".join(_sentence(s) for s in result.scored),
    ]
    if result.disputes:
        drel = os.path.relpath(result.disputes_path, root) if result.disputes_path else "?"
        text.append(f"Dispute onset rates against `{drel}` (GML MID v2.0, 1946–2010; docs/history.md, \"Dispute rates\"):\n\n"
                    + "\n".join(_dispute_sentence(d) for d in result.disputes))
    text.append("\n".join(lines))
    if result.runs_without_series:
        text.append(f"{result.runs_without_series} successful run(s) have no time series file and are left out of the dispute scores.")
    if result.runs_without_record:
        text.append(f"{result.runs_without_record} successful run(s) wrote no membership record and are left out of the scores.")
    text += [f"![{d.caption}](figures/{d.stem}.png)\n\n*{d.caption}* ([SVG](figures/{d.stem}.svg))" for d in drawn]
    return "\n\n".join(text)


def write_scores(result: HindcastScores, root: Path) -> None:
    """scores.csv, floats in their shortest exact form (identical bytes for identical numbers)."""
    from simulation.experiments.worker import atomic_write

    table = result.frame()
    text = table.to_csv(index=False, lineterminator="\n", float_format=None, na_rep="")
    atomic_write(Path(root) / SCORES_CSV, text.encode("utf-8"))


def against_the_record(root: Path, manifest: dict[str, Any], experiment: Any) -> str:
    """Score the folder, write scores.csv and the figures; return the report section ("" without an ``observed:`` block)."""
    from simulation.history import figures

    result = score_results(Path(root), manifest, experiment)
    if result is None:
        return ""
    write_scores(result, Path(root))
    drawn = figures.draw(result, Path(root) / "figures", experiment.name)
    section = report_section(result, Path(root), drawn)
    if experiment.observed.targets is not None:
        from simulation.experiments.worker import atomic_write
        from simulation.history import targets

        table = targets.evaluate(result.scored, experiment.observed.targets)
        atomic_write(Path(root) / targets.TARGETS_CSV, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        section = "\n\n".join([section, targets.section(table)])
    return section


__all__ = ["SCORES_CSV", "HindcastScores", "Scored", "against_the_record", "check_observed", "score_results", "select_institutions",
           "start_world"]
