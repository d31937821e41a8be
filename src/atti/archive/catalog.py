"""The SQLite catalog: acts, registers, the hash-chained event log and the search index.

One transaction per act: the act's row, its register's counter, its search entry and its event
are committed together or not at all. ``BEGIN IMMEDIATE`` takes the write lock up front so two
publishers cannot read the same "last number".

Tamper evidence: every event that creates or changes an act also records a digest of the act's
row as written (``row_digest``: the SHA-256 of the canonical JSON of its columns, plus a short
digest per column so that a later check can name the column that changed), and that digest is
part of the event's chained hash. An UPDATE made behind atti's back therefore no longer matches
the last event about the act, and rewriting that event breaks the chain. From schema 3 the digest
also covers the act's version rows and reference rows, which only ever change together with an
event about the act (a new version: publication, a renewed timestamp, an annulment).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from atti.archive import search as fts
from atti.archive.blobs import BlobRef
from atti.archive.head import ChainHead, check_head, head_path, read_head, write_head
from atti.errors import ActNotFound, ArchiveError, DuplicateNumber, StorageError

# 1: the first archives. 2: events carry ``row_digest``. 3: ``versions`` and ``act_references``
# tables (all additive; see ``_migrate``). 4: acts gain ``riservato`` and ``number`` may be NULL
# (a draft has no number until it is sealed); the acts table is rebuilt, keeping its rowids.
SCHEMA_VERSION = 4

# number: NULL for a draft (bozza, in verifica); UNIQUE lets any number of NULLs through.
# riservato: 1 for an act the public must not see (web search with ``public_only``).
_ACTS = """
CREATE TABLE IF NOT EXISTS {name} (
    id TEXT PRIMARY KEY,
    register TEXT NOT NULL, year INTEGER NOT NULL, number INTEGER,
    tipo TEXT NOT NULL, organo TEXT NOT NULL, data TEXT NOT NULL, ente TEXT NOT NULL,
    oggetto TEXT NOT NULL, body TEXT NOT NULL, signer TEXT NOT NULL, state TEXT NOT NULL,
    source_sha256 TEXT NOT NULL, docx_sha256 TEXT NOT NULL, pdf_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL, riservato INTEGER NOT NULL DEFAULT 0,
    UNIQUE (register, year, number)
);
"""
_ACTS_COLUMNS = (
    "id, register, year, number, tipo, organo, data, ente, oggetto, body, signer, state, source_sha256,"
    " docx_sha256, pdf_sha256, created_at"
)

# Columns added to a table after rows were recorded in events: left out of a row's digest while
# they hold their default, so a row recorded before the column existed still matches its event
# (and any other value, e.g. an act made riservato behind atti's back, does not).
_LATE_COLUMNS: dict[str, object] = {"riservato": 0}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS registers (
    register TEXT NOT NULL, year INTEGER NOT NULL, last_number INTEGER NOT NULL,
    PRIMARY KEY (register, year)
);
{acts}
CREATE VIRTUAL TABLE IF NOT EXISTS acts_fts USING fts5(
    oggetto_stems, body_stems, content='', tokenize='unicode61'
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, act_id TEXT,
    payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, row_digest TEXT
);
-- Every state of an act, 1.. in order; rows are only ever added. The act's row holds the newest.
-- by_act: the act whose publication made this version (an annulment, a rectification).
CREATE TABLE IF NOT EXISTS versions (
    act_id TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL,
    source_sha256 TEXT NOT NULL, docx_sha256 TEXT NOT NULL, pdf_sha256 TEXT NOT NULL,
    reason TEXT NOT NULL, by_act TEXT, created_at TEXT NOT NULL,
    PRIMARY KEY (act_id, version)
);
-- What each act cites: the citations found in its text (relazione NULL) and its relazioni (the
-- tipo). target_id is the cited act's archive id when the citation names one, archived or not
-- (not a foreign key: an act is often cited before it is archived). "references" is an SQL
-- keyword, hence the name.
CREATE TABLE IF NOT EXISTS act_references (
    act_id TEXT NOT NULL, part TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL,
    number TEXT, year INTEGER, date TEXT, text TEXT NOT NULL, target_id TEXT, relazione TEXT
);
CREATE INDEX IF NOT EXISTS act_references_act ON act_references (act_id);
CREATE INDEX IF NOT EXISTS act_references_target ON act_references (target_id);
""".format(acts=_ACTS.format(name="acts"))

GENESIS = "0" * 64

_MMAP_BYTES = 1 << 30

# What count and facets return, from one pass over the acts found (see SqliteCatalog._tally).
Tally = tuple[int, dict[str, list[tuple[str, int]]]]

# An act before it is sealed: no number yet, and not public (see search.PUBLISHED_STATES).
DRAFT_STATES = ("bozza", "in verifica")


@dataclass(frozen=True)
class ActRecord:
    """An act's row: the newest of its versions. ``number`` is None while the act is a draft
    (bozza, in verifica): numbers are given when it is sealed. ``riservato`` acts are kept out
    of public searches (``Filters.public_only``)."""

    id: str
    register: str
    year: int
    number: int | None
    tipo: str
    organo: str
    data: dt.date
    ente: str
    oggetto: str
    signer: str
    state: str
    source: BlobRef
    docx: BlobRef
    pdf: BlobRef
    created_at: str
    riservato: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "register": self.register,
            "year": self.year,
            "number": self.number,
            "tipo": self.tipo,
            "organo": self.organo,
            "data": self.data.isoformat(),
            "ente": self.ente,
            "oggetto": self.oggetto,
            "signer": self.signer,
            "state": self.state,
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
    """One version of an archived act: its state then and the files it had."""

    act_id: str
    version: int
    state: str  # pubblicato | annullato | rettificato
    source: BlobRef
    docx: BlobRef
    pdf: BlobRef
    reason: str  # the event that made it: published, timestamp-renewed, annullamento, rettifica
    by_act: str | None  # the act that made it, for an annulment or a rectification
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "act_id": self.act_id,
            "version": self.version,
            "state": self.state,
            "reason": self.reason,
            "by_act": self.by_act,
            "created_at": self.created_at,
            "source_sha256": self.source.sha256,
            "docx_sha256": self.docx.sha256,
            "pdf_sha256": self.pdf.sha256,
        }


@dataclass(frozen=True)
class ReferenceRecord:
    """A citation in an act's text (``relazione`` None) or one of its relazioni (the tipo)."""

    act_id: str  # the citing act
    part: str  # "premesse", "visti" ... or "relazioni"
    index: int  # 0-based item within the part
    kind: str  # "determinazione", "delibera" ...; "atto" for a relazione
    number: str | None
    year: int | None
    date: dt.date | None
    text: str
    target_id: str | None  # the cited act's archive id, when the citation names one
    relazione: str | None = None
    present: bool = False  # whether target_id is in the archive (filled in when read)

    def to_dict(self) -> dict[str, Any]:
        return {
            "act_id": self.act_id,
            "part": self.part,
            "index": self.index,
            "kind": self.kind,
            "number": self.number,
            "year": self.year,
            "date": self.date.isoformat() if self.date else None,
            "text": self.text,
            "target_id": self.target_id,
            "relazione": self.relazione,
            "present": self.present,
        }


def _event_hash(prev: str, at: str, kind: str, act_id: str | None, payload: str, row_digest: str | None) -> str:
    fields = [prev, at, kind, act_id, payload]
    if row_digest is not None:  # events of schema 1 have none: their hash stays as it was written
        fields.append(row_digest)
    body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _digest_of(row: sqlite3.Row) -> dict[str, Any]:
    columns = {
        key: row[key] for key in row.keys()  # noqa: SIM118 (sqlite3.Row is not a mapping)
        if key not in _LATE_COLUMNS or row[key] != _LATE_COLUMNS[key]
    }
    return {
        "sha256": hashlib.sha256(_canonical(columns).encode()).hexdigest(),
        "columns": {k: hashlib.sha256(_canonical(v).encode()).hexdigest()[:16] for k, v in columns.items()},
    }


def row_digest(
    row: sqlite3.Row,
    *,
    versions: list[sqlite3.Row] | None = None,
    references: list[sqlite3.Row] | None = None,
) -> str:
    """The digest of an act's row that events record: whole-row SHA-256 and 16 hex per column.

    From schema 3 it also covers the act's version rows (one digest each, by number) and its
    reference rows (one digest for all): they change only together with an event about the act,
    so the last such event vouches for all of them.
    """
    digest = _digest_of(row)
    if versions is not None:
        digest["versions"] = {str(v["version"]): _digest_of(v) for v in versions}
    if references is not None:
        digest["references"] = _references_digest(references)
    return _canonical(digest)


def _references_digest(rows: list[sqlite3.Row]) -> str:
    return hashlib.sha256(_canonical([[r[k] for k in r.keys()] for r in rows]).encode()).hexdigest()  # noqa: SIM118


class SqliteCatalog:
    """The embedded catalog behind the archive's catalog interface."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._head_due = False  # events were appended in the open transaction (see atti.archive.head)
        self.migrated_from: int | None = None  # the schema this process found, when it migrated it
        try:
            self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(_SCHEMA + fts.INDEXES)
            self.db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the catalog {path}: {exc}") from None
        self.db.row_factory = sqlite3.Row
        self._head_kept = self._keeps_head()
        version = self._schema_version()
        if version > SCHEMA_VERSION:
            self.db.close()
            raise StorageError(
                f"the catalog {path} was written by a newer atti (schema {version}): upgrade atti to open it"
            )
        if version < SCHEMA_VERSION:
            self._migrate()
        with suppress(sqlite3.OperationalError):  # a catalog we may not write still answers, more slowly
            self.db.execute(fts.TALLY_INDEX)
        indexed = self.db.execute("SELECT 1 FROM sqlite_master WHERE name='acts_by_facets'").fetchone()
        self._tally_source = "acts a INDEXED BY acts_by_facets" if indexed else "acts a"
        self._tallied: tuple[tuple[object, ...], Tally] | None = None
        # Searches read a few pages of many indexes and rows: map the file rather than copy each
        # page into a 2 MB cache.
        self.db.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")

    def _schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        """Bring a catalog of schema 1 to 3 up to schema 4, in one transaction (another process may race us).

        Schema 2: the events table gains ``row_digest``; old events keep their hashes
        (``_event_hash`` leaves a missing digest out). Schema 3: the ``versions`` and
        ``act_references`` tables (made by ``_SCHEMA``); each act without versions gets version 1
        from its row as it is now (earlier PDFs of a renewed act stay named by their events). Each
        existing act then gets a ``row-recorded`` event with its row's digest: rows changed before
        this point cannot be told apart, later changes can. References of acts archived before
        schema 3 are not back-filled: the catalog cannot read their sources.

        Schema 4: the acts table is rebuilt (SQLite cannot drop a NOT NULL) with ``number``
        nullable and ``riservato`` 0, keeping every rowid (the search index is keyed by it). No
        event is needed: a row's digest leaves ``riservato`` out while it is 0 (``_LATE_COLUMNS``),
        so every act still matches the event that recorded it and the chain is untouched.
        """
        with self.transaction():
            version = self._schema_version()
            if version >= SCHEMA_VERSION:
                return  # migrated meanwhile by another process
            self.migrated_from = version
            if version < 3:
                self._migrate_to_3()
            self._head_due = True  # an archive made before the head file gets one now
            columns = {r["name"] for r in self.db.execute("PRAGMA table_info(acts)")}
            if "riservato" not in columns:
                self.db.execute(_ACTS.format(name="acts_v4"))
                self.db.execute(
                    f"INSERT INTO acts_v4 (rowid, {_ACTS_COLUMNS}) SELECT rowid, {_ACTS_COLUMNS} FROM acts"
                )
                self.db.execute("DROP TABLE acts")
                self.db.execute("ALTER TABLE acts_v4 RENAME TO acts")
                for statement in fts.INDEXES.split(";"):  # not executescript: it would COMMIT
                    if statement.strip():
                        self.db.execute(statement)
            self.db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))

    def _migrate_to_3(self) -> None:
        columns = {r["name"] for r in self.db.execute("PRAGMA table_info(events)")}
        if "row_digest" not in columns:
            self.db.execute("ALTER TABLE events ADD COLUMN row_digest TEXT")
        self.db.execute(
            "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason,"
            " by_act, created_at) SELECT id, 1, state, source_sha256, docx_sha256, pdf_sha256, 'published',"
            " NULL, created_at FROM acts WHERE id NOT IN (SELECT act_id FROM versions)"
        )
        ids = [r[0] for r in self.db.execute("SELECT id FROM acts ORDER BY rowid")]
        for act_id in ids:
            self.append_event("row-recorded", act_id, {"schema": 3})

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def register_lock(self, register: str, year: int) -> Iterator[None]:
        """Hold the register for a whole publish: an flock on locks/<register>-<year>-0.lock."""
        import fcntl
        import os
        import re

        from atti.archive.blobs import storage_error

        slug = re.sub(r"[^0-9A-Za-z]+", "", register) or "R"
        path = self.path.parent / "locks" / f"{slug}-{year}-0.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise storage_error(exc, f"the register lock {path}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StorageError(f"cannot write the catalog: {exc}") from None
        self._head_due = False
        try:
            yield self.db
        except sqlite3.OperationalError as exc:  # disk full, read-only, I/O error mid-transaction
            self.db.execute("ROLLBACK")
            raise StorageError(f"cannot write the catalog: {exc}") from None
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.db.execute("ROLLBACK")
            raise StorageError(f"cannot write the catalog: {exc}") from None
        if self._head_due and write_head(head_path(self.path), self._newest_event) and not self._head_kept:
            # Only once the file exists is its absence a finding: a process killed before it
            # wrote the first head must not leave an alarm (see atti.archive.head).
            with suppress(sqlite3.Error):
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('head_file', '1')")
                self._head_kept = True

    def _keeps_head(self) -> bool:
        return self.db.execute("SELECT 1 FROM meta WHERE key='head_file'").fetchone() is not None

    def _newest_event(self) -> ChainHead | None:
        row = self.db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return ChainHead(int(row[0]), str(row[1])) if row else None

    def verify_head(self) -> list[tuple[str, str, str]]:
        """The newest events against the chain head kept outside the catalog (atti.archive.head):
        events deleted from the end, or a chain rewritten from the head on, as (kind, what, message).
        """
        path = head_path(self.path)
        try:
            head = read_head(path)  # before the catalog is read: a head is only written after its commit
        except ValueError as exc:
            return [("changed", path.name, str(exc))]
        expected = self._keeps_head()

        def hash_at(seq: int) -> str | None:
            row = self.db.execute("SELECT hash FROM events WHERE seq=?", (seq,)).fetchone()
            return str(row[0]) if row else None

        return check_head(head, expected=expected, newest=self._newest_event(), hash_at=hash_at)

    # -- registers ---------------------------------------------------------------------------

    def last_number(self, register: str, year: int) -> int:
        row = self.db.execute(
            "SELECT last_number FROM registers WHERE register=? AND year=?", (register, year)
        ).fetchone()
        return int(row[0]) if row else 0

    def number_taken(self, register: str, year: int, number: int) -> str | None:
        row = self.db.execute(
            "SELECT id FROM acts WHERE register=? AND year=? AND number=?", (register, year, number)
        ).fetchone()
        return str(row[0]) if row else None

    # -- acts --------------------------------------------------------------------------------

    def insert_act(self, record: ActRecord, body: str, references: Sequence[ReferenceRecord] = ()) -> None:
        """Record a sealed act and what it cites; call inside :meth:`transaction`.

        The act gets two versions with the same files: ``firmato`` (reason ``signed``) and then
        ``record.state`` (reason ``published``), and one ``published`` event records its rows.
        Refuses an act without a number, a number or id already taken (DuplicateNumber).
        """
        self._check_sealable(record)
        try:
            cur = self.db.execute(
                f"INSERT INTO acts ({_ACTS_COLUMNS}, riservato) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                _row_values(record, body),
            )
        except sqlite3.IntegrityError:
            raise DuplicateNumber(f"an act with id {record.id} is already in the archive") from None
        self._index(cur.lastrowid, record.oggetto, body)
        self._seal_rows(record, references)
        self.append_event("published", record.id, record.to_dict())

    def restore_act(
        self, record: ActRecord, body: str, versions: Sequence[VersionRecord], references: Sequence[ReferenceRecord]
    ) -> None:
        """Record a sealed act with the history it had in another archive; call inside :meth:`transaction`.

        Its row (``created_at`` included), search entry, register counter, ``versions`` (numbers,
        states, reasons, files, dates as given) and ``references`` as given, and one ``imported``
        event. Refuses what :meth:`insert_act` refuses.
        """
        self._check_sealable(record)
        try:
            cur = self.db.execute(
                f"INSERT INTO acts ({_ACTS_COLUMNS}, riservato) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                _row_values(record, body),
            )
        except sqlite3.IntegrityError:
            raise DuplicateNumber(f"an act with id {record.id} is already in the archive") from None
        self._index(cur.lastrowid, record.oggetto, body)
        self._count(record)
        self.db.executemany(
            "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason, by_act,"
            " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [(record.id, v.version, v.state, v.source.sha256, v.docx.sha256, v.pdf.sha256, v.reason, v.by_act,
              v.created_at) for v in versions],
        )
        self._insert_references(record.id, references)
        self.append_event("imported", record.id, {**record.to_dict(), "versions": len(versions)})

    def _count(self, record: ActRecord) -> None:
        """Raise the register's counter to the act's number (never lower it)."""
        self.db.execute(
            "INSERT INTO registers VALUES (?,?,?) ON CONFLICT (register, year)"
            " DO UPDATE SET last_number = max(last_number, excluded.last_number)",
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
        self._insert_references(record.id, references)

    def _index(self, rowid: int | None, oggetto: str, body: str) -> None:
        self.db.execute(
            "INSERT INTO acts_fts (rowid, oggetto_stems, body_stems) VALUES (?,?,?)",
            (rowid, fts.stem_text(oggetto), fts.stem_text(body)),
        )

    def _unindex(self, rowid: int, oggetto: str, body: str) -> None:
        # A contentless FTS5 table forgets a row only when told the exact text it indexed.
        self.db.execute(
            "INSERT INTO acts_fts (acts_fts, rowid, oggetto_stems, body_stems) VALUES ('delete', ?, ?, ?)",
            (rowid, fts.stem_text(oggetto), fts.stem_text(body)),
        )

    # -- drafts ------------------------------------------------------------------------------

    def new_draft_id(self) -> str:
        """A draft id never given before in this catalog, "bozza-N"; call inside :meth:`transaction`."""
        row = self.db.execute("SELECT value FROM meta WHERE key='last_draft'").fetchone()
        number = int(row[0]) + 1 if row else 1
        self.db.execute(
            "INSERT INTO meta VALUES ('last_draft', ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (str(number),),
        )
        return f"bozza-{number}"

    def save_draft(self, record: ActRecord, body: str, *, reason: str) -> int:
        """Record a version of a draft; call inside :meth:`transaction`. Returns its number.

        ``record`` has no number and a state in DRAFT_STATES. An id no act has (one from
        :meth:`new_draft_id`) makes a new draft; the id of a draft makes its row ``record``
        (search sees the new text). The new version holds ``record``'s state and files (a
        sha256 of "" is "no file": a draft not yet rendered) with ``reason``; an event
        ``reason`` records the rows. Refuses (ArchiveError) an id that is not a draft.
        """
        if record.number is not None or record.state not in DRAFT_STATES:
            raise ArchiveError(f"{record.id}: a draft has no number and is {' or '.join(DRAFT_STATES)}")
        old = self.db.execute("SELECT rowid, number, state, oggetto, body FROM acts WHERE id=?", (record.id,))
        row = old.fetchone()
        if row is None:
            cur = self.db.execute(
                f"INSERT INTO acts ({_ACTS_COLUMNS}, riservato) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                _row_values(record, body),
            )
            rowid = cur.lastrowid
        else:
            if row["number"] is not None or row["state"] not in DRAFT_STATES:
                raise ArchiveError(f"{record.id} is not a draft: it is {row['state']}")
            rowid = row["rowid"]
            self._unindex(rowid, row["oggetto"], row["body"])
            self._update_row(record.id, record, body)
        self._index(rowid, record.oggetto, body)
        version = self._insert_version(record.id, record.state, record.source, record.docx, record.pdf, reason, None)
        self.append_event(reason, record.id, {"state": record.state, "version": version})
        return version

    def seal_draft(
        self, draft_id: str, record: ActRecord, body: str, references: Sequence[ReferenceRecord] = ()
    ) -> None:
        """Make the draft ``draft_id`` the sealed act ``record``; call inside :meth:`transaction`.

        The draft's row becomes the act's (id, number, text, files, state), its versions become
        the act's first versions, followed by ``firmato`` (``signed``) and ``record.state``
        (``published``) as in :meth:`insert_act`. Two events: ``draft-sealed`` about the draft id
        (payload ``{"act_id": record.id}``: the draft's earlier events vouch for nothing any more)
        and ``published`` about the act (payload ``record.to_dict()`` plus ``"draft"``). Refuses an
        unknown draft (ActNotFound), one that is not a draft any more (ArchiveError), a number or
        id taken (DuplicateNumber).
        """
        row = self.db.execute(
            "SELECT rowid, number, state, oggetto, body FROM acts WHERE id=?", (draft_id,)
        ).fetchone()
        if row is None:
            raise ActNotFound(f"no draft with id {draft_id} in the archive")
        if row["number"] is not None or row["state"] not in DRAFT_STATES:
            raise ArchiveError(f"{draft_id} is not a draft: it is {row['state']}")
        self._check_sealable(record)
        if record.id != draft_id and self.db.execute("SELECT 1 FROM acts WHERE id=?", (record.id,)).fetchone():
            raise DuplicateNumber(f"an act with id {record.id} is already in the archive")
        self._unindex(row["rowid"], row["oggetto"], row["body"])
        self._update_row(draft_id, record, body)
        self._index(row["rowid"], record.oggetto, body)
        self.db.execute("UPDATE versions SET act_id=? WHERE act_id=?", (record.id, draft_id))
        self._seal_rows(record, references)
        self.append_event("draft-sealed", draft_id, {"act_id": record.id})
        self.append_event("published", record.id, {**record.to_dict(), "draft": draft_id})

    def _update_row(self, act_id: str, record: ActRecord, body: str) -> None:
        columns = _ACTS_COLUMNS.split(", ")
        self.db.execute(
            f"UPDATE acts SET {', '.join(f'{c}=?' for c in columns)}, riservato=? WHERE id=?",
            (*_row_values(record, body), act_id),
        )

    def drafts(self) -> list[ActRecord]:
        """Every draft (no number, state in DRAFT_STATES), oldest first."""
        placeholders = ", ".join("?" * len(DRAFT_STATES))
        return [_record(r) for r in self.db.execute(
            f"SELECT * FROM acts WHERE number IS NULL AND state IN ({placeholders}) ORDER BY rowid", DRAFT_STATES
        )]

    def _insert_version(
        self, act_id: str, state: str, source: BlobRef, docx: BlobRef, pdf: BlobRef, reason: str, by_act: str | None
    ) -> int:
        row = self.db.execute("SELECT max(version) FROM versions WHERE act_id=?", (act_id,)).fetchone()
        number = int(row[0] or 0) + 1
        self.db.execute(
            "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason, by_act,"
            " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (act_id, number, state, source.sha256, docx.sha256, pdf.sha256, reason, by_act,
             dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )
        return number

    def set_pdf(self, act_id: str, pdf: BlobRef, kind: str, payload: dict[str, Any]) -> None:
        """Point an act at a new version of its PDF and log why; call inside :meth:`transaction`.

        Only the reference changes: the previous version stays in the blob store, and the event
        (hash-chained like every other) names it.
        """
        cur = self.db.execute("UPDATE acts SET pdf_sha256=? WHERE id=?", (pdf.sha256, act_id))
        if cur.rowcount == 0:
            raise ActNotFound(f"no act with id {act_id} in the archive")
        record = self.get(act_id)
        # The event's row digest records the new version row too (see row_digest).
        self._insert_version(act_id, record.state, record.source, record.docx, pdf, kind, None)
        self.append_event(kind, act_id, payload)

    def set_state(self, act_id: str, state: str, *, reason: str, by_act: str) -> int:
        """Give an act a new state (``annullato``...) as a new version; call inside :meth:`transaction`.

        The act keeps its number and files: only its row's state changes, the new version names
        ``by_act``, the act that changed it, and the event records both rows.
        """
        cur = self.db.execute("UPDATE acts SET state=? WHERE id=?", (state, act_id))
        if cur.rowcount == 0:
            raise ActNotFound(f"no act with id {act_id} in the archive")
        record = self.get(act_id)
        version = self._insert_version(act_id, state, record.source, record.docx, record.pdf, reason, by_act)
        self.append_event(reason, act_id, {"state": state, "by_act": by_act, "version": version})
        return version

    def versions(self, act_id: str) -> list[VersionRecord]:
        """The act's versions, oldest first; raises ActNotFound for an unknown act."""
        self.get(act_id)
        return [_version(r) for r in self.db.execute(
            "SELECT * FROM versions WHERE act_id=? ORDER BY version", (act_id,)
        )]

    def relink_candidates(self, kinds: Sequence[str]) -> list[str]:
        """Sealed acts whose references may link better now, oldest first: those without any
        reference row (archived before schema 3), and those with a citation in the text of one
        of ``kinds`` that has no target id but a number starting with a digit, a year and a
        date (it may name an act archived since)."""
        marks = ", ".join("?" * len(kinds))
        return [r[0] for r in self.db.execute(
            "SELECT id FROM acts a WHERE a.number IS NOT NULL AND (NOT EXISTS (SELECT 1 FROM act_references r"
            " WHERE r.act_id = a.id) OR EXISTS (SELECT 1 FROM act_references r WHERE r.act_id = a.id"
            f" AND r.target_id IS NULL AND r.relazione IS NULL AND r.kind IN ({marks}) AND r.number GLOB '[0-9]*'"
            " AND r.year IS NOT NULL AND r.date IS NOT NULL)) ORDER BY a.rowid",
            tuple(kinds),
        )]

    def replace_references(self, act_id: str, references: Sequence[ReferenceRecord]) -> None:
        """Replace the act's reference rows by ``references`` and log a ``references-relinked``
        event recording them; call inside :meth:`transaction`. The act's row and versions stay."""
        self.get(act_id)
        self.db.execute("DELETE FROM act_references WHERE act_id=?", (act_id,))
        self._insert_references(act_id, references)
        linked = sum(1 for r in references if r.target_id is not None)
        self.append_event("references-relinked", act_id, {"references": len(references), "with_target": linked})

    def _insert_references(self, act_id: str, references: Sequence[ReferenceRecord]) -> None:
        self.db.executemany(
            "INSERT INTO act_references (act_id, part, idx, kind, number, year, date, text, target_id, relazione)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (act_id, r.part, r.index, r.kind, r.number, r.year, r.date.isoformat() if r.date else None,
                 r.text, r.target_id, r.relazione)
                for r in references
            ],
        )

    def cites(self, act_id: str) -> list[ReferenceRecord]:
        """What the act cites and its relazioni, in text order."""
        return self._references("r.act_id = ?", act_id)

    def cited_by(self, act_id: str) -> list[ReferenceRecord]:
        """Every citation and relazione of other acts whose target is ``act_id`` (archived or not)."""
        return self._references("r.target_id = ? AND r.act_id != r.target_id", act_id)

    def _references(self, where: str, act_id: str) -> list[ReferenceRecord]:
        rows = self.db.execute(
            "SELECT r.*, a.id IS NOT NULL AS present FROM act_references r LEFT JOIN acts a ON a.id = r.target_id"
            f" WHERE {where} ORDER BY r.act_id, r.rowid",
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

    def append_event(self, kind: str, act_id: str | None, payload: dict[str, Any]) -> None:
        """Append to the event log; each entry hashes the one before it.

        An event about an act records the digest of the act's row as it is now, inside the
        transaction that wrote it (see the module docstring).
        """
        row = self.db.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        prev = row[0] if row else GENESIS
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        act = self.db.execute("SELECT * FROM acts WHERE id=?", (act_id,)).fetchone() if act_id else None
        digest = None
        if act is not None:
            versions = self.db.execute("SELECT * FROM versions WHERE act_id=? ORDER BY version", (act_id,))
            references = self.db.execute("SELECT * FROM act_references WHERE act_id=? ORDER BY rowid", (act_id,))
            digest = row_digest(act, versions=versions.fetchall(), references=references.fetchall())
        self._head_due = True
        self.db.execute(
            "INSERT INTO events (at, kind, act_id, payload, prev_hash, hash, row_digest) VALUES (?,?,?,?,?,?,?)",
            (at, kind, act_id, text, prev, _event_hash(prev, at, kind, act_id, text, digest), digest),
        )

    def verify_events(self) -> list[str]:
        """Every break in the event chain, as one line each (empty when the chain holds)."""
        problems, prev = [], GENESIS
        for row in self.db.execute("SELECT * FROM events ORDER BY seq"):
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
        """Rows that differ from what the event log recorded, as (kind, what, message).

        Each act row is compared with the row digest of the last event about it (an event whose
        hash the chain vouches for), naming the columns that changed; rows no event recorded,
        and acts whose row is gone, are reported too, as are register counters that no longer
        match their acts. The act's version and reference rows are checked against the same
        event (see :meth:`_verify_versions`).
        """
        problems: list[tuple[str, str, str]] = []
        recorded: dict[str, tuple[int, str]] = {}
        for seq, kind, act_id, digest in self.db.execute(
            "SELECT seq, kind, act_id, row_digest FROM events"
            " WHERE act_id IS NOT NULL AND (row_digest IS NOT NULL OR kind = 'draft-sealed') ORDER BY seq"
        ):
            if kind == "draft-sealed":  # the draft's row became the sealed act's, which later events record
                recorded.pop(act_id, None)
            else:
                recorded[act_id] = (seq, digest)
        seen: set[str] = set()
        for row in self.db.execute("SELECT * FROM acts ORDER BY register, year, number"):
            act_id = row["id"]
            seen.add(act_id)
            if act_id not in recorded:
                problems.append(("unexpected", f"act {act_id}", "row was not written by atti: no event records it"))
                continue
            seq, digest = recorded[act_id]
            actual, expected = json.loads(row_digest(row)), _loads(digest)
            if actual["sha256"] != expected.get("sha256"):
                old, new = expected.get("columns") or {}, actual["columns"]
                changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)) or ["(row)"]
                problems.append(
                    ("changed", f"act {act_id}", f"{', '.join(changed)} changed after event {seq} recorded the row")
                )
            problems += self._verify_versions(act_id, seq, expected)
        for act_id, (seq, _) in sorted(recorded.items()):
            if act_id not in seen:
                problems.append(("missing", f"act {act_id}", f"row deleted (event {seq} recorded it)"))
        # Versions of an act that no event ever recorded (a deleted act's are covered by "missing").
        for (act_id,) in self.db.execute("SELECT DISTINCT act_id FROM versions ORDER BY act_id"):
            if act_id not in seen and act_id not in recorded:
                problems.append(("unexpected", f"act {act_id} versions", "rows were not written by atti"))
        for register, year, last, highest in self.db.execute(
            "SELECT r.register, r.year, r.last_number, max(a.number) FROM registers r"
            " LEFT JOIN acts a ON a.register = r.register AND a.year = r.year GROUP BY r.register, r.year"
        ):
            if last != highest:
                problems.append(
                    ("changed", f"register {register} {year}",
                     f"counter says {last}, the highest archived number is {highest or 0}")
                )
        return problems

    def _verify_versions(self, act_id: str, seq: int, expected: dict[str, Any]) -> list[tuple[str, str, str]]:
        """The act's version and reference rows against what its last event recorded (schema 3 on)."""
        problems: list[tuple[str, str, str]] = []
        if "versions" in expected:
            old = _as_dict(expected["versions"])  # a tampered digest is the event chain's finding
            rows = self.db.execute("SELECT * FROM versions WHERE act_id=?", (act_id,)).fetchall()
            new = {str(r["version"]): _digest_of(r) for r in rows}
            for number in sorted(old.keys() | new.keys(), key=lambda n: (len(n), n)):
                what = f"act {act_id} version {number}"
                if number not in new:
                    problems.append(("missing", what, f"row deleted (event {seq} recorded it)"))
                elif number not in old:
                    problems.append(("unexpected", what, "row was not written by atti: no event records it"))
                elif new[number]["sha256"] != (recorded := _as_dict(old[number])).get("sha256"):
                    was, now = _as_dict(recorded.get("columns")), new[number]["columns"]
                    changed = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k)) or ["(row)"]
                    problems.append(
                        ("changed", what, f"{', '.join(changed)} changed after event {seq} recorded the row")
                    )
        if "references" in expected:
            cited = self.db.execute("SELECT * FROM act_references WHERE act_id=? ORDER BY rowid", (act_id,))
            if _references_digest(cited.fetchall()) != expected["references"]:
                problems.append(
                    ("changed", f"act {act_id} references", f"changed after event {seq} recorded them")
                )
        return problems

    def blob_refs(self) -> list[tuple[BlobRef, str]]:
        """Every stored file the catalog vouches for, with who refers to it.

        That is each act's current files, the earlier PDF versions its events name (a renewed
        timestamp keeps the previous PDF), and the files of every version not named yet (a
        draft's earlier sources and previews). A draft not yet rendered has no docx or pdf: a
        sha256 of "" names no file.
        """
        refs: list[tuple[BlobRef, str]] = []
        for row in self.db.execute("SELECT id, source_sha256, docx_sha256, pdf_sha256 FROM acts"):
            files = ((row["source_sha256"], "yaml"), (row["docx_sha256"], "docx"), (row["pdf_sha256"], "pdf"))
            refs += [
                (BlobRef(sha, ext), f"{ext if ext != 'yaml' else 'source'} of {row['id']}") for sha, ext in files if sha
            ]
        for seq, act_id, payload in self.db.execute(
            "SELECT seq, act_id, payload FROM events WHERE kind != 'published' AND payload LIKE '%sha256%'"
        ):
            data = _loads(payload)  # a tampered payload is the event chain's finding, not a crash here
            for key in ("previous_sha256", "sha256"):
                if isinstance(data.get(key), str):
                    refs.append((BlobRef(data[key], "pdf"), f"pdf version of {act_id} (event {seq})"))
        named = {ref for ref, _ in refs}
        for row in self.db.execute(
            "SELECT act_id, version, source_sha256, docx_sha256, pdf_sha256 FROM versions ORDER BY act_id, version"
        ):
            for sha, ext in ((row["source_sha256"], "yaml"), (row["docx_sha256"], "docx"), (row["pdf_sha256"], "pdf")):
                if sha and (ref := BlobRef(sha, ext)) not in named:
                    named.add(ref)
                    kind = "source" if ext == "yaml" else ext
                    refs.append((ref, f"{kind} of {row['act_id']}@{row['version']}"))
        return refs

    def counts(self) -> tuple[int, int]:
        """How many acts and events the catalog holds."""
        acts = self.db.execute("SELECT count(*) FROM acts").fetchone()[0]
        events = self.db.execute("SELECT count(*) FROM events").fetchone()[0]
        return int(acts), int(events)

    def get(self, act_id: str) -> ActRecord:
        row = self.db.execute("SELECT * FROM acts WHERE id=?", (act_id,)).fetchone()
        if row is None:
            raise ActNotFound(f"no act with id {act_id} in the archive")
        return _record(row)

    def all(self) -> list[ActRecord]:
        return [_record(r) for r in self.db.execute("SELECT * FROM acts ORDER BY register, year, number")]

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

        ``query`` is Italian text (stemmed, stopwords dropped, all words required) or an act's
        number "129/2026". ``register`` and ``year`` are shorthands for the same filters.
        ``offset`` skips that many results of the same ordering (pagination: page n is
        ``offset=n*limit``); :meth:`count` says how many there are in all.
        """
        f = filters or fts.Filters()
        if register or year:
            f = replace(f, register=register or f.register, year=year or f.year)
        where, params = f.sql("a")
        estremi = fts.ESTREMI.match(query)
        match = None if estremi else fts.fts_query(query)
        if match is None:
            if estremi:  # "129/2026" means the act with that number, not the words 129 and 2026
                where += ["a.number = ?", "a.year = ?"]
                params += [int(estremi.group(1)), int(estremi.group(2))]
            elif fts.words(query):
                return []
            # Newest first from the acts_by_data index (or another index, for narrow filters); the
            # inner query sorts rowids only, so no act's body is read but the ``limit`` shown.
            newest = "ORDER BY a.data DESC, a.number DESC"
            sql = (
                "SELECT a.*, 0.0 AS score FROM acts a WHERE a.rowid IN (SELECT a.rowid FROM acts a"
                + (f" WHERE {' AND '.join(where)}" if where else "")
                + f" {newest} LIMIT ? OFFSET ?) {newest}"
            )
            rows = self.db.execute(sql, (*params, limit, offset)).fetchall()
            return [SearchHit(_record(r), fts.snippet(r["body"], ""), 0.0) for r in rows]
        # ORDER BY rank (with the oggetto weighing 4 times the body) lets FTS5 sort the matches
        # itself, from its index alone; CROSS JOIN keeps acts_fts the outer loop, so only the rows
        # read until ``limit`` of them pass the filters are fetched from acts, never all matches.
        ranked = (
            "SELECT a.*, acts_fts.rank AS score FROM acts_fts CROSS JOIN acts a ON a.rowid = acts_fts.rowid"
            " WHERE acts_fts MATCH ? AND acts_fts.rank MATCH 'bm25(4.0, 1.0)'"
            + "".join(f" AND {w}" for w in where)
            + " ORDER BY acts_fts.rank LIMIT ? OFFSET ?"
        )
        # But FTS5 scores every match before it returns the first (about 1 µs each): a query as
        # broad as "lombardia" would take 100 ms at 100,000 acts. Counting is 40 times cheaper, so
        # past RANK_ALL_UP_TO matches only the acts with the words in their oggetto are ranked
        # (they would rank high anyway), followed by the other matches, most recently archived first.
        count = self.db.execute("SELECT count(*) FROM acts_fts WHERE acts_fts MATCH ?", (match,)).fetchone()[0]
        if count <= fts.RANK_ALL_UP_TO:
            rows = self.db.execute(ranked, (match, *params, limit, offset)).fetchall()
        else:
            # The page is cut from the first offset+limit of that order: both parts are read that far.
            wanted = offset + limit
            rows = self.db.execute(ranked, (f"{{oggetto_stems}} : ({match})", *params, wanted, 0)).fetchall()
            if len(rows) < wanted:
                seen = {r["id"] for r in rows}
                newest = (
                    "SELECT a.*, 0.0 AS score FROM acts_fts CROSS JOIN acts a ON a.rowid = acts_fts.rowid"
                    " WHERE acts_fts MATCH ?" + "".join(f" AND {w}" for w in where)
                    + " ORDER BY acts_fts.rowid DESC LIMIT ?"
                )
                more = self.db.execute(newest, (match, *params, wanted)).fetchall()
                rows += [r for r in more if r["id"] not in seen][: wanted - len(rows)]
            rows = rows[offset:]
        return [
            SearchHit(_record(r), fts.hit_snippet(r["oggetto"], r["body"], query), -float(r["score"])) for r in rows
        ]

    def count(self, query: str = "", filters: fts.Filters | None = None) -> int:
        """How many acts :meth:`search` finds for ``query`` and ``filters`` over all its pages."""
        return self._tally(query, filters)[0]

    def facets(self, query: str = "", filters: fts.Filters | None = None) -> dict[str, list[tuple[str, int]]]:
        """For each of register, year, tipo, signer and state: its values among the acts
        :meth:`search` finds for ``query`` and ``filters``, with how many acts have each, most
        acts first (ties by value). Every key is present, with an empty list when nothing matches.
        """
        return {name: list(values) for name, values in self._tally(query, filters)[1].items()}

    def _tally(self, query: str, filters: fts.Filters | None) -> Tally:
        """The count and the facets of a search, from ONE grouped pass over the acts it finds.

        A results page asks for both (and the page between them): the last tally is kept until
        the catalog changes, by this connection (``total_changes``) or by another one (SQLite's
        ``data_version``).
        """
        f = filters or fts.Filters()
        key = (query, f, self.db.execute("PRAGMA data_version").fetchone()[0], self.db.total_changes)
        if self._tallied is not None and self._tallied[0] == key:
            return self._tallied[1]
        out: dict[str, list[tuple[str, int]]] = {name: [] for name in fts.FACETS}
        tally: Tally = (0, out)
        groups = self._groups(query, f)
        if groups:
            counts: list[dict[Any, int]] = [{} for _ in fts.FACETS]
            for *values, n in groups:
                for i, value in enumerate(values):
                    counts[i][value] = counts[i].get(value, 0) + n
            for name, counted in zip(fts.FACETS, counts, strict=True):
                # Most acts first, ties by value as SQLite orders them (a year as a number).
                out[name] = [(str(v), n) for v, n in sorted(counted.items(), key=lambda item: (-item[1], item[0]))]
            tally = (sum(n for *_, n in groups), out)
        self._tallied = (key, tally)
        return tally

    def _groups(self, query: str, f: fts.Filters) -> list[tuple[Any, ...]]:
        """How many acts the search finds per combination of the FACETS' values (grouped in the
        order of acts_by_facets, so that a pass over the index groups as it reads)."""
        where, params = f.sql("a")
        source = self._tally_source
        if f.cites or f.cited_by:  # a few acts, found by id through act_references
            source = "acts a"
        estremi = fts.ESTREMI.match(query)
        match = None if estremi else fts.fts_query(query)
        if estremi:  # one act or a few: acts_by_number finds them
            source = "acts a"
            where += ["a.number = ?", "a.year = ?"]
            params += [int(estremi.group(1)), int(estremi.group(2))]
        elif match is not None:
            found = self.db.execute("SELECT count(*) FROM acts_fts WHERE acts_fts MATCH ?", (match,)).fetchone()[0]
            if not found:
                return []
            if found <= fts.TALLY_ROWS_UP_TO:  # read the rows of the matches, not the whole index
                source = "acts_fts CROSS JOIN acts a ON a.rowid = acts_fts.rowid"
                where.append("acts_fts MATCH ?")
            else:
                where.append("a.rowid IN (SELECT rowid FROM acts_fts WHERE acts_fts MATCH ?)")
            params.append(match)
        elif fts.words(query):
            return []
        grouped = ", ".join(f"a.{name}" for name in fts.FACETS)
        sql = (
            f"SELECT {grouped}, count(*) FROM {source}"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + f" GROUP BY {grouped}"
        )
        return [tuple(r) for r in self.db.execute(sql, params)]


def _row_values(record: ActRecord, body: str) -> tuple[object, ...]:
    """The acts row of ``record``, in the order of ``_ACTS_COLUMNS`` and then riservato."""
    return (
        record.id, record.register, record.year, record.number, record.tipo, record.organo,
        record.data.isoformat(), record.ente, record.oggetto, body, record.signer, record.state,
        record.source.sha256, record.docx.sha256, record.pdf.sha256, record.created_at, int(record.riservato),
    )


def _loads(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _version(row: sqlite3.Row) -> VersionRecord:
    return VersionRecord(
        act_id=row["act_id"],
        version=row["version"],
        state=row["state"],
        source=BlobRef(row["source_sha256"], "yaml"),
        docx=BlobRef(row["docx_sha256"], "docx"),
        pdf=BlobRef(row["pdf_sha256"], "pdf"),
        reason=row["reason"],
        by_act=row["by_act"],
        created_at=row["created_at"],
    )


def _record(row: sqlite3.Row) -> ActRecord:
    return ActRecord(
        id=row["id"],
        register=row["register"],
        year=row["year"],
        number=row["number"],
        tipo=row["tipo"],
        organo=row["organo"],
        data=dt.date.fromisoformat(row["data"]),
        ente=row["ente"],
        oggetto=row["oggetto"],
        signer=row["signer"],
        state=row["state"],
        source=BlobRef(row["source_sha256"], "yaml"),
        docx=BlobRef(row["docx_sha256"], "docx"),
        pdf=BlobRef(row["pdf_sha256"], "pdf"),
        created_at=row["created_at"],
        riservato=bool(row["riservato"]),
    )
