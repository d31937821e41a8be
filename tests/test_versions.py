"""Versions and life cycle of archived acts, and references linked both ways (issue 5).

Acts are sealed through the Archive API with small fake DOCX/PDF bytes (no rendering, no
signing) and real YAML sources: the example act, changed where a test needs it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from atti.acts import load_act_text
from atti.archive import ActRecord, Archive
from atti.archive.history import diff_versions
from atti.archive.integrity import verify_archive
from atti.cli import main
from atti.errors import ActNotFound, ArchiveError

from .conftest import EXAMPLE

TEXT = EXAMPLE.read_text(encoding="utf-8")
PUNTO_2 = "di pubblicare la nuova scadenza nella sezione dedicata al bando sul sito"
ANNULMENT_PUNTO = "di annullare la Determinazione D.O. n. 129 del 19/05/2026 per un errore nella nuova scadenza"


def variant(numero: int, *, relazioni: str = "", punto_2: str | None = None, oggetto: str | None = None) -> str:
    """The example act's YAML with another number, relazioni, second punto or oggetto."""
    text = TEXT.replace("numero: 129 ", f"numero: {numero} ")
    if punto_2 is not None:
        text = text.replace(
            PUNTO_2 + "\n      www.unioncamerelombardia.it.", punto_2 + "."
        )
    if oggetto is not None:
        text = text.replace("  Approvazione proroga per la presentazione", f"  {oggetto}", 1)
    if relazioni:
        text += f"\nrelazioni:\n{relazioni}"
    return text


def annulment(numero: int = 130, target: str = "DO-2026-129", tipo: str = "annullamento") -> str:
    return variant(numero, relazioni=f"  - tipo: {tipo}\n    atto: {target}\n", punto_2=ANNULMENT_PUNTO)


def seal(arc: Archive, text: str) -> ActRecord:
    act = load_act_text(text, "act.yaml").act
    tag = f"{act.numero} {hash(text)}"
    return arc.seal(act, source=text, docx=f"docx {tag}".encode(), pdf=f"%PDF {tag}".encode(),
                    signer="Fabrizio Ventrice")


def failures(arc: Archive) -> list[str]:
    return [str(f) for f in verify_archive(arc, workers=2).findings if f.fails]


def raw(arc: Archive, sql: str, *params: object) -> None:
    db = sqlite3.connect(arc.root / "atti.sqlite")
    db.execute(sql, params)
    db.commit()
    db.close()


@pytest.fixture()
def archive(tmp_path: Path) -> Archive:
    arc, _ = Archive.create(tmp_path / "archive")
    return arc


@pytest.fixture()
def annulled(archive: Archive) -> Archive:
    """129 published, then 130 that annuls it."""
    seal(archive, TEXT)
    seal(archive, annulment())
    return archive


# -- versions and life cycle ---------------------------------------------------------------------


def test_seal_makes_version_1(archive: Archive) -> None:
    record = seal(archive, TEXT)
    [v] = archive.versions(record.id)
    assert (v.version, v.state, v.reason, v.by_act) == (1, "pubblicato", "published", None)
    assert (v.source, v.docx, v.pdf) == (record.source, record.docx, record.pdf)
    assert archive.catalog.counts() == (1, 1)  # one event per seal, as before
    assert failures(archive) == []


def test_annulment_is_a_new_version_of_the_target(annulled: Archive) -> None:
    target = annulled.get("DO-2026-129")
    assert (target.state, target.number) == ("annullato", 129)
    first, second = annulled.versions("DO-2026-129")
    assert (first.state, second.state) == ("pubblicato", "annullato")
    assert (second.reason, second.by_act) == ("annullamento", "DO-2026-130")
    # the target keeps its files: only its state changed
    assert (second.source, second.docx, second.pdf) == (first.source, first.docx, first.pdf)
    assert annulled.get("DO-2026-130").state == "pubblicato"
    assert annulled.next_number("D.O.", 2026) == 131  # a new act never reuses 129
    assert failures(annulled) == []


def test_rectification_marks_the_target_rettificato(archive: Archive) -> None:
    seal(archive, TEXT)
    seal(archive, annulment(tipo="rettifica"))
    assert [v.state for v in archive.versions("DO-2026-129")] == ["pubblicato", "rettificato"]
    assert failures(archive) == []


def test_annulment_of_a_missing_act_is_refused_before_anything_is_stored(archive: Archive) -> None:
    with pytest.raises(ArchiveError, match=r"^the annullamento of DO-2026-129 is refused: DO-2026-129 is not in"):
        seal(archive, annulment())
    assert archive.catalog.counts() == (0, 0)
    assert [p for p in (archive.root / "blobs").rglob("*") if p.is_file()] == []


def test_an_annulled_act_cannot_be_annulled_again(annulled: Archive) -> None:
    with pytest.raises(ArchiveError, match="DO-2026-129 is already annullato"):
        seal(annulled, annulment(131))
    assert annulled.catalog.counts() == (2, 3)


def test_other_relazioni_may_point_to_missing_acts(archive: Archive) -> None:
    record = seal(archive, variant(5, relazioni="  - tipo: proroga\n    atto: DO-2025-296\n"))
    [rel] = [r for r in archive.cites(record.id) if r.relazione]
    assert (rel.relazione, rel.target_id, rel.present) == ("proroga", "DO-2025-296", False)
    assert [v.state for v in archive.versions(record.id)] == ["pubblicato"]


def test_timestamp_renewal_is_a_new_version(archive: Archive) -> None:
    record = seal(archive, TEXT)
    old = archive.blobs.get(record.pdf)
    renewed = archive.add_pdf_version(record.id, old + b" timestamp")
    first, second = archive.versions(record.id)
    assert (second.version, second.state, second.reason) == (2, "pubblicato", "timestamp-renewed")
    assert (first.pdf, second.pdf) == (record.pdf, renewed.pdf)
    assert failures(archive) == []


# -- references both ways -------------------------------------------------------------------------


def test_references_are_stored_with_their_target_ids(archive: Archive) -> None:
    seal(archive, TEXT)
    cites = archive.cites("DO-2026-129")
    assert len(cites) == 18
    by_target = {(r.part, r.index): r.target_id for r in cites}
    assert by_target[("premesse", 10)] == "DO-2026-60"
    assert by_target[("premesse", 0)] is None  # a DGR names no register of this archive
    assert by_target[("poteri", 1)] is None  # "Determinazione n. 46/2021": no register, no guess
    sixty = next(r for r in cites if r.target_id == "DO-2026-60")
    assert (sixty.kind, sixty.number, sixty.year, sixty.present) == ("determinazione", "60", 2026, False)
    assert sixty.text == "Determinazione D.O. n. 60 del 18/03/2026"


def test_an_act_cited_before_it_is_archived_is_found_as_cited(archive: Archive) -> None:
    seal(archive, TEXT)
    assert archive.cited_by("DO-2026-60")[0].act_id == "DO-2026-129"  # cited, not archived yet
    seal(archive, variant(60, oggetto="Approvazione graduatoria prima finestra"))
    cited_by = archive.cited_by("DO-2026-60")
    assert [(r.act_id, r.part, r.index) for r in cited_by] == [("DO-2026-129", "premesse", 10),
                                                                ("DO-2026-129", "visti", 8)]
    assert all(r.present for r in archive.cites("DO-2026-129") if r.target_id == "DO-2026-60")
    assert failures(archive) == []


def test_relazioni_are_linked_both_ways(annulled: Archive) -> None:
    [rel] = [r for r in annulled.cites("DO-2026-130") if r.relazione]
    assert (rel.relazione, rel.target_id, rel.present) == ("annullamento", "DO-2026-129", True)
    by = annulled.cited_by("DO-2026-129")
    assert ("DO-2026-130", "annullamento") in {(r.act_id, r.relazione) for r in by}
    # the new punto cites 129 in its text too
    assert ("DO-2026-130", "dispositivo", 1) in {(r.act_id, r.part, r.index) for r in by}


# -- diff -----------------------------------------------------------------------------------------


def test_diff_of_two_acts_shows_the_changed_punto(annulled: Archive) -> None:
    result = diff_versions(annulled, "DO-2026-129@1", "DO-2026-130@1")
    assert [p.part for p in result.parts] == ["dispositivo"]
    [change] = result.parts[0].changes
    assert (change.kind, change.index_a, change.index_b) == ("changed", 1, 1)
    assert change.a is not None and change.a.startswith(PUNTO_2)
    assert change.b == ANNULMENT_PUNTO + "."
    assert not result.state_changed  # 129@1 was pubblicato, as 130 is


def test_diff_of_a_state_change_says_so(annulled: Archive) -> None:
    result = diff_versions(annulled, "DO-2026-129@1", "DO-2026-129@2")
    assert result.parts == [] and result.state_changed and not result.same
    assert "state: pubblicato -> annullato by DO-2026-130" in result.to_text()


def test_diff_reports_added_and_removed_items(archive: Archive) -> None:
    seal(archive, TEXT)
    fewer = variant(131).replace("  - la DGR n. XII/1536 del 18 dicembre 2023;\n", "", 1)
    seal(archive, fewer)
    result = diff_versions(archive, "DO-2026-129", "DO-2026-131")  # bare ids: the newest versions
    [visti] = [p for p in result.parts if p.part == "visti"]
    assert [(c.kind, c.index_a, c.a) for c in visti.changes] == [
        ("removed", 0, "la DGR n. XII/1536 del 18 dicembre 2023;")
    ]
    back = diff_versions(archive, "DO-2026-131", "DO-2026-129")
    assert [c.kind for p in back.parts for c in p.changes if p.part == "visti"] == ["added"]


def test_unknown_version_is_refused(annulled: Archive) -> None:
    with pytest.raises(ActNotFound, match=r"^DO-2026-129 has no version 3 \(it has 2\)$"):
        diff_versions(annulled, "DO-2026-129@1", "DO-2026-129@3")
    with pytest.raises(ActNotFound, match="no act with id DO-2026-999"):
        diff_versions(annulled, "DO-2026-999@1", "DO-2026-129@1")


# -- tamper evidence and migration ----------------------------------------------------------------


def test_changed_version_row_is_detected(annulled: Archive) -> None:
    raw(annulled, "UPDATE versions SET state = 'pubblicato' WHERE act_id = 'DO-2026-129' AND version = 2")
    assert failures(annulled) == [
        "changed: act DO-2026-129 version 2: state changed after event 3 recorded the row"
    ]


def test_deleted_and_added_version_rows_are_detected(annulled: Archive) -> None:
    raw(annulled, "DELETE FROM versions WHERE act_id = 'DO-2026-129' AND version = 2")
    raw(annulled, "INSERT INTO versions SELECT act_id, 2, 'rettificato', source_sha256, docx_sha256, pdf_sha256,"
                  " reason, by_act, created_at FROM versions WHERE act_id = 'DO-2026-130'")
    assert failures(annulled) == [
        "missing: act DO-2026-129 version 2: row deleted (event 3 recorded it)",
        "unexpected: act DO-2026-130 version 2: row was not written by atti: no event records it",
    ]


def test_changed_references_are_detected(annulled: Archive) -> None:
    raw(annulled, "UPDATE act_references SET target_id = 'DO-2026-1'"
                  " WHERE act_id = 'DO-2026-130' AND relazione IS NOT NULL")
    assert failures(annulled) == ["changed: act DO-2026-130 references: changed after event 2 recorded them"]


def test_schema_2_archive_gets_versions(archive: Archive) -> None:
    seal(archive, TEXT)
    seal(archive, variant(130))
    archive.close()
    # What atti wrote before schema 3: no version rows (the tables are made empty when opened).
    raw(archive, "DELETE FROM versions")
    raw(archive, "DELETE FROM act_references")
    raw(archive, "UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Archive.open(archive.root) as arc:
        assert failures(arc) == []
        assert [(v.version, v.state) for v in arc.versions("DO-2026-129")] == [(1, "pubblicato")]
        kinds = [r[0] for r in arc.catalog.db.execute("SELECT kind FROM events ORDER BY seq")]  # type: ignore[attr-defined]
        assert kinds == ["published", "published", "row-recorded", "row-recorded"]
        raw(arc, "UPDATE versions SET pdf_sha256 = 'x' WHERE act_id = 'DO-2026-130'")
        assert failures(arc) == [
            "changed: act DO-2026-130 version 1: pdf_sha256 changed after event 4 recorded the row"
        ]


# -- the command line -----------------------------------------------------------------------------


def atti(*args: str | Path) -> Result:
    runner = CliRunner(env={"ATTI_ARCHIVE": None, "ATTI_CONFIG": None})
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_cli_history(annulled: Archive) -> None:
    root = annulled.root
    out = atti("history", "DO-2026-129", "--archive", root)
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if not line.startswith(" ")]
    assert lines[0].startswith("DO-2026-129@1  ") and lines[0].endswith("  pubblicato  (published)")
    assert lines[1].endswith("  annullato  (annullamento by DO-2026-130)")
    data = json.loads(atti("history", "DO-2026-129", "--archive", root, "--json").output)
    assert [v["state"] for v in data] == ["pubblicato", "annullato"]
    assert data[1]["pdf_sha256"] == annulled.get("DO-2026-129").pdf.sha256
    missing = atti("history", "DO-2026-999", "--archive", root)
    assert (missing.exit_code, missing.output) == (6, "Error: no act with id DO-2026-999 in the archive\n")


def test_cli_diff(annulled: Archive) -> None:
    root = annulled.root
    out = atti("diff", "DO-2026-129@1", "DO-2026-130@1", "--archive", root)
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[:4] == [
        "--- DO-2026-129@1 (pubblicato)", "+++ DO-2026-130@1 (pubblicato)", "dispositivo:", "  ~ punto 2:",
    ]
    assert f"    + {ANNULMENT_PUNTO}." in out.output.splitlines()
    state = atti("diff", "DO-2026-129@1", "DO-2026-129@2", "--archive", root, "--json")
    data = json.loads(state.output)
    assert (data["state_changed"], data["parts"], data["b"]["state"]) == (True, [], "annullato")
    unknown = atti("diff", "DO-2026-129@1", "DO-2026-129@7", "--archive", root)
    assert (unknown.exit_code, unknown.output) == (6, "Error: DO-2026-129 has no version 7 (it has 2)\n")
    bad = atti("diff", "DO-2026-129@x", "DO-2026-129", "--archive", root)
    assert bad.exit_code == 6 and "is not a version such as DO-2026-129@2" in bad.output


def test_cli_show_lists_links_state_and_versions(annulled: Archive) -> None:
    root = annulled.root
    out = atti("show", "DO-2026-129", "--archive", root)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "     state: annullato" in lines and "  versions: 2" in lines
    assert "  DO-2026-60 (absent)  premesse 11: Determinazione D.O. n. 60 del 18/03/2026" in lines
    assert "Relazioni by: 1" in lines and "  annullamento by DO-2026-130" in lines
    data = json.loads(atti("show", "DO-2026-130", "--archive", root, "--json").output)
    assert data["versions"] == 1 and data["state"] == "pubblicato"
    assert [(r["relazione"], r["target_id"], r["present"]) for r in data["relazioni"]] == [
        ("annullamento", "DO-2026-129", True)
    ]
    cited = json.loads(atti("show", "DO-2026-129", "--archive", root, "--json").output)
    assert {r["act_id"] for r in cited["cited_by"]} == {"DO-2026-130"}
    assert [r["relazione"] for r in cited["relazioni_by"]] == ["annullamento"]
