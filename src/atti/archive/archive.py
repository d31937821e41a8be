"""An open archive: a directory with the SQLite catalog, the blob store and the trust material.

::

    archive/
      atti.sqlite            the catalog (acts, registers, event log, search index)
      blobs/sha256/ab/...    every stored document under the SHA-256 of its bytes
      pki/                   the development CA made by ``atti init`` (not qualified)
      trust/                 further trust roots (PEM/DER) for verification
      locks/                 one lock file per register and year
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from atti.acts.model import Act, TipoRelazione
from atti.acts.references import reference_to_act_id
from atti.archive.blobs import BlobRef, FileBlobStore, storage_error
from atti.archive.catalog import ActRecord, ReferenceRecord, SearchHit, SqliteCatalog, VersionRecord
from atti.archive.search import Filters
from atti.archive.store import BlobStore, Catalog
from atti.errors import ActNotFound, ArchiveError, ArchiveNotFound, DuplicateNumber

CATALOG_FILE = "atti.sqlite"

# The relazioni that give the act they point to a new state, as a new version of it. Proroga,
# modifica and integrazione leave its state alone: they are recorded as links only. An act's life
# cycle before the archive (bozza, in verifica, firmato) is the drafting tools' business: what
# the archive holds is published, and only a later act can change that.
STATE_CHANGES = {TipoRelazione.annullamento: "annullato", TipoRelazione.rettifica: "rettificato"}


def act_id(register: str, year: int, number: int) -> str:
    """A readable, URL-safe id: register "D.O.", 2026, 129 -> "DO-2026-129"."""
    slug = re.sub(r"[^0-9A-Za-z]+", "", register) or "R"
    return f"{slug}-{year}-{number}"


class Archive:
    def __init__(self, root: Path, catalog: Catalog, blobs: BlobStore) -> None:
        self.root = root
        self.catalog = catalog
        self.blobs = blobs

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, root: Path) -> tuple[Archive, bool]:
        """Open the archive at ``root``, creating it first if needed; says whether it was new."""
        created = not (root / CATALOG_FILE).exists()
        try:
            for sub in ("blobs", "pki", "trust", "locks"):
                (root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, f"the archive directory {root}") from None
        return cls._open(root), created

    @classmethod
    def open(cls, root: Path) -> Archive:
        if not (root / CATALOG_FILE).is_file():
            raise ArchiveNotFound(f"no archive at {root}: create one with 'atti init --archive {root}'")
        return cls._open(root)

    @classmethod
    def _open(cls, root: Path) -> Archive:
        return cls(root, SqliteCatalog(root / CATALOG_FILE), FileBlobStore(root))

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pki_dir(self) -> Path:
        return self.root / "pki"

    @property
    def trust_dir(self) -> Path:
        return self.root / "trust"

    # -- registers ---------------------------------------------------------------------------

    @contextmanager
    def register_lock(self, register: str, year: int) -> Iterator[None]:
        """Hold the register for the whole publish, so numbers are given without gaps.

        A number must be in the PDF before it is signed, so it is chosen before rendering; the
        lock keeps a second publisher from taking the same number meanwhile, and a failed
        publish gives its number back simply by never recording it.
        """
        path = self.root / "locks" / f"{act_id(register, year, 0)}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise storage_error(exc, f"the register lock {path}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def next_number(self, register: str, year: int) -> int:
        return self.catalog.last_number(register, year) + 1

    def ensure_number_free(self, register: str, year: int, number: int) -> None:
        taken = self.catalog.number_taken(register, year, number)
        if taken:
            raise DuplicateNumber(f"register {register} already has number {number}/{year} ({taken})")

    # -- acts --------------------------------------------------------------------------------

    def seal(self, act: Act, *, source: str, docx: bytes, pdf: bytes, signer: str) -> ActRecord:
        """Store a signed act: files first (content-addressed), then one catalog transaction."""
        if act.numero is None:
            raise ArchiveError("an act must have its number before it is sealed into the archive")
        self.check_relazioni(act)  # refused before any file is written
        source_ref = self.blobs.put(source.encode("utf-8"), "yaml")
        docx_ref = self.blobs.put(docx, "docx")
        pdf_ref = self.blobs.put(pdf, "pdf")
        record = ActRecord(
            id=act_id(act.registro, act.anno, act.numero),
            register=act.registro,
            year=act.anno,
            number=act.numero,
            tipo=act.tipo.value,
            organo=act.organo,
            data=act.data,
            ente=act.ente.nome,
            oggetto=act.oggetto,
            signer=signer,
            state="pubblicato",
            source=source_ref,
            docx=docx_ref,
            pdf=pdf_ref,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        with self.catalog.transaction():
            # Checked again under the write lock: another publisher may have annulled a target meanwhile.
            changes = self.check_relazioni(act)
            self.catalog.insert_act(record, act.body_text(), references_of(act, record.id))
            for target, tipo in changes:
                self.catalog.set_state(target, STATE_CHANGES[tipo], reason=tipo.value, by_act=record.id)
        return record

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
                raise ArchiveError(f"{target} cannot declare the {rel.tipo} of itself")
            try:
                state = self.catalog.get(target).state
            except ActNotFound:
                raise ArchiveError(
                    f"the {rel.tipo} of {target} is refused: {target} is not in the archive"
                ) from None
            if state == "annullato":
                raise ArchiveError(f"the {rel.tipo} of {target} is refused: {target} is already annullato")
            changes.append((target, rel.tipo))
        return changes

    def add_pdf_version(self, act_id_: str, pdf: bytes, *, event: str = "timestamp-renewed") -> ActRecord:
        """Make ``pdf`` the act's current PDF, e.g. after a new document timestamp (PAdES B-LTA).

        The new version must extend the current one (an incremental update), so what was signed
        stays byte for byte inside it. The file is written first, then one transaction points the
        record at it and logs ``event`` with both SHA-256: nothing is overwritten or deleted.
        """
        current = self.catalog.get(act_id_)
        if not pdf.startswith(self.blobs.get(current.pdf)):
            raise ArchiveError(f"the new PDF of {act_id_} does not extend the archived one: refusing to replace it")
        ref = self.blobs.put(pdf, "pdf")
        with self.catalog.transaction():
            # Re-read under the write lock: another renewal may have won the race meanwhile.
            if self.catalog.get(act_id_).pdf != current.pdf:
                raise ArchiveError(f"the PDF of {act_id_} changed meanwhile: run the renewal again")
            payload = {"previous_sha256": current.pdf.sha256, "sha256": ref.sha256}
            self.catalog.set_pdf(act_id_, ref, event, payload)
        return self.catalog.get(act_id_)

    def get(self, act_id_: str) -> ActRecord:
        return self.catalog.get(act_id_)

    def versions(self, act_id_: str) -> list[VersionRecord]:
        return self.catalog.versions(act_id_)

    def version(self, act_id_: str, number: int) -> VersionRecord:
        versions = self.catalog.versions(act_id_)
        if not 1 <= number <= len(versions):
            raise ActNotFound(f"{act_id_} has no version {number} (it has {len(versions)})")
        return versions[number - 1]

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
        self, query: str = "", *, register: str | None = None, year: int | None = None,
        filters: Filters | None = None, limit: int = 20,
    ) -> list[SearchHit]:
        return self.catalog.search(query, register=register, year=year, filters=filters, limit=limit)

    def path_of(self, ref: BlobRef) -> Path:
        """Where a stored document lies on disk (the embedded store keeps them as files)."""
        return self.root / ref.relpath


def references_of(act: Act, act_id_: str) -> list[ReferenceRecord]:
    """The act's citations (with the cited act's id when the citation names its register) and relazioni.

    No default register: an office also cites other offices' acts without naming a register
    (the example's "Determinazione n. 46/2021" is the Segretario Generale's, not a D.O. act).
    """
    out = [
        ReferenceRecord(act_id_, found.part, found.index, ref.kind, ref.number, ref.year, ref.date, ref.text,
                        reference_to_act_id(ref))
        for found in act.references()
        for ref in (found.reference,)
    ]
    out += [
        ReferenceRecord(act_id_, "relazioni", i, "atto", str(rel.atto.numero), rel.atto.anno, None,
                        rel.nota or f"{rel.tipo} {rel.atto.id}", rel.atto.id, relazione=rel.tipo.value)
        for i, rel in enumerate(act.relazioni)
    ]
    return out
