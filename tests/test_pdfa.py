"""PDF/A-3 with attached files, the PDF/A checks that need no veraPDF, and rendering comparison.

The LibreOffice tests render the example act once (module fixtures) and derive every other file
from it with pikepdf, so each negative case breaks exactly one property of a real PDF/A.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pikepdf
import pytest

from atti.acts import load_act
from atti.acts.diff import ADDED, DELETED, EQUAL
from atti.acts.model import Act
from atti.errors import RenderError, VerificationError
from atti.signing import ActSigner, DevCA, verify_pdf
from atti.templates import Converter, compare, pagewords, render_act, render_docx
from atti.templates.compare import FileChange, LayoutChange, MetadataChange, SignatureChange, compare_pdfs
from atti.templates.pdfa import Attachment, attach_files, pdf_date
from atti.templates.pdfcheck import check_pdf

from .conftest import EXAMPLE, Atti

ROME = dt.timezone(dt.timedelta(hours=2))
WHEN = dt.datetime(2026, 5, 19, 10, 30, tzinfo=ROME)
METADATA = json.dumps({"registro": "D.O.", "numero": 129, "anno": 2026, "città": "Milano"}, ensure_ascii=False)


def attachments(when: dt.datetime = WHEN) -> list[Attachment]:
    return [
        Attachment(EXAMPLE.name, EXAMPLE.read_bytes(), "application/yaml", "Testo sorgente dell'atto", "Source", when),
        Attachment("metadati.json", METADATA.encode(), "application/json", "Metadati dell'atto", "Data", when),
    ]


def modified(pdf: bytes, change: Callable[[pikepdf.Pdf], object], **save: object) -> bytes:
    """``pdf`` after ``change``, saved without pikepdf touching the XMP."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        change(doc)
        out = io.BytesIO()
        doc.save(out, fix_metadata_version=False, **save)  # type: ignore[arg-type]
    return out.getvalue()


def first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


# -- fixtures: one rendering of the example, reused ------------------------------------------------


@pytest.fixture(scope="module")
def converter(libreoffice: str) -> Iterator[Converter]:
    with Converter() as conv:
        yield conv


@pytest.fixture(scope="module")
def act() -> Act:
    return load_act(EXAMPLE).act


@pytest.fixture(scope="module")
def rendered(act: Act, converter: Converter, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return render_act(act, tmp_path_factory.mktemp("render"), converter=converter).pdf.read_bytes()


@pytest.fixture(scope="module")
def pdfa3(rendered: bytes) -> bytes:
    return attach_files(rendered, attachments())


@pytest.fixture(scope="module")
def pdfa3_file(pdfa3: bytes, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdfa3") / "atto.pdf"
    path.write_bytes(pdfa3)
    return path


@pytest.fixture(scope="module")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCA:
    return DevCA.create(tmp_path_factory.mktemp("ca"), ente="Unioncamere Lombardia")


# -- attach_files --------------------------------------------------------------------------------


def test_attached_pdf_claims_pdfa3b_and_passes_every_check(rendered: bytes, pdfa3: bytes) -> None:
    assert check_pdf(rendered).pdfa == "PDF/A-2B"
    report = check_pdf(pdfa3)
    assert report.passed, report.to_text()
    assert report.pdfa == "PDF/A-3B"
    assert [(a.name, a.mime, a.relationship, a.size, a.associated) for a in report.attachments] == [
        (EXAMPLE.name, "application/yaml", "Source", len(EXAMPLE.read_bytes()), True),
        ("metadati.json", "application/json", "Data", len(METADATA.encode()), True),
    ]


def test_attaching_changes_only_the_attachments_and_the_pdfa_part(rendered: bytes, pdfa3: bytes) -> None:
    # Fonts, output intent, structure tree, page content and Info stay as LibreOffice wrote them.
    result = compare_pdfs(rendered, pdfa3)
    assert result.details == (
        "/Root: /AF only in B, /Names only in B",
        "/Root/Metadata: XMP properties differ: /pdfaid:part",
    )
    assert (result.text, result.layout, result.signatures) == ((), (), ())
    # A person is told the same in words: two files attached, and the PDF/A part they need.
    assert [(f.kind, f.name, f.sha256_a, f.sha256_b) for f in result.attachments] == [
        ("added", EXAMPLE.name, None, hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()),
        ("added", "metadati.json", None, hashlib.sha256(METADATA.encode()).hexdigest()),
    ]
    assert result.metadata == (MetadataChange("PDF/A", "PDF/A-2B", "PDF/A-3B"),)


def test_file_spec_and_stream_carry_what_pdfa3_requires(pdfa3: bytes) -> None:
    with pikepdf.open(io.BytesIO(pdfa3)) as doc:
        assert doc.pdf_version == "1.7"
        specs = list(doc.Root.AF)
        assert [s.objgen for s in specs] == [s.objgen for s in pikepdf.NameTree(doc.Root.Names.EmbeddedFiles).values()]
        spec = specs[0]
        assert (str(spec.F), str(spec.UF), str(spec.Desc), spec.AFRelationship) == (
            EXAMPLE.name, EXAMPLE.name, "Testo sorgente dell'atto", pikepdf.Name.Source,
        )
        stream = spec.EF.F
        assert stream.Subtype == pikepdf.Name("/application/yaml")
        assert stream.Params.ModDate == "D:20260519103000+02'00'"
        assert stream.Params.Size == len(EXAMPLE.read_bytes())
        assert "/Filter" not in doc.Root.Metadata.stream_dict  # PDF/A: the XMP stays unfiltered
        xmp = doc.Root.Metadata.read_bytes()
        assert xmp.startswith(b'<?xpacket begin="\xef\xbb\xbf"') and xmp.endswith(b'<?xpacket end="w"?>')
        assert b"<pdfaid:part>3</pdfaid:part>" in xmp and b"<pdfaid:conformance>B</pdfaid:conformance>" in xmp
        assert "/DocChecksum" not in doc.trailer  # LibreOffice's checksum no longer holds
    assert b"/application#2fyaml" in pdfa3.lower()


def test_a_non_ascii_name_keeps_unicode_in_uf_and_ascii_in_f(rendered: bytes, tmp_path: Path) -> None:
    item = Attachment("delibera città.json", b"{}", "application/json", "Metadati", "Data", WHEN)
    path = tmp_path / "atto.pdf"
    path.write_bytes(attach_files(rendered, [item]))
    with pikepdf.open(path) as doc:
        spec = doc.Root.AF[0]
        assert (str(spec.F), str(spec.UF)) == ("delibera_citta.json", "delibera città.json")
    listing = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True)
    assert listing.stdout.splitlines()[1] == "1: delibera città.json"


def test_pdfdetach_lists_the_files_and_gives_back_the_exact_bytes(pdfa3_file: Path, tmp_path: Path) -> None:
    listing = subprocess.run(["pdfdetach", "-list", str(pdfa3_file)], capture_output=True, text=True, check=True)
    assert listing.stdout.splitlines() == ["2 embedded files", f"1: {EXAMPLE.name}", "2: metadati.json"]
    for number, expected in ((1, EXAMPLE.read_bytes()), (2, METADATA.encode())):
        out = tmp_path / f"file{number}"
        subprocess.run(["pdfdetach", "-save", str(number), "-o", str(out), str(pdfa3_file)], check=True)
        assert out.read_bytes() == expected


def test_pdffonts_shows_every_font_embedded(pdfa3_file: Path) -> None:
    out = subprocess.run(["pdffonts", str(pdfa3_file)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    # Columns end with: emb sub uni object-number generation.
    assert all(row.split()[-5] == "yes" for row in rows), out


def test_attaching_is_deterministic(rendered: bytes, pdfa3: bytes) -> None:
    assert attach_files(rendered, attachments()) == pdfa3
    assert attach_files(rendered, attachments(WHEN + dt.timedelta(seconds=1))) != pdfa3


def test_signed_pdfa3_verifies_and_still_passes(pdfa3: bytes, dev_ca: DevCA, tmp_path: Path) -> None:
    signer = ActSigner.from_pkcs12(dev_ca.issue_signer("Fabrizio Ventrice", "Direttore Operativo"), None)
    signed = signer.sign(pdfa3, reason="Adozione della determinazione", location="Milano")
    assert verify_pdf(signed, [dev_ca.root_cert]).indication == "TOTAL_PASSED"
    report = check_pdf(signed)
    assert report.passed, report.to_text()
    assert (report.pdfa, report.signatures, len(report.attachments)) == ("PDF/A-3B", 1, 2)
    path = tmp_path / "firmato.pdf"
    path.write_bytes(signed)
    out = tmp_path / "sorgente.yaml"
    subprocess.run(["pdfdetach", "-save", "1", "-o", str(out), str(path)], check=True)
    assert out.read_bytes() == EXAMPLE.read_bytes()


def test_pdfa3_signed_with_an_ecdsa_key_stays_pdf_17_and_pdfa(pdfa3: bytes, dev_ca: DevCA) -> None:
    # pyHanko would declare PDF 2.0 (ISO 32002) for ECDSA on P-256; PDF/A-3 rests on PDF 1.7.
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    signer = ActSigner(dev_ca.certify(key.public_key(), "Fabrizio Ventrice", "Direttore Operativo"), key,
                       [dev_ca.root_cert])
    signed = signer.sign(pdfa3, reason="Adozione della determinazione", location="Milano")
    assert verify_pdf(signed, [dev_ca.root_cert]).indication == "TOTAL_PASSED"
    with pikepdf.open(io.BytesIO(signed)) as doc:
        assert (doc.pdf_version, doc.Root.get("/Version")) == ("1.7", None)
        assert sorted(str(k) for k in doc.Root.Extensions) == ["/ESIC"]
    report = check_pdf(signed)
    assert report.passed, report.to_text()
    assert (report.pdfa, report.signatures) == ("PDF/A-3B", 1)


def test_libreoffices_bytes_stay_as_written_under_the_attachments(rendered: bytes, pdfa3: bytes) -> None:
    # An incremental update: of what LibreOffice wrote only the header's version changes.
    assert rendered.startswith(b"%PDF-1.") and pdfa3.startswith(b"%PDF-1.7" + rendered[8:])
    with pikepdf.open(io.BytesIO(pdfa3)) as doc:
        assert int(doc.trailer.Prev) == int(rendered.rsplit(b"startxref", 1)[1].split()[0])
        assert bytes(doc.trailer.ID[0]) == bytes(pikepdf.open(io.BytesIO(rendered)).trailer.ID[0])


def test_a_pdf_laid_out_otherwise_is_rewritten_whole_with_the_same_attachments(rendered: bytes, pdfa3: bytes) -> None:
    # Object streams and a cross-reference stream, as other PDF writers make them.
    packed = modified(rendered, lambda doc: None, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    out = attach_files(packed, attachments())
    with pikepdf.open(io.BytesIO(out)) as doc:
        assert "/Prev" not in doc.trailer and doc.pdf_version == "1.7"
    report, expected = check_pdf(out), check_pdf(pdfa3)
    assert report.passed, report.to_text()
    assert (report.pdfa, report.attachments) == (expected.pdfa, expected.attachments)
    # The same document; only the trailer, now a cross-reference stream, has keys of its own.
    result = compare_pdfs(pdfa3, out)
    assert result.details == (
        "trailer: /DecodeParms only in B, /Filter only in B, /Length only in B, /Type only in B, /W only in B",
    )
    # Nothing a person sees differs: the report says so, and where to look.
    assert result.to_text().splitlines()[1:] == [
        "  pagine: 2 in entrambi", "  1 differenza solo nella struttura interna del PDF (--verbose la mostra)",
    ]
    assert attach_files(packed, attachments()) == out


def test_attach_refuses_what_is_not_a_pdfa(rendered: bytes, pdfa3: bytes) -> None:
    with pytest.raises(RenderError, match=r"^impossibile allegare file: non è un PDF: "):
        attach_files(b"%PDF-1.7\nnonsense", attachments())
    no_xmp = modified(rendered, lambda doc: doc.Root.__delattr__("Metadata"))
    with pytest.raises(RenderError, match="non ha metadati XMP"):
        attach_files(no_xmp, attachments())
    with pytest.raises(RenderError, match=r"ha già un file allegato di nome 'metadati\.json'"):
        attach_files(pdfa3, attachments()[1:])


def test_attachment_rejects_bad_values() -> None:
    good = {"name": "a.json", "data": b"{}", "mime": "application/json", "description": "x",
            "relationship": "Data", "modified": WHEN}
    Attachment(**good)  # type: ignore[arg-type]
    for key, value in [("name", "dir/a.json"), ("name", ""), ("mime", "json"), ("relationship", "Other"),
                       ("modified", dt.datetime(2026, 5, 19))]:
        with pytest.raises(ValueError):
            Attachment(**{**good, key: value})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="repeat"):
        attach_files(b"", [Attachment(**good), Attachment(**good)])  # type: ignore[arg-type]


def test_pdf_date_format() -> None:
    assert pdf_date(WHEN) == "D:20260519103000+02'00'"
    assert pdf_date(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == "D:20260102030405Z"
    assert pdf_date(dt.datetime(2026, 1, 2, tzinfo=dt.timezone(-dt.timedelta(hours=3, minutes=30)))) == (
        "D:20260102000000-03'30'"
    )


# -- check_pdf: each broken property fails exactly its check ------------------------------------


def _js_open_action(doc: pikepdf.Pdf) -> None:
    doc.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))


def _js_names_tree(doc: pikepdf.Pdf) -> None:
    action = doc.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
    doc.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array(["init", action])))


def _js_annotation(doc: pikepdf.Pdf) -> None:
    js = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10],
                              F=4, AA=pikepdf.Dictionary(E=js))
    doc.pages[1].obj.Annots = pikepdf.Array([doc.make_indirect(link)])


@pytest.mark.parametrize("add_js", [_js_open_action, _js_names_tree, _js_annotation])
def test_javascript_fails(pdfa3: bytes, add_js: Callable[[pikepdf.Pdf], None]) -> None:
    report = check_pdf(modified(pdfa3, add_js))
    assert report.failed == ("javascript",)
    assert next(c for c in report.checks if c.name == "javascript").detail.startswith("trovato in ")


def _helvetica() -> pikepdf.Dictionary:
    return pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)


def _font_on_page(doc: pikepdf.Pdf) -> None:
    doc.pages[0].obj.Resources.Font.H = _helvetica()


def _font_in_form(doc: pikepdf.Pdf) -> None:
    form = pikepdf.Stream(doc, b"BT /H 12 Tf (x) Tj ET", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                          BBox=[0, 0, 10, 10], Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(H=_helvetica())))
    doc.pages[0].obj.Resources.XObject = pikepdf.Dictionary(X1=form)


def _font_cid(doc: pikepdf.Pdf) -> None:
    descriptor = pikepdf.Dictionary(Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name.Helvetica, Flags=32)
    cid = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2,
                             BaseFont=pikepdf.Name.Helvetica, FontDescriptor=descriptor)
    doc.pages[0].obj.Resources.Font.H = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name.Helvetica,
        Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=[cid],
    )


@pytest.mark.parametrize("add_font", [_font_on_page, _font_in_form, _font_cid])
def test_font_not_embedded_fails(pdfa3: bytes, add_font: Callable[[pikepdf.Pdf], None]) -> None:
    report = check_pdf(modified(pdfa3, add_font))
    assert report.failed == ("fonts",)
    assert next(c for c in report.checks if c.name == "fonts").detail == "non incorporati: Helvetica (pagina 1)"


def test_encrypted_fails(pdfa3: bytes) -> None:
    # metadata=False: qpdf would otherwise compress the XMP as well, which fails the pdfa check too.
    owner_only = pikepdf.Encryption(owner="capo", user="", metadata=False)
    assert check_pdf(modified(pdfa3, lambda doc: None, encryption=owner_only)).failed == ("encryption",)
    locked = modified(pdfa3, lambda doc: None, encryption=pikepdf.Encryption(owner="capo", user="utente"))
    report = check_pdf(locked)
    assert (report.passed, report.failed, len(report.checks)) == (False, ("encryption",), 1)


def test_missing_xmp_and_output_intent_fail(rendered: bytes) -> None:
    def strip(doc: pikepdf.Pdf) -> None:
        del doc.Root.Metadata
        del doc.Root.OutputIntents

    report = check_pdf(modified(rendered, strip))
    assert report.failed == ("pdfa", "output-intent")
    assert report.pdfa is None
    assert [c.detail for c in report.checks if not c.passed] == [
        "nessun metadato XMP nel catalogo", "nessun output intent GTS_PDFA1",
    ]


def test_untagged_and_unassociated_files_fail(pdfa3: bytes) -> None:
    def untag(doc: pikepdf.Pdf) -> None:
        del doc.Root.StructTreeRoot

    assert check_pdf(modified(pdfa3, untag)).failed == ("tagged",)

    def disown(doc: pikepdf.Pdf) -> None:
        del doc.Root.AF[1].AFRelationship
        del doc.Root.AF[1]

    report = check_pdf(modified(pdfa3, disown))
    assert report.failed == ("attachments",)
    detail = next(c for c in report.checks if c.name == "attachments").detail
    assert detail == "metadati.json è privo di: un /AFRelationship valido, un posto in un array /AF"


def test_pdfa2_may_not_carry_attachments(pdfa3: bytes) -> None:
    def back_to_part2(doc: pikepdf.Pdf) -> None:
        xmp = doc.Root.Metadata.read_bytes().replace(b"<pdfaid:part>3<", b"<pdfaid:part>2<")
        doc.Root.Metadata = doc.make_stream(xmp, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)

    report = check_pdf(modified(pdfa3, back_to_part2))
    assert (report.pdfa, report.failed) == ("PDF/A-2B", ("attachments",))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "non è un PDF: manca l'intestazione %PDF-"),
        (b"Determinazione n. 129/2026\n", "non è un PDF: manca l'intestazione %PDF-"),
        (
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n",
            "non è un PDF: unable to find trailer dictionary while recovering damaged file",
        ),
    ],
)
def test_not_a_pdf_raises_one_line(data: bytes, message: str) -> None:
    with pytest.raises(VerificationError) as info:
        check_pdf(data)
    assert info.value.msg == message


def test_report_as_dict_and_text(pdfa3: bytes) -> None:
    report = check_pdf(pdfa3)
    data = json.loads(json.dumps(report.to_dict()))
    assert (data["passed"], data["pdfa"], data["signatures"]) == (True, "PDF/A-3B", 0)
    assert [c["name"] for c in data["checks"]] == [
        "syntax", "pdfa", "encryption", "output-intent", "fonts", "javascript", "tagged", "attachments",
    ]
    text = report.to_text("atto.pdf").splitlines()
    assert text[0] == "PASSED  atto.pdf (PDF/A-3B, 0 firme)"
    assert text[2] == "  ok    pdfa: PDF/A-3B dichiarato nei metadati XMP"


# -- compare_pdfs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_renderings(act: Act, converter: Converter) -> tuple[bytes, bytes]:
    docx = render_docx(act)
    first = converter.to_pdf(docx)
    time.sleep(1.1)  # LibreOffice stamps dates to the second
    return first, converter.to_pdf(docx)


def test_two_renderings_compare_equal_though_their_bytes_differ(two_renderings: tuple[bytes, bytes]) -> None:
    a, b = two_renderings
    assert a != b
    with pikepdf.open(io.BytesIO(a)) as da, pikepdf.open(io.BytesIO(b)) as db:
        assert da.docinfo.CreationDate != db.docinfo.CreationDate  # the test is not vacuous
        assert da.trailer.ID[1] != db.trailer.ID[1]
    result = compare_pdfs(a, b)
    assert (result.same, result.details, result.text, result.to_text()) == (True, (), (), "SAME  A  B")
    # With the same attachments and dates, the PDF/A-3 files are the same documents as well.
    assert compare_pdfs(attach_files(a, attachments()), attach_files(b, attachments())).same


def test_changed_premessa_is_named(act: Act, converter: Converter, two_renderings: tuple[bytes, bytes]) -> None:
    premesse = list(act.premesse)
    premesse[1] = premesse[1].replace("del 1° luglio 2024", "del 2 luglio 2024")
    assert premesse != list(act.premesse)
    changed = converter.to_pdf(render_docx(act.model_copy(update={"premesse": premesse})))
    result = compare_pdfs(two_renderings[0], changed, labels=("prima.pdf", "dopo.pdf"))
    assert not result.same
    [page] = result.text
    assert (page.kind, page.page_a, page.page_b) == ("changed", 1, 1)
    assert [(w.op, w.text) for w in page.words if w.op != EQUAL] == [(DELETED, "1°"), (ADDED, "2")]
    assert (result.layout, result.attachments, result.signatures, result.metadata) == ((), (), (), ())
    # The report names the page and the words, with a few words around them; no internals.
    assert result.to_text().splitlines() == [
        "DIFFERENT  A: prima.pdf  B: dopo.pdf",
        "  pagine: 2 in entrambi",
        '  pagina 1, testo: … - la DGR n. XII/2647 del [-1°-]{+2+} luglio 2024 "Accordo per lo sviluppo …',
    ]
    assert result.details == ("page 1/Contents: stream data differs",)
    assert result.to_text(verbose=True).splitlines()[3:] == ["  struttura interna:",
                                                            "    page 1/Contents: stream data differs"]
    data = result.to_dict()
    assert "details" not in data
    [page_json] = data["text"]
    assert (page_json["kind"], page_json["page_a"], page_json["page_b"]) == ("changed", 1, 1)
    assert [w for w in page_json["words"] if w["op"] != EQUAL] == [{"op": DELETED, "text": "1°"},
                                                                   {"op": ADDED, "text": "2"}]
    assert result.to_dict(verbose=True)["details"] == ["page 1/Contents: stream data differs"]


def test_an_added_page_is_counted_and_its_text_shown(rendered: bytes) -> None:
    longer = modified(rendered, lambda doc: doc.pages.append(doc.pages[0]))
    result = compare_pdfs(rendered, longer)
    [page] = result.text
    assert (page.kind, page.page_a, page.page_b, result.pages) == ("added", None, 3, (2, 3))
    assert result.to_text().splitlines()[1:] == [
        "  pagine: 2 in A, 3 in B",
        # an unsigned rendering: the draft's mark heads the page
        "  pagina 3 aggiunta: BOZZA - documento non firmato Unioncamere Lombardia www.unioncamerelombardia.it "
        "DETERMINAZIONE DEL DIRETTORE OPERATIVO …",
    ]
    # And the other way round: a page of A missing from B.
    assert [(c.kind, c.page_a, c.page_b) for c in compare_pdfs(longer, rendered).text] == [("removed", 3, None)]


def test_a_changed_attachment_is_named_with_both_hashes(rendered: bytes, pdfa3: bytes) -> None:
    other = [*attachments()[:1], Attachment("metadati.json", b'{"numero": 130}', "application/json",
                                            "Metadati dell'atto", "Data", WHEN)]
    result = compare_pdfs(pdfa3, attach_files(rendered, other))
    before, after = hashlib.sha256(METADATA.encode()).hexdigest(), hashlib.sha256(b'{"numero": 130}').hexdigest()
    assert result.attachments == (FileChange("changed", "metadati.json", before, after),)
    assert result.to_text().splitlines()[1:] == [
        "  pagine: 2 in entrambi",
        f"  file allegato metadati.json cambiato: sha256 {before[:12]}… in A, {after[:12]}… in B",
    ]
    # A file only in A is removed, by name.
    result = compare_pdfs(pdfa3, attach_files(rendered, attachments()[:1]))
    assert result.attachments == (FileChange("removed", "metadati.json", before, None),)


def _drawn_first(content: bytes) -> Callable[[pikepdf.Pdf], None]:
    def change(doc: pikepdf.Pdf) -> None:
        doc.pages[1].contents_add(pikepdf.Stream(doc, content), prepend=True)
    return change


def test_the_same_words_laid_out_otherwise_are_a_layout_difference(rendered: bytes) -> None:
    moved = modified(rendered, _drawn_first(b"1 0 0 1 0 -20 cm"))  # page 2, 20 points lower
    result = compare_pdfs(rendered, moved)
    assert (result.text, result.layout) == ((), (LayoutChange(2, 2, "moved"),))
    assert result.to_text().splitlines()[1:] == [
        "  pagine: 2 in entrambi", "  l'impaginazione di pagina 2 è diversa: le stesse parole, in altre posizioni",
    ]
    # A line drawn under the same words in the same places.
    lined = modified(rendered, _drawn_first(b"q 0 0 m 500 500 l S Q"))
    assert compare_pdfs(rendered, lined).layout == (LayoutChange(2, 2, "drawing"),)
    # A page of another size; words shifted within half a point have not moved for a person, though
    # the page is drawn otherwise.
    def wider(doc: pikepdf.Pdf) -> None:
        box = [float(x) for x in doc.pages[1].mediabox]
        doc.pages[1].mediabox = pikepdf.Array([box[0], box[1], box[2] + 20, box[3]])
    assert compare_pdfs(rendered, modified(rendered, wider)).layout == (LayoutChange(2, 2, "size"),)
    nudged = compare_pdfs(rendered, modified(rendered, _drawn_first(b"1 0 0 1 0.2 0 cm")))
    assert nudged.layout == (LayoutChange(2, 2, "drawing"),)


def test_signature_fields_are_told_apart_not_verified(pdfa3: bytes, dev_ca: DevCA) -> None:
    signer = ActSigner.from_pkcs12(dev_ca.issue_signer("Fabrizio Ventrice", "Direttore Operativo"), None)
    signed, again = signer.sign(pdfa3), signer.sign(pdfa3)
    for pdf in (signed, again):
        assert verify_pdf(pdf, [dev_ca.root_cert]).indication == "TOTAL_PASSED"
    result = compare_pdfs(pdfa3, signed)
    assert (result.text, result.layout, result.attachments) == ((), (), ())
    assert result.signatures == (SignatureChange("added", "Firma", None, True),)
    assert "  campo firma Firma aggiunto in B (firmato)" in result.to_text().splitlines()
    result = compare_pdfs(signed, again)
    assert result.signatures == (SignatureChange("changed", "Firma", True, True),)
    assert result.signatures[0].to_text() == "campo firma Firma: firmato in entrambi, con firme diverse"

    def empty_field(doc: pikepdf.Pdf) -> None:
        field = doc.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=pikepdf.String("Visto")))
        doc.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
    unsigned = modified(pdfa3, empty_field)
    assert compare_pdfs(pdfa3, unsigned).signatures == (SignatureChange("added", "Visto", None, False),)
    assert compare_pdfs(unsigned, pdfa3).signatures[0].to_text() == \
        "campo firma Visto rimosso in B (era non firmato)"


def test_the_title_a_person_reads_is_compared(rendered: bytes) -> None:
    def retitled(doc: pikepdf.Pdf) -> None:
        doc.docinfo["/Title"] = "Altro titolo"
    result = compare_pdfs(rendered, modified(rendered, retitled))
    assert result.metadata == (MetadataChange("title", "Determinazione - atti", "Altro titolo"),)
    assert result.to_text().splitlines()[1:] == [
        "  pagine: 2 in entrambi", "  titolo: in A 'Determinazione - atti', in B 'Altro titolo'",
    ]


def test_text_and_layout_are_read_within_bounds(rendered: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    longer = modified(rendered, lambda doc: doc.pages.append(doc.pages[0]))
    monkeypatch.setattr(pagewords, "COMPARE_MAX_PAGES", 2)
    monkeypatch.setattr(compare, "COMPARE_MAX_PAGES", 2)
    result = compare_pdfs(rendered, longer)
    assert (result.pages, result.pages_compared, result.text) == ((2, 3), 2, ())
    assert result.to_text().splitlines()[1:] == ["  pagine: 2 in A, 3 in B",
                                                 "  testo e impaginazione confrontati solo sulle prime 2 pagine"]
    monkeypatch.setattr(pagewords, "WORDS_TIMEOUT", 0)
    with pytest.raises(VerificationError) as info:
        compare_pdfs(rendered, longer, labels=("a.pdf", "b.pdf"))
    assert info.value.msg == "a.pdf: non è stato possibile leggerne le parole in 0 s"
    monkeypatch.setattr(pagewords, "WORDS_TIMEOUT", 120)
    monkeypatch.setattr(pagewords, "WORDS_MAX_BYTES", 1000)
    with pytest.raises(VerificationError) as info:
        compare_pdfs(rendered, longer, labels=("a.pdf", "b.pdf"))
    assert info.value.msg == "a.pdf: le sue parole supererebbero 0.001 MB"


def test_compare_names_the_unreadable_file(rendered: bytes) -> None:
    with pytest.raises(VerificationError) as info:
        compare_pdfs(rendered, b"not a pdf", labels=("a.pdf", "b.pdf"))
    assert info.value.msg == "b.pdf: non è un PDF: manca l'intestazione %PDF-"


# -- CLI ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["pdfcheck", "compare"])
def test_commands_have_help(atti: Atti, command: str) -> None:
    result = atti("--lang", "en", command, "--help")
    assert result.exit_code == 0
    assert f"Usage: main {command}" in result.output or f"Usage: atti {command}" in result.output
    assert "Exits 0" in result.output


def test_cli_pdfcheck(atti: Atti, pdfa3: bytes, pdfa3_file: Path, tmp_path: Path) -> None:
    result = atti("pdfcheck", pdfa3_file)
    assert (result.exit_code, first_line(result.stdout)) == (0, f"PASSED  {pdfa3_file} (PDF/A-3B, 0 firme)")

    result = atti("pdfcheck", "--json", pdfa3_file)
    data = json.loads(result.stdout)
    assert (result.exit_code, data["file"], data["passed"], data["pdfa"]) == (0, str(pdfa3_file), True, "PDF/A-3B")

    bad = tmp_path / "js.pdf"
    bad.write_bytes(modified(pdfa3, _js_open_action))
    result = atti("pdfcheck", bad)
    assert (result.exit_code, first_line(result.stdout)) == (1, f"FAILED  {bad} (PDF/A-3B, 0 firme)")
    assert re.search(r"^  FAIL  javascript: trovato in ", result.stdout, re.M)


def test_cli_pdfcheck_unreadable(atti: Atti, tmp_path: Path) -> None:
    text = tmp_path / "atto.yaml"
    text.write_text("tipo: determinazione\n")
    result = atti("pdfcheck", text)
    assert (result.exit_code, result.stdout, result.stderr) == (
        5, "", "Errore: non è un PDF: manca l'intestazione %PDF-\n")
    missing = tmp_path / "missing.pdf"
    result = atti("pdfcheck", missing)
    assert (result.exit_code, result.stderr) == (
        5, f"Errore: impossibile leggere {missing}: No such file or directory\n")


def test_cli_compare(atti: Atti, two_renderings: tuple[bytes, bytes], pdfa3_file: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(two_renderings[0])
    b.write_bytes(two_renderings[1])
    result = atti("compare", a, b)
    assert (result.exit_code, result.stdout) == (0, f"SAME  {a}  {b}\n")

    result = atti("compare", a, pdfa3_file)
    assert (result.exit_code, first_line(result.stdout)) == (1, f"DIFFERENT  A: {a}  B: {pdfa3_file}")
    lines = result.stdout.splitlines()
    added = "  file allegato metadati.json aggiunto: sha256 " + hashlib.sha256(METADATA.encode()).hexdigest()[:12]
    assert added + "…" in lines
    assert "  PDF/A: in A PDF/A-2B, in B PDF/A-3B" in lines
    internal = "    /Root: /AF only in B, /Names only in B"
    assert internal not in lines
    # The internals, with the command's --verbose or atti's.
    for args in (["compare", "--verbose", a, pdfa3_file], ["--verbose", "compare", a, pdfa3_file]):
        result = atti(*args)
        assert result.exit_code == 1
        assert result.stdout.splitlines() == [*lines, "  struttura interna:", internal,
                                              "    /Root/Metadata: XMP properties differ: /pdfaid:part"]

    result = atti("compare", "--json", a, pdfa3_file)
    data = json.loads(result.stdout)
    assert (result.exit_code, data["same"], data["internals"], "details" in data) == (1, False, 2, False)
    assert [f["name"] for f in data["attachments"]] == [EXAMPLE.name, "metadati.json"]
    data = json.loads(atti("compare", "--json", "-v", a, pdfa3_file).stdout)
    assert data["details"] == [internal.strip(), "/Root/Metadata: XMP properties differ: /pdfaid:part"]

    result = atti("compare", "--json", a, b)
    assert (result.exit_code, json.loads(result.stdout)["same"]) == (0, True)
    assert f"Text and layout are read on the first {pagewords.COMPARE_MAX_PAGES} pages." in \
        " ".join(atti("--lang", "en", "compare", "--help").stdout.split())

    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"junk")
    result = atti("compare", a, junk)
    assert (result.exit_code, result.stderr) == (5, f"Errore: {junk}: non è un PDF: manca l'intestazione %PDF-\n")
