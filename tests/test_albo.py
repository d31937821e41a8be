"""The Albo pretorio online, esecutività and the publication copy without personal data (issue 20).

End to end through the command line: a delibera that marks personal data is published (the
original and its publication copy both signed and verifying), goes on the albo with the next
number of the registro delle pubblicazioni, becomes executive on the 11th day of publication,
leaves the albo when its period ends (time moved forward) and gets its signed attestato; a
publication is annulled with its reason and never deleted. The rules themselves (numbering,
periods, esecutività for each kind of act, the warnings of check) are tested on the library.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from freezegun import freeze_time

from atti.acts import load_act_text
from atti.acts.personal import (
    OMISSIS,
    has_personal_data,
    likely_personal_data,
    personal_spans,
    plain,
    publication_act,
    redact,
)
from atti.archive import Archive
from atti.archive import albo as albo_register
from atti.archive.esecutivita import declared, esecutivita
from atti.archive.records import ActRecord, BlobRef
from atti.i18n import translate
from atti.templates.pdfcheck import check_pdf
from atti.templates.proof import pdf_text

from .conftest import EXAMPLE, Atti

CANARY_NAME = "Ottavio Canarinetti"
CANARY_CF = "CNRTTV80A01F205X"
CANARY_ADDRESS = "via dei Canarini 17"


def delibera_text(numero: int = 12, *, personal: bool = True, extra: str = "") -> str:
    """The reference act as a delibera of the Giunta whose premesse name a private person."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("tipo: determinazione ", "tipo: delibera ").replace("numero: 129 ", f"numero: {numero} ")
    text = text.replace("organo: Direttore Operativo ", "organo: Giunta ")
    if personal:
        person = (f"  - vista l'istanza del sig. [[{CANARY_NAME}]], codice fiscale [[{CANARY_CF}]], residente in "
                  f"[[{CANARY_ADDRESS}]];\n")
        text = text.replace("premesse:                       # \"Premesso che:\"\n",
                            "premesse:                       # \"Premesso che:\"\n" + person)
    return text + extra


def canaries_in(data: bytes | str) -> list[str]:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = " ".join(text.split())  # a PDF's text breaks lines anywhere
    return [c for c in (CANARY_NAME, CANARY_CF, CANARY_ADDRESS) if c in text]


# -- the act format ------------------------------------------------------------------------------


def test_marked_spans_are_plain_in_the_original_and_omissis_in_the_publication_copy() -> None:
    text = f"l'istanza del sig. [[{CANARY_NAME}]] residente in [[{CANARY_ADDRESS}]]"
    assert plain(text) == f"l'istanza del sig. {CANARY_NAME} residente in {CANARY_ADDRESS}"
    assert redact(text) == f"l'istanza del sig. {OMISSIS} residente in {OMISSIS}"
    act = load_act_text(delibera_text(), "delibera.yaml").act
    assert has_personal_data(act)
    assert personal_spans(act) == [CANARY_NAME, CANARY_CF, CANARY_ADDRESS]
    public = publication_act(act)
    assert not has_personal_data(public)
    assert canaries_in(public.model_dump_json()) == []
    assert not has_personal_data(load_act_text(delibera_text(personal=False), "d.yaml").act)


@pytest.mark.parametrize(("text", "what"), [
    (f"codice fiscale {CANARY_CF}", "a codice fiscale"),
    ("IBAN IT60X0542811101000000123456", "an IBAN"),
    ("scrivere a mario.rossi@example.it", "an e-mail address"),
    ("nato a Milano il 01/02/1980", "a date of birth"),
])
def test_check_warns_of_likely_personal_data_left_unmarked(text: str, what: str, atti: Atti, tmp_path: Path) -> None:
    assert [w for w, _ in likely_personal_data(text)] == [what]
    assert likely_personal_data(f"[[{text}]]") == []  # marked: nothing to warn of
    act = tmp_path / "delibera.yaml"
    act.write_text(delibera_text(personal=False).replace(
        "  - con Determinazione D.O. n. 296", f"  - {text};\n  - con Determinazione D.O. n. 296"), encoding="utf-8")
    checked = atti("check", act)
    assert checked.exit_code == 0, checked.output  # a warning, not a problem
    assert f"sembra {translate(what)}: se è di una persona" in checked.stdout
    assert checked.stdout.endswith(f"{act}: valido\n")
    marked = tmp_path / "marked.yaml"
    # Quoted: a YAML value that starts with "[" is a list.
    marked.write_text(act.read_text(encoding="utf-8").replace(f"  - {text};", f"  - \"[[{text}]];\""),
                      encoding="utf-8")
    assert atti("check", marked).stdout == f"{marked}: valido\n"


# -- esecutività ---------------------------------------------------------------------------------


def record(tipo: str, created: str = "2026-05-19T21:30:00+00:00") -> ActRecord:
    return ActRecord("X-2026-1", "X", 2026, 1, tipo, "Giunta", dt.date(2026, 5, 18), "Comune di Esempio", "o",
                     "Firmatario", "pubblicato", BlobRef("", "yaml"), BlobRef("", "docx"), BlobRef("", "pdf"),
                     created)


class NoAlbo:
    """An archive whose albo holds ``dal`` as the act's publication start, if any."""

    def __init__(self, dal: dt.date | None = None) -> None:
        events = [] if dal is None else [(1, "2026-05-20T08:00:00+00:00", albo_register.PUBLISHED, "X-2026-1", {
            "anno": dal.year, "numero": 1, "dal": dal.isoformat(), "al": (dal + dt.timedelta(14)).isoformat(),
            "giorni": 15})]
        self.catalog = SimpleNamespace(events_of=lambda kinds: [e for e in events if e[2] in kinds])


def test_esecutivita_of_each_kind_of_act() -> None:
    act = load_act_text(EXAMPLE.read_text(encoding="utf-8"), "d.yaml").act  # no verifica contabile
    # 21:30 UTC on 19 May is 23:30 in Rome: still the 19th; 22:30 UTC is the 20th there.
    signed = record("determinazione")
    assert esecutivita(NoAlbo(), signed, act).dal == dt.date(2026, 5, 19)  # type: ignore[arg-type]
    late = record("determinazione", "2026-05-19T22:30:00+00:00")
    assert esecutivita(NoAlbo(), late, act).dal == dt.date(2026, 5, 20)  # type: ignore[arg-type]
    # With spending: from the visto contabile; its date when the act records it (issue 19), else
    # the signature, which it precedes in the same PDF.
    spesa = SimpleNamespace(verifiche=[SimpleNamespace(tipo="Visto di regolarità contabile")], pareri=[])
    e = esecutivita(NoAlbo(), signed, spesa)  # type: ignore[arg-type]
    assert (e.dal, e.norma) == (dt.date(2026, 5, 19), "art. 151 c. 4 e art. 183 c. 7 TUEL")
    # Issue 19's visto_contabile: its data, or the esecutiva_dal it states.
    visto = SimpleNamespace(data=dt.date(2026, 5, 22), esecutiva_dal=None)
    dated = SimpleNamespace(verifiche=[], pareri=[], visto_contabile=visto)
    assert esecutivita(NoAlbo(), signed, dated).dal == dt.date(2026, 5, 22)  # type: ignore[arg-type]
    visto.esecutiva_dal = dt.date(2026, 5, 25)
    assert esecutivita(NoAlbo(), signed, dated).dal == dt.date(2026, 5, 25)  # type: ignore[arg-type]
    # A delibera: not before its publication; then from the 11th day of it (art. 134 c. 3 TUEL).
    delibera = record("delibera")
    waiting = esecutivita(NoAlbo(), delibera, act)  # type: ignore[arg-type]
    assert waiting.dal is None and "non ancora pubblicata" in waiting.motivo
    published = esecutivita(NoAlbo(dt.date(2026, 5, 20)), delibera, act)  # type: ignore[arg-type]
    assert (published.dal, published.norma) == (dt.date(2026, 5, 30), "art. 134 c. 3 TUEL")
    # Declared immediately executable (art. 134 c. 4): at once, from the seduta that adopted it.
    # Issue 19's shape: the separate vote that declared it, and the seduta that adopted it.
    vote = SimpleNamespace(votazione=SimpleNamespace(unanimita=True), motivazione="urgenza")
    immediate = SimpleNamespace(immediata_eseguibilita=vote, seduta=SimpleNamespace(data=dt.date(2026, 5, 15)),
                                verifiche=[], pareri=[])
    assert not declared(SimpleNamespace(immediata_eseguibilita=None, verifiche=[])).immediatamente_eseguibile
    assert declared(immediate).immediatamente_eseguibile
    now = esecutivita(NoAlbo(dt.date(2026, 5, 20)), delibera, immediate)  # type: ignore[arg-type]
    assert (now.dal, now.norma) == (dt.date(2026, 5, 15), "art. 134 c. 4 TUEL")
    assert esecutivita(NoAlbo(), record("ordinanza"), act).dal == dt.date(2026, 5, 19)  # type: ignore[arg-type]


# -- end to end ----------------------------------------------------------------------------------


def verified(atti: Atti, root: Path, pdf: Path) -> dict[str, object]:
    report = json.loads(atti("verify", pdf, "--archive", root, "--json").stdout)
    assert report["indication"] == "TOTAL_PASSED", report
    return report  # type: ignore[no-any-return]


@pytest.mark.libreoffice
def test_a_delibera_with_personal_data_through_the_albo(atti: Atti, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    assert atti("init", "--archive", root).exit_code == 0
    source = tmp_path / "delibera.yaml"
    source.write_text(delibera_text(), encoding="utf-8")
    published = atti("publish", source, "--archive", root, "--development", "--json")
    assert published.exit_code == 0, published.output
    assert "copia per la pubblicazione" in published.stderr
    act_id = json.loads(published.stdout)["id"]
    assert canaries_in(published.stdout) == []
    original = Path(json.loads(published.stdout)["pdf"])

    # The original says every word and verifies; the publication copy, its own signed PDF/A, says
    # [omissis] instead and verifies too.
    verified(atti, root, original)
    assert canaries_in(pdf_text(original.read_bytes())) == [CANARY_NAME, CANARY_CF, CANARY_ADDRESS]
    with Archive.open(root) as arc:
        copy_ref = albo_register.publication_copy(arc, act_id)
        assert copy_ref is not None and copy_ref != arc.get(act_id).pdf
        assert albo_register.publication_pdf(arc, arc.get(act_id)) == copy_ref
        copy = tmp_path / "copia.pdf"
        copy.write_bytes(arc.blobs.get(copy_ref))
        assert canaries_in(arc.get(act_id).oggetto + " ".join(h.snippet for h in arc.search("istanza"))) == []
    verified(atti, root, copy)
    copy_text = pdf_text(copy.read_bytes())
    assert canaries_in(copy_text) == [] and OMISSIS in copy_text
    assert canaries_in(copy.read_bytes()) == []  # nor in its attachments or metadata
    report = check_pdf(copy.read_bytes())
    assert report.passed and report.pdfa == "PDF/A-2B" and report.attachments == ()  # not the act's YAML

    # Not yet published: a delibera is not executive yet.
    shown = json.loads(atti("show", act_id, "--archive", root, "--json").stdout)
    assert shown["esecutivita"]["dal"] is None and shown["albo"] == []

    start = albo_register.today() + dt.timedelta(days=1)
    with freeze_time(dt.datetime.combine(start, dt.time(9, 0)), tick=True):
        on = atti("albo", "pubblica", act_id, "--archive", root, "--as", "messo", "--json")
    assert on.exit_code == 0, on.output
    pub = json.loads(on.stdout)
    end = start + dt.timedelta(days=14)  # 15 consecutive days, the first and the last included
    assert (pub["numero"], pub["anno"], pub["dal"], pub["al"]) == (1, start.year, start.isoformat(), end.isoformat())
    assert pub["url"] == f"/albo/{start.year}/1"
    again = atti("albo", "pubblica", act_id, "--archive", root)
    assert again.exit_code != 0 and again.stderr.startswith("Errore: ") and "è già all'albo" in again.stderr

    shown = json.loads(atti("show", act_id, "--archive", root, "--json").stdout)
    assert shown["esecutivita"]["dal"] == (start + dt.timedelta(days=10)).isoformat()  # the 11th day
    assert shown["esecutivita"]["norma"] == "art. 134 c. 3 TUEL"
    text = atti("show", act_id, "--archive", root).stdout
    assert f"esecutivita: dal {start + dt.timedelta(days=10):%d/%m/%Y}: dall'11° giorno" in text
    assert f"albo: 1/{start.year} dal {start:%d/%m/%Y} al {end:%d/%m/%Y}" in text

    env = {"ATTI_ALBO_RESPONSABILE": "Giulia Albertini"}
    with freeze_time(dt.datetime.combine(end, dt.time(12, 0)), tick=True):
        listed = json.loads(atti("albo", "elenco", "--archive", root, "--json").stdout)
        assert [p["act_id"] for p in listed] == [act_id]  # the last day still counts
        early = atti("albo", "attesta", "--archive", root, "--development", env=env)
        assert early.stdout == "Nessuna pubblicazione attende il suo attestato.\n"
    # Time moved forward: the period has ended, the act leaves the albo (not the archive).
    with freeze_time(dt.datetime.combine(end + dt.timedelta(days=1), dt.time(8, 0)), tick=True):
        assert json.loads(atti("albo", "elenco", "--archive", root, "--json").stdout) == []
        made = atti("albo", "attesta", "--archive", root, "--development", "--json", env=env)
        assert made.exit_code == 0, made.output
        [attested] = json.loads(made.stdout)
        assert attested["stato"] == "conclusa" and attested["attestato_sha256"]
        attestato = Path(attested["pdf"])
        report = verified(atti, root, attestato)
        assert report["signer"] == "Giulia Albertini"
        checked_pdf = check_pdf(attestato.read_bytes())
        assert checked_pdf.passed and checked_pdf.pdfa == "PDF/A-2B"
        words = pdf_text(attestato.read_bytes())
        assert "ATTESTATO DI PUBBLICAZIONE" in words and f"dal {start:%d/%m/%Y} al {end:%d/%m/%Y}" in words
        assert canaries_in(words) == []
        # Made once: a second run finds nothing to do.
        assert atti("albo", "attesta", "--archive", root, "--development", env=env).stdout.startswith("Nessuna ")
        whole = json.loads(atti("albo", "elenco", "--tutte", "--archive", root, "--json").stdout)
        assert [(p["numero"], p["stato"], p["attestato_sha256"]) for p in whole] == [
            (1, "conclusa", attested["attestato_sha256"])]

    # Annulled with its reason, never deleted; the act may be published again under a new number.
    refused = atti("albo", "annulla", f"1/{start.year}", "--archive", root, "--motivo", "  ")
    assert refused.exit_code != 0 and "motivo" in refused.stderr
    annulled = atti("albo", "annulla", f"1/{start.year}", "--archive", root, "--motivo", "pubblicato per errore")
    assert annulled.exit_code == 0, annulled.output
    republished = json.loads(atti("albo", "pubblica", act_id, "--archive", root, "--giorni", "30", "--json").stdout)
    assert (republished["numero"], republished["giorni"]) == (2, 30)
    whole = json.loads(atti("albo", "elenco", "--tutte", "--archive", root, "--json").stdout)
    assert [(p["numero"], p["stato"], p["motivo"]) for p in whole] == [
        (2, "in pubblicazione", None), (1, "annullata", "pubblicato per errore")]
    # The register is the event chain's: the archive verifies, attestato and copy included.
    checked = atti("archive", "verify", "--archive", root)
    assert checked.exit_code == 0, checked.output

    # On the web: the act shows its period, its esecutività and its attestato, which anyone may download.
    from starlette.testclient import TestClient

    from atti.web import WebConfig, create_app

    with TestClient(create_app(WebConfig(archive=root))) as client:
        page = client.get(f"/atti/{act_id}").text
        assert f'href="/albo/{start.year}/1/attestato.pdf"' in page and "annullata" in page
        assert f"dal {start:%d/%m/%Y} al {end:%d/%m/%Y}" in page
        assert canaries_in(page) == [] and OMISSIS in page
        assert client.get(f"/albo/{start.year}/1/attestato.pdf").content == attestato.read_bytes()
        assert client.get(f"/atti/{act_id}/pdf").content == copy.read_bytes()


# -- the register, on both backends ----------------------------------------------------------------


def stand_in_pdf(title: str) -> bytes:
    import io

    import pikepdf

    doc = pikepdf.new()
    doc.add_blank_page()
    doc.docinfo["/Title"] = title
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def sealed(arc: Archive, numero: int, *, tipo: str = "determinazione", riservato: bool = False) -> str:
    text = EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", f"numero: {numero} ")
    text = text.replace("tipo: determinazione ", f"tipo: {tipo} ") + ("\nriservato: true\n" if riservato else "")
    act = load_act_text(text, "act.yaml", check=False).act
    return arc.seal(act, source=text, docx=b"docx", pdf=stand_in_pdf(f"act {numero}"), firmatario="F. V.").id


def test_the_register_runs_without_gaps_in_each_year_and_keeps_every_entry(
    archive_location: Path | str, atti: Atti,
) -> None:
    from atti import pipeline

    pipeline.init_archive(archive_location)
    with Archive.open(archive_location) as arc:
        first, second, third = sealed(arc, 1), sealed(arc, 2), sealed(arc, 3)
        reserved = sealed(arc, 4, riservato=True)
        # (Dates given, not the clock moved: S3 refuses requests signed at another time.)
        a = albo_register.publish(arc, first, dal=dt.date(2026, 12, 20))
        b = albo_register.publish(arc, second, giorni=20, dal=dt.date(2026, 12, 20))
        assert [(p.numero, p.anno) for p in (a, b)] == [(1, 2026), (2, 2026)]
        assert b.al == dt.date(2027, 1, 8)  # 20 consecutive days, across the new year
        c = albo_register.publish(arc, third, dal=dt.date(2027, 1, 1))
        assert (c.numero, c.anno, c.dal) == (1, 2027, dt.date(2027, 1, 1))  # the new year's register
        assert albo_register.annul(arc, 2026, 1, "errore materiale").stato() == albo_register.ANNULLATA
        again = albo_register.publish(arc, first, dal=dt.date(2027, 1, 2))
        assert (again.numero, again.anno) == (2, 2027)
        entries = [(p.anno, p.numero, p.act_id, p.motivo) for p in albo_register.publications(arc)]
        assert entries == [(2026, 1, first, "errore materiale"), (2026, 2, second, None), (2027, 1, third, None),
                           (2027, 2, first, None)]
        assert arc.catalog.verify_events() == [] and arc.catalog.verify_rows() == []
    location = str(archive_location)
    for args, message in [
        (("pubblica", reserved), f"Errore: {reserved} è riservato: un atto riservato non si pubblica mai all'albo\n"),
        (("annulla", "9/2026", "--motivo", "x"),
         "Errore: nessuna pubblicazione 9/2026 nel registro delle pubblicazioni\n"),
        (("annulla", "uno", "--motivo", "x"),
         "Errore: 'uno' non è una pubblicazione dell'albo: scrivine numero e anno, ad esempio 15/2026\n"),
        (("annulla", "1/2026", "--motivo", "x"),
         "Errore: la pubblicazione 1/2026 è già annullata (errore materiale)\n"),
    ]:
        refused = atti("albo", *args, "--archive", location)
        assert (refused.exit_code != 0, refused.stdout, refused.stderr) == (True, "", message)
    assert atti("albo", "pubblica", first, "--giorni", "0", "--archive", location).exit_code == 2


def test_days_are_counted_in_europe_rome() -> None:
    # 23:30 UTC on 31 December is already 1 January in Rome: a publication starts in the new year.
    with freeze_time("2026-12-31 23:30:00"):
        assert albo_register.today() == dt.date(2027, 1, 1)
    with freeze_time("2026-06-30 21:59:00"):  # 23:59 in Rome, summer time
        assert albo_register.today() == dt.date(2026, 6, 30)
    assert albo_register.rome_date("2026-06-30T22:00:00+00:00") == dt.date(2026, 7, 1)


def test_a_changed_register_entry_breaks_the_chain(tmp_path: Path) -> None:
    from atti import pipeline

    pipeline.init_archive(tmp_path)
    with Archive.open(tmp_path) as arc:
        pub = albo_register.publish(arc, sealed(arc, 1), giorni=15)
        assert arc.catalog.verify_events() == []
        # Someone lengthens the period in the database itself: the event's hash no longer holds.
        arc.catalog.db.execute(  # type: ignore[attr-defined]
            "UPDATE events SET payload = replace(payload, ?, ?) WHERE kind = 'albo-published'",
            (pub.al.isoformat(), (pub.al + dt.timedelta(days=30)).isoformat()),
        )
        assert arc.catalog.verify_events() and "contenuto modificato" in arc.catalog.verify_events()[0]


def test_automatic_publication_by_body_and_tipo() -> None:
    from atti import pipeline
    from atti.config import Settings

    every = Settings(albo_automatico=["delibera"])
    assert pipeline.albo_automatico(every, "Comune di Esempio") == ["delibera"]
    by_body = Settings(albo_automatico=["delibera"], albo_automatico_by_ente={"Comune  di ESEMPIO": ["ordinanza"]})
    assert pipeline.albo_automatico(by_body, "comune di esempio") == ["ordinanza"]
    assert pipeline.albo_automatico(by_body, "Comune di Altrove") == ["delibera"]


@pytest.mark.libreoffice
def test_publish_puts_the_tipi_the_settings_name_on_the_albo(atti: Atti, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    assert atti("init", "--archive", root).exit_code == 0
    env = {"ATTI_ALBO_AUTOMATICO": "delibera, ordinanza"}
    determinazione = atti("publish", EXAMPLE, "--archive", root, "--development", "--json", env=env)
    assert determinazione.exit_code == 0 and "albo" not in determinazione.stderr
    source = tmp_path / "delibera.yaml"
    source.write_text(delibera_text(130, personal=False), encoding="utf-8")
    delibera = atti("publish", source, "--archive", root, "--development", "--json", env=env)
    assert delibera.exit_code == 0, delibera.output
    assert "Nota: pubblicato all'albo come 1/" in delibera.stderr
    listed = json.loads(atti("albo", "elenco", "--archive", root, "--json").stdout)
    assert [p["act_id"] for p in listed] == [json.loads(delibera.stdout)["id"]]
    assert [p["giorni"] for p in listed] == [15]


@pytest.mark.libreoffice
def test_a_missing_publication_copy_is_made_afterwards(atti: Atti, tmp_path: Path) -> None:
    from atti import pipeline

    root = tmp_path / "archive"
    pipeline.init_archive(root)
    text = delibera_text()
    with Archive.open(root) as arc:  # sealed, but its copy never made (say the disk filled up then)
        act = load_act_text(text, "delibera.yaml", check=False).act
        act_id = arc.seal(act, source=text, docx=b"docx", pdf=stand_in_pdf("original"), firmatario="F. V.").id
        plain_id = sealed(arc, 13)
    refused = atti("albo", "pubblica", act_id, "--archive", root)
    assert refused.stderr == (f"Errore: {act_id} contiene dati personali ma non ha una copia per la pubblicazione: "
                              f"preparala prima (atti albo copia {act_id})\n")
    made = atti("albo", "copia", act_id, "--archive", root, "--development")
    assert made.exit_code == 0, made.output
    copy = Path(made.stdout.rpartition(": ")[2].strip())
    report = verified(atti, root, copy)
    assert report["signer"] == "Fabrizio Ventrice"
    assert canaries_in(pdf_text(copy.read_bytes())) == [] and OMISSIS in pdf_text(copy.read_bytes())
    assert atti("albo", "pubblica", act_id, "--archive", root).exit_code == 0
    none = atti("albo", "copia", plain_id, "--archive", root, "--development")
    assert none.stderr == f"Errore: {plain_id} non marca dati personali: al pubblico si dà l'atto stesso\n"


def test_the_register_moves_with_the_archive_to_postgresql(tmp_path: Path, pg_url: str) -> None:
    from atti import pipeline
    from atti.archive.integrity import verify_archive
    from atti.archive.migrate import migrate

    root = tmp_path / "archive"
    pipeline.init_archive(root)
    text = delibera_text()
    with Archive.open(root) as arc:
        personal = arc.seal(load_act_text(text, "d.yaml", check=False).act, source=text, docx=b"docx",
                            pdf=stand_in_pdf("original"), firmatario="F. V.").id
        albo_register.add_publication_copy(arc, personal, stand_in_pdf("copia [omissis]"))
        other = sealed(arc, 13)
        ended = albo_register.publish(arc, personal, dal=albo_register.today() - dt.timedelta(days=40))
        albo_register.attest(arc, ended.anno, ended.numero, stand_in_pdf("attestato"))
        albo_register.publish(arc, other)
        albo_register.annul(arc, ended.anno, ended.numero + 1, "errore")
        before = albo_register.publications(arc)
    migrate(root, pg_url)
    with Archive.open(pg_url) as arc:
        assert albo_register.publications(arc) == before
        copy = albo_register.publication_copy(arc, personal)
        assert copy is not None and arc.blobs.exists(copy)
        attestato = albo_register.publication(arc, ended.anno, ended.numero).attestato
        assert attestato is not None and arc.blobs.exists(attestato)
        assert verify_archive(arc).ok


def test_attesta_needs_the_responsible_officer(tmp_path: Path, atti: Atti) -> None:
    from atti import pipeline

    pipeline.init_archive(tmp_path)
    with Archive.open(tmp_path) as arc:
        nothing = atti("albo", "attesta", "--archive", tmp_path, "--development")
        assert (nothing.exit_code, nothing.stdout) == (0, "Nessuna pubblicazione attende il suo attestato.\n")
        soon = albo_register.publish(arc, sealed(arc, 1), dal=albo_register.today() + dt.timedelta(days=3))
        assert soon.stato() == albo_register.PROGRAMMATA
        albo_register.publish(arc, sealed(arc, 2), dal=albo_register.today() - dt.timedelta(days=20))
        assert [p.numero for p in albo_register.due_attestati(arc)] == [2]
    refused = atti("albo", "attesta", "--archive", tmp_path, "--development")
    assert refused.stderr == ("Errore: imposta albo_responsabile: il responsabile che firma gli attestati di "
                              "pubblicazione\n")
    assert refused.exit_code != 0
