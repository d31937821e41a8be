"""Archive integrity: tamper evidence, registers under concurrency, killed writers, full disks."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import random
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from atti.acts import Act, load_act
from atti.archive import Archive
from atti.archive.integrity import IntegrityReport, verify_archive
from atti.archive.search import Filters
from atti.archive.storage.sqlite import SCHEMA_VERSION, _event_hash
from atti.errors import StorageError

from .conftest import EXAMPLE, Atti
from .pgserver import raw


@pytest.fixture()
def act() -> Act:
    return load_act(EXAMPLE).act


@pytest.fixture()
def archive(archive_location: Path | str) -> Archive:
    arc, _ = Archive.create(archive_location)
    return arc


def publish_next(arc: Archive, act: Act, tag: str) -> int:
    """What ``pipeline.publish`` does around rendering: lock, take the next number, seal."""
    with arc.register_lock(act.registro, act.anno):
        numbered = act.with_numero(arc.next_number(act.registro, act.anno))
        assert numbered.numero is not None
        arc.seal(numbered, source=f"source {tag}", docx=f"docx {tag}".encode(), pdf=f"%PDF {tag}".encode(),
                 firmatario="Fabrizio Ventrice")
        return numbered.numero


def check(arc: Archive) -> IntegrityReport:
    return verify_archive(arc, workers=2)


def failures(report: IntegrityReport) -> list[str]:
    return [str(f) for f in report.findings if f.fails]


def numbers(root: Path | str) -> list[int]:
    if isinstance(root, str):  # a PostgreSQL archive
        import psycopg

        with psycopg.connect(root) as pg:
            return [n for (n,) in pg.execute("SELECT number FROM acts ORDER BY number")]
    db = sqlite3.connect(root / "atti.sqlite")
    try:
        return [n for (n,) in db.execute("SELECT number FROM acts ORDER BY number")]
    finally:
        db.close()


# -- a clean archive and the CLI ------------------------------------------------------------------


def test_clean_archive_verifies(archive: Archive, act: Act) -> None:
    for i in range(3):
        publish_next(archive, act, str(i))
    report = check(archive)
    assert report.findings == [] and report.ok
    assert (report.acts, report.events, report.files) == (3, 3, 9)


def test_cli_archive_verify(atti: Atti, archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    ok = atti("archive", "verify", "--archive", archive.location)
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("Archivio OK: 1 atti, 1 eventi, 3 file")
    raw(archive, "UPDATE acts SET oggetto = 'altro'")
    bad = atti("archive", "verify", "--archive", archive.location)
    assert bad.exit_code == 1
    assert bad.output.splitlines()[0] == (
        "changed: act DO-2026-1: oggetto: modificato dopo che l'evento 1 ha registrato la riga"
    )
    as_json = atti("archive", "verify", "--archive", archive.location, "--json")
    data = json.loads(as_json.output)
    assert as_json.exit_code == 1 and data["ok"] is False and data["findings"][0]["what"] == "act DO-2026-1"
    missing = atti("archive", "verify", "--archive", archive.state_dir / "nope")
    assert missing.exit_code == 6 and "Traceback" not in missing.output


# -- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "named"), [("source", "sorgente"), ("docx", "docx"), ("pdf", "pdf")])
@pytest.mark.sqlite_only  # the files themselves
def test_flipped_byte_in_any_stored_file_is_named(archive: Archive, act: Act, kind: str, named: str) -> None:
    publish_next(archive, act, "a")
    record = archive.get("DO-2026-1")
    ref = getattr(record, kind)
    path = archive.path_of(ref)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert failures(check(archive)) == [
        f"changed: {ref.relpath}: il contenuto non corrisponde al suo SHA-256 ({named} di DO-2026-1)"
    ]


ACT_COLUMNS = ["register", "year", "number", "tipo", "organo", "data", "ente", "oggetto", "body", "signer",
               "state", "source_sha256", "docx_sha256", "pdf_sha256", "created_at"]


@pytest.mark.parametrize("column", ACT_COLUMNS)
def test_changed_act_column_is_named(archive: Archive, act: Act, column: str) -> None:
    publish_next(archive, act, "a")
    publish_next(archive, act, "b")
    change = f"{column} + 1000" if column in ("year", "number") else f"{column} || 'x'"
    raw(archive, f"UPDATE acts SET {column} = {change} WHERE id = 'DO-2026-1'")
    found = failures(check(archive))
    assert f"changed: act DO-2026-1: {column}: modificato dopo che l'evento 1 ha registrato la riga" in found


def test_changed_act_id_is_detected(archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    raw(archive, "UPDATE acts SET id = 'DO-2026-99'")
    assert failures(check(archive)) == [
        "unexpected: act DO-2026-99: riga non scritta da atti: nessun evento la registra",
        "missing: act DO-2026-1: riga eliminata (l'evento 1 la registrava)",
    ]


@pytest.mark.parametrize("column", ["at", "kind", "act_id", "payload", "prev_hash", "hash", "row_digest"])
def test_changed_event_column_is_detected(archive: Archive, act: Act, column: str) -> None:
    publish_next(archive, act, "a")
    publish_next(archive, act, "b")
    raw(archive, f"UPDATE events SET {column} = {column} || 'x' WHERE seq = 1")
    found = failures(check(archive))
    assert found[0].startswith("changed: event 1: "), found  # (a changed act_id also orphans the act's row)


@pytest.mark.sqlite_only  # the files themselves
def test_deleted_rows_files_and_stray_files_are_reported(archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    publish_next(archive, act, "b")
    second = archive.get("DO-2026-2")
    archive.path_of(second.docx).unlink()
    raw(archive, "DELETE FROM acts WHERE id = 'DO-2026-1'")
    raw(archive, "UPDATE registers SET last_number = 7")
    (archive.state_dir / "blobs" / "notes.txt").write_text("hello")
    tmp = archive.path_of(second.pdf).parent / ".tmp-abc.pdf"
    tmp.write_bytes(b"half")
    for stray in (archive.state_dir / "blobs" / "notes.txt", tmp):
        stray.chmod(0o600)  # as atti writes: a file open to others is another finding (test_permissions)
    report = check(archive)
    assert sorted(str(f) for f in report.findings) == sorted([
        "missing: act DO-2026-1: riga eliminata (l'evento 1 la registrava)",
        "changed: register D.O. 2026: il contatore indica 7, il numero più alto archiviato è 2",
        f"missing: {second.docx.relpath}: file assente dall'archivio (docx di DO-2026-2)",
        "unexpected: blobs/notes.txt: non è un file che atti conserva",
        f"incomplete: {tmp.relative_to(archive.state_dir).as_posix()}: scrittura incompleta (una scrittura è stata"
        " interrotta), si può eliminare",
        # the deleted act's files are still named by its version rows: never called safe to delete
    ])
    assert not report.ok


@pytest.mark.sqlite_only  # a file store's leftovers
def test_leftovers_alone_do_not_fail(archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    archive.blobs.put(b"written, then the process died", "pdf")
    (archive.state_dir / "blobs" / "sha256" / ".tmp-xyz.docx").write_bytes(b"")
    (archive.state_dir / "blobs" / "sha256" / ".tmp-xyz.docx").chmod(0o600)  # as atti's writer makes it
    report = check(archive)
    assert sorted(f.kind for f in report.findings) == ["incomplete", "unreferenced"]
    assert report.ok


def test_renewed_pdf_keeps_the_chain_and_the_old_version(archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    old = archive.get("DO-2026-1").pdf
    archive.add_pdf_version("DO-2026-1", b"%PDF a" + b" more")
    assert check(archive).findings == []
    raw(archive, "UPDATE acts SET pdf_sha256 = ?", old.sha256)  # roll the act back by hand
    assert failures(check(archive)) == [
        "changed: act DO-2026-1: pdf_sha256: modificato dopo che l'evento 2 ha registrato la riga"
    ]


@pytest.mark.sqlite_only  # a SQLite catalog of an older schema
def test_schema_1_archive_is_migrated(archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    publish_next(archive, act, "b")
    archive.close()
    # Turn it into what atti wrote before row digests: no column, the old hash formula.
    db = sqlite3.connect(archive.state_dir / "atti.sqlite")
    rows = db.execute("SELECT seq, at, kind, act_id, payload FROM events ORDER BY seq").fetchall()
    db.execute("DROP TABLE events")
    db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, act_id TEXT,"
               " payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)")
    prev = "0" * 64
    for seq, at, kind, act_id, payload in rows:
        digest = _event_hash(prev, at, kind, act_id, payload, None)
        db.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?)", (seq, at, kind, act_id, payload, prev, digest))
        prev = digest
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    db.execute("DELETE FROM meta WHERE key = 'head_file'")  # nor did it keep a head
    db.commit()
    db.close()
    (archive.state_dir / "atti.head").unlink()

    with Archive.open(archive.location) as arc:
        assert check(arc).findings == []
        kinds = [r[0] for r in arc.catalog.db.execute("SELECT kind FROM events ORDER BY seq")]  # type: ignore[attr-defined]
        assert kinds == ["published", "published", "row-recorded", "row-recorded"]
        version = arc.catalog.db.execute("SELECT value FROM meta").fetchone()[0]  # type: ignore[attr-defined]
        assert version == str(SCHEMA_VERSION)
    with Archive.open(archive.location) as arc:  # opening again changes nothing
        assert arc.catalog.counts() == (2, 4)
        raw(arc, "UPDATE acts SET signer = 'Rossi' WHERE number = 2")
        assert failures(check(arc)) == [
            "changed: act DO-2026-2: signer: modificato dopo che l'evento 4 ha registrato la riga"
        ]


def test_newer_schema_is_refused(archive: Archive) -> None:
    archive.close()
    raw(archive, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StorageError, match=r"scritto da una versione più recente di atti \(schema 99\): aggiorna atti"):
        Archive.open(archive.location)


# -- registers under concurrency ------------------------------------------------------------------


def _seal_many(root: str, worker: int, count: int) -> None:
    act = load_act(EXAMPLE).act
    with Archive.open(Path(root)) as arc:
        for i in range(count):
            publish_next(arc, act, f"{worker}-{i}")


def test_four_processes_number_without_gaps(archive: Archive) -> None:
    archive.close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_seal_many, args=(str(archive.location), w, 200)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    assert numbers(archive.location) == list(range(1, 801))
    with Archive.open(archive.location) as arc:
        assert check(arc).findings == []
        assert arc.next_number("D.O.", 2026) == 801


# -- killed writers -------------------------------------------------------------------------------


def _seal_forever(root: str, round_: int, ready: Any, sealed: Any) -> None:
    act = load_act(EXAMPLE).act
    with Archive.open(Path(root)) as arc:
        ready.set()
        for i in range(10**9):
            # Sizes vary so some writes take a while: the kill lands in every stage of a seal.
            publish_next(arc, act, f"{round_}-{i}-" + "x" * random.randrange(0, 1 << 20))
            sealed.value += 1  # after the commit: the archive holds at least this many of this child's acts


def test_killed_writers_leave_whole_acts_and_no_gaps(archive: Archive) -> None:
    """Each child is killed after it has sealed a random number of acts (0 to 3), plus a random
    moment more to land anywhere in the next seal: counted, not timed, so the children publish
    between kills however slow the machine is."""
    archive.close()
    ctx = multiprocessing.get_context("fork")  # no re-import per child: 20 kills in a few seconds
    rng = random.Random(5)
    # A seal into PostgreSQL + S3 takes longer (three S3 PUTs): a longer window to land in.
    window = 0.05 if isinstance(archive.location, Path) else 0.2
    asked = counted = 0
    for round_ in range(20):
        ready = ctx.Event()
        # No lock: only the child writes it, and a child killed holding a lock would leave it held.
        sealed = ctx.Value("q", 0, lock=False)
        child = ctx.Process(target=_seal_forever, args=(str(archive.location), round_, ready, sealed))
        child.start()
        assert ready.wait(120)
        wanted = rng.randint(0, 3)
        asked += wanted
        while sealed.value < wanted:
            assert child.is_alive(), f"the child stopped by itself (exit code {child.exitcode})"
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, window))
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL
        counted += sealed.value
        with Archive.open(archive.location) as arc:
            report = check(arc)
            assert report.ok, failures(report)
            assert {f.kind for f in report.findings} <= {"incomplete", "unreferenced"}
            got = numbers(archive.location)
            assert got == list(range(1, len(got) + 1))
            assert arc.next_number("D.O.", 2026) == len(got) + 1
            assert len(got) >= counted  # every seal a child finished before its kill is there
    assert counted >= asked > 20  # the children did publish between kills


# -- full disk, read-only archive -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.ENOSPC, "il disco è pieno"), (errno.EROFS, "il file system è in sola lettura")],
)
@pytest.mark.sqlite_only  # the file store's errors
def test_full_or_read_only_disk_gives_one_storage_error(
    archive: Archive, act: Act, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    publish_next(archive, act, "a")

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("atti.files.os.replace", refuse)
    with pytest.raises(StorageError, match=f"^impossibile scrivere il documento yaml nell'archivio: {reason}$"):
        publish_next(archive, act, "b")
    monkeypatch.undo()
    report = check(archive)
    assert report.findings == [] and numbers(archive.location) == [1]
    assert publish_next(archive, act, "b") == 2


def test_catalog_write_failure_is_a_storage_error(archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    with pytest.raises(StorageError, match=r"^impossibile scrivere il catalogo: "), archive.catalog.transaction() as db:
        db.execute("INSERT INTO nowhere VALUES (1)")  # an OperationalError, as a full disk raises
    assert numbers(archive.location) == [1]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; the monkeypatched test covers it")
@pytest.mark.sqlite_only  # the file store's errors
def test_read_only_archive_directory(archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    dirs = [p for p in (archive.state_dir / "blobs").rglob("*") if p.is_dir()]
    for d in dirs:
        d.chmod(0o555)
    try:
        with pytest.raises(StorageError, match="permesso negato"):
            publish_next(archive, act, "b")
    finally:
        for d in dirs:
            d.chmod(0o755)


def _to_schema_3(root: Path) -> None:
    """Rebuild the acts table as schema 3 had it: number NOT NULL, no riservato column."""
    db = sqlite3.connect(root / "atti.sqlite")
    columns = ("id, register, year, number, tipo, organo, data, ente, oggetto, body, signer, state, source_sha256,"
               " docx_sha256, pdf_sha256, created_at")
    db.executescript(f"""
        CREATE TABLE acts3 (
            id TEXT PRIMARY KEY, register TEXT NOT NULL, year INTEGER NOT NULL, number INTEGER NOT NULL,
            tipo TEXT NOT NULL, organo TEXT NOT NULL, data TEXT NOT NULL, ente TEXT NOT NULL,
            oggetto TEXT NOT NULL, body TEXT NOT NULL, signer TEXT NOT NULL, state TEXT NOT NULL,
            source_sha256 TEXT NOT NULL, docx_sha256 TEXT NOT NULL, pdf_sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL, UNIQUE (register, year, number));
        INSERT INTO acts3 (rowid, {columns}) SELECT rowid, {columns} FROM acts;
        DROP TABLE acts;
        ALTER TABLE acts3 RENAME TO acts;
        UPDATE meta SET value = '3' WHERE key = 'schema_version';
    """)
    db.commit()
    db.close()


@pytest.mark.sqlite_only  # a SQLite catalog of an older schema
def test_schema_3_archive_is_migrated_with_its_chain_intact(archive: Archive, act: Act) -> None:
    for tag in "abc":
        publish_next(archive, act, tag)
    archive.add_pdf_version("DO-2026-2", b"%PDF b more")
    before = archive.search("proroga")
    archive.close()
    _to_schema_3(archive.state_dir)
    with sqlite3.connect(archive.state_dir / "atti.sqlite") as db:
        events = db.execute("SELECT * FROM events ORDER BY seq").fetchall()
        assert "riservato" not in {r[1] for r in db.execute("PRAGMA table_info(acts)")}

    with Archive.open(archive.location) as arc:
        assert check(arc).findings == []
        db = arc.catalog.db  # type: ignore[attr-defined]
        assert db.execute("SELECT value FROM meta").fetchone()[0] == "7" == str(SCHEMA_VERSION)
        assert [tuple(r) for r in db.execute("SELECT * FROM events ORDER BY seq")] == events  # none added or changed
        number = {r["name"]: r["notnull"] for r in db.execute("PRAGMA table_info(acts)")}
        assert number["number"] == 0 and "riservato" in number
        # The search index is keyed by rowid: the rebuilt table kept them.
        assert [(h.record.id, h.snippet) for h in arc.search("proroga")] == [(h.record.id, h.snippet) for h in before]
        # Schema 5: each visibility class's index is filled from the acts, and ranks as the whole one
        # (nothing is hidden here).
        public = arc.search("proroga", filters=Filters(public_only=True))
        assert [(h.record.id, h.score) for h in public] == [(h.record.id, h.score) for h in before]
        assert [arc.get(f"DO-2026-{n}").riservato for n in (1, 2, 3)] == [False, False, False]
        publish_next(arc, act, "d")
        assert check(arc).findings == []
    # A reserved flag set behind atti's back is a changed row, named by its column.
    raw(archive, "UPDATE acts SET riservato = 1 WHERE number = 1")
    with Archive.open(archive.location) as arc:
        assert failures(check(arc)) == [
            "changed: act DO-2026-1: riservato: modificato dopo che l'evento 1 ha registrato la riga"
        ]


# -- truncation of the newest events ----------------------------------------------------------------


def _truncate(arc: Archive, keep: int) -> None:
    """Delete every act published after the first ``keep`` and the events that recorded them,
    leaving a shorter catalog that is consistent in itself (counter, rows, chain)."""
    db = sqlite3.connect(arc.state_dir / "atti.sqlite")
    db.execute("DELETE FROM events WHERE seq > ?", (keep,))
    for table in ("versions", "act_references"):
        db.execute(f"DELETE FROM {table} WHERE act_id IN (SELECT id FROM acts WHERE number > ?)", (keep,))
    db.execute("DELETE FROM acts WHERE number > ?", (keep,))
    db.execute("UPDATE registers SET last_number = ?", (keep,))
    db.commit()
    db.close()


@pytest.mark.sqlite_only  # edits the SQLite file (test_pg_catalog: PostgreSQL)
def test_deleting_the_newest_events_is_detected(atti: Atti, archive: Archive, act: Act) -> None:
    for tag in "abcd":
        publish_next(archive, act, tag)
    head = json.loads((archive.state_dir / "atti.head").read_text())
    assert head["seq"] == 4 and head["hash"] == archive.catalog.db.execute(  # type: ignore[attr-defined]
        "SELECT hash FROM events WHERE seq = 4").fetchone()[0]
    files = {n: files_of(archive, f"DO-2026-{n}") for n in (1, 2, 3, 4)}
    _truncate(archive, 2)
    ends = "eliminato: atti.head registra l'evento 4, il catalogo finisce all'evento"
    # The deleted acts' files are no leftovers of an interrupted publish: kept, not safe to delete.
    assert sorted(failures(check(archive))) == [f"missing: events 3..4: {ends} 2", *unrecorded(files[3] | files[4])]
    _truncate(archive, 1)
    assert sorted(failures(check(archive))) == [
        f"missing: events 2..4: {ends} 1", *unrecorded(files[2] | files[3] | files[4])
    ]
    out = atti("archive", "verify", "--archive", archive.location)
    assert out.exit_code == 1
    assert out.output.splitlines()[0] == f"missing: events 2..4: {ends} 1"


def files_of(arc: Archive, act_id: str) -> set[str]:
    record = arc.get(act_id)
    return {ref.relpath for ref in (record.source, record.docx, record.pdf)}


def unrecorded(files: set[str]) -> list[str]:
    """The findings of files a catalog that lost its history no longer names, sorted."""
    return [f"unrecorded: {rel}: non registrato in ciò che resta del catalogo: conservalo" for rel in sorted(files)]


@pytest.mark.sqlite_only  # edits the SQLite file
def test_a_rewritten_newest_event_and_a_deleted_head_are_detected(archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    publish_next(archive, act, "b")
    kept = unrecorded(files_of(archive, "DO-2026-2"))
    # Event 2 replaced by one that chains correctly but says something else (its act deleted too).
    db = sqlite3.connect(archive.state_dir / "atti.sqlite")
    prev, at = db.execute("SELECT prev_hash, at FROM events WHERE seq = 2").fetchone()
    db.execute("DELETE FROM events WHERE seq = 2")
    db.execute("INSERT INTO events (seq, at, kind, act_id, payload, prev_hash, hash) VALUES (2,?,?,?,?,?,?)",
               (at, "note", None, "{}", prev, _event_hash(prev, at, "note", None, "{}", None)))
    for table in ("versions", "act_references"):
        db.execute(f"DELETE FROM {table} WHERE act_id = 'DO-2026-2'")
    db.execute("DELETE FROM acts WHERE number = 2")
    db.execute("UPDATE registers SET last_number = 1")
    db.commit()
    db.close()
    assert sorted(failures(check(archive))) == [
        "changed: event 2: diverso da quello che atti.head registra: la catena è stata riscritta", *kept
    ]
    (archive.state_dir / "atti.head").unlink()
    assert sorted(failures(check(archive))) == [
        "missing: atti.head: eliminato: non si può più verificare se gli eventi più recenti siano stati troncati", *kept
    ]
    (archive.state_dir / "atti.head").write_text("garbage")
    (archive.state_dir / "atti.head").chmod(0o600)
    assert sorted(failures(check(archive))) == [
        "changed: atti.head: non è una testa della catena (JSON con seq e hash)", *kept
    ]


@pytest.mark.sqlite_only  # the SQLite catalog's head writer
def test_a_head_left_behind_by_a_crash_is_no_alarm(
    archive: Archive, act: Act, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between the commit and the head's write: the head is behind, and verify is clean."""
    monkeypatch.setattr("atti.archive.storage.sqlite.write_head", lambda path, newest: False)
    publish_next(archive, act, "a")  # killed before the first head was ever written
    assert not (archive.state_dir / "atti.head").exists() and check(archive).findings == []
    monkeypatch.undo()
    publish_next(archive, act, "a2")
    monkeypatch.setattr("atti.archive.storage.sqlite.write_head", lambda path, newest: False)
    publish_next(archive, act, "b")
    publish_next(archive, act, "c")
    assert json.loads((archive.state_dir / "atti.head").read_text())["seq"] == 2
    assert check(archive).findings == []
    # The next commit brings it up to date.
    monkeypatch.undo()
    publish_next(archive, act, "d")
    assert json.loads((archive.state_dir / "atti.head").read_text())["seq"] == 5
    assert check(archive).findings == []


@pytest.mark.sqlite_only  # a SQLite catalog of an older schema
def test_an_archive_without_a_head_gets_one_when_opened(archive: Archive, act: Act) -> None:
    publish_next(archive, act, "a")
    archive.close()
    (archive.state_dir / "atti.head").unlink()
    raw(archive, "DELETE FROM meta WHERE key = 'head_file'")
    raw(archive, "UPDATE meta SET value = '3' WHERE key = 'schema_version'")  # as made by an older atti
    with Archive.open(archive.location) as arc:
        assert json.loads((arc.state_dir / "atti.head").read_text())["seq"] == 1
        assert check(arc).findings == []
