"""The words that open the parts of an act, as real acts write them: any case, inline or alone.

The rule for the preambolo (docs/import.md): an item that cites a norm, an act or an opinion goes
to ``visti`` (Visto/a/i/e, Richiamato/a/i/e, Letto, Esaminato, Acquisito, Sentito); the facts
set out first go to ``premesse`` (Premesso, and "Che ..." items after it); the reasoning drawn
from them goes to ``considerato`` (Considerato, Ritenuto, Rilevato, Dato atto, Preso atto,
Accertato, Constatato, Atteso, Tenuto conto, Verificato, Ravvisato, Valutato, Evidenziato,
Osservato, Precisato, Sulla base ...). "Su proposta di ..." is the proposta.
"""

from __future__ import annotations

import re

_PREMESSE_WORDS = r"premess[oaie](?:\s+che)?"
_VISTI_WORDS = (r"vist[oaie]|richiamat[oaie]|lett[oaie]|esaminat[oaie]|acquisit[oaie]|sentit[oaie]"
                r"|vist[oaie]\s+altres[iì]|richiamat[oaie]\s+altres[iì]")
_CONSIDERATO_WORDS = (
    r"considerat[oaie]|ritenut[oaie]|rilevat[oaie]|accertat[oaie]|constatat[oaie]|attes[oaie]|ravvisat[oaie]"
    r"|valutat[oaie]|evidenziat[oaie]|osservat[oaie]|precisat[oaie]|verificat[oaie]|appurat[oaie]"
    r"|riscontrat[oaie]|dat[oaie]\s+atto|pres[oaie]\s+atto|tenut[oaie]\s+conto|sulla\s+base"
)
# a label opens the paragraph, in any case, then "che", a colon or a comma, and the item
_REST = (r"\b(?:\s*,?\s*(?:inoltre|altres[iì]|quindi|in\s+particolare|pertanto)\s*,?)?"
         r"\s*(?:che\b)?\s*[:,]?\s*(?P<rest>.*)$")
PREMESSE = re.compile(rf"^(?P<label>{_PREMESSE_WORDS}){_REST}", re.IGNORECASE | re.DOTALL)
VISTI = re.compile(rf"^(?P<label>{_VISTI_WORDS}){_REST}", re.IGNORECASE | re.DOTALL)
CONSIDERATO = re.compile(rf"^(?P<label>{_CONSIDERATO_WORDS}){_REST}", re.IGNORECASE | re.DOTALL)
# "Che le attività ...": another premessa after "Premesso che"
CHE = re.compile(r"^(?P<label>Che|CHE)\s+(?P<rest>.*)$", re.DOTALL)
# "VISTA VISTO VISTO VISTA la legge ...; il decreto ...": labels set in a column beside the items
_ANY_WORDS = f"{_VISTI_WORDS}|{_CONSIDERATO_WORDS}|{_PREMESSE_WORDS}"
LABEL_RUN = re.compile(rf"^(?P<labels>(?:(?:{_ANY_WORDS})\s+){{2,}})(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
# any label, for splitting an act that lost its line breaks and for ending the head
ANY = re.compile(rf"^(?:{_PREMESSE_WORDS}|{_VISTI_WORDS}|{_CONSIDERATO_WORDS})\b", re.IGNORECASE)
# the operative verb: alone, spaced, with a colon, or closing the vote ("a voti unanimi ... DELIBERA")
_VERBS = ("DETERMINA", "DELIBERA", "DECRETA", "ORDINA", "DISPONE", "PRENDE ATTO", "DICHIARA", "AUTORIZZA",
          "EMANA", "ADOTTA", "STABILISCE", "ISTITUISCE", "NOMINA", "APPROVA", "REVOCA", "CONFERISCE", "INCARICA",
          "ASSEGNA", "CONCEDE", "RILASCIA", "INGIUNGE", "DIFFIDA", "VIETA")


def _spaced(verbs: tuple[str, ...]) -> str:
    return "|".join(r"\s*".join(v.replace(" ", "")) for v in verbs)


# the five verbs of the acts atti writes in any case; the others only in capitals, since "Nomina" or
# "Approva" alone may end a subject's printed line
FORMULA = re.compile(rf"^\s*(?:(?i:{_spaced(_VERBS[:5])})|{_spaced(_VERBS[5:])})\s*[:.]?\s*$")
FORMULA_AFTER_VOTE = re.compile(
    r"^(?:(?:con|a|ad)\s+(?:voti|votazione|unanimit)|all['’]\s*unanimit|unanimemente|con\s+\d+\s+voti|la\s+giunta"
    r"|il\s+consiglio)[^;]{0,300}?[\s,](?P<verb>" + "|".join(r"\s?".join(v.replace(" ", "")) for v in _VERBS[:5])
    + r")\s*[:.]?\s*$",
    re.IGNORECASE,
)
# "Art. 1", "Articolo 2 - Pubblicità", "ART. 3." opening a point of the dispositivo
ARTICLE = re.compile(r"^(?P<label>(?:Art(?:icolo)?|ART(?:ICOLO)?)\.?\s*\d+(?:\s*[°.])?)\s*[-–:.]?\s*(?P<rest>.*)$",
                     re.DOTALL)
# what ends the dispositivo: "Modena, lì", "Roma, 12 marzo 2024", a register stamp "MECC. N. 2009 03652/087"
PLACE_DATE = re.compile(
    r"^(?:[A-ZÀ-Þ][\wÀ-ÿ'’ ]{1,40},\s*(?:l[iì]['’]?|addì|il)?|(?:L[iì]['’]?|Addì|Data)\s*[:,]?(?=\s*\d))"
    r"\s*[,.]?\s*(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}\s+[a-z]+\s+\d{4})?\s*\.?$"
)
STAMP = re.compile(r"^(?:[A-Z][A-Za-z.]*\s+){0,2}(?:N|n)[.°]?\s*[\d/ ]{1,20}$")
# the verb in capitals and its first point on one line: "DETERMINA di approvare ...", "DECRETA: 1. ..."
FORMULA_INLINE = re.compile(
    r"^\s*(?P<verb>" + "|".join(r"\s?".join(v) for v in ("DETERMINA", "DELIBERA", "DECRETA", "ORDINA", "DISPONE"))
    + r")\s*[:.]?\s+(?P<rest>(?:di|che|la|il|lo|le|i|gli|l['’]|per|a|ai|al|alla|all['’]|[1-9][.)]|[-–•])\s.*)$",
    re.DOTALL,
)
# what closes an act after its dispositivo: the minutes' formula, the attestations of publication
CLOSING = re.compile(
    r"(?i)^(?:letto,?\s+(?:approvato|confermato)|(?:certificat[oi]|attestat[oi]|attestazione|relata|referto)\s+di\s+"
    r"(?:avvenuta\s+)?pubblicazion|(?:dichiarazione\s+di\s+)?esecutivit[aà]\b|copia\s+conforme|per\s+copia\s+conforme"
    r"|il\s+presente\s+(?:verbale|atto|provvedimento)\s+(?:viene|è|e['’])\s+(?:pubblicat|affiss)|pubblicazione\s*:?$"
    r"|la\s+presente\s+(?:deliberazione|determinazione)\s+(?:viene|è)\s+pubblicat)"
)
# the record of the vote before the verb: "Con voti unanimi favorevoli espressi nelle forme di legge"
VOTE = re.compile(
    r"(?i)^(?:(?:con|a|ad)\s+(?:voti|votazione|unanimit)|all['’]\s*unanimit|unanimemente|a\s+maggioranza)"
)
