"""``atti diff`` names every field of the act that changed, and the words that changed (issue 16).

The property test takes an act with every field of the model set, changes one value (one word of
a text, a date, a number, a choice, a yes/no) anywhere in it, and checks that the comparison names
that field, that item and that word, and nothing else. No archive, no LibreOffice: the acts are
built through the model from the example act.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment, PackageLoader, select_autoescape

from atti.acts import load_act_text
from atti.acts.diff import ADDED, DELETED, EQUAL, Segment, compare_acts, fields, word_diff
from atti.acts.model import Act
from atti.archive import Archive
from atti.archive.history import VersionDiff
from atti.archive.records import BlobRef, VersionRecord
from atti.templates.pdfcheck import check_pdf

from .conftest import EXAMPLE, Atti

FULL = EXAMPLE.read_text(encoding="utf-8").replace("""dispositivo:                    # the operative part
  formula: DETERMINA
""", """dispositivo:
  formula: DETERMINA
  articoli:
    - {titolo: Oggetto, commi: [Il presente atto proroga i termini del bando.]}
""") + """
autorita: Il Direttore Operativo di Unioncamere
considerato:
  - che la proroga non pregiudica la parità di trattamento dei partecipanti;
allegati:
  - titolo: Graduatoria della seconda finestra
    file: graduatoria.pdf
  - titolo: Bando aggiornato
    file: bando.pdf
    modo: accodato
relazioni:
  - tipo: proroga
    atto: {registro: D.O., numero: 84, anno: 2026}
    nota: nuova scadenza della seconda finestra
registro_generale: {numero: RG 512, data: 2026-05-20}
pareri:
  - {tipo: Parere di regolarità tecnica, esito: favorevole, nome: Roberto Valente, qualifica: Il Responsabile,
     data: 2026-05-18, motivazione: conforme alle norme}
avverte:
  - che i trasgressori sono puniti con la sanzione prevista;
ricorso: Contro il presente atto è ammesso ricorso al TAR entro 60 giorni.
seduta:
  data: 2026-05-19
  ora: "18:30"
  luogo: nella sala riunioni
  convocazione: convocata nei modi di legge
  presenti: [{nome: Mario Bianchi, ruolo: Presidente}, {nome: Laura Ferri, ruolo: Consigliera}]
  assenti: [{nome: Paolo Conti, ruolo: Consigliere}]
  presidente: {nome: Mario Bianchi, ruolo: Presidente}
  segretario: {nome: Anna Galli, ruolo: Segretaria}
votazione: {unanimita: false, favorevoli: 2, contrari: 0, astenuti: 0, modalita: in forma palese}
immediata_eseguibilita:
  votazione: {unanimita: false, favorevoli: 2, contrari: 0, astenuti: 0, modalita: per alzata di mano}
  motivazione: stante l'urgenza
visto_contabile:
  nome: Chiara Longo
  qualifica: Il Responsabile del Servizio Finanziario
  data: 2026-05-20
  esito: favorevole
  impegni:
    - {capitolo: 2080/3, esercizio: 2026, importo: 24400.00, numero: 2026/418, beneficiario: Ludica Arredi,
       cig: B1A2C3D4E5, cup: F61B26000010004}
  esecutiva_dal: 2026-05-20
  note: spesa finanziata con fondi propri
classificazione: {indice: "1.6", fascicolo: 2026/1.6/12, serie: Determinazioni}
non_classificato:
  - {riga: 40, testo: Documento firmato digitalmente}
importazione:
  file: originale.pdf
  numero: 129/DO
  etichette:
    - {riga: 3, testo: "OGGETTO:"}
  intestazioni_pagina:
    - {riga: 1, testo: Unioncamere Lombardia pagina 1}
"""
BASE = load_act_text(FULL, "full.yaml", check=False).act


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) of a dumped act whose value is not a mapping or a list."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in leaves(v, (*path, i))]
    return [(path, value)]


def where(path: tuple[Any, ...]) -> tuple[str, int, tuple[str, ...]]:
    """(part, item index, keys of the item's mapping) that the comparison should name for a leaf."""
    names = [p for p in path if isinstance(p, str)]
    positions = [i for i, p in enumerate(path) if isinstance(p, int)]
    if not positions:
        return ".".join(names), 0, ()
    cut = positions[0]
    part = ".".join(p for p in path[:cut] if isinstance(p, str))
    inside = ".".join(p for p in path[cut + 1 :] if isinstance(p, str))
    return part, path[cut], (inside,) if inside else ()


LEAVES = [(path, value) for path, value in leaves(BASE.model_dump()) if value is not None]
WORD = re.compile(r"\d+(?:[-/.,:]\d+)+|\w+")  # the redline's units: a number with its parts is one


def test_the_full_act_sets_every_field_of_the_model() -> None:
    # Every part of the walk has items in BASE, so the property test below reaches every field,
    # and every value of BASE is a part of the walk: nothing is held that is not compared.
    parts = {p.name: p for p in fields(BASE)}
    assert [name for name, p in parts.items() if not p.items] == []
    assert {where(path)[0] for path, _ in LEAVES} == set(parts)


def test_a_field_added_to_the_model_is_compared() -> None:
    class Wider(Act):
        nuovo: str | None = None

    a = Wider.model_validate({**BASE.model_dump(), "nuovo": "uno"})
    [part] = compare_acts(a, a.model_copy(update={"nuovo": "due"}))
    assert (part.part, part.changes[0].a, part.changes[0].b) == ("nuovo", "uno", "due")


def changed(value: Any, data: st.DataObject) -> tuple[Any, str | None, str | None]:
    """(new value, old word, new word): one word of a text replaced, other values changed whole."""
    if isinstance(value, bool):
        return not value, None, None
    if isinstance(value, Enum):
        other = data.draw(st.sampled_from([m for m in type(value) if m is not value]))
        return other, value.value, other.value
    if isinstance(value, int):
        new = value + data.draw(st.integers(1, 9))
        return new, str(value), str(new)
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=data.draw(st.integers(1, 400))), None, None
    if isinstance(value, dt.time):
        return value.replace(hour=(value.hour + data.draw(st.integers(1, 5))) % 24), None, None
    if isinstance(value, Decimal):
        new_amount = value + data.draw(st.integers(1, 900))
        return new_amount, None, None
    assert isinstance(value, str)
    words = list(WORD.finditer(value))
    m = data.draw(st.sampled_from(words))
    # "zz..." is no Italian word: the new word is in no item already.
    new_word = "zz" + data.draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8))
    return value[: m.start()] + new_word + value[m.end() :], m.group(), new_word


def replaced(dump: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(dump, list):
        return [replaced(v, rest, value) if i == head else v for i, v in enumerate(dump)]
    return {k: replaced(v, rest, value) if k == head else v for k, v in dump.items()}


@given(st.data())
def test_diff_names_exactly_the_field_and_the_word_that_changed(data: st.DataObject) -> None:
    path, old = data.draw(st.sampled_from(LEAVES), label="leaf")
    new, old_word, new_word = changed(old, data)
    other = Act.model_validate(replaced(BASE.model_dump(), path, new))
    part, index, keys = where(path)

    [diff] = compare_acts(BASE, other)
    assert diff.part == part
    [change] = diff.changes
    assert (change.kind, change.index_a, change.index_b, change.fields) == ("changed", index, index, keys)
    if old_word is not None:
        assert (change.deleted, change.added) == ([old_word], [new_word])
    # the redline rebuilds both texts
    assert "".join(w.text for w in change.words if w.op != ADDED) == change.a
    assert "".join(w.text for w in change.words if w.op != DELETED) == change.b
    # and the other way round, the same field, with the words swapped
    [back] = compare_acts(other, BASE)
    assert (back.part, back.changes[0].deleted, back.changes[0].added) == (part, change.added, change.deleted)


def test_the_same_act_has_no_differences() -> None:
    assert compare_acts(BASE, Act.model_validate(BASE.model_dump())) == []


def test_a_verifica_esito_and_name_are_named() -> None:
    verifiche = [v.model_copy(update={"esito": "sospeso"}) for v in BASE.verifiche]
    before = BASE.model_copy(update={"verifiche": verifiche})
    after_esito = [verifiche[0], verifiche[1].model_copy(update={"esito": "positivo", "nome": "Marta Rossi"}),
                   verifiche[2]]
    [part] = compare_acts(before, before.model_copy(update={"verifiche": after_esito}))
    [change] = part.changes
    assert (part.part, part.item, change.index_a, change.fields) == ("verifiche", "verifica", 1, ("nome", "esito"))
    assert change.words[-5:] == (Segment(DELETED, "Franco Pozzoli"), Segment(ADDED, "Marta Rossi"),
                                 Segment(EQUAL, " · esito: "), Segment(DELETED, "sospeso"), Segment(ADDED, "positivo"))


def test_allegati_are_compared_with_the_sha256_of_their_files() -> None:
    same = compare_acts(BASE, BASE, (["a" * 64, None], ["a" * 64, None]))
    assert same == []
    [part] = compare_acts(BASE, BASE, (["a" * 64, None], ["b" * 64, None]))
    [change] = part.changes
    assert (part.part, change.index_a, change.fields, change.deleted, change.added) == (
        "allegati", 0, ("sha256",), ["a" * 64], ["b" * 64]
    )
    assert change.b == "titolo: Graduatoria della seconda finestra · file: graduatoria.pdf · modo: allegato · " \
                       f"sha256: {'b' * 64}"


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("di pubblicare la scadenza", "di pubblicare la scadenza", [(EQUAL, "di pubblicare la scadenza")]),
    # a date, an amount, a number with its year: one unit, struck and rewritten whole, either way round
    ("del 2026-05-19", "del 2026-06-05", [(EQUAL, "del "), (DELETED, "2026-05-19"), (ADDED, "2026-06-05")]),
    ("€ 1.500.000,00 nel 2026", "€ 1.600.000,00 nel 2026",
     [(EQUAL, "€ "), (DELETED, "1.500.000,00"), (ADDED, "1.600.000,00"), (EQUAL, " nel 2026")]),
    ("Fabrizio Cavalieri", "Fabrizio Cavaliere",
     [(EQUAL, "Fabrizio "), (DELETED, "Cavalieri"), (ADDED, "Cavaliere")]),
    # a space alone between two changes joins them into one struck and one added run
    ("la nuova data fissata", "la vecchia scadenza fissata",
     [(EQUAL, "la "), (DELETED, "nuova data"), (ADDED, "vecchia scadenza"), (EQUAL, " fissata")]),
    ("sul sito.", "sul sito web.", [(EQUAL, "sul sito"), (ADDED, " web"), (EQUAL, ".")]),
    ("esito: sospeso", "esito: positivo", [(EQUAL, "esito: "), (DELETED, "sospeso"), (ADDED, "positivo")]),
])
def test_word_diff(a: str, b: str, expected: list[tuple[str, str]]) -> None:
    assert word_diff(a, b) == [Segment(op, text) for op, text in expected]


# -- the web act page ------------------------------------------------------------------------------


def version(number: int, stato: str = "bozza") -> VersionRecord:
    blob = BlobRef(f"{number:064x}", "yaml")
    return VersionRecord("bozza-1", number, stato, blob, BlobRef("", "docx"), BlobRef("", "pdf"), "draft-saved",
                         None, "2026-05-19T10:00:00+00:00")


def web_differences(diffs: list[VersionDiff]) -> str:
    env = Environment(loader=PackageLoader("atti.web", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    return " ".join(env.get_template("differenze.html").render(diffs=diffs).split())


def test_the_web_shows_every_changed_field_as_a_redline() -> None:
    firmatario = BASE.firmatario.model_copy(update={"nome": "Fabrizio Cavaliere <b>"})
    after = BASE.model_copy(update={"data": dt.date(2026, 5, 20), "firmatario": firmatario})
    html = web_differences([VersionDiff(version(1), version(2), compare_acts(BASE, after)),
                            VersionDiff(version(2), version(3, "in verifica"), [])])
    assert "<h3>Differenze tra la versione 1 e la 2</h3>" in html
    assert "<h4><code>data</code></h4> <ul> <li>modificato: <del>2026-05-19</del><ins>2026-05-20</ins></li>" in html
    assert ("<h4><code>firmatario.nome</code></h4> <ul> <li>modificato: Fabrizio <del>Ventrice</del>"
            "<ins>Cavaliere &lt;b&gt;</ins></li>") in html  # escaped
    assert "Parole tolte <del>barrate</del>, parole aggiunte <ins>sottolineate</ins>." in html
    # a change of stato only
    assert "Stato: bozza → <strong>in verifica</strong></p><p>L'atto è lo stesso.</p>" in html
    verifiche = [BASE.verifiche[0].model_copy(update={"esito": "sospeso"}), *BASE.verifiche[1:]]
    html = web_differences([VersionDiff(version(1), version(2), compare_acts(
        BASE.model_copy(update={"verifiche": verifiche}), BASE))])
    assert "<li>verifica 1 modificato (esito): " in html and "esito: <del>sospeso</del><ins>positivo</ins></li>" in html


# -- the redline report for the legal file ---------------------------------------------------------


@pytest.mark.libreoffice  # the redline is a DOCX converted by LibreOffice
def test_cli_diff_writes_a_redline_pdf_a(atti: Atti, tmp_path: Path) -> None:
    arc, _ = Archive.create(tmp_path / "archive")
    text = EXAMPLE.read_text(encoding="utf-8")
    other = text.replace("numero: 129 ", "numero: 130 ").replace("Fabrizio Ventrice", "Fabrizio Cavaliere")
    for source in (text, other):
        act = load_act_text(source, "act.yaml").act
        arc.seal(act, source=source, docx=b"docx " + source.encode(), pdf=b"%PDF " + source.encode(),
                 firmatario=act.firmatario.nome)
    arc.close()
    out = tmp_path / "redline.pdf"
    result = atti("diff", "DO-2026-129", "DO-2026-130", "--archive", tmp_path / "archive", "--pdf", out)
    assert result.exit_code == 0, result.output
    assert "firmatario.nome: Fabrizio [-Ventrice-]{+Cavaliere+}" in result.output.splitlines()
    report = check_pdf(out.read_bytes())
    assert (report.passed, report.pdfa) == (True, "PDF/A-2B"), report.to_text()
    words = " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True,
                                    check=True).stdout.decode().split())
    for needle in ("Differenze tra DO-2026-129 e DO-2026-130", "Versione A: DO-2026-129@2 (pubblicato",
                   "Versione B: DO-2026-130@2 (pubblicato",
                   "Legenda: parole tolte barrate, parole aggiunte sottolineate.",
                   "numero \uf0b7 modificato: 129130", "firmatario.nome \uf0b7 modificato: Fabrizio VentriceCavaliere"):
        assert needle in words, needle
    # Struck words have a line drawn across them, added words one under them (below the baseline):
    # the legend's two words, then 129 -> 130 and Ventrice -> Cavaliere.
    with pikepdf.open(out) as pdf:
        content = b"".join(bytes(c.read_bytes()) for c in _contents(pdf.pages[0]))
    heights = [float(y) for y in re.findall(rb"RG\n0 (-?[\d.]+) m [\d.]+ -?[\d.]+ l S", content)]
    assert (len([y for y in heights if y > 0]), len([y for y in heights if y < 0])) == (3, 3), heights


def _contents(page: pikepdf.Page) -> list[pikepdf.Stream]:
    contents = page.obj.Contents
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]
