"""atti import: existing acts (text, DOCX) read into the act format, part by part, no word lost.

The fixtures in tests/data/import are acts of different bodies and kinds written in the styles
extracted text really has: broken and hyphenated lines, page headers in mid-sentence, one long
line, two register numbers, "e'" for "è", numbers such as 175/PRO, G00083, U00423.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import textwrap
import tracemalloc
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from atti.acts.importer import import_bytes, import_file
from atti.acts.loader import load_act, load_act_text
from tests import bombs
from tests.conftest import EXAMPLE, SEED, Atti

DATA = Path(__file__).parent / "data" / "import"
FIXTURES = sorted(DATA.glob("*.txt"))

# -- the no-word-lost check --------------------------------------------------------------------

# List marks ("-", "•", "1.", "a)") are layout, not words; a word hyphenated across two lines is
# one word; accents and case do not count ("e'" and "è" are the same word), and "Il" read for the
# numeral "II" is the same word either way.
_MARK = re.compile(r"^\s*(?:[-–—•●▪■◦*]|\d{1,2}[.)](?!\d)|[a-z]\))\s+", re.MULTILINE)


def words(text: str) -> Counter[str]:
    text = re.sub(r"([a-zà-ù])-\n\s*([a-zà-ù])", r"\1\2", text)
    text = _MARK.sub(" ", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return Counter("il" if w == "ii" else w for w in re.findall(r"\w+", text.casefold()))


def output_words(doc: dict[str, Any]) -> Counter[str]:
    """The words of the act's text as imported: its parts, signatures, labels and unplaced lines.

    Left out are the values derived from labels kept verbatim in importazione.etichette (ente,
    tipo, organo, registro, numero, data, autorita, formula): their words are counted there.
    """
    texts: list[str] = [doc["oggetto"]]
    for key in ("poteri", "premesse", "visti", "considerato"):
        texts += doc.get(key, [])
    texts += doc["dispositivo"]["punti"]
    texts += [str(v) for v in (doc.get("proposta") or {}).values()]
    texts += [doc["firmatario"]["qualifica"], doc["firmatario"]["nome"]]
    texts += [f"{v['tipo']} {v['nome']}" for v in doc.get("verifiche", [])]
    texts += [" ".join(str(x) for x in p.values()) for p in doc.get("pareri", [])]
    texts += [a["titolo"] for a in doc.get("allegati", [])]
    texts += [r["testo"] for r in doc.get("non_classificato", [])]
    texts += [r["testo"] for r in doc["importazione"].get("etichette", [])]
    texts += [r["testo"] for r in doc["importazione"].get("intestazioni_pagina", [])]
    return words("\n".join(texts))


@pytest.mark.parametrize("path", [SEED, *FIXTURES], ids=lambda p: p.name)
def test_no_word_is_lost(path: Path) -> None:
    result = import_file(path)
    doc = yaml.safe_load(result.yaml)
    expected, got = words(path.read_text(encoding="utf-8")), output_words(doc)
    assert expected - got == Counter(), "words of the input missing from the output"
    assert got - expected == Counter(), "words in the output that the input does not have"


# -- the seed act ------------------------------------------------------------------------------


def _squash(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_squash(v) for v in value]
    if isinstance(value, dict):
        return {k: _squash(v) for k, v in value.items()}
    return value


def test_the_seed_text_imports_to_the_reference_act_part_by_part(tmp_path: Path) -> None:
    result = import_file(SEED)
    expected = load_act(EXAMPLE).act.model_dump(mode="json", exclude_defaults=True)
    got = result.act.model_dump(mode="json", exclude_defaults=True)
    assert set(got) - set(expected) == {"importazione"}  # nothing unplaced, nothing extra
    for key in expected:
        assert _squash(got[key]) == _squash(expected[key]), key
    # the YAML written round-trips through the loader, checks included
    out = tmp_path / "act.yaml"
    out.write_text(result.yaml, encoding="utf-8")
    assert load_act(out).act == result.act
    assert result.missing == []
    assert set(result.guessed) == {"ente", "registro"}  # the seed prints neither
    assert result.fixes == ["riga 9: Il -> II"]


def _messy(text: str) -> str:
    """The seed as a careless extraction gives it: lines broken at 70 columns, long words hyphenated,
    accents lost ("e'", "attivita"), and a page header and footer in the middle of a sentence."""
    text = text.replace("è", "e'").replace("più", "piu'").replace("può", "puo'").replace("ità", "ita")
    out: list[str] = []
    for line in text.split("\n"):
        wrapped = textwrap.wrap(line, 70, break_long_words=False, break_on_hyphens=False) or [""]
        for i in range(1, len(wrapped)):
            head, _, rest = wrapped[i].partition(" ")
            if len(head) >= 10 and head.isalpha() and head.islower():
                wrapped[i - 1] += " " + head[:5] + "-"
                wrapped[i] = head[5:] + (" " + rest if rest else "")
        out += wrapped
    middle = next(i for i, line in enumerate(out) if line.startswith("  tramite") or "tramite l'Accordo" in line)
    page = ["", "Unioncamere Lombardia - Determinazione D.O. n. 129/2026", "Pagina 1 di 2", ""]
    return "\n".join([*out[: middle + 1], *page, *out[middle + 1 :], *page[:2], "Pagina 2 di 2"])


@pytest.mark.parametrize("style", ["messy", "one line"])
def test_the_seed_in_messy_styles_still_imports_to_the_reference_act(style: str) -> None:
    raw = SEED.read_text(encoding="utf-8")
    text = _messy(raw) if style == "messy" else " ".join(raw.split())
    assert text.count("\n") > 100 if style == "messy" else "\n" not in text
    result = import_bytes(text.encode("utf-8"), "seed.txt")
    expected = load_act(EXAMPLE).act.model_dump(mode="json", exclude_defaults=True)
    got = result.act.model_dump(mode="json", exclude_defaults=True)
    assert set(got) - set(expected) == {"importazione"}
    for key in expected:
        assert _squash(got[key]) == _squash(expected[key]), key
    assert words(text) == output_words(yaml.safe_load(result.yaml))
    if style == "messy":
        assert result.act.importazione is not None
        assert len(result.act.importazione.intestazioni_pagina) == 4


# -- the acts of other bodies ------------------------------------------------------------------

EXPECTED: dict[str, dict[str, Any]] = {
    "comune_determinazione.txt": {
        "ente": "COMUNE DI LECCO", "tipo": "determinazione", "organo": "Dirigente", "numero": 56,
        "data": dt.date(2025, 3, 10), "registro_generale": ("1234", dt.date(2025, 3, 12)),
        "counts": {"premesse": 1, "visti": 3, "considerato": 2, "punti": 3, "pareri": 2},
        "visti[1]": "il D.Lgs. 31 marzo 2023, n. 36, recante il codice dei contratti pubblici;",
        "premesse[0]": "il servizio di manutenzione del verde scade il 31 marzo 2025 e che occorre garantirne la "
                       "continuità senza interruzioni;",
        "punti[0]": "di affidare alla ditta Verde Brianza S.r.l. il servizio di manutenzione ordinaria del verde "
                    "pubblico per l'anno 2025;",
        "pareri": [("Parere di regolarità tecnica", "favorevole", "Mario Rossi"),
                   ("Visto di regolarità contabile", "favorevole", "Anna Neri")],
        "firmatario": ("Dott. Mario Rossi", "IL DIRIGENTE"), "non_classificato": [(2, "Settore Lavori Pubblici")],
    },
    "camera_commercio_determinazione.txt": {
        "ente": "CAMERA DI COMMERCIO DI MILANO MONZA BRIANZA LODI", "tipo": "determinazione",
        "organo": "Segretario Generale", "registro": "PRO", "numero": 175, "numero_originale": "175/PRO",
        "data": dt.date(2025, 3, 3), "formula": "DETERMINA",
        "counts": {"poteri": 2, "premesse": 2, "visti": 2, "punti": 2, "allegati": 1},
        "premesse[0]": "la Giunta camerale con deliberazione n. 45 del 12/12/2024 ha approvato il bando per la "
                       "concessione di contributi alle imprese che partecipano a fiere internazionali;",
        "intestazioni": 4, "firmatario": ("Andrea Bianchi", "IL SEGRETARIO GENERALE"),
    },
    "regione_lazio_determinazione.txt": {
        "ente": "REGIONE LAZIO", "tipo": "determinazione", "organo": "Direttore Regionale", "registro": "G",
        "numero": 83, "numero_originale": "G00083", "data": dt.date(2025, 1, 10),
        "counts": {"visti": 2, "considerato": 2, "punti": 2},
        "considerato[1]": "è necessario approvare l'avviso entro il mese di gennaio;",
        "firmatario": ("Dott.ssa Paola Verdi", "IL DIRETTORE REGIONALE"),
    },
    "asl_delibera.txt": {
        "ente": "AZIENDA SANITARIA LOCALE ROMA 1", "tipo": "delibera", "organo": "Direttore Generale",
        "registro": "U", "numero": 423, "numero_originale": "U00423", "data": dt.date(2025, 4, 15),
        "counts": {"premesse": 1, "considerato": 2, "punti": 2}, "formula": "DELIBERA",
        "firmatario": ("Giulia Conti", "IL DIRETTORE GENERALE"),
    },
    "universita_decreto.txt": {
        "ente": "UNIVERSITÀ DEGLI STUDI DI PAVIA", "tipo": "decreto", "organo": "Rettore", "numero": 1021,
        "data": dt.date(2025, 7, 2), "formula": "DECRETA", "counts": {"visti": 2, "considerato": 1, "punti": 2},
        "punti[0]": "è emanato il bando per l'attribuzione di 40 borse di studio per attività di tutorato;",
        "firmatario": ("Prof. Francesco Neri", "IL RETTORE"),
    },
    "comune_ordinanza.txt": {
        "ente": "COMUNE DI BERGAMO", "tipo": "ordinanza", "organo": "Sindaco", "numero": 45,
        "data": dt.date(2025, 6, 20), "formula": "ORDINA", "counts": {"visti": 1, "considerato": 2, "punti": 2},
        "considerato[1]": "tali comportamenti costituiscono pericolo per la pubblica incolumità;",
        "firmatario": ("Elena Moretti", "IL SINDACO"),
    },
    "comune_delibera_una_riga.txt": {
        "ente": "COMUNE DI COMO", "tipo": "delibera", "organo": "Giunta Comunale", "registro": "G.C.",
        "numero": 88, "data": dt.date(2025, 5, 14), "counts": {"premesse": 1, "visti": 1, "considerato": 1,
                                                               "punti": 2},
        "punti[1]": "di dichiarare la presente deliberazione immediatamente eseguibile.",
        "intestazioni": 1, "firmatario": ("Anna Bianchi", "IL SINDACO"),
    },
    "regione_decreto.txt": {
        "ente": "REGIONE LOMBARDIA", "tipo": "decreto", "numero": 5123, "data": dt.date(2025, 4, 8),
        "organo": "Dirigente della Struttura Competitività delle Imprese",
        "counts": {"visti": 2, "considerato": 1, "punti": 2}, "firmatario": ("Marco Galli", "IL DIRIGENTE"),
    },
    "asl_determinazione.txt": {
        "ente": "ASL CITTÀ DI TORINO", "tipo": "determinazione", "organo": "Direttore S.C. Acquisti", "numero": 312,
        "data": dt.date(2025, 9, 22), "counts": {"visti": 1, "considerato": 1, "punti": 2, "allegati": 1},
        "allegati[0]": "Allegato A - Verbale della commissione giudicatrice",
        "firmatario": ("Ing. Luca Ferrari", "IL DIRETTORE S.C. ACQUISTI"),
    },
    "unioncamere_graduatoria.txt": {
        "ente": "Unioncamere Lombardia", "tipo": "determinazione", "organo": "Direttore Operativo",
        "registro": "D.O.", "numero": 60, "data": dt.date(2026, 3, 18),
        "counts": {"poteri": 1, "premesse": 2, "visti": 1, "punti": 2},
        "premesse[0]": "con Determinazione D.O. n. 296 del 9 dicembre 2025 è stato approvato il bando \"Export su "
                       "Misura. Servizi a supporto delle imprese per l'accesso ai mercati esteri\";",
        "firmatario": ("Fabrizio Ventrice", "Il Direttore Operativo"),
    },
    "camera_commercio_delibera.txt": {
        "ente": "CAMERA DI COMMERCIO DI BRESCIA", "tipo": "delibera", "organo": "Giunta Camerale",
        "numero": 61, "data": dt.date(2025, 5, 27), "counts": {"premesse": 2, "visti": 1, "considerato": 1,
                                                               "punti": 2},
        "firmatario": ("Roberto Saccone", "IL PRESIDENTE"),
    },
}


def _assert_parts(result: Any, want: dict[str, Any]) -> None:
    act = result.act
    simple = {"ente": act.ente.nome, "tipo": act.tipo.value, "organo": act.organo, "registro": act.registro,
              "numero": act.numero, "data": act.data, "formula": act.dispositivo.formula,
              "numero_originale": act.importazione.numero}
    for key, value in simple.items():
        if key in want:
            assert value == want[key], key
    lists = {"poteri": act.poteri, "premesse": act.premesse, "visti": act.visti, "considerato": act.considerato,
             "punti": act.dispositivo.punti, "allegati": [a.titolo for a in act.allegati],
             "pareri": act.pareri, "verifiche": act.verifiche}
    counts = {k: len(v) for k, v in lists.items() if v}
    assert counts == want["counts"]
    for key, value in want.items():
        m = re.fullmatch(r"(\w+)\[(\d)\]", key)
        if m:
            assert lists[m[1]][int(m[2])] == value, key
    if "registro_generale" in want:
        assert act.registro_generale is not None
        assert (act.registro_generale.numero, act.registro_generale.data) == want["registro_generale"]
    if "pareri" in want:
        assert [(p.tipo, p.esito, p.nome) for p in act.pareri] == want["pareri"]
    assert (act.firmatario.nome, act.firmatario.qualifica) == want["firmatario"]
    assert [(r.riga, r.testo) for r in act.non_classificato] == want.get("non_classificato", [])
    assert len(act.importazione.intestazioni_pagina) == want.get("intestazioni", 0)
    assert result.missing == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_acts_of_other_bodies_are_read_part_by_part(name: str) -> None:
    result = import_file(DATA / name)
    _assert_parts(result, EXPECTED[name])
    # the YAML reads back to the same act
    assert load_act_text(result.yaml, name).act == result.act


def test_fixtures_cover_at_least_ten_acts_of_every_kind() -> None:
    assert len(EXPECTED) >= 10 and set(EXPECTED) == {p.name for p in FIXTURES}
    kinds = {import_file(DATA / n).act.tipo.value for n in EXPECTED}
    assert kinds == {"determinazione", "delibera", "decreto", "ordinanza"}


def test_a_docx_reads_like_its_text(tmp_path: Path) -> None:
    from docx import Document

    source = DATA / "camera_commercio_delibera.txt"
    doc = Document()
    for line in source.read_text(encoding="utf-8").splitlines():
        doc.add_paragraph(line)
    path = tmp_path / "delibera.docx"
    doc.save(str(path))
    result = import_file(path)
    assert result.kind == "docx"
    _assert_parts(result, EXPECTED[source.name])
    assert words(source.read_text(encoding="utf-8")) == output_words(yaml.safe_load(result.yaml))


def test_headers_in_a_pdf_are_found_at_page_ends_only() -> None:
    """With page breaks (form feeds, as pdftotext gives them) a line repeated in the body stays."""
    body = (DATA / "comune_ordinanza.txt").read_text(encoding="utf-8").split("\n")
    # the signer's name also stands in the middle of page 1: repeated, but no header
    text = "\n".join(["Comune di Bergamo - Ordinanza 45/2025", *body[:6], "Elena Moretti", *body[6:10], "\f"
                      "Comune di Bergamo - Ordinanza 45/2025", *body[10:]])
    result = import_bytes(text.encode(), "ordinanza.txt")
    assert result.act.importazione is not None
    assert [r.testo for r in result.act.importazione.intestazioni_pagina] == [
        "Comune di Bergamo - Ordinanza 45/2025", "Comune di Bergamo - Ordinanza 45/2025",
    ]
    assert result.act.firmatario.nome == "Elena Moretti"
    assert [(r.riga, r.testo) for r in result.act.non_classificato] == [(8, "Elena Moretti")]


# -- the command line --------------------------------------------------------------------------


def test_cli_writes_the_yaml_and_prints_the_report(atti: Atti, tmp_path: Path) -> None:
    out = tmp_path / "atto.yaml"
    result = atti("import", DATA / "comune_determinazione.txt", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Letto comune_determinazione.txt (txt): affidabilità 96%"
    assert "  dedotti:  registro (dalle iniziali dell'organo (Dirigente))" in result.output
    assert "  non classificato, riga 2: Settore Lavori Pubblici" in result.output
    assert result.output.endswith(f"Scritto {out}\n")
    assert load_act(out).act.numero == 56


def test_cli_prints_the_yaml_on_stdout_without_output(atti: Atti, tmp_path: Path) -> None:
    result = atti("import", SEED)
    assert result.exit_code == 0
    assert load_act_text(result.stdout, "stdout").act.numero == 129
    assert result.stderr.startswith("Letto 000_79e5a06dcd4514e5.txt (txt): affidabilità 93%\n")


def test_cli_json_report(atti: Atti, tmp_path: Path) -> None:
    result = atti("import", DATA / "camera_commercio_determinazione.txt", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["confidence"] == 1.0 and report["missing"] == [] and report["kind"] == "txt"
    assert report["counts"]["premesse"] == 2 and report["non_classificato"] == []
    assert load_act_text(report["yaml"], "x").act.registro == "PRO"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("vuoto.txt", b"  \n\n", "il file è vuoto"),
        ("rotto.pdf", b"%PDF-1.7\n garbage that is no PDF", "non è un PDF leggibile (danneggiato o cifrato)"),
        ("dati.bin", bytes(range(256)) * 8, "non è un file di testo, PDF o DOCX (dati binari)"),
        ("rotto.docx", b"PK\x03\x04 not really a zip",
         "non è un DOCX leggibile (danneggiato, o uno ZIP che non è un documento)"),
        ("lettera.txt", b"Gentile signora,\nle scrivo per...\n",
         "non sembra un atto: nessun titolo (DETERMINAZIONE, DELIBERAZIONE, DECRETO, ORDINANZA), nessun oggetto, "
         "nessun preambolo (Premesso, Visto, Considerato ...) e nessun dispositivo (DETERMINA, DELIBERA, DECRETA, "
         "ORDINA)"),
    ],
)
def test_cli_bad_input_is_one_error_line(atti: Atti, tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    out = tmp_path / "out.yaml"
    result = atti("import", path, "-o", out)
    assert (result.exit_code, result.stderr) == (2, f"Errore: {path}: {message}\n")
    assert not out.exists()


def test_cli_missing_file_and_folder_without_archive(atti: Atti, tmp_path: Path) -> None:
    result = atti("import", tmp_path / "nope.txt")
    assert (result.exit_code, result.stderr) == (2, f"Errore: {tmp_path / 'nope.txt'}: il file non esiste\n")
    result = atti("import", tmp_path)
    assert (result.exit_code, result.stderr) == (
        2, f"Errore: {tmp_path} è una cartella: indica --archive per importarne gli atti in un archivio\n"
    )


def test_cli_help_and_ente_option(atti: Atti, tmp_path: Path) -> None:
    helped = atti("--lang", "en", "import", "--help")
    assert helped.exit_code == 0 and "Read an existing act (text, PDF with a text layer, DOCX)" in helped.output
    out = tmp_path / "a.yaml"
    result = atti("import", SEED, "-o", out, "--ente", "Unione delle Camere di Commercio Lombarde")
    assert result.exit_code == 0
    assert load_act(out).act.ente.nome == "Unione delle Camere di Commercio Lombarde"
    assert "  dedotti:  registro (" in result.output  # the ente given is not a guess


def test_cli_folder_errors(atti: Atti, tmp_path: Path) -> None:
    empty = tmp_path / "vuota"
    empty.mkdir()
    (empty / "note.md").write_text("x")
    result = atti("import", empty, "--archive", tmp_path / "none")
    assert (result.exit_code, result.stderr) == (2, f"Errore: {empty}: nessun file PDF, DOCX o di testo da importare\n")
    (empty / "a.txt").write_text("x")
    result = atti("import", empty, "--archive", tmp_path / "none")
    assert result.exit_code == 6
    assert result.stderr.startswith(f"Errore: nessun archivio in {tmp_path / 'none'}")


# -- what a document may cost ------------------------------------------------------------------
# A file of a few megabytes can expand to gigabytes: a DOCX is a zip, a PDF holds compressed
# streams. Each is refused at once, with bounded memory, by what it would cost.


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """The peak of Python's allocations inside the block, in bytes (one item, set at its end)."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def test_a_zip_bomb_docx_is_refused_before_it_expands(atti: Atti, tmp_path: Path) -> None:
    """2 MB that would be 2 GB of document.xml: its size is read from the zip's directory."""
    path = tmp_path / "bomba.docx"
    path.write_bytes(bombs.docx_with_document(bombs.raw_deflate(128), 128 * bombs.CHUNK))
    assert path.stat().st_size < 3_000_000
    with peak_memory() as peak:
        result = atti("import", path)
    assert (result.exit_code, result.stderr) == (
        2, f"Errore: {path}: il DOCX, decompresso, supererebbe 100 MB (word/document.xml): rifiutato\n"
    )
    assert peak[0] < 20_000_000


def test_a_docx_that_understates_its_size_is_read_no_further_than_it_says(atti: Atti, tmp_path: Path) -> None:
    path = tmp_path / "bugiarda.docx"
    path.write_bytes(bombs.docx_with_document(bombs.raw_deflate(128), 4000))
    with peak_memory() as peak:
        result = atti("import", path)
    assert (result.exit_code, result.stderr) == (
        2, f"Errore: {path}: non è un DOCX leggibile (danneggiato, o uno ZIP che non è un documento)\n"
    )
    assert peak[0] < 20_000_000


def test_a_docx_compressed_like_a_bomb_is_refused(atti: Atti, tmp_path: Path) -> None:
    """Within the sizes, but 1000 to 1: no document compresses so well."""
    path = tmp_path / "compressa.docx"
    path.write_bytes(bombs.docx_with_document(bombs.raw_deflate(3), 3 * bombs.CHUNK))
    result = atti("import", path)
    assert (result.exit_code, result.stderr) == (
        2, f"Errore: {path}: l'elemento word/document.xml del DOCX è compresso più di 200 a 1 (una zip bomb?): "
        "rifiutato\n"
    )


def test_the_text_of_a_pdf_is_bounded(atti: Atti, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from atti.acts.importer import extract

    text = b"BT /F1 10 Tf 50 800 Td (DETERMINAZIONE DEL DIRETTORE) Tj ET\n"
    path = tmp_path / "lungo.pdf"
    path.write_bytes(bombs.text_pdf(zlib.compress(text)))
    monkeypatch.setattr(extract, "PDF_TEXT_MAX_BYTES", 10)
    result = atti("import", path)
    assert (result.exit_code, result.stderr) == (
        2, f"Errore: {path}: il testo del PDF supererebbe 1e-05 MB: rifiutato\n"
    )


def test_a_pdf_that_would_take_gigabytes_to_read_is_refused(atti: Atti, tmp_path: Path) -> None:
    """1 MB of PDF, a page of 256 MB of text drawn at one place: pdftotext took 9 GB and over a
    minute for it, to print one line."""
    line = b"BT /F1 10 Tf 10 10 Td (" + b"A" * 200 + b") Tj ET\n"
    path = tmp_path / "bomba.pdf"
    path.write_bytes(bombs.text_pdf(bombs.flate(16, line * (bombs.CHUNK // len(line)))))
    assert path.stat().st_size < 2_000_000
    result = atti("import", path)
    assert (result.exit_code, result.stderr) == (
        2, f"Errore: {path}: leggere il testo del PDF richiederebbe più di 512 MB di memoria: rifiutato\n"
    )


def test_pdftotext_is_stopped_at_its_time_limit(
    atti: Atti, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from atti.acts.importer import extract

    from .conftest import process_alive

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pid_file = tmp_path / "pid"
    fake = bin_dir / "pdftotext"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 600\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(extract, "PDFTOTEXT_TIMEOUT", 0.5)
    path = tmp_path / "lento.pdf"
    path.write_bytes(bombs.text_pdf(zlib.compress(b"BT ET")))
    result = atti("import", path)
    assert (result.exit_code, result.stderr) == (2, f"Errore: {path}: non è stato possibile leggere il PDF in 0.5 s\n")
    assert not process_alive(int(pid_file.read_text()))


def test_a_named_pipe_is_refused_instead_of_waited_on(atti: Atti, tmp_path: Path) -> None:
    pipe = tmp_path / "tubo.txt"
    os.mkfifo(pipe)
    result = atti("import", pipe)
    assert (result.exit_code, result.stderr) == (2, f"Errore: {pipe}: non è un file regolare\n")


def test_a_file_over_the_size_limit_is_refused(atti: Atti, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from atti.acts.importer import extract

    monkeypatch.setattr(extract, "IMPORT_MAX_BYTES", 1000)
    path = tmp_path / "grande.txt"
    path.write_bytes(b"x" * 1001)
    result = atti("import", path)
    assert (result.exit_code, result.stderr) == (2, f"Errore: {path}: il file è più grande di 0.001 MB: rifiutato\n")
