"""The verification report: indications per signature and timestamp, formats, the firmatario
check, the HTML and JSON forms, and trust from ETSI TS 119 612 trusted lists."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils import generic, writer
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import DocumentSecurityStore
from signxml import methods
from signxml.signer import XMLSigner
from signxml.xades import XAdESSigner

from atti import i18n
from atti.errors import VerificationError
from atti.signing import ActSigner, DevCA, esiti
from atti.signing.html_report import render_html
from atti.signing.trust import CA_QC, GRANTED, TSA_QTST, load_trusted_list, read_trusted_list
from atti.signing.verify import verify_pdf

from .conftest import EXAMPLE, Atti
from .test_signing import make_pdf

NOW = dt.datetime.now(dt.UTC)
WITHDRAWN = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"
OCSP_QC = "http://uri.etsi.org/TrstSvc/Svctype/Certstatus/OCSP/QC"
TSL = "http://uri.etsi.org/02231/v2#"


# -- a small PKI of the test's own: a root, a signer, a TSA, and a CRL ---------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class MiniPKI:
    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    signer_p12: Path
    signer: x509.Certificate
    tsa: x509.Certificate
    tsa_key: rsa.RSAPrivateKey

    def timestamper(self) -> DummyTimeStamper:
        return DummyTimeStamper(
            translate_pyca_cryptography_cert_to_asn1(self.tsa),
            translate_pyca_cryptography_key_to_asn1(self.tsa_key),
            certs_to_embed=[translate_pyca_cryptography_cert_to_asn1(self.root)],
        )

    def crl(self) -> x509.CertificateRevocationList:
        return (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.subject)
            .last_update(NOW - dt.timedelta(hours=1))
            .next_update(NOW + dt.timedelta(days=7))
            .sign(self.root_key, hashes.SHA256())
        )


def _cert(
    subject: x509.Name, public_key: object, issuer: x509.Name, key: object, *, ca: bool = False,
    usage: x509.KeyUsage | None = None, eku: x509.ExtendedKeyUsage | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    if eku is not None:
        builder = builder.add_extension(eku, critical=True)
    return builder.sign(key, hashes.SHA256())  # type: ignore[arg-type]


def _usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing, content_commitment=signing, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=not signing, crl_sign=not signing, encipher_only=False,
        decipher_only=False,
    )


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> MiniPKI:
    directory = tmp_path_factory.mktemp("mini-pki")
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Radice di prova")
    root = _cert(root_name, root_key.public_key(), root_name, root_key, ca=True, usage=_usage(signing=False))
    key = ec.generate_private_key(ec.SECP256R1())
    signer = _cert(_name("Anna Bianchi"), key.public_key(), root_name, root_key, usage=_usage(signing=True))
    p12 = directory / "anna.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"anna", key, signer, [root], serialization.NoEncryption()))
    # pyHanko's test TSA signs with RSA only.
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = _cert(
        _name("TSA di prova"), tsa_key.public_key(), root_name, root_key,
        eku=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
    )
    return MiniPKI(root, root_key, p12, signer, tsa, tsa_key)


def sign_with_timestamp(mini: MiniPKI, pdf: bytes) -> bytes:
    """PAdES B-T: the signature carries a signature timestamp."""
    meta = signers.PdfSignatureMetadata(
        field_name="Firma", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    signer = signers.SimpleSigner.load_pkcs12(str(mini.signer_p12))
    assert signer is not None
    pdf_signer = signers.PdfSigner(meta, signer, timestamper=mini.timestamper())
    return bytes(pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf))).getvalue())


def add_document_timestamp(mini: MiniPKI, pdf: bytes) -> bytes:
    out = io.BytesIO()
    signers.PdfTimeStamper(mini.timestamper()).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), "sha256", output=out
    )
    return out.getvalue()


def add_revocation_data(mini: MiniPKI, pdf: bytes) -> bytes:
    """A DSS holding the root's CRL, which covers the signer's certificate (PAdES LT)."""
    out = io.BytesIO(pdf)
    crl = mini.crl().public_bytes(serialization.Encoding.DER)
    from asn1crypto import crl as asn1_crl

    DocumentSecurityStore.add_dss(
        out, None, certs=[translate_pyca_cryptography_cert_to_asn1(mini.root)],
        crls=[asn1_crl.CertificateList.load(crl)],
    )
    return out.getvalue()


# -- atti's development CA ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> DevCA:
    return DevCA.create(tmp_path_factory.mktemp("ca"), ente="Comune di Esempio")


@pytest.fixture(scope="module")
def signed_pdf(ca: DevCA) -> bytes:
    signer = ActSigner.from_pkcs12(ca.signer_for("Mario Rossi", "Dirigente Area Tecnica"), None)
    return signer.sign(make_pdf(), reason="Adozione", location="Esempio")


# -- indications -------------------------------------------------------------------------------


def test_tampered_bytes_are_a_hash_failure(ca: DevCA, signed_pdf: bytes) -> None:
    at = signed_pdf.index(b"(Determinazione")
    tampered = signed_pdf[:at] + b"(Deterninazione" + signed_pdf[at + 15 :]
    report = verify_pdf(tampered, [ca.root_cert])
    assert (report.indication, report.sub_indication) == ("TOTAL_FAILED", "HASH_FAILURE")
    assert report.signatures[0].sub_indication == "HASH_FAILURE"
    assert report.message == "i byte firmati sono stati alterati"


def test_a_page_added_after_signing_is_named(ca: DevCA, signed_pdf: bytes) -> None:
    w = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    content = w.add_object(generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 760 Td (Annullata) Tj ET"))
    w.insert_page(writer.PageObject(contents=content, media_box=[0, 0, 595, 842]))
    out = io.BytesIO()
    w.write(out)
    report = verify_pdf(out.getvalue(), [ca.root_cert])
    sig = report.signatures[0]
    assert report.indication == "TOTAL_FAILED"
    assert (sig.indication, sig.sub_indication) == ("TOTAL_FAILED", "FORMAT_FAILURE")
    assert sig.intact and sig.modified_after
    assert sig.coverage == "ENTIRE_REVISION" and sig.covers == "entire revision"
    assert sig.modification_level == "OTHER"
    assert sig.modification is not None
    assert "aveva 1 pagine, il file ora ne ha 2" in sig.modification
    assert "livello di modifica OTHER" in sig.modification
    assert sig.modification in report.message
    assert "cambiamenti dopo la firma: sono stati cambiati il contenuto o la struttura" in report.to_text("x.pdf")


def test_an_unknown_root_is_no_certificate_chain_found(signed_pdf: bytes, mini: MiniPKI) -> None:
    report = verify_pdf(signed_pdf, [mini.root])
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    sig = report.signatures[0]
    assert (sig.indication, sig.sub_indication) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    assert sig.intact and sig.valid and not sig.trusted


def test_a_valid_b_b_signature(ca: DevCA, signed_pdf: bytes) -> None:
    report = verify_pdf(signed_pdf, [ca.root_cert])
    sig = report.signatures[0]
    assert (report.indication, report.sub_indication, report.message) == (
        "TOTAL_PASSED", None, "la firma è valida"
    )
    assert sig.format == "PAdES-BASELINE-B"
    assert sig.signing_time is not None  # claimed by the signer ...
    assert sig.best_signature_time is None and sig.timestamp is None  # ... and proven by nothing
    assert (sig.covers, sig.modification, sig.modified_after) == ("entire file", None, False)
    assert report.timestamps == [] and report.firmatario is None
    assert report.validation_time is not None


# -- formats and timestamps --------------------------------------------------------------------


def test_levels_t_lt_lta_and_document_timestamps(mini: MiniPKI) -> None:
    b_t = sign_with_timestamp(mini, make_pdf())
    report = verify_pdf(b_t, [mini.root])
    sig = report.signatures[0]
    assert report.indication == "TOTAL_PASSED", report.message
    assert sig.format == "PAdES-BASELINE-T"
    assert sig.timestamp is not None
    assert (sig.timestamp.tsa, sig.timestamp.indication) == ("TSA di prova", "TOTAL_PASSED")
    assert sig.best_signature_time == sig.timestamp.time
    assert abs(sig.timestamp.time - NOW) < dt.timedelta(hours=1)

    b_lt = add_revocation_data(mini, b_t)
    assert verify_pdf(b_lt, [mini.root]).signatures[0].format == "PAdES-BASELINE-LT"

    b_lta = add_document_timestamp(mini, b_lt)
    report = verify_pdf(b_lta, [mini.root])
    assert report.indication == "TOTAL_PASSED", report.message
    sig = report.signatures[0]
    assert sig.format == "PAdES-BASELINE-LTA"
    assert sig.modification_level == "LTA_UPDATES"
    assert sig.modification is not None and "ammessa" in sig.modification
    (ts,) = report.timestamps
    assert (ts.indication, ts.tsa, ts.covers, ts.modification) == ("TOTAL_PASSED", "TSA di prova", "entire file", None)
    assert ts.time is not None and ts.time >= sig.timestamp.time  # type: ignore[union-attr]
    data = report.to_dict()["timestamps"][0]
    assert {"field_name", "indication", "sub_indication", "tsa", "time", "covers", "modification_level"} <= set(data)


def test_a_document_timestamp_makes_a_b_b_signature_t(mini: MiniPKI) -> None:
    signer = ActSigner.from_pkcs12(mini.signer_p12, None)
    stamped = add_document_timestamp(mini, signer.sign(make_pdf()))
    report = verify_pdf(stamped, [mini.root])
    sig = report.signatures[0]
    assert sig.format == "PAdES-BASELINE-T"
    assert sig.timestamp is None
    # The document timestamp proves the signature existed at its time.
    assert sig.best_signature_time == report.timestamps[0].time is not None


def test_tsa_roots_are_trusted_for_timestamps_only(mini: MiniPKI, ca: DevCA, signed_pdf: bytes) -> None:
    stamped = add_document_timestamp(mini, signed_pdf)
    untrusted_tsa = verify_pdf(stamped, [ca.root_cert])
    assert untrusted_tsa.indication == "INDETERMINATE"
    assert untrusted_tsa.timestamps[0].sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    assert untrusted_tsa.signatures[0].best_signature_time is None  # an untrusted stamp proves nothing
    assert verify_pdf(stamped, [ca.root_cert], tsa_roots=[mini.root]).indication == "TOTAL_PASSED"
    # The TSA's root does not vouch for signers.
    mini_signed = ActSigner.from_pkcs12(mini.signer_p12, None).sign(make_pdf())
    assert verify_pdf(mini_signed, [ca.root_cert], tsa_roots=[mini.root]).indication == "INDETERMINATE"


# -- the firmatario ----------------------------------------------------------------------------


def test_a_wrong_firmatario_is_flagged(ca: DevCA, signed_pdf: bytes) -> None:
    report = verify_pdf(signed_pdf, [ca.root_cert], expected_signer="Fabrizio Ventrice")
    assert report.firmatario is not None and not report.firmatario.matches
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "SIG_CONSTRAINTS_FAILURE")
    assert report.message == "il certificato di firma indica Mario Rossi, il firmatario dell'atto è Fabrizio Ventrice"
    assert report.signatures[0].indication == "TOTAL_PASSED"  # the signature itself is fine
    assert report.to_dict()["firmatario"]["matches"] is False


@pytest.mark.parametrize("name", ["Mario Rossi", "MARIO ROSSI", "  mario   rossi ", "Rossi Mario", "Mario Rossì"])
def test_the_right_firmatario_matches_whatever_the_case_accents_or_order(
    ca: DevCA, signed_pdf: bytes, name: str
) -> None:
    report = verify_pdf(signed_pdf, [ca.root_cert], expected_signer=name)
    assert report.firmatario is not None and report.firmatario.matches
    assert report.indication == "TOTAL_PASSED"


def test_a_failed_document_stays_failed_with_a_wrong_firmatario(ca: DevCA, signed_pdf: bytes) -> None:
    at = signed_pdf.index(b"(Determinazione")
    tampered = signed_pdf[:at] + b"(Deterninazione" + signed_pdf[at + 15 :]
    report = verify_pdf(tampered, [ca.root_cert], expected_signer="Luca Neri")
    assert (report.indication, report.sub_indication) == ("TOTAL_FAILED", "HASH_FAILURE")
    assert report.firmatario is not None and not report.firmatario.matches


# -- report forms ------------------------------------------------------------------------------


def test_json_keys(ca: DevCA, signed_pdf: bytes) -> None:
    data = json.loads(json.dumps(verify_pdf(signed_pdf, [ca.root_cert], expected_signer="Mario Rossi").to_dict()))
    assert {"indication", "sub_indication", "message", "signer", "signatures", "timestamps", "firmatario",
            "validation_time", "sha256", "trust", "notes"} <= set(data)
    assert data["signer"] == "Mario Rossi"
    sig = data["signatures"][0]
    assert {"field_name", "indication", "sub_indication", "message", "signer", "signer_subject", "issuer",
            "signing_time", "best_signature_time", "timestamp", "intact", "valid", "trusted", "coverage",
            "covers", "modified_after", "modification_level", "modification", "format"} <= set(sig)
    assert data["firmatario"] == {
        "expected": "Mario Rossi", "matches": True, "signers": ["Mario Rossi"], "source": None,
        "message": "il certificato di firma indica il firmatario dell'atto, Mario Rossi",
    }


def test_the_text_report_is_italian_and_english_on_request(ca: DevCA, signed_pdf: bytes) -> None:
    """The labels and reasons of ``atti verify`` follow the language; ETSI codes stay as they are."""
    italian = verify_pdf(signed_pdf, [ca.root_cert], expected_signer="Fabrizio Ventrice").to_text("x.pdf")
    assert italian.splitlines()[:2] == [
        "INDETERMINATE  x.pdf",
        "  motivo: il certificato di firma indica Mario Rossi, il firmatario dell'atto è Fabrizio Ventrice"
        " (SIG_CONSTRAINTS_FAILURE)",
    ]
    assert "    formato: PAdES-BASELINE-B; copre l'intero file; byte firmati: integri" in italian
    assert "  firmatario: NON CORRISPONDE: " in italian
    with i18n.kept_language():
        i18n.set_language("en")
        english = verify_pdf(signed_pdf, [ca.root_cert], expected_signer="Fabrizio Ventrice").to_text("x.pdf")
    assert "  why: the signer certificate names Mario Rossi, the act's firmatario is Fabrizio Ventrice" in english
    assert "    format: PAdES-BASELINE-B; covers the entire file; signed bytes: intact" in english


def test_the_html_report_keeps_an_italian_report_and_translates_an_english_one(ca: DevCA, signed_pdf: bytes) -> None:
    """esiti translated the English sentences of the report; a report made in Italian is kept as it is, not
    shown as untranslated English, and one made in English (or cached before) is still translated."""
    italian = verify_pdf(signed_pdf, [ca.root_cert], expected_signer="Fabrizio Ventrice")
    assert esiti.motivo(italian.message) == (italian.message, None)
    with i18n.kept_language():
        i18n.set_language("en")
        english = verify_pdf(signed_pdf, [ca.root_cert], expected_signer="Fabrizio Ventrice")
    assert esiti.motivo(english.message) == (italian.message, None)
    for report in (italian, english):
        page = render_html(report, file="x.pdf")
        assert esiti.NON_TRADOTTO not in page and 'lang="en"' not in page
    assert esiti.motivo("something no catalog holds") == (esiti.NON_TRADOTTO, "something no catalog holds")


def test_html_report_is_self_contained_and_escaped(ca: DevCA) -> None:
    hostile = "<script>alert(1)</script>"
    signer = ActSigner.from_pkcs12(ca.signer_for(hostile, "Dirigente"), None)
    report = verify_pdf(signer.sign(make_pdf()), [ca.root_cert], expected_signer="Mario Rossi")
    page = render_html(report, file="atto <1>.pdf")
    assert "INDETERMINATE" in page and "SIG_CONSTRAINTS_FAILURE" in page
    assert "Esito complessivo" in page and "Firmatario dell'atto" in page
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "atto &lt;1&gt;.pdf" in page
    # Nothing loaded from elsewhere.
    assert "http://" not in page and "https://" not in page and "src=" not in page
    assert report.sha256 in page


# -- trusted lists (ETSI TS 119 612) -----------------------------------------------------------


def _b64(cert: x509.Certificate) -> str:
    import base64

    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def make_tsl(services: Sequence[tuple[str, str, x509.Certificate]], *, with_providers: bool = True) -> bytes:
    """A trusted list with one provider offering ``services`` as (type, status, certificate)."""
    t = f"{{{TSL}}}"
    root = etree.Element(t + "TrustServiceStatusList", nsmap={None: TSL}, Id="tsl")
    info = etree.SubElement(root, t + "SchemeInformation")
    etree.SubElement(info, t + "TSLVersionIdentifier").text = "5"
    etree.SubElement(info, t + "TSLSequenceNumber").text = "42"
    operator = etree.SubElement(etree.SubElement(info, t + "SchemeOperatorName"), t + "Name")
    operator.text = "Agenzia di prova"
    etree.SubElement(info, t + "SchemeTerritory").text = "IT"
    iso = "%Y-%m-%dT%H:%M:%SZ"
    etree.SubElement(info, t + "ListIssueDateTime").text = (NOW - dt.timedelta(minutes=5)).strftime(iso)
    etree.SubElement(etree.SubElement(info, t + "NextUpdate"), t + "dateTime").text = (
        (NOW + dt.timedelta(days=180)).strftime(iso)
    )
    if with_providers:
        tsp = etree.SubElement(etree.SubElement(root, t + "TrustServiceProviderList"), t + "TrustServiceProvider")
        tsp_name = etree.SubElement(etree.SubElement(tsp, t + "TSPInformation"), t + "TSPName")
        etree.SubElement(tsp_name, t + "Name").text = "QTSP di prova"
        services_el = etree.SubElement(tsp, t + "TSPServices")
        for i, (kind, status, cert) in enumerate(services):
            si = etree.SubElement(etree.SubElement(services_el, t + "TSPService"), t + "ServiceInformation")
            etree.SubElement(si, t + "ServiceTypeIdentifier").text = kind
            etree.SubElement(etree.SubElement(si, t + "ServiceName"), t + "Name").text = f"Servizio {i}"
            digital_id = etree.SubElement(etree.SubElement(si, t + "ServiceDigitalIdentity"), t + "DigitalId")
            etree.SubElement(digital_id, t + "X509Certificate").text = _b64(cert)
            etree.SubElement(si, t + "ServiceStatus").text = status
            etree.SubElement(si, t + "StatusStartingTime").text = "2020-01-01T00:00:00Z"
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def sign_tsl(data: bytes, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> bytes:
    signed = XMLSigner(method=methods.enveloped, signature_algorithm="rsa-sha256", digest_algorithm="sha256").sign(
        etree.fromstring(data), key=key, cert=[cert]
    )
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


@pytest.fixture(scope="module")
def others(tmp_path_factory: pytest.TempPathFactory) -> tuple[DevCA, DevCA]:
    base = tmp_path_factory.mktemp("other-cas")
    return DevCA.create(base / "revocata", ente="CA ritirata"), DevCA.create(base / "ocsp", ente="Non una CA")


@pytest.fixture(scope="module")
def tsl_bytes(ca: DevCA, others: tuple[DevCA, DevCA]) -> bytes:
    withdrawn, not_a_ca = others
    return make_tsl(
        [
            (CA_QC, GRANTED, ca.root_cert),
            (CA_QC, WITHDRAWN, withdrawn.root_cert),
            (OCSP_QC, GRANTED, not_a_ca.root_cert),
        ]
    )


@pytest.fixture(scope="module")
def operator() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name("Operatore della lista di prova")
    return key, _cert(name, key.public_key(), name, key, usage=_usage(signing=True))


def test_only_granted_ca_qc_services_are_trusted(
    tmp_path: Path, ca: DevCA, others: tuple[DevCA, DevCA], tsl_bytes: bytes
) -> None:
    path = tmp_path / "IT.xml"
    path.write_bytes(tsl_bytes)
    roots = load_trusted_list(path)
    assert roots == [ca.root_cert]
    listed = read_trusted_list(path)
    assert (listed.territory, listed.sequence_number, listed.operator) == ("IT", 42, "Agenzia di prova")
    assert listed.signature == "unsigned" and "NON è firmato" in listed.describe()

    pdf = make_pdf()
    for issuer, expected in [(ca, "TOTAL_PASSED"), (others[0], "INDETERMINATE"), (others[1], "INDETERMINATE")]:
        signer = ActSigner.from_pkcs12(issuer.signer_for("Mario Rossi", "Dirigente"), None)
        report = verify_pdf(signer.sign(pdf), roots)
        assert report.indication == expected, issuer.ente
        if expected == "INDETERMINATE":
            assert report.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"


def test_tsa_services_of_a_trusted_list(tmp_path: Path, ca: DevCA, mini: MiniPKI) -> None:
    path = tmp_path / "IT.xml"
    path.write_bytes(make_tsl([(CA_QC, GRANTED, ca.root_cert), (TSA_QTST, GRANTED, mini.tsa)]))
    listed = read_trusted_list(path)
    assert listed.ca_certificates == [ca.root_cert]
    assert listed.tsa_certificates == [mini.tsa]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "non è un elenco di fiducia ETSI TS 119 612"),
        (b"not xml at all", "non è un elenco di fiducia ETSI TS 119 612"),
        (b"<html><body/></html>", "il suo elemento radice è html"),
        (
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "non è un elenco di fiducia ETSI TS 119 612",
        ),
    ],
)
def test_a_file_that_is_not_a_trusted_list(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "lista.xml"
    path.write_bytes(content)
    with pytest.raises(VerificationError, match=message) as e:
        load_trusted_list(path)
    assert "\n" not in e.value.msg


def test_a_list_of_lists_or_a_list_without_granted_ca(tmp_path: Path, ca: DevCA) -> None:
    lotl = tmp_path / "EU-LOTL.xml"
    lotl.write_bytes(make_tsl([], with_providers=False))
    with pytest.raises(VerificationError, match="che atti non scarica"):
        load_trusted_list(lotl)
    withdrawn = tmp_path / "IT.xml"
    withdrawn.write_bytes(make_tsl([(CA_QC, WITHDRAWN, ca.root_cert)]))
    with pytest.raises(VerificationError, match="non elenca alcun servizio CA/QC in stato granted"):
        load_trusted_list(withdrawn)
    with pytest.raises(VerificationError, match="impossibile leggere"):
        load_trusted_list(tmp_path / "assente.xml")


def test_the_xml_signature_of_a_trusted_list(
    tmp_path: Path, ca: DevCA, tsl_bytes: bytes, operator: tuple[rsa.RSAPrivateKey, x509.Certificate]
) -> None:
    key, cert = operator
    signed = sign_tsl(tsl_bytes, key, cert)
    path = tmp_path / "IT.xml"
    path.write_bytes(signed)

    verified = read_trusted_list(path, signers=[cert])
    assert verified.signature == "verified" and verified.ca_certificates == [ca.root_cert]
    assert "verificata con il certificato indicato di Operatore della lista di prova" in verified.describe()
    # Without the operator's certificate only the file's integrity is proven, and the line says so.
    intact = read_trusted_list(path)
    assert intact.signature == "intact" and "provenienza non è provata" in intact.describe()

    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger = _cert(_name("Altro"), stranger_key.public_key(), _name("Altro"), stranger_key)
    with pytest.raises(VerificationError, match="non è verificata con i certificati indicati"):
        read_trusted_list(path, signers=[stranger])

    # A withdrawn service turned into a granted one after signing breaks the signature.
    forged = tmp_path / "forged.xml"
    forged.write_bytes(signed.replace(b"Svcstatus/withdrawn", b"Svcstatus/granted"))
    with pytest.raises(VerificationError, match="non è verificata"):
        read_trusted_list(forged)
    with pytest.raises(VerificationError, match="non è verificata"):
        read_trusted_list(forged, signers=[cert])

    unsigned = tmp_path / "unsigned.xml"
    unsigned.write_bytes(tsl_bytes)
    with pytest.raises(VerificationError, match="non è firmato, ed era richiesto un firmatario"):
        read_trusted_list(unsigned, signers=[cert])


def test_a_xades_signed_trusted_list(
    tmp_path: Path, ca: DevCA, tsl_bytes: bytes, operator: tuple[rsa.RSAPrivateKey, x509.Certificate]
) -> None:
    """As the EU lists are signed: XAdES, with references to the list, its signed properties and
    the signing certificate."""
    key, cert = operator
    signed = XAdESSigner(signature_algorithm="rsa-sha256", digest_algorithm="sha256").sign(
        etree.fromstring(tsl_bytes), key=key, cert=[cert]
    )
    path = tmp_path / "IT.xml"
    path.write_bytes(etree.tostring(signed))
    listed = read_trusted_list(path, signers=[cert])
    assert listed.signature == "verified" and listed.ca_certificates == [ca.root_cert]


# -- the command line --------------------------------------------------------------------------


def with_act_source(pdf: bytes, yaml_text: str, name: str = "determinazione.yaml") -> bytes:
    """``pdf`` carrying ``yaml_text`` as the rendering stage attaches it (AFRelationship Source)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        stream = doc.make_stream(yaml_text.encode("utf-8"), Type=pikepdf.Name.EmbeddedFile)
        spec = doc.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Filespec, F=name, UF=name, AFRelationship=pikepdf.Name.Source,
                EF=pikepdf.Dictionary(F=stream, UF=stream),
            )
        )
        doc.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=pikepdf.Array([name, spec])))
        doc.Root.AF = pikepdf.Array([spec])
        out = io.BytesIO()
        doc.save(out)
    return out.getvalue()


def test_cli_trusted_list_act_and_html(
    atti: Atti, tmp_path: Path, ca: DevCA, signed_pdf: bytes, tsl_bytes: bytes
) -> None:
    pdf, tsl = tmp_path / "atto.pdf", tmp_path / "IT.xml"
    pdf.write_bytes(signed_pdf)
    tsl.write_bytes(tsl_bytes)
    no_archive = tmp_path / "nessun-archivio"

    ok = atti("verify", pdf, "--archive", no_archive, "--tsl", tsl, "--json")
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["indication"] == "TOTAL_PASSED"
    assert any("elenco di fiducia IT n. 42" in t and "NON è firmato" in t for t in data["trust"])
    assert data["firmatario"] is None
    assert any("il firmatario non è stato controllato" in n for n in data["notes"])

    # Without the trusted list (and without an archive) nothing vouches for the signer.
    other = tmp_path / "other-root.pem"
    other.write_bytes(DevCA.create(tmp_path / "other").root_cert.public_bytes(serialization.Encoding.PEM))
    untrusted = atti("verify", pdf, "--archive", no_archive, "--trust", other)
    assert untrusted.exit_code == 1
    assert untrusted.stdout.startswith(f"INDETERMINATE  {pdf}\n")
    assert "NO_CERTIFICATE_CHAIN_FOUND" in untrusted.stdout

    act = tmp_path / "atto.yaml"
    act.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    html = tmp_path / "rapporto.html"
    wrong = atti("verify", pdf, "--archive", no_archive, "--tsl", tsl, "--act", act, "--html", html)
    assert wrong.exit_code == 1
    assert wrong.stdout.startswith(f"INDETERMINATE  {pdf}\n")
    assert "il certificato di firma indica Mario Rossi, il firmatario dell'atto è Fabrizio Ventrice" in wrong.stdout
    page = html.read_text(encoding="utf-8")
    assert "INDETERMINATE" in page and "Fabrizio Ventrice" in page and "Mario Rossi" in page

    missing = atti("verify", pdf, "--archive", no_archive, "--tsl", tsl, "--act", tmp_path / "assente.yaml")
    assert missing.exit_code == 1 and missing.stderr.endswith("assente.yaml:1:1: il file non esiste\n")

    not_a_list = tmp_path / "lista.xml"
    not_a_list.write_text("<html/>")
    bad = atti("verify", pdf, "--archive", no_archive, "--tsl", not_a_list)
    assert bad.exit_code == 5 and bad.stderr.startswith("Errore: non è un elenco di fiducia ETSI TS 119 612")
    assert "Traceback" not in bad.output


def test_cli_takes_the_firmatario_from_the_attached_act_source(atti: Atti, tmp_path: Path, ca: DevCA) -> None:
    source = EXAMPLE.read_text(encoding="utf-8")
    unsigned = with_act_source(make_pdf(), source)
    root = tmp_path / "root.pem"
    root.write_bytes(ca.root_cert.public_bytes(serialization.Encoding.PEM))
    no_archive = tmp_path / "nessun-archivio"

    for nome, code in [("Fabrizio Ventrice", 0), ("Mario Rossi", 1)]:
        signer = ActSigner.from_pkcs12(ca.signer_for(nome, "Direttore Operativo"), None)
        pdf = tmp_path / f"{nome}.pdf"
        pdf.write_bytes(signer.sign(unsigned))
        result = atti("verify", pdf, "--archive", no_archive, "--trust", root, "--json")
        assert result.exit_code == code, result.output
        firmatario = json.loads(result.stdout)["firmatario"]
        assert firmatario["expected"] == "Fabrizio Ventrice"
        assert firmatario["matches"] is (code == 0)
        assert firmatario["source"] == "il sorgente dell'atto determinazione.yaml allegato al PDF"


def test_the_attached_source_is_read_as_signed(tmp_path: Path, ca: DevCA) -> None:
    """An act source swapped in after signing is not the one the firmatario is taken from."""
    source = EXAMPLE.read_text(encoding="utf-8")
    signer = ActSigner.from_pkcs12(ca.signer_for("Mario Rossi", "Dirigente"), None)
    signed = signer.sign(with_act_source(make_pdf(), source))
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    reader = PdfFileReader(io.BytesIO(signed))
    spec_ref = reader.root["/AF"].raw_get(0)
    spec = spec_ref.get_object()
    swapped = source.replace("nome: Fabrizio Ventrice", "nome: Mario Rossi")
    stream = w.add_object(generic.StreamObject(stream_data=swapped.encode("utf-8")))
    spec["/EF"] = generic.DictionaryObject({generic.pdf_name("/F"): stream, generic.pdf_name("/UF"): stream})
    w.update_container(spec)
    w.mark_update(spec_ref)
    out = io.BytesIO()
    w.write(out)
    report = verify_pdf(out.getvalue(), [ca.root_cert])
    assert report.indication != "TOTAL_PASSED"  # the change itself is caught ...
    from atti.signing.verify import signed_act_source

    attached = signed_act_source(out.getvalue())
    assert attached is not None and "nome: Fabrizio Ventrice" in attached[1]  # ... and ignored here
