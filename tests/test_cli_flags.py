"""An option that takes one value, given twice, is refused on every command: click would keep the
last one silently (``atti user add --role a --role b`` made an admin of whoever typed the first)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from atti.cli import main

from .conftest import Atti


def commands(group: click.Group = main, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command of the command line, groups included, with the words that call it."""
    yield path, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def single_valued() -> list[tuple[tuple[str, ...], click.Option]]:
    return [
        (path, param)
        for path, command in commands()
        for param in command.params
        if isinstance(param, click.Option) and not param.multiple and not param.count and param.expose_value
    ]


CASES = single_valued()


def test_the_walk_sees_every_kind_of_option() -> None:
    names = {(" ".join(path), max(p.opts, key=len)) for path, p in CASES}
    assert {("user add", "--role"), ("search", "--limit"), ("search", "--json"), ("", "--verbose"),
            ("archive verify", "--archive"), ("serve", "--port")} <= names
    assert len(CASES) > 80


@pytest.mark.parametrize(("path", "option"), CASES, ids=[f"{' '.join(p) or 'atti'} {max(o.opts, key=len)}"
                                                         for p, o in CASES])
def test_an_option_given_twice_is_refused(atti: Atti, path: tuple[str, ...], option: click.Option) -> None:
    name = max(option.opts, key=len)
    if option.is_flag:
        given: list[str] = [name, name]
        said = ""
    else:
        first, second = ["1"] * option.nargs, ["2"] * option.nargs
        given = [name, *first, name, *second]
        said = " (1, 2)" if option.nargs == 1 else ""
    result = atti(*path, *given)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == f"Errore: {name} è stata data due volte{said}: indicala una volta sola"


@pytest.mark.parametrize(("args", "line"), [
    (["user", "add", "--role", "officer", "--role", "admin", "anna"],
     "Errore: --role è stata data due volte (officer, admin): indicala una volta sola"),
    (["search", "--limit=3", "--limit", "4", "x"],
     "Errore: --limit è stata data due volte (3, 4): indicala una volta sola"),
    (["-v", "--verbose", "search"],
     "Errore: --verbose è stata data due volte (-v, --verbose): indicala una volta sola"),
    (["search", "--public", "x", "--public"], "Errore: --public è stata data due volte: indicala una volta sola"),
    (["search", "--archive", "a", "--archive", "b"],
     "Errore: --archive è stata data due volte (a, b): indicala una volta sola"),
])
def test_the_message_says_what_was_given(atti: Atti, args: list[str], line: str) -> None:
    result = atti(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [result.stderr.splitlines()[0], result.stderr.splitlines()[1], "", line]


def test_options_that_take_many_values_and_words_after_double_dash_are_not_refused(
    atti: Atti, tmp_path: Path
) -> None:
    result = atti("search", "--archive", tmp_path, "--limit", "3", "--", "--limit")
    assert (result.exit_code, result.stderr) == (6, f"Errore: nessun archivio in {tmp_path}: creane uno con"
                                                    f" 'atti init --archive {tmp_path}'\n")
    (tmp_path / "a.pem").write_text("not a certificate")
    result = atti("init", "--archive", tmp_path / "archive", "--trust", tmp_path / "a.pem", "--trust",
                  tmp_path / "a.pem")
    assert "given twice" not in result.output and "a.pem" in result.stderr
