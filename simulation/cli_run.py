"""The ``run`` and ``validate`` sub-commands: one scenario in, one results folder out.

A run folder holds ``timeseries.csv`` (tidy: step, metric, scope, value),
``memberships.csv`` (the membership record: step, year, state, institution, change),
``scenario.resolved.yaml`` (every setting, defaults included; re-running it reproduces the
CSV byte for byte) and ``overview.png``.  The folder is assembled under a temporary name
beside its destination and renamed into place only when complete, so a failure or Ctrl-C
never leaves a half-written folder and never damages earlier results.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulation.errors import UserError, error_text

if TYPE_CHECKING:  # pandas and the scenario schema (pydantic) are imported lazily so that --help stays fast
    import pandas as pd

    from simulation.scenario import Scenario

TIMESERIES_FILE = "timeseries.csv"
MEMBERSHIPS_FILE = "memberships.csv"
RESOLVED_FILE = "scenario.resolved.yaml"
OVERVIEW_FILE = "overview.png"
#: What a run folder holds; ``--force`` replaces a folder only if it holds nothing else.
RUN_FILES = (TIMESERIES_FILE, MEMBERSHIPS_FILE, RESOLVED_FILE, OVERVIEW_FILE)
#: The summary names at most this many states per institution and kind of change.
NAMES_SHOWN = 12
DEFAULT_RUNS_DIR = Path("results") / "runs"

#: The summary's last column averages this many final steps (fewer if the run is shorter).
SUMMARY_WINDOW = 50
WORLD_METRICS = (
    "mean_tension",
    "dispute_rate",
    "conflict_rate",
    "crisis_rate",
    "mean_stability",
    "aligned_share_hegemonic",
    "aligned_share_dialogue",
)
INSTITUTION_METRICS = ("size", "member_tension", "cohesion", "autonomy", "regime_heterogeneity", "survival")
UNITS = {
    "mean_tension": "0-1",
    "dispute_rate": "per 1000 dyad-years",
    "conflict_rate": "per 1000 dyad-years",
    "crisis_rate": "per 100 state-years",
    "mean_stability": "0-1",
    "aligned_share_hegemonic": "share of states",
    "aligned_share_dialogue": "share of states",
    "size": "states",
    "member_tension": "0-1",
    "cohesion": "S-score, -1..1",
    "autonomy": "0-1",
    "regime_heterogeneity": "sd of regime",
    "survival": "1 alive, 0 dissolved",
}
#: Values at least this large, or this close to zero, are printed in scientific notation.
LARGE_VALUE = 1e5
SMALL_VALUE = 1e-3


def register(subparsers: Any) -> None:
    """Add ``run`` and ``validate`` to the top-level ``alliance-sim`` parser."""
    run = subparsers.add_parser(
        "run",
        help="run one scenario; print a summary and write timeseries.csv, memberships.csv, scenario.resolved.yaml, overview.png",
        description="Run one scenario file and write its results folder. Exit 2 on a mistake in the "
        "scenario or the options (nothing is written then).",
    )
    run.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file (see scenarios/)")
    run.add_argument("--steps", type=_non_negative_int, metavar="N", help="number of steps (years); default: the scenario's")
    run.add_argument("--seed", type=_non_negative_int, metavar="S", help="random seed; default: the scenario's")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="change one setting, e.g. --set institutions.Atlantic.params.interference=0.2 (repeatable; applied in order)",
    )
    run.add_argument("--out", metavar="DIR", help=f"results folder (default: {DEFAULT_RUNS_DIR}/<scenario name>-seed<S>/)")
    run.add_argument(
        "--force",
        action="store_true",
        help="replace the results folder if it already holds the results of a run (a folder holding any other file is never replaced)",
    )
    run.set_defaults(func=run_command)

    validate = subparsers.add_parser(
        "validate",
        help="check scenario files without running them",
        description="Check each scenario file (schema and names). Exit 0 if all are valid, 2 otherwise.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    validate.set_defaults(func=validate_command)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


# --------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    """Load, check, run, summarise and write one scenario."""
    from simulation import runner
    from simulation.finite import NonFiniteError
    from simulation.scenario_io import Override, check_scenario, load_scenario_with_source, scenario_warnings

    started = time.perf_counter()
    overrides: list[str | Override] = list(args.set)
    if args.seed is not None:
        overrides.append(Override(("seed",), args.seed, f"--seed {args.seed}"))
    if args.steps is not None:
        overrides.append(Override(("steps",), args.steps, f"--steps {args.steps}"))
    scenario, source = load_scenario_with_source(args.scenario, overrides)
    check_scenario(scenario, source)
    out = Path(args.out) if args.out else default_out_dir(scenario)
    check_out_dir(out, force=args.force)  # before the run, so a refusal costs nothing
    for warning in scenario_warnings(scenario, source):
        print(f"warning: {warning}", file=sys.stderr)

    simulated = time.perf_counter()
    try:
        table, memberships = runner.run_with_memberships(scenario)
    except NonFiniteError as exc:  # a message, not a traceback; nothing is written
        raise UserError(str(exc), file=str(args.scenario)) from None
    simulated = time.perf_counter() - simulated

    print(summary_table(table, scenario))
    print(membership_summary(memberships, scenario))
    write_run(out, table, scenario, force=args.force, memberships=memberships)
    print(f"\nwrote {out}{os.sep} ({', '.join(RUN_FILES)})")
    print(f"simulated {scenario.steps} steps in {simulated:.2f} s; wall time {time.perf_counter() - started:.2f} s")
    return 0


def default_out_dir(scenario: Scenario) -> Path:
    """``results/runs/<name>-seed<S>`` with the name made safe for a folder name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", scenario.name).strip("._") or "scenario"
    return DEFAULT_RUNS_DIR / f"{name}-seed{scenario.seed}"


def check_out_dir(out: Path, *, force: bool) -> None:
    """Refuse, before anything runs, a results folder that cannot be written or must not be
    replaced: a file; a folder holding anything but a run's files (with ``--force``) or
    anything at all (without); the current folder or one containing it; a place the
    operating system will not let us create a folder in."""
    target = Path(os.path.abspath(out))
    try:
        if os.path.lexists(target):
            if not target.is_dir():
                raise UserError(f"{out} exists and is not a folder; choose another --out")
            _check_replaceable(out, force=force)
            _probe(out, target.parent)  # the new folder is assembled beside it, then renamed
            return
        for ancestor in target.parents:  # the nearest existing folder above it
            if os.path.lexists(ancestor):
                if not ancestor.is_dir():
                    raise UserError(f"cannot create the results folder {out}: {ancestor} is a file, not a folder; choose another --out")
                _probe(out, ancestor)
                return
    except OSError as exc:
        raise _cannot_write(out, exc) from None


def _check_replaceable(out: Path, *, force: bool) -> None:
    """An existing folder may be replaced only with ``--force`` and only if it holds nothing
    but a run's files; never the current folder or one that contains it."""
    real = os.path.realpath(out)
    cwd = os.path.realpath(os.getcwd())
    if cwd == real or cwd.startswith(real.rstrip(os.sep) + os.sep):
        raise UserError(
            f"{out} is the current folder or contains it, and a results folder is replaced as a whole; "
            f"choose a folder of its own with --out, e.g. --out {Path(out) / 'run'}"
        )
    entries = sorted(out.iterdir(), key=lambda p: p.name)
    if not entries:
        return
    foreign = [p.name for p in entries if p.name not in RUN_FILES or p.is_symlink() or not p.is_file()]
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise UserError(
            f"{out} holds files that are not results of a run ({shown}); it is never replaced, even with --force "
            f"(only a folder holding nothing but {', '.join(RUN_FILES)} is); choose another folder with --out"
        )
    if not force:
        raise UserError(f"{out} already holds results; add --force to replace them, or choose another folder with --out")


def _probe(out: Path, folder: Path) -> None:
    """Make sure a folder can be created in ``folder`` (permissions, read-only or virtual file
    systems) by creating and removing an empty hidden one."""
    probe = _new_sibling(folder / out.name, "probe")
    try:
        probe.mkdir()
    except OSError as exc:
        raise UserError(f"cannot create the results folder {out}: cannot write in {folder} ({exc.strerror or exc}); choose another --out") from None
    probe.rmdir()


def _cannot_write(out: Path, exc: OSError) -> UserError:
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else ""
    return UserError(f"cannot write the results folder {out}: {exc.strerror or exc}{where}; choose another --out")


def tidy_timeseries(table: pd.DataFrame) -> pd.DataFrame:
    """The time series in its stored form: the four columns, fixed dtypes, sorted by step,
    metric and scope, so equal runs give equal bytes."""
    from simulation.runner import TIMESERIES_COLUMNS

    df = table.loc[:, list(TIMESERIES_COLUMNS)].copy()
    df["step"] = df["step"].astype("int64")
    df["metric"] = df["metric"].astype(str)
    df["scope"] = df["scope"].astype(str)
    df["value"] = df["value"].astype("float64")
    return df.sort_values(["step", "metric", "scope"], kind="stable").reset_index(drop=True)


def write_timeseries(table: pd.DataFrame, path: Path) -> None:
    """Write the tidy CSV; floats use Python's shortest exact form, so they read back equal."""
    tidy_timeseries(table).to_csv(path, index=False, lineterminator="\n", float_format=None)


def write_memberships(memberships: pd.DataFrame, path: Path) -> None:
    """Write the membership record as CSV, in event order (``year`` empty without a calendar)."""
    from simulation.record import MEMBERSHIP_COLUMNS

    memberships.loc[:, list(MEMBERSHIP_COLUMNS)].to_csv(path, index=False, lineterminator="\n")


def write_run(out: Path, table: pd.DataFrame, scenario: Scenario, *, force: bool, memberships: pd.DataFrame | None = None) -> None:
    """Write the result files into ``out``, atomically (see module docstring); the membership
    record and its panel only when ``memberships`` is given."""
    from simulation.overview import plot_overview
    from simulation.scenario_io import dump_resolved

    shown, out = out, Path(os.path.abspath(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = _new_sibling(out, "partial")
        partial.mkdir()
    except OSError as exc:
        raise _cannot_write(shown, exc) from None
    try:
        write_timeseries(table, partial / TIMESERIES_FILE)
        if memberships is not None:
            write_memberships(memberships, partial / MEMBERSHIPS_FILE)
        (partial / RESOLVED_FILE).write_text(dump_resolved(scenario, relative_to=out), encoding="utf-8")
        plot_overview(tidy_timeseries(table), partial / OVERVIEW_FILE, _figure_title(scenario), memberships=memberships)
        _move_into_place(partial, out, shown, force=force)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise _cannot_write(shown, exc) from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _new_sibling(out: Path, label: str) -> Path:
    """A hidden, unused name beside ``out`` (same file system, so renaming is atomic)."""
    base = out.parent / f".{out.name}.{label}-{os.getpid()}"
    candidate, n = base, 0
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def _move_into_place(partial: Path, out: Path, shown: Path, *, force: bool) -> None:
    """Rename the finished folder to ``out``; an old ``out`` is set aside first and deleted
    only after the new one is in place (and restored if that rename fails)."""
    if not os.path.lexists(out):
        os.rename(partial, out)
        return
    if not out.is_dir():
        raise UserError(f"{shown} exists and is not a folder; choose another --out")
    _check_replaceable(shown, force=force)  # the folder may have filled while we were running
    old = _new_sibling(out, "old")
    os.rename(out, old)
    try:
        os.rename(partial, out)
    except BaseException:
        os.rename(old, out)
        raise
    if old.is_symlink():  # --out named a link to a folder: the link is replaced, its folder kept
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)


def _figure_title(scenario: Scenario) -> str:
    kinds = ", ".join(f"{name} ({inst.kind})" for name, inst in scenario.institutions.items()) or "no institutions"
    return f"{scenario.name} — seed {scenario.seed}, {scenario.steps} steps — {kinds}"


def _states(scenario: Scenario) -> str:
    """'60 states', or '7 states (+4 entering later)' when enter events name new states."""
    from simulation.scenario import EnterEvent
    from simulation.world import GENERATED_NAME

    g = scenario.world.generate.count
    known = {s.name for s in scenario.world.states} | {GENERATED_NAME.format(i + 1) for i in range(g)}
    n = g + len(scenario.world.states)
    later = {e.state for e in scenario.events if isinstance(e, EnterEvent)} - known
    return f"{n} states" + (f" (+{len(later)} entering later)" if later else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _fmt(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if float(value).is_integer() and abs(value) < LARGE_VALUE:
        return str(int(value))
    if abs(value) >= LARGE_VALUE or abs(value) < SMALL_VALUE:
        return f"{value:.3e}"
    return f"{value:.3f}"


def summary_table(table: pd.DataFrame, scenario: Scenario) -> str:
    """A fixed-width table of key metrics: at step 0, at the last step, and their mean over
    the last ``SUMMARY_WINDOW`` steps (world first, then each institution)."""
    df = tidy_timeseries(table)
    last = int(df["step"].max()) if len(df) else 0
    first_in_window = max(1, last - min(SUMMARY_WINDOW, last) + 1) if last > 0 else 0
    window = df[df["step"] >= first_in_window]
    indexed = df.set_index(["metric", "scope", "step"])["value"]
    means = window.groupby(["metric", "scope"])["value"].mean()

    headers = ("", "unit", "step 0", f"step {last}", f"mean {first_in_window}-{last}")
    rows: list[tuple[str, ...] | str] = []

    def block(title: str, scope: str, metrics: tuple[str, ...]) -> None:
        rows.append(title)
        for metric in metrics:
            if (metric, scope) not in means.index:
                continue
            start = indexed.get((metric, scope, 0), math.nan)
            end = indexed.get((metric, scope, last), math.nan)
            rows.append((f"  {metric}", UNITS.get(metric, ""), _fmt(start), _fmt(end), _fmt(means[(metric, scope)])))

    block("world", "world", WORLD_METRICS)
    for name, inst in scenario.institutions.items():
        block(f"{name} ({inst.kind})", name, INSTITUTION_METRICS)

    cells = [headers, *(r for r in rows if isinstance(r, tuple))]
    widths = [max(len(c[i]) for c in cells) for i in range(len(headers))]

    def line(cols: tuple[str, ...]) -> str:
        return "  ".join([cols[0].ljust(widths[0]), cols[1].ljust(widths[1]), *(c.rjust(w) for c, w in zip(cols[2:], widths[2:]))]).rstrip()

    n_states = _states(scenario)
    out = [
        f"{scenario.name}: {n_states}, {_count(len(scenario.institutions), "institution")}, {scenario.steps} steps, seed {scenario.seed}",
        "",
        line(headers),
        "-" * len(line(headers)),
    ]
    for r in rows:
        out.append(line(r) if isinstance(r, tuple) else r)
    return "\n".join(out)


def _names(states: list[str]) -> str:
    shown = ", ".join(states[:NAMES_SHOWN])
    return shown + (f" and {len(states) - NAMES_SHOWN} more" if len(states) > NAMES_SHOWN else "")


def membership_summary(memberships: pd.DataFrame, scenario: Scenario) -> str:
    """Who joined and who left each institution after step 0 (founding members are not
    joiners), and when institutions were founded or dissolved; states that entered or exited."""
    later = memberships[memberships["step"] > 0]
    calendar = scenario.history is not None

    def when(step: int) -> str:
        return f"in {scenario.history.start_year + step}" if calendar else f"at step {step}"

    out = ["", "memberships (after step 0)"]
    for name in scenario.institutions:
        rows = later[later["institution"] == name]
        joined = list(dict.fromkeys(rows.loc[rows["change"] == "join", "state"]))
        left = list(dict.fromkeys(rows.loc[rows["change"] == "leave", "state"]))
        notes = []
        for change, verb in (("found", "founded"), ("dissolve", "dissolved")):
            notes += [f"{verb} {when(int(s))}" for s in rows.loc[rows["change"] == change, "step"]]
        out.append(f"  {name}{' (' + ', '.join(notes) + ')' if notes else ''}")
        out.append(f"    joined: {_count(len(joined), 'state')}{': ' + _names(joined) if joined else ''}")
        out.append(f"    left:   {_count(len(left), 'state')}{': ' + _names(left) if left else ''}")
    for change, verb in (("enter", "entered"), ("exit", "exited")):
        states = list(dict.fromkeys(later.loc[later["change"] == change, "state"]))
        if states:
            out.append(f"  {verb} the world: {_count(len(states), 'state')}: {_names(states)}")
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------


def validate_command(args: argparse.Namespace) -> int:
    """Check each file; report every problem, not just the first file's."""
    from simulation.scenario_io import check_scenario, load_scenario_with_source, scenario_warnings

    failed = 0
    for file in args.files:
        try:
            scenario, source = load_scenario_with_source(file)
            check_scenario(scenario, source)
        except UserError as exc:
            print(error_text(exc), file=sys.stderr)
            failed += 1
            continue
        for warning in scenario_warnings(scenario, source):
            print(f"warning: {warning}", file=sys.stderr)
        n_states = _states(scenario)
        print(f"ok {file} ({n_states}, {_count(len(scenario.institutions), 'institution')}, {scenario.steps} steps)")
    return 2 if failed else 0
