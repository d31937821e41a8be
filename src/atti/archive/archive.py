"""An open archive: its catalog, its document store and this machine's local state.

The embedded default is one directory (SQLite + files)::

    archive/
      atti.sqlite            the catalog (acts, registers, event log, search index)
      atti.head              the event chain's head, kept outside the catalog
      blobs/sha256/ab/...    every stored document under the SHA-256 of its bytes
      pki/                   the development CA made by ``atti init`` (not qualified)
      trust/                 further trust roots (PEM/DER) for verification
      locks/                 one lock file per register and year

A PostgreSQL archive keeps its catalog in the database, its documents in S3 (or files), and the
rest (pki/, trust/, atti.head) in a state directory of its own: see
:mod:`atti.archive.storage.location`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atti.acts.loader import load_act_text, with_esito
from atti.acts.model import Act, TipoAtto, TipoRelazione
from atti.acts.personal import publication_act
from atti.acts.references import Reference, act_id_of, reference_to_act_id, registro_key, registro_slug
from atti.archive.records import DRAFT_STATES, ActRecord, BlobRef, Made, ReferenceRecord, SearchHit, VersionRecord
from atti.archive.search import Filters, check_query
from atti.archive.storage.location import Storage, archive_state_dir, open_storage
from atti.archive.storage.urls import redacted
from atti.archive.store import BlobStore, Catalog
from atti.errors import ActNotFound, ArchiveError, AttiError, DuplicateNumber, StorageError
from atti.i18n import _

if TYPE_CHECKING:
    from atti.config import Settings

# The relazioni that give the act they point to a new state, as a new version of it. Proroga,
# modifica and integrazione leave its state alone: they are recorded as links only. Before it is
# sealed an act may live in the archive as a draft (bozza, then in verifica, see save_draft);
# once published, only a later act can change it.
STATE_CHANGES = {TipoRelazione.annullamento: "annullato", TipoRelazione.rettifica: "rettificato"}

# The kinds of citation that may name an act of this archive (a "legge" or a "dpcm" never does).
_TIPI = frozenset(t.value for t in TipoAtto)


act_id = act_id_of
"""A readable, URL-safe id: register "D.O.", 2026, 129 -> "DO-2026-129" (one rule, in atti.acts)."""


class Archive:
    def __init__(
        self, state_dir: Path, catalog: Catalog, blobs: BlobStore, location: Path | str | None = None
    ) -> None:
        # This machine's files of the archive (pki/, trust/, atti.head, caches): the archive
        # directory itself (SQLite + files), or a database archive's state directory.
        self.state_dir = state_dir
        self.catalog = catalog
        self.blobs = blobs
        # What --archive names to open it again: the directory, or the postgresql:// URL.
        self.location: Path | str = state_dir if location is None else location

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, location: Path | str, *, settings: Settings | None = None) -> tuple[Archive, bool]:
        """Open the archive at ``location``, creating it first if needed; says whether it was new.

        ``location`` is a directory, or a ``postgresql://`` URL whose documents go to the S3
        bucket the ``settings`` name (see :mod:`atti.archive.storage.location`).
        """
        storage = open_storage(location, create=True, settings=settings)
        return cls._of(storage), storage.created

    @classmethod
    def open(cls, location: Path | str, *, settings: Settings | None = None) -> Archive:
        """The archive at ``location``; ArchiveNotFound when there is none."""
        return cls._of(open_storage(location, create=False, settings=settings))

    @classmethod
    def inspect(cls, location: Path | str, *, settings: Settings | None = None) -> Archive:
        """The archive at ``location`` as it is, for ``atti archive verify``: a catalog that lost
        the archive's history (missing, emptied, replaced, damaged), which :meth:`open` refuses, is
        opened to be verified only, and ``catalog.verify_catalog`` says what is wrong with it."""
        return cls._of(open_storage(location, create=False, settings=settings, inspect=True))

    @classmethod
    def find(cls, location: Path | str, *, settings: Settings | None = None) -> Archive | None:
        """The archive at ``location`` if there is one there, else None (see ``archive_state_dir``).

        For commands that can do without one (verify, sign): a database is taken to exist, and
        connecting to it says whether it does.
        """
        return cls.open(location, settings=settings) if archive_state_dir(location) is not None else None

    @classmethod
    def _of(cls, storage: Storage) -> Archive:
        archive = cls(storage.state_dir, storage.catalog, storage.blobs, storage.location)
        migrated_from = getattr(storage.catalog, "migrated_from", None)
        if migrated_from is not None and migrated_from < 3:
            archive.relink_references()  # its acts were archived before references were stored
        return archive

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        """The archive's location for messages and reports: a URL without its password."""
        return redacted(self.location)

    @property
    def pki_dir(self) -> Path:
        return self.state_dir / "pki"

    @property
    def trust_dir(self) -> Path:
        return self.state_dir / "trust"

    def ensure_writable(self) -> None:
        """Refuse now what the first write would refuse (a read-only archive, a catalog open to be
        verified only): before a passphrase is asked, a key made or an act rendered."""
        if self.catalog.read_only is not None:
            raise StorageError(self.catalog.read_only)

    # -- registers ---------------------------------------------------------------------------

    @contextmanager
    def register_lock(self, register: str, year: int) -> Iterator[None]:
        """Hold the register for the whole publish, so numbers are given without gaps.

        A number must be in the PDF before it is signed, so it is chosen before rendering; the
        lock keeps a second publisher from taking the same number meanwhile, and a failed
        publish gives its number back simply by never recording it.
        """
        # The catalog holds it: a lock file for SQLite, an advisory lock for PostgreSQL (all servers).
        # Locked by the register's part of the act ids: spellings that make the same ids are one
        # register ("D O" waits for "D.O."), and ensure_register refuses the second one.
        with self.catalog.register_lock(registro_key(register), year):
            yield

    def next_number(self, register: str, year: int) -> int:
        return self.catalog.last_number(register, year) + 1

    def ensure_register(self, register: str, year: int) -> None:
        """Refuse a new spelling of an archived register: "D O" when the archive holds "D.O.".

        Both would make the ids DO-2026-...: the archive numbers one register under one name, the
        one it holds already. A spelling the archive holds is accepted (an archive written before
        this rule may hold two; their ids are then told apart by :meth:`ensure_number_free`).
        """
        names = self.catalog.registers()
        if register in names:
            return
        for name in names:
            if registro_key(name) == registro_key(register):
                raise ArchiveError(_(
                    "registro '{registro}' and the archived registro '{name}' are the same register for the "
                    "archive (id {id}-{anno}-…): write it as '{name}'"
                ).format(registro=register, name=name, id=registro_slug(name), anno=year))

    def register_name(self, register: str) -> str:
        """The archive's spelling of the register ``register`` names ("D.O." for "DO" or "d.o."), or
        ``register`` itself when the archive holds it so, or holds no spelling of it yet."""
        names = self.catalog.registers()
        if register in names:
            return register
        return next((name for name in names if registro_key(name) == registro_key(register)), register)

    def ensure_number_free(self, register: str, year: int, number: int) -> None:
        """Refuse a number the register holds, or an id another spelling of it holds."""
        taken = self.catalog.number_taken(register, year, number)
        if taken:
            raise DuplicateNumber(
                _("registro {register} already has number {number}/{year} ({taken})").format(
                    register=register, number=number, year=year, taken=taken
                )
            )
        id_ = act_id(register, year, number)
        try:
            other = self.catalog.get(id_)
        except ActNotFound:
            return
        raise DuplicateNumber(
            _("the archive already has {id} (registro {register} n. {number}/{year})").format(
                id=id_, register=other.registro, number=other.numero, year=other.anno
            )
        )

    def ensure_next_number(self, register: str, year: int, number: int) -> None:
        """Refuse a number an act names for itself unless it is the register's next for the year.

        Numbers run without gaps: an act publishes under the number :meth:`next_number` gives,
        whether the act leaves it to the archive or names it. Only the first act of a register in
        a year may start it anywhere, where the office's register has got to (a body that starts
        using atti in May). Acts signed elsewhere keep their own numbers through the imports
        (:mod:`atti.archive.imported`, ``atti import-package``), which may leave gaps: ``atti
        archive verify`` lists them.
        """
        self.ensure_number_free(register, year, number)
        last = self.catalog.last_number(register, year)
        if last and number != last + 1:
            raise ArchiveError(
                _(
                    "numero {number} is not the next number of registro {register} for {year}: the next is {next}; "
                    "leave numero out to have it given"
                ).format(number=number, register=register, year=year, next=last + 1)
            )

    def ensure_in_order(self, register: str, year: int, number: int, data: dt.date) -> None:
        """Refuse a number dated before the register's previous number, or after its next one.

        A register is kept in order of time: n. 2 dated 01/03 cannot follow n. 1 dated 15/04.
        """
        before, after = self.catalog.neighbours(register, year, number)
        if before is not None and data < before[1]:
            raise ArchiveError(_(
                "n. {numero}/{anno} of registro {registro} would be dated {data}, before n. {prima} of {data_prima}: "
                "a register's acts follow each other in time; check the data"
            ).format(numero=number, anno=year, registro=register, data=f"{data:%d/%m/%Y}", prima=before[0],
                     data_prima=f"{before[1]:%d/%m/%Y}"))
        if after is not None and data > after[1]:
            raise ArchiveError(_(
                "n. {numero}/{anno} of registro {registro} would be dated {data}, after n. {dopo} of {data_dopo}: "
                "a register's acts follow each other in time; check the data"
            ).format(numero=number, anno=year, registro=register, data=f"{data:%d/%m/%Y}", dopo=after[0],
                     data_dopo=f"{after[1]:%d/%m/%Y}"))

    # -- acts --------------------------------------------------------------------------------

    def seal(
        self, act: Act, *, source: str, docx: bytes, pdf: bytes, firmatario: str, draft_id: str | None = None,
        actor: str | None = None, signature: Mapping[str, Any] | None = None,
    ) -> ActRecord:
        """Store a signed act: files first (content-addressed), then one catalog transaction.

        With ``draft_id`` the draft becomes the act: its versions (bozza, in verifica) come first
        in the act's history, then firmato and pubblicato. ``actor`` made them (and the versions
        its relazioni give the acts they annul or rectify). ``signature``: what is known of the
        act's signature (the key, the certificate, its qualified status), recorded in the same
        transaction as a ``signature`` event of the act.

        The record's oggetto and the search entry are the publication copy's: personal data the
        act marks ([[...]], atti.acts.personal) is [omissis] in every copy but the source and the
        signed original.
        """
        if act.numero is None:
            raise ArchiveError(_("an act must have its number before it is sealed into the archive"))
        self.ensure_register(act.registro, act.anno)  # refused before any file is written
        self.check_relazioni(act)
        if draft_id is not None:
            self.draft(draft_id)
        source_ref = self.blobs.put(source.encode("utf-8"), "yaml")
        docx_ref = self.blobs.put(docx, "docx")
        pdf_ref = self.blobs.put(pdf, "pdf")
        record = ActRecord(
            id=act_id(act.registro, act.anno, act.numero),
            registro=act.registro,
            anno=act.anno,
            numero=act.numero,
            tipo=act.tipo.value,
            organo=act.organo,
            data=act.data,
            ente=act.ente.nome,
            oggetto=publication_act(act).oggetto,
            firmatario=firmatario,
            stato="pubblicato",
            source=source_ref,
            docx=docx_ref,
            pdf=pdf_ref,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            riservato=act.riservato,
        )
        with self.catalog.transaction():
            # Checked again under the write lock: another publisher may have annulled a target meanwhile.
            changes = self.check_relazioni(act)
            references = references_of(publication_act(act), record.id, self.resolve_citation)
            body = publication_act(act).body_text()
            if draft_id is None:
                self.catalog.insert_act(record, body, references, actor=actor)
            else:
                self.catalog.seal_draft(draft_id, record, body, references, actor=actor)
            for target, tipo in changes:
                self.catalog.set_state(target, STATE_CHANGES[tipo], reason=tipo.value, by_act=record.id, actor=actor)
            if signature is not None:
                self.catalog.append_event("signature", record.id, dict(signature))
        return record

    def restore(
        self, record: ActRecord, body: str, versions: Sequence[VersionRecord], references: Sequence[ReferenceRecord]
    ) -> None:
        """Store a sealed act with the history it had elsewhere (an imported package): its row,
        versions and references exactly as given, in one transaction. Its files must be stored
        already. No relazione is applied again: each act's own history carries its state."""
        self.ensure_register(record.registro, record.anno)
        for v in versions:
            for ref in (v.source, v.docx, v.pdf):
                if ref.sha256 and not self.blobs.exists(ref):
                    raise ArchiveError(
                        _("{id} version {version}: its {ext} is not stored").format(
                            id=record.id, version=v.version, ext=ref.ext
                        )
                    )
        with self.catalog.transaction():
            self.catalog.restore_act(record, body, versions, references)

    # -- drafts ------------------------------------------------------------------------------

    def save_draft(
        self, act: Act, source: str, *, draft_id: str | None = None, docx: bytes | None = None,
        pdf: bytes | None = None, actor: str | None = None,
    ) -> tuple[ActRecord, bool]:
        """Store ``source`` as a new draft, or as a new version of the draft ``draft_id``.

        A draft has no number (it is given when the draft is sealed) and is never public. Each
        save with a changed source, and each rendering (``docx`` and the unnumbered preview
        ``pdf``), adds a version; a changed source sends a draft in verifica back to bozza.
        Saving the same source again without rendering changes nothing. Returns the draft's
        record and whether a version was added.
        """
        source_ref = self.blobs.put(source.encode("utf-8"), "yaml")
        docx_ref = self.blobs.put(docx, "docx") if docx is not None else BlobRef("", "docx")
        pdf_ref = self.blobs.put(pdf, "pdf") if pdf is not None else BlobRef("", "pdf")
        with self.catalog.transaction():
            if draft_id is None:
                id_, state, reason = self.catalog.new_draft_id(), "bozza", "draft-created"
                created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            else:
                current = self.draft(draft_id)
                if current.source == source_ref and pdf is None:
                    return current, False
                id_, created_at = current.id, current.created_at
                state = current.stato if current.source == source_ref else "bozza"
                reason = "draft-rendered" if pdf is not None else "draft-saved"
            record = ActRecord(
                id=id_, registro=act.registro, anno=act.anno, numero=None, tipo=act.tipo.value, organo=act.organo,
                data=act.data, ente=act.ente.nome, oggetto=act.oggetto, firmatario=act.nomi_firmatari, stato=state,
                source=source_ref, docx=docx_ref, pdf=pdf_ref, created_at=created_at, riservato=act.riservato,
            )
            self.catalog.save_draft(record, act.body_text(), reason=reason, made=Made(actor))
        return record, True

    def submit_draft(self, draft_id: str, *, actor: str | None = None) -> ActRecord:
        """Move a bozza to ``in verifica`` (a new version, same files)."""
        with self.catalog.transaction():
            current = self.draft(draft_id)
            if current.stato != "bozza":
                raise ArchiveError(_("{id} is already {stato}").format(id=draft_id, stato=current.stato))
            record = replace(current, stato="in verifica")
            source = self.blobs.get(current.source).decode("utf-8")
            body = load_act_text(source, f"{draft_id}.yaml", check=False).act.body_text()
            self.catalog.save_draft(record, body, reason="draft-submitted", made=Made(actor))
        return record

    def review_draft(
        self, draft_id: str, *, esito: str, verifica: str | None = None, note: str | None = None,
        actor: str | None = None,
    ) -> ActRecord:
        """Record a reviewer's esito (positivo or negativo) on one verifica of a draft in verifica.

        ``verifica`` names it by its tipo (any case); it may be left out when the act has one
        verifica. The new version's source is the draft's with that verifica's esito written in
        (nothing else of the text changes; the preview of the earlier text is not carried over)
        and records who reviewed, the verifica, the esito and ``note``. A negativo sends the
        draft back to bozza: it must be changed and submitted again. Reviews count until the draft
        is next submitted (see :meth:`reviews`).
        """
        if esito not in ("positivo", "negativo"):
            raise ArchiveError(_("a review's esito is positivo or negativo, not '{esito}'").format(esito=esito))
        with self.catalog.transaction():
            current = self.draft(draft_id)
            if current.stato != "in verifica":
                raise ArchiveError(
                    _("{id} is a {stato}, not in verifica: submit it first (atti draft submit {id})").format(
                        id=draft_id, stato=current.stato
                    )
                )
            loaded = load_act_text(self.blobs.get(current.source).decode("utf-8"), f"{draft_id}.yaml", check=False)
            index = verifica_index(loaded.act, verifica, draft_id)
            text = with_esito(loaded, index, esito)
            act = load_act_text(text, f"{draft_id}.yaml", check=False).act
            record = replace(
                current, stato="in verifica" if esito == "positivo" else "bozza",
                source=self.blobs.put(text.encode("utf-8"), "yaml"), docx=BlobRef("", "docx"), pdf=BlobRef("", "pdf"),
            )
            made = Made(actor, act.verifiche[index].tipo, esito, note or None)
            self.catalog.save_draft(record, act.body_text(), reason="draft-reviewed", made=made)
        return record

    def reviews(self, draft_id: str) -> list[VersionRecord]:
        """The reviews that count for the draft as it is now: those recorded since it was last
        submitted (a changed text goes back to bozza and must be submitted, and reviewed, again),
        the newest of each verifica, in order."""
        versions = self.catalog.versions(draft_id)
        submitted = max((v.version for v in versions if v.reason == "draft-submitted"), default=None)
        if submitted is None:
            return []
        newest = {v.verifica: v for v in versions if v.version > submitted and v.reason == "draft-reviewed"}
        return sorted(newest.values(), key=lambda v: v.version)

    def draft(self, draft_id: str) -> ActRecord:
        """The draft with that id; ArchiveError if the act is not (or no longer) a draft."""
        record = self.catalog.get(draft_id)
        if record.numero is not None or record.stato not in DRAFT_STATES:
            raise ArchiveError(_("{id} is not a draft: it is {stato}").format(id=draft_id, stato=record.stato))
        return record

    def drafts(self) -> list[ActRecord]:
        return self.catalog.drafts()

    def find_draft(self, source: str) -> str | None:
        """The oldest draft whose current source is exactly ``source``, if any."""
        ref = BlobRef(hashlib.sha256(source.encode("utf-8")).hexdigest(), "yaml")
        return next((d.id for d in self.catalog.drafts() if d.source == ref), None)

    # -- references --------------------------------------------------------------------------

    def resolve_citation(self, ref: Reference) -> str | None:
        """The archived act a citation that names no register points to, found by its kind,
        number and date ("Determinazione n. 60 del 18/03/2026"): only when exactly one sealed
        act has that tipo, number, year and date. None otherwise: never a guess between acts."""
        if ref.register is not None or ref.kind not in _TIPI or ref.serial is None or ref.year is None:
            return None
        if ref.date is None:
            return None
        when = Filters(tipo=ref.kind, dal=ref.date, al=ref.date)
        # The search finds the act with that number first, then the acts citing it: only the former count.
        found = [h for h in self.catalog.search(f"{ref.serial}/{ref.year}", filters=when, limit=10)
                 if (h.record.numero, h.record.anno) == (ref.serial, ref.year)]
        return found[0].record.id if len(found) == 1 else None

    def relink_references(self) -> int:
        """Link again the citations that may point to acts archived after the act citing them.

        Reads again the source of every act the catalog names (``relink_candidates``: acts
        without references, archived before schema 3, and acts with a dated citation that had no
        target), extracts its references with today's rules and resolution, and replaces those
        that changed, with an event each, in one transaction. Afterwards ``cited_by`` is the same
        whatever order the acts were archived in. Returns how many acts' references changed.
        Run on opening an archive made before schema 3; bulk imports call it when done.
        """
        changed = 0
        with self.catalog.transaction():
            for id_ in self.catalog.relink_candidates(sorted(_TIPI)):
                record = self.catalog.get(id_)
                try:
                    act = load_act_text(self.blobs.get(record.source).decode("utf-8"), f"{id_}.yaml", check=False).act
                except (AttiError, UnicodeDecodeError):
                    continue  # an unreadable source is archive verify's finding; it cites nothing we can read
                found = references_of(publication_act(act), id_, self.resolve_citation)
                if found != [replace(r, present=False) for r in self.catalog.cites(id_)]:
                    self.catalog.replace_references(id_, found)
                    changed += 1
        return changed

    def check_relazioni(self, act: Act) -> list[tuple[str, TipoRelazione]]:
        """The acts whose state the act's relazioni change; refuses those that cannot be changed.

        An annulment or a rectification must point to an archived act that is not annulled:
        recording it against an act the archive does not hold would change nothing, silently.
        The other relazioni may point to any act, archived or not.
        """
        own = act_id(act.registro, act.anno, act.numero) if act.numero is not None else None
        changes: list[tuple[str, TipoRelazione]] = []
        for rel in act.relazioni:
            if rel.tipo not in STATE_CHANGES:
                continue
            target = rel.atto.id
            if target == own:
                raise ArchiveError(_("{id} cannot declare the {tipo} of itself").format(id=target, tipo=rel.tipo))
            try:
                state = self.catalog.get(target).stato
            except ActNotFound:
                raise ArchiveError(
                    _("the {tipo} of {id} is refused: {id} is not in the archive").format(tipo=rel.tipo, id=target)
                ) from None
            if state == "annullato":
                raise ArchiveError(
                    _("the {tipo} of {id} is refused: {id} is already annullato").format(tipo=rel.tipo, id=target)
                )
            changes.append((target, rel.tipo))
        return changes

    def add_pdf_version(
        self, act_id_: str, pdf: bytes, *, event: str = "timestamp-renewed", actor: str | None = None
    ) -> ActRecord:
        """Make ``pdf`` the act's current PDF, e.g. after a new document timestamp (PAdES B-LTA).

        The new version must extend the current one (an incremental update), so what was signed
        stays byte for byte inside it. The file is written first, then one transaction points the
        record at it and logs ``event`` with both SHA-256: nothing is overwritten or deleted.
        """
        current = self.catalog.get(act_id_)
        if not pdf.startswith(self.blobs.get(current.pdf)):
            raise ArchiveError(
                _("the new PDF of {id} does not extend the archived one: refusing to replace it").format(id=act_id_)
            )
        ref = self.blobs.put(pdf, "pdf")
        with self.catalog.transaction():
            # Re-read under the write lock: another renewal may have won the race meanwhile.
            if self.catalog.get(act_id_).pdf != current.pdf:
                raise ArchiveError(_("the PDF of {id} changed meanwhile: run the renewal again").format(id=act_id_))
            payload = {"previous_sha256": current.pdf.sha256, "sha256": ref.sha256}
            self.catalog.set_pdf(act_id_, ref, event, payload, actor=actor)
        return self.catalog.get(act_id_)

    def get(self, act_id_: str) -> ActRecord:
        return self.catalog.get(act_id_)

    def versions(self, act_id_: str) -> list[VersionRecord]:
        return self.catalog.versions(act_id_)

    def record_event(self, kind: str, act_ids: Sequence[str], payload: dict[str, Any]) -> None:
        """Record a fact about acts that changes none of them (a receipt of conservation) in the
        event chain: one event per act, in one transaction."""
        with self.catalog.transaction():
            self.catalog.record_event(kind, act_ids, payload)

    def act_events(self, act_id_: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(time, payload) of the act's events of ``kind``, oldest first."""
        return self.catalog.act_events(act_id_, kind)

    def version(self, act_id_: str, number: int) -> VersionRecord:
        versions = self.catalog.versions(act_id_)
        # By number, not position: an act imported from a package made for a viewer without the
        # drafts grant starts at its publication (versions 2, 3... with no 1).
        found = next((v for v in versions if v.version == number), None)
        if found is None:
            first = versions[0].version if versions else 1
            if first == 1:
                raise ActNotFound(
                    _("{id} has no version {number} (it has {count})").format(
                        id=act_id_, number=number, count=len(versions)
                    )
                )
            raise ActNotFound(
                _("{id} has no version {number} (it has versions {first} to {last})").format(
                    id=act_id_, number=number, first=first, last=versions[-1].version
                )
            )
        return found

    def cites(self, act_id_: str) -> list[ReferenceRecord]:
        """What the act cites in its text and its relazioni; ``present`` says which targets are archived."""
        self.catalog.get(act_id_)
        return self.catalog.cites(act_id_)

    def cited_by(self, act_id_: str) -> list[ReferenceRecord]:
        """The citations and relazioni of other acts that point to ``act_id_``.

        Matched on the id the citation names, so an act cited before it was archived is found.
        """
        return self.catalog.cited_by(act_id_)

    def search(
        self, query: str = "", *, filters: Filters | None = None, limit: int = 20, offset: int = 0
    ) -> list[SearchHit]:
        """One page of the acts matching ``query`` and ``filters`` (see ``Catalog.search``); a query
        beyond the bounds of :func:`atti.archive.search.check_query` is a SearchError."""
        check_query(query)
        return self.catalog.search(query, filters=filters, limit=limit, offset=offset)

    def count(self, query: str = "", filters: Filters | None = None) -> int:
        """How many acts :meth:`search` finds over all its pages."""
        check_query(query)
        return self.catalog.count(query, filters)

    def facets(self, query: str = "", filters: Filters | None = None) -> dict[str, list[tuple[str, int]]]:
        """Counts per registro, anno, tipo, firmatario and stato of what :meth:`search` finds."""
        check_query(query)
        return self.catalog.facets(query, filters)

    def path_of(self, ref: BlobRef) -> Path:
        """Where a stored document lies on disk, when the archive keeps its documents as files
        (in S3 the path does not exist: read them with ``blobs.get``)."""
        return self.state_dir / ref.relpath


def references_of(
    act: Act, act_id_: str, resolve: Callable[[Reference], str | None] | None = None
) -> list[ReferenceRecord]:
    """The act's citations (with the cited act's id when the citation names its register) and relazioni.

    No default register: an office also cites other offices' acts without naming a register
    (the example's "Determinazione n. 46/2021" is the Segretario Generale's, not a D.O. act).
    Such a citation gets the id ``resolve`` finds for it, if any (Archive.resolve_citation), but
    never the act's own: it is not archived yet when it is sealed, and links must not depend on
    the order acts were archived in.
    """

    def target(ref: Reference) -> str | None:
        named = reference_to_act_id(ref)
        if named is not None or resolve is None:
            return named
        found = resolve(ref)
        return found if found != act_id_ else None

    out = [
        ReferenceRecord(act_id_, found.part, found.index, ref.kind, ref.number, ref.year, ref.date, ref.text,
                        target(ref))
        for found in act.references()
        for ref in (found.reference,)
    ]
    out += [
        ReferenceRecord(act_id_, "relazioni", i, "atto", str(rel.atto.numero), rel.atto.anno, None,
                        rel.nota or f"{rel.tipo} {rel.atto.id}", rel.atto.id, relazione=rel.tipo.value)
        for i, rel in enumerate(act.relazioni)
    ]
    return out


def verifica_index(act: Act, tipo: str | None, act_id_: str) -> int:
    """The index of the act's verifica of that tipo (any case); with no tipo, its only verifica."""
    tipi = ", ".join(f"'{v.tipo}'" for v in act.verifiche)
    if not act.verifiche:
        raise ArchiveError(_("{id} has no verifiche to review").format(id=act_id_))
    if tipo is None:
        if len(act.verifiche) == 1:
            return 0
        raise ArchiveError(
            _("{id} has {count} verifiche: name the one reviewed ({tipi})").format(
                id=act_id_, count=len(act.verifiche), tipi=tipi
            )
        )
    found = [i for i, v in enumerate(act.verifiche) if v.tipo.casefold() == tipo.strip().casefold()]
    if not found:
        raise ArchiveError(_("{id} has no verifica '{tipo}' (it has {tipi})").format(id=act_id_, tipo=tipo, tipi=tipi))
    return found[0]
