"""Sending acts to a conservatore: a pacchetto di versamento of a register's year, with a UNI
SInCRO index signed by the body and timestamped, AgID metadata and Akoma Ntoso valid against
their schemas; the package imported elsewhere; the conservatore's receipt recorded; and the
AgID Verifica following the facts of each signature.

The schemas are in tests/data/schemas (their sources in its README); the AgID one ships with atti.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import bagit
import pytest
from lxml import etree

from atti import pipeline
from atti.archive import Archive
from atti.archive.integrity import verify_archive
from atti.config import Settings
from atti.errors import ArchiveError, ConfigError
from atti.export.agid import schema, verify_facts
from atti.export.akn import AKN_NS
from atti.export.package import export_package, verification_facts
from atti.export.transfer import INDEX, REPORT, SIGNATURE, TIMESTAMP, Selection, export_transfer
from atti.signing import ActSigner, verify_pdf
from atti.signing.trust import read_trusted_list

from .conftest import EXAMPLE, Atti, ForeignPKI
from .livepki import LivePKI
from .test_export import BODY, _data, _history
from .test_qualified import COMPLIANCE, GRANTED, QCTYPE, SINCE_2020, SSCD, _root, _signer, write_tl
from .test_signing import make_pdf

SCHEMAS = Path(__file__).parent / "data" / "schemas"
SINCRO = f"{{{'http://www.uni.com/U3011/sincro-v2/'}}}"
A = f"{{{AKN_NS}}}"
HOLDER = "Conservatore di prova S.p.A."


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePKI]:
    pki = LivePKI(tmp_path_factory.mktemp("live-pki"))
    yield pki
    pki.stop()


def _settings(root: Path, live: LivePKI, **more: object) -> Settings:
    return Settings.model_validate({"archive": root, "development": True, **BODY, "holder": HOLDER,
                                    "tsa_url": live.tsa_url, **more})


def _act(tmp: Path, numero: int, *, relazione: tuple[str, str] | None = None, extra: str = "") -> Path:
    """The example act as number ``numero``, with a relazione to an earlier act and more keys."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", f"numero: {numero} ", 1)
    head = extra
    if relazione:
        head += f"relazioni:\n  - tipo: {relazione[0]}\n    atto: {relazione[1]}\n"
    text = text.replace("oggetto: >-", head + "oggetto: >-", 1)
    path = tmp / f"act-{numero}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def register(libreoffice: str, tmp_path_factory: pytest.TempPathFactory, live: LivePKI) -> Path:
    """An archive whose register D.O. 2026 holds four acts: 1, annulled by 3; 2, rectified by 4
    (which also cites 2 and a law in its visti); 1 is filed in a fascicolo."""
    tmp = tmp_path_factory.mktemp("register")
    root = tmp / "archive"
    pipeline.init_archive(root)
    settings = _settings(root, live)
    fascicolo = "classificazione:\n  indice: '1.6'\n  fascicolo: 2026-1.6-4\n"
    visti = ("visti:\n  - la Determinazione D.O. n. 2 del 19/05/2026;\n"
             "  - la legge 7 agosto 1990, n. 241;\n")
    with Archive.open(root) as archive:
        pipeline.publish(archive, _act(tmp, 1, extra=fascicolo), settings)
        pipeline.publish(archive, _act(tmp, 2), settings)
        pipeline.publish(archive, _act(tmp, 3, relazione=("annullamento", "DO-2026-1")), settings)
        four = _act(tmp, 4, relazione=("rettifica", "DO-2026-2"))
        text = four.read_text(encoding="utf-8")
        start = text.index("visti:")
        end = text.index("\n", text.index("  - ", start))  # keep the first visto's line out, add ours
        four.write_text(text[:start] + visti + text[end + 1:], encoding="utf-8")
        pipeline.publish(archive, four, settings)
    return root


@pytest.fixture(scope="module")
def package(register: Path, live: LivePKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with Archive.open(register) as archive:
        result = export_transfer(archive, Selection(registro="D.O.", anno=2026),
                                 tmp_path_factory.mktemp("out"), _settings(register, live))
    assert result.acts == ("DO-2026-1", "DO-2026-2", "DO-2026-3", "DO-2026-4")
    assert result.path.name == "PdV-DO-2026"
    return result.path


def test_the_package_is_a_bagit_1_0_bag_of_the_register_year(package: Path) -> None:
    bag = bagit.Bag(str(package))
    assert bag.validate() and bag.version_info == (1, 0)
    data = package / "data"
    assert sorted(p.name for p in data.iterdir()) == [
        "DO-2026-1", "DO-2026-2", "DO-2026-3", "DO-2026-4", INDEX, SIGNATURE, TIMESTAMP, REPORT]
    report = json.loads((data / REPORT).read_text(encoding="utf-8"))
    assert [(a["id"], a["stato"]) for a in report["atti"]] == [
        ("DO-2026-1", "annullato"), ("DO-2026-2", "rettificato"), ("DO-2026-3", "pubblicato"),
        ("DO-2026-4", "pubblicato")]
    assert report["conservatore"] == HOLDER and report["produttore"] == "Unioncamere Lombardia"
    assert report["indice"]["sviluppo"] is True
    for act in report["atti"]:  # the report names every file of the act with its hash
        for name, sha in act["file"].items():
            assert hashlib.sha256((data / act["id"] / name).read_bytes()).hexdigest() == sha
    assert not [p for p in package.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_the_sincro_index_is_valid_and_lists_every_file(package: Path) -> None:
    data = package / "data"
    index = etree.parse(str(data / INDEX))
    etree.XMLSchema(etree.parse(str(SCHEMAS / "Unisincro_PIndex.xsd"))).assertValid(index)
    listed = {}
    for file in index.iterfind(f".//{SINCRO}File"):
        path = file.findtext(f"{SINCRO}Path")
        assert path is not None
        listed[path] = file.findtext(f"{SINCRO}Hash")
        assert file.find(f"{SINCRO}Hash").get(f"{SINCRO}hashFunction") == "SHA-256"  # type: ignore[union-attr]
    on_disk = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()
               and p.relative_to(data).parts[0].startswith("DO-")}
    assert set(listed) == on_disk
    for path, digest in listed.items():
        assert digest == base64.b64encode(hashlib.sha256((data / path).read_bytes()).digest()).decode()
    process = index.find(f"{SINCRO}Process")
    assert process is not None
    holders = {h.get(f"{SINCRO}holderRole"): h.findtext(f"{SINCRO}AgentName/{SINCRO}FormalName")
               for h in process.iterfind(f"{SINCRO}Holder")}
    assert holders == {"soggetto produttore": "Unioncamere Lombardia", "soggetto detentore": HOLDER}
    assert process.findtext(f"{SINCRO}Submitter/{SINCRO}AgentName/{SINCRO}FormalName") == "Unioncamere Lombardia"
    broken = etree.fromstring(etree.tostring(index))
    broken.find(f".//{SINCRO}Process").remove(broken.find(f".//{SINCRO}Holder"))  # type: ignore[union-attr,arg-type]
    broken.find(f".//{SINCRO}Process").remove(broken.find(f".//{SINCRO}Holder"))  # type: ignore[union-attr,arg-type]
    assert not etree.XMLSchema(etree.parse(str(SCHEMAS / "Unisincro_PIndex.xsd"))).validate(broken)


def test_openssl_verifies_the_index_signature_and_its_timestamp(
    package: Path, register: Path, live: LivePKI, tmp_path: Path
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    data = package / "data"
    cms = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", data / SIGNATURE, "-content", data / INDEX,
         "-CAfile", register / "pki" / "root.pem", "-purpose", "any", "-out", tmp_path / "content"],
        capture_output=True, text=True, check=False,
    )
    assert cms.returncode == 0, cms.stderr
    assert "Verification successful" in cms.stderr
    assert (tmp_path / "content").read_bytes() == (data / INDEX).read_bytes()
    ts = subprocess.run(
        ["openssl", "ts", "-verify", "-data", data / SIGNATURE, "-in", data / TIMESTAMP, "-token_in",
         "-CAfile", live.root_pem()],
        capture_output=True, text=True, check=False,
    )
    assert ts.returncode == 0, ts.stdout + ts.stderr
    assert "Verification: OK" in ts.stdout
    # A changed index fails the signature.
    (tmp_path / "index.xml").write_bytes((data / INDEX).read_bytes().replace(b"Unioncamere", b"Unioncamerx", 1))
    bad = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", data / SIGNATURE,
         "-content", tmp_path / "index.xml", "-CAfile", register / "pki" / "root.pem", "-purpose", "any"],
        capture_output=True, text=True, check=False,
    )
    assert bad.returncode != 0


def test_every_metadata_and_akn_file_is_valid_and_follows_the_archive(package: Path) -> None:
    data = package / "data"
    akn_schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "akomantoso30.xsd")))
    metadata = {}
    akn = {}
    for act in ("DO-2026-1", "DO-2026-2", "DO-2026-3", "DO-2026-4"):
        metadata[act] = etree.parse(str(data / act / "metadata.xml")).getroot()
        schema().assertValid(metadata[act])
        akn[act] = etree.parse(str(data / act / "akn.xml")).getroot()
        akn_schema.assertValid(akn[act])
    tracce = {act: [(m.findtext("TipoModifica"), m.findtext("SoggettoAutoreDellaModifica/Cognome"))
                    for m in xml.iterfind("TracciatureModificheDocumento")] for act, xml in metadata.items()}
    assert tracce == {"DO-2026-1": [("Annullamento", "Ventrice")], "DO-2026-2": [("Rettifica", "Ventrice")],
                      "DO-2026-3": [], "DO-2026-4": []}
    assert metadata["DO-2026-1"].findtext("Agg/TipoAgg/TipoAggregazione") == "Fascicolo"
    assert metadata["DO-2026-1"].findtext("Agg/TipoAgg/IdAggregazione") == "2026-1.6-4"
    # The annulled act says so, with the event and the act that caused it.
    one = akn["DO-2026-1"]
    assert one.findtext(f".//{A}preface//{A}docStatus") == "annullato"
    events = [(e.get("type"), e.get("source")) for e in one.iterfind(f".//{A}lifecycle/{A}eventRef")]
    assert events == [("generation", "#original"), ("repeal", "#passive_1")]
    passive = one.find(f".//{A}references/{A}passiveRef")
    assert passive is not None and passive.get("showAs") == "DO-2026-3"
    assert passive.get("href") == "/akn/it/act/determinazione/unioncamere.lombardia/2026-05-19/d.o-3"
    # The acts that change others carry the modification.
    three = akn["DO-2026-3"].find(f".//{A}activeModifications/{A}textualMod")
    assert three is not None and three.get("type") == "repeal"
    assert three.find(f"{A}destination").get("href") == (  # type: ignore[union-attr]
        "/akn/it/act/determinazione/unioncamere.lombardia/2026-05-19/d.o-1")
    four = akn["DO-2026-4"]
    assert four.find(f".//{A}activeModifications/{A}textualMod").get("type") == "substitution"  # type: ignore[union-attr]
    hrefs = {r.get("href") for r in four.iterfind(f".//{A}preamble//{A}ref")}
    assert "/akn/it/act/determinazione/unioncamere.lombardia/2026-05-19/d.o-2" in hrefs
    assert "urn:nir:stato:legge:1990-08-07;241" in hrefs


def test_the_package_imports_elsewhere_as_it_was(
    atti: Atti, package: Path, register: Path, live: LivePKI, tmp_path: Path
) -> None:
    other = tmp_path / "b"
    pipeline.init_archive(other)
    ids = ("DO-2026-1", "DO-2026-2", "DO-2026-3", "DO-2026-4")
    with Archive.open(register) as a:
        before = {i: _history(a, i) for i in ids}
    result = atti("import-package", package, "--archive", other)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"Importato {i}: determinazione D.O. n. {i[8:]}/2026" for i in ids]
    with Archive.open(other) as b:
        assert {i: _history(b, i) for i in ids} == before
        assert verify_archive(b).ok
        again = {i: export_package(b, i, tmp_path / "again", settings=_settings(other, live)) for i in ids}
    for i in ids:  # each act's files, metadata and AKN included, byte for byte
        assert _data(again[i]) == {p.relative_to(package / "data" / i).as_posix(): p.read_bytes()
                                   for p in sorted((package / "data" / i).rglob("*")) if p.is_file()}


def test_a_receipt_is_recorded_against_the_package_and_its_acts(
    atti: Atti, package: Path, register: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.xml"
    wrong.write_text("<RapportoVersamento><Pacchetto>PdV-XX-1999</Pacchetto></RapportoVersamento>", encoding="utf-8")
    with Archive.open(register) as archive:
        assert pipeline.show(archive, "DO-2026-2").transfers == []
    result = atti("receipt", package, wrong, "--archive", register)
    assert result.exit_code == 6 and result.output.count("\n") == 1
    assert "non indica né il pacchetto PdV-DO-2026" in result.output
    receipt = tmp_path / "rapporto.xml"
    receipt.write_text("<RapportoVersamento><Pacchetto>PdV-DO-2026</Pacchetto><Esito>POSITIVO</Esito>"
                       "</RapportoVersamento>", encoding="utf-8")
    result = atti("receipt", package, receipt, "--archive", register)
    assert result.exit_code == 0, result.output
    assert result.output == ("Registrato il rapporto di versamento di PdV-DO-2026 per 4 atti "
                             "(DO-2026-1, DO-2026-2, DO-2026-3, DO-2026-4)\n")
    from starlette.testclient import TestClient

    from atti.web import WebConfig, create_app

    with TestClient(create_app(WebConfig(archive=register))) as client:
        assert "Non ancora versato in conservazione" not in client.get("/atti/DO-2026-2").text
        page = client.get("/atti/DO-2026-2").text
        assert f"Versato in conservazione a {HOLDER}: ricevuta registrata il " in page
        assert client.get("/api/atti/DO-2026-2").json()["versamenti"][0]["conservatore"] == HOLDER
    with Archive.open(register) as archive:
        (transfer,) = pipeline.show(archive, "DO-2026-2").transfers
        assert transfer["package"] == "PdV-DO-2026" and transfer["conservatore"] == HOLDER
        assert transfer["receipt_sha256"] == hashlib.sha256(receipt.read_bytes()).hexdigest()
        assert verify_archive(archive).ok  # the receipts are events of the chain, the acts unchanged
    shown = atti("show", "DO-2026-2", "--archive", register)
    assert f"Versato in conservazione: 1\n  {transfer['recorded_at']}: PdV-DO-2026 a {HOLDER}\n" in shown.output


def test_the_command_line_refuses_what_it_cannot_describe(atti: Atti, register: Path, tmp_path: Path) -> None:
    env = {"ATTI_IPA_CODE": "ucl_test", "ATTI_AOO_CODE": "AOO_UCL", "ATTI_PEC": "unioncamere@pec.example.it"}
    result = atti("export", "--registro", "D.O.", "--anno", "2026", "--archive", register, "-o", tmp_path, env=env)
    assert (result.exit_code, result.output) == (
        2, "Errore: un pacchetto di versamento richiede il conservatore che lo riceve: imposta holder (ATTI_HOLDER)\n")
    result = atti("export", "--registro", "D.O.", "--anno", "2025", "--archive", register, "-o", tmp_path,
                  env={**env, "ATTI_HOLDER": HOLDER, "ATTI_TSA_URL": "http://127.0.0.1:9/tsa"})
    assert (result.exit_code, result.output) == (
        6, "Errore: nessun atto sigillato corrisponde a registro D.O.; anno 2025\n"
    )
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_the_verification_facts_follow_the_signature(
    foreign_pki: ForeignPKI, live: LivePKI, tmp_path: Path
) -> None:
    """FirmatoDigitalmente, SigillatoElettronicamente and MarcaturaTemporale are what verifying
    the PDF found: unsigned, the development CA, a qualified test CA under a trusted list, and a
    timestamped signature each give their own answer."""
    from atti.signing import DevCA

    root = _root(foreign_pki)[0]
    tl_file = write_tl(tmp_path / "granted.xml", root, [(GRANTED, SINCE_2020)])
    tl = read_trusted_list(tl_file)

    def facts(pdf: bytes, trusted: list[object]) -> tuple[bool, bool, bool]:
        roots = [root, live.root, *trusted]
        if pdf.count(b"/ByteRange"):  # every signed PDF a test writes is validated
            assert verify_pdf(pdf, roots, trusted_lists=[tl]).indication == "TOTAL_PASSED"  # type: ignore[arg-type]
        f = verify_facts(pdf, roots, trusted_lists=[tl])
        return f.signed, f.sealed, f.timestamped

    assert facts(make_pdf(), []) == (False, False, False)  # unsigned
    ca = DevCA.create(tmp_path / "pki", ente="Ente di prova")
    development = ActSigner.from_pkcs12(ca.issue_signer("Mario Rossi", "Dirigente"), None).sign(make_pdf())
    assert facts(development, [ca.root_cert]) == (False, False, False)  # signed, but not a firma digitale
    qualified = ActSigner.from_pkcs12(_signer(foreign_pki, tmp_path, "Anna QES", COMPLIANCE, SSCD, QCTYPE), None)
    assert facts(qualified.sign(make_pdf()), []) == (True, False, False)
    stamped = qualified.sign(make_pdf(), level="B-T", tsa_url=live.tsa_url)
    assert facts(stamped, []) == (True, False, True)
    # An export finds the same through the archive and the trusted lists of its settings.
    with Archive.create(tmp_path / "archive")[0] as archive:
        pdf = qualified.sign(make_pdf())
        assert verification_facts(archive, pdf, Settings(trusted_lists=[tl_file])).signed
        assert not verification_facts(archive, pdf, Settings()).signed  # no list: not known to be qualified
    # A qualified certificate for seals (QCP-l-qscd: a legal person's) seals, it does not sign.
    seal = _signer(foreign_pki, tmp_path, "Ente di prova", COMPLIANCE, SSCD, policies=("0.4.0.194112.1.3",))
    assert facts(ActSigner.from_pkcs12(seal, None).sign(make_pdf()), []) == (False, True, False)


def test_without_a_key_the_index_is_not_signed(register: Path, live: LivePKI, tmp_path: Path) -> None:
    with Archive.open(register) as archive, pytest.raises(Exception, match="nessuna chiave con cui firmare l'indice"):
        export_transfer(archive, Selection(ids=("DO-2026-3",)), tmp_path, _settings(register, live, development=False))
    with Archive.open(register) as archive, pytest.raises(ConfigError, match="imposta tsa_url"):
        export_transfer(archive, Selection(ids=("DO-2026-3",)), tmp_path, _settings(register, live, tsa_url=None))
    with Archive.open(register) as archive, pytest.raises(ArchiveError, match="nessun atto con id DO-2026-99"):
        export_transfer(archive, Selection(ids=("DO-2026-99",)), tmp_path, _settings(register, live))
    assert list(tmp_path.iterdir()) == []


def test_acts_are_chosen_by_register_and_year_dates_or_ids(register: Path) -> None:
    from atti.export.transfer import select

    def ids(selection: Selection) -> list[str]:
        with Archive.open(register) as archive:
            return [r.id for r in select(archive, selection)]

    day = dt.date(2026, 5, 19)
    assert ids(Selection(dal=day, al=day)) == ["DO-2026-1", "DO-2026-2", "DO-2026-3", "DO-2026-4"]
    assert ids(Selection(ids=("DO-2026-3", "DO-2026-1"))) == ["DO-2026-3", "DO-2026-1"]  # as given
    with pytest.raises(ArchiveError, match=r"nessun atto sigillato corrisponde a dal 2026-05-20 al \.\.\.$"):
        ids(Selection(dal=day + dt.timedelta(days=1)))
    assert Selection(registro="D.O.", anno=2026).name() == "PdV-DO-2026"
    assert Selection(dal=day, al=day).name() == "PdV-2026-05-19-2026-05-19"
    assert Selection(ids=("DO-2026-3", "DO-2026-1")).name() == "PdV-DO-2026-3-e-altri-1"


def test_the_command_line_writes_a_pacchetto_di_versamento(
    atti: Atti, register: Path, live: LivePKI, tmp_path: Path
) -> None:
    env = {
        "ATTI_IPA_CODE": "ucl_test", "ATTI_AOO_CODE": "AOO_UCL", "ATTI_PEC": "unioncamere@pec.example.it",
        "ATTI_TITOLARIO": json.dumps(BODY["titolario"]), "ATTI_CLASSIFICAZIONE": '{"determinazione": "1.6"}',
        "ATTI_MASSIMARIO": json.dumps(BODY["massimario"]), "ATTI_HOLDER": HOLDER, "ATTI_TSA_URL": live.tsa_url,
    }
    result = atti("export", "DO-2026-3", "DO-2026-4", "--development", "--json", "--archive", register,
                  "-o", tmp_path, env=env)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["acts"] == ["DO-2026-3", "DO-2026-4"]
    assert out["development"] is True  # no key configured: the development CA signed, and says so
    package = Path(out["path"])
    assert package == tmp_path / "PdV-DO-2026-3-e-altri-1" and bagit.Bag(str(package)).validate()
    assert out["index_sha256"] == hashlib.sha256((package / "data" / INDEX).read_bytes()).hexdigest()
    result = atti("export", "DO-2026-3", "--registro", "D.O.", "--archive", register, "-o", tmp_path, env=env)
    assert result.exit_code == 2 and "non entrambi" in result.output
