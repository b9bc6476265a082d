"""User-facing errors: a mistake in an input file becomes one clear message, never a traceback."""

from __future__ import annotations


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
