"""Qualified status: QC statements (EN 319 412-5) and a trusted list (TS 119 612) say whether a
signature is qualificata, avanzata or non qualificata, at the time it was made."""

from __future__ import annotations

import base64
import datetime as dt
import io
from pathlib import Path

import pytest
from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree

from atti.signing import ActSigner, DevCA
from atti.signing.esiti import badge
from atti.signing.html_report import render_html
from atti.signing.qualified import certificate_claims
from atti.signing.trust import CA_QC, read_trusted_list
from atti.signing.verify import verify_pdf

from .conftest import ForeignPKI
from .test_signing import make_pdf

NOW = dt.datetime.now(dt.UTC)
TSL = "http://uri.etsi.org/02231/v2#"
ECC = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
WITHDRAWN = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"
SIE = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/"
DATA = Path(__file__).parent / "data" / "tl"

COMPLIANCE, SSCD, QCTYPE, ESIGN = "0.4.0.1862.1.1", "0.4.0.1862.1.4", "0.4.0.1862.1.6", "0.4.0.1862.1.6.1"
QCP_N_QSCD = "0.4.0.194112.1.2"


# -- certificates of the certomancer root, with and without QC statements -----------------------


def _seq(*parts: bytes) -> bytes:
    body = b"".join(parts)
    assert len(body) < 128  # short-form length is enough here
    return bytes([0x30, len(body)]) + body


def _qc_statements(*statements: str) -> x509.UnrecognizedExtension:
    """The qcStatements extension (RFC 3739), DER written by hand so as not to reuse atti's parser."""
    items = []
    for oid in statements:
        info = _seq(core.ObjectIdentifier(ESIGN).dump()) if oid == QCTYPE else b""
        items.append(_seq(core.ObjectIdentifier(oid).dump(), info))
    return x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3"), _seq(*items))


def _root(pki: ForeignPKI) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    root = x509.load_pem_x509_certificate(pki.root_pem.read_bytes())
    key = serialization.load_pem_private_key((pki.directory / "keys" / "root.key.pem").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return root, key


def _signer(pki: ForeignPKI, tmp: Path, name: str, *statements: str, policies: tuple[str, ...] = ()) -> Path:
    """A PKCS#12 for ``name``, issued by the certomancer root, with these QC statements and policies."""
    root, root_key = _root(pki)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)]))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
    )
    if statements:
        builder = builder.add_extension(_qc_statements(*statements), critical=False)
    if policies:
        builder = builder.add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(p), None) for p in policies]),
            critical=False,
        )
    cert = builder.sign(root_key, hashes.SHA256())
    path = tmp / f"{name.replace(' ', '-')}.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"k", key, cert, [root], serialization.NoEncryption()))
    return path


def _sign(p12: Path) -> bytes:
    return ActSigner.from_pkcs12(p12, None).sign(make_pdf())


# -- a trusted list naming the certomancer root as a CA/QC service -------------------------------


def _e(parent: etree._Element, tag: str, text: str | None = None, ns: str = TSL, **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
    element.text = text
    return element


def _phase(parent: etree._Element, status: str, since: dt.datetime, qualifiers: list[str], policy: str | None) -> None:
    _e(parent, "ServiceStatus", status)
    _e(parent, "StatusStartingTime", since.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if not qualifiers:
        return
    ext = _e(_e(parent, "ServiceInformationExtensions"), "Extension", Critical="true")
    element = _e(_e(ext, "Qualifications", ns=ECC), "QualificationElement", ns=ECC)
    holder = _e(element, "Qualifiers", ns=ECC)
    for q in qualifiers:
        _e(holder, "Qualifier", ns=ECC, uri=SIE + q)
    criteria = _e(element, "CriteriaList", ns=ECC)
    criteria.set("assert", "atLeastOne")
    if policy is not None:
        ident = _e(_e(_e(criteria, "PolicySet", ns=ECC), "PolicyIdentifier", ns=ECC), "Identifier", ns=XADES)
        ident.text, ident.attrib["Qualifier"] = f"urn:oid:{policy}", "OIDAsURN"
    else:
        usage = _e(criteria, "KeyUsage", ns=ECC)
        _e(usage, "KeyUsageBit", "true", ns=ECC, name="nonRepudiation")


def write_tl(path: Path, ca: x509.Certificate, phases: list[tuple[str, dt.datetime]], *,
             qualifiers: list[str] = (), policy: str | None = None) -> Path:  # type: ignore[assignment]
    """An unsigned Italian-style TL: one provider, one CA/QC service with ``phases`` (newest first)."""
    root = etree.Element(f"{{{TSL}}}TrustServiceStatusList", nsmap={None: TSL, "ecc": ECC, "xades": XADES})
    info = _e(root, "SchemeInformation")
    _e(info, "TSLSequenceNumber", "1")
    _e(info, "SchemeTerritory", "IT")
    _e(info, "ListIssueDateTime", NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
    tsp = _e(_e(root, "TrustServiceProviderList"), "TrustServiceProvider")
    _e(_e(_e(tsp, "TSPInformation"), "TSPName"), "Name", "Certomancer QTSP di prova")
    service = _e(_e(tsp, "TSPServices"), "TSPService")
    si = _e(service, "ServiceInformation")
    _e(si, "ServiceTypeIdentifier", CA_QC)
    _e(_e(si, "ServiceName"), "Name", "Certomancer CA/QC")
    der = ca.public_bytes(serialization.Encoding.DER)
    _e(_e(_e(si, "ServiceDigitalIdentity"), "DigitalId"), "X509Certificate", base64.b64encode(der).decode())
    (status, since), *history = phases
    _phase(si, status, since, list(qualifiers), policy)
    if history:
        holder = _e(service, "ServiceHistory")
        for status, since in history:
            instance = _e(holder, "ServiceHistoryInstance")
            _e(instance, "ServiceTypeIdentifier", CA_QC)
            _phase(instance, status, since, list(qualifiers), policy)
    # Another provider's service, granted: a list with no granted CA/QC service at all is refused.
    other = _e(_e(tsp.getparent(), "TrustServiceProvider"), "TSPServices")
    si = _e(_e(other, "TSPService"), "ServiceInformation")
    _e(si, "ServiceTypeIdentifier", CA_QC)
    _e(_e(si, "ServiceName"), "Name", "Un'altra CA/QC")
    der = _other_ca().public_bytes(serialization.Encoding.DER)
    _e(_e(_e(si, "ServiceDigitalIdentity"), "DigitalId"), "X509Certificate", base64.b64encode(der).decode())
    _phase(si, GRANTED, SINCE_2020, [], None)
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return path


def _other_ca() -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Altra CA di prova")])
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(SINCE_2020).not_valid_after(NOW + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


def _day(pdf: bytes) -> str:
    from pyhanko.pdf_utils.reader import PdfFileReader

    when = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].self_reported_timestamp
    assert when is not None
    return f"{when.astimezone(dt.UTC):%d/%m/%Y %H:%M} UTC"


SINCE_2020 = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qualified")


@pytest.fixture(scope="module")
def granted_tl(foreign_pki: ForeignPKI, tmp: Path) -> Path:
    return write_tl(tmp / "granted.xml", _root(foreign_pki)[0], [(GRANTED, SINCE_2020)])


def _qualification(pdf: bytes, pki: ForeignPKI, tls: list[Path]) -> tuple[str, str]:
    report = verify_pdf(pdf, [_root(pki)[0]], trusted_lists=[read_trusted_list(t) for t in tls])
    assert report.indication == "TOTAL_PASSED", report.message  # every signed PDF is validated
    q = report.signatures[0].qualification
    assert q is not None
    return q.level, q.reason


def test_qc_statements_are_read(foreign_pki: ForeignPKI, tmp: Path) -> None:
    p12 = _signer(foreign_pki, tmp, "Claims", COMPLIANCE, SSCD, QCTYPE, policies=(QCP_N_QSCD,))
    _key, cert, _chain = pkcs12.load_key_and_certificates(p12.read_bytes(), None)
    assert cert is not None
    claims = certificate_claims(cert)
    assert (claims.compliance, claims.qscd, claims.types, claims.policies) == (
        True, True, frozenset({"esign"}), frozenset({QCP_N_QSCD}),
    )
    plain = _signer(foreign_pki, tmp, "No claims")
    _key, cert, _chain = pkcs12.load_key_and_certificates(plain.read_bytes(), None)
    assert cert is not None and not certificate_claims(cert).qualified


def test_qualified_cert_on_qscd_under_a_granted_service_is_qualificata(
    foreign_pki: ForeignPKI, tmp: Path, granted_tl: Path
) -> None:
    pdf = _sign(_signer(foreign_pki, tmp, "Anna QES", COMPLIANCE, SSCD, QCTYPE))
    level, reason = _qualification(pdf, foreign_pki, [granted_tl])
    assert level == "qualificata"
    assert reason.startswith("firma elettronica qualificata: certificato qualificato su dispositivo qualificato")
    assert "«Certomancer CA/QC» di Certomancer QTSP di prova (lista di fiducia IT)" in reason
    report = verify_pdf(pdf, [_root(foreign_pki)[0]], trusted_lists=[read_trusted_list(granted_tl)])
    assert badge(report.to_dict()) == ("Firma valida, qualificata", "ok")
    assert "qualificazione: qualificata: firma elettronica qualificata" in report.to_text("x.pdf")
    assert report.to_dict()["signatures"][0]["qualification"]["level"] == "qualificata"
    html = render_html(report, file="x.pdf")
    assert "<th>Qualifica della firma</th><td>\n<strong>qualificata</strong>: firma elettronica qualificata" in html


def test_qualified_cert_without_qscd_is_avanzata(foreign_pki: ForeignPKI, tmp: Path, granted_tl: Path) -> None:
    pdf = _sign(_signer(foreign_pki, tmp, "Anna AdES", COMPLIANCE, QCTYPE))
    level, reason = _qualification(pdf, foreign_pki, [granted_tl])
    assert level == "avanzata"
    assert "la chiave non risulta su un dispositivo qualificato (QSCD)" in reason


def test_a_tl_qualifier_overrides_the_certificate(foreign_pki: ForeignPKI, tmp: Path) -> None:
    """QCNoQSCD for certificates with non-repudiation: the cert's QcSSCD no longer counts."""
    root = _root(foreign_pki)[0]
    no_qscd = write_tl(tmp / "noqscd.xml", root, [(GRANTED, SINCE_2020)], qualifiers=["QCNoQSCD"])
    pdf = _sign(_signer(foreign_pki, tmp, "Anna NoQSCD", COMPLIANCE, SSCD, QCTYPE))
    assert _qualification(pdf, foreign_pki, [no_qscd])[0] == "avanzata"
    # QCStatement + QCWithQSCD for the certificates of a policy: qualified without a QC statement.
    by_policy = write_tl(tmp / "policy.xml", root, [(GRANTED, SINCE_2020)],
                         qualifiers=["QCStatement", "QCWithQSCD"], policy=QCP_N_QSCD)
    with_policy = _sign(_signer(foreign_pki, tmp, "Anna Policy", policies=("1.3.76.1.2.3", QCP_N_QSCD)))
    assert _qualification(with_policy, foreign_pki, [by_policy])[0] == "qualificata"
    # ... and not for a certificate the criteria do not select.
    other_policy = _sign(_signer(foreign_pki, tmp, "Anna Other", policies=("1.3.76.1.2.3",)))
    assert _qualification(other_policy, foreign_pki, [by_policy])[0] == "non qualificata"


def test_no_qc_statements_under_a_granted_service_is_non_qualificata(
    foreign_pki: ForeignPKI, tmp: Path, granted_tl: Path
) -> None:
    pdf = _sign(_signer(foreign_pki, tmp, "Anna Plain"))
    level, reason = _qualification(pdf, foreign_pki, [granted_tl])
    assert level == "non qualificata"
    assert reason.startswith("il certificato non si dichiara qualificato e la lista di fiducia non lo qualifica")


def test_qc_statements_without_a_trusted_list_are_only_avanzata(foreign_pki: ForeignPKI, tmp: Path) -> None:
    pdf = _sign(_signer(foreign_pki, tmp, "Anna NoTL", COMPLIANCE, SSCD, QCTYPE))
    level, reason = _qualification(pdf, foreign_pki, [])
    assert level == "avanzata"
    assert reason == (
        "il certificato si dichiara qualificato (QcCompliance), ma nessuna lista di fiducia (non indicata)"
        " lo conferma: firma avanzata, non qualificata"
    )


def test_the_status_at_signing_time_decides(foreign_pki: ForeignPKI, tmp: Path) -> None:
    root = _root(foreign_pki)[0]
    pdf = _sign(_signer(foreign_pki, tmp, "Anna History", COMPLIANCE, SSCD, QCTYPE))
    # Withdrawn after the signature (the list's history says it was granted when signed): qualified.
    later = write_tl(tmp / "later.xml", root, [(WITHDRAWN, NOW + dt.timedelta(hours=1)), (GRANTED, SINCE_2020)])
    assert _qualification(pdf, foreign_pki, [later])[0] == "qualificata"
    # Withdrawn before it: not qualified, and the reason says since when.
    before = write_tl(tmp / "before.xml", root, [(WITHDRAWN, NOW - dt.timedelta(days=1)), (GRANTED, SINCE_2020)])
    level, reason = _qualification(pdf, foreign_pki, [before])
    assert level == "non qualificata"
    assert "non era qualificato al momento della firma" in reason
    assert f"stato withdrawn dal {NOW - dt.timedelta(days=1):%d/%m/%Y}" in reason
    # Granted only from after the signature: not qualified either.
    future = write_tl(tmp / "future.xml", root, [(GRANTED, NOW + dt.timedelta(days=1))])
    assert _qualification(pdf, foreign_pki, [future]) == (
        "non qualificata",
        f"il servizio «Certomancer CA/QC» di Certomancer QTSP di prova (lista di fiducia IT) non era qualificato"
        f" al momento della firma ({_day(pdf)}): stato nessuno",
    )


def test_the_development_ca_is_named_as_such(tmp: Path) -> None:
    ca = DevCA.create(tmp / "dev-ca")
    pdf = ActSigner.from_pkcs12(ca.signer_for("Mario Rossi", "Dirigente"), None).sign(make_pdf())
    report = verify_pdf(pdf, [ca.root_cert])
    assert report.indication == "TOTAL_PASSED"
    q = report.signatures[0].qualification
    assert q is not None and (q.level, q.development) == ("non qualificata", True)
    assert q.reason.startswith("certificato di sviluppo NON qualificato")
    assert badge(report.to_dict()) == ("Firma valida, certificato di sviluppo NON qualificato", "ok")


def test_a_tl_in_the_italian_layout_is_read() -> None:
    """tests/data/tl/TSL-IT-estratto.xml follows AgID's TSL-IT.xml: prefixed namespaces, OIDs as
    URNs, qualifiers of the 1999/93 era, a service history."""
    tl = read_trusted_list(DATA / "TSL-IT-estratto.xml")
    assert tl.territory == "IT"
    [service] = [s for s in tl.services if s.type == CA_QC]
    current, older = service.phases
    assert (current.status.rsplit("/", 1)[-1], older.status.rsplit("/", 1)[-1]) == ("granted", "accredited")
    assert current.since == dt.datetime(2016, 6, 30, 22, tzinfo=dt.UTC)
    [element] = current.qualifications
    assert element.qualifiers == {"QCStatement", "QCWithQSCD", "QCForESig"}
    assert element.criteria.mode == "atLeastOne"
    assert element.criteria.policies == (frozenset({"1.3.76.16.6"}),)
    assert older.qualifications[0].qualifiers == {"QCWithSSCD"}
