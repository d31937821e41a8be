"""The PostgreSQL catalog: the same acts, registers, event log and search as the SQLite one, for
archives written by many application servers at once.

Serialisation. Every write transaction first takes one transaction-level advisory lock (the
``BEGIN IMMEDIATE`` of SQLite): the event log is a hash chain, so its appends must be one after
the other whichever register they are about. A publish holds its register for much longer (the
number goes into the PDF before it is signed), with a session-level advisory lock on this
catalog's connection (:meth:`PgCatalog.register_lock`): other registers publish meanwhile, and a
server that dies mid-publish releases the lock with its connection, giving its number back.

Tamper evidence is computed exactly as in :mod:`atti.archive.catalog`, by the same functions, on
the same column names and values (dates and timestamps as ISO text, integers as integers), so an
archive migrated from one backend to the other verifies identically, event hashes included.

Search uses PostgreSQL's ``italian`` text search configuration (the same Snowball stemmer as the
SQLite index): a weighted tsvector (oggetto A, body D) with a GIN index, ranked by ``ts_rank``
with the oggetto weighing 4 times the body, snippets by ``ts_headline``. The configuration is a
copy, ``atti_italian``, whose stemmer keeps the stopwords in the index: atti drops its own
stopwords from a query (as for SQLite), and a query made only of stopwords searches them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from atti.archive import search as fts
from atti.archive.blobs import BlobRef
from atti.archive.catalog import (
    DRAFT_STATES,
    GENESIS,
    ActRecord,
    ReferenceRecord,
    SearchHit,
    VersionRecord,
    _as_dict,
    _digest_of,
    _event_hash,
    _loads,
    _references_digest,
    row_digest,
)
from atti.archive.head import ChainHead, check_head, read_head, write_head
from atti.errors import ActNotFound, ArchiveError, DuplicateNumber, StorageError

SCHEMA_VERSION = 1

# Advisory lock keys (two int4): the first names atti's use, the second the register.
_WRITE_LOCK = (0x61747469, 0)  # "atti"
_REGISTER_LOCKS = 0x61747472  # "attr"

# The columns the digests cover, in the SQLite tables' order (a reference digest is a list).
ACT_COLUMNS = (
    "id", "register", "year", "number", "tipo", "organo", "data", "ente", "oggetto", "body", "signer", "state",
    "source_sha256", "docx_sha256", "pdf_sha256", "created_at", "riservato",
)
VERSION_COLUMNS = (
    "act_id", "version", "state", "source_sha256", "docx_sha256", "pdf_sha256", "reason", "by_act", "created_at",
)
REFERENCE_COLUMNS = ("act_id", "part", "idx", "kind", "number", "year", "date", "text", "target_id", "relazione")
EVENT_COLUMNS = ("seq", "at", "kind", "act_id", "payload", "prev_hash", "hash", "row_digest")

# The tables of SQLite's schema 4 (number NULL for a draft, riservato 0/1), with the same column
# names and types; text that is sorted or compared collates as "C" (by code point, as SQLite).
# seq: the order acts were archived in (SQLite's rowid); search: oggetto weighted A, body D;
# search_oggetto: the oggetto alone, for broad queries (see search).
SCHEMA = """
CREATE TEXT SEARCH DICTIONARY atti_italian_stem (TEMPLATE = snowball, LANGUAGE = italian);
CREATE TEXT SEARCH CONFIGURATION atti_italian (COPY = italian);
ALTER TEXT SEARCH CONFIGURATION atti_italian ALTER MAPPING
    FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH atti_italian_stem;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE registers (
    register TEXT COLLATE "C" NOT NULL, year INTEGER NOT NULL, last_number INTEGER NOT NULL,
    PRIMARY KEY (register, year)
);
CREATE TABLE acts (
    id TEXT COLLATE "C" PRIMARY KEY,
    register TEXT COLLATE "C" NOT NULL, year INTEGER NOT NULL, number INTEGER,
    tipo TEXT COLLATE "C" NOT NULL, organo TEXT COLLATE "C" NOT NULL, data TEXT COLLATE "C" NOT NULL,
    ente TEXT NOT NULL, oggetto TEXT NOT NULL, body TEXT NOT NULL, signer TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    source_sha256 TEXT NOT NULL, docx_sha256 TEXT NOT NULL, pdf_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL, riservato INTEGER NOT NULL DEFAULT 0,
    seq BIGSERIAL NOT NULL UNIQUE,
    search TSVECTOR NOT NULL,
    search_oggetto TSVECTOR NOT NULL,
    UNIQUE (register, year, number)
);
CREATE INDEX acts_search ON acts USING gin (search);
CREATE INDEX acts_search_oggetto ON acts USING gin (search_oggetto);
CREATE INDEX acts_by_number ON acts (number, year);
CREATE INDEX acts_by_data ON acts (data, number);
CREATE INDEX acts_by_year ON acts (year, data, number);
CREATE INDEX acts_by_register ON acts (register, year, data, number);
CREATE TABLE events (
    seq BIGINT PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, act_id TEXT,
    payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, row_digest TEXT
);
CREATE INDEX events_act ON events (act_id, seq);
CREATE TABLE versions (
    act_id TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL,
    source_sha256 TEXT NOT NULL, docx_sha256 TEXT NOT NULL, pdf_sha256 TEXT NOT NULL,
    reason TEXT NOT NULL, by_act TEXT, created_at TEXT NOT NULL,
    PRIMARY KEY (act_id, version)
);
CREATE TABLE act_references (
    act_id TEXT NOT NULL, part TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL,
    number TEXT, year INTEGER, date TEXT, text TEXT NOT NULL, target_id TEXT, relazione TEXT,
    seq BIGSERIAL NOT NULL UNIQUE
);
CREATE INDEX act_references_act ON act_references (act_id);
CREATE INDEX act_references_target ON act_references (target_id);
"""

# The tsvectors of an act, from its oggetto and body (parameters: oggetto, body).
_SEARCH = (
    "setweight(to_tsvector('atti_italian', %(oggetto)s), 'A') || setweight(to_tsvector('atti_italian', %(body)s), 'D')"
)
_SEARCH_OGGETTO = "to_tsvector('atti_italian', %(oggetto)s)"
# ts_rank's weights are {D, C, B, A}: the oggetto (A) weighs 4 times the body (D), as in SQLite;
# normalisation 1 divides by 1 + log(length), so a long body does not win by its length alone.
_RANK = "ts_rank('{0.25, 0.2, 0.4, 1.0}', a.search, plainto_tsquery('atti_italian', %(words)s), 1)"
# Written out where it is used (not joined from a subquery) so that the planner folds it into a
# constant and the GIN indexes serve the match.
_TSQUERY = "plainto_tsquery('atti_italian', %(words)s)"
# The oggetto alone, weighted as in _RANK: a small tsvector, kept in the row (not TOASTed).
_RANK_OGGETTO = "ts_rank('{0.25, 0.2, 0.4, 1.0}', a.search_oggetto, plainto_tsquery('atti_italian', %(words)s), 1)"
_HEADLINE = "StartSel=[, StopSel=], MinWords=15, MaxWords=30, ShortWord=2, MaxFragments=1"


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _storage_error(exc: psycopg.Error, doing: str) -> StorageError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StorageError(f"cannot {doing}: {first}")


class PgCatalog:
    """The PostgreSQL catalog behind the archive's catalog interface (see the module docstring)."""

    def __init__(self, url: str, *, create: bool = False, head: Path | None = None) -> None:
        self.url = url
        self.head = head  # the chain head's copy outside the database (see verify_head)
        self._head_due = False
        try:
            self.db = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        except psycopg.Error as exc:
            raise _storage_error(exc, f"open the catalog {redacted(url)}") from None
        self.created = False
        try:
            if create:
                self.created = self._create_schema()
            version = self.schema_version()
        except psycopg.Error as exc:
            self.db.close()
            raise _storage_error(exc, f"open the catalog {redacted(url)}") from None
        if version is None:
            self.db.close()
            from atti.errors import ArchiveNotFound

            raise ArchiveNotFound(
                f"no archive in the database {redacted(url)}: create one with 'atti init --archive URL'"
            )
        if version > SCHEMA_VERSION:
            self.db.close()
            raise StorageError(
                f"the catalog {redacted(url)} was written by a newer atti (schema {version}): upgrade atti to open it"
            )

    def schema_version(self) -> int | None:
        if self.db.execute("SELECT to_regclass('meta') AS t").fetchone()["t"] is None:  # type: ignore[index]
            return None
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row["value"]) if row else None

    def _create_schema(self) -> bool:
        with self.db.transaction():
            # Two servers running ``atti init`` at once: one creates, the other finds it made.
            self.db.execute("SELECT pg_advisory_xact_lock(%s, %s)", _WRITE_LOCK)
            if self.db.execute("SELECT to_regclass('meta') AS t").fetchone()["t"] is not None:  # type: ignore[index]
                return False
            self.db.execute(SCHEMA.encode())
            self.db.execute("INSERT INTO meta VALUES ('schema_version', %s)", (str(SCHEMA_VERSION),))
        return True

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        try:
            tx = self.db.transaction()
            tx.__enter__()
            self.db.execute("SELECT pg_advisory_xact_lock(%s, %s)", _WRITE_LOCK)
        except psycopg.Error as exc:
            raise _storage_error(exc, "write the catalog") from None
        self._head_due = False
        try:
            yield self.db
        except psycopg.Error as exc:  # the server went away, disk full, a constraint
            tx.__exit__(type(exc), exc, exc.__traceback__)
            raise _storage_error(exc, "write the catalog") from None
        except BaseException as exc:
            tx.__exit__(type(exc), exc, exc.__traceback__)
            raise
        try:
            tx.__exit__(None, None, None)
        except psycopg.Error as exc:
            raise _storage_error(exc, "write the catalog") from None
        if self._head_due and self.head is not None:
            write_head(self.head, self._newest_event)

    def _newest_event(self) -> ChainHead | None:
        row = self.db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return ChainHead(int(row["seq"]), str(row["hash"])) if row else None

    def verify_head(self) -> list[tuple[str, str, str]]:
        """The newest events against this server's copy of the chain head, in its state directory.

        Every server sharing the database keeps its own copy, written after each of its commits
        that appended events (with the newest event of all servers, read under the file's lock):
        a copy is at worst behind. A missing copy is no finding, since a server that has not
        written yet has none; deleting events the copy records, or rewriting the chain from
        there, is.
        """
        if self.head is None:
            return []
        try:
            head = read_head(self.head)
        except ValueError as exc:
            return [("changed", self.head.name, str(exc))]

        def hash_at(seq: int) -> str | None:
            row = self._one("SELECT hash FROM events WHERE seq=%s", (seq,))
            return str(row["hash"]) if row else None

        return check_head(head, expected=False, newest=self._newest_event(), hash_at=hash_at)

    # -- registers ---------------------------------------------------------------------------

    @contextmanager
    def register_lock(self, register: str, year: int) -> Iterator[None]:
        """Hold the register for a whole publish, across every server sharing the database.

        A session-level advisory lock on this connection: released at the end, or by the server
        itself when the connection is lost (a crashed publisher gives its number back).
        """
        key = int.from_bytes(hashlib.sha256(f"{register}\x00{year}".encode()).digest()[:4], "big", signed=True)
        try:
            self.db.execute("SELECT pg_advisory_lock(%s, %s)", (_REGISTER_LOCKS, key))
        except psycopg.Error as exc:
            raise _storage_error(exc, f"lock the register {register} {year}") from None
        try:
            yield
        finally:
            with suppress(psycopg.Error):  # the connection is gone, and the lock with it
                self.db.execute("SELECT pg_advisory_unlock(%s, %s)", (_REGISTER_LOCKS, key))

    def last_number(self, register: str, year: int) -> int:
        row = self._one("SELECT last_number FROM registers WHERE register=%s AND year=%s", (register, year))
        return int(row["last_number"]) if row else 0

    def number_taken(self, register: str, year: int, number: int) -> str | None:
        row = self._one("SELECT id FROM acts WHERE register=%s AND year=%s AND number=%s", (register, year, number))
        return str(row["id"]) if row else None

    def _one(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        try:
            return self.db.execute(query.encode(), params).fetchone()
        except psycopg.Error as exc:
            raise _storage_error(exc, "read the catalog") from None

    def _all(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        try:
            return self.db.execute(query.encode(), params).fetchall()
        except psycopg.Error as exc:
            raise _storage_error(exc, "read the catalog") from None

    # -- acts --------------------------------------------------------------------------------

    def insert_act(self, record: ActRecord, body: str, references: Sequence[ReferenceRecord] = ()) -> None:
        """Record a sealed act and what it cites; call inside :meth:`transaction` (see SqliteCatalog)."""
        self._check_sealable(record)
        try:
            with self.db.transaction():  # a savepoint: a duplicate id leaves the transaction usable
                self.insert_act_row(_row_values(record, body))
        except psycopg.errors.UniqueViolation:
            raise DuplicateNumber(f"an act with id {record.id} is already in the archive") from None
        self._seal_rows(record, references)
        self.append_event("published", record.id, record.to_dict())

    def restore_act(
        self, record: ActRecord, body: str, versions: Sequence[VersionRecord], references: Sequence[ReferenceRecord]
    ) -> None:
        """Record a sealed act with the history it had in another archive (an imported package),
        versions and references as given, and one ``imported`` event; inside :meth:`transaction`."""
        self._check_sealable(record)
        try:
            with self.db.transaction():
                self.insert_act_row(_row_values(record, body))
        except psycopg.errors.UniqueViolation:
            raise DuplicateNumber(f"an act with id {record.id} is already in the archive") from None
        self._count(record)
        with self.db.cursor() as cur:
            cur.executemany(
                "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason,"
                " by_act, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(record.id, v.version, v.state, v.source.sha256, v.docx.sha256, v.pdf.sha256, v.reason, v.by_act,
                  v.created_at) for v in versions],
            )
        self.insert_references(_reference_rows(record.id, references))
        self.append_event("imported", record.id, {**record.to_dict(), "versions": len(versions)})

    def _count(self, record: ActRecord) -> None:
        """Raise the register's counter to the act's number."""
        self.db.execute(
            "INSERT INTO registers VALUES (%s, %s, %s) ON CONFLICT (register, year)"
            " DO UPDATE SET last_number = greatest(registers.last_number, excluded.last_number)",
            (record.register, record.year, record.number),
        )

    def _check_sealable(self, record: ActRecord) -> None:
        if record.number is None:
            raise ArchiveError(f"{record.id} has no number: only a numbered act can be sealed")
        taken = self.number_taken(record.register, record.year, record.number)
        if taken:
            raise DuplicateNumber(
                f"register {record.register} already has number {record.number}/{record.year} ({taken})"
            )

    def _seal_rows(self, record: ActRecord, references: Sequence[ReferenceRecord]) -> None:
        """The register's counter, the signed and the published versions, the references."""
        self._count(record)
        self._insert_version(record.id, "firmato", record.source, record.docx, record.pdf, "signed", None)
        self._insert_version(record.id, record.state, record.source, record.docx, record.pdf, "published", None)
        self.insert_references(_reference_rows(record.id, references))

    def insert_act_row(self, values: dict[str, Any]) -> None:
        """One act's row as the digests see it (``values`` by column name), with its search entry."""
        columns = list(values)
        self.db.execute(
            sql.SQL(
                f"INSERT INTO acts ({{}}, search, search_oggetto) VALUES ({{}}, {_SEARCH}, {_SEARCH_OGGETTO})"
            ).format(
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
            ),
            values,
        )

    def _update_row(self, act_id: str, values: dict[str, Any]) -> None:
        """Replace an act's row (a draft's) and its search entry, keeping its place (seq)."""
        columns = list(values)
        self.db.execute(
            sql.SQL(f"UPDATE acts SET {{}}, search = {_SEARCH}, search_oggetto = {_SEARCH_OGGETTO}"
                    " WHERE id = %(old_id)s").format(
                sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in columns),
            ),
            values | {"old_id": act_id},
        )

    def insert_references(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        with self.db.cursor() as cur:
            cur.executemany(
                "INSERT INTO act_references (act_id, part, idx, kind, number, year, date, text, target_id, relazione)"
                " VALUES (%(act_id)s, %(part)s, %(idx)s, %(kind)s, %(number)s, %(year)s, %(date)s, %(text)s,"
                " %(target_id)s, %(relazione)s)",
                rows,
            )

    def relink_candidates(self, kinds: Sequence[str]) -> list[str]:
        """Sealed acts whose references may link better now, oldest first (see SqliteCatalog)."""
        return [r["id"] for r in self._all(
            "SELECT id FROM acts a WHERE a.number IS NOT NULL AND (NOT EXISTS (SELECT 1 FROM act_references r"
            " WHERE r.act_id = a.id) OR EXISTS (SELECT 1 FROM act_references r WHERE r.act_id = a.id"
            " AND r.target_id IS NULL AND r.relazione IS NULL AND r.kind = ANY(%s) AND r.number ~ '^[0-9]'"
            " AND r.year IS NOT NULL AND r.date IS NOT NULL)) ORDER BY a.seq",
            (list(kinds),),
        )]

    def replace_references(self, act_id: str, references: Sequence[ReferenceRecord]) -> None:
        """Replace the act's reference rows and log ``references-relinked``; inside :meth:`transaction`."""
        self.get(act_id)
        self.db.execute("DELETE FROM act_references WHERE act_id=%s", (act_id,))
        self.insert_references(_reference_rows(act_id, references))
        linked = sum(1 for r in references if r.target_id is not None)
        self.append_event("references-relinked", act_id, {"references": len(references), "with_target": linked})

    # -- drafts ------------------------------------------------------------------------------

    def new_draft_id(self) -> str:
        """A draft id never given before in this catalog, "bozza-N"; call inside :meth:`transaction`."""
        row = self.db.execute(
            "INSERT INTO meta VALUES ('last_draft', '1') ON CONFLICT (key)"
            " DO UPDATE SET value = (meta.value::bigint + 1)::text RETURNING value"
        ).fetchone()
        assert row is not None
        return f"bozza-{row['value']}"

    def save_draft(self, record: ActRecord, body: str, *, reason: str) -> int:
        """Record a version of a draft; call inside :meth:`transaction` (see SqliteCatalog)."""
        if record.number is not None or record.state not in DRAFT_STATES:
            raise ArchiveError(f"{record.id}: a draft has no number and is {' or '.join(DRAFT_STATES)}")
        row = self.db.execute("SELECT number, state FROM acts WHERE id=%s", (record.id,)).fetchone()
        if row is None:
            self.insert_act_row(_row_values(record, body))
        else:
            if row["number"] is not None or row["state"] not in DRAFT_STATES:
                raise ArchiveError(f"{record.id} is not a draft: it is {row['state']}")
            self._update_row(record.id, _row_values(record, body))
        version = self._insert_version(record.id, record.state, record.source, record.docx, record.pdf, reason, None)
        self.append_event(reason, record.id, {"state": record.state, "version": version})
        return version

    def seal_draft(
        self, draft_id: str, record: ActRecord, body: str, references: Sequence[ReferenceRecord] = ()
    ) -> None:
        """Make the draft ``draft_id`` the sealed act ``record``; call inside :meth:`transaction`."""
        row = self.db.execute("SELECT number, state FROM acts WHERE id=%s", (draft_id,)).fetchone()
        if row is None:
            raise ActNotFound(f"no draft with id {draft_id} in the archive")
        if row["number"] is not None or row["state"] not in DRAFT_STATES:
            raise ArchiveError(f"{draft_id} is not a draft: it is {row['state']}")
        self._check_sealable(record)
        if record.id != draft_id and self.db.execute("SELECT 1 FROM acts WHERE id=%s", (record.id,)).fetchone():
            raise DuplicateNumber(f"an act with id {record.id} is already in the archive")
        self._update_row(draft_id, _row_values(record, body))
        self.db.execute("UPDATE versions SET act_id=%s WHERE act_id=%s", (record.id, draft_id))
        self._seal_rows(record, references)
        self.append_event("draft-sealed", draft_id, {"act_id": record.id})
        self.append_event("published", record.id, {**record.to_dict(), "draft": draft_id})

    def drafts(self) -> list[ActRecord]:
        """Every draft (no number, state in DRAFT_STATES), oldest first."""
        return [_record(r) for r in self._all(
            "SELECT * FROM acts WHERE number IS NULL AND state = ANY(%s) ORDER BY seq", (list(DRAFT_STATES),)
        )]

    def _insert_version(
        self, act_id: str, state: str, source: BlobRef, docx: BlobRef, pdf: BlobRef, reason: str, by_act: str | None
    ) -> int:
        row = self.db.execute(  # numbered in the same statement: one round trip per version
            "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason, by_act,"
            " created_at) SELECT %(act)s, coalesce(max(version), 0) + 1, %(state)s, %(source)s, %(docx)s, %(pdf)s,"
            " %(reason)s, %(by_act)s, %(at)s FROM versions WHERE act_id = %(act)s RETURNING version",
            {"act": act_id, "state": state, "source": source.sha256, "docx": docx.sha256, "pdf": pdf.sha256,
             "reason": reason, "by_act": by_act, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
        ).fetchone()
        assert row is not None
        return int(row["version"])

    def set_pdf(self, act_id: str, pdf: BlobRef, kind: str, payload: dict[str, Any]) -> None:
        """Point an act at a new version of its PDF and log why; call inside :meth:`transaction`."""
        cur = self.db.execute("UPDATE acts SET pdf_sha256=%s WHERE id=%s", (pdf.sha256, act_id))
        if cur.rowcount == 0:
            raise ActNotFound(f"no act with id {act_id} in the archive")
        record = self.get(act_id)
        self._insert_version(act_id, record.state, record.source, record.docx, pdf, kind, None)
        self.append_event(kind, act_id, payload)

    def set_state(self, act_id: str, state: str, *, reason: str, by_act: str) -> int:
        """Give an act a new state as a new version; call inside :meth:`transaction`."""
        cur = self.db.execute("UPDATE acts SET state=%s WHERE id=%s", (state, act_id))
        if cur.rowcount == 0:
            raise ActNotFound(f"no act with id {act_id} in the archive")
        record = self.get(act_id)
        version = self._insert_version(act_id, state, record.source, record.docx, record.pdf, reason, by_act)
        self.append_event(reason, act_id, {"state": state, "by_act": by_act, "version": version})
        return version

    def versions(self, act_id: str) -> list[VersionRecord]:
        """The act's versions, oldest first; raises ActNotFound for an unknown act."""
        self.get(act_id)
        return [_version(r) for r in self._all("SELECT * FROM versions WHERE act_id=%s ORDER BY version", (act_id,))]

    def cites(self, act_id: str) -> list[ReferenceRecord]:
        return self._references("r.act_id = %s", act_id)

    def cited_by(self, act_id: str) -> list[ReferenceRecord]:
        return self._references("r.target_id = %s AND r.act_id != r.target_id", act_id)

    def _references(self, where: str, act_id: str) -> list[ReferenceRecord]:
        rows = self._all(
            "SELECT r.*, a.id IS NOT NULL AS present FROM act_references r LEFT JOIN acts a ON a.id = r.target_id"
            f" WHERE {where} ORDER BY r.act_id, r.seq",
            (act_id,),
        )
        return [
            ReferenceRecord(
                act_id=r["act_id"], part=r["part"], index=r["idx"], kind=r["kind"], number=r["number"],
                year=r["year"], date=dt.date.fromisoformat(r["date"]) if r["date"] else None, text=r["text"],
                target_id=r["target_id"], relazione=r["relazione"], present=bool(r["present"]),
            )
            for r in rows
        ]

    # -- the event log -----------------------------------------------------------------------

    def _digest_rows(self, act_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]:
        """The act's row, version rows and reference rows, with exactly the SQLite tables' columns."""
        act = self.db.execute(f"SELECT {', '.join(ACT_COLUMNS)} FROM acts WHERE id=%s".encode(), (act_id,)).fetchone()
        versions = self.db.execute(
            f"SELECT {', '.join(VERSION_COLUMNS)} FROM versions WHERE act_id=%s ORDER BY version".encode(), (act_id,)
        ).fetchall()
        references = self.db.execute(
            f"SELECT {', '.join(REFERENCE_COLUMNS)} FROM act_references WHERE act_id=%s ORDER BY seq".encode(),
            (act_id,),
        ).fetchall()
        return act, versions, references

    def append_event(self, kind: str, act_id: str | None, payload: dict[str, Any]) -> None:
        """Append to the event log (inside :meth:`transaction`, whose lock orders the appends)."""
        row = self.db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        prev, seq = (row["hash"], int(row["seq"]) + 1) if row else (GENESIS, 1)
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        self._head_due = True
        digest = None
        if act_id:
            act, versions, references = self._digest_rows(act_id)
            if act is not None:
                digest = row_digest(act, versions=versions, references=references)  # type: ignore[arg-type]
        self.db.execute(
            "INSERT INTO events (seq, at, kind, act_id, payload, prev_hash, hash, row_digest)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (seq, at, kind, act_id, text, prev, _event_hash(prev, at, kind, act_id, text, digest), digest),
        )

    def verify_events(self) -> list[str]:
        """Every break in the event chain, as one line each (empty when the chain holds)."""
        problems, prev = [], GENESIS
        for row in self._all("SELECT * FROM events ORDER BY seq"):
            if row["prev_hash"] != prev:
                problems.append(f"event {row['seq']}: does not follow the event before it")
            expected = _event_hash(
                row["prev_hash"], row["at"], row["kind"], row["act_id"], row["payload"], row["row_digest"]
            )
            if row["hash"] != expected:
                problems.append(f"event {row['seq']}: content changed after it was written")
            prev = row["hash"]
        return problems

    def verify_rows(self) -> list[tuple[str, str, str]]:
        """Rows that differ from what the event log recorded, as (kind, what, message); see SqliteCatalog."""
        problems: list[tuple[str, str, str]] = []
        recorded: dict[str, tuple[int, str]] = {}
        for r in self._all(
            "SELECT seq, kind, act_id, row_digest FROM events"
            " WHERE act_id IS NOT NULL AND (row_digest IS NOT NULL OR kind = 'draft-sealed') ORDER BY seq"
        ):
            if r["kind"] == "draft-sealed":  # the draft's row became the sealed act's, which later events record
                recorded.pop(r["act_id"], None)
            else:
                recorded[r["act_id"]] = (int(r["seq"]), r["row_digest"])
        seen: set[str] = set()
        versions: dict[str, list[dict[str, Any]]] = {}
        for v in self._all(f"SELECT {', '.join(VERSION_COLUMNS)} FROM versions ORDER BY act_id, version"):
            versions.setdefault(v["act_id"], []).append(v)
        references: dict[str, list[dict[str, Any]]] = {}
        for r in self._all(f"SELECT {', '.join(REFERENCE_COLUMNS)} FROM act_references ORDER BY seq"):
            references.setdefault(r["act_id"], []).append(r)
        for row in self._all(f"SELECT {', '.join(ACT_COLUMNS)} FROM acts ORDER BY register, year, number NULLS FIRST"):
            act_id = row["id"]
            seen.add(act_id)
            if act_id not in recorded:
                problems.append(("unexpected", f"act {act_id}", "row was not written by atti: no event records it"))
                continue
            seq, digest = recorded[act_id]
            actual, expected = json.loads(row_digest(row)), _loads(digest)  # type: ignore[arg-type]
            if actual["sha256"] != expected.get("sha256"):
                old, new = expected.get("columns") or {}, actual["columns"]
                changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)) or ["(row)"]
                problems.append(
                    ("changed", f"act {act_id}", f"{', '.join(changed)} changed after event {seq} recorded the row")
                )
            problems += _verify_versions(
                act_id, seq, expected, versions.get(act_id, []), references.get(act_id, [])
            )
        for act_id, (seq, _) in sorted(recorded.items()):
            if act_id not in seen:
                problems.append(("missing", f"act {act_id}", f"row deleted (event {seq} recorded it)"))
        for act_id in sorted(versions):
            if act_id not in seen and act_id not in recorded:
                problems.append(("unexpected", f"act {act_id} versions", "rows were not written by atti"))
        for r in self._all(
            "SELECT r.register, r.year, r.last_number, max(a.number) AS highest FROM registers r"
            " LEFT JOIN acts a ON a.register = r.register AND a.year = r.year GROUP BY r.register, r.year"
            " ORDER BY r.register, r.year"
        ):
            if r["last_number"] != r["highest"]:
                problems.append(
                    ("changed", f"register {r['register']} {r['year']}",
                     f"counter says {r['last_number']}, the highest archived number is {r['highest'] or 0}")
                )
        return problems

    def blob_refs(self) -> list[tuple[BlobRef, str]]:
        """Every stored file the catalog vouches for, with who refers to it (see SqliteCatalog)."""
        refs: list[tuple[BlobRef, str]] = []
        for row in self._all("SELECT id, source_sha256, docx_sha256, pdf_sha256 FROM acts ORDER BY seq"):
            files = ((row["source_sha256"], "yaml"), (row["docx_sha256"], "docx"), (row["pdf_sha256"], "pdf"))
            refs += [
                (BlobRef(sha, ext), f"{ext if ext != 'yaml' else 'source'} of {row['id']}") for sha, ext in files if sha
            ]
        for row in self._all(
            "SELECT seq, act_id, payload FROM events WHERE kind != 'published' AND payload LIKE '%%sha256%%'"
            " ORDER BY seq"
        ):
            data = _loads(row["payload"])
            for key in ("previous_sha256", "sha256"):
                if isinstance(data.get(key), str):
                    refs.append((BlobRef(data[key], "pdf"), f"pdf version of {row['act_id']} (event {row['seq']})"))
        # The files of every version not named yet (a draft's earlier sources and previews).
        named = {ref for ref, _ in refs}
        for row in self._all(
            "SELECT act_id, version, source_sha256, docx_sha256, pdf_sha256 FROM versions ORDER BY act_id, version"
        ):
            for sha, ext in ((row["source_sha256"], "yaml"), (row["docx_sha256"], "docx"), (row["pdf_sha256"], "pdf")):
                if sha and (ref := BlobRef(sha, ext)) not in named:
                    named.add(ref)
                    kind = "source" if ext == "yaml" else ext
                    refs.append((ref, f"{kind} of {row['act_id']}@{row['version']}"))
        return refs

    def counts(self) -> tuple[int, int]:
        row = self._one("SELECT (SELECT count(*) FROM acts) AS acts, (SELECT count(*) FROM events) AS events")
        assert row is not None
        return int(row["acts"]), int(row["events"])

    def get(self, act_id: str) -> ActRecord:
        row = self._one("SELECT * FROM acts WHERE id=%s", (act_id,))
        if row is None:
            raise ActNotFound(f"no act with id {act_id} in the archive")
        return _record(row)

    def all(self) -> list[ActRecord]:
        return [_record(r) for r in self._all("SELECT * FROM acts ORDER BY register, year, number NULLS FIRST")]

    # -- search ------------------------------------------------------------------------------

    def search(
        self,
        query: str = "",
        *,
        register: str | None = None,
        year: int | None = None,
        filters: fts.Filters | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> list[SearchHit]:
        """Acts matching the query's words (best first) and the filters; without words, newest first.

        The semantics of ``Catalog.search`` (store.py): every word required (stemmed, stopwords
        dropped), "129/2026" means that number, a broad query ranks its oggetto matches first,
        ``offset`` pages through one ordering (equal scores in archive order, as FTS5 gives them).
        """
        f = filters or fts.Filters()
        if register or year:
            f = replace(f, register=register or f.register, year=year or f.year)
        with self._index_scans():
            return self._search(query, f, limit, offset)

    @contextmanager
    def _index_scans(self) -> Iterator[None]:
        """Plan the search's queries on the indexes: the planner does not know that ``@@`` on a
        row's tsvector means reading it back from TOAST, and scans the table for a word in a
        tenth of the acts 10 to 20 times slower than the GIN index finds them."""
        try:
            with self.db.transaction():
                self.db.execute("SET LOCAL enable_seqscan = off")
                yield
        except psycopg.Error as exc:
            raise _storage_error(exc, "read the catalog") from None

    def _search(self, query: str, f: fts.Filters, limit: int, offset: int) -> list[SearchHit]:
        selection = self._selection(query, f)
        if selection is None:
            return []
        where, params, words = selection
        params |= {"limit": limit, "offset": offset}
        if words is None:
            rows = self._all(
                "SELECT a.* FROM acts a" + (f" WHERE {' AND '.join(where)}" if where else "")
                + " ORDER BY a.data DESC, a.number DESC NULLS LAST, a.seq DESC LIMIT %(limit)s OFFSET %(offset)s",
                params,
            )
            return [SearchHit(_record(r), fts.snippet(r["body"], ""), 0.0) for r in rows]
        # The words' own match is the selection's last clause: the broad case swaps it.
        conditions = "".join(f" AND {w}" for w in where[:-1])
        # Counted only as far as the threshold: all that matters is which side of it the query is.
        count = self._one(
            f"SELECT count(*) AS n FROM (SELECT 1 FROM acts a WHERE a.search @@ {_TSQUERY} LIMIT %(enough)s) m",
            params | {"enough": fts.RANK_ALL_UP_TO + 1},
        )
        if count is None or count["n"] == 0:
            return []
        if count["n"] <= fts.RANK_ALL_UP_TO:
            rows = self._all(
                f"SELECT a.*, {_RANK} AS score FROM acts a WHERE a.search @@ {_TSQUERY}{conditions}"
                " ORDER BY score DESC, a.seq LIMIT %(limit)s OFFSET %(offset)s",
                params,
            )
        else:
            # Ranking every match of a very broad query reads every matching tsvector: rank those
            # with the words in the oggetto, by the oggetto (FTS5's rank with a column filter counts
            # that column only), then the rest most recently archived first, as SQLite does.
            # The page is cut from the first offset+limit of that order.
            params["wanted"] = wanted = offset + limit
            rows = self._all(
                f"SELECT a.*, {_RANK_OGGETTO} AS score FROM acts a WHERE a.search_oggetto @@ {_TSQUERY}{conditions}"
                " ORDER BY score DESC, a.seq LIMIT %(wanted)s",
                params,
            )
            if len(rows) < wanted:
                more = self._all(
                    f"SELECT a.*, 0.0::real AS score FROM acts a WHERE a.search @@ {_TSQUERY}{conditions}"
                    f" AND NOT a.search_oggetto @@ {_TSQUERY} ORDER BY a.seq DESC LIMIT %(wanted)s",
                    params,
                )
                rows += more[: wanted - len(rows)]
            rows = rows[offset:]
        snippets = self._headlines([r["id"] for r in rows], words)
        return [SearchHit(_record(r), snippets.get(r["id"], ""), float(r["score"])) for r in rows]

    def _selection(
        self, query: str, filters: fts.Filters | None
    ) -> tuple[list[str], dict[str, Any], str | None] | None:
        """WHERE clauses on ``acts a``, their parameters and the words searched (None for a listing
        or a number); None when the query finds nothing."""
        where, params = filter_sql(filters or fts.Filters(), "a")
        estremi = fts.ESTREMI.match(query)
        if estremi:  # "129/2026" means the act with that number, not the words 129 and 2026
            where += ["a.number = %(number)s", "a.year = %(number_year)s"]
            params |= {"number": int(estremi.group(1)), "number_year": int(estremi.group(2))}
            return where, params, None
        if not fts.query_stems(query):
            return None if fts.words(query) else (where, params, None)
        # The query's own words, not its stems: plainto_tsquery stems them the way the index did
        # (the same Snowball stemmer), with the same stopwords dropped first.
        found = fts.words(query)
        words = " ".join([w for w in found if w.lower() not in fts.STOPWORDS] or found)
        where.append(f"a.search @@ {_TSQUERY}")
        params["words"] = words
        return where, params, words

    def count(self, query: str = "", filters: fts.Filters | None = None) -> int:
        """How many acts :meth:`search` finds for ``query`` and ``filters`` over all its pages."""
        selection = self._selection(query, filters)
        if selection is None:
            return 0
        where, params, _ = selection
        with self._index_scans():
            row = self._one("SELECT count(*) AS n FROM acts a" + (f" WHERE {' AND '.join(where)}" if where else ""),
                            params)
        return int(row["n"]) if row else 0

    def facets(self, query: str = "", filters: fts.Filters | None = None) -> dict[str, list[tuple[str, int]]]:
        """For each of ``search.FACETS``: its values among the acts :meth:`search` finds, with how
        many acts have each, most first (ties by value, as SQLite orders them)."""
        out: dict[str, list[tuple[str, int]]] = {name: [] for name in fts.FACETS}
        selection = self._selection(query, filters)
        if selection is None:
            return out
        where, params, _ = selection
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        for name in fts.FACETS:
            with self._index_scans():
                rows = self._all(
                    f"SELECT a.{name} AS value, count(*) AS n FROM acts a{condition} GROUP BY a.{name}", params
                )
            # Sorted here: integers as numbers, text by code point, whatever the database's collation.
            ordered = sorted(((r["value"], int(r["n"])) for r in rows), key=lambda vn: (-vn[1], vn[0]))
            out[name] = [(str(value), n) for value, n in ordered]
        return out

    def _headlines(self, ids: list[str], words: str) -> dict[str, str]:
        """ts_headline snippets, from the body where it has the words, else from the oggetto."""
        if not ids:
            return {}
        rows = self._all(
            f"SELECT a.id, CASE WHEN ts_filter(a.search, '{{d}}') @@ {_TSQUERY}"
            f" THEN ts_headline('atti_italian', a.body, {_TSQUERY}, %(options)s)"
            f" ELSE ts_headline('atti_italian', a.oggetto, {_TSQUERY}, %(options)s) END AS snippet FROM acts a"
            " WHERE a.id = ANY(%(ids)s)",
            {"ids": ids, "words": words, "options": _HEADLINE},
        )
        return {r["id"]: " ".join(r["snippet"].split()) for r in rows}


def filter_sql(f: fts.Filters, table: str) -> tuple[list[str], dict[str, Any]]:
    """The filters as PostgreSQL WHERE clauses, with the semantics of :meth:`Filters.sql`."""
    where: list[str] = []
    params: dict[str, Any] = {}
    for name, clause, value in (
        ("register", "{t}.register = %(register)s", f.register),
        ("year", "{t}.year = %(year)s", f.year),
        ("date_from", "{t}.data >= %(date_from)s", f.date_from.isoformat() if f.date_from else None),
        ("date_to", "{t}.data <= %(date_to)s", f.date_to.isoformat() if f.date_to else None),
        ("tipo", "lower({t}.tipo) = lower(%(tipo)s)", f.tipo),
        ("organo", "strpos(lower({t}.organo), %(organo)s) > 0", f.organo.lower() if f.organo else None),
        ("signer", "strpos(lower({t}.signer), %(signer)s) > 0", f.signer.lower() if f.signer else None),
        ("state", "lower({t}.state) = lower(%(state)s)", f.state),
        ("cites", "{t}.id IN (SELECT act_id FROM act_references WHERE target_id = %(cites)s"
         " AND act_id != target_id)", f.cites),
        ("cited_by", "{t}.id IN (SELECT target_id FROM act_references WHERE act_id = %(cited_by)s"
         " AND act_id != target_id)", f.cited_by),
    ):
        if value is not None:
            where.append(clause.format(t=table))
            params[name] = value
    if f.public_only or f.hide_reserved:
        where.append(f"{table}.riservato = 0")
    if f.public_only or f.hide_unpublished:
        where.append(f"{table}.state = ANY(%(published)s)")
        params["published"] = list(fts.PUBLISHED_STATES)
    return where, params


def _verify_versions(
    act_id: str, seq: int, expected: dict[str, Any], versions: list[dict[str, Any]], references: list[dict[str, Any]]
) -> list[tuple[str, str, str]]:
    """The act's version and reference rows against what its last event recorded (as SQLite's)."""
    problems: list[tuple[str, str, str]] = []
    if "versions" in expected:
        old = _as_dict(expected["versions"])
        new = {str(r["version"]): _digest_of(r) for r in versions}  # type: ignore[arg-type]
        for number in sorted(old.keys() | new.keys(), key=lambda n: (len(n), n)):
            what = f"act {act_id} version {number}"
            if number not in new:
                problems.append(("missing", what, f"row deleted (event {seq} recorded it)"))
            elif number not in old:
                problems.append(("unexpected", what, "row was not written by atti: no event records it"))
            elif new[number]["sha256"] != (recorded := _as_dict(old[number])).get("sha256"):
                was, now = _as_dict(recorded.get("columns")), new[number]["columns"]
                changed = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k)) or ["(row)"]
                problems.append(("changed", what, f"{', '.join(changed)} changed after event {seq} recorded the row"))
    if "references" in expected and _references_digest(references) != expected["references"]:  # type: ignore[arg-type]
        problems.append(("changed", f"act {act_id} references", f"changed after event {seq} recorded them"))
    return problems


def _version(row: dict[str, Any]) -> VersionRecord:
    return VersionRecord(
        act_id=row["act_id"], version=row["version"], state=row["state"],
        source=BlobRef(row["source_sha256"], "yaml"), docx=BlobRef(row["docx_sha256"], "docx"),
        pdf=BlobRef(row["pdf_sha256"], "pdf"), reason=row["reason"], by_act=row["by_act"],
        created_at=row["created_at"],
    )


def _record(row: dict[str, Any]) -> ActRecord:
    return ActRecord(
        id=row["id"], register=row["register"], year=row["year"], number=row["number"], tipo=row["tipo"],
        organo=row["organo"], data=dt.date.fromisoformat(row["data"]), ente=row["ente"], oggetto=row["oggetto"],
        signer=row["signer"], state=row["state"], source=BlobRef(row["source_sha256"], "yaml"),
        docx=BlobRef(row["docx_sha256"], "docx"), pdf=BlobRef(row["pdf_sha256"], "pdf"),
        created_at=row["created_at"], riservato=bool(row["riservato"]),
    )


def _row_values(record: ActRecord, body: str) -> dict[str, Any]:
    """The acts row of ``record`` by column name (the values SQLite's row holds)."""
    return {
        "id": record.id, "register": record.register, "year": record.year, "number": record.number,
        "tipo": record.tipo, "organo": record.organo, "data": record.data.isoformat(), "ente": record.ente,
        "oggetto": record.oggetto, "body": body, "signer": record.signer, "state": record.state,
        "source_sha256": record.source.sha256, "docx_sha256": record.docx.sha256,
        "pdf_sha256": record.pdf.sha256, "created_at": record.created_at, "riservato": int(record.riservato),
    }


def _reference_rows(act_id: str, references: Sequence[ReferenceRecord]) -> list[dict[str, Any]]:
    return [
        {"act_id": act_id, "part": r.part, "idx": r.index, "kind": r.kind, "number": r.number, "year": r.year,
         "date": r.date.isoformat() if r.date else None, "text": r.text, "target_id": r.target_id,
         "relazione": r.relazione}
        for r in references
    ]
