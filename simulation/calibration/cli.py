"""The ``calibrate`` sub-command of ``alliance-sim`` (pyabc is imported only when it runs)."""

from __future__ import annotations

import argparse
from typing import Any

EXECUTORS = ("serial", "processes", "dask")


def register(subparsers: Any) -> None:
    """Add ``calibrate`` to the top-level parser."""
    cal = subparsers.add_parser(
        "calibrate",
        help="fit scenario parameters to the historical record with ABC-SMC (pyabc)",
        description="Run the ABC-SMC calibration of a calibration file and write results/<name>/ "
        "(posterior.csv, generations.csv, overlay.yaml, figures/, manifest.json, abc.db). "
        "Exit 0 when done, 2 on a mistake in the input files (before any run starts).",
    )
    cal.add_argument("calibration", help="calibration YAML file (see docs/calibration.md)")
    cal.add_argument("--out", metavar="DIR", help="results folder (default: results/<name>)")
    cal.add_argument("--executor", choices=EXECUTORS, default=None,
                     help="where particles are evaluated (default: serial; dask when --scheduler/--scheduler-file is given). "
                     "The posterior is the same with every executor and worker count")
    cal.add_argument("--workers", type=int, default=None, help="worker processes for 'processes' or a local dask cluster (default: one per core)")
    where = cal.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDR", help="address of a running dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--scheduler-file", metavar="F", help="dask scheduler file")
    mode = cal.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="continue from the last finished generation in the folder's abc.db")
    mode.add_argument("--force", action="store_true", help="delete the calibration already in the folder and start again")
    cal.set_defaults(func=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    from simulation.errors import UserError

    try:
        from simulation.calibration.run import calibrate_command
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "pyabc":
            raise UserError("pyabc is not installed; expected the 'calibrate' extra: pip install -e '.[calibrate]'") from None
        raise
    executor = args.executor or ("dask" if (args.scheduler or args.scheduler_file) else "serial")
    return calibrate_command(args.calibration, out=args.out, executor=executor, workers=args.workers, scheduler=args.scheduler,
                             scheduler_file=args.scheduler_file, resume=args.resume, force=args.force)
