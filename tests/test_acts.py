"""The act model and the YAML loader: valid acts load, every problem is placed at its line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from atti.acts import load_act, load_act_text
from atti.errors import ActError

from .conftest import EXAMPLE


def problems(text: str) -> list[str]:
    with pytest.raises(ActError) as info:
        load_act_text(text, "act.yaml")
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_example_loads_with_every_part(example_text: str) -> None:
    act = load_act(EXAMPLE).act
    assert act.ente.nome == "Unioncamere Lombardia"
    assert act.titolo == "DETERMINAZIONE DEL DIRETTORE OPERATIVO"
    assert act.estremi == "129/2026"
    assert act.data == dt.date(2026, 5, 19)
    assert act.intestazione_autorita == "IL DIRETTORE OPERATIVO"
    assert (len(act.poteri), len(act.premesse), len(act.visti)) == (2, 14, 11)
    assert act.formula == "DETERMINA"
    assert len(act.dispositivo.punti) == 2
    assert [v.nome for v in act.verifiche] == ["Roberto Valente", "Franco Pozzoli", "Mattia Cattaneo"]
    # Folded YAML scalars become one line of text, as in the signed act.
    assert act.premesse[0].startswith("Regione Lombardia e Sistema Camerale lombardo hanno sottoscritto")
    assert "\n" not in act.premesse[0]


def test_unknown_key_is_placed_at_the_key_with_a_suggestion(example_text: str) -> None:
    text = example_text.replace("\npremesse:", "\npremese:")
    assert problems(text) == [
        # the misspelt key also leaves the real one missing: reported where the act begins
        f"act.yaml:{line_of(text, 'ente:')}:1: manca la chiave obbligatoria 'premesse'",
        f"act.yaml:{line_of(text, 'premese:')}:1: chiave sconosciuta 'premese' (forse 'premesse'?)",
    ]


def test_unknown_nested_key(example_text: str) -> None:
    text = example_text.replace("  qualifica: Il Direttore Operativo", "  qualifca: Il Direttore Operativo")
    line = line_of(text, "qualifca:")
    assert f"act.yaml:{line}:3: chiave sconosciuta 'qualifca' (forse 'qualifica'?)" in problems(text)


def test_missing_field_names_the_key_and_its_parent(example_text: str) -> None:
    text = example_text.replace("  nome: Fabrizio Ventrice\n", "")
    line = line_of(text, "qualifica: Il Direttore Operativo")
    assert problems(text) == [f"act.yaml:{line}:3: manca la chiave obbligatoria 'nome' in 'firmatario'"]


def test_bad_date_is_placed_at_the_value(example_text: str) -> None:
    text = example_text.replace("data: 2026-05-19", "data: 2026-02-30")
    line = line_of(text, "data: 2026-02-30")
    assert problems(text) == [
        f"act.yaml:{line}:7: data: data non valida: '2026-02-30' (scrivila nella forma AAAA-MM-GG, es. 2026-05-19)"
    ]


def test_date_in_italian_form_is_refused(example_text: str) -> None:
    text = example_text.replace("data: 2026-05-19", "data: 19/05/2026")
    assert problems(text)[0].endswith("data: '19/05/2026' non è scritta nella forma AAAA-MM-GG: scrivi 2026-05-19")


def test_empty_dispositivo(example_text: str) -> None:
    start = example_text.index("  punti:")
    end = example_text.index("\nproposta:")
    text = example_text[:start] + "  punti: []\n" + example_text[end:]
    line = line_of(text, "punti: []")
    assert problems(text) == [f"act.yaml:{line}:10: dispositivo vuoto: scrivi almeno un punto"]


def test_verification_not_positive(example_text: str) -> None:
    text = example_text.replace(
        "    nome: Franco Pozzoli\n    esito: positivo", "    nome: Franco Pozzoli\n    esito: negativo"
    )
    line = next(
        i for i, ln in enumerate(text.splitlines(), 1) if "esito: negativo" in ln
    )
    assert problems(text) == [
        f"act.yaml:{line}:12: verifiche[1].esito: 'Verifica Legale' di Franco Pozzoli è 'negativo'; "
        "ogni verifica deve essere positiva prima della firma"
    ]


def test_unknown_esito(example_text: str) -> None:
    text = example_text.replace(
        "    esito: positivo\n  - tipo: Verifica Legale", "    esito: ok\n  - tipo: Verifica Legale"
    )
    assert problems(text) == [
        f"act.yaml:{line_of(text, 'esito: ok')}:12: verifiche[0].esito: 'ok' non è uno dei valori ammessi: "
        "'positivo', 'negativo' o 'sospeso'"
    ]


def test_yaml_syntax_error_has_its_position(example_text: str) -> None:
    text = example_text.replace("  sito: www", "\tsito: www", 1)  # a tab cannot indent YAML
    (only,) = problems(text)
    assert only.startswith(f"act.yaml:{line_of(text, 'sito: www')}:1: errore di sintassi YAML: questa riga è "
                           "rientrata con una tabulazione: "
                           "YAML rientra solo con spazi (sostituisci la tabulazione con spazi)")


ODD_YAML = (
    'note: |\n  due righe\n  di testo\ndata_extra: 2026-02-30\nx: &a [1, {b: 2}]\ny: *a\nz: "😀 \\u00e8 \\x41"\n'
)


@pytest.mark.parametrize("extra", ["", ODD_YAML])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_libyaml_and_pure_loaders_give_the_same_data_and_positions(example_text: str, extra: str, bom: str) -> None:
    from atti.acts import loader

    text = bom + example_text + extra
    fast = loader._parse_with(loader._FastLoader, text, "act.yaml", len(bom))
    pure = loader._parse_with(loader._Loader, text, "act.yaml", len(bom))
    assert fast[0] == pure[0]
    assert fast[1].values == pure[1].values and fast[1].keys == pure[1].keys
    assert fast[1].scalars == pure[1].scalars
    span = fast[1].scalars[("registro",)]
    assert text[span.start:span.end] == "D.O."


def test_duplicate_key(example_text: str) -> None:
    text = example_text.replace("registro: D.O.", "registro: D.O.\nregistro: D.G.")
    assert problems(text) == [f"act.yaml:{line_of(text, 'registro: D.G.')}:1: chiave ripetuta 'registro'"]


def test_every_problem_is_reported_in_file_order(example_text: str) -> None:
    text = example_text.replace("data: 2026-05-19", "data: 2026-13-01").replace("\norgano:", "\norgan:")
    lines = [int(p.split(":")[1]) for p in problems(text)]
    assert lines == sorted(lines) and len(lines) == 3  # bad date, unknown 'organ', missing 'organo'


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(ActError, match="il file non esiste"):
        load_act(tmp_path / "none.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("oggetto: citt\xe0\n".encode("latin-1"))
    with pytest.raises(ActError, match=r"latin1.yaml:1:14: il file non è testo UTF-8"):
        load_act(bad)


def test_draft_without_number_and_titles_of_other_types(example_text: str) -> None:
    act = load_act_text(example_text.replace("numero: 129 ", "#"), "a.yaml").act
    assert act.numero is None and act.estremi == ""
    delibera = act.model_copy(update={"tipo": "delibera", "organo": "Giunta Camerale"})
    assert load_act_text(example_text.replace("tipo: determinazione", "tipo: delibera").replace(
        "organo: Direttore Operativo", "organo: Giunta Camerale"), "d.yaml").act.titolo == (
        "DELIBERAZIONE DELLA GIUNTA CAMERALE"
    )
    assert delibera.organo == "Giunta Camerale"
    decreto = example_text.replace("tipo: determinazione", "tipo: decreto").replace(
        "organo: Direttore Operativo", "organo: Amministratore Unico").replace("formula: DETERMINA\n", "")
    loaded = load_act_text(decreto, "x.yaml").act
    assert loaded.titolo == "DECRETO DELL'AMMINISTRATORE UNICO"
    assert loaded.formula == "DECRETA"


def test_missing_attachment_file(example_text: str, tmp_path: Path) -> None:
    path = tmp_path / "act.yaml"
    path.write_text(example_text + "allegati:\n  - titolo: Bando\n    file: bando.pdf\n")
    with pytest.raises(ActError) as info:
        load_act(path)
    assert str(info.value.problems[0]).endswith("allegati[0].file: il file 'bando.pdf' non esiste")
    (tmp_path / "bando.pdf").write_bytes(b"%PDF-1.7\n")
    assert load_act(path).act.allegati[0].titolo == "Bando"


def test_only_a_pdf_can_be_appended(example_text: str, tmp_path: Path) -> None:
    path = tmp_path / "act.yaml"
    (tmp_path / "tabella.xlsx").write_bytes(b"PK")
    text = example_text + "allegati:\n  - titolo: Tabella\n    file: tabella.xlsx\n    modo: accodato\n"
    path.write_text(text)
    with pytest.raises(ActError) as info:
        load_act(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:{line_of(text, 'modo: accodato')}:11: allegati[0].modo: solo un file PDF può essere 'accodato' "
        "(le sue pagine aggiunte in coda all'atto)"
    ]
    path.write_text(text.replace("modo: accodato", "modo: allegato"))
    assert load_act(path).act.allegati[0].modo == "allegato"
    path.write_text(text.replace("modo: accodato", "modo: stampato"))
    with pytest.raises(ActError, match="allegati"):
        load_act(path)
