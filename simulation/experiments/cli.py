"""The ``sweep``, ``report``, ``reproduce``, ``export`` and ``discover`` sub-commands of ``alliance-sim``.

Heavy modules are imported inside the handlers so that ``alliance-sim --help`` and the
other sub-commands stay fast.  Exit codes: 0 success; 1 some runs failed (``sweep``) or
results differ (``reproduce``); 2 a user mistake (raised as ``UserError``); 130 interrupted.
"""

from __future__ import annotations

import argparse
from typing import Any

EXECUTORS = ("serial", "processes", "dask")


def register(subparsers: Any) -> None:
    """Add the experiment sub-commands to the top-level ``alliance-sim`` parser."""
    sweep = subparsers.add_parser(
        "sweep",
        help="run an experiment file (scenarios x design x replications) into a results folder",
        description="Run every run of an experiment and store the results in results/<name>/ "
        "(manifest.json, runs/*.parquet, summary.csv, figures/, report.md). "
        "Exit 0 when every run succeeded, 1 when some failed (they are recorded; "
        "rerun them with --resume), 2 on a mistake in the input files.",
    )
    sweep.add_argument("experiment", help="experiment YAML file (see docs/experiments.md)")
    sweep.add_argument("--executor", choices=EXECUTORS, default=None,
                       help="where runs execute (default: processes; dask when --scheduler/--scheduler-file is given)")
    sweep.add_argument("--workers", type=int, default=None,
                       help="worker processes for 'processes' or a local dask cluster (default: one per core)")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDR", help="address of a running dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--scheduler-file", metavar="F", help="dask scheduler file (as written by dask-jobqueue / dask-scheduler --scheduler-file)")
    mode = sweep.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="run only the runs missing (or failed) in an existing results folder")
    mode.add_argument("--force", action="store_true", help="delete the results already in the folder and start again")
    sweep.add_argument("--out", metavar="DIR", help="results folder (default: results/<experiment name>)")
    sweep.set_defaults(func=_sweep)

    report = subparsers.add_parser(
        "report",
        help="rebuild summary.csv, figures and report.md from a results folder",
        description="Rebuild summary.csv, figures/ and report.md from the stored runs; never runs the model.",
    )
    report.add_argument("results", help="results folder written by 'alliance-sim sweep'")
    report.set_defaults(func=_report)

    reproduce = subparsers.add_parser(
        "reproduce",
        help="re-run recorded runs and compare with the stored results",
        description="Re-run the first K successful runs recorded in the manifest (all by default) and compare "
        "them with the stored results: each run is identical, within tolerance (continuous values within --rtol, "
        "counts equal) or different. Prints one verdict line; exit 0 when no run is different, 1 otherwise. "
        "--statistical instead re-runs a sample of replications and checks each summary mean against its CI.",
    )
    reproduce.add_argument("results", help="results folder written by 'alliance-sim sweep'")
    reproduce.add_argument("--runs", type=int, default=None, metavar="K", help="number of runs to re-run (the first K in the manifest's order)")
    reproduce.add_argument("--workers", type=int, default=1, help="worker processes (default 1: serial)")
    reproduce.add_argument("--rtol", type=float, default=None, metavar="R",
                           help="relative tolerance on continuous values (default 1e-6; counts must be equal)")
    reproduce.add_argument("--verbose", action="store_true", help="list every run with its level and largest differences")
    reproduce.add_argument("--statistical", action="store_true",
                           help="re-run a sample of replications and check each summary mean lies within the stored CI")
    reproduce.add_argument("--sample", type=int, default=None, metavar="K",
                           help="replications re-run per scenario and design point by --statistical (default 10)")
    reproduce.set_defaults(func=_reproduce)

    export = subparsers.add_parser(
        "export",
        help="write every run of a results folder as one tidy dataset (and the run summary)",
        description="Write the per-run time series as one tidy table (run_id, scenario, point, design values by "
        "label, replication, seed, step, metric, scope, value), partitioned by scenario, and summary.parquet "
        "(one row per run with its design values). Streams one run at a time.",
    )
    export.add_argument("results", help="results folder written by 'alliance-sim sweep'")
    export.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="output format (default parquet)")
    export.add_argument("--out", metavar="PATH", help="output folder (default: RESULTS/export)")
    export.set_defaults(func=_export)

    discover = subparsers.add_parser(
        "discover",
        help="scenario discovery: PRIM and CART boxes of the design parameters where a condition holds",
        description="Find the ranges of the design parameters under which a condition on the summary metrics holds "
        "(PRIM, with CART as a second view, and extra-trees feature scores), from summary.csv. Needs the "
        "optional extra: pip install 'alliance-sim[discover]'. Writes discover/<name>/.",
    )
    discover.add_argument("results", help="results folder written by 'alliance-sim sweep' (summary.csv is enough)")
    discover.add_argument("--where", required=True, metavar="COND",
                          help="condition on summary metrics, e.g. 'dispute_rate < 2' or "
                          "'dispute_rate@Concord < dispute_rate@Atlantic'; clauses joined by 'and'")
    discover.add_argument("--scenario", metavar="S", help="only the runs of this scenario (default: every run)")
    discover.add_argument("--name", help="sub-folder name under discover/ (default: from the condition)")
    discover.add_argument("--out", metavar="DIR", help="output folder (default: RESULTS/discover/<name>)")
    discover.set_defaults(func=_discover)


def _sweep(args: argparse.Namespace) -> int:
    from simulation.experiments.sweep import sweep_command

    return sweep_command(
        args.experiment,
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        scheduler_file=args.scheduler_file,
        resume=args.resume,
        force=args.force,
        out=args.out,
    )


def _report(args: argparse.Namespace) -> int:
    from simulation.experiments.report import report_command

    return report_command(args.results)


def _export(args: argparse.Namespace) -> int:
    from simulation.experiments.export import export_command

    return export_command(args.results, args.out, args.format)


def _discover(args: argparse.Namespace) -> int:
    from simulation.experiments.discover import discover_command

    return discover_command(args.results, args.where, scenario=args.scenario, name=args.name, out=args.out)


def _reproduce(args: argparse.Namespace) -> int:
    from simulation.experiments.reproduce import reproduce_command

    from simulation.experiments.reproduce import DEFAULT_RTOL, DEFAULT_SAMPLE

    return reproduce_command(args.results, runs=args.runs, workers=args.workers, verbose=args.verbose, statistical=args.statistical,
                             rtol=DEFAULT_RTOL if args.rtol is None else args.rtol,
                             sample=DEFAULT_SAMPLE if args.sample is None else args.sample)
