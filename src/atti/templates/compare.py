"""Are two renderings of an act the same document, and if not, what differs for a person?

LibreOffice stamps every conversion: the trailer /ID and its private /DocChecksum, the Info
/CreationDate and /ModDate, the XMP dates and xmpMM identifiers, and the creation date in the
header of the ICC profile it generates for the output intent. Those strings also shift every
byte offset after them, so raw bytes never match. Here both files are parsed and walked in step
from the catalog: indirect objects are paired by the route that reaches them (so renumbering
does not matter), streams are compared decoded, the stamped values are skipped, and the XMP is
compared property by property. That walk decides whether the two are the same.

What it finds ("page 1/Resources/Font/F1/FontDescriptor/FontFile2: stream data differs") is the
PDF's internals: the report a person reads says instead, in this order, how many pages each has,
which page's text differs and in which words (:func:`atti.acts.diff.word_diff`), which pages have
the same words laid out otherwise, which attached files were added, removed or changed (named,
with their SHA-256), which signature fields were added or signed, and the title and PDF/A claim.
The internals are kept for ``--verbose`` (:attr:`PdfComparison.details`). Signatures are counted
and told apart, not verified: that is ``atti verify``'s work, in the signing layer.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
from dataclasses import dataclass
from typing import Any

import pikepdf
from lxml import etree

from atti.acts.diff import DELETED, EQUAL, Segment, word_diff
from atti.errors import VerificationError
from atti.i18n import N_, _, translate
from atti.templates.pagewords import COMPARE_MAX_PAGES, Page, page_words
from atti.templates.pdfcheck import (
    PDFAID_NS,
    RDF_NS,
    StreamRefused,
    embedded_files,
    one_line,
    open_pdf,
    read_xmp,
    xmp_property,
)

_IGNORED_TRAILER = {"/ID", "/DocChecksum", "/Size", "/Prev", "/XRefStm", "/Root", "/Info"}
_IGNORED_INFO = {"/CreationDate", "/ModDate"}
XMP_NS = "http://ns.adobe.com/xap/1.0/"
XMPMM_NS = "http://ns.adobe.com/xap/1.0/mm/"
_VOLATILE_XMP = {f"{{{XMP_NS}}}{n}" for n in ("CreateDate", "ModifyDate", "MetadataDate")}
_MAX_ITEMS = 50
_CONTEXT = 6  # words kept on each side of a change in the text report
_MOVED = 0.5  # points a word may shift before the page counts as laid out otherwise
# The Info entries a person reads (a document viewer shows them); the rest is the producer's.
_INFO = (("/Title", "title"), ("/Author", "author"), ("/Subject", "subject"), ("/Keywords", "keywords"))
# What draws a page besides its text: a difference there changes how the page looks.
_DRAWING = ("/Contents", "/Resources/XObject", "/MediaBox", "/CropBox", "/Rotate")


@dataclass(frozen=True)
class PageChange:
    """A page whose text differs: ``changed`` (with its redline), ``added`` to B or ``removed`` from A."""

    kind: str
    page_a: int | None  # 1-based
    page_b: int | None
    words: tuple[Segment, ...]  # for a changed page A's text turned into B's; else the page's text, equal

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "page_a": self.page_a, "page_b": self.page_b,
                "words": [w.to_dict() for w in self.words]}

    def to_text(self) -> str:
        shown = _cut(self.words[0].text if self.words else "", 2 * _CONTEXT)
        if self.kind == "added":
            return _("page {page} added: {text}").format(page=self.page_b, text=shown)
        if self.kind == "removed":
            return _("page {page} removed: {text}").format(page=self.page_a, text=shown)
        return _("{page} text: {redline}").format(page=_page_name(self.page_a, self.page_b),
                                                   redline=_redline(self.words))


_LAYOUT_WHY = {
    "moved": N_("the same words, in other places"),
    "size": N_("the same words, on a page of another size"),
    "drawing": N_("the same words in the same places, drawn otherwise (lines, images)"),
}


@dataclass(frozen=True)
class LayoutChange:
    """A page with the same words as its pair in the other file, but laid out or drawn otherwise."""

    page_a: int
    page_b: int
    why: str  # "moved", "size" or "drawing"

    def to_dict(self) -> dict[str, Any]:
        return {"page_a": self.page_a, "page_b": self.page_b, "why": self.why}

    def to_text(self) -> str:
        because = translate(_LAYOUT_WHY[self.why])
        return _("layout of {page} differs: {because}").format(
            page=_page_name(self.page_a, self.page_b), because=because)


@dataclass(frozen=True)
class FileChange:
    """An attached file, by name: ``added``, ``removed``, or ``changed`` (other bytes)."""

    kind: str
    name: str
    sha256_a: str | None
    sha256_b: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "sha256_a": self.sha256_a, "sha256_b": self.sha256_b}

    def to_text(self) -> str:
        if self.kind == "changed":
            return _("attachment {name} changed: sha256 {a} in A, {b} in B").format(
                name=self.name, a=_short(self.sha256_a), b=_short(self.sha256_b))
        message = _("attachment {name} added: sha256 {sha}") if self.kind == "added" else _(
            "attachment {name} removed: sha256 {sha}")
        return message.format(name=self.name, sha=_short(self.sha256_a or self.sha256_b))


@dataclass(frozen=True)
class SignatureChange:
    """A signature field, by its full name: ``added``, ``removed``, or ``changed`` (signed in one
    file and not in the other, or signed in both with different signatures)."""

    kind: str
    name: str
    signed_a: bool | None  # None where the field is not in that file
    signed_b: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "signed_a": self.signed_a, "signed_b": self.signed_b}

    def to_text(self) -> str:
        def state(signed: bool | None) -> str:
            return _("signed") if signed else _("unsigned")

        if self.kind == "added":
            return _("signature field {name} added in B ({state})").format(name=self.name, state=state(self.signed_b))
        if self.kind == "removed":
            return _("signature field {name} removed in B (it was {state})").format(
                name=self.name, state=state(self.signed_a))
        if self.signed_a and self.signed_b:
            return _("signature field {name}: signed in both, with different signatures").format(name=self.name)
        return _("signature field {name}: {a} in A, {b} in B").format(
            name=self.name, a=state(self.signed_a), b=state(self.signed_b))


# What a document viewer calls each entry, in the report (the JSON keeps the names).
_METADATA_NAMES = {"title": N_("title"), "author": N_("author"), "subject": N_("subject"),
                   "keywords": N_("keywords")}


@dataclass(frozen=True)
class MetadataChange:
    name: str  # "title", "author", "subject", "keywords", "PDF/A"
    a: str | None
    b: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "a": self.a, "b": self.b}

    def to_text(self) -> str:
        def shown(value: str | None) -> str:
            return _("none") if value is None else repr(value) if self.name != "PDF/A" else value

        name = translate(_METADATA_NAMES.get(self.name, self.name))
        return _("{name}: {a} in A, {b} in B").format(name=name, a=shown(self.a), b=shown(self.b))


@dataclass(frozen=True)
class PdfComparison:
    same: bool
    labels: tuple[str, str] = ("A", "B")
    pages: tuple[int, int] = (0, 0)
    text: tuple[PageChange, ...] = ()
    layout: tuple[LayoutChange, ...] = ()
    attachments: tuple[FileChange, ...] = ()
    signatures: tuple[SignatureChange, ...] = ()
    metadata: tuple[MetadataChange, ...] = ()
    # The internals: "route: what differs (A vs B)", at most _MAX_ITEMS, then a count; --verbose.
    details: tuple[str, ...] = ()
    internals: int = 0  # how many differences the walk found, however many details are kept

    @property
    def pages_compared(self) -> int:
        """Pages of each file whose text and layout were read."""
        return min(max(self.pages), COMPARE_MAX_PAGES)

    def to_dict(self, verbose: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "same": self.same,
            "a": self.labels[0],
            "b": self.labels[1],
            "pages": {"a": self.pages[0], "b": self.pages[1], "compared": self.pages_compared},
            "text": [c.to_dict() for c in self.text],
            "layout": [c.to_dict() for c in self.layout],
            "attachments": [c.to_dict() for c in self.attachments],
            "signatures": [c.to_dict() for c in self.signatures],
            "metadata": [c.to_dict() for c in self.metadata],
            "internals": self.internals,
        }
        if verbose:
            out["details"] = list(self.details)
        return out

    def to_text(self, verbose: bool = False) -> str:
        a, b = self.labels
        if self.same:
            return f"SAME  {a}  {b}"
        lines = [f"DIFFERENT  A: {a}  B: {b}"]
        na, nb = self.pages
        lines.append(_("pages: {a} in both").format(a=na) if na == nb
                     else _("pages: {a} in A, {b} in B").format(a=na, b=nb))
        lines += [c.to_text() for c in self.text[:_MAX_ITEMS]]
        if len(self.text) > _MAX_ITEMS:
            lines.append(_("... and {count} more pages whose text differs").format(count=len(self.text) - _MAX_ITEMS))
        lines += [c.to_text() for c in self.layout[:_MAX_ITEMS]]
        if len(self.layout) > _MAX_ITEMS:
            lines.append(_("... and {count} more pages laid out otherwise").format(
                count=len(self.layout) - _MAX_ITEMS))
        if max(self.pages) > COMPARE_MAX_PAGES:
            lines.append(_("text and layout compared on the first {count} pages only").format(
                count=COMPARE_MAX_PAGES))
        lines += [c.to_text() for c in self.attachments]
        lines += [c.to_text() for c in self.signatures]
        lines += [c.to_text() for c in self.metadata]
        if verbose:
            lines.append(_("internals:"))
            lines += [f"  {d}" for d in self.details]
        elif len(lines) == 2 and self.pages[0] == self.pages[1]:
            many = (_("{count} differences in the PDF's internals only (--verbose lists them)") if self.internals > 1
                    else _("{count} difference in the PDF's internals only (--verbose lists them)"))
            lines.append(many.format(count=self.internals))
        return "\n".join([lines[0], *(f"  {line}" for line in lines[1:])])


def compare_pdfs(a: bytes, b: bytes, *, labels: tuple[str, str] = ("A", "B")) -> PdfComparison:
    """Compare two PDFs ignoring what a renderer stamps on each run; VerificationError if unreadable.

    When they differ, each file's words are read with pdftotext (bounded: :mod:`.pagewords`).
    """
    with contextlib.ExitStack() as stack:
        docs = []
        for data, label in zip((a, b), labels, strict=True):
            try:
                docs.append(stack.enter_context(open_pdf(data)))
            except pikepdf.PasswordError:
                raise VerificationError(_("{label}: encrypted with a password, cannot be compared").format(
                    label=label)) from None
            except VerificationError as exc:
                raise VerificationError(f"{label}: {exc.msg}") from None
        da, db = docs
        pages = (len(da.pages), len(db.pages))
        try:
            walker = _Walker()
            walker.compare_trailers(da, db)
            differences = walker.differences
            if not differences:
                return PdfComparison(True, labels, pages)
            attached = _attachments(da, db)
            signatures = _signatures(da, db)
            metadata = _metadata(da, db)
        except pikepdf.PdfError as exc:
            raise VerificationError(_("cannot compare: a damaged PDF: {reason}").format(reason=one_line(exc))) from None
    text, layout = _pages(page_words(a, labels[0]), page_words(b, labels[1]), differences)
    details = differences[:_MAX_ITEMS]
    if len(differences) > _MAX_ITEMS:
        details.append(_("... and {count} more").format(count=len(differences) - _MAX_ITEMS))
    return PdfComparison(
        False, labels, pages, tuple(text), tuple(layout), attached, signatures, metadata, tuple(details),
        len(differences),
    )


# -- what a person sees ------------------------------------------------------------------------


def _page_name(page_a: int | None, page_b: int | None) -> str:
    return (_("page {page}").format(page=page_a) if page_a == page_b
            else _("page {a} of A ({b} of B)").format(a=page_a, b=page_b))


def _short(sha256: str | None) -> str:
    return f"{sha256[:12]}…" if sha256 else "?"


def _cut(text: str, words: int, end: str = "tail") -> str:
    """``text`` with at most ``words`` words on the side ``end`` says ("head", "tail", "both")."""
    parts = text.split()
    if len(parts) <= (2 * words if end == "both" else words):
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    if end == "head":  # keep the last words, the ones next to the change after them
        return "… " + " ".join(parts[-words:]) + trail
    if end == "tail":
        return lead + " ".join(parts[:words]) + " …"
    return lead + " ".join(parts[:words]) + " … " + " ".join(parts[-words:]) + trail


def _redline(words: tuple[Segment, ...]) -> str:
    """A page's changed words as ``git diff --word-diff`` writes them, the text kept around them cut
    to a few words on each side."""
    out = []
    for k, w in enumerate(words):
        if w.op == EQUAL:
            first, last = k == 0, k == len(words) - 1
            out.append(_cut(w.text, _CONTEXT, "head" if first and not last else "tail" if last and not first
                            else "both"))
        else:
            text = _cut(w.text, 4 * _CONTEXT, "both")
            out.append(f"[-{text}-]" if w.op == DELETED else f"{{+{text}+}}")
    return "".join(out)


def _pages(pa: list[Page], pb: list[Page], differences: list[str]) -> tuple[list[PageChange], list[LayoutChange]]:
    """Pages paired by their text as :func:`atti.acts.diff.compare_acts` pairs items: the same
    text pairs, a replaced run pairs one to one as changed; pages left over were added or removed."""
    text: list[PageChange] = []
    layout: list[LayoutChange] = []
    matcher = difflib.SequenceMatcher(None, [p.text for p in pa], [p.text for p in pb], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                why = _laid_out_otherwise(pa[i], pb[j], differences if i == j else [], i + 1)
                if why:
                    layout.append(LayoutChange(i + 1, j + 1, why))
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):
            i, j = i1 + k, j1 + k
            text.append(PageChange("changed", i + 1, j + 1, tuple(word_diff(pa[i].text, pb[j].text))))
        text += [PageChange("removed", i + 1, None, (Segment(EQUAL, pa[i].text),)) for i in range(i1 + paired, i2)]
        text += [PageChange("added", None, j + 1, (Segment(EQUAL, pb[j].text),)) for j in range(j1 + paired, j2)]
    return text, layout


def _laid_out_otherwise(a: Page, b: Page, differences: list[str], number: int) -> str | None:
    """Why two pages with the same text look different, or None. ``differences`` are the walk's,
    when the two pages were walked in step (the same number in both files)."""
    if any(abs(x - y) > _MOVED for x, y in zip(a.size, b.size, strict=True)):
        return "size"
    for wa, wb in zip(a.words, b.words, strict=False):
        if any(abs(x - y) > _MOVED for x, y in zip(wa.box, wb.box, strict=True)):
            return "moved"
    if any(d.startswith(tuple(f"page {number}{key}" for key in _DRAWING)) for d in differences):
        return "drawing"
    return None


def _attached(doc: pikepdf.Pdf) -> dict[str, str]:
    """Attached file name -> SHA-256 of its bytes; a name met again is numbered ("x.pdf (2)")."""
    out: dict[str, str] = {}
    for name, _mime, data in embedded_files(doc):
        key, n = name, 1
        while key in out:
            n += 1
            key = f"{name} ({n})"
        out[key] = hashlib.sha256(data).hexdigest()
    return out


def _attachments(a: pikepdf.Pdf, b: pikepdf.Pdf) -> tuple[FileChange, ...]:
    fa, fb = _attached(a), _attached(b)
    out = []
    for name in sorted(fa.keys() | fb.keys()):
        ha, hb = fa.get(name), fb.get(name)
        if ha != hb:
            out.append(FileChange("added" if ha is None else "removed" if hb is None else "changed", name, ha, hb))
    return tuple(out)


def _signature_fields(doc: pikepdf.Pdf) -> dict[str, bytes | None]:
    """Full name of each signature field (/FT /Sig, inherited) -> its signature's /Contents, None
    when unsigned."""
    form = doc.Root.get("/AcroForm")
    fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
    stack: list[tuple[Any, str, Any]] = [(f, "", None) for f in fields] if isinstance(fields, pikepdf.Array) else []
    seen: set[tuple[int, int]] = set()
    out: dict[str, bytes | None] = {}
    while stack:
        fld, parent, ft = stack.pop()
        if not isinstance(fld, pikepdf.Dictionary) or (fld.is_indirect and fld.objgen in seen):
            continue
        if fld.is_indirect:
            seen.add(fld.objgen)
        part = str(fld.get("/T", ""))
        name = f"{parent}.{part}" if parent and part else parent or part
        ft = fld.get("/FT", ft)
        kids = fld.get("/Kids")
        if isinstance(kids, pikepdf.Array) and any(isinstance(k, pikepdf.Dictionary) and "/T" in k for k in kids):
            stack.extend((k, name, ft) for k in kids)
        elif ft == pikepdf.Name.Sig:
            value = fld.get("/V")
            contents = value.get("/Contents") if isinstance(value, pikepdf.Dictionary) else None
            out[name] = bytes(contents) if isinstance(contents, pikepdf.String) else b"" if value is not None else None
    return out


def _signatures(a: pikepdf.Pdf, b: pikepdf.Pdf) -> tuple[SignatureChange, ...]:
    sa, sb = _signature_fields(a), _signature_fields(b)
    out = []
    for name in sorted(sa.keys() | sb.keys()):
        if name not in sa:
            out.append(SignatureChange("added", name, None, sb[name] is not None))
        elif name not in sb:
            out.append(SignatureChange("removed", name, sa[name] is not None, None))
        elif sa[name] != sb[name]:
            out.append(SignatureChange("changed", name, sa[name] is not None, sb[name] is not None))
    return tuple(out)


def _metadata_of(doc: pikepdf.Pdf) -> dict[str, str | None]:
    info = doc.trailer.get("/Info")
    out: dict[str, str | None] = {}
    for key, name in _INFO:
        value = info.get(key) if isinstance(info, pikepdf.Dictionary) else None
        out[name] = str(value) if isinstance(value, pikepdf.String) else None
    try:
        tree = read_xmp(doc.Root)
    except (etree.XMLSyntaxError, StreamRefused):
        tree = None
    part = xmp_property(tree, PDFAID_NS, "part") if tree is not None else None
    conformance = (xmp_property(tree, PDFAID_NS, "conformance") or "").upper() if tree is not None else ""
    out["PDF/A"] = f"PDF/A-{part}{conformance}" if part else None
    return out


def _metadata(a: pikepdf.Pdf, b: pikepdf.Pdf) -> tuple[MetadataChange, ...]:
    ma, mb = _metadata_of(a), _metadata_of(b)
    return tuple(MetadataChange(name, ma[name], mb[name]) for name in ma if ma[name] != mb[name])


# -- structure -------------------------------------------------------------------------------


def _atom(obj: Any) -> Any:
    # Scalars come back as Python values or as pikepdf objects depending on pikepdf's mode.
    if isinstance(obj, pikepdf.String):
        # The same text may be written in PDFDocEncoding or UTF-16 (pyHanko rewrites Info so).
        try:
            text = str(obj)
        except UnicodeDecodeError:
            text = "\ufffd"
        # Bytes without a character (binary strings like /CheckSum) must not compare as text.
        return text if "\ufffd" not in text else bytes(obj)
    return obj.unparse() if isinstance(obj, pikepdf.Object) else obj


def _stream_data(stream: pikepdf.Stream) -> bytes:
    try:
        return bytes(stream.read_bytes())
    except pikepdf.PdfError:  # a filter pikepdf cannot decode (e.g. some images): compare as stored
        return bytes(stream.read_raw_bytes())


def _unstamped(data: bytes) -> bytes:
    """ICC profiles without their creation date and the profile ID hashed over it (ICC.1 7.2).

    LibreOffice builds the sRGB profile of the output intent on each run, dated to the second.
    """
    if len(data) >= 128 and data[36:40] == b"acsp":
        return data[:24] + bytes(12) + data[36:84] + bytes(16) + data[100:]
    return data


def _xmp_properties(stream: pikepdf.Stream) -> list[tuple[str, str]]:
    """The XMP as sorted (property route, value) pairs, without the per-run stamps."""
    holder = pikepdf.Dictionary(Metadata=stream)
    try:
        tree = read_xmp(holder)
    except (etree.XMLSyntaxError, StreamRefused):
        return [("(not XML)", _stream_data(stream).decode("utf-8", "replace"))]
    if tree is None:
        return []

    def volatile(tag: str) -> bool:
        return tag in _VOLATILE_XMP or tag.startswith(f"{{{XMPMM_NS}}}")

    pairs: list[tuple[str, str]] = []

    def short(element: Any, tag: str) -> str:
        name = etree.QName(tag)
        prefix = next((p for p, uri in element.nsmap.items() if uri == name.namespace and p), None)
        return f"{prefix}:{name.localname}" if prefix else tag

    def leaves(element: Any, route: str) -> None:
        children = [c for c in element if isinstance(c.tag, str)]
        for key, value in element.attrib.items():
            if not volatile(key) and key != f"{{{RDF_NS}}}about":
                pairs.append((f"{route}/{short(element, key)}", value))
        if not children and (element.text or "").strip():
            pairs.append((route, " ".join(element.text.split())))
        for child in children:
            if not volatile(child.tag):
                leaves(child, f"{route}/{short(child, child.tag)}")

    # Properties may sit in any rdf:Description, as elements or attributes: the route starts there.
    for desc in tree.iter(f"{{{RDF_NS}}}Description"):
        leaves(desc, "")
    return sorted(pairs)


class _Walker:
    def __init__(self) -> None:
        self.differences: list[str] = []
        # Indirect objects of A -> those of B met at the same place; a pairing must be one to one.
        self._paired: dict[tuple[int, int], tuple[int, int]] = {}
        self._claimed: set[tuple[int, int]] = set()
        # An explicit stack: structure trees nest deeper than Python's recursion limit allows.
        self._pending: list[tuple[Any, Any, str]] = []

    def differ(self, route: str, what: str) -> None:
        self.differences.append(f"{route}: {what}")

    def compare_trailers(self, a: pikepdf.Pdf, b: pikepdf.Pdf) -> None:
        ta, tb = a.trailer, b.trailer
        if len(a.pages) != len(b.pages):
            self.differ("pages", f"{len(a.pages)} in A, {len(b.pages)} in B")
        # A stack: what is pushed last is walked first. Pages go first, so that a difference on
        # a page is named by its number, not by whichever route (an /OpenAction, a structure
        # element's /Pg) happens to reach the page first; the Info dictionary goes last.
        info_a, info_b = ta.get("/Info"), tb.get("/Info")
        if isinstance(info_a, pikepdf.Dictionary) and isinstance(info_b, pikepdf.Dictionary):
            self._dicts(info_a, info_b, "/Info", ignore=_IGNORED_INFO)
        elif (info_a is None) != (info_b is None):
            self.differ("/Info", "only one file has an Info dictionary")
        self._dicts(ta, tb, "trailer", ignore=_IGNORED_TRAILER)
        self._pending.append((a.Root, b.Root, "/Root"))
        pages = list(enumerate(zip(a.pages, b.pages, strict=False), start=1))
        # Each page is paired with its own before any is walked: otherwise page 1's /Parent leads
        # to the page tree and on to page 2, whose differences would be named from page 1.
        walked: list[tuple[int, pikepdf.Dictionary, pikepdf.Dictionary]] = []
        for number, (page_a, page_b) in pages:
            oa, ob = page_a.obj, page_b.obj
            if oa.objgen not in self._paired and ob.objgen not in self._claimed:
                self._paired[oa.objgen] = ob.objgen
                self._claimed.add(ob.objgen)
                walked.append((number, oa, ob))
            elif self._paired.get(oa.objgen) != ob.objgen:
                self.differ(f"page {number}", "refers to objects shared differently in the two files")
        for number, oa, ob in reversed(walked):
            self._dicts(oa, ob, f"page {number}")
        # Children are pushed in reverse, so popping walks depth-first in document order.
        while self._pending:
            self._step(*self._pending.pop())

    def _dicts(self, a: Any, b: Any, route: str, ignore: set[str] | frozenset[str] = frozenset()) -> None:
        keys_a, keys_b = set(a.keys()) - ignore, set(b.keys()) - ignore
        if keys_a != keys_b:
            only = [f"{k} only in {'A' if k in keys_a else 'B'}" for k in sorted(keys_a ^ keys_b)]
            self.differ(route, ", ".join(only))
        for key in sorted(keys_a & keys_b, reverse=True):
            self._pending.append((a[key], b[key], f"{route}{key}"))

    def _step(self, a: Any, b: Any, route: str) -> None:
        if isinstance(a, pikepdf.Object) and isinstance(b, pikepdf.Object) and (a.is_indirect or b.is_indirect):
            if a.is_indirect != b.is_indirect:
                self.differ(route, "an indirect object in one file, a direct one in the other")
                return
            seen = self._paired.get(a.objgen)
            if seen is not None or b.objgen in self._claimed:
                if seen != b.objgen:
                    self.differ(route, "refers to objects shared differently in the two files")
                return
            self._paired[a.objgen] = b.objgen
            self._claimed.add(b.objgen)
        if isinstance(a, pikepdf.Stream) and isinstance(b, pikepdf.Stream):
            self._stream(a, b, route)
        elif isinstance(a, pikepdf.Dictionary) and isinstance(b, pikepdf.Dictionary):
            self._dicts(a, b, route)
        elif isinstance(a, pikepdf.Array) and isinstance(b, pikepdf.Array):
            if len(a) != len(b):
                self.differ(route, f"{len(a)} items in A, {len(b)} in B")
            pairs = list(enumerate(zip(a, b, strict=False)))
            for i, (x, y) in reversed(pairs):
                self._pending.append((x, y, f"{route}[{i}]"))
        elif type(a) is not type(b) or _atom(a) != _atom(b):
            self.differ(route, f"{_show(a)} in A, {_show(b)} in B")

    def _stream(self, a: pikepdf.Stream, b: pikepdf.Stream, route: str) -> None:
        # /Length and the filters follow from the data, which is compared decoded.
        self._dicts(a.stream_dict, b.stream_dict, route, ignore={"/Length", "/Filter", "/DecodeParms"})
        if a.get("/Type") == pikepdf.Name.Metadata and a.get("/Subtype") == pikepdf.Name.XML:
            pa, pb = _xmp_properties(a), _xmp_properties(b)
            if pa != pb:
                changed = sorted({k for k, _ in set(pa) ^ set(pb)})
                self.differ(route, "XMP properties differ: " + ", ".join(changed[:5]))
        elif _unstamped(_stream_data(a)) != _unstamped(_stream_data(b)):
            self.differ(route, "stream data differs")


def _show(obj: Any) -> str:
    if isinstance(obj, pikepdf.String):
        text = repr(str(obj))
    else:
        atom = _atom(obj)
        text = atom.decode("latin-1") if isinstance(atom, bytes) else str(atom)
    return text if len(text) <= 60 else text[:57] + "..."
