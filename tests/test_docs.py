"""Docs that cannot drift: what the docs say about the code is checked against the code.

- README.md's list of commands and docs/cli.md's reference are generated from the click command
  tree by scripts/cli_docs.py; they must be what it writes today.
- Every key of the act model (atti.acts.model.Act and the models nested in it, found from the
  annotations) has its place in docs/act-format.md's key table: a row whose first cell is the
  key's path in backticks (`ente.nome`, `verifiche[].esito`), or, for a key inside a model, its
  name in backticks in the row of a key above it (`importazione`'s row naming `file`).
- Every setting (atti.config.Settings) has a row in docs/configuration.md's settings table, with
  its ATTI_* variable and its default; the README links that page.

Each checker is also run on doctored text, to show that it reports what is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, get_args

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, Field

from atti.acts.model import Act
from atti.config import Settings, load_settings
from atti.errors import ConfigError

from .conftest import ROOT, load_script

README = ROOT / "README.md"
CLI_DOC = ROOT / "docs" / "cli.md"
ACT_FORMAT = ROOT / "docs" / "act-format.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"


cli_docs = load_script(ROOT / "scripts" / "cli_docs.py")


# --- Markdown tables -----------------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    """The cells of a table row; a | inside `code` does not split."""
    cells, cell, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += char
    return [*cells, cell.strip()]


def tables(markdown: str) -> Iterator[tuple[list[str], list[list[str]]]]:
    """Each table outside code fences: its header cells (lower case) and its rows' cells."""
    block: list[str] = []
    in_fence = False
    for line in [*markdown.splitlines(), ""]:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.lstrip().startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2:
            header, _separator, *rows = block
            yield [c.lower() for c in _cells(header)], [_cells(r) for r in rows]
        block = []


def _code(cell: str) -> str | None:
    """The text of a cell that is one `code span`, else None."""
    if len(cell) > 2 and cell[0] == cell[-1] == "`" and cell.count("`") == 2:
        return cell[1:-1]
    return None


def _code_spans(text: str) -> list[str]:
    return text.split("`")[1::2]


# --- The act model and docs/act-format.md --------------------------------------------------------


def _canonical(path: str) -> str:
    """`verifiche[].esito` and `verifiche.esito` are the same key."""
    return path.replace("[]", "")


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation holds: X, X | None, list[X], Annotated[list[X], ...]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in get_args(annotation):
        yield from _models_in(arg)


def model_keys(model: type[BaseModel], prefix: str = "", seen: tuple[type[BaseModel], ...] = ()) -> list[str]:
    """Every key of model and of the models nested in it, by its YAML name, as a dotted path."""
    keys = []
    for name, info in model.model_fields.items():
        key = info.validation_alias if isinstance(info.validation_alias, str) else info.alias or name
        path = f"{prefix}{key}"
        keys.append(path)
        for nested in _models_in(info.annotation):
            if nested not in seen:  # a model that contains itself is walked once
                keys.extend(model_keys(nested, f"{path}.", (*seen, model)))
    return list(dict.fromkeys(keys))


def key_rows(markdown: str) -> list[list[str]]:
    """The rows of the tables whose first column is headed 'key'."""
    return [row for header, rows in tables(markdown) if header[:1] == ["key"] for row in rows]


def documented_keys(markdown: str) -> set[str]:
    """The keys a key table documents, with every key above them (`ente.nome` documents `ente`).

    A row documents the key in its first cell, and the keys its other cells name in backticks
    below that key: in the row of `importazione`, `file` is importazione.file.
    """
    paths: set[str] = set()
    for row in key_rows(markdown):
        key = _code(row[0])
        if key is None:
            continue
        key = _canonical(key)
        paths.add(key)
        for cell in row[1:]:
            for span in _code_spans(cell):
                if span.replace("[]", "").replace(".", "").replace("_", "").isalnum():
                    paths.add(f"{key}.{_canonical(span)}")
    return {".".join(p.split(".")[:n]) for p in paths for n in range(1, p.count(".") + 2)}


def undocumented_keys(markdown: str, model: type[BaseModel] = Act) -> list[str]:
    documented = documented_keys(markdown)
    return [k for k in model_keys(model) if k not in documented]


def unknown_keys(markdown: str, model: type[BaseModel] = Act) -> list[str]:
    """Keys in a key table's first column that the model does not have (renamed or removed)."""
    known = set(model_keys(model))
    rows = [_code(row[0]) for row in key_rows(markdown)]
    return [key for key in rows if key is not None and _canonical(key) not in known]


def _without_rows(markdown: str, key: str) -> str:
    """markdown without the table rows of key and of the keys below it."""

    def of_key(line: str) -> bool:
        row_key = _canonical(_code(_cells(line)[0]) or "") if line.lstrip().startswith("|") else ""
        return row_key == key or row_key.startswith(f"{key}.")

    return "\n".join(line for line in markdown.splitlines() if not of_key(line))


def test_every_key_of_the_act_model_is_documented() -> None:
    text = ACT_FORMAT.read_text(encoding="utf-8")
    missing = undocumented_keys(text)
    assert not missing, (
        f"docs/act-format.md does not document these keys of the act model: {', '.join(missing)}. "
        "Give each a row in the key table (`parent.key`, `list[].key`), or name it in backticks in "
        "its parent's row."
    )
    unknown = unknown_keys(text)
    assert not unknown, f"docs/act-format.md has rows for keys the act model does not have: {', '.join(unknown)}"


def test_the_act_model_walk_finds_the_nested_models() -> None:
    keys = model_keys(Act)
    # Derived from the annotations: every nested model's own fields are reached under their parent.
    for name, info in Act.model_fields.items():
        for nested in _models_in(info.annotation):
            assert all(f"{name}.{sub}" in keys for sub in nested.model_fields), name
    assert any(k.count(".") >= 2 for k in keys), "a model inside a model inside Act is walked"


def test_removing_a_key_from_the_act_docs_is_reported() -> None:
    text = ACT_FORMAT.read_text(encoding="utf-8")
    top_level = [k for k in model_keys(Act) if "." not in k]
    # A top-level key is documented only by its own rows: without them the key is reported.
    for key in top_level:
        assert key in undocumented_keys(_without_rows(text, key)), key
    assert set(undocumented_keys("# no table")) == set(model_keys(Act))


class _Persona(BaseModel):
    nome: str
    ruolo: str | None = None


class _Voce(BaseModel):
    testo: str
    autore: _Persona | None = None


class _Atto(BaseModel):
    titolo: str
    firmatario: _Persona
    verifiche: list[_Persona] = []
    voci: Annotated[list[_Voce], Field(min_length=1)]
    data_atto: str = Field(alias="data")


_DOC = """
| key | what |
|---|---|
| `titolo` | the title, e.g. `Determina` |
| `data` | the date |
| `firmatario.nome` | who signs |
| `firmatario.ruolo` | their role |
| `verifiche[]` | each with `nome` and `ruolo` |
| `voci[].testo` | an item |
| `voci[]` | `autore.nome`, `autore.ruolo`: who wrote it |
"""


def test_the_key_checker_on_a_made_up_model() -> None:
    assert model_keys(_Atto) == [
        "titolo", "firmatario", "firmatario.nome", "firmatario.ruolo", "verifiche", "verifiche.nome",
        "verifiche.ruolo", "voci", "voci.testo", "voci.autore", "voci.autore.nome", "voci.autore.ruolo", "data",
    ]
    assert undocumented_keys(_DOC, _Atto) == []
    assert unknown_keys(_DOC, _Atto) == []
    # a key is qualified by its parent: firmatario's nome does not document verifiche's
    assert undocumented_keys(_DOC.replace("`nome` and ", ""), _Atto) == ["verifiche.nome"]
    assert undocumented_keys(_without_rows(_DOC, "firmatario.ruolo"), _Atto) == ["firmatario.ruolo"]
    assert undocumented_keys(_DOC.replace("`autore.ruolo`", "autore.ruolo"), _Atto) == ["voci.autore.ruolo"]
    # the YAML key (the alias) is what is documented, not the Python name
    assert undocumented_keys(_without_rows(_DOC, "data"), _Atto) == ["data"]
    # a mention in running text or in another table is not a row of the key table
    assert "titolo" in undocumented_keys("`titolo` is the title\n\n| name | x |\n|---|---|\n| `titolo` | y |", _Atto)
    # a row for a key the model does not have (renamed, removed) is reported
    assert unknown_keys(_DOC + "| `firmatario.email` | gone |\n", _Atto) == ["firmatario.email"]


# --- Settings and docs/configuration.md ----------------------------------------------------------


def environment_variable(setting: str) -> str:
    return f"ATTI_{setting.upper()}"


def documented_default(value: object) -> str:
    """A default as the settings table writes it: as in atti.toml, or 'not set'."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, Enum):
        value = value.value
    return f"`{value}`"


_SETTINGS_COLUMNS = ("setting", "environment", "default")


def settings_rows(markdown: str) -> dict[str, dict[str, str]]:
    """setting -> {column: cell} for the tables whose columns include setting, environment, default."""
    out: dict[str, dict[str, str]] = {}
    for header, rows in tables(markdown):
        found = {name: [i for i, h in enumerate(header) if h.startswith(name)] for name in _SETTINGS_COLUMNS}
        if not all(found.values()):
            continue
        columns = {name: indexes[0] for name, indexes in found.items()}
        for row in rows:
            cell = {name: row[i] if i < len(row) else "" for name, i in columns.items()}
            name = _code(cell["setting"])
            if name is not None:
                out[name] = cell
    return out


def settings_problems(markdown: str, settings: type[BaseModel] = Settings) -> list[str]:
    rows = settings_rows(markdown)
    problems = []
    for name, info in settings.model_fields.items():
        row = rows.get(name)
        if row is None:
            problems.append(f"{name}: no row")
            continue
        variable = environment_variable(name)
        if f"`{variable}`" not in row["environment"]:
            problems.append(f"{name}: the environment column does not say `{variable}`")
        default = documented_default(info.get_default(call_default_factory=True))
        if row["default"] != default:
            problems.append(f"{name}: the default is {default}, the table says {row['default'] or 'nothing'}")
    problems += [f"{name}: documented but not a setting" for name in rows if name not in settings.model_fields]
    return problems


def test_every_setting_is_documented_with_its_variable_and_default() -> None:
    problems = settings_problems(CONFIGURATION.read_text(encoding="utf-8"))
    assert not problems, "docs/configuration.md's settings table is out of date:\n" + "\n".join(problems)
    readme = README.read_text(encoding="utf-8")
    assert "](docs/configuration.md)" in readme, "README.md links docs/configuration.md, where the settings are"


@pytest.mark.parametrize("setting", list(Settings.model_fields))
def test_the_documented_variable_is_the_one_atti_reads(
    setting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no atti.toml around
    try:
        load_settings(environ={environment_variable(setting): "1"})
    except ConfigError as exc:  # a value it refuses is fine: a name it does not know is not
        assert "unknown setting" not in exc.msg


def test_atti_variables_that_are_not_settings_are_documented() -> None:
    from atti import config

    text = CONFIGURATION.read_text(encoding="utf-8")
    missing = sorted(v for v in config._NOT_SETTINGS if f"`{v}`" not in text)
    assert not missing, f"docs/configuration.md does not mention {', '.join(missing)}"


def test_removing_a_setting_from_the_docs_is_reported() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    for name, info in Settings.model_fields.items():
        without = "\n".join(line for line in text.splitlines() if not line.startswith(f"| `{name}` |"))
        assert f"{name}: no row" in settings_problems(without), name
        # the same row with its default cell changed
        line = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        cells = _cells(line)
        cells[cells.index(documented_default(info.get_default(call_default_factory=True)), 1)] = "`42`"
        wrong = text.replace(line, "| " + " | ".join(cells) + " |")
        assert any(p.startswith(f"{name}: the default is") for p in settings_problems(wrong)), name


class _Made(BaseModel):
    home: Path = Path("archive")
    slow: bool = False
    colour: str | None = None


def test_the_settings_checker_on_made_up_settings() -> None:
    doc = (
        "| setting | environment variable | default | what |\n|---|---|---|---|\n"
        "| `home` | `ATTI_HOME` | `archive` | where |\n"
        "| `slow` | `ATTI_SLOW` | `false` | how |\n"
        "| `colour` | `ATTI_COLOUR` | not set | which |\n"
    )
    assert settings_problems(doc, _Made) == []
    assert settings_problems(doc.replace("`false`", "`true`"), _Made) == [
        "slow: the default is `false`, the table says `true`"
    ]
    assert settings_problems(doc.replace("`ATTI_HOME`", "`ATTI_HOUSE`"), _Made) == [
        "home: the environment column does not say `ATTI_HOME`"
    ]
    assert settings_problems(doc.replace("| `colour`", "| `color`"), _Made) == [
        "colour: no row", "color: documented but not a setting"
    ]
    # a mention elsewhere does not count
    assert "home: no row" in settings_problems("`home` (`ATTI_HOME`, default `archive`)", _Made)


# --- The command reference, generated ------------------------------------------------------------


def test_the_command_reference_is_generated_from_the_code() -> None:
    assert "summary" in cli_docs.section_names(README.read_text(encoding="utf-8"))
    assert "reference" in cli_docs.section_names(CLI_DOC.read_text(encoding="utf-8"))
    items = cli_docs.all_entries()
    stale = []
    for path in cli_docs.marked_files():
        text = path.read_text(encoding="utf-8")
        expected = cli_docs.regenerate(text, items)
        if expected != text:
            stale.append(cli_docs.diff(path, text, expected))
    assert not stale, (
        f"the docs differ from the command line: run {cli_docs.REGENERATE} and commit the result\n" + "".join(stale)
    )


def _walk(command: Any, ctx: Any) -> Iterator[str]:
    """Every command path, by click's own API: independent of the generator's walk."""
    yield ctx.command_path
    for name in getattr(command, "list_commands", lambda _ctx: [])(ctx):
        sub = command.get_command(ctx, name)
        if not sub.hidden:
            yield from _walk(sub, sub.make_context(name, [], parent=ctx, resilient_parsing=True))


def test_the_reference_is_each_commands_help() -> None:
    programs = cli_docs.programs()
    assert programs, "pyproject.toml names the click command as a console script"
    items = cli_docs.all_entries()
    paths = [e.path for e in items]
    assert sorted(paths) == sorted(
        path for name, command in programs
        for path in _walk(command, command.make_context(name, [], resilient_parsing=True))
    )
    assert any(p.count(" ") >= 2 for p in paths), "sub-commands of groups are listed"
    summary = cli_docs.summary(items)
    reference = cli_docs.reference(items)
    runner = CliRunner()
    by_name = dict(programs)
    for entry in items:
        name, *args = entry.path.split()
        result = runner.invoke(by_name[name], [*args, "--help"], prog_name=name, terminal_width=cli_docs.WIDTH,
                               env={"ATTI_LANG": "en"})  # the docs are in English
        assert result.exit_code == 0, entry.path
        assert result.stdout == entry.help + "\n", entry.path
        assert entry.help.rstrip() in reference
        assert entry.usage in summary
    assert all(len(line) <= cli_docs.WIDTH for line in summary.splitlines())


@pytest.mark.parametrize("columns", ["40", "250"])
def test_the_generated_text_does_not_depend_on_the_terminal(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text(encoding="utf-8")
    expected = cli_docs.regenerate(text)
    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("LINES", "20")
    assert cli_docs.regenerate(text) == expected


def test_a_stale_or_broken_section_is_reported() -> None:
    text = README.read_text(encoding="utf-8")
    items = cli_docs.all_entries()
    current = cli_docs.regenerate(text, items)
    # a command taken out of the list, as a hand edit or a new command would leave it
    doctored = current.replace(items[-1].usage, "", 1)
    assert doctored != current and cli_docs.regenerate(doctored, items) == current
    assert "@@" in cli_docs.diff(README, doctored, current)
    # the same text for fewer commands differs
    assert cli_docs.regenerate(text, items[:-1]) != current
    name = cli_docs.section_names(text)[0]
    with pytest.raises(cli_docs.MarkerError, match="no '<!-- END GENERATED"):
        cli_docs.regenerate(text.replace(f"<!-- END GENERATED cli_docs {name} -->", ""), items)
    with pytest.raises(cli_docs.MarkerError, match="unknown generated section 'nothing'"):
        cli_docs.regenerate("<!-- BEGIN GENERATED cli_docs nothing -->\n<!-- END GENERATED cli_docs nothing -->\n")


# -- one word per concept (CONTRIBUTING.md) -------------------------------------------------------

# English words atti once used for what the act format names in Italian.
RETIRED = {"register": "registro", "year": "anno", "number": "numero", "signer": "firmatario", "state": "stato",
           "kind": "tipo", "date_from": "dal", "date_to": "al"}


def retired_words(names: Iterator[str] | list[str] | set[str]) -> list[str]:
    """The retired words among ``names`` (keys, fields, option names without their dashes)."""
    return sorted({n for n in names if n.lstrip("-").replace("-", "_") in RETIRED})


def _records() -> list[Any]:
    import datetime as dt

    from atti.archive.records import ActRecord, BlobRef, ReferenceRecord, VersionRecord

    ref = BlobRef("0" * 64, "pdf")
    return [
        ActRecord("DO-2026-1", "D.O.", 2026, 1, "determinazione", "Direttore", dt.date(2026, 1, 2), "Ente",
                  "Oggetto", "Mario Rossi", "pubblicato", ref, ref, ref, "2026-01-02T00:00:00+00:00"),
        VersionRecord("DO-2026-1", 1, "pubblicato", ref, ref, ref, "published", None, "2026-01-02"),
        ReferenceRecord("DO-2026-1", "visti", 0, "legge", "241", 1990, None, "L. 241/1990", None),
    ]


def test_records_and_their_json_use_the_act_formats_words() -> None:
    import dataclasses

    for record in _records():
        assert retired_words([f.name for f in dataclasses.fields(record)]) == [], type(record).__name__
        assert retired_words(record.to_dict()) == [], type(record).__name__


def test_search_filters_and_facets_use_the_act_formats_words() -> None:
    import dataclasses

    from atti.archive import search
    from atti.archive.search import Filters
    from atti.web.app import _SEARCH_PARAMS, FACETS

    assert retired_words([f.name for f in dataclasses.fields(Filters)]) == []
    assert retired_words(search.FACETS) == []
    assert retired_words(_SEARCH_PARAMS) == [] and retired_words([name for name, _ in FACETS]) == []
    assert set(search.FACETS) == {name for name, _ in FACETS}  # the web's facets are the archive's


def test_command_line_options_use_the_act_formats_words() -> None:
    import click

    from atti.cli import main

    def options(command: click.Command, path: str) -> Iterator[tuple[str, str]]:
        for param in command.params:
            for opt in param.opts:
                yield path, opt
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from options(sub, f"{path} {name}")

    found = [(path, opt) for path, opt in options(main, "atti") if retired_words([opt])]
    # archive migrate's --from/--to are archives, not dates: they are not the retired words
    assert found == []


def test_the_word_check_finds_a_retired_word() -> None:
    assert retired_words(["registro", "signer", "--state", "date_from", "anno"]) == ["--state", "date_from", "signer"]
