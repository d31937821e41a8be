"""What changed after a signature, judged by the permissions in force, and what a reader now sees.

pyHanko's diff analysis (``pyhanko.sign.diff_analysis``, its default policy) sorts the changes
after a signature into levels: validation data and document timestamps, form filling and
further signatures, annotations, anything else. Whether a level is allowed depends on the
permissions in force for that signature (ISO 32000-2 12.8.2): the DocMDP /P of the
certification signature (in /Perms), the signature's own DocMDP or the /Lock /P of its field,
whichever is strictest. With none, only approval signatures: the document stays open to later
incremental updates short of changing the signed content, so annotations are allowed.

Allowed is not enough: what a reader sees must still be what was signed. Shadow attacks
(Mainka, Mladenov, Rohlmann, NDSS 2021) hide or replace signed content with changes each of
which looks allowed: an overlay removed ("hide"), a field's pre-filled value or appearance
swapped ("replace"), both at once ("hide and replace"). So the pages a later revision touches
are rendered as they were signed and as they are now (pdftoppm, low resolution, bounded) and
compared. A difference is allowed only inside the box of an allowed addition (a signature's
widget, a field empty at signing, an annotation where annotations are allowed) whose whole box
lies on paper the signed page's content left blank. A field that had a value at signing and
has another one now is "replaced". Pages only validation data or timestamps touched are not
rendered; a comparison that cannot be made (poppler missing, a timeout, more than MAX_PAGES
pages touched) is reported as such, and verify never passes it.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, read_certification_data

from atti.i18n import _
from atti.processes import Overrun, run_bounded

__all__ = ["Permissions", "Visual", "annotations_only", "permissions_in_force", "visual_changes"]

MAX_PAGES = 20  # pages rendered per signature; beyond, the comparison is reported as not made
RENDER_TIMEOUT = 30.0  # seconds per pdftoppm run
RENDER_BUDGET = 60.0  # seconds of rendering per signature, all its pages together: a hostile file never hangs
RENDER_MEMORY = 512 * 1024 * 1024  # what one pdftoppm may take
RENDER_PIXELS = 600  # the longer side of a rendered page: an A4 page at about 50 dpi, whatever its /MediaBox
_BLANK = 245  # a grey level at or above which a pixel counts as blank paper
_DIFFERENT = 40  # a grey level difference that counts as a change, above anti-aliasing noise
_TOLERANCE = 2  # changed pixels ignored per page (anti-aliasing at the edge of a box)


@dataclass(frozen=True)
class Permissions:
    """The DocMDP level in force for a signature, and where it comes from."""

    level: MDPPerm | None
    source: str

    @property
    def allowed(self) -> ModificationLevel:
        """The highest modification level the permissions allow."""
        if self.level is None:
            return ModificationLevel.ANNOTATIONS
        return ModificationLevel(int(self.level.value))

    def allows(self, level: ModificationLevel) -> bool:
        return level != ModificationLevel.OTHER and level <= self.allowed

    def describe(self) -> str:
        return _("permissions: {source}").format(source=self.source)


def permissions_in_force(reader: PdfFileReader, sig: EmbeddedPdfSignature) -> Permissions:
    """The strictest of the certification's DocMDP, the signature's own DocMDP and its field's /Lock."""
    found: list[tuple[MDPPerm, str]] = []
    try:
        cert = read_certification_data(reader)
    except Exception:  # a damaged /Perms: the signature's own permissions still count
        cert = None
    if cert is not None:
        found.append(
            (cert.permission, _("certification signature, DocMDP /P {value}").format(value=cert.permission.value))
        )
    try:
        own = sig.docmdp_level
    except Exception:  # a malformed /Reference or /Lock is no permission
        own = None
    if own is not None:
        found.append((own, _("the field's lock or the signature's DocMDP, /P {value}").format(value=own.value)))
    if not found:
        return Permissions(None, _("none (no certification, no lock): signatures, form filling and annotations"))
    level, source = min(found, key=lambda f: int(f[0].value))
    return Permissions(level, source)


@dataclass(frozen=True)
class Visual:
    """The outcome of comparing what was signed with what a reader sees now."""

    checked: bool
    pages: tuple[int, ...] = ()  # 1-based pages whose look changed beyond what is allowed
    replaced: tuple[str, ...] = ()  # fields whose value at signing was replaced
    why_unchecked: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.pages or self.replaced)

    def describe(self) -> str:
        if not self.checked:
            return _("what the pages show could not be compared with the signed revision: {why}").format(
                why=self.why_unchecked)
        parts = []
        if self.replaced:
            parts.append(_("the value of field(s) {fields} shown at signing was replaced").format(
                fields=", ".join(self.replaced)))
        if self.pages:
            pages = ", ".join(map(str, self.pages))
            parts.append(_("page(s) {pages} now show something other than what was signed").format(pages=pages))
        return "; ".join(parts) if parts else _("the pages show what was signed")


class _Unchecked(Exception):
    pass


def visual_changes(pdf: bytes, signed_end: int, permissions: Permissions) -> Visual:
    """Compare the pages of ``pdf`` with those of its revision ending at ``signed_end``."""
    try:
        return _compare(pdf, signed_end, permissions)
    except _Unchecked as e:
        return Visual(checked=False, why_unchecked=str(e))
    except Exception as e:  # a damaged revision: say it was not compared, never call it equal
        return Visual(checked=False, why_unchecked=_("the file could not be read ({error})").format(
            error=type(e).__name__))


@dataclass(frozen=True)
class _Annot:
    rect: tuple[float, float, float, float]
    fingerprint: str
    kind: str  # "signature", "field", "annotation"
    name: str
    value: str | None  # a field's value (its /V), None when empty


def _compare(pdf: bytes, signed_end: int, permissions: Permissions) -> Visual:
    signed = pdf[:signed_end]
    with pikepdf.open(io.BytesIO(signed)) as then, pikepdf.open(io.BytesIO(pdf)) as now:
        pages_then = [_page(p) for p in then.pages]
        pages_now = [_page(p) for p in now.pages]
    touched: list[int] = []
    replaced: list[str] = []
    allowed: dict[int, list[tuple[float, float, float, float]]] = {}
    extra = [i + 1 for i in range(min(len(pages_then), len(pages_now)), max(len(pages_then), len(pages_now)))]
    for i, (old, new) in enumerate(zip(pages_then, pages_now, strict=False)):
        if old == new:
            continue
        touched.append(i)
        annots_then, annots_now = old[1], new[1]
        boxes = []
        for key, annot in annots_now.items():
            before = annots_then.get(key)
            if before is not None and before.fingerprint == annot.fingerprint:
                continue
            if annot.kind == "field" and before is not None and before.value is not None:
                replaced.append(annot.name)  # a value shown at signing, swapped: "replace"
                continue
            need = ModificationLevel.ANNOTATIONS if annot.kind == "annotation" else ModificationLevel.FORM_FILLING
            if permissions.allows(need):
                boxes.append(annot.rect)
        allowed[i] = boxes
    if len(touched) > MAX_PAGES:
        raise _Unchecked(_("{count} pages changed, more than the {limit} compared").format(
            count=len(touched), limit=MAX_PAGES))
    deadline = time.monotonic() + RENDER_BUDGET
    differing = [i + 1 for i in touched if _page_differs(signed, pdf, i, allowed[i], deadline)]
    return Visual(checked=True, pages=tuple(sorted({*differing, *extra})), replaced=tuple(dict.fromkeys(replaced)))


def _page(page: pikepdf.Page) -> tuple[str, dict[tuple[int, int], _Annot], tuple[float, ...]]:
    """What decides a page's look: its content and resources, its annotations, its box."""
    content = hashlib.sha256()
    for stream in _contents(page.obj.get("/Contents")):
        content.update(stream.read_bytes())
    resources = page.obj.get("/Resources")
    if resources is not None:
        content.update(_digest(resources).encode())
    annots: dict[tuple[int, int], _Annot] = {}
    for n, annot in enumerate(page.obj.get("/Annots") or []):
        if not isinstance(annot, pikepdf.Dictionary):
            continue
        key = annot.objgen if annot.is_indirect else (-1, n)
        annots[key] = _annot(annot)
    box = tuple(float(v) for v in page.mediabox)
    return content.hexdigest(), annots, box


def _contents(obj: Any) -> list[pikepdf.Stream]:
    if isinstance(obj, pikepdf.Stream):
        return [obj]
    if isinstance(obj, pikepdf.Array):
        return [s for s in obj if isinstance(s, pikepdf.Stream)]
    return []


def _digest(obj: Any, depth: int = 0, seen: set[tuple[int, int]] | None = None) -> str:
    """A digest of an object and what it refers to (streams by their data), bounded in depth."""
    seen = set() if seen is None else seen
    h = hashlib.sha256()
    if depth > 12:
        return "deep"
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        if obj.objgen in seen:
            return f"ref{obj.objgen}"
        seen.add(obj.objgen)
    if isinstance(obj, pikepdf.Stream):
        h.update(obj.read_raw_bytes())
        h.update(_digest(obj.stream_dict, depth + 1, seen).encode())
    elif isinstance(obj, pikepdf.Dictionary):
        for key in sorted(obj.keys()):
            if key in ("/Parent", "/P"):
                continue  # back-references up the tree: the page itself, not what it shows
            h.update(key.encode())
            h.update(_digest(obj[key], depth + 1, seen).encode())
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            h.update(_digest(item, depth + 1, seen).encode())
    else:
        h.update(repr(obj).encode())
    return h.hexdigest()


def _annot(annot: pikepdf.Dictionary) -> _Annot:
    rect = tuple(float(v) for v in annot.get("/Rect", [0, 0, 0, 0]))
    x0, y0, x1, y1 = rect
    subtype = str(annot.get("/Subtype", ""))
    kind, name, value = "annotation", "", None
    if subtype == "/Widget":
        field = annot
        names = []
        ft = None
        v = None
        for _depth in range(32):  # a field's kids inherit /FT and /V from their parents
            if ft is None and "/FT" in field:
                ft = str(field["/FT"])
            if v is None and "/V" in field:
                v = field["/V"]
            if "/T" in field:
                names.append(str(field["/T"]))
            parent = field.get("/Parent")
            if not isinstance(parent, pikepdf.Dictionary):
                break
            field = parent
        kind = "signature" if ft == "/Sig" else "field"
        name = ".".join(reversed(names)) or _("(unnamed)")
        if v is not None and kind == "field":
            text = str(v) if not isinstance(v, pikepdf.Dictionary | pikepdf.Array) else _digest(v)
            value = text if text not in ("", "/Off") else None
    fingerprint = _digest(annot)
    return _Annot((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), fingerprint, kind, name, value)


def _page_differs(
    signed: bytes, pdf: bytes, index: int, allowed: list[tuple[float, float, float, float]], deadline: float
) -> bool:
    """Whether page ``index`` looks different now beyond the ``allowed`` boxes.

    A box allows a change only where the signed page's own content (annotations hidden) is
    blank under all of it: a new signature's stamp or a filled field on empty paper, not a
    widget or a note laid over the signed text, which would hide it.
    """
    then = _render(signed, index, deadline)
    now = _render(pdf, index, deadline)
    paper = _render(signed, index, deadline, hide_annotations=True) if allowed else then
    if then is None or now is None or paper is None:
        raise _Unchecked(_("page {page} could not be rendered").format(page=index + 1))
    (w0, h0, px0), (w1, h1, px1), (w2, h2, px2) = then, now, paper
    if (w0, h0) != (w1, h1) or (w0, h0) != (w2, h2):
        return True
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        x0, y0, x1, y1 = (float(v) for v in doc.pages[index].mediabox)
    sx, sy = w0 / max(x1 - x0, 1.0), h0 / max(y1 - y0, 1.0)
    mask = bytearray(w0 * h0)  # 1 where a change is allowed
    for ax0, ay0, ax1, ay1 in allowed:
        # PDF's y grows upwards, the image's downwards; one pixel of margin for anti-aliasing.
        c0, c1 = max(int((ax0 - x0) * sx) - 1, 0), min(int((ax1 - x0) * sx) + 2, w0)
        r0, r1 = max(int((y1 - ay1) * sy) - 1, 0), min(int((y1 - ay0) * sy) + 2, h0)
        if c1 <= c0 or r1 <= r0:
            continue
        # Inside the box, one pixel in from its edge: is the signed page's content blank there?
        inked = sum(
            1 for r in range(r0 + 2, r1 - 2) for c in range(c0 + 2, c1 - 2) if px2[r * w0 + c] < _BLANK
        )
        if inked > _TOLERANCE:
            continue  # laid over signed content: no allowance
        for r in range(r0, r1):
            mask[r * w0 + c0 : r * w0 + c1] = b"\x01" * (c1 - c0)
    changed = 0
    for i in range(w0 * h0):
        if abs(px0[i] - px1[i]) < _DIFFERENT or mask[i]:
            continue
        changed += 1
        if changed > _TOLERANCE:
            return True
    return False


def _render(
    pdf: bytes, index: int, deadline: float, *, hide_annotations: bool = False
) -> tuple[int, int, bytes] | None:
    """Page ``index`` as a grey-level image (width, height, pixels), or None when poppler fails."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise _Unchecked(_("pdftoppm not found (install the Debian package poppler-utils)"))
    page = str(index + 1)
    with tempfile.TemporaryDirectory(prefix="atti-changes-") as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        cmd = [exe, "-q", "-gray", "-scale-to", str(RENDER_PIXELS), "-f", page, "-l", page, "-singlefile", str(src)]
        if hide_annotations:
            cmd.insert(1, "-hide-annotations")
        timeout = min(RENDER_TIMEOUT, deadline - time.monotonic())
        try:
            if timeout <= 0:
                raise Overrun("time")
            done = run_bounded(cmd, timeout=timeout, max_output=2 * RENDER_PIXELS**2 + 100,
                               max_memory=RENDER_MEMORY)
        except Overrun as over:
            if over.limit == "time":
                raise _Unchecked(_("page {page} was not rendered in time ({per_page} s a page, {budget} s a signature)")
                                 .format(page=page, per_page=f"{RENDER_TIMEOUT:g}", budget=f"{RENDER_BUDGET:g}")
                                 ) from None
            raise _Unchecked(_("page {page} could not be rendered within bounds ({limit})").format(
                page=page, limit=over.limit)) from None
        except OSError as exc:
            raise _Unchecked(_("pdftoppm could not be run: {reason}").format(reason=exc.strerror)) from None
    if done.returncode != 0:
        return None
    return _pgm(done.out)


def _pgm(data: bytes) -> tuple[int, int, bytes] | None:
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)  # one whitespace, then the pixels
    if header is None:
        return None
    width, height = int(header[1]), int(header[2])
    pixels = data[header.end() :]
    if len(pixels) < width * height:
        return None
    return width, height, pixels[: width * height]


def annotations_only(pdf: bytes, signed_end: int) -> bool:
    """Whether everything changed after the revision ending at ``signed_end`` is annotations.

    pyHanko's default diff policy explains signatures, form filling and validation data, but
    not annotations: a note added to a page is "unexplained" to it, level OTHER. ISO 32000
    allows them after an approval signature and under DocMDP /P 3, so atti reads the change
    itself: every object of the signed revision is unchanged, except pages whose only change is
    their /Annots, indirect /Annots arrays, annotations that are not form fields' widgets, and
    the document's metadata, XMP and /Info (as pyHanko's own metadata rule allows).
    New objects can only be reached through those, so they can only be annotations' parts.
    """
    try:
        with pikepdf.open(io.BytesIO(pdf[:signed_end])) as then, pikepdf.open(io.BytesIO(pdf)) as now:
            if then.Root.objgen != now.Root.objgen:
                return False
            pages = {p.obj.objgen for p in then.pages}
            xmp = then.Root.get("/Metadata")
            metadata = {xmp.objgen} if isinstance(xmp, pikepdf.Stream) and xmp.is_indirect else set()
            info = then.trailer.get("/Info")
            if isinstance(info, pikepdf.Dictionary) and info.is_indirect:
                metadata.add(info.objgen)
            annots_arrays = set()
            for p in then.pages:
                annots = p.obj.get("/Annots")
                if isinstance(annots, pikepdf.Array) and annots.is_indirect:
                    annots_arrays.add(annots.objgen)
            for old in then.objects:
                if not isinstance(old, pikepdf.Object) or not old.is_indirect:
                    continue
                key = old.objgen
                new = now.get_object(key)
                if _shallow(old) == _shallow(new):
                    continue
                if key in annots_arrays or key in metadata:
                    continue  # XMP and /Info too: writers refresh their dates, nothing shows them
                if key in pages and isinstance(new, pikepdf.Dictionary):
                    if _shallow(old, skip="/Annots") == _shallow(new, skip="/Annots"):
                        continue
                    return False
                if (
                    isinstance(old, pikepdf.Dictionary)
                    and old.get("/Type", pikepdf.Name.Annot) == pikepdf.Name.Annot
                    and "/Rect" in old
                    and old.get("/Subtype") not in (None, pikepdf.Name.Widget)
                    and isinstance(new, pikepdf.Dictionary)
                    and new.get("/Subtype") == old.get("/Subtype")
                ):
                    continue
                return False
    except Exception:  # unreadable: not shown to be annotations only
        return False
    return True


def _shallow(obj: Any, skip: str | None = None) -> bytes:
    """An object as written, references as references (not followed), streams with their data."""
    if isinstance(obj, pikepdf.Stream):
        return _shallow(obj.stream_dict) + b"stream" + obj.read_raw_bytes()
    if isinstance(obj, pikepdf.Dictionary):
        # One level: nested indirect objects stay "n g R", so a change inside them is theirs.
        return b" ".join(k.encode() + b" " + _value(obj[k]) for k in sorted(obj.keys()) if k != skip)
    return _value(obj)


def _value(obj: Any) -> bytes:
    if not isinstance(obj, pikepdf.Object):
        return repr(obj).encode()  # pikepdf hands numbers and booleans out as Python values
    return bytes(obj.unparse() if obj.is_indirect else obj.unparse(resolved=True))
