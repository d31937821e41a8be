"""What travels with a rendered act: its source, its metadata and its allegati, under PDF/A."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from atti.acts import allegati as allegati_module
from atti.acts import load_act
from atti.acts.allegati import AllegatoRefused, locate_allegato, read_allegato
from atti.acts.model import Act, Allegato, ModoAllegato
from atti.errors import RenderError
from atti.templates import Converter, render_act
from atti.templates.allegati import append_pages, attachments
from atti.templates.pdfcheck import check_pdf
from atti.templates.proof import docx_paragraphs, prove_pdf

from . import bombs
from .conftest import EXAMPLE, Atti


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


@pytest.fixture(scope="module")
def signed_bando(converter: Converter, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A PDF/A-2b without the unsigned mark: a bando as its own office signed it (two pages)."""
    act = load_act(EXAMPLE).act.model_copy(update={"oggetto": "Bando Export su Misura - testo aggiornato"})
    return render_act(act, tmp_path_factory.mktemp("bando"), converter=converter, signed=True).pdf.read_bytes()


def turned(pdf: bytes, rotate: int) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            page.obj.Rotate = rotate
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def mark_boxes(pdf: bytes) -> list[list[tuple[float, float, float, float, float]]]:
    """Per page, the box of each word BOZZA as a reader shows the page, and the page's width."""
    html = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        # pdftotext gives the words where a reader shows them, but the page's unturned width.
        widths = [float(p.cropbox[3] - p.cropbox[1]) if int(p.obj.get("/Rotate", 0)) % 180
                  else float(p.cropbox[2] - p.cropbox[0]) for p in doc.pages]
    out: list[list[tuple[float, float, float, float, float]]] = []
    for page, width in zip(html.split("<page ")[1:], widths, strict=True):
        out.append([])
        for word in page.split("<word ")[1:]:
            if word.split(">", 1)[1].startswith("BOZZA<"):
                box = [float(word.split(f'{k}="', 1)[1].split('"', 1)[0]) for k in ("xMin", "yMin", "xMax", "yMax")]
                out[-1].append((box[0], box[1], box[2], box[3], width))
    return out


def test_pages_appended_to_an_unsigned_rendering_carry_the_mark(
    converter: Converter, signed_bando: bytes, tmp_path: Path
) -> None:
    # Every page of a draft says it is a draft, the allegato's pages too, upright however they
    # turn; the mark brings its own font, so the act stays PDF/A.
    (tmp_path / "bando.pdf").write_bytes(signed_bando)
    (tmp_path / "planimetria.pdf").write_bytes(turned(signed_bando, 90))
    (tmp_path / "capovolto.pdf").write_bytes(turned(signed_bando, 180))
    assert "BOZZA" not in subprocess.run(["pdftotext", "-", "-"], input=signed_bando, capture_output=True,
                                         check=True).stdout.decode()
    act = with_allegati(
        Allegato(titolo="Bando", file="bando.pdf", modo=ModoAllegato.accodato),
        Allegato(titolo="Planimetria", file="planimetria.pdf", modo=ModoAllegato.accodato),
        Allegato(titolo="Capovolto", file="capovolto.pdf", modo=ModoAllegato.accodato),
    )
    draft = render_act(act, tmp_path / "draft", converter=converter, base_dir=tmp_path).pdf.read_bytes()
    report = check_pdf(draft)
    assert report.passed, report.to_text()
    boxes = mark_boxes(draft)
    own = pages(draft) - 3 * pages(signed_bando)
    assert own >= 1 and len(boxes) == pages(draft)
    assert all(len(page) == 1 for page in boxes), boxes
    act_mark = boxes[0][0]
    for x0, y0, x1, y1, width in (page[0] for page in boxes[own:]):
        assert y1 < 60, (x0, y0, x1, y1)  # at the top of the page as shown
        # and centred, as on the act's own pages (the line is: only its first word is measured)
        assert abs(x0 - (act_mark[0] + (width - act_mark[4]) / 2)) < 2, (x0, width)
    # Same size and place as the act's own mark on the upright A4 pages.
    upright = boxes[own]
    assert all(abs(upright[0][i] - act_mark[i]) < 2 for i in range(4)), (upright, act_mark)
    signed = render_act(act, tmp_path / "signed", converter=converter, base_dir=tmp_path, signed=True)
    assert all(page == [] for page in mark_boxes(signed.pdf.read_bytes()))
    assert check_pdf(signed.pdf.read_bytes()).passed


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
    with pytest.raises(RenderError, match=r"^l'allegato 'Tabella' non può essere accodato a un PDF/A \(pdfa, fonts\): "
                                          r"allegalo invece con 'modo: allegato'$"):
        render_act(act, out, converter=converter, base_dir=tmp_path)
    act = with_allegati(Allegato(titolo="Nota", file="nota.pdf", modo=ModoAllegato.accodato))
    with pytest.raises(RenderError, match="l'allegato 'Nota' non è un PDF"):
        render_act(act, out, converter=converter, base_dir=tmp_path)
    assert not out.exists()
    # Attached instead, the same file is fine: PDF/A-3 may carry files of any kind.
    act = with_allegati(Allegato(titolo="Tabella", file="tabella.pdf"))
    assert check_pdf(render_act(act, out, converter=converter, base_dir=tmp_path).pdf.read_bytes()).passed


# -- where an allegato may come from -------------------------------------------------------------
# Only from the act's folder, or a folder the setting allegati_dirs names: an act is text anyone
# can write, and whatever its allegati name travels inside the signed PDF, byte for byte.


@pytest.fixture()
def act_dir(tmp_path: Path) -> Path:
    """tmp_path/atti holds the act; tmp_path/altrove, beside it, a file no act may take."""
    (tmp_path / "atti").mkdir()
    (tmp_path / "altrove").mkdir()
    (tmp_path / "altrove" / "segreto.txt").write_text("password\n")
    (tmp_path / "atti" / "graduatoria.csv").write_text("impresa;punteggio\n")
    return tmp_path / "atti"


def act_with_file(act_dir: Path, file: str) -> tuple[Path, int]:
    """An act in ``act_dir`` with one allegato naming ``file``; its path and the line of 'file:'."""
    text = EXAMPLE.read_text(encoding="utf-8") + f"allegati:\n  - titolo: Bando\n    file: '{file}'\n"
    path = act_dir / "atto.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text.count("\n")


OUTSIDE = "gli allegati si leggono dalla cartella dell'atto, o da una cartella indicata nell'impostazione allegati_dirs"


@pytest.mark.parametrize(
    ("file", "why"),
    [
        ("{altrove}/segreto.txt", "è un percorso assoluto fuori dalla cartella dell'atto"),
        ("/etc/passwd", "è un percorso assoluto fuori dalla cartella dell'atto"),
        ("../altrove/segreto.txt", "risale fuori dalla cartella dell'atto"),
        ("sub/../../altrove/segreto.txt", "risale fuori dalla cartella dell'atto"),
        ("collegamento.txt", "porta fuori dalla cartella dell'atto attraverso un collegamento simbolico"),
        ("cartella/segreto.txt", "porta fuori dalla cartella dell'atto attraverso un collegamento simbolico"),
    ],
)
def test_check_refuses_an_allegato_outside_the_acts_folder(atti: Atti, act_dir: Path, file: str, why: str) -> None:
    (act_dir / "collegamento.txt").symlink_to(act_dir.parent / "altrove" / "segreto.txt")
    (act_dir / "cartella").symlink_to(act_dir.parent / "altrove")
    (act_dir / "sub").mkdir()
    file = file.format(altrove=act_dir.parent / "altrove")
    path, line = act_with_file(act_dir, file)
    result = atti("check", path)
    assert result.exit_code == 1
    assert result.stdout == f"{path}:{line}:11: allegati[0].file: '{file}' {why}; {OUTSIDE}\n"


def test_an_allegato_inside_the_acts_folder_may_go_through_links_and_subfolders(atti: Atti, act_dir: Path) -> None:
    (act_dir / "documenti").mkdir()
    (act_dir / "documenti" / "bando.pdf").write_bytes(b"%PDF-1.7\n")
    (act_dir / "bando.pdf").symlink_to(act_dir / "documenti" / "bando.pdf")
    for file in ("graduatoria.csv", "documenti/bando.pdf", "bando.pdf", "documenti/../graduatoria.csv",
                 str(act_dir / "graduatoria.csv")):
        path, _ = act_with_file(act_dir, file)
        result = atti("check", path)
        assert (result.exit_code, result.stdout) == (0, f"{path}: valido\n"), file


def test_a_fifo_or_a_folder_is_no_allegato(atti: Atti, act_dir: Path) -> None:
    """Reading a named pipe would wait for a writer forever."""
    os.mkfifo(act_dir / "tubo")
    for file in ("tubo", ".", "graduatoria.csv/"):
        path, line = act_with_file(act_dir, file)
        result = atti("check", path)
        assert result.exit_code == 1, file
        assert result.stdout == f"{path}:{line}:11: allegati[0].file: '{file}' non è un file regolare\n", file


def test_the_setting_allegati_dirs_names_other_folders(atti: Atti, act_dir: Path) -> None:
    altrove = act_dir.parent / "altrove"
    for file in ("../altrove/segreto.txt", str(altrove / "segreto.txt")):
        path, line = act_with_file(act_dir, file)
        assert atti("check", path).exit_code == 1
        result = atti("check", path, env={"ATTI_ALLEGATI_DIRS": f"/nonexistent{os.pathsep}{altrove}"})
        assert (result.exit_code, result.stdout) == (0, f"{path}: valido\n"), result.output
        # In atti.toml a relative folder is relative to the file.
        config = act_dir.parent / "conf" / "atti.toml"
        config.parent.mkdir(exist_ok=True)
        config.write_text('allegati_dirs = ["../altrove"]\n')
        result = atti("--config", config, "check", path)
        assert (result.exit_code, result.stdout) == (0, f"{path}: valido\n"), result.output
    # Another folder does not open the rest of the machine.
    path, line = act_with_file(act_dir, "/etc/passwd")
    result = atti("check", path, env={"ATTI_ALLEGATI_DIRS": str(altrove)})
    assert result.stdout == f"{path}:{line}:11: allegati[0].file: '/etc/passwd' è un percorso assoluto fuori " \
                            f"dalla cartella dell'atto; {OUTSIDE}\n"


class _NoConversion(Converter):
    def to_pdf(self, docx: bytes) -> bytes:
        raise AssertionError("LibreOffice must not run for an act whose allegati are refused")


@pytest.mark.parametrize("modo", [ModoAllegato.allegato, ModoAllegato.accodato])
def test_rendering_refuses_what_check_refuses(act_dir: Path, modo: ModoAllegato) -> None:
    """Defense in depth: an act loaded without its checks (a library caller, a draft) is refused too."""
    (act_dir / "segreto.pdf").symlink_to(act_dir.parent / "altrove" / "segreto.txt")
    out = act_dir / "out"
    for file, why in [
        (str(act_dir.parent / "altrove" / "segreto.txt"), "è un percorso assoluto fuori dalla cartella dell'atto"),
        ("../altrove/segreto.txt", "risale fuori dalla cartella dell'atto"),
        ("segreto.pdf", "porta fuori dalla cartella dell'atto attraverso un collegamento simbolico"),
    ]:
        act = with_allegati(Allegato(titolo="Bando", file=file, modo=modo))
        with pytest.raises(RenderError) as info:
            render_act(act, out, converter=_NoConversion(), base_dir=act_dir)
        assert info.value.msg == f"allegato 'Bando': '{file}' {why}; {OUTSIDE}"
    assert not out.exists()
    # With the folder named, the same file is read.
    act = with_allegati(Allegato(titolo="Bando", file="../altrove/segreto.txt"))
    files = attachments(act, "x", source=None, base_dir=act_dir, allegati_dirs=[act_dir.parent / "altrove"])
    assert [(f.name, f.data) for f in files] == [("segreto.txt", b"password\n")]


def test_a_link_made_after_the_check_is_not_followed(act_dir: Path) -> None:
    """The file is opened one folder at a time without following links: swapping a folder for a
    link between the check and the reading does not lead out either."""
    (act_dir / "documenti").mkdir()
    (act_dir / "documenti" / "bando.txt").write_text("bando\n")
    act = with_allegati(Allegato(titolo="Bando", file="documenti/bando.txt"))
    assert [f.data for f in attachments(act, "x", source=None, base_dir=act_dir)] == [b"bando\n"]
    located = locate_allegato("documenti/bando.txt", act_dir)
    (act_dir / "documenti" / "bando.txt").unlink()
    (act_dir / "documenti").rmdir()
    (act_dir / "documenti").symlink_to(act_dir.parent / "altrove")
    (act_dir.parent / "altrove" / "bando.txt").write_text("password\n")
    with pytest.raises(AllegatoRefused, match="porta fuori dalla cartella dell'atto attraverso un collegamento"):
        read_allegato(located)


def test_an_allegato_larger_than_the_limit_is_refused(act_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (act_dir / "grande.bin").write_bytes(b"x" * 1001)
    monkeypatch.setattr(allegati_module, "ALLEGATO_MAX_BYTES", 1000)
    act = with_allegati(Allegato(titolo="Grande", file="grande.bin"))
    with pytest.raises(RenderError, match=r"^allegato 'Grande': 'grande.bin' è più grande di 0.001 MB$"):
        attachments(act, "x", source=None, base_dir=act_dir)


def test_a_draft_published_without_its_file_takes_its_allegati_from_the_current_folder_only(
    atti: Atti, act_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = act_dir.parent / "archivio"
    assert atti("init", "--archive", archive).exit_code == 0
    path, line = act_with_file(act_dir, "../altrove/segreto.txt")
    saved = atti("draft", "save", path, "--archive", archive, "--json")
    assert saved.exit_code == 0, saved.output
    draft_id = json.loads(saved.stdout)["id"]
    monkeypatch.chdir(act_dir)
    result = atti("publish", "--draft", draft_id, "--archive", archive)
    assert result.exit_code == 1
    assert result.stderr == f"{draft_id}.yaml:{line}:11: allegati[0].file: '../altrove/segreto.txt' risale fuori " \
                            f"dalla cartella dell'atto; {OUTSIDE}\n"


# -- what an appended PDF may cost ----------------------------------------------------------------

XMP_PDFA_2B = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    b'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="2" pdfaid:conformance="B"/></rdf:RDF>'
    b'</x:xmpmeta><?xpacket end="w"?>'
)


def base_pdf() -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_an_appended_pdf_whose_metadata_is_a_bomb_is_refused_at_once() -> None:
    """1 MB whose XMP metadata would be 1 GB: the PDF/A check stops reading it at 100 MB."""
    xmp = bombs.stream(b"/Type /Metadata /Subtype /XML /Filter /FlateDecode", bombs.flate(64))
    data = bombs.text_pdf(bombs.flate(1, b"BT ET\n"), metadata=xmp)
    assert len(data) < 2_000_000
    pdfa = next(c for c in check_pdf(data).checks if c.name == "pdfa")
    assert (pdfa.passed, pdfa.detail) == (False, "i metadati XMP: la decompressione supererebbe 100 MB")
    with pytest.raises(RenderError, match=r"^l'allegato 'Bando' non può essere accodato a un PDF/A \(.*pdfa"):
        append_pages(base_pdf(), [("Bando", data)])


def test_the_pages_of_an_appended_pdf_are_copied_not_expanded() -> None:
    """A PDF/A page whose content is 1 GB once decoded goes into the act as it is stored. (Encoded
    twice, ASCII85 over Flate, so that qpdf would otherwise decode it whole to compress it again.)"""
    content = base64.a85encode(bombs.flate(64)) + b"~>"
    xmp = bombs.stream(b"/Type /Metadata /Subtype /XML", XMP_PDFA_2B)
    data = bombs.pdf([
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        bombs.stream(b"/Filter [/ASCII85Decode /FlateDecode]", content),
        xmp,
    ])
    out = append_pages(base_pdf(), [("Bando", data)])
    assert pages(out) == 2
    assert content in out  # the stream's bytes, never decompressed and compressed again


def test_a_file_name_with_a_nul_is_refused_not_a_crash(atti: Atti, act_dir: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8") + 'allegati:\n  - titolo: Bando\n    file: "bando\\0.pdf"\n'
    path = act_dir / "atto.yaml"
    path.write_text(text, encoding="utf-8")
    result = atti("check", path)
    assert (result.exit_code, result.stdout) == (  # once, where the NUL is written
        1, f"{path}:{text.count(chr(10))}:17: allegati[0].file: il carattere U+0000 (NULL) non può stare "
        "in un atto: un carattere di controllo invisibile\n"
    )
