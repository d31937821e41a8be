"""What the reader guesses from words: a kind from the operative verb, the organo's capitals and
initials, the body from its web site, the date of an act whose head prints none."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Protocol

from atti.acts.importer.clean import squeeze
from atti.acts.references import _DATE, parse_date


class Draft(Protocol):  # parse.Draft, as far as guess_ente reads and writes it
    data: dict[str, Any]
    guessed: dict[str, str]


_DATE_IN = re.compile(rf"(?P<date>{_DATE})")
SITO = re.compile(r"\b(?:www\.)[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}\b", re.IGNORECASE)


def despace(text: str) -> str:
    """"I L S I N D A C O" -> "IL SINDACO"."""
    squeezed = squeeze(text)
    return re.sub(r"^(IL|LA|LO)(?=[A-ZÀ-Þ]{4,}\b)", r"\1 ", squeezed) if squeezed != text else text


def tipo_from_formula(data: dict[str, Any]) -> str | None:
    formula = data.get("dispositivo", {}).get("formula", "")
    return {"DETERMINA": "determinazione", "DELIBERA": "delibera", "DECRETA": "decreto", "ORDINA": "ordinanza",
            "PRENDEATTO": "delibera", "ISTITUISCE": "ordinanza", "VIETA": "ordinanza", "INGIUNGE": "ordinanza",
            "DIFFIDA": "ordinanza", "NOMINA": "decreto"}.get(formula)


_SMALL = {"di", "del", "della", "dello", "dei", "degli", "delle", "e", "ed", "al", "alla", "per", "in", "a"}


def title_case(text: str) -> str:
    words = text.strip().split()
    out = []
    for i, w in enumerate(words):
        low = w.lower()
        if i and low in _SMALL:
            out.append(low)
        elif re.fullmatch(r"(?:[A-Z]\.)+", w):
            out.append(w)
        else:
            out.append(low[:1].upper() + low[1:])
    return " ".join(out)


def initials(organo: str) -> str:
    """The register guessed from the organo: "Direttore Operativo" -> "D.O."."""
    return "".join(f"{w[0].upper()}." for w in organo.split() if w.lower() not in _SMALL and w[:1].isalpha())


def guess_ente(draft: Draft, text: str) -> None:
    """The body's name when no letterhead names it: the words of the text that spell its web site."""
    data = draft.data
    sito = SITO.search(text)
    if sito:
        data.setdefault("ente", {})["sito"] = sito.group().rstrip(".")
    if "nome" in data.get("ente", {}):
        return
    if sito:
        core = sito.group().lower().removeprefix("www.").split(".")[0].replace("-", "")
        words = re.findall(r"[A-ZÀ-Þ][\wÀ-ÿ]*", text)
        for size in range(1, 6):
            for i in range(len(words) - size + 1):
                if "".join(words[i : i + size]).lower() == core:
                    # the words must stand next to each other in the text, not be picked apart
                    phrase = " ".join(words[i : i + size])
                    if phrase in text:
                        data["ente"]["nome"] = phrase
                        draft.guessed["ente"] = f"dal sito {sito.group()}"
                        return


def date_guess(text: str) -> dt.date | None:
    """The latest date in the text: an act is dated on the day of its last step."""
    dates = [d for m in _DATE_IN.finditer(text) if (d := parse_date(m["date"])) is not None]
    return max(dates) if dates else None
