"""Build the packaged act templates: src/atti/templates/<tipo>.docx, one per act type.

The DOCX is the artefact officers edit in Word or LibreOffice; this script only exists so that the
first version of it is reproducible and reviewable as code. Run it again after changing it:

    .venv/bin/python scripts/make_template.py

Placeholders are docxtpl (Jinja2) tags; the context they see is documented in
``atti.templates.render.template_context``.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

OUT_DIR = Path(__file__).resolve().parent.parent / "src" / "atti" / "templates"
# The line under the title: a delibera is taken by a collegial body in a session ("seduta").
DATE_LINES = {
    "determinazione": "Del {{ data }}",
    "delibera": "Seduta del {{ data }}",
    "decreto": "Del {{ data }}",
    "ordinanza": "Del {{ data }}",
}
BODY_FONT = "Liberation Sans"
# Liberation has no check mark; DejaVu Sans has, and both ship with Debian's font packages.
MARK_FONT = "DejaVu Sans"


def _font(run_or_style: object, name: str) -> None:
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = name
    rpr = run_or_style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), name)


def _dash_bullets(doc: DocxDocument) -> None:
    """Make "List Bullet" a real list whose mark is "-", as in the acts this body signs."""
    numbering = doc.part.numbering_part.element
    for abstract in numbering.findall(qn("w:abstractNum")):
        lvl = abstract.find(qn("w:lvl"))
        pstyle = lvl.find(qn("w:pStyle"))
        if pstyle is not None and pstyle.get(qn("w:val")) == "ListBullet":
            lvl.find(qn("w:lvlText")).set(qn("w:val"), "-")
            ind = lvl.find(qn("w:pPr")).find(qn("w:ind"))
            ind.set(qn("w:left"), "360")
            ind.set(qn("w:hanging"), "360")
            tabs = lvl.find(qn("w:pPr")).find(qn("w:tabs"))
            if tabs is not None:
                tabs.find(qn("w:tab")).set(qn("w:pos"), "360")
            rpr = lvl.find(qn("w:rPr"))
            if rpr is not None:
                fonts = rpr.find(qn("w:rFonts"))
                if fonts is not None:
                    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
                        fonts.set(qn(attr), BODY_FONT)


def build(tipo: str) -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.2)

    normal = doc.styles["Normal"]
    _font(normal, BODY_FONT)
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    # No single line of an item stranded at the foot or head of a page.
    normal.paragraph_format.widow_control = True
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.makeelement(qn("w:lang"), {qn("w:val"): "it-IT", qn("w:eastAsia"): "it-IT", qn("w:bidi"): "it-IT"})
    rpr.append(lang)
    # The document's language, which LibreOffice writes as the PDF's /Lang for screen readers,
    # comes from the defaults and the theme language, not from the Normal style.
    for default in doc.styles.element.iter(qn("w:lang")):
        default.set(qn("w:val"), "it-IT")
    theme_lang = doc.settings.element.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), "it-IT")
    bullet = doc.styles["List Bullet"]
    _font(bullet, BODY_FONT)
    bullet.paragraph_format.space_after = Pt(3)
    bullet.paragraph_format.widow_control = True
    _dash_bullets(doc)
    doc.core_properties.title = f"{tipo.capitalize()} - atti"
    doc.core_properties.language = "it-IT"
    doc.core_properties.author = "atti"

    def para(text: str = "", *, bold: bool = False, center: bool = False, size: float | None = None,
             style: str | None = None, before: float | None = None, keep: bool = False) -> Paragraph:
        p = doc.add_paragraph(style=style)
        if keep:  # a heading never ends a page without its first item
            p.paragraph_format.keep_with_next = True
        if text:
            run = p.add_run(text)
            run.bold = bold
            if size:
                run.font.size = Pt(size)
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if before is not None:
            p.paragraph_format.space_before = Pt(before)
        return p

    def items(name: str, var: str) -> None:
        para(f"{{%p for item in {name} %}}")
        para(f"{{{{ {var} }}}}", style="List Bullet")
        para("{%p endfor %}")

    # Letterhead: the body's logo (logo.png in its templates folder), name and site; bodies
    # replace it with their own in their copy of this file.
    para("{%p if logo %}")
    para("{{ logo }}", center=True)
    para("{%p endif %}")
    para("{{ ente.nome }}", bold=True, center=True, size=14)
    para("{%p if ente.sito %}")
    para("{{ ente.sito }}", center=True, size=9)
    para("{%p endif %}")

    para("{{ titolo }}{% if estremi %} N. {{ estremi }}{% endif %}", bold=True, center=True, size=12, before=18)
    para(DATE_LINES[tipo], center=True)

    p = para(before=12)
    p.add_run("OGGETTO: ").bold = True
    p.add_run("{{ oggetto }}").bold = True

    para("{{ autorita }}", bold=True, keep=True, center=True, before=12)
    items("poteri", "item")

    para("{%p if premesse %}")
    para("Premesso che:", bold=True, keep=True, before=8)
    items("premesse", "item")
    para("{%p endif %}")

    para("{%p if visti %}")
    para("Visto:", bold=True, keep=True, before=8)
    items("visti", "item")
    para("{%p endif %}")

    para("{%p if considerato %}")
    para("Considerato che:", bold=True, keep=True, before=8)
    items("considerato", "item")
    para("{%p endif %}")

    para("{{ formula }}", bold=True, keep=True, center=True, before=12)
    items("punti", "item")

    para("{%p if allegati %}")
    para("Allegati:", bold=True, keep=True, before=8)
    items("allegati", "item")
    para("{%p endif %}")

    para("{%p if proposta %}")
    p = para(before=18, keep=True)
    p.add_run("Proposta di: ")
    p.add_run("{{ proposta.struttura }}")
    para("{%p if proposta.firmatario %}")
    para("F.to {{ proposta.firmatario }}", keep=True)
    para("{%p endif %}")
    para("{%p endif %}")

    # The signature block stays on one page with the name it belongs to.
    p = para("{{ firmatario.qualifica }}", before=18, keep=True)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p = para("{{ firmatario.nome }}", bold=True, keep=True)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p = para("{{ dicitura_firma }}", size=9, before=6)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    para("{%p for v in verifiche %}")
    para("{{ v.tipo }}", size=9, before=10, keep=True)
    p = para()
    mark = p.add_run("{% if v.positivo %}✓{% endif %}")
    _font(mark, MARK_FONT)
    mark.font.size = Pt(9)
    p.add_run("{{ v.nome }}").font.size = Pt(9)
    para("{%p endfor %}")
    return doc


def main() -> None:
    for tipo in DATE_LINES:
        out = OUT_DIR / f"{tipo}.docx"
        build(tipo).save(str(out))
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
