"""The PostgreSQL catalog's schema: SQLite's tables (schema 6), with the same column names and
types, plus what PostgreSQL's search and ordering need."""

# 1: the first PostgreSQL catalogs (SQLite's schema 4 and 5). 2: versions gain ``actor``,
# ``verifica``, ``esito`` and ``note`` (SQLite's schema 6; see :data:`MIGRATE_TO_2`). 3: the search
# vectors hold atti's own tokens (atti.archive.terms), as SQLite's schema 7 (see
# PgCatalog._migrate_to_3): ``terms`` (everything) and ``head`` (all but the body). 4: ``pairs``,
# the act's adjacent tokens two by two, that a phrase is first looked for by (PgCatalog._migrate_to_4).
SCHEMA_VERSION = 4

# The columns the digests cover, in the SQLite tables' order (a reference digest is a list).
ACT_COLUMNS = (
    "id", "register", "year", "number", "tipo", "organo", "data", "ente", "oggetto", "body", "signer", "state",
    "source_sha256", "docx_sha256", "pdf_sha256", "created_at", "riservato",
)
VERSION_COLUMNS = (
    "act_id", "version", "state", "source_sha256", "docx_sha256", "pdf_sha256", "reason", "by_act", "created_at",
    "actor", "verifica", "esito", "note",
)
REFERENCE_COLUMNS = ("act_id", "part", "idx", "kind", "number", "year", "date", "text", "target_id", "relazione")
EVENT_COLUMNS = ("seq", "at", "kind", "act_id", "payload", "prev_hash", "hash", "row_digest")

# The tables of SQLite's schema 4 (number NULL for a draft, riservato 0/1), with the same column
# names and types; text that is sorted or compared collates as "C" (by code point, as SQLite).
# seq: the order acts were archived in (SQLite's rowid); terms: the act's tokens (atti.archive.terms,
# weighted as terms.PG_WEIGHTS); head: the same without the body, small enough to stay in the row;
# pairs: each two tokens next to each other in terms as one lexeme without positions
# ('+_oper+_pubblic', see postgresql.pairs_literal). GIN keeps no positions, so a phrase (``<->``)
# on terms alone is checked by reading back the TOASTed terms of every act with its words; the
# pairs' index finds the few acts that have them together. Apart from terms, which would be
# three times the size with them, and is read back for broad queries.
SCHEMA = """
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
    terms TSVECTOR NOT NULL,
    head TSVECTOR NOT NULL,
    pairs TSVECTOR NOT NULL,
    UNIQUE (register, year, number)
);
CREATE INDEX acts_terms ON acts USING gin (terms);
CREATE INDEX acts_head ON acts USING gin (head);
CREATE INDEX acts_pairs ON acts USING gin (pairs);
-- The words of the oggetti and of the people (terms.vocabulary_tokens), that a misspelt query
-- word is corrected to (SQLite reads them from its index, with fts5vocab).
CREATE TABLE search_terms (term TEXT COLLATE "C" PRIMARY KEY);
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
    actor TEXT, verifica TEXT, esito TEXT, note TEXT,
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

# Schema 1 to 2: NULL in every existing version, which a row's digest leaves out
# (digests.LATE_COLUMNS): every version still matches the event that recorded it.
MIGRATE_TO_2 = """
ALTER TABLE versions ADD COLUMN IF NOT EXISTS actor TEXT, ADD COLUMN IF NOT EXISTS verifica TEXT,
    ADD COLUMN IF NOT EXISTS esito TEXT, ADD COLUMN IF NOT EXISTS note TEXT;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
"""

# Schema 2 to 3, around the new vectors that PgCatalog fills from each row: the old ones go.
MIGRATE_TO_3_BEFORE = """
ALTER TABLE acts ADD COLUMN IF NOT EXISTS terms TSVECTOR, ADD COLUMN IF NOT EXISTS head TSVECTOR;
CREATE TABLE IF NOT EXISTS search_terms (term TEXT COLLATE "C" PRIMARY KEY);
"""
MIGRATE_TO_3_AFTER = """
ALTER TABLE acts ALTER COLUMN terms SET NOT NULL, ALTER COLUMN head SET NOT NULL;
DROP INDEX IF EXISTS acts_search;
DROP INDEX IF EXISTS acts_search_oggetto;
ALTER TABLE acts DROP COLUMN IF EXISTS search, DROP COLUMN IF EXISTS search_oggetto;
CREATE INDEX IF NOT EXISTS acts_terms ON acts USING gin (terms);
CREATE INDEX IF NOT EXISTS acts_head ON acts USING gin (head);
UPDATE meta SET value = '3' WHERE key = 'schema_version';
"""

# Schema 3 to 4, around every act's pairs that PgCatalog makes from its stored terms: their index is
# built once they are all there, sooner than kept up to date act by act.
MIGRATE_TO_4_BEFORE = """
ALTER TABLE acts ADD COLUMN IF NOT EXISTS pairs TSVECTOR;
DROP INDEX IF EXISTS acts_pairs;
"""
MIGRATE_TO_4_AFTER = """
ALTER TABLE acts ALTER COLUMN pairs SET NOT NULL;
CREATE INDEX acts_pairs ON acts USING gin (pairs);
UPDATE meta SET value = '4' WHERE key = 'schema_version';
"""
