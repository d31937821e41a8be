"""Signing stage: development PKI, PAdES B-B signing, offline verification."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from freezegun import freeze_time
from pyhanko.pdf_utils import generic, writer
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers

from atti.errors import SigningError, VerificationError
from atti.signing import (
    ActSigner,
    DevCA,
    SignatureReport,
    VerificationReport,
    load_trust_roots,
    verify_pdf,
)

from .conftest import ForeignPKI

# -- helpers -----------------------------------------------------------------------------------


def make_pdf(text: str = "Determinazione n. 129/2026") -> bytes:
    """A one-page PDF written by pyHanko, standing in for LibreOffice's output."""
    w = writer.PdfFileWriter()
    font = w.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/Type1"),
                pdf_name("/BaseFont"): pdf_name("/Helvetica"),
            }
        )
    )
    resources = generic.DictionaryObject(
        {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font})}
    )
    page_text = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    content = w.add_object(generic.StreamObject(stream_data=page_text))
    w.insert_page(writer.PageObject(contents=content, media_box=[0, 0, 595, 842], resources=resources))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def foreign_p12(
    path: Path,
    *,
    non_repudiation: bool = True,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    passphrase: bytes | None = None,
) -> Path:
    """A self-contained root + signer PKCS#12 with the given flaws (EC keys: fast to make)."""
    now = dt.datetime.now(dt.UTC)
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Root di prova")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=3650))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Luca Neri")]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=365))
        .add_extension(usage, critical=True)
        .sign(root_key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"luca", key, cert, [root], encryption))
    return path


def only(report: VerificationReport) -> SignatureReport:
    assert len(report.signatures) == 1
    return report.signatures[0]


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> DevCA:
    return DevCA.create(tmp_path_factory.mktemp("ca"), ente="Comune di Esempio")


@pytest.fixture(scope="module")
def act_signer(ca: DevCA) -> ActSigner:
    return ActSigner.from_pkcs12(ca.issue_signer("Mario Rossi", "Dirigente Area Tecnica"), None)


@pytest.fixture(scope="module")
def signed_pdf(act_signer: ActSigner) -> bytes:
    return act_signer.sign(make_pdf(), reason="Adozione della determinazione", location="Esempio")


# -- development CA ----------------------------------------------------------------------------


def test_dev_ca_create_writes_root_and_private_key(tmp_path: Path) -> None:
    ca = DevCA.create(tmp_path / "ca", ente="Comune di Prova")
    assert (tmp_path / "ca" / "root.pem").is_file()
    key_mode = stat.S_IMODE(os.stat(tmp_path / "ca" / "root.key.pem").st_mode)
    assert key_mode == 0o600
    subject = ca.root_cert.subject
    cn = subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "atti - CA di sviluppo (NON QUALIFICATA)"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Comune di Prova"
    assert ca.root_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.root_cert.not_valid_after_utc - ca.root_cert.not_valid_before_utc > dt.timedelta(days=3600)

    loaded = DevCA.load(tmp_path / "ca")
    assert loaded.root_cert == ca.root_cert


def test_dev_ca_refuses_to_overwrite(tmp_path: Path) -> None:
    DevCA.create(tmp_path)
    before = (tmp_path / "root.pem").read_bytes()
    with pytest.raises(SigningError, match="esiste già"):
        DevCA.create(tmp_path)
    assert (tmp_path / "root.pem").read_bytes() == before


def test_dev_ca_load_missing(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="nessuna CA di sviluppo"):
        DevCA.load(tmp_path)


def test_issue_signer_certificate_and_reuse(ca: DevCA) -> None:
    path = ca.issue_signer("Giulia Bianchi", "Segretario Generale")
    assert path == ca.directory / "signers" / "giulia-bianchi.p12"
    key, cert, others = pkcs12.load_key_and_certificates(path.read_bytes(), None)
    assert key is not None and cert is not None
    assert others == [ca.root_cert]

    def attr(oid: x509.ObjectIdentifier) -> str:
        return str(cert.subject.get_attributes_for_oid(oid)[0].value)

    assert attr(NameOID.COMMON_NAME) == "Giulia Bianchi"
    assert attr(NameOID.TITLE) == "Segretario Generale"
    assert attr(NameOID.GIVEN_NAME) == "Giulia"
    assert attr(NameOID.SURNAME) == "Bianchi"
    assert attr(NameOID.ORGANIZATION_NAME) == "Comune di Esempio"
    assert "NON qualificato" in attr(NameOID.ORGANIZATIONAL_UNIT_NAME)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.content_commitment and usage.value.digital_signature
    cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert dt.timedelta(days=700) < lifetime < dt.timedelta(days=740)

    # Same person, same role: the existing, valid certificate is reused as is.
    again = ca.issue_signer("Giulia Bianchi", "Segretario Generale")
    assert again == path
    assert pkcs12.load_key_and_certificates(again.read_bytes(), None)[1] == cert
    # A new role needs a new certificate.
    changed = ca.issue_signer("Giulia Bianchi", "Vicesegretario")
    new_cert = pkcs12.load_key_and_certificates(changed.read_bytes(), None)[1]
    assert new_cert is not None and new_cert.serial_number != cert.serial_number


def test_issue_signer_without_easy_split_has_no_given_name(ca: DevCA) -> None:
    path = ca.issue_signer("Maria Grazia De Luca", "Responsabile del procedimento", organisation="ASL Uno")
    cert = pkcs12.load_key_and_certificates(path.read_bytes(), None)[1]
    assert cert is not None
    assert not cert.subject.get_attributes_for_oid(NameOID.GIVEN_NAME)
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "ASL Uno"


def test_a_long_ente_or_qualifica_is_cut_to_fit_a_development_certificate(ca: DevCA) -> None:
    """An act that passes check publishes with the development CA: X.520 holds 64 characters of
    an organisation or a title, and a body's name can be longer."""
    ente = "Camera di Commercio, Industria, Artigianato e Agricoltura di Milano Monza Brianza Lodi"
    qualifica = "Il Dirigente dell'Area Servizi alle Imprese, al Territorio e alla Regolazione del Mercato"
    path = ca.issue_signer("Fabrizio Ventrice", qualifica, organisation=ente)
    cert = pkcs12.load_key_and_certificates(path.read_bytes(), None)[1]
    assert cert is not None
    organisation = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    title = cert.subject.get_attributes_for_oid(NameOID.TITLE)[0].value
    assert organisation == ente[:63] + "…" and len(organisation) == 64
    assert title == qualifica[:63].rstrip() + "…"
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Fabrizio Ventrice"
    assert ca.issue_signer("Fabrizio Ventrice", qualifica, organisation=ente) == path  # reused as it is
    with pytest.raises(SigningError, match="nome del firmatario: troppo lungo"):
        ca.issue_signer("Maria " * 12, "Sindaco")


# -- signing and verifying ---------------------------------------------------------------------


def test_sign_then_verify_passes(ca: DevCA, act_signer: ActSigner, signed_pdf: bytes) -> None:
    report = verify_pdf(signed_pdf, [ca.root_cert])
    assert report.indication == "TOTAL_PASSED"
    assert report.signer == act_signer.signer_name == "Mario Rossi"
    sig = only(report)
    assert sig.field_name == "Firma"
    assert sig.format == "PAdES-BASELINE-B"
    assert (sig.intact, sig.valid, sig.trusted, sig.modified_after) == (True, True, True, False)
    assert sig.coverage == "ENTIRE_FILE"
    assert "title=Dirigente Area Tecnica" in sig.signer_subject
    assert "NON QUALIFICATA" in sig.issuer
    assert sig.signing_time is not None
    assert abs(sig.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1)
    json.dumps(report.to_dict())  # JSON-ready

    assert b"/SubFilter /ETSI.CAdES.detached" in signed_pdf
    embedded = PdfFileReader(io.BytesIO(signed_pdf)).embedded_regular_signatures[0]
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Reason"] == "Adozione della determinazione"
    assert embedded.md_algorithm == "sha256"


def test_signing_keeps_the_original_bytes(ca: DevCA, act_signer: ActSigner) -> None:
    original = make_pdf()
    signed = act_signer.sign(original)
    assert signed.startswith(original)
    assert verify_pdf(signed, [ca.root_cert]).indication == "TOTAL_PASSED"


def test_sign_file_writes_atomically(ca: DevCA, act_signer: ActSigner, tmp_path: Path) -> None:
    src, dst = tmp_path / "atto.pdf", tmp_path / "atto.firmato.pdf"
    src.write_bytes(make_pdf())
    act_signer.sign_file(src, dst, reason="Adozione")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atto.firmato.pdf", "atto.pdf"]
    assert verify_pdf(dst.read_bytes(), [ca.root_cert]).indication == "TOTAL_PASSED"

    with pytest.raises(SigningError, match="non esiste"):
        act_signer.sign_file(tmp_path / "assente.pdf", dst)


def test_second_signature_keeps_the_first_valid(ca: DevCA, act_signer: ActSigner, signed_pdf: bytes) -> None:
    other = ActSigner.from_pkcs12(ca.issue_signer("Paolo Gialli", "Responsabile del procedimento"))
    both = other.sign(signed_pdf, field_name="Firma2")
    report = verify_pdf(both, [ca.root_cert])
    assert report.indication == "TOTAL_PASSED"
    assert [s.signer for s in report.signatures] == ["Mario Rossi", "Paolo Gialli"]
    assert report.signer == "Paolo Gialli"
    first, second = report.signatures
    assert first.modified_after and first.coverage == "ENTIRE_REVISION"
    assert not second.modified_after

    with pytest.raises(SigningError, match="ha già una firma nel campo 'Firma'"):
        act_signer.sign(signed_pdf)


def test_unrelated_root_is_indeterminate(signed_pdf: bytes, tmp_path: Path) -> None:
    stranger = DevCA.create(tmp_path, ente="Altro Ente")
    sig = only(verify_pdf(signed_pdf, [stranger.root_cert]))
    assert sig.indication == "INDETERMINATE"
    assert sig.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    assert sig.intact and sig.valid and not sig.trusted


def test_tampered_bytes_fail(ca: DevCA, signed_pdf: bytes) -> None:
    at = signed_pdf.index(b"(Determinazione")
    tampered = signed_pdf[:at] + b"(Deterninazione" + signed_pdf[at + 15 :]
    report = verify_pdf(tampered, [ca.root_cert])
    assert report.indication == "TOTAL_FAILED"
    assert only(report).sub_indication == "HASH_FAILURE"
    assert not only(report).intact


def test_broken_signature_fails_alone(ca: DevCA, act_signer: ActSigner, signed_pdf: bytes) -> None:
    contents = re.search(rb"/Contents <([0-9A-Fa-f]+)>", signed_pdf)
    assert contents is not None
    zeroed = signed_pdf[: contents.start(1)] + b"0" * len(contents.group(1)) + signed_pdf[contents.end(1) :]
    report = verify_pdf(act_signer.sign(zeroed, field_name="Firma2"), [ca.root_cert])
    assert report.indication == "TOTAL_FAILED"
    broken, good = report.signatures
    assert (broken.field_name, broken.indication, broken.sub_indication) == (
        "Firma",
        "TOTAL_FAILED",
        "FORMAT_FAILURE",
    )
    assert good.indication == "TOTAL_PASSED"


def test_revocation_mode_and_validation_time(ca: DevCA, signed_pdf: bytes) -> None:
    # The development PKI publishes no revocation data: only soft-fail (the default) accepts it.
    required = only(verify_pdf(signed_pdf, [ca.root_cert], revocation_mode="require"))
    assert required.indication == "INDETERMINATE"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3 * 365)
    expired = only(verify_pdf(signed_pdf, [ca.root_cert], moment=later))
    assert (expired.indication, expired.sub_indication) == ("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE")


def test_page_added_after_signing_is_reported(ca: DevCA, signed_pdf: bytes) -> None:
    w = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    content = w.add_object(generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 760 Td (Aggiunta) Tj ET"))
    w.insert_page(writer.PageObject(contents=content, media_box=[0, 0, 595, 842]))
    out = io.BytesIO()
    w.write(out)
    sig = only(verify_pdf(out.getvalue(), [ca.root_cert]))
    assert sig.indication != "TOTAL_PASSED"
    assert sig.modified_after
    assert sig.coverage == "ENTIRE_REVISION"
    assert sig.intact  # what was signed is still intact: the change is after it


@pytest.mark.parametrize(
    ("rect", "indication"),
    [((72, 600, 92, 620), "TOTAL_PASSED"), ((72, 755, 92, 775), "INDETERMINATE")],
    ids=["on-blank-paper", "over-the-text"],
)
def test_annotation_added_after_signing_is_reported(
    ca: DevCA, signed_pdf: bytes, rect: tuple[int, ...], indication: str
) -> None:
    # ISO 32000 leaves a document with approval signatures only open to annotations: allowed,
    # and reported; but one laid over the signed text changes what a reader sees.
    w = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    page_ref, _resources = w.find_page_for_modification(0)
    note = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Text"),
            pdf_name("/Rect"): generic.ArrayObject(map(generic.NumberObject, rect)),
            pdf_name("/Contents"): generic.TextStringObject("annullato"),
        }
    )
    w.register_annotation(page_ref, w.add_object(note))
    out = io.BytesIO()
    w.write(out)
    report = verify_pdf(out.getvalue(), [ca.root_cert])
    assert report.indication == indication, report.to_text("annotated")
    sig = only(report)
    assert sig.modified_after
    assert sig.modification_level == "ANNOTATIONS"
    assert sig.modification is not None and sig.modification.startswith("sono state aggiunte o cambiate annotazioni")


def test_certified_pdf_refuses_a_new_field(ca: DevCA, act_signer: ActSigner, tmp_path: Path) -> None:
    # Certify with plain pyHanko, as another tool would, allowing form filling only.
    certifier = signers.SimpleSigner.load_pkcs12(str(ca.issue_signer("Ada Blu", "Sindaco")))
    meta = signers.PdfSignatureMetadata(
        field_name="Autore",
        certify=True,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    certified = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(make_pdf())), meta, certifier).getvalue()
    assert verify_pdf(certified, [ca.root_cert]).indication == "TOTAL_PASSED"
    with pytest.raises(SigningError, match="certificato"):
        act_signer.sign(certified)


def test_libreoffice_pdfa_keeps_bytes_and_metadata(
    libreoffice: str, ca: DevCA, act_signer: ActSigner, tmp_path: Path
) -> None:
    src = tmp_path / "atto.txt"
    src.write_text("Determinazione n. 129/2026\n\nIl dirigente determina.\n")
    export = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
    profile = f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}"
    subprocess.run(
        [libreoffice, profile, "--headless", "--convert-to", export, "--outdir", str(tmp_path), str(src)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    original = (tmp_path / "atto.pdf").read_bytes()
    signed = act_signer.sign(original, reason="Adozione")
    assert signed.startswith(original)
    assert verify_pdf(signed, [ca.root_cert]).indication == "TOTAL_PASSED"

    reader = pypdf.PdfReader(io.BytesIO(signed))
    xmp = reader.trailer["/Root"]["/Metadata"].get_data().decode()
    assert re.search(r"pdfaid:part(=\"|>)2", xmp)
    assert reader.xmp_metadata is not None and reader.metadata is not None
    # PDF/A wants the Info dictionary and XMP to agree.
    assert reader.metadata["/Producer"] == reader.xmp_metadata.pdf_producer


# -- user errors: one line, the right exception ------------------------------------------------


def test_wrong_passphrase(tmp_path: Path) -> None:
    path = foreign_p12(tmp_path / "firma.p12", passphrase=b"segreta")
    with pytest.raises(SigningError) as e:
        ActSigner.from_pkcs12(path, b"sbagliata")
    assert e.value.msg == f"passphrase errata per {path}"
    with pytest.raises(SigningError, match="non ne è stata indicata nessuna"):
        ActSigner.from_pkcs12(path, None)
    signer = ActSigner.from_pkcs12(path, b"segreta")
    assert signer.signer_name == "Luca Neri"
    assert [c.subject.rfc4514_string() for c in signer.chain] == ["CN=Luca Neri", "CN=Root di prova"]
    root = signer.chain[-1]
    assert verify_pdf(signer.sign(make_pdf()), [root]).indication == "TOTAL_PASSED"


@pytest.mark.parametrize(
    "content", [b"", b"not a pkcs12 file", b"%PDF-1.7\n", b"\x30\x03\x02\x01\x03"], ids=repr
)
def test_not_a_pkcs12(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "firma.p12"
    path.write_bytes(content)
    with pytest.raises(SigningError, match=r"^non è un file PKCS#12: "):
        ActSigner.from_pkcs12(path, None)


def test_missing_pkcs12(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match=r"^il file .* non esiste$"):
        ActSigner.from_pkcs12(tmp_path / "assente.p12", None)


def test_expired_certificate_refused_at_load(ca: DevCA) -> None:
    with freeze_time("2021-03-01"):
        path = ca.issue_signer("Carlo Viola", "Dirigente")
    with pytest.raises(SigningError, match="è scaduto il 2023-"):
        ActSigner.from_pkcs12(path, None)


def test_not_yet_valid_certificate_refused_at_load(tmp_path: Path) -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    path = foreign_p12(tmp_path / "futuro.p12", not_before=soon, not_after=soon + dt.timedelta(days=30))
    with pytest.raises(SigningError, match="non è valido prima del"):
        ActSigner.from_pkcs12(path, None)


def test_certificate_without_non_repudiation_refused(tmp_path: Path) -> None:
    path = foreign_p12(tmp_path / "cns.p12", non_repudiation=False)
    with pytest.raises(SigningError, match="non ripudio"):
        ActSigner.from_pkcs12(path, None)


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7\n1 0 obj\n<<", make_pdf()[:200]], ids=repr)
def test_sign_not_a_pdf(act_signer: ActSigner, data: bytes) -> None:
    with pytest.raises(SigningError, match=r"^non è un PDF: ") as e:
        act_signer.sign(data)
    assert "\n" not in e.value.msg


@pytest.mark.parametrize("field_name", ["", "Firma.1"])
def test_sign_refuses_a_bad_field_name(act_signer: ActSigner, field_name: str) -> None:
    with pytest.raises(SigningError, match=r"nome del campo firma .* non valido"):
        act_signer.sign(make_pdf(), field_name=field_name)


@pytest.mark.parametrize("data", [b"", b"hello", make_pdf()[:200]], ids=repr)
def test_verify_corrupt_pdf(ca: DevCA, data: bytes) -> None:
    with pytest.raises(VerificationError, match=r"^non è un PDF leggibile: ") as e:
        verify_pdf(data, [ca.root_cert])
    assert "\n" not in e.value.msg


def test_verify_unsigned_pdf(ca: DevCA) -> None:
    with pytest.raises(VerificationError, match=r"^il PDF non contiene firme$"):
        verify_pdf(make_pdf(), [ca.root_cert])


def test_validation_failures_print_nothing(ca: DevCA, signed_pdf: bytes, tmp_path: Path) -> None:
    """pyHanko logs untrusted chains with tracebacks; none of that may reach a user's terminal."""
    pdf = tmp_path / "firmato.pdf"
    pdf.write_bytes(signed_pdf)
    script = (
        "import sys; from pathlib import Path; from atti.signing import verify_pdf;"
        "r = verify_pdf(Path(sys.argv[1]).read_bytes(), []); print(r.indication)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(pdf)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "INDETERMINATE"
    assert done.stderr == ""


# -- trust roots -------------------------------------------------------------------------------


def test_load_trust_roots(ca: DevCA, tmp_path: Path) -> None:
    other = tmp_path / "altra.cer"
    other.write_bytes(DevCA.create(tmp_path / "altra").root_cert.public_bytes(serialization.Encoding.DER))
    (tmp_path / "LEGGIMI.txt").write_text("not a certificate")
    # A CA directory holds root.key.pem next to root.pem: the key is skipped, not an error.
    roots = load_trust_roots([ca.directory, other, ca.directory / "root.pem"])
    assert roots[0] == ca.root_cert
    assert len(roots) == 2

    broken = tmp_path / "rotto.crt"
    broken.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(VerificationError, match=r"rotto\.crt"):
        load_trust_roots([tmp_path])
    with pytest.raises(VerificationError, match="non esiste"):
        load_trust_roots([tmp_path / "assente.pem"])
    with pytest.raises(VerificationError, match="nessun certificato in"):
        load_trust_roots([ca.directory / "root.key.pem"])


# -- a foreign PKI declared with certomancer ---------------------------------------------------


def test_certomancer_pkcs12_signs_and_verifies(ca: DevCA, tmp_path: Path, foreign_pki: ForeignPKI) -> None:
    p12 = foreign_pki.pkcs12("signer", b"anna")
    root = x509.load_pem_x509_certificate(foreign_pki.root_pem.read_bytes())

    signer = ActSigner.from_pkcs12(p12, b"anna")
    assert signer.signer_name == "Anna Verdi"
    out = tmp_path / "firmato.pdf"
    signer.sign_file(_write(tmp_path / "atto.pdf", make_pdf()), out)

    report = verify_pdf(out.read_bytes(), [root])
    assert report.indication == "TOTAL_PASSED"
    assert report.signer == "Anna Verdi"
    assert only(report).format == "PAdES-BASELINE-B"
    # ... and atti's own development root does not vouch for it.
    assert verify_pdf(out.read_bytes(), [ca.root_cert]).indication == "INDETERMINATE"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
