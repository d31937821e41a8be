"""Keep the Italian catalog in step with the messages the source marks for translation.

Every message people read is written in English in the source as ``_("...")`` (or ``N_("...")``
where it is defined and translated elsewhere, atti.i18n; the command line's help texts are marked
so, and each click command's docstring, its --help, is a message too). This script finds them all with ast and
compares them with ``src/atti/locale/it/LC_MESSAGES/atti.po``:

    .venv/bin/python scripts/messages.py            # check: exit 1 listing what is missing or untranslated
    .venv/bin/python scripts/messages.py --write    # add the new messages (msgstr empty, to be written),
                                                    # drop the ones the source no longer has

A message is untranslated while its msgstr is empty or the English itself; tests/test_i18n.py
fails then, as it does for a message marked with something other than a plain string.

click's own messages (usage errors, "Usage:", "Error:") are in a second catalog, click.po beside
atti.po: --write gathers every _() and ngettext() of the installed click's source into it (msgstr
empty for a new one, to be written by hand; an entry with a plural keeps msgid_plural and its
msgstr[0] and msgstr[1]), and the check names each one missing or untranslated there (atti.cli).

A message nobody marked is never in the catalog, so the check also walks the places where a
message reaches people -- what atti raises (every AttiError subclass, click's usage errors, the
act model's PydanticCustomError), a Problem or a Finding, what the command line echoes -- and names
each sentence there that is not marked (:func:`unmarked`). A sentence is a string holding a
lower-case word; codes such as TOTAL_PASSED, paths and numbers are not sentences.
"""

from __future__ import annotations

import argparse
import ast
import re
import string
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "atti"
CATALOG = SRC / "locale" / "it" / "LC_MESSAGES" / "atti.po"
CLICK_CATALOG = SRC / "locale" / "it" / "LC_MESSAGES" / "click.po"
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
            if isinstance(node, ast.FunctionDef) and _is_command(node):
                where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
                doc = ast.get_docstring(node)  # cleaned as click cleans it, cut where click cuts it
                if doc and doc.partition("\f")[0]:
                    found.setdefault(doc.partition("\f")[0], []).append(where)
                continue
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS):
                continue
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
            arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                found.setdefault(arg.value, []).append(where)
            else:
                wrong.append(where)
    return found, wrong


def _is_command(function: ast.FunctionDef) -> bool:
    """A click command or group (``@main.command()``, ``@click.group(...)``): its docstring is its help,
    which the command line shows translated (atti.cli.help_text), so it is a message of the catalog."""
    return any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute | ast.Name)
               and (d.func.attr if isinstance(d.func, ast.Attribute) else d.func.id) in ("command", "group")
               for d in function.decorator_list)


def read_catalog(path: Path = CATALOG) -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "src"))
    from atti.i18n import read_po

    return read_po(path) if path.is_file() else {}


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    escaped = escaped.replace("\b", "\\b")  # click's no-rewrap marker in a docstring
    return f'"{escaped}"'


def write_catalog(messages: dict[str, list[str]], translations: dict[str, str], path: Path = CATALOG) -> None:
    out = [HEADER]
    for msgid in sorted(messages, key=lambda m: (messages[m][0], m)):
        out.append(f"#: {' '.join(messages[msgid][:3])}\n")
        out.append(f"msgid {_quoted(msgid)}\nmsgstr {_quoted(translations.get(msgid, ''))}\n\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(out).rstrip("\n") + "\n", encoding="utf-8")


# Where a message reaches people: a call's name -> the positions and keywords of its message.
# Exceptions are the AttiError family (found in the source) and these; each takes its message first.
CLICK_ERRORS = {"UsageError", "BadParameter", "ClickException", "FileError", "Abort"}
SINKS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "PydanticCustomError": ((1,), ("message_template",)),
    "Problem": ((3,), ("message",)),
    "Finding": ((2,), ("message",)),
    "problem": ((1,), ("message",)),  # SourceMap.problem(path, message)
    "echo": ((0,), ("message",)),  # click.echo
    "secho": ((0,), ("message",)),
    "fail": ((0,), ("message",)),  # click.Context.fail
}
_PROSE = re.compile(r"\b[a-z]{3,}\b")
NOT_PROSE = "# i18n: not a message"  # on the line of a string that is data, not a sentence (rare)


def _user_errors(trees: dict[Path, ast.Module]) -> set[str]:
    """The names of AttiError and every class that derives from it, as the source declares them."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = {b.id if isinstance(b, ast.Name) else b.attr for b in node.bases
                         if isinstance(b, ast.Name | ast.Attribute)}
                bases.setdefault(node.name, set()).update(names)
    found = {"AttiError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def _prose(node: ast.AST) -> str | None:
    """The unmarked sentence in an expression that makes a message, or None when it has none."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) and _PROSE.search(node.value) else None
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return text if _PROSE.search(text) else None
    if isinstance(node, ast.BinOp):
        return _prose(node.left) or _prose(node.right)
    if isinstance(node, ast.IfExp):
        return _prose(node.body) or _prose(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        return _prose(node.func.value)  # "...".format(...) unmarked; _("...").format(...) is a Call: fine
    return None


def unmarked(root: Path = SRC) -> list[str]:
    """One line per sentence that reaches people without being marked for translation."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in sorted(root.rglob("*.py"))}
    errors = _user_errors(trees) | CLICK_ERRORS
    lines: list[str] = []
    for path, tree in trees.items():
        source = path.read_text(encoding="utf-8").splitlines()
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for node in ast.walk(tree):
            # notes += ("...",) / warnings.append: what a command prints beside its result
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) \
                    and node.target.id.endswith(("notes", "warnings")) and isinstance(node.value, ast.Tuple | ast.List):
                for element in node.value.elts:
                    text = _prose(element)
                    if text is not None:
                        lines.append(f"{where}:{element.lineno}: not marked for translation: {text[:60]!r}")
                continue
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            if name not in errors and name not in SINKS:
                continue
            positions, keywords = SINKS.get(name, ((0,), ("msg", "message")))
            args = [node.args[i] for i in positions if i < len(node.args)]
            args += [k.value for k in node.keywords if k.arg in keywords]
            for arg in args:
                text = _prose(arg)
                lines_of = source[arg.lineno - 1:(arg.end_lineno or arg.lineno)]
                if text is not None and not any(NOT_PROSE in line for line in lines_of):
                    lines.append(f"{where}:{arg.lineno}: not marked for translation: {text[:60]!r}")
    return lines


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
        # A name that is no Python name is text in braces, not a field: a redline's {+added words+}.
        return {name for _, name, _, _ in string.Formatter().parse(text)
                if name is not None and re.match(r"\w*(?:[.\[]|$)", name)}
    except ValueError:
        return None


# -- click's own messages ----------------------------------------------------------------------------
# click marks its messages (usage errors, "Usage:", "Error:", its types' messages) with gettext's
# _() and ngettext() in each of its modules; atti.cli makes them translate through click.po. The
# catalog holds every message of the installed click, so that an upgrade adding one is caught.

CLICK_HEADER = '''# Italian messages of click, the library of atti's command line (atti.cli translates them).
# Every _() and ngettext() of click's own source, gathered by scripts/messages.py --write; each
# msgstr written by hand. An entry with msgid_plural has msgstr[0] for one, msgstr[1] for more.
msgid ""
msgstr ""
"Project-Id-Version: click\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Language: it\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

'''


def click_source() -> Path:
    import click

    return Path(click.__file__).resolve().parent


def click_marked(root: Path | None = None) -> tuple[dict[str, list[str]], dict[str, tuple[str, list[str]]]]:
    """Every message click marks: singular msgid -> places, and msgid -> (msgid_plural, places)."""
    root = root or click_source()
    singular: dict[str, list[str]] = {}
    plural: dict[str, tuple[str, list[str]]] = {}
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            where = f"click/{path.name}:{node.lineno}"
            texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if node.func.id == "_" and len(texts) == 1:
                singular.setdefault(texts[0], []).append(where)
            elif node.func.id == "ngettext" and len(texts) == 2:
                plural.setdefault(texts[0], (texts[1], []))[1].append(where)
    return singular, plural


def read_click_catalog(path: Path = CLICK_CATALOG) -> tuple[dict[str, str], dict[str, tuple[str, list[str]]]]:
    sys.path.insert(0, str(ROOT / "src"))
    from atti.i18n import read_po, read_po_plurals

    return (read_po(path), read_po_plurals(path)) if path.is_file() else ({}, {})


def write_click_catalog(path: Path = CLICK_CATALOG) -> None:
    """click.po with every message of the installed click, keeping the translations it has."""
    singular, plural = click_marked()
    translated, translated_plurals = read_click_catalog(path)
    out = [CLICK_HEADER]
    for msgid in sorted(singular):
        out.append(f"#: {' '.join(singular[msgid][:3])}\n")
        out.append(f"msgid {_quoted(msgid)}\nmsgstr {_quoted(translated.get(msgid, ''))}\n\n")
    for msgid in sorted(plural):
        msgid_plural, places = plural[msgid]
        forms = translated_plurals.get(msgid, ("", []))[1] + ["", ""]
        out.append(f"#: {' '.join(places[:3])}\n")
        out.append(f"msgid {_quoted(msgid)}\nmsgid_plural {_quoted(msgid_plural)}\n"
                   f"msgstr[0] {_quoted(forms[0])}\nmsgstr[1] {_quoted(forms[1])}\n\n")
    path.write_text("".join(out).rstrip("\n") + "\n", encoding="utf-8")


def click_problems(path: Path = CLICK_CATALOG) -> list[str]:
    """One line per message of the installed click missing from click.po, or left untranslated there."""
    singular, plural = click_marked()
    translated, translated_plurals = read_click_catalog(path)
    lines = []
    for msgid, places in singular.items():
        if msgid not in translated:
            lines.append(f"{places[0]}: not in click.po: {msgid!r}")
        elif not translated[msgid].strip():
            lines.append(f"{places[0]}: not translated in click.po: {msgid!r}")
        elif not _fits(translated[msgid], msgid) or _percent(translated[msgid]) != _percent(msgid):
            lines.append(f"{places[0]}: the translation's fields differ from the message's: {msgid!r}")
    for msgid, (msgid_plural, places) in plural.items():
        found = translated_plurals.get(msgid)
        if found is None or found[0] != msgid_plural:
            lines.append(f"{places[0]}: not in click.po: {msgid!r} / {msgid_plural!r}")
        elif len(found[1]) != 2 or not all(form.strip() for form in found[1]):
            lines.append(f"{places[0]}: not translated in click.po: {msgid!r} / {msgid_plural!r}")
        elif not all(_fits(form, msgid, msgid_plural) for form in found[1]):
            lines.append(f"{places[0]}: the translation's fields differ from the message's: {msgid!r}")
    return lines


def _fits(translation: str, *messages: str) -> bool:
    """The translation uses only {fields} its message is formatted with: it may leave one out (click's
    "{name} {filename!r} does not exist." gives name in English: "{filename!r} non esiste.")."""
    given = [fields(m) for m in messages]
    used = fields(translation)
    return used is not None and all(g is not None for g in given) and used <= set().union(*(g or set() for g in given))


def _percent(text: str) -> set[str]:
    """The %(name)s fields of a message click formats with %."""
    return set(re.findall(r"%\((\w+)\)", text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update the catalog with the source's messages")
    args = parser.parse_args(argv)
    messages, wrong = marked()
    translations = read_catalog()
    if args.write:
        write_catalog(messages, translations)
        write_click_catalog()
        translations = read_catalog()
    found = problems(messages, wrong, translations) + unmarked() + click_problems()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
