"""The review step (issue 16): who made each version, reviewers' esiti recorded and enforced,
verifiche signed with reviewers' own keys, the development CA only in development mode.

Archive-level tests run on both backends with the example act's real YAML (no rendering); the
end-to-end test renders, signs and verifies through the command line.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from atti import pipeline
from atti.acts import load_act_text
from atti.archive import Archive
from atti.archive.integrity import verify_archive
from atti.archive.storage.postgresql_schema import SCHEMA_VERSION
from atti.archive.visibility import PUBLIC, Viewer, Visible
from atti.config import Settings, load_settings
from atti.errors import ArchiveError, ConfigError

from .conftest import EXAMPLE, Atti
from .pgserver import raw
from .test_proof import assert_signed, assert_unsigned

TEXT = EXAMPLE.read_text(encoding="utf-8")
PASSWORD = "una-password-lunga-e-sicura-42"


def failures(arc: Archive) -> list[str]:
    return [str(f) for f in verify_archive(arc, workers=2).findings if f.fails]


@pytest.fixture()
def archive(archive_location: Path | str) -> Iterator[Archive]:
    arc, _ = Archive.create(archive_location)
    with arc:
        yield arc


def submitted(arc: Archive, actor: str | None = "ufficio") -> str:
    """The example act saved by ``actor`` and submitted: bozza-1, in verifica."""
    record, _ = arc.save_draft(load_act_text(TEXT, "act.yaml", check=False).act, TEXT, actor=actor)
    arc.submit_draft(record.id, actor=actor)
    return record.id


def history(arc: Archive, act_id: str) -> list[tuple[object, ...]]:
    return [(v.version, v.stato, v.reason, v.actor, v.verifica, v.esito, v.note) for v in arc.versions(act_id)]


def test_a_review_is_a_version_with_who_the_verifica_its_esito_and_the_note(archive: Archive) -> None:
    draft = submitted(archive)
    pipeline.review(archive, draft, approve=False, verifica="verifica legale", note="Manca il CIG", actor="pozzoli")
    assert history(archive, draft) == [
        (1, "bozza", "draft-created", "ufficio", None, None, None),
        (2, "in verifica", "draft-submitted", "ufficio", None, None, None),
        (3, "bozza", "draft-reviewed", "pozzoli", "Verifica Legale", "negativo", "Manca il CIG"),
    ]
    # The esito is written into the draft's text, and nothing else changes.
    reviewed = archive.blobs.get(archive.version(draft, 3).source).decode("utf-8")
    changed = [(a, b) for a, b in zip(TEXT.splitlines(), reviewed.splitlines(), strict=True) if a != b]
    assert changed == [("    esito: positivo", "    esito: negativo")]
    assert [v.esito for v in load_act_text(reviewed, "r.yaml", check=False).act.verifiche] == [
        "positivo", "negativo", "positivo"]
    assert failures(archive) == []


def test_reviews_count_only_since_the_draft_was_last_submitted(archive: Archive) -> None:
    draft = submitted(archive)
    pipeline.review(archive, draft, approve=True, verifica="Verifica Legale", actor="pozzoli")
    assert [(v.verifica, v.esito) for v in archive.reviews(draft)] == [("Verifica Legale", "positivo")]
    pipeline.review(archive, draft, approve=False, verifica="Verifica Amministrativa", note="No", actor="cattaneo")
    assert archive.get(draft).stato == "bozza"
    with pytest.raises(ArchiveError, match="bozza-1 è in stato bozza, non in verifica: prima sottoponilo a verifica"):
        pipeline.review(archive, draft, approve=True, verifica="Verifica Legale", actor="pozzoli")
    archive.submit_draft(draft, actor="ufficio")
    assert archive.reviews(draft) == []  # sent back and submitted again: every verifica is reviewed again


def test_a_review_names_a_verifica_of_the_act_and_a_rejection_says_why(archive: Archive) -> None:
    draft = submitted(archive)
    with pytest.raises(ArchiveError) as no_name:
        pipeline.review(archive, draft, approve=True, actor="pozzoli")
    assert no_name.value.msg == (
        "bozza-1 ha 3 verifiche: indica quella esaminata ('Verifica Area Servizi alle Imprese ed al Territorio', "
        "'Verifica Legale', 'Verifica Amministrativa')")
    with pytest.raises(ArchiveError, match="bozza-1 non ha la verifica 'Verifica Contabile'"):
        pipeline.review(archive, draft, approve=True, verifica="Verifica Contabile", actor="pozzoli")
    with pytest.raises(ArchiveError) as no_note:
        pipeline.review(archive, draft, approve=False, verifica="Verifica Legale", note="  ", actor="pozzoli")
    assert no_note.value.msg == "un rifiuto richiede una nota che dica cosa cambiare (--note TESTO)"
    assert len(archive.versions(draft)) == 2  # nothing recorded


def test_a_changed_actor_or_note_is_found_by_archive_verify(archive: Archive) -> None:
    draft = submitted(archive)
    pipeline.review(archive, draft, approve=False, verifica="Verifica Legale", note="Manca il CIG", actor="pozzoli")
    raw(archive, "UPDATE versions SET actor = 'qualcuno' WHERE act_id = 'bozza-1' AND version = 1")
    raw(archive, "UPDATE versions SET note = 'va bene' WHERE act_id = 'bozza-1' AND version = 3")
    assert failures(archive) == [
        "changed: act bozza-1 version 1: actor: modificato dopo che l'evento 3 ha registrato la riga",
        "changed: act bozza-1 version 3: note: modificato dopo che l'evento 3 ha registrato la riga",
    ]


def test_who_made_a_version_is_shown_only_to_those_who_see_drafts(archive: Archive) -> None:
    draft = submitted(archive)
    pipeline.review(archive, draft, approve=False, verifica="Verifica Legale", note="Manca il CIG", actor="pozzoli")
    office = Visible(archive, Viewer(drafts=True)).versions(draft)
    assert [(v.actor, v.note) for v in office] == [("ufficio", None), ("ufficio", None), ("pozzoli", "Manca il CIG")]
    # Without the drafts grant the draft's versions do not exist, and a sealed act's show no actor.
    assert Visible(archive, PUBLIC).versions(draft) == []
    text = TEXT.replace("numero: 129 ", "numero: 1 ")
    act = load_act_text(text, "a.yaml").act
    record = archive.seal(act, source=text, docx=b"docx", pdf=b"%PDF x", firmatario="Fabrizio Ventrice",
                          actor="ventrice")
    assert [v.actor for v in archive.versions(record.id)] == ["ventrice", "ventrice"]
    assert [(v.stato, v.actor) for v in Visible(archive, PUBLIC).versions(record.id)] == [("pubblicato", None)]


def test_publish_refuses_a_bozza_and_unapproved_required_verifiche(archive: Archive, tmp_path: Path) -> None:
    """All refused before rendering: no LibreOffice runs, no number is taken."""
    settings = Settings(archive=tmp_path, required_verifiche={"determinazione": ["Verifica Legale"]})
    record, _ = archive.save_draft(load_act_text(TEXT, "act.yaml", check=False).act, TEXT, actor="ufficio")
    with pytest.raises(ArchiveError) as bozza:
        pipeline.publish(archive, None, settings, draft_id=record.id)
    assert bozza.value.msg == (
        "bozza-1 è una bozza: non è stata inviata in verifica dopo l'ultima modifica (atti draft submit bozza-1)")
    archive.submit_draft(record.id)
    with pytest.raises(ArchiveError) as unapproved:
        pipeline.publish(archive, None, settings, draft_id=record.id)
    assert unapproved.value.msg == (
        "bozza-1 non può essere pubblicato: la verifica 'Verifica Legale' non è stata approvata dall'ultimo invio in "
        "verifica (atti review bozza-1 --approve --verifica 'Verifica Legale')")
    act = tmp_path / "act.yaml"
    act.write_text(TEXT, encoding="utf-8")
    # The file is the draft's text: found as the draft, still unapproved.
    with pytest.raises(ArchiveError, match="'Verifica Legale' non è stata approvata"):
        pipeline.publish(archive, act, settings)
    other = tmp_path / "other.yaml"
    other.write_text(TEXT.replace("  Approvazione proroga", "  Altra proroga", 1), encoding="utf-8")
    with pytest.raises(ArchiveError) as no_draft:
        pipeline.publish(archive, other, settings)
    assert no_draft.value.msg == (
        "una determinazione richiede che le sue verifiche siano approvate prima della pubblicazione: salvala come "
        "bozza (atti draft save), inviala in verifica e falla esaminare (atti review)")
    lacking = Settings(archive=tmp_path, required_verifiche={"determinazione": ["Verifica Contabile"]})
    with pytest.raises(ArchiveError) as missing:
        pipeline.publish(archive, None, lacking, draft_id=record.id)
    assert missing.value.msg == (
        "bozza-1 non ha la verifica 'Verifica Contabile', richiesta per ogni determinazione (required_verifiche)")
    assert archive.catalog.last_number("D.O.", 2026) == 0


def test_an_approved_verifica_needs_its_reviewers_key_outside_development_mode(
    archive: Archive, tmp_path: Path
) -> None:
    from atti.errors import SigningError

    settings = Settings(archive=tmp_path, required_verifiche={"determinazione": ["Verifica Legale"]})
    draft = submitted(archive)
    pipeline.review(archive, draft, approve=True, verifica="Verifica Legale", actor="pozzoli")
    with pytest.raises(SigningError) as keyless:
        pipeline.publish(archive, None, settings, draft_id=draft)
    assert keyless.value.msg == (
        "la verifica 'Verifica Legale' deve essere firmata con la chiave del suo verificatore, Franco Pozzoli: "
        "indicala con --reviewer (la CA di sviluppo firma a suo nome solo in modalità di sviluppo)")


def test_required_verifiche_setting_refuses_an_unknown_tipo_and_reads_json(tmp_path: Path) -> None:
    wrong = Settings(required_verifiche={"determina": ["Verifica Legale"]})
    with pytest.raises(ConfigError) as exc:
        pipeline.required_verifiche(wrong, "determinazione", "Unioncamere Lombardia")
    assert exc.value.msg == (
        "impostazione 'required_verifiche': tipo sconosciuto 'determina' (uno tra determinazione, delibera, decreto, "
        "ordinanza)")
    env = {"ATTI_REQUIRED_VERIFICHE": '{"delibera": ["Verifica Contabile"]}', "ATTI_USER": "ufficio"}
    settings = load_settings(environ=env)
    assert (settings.required_verifiche, settings.user) == ({"delibera": ["Verifica Contabile"]}, "ufficio")
    assert pipeline.required_verifiche(settings, "delibera", "Comune di Esempio").names == ["Verifica Contabile"]
    assert pipeline.required_verifiche(settings, "determinazione", "Comune di Esempio").names == []
    with pytest.raises(ConfigError, match="impostazione 'required_verifiche'"):
        load_settings(environ={"ATTI_REQUIRED_VERIFICHE": "delibera=Verifica"})


# -- required verifiche per body -----------------------------------------------------------------

TWO_BODIES = """\
required_verifiche = {determinazione = ["Verifica Legale"]}

[required_verifiche_by_ente."Unioncamere Lombardia"]
determinazione = ["Verifica Legale", "Verifica Amministrativa"]

[required_verifiche_by_ente."Comune di Esempio"]
determinazione = []
delibera = ["Verifica Contabile"]
"""


def test_required_verifiche_by_ente_gives_each_body_its_own_rule(tmp_path: Path) -> None:
    config = tmp_path / "atti.toml"
    config.write_text(TWO_BODIES, encoding="utf-8")
    settings = load_settings(config_file=config, environ={})

    def names(tipo: str, ente: str) -> tuple[list[str], str, str | None]:
        required = pipeline.required_verifiche(settings, tipo, ente)
        return required.names, required.setting, required.ente

    assert names("determinazione", "Unioncamere Lombardia") == (
        ["Verifica Legale", "Verifica Amministrativa"], "required_verifiche_by_ente", "Unioncamere Lombardia")
    # The body's name in any case and spacing is the same body.
    assert names("determinazione", "unioncamere  LOMBARDIA")[0] == ["Verifica Legale", "Verifica Amministrativa"]
    # An empty list: this body requires none, whatever every body's rule says.
    assert names("determinazione", "Comune di Esempio") == ([], "required_verifiche_by_ente", "Comune di Esempio")
    assert names("delibera", "Comune di Esempio") == (["Verifica Contabile"], "required_verifiche_by_ente",
                                                      "Comune di Esempio")
    # A tipo the body does not name, and a body with no entry, keep every body's rule.
    assert names("delibera", "Unioncamere Lombardia") == ([], "required_verifiche", None)
    assert names("determinazione", "Comune di Altrove") == (["Verifica Legale"], "required_verifiche", None)
    from_env = load_settings(environ={"ATTI_REQUIRED_VERIFICHE_BY_ENTE": '{"Comune di Esempio": {"decreto": ["X"]}}'})
    assert pipeline.required_verifiche(from_env, "decreto", "Comune di Esempio").names == ["X"]


def test_required_verifiche_by_ente_refuses_an_unknown_tipo_and_a_body_named_twice() -> None:
    wrong = Settings(required_verifiche_by_ente={"Comune di Esempio": {"delibere": ["Verifica Contabile"]}})
    with pytest.raises(ConfigError) as exc:
        pipeline.required_verifiche(wrong, "delibera", "Comune di Altrove")  # checked whichever body publishes
    assert exc.value.msg == (
        "impostazione 'required_verifiche_by_ente.Comune di Esempio': tipo sconosciuto 'delibere' "
        "(uno tra determinazione, delibera, decreto, ordinanza)")
    twice = Settings(required_verifiche_by_ente={"Comune di Esempio": {}, "comune di  esempio": {"delibera": ["X"]}})
    with pytest.raises(ConfigError) as exc:
        pipeline.required_verifiche(twice, "delibera", "Comune di Esempio")
    assert exc.value.msg == (
        "impostazione 'required_verifiche_by_ente': 'Comune di Esempio' e 'comune di  esempio' indicano lo stesso "
        "ente")
    with pytest.raises(ConfigError) as shape:
        load_settings({"required_verifiche_by_ente": {"Comune di Esempio": ["Verifica Contabile"]}}, environ={})
    assert shape.value.msg.startswith("impostazione 'required_verifiche_by_ente.Comune di Esempio': ")


def test_publish_applies_the_rule_of_the_acts_body(archive: Archive, tmp_path: Path) -> None:
    """Two bodies in one settings file: each act is held to its own body's verifiche."""
    config = tmp_path / "atti.toml"
    config.write_text(TWO_BODIES, encoding="utf-8")
    settings = load_settings({"archive": str(tmp_path)}, config_file=config, environ={})
    draft = submitted(archive)  # Unioncamere Lombardia: Verifica Amministrativa too
    pipeline.review(archive, draft, approve=True, verifica="Verifica Legale", actor="pozzoli")
    with pytest.raises(ArchiveError) as unapproved:
        pipeline.publish(archive, None, settings, draft_id=draft)
    assert unapproved.value.msg == (
        "bozza-1 non può essere pubblicato: la verifica 'Verifica Amministrativa' non è stata approvata dall'ultimo "
        "invio in verifica (atti review bozza-1 --approve --verifica 'Verifica Amministrativa')")
    # The same act of another body that requires Verifica Contabile of a determinazione.
    stricter = load_settings({"archive": str(tmp_path), "required_verifiche_by_ente": {
        "Unioncamere Lombardia": {"determinazione": ["Verifica Contabile"]}}}, environ={})
    with pytest.raises(ArchiveError) as lacking:
        pipeline.publish(archive, None, stricter, draft_id=draft)
    assert lacking.value.msg == (
        "bozza-1 non ha la verifica 'Verifica Contabile', richiesta per ogni determinazione di Unioncamere Lombardia "
        "(required_verifiche_by_ente)")
    # Comune di Esempio requires no verifica of a determinazione: its act needs no reviewed draft,
    # while the same act of Unioncamere Lombardia does.
    comune = load_act_text(TEXT.replace("nome: Unioncamere Lombardia", "nome: Comune di Esempio", 1), "comune.yaml")
    assert comune.act.ente.nome == "Comune di Esempio"
    assert pipeline._check_reviewed(archive, comune, settings, None) == []
    with pytest.raises(ArchiveError, match=r"^una determinazione richiede che le sue verifiche siano approvate"):
        pipeline._check_reviewed(archive, load_act_text(TEXT, "act.yaml"), settings, None)
    assert archive.catalog.last_number("D.O.", 2026) == 0


def test_cli_review_records_the_as_user_and_history_shows_it(atti: Atti, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    assert atti("init", "--archive", root).exit_code == 0
    assert atti("draft", "save", EXAMPLE, "--archive", root, env={"ATTI_USER": "ufficio"}).exit_code == 0
    assert atti("draft", "submit", "bozza-1", "--archive", root, "--as", "capoufficio").exit_code == 0
    out = atti("review", "bozza-1", "--reject", "--verifica", "Verifica Legale", "--note", "Manca il CIG",
               "--archive", root, "--as", "pozzoli")
    assert (out.exit_code, out.output) == (0, "Bozza bozza-1 versione 3: verifica 'Verifica Legale' negativo, bozza\n")
    neither = atti("review", "bozza-1", "--archive", root)
    assert neither.exit_code == 2 and "indica --approve o --reject" in neither.output
    lines = atti("history", "bozza-1", "--archive", root).output.splitlines()
    heads = [re.sub(r"  \S+T\S+  ", "  WHEN  ", line) for line in lines if line.startswith("bozza-1@")]
    assert heads == [
        "bozza-1@1  WHEN  bozza  (draft-created)  [ufficio]",
        "bozza-1@2  WHEN  in verifica  (draft-submitted)  [capoufficio]",
        "bozza-1@3  WHEN  bozza  (draft-reviewed)  [pozzoli]",
    ]
    assert "    verifica 'Verifica Legale': negativo: Manca il CIG" in lines
    versions = json.loads(atti("history", "bozza-1", "--archive", root, "--json").output)
    assert [(v["actor"], v["verifica"], v["esito"], v["note"]) for v in versions][-1] == (
        "pozzoli", "Verifica Legale", "negativo", "Manca il CIG")


# -- the web: a reviewer's form, with CSRF ---------------------------------------------------------


@pytest.fixture()
def web(archive: Archive) -> Iterator[TestClient]:
    from atti.web import WebConfig, create_app
    from atti.web.users import UserStore

    submitted(archive)
    store = UserStore(archive.state_dir)
    store.add("revisore", "reviewer", PASSWORD)
    store.add("ufficio", "officer", PASSWORD)
    with TestClient(create_app(WebConfig(archive=archive.location))) as client:
        yield client


def _csrf(client: TestClient, path: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert m, f"{path} has no CSRF field"
    return m.group(1)


def _sign_in(client: TestClient, name: str) -> None:
    answer = client.post("/accesso", data={"nome": name, "password": PASSWORD, "csrf": _csrf(client, "/accesso")},
                         follow_redirects=False)
    assert answer.status_code == 303


def test_web_reviewer_rejects_with_a_note_and_the_page_shows_who(web: TestClient, archive: Archive) -> None:
    _sign_in(web, "revisore")
    page = web.get("/atti/bozza-1").text
    assert 'action="/atti/bozza-1/revisione"' in page and "<th scope=\"col\">Chi</th>" in page
    form = {"verifica": "Verifica Legale", "esito": "negativo", "nota": "Manca il CIG"}
    forged = web.post("/atti/bozza-1/revisione", data={**form, "csrf": "falso"}, follow_redirects=False)
    assert forged.status_code == 403
    assert len(archive.versions("bozza-1")) == 2
    token = _csrf(web, "/atti/bozza-1")
    done = web.post("/atti/bozza-1/revisione", data={**form, "csrf": token}, follow_redirects=False)
    assert (done.status_code, done.headers.get("location")) == (303, "/atti/bozza-1#versioni"), done.text[-600:]
    assert history(archive, "bozza-1")[-1] == (
        3, "bozza", "draft-reviewed", "revisore", "Verifica Legale", "negativo", "Manca il CIG")
    page = web.get("/atti/bozza-1").text
    assert "Verifica Legale: esito negativo — Manca il CIG" in page
    assert '<td class="actor">revisore</td>' in page
    assert 'action="/atti/bozza-1/revisione"' not in page  # a bozza is not reviewed


def test_web_rejection_without_a_note_is_refused_on_the_form_itself(web: TestClient, archive: Archive) -> None:
    """The act page again, 400, the error announced, in the title and tied to the note's field
    (WCAG 2.1 SC 3.3.1); the chosen verifica stays chosen, and nothing is recorded."""
    _sign_in(web, "revisore")
    token = _csrf(web, "/atti/bozza-1")
    refused = web.post("/atti/bozza-1/revisione", data={"verifica": "Verifica Legale", "esito": "negativo",
                                                         "nota": "  ", "csrf": token})
    assert refused.status_code == 400
    page = refused.text
    assert "<title>Errore: per respingere serve una nota" in page
    assert re.search(r'<div class="error" id="errore-revisione" role="alert" tabindex="-1" autofocus>', page)
    assert re.search(r'<textarea name="nota" id="nota"[^>]* aria-invalid="true" aria-describedby="errore-revisione"',
                     page)
    assert '<option value="Verifica Legale" selected>' in page
    assert len(archive.versions("bozza-1")) == 2


def test_web_only_a_reviewer_may_review(web: TestClient, archive: Archive) -> None:
    _sign_in(web, "ufficio")
    page = web.get("/atti/bozza-1").text
    assert "revisione" not in page and '<td class="actor">ufficio</td>' in page
    token = _csrf(web, "/")
    refused = web.post("/atti/bozza-1/revisione", data={"verifica": "Verifica Legale", "esito": "positivo",
                                                         "csrf": token})
    assert refused.status_code == 403
    assert len(archive.versions("bozza-1")) == 2


# -- schema 6 from an archive of schema 5 ----------------------------------------------------------


@pytest.mark.sqlite_only  # a SQLite catalog of an older schema
def test_schema_5_archive_gains_actors_with_its_chain_intact(archive: Archive) -> None:
    draft = submitted(archive, actor=None)  # as schema 5 wrote them: no actor
    archive.close()
    with sqlite3.connect(archive.state_dir / "atti.sqlite") as db:
        for column in ("actor", "verifica", "esito", "note"):
            db.execute(f"ALTER TABLE versions DROP COLUMN {column}")
        db.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    with Archive.open(archive.location) as arc:
        assert arc.catalog.db.execute("SELECT value FROM meta").fetchone()[0] == "7"  # type: ignore[attr-defined]
        assert [v.actor for v in arc.versions(draft)] == [None, None]
        assert failures(arc) == []
        pipeline.review(arc, draft, approve=True, verifica="Verifica Legale", actor="pozzoli")
        assert history(arc, draft)[-1][3:] == ("pozzoli", "Verifica Legale", "positivo", None)
        assert failures(arc) == []


def test_postgresql_schema_1_gains_actors_with_its_chain_intact(archive: Archive) -> None:
    if not isinstance(archive.location, str):
        pytest.skip("a PostgreSQL catalog of schema 1: the SQLite one is the test above")
    draft = submitted(archive, actor=None)  # as schema 1 wrote them: no actor
    raw(archive, "ALTER TABLE versions DROP COLUMN actor, DROP COLUMN verifica, DROP COLUMN esito, DROP COLUMN note")
    raw(archive, "UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    location = archive.location
    archive.close()
    with Archive.open(location) as arc:
        assert arc.catalog.schema_version() == SCHEMA_VERSION  # type: ignore[attr-defined]
        assert [v.actor for v in arc.versions(draft)] == [None, None]
        pipeline.review(arc, draft, approve=True, verifica="Verifica Legale", actor="pozzoli")
        assert history(arc, draft)[-1][3:] == ("pozzoli", "Verifica Legale", "positivo", None)
        assert failures(arc) == []


# -- end to end: reject, change, approve by two reviewers with their own keys, publish -------------


@pytest.mark.libreoffice
def test_review_flow_end_to_end_with_reviewers_own_keys(atti: Atti, tmp_path: Path) -> None:
    from atti.signing import DevCA

    root = tmp_path / "archive"
    assert atti("init", "--archive", root).exit_code == 0
    config = tmp_path / "atti.toml"
    config.write_text(f'archive = "{root}"\nrequired_verifiche = {{determinazione = ["Verifica Legale", '
                      '"Verifica Amministrativa"]}\n', encoding="utf-8")
    env = {"ATTI_CONFIG": str(config), "ATTI_DEVELOPMENT": None}  # not in development mode
    # Each one's own PKCS#12 (issued here by the archive's CA; any CA the archive trusts will do).
    ca = DevCA.load(root / "pki")
    pozzoli, cattaneo = ca.signer_for("Franco Pozzoli", "Verifica Legale"), ca.signer_for("Mattia Cattaneo", "x")
    ventrice = ca.signer_for("Fabrizio Ventrice", "Il Direttore Operativo")
    act = tmp_path / "act.yaml"
    act.write_text(TEXT, encoding="utf-8")

    assert atti("draft", "save", act, "--render", "--as", "ufficio", env=env).exit_code == 0
    with Archive.open(root) as arc:  # the rendered preview is an unsigned draft, and looks it
        assert_unsigned(arc.blobs.get(arc.versions("bozza-1")[0].pdf))
    assert atti("draft", "submit", "bozza-1", "--as", "ufficio", env=env).exit_code == 0
    rejected = atti("review", "bozza-1", "--reject", "--verifica", "Verifica Legale", "--note", "Manca il CIG",
                    "--as", "pozzoli", env=env)
    assert rejected.exit_code == 0, rejected.output
    act.write_text(TEXT.replace("  Approvazione proroga", "  Approvazione (CIG 123) proroga", 1), encoding="utf-8")
    assert atti("draft", "save", act, "--draft", "bozza-1", "--as", "ufficio", env=env).exit_code == 0
    assert atti("draft", "submit", "bozza-1", "--as", "ufficio", env=env).exit_code == 0
    early = atti("publish", "--draft", "bozza-1", "--reviewer-p12", pozzoli, "--reviewer-p12", cattaneo, env=env)
    assert (early.exit_code, early.stderr) == (6, (
        "Errore: bozza-1 non può essere pubblicato: la verifica 'Verifica Legale' non è stata approvata dall'ultimo "
        "invio in verifica (atti review bozza-1 --approve --verifica 'Verifica Legale')\n"))
    for who, verifica in (("pozzoli", "Verifica Legale"), ("cattaneo", "Verifica Amministrativa")):
        assert atti("review", "bozza-1", "--approve", "--verifica", verifica, "--as", who, env=env).exit_code == 0
    keyless = atti("publish", "--draft", "bozza-1", "--reviewer-p12", pozzoli, env=env)
    assert keyless.exit_code == 4 and "la verifica 'Verifica Amministrativa' deve essere firmata" in keyless.stderr
    published = atti("publish", "--draft", "bozza-1", "--reviewer-p12", pozzoli, "--reviewer-p12", cattaneo,
                     "--p12", ventrice, "--as", "ventrice", "--json", env=env)
    assert published.exit_code == 0, published.output
    assert "development" not in published.stderr
    record = json.loads(published.stdout)

    report = json.loads(atti("verify", record["pdf"], "--json", env=env).stdout)
    assert report["indication"] == "TOTAL_PASSED"
    assert [(s["field_name"], s["signer"], s["indication"]) for s in report["signatures"]] == [
        ("Verifica2", "Franco Pozzoli", "TOTAL_PASSED"), ("Verifica3", "Mattia Cattaneo", "TOTAL_PASSED"),
        ("Firma", "Fabrizio Ventrice", "TOTAL_PASSED"),
    ]
    versions = json.loads(atti("history", record["id"], "--json", env=env).stdout)
    assert [(v["stato"], v["reason"], v["actor"], v["verifica"], v["esito"]) for v in versions] == [
        ("bozza", "draft-created", "ufficio", None, None),
        ("in verifica", "draft-submitted", "ufficio", None, None),
        ("bozza", "draft-reviewed", "pozzoli", "Verifica Legale", "negativo"),
        ("bozza", "draft-saved", "ufficio", None, None),
        ("in verifica", "draft-submitted", "ufficio", None, None),
        ("in verifica", "draft-reviewed", "pozzoli", "Verifica Legale", "positivo"),
        ("in verifica", "draft-reviewed", "cattaneo", "Verifica Amministrativa", "positivo"),
        ("firmato", "signed", "ventrice", None, None),
        ("pubblicato", "published", "ventrice", None, None),
    ]
    assert versions[2]["note"] == "Manca il CIG"
    checked = atti("archive", "verify", env=env)
    assert checked.exit_code == 0, checked.output
    # The signed PDF says what its YAML says (the reviewed text, numbered), and is no draft.
    proved = atti("proof", record["id"], env=env)
    assert proved.exit_code == 0, proved.output
    with Archive.open(root) as arc:
        assert_signed(arc.blobs.get(arc.get(record["id"]).pdf))


@pytest.mark.libreoffice
def test_development_mode_signs_verifiche_in_reviewers_names_and_says_so(atti: Atti, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    assert atti("init", "--archive", root).exit_code == 0
    from atti.signing import DevCA

    # Outside development mode, with the firmatario's key (here from the archive's CA).
    ventrice = DevCA.load(root / "pki").signer_for("Fabrizio Ventrice", "Il Direttore Operativo")
    plain = atti("publish", EXAMPLE, "--archive", root, "--p12", ventrice, "--json", env={"ATTI_DEVELOPMENT": None})
    assert plain.exit_code == 0, plain.output
    report = json.loads(atti("verify", json.loads(plain.stdout)["pdf"], "--archive", root, "--json").stdout)
    assert [s["field_name"] for s in report["signatures"]] == ["Firma"]  # no reviewer's key, no verifica signed
    second = tmp_path / "second.yaml"
    second.write_text(TEXT.replace("numero: 129 ", "numero: 130 "), encoding="utf-8")
    dev = atti("publish", second, "--archive", root, "--json", env={"ATTI_DEVELOPMENT": "true"})
    assert dev.exit_code == 0, dev.output
    assert dev.stderr == ("Nota: modalità di sviluppo: la CA di sviluppo ha firmato l'atto a nome del firmatario, "
                          "Fabrizio Ventrice: NON è una firma digitale, non per un atto vero\n"
                          "Nota: modalità di sviluppo: la CA di sviluppo ha firmato le verifiche di Roberto Valente, "
                          "Franco Pozzoli, Mattia Cattaneo a loro nome, senza una loro chiave: non per un atto vero\n")
    report = json.loads(atti("verify", json.loads(dev.stdout)["pdf"], "--archive", root, "--json").stdout)
    assert report["indication"] == "TOTAL_PASSED"
    assert [s["field_name"] for s in report["signatures"]] == ["Verifica1", "Verifica2", "Verifica3", "Firma"]
