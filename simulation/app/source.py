"""A scenario as the app holds it: its YAML text, the name shown in messages, its folder.

Files, uploads and pasted text are all kept as text, so Reset can rebuild the scenario with
the current controls as overrides, and every mistake reads like the command line's
(``file:line: key.path: expected ...``).  Uploaded and pasted text is read as if it sat in
the project's ``scenarios/`` folder, so ``distance_file: data/...`` resolves as there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulation.errors import UserError
from simulation.scenario import Scenario
from simulation.scenario_io import Override, ScenarioSource, check_scenario, load_scenario_text

#: The project's scenario folder (the app lists its files) and the default scenario.
SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT_SCENARIO = SCENARIO_DIR / "two_blocs.yaml"


def display_name(file: str) -> str:
    """``file`` as typed when relative; an absolute path relative to the project root or the
    current folder when inside one of them; else its file name."""
    p = Path(file)
    if not p.is_absolute():
        return file
    for base in (SCENARIO_DIR.parent, Path.cwd()):
        try:
            return p.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return p.name


@dataclass(frozen=True)
class ScenarioText:
    """YAML text, the name shown in messages (a path or an upload's name), and the folder
    relative paths in it are taken from."""

    text: str
    file: str
    base_dir: str

    @classmethod
    def from_file(cls, path: str | Path, name: str | None = None) -> "ScenarioText":
        """The file at ``path``, named ``name`` in messages (default: ``path`` as given)."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError("no such file", file=name or str(path)) from None
        except UnicodeDecodeError:
            raise UserError("cannot be read as text (expected a UTF-8 YAML file)", file=name or str(path)) from None
        except OSError as exc:
            raise UserError(f"cannot be read: {exc.strerror or exc}", file=name or str(path)) from None
        return cls(text, name or str(path), str(p.resolve().parent))

    @property
    def shown(self) -> str:
        """The name the page shows and messages use: a path relative to the project (or to the
        current folder), else the file's name -- never the absolute path of the machine the
        server runs on (it would show in screenshots and shared messages)."""
        return display_name(self.file)

    @classmethod
    def from_upload(cls, name: str, text: str) -> "ScenarioText":
        return cls(text, name or "pasted.yaml", str(SCENARIO_DIR))

    def load(self, overrides: list[Override] | tuple = ()) -> tuple[Scenario, ScenarioSource]:
        """Validate with ``overrides``; raises ``UserError`` with the command line's message."""
        return load_scenario_text(self.text, self.file, base_dir=self.base_dir, overrides=list(overrides))

    def checked(self) -> Scenario:
        """Load and build the model once (names, founders), as ``alliance-sim validate`` does."""
        scenario, source = self.load()
        check_scenario(scenario, source)
        return scenario


#: Scenarios loaded in this server, by token, so a page can be reopened on one (see ``page``).
_LOADED: dict[str, ScenarioText] = {}
MAX_REMEMBERED = 64


def remember(text: ScenarioText) -> str:
    """A token for ``text`` (a hash of its name and content), kept for later page loads."""
    import hashlib

    token = hashlib.sha256(f"{text.file}\0{text.base_dir}\0{text.text}".encode()).hexdigest()[:16]
    _LOADED.pop(token, None)
    _LOADED[token] = text
    while len(_LOADED) > MAX_REMEMBERED:
        _LOADED.pop(next(iter(_LOADED)))
    return token


def recall(token: str | None) -> ScenarioText | None:
    return _LOADED.get(token) if token else None


def scenario_files() -> list[str]:
    """The YAML files in ``scenarios/``, by name."""
    return sorted(str(p) for p in SCENARIO_DIR.glob("*.yaml"))
