"""The SQLite catalog: acts, registers, the hash-chained event log and the search index.

One transaction per act: the act's row, its register's counter, its search entry and its event
are committed together or not at all. ``BEGIN IMMEDIATE`` takes the write lock up front so two
publishers cannot read the same "last number".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atti.archive import search as fts
from atti.archive.blobs import BlobRef
from atti.errors import ActNotFound, DuplicateNumber, StorageError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS registers (
    register TEXT NOT NULL, year INTEGER NOT NULL, last_number INTEGER NOT NULL,
    PRIMARY KEY (register, year)
);
CREATE TABLE IF NOT EXISTS acts (
    id TEXT PRIMARY KEY,
    register TEXT NOT NULL, year INTEGER NOT NULL, number INTEGER NOT NULL,
    tipo TEXT NOT NULL, organo TEXT NOT NULL, data TEXT NOT NULL, ente TEXT NOT NULL,
    oggetto TEXT NOT NULL, body TEXT NOT NULL, signer TEXT NOT NULL, state TEXT NOT NULL,
    source_sha256 TEXT NOT NULL, docx_sha256 TEXT NOT NULL, pdf_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (register, year, number)
);
CREATE VIRTUAL TABLE IF NOT EXISTS acts_fts USING fts5(
    oggetto_stems, body_stems, content='', tokenize='unicode61'
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, act_id TEXT,
    payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
"""

GENESIS = "0" * 64


@dataclass(frozen=True)
class ActRecord:
    id: str
    register: str
    year: int
    number: int
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
        }


@dataclass(frozen=True)
class SearchHit:
    record: ActRecord
    snippet: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {**self.record.to_dict(), "snippet": self.snippet, "score": round(self.score, 4)}


def _event_hash(prev: str, at: str, kind: str, act_id: str | None, payload: str) -> str:
    body = json.dumps([prev, at, kind, act_id, payload], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


class SqliteCatalog:
    """The embedded catalog behind the archive's catalog interface."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(_SCHEMA)
            self.db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the catalog {path}: {exc}") from None
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StorageError(f"cannot write the catalog: {exc}") from None
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.db.execute("ROLLBACK")
            raise StorageError(f"cannot write the catalog: {exc}") from None

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

    def insert_act(self, record: ActRecord, body: str) -> None:
        """Record a sealed act; call inside :meth:`transaction`."""
        taken = self.number_taken(record.register, record.year, record.number)
        if taken:
            raise DuplicateNumber(
                f"register {record.register} already has number {record.number}/{record.year} ({taken})"
            )
        try:
            cur = self.db.execute(
                "INSERT INTO acts (id, register, year, number, tipo, organo, data, ente, oggetto, body,"
                " signer, state, source_sha256, docx_sha256, pdf_sha256, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.id, record.register, record.year, record.number, record.tipo, record.organo,
                    record.data.isoformat(), record.ente, record.oggetto, body, record.signer,
                    record.state, record.source.sha256, record.docx.sha256, record.pdf.sha256,
                    record.created_at,
                ),
            )
        except sqlite3.IntegrityError:
            raise DuplicateNumber(f"an act with id {record.id} is already in the archive") from None
        self.db.execute(
            "INSERT INTO acts_fts (rowid, oggetto_stems, body_stems) VALUES (?,?,?)",
            (cur.lastrowid, fts.stem_text(record.oggetto), fts.stem_text(body)),
        )
        self.db.execute(
            "INSERT INTO registers VALUES (?,?,?) ON CONFLICT (register, year)"
            " DO UPDATE SET last_number = max(last_number, excluded.last_number)",
            (record.register, record.year, record.number),
        )
        self.append_event("published", record.id, record.to_dict())

    def set_pdf(self, act_id: str, pdf: BlobRef, kind: str, payload: dict[str, Any]) -> None:
        """Point an act at a new version of its PDF and log why; call inside :meth:`transaction`.

        Only the reference changes: the previous version stays in the blob store, and the event
        (hash-chained like every other) names it.
        """
        cur = self.db.execute("UPDATE acts SET pdf_sha256=? WHERE id=?", (pdf.sha256, act_id))
        if cur.rowcount == 0:
            raise ActNotFound(f"no act with id {act_id} in the archive")
        self.append_event(kind, act_id, payload)

    def append_event(self, kind: str, act_id: str | None, payload: dict[str, Any]) -> None:
        """Append to the event log; each entry hashes the one before it."""
        row = self.db.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        prev = row[0] if row else GENESIS
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        self.db.execute(
            "INSERT INTO events (at, kind, act_id, payload, prev_hash, hash) VALUES (?,?,?,?,?,?)",
            (at, kind, act_id, text, prev, _event_hash(prev, at, kind, act_id, text)),
        )

    def verify_events(self) -> list[str]:
        """Every break in the event chain, as one line each (empty when the chain holds)."""
        problems, prev = [], GENESIS
        for row in self.db.execute("SELECT * FROM events ORDER BY seq"):
            if row["prev_hash"] != prev:
                problems.append(f"event {row['seq']}: does not follow the event before it")
            expected = _event_hash(row["prev_hash"], row["at"], row["kind"], row["act_id"], row["payload"])
            if row["hash"] != expected:
                problems.append(f"event {row['seq']}: content changed after it was written")
            prev = row["hash"]
        return problems

    def get(self, act_id: str) -> ActRecord:
        row = self.db.execute("SELECT * FROM acts WHERE id=?", (act_id,)).fetchone()
        if row is None:
            raise ActNotFound(f"no act with id {act_id} in the archive")
        return _record(row)

    def all(self) -> list[ActRecord]:
        return [_record(r) for r in self.db.execute("SELECT * FROM acts ORDER BY register, year, number")]

    def search(
        self,
        query: str,
        *,
        register: str | None = None,
        year: int | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        where: list[str] = []
        params: list[object] = []
        if register:
            where.append("a.register = ?")
            params.append(register)
        if year:
            where.append("a.year = ?")
            params.append(year)
        estremi = fts.ESTREMI.match(query)
        if estremi:  # "129/2026" means the act with that number, not the words 129 and 2026
            where += ["a.number = ?", "a.year = ?"]
            params += [int(estremi.group(1)), int(estremi.group(2))]
            sql = f"SELECT a.*, 0.0 AS score FROM acts a WHERE {' AND '.join(where)}"
        else:
            match = fts.fts_query(query)
            if match is None:
                return []
            # Words in the oggetto weigh more than words in the body.
            sql = (
                "SELECT a.*, bm25(acts_fts, 4.0, 1.0) AS score FROM acts_fts"
                " JOIN acts a ON a.rowid = acts_fts.rowid WHERE acts_fts MATCH ?"
                + "".join(f" AND {w}" for w in where)
            )
            params.insert(0, match)
        sql += " ORDER BY score, a.data DESC LIMIT ?"
        rows = self.db.execute(sql, (*params, limit)).fetchall()
        return [
            SearchHit(_record(r), fts.snippet(f"{r['oggetto']}\n{r['body']}", query), -float(r["score"]))
            for r in rows
        ]


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
    )
