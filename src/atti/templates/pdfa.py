"""PDF/A-2b -> PDF/A-3b with associated files (ISO 19005-3), so an act carries its own source.

LibreOffice can only write PDF/A-2 without attachments; PDF/A-3 adds exactly one thing, files of
any kind attached as "associated files". This module rewrites the PDF once with pikepdf (qpdf),
which keeps every object LibreOffice wrote (fonts, output intent, structure tree, marked content)
and changes only what ISO 19005-3 needs:

* one file specification per attachment, with /F and /UF, /Desc and /AFRelationship, its
  embedded file stream carrying a MIME /Subtype and /Params (/ModDate, /Size, /CheckSum);
* the catalog's /Names /EmbeddedFiles name tree and /AF array, both pointing at them;
* pdfaid:part 2 -> 3 in the XMP packet, nothing else in it.

The output depends only on the inputs: no clock is read (each file's date comes from the caller)
and the trailer /ID is derived from the content (qpdf's deterministic ID), so the same
PDF and attachments always give the same bytes. The result is a plain single-revision PDF that
pyHanko can then sign with an incremental update.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

import pikepdf
from lxml import etree

from atti.errors import RenderError
from atti.templates.pdfcheck import PDFAID_NS, RDF_NS, one_line

Relationship = Literal["Source", "Data", "Alternative", "Supplement", "Unspecified"]
# A MIME type as RFC 6838 restricts names; it becomes a PDF name, where '/' is written #2F.
_MIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")


@dataclass(frozen=True)
class Attachment:
    """One file to attach: ``name`` is a bare file name (no directories), shown by PDF readers."""

    name: str
    data: bytes
    mime: str
    description: str
    relationship: Relationship
    # Passed in, never read from the clock: the same inputs must give the same bytes.
    modified: datetime

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in "/\\\0") or self.name in {".", ".."}:
            raise ValueError(f"attachment name must be a bare file name: {self.name!r}")
        if not _MIME.match(self.mime):
            raise ValueError(f"not a MIME type: {self.mime!r}")
        if self.relationship not in get_args(Relationship):
            raise ValueError(f"not an AFRelationship: {self.relationship!r}")
        if self.modified.utcoffset() is None:
            raise ValueError("attachment date must carry a time zone")


def pdf_date(when: datetime) -> str:
    """A PDF date string (ISO 32000-1 7.9.4), e.g. D:20260519103000+02'00'."""
    offset = when.utcoffset()
    if offset is None:
        raise ValueError(f"a PDF date needs a time zone: {when.isoformat()}")
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    zone = "Z" if minutes == 0 else f"{sign}{hours:02d}'{mins:02d}'"
    return f"D:{when:%Y%m%d%H%M%S}{zone}"


def _ascii_name(name: str) -> str:
    # /F is meant for PDFDocEncoding-era readers: keep it 7-bit; /UF carries the real name.
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", folded) or "file"


def set_pdfa_part(xmp: bytes, part: int) -> bytes:
    """The XMP packet with pdfaid:part set to ``part``; raises RenderError if it claims no PDF/A."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    try:
        tree = etree.parse(io.BytesIO(xmp), parser)
    except etree.XMLSyntaxError as exc:
        raise RenderError(f"the PDF's XMP metadata is not valid XML: {exc}") from None
    key = f"{{{PDFAID_NS}}}part"
    found = False
    # pdfaid:part may be written as an element or, in the abbreviated RDF form, as an attribute.
    for desc in tree.iter(f"{{{RDF_NS}}}Description"):
        if key in desc.attrib:
            desc.set(key, str(part))
            found = True
        for element in desc.iter(key):
            element.text = str(part)
            found = True
    if not found:
        raise RenderError("the PDF does not declare PDF/A in its XMP metadata (no pdfaid:part)")
    out: bytes = etree.tostring(tree, encoding="utf-8")
    return out


def _embedded_file(pdf: pikepdf.Pdf, item: Attachment) -> pikepdf.Stream:
    params = pikepdf.Dictionary(
        ModDate=pdf_date(item.modified),
        Size=len(item.data),
        CheckSum=pikepdf.String(hashlib.md5(item.data, usedforsecurity=False).digest()),
    )
    # Compressed here rather than by qpdf on save, so that the level (and so the bytes) is ours.
    stream = pikepdf.Stream(pdf, zlib.compress(item.data, 9))
    stream.Type = pikepdf.Name.EmbeddedFile
    stream.Subtype = pikepdf.Name("/" + item.mime)
    stream.Filter = pikepdf.Name.FlateDecode
    stream.Params = params
    return stream


def attach_files(pdf: bytes, files: Sequence[Attachment]) -> bytes:
    """``pdf`` (PDF/A-2 or PDF/A-3) as PDF/A-3 with ``files`` attached as associated files.

    Raises RenderError when ``pdf`` is not a readable, unencrypted PDF/A with XMP metadata, or
    when a name is already attached; ValueError for two attachments with the same name.
    """
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise ValueError(f"attachment names repeat: {names}")
    try:
        doc = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PasswordError:
        raise RenderError("cannot attach files: the PDF is encrypted") from None
    except pikepdf.PdfError as exc:
        raise RenderError(f"cannot attach files: not a PDF: {one_line(exc)}") from None
    with doc:
        if doc.is_encrypted:
            raise RenderError("cannot attach files: the PDF is encrypted (PDF/A forbids it)")
        root = doc.Root
        metadata = root.get("/Metadata")
        if not isinstance(metadata, pikepdf.Stream):
            raise RenderError("cannot attach files: the PDF has no XMP metadata, so it is not PDF/A")
        xmp = set_pdfa_part(metadata.read_bytes(), 3)
        # PDF/A forbids filters on the metadata stream: write it back as plain bytes.
        root.Metadata = doc.make_stream(xmp, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)

        if "/Names" not in root:
            root.Names = doc.make_indirect(pikepdf.Dictionary())
        if "/EmbeddedFiles" not in root.Names:
            root.Names.EmbeddedFiles = pikepdf.NameTree.new(doc).obj
        tree = pikepdf.NameTree(root.Names.EmbeddedFiles)
        if "/AF" not in root:
            root.AF = doc.make_indirect(pikepdf.Array())
        for item in files:
            if item.name in tree:
                raise RenderError(f"cannot attach files: the PDF already has an attachment named {item.name!r}")
            stream = _embedded_file(doc, item)
            spec = doc.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Filespec,
                    F=_ascii_name(item.name),
                    UF=item.name,
                    Desc=item.description,
                    AFRelationship=pikepdf.Name("/" + item.relationship),
                    EF=pikepdf.Dictionary(F=stream, UF=stream),
                )
            )
            tree[item.name] = spec
            root.AF.append(spec)

        # LibreOffice's private checksum of the file it wrote: stale once the file is rewritten.
        if "/DocChecksum" in doc.trailer:
            del doc.trailer.DocChecksum
        out = io.BytesIO()
        # /UF and associated files are PDF 1.7 features; fix_metadata_version would rewrite the
        # XMP through pikepdf's own serializer, so it stays off: the packet is already right.
        doc.save(out, min_version="1.7", fix_metadata_version=False, deterministic_id=True)
    return out.getvalue()
