"""Shared fixtures of the history tests."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest


@pytest.fixture
def read_bytes() -> Callable[..., dict[str, bytes]]:
    """The bytes of every file under a folder matching glob patterns (for equality checks)."""

    def read(root: Path, *patterns: str) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for pattern in patterns for p in sorted(root.glob(pattern)) if p.is_file()}

    return read
