"""The narrow storage interface the archive is written against.

Two implementations sit behind it, in storage/: SQLite + files (the embedded default) and
PostgreSQL + S3 (for bodies that outgrow one machine); storage/location.py picks one from what
``--archive`` names. The archive code uses only these methods.

The contract of a method is its docstring here (and, in more detail, on ``SqlCatalog`` and
``SqliteCatalog``); an implementation must give the same results for the same calls, including
order and ``None``s (one test suite runs on both). Schema 4 (what a mirror must hold):
``ActRecord.numero`` is None for a draft, and
``ActRecord.riservato`` is stored with every act and returned by every method giving records.
Schema 6 (PostgreSQL's 2): every version written stores who made it (``actor``, ``Made``) and a
review's verifica, esito and note; ``versions`` returns them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from atti.archive.records import ActRecord, BlobRef, Made, ReferenceRecord, SearchHit, VersionRecord
from atti.archive.search import Filters


class BlobStore(Protocol):
    def put(self, data: bytes, ext: str) -> BlobRef: ...
    def get(self, ref: BlobRef) -> bytes: ...
    def exists(self, ref: BlobRef) -> bool: ...
    # Where a person finds the stored document: a file's path, or an s3:// URL.
    def location(self, ref: BlobRef) -> str: ...
    # For archive verify: every stored name (a BlobRef's relpath when atti wrote it) with its size,
    # and the SHA-256 of what is stored under a name (None if it cannot be read).
    def entries(self) -> list[tuple[str, int]]: ...
    def digest(self, name: str) -> str | None: ...


class Catalog(Protocol):
    # None, or the one line every write is refused with: a read-only archive, or a catalog that
    # lost the archive's history, opened to be verified only (Archive.inspect).
    read_only: str | None

    def transaction(self) -> AbstractContextManager[Any]: ...
    # Held for a whole publish (number chosen, PDF rendered and signed, act sealed), by every
    # process and server writing the archive: numbers are given without gaps or repeats.
    def register_lock(self, register: str, year: int) -> AbstractContextManager[None]: ...
    def last_number(self, register: str, year: int) -> int: ...
    def number_taken(self, register: str, year: int, number: int) -> str | None: ...
    # Every register name that has numbered an act, in any year.
    def registers(self) -> list[str]: ...
    def neighbours(
        self, register: str, year: int, number: int
    ) -> tuple[tuple[int, dt.date] | None, tuple[int, dt.date] | None]:
        """The number and date of the act just before ``number`` in the register's year, and just after."""
        ...

    # The numbers missing between each register's lowest and highest archived number in a year,
    # as (register, year, first missing, last missing), in order.
    def register_gaps(self) -> list[tuple[str, int, int, int]]: ...
    def insert_act(
        self, record: ActRecord, body: str, references: Sequence[ReferenceRecord] = (), *, actor: str | None = None
    ) -> None:
        """Record a sealed (numbered) act inside ``transaction``: its row, search entry, register
        counter (raised to its number), two versions with its files (``firmato``/reason
        ``signed``, then ``record.stato``/``published``, made by ``actor``), its references, and one ``published``
        event (payload ``record.to_dict()``). DuplicateNumber for a number or id taken;
        ArchiveError for a record without a number."""
        ...

    def restore_act(
        self, record: ActRecord, body: str, versions: Sequence[VersionRecord], references: Sequence[ReferenceRecord]
    ) -> None:
        """Inside ``transaction``: a sealed act with the history it had in another archive (an
        imported package): its row (``created_at`` as given), search entry, register counter
        (raised to its number), ``versions`` and ``references`` stored exactly as given, and one
        ``imported`` event (payload ``record.to_dict()`` plus "versions": n). Refuses what
        ``insert_act`` refuses."""
        ...

    # -- drafts (schema 4): an act before it is sealed, number None, state in DRAFT_STATES ------

    def new_draft_id(self) -> str:
        """Inside ``transaction``: "bozza-N", N one more than the last given (never reused)."""
        ...

    def save_draft(self, record: ActRecord, body: str, *, reason: str, made: Made | None = None) -> int:
        """Inside ``transaction``: a new draft row (an id no act has) or the draft's row replaced
        by ``record`` (same row, so the same search entry, re-indexed), plus one version with
        ``record``'s state and files ("" sha256 = no file), ``reason`` and ``made``, plus one event
        ``reason`` (payload {"state", "version"} and what ``made`` sets, ``Made.payload``). Returns
        the version number. ArchiveError if ``record`` has a number or a state outside
        DRAFT_STATES, or its id is a sealed act."""
        ...

    def seal_draft(
        self, draft_id: str, record: ActRecord, body: str, references: Sequence[ReferenceRecord] = (), *,
        actor: str | None = None,
    ) -> None:
        """Inside ``transaction``: the draft's row becomes the sealed act ``record`` (new id and
        number; its versions move to ``record.id`` keeping their numbers), then what
        ``insert_act`` adds (counter, firmato and published versions, references), then two
        events: ``draft-sealed`` (act ``draft_id``, payload {"act_id": record.id}) and
        ``published`` (payload ``record.to_dict()`` plus "draft"). ActNotFound for an unknown
        draft, ArchiveError when it is not a draft, DuplicateNumber as ``insert_act``."""
        ...

    def drafts(self) -> list[ActRecord]:
        """Every draft (number None, state in DRAFT_STATES), oldest created first."""
        ...

    def set_pdf(
        self, act_id: str, pdf: BlobRef, kind: str, payload: dict[str, Any], *, actor: str | None = None
    ) -> None: ...
    def set_state(self, act_id: str, state: str, *, reason: str, by_act: str, actor: str | None = None) -> int: ...
    def versions(self, act_id: str) -> list[VersionRecord]: ...
    def record_event(self, kind: str, act_ids: Sequence[str], payload: dict[str, Any]) -> None:
        """One event of ``kind`` per act of ``act_ids`` with ``payload``, inside :meth:`transaction`
        (the acts' rows do not change: each event records them as they are)."""
        ...

    def act_events(self, act_id: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(time, payload) of the act's events of ``kind``, oldest first."""
        ...
    def relink_candidates(self, kinds: Sequence[str]) -> list[str]:
        """Ids of sealed acts (number not None), oldest archived first, that have no reference
        row at all, or a text citation (relazione None) of a kind in ``kinds`` with target_id
        None, a number starting with a digit, and year and date set: the acts
        ``Archive.relink_references`` reads again."""
        ...

    def replace_references(self, act_id: str, references: Sequence[ReferenceRecord]) -> None:
        """Inside ``transaction``: the act's reference rows become ``references`` (in order),
        and a ``references-relinked`` event (payload {"references": n, "with_target": m})
        records the act's rows. ActNotFound for an unknown act."""
        ...

    def cites(self, act_id: str) -> list[ReferenceRecord]: ...
    def cited_by(self, act_id: str) -> list[ReferenceRecord]: ...
    def get(self, act_id: str) -> ActRecord:
        """The act (or draft) with that id; ActNotFound otherwise (a sealed draft's id too)."""
        ...

    def all(self) -> list[ActRecord]: ...
    def search(
        self, query: str = "", *, filters: Filters | None = None, limit: int = 20, offset: int = 0
    ) -> list[SearchHit]:
        """At most ``limit`` acts matching ``query`` and ``filters``, after skipping ``offset`` of them.

        ``query``: Italian words (stemmed, stopwords dropped, all required; ranked by bm25 with
        the oggetto weighing 4 times the body), or "N/YYYY" (that number in that year), or ""
        (every act the filters select, newest first: data, then number, descending). A query with
        words but no stem finds nothing. With ``filters.public_only`` no riservato act and no act
        whose stato is not in ``search.PUBLISHED_STATES`` is returned. The same call with growing
        ``offset`` pages through one ordering without repeats.
        """
        ...

    def count(self, query: str = "", filters: Filters | None = None) -> int:
        """How many acts ``search(query, filters=filters)`` finds over all its pages (so with
        ``public_only`` reserved and unpublished acts are not counted)."""
        ...

    def facets(self, query: str = "", filters: Filters | None = None) -> dict[str, list[tuple[str, int]]]:
        """For each name in ``search.FACETS`` (registro, anno, tipo, firmatario, stato): the values
        the acts found by ``search(query, filters=filters)`` have, as text (a year "2026"), each
        with how many of those acts have it, most first and ties in ascending value order. Every
        name is a key, with [] when nothing matches; the counts of one name add up to ``count``."""
        ...
    def append_event(self, kind: str, act_id: str | None, payload: dict[str, Any]) -> None:
        """Inside ``transaction``: one event of the hash chain (records the act's rows' digest)."""
        ...

    def events_of(self, kinds: Sequence[str]) -> list[tuple[int, str, str, str | None, dict[str, Any]]]:
        """The events of those kinds, oldest first, as (seq, at, kind, act_id, payload): what the
        albo's register (atti.archive.albo) is made of. A payload that is not a JSON object is {}."""
        ...

    def verify_events(self) -> list[str]: ...

    def verify_head(self) -> list[tuple[str, str, str]]:
        """Truncation: the newest events against a copy of the chain head (last event's seq and
        hash) that the implementation keeps outside its database and rewrites after every commit
        that appended events (never before it: a head behind the database is fine, one ahead of
        it or with another hash for that seq is a finding). Findings as (kind, what, message),
        kind "missing" or "changed"; SQLite keeps the copy in atti.head (see atti.archive.storage.head)."""
        ...
    def verify_catalog(self) -> list[tuple[str, str, str]]:
        """The database itself, as (kind, what, message): what opening it to be verified found (a
        catalog missing or emptied, "missing"; not a catalog, "changed"), and the database's own
        consistency check of its pages and indexes ("changed" for each damaged one, "unchecked"
        when the check is not available: no failure)."""
        ...

    def verify_rows(self) -> list[tuple[str, str, str]]:
        """Rows against the digest the last event about each act recorded (see SqliteCatalog);
        a ``draft-sealed`` event retires the draft id's earlier events (its row became the act's)."""
        ...

    def blob_refs(self) -> list[tuple[BlobRef, str]]:
        """Every file the catalog vouches for, with who refers to it: each act's current files,
        the PDFs events name, and every version's files (a sha256 of "" names no file)."""
        ...

    def counts(self) -> tuple[int, int]: ...
    def close(self) -> None: ...
