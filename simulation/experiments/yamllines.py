"""Experiment files as YAML with line numbers, and pydantic errors turned into messages.

Reading is shared with scenario files (``simulation.scenario_io.read_yaml_mapping``), so both
refuse the same unsafe or ambiguous YAML in the same words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.errors import UserError
from simulation.scenario_io import ScenarioSource, read_yaml_mapping

EXPERIMENT_DOCUMENT = ("an experiment", "name, scenarios, replications, seed, summary")

KeyPath = tuple[Any, ...]


def load_yaml_with_lines(path: str | Path) -> tuple[Any, dict[KeyPath, int]]:
    """Parse ``path`` and return ``(data, lines)``; ``lines`` maps key paths to 1-based lines.

    The same safe reader as scenario files (``scenario_io.read_yaml_mapping``): unsafe tags,
    duplicate keys and self-referring aliases are refused with the line.
    """
    source = ScenarioSource(file=str(path))
    data = read_yaml_mapping(Path(path), source, EXPERIMENT_DOCUMENT)
    return data, source.lines


def line_of(lines: dict[KeyPath, int], loc: KeyPath) -> int | None:
    """The line of the longest prefix of ``loc`` present in the file (a missing key: its parent)."""
    for end in range(len(loc), -1, -1):
        key = tuple(loc[:end])
        if key in lines:
            return lines[key]
    return None


def _dotted(loc: KeyPath) -> str:
    return ".".join(str(part) for part in loc) if loc else "(top level)"


def validation_error(exc: ValidationError, file: str, lines: dict[KeyPath, int]) -> UserError:
    """Turn the first pydantic error into a ``UserError`` naming file, line, key path, expectation."""
    err = exc.errors(include_url=False)[0]
    # Drop the tags pydantic adds for unions / discriminators; they are not keys in the file.
    loc = tuple(part for part in err["loc"] if not (isinstance(part, str) and (part.startswith("function-") or "[" in part)))
    kind = err["type"]
    if kind == "missing":
        message = "missing key; expected it to be given"
    elif kind == "extra_forbidden":
        message = "unknown key; expected one of the documented keys (see docs/experiments.md)"
    else:
        got = err.get("input")
        shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
        text = err["msg"].removeprefix("Value error, ")
        message = text if text.startswith("expected") else f"expected: {text}"
        message += shown
    more = len(exc.errors()) - 1
    if more:
        message += f" [and {more} more problem{'s' if more > 1 else ''}]"
    return UserError(message, file=file, line=line_of(lines, loc), path=_dotted(loc))
