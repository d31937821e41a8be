"""Copying a whole archive from one backend to the other: ``atti archive migrate --to URL``.

Everything is copied as it was written, not re-created: the acts with their versions and
references, the event log with its timestamps and hashes (so the chain, and every row digest it
vouches for, carries over unchanged: both catalogs compute digests from the same canonical
values), the register counters, every document the catalog refers to, and the development CA and
trust roots. The documents go first (content-addressed: a copy that fails leaves only files no
act refers to); then the catalog, in ONE transaction on the target, which is checked inside that
transaction (chain, rows, documents, counts and hashes against the source) and rolled back if
anything differs. A target that already holds acts or events is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atti.archive.archive import Archive
from atti.archive.integrity import EXPOSED, IntegrityReport, verify_archive
from atti.archive.storage.postgresql import PgCatalog
from atti.archive.storage.postgresql_schema import ACT_COLUMNS, EVENT_COLUMNS, REFERENCE_COLUMNS, VERSION_COLUMNS
from atti.archive.storage.sqlite import SqliteCatalog
from atti.archive.store import Catalog
from atti.config import Settings
from atti.errors import ArchiveError
from atti.files import PRIVATE_FILE, write_atomic
from atti.i18n import _

Tables = dict[str, list[dict[str, Any]]]


@dataclass
class MigrationReport:
    source: str
    target: str
    acts: int = 0
    events: int = 0
    files: int = 0
    bytes: int = 0
    head: str = ""  # the hash of the last event, the same on both sides
    source_check: IntegrityReport | None = None
    target_check: IntegrityReport | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "target": self.target, "acts": self.acts, "events": self.events,
            "files": self.files, "bytes": self.bytes, "head": self.head,
            "source_ok": bool(self.source_check and self.source_check.ok),
            "target_ok": bool(self.target_check and self.target_check.ok),
        }


def migrate(source: Path | str, target: Path | str, *, settings: Settings | None = None) -> MigrationReport:
    """Copy the archive at ``source`` into the new, empty archive at ``target`` and verify both
    (``settings``: the S3 bucket of a database archive)."""
    from atti.archive.storage.urls import redacted

    report = MigrationReport(redacted(str(source)), redacted(str(target)))
    with Archive.open(source, settings=settings) as src:
        check = verify_archive(src)
        # Permissions are not content: the copy is its owner's only whatever the source's modes.
        blocking = [f for f in check.findings if f.fails and f.kind != EXPOSED]
        if blocking:
            first = blocking[0]
            raise ArchiveError(
                _("the source archive does not verify ({finding}): run 'atti archive verify' on it").format(
                    finding=first
                )
            )
        report.source_check = check
        tables = read_tables(src.catalog)
        dst, _created = Archive.create(target, settings=settings)
        with dst:
            if dst.catalog.counts() != (0, 0):
                raise ArchiveError(
                    _("the target archive {target} is not empty: migrate only into a new one").format(
                        target=report.target
                    )
                )
            report.files, report.bytes = _copy_blobs(src, dst)
            _copy_state(src.state_dir, dst.state_dir)
            with dst.catalog.transaction():
                if dst.catalog.counts() != (0, 0):  # filled meanwhile by another process
                    raise ArchiveError(_("the target archive {target} is not empty").format(target=report.target))
                write_tables(dst.catalog, tables)
                # Checked before COMMIT, on the target's own connection: a difference rolls it all back.
                report.target_check = verify_archive(dst)
                problems = [str(f) for f in report.target_check.findings if f.fails and f.kind != EXPOSED]
                problems += _compare(tables, read_tables(dst.catalog))
                if problems:
                    raise ArchiveError(
                        _("the copy does not verify, nothing was written to the target: {problem}").format(
                            problem=problems[0]
                        )
                    )
            report.acts, report.events = dst.catalog.counts()
            report.head = tables["events"][-1]["hash"] if tables["events"] else ""
    return report


def _copy_blobs(src: Archive, dst: Archive) -> tuple[int, int]:
    done: set[str] = set()
    size = 0
    for ref, _owner in src.catalog.blob_refs():
        if ref.relpath in done:
            continue
        data = src.blobs.get(ref)
        if dst.blobs.put(data, ref.ext) != ref:
            raise ArchiveError(_("{file} does not match its SHA-256 in the source archive").format(file=ref.relpath))
        done.add(ref.relpath)
        size += len(data)
    return len(done), size


def _copy_state(src: Path, dst: Path) -> None:
    """The development CA and trust roots, where the target keeps its local state."""
    for sub in ("pki", "trust"):
        for path in sorted((src / sub).rglob("*")) if (src / sub).is_dir() else []:
            if path.is_file() and not path.is_symlink():
                # Its owner's only in the target, whatever the source's modes or the umask.
                write_atomic(dst / path.relative_to(src), path.read_bytes(), mode=PRIVATE_FILE)


def _compare(before: Tables, after: Tables) -> list[str]:
    """What differs between two copies' rows (compared as the digests see them)."""
    problems = []
    for name, rows in before.items():
        if rows != after.get(name):
            problems.append(
                _("the {table} rows differ after the copy ({source} in the source, {target} in the target)").format(
                    table=name, source=len(rows), target=len(after.get(name) or [])
                )
            )
    return problems


# -- reading and writing the rows of either catalog ------------------------------------------


def read_tables(catalog: Catalog) -> Tables:
    """Every row of the catalog, in archive order, with the columns both backends share."""
    queries = {
        "acts": (f"SELECT {', '.join(ACT_COLUMNS)} FROM acts", "rowid", "seq"),
        "registers": ("SELECT register, year, last_number FROM registers", "register, year", "register, year"),
        "versions": (f"SELECT {', '.join(VERSION_COLUMNS)} FROM versions", "act_id, version", "act_id, version"),
        "act_references": (f"SELECT {', '.join(REFERENCE_COLUMNS)} FROM act_references", "rowid", "seq"),
        "events": (f"SELECT {', '.join(EVENT_COLUMNS)} FROM events", "seq", "seq"),
        # The counter of draft ids (never reused); the rest of meta belongs to each backend.
        "meta": ("SELECT key, value FROM meta WHERE key = 'last_draft'", "key", "key"),
    }
    if isinstance(catalog, SqliteCatalog):
        return {
            name: [dict(r) for r in catalog.db.execute(f"{sql} ORDER BY {lite}")]
            for name, (sql, lite, _) in queries.items()
        }
    if isinstance(catalog, PgCatalog):
        return {
            name: catalog.db.execute(f"{sql} ORDER BY {pg}".encode()).fetchall()
            for name, (sql, _, pg) in queries.items()
        }
    raise ArchiveError(_("cannot migrate a catalog of type {type}").format(type=type(catalog).__name__))


def write_tables(catalog: Catalog, tables: Tables) -> None:
    """Insert the rows into an empty catalog; call inside its transaction."""
    if isinstance(catalog, PgCatalog):
        for row in tables["acts"]:
            catalog.insert_act_row(row)
        catalog.insert_references(tables["act_references"])
        with catalog.db.cursor() as cur:
            for name in ("registers", "versions", "events", "meta"):
                _insert_many(cur, name, tables[name], "%s")
        catalog._head_due = True  # events were appended: the head copy follows the commit
        return
    if isinstance(catalog, SqliteCatalog):
        for row in tables["acts"]:
            inserted = catalog.db.execute(
                f"INSERT INTO acts ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
            )
            catalog.index_row(inserted.lastrowid, row)
        for name in ("registers", "versions", "act_references", "events", "meta"):
            _insert_many(catalog.db, name, tables[name], "?")
        catalog._head_due = True  # events were appended: the head file follows the commit
        return
    raise ArchiveError(_("cannot migrate into a catalog of type {type}").format(type=type(catalog).__name__))


def _insert_many(cur: Any, table: str, rows: list[dict[str, Any]], mark: str) -> None:
    if not rows:
        return
    columns = list(rows[0])
    query = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    cur.executemany(query.encode() if mark == "%s" else query, [tuple(r[c] for c in columns) for r in rows])

