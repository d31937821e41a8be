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
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
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
# The height of one row of signature stamps (atti.signing.stamp: 64 pt and the gap above it).
STAMP_ROW = 80


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
    # Letterhead: the body's logo (logo.png in its templates folder), name and site; bodies
    # replace it with their own in their copy of this file.
    para("{%p if logo %}")
    para("{{ logo }}", center=True)
    para("{%p endif %}")
    para("{{ ente.nome }}", bold=True, center=True, size=14)
    para("{%p if ente.sito %}")
    para("{{ ente.sito }}", center=True, size=9)
    para("{%p endif %}")

    verbale = "{% if seduta %}VERBALE DI {% endif %}" if tipo == "delibera" else ""
    para(verbale + "{{ titolo }}{% if estremi %} N. {{ estremi }}{% endif %}", bold=True, center=True, size=12,
         before=18)
    para(DATE_LINES[tipo], center=True)

    p = para(before=12)
    p.add_run("OGGETTO: ").bold = True
    p.add_run("{{ oggetto }}").bold = True

    # A collegial act: the seduta, who was there, who presides and who takes the minutes.
    para("{%p if seduta %}")
    para("Il giorno {{ seduta.data }}{% if seduta.ora %}, alle ore {{ seduta.ora }}{% endif %}"
         "{% if seduta.luogo %}, {{ seduta.luogo }}{% endif %}{% if seduta.convocazione %}, "
         "{{ seduta.convocazione }}{% endif %}, si è {{ seduta.riunito }} {{ seduta.organo }}.", before=12)
    para("Presenti:", bold=True, keep=True, before=4)
    items("seduta.presenti", "item.nome }} - {{ item.ruolo")
    para("{%p if seduta.assenti %}")
    para("Assenti:", bold=True, keep=True, before=4)
    items("seduta.assenti", "item.nome }} - {{ item.ruolo")
    para("{%p endif %}")
    para("Presenti n. {{ seduta.numero_presenti }}, assenti n. {{ seduta.numero_assenti }}.", before=4)
    para("Presiede {{ seduta.presidente.nome }}, {{ seduta.presidente.ruolo }}. Partecipa "
         "{{ seduta.segretario.nome }}, {{ seduta.segretario.ruolo }}, che cura la redazione del verbale. "
         "Il Presidente, constatato il numero legale, dichiara aperta la seduta.")
    para("{%p endif %}")

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

    # The pareri on the proposal (art. 49 TUEL for the acts of local authorities).
    para("{%p if pareri %}")
    para("Pareri espressi sulla proposta:", bold=True, keep=True, before=8)
    para("{%p for p in pareri %}")
    para("Parere di {{ p.tipo }}{% if p.esito %}: {{ p.esito }}{% endif %}"
         "{% if p.nome %} ({% if p.qualifica %}{{ p.qualifica }} {% endif %}{{ p.nome }}"
         "{% if p.data %}, {{ p.data }}{% endif %}){% endif %}{% if p.motivazione %}. {{ p.motivazione }}{% endif %}",
         style="List Bullet")
    para("{%p endfor %}")
    para("{%p endif %}")

    para("{%p if votazione %}")
    para("Con {{ votazione.testo }}{% if votazione.modalita %}, espressi {{ votazione.modalita }}{% endif %},",
         before=8, keep=True)
    para("{%p endif %}")

    para("{{ formula }}", bold=True, keep=True, center=True, before=12)
    items("punti", "item")
    # A decree or a regulation by articles: "Art. 1 - Oggetto", then its commi, numbered when more than one.
    para("{%p for a in articoli %}")
    para("Art. {{ a.numero }}{% if a.titolo %} - {{ a.titolo }}{% endif %}", bold=True, center=True, keep=True,
         before=10)
    para("{%p for c in a.commi %}")
    para("{% if a.numerati %}{{ c.numero }}. {% endif %}{{ c.testo }}")
    para("{%p endfor %}")
    para("{%p endfor %}")

    # An ordinanza's warnings and the remedies against it.
    para("{%p if avverte %}")
    para("AVVERTE", bold=True, keep=True, center=True, before=12)
    items("avverte", "item")
    para("{%p endif %}")
    para("{%p if ricorso %}")
    para("{{ ricorso }}", before=8)
    para("{%p endif %}")

    # The separate vote that makes a deliberazione immediately enforceable (art. 134 c. 4 TUEL).
    para("{%p if immediata_eseguibilita %}")
    para("Inoltre, con separata votazione ({{ immediata_eseguibilita.votazione.testo }}"
         "{% if immediata_eseguibilita.votazione.modalita %}, espressi "
         "{{ immediata_eseguibilita.votazione.modalita }}{% endif %}){% if immediata_eseguibilita.motivazione %}, "
         "{{ immediata_eseguibilita.motivazione }}{% endif %}, {{ formula }} di dichiarare il presente atto "
         "immediatamente eseguibile ai sensi dell'art. 134, comma 4, del D.Lgs. 18 agosto 2000, n. 267.", before=8)
    para("{%p endif %}")

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

    para("{%p if seduta %}")
    para("Letto, approvato e sottoscritto.", before=12, keep=True)
    para("{%p endif %}")

    # The signature block, in signing order, kept together with what follows it to the end: the
    # stamps go below the last text, so the block never stands alone on a page.
    para("{%p for f in firmatari %}")
    p = para("{{ f.qualifica }}", before=14, keep=True)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p = para("{{ f.nome }}", bold=True, keep=True)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    para("{%p endfor %}")
    p = para("{{ dicitura_firma }}", size=9, before=6, keep=True)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    # The visto di regolarità contabile of a determinazione with spending.
    para("{%p if visto_contabile %}")
    para("VISTO DI REGOLARITÀ CONTABILE", bold=True, center=True, keep=True, before=16)
    para("attestante la copertura finanziaria (artt. 151, comma 4, e 183, comma 7, del D.Lgs. 18 agosto 2000, "
         "n. 267): {{ visto_contabile.esito }}", keep=True)
    para("{%p if visto_contabile.impegni %}")
    para("Impegni di spesa:", keep=True)
    items("visto_contabile.impegni", "item")
    para("{%p if visto_contabile.totale %}")
    para("Totale: {{ visto_contabile.totale }}", keep=True)
    para("{%p endif %}")
    para("{%p endif %}")
    para("{%p if visto_contabile.note %}")
    para("{{ visto_contabile.note }}", keep=True)
    para("{%p endif %}")
    para("Esecutiva dal {{ visto_contabile.esecutiva_dal }}.", keep=True)
    p = para("{{ visto_contabile.data }} - {{ visto_contabile.qualifica }} {{ visto_contabile.nome }}", keep=True)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    para("{%p endif %}")

    para("{%p for v in verifiche %}")
    para("{{ v.tipo }}", size=9, before=10, keep=True)
    p = para(keep=True)
    mark = p.add_run("{% if v.positivo %}✓{% endif %}")
    _font(mark, MARK_FONT)
    mark.font.size = Pt(9)
    p.add_run("{{ v.nome }}").font.size = Pt(9)
    para("{%p endfor %}")
    # Room for the signature stamps (one below the other), only in the rendering that is signed.
    para("{%p for s in spazi_firma %}")
    p = para("{{ s }}", keep=True)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    p.paragraph_format.line_spacing = Pt(STAMP_ROW)
    para("{%p endfor %}")

    _header_footer(doc, size=8)
    return doc


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A field LibreOffice and Word compute when laying out the page (PAGE, NUMPAGES)."""
    run = paragraph.add_run()
    for kind in ("begin", None, "separate", "end"):
        if kind is None:
            text = run._r.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
            text.text = f" {instruction} "
            run._r.append(text)
        else:
            run._r.append(run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind}))
            if kind == "separate":
                placeholder = run._r.makeelement(qn("w:t"), {})
                placeholder.text = "1"
                run._r.append(placeholder)


def _header_footer(doc: DocxDocument, *, size: float) -> None:
    """"Pagina n di m" at the foot of every page; the act's identification at the head of every
    page after the first (the first has the letterhead)."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    header.add_run("{{ intestazione_pagina }}").font.size = Pt(size)
    for footer in (section.footer, section.first_page_footer):
        paragraph = footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run("Pagina ")
        _field(paragraph, "PAGE")
        paragraph.add_run(" di ")
        _field(paragraph, "NUMPAGES")
        for run in paragraph.runs:
            run.font.size = Pt(size)


def main() -> None:
    for tipo in DATE_LINES:
        out = OUT_DIR / f"{tipo}.docx"
        build(tipo).save(str(out))
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
