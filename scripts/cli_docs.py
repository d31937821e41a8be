"""Generate the command-line reference in the docs from the command line itself.

Markdown files carry generated sections between two HTML comments, invisible once rendered:

    <!-- BEGIN GENERATED cli_docs summary ... -->
    ...
    <!-- END GENERATED cli_docs summary -->

``summary`` is every command and sub-command with its usage line and one-line summary (the
README's quick reference); ``reference`` is every command's complete ``--help`` (docs/cli.md).
Both are derived at run time from the click commands named in pyproject.toml's
``[project.scripts]``, rendered at a fixed width so the output does not depend on the terminal.
tests/test_docs.py fails when a file differs from what this script would write.

    .venv/bin/python scripts/cli_docs.py --write    # regenerate every marked file
    .venv/bin/python scripts/cli_docs.py            # check only: print a diff, exit 1 if out of date
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from atti.i18n import kept_language, set_language

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = ".venv/bin/python scripts/cli_docs.py --write"
# Help is rendered for a terminal this wide, whatever the machine's terminal or $COLUMNS.
WIDTH = 100
# The quick reference: usage lines up to this long share their line with the summary (a longer
# one has it below), which is at most two lines, else cut by click at a word with "...".
USAGE_COLUMN = 34
SUMMARY_LINES = 2

_MARKER = re.compile(
    r"^<!-- BEGIN GENERATED cli_docs (?P<name>[\w-]+)\b[^\n]*-->\n"
    r"(?P<body>.*?)"
    r"^<!-- END GENERATED cli_docs (?P=name) -->$",
    re.MULTILINE | re.DOTALL,
)
_BEGIN = re.compile(r"^<!-- BEGIN GENERATED cli_docs (?P<name>[\w-]+)\b", re.MULTILINE)


class MarkerError(Exception):
    """A generated section that cannot be regenerated: unknown name, or no END marker."""


@dataclass(frozen=True)
class Entry:
    """One command as its --help shows it."""

    path: str  # "atti draft save"
    usage: str  # "atti draft save [OPTIONS] FILE"
    command: click.Command
    help: str  # the complete --help text

    def summary(self, limit: int) -> str:
        """The first sentence of the help (or the command's short_help), cut to limit characters."""
        with english():
            return self.command.get_short_help_str(limit=limit)


@contextmanager
def english() -> Iterator[None]:
    """The docs are in English: the help as the source writes it, not as the command line shows it
    by default (in Italian, or in $ATTI_LANG)."""
    with kept_language():
        set_language("en")
        yield


def programs(root: Path = ROOT) -> list[tuple[str, click.Command]]:
    """The project's console scripts that are click commands, by script name."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[tuple[str, click.Command]] = []
    for name, target in pyproject.get("project", {}).get("scripts", {}).items():
        module, _, attribute = target.partition(":")
        obj: object = importlib.import_module(module.strip())
        for part in attribute.strip().split("."):
            obj = getattr(obj, part)
        if isinstance(obj, click.Command):
            found.append((name, obj))
    return found


def entries(command: click.Command, name: str, parent: click.Context | None = None) -> Iterator[Entry]:
    """The command and, for a group, every visible sub-command, depth first, in --help's order."""
    # make_context applies the command's context_settings (e.g. -h as well as --help) as running
    # it does; resilient parsing lets a command with required arguments be built without them.
    with command.make_context(
        name, [], parent=parent, resilient_parsing=True, terminal_width=WIDTH, max_content_width=WIDTH
    ) as ctx:
        yield Entry(
            path=ctx.command_path,
            usage=" ".join([ctx.command_path, *command.collect_usage_pieces(ctx)]),
            command=command,
            help=command.get_help(ctx),
        )
        if isinstance(command, click.Group):
            for sub_name in command.list_commands(ctx):
                sub = command.get_command(ctx, sub_name)
                if sub is not None and not sub.hidden:
                    yield from entries(sub, sub_name, ctx)


def all_entries() -> list[Entry]:
    with english():
        return [entry for name, command in programs() for entry in entries(command, name)]


def summary(items: Sequence[Entry]) -> str:
    """Usage lines and summaries in two columns, as click lists a group's commands."""
    spacing = 2
    column = min(max((len(e.usage) for e in items), default=0), USAGE_COLUMN) + spacing
    text_width = WIDTH - column - 2  # what click's write_dl leaves for the second column
    # Cut a little short of the lines' total, since wrapping at words leaves some of each line empty.
    limit = SUMMARY_LINES * text_width - 10
    formatter = click.HelpFormatter(width=WIDTH, max_width=WIDTH)
    formatter.write_dl([(e.usage, e.summary(limit)) for e in items], col_max=USAGE_COLUMN, col_spacing=spacing)
    rows = formatter.getvalue().rstrip("\n")
    return f"```text\n{rows}\n```\n"


def reference(items: Sequence[Entry]) -> str:
    """A heading and the complete --help of each command."""
    return "\n".join(f"## `{e.path}`\n\n```text\n{e.help.rstrip()}\n```\n" for e in items)


SECTIONS: dict[str, Callable[[Sequence[Entry]], str]] = {"summary": summary, "reference": reference}


def begin_marker(name: str) -> str:
    return f"<!-- BEGIN GENERATED cli_docs {name}: from the code, do not edit; run {REGENERATE} -->"


def section_names(text: str) -> list[str]:
    return [m["name"] for m in _BEGIN.finditer(text)]


def regenerate(text: str, items: Sequence[Entry] | None = None) -> str:
    """text with every generated section rewritten from the code (items: the commands to use)."""
    names = section_names(text)
    matches = list(_MARKER.finditer(text))
    unknown = sorted(set(names) - set(SECTIONS))
    if unknown:
        raise MarkerError(f"unknown generated section '{unknown[0]}' (known: {', '.join(SECTIONS)})")
    if len(matches) != len(names):
        closed = {m.start() for m in matches}
        name = next(m["name"] for m in _BEGIN.finditer(text) if m.start() not in closed)
        raise MarkerError(f"generated section '{name}' has no '<!-- END GENERATED cli_docs {name} -->'")
    if not matches:
        return text
    items = all_entries() if items is None else items

    def rewrite(m: re.Match[str]) -> str:
        name = m["name"]
        return f"{begin_marker(name)}\n{SECTIONS[name](items)}<!-- END GENERATED cli_docs {name} -->"

    return _MARKER.sub(rewrite, text)


def marked_files(root: Path = ROOT) -> list[Path]:
    """The README and the docs that hold a generated section."""
    candidates = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    return [p for p in candidates if p.is_file() and section_names(p.read_text(encoding="utf-8"))]


def diff(path: Path, old: str, new: str, root: Path = ROOT) -> str:
    name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"{name} (now)", f"{name} (from the code)"
    )
    return "".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="rewrite the files that are out of date")
    args = parser.parse_args(argv)
    items = all_entries()
    stale = 0
    for path in marked_files():
        old = path.read_text(encoding="utf-8")
        try:
            new = regenerate(old, items)
        except MarkerError as exc:
            print(f"{path.relative_to(ROOT)}: {exc}", file=sys.stderr)
            return 2
        if new == old:
            continue
        stale += 1
        if args.write:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")
        else:
            sys.stdout.write(diff(path, old, new))
    if stale and not args.write:
        print(f"{stale} file(s) out of date with the command line: run {REGENERATE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
