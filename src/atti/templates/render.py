"""Act -> DOCX (docxtpl) -> PDF/A (LibreOffice).

The template sees a plain context built here, never the model itself, so that a template edited by
an officer cannot call methods; docxtpl renders with autoescape, so the act's text is data: ``<``,
``&``, quotes and ``{{`` come out as written.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, cast

import jinja2
import markupsafe
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_HEADER_FOOTER, WD_ORIENT
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.part import Part
from docx.opc.parts.coreprops import CorePropertiesPart
from docx.opc.phys_pkg import PhysPkgWriter
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.parts.document import DocumentPart
from docx.parts.hdrftr import FooterPart, HeaderPart
from docx.parts.image import ImagePart
from docx.parts.numbering import NumberingPart
from docx.parts.styles import StylesPart
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from atti.acts.model import Act, Esito, TipoAtto, Votazione, articolo, euro
from atti.acts.personal import plain_act
from atti.acts.references import registro_slug
from atti.docxzip import DocxTooLarge, check_docx
from atti.errors import RenderError
from atti.files import write_atomic, write_error
from atti.i18n import _
from atti.templates.convert import Converter
from atti.templates.numbering import restart_lists

DICITURA_FIRMA = "Firmato digitalmente ai sensi dell'art. 24 del D. Lgs. 82/2005"
BOZZA = "BOZZA - documento non firmato"
"""The mark at the top of every page of a rendering that is not signed (a draft, a preview)."""


@dataclass(frozen=True)
class RenderedAct:
    docx: Path
    pdf: Path


LOGO_NAMES = ("logo.png", "logo.jpg", "logo.jpeg")
# docx files are zip archives whose entries carry the time they were written; a fixed time makes
# the same act render to the same bytes (1980-01-01 is the earliest time a zip entry can hold).
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def packaged_template(tipo: str) -> Path:
    return Path(str(resources.files("atti.templates").joinpath(f"{tipo}.docx")))


def resolve_template(act: Act, template: Path | None = None, templates_dir: Path | None = None) -> Path:
    """The template for an act: an explicit file, else the body's own for its tipo, else ours."""
    if template is not None:
        return template
    if templates_dir is not None:
        own = templates_dir / f"{act.tipo.value}.docx"
        if own.is_file():
            return own
    return packaged_template(act.tipo.value)


def find_logo(templates_dir: Path | None) -> Path | None:
    if templates_dir is None:
        return None
    return next((templates_dir / n for n in LOGO_NAMES if (templates_dir / n).is_file()), None)


def base_name(act: Act) -> str:
    """File name stem, e.g. "determinazione-DO-129-2026" ("...-bozza-2026" for a draft)."""
    register = registro_slug(act.registro) or "atti"
    number = str(act.numero) if act.numero is not None else "bozza"
    return f"{act.tipo.value}-{register}-{number}-{act.anno}"


def _date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def running_header(act: Act) -> str:
    """The act's identification at the top of every page after the first, "DETERMINAZIONE DEL
    DIRETTORE OPERATIVO N. 129/2026 del 19/05/2026"; :mod:`.proof` leaves it out of the text."""
    title = f"{act.titolo} N. {act.estremi}" if act.estremi else act.titolo
    return f"{title} del {_date(act.data)}"


PAGE_NUMBER = re.compile(r"Pagina\s*\d+\s*di\s*\d+")
"""The footer of every page, "Pagina 2 di 5", which :mod:`.proof` leaves out of the text."""


def vote_text(votazione: Votazione) -> str:
    """The vote as the act prints it: "voti unanimi favorevoli" or "voti favorevoli n. 7, contrari
    n. 2, astenuti n. 1"."""
    if votazione.unanimita:
        return "voti unanimi favorevoli"
    return (f"voti favorevoli n. {votazione.favorevoli}, contrari n. {votazione.contrari}, "
            f"astenuti n. {votazione.astenuti}")


def _vote(votazione: Votazione | None) -> dict[str, Any] | None:
    if votazione is None:
        return None
    return {
        "testo": vote_text(votazione), "unanimita": votazione.unanimita, "favorevoli": votazione.favorevoli,
        "contrari": votazione.contrari, "astenuti": votazione.astenuti, "modalita": votazione.modalita or "",
    }


def impegno_text(i: int, act: Act) -> str:
    """One commitment of the visto contabile, as one line of text."""
    assert act.visto_contabile is not None
    imp = act.visto_contabile.impegni[i]
    text = f"esercizio {imp.esercizio}, capitolo {imp.capitolo}"
    text += f", impegno n. {imp.numero}" if imp.numero else ""
    text += f", importo {euro(imp.importo)}"
    text += f", a favore di {imp.beneficiario}" if imp.beneficiario else ""
    text += f", CIG {imp.cig}" if imp.cig else ""
    text += f", CUP {imp.cup}" if imp.cup else ""
    return text


def template_context(act: Act, *, signed: bool = False) -> dict[str, Any]:
    """What a template can use; the documentation of the template language's variables.

    ``signed``: whether the rendering is the one the firmatari sign. Only that one says it is
    signed digitally (``dicitura_firma``) and leaves room for the signature stamps
    (``spazi_firma``, one empty paragraph per firmatario); a preview says nothing a signature
    has not made true. ``firmatari`` is the act's signature block: a firmatario who gives the
    visto contabile signs under the visto instead.
    """
    seduta = act.seduta
    visto = act.visto_contabile
    # Who gives the visto contabile signs under it, not in the act's signature block.
    firmatari = [
        {"nome": f.nome, "qualifica": f.qualifica} for i, f in enumerate(act.firmatari)
        if i == 0 or visto is None or " ".join(f.nome.split()) != " ".join(visto.nome.split())
    ]
    return {
        "ente": {"nome": act.ente.nome, "sito": act.ente.sito or ""},
        "tipo": act.tipo.value,
        "titolo": act.titolo,
        "organo": act.organo,
        "registro": act.registro,
        "numero": act.numero,
        "estremi": act.estremi,
        "data": _date(act.data),
        "intestazione_pagina": running_header(act),
        "oggetto": act.oggetto,
        "autorita": act.intestazione_autorita,
        "poteri": list(act.poteri),
        "premesse": list(act.premesse),
        "visti": list(act.visti),
        "considerato": list(act.considerato),
        "formula": act.formula,
        "punti": list(act.dispositivo.punti),
        "articoli": [
            {
                "numero": n, "titolo": a.titolo or "", "numerati": len(a.commi) > 1,
                "commi": [{"numero": c, "testo": t} for c, t in enumerate(a.commi, start=1)],
            }
            for n, a in enumerate(act.dispositivo.articoli, start=1)
        ],
        "avverte": list(act.avverte),
        "ricorso": act.ricorso or "",
        "allegati": [a.titolo for a in act.allegati],
        "proposta": (
            {"struttura": act.proposta.struttura, "firmatario": act.proposta.firmatario or ""}
            if act.proposta else None
        ),
        "firmatario": firmatari[0],
        "firmatari": firmatari,
        "dicitura_firma": DICITURA_FIRMA if signed else "",
        "spazi_firma": [""] * len(act.firmatari) if signed else [],
        "verifiche": [
            {"tipo": v.tipo, "nome": v.nome, "esito": v.esito.value, "positivo": v.esito is Esito.positivo}
            for v in act.verifiche
        ],
        "seduta": None if seduta is None else {
            "data": _date(seduta.data or act.data),
            "ora": f"{seduta.ora:%H:%M}" if seduta.ora else "",
            "luogo": seduta.luogo or "",
            "convocazione": seduta.convocazione or "",
            "organo": articolo(act.organo) + act.organo,
            "riunito": "riunito" if articolo(act.organo) in ("il ", "lo ") else "riunita",
            "presenti": [{"nome": c.nome, "ruolo": c.ruolo} for c in seduta.presenti],
            "assenti": [{"nome": c.nome, "ruolo": c.ruolo} for c in seduta.assenti],
            "numero_presenti": len(seduta.presenti),
            "numero_assenti": len(seduta.assenti),
            "presidente": {"nome": seduta.presidente.nome, "ruolo": seduta.presidente.ruolo},
            "segretario": {"nome": seduta.segretario.nome, "ruolo": seduta.segretario.ruolo},
        },
        "votazione": _vote(act.votazione),
        "immediata_eseguibilita": None if act.immediata_eseguibilita is None else {
            "votazione": _vote(act.immediata_eseguibilita.votazione),
            "motivazione": act.immediata_eseguibilita.motivazione or "",
        },
        "pareri": [
            {
                "tipo": p.tipo, "esito": p.esito or "", "nome": p.nome or "", "qualifica": p.qualifica or "",
                "data": _date(p.data) if p.data else "", "motivazione": p.motivazione or "",
            }
            for p in act.pareri
        ],
        "visto_contabile": None if visto is None else {
            "nome": visto.nome, "qualifica": visto.qualifica, "data": _date(visto.data), "esito": visto.esito,
            "impegni": [impegno_text(i, act) for i in range(len(visto.impegni))],
            "totale": euro(sum((i.importo for i in visto.impegni), Decimal(0))) if len(visto.impegni) > 1 else "",
            "esecutiva_dal": _date(visto.esecutiva), "note": visto.note or "",
        },
    }


# After Jinja, docxtpl turns "{_{", "}_}", "{_%" and "%_}" of the rendered XML into "{{", "}}",
# "{%" and "%}" (a template's way to print braces), and it would do so inside the act's own text
# too: "alfa }_} beta" came out "alfa }} beta". The act's text therefore writes the underscore of
# those four as a character reference, which the XML parser reads back as "_".
_DOCXTPL_ESCAPES = re.compile(r"(?<=[{}%])_(?=[{}%])")


def _keep_docxtpl_escapes(value: Any) -> Any:
    if value is None or isinstance(value, (jinja2.Undefined, InlineImage)):
        return value
    text = markupsafe.escape(value)
    return markupsafe.Markup(_DOCXTPL_ESCAPES.sub("&#95;", str(text))) if "_" in text else text


class _CompiledTemplates(jinja2.Environment):
    """A Jinja environment that compiles each template part once per process.

    docxtpl compiles every XML part of the DOCX again for every act, which was a third of the
    time of rendering one; a batch renders the same few parts thousands of times.
    """

    _LIMIT = 256

    def __init__(self) -> None:
        super().__init__(autoescape=True, finalize=_keep_docxtpl_escapes)
        self._compiled: dict[str, jinja2.Template] = {}
        self._lock = threading.Lock()

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> jinja2.Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        with self._lock:
            compiled = self._compiled.get(source)
        if compiled is None:
            compiled = super().from_string(source)
            with self._lock:
                if len(self._compiled) >= self._LIMIT:
                    self._compiled.clear()
                self._compiled[source] = compiled
        return compiled


_JINJA = _CompiledTemplates()


class _Entry(NamedTuple):
    """One member of the DOCX zip, compressed: what its local header and central record need."""

    name: bytes
    crc: int
    size: int
    data: bytes


def _entry(name: str, blob: bytes) -> _Entry:
    # zlib's default level, as zipfile's ZIP_DEFLATED: the parts that cost time are compressed
    # once per template, and the few per act are small.
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return _Entry(name.encode("ascii"), zlib.crc32(blob), len(blob), packer.compress(blob) + packer.flush())


class _DeterministicZip:
    """A zip writer for python-docx's packages: fixed entry times, and members given compressed.

    The bytes are those zipfile writes with ZIP_DEFLATED and entries dated 1980-01-01, mode
    0644 (tests compare the two). Members can be handed in already compressed, which
    the template cache does for the parts every act shares: a template's styles are 800 kB of
    XML, and compressing them again for every act was most of the time of rendering one.
    """

    _LOCAL = struct.Struct("<4s2B4HL2L2H")
    _CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
    _END = struct.Struct("<4s4H2LH")
    _DATE = 1 << 5 | 1  # DOS date of 1980-01-01; the time is 00:00:00, so 0
    _ATTR = 0o644 << 16

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._central: list[bytes] = []

    def write(self, pack_uri: Any, blob: bytes) -> None:
        """python-docx's physical writer interface."""
        self.add(_entry(pack_uri.membername, blob))

    def add(self, entry: _Entry) -> None:
        offset = self._out.tell()
        fields = (0, 8, 0, self._DATE, entry.crc, len(entry.data), entry.size, len(entry.name))
        self._out.write(self._LOCAL.pack(b"PK\x03\x04", 20, 0, *fields, 0))
        self._out.write(entry.name)
        self._out.write(entry.data)
        self._central.append(
            self._CENTRAL.pack(b"PK\x01\x02", 20, 3, 20, 0, *fields, 0, 0, 0, 0, self._ATTR, offset)
            + entry.name
        )

    def close(self) -> bytes:
        start = self._out.tell()
        for record in self._central:
            self._out.write(record)
        size = self._out.tell() - start
        count = len(self._central)
        self._out.write(self._END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))
        return self._out.getvalue()


class _Prototype:
    """A template opened once: the document every act's copy is made from, never rendered itself.

    Parts the rendering only reads (styles, fonts, theme, images...) are shared by every act's
    copy rather than copied, and kept compressed; the parts docxtpl and :func:`restart_lists`
    change (the document, its headers, footers, footnotes and numbering, the core properties)
    and the package around them are copied for each act.
    """

    _MUTABLE = (DocumentPart, NumberingPart, CorePropertiesPart, HeaderPart, FooterPart)

    def __init__(self, path: Path) -> None:
        self.document = Document(str(path))
        # The body's XML as docxtpl prepares it for Jinja (regular expressions over all of it).
        reader = DocxTemplate(str(path))
        reader.docx = self.document
        self.body_source: str = reader.patch_xml(reader.get_xml())
        parts = list(self.document.part.package.iter_parts())
        readonly = {id(p) for p in parts if self._read_only(p)}
        # A part is shared only if everything it leads to is: a shared part pointing at the
        # prototype's document would write the prototype's relationships.
        changed = True
        while changed:
            changed = False
            for part in parts:
                if id(part) in readonly and any(
                    not rel.is_external and id(rel.target_part) not in readonly for rel in part.rels.values()
                ):
                    readonly.discard(id(part))
                    changed = True
        self.shared = {id(p): p for p in parts if id(p) in readonly}
        self.entries: dict[int, list[_Entry]] = {}
        for part in self.shared.values():
            entries = [_entry(part.partname.membername, part.blob)]
            if len(part.rels):
                entries.append(_entry(part.partname.rels_uri.membername, part.rels.xml))
            self.entries[id(part)] = entries

    @classmethod
    def _read_only(cls, part: Part) -> bool:
        if isinstance(part, cls._MUTABLE) or "footnotes" in part.content_type:
            return False
        # Plain parts are bytes; of the parsed ones only the styles, which numbering only reads.
        return type(part) is Part or isinstance(part, (ImagePart, StylesPart))

    def copy(self) -> DocxDocument:
        """A fresh document for one act: the mutable parts copied, the read-only ones shared."""
        memo: dict[int, Any] = dict(self.shared)
        copied: DocxDocument = copy.deepcopy(self.document, memo)
        return copied


class _ActTemplate(DocxTemplate):  # type: ignore[misc]
    """docxtpl's template on a copy of the prototype, the body's XML already prepared."""

    def __init__(self, path: Path, prototype: _Prototype) -> None:
        super().__init__(str(path))
        # docxtpl renders the document it holds unless it has rendered it already.
        self.docx = prototype.copy()
        self._body_source = prototype.body_source

    def build_xml(self, context: Any, jinja_env: jinja2.Environment | None = None) -> str:
        xml: str = self.render_xml_part(self._body_source, self.docx._part, context, jinja_env)
        return xml

    def resolve_listing(self, xml: str) -> str:
        # docxtpl turns tabs, line and page breaks in the text into runs, with regular expressions
        # over every paragraph; an act's XML seldom has any, and then there is nothing to do.
        if not any(c in xml for c in "\t\a\n\f"):
            return xml
        resolved: str = super().resolve_listing(xml)
        return resolved


class _Prototypes:
    """Prototypes by template file, reloaded when the file changes (a body edits its template)."""

    _LIMIT = 16

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int, int], _Prototype]] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> _Prototype:
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        # python-docx reads every part: a template's sizes are checked before (a zip bomb).
        with zipfile.ZipFile(path) as zf:
            check_docx(zf)
        prototype = _Prototype(path)
        with self._lock:
            if len(self._cache) >= self._LIMIT:
                self._cache.clear()
            self._cache[path] = (key, prototype)
        return prototype


_PROTOTYPES = _Prototypes()


def _save_deterministic(doc: DocxTemplate, prototype: _Prototype) -> bytes:
    """What ``doc.save()`` writes, minus the clock: the same act gives the same bytes."""
    doc.pre_processing()
    package = doc.docx.part.package
    parts = list(package.iter_parts())
    for part in parts:
        if id(part) not in prototype.shared:
            part.before_marshal()
    zipped = _DeterministicZip()
    # Duck-typed: python-docx only calls write() on its physical writer.
    writer = cast(PhysPkgWriter, zipped)
    PackageWriter._write_content_types_stream(writer, parts)  # type: ignore[no-untyped-call]
    PackageWriter._write_pkg_rels(writer, package.rels)  # type: ignore[no-untyped-call]
    # As PackageWriter._write_parts, taking the shared parts already compressed.
    for part in parts:
        entries = prototype.entries.get(id(part))
        if entries is not None:
            for entry in entries:
                zipped.add(entry)
            continue
        zipped.write(part.partname, part.blob)
        if len(part.rels):
            zipped.write(part.partname.rels_uri, part.rels.xml)
    if doc.crc_to_new_media or doc.crc_to_new_embedded or doc.zipname_to_replace:
        # docxtpl's media replacement runs after a normal save; atti's context never asks for it.
        raise RenderError(_("the template asks docxtpl to replace media, which atti does not support"))
    return zipped.close()


_MARK_XML = (
    f"<w:p {nsdecls('w')}><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:rPr><w:b/><w:color w:val=\"C00000\"/>"
    f"<w:sz w:val=\"22\"/></w:rPr><w:t xml:space=\"preserve\">{BOZZA}</w:t></w:r></w:p>"
)


def mark_unsigned(document: DocxDocument) -> None:
    """Put :data:`BOZZA` at the top of every page: a paragraph of its own opening every header in use.

    The header is added here rather than written in the templates, so that a body's own
    template cannot lose it and a signed rendering cannot keep it. A section that shares its
    previous section's header shares the mark too; a first page or even pages with headers of
    their own get it in those. A template's headers are reached through the document's
    relationships: docxtpl replaces each part it renders, which python-docx's sections still
    hold in their place.
    """
    kinds = [WD_HEADER_FOOTER.PRIMARY]
    if document.settings.odd_and_even_pages_header_footer:
        kinds.append(WD_HEADER_FOOTER.EVEN_PAGE)
    rels = document.part.rels
    for index, section in enumerate(document.sections):
        for kind in [*kinds, *([WD_HEADER_FOOTER.FIRST_PAGE] if section.different_first_page_header_footer else [])]:
            reference = section._sectPr.get_headerReference(kind)
            if reference is None:
                if index > 0:
                    continue  # the previous section's header, marked already
                header = {
                    WD_HEADER_FOOTER.PRIMARY: section.header, WD_HEADER_FOOTER.EVEN_PAGE: section.even_page_header,
                    WD_HEADER_FOOTER.FIRST_PAGE: section.first_page_header,
                }[kind]
                header.is_linked_to_previous = False  # a header of its own, with one empty paragraph
                reference = section._sectPr.get_headerReference(kind)
                assert reference is not None
                element = rels[reference.rId].target_part.element
                for empty in element.findall(qn("w:p")):
                    element.remove(empty)
            element = rels[reference.rId].target_part.element
            # First, above what the header says (the act's identification on later pages).
            element.insert(0, parse_xml(_MARK_XML))


def mark_docx(act_docx: bytes) -> bytes:
    """A band one A4 page wide holding only :data:`BOZZA`, as the act's pages carry it.

    It is the act's own rendering (``act_docx``) emptied, so the mark has the template's fonts
    and sits as far from the top as the act's headers. LibreOffice turns it into a PDF with its
    font embedded, which marks the pages appended from allegati (see
    :func:`atti.templates.allegati.mark_pages`): a mark drawn in a font the file does not embed
    would break the PDF/A the act claims.
    """
    document = Document(io.BytesIO(act_docx))
    body = document.element.body
    last = body.find(qn("w:sectPr"))
    for child in list(body):
        if child is not last:
            body.remove(child)
    if last is None:
        last = body.makeelement(qn("w:sectPr"), {})
        body.append(last)
    for child in list(last):
        if child.tag in {qn("w:headerReference"), qn("w:footerReference"), qn("w:titlePg")}:
            last.remove(child)
    body.insert(0, parse_xml(_MARK_XML))
    section = document.sections[-1]
    top = Mm(section.header_distance.mm if section.header_distance is not None else 12.7)
    section.page_width, section.page_height = Mm(210), Mm(top.mm + 10)
    section.orientation = WD_ORIENT.PORTRAIT
    section.top_margin, section.bottom_margin = top, Mm(0)
    section.header_distance = section.footer_distance = Mm(0)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_docx(
    act: Act, template: Path | None = None, *, templates_dir: Path | None = None, signed: bool = False
) -> bytes:
    """The act as DOCX bytes; the same act and template always give the same bytes.

    ``signed``: the rendering the firmatario signs (``dicitura_firma`` filled in, no mark);
    any other carries :data:`BOZZA` on every page and no dicitura (see :func:`mark_unsigned`).
    Personal data marked [[...]] is rendered without its marks (a publication copy is rendered
    from :func:`atti.acts.personal.publication_act`, which has none left).
    """
    act = plain_act(act)
    path = resolve_template(act, template, templates_dir)
    if not path.is_file():
        raise RenderError(_("template not found: {path}").format(path=path))
    logo = find_logo(templates_dir)
    try:
        prototype = _PROTOTYPES.get(path)
        doc = _ActTemplate(path, prototype)
        context = template_context(act, signed=signed)
        # Without a logo the template's "{%p if logo %}" drops the paragraph entirely.
        context["logo"] = InlineImage(doc, str(logo), height=Mm(18)) if logo else ""
        doc.render(context, jinja_env=_JINJA, autoescape=True)
        restart_lists(doc.docx)
        if not signed:
            mark_unsigned(doc.docx)
        data = _save_deterministic(doc, prototype)
    except DocxTooLarge as exc:
        raise RenderError(_("template {path}: {reason}").format(path=path, reason=exc.msg)) from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(_("template {path} is broken: {reason} (line {line} of its XML)").format(
            path=path, reason=exc.message, line=exc.lineno)) from None
    except jinja2.TemplateError as exc:
        raise RenderError(_("template {path} is broken: {reason}").format(path=path, reason=exc)) from None
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        unusable = _("template {path} is not a usable DOCX file: {reason}")
        raise RenderError(unusable.format(path=path, reason=exc)) from None
    return data


def render_act(
    act: Act,
    out_dir: Path,
    *,
    template: Path | None = None,
    templates_dir: Path | None = None,
    converter: Converter | None = None,
    source: str | None = None,
    base_dir: Path | None = None,
    allegati_dirs: Sequence[Path] = (),
    signed: bool = False,
) -> RenderedAct:
    """Write ``<base>.docx`` and ``<base>.pdf`` into ``out_dir``; nothing is written on failure.

    ``signed``: the rendering is the one to be signed; else it is marked as unsigned on every
    page (see :func:`render_docx`).

    The PDF is PDF/A-2b, or PDF/A-3b when it carries files: the act's YAML ``source`` and its
    metadata (when ``source`` is given) and the allegati with a file (relative to ``base_dir``, and
    inside it or one of ``allegati_dirs``); PDF/A allegati marked ``accodato`` are appended as
    pages instead.
    """
    from atti.templates.allegati import append_pages, appended_pdfs, attachments
    from atti.templates.pdfa import attach_files

    act = plain_act(act)
    docx = render_docx(act, template, templates_dir=templates_dir, signed=signed)
    stem = base_name(act)
    files = attachments(act, stem, source=source, base_dir=base_dir, allegati_dirs=allegati_dirs)
    appended = appended_pdfs(act, base_dir, allegati_dirs)
    owned = converter is None
    conv = converter or Converter()
    try:
        pdf = conv.to_pdf(docx)
        # The pages appended from allegati are marked too when the act is not signed.
        mark = conv.to_pdf(mark_docx(docx)) if appended and not signed else None
    finally:
        if owned:
            conv.close()
    pdf = append_pages(pdf, appended, mark=mark)
    if files:
        pdf = attach_files(pdf, files)
    target = RenderedAct(out_dir / f"{stem}.docx", out_dir / f"{stem}.pdf")
    docx_written = False
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(target.docx, docx)
        docx_written = True
        write_atomic(target.pdf, pdf)
    except BaseException as exc:
        # No DOCX without its PDF, on a full disk as on Ctrl-C or SIGTERM between the two writes
        # (each is atomic by itself); the cleanup may fail the same way (the folder is a file, say).
        if docx_written:
            with contextlib.suppress(OSError):
                target.docx.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(exc, f"the output folder {out_dir}", RenderError) from None
        raise
    return target


def export_templates(dest: Path) -> list[tuple[Path, bool]]:
    """Copy the packaged templates into ``dest`` for a body to edit; never overwrite a file.

    Returns each template's path there and whether it was written now.
    """
    out = []
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for tipo in TipoAtto:
            target = dest / f"{tipo.value}.docx"
            if target.exists():
                out.append((target, False))
                continue
            write_atomic(target, packaged_template(tipo.value).read_bytes())
            out.append((target, True))
    except OSError as exc:
        raise write_error(exc, f"the templates folder {dest}", RenderError) from None
    return out
