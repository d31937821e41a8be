"""Make the PDFs of tests/data/foreign/changes: incremental updates after a signature.

Run once from the repository root (``.venv/bin/python tests/data/foreign/changes/make.py``); the
PDFs and trust/root.pem are committed, the keys are thrown away. Every file starts from the same
one-page act; signatures are made with pyHanko (PAdES B-B, detached CMS), the updates after them
with pyHanko's IncrementalPdfFileWriter, as another tool or an attacker would append them.
tests/data/foreign/shadow/make.py uses the helpers of this file.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import tempfile
from pathlib import Path
from typing import Any

import pikepdf
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

HERE = Path(__file__).parent
NOT_BEFORE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2046, 1, 1, tzinfo=dt.UTC)
SIGNED_AT = dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.UTC)
MOMENT = "2027-01-01T00:00:00+00:00"  # the verdicts.json moment: after the files were made

LINES = [
    "COMUNE DI PROVA",
    "Determinazione n. 12 del 20/05/2026",
    "Oggetto: affidamento del servizio di manutenzione",
    "Il dirigente determina di affidare il servizio",
    "alla ditta Alfa S.r.l.",
]


# -- a throwaway PKI ---------------------------------------------------------------------------


class Pki:
    """A root, and certificates it issues, valid 2026-2046. EC P-256 keeps the files small."""

    def __init__(self) -> None:
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Foreign changes CA")])
        self.root = (
            self._builder(name, name, self.root_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(self.root_key, hashes.SHA256())
        )

    @staticmethod
    def _builder(subject: x509.Name, issuer: x509.Name, key: Any) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_AFTER)
        )

    def issue(self, cn: str, *, tsa: bool = False) -> tuple[Any, x509.Certificate]:
        # pyHanko's dummy TSA signs with RSA only.
        key: Any = rsa.generate_private_key(65537, 2048) if tsa else ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        builder = self._builder(subject, self.root.subject, key.public_key()).add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        )
        if tsa:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            ).add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        else:
            builder = builder.add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            )
        return key, builder.sign(self.root_key, hashes.SHA256())

    def asn1(self, cert: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    def signer(self, cn: str) -> signers.SimpleSigner:
        key, cert = self.issue(cn)
        der = _der(key)
        return signers.SimpleSigner(
            signing_cert=self.asn1(cert),
            signing_key=asn1_keys.PrivateKeyInfo.load(der),
            cert_registry=SimpleCertificateStore.from_certs([self.asn1(self.root)]),
        )

    def timestamper(self) -> timestamps.DummyTimeStamper:
        key, cert = self.issue("Foreign TSA", tsa=True)
        der = _der(key)
        return timestamps.DummyTimeStamper(
            tsa_cert=self.asn1(cert),
            tsa_key=asn1_keys.PrivateKeyInfo.load(der),
            certs_to_embed=SimpleCertificateStore.from_certs([self.asn1(self.root)]),
            fixed_dt=SIGNED_AT + dt.timedelta(hours=1),
        )

    def write_trust(self, folder: Path) -> None:
        (folder / "trust").mkdir(parents=True, exist_ok=True)
        (folder / "trust" / "root.pem").write_bytes(self.root.public_bytes(serialization.Encoding.PEM))


def _der(key: Any) -> bytes:
    return bytes(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


# -- the act, before any signature -------------------------------------------------------------


def text_ops(lines: list[str], x: float = 72, top: float = 760, size: float = 14, gap: float = 22) -> bytes:
    ops = [f"BT /F1 {size:g} Tf {x:g} {top:g} Td".encode()]
    for n, line in enumerate(lines):
        if n:
            ops.append(f"0 -{gap:g} Td".encode())
        ops.append(b"(" + line.encode("latin-1") + b") Tj")
    ops.append(b"ET")
    return b"\n".join(ops)


def base(
    *,
    extra_lines: list[str] = (),  # type: ignore[assignment]
    text_field: tuple[str, str | None, tuple[float, float, float, float]] | None = None,
    sig_field: tuple[str, tuple[float, float, float, float]] | None = None,
    overlay: tuple[tuple[float, float, float, float], str] | None = None,
    hidden_xobject: list[str] | None = None,
) -> bytes:
    """The one-page act, with optional form fields, an overlay annotation or an unused XObject.

    ``text_field`` is (name, value or None, rect): a text field whose appearance shows the value
    like the page's own text. ``overlay`` is (rect, text): an opaque white box annotation with
    the text, laid over the page content. ``hidden_xobject`` is content the page's resources
    carry but its content stream does not draw.
    """
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
                           Encoding=pikepdf.Name.WinAnsiEncoding)
    )
    resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Resources = resources
    page.obj.Contents = pdf.make_stream(text_ops([*LINES, *extra_lines]))
    annots = pikepdf.Array()
    acro_fields = pikepdf.Array()

    def appearance(rect: tuple[float, float, float, float], text: str | None, *, opaque: bool) -> pikepdf.Stream:
        w, h = rect[2] - rect[0], rect[3] - rect[1]
        ops = b"1 g 0 0 %g %g re f 0 g\n" % (w, h) if opaque else b""
        if text:
            ops += b"BT /F1 14 Tf 2 %g Td (" % (h / 2 - 5) + text.encode("latin-1") + b") Tj ET"
        return pdf.make_stream(
            ops, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, w, h],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        )

    if text_field is not None:
        name, value, rect = text_field
        widget = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Tx, T=pikepdf.String(name),
            Rect=list(rect), F=4, DA=pikepdf.String("/F1 14 Tf 0 g"), P=page.obj,
            AP=pikepdf.Dictionary(N=appearance(rect, value, opaque=False)),
        )
        if value is not None:
            widget.V = pikepdf.String(value)
        ref = pdf.make_indirect(widget)
        annots.append(ref)
        acro_fields.append(ref)
    if sig_field is not None:
        name, rect = sig_field
        widget = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Sig, T=pikepdf.String(name),
            Rect=list(rect), F=4, P=page.obj,
        ))
        annots.append(widget)
        acro_fields.append(widget)
    if overlay is not None:
        rect, text = overlay
        annots.append(pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=list(rect), F=4, P=page.obj,
            AP=pikepdf.Dictionary(N=appearance(rect, text, opaque=True)),
        )))
    if hidden_xobject is not None:
        resources.XObject = pikepdf.Dictionary(Hidden=pdf.make_stream(
            b"1 g 0 0 595 842 re f 0 g\n" + text_ops(hidden_xobject),
            Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        ))
    if len(annots):
        page.obj.Annots = annots
    if len(acro_fields):
        pdf.Root.AcroForm = pikepdf.Dictionary(
            Fields=acro_fields, DA=pikepdf.String("/F1 14 Tf 0 g"),
            DR=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        )
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


# -- signing and updating ----------------------------------------------------------------------


def sign(
    pdf: bytes,
    signer: signers.Signer,
    field: str,
    *,
    certify: fields.MDPPerm | None = None,
    box: tuple[int, int, int, int] | None = None,
    stamp: str | None = None,
) -> bytes:
    """Sign ``pdf`` in ``field`` (made when missing; visible at ``box`` on page 1)."""
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify is not None,
        docmdp_permissions=certify or fields.MDPPerm.FILL_FORMS,
    )
    style = TextStampStyle(stamp_text=stamp, background=None, border_width=2) if stamp else None
    spec = fields.SigFieldSpec(field, box=box, on_page=0) if box else None
    pdf_signer = signers.PdfSigner(meta, signer, new_field_spec=spec, stamp_style=style)
    return pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf))).getvalue()


def update(pdf: bytes, change: Any) -> bytes:
    """``pdf`` with one incremental update made by ``change(writer)``."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def number(*values: float) -> generic.ArrayObject:
    return generic.ArrayObject(generic.FloatObject(v) for v in values)


def add_annotation(rect: tuple[float, float, float, float], text: str, *, opaque: bool = False) -> Any:
    """An update adding a square annotation with an appearance showing ``text``."""

    def change(w: IncrementalPdfFileWriter) -> None:
        page_ref, _res = w.find_page_for_modification(0)
        width, height = rect[2] - rect[0], rect[3] - rect[1]
        ops = b"1 g 0 0 %g %g re f " % (width, height) if opaque else b""
        ops += b"1 0 0 RG 2 w 1 1 %g %g re S BT /Helv 12 Tf 1 0 0 rg 6 %g Td (%s) Tj ET" % (
            width - 2, height - 2, height / 2 - 4, text.encode("latin-1")
        )
        font = w.add_object(generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        }))
        ap = w.add_object(generic.StreamObject({
            pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): number(0, 0, width, height),
            pdf_name("/Resources"): generic.DictionaryObject({
                pdf_name("/Font"): generic.DictionaryObject({pdf_name("/Helv"): font})
            }),
        }, stream_data=ops))
        annot = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/Square"),
            pdf_name("/Rect"): number(*rect), pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/Contents"): generic.TextStringObject(text),
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): ap}),
        })
        w.register_annotation(page_ref, w.add_object(annot))

    return change


def fill_field(name: str, value: str) -> Any:
    """An update giving the text field ``name`` the value ``value`` and a new appearance."""

    def change(w: IncrementalPdfFileWriter) -> None:
        for ref in w.root["/AcroForm"]["/Fields"]:
            field = ref.get_object()
            if field.get("/T") != name:
                continue
            rect = [float(v) for v in field["/Rect"]]
            width, height = rect[2] - rect[0], rect[3] - rect[1]
            old_ap = field["/AP"]["/N"]
            ap = w.add_object(generic.StreamObject({
                pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): number(0, 0, width, height),
                pdf_name("/Resources"): old_ap["/Resources"],
            }, stream_data=b"BT /F1 14 Tf 2 %g Td (%s) Tj ET" % (height / 2 - 5, value.encode("latin-1"))))
            field["/V"] = generic.TextStringObject(value)
            field["/AP"] = generic.DictionaryObject({pdf_name("/N"): ap})
            w.update_container(field)
            return
        raise KeyError(name)

    return change


def add_page(w: IncrementalPdfFileWriter) -> None:
    font = w.add_object(generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type1"),
        pdf_name("/BaseFont"): pdf_name("/Helvetica"),
    }))
    content = generic.StreamObject(stream_data=text_ops(["Allegato aggiunto dopo la firma"]))
    w.insert_page(PageObject(
        contents=w.add_object(content), media_box=[0, 0, 595, 842],
        resources=generic.DictionaryObject({pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font})}),
    ))


def overwrite_content(lines: list[str]) -> Any:
    """An update giving the page's content stream (the same object) other text."""

    def change(w: IncrementalPdfFileWriter) -> None:
        page_ref, _res = w.find_page_for_modification(0)
        ref = page_ref.get_object().raw_get("/Contents").reference
        w.objects[(ref.generation, ref.idnum)] = generic.StreamObject(stream_data=text_ops(lines))

    return change


def save(folder: Path, name: str, pdf: bytes) -> None:
    (folder / name).write_bytes(pdf)
    print(f"{name}: {len(pdf)} bytes", file=sys.stderr)


# -- the group ---------------------------------------------------------------------------------


def main() -> None:
    pki = Pki()
    pki.write_trust(HERE)
    ada = pki.signer("Ada Blu")
    carlo = pki.signer("Carlo Verdi")
    blank_margin = (380.0, 80.0, 540.0, 120.0)  # bottom right: nothing printed there
    over_text = (66.0, 668.0, 420.0, 700.0)  # over "Oggetto: ..."

    approval = sign(base(), ada, "Firma")
    save(HERE, "approval.pdf", approval)

    # Validation data, then a document timestamp: LTA updates, allowed everywhere (even /P 1).
    certified_p1 = sign(base(), ada, "Firma", certify=fields.MDPPerm.NO_CHANGES)
    with tempfile.TemporaryDirectory() as tmp:
        out = io.BytesIO(certified_p1)
        sig_contents = _sig_contents(certified_p1)
        DocumentSecurityStore.add_dss(
            out, sig_contents, certs=[pki.asn1(pki.root)], force_write=True
        )
        with_dss = out.getvalue()
        del tmp
    save(HERE, "dss-after-certified-p1.pdf", with_dss)
    stamped = signers.PdfTimeStamper(pki.timestamper()).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(certified_p1)), "sha256"
    ).getvalue()
    save(HERE, "timestamp-after-certified-p1.pdf", stamped)

    # Form filling: an empty field on blank paper, filled after a /P 2 certification.
    with_field = base(text_field=("Protocollo", None, (380.0, 80.0, 540.0, 110.0)))
    certified_p2 = sign(with_field, ada, "Firma", certify=fields.MDPPerm.FILL_FORMS)
    save(HERE, "form-filled-certified-p2.pdf", update(certified_p2, fill_field("Protocollo", "Prot. 4471")))
    # ...and the same under /P 1: no form filling allowed.
    certified_p1f = sign(with_field, ada, "Firma", certify=fields.MDPPerm.NO_CHANGES)
    save(HERE, "form-filled-certified-p1.pdf", update(certified_p1f, fill_field("Protocollo", "Prot. 4471")))

    # Annotations: allowed at /P 3 and after approval signatures only, not at /P 2.
    certified_p3 = sign(base(), ada, "Firma", certify=fields.MDPPerm.ANNOTATE)
    save(HERE, "annotation-certified-p3.pdf", update(certified_p3, add_annotation(blank_margin, "visto")))
    certified_p2b = sign(base(), ada, "Firma", certify=fields.MDPPerm.FILL_FORMS)
    save(HERE, "annotation-certified-p2.pdf", update(certified_p2b, add_annotation(blank_margin, "visto")))
    save(HERE, "annotation-approval.pdf", update(approval, add_annotation(blank_margin, "visto")))
    # An annotation allowed by kind, laid opaque over the signed text: the page no longer shows it.
    save(HERE, "annotation-over-text-approval.pdf",
         update(approval, add_annotation(over_text, "Oggetto: acquisto di beni", opaque=True)))

    # A second signature with its stamp on blank paper, in a field made before the /P 2
    # certification (a new field after a certification is a change pyHanko and DSS refuse).
    with_sig_field = base(sig_field=("Visto", (380.0, 80.0, 540.0, 130.0)))
    certified_p2s = sign(with_sig_field, ada, "Firma", certify=fields.MDPPerm.FILL_FORMS)
    save(HERE, "second-signature-certified-p2.pdf", sign(certified_p2s, carlo, "Visto", stamp="Visto: %(signer)s"))
    # ...and in a new field made with it: not allowed after a certification.
    save(HERE, "second-signature-new-field-certified-p2.pdf",
         sign(certified_p2b, carlo, "Visto", box=(380, 80, 540, 130), stamp="Visto: %(signer)s"))

    # Pages and content: never allowed.
    save(HERE, "page-added.pdf", update(approval, add_page))
    save(HERE, "content-replaced.pdf",
         update(approval, overwrite_content([*LINES[:2], "Oggetto: acquisto di armi", *LINES[3:]])))


def _sig_contents(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import EmbeddedPdfSignature

    reader = PdfFileReader(io.BytesIO(pdf))
    field = reader.root["/AcroForm"]["/Fields"][0]
    return bytes(EmbeddedPdfSignature(reader, field, "Firma").pkcs7_content)


if __name__ == "__main__":
    main()
