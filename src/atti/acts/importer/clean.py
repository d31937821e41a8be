"""From extracted text to paragraphs: what a PDF or a careless retyping did to an act, undone.

Extracted text breaks sentences at the end of every printed line, hyphenates words across
lines, repeats the page header and footer in the middle of a sentence, sometimes loses every
line break (an act on one long line), writes "e'" for "è" and reads "II" as "Il". Each
paragraph keeps the number of the line it starts on, so that whatever cannot be placed later
is reported where the archivist can find it. Nothing is thrown away: the page headers and
footers taken out are returned with their line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from atti.acts.importer import labels


@dataclass(frozen=True)
class Para:
    no: int  # the line of the original text the paragraph starts on (1-based)
    text: str


@dataclass
class Cleaned:
    paras: list[Para]
    headers: list[Para] = field(default_factory=list)  # page headers/footers taken out
    fixes: list[str] = field(default_factory=list)  # "riga 5: Il -> II"


# A new item or part starts here: list marks and the labels of an act's parts.
LIST_MARK = re.compile(r"^(?:[-–—•●▪■◦*]|\d{1,2}[.)](?!\d)|[a-z]\))\s*")
_LABEL_START = (
    r"(?:OGGETTO|Oggetto|Premess[oaie]|Vist[oaie]|Richiamat[oaie]|Considerat[oaie]|Ritenut[oaie]|Rilevat[oaie]"
    r"|Dato\s+atto|Preso\s+atto|Accertat[oaie]|Proposta\s+di|Su\s+proposta|[Ff]\.\s?to|Firmato\s+digitalmente"
    r"|Verifica|Parere|Allegat[oi]|ALLEGAT[OI]|IL\s|LA\s|L['’]|Il\s+[A-Z]|La\s+[A-Z]|Del\s+\d|Registro|Reg\.)"
)
# the other labels of the preambolo (labels.py), when the printed line opens with a capital
_LABEL_CAPITAL = re.compile(r"(?=[A-Z])(?i:" + labels.ANY.pattern.lstrip("^") + r"|Che\s|CHE\s)")
_ARTICLE_START = re.compile(r"^(?:Art(?:icolo)?|ART(?:ICOLO)?)\.?\s*\d+\b")
FORMULA = labels.FORMULA
_PAGE_NUMBER = re.compile(
    r"^(?:pag(?:\.|ina)?\s*\d+(?:\s*(?:di|/)\s*\d+)?|-\s*\d+\s*-|\d+\s*/\s*\d+|\d{1,3})$", re.IGNORECASE
)
_PAGE_BREAK = "\f"
_PAGE_BEFORE_HEAD = re.compile(
    r"^(?P<page>\d{1,3})\s+(?=(?i:" + labels.ANY.pattern.lstrip("^") + r"|oggetto\b|determina|delibera|decret|ordinanz)"
    r"|(?:IL|LA|LO)\s+[A-Z]{3}|(?:COMUNE|CITT[AÀ]|REGIONE|PROVINCIA|UNIVERSIT|AZIENDA|MINISTERO|CAMERA)\b)"
)
_SITE_LINE = re.compile(r"^(?:https?://)?www\.[\w.\-/]+$")
_INLINE_PAGE = re.compile(r"\s*\b(?:Pag(?:\.|ina)\s*\d+\s*(?:di|/)\s*\d+)\b\s*", re.IGNORECASE)
# Function words after which an Italian sentence cannot end: the next line continues it.
_OPEN_END = re.compile(
    r"(?:,|\b(?:di|del|della|dello|dei|degli|delle|dell['’]|e|ed|o|a|al|alla|ai|alle|allo|agli|per|con|il|lo|la|"
    r"le|i|gli|un|una|uno|in|nel|nella|nei|da|dal|dalla|su|sul|sulla|che|tra|fra|n\.|art\.|sensi|quale|cui))$"
)
_CONTINUES = re.compile(r"^[a-zà-ù0-9(«\"“'’€%]")

# Splitting an act that lost its line breaks: before a list dash that follows the end of an
# item, and before the labels of the parts.
_SPLIT_BEFORE = re.compile(
    r"(?<=[;:.])\s+(?=[-–•]\s)"
    r"|\s+(?=OGGETTO\s*:)"
    r"|(?<=[;:.])\s+(?=(?:Premess[oa]|Vist[oaie]|Richiamat[oaie]|Considerat[oaie]|Ritenut[oaie]|Rilevat[oaie]"
    r"|Dato\s+atto|Preso\s+atto|Proposta\s+di|F\.to|Firmato\s+digitalmente|Verifica|Parere|Allegat[oi])\b)"
    r"|(?<=\S)\s+(?=(?:DETERMINA|DELIBERA|DECRETA|ORDINA|D E T E R M I N A|D E L I B E R A|D E C R E T A)(?:\s|:|$))"
    r"|(?<=[a-zà-ù.;:\d\"”»)])\s+(?=(?:IL|LA|LO)\s+[A-Z]{3,}(?:\s+[A-Z]{2,})*(?:\s|$))"
    r"|(?<=\d{4})\s+(?=Del\s+\d)"
    r"|(?<=[A-Z]{2})\s+(?=(?:Premess[oa]|Vist[oaie]|Richiamat[oaie]|Considerat[oaie]|Ritenut[oaie])\b)"
    r"|(?<=[A-Z]{2})\s+(?=[-–•]\s)"
    r"|\s+(?=F\.\s?to\b|(?:Documento\s+)?[Ff]irmato\s+digitalmente\b|Verifica\s|[✓✔☑])"
    r"|(?<=[A-Z])\s+(?=(?:DETERMINAZIONE|DELIBERAZIONE|DECRETO|ORDINANZA)\s)"
)
# "... F.to Nicolas Sangalli Il Direttore Operativo ...": a name, then the next signer's qualifica
_SPLIT_SIGNER = re.compile(
    r"(\b[A-ZÀ-Þ][a-zà-ÿ]+ [A-ZÀ-Þ][a-zà-ÿ]+)\s+((?:Il|La|Lo|IL|LA|LO)\s+(?i:direttore|direttrice|dirigente|sindaco"
    r"|presidente|segretario|rettore|responsabile|commissario)\b)"
)
_SPLIT_AFTER = re.compile(
    r"(?:(?<=\bDETERMINA)|(?<=\bDELIBERA)|(?<=\bDECRETA)|(?<=\bORDINA)|(?<=D E C R E T A)|(?<=D E L I B E R A)"
    r"|(?<=D E T E R M I N A)|(?<=O R D I N A))(?=\s+(?:[-–•]|\d[.)]|di\s|Art(?:icolo)?\.?\s*\d))"
    r"|(?<=\bche:)\s+(?=[-–•]\s)"
)

_ANY_LABEL = re.compile(r"(?<=\S)\s+(?=(?:" + labels.ANY.pattern.lstrip("^") + r"|Che\s))", re.IGNORECASE)
_UPPER_LABEL_WORD = re.compile(r"(?:" + labels.ANY.pattern.lstrip("^") + r")$", re.IGNORECASE)
# after the operative verb of an act on one line: its articles ("D E C R E T A Articolo 1 ... Art. 2 ...")
_ARTICLE_SPLIT = re.compile(r"(?<=\S)\s+(?=(?:Articolo|Art\.)\s*\d+\s+[A-Z])")


def _split_labels(text: str) -> str:
    """Break an act that lost its line breaks before each label of its preambolo: after the end of
    an item ("; Visto ...", ". CONSIDERATO ...", "; Che ..."), or written in capitals after a word
    that is no label ("... integrativi PREMESSO - che ..."); a column of labels ("VISTA VISTO VISTO
    la legge ...") stays together."""
    out, last = [], 0
    for m in _ANY_LABEL.finditer(text):
        next_word = re.compile(r"\S+").match(text, m.end())
        word = next_word.group() if next_word else ""
        before = text[max(last, m.start() - 80):m.start()].rstrip()  # no more than the words just before
        prev = before.rsplit(None, 1)[-1] if before.strip() else ""
        after_item = before.endswith((";", ":", "."))
        capitals = word.isupper() and len(word) > 3 and not _UPPER_LABEL_WORD.match(prev) and not prev.isupper()
        if word in ("Che", "CHE") and not before.endswith(";"):
            continue
        if after_item or capitals:
            out.append(text[last:m.start()])
            last = m.end()
    out.append(text[last:])
    text = "\n".join(out)
    if re.search(r"(?i)\bD\s*E\s*C\s*R\s*E\s*T\s*A\b|\bDECRETA\b|\bDELIBERA\b|\bDETERMINA\b", text):
        text = _ARTICLE_SPLIT.sub("\n", text)
    return text


_ACCENTED = {"e": "è", "a": "à", "i": "ì", "o": "ò", "u": "ù"}
_TRUNCATED = re.compile(
    r"(?<![\w'’])(e|piu|gia|puo|cosi|pero|cio|sara|potra|dovra|verra|fara|avra|perche|nonche|poiche|affinche|"
    r"finche|sicche|\w{2,}ita|\w{2,}ta)['’](?=[\s,.;:)]|$)",
    re.IGNORECASE,
)
_LOST_ITA = {
    "pubblicita", "attivita", "citta", "qualita", "modalita", "regolarita", "legittimita", "conformita",
    "responsabilita", "necessita", "opportunita", "competitivita", "universita", "societa", "possibilita",
    "validita", "utilita", "priorita", "identita", "entita", "capacita", "comunita", "continuita",
    "disponibilita", "liberalita", "finalita", "legalita", "trasparenza_", "efficacita", "funzionalita",
    "compatibilita", "ammissibilita", "eleggibilita", "sostenibilita", "accessibilita", "economicita",
    "tempestivita", "imparzialita", "facolta", "proprieta", "novita", "unita", "localita", "quantita",
    "pluralita", "totalita", "mobilita", "criticita", "specificita", "tracciabilita", "produttivita",
}
# nouns in -ità by their suffix ("imprenditorialita"), but not the participles and verbs that end alike
_ITA_SUFFIXES = ("ivita", "alita", "bilita", "arita", "orita", "icita")
_NOT_ITA = {"stabilita", "ristabilita", "esplicita", "implicita", "sollecita", "riabilita", "inabilita", "debilita"}
# "Il" between two lowercase words is an OCR slip for the Roman numeral II ("domande Il finestra").
_OCR_II = re.compile(r"(?<=[a-zà-ù,] )(Il|I1)(?= [a-zà-ù])")


# "IL DIRIGENTE RICHIAMATE: ...", "IL DIRIGENTE FIRMATARIO Visti:": the authority, then the first label
_AUTHORITY_THEN_LABEL = re.compile(
    r"^((?:IL|LA|LO|L['’])\s*(?:[A-ZÀ-Þ][A-ZÀ-Þ'’.,]*\s+){1,8}?)"
    r"(?=(?i:" + labels.ANY.pattern.lstrip("^") + r")(?:\s|:|$))"
)


def _split_authority(lines: list[Para]) -> list[Para]:
    out = []
    for line in lines:
        squeezed = squeeze(line.text)  # "I L S I N D A C O Premesso"
        m = _AUTHORITY_THEN_LABEL.match(squeezed)
        cut = line.text.find(squeezed[m.end():]) if m else -1
        if m and cut > 0 and not labels.ANY.match(m.group(1).split()[-1]):
            out += [Para(line.no, line.text[:cut].strip()), Para(line.no, line.text[cut:])]
        else:
            out.append(line)
    return out


def clean(text: str) -> Cleaned:
    lines = _lines(text)
    lines = _split_authority(_split_long(lines))
    headers, lines = _take_headers(lines)
    # a text that flowed over printed lines hides its labels mid-line
    paras = _split_long(_paragraphs(lines), subjects=False)
    fixes: list[str] = []
    paras = [Para(p.no, _fix_words(p.text, p.no, fixes)) for p in paras]
    return Cleaned(paras, headers, fixes)


_COLUMN_GAP = re.compile(r"\S(?P<gap>[ \t]{5,})\S")
_SIGNER = re.compile(r"^(?:IL|LA|LO|L['’]|Il|La|Lo)\s*[A-ZÀ-Þ]")


def _columns(raw: str) -> tuple[str, str] | None:
    """A printed line of two columns: its left and right text."""
    gaps = list(_COLUMN_GAP.finditer(raw.strip()))
    if len(gaps) != 1:
        return None
    text = raw.strip()
    return text[: gaps[0].start("gap")], text[gaps[0].end("gap"):]


def _signatures_side_by_side(rows: list[str]) -> list[tuple[int, str]]:
    """"IL SINDACO      IL SEGRETARIO" over "Mario Rossi      Luigi Verdi": each signer with their name,
    the left column first, so that a qualifica is never read with the other column's name. Each row
    keeps the number of the printed line it comes from."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(rows):
        top = _columns(rows[i])
        j = i + 1
        while j < len(rows) and not rows[j].strip():
            j += 1
        bottom = _columns(rows[j]) if top and j < len(rows) else None
        if top and bottom and _SIGNER.match(top[0]) and _SIGNER.match(top[1]) and not _SIGNER.match(bottom[0]):
            out += [(i + 1, top[0]), (j + 1, bottom[0]), (i + 1, top[1]), (j + 1, bottom[1])]
            i = j + 1
        else:
            out.append((i + 1, rows[i]))
            i += 1
    return out


def _lines(text: str) -> list[Para]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad", "").replace("\u00a0", " ")
    out = []
    for no, raw in _signatures_side_by_side(text.split("\n")):
        for i, piece in enumerate(raw.split("\f")):
            if i:
                out.append(Para(no, _PAGE_BREAK))  # the header check needs to know where pages end
            out.append(Para(no, re.sub(r"[ \t\u2000-\u200b\u3000]+", " ", piece).strip()))
    return out


def _split_long(lines: list[Para], *, subjects: bool = True) -> list[Para]:
    """Split each line of 300 characters or more at its labels; ``subjects=False`` leaves a subject
    ("OGGETTO: ... DETERMINA A CONTRARRE ...") whole, as a paragraph that flowed over printed lines is."""
    out: list[Para] = []
    for line in lines:
        if len(line.text) < 300 or (not subjects and re.match(r"(?i)oggetto\b", line.text)):
            out.append(line)
            continue
        text = _INLINE_PAGE.sub(lambda m: "\n" + m.group().strip() + "\n", line.text)
        text = _SPLIT_AFTER.sub("\n", text)
        text = _SPLIT_SIGNER.sub("\\1\n\\2", text)
        text = _SPLIT_BEFORE.sub("\n", text)
        text = _split_labels(text)
        out += [Para(line.no, piece.strip()) for piece in text.split("\n") if piece.strip()]
    return out


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text)


def _near_page_ends(lines: list[Para]) -> set[int] | None:
    """Indexes of the lines among the first or last three of a page; None without page breaks."""
    breaks = [i for i, line in enumerate(lines) if line.text == _PAGE_BREAK]
    if not breaks:
        return None
    near: set[int] = set()
    for start, end in zip([-1, *breaks], [*breaks, len(lines)], strict=True):
        filled = [i for i in range(start + 1, end) if lines[i].text]
        near.update(filled[:3] + filled[-3:])
    return near


def _take_headers(lines: list[Para]) -> tuple[list[Para], list[Para]]:
    """Take out page numbers and the lines repeated on every page; return (headers, the rest).

    With page breaks (a PDF) a repeated line counts only at the top or bottom of its pages;
    without them it must be long, numbered or frequent, so that a name signed twice stays."""
    near = _near_page_ends(lines)
    places: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if line.text and line.text != _PAGE_BREAK:
            places.setdefault(_shape(line.text), []).append(i)
    repeated = {
        shape for shape, where in places.items()
        if len(where) >= 2 and len(shape) >= 3 and not LIST_MARK.match(shape) and not FORMULA.match(shape)
        and not shape.endswith((";", ":")) and not re.match(_LABEL_START, shape) and not _LABEL_CAPITAL.match(shape)
        and (all(i in near for i in where) if near is not None
             else "#" in shape or len(shape) >= 20 or len(where) >= 3)
    }
    headers: list[Para] = []
    kept: list[Para] = []
    for line in lines:
        if line.text == _PAGE_BREAK:
            kept.append(Para(line.no, ""))
            continue
        if line.text and (_PAGE_NUMBER.match(line.text) or _shape(line.text) in repeated):
            headers.append(line)
            continue
        text = line.text
        # headers inside a line: an act on one line carries them mid-sentence
        for m in list(_INLINE_PAGE.finditer(text)):
            headers.append(Para(line.no, m.group().strip()))
        text = _INLINE_PAGE.sub(" ", text).strip() if _INLINE_PAGE.search(text) else text
        page = _PAGE_BEFORE_HEAD.match(text)
        if page:  # "2 Vista la legge ...": a transcript's page number before the page's first words
            headers.append(Para(line.no, page["page"]))
            text = text[page.end():]
        kept.append(Para(line.no, text))
    return headers, kept


def _starts_new(text: str) -> bool:
    return bool(LIST_MARK.match(text) or FORMULA.match(text) or re.match(_LABEL_START, text) or _SITE_LINE.match(text)
                or _LABEL_CAPITAL.match(text) or _ARTICLE_START.match(text))


def _paragraphs(lines: list[Para]) -> list[Para]:
    """Join the printed lines of each paragraph, undoing hyphenation; blank lines end one,
    unless the sentence plainly goes on (a page break in mid-sentence)."""
    paras: list[Para] = []
    blank = True
    for line in lines:
        text = line.text
        if not text:
            blank = True
            continue
        if paras and _joins(paras[-1].text, text, blank):
            prev = paras[-1]
            if re.search(r"[a-zà-ù]-$", prev.text) and re.match(r"[a-zà-ù]", text):
                joined = prev.text[:-1] + text
            else:
                joined = f"{prev.text} {text}"
            paras[-1] = Para(prev.no, joined)
        else:
            paras.append(Para(line.no, text))
        blank = False
    return paras


# "La Giunta regionale", "Il Dirigente del Settore": an authority's heading, never the start of a sentence
_HEADING = re.compile(r"^(?:Il|La|Lo|L['’]|IL|LA|LO)\s*[\wÀ-ÿ'’.]+(?:\s+[\wÀ-ÿ'’.]+){0,5}$")


def _joins(prev: str, text: str, after_blank: bool) -> bool:
    if _starts_new(text) or FORMULA.match(prev):
        return False
    if _HEADING.match(prev) and (labels.ANY.match(text) or labels.FORMULA.match(text)):
        return False
    if re.search(r"[a-zà-ù]-$", prev):
        return True
    if not after_blank and re.match(r"(?i)oggetto\s*[:.\-–]", prev):
        return True  # the subject runs on over its printed lines, whatever their first letter
    goes_on = not prev.endswith((";", ":", ".", "!", "?")) and (_CONTINUES.match(text) or _OPEN_END.search(prev))
    if after_blank:
        return bool(goes_on and _CONTINUES.match(text))
    if goes_on:
        return True
    # inside a list item or a long sentence a printed line may also end in "." (an abbreviation)
    return bool(re.search(r"\b(?:n|art|lett|co|D\.Lgs|L|D\.L|ss|pag|prot)\.$", prev)) and bool(_CONTINUES.match(text))


def _fix_words(text: str, no: int, fixes: list[str]) -> str:
    def truncated(m: re.Match[str]) -> str:
        word = m.group(1)
        low = word.lower()
        if low.endswith("che"):
            new = word[:-1] + ("é" if word[-1].islower() else "É")
        else:
            last = word[-1]
            acc = _ACCENTED.get(last.lower(), last)
            new = word[:-1] + (acc if last.islower() else acc.upper())
        fixes.append(f"riga {no}: {m.group()} -> {new}")
        return new

    text = _TRUNCATED.sub(truncated, text)

    def lost(m: re.Match[str]) -> str:
        word = m.group()
        low = word.lower()
        if low not in _LOST_ITA and not (len(low) >= 9 and low.endswith(_ITA_SUFFIXES) and low not in _NOT_ITA):
            return word
        new = word[:-1] + ("à" if word[-1] == "a" else "À")
        fixes.append(f"riga {no}: {word} -> {new}")
        return new

    text = re.sub(r"\b\w+it[aA]\b", lost, text, flags=re.IGNORECASE)

    def ocr(m: re.Match[str]) -> str:
        fixes.append(f"riga {no}: {m.group()} -> II")
        return "II"

    return _OCR_II.sub(ocr, text)


_SPACED = re.compile(r"(?<![\w'’])(?:[A-Za-zÀ-ÿ] ){2,}[A-Za-zÀ-ÿ](?![\w'’])")


def squeeze(text: str) -> str:
    """Letters spaced out for emphasis joined: "V E R B A L E D I D E L I B E R A" -> "VERBALEDIDELIBERA"."""
    return _SPACED.sub(lambda m: m.group().replace(" ", ""), text)
