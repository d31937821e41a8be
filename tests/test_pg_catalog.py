"""The PostgreSQL catalog on a real PostgreSQL server: opening, numbering across processes and
connections, the register lock, tamper evidence, and search giving what the SQLite catalog gives."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from atti.acts import Act, load_act
from atti.archive import ActRecord, Archive, act_id
from atti.archive.integrity import verify_archive
from atti.archive.search import Filters
from atti.archive.storage.location import state_dir
from atti.archive.storage.postgresql import PgCatalog
from atti.archive.storage.urls import database_url, redacted
from atti.errors import ArchiveNotFound, DuplicateNumber, StorageError

from .conftest import EXAMPLE, Atti


@pytest.fixture()
def act() -> Act:
    return load_act(EXAMPLE).act


@pytest.fixture()
def archive(pg_url: str) -> Iterator[Archive]:
    arc, created = Archive.create(pg_url)
    assert created
    with arc:
        yield arc


def seal(archive: Archive, act: Act, number: int, **changes: object) -> str:
    act = act.model_copy(update={"numero": number, **changes})
    record = archive.seal(act, source="src", docx=b"docx%d" % number, pdf=f"%PDF {act.oggetto} {number}".encode(),
                          firmatario="Fabrizio Ventrice")
    return record.id


# -- locations -------------------------------------------------------------------------------------


def test_a_url_survives_pathlib_and_a_directory_is_not_a_url() -> None:
    url = "postgresql://atti:segreto@db.example.it:5433/atti?sslmode=require"
    assert database_url(url) == url
    assert database_url(Path(url)) == url  # Path("postgresql://h") is "postgresql:/h"
    assert database_url(Path("postgres://atti@/atti?host=/run/postgresql")) == (
        "postgresql://atti@/atti?host=/run/postgresql"
    )
    assert database_url(Path("archive")) is None
    assert database_url("/srv/postgresql/archive") is None
    assert redacted(url) == "postgresql://atti:***@db.example.it:5433/atti?sslmode=require"


def test_reports_name_a_database_archive_without_its_password(pg_url: str) -> None:
    """What init, archive verify and verify print or write as JSON names the archive, never its password."""
    from atti import pipeline
    from atti.archive.integrity import verify_archive

    with_password = pg_url.replace("postgres@", "postgres:s3greto@")
    assert "s3greto" in with_password  # trust authentication: the password is not checked
    init = pipeline.init_archive(with_password)
    with Archive.open(with_password) as arc:
        report = verify_archive(arc).to_dict()
        assert arc.name == redacted(with_password) and "s3greto" not in arc.name
    assert "s3greto" not in init.archive and "s3greto" not in str(report)


def test_a_url_in_the_configuration_file_or_environment_is_not_a_path(tmp_path: Path) -> None:
    from atti.config import load_settings

    url = "postgresql://atti@db.example.it/atti"
    (tmp_path / "atti.toml").write_text(f'archive = "{url}"\n', encoding="utf-8")
    settings = load_settings(config_file=tmp_path / "atti.toml", environ={})
    assert database_url(settings.archive) == url  # not resolved against the file's folder
    assert database_url(load_settings(environ={"ATTI_ARCHIVE": url, "ATTI_STATE_DIR": "/x"}).archive) == url


def test_state_dir_from_the_environment_or_the_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert state_dir("postgresql:///x") == tmp_path / "home" / ".local" / "state" / "atti" / "local-5432-x"
    monkeypatch.setenv("ATTI_STATE_DIR", str(tmp_path / "s"))
    assert state_dir("postgresql://h/db") == tmp_path / "s"
    monkeypatch.delenv("ATTI_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "atti" / "db.example.it-5433-atti"
    assert state_dir("postgresql://u:p@db.example.it:5433/atti") == expected


def test_open_create_and_reopen(pg_url: str) -> None:
    with pytest.raises(ArchiveNotFound, match=r"^nessun archivio nel database postgresql://.*: creane uno con 'atti"):
        Archive.open(pg_url)
    arc, created = Archive.create(pg_url)
    arc.close()
    assert created
    arc, created = Archive.create(pg_url)
    arc.close()
    assert not created
    with Archive.open(pg_url) as arc:
        assert arc.catalog.counts() == (0, 0)
        assert (arc.state_dir / "pki").is_dir() and arc.state_dir == state_dir(pg_url)


def test_unreachable_server_is_one_clear_error() -> None:
    with pytest.raises(StorageError, match=r"^impossibile aprire il catalogo postgresql://atti:\*\*\*@127.0.0.1:1/x"
                       r"\?connect_timeout=2: connection failed: .*Connection refused$"):
        PgCatalog("postgresql://atti:pw@127.0.0.1:1/x?connect_timeout=2")


def test_cli_init_and_search_on_a_url(atti: Atti, pg_url: str) -> None:
    result = atti("init", "--archive", pg_url)
    assert result.exit_code == 0, result.output
    assert (state_dir(pg_url) / "pki" / "root.pem").is_file()
    result = atti("search", "--archive", pg_url, "proroga")
    assert (result.exit_code, result.output) == (0, "Nessun atto trovato.\n")
    result = atti("search", "--archive", pg_url + "x", "proroga")
    assert result.exit_code == 6  # StorageError
    assert result.stderr.startswith(f"Errore: impossibile aprire il catalogo {pg_url}x: connection failed: ")
    assert result.stderr.rstrip().endswith(f'database "{pg_url.rsplit("/", 1)[1]}x" does not exist')
    assert result.stderr.count("\n") == 1


# -- registers -------------------------------------------------------------------------------------


def test_numbers_and_duplicates(archive: Archive, act: Act) -> None:
    assert archive.next_number("D.O.", 2026) == 1
    seal(archive, act, 1)
    seal(archive, act, 2)
    assert archive.next_number("D.O.", 2026) == 3
    assert archive.next_number("D.G.", 2026) == 1
    with pytest.raises(DuplicateNumber, match=r"il registro D.O. ha già il numero 2/2026 \(DO-2026-2\)"):
        seal(archive, act, 2, oggetto="altro")
    assert [r.id for r in archive.catalog.all()] == ["DO-2026-1", "DO-2026-2"]
    assert archive.catalog.verify_events() == [] and archive.catalog.verify_rows() == []


def _publish(url: str, count: int) -> list[int]:
    """One publisher process: takes the next number under the register lock, like atti publish."""
    act = load_act(EXAMPLE).act
    numbers = []
    with Archive.open(url) as arc:
        for _ in range(count):
            with arc.register_lock("D.O.", 2026):
                number = arc.next_number("D.O.", 2026)
                arc.seal(act.model_copy(update={"numero": number}), source="s", docx=b"d",
                         pdf=b"%%PDF %d" % number, firmatario="x")
            numbers.append(number)
    return numbers


def test_concurrent_publishers_in_processes_are_gapless(archive: Archive) -> None:
    """Four processes with their own connections publish into one register: 1..N, no gaps, no repeats."""
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(4) as pool:  # the children inherit XDG_STATE_HOME, so they find the same state directory
        results = pool.starmap(_publish, [(archive.catalog.url, 6)] * 4)  # type: ignore[attr-defined]
    numbers = sorted(n for part in results for n in part)
    assert numbers == list(range(1, 25))
    assert [r.numero for r in archive.catalog.all()] == list(range(1, 25))
    assert archive.catalog.verify_events() == [] and archive.catalog.verify_rows() == []


def test_register_lock_holds_off_other_servers_and_dies_with_its_connection(pg_url: str) -> None:
    first, _ = Archive.create(pg_url)
    second = Archive.open(pg_url)
    entered = threading.Event()

    def contend() -> None:
        with second.register_lock("D.O.", 2026):
            entered.set()

    with first.register_lock("D.O.", 2026):
        with second.register_lock("D.G.", 2026):  # another register is not held up
            pass
        thread = threading.Thread(target=contend)
        thread.start()
        assert not entered.wait(0.5)
    assert entered.wait(10)
    thread.join()
    # A publisher whose connection dies (a crashed server) gives the register back.
    third = Archive.open(pg_url)
    lock = first.register_lock("D.O.", 2026)
    lock.__enter__()
    first.catalog.close()
    with third.register_lock("D.O.", 2026):
        pass
    second.close()
    third.close()


# -- tamper evidence ---------------------------------------------------------------------------------


def test_changes_behind_attis_back_are_found(archive: Archive, act: Act) -> None:
    seal(archive, act, 129)
    seal(archive, act, 130, oggetto="Nomina della commissione")
    assert verify_archive(archive).ok
    with psycopg.connect(archive.catalog.url, autocommit=True) as db:  # type: ignore[attr-defined]
        db.execute("UPDATE acts SET oggetto = 'falso', riservato = 1 WHERE id = 'DO-2026-129'")
        db.execute("UPDATE versions SET reason = 'x' WHERE act_id = 'DO-2026-130'")
        db.execute("UPDATE events SET payload = '{}' WHERE seq = 1")
        db.execute("UPDATE registers SET last_number = 7")
    problems = archive.catalog.verify_rows()
    assert (
        "changed", "act DO-2026-129", "oggetto, riservato: modificato dopo che l'evento 1 ha registrato la riga"
    ) in problems
    assert (
        "changed", "act DO-2026-130 version 1", "reason: modificato dopo che l'evento 2 ha registrato la riga"
    ) in problems
    assert ("changed", "register D.O. 2026", "il contatore indica 7, il numero più alto archiviato è 130") in problems
    assert archive.catalog.verify_events() == ["event 1: contenuto modificato dopo la scrittura"]
    assert not verify_archive(archive).ok


def test_deleting_the_newest_events_is_found_by_the_head_copy(archive: Archive, act: Act) -> None:
    seal(archive, act, 129)
    seal(archive, act, 130)
    assert archive.catalog.verify_head() == []
    assert (archive.state_dir / "atti.head").is_file()
    with psycopg.connect(archive.catalog.url, autocommit=True) as db:  # type: ignore[attr-defined]
        db.execute("DELETE FROM events WHERE seq = 2")
        db.execute("DELETE FROM acts WHERE id = 'DO-2026-130'")
    assert archive.catalog.verify_events() == []  # a shorter chain still holds
    assert archive.catalog.verify_head() == [
        ("missing", "event 2", "eliminato: atti.head registra l'evento 2, il catalogo finisce all'evento 1")
    ]


# -- search: the same answers as the SQLite catalog -------------------------------------------------

_TEXT = (
    "proroga prorogare termini bando contributi imprese graduatoria approvazione nomina commissione"
    " liquidazione fattura servizio affidamento incarico convenzione città della"
)
_WORDS = _TEXT.split()


def _fill(arc: Archive) -> None:
    rng = random.Random(7)
    refs = [arc.blobs.put(b"fake " + ext.encode(), ext) for ext in ("yaml", "docx", "pdf")]
    counters: dict[tuple[str, int], int] = {}
    with arc.catalog.transaction():
        for i in range(80):
            register, year = rng.choice(("D.O.", "D.G.")), rng.randint(2025, 2026)
            number = counters[register, year] = counters.get((register, year), 0) + 1
            arc.catalog.insert_act(
                ActRecord(
                    id=act_id(register, year, number), registro=register, anno=year, numero=number,
                    tipo=rng.choice(("determinazione", "delibera")), organo=rng.choice(("Direttore", "Giunta")),
                    data=dt.date(year, rng.randint(1, 12), rng.randint(1, 28)), ente="Ente",
                    oggetto=" ".join(rng.choices(_WORDS, k=4)).capitalize(),
                    firmatario=rng.choice(("Rossi", "Bianchi")),
                    stato=("pubblicato", "annullato")[i % 5 == 0], source=refs[0], docx=refs[1], pdf=refs[2],
                    created_at="2026-01-01", riservato=i % 7 == 0,
                ),
                " ".join(rng.choices(_WORDS, k=15)),
            )


def test_search_count_and_facets_match_the_sqlite_catalog(archive: Archive, tmp_path: Path) -> None:
    lite, _ = Archive.create(tmp_path / "lite")
    _fill(lite)
    _fill(archive)
    queries = ["", "proroga", "prorogare termini", "città", "della", "nomina ornitorinco", "3/2026", "n. 1/2025",
               "...", "commissione bando imprese"]
    filters = [Filters(), Filters(registro="D.G."), Filters(anno=2025, tipo="DELIBERA"),
               Filters(dal=dt.date(2025, 6, 1), al=dt.date(2026, 3, 1)), Filters(organo="giunta"),
               Filters(firmatario="ross", stato="annullato"), Filters(public_only=True), Filters(hide_reserved=True)]
    for query in queries:
        for f in filters:
            expected = [h.record.id for h in lite.search(query, filters=f, limit=1000)]
            found = archive.search(query, filters=f, limit=1000)
            assert sorted(h.record.id for h in found) == sorted(expected), (query, f)
            assert archive.count(query, f) == lite.count(query, f) == len(expected)
            assert archive.facets(query, f) == lite.facets(query, f), (query, f)
            if query.strip(". ") and "/" not in query:
                assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)
                assert all("[" in h.snippet for h in found), query
            if not query.strip(". "):
                assert [h.record.id for h in found] == expected  # newest first, the same order
    pages = [h.record.id for p in range(4) for h in archive.search("proroga", limit=5, offset=5 * p)]
    assert pages == [h.record.id for h in archive.search("proroga", limit=20)]
    assert len(set(pages)) == len(pages)
    lite.close()


def test_broad_query_ranks_oggetto_matches_first(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(archive)
    exact = archive.search("proroga", limit=1000)
    monkeypatch.setattr("atti.archive.search.RANK_ALL_UP_TO", 3)
    broad = archive.search("proroga", limit=1000)
    assert {h.record.id for h in broad} == {h.record.id for h in exact} and len(broad) > 3
    ranked = [h.score > 0 for h in broad]
    assert any(ranked) and not all(ranked) and ranked == sorted(ranked, reverse=True)
    assert [h.record.id for h in archive.search("proroga", limit=4, offset=2)] == [h.record.id for h in broad[2:6]]


def test_snippets_are_cut_as_sqlite_cuts_them(archive: Archive, act: Act) -> None:
    seal(archive, act, 129)
    hit = archive.search("prorogare termini")[0]
    assert "[prorogare] i [termini]" in hit.snippet
    assert archive.search("129/2026")[0].record.id == "DO-2026-129"


# -- phrases through their pairs (schema 4) ----------------------------------------------------------

_PHRASES = ['"proroga termini"', '"bando contributi"', '"contributi imprese graduatoria"', '"città della"',
            '"nomina commiss*"', 'bando OR "termini bando"', 'servizio NOT "fattura servizio"', '"Rossi"',
            'firmatario:"Rossi"', '"proroga proroga"']


def test_a_phrase_finds_by_its_pairs_what_its_words_in_order_find(archive: Archive, tmp_path: Path) -> None:
    """Every phrase is first looked for by its pairs of adjacent words (the ``pairs`` vector); the
    acts with them include every act with the phrase, and the acts found are those of the phrase
    itself, as on SQLite."""
    from atti.archive import query as parsed
    from atti.archive.storage.postgresql import pairs_tsquery

    lite, _ = Archive.create(tmp_path / "lite")
    _fill(lite)
    _fill(archive)
    db = archive.catalog.db  # type: ignore[attr-defined]
    for query in _PHRASES:
        plain = parsed.tsquery(parsed.parse(query))
        pairs = pairs_tsquery(plain)
        ids = {r["id"] for r in db.execute("SELECT id FROM acts WHERE terms @@ %s::tsquery", (plain,))}
        if pairs is not None:
            paired = {r["id"] for r in db.execute("SELECT id FROM acts WHERE pairs @@ %s::tsquery", (pairs,))}
            assert ids <= paired < set(r["id"] for r in db.execute("SELECT id FROM acts")), query
        expected = sorted(h.record.id for h in lite.search(query, limit=1000))
        assert sorted(h.record.id for h in archive.search(query, limit=1000)) == expected, query
        assert archive.count(query) == len(expected)
    assert any(archive.search(q) for q in _PHRASES)
    for needs_no_pairs in ('bando OR "termini bando"', "proroga"):
        assert pairs_tsquery(parsed.tsquery(parsed.parse(needs_no_pairs))) is None
    assert pairs_tsquery("('a' <-> 'b' <-> 'c':*) & !('d' <-> 'e')") == "('+a+b' & '+b+c':*)"
    lite.close()


def test_schema_3_catalog_gains_the_pairs_with_its_chain_intact(pg_url: str) -> None:
    from atti.archive.storage.postgresql import _vectors

    arc, _ = Archive.create(pg_url)
    with arc:
        _fill(arc)
        before = {q: [h.record.id for h in arc.search(q, limit=1000)] for q in _PHRASES}
    # What schema 3 wrote: no pairs.
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("DROP INDEX acts_pairs; ALTER TABLE acts DROP COLUMN pairs")
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with Archive.open(pg_url) as arc:
        assert arc.catalog.schema_version() == 4  # type: ignore[attr-defined]
        assert verify_archive(arc).ok
        assert {q: [h.record.id for h in arc.search(q, limit=1000)] for q in _PHRASES} == before
        db = arc.catalog.db  # type: ignore[attr-defined]
        # The pairs made from the stored terms are those a new act gets from its row.
        rows = db.execute("SELECT *, pairs::text AS made FROM acts").fetchall()
        assert all(r["made"] for r in rows)
        assert [r["made"] for r in rows] == [
            db.execute("SELECT %s::tsvector::text AS t", (_vectors(r)["pairs"],)).fetchone()["t"] for r in rows
        ]
