"""``alliance-sim app [SCENARIO] [--port N] [--host H]``: serve the browser app.

The scenario is checked first (a mistake exits 2 with the usual one-line message); then the
process becomes ``python -m solara run simulation.app.page`` (``exec``: signals reach the
server directly), in production mode, without telemetry, with the front-end files from the
installed ``solara-assets`` (no internet needed), and with ``SERVER_ENV``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from simulation.errors import UserError

DEFAULT_PORT = 8765
DEFAULT_HOST = "localhost"
NEEDED = ("solara", "solara_assets", "mesa.visualization")

#: How the server renders and sends, unless the environment says otherwise (docs/performance.md,
#: the app): after each step SolaraViz re-renders the panels, and
#: - ``REACTON_FAST=1`` (reacton's fast renderer) reconciles only the components that changed,
#:   where the default renderer walks and re-assigns every widget of the page (about a hundred,
#:   most of them the sidebar's controls);
#: - ``SOLARA_SERVER_SYNC_WS_WRITE=true`` writes each message to the websocket from the thread
#:   that renders, instead of handing every message to the event loop and waiting for it.
SERVER_ENV = {"REACTON_FAST": "1", "SOLARA_SERVER_SYNC_WS_WRITE": "true"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("app", help="serve the browser app (watch, move the rules, swap them)",
                              description="Serve the browser app for a scenario (default scenarios/two_blocs.yaml).")
    p.add_argument("scenario", nargs="?", default=None, help="scenario file to open first")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.set_defaults(func=app_command)


def app_command(args: argparse.Namespace) -> int:
    missing = [m for m in NEEDED if importlib.util.find_spec(m.split(".")[0]) is None]
    if missing:
        raise UserError(f"the app needs {', '.join(missing)}; install the app extra: pip install -e '.[app]'")
    from simulation.app.source import DEFAULT_SCENARIO, ScenarioText

    ScenarioText.from_file(args.scenario or DEFAULT_SCENARIO).checked()  # messages name the file as typed
    path = os.path.abspath(args.scenario) if args.scenario else str(DEFAULT_SCENARIO)
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port: expected a port number from 0 to 65535, got {args.port}")
    env = {**SERVER_ENV, **os.environ, "ALLIANCE_SIM_APP_SCENARIO": path, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false"}
    argv = [sys.executable, "-m", "solara", "run", "simulation.app.page", "--production", "--no-open",
            "--port", str(args.port), "--host", args.host]
    print(f"serving {path} at http://{args.host}:{args.port}/ (Ctrl-C stops)", file=sys.stderr, flush=True)
    os.execve(sys.executable, argv, env)
    return 0  # not reached
