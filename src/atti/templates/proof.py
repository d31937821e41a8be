"""Proof that a PDF says what the act's YAML says.

A legal reviewer signs off the PDF, an archivist searches the YAML: the two must carry the same
words. ``prove_pdf`` extracts the PDF's text (poppler's ``pdftotext``) and finds every item of
every part of the act in it, in order, each whole and contiguous. Between two items only list
marks and the template's own words (headings such as "Premesso che:", the letterhead) may appear,
so an item added, dropped, altered or moved is reported by name. Text after the last item (the
signer's name) is not checked: a visible signature stamp may add its own words there.
The mark of an unsigned rendering (``BOZZA``, a line at the top of every page) is not the act's
text either: lines that say only that are left out, wherever a page break puts them.
Layout is not the act's text: LibreOffice breaks lines at spaces but also inside long runs of
characters (after "/", "!", "-", ...), and poppler turns every break into whitespace. So the
comparison ignores whitespace altogether and compares the characters, in order.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from atti.acts.model import Act
from atti.acts.personal import plain_act
from atti.errors import ConverterMissing, VerificationError
from atti.i18n import _
from atti.templates.render import BOZZA, PAGE_NUMBER, running_header, template_context

# What a list mark may extract as: LibreOffice's "-" bullets, or other templates' marks.
_LIST_MARKS = " -–—•·▪◦*0123456789.)✓"
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC (ligatures, compatibility forms), without soft hyphens and without whitespace; a
    non-breaking hyphen is a hyphen (LibreOffice writes "-" for it in the PDF's text)."""
    return _WHITESPACE.sub("", _nfkc(text))


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text.replace("\u2011", "-")).replace("\u00ad", "")


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF in the order it was written (``-raw``), each line in the order it reads.

    poppler's default reading order guesses columns, and a justified line of few long words can
    look like columns to it; so the words come in the order the PDF draws them. But LibreOffice
    draws a character its font lacks (✓, Ⅻ, ∑ in Liberation Sans) in another font, after the
    rest of the line: the words of each line, which follow each other in that order on one
    baseline, are put back in the order they stand on it, left to right.
    """
    exe = shutil.which("pdftotext")
    if exe is None:
        raise ConverterMissing(_("pdftotext not found: install the Debian package poppler-utils"))
    proc = subprocess.run(
        [exe, "-raw", "-bbox", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=False
    )
    if proc.returncode != 0:
        why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise VerificationError(_("not a readable PDF: {reason}").format(
            reason=why[-1] if why else _("pdftotext failed")))
    pages = []
    for page in _PAGE.split(proc.stdout.decode("utf-8", "replace"))[1:]:
        lines: list[list[_Word]] = []
        for m in _WORD.finditer(page):
            word = _Word(float(m["x0"]), float(m["y0"]), float(m["y1"]), html.unescape(m["text"]))
            if lines and _same_line(lines[-1][0], word):
                lines[-1].append(word)
            else:
                lines.append([word])
        pages.append("\n".join(" ".join(w.text for w in sorted(line, key=lambda w: w.x0)) for line in lines))
    return "\f".join(pages)


_PAGE = re.compile(r"<page\b[^>]*>")
_WORD = re.compile(
    r'<word xMin="(?P<x0>[-0-9.]+)" yMin="(?P<y0>[-0-9.]+)" xMax="[-0-9.]+" yMax="(?P<y1>[-0-9.]+)">'
    r"(?P<text>.*?)</word>",
    re.DOTALL,
)


@dataclass(frozen=True)
class _Word:
    x0: float
    y0: float
    y1: float
    text: str


def _same_line(first: _Word, word: _Word) -> bool:
    """Whether ``word`` stands on the line ``first`` opened: each one's middle within the other."""
    return first.y0 <= (word.y0 + word.y1) / 2 <= first.y1 and word.y0 <= (first.y0 + first.y1) / 2 <= word.y1


@dataclass(frozen=True)
class ItemProof:
    part: str
    index: int
    text: str
    found: bool
    problem: str = ""


@dataclass(frozen=True)
class TextProof:
    items: list[ItemProof] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(i.found and not i.problem for i in self.items)

    @property
    def failures(self) -> list[ItemProof]:
        return [i for i in self.items if not i.found or i.problem]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "items": len(self.items),
            "failures": [asdict(i) for i in self.failures],
        }


def expected_parts(act: Act) -> list[tuple[str, list[str]]]:
    """What the PDF must say, in the order the packaged templates print it: the heading, the act's
    parts, the seduta and the votes of a collegial act, the pareri, who signs, the visto contabile
    (personal data unmarked)."""
    act = plain_act(act)
    ctx = template_context(act)
    title = f"{act.titolo} N. {act.estremi}" if act.estremi else act.titolo
    parts = dict(act.parts())
    seduta = ctx["seduta"]
    people = [] if seduta is None else [
        *(seduta["presenti"] + seduta["assenti"]), seduta["presidente"], seduta["segretario"],
    ]
    vote, now = ctx["votazione"], ctx["immediata_eseguibilita"]
    visto = ctx["visto_contabile"]
    out = [
        ("intestazione", [title]),
        ("oggetto", parts.get("oggetto", [])),
        ("seduta", [] if seduta is None else [
            *_filled(seduta["data"], seduta["ora"], seduta["luogo"], seduta["convocazione"]),
            *(t for c in people for t in (c["nome"], c["ruolo"])),
        ]),
        *((name, parts.get(name, [])) for name in ("poteri", "premesse", "visti", "considerato")),
        ("pareri", [t for p in ctx["pareri"] for t in _filled(
            p["tipo"], p["esito"], p["qualifica"], p["nome"], p["data"], p["motivazione"])]),
        ("votazione", [] if vote is None else _filled(vote["testo"], vote["modalita"])),
        *((name, parts.get(name, [])) for name in ("dispositivo", "avverte", "ricorso")),
        ("immediata_eseguibilita", [] if now is None else _filled(
            now["votazione"]["testo"], now["votazione"]["modalita"], now["motivazione"])),
        ("allegati", parts.get("allegati", [])),
        ("firmatario", [t for f in ctx["firmatari"] for t in (f["qualifica"], f["nome"])]),
        ("visto_contabile", [] if visto is None else _filled(
            visto["esito"], *visto["impegni"], visto["totale"], visto["note"], visto["esecutiva_dal"],
            visto["data"], visto["qualifica"], visto["nome"])),
        ("verifiche", [text for v in act.verifiche for text in (v.tipo, v.nome)]),
    ]
    return [(name, items) for name, items in out if items or name in ("firmatario", "verifiche")]


def _filled(*texts: str) -> list[str]:
    return [t for t in texts if t]


def template_words(act: Act, paragraphs: Sequence[str]) -> list[str]:
    """The rendered document's own words: its paragraphs with the act's items cut out.

    Items are cut in order, as they follow each other in the document, so that a letterhead
    that happens to read like an item further down (a body named like its signer) stays a
    template word.
    """
    pending = [normalise(t) for _, texts in expected_parts(act) for t in texts]
    words: set[str] = set()
    for paragraph in paragraphs:
        rest = normalise(paragraph)
        while pending and pending[0] and pending[0] in rest:
            before, _, rest = rest.partition(pending.pop(0))
            words.add(before)
        words.add(rest)
    return sorted((w for w in words if w.strip(_LIST_MARKS)), key=len, reverse=True)


def _unexpected(gap: str, words: Sequence[str] | None) -> tuple[int, int] | None:
    """The span of a gap between two items that is neither list marks nor the template's words."""
    if words is None:  # no template to compare with: only list marks are allowed inside a part
        words = ()
    covered = [False] * len(gap)
    for word in words:  # longest first, so "Premesso che:" wins over a shorter word inside it
        start = gap.find(word)
        while start >= 0:
            if not any(covered[start:start + len(word)]):
                covered[start:start + len(word)] = [True] * len(word)
            start = gap.find(word, start + 1)
    left = [i for i, done in enumerate(covered) if not done and gap[i] not in _LIST_MARKS]
    return (left[0], left[-1] + 1) if left else None


def prove_text(act: Act, text: str, template_text: Sequence[str] | None = None) -> TextProof:
    """Check ``text`` (a PDF's extracted text) against the act, part by part, item by item.

    ``template_text`` is the rendered document's paragraphs (see ``template_words``); without
    it only the gaps between the items of one part are checked.
    """
    # Compare without whitespace, but keep where each character was, to quote the original text.
    spaced = _nfkc(without_mark(text, running=[running_header(act)]))
    where = [i for i, c in enumerate(spaced) if not c.isspace()]
    haystack = "".join(spaced[i] for i in where)

    def original(start: int, end: int) -> str:
        return " ".join(spaced[where[start]:where[end - 1] + 1].split()) if end > start else ""

    words = template_words(act, template_text) if template_text is not None else None
    at = 0
    items: list[ItemProof] = []
    after_missing = False
    for part, texts in expected_parts(act):
        for index, item in enumerate(texts):
            needle = normalise(item)
            found = haystack.find(needle, at)
            if found < 0:
                anywhere = haystack.find(needle)
                problem = _("out of order") if anywhere >= 0 else _("missing or altered")
                items.append(ItemProof(part, index, item, False, problem))
                after_missing = True
                continue
            problem = ""
            # After a missing item the gap holds its altered text: already reported, not again.
            if (words is not None or index > 0) and not after_missing:
                span = _unexpected(haystack[at:found], words)
                if span:
                    problem = _("unexpected text before it: {text}").format(
                        text=repr(original(at + span[0], at + span[1])[:80]))
            items.append(ItemProof(part, index, item, True, problem))
            at = found + len(needle)
            after_missing = False
    return TextProof(items)


_LINE_BREAKS = re.compile(r"([\n\f])")


def without_mark(text: str, *, running: Sequence[str] = ()) -> str:
    """``text`` without the lines that are the unsigned rendering's mark (:data:`BOZZA`) alone, nor
    those that are the pages' running header (``running``, whole on one line or broken over
    consecutive lines) or their number ("Pagina 2 di 5")."""
    mark = normalise(BOZZA)
    headers = [normalise(r) for r in running if normalise(r)]
    pieces = _LINE_BREAKS.split(text)  # lines, each followed by its break
    lines = pieces[0::2]
    drop: set[int] = set()
    for i, line in enumerate(lines):
        flat = normalise(line)
        if flat == mark or PAGE_NUMBER.fullmatch(line.strip()):
            drop.add(i)
            continue
        for header in headers:
            joined, j = flat, i
            while joined and header.startswith(joined) and joined != header and j + 1 < len(lines):
                j += 1
                joined += normalise(lines[j])
            if joined == header:
                drop.update(range(i, j + 1))
    out = []
    for i, line in enumerate(lines):
        if i not in drop:
            out.append(line)
            if 2 * i + 1 < len(pieces):
                out.append(pieces[2 * i + 1])
        elif 2 * i + 1 < len(pieces) and pieces[2 * i + 1] == "\f":
            out.append("\f")  # keep the page break
    return "".join(out)


def prove_pdf(act: Act, pdf: bytes, template_text: Sequence[str] | None = None) -> TextProof:
    return prove_text(act, pdf_text(pdf), template_text)


def describe(proof: TextProof) -> list[str]:
    """One line per failure, e.g. ``premesse[3]: missing or altered: "la DGR n. ..."``."""
    return [
        f"{i.part}[{i.index + 1}]: {i.problem}: {i.text[:70]!r}" for i in proof.failures
    ]


def docx_paragraphs(docx: bytes) -> list[str]:
    """Every paragraph of a DOCX, body, tables, headers and footers: the template's words."""
    import io

    from docx import Document

    document = Document(io.BytesIO(docx))
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        out += [p.text for row in table.rows for cell in row.cells for p in cell.paragraphs]
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            out += [p.text for p in part.paragraphs]
    return out
