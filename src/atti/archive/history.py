"""Versions of archived acts compared part by part: what ``atti diff`` reports.

A version is named ``ID@N`` ("DO-2026-129@2"); a bare ID means its newest version. Two versions
are compared on their YAML sources, item by item within each part of the act (the unit of
:meth:`Act.parts`), so a reader sees which punto of the dispositivo changed rather than a diff
of YAML lines; versions that share a source (an annulment, a renewed timestamp) differ only in
their state or files, and the comparison says so.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from atti.acts import load_act_text
from atti.acts.model import Act
from atti.archive.archive import Archive
from atti.archive.records import VersionRecord
from atti.errors import ActError, ArchiveError

_VERSION_REF = re.compile(r"(?P<id>[^@\s]+)(?:@(?P<version>\d+))?")

# How an item of each part is called in a report; 1-based like the act's own numbering.
_ITEM = {"dispositivo": "punto", "premesse": "premessa", "visti": "visto", "allegati": "allegato"}


def parse_version_ref(text: str) -> tuple[str, int | None]:
    """"DO-2026-129@2" -> ("DO-2026-129", 2); "DO-2026-129" -> (.., None), the newest version."""
    m = _VERSION_REF.fullmatch(text.strip())
    if m is None:
        raise ArchiveError(f"'{text}' is not a version such as DO-2026-129@2")
    return m["id"], int(m["version"]) if m["version"] else None


def resolve(archive: Archive, text: str) -> VersionRecord:
    act_id, number = parse_version_ref(text)
    if number is None:
        return archive.versions(act_id)[-1]
    return archive.version(act_id, number)


@dataclass(frozen=True)
class ItemChange:
    kind: str  # added | removed | changed
    index_a: int | None  # 0-based, in the first version's part
    index_b: int | None
    a: str | None
    b: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "index_a": self.index_a, "index_b": self.index_b, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class PartDiff:
    part: str
    changes: list[ItemChange]

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.part, "changes": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True)
class VersionDiff:
    a: VersionRecord
    b: VersionRecord
    parts: list[PartDiff]

    @property
    def stato_changed(self) -> bool:
        return self.a.stato != self.b.stato

    @property
    def same(self) -> bool:
        return not self.parts and not self.stato_changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": {"ref": _ref(self.a), **self.a.to_dict()},
            "b": {"ref": _ref(self.b), **self.b.to_dict()},
            "same": self.same,
            "stato_changed": self.stato_changed,
            "parts": [p.to_dict() for p in self.parts],
        }

    def to_text(self) -> list[str]:
        lines = [f"--- {_ref(self.a)} ({self.a.stato})", f"+++ {_ref(self.b)} ({self.b.stato})"]
        if self.stato_changed:
            by = f" by {self.b.by_act}" if self.b.by_act else ""
            lines.append(f"stato: {self.a.stato} -> {self.b.stato}{by}")
        for part in self.parts:
            lines.append(f"{part.part}:")
            item = _ITEM.get(part.part, "item")
            for c in part.changes:
                if c.kind == "changed":
                    lines += [f"  ~ {item} {_n(c.index_a)}:", f"    - {c.a}", f"    + {c.b}"]
                elif c.kind == "removed":
                    lines.append(f"  - {item} {_n(c.index_a)}: {c.a}")
                else:
                    lines.append(f"  + {item} {_n(c.index_b)}: {c.b}")
        if not self.parts:
            lines.append("text: the same" + ("" if self.stato_changed else " (and the same stato)"))
        return lines


def _ref(v: VersionRecord) -> str:
    return f"{v.act_id}@{v.version}"


def _n(index: int | None) -> int:
    return (index or 0) + 1


def diff_versions(archive: Archive, a: str, b: str) -> VersionDiff:
    """Compare two versions (of one act or of two acts) part by part; see the module docstring."""
    return diff_records(archive, resolve(archive, a), resolve(archive, b))


def diff_records(archive: Archive, va: VersionRecord, vb: VersionRecord) -> VersionDiff:
    """Compare two versions given as records (as a viewer sees them: see atti.archive.visibility)."""
    if va.source == vb.source:
        return VersionDiff(va, vb, [])
    return VersionDiff(va, vb, compare_parts(_act_of(archive, va), _act_of(archive, vb)))


def _act_of(archive: Archive, version: VersionRecord) -> Act:
    name = _ref(version)
    try:
        text = archive.blobs.get(version.source).decode("utf-8")
        # Not checked as for publishing: the text is what was archived, whatever today's checks say.
        return load_act_text(text, name, check=False).act
    except (ActError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"the source of {name} cannot be read as an act ({exc})") from None


def compare_parts(a: Act, b: Act) -> list[PartDiff]:
    """The parts whose items differ, each with its added, removed and changed items in order."""
    items_a, items_b = dict(a.parts()), dict(b.parts())
    names = list(items_a) + [name for name in items_b if name not in items_a]
    out: list[PartDiff] = []
    for name in names:
        old, new = items_a.get(name, []), items_b.get(name, [])
        changes: list[ItemChange] = []
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            # A replaced run pairs its items one to one as changed; what is left over was added or removed.
            paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
            changes += [ItemChange("changed", i1 + k, j1 + k, old[i1 + k], new[j1 + k]) for k in range(paired)]
            changes += [ItemChange("removed", i, None, old[i], None) for i in range(i1 + paired, i2)]
            changes += [ItemChange("added", None, j, None, new[j]) for j in range(j1 + paired, j2)]
        if changes:
            out.append(PartDiff(name, changes))
    return out
