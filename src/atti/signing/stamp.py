"""Signature fields made before any signature, and the visible stamp of the final one.

Every field an act will need (one per verifica, then one per firmatario) is created in one
update before the first signature: after a signature, adding a field is a change to a signed
document, and after a certification or a locking signature it is forbidden outright. The
firmatari's fields are visible on the last page, one below the other under the last line of
text (the signed rendering leaves room for them: ``spazi_firma``; on a page of their own when
there is none), inside the text's margins, and show who signed, as what, when (Italian time,
Europe/Rome, said as such) and the CAD article, in the document's own font (embedded, so the
PDF/A stays PDF/A).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields
from pyhanko.stamp import TextStampStyle

from atti.errors import SigningError
from atti.i18n import _

DICITURA = "Firmato digitalmente ai sensi dell'art. 24 del D. Lgs. 82/2005"
FINAL_FIELD = "Firma"
STAMP_WIDTH, STAMP_HEIGHT = 270.0, 64.0
_MARGIN = 56.0  # points from the page edges when the page has no text to align with
_FOOTER = 60.0  # the band at the foot of a page where the footer ("Pagina n di m") stands
_GAP = 12.0  # between the last line of text and the stamp, and between two stamps
_FONT_SIZE = 7
_FONTS = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),  # the packaged templates' font
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # Debian fonts-dejavu-core
)
ROME = ZoneInfo("Europe/Rome")
"""The time the stamp shows is Italian time, whatever the machine's zone."""
# fontTools reports, on every stamp, the font tables it leaves out of the subset.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
# pyHanko fills %(signer)s; the rest comes from appearance_text_params: %(ora)s is the signing time in
# Italian time (pyHanko's own %(ts)s is in UTC).
STAMP_TEXT = "Firmato digitalmente da %(signer)s\n%(qualifica)s\nil %(ora)s\n" + DICITURA


@dataclass(frozen=True)
class FieldPlan:
    """A signature field to create: invisible unless it has a page and a box."""

    name: str
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    lock: bool = False  # the final signature locks the document against anything but signatures


def stamp_font() -> Path:
    for font in _FONTS:
        if font.is_file():
            return font
    raise SigningError(_("no font for the signature stamp: install the Debian package fonts-dejavu-core"))


def stamp_time(when: dt.datetime | None = None) -> str:
    """The signing time as the stamp shows it: "19/05/2026 10:32:05 CEST (ora italiana)"."""
    local = (when or dt.datetime.now(dt.UTC)).astimezone(ROME)
    return f"{local:%d/%m/%Y %H:%M:%S %Z} (ora italiana)"


def document_font(pdf: bytes) -> Path | None:
    """The file of the regular font the PDF's last page says most of its text in, when installed.

    LibreOffice names an embedded font "BAAAAA+LiberationSans": the family is looked up among
    the installed fonts (fontconfig) without its spaces; a bold or italic face is not the body's.
    """
    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            page = doc.pages[-1]
            fonts = {str(k): str(f.get("/BaseFont", "")) for k, f in page.Resources.get("/Font", {}).items()}
            used: Counter[str] = Counter()
            current = ""
            for instruction in pikepdf.parse_content_stream(page):
                if not isinstance(instruction, pikepdf.ContentStreamInstruction):
                    continue
                operands, operator = instruction.operands, instruction.operator
                if str(operator) == "Tf" and operands:
                    current = fonts.get(str(operands[0]), "")
                elif str(operator) in ("Tj", "TJ", "'", '"') and current:
                    used[current] += len(bytes(operands[-1])) if str(operator) != "TJ" else sum(
                        len(bytes(x)) for x in operands[0] if isinstance(x, pikepdf.String))
    except (pikepdf.PdfError, AttributeError, TypeError, ValueError):
        return None
    for name, _count in used.most_common():
        base = name.lstrip("/").split("+", 1)[-1]
        if any(style in base for style in ("Bold", "Italic", "Oblique")):
            continue
        found = _installed_fonts().get(base.replace(" ", "").casefold())
        if found is not None:
            return found
    return None


@functools.cache
def _installed_fonts() -> dict[str, Path]:
    """Regular TrueType faces by family without spaces, casefolded: "liberationsans"."""
    exe = shutil.which("fc-list")
    if exe is None:
        return {}
    proc = subprocess.run([exe, ":", "family", "style", "file"], capture_output=True, text=True, check=False)
    out: dict[str, Path] = {}
    for line in proc.stdout.splitlines():
        file, _, rest = line.partition(": ")
        family, _, style = rest.partition(":style=")
        if file.endswith(".ttf") and style.split(",")[0] in ("Regular", "Book"):
            out.setdefault(family.split(",")[0].replace(" ", "").casefold(), Path(file))
    return out


_scaled_fonts: dict[Path, Path] = {}
_scaled_dir: tempfile.TemporaryDirectory[str] | None = None


def _upem_1000(font: Path) -> Path:
    """The font rescaled to 1000 units per em, cached for the process.

    pyHanko writes a TrueType font's glyph widths (/W) and kerning in the font's own units, but
    PDF reads them as thousandths of an em: with DejaVu's or Liberation's 2048 units every glyph
    would stand twice as wide as it is. Rescaling the font makes the two agree.
    """
    global _scaled_dir
    if font not in _scaled_fonts:
        tt = TTFont(str(font))
        # Names are Latin script: keep those glyphs only, which makes the rescaling quick.
        options = subset.Options()
        options.layout_features = ["kern", "liga"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[*range(0x20, 0x250), *range(0x2000, 0x2070), 0x20AC])
        subsetter.subset(tt)
        if tt["head"].unitsPerEm != 1000:
            scale_upem(tt, 1000)
        if _scaled_dir is None:
            _scaled_dir = tempfile.TemporaryDirectory(prefix="atti-stamp-font-")
        target = Path(_scaled_dir.name) / font.name
        tt.save(str(target))
        _scaled_fonts[font] = target
    return _scaled_fonts[font]


def stamp_style(font: Path | None = None) -> TextStampStyle:
    """The stamp's look, in ``font`` (the document's: :func:`document_font`) or a default one."""
    # A TrueType font that pyHanko subsets and embeds: its default Courier is not embedded,
    # which PDF/A forbids. The engine shapes at its own size: it must be the box's size, or
    # every glyph is placed as if it were larger (pyHanko issue #733).
    engine = GlyphAccumulatorFactory(str(_upem_1000(font or stamp_font())), font_size=_FONT_SIZE)
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        text_box_style=TextBoxStyle(font=engine, font_size=_FONT_SIZE),
        border_width=1,
        timestamp_format="%d/%m/%Y %H:%M:%S %Z",
    )


def _text_extent(pdf: bytes, page: int, height: float) -> tuple[float | None, float | None, float | None]:
    """How far down the page (points from the top) its text reaches above the footer band, and
    its text's left and right edges (the margins), from poppler."""
    exe = shutil.which("pdftotext")
    if exe is None:
        raise SigningError(_("pdftotext not found: install the Debian package poppler-utils"))
    proc = subprocess.run(
        [exe, "-bbox", "-f", str(page + 1), "-l", str(page + 1), "-", "-"],
        input=pdf, capture_output=True, check=False,
    )
    if proc.returncode != 0:
        raise SigningError(_("cannot read the PDF's last page to place the signature stamp"))
    words = [
        tuple(float(v) for v in m)
        for m in re.findall(rb'xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)"', proc.stdout)
    ]
    body = [w for w in words if w[1] < height - _FOOTER]
    if not body:
        return None, None, None
    return max(w[3] for w in body), min(w[0] for w in body), max(w[2] for w in body)


def place_stamp(pdf: bytes) -> tuple[bytes, FieldPlan]:
    """Where a single signer's stamp goes (see :func:`place_stamps`)."""
    pdf, plans = place_stamps(pdf, [FINAL_FIELD])
    return pdf, plans[0]


def signer_fields(count: int) -> list[str]:
    """The fields of ``count`` firmatari in signing order: Firma1, Firma2, ..., the last one always
    :data:`FINAL_FIELD` (the locking signature, the one a single signer makes)."""
    return [f"Firma{i + 1}" for i in range(count - 1)] + [FINAL_FIELD]


def place_stamps(pdf: bytes, names: Sequence[str]) -> tuple[bytes, list[FieldPlan]]:
    """Where the firmatari's stamps go: one below the other under the text of the last page,
    right-aligned with the text's right margin; the last field locks.

    Returns the PDF (with a blank last page added when the last one has no room) and the fields.
    """
    try:
        doc = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as exc:
        raise SigningError(_("not a PDF: {reason}").format(reason=exc)) from None
    needed = len(names) * (STAMP_HEIGHT + _GAP)
    with doc:
        last = len(doc.pages) - 1
        x0, y0, x1, y1 = (float(v) for v in doc.pages[last].mediabox)
        width, height = x1 - x0, y1 - y0
        lowest, left, right_edge = _text_extent(pdf, last, height)
        top = (lowest if lowest is not None else _MARGIN) + _GAP  # from the top of the page
        if height - top - needed < _FOOTER:
            doc.add_blank_page(page_size=(width, height))
            last += 1
            top = _MARGIN
            out = io.BytesIO()
            doc.save(out, deterministic_id=True)
            pdf = out.getvalue()
    # Inside the text's margins: its right edge, unless the text is too narrow for the stamp.
    right = width - _MARGIN
    if right_edge is not None and left is not None and right_edge - left >= STAMP_WIDTH:
        right = right_edge
    right += x0
    plans = []
    for i, name in enumerate(names):
        upper = y0 + height - top - i * (STAMP_HEIGHT + _GAP)
        box = (right - STAMP_WIDTH, upper - STAMP_HEIGHT, right, upper)
        plans.append(FieldPlan(name, page=last, box=box, lock=i == len(names) - 1))
    return pdf, plans


def prepare_fields(pdf: bytes, plans: Sequence[FieldPlan]) -> bytes:
    """The PDF with every planned signature field created, empty, in one incremental update."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        for plan in plans:
            spec = fields.SigFieldSpec(
                sig_field_name=plan.name,
                on_page=plan.page if plan.page is not None else 0,
                box=tuple(round(v) for v in plan.box) if plan.box else None,  # type: ignore[arg-type]
                # Locking: after this signature only form filling and further signatures in
                # fields that already exist are allowed; any other change shows as a violation.
                field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if plan.lock else None,
                doc_mdp_update_value=fields.MDPPerm.FILL_FORMS if plan.lock else None,
            )
            fields.append_signature_field(writer, spec)
        out = io.BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call]
    except Exception as exc:  # pyHanko's parser meets arbitrary input; any failure: not usable
        raise SigningError(
            _("cannot add signature fields: {reason}").format(reason=" ".join(str(exc).split()))
        ) from None
    return out.getvalue()


def verification_field(index: int) -> str:
    """The field of the index-th verifica (from 0): Verifica1, Verifica2, ..."""
    return f"Verifica{index + 1}"
