"""A verification report in Italian, for the people who read it: the web's act page and the HTML report.

The report itself (:mod:`atti.signing.verify`) speaks the language atti speaks when it is made
(:mod:`atti.i18n`): Italian by default, English with ``--lang en``, and a report cached before
its messages were translated is English. An Italian sentence of the catalog is kept as it is;
here the fixed English sentences become Italian ones. A sentence this module does not know (a
new message, or the free text of a parser error) is given back untranslated as the second
element of the pair, so that a page can show it marked ``lang="en"`` after a generic Italian
word, never as if it were Italian.

Everything here reads the dict form (``to_dict()``), which is what the web caches.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["badge", "esito", "firmatario", "motivo", "nota", "qualifica"]

ESITI = {
    "TOTAL_PASSED": "valida",
    "TOTAL_FAILED": "non valida",
    "INDETERMINATE": "non conclusiva",
    "ERROR": "non verificabile",
}

# Whole sentences of atti.signing.verify, and the first part of those that go on after ": ".
_FRASI = {
    "the signature is valid": "la firma è valida",
    "the document timestamp is valid": "la marca temporale del documento è valida",
    "the signature timestamp is valid": "la marca temporale della firma è valida",
    "the signed bytes were altered": "i byte firmati sono stati alterati",
    "the timestamped bytes were altered": "i byte marcati sono stati alterati",
    "the signature value does not verify": "il valore della firma non corrisponde",
    "the timestamp's signature does not verify": "la firma della marca temporale non corrisponde",
    "the timestamp does not match the signature": "la marca temporale non corrisponde alla firma",
    "the signature does not cover its whole revision": "la firma non copre l'intera revisione del documento",
    "the timestamp does not cover its whole revision": "la marca non copre l'intera revisione del documento",
    "the PDF was extended after signing and the change was not analysed": (
        "il PDF è stato esteso dopo la firma e la modifica non è stata analizzata"
    ),
    "the PDF was extended after the timestamp and the change was not analysed": (
        "il PDF è stato esteso dopo la marca temporale e la modifica non è stata analizzata"
    ),
    "the certificate is not trusted": "il certificato non è tra quelli di fiducia",
    "the TSA certificate is not trusted": (
        "il certificato dell'autorità di marcatura temporale non è tra quelli di fiducia"
    ),
    "the signer's certificate is revoked": "il certificato del firmatario è revocato",
    "the signature timestamp does not verify": "la marca temporale della firma non è verificata",
    "seed value constraints unmet": "i vincoli posti dal campo firma non sono rispettati",
    "no chain to a trusted root": "il certificato non risale a una CA di fiducia",
    "the certificate was not valid at validation time": "il certificato non era valido al momento della verifica",
    "the certificate has expired": "il certificato è scaduto",
    "the certificate is not yet valid": "il certificato non è ancora valido",
    "a CA certificate of the chain is revoked": "un certificato di CA della catena è revocato",
    "no revocation information is available": "non sono disponibili informazioni sulla revoca",
    "the certificate is not fit for signing (key usage)": "il certificato non è adatto alla firma (uso della chiave)",
    "the algorithms used are no longer acceptable": "gli algoritmi usati non sono più accettabili",
    "the certificate chain does not validate (revocation data missing, or not valid at that time)": (
        "la catena dei certificati non è valida (mancano i dati di revoca, o non era valida in quel momento)"
    ),
    "no signature in the PDF": "il PDF non contiene firme",
    "no signature in the PDF (only document timestamps)": "il PDF contiene solo marche temporali, nessuna firma",
}
_PREFISSI = {
    "the PDF was changed after signing (not allowed)": "il PDF è stato modificato dopo la firma (modifica non ammessa)",
    "the PDF was changed after signing": "il PDF è stato modificato dopo la firma",
    "the PDF was changed after the timestamp": "il PDF è stato modificato dopo la marca temporale",
    "the signature cannot be processed": "la firma non può essere elaborata",
    "the document timestamp cannot be processed": "la marca temporale del documento non può essere elaborata",
    "not a readable PDF": "il file non è un PDF leggibile",
}
_MODIFICHE = {
    "validation data or document timestamps were added": "sono stati aggiunti dati di validazione o marche temporali",
    "further signatures or form field values were added": "sono state aggiunte altre firme o valori di campi",
    "annotations were added or changed": "sono state aggiunte o cambiate annotazioni",
    "the content or structure of the document was changed": (
        "sono stati cambiati il contenuto o la struttura del documento"
    ),
    "the file was extended after signing and the change was not analysed": (
        "il file è stato esteso dopo la firma e la modifica non è stata analizzata"
    ),
}
NON_TRADOTTO = "testo non tradotto"
_PAGINE = re.compile(r"; the signed document had (\d+) page\(s\), the file now has (\d+)")
_LIVELLO = re.compile(r" \(modification level (\w+)(, allowed)?\)$")


def motivo(message: str | None) -> tuple[str, str | None]:
    """(the Italian sentence, what remains in English or None) for a report's ``message``."""
    text = (message or "").strip()
    if not text:
        return "", None
    if text in _FRASI:
        return _FRASI[text], None
    if (modifica := _modifica(text)) is not None:
        return modifica, None
    for english, italiano in _PREFISSI.items():
        if text.startswith(english + ": "):
            rest = text[len(english) + 2 :]
            tradotto = _modifica(rest)
            return (f"{italiano}: {tradotto}", None) if tradotto is not None else (italiano, rest)
    if (check := _firmatario_text(text)) is not None:
        return check, None
    if _italian(text):
        return text, None
    return NON_TRADOTTO, text


@functools.cache
def _italian_sentences() -> tuple[re.Pattern[str], ...]:
    """The Italian catalog's sentences as patterns, each ``{field}`` standing for any text; those
    with too few words of their own to tell Italian from English (``{path}: {reason}``) left out."""
    from atti.i18n import DOMAIN, LOCALE_DIR, read_po

    catalog = LOCALE_DIR / "it" / "LC_MESSAGES" / f"{DOMAIN}.po"
    patterns = []
    for italian in (read_po(catalog) if catalog.is_file() else {}).values():
        parts = re.split(r"\{\w*\}", italian.strip(" ;,"))
        if len(re.findall(r"[^\W\d_]{3,}", "".join(parts))) >= 2:
            patterns.append(re.compile(".+?".join(map(re.escape, parts)), re.DOTALL))
    return tuple(patterns)


def _italian(text: str) -> bool:
    """Whether ``text`` starts with a sentence of the Italian catalog: a report made while atti
    spoke Italian, whose messages need no translation here."""
    return any(p.match(text) for p in _italian_sentences())


def _modifica(text: str) -> str | None:
    """A change after signing (SignatureReport.modification) in Italian, or None if unknown."""
    livello = ""
    if (m := _LIVELLO.search(text)) is not None:
        livello = f" (livello di modifica {m.group(1)}{', ammessa' if m.group(2) else ''})"
        text = text[: m.start()]
    pagine = ""
    if (m := _PAGINE.search(text)) is not None:
        pagine = f"; il documento firmato aveva {m.group(1)} pagine, il file ora ne ha {m.group(2)}"
        text = text[: m.start()]
    if text not in _MODIFICHE:
        return None
    return _MODIFICHE[text] + pagine + livello


def _firmatario_text(text: str) -> str | None:
    m = re.fullmatch(r"the signer certificates? names? (.+), the act's firmatario is (.+)", text)
    if m is not None:
        names = m.group(1).replace("nobody", "nessuno")
        return f"il certificato di firma indica {names}, il firmatario dell'atto è {m.group(2)}"
    m = re.fullmatch(r"the signer certificate names the act's firmatario, (.+)", text)
    if m is not None:
        return f"il certificato di firma indica il firmatario dell'atto, {m.group(1)}"
    return None


def firmatario(check: Mapping[str, Any]) -> str:
    """The report's firmatario check (FirmatarioCheck.to_dict()) in Italian."""
    expected = check.get("expected", "")
    if check.get("matches"):
        return f"il certificato di firma indica il firmatario dell'atto, {expected}"
    signers = ", ".join(check.get("signers") or []) or "nessuno"
    return f"NON corrisponde: il certificato di firma indica {signers}, il firmatario dell'atto è {expected}"


def nota(note: str) -> tuple[str, str | None]:
    """A report note (from atti.pipeline.verify) in Italian, as :func:`motivo`."""
    unchecked = "il firmatario non è stato controllato"
    if note == "no act given and no act source attached to the PDF: the firmatario was not checked":
        return f"nessun atto indicato e nessuna fonte dell'atto allegata al PDF: {unchecked}", None
    m = re.fullmatch(
        r"the act source (.+) attached to the PDF is not a valid act \((.*)\): the firmatario was not checked", note
    )
    if m is not None:
        return f"la fonte dell'atto {m.group(1)} allegata al PDF non è un atto valido: {unchecked}", m.group(2)
    if _italian(note):
        return note, None
    return NON_TRADOTTO, note


def esito(indication: str | None) -> str:
    """ "valida", "non valida", "non conclusiva", "non verificabile"."""
    return ESITI.get(indication or "ERROR", "non verificabile")


def qualifica(q: Mapping[str, Any] | None) -> str:
    """A signature's qualification in a few words: "qualificata", "avanzata", "certificato di
    sviluppo NON qualificato", "NON qualificata"; "" when the report has none (an older one)."""
    if not q:
        return ""
    if q.get("development"):
        return "certificato di sviluppo NON qualificato"
    level = str(q.get("level", ""))
    return "NON qualificata" if level == "non qualificata" else level


_ORDINE = {"qualificata": 2, "avanzata": 1, "non qualificata": 0}


def badge(report: Mapping[str, Any]) -> tuple[str, str]:
    """(the badge's words, its kind "ok", "ko" or "warn") for a whole report.

    A valid document is as qualified as its least qualified signature.
    """
    indication = report.get("indication")
    if indication == "TOTAL_PASSED":
        quals = [s.get("qualification") for s in report.get("signatures") or []]
        known = [q for q in quals if q]
        if not known or len(known) < len(quals):
            return "Firma valida", "ok"
        weakest = min(known, key=lambda q: (_ORDINE.get(str(q.get("level")), 0), not q.get("development")))
        return f"Firma valida, {qualifica(weakest)}", "ok"
    why, _english = motivo(report.get("message"))
    if why == NON_TRADOTTO:
        why = ""  # the badge stays Italian; the section below shows the English text, marked so
    tail = f": {why}" if why else ""
    if indication == "TOTAL_FAILED":
        return f"Firma non valida{tail}", "ko"
    if indication == "INDETERMINATE":
        return f"Verifica non conclusiva{tail}", "warn"
    return f"Firma non verificabile{tail}", "ko"
