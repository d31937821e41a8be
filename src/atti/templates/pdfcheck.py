"""What can be checked of a PDF/A without veraPDF: the claims an archive relies on most.

This is not a PDF/A validator. It checks the properties that break most often and matter most to
a long-term archive, each as a named check with a one-line detail: the file parses cleanly, it
declares PDF/A in its XMP, it is not encrypted, it has an output intent with an ICC profile, every
font is embedded, there is no JavaScript, it is tagged, and (PDF/A-3) every attached file is an
associated file with a relationship. Signatures are counted, for information only.

The PDFs checked come from anywhere (an allegato to append, a PDF to verify), and a compressed
stream of one megabyte can decode to a gigabyte. So qpdf's own limits are set for the whole
process when this module is loaded (:func:`bound_qpdf`): no Flate, RunLength or predictor stream
decodes past QPDF_MAX_STREAM_BYTES (a stream read past it is an error; a stream qpdf would only
copy on saving is copied as stored). The streams read here (the XMP metadata, the ICC profile)
are decoded only when their filters are ones those limits cover.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pikepdf
import pikepdf.settings
from lxml import etree

from atti.errors import VerificationError
from atti.i18n import N_, _, translate

MB = 1_000_000
QPDF_MAX_STREAM_BYTES = 100 * MB
"""The most one stream may decode to in this process (an XMP packet is a few kilobytes, an ICC
profile a few hundred, a page's content a few megabytes)."""


def bound_qpdf() -> None:
    """Set qpdf's decoding limits for the whole process (they are process-wide in qpdf)."""
    pikepdf.settings.set_qpdf_limits(
        flate_max_memory=QPDF_MAX_STREAM_BYTES, run_length_max_memory=QPDF_MAX_STREAM_BYTES,
        png_max_memory=QPDF_MAX_STREAM_BYTES, tiff_max_memory=QPDF_MAX_STREAM_BYTES,
    )


bound_qpdf()

PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RELATIONSHIPS = frozenset({"/Source", "/Data", "/Alternative", "/Supplement", "/Unspecified"})
_CONFORMANCE = {1: "AB", 2: "ABU", 3: "ABU"}


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class AttachedFile:
    name: str
    mime: str | None
    relationship: str | None
    size: int
    associated: bool  # listed in an /AF array


@dataclass(frozen=True)
class PdfCheckReport:
    checks: tuple[Check, ...]
    pdfa: str | None = None  # e.g. "PDF/A-3B"; None when the XMP claims no PDF/A
    attachments: tuple[AttachedFile, ...] = ()
    signatures: int = 0
    failed: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "failed", tuple(c.name for c in self.checks if not c.passed))

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "pdfa": self.pdfa,
            "checks": [asdict(c) for c in self.checks],
            "attachments": [asdict(a) for a in self.attachments],
            "signatures": self.signatures,
        }

    def to_text(self, label: str = "PDF") -> str:
        """A verdict line naming ``label``, then one line per check."""
        verdict = "PASSED" if self.passed else "FAILED"
        signed = (_("{count} signatures") if self.signatures != 1 else _("{count} signature")).format(
            count=self.signatures)
        lines = [f"{verdict}  {label} ({self.pdfa or _('no PDF/A claim')}, {signed})"]
        lines += [f"  {'ok  ' if c.passed else 'FAIL'}  {c.name}: {c.detail}" for c in self.checks]
        return "\n".join(lines)


def one_line(exc: BaseException) -> str:
    # qpdf names the in-memory stream ("stream <_io.BytesIO object at 0x...>: "): noise to a user.
    text = re.sub(r"^.*?<_io\.BytesIO object at 0x[0-9a-f]+>:?\s*", "", " ".join(str(exc).split()))
    return text or type(exc).__name__


def open_pdf(data: bytes) -> pikepdf.Pdf:
    """Parse ``data``; VerificationError ("not a PDF: ...") if it cannot be read as a PDF at all.

    pikepdf.PasswordError passes through: the caller decides what an unreadable encrypted file means.
    """
    if b"%PDF-" not in data[:1024]:
        raise VerificationError(_("not a PDF: no %PDF- header"))
    try:
        return pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise
    except pikepdf.PdfError as exc:
        raise VerificationError(_("not a PDF: {reason}").format(reason=one_line(exc))) from None


def check_pdf(data: bytes) -> PdfCheckReport:
    """Check ``data`` as a PDF/A; raises VerificationError only if it is not a PDF at all."""
    try:
        doc = open_pdf(data)
    except pikepdf.PasswordError:
        return PdfCheckReport((Check("encryption", False,
                                     _("encrypted with a password: nothing else can be checked")),))
    with doc:
        try:
            return _check(doc, data)
        except (pikepdf.PdfError, ValueError, TypeError) as exc:
            # A file that opens but whose objects are broken beyond what the checks can walk.
            raise VerificationError(_("not a PDF: damaged: {reason}").format(reason=one_line(exc))) from None


def _check(doc: pikepdf.Pdf, data: bytes) -> PdfCheckReport:
    root = doc.Root
    pdfa, pdfa_check = _pdfa_identification(root)
    scan = _Scan(doc)
    attachments, attach_check = _attachments(doc, scan, pdfa)
    checks = (
        _syntax(doc, data),
        pdfa_check,
        Check("encryption", not doc.is_encrypted, _("encrypted") if doc.is_encrypted else _("not encrypted")),
        _output_intent(root),
        _fonts(doc),
        Check("javascript", not scan.javascript,
              _("found in {where}").format(where=", ".join(scan.javascript[:5])) if scan.javascript else _("none")),
        _tagged(root),
        attach_check,
    )
    return PdfCheckReport(checks, pdfa, attachments, _count_signatures(root))


def _syntax(doc: pikepdf.Pdf, data: bytes) -> Check:
    if not data.startswith(b"%PDF-"):
        return Check("syntax", False, _("the %PDF- header is not at byte 0"))
    warnings = doc.get_warnings()
    if warnings:
        return Check("syntax", False, _("damaged, read only by repairing it: {reason}").format(
            reason=one_line(Exception(warnings[0]))))
    return Check("syntax", True, _("parsed without repairs"))


class StreamRefused(ValueError):
    """A stream atti will not decode: ``msg`` says why, e.g. "the XMP metadata would expand to more than 100 MB"."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


# The filters whose decoding qpdf bounds (bound_qpdf); LZW, for one, has no limit in qpdf.
_BOUNDED_FILTERS = {"/FlateDecode", "/Fl", "/RunLengthDecode", "/RL", "/ASCIIHexDecode", "/AHx",
                    "/ASCII85Decode", "/A85"}


def read_stream(stream: pikepdf.Stream, what: str) -> bytes:
    """A stream's decoded bytes, within QPDF_MAX_STREAM_BYTES; StreamRefused naming ``what``
    when they would be more, or when a filter is one whose decoding qpdf does not bound."""
    filters = stream.get("/Filter")
    names = [filters] if isinstance(filters, pikepdf.Name) else list(filters) if isinstance(filters, pikepdf.Array) \
        else []
    unbounded = [str(f) for f in names if str(f) not in _BOUNDED_FILTERS]
    if unbounded:
        raise StreamRefused(_("{what} is encoded with {filter}, which atti does not decode").format(
            what=translate(what), filter=unbounded[0]))
    try:
        return bytes(stream.read_bytes())
    except pikepdf.DataDecodingError as exc:
        if "memory limit" in str(exc):
            raise StreamRefused(_("{what} would expand to more than {mb} MB").format(
                what=translate(what), mb=QPDF_MAX_STREAM_BYTES // MB)) from None
        raise


def read_xmp(root: pikepdf.Object) -> Any | None:
    """The parsed XMP packet of the catalog (an lxml tree), or None if there is none.

    StreamRefused when it would decode to too much (:func:`read_stream`).
    """
    metadata = root.get("/Metadata")
    if not isinstance(metadata, pikepdf.Stream):
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.parse(io.BytesIO(read_stream(metadata, N_("the XMP metadata"))), parser)


def xmp_property(tree: Any, namespace: str, name: str) -> str | None:
    """A simple XMP property, written either as an element or as an attribute of rdf:Description."""
    key = f"{{{namespace}}}{name}"
    for desc in tree.iter(f"{{{RDF_NS}}}Description"):
        if key in desc.attrib:
            return str(desc.get(key)).strip()
        for element in desc.iter(key):
            return str(element.text or "").strip()
    return None


def _pdfa_identification(root: pikepdf.Object) -> tuple[str | None, Check]:
    try:
        tree = read_xmp(root)
    except StreamRefused as exc:
        return None, Check("pdfa", False, exc.msg)
    except etree.XMLSyntaxError as exc:
        return None, Check("pdfa", False, _("the XMP metadata is not valid XML: {reason}").format(reason=exc))
    if tree is None:
        return None, Check("pdfa", False, _("no XMP metadata in the catalog"))
    part = xmp_property(tree, PDFAID_NS, "part")
    conformance = (xmp_property(tree, PDFAID_NS, "conformance") or "").upper()
    if part is None:
        return None, Check("pdfa", False, _("the XMP metadata has no pdfaid:part"))
    claim = f"PDF/A-{part}{conformance}"
    if not part.isdigit() or conformance not in _CONFORMANCE.get(int(part), "") or not conformance:
        return claim, Check("pdfa", False, _("not a valid PDF/A identification: {claim}").format(claim=claim))
    if "/Filter" in root.Metadata.stream_dict:
        return claim, Check("pdfa", False, _("{claim}, but the XMP stream is compressed (PDF/A forbids it)").format(
            claim=claim))
    return claim, Check("pdfa", True, _("{claim} declared in the XMP metadata").format(claim=claim))


def _output_intent(root: pikepdf.Object) -> Check:
    for intent in root.get("/OutputIntents", pikepdf.Array()):
        if not isinstance(intent, pikepdf.Dictionary) or intent.get("/S") != pikepdf.Name.GTS_PDFA1:
            continue
        profile = intent.get("/DestOutputProfile")
        if not isinstance(profile, pikepdf.Stream):
            return Check("output-intent", False, _("GTS_PDFA1 output intent without a DestOutputProfile"))
        try:
            icc = read_stream(profile, N_("the output intent's ICC profile"))
        except StreamRefused as exc:
            return Check("output-intent", False, exc.msg)
        # Every ICC profile carries the signature "acsp" at byte 36 (ICC.1 7.2.9).
        if icc[36:40] != b"acsp":
            return Check("output-intent", False, _("the output intent's DestOutputProfile is not an ICC profile"))
        name = str(intent.get("/OutputConditionIdentifier", _("unnamed")))
        return Check("output-intent", True, _("GTS_PDFA1 with ICC profile ({name})").format(name=name))
    return Check("output-intent", False, _("no GTS_PDFA1 output intent"))


def _tagged(root: pikepdf.Object) -> Check:
    mark_info = root.get("/MarkInfo")
    marked = isinstance(mark_info, pikepdf.Dictionary) and bool(mark_info.get("/Marked", False))
    tree = isinstance(root.get("/StructTreeRoot"), pikepdf.Dictionary)
    missing = [what for what, ok in (("/MarkInfo /Marked true", marked), ("/StructTreeRoot", tree)) if not ok]
    if missing:
        return Check("tagged", False, _("missing {what}").format(what=_(" and ").join(missing)))
    return Check("tagged", True, _("/MarkInfo /Marked true and a /StructTreeRoot"))


def _fonts(doc: pikepdf.Pdf) -> Check:
    seen: set[tuple[int, int]] = set()
    fonts: dict[str, bool] = {}  # name -> embedded
    where: dict[str, int] = {}

    def visit(obj: Any) -> bool:
        # Direct objects cannot form cycles; indirect ones are walked once.
        if obj.is_indirect:
            if obj.objgen in seen:
                return False
            seen.add(obj.objgen)
        return True

    def resources(res: Any, page: int) -> None:
        if not isinstance(res, pikepdf.Dictionary) or not visit(res):
            return
        for font in _values(res.get("/Font")):
            if isinstance(font, pikepdf.Dictionary) and visit(font):
                check_font(font, page)
        for xobject in _values(res.get("/XObject")):
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form and visit(xobject):
                resources(xobject.get("/Resources"), page)
        for pattern in _values(res.get("/Pattern")):
            if isinstance(pattern, pikepdf.Stream) and visit(pattern):
                resources(pattern.get("/Resources"), page)

    def check_font(font: pikepdf.Dictionary, page: int) -> None:
        name = str(font.get("/BaseFont", "(unnamed)")).lstrip("/")
        subtype = font.get("/Subtype")
        if subtype == pikepdf.Name.Type3:
            # Type3 glyphs are content streams inside the PDF; only the fonts they use need checking.
            fonts.setdefault(name, True)
            resources(font.get("/Resources"), page)
            return
        descriptors = [font.get("/FontDescriptor")]
        if subtype == pikepdf.Name.Type0:
            descriptors = [d.get("/FontDescriptor") for d in _values(font.get("/DescendantFonts"))
                           if isinstance(d, pikepdf.Dictionary)]
        embedded = bool(descriptors) and all(
            isinstance(d, pikepdf.Dictionary) and any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            for d in descriptors
        )
        fonts[name] = fonts.get(name, True) and embedded
        where.setdefault(name, page)

    for number, page in enumerate(doc.pages, start=1):
        resources(page.obj.get("/Resources"), number)
        for annot in _values(page.obj.get("/Annots")):
            appearance = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
            for state in _values(appearance):
                # An appearance entry is a form XObject or a dictionary of them, one per state.
                for form in [state] if isinstance(state, pikepdf.Stream) else _values(state):
                    if isinstance(form, pikepdf.Stream) and visit(form):
                        resources(form.get("/Resources"), number)
    missing = [_("{font} (page {page})").format(font=name, page=where[name])
               for name, ok in sorted(fonts.items()) if not ok]
    if missing:
        return Check("fonts", False, _("not embedded: {fonts}").format(fonts=", ".join(missing)))
    embedded = _("{count} fonts, all embedded") if len(fonts) != 1 else _("{count} font, all embedded")
    return Check("fonts", True, embedded.format(count=len(fonts)))


def _values(obj: Any) -> list[Any]:
    if isinstance(obj, pikepdf.Dictionary):
        return list(obj.values())
    if isinstance(obj, pikepdf.Array):
        return list(obj)
    return []


class _Scan:
    """One pass over every object of the file, so that nothing hides from the JavaScript check
    behind an unusual route (a names tree, an action chain, an annotation's /AA...)."""

    def __init__(self, doc: pikepdf.Pdf) -> None:
        self.javascript: list[str] = []
        self.associated: set[tuple[int, int]] = set()
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Stream):
                self._walk(obj.stream_dict, _("object {number}").format(number=obj.objgen[0]))
            elif isinstance(obj, pikepdf.Dictionary | pikepdf.Array):
                self._walk(obj, _("object {number}").format(number=obj.objgen[0]))
        if doc.Root.get("/OpenAction") is not None and self._has_js(doc.Root.OpenAction):
            self.javascript.insert(0, _("the document's OpenAction"))

    @staticmethod
    def _has_js(obj: Any) -> bool:
        return isinstance(obj, pikepdf.Dictionary) and ("/JS" in obj or obj.get("/S") == pikepdf.Name.JavaScript)

    def _walk(self, top: Any, where: str) -> None:
        stack: list[Any] = [top]
        while stack:
            obj = stack.pop()
            if isinstance(obj, pikepdf.Dictionary):
                if self._has_js(obj):
                    self.javascript.append(_("a JavaScript action in {where}").format(where=where))
                if "/JavaScript" in obj:
                    self.javascript.append(_("a JavaScript name tree in {where}").format(where=where))
                for af in _values(obj.get("/AF")) if "/AF" in obj else []:
                    if isinstance(af, pikepdf.Object) and af.is_indirect:
                        self.associated.add(af.objgen)
                children = list(obj.values())
            elif isinstance(obj, pikepdf.Array):
                children = list(obj)
            else:
                continue
            # Indirect children are objects of their own in doc.objects: each is walked once there.
            stack.extend(c for c in children if isinstance(c, pikepdf.Object) and not c.is_indirect)


def _embedded_files(doc: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Dictionary]]:
    names = doc.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and isinstance(names.get("/EmbeddedFiles"), pikepdf.Dictionary):
        for key, spec in pikepdf.NameTree(names.EmbeddedFiles).items():
            if isinstance(spec, pikepdf.Dictionary):
                yield key, spec


def embedded_files(doc: pikepdf.Pdf) -> Iterator[tuple[str, str, bytes]]:
    """(name, description, decoded bytes) of each file embedded in ``doc``, in name-tree order."""
    for key, spec in _embedded_files(doc):
        ef = spec.get("/EF")
        stream = ef.get("/F") if isinstance(ef, pikepdf.Dictionary) else None
        if not isinstance(stream, pikepdf.Stream):
            continue
        try:
            data = bytes(stream.read_bytes())
        except pikepdf.PdfError:
            data = bytes(stream.read_raw_bytes())
        yield str(spec.get("/UF", spec.get("/F", key))), str(spec.get("/Desc", "")), data


def _attachments(doc: pikepdf.Pdf, scan: _Scan, pdfa: str | None) -> tuple[tuple[AttachedFile, ...], Check]:
    files: list[AttachedFile] = []
    problems: list[str] = []
    for key, spec in _embedded_files(doc):
        name = str(spec.get("/UF", spec.get("/F", key)))
        ef = spec.get("/EF")
        stream = ef.get("/F") if isinstance(ef, pikepdf.Dictionary) else None
        stream = stream if isinstance(stream, pikepdf.Stream) else None
        mime = str(stream.get("/Subtype"))[1:] if stream is not None and "/Subtype" in stream else None
        relationship = str(spec["/AFRelationship"])[1:] if "/AFRelationship" in spec else None
        params = stream.get("/Params") if stream is not None else None
        size = int(params.get("/Size", -1)) if isinstance(params, pikepdf.Dictionary) else -1
        associated = spec.is_indirect and spec.objgen in scan.associated
        files.append(AttachedFile(name, mime, relationship, size, associated))
        lacks = [k for k in ("/F", "/UF", "/Desc") if k not in spec]
        if "/AFRelationship" not in spec or spec.AFRelationship not in RELATIONSHIPS:
            lacks.append(_("a valid /AFRelationship"))
        if not associated:
            lacks.append(_("a place in an /AF array"))
        if stream is None:
            lacks.append(_("an embedded file stream"))
        else:
            if mime is None:
                lacks.append(_("a MIME /Subtype"))
            if not isinstance(params, pikepdf.Dictionary) or "/ModDate" not in params:
                lacks.append("/Params /ModDate")
        if lacks:
            problems.append(_("{name} lacks {what}").format(name=name, what=", ".join(lacks)))
    if not files:
        return (), Check("attachments", True, _("no attached files"))
    listing = ", ".join(f"{f.name} ({f.relationship or '?'}, {f.mime or '?'})" for f in files)
    if pdfa is not None and pdfa[:7] in ("PDF/A-1", "PDF/A-2"):
        # PDF/A-1 forbids attachments; PDF/A-2 allows only PDF/A files, which atti never attaches.
        return tuple(files), Check("attachments", False, _("{pdfa} cannot carry these files: {listing}").format(
            pdfa=pdfa[:7], listing=listing))
    if problems:
        return tuple(files), Check("attachments", False, "; ".join(problems))
    return tuple(files), Check("attachments", True, _("{count} associated: {listing}").format(
        count=len(files), listing=listing))


def _count_signatures(root: pikepdf.Object) -> int:
    form = root.get("/AcroForm")
    stack = list(_values(form.get("/Fields"))) if isinstance(form, pikepdf.Dictionary) else []
    seen: set[tuple[int, int]] = set()
    count = 0
    while stack:
        fld = stack.pop()
        if not isinstance(fld, pikepdf.Dictionary) or (fld.is_indirect and fld.objgen in seen):
            continue
        if fld.is_indirect:
            seen.add(fld.objgen)
        if fld.get("/FT") == pikepdf.Name.Sig and isinstance(fld.get("/V"), pikepdf.Dictionary):
            count += 1
        stack.extend(_values(fld.get("/Kids")))
    return count
