"""Citations of other acts and laws found in the text of an act ("DGR n. XII/1536 del 18 dicembre 2023").

Premesse and visti are mostly citations; recognising them lets the archive link an act to the
acts it rests on, and lets a reader jump to them. The recogniser is deliberately conservative:
a citation needs a *kind* word (Determinazione, DGR, D.Lgs., legge ...) followed by a number
(after "n.", "n°", "nr." ..., or a bare "241/1990"), or, for the kinds that are cited by date
alone (DPCM, decreto ministeriale), by a date. A date, an amount or a time on its own is never
a citation, so "al 31 marzo 2028", "€ 1.500.000,00" and "ore 16.00" produce nothing.

This module imports nothing from atti, so that the model and the archive may both use it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# -- kinds -------------------------------------------------------------------------------------

# (pattern, kind, body). Order matters where two patterns start at the same place: the longer,
# more specific one comes first ("decreto legislativo" before "decreto", "L.R." before "L.").
_KINDS: list[tuple[str, str, str | None]] = [
    (r"decreto\s+del\s+presidente\s+del\s+consiglio\s+dei\s+ministri|d\.\s?p\.\s?c\.\s?m\.|dpcm", "dpcm", None),
    (r"decreto\s+del\s+presidente\s+della\s+repubblica|d\.\s?p\.\s?r\.|dpr", "dpr", None),
    (r"decreto[\s-]+legislativo|d\.\s?lgs\.?|dlgs\.?", "decreto legislativo", None),
    (r"decreto[\s-]+legge|d\.\s?l\.", "decreto-legge", None),
    (r"decreto\s+(?:inter)?ministeriale|d\.\s?m\.", "decreto ministeriale", None),
    (r"decret[oi]", "decreto", None),
    (r"(?:regolamento|reg\.)\s*(?:\(\s*(?:ue|ce|cee)\s*\)|(?:ue|ce|cee)\b)", "regolamento UE", None),
    (r"direttiva\s*(?:\(\s*(?:ue|ce|cee)\s*\)|(?:ue|ce|cee)\b)", "direttiva UE", None),
    (r"direttiva", "direttiva", None),
    (r"regolament[oi]", "regolamento", None),
    (r"legge\s+regionale|l\.\s?r\.", "legge regionale", None),
    (r"legge\s+costituzionale", "legge costituzionale", None),
    (r"legge|l\.", "legge", None),
    (r"d\.\s?g\.\s?r\.|dgr", "delibera", "Giunta regionale"),
    (r"d\.\s?c\.\s?r\.|dcr", "delibera", "Consiglio regionale"),
    (r"d\.\s?g\.\s?c\.|dgc", "delibera", "Giunta comunale"),
    (r"d\.\s?c\.\s?c\.|dcc", "delibera", "Consiglio comunale"),
    (r"delibera(?:zion[ei])?|delib\.", "delibera", None),
    (r"determin(?:azion[ei]|a)|det\.", "determinazione", None),
    (r"ordinanz[ae]", "ordinanza", None),
    (r"circolare", "circolare", None),
]

# Each kind is its own named group, so ``match.lastgroup`` says which one matched. Before it, no
# letter or dot (the "L." inside "D.L." is not a legge); after a kind ending in a letter, no letter.
_KIND_RE = re.compile(
    r"(?<![\w.])(?i:"
    + "|".join(rf"(?P<k{i}>(?:{pattern})(?:(?<=\.)|(?!\w)))" for i, (pattern, _, _) in enumerate(_KINDS))
    + ")"
)

# -- the parts after the kind ------------------------------------------------------------------

_MONTH_NAMES = "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre"
_MONTHS = {name: i for i, name in enumerate(_MONTH_NAMES.split(), 1)}
# "18/03/2026", "9.12.2025", "01-06-21", "18 dicembre 2023", "1° luglio 2024"
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?!\d|[.,]\d)"
    r"|\d{1,2}(?:\s?[°º])?\s*(?i:" + "|".join(_MONTHS) + r")\s+\d{4}(?!\d))"
)
_DATE_PARTS = re.compile(
    r"(?P<d>\d{1,2})(?:[/.\-](?P<m>\d{1,2})[/.\-]|(?:\s?[°º])?\s*(?P<name>[a-zA-Z]+)\s+)(?P<y>\d{2,4})"
)

# "n.", "n°", "N.", "nr.", "n.ro", "num.", "numero"
_MARKER = r"(?i:(?:nr|num|n)(?:\s?[.°º])+(?:ro\b)?|numero)\s*"
# after a marker: "60", "82/2026", "XII/1536", "175/PRO", "G00083", "12-bis", "2006/123/CE"
_NUMBER = r"(?:[IVXLC]+/)?[A-Z]{0,4}\d+(?:[/\-][A-Za-z0-9]+)*(?:[\s-]?(?:bis|ter|quater)\b)?(?![\w])"
# without a marker a number must carry its slash, "241/1990" or "XII/1536": a bare "60" could be
# anything (a page, a quantity)
_BARE_NUMBER = r"(?:[IVXLC]+/\d+|\d+/\d+(?:/[A-Z]{1,3})?)(?![\w/])"
# the register right after the kind: "D.O.", "DDUO", "S.G." (uppercase, abbreviated)
_REGISTER = r"(?!(?:DEL|DELLA|DELLO|DEI|DEGLI|DELLE|DI)\b)(?:(?:[A-Z]{1,4}\.){1,4}|[A-Z]{2,6}(?![\w.]))"
# who issued it, between the kind and the number: "del Direttore Generale", "della Giunta
# Regionale", "dirigenziale", "di Giunta camerale". Only capitalised words, prepositions and the
# usual adjectives, so that ordinary prose ("Determinazioni in merito ...") never becomes a body.
_ADJECTIVES = (
    "dirigenziale|direttoriale|regionale|comunale|provinciale|camerale|sindacale|presidenziale|"
    "commissariale|ministeriale|interministeriale|generale|operativo|giunta|consiglio|direttore|"
    "dirigente|segretario|presidente|sindaco|commissario|responsabile|settore|servizio|ufficio|area"
)
_WORD = rf"(?:[A-ZÀ-Þ][A-Za-zÀ-ÿ]*\.?|(?:{_ADJECTIVES})(?!\w))"
_PREP = r"(?i:(?:del|della|dello|dei|degli|delle|di|e)\s+|dell['’]\s*|d['’]\s*)"
_BODY = rf"(?:{_PREP})?{_WORD}(?:\s+(?:{_PREP})?{_WORD}){{0,6}}"
# the register may also follow the body: "Determinazione del Direttore Operativo D.O. n. 60"
_QUALIFIERS = (
    rf"(?:\s+(?P<register>{_REGISTER}))?(?:\s+(?P<body>{_BODY}))?(?(register)|(?:\s+(?P<register2>{_REGISTER}))?)"
)
# "del 18/03/2026", "dell'01/06/2021", ", in data 13 febbraio 2024", "adottata il 9.12.2025"
_CONNECTOR = r"\s*,?\s*(?:del|dell['’]|in\s+data|datat[ao]|adottat[ao]\s+(?:in\s+data|il))\s*"

_TAILS = [
    # "legge 7 agosto 1990, n. 241", "D.P.R. 28 dicembre 2000, n. 445": the law style, date first;
    # "decreto legislativo del 30 dicembre 1992, n. 502" too
    re.compile(rf"{_QUALIFIERS}\s+(?:del\s+|dell['’]\s*)?(?P<date>{_DATE})\s*,?\s*{_MARKER}(?P<number>{_NUMBER})"),
    # "Determinazione D.O. n. 60 del 18/03/2026", "DGR n. XII/1536", "legge n. 241/1990"
    re.compile(rf"{_QUALIFIERS}\s*,?\s*{_MARKER}(?P<number>{_NUMBER})(?:{_CONNECTOR}(?P<date>{_DATE}))?"),
    # "D.Lgs. 82/2005", "DGR XII/1536 del 18 dicembre 2023", "Regolamento (UE) 2016/679"
    re.compile(rf"{_QUALIFIERS}\s+(?P<number>{_BARE_NUMBER})(?:{_CONNECTOR}(?P<date>{_DATE}))?"),
]
# "DPCM 26 aprile 2020", "D.M. 10 marzo 2020": acts cited by their date alone
_DATE_ONLY_TAIL = re.compile(rf"\s+(?P<date>{_DATE})")
_DATE_ONLY_KINDS = {"dpcm", "decreto ministeriale"}
# kinds whose number may carry a two-digit year, "L. 241/90"
_LAW_KINDS = {"legge", "legge regionale", "legge costituzionale", "decreto legislativo", "decreto-legge", "dpr"}


@dataclass(frozen=True)
class Reference:
    """One citation: what kind of act, by whom, which number, of when, and where in the text."""

    kind: str
    """"determinazione", "delibera", "decreto", "decreto legislativo", "legge", "dpr", "dpcm" ..."""
    number: str | None
    """As written after "n.", "82/2026", "XII/1536", "175/PRO"; None for "DPCM 26 aprile 2020"."""
    year: int | None
    """From the number ("82/2026", "241/90") or else from the date."""
    date: dt.date | None
    start: int
    end: int
    text: str
    register: str | None = None
    """The register named after the kind: "D.O." in "Determinazione D.O. n. 60"."""
    body: str | None = None
    """The issuer when stated: "Giunta regionale" for a DGR, "del Direttore Generale" as written."""
    legislature: str | None = None
    """The Roman prefix of a regional number: "XII" in "DGR n. XII/1536"."""

    @property
    def serial(self) -> int | None:
        """The number within its register and year: 60 for "60" or "60/2026", None for "175/PRO"."""
        if self.number is None:
            return None
        head, _, tail = self.number.partition("/")
        if not head.isdigit() or (tail and not (tail.isdigit() and _year_of(tail, self.kind) == self.year)):
            return None
        return int(head)


def _year_of(text: str, kind: str) -> int | None:
    if len(text) == 4 and 1800 <= int(text) <= 2100:
        return int(text)
    if len(text) == 2 and kind in _LAW_KINDS:
        return _full_year(int(text))
    return None


def _full_year(yy: int) -> int:
    # two-digit years: "L. 241/90" is 1990, "9.12.25" is 2025
    return 2000 + yy if yy <= dt.date.today().year % 100 else 1900 + yy


def parse_date(text: str) -> dt.date | None:
    """An Italian date, numeric or in words ("1° luglio 2024"); None when it is not a real date."""
    m = _DATE_PARTS.fullmatch(text.strip())
    if m is None:
        return None
    if m["name"] is not None:
        month = _MONTHS.get(m["name"].lower())
        if month is None:
            return None
    else:
        month = int(m["m"])
    year = int(m["y"])
    if len(m["y"]) == 2:
        year = _full_year(year)
    try:
        return dt.date(year, month, int(m["d"]))
    except ValueError:
        return None


def _year_from_number(number: str, kind: str) -> int | None:
    parts = number.split("/")
    if len(parts) < 2:
        return None
    eu = kind in {"regolamento UE", "direttiva UE", "direttiva"}
    if eu and len(parts[0]) == 4 and parts[0].isdigit() and 1950 <= int(parts[0]) <= 2100:
        # since 2015 EU acts are numbered year first, "2016/679"; before, "n. 1407/2013"
        return int(parts[0])
    last = parts[-1]
    if not last.isdigit() or not parts[-2].isdigit():
        return None  # "XII/1536": the part after the slash is the number, not a year
    return _year_of(last, kind)


def extract_references(text: str) -> list[Reference]:
    """Every citation in ``text``, in order, without overlaps."""
    out: list[Reference] = []
    pos = 0
    while (kind_match := _KIND_RE.search(text, pos)) is not None:
        group = kind_match.lastgroup
        assert group is not None  # every alternative is a named group
        kind, body = _KINDS[int(group[1:])][1:]
        ref = _complete(text, kind_match, kind, body)
        if ref is None:
            pos = kind_match.end()
            continue
        out.append(ref)
        pos = ref.end
    return out


def _complete(text: str, kind_match: re.Match[str], kind: str, body: str | None) -> Reference | None:
    """The citation that starts with ``kind_match``, when a number (or a date) follows it."""
    start = kind_match.start()
    for tail in _TAILS:
        m = tail.match(text, kind_match.end())
        if m is None:
            continue
        number = m["number"]
        date = parse_date(m["date"]) if m["date"] else None
        legislature = number.split("/")[0] if re.match(r"[IVXLC]+/", number) else None
        year = _year_from_number(number, kind) or (date.year if date else None)
        return Reference(
            kind=kind,
            number=number,
            year=year,
            date=date,
            start=start,
            end=m.end(),
            text=text[start : m.end()],
            register=(m["register"] or m["register2"] or "").strip() or None,
            body=body or (m["body"].strip() if m["body"] else None),
            legislature=legislature,
        )
    if kind in _DATE_ONLY_KINDS:
        m = _DATE_ONLY_TAIL.match(text, kind_match.end())
        date = parse_date(m["date"]) if m else None
        if m is not None and date is not None:
            return Reference(kind, None, date.year, date, start, m.end(), text[start : m.end()])
    return None


def registro_slug(registro: str) -> str:
    """The part of an archive id that names the register: its letters and digits, "D.O." -> "DO".

    ``atti check`` refuses a registro whose slug would be empty or lose a character (a space, an
    accented letter: atti.acts.checks), so that two spellings of one register cannot meet first
    in the archive.
    """
    return re.sub(r"[^0-9A-Za-z]+", "", registro)


def registro_key(registro: str) -> str:
    """What makes two spellings one register: its letters and digits, case aside ("D.O.", "DO",
    "d.o." -> "DO"). The archive numbers, locks and dates one register under one key, and keeps
    the spelling it first archived (atti.archive.Archive.register_name)."""
    return registro_slug(registro).upper()


def act_id_of(register: str, year: int, number: int) -> str:
    """The archive id of an act: "D.O.", 2026, 60 -> "DO-2026-60".

    The one derivation of an id: the archive's ``act_id`` is this function. A registro with no
    letter or digit (which the checks refuse) gives "R", as archives written before that rule have.
    """
    return f"{registro_slug(register) or 'R'}-{year}-{number}"


def reference_to_act_id(ref: Reference, *, default_register: str | None = None) -> str | None:
    """The archive id of the act ``ref`` cites, or None when it cannot be known from the text.

    It needs a register ("Determinazione D.O. n. 60"), or ``default_register`` for citations that
    name none (an office citing its own "Determinazione n. 46/2021"), a plain number and a year.
    Whether such an act is in the archive is for the caller to look up.
    """
    register = ref.register or default_register
    serial = ref.serial
    if register is None or serial is None or ref.year is None:
        return None
    return act_id_of(register, ref.year, serial)


@dataclass(frozen=True)
class FoundReference:
    """A citation found in an act: in which part ("premesse") and which item of it (0-based)."""

    part: str
    index: int
    reference: Reference
