"""atti import on real acts of Italian bodies (tests/data/import/corpus.yaml): every one is read,
no word lost, its identity as a person reads it, fragments reported as such.

Text only (no LibreOffice): the PDF side is measured by bench/import.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from atti.acts.importer import import_bytes, import_file
from atti.acts.loader import load_act
from tests.conftest import Atti
from tests.import_corpus import TARGETS, Case, accuracy, load_corpus, score
from tests.test_import import output_words, words

CASES = load_corpus()
# the words the importer writes itself where the text has nothing: the placeholder of a missing part
PLACEHOLDER = Counter({"da": 99, "completare": 99})


def test_the_corpus_is_real_acts_of_many_bodies() -> None:
    files = {c.file for c in CASES}
    assert len(CASES) >= 40 and len(files) == len(CASES)
    assert files == {p.name for p in (Path(__file__).parent / "data" / "import" / "real").glob("*.txt")}
    assert len({c.expected["body"] for c in CASES}) >= 15
    assert all(c.expected["url"].startswith("http") for c in CASES)
    assert {c.expected["tipo"] for c in CASES} == {"determinazione", "delibera", "decreto", "ordinanza"}
    assert 8 <= sum(c.heldout for c in CASES) <= 12  # about a quarter held out of development


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_a_real_act_is_read_with_no_word_lost(case: Case) -> None:
    result = import_file(case.path)
    doc = yaml.safe_load(result.yaml)
    expected, got = words(case.path.read_text(encoding="utf-8")), output_words(doc)
    assert expected - got == Counter(), "words of the input missing from the output"
    assert (got - expected) - PLACEHOLDER == Counter(), "words in the output that the input does not have"


@pytest.mark.parametrize("case", [c for c in CASES if not c.expected["dispositivo"]], ids=lambda c: c.file)
def test_a_fragment_says_what_it_lacks(case: Case) -> None:
    result = import_file(case.path)
    assert "dispositivo" in result.missing
    assert any("frammento" in w and "dispositivo" in w for w in result.warnings)


def test_identity_and_dispositivo_are_read_as_a_person_reads_them() -> None:
    """numero, data, tipo and dispositivo right on at least 95% of the whole corpus, the held-out
    quarter included (bench/import.py prints every field, for each part)."""
    rows = [score(c, import_file(c.path)) for c in CASES]
    shares = accuracy(rows)
    low = {k: f"{shares[k]:.0%}" for k in TARGETS if (shares[k] or 0) < 0.95}
    assert low == {}, f"fields read right on less than 95% of the acts: {low}"


def test_a_cited_act_never_gives_its_number() -> None:
    """The texts whose head cites acts, laws and bulletins with numbers: the act's own number only."""
    cited = {"regione_campania_dca_68_2015.txt": 68, "comune_castenaso_cc_68_2017.txt": 68,
             "regione_veneto_dgr_2284_2013.txt": 2284, "aou_senese_delibera_statuto.txt": None,
             "regione_er_assemblea_det_733_2017.txt": 733, "universita_firenze_dr_2002.txt": None}
    got = {name: import_file(case_path(name)).act.numero for name in cited}
    assert got == cited


def test_cli_imports_a_fragment_and_warns_what_it_lacks(atti: Atti, tmp_path: Path) -> None:
    out = tmp_path / "atto.yaml"
    result = atti("import", case_path("comune_sardigliano_gm_8_2015.txt"), "-o", out)
    assert result.exit_code == 0, result.output
    assert "un frammento: il testo finisce prima della parte dispositiva" in result.output
    act = load_act(out).act
    assert (act.tipo.value, act.organo, act.numero, act.data.isoformat()) == (
        "delibera", "Giunta Municipale", 8, "2015-09-11")
    report = json.loads(atti("import", case_path("regione_fvg_decreto_176_2013.txt"), "--json").stdout)
    assert any("dispositivo" in w for w in report["warnings"])


def case_path(name: str) -> Path:
    return next(c.path for c in CASES if c.file == name)


# -- forms of real acts beyond the corpus: each one a rule of how Italian acts are written --------

FORMS = [
    pytest.param("COMUNE DI X\nDETERMINAZIONE DIRIGENZIALE N° 45 DEL 12-03-2024\nOGGETTO: spesa\nIL DIRIGENTE\n"
                 "Visto il d.lgs. n. 267/2000;\nDETERMINA di approvare la spesa;\nIl Dirigente\nMario Rossi\n",
                 ("determinazione", "Dirigente", 45, "2024-03-12", 1), id="N°-dashes-verb-inline"),
    pytest.param("REGIONE PIEMONTE\nD.G.R. 12 marzo 2024, n. 5-8341\nOggetto: prova\nLa Giunta regionale\n"
                 "visto il decreto;\na voti unanimi espressi nelle forme di legge\ndelibera\n- di approvare;\n",
                 ("delibera", "Giunta Regionale", 8341, "2024-03-12", 1), id="DGR-date-first-sitting-number-vote"),
    pytest.param("UNIVERSITÀ DEGLI STUDI DI X\nDECRETO RETTORALE Prot. n. 56789 Rep. n. 1234/2024 del 12/03/2024\n"
                 "IL RETTORE\nVISTO lo Statuto;\nDECRETA\nArt. 1\nÈ emanato il regolamento.\nArt. 2\n"
                 "Il presente decreto è pubblicato.\nRoma, 12 marzo 2024\nIL RETTORE\nf.to Anna Bianchi\n",
                 ("decreto", "Rettore", 1234, "2024-03-12", 2), id="protocol-before-repertorio-articles"),
    pytest.param("REGIONE SICILIANA\nD.D.G. n. 1234 del 5 aprile 2023\nIL DIRIGENTE GENERALE\nVISTO lo Statuto;\n"
                 "DECRETA\nArt. 1 - È approvato il bando.\n",
                 ("decreto", "Dirigente Generale", 1234, "2023-04-05", 1), id="DDG"),
    pytest.param("COMUNE DI Y\nVERBALE DI DELIBERAZIONE DELLA GIUNTA COMUNALE\nN. 12 del 03.04.2024\n"
                 "OGGETTO: approvazione\nLA GIUNTA COMUNALE\nPREMESSO CHE il comune ha chiesto il contributo;\n"
                 "Con voti unanimi favorevoli espressi nelle forme di legge\nD E L I B E R A\n1) di approvare;\n"
                 "2) di dichiarare immediatamente eseguibile.\nLetto, approvato e sottoscritto\nIL SINDACO\n"
                 "Mario Rossi\nCERTIFICATO DI PUBBLICAZIONE\nSi certifica che la presente è pubblicata.\n",
                 ("delibera", "Giunta Comunale", 12, "2024-04-03", 2), id="minutes-number-next-line-closing"),
    pytest.param("AZIENDA ULSS 9\nPROVVEDIMENTO DEL DIRIGENTE RESPONSABILE N. 77 del giorno 4 maggio 2022\n"
                 "Richiamata la delibera n. 12 del 2021;\nDISPONE\n- di liquidare la fattura.\n",
                 ("determinazione", "Dirigente Responsabile", 77, "2022-05-04", 1), id="provvedimento-del-giorno"),
    pytest.param("COMUNE DI Z\nDETERMINAZIONE DEL SETTORE 3 - LAVORI PUBBLICI\n"
                 "Registro Generale n. 678 del 02/02/2023\nVisto il bilancio;\nDETERMINA\n"
                 "1. di affidare il servizio.\n",
                 ("determinazione", "Settore 3 - Lavori Pubblici", 678, "2023-02-02", 1),
                 id="only-the-general-register"),
    pytest.param("Regione X Il Presidente Commissario ad acta DECRETO n. 9 del 3.2.2020 OGGETTO: riparto\n"
                 "VISTO il decreto-legge n. 159/2007;\nDECRETA\n- di ripartire il fondo.\n",
                 ("decreto", "Presidente Commissario ad acta", 9, "2020-02-03", 1), id="issuer-before-the-kind"),
]


def test_items_without_semicolons_stay_apart_and_a_broken_line_joins_its_item() -> None:
    text = ("COMUNE DI X\nDETERMINAZIONE N. 4 DEL 01/02/2024\nIL DIRIGENTE\nVisti:\n"
            "- il decreto legislativo 18 agosto 2000 n. 267 sull'ordinamento degli enti locali\n"
            "- lo statuto comunale approvato con deliberazione della Giunta Comunale\n\nN. 37 del 2019;\n"
            "DETERMINA\n- di approvare il progetto esecutivo dei lavori di manutenzione\n"
            "- di impegnare la spesa sul capitolo del bilancio corrente\n")
    act = import_bytes(text.encode("utf-8"), "det.txt").act
    assert len(act.visti) == 2 and act.visti[1].endswith("Giunta Comunale N. 37 del 2019;")
    assert len(act.dispositivo.punti) == 2


def test_the_letterhead_and_the_title_on_one_line() -> None:
    text = ("COMUNE DI LECCO                     DETERMINAZIONE N. 5 DEL 1/2/2024\nOGGETTO: prova\nIL DIRIGENTE\n"
            "Visto il D.Lgs. 18 agosto 2000, n. 267;\nDETERMINA\n1. di approvare.\nIL DIRIGENTE\nMario Rossi\n")
    result = import_bytes(text.encode("utf-8"), "det.txt")
    assert (result.act.ente.nome, result.act.numero, result.missing) == ("COMUNE DI LECCO", 5, [])


@pytest.mark.parametrize(("printed", "numero", "registro"), [
    ("N. 45-2024", 45, None), ("n. SG/45", 45, "SG"), ("n. 2024/123", 123, None), ("n. XI/1234", 1234, None),
    ("n. 45/2024", 45, None), ("N° G00083", 83, "G"), ("n. 0176 / Pres.", 176, "Pres"), ("123/2024", 123, None),
    ("45", 45, None),
])
def test_numbers_in_every_form(printed: str, numero: int | None, registro: str | None) -> None:
    text = f"ENTE X\nDECRETO {printed} del 01/02/2024\nOGGETTO: x\nVisto il d.lgs. 267/2000;\nDECRETA\n1. di fare.\n"
    act = import_bytes(text.encode("utf-8"), "x.txt").act
    assert act.numero == numero  # a bare number right after the kind, with its year or its date
    assert registro is None or act.registro == registro


def test_a_number_printed_only_after_the_signatures() -> None:
    text = ("COMUNE DI X\nIL DIRIGENTE\nVisto il TUEL;\nDETERMINA\n1. di approvare.\nIL DIRIGENTE\nMario Rossi\n\n"
            "Determinazione n. 45 del 12/03/2024\n")
    result = import_bytes(text.encode("utf-8"), "det.txt")
    assert (result.act.numero, str(result.act.data), result.act.non_classificato) == (45, "2024-03-12", [])
    assert "data" not in result.guessed


# a Giunta's minutes as such software prints them, whole: made up in the form of real ones
FULL_MINUTES = (Path(__file__).parent / "data" / "import" / "forms" / "giunta_verbale_completo.txt").read_text(
    encoding="utf-8")


def test_the_minutes_of_a_giunta_from_the_head_to_the_certificate_of_publication() -> None:
    result = import_bytes(FULL_MINUTES.encode("utf-8"), "verbale.txt")
    act = result.act
    assert (act.tipo.value, act.organo, act.numero, str(act.data)) == ("delibera", "Giunta Comunale", 45, "2024-03-12")
    assert (len(act.premesse), len(act.visti), len(act.dispositivo.punti)) == (1, 2, 2)
    assert [(p.tipo, p.esito) for p in act.pareri] == [("Parere di regolarità tecnica", "favorevole")]
    assert (act.firmatario.nome, act.firmatario.qualifica) == ("Mario Rossi", "IL SINDACO")  # two columns
    unplaced = [r.testo for r in act.non_classificato]
    assert "CERTIFICATO DI PUBBLICAZIONE" in unplaced and "Letto, confermato e sottoscritto." in unplaced
    assert result.missing == [] and result.warnings == []
    expected, got = words(FULL_MINUTES), output_words(yaml.safe_load(result.yaml))
    assert expected - got == Counter() and got - expected == Counter()


def test_a_transcripts_page_number_before_the_pages_first_words() -> None:
    result = import_file(case_path("regione_fvg_decreto_176_2013.txt"))
    assert len(result.act.visti) == 3 and result.act.visti[0].startswith("la legge 29 dicembre 1993")
    assert [r.testo for r in result.act.importazione.intestazioni_pagina] == ["1", "2"]
    assert result.act.numero == 176


def test_a_number_line_before_the_title_and_a_date_line_after_the_dispositivo() -> None:
    text = ("COMUNE DI X\nAtto n. 45 del 12-mar-2024\nDETERMINAZIONE DEL SINDACO\nVisto il TUEL;\nDETERMINA\n"
            "1. di approvare.\nLì 12/03/2024\nIL SINDACO\nMario Rossi\n")
    act = import_bytes(text.encode("utf-8"), "x.txt").act
    assert (act.numero, str(act.data), act.dispositivo.punti, act.non_classificato) == (
        45, "2024-03-12", ["di approvare."], [])


def test_a_long_subject_naming_a_determina_a_contrarre_stays_whole() -> None:
    subject = ("OGGETTO: AFFIDAMENTO DEL SERVIZIO DI MANUTENZIONE ORDINARIA E STRAORDINARIA DEGLI IMPIANTI\n"
               "DI PUBBLICA ILLUMINAZIONE DEL TERRITORIO COMUNALE PER IL TRIENNIO 2024-2026 MEDIANTE PROCEDURA\n"
               "NEGOZIATA - DETERMINA A CONTRARRE AI SENSI DELL'ART. 50 DEL D.LGS. 36/2023 E IMPEGNO DI SPESA\n"
               "SUL BILANCIO DI PREVISIONE 2024\n")
    text = (f"COMUNE DI X\nDETERMINAZIONE N. 5 DEL 01/02/2024\n{subject}IL RESPONSABILE\nVisto il TUEL;\n"
            "DETERMINA\n1. di affidare.\n")
    act = import_bytes(text.encode("utf-8"), "x.txt").act
    assert act.oggetto.endswith("BILANCIO DI PREVISIONE 2024") and act.non_classificato == []
    assert act.dispositivo.punti == ["di affidare."]


def test_a_sector_number_beside_the_general_register() -> None:
    text = ("COMUNE DI PIPPO\n\nDETERMINAZIONE DEL RESPONSABILE DEL SERVIZIO\n\nN. 123 DEL 12/03/2024\n\n"
            "REG. GEN. N. 456 DEL 13/03/2024\n\nOGGETTO: x\n\nIL RESPONSABILE DEL SERVIZIO\nVisto il TUEL;\nDETERMINA\n"
            "1) di pagare.\n")
    act = import_bytes(text.encode("utf-8"), "det.txt").act
    assert (act.numero, act.data.isoformat()) == (123, "2024-03-12")
    assert act.registro_generale is not None
    assert (act.registro_generale.numero, str(act.registro_generale.data)) == ("456", "2024-03-13")


@pytest.mark.parametrize(("text", "want"), FORMS)
def test_forms_of_real_acts(text: str, want: tuple[str, str, int, str, int]) -> None:
    result = import_bytes(text.encode("utf-8"), "atto.txt")
    act = result.act
    expected, got = words(text), output_words(yaml.safe_load(result.yaml))
    assert expected - got == Counter() and (got - expected) - PLACEHOLDER == Counter()
    got = (act.tipo.value, act.organo, act.numero, act.data.isoformat(), len(act.dispositivo.punti))
    assert got == want
    assert not any(w in p for p in act.dispositivo.punti for w in ("certifica", "Letto", "Rossi", "Bianchi", "Roma"))


def test_a_title_only_in_the_running_header_and_a_date_only_at_the_signature() -> None:
    page = ("Determinazione n. 45 del Settore Tecnico\n\nIL RESPONSABILE DEL SETTORE\nVisto il d.lgs. n. 267/2000;\n"
            "Considerato che occorre provvedere;\n")
    text = (page + "\f" + "Determinazione n. 45 del Settore Tecnico\n\nDETERMINA\n1. di approvare il progetto;\n"
            "2. di impegnare la spesa.\nLecco, 12/03/2024\nIL RESPONSABILE DEL SETTORE\nMario Rossi\n")
    result = import_bytes(text.encode("utf-8"), "det.txt")
    act = result.act
    assert (act.tipo.value, act.numero, act.data.isoformat(), len(act.dispositivo.punti)) == (
        "determinazione", 45, "2024-03-12", 2)
    assert "data" not in result.guessed
