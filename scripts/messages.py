"""Keep the Italian catalog in step with the messages the source marks for translation.

Every message people read is written in English in the source as ``_("...")`` (or ``N_("...")``
where it is defined and translated elsewhere, atti.i18n). This script finds them all with ast and
compares them with ``src/atti/locale/it/LC_MESSAGES/atti.po``:

    .venv/bin/python scripts/messages.py            # check: exit 1 listing what is missing or untranslated
    .venv/bin/python scripts/messages.py --write    # add the new messages (msgstr empty, to be written),
                                                    # drop the ones the source no longer has

A message is untranslated while its msgstr is empty or the English itself; tests/test_i18n.py
fails then, as it does for a message marked with something other than a plain string.
"""

from __future__ import annotations

import argparse
import ast
import string
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "atti"
CATALOG = SRC / "locale" / "it" / "LC_MESSAGES" / "atti.po"
MARKERS = {"_", "N_"}
HEADER = '''# Italian messages of atti: the catalog of every message people read (atti.i18n).
# Kept in step with the source by scripts/messages.py --write; each msgstr written by hand.
msgid ""
msgstr ""
"Project-Id-Version: atti\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Language: it\\n"

'''


def marked(root: Path = SRC) -> tuple[dict[str, list[str]], list[str]]:
    """Every message marked in the source with where it is (file:line), and each marker call whose
    argument is not one plain string (an f-string, a variable: no catalog can hold it)."""
    found: dict[str, list[str]] = {}
    wrong: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if path == root / "i18n.py":  # the markers themselves, and translate() of what N_ marked elsewhere
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS):
                continue
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
            arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                found.setdefault(arg.value, []).append(where)
            else:
                wrong.append(where)
    return found, wrong


def read_catalog(path: Path = CATALOG) -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "src"))
    from atti.i18n import read_po

    return read_po(path) if path.is_file() else {}


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def write_catalog(messages: dict[str, list[str]], translations: dict[str, str], path: Path = CATALOG) -> None:
    out = [HEADER]
    for msgid in sorted(messages, key=lambda m: (messages[m][0], m)):
        out.append(f"#: {' '.join(messages[msgid][:3])}\n")
        out.append(f"msgid {_quoted(msgid)}\nmsgstr {_quoted(translations.get(msgid, ''))}\n\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(out).rstrip("\n") + "\n", encoding="utf-8")


def problems(messages: dict[str, list[str]], wrong: list[str], translations: dict[str, str]) -> list[str]:
    """One line per message missing from the catalog or left untranslated, and per bad marker."""
    lines = [f"{where}: the message marked here is not one plain string" for where in wrong]
    for msgid, places in messages.items():
        if msgid not in translations:
            lines.append(f"{places[0]}: not in the catalog: {msgid!r}")
        elif not translations[msgid].strip() or translations[msgid] == msgid:
            lines.append(f"{places[0]}: not translated: {msgid!r}")
        elif fields(translations[msgid]) != fields(msgid):
            lines.append(f"{places[0]}: the translation's {{fields}} differ from the message's: {msgid!r}")
    return lines


def fields(text: str) -> set[str] | None:
    """The ``{names}`` a message is formatted with (None when it is no valid format string)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update the catalog with the source's messages")
    args = parser.parse_args(argv)
    messages, wrong = marked()
    translations = read_catalog()
    if args.write:
        write_catalog(messages, translations)
        translations = read_catalog()
    found = problems(messages, wrong, translations)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
