"""The SQLite catalog's schema, and the migrations that bring a catalog of an older schema up to it."""

from __future__ import annotations

import sqlite3

from atti.archive import search as fts
from atti.archive.terms import INDEX_VERSION, document_of_row

# 1: the first archives. 2: events carry ``row_digest``. 3: ``versions`` and ``act_references``
# tables (all additive; see ``migrate_to_3``). 4: acts gain ``riservato`` and ``number`` may be NULL
# (a draft has no number until it is sealed); the acts table is rebuilt, keeping its rowids.
# 5: one full-text index per visibility class (``search.FTS_TABLES``), filled from the acts.
# 6: versions gain ``actor``, ``verifica``, ``esito`` and ``note`` (who made each, what a review said).
# 7: the search indexes hold atti's own tokens (atti.archive.terms): words and light stems, the
# people and bodies of the act, its own number, what it cites; rebuilt from the acts.
SCHEMA_VERSION = 7

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
# The search index of a visibility class (search.FTS_TABLES): contentless, keyed by the acts' rowids,
# its columns atti.archive.terms.COLUMNS, each a string of atti's tokens ("_" marks a stem).
_FTS = """
CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5(
    oggetto, body, persone, estremi, citazioni, content='', tokenize="unicode61 tokenchars '_'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS {name}_vocab USING fts5vocab({name}, 'row');
"""
INSERT_FTS = "INSERT INTO {table} (rowid, oggetto, body, persone, estremi, citazioni) VALUES (?,?,?,?,?,?)"
DELETE_FTS = (
    "INSERT INTO {table} ({table}, rowid, oggetto, body, persone, estremi, citazioni) VALUES ('delete',?,?,?,?,?,?)"
)
ACTS_COLUMNS = (
    "id, register, year, number, tipo, organo, data, ente, oggetto, body, signer, state, source_sha256,"
    " docx_sha256, pdf_sha256, created_at"
)
INSERT_ACT = f"INSERT INTO acts ({ACTS_COLUMNS}, riservato) VALUES ({', '.join('?' * 17)})"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS registers (
    register TEXT NOT NULL, year INTEGER NOT NULL, last_number INTEGER NOT NULL,
    PRIMARY KEY (register, year)
);
{acts}
{fts}CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, act_id TEXT,
    payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, row_digest TEXT
);
-- Every state of an act, 1.. in order; rows are only ever added. The act's row holds the newest.
-- by_act: the act whose publication made this version (an annulment, a rectification).
-- actor: who made it (NULL before schema 6); verifica, esito, note: what a review said.
CREATE TABLE IF NOT EXISTS versions (
    act_id TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL,
    source_sha256 TEXT NOT NULL, docx_sha256 TEXT NOT NULL, pdf_sha256 TEXT NOT NULL,
    reason TEXT NOT NULL, by_act TEXT, created_at TEXT NOT NULL,
    actor TEXT, verifica TEXT, esito TEXT, note TEXT,
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
""".format(acts=_ACTS.format(name="acts"), fts="".join(_FTS.format(name=t) for t in fts.FTS_TABLES))


def create(db: sqlite3.Connection) -> None:
    """The tables and indexes a catalog lacks; a new catalog is of the current schema."""
    db.executescript(SCHEMA + fts.INDEXES)
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    db.execute("INSERT OR IGNORE INTO meta VALUES ('index_version', ?)", (str(INDEX_VERSION),))


def index_version(db: sqlite3.Connection) -> int:
    """The version of atti.archive.terms the search indexes were made with (0: before it was kept)."""
    row = db.execute("SELECT value FROM meta WHERE key='index_version'").fetchone()
    return int(row[0]) if row else 0


def reindex(db: sqlite3.Connection) -> None:
    """Every search index made anew and filled from the acts with today's tokens, inside the
    caller's transaction, and the version recorded. The acts, their versions and the event log are
    untouched: the index is no part of any digest."""
    for table in fts.FTS_TABLES:
        db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _FTS.format(name=table).split(";"):  # not executescript: it would COMMIT
            if statement.strip():
                db.execute(statement)
    for row in db.execute("SELECT rowid, * FROM acts").fetchall():
        doc = document_of_row(row)
        for table in fts.fts_tables_of(bool(row["riservato"]), row["state"]):
            db.execute(INSERT_FTS.format(table=table), (row["rowid"], *doc.columns()))
    db.execute("INSERT OR REPLACE INTO meta VALUES ('index_version', ?)", (str(INDEX_VERSION),))


def schema_version(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0])


def migrate_to_3(db: sqlite3.Connection) -> list[str]:
    """Schema 1 or 2 to 3, inside the caller's transaction; returns the acts (in rowid order) that
    each need a ``row-recorded`` event, which the catalog appends (see :func:`migrate_to_4` for
    the whole story).

    Schema 2: the events table gains ``row_digest``; old events keep their hashes
    (``digests.event_hash`` leaves a missing digest out). Schema 3: the ``versions`` and
    ``act_references`` tables (made by ``SCHEMA``); each act without versions gets version 1
    from its row as it is now (earlier PDFs of a renewed act stay named by their events). Each
    existing act then gets a ``row-recorded`` event with its row's digest: rows changed before
    this point cannot be told apart, later changes can. References of acts archived before
    schema 3 are not back-filled: the catalog cannot read their sources.
    """
    columns = {r[1] for r in db.execute("PRAGMA table_info(events)")}
    if "row_digest" not in columns:
        db.execute("ALTER TABLE events ADD COLUMN row_digest TEXT")
    db.execute(
        "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason,"
        " by_act, created_at) SELECT id, 1, state, source_sha256, docx_sha256, pdf_sha256, 'published',"
        " NULL, created_at FROM acts WHERE id NOT IN (SELECT act_id FROM versions)"
    )
    return [r[0] for r in db.execute("SELECT id FROM acts ORDER BY rowid")]


def migrate_to_4(db: sqlite3.Connection) -> None:
    """Schema 3 to 4, inside the caller's transaction, and mark the catalog current.

    The acts table is rebuilt (SQLite cannot drop a NOT NULL) with ``number`` nullable and
    ``riservato`` 0, keeping every rowid (the search index is keyed by it). No event is needed: a
    row's digest leaves ``riservato`` out while it is 0 (``digests.LATE_COLUMNS``), so every act
    still matches the event that recorded it and the chain is untouched. Then :func:`migrate_to_5`.
    """
    columns = {r[1] for r in db.execute("PRAGMA table_info(acts)")}
    if "riservato" not in columns:
        db.execute(_ACTS.format(name="acts_v4"))
        db.execute(f"INSERT INTO acts_v4 (rowid, {ACTS_COLUMNS}) SELECT rowid, {ACTS_COLUMNS} FROM acts")
        db.execute("DROP TABLE acts")
        db.execute("ALTER TABLE acts_v4 RENAME TO acts")
        for statement in fts.INDEXES.split(";"):  # not executescript: it would COMMIT
            if statement.strip():
                db.execute(statement)


def migrate_to_5(db: sqlite3.Connection) -> None:
    """Schema 4 to 5: one search index per visibility class. Nothing to do here any more: schema
    7 makes every search index anew (:func:`migrate_to_7`). Then :func:`migrate_to_6`."""


# The columns schema 6 adds to the versions (the same in PostgreSQL's schema 2).
VERSION_COLUMNS_6 = ("actor", "verifica", "esito", "note")


def migrate_to_6(db: sqlite3.Connection) -> None:
    """Schema 5 to 6, inside the caller's transaction, and mark the catalog current: the versions
    gain ``actor``, ``verifica``, ``esito`` and ``note``, NULL in every existing row. No event is
    needed: a row's digest leaves them out while they are NULL (``digests.LATE_COLUMNS``), so every
    version still matches the event that recorded it."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(versions)")}
    for column in VERSION_COLUMNS_6:
        if column not in columns:
            db.execute(f"ALTER TABLE versions ADD COLUMN {column} TEXT")
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))


def migrate_to_7(db: sqlite3.Connection) -> None:
    """Schema 6 to 7, inside the caller's transaction: every search index is made anew with
    atti's tokens (atti.archive.terms) and filled from the acts, the people of each act read from
    its row (signer, ente, organo, and the proposta and verifiche lines of its text). The acts,
    their versions and the event log are untouched: the index is no part of any digest."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(acts_fts)")}
    if "persone" not in columns:
        reindex(db)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
