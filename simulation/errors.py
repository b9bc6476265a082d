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
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        key = f"{path}: " if path else ""
        super().__init__(f"{where}{key}{message}")


class ScenarioError(UserError):
    """A scenario file is invalid (syntax, schema, or names that do not resolve)."""
