"""The PostgreSQL catalog: the same acts, registers, event log and search as the SQLite one, for
archives written by many application servers at once.

Serialisation. Every write transaction first takes one transaction-level advisory lock (the
``BEGIN IMMEDIATE`` of SQLite): the event log is a hash chain, so its appends must be one after
the other whichever register they are about. A publish holds its register for much longer (the
number goes into the PDF before it is signed), with a session-level advisory lock on this
catalog's connection (:meth:`PgCatalog.register_lock`): other registers publish meanwhile, and a
server that dies mid-publish releases the lock with its connection, giving its number back.

The catalog's rules and its tamper evidence are :class:`atti.archive.storage.sql.SqlCatalog`'s,
shared with SQLite: digests are computed on the same column names and values (dates and
timestamps as ISO text, integers as integers), so an archive migrated from one backend to the
other verifies identically, event hashes included.

Search indexes atti's own tokens (atti.archive.terms), the same as the SQLite index, in a tsvector
built by atti (``terms``, weighted: the people and the act's number A, the oggetto B, the
citations C, the body D) and in a small one without the body (``head``), each with a GIN index,
and each two adjacent tokens as one lexeme (``pairs``, GIN-indexed), that a phrase is first looked
for by: GIN keeps no positions, so without them every act with a phrase's words would be read back
to check their order (:func:`pairs_tsquery`). A query (atti.archive.query) becomes a tsquery on
those tokens, so both backends match the same acts, and ranks them by the same features, each a
match on ``head``, which reads only the act's own row: acts a viewer may not see never move that
viewer's results (SQLite needs an index per visibility class for that). Snippets are cut in Python, as for SQLite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import pairwise
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from atti.archive import query as parsed
from atti.archive import search as fts
from atti.archive.records import ActRecord, BlobRef, Made, SearchHit, act_record, act_row
from atti.archive.storage.head import ChainHead, check_head, history_lost, read_head, write_head
from atti.archive.storage.postgresql_schema import (
    ACT_COLUMNS,
    MIGRATE_TO_2,
    MIGRATE_TO_3_AFTER,
    MIGRATE_TO_3_BEFORE,
    MIGRATE_TO_4_AFTER,
    MIGRATE_TO_4_BEFORE,
    REFERENCE_COLUMNS,
    SCHEMA,
    SCHEMA_VERSION,
    VERSION_COLUMNS,
)
from atti.archive.storage.sql import SqlCatalog
from atti.archive.storage.urls import redacted
from atti.archive.terms import INDEX_VERSION, document_of_row, tsvector_literal, vocabulary_tokens
from atti.errors import DuplicateNumber, StorageError
from atti.i18n import _

# Advisory lock keys (two int4): the first names atti's use, the second the register.
_WRITE_LOCK = (0x61747469, 0)  # "atti"
_REGISTER_LOCKS = 0x61747472  # "attr"

# How many of the newest acts a broad query's tier is first looked for among (see _ranked): only
# how fast, never what is found (too few there, and the tier is looked for among all acts).
_WALK = 1000
# The columns a search reads of an act: the digested ones, not the (large) search vectors.
_ACT = ", ".join(f"a.{c}" for c in ACT_COLUMNS)


def _storage_error(exc: psycopg.Error, doing: str) -> StorageError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if exc.sqlstate in _DAMAGED:
        return StorageError(
            _("the catalog is damaged: {reason}; run 'atti archive verify' to see what, then restore the database"
              " from a backup").format(reason=first)
        )
    if exc.sqlstate == "53100":  # disk_full: the server's own words name a file the user never sees
        return StorageError(_("cannot {doing}: the database server's disk is full").format(doing=doing))
    return StorageError(_("cannot {doing}: {reason}").format(doing=doing, reason=first))


# PostgreSQL's SQLSTATEs for a damaged table or index (data_corrupted, index_corrupted).
_DAMAGED = frozenset({"XX001", "XX002"})


def _sql(query: str) -> bytes:
    """A statement of SqlCatalog's (``?`` placeholders) as psycopg's (``%s``; a literal % doubled)."""
    return query.replace("%", "%%").replace("?", "%s").encode()


class PgCatalog(SqlCatalog):
    """The PostgreSQL catalog behind the archive's catalog interface (see the module docstring)."""

    ORDER = "seq"
    BY_NUMBER = "register, year, number NULLS FIRST"
    RAISE_COUNTER = "greatest(registers.last_number, excluded.last_number)"
    STARTS_WITH_DIGIT = "~ '^[0-9]'"
    # Exactly the SQLite tables' columns (seq and the tsvectors are PostgreSQL's own).
    ACT_SELECT = ", ".join(ACT_COLUMNS)
    VERSION_SELECT = ", ".join(VERSION_COLUMNS)
    REFERENCE_SELECT = ", ".join(REFERENCE_COLUMNS)

    def __init__(self, url: str, *, create: bool = False, head: Path | None = None, inspect: bool = False) -> None:
        """Connect to the catalog in the database ``url``, making its tables first if ``create``.

        Never over a history: a database without atti's tables (emptied, replaced, dropped) while
        this server's ``head`` (atti.head in the state directory) records events, and a catalog
        that does not hold the event the head records, are refused before anything is written.
        ``inspect`` (``atti archive verify``): such a catalog, if it has atti's tables, is opened to
        be verified only.
        """
        self.url = url
        self.head = head  # the chain head's copy outside the database (see verify_head)
        self._head_due = False
        self.read_only: str | None = None  # the line every write is refused with, if any
        name = redacted(url)
        try:
            self.db = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        except psycopg.Error as exc:
            raise _storage_error(exc, _("open the catalog {path}").format(path=name)) from None
        self.created = False
        try:
            recorded = self._recorded_head()
            version = self.schema_version()
            if version is None and create and recorded is None:
                self.created = self._create_schema()
                version = self.schema_version()
            lost = self._history_lost(recorded) if version is not None else None
        except psycopg.Error as exc:
            self.db.close()
            raise _storage_error(exc, _("open the catalog {path}").format(path=name)) from None
        except BaseException:
            self.db.close()
            raise
        if version is None:
            self.db.close()
            if recorded is not None:
                raise StorageError(
                    _("the database {name} holds no atti catalog, but {head} records event {seq}:"
                      " atti will not start a new catalog over an archive's history; restore the database from a backup"
                      ).format(name=name, head=self._head_name, seq=recorded.seq)
                )
            from atti.errors import ArchiveNotFound

            raise ArchiveNotFound(
                _("no archive in the database {name}: create one with 'atti init --archive URL'").format(name=name)
            )
        if version > SCHEMA_VERSION:
            self.db.close()
            raise StorageError(
                _("the catalog {path} was written by a newer atti (schema {version}): upgrade atti to open it").format(
                    path=name, version=version
                )
            )
        if lost is not None:
            if not inspect:
                self.db.close()
                raise StorageError(
                    _("the catalog {name} {lost}; restore the database from a backup"
                      " ('atti archive verify --archive {name}' shows what is there)").format(name=name, lost=lost)
                )
            self.read_only = _("the catalog {path} {lost}: it is open to be verified only").format(path=name, lost=lost)
        if version < SCHEMA_VERSION and self.read_only is None:
            try:
                self._migrate()
            except psycopg.Error as exc:
                self.db.close()
                raise _storage_error(
                    exc, _("bring the catalog {name} up to schema {version}").format(name=name, version=SCHEMA_VERSION)
                ) from None
        if self.read_only is None and self._index_version() != INDEX_VERSION:
            try:
                self._reindex()
            except psycopg.Error as exc:
                self.db.close()
                raise _storage_error(exc, _("index the catalog {name} anew").format(name=name)) from None

    @property
    def _head_name(self) -> str:
        return f"atti.head in {self.head.parent}" if self.head is not None else "atti.head"

    def _recorded_head(self) -> ChainHead | None:
        """This server's copy of the chain head, if it has a readable one (read before the database)."""
        if self.head is None:
            return None
        try:
            return read_head(self.head)
        except ValueError:
            return None  # archive verify's finding; it records no event

    def _history_lost(self, head: ChainHead | None) -> str | None:
        def hash_at(seq: int) -> str | None:
            row = self.db.execute("SELECT hash FROM events WHERE seq=%s", (seq,)).fetchone()
            return str(row["hash"]) if row else None

        return history_lost(head, self._newest_event(), hash_at, name=self._head_name)

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
            self.db.execute("INSERT INTO meta VALUES ('index_version', %s)", (str(INDEX_VERSION),))
        return True

    def _index_version(self) -> int:
        """The version of atti.archive.terms the search vectors were made with (0: before it was kept)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='index_version'").fetchone()
        return int(row["value"]) if row else 0

    def _reindex(self) -> None:
        """Every act's search vectors and the vocabulary made anew with this atti's tokens
        (terms.INDEX_VERSION), a thousand acts at a time, under the write lock (another server
        may be doing it meanwhile): vectors of other tokens would miss queries. The columns the
        digests cover are untouched."""
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s, %s)", _WRITE_LOCK)
            if self._index_version() == INDEX_VERSION:
                return
            self.db.execute("DELETE FROM search_terms")
            last = -1
            while rows := self.db.execute(
                f"SELECT seq, {', '.join(ACT_COLUMNS)} FROM acts WHERE seq > %s ORDER BY seq LIMIT 1000", (last,)
            ).fetchall():
                with self.db.cursor() as cur:
                    cur.executemany(
                        "UPDATE acts SET terms = %(terms)s::tsvector, head = %(head)s::tsvector,"
                        " pairs = %(pairs)s::tsvector WHERE seq = %(seq)s",
                        [{"seq": r["seq"], **_vectors(r)} for r in rows],
                    )
                for r in rows:
                    self._add_vocabulary(r)
                last = rows[-1]["seq"]
            self.db.execute(
                "INSERT INTO meta VALUES ('index_version', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                (str(INDEX_VERSION),),
            )

    def _migrate(self) -> None:
        """Bring a catalog of schema 1 to 3 up to 4 (see ``postgresql_schema.MIGRATE_TO_2``,
        :meth:`_migrate_to_3`, :meth:`_migrate_to_4`), under the write lock: another server may be
        doing it meanwhile."""
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s, %s)", _WRITE_LOCK)
            version = self.schema_version()
            if version is not None and version < 2:
                self.db.execute(MIGRATE_TO_2.encode())
            if version is not None and version < 3:
                self._migrate_to_3()
            if version is not None and version < 4:
                self._migrate_to_4()

    def _migrate_to_3(self) -> None:
        """Schema 2 to 3: every act's search vectors made anew from its row with atti's tokens,
        the vectors of the italian configuration dropped. The acts' columns that the digests
        cover are untouched."""
        self.db.execute(MIGRATE_TO_3_BEFORE.encode())
        rows = self.db.execute(f"SELECT seq, {', '.join(ACT_COLUMNS)} FROM acts").fetchall()
        with self.db.cursor() as cur:
            cur.executemany(
                "UPDATE acts SET terms = %(terms)s::tsvector, head = %(head)s::tsvector WHERE seq = %(seq)s",
                [{"seq": r["seq"], **_vectors(r)} for r in rows],
            )
        for r in rows:
            self._add_vocabulary(r)
        self.db.execute(MIGRATE_TO_3_AFTER.encode())

    def _migrate_to_4(self) -> None:
        """Schema 3 to 4: every act's ``pairs`` made from its ``terms`` as stored (see
        :func:`pairs_literal`; the same as from its row, without tokenising every act again), a
        thousand acts at a time. The columns the digests cover are untouched."""
        self.db.execute(MIGRATE_TO_4_BEFORE.encode())
        last = -1
        while rows := self.db.execute(
            "SELECT seq, terms::text AS terms FROM acts WHERE seq > %s ORDER BY seq LIMIT 1000", (last,)
        ).fetchall():
            with self.db.cursor() as cur:
                cur.executemany("UPDATE acts SET pairs = %(pairs)s::tsvector WHERE seq = %(seq)s",
                                [{"seq": r["seq"], "pairs": pairs_literal(r["terms"])} for r in rows])
            last = rows[-1]["seq"]
        self.db.execute(MIGRATE_TO_4_AFTER.encode())

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        if self.read_only is not None:
            raise StorageError(self.read_only)
        try:
            tx = self.db.transaction()
            tx.__enter__()
            self.db.execute("SELECT pg_advisory_xact_lock(%s, %s)", _WRITE_LOCK)
        except psycopg.Error as exc:
            raise _storage_error(exc, _("write the catalog")) from None
        self._head_due = False
        try:
            yield self.db
        except psycopg.Error as exc:  # the server went away, disk full, a constraint
            tx.__exit__(type(exc), exc, exc.__traceback__)
            raise _storage_error(exc, _("write the catalog")) from None
        except BaseException as exc:
            tx.__exit__(type(exc), exc, exc.__traceback__)
            raise
        try:
            tx.__exit__(None, None, None)
        except psycopg.Error as exc:
            raise _storage_error(exc, _("write the catalog")) from None
        if self._head_due and self.head is not None:
            write_head(self.head, self._newest_event)

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

    def verify_catalog(self) -> list[tuple[str, str, str]]:
        """The database's own check of atti's tables and their B-tree indexes, with the amcheck
        extension (``verify_heapam``, ``bt_index_check`` with every row looked up): one finding
        per damaged table or index. Without the extension, one finding that says they were not
        checked, which does not fail. (GIN indexes, the search's, have no check before PostgreSQL 18.)"""
        found = self._one("SELECT extversion FROM pg_extension WHERE extname = 'amcheck'")
        if found is None:
            return [("unchecked", "indexes", _("not checked: the database has no amcheck extension"
                     " (CREATE EXTENSION amcheck, as a superuser, lets archive verify check them)"))]
        schema = self._one("SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n"
                           " ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'")
        amcheck = sql.Identifier(schema["schema"] if schema else "public")
        tables = ["meta", "registers", "acts", "events", "versions", "act_references"]
        relations = self._all(
            "SELECT c.oid, c.relname AS name, c.relkind AS kind, coalesce(am.amname, '') AS method"
            " FROM pg_class c LEFT JOIN pg_am am ON am.oid = c.relam WHERE c.relnamespace = to_regnamespace("
            "current_schema())::oid AND (c.relname = ANY(%(tables)s) OR c.oid IN (SELECT indexrelid FROM pg_index"
            " i JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%(tables)s)"
            " AND t.relnamespace = to_regnamespace(current_schema())::oid)) ORDER BY c.relname",
            {"tables": tables},
        )
        problems: list[tuple[str, str, str]] = []
        heap_check = tuple(int(n) for n in str(found["extversion"]).split(".")[:2]) >= (1, 3)
        for rel in relations:
            what = f"{'table' if rel['kind'] == 'r' else 'index'} {rel['name']}"
            try:
                if rel["kind"] == "r" and heap_check:
                    rows = self.db.execute(
                        sql.SQL("SELECT blkno, msg FROM {}.verify_heapam(%s)").format(amcheck), (rel["oid"],)
                    ).fetchall()
                    if rows:
                        more = _(" (and {count} more)").format(count=len(rows) - 1) if len(rows) > 1 else ""
                        problems.append(("changed", what, _("damaged: block {block}: {reason}{more};"
                                         " restore the database from a backup").format(
                                             block=rows[0]["blkno"], reason=rows[0]["msg"], more=more)))
                elif rel["kind"] == "i" and rel["method"] == "btree":
                    self.db.execute(sql.SQL("SELECT {}.bt_index_check(%s, true)").format(amcheck), (rel["oid"],))
            except psycopg.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                repair = (
                    _("damaged: {reason}; rebuild it (REINDEX INDEX {index}) or restore the database from a backup")
                    if rel["kind"] == "i" else _("damaged: {reason}; restore the database from a backup")
                )
                problems.append(("changed", what, repair.format(reason=first, index=rel["name"])))
        return problems

    # -- registers ---------------------------------------------------------------------------

    @contextmanager
    def register_lock(self, register: str, year: int) -> Iterator[None]:
        """Hold the register for a whole publish, across every server sharing the database.

        A session-level advisory lock on this connection: released at the end, or by the server
        itself when the connection is lost (a crashed publisher gives its number back).
        """
        if self.read_only is not None:
            raise StorageError(self.read_only)
        key = int.from_bytes(hashlib.sha256(f"{register}\x00{year}".encode()).digest()[:4], "big", signed=True)
        try:
            self.db.execute("SELECT pg_advisory_lock(%s, %s)", (_REGISTER_LOCKS, key))
        except psycopg.Error as exc:
            doing = _("lock the register {register} {year}").format(register=register, year=year)
            raise _storage_error(exc, doing) from None
        try:
            yield
        finally:
            with suppress(psycopg.Error):  # the connection is gone, and the lock with it
                self.db.execute("SELECT pg_advisory_unlock(%s, %s)", (_REGISTER_LOCKS, key))

    def _one(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        try:
            return self.db.execute(query.encode(), params).fetchone()
        except psycopg.Error as exc:
            raise _storage_error(exc, _("read the catalog")) from None

    def _all(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        try:
            return self.db.execute(query.encode(), params).fetchall()
        except psycopg.Error as exc:
            raise _storage_error(exc, _("read the catalog")) from None


    # -- running statements (see SqlCatalog) ---------------------------------------------------

    def _execute(self, query: str, params: Sequence[Any] = ()) -> psycopg.Cursor[dict[str, Any]]:
        return self.db.execute(_sql(query), params)

    def _execute_many(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.db.cursor() as cur:
            cur.executemany(_sql(query), rows)

    def _fetch_one(self, query: str, params: Sequence[Any] = ()) -> Any:
        return self._one(_sql(query).decode(), params)

    def _fetch_all(self, query: str, params: Sequence[Any] = ()) -> Iterable[Any]:
        return self._all(_sql(query).decode(), params)

    def _in(self, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
        return "= ANY(?)", (list(values),)

    def _rows_of_acts(self) -> Callable[[str], tuple[list[Any], list[Any]]]:
        """Every version and reference row read at once: one round trip each, not two per act."""
        versions: dict[str, list[Any]] = {}
        for v in self._fetch_all(f"SELECT {self.VERSION_SELECT} FROM versions ORDER BY act_id, version"):
            versions.setdefault(v["act_id"], []).append(v)
        references: dict[str, list[Any]] = {}
        for r in self._fetch_all(f"SELECT {self.REFERENCE_SELECT} FROM act_references ORDER BY {self.ORDER}"):
            references.setdefault(r["act_id"], []).append(r)
        return lambda act_id: (versions.get(act_id, []), references.get(act_id, []))

    # -- the act's row and its search entry ----------------------------------------------------

    def _insert_row(self, record: ActRecord, body: str) -> None:
        self.insert_act_row(act_row(record, body))

    def _insert_new_act(self, record: ActRecord, body: str) -> None:
        try:
            with self.db.transaction():  # a savepoint: a duplicate id leaves the transaction usable
                self.insert_act_row(act_row(record, body))
        except psycopg.errors.UniqueViolation:
            raise DuplicateNumber(_("an act with id {id} is already in the archive").format(id=record.id)) from None

    def _replace_row(self, act_id: str, record: ActRecord, body: str) -> None:
        self._update_row(act_id, act_row(record, body))

    def insert_act_row(self, values: dict[str, Any]) -> None:
        """One act's row as the digests see it (``values`` by column name), with its search entry."""
        columns = list(values)
        self.db.execute(
            sql.SQL(
                "INSERT INTO acts ({}, terms, head, pairs)"
                " VALUES ({}, %(terms)s::tsvector, %(head)s::tsvector, %(pairs)s::tsvector)"
            ).format(
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
            ),
            values | _vectors(values),
        )
        self._add_vocabulary(values)

    def _add_vocabulary(self, row: Any) -> None:
        self.db.execute("INSERT INTO search_terms (term) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                        (vocabulary_tokens(document_of_row(row)),))

    def _update_row(self, act_id: str, values: dict[str, Any]) -> None:
        """Replace an act's row (a draft's) and its search entry, keeping its place (seq)."""
        columns = list(values)
        self.db.execute(
            sql.SQL("UPDATE acts SET {}, terms = %(terms)s::tsvector, head = %(head)s::tsvector,"
                    " pairs = %(pairs)s::tsvector WHERE id = %(old_id)s").format(
                sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in columns),
            ),
            values | _vectors(values) | {"old_id": act_id},
        )
        self._add_vocabulary(values)

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

    # -- drafts ------------------------------------------------------------------------------

    def new_draft_id(self) -> str:
        """A draft id never given before in this catalog, "bozza-N"; call inside :meth:`transaction`."""
        row = self.db.execute(
            "INSERT INTO meta VALUES ('last_draft', '1') ON CONFLICT (key)"
            " DO UPDATE SET value = (meta.value::bigint + 1)::text RETURNING value"
        ).fetchone()
        assert row is not None
        return f"bozza-{row['value']}"


    def _insert_version(
        self, act_id: str, state: str, source: BlobRef, docx: BlobRef, pdf: BlobRef, reason: str, by_act: str | None,
        made: Made,
    ) -> int:
        row = self.db.execute(  # numbered in the same statement: one round trip per version
            "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason, by_act,"
            " created_at, actor, verifica, esito, note) SELECT %(act)s, coalesce(max(version), 0) + 1, %(state)s,"
            " %(source)s, %(docx)s, %(pdf)s, %(reason)s, %(by_act)s, %(at)s, %(actor)s, %(verifica)s, %(esito)s,"
            " %(note)s FROM versions WHERE act_id = %(act)s RETURNING version",
            {"act": act_id, "state": state, "source": source.sha256, "docx": docx.sha256, "pdf": pdf.sha256,
             "reason": reason, "by_act": by_act, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
             "actor": made.actor, "verifica": made.verifica, "esito": made.esito, "note": made.note},
        ).fetchone()
        assert row is not None
        return int(row["version"])


    # -- search ------------------------------------------------------------------------------

    def _search(self, query: str, f: fts.Filters, limit: int, offset: int) -> list[SearchHit]:
        """Equal scores in archive order, as FTS5 gives them."""
        with self._index_scans():
            return self._ranked(query, f, limit, offset)

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
            raise _storage_error(exc, _("read the catalog")) from None

    def _query(self, query: str, f: fts.Filters) -> parsed.Query:
        """The parsed query; when it finds no act the viewer may see, with its misspelt words
        widened to those of the index (atti.archive.query.corrected), as SQLite does."""
        q = parsed.parse(query)
        if q.empty:
            return q
        seen, seen_params = filter_sql(
            fts.Filters(public_only=f.public_only, hide_reserved=f.hide_reserved, hide_unpublished=f.hide_unpublished),
            "a",
        )
        params = seen_params | {"q": parsed.tsquery(q)}
        found = self._one(
            f"SELECT 1 AS found FROM acts a WHERE {_match(params)}" + "".join(f" AND {w}" for w in seen) + " LIMIT 1",
            params,
        )
        return q if found is not None else self._widened(q, f) or q

    def _widened(self, q: parsed.Query, f: fts.Filters) -> parsed.Query | None:
        """``q``, which finds no act, with its misspelt words widened to those of the index
        (atti.archive.query.corrected); None when no word has a correction."""

        def vocabulary(low: str, high: str) -> list[str]:
            rows = self._all("SELECT term FROM search_terms WHERE term >= %(low)s AND term < %(high)s",
                             {"low": low, "high": high})
            return [str(r["term"]) for r in rows]

        return parsed.corrected(q, vocabulary)

    def _ranked(self, query: str, f: fts.Filters, limit: int, offset: int) -> list[SearchHit]:
        where, params = filter_sql(f, "a")
        q = parsed.parse(query)
        params |= {"limit": limit, "offset": offset}
        if q.empty:
            rows = self._all(
                f"SELECT {_ACT} FROM acts a" + (f" WHERE {' AND '.join(where)}" if where else "")
                + " ORDER BY a.data DESC, a.number DESC NULLS LAST, a.seq DESC LIMIT %(limit)s OFFSET %(offset)s",
                params,
            )
            return [SearchHit(act_record(r), fts.snippet(r["body"], ""), 0.0) for r in rows]
        params["q"] = parsed.tsquery(q)
        matches = _match(params)
        conditions = "".join(f" AND {w}" for w in where)
        # Counted only as far as the threshold: all that matters is which side of it the query is.
        # Counted among what the viewer may see only, as SQLite counts in the viewer's own index:
        # acts the viewer cannot see never decide how its results are ranked.
        seen, seen_params = filter_sql(
            fts.Filters(public_only=f.public_only, hide_reserved=f.hide_reserved, hide_unpublished=f.hide_unpublished),
            "a",
        )
        count = self._one(
            f"SELECT count(*) AS n FROM (SELECT 1 FROM acts a WHERE {matches}"
            + "".join(f" AND {w}" for w in seen) + " LIMIT %(enough)s) m",
            params | seen_params | {"enough": fts.RANK_ALL_UP_TO + 1},
        )
        if (count is None or count["n"] == 0) and (widened := self._widened(q, f)) is not None:
            q = widened
            params["q"] = parsed.tsquery(q)
            matches = _match(params)
            count = self._one(
                f"SELECT count(*) AS n FROM (SELECT 1 FROM acts a WHERE {matches}"
                + "".join(f" AND {w}" for w in seen) + " LIMIT %(enough)s) m",
                params | seen_params | {"enough": fts.RANK_ALL_UP_TO + 1},
            )
        if count is None or count["n"] == 0:
            return []
        # The features of atti.archive.query, each a match on the act's head vector (in its row).
        features = parsed.ts_features(q)
        score = " + ".join(f"(a.head @@ %(f{i})s::tsquery)::int * {w}" for i, (w, _) in enumerate(features)) or "0"
        params |= {f"f{i}": expr for i, (_, expr) in enumerate(features)}
        order = "ORDER BY score DESC, a.data DESC, a.number DESC NULLS LAST, a.seq DESC"

        def ranked(match: str, count: str, skip: str) -> list[dict[str, Any]]:
            return self._all(
                f"SELECT {_ACT}, s.score FROM (SELECT a.seq, {score} AS score, a.data, a.number FROM acts a"
                f" WHERE {match}{conditions} {order} LIMIT {count} OFFSET {skip}) s JOIN acts a ON a.seq = s.seq"
                " ORDER BY s.score DESC, a.data DESC, a.number DESC NULLS LAST, a.seq DESC",
                params,
            )

        if count["n"] <= fts.RANK_ALL_UP_TO:
            rows = ranked(matches, "%(limit)s", "%(offset)s")
        else:
            # As SQLite (atti.archive.query.broad_tiers): the matches with each feature, the
            # heaviest first, then the rest, each tier most recently archived first, read along
            # the seq index only as far as the page's end.
            params["wanted"] = wanted = offset + limit
            rows = []
            shown: set[str] = set()
            # A tier's acts are found on the head vector (in the row, GIN-indexed); where its
            # features imply the whole query, no act's (TOASTed) terms vector is read at all.
            implied = parsed.features_imply_match(q)
            for weight, head in parsed.ts_broad_tiers(q):
                params["head"], params["enough"] = head, wanted + len(shown)
                match = ("a.head @@ %(head)s::tsquery" + ("" if implied else f" AND {matches}")
                         if head else matches)
                # A dense tier (a word of every act's ente, a name on half the acts) is met among
                # the newest acts: first look among the newest _WALK only, the filters first (a
                # match on terms reads the act's vector back from TOAST); a sparse one is found
                # through the GIN indexes, with the filters' B-tree ones (seq + 0: not by walking
                # every act hoping to meet one).
                newest = f"(SELECT * FROM acts ORDER BY seq DESC LIMIT {_WALK})"
                if where:
                    newest = f"(SELECT * FROM {newest} a WHERE {' AND '.join(where)} OFFSET 0)"
                tier = self._all(
                    f"SELECT {_ACT}, {weight} AS score FROM {newest} a WHERE {match} ORDER BY a.seq DESC"
                    " LIMIT %(enough)s",
                    params,
                )
                if len(tier) < params["enough"]:
                    tier = self._all(
                        f"SELECT {_ACT}, {weight} AS score FROM acts a WHERE {match}{conditions}"
                        " ORDER BY a.seq + 0 DESC LIMIT %(enough)s",
                        params,
                    )
                rows += [r for r in tier if r["id"] not in shown][: wanted - len(rows)]
                shown.update(r["id"] for r in tier)
                if len(rows) >= wanted:
                    break
            rows = rows[offset:]
        return [SearchHit(act_record(r), fts.hit_snippet(r["oggetto"], r["body"], query), float(r["score"]))
                for r in rows]

    def _selection(self, query: str, filters: fts.Filters | None) -> tuple[list[str], dict[str, Any]]:
        """WHERE clauses on ``acts a`` of what :meth:`search` finds, and their parameters."""
        where, params = filter_sql(filters or fts.Filters(), "a")
        q = self._query(query, filters or fts.Filters())
        if not q.empty:
            params["q"] = parsed.tsquery(q)
            where.append(_match(params))
        return where, params

    def count(self, query: str = "", filters: fts.Filters | None = None) -> int:
        """How many acts :meth:`search` finds for ``query`` and ``filters`` over all its pages."""
        where, params = self._selection(query, filters)
        with self._index_scans():
            row = self._one("SELECT count(*) AS n FROM acts a" + (f" WHERE {' AND '.join(where)}" if where else ""),
                            params)
        return int(row["n"]) if row else 0

    def facets(self, query: str = "", filters: fts.Filters | None = None) -> dict[str, list[tuple[str, int]]]:
        """For each of ``search.FACETS``: its values among the acts :meth:`search` finds, with how
        many acts have each, most first (ties by value, as SQLite orders them); one grouped pass."""
        out: dict[str, list[tuple[str, int]]] = {name: [] for name in fts.FACETS}
        where, params = self._selection(query, filters)
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        grouped = ", ".join(f"a.{column}" for column in fts.FACETS.values())
        with self._index_scans():
            rows = self._all(f"SELECT {grouped}, count(*) AS n FROM acts a{condition} GROUP BY {grouped}", params)
        for name, column in fts.FACETS.items():
            counted: dict[Any, int] = {}
            for r in rows:
                counted[r[column]] = counted.get(r[column], 0) + int(r["n"])
            # Sorted here: integers as numbers, text by code point, whatever the database's collation.
            ordered = sorted(counted.items(), key=lambda vn: (-vn[1], vn[0]))
            out[name] = [(str(value), n) for value, n in ordered]
        return out


def _vectors(row: Any) -> dict[str, str]:
    """The ``terms``, ``head`` and ``pairs`` tsvectors (input syntax) of an acts row, by column name."""
    doc = document_of_row(row)
    terms = tsvector_literal(doc)
    return {"terms": terms, "head": tsvector_literal(doc, head=True), "pairs": pairs_literal(terms)}


# -- phrases through their pairs -----------------------------------------------------------------

# A lexeme of a tsvector's input syntax with its positions ('tok':1A,5B), and a tsquery's parts.
_POSITIONED = re.compile(r"'((?:[^']|'')*)':([0-9A-D,]+)")
_QUERY_PART = re.compile(r"\s*(?:'((?:[^']|'')*)'(:\*)?|(<->|[&|!()]))")


def _pair(first: str, second: str) -> str:
    """The lexeme of ``first`` followed by ``second`` (no token has a "+": atti.archive.terms)."""
    return f"+{first}+{second}"


def pairs_literal(terms: str) -> str:
    """The pairs of an act whose tokens are ``terms`` (tsvector input syntax), as lexemes without
    positions: every two lexemes at positions p and p + 1 there. Read from the positions
    PostgreSQL is given (capped, at most 256 a lexeme), so every act that matches a phrase
    ``'a' <-> 'b'`` has the pair ``'+a+b'``."""
    at: dict[int, list[str]] = {}
    for m in _POSITIONED.finditer(terms):
        for p in m[2].split(","):
            at.setdefault(int(p.rstrip("ABCD")), []).append(m[1])
    pairs = {_pair(a, b) for p, here in at.items() for a in here for b in at.get(p + 1, ())}
    return " ".join(f"'{t}'" for t in sorted(pairs))


def _match(params: dict[str, Any]) -> str:
    """The condition on ``acts a`` that it matches the tsquery ``params["q"]``; with its phrases
    first looked for by their pairs (``params["pairs"]``, see :func:`pairs_tsquery`) if it has any."""
    pairs = pairs_tsquery(params["q"])
    if pairs is None:
        return "a.terms @@ %(q)s::tsquery"
    params["pairs"] = pairs
    # The phrase checked on the rows the pairs' index finds, not through the terms' index too
    # (ts_match_vq is @@ that the planner does not take to an index): the acts with all the
    # phrase's words may be most of the archive, a bitmap of them costs more than the check.
    return "a.pairs @@ %(pairs)s::tsquery AND ts_match_vq(a.terms, %(q)s::tsquery)"


def pairs_tsquery(tsquery: str) -> str | None:
    """A tsquery on ``pairs`` that every act matching ``tsquery`` (as atti.archive.query writes
    them) on ``terms`` matches: its phrases as their pairs (``'a' <-> 'b' <-> 'c':*`` as
    ``'+a+b' & '+b+c':*``), its words and exclusions no condition. None when no phrase is needed
    by every match (``"opere pubbliche" OR appalto``), or the tsquery cannot be read.

    The GIN index answers it on its own (no positions, no weights: no row is read back), so a
    phrase is checked on terms only in the few acts with all its pairs."""
    parts: list[tuple[str, str, bool]] = []  # (operator, lexeme, prefix)
    pos = 0
    while pos < len(tsquery.rstrip()):
        m = _QUERY_PART.match(tsquery, pos)
        if m is None:
            return None
        parts.append((m[3] or "", m[1] or "", bool(m[2])))
        pos = m.end()
    i = 0

    def peek() -> str | None:
        return parts[i][0] if i < len(parts) else None

    # Each part's condition on the pairs, None for none.
    def either() -> str | None:
        nonlocal i
        found = [both()]
        while peek() == "|":
            i += 1
            found.append(both())
        if any(f is None for f in found):
            return None
        return found[0] if len(found) == 1 else "(" + " | ".join(str(f) for f in found) + ")"

    def both() -> str | None:
        nonlocal i
        found = [negated()]
        while peek() == "&":
            i += 1
            found.append(negated())
        kept = [f for f in found if f is not None]
        return None if not kept else kept[0] if len(kept) == 1 else "(" + " & ".join(kept) + ")"

    def negated() -> str | None:
        nonlocal i
        if peek() == "!":
            i += 1
            negated()
            return None  # an act without the phrase may well have its pairs
        return phrase()

    def phrase() -> str | None:
        nonlocal i
        found = [single()]
        while peek() == "<->":
            i += 1
            found.append(single())
        if len(found) == 1:
            return found[0][0]
        pairs = [f"'{_pair(a[0], b[0])}'" + (":*" if b[1] else "")
                 for (_, a), (_, b) in pairwise(found) if a is not None and b is not None and not a[1]]
        return None if not pairs else pairs[0] if len(pairs) == 1 else "(" + " & ".join(pairs) + ")"

    def single() -> tuple[str | None, tuple[str, bool] | None]:
        """The operand's condition, and its lexeme and prefix mark if it is one."""
        nonlocal i
        if i >= len(parts):
            raise ValueError("the tsquery ends too soon")
        operator, lexeme, prefix = parts[i]
        i += 1
        if operator == "(":
            inner = either()
            if peek() != ")":
                raise ValueError("a parenthesis is not closed")
            i += 1
            return inner, None
        if operator:
            raise ValueError(f"{operator} where a lexeme should be")
        return None, (lexeme, prefix)

    try:
        found = either()
    except ValueError:
        return None
    return found if i == len(parts) else None


def filter_sql(f: fts.Filters, table: str) -> tuple[list[str], dict[str, Any]]:
    """The filters as PostgreSQL WHERE clauses, with the semantics of :meth:`Filters.sql`."""
    where: list[str] = []
    params: dict[str, Any] = {}
    for name, clause, value in (
        ("registro", "{t}.register = %(registro)s", f.registro),
        ("anno", "{t}.year = %(anno)s", f.anno),
        ("dal", "{t}.data >= %(dal)s", f.dal.isoformat() if f.dal else None),
        ("al", "{t}.data <= %(al)s", f.al.isoformat() if f.al else None),
        ("tipo", "lower({t}.tipo) = lower(%(tipo)s)", f.tipo),
        ("organo", "strpos(lower({t}.organo), %(organo)s) > 0", f.organo.lower() if f.organo else None),
        ("firmatario", "strpos(lower({t}.signer), %(firmatario)s) > 0",
         f.firmatario.lower() if f.firmatario else None),
        ("stato", "lower({t}.state) = lower(%(stato)s)", f.stato),
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
