"""Issue 19: the acts Italian bodies really issue, each published, verified, proved and laid out
as such acts are printed: collegial delibere signed by two, a determinazione with its visto
contabile, a decree by articles, an ordinanza."""

from __future__ import annotations

import html
import io
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest

from atti import pipeline
from atti.acts import load_act, load_act_text
from atti.acts.model import Act, euro
from atti.archive import Archive
from atti.config import Settings
from atti.errors import ActError
from atti.export.akn import akn_xml
from atti.signing.stamp import STAMP_HEIGHT
from atti.templates.render import running_header, template_context

DATA = Path(__file__).parent / "data" / "acts"
KINDS = {
    "determinazione-AT-212-2026.yaml": 2,  # the responsabile, then the responsabile finanziario
    "delibera-GC-45-2026.yaml": 2,  # the Sindaco and the Segretario
    "delibera-CC-12-2026.yaml": 2,  # the Presidente del Consiglio and the Segretario
    "decreto-DR-310-2026.yaml": 1,
    "ordinanza-OS-18-2026.yaml": 1,
}


# -- the format (fast) ---------------------------------------------------------------------------


def test_every_example_loads_and_the_examples_folder_has_the_same_acts() -> None:
    examples = Path(__file__).parent.parent / "examples"
    for name, signers in KINDS.items():
        act = load_act(DATA / name).act
        assert len(act.firmatari) == signers
        assert (examples / name).read_text(encoding="utf-8") == (DATA / name).read_text(encoding="utf-8")


def _with(name: str, old: str, new: str) -> str:
    text = (DATA / name).read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


def test_firmatario_is_one_mapping_or_a_list_in_signing_order() -> None:
    act = load_act(DATA / "delibera-GC-45-2026.yaml").act
    assert [f.nome for f in act.firmatari] == ["Mario Bianchi", "Anna Galli"]
    assert act.nomi_firmatari == "Mario Bianchi, Anna Galli"
    single = load_act(DATA / "decreto-DR-310-2026.yaml").act
    assert [f.nome for f in single.firmatari] == ["Elena Moretti"]
    # A mistake inside the list is placed on its line, without pydantic's union tags.
    text = _with("delibera-GC-45-2026.yaml", "    qualifica: Il Segretario comunale\n", "")
    with pytest.raises(ActError) as caught:
        load_act_text(text, "d.yaml")
    assert str(caught.value).startswith("d.yaml:")
    assert "manca la chiave obbligatoria 'qualifica' in 'firmatario[1]'" in str(caught.value)
    assert "elenco" not in str(caught.value)


def test_a_vote_is_unanimous_or_counted() -> None:
    text = _with("delibera-GC-45-2026.yaml", "votazione:\n  unanimita: true\n", "votazione:\n  contrari: 1\n")
    with pytest.raises(ActError, match="scrivi i voti"):
        load_act_text(text, "d.yaml")
    counted = load_act(DATA / "delibera-CC-12-2026.yaml").act
    context = template_context(counted)
    assert context["votazione"]["testo"] == "voti favorevoli n. 6, contrari n. 1, astenuti n. 1"
    assert context["seduta"]["ora"] == "20:30" and context["seduta"]["organo"] == "il Consiglio Comunale"
    assert context["seduta"]["riunito"] == "riunito"


def _problems(text: str) -> list[str]:
    with pytest.raises(ActError) as caught:
        load_act_text(text, "d.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_minutes_of_a_seduta_follow_its_rules() -> None:
    name = "delibera-CC-12-2026.yaml"
    too_many = _with(name, "  favorevoli: 6\n", "  favorevoli: 9\n")
    assert any(":60:" in p and "votazione: 11 voti, ma 8 presenti" in p for p in _problems(too_many)), \
        _problems(too_many)
    rejected = _with(name, "  favorevoli: 6\n  contrari: 1\n", "  favorevoli: 1\n  contrari: 6\n")
    assert any("1 favorevoli e 6 contrari: la proposta non è approvata" in p for p in _problems(rejected))
    absent = _with(name, "    - {nome: Franco Russo, ruolo: Presidente del Consiglio}\n", "")
    assert any("seduta.presidente.nome: Franco Russo presiede" in p for p in _problems(absent))
    one_signer = _with(name, "  - nome: Anna Galli\n    qualifica: Il Segretario comunale\n", "")
    assert any("elenca Anna Galli (Segretario comunale) sotto firmatario" in p for p in _problems(one_signer))
    testa = "    - {nome: Elisa Testa, ruolo: Consigliere}\n"
    both = _with(name, testa, testa.replace("Elisa Testa", "Marco Greco"))
    assert any("seduta.assenti[0].nome: Marco Greco è anche tra i presenti" in p for p in _problems(both))
    text = (DATA / "ordinanza-OS-18-2026.yaml").read_text(encoding="utf-8") + "votazione: {unanimita: true}\n"
    assert any("votazione: una votazione si tiene in una seduta" in p for p in _problems(text))


def test_the_visto_contabile_comes_after_the_act_and_makes_it_esecutiva() -> None:
    name = "determinazione-AT-212-2026.yaml"
    early = _with(name, "  data: 2026-05-20\n", "  data: 2026-05-18\n")
    assert any("visto_contabile.data: 2026-05-18 è anteriore alla data dell'atto" in p for p in _problems(early))
    before = _with(name, "  esecutiva_dal: 2026-05-20\n", "  esecutiva_dal: 2026-05-19\n")
    assert any("visto_contabile.esecutiva_dal: 2026-05-19 è anteriore al visto" in p for p in _problems(before))


def test_an_unquoted_time_is_read_as_yaml_1_1_sexagesimal_and_given_back() -> None:
    text = _with("delibera-GC-45-2026.yaml", 'ora: "18:30"', "ora: 18:30")
    act = load_act_text(text, "d.yaml").act
    assert act.seduta is not None and f"{act.seduta.ora:%H:%M}" == "18:30"


def test_a_decree_by_articles_numbers_them_and_their_commi() -> None:
    act = load_act(DATA / "decreto-DR-310-2026.yaml").act
    articoli = template_context(act)["articoli"]
    assert [(a["numero"], a["titolo"], a["numerati"]) for a in articoli] == [
        (1, "Oggetto", False), (2, "Accesso", True), (3, "Entrata in vigore", False),
    ]
    assert act.dispositivo.testi()[:2] == ["Oggetto", "Il presente regolamento disciplina l'uso delle aule "
                                                       "studio dell'Università."]
    text = (DATA / "decreto-DR-310-2026.yaml").read_text(encoding="utf-8")
    empty = text[:text.index("dispositivo:")] + "dispositivo:\n  articoli: []\n" + text[text.index("\nfirmatario:"):]
    with pytest.raises(ActError, match="dispositivo vuoto: scrivi almeno un punto"):
        load_act_text(empty, "d.yaml")


def test_the_visto_contabile_prints_each_commitment_in_euro() -> None:
    act = load_act(DATA / "determinazione-AT-212-2026.yaml").act
    visto = template_context(act)["visto_contabile"]
    assert visto["impegni"] == ["esercizio 2026, capitolo 2080/3, impegno n. 2026/418, importo € 24.400,00, "
                                "a favore di Ludica Arredi S.r.l., CIG B1A2C3D4E5, CUP F61B26000010004"]
    assert visto["esecutiva_dal"] == "20/05/2026"
    assert euro(Decimal("1234567.5")) == "€ 1.234.567,50"
    wrong = _with("determinazione-AT-212-2026.yaml", "importo: 24400.00", "importo: 24400.001")
    with pytest.raises(ActError, match="al massimo due decimali"):
        load_act_text(wrong, "d.yaml")


# -- published, verified, proved and laid out (LibreOffice) --------------------------------------


@dataclass(frozen=True)
class Published:
    act: Act
    pdf: bytes
    report: object
    akn: bytes


@pytest.fixture(scope="module")
def published(libreoffice: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Published]]:
    root = tmp_path_factory.mktemp("kinds") / "archive"
    pipeline.init_archive(root)
    out = {}
    with Archive.open(root) as archive:
        for name in KINDS:
            # The autouse hook of conftest proves each act against the YAML its PDF carries.
            result = pipeline.publish(archive, DATA / name, Settings(archive=root, development=True))
            path = Path(result.pdf)
            report = pipeline.verify(path, archive=archive)
            act = load_act(DATA / name).act
            out[name] = Published(act, path.read_bytes(), report, akn_xml(act, result.record))
    yield out


@pytest.mark.parametrize("name", list(KINDS))
def test_each_kind_publishes_and_every_firmatario_signs(published: dict[str, Published], name: str) -> None:
    done = published[name]
    report = done.report
    assert report.indication == "TOTAL_PASSED"  # type: ignore[attr-defined]
    signatures = [s for s in report.signatures if s.field_name.startswith("Firma")]  # type: ignore[attr-defined]
    assert [s.signer for s in signatures] == [f.nome for f in done.act.firmatari]
    assert len(signatures) == KINDS[name]
    assert [s.indication for s in signatures] == ["TOTAL_PASSED"] * KINDS[name]
    assert [f.matches for f in report.firmatari] == [True] * KINDS[name]  # type: ignore[attr-defined]
    # The last signature locks; poppler agrees that every signature is valid.
    with pikepdf.open(io.BytesIO(done.pdf)) as doc:
        fields = {str(f.T): f for f in doc.Root.AcroForm.Fields}
        assert fields["Firma"].Lock.P == 2
        assert all("/Lock" not in f for n, f in fields.items() if n != "Firma")
    pdfsig = subprocess.run(["pdfsig", "-"], input=done.pdf, capture_output=True, check=False)
    if pdfsig.returncode != 0 and b"-" in pdfsig.stderr:  # older poppler reads no stdin
        path = Path(f"/tmp/atti-kinds-{name}.pdf")
        path.write_bytes(done.pdf)
        pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, check=False)
        path.unlink()
    out = pdfsig.stdout.decode()
    assert out.count("Signature is Valid.") == out.count("Signature #") >= KINDS[name]


def test_akoma_ntoso_names_every_firmatario_in_signing_order(published: dict[str, Published]) -> None:
    from lxml import etree

    ns = "{http://docs.oasis-open.org/legaldocml/ns/akn/3.0}"
    for done in published.values():
        root = etree.fromstring(done.akn)
        signatures = [(s.findtext(f"{ns}role"), s.findtext(f"{ns}person")) for s in root.iter(f"{ns}signature")]
        assert signatures == [(f.qualifica, f.nome) for f in done.act.firmatari]
        ids = [e.get("eId") for e in root.iter() if e.get("eId")]
        assert len(ids) == len(set(ids))


@dataclass(frozen=True)
class _Line:
    text: str
    top: float
    bottom: float


def _pages(pdf: bytes) -> list[tuple[float, list[_Line], list[tuple[float, float, float, float]]]]:
    """Each page's height, lines (words joined by line) and word boxes, from pdftotext -bbox."""
    xml = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pages = []
    for page in re.finditer(r'<page width="[0-9.]+" height="([0-9.]+)">(.*?)</page>', xml, re.DOTALL):
        lines: list[_Line] = []
        boxes = []
        for m in re.finditer(r'xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">(.*?)</word>',
                             page[2]):
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            boxes.append((x0, y0, x1, y1))
            word = html.unescape(m[5])
            if lines and lines[-1].top <= (y0 + y1) / 2 <= lines[-1].bottom:
                lines[-1] = _Line(f"{lines[-1].text} {word}", lines[-1].top, max(lines[-1].bottom, y1))
            else:
                lines.append(_Line(word, y0, y1))
        pages.append((float(page[1]), lines, boxes))
    return pages


@pytest.mark.parametrize("name", list(KINDS))
def test_pages_are_numbered_and_headed_with_the_act(published: dict[str, Published], name: str) -> None:
    done = published[name]
    pages = _pages(done.pdf)
    header = " ".join(running_header(done.act).split())
    for number, (height, lines, _boxes) in enumerate(pages, start=1):
        footer = [line for line in lines if line.top > height - 72]
        assert [line.text for line in footer] == [f"Pagina {number} di {len(pages)}"]
        top = [line.text for line in lines if line.bottom < 60]
        assert top == ([header] if number > 1 else [])


@pytest.mark.parametrize("name", list(KINDS))
def test_the_stamps_stand_inside_the_margins_in_the_act_s_font_and_italian_time(
    published: dict[str, Published], name: str
) -> None:
    done = published[name]
    pages = _pages(done.pdf)
    body = [b for height, _lines, boxes in pages for b in boxes if 60 < b[1] < height - 72]
    left, right = min(b[0] for b in body), max(b[2] for b in body)
    with pikepdf.open(io.BytesIO(done.pdf)) as doc:
        height = float(doc.pages[-1].mediabox[3])
        fields = [f for f in doc.Root.AcroForm.Fields if str(f.T).startswith("Firma")]
        assert len(fields) == KINDS[name]
        for field in fields:
            x0, y0, x1, y1 = (float(v) for v in field.Rect)
            assert left - 0.5 <= x0 and x1 <= right + 0.5, (x0, x1, left, right)
            assert abs((y1 - y0) - STAMP_HEIGHT) < 1 and y0 > 72 and y1 < height - 60
            fonts = field.AP.N.Resources.Font
            assert any("LiberationSans" in str(f.BaseFont) for f in fonts.values())
    last = pages[-1][1]
    stamp = " ".join(line.text for line in last)
    assert "(ora italiana)" in stamp and "UTC" not in stamp
    assert re.search(r"il \d\d/\d\d/\d{4} \d\d:\d\d:\d\d CES?T \(ora italiana\)", stamp)


@pytest.mark.parametrize("name", list(KINDS))
def test_no_page_before_the_signatures_is_left_near_empty(published: dict[str, Published], name: str) -> None:
    done = published[name]
    pages = _pages(done.pdf)
    for height, lines, _boxes in pages[:-1]:
        text = [line for line in lines if 60 < line.top < height - 72]
        # The text reaches the foot of every page but the last: no fifth of a page left empty.
        assert max(line.bottom for line in text) > height - 72 - 0.2 * (height - 144)
    # The signature block never stands alone: the page of the first signer's name has the act's
    # text before it.
    first = done.act.firmatari[0].nome
    page = next(lines for _h, lines, _b in pages if any(line.text == first for line in lines))
    at = next(i for i, line in enumerate(page) if line.text == first)
    assert at >= 5


def test_each_firmatario_signs_with_their_own_key_outside_development_mode(
    libreoffice: str, tmp_path: Path
) -> None:
    """The configured key is one firmatario's, --reviewer gives the other's; without it publishing
    is refused before anything is numbered or rendered, naming who lacks a key."""
    from atti.errors import SigningError
    from atti.signing import DevCA

    root = tmp_path / "archive"
    pipeline.init_archive(root)
    ca = DevCA.load(root / "pki")
    sindaco = ca.signer_for("Mario Bianchi", "Il Sindaco", organisation="Comune di Valle Serena")
    segretaria = ca.signer_for("Anna Galli", "Il Segretario comunale", organisation="Comune di Valle Serena")
    act = DATA / "delibera-GC-45-2026.yaml"
    with Archive.open(root) as archive:
        with pytest.raises(SigningError, match="il firmatario Mario Bianchi deve firmare con la propria chiave"):
            pipeline.publish(archive, act, Settings(archive=root, p12=segretaria))
        assert archive.next_number("G.C.", 2026) == 1  # nothing taken
        result = pipeline.publish(archive, act, Settings(archive=root, p12=segretaria),
                                  reviewer_keys=[f"p12:{sindaco}"])
        report = pipeline.verify(Path(result.pdf), archive=archive)
    assert report.indication == "TOTAL_PASSED"
    assert [(s.field_name, s.signer) for s in report.signatures] == [
        ("Firma1", "Mario Bianchi"), ("Firma", "Anna Galli"),
    ]
    assert result.record.firmatario == "Mario Bianchi, Anna Galli"


def test_the_proof_leaves_out_page_numbers_and_the_running_header_even_broken_over_two_lines() -> None:
    from atti.templates.proof import prove_text

    act = load_act(DATA / "decreto-DR-310-2026.yaml").act
    header = running_header(act)
    first, _, second = header.partition(" N. ")
    comma = act.dispositivo.articoli[1].commi[1]
    half = len(comma) // 2
    broken = f"{comma[:half]}\nPagina 1 di 2\f{first}\nN. {second}\n{comma[half:]}"
    paragraphs = [
        "Università degli Studi di Valle Serena", "www.univalleserena.example.it",
        f"{act.titolo} N. {act.estremi}", "Del 02/04/2026", f"OGGETTO: {act.oggetto}", "IL RETTORE", "Visto:",
        *act.visti, "Considerato che:", *act.considerato, "DECRETA",
    ]
    for article in template_context(act)["articoli"]:
        paragraphs.append(f"Art. {article['numero']} - {article['titolo']}")
        paragraphs += [f"{c['numero']}. {c['testo']}" if article["numerati"] else c["testo"] for c in article["commi"]]
    paragraphs += [act.firmatari[0].qualifica, act.firmatari[0].nome, "Pagina 2 di 2"]
    text = "\n".join(paragraphs)
    assert prove_text(act, text, paragraphs).passed
    assert prove_text(act, text.replace(comma, broken), paragraphs).passed
    # Another line there is an alteration.
    forged = text.replace(comma, f"{comma[:half]}\nPagina 1 di 2 bis\n{comma[half:]}")
    assert not prove_text(act, forged, paragraphs).passed
