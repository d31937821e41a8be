"""Makes the endesive group: PDFs signed by endesive (3.0.1), a library other tools and bodies use,
so atti's verdicts are checked on CMS, field and appearance choices that are not pyHanko's.

endesive is not one of atti's dependencies: run once in a throwaway venv, from the repository root:
``python3 -m venv /tmp/endv && /tmp/endv/bin/pip install endesive==3.0.1 "pypdf>=6,<7" pikepdf``, then
``/tmp/endv/bin/python tests/data/foreign/endesive/make.py``. It writes a fresh throwaway PKI (valid
2025-2045) into trust/ and every PDF beside this file; the keys are not kept.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pikepdf
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from endesive.pdf import cms

HERE = Path(__file__).parent
NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2045, 1, 1, tzinfo=dt.UTC)
SIGNING_DATE = "D:20260501090000+00'00'"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: object, issuer: str, issuer_key: rsa.RSAPrivateKey, ca: bool) -> x509.Certificate:
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    )
    return b.sign(issuer_key, hashes.SHA256())


def unsigned(lines: list[str]) -> bytes:
    """A one-page PDF with some text, written by pikepdf (no signature yet)."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    text = b"BT /F1 14 Tf 72 760 Td 18 TL " + b" ".join(f"({line}) '".encode("latin-1") for line in lines) + b" ET"
    page.Contents = pdf.make_stream(text)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)  # the text stays findable, so a test can change it
    return out.getvalue()


def sign(data: bytes, key: object, cert: x509.Certificate, root: x509.Certificate, **options: object) -> bytes:
    udct = {"sigflags": 3, "contact": "protocollo@example.it", "location": "Milano", "signingdate": SIGNING_DATE,
            "reason": "Firma dell'atto", "aligned": 0, **options}
    return data + cms.sign(data, udct, key, cert, [root], "sha256")


def main() -> None:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_cn = "Foreign endesive Root CA"
    root = _cert(root_cn, root_key, root_cn, root_key, ca=True)
    (HERE / "trust").mkdir(exist_ok=True)
    (HERE / "trust" / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_cert = _cert("Mario Rossi (endesive)", rsa_key, root_cn, root_key, ca=False)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_cert = _cert("Anna Bianchi (endesive)", ec_key, root_cn, root_key, ca=False)
    second_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    second_cert = _cert("Luigi Verdi (endesive)", second_key, root_cn, root_key, ca=False)
    base = unsigned(["Determinazione n. 15/2026", "Il Dirigente determina di approvare il bando."])

    files = {
        "approval-invisible.pdf": sign(base, rsa_key, rsa_cert, root),
        "approval-visible.pdf": sign(base, rsa_key, rsa_cert, root, signaturebox=(350, 80, 560, 140),
                                     signature="Firmato da Mario Rossi"),
        "certified.pdf": sign(base, rsa_key, rsa_cert, root, sigandcertify=True, sigflags=2),
        # endesive 3.0.1 names rsassa_pkcs1v15 as the algorithm of an ECDSA signature: it never verifies
        "ecdsa.pdf": sign(base, ec_key, ec_cert, root),
    }
    first = files["approval-invisible.pdf"]
    files["two-signers.pdf"] = sign(first, second_key, second_cert, root, sigfield="Signature2")
    tampered = bytearray(files["approval-visible.pdf"])
    at = tampered.index(b"(Determinazione n. 15/2026)") + 20
    tampered[at:at + 2] = b"99"  # "15/2026" becomes "15/2099" inside the signed bytes
    files["text-changed.pdf"] = bytes(tampered)
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
