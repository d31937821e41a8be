"""Are two renderings of an act the same document? Compare parsed PDFs, not bytes.

LibreOffice stamps every conversion: the trailer /ID and its private /DocChecksum, the Info
/CreationDate and /ModDate, the XMP dates and xmpMM identifiers, and the creation date in the
header of the ICC profile it generates for the output intent. Those strings also shift every
byte offset after them, so raw bytes never match. Here both files are parsed and walked in step
from the catalog: indirect objects are paired by the route that reaches them (so renumbering
does not matter), streams are compared decoded, the stamped values are skipped, and the XMP is
compared property by property. When the documents differ, the page text is diffed too, so that a
changed premessa is named in words and not only as "content stream of page 1".
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pikepdf
from lxml import etree

from atti.errors import VerificationError
from atti.templates.pdfcheck import RDF_NS, StreamRefused, one_line, open_pdf, read_xmp

_IGNORED_TRAILER = {"/ID", "/DocChecksum", "/Size", "/Prev", "/XRefStm", "/Root", "/Info"}
_IGNORED_INFO = {"/CreationDate", "/ModDate"}
XMP_NS = "http://ns.adobe.com/xap/1.0/"
XMPMM_NS = "http://ns.adobe.com/xap/1.0/mm/"
_VOLATILE_XMP = {f"{{{XMP_NS}}}{n}" for n in ("CreateDate", "ModifyDate", "MetadataDate")}
_MAX_ITEMS = 50


@dataclass(frozen=True)
class PdfComparison:
    same: bool
    differences: tuple[str, ...]  # "route: what differs (A vs B)", at most _MAX_ITEMS, then a count
    text_diff: tuple[str, ...]  # unified diff of the page text, A to B, without context lines
    labels: tuple[str, str] = ("A", "B")

    def to_dict(self) -> dict[str, Any]:
        return {
            "same": self.same,
            "a": self.labels[0],
            "b": self.labels[1],
            "differences": list(self.differences),
            "text_diff": list(self.text_diff),
        }

    def to_text(self) -> str:
        a, b = self.labels
        if self.same:
            return f"SAME  {a}  {b}"
        lines = [f"DIFFERENT  A: {a}  B: {b}"]
        lines += [f"  {d}" for d in self.differences]
        if self.text_diff:
            lines.append("  page text:")
            lines += [f"    {t}" for t in self.text_diff]
        return "\n".join(lines)


def compare_pdfs(a: bytes, b: bytes, *, labels: tuple[str, str] = ("A", "B")) -> PdfComparison:
    """Compare two PDFs ignoring what a renderer stamps on each run; VerificationError if unreadable."""
    with contextlib.ExitStack() as stack:
        docs = []
        for data, label in zip((a, b), labels, strict=True):
            try:
                docs.append(stack.enter_context(open_pdf(data)))
            except pikepdf.PasswordError:
                raise VerificationError(f"{label}: encrypted with a password, cannot be compared") from None
            except VerificationError as exc:
                raise VerificationError(f"{label}: {exc.msg}") from None
        try:
            walker = _Walker()
            walker.compare_trailers(docs[0], docs[1])
            differences = walker.differences
            text = _text_diff(docs[0], docs[1], labels) if differences else []
        except pikepdf.PdfError as exc:
            raise VerificationError(f"cannot compare: a damaged PDF: {one_line(exc)}") from None
    if len(differences) > _MAX_ITEMS:
        differences = [*differences[:_MAX_ITEMS], f"... and {len(differences) - _MAX_ITEMS} more"]
    return PdfComparison(not differences, tuple(differences), tuple(text), labels)


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
        for number, (pa, pb) in reversed(list(enumerate(zip(a.pages, b.pages, strict=False), start=1))):
            self._pending.append((pa.obj, pb.obj, f"page {number}"))
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


# -- page text -------------------------------------------------------------------------------


def _text_diff(a: pikepdf.Pdf, b: pikepdf.Pdf, labels: tuple[str, str]) -> list[str]:
    lines_a = [line for n, page in enumerate(a.pages, 1) for line in _page_lines(page, n)]
    lines_b = [line for n, page in enumerate(b.pages, 1) for line in _page_lines(page, n)]
    diff = difflib.unified_diff(lines_a, lines_b, labels[0], labels[1], n=0, lineterm="")
    # The two file headers repeat the labels; the hunk lines say where.
    return [line for line in diff if not line.startswith(("---", "+++"))][: _MAX_ITEMS * 2]


def _cmap(font: pikepdf.Dictionary) -> tuple[int, dict[bytes, str]]:
    """Code width in bytes and code -> text, from the font's ToUnicode CMap (bfchar and bfrange)."""
    width = 2 if font.get("/Subtype") == pikepdf.Name.Type0 else 1
    mapping: dict[bytes, str] = {}
    stream = font.get("/ToUnicode")
    if not isinstance(stream, pikepdf.Stream):
        return width, mapping
    text = _stream_data(stream).decode("latin-1")

    def utf16(hexa: str) -> str:
        return bytes.fromhex(hexa).decode("utf-16-be", "replace")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            mapping[bytes.fromhex(src)] = utf16(dst)
            width = len(src) // 2
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst, listed in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(?:<([0-9A-Fa-f]*)>|\[([^\]]*)\])", block
        ):
            width = len(lo) // 2
            first, last = int(lo, 16), int(hi, 16)
            targets = re.findall(r"<([0-9A-Fa-f]*)>", listed) if listed else []
            for i, code in enumerate(range(first, min(last, first + 0xFFFF) + 1)):
                if listed:
                    if i >= len(targets):
                        break
                    value = utf16(targets[i])
                else:
                    base = bytes.fromhex(dst)
                    value = utf16((base[:-1] + bytes([(base[-1] + i) % 256])).hex()) if base else ""
                mapping[code.to_bytes(width, "big")] = value
    return width, mapping


def _decode(raw: bytes, font: tuple[int, dict[bytes, str]] | None) -> str:
    if font is None or not font[1]:
        return raw.decode("cp1252", "replace") if font is None or font[0] == 1 else "?" * (len(raw) // 2)
    width, mapping = font
    return "".join(mapping.get(raw[i : i + width], "?") for i in range(0, len(raw), width))


def _page_lines(page: pikepdf.Page, number: int) -> list[str]:
    """The page's text in content order, one line per baseline, each prefixed "p.N: "."""
    lines: list[tuple[float, str]] = []
    try:
        for y, text in _text_runs(page.obj, set()):
            if lines and lines[-1][0] == y:
                lines[-1] = (y, lines[-1][1] + text)
            else:
                lines.append((y, text))
    except (pikepdf.PdfError, TypeError, ValueError, IndexError, AttributeError):
        # Malformed operators or operands: the structural comparison has already said that the
        # page differs, the text is only an aid to reading it.
        return [f"p.{number}: (text unreadable: malformed content stream)"]
    return [f"p.{number}: {' '.join(t.split())}" for _, t in lines if t.strip()]


def _text_runs(holder: pikepdf.Object, seen: set[tuple[int, int]]) -> Iterator[tuple[float, str]]:
    """(baseline y, text) for each text-showing operator; form XObjects are followed once."""
    resources = holder.get("/Resources")
    fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    cmaps: dict[str, tuple[int, dict[bytes, str]] | None] = {}
    font: tuple[int, dict[bytes, str]] | None = None
    y = leading = 0.0
    for instruction in pikepdf.parse_content_stream(holder):
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        operands, op = instruction.operands, str(instruction.operator)
        if op == "BT":
            y = 0.0
        elif op == "Tf" and isinstance(fonts, pikepdf.Dictionary):
            name = str(operands[0])
            if name not in cmaps:
                f = fonts.get(name)
                cmaps[name] = _cmap(f) if isinstance(f, pikepdf.Dictionary) else None
            font = cmaps[name]
        elif op == "TL":
            leading = float(operands[0])
        elif op in ("Td", "TD"):
            y += float(operands[1])
            if op == "TD":
                leading = -float(operands[1])
        elif op == "Tm":
            y = float(operands[5])
        elif op in ("T*", "'", '"'):
            y -= leading
        if op in ("Tj", "'", '"'):
            yield round(y, 1), _decode(bytes(operands[-1]), font)
        elif op == "TJ":
            parts = []
            for item in operands[0]:
                if isinstance(item, pikepdf.String):
                    parts.append(_decode(bytes(item), font))
                elif float(item) < -200:  # a kerning gap wider than a fifth of an em: a word space
                    parts.append(" ")
            yield round(y, 1), "".join(parts)
        elif op == "Do" and isinstance(xobjects, pikepdf.Dictionary):
            form = xobjects.get(str(operands[0]))
            if not isinstance(form, pikepdf.Stream) or form.get("/Subtype") != pikepdf.Name.Form:
                continue
            if form.objgen not in seen:
                seen.add(form.objgen)
                yield from _text_runs(form, seen)
