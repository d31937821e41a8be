"""A redline report of two versions of an act, for the legal file (``atti diff A B --pdf OUT``).

Written as a DOCX (python-docx, which docxtpl already brings) and converted by the same
LibreOffice converter as the acts: the report is a tagged PDF/A-2b like them, readable by a
screen reader and fit for the archive. Deleted words are struck through and added words
underlined, the legal convention; colour only helps, it never carries the meaning alone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx
from docx.document import Document
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph

from atti.acts.diff import ADDED, DELETED, ItemChange, PartDiff

_STRUCK = RGBColor(0xB0, 0x00, 0x20)
_ADDED = RGBColor(0x00, 0x4B, 0x9B)


def redline_docx(title: str, header: Sequence[str], stato: str | None, parts: Sequence[PartDiff]) -> bytes:
    """The report as a DOCX: ``title``, the ``header`` lines (which versions), the change of
    ``stato`` if any, then each changed field with its items as a redline."""
    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.language = "it-IT"
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(title, level=1)
    for line in header:
        document.add_paragraph(line)
    legend = document.add_paragraph("Legenda: parole tolte ")
    _run(legend, "barrate", DELETED)
    legend.add_run(", parole aggiunte ")
    _run(legend, "sottolineate", ADDED)
    legend.add_run(".")
    if stato:
        document.add_paragraph(f"Stato: {stato}")
    if not parts:
        document.add_paragraph("L'atto è lo stesso.")
    for part in parts:
        document.add_heading(part.part, level=2)
        for change in part.changes:
            _change(document, part, change)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _change(document: Document, part: PartDiff, c: ItemChange) -> None:
    index = c.index_b if c.kind == "added" else c.index_a
    name = f"{part.item} {(index or 0) + 1} " if part.many else ""
    what = {"changed": "modificato", "removed": "tolto", "added": "aggiunto"}[c.kind]
    keys = f" ({', '.join(c.fields)})" if c.fields else ""
    paragraph = document.add_paragraph(style="List Bullet")
    paragraph.add_run(f"{name}{what}{keys}: ").bold = True
    if c.kind == "changed":
        for w in c.words:
            _run(paragraph, w.text, w.op)
    elif c.kind == "removed":
        _run(paragraph, c.a or "", DELETED)
    else:
        _run(paragraph, c.b or "", ADDED)


def _run(paragraph: Paragraph, text: str, op: str) -> None:
    run = paragraph.add_run(text)
    if op == DELETED:
        run.font.strike = True
        run.font.color.rgb = _STRUCK
    elif op == ADDED:
        run.font.underline = True
        run.font.color.rgb = _ADDED
