"""``python -m simulation``: the same command line as ``alliance-sim``."""

from simulation.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
