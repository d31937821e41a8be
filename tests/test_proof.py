"""Issue 16: `atti proof` proves every act the archive publishes, numbered in advance or at
publication, against the YAML its signed PDF carries; and an unsigned rendering looks unsigned.

The acts are published once (a module fixture) through each way an act is published: `atti
publish FILE` numbered in advance and at publication, `pipeline.publish`, `atti publish --draft
ID` and publishing the same file as a saved draft. Every signed PDF is verified.
"""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from atti import pipeline
from atti.acts import load_act_text, numbered_text
from atti.acts.model import TipoAtto
from atti.archive import Archive
from atti.config import Settings
from atti.errors import ActError
from atti.signing.verify import act_source, signed_act_source
from atti.templates import BOZZA, DICITURA_FIRMA, Converter, render_act, render_docx
from atti.templates.pdfcheck import check_pdf
from atti.templates.proof import describe, docx_paragraphs, pdf_text, prove_pdf, prove_text

from .conftest import EXAMPLE, Atti, run_atti

TEXT = EXAMPLE.read_text(encoding="utf-8")
UNNUMBERED = TEXT.replace("numero: 129 ", "# no number ")
NUMBERED_LINE = "numero: {}  # given at publication\n"


def pages(pdf: bytes) -> list[str]:
    """Each page's text (pdftotext's layout), the empty page after the last form feed left out."""
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                         check=True).stdout.decode("utf-8")
    return [" ".join(page.split()) for page in out.split("\f") if page.strip()]


def assert_unsigned(pdf: bytes) -> None:
    """The mark once atop every page, and nowhere a claim of a digital signature."""
    text = pages(pdf)
    assert len(text) >= 2  # the mark is looked for on more than the first page
    assert all(page.startswith(BOZZA) and page.count(BOZZA) == 1 for page in text), text
    assert not any("Firmato digitalmente" in page for page in text)


def assert_signed(pdf: bytes) -> None:
    text = " ".join(pages(pdf))
    assert BOZZA not in text and "BOZZA" not in text
    assert DICITURA_FIRMA in text


# -- every way of publishing, then `atti proof ID` -------------------------------------------------


@pytest.fixture(scope="module")
def published(libreoffice: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """The archive, and the id each way of publishing gave its act."""
    work = tmp_path_factory.mktemp("proof")
    archive = work / "archive"
    assert run_atti("init", "--archive", archive).exit_code == 0
    ids: dict[str, str] = {}

    def cli_publish(*args: object) -> str:
        result = run_atti("publish", *args, "--archive", archive, "--json")
        assert result.exit_code == 0, result.output
        return str(json.loads(result.stdout)["id"])

    ids["numbered in advance"] = cli_publish(EXAMPLE)
    unnumbered = work / "act.yaml"
    unnumbered.write_text(UNNUMBERED, encoding="utf-8")
    ids["numbered at publication"] = cli_publish(unnumbered)
    with Archive.open(archive) as arc:
        ids["by the library"] = pipeline.publish(arc, unnumbered, Settings(archive=archive, development=True)).record.id
    changed = work / "draft.yaml"
    changed.write_text(UNNUMBERED.replace("alle ore 16.00.", "alle ore 17.00."), encoding="utf-8")
    saved = run_atti("draft", "save", changed, "--render", "--archive", archive, "--json")
    assert saved.exit_code == 0, saved.output
    draft_id = json.loads(saved.stdout)["id"]
    assert run_atti("draft", "submit", draft_id, "--archive", archive).exit_code == 0  # a bozza is not published
    ids["from a draft"] = cli_publish("--draft", draft_id)
    same = work / "same.yaml"
    same.write_text(UNNUMBERED.replace("alle ore 16.00.", "alle ore 18.00."), encoding="utf-8")
    saved = run_atti("draft", "save", same, "--archive", archive, "--json")
    assert saved.exit_code == 0, saved.output
    assert run_atti("draft", "submit", json.loads(saved.stdout)["id"], "--archive", archive).exit_code == 0
    ids["as its draft's file"] = cli_publish(same)
    yield archive, ids


def test_each_way_of_publishing_numbers_as_expected(published: tuple[Path, dict[str, str]]) -> None:
    _, ids = published
    assert ids == {
        "numbered in advance": "DO-2026-129", "numbered at publication": "DO-2026-130",
        "by the library": "DO-2026-131", "from a draft": "DO-2026-132", "as its draft's file": "DO-2026-133",
    }


@pytest.mark.parametrize("way", ["numbered in advance", "numbered at publication", "by the library",
                                 "from a draft", "as its draft's file"])
def test_atti_proof_id_passes_for_every_published_act(
    atti: Atti, published: tuple[Path, dict[str, str]], way: str
) -> None:
    archive, ids = published
    act_id = ids[way]
    numero = int(act_id.rsplit("-", 1)[1])
    result = atti("proof", act_id, "--archive", archive)
    source = f"determinazione-DO-{numero}-2026.yaml"
    assert (result.exit_code, result.stdout) == (
        0, f"{act_id}: dice ciò che dice il sorgente dell'atto {source} allegato a {act_id} (39 voci)\n"
    ), result.output
    # The signed PDF: valid, no mark, the dicitura; the YAML it carries is the act as signed.
    pdf = Path(json.loads(atti("show", act_id, "--archive", archive, "--json").stdout)["pdf"])
    verified = atti("verify", pdf, "--archive", archive, "--json")
    assert json.loads(verified.stdout)["indication"] == "TOTAL_PASSED"
    data = pdf.read_bytes()
    assert_signed(data)
    attached = signed_act_source(data)
    assert attached is not None and attached[0] == source
    assert load_act_text(attached[1], check=False).act.numero == numero


def test_the_yaml_of_an_act_numbered_at_publication_gains_only_its_numero(
    published: tuple[Path, dict[str, str]],
) -> None:
    archive, ids = published
    with Archive.open(archive) as arc:
        pdf = arc.blobs.get(arc.get(ids["numbered at publication"]).pdf)
        in_advance = arc.blobs.get(arc.get(ids["numbered in advance"]).pdf)
    attached = signed_act_source(pdf)
    assert attached is not None
    assert attached[1] == UNNUMBERED.replace("\ndata: ", "\n" + NUMBERED_LINE.format(130) + "data: ", 1)
    assert signed_act_source(in_advance) == ("determinazione-DO-129-2026.yaml", TEXT)  # as written


def test_proof_of_an_archived_act_against_a_file_or_an_archived_version(
    atti: Atti, published: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    archive, ids = published
    act_id = ids["from a draft"]  # its first version is the draft, unnumbered, with its preview
    result = atti("proof", f"{act_id}@1", act_id, "--archive", archive)
    assert (result.exit_code, result.stdout) == (0, f"{act_id}: dice ciò che dice {act_id}@1 (39 voci)\n")
    # The YAML an officer wrote, with no number: the archive's number is the act's.
    altered = tmp_path / "draft.yaml"
    altered.write_text(UNNUMBERED.replace("alle ore 16.00.", "alle ore 17.00."), encoding="utf-8")
    assert atti("proof", altered, act_id, "--archive", archive).exit_code == 0
    # Another act's text is found wanting, item by item.
    result = atti("proof", f"{ids['numbered at publication']}@1", act_id, "--archive", archive)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{act_id}: dispositivo[1]: mancante o alterato: ")
    as_json = json.loads(atti("proof", act_id, "--archive", archive, "--json").stdout)
    assert {k: as_json[k] for k in ("passed", "items", "failures", "pdf")} == {
        "passed": True, "items": 39, "failures": [], "pdf": act_id,
    }


def test_a_draft_preview_in_the_archive_is_marked_and_proves(
    atti: Atti, published: tuple[Path, dict[str, str]]
) -> None:
    archive, ids = published
    act_id = ids["from a draft"]
    with Archive.open(archive) as arc:
        preview = arc.blobs.get(arc.versions(act_id)[0].pdf)
    assert_unsigned(preview)
    assert signed_act_source(preview) is None and act_source(preview) is not None
    result = atti("proof", f"{act_id}@1", "--archive", archive)
    assert result.exit_code == 0, result.output


def test_a_draft_written_with_its_number_proves_against_its_unnumbered_preview(
    atti: Atti, libreoffice: str, tmp_path: Path
) -> None:
    """`atti draft save --render` renders a draft without the number its YAML may already have."""
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    saved = atti("draft", "save", EXAMPLE, "--render", "--archive", archive, "--json")
    draft_id = json.loads(saved.stdout)["id"]
    with Archive.open(archive) as arc:
        assert_unsigned(arc.blobs.get(arc.get(draft_id).pdf))
    result = atti("proof", draft_id, "--archive", archive)
    assert (result.exit_code, result.stdout) == (
        0, f"{draft_id}: dice ciò che dice il sorgente dell'atto determinazione-DO-bozza-2026.yaml allegato a"
        f" {draft_id} (39 voci)\n"
    ), result.output
    assert atti("proof", EXAMPLE, draft_id, "--archive", archive).exit_code == 0
    # With the number, the preview is found wanting: it has none.
    assert atti("proof", draft_id, "--archive", archive, "--numero", "129").exit_code == 1


def test_proof_names_what_it_cannot_find(atti: Atti, tmp_path: Path) -> None:
    result = atti("proof", "DO-2026-1", "--archive", tmp_path / "none")
    assert (result.exit_code, result.stderr) == (
        6, "Errore: DO-2026-1 non è un file, e non c'è un archivio in cui cercarlo: indica --archive\n"
    )
    bare = tmp_path / "bare.pdf"
    bare.write_bytes(b"%PDF-1.7 nothing")
    result = atti("proof", bare)
    assert (result.exit_code, result.stderr) == (
        5, f"Errore: {bare} non contiene il sorgente dell'atto (un allegato YAML): indica anche lo YAML dell'atto\n"
    )


# -- unsigned renderings --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converter(libreoffice: str) -> Iterator[Converter]:
    with Converter() as conv:
        yield conv


@pytest.mark.parametrize("tipo", list(TipoAtto))
def test_every_template_marks_its_unsigned_rendering_on_every_page(
    converter: Converter, tmp_path: Path, tipo: TipoAtto
) -> None:
    act = load_act_text(TEXT).act
    act = act.model_copy(update={"tipo": tipo, "dispositivo": act.dispositivo.model_copy(update={"formula": None})})
    unsigned = render_act(act, tmp_path / "unsigned", converter=converter, source=TEXT)
    signed = render_act(act, tmp_path / "signed", converter=converter, source=TEXT, signed=True)
    draft, final = unsigned.pdf.read_bytes(), signed.pdf.read_bytes()
    assert_unsigned(draft)
    assert_signed(final)
    assert check_pdf(draft).passed, check_pdf(draft).to_text()
    words = docx_paragraphs(render_docx(act, signed=True))
    for pdf in (draft, final):
        proof = prove_pdf(act, pdf, words)
        assert proof.passed, describe(proof)


def test_a_body_template_with_headers_of_its_own_keeps_them_and_gets_the_mark(
    converter: Converter, tmp_path: Path
) -> None:
    """A first page with a letterhead of its own, the other pages another header: both marked."""
    body = tmp_path / "templates"
    body.mkdir()
    document = docx.Document(str(Path(__file__).parent.parent / "src/atti/templates/determinazione.docx"))
    section = document.sections[0]
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = "Carta intestata dell'ente"
    section.header.paragraphs[0].text = "Segue determinazione"
    document.save(str(body / "determinazione.docx"))
    act = load_act_text(TEXT).act
    rendered = render_act(act, tmp_path / "out", converter=converter, templates_dir=body)
    pdf = rendered.pdf.read_bytes()
    text = pages(pdf)
    assert len(text) >= 2
    assert text[0].startswith(f"Carta intestata dell'ente {BOZZA}") or text[0].startswith(
        f"{BOZZA} Carta intestata dell'ente"
    ), text[0][:120]
    assert all("Segue determinazione" in page and page.count(BOZZA) == 1 for page in text[1:])
    assert not any("Firmato digitalmente" in page for page in text)
    proof = prove_pdf(act, pdf, docx_paragraphs(render_docx(act, templates_dir=body, signed=True)))
    assert proof.passed, describe(proof)


def test_atti_render_is_marked_and_proves_against_the_yaml_it_carries(atti: Atti, tmp_path: Path,
                                                                       libreoffice: str) -> None:
    act = tmp_path / "act.yaml"
    act.write_text(UNNUMBERED, encoding="utf-8")
    assert atti("render", act, "-o", tmp_path / "out").exit_code == 0
    pdf = tmp_path / "out" / "determinazione-DO-bozza-2026.pdf"
    assert_unsigned(pdf.read_bytes())
    result = atti("proof", pdf)
    assert (result.exit_code, result.stdout) == (
        0, f"{pdf}: dice ciò che dice il sorgente dell'atto determinazione-DO-bozza-2026.yaml allegato a "
           f"{pdf} (39 voci)\n"
    )
    assert atti("proof", act, pdf).exit_code == 0


def test_the_mark_is_left_out_wherever_a_page_break_puts_it(converter: Converter, tmp_path: Path) -> None:
    """In the middle of an item, as a page break inside a long premessa puts it; but only the
    mark alone on its line: another line there is an alteration."""
    act = load_act_text(TEXT).act
    rendered = render_act(act, tmp_path, converter=converter)
    text = pdf_text(rendered.pdf.read_bytes())
    words = docx_paragraphs(rendered.docx.read_bytes())
    premessa = act.premesse[2]
    # Its first line, as the rendering broke it: the page break goes after it.
    head = next(line for line in text.split("\n") if len(line) > 20 and premessa.startswith(line.removeprefix("- ")))
    broken = text.replace(f"{head}\n", f"{head}\n\f{BOZZA}\n", 1)
    forged = text.replace(f"{head}\n", f"{head}\nBOZZA - documento firmato\n", 1)
    assert prove_text(act, broken, words).passed
    assert describe(prove_text(act, forged, words))[0].startswith("premesse[3]: mancante o alterato: ")


# -- the number written into the YAML -------------------------------------------------------------


def test_numbered_text_writes_the_number_where_an_officer_would() -> None:
    loaded = load_act_text(UNNUMBERED, check=False)
    assert numbered_text(loaded, 7) == UNNUMBERED.replace("\ndata: ", "\n" + NUMBERED_LINE.format(7) + "data: ", 1)
    crlf = UNNUMBERED.replace("\n", "\r\n")
    assert numbered_text(load_act_text(crlf, check=False), 7) == crlf.replace(
        "\r\ndata: ", "\r\n" + NUMBERED_LINE.format(7).replace("\n", "\r\n") + "data: ", 1
    )
    numbered = load_act_text(TEXT, check=False)
    assert numbered_text(numbered, 129) == TEXT
    with pytest.raises(ActError, match="l'atto ha il numero 129, non 130"):
        numbered_text(numbered, 130)


def test_numbered_text_writes_a_flow_style_act_again_as_the_same_act() -> None:
    import yaml

    data = yaml.safe_load(UNNUMBERED)
    flow = json.dumps(data, default=str, ensure_ascii=False)
    loaded = load_act_text(flow, check=False)
    out = numbered_text(loaded, 7)
    assert out != flow
    assert load_act_text(out, check=False).act == loaded.act.with_numero(7)


def test_the_docx_of_an_unsigned_rendering_carries_the_mark_in_its_header() -> None:
    act = load_act_text(TEXT).act
    with zipfile.ZipFile(io.BytesIO(render_docx(act))) as zf:
        # The first page's header (empty in the template) and the others' (the act's identification).
        headers = [n for n in zf.namelist() if n.startswith("word/header")]
        assert len(headers) == 2 and all(BOZZA.encode() in zf.read(h) for h in headers)
    with zipfile.ZipFile(io.BytesIO(render_docx(act, signed=True))) as zf:
        headers = [n for n in zf.namelist() if n.startswith("word/header")]
        assert headers and not any(BOZZA.encode() in zf.read(h) for h in headers)
