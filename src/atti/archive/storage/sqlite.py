"""The SQLite catalog: acts, registers, the hash-chained event log and the search index.

One transaction per act: the act's row, its register's counter, its search entry and its event
are committed together or not at all. ``BEGIN IMMEDIATE`` takes the write lock up front so two
publishers cannot read the same "last number".

The rules (sealing, versions, references, drafts, the event log and its tamper evidence) are
:class:`atti.archive.storage.sql.SqlCatalog`'s, shared with PostgreSQL; this module keeps the
connection, the transactions and locks, and the FTS5 search; atti.archive.storage.sqlite_schema the
schema and its migrations.

Tamper evidence: every event that creates or changes an act also records a digest of the act's
row as written, and that digest is part of the event's chained hash (atti.archive.digests). From
schema 3 the digest also covers the act's version rows and reference rows, which only ever change
together with an event about the act (a new version: publication, a renewed timestamp, an annulment).
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from atti.archive import query as parsed
from atti.archive import search as fts
from atti.archive.digests import event_hash
from atti.archive.records import ActRecord, SearchHit, act_record, act_row
from atti.archive.storage import sqlite_schema
from atti.archive.storage.head import check_head, head_path, history_lost, read_head, write_head
from atti.archive.storage.sql import SqlCatalog
from atti.archive.storage.sqlite_schema import DELETE_FTS, INSERT_ACT, INSERT_FTS, SCHEMA_VERSION
from atti.archive.terms import INDEX_VERSION, document_of_row
from atti.errors import ArchiveNotFound, DuplicateNumber, StorageError
from atti.files import PRIVATE_FILE
from atti.i18n import N_, _, translate

__all__ = ["SCHEMA_VERSION", "SqliteCatalog"]

# The event hash under the name it had here (tests recompute hashes with it).
_event_hash = event_hash

_MMAP_BYTES = 1 << 30

# What count and facets return, from one pass over the acts found (see SqliteCatalog._tally).
Tally = tuple[int, dict[str, list[tuple[str, int]]]]


class SqliteCatalog(SqlCatalog):
    """The embedded catalog behind the archive's catalog interface.

    Opening it never starts a catalog over an archive's history: a file that is missing, empty
    or not an atti catalog while ``history`` (what the directory says: a chain head, stored
    documents) shows there was one, and a catalog that does not hold the event the chain head
    records (emptied, truncated, replaced), are refused before anything is written. Only
    ``create`` (``atti init``) makes the tables, and only where nothing says there was a history.

    ``read_only``: None, or the one line every write is refused with; the file is then opened
    read-only (immutable when no write is pending in its WAL) and never written, not even
    migrated. ``inspect`` (``atti archive verify``): a catalog that would be refused is opened as
    it is, or as an empty stand-in when it cannot be read at all, never written, and
    :meth:`verify_catalog` says what is wrong with it.
    """

    def __init__(
        self, path: Path, *, create: bool = False, read_only: str | None = None, inspect: bool = False,
        history: str | None = None,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self.created = False  # whether the tables were made now
        self._head_due = False  # events were appended in the open transaction (see atti.archive.storage.head)
        self.migrated_from: int | None = None  # the schema this process found, when it migrated it
        self._inspect = inspect
        self._problems: list[tuple[str, str, str]] = []  # what opening it to inspect it found
        self._stand_in = False
        self._verify_only = False  # a catalog that lost the archive's history, opened by inspect
        self._head_kept = False  # the catalog says it keeps atti.head (see _keeps_head)
        self._tally_source = "acts a"
        self._tallied: tuple[tuple[object, ...], Tally] | None = None
        self._restore = _(
            "restore {name} from a backup ('atti archive verify --archive {folder}' shows what is there)"
        ).format(name=path.name, folder=path.parent)
        may_create = create and history is None and read_only is None
        try:
            if not path.exists() and not may_create:
                self._absent(_("is missing"), ("missing", path.name, _("deleted: restore it from a backup")), history)
            else:
                if may_create and not path.exists():
                    # Made 0600 before SQLite opens it: SQLite gives its -wal, -shm and -journal
                    # the database file's mode, so the whole catalog is its owner's only.
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
                self.db = self._connect()
                tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if "meta" not in tables:
                    if may_create:
                        self._create()
                    elif tables:
                        problem = ("changed", path.name, _("not an atti catalog: restore it from a backup"))
                        self._absent(_("is not an atti catalog"), problem, history)
                    else:
                        self._absent(_("is empty"),
                                     ("missing", path.name, _("emptied: it holds no table; restore it from a backup")),
                                     history)
            if not self._stand_in:
                self._settle()
        except sqlite3.Error as exc:
            if not inspect:
                with suppress(sqlite3.Error, AttributeError):
                    self.db.close()
                raise self.error(exc, _("open the catalog {path}").format(path=path)) from None
            damaged = _("damaged: {reason}; restore it from a backup").format(reason=exc)
            self._stand_in_for(("changed", path.name, damaged))

    def _connect(self) -> sqlite3.Connection:
        if self.read_only is None:
            return sqlite3.connect(self.path, timeout=60, isolation_level=None)
        uri = self.path.resolve().as_uri() + "?mode=ro"
        # Where someone else may be writing (we only lack the permission), read as a reader among
        # writers, through their WAL index (-shm), as long as it is there. Where no one can write
        # (a read-only mount), or no writer left a WAL index to read through, read the file as
        # immutable: no lock, no -shm or -wal to make where nothing may be made. Writes a stopped
        # writer left in its WAL are still read through it (mode=ro), never skipped.
        wal = self.path.with_name(self.path.name + "-wal")
        pending = wal.exists() and wal.stat().st_size > 0
        try:
            mounted_read_only = bool(os.statvfs(self.path.parent).f_flag & os.ST_RDONLY)
        except OSError:
            mounted_read_only = False
        if pending or not mounted_read_only:
            db = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
            try:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return db
            except sqlite3.OperationalError:  # no WAL index, and none may be made
                db.close()
        return sqlite3.connect(uri + "&immutable=1", uri=True, timeout=60, isolation_level=None)

    def _create(self) -> None:
        self.db.execute("PRAGMA journal_mode=WAL")
        sqlite_schema.create(self.db)
        self.created = True

    def _absent(self, state: str, problem: tuple[str, str, str], history: str | None) -> None:
        """No catalog in the file: refused where the archive had a history, else no archive at all."""
        if history is None:
            raise ArchiveNotFound(
                _("no archive at {folder}: {name} {state}; create one with 'atti init --archive {folder}'").format(
                    folder=self.path.parent, name=self.path.name, state=state
                )
            )
        if self._inspect:
            self._stand_in_for(problem)
            return
        raise StorageError(
            _(
                "the catalog {path} {state}, but {history}: atti will not start a new catalog over an"
                " archive's history; {restore}"
            ).format(path=self.path, state=state, history=history, restore=self._restore)
        )

    def _stand_in_for(self, problem: tuple[str, str, str]) -> None:
        """For archive verify, a catalog that cannot be read: an empty one in memory, which the
        chain head and the stored documents are checked against, and ``problem`` to report."""
        with suppress(sqlite3.Error, AttributeError):
            self.db.close()
        self.db = sqlite3.connect(":memory:", isolation_level=None)
        sqlite_schema.create(self.db)
        self.db.row_factory = sqlite3.Row
        self._problems.append(problem)
        self._stand_in = True
        self.read_only = _("the catalog {path} cannot be read: it is open to be verified only").format(path=self.path)

    def _settle(self) -> None:
        """The connection's settings, the schema's version, the history check and any migration."""
        if self.read_only is None:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.row_factory = sqlite3.Row
        version = sqlite_schema.schema_version(self.db)
        if version > SCHEMA_VERSION:
            self.db.close()
            raise StorageError(
                _("the catalog {path} was written by a newer atti (schema {version}): upgrade atti to open it").format(
                    path=self.path, version=version
                )
            )
        lost = self._history_lost()
        if lost is not None:
            if not self._inspect:
                self.db.close()
                raise StorageError(
                    _("the catalog {path} {lost}; {restore}").format(path=self.path, lost=lost, restore=self._restore)
                )
            # Opened to say what is missing: nothing may be written over it, not even a migration.
            self.read_only = _("the catalog {path} {lost}: it is open to be verified only").format(
                path=self.path, lost=lost
            )
            self._verify_only = True
        self._head_kept = self._keeps_head()
        if version < SCHEMA_VERSION:
            if self.read_only is None:
                self._migrate()
            elif lost is None and not self._inspect:
                self.db.close()
                raise StorageError(
                    _(
                        "{refused}; its catalog is of an older schema ({version}): open it once where it can"
                        " be written, to bring it up to date"
                    ).format(refused=self.read_only, version=version)
                )
        if self.read_only is None and sqlite_schema.index_version(self.db) != INDEX_VERSION:
            self._reindex()
        if self.read_only is None:
            with suppress(sqlite3.OperationalError):  # a catalog we may not write still answers, more slowly
                self.db.execute(fts.TALLY_INDEX)
        indexed = self.db.execute("SELECT 1 FROM sqlite_master WHERE name='acts_by_facets'").fetchone()
        self._tally_source = "acts a INDEXED BY acts_by_facets" if indexed else "acts a"
        # Searches read a few pages of many indexes and rows: map the file rather than copy each
        # page into a 2 MB cache.
        self.db.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")

    def _migrate(self) -> None:
        """Bring a catalog of schema 1 to 6 up to schema 7, in one transaction (another process
        may race us): see :func:`sqlite_schema.migrate_to_3` to :func:`sqlite_schema.migrate_to_7`."""
        with self.transaction():
            version = sqlite_schema.schema_version(self.db)
            if version >= SCHEMA_VERSION:
                return  # migrated meanwhile by another process
            self.migrated_from = version
            if version < 3:
                for act_id in sqlite_schema.migrate_to_3(self.db):
                    self.append_event("row-recorded", act_id, {"schema": 3})
            self._head_due = True  # an archive made before the head file gets one now
            sqlite_schema.migrate_to_4(self.db)
            sqlite_schema.migrate_to_5(self.db)
            sqlite_schema.migrate_to_6(self.db)
            sqlite_schema.migrate_to_7(self.db)

    def _reindex(self) -> None:
        """The search indexes made anew with this atti's tokens (terms.INDEX_VERSION), in one
        transaction (another process may race us): an index of other tokens would miss queries,
        and FTS5 could not remove an act's entry by tokens it no longer gives."""
        with self.transaction():
            if sqlite_schema.index_version(self.db) != INDEX_VERSION:
                sqlite_schema.reindex(self.db)

    def close(self) -> None:
        self.db.close()

    def error(self, exc: sqlite3.Error, doing: str) -> StorageError:
        """The one line a failed statement is reported with: a damaged file, a full disk, a
        read-only archive, an I/O error, each in its words (``doing``: "write the catalog"...)."""
        name = getattr(exc, "sqlite_errorname", None) or ""
        text = str(exc)
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
            return StorageError(
                _(
                    "the catalog {path} is damaged: {reason}; run 'atti archive verify --archive {folder}'"
                    " to see what, then restore {name} from a backup"
                ).format(path=self.path, reason=text, folder=self.path.parent, name=self.path.name)
            )
        if name.startswith("SQLITE_READONLY") or "readonly database" in text:
            return StorageError(
                self.read_only
                or _("the archive at {folder} is read-only: {reason}").format(folder=self.path.parent, reason=text)
            )
        if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
            return StorageError(_("cannot {doing}: the disk is full").format(doing=doing))
        if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
            return StorageError(
                _("cannot {doing}: the disk reported an I/O error ({reason})").format(doing=doing, reason=text)
            )
        return StorageError(_("cannot {doing}: {reason}").format(doing=doing, reason=text))

    @contextmanager
    def register_lock(self, register: str, year: int) -> Iterator[None]:
        """Hold the register for a whole publish: an flock on locks/<register>-<year>-0.lock."""
        import fcntl
        import re

        from atti.files import write_error

        if self.read_only is not None:
            raise StorageError(self.read_only)
        slug = re.sub(r"[^0-9A-Za-z]+", "", register) or "R"
        path = self.path.parent / "locks" / f"{slug}-{year}-0.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        except OSError as exc:
            raise write_error(exc, _("the register lock {path}").format(path=path)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self.read_only is not None:
            raise StorageError(self.read_only)
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self.error(exc, _("write the catalog")) from None
        self._head_due = False
        try:
            yield self.db
        except sqlite3.Error as exc:  # disk full, read-only, I/O error mid-transaction
            self._rollback()
            raise self.error(exc, _("write the catalog")) from None
        except BaseException:
            self._rollback()
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise self.error(exc, _("write the catalog")) from None
        if self._head_due and write_head(head_path(self.path), self._newest_event) and not self._head_kept:
            # Only once the file exists is its absence a finding: a process killed before it
            # wrote the first head must not leave an alarm (see atti.archive.storage.head).
            with suppress(sqlite3.Error):
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('head_file', '1')")
                self._head_kept = True

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not undone it already: a COMMIT that finds
        the disk full or gets an I/O error rolls back by itself, and a ROLLBACK then would fail
        and hide why ("cannot rollback - no transaction is active")."""
        if self.db.in_transaction:
            with suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")

    def _keeps_head(self) -> bool:
        return self.db.execute("SELECT 1 FROM meta WHERE key='head_file'").fetchone() is not None

    def _history_lost(self) -> str | None:
        """Why this catalog is not the one whose history atti.head records (see
        :func:`atti.archive.storage.head.history_lost`); None when it is, or there is no readable head."""
        try:
            head = read_head(head_path(self.path))  # before the catalog is read: written after its commit
        except ValueError:
            return None  # a head that is not one is archive verify's finding; it records no event

        def hash_at(seq: int) -> str | None:
            row = self.db.execute("SELECT hash FROM events WHERE seq=?", (seq,)).fetchone()
            return str(row[0]) if row else None

        return history_lost(head, self._newest_event(), hash_at)

    def verify_head(self) -> list[tuple[str, str, str]]:
        """The newest events against the chain head kept outside the catalog (atti.archive.storage.head):
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

    def verify_catalog(self) -> list[tuple[str, str, str]]:
        """The file itself: what opening it found (missing, emptied, not a database), SQLite's own
        ``PRAGMA integrity_check`` (every page, and every index against its table), one finding
        per damaged index, table or page, and the search index's own check, as (kind, what, message)."""
        if self._stand_in:
            return list(self._problems)
        try:
            lines = [str(r[0]) for r in self.db.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError:  # too damaged to go through: the quick check still names pages
            try:
                lines = [str(r[0]) for r in self.db.execute("PRAGMA quick_check")]
            except sqlite3.DatabaseError as exc:
                damaged = _("damaged: {reason}; restore it from a backup").format(reason=exc)
                return [("changed", self.path.name, damaged)]
        problems = [] if lines == ["ok"] else self._damage("\n".join(lines).splitlines())
        # The FTS5 index's own structure, which integrity_check does not read (before SQLite 3.44).
        # The command is an INSERT: SQLite runs it only where it may write.
        if self._verify_only:
            return problems  # the catalog already fails, and must be restored whatever its search index
        for table in fts.FTS_TABLES:
            what = f"{self.path.name} search index {table}"
            if self.read_only is not None:
                problems.append(("unchecked", what, _("not checked: the catalog is open read-only")))
                continue
            try:
                self.db.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
            except sqlite3.DatabaseError as exc:
                problems.append(
                    ("changed", what, _("damaged: {reason}; restore {name} from a backup").format(
                        reason=exc, name=self.path.name))
                )
        return problems

    def _damage(self, lines: list[str]) -> list[tuple[str, str, str]]:
        """integrity_check's lines grouped by the index, table or page they name."""
        import re

        roots: dict[int, str] = {}
        with suppress(sqlite3.Error):
            roots = {int(r[0]): f"{r[1]} {r[2]}" for r in self.db.execute(
                "SELECT rootpage, type, name FROM sqlite_master WHERE rootpage > 0"
            )}
        damaged: dict[str, list[str]] = {}
        for line in lines:
            if line.startswith("*** in database"):
                continue
            index = re.search(r"\bindex (\S+)", line)
            page = re.search(r"\b[Pp]age (\d+)", line)
            if index:
                what = f"index {index.group(1)}"
            elif page:
                what = roots.get(int(page.group(1))) or self._owner(int(page.group(1)))
            else:
                what = ""
            damaged.setdefault(what, []).append(line)
        findings = []
        for what, found in damaged.items():
            more = _(" (and {count} more)").format(count=len(found) - 1) if len(found) > 1 else ""
            kind, _space, name = what.partition(" ")
            message = (
                _("damaged: {reason}{more}; rebuild it (REINDEX {index}) or restore {name} from a backup")
                if kind == "index"
                else _("damaged: {reason}{more}; restore {name} from a backup")
            )
            findings.append((
                "changed", f"{self.path.name} {what}".strip(),
                message.format(reason=found[0], more=more, index=name, name=self.path.name),
            ))
        return findings

    def _owner(self, page: int) -> str:
        """The table or index a page belongs to, as far as the damaged file still says."""
        try:
            row = self.db.execute(
                "SELECT s.type, s.name FROM dbstat d JOIN sqlite_master s ON s.name = d.name WHERE d.pageno = ?",
                (page,),
            ).fetchone()
        except sqlite3.Error:
            row = None
        return f"{row[0]} {row[1]}" if row else f"page {page}"

    # -- registers ---------------------------------------------------------------------------

    # -- running statements (see SqlCatalog) ---------------------------------------------------

    def _execute(self, query: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.db.execute(query, params)

    def _execute_many(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        self.db.executemany(query, rows)

    def _fetch_one(self, query: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute(query, params).fetchone()

    def _fetch_all(self, query: str, params: Sequence[Any] = ()) -> Iterable[Any]:
        return self.db.execute(query, params)

    # -- the act's row and its search entry ----------------------------------------------------

    def _insert_row(self, record: ActRecord, body: str) -> None:
        row = act_row(record, body)
        cur = self.db.execute(INSERT_ACT, tuple(row.values()))
        self._index(cur.lastrowid, row)

    def _insert_new_act(self, record: ActRecord, body: str) -> None:
        row = act_row(record, body)
        try:
            cur = self.db.execute(INSERT_ACT, tuple(row.values()))
        except sqlite3.IntegrityError:
            raise DuplicateNumber(_("an act with id {id} is already in the archive").format(id=record.id)) from None
        self._index(cur.lastrowid, row)

    def _replace_row(self, act_id: str, record: ActRecord, body: str) -> None:
        row = self.db.execute("SELECT rowid, * FROM acts WHERE id=?", (act_id,)).fetchone()
        self._unindex(row["rowid"], row)
        values = act_row(record, body)
        self.db.execute(
            f"UPDATE acts SET {', '.join(f'{c}=?' for c in values)} WHERE id=?", (*values.values(), act_id)
        )
        self._index(row["rowid"], values)

    def _index(self, rowid: int | None, row: Any) -> None:
        """Index the act (its acts row, by column name) in the search index of every visibility
        class that sees it (search.FTS_TABLES), in the caller's transaction: the indexes never
        disagree with the acts."""
        columns = document_of_row(row).columns()
        for table in fts.fts_tables_of(bool(row["riservato"]), row["state"]):
            self.db.execute(INSERT_FTS.format(table=table), (rowid, *columns))

    def index_row(self, rowid: int | None, row: dict[str, Any]) -> None:
        """Index an acts row copied as it is (atti archive migrate)."""
        self._index(rowid, row)

    def _unindex(self, rowid: int, row: Any) -> None:
        # A contentless FTS5 table forgets a row only when told the exact text it indexed.
        columns = document_of_row(row).columns()
        for table in fts.fts_tables_of(bool(row["riservato"]), row["state"]):
            self.db.execute(DELETE_FTS.format(table=table), (rowid, *columns))

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

    def _corrected(self, q: parsed.Query, t: str) -> parsed.Query | None:
        """``q``, which finds no act in the index ``t``, with its misspelt words widened to those
        of the index (atti.archive.query.corrected); None when no word has a correction."""

        def vocabulary(low: str, high: str) -> list[str]:
            rows = self.db.execute(f"SELECT term FROM {t}_vocab WHERE term >= ? AND term < ?", (low, high))
            return [r[0] for r in rows]

        return parsed.corrected(q, vocabulary)

    def _counted(self, query: str, t: str) -> tuple[parsed.Query, int]:
        """The parsed query and how many acts of the index ``t`` it matches; a query that matches
        none is corrected first (:meth:`_corrected`)."""
        q = parsed.parse(query)
        if q.empty:
            return q, 0
        count = int(self.db.execute(f"SELECT count(*) FROM {t} WHERE {t} MATCH ?", (parsed.fts(q),)).fetchone()[0])
        if count == 0 and (widened := self._corrected(q, t)) is not None:
            q = widened
            count = int(self.db.execute(f"SELECT count(*) FROM {t} WHERE {t} MATCH ?", (parsed.fts(q),)).fetchone()[0])
        return q, count

    def _search(self, query: str, f: fts.Filters, limit: int, offset: int) -> list[SearchHit]:
        where, params = f.sql("a")
        # The index of the viewer's class: every statistic and feature counts only acts it may see.
        t = fts.fts_table(f)
        q, count = self._counted(query, t)
        if q.empty:
            # Newest first from the acts_by_data index (or another index, for narrow filters); the
            # inner query sorts rowids only, so no act's body is read but the ``limit`` shown.
            newest = "ORDER BY a.data DESC, a.number DESC"
            sql = (
                "SELECT a.*, 0.0 AS score FROM acts a WHERE a.rowid IN (SELECT a.rowid FROM acts a"
                + (f" WHERE {' AND '.join(where)}" if where else "")
                + f" {newest} LIMIT ? OFFSET ?) {newest}"
            )
            rows = self.db.execute(sql, (*params, limit, offset)).fetchall()
            return [SearchHit(act_record(r), fts.snippet(r["body"], ""), 0.0) for r in rows]
        match = parsed.fts(q)
        # A match's score is the sum of the weights of its features (its own number, citing it,
        # the words in its people, in its oggetto as written, stemmed: atti.archive.query), each a
        # set of rowids the index finds once; equal scores newest first. The inner query sorts
        # rowids and a few columns, so only the acts on the page are read whole.
        features = parsed.fts_features(q)
        score = " + ".join(f"(a.rowid IN (SELECT rowid FROM {t} WHERE {t} MATCH ?)) * {w}" for w, _ in features) or "0"
        feature_params = [expr for _, expr in features]
        conditions = "".join(f" AND {w}" for w in where)
        order = "ORDER BY score DESC, a.data DESC, a.number DESC, a.rowid DESC"

        def ranked(expr: str, count: int, skip: int) -> list[Any]:
            sql = (
                f"SELECT a.*, s.score FROM (SELECT a.rowid AS id, {score} AS score, a.data, a.number FROM {t}"
                f" CROSS JOIN acts a ON a.rowid = {t}.rowid WHERE {t} MATCH ?{conditions} {order} LIMIT ? OFFSET ?) s"
                f" JOIN acts a ON a.rowid = s.id ORDER BY s.score DESC, a.data DESC, a.number DESC, a.rowid DESC"
            )
            return self.db.execute(sql, (*feature_params, expr, *params, count, skip)).fetchall()

        # Counting is cheap; reading every match to rank it is not, past RANK_ALL_UP_TO of them:
        # then only the matches with the words in their oggetto, people, number or citations are
        # ranked (they would rank first anyway), followed by the other matches, most recently
        # archived first.
        if count == 0:
            return []
        if count <= fts.RANK_ALL_UP_TO:
            rows = ranked(match, limit, offset)
        else:
            # Past RANK_ALL_UP_TO matches (a word of every act's ente, a common word) the matches
            # are ranked by their best feature, then the rest, each tier most recently archived
            # first: FTS5 reads each tier's rowids newest first and stops at the page's end, so
            # no more acts are read than the page needs (fts.broad_tiers, the same on PostgreSQL).
            wanted = offset + limit
            rows = []
            seen: set[str] = set()
            for weight, expr in parsed.broad_tiers(q):
                tier = self.db.execute(
                    f"SELECT a.*, {weight} AS score FROM {t} CROSS JOIN acts a ON a.rowid = {t}.rowid"
                    f" WHERE {t} MATCH ?{conditions} ORDER BY {t}.rowid DESC LIMIT ?",
                    (expr, *params, wanted + len(seen)),
                ).fetchall()
                rows += [r for r in tier if r["id"] not in seen][: wanted - len(rows)]
                seen.update(r["id"] for r in tier)
                if len(rows) >= wanted:
                    break
            rows = rows[offset:]
        return [SearchHit(act_record(r), fts.hit_snippet(r["oggetto"], r["body"], query), float(r["score"]))
                for r in rows]

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
        t = fts.fts_table(f)
        q, found = self._counted(query, t)
        match = None if q.empty else parsed.fts(q)
        if match is not None:
            if not found:
                return []
            if found <= fts.TALLY_ROWS_UP_TO:  # read the rows of the matches, not the whole index
                source = f"{t} CROSS JOIN acts a ON a.rowid = {t}.rowid"
                where.append(f"{t} MATCH ?")
            else:
                where.append(f"a.rowid IN (SELECT rowid FROM {t} WHERE {t} MATCH ?)")
            params.append(match)
        grouped = ", ".join(f"a.{column}" for column in fts.FACETS.values())
        sql = (
            f"SELECT {grouped}, count(*) FROM {source}"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + f" GROUP BY {grouped}"
        )
        return [tuple(r) for r in self.db.execute(sql, params)]


# Every call the archive makes on its catalog: a SQLite error that escapes one (a damaged page met
# halfway through a search, a full disk) is one StorageError in its words (SqliteCatalog.error),
# never an sqlite3 exception that the command line can only call an internal error. A write's
# error says "write" even when SQLite has already rolled its transaction back (a full disk does).
_READS = (
    "last_number", "number_taken", "get", "all", "counts", "search", "count", "facets", "drafts", "versions",
    "relink_candidates", "cites", "cited_by", "verify_events", "verify_head", "verify_rows", "verify_catalog",
    "blob_refs",
)
_WRITES = (
    "insert_act", "restore_act", "new_draft_id", "save_draft", "seal_draft", "set_pdf", "set_state",
    "replace_references", "append_event",
)


def _reported(method: Callable[..., Any], doing: str) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: SqliteCatalog, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise self.error(exc, translate(doing)) from None

    return call


for _names, _doing in ((_READS, N_("read the catalog")), (_WRITES, N_("write the catalog"))):
    for _name in _names:
        setattr(SqliteCatalog, _name, _reported(getattr(SqliteCatalog, _name), _doing))
