"""The embedded archive: numbering, duplicates, content-addressed files, events, search."""

from __future__ import annotations

import errno
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from atti.acts import Act, load_act
from atti.archive import Archive, act_id
from atti.archive.search import Filters, fts_query, snippet, stem
from atti.archive.storage.files import FileBlobStore
from atti.errors import ActError, ArchiveNotFound, DuplicateNumber, SearchError, StorageError

from .conftest import EXAMPLE, Atti


@pytest.fixture()
def archive(archive_location: Path | str) -> Archive:
    arc, created = Archive.create(archive_location)
    assert created
    return arc


@pytest.fixture()
def act() -> Act:
    return load_act(EXAMPLE).act


def seal(archive: Archive, act: Act, number: int | None = None, **changes: object) -> str:
    act = act.model_copy(update={"numero": number if number is not None else act.numero, **changes})
    record = archive.seal(act, source="src", docx=b"docx" + bytes(str(number), "ascii"),
                          pdf=f"%PDF {act.oggetto} {number}".encode(), firmatario="Fabrizio Ventrice")
    return record.id


def test_act_id_is_readable() -> None:
    assert act_id("D.O.", 2026, 129) == "DO-2026-129"
    assert act_id("G.C. / 2", 2025, 1) == "GC2-2025-1"


def test_open_missing_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveNotFound, match=r"no archive at .*none: create one with 'atti init"):
        Archive.open(tmp_path / "none")


@pytest.mark.sqlite_only  # the files themselves
def test_seal_stores_files_under_their_hash(archive: Archive, act: Act) -> None:
    record = archive.get(seal(archive, act, 129))
    pdf = archive.path_of(record.pdf)
    assert pdf.name == f"{record.pdf.sha256}.pdf"
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == record.pdf.sha256
    assert archive.blobs.get(record.source) == b"src"
    assert (record.registro, record.anno, record.numero, record.stato) == ("D.O.", 2026, 129, "pubblicato")


def test_numbers_follow_per_register_and_year(archive: Archive, act: Act) -> None:
    assert archive.next_number("D.O.", 2026) == 1
    seal(archive, act, 1)
    seal(archive, act, 2)
    assert archive.next_number("D.O.", 2026) == 3
    assert archive.next_number("D.O.", 2027) == 1
    assert archive.next_number("D.G.", 2026) == 1


def test_duplicate_number_is_refused_and_nothing_changes(archive: Archive, act: Act) -> None:
    seal(archive, act, 129)
    with pytest.raises(DuplicateNumber, match=r"registro D.O. already has number 129/2026 \(DO-2026-129\)"):
        archive.ensure_number_free("D.O.", 2026, 129)
    with pytest.raises(DuplicateNumber):
        seal(archive, act, 129, oggetto="altro")
    assert [r.id for r in archive.catalog.all()] == ["DO-2026-129"]
    assert archive.catalog.verify_events() == []


@pytest.mark.sqlite_only  # edits the SQLite file (test_pg_catalog does it in PostgreSQL)
def test_event_chain_detects_a_changed_row(archive: Archive, act: Act) -> None:
    seal(archive, act, 1)
    seal(archive, act, 2)
    assert archive.catalog.verify_events() == []
    db = sqlite3.connect(archive.state_dir / "atti.sqlite")
    db.execute("UPDATE events SET payload = replace(payload, 'Ventrice', 'Rossi') WHERE seq = 1")
    db.commit()
    assert archive.catalog.verify_events() == [
        "event 1: content changed after it was written",
    ]


def test_italian_stemming() -> None:
    assert stem("proroga") == stem("prorogare") == stem("prorogati")
    assert stem("determinazioni") == stem("determinazione")
    assert stem("città") == stem("citta")
    # Light stems: the forms of one word, never a word derived from it ("opere" is not "operativo").
    assert stem("opere") == stem("opera") != stem("operativo")
    assert stem("proroghe") == stem("proroga") and stem("pubbliche") == stem("pubblica")
    assert fts_query('proroga "AND" -x') == (
        '((("o_proroga" OR "os_prorog" OR "_prorog" OR "p_proroga")) AND (("o_and" OR "os_and" OR "_and" OR "p_and")))'
        ' NOT ("o_x" OR "os_x" OR "_x" OR "p_x")'
    )
    assert fts_query("  ...  ") is None


def test_search_stems_ranks_and_filters(archive: Archive, act: Act) -> None:
    seal(archive, act, 129)
    seal(archive, act, 130, oggetto="Approvazione graduatoria del bando Export")
    other = act.dispositivo.model_copy(update={"punti": ["di nominare la commissione"]})
    seal(archive, act, 5, oggetto="Nomina commissione", data=act.data.replace(year=2025),
         poteri=[], premesse=["nulla"], visti=["nulla"], dispositivo=other)
    hits = archive.search("prorogare")
    assert [h.record.id for h in hits] == ["DO-2026-129", "DO-2026-130"]  # oggetto weighs more
    assert "proroga" in hits[0].snippet
    assert [h.record.id for h in archive.search("determinazioni", filters=Filters(anno=2025))] == []
    assert [h.record.id for h in archive.search("nominare", filters=Filters(anno=2025))] == ["DO-2025-5"]
    assert [h.record.id for h in archive.search("129/2026")] == ["DO-2026-129"]
    assert [h.record.id for h in archive.search("n. 5/2025")] == ["DO-2025-5"]
    assert archive.search("graduatoria", filters=Filters(registro="D.G.")) == []
    assert archive.search("ornitorinco") == []
    with pytest.raises(SearchError, match="not closed"):
        archive.search("\"unbalanced (")


def test_snippet_is_cut_from_the_original_text() -> None:
    text = "parole " * 40 + "la proroga dei termini " + "altre " * 40
    out = snippet(text, "prorogare")
    assert "proroga dei termini" in out and out.startswith("…") and out.endswith("…")


def test_full_disk_gives_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileBlobStore(tmp_path)

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("atti.files.os.fsync", no_space)
    with pytest.raises(StorageError, match="impossibile scrivere pdf document into the archive: il disco è pieno"):
        store.put(b"%PDF", "pdf")
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []  # no half-written file under any name


# -- riservato ------------------------------------------------------------------------------------


def test_riservato_is_read_from_the_yaml_and_kept_in_the_record(
    archive: Archive, act: Act, example_text: str, tmp_path: Path
) -> None:
    assert act.riservato is False and archive.get(seal(archive, act, 129)).riservato is False
    path = tmp_path / "riservato.yaml"
    path.write_text(example_text + "riservato: true\n", encoding="utf-8")
    reserved = load_act(path).act
    assert reserved.riservato is True
    record = archive.get(seal(archive, reserved, 130))
    assert record.riservato is True and record.to_dict()["riservato"] is True
    path.write_text(example_text + "riservato: forse\n", encoding="utf-8")
    with pytest.raises(ActError, match="riservato"):
        load_act(path)


def test_cli_show_says_whether_an_act_is_riservato(atti: Atti, archive: Archive, act: Act) -> None:
    seal(archive, act, 1)
    seal(archive, act, 2, riservato=True)
    out = atti("show", "DO-2026-1", "--archive", archive.location)
    assert out.exit_code == 0 and "     stato: pubblicato" in out.output.splitlines()
    assert " riservato: False" in out.output.splitlines()
    out = atti("show", "DO-2026-2", "--archive", archive.location)
    assert out.exit_code == 0 and " riservato: True" in out.output.splitlines()
    data = json.loads(atti("show", "DO-2026-2", "--archive", archive.location, "--json").output)
    assert data["riservato"] is True
