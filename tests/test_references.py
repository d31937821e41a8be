"""Citations found in act text, the ``relazioni:`` key, and the mapping of citations to archive ids."""

from __future__ import annotations

import datetime as dt

import pytest

from atti.acts import load_act, load_act_text
from atti.acts.references import Reference, act_id_of, extract_references, parse_date, reference_to_act_id
from atti.archive.archive import act_id
from atti.errors import ActError

from .conftest import EXAMPLE, SEED

D = dt.date

# (sentence, kind, number, year, date, register, the citation as matched)
CASES = [
    ("con Determinazione D.O. n. 60 del 18/03/2026 è stata approvata",
     "determinazione", "60", 2026, D(2026, 3, 18), "D.O.", "Determinazione D.O. n. 60 del 18/03/2026"),
    ("la Determinazione D.O. n. 82/2026 del 08/04/2026;",
     "determinazione", "82/2026", 2026, D(2026, 4, 8), "D.O.", "Determinazione D.O. n. 82/2026 del 08/04/2026"),
    ("con Determinazione n. 46/2021 dell'01/06/2021.",
     "determinazione", "46/2021", 2021, D(2021, 6, 1), None, "Determinazione n. 46/2021 dell'01/06/2021"),
    ("Determinazione del Direttore Operativo D.O. n. 60 del 18/03/2026",
     "determinazione", "60", 2026, D(2026, 3, 18), "D.O.",
     "Determinazione del Direttore Operativo D.O. n. 60 del 18/03/2026"),
    ("la Determinazione Dirigenziale N° 1234 del 5/5/2020",
     "determinazione", "1234", 2020, D(2020, 5, 5), None, "Determinazione Dirigenziale N° 1234 del 5/5/2020"),
    ("la determina nr. 175/PRO del 3 aprile 2024",
     "determinazione", "175/PRO", 2024, D(2024, 4, 3), None, "determina nr. 175/PRO del 3 aprile 2024"),
    ("Determinazione n. G00083 del 10/01/2022",
     "determinazione", "G00083", 2022, D(2022, 1, 10), None, "Determinazione n. G00083 del 10/01/2022"),
    ("la determinazione del Segretario Generale n. 5 del 2 febbraio 2022",
     "determinazione", "5", 2022, D(2022, 2, 2), None,
     "determinazione del Segretario Generale n. 5 del 2 febbraio 2022"),
    ("DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026",
     "determinazione", "129/2026", 2026, None, None, "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026"),
    ("la DGR n. XII/1536 del 18 dicembre 2023;",
     "delibera", "XII/1536", 2023, D(2023, 12, 18), None, "DGR n. XII/1536 del 18 dicembre 2023"),
    ("la DGR n. XII/2647 del 1° luglio 2024",
     "delibera", "XII/2647", 2024, D(2024, 7, 1), None, "DGR n. XII/2647 del 1° luglio 2024"),
    ('approvate con DGR n. 1662/2019";', "delibera", "1662/2019", 2019, None, None, "DGR n. 1662/2019"),
    ("la D.G.R. n. X/7812 del 17/01/2018",
     "delibera", "X/7812", 2018, D(2018, 1, 17), None, "D.G.R. n. X/7812 del 17/01/2018"),
    ("la d.g.r. 29 dicembre 2023, n. XII/1669",
     "delibera", "XII/1669", 2023, D(2023, 12, 29), None, "d.g.r. 29 dicembre 2023, n. XII/1669"),
    ("la DGR XII/1536 del 18 dicembre 2023",
     "delibera", "XII/1536", 2023, D(2023, 12, 18), None, "DGR XII/1536 del 18 dicembre 2023"),
    ("vista la Deliberazione della Giunta Regionale n. 1234 del 9.12.2025",
     "delibera", "1234", 2025, D(2025, 12, 9), None, "Deliberazione della Giunta Regionale n. 1234 del 9.12.2025"),
    ("la deliberazione di Giunta camerale n. 12 del 30 gennaio 2024",
     "delibera", "12", 2024, D(2024, 1, 30), None, "deliberazione di Giunta camerale n. 12 del 30 gennaio 2024"),
    ("la delibera del Consiglio comunale n° 45 del 12/07/2023",
     "delibera", "45", 2023, D(2023, 7, 12), None, "delibera del Consiglio comunale n° 45 del 12/07/2023"),
    ("la DGC n. 88/2024", "delibera", "88/2024", 2024, None, None, "DGC n. 88/2024"),
    ("con D.C.C. N. 7 del 3.2.2022", "delibera", "7", 2022, D(2022, 2, 3), None, "D.C.C. N. 7 del 3.2.2022"),
    ("la delibera n. 12-bis del 4/5/2022",
     "delibera", "12-bis", 2022, D(2022, 5, 4), None, "delibera n. 12-bis del 4/5/2022"),
    ("il decreto n. 1234 del 31 gennaio 2025",
     "decreto", "1234", 2025, D(2025, 1, 31), None, "decreto n. 1234 del 31 gennaio 2025"),
    ("il Decreto DDUO n. 15632 del 27/10/2023",
     "decreto", "15632", 2023, D(2023, 10, 27), "DDUO", "Decreto DDUO n. 15632 del 27/10/2023"),
    ("il decreto del Direttore Generale n. 4 del 1° marzo 2024",
     "decreto", "4", 2024, D(2024, 3, 1), None, "decreto del Direttore Generale n. 4 del 1° marzo 2024"),
    ("il D.Lgs. 82/2005", "decreto legislativo", "82/2005", 2005, None, None, "D.Lgs. 82/2005"),
    ("ai sensi dell'art. 24 del D. Lgs. 82/2005",
     "decreto legislativo", "82/2005", 2005, None, None, "D. Lgs. 82/2005"),
    ("il d.lgs. n. 165/2001", "decreto legislativo", "165/2001", 2001, None, None, "d.lgs. n. 165/2001"),
    ("il Decreto Legislativo 18 agosto 2000, n. 267",
     "decreto legislativo", "267", 2000, D(2000, 8, 18), None, "Decreto Legislativo 18 agosto 2000, n. 267"),
    ("il D.Lgs 14 marzo 2013 n. 33",
     "decreto legislativo", "33", 2013, D(2013, 3, 14), None, "D.Lgs 14 marzo 2013 n. 33"),
    ("il Dlgs 50/2016", "decreto legislativo", "50/2016", 2016, None, None, "Dlgs 50/2016"),
    ("la legge 7 agosto 1990, n. 241", "legge", "241", 1990, D(1990, 8, 7), None, "legge 7 agosto 1990, n. 241"),
    ("il decreto legislativo del 30 dicembre 1992, n. 502", "decreto legislativo", "502", 1992, D(1992, 12, 30), None,
     "decreto legislativo del 30 dicembre 1992, n. 502"),
    ("la L. 241/1990", "legge", "241/1990", 1990, None, None, "L. 241/1990"),
    ("la L. n. 190/2012", "legge", "190/2012", 2012, None, None, "L. n. 190/2012"),
    ("la legge n. 69 del 18 giugno 2009", "legge", "69", 2009, D(2009, 6, 18), None, "legge n. 69 del 18 giugno 2009"),
    ("la L. 241/90", "legge", "241/90", 1990, None, None, "L. 241/90"),
    ("la legge regionale 31 marzo 1978, n. 34",
     "legge regionale", "34", 1978, D(1978, 3, 31), None, "legge regionale 31 marzo 1978, n. 34"),
    ("la L.R. n. 1/2007", "legge regionale", "1/2007", 2007, None, None, "L.R. n. 1/2007"),
    ("il D.P.R. 28 dicembre 2000, n. 445",
     "dpr", "445", 2000, D(2000, 12, 28), None, "D.P.R. 28 dicembre 2000, n. 445"),
    ("il DPR 445/2000", "dpr", "445/2000", 2000, None, None, "DPR 445/2000"),
    ("il decreto del Presidente della Repubblica 16 aprile 2013, n. 62",
     "dpr", "62", 2013, D(2013, 4, 16), None, "decreto del Presidente della Repubblica 16 aprile 2013, n. 62"),
    ("il D.P.C.M. 22 febbraio 2013", "dpcm", None, 2013, D(2013, 2, 22), None, "D.P.C.M. 22 febbraio 2013"),
    ("il DPCM 26 aprile 2020;", "dpcm", None, 2020, D(2020, 4, 26), None, "DPCM 26 aprile 2020"),
    ("il D.L. 17 marzo 2020, n. 18", "decreto-legge", "18", 2020, D(2020, 3, 17), None, "D.L. 17 marzo 2020, n. 18"),
    ("il decreto-legge 16 luglio 2020, n. 76",
     "decreto-legge", "76", 2020, D(2020, 7, 16), None, "decreto-legge 16 luglio 2020, n. 76"),
    ("il decreto ministeriale 10 marzo 2020",
     "decreto ministeriale", None, 2020, D(2020, 3, 10), None, "decreto ministeriale 10 marzo 2020"),
    ("il Regolamento (UE) 2016/679", "regolamento UE", "2016/679", 2016, None, None, "Regolamento (UE) 2016/679"),
    ("il Regolamento (UE) n. 1407/2013",
     "regolamento UE", "1407/2013", 2013, None, None, "Regolamento (UE) n. 1407/2013"),
    ("il Reg. UE n. 651/2014 del 17 giugno 2014",
     "regolamento UE", "651/2014", 2014, D(2014, 6, 17), None, "Reg. UE n. 651/2014 del 17 giugno 2014"),
    ("la Direttiva (UE) 2019/1024", "direttiva UE", "2019/1024", 2019, None, None, "Direttiva (UE) 2019/1024"),
    ("l'Ordinanza sindacale n. 175/PRO del 3/4/2024",
     "ordinanza", "175/PRO", 2024, D(2024, 4, 3), None, "Ordinanza sindacale n. 175/PRO del 3/4/2024"),
    ("l'ordinanza n. 12 del 9.12.25", "ordinanza", "12", 2025, D(2025, 12, 9), None, "ordinanza n. 12 del 9.12.25"),
    ("la circolare n. 3 del 1° ottobre 2021",
     "circolare", "3", 2021, D(2021, 10, 1), None, "circolare n. 3 del 1° ottobre 2021"),
]  # fmt: skip


@pytest.mark.parametrize(("sentence", "kind", "number", "year", "date", "register", "matched"), CASES)
def test_one_citation(
    sentence: str, kind: str, number: str | None, year: int, date: dt.date | None, register: str | None, matched: str
) -> None:
    (ref,) = extract_references(sentence)
    assert (ref.kind, ref.number, ref.year, ref.date, ref.register, ref.text) == (
        kind, number, year, date, register, matched,
    )  # fmt: skip
    assert sentence[ref.start : ref.end] == matched


@pytest.mark.parametrize(
    "sentence",
    [
        "con efficacia dal 1° gennaio 2024 al 31 marzo 2028;",
        "una dotazione finanziaria a carico di Regione Lombardia di € 1.500.000,00",
        "la nuova data di scadenza al 29 maggio 2026 alle ore 16.00.",
        "Determinazioni in merito all'adozione e gestione di misure",  # a title, not a citation
        "La DGR prevede una dotazione finanziaria",  # a kind without a number
        "DETERMINA\n- di prorogare i termini",  # the operative word
        "il Direttore determina di liquidare n. 3 fatture",
        "il programma operativo 2024-2025 e il bando 2025",
        "la Scheda Progetto approvata dal Segretario Generale il 30 ottobre 2025",
        "la legge prevede che il termine sia di 30 giorni",
        "il DPCM in vigore",
        "sul sito www.unioncamerelombardia.it.",
    ],
)
def test_no_invented_citation(sentence: str) -> None:
    assert extract_references(sentence) == []


def test_several_citations_in_one_sentence_are_all_found_in_order() -> None:
    text = "visti la L. 241/1990, il D.Lgs. n. 33/2013 e la DGR n. XII/1536 del 18 dicembre 2023;"
    assert [r.text for r in extract_references(text)] == [
        "L. 241/1990",
        "D.Lgs. n. 33/2013",
        "DGR n. XII/1536 del 18 dicembre 2023",
    ]


def test_issuer_and_legislature() -> None:
    (dgr,) = extract_references("la DGR n. XII/1536 del 18 dicembre 2023")
    assert (dgr.body, dgr.legislature, dgr.serial) == ("Giunta regionale", "XII", None)
    (det,) = extract_references("la determinazione del Segretario Generale n. 5 del 2 febbraio 2022")
    assert det.body == "del Segretario Generale"


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("18/03/2026", D(2026, 3, 18)),
        ("1° luglio 2024", D(2024, 7, 1)),
        ("01/06/2021", D(2021, 6, 1)),
        ("9.12.2025", D(2025, 12, 9)),
        ("18 DICEMBRE 2023", D(2023, 12, 18)),
        ("30/02/2026", None),  # no such day
        ("3 brumaio 2024", None),
    ],
)
def test_parse_date(text: str, date: dt.date | None) -> None:
    assert parse_date(text) == date


# Every citation of the seed act, in reading order: the heading, the poteri, the premesse, the
# visti and the footer; (kind, register, number, year, date).
SEED_CITATIONS = [
    ("determinazione", None, "129/2026", 2026, None),  # the act's own heading
    ("determinazione", None, "46/2021", 2021, D(2021, 6, 1)),  # poteri
    ("delibera", None, "XII/1536", 2023, D(2023, 12, 18)),  # premesse
    ("delibera", None, "XII/2647", 2024, D(2024, 7, 1)),
    ("delibera", None, "XII/2906", 2024, D(2024, 8, 5)),
    ("delibera", None, "1662/2019", 2019, None),
    ("delibera", None, "1536", 2023, D(2023, 12, 18)),
    ("delibera", None, "XII/5217", 2025, D(2025, 10, 27)),
    ("determinazione", "D.O.", "273", 2025, D(2025, 11, 17)),
    ("determinazione", "D.O.", "296", 2025, D(2025, 12, 9)),
    ("determinazione", "D.O.", "60", 2026, D(2026, 3, 18)),
    ("determinazione", "D.O.", "82/2026", 2026, D(2026, 4, 8)),
    ("determinazione", "D.O.", "84", 2026, D(2026, 4, 10)),
    ("delibera", None, "XII/1536", 2023, D(2023, 12, 18)),  # visti
    ("delibera", None, "XII/2647", 2024, D(2024, 7, 1)),
    ("delibera", None, "XII/2906", 2024, D(2024, 8, 5)),
    ("determinazione", "D.O.", "273", 2025, D(2025, 11, 17)),
    ("determinazione", "D.O.", "296", 2025, D(2025, 12, 9)),
    ("determinazione", "D.O.", "60", 2026, D(2026, 3, 18)),
    ("decreto legislativo", None, "82/2005", 2005, None),  # "Firmato digitalmente ai sensi ..."
]


def test_every_citation_of_the_seed_act_and_nothing_else() -> None:
    text = SEED.read_text(encoding="utf-8")
    found = [(r.kind, r.register, r.number, r.year, r.date) for r in extract_references(text)]
    assert found == SEED_CITATIONS


def test_act_references_are_tagged_with_part_and_item() -> None:
    act = load_act(EXAMPLE).act
    found = [(f.part, f.index, f.reference.number) for f in act.references()]
    assert found == [
        ("poteri", 1, "46/2021"),
        ("premesse", 0, "XII/1536"),
        ("premesse", 1, "XII/2647"),
        ("premesse", 2, "XII/2906"),
        ("premesse", 2, "1662/2019"),
        ("premesse", 3, "1536"),
        ("premesse", 5, "XII/5217"),
        ("premesse", 6, "273"),
        ("premesse", 9, "296"),
        ("premesse", 10, "60"),
        ("premesse", 11, "82/2026"),
        ("premesse", 12, "84"),
        ("visti", 0, "XII/1536"),
        ("visti", 1, "XII/2647"),
        ("visti", 2, "XII/2906"),
        ("visti", 3, "273"),
        ("visti", 6, "296"),
        ("visti", 8, "60"),
    ]
    first = act.references()[0]
    assert act.poteri[first.index][first.reference.start : first.reference.end] == first.reference.text


# -- mapping a citation to an archive id -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "default_register", "expected"),
    [
        ("con Determinazione D.O. n. 60 del 18/03/2026", None, "DO-2026-60"),
        ("con Determinazione D.O. n. 82/2026 del 08/04/2026", None, "DO-2026-82"),
        ("con Determinazione D.O. n. 273 del 17 novembre 2025", None, "DO-2025-273"),
        ("il Decreto DDUO n. 15632 del 27/10/2023", None, "DDUO-2023-15632"),
        ("con Determinazione n. 46/2021 dell'01/06/2021", None, None),  # no register named
        ("con Determinazione n. 46/2021 dell'01/06/2021", "D.O.", "DO-2021-46"),
        ("la DGR n. XII/1536 del 18 dicembre 2023", None, None),  # not a plain number
        ("la Determinazione D.O. n. 175/PRO", None, None),
        ("la Determinazione D.O. n. 60", None, None),  # no year
        ("la Determinazione D.O. n. 60/2025 del 3/1/2026", None, "DO-2025-60"),  # the number's year
    ],
)
def test_reference_to_act_id(text: str, default_register: str | None, expected: str | None) -> None:
    (ref,) = extract_references(text)
    assert reference_to_act_id(ref, default_register=default_register) == expected


def test_act_id_rule_is_the_archive_rule() -> None:
    for register, year, number in [("D.O.", 2026, 60), ("S.G.", 2021, 1), ("...", 2020, 3), ("Reg 2", 2019, 7)]:
        assert act_id_of(register, year, number) == act_id(register, year, number)


def test_date_only_reference_has_no_serial() -> None:
    ref = Reference("dpcm", None, 2020, D(2020, 4, 26), 0, 19, "DPCM 26 aprile 2020")
    assert ref.serial is None and reference_to_act_id(ref, default_register="D.O.") is None


# -- relazioni ---------------------------------------------------------------------------------

RELAZIONI = """relazioni:
  - tipo: proroga
    atto: DO-2026-60
    nota: proroga dei termini della II finestra
  - tipo: modifica
    atto: {registro: D.O., numero: 84, anno: 2026}
proposta:"""


def with_relazioni(example_text: str, block: str = RELAZIONI) -> str:
    assert example_text.count("\nproposta:") == 1
    return example_text.replace("\nproposta:", "\n" + block, 1)


def problems(text: str) -> list[str]:
    with pytest.raises(ActError) as info:
        load_act_text(text, "act.yaml")
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_relazioni_in_both_shapes(example_text: str) -> None:
    act = load_act_text(with_relazioni(example_text), "act.yaml").act
    assert [(r.tipo.value, r.atto.id, r.nota) for r in act.relazioni] == [
        ("proroga", "DO-2026-60", "proroga dei termini della II finestra"),
        ("modifica", "DO-2026-84", None),
    ]
    assert act.relazioni[1].atto.registro == "D.O."


def test_relazioni_default_empty() -> None:
    assert load_act(EXAMPLE).act.relazioni == []


def test_unknown_tipo_lists_the_allowed_ones(example_text: str) -> None:
    text = with_relazioni(example_text).replace("tipo: proroga", "tipo: sospensione")
    assert problems(text) == [
        f"act.yaml:{line_of(text, 'tipo: sospensione')}:11: relazioni[0].tipo: 'sospensione' non è uno dei "
        "valori ammessi: "
        "'proroga', 'modifica', 'rettifica', 'integrazione' o 'annullamento'"
    ]


def test_bad_atto_id_is_placed_at_the_value(example_text: str) -> None:
    text = with_relazioni(example_text).replace("atto: DO-2026-60", "atto: Determinazione 60")
    assert problems(text) == [
        f"act.yaml:{line_of(text, 'atto: Determinazione 60')}:11: relazioni[0].atto: 'Determinazione 60' "
        "non è un id d'archivio come DO-2026-60; oppure scrivi l'atto come {registro: D.O., numero: 60, anno: 2026}"
    ]


def test_misspelt_key_of_atto_has_a_suggestion(example_text: str) -> None:
    text = with_relazioni(example_text).replace("numero: 84", "numer: 84")
    line = line_of(text, "numer: 84")
    column = text.splitlines()[line - 1].index("numer:") + 1
    assert problems(text) == [
        f"act.yaml:{line}:11: manca la chiave obbligatoria 'numero' in 'relazioni[1].atto'",
        f"act.yaml:{line}:{column}: chiave sconosciuta 'numer' (forse 'numero'?)",
    ]


def test_missing_atto(example_text: str) -> None:
    text = with_relazioni(example_text).replace("    atto: DO-2026-60\n", "")
    assert problems(text) == [
        f"act.yaml:{line_of(text, 'tipo: proroga')}:5: manca la chiave obbligatoria 'atto' in 'relazioni[0]'"
    ]


def test_relazione_must_point_to_an_earlier_act(example_text: str) -> None:
    # the example is D.O. 129/2026: 129 itself, a later number or a later year cannot be its target
    text = with_relazioni(example_text).replace("DO-2026-60", "DO-2026-129").replace("anno: 2026}", "anno: 2027}")
    assert problems(text) == [
        f"act.yaml:{line_of(text, 'DO-2026-129')}:11: relazioni[0].atto: DO-2026-129 è questo stesso atto: "
        "una relazione riguarda un atto precedente",
        f"act.yaml:{line_of(text, 'anno: 2027')}:11: relazioni[1].atto: DO-2027-84 è del 2027, dopo questo atto "
        "(2026): una relazione riguarda un atto precedente",
    ]
    later = with_relazioni(example_text).replace("DO-2026-60", "DO-2026-130")
    assert problems(later)[0].endswith(
        "DO-2026-130 è un atto successivo dello stesso registro: una relazione riguarda un atto precedente"
    )
    # another register's act 130 of the same year is fine
    load_act_text(with_relazioni(example_text).replace("DO-2026-60", "SG-2026-130"), "act.yaml")
