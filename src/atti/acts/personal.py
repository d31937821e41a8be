"""Personal data in an act's text: how it is marked, left out of the publication copy, and found unmarked.

An act may publish personal data only as far as needed (GDPR art. 5 c. 1 c; the Garante's
guidelines of 15 May 2014 on the publication of acts). The act format marks such a span in any
text with double square brackets::

    premesse:
      - "vista l'istanza del sig. [[Mario Rossi]], residente in [[via Roma 1, Esempio]]"

The original act (signed, archived, seen by the roles allowed) reads the span without its
brackets; the **publication copy** (albo, web pages, search, feeds, API, packages) reads it as
:data:`OMISSIS`. :func:`personal_data_warnings` says where the text holds something that looks
like personal data left unmarked (fiscal codes, IBANs, e-mail addresses, dates of birth).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from atti.acts.model import Act
from atti.acts.source import LoadedAct, dotted
from atti.errors import Problem
from atti.i18n import N_, _, translate

# A marked span: "[[" text "]]", on one or more lines, never empty, never nested.
MARK = re.compile(r"\[\[([^\[\]]+?)\]\]")
OMISSIS = "[omissis]"

# What looks like personal data in Italian acts, with the words a warning names it by (marked with
# N_, translated where the warning is made).
_LIKELY: tuple[tuple[str, re.Pattern[str]], ...] = (
    (N_("a codice fiscale"), re.compile(
        r"\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b", re.I)),
    (N_("an IBAN"), re.compile(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b")),
    (N_("an e-mail address"), re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    (N_("a date of birth"), re.compile(
        r"\b(?:nat[oaie]|data di nascita)\b[^.;\n]{0,40}?\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b", re.I)),
)


def plain(text: str) -> str:
    """The text as the original act says it: every marked span without its brackets."""
    return MARK.sub(lambda m: m.group(1), text)


def redact(text: str) -> str:
    """The text as the publication copy says it: every marked span replaced by [omissis]."""
    return MARK.sub(OMISSIS, text)


def marked(text: str) -> list[str]:
    """The marked spans of ``text``, in order."""
    return [m.group(1) for m in MARK.finditer(text)]


def has_personal_data(act: Act) -> bool:
    """Whether any text of the act marks personal data."""
    return any(MARK.search(text) for _, text in _texts(act.model_dump(mode="python")))


def personal_spans(act: Act) -> list[str]:
    """Every span of personal data the act marks (what no public output may contain)."""
    return [span for _, text in _texts(act.model_dump(mode="python")) for span in marked(text)]


def plain_act(act: Act) -> Act:
    """The original act: marks dropped, every word kept (what is rendered and signed)."""
    return _mapped(act, plain)


def publication_act(act: Act) -> Act:
    """The publication copy of the act: every marked span [omissis] (what the public sees)."""
    return _mapped(act, redact)


def _mapped(act: Act, change: Callable[[str], str]) -> Act:
    if not has_personal_data(act):
        return act
    return type(act).model_validate(_apply(act.model_dump(mode="python"), change))


def _apply(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: _apply(v, change) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_apply(v, change) for v in value]
    return value


def _texts(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, (*path, k))]
    if isinstance(value, list | tuple):
        return [t for i, v in enumerate(value) for t in _texts(v, (*path, i))]
    return []


def likely_personal_data(text: str) -> list[tuple[str, str]]:
    """What in ``text``, outside its marked spans, looks like personal data: (what, the words)."""
    unmarked = MARK.sub(" ", text)
    return [(what, m.group(0)) for what, pattern in _LIKELY for m in pattern.finditer(unmarked)]


def personal_data_warnings(loaded: LoadedAct) -> list[Problem]:
    """Warnings for likely personal data left unmarked, each placed on its YAML value.

    Warnings, not problems: a fiscal code may be a company's, an e-mail an office's. Mark a
    person's data with [[...]] so the publication copy leaves it out.
    """
    out: list[Problem] = []
    for path, text in _texts(loaded.act.model_dump(mode="python")):
        if path and path[0] in ("allegati", "importazione") and path[-1] == "file":
            continue
        for what, words in likely_personal_data(text):
            shown = words if len(words) <= 40 else f"{words[:37]}..."
            message = _("warning: {path}: '{shown}' looks like {what}: if it is a person's, mark it as "
                        "personal data, [[...]], so the publication copy leaves it out")
            problem = loaded.source.problem(
                path, message.format(path=dotted(path), shown=shown, what=translate(what)))
            out.append(problem)
    return out
