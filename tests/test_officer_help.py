"""Help for the officer who writes acts (issue 19): atti new, synonyms of a tipo, atti draft list,
and registers kept in order of time (a number's date between its neighbours', none far ahead).

Messages are Italian by default (the suite runs without ATTI_LANG); a few are asked in English.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from atti import pipeline
from atti.acts import load_act, load_act_text
from atti.acts.loader import parse_yaml
from atti.acts.model import Act, TipoAtto
from atti.acts.skeleton import skeleton
from atti.archive import Archive
from atti.errors import ActError, ArchiveError

from .conftest import EXAMPLE, Atti

NO_SOFFICE = {"ATTI_SOFFICE": "/nonexistent/atti-test-no-soffice"}
NOT_RENDERED = "Errore: LibreOffice not found"


# -- synonyms of a tipo ----------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "tipo"), [
    ("deliberazione", TipoAtto.delibera), ("Deliberazione", TipoAtto.delibera), ("delibera", TipoAtto.delibera),
    ("determina", TipoAtto.determinazione), ("DETERMINA", TipoAtto.determinazione),
    ("determinazione dirigenziale", TipoAtto.determinazione), ("Decreto", TipoAtto.decreto),
    ("ordinanza", TipoAtto.ordinanza),
])
def test_a_tipo_is_read_with_its_synonyms(example_text: str, written: str, tipo: TipoAtto) -> None:
    act = load_act_text(example_text.replace("tipo: determinazione", f"tipo: {written}"), check=False).act
    assert act.tipo is tipo


def test_an_unknown_tipo_is_still_refused(example_text: str) -> None:
    with pytest.raises(ActError) as caught:
        load_act_text(example_text.replace("tipo: determinazione", "tipo: giunta"), "a.yaml", check=False)
    assert [str(p) for p in caught.value.problems] == [
        "a.yaml:7:7: tipo: 'giunta' non è uno dei valori ammessi: 'determinazione', 'delibera', 'decreto' o "
        "'ordinanza'"
    ]


# -- atti new --------------------------------------------------------------------------------------


def _filled(value: Any) -> Any:
    """Every empty value of a skeleton written, as an officer would."""
    if value is None:
        return "Testo scritto dall'ufficio"
    if isinstance(value, dict):
        return {k: _filled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v) for v in value]
    return value


@pytest.mark.parametrize("tipo", [t.value for t in TipoAtto])
def test_new_writes_a_skeleton_that_is_an_act_once_filled_in(atti: Atti, tmp_path: Path, tipo: str) -> None:
    path = tmp_path / "atto.yaml"
    with freeze_time("2026-05-19"):
        result = atti("new", tipo, path)
    assert (result.exit_code, result.stdout) == (
        0, f"Scritto {path}: compila i valori vuoti, poi esegui atti check {path}\n"
    )
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# Un atto di tipo {tipo}: scrivi ogni valore vuoto")
    assert "# yaml-language-server: $schema=atti.schema.json\n" in text
    data, _ = parse_yaml(text, str(path))
    act = Act.model_validate(_filled(data))
    assert (act.tipo.value, act.data, act.numero) == (tipo, dt.date(2026, 5, 19), None)
    assert act.formula == TipoAtto(tipo).formula


def test_check_names_each_value_of_a_skeleton_still_to_write(atti: Atti, tmp_path: Path) -> None:
    path = tmp_path / "delibera.yaml"
    path.write_text(skeleton("deliberazione", today=dt.date(2026, 5, 19)), encoding="utf-8")
    result = atti("check", path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}:5:8: ente.nome: manca il valore: scrivilo dopo 'nome:'"
    assert f"{path}:14:4: premesse[0]: manca il valore: scrivi il testo dopo il trattino, o togli la voce" in lines
    assert len(lines) == 9


def test_new_never_overwrites_and_refuses_an_unknown_tipo(atti: Atti, tmp_path: Path) -> None:
    path = tmp_path / "atto.yaml"
    path.write_text("mine", encoding="utf-8")
    result = atti("new", "delibera", path)
    assert (result.exit_code, result.stderr) == (
        2, f"Errore: {path} esiste già: atti new non sovrascrive mai un file\n"
    )
    assert path.read_text(encoding="utf-8") == "mine"
    result = atti("new", "verbale", tmp_path / "x.yaml")
    assert (result.exit_code, result.stderr) == (
        2, "Errore: 'verbale' non è un tipo di atto: scrivi uno tra determinazione, delibera, decreto, ordinanza\n"
    )
    assert not (tmp_path / "x.yaml").exists()


def test_new_writes_tipo_yaml_by_default_and_speaks_english_on_request(atti: Atti, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = atti("--lang", "en", "new", "Determina")
    assert (result.exit_code, result.stdout) == (
        0, "Wrote determinazione.yaml: fill in the empty values, then run atti check determinazione.yaml\n"
    )
    assert (tmp_path / "determinazione.yaml").read_text(encoding="utf-8").startswith("# A determinazione: write")
    result = atti("new", "decreto", env={"ATTI_LANG": "en"})
    assert result.stdout.startswith("Wrote decreto.yaml")


# -- atti draft list -------------------------------------------------------------------------------


@pytest.fixture()
def archive(archive_location: Path | str) -> Archive:
    pipeline.init_archive(archive_location)
    return Archive.open(archive_location)


def test_draft_list_shows_each_draft_with_its_last_change(atti: Atti, archive: Archive, tmp_path: Path) -> None:
    result = atti("draft", "list", "--archive", archive.location)
    assert (result.exit_code, result.stdout) == (0, "Nessuna bozza.\n")
    assert json.loads(atti("draft", "list", "--archive", archive.location, "--json").stdout) == []
    other = tmp_path / "other.yaml"
    other.write_text(EXAMPLE.read_text(encoding="utf-8").replace("tipo: determinazione", "tipo: deliberazione"),
                     encoding="utf-8")
    # No frozen clock: an S3 server refuses a request signed at another time than its own.
    assert atti("draft", "save", EXAMPLE, "--archive", archive.location, "--as", "rossi").exit_code == 0
    assert atti("draft", "save", other, "--archive", archive.location, "--as", "bianchi").exit_code == 0
    assert atti("draft", "submit", "bozza-1", "--archive", archive.location, "--as", "verdi").exit_code == 0
    first, second = (archive.versions(d)[-1].created_at for d in ("bozza-1", "bozza-2"))
    result = atti("draft", "list", "--archive", archive.location)
    oggetto = load_act(EXAMPLE).act.oggetto
    assert (result.exit_code, result.stdout.splitlines()) == (0, [
        f"bozza-1  determinazione  in verifica  {first}  verdi  {oggetto}",
        f"bozza-2  delibera  bozza  {second}  bianchi  {oggetto}",
    ])
    listed = json.loads(atti("draft", "list", "--archive", archive.location, "--json").stdout)
    assert listed[1] == {"id": "bozza-2", "tipo": "delibera", "oggetto": oggetto, "stato": "bozza",
                         "changed_at": second, "actor": "bianchi", "versions": 1}
    assert [d["versions"] for d in listed] == [2, 1]
    assert archive.versions("bozza-1")[0].actor == "rossi"  # the list shows the newest version's author


# -- registers in order of time --------------------------------------------------------------------


def seal(arc: Archive, number: int, data: dt.date, registro: str = "D.O.") -> None:
    act = load_act(EXAMPLE).act.model_copy(update={"numero": number, "data": data, "registro": registro})
    arc.seal(act, source=f"src {number}", docx=b"docx", pdf=f"%PDF {number}".encode(), firmatario="F. Ventrice")


def act_file(tmp_path: Path, data: str, numero: str = "# no number") -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", numero + " ", 1)
    path = tmp_path / f"act-{data}.yaml"
    path.write_text(text.replace("data: 2026-05-19", f"data: {data}"), encoding="utf-8")
    return path


def test_a_number_is_not_dated_before_the_previous_one(atti: Atti, archive: Archive, tmp_path: Path) -> None:
    seal(archive, 1, dt.date(2026, 4, 15))
    result = atti("publish", act_file(tmp_path, "2026-03-01"), "--archive", archive.location, env=NO_SOFFICE)
    assert (result.exit_code, result.stderr) == (
        6, "Errore: il n. 2/2026 del registro D.O. avrebbe data 01/03/2026, anteriore al n. 1 del 15/04/2026: "
        "gli atti di un registro si susseguono nel tempo; controlla la data\n"
    )
    assert archive.next_number("D.O.", 2026) == 2
    # The same day as the previous number, or later, goes on to be rendered.
    for data in ("2026-04-15", "2026-05-20"):
        result = atti("publish", act_file(tmp_path, data), "--archive", archive.location, env=NO_SOFFICE)
        assert result.exit_code == 3 and result.stderr.startswith(NOT_RENDERED), result.output


def test_a_number_is_not_dated_after_the_next_one(archive: Archive) -> None:
    """Imported acts keep their own numbers: a number may be taken below one already archived."""
    seal(archive, 1, dt.date(2026, 1, 10))
    seal(archive, 5, dt.date(2026, 3, 1))
    archive.ensure_in_order("D.O.", 2026, 3, dt.date(2026, 3, 1))
    with pytest.raises(ArchiveError) as caught:
        archive.ensure_in_order("D.O.", 2026, 3, dt.date(2026, 3, 2))
    assert caught.value.msg == (
        "il n. 3/2026 del registro D.O. avrebbe data 02/03/2026, successiva al n. 5 del 01/03/2026: gli atti di un "
        "registro si susseguono nel tempo; controlla la data"
    )
    archive.ensure_in_order("S.G.", 2026, 3, dt.date(2026, 12, 31))  # another register has its own order


def test_a_date_far_ahead_is_refused_by_check_and_publish(atti: Atti, archive: Archive, tmp_path: Path) -> None:
    path = act_file(tmp_path, "2062-05-19")
    with freeze_time("2026-05-19"):
        result = atti("check", path)
        assert (result.exit_code, result.stdout) == (
            1, f"{path}:11:7: data: 19/05/2062 è più di 7 giorni dopo oggi (19/05/2026): controlla l'anno "
            "(l'impostazione max_days_ahead ammette fino a 7)\n"
        )
        a_week = act_file(tmp_path, "2026-05-26")
        assert atti("check", a_week).exit_code == 0
        assert atti("check", act_file(tmp_path, "2026-05-27")).exit_code == 1
        assert atti("check", act_file(tmp_path, "2026-05-27"), env={"ATTI_MAX_DAYS_AHEAD": "30"}).exit_code == 0
        result = atti("check", path, env={"ATTI_LANG": "en"})
        assert result.stdout == (f"{path}:11:7: data: 19/05/2062 is more than 7 days after today (19/05/2026): "
                                 "check the year (the setting max_days_ahead allows up to 7)\n")
    # No frozen clock for the archive (an S3 server refuses a request signed at another time).
    result = atti("publish", path, "--archive", archive.location, env=NO_SOFFICE)
    assert result.exit_code == 1 and "19/05/2062 è più di 7 giorni dopo oggi" in result.stderr


def test_new_into_a_folder_that_is_not_there_is_a_plain_error(atti: Atti, tmp_path: Path) -> None:
    result = atti("new", "delibera", tmp_path / "manca" / "atto.yaml")
    path = tmp_path / "manca" / "atto.yaml"
    assert result.exit_code == 2 and result.stderr.startswith(f"Errore: impossibile scrivere {path}"), result.stderr
