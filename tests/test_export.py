"""Export and import: AgID metadata, Akoma Ntoso, BagIt packages and their round trip.

The example act is published once for the module (LibreOffice renders, pyHanko signs); every
test reads that archive, and the ones that import use archives of their own.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import bagit
import pytest
from lxml import etree

from atti import pipeline
from atti.acts import load_act
from atti.archive import Archive
from atti.archive.integrity import verify_archive
from atti.config import Settings
from atti.errors import ArchiveError, DuplicateNumber
from atti.export.agid import Facts, agid_metadata, schema, split_name, version_fingerprint
from atti.export.akn import AKN_NS, akn_xml
from atti.export.package import body_of, export_package, import_package, package_files, read_archived

from .conftest import EXAMPLE, Atti

ACT_ID = "DO-2026-129"
A = f"{{{AKN_NS}}}"
# The body's settings the AgID metadata need (made up for the tests: no real IPA code).
BODY = {
    "ipa_code": "ucl_test", "aoo_code": "AOO_UCL", "aoo_name": "Unioncamere Lombardia - AOO",
    "pec": ["unioncamere@pec.example.it"], "titolario": {"1.6": "Contratti e convenzioni", "3.1": "Personale"},
    "titolario_name": "Titolario di prova 2026", "classificazione": {"determinazione": "1.6"},
    "massimario": {"1": 10, "1.6": 20},
}


def body_settings(root: Path | str, **more: object) -> Settings:
    return Settings.model_validate({"archive": root, "development": True, **BODY, **more})


@pytest.fixture(scope="module")
def archive_root(libreoffice: str, archive_location_module: Path | str) -> Path | str:
    root = archive_location_module
    pipeline.init_archive(root)
    with Archive.open(root) as archive:
        pipeline.publish(archive, EXAMPLE, Settings(archive=root, development=True))
    return root


@pytest.fixture(scope="module")
def metadata(archive_root: Path) -> etree._Element:
    with Archive.open(archive_root) as archive:
        a = read_archived(archive, ACT_ID)
        xml = etree.fromstring(package_files(a, archive, body_settings(archive_root))["metadata.xml"])
    schema().assertValid(xml)  # every metadata file a test reads is valid against the shipped XSD
    return xml


@pytest.fixture(scope="module")
def akn(archive_root: Path) -> etree._Element:
    with Archive.open(archive_root) as archive:
        a = read_archived(archive, ACT_ID)
        return etree.fromstring(akn_xml(a.act, a.record))


def _new_archive(path: Path) -> Path:
    Archive.create(path)[0].close()
    return path


# -- AgID metadata (Linee guida, Allegato 5) -------------------------------------------------------


def test_metadata_has_the_allegato_5_elements_in_order(metadata: etree._Element) -> None:
    assert metadata.tag == "DocumentoAmministrativoInformatico"
    assert [child.tag for child in metadata] == [
        "IdDoc", "ModalitaDiFormazione", "TipologiaDocumentale", "DatiDiRegistrazione", "Soggetti",
        "ChiaveDescrittiva", "Allegati", "Classificazione", "Riservato", "IdentificativoDelFormato", "Verifica",
        "Agg", "NomeDelDocumento", "VersioneDelDocumento", "TempoDiConservazione",
    ]
    assert metadata.findtext("ModalitaDiFormazione", "").startswith("creazione tramite utilizzo di strumenti software")
    pai = metadata.find("Soggetti/Ruolo/AmministrazioneCheEffettuaLaRegistrazione/PAI")
    assert pai is not None
    assert (pai.findtext("IPAAmm/CodiceIPA"), pai.findtext("IPAAOO/CodiceIPA")) == ("ucl_test", "AOO_UCL")
    assert pai.findtext("IPAAOO/Denominazione") == "Unioncamere Lombardia - AOO"
    assert [e.text for e in pai.iterfind("IndirizziDigitaliDiRiferimento")] == ["unioncamere@pec.example.it"]
    assert [metadata.findtext(f"Classificazione/{t}") for t in (
        "IndiceDiClassificazione", "Descrizione", "PianoDiClassificazione")] == [
        "1.6", "Contratti e convenzioni", "Titolario di prova 2026"]
    assert (metadata.findtext("Agg/TipoAgg/TipoAggregazione"), metadata.findtext("Agg/TipoAgg/IdAggregazione")) == (
        "Serie Documentale", "D.O. 2026")  # no fascicolo: the register of the year is the serie
    assert metadata.findtext("TempoDiConservazione") == "20"  # the massimario's longest matching index


def test_a_broken_metadata_file_is_refused_by_the_schema(metadata: etree._Element) -> None:
    broken = etree.fromstring(etree.tostring(metadata))
    broken.find("IdDoc/ImprontaCrittograficaDelDocumento/Impronta").text = "e3b0c442 not base64!"  # type: ignore[union-attr]
    assert not schema().validate(broken)
    broken = etree.fromstring(etree.tostring(metadata))
    broken.find("ModalitaDiFormazione").text = "a) creazione"  # type: ignore[union-attr]
    assert not schema().validate(broken)
    broken = etree.fromstring(etree.tostring(metadata))
    pai = broken.find("Soggetti/Ruolo/AmministrazioneCheEffettuaLaRegistrazione/PAI")
    pai.remove(pai.find("IPAAOO"))  # type: ignore[union-attr,arg-type]
    assert not schema().validate(broken)


def test_metadata_needs_the_body_settings(archive_root: Path) -> None:
    from atti.errors import ConfigError

    with Archive.open(archive_root) as archive:
        a = read_archived(archive, ACT_ID)
        assert "metadata.xml" not in package_files(a, archive, Settings(archive=archive_root))
        lacking = r"richiedono aoo_code, pec dell'ente: imposta aoo_code \(ATTI_AOO_CODE\)"
        with pytest.raises(ConfigError, match=lacking):
            package_files(a, archive, Settings(archive=archive_root, ipa_code="x"))
        with pytest.raises(ConfigError, match=r"la classificazione 9\.9 non è nel titolario dell'ente"):
            package_files(a, archive, body_settings(archive_root, classificazione={"determinazione": "9.9"}))
        with pytest.raises(ConfigError, match=r"massimario di scarto non prevede la classe 3\.1"):
            package_files(a, archive, body_settings(archive_root, classificazione={"determinazione": "3.1"}))


def test_metadata_fingerprint_is_the_archived_pdf(archive_root: Path, metadata: etree._Element) -> None:
    with Archive.open(archive_root) as archive:
        record = archive.get(ACT_ID)
        pdf = archive.blobs.get(record.pdf)
    assert metadata.findtext("IdDoc/ImprontaCrittograficaDelDocumento/Impronta") == base64.b64encode(
        hashlib.sha256(pdf).digest()).decode()
    assert metadata.findtext("IdDoc/ImprontaCrittograficaDelDocumento/Algoritmo") == "SHA-256"
    assert metadata.findtext("IdDoc/Identificativo") == ACT_ID


def test_metadata_registration_and_description(metadata: etree._Element) -> None:
    act = load_act(EXAMPLE).act
    reg = metadata.find("DatiDiRegistrazione")
    assert reg is not None
    assert reg.findtext("TipologiaDiFlusso") == "I"
    assert reg.findtext("TipoRegistro/Repertorio_Registro/TipoRegistro") == "Repertorio\\Registro"
    assert reg.findtext("TipoRegistro/Repertorio_Registro/DataRegistrazioneDocumento") == "2026-05-19"
    assert reg.findtext("TipoRegistro/Repertorio_Registro/NumeroRegistrazioneDocumento") == "129"
    assert reg.findtext("TipoRegistro/Repertorio_Registro/CodiceRegistro") == "D.O."
    assert metadata.findtext("TipologiaDocumentale") == "Determinazione"
    assert metadata.findtext("ChiaveDescrittiva/Oggetto") == act.oggetto
    assert metadata.findtext("Allegati/NumeroAllegati") == "0"
    assert metadata.findtext("Riservato") == "false"
    assert metadata.findtext("IdentificativoDelFormato/Formato") == "PDF/A-3b"
    verifica = {child.tag: child.text for child in metadata.find("Verifica")}  # type: ignore[union-attr]
    assert verifica == {
        "FirmatoDigitalmente": "false",  # the development CA's signature is not a firma digitale
        "SigillatoElettronicamente": "false",
        "MarcaturaTemporale": "false",  # published at B-B: no timestamp
        "ConformitaCopieImmagineSuSupportoInformatico": "false",
    }
    assert metadata.find("TracciatureModificheDocumento") is None  # never changed


def test_metadata_soggetti_and_ruoli(metadata: etree._Element) -> None:
    roles = []
    for ruolo in metadata.findall("Soggetti/Ruolo"):
        (role,) = list(ruolo)
        if role.find("PF") is not None:
            who = role.findtext("PF/Nome", "") + " " + role.findtext("PF/Cognome", "")
        elif role.find("SW") is not None:
            who = role.findtext("SW/DenominazioneSistema", "").split()[0]
        else:
            who = " / ".join(d.text or "" for d in role.iter("Denominazione"))
        roles.append((role.tag, role.findtext("TipoRuolo"), who.strip()))
    assert roles == [
        ("AmministrazioneCheEffettuaLaRegistrazione", "Amministrazione Che Effettua La Registrazione",
         "Unioncamere Lombardia / Unioncamere Lombardia - AOO"),
        ("Autore", "Autore", "Fabrizio Ventrice"),
        ("Operatore", "Operatore", "Nicolas Sangalli"),
        ("Operatore", "Operatore", "Roberto Valente"),
        ("Operatore", "Operatore", "Franco Pozzoli"),
        ("Operatore", "Operatore", "Mattia Cattaneo"),
        ("Produttore", "Produttore", "atti"),
    ]


def _metadata(a: object, archive_root: Path, **changes: object) -> etree._Element:
    from atti.export.package import ArchivedAct

    assert isinstance(a, ArchivedAct)
    body = body_of(body_settings(archive_root))
    assert body is not None
    record = replace(a.record, **changes)  # type: ignore[arg-type]
    xml = etree.fromstring(agid_metadata(a.act, record, a.pdf, a.versions, body=body,
                                         facts=Facts(signed=False, sealed=False, timestamped=False)))
    schema().assertValid(xml)
    return xml


def test_metadata_riservato_follows_the_record(archive_root: Path) -> None:
    with Archive.open(archive_root) as archive:
        a = read_archived(archive, ACT_ID)
    assert _metadata(a, archive_root, riservato=True).findtext("Riservato") == "true"
    assert _metadata(a, archive_root).findtext("Riservato") == "false"


def test_split_name() -> None:
    assert split_name("Fabrizio Ventrice") == ("Ventrice", "Fabrizio")
    assert split_name("Maria Grazia Rossi") == ("Rossi", "Maria Grazia")
    assert split_name("Cher") == ("Cher", "")


def test_metadata_is_deterministic(archive_root: Path) -> None:
    with Archive.open(archive_root) as archive:
        a = read_archived(archive, ACT_ID)
        settings = body_settings(archive_root)
        assert package_files(a, archive, settings) == package_files(a, archive, settings)
        assert akn_xml(a.act, a.record) == akn_xml(a.act, a.record)


# -- Akoma Ntoso -----------------------------------------------------------------------------------


def test_akn_has_the_parts_in_order(akn: etree._Element) -> None:
    assert akn.tag == A + "akomaNtoso"
    (act,) = list(akn)
    assert act.tag == A + "act" and act.get("name") == "determinazione"
    assert [etree.QName(c).localname for c in act] == ["meta", "preface", "preamble", "body", "conclusions"]
    ident = act.find(f"{A}meta/{A}identification")
    assert ident is not None
    assert [etree.QName(c).localname for c in ident] == ["FRBRWork", "FRBRExpression", "FRBRManifestation"]
    work = "/akn/it/act/determinazione/unioncamere.lombardia/2026-05-19/d.o-129"
    assert ident.find(f"{A}FRBRWork/{A}FRBRuri").get("value") == work  # type: ignore[union-attr]
    assert ident.find(f"{A}FRBRExpression/{A}FRBRlanguage").get("language") == "ita"  # type: ignore[union-attr]
    preamble = act.find(f"{A}preamble")
    assert [(etree.QName(c).localname, c.get("eId")) for c in preamble] == [  # type: ignore[union-attr]
        ("formula", "poteri"), ("recitals", "premesse"), ("citations", "visti"), ("formula", "formula"),
    ]
    ids = [e.get("eId") for e in akn.iter() if e.get("eId")]
    assert len(ids) == len(set(ids))


def test_akn_has_every_item_of_the_act(akn: etree._Element) -> None:
    act = load_act(EXAMPLE).act
    doc = akn[0]
    assert doc.findtext(f"{A}preface//{A}docTitle") == act.oggetto
    assert doc.findtext(f"{A}preface//{A}docNumber") == "129/2026"
    assert doc.find(f"{A}preface//{A}docDate").get("date") == "2026-05-19"  # type: ignore[union-attr]
    assert doc.findtext(f"{A}preface//{A}docType") == "Determinazione"
    assert [p.text for p in doc.findall(f"{A}preamble/{A}formula[@eId='poteri']/{A}p")][1:] == act.poteri
    assert [c.findtext(f"{A}p") for c in doc.iterfind(f".//{A}recital")] == act.premesse
    assert [c.findtext(f"{A}p") for c in doc.iterfind(f".//{A}citation")] == act.visti
    assert doc.findtext(f"{A}preamble/{A}formula[@name='enactingFormula']/{A}p") == "DETERMINA"
    paragraphs = doc.findall(f"{A}body/{A}paragraph")
    assert [p.findtext(f"{A}content/{A}p") for p in paragraphs] == act.dispositivo.punti
    assert [p.findtext(f"{A}num") for p in paragraphs] == ["1.", "2."]
    signature = doc.find(f"{A}conclusions//{A}signature")
    assert signature is not None
    assert signature.findtext(f"{A}role") == "Il Direttore Operativo"
    assert signature.findtext(f"{A}person") == "Fabrizio Ventrice"
    reviewers = [p.findtext(f"{A}person") for p in doc.findall(f"{A}conclusions/{A}p")][1:]
    assert reviewers == [v.nome for v in act.verifiche]


# -- BagIt packages --------------------------------------------------------------------------------


def _data(bag: Path) -> dict[str, bytes]:
    return {p.relative_to(bag / "data").as_posix(): p.read_bytes() for p in sorted((bag / "data").rglob("*"))
            if p.is_file()}


def test_export_writes_a_valid_bag(archive_root: Path, tmp_path: Path) -> None:
    with Archive.open(archive_root) as archive:
        bag_dir = export_package(archive, ACT_ID, tmp_path, settings=body_settings(archive_root))
        record = archive.get(ACT_ID)
        pdf = archive.blobs.get(record.pdf)
    assert bag_dir == tmp_path / ACT_ID
    bag = bagit.Bag(str(bag_dir))
    assert bag.validate()
    assert (bag_dir / "bagit.txt").read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    assert bag.version_info == (1, 0)
    schema().assertValid(etree.fromstring(_data(bag_dir)["metadata.xml"]))
    assert set(_data(bag_dir)) == {f"{ACT_ID}.pdf", f"{ACT_ID}.yaml", f"{ACT_ID}.docx", "metadata.xml", "akn.xml",
                                   "record.json"}
    assert _data(bag_dir)[f"{ACT_ID}.pdf"] == pdf
    assert (bag_dir / "manifest-sha256.txt").is_file() and (bag_dir / "tagmanifest-sha256.txt").is_file()
    assert bag.info["Source-Organization"] == "Unioncamere Lombardia"
    assert bag.info["External-Identifier"] == ACT_ID
    assert bag.info["Bagging-Date"] == record.created_at[:10]
    info = json.loads(_data(bag_dir)["record.json"])
    assert (info["registro"], info["anno"], info["numero"], info["firmatario"]) == (
        "D.O.", 2026, 129, "Fabrizio Ventrice")
    assert info["files"]["pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == [ACT_ID]  # no temporary folder left behind
    assert (bag_dir / "data").stat().st_mode & 0o077 == 0o055  # readable by whoever receives it
    with Archive.open(archive_root) as archive, pytest.raises(ArchiveError, match="esiste già"):
        export_package(archive, ACT_ID, tmp_path)


def test_round_trip_loses_nothing(archive_root: Path, tmp_path: Path) -> None:
    with Archive.open(archive_root) as a:
        first = export_package(a, ACT_ID, tmp_path / "from-a", settings=body_settings(archive_root))
    with Archive.open(_new_archive(tmp_path / "b")) as b:
        record = import_package(b, first)
        assert (record.id, record.numero, record.registro, record.anno) == (ACT_ID, 129, "D.O.", 2026)
        second = export_package(b, ACT_ID, tmp_path / "from-b", settings=body_settings(tmp_path / "b"))
        assert b.next_number("D.O.", 2026) == 130  # the register goes on after the imported number
        with pytest.raises(DuplicateNumber, match="ha già il numero 129/2026"):
            import_package(b, first)
    assert _data(first) == _data(second)  # byte for byte, every file


def _as_format_2(bag: Path) -> None:
    """Rewrite a bag's record.json as atti-package/2 wrote it (English keys), manifests included."""
    path = bag / "data" / "record.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    old = {"registro": "register", "anno": "year", "numero": "number", "firmatario": "signer", "stato": "state"}
    old_ref = {"tipo": "kind", "numero": "number", "anno": "year", "data": "date", "testo": "text"}
    record = {old.get(k, k): v for k, v in record.items()}
    record["format"] = "atti-package/2"
    record["versions"] = [{old.get(k, k): v for k, v in version.items()} for version in record["versions"]]
    record["references"] = [{old_ref.get(k, k): v for k, v in r.items()} for r in record["references"]]
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    bagit.Bag(str(bag)).save(manifests=True)


def test_a_format_2_package_imports_as_it_was(archive_root: Path, tmp_path: Path) -> None:
    """Packages written before record.json took the act format's words still import, whole."""
    with Archive.open(archive_root) as a:
        bag = export_package(a, ACT_ID, tmp_path / "out")
        before = _history(a, ACT_ID)
    assert '"registro": "D.O."' in (bag / "data" / "record.json").read_text(encoding="utf-8")
    _as_format_2(bag)
    assert '"register": "D.O."' in (bag / "data" / "record.json").read_text(encoding="utf-8")
    with Archive.open(_new_archive(tmp_path / "b")) as b:
        assert import_package(b, bag).id == ACT_ID
        assert _history(b, ACT_ID) == before


def test_a_tampered_bag_is_refused(archive_root: Path, tmp_path: Path) -> None:
    with Archive.open(archive_root) as a:
        bag = export_package(a, ACT_ID, tmp_path / "out")
    pdf = bag / "data" / f"{ACT_ID}.pdf"
    pdf.write_bytes(pdf.read_bytes().replace(b"Ventrice", b"Ventricf", 1))
    with Archive.open(_new_archive(tmp_path / "b")) as b:
        with pytest.raises(ArchiveError, match=f"non è un pacchetto valido: .*{ACT_ID}.pdf") as info:
            import_package(b, bag)
        assert "\n" not in info.value.msg
        assert b.catalog.all() == []


# -- command line ----------------------------------------------------------------------------------


def test_cli_export_and_import(atti: Atti, archive_root: Path, tmp_path: Path) -> None:
    result = atti("export", ACT_ID, "--archive", archive_root, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    bag = tmp_path / "out" / ACT_ID
    assert result.output == f"Esportato {ACT_ID} in {bag}\n"

    other = tmp_path / "other"
    assert atti("init", "--archive", other).exit_code == 0
    result = atti("import-package", bag, "--archive", other)
    assert result.exit_code == 0, result.output
    assert result.output == f"Importato {ACT_ID}: determinazione D.O. n. 129/2026\n"

    result = atti("import-package", bag, "--archive", other)
    assert result.exit_code == 6
    assert result.output.startswith("Errore: il registro D.O. ha già il numero 129/2026")

    (bag / "data" / "akn.xml").write_bytes(b"<changed/>")
    result = atti("import-package", bag, "--archive", other)
    assert result.exit_code == 6
    assert result.output.startswith(f"Errore: {bag} non è un pacchetto valido: ")
    assert result.output.count("\n") == 1


def test_cli_errors(atti: Atti, archive_root: Path, tmp_path: Path) -> None:
    result = atti("export", "DO-2026-999", "--archive", archive_root, "-o", tmp_path)
    assert (result.exit_code, result.output) == (6, "Errore: nessun atto con id DO-2026-999 nell'archivio\n")
    result = atti("import-package", tmp_path, "--archive", archive_root)
    assert result.exit_code == 6
    assert result.output.startswith(f"Errore: {tmp_path} non è un pacchetto valido: ")
    result = atti("export", ACT_ID, "--archive", tmp_path / "none", "-o", tmp_path)
    assert result.exit_code == 6 and "nessun archivio in" in result.output


@pytest.mark.libreoffice
def test_an_annulment_is_traced_in_the_metadata(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    pipeline.init_archive(root)
    archive = Archive.open(root)
    pipeline.publish(archive, EXAMPLE, Settings(archive=root, development=True))
    annulment = tmp_path / "annullamento.yaml"
    annulment.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", "numero: 130 ").replace(
            "oggetto: >-", "relazioni:\n  - tipo: annullamento\n    atto: DO-2026-129\noggetto: >-", 1
        ),
        encoding="utf-8",
    )
    pipeline.publish(archive, annulment, Settings(archive=root, development=True))
    with archive:
        a = read_archived(archive, ACT_ID)
        before = archive.versions(ACT_ID)[-2]
        xml = etree.fromstring(package_files(a, archive, body_settings(root))["metadata.xml"])
    schema().assertValid(xml)
    assert xml.findtext("VersioneDelDocumento") == "3"
    (modifica,) = xml.findall("TracciatureModificheDocumento")
    assert modifica.findtext("TipoModifica") == "Annullamento"
    assert (modifica.findtext("SoggettoAutoreDellaModifica/Nome"),
            modifica.findtext("SoggettoAutoreDellaModifica/Cognome")) == ("Fabrizio", "Ventrice")
    assert modifica.findtext("IdDocVersionePrecedente/Identificativo") == f"{ACT_ID}@{before.version}"
    previous = modifica.findtext("IdDocVersionePrecedente/ImprontaCrittograficaDelDocumento/Impronta")
    assert previous == base64.b64encode(bytes.fromhex(version_fingerprint(before))).decode()
    assert previous != xml.findtext("IdDoc/ImprontaCrittograficaDelDocumento/Impronta")


def _history(archive: Archive, act_id_: str) -> tuple[object, ...]:
    """Everything the archive holds about an act, but the event log (each archive has its own)."""
    return (
        archive.get(act_id_).to_dict(),
        [v.to_dict() for v in archive.versions(act_id_)],
        [r.to_dict() for r in archive.cites(act_id_)],
        [r.to_dict() for r in archive.cited_by(act_id_)],
    )


@pytest.mark.libreoffice
def test_full_round_trip_keeps_versions_state_references_and_relazioni(tmp_path: Path) -> None:
    """A draft saved, rendered, submitted and published, then annulled by a second act: both
    exported, imported elsewhere in the other order, and found there exactly as they were."""
    root = tmp_path / "a"
    pipeline.init_archive(root)
    settings = Settings(archive=root, development=True)
    a = Archive.open(root)
    draft = tmp_path / "draft.yaml"
    draft.write_text(EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", "", 1), encoding="utf-8")
    saved = pipeline.save_draft(a, draft, settings, render=True)
    pipeline.submit_draft(a, saved.record.id)
    published = pipeline.publish(a, draft, settings)
    assert published.record.id == "DO-2026-1"
    annulment = tmp_path / "annullamento.yaml"
    annulment.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", "numero: 2 ").replace(
            "oggetto: >-", "relazioni:\n  - tipo: annullamento\n    atto: DO-2026-1\noggetto: >-", 1
        ),
        encoding="utf-8",
    )
    pipeline.publish(a, annulment, settings)
    with a:
        before = {i: _history(a, i) for i in ("DO-2026-1", "DO-2026-2")}
        assert [v["stato"] for v in before["DO-2026-1"][1]] == [  # type: ignore[index]
            "bozza", "in verifica", "firmato", "pubblicato", "annullato"]
        bags = {i: export_package(a, i, tmp_path / "out", settings=body_settings(root)) for i in before}
    assert "versions/" in " ".join(_data(bags["DO-2026-1"]))  # the draft's preview travels too

    b_root = _new_archive(tmp_path / "b")
    with Archive.open(b_root) as b:
        assert import_package(b, bags["DO-2026-2"]).id == "DO-2026-2"  # the annulment first: 1 is not there yet
        assert import_package(b, bags["DO-2026-1"]).stato == "annullato"
        assert {i: _history(b, i) for i in before} == before
        assert b.next_number("D.O.", 2026) == 3
        with pytest.raises(DuplicateNumber, match="ha già il numero 1/2026"):
            import_package(b, bags["DO-2026-1"])
        assert verify_archive(b).ok
        for v in b.versions("DO-2026-1"):  # every version's files came along
            assert all(b.blobs.exists(ref) for ref in (v.source, v.docx, v.pdf) if ref.sha256)
        again = {i: export_package(b, i, tmp_path / "again", settings=body_settings(b_root)) for i in before}
        signed = b.path_of(b.get("DO-2026-1").pdf)
    for i in before:
        assert _data(bags[i]) == _data(again[i])  # byte for byte, every file
    with Archive.open(root) as a:
        report = pipeline.verify(signed, archive=a)  # signed by archive a's development CA
    assert report.indication == "TOTAL_PASSED"


def test_a_draft_is_not_exported(atti: Atti, tmp_path: Path) -> None:
    root = _new_archive(tmp_path / "a")
    draft = tmp_path / "draft.yaml"
    draft.write_text(EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", "", 1), encoding="utf-8")
    with Archive.open(root) as a:
        pipeline.save_draft(a, draft, Settings(archive=root))
    result = atti("export", "bozza-1", "--archive", root, "-o", tmp_path / "out")
    assert (result.exit_code, result.output) == (
        6, "Errore: bozza-1 è una bozza: si può esportare solo un atto sigillato\n"
    )
