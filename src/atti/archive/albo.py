"""The Albo pretorio online: the registro delle pubblicazioni, each publication's period, its
annulment and its attestato; and the publication copy of an act without its personal data.

L. 69/2009 art. 32 makes publication on the body's website legally effective; for comuni art.
124 TUEL asks 15 consecutive days. Publishing an act on the albo gives it the next number of the
registro delle pubblicazioni, a register of its own that runs without gaps in each year (the
year the publication starts, in Europe/Rome), and a period: from its first day (dal) to its
last (al), ``giorni`` days in all. An act stays in the archive when its period ends; it leaves
only the albo, and an attestato di pubblicazione (a signed PDF/A) is linked to the publication.

The register is kept as events of the archive's hash chain, nothing else: ``albo-published``,
``albo-annulled`` (with its reason) and ``albo-attested`` (the attestato's SHA-256), each about
the act. So it is as tamper-evident as the rest of the archive, copied by ``atti archive
migrate`` and the same on SQLite and PostgreSQL without a schema change; nothing is ever
deleted: an annulled publication keeps its number, with its reason, and the act may be
published again under a new number.

``publication-copy`` events link an act whose text marks personal data ([[...]], see
:mod:`atti.acts.personal`) to its publication copy: its own signed PDF/A with every marked
span [omissis], the only PDF of that act the public is given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from atti.acts.loader import load_act_text
from atti.acts.model import Act
from atti.acts.personal import has_personal_data
from atti.archive.archive import Archive
from atti.archive.records import ActRecord, BlobRef
from atti.errors import ActNotFound, ArchiveError, AttiError
from atti.i18n import _

ROME = ZoneInfo("Europe/Rome")
# art. 124 c. 1 TUEL: "per quindici giorni consecutivi".
DEFAULT_GIORNI = 15
MAX_GIORNI = 366
# The lock that gives the registro delle pubblicazioni's numbers without gaps (never an act's registro id).
_LOCK = "albo pretorio"

PUBLISHED, ANNULLED, ATTESTED, COPY = "albo-published", "albo-annulled", "albo-attested", "publication-copy"
ALBO_EVENTS = (PUBLISHED, ANNULLED, ATTESTED)

# What a publication is, on a given day.
IN_PUBBLICAZIONE, PROGRAMMATA, CONCLUSA, ANNULLATA = "in pubblicazione", "programmata", "conclusa", "annullata"


def today() -> dt.date:
    """Today in Europe/Rome: the day publications start and end by."""
    return dt.datetime.now(ROME).date()


def rome_date(iso: str) -> dt.date:
    """The day in Europe/Rome of an ISO instant the archive recorded (UTC)."""
    moment = dt.datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ROME).date()


@dataclass(frozen=True)
class Publication:
    """One entry of the registro delle pubblicazioni: ``numero``/``anno`` on the albo."""

    anno: int
    numero: int
    act_id: str
    dal: dt.date
    al: dt.date
    giorni: int
    pubblicata_il: str  # the instant it was recorded (UTC, ISO)
    actor: str | None = None
    annullata_il: str | None = None
    motivo: str | None = None  # why it was annulled
    attestato: BlobRef | None = None
    attestato_il: str | None = None

    @property
    def id(self) -> str:
        """Its stable name, "2026-15": the albo's year and number (also its URL, /albo/2026/15)."""
        return f"{self.anno}-{self.numero}"

    @property
    def url(self) -> str:
        return f"/albo/{self.anno}/{self.numero}"

    def stato(self, on: dt.date | None = None) -> str:
        on = on or today()
        if self.annullata_il is not None:
            return ANNULLATA
        if on < self.dal:
            return PROGRAMMATA
        return IN_PUBBLICAZIONE if on <= self.al else CONCLUSA

    def to_dict(self, on: dt.date | None = None) -> dict[str, Any]:
        return {
            "albo_id": self.id, "anno": self.anno, "numero": self.numero, "act_id": self.act_id,
            "dal": self.dal.isoformat(), "al": self.al.isoformat(), "giorni": self.giorni,
            "stato": self.stato(on), "pubblicata_il": self.pubblicata_il, "annullata_il": self.annullata_il,
            "motivo": self.motivo, "attestato_sha256": self.attestato.sha256 if self.attestato else None,
            "url": self.url,
        }


def publications(archive: Archive) -> list[Publication]:
    """Every publication of the register, as its events made it, oldest first."""
    found: dict[tuple[int, int], Publication] = {}
    for _seq, at, kind, act_id, data in archive.catalog.events_of(ALBO_EVENTS):
        try:
            key = (int(data["anno"]), int(data["numero"]))
            if kind == PUBLISHED and act_id is not None:
                found[key] = Publication(
                    key[0], key[1], act_id, dt.date.fromisoformat(data["dal"]), dt.date.fromisoformat(data["al"]),
                    int(data["giorni"]), at, data.get("actor"),
                )
            elif kind == ANNULLED and key in found:
                found[key] = replace(found[key], annullata_il=at, motivo=str(data.get("motivo", "")))
            elif kind == ATTESTED and key in found:
                found[key] = replace(found[key], attestato=BlobRef(str(data["sha256"]), "pdf"), attestato_il=at)
        except (KeyError, TypeError, ValueError):
            continue  # a tampered payload is the event chain's finding (atti archive verify)
    return sorted(found.values(), key=lambda p: (p.anno, p.numero))


def publication(archive: Archive, anno: int, numero: int) -> Publication:
    for p in publications(archive):
        if (p.anno, p.numero) == (anno, numero):
            return p
    raise ActNotFound(
        _("no publication {numero}/{anno} in the registro delle pubblicazioni").format(numero=numero, anno=anno)
    )


def of_act(archive: Archive, act_id: str) -> list[Publication]:
    """The act's publications, oldest first (an annulled one, then the one that took its place)."""
    return [p for p in publications(archive) if p.act_id == act_id]


def current(archive: Archive, act_id: str) -> Publication | None:
    """The act's publication that counts: its newest not annulled, if any."""
    valid = [p for p in of_act(archive, act_id) if p.annullata_il is None]
    return valid[-1] if valid else None


def publish(
    archive: Archive, act_id: str, *, giorni: int = DEFAULT_GIORNI, dal: dt.date | None = None,
    actor: str | None = None,
) -> Publication:
    """Publish the act on the albo from ``dal`` (today in Europe/Rome) for ``giorni`` consecutive days.

    Only a sealed act, pubblicato and not riservato, may go on the albo, and only once at a time
    (annul its publication first to publish it again). The number is the next of the year's
    registro delle pubblicazioni, given under its lock.
    """
    if not 1 <= giorni <= MAX_GIORNI:
        raise ArchiveError(_("giorni must be from 1 to {max}, not {giorni}").format(max=MAX_GIORNI, giorni=giorni))
    archive.ensure_writable()
    start = dal or today()
    end = start + dt.timedelta(days=giorni - 1)
    with archive.register_lock(_LOCK, start.year), archive.catalog.transaction():
        record = archive.get(act_id)
        if record.numero is None or record.stato != "pubblicato":
            raise ArchiveError(
                _("{id} is {stato}: only a published act goes on the albo").format(id=act_id, stato=record.stato)
            )
        if record.riservato:
            raise ArchiveError(_("{id} is riservato: a reserved act is never published on the albo").format(id=act_id))
        if has_personal_data(source_act(archive, record)) and publication_pdf(archive, record) is None:
            raise ArchiveError(
                _("{id} marks personal data but has no publication copy: make it first (atti albo copia {id})").format(
                    id=act_id
                )
            )
        existing = current(archive, act_id)
        if existing is not None:
            raise ArchiveError(
                _(
                    "{id} is already on the albo as {numero}/{anno}: annul that publication first "
                    "(atti albo annulla) to publish it again"
                ).format(id=act_id, numero=existing.numero, anno=existing.anno)
            )
        numero = 1 + max((p.numero for p in publications(archive) if p.anno == start.year), default=0)
        payload = {"anno": start.year, "numero": numero, "dal": start.isoformat(), "al": end.isoformat(),
                   "giorni": giorni}
        if actor:
            payload["actor"] = actor
        archive.catalog.append_event(PUBLISHED, act_id, payload)
    return publication(archive, start.year, numero)


def annul(archive: Archive, anno: int, numero: int, motivo: str, *, actor: str | None = None) -> Publication:
    """Annul a publication with its reason: a new event; the entry keeps its number, never deleted."""
    motivo = " ".join(motivo.split())
    if not motivo:
        raise ArchiveError(_("give the reason the publication is annulled (--motivo)"))
    archive.ensure_writable()
    with archive.catalog.transaction():
        found = publication(archive, anno, numero)
        if found.annullata_il is not None:
            raise ArchiveError(
                _("publication {numero}/{anno} is already annullata ({motivo})").format(
                    numero=numero, anno=anno, motivo=found.motivo
                )
            )
        payload: dict[str, Any] = {"anno": anno, "numero": numero, "motivo": motivo}
        if actor:
            payload["actor"] = actor
        archive.catalog.append_event(ANNULLED, found.act_id, payload)
    return publication(archive, anno, numero)


def due_attestati(archive: Archive, on: dt.date | None = None) -> list[Publication]:
    """The publications whose period has ended and that have no attestato yet."""
    return [p for p in publications(archive) if p.stato(on) == CONCLUSA and p.attestato is None]


def attest(archive: Archive, anno: int, numero: int, pdf: bytes, *, actor: str | None = None) -> Publication:
    """Link the signed attestato di pubblicazione to a publication whose period has ended."""
    archive.ensure_writable()
    found = publication(archive, anno, numero)
    if found.stato() != CONCLUSA:
        raise ArchiveError(
            _("publication {numero}/{anno} is {stato}: an attestato is made when its period ends").format(
                numero=numero, anno=anno, stato=found.stato()
            )
        )
    ref = archive.blobs.put(pdf, "pdf")
    with archive.catalog.transaction():
        if publication(archive, anno, numero).attestato is not None:
            raise ArchiveError(
                _("publication {numero}/{anno} already has its attestato").format(numero=numero, anno=anno)
            )
        payload: dict[str, Any] = {"anno": anno, "numero": numero, "sha256": ref.sha256}
        if actor:
            payload["actor"] = actor
        archive.catalog.append_event(ATTESTED, found.act_id, payload)
    return publication(archive, anno, numero)


# -- the publication copy ---------------------------------------------------------------------


def source_act(archive: Archive, record: ActRecord) -> Act:
    """The act as archived (its YAML source, read without the checks)."""
    try:
        return load_act_text(archive.blobs.get(record.source).decode("utf-8"), f"{record.id}.yaml", check=False).act
    except (AttiError, UnicodeDecodeError) as exc:
        raise ArchiveError(_("the source of {id} cannot be read: {reason}").format(id=record.id, reason=exc)) from None


def add_publication_copy(archive: Archive, act_id: str, pdf: bytes, *, actor: str | None = None) -> BlobRef:
    """Link ``pdf`` (the signed publication copy, personal data [omissis]) to the act."""
    record = archive.get(act_id)
    ref = archive.blobs.put(pdf, "pdf")
    with archive.catalog.transaction():
        payload: dict[str, Any] = {"sha256": ref.sha256, "original_sha256": record.pdf.sha256}
        if actor:
            payload["actor"] = actor
        archive.catalog.append_event(COPY, act_id, payload)
    return ref


def publication_copy(archive: Archive, act_id: str) -> BlobRef | None:
    """The act's newest publication copy, if one was made."""
    found = [d for _s, _a, _k, a, d in archive.catalog.events_of((COPY,)) if a == act_id and "sha256" in d]
    return BlobRef(str(found[-1]["sha256"]), "pdf") if found else None


def publication_pdf(archive: Archive, record: ActRecord) -> BlobRef | None:
    """The PDF the public may have of the act: its publication copy when its text marks
    personal data (None while it has none: nothing is shown rather than the full text), else
    the act's own."""
    copy = publication_copy(archive, record.id)
    if copy is not None:
        return copy
    try:
        marked = has_personal_data(source_act(archive, record))
    except ArchiveError:
        return None  # an unreadable source: the act cannot be shown to be free of personal data
    return None if marked else record.pdf
