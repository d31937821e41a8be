"""What travels with a rendered act: its source, its metadata and its allegati, under PDF/A."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from atti.acts import load_act
from atti.acts.model import Act, Allegato, ModoAllegato
from atti.errors import RenderError
from atti.templates import Converter, render_act
from atti.templates.pdfcheck import check_pdf
from atti.templates.proof import docx_paragraphs, prove_pdf

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def converter(libreoffice: str) -> Iterator[Converter]:
    with Converter() as conv:
        yield conv


@pytest.fixture(scope="module")
def pdfa2(converter: Converter, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A PDF/A-2b made by LibreOffice, to stand for a PDF/A allegato (e.g. a bando)."""
    act = load_act(EXAMPLE).act.model_copy(update={"oggetto": "Bando Export su Misura - testo aggiornato"})
    return render_act(act, tmp_path_factory.mktemp("bando"), converter=converter).pdf.read_bytes()


def pages(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)


def detach(pdf: Path, out: Path) -> dict[str, bytes]:
    out.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(out), str(pdf)], check=True)
    return {p.name: p.read_bytes() for p in out.iterdir()}


def with_allegati(*allegati: Allegato) -> Act:
    return load_act(EXAMPLE).act.model_copy(update={"allegati": list(allegati)})


def test_without_files_the_act_stays_pdfa_2b(converter: Converter, tmp_path: Path) -> None:
    rendered = render_act(load_act(EXAMPLE).act, tmp_path, converter=converter)
    report = check_pdf(rendered.pdf.read_bytes())
    assert report.passed and report.pdfa == "PDF/A-2B" and report.attachments == ()


def test_the_source_and_metadata_travel_inside_a_pdfa_3b(converter: Converter, tmp_path: Path) -> None:
    source = EXAMPLE.read_text(encoding="utf-8")
    act = load_act(EXAMPLE).act
    rendered = render_act(act, tmp_path / "out", converter=converter, source=source)
    pdf = rendered.pdf.read_bytes()
    report = check_pdf(pdf)
    assert report.passed and report.pdfa == "PDF/A-3B"
    assert {(a.name, a.relationship) for a in report.attachments} == {
        ("determinazione-DO-129-2026.yaml", "Source"), ("determinazione-DO-129-2026.json", "Data"),
    }
    files = detach(rendered.pdf, tmp_path / "detached")
    assert files["determinazione-DO-129-2026.yaml"] == source.encode("utf-8")
    metadata = json.loads(files["determinazione-DO-129-2026.json"])
    assert (metadata["registro"], metadata["numero"], metadata["anno"]) == ("D.O.", 129, 2026)
    # The attachments change nothing the reader sees.
    assert prove_pdf(act, pdf, docx_paragraphs(rendered.docx.read_bytes())).passed


def test_allegati_are_attached_or_appended(converter: Converter, pdfa2: bytes, tmp_path: Path) -> None:
    (tmp_path / "graduatoria.csv").write_text("impresa;punteggio\nAlfa Srl;87\n", encoding="utf-8")
    (tmp_path / "bando.pdf").write_bytes(pdfa2)
    act = with_allegati(
        Allegato(titolo="Graduatoria", file="graduatoria.csv"),
        Allegato(titolo="Bando aggiornato", file="bando.pdf", modo=ModoAllegato.accodato),
    )
    alone = render_act(with_allegati(), tmp_path / "alone", converter=converter).pdf.read_bytes()
    rendered = render_act(act, tmp_path / "out", converter=converter, base_dir=tmp_path)
    pdf = rendered.pdf.read_bytes()
    report = check_pdf(pdf)
    assert report.passed, report.to_text()
    assert [(a.name, a.relationship, a.mime) for a in report.attachments] == [
        ("graduatoria.csv", "Supplement", "text/csv")
    ]
    assert pages(pdf) == pages(alone) + pages(pdfa2)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Allegati:" in text and "Bando Export su Misura - testo aggiornato" in text


def test_only_a_plain_pdfa_can_be_appended(converter: Converter, tmp_path: Path) -> None:
    # A PDF with a font it does not embed would make the act's PDF/A claim false.
    plain = pikepdf.new()
    plain.add_blank_page()
    font = plain.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                  BaseFont=pikepdf.Name.Helvetica))
    plain.pages[0].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    plain.pages[0].Contents = plain.make_stream(b"BT /F1 12 Tf 72 720 Td (Tabella) Tj ET")
    plain.save(tmp_path / "tabella.pdf")
    (tmp_path / "nota.pdf").write_text("not a pdf")
    out = tmp_path / "out"
    act = with_allegati(Allegato(titolo="Tabella", file="tabella.pdf", modo=ModoAllegato.accodato))
    with pytest.raises(RenderError, match=r"^allegato 'Tabella' cannot be appended to a PDF/A \(pdfa, fonts\): "
                                          r"attach it instead with 'modo: allegato'$"):
        render_act(act, out, converter=converter, base_dir=tmp_path)
    act = with_allegati(Allegato(titolo="Nota", file="nota.pdf", modo=ModoAllegato.accodato))
    with pytest.raises(RenderError, match="allegato 'Nota' is not a PDF"):
        render_act(act, out, converter=converter, base_dir=tmp_path)
    assert not out.exists()
    # Attached instead, the same file is fine: PDF/A-3 may carry files of any kind.
    act = with_allegati(Allegato(titolo="Tabella", file="tabella.pdf"))
    assert check_pdf(render_act(act, out, converter=converter, base_dir=tmp_path).pdf.read_bytes()).passed
