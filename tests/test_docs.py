"""Docs that cannot drift: what the docs say about the code is checked against the code.

- README.md's list of commands and docs/cli.md's reference are generated from the click command
  tree by scripts/cli_docs.py; they must be what it writes today.

Each checker is also run on doctored text, to show that it reports what is missing.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from .conftest import ROOT

README = ROOT / "README.md"
CLI_DOC = ROOT / "docs" / "cli.md"


def _load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


cli_docs = _load_script(ROOT / "scripts" / "cli_docs.py")


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
        result = runner.invoke(by_name[name], [*args, "--help"], prog_name=name, terminal_width=cli_docs.WIDTH)
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
