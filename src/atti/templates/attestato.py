"""The attestato di pubblicazione: the responsible officer's statement that an act stayed on the
Albo pretorio online for its whole period, as a DOCX converted to PDF/A like every act.

Its words come from the register's entry and the act's public record only (never the act's
text): it may be shown to anyone who may see the act.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from atti.templates.convert import Converter


@dataclass(frozen=True)
class Attestato:
    ente: str
    estremi: str  # "Deliberazione G.C. n. 12/2026"
    oggetto: str  # the publication copy's
    numero_albo: int
    anno_albo: int
    dal: dt.date
    al: dt.date
    giorni: int
    responsabile: str
    qualifica: str
    url: str  # where the act was published (its stable URL on the albo)

    def paragraphs(self) -> list[tuple[str, str]]:
        """(style, text) in reading order; the same data always gives the same words."""
        return [
            ("title", self.ente.upper()),
            ("title", "ATTESTATO DI PUBBLICAZIONE"),
            ("body", f"Atto: {self.estremi}"),
            ("body", f"Oggetto: {self.oggetto}"),
            ("body", f"Registro delle pubblicazioni: n. {self.numero_albo}/{self.anno_albo}"),
            ("body", f"Il sottoscritto {self.responsabile}, {self.qualifica}, ai sensi dell'art. 32 della legge 18 "
                     "giugno 2009, n. 69 e dell'art. 124 del D.Lgs. 18 agosto 2000, n. 267,"),
            ("title", "ATTESTA"),
            ("body", f"che l'atto sopra indicato è stato pubblicato all'Albo pretorio online dell'ente per "
                     f"{self.giorni} giorni consecutivi, dal {self.dal:%d/%m/%Y} al {self.al:%d/%m/%Y} compresi, "
                     f"all'indirizzo {self.url}."),
            ("sign", f"{self.qualifica}"),
            ("sign", f"{self.responsabile}"),
            ("note", "Documento firmato digitalmente ai sensi dell'art. 24 del D.Lgs. 82/2005."),
        ]


def attestato_docx(a: Attestato) -> bytes:
    doc = Document()
    doc.core_properties.title = f"Attestato di pubblicazione n. {a.numero_albo}/{a.anno_albo}"
    doc.core_properties.language = "it-IT"
    # A fixed date keeps the same data giving the same bytes.
    doc.core_properties.created = dt.datetime.combine(a.al, dt.time(0))
    doc.core_properties.modified = dt.datetime.combine(a.al, dt.time(0))
    for style, text in a.paragraphs():
        p = doc.add_paragraph()
        run = p.add_run(text)
        run.font.size = Pt(12 if style != "note" else 9)
        if style == "title":
            run.bold = True
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif style == "sign":
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        else:
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_attestato(a: Attestato, converter: Converter | None = None) -> bytes:
    """The attestato as PDF/A (unsigned)."""
    owned = converter is None
    conv = converter or Converter()
    try:
        return conv.to_pdf(attestato_docx(a))
    finally:
        if owned:
            conv.close()
