"""Acts signed before atti, brought into the archive as they are: ``atti import DIR --archive A``.

Each PDF of a folder is read (:mod:`atti.acts.importer`) and registered under its own number
with state ``importato``: the original PDF is kept byte for byte as the act's signed document,
never re-rendered nor re-signed, and the act read from it is stored as its source. The register
remembers the highest number seen, so acts published later continue after it. Only a PDF can
stand as the signed original, so text and DOCX files of the folder are reported, not archived.
Once all are in, the citations between them are linked again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atti.acts.importer import ImportResult, import_bytes, read_document
from atti.acts.personal import publication_act
from atti.archive.archive import Archive, act_id, references_of
from atti.archive.records import ActRecord
from atti.errors import ArchiveError, AttiError, ImportSourceError
from atti.i18n import _

IMPORTED_STATE = "importato"
READABLE = (".pdf", ".docx", ".txt")
Progress = Callable[[int, int], None]


@dataclass
class FolderImport:
    imported: list[tuple[str, str, float]] = field(default_factory=list)  # (file, act id, confidence)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    relinked: int = 0  # how many acts' citations the archive linked again afterwards

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": [{"file": f, "id": i, "confidence": c} for f, i, c in self.imported],
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "relinked": self.relinked,
        }


def readable_files(folder: Path) -> list[Path]:
    """The documents of ``folder`` an import reads, in name order; refused when there is none,
    before any archive is opened."""
    if not folder.is_dir():
        raise ImportSourceError(_("{folder}: not a folder").format(folder=folder))
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in READABLE)
    if not files:
        raise ImportSourceError(_("{folder}: no PDF, DOCX or text file to import").format(folder=folder))
    return files


def import_folder(
    archive: Archive, files: list[Path], *, ente: str | None = None, on_progress: Progress | None = None
) -> FolderImport:
    """Import ``files`` (:func:`readable_files`) into ``archive``; one bad file is reported and
    skipped, never fatal: the others still go in."""
    out = FolderImport()
    for done, path in enumerate(files, 1):
        try:
            data = read_document(path)  # a regular file, within the size atti import reads
            if not data.startswith(b"%PDF"):
                out.skipped.append((path.name, _("not a PDF: only a PDF can be kept as the signed original")))
            else:
                result = import_bytes(data, path.name, ente=ente)
                record = register_imported(archive, result, data)
                out.imported.append((path.name, record.id, result.confidence))
        except AttiError as exc:
            out.skipped.append((path.name, exc.msg))
        except OSError as exc:
            out.skipped.append((path.name, _("cannot read: {reason}").format(reason=exc.strerror)))
        if on_progress is not None:
            on_progress(done, len(files))
    # An act cites acts imported after it (in file order) too: link its citations again.
    out.relinked = archive.relink_references()
    return out


def register_imported(archive: Archive, result: ImportResult, original_pdf: bytes) -> ActRecord:
    """Record one imported act under its own number, the original PDF as its signed document."""
    act = result.act
    if act.numero is None:
        raise ArchiveError(
            _("{file}: no number found in the act: it cannot take a place in its register").format(file=result.file)
        )
    if result.missing:
        raise ArchiveError(
            _("{file}: parts missing ({parts}): complete the YAML first").format(
                file=result.file, parts=", ".join(result.missing)
            )
        )
    id_ = act_id(act.registro, act.anno, act.numero)
    with archive.register_lock(act.registro, act.anno):
        # Its own number, not the register's next: only refused when taken, or under another
        # spelling of an archived register. The gap it may leave is archive verify's to show.
        archive.ensure_register(act.registro, act.anno)
        archive.ensure_number_free(act.registro, act.anno, act.numero)
        source_ref = archive.blobs.put(result.yaml.encode("utf-8"), "yaml")
        # No DOCX was ever made for an act signed elsewhere: an empty file stands in its slot.
        docx_ref = archive.blobs.put(b"", "docx")
        pdf_ref = archive.blobs.put(original_pdf, "pdf")
        record = ActRecord(
            id=id_, registro=act.registro, anno=act.anno, numero=act.numero, tipo=act.tipo.value, organo=act.organo,
            data=act.data, ente=act.ente.nome, oggetto=publication_act(act).oggetto, firmatario=act.nomi_firmatari,
            stato=IMPORTED_STATE, source=source_ref, docx=docx_ref, pdf=pdf_ref,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), riservato=act.riservato,
        )
        with archive.catalog.transaction():
            public = publication_act(act)  # the search sees no personal data the act marks (atti.acts.personal)
            archive.catalog.insert_act(record, public.body_text(), references_of(public, id_, archive.resolve_citation))
    return record
