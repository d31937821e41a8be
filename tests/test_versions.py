"""Versions and life cycle of archived acts, and references linked both ways (issue 5).

Acts are sealed through the Archive API with small fake DOCX/PDF bytes (no rendering, no
signing) and real YAML sources: the example act, changed where a test needs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atti.acts import load_act_text
from atti.archive import ActRecord, Archive
from atti.archive.history import diff_versions
from atti.archive.integrity import verify_archive
from atti.archive.search import Filters
from atti.errors import ActNotFound, ArchiveError, DuplicateNumber

from .conftest import EXAMPLE, Atti
from .pgserver import raw

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
                    firmatario="Fabrizio Ventrice")


def failures(arc: Archive) -> list[str]:
    return [str(f) for f in verify_archive(arc, workers=2).findings if f.fails]


@pytest.fixture()
def archive(archive_location: Path | str) -> Archive:
    arc, _ = Archive.create(archive_location)
    return arc


@pytest.fixture()
def annulled(archive: Archive) -> Archive:
    """129 published, then 130 that annuls it."""
    seal(archive, TEXT)
    seal(archive, annulment())
    return archive


# -- versions and life cycle ---------------------------------------------------------------------


def test_seal_makes_versions_firmato_and_pubblicato(archive: Archive) -> None:
    record = seal(archive, TEXT)
    signed, published = archive.versions(record.id)
    assert (signed.version, signed.stato, signed.reason, signed.by_act) == (1, "firmato", "signed", None)
    assert (published.version, published.stato, published.reason, published.by_act) == (2, "pubblicato",
                                                                                         "published", None)
    for v in (signed, published):
        assert (v.source, v.docx, v.pdf) == (record.source, record.docx, record.pdf)
    assert archive.catalog.counts() == (1, 1)  # one event per seal, as before
    assert failures(archive) == []


def test_annulment_is_a_new_version_of_the_target(annulled: Archive) -> None:
    target = annulled.get("DO-2026-129")
    assert (target.stato, target.numero) == ("annullato", 129)
    _, first, second = annulled.versions("DO-2026-129")
    assert (first.stato, second.stato) == ("pubblicato", "annullato")
    assert (second.reason, second.by_act) == ("annullamento", "DO-2026-130")
    # the target keeps its files: only its state changed
    assert (second.source, second.docx, second.pdf) == (first.source, first.docx, first.pdf)
    assert annulled.get("DO-2026-130").stato == "pubblicato"
    assert annulled.next_number("D.O.", 2026) == 131  # a new act never reuses 129
    assert failures(annulled) == []


def test_rectification_marks_the_target_rettificato(archive: Archive) -> None:
    seal(archive, TEXT)
    seal(archive, annulment(tipo="rettifica"))
    assert [v.stato for v in archive.versions("DO-2026-129")] == ["firmato", "pubblicato", "rettificato"]
    assert failures(archive) == []


def test_annulment_of_a_missing_act_is_refused_before_anything_is_stored(archive: Archive) -> None:
    refused = r"^la relazione «annullamento» verso DO-2026-129 è rifiutata: DO-2026-129 non è"
    with pytest.raises(ArchiveError, match=refused):
        seal(archive, annulment())
    assert archive.catalog.counts() == (0, 0)
    assert archive.blobs.entries() == []


def test_an_annulled_act_cannot_be_annulled_again(annulled: Archive) -> None:
    with pytest.raises(ArchiveError, match="DO-2026-129 è già annullato"):
        seal(annulled, annulment(131))
    assert annulled.catalog.counts() == (2, 3)


def test_other_relazioni_may_point_to_missing_acts(archive: Archive) -> None:
    record = seal(archive, variant(5, relazioni="  - tipo: proroga\n    atto: DO-2025-296\n"))
    [rel] = [r for r in archive.cites(record.id) if r.relazione]
    assert (rel.relazione, rel.target_id, rel.present) == ("proroga", "DO-2025-296", False)
    assert [v.stato for v in archive.versions(record.id)] == ["firmato", "pubblicato"]


def test_timestamp_renewal_is_a_new_version(archive: Archive) -> None:
    record = seal(archive, TEXT)
    old = archive.blobs.get(record.pdf)
    renewed = archive.add_pdf_version(record.id, old + b" timestamp")
    _, first, second = archive.versions(record.id)
    assert (second.version, second.stato, second.reason) == (3, "pubblicato", "timestamp-renewed")
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
    assert (sixty.tipo, sixty.numero, sixty.anno, sixty.present) == ("determinazione", "60", 2026, False)
    assert sixty.testo == "Determinazione D.O. n. 60 del 18/03/2026"


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
    result = diff_versions(annulled, "DO-2026-129@2", "DO-2026-130@2")
    # Every field is compared: the other act has its own numero and relazioni.
    assert [p.part for p in result.parts] == ["numero", "dispositivo.punti", "relazioni"]
    [numero], [change], [relazione] = (p.changes for p in result.parts)
    assert (numero.kind, numero.a, numero.b) == ("changed", "129", "130")
    assert (numero.deleted, numero.added) == (["129"], ["130"])
    assert (change.kind, change.index_a, change.index_b) == ("changed", 1, 1)
    assert change.a is not None and change.a.startswith(PUNTO_2)
    assert change.b == ANNULMENT_PUNTO + "."
    assert (relazione.kind, relazione.b) == ("added", "tipo: annullamento · atto.registro: DO · atto.numero: 129 · "
                                                      "atto.anno: 2026")
    assert not result.stato_changed  # 129@2 was pubblicato, as 130 is


def test_diff_of_a_state_change_says_so(annulled: Archive) -> None:
    result = diff_versions(annulled, "DO-2026-129@2", "DO-2026-129@3")
    assert result.parts == [] and result.stato_changed and not result.same
    assert "stato: pubblicato -> annullato by DO-2026-130" in result.to_text()


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
    with pytest.raises(ActNotFound, match=r"^DO-2026-129 non ha la versione 4 \(ne ha 3\)$"):
        diff_versions(annulled, "DO-2026-129@1", "DO-2026-129@4")
    with pytest.raises(ActNotFound, match="nessun atto con id DO-2026-999"):
        diff_versions(annulled, "DO-2026-999@1", "DO-2026-129@1")


# -- tamper evidence and migration ----------------------------------------------------------------


def test_changed_version_row_is_detected(annulled: Archive) -> None:
    raw(annulled, "UPDATE versions SET state = 'pubblicato' WHERE act_id = 'DO-2026-129' AND version = 3")
    assert failures(annulled) == [
        "changed: act DO-2026-129 version 3: state: modificato dopo che l'evento 3 ha registrato la riga"
    ]


def test_deleted_and_added_version_rows_are_detected(annulled: Archive) -> None:
    raw(annulled, "DELETE FROM versions WHERE act_id = 'DO-2026-129' AND version = 3")
    raw(annulled, "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason,"
                  " by_act, created_at) SELECT act_id, 3, 'rettificato', source_sha256, docx_sha256, pdf_sha256,"
                  " reason, by_act, created_at FROM versions WHERE act_id = 'DO-2026-130' AND version = 2")
    assert failures(annulled) == [
        "missing: act DO-2026-129 version 3: riga eliminata (l'evento 3 la registrava)",
        "unexpected: act DO-2026-130 version 3: riga non scritta da atti: nessun evento la registra",
    ]


def test_changed_references_are_detected(annulled: Archive) -> None:
    raw(annulled, "UPDATE act_references SET target_id = 'DO-2026-1'"
                  " WHERE act_id = 'DO-2026-130' AND relazione IS NOT NULL")
    assert failures(annulled) == [
        "changed: act DO-2026-130 references: modificati dopo che l'evento 2 li ha registrati"
    ]


@pytest.mark.sqlite_only  # a SQLite catalog of an older schema
def test_schema_2_archive_gets_versions(archive: Archive) -> None:
    seal(archive, TEXT)
    seal(archive, variant(130))
    archive.close()
    # What atti wrote before schema 3: no version rows (the tables are made empty when opened).
    raw(archive, "DELETE FROM versions")
    raw(archive, "DELETE FROM act_references")
    raw(archive, "UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Archive.open(archive.location) as arc:
        assert failures(arc) == []
        assert [(v.version, v.stato) for v in arc.versions("DO-2026-129")] == [(1, "pubblicato")]
        kinds = [r[0] for r in arc.catalog.db.execute("SELECT kind FROM events ORDER BY seq")]  # type: ignore[attr-defined]
        # Their references are read again from their sources (relink_references), one event each.
        assert kinds == ["published", "published", "row-recorded", "row-recorded", "references-relinked",
                         "references-relinked"]
        assert len(arc.cites("DO-2026-130")) == 18
        raw(arc, "UPDATE versions SET pdf_sha256 = 'x' WHERE act_id = 'DO-2026-130'")
        assert failures(arc) == [
            "changed: act DO-2026-130 version 1: pdf_sha256: modificato dopo che l'evento 6 ha registrato la riga",
            "missing: blobs/sha256/x/x.pdf: file assente dall'archivio (pdf di DO-2026-130@1)",
        ]


# -- the command line -----------------------------------------------------------------------------


def test_cli_history(atti: Atti, annulled: Archive) -> None:
    root = annulled.location
    out = atti("history", "DO-2026-129", "--archive", root)
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if not line.startswith(" ")]
    assert lines[0].startswith("DO-2026-129@1  ") and lines[0].endswith("  firmato  (signed)")
    assert lines[1].startswith("DO-2026-129@2  ") and lines[1].endswith("  pubblicato  (published)")
    assert lines[2].endswith("  annullato  (annullamento con DO-2026-130)")
    data = json.loads(atti("history", "DO-2026-129", "--archive", root, "--json").output)
    assert [v["stato"] for v in data] == ["firmato", "pubblicato", "annullato"]
    assert data[2]["pdf_sha256"] == annulled.get("DO-2026-129").pdf.sha256
    missing = atti("history", "DO-2026-999", "--archive", root)
    assert (missing.exit_code, missing.output) == (6, "Errore: nessun atto con id DO-2026-999 nell'archivio\n")


def test_cli_diff(atti: Atti, annulled: Archive) -> None:
    root = annulled.location
    out = atti("diff", "DO-2026-129@2", "DO-2026-130@2", "--archive", root)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[:4] == [
        "--- DO-2026-129@2 (pubblicato)", "+++ DO-2026-130@2 (pubblicato)", "numero: [-129-]{+130+}",
        "dispositivo.punti:",
    ]
    # the changed punto as a word redline: the words kept, struck [-..-] and added {+..+}
    assert lines[4] == (
        "  ~ punto 2: di [-pubblicare-]{+annullare+} la{+ Determinazione D.O. n. 129 del 19/05/2026 per un errore "
        "nella+} nuova scadenza[- nella sezione dedicata al bando sul sito www-].[-unioncamerelombardia.it.-]"
    )
    assert lines[5:] == ["relazioni:", "  + relazione 1: tipo: annullamento · atto.registro: DO · atto.numero: 129 · "
                                       "atto.anno: 2026"]
    state = atti("diff", "DO-2026-129@2", "DO-2026-129@3", "--archive", root, "--json")
    data = json.loads(state.output)
    assert (data["stato_changed"], data["parts"], data["b"]["stato"]) == (True, [], "annullato")
    unknown = atti("diff", "DO-2026-129@1", "DO-2026-129@7", "--archive", root)
    assert (unknown.exit_code, unknown.output) == (6, "Errore: DO-2026-129 non ha la versione 7 (ne ha 3)\n")
    bad = atti("diff", "DO-2026-129@x", "DO-2026-129", "--archive", root)
    assert bad.exit_code == 6 and "non è una versione come DO-2026-129@2" in bad.output


def test_cli_show_lists_links_state_and_versions(atti: Atti, annulled: Archive) -> None:
    root = annulled.location
    out = atti("show", "DO-2026-129", "--archive", root)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "     stato: annullato" in lines and "  versions: 3" in lines
    assert "  DO-2026-60 (assente)  premesse 11: Determinazione D.O. n. 60 del 18/03/2026" in lines
    assert "Relazioni da: 1" in lines and "  annullamento da DO-2026-130" in lines
    data = json.loads(atti("show", "DO-2026-130", "--archive", root, "--json").output)
    assert data["versions"] == 2 and data["stato"] == "pubblicato"
    assert [(r["relazione"], r["target_id"], r["present"]) for r in data["relazioni"]] == [
        ("annullamento", "DO-2026-129", True)
    ]
    cited = json.loads(atti("show", "DO-2026-129", "--archive", root, "--json").output)
    assert {r["act_id"] for r in cited["cited_by"]} == {"DO-2026-130"}
    assert [r["relazione"] for r in cited["relazioni_by"]] == ["annullamento"]


# -- drafts: bozza -> in verifica -> firmato -> pubblicato ---------------------------------------


def draft_text(text: str = TEXT) -> str:
    """The act without its number, as an office drafts it."""
    return text.replace("numero: 129 ", "", 1)


def save(arc: Archive, text: str, draft_id: str | None = None, *, preview: bool = False) -> ActRecord:
    act = load_act_text(text, "draft.yaml", check=False).act
    tag = hash(text)
    record, _ = arc.save_draft(act, text, draft_id=draft_id, docx=f"docx {tag}".encode() if preview else None,
                               pdf=f"%PDF preview {tag}".encode() if preview else None)
    return record


def seal_draft(arc: Archive, draft_id: str, number: int = 129) -> ActRecord:
    text = arc.blobs.get(arc.draft(draft_id).source).decode("utf-8")
    act = load_act_text(text, "draft.yaml").act.with_numero(number)
    return arc.seal(act, source=text, docx=b"docx signed", pdf=b"%PDF signed", firmatario="Fabrizio Ventrice",
                    draft_id=draft_id)


def test_draft_life_cycle_is_a_history_of_versions(archive: Archive) -> None:
    first = save(archive, draft_text())
    assert (first.id, first.numero, first.stato) == ("bozza-1", None, "bozza")
    assert archive.next_number("D.O.", 2026) == 1  # a draft takes no number
    edited = draft_text(variant(129, punto_2="di pubblicare la scadenza sul sito"))
    save(archive, edited, "bozza-1")
    rendered = save(archive, edited, "bozza-1", preview=True)
    assert save(archive, edited, "bozza-1") == rendered  # the same text again: no new version
    submitted = archive.submit_draft("bozza-1")
    assert submitted.stato == "in verifica"
    with pytest.raises(ArchiveError, match=r"^bozza-1 è già in verifica$"):
        archive.submit_draft("bozza-1")
    sealed = seal_draft(archive, "bozza-1")
    assert (sealed.id, sealed.numero, sealed.stato) == ("DO-2026-129", 129, "pubblicato")
    history = archive.versions("DO-2026-129")
    assert [(v.version, v.stato, v.reason) for v in history] == [
        (1, "bozza", "draft-created"), (2, "bozza", "draft-saved"), (3, "bozza", "draft-rendered"),
        (4, "in verifica", "draft-submitted"), (5, "firmato", "signed"), (6, "pubblicato", "published"),
    ]
    assert history[0].pdf.sha256 == "" and history[2].pdf == rendered.pdf and history[3].pdf == rendered.pdf
    assert history[4].pdf == history[5].pdf == sealed.pdf != rendered.pdf
    # Every version's files stay stored and vouched for; the chain and rows verify.
    for v in history:
        for ref in (v.source, v.docx, v.pdf):
            assert not ref.sha256 or archive.blobs.get(ref)
    assert failures(archive) == []
    [change] = diff_versions(archive, "DO-2026-129@1", "DO-2026-129@2").parts[0].changes
    assert (change.kind, change.b) == ("changed", "di pubblicare la scadenza sul sito.")
    # the draft's text was sealed as it was: only the numero the archive gave it differs
    [numero] = diff_versions(archive, "DO-2026-129@2", "DO-2026-129@6").parts
    assert (numero.part, [(c.kind, c.a, c.b) for c in numero.changes]) == ("numero", [("added", None, "129")])
    with pytest.raises(ActNotFound, match="nessun atto con id bozza-1"):
        archive.get("bozza-1")
    assert archive.next_number("D.O.", 2026) == 130
    assert archive.drafts() == []


def test_a_changed_text_sends_a_draft_back_to_bozza(archive: Archive) -> None:
    save(archive, draft_text())
    archive.submit_draft("bozza-1")
    save(archive, draft_text(), "bozza-1", preview=True)  # rendering the same text keeps the state
    assert archive.get("bozza-1").stato == "in verifica"
    save(archive, draft_text(variant(129, oggetto="Proroga dei termini")), "bozza-1")
    assert archive.get("bozza-1").stato == "bozza"
    assert [v.stato for v in archive.versions("bozza-1")] == ["bozza", "in verifica", "in verifica", "bozza"]
    assert failures(archive) == []


def test_drafts_are_searchable_but_never_public(archive: Archive) -> None:
    seal(archive, variant(5, oggetto="Nomina della commissione di valutazione"))
    save(archive, draft_text(variant(129, oggetto="Proroga ornitorinco")))
    save(archive, draft_text(variant(129, oggetto="Proroga ornitorinco seconda")))
    archive.submit_draft("bozza-2")
    assert sorted(h.record.id for h in archive.search("ornitorinco")) == ["bozza-1", "bozza-2"]
    assert [h.record.id for h in archive.search("ornitorinco", filters=Filters(stato="bozza"))] == ["bozza-1"]
    assert [h.record.id for h in archive.search("", filters=Filters(stato="in verifica"))] == ["bozza-2"]
    public = Filters(public_only=True)
    assert archive.search("ornitorinco", filters=public) == [] and archive.count("ornitorinco", public) == 0
    assert [h.record.id for h in archive.search("", filters=public)] == ["DO-2026-5"]
    assert archive.facets("", public)["stato"] == [("pubblicato", 1)]
    assert archive.facets("")["stato"] == [("bozza", 1), ("in verifica", 1), ("pubblicato", 1)]
    # Searching the old text of a draft finds nothing once it is saved anew.
    save(archive, draft_text(variant(129, oggetto="Proroga ermellino")), "bozza-1")
    assert [h.record.id for h in archive.search("ornitorinco")] == ["bozza-2"]
    assert [h.record.id for h in archive.search("ermellino")] == ["bozza-1"]
    sealed = seal_draft(archive, "bozza-1", 130)
    assert [h.record.id for h in archive.search("ermellino", filters=public)] == [sealed.id]
    assert failures(archive) == []


def test_a_sealed_draft_cannot_be_saved_submitted_or_sealed_again(archive: Archive) -> None:
    save(archive, draft_text())
    seal_draft(archive, "bozza-1")
    with pytest.raises(ActNotFound, match="nessun atto con id bozza-1"):
        save(archive, draft_text(), "bozza-1")
    with pytest.raises(ArchiveError, match=r"^DO-2026-129 non è una bozza: è pubblicato$"):
        archive.submit_draft("DO-2026-129")
    with pytest.raises(ArchiveError, match=r"^DO-2026-129 non è una bozza: è pubblicato$"):
        save(archive, draft_text(), "DO-2026-129")
    save(archive, draft_text())
    assert archive.drafts()[0].id == "bozza-2"  # ids are never given twice
    with pytest.raises(DuplicateNumber, match="ha già il numero 129/2026"):
        seal_draft(archive, "bozza-2", 129)
    assert archive.get("bozza-2").stato == "bozza" and failures(archive) == []


def test_tampering_with_a_sealed_draft_is_detected(archive: Archive) -> None:
    save(archive, draft_text())
    archive.submit_draft("bozza-1")
    seal_draft(archive, "bozza-1")
    raw(archive, "UPDATE versions SET state = 'bozza' WHERE act_id = 'DO-2026-129' AND version = 2")
    raw(archive, "DELETE FROM versions WHERE act_id = 'DO-2026-129' AND version = 1")
    assert failures(archive) == [
        "missing: act DO-2026-129 version 1: riga eliminata (l'evento 4 la registrava)",
        "changed: act DO-2026-129 version 2: state: modificato dopo che l'evento 4 ha registrato la riga",
    ]


def test_find_draft_by_its_exact_source(archive: Archive) -> None:
    save(archive, draft_text())
    save(archive, draft_text(variant(129, oggetto="Altro")))
    assert archive.find_draft(draft_text()) == "bozza-1"
    assert archive.find_draft(draft_text() + "\n") is None


@pytest.mark.libreoffice
def test_cli_draft_to_publication_with_real_rendering_and_signing(atti: Atti, tmp_path: Path) -> None:
    """atti draft save / --render / submit, then atti publish of the same file (LibreOffice and
    pyHanko for real); a second draft published by its id alone."""
    root = tmp_path / "archive"
    assert atti("init", "--archive", root).exit_code == 0
    act = tmp_path / "act.yaml"
    act.write_text(draft_text(), encoding="utf-8")
    out = atti("draft", "save", act, "--archive", root)
    assert (out.exit_code, out.output) == (0, "Bozza bozza-1 versione 1: bozza, determinazione D.O.: "
                                              + load_act_text(TEXT, "x").act.oggetto + "\n")
    out = atti("draft", "save", act, "--archive", root, "--draft", "bozza-1", "--render", "--json")
    assert out.exit_code == 0, out.output
    assert (json.loads(out.output)["version"], json.loads(out.output)["numero"]) == (2, None)
    out = atti("draft", "submit", "bozza-1", "--archive", root)
    assert (out.exit_code, out.output) == (0, "Bozza bozza-1 versione 3: in verifica\n")
    hidden = atti("search", "proroga", "--archive", root, "--public", "--json")
    assert (hidden.exit_code, json.loads(hidden.output)) == (0, [])
    found = atti("search", "proroga", "--archive", root, "--stato", "in verifica", "--json")
    assert [h["id"] for h in json.loads(found.output)] == ["bozza-1"]

    published = atti("publish", act, "--archive", root, "--json")  # the same file: the draft is found
    assert published.exit_code == 0, published.output
    record = json.loads(published.stdout)
    assert (record["id"], record["numero"], record["stato"]) == ("DO-2026-1", 1, "pubblicato")
    history = json.loads(atti("history", "DO-2026-1", "--archive", root, "--json").output)
    assert [(v["stato"], v["reason"]) for v in history] == [
        ("bozza", "draft-created"), ("bozza", "draft-rendered"), ("in verifica", "draft-submitted"),
        ("firmato", "signed"), ("pubblicato", "published"),
    ]
    assert history[0]["pdf_sha256"] == "" and history[1]["pdf_sha256"] not in ("", record["sha256"])
    with Archive.open(root) as arc:
        preview = arc.blobs.get(arc.version("DO-2026-1", 2).pdf)
    assert preview.startswith(b"%PDF") and b"/ByteRange" not in preview  # rendered, never signed
    lines = atti("history", "DO-2026-1", "--archive", root).output.splitlines()
    assert lines[:4] == [lines[0], f"    sorgente {history[0]['source_sha256']}",
                         "    docx     (nessuno: non generato)", "    pdf      (nessuno: non generato)"]
    verified = atti("verify", record["pdf"], "--archive", root, "--json")
    assert verified.exit_code == 0 and json.loads(verified.output)["indication"] == "TOTAL_PASSED"

    second = tmp_path / "second.yaml"
    second.write_text(act.read_text(encoding="utf-8").replace("  Approvazione proroga", "  Seconda proroga", 1),
                      encoding="utf-8")
    assert atti("draft", "save", second, "--archive", root).exit_code == 0
    unsubmitted = atti("publish", "--draft", "bozza-2", "--archive", root)
    assert (unsubmitted.exit_code, unsubmitted.stderr) == (
        6, "Errore: bozza-2 è una bozza: non è stata inviata in verifica dopo l'ultima modifica "
        "(atti draft submit bozza-2)\n")
    assert atti("draft", "submit", "bozza-2", "--archive", root).exit_code == 0
    by_id = atti("publish", "--draft", "bozza-2", "--archive", root, "--json")
    assert by_id.exit_code == 0, by_id.output
    other = json.loads(by_id.stdout)
    assert other["id"] == "DO-2026-2"
    states = [v["stato"] for v in json.loads(atti("history", "DO-2026-2", "--archive", root, "--json").output)]
    assert states == ["bozza", "in verifica", "firmato", "pubblicato"]
    verified = atti("verify", other["pdf"], "--archive", root, "--json")
    assert verified.exit_code == 0 and json.loads(verified.output)["indication"] == "TOTAL_PASSED"
    checked = atti("archive", "verify", "--archive", root)
    assert checked.exit_code == 0, checked.output

    neither = atti("publish", "--archive", root)
    assert neither.exit_code == 2 and "Errore: indica il FILE dell'atto, o --draft ID" in neither.output
    again = atti("draft", "submit", "DO-2026-1", "--archive", root)
    assert (again.exit_code, again.output) == (6, "Errore: DO-2026-1 non è una bozza: è pubblicato\n")
    gone = atti("publish", "--draft", "bozza-1", "--archive", root)
    assert (gone.exit_code, gone.output) == (6, "Errore: nessun atto con id bozza-1 nell'archivio\n")


# -- references linked again ----------------------------------------------------------------------


def delega(register: str = "S.G.", data: str = "2021-06-01") -> str:
    """The act the example's poteri cite without a register: "Determinazione n. 46/2021 dell'01/06/2021"."""
    return (variant(46, oggetto="Delega di funzioni al Direttore Operativo")
            .replace("registro: D.O. ", f"registro: {register} ", 1).replace("data: 2026-05-19", f"data: {data}", 1))


def poteri_citations(arc: Archive, target: str) -> list[tuple[str, str, int, bool]]:
    return [(r.act_id, r.part, r.index, r.present) for r in arc.cited_by(target)]


def test_a_citation_without_register_is_linked_whatever_the_order(tmp_path: Path) -> None:
    later, _ = Archive.create(tmp_path / "later")
    seal(later, TEXT)  # cites the delega before it is archived: no id can be told yet
    assert [(r.index, r.target_id) for r in later.cites("DO-2026-129") if r.part == "poteri"] == [(1, None)]
    seal(later, delega())
    assert poteri_citations(later, "SG-2021-46") == []
    assert later.relink_references() == 1
    assert poteri_citations(later, "SG-2021-46") == [("DO-2026-129", "poteri", 1, True)]
    assert later.relink_references() == 0  # nothing left to link: no new event either
    kinds = [r[0] for r in later.catalog.db.execute("SELECT kind FROM events ORDER BY seq")]  # type: ignore[attr-defined]
    assert kinds == ["published", "published", "references-relinked"]
    assert failures(later) == []

    earlier, _ = Archive.create(tmp_path / "earlier")
    seal(earlier, delega())
    seal(earlier, TEXT)  # the delega is archived already: linked when sealed
    assert poteri_citations(earlier, "SG-2021-46") == poteri_citations(later, "SG-2021-46")
    assert [(r.part, r.index, r.target_id) for r in earlier.cites("DO-2026-129")] == [
        (r.part, r.index, r.target_id) for r in later.cites("DO-2026-129")
    ]
    assert earlier.relink_references() == 0


def test_a_citation_is_never_linked_on_a_guess(archive: Archive) -> None:
    seal(archive, TEXT)
    seal(archive, delega(register="S.G.3", data="2021-06-02"))  # the same number, another date
    assert archive.relink_references() == 0
    seal(archive, delega())
    seal(archive, delega(register="S.G.2"))  # two acts fit the citation now: neither is linked
    assert poteri_citations(archive, "SG-2021-46") == [("SG2-2021-46", "poteri", 1, True)]  # one fit when sealed
    assert archive.relink_references() == 1
    assert poteri_citations(archive, "SG-2021-46") == poteri_citations(archive, "SG2-2021-46") == []
    assert poteri_citations(archive, "SG3-2021-46") == []
    assert failures(archive) == []


@pytest.mark.sqlite_only  # a SQLite catalog of an older schema
def test_an_archive_made_before_schema_3_gets_its_references_when_opened(archive: Archive) -> None:
    seal(archive, TEXT)
    seal(archive, variant(60, oggetto="Approvazione graduatoria prima finestra"))
    expected = [(r.act_id, r.part, r.index, r.target_id) for r in archive.cited_by("DO-2026-60")]
    assert expected
    archive.close()
    raw(archive, "DELETE FROM act_references")
    raw(archive, "DELETE FROM versions")
    raw(archive, "UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Archive.open(archive.location) as arc:
        assert [(r.act_id, r.part, r.index, r.target_id) for r in arc.cited_by("DO-2026-60")] == expected
        assert len(arc.cites("DO-2026-129")) == 18
        assert failures(arc) == []


@pytest.mark.parametrize("command", [["draft"], ["draft", "save"], ["draft", "submit"], ["publish"]])
def test_draft_commands_have_help(atti: Atti, command: list[str]) -> None:
    out = atti(*command, "--help")
    assert out.exit_code == 0 and out.output.startswith("Uso: ")


def test_cli_draft_save_twice_and_bad_ids(atti: Atti, archive: Archive, tmp_path: Path) -> None:
    act = tmp_path / "act.yaml"
    act.write_text(draft_text(), encoding="utf-8")
    root = archive.location
    assert atti("draft", "save", act, "--archive", root).exit_code == 0
    again = atti("draft", "save", act, "--archive", root, "--draft", "bozza-1")
    assert (again.exit_code, again.output.split(":")[0]) == (0, "Bozza bozza-1 invariata (versione 1)")
    unknown = atti("draft", "save", act, "--archive", root, "--draft", "bozza-9")
    assert (unknown.exit_code, unknown.output) == (6, "Errore: nessun atto con id bozza-9 nell'archivio\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("tipo: determinazione\n", encoding="utf-8")
    bad = atti("draft", "save", broken, "--archive", root)
    assert bad.exit_code == 1 and bad.output.startswith(f"{broken}:")
    assert [d.id for d in archive.drafts()] == ["bozza-1"]
