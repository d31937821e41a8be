"""An act's identity (kind, organo, number, date) wherever real texts print it in their head.

The head is what comes before the first part of the act (the first "Premesso", "Visto" ... or
the operative verb). Real heads put the title anywhere in a line (after a publication stamp,
a letterhead, "Atto del Dirigente"), twice (a bulletin's heading and the act's own), abbreviated
("D.G.R.", "D.D.", "DCA", "O.P.C.M."), spaced ("V E R B A L E D I D E L I B E R A Z I O N E"),
with the number and the date either way round ("n. 68 del 29/12/2017", "30 giugno 1992, n.
5/24483"), on the next lines, or the date only in words in the minutes ("L'anno duemiladiciotto
addì sedici del mese di febbraio").

A kind word is a title only where it does not stand in a sentence or in brackets: "con decreto
n. 142", "presa d'atto della deliberazione n. 599", "(delibera del Consiglio dei Ministri ...)"
cite other acts, and the subject ("OGGETTO: ...") is never read for the identity.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from atti.acts.importer.clean import Para, squeeze

# (pattern, tipo, organo implied by an abbreviation); matched case-insensitively on a squeezed head
_KINDS: list[tuple[str, str, str | None]] = [
    (r"DETERMINAZION[EI]|DETERMINA(?=\s+(?:DIRIGENZIALE|DEL\b|DELLA\b|N\b|N[.°r]|A\s+CONTRARRE))",
     "determinazione", None),
    (r"\bD\.\s?D\.(?=\s)|\bDD(?=\s+n)", "determinazione", "Dirigente"),
    (r"\b(?:PROVVEDIMENTO|DISPOSIZIONE)(?=\s+(?:DIRIGENZIALE|DEL\s+(?:DIRIGENTE|DIRETTORE|RESPONSABILE)))",
     "determinazione", None),
    (r"DELIBERAZION[EI]|\bDELIBERA(?=\s+(?:DEL\b|DELLA\b|DI\b|N\b|N[.°r]|\d))|\ADELIBERA(?=\s+[a-z])",
     "delibera", None),
    (r"\bD\.\s?G\.\s?R\.|\bDGR\b", "delibera", "Giunta Regionale"),
    (r"\bD\.\s?C\.\s?R\.|\bDCR\b", "delibera", "Consiglio Regionale"),
    (r"\bD\.\s?C\.\s?C\.|\bDCC\b", "delibera", "Consiglio Comunale"),
    (r"\bD\.\s?G\.\s?C\.|\bDGC\b", "delibera", "Giunta Comunale"),
    (r"\bATTO\s+DELL?A?\s+(?=GIUNTA|CONSIGLIO)", "delibera", None),
    (r"\bD\.\s?P\.\s?G\.\s?R\.|\bDPGR\b", "decreto", "Presidente della Giunta Regionale"),
    (r"\bD\.\s?C\.\s?A\.|\bDCA\b", "decreto", "Commissario ad acta"),
    (r"\bD\.\s?D\.\s?G\.|\bDDG\b", "decreto", "Dirigente Generale"),
    (r"\bD\.\s?D\.\s?S\.|\bDDS\b", "decreto", "Dirigente del Servizio"),
    (r"\bD\.\s?A\.(?=\s*n)", "decreto", "Assessore"),
    (r"\bD\.\s?P\.\s?Reg\.|\bD\.\s?P\.\s?G\.(?=\s)", "decreto", "Presidente della Regione"),
    (r"\bD\.\s?S\.(?=\s*n)", "decreto", "Sindaco"),
    (r"\bD\.\s?R\.(?=\s)", "decreto", "Rettore"),
    (r"\bD\.\s?M\.(?=\s)", "decreto", "Ministro"),
    (r"DECRET[OI]\b(?!\s*(?:-\s*)?(?:LEGISLATIV|LEGGE|LGS|DEL\s+PRESIDENTE\s+DELLA\s+REPUBBLICA))", "decreto", None),
    (r"\bO\.\s?P\.\s?C\.\s?M\.|\bOPCM\b", "ordinanza", "Presidente del Consiglio dei Ministri"),
    (r"\bOCDPC\b|\bO\.\s?C\.\s?D\.\s?P\.\s?C\.", "ordinanza", "Capo del Dipartimento della Protezione Civile"),
    (r"ORDINANZ[AE]|\bORD\.(?=\s*N)", "ordinanza", None),
]
_KIND = re.compile("|".join(f"(?P<k{i}>{p})" for i, (p, _, _) in enumerate(_KINDS)), re.IGNORECASE)

_MONTHS = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"]
_MONTH = r"(?:" + "|".join(_MONTHS) + r"|gen|feb|mar|apr|mag|giu|lug|ago|set|sett|ott|nov|dic)\.?"
# "29/12/2017", "16.06.2015", "10 / 03 / 2005", "17 giugno 2002", "1° luglio 2024", "O8 LUG. 2014" (OCR)
_DATE = re.compile(
    rf"(?<![\d/])(?P<d>[0-3O]?\d)(?:\s?[°º])?(?:\s*(?P<sep>[/.\-])\s*(?P<m>[01]?\d)\s*(?P=sep)\s*|[\s\-]+(?P<name>{_MONTH})[\s\-]+)"
    r"(?P<y>(?:19|20)\d\d|\d\d)(?![\d/])",
    re.IGNORECASE,
)
_MARKER = r"(?i:\bn\.\s?ro\b\.?|\bn(?:um|r|ro)?\b\.?|\bnumero\b|\bprogr\.?\s*num\b\.?)\s*[°º]?\s*"
# "60", "5/24483", "X/7859", "0176 / Pres", "U00117", "7/C", "33 / 2016", "2009 03652/087"
# (a legislature "X/" or "5/", a sitting "5-"), a register's letters, the number, "/year" or "/register"
_NUM = (r"(?P<num>(?:(?:[IVXL]+|\d{1,2})\s?/\s?(?=(?!(?:19|20)\d\d\b)\d{3})|\d{1,3}-(?=(?!(?:19|20)\d\d\b)\d{3,})"
        r"|(?:19|20)\d\d\s?/\s?(?=\d)|[A-Z]{1,5}\s?/\s?(?=\d))?"
        r"[A-Z]{0,3}\s?\d+(?:\s?/\s?(?:\d+|[A-Za-z]{1,5}\b\.?)|-(?:19|20)\d\d\b)*)")
_NUMBER = re.compile(_MARKER + _NUM)
_BARE_NUMBER = re.compile(
    r"\s*(?P<num>[A-Z]{0,3}\d+(?:/(?:19|20)\d\d|/\d\d)?)(?:(?=\s*(?:[,\-–]\s*)?(?:del|DEL|Del)\b)|(?<=/\d{4})\b|(?<=/\d\d)\b)"
)
_NO_NUMBER = re.compile(_MARKER + r"(?=(?:del|DEL|Del)\b|$)")
_YEAR_FIRST = re.compile(r"^(?:[A-Z][\w.]*\s+){0,4}(?:N\.\s*)?(?P<y>(?:19|20)\d\d)\s+(?P<n>\d{3,6})(?:/\d{1,4})?$")
_REG_GEN = re.compile(r"(?i)^[ \t,\-–]*(?:Reg(?:istro)?\.?\s*Gen(?:erale)?\b\.?|R\.\s?G\.)")
# between the kind and the number: the organo's words ("del Responsabile del servizio FINANZIARIO - TRIBUTI")
_ORGANO_WORD = (r"(?:\d{1,2}(?!\s*[°º]?\s*(?i:" + "|".join(_MONTHS) + r"))(?=\s*[-–]?\s*[A-Z]{2})|"
                r"(?!(?:N|n|Nr|nr|Num|num|NUM|Progr)\b\.?\s*[°º]?\s*(?:\d|del\b|DEL\b|Del\b|[A-Z]{1,3}\s?\d))"
                r"(?:[A-ZÀ-Þ][\wÀ-ÿ'’.]*|d(?:ella|ello|elle|egli|ell|el|ei|i)\b|dell['’]|ad|acta|e|per|il|la|-|–|:|"
                r"dirigenziale|regionale|comunale|provinciale|generale|servizio|settore|area|ufficio|struttura))")
# between the number and its date: "del", "in data", "adottata il", a protocol, a place ("Trieste,")
_BEFORE_DATE = re.compile(
    r"[\s,;:\-–]*(?:(?i:prot(?:ocollo)?\.?\s*(?:n\.?|n°)?\s*[\w/.-]+)\s*)?(?:(?i:del(?:\s+giorno)?|dd\.?|in\s+data|data|"
    r"adottat[ao]\s+(?:il|in\s+data)|seduta\s+del)|[A-ZÀ-Þ][a-zà-ù]+(?:\s[A-ZÀ-Þ][a-zà-ù]+)?,\s*(?:l[iì]['’]?)?)?"
    r"\s*[:,]?\s*"
)
_ISSUER = re.compile(r"\b(?:Il|IL|La|LA)\s+(?P<who>(?:[A-ZÀ-Þ][\wÀ-ÿ'’]*\s+){0,3}[A-ZÀ-Þ][\wÀ-ÿ'’]*(?:\s+ad\s+acta)?)")
_SUBJECT = re.compile(r"\b(?:OGGETTO|Oggetto)\b\s*[:.\-–]?")
_OPEN_WORD = re.compile(r"(?:^|[\s(])([a-zà-ù]{2,}|[a-z]+['’])\s*$")  # the word before: in a sentence?
_SEDUTA = re.compile(r"(?i)(?:\bdata\s+(?:della\s+)?seduta|^\s*in\s+data|\b(?:seduta|adunanza)\s+del)\s*:?\s*")
_PLACE = re.compile(r"\b[A-ZÀ-Þ][a-zà-ù]+(?:\s[A-ZÀ-Þ][a-zà-ù]+)?,\s*(?:l[iì]['’]?\s*,?\s*|addì\s+)?$")
_COLUMNS = re.compile(r"^(?P<label>[A-Za-z][\w ]*?)\s*\((?P<cols>[^)]*)\)\s*(?P<vals>.+)$")

_UNITS = ["", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci", "undici", "dodici",
          "tredici", "quattordici", "quindici", "sedici", "diciassette", "diciotto", "diciannove"]
_TENS = ["", "", "venti", "trenta", "quaranta", "cinquanta", "sessanta", "settanta", "ottanta", "novanta"]


def _words_0_99() -> dict[str, int]:
    out = {w: i for i, w in enumerate(_UNITS) if w}
    for t in range(2, 10):
        out[_TENS[t]] = t * 10
        for u in range(1, 10):
            stem = _TENS[t][:-1] if _UNITS[u] in ("uno", "otto") else _TENS[t]
            out[stem + _UNITS[u]] = t * 10 + u
            if u == 3:
                out[stem + "tré"] = t * 10 + 3
    out["primo"] = 1
    return out


_NUMBER_WORDS = _words_0_99()
_YEAR_WORDS = {f"{base}{w}": start + n for base, start in (("millenovecento", 1900), ("duemila", 2000))
               for w, n in [("", 0), *_NUMBER_WORDS.items()]}
# "L'anno duemiladiciotto addì sedici del mese di febbraio", "Il giorno ventidue del mese di marzo
# dell'anno duemiladieci", "Questo giorno Lunedì 04 del mese di Aprile dell' anno 2011"
_WORD_NUM = r"(?:\d{1,4}|[a-zé]+)"
_YEAR_IN_WORDS = re.compile(rf"(?i)\banno\s+(?P<y>{_WORD_NUM})\b")
_DAY_IN_WORDS = re.compile(
    rf"(?i)\b(?:giorno|addì|add[iì]')\s+(?:di\s+)?(?:(?:luned|marted|mercoled|gioved|venerd)[iì]|sabato|domenica)?"
    rf"\s*(?P<d>{_WORD_NUM})\b(?:\s*\(\d+\))?[\s,]+(?:del\s+)?mese\s+di\s+(?P<m>[a-z]+)"
)


@dataclass
class Identity:
    tipo: str | None = None
    organo: str | None = None
    numero: str | None = None  # as printed: "5/24483", "U00117", "0176 / Pres"
    data: dt.date | None = None
    registro_generale: tuple[str | None, dt.date | None] | None = None
    labels: set[int] = field(default_factory=set)  # the paragraphs that print it (kept as etichette)


@dataclass
class _Candidate:
    start: int
    tipo: str
    organo: str | None
    bracketed: bool
    numero: str | None = None
    data: dt.date | None = None
    rg: bool = False
    rg_numero: str | None = None
    rg_data: dt.date | None = None
    lines: set[int] = field(default_factory=set)
    issuer: str | None = None  # "Il Presidente Commissario ad acta ... DECRETO n. 68": who issues it


_ISO = re.compile(r"(?<![\d/])(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?![\d/])")


def kind_start(text: str) -> int | None:
    """Where the first kind word of ``text`` starts ("COMUNE DI COMO DELIBERAZIONE ..." -> 15)."""
    m = _KIND.search(text)
    return m.start() if m else None


def parse_date(text: str) -> dt.date | None:
    m = _DATE.search(text)
    if m:
        return _date_of(m)
    iso = _ISO.search(text)
    return _date_of(iso) if iso else None


def _date_of(m: re.Match[str]) -> dt.date | None:
    day = int(m["d"].replace("O", "0").replace("o", "0"))
    if "name" in m.groupdict() and m["name"]:
        name = m["name"].lower().rstrip(".")
        month = next((i for i, full in enumerate(_MONTHS, 1) if full.startswith(name[:3])), 0)
    else:
        month = int(m["m"])
    year = int(m["y"]) + (0 if len(m["y"]) == 4 else 2000 if int(m["y"]) < 50 else 1900)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _words_date(text: str) -> dt.date | None:
    day_m, year_m = _DAY_IN_WORDS.search(text), _YEAR_IN_WORDS.search(text)
    if not day_m or not year_m:
        return None
    y, d = year_m["y"].lower(), day_m["d"].lower()
    year = int(y) if y.isdigit() else _YEAR_WORDS.get(y)
    day = int(d) if d.isdigit() else _NUMBER_WORDS.get(d)
    month = next((i for i, full in enumerate(_MONTHS, 1) if full == day_m["m"].lower()), None)
    if not (year and day and month) or abs(year_m.start() - day_m.start()) > 200:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _organo(text: str, implied: str | None) -> str | None:
    if implied:
        return implied
    text = re.sub(r"\s+", " ", text)
    words = re.sub(r"^\s*(?:d(?:ella|ello|el|i)\s+|dell['’]\s*|dell\s+)", "", text.strip(" :-–,"), flags=re.IGNORECASE)
    words = words.strip(" :-–,")
    adjectives = {"DIRIGENZIALE": "Dirigente", "DIRETTORIALE": "Direttore", "RETTORALE": "Rettore",
                  "SINDACALE": "Sindaco", "PRESIDENZIALE": "Presidente", "COMMISSARIALE": "Commissario",
                  "MINISTERIALE": "Ministro"}
    # the minutes' words that follow the organo ("Adunanza ordinaria ...") are not part of it
    words = re.split(r"(?i)\s+(?:adunanza|seduta|sessione|copia|originale|verbale|estratto)\b", words)[0]
    # the register's words that follow the organo on the title's lines are not part of it
    words = re.sub(r"(?i)[\s,;\-–]*\b(?:reg(?:istro)?\.?(?:\s*gen(?:erale)?\.?|\s+di\s+settore)?|rep(?:ertorio)?\.?"
                   r"|prot(?:ocollo)?\.?)\s*$", "", words).strip(" :-–,")
    first = words.split()[0].upper() if words else ""
    if first in adjectives:
        return adjectives[first]
    return words or None


def _parse_after(kind_end: int, text: str, cand: _Candidate) -> int:
    """The organo, number and date that follow the kind word at ``kind_end`` in ``text``."""
    rest = text[kind_end: kind_end + 160]
    rest = _SUBJECT.split(rest)[0]
    nxt = _KIND.search(rest)
    if nxt:
        rest = rest[: nxt.start()]
    rest = re.sub(r"\([^)]*\)", lambda m: " " * len(m.group()), rest)  # a bracket cites, never names
    organo_m = re.match(rf"(?:\s*{_ORGANO_WORD}){{0,14}}", rest)
    organo_text = organo_m.group() if organo_m else ""
    at = len(organo_text)
    # GU style: "30 giugno 1992, n. 24483" / "18/10/2007, n. 3621"
    date_first = _DATE.match(rest, at) or _DATE.match(rest.lstrip(), 0)
    m = _DATE.search(rest, at)
    if m and not rest[at: m.start()].strip(" ,"):
        cand.data = _date_of(m)
        at = m.end()
        date_first = m
    num = _NUMBER.match(rest, at + len(rest[at:]) - len(rest[at:].lstrip(" ,\n")))
    if num is None and not organo_text.strip():
        # "D.R. 123/2024", "DGR 45 del 3 marzo 2024": the number right after the kind, without a marker
        num = _BARE_NUMBER.match(rest, at)
    if num and re.search(r"(?i)\b(?:prot(?:ocollo)?|p\.\s?g|pg|proposta|pratica)\.?\s*$", organo_text):
        # "DECRETO RETTORALE Prot. n. 56789 Rep. n. 1234": a protocol's or a proposal's number is not the act's
        later = _NUMBER.search(rest, num.end(), num.end() + 60)
        organo_text = organo_text[: re.search(r"(?i)\S+\s*$", organo_text).start()]  # type: ignore[union-attr]
        num = later if later and re.search(r"(?i)\b(?:rep(?:ertorio)?|reg(?:istro)?)\.?\s*$",
                                           rest[num.end(): later.start()]) else None
    if num:
        cand.numero = re.sub(r"\s+", " ", num["num"]).strip(" /.")
        at = num.end()
    else:
        empty = _NO_NUMBER.match(rest, at + len(rest[at:]) - len(rest[at:].lstrip(" ,\n")))
        if empty:
            at = empty.end()
    if cand.data is None and (num or date_first is None):
        tail = rest[at: at + 60]
        m = _DATE.search(tail)
        if m and _BEFORE_DATE.fullmatch(tail[: m.start()]):
            cand.data = _date_of(m)
            at += m.end()
    rg = _REG_GEN.match(rest[at:])
    if rg and cand.numero:
        # "N. 274 del 03/11/2021 Reg. Gen. N. 15 del 03/11/2021 Reg. Serv.": the sector's number follows
        cand.rg, cand.rg_numero, cand.rg_data = True, cand.numero, cand.data
        cand.numero, cand.data = None, None
        after = rest[at + rg.end(): at + rg.end() + 60]
        num2 = _NUMBER.search(after)
        if num2 and not after[: num2.start()].strip(" .,"):
            cand.numero = re.sub(r"\s+", " ", num2["num"]).strip(" /.")
            d = _DATE.search(after, num2.end())
            cand.data = _date_of(d) if d and d.start() - num2.end() < 8 else None
    cand.organo = _organo(organo_text[:organo_m.end()] if organo_m else "", cand.organo)
    if cand.organo and (not re.search(r"[A-Za-z]{3}", cand.organo) or re.fullmatch(r"(?i)n|nr|num", cand.organo)):
        cand.organo = None
    return at if (cand.numero or cand.data) else 0


# the identity is printed at the top: each paragraph is read for it only so far, which also keeps a
# text of megabytes on one line from costing more than its first lines
_HEAD_CHARS = 2000


def _t(p: Para) -> str:
    return p.text[:_HEAD_CHARS]


def _head(paras: list[Para], starts_part: object) -> list[int]:
    head = []
    for i, p in enumerate(paras[:80]):
        if callable(starts_part) and starts_part(_t(p)):
            break
        head.append(i)
    return head


def read_identity(paras: list[Para], starts_part: object) -> Identity:
    """The identity printed in the head of ``paras`` (up to the first paragraph ``starts_part``)."""
    ident = Identity()
    head = _head(paras, starts_part)
    cands: list[tuple[int, _Candidate]] = []
    for i in head:
        text = squeeze(_t(paras[i]))
        text = _SUBJECT.split(text)[0] if not _SUBJECT.match(text) else ""
        for m in _KIND.finditer(text):
            before = text[max(0, m.start() - 30): m.start()]
            if _OPEN_WORD.search(before) and not before.rstrip().endswith("ad acta"):
                continue  # "con decreto n. 142", "presa d'atto della deliberazione": a citation
            k = next(i for i, (_, _, _) in enumerate(_KINDS) if m[f"k{i}"])
            bracketed = before.count("(") > before.count(")")
            cand = _Candidate(m.start(), _KINDS[k][1], _KINDS[k][2], bracketed)
            issuer = list(_ISSUER.finditer(text[max(0, m.start() - 160): m.start()]))
            if issuer and cand.organo is None:
                cand.issuer = issuer[-1]["who"]
            window = text[m.end():]
            j, starts = head.index(i) + 1, []
            while len(window) < 160 and j < len(head):
                starts.append((len(window) + 1, head[j]))
                window += "\n" + squeeze(_t(paras[head[j]]))
                j += 1
            used = _parse_after(0, window, cand)
            # the next short lines that printed its number or date belong to the title
            cand.lines = {k for start, k in starts if start < used and len(paras[k].text) < 80}
            cands.append((i, cand))
    titles = [(i, c) for i, c in cands if not c.bracketed]
    if titles:
        ranked = sorted(titles, key=lambda ic: (ic[1].numero is None and ic[1].data is None, ic[1].numero is None))
        best_i, best = ranked[0]
        ident.tipo, ident.organo = best.tipo, best.organo or best.issuer
        ident.labels |= {best_i} | best.lines
        for i, c in cands:  # the same kind again (a bracket, the next line) completes the title
            if c.tipo != best.tipo:
                continue
            if ident.organo is None and c.organo:
                ident.organo = c.organo
            if c.rg and ident.registro_generale is None:
                ident.registro_generale = (c.rg_numero, c.rg_data)
            if ident.numero is None and c.numero:
                ident.numero, ident.labels = c.numero, ident.labels | {i} | c.lines
            if ident.data is None and c.data:
                ident.data = c.data
    if ident.tipo is None:
        _minutes(paras, head, ident)
    _standalone(paras, head, ident)
    if ident.data is None:
        ident.data, line = _head_date(paras, head)
        if line is not None and len(paras[line].text) < 80:
            ident.labels.add(line)
    return ident


_MEETING = re.compile(
    r"(?i)\b(?:si\s+[èe]\s+riunit[oa]|riunit[oa]si|si\s+[èe]\s+tenut[oa])\b.{0,80}?\b(?P<organ>(?:la\s+)?giunta"
    r"(?:\s+(?:regionale|comunale|provinciale|camerale|municipale|esecutiva))?|(?:il\s+)?consiglio(?:\s+(?:regionale|"
    r"comunale|provinciale|camerale|direttivo|di\s+amministrazione))?|(?:l['’]\s*)?assemblea)\b"
)


def _minutes(paras: list[Para], head: list[int], ident: Identity) -> None:
    """The minutes of a collegial body's sitting ("... si è riunita la Giunta regionale") with no kind
    word: a deliberazione of that body, numbered at the top of the page ("Progr.Num. 445/2011")."""
    for i in head:
        m = _MEETING.search(_t(paras[i]))
        if m:
            organ = re.sub(r"(?i)^(?:la|il|l['’])\s*", "", m["organ"])
            ident.tipo, ident.organo = "delibera", organ[:1].upper() + organ[1:]
            break
    else:
        return
    for i in head:
        num = _NUMBER.search(paras[i].text[:40])
        if num:
            ident.numero = num["num"]
            ident.labels.add(i)
            return


def _standalone(paras: list[Para], head: list[int], ident: Identity) -> None:
    """Number lines apart from the title: "N. 8", "2009 03652/087", "Registro generale n. 1234 del ...",
    "Repertorio (Tipo / Nr. / Anno) DG / 74 / 2024", "Data seduta 09/04/2024"."""
    for i in head:
        text = _t(paras[i]).strip()
        cols = _COLUMNS.match(text)
        if cols and re.match(r"(?i)repertorio|registro|numero", cols["label"]):
            names = [c.strip().lower().rstrip(".") for c in cols["cols"].split("/")]
            values = [v.strip() for v in cols["vals"].split("/")]
            if "nr" in names and len(values) == len(names) and ident.numero is None:
                ident.numero = values[names.index("nr")]
                ident.labels.add(i)
            continue
        reg = re.match(r"(?i)^(?:Registro\b|Reg\.|R\.\s?G\.)\s*.*?" + _MARKER + r"(?P<num>\d+)?(?P<rest>.*)$", text)
        if reg and len(text) < 120:
            date = parse_date(reg["rest"])
            if re.search(r"(?i)general|\bR\.\s?G\.|\bgen\b", text):
                if ident.registro_generale is None:
                    ident.registro_generale = (reg["num"], date)
            elif reg["num"] and ident.numero in (None, reg["num"]):  # "Registro di settore n. 56 del ..."
                ident.numero, ident.data = reg["num"], date or ident.data
            ident.labels.add(i)
            continue
        if ident.numero is not None:
            continue
        num = re.fullmatch(r"(?:Atto\s+)?" + _MARKER + _NUM + r"(?:\s*(?:del|DEL|Del)\s*(?P<date>.+))?", text)
        year_first = _YEAR_FIRST.match(text)
        if num:
            ident.numero = num["num"]
            if ident.data is None and num["date"]:
                ident.data = parse_date(num["date"])
            ident.labels.add(i)
        elif year_first:
            ident.numero = year_first["n"]
            ident.labels.add(i)


def _head_date(paras: list[Para], head: list[int]) -> tuple[dt.date | None, int | None]:
    """The date of a head without a dated title, and its line: "Data seduta ...", "IN DATA: ...",
    the minutes' date in words, a date after a place name ("Trieste, 20 settembre 2013"), a date
    alone on a line."""
    lines = [i for i in head if not _SUBJECT.match(paras[i].text)]
    for i in lines:
        text = _t(paras[i])
        m = _SEDUTA.search(text)
        if m and (found := _DATE.match(text, m.end())):
            return _date_of(found), i
    for i in head:  # the minutes' words run on after the subject
        if date := _words_date(_t(paras[i])):
            return date, None
    for i in lines:
        text = _t(paras[i])
        for m in _DATE.finditer(text):
            alone = not text[: m.start()].strip(" ,") and m.end() == len(text.strip())
            if alone or _PLACE.search(text[max(0, m.start() - 60): m.start()]):
                return _date_of(m), i
    return None, None
