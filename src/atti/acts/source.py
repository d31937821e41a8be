"""Where an act's parts stand in its YAML file, and the act loaded with that map.

Kept apart from the loader so that the checks, which place their problems with the map, and the
loader, which runs the checks, do not import each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from atti.acts.model import Act
from atti.errors import Problem

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class Span:
    """Where a scalar is written: ``text[start:end]`` of the file, and its YAML style (``'"'`` for
    double quotes, the only style with escapes such as ``\\u202e``; ``""`` for a plain scalar)."""

    start: int
    end: int
    style: str


@dataclass
class SourceMap:
    """Where each path of the document starts: its key (for mappings) and its value; where each
    scalar is written (``scalars``), by index into the file's text."""

    file: str
    keys: dict[Path_, Position] = field(default_factory=dict)
    values: dict[Path_, Position] = field(default_factory=dict)
    scalars: dict[Path_, Span] = field(default_factory=dict)

    def value_at(self, path: Path_) -> Position:
        """The closest known position of the value at ``path`` (walking up to the parent)."""
        p = tuple(path)
        while p:
            if p in self.values:
                return self.values[p]
            p = p[:-1]
        return self.values.get((), Position(1, 1))

    def key_at(self, path: Path_) -> Position:
        return self.keys.get(tuple(path)) or self.value_at(path)

    def problem(self, path: Path_, message: str, *, at_key: bool = False) -> Problem:
        pos = self.key_at(path) if at_key else self.value_at(path)
        return Problem(self.file, pos.line, pos.column, message)


def position_in(text: str, index: int) -> Position:
    """The line and column of ``text[index]`` as YAML and editors count them: a line ends at
    "\\n", "\\r\\n" or a lone "\\r"; a byte order mark opening the file takes no column."""
    before = text[:index]
    line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    start = max(before.rfind("\n"), before.rfind("\r")) + 1
    column = index - start + 1
    if start == 0 and text.startswith("\ufeff") and index > 0:
        column -= 1
    return Position(line, column)


def dotted(path: Iterable[str | int]) -> str:
    """``("verifiche", 1, "esito")`` -> ``verifiche[1].esito``, as messages name a place in the act."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass(frozen=True)
class LoadedAct:
    act: Act
    source: SourceMap
    text: str
