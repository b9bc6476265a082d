"""alliance-sim: states under hegemonic internal-control alliances and sovereign dialogue platforms."""

__version__ = "0.1.0"
