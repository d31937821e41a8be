"""The catalog's faults (issue 13): emptied, deleted, truncated, replaced or damaged, a full disk at
COMMIT, a read-only archive. Whatever happens to the catalog, no number is issued twice, no signed
original is called safe to delete, and each fault is one clear line that says what to do."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atti.acts import Act, load_act
from atti.archive import Archive
from atti.archive.integrity import IntegrityReport, verify_archive
from atti.errors import ArchiveNotFound, AttiError, StorageError

from .conftest import EXAMPLE, Atti
from .test_integrity import failures, numbers, publish_next

RESTORE = "ripristina atti.sqlite da un backup ('atti archive verify --archive {root}' mostra cosa contiene)"
KEEP = "non registrato in ciò che resta del catalogo: conservalo"


@pytest.fixture()
def act() -> Act:
    return load_act(EXAMPLE).act


def made(location: Path | str, act: Act, count: int, tag: str = "") -> list[str]:
    """An archive at ``location`` with ``count`` acts published; the relpaths of their signed PDFs."""
    from atti.pipeline import init_archive

    init_archive(location)  # with its development CA: publishing signs with it
    with Archive.open(location) as arc:
        for i in range(count):
            publish_next(arc, act, f"{tag}{i}")
        return [arc.get(f"DO-2026-{n}").pdf.relpath for n in range(1, count + 1)]


def inspect(location: Path | str) -> IntegrityReport:
    """What ``atti archive verify`` reports (it opens a catalog that lost its history as it is)."""
    with Archive.inspect(location) as arc:
        return verify_archive(arc, workers=2)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "(none)"


def one_error(result: Any) -> str:
    """The one line a failed command printed (no traceback, nothing else)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Errore: "), lines
    return str(lines[0][len("Errore: "):])


def page_of(path: Path, name: str) -> tuple[int, int]:
    """The byte offset of the root page of the index or table ``name`` in a SQLite file, and the page size."""
    db = sqlite3.connect(path)
    try:
        size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    finally:
        db.close()
    return (root - 1) * size, size


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


# -- 1. a catalog that lost its history is refused -------------------------------------------------


COMMANDS: list[list[object]] = [
    ["search"], ["show", "DO-2026-1"], ["history", "DO-2026-1"], ["init"], ["draft", "save", EXAMPLE],
    ["publish", EXAMPLE],
]


@pytest.mark.sqlite_only
def test_an_emptied_catalog_is_refused_by_every_command(atti: Atti, tmp_path: Path, act: Act) -> None:
    root = tmp_path / "archive"
    originals = made(root, act, 2)
    catalog = root / "atti.sqlite"
    catalog.write_bytes(b"")  # : > archive/atti.sqlite
    expected = (
        f"il catalogo {catalog} è vuoto, ma atti.head registra l'evento 2 e blobs/ contiene documenti conservati:"
        f" atti non avvia un nuovo catalogo sopra la storia di un archivio; {RESTORE.format(root=root)}"
    )
    for command in COMMANDS:
        result = atti(*command, "--archive", root)
        assert result.exit_code == 6, (command, result.output)
        assert one_error(result) == expected, command
        assert catalog.stat().st_size == 0, command  # nothing written
    with pytest.raises(StorageError, match="è vuoto, ma"):
        Archive.create(root)
    # archive verify says what is there, and that the originals must be kept.
    result = atti("archive", "verify", "--archive", root)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "missing: atti.sqlite: svuotato: non contiene tabelle; ripristinalo da un backup",
        "missing: events 1..2: eliminato: atti.head registra l'evento 2, il catalogo finisce all'evento 0",
    ]
    for rel in originals:
        assert f"unrecorded: {rel}: {KEEP}" in lines
    assert not [line for line in lines if line.startswith("unreferenced")]
    assert catalog.stat().st_size == 0 and not (root / "atti.sqlite-wal").exists()


@pytest.mark.sqlite_only
def test_a_deleted_catalog_next_to_documents_is_refused_even_by_init(atti: Atti, tmp_path: Path, act: Act) -> None:
    root = tmp_path / "archive"
    originals = made(root, act, 1)
    (root / "atti.sqlite").unlink()
    for head in (True, False):  # the documents alone say there was a history
        evidence = "atti.head registra l'evento 1 e blobs/ contiene documenti conservati" if head else \
            "blobs/ contiene documenti conservati"
        for command in COMMANDS:
            result = atti(*command, "--archive", root)
            assert result.exit_code == 6, (command, result.output)
            assert one_error(result).startswith(f"il catalogo {root / 'atti.sqlite'} manca, ma {evidence}:")
            assert not (root / "atti.sqlite").exists()
        report = inspect(root)
        assert failures(report)[0] == "missing: atti.sqlite: eliminato: ripristinalo da un backup"
        assert f"unrecorded: {originals[0]}: {KEEP}" in failures(report)
        (root / "atti.head").unlink(missing_ok=True)


@pytest.mark.sqlite_only
def test_a_place_without_any_history_is_still_made_an_archive_by_init_only(atti: Atti, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    root.mkdir()
    (root / "atti.sqlite").write_bytes(b"")  # an init killed before it wrote the catalog
    result = atti("search", "--archive", root)
    assert result.exit_code == 6
    assert one_error(result).startswith(f"nessun archivio in {root}")
    assert (root / "atti.sqlite").stat().st_size == 0
    assert atti("init", "--archive", root).exit_code == 0
    assert atti("search", "--archive", root).exit_code == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize("other_acts", [1, 3])
def test_a_catalog_replaced_by_another_archives_is_refused(
    atti: Atti, tmp_path: Path, act: Act, other_acts: int
) -> None:
    root, other = tmp_path / "archive", tmp_path / "other"
    originals = made(root, act, 2)
    made(other, act, other_acts, tag="other")
    shutil.copyfile(other / "atti.sqlite", root / "atti.sqlite")
    before = digest(root / "atti.sqlite")
    why = "finisce all'evento 1, ma atti.head registra l'evento 2: è stato svuotato, troncato o sostituito" \
        if other_acts == 1 else \
        "contiene un evento 2 diverso da quello che atti.head registra: è stato sostituito o riscritto"
    for command in COMMANDS:
        result = atti(*command, "--archive", root)
        assert result.exit_code == 6, (command, result.output)
        assert one_error(result) == f"il catalogo {root / 'atti.sqlite'} {why}; {RESTORE.format(root=root)}"
    with pytest.raises(StorageError, match=why):
        Archive.open(root)
    assert digest(root / "atti.sqlite") == before
    report = inspect(root)
    for rel in originals:
        assert f"unrecorded: {rel}: {KEEP}" in failures(report)


@pytest.mark.sqlite_only
def test_deleted_newest_acts_leave_their_originals_kept(tmp_path: Path, act: Act) -> None:
    """Acts deleted with their events, consistently: the head says so, and their files are not
    left by an interrupted publish, whatever the rest of the catalog says."""
    from .test_integrity import _truncate

    root = tmp_path / "archive"
    originals = made(root, act, 4)
    with Archive.inspect(root) as arc:
        _truncate(arc, 2)
    with pytest.raises(StorageError, match=r"finisce all'evento 2, ma atti\.head registra l'evento 4"):
        Archive.open(root)
    report = inspect(root)
    found = failures(report)
    assert found[0] == (
        "missing: events 3..4: eliminato: atti.head registra l'evento 4, il catalogo finisce all'evento 2"
    )
    for rel in originals[2:]:
        assert f"unrecorded: {rel}: {KEEP}" in found
    assert not [f for f in report.findings if f.kind == "unreferenced"]


# -- 1. the same on PostgreSQL: atti.head in the state directory remembers -------------------------


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(sql.encode())


TABLES = "meta, registers, acts, events, versions, act_references"


@pytest.mark.parametrize("fault", ["tables emptied", "tables dropped", "database replaced"])
def test_a_database_that_lost_the_history_atti_head_records_is_refused(
    atti: Atti, pg_url: str, act: Act, fault: str, pg_server: Any
) -> None:
    originals = made(pg_url, act, 2)
    name = pg_url.rsplit("/", 1)[1]
    if fault == "tables emptied":
        _pg(pg_url, "TRUNCATE registers, acts, events, versions, act_references")
    elif fault == "tables dropped":
        _pg(pg_url, f"DROP TABLE {TABLES}")
    else:  # another, new archive's database under the same name
        other = pg_server.new_database()
        Archive.create(other)[0].close()
        _pg(pg_server.url(), f"DROP DATABASE {name}")
        _pg(pg_server.url(), f"CREATE DATABASE {name} TEMPLATE {other.rsplit('/', 1)[1]}")
    for command in COMMANDS:
        result = atti(*command, "--archive", pg_url)
        assert result.exit_code == 6, (command, result.output)
        error = one_error(result)
        assert "atti.head" in error and "registra l'evento 2" in error and "ripristina" in error, error
    with pytest.raises(StorageError, match=r"atti\.head"):
        Archive.create(pg_url)
    if fault != "tables dropped":
        report = inspect(pg_url)
        found = failures(report)
        deleted = "missing: events 1..2: eliminato: atti.head registra l'evento 2, il catalogo finisce all'evento 0"
        assert deleted in found
        for rel in originals:
            assert f"unrecorded: {rel}: {KEEP}" in found


# -- 2. a damaged database -------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_archive_verify_runs_the_databases_own_integrity_check(atti: Atti, tmp_path: Path, act: Act) -> None:
    """A few bytes of an index's keys changed: the pages are well formed (quick_check passes), the
    index no longer matches its table."""
    root = tmp_path / "archive"
    made(root, act, 3)
    offset, size = page_of(root / "atti.sqlite", "acts_by_data")
    overwrite(root / "atti.sqlite", offset + size - 6, random.Random(1).randbytes(3))
    db = sqlite3.connect(root / "atti.sqlite")
    assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]  # the fault this check must find
    db.close()
    result = atti("archive", "verify", "--archive", root)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "changed: atti.sqlite index acts_by_data: danneggiato: row 1 missing from index acts_by_data;"
        " ricostruiscilo (REINDEX acts_by_data) o ripristina atti.sqlite da un backup"
    )


@pytest.mark.sqlite_only
def test_archive_verify_checks_the_search_index_too(tmp_path: Path, act: Act) -> None:
    """Damage inside the full-text index's own blocks: no page is malformed, integrity_check says ok."""
    root = tmp_path / "archive"
    made(root, act, 2)
    db = sqlite3.connect(root / "atti.sqlite")
    db.execute("UPDATE acts_fts_data SET block = zeroblob(length(block))"
               " WHERE id = (SELECT max(id) FROM acts_fts_data)")
    db.commit()
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.close()
    assert failures(inspect(root)) == [
        "changed: atti.sqlite search index acts_fts: danneggiato: database disk image is malformed;"
        " ripristina atti.sqlite da un backup"
    ]


@pytest.mark.sqlite_only
def test_a_damaged_page_is_one_clear_error_in_every_command(atti: Atti, tmp_path: Path, act: Act) -> None:
    root = tmp_path / "archive"
    originals = made(root, act, 3)
    offset, size = page_of(root / "atti.sqlite", "acts_by_data")
    overwrite(root / "atti.sqlite", offset, random.Random(7).randbytes(size))
    damaged = f"il catalogo {root / 'atti.sqlite'} è danneggiato: database disk image is malformed; esegui" \
              f" 'atti archive verify --archive {root}' per vedere cosa, poi ripristina atti.sqlite da un backup"
    for command in (["search"], ["draft", "save", EXAMPLE]):
        result = atti(*command, "--archive", root)
        assert result.exit_code == 6, (command, result.output)
        assert one_error(result) == damaged
    with Archive.open(root) as arc, pytest.raises(StorageError) as raised:
        publish_next(arc, act, "x")
    assert str(raised.value) == damaged
    result = atti("archive", "verify", "--archive", root)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("changed: atti.sqlite index acts_by_data: danneggiato: ")
    for rel in originals:
        assert f"unreferenced: {rel}" not in " ".join(lines)


@pytest.mark.sqlite_only
def test_a_catalog_that_is_not_a_database_is_damaged(atti: Atti, tmp_path: Path, act: Act) -> None:
    root = tmp_path / "archive"
    originals = made(root, act, 1)
    (root / "atti.sqlite").write_bytes(random.Random(3).randbytes(8192))
    result = atti("search", "--archive", root)
    assert result.exit_code == 6
    assert one_error(result).startswith(f"il catalogo {root / 'atti.sqlite'} è danneggiato: file is not a database;")
    found = failures(inspect(root))
    assert found[0] == "changed: atti.sqlite: danneggiato: file is not a database; ripristinalo da un backup"
    assert f"unrecorded: {originals[0]}: {KEEP}" in found


def test_postgresql_indexes_are_checked_with_amcheck_when_it_is_there(pg_url: str, act: Act) -> None:
    made(pg_url, act, 2)
    _pg(pg_url, "DROP EXTENSION amcheck")  # (the tests' databases have it: tests/pgserver.py)
    report = inspect(pg_url)
    assert [str(f) for f in report.findings] == [
        "unchecked: indexes: non verificati: il database non ha l'estensione amcheck"
        " (CREATE EXTENSION amcheck, come superutente, permette ad archive verify di verificarli)"
    ]
    assert report.ok
    _pg(pg_url, "CREATE EXTENSION amcheck")
    report = inspect(pg_url)
    assert report.findings == [] and report.ok


# -- 7. a full disk --------------------------------------------------------------------------------


class _FullAtCommit:
    """A connection whose COMMIT finds the disk full: SQLite then rolls the transaction back itself."""

    def __init__(self, db: sqlite3.Connection) -> None:
        object.__setattr__(self, "_db", db)

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            self._db.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._db, name, value)


@pytest.mark.sqlite_only
def test_a_full_disk_at_commit_says_so_and_writes_nothing(
    atti: Atti, tmp_path: Path, act: Act, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "archive"
    made(root, act, 1)
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: _FullAtCommit(connect(*a, **k)))
    with Archive.open(root) as arc, pytest.raises(StorageError) as raised:
        publish_next(arc, act, "b")
    assert str(raised.value) == "impossibile scrivere il catalogo: il disco è pieno"
    result = atti("draft", "save", EXAMPLE, "--archive", root)
    assert result.exit_code == 6
    assert one_error(result) == "impossibile scrivere il catalogo: il disco è pieno"
    monkeypatch.undo()
    assert numbers(root) == [1]
    with Archive.open(root) as arc:
        assert verify_archive(arc).ok and arc.drafts() == []
        assert publish_next(arc, act, "b") == 2


@pytest.mark.sqlite_only
def test_a_catalog_that_cannot_grow_says_the_disk_is_full(tmp_path: Path, act: Act) -> None:
    """SQLite's own SQLITE_FULL, from a database that may not grow by one more page."""
    root = tmp_path / "archive"
    made(root, act, 1)
    with Archive.open(root) as arc:
        db = arc.catalog.db  # type: ignore[attr-defined]
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
        with pytest.raises(StorageError, match=r"^impossibile scrivere il catalogo: il disco è pieno$"):
            for i in range(50):
                publish_next(arc, act, f"big {i} " + "x" * 5000)
        got = numbers(root)
        assert got == list(range(1, len(got) + 1))
    with Archive.open(root) as arc:
        assert verify_archive(arc).ok


def test_postgresql_errors_of_a_full_disk_and_a_damaged_index_say_so() -> None:
    """The server's SQLSTATEs, as psycopg raises them (a full disk cannot be made on the tests' server)."""
    import psycopg

    from atti.archive.storage.postgresql import _storage_error

    full = psycopg.errors.DiskFull('could not extend file "base/16384/16385": No space left on device')
    assert str(_storage_error(full, "scrivere il catalogo")) == (
        "impossibile scrivere il catalogo: il disco del server del database è pieno"
    )
    damaged = psycopg.errors.IndexCorrupted('index "acts_by_data" contains unexpected zero page at block 1')
    assert str(_storage_error(damaged, "leggere il catalogo")) == (
        "il catalogo è danneggiato: index \"acts_by_data\" contains unexpected zero page at block 1; esegui 'atti"
        " archive verify' per vedere cosa, poi ripristina il database da un backup"
    )


# -- 10. a read-only archive -----------------------------------------------------------------------


def _files(root: Path, *, readers: bool = True) -> dict[str, str]:
    """Every file under ``root`` and its digest; without ``readers``, leaving out the WAL index and
    log that a SQLite reader makes where it can (a reader among writers: only where the directory
    can be written, so never on a real read-only archive)."""
    return {
        p.relative_to(root).as_posix(): digest(p) for p in sorted(root.rglob("*"))
        if p.is_file() and (readers or not p.name.endswith(("-shm", "-wal")))
    }


def _read_only_commands(atti: Atti, root: Path) -> None:
    assert atti("search", "--archive", root).exit_code == 0
    assert atti("show", "DO-2026-1", "--archive", root).exit_code == 0
    assert atti("history", "DO-2026-1", "--archive", root).exit_code == 0
    verified = atti("archive", "verify", "--archive", root)
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.splitlines()[-1].startswith("Archivio OK: 2 atti, 2 eventi, 6 file")


@pytest.mark.sqlite_only
def test_a_read_only_archive_can_be_read_and_refuses_writes_in_one_line(
    atti: Atti, tmp_path: Path, act: Act, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "archive"
    made(root, act, 2)
    before = _files(root, readers=False)
    access = os.access

    def no_writes(path: Any, mode: int, **kwargs: Any) -> bool:
        if mode & os.W_OK and Path(path).resolve().is_relative_to(root.resolve()):
            return False
        return access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", no_writes)
    _read_only_commands(atti, root)
    refused = f"l'archivio in {root} è in sola lettura (permesso negato): si può consultare, mostrare e verificare," \
              " non scrivere"
    for command in (["publish", EXAMPLE], ["draft", "save", EXAMPLE]):
        result = atti(*command, "--archive", root)
        assert result.exit_code == 6, (command, result.output)
        assert one_error(result) == refused, command
    assert atti("init", "--archive", root).stdout.startswith("L'archivio esiste già in")  # and writes nothing
    assert _files(root, readers=False) == before  # not a lock, a head, a document, a changed byte more


@pytest.mark.sqlite_only
def test_a_read_only_mount(atti: Atti, tmp_path: Path, act: Act) -> None:
    """The archive seen through a read-only bind mount, where root cannot write either (where
    the tests may mount: as root, with the capability; elsewhere the monkeypatched test stands in)."""
    import subprocess

    source, mounted = tmp_path / "archive", tmp_path / "mounted"
    made(source, act, 2)
    before = _files(source)
    mounted.mkdir()
    bound = subprocess.run(["mount", "--bind", str(source), str(mounted)], capture_output=True, check=False)
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {bound.stderr.decode(errors='replace').strip()}")
    try:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(mounted)], capture_output=True).returncode != 0:
            pytest.skip("cannot make the bind mount read-only here")
        _read_only_commands(atti, mounted)
        result = atti("draft", "save", EXAMPLE, "--archive", mounted)
        assert result.exit_code == 6
        assert one_error(result) == (
            f"l'archivio in {mounted} è in sola lettura (il file system è in sola lettura): si può consultare, mostrare"
            " e verificare, non scrivere"
        )
    finally:
        subprocess.run(["umount", str(mounted)], check=False)
    assert _files(source) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; the monkeypatched test covers it")
@pytest.mark.sqlite_only
def test_a_read_only_archive_directory_on_disk(atti: Atti, tmp_path: Path, act: Act) -> None:
    root = tmp_path / "archive"
    made(root, act, 2)
    paths = [*sorted(root.rglob("*"), reverse=True), root]
    modes = {p: p.stat().st_mode for p in paths}
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        _read_only_commands(atti, root)
        result = atti("draft", "save", EXAMPLE, "--archive", root)
        assert result.exit_code == 6
        assert one_error(result).startswith(f"l'archivio in {root} è in sola lettura (permesso negato)")
    finally:
        for p in reversed(paths):
            p.chmod(modes[p])


# -- the faults together: no number twice, no original given up -------------------------------------


def _sqlite_fault(name: str) -> Callable[[Path, Path], None]:
    def inject(root: Path, other: Path) -> None:
        catalog = root / "atti.sqlite"
        if name == "emptied":
            catalog.write_bytes(b"")
        elif name == "deleted":
            catalog.unlink()
        elif name == "truncated":
            catalog.write_bytes(catalog.read_bytes()[:4096])
        elif name == "replaced":
            shutil.copyfile(other / "atti.sqlite", catalog)
        elif name == "page corrupted":
            offset, size = page_of(catalog, "acts_by_number")
            overwrite(catalog, offset, random.Random(11).randbytes(size))
        elif name == "events deleted":
            db = sqlite3.connect(catalog)
            db.execute("DELETE FROM events WHERE seq > 1")
            db.commit()
            db.close()
    return inject


def _pg_fault(url: str, name: str) -> None:
    if name == "tables emptied":
        _pg(url, "TRUNCATE registers, acts, events, versions, act_references")
    elif name == "tables dropped":
        _pg(url, f"DROP TABLE {TABLES}")
    elif name == "events deleted":
        _pg(url, "DELETE FROM events WHERE seq > 1")


SQLITE_FAULTS = ["emptied", "deleted", "truncated", "replaced", "page corrupted", "events deleted"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("fault", SQLITE_FAULTS)
def test_no_fault_of_the_catalog_reuses_a_number_or_gives_up_an_original(
    tmp_path: Path, act: Act, fault: str
) -> None:
    root, other = tmp_path / "archive", tmp_path / "other"
    originals = made(root, act, 3)
    made(other, act, 1, tag="other")
    _sqlite_fault(fault)(root, other)
    _no_number_twice_no_original_given_up(root, originals, issued=[1, 2, 3])


@pytest.mark.parametrize("fault", ["tables emptied", "tables dropped", "events deleted", "database replaced"])
def test_no_fault_of_the_database_reuses_a_number_or_gives_up_an_original(
    pg_url: str, pg_server: Any, act: Act, fault: str
) -> None:
    originals = made(pg_url, act, 3)
    if fault == "database replaced":
        other = pg_server.new_database()
        made(other, act, 1, tag="other")
        name = pg_url.rsplit("/", 1)[1]
        _pg(pg_server.url(), f"DROP DATABASE {name}")
        _pg(pg_server.url(), f"CREATE DATABASE {name} TEMPLATE {other.rsplit('/', 1)[1]}")
    else:
        _pg_fault(pg_url, fault)
    _no_number_twice_no_original_given_up(pg_url, originals, issued=[1, 2, 3])


def _no_number_twice_no_original_given_up(location: Path | str, originals: list[str], issued: list[int]) -> None:
    act = load_act(EXAMPLE).act
    catalog = location / "atti.sqlite" if isinstance(location, Path) else None
    before = digest(catalog) if catalog else ""
    try:
        arc, created = Archive.create(location)
    except AttiError:
        pass
    else:
        arc.close()
        assert not created, "init made a new catalog over a catalog that lost its history"
    try:
        with Archive.open(location) as arc:
            number = publish_next(arc, act, "after the fault")
    except AttiError as exc:
        assert "Traceback" not in str(exc)
        if catalog:
            assert digest(catalog) == before  # refused before anything was written
    else:
        assert number not in issued, f"number {number} issued twice"
    try:
        report = inspect(location)
    except ArchiveNotFound:
        pytest.fail("archive verify found no archive where one was")
    except StorageError:
        if catalog:
            raise
        return  # a database without atti's tables: nothing to verify, and nothing called deletable
    assert not report.ok
    deletable = {f.what for f in report.findings if not f.fails}
    assert not deletable & set(originals)


def test_a_damaged_postgresql_index_is_named(pg_url: str, act: Act) -> None:
    """An index that lacks a row of its table: acts_by_data stops being kept up to date (a
    superuser's edit of the system catalog) while an act is published."""
    made(pg_url, act, 1)
    _pg(pg_url, "UPDATE pg_index SET indisready = false WHERE indexrelid = 'acts_by_data'::regclass")
    with Archive.open(pg_url) as arc:
        publish_next(arc, act, "b")
    _pg(pg_url, "UPDATE pg_index SET indisready = true WHERE indexrelid = 'acts_by_data'::regclass")
    found = failures(inspect(pg_url))
    assert len(found) == 1 and found[0].startswith("changed: index acts_by_data: danneggiato: "), found
    assert found[0].endswith("; ricostruiscilo (REINDEX INDEX acts_by_data) o ripristina il database da un backup")
