"""Several signatures on one act: fields made first, reviewers, then the signer's visible stamp."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import writer as pdf_writer
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from atti import pipeline
from atti.archive import Archive
from atti.config import Settings
from atti.signing import verify_pdf
from atti.signing.stamp import DICITURA, STAMP_HEIGHT, place_stamp
from atti.signing.verify import load_trust_roots
from atti.templates.pdfcheck import check_pdf

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def published(libreoffice: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[bytes, list[object]]]:
    root = tmp_path_factory.mktemp("stamp") / "archive"
    init = pipeline.init_archive(root)
    with Archive.open(root) as archive:
        result = pipeline.publish(archive, EXAMPLE, Settings(archive=root, development=True))
    yield Path(result.pdf).read_bytes(), load_trust_roots([init.root_certificate])


def _fields(pdf: bytes) -> dict[str, pikepdf.Dictionary]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return {str(f.T): f for f in doc.Root.AcroForm.Fields}


def test_reviewers_sign_first_then_the_signer(published: tuple[bytes, list[object]]) -> None:
    pdf, roots = published
    report = verify_pdf(pdf, roots)  # type: ignore[arg-type]
    assert report.indication == "TOTAL_PASSED"
    assert [(s.field_name, s.signer, s.indication) for s in report.signatures] == [
        ("Verifica1", "Roberto Valente", "TOTAL_PASSED"),
        ("Verifica2", "Franco Pozzoli", "TOTAL_PASSED"),
        ("Verifica3", "Mattia Cattaneo", "TOTAL_PASSED"),
        ("Firma", "Fabrizio Ventrice", "TOTAL_PASSED"),
    ]


def test_the_signer_stamp_is_visible_embedded_and_locks_the_act(published: tuple[bytes, list[object]]) -> None:
    pdf, _ = published
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        last = len(doc.pages) - 1
        fields = {str(f.T): f for f in doc.Root.AcroForm.Fields}
        firma = fields["Firma"]
        x0, y0, x1, y1 = (float(v) for v in firma.Rect)
        assert firma.P.objgen == doc.pages[last].obj.objgen  # on the last page
        assert x1 - x0 > 200 and abs((y1 - y0) - STAMP_HEIGHT) < 1
        assert firma.Lock.P == 2  # after it, only signatures in existing fields
        assert all(float(v) == 0 for name, f in fields.items() if name != "Firma" for v in f.Rect)
    # The stamp's text is real text in an embedded font: PDF/A stays PDF/A.
    report = check_pdf(pdf)
    assert report.passed, report.to_text()
    words = subprocess.run(["pdftotext", "-f", str(last + 1), "-l", str(last + 1), "-", "-"], input=pdf,
                           capture_output=True, check=True).stdout.decode()
    text = " ".join(words.split())
    assert "Firmato digitalmente da Fabrizio Ventrice Il Direttore Operativo il " in text
    assert text.count(DICITURA) == 2  # the act's own line, and the stamp's


def test_a_page_added_after_the_locking_signature_shows(published: tuple[bytes, list[object]]) -> None:
    pdf, roots = published
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    blank = writer.add_object(generic.StreamObject(stream_data=b""))
    writer.insert_page(pdf_writer.PageObject(contents=blank, media_box=[0, 0, 595, 842]))
    out = io.BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), roots)  # type: ignore[arg-type]
    assert report.indication != "TOTAL_PASSED"
    assert report.signatures[-1].indication in {"TOTAL_FAILED", "INDETERMINATE"}


def test_a_full_last_page_gets_a_page_for_the_stamp(tmp_path: Path) -> None:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(595, 842))
    font = doc.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    doc.pages[0].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    lines = b" ".join(b"BT /F1 10 Tf 60 %d Td (riga %d) Tj ET" % (800 - 12 * i, i) for i in range(64))
    doc.pages[0].Contents = doc.make_stream(lines)
    full = io.BytesIO()
    doc.save(full)
    pdf, plan = place_stamp(full.getvalue())
    with pikepdf.open(io.BytesIO(pdf)) as out:
        assert len(out.pages) == 2
    assert plan.page == 1 and plan.box is not None and plan.box[3] > 700  # at the top of the new page
    # With room left, the stamp goes below the text of the same page.
    doc.pages[0].Contents = doc.make_stream(b"BT /F1 10 Tf 60 800 Td (una riga) Tj ET")
    short = io.BytesIO()
    doc.save(short)
    pdf, plan = place_stamp(short.getvalue())
    assert plan.page == 0 and plan.box is not None and 700 < plan.box[3] < 790
