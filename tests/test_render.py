"""Rendering: the template's layout and escaping, and LibreOffice's conversion and failures."""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import tracemalloc
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import docx
import pytest
from freezegun import freeze_time

from atti.acts import load_act_text
from atti.acts.model import Act, Allegato, Esito, TipoAtto
from atti.errors import ConverterMissing, RenderError
from atti.templates import Converter, render_act, render_docx
from atti.templates.render import base_name

from . import bombs
from .conftest import EXAMPLE, Atti, process_alive

NASTY = "<b>Ditta & figli</b> \"Srl\" l'{{ ente.nome }} {% if true %}x{% endif %} € 1.000,00 ✓"


def example(text: str | None = None) -> Act:
    return load_act_text(text if text is not None else EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE)).act


def paragraphs(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def edit(act: Act, **update: object) -> Act:
    return act.model_copy(update=update)


def header_texts(data: bytes) -> list[str]:
    """The text of every header paragraph of every section, first-page and even-page ones too."""
    document = docx.Document(io.BytesIO(data))
    return [
        p.text for section in document.sections
        for header in (section.header, section.first_page_header, section.even_page_header)
        if not header.is_linked_to_previous for p in header.paragraphs if p.text.strip()
    ]


@pytest.mark.parametrize("signed", [True, False])
def test_docx_lays_out_the_act_in_the_seed_order(signed: bool) -> None:
    """The signed rendering says it is signed digitally; any other says, atop each page, it is not."""
    act = example()
    data = render_docx(act, signed=signed)
    text = paragraphs(data)
    expected = [
        "Unioncamere Lombardia",
        "www.unioncamerelombardia.it",
        "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026",
        "Del 19/05/2026",
        f"OGGETTO: {act.oggetto}",
        "IL DIRETTORE OPERATIVO",
        *act.poteri,
        "Premesso che:",
        *act.premesse,
        "Visto:",
        *act.visti,
        "DETERMINA",
        *act.dispositivo.punti,
        "Proposta di: Area Servizi alle Imprese ed al Territorio",
        "F.to Nicolas Sangalli",
        "Il Direttore Operativo",
        "Fabrizio Ventrice",
        *(["Firmato digitalmente ai sensi dell'art. 24 del D. Lgs. 82/2005"] if signed else []),
        "Verifica Area Servizi alle Imprese ed al Territorio",
        "✓Roberto Valente",
        "Verifica Legale",
        "✓Franco Pozzoli",
        "Verifica Amministrativa",
        "✓Mattia Cattaneo",
    ]
    assert [t for t in text if t.strip()] == expected
    # The first page's header is empty (the letterhead is in the body); the others' name the act.
    running = "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026 del 19/05/2026"
    mark = [] if signed else ["BOZZA - documento non firmato"]
    assert header_texts(data) == [*mark, running, *mark]


def test_list_items_are_real_list_paragraphs() -> None:
    """Premesse, visti and punti are list items (numbering), not paragraphs with a typed dash."""
    act = example()
    document = docx.Document(io.BytesIO(render_docx(act)))
    listed = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "List Bullet"]
    assert listed == [*act.poteri, *act.premesse, *act.visti, *act.dispositivo.punti]


def test_text_from_yaml_is_data_never_template_code() -> None:
    act = example()
    act = edit(act, oggetto=NASTY, premesse=[NASTY, "a < b && c > d"], firmatario=act.firmatario)
    data = render_docx(act)
    text = paragraphs(data)
    assert f"OGGETTO: {NASTY}" in text
    assert text.count(NASTY) == 1 and "a < b && c > d" in text
    # The XML itself stays well formed: the characters were escaped, not injected.
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
    assert "&lt;b&gt;Ditta &amp; figli&lt;/b&gt;" in xml


def test_optional_parts_disappear_when_empty() -> None:
    act = edit(example(), numero=None, proposta=None, verifiche=[], considerato=[], poteri=[])
    text = [t for t in paragraphs(render_docx(act)) if t.strip()]
    assert "DETERMINAZIONE DEL DIRETTORE OPERATIVO" in text  # a draft has no number yet
    assert not any(t.startswith(("Proposta di", "F.to", "Verifica", "Considerato")) for t in text)


def test_considerato_and_allegati_are_rendered_when_given() -> None:
    act = edit(example(), considerato=["il termine è imminente;"], allegati=[Allegato(titolo="Bando aggiornato")])
    text = [t for t in paragraphs(render_docx(act)) if t.strip()]
    at = text.index("Considerato che:")
    assert text[at + 1] == "il termine è imminente;"
    assert text[text.index("Allegati:") + 1] == "Bando aggiornato"
    assert text.index("Visto:") < at < text.index("DETERMINA") < text.index("Allegati:")


def test_only_positive_verifications_get_the_check_mark() -> None:
    act = example()
    verifiche = [act.verifiche[0], act.verifiche[1].model_copy(update={"esito": Esito.sospeso})]
    text = paragraphs(render_docx(edit(act, verifiche=verifiche)))
    assert "✓Roberto Valente" in text and "Franco Pozzoli" in text and "✓Franco Pozzoli" not in text


def test_file_names_follow_type_register_number_year() -> None:
    act = example()
    assert base_name(act) == "determinazione-DO-129-2026"
    assert base_name(edit(act, numero=None)) == "determinazione-DO-bozza-2026"


def test_a_broken_template_is_one_clear_error(tmp_path: Path) -> None:
    good = zipfile.ZipFile(Path(__file__).parent.parent / "src/atti/templates/determinazione.docx")
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as out:
        for item in good.infolist():
            data = good.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ oggetto }}", b"{{ oggetto | no_such_filter }}", 1)
            out.writestr(item, data)
    with pytest.raises(RenderError, match=r"^il modello .*broken\.docx è danneggiato: "):
        render_docx(example(), broken)
    not_docx = tmp_path / "plain.docx"
    not_docx.write_text("hello")
    with pytest.raises(RenderError, match="non è un file DOCX utilizzabile"):
        render_docx(example(), not_docx)
    with pytest.raises(RenderError, match="modello non trovato"):
        render_docx(example(), tmp_path / "missing.docx")


def test_a_body_template_that_is_a_zip_bomb_is_refused_before_it_expands(atti: Atti, tmp_path: Path) -> None:
    """The body's templates folder is read by python-docx, whole: its sizes are checked first."""
    good = zipfile.ZipFile(Path(__file__).parent.parent / "src/atti/templates/determinazione.docx")
    members = []
    for item in good.infolist():
        data = good.read(item)
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        members.append((item.filename, packer.compress(data) + packer.flush(), len(data), zlib.crc32(data)))
    members = [m if m[0] != "word/document.xml" else (m[0], bombs.raw_deflate(128), 128 * bombs.CHUNK, 0)
               for m in members]
    modelli = tmp_path / "modelli"
    modelli.mkdir()
    (modelli / "determinazione.docx").write_bytes(bombs.zip_file(members))
    tracemalloc.start()
    try:
        result = atti("render", EXAMPLE, "-o", tmp_path / "out", env={"ATTI_TEMPLATES": str(modelli)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (result.exit_code, result.stderr) == (3, f"Errore: modello {modelli / 'determinazione.docx'}: il DOCX, "
                                                    "decompresso, supererebbe 100 MB (word/document.xml): rifiutato\n")
    assert peak < 50_000_000
    assert not (tmp_path / "out").exists()


class _FixedPdf(Converter):
    def to_pdf(self, docx: bytes) -> bytes:
        return b"%PDF-1.7\n(not LibreOffice's)\n%%EOF\n"


def test_an_interruption_between_the_docx_and_the_pdf_leaves_no_docx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file is written atomically; the pair is kept whole too: Ctrl-C (or SIGTERM, which the CLI
    raises as its subclass) after the DOCX and before the PDF takes the new DOCX away again."""
    from atti.templates import render as render_module

    write = render_module.write_atomic

    def interrupted(path: Path, data: bytes, **kwargs: object) -> None:
        if path.suffix == ".pdf":
            raise KeyboardInterrupt
        write(path, data)

    monkeypatch.setattr(render_module, "write_atomic", interrupted)
    with pytest.raises(KeyboardInterrupt):
        render_act(example(), tmp_path / "out", converter=_FixedPdf())
    assert list((tmp_path / "out").iterdir()) == []


def _fake_soffice(tmp_path: Path, body: str) -> str:
    script = tmp_path / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def test_a_hanging_converter_is_killed_and_leaves_no_output(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    # The fake soffice forks a child, as the real one does, so the whole group must die.
    soffice = _fake_soffice(tmp_path, f"sleep 60 & echo $! > {pidfile}; wait")
    out = tmp_path / "out"
    with pytest.raises(RenderError, match=r"^LibreOffice non ha convertito l'atto entro 0.5 s$"):
        render_act(example(), out, converter=Converter(timeout=0.5, soffice=soffice))
    assert not out.exists()
    assert not process_alive(int(pidfile.read_text()))


def test_a_failing_converter_reports_its_last_words(tmp_path: Path) -> None:
    soffice = _fake_soffice(tmp_path, "echo 'Errore: source file could not be loaded' >&2; exit 1")
    with pytest.raises(RenderError, match="non è riuscito a convertire l'atto in PDF: Errore: source file could not"):
        render_act(example(), tmp_path / "out", converter=Converter(soffice=soffice))
    assert not (tmp_path / "out").exists()


def test_a_missing_converter_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATTI_SOFFICE", str(tmp_path / "nothing"))
    with pytest.raises(ConverterMissing, match="LibreOffice non trovato: ATTI_SOFFICE="):
        Converter().to_pdf(b"")
    monkeypatch.delenv("ATTI_SOFFICE")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("atti.templates.convert._CANDIDATES", ("soffice", str(tmp_path / "nope")))
    with pytest.raises(ConverterMissing, match="libreoffice-writer-nogui"):
        Converter().to_pdf(b"")


@pytest.mark.libreoffice
def test_libreoffice_writes_a_tagged_pdfa_with_embedded_fonts(tmp_path: Path) -> None:
    act = edit(example(), premesse=[NASTY, *example().premesse])
    rendered = render_act(act, tmp_path)
    pdf = rendered.pdf.read_bytes()
    assert re.search(rb"<pdfaid:part>2</pdfaid:part>", pdf) and re.search(rb"<pdfaid:conformance>B<", pdf)
    fonts = subprocess.run(["pdffonts", str(rendered.pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), fonts
    info = subprocess.run(["pdfinfo", str(rendered.pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M) and re.search(r"^Encrypted:\s+no$", info, re.M)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(rendered.pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert NASTY in " ".join(text.split())
    assert oct(rendered.pdf.stat().st_mode & 0o777) != "0o600"  # readable like any other new file


def _png(path: Path, width: int = 4, height: int = 2) -> Path:
    """A tiny valid PNG, written by hand so the tests need no imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
                     + chunk(b"IEND", b""))
    return path


def test_each_act_type_has_its_own_template() -> None:
    act = example()
    delibera = edit(act, tipo=TipoAtto.delibera, organo="Giunta Camerale", autorita="La Giunta Camerale",
                    dispositivo=act.dispositivo.model_copy(update={"formula": None}))
    text = [t for t in paragraphs(render_docx(delibera)) if t.strip()]
    assert "DELIBERAZIONE DELLA GIUNTA CAMERALE N. 129/2026" in text
    assert "Seduta del 19/05/2026" in text and "LA GIUNTA CAMERALE" in text and "DELIBERA" in text
    decreto = edit(act, tipo=TipoAtto.decreto, dispositivo=act.dispositivo.model_copy(update={"formula": None}))
    text = [t for t in paragraphs(render_docx(decreto)) if t.strip()]
    assert "DECRETO DEL DIRETTORE OPERATIVO N. 129/2026" in text and "DECRETA" in text


def test_a_body_overrides_templates_and_adds_its_logo(tmp_path: Path) -> None:
    act = example()
    body = tmp_path / "templates"
    body.mkdir()
    ours = render_docx(act)
    # The body's own determinazione: the packaged one with a different letterhead line.
    with zipfile.ZipFile(Path(__file__).parent.parent / "src/atti/templates/determinazione.docx") as good, \
            zipfile.ZipFile(body / "determinazione.docx", "w") as out:
        for item in good.infolist():
            data = good.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ ente.sito }}", b"Piazza Duomo 1 - Milano", 1)
            out.writestr(item, data)
    text = paragraphs(render_docx(act, templates_dir=body))
    assert "Piazza Duomo 1 - Milano" in text and "www.unioncamerelombardia.it" not in text
    # A type the body has no template for falls back to the packaged one.
    decreto = edit(act, tipo=TipoAtto.decreto)
    assert "www.unioncamerelombardia.it" in paragraphs(render_docx(decreto, templates_dir=body))
    # logo.png in the folder appears in the letterhead; without it there is no picture at all.
    assert not any(n.startswith("word/media/") for n in zipfile.ZipFile(io.BytesIO(ours)).namelist())
    _png(body / "logo.png")
    with_logo = zipfile.ZipFile(io.BytesIO(render_docx(act, templates_dir=body)))
    assert any(n.startswith("word/media/") and n.endswith(".png") for n in with_logo.namelist())
    assert b"<pic:pic" in with_logo.read("word/document.xml")


def test_the_same_act_renders_to_the_same_docx_bytes() -> None:
    act = example()
    with freeze_time("2026-05-19 09:00:00"):
        first = render_docx(act)
    with freeze_time("2027-01-02 18:30:45"):
        second = render_docx(act)
    assert first == second
    assert render_docx(edit(act, oggetto=act.oggetto + ".")) != first


def test_the_docx_is_the_zip_that_zipfile_writes() -> None:
    # Parts are compressed once per template; the zip must still be the standard one, byte for byte.
    data = render_docx(example())
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        members = [(info.filename, package.read(info)) for info in package.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as again:
        for name, blob in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            again.writestr(info, blob)
    assert out.getvalue() == data


def test_acts_rendered_one_after_another_do_not_leak_into_each_other() -> None:
    # Every act starts from a copy of the template: lists, numbering and text of the one before
    # must not carry over.
    act = example()
    other = edit(act, oggetto="Un altro oggetto", premesse=["una sola premessa;"])
    first = render_docx(act)
    assert "OGGETTO: Un altro oggetto" in paragraphs(render_docx(other))
    assert render_docx(act) == first
    assert render_docx(other) == render_docx(other)


def test_a_template_edited_between_two_acts_is_read_again(tmp_path: Path) -> None:
    act = example()
    body = tmp_path / "templates"
    body.mkdir()
    template = body / "determinazione.docx"
    for n, street in enumerate(("Piazza Duomo 1", "Via Verdi 12 A")):
        with zipfile.ZipFile(Path(__file__).parent.parent / "src/atti/templates/determinazione.docx") as good, \
                zipfile.ZipFile(template, "w") as out:
            for item in good.infolist():
                data = good.read(item)
                if item.filename == "word/document.xml":
                    data = data.replace(b"{{ ente.sito }}", street.encode(), 1)
                out.writestr(item, data)
        # Same size both times; a later modification time, even on a coarse clock.
        os.utime(template, ns=(10**18 + n * 10**9, 10**18 + n * 10**9))
        assert paragraphs(render_docx(act, templates_dir=body))[:2] == ["Unioncamere Lombardia", street]


# -- the page as a reader sees it --------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    page_width: float


def layout(pdf: Path) -> list[Line]:
    """Every line of text with its box, from poppler's -bbox-layout (points, origin top left)."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    out = []
    for number, page in enumerate(ElementTree.fromstring(xml).iterfind(".//x:page", ns), start=1):
        width = float(page.get("width", "0"))
        for line in page.iterfind(".//x:line", ns):
            words = [w.text or "" for w in line.iterfind("x:word", ns)]
            out.append(Line(number, " ".join(words), float(line.get("xMin", "0")), float(line.get("yMin", "0")),
                            float(line.get("xMax", "0")), width))
    return out


@pytest.mark.libreoffice
def test_the_first_page_is_laid_out_like_a_determinazione(tmp_path: Path) -> None:
    rendered = render_act(example(), tmp_path)
    lines = layout(rendered.pdf)

    def first(prefix: str) -> Line:
        return next(line for line in lines if line.text.startswith(prefix))

    margin = 2.2 / 2.54 * 72  # the template's left and right margins, 2.2 cm

    def centred(line: Line) -> bool:
        return abs((line.x0 + line.x1) / 2 - line.page_width / 2) < 3

    ente, title, date = first("Unioncamere Lombardia"), first("DETERMINAZIONE DEL"), first("Del 19/05/2026")
    oggetto, autorita, premesso = first("OGGETTO:"), first("IL DIRETTORE OPERATIVO"), first("Premesso che:")
    # Top to bottom on the first page, in the seed's order.
    assert [x.page for x in (ente, title, date, oggetto, autorita, premesso)] == [1] * 6
    assert ente.y0 < title.y0 < date.y0 < oggetto.y0 < autorita.y0 < premesso.y0
    # The heading lines are centred; the subject and the part headings start at the left margin.
    assert all(centred(x) for x in (ente, title, date, autorita, first("DETERMINA")))
    assert title.text == "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026"
    assert abs(oggetto.x0 - margin) < 2 and abs(premesso.x0 - margin) < 2
    # List items: the dash at the margin, the text indented after it (a hanging indent).
    item = first("Regione Lombardia e Sistema Camerale")
    dash = next(x for x in lines if x.text == "-" and abs(x.y0 - item.y0) < 2)
    assert abs(dash.x0 - margin) < 2 and item.x0 > dash.x1 + 5
    continuation = lines[lines.index(item) + 1]
    assert continuation.text.startswith("economico e la competitività") and abs(continuation.x0 - item.x0) < 1
    # The signature block is on the last page, flush right, the signer under the qualifica.
    qualifica, nome = first("Il Direttore Operativo"), first("Fabrizio Ventrice")
    last = max(x.page for x in lines)
    assert qualifica.page == nome.page == last and qualifica.y0 < nome.y0
    assert abs(nome.x1 - (nome.page_width - margin)) < 2
    # pdftoppm makes a picture of the first page for a reviewer (its pixels are not tested).
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(rendered.pdf), str(tmp_path / "p")],
                   check=True)
    assert (tmp_path / "p-1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _numbered_template(tmp_path: Path) -> Path:
    """The packaged template with its dash lists turned into numbered lists, as a body might."""
    numbered = tmp_path / "numerato.docx"
    with zipfile.ZipFile(Path(__file__).parent.parent / "src/atti/templates/determinazione.docx") as good, \
            zipfile.ZipFile(numbered, "w") as out:
        for item in good.infolist():
            data = good.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b'w:val="ListBullet"', b'w:val="ListNumber"')
            out.writestr(item, data)
    return numbered


def test_every_list_restarts_its_numbering(tmp_path: Path) -> None:
    act = example()
    document = docx.Document(io.BytesIO(render_docx(act, _numbered_template(tmp_path))))
    numbering = document.part.numbering_part.element
    runs: list[list[str]] = []
    num_ids: list[str] = []
    previous = None
    for p in document.paragraphs:
        num_pr = p._p.pPr.numPr if p._p.pPr is not None else None
        num_id = num_pr.numId.val if num_pr is not None and num_pr.numId is not None else (
            "style" if p.style is not None and p.style.name == "List Number" else None)
        if num_id is None:
            previous = None
            continue
        if previous is None:
            runs.append([])
            num_ids.append(str(num_id))
        runs[-1].append(p.text)
        previous = num_id
    assert runs == [act.poteri, act.premesse, act.visti, act.dispositivo.punti]
    # Four lists, four numberings; all but the first restart at 1 explicitly.
    assert len(set(num_ids)) == 4
    for num_id in num_ids[1:]:
        num = numbering.num_having_numId(int(num_id))
        assert num.xpath("./w:lvlOverride[@w:ilvl='0']/w:startOverride/@w:val") == ["1"]


@pytest.mark.libreoffice
def test_numbered_lists_restart_in_the_pdf(tmp_path: Path) -> None:
    act = example()
    rendered = render_act(act, tmp_path, template=_numbered_template(tmp_path))
    text = subprocess.run(["pdftotext", "-raw", str(rendered.pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "1. la DGR n. XII/1536 del 18 dicembre 2023;" in text  # the first visto, not the 15th item
    assert "11. la volontà di favorire" in text
    assert "1. di prorogare i termini" in text and "2. di pubblicare la nuova scadenza" in text


@pytest.mark.parametrize("text", ["alfa }_} beta", "a {_{ b %_} c {_% d", "x {{ y }} z", "x <b>&amp; }_} & y"])
def test_text_with_docxtpls_brace_escapes_renders_as_written(text: str) -> None:
    """docxtpl turns "}_}" of its output into "}}" (a template's way to print braces): the act's
    own text must not be touched by it. Hypothesis found "alfa }_} beta" rendered "alfa }} beta"."""
    act = edit(example(), oggetto=text, premesse=[text])
    found = paragraphs(render_docx(act, None))
    assert f"OGGETTO: {text}" in found
    assert any(p.endswith(text) for p in found if p != f"OGGETTO: {text}")
