"""The SQLite catalog: acts, registers, the hash-chained event log and the search index.

One transaction per act: the act's row, its register's counter, its search entry and its event
are committed together or not at all. ``BEGIN IMMEDIATE`` takes the write lock up front so two
publishers cannot read the same "last number".

Tamper evidence: every event that creates or changes an act also records a digest of the act's
row as written (``row_digest``: the SHA-256 of the canonical JSON of its columns, plus a short
digest per column so that a later check can name the column that changed), and that digest is
part of the event's chained hash. An UPDATE made behind atti's back therefore no longer matches
the last event about the act, and rewriting that event breaks the chain.
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

# 1: the first archives. 2: events carry ``row_digest`` (additive; see ``_migrate``).
SCHEMA_VERSION = 2

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
    payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, row_digest TEXT
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


def _event_hash(prev: str, at: str, kind: str, act_id: str | None, payload: str, row_digest: str | None) -> str:
    fields = [prev, at, kind, act_id, payload]
    if row_digest is not None:  # events of schema 1 have none: their hash stays as it was written
        fields.append(row_digest)
    body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def row_digest(row: sqlite3.Row) -> str:
    """The digest of an act's row that events record: whole-row SHA-256 and 16 hex per column."""
    columns = {key: row[key] for key in row.keys()}  # noqa: SIM118 (sqlite3.Row is not a mapping)
    return _canonical(
        {
            "sha256": hashlib.sha256(_canonical(columns).encode()).hexdigest(),
            "columns": {k: hashlib.sha256(_canonical(v).encode()).hexdigest()[:16] for k, v in columns.items()},
        }
    )


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
        version = self._schema_version()
        if version > SCHEMA_VERSION:
            self.db.close()
            raise StorageError(
                f"the catalog {path} was written by a newer atti (schema {version}): upgrade atti to open it"
            )
        if version < SCHEMA_VERSION:
            self._migrate()

    def _schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        """Bring a schema-1 catalog to schema 2, in one transaction (another process may race us).

        The events table gains ``row_digest``; old events keep their hashes (``_event_hash``
        leaves a missing digest out). Each existing act then gets a ``row-recorded`` event with its
        row's digest: rows changed before this point cannot be told apart, later changes can.
        """
        with self.transaction():
            if self._schema_version() >= SCHEMA_VERSION:
                return  # migrated meanwhile by another process
            columns = {r["name"] for r in self.db.execute("PRAGMA table_info(events)")}
            if "row_digest" not in columns:
                self.db.execute("ALTER TABLE events ADD COLUMN row_digest TEXT")
            ids = [r[0] for r in self.db.execute("SELECT id FROM acts ORDER BY rowid")]
            for act_id in ids:
                self.append_event("row-recorded", act_id, {"schema": SCHEMA_VERSION})
            self.db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))

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
        """Append to the event log; each entry hashes the one before it.

        An event about an act records the digest of the act's row as it is now, inside the
        transaction that wrote it (see the module docstring).
        """
        row = self.db.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        prev = row[0] if row else GENESIS
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        act = self.db.execute("SELECT * FROM acts WHERE id=?", (act_id,)).fetchone() if act_id else None
        digest = row_digest(act) if act is not None else None
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
        match their acts.
        """
        problems: list[tuple[str, str, str]] = []
        recorded: dict[str, tuple[int, str]] = {}
        for seq, act_id, digest in self.db.execute(
            "SELECT seq, act_id, row_digest FROM events"
            " WHERE act_id IS NOT NULL AND row_digest IS NOT NULL ORDER BY seq"
        ):
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
        for act_id, (seq, _) in sorted(recorded.items()):
            if act_id not in seen:
                problems.append(("missing", f"act {act_id}", f"row deleted (event {seq} recorded it)"))
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

    def blob_refs(self) -> list[tuple[BlobRef, str]]:
        """Every stored file the catalog vouches for, with who refers to it.

        That is each act's current files and also the earlier PDF versions its events name
        (a renewed timestamp keeps the previous PDF).
        """
        refs: list[tuple[BlobRef, str]] = []
        for row in self.db.execute("SELECT id, source_sha256, docx_sha256, pdf_sha256 FROM acts"):
            refs += [
                (BlobRef(row["source_sha256"], "yaml"), f"source of {row['id']}"),
                (BlobRef(row["docx_sha256"], "docx"), f"docx of {row['id']}"),
                (BlobRef(row["pdf_sha256"], "pdf"), f"pdf of {row['id']}"),
            ]
        for seq, act_id, payload in self.db.execute(
            "SELECT seq, act_id, payload FROM events WHERE kind != 'published' AND payload LIKE '%sha256%'"
        ):
            data = _loads(payload)  # a tampered payload is the event chain's finding, not a crash here
            for key in ("previous_sha256", "sha256"):
                if isinstance(data.get(key), str):
                    refs.append((BlobRef(data[key], "pdf"), f"pdf version of {act_id} (event {seq})"))
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


def _loads(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


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
