"""Messages people read are Italian by default, English on request (atti.i18n).

- Every message the source marks (``_("...")``, ``N_("...")``, found with ast by
  scripts/messages.py) is in the catalog, translated: not empty, not the English itself.
- Every mark is one plain string: an f-string or a variable could not be looked up.
- The catalog is read from its .po as installed (no compiled .mo to forget), whichever way the
  language is chosen: --lang, ATTI_LANG, the lang setting.
- The usual slips of an officer writing YAML get a hint in plain Italian, at their place.
- The command line's help (each command's, each option's) is Italian by default, English with
  --lang en or ATTI_LANG=en, and every help text is in the catalog translated.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from atti import i18n
from atti.acts import load_act_text
from atti.acts.loader import close_match
from atti.cli import help_text, main
from atti.errors import ActError

from .conftest import ROOT, Atti, load_script

messages = load_script(ROOT / "scripts" / "messages.py")


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language and leaves the next module in it."""
    i18n.set_language(None)
    yield
    i18n.set_language(None)


# -- the catalog -------------------------------------------------------------------------------------


def test_every_marked_message_is_in_the_catalog_translated() -> None:
    marked, wrong = messages.marked()
    catalog = i18n.read_po(messages.CATALOG)
    assert len(marked) > 150  # the walk finds the messages (a broken walk would find none, and pass)
    assert messages.problems(marked, wrong, catalog) == []


def test_the_catalog_holds_no_message_the_source_no_longer_has() -> None:
    marked, _wrong = messages.marked()
    assert sorted(set(i18n.read_po(messages.CATALOG)) - set(marked)) == []


def test_the_checker_finds_what_is_missing_untranslated_or_unmarkable(tmp_path: Path) -> None:
    """The checks above on doctored source and catalog: each fault is named."""
    (tmp_path / "mod.py").write_text(
        "from atti.i18n import _\n"
        "a = _('tradotto')\n"
        "b = _('identico')\n"
        "c = _('vuoto')\n"
        "d = _('assente')\n"
        "e = _(f'{a} formattato')\n"
        "f = _('{n} campi')\n",
        encoding="utf-8",
    )
    po = tmp_path / "atti.po"
    po.write_text('msgid "tradotto"\nmsgstr "translated"\n\nmsgid "identico"\nmsgstr "identico"\n\n'
                  'msgid "vuoto"\nmsgstr ""\n\nmsgid "{n} campi"\nmsgstr "{m} fields"\n', encoding="utf-8")
    marked, wrong = messages.marked(tmp_path)
    found = messages.problems(marked, wrong, i18n.read_po(po))
    where = f"{tmp_path.relative_to(ROOT) if tmp_path.is_relative_to(ROOT) else tmp_path}"
    assert [line.split(": ", 1)[1] for line in found] == [
        "the message marked here is not one plain string",
        "not translated: 'identico'",
        "not translated: 'vuoto'",
        "not in the catalog: 'assente'",
        "the translation's {fields} differ from the message's: '{n} campi'",
    ], where


def test_every_sentence_that_reaches_people_is_marked() -> None:
    """What atti raises, reports as a Problem or Finding, or echoes is marked, so it is in the catalog."""
    assert messages.unmarked() == []


def test_the_walk_finds_unmarked_sentences_where_they_reach_people(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        "import click\n"
        "from atti.i18n import _\n"
        "class AttiError(Exception): pass\n"
        "class StoreError(AttiError): pass\n"
        "class Quiet(Exception): pass\n"
        "def f(x):\n"
        "    raise StoreError('disk is full')\n"
        "    raise StoreError(f'cannot write {x}')\n"
        "    raise StoreError('cannot read ' + x)\n"
        "    raise StoreError('no {x} here'.format(x=x))\n"
        "    raise StoreError(_('disk is full'))\n"
        "    raise StoreError(_('cannot write {x}').format(x=x))\n"
        "    raise StoreError(str(x))\n"
        "    raise StoreError('TOTAL_PASSED')\n"
        "    raise Quiet('internal only')\n"
        "    click.echo(f'{x}: valid')\n"
        "    click.echo(f'{x}\\t{x}')\n"
        "    raise click.UsageError('give a FILE')\n"
        "    click.echo('text/plain')  # i18n: not a message\n"
        "    notes = ()\n"
        "    notes += (f'{x} starts the register', _('marked'))\n",
        encoding="utf-8",
    )
    found = [line.split(": not marked for translation: ")[1] for line in messages.unmarked(tmp_path)]
    assert sorted(found) == sorted(["'disk is full'", "'cannot write '", "'cannot read '", "'no {x} here'",
                                    "': valid'", "'give a FILE'", "' starts the register'"])


def test_no_function_that_translates_assigns_the_name_of_the_translator() -> None:
    """``_, x = pair`` in a function that calls ``_("...")`` makes ``_`` local to it: the call then
    fails (UnboundLocalError), or translates with a tuple's item."""
    clashes = []
    for path in sorted((ROOT / "src" / "atti").rglob("*.py")):
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            nodes = list(ast.walk(function))
            calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_" for n in nodes)
            inner = {id(n) for c in nodes if isinstance(c, ast.comprehension) for n in ast.walk(c.target)}
            stores = any(isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store) and id(n) not in inner
                         for n in nodes)
            if calls and stores:
                clashes.append(f"{path.relative_to(ROOT)}: {function.name}")
    assert clashes == []


def test_a_po_file_is_read_with_its_escapes_and_continued_lines(tmp_path: Path) -> None:
    po = tmp_path / "atti.po"
    po.write_text('# comment\nmsgid ""\nmsgstr ""\n"Language: it\\n"\n\n#: x.py:1\nmsgid "say \\"{x}\\""\n'
                  'msgstr ""\n"di\' "\n"\\"{x}\\"\\n"\n', encoding="utf-8")
    assert i18n.read_po(po) == {'say "{x}"': "di' \"{x}\"\n"}


# -- choosing the language ---------------------------------------------------------------------------


def test_italian_by_default_english_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    assert i18n.language() == "it" and i18n._("unknown key '{key}'") == "chiave sconosciuta '{key}'"
    monkeypatch.setenv("ATTI_LANG", "en_GB.UTF-8")
    assert i18n.language() == "en" and i18n._("unknown key '{key}'") == "unknown key '{key}'"
    i18n.set_language("it")  # --lang it wins over the environment
    assert i18n._("unknown key '{key}'") == "chiave sconosciuta '{key}'"
    monkeypatch.setenv("ATTI_LANG", "fr")
    i18n.set_language(None)
    assert i18n.language() == "it"  # a language atti does not speak: the default


def test_a_command_leaves_the_language_of_the_process_as_it_was(atti: Atti, tmp_path: Path) -> None:
    assert atti("--lang", "en", "new", "delibera", tmp_path / "d.yaml").stdout.startswith("Wrote ")
    assert i18n.language() == "it"
    i18n.set_language("en")
    assert atti("--lang", "it", "new", "delibera", tmp_path / "e.yaml").stdout.startswith("Scritto ")
    assert i18n.language() == "en"


def test_the_language_of_the_command_line(atti: Atti, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("premese: []\n", encoding="utf-8")
    italian = atti("check", bad).stdout.splitlines()
    assert f"{bad}:1:1: chiave sconosciuta 'premese' (forse 'premesse'?)" in italian
    for how in (["--lang", "en", "check", bad], ["check", bad]):
        env = {"ATTI_LANG": "en"} if len(how) == 2 else None
        assert f"{bad}:1:1: unknown key 'premese' (did you mean 'premesse'?)" in atti(*how, env=env).stdout
    config = tmp_path / "atti.toml"
    config.write_text('lang = "en"\n', encoding="utf-8")
    assert "did you mean" in atti("--config", config, "check", bad).stdout
    assert "forse" in atti("--config", config, "--lang", "it", "check", bad).stdout
    result = atti("check", bad, env={"ATTI_LANG": "fr"})
    assert (result.exit_code, result.stderr) == (
        2, "Errore: impostazione 'lang': 'fr' non è uno dei valori ammessi: 'it' o 'en'\n"
    )


# -- hints for the usual slips -----------------------------------------------------------------------


def _problems(text: str) -> list[str]:
    with pytest.raises(ActError) as caught:
        load_act_text(text, "act.yaml")
    return [str(p) for p in caught.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _with(example: str, old: str, new: str) -> str:
    assert old in example
    return example.replace(old, new, 1)


def test_a_colon_in_unquoted_text_says_to_quote_it(example_text: str) -> None:
    text = _with(example_text, "oggetto: >-", "oggetto: Proroga: termini\nvecchio: >-")
    (only,) = _problems(text)
    assert only == (
        f"act.yaml:{line_of(text, 'Proroga: termini')}:17: errore di sintassi YAML: il testo contiene ': ', "
        "che YAML legge come una nuova chiave: "
        "scrivi il testo tra virgolette (oggetto: \"Proroga: termini\") o sulla riga seguente dopo >-"
    )


def test_a_tab_and_a_wrong_indentation_say_so(example_text: str) -> None:
    (tab,) = _problems(_with(example_text, "  sito: www", "\tsito: www"))
    assert tab.startswith("act.yaml:6:1: errore di sintassi YAML: questa riga è rientrata con una tabulazione")
    (deeper,) = _problems(_with(example_text, "  sito: www", "     sito: www"))
    assert deeper == ("act.yaml:6:10: errore di sintassi YAML: questa chiave è rientrata più di quella sopra: "
                      "allineala con le chiavi a cui appartiene (spazi, non tabulazioni)")
    (shallower,) = _problems(_with(example_text, "  sito: www", " sito: www"))
    assert shallower.startswith("act.yaml:6:2: errore di sintassi YAML: rientro sbagliato:")


def test_an_unclosed_quote_says_so(example_text: str) -> None:
    (only,) = _problems(example_text + 'riservato: "no\n')
    assert only.endswith("errore di sintassi YAML: un testo aperto con le virgolette non è mai chiuso: "
                         "chiudi le virgolette")


def test_a_list_where_a_text_goes_and_a_text_where_a_list_goes(example_text: str) -> None:
    text = _with(example_text, "organo: Direttore Operativo", "organo:\n  - Direttore Operativo")
    assert _problems(text) == [
        f"act.yaml:{line_of(text, '- Direttore')}:3: organo: qui va un testo, non un elenco: togli i trattini "
        "('- '); un testo lungo può "
        "andare su più righe dopo >-"
    ]
    text = _with(example_text, "visti:                          # \"Visto:\"", "visti: la DGR n. 1\nx:")
    assert (f"act.yaml:{line_of(text, 'visti: la DGR')}:8: visti: qui va un elenco: scrivi ogni voce su una riga "
            "che inizia con '- '") in _problems(text)


def test_a_date_written_the_italian_way_is_rewritten_for_the_officer(example_text: str) -> None:
    assert _problems(_with(example_text, "data: 2026-05-19", "data: 19/05/2026")) == [
        "act.yaml:11:7: data: '19/05/2026' non è scritta nella forma AAAA-MM-GG: scrivi 2026-05-19"
    ]


def test_a_number_with_its_year_says_to_write_the_number_alone(example_text: str) -> None:
    assert _problems(_with(example_text, "numero: 129 ", "numero: 12/2026 ")) == [
        "act.yaml:10:9: numero: '12/2026' è un numero con l'anno: scrivi solo il numero, numero: 12 (l'anno è "
        "quello della data)"
    ]


def test_a_number_where_a_text_goes_says_to_quote_it(example_text: str) -> None:
    assert _problems(_with(example_text, "organo: Direttore Operativo", "organo: 2026")) == [
        f"act.yaml:{line_of(example_text, 'organo:')}:9: organo: qui va un testo, non il numero 2026: scrivilo "
        "tra virgolette, '2026'"
    ]


@pytest.mark.parametrize(("word", "hint"), [
    ("premese", "premesse"), ("Oggetto", "oggetto"), ("firmatari", "firmatario"), ("vist", "visti"),
    ("presenti", None), ("dati", "data"), ("allegato", "allegati"), ("zzz", None),
])
def test_a_suggestion_is_made_only_for_a_close_match(word: str, hint: str | None) -> None:
    keys = ["ente", "tipo", "organo", "registro", "numero", "data", "oggetto", "premesse", "visti", "firmatario",
            "allegati", "poteri", "proposta"]
    assert close_match(word, keys) == hint


def test_presenti_is_not_taken_for_premesse(example_text: str) -> None:
    text = _with(example_text, "visti:  ", "presenti: []\nvisti:  ")
    assert "chiave sconosciuta 'presenti'" in "\n".join(_problems(text))
    assert "forse" not in "\n".join(_problems(text))


def test_an_esito_close_to_an_allowed_one_is_suggested(example_text: str) -> None:
    text = _with(example_text, "esito: positivo", "esito: positva")
    assert _problems(text) == [
        "act.yaml:107:12: verifiche[0].esito: 'positva' non è uno dei valori ammessi: 'positivo', 'negativo' o "
        "'sospeso' (forse 'positivo'?)"
    ]


def test_a_key_of_a_part_written_out_of_it_says_where_it_belongs(example_text: str) -> None:
    text = _with(example_text, "  qualifica: Il Direttore Operativo", "qualifica: Il Direttore Operativo")
    assert _problems(text) == [
        f"act.yaml:{line_of(text, 'nome: Fabrizio')}:3: manca la chiave obbligatoria 'qualifica' in 'firmatario'",
        f"act.yaml:{line_of(text, 'qualifica:')}:1: chiave sconosciuta 'qualifica' qui: è una chiave di 'firmatario', "
        "'visto_contabile' o 'pareri': rientrala sotto la sua parte",
    ]
    text = example_text + "nome: Mattia Cattaneo\n"
    assert _problems(text) == [
        f"act.yaml:{text.count(chr(10))}:1: chiave sconosciuta 'nome' qui: è una chiave di 'ente', 'firmatario', "
        "'verifiche', 'visto_contabile' o 'pareri': rientrala sotto la sua parte"
    ]


# -- the command line's help -------------------------------------------------------------------------


def _tree(command: click.Command, path: str = "atti") -> Iterator[tuple[str, click.Command]]:
    """Every command of the command line with its path, groups' sub-commands included."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _tree(sub, f"{path} {name}")


def test_the_help_is_italian_by_default_and_english_on_request(atti: Atti) -> None:
    """(In-process, click wraps the help at 80 columns.)"""
    italian = atti("--help").stdout.splitlines()
    assert italian[2] == "  atti: atti amministrativi dal YAML a un PDF/A firmato, in un archivio a prova"
    assert "  archive         Cura dell'archivio stesso." in italian
    assert "  user            Gestisce gli utenti dell'archivio web." in italian
    for how, env in ((["--lang", "en", "--help"], None), (["-h", "--lang", "en"], None),
                     (["--help"], {"ATTI_LANG": "en"})):
        english = atti(*how, env=env).stdout.splitlines()
        assert english[2] == "  atti: administrative acts from YAML to a signed PDF/A in a tamper-evident", how
        assert "  archive         Look after the archive itself." in english
        assert "  user            Manage the users of the web archive." in english
    assert "Lingua dei messaggi: it o en" in atti("--lang", "it", "--help", env={"ATTI_LANG": "en"}).stdout
    assert i18n.language() == "it"  # --lang, set as soon as it is read, is the process's no longer after


def test_a_commands_help_and_its_options_are_italian_by_default_and_english_on_request(atti: Atti) -> None:
    italian = atti("search", "--help").stdout.splitlines()
    assert italian[2] == "  Cerca negli atti archiviati: parole, persone, numeri e leggi come li scrivono"
    assert "  --anno INTEGER          Solo gli atti di quest'anno." in italian
    assert "  --json                  Stampa i risultati come elenco JSON." in italian
    english = atti("--lang", "en", "search", "--help").stdout.splitlines()
    assert english[2] == "  Search archived acts: words, people, numbers and laws as archivists write"
    assert "  --anno INTEGER          Only acts of this year." in english
    assert "  --json                  Print the results as a JSON list." in english
    assert "  --anno INTEGER          Only acts of this year." in atti(
        "search", "--help", env={"ATTI_LANG": "en"}).stdout.splitlines()


def test_every_command_and_option_has_its_help_in_the_catalog_translated() -> None:
    """A new command or option without help, or with help not marked (N_ for an option, the
    docstring for a command) and translated, fails here: each is a msgid with Italian of its own."""
    catalog = i18n.read_po(messages.CATALOG)
    missing = []
    for path, command in _tree(main):
        texts = [(path, help_text(command.help))]
        texts += [(f"{path} {max(p.opts, key=len)}", p.help) for p in command.params
                  if isinstance(p, click.Option) and p.name != "version"]  # --version is click's own
        for where, text in texts:
            if not text or not catalog.get(text) or catalog[text] == text:
                missing.append(f"{where}: {text!r}")
    assert missing == []
    assert len(list(_tree(main))) > 40


def test_every_commands_help_is_shown_in_the_language_asked() -> None:
    """Each command renders its help and its options' help translated (its class is atti's), and
    as written with --lang en."""
    def flat(text: str) -> str:
        return "".join(text.split())  # the help is wrapped at spaces, and at hyphens

    for path, command in _tree(main):
        texts = [t for t in [help_text(command.help), *(p.help for p in command.params
                 if isinstance(p, click.Option) and p.name != "version")] if t]
        for language in ("it", "en"):
            i18n.set_language(language)
            with click.Context(command, info_name=path) as ctx:
                shown = flat(command.get_help(ctx))
            for text in texts:
                wanted = i18n.translate(text) if language == "it" else text
                assert flat(wanted) in shown, (path, language, text[:60])


# -- click's own messages ----------------------------------------------------------------------------


def test_every_message_of_the_installed_click_is_in_click_po_translated() -> None:
    """click.po holds every _() and ngettext() of click's source, translated: a click upgrade that
    adds or changes a message fails here (scripts/messages.py --write adds it, to be translated)."""
    singular, plural = messages.click_marked()
    assert len(singular) > 40 and len(plural) > 3  # the walk finds click's messages
    assert messages.click_problems() == []


def test_a_plural_entry_is_read_with_its_forms(tmp_path: Path) -> None:
    po = tmp_path / "click.po"
    po.write_text('msgid "one {n}"\nmsgid_plural "many {n}"\nmsgstr[0] "uno {n}"\nmsgstr[1] ""\n"molti {n}"\n\n'
                  'msgid "x"\nmsgstr "y"\n', encoding="utf-8")
    assert i18n.read_po(po) == {"x": "y"}
    assert i18n.read_po_plurals(po) == {"one {n}": ("many {n}", ["uno {n}", "molti {n}"])}
    assert [i18n.plural_index(n) for n in (0, 1, 2)] == [1, 0, 1]


def test_a_usage_error_is_italian_by_default_english_on_request(atti: Atti) -> None:
    italian = atti("check")
    assert (italian.exit_code, italian.stderr) == (2, (
        "Uso: main check [OPTIONS] FILES...\n"  # main: the name CliRunner gives the program
        "Prova 'main check --help' per l'aiuto.\n\n"
        "Errore: Manca l'argomento 'FILES...'.\n"
    ))
    for english in (atti("--lang", "en", "check"), atti("check", env={"ATTI_LANG": "en"})):
        assert (english.exit_code, english.stderr) == (2, (
            "Usage: main check [OPTIONS] FILES...\n"
            "Try 'main check --help' for help.\n\n"
            "Error: Missing argument 'FILES...'.\n"
        ))
    assert i18n.language() == "it"  # the command line's --lang is its own


def test_click_s_option_and_type_messages_in_both_languages(atti: Atti) -> None:
    cases = [
        (["search", "--bogus"], "Errore: L'opzione '--bogus' non esiste.", "Error: No such option '--bogus'."),
        (["search", "a", "b"], "Errore: Argomento in più inatteso (b)", "Error: Got unexpected extra argument (b)"),
        (["search", "--limit", "0"], "Errore: Valore non valido per '--limit': 0 non è nell'intervallo 1<=x<=1000.",
         "Error: Invalid value for '--limit': 0 is not in the range 1<=x<=1000."),
        (["user", "add", "x", "--role", "boss"],
         "Errore: Valore non valido per '--role': 'boss' non è uno tra 'officer', 'reviewer', 'archivist', 'admin'.",
         "Error: Invalid value for '--role': 'boss' is not one of 'officer', 'reviewer', 'archivist', 'admin'."),
        (["--bogus"], "Errore: L'opzione '--bogus' non esiste. Forse intendevi '--verbose'?",
         "Error: No such option '--bogus'. Did you mean '--verbose'?"),
    ]
    for args, italian, english in cases:
        said = atti(*args)
        assert (said.exit_code, said.stderr.splitlines()[-1]) == (2, italian)
        said = atti("--lang", "en", *args) if args[0] != "--bogus" else atti(*args, "--lang", "en")
        assert (said.exit_code, said.stderr.splitlines()[-1]) == (2, english)


def test_click_s_own_help_words_follow_the_language(atti: Atti) -> None:
    italian, english = atti("check", "--help").stdout, atti("--lang", "en", "check", "--help").stdout
    assert italian.startswith("Uso: main check [OPTIONS] FILES...") and "Mostra questo messaggio ed esce." in italian
    assert english.startswith("Usage: main check [OPTIONS] FILES...") and "Show this message and exit." in english
