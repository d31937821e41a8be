"""Rendering: the template's layout and escaping, and LibreOffice's conversion and failures."""

from __future__ import annotations

import io
import re
import subprocess
import time
import zipfile
from pathlib import Path

import docx
import pytest

from atti.acts import load_act_text
from atti.acts.model import Act, Allegato, Esito
from atti.errors import ConverterMissing, RenderError
from atti.templates import Converter, render_act, render_docx
from atti.templates.render import base_name

from .conftest import EXAMPLE

NASTY = "<b>Ditta & figli</b> \"Srl\" l'{{ ente.nome }} {% if true %}x{% endif %} € 1.000,00 ✓"


def example(text: str | None = None) -> Act:
    return load_act_text(text if text is not None else EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE)).act


def paragraphs(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def edit(act: Act, **update: object) -> Act:
    return act.model_copy(update=update)


def test_docx_lays_out_the_act_in_the_seed_order() -> None:
    act = example()
    text = paragraphs(render_docx(act))
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
        "Firmato digitalmente ai sensi dell'art. 24 del D. Lgs. 82/2005",
        "Verifica Area Servizi alle Imprese ed al Territorio",
        "✓Roberto Valente",
        "Verifica Legale",
        "✓Franco Pozzoli",
        "Verifica Amministrativa",
        "✓Mattia Cattaneo",
    ]
    assert [t for t in text if t.strip()] == expected


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
    good = zipfile.ZipFile(Path(__file__).parent.parent / "src/atti/templates/atto.docx")
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as out:
        for item in good.infolist():
            data = good.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ oggetto }}", b"{{ oggetto ", 1)
            out.writestr(item, data)
    with pytest.raises(RenderError, match=r"^template .*broken\.docx is broken: "):
        render_docx(example(), broken)
    not_docx = tmp_path / "plain.docx"
    not_docx.write_text("hello")
    with pytest.raises(RenderError, match="is not a usable DOCX file"):
        render_docx(example(), not_docx)
    with pytest.raises(RenderError, match="template not found"):
        render_docx(example(), tmp_path / "missing.docx")


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
    with pytest.raises(RenderError, match=r"^LibreOffice did not convert the act within 0.5 s$"):
        render_act(example(), out, converter=Converter(timeout=0.5, soffice=soffice))
    assert not out.exists()
    assert not _alive(int(pidfile.read_text()))


def _alive(pid: int) -> bool:
    """Running or sleeping; a killed child may linger as a zombie until some parent reaps it."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in {"Z", "X"}:
            return False
        time.sleep(0.02)
    return True


def test_a_failing_converter_reports_its_last_words(tmp_path: Path) -> None:
    soffice = _fake_soffice(tmp_path, "echo 'Error: source file could not be loaded' >&2; exit 1")
    with pytest.raises(RenderError, match="could not convert the act to PDF: Error: source file could not"):
        render_act(example(), tmp_path / "out", converter=Converter(soffice=soffice))
    assert not (tmp_path / "out").exists()


def test_a_missing_converter_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATTI_SOFFICE", str(tmp_path / "nothing"))
    with pytest.raises(ConverterMissing, match="LibreOffice not found: ATTI_SOFFICE="):
        Converter().to_pdf(b"")
    monkeypatch.delenv("ATTI_SOFFICE")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("atti.templates.convert._CANDIDATES", ("soffice", str(tmp_path / "nope")))
    with pytest.raises(ConverterMissing, match="libreoffice-writer-nogui"):
        Converter().to_pdf(b"")


@pytest.mark.slow
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
