"""Signature fields made before any signature, and the visible stamp of the final one.

Every field an act will need (one per verifica, then the signer's) is created in one update
before the first signature: after a signature, adding a field is a change to a signed document,
and after a certification or a locking signature it is forbidden outright. The signer's field is
visible on the last page, below the last line of text (on a page of its own when there is no
room), and shows who signed, as what, when, and the CAD article; its font is embedded, so the
PDF/A stays PDF/A.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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

DICITURA = "Firmato digitalmente ai sensi dell'art. 24 del D. Lgs. 82/2005"
FINAL_FIELD = "Firma"
STAMP_WIDTH, STAMP_HEIGHT = 270.0, 64.0
_MARGIN = 56.0  # points from the page edges; the templates' margins are 2.2-2.5 cm
_GAP = 12.0  # between the last line of text and the stamp
_FONT_SIZE = 7
_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # Debian fonts-dejavu-core
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
)
# fontTools reports, on every stamp, the font tables it leaves out of the subset.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
# pyHanko fills %(signer)s and %(ts)s; the rest comes from appearance_text_params.
STAMP_TEXT = "Firmato digitalmente da %(signer)s\n%(qualifica)s\nil %(ts)s\n" + DICITURA


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
    raise SigningError("no font for the signature stamp: install the Debian package fonts-dejavu-core")


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


def _lowest_text(pdf: bytes, page: int) -> float | None:
    """How far down the page (points from the top) its text reaches, from poppler."""
    exe = shutil.which("pdftotext")
    if exe is None:
        raise SigningError("pdftotext not found: install the Debian package poppler-utils")
    proc = subprocess.run(
        [exe, "-bbox", "-f", str(page + 1), "-l", str(page + 1), "-", "-"],
        input=pdf, capture_output=True, check=False,
    )
    if proc.returncode != 0:
        raise SigningError("cannot read the PDF's last page to place the signature stamp")
    bottoms = [float(y) for y in re.findall(rb'yMax="([0-9.]+)"', proc.stdout)]
    return max(bottoms) if bottoms else None


def place_stamp(pdf: bytes) -> tuple[bytes, FieldPlan]:
    """Where the signer's stamp goes: below the text of the last page, right-aligned.

    Returns the PDF (with a blank last page added when the last one is full) and the field.
    """
    try:
        doc = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as exc:
        raise SigningError(f"not a PDF: {exc}") from None
    with doc:
        last = len(doc.pages) - 1
        x0, y0, x1, y1 = (float(v) for v in doc.pages[last].mediabox)
        width, height = x1 - x0, y1 - y0
        lowest = _lowest_text(pdf, last)
        top = (lowest if lowest is not None else _MARGIN) + _GAP  # from the top of the page
        if height - top - STAMP_HEIGHT < _MARGIN:
            doc.add_blank_page(page_size=(width, height))
            last += 1
            top = _MARGIN
            out = io.BytesIO()
            doc.save(out, deterministic_id=True)
            pdf = out.getvalue()
    right = x0 + width - _MARGIN
    upper = y0 + height - top
    box = (right - STAMP_WIDTH, upper - STAMP_HEIGHT, right, upper)
    return pdf, FieldPlan(FINAL_FIELD, page=last, box=box, lock=True)


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
        raise SigningError(f"cannot add signature fields: {' '.join(str(exc).split())}") from None
    return out.getvalue()


def verification_field(index: int) -> str:
    """The field of the index-th verifica (from 0): Verifica1, Verifica2, ..."""
    return f"Verifica{index + 1}"
