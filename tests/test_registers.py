"""Registers: numbers without gaps, one spelling per register, and the gaps imports leave, shown.

- An act that names its own ``numero`` is published only under the register's next number for
  its year; the first act of a register in a year may start it anywhere (an office that starts
  using atti in May continues its paper register). Acts imported under their own numbers
  (``atti import DIR``, ``atti import-package``) may leave gaps, which ``atti archive verify``
  lists without failing.
- Registers whose names make the same archive id ("D O" and "D.O." are both DO-2026-...) are
  one register: the archive refuses a second spelling before anything is rendered or stored.

The refusals must come before rendering: the publishing tests run without LibreOffice (ATTI_SOFFICE
names a missing program), so an act that got as far as rendering fails with exit 3 instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atti import pipeline
from atti.acts import load_act
from atti.acts.loader import with_registro
from atti.archive import Archive
from atti.archive.integrity import verify_archive
from atti.errors import ArchiveError, DuplicateNumber

from .conftest import EXAMPLE, Atti
from .pgserver import raw

NO_SOFFICE = {"ATTI_SOFFICE": "/nonexistent/atti-test-no-soffice"}
NOT_RENDERED = "Errore: LibreOffice non trovato"  # what an act that passed the archive's checks meets


@pytest.fixture()
def archive(archive_location: Path | str) -> Archive:
    pipeline.init_archive(archive_location)  # the development CA too: publish signs with it
    return Archive.open(archive_location)


def seal(arc: Archive, number: int, *, registro: str = "D.O.", anno: int = 2026) -> str:
    act = load_act(EXAMPLE).act
    act = act.model_copy(update={"numero": number, "registro": registro, "data": act.data.replace(year=anno)})
    return arc.seal(act, source=f"src {registro} {number}", docx=b"docx", pdf=f"%PDF {registro} {number}".encode(),
                    firmatario="Fabrizio Ventrice").id


def act_file(tmp_path: Path, *, numero: int | None, registro: str = "D.O.", anno: int = 2026) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("numero: 129 ", f"numero: {numero} " if numero is not None else "# no number ", 1)
    text = text.replace("registro: D.O. ", f"registro: {registro} ", 1).replace("data: 2026-", f"data: {anno}-", 1)
    path = tmp_path / f"act-{registro}-{numero}-{anno}.yaml".replace(" ", "_")
    path.write_text(text, encoding="utf-8")
    return path


def stored_pdfs(arc: Archive) -> int:
    return sum(1 for rel, _ in arc.blobs.entries() if rel.endswith(".pdf"))


# -- an explicit numero -------------------------------------------------------------------------


def test_an_explicit_numero_must_be_the_next_one(atti: Atti, archive: Archive, tmp_path: Path) -> None:
    seal(archive, 129)
    pdfs = stored_pdfs(archive)
    for numero in (999999, 131, 128):  # a number out of range is check's refusal (test_act_input)
        result = atti("publish", act_file(tmp_path, numero=numero), "--archive", archive.location, env=NO_SOFFICE)
        assert (result.exit_code, result.stderr) == (
            6, f"Errore: il numero {numero} non è il successivo del registro D.O. per il 2026: il successivo è 130; "
            "ometti il numero perché sia assegnato\n"
        ), numero
    assert stored_pdfs(archive) == pdfs and archive.next_number("D.O.", 2026) == 130
    # The next number itself passes the archive's checks (and goes on to be rendered).
    result = atti("publish", act_file(tmp_path, numero=130), "--archive", archive.location, env=NO_SOFFICE)
    assert result.exit_code == 3 and result.stderr.startswith(NOT_RENDERED), result.output


def test_the_first_act_of_a_register_in_a_year_may_start_it(atti: Atti, archive: Archive, tmp_path: Path) -> None:
    seal(archive, 129)
    for numero, anno in ((60, 2024), (1, 2025)):  # years other than 2026, none in the future (max_days_ahead)
        result = atti("publish", act_file(tmp_path, numero=numero, anno=anno), "--archive", archive.location,
                      env=NO_SOFFICE)
        assert result.exit_code == 3 and result.stderr.startswith(NOT_RENDERED), (numero, result.output)


def test_the_library_refuses_what_publish_refuses(archive: Archive) -> None:
    seal(archive, 129)
    archive.ensure_next_number("D.O.", 2026, 130)
    archive.ensure_next_number("D.O.", 2027, 60)  # an empty register starts where its first act says
    with pytest.raises(DuplicateNumber, match=r"^il registro D.O. ha già il numero 129/2026 \(DO-2026-129\)$"):
        archive.ensure_next_number("D.O.", 2026, 129)
    with pytest.raises(ArchiveError, match=r"^il numero 2147483648 non è il successivo del registro D.O. per il 2026: "
                                           r"il successivo è 130; ometti il numero perché sia assegnato$"):
        archive.ensure_next_number("D.O.", 2026, 2147483648)


def test_imported_acts_keep_their_numbers_and_verify_shows_the_gaps(atti: Atti, archive: Archive) -> None:
    """An import may leave gaps (its acts carry their own numbers); archive verify lists them, as
    findings that do not fail the check: a register started above 1 is no gap."""
    for number in (129, 130, 133, 140):
        seal(archive, number)
    seal(archive, 7, anno=2025)
    seal(archive, 9, anno=2025)
    seal(archive, 1, registro="S.G.")
    report = verify_archive(archive)
    assert report.ok
    assert [str(f) for f in report.findings] == [
        "gap: register D.O. 2025: il numero 8 non è nell'archivio",
        "gap: register D.O. 2026: i numeri 131-132 non sono nell'archivio",
        "gap: register D.O. 2026: i numeri 134-139 non sono nell'archivio",
    ]
    result = atti("archive", "verify", "--archive", archive.location)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [str(f) for f in report.findings]
    assert result.stdout.splitlines()[3].startswith("Archivio OK: 7 atti")


# -- one spelling per register ------------------------------------------------------------------


def test_another_spelling_of_a_register_is_published_as_the_archives(
    atti: Atti, archive: Archive, tmp_path: Path
) -> None:
    """"DO" and "d.o." are the archive's "D.O.": numbered, dated and locked as it, and the act is
    published spelt as the archive spells it (its YAML rewritten at the registro, nothing else)."""
    seal(archive, 129)
    pdfs = stored_pdfs(archive)
    for registro in ("DO", "d.o.", "D-O"):
        taken = atti("publish", act_file(tmp_path, numero=129, registro=registro), "--archive", archive.location,
                     env=NO_SOFFICE)
        assert (taken.exit_code, taken.stderr) == (6, "Errore: il registro D.O. ha già il numero 129/2026 "
                                                      "(DO-2026-129)\n"), registro
        for numero, anno in ((None, 2026), (130, 2026), (1, 2025)):  # on to rendering, as D.O.
            result = atti("publish", act_file(tmp_path, numero=numero, registro=registro, anno=anno),
                          "--archive", archive.location, env=NO_SOFFICE)
            assert result.exit_code == 3 and result.stderr.startswith(NOT_RENDERED), (registro, numero, result.output)
    assert stored_pdfs(archive) == pdfs
    assert [r.id for r in archive.catalog.all()] == ["DO-2026-129"]
    assert [archive.register_name(r) for r in ("DO", "d.o.", "D.O.", "S.G.")] == ["D.O.", "D.O.", "D.O.", "S.G."]


def test_the_act_is_rewritten_at_its_registro_only(tmp_path: Path) -> None:
    path = act_file(tmp_path, numero=None, registro="d.o.")
    loaded = load_act(path)
    renamed = with_registro(loaded, "D.O.")
    assert renamed.act == loaded.act.model_copy(update={"registro": "D.O."})
    assert renamed.text == loaded.text.replace("registro: d.o. ", "registro: D.O. ", 1)
    assert with_registro(loaded, "d.o.") is loaded


def test_the_archive_refuses_a_second_spelling_before_storing_anything(archive: Archive) -> None:
    seal(archive, 129)
    pdfs = stored_pdfs(archive)
    with pytest.raises(ArchiveError, match=r"^il registro 'D O' e il registro archiviato 'D.O.' sono lo stesso"):
        seal(archive, 130, registro="D O")
    with pytest.raises(ArchiveError, match=r"^il registro 'D O' e il registro archiviato 'D.O.' sono lo stesso"):
        archive.ensure_register("D O", 2026)
    assert stored_pdfs(archive) == pdfs
    assert archive.next_number("D.O.", 2026) == 130
    archive.ensure_register("D.O.", 2031)  # the archived spelling, any year
    archive.ensure_register("S.G.", 2026)  # another register
    with pytest.raises(ArchiveError) as caught:
        archive.ensure_register("d.o.", 2026)  # case aside, the same letters
    assert caught.value.msg == ("il registro 'd.o.' e il registro archiviato 'D.O.' sono lo stesso registro per "
                                "l'archivio (id DO-2026-…): scrivilo come 'D.O.'")


def test_an_id_taken_under_another_spelling_is_refused_before_rendering(archive: Archive) -> None:
    """An archive written before the rule may hold both spellings: the id decides, still before rendering."""
    seal(archive, 129)
    raw(archive, "INSERT INTO registers VALUES ('D O', 2026, 5)")  # as if "D O" 5/2026 had been archived
    archive.ensure_register("D O", 2026)  # both spellings are archived: either may go on
    taken = r"^l'archivio contiene già DO-2026-129 \(registro D.O. n. 129/2026\)$"
    with pytest.raises(DuplicateNumber, match=taken):
        archive.ensure_number_free("D O", 2026, 129)


def test_one_register_one_lock(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two spellings that make the same ids hold the same lock: they number one register."""
    held: list[tuple[str, int]] = []
    lock = archive.catalog.register_lock

    def spy(register: str, year: int) -> object:
        held.append((register, year))
        return lock(register, year)

    monkeypatch.setattr(archive.catalog, "register_lock", spy)
    for spelling in ("D.O.", "D O", "DO", "d.o."):
        with archive.register_lock(spelling, 2026):
            pass
    with archive.register_lock("S.G.", 2026):
        pass
    assert held[0] == held[1] == held[2] == held[3] != held[4]


@pytest.mark.libreoffice
def test_publish_says_where_a_register_starts(atti: Atti, libreoffice: str, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    # With the firmatario's key (here from the archive's CA), outside development mode: its notes
    # would come with the register's.
    from atti.signing import DevCA

    key = DevCA.load(archive / "pki").signer_for("Fabrizio Ventrice", "Il Direttore Operativo")
    env = {"ATTI_DEVELOPMENT": None, "ATTI_P12": str(key)}
    first = atti("publish", EXAMPLE, "--archive", archive, env=env)
    assert first.exit_code == 0, first.output
    assert first.stderr == ("Nota: 129/2026 è il primo del registro D.O. in questo archivio: i numeri 1-128 non"
                            " ci sono\n")
    given = atti("publish", act_file(tmp_path, numero=None), "--archive", archive, "--json", env=env)
    named = atti("publish", act_file(tmp_path, numero=131), "--archive", archive, "--json", env=env)
    assert (given.exit_code, given.stderr, named.exit_code, named.stderr) == (0, "", 0, ""), given.output + named.output
    assert [json.loads(r.stdout)["id"] for r in (given, named)] == ["DO-2026-130", "DO-2026-131"]


@pytest.mark.libreoffice
def test_an_act_spelt_otherwise_is_published_and_proved_as_the_archives(
    atti: Atti, libreoffice: str, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    assert atti("publish", EXAMPLE, "--archive", archive).exit_code == 0
    result = atti("publish", act_file(tmp_path, numero=None, registro="d.o."), "--archive", archive, "--json")
    assert result.exit_code == 0, result.output
    assert "Nota: il registro d.o. è il D.O. dell'archivio: l'atto è pubblicato come D.O.\n" in result.stderr
    record = json.loads(result.stdout)
    assert (record["id"], record["registro"]) == ("DO-2026-130", "D.O.")
    shown = atti("proof", "DO-2026-130", "--archive", archive)  # the YAML the PDF carries says D.O.
    assert shown.exit_code == 0, shown.output
