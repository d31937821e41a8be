"""Versions of archived acts compared part by part: what ``atti diff`` reports.

A version is named ``ID@N`` ("DO-2026-129@2"); a bare ID means its newest version. Two versions
are compared on their YAML sources, field by field of the act and word by word inside a changed
item (:mod:`atti.acts.diff`), so a reader sees that the firmatario or a verifica's esito changed,
and which words of which punto, rather than a diff of YAML lines. Two things the source does not
hold come from the archive: the numero a sealed act was given (a draft's source has none), and
the SHA-256 of each allegato's file, read from the version's PDF. Versions that share a source
and a PDF (an annulment) differ only in their stato, and the comparison says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from atti.acts import load_act_text
from atti.acts.diff import ItemChange, PartDiff, compare_acts, redline_text
from atti.acts.model import Act, ModoAllegato
from atti.archive.archive import Archive
from atti.archive.records import VersionRecord
from atti.errors import ActError, ArchiveError
from atti.i18n import _

_VERSION_REF = re.compile(r"(?P<id>[^@\s]+)(?:@(?P<version>\d+))?")

__all__ = ["ItemChange", "PartDiff", "VersionDiff", "diff_records", "diff_versions", "parse_version_ref", "resolve"]

_DRAFT_STATES = ("bozza", "in verifica")
_ACT_NUMBER = re.compile(r"[0-9A-Za-z]+-\d{4}-(?P<numero>\d+)")


def parse_version_ref(text: str) -> tuple[str, int | None]:
    """"DO-2026-129@2" -> ("DO-2026-129", 2); "DO-2026-129" -> (.., None), the newest version."""
    m = _VERSION_REF.fullmatch(text.strip())
    if m is None:
        raise ArchiveError(_("'{text}' is not a version such as DO-2026-129@2").format(text=text))
    return m["id"], int(m["version"]) if m["version"] else None


def resolve(archive: Archive, text: str) -> VersionRecord:
    act_id, number = parse_version_ref(text)
    if number is None:
        return archive.versions(act_id)[-1]
    return archive.version(act_id, number)


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
        """The differences for a terminal: each changed item as a redline, [-struck-]{+added+}."""
        lines = [f"--- {_ref(self.a)} ({self.a.stato})", f"+++ {_ref(self.b)} ({self.b.stato})"]
        if self.stato_changed:
            by = f" by {self.b.by_act}" if self.b.by_act else ""
            lines.append(f"stato: {self.a.stato} -> {self.b.stato}{by}")
        for part in self.parts:
            if not part.many:
                [c] = part.changes
                lines.append(f"{part.part}: {_redline(c)}")
                continue
            lines.append(f"{part.part}:")
            for c in part.changes:
                if c.kind == "changed":
                    keys = f" ({', '.join(c.fields)})" if c.fields else ""
                    lines.append(f"  ~ {part.item} {_n(c.index_a)}{keys}: {_redline(c)}")
                elif c.kind == "removed":
                    lines.append(f"  - {part.item} {_n(c.index_a)}: {c.a}")
                else:
                    lines.append(f"  + {part.item} {_n(c.index_b)}: {c.b}")
        if not self.parts:
            lines.append("act: the same" + ("" if self.stato_changed else " (and the same stato)"))
        return lines


def _redline(c: ItemChange) -> str:
    if c.kind == "changed":
        return redline_text(c.words)
    return f"[-{c.a}-]" if c.kind == "removed" else f"{{+{c.b}+}}"


def _ref(v: VersionRecord) -> str:
    return f"{v.act_id}@{v.version}"


def _n(index: int | None) -> int:
    return (index or 0) + 1


def diff_versions(archive: Archive, a: str, b: str) -> VersionDiff:
    """Compare two versions (of one act or of two acts) part by part; see the module docstring."""
    return diff_records(archive, resolve(archive, a), resolve(archive, b))


def diff_records(archive: Archive, va: VersionRecord, vb: VersionRecord) -> VersionDiff:
    """Compare two versions given as records (as a viewer sees them: see atti.archive.visibility)."""
    if va.source == vb.source and va.pdf == vb.pdf and _numero(va) == _numero(vb):
        return VersionDiff(va, vb, [])
    act_a, act_b = _act_of(archive, va), _act_of(archive, vb)
    hashes = None
    # Only a version with a PDF has its allegati's files; without one on either side, their
    # hashes are not compared (rather than reported as changed).
    if va.pdf.sha256 and vb.pdf.sha256 and _attaches(act_a) | _attaches(act_b):
        from atti.templates.allegati import allegati_sha256  # pikepdf: only when there are files

        hashes = (allegati_sha256(act_a, archive.blobs.get(va.pdf)), allegati_sha256(act_b, archive.blobs.get(vb.pdf)))
    return VersionDiff(va, vb, compare_acts(act_a, act_b, hashes))


def _attaches(act: Act) -> bool:
    return any(a.file is not None and a.modo is ModoAllegato.allegato for a in act.allegati)


def _numero(version: VersionRecord) -> int | None:
    """The numero the archive gave a sealed version, from its id; None for a draft's versions."""
    m = _ACT_NUMBER.fullmatch(version.act_id)
    return int(m["numero"]) if m is not None and version.stato not in _DRAFT_STATES else None


def _act_of(archive: Archive, version: VersionRecord) -> Act:
    name = _ref(version)
    try:
        text = archive.blobs.get(version.source).decode("utf-8")
        # Not checked as for publishing: the text is what was archived, whatever today's checks say.
        act = load_act_text(text, name, check=False).act
    except (ActError, UnicodeDecodeError) as exc:
        raise ArchiveError(
            _("the source of {name} cannot be read as an act ({reason})").format(name=name, reason=exc)
        ) from None
    # A draft is sealed with the text it had, without a numero: the archive gave it one.
    numero = _numero(version)
    return act.with_numero(numero) if act.numero is None and numero is not None else act
