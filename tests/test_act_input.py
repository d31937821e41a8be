"""Hostile and odd act files: each is refused with FILE:LINE:COLUMN lines (exit 1), at once.

An alias bomb, thousands of nested brackets, a NUL byte, a merge key, a second document, a
Python tag: none may hang `atti check`, eat the machine's memory or end in "internal error".
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import atti
from atti.acts import load_act, load_act_text
from atti.acts.loader import MAX_BYTES, MAX_DEPTH, MAX_VALUES
from atti.errors import ActError

from .conftest import Atti


def problems(text: str) -> list[str]:
    with pytest.raises(ActError) as info:
        load_act_text(text, "act.yaml")
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def column_of(text: str, needle: str) -> int:
    return text.splitlines()[line_of(text, needle) - 1].index(needle) + 1


def billion_laughs() -> str:
    """Nine levels of nine aliases each: 9**9 values if every alias were expanded again."""
    lines = ["a: &a [" + ", ".join(["x"] * 9) + "]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# -- limits --------------------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit(example_text: str) -> None:
    text = billion_laughs() + example_text
    # a: 10 values, b: 91, c: 820, d: 7381, e: 66430 (and one key each): the first *e of f crosses
    assert 10 + 91 + 820 + 7381 + 66430 + 5 < MAX_VALUES < 10 + 91 + 820 + 7381 + 66430 + 6 + 1 + 66430
    (only,) = problems(text)
    assert only == (
        f"act.yaml:{line_of(text, 'f: &f')}:{column_of(text, '*e')}: l'alias '*e' vale 66430 valori, "
        f"e così l'atto supera {MAX_VALUES} chiavi, valori e voci di elenco"
    )


def test_an_alias_bomb_is_refused_in_bounded_memory(tmp_path: Path, example_text: str) -> None:
    """The old loader expanded every alias again: past 1.2 GB and rising. Here the check runs in a
    process that may not grow past 512 MB, so a loader that expands the aliases fails, not hangs."""
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs() + example_text, encoding="utf-8")
    code = "import sys; from atti.cli import main; sys.argv[0] = 'atti'; main()"
    src = str(Path(atti.__file__).resolve().parents[1])

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))

    result = subprocess.run(
        [sys.executable, "-c", code, "check", str(bomb)], capture_output=True, text=True, preexec_fn=limit_memory,
        env={**os.environ, "PYTHONPATH": src}, timeout=600, check=False,
    )
    assert result.returncode == 1, result.stderr[-500:]
    assert result.stdout.startswith(f"{bomb}:6:"), result.stdout
    assert "l'alias '*e' vale 66430 valori" in result.stdout


def test_aliases_within_the_limit_still_work(example_text: str) -> None:
    text = example_text.replace("  firmatario: Nicolas Sangalli", "  firmatario: &chi Nicolas Sangalli")
    text = text.replace("    nome: Roberto Valente", "    nome: *chi")
    assert load_act_text(text, "act.yaml").act.verifiche[0].nome == "Nicolas Sangalli"


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_is_refused_where_it_crosses_the_limit(example_text: str, style: str) -> None:
    if style == "flow":
        extra = "extra: " + "[" * 3000 + "]" * 3000 + "\n"
        column = len("extra: ") + MAX_DEPTH  # the root mapping is the first level
    else:
        extra = "extra:\n" + "".join("  " * i + "-\n" for i in range(1, 300))
        column = None
    text = example_text + extra
    (only,) = problems(text)
    assert f"più di {MAX_DEPTH} livelli" in only
    if column is not None:
        assert only.startswith(f"act.yaml:{line_of(text, 'extra:')}:{column}:")


def test_an_alias_cannot_nest_deeper_than_the_limit(example_text: str) -> None:
    deep = "a: &a " + "[" * (MAX_DEPTH - 3) + "]" * (MAX_DEPTH - 3) + "\n"
    text = deep + "b: [[[[*a]]]]\n" + example_text
    (only,) = problems(text)
    assert only.startswith(f"act.yaml:2:{len('b: [[[[') + 1}:")
    assert f"più di {MAX_DEPTH} livelli" in only


def test_a_file_too_large_is_refused_where_it_crosses_the_limit(tmp_path: Path, example_text: str) -> None:
    filler = "# " + "x" * 98 + "\n"
    text = example_text + filler * (MAX_BYTES // len(filler) + 1)
    limit_line = example_text.count("\n") + (MAX_BYTES - len(example_text.encode())) // len(filler) + 1
    column = (MAX_BYTES - len(example_text.encode())) % len(filler) + 1
    message = f"il file è più grande di {MAX_BYTES // 2**20} MB: nessun atto è così lungo"
    assert problems(text) == [f"act.yaml:{limit_line}:{column}: {message}"]
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ActError) as info:
        load_act(path)
    assert [str(p) for p in info.value.problems] == [f"{path}:{limit_line}:{column}: {message}"]


def test_only_a_regular_file_is_read(atti: Atti, tmp_path: Path) -> None:
    """/dev/zero never ends and a FIFO blocks until someone writes to it: neither is read."""
    fifo = tmp_path / "act.yaml"
    os.mkfifo(fifo)
    for path in ("/dev/zero", fifo):
        result = atti("check", path)
        assert result.exit_code == 1
        assert result.output.splitlines() == [
            f"{path}:1:1: impossibile leggere: non è un file regolare (una FIFO, un dispositivo...)"
        ]
    assert atti("check", tmp_path).output.splitlines() == [f"{tmp_path}:1:1: impossibile leggere: è una cartella"]


# -- odd files: one clear line each, never "internal error" ----------------------------------------


@pytest.mark.parametrize(
    ("char", "name"),
    [("\x00", "NULL"), ("\x1b", "ESCAPE"), ("\x7f", "DELETE"), ("\x9b", "CONTROL SEQUENCE INTRODUCER")],
)
def test_a_raw_control_character_is_placed(atti: Atti, tmp_path: Path, example_text: str, char: str, name: str) -> None:
    text = example_text.replace("organo: Direttore Operativo", f"organo: Dire{char}ttore Operativo")
    path = tmp_path / "act.yaml"
    path.write_text(text, encoding="utf-8")
    result = atti("check", path)
    assert result.exit_code == 1, result.output
    line = line_of(text, "organo:")
    assert result.output.splitlines() == [
        f"{path}:{line}:{len('organo: Dire') + 1}: il carattere U+{ord(char):04X} ({name}) "
        "non può stare in un atto: un carattere di controllo invisibile"
    ]


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"])
def test_a_raw_line_separator_is_refused_where_an_editor_shows_it(example_text: str, char: str) -> None:
    """YAML counts NEL, LS and PS as line breaks, most editors do not: placed by plain newlines."""
    text = example_text.replace("organo: Direttore Operativo", f"organo: Direttore{char}Operativo")
    text = text.replace("data: 2026-05-19", "data: 2026-02-30")  # later lines keep their numbers
    (only,) = problems(text)
    assert only.startswith(f"act.yaml:{line_of(text, 'organo:')}:{len('organo: Direttore') + 1}: il carattere U+")
    assert "un a capo dentro il testo" in only


def test_nesting_3000_deep_through_the_command_line(atti: Atti, tmp_path: Path, example_text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(example_text + "extra: " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    result = atti("check", path)
    assert result.exit_code == 1 and "internal error" not in result.output
    assert f"più di {MAX_DEPTH} livelli" in result.output


def test_a_merge_key_is_refused_at_its_place(atti: Atti, tmp_path: Path, example_text: str) -> None:
    text = "base: &b {nome: Fabrizio Ventrice}\n" + example_text.replace(
        "firmatario:                     # who signs it digitally\n  nome: Fabrizio Ventrice",
        "firmatario:\n  <<: *b",
    )
    path = tmp_path / "act.yaml"
    path.write_text(text, encoding="utf-8")
    result = atti("check", path)
    assert result.exit_code == 1
    assert f"{path}:{line_of(text, '<<: *b')}:3: le chiavi di unione ('<<') non si usano negli atti: " \
           "scrivi le chiavi per esteso" in (
        result.output
    )


def test_a_plain_merge_or_value_sign_as_text_is_text(example_text: str) -> None:
    text = example_text.replace("  - la DGR n. XII/1536 del 18 dicembre 2023;", "  - <<\n  - =")
    assert load_act_text(text, "act.yaml").act.visti[:2] == ["<<", "="]


@pytest.mark.parametrize(
    ("tagged", "shown"),
    [
        ("!!python/object:os.system {}", "!!python/object:os.system"),
        ("!!python/name:os.system ''", "!!python/name:os.system"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!custom x", "!custom"),
        ("!!str testo", "!!str"),
        ("!!set {a, b}", "!!set"),
    ],
)
def test_tags_are_refused(example_text: str, tagged: str, shown: str) -> None:
    text = example_text.replace("organo: Direttore Operativo", f"organo: {tagged}")
    assert problems(text) == [
        f"act.yaml:{line_of(text, 'organo:')}:9: organo: i tag come '{shown}' non si usano negli atti: "
        "scrivi il valore come testo semplice (tra virgolette se serve)"
    ]


def test_a_second_document_is_refused_where_it_starts(example_text: str) -> None:
    text = example_text + "---\n" + example_text
    assert problems(text) == [
        f"act.yaml:{example_text.count(chr(10)) + 1}:1: qui inizia un secondo documento ('---'): "
        "un file contiene un solo atto"
    ]


EMPTY = "act.yaml:1:1: il file è vuoto: un atto è un elenco YAML di chiavi come 'oggetto:'"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", EMPTY),
        ("# only a comment\n\n", EMPTY),
        ("---\n", EMPTY),
        ("- a\n- b\n", "act.yaml:1:1: un atto è un elenco YAML di chiavi come 'oggetto:', non una lista"),
        ("\n  hello\n", "act.yaml:2:3: un atto è un elenco YAML di chiavi come 'oggetto:', non un valore solo"),
    ],
)
def test_not_an_act(text: str, message: str) -> None:
    assert problems(text) == [message]


def test_a_utf8_byte_order_mark_is_allowed_and_changes_no_position(example_text: str) -> None:
    bom = "\ufeff" + example_text.replace("data: 2026-05-19", "data: 2026-02-30")
    plain = example_text.replace("data: 2026-05-19", "data: 2026-02-30")
    assert problems(bom) == problems(plain)
    assert load_act_text("\ufeff" + example_text, "act.yaml").act.registro == "D.O."


def test_files_that_are_not_utf8_say_where(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("ente:\n  nome: Citt\xe0 di Lecco\n".encode("latin-1"))
    with pytest.raises(ActError) as info:
        load_act(latin1)
    assert [str(p) for p in info.value.problems] == [
        f"{latin1}:2:13: il file non è testo UTF-8 (qui c'è il byte 0xE0): salvalo come UTF-8"
    ]
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes("ente:\n  nome: Città\n".encode("utf-16"))
    with pytest.raises(ActError) as info:
        load_act(utf16)
    assert [str(p) for p in info.value.problems] == [f"{utf16}:1:1: il file è testo UTF-16: salvalo come UTF-8"]


# -- numbers -------------------------------------------------------------------------------------


def test_yaml_1_1_numbers_in_disguise_are_not_numbers(example_text: str) -> None:
    """`0127` would be octal 87 in YAML 1.1, `1_29` 129 and `2:09` sexagesimal 129: each is left as
    written, so numero refuses it instead of taking another number."""
    for written in ("0127", "1_29", "2:09", "0x81"):
        text = example_text.replace("numero: 129 ", f"numero: {written} ")
        (only,) = problems(text)
        assert only.startswith(f"act.yaml:{line_of(text, 'numero:')}:9: numero: deve essere un numero intero ")
        assert only.endswith(f", non '{written}'")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("true", "numero: true non è un numero: scrivi il numero in cifre, es. numero: 129"),
        ("129.0", "numero: 129.0 è un numero decimale: scrivi un numero intero, es. numero: 129"),
        ("'129'", "numero: '129' è scritto come testo, tra virgolette: scrivi il numero senza, numero: 129"),
        ("9223372036854775808", "numero: 9223372036854775808 è fuori intervallo: i numeri di un registro vanno da 1 "
         "a 999999"),
        ("1000000", "numero: 1000000 è fuori intervallo: i numeri di un registro vanno da 1 a 999999"),
        ("0", "numero: 0 è fuori intervallo: i numeri di un registro vanno da 1 a 999999"),
        ("0127", "numero: deve essere un numero intero scritto con le cifre 0-9, senza zeri iniziali "
         "(es. numero: 129), non '0127'"),
        ("'12a'", "numero: deve essere un numero intero scritto con le cifre 0-9, senza zeri iniziali "
         "(es. numero: 129), non '12a'"),
        ("[129]", "numero: un elenco non è un numero: scrivi il numero in cifre, es. numero: 129"),
        ("12/2026", "numero: '12/2026' è un numero con l'anno: scrivi solo il numero, numero: 12 (l'anno è quello "
         "della data)"),
    ],
)
def test_numero_is_a_whole_number_in_range(example_text: str, written: str, message: str) -> None:
    text = example_text.replace("numero: 129 ", f"numero: {written} ")
    assert problems(text) == [f"act.yaml:{line_of(text, 'numero:')}:9: {message}"]


def test_numero_within_range_and_a_draft_without_one(example_text: str) -> None:
    assert load_act_text(example_text.replace("numero: 129 ", "numero: 999999 "), "a.yaml").act.numero == 999999
    assert load_act_text(example_text.replace("numero: 129 ", "numero: "), "a.yaml").act.numero is None


@pytest.mark.parametrize(
    ("atto", "message"),
    [
        ("{registro: D.O., numero: true, anno: 2025}", "relazioni[0].atto.numero: true non è un numero"),
        ("{registro: D.O., numero: 60, anno: 2025.0}", "relazioni[0].atto.anno: 2025.0 è un numero decimale"),
        ("{registro: D.O., numero: 60, anno: '2025'}", "relazioni[0].atto.anno: '2025' è scritto come testo"),
        ("{registro: D.O., numero: 60, anno: 1799}", "relazioni[0].atto.anno: 1799 è fuori intervallo: "
         "scrivi l'anno dell'atto, da 1800 a 2999"),
        ("DO-2025-99999999999999999999", "relazioni[0].atto.numero: 99999999999999999999 è fuori intervallo"),
    ],
)
def test_the_numbers_of_a_cited_act(example_text: str, atto: str, message: str) -> None:
    text = example_text + f"relazioni:\n  - tipo: proroga\n    atto: {atto}\n"
    (only,) = problems(text)
    assert only.startswith(f"act.yaml:{line_of(text, 'atto:')}:") and message in only, only


# -- registro ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("registro", "message"),
    [
        ("D O", "registro: 'D O' è scritto con uno spazio: scrivilo come nel registro dell'ente, es. D.O. "
         "(il suo id d'archivio tiene solo lettere e cifre: DO)"),
        ("'...'", "registro: '...' non ha lettere né cifre: l'id d'archivio è fatto di quelle (D.O. dà DO-2026-129)"),
        ("Ù.O.", "registro: 'Ù.O.' contiene il carattere 'Ù': un registro si scrive solo con le lettere A-Z, le cifre "
         "0-9 e i segni . / -"),
        ("D_O", "registro: 'D_O' contiene il carattere '_': un registro si scrive solo con le lettere A-Z, le cifre "
         "0-9 e i segni . / -"),
        ("ABCDEFGHIJKLMNOPQRSTU", "registro: 'ABCDEFGHIJKLMNOPQRSTU' è più lungo di 20 caratteri"),
    ],
)
def test_registro_is_refused_when_its_archive_id_would_not_say_it(example_text: str, registro: str,
                                                                  message: str) -> None:
    text = example_text.replace("registro: D.O. ", f"registro: {registro} ")
    assert problems(text) == [f"act.yaml:{line_of(text, 'registro:')}:11: {message}"]


@pytest.mark.parametrize("registro", ["D.O.", "DG/2", "S-G", "G", "dd", "SG2"])
def test_registro_written_as_registers_are(example_text: str, registro: str) -> None:
    assert load_act_text(example_text.replace("registro: D.O. ", f"registro: {registro} "), "a.yaml").act.registro == (
        registro
    )


def test_a_cited_registro_follows_the_same_rule(example_text: str) -> None:
    text = example_text + "relazioni:\n  - tipo: proroga\n    atto: {registro: D O, numero: 60, anno: 2026}\n"
    (only,) = problems(text)
    assert "relazioni[0].atto.registro: 'D O' è scritto con uno spazio" in only


def test_check_and_archive_derive_the_act_id_with_one_function() -> None:
    from atti.acts.references import act_id_of, registro_slug
    from atti.archive import archive

    assert archive.act_id is act_id_of
    assert act_id_of("D.O.", 2026, 129) == "DO-2026-129" and registro_slug("DG/2") == "DG2"


# -- characters ----------------------------------------------------------------------------------

RLO = "\u202e"


def premessa(example_text: str, written: str) -> str:
    """The example with its second premessa written as ``written`` (YAML, quotes included)."""
    start = example_text.index("  - >-\n    la DGR n. XII/2647")
    end = example_text.index("  - >-\n    la DGR n. XII/2906")
    return example_text[:start] + f"  - {written}\n" + example_text[end:]


def test_a_raw_character_in_a_comment_is_placed_too(example_text: str) -> None:
    text = example_text.replace("# the operative part", "# the operative \u202epart")
    assert problems(text) == [
        f"act.yaml:{line_of(text, 'the operative')}:{column_of(text, chr(0x202E))}: il carattere U+202E "
        "(RIGHT-TO-LEFT OVERRIDE) non può stare in un atto: cambia la direzione del testo sullo schermo, "
        "così l'atto si leggerebbe diversamente da ciò che dice"
    ]


def test_a_raw_character_in_a_value_names_its_key(example_text: str) -> None:
    rlo = "\u202e"
    text = example_text.replace("  - la DGR n. XII/2647 del 1° luglio 2024;", f"  - la DGR n. {rlo}XII/2647;")
    assert problems(text) == [
        f"act.yaml:{line_of(text, 'XII/2647;')}:{column_of(text, rlo)}: visti[1]: il carattere U+202E "
        "(RIGHT-TO-LEFT OVERRIDE) non può stare in un atto: cambia la direzione del testo sullo schermo, "
        "così l'atto si leggerebbe diversamente da ciò che dice"
    ]


@pytest.mark.parametrize(
    ("escape", "name", "why"),
    [
        ("\\f", "U+000C (FORM FEED)", "un salto pagina nel PDF firmato"),
        ("\\v", "U+000B (LINE TABULATION)", "un a capo nel PDF firmato: dividerebbe la voce"),
        ("\\N", "U+0085 (NEXT LINE)", "un a capo dentro il testo"),
        ("\\L", "U+2028 (LINE SEPARATOR)", "un a capo dentro il testo"),
        ("\\P", "U+2029 (PARAGRAPH SEPARATOR)", "un a capo dentro il testo"),
        ("\\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)", "cambia la direzione del testo sullo schermo"),
        ("\\u2067", "U+2067 (RIGHT-TO-LEFT ISOLATE)", "cambia la direzione del testo sullo schermo"),
        ("\\u200f", "U+200F (RIGHT-TO-LEFT MARK)", "cambia la direzione del testo sullo schermo"),
        ("\\u200e", "U+200E (LEFT-TO-RIGHT MARK)", "cambia la direzione del testo sullo schermo"),
        ("\\u200b", "U+200B (ZERO WIDTH SPACE)", "un carattere di formattazione invisibile"),
        ("\\u00ad", "U+00AD (SOFT HYPHEN)", "un carattere di formattazione invisibile"),
        ("\\u2060", "U+2060 (WORD JOINER)", "un carattere di formattazione invisibile"),
        ("\\ufeff", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)", "un carattere di formattazione invisibile"),
        ("\\x07", "U+0007 (BELL)", "un carattere di controllo invisibile"),
        ("\\e", "U+001B (ESCAPE)", "un carattere di controllo invisibile"),
        ("\\r", "U+000D (CARRIAGE RETURN)", "un carattere di controllo invisibile"),
        ("\\ue000", "U+E000", "un carattere per uso privato"),
        ("\\U000e0001", "U+E0001 (LANGUAGE TAG)", "un carattere di formattazione invisibile"),
        ("\\u0378", "U+0378", "non è un carattere"),
        ("\\uffff", "U+FFFF", "non è un carattere"),
        ("\\ufffd", "U+FFFD (REPLACEMENT CHARACTER)", "il testo è stato danneggiato in una conversione"),
        ("\\ud800", "U+D800", "metà di un carattere"),
        ("\\u05d0", "U+05D0 (HEBREW LETTER ALEF)", "non è tra i caratteri con cui si scrive un atto"),
        ("\\u0627", "U+0627 (ARABIC LETTER ALEF)", "non è tra i caratteri con cui si scrive un atto"),
        ("\\u0915", "U+0915 (DEVANAGARI LETTER KA)", "non è tra i caratteri con cui si scrive un atto"),
        ("\\U0001F600", "U+1F600 (GRINNING FACE)", "non è tra i caratteri con cui si scrive un atto"),
        ("\\u4e2d", "U+4E2D (CJK UNIFIED IDEOGRAPH-4E2D)", "non è tra i caratteri con cui si scrive un atto"),
        ("\\ufe0f", "U+FE0F (VARIATION SELECTOR-16)", "non è tra i caratteri con cui si scrive un atto"),
    ],
)
def test_a_character_that_cannot_reach_the_pdf_unchanged_is_placed(example_text: str, escape: str, name: str,
                                                                   why: str) -> None:
    text = premessa(example_text, f'"la DGR n. XII/2647 {escape}del 1° luglio 2024"')
    line = line_of(text, "XII/2647")
    column = text.splitlines()[line - 1].index("\\") + 1
    (only,) = problems(text)
    assert only.startswith(
        f"act.yaml:{line}:{column}: premesse[1]: il carattere {name} non può stare in un atto: {why}"
    ), only


def test_more_than_four_accents_on_one_letter(example_text: str) -> None:
    text = premessa(example_text, '"la DGR n. XII/2647 a\\u0301\\u0302\\u0303\\u0304\\u0306"')
    line = line_of(text, "XII/2647")
    column = text.splitlines()[line - 1].index("\\") + 1
    assert problems(text) == [
        f"act.yaml:{line}:{column}: premesse[1]: 5 accenti (segni combinanti) su una lettera, 'a': al massimo 4 "
        "si possono "
        "provare presenti nel PDF firmato come scritti"
    ]


def test_every_part_of_the_text_is_checked(example_text: str) -> None:
    text = example_text.replace("oggetto: >-", f"oggetto: >-\n  {RLO}").replace(
        "qualifica: Il Direttore Operativo", "qualifica: \"Il Direttore\\fOperativo\""
    )
    found = problems(text)
    assert [p.split(": ")[1] for p in found] == ["oggetto", "firmatario.qualifica"]


def test_a_raw_character_that_yaml_turns_into_a_newline_is_still_found(example_text: str) -> None:
    text = premessa(example_text, "|\n    prima riga\x85    seconda riga")  # to YAML, two lines
    (only,) = problems(text)
    assert only.startswith(f"act.yaml:{line_of(text, 'prima riga')}:15: premesse[1]: il carattere U+0085 (NEXT LINE)")


@pytest.mark.parametrize(
    "written",
    [
        "l'Accordo «per lo sviluppo» “economico” – 1° gennaio — € 1.500,00 … § 3",
        "Città di Forlì, Ñuñoa, Łódź, Ærøskøbing, Şişli, Đakovo, Ǆ, ǅ",
        "α β γ Ω μg, Москва, Київ, Ѣ",
        "½ ⅓ ² ₂ № ™ ℃ → ⇒ ≤ ≥ ± × ÷ √ ∞ ① ■ ● ✓ ✗ ﬁ ﬂ",
        "e\u0301 a\u0308 combining",
        "non\u00a0separabili, spazio\u2009fine, trattino\u2011che non va a capo",
        "'Việt Nam: ệ ẫ ặ, e\u0302\u0323 a\u0301\u0302\u0303\u0304'",
        '"due\\tcolonne"',
        "|\n    prima riga\n    seconda riga",
        "'testo con : # \" * & ! % @ ` { } [ ] | > e virgolette'",
    ],
)
def test_the_characters_of_acts_pass(example_text: str, written: str) -> None:
    load_act_text(premessa(example_text, written), "act.yaml")


def test_a_problem_is_one_printable_line_whatever_the_act_quotes(atti: Atti, tmp_path: Path, example_text: str) -> None:
    """A message quotes what the act says (a registro, a key): its newlines, vertical tabs, bidi
    controls and terminal escapes are shown as escapes, never acted upon."""
    path = tmp_path / "act.yaml"
    text = example_text.replace("registro: D.O. ", 'registro: "D\\vO \\e[31m\\u202e" ')
    path.write_text(text, encoding="utf-8")
    assert atti("check", path).output.splitlines()[0] == (
        f"{path}:{line_of(text, 'registro:')}:11: registro: 'D\\x0bO \\x1b[31m\\u202e' è scritto con uno spazio: "
        "scrivilo come nel registro dell'ente, es. D.O. (il suo id d'archivio tiene solo lettere e cifre: DO31m)"
    )
    text = example_text.replace("\nvisti:", '\n"vis\\nti": []\nvisti:')
    path.write_text(text, encoding="utf-8")
    assert atti("check", path).output.splitlines() == [
        f"{path}:{line_of(text, 'vis')}:1: chiave sconosciuta 'vis\\nti' (forse 'visti'?)"
    ]
