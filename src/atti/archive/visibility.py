"""What a viewer may see of the archive: the one visibility rule every copy of the data obeys.

A :class:`Viewer` holds three grants: ``reserved`` (acts marked riservato), ``drafts`` (acts
not yet published, and the versions an act had before its publication) and ``personal`` (the
full text of an act that marks personal data). Everything that shows
an act, or names one, asks :class:`Visible`:

- an act is visible when the viewer has the grant for each thing it is (reserved, a draft);
- a version is visible when its act is and, for a viewer without the drafts grant, when it is
  the act's publication or a later one: the bozza, in verifica and firmato versions before it,
  their sources and their preview PDFs, do not exist for that viewer, and diffs compare only the
  versions it sees, so text removed before publication never shows;
- an act whose text marks personal data ([[...]], atti.acts.personal) is given to a viewer without
  the ``personal`` grant as its publication copy only (every marked span [omissis]): its text, its
  PDF (atti.archive.albo.publication_pdf), its package (atti.export.package); the record's oggetto
  and the search index hold the copy's text for everyone;
- who made a version (``actor``) and what a review said (its ``note``) are the office's business:
  shown only to a viewer with the drafts grant;
- an act id may be named (a version's ``by_act``, a citation's ``target_id``, an act citing
  this one) only when that act is in the archive and visible; otherwise the name is cut to
  None, exactly as for a citation of an act that is not in the archive. For a viewer who sees
  everything (the archive's owner, ``atti export``) nothing is cut.

The web maps each role to a Viewer (:mod:`atti.web.access`); search narrows its filters by
:meth:`Viewer.filters`, and the catalog ranks with the statistics of that viewer's own index.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from atti.archive.archive import Archive
from atti.archive.history import VersionDiff, diff_records
from atti.archive.records import ActRecord, ReferenceRecord, VersionRecord
from atti.archive.search import PUBLISHED_STATES, Filters
from atti.errors import ActNotFound


@dataclass(frozen=True)
class Viewer:
    """Who is looking, by what they may see beyond published, public acts."""

    reserved: bool = False
    drafts: bool = False
    # The full text of an act that marks personal data ([[...]], atti.acts.personal): its source,
    # its signed original, its package. Without it the viewer is given the publication copy only.
    personal: bool = False

    @property
    def sees_all(self) -> bool:
        return self.reserved and self.drafts

    def sees(self, record: ActRecord) -> bool:
        return (self.reserved or not is_reserved(record)) and (self.drafts or not is_draft(record))

    def sees_version(self, version: VersionRecord, versions: Sequence[VersionRecord]) -> bool:
        """Whether ``version`` (one of ``versions``, the act's, oldest first) is shown."""
        return self.drafts or version.version >= _published_from(versions)

    def filters(self, filters: Filters) -> Filters:
        """``filters`` narrowed to what the viewer may see, enforced by the catalog's query itself,
        so counts, facets and pages agree with the results and nothing hidden is counted."""
        return replace(filters, public_only=False, hide_reserved=not self.reserved, hide_unpublished=not self.drafts)


PUBLIC = Viewer()
OWNER = Viewer(reserved=True, drafts=True, personal=True)  # who holds the archive's files: atti export, atti show


def is_reserved(record: ActRecord) -> bool:
    return record.riservato


def is_draft(record: ActRecord) -> bool:
    """Not published yet (bozza, in verifica, firmato): the office's business."""
    return record.stato not in PUBLISHED_STATES


def _published_from(versions: Sequence[VersionRecord]) -> int:
    """The number of the act's first published version (none yet: past the last)."""
    first = next((v.version for v in versions if v.stato in PUBLISHED_STATES), None)
    return first if first is not None else max((v.version for v in versions), default=0) + 1


class Visible:
    """The archive as one viewer sees it. Every method answers for a hidden act exactly what it
    answers for an act that is not in the archive."""

    def __init__(self, archive: Archive, viewer: Viewer) -> None:
        self.archive = archive
        self.viewer = viewer
        self._named: dict[str, str | None] = {}

    def get(self, act_id: str) -> ActRecord | None:
        """The act when the viewer may see it; None both when hidden and when absent."""
        try:
            record = self.archive.get(act_id)
        except ActNotFound:
            return None
        return record if self.viewer.sees(record) else None

    def name(self, act_id: str | None) -> str | None:
        """``act_id`` when the viewer may be told of that act, else None (see the module docstring)."""
        if act_id is None or self.viewer.sees_all:
            return act_id
        if act_id not in self._named:
            self._named[act_id] = act_id if self.get(act_id) is not None else None
        return self._named[act_id]

    def versions(self, act_id: str) -> list[VersionRecord]:
        """The act's versions the viewer sees, oldest first, each ``by_act`` named or cut, and
        their ``actor`` and ``note`` cut for a viewer without the drafts grant."""
        versions = self.archive.versions(act_id)
        shown = [replace(v, by_act=self.name(v.by_act)) for v in versions if self.viewer.sees_version(v, versions)]
        return shown if self.viewer.drafts else [replace(v, actor=None, note=None) for v in shown]

    def diffs(self, versions: Sequence[VersionRecord]) -> list[VersionDiff]:
        """What changed between each two consecutive versions of ``versions`` (as :meth:`versions`
        gives them): text removed before a version the viewer does not see never shows."""
        return [diff_records(self.archive, a, b) for a, b in itertools.pairwise(versions)]

    def cites(self, act_id: str) -> list[ReferenceRecord]:
        """What the act cites; a citation of an act the viewer may not see is one of an act not
        in the archive: no ``target_id``, not ``present``."""
        refs = self.archive.cites(act_id)
        if self.viewer.sees_all:
            return refs
        return [_cut(r, self.name(r.target_id) if r.present else None) for r in refs]

    def cited_by(self, act_id: str) -> list[ReferenceRecord]:
        """The citations of this act by other acts the viewer sees."""
        return [r for r in self.archive.cited_by(act_id) if r.act_id != act_id and self.name(r.act_id) is not None]

    def records(self, records: Iterable[ActRecord]) -> list[ActRecord]:
        return [r for r in records if self.viewer.sees(r)]


def _cut(ref: ReferenceRecord, target: str | None) -> ReferenceRecord:
    return replace(ref, target_id=target, present=target is not None)
