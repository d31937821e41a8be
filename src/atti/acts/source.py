"""Where an act's parts stand in its YAML file, and the act loaded with that map.

Kept apart from the loader so that the checks, which place their problems with the map, and the
loader, which runs the checks, do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from atti.acts.model import Act
from atti.errors import Problem

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class SourceMap:
    """Where each path of the document starts: its key (for mappings) and its value."""

    file: str
    keys: dict[Path_, Position] = field(default_factory=dict)
    values: dict[Path_, Position] = field(default_factory=dict)

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


@dataclass(frozen=True)
class LoadedAct:
    act: Act
    source: SourceMap
    text: str
