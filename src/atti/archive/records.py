"""What the catalog holds, as the rest of atti sees it: an act's row, its versions, what it
cites, a search hit; and how a catalog row (SQLite's or PostgreSQL's, read by column name)
becomes one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BlobRef:
    """A stored document, named by the SHA-256 of its bytes (content addressing)."""

    sha256: str
    ext: str  # "pdf", "docx", "yaml": kept so an archivist can open the file as it is

    @property
    def relpath(self) -> str:
        return f"blobs/sha256/{self.sha256[:2]}/{self.sha256}.{self.ext}"


# An act before it is sealed: no number yet, and not public (see search.PUBLISHED_STATES).
DRAFT_STATES = ("bozza", "in verifica")


@dataclass(frozen=True)
class ActRecord:
    """An act's row: the newest of its versions. Its fields carry the act format's names (one
    word per concept, see CONTRIBUTING.md); ``firmatario`` is the signer's name. ``numero`` is
    None while the act is a draft (bozza, in verifica): numbers are given when it is sealed.
    ``riservato`` acts are kept out of public searches (``Filters.public_only``)."""

    id: str
    registro: str
    anno: int
    numero: int | None
    tipo: str
    organo: str
    data: dt.date
    ente: str
    oggetto: str
    firmatario: str
    stato: str
    source: BlobRef
    docx: BlobRef
    pdf: BlobRef
    created_at: str
    riservato: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "registro": self.registro,
            "anno": self.anno,
            "numero": self.numero,
            "tipo": self.tipo,
            "organo": self.organo,
            "data": self.data.isoformat(),
            "ente": self.ente,
            "oggetto": self.oggetto,
            "firmatario": self.firmatario,
            "stato": self.stato,
            "sha256": self.pdf.sha256,
            "created_at": self.created_at,
            "riservato": self.riservato,
        }


@dataclass(frozen=True)
class SearchHit:
    record: ActRecord
    snippet: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {**self.record.to_dict(), "snippet": self.snippet, "score": round(self.score, 4)}


@dataclass(frozen=True)
class VersionRecord:
    """One version of an archived act: its stato then and the files it had."""

    act_id: str
    version: int
    stato: str  # bozza | in verifica | firmato | pubblicato | annullato | rettificato | importato
    source: BlobRef
    docx: BlobRef
    pdf: BlobRef
    reason: str  # the event that made it: published, timestamp-renewed, annullamento, rettifica
    by_act: str | None  # the act that made it, for an annulment or a rectification
    created_at: str
    # Schema 6: who made it (a configured or --as user on the command line, the signed-in user on
    # the web; None for versions written before atti recorded it), and for a review
    # (reason "draft-reviewed") the verifica reviewed (its tipo), its esito and the reviewer's note.
    actor: str | None = None
    verifica: str | None = None
    esito: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "act_id": self.act_id,
            "version": self.version,
            "stato": self.stato,
            "reason": self.reason,
            "by_act": self.by_act,
            "created_at": self.created_at,
            "actor": self.actor,
            "verifica": self.verifica,
            "esito": self.esito,
            "note": self.note,
            "source_sha256": self.source.sha256,
            "docx_sha256": self.docx.sha256,
            "pdf_sha256": self.pdf.sha256,
        }


@dataclass(frozen=True)
class Made:
    """Who made a version (``actor``) and, for a review, the verifica reviewed, its esito and the note."""

    actor: str | None = None
    verifica: str | None = None
    esito: str | None = None
    note: str | None = None

    def payload(self) -> dict[str, str]:
        """What the version's event records of it (only what is set: events before schema 6 have none)."""
        return {k: v for k, v in (("actor", self.actor), ("verifica", self.verifica), ("esito", self.esito),
                                  ("note", self.note)) if v is not None}


@dataclass(frozen=True)
class ReferenceRecord:
    """A citation in an act's text (``relazione`` None) or one of its relazioni (the tipo)."""

    act_id: str  # the citing act
    part: str  # "premesse", "visti" ... or "relazioni"
    index: int  # 0-based item within the part
    tipo: str  # of the cited act: "determinazione", "delibera", "legge" ...; "atto" for a relazione
    numero: str | None  # as cited: "129", "XII/1536"
    anno: int | None
    data: dt.date | None
    testo: str  # the citation's words
    target_id: str | None  # the cited act's archive id, when the citation names one
    relazione: str | None = None
    present: bool = False  # whether target_id is in the archive (filled in when read)

    def to_dict(self) -> dict[str, Any]:
        return {
            "act_id": self.act_id,
            "part": self.part,
            "index": self.index,
            "tipo": self.tipo,
            "numero": self.numero,
            "anno": self.anno,
            "data": self.data.isoformat() if self.data else None,
            "testo": self.testo,
            "target_id": self.target_id,
            "relazione": self.relazione,
            "present": self.present,
        }


# The catalog's columns keep their first names (register, year, number, signer, state, kind...):
# every event's row digest names them, so renaming a column would break the chain of every
# archive already written. The records below are where the act format's names take over.


def act_record(row: Any) -> ActRecord:
    """The ActRecord of an acts row."""
    return ActRecord(
        id=row["id"], registro=row["register"], anno=row["year"], numero=row["number"], tipo=row["tipo"],
        organo=row["organo"], data=dt.date.fromisoformat(row["data"]), ente=row["ente"], oggetto=row["oggetto"],
        firmatario=row["signer"], stato=row["state"], source=BlobRef(row["source_sha256"], "yaml"),
        docx=BlobRef(row["docx_sha256"], "docx"), pdf=BlobRef(row["pdf_sha256"], "pdf"),
        created_at=row["created_at"], riservato=bool(row["riservato"]),
    )


def version_record(row: Any) -> VersionRecord:
    """The VersionRecord of a versions row."""
    return VersionRecord(
        act_id=row["act_id"], version=row["version"], stato=row["state"],
        source=BlobRef(row["source_sha256"], "yaml"), docx=BlobRef(row["docx_sha256"], "docx"),
        pdf=BlobRef(row["pdf_sha256"], "pdf"), reason=row["reason"], by_act=row["by_act"],
        created_at=row["created_at"], actor=row["actor"], verifica=row["verifica"], esito=row["esito"],
        note=row["note"],
    )


def reference_record(row: Any) -> ReferenceRecord:
    """The ReferenceRecord of an act_references row joined with ``present``."""
    return ReferenceRecord(
        act_id=row["act_id"], part=row["part"], index=row["idx"], tipo=row["kind"], numero=row["number"],
        anno=row["year"], data=dt.date.fromisoformat(row["date"]) if row["date"] else None, testo=row["text"],
        target_id=row["target_id"], relazione=row["relazione"], present=bool(row["present"]),
    )


def act_row(record: ActRecord, body: str) -> dict[str, Any]:
    """The acts row of ``record`` by column name, in the SQLite table's order (riservato last)."""
    return {
        "id": record.id, "register": record.registro, "year": record.anno, "number": record.numero,
        "tipo": record.tipo, "organo": record.organo, "data": record.data.isoformat(), "ente": record.ente,
        "oggetto": record.oggetto, "body": body, "signer": record.firmatario, "state": record.stato,
        "source_sha256": record.source.sha256, "docx_sha256": record.docx.sha256,
        "pdf_sha256": record.pdf.sha256, "created_at": record.created_at, "riservato": int(record.riservato),
    }
