"""Messages people read: Italian by default, English on request.

The source holds every message in English, marked with :func:`_` (``_("unknown key '{key}'")
.format(key=...)``, never an f-string, so that the message is found in the catalog whatever it
quotes). The Italian catalog is ``locale/it/LC_MESSAGES/atti.po`` inside the package, read as it
is when the first message is translated: nothing to compile, so a clean checkout installed with
``pip install -e .`` speaks Italian at once. tests/test_i18n.py fails on a marked message missing
from the catalog, and on a catalog entry left untranslated.

click's own messages (usage errors, "Usage:", "Error:") have their catalog beside it, click.po,
read with the same :func:`read_po` and :func:`read_po_plurals` by the command line (atti.cli),
which makes click's modules translate through it.

The language is, first found: :func:`set_language` (the command line's ``--lang``, or the
``lang`` setting), ``$ATTI_LANG``, else Italian. ``en`` gives the messages as the source writes
them.
"""

from __future__ import annotations

import ast
import gettext
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LANGUAGES = ("it", "en")
"""The languages atti speaks: Italian, the default, and English."""
DEFAULT = "it"
DOMAIN = "atti"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_chosen: str | None = None
_lock = threading.Lock()
_catalogs: dict[str, gettext.NullTranslations] = {}


class _PoTranslations(gettext.NullTranslations):
    """A gettext catalog read straight from a .po file (msgid/msgstr pairs, no plural forms)."""

    def __init__(self, entries: dict[str, str]) -> None:
        super().__init__()
        self.entries = entries

    def gettext(self, message: str) -> str:
        return self.entries.get(message) or message


def read_po(path: Path) -> dict[str, str]:
    """The msgid -> msgstr pairs of a .po file (the header, msgid "", left out; so are the entries
    with a plural, msgid_plural: :func:`read_po_plurals` reads those)."""
    return {msgid: forms[0] for msgid, (plural, forms) in _read_entries(path).items() if plural is None}


def read_po_plurals(path: Path) -> dict[str, tuple[str, list[str]]]:
    """The entries of a .po file with a plural: msgid -> (msgid_plural, [msgstr[0], msgstr[1], ...]).
    Italian has the two forms of English: [0] for one, [1] for any other number (:func:`plural_index`)."""
    return {msgid: (plural, forms) for msgid, (plural, forms) in _read_entries(path).items() if plural is not None}


def plural_index(n: int) -> int:
    """Which msgstr[] of a plural entry says ``n`` things, in Italian as in English (nplurals=2; plural=n != 1)."""
    return 0 if n == 1 else 1


def _read_entries(path: Path) -> dict[str, tuple[str | None, list[str]]]:
    """Every entry of a .po file: msgid -> (msgid_plural or None, its msgstr or msgstr[N] forms in order)."""
    entries: dict[str, tuple[str | None, list[str]]] = {}
    field = ""
    parts: dict[str, list[str]] = {}

    def flush() -> None:
        msgid = "".join(parts.get("msgid", []))
        if msgid:
            plural = "".join(parts["msgid_plural"]) if "msgid_plural" in parts else None
            if plural is None:
                forms = ["".join(parts.get("msgstr", []))]
            else:
                count = max((int(k[7:-1]) + 1 for k in parts if k.startswith("msgstr[")), default=0)
                forms = ["".join(parts.get(f"msgstr[{i}]", [])) for i in range(count)]
            entries[msgid] = (plural, forms)
        parts.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword == "msgid" or keyword == "msgid_plural" or keyword.startswith("msgstr"):
            if keyword == "msgid":
                flush()
            field, line = keyword, rest
            parts.setdefault(field, [])
        if field and line.startswith('"'):
            parts[field].append(ast.literal_eval(line))
    flush()
    return entries


def _catalog(language: str) -> gettext.NullTranslations:
    with _lock:
        found = _catalogs.get(language)
        if found is None:
            po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            found = _PoTranslations(read_po(po)) if po.is_file() else gettext.NullTranslations()
            _catalogs[language] = found
        return found


@contextmanager
def kept_language() -> Iterator[None]:
    """Whatever :func:`set_language` is called with inside, the language is the one before afterwards
    (a command run in-process, as the tests run them, leaves the process's language alone)."""
    global _chosen
    before = _chosen
    try:
        yield
    finally:
        _chosen = before


def set_language(language: str | None) -> None:
    """Speak ``language`` (``it`` or ``en``) from now on; None goes back to ``$ATTI_LANG``, else Italian."""
    global _chosen
    _chosen = normalise(language) if language else None


def normalise(language: str) -> str:
    """``it``, ``IT``, ``it_IT.UTF-8`` -> ``it``; a language atti does not speak -> the default."""
    code = language.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return code if code in LANGUAGES else DEFAULT


def language() -> str:
    """The language messages are given in now."""
    if _chosen is not None:
        return _chosen
    env = os.environ.get("ATTI_LANG")
    return normalise(env) if env else DEFAULT


def _(message: str) -> str:
    """``message`` in the current language (as written when it is English, or not in the catalog)."""
    current = language()
    if current == "en":
        return message
    return _catalog(current).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog where it is written, to be translated (with :func:`_`) where it is shown."""
    return message


def translate(message: str) -> str:
    """:func:`_` for a message marked elsewhere with :func:`N_` (a table's entry, given by key)."""
    return _(message)
