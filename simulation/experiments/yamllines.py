"""Experiment files as YAML with line numbers, and pydantic errors turned into messages.

Reading is shared with scenario files (``simulation.scenario_io.read_yaml_mapping``), so both
refuse the same unsafe or ambiguous YAML in the same words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.errors import UserError, several
from simulation.scenario_io import ScenarioSource, read_yaml_mapping

EXPERIMENT_DOCUMENT = ("an experiment", "name, scenarios, replications, seed, summary")

KeyPath = tuple[Any, ...]
#: A value given is quoted in a message when its text is at most this long.
MAX_SHOWN = 80


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


def file_loc(loc: KeyPath, data: Any, kind: str = "") -> KeyPath:
    """The part of a pydantic location that is keys and indices of the file.

    Pydantic adds tags that are not keys (union members such as ``bool`` or ``str``,
    ``[key]``, ``function-after[...]``), and locations below a value a validator rewrote (a
    metric written as ``crisis_rate@``); walking the data keeps only what the file holds.
    A missing key is kept (the file cannot hold it, but it is what is missing)."""
    if data is None:
        return tuple(part for part in loc if not (isinstance(part, str) and (part.startswith("function-") or "[" in part)))
    out: list[Any] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node and not isinstance(part, bool):
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and not isinstance(part, bool) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif kind == "missing" and index == len(loc) - 1 and isinstance(node, dict):
            out.append(part)
        # else: a tag pydantic added, or a part inside a value given in a short form
    return tuple(out)


#: What a type error expected, in words (several of them: a value matching none of a union).
_KINDS = {
    "bool": "true or false", "int": "a whole number", "float": "a number", "string": "text", "list": "a list",
    "dict": "a mapping", "model": "a mapping", "model_attributes": "a mapping", "none": "null",
}


def _kind_expected(kind: str) -> str | None:
    for suffix in ("_type", "_parsing", "_from_float", "_fractional_part"):
        if kind.endswith(suffix):
            return _KINDS.get(kind[: -len(suffix)])
    return None


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def plain_message(err: dict[str, Any]) -> tuple[str, bool]:
    """A pydantic error in plain words (``expected ...``) and whether to show the value given."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "missing key; expected it to be given", False
    if kind == "extra_forbidden":
        return "unknown key; expected one of the documented keys (see docs/experiments.md)", False
    if kind == "experiment_check":  # written for the file already (schema.problem)
        return err["msg"], False
    if err["loc"] and err["loc"][-1] == "[key]":
        return "expected a dotted path (text) as the key", True
    if kind in ("int_from_float", "int_fractional_part"):
        return "expected a whole number", True
    expected = _kind_expected(kind)
    if expected is not None:
        return f"expected {expected}", True
    whole = any(isinstance(ctx.get(k), int) and not isinstance(ctx.get(k), bool) for k in ("ge", "gt", "le", "lt"))
    what = "a whole number" if whole else "a number"
    if kind == "less_than":
        return f"expected {what} below {_number(ctx['lt'])}", True
    if kind == "less_than_equal":
        return f"expected {what} of at most {_number(ctx['le'])}", True
    if kind == "greater_than":
        return f"expected {what} above {_number(ctx['gt'])}", True
    if kind == "greater_than_equal":
        return f"expected {what} of at least {_number(ctx['ge'])}", True
    if kind == "finite_number":
        return "expected a finite number", True
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return ("expected at least one item" if n == 1 else f"expected at least {n} items"), True
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} items", True
    if kind == "string_too_short":
        return "expected a non-empty text", True
    if kind == "string_pattern_mismatch":
        return "expected a name of letters, digits, '_', '.' and '-', starting with a letter or digit", True
    if kind in ("literal_error", "enum"):
        return f"expected one of {ctx.get('expected')}", True
    text = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if text.startswith("expected"):
        return text, True
    return f"expected a valid value ({text[:1].lower()}{text[1:]})", True


def validation_error(exc: ValidationError, file: str, lines: dict[KeyPath, int], data: Any = None) -> UserError:
    """Turn a pydantic error into a ``UserError`` naming file, line, key path, expectation,
    one line per problem (``simulation.errors.several``).

    ``data`` (the parsed file) turns pydantic's locations into key paths of the file.  A check
    that knows better where the problem is (a cross-check between keys) passes the key path
    relative to its model in the error context as ``at``.  The errors pydantic reports for one
    value of a union (one per member type) are one problem: a value of none of those types.
    """
    located: list[tuple[KeyPath, dict[str, Any]]] = []
    for err in exc.errors(include_url=False):
        loc = file_loc(tuple(err["loc"]), data, err["type"])
        at = (err.get("ctx") or {}).get("at")
        if at:
            loc = (*loc, *at)
        located.append((loc, err))
    problems: dict[KeyPath, list[dict[str, Any]]] = {}
    for loc, err in located:
        problems.setdefault(loc, []).append(err)
    return several([_one_problem(loc, errs, file, lines) for loc, errs in problems.items()])


def _one_problem(loc: KeyPath, same: list[dict[str, Any]], file: str, lines: dict[KeyPath, int]) -> UserError:
    err = same[0]
    if len(same) > 1 and all(_kind_expected(e["type"]) for e in same):
        kinds = list(dict.fromkeys(_kind_expected(e["type"]) for e in same))
        message, show = f"expected {', '.join(kinds[:-1])} or {kinds[-1]}", True
    else:
        message, show = plain_message(err)
    got = err.get("input")
    if show and not isinstance(got, dict) and not (err.get("ctx") or {}).get("at") and len(repr(got)) <= MAX_SHOWN:
        message += f" (got {got!r})"
    return UserError(message, file=file, line=line_of(lines, loc), path=_dotted(loc))
