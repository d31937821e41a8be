"""Makes the structure group: one small PDF, written by hand in every cross-reference form, signed
by hand as an incremental update (PAdES B-B, pyHanko's CMS), sometimes with a document timestamp.

Run once from the repository root with atti's venv: ``.venv/bin/python tests/data/foreign/structure/make.py``.
It writes a fresh throwaway PKI (valid 2025-2045) into trust/ and every PDF beside this file; the
keys are not kept. tests/data/foreign/cms/make.py imports the writer and the signer from here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1 as asn1_cert
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1 as asn1_key
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

HERE = Path(__file__).parent
NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2045, 1, 1, tzinfo=dt.UTC)
STAMP_TIME = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
CONTENTS_BYTES = 6000  # room for the CMS in /Contents
WRONG_BY = 25  # how far off the deliberately wrong xref offsets are


# -- a throwaway PKI ---------------------------------------------------------------------------


@dataclass
class PKI:
    root: x509.Certificate
    signer: x509.Certificate
    signer_key: ec.EllipticCurvePrivateKey
    tsa: x509.Certificate
    tsa_key: rsa.RSAPrivateKey  # pyHanko's DummyTimeStamper signs with RSA only

    def cms_signer(self) -> signers.SimpleSigner:
        return signers.SimpleSigner(
            signing_cert=asn1_cert(self.signer),
            signing_key=asn1_key(self.signer_key),
            cert_registry=SimpleCertificateStore.from_certs([asn1_cert(self.root)]),
        )

    def timestamper(self) -> DummyTimeStamper:
        return DummyTimeStamper(
            asn1_cert(self.tsa), asn1_key(self.tsa_key), certs_to_embed=[asn1_cert(self.root)], fixed_dt=STAMP_TIME
        )


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    kind: str,
) -> x509.Certificate:
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
    )
    ca = kind == "ca"
    b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    b = b.add_extension(
        x509.KeyUsage(
            digital_signature=not ca,
            content_commitment=kind == "signer",
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    if kind == "tsa":
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return b.sign(issuer_key, hashes.SHA256())


def make_pki(label: str, trust_dir: Path) -> PKI:
    root_key, signer_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_cn = f"Foreign {label} Root CA"
    root = _cert(root_cn, root_key, root_cn, root_key, "ca")
    pki = PKI(
        root=root,
        signer=_cert(f"Mario Rossi ({label})", signer_key, root_cn, root_key, "signer"),
        signer_key=signer_key,
        tsa=_cert(f"Foreign {label} TSA", tsa_key, root_cn, root_key, "tsa"),
        tsa_key=tsa_key,
    )
    trust_dir.mkdir(exist_ok=True)
    (trust_dir / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return pki


# -- a PDF written by hand, one revision at a time ----------------------------------------------

PAGE_TEXT = b"BT /F1 14 Tf 72 760 Td (Determinazione n. 15/2026) Tj ET"


def base_objects() -> dict[int, bytes]:
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        4: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(PAGE_TEXT), PAGE_TEXT),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }


def _startxref(pdf: bytes) -> int:
    return int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])


def _table(entries: dict[int, int], with_free: bool) -> bytes:
    """A classic xref table, one subsection per run of consecutive object numbers."""
    rows = dict(entries)
    out = [b"xref\n"]
    if with_free:
        out.append(b"0 1\n0000000000 65535 f \n")
    nums = sorted(rows)
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(b"%d %d\n" % (nums[i], j - i + 1))
        out += [b"%010d 00000 n \n" % rows[n] for n in nums[i : j + 1]]
        i = j + 1
    return b"".join(out)


def _xref_stream(num: int, rows: dict[int, tuple[int, int, int]], trailer: bytes) -> bytes:
    """An uncompressed-index xref stream (/W [1 4 2]) listing ``rows`` (type, field 2, field 3)."""
    nums = sorted(rows)
    index: list[int] = []
    for n in nums:
        if index and index[-2] + index[-1] == n:
            index[-1] += 1
        else:
            index += [n, 1]
    data = b"".join(bytes([t]) + a.to_bytes(4, "big") + b.to_bytes(2, "big") for t, a, b in (rows[n] for n in nums))
    packed = zlib.compress(data)
    head = b"<< /Type /XRef /W [1 4 2] /Index [%s] /Filter /FlateDecode /Length %d %s >>" % (
        " ".join(map(str, index)).encode(),
        len(packed),
        trailer,
    )
    return b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (num, head, packed)


def write_revision(
    previous: bytes | None,
    objects: dict[int, bytes],
    *,
    xref: str = "table",
    size: int,
    compressed: dict[int, bytes] | None = None,
    wrong_offsets: tuple[int, ...] = (),
) -> bytes:
    """``previous`` plus one revision holding ``objects``; ``xref`` is "table", "stream" or
    "hybrid" (a table whose trailer's /XRefStm points to an xref stream that lists the objects
    of ``compressed``, stored in an object stream). ``compressed`` objects go into one object
    stream with xref "stream" too. ``wrong_offsets``: objects whose table offsets are off by 3."""
    out = bytearray(previous or b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num, body in sorted(objects.items()):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    rows: dict[int, tuple[int, int, int]] = {n: (1, off, 0) for n, off in offsets.items()}
    if compressed:
        stm = size
        size += 1
        heads, bodies, pos = [], b"", 0
        for num, body in sorted(compressed.items()):
            heads.append(b"%d %d" % (num, pos))
            bodies += body + b"\n"
            pos = len(bodies)
        head = b" ".join(heads) + b"\n"
        data = zlib.compress(head + bodies)
        offsets[stm] = len(out)
        out += (
            b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\n"
            b"stream\n%s\nendstream\nendobj\n"
            % (stm, len(compressed), len(head), len(data), data)
        )
        rows[stm] = (1, offsets[stm], 0)
        for i, num in enumerate(sorted(compressed)):
            rows[num] = (2, stm, i)
    prev = b" /Prev %d" % _startxref(bytes(previous)) if previous else b""
    if xref == "stream" or (xref == "hybrid" and not compressed):
        num = size
        size += 1
        rows[num] = (1, len(out), 0)
        if previous is None:
            rows[0] = (0, 0, 65535)
        start = len(out)
        out += _xref_stream(num, rows, b"/Size %d /Root 1 0 R%s" % (size, prev))
    else:
        extra = b""
        if xref == "hybrid":
            num = size
            size += 1
            stream_at = len(out)
            # The xref stream lists only the compressed objects; the table lists the rest.
            out += _xref_stream(num, {n: r for n, r in rows.items() if r[0] == 2}, b"/Size %d" % size)
            offsets[num] = stream_at
            extra = b" /XRefStm %d" % stream_at
        table = {n: off + (WRONG_BY if n in wrong_offsets else 0) for n, off in offsets.items()}
        start = len(out)
        out += _table(table, with_free=previous is None)
        out += b"trailer\n<< /Size %d /Root 1 0 R%s%s >>\n" % (size, prev, extra)
    out += b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def base_pdf(xref: str = "table", wrong_offsets: tuple[int, ...] = ()) -> bytes:
    objects = base_objects()
    if xref == "table":
        return write_revision(None, objects, size=6, wrong_offsets=wrong_offsets)
    if xref == "stream":
        return write_revision(None, objects, xref="stream", size=6)
    # Object streams: the content stream stays outside (streams cannot be compressed objects).
    compressed = {n: objects.pop(n) for n in (2, 3, 5)}
    return write_revision(None, objects, xref=xref, size=6, compressed=compressed)


# -- signing by hand -------------------------------------------------------------------------

PLACEHOLDER_RANGE = b"/ByteRange [0 0000000000 0000000000 0000000000]"


def sig_dict(subfilter: str, type_: str | None = "/Sig", size: int = CONTENTS_BYTES) -> bytes:
    typ = b"/Type %s " % type_.encode() if type_ else b""
    filt = b"/Filter /Adobe.PPKLite /SubFilter %s " % subfilter.encode()
    when = b"" if subfilter == "/ETSI.RFC3161" else b"/M (D:20260501090000Z) "
    return b"<< %s%s%s%s /Contents <%s> >>" % (typ, filt, when, PLACEHOLDER_RANGE, b"0" * (2 * size))


def sign_update(
    previous: bytes,
    *,
    first_free: int,
    sig: bytes,
    fields: list[tuple[int, bytes]],
    acroform_fields: list[int] | None = None,
    xref: str = "table",
    wrong_offsets: tuple[int, ...] = (),
) -> tuple[bytes, int]:
    """Append a revision adding ``sig`` (a signature dictionary with placeholders) and its
    ``fields`` (number, dictionary body; ``%SIG%`` stands for the signature's reference),
    updating the catalog's /AcroForm and the page's /Annots. Returns the file and its size."""
    sig_num = first_free
    objects = {sig_num: sig}
    widgets: list[int] = []
    for num, body in fields:
        objects[num] = body.replace(b"%SIG%", b"%d 0 R" % sig_num)
        if b"/Subtype /Widget" in body:
            widgets.append(num)
    listed = acroform_fields if acroform_fields is not None else [n for n, _ in fields]
    refs = b" ".join(b"%d 0 R" % n for n in listed)
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%s] /SigFlags 3 >> >>" % refs
    annots = b" ".join(b"%d 0 R" % n for n in widgets)
    objects[3] = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> /Annots [%s] >>" % annots
    )
    size = max(objects) + 1
    return write_revision(previous, objects, xref=xref, size=size, wrong_offsets=wrong_offsets), size


def widget(name: bytes, parent: int | None = None) -> bytes:
    up = b" /Parent %d 0 R" % parent if parent else b""
    return b"<< /FT /Sig /T (%s) /V %%SIG%% /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R%s >>" % (
        name,
        up,
    )


def fill(pdf: bytes, make_cms: object) -> bytes:
    """Fill the last placeholders: the byte range, then the CMS over it (``make_cms(data)``)."""
    at = pdf.rindex(PLACEHOLDER_RANGE)
    contents_start = pdf.index(b"/Contents <", at) + len(b"/Contents ")
    contents_end = pdf.index(b">", contents_start) + 1
    ranges = [0, contents_start, contents_end, len(pdf) - contents_end]
    text = b"/ByteRange [%s]" % b" ".join(b"%d" % x for x in ranges)
    text = text.ljust(len(PLACEHOLDER_RANGE))
    pdf = pdf[:at] + text + pdf[at + len(PLACEHOLDER_RANGE) :]
    data = pdf[:contents_start] + pdf[contents_end:]
    der: bytes = make_cms(data)  # type: ignore[operator]
    hexed = der.hex().encode()
    room = contents_end - contents_start - 2
    if len(hexed) > room:
        raise SystemExit(f"CMS of {len(der)} bytes does not fit")
    return pdf[: contents_start + 1] + hexed.ljust(room, b"0") + pdf[contents_end - 1 :]


def pades_cms(pki: PKI, timestamp: bool = False):  # type: ignore[no-untyped-def]
    def make(data: bytes) -> bytes:
        digest = hashlib.sha256(data).digest()
        ts = pki.timestamper() if timestamp else None
        ci: cms.ContentInfo = asyncio.run(pki.cms_signer().async_sign(digest, "sha256", use_pades=True, timestamper=ts))
        return ci.dump()

    return make


def doc_timestamp_cms(pki: PKI):  # type: ignore[no-untyped-def]
    def make(data: bytes) -> bytes:
        ci: cms.ContentInfo = asyncio.run(pki.timestamper().async_timestamp(hashlib.sha256(data).digest(), "sha256"))
        return ci.dump()

    return make


def signed(pki: PKI, base: bytes, xref: str = "table", name: bytes = b"Firma1") -> bytes:
    pdf, _ = sign_update(
        base, first_free=8, sig=sig_dict("/ETSI.CAdES.detached"), fields=[(9, widget(name))], xref=xref
    )
    return fill(pdf, pades_cms(pki))


def with_doc_timestamp(pki: PKI, pdf: bytes, type_: str | None) -> bytes:
    """A second revision: a document timestamp whose dictionary has ``type_`` (or no /Type)."""
    objects = {
        10: sig_dict("/ETSI.RFC3161", type_),
        11: widget(b"Marca1").replace(b"%SIG%", b"10 0 R"),
        1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [9 0 R 11 0 R] /SigFlags 3 >> >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> /Annots [9 0 R 11 0 R] >>",
    }
    return fill(write_revision(pdf, objects, size=12), doc_timestamp_cms(pki))


def qpdf_object_streams(pdf: bytes) -> bytes:
    """qpdf (through pikepdf) rewrites the unsigned file into object streams and an xref stream."""
    import io

    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, deterministic_id=True)
    return out.getvalue()


def pyhanko_signed(pki: PKI, base: bytes) -> bytes:
    """pyHanko's own signer (PAdES B-B) over ``base``."""
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    out = io.BytesIO()
    meta = signers.PdfSignatureMetadata(field_name="Firma1", subfilter=fields.SigSeedSubFilter.PADES)
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(base)), meta, signer=pki.cms_signer(), output=out)
    return out.getvalue()


def main() -> None:
    pki = make_pki("structure", HERE / "trust")
    files: dict[str, bytes] = {
        "table.pdf": signed(pki, base_pdf("table")),
        "xref-streams.pdf": signed(pki, base_pdf("stream"), xref="stream"),
        "object-streams.pdf": signed(pki, base_pdf("objstm"), xref="stream"),
        "hybrid.pdf": signed(pki, base_pdf("hybrid")),
        "wrong-offsets.pdf": signed(pki, base_pdf("table", wrong_offsets=(3, 4))),
        "field-name-periods.pdf": signed(pki, base_pdf("table"), name=b"Firma.del.dirigente"),
        "qpdf-object-streams-pyhanko.pdf": pyhanko_signed(pki, qpdf_object_streams(base_pdf("table"))),
    }
    # A field hierarchy: parent "Firme" (no /FT on the kid's behalf), kid "dirigente.capo" -> Firme.dirigente.capo
    pdf, _ = sign_update(
        base_pdf("table"),
        first_free=8,
        sig=sig_dict("/ETSI.CAdES.detached"),
        fields=[(9, widget(b"dirigente.capo", parent=10)), (10, b"<< /FT /Sig /T (Firme) /Kids [9 0 R] >>")],
        acroform_fields=[10],
    )
    files["field-hierarchy.pdf"] = fill(pdf, pades_cms(pki))
    # One signature dictionary, two widgets/fields whose /V is it.
    pdf, _ = sign_update(
        base_pdf("table"),
        first_free=8,
        sig=sig_dict("/ETSI.CAdES.detached"),
        fields=[(9, widget(b"Firma1")), (10, widget(b"Firma2"))],
    )
    files["two-fields-one-signature.pdf"] = fill(pdf, pades_cms(pki))
    # The signing revision's own xref gives wrong offsets for the signature and its field: no
    # reader finds them without repairing the file, while the signed bytes are untouched.
    pdf, _ = sign_update(
        base_pdf("table"),
        first_free=8,
        sig=sig_dict("/ETSI.CAdES.detached"),
        fields=[(9, widget(b"Firma1"))],
        wrong_offsets=(8, 9),
    )
    files["wrong-offsets-signature.pdf"] = fill(pdf, pades_cms(pki))
    files["timestamp-type-sig.pdf"] = with_doc_timestamp(pki, signed(pki, base_pdf("table")), "/Sig")
    files["timestamp-no-type.pdf"] = with_doc_timestamp(pki, signed(pki, base_pdf("table")), None)
    files["timestamp-doctimestamp.pdf"] = with_doc_timestamp(pki, signed(pki, base_pdf("table")), "/DocTimeStamp")
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
