"""The ``alliance-sim`` command line.

Sub-commands live in their own modules and register themselves here (``run``/``validate`` in
``simulation.cli_run``; ``sweep``/``report``/``reproduce`` in ``simulation.experiments.cli``; ``calibrate`` in
``simulation.calibration.cli``; ``app`` in ``simulation.app.cli``).
A user's mistake arrives as ``UserError`` and becomes one line on stderr with exit code 2,
never a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from simulation import __version__, cli_run
from simulation.app import cli as app_cli
from simulation.calibration import cli as calibration_cli
from simulation.errors import UserError, error_text
from simulation.experiments import cli as experiments_cli

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # the shell's code for a process ended by Ctrl-C (128 + SIGINT)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="alliance-sim",
        description="Agent-based simulation of states under hegemonic alliances and sovereign dialogue platforms.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_run.register(subparsers)
    experiments_cli.register(subparsers)
    calibration_cli.register(subparsers)
    app_cli.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (0 ok, 2 user mistake, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors (argparse exits 2)
        return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
    try:
        return int(args.func(args))
    except UserError as exc:
        print(error_text(exc), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
