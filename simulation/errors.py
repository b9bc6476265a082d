"""User-facing errors: a mistake in an input file becomes one clear message, never a traceback."""

from __future__ import annotations

import contextlib
import signal
from typing import Any, Callable, Iterator


class UserError(Exception):
    """A mistake the user can fix (bad file, bad value, unknown name).

    The command line prints ``str(error)`` and exits with code 2.  The message names the
    file, the line where known, the key path and what was expected.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, path: str | None = None):
        self.file = file
        self.line = line
        self.path = path
        self.detail = message
        self.problems: list[UserError] = [self]  # several() lists more
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        key = f"{path}: " if path else ""
        super().__init__(f"{where}{key}{message}")


class ScenarioError(UserError):
    """A scenario file is invalid (syntax, schema, or names that do not resolve)."""


#: A file with several mistakes lists at most this many, then counts the rest.
MAX_LISTED_ERRORS = 20


def several(errors: list[UserError]) -> UserError:
    """One error that lists ``errors`` one per line (``file:line: key.path: expected ...``),
    so a file with several mistakes is fixed in one pass, not one run per mistake.

    The result has the class, file, line, key path and detail of the first, so callers that
    catch or re-word an error still work; ``problems`` holds them all.
    """
    unique = list({str(e): e for e in errors}.values())
    unique.sort(key=lambda e: (e.file or "", e.line if e.line is not None else float("inf")))  # stable: file order
    first = unique[0]
    if len(unique) == 1:
        return first
    combined = type(first)(first.detail, file=first.file, line=first.line, path=first.path)
    lines = [str(e) for e in unique[:MAX_LISTED_ERRORS]]
    if len(unique) > MAX_LISTED_ERRORS:
        rest = len(unique) - MAX_LISTED_ERRORS
        lines.append(f"... and {rest} more problem{'s' if rest > 1 else ''}")
    combined.args = ("\n".join(lines),)
    combined.problems = unique
    return combined


class ErrorGroup:
    """Some of a pydantic error's entries, with the ``errors()`` method its readers call."""

    def __init__(self, entries: list[dict]):
        self.entries = entries

    def errors(self, **_: object) -> list[dict]:
        return list(self.entries)


def error_groups(entries: list[dict], path_of) -> list[ErrorGroup]:
    """Split pydantic error entries into problems: entries whose key paths (``path_of``) lie
    one inside the other (the alternatives of one union, a key and its parent's check) are one
    problem; the rest are separate.  Order of first appearance is kept."""
    groups: list[tuple[list[tuple], list[dict]]] = []
    for entry in entries:
        path = tuple(path_of(entry))
        for paths, members in groups:
            if any(p[: len(path)] == path or path[: len(p)] == p for p in paths):
                paths.append(path)
                members.append(entry)
                break
        else:
            groups.append(([path], [entry]))
    return [ErrorGroup(members) for _, members in groups]


def error_text(exc: UserError) -> str:
    """What the command line prints: ``error: `` before each problem's line."""
    return "\n".join(f"error: {line}" for line in str(exc).splitlines())


def file_problem(path: str, key: str) -> "Callable[[str, int | None], ScenarioError]":
    """``problem(message, line=None)``: a ``ScenarioError`` at ``key`` naming the file and line."""

    def problem(message: str, line: int | None = None) -> ScenarioError:
        where = f"{path}:{line}" if line else str(path)
        return ScenarioError(f"{where}: {message}", path=key)

    return problem


def data_file_text(path: str, key: str, columns: str) -> tuple[str, "Callable[[str, int | None], ScenarioError]"]:
    """The text of a UTF-8 CSV data file that a scenario names at ``key`` (a byte-order mark is
    fine), and ``problem(message, line=None)`` making a ``ScenarioError`` at ``key`` that names
    the file and line.  Missing, unreadable and non-text files are such errors already;
    ``columns`` says what the file should hold (e.g. ``a,b,km``)."""
    from pathlib import Path

    problem = file_problem(path, key)
    p = Path(path)
    if not p.is_file():
        raise problem("no such file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise problem(f"cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig"), problem
    except UnicodeDecodeError as exc:
        raise problem(f"cannot be read as text (expected a UTF-8 CSV file with columns {columns})",
                      data.count(b"\n", 0, exc.start) + 1) from None


class Interrupted(KeyboardInterrupt):
    """A termination signal (SIGTERM) handled like Ctrl-C: stop the workers, keep what is
    stored, say how to resume.  ``signal`` gives the exit code, 128 + signal number."""

    def __init__(self, signal_number: int):
        super().__init__(signal_number)
        self.signal = signal_number


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Interrupted``, so the same clean-up as Ctrl-C runs
    (the default action would end the parent at once and orphan its worker processes)."""
    def terminate(signal_number: int, frame: Any) -> None:
        raise Interrupted(signal_number)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
