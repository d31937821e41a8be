"""PDF/A-2b -> PDF/A-3b with associated files (ISO 19005-3), so an act carries its own source.

LibreOffice can only write PDF/A-2 without attachments; PDF/A-3 adds exactly one thing, files of
any kind attached as "associated files". This module keeps every object LibreOffice wrote (fonts,
output intent, structure tree, marked content) and changes only what ISO 19005-3 needs:

* one file specification per attachment, with /F and /UF, /Desc and /AFRelationship, its
  embedded file stream carrying a MIME /Subtype and /Params (/ModDate, /Size, /CheckSum);
* the catalog's /Names /EmbeddedFiles name tree and /AF array, both pointing at them;
* pdfaid:part 2 -> 3 in the XMP packet, nothing else in it.

A PDF as LibreOffice writes it (one revision, a classic cross-reference table, a catalog with
neither /Names nor /AF) gets these as an incremental update appended to its bytes: rewriting the
whole file with pikepdf (qpdf) cost twenty times as much, and a batch renders thousands. Any
other PDF is rewritten with pikepdf. Either way the output depends only on the inputs: no clock
is read (each file's date comes from the caller) and the trailer /ID is derived from the content,
so the same PDF and attachments always give the same bytes; pyHanko then signs it with one more
incremental update.
"""

from __future__ import annotations

import binascii
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
from atti.i18n import _
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
        raise RenderError(_("the PDF's XMP metadata is not valid XML: {reason}").format(reason=exc)) from None
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
        raise RenderError(_("the PDF does not declare PDF/A in its XMP metadata (no pdfaid:part)"))
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
    layout = _simple_layout(pdf)
    if layout is not None:
        return _append_update(pdf, layout, files)
    return _rewrite(pdf, files)


def _rewrite(pdf: bytes, files: Sequence[Attachment]) -> bytes:
    """attach_files for any PDF: rewritten whole by pikepdf."""
    try:
        doc = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PasswordError:
        raise RenderError(_("cannot attach files: the PDF is encrypted")) from None
    except pikepdf.PdfError as exc:
        raise RenderError(_("cannot attach files: not a PDF: {reason}").format(reason=one_line(exc))) from None
    with doc:
        if doc.is_encrypted:
            raise RenderError(_("cannot attach files: the PDF is encrypted (PDF/A forbids it)"))
        root = doc.Root
        metadata = root.get("/Metadata")
        if not isinstance(metadata, pikepdf.Stream):
            raise RenderError(_("cannot attach files: the PDF has no XMP metadata, so it is not PDF/A"))
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
                raise RenderError(_("cannot attach files: the PDF already has an attachment named {name}").format(
                    name=repr(item.name)))
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


# -- the incremental update, for PDFs as LibreOffice writes them --------------------------------------

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_SUBSECTION = re.compile(rb"(\d+) (\d+)\r?\n")
_REF = re.compile(rb"/(Root|Info)\s+(\d+)\s+0\s+R")
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]")
_SIZE = re.compile(rb"/Size\s+(\d+)")
_METADATA = re.compile(rb"/Metadata\s+(\d+)\s+0\s+R")
# A number followed by the next key or the end of the dictionary; "12 0 R" is not one.
_DIRECT_LENGTH = re.compile(rb"/Length\s+(\d+)(?=\s*[/>])")
# A key that means the simple layout does not hold; a false alarm only costs the slower path.
_CATALOG_TAKEN = re.compile(rb"/(?:Names|AF|Version|Extensions)(?![A-Za-z0-9])")
_TRAILER_TAKEN = re.compile(rb"/(?:Prev|Encrypt|XRefStm)(?![A-Za-z0-9])")


@dataclass(frozen=True)
class _Layout:
    startxref: int
    size: int
    root: int
    info: int | None
    first_id: bytes
    catalog: bytes
    """The catalog dictionary's text, ``<<`` to ``>>``."""
    metadata: int
    xmp: bytes


def _object_body(pdf: bytes, offsets: dict[int, int], number: int) -> bytes | None:
    """The text between ``N 0 obj`` and ``endobj`` (or ``stream``), stripped; None if not found."""
    offset = offsets.get(number)
    if offset is None:
        return None
    header = re.compile(rb"%d 0 obj\s*" % number).match(pdf, offset)
    if header is None:
        return None
    end = pdf.find(b"endobj", header.end())
    return pdf[header.end():end].strip() if end > 0 else None


def _simple_layout(pdf: bytes) -> _Layout | None:
    """What the update needs of ``pdf``, or None unless it is laid out as LibreOffice writes it."""
    tail = _STARTXREF.search(pdf, max(0, len(pdf) - 64))
    if tail is None or not pdf.startswith(b"%PDF-1."):
        return None
    startxref = int(tail.group(1))
    if not pdf.startswith(b"xref", startxref):
        return None  # a cross-reference stream
    trailer_at = pdf.find(b"trailer", startxref, tail.start())
    if trailer_at < 0:
        return None
    trailer = pdf[trailer_at:tail.start()]
    refs = {m.group(1): int(m.group(2)) for m in _REF.finditer(trailer)}
    ids, size = _ID.search(trailer), _SIZE.search(trailer)
    if b"Root" not in refs or ids is None or size is None or _TRAILER_TAKEN.search(trailer):
        return None
    offsets: dict[int, int] = {}
    at = startxref + 4
    while at < trailer_at:
        while pdf[at:at + 1] in (b"\r", b"\n", b" "):
            at += 1
        sub = _SUBSECTION.match(pdf, at)
        if sub is None:
            break
        first, count = int(sub.group(1)), int(sub.group(2))
        at = sub.end()
        for i in range(count):
            entry = pdf[at + 20 * i:at + 20 * i + 18]
            if entry.endswith(b"n"):
                offsets[first + i] = int(entry[:10])
        at += 20 * count
    catalog = _object_body(pdf, offsets, refs[b"Root"])
    if catalog is None or not (catalog.startswith(b"<<") and catalog.endswith(b">>")):
        return None
    metadata = _METADATA.findall(catalog)
    if len(metadata) != 1 or _CATALOG_TAKEN.search(catalog):
        return None
    number = int(metadata[0])
    xmp = _xmp_stream(pdf, offsets, number)
    if xmp is None:
        return None
    return _Layout(
        startxref, int(size.group(1)), refs[b"Root"], refs.get(b"Info"), ids.group(1), catalog, number, xmp
    )


def _xmp_stream(pdf: bytes, offsets: dict[int, int], number: int) -> bytes | None:
    body = _object_body(pdf, offsets, number)
    if body is None or b"stream" not in body:
        return None
    head, _sep, _rest = body.partition(b"stream")
    length = _DIRECT_LENGTH.search(head)
    if b"/Filter" in head or b"/DecodeParms" in head or length is None:
        return None
    start = pdf.find(head, offsets[number]) + len(head) + len(b"stream")
    start += 2 if pdf.startswith(b"\r\n", start) else 1
    end = start + int(length.group(1))
    after = end + 2 if pdf.startswith(b"\r\n", end) else end + 1 if pdf[end:end + 1] in (b"\r", b"\n") else end
    return pdf[start:end] if pdf.startswith(b"endstream", after) else None


def _name(value: str) -> bytes:
    """A PDF name: characters outside ``!``-``~`` and delimiters written as ``#xx``."""
    out = bytearray(b"/")
    for byte in value.encode("utf-8"):
        out += b"#%02X" % byte if byte < 0x21 or byte > 0x7E or byte in b"()<>[]{}/%#" else bytes([byte])
    return bytes(out)


def _text(value: str) -> bytes:
    """A PDF text string: a literal in ASCII, else UTF-16BE with its byte order mark, in hex."""
    if value.isascii():
        escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        escaped = escaped.replace("\r", "\\r").replace("\n", "\\n")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<FEFF" + binascii.hexlify(value.encode("utf-16-be")).upper() + b">"


def _text_key(value: str) -> bytes:
    """The bytes a name tree sorts by: those of the string as :func:`_text` writes it."""
    return value.encode("ascii") if value.isascii() else b"\xfe\xff" + value.encode("utf-16-be")


def _append_update(pdf: bytes, layout: _Layout, files: Sequence[Attachment]) -> bytes:
    xmp = set_pdfa_part(layout.xmp, 3)
    objects: dict[int, bytes] = {
        layout.metadata: b"<</Type/Metadata/Subtype/XML/Length %d>>\nstream\n%b\nendstream" % (len(xmp), xmp)
    }
    number = layout.size
    specs: list[tuple[bytes, bytes, int]] = []
    for item in files:
        data = zlib.compress(item.data, 9)
        checksum = binascii.hexlify(hashlib.md5(item.data, usedforsecurity=False).digest()).upper()
        objects[number] = (
            b"<</Type/EmbeddedFile/Subtype%b/Filter/FlateDecode/Params<</ModDate%b/Size %d/CheckSum<%b>>>"
            b"/Length %d>>\nstream\n%b\nendstream"
            % (_name(item.mime), _text(pdf_date(item.modified)), len(item.data), checksum, len(data), data)
        )
        objects[number + 1] = (
            b"<</Type/Filespec/F%b/UF%b/Desc%b/AFRelationship%b/EF<</F %d 0 R/UF %d 0 R>>>>"
            % (_text(_ascii_name(item.name)), _text(item.name), _text(item.description),
               _name(item.relationship), number, number)
        )
        specs.append((_text_key(item.name), _text(item.name), number + 1))
        number += 2
    # A name tree's keys are in byte order; /AF keeps the caller's order.
    names = b" ".join(b"%b %d 0 R" % (text, n) for _key, text, n in sorted(specs))
    tree, names_dict, af = number, number + 1, number + 2
    objects[tree] = b"<</Names[" + names + b"]>>"
    objects[names_dict] = b"<</EmbeddedFiles %d 0 R>>" % tree
    objects[af] = b"[" + b" ".join(b"%d 0 R" % n for _key, _text, n in specs) + b"]"
    size = af + 1
    objects[layout.root] = layout.catalog[:-2] + b"/AF %d 0 R/Names %d 0 R>>" % (af, names_dict)

    # /UF and associated files are PDF 1.7 features; the header has room for the new version.
    out = bytearray(pdf)
    if out[5:8] < b"1.7":
        out[5:8] = b"1.7"
    if not out.endswith(b"\n"):
        out += b"\n"
    start = len(out)
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%b\nendobj\n" % (num, objects[num])
    # The second /ID half identifies this version: derived from it, not from the clock.
    new_id = hashlib.md5(bytes(out[start:]) + layout.first_id, usedforsecurity=False).hexdigest().upper()
    xref = len(out)
    out += b"xref\n"
    numbers = sorted(offsets)
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        out += b"%d %d\n" % (numbers[i], j - i + 1)
        for num in numbers[i:j + 1]:
            out += b"%010d 00000 n \n" % offsets[num]
        i = j + 1
    info = b"/Info %d 0 R" % layout.info if layout.info is not None else b""
    out += b"trailer\n<</Size %d/Root %d 0 R%b/ID[<%b><%b>]/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (
        size, layout.root, info, layout.first_id, new_id.encode(), layout.startxref, xref
    )
    return bytes(out)
