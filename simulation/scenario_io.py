"""Reading and writing scenario files: YAML in, a validated ``Scenario`` out, and back.

Everything a user can get wrong in a scenario file is caught here, at the edge, and turned
into one ``ScenarioError`` whose message names the file, the line, the key path and what was
expected (``scenarios/x.yaml:12: institutions.Atlantic.params.interference: expected a number
between 0 and 1 (got 2)``).  To keep line numbers, the YAML is first *composed* into a node
tree (which records where every key sits) and only then constructed into plain Python data
with PyYAML's safe constructor; any tag the safe constructor does not know (``!!python/...``)
is refused before anything is built.

Command-line overrides (``--set a.b.c=VALUE``) are applied to the raw data before validation,
in the order given, so the schema checks them exactly like values written in the file.
"""

from __future__ import annotations

import difflib
import math
import os
import stat
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
import yaml
from yaml.composer import Composer
from yaml.resolver import Resolver
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from simulation import __version__
from simulation.errors import ScenarioError, UserError, error_groups, several
from simulation.scenario import Scenario

__all__ = [
    "Override",
    "ScenarioSource",
    "load_scenario",
    "load_scenario_with_source",
    "load_scenario_text",
    "scenario_from_dict",
    "apply_overrides",
    "with_overrides",
    "dump_resolved",
    "check_scenario",
    "scenario_warnings",
]

KeyPath = tuple[str | int, ...]

#: Longest shown form of an offending value in a message; longer values are cut with "...".
MAX_SHOWN_VALUE = 60

#: Example shown when a ``--set`` argument is malformed.
SET_EXAMPLE = "institutions.Atlantic.params.interference=0.2"

#: Limits on every YAML text read (scenario and experiment files, ``--set`` values); each is
#: a row of docs/limits.md.  A file over a limit is refused with a message before it is
#: built, so a hostile file costs neither time nor memory.
MAX_YAML_BYTES = 10 * 1024 * 1024
#: Deepest nesting of lists and mappings (a scenario needs 6).
MAX_YAML_DEPTH = 40
#: Values (scalars, lists, mappings; keys count) in a document with every alias expanded.
#: Aliases and merge keys are allowed (long files share blocks with them), but an alias
#: bomb (a few lines that expand to billions of values) is refused while it is read.
MAX_YAML_NODES = 500_000
#: Longest ``--set`` value, in characters.
MAX_SET_CHARS = 100_000
#: Largest ``world.distance_file`` (a CSV of one line per pair of states).
MAX_DISTANCE_FILE_BYTES = 64 * 1024 * 1024
#: Largest observed record read by a hindcast or a calibration (memberships: one line per
#: member per year; dispute rates: one per year and scope).  The shipped ones are 8-33 KB.
MAX_OBSERVED_FILE_BYTES = 64 * 1024 * 1024
#: Most states in a world (listed plus generated), whatever the memory.
MAX_STATES = 10_000
#: Memory a world needs: a base (the interpreter and libraries) plus this much per pair of
#: states (the dyadic matrices: tension, proximity, baselines, temporaries).  Measured peak:
#: 39 bytes per pair at 1,000 to 4,000 states; the margin covers other platforms.
WORLD_BASE_BYTES = 200 * 1024 * 1024
WORLD_BYTES_PER_PAIR = 48
#: Above this size a YAML syntax error is described by the fast C parser's words only
#: (re-reading with the pure-Python parser for its friendlier words would take too long).
_FRIENDLY_ERROR_BYTES = 1024 * 1024

_YAML_PREFIX = "tag:yaml.org,2002:"
#: The C parser when PyYAML has it (50x faster; reading a 10 MB file stays a few seconds).
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Tags PyYAML's safe constructor builds (plain values, lists, mappings, and the ``<<`` merge
#: key, which it resolves itself); everything else is refused.
_SAFE_TAGS = frozenset({*(t for t in yaml.SafeLoader.yaml_constructors if t is not None), _YAML_PREFIX + "merge"})


# --------------------------------------------------------------------------------------
# Where things come from: lines in the file, values from the command line
# --------------------------------------------------------------------------------------


# (what a scenario file holds, example keys), for messages about the file as a whole.
SCENARIO_DOCUMENT = ("a scenario", "name, steps, world, institutions")


@dataclass(frozen=True)
class Override:
    """One value set from outside the file: ``path`` (keys and list indices), ``value``, and
    ``origin``, the text shown in messages (``--set steps=5``) so the user knows where a bad
    value came from."""

    path: KeyPath
    value: Any
    origin: str


@dataclass
class ScenarioSource:
    """Where a scenario came from: the file name shown in messages, the line of every key
    path, and which paths were set by overrides.  Kept so errors found later (when the model
    resolves state names) can still point at a line."""

    file: str
    lines: dict[KeyPath, int] = field(default_factory=dict)
    overrides: list[Override] = field(default_factory=list)
    base_dir: Path | None = None

    def key_path(self, dotted: str | KeyPath | None) -> KeyPath:
        """Turn ``"events.2.step"`` into ``("events", 2, "step")`` as keyed in the file."""
        if dotted is None:
            return ()
        if isinstance(dotted, tuple):
            return dotted
        out: list[str | int] = []
        for part in dotted.split(".") if dotted else []:
            if (*out, part) not in self.lines and part.lstrip("-").isdigit() and (*out, int(part)) in self.lines:
                out.append(int(part))
            else:
                out.append(part)
        return tuple(out)

    def line_of(self, path: KeyPath) -> int | None:
        """Line of ``path``, or of its nearest enclosing key that the file writes."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def error(self, message: str, path: str | KeyPath | None) -> ScenarioError:
        """A ``ScenarioError`` for ``path``: with its line, or naming the override that set it."""
        kp = self.key_path(path)
        line = self.line_of(kp) if kp else None  # a whole-scenario problem has no single line
        for ov in reversed(self.overrides):  # the last override of a path is the one that counts
            if kp[: len(ov.path)] == ov.path:
                return ScenarioError(f"{message} (from {ov.origin})", file=self.file, path=_dotted(kp) or None)
        related = [ov.origin for ov in self.overrides if kp and ov.path[: len(kp)] == kp]
        if related:
            message = f"{message} (after {', '.join(related)})"
        return ScenarioError(message, file=self.file, line=line, path=_dotted(kp) or None)


def _dotted(path: KeyPath) -> str:
    return ".".join("null" if p is None else "''" if p == "" else str(p) for p in path)


# --------------------------------------------------------------------------------------
# Reading YAML safely, keeping line numbers
# --------------------------------------------------------------------------------------


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_PREFIX) :] if tag.startswith(_YAML_PREFIX) else tag


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """A short description and the 1-based line of a PyYAML error."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{context}: {problem}" if context else problem
    if "\\t" in text or "\t" in text:
        text += " (indent with spaces, not tabs)"
    elif "mapping values are not allowed" in text or "could not find expected ':'" in text:
        text += " (check the indentation and that each 'key: value' has a space after the colon)"
    return text, line


#: Stands for a mapping key that is not a plain value (a list or mapping used as a key).
_NO_KEY = object()


def _index_nodes(root: yaml.Node, source: ScenarioSource) -> None:
    """Record the line of every key path; refuse unsafe tags, duplicate keys and cycles."""

    def visit(node: yaml.Node, path: KeyPath, active: set[int]) -> None:
        source.lines.setdefault(path, node.start_mark.line + 1)
        if node.tag not in _SAFE_TAGS:
            raise ScenarioError(
                f"the tag {_show_tag(node.tag)} is not allowed; a scenario file holds only plain values, lists and mappings",
                file=source.file,
                line=node.start_mark.line + 1,
                path=_dotted(path) or None,
            )
        if id(node) in active:
            raise ScenarioError("an alias refers to itself (*name inside &name)", file=source.file, line=node.start_mark.line + 1, path=_dotted(path) or None)
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                visit(item, (*path, i), active | {id(node)})
        elif isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag not in _SAFE_TAGS:
                    visit(key_node, path, active)  # raises with the tag's line
                key: Any = key_node.value if isinstance(key_node, yaml.ScalarNode) else _NO_KEY
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _YAML_PREFIX + "int":
                    key = int(key_node.value)
                elif isinstance(key_node, yaml.ScalarNode) and key_node.tag == _YAML_PREFIX + "null":
                    key = None  # "null:", "~:" or an empty key: kept as None, so its line is known
                line = key_node.start_mark.line + 1
                if key is not _NO_KEY and key in seen and key != "<<":
                    raise ScenarioError(f"the key {key!r} appears twice (first on line {seen[key]})", file=source.file, line=line, path=_dotted((*path, key)))
                if key is not _NO_KEY:
                    seen[key] = line
                    source.lines[(*path, key)] = line
                visit(value_node, (*path, key) if key is not _NO_KEY else path, active | {id(node)})

    visit(root, (), set())


def _checked_events(text: str, file: str, what: str, *, line_offset: int = 0) -> Iterator[yaml.Event]:
    """The parser's events, refusing on the way a document nested deeper than
    ``MAX_YAML_DEPTH`` or whose aliases expand to more than ``MAX_YAML_NODES`` values.  The
    composer consumes them as they come (aliases stay references there), so a hostile
    document is refused before its tree is complete.  Cost: linear in the text, whatever
    the aliases."""
    sizes: dict[str, int] = {}  # expanded size of each anchored node
    open_sizes: list[int] = []  # expanded size so far of each open list or mapping
    open_anchors: list[str | None] = []
    total = 0

    def add(n: int, line: int) -> None:
        nonlocal total
        total += n
        if open_sizes:
            open_sizes[-1] += n
        if total > MAX_YAML_NODES:
            raise ScenarioError(
                f"{what} holds more than {MAX_YAML_NODES:,} values once its aliases (*name) are expanded; expected a smaller "
                "document (aliases that expand without bound are refused; see docs/limits.md)",
                file=file, line=line + line_offset)

    for event in yaml.parse(text, Loader=_FAST_LOADER):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(open_sizes) >= MAX_YAML_DEPTH:
                raise ScenarioError(f"lists and mappings nested more than {MAX_YAML_DEPTH} levels deep; expected at most "
                                    f"{MAX_YAML_DEPTH} levels (see docs/limits.md)", file=file, line=line + line_offset)
            add(1, line)
            open_sizes.append(0)
            open_anchors.append(event.anchor)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            inner = open_sizes.pop()
            anchor = open_anchors.pop()
            if anchor is not None:
                sizes[anchor] = inner + 1
        elif isinstance(event, yaml.ScalarEvent):
            add(1, line)
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            add(sizes.get(event.anchor, 1), line)
        yield event


class _EventComposer(Composer, Resolver):
    """PyYAML's composer fed from an event iterator (``_checked_events``) instead of its own
    parser: one pass over the text, checked and composed together."""

    def __init__(self, events: Iterator[yaml.Event]):
        self._events = events
        self._next: yaml.Event | None = next(events, None)
        Composer.__init__(self)
        Resolver.__init__(self)

    def check_event(self, *choices: type) -> bool:
        return self._next is not None and (not choices or isinstance(self._next, choices))

    def peek_event(self) -> yaml.Event | None:
        return self._next

    def get_event(self) -> yaml.Event | None:
        event, self._next = self._next, next(self._events, None)
        return event


def _compose(text: str, file: str, what: str) -> yaml.Node | None:
    """One YAML document composed within the limits (``_checked_events``)."""
    return _EventComposer(_checked_events(text, file, what)).get_single_node()


def _syntax_error(exc: yaml.YAMLError, text: str, source: ScenarioSource) -> ScenarioError:
    """A YAML syntax error as a message with its line.  The C parser finds it; for a file of
    ordinary size the pure-Python parser re-reads it, for its clearer words."""
    if len(text) <= _FRIENDLY_ERROR_BYTES:
        try:
            yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as friendly:
            exc = friendly
        except RecursionError:
            pass
    problem, line = _yaml_problem(exc)
    return ScenarioError(f"invalid YAML: {problem}", file=source.file, line=line)


def _parse_yaml(text: str, source: ScenarioSource, document: tuple[str, str] = SCENARIO_DOCUMENT) -> Any:
    """Check the document's shape (depth, expanded size), then compose, check and safely
    construct it, recording lines in ``source``."""
    try:
        root = _compose(text, source.file, "the file")
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text, source) from None
    if root is None:
        raise ScenarioError(f"the file is empty; expected {document[0]} (keys such as {document[1]})", file=source.file)
    _index_nodes(root, source)
    constructor = yaml.SafeLoader("")
    try:
        return constructor.construct_document(root)
    except yaml.YAMLError as exc:
        problem, line = _yaml_problem(exc)
        raise ScenarioError(f"invalid YAML: {problem}", file=source.file, line=line) from None
    finally:
        constructor.dispose()


def read_bounded(path: Path, shown: str, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (``UserError``
    otherwise, naming ``shown``).  A FIFO, device or socket is refused before anything is
    read (opening does not wait for a FIFO's writer), so neither ``/dev/zero`` nor a pipe
    can hang the tool or fill its memory."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UserError("no such file", file=shown) from None
    except IsADirectoryError:
        raise UserError(f"is a folder, not {what} file", file=shown) from None
    except OSError as exc:
        raise UserError(f"cannot be read: {exc.strerror or exc}", file=shown) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"is a folder, not {what} file", file=shown)
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"is not a regular file (a device, pipe or socket); expected {what} file", file=shown)
        if info.st_size > limit:
            raise UserError(f"is {info.st_size:,} bytes; expected {what} file of at most {limit:,} bytes (see docs/limits.md)", file=shown)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # grew while being read
            raise UserError(f"is more than {limit:,} bytes; expected {what} file of at most {limit:,} bytes (see docs/limits.md)", file=shown)
        return b"".join(chunks)
    except OSError as exc:
        raise UserError(f"cannot be read: {exc.strerror or exc}", file=shown) from None
    finally:
        os.close(fd)


def read_csv_bounded(path: Path, limit: int, what: str, **options: Any) -> Any:
    """A CSV data file as a DataFrame (``options`` as for ``pandas.read_csv``), read with
    ``read_bounded``: a missing, oversized or non-regular file (a FIFO would hang the reader,
    a device never ends) is a ``UserError`` naming it, as is text that is not UTF-8 (a
    byte-order mark is fine) or not CSV.  ``what``: the file's kind, for messages."""
    import io

    import pandas as pd

    if not os.path.lexists(path):
        raise UserError(f"no such file; expected {what} file", file=str(path))
    raw = read_bounded(path, str(path), limit, what)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"cannot be read as UTF-8 text; expected {what} file", file=str(path),
                        line=raw.count(b"\n", 0, exc.start) + 1) from None
    try:
        return pd.read_csv(io.StringIO(text), **options)
    except (ValueError, OverflowError) as exc:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise UserError(f"cannot be read as CSV ({type(exc).__name__}); expected {what} file", file=str(path)) from None


def read_yaml_mapping(path: Path, source: ScenarioSource, document: tuple[str, str] | None = None) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping, recording each key path's line in ``source``.

    Safe loading only (unsafe tags, duplicate keys and self-referring aliases are refused),
    within the limits above (size, regular files only, depth, expanded size); every problem is a ``ScenarioError`` naming the file and, where known, the line.
    ``document`` is (what the file should hold, example keys), for messages; scenario files
    and experiment files share this reader.
    """
    document = document or SCENARIO_DOCUMENT
    try:
        raw = read_bounded(path, source.file, MAX_YAML_BYTES, document[0])
    except UserError as exc:
        raise ScenarioError(exc.detail, file=source.file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("cannot be read as text (expected a UTF-8 YAML file)", file=source.file) from None
    data = _parse_yaml(text, source, document)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"expected a mapping of keys ({document[1]}, ...) at the top level, got {_kind_of(data)}",
            file=source.file,
            line=1,
        )
    return data


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"the value {_show(value)}"


# --------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------


def _parse_path(text: str, origin: str) -> KeyPath:
    parts = text.strip().split(".")
    if not text.strip() or any(not p.strip() for p in parts):
        raise UserError(f"{origin}: expected PATH=VALUE with a dotted key path, e.g. --set {SET_EXAMPLE}")
    return tuple(int(p) if p.strip().isdigit() else p.strip() for p in parts)


def _parse_overrides(overrides: Sequence[str | Override] | Mapping[str, Any]) -> list[Override]:
    """Normalise overrides: ``"a.b=VALUE"`` strings (VALUE read as YAML), a mapping
    ``{"a.b": value}`` (values used as given), or ready ``Override`` objects."""
    if isinstance(overrides, Mapping):
        return [Override(_parse_path(str(k), f"override {k!r}"), v, f"override {k}={_show(v)}") for k, v in overrides.items()]
    if isinstance(overrides, str):
        overrides = [overrides]
    out: list[Override] = []
    for item in overrides:
        if isinstance(item, Override):
            out.append(item)
            continue
        origin = f"--set {item}"
        if not isinstance(item, str) or "=" not in item:
            raise UserError(f"{origin}: expected PATH=VALUE, e.g. --set {SET_EXAMPLE}")
        path_text, value_text = item.split("=", 1)
        path = _parse_path(path_text, origin)
        value = _set_value(value_text, origin)
        out.append(Override(path, value, origin))
    return out


def _set_value(text: str, origin: str) -> Any:
    """A ``--set`` value read as YAML, within the same limits as a file (length, depth,
    expanded size)."""
    shown = origin if len(origin) <= MAX_SHOWN_VALUE + 6 else origin[: MAX_SHOWN_VALUE + 3] + "..."
    if not text.strip():
        return None
    if len(text) > MAX_SET_CHARS:
        raise UserError(f"{shown}: the value is {len(text):,} characters; expected at most {MAX_SET_CHARS:,} (see docs/limits.md)")
    constructor = yaml.SafeLoader("")
    try:
        root = _compose(text, "", "the value")
        return None if root is None else constructor.construct_document(root)
    except ScenarioError as exc:
        raise UserError(f"{shown}: {exc.detail}") from None
    except yaml.YAMLError as exc:
        problem, _ = _yaml_problem(exc)
        raise UserError(f"{shown}: the value is not valid YAML: {problem}") from None
    finally:
        constructor.dispose()


def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str | Override] | Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of raw scenario ``data`` with ``overrides`` applied in order.

    Missing intermediate mappings are created (``params`` need not be written in the file);
    list items are addressed by index (``events.0.step``).  Institutions must already exist,
    so a misspelt institution name is an error rather than a new, half-defined institution.
    """
    result, _ = _apply(data, _parse_overrides(overrides), ScenarioSource("<overrides>"))
    return result


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def _apply(data: Mapping[str, Any], overrides: list[Override], source: ScenarioSource) -> tuple[dict[str, Any], list[Override]]:
    result = _copy(data)
    for ov in overrides:
        path = ov.path
        if path[0] == "institutions" and len(path) >= 2:
            known = result.get("institutions") or {}
            if not isinstance(known, Mapping) or path[1] not in known:
                names = sorted(known) if isinstance(known, Mapping) else []
                raise ScenarioError(f"unknown institution {path[1]}; expected one of {names} (from {ov.origin})", file=source.file, path=_dotted(path[:2]))
        node: Any = result  # always a dict or a list below: checked after each descent
        for depth, key in enumerate(path[:-1]):
            if isinstance(node, list):
                _check_index(node, key, path[:depth], ov, source)
                if node[key] is None:
                    node[key] = {}
            else:
                _check_key(node, key, path[:depth], ov, source)
                if node.get(key) is None:
                    if isinstance(path[depth + 1], int):  # an item of a list the file does not have
                        where = _dotted(path[: depth + 1])
                        raise ScenarioError(
                            f"has no item {path[depth + 1]} (the file has no {where}); add the list in the file, or set it whole with --set {where}=[...] (from {ov.origin})",
                            file=source.file,
                            path=where,
                        )
                    node[key] = {}
            node = node[key]
            if not isinstance(node, (dict, list)):
                where = _dotted(path[: depth + 1])
                raise ScenarioError(f"holds a single value ({_show(node)}), so it has no key {path[depth + 1]!r} (from {ov.origin})", file=source.file, path=where)
        last = path[-1]
        if isinstance(node, list):
            _check_index(node, last, path[:-1], ov, source)
        else:
            _check_key(node, last, path[:-1], ov, source)
        node[last] = _copy(ov.value)
    return result, overrides


def _check_key(mapping: dict[Any, Any], key: str | int, at: KeyPath, ov: Override, source: ScenarioSource) -> None:
    """An item number applied to a mapping (``founders.3`` where founders is a selector)."""
    if isinstance(key, int) and key not in mapping and at:
        keys = ", ".join(str(k) for k in mapping) or "none"
        raise ScenarioError(
            f"is a mapping (keys: {keys}), not a list, so it has no item {key} (from {ov.origin})",
            file=source.file,
            path=_dotted(at),
        )


def _check_index(items: list[Any], key: str | int, at: KeyPath, ov: Override, source: ScenarioSource) -> None:
    if not isinstance(key, int) or not 0 <= key < len(items):
        expected = f"expected an item number from 0 to {len(items) - 1}" if items else "the list is empty, so it has no item to set"
        raise ScenarioError(f"{expected} (from {ov.origin})", file=source.file, path=_dotted(at) or None)


# --------------------------------------------------------------------------------------
# Validation errors as one readable message
# --------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    """A short, YAML-like rendering of an offending value."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, (Mapping, list, tuple)):
        try:
            text = yaml.safe_dump(_copy(value), default_flow_style=True, width=math.inf, sort_keys=False).strip()
        except yaml.YAMLError:
            text = repr(value)
    else:  # dates and other plain YAML values
        text = str(value)
    return text if len(text) <= MAX_SHOWN_VALUE else text[: MAX_SHOWN_VALUE - 3] + "..."


@dataclass
class _Spot:
    """Where a pydantic error location points in the schema."""

    path: KeyPath = ()
    tp: Any = Scenario
    metadata: list[Any] = field(default_factory=list)
    info: FieldInfo | None = None
    model: type[BaseModel] | None = None
    discriminator: str | None = None


def _unwrap(tp: Any, metadata: list[Any]) -> tuple[Any, str | None]:
    """Strip ``Annotated`` and ``Optional``; collect constraints; return the discriminator."""
    discriminator = None
    while True:
        if get_origin(tp) is Annotated:
            base, *extra = get_args(tp)
            for item in extra:
                if isinstance(item, FieldInfo):
                    metadata.extend(item.metadata)
                    if isinstance(item.discriminator, str):
                        discriminator = item.discriminator
                else:
                    metadata.append(item)
            tp = base
            continue
        if _is_union(tp):
            members = [m for m in get_args(tp) if m is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp, discriminator


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tags(member: Any, discriminator: str) -> list[str]:
    member, _ = _unwrap(member, [])
    if not _is_model(member) or discriminator not in member.model_fields:
        return []
    return [str(v) for v in get_args(member.model_fields[discriminator].annotation)]


def _locate(loc: tuple[Any, ...]) -> _Spot:
    """Follow a pydantic error location through the schema, dropping union tags."""
    spot = _Spot()
    discriminator: str | None = None
    for item in loc:
        spot.tp, disc = _unwrap(spot.tp, spot.metadata)
        discriminator = disc or discriminator
        if item == "[key]":
            continue
        if _is_union(spot.tp):
            members = get_args(spot.tp)
            chosen = None
            for member in members:
                if (discriminator and str(item) in _tags(member, discriminator)) or item in (getattr(member, "__name__", None), str(member)):
                    chosen = member
                    break
            if chosen is not None:
                spot.tp, discriminator = chosen, None
                continue
            spot.tp = None
        discriminator = None
        if _is_model(spot.tp):
            spot.model = spot.tp
            spot.path += (item,)
            info = spot.tp.model_fields.get(item)
            spot.info = info
            spot.metadata = list(info.metadata) if info else []
            spot.tp = info.annotation if info else None
            if info is not None and isinstance(info.discriminator, str):
                discriminator = info.discriminator
            continue
        origin = get_origin(spot.tp)
        if origin is dict:
            spot.path += (item,)
            spot.tp, spot.metadata, spot.info, spot.model = get_args(spot.tp)[1], [], None, None
        elif origin in (list, tuple):
            args = get_args(spot.tp)
            spot.path += (item,)
            if origin is list or (len(args) == 2 and args[1] is Ellipsis):
                spot.tp = args[0]
            else:
                spot.tp = args[item] if isinstance(item, int) and 0 <= item < len(args) else None
            spot.metadata, spot.info, spot.model = [], None, None
        elif spot.tp is None:
            spot.path += (item,)
        # else: a scalar type followed by a validator's tag; the tag is not a key
    spot.tp, disc = _unwrap(spot.tp, spot.metadata)
    spot.discriminator = disc or discriminator
    return spot


def _number_range(metadata: list[Any], whole: bool, *, finite: bool = False) -> str:
    """'a number between 0 and 1', 'a whole number >= 1', ... from a field's constraints;
    ``finite`` says 'a finite number' where the range alone would not exclude infinity."""
    kind = "a whole number" if whole else "a number"
    low = high = None
    for m in metadata:
        if isinstance(m, annotated_types.Ge):
            low = f">= {m.ge:g}"
        elif isinstance(m, annotated_types.Gt):
            low = f"> {m.gt:g}"
        elif isinstance(m, annotated_types.Le):
            high = f"<= {m.le:g}"
        elif isinstance(m, annotated_types.Lt):
            high = f"< {m.lt:g}"
    if low and high and low.startswith(">=") and high.startswith("<="):
        return f"{kind} between {low[3:]} and {high[3:]}"
    if finite and not whole and not (low and high):
        kind = "a finite number"
    bounds = [b for b in (low, high) if b]
    return f"{kind} {' and '.join(bounds)}" if bounds else kind


def _allowed_keys(model: type[BaseModel] | None) -> str:
    return ", ".join(model.model_fields) if model else "?"


def _describe(err: dict[str, Any], spot: _Spot) -> tuple[KeyPath, str, bool]:
    """The key path, the 'what was expected' text, and whether to show the offending value."""
    kind = err["type"]
    path = spot.path
    if err["loc"] and err["loc"][-1] == "[key]" and path:
        if err.get("input") is None:  # pydantic writes a null key as 'None' in the location
            return (*path[:-1], None), "expected a name as the key (got null, ~ or nothing)", False
        if kind.startswith("string_"):
            return path, "expected a name (text) as the key", True
    whole = spot.tp is int
    desc = spot.info.description if spot.info is not None and spot.info.description else None
    discriminator = spot.discriminator
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        allowed: list[str] = []
        for member in get_args(spot.tp) if _is_union(spot.tp) else ():
            allowed += _tags(member, discriminator or "")
        disc = discriminator or str(err.get("ctx", {}).get("discriminator", "kind")).strip("'")
        allowed_text = ", ".join(allowed) or str(err.get("ctx", {}).get("expected_tags", "")).replace("'", "")
        if kind == "union_tag_invalid":
            return (*path, disc), f"expected one of: {allowed_text} (got {_show(err['ctx']['tag'])})", False
        if not isinstance(err.get("input"), Mapping):
            return path, f"expected a mapping with a '{disc}' key (one of: {allowed_text})", True
        return (*path, disc), f"missing; expected one of: {allowed_text}", False
    if kind == "missing":
        parent = _unwrap(_locate_parent_type(err["loc"]), [])[0]
        if get_origin(parent) is tuple and path and isinstance(path[-1], int):
            n = len(get_args(parent))
            return path[:-1], f"expected {n} values", True
        return path, "required key is missing" + (f" ({desc})" if desc else ""), False
    if kind == "extra_forbidden":
        allowed_keys = _allowed_keys(spot.model)
        hint = ""
        if spot.model and path:
            close = difflib.get_close_matches(str(path[-1]), list(spot.model.model_fields), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
        return path, f"unknown key; allowed here: {allowed_keys}{hint}", False
    if kind == "finite_number":
        return path, f"expected {_number_range(spot.metadata, whole, finite=True)}", True
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return path, f"expected {_number_range(spot.metadata, whole)}", True
    if kind.startswith("int_"):
        return path, f"expected {_number_range(spot.metadata, True)}", True
    if kind.startswith("float_"):
        return path, f"expected {_number_range(spot.metadata, False)}", True
    if kind.startswith("bool_"):
        return path, "expected true or false", True
    if kind.startswith("string_type"):
        return path, "expected text", True
    if kind == "string_too_short":
        return path, "expected non-empty text", True
    if kind in ("list_type", "tuple_type", "iterable_type"):
        return path, "expected a list" + (f" ({desc})" if desc else ""), True
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        keys = f" (keys: {_allowed_keys(spot.tp)})" if _is_model(spot.tp) else ""
        return path, f"expected a mapping{keys}", True
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "")
        return path, f"expected one of: {expected}", True
    if kind in ("too_short", "too_long"):
        ctx = err.get("ctx", {})
        args = get_args(spot.tp)
        if get_origin(spot.tp) is tuple and args and args[-1] is not Ellipsis:
            return path, f"expected {len(args)} values", True
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        word = "at least" if kind == "too_short" else "at most"
        return path, f"expected {word} {bound} item{'s' if bound != 1 else ''}", True
    if kind in ("value_error", "assertion_error"):
        error = err.get("ctx", {}).get("error")
        text = str(error) if error is not None else err["msg"]
        at = getattr(error, "at", ())  # a Problem inside the block: point at its key
        return (*path, *at), text, not at and not isinstance(err.get("input"), (Mapping, list, tuple))
    msg = err["msg"]
    return path, msg[:1].lower() + msg[1:], True


def _locate_parent_type(loc: tuple[Any, ...]) -> Any:
    return _locate(loc[:-1]).tp if loc else Scenario


def _validation_message(exc: ValidationError, source: ScenarioSource) -> ScenarioError:
    """One message for a pydantic error: the first problem (the most specific one where a
    union tried several alternatives), plus a count of the others."""
    errors = exc.errors()
    located = [(err, _locate(tuple(err["loc"]))) for err in errors]
    first_err, first_spot = located[0]
    # several alternatives of one union fail together; the deepest is the most telling
    for err, spot in located[1:]:
        if spot.path[: len(first_spot.path)] == first_spot.path and len(spot.path) > len(first_spot.path):
            first_err, first_spot = err, spot
    path, expected, show_value = _describe(first_err, first_spot)
    alternatives = [spot for _, spot in located if spot.path == first_spot.path]
    if len(alternatives) > 1 and first_spot.info is not None and first_spot.info.description:
        # every alternative of a union failed at this key: say what the key accepts
        expected = f"expected {first_spot.info.description}"
    if show_value:
        expected += f" (got {_show(first_err.get('input'))})"
    others = {
        spot.path
        for _, spot in located
        if spot.path[: len(first_spot.path)] != first_spot.path and first_spot.path[: len(spot.path)] != spot.path
    }
    if others:
        expected += f" (and {len(others)} more problem{'s' if len(others) > 1 else ''})"
    return source.error(expected, path)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _validate(data: Mapping[str, Any], source: ScenarioSource) -> Scenario:
    world = data.get("world") if isinstance(data, Mapping) else None
    listed = world.get("states") if isinstance(world, Mapping) else None
    if isinstance(listed, (list, tuple)) and len(listed) > MAX_STATES:  # refused before 30,000 states are validated
        raise source.error(f"{len(listed):,} states are listed; expected at most {MAX_STATES:,} states (listed plus "
                           "generated; see docs/limits.md)", "world.states")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:  # every problem, one line each (simulation.errors.several)
        groups = error_groups(exc.errors(), lambda e: _locate(tuple(e["loc"])).path)
        raise several([_validation_message(g, source) for g in groups]) from None
    _check_world_size(scenario, source)
    return _resolve_forcing_file(_resolve_distance_file(scenario, source), source)


def _absolute_data_file(raw: str, source: ScenarioSource, key: str) -> str:
    """A data file named in the scenario, made absolute (relative to the scenario's folder); it must exist."""
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (source.base_dir or Path.cwd()) / path
    path = Path(os.path.abspath(path))
    if not path.exists():
        raise source.error(f"no such file: {path} (relative paths are relative to the scenario file's folder)", key)
    if not path.is_file():
        raise source.error(f"{path} is not a regular file (a folder, device or pipe); expected a CSV file", key)
    if path.stat().st_size > MAX_DISTANCE_FILE_BYTES:
        raise source.error(f"{path} is {path.stat().st_size:,} bytes; expected a data file of at most "
                           f"{MAX_DISTANCE_FILE_BYTES:,} bytes (see docs/limits.md)", key)
    return str(path)


def world_memory_bytes(n_states: int) -> int:
    """Estimated peak memory of a run of a world of ``n_states`` states."""
    return WORLD_BASE_BYTES + WORLD_BYTES_PER_PAIR * n_states * n_states


def available_memory_bytes() -> int | None:
    """Memory this process can still use: the system's available memory, lowered by an
    address-space limit (``ulimit -v``) if one is set; ``None`` where neither is known."""
    limits = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            limits.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    return min(limits) if limits else None


def _check_world_size(scenario: Scenario, source: ScenarioSource) -> None:
    """Refuse, before anything is built, a world larger than ``MAX_STATES`` or one whose
    estimated memory exceeds what is available (otherwise numpy fails mid-build)."""
    generated, listed = scenario.world.generate.count, len(scenario.world.states)
    named = {st.name for st in scenario.world.states}
    entering = len({e.state for e in scenario.events if getattr(e, "kind", None) == "enter"} - named)  # slots from the start
    listed += entering
    n = generated + listed
    need = world_memory_bytes(n)
    available = available_memory_bytes()
    if n <= MAX_STATES and (available is None or need <= available):
        return
    where = "world.generate.count" if generated >= listed else "world.states"
    fits = f"; this machine has about {available / 1e9:.1f} GB available" if available is not None else ""
    raise source.error(f"a world of {n:,} states needs about {need / 1e9:.1f} GB of memory{fits}; expected at most "
                       f"{MAX_STATES:,} states (listed plus generated) and a world that fits in memory (see docs/limits.md)", where)


def _resolve_distance_file(scenario: Scenario, source: ScenarioSource) -> Scenario:
    """Make ``world.distance_file`` absolute (relative to the scenario's folder) and check it exists."""
    raw = scenario.world.distance_file
    if raw is None:
        return scenario
    world = scenario.world.model_copy(update={"distance_file": _absolute_data_file(raw, source, "world.distance_file")})
    return scenario.model_copy(update={"world": world})


def _resolve_forcing_file(scenario: Scenario, source: ScenarioSource) -> Scenario:
    """Make ``history.forcing_file`` absolute, like ``world.distance_file``."""
    if scenario.history is None or scenario.history.forcing_file is None:
        return scenario
    history = scenario.history.model_copy(update={"forcing_file": _absolute_data_file(scenario.history.forcing_file, source, "history.forcing_file")})
    return scenario.model_copy(update={"history": history})


def load_scenario_with_source(
    path: str | os.PathLike[str], overrides: Sequence[str | Override] | Mapping[str, Any] = ()
) -> tuple[Scenario, ScenarioSource]:
    """Like ``load_scenario``, also returning the ``ScenarioSource`` (lines, overrides) so that
    later checks (``check_scenario``) can point at the right line."""
    file_path = Path(path)
    source = ScenarioSource(file=str(path), base_dir=file_path.parent)
    parsed = _parse_overrides(overrides)  # a malformed --set fails before the file is read
    data = read_yaml_mapping(file_path, source)
    included = _included_overrides(data, source, file_path)
    data, source.overrides = _apply(data, [*included, *parsed], source)
    return _validate(data, source), source


def load_scenario_text(
    text: str,
    file: str,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    overrides: Sequence[str | Override] | Mapping[str, Any] = (),
) -> tuple[Scenario, ScenarioSource]:
    """Like ``load_scenario_with_source`` for a scenario held as text (pasted or uploaded in
    the browser app): messages name ``file``, and relative paths (``world.distance_file``,
    ``include``) are taken relative to ``base_dir`` (default: the current folder)."""
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    source = ScenarioSource(file=file, base_dir=folder)
    parsed = _parse_overrides(overrides)
    data = _parse_yaml(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(f"expected a mapping of keys ({SCENARIO_DOCUMENT[1]}, ...) at the top level, got {_kind_of(data)}", file=file, line=1)
    included = _included_overrides(data, source, folder / Path(file).name)
    data, source.overrides = _apply(data, [*included, *parsed], source)
    return _validate(data, source), source


# --------------------------------------------------------------------------------------
# include: overlay files (e.g. a calibration's overlay.yaml)
# --------------------------------------------------------------------------------------

#: Top-level key of a scenario (or overlay) listing overlay files to include.
INCLUDE_KEY = "include"
OVERLAY_DOCUMENT = ("an overlay", "dotted key paths such as dynamics.membership.join_threshold")


def _included_overrides(data: dict[str, Any], source: ScenarioSource, file_path: Path) -> list[Override]:
    """Pop ``include: [path, ...]`` from ``data`` and return the overlays' values as overrides.

    An overlay is a mapping of dotted key paths to values (what ``--set`` takes), optionally
    with its own ``include``.  Paths are relative to the including file.  Overlays apply in
    list order, before the file's own keys: a path the scenario file writes keeps the file's
    value.  Command-line ``--set`` overrides apply after both.  A cycle is an error."""
    out: list[Override] = []

    def visit(raw: dict[str, Any], where: ScenarioSource, path: Path, stack: tuple[Path, ...]) -> None:
        if INCLUDE_KEY not in raw:
            return
        items = raw.pop(INCLUDE_KEY)
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise where.error("expected a list of overlay file paths, e.g. include: [../results/calibration/overlay.yaml]", (INCLUDE_KEY,))
        for index, item in enumerate(items):
            target = (path.parent / item).resolve()
            line = where.line_of((INCLUDE_KEY, index)) or where.line_of((INCLUDE_KEY,))
            if target in stack:
                chain = " -> ".join(str(p) for p in (*stack, target))
                raise ScenarioError(f"the include forms a cycle ({chain}); expected each overlay at most once on a chain", file=where.file, line=line, path=INCLUDE_KEY)
            if not target.is_file():
                raise ScenarioError(f"no such overlay file {target}; expected a path relative to {where.file}", file=where.file, line=line, path=INCLUDE_KEY)
            inner = ScenarioSource(file=str(target), base_dir=target.parent)
            overlay = read_yaml_mapping(target, inner, OVERLAY_DOCUMENT)
            visit(overlay, inner, target, (*stack, target))
            for key, value in overlay.items():
                key_path = _parse_path(str(key), f"{inner.file}:{inner.line_of((key,))}")
                if _written(data, key_path):
                    continue  # the scenario file's own value wins
                out.append(Override(key_path, value, f"include {inner.file}:{inner.line_of((key,))}"))

    visit(data, source, file_path.resolve(), (file_path.resolve(),))
    return out


def _written(data: Mapping[str, Any], path: KeyPath) -> bool:
    """Whether the raw scenario data writes ``path`` itself."""
    node: Any = data
    for key in path:
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return False
    return True


def load_scenario(path: str | os.PathLike[str], overrides: Sequence[str | Override] | Mapping[str, Any] = ()) -> Scenario:
    """Read, override and validate the scenario file at ``path``.

    ``overrides`` are ``"a.b.c=VALUE"`` strings (VALUE read as YAML: ``0.2``, ``true``,
    ``[A, B]``) or a mapping ``{"a.b.c": value}``, applied in order before validation.
    Raises ``ScenarioError`` (file, line, key path, what was expected) for any mistake in
    the file or the overrides.
    """
    return load_scenario_with_source(path, overrides)[0]


def scenario_from_dict(
    data: Mapping[str, Any],
    source: str = "<dict>",
    *,
    overrides: Sequence[str | Override] | Mapping[str, Any] = (),
    base_dir: str | os.PathLike[str] | None = None,
) -> Scenario:
    """Validate scenario ``data`` given in code (experiments, tests) with the same messages
    as a file; ``source`` names it in errors and a relative ``world.distance_file`` is taken
    relative to ``base_dir`` (default: the current folder)."""
    where = ScenarioSource(file=source, base_dir=Path(base_dir) if base_dir is not None else None)
    if not isinstance(data, Mapping):
        raise ScenarioError(f"expected a mapping of scenario keys, got {_kind_of(data)}", file=source)
    raw, where.overrides = _apply(data, _parse_overrides(overrides), where)
    return _validate(raw, where)


def with_overrides(scenario: Scenario, overrides: Sequence[str | Override] | Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """A copy of ``scenario`` with dotted-path overrides applied and everything re-validated
    (how a sweep sets one parameter without touching the file)."""
    return scenario_from_dict(scenario.model_dump(mode="json"), source, overrides=overrides)


class _ResolvedDumper(yaml.SafeDumper):
    """Plain YAML: no anchors or aliases, so every value is written where it applies."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent_list(self, data: list[Any]) -> yaml.Node:
        """Short lists of plain values on one line (``founders: [A, B]``), as people write them."""
        flow = all(not isinstance(item, (dict, list)) for item in data)
        return self.represent_sequence(_YAML_PREFIX + "seq", data, flow_style=flow)


_ResolvedDumper.add_representer(list, _ResolvedDumper.represent_list)


def dump_resolved(scenario: Scenario, *, relative_to: str | os.PathLike[str] | None = None) -> str:
    """The scenario as YAML with every default written out, in schema order.

    Floats are written with ``repr`` (shortest exact form), so loading the text gives back an
    equal ``Scenario`` and re-running it reproduces the run.  With ``relative_to``,
    ``world.distance_file`` is written relative to that folder (where the file will live).
    """
    data = scenario.model_dump(mode="json")
    for block, key in (("world", "distance_file"), ("history", "forcing_file")):
        value = (data.get(block) or {}).get(key)
        if value and relative_to is not None:
            try:
                data[block][key] = os.path.relpath(value, os.path.abspath(relative_to))
            except ValueError:  # another drive on Windows: keep it absolute
                pass
    header = (
        f"# Resolved scenario '{scenario.name}', written by alliance-sim {__version__}.\n"
        "# Every setting is written out, defaults included, exactly as the run used it.\n"
        "# Re-running this file (alliance-sim run scenario.resolved.yaml) reproduces the run.\n"
    )
    body = yaml.dump(data, Dumper=_ResolvedDumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
    return header + body


def check_scenario(scenario: Scenario, source: str | ScenarioSource) -> None:
    """Build the model for 0 steps, so names (founders, leaders, rivalries, events) are
    checked before anything runs; a ``ScenarioError`` from the model gets the file (and the
    line, when ``source`` is a ``ScenarioSource``) filled in."""
    from simulation.model import AllianceModel  # imported here: reading files must not need the model

    where = source if isinstance(source, ScenarioSource) else ScenarioSource(file=str(source))
    try:
        AllianceModel(scenario)
    except ScenarioError as exc:
        if exc.file is not None:
            raise
        raise where.error(exc.detail, exc.path) from None


def scenario_warnings(scenario: Scenario, source: str | ScenarioSource) -> list[str]:
    """Settings that are valid but probably not what the user meant, one message each (file,
    line, key path, what will happen).  Warnings, not errors: ``--steps`` may shorten a run on
    purpose, leaving the late events of the file out."""
    where = source if isinstance(source, ScenarioSource) else ScenarioSource(file=str(source))
    out = []
    for i, event in enumerate(scenario.events):
        if event.step > scenario.steps:
            out.append(str(where.error(f"step {event.step} is after the last step ({scenario.steps}); it will not happen", ("events", i))))
    return out
