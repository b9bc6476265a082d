"""YAML loading that remembers where each key is, so errors can name the line.

PyYAML's ``safe_load`` forgets positions; composing the node tree first keeps them.
Duplicate keys are rejected here (PyYAML would silently keep the last one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulation.errors import UserError

KeyPath = tuple[Any, ...]


def load_yaml_with_lines(path: str | Path) -> tuple[Any, dict[KeyPath, int]]:
    """Parse ``path`` and return ``(data, lines)``; ``lines`` maps key paths to 1-based lines."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError("file not found; expected an existing YAML file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the file ({exc}); expected a UTF-8 YAML file", file=str(path)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"invalid YAML: {problem}; expected well-formed YAML", file=str(path), line=line) from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines, str(path))
    return data, lines


def _walk(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int], file: str) -> None:
    lines.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise UserError("duplicate key; expected each key once", file=file,
                                line=key_node.start_mark.line + 1, path=_dotted(prefix + (key,)))
            seen.add(key)
            lines[prefix + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, prefix + (key,), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, prefix + (index,), lines, file)


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
