"""Offline verification of the signatures in a PDF, reported in ETSI EN 319 102-1 terms.

Nothing is fetched from the network: trust comes only from the roots the caller passes, and
revocation information only from what the document itself carries (its DSS, PAdES LT). That is
why revocation checking defaults to soft-fail: the development PKI publishes neither CRLs nor
OCSP, and a B-B signature carries none.

Beyond pyHanko's own judgement, atti applies one policy of its own: after a signature only
further signatures, form filling, timestamps and validation data may be added. Annotations
added later leave the signed content intact but change what a reader sees, so the signature is
INDETERMINATE; any other change (a page added, content replaced) makes it TOTAL_FAILED.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESStatus
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import find_cms_attribute_iter
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from atti.errors import VerificationError

__all__ = ["SignatureReport", "VerificationReport", "load_trust_roots", "verify_pdf"]

Indication = Literal["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"]
RevocationMode = Literal["soft-fail", "hard-fail", "require"]

PASSED: Indication = "TOTAL_PASSED"
FAILED: Indication = "TOTAL_FAILED"
INDETERMINATE: Indication = "INDETERMINATE"
_SEVERITY = {PASSED: 0, INDETERMINATE: 1, FAILED: 2}
_SIGNATURE_SUBFILTERS = {"/adbe.pkcs7.detached", "/adbe.pkcs7.sha1", "/ETSI.CAdES.detached"}

# What atti accepts after a signature: later signatures, DSS/timestamps, form filling.
ALLOWED_AFTER_SIGNING = ModificationLevel.FORM_FILLING

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}

# cryptography prints these OIDs numerically by default; Italian certificates use them all.
_DN_NAMES = {
    NameOID.TITLE: "title",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.SURNAME: "SN",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.DN_QUALIFIER: "dnQualifier",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
}


@dataclass(frozen=True)
class SignatureReport:
    """One signature. ``sub_indication`` uses ETSI EN 319 102-1 names; ``message`` is for humans."""

    field_name: str
    indication: Indication
    sub_indication: str | None
    message: str
    signer: str
    signer_subject: str
    issuer: str
    signing_time: dt.datetime | None
    intact: bool
    valid: bool
    trusted: bool
    coverage: str | None
    modified_after: bool
    modification_level: str | None
    format: str

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["signing_time"] = self.signing_time.isoformat() if self.signing_time else None
        return d


@dataclass(frozen=True)
class VerificationReport:
    """All signatures of a document, in signing order; ``indication`` is the worst of them."""

    indication: Indication
    signatures: list[SignatureReport]

    @property
    def signer(self) -> str:
        """Signer of the last signature, the one that covers the most."""
        return self.signatures[-1].signer

    def to_dict(self) -> dict[str, Any]:
        return {
            "indication": self.indication,
            "signer": self.signer,
            "signatures": [s.to_dict() for s in self.signatures],
        }


# -- trust roots -------------------------------------------------------------------------------


def _parse_certs(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN" in data:
        if b"-----BEGIN CERTIFICATE-----" not in data:
            return []  # a PEM key or CSR: not a certificate file at all
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def load_trust_roots(paths: Iterable[Path]) -> list[x509.Certificate]:
    """Certificates from PEM/DER files, and from the .pem/.crt/.cer/.der files of directories.

    In a directory, files with other suffixes and PEM files without a certificate (such as the
    development CA's ``root.key.pem``) are skipped; a certificate file that does not parse is an
    error naming it, since silently trusting fewer roots would be worse.
    """
    roots: dict[bytes, x509.Certificate] = {}
    for path in map(Path, paths):
        if path.is_dir():
            candidates = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CERT_SUFFIXES
            )
            explicit = False
        elif path.exists():
            candidates, explicit = [path], True
        else:
            raise VerificationError(f"no such file or directory: {path}")
        for file in candidates:
            try:
                certs = _parse_certs(file.read_bytes())
            except OSError as e:
                raise VerificationError(f"cannot read {file}: {e.strerror}") from None
            except ValueError:
                raise VerificationError(f"not a PEM or DER certificate: {file}") from None
            if not certs and explicit:
                raise VerificationError(f"no certificate in {file}")
            for cert in certs:
                roots.setdefault(cert.fingerprint(hashes.SHA256()), cert)
    return list(roots.values())


# -- verification ------------------------------------------------------------------------------


def verify_pdf(
    pdf: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    revocation_mode: RevocationMode = "soft-fail",
    moment: dt.datetime | None = None,
) -> VerificationReport:
    """Verify every signature of ``pdf`` against ``trust_roots``, offline.

    ``revocation_mode`` is pyhanko-certvalidator's: "soft-fail" accepts certificates whose
    revocation status cannot be determined, "hard-fail" rejects them when the certificate names
    a CRL or OCSP source, "require" always demands revocation data. ``moment`` is the validation
    time (default: now), timezone-aware.

    Runs pyHanko's validation with ``asyncio.run``, so it cannot be called from a running event
    loop: use ``asyncio.to_thread`` there.
    """
    if _in_event_loop():
        # Otherwise every signature would fail inside pyHanko and be misreported as broken.
        raise RuntimeError("verify_pdf() cannot run inside an event loop; use asyncio.to_thread()")
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        if reader.security_handler is not None:
            raise VerificationError("the PDF is encrypted: atti verifies only unencrypted PDFs")
        found, timestamp_revisions = _collect(reader)
    except VerificationError:
        raise
    except Exception as e:  # a corrupt file can fail anywhere in the parser
        raise VerificationError(f"not a readable PDF: {_one_line(e)}") from e
    if not found:
        raise VerificationError("no signature in the PDF")

    vc_kwargs: dict[str, Any] = {
        "trust_roots": [translate_pyca_cryptography_cert_to_asn1(c) for c in trust_roots],
        "allow_fetching": False,
        "revocation_mode": revocation_mode,
        "moment": moment,
        # Without these certvalidator refuses "require" offline instead of reporting on it.
        "crls": [],
        "ocsps": [],
    }
    dss = _read_dss(reader)
    reports = []
    for field_name, item in found:
        if isinstance(item, str):
            reports.append(_unprocessable(field_name, item))
            continue
        # A context per signature: pyHanko closes it after each synchronous validation.
        vc = dss.as_validation_context(vc_kwargs) if dss is not None else ValidationContext(**vc_kwargs)
        try:
            sig_format = _format(reader, item, timestamp_revisions)
        except Exception:  # odd attributes make the level underivable, not the signature invalid
            sig_format = "unknown"
        reports.append(_verify_one(item, vc, sig_format))
    worst = max((r.indication for r in reports), key=_SEVERITY.__getitem__)
    return VerificationReport(indication=worst, signatures=reports)


def _collect(reader: PdfFileReader) -> tuple[list[tuple[str, EmbeddedPdfSignature | str]], list[int]]:
    """Signatures in signing order, each parsed or replaced by why it cannot be; and the
    revisions of the document timestamps.

    pyHanko's own collection fails as a whole on one broken signature and silently skips unknown
    subfilters; here either becomes a FORMAT_FAILURE of that signature alone.
    """
    signatures: list[tuple[int, str, EmbeddedPdfSignature | str]] = []
    timestamps: list[int] = []
    for fq_name, _value, field_ref in fields.enumerate_sig_fields(reader, filled_status=True):
        value_ref = field_ref.get_object().raw_get("/V")
        # The signature dictionary must be indirect; a direct one sorts last and fails below.
        revision = sys.maxsize
        if isinstance(value_ref, generic.IndirectObject):
            revision = reader.xrefs.get_last_change(value_ref.reference)
        sig_obj = value_ref.get_object()
        if sig_obj.get("/Type") == "/DocTimeStamp":
            timestamps.append(revision)
            continue
        item: EmbeddedPdfSignature | str
        try:
            subfilter = sig_obj.get("/SubFilter")
            if subfilter not in _SIGNATURE_SUBFILTERS:
                raise ValueError(f"unsupported /SubFilter {subfilter}")
            item = EmbeddedPdfSignature(reader, field_ref, str(fq_name))
            item.signer_cert  # noqa: B018  # fails here when the CMS lacks the signer's certificate
        except Exception as e:  # the CMS blob is attacker-controlled: any parse failure
            item = _one_line(e)
        signatures.append((revision, str(fq_name), item))
    signatures.sort(key=lambda t: t[0])
    return [(name, item) for _rev, name, item in signatures], timestamps


def _read_dss(reader: PdfFileReader) -> DocumentSecurityStore | None:
    """The document's own certificates and revocation data (PAdES LT), if any."""
    try:
        return DocumentSecurityStore.read_dss(reader)
    except Exception:  # NoDSSFoundError, or a damaged DSS: less validation data, still readable
        return None


def _unprocessable(field_name: str, why: str) -> SignatureReport:
    return SignatureReport(
        field_name=field_name,
        indication=FAILED,
        sub_indication=AdESFailure.FORMAT_FAILURE.name,
        message=f"the signature cannot be processed: {why}",
        signer="unknown",
        signer_subject="",
        issuer="",
        signing_time=None,
        intact=False,
        valid=False,
        trusted=False,
        coverage=None,
        modified_after=False,
        modification_level=None,
        format="unknown",
    )


def _verify_one(sig: EmbeddedPdfSignature, vc: ValidationContext, sig_format: str) -> SignatureReport:
    try:
        # cryptography is stricter than asn1crypto: a certificate pyHanko accepted may still fail here.
        signer_cert = _to_pyca(sig.signer_cert)
        status = validate_pdf_signature(sig, vc)
    except Exception as e:  # a malformed CMS blob can break validation anywhere
        return dataclasses.replace(_unprocessable(sig.field_name, _one_line(e)), format=sig_format)
    indication, sub, message = _classify(status)
    level = status.modification_level
    return SignatureReport(
        field_name=str(sig.field_name),
        indication=indication,
        sub_indication=sub,
        message=message,
        signer=_common_name(signer_cert.subject),
        signer_subject=signer_cert.subject.rfc4514_string(_DN_NAMES),
        issuer=signer_cert.issuer.rfc4514_string(_DN_NAMES),
        signing_time=_signing_time(sig, status),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        coverage=status.coverage.name if status.coverage is not None else None,
        modified_after=(
            level != ModificationLevel.NONE
            if level is not None
            else status.coverage != SignatureCoverageLevel.ENTIRE_FILE
        ),
        modification_level=level.name if level is not None else None,
        format=sig_format,
    )


def _classify(status: PdfSignatureStatus) -> tuple[Indication, str | None, str]:
    """Map pyHanko's status to (indication, sub-indication, message), first problem wins."""
    if not status.intact:
        return FAILED, AdESFailure.HASH_FAILURE.name, "the signed bytes were altered"
    if not status.valid:
        return FAILED, AdESFailure.SIG_CRYPTO_FAILURE.name, "the signature value does not verify"
    if status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION):
        return FAILED, AdESFailure.FORMAT_FAILURE.name, "the signature does not cover its whole revision"

    level = status.modification_level
    if status.docmdp_ok is False or level == ModificationLevel.OTHER:
        return FAILED, AdESFailure.FORMAT_FAILURE.name, "the PDF was changed after signing (not allowed)"

    indic = status.trust_problem_indic
    if indic is not None:
        indication = FAILED if indic.status == AdESStatus.FAILED else INDETERMINATE
        return indication, indic.standard_name, _TRUST_MESSAGES.get(indic, "the certificate is not trusted")
    if status.revoked:
        return FAILED, AdESFailure.REVOKED.name, "the signer's certificate is revoked"
    if not status.trusted:
        return INDETERMINATE, None, "the certificate is not trusted"
    ts = status.timestamp_validity
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        return INDETERMINATE, None, "the signature timestamp does not verify"
    if not status.seed_value_ok:
        return INDETERMINATE, AdESIndeterminate.SIG_CONSTRAINTS_FAILURE.name, "seed value constraints unmet"

    if level is not None and level > ALLOWED_AFTER_SIGNING:
        return INDETERMINATE, None, "annotations were added after signing"
    if level is None and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return INDETERMINATE, None, "the PDF was extended after signing and the change was not analysed"
    return PASSED, None, "the signature is valid"


_TRUST_MESSAGES = {
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND: "no chain to a trusted root",
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE: "the certificate was not valid at validation time",
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED: "the certificate was not valid at validation time",
    AdESIndeterminate.EXPIRED: "the certificate has expired",
    AdESIndeterminate.NOT_YET_VALID: "the certificate is not yet valid",
    AdESFailure.NOT_YET_VALID: "the certificate is not yet valid",
    AdESFailure.REVOKED: "the signer's certificate is revoked",
    AdESIndeterminate.REVOKED_NO_POE: "the signer's certificate is revoked",
    AdESIndeterminate.REVOKED_CA_NO_POE: "a CA certificate of the chain is revoked",
    AdESIndeterminate.TRY_LATER: "no revocation information is available",
    AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE: "the certificate is not fit for signing (key usage)",
    AdESIndeterminate.SIG_CONSTRAINTS_FAILURE: "the certificate is not fit for signing (key usage)",
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE: "the algorithms used are no longer acceptable",
    AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE: (
        "the certificate chain does not validate (revocation data missing, or not valid at that time)"
    ),
}


def _signing_time(sig: EmbeddedPdfSignature, status: PdfSignatureStatus) -> dt.datetime | None:
    """A trusted signature timestamp when there is one, else the time the signer claims."""
    ts = status.timestamp_validity
    if ts is not None and ts.trusted:
        when: dt.datetime = ts.timestamp
        return when
    return sig.self_reported_timestamp


def _format(reader: PdfFileReader, sig: EmbeddedPdfSignature, timestamp_revisions: list[int]) -> str:
    """ETSI level as the EU DSS names it: PAdES-BASELINE-B/T/LT/LTA, or PKCS7-* for Adobe subfilters."""
    subfilter = str(sig.sig_object.get("/SubFilter", ""))
    signed_attrs = sig.signer_info["signed_attrs"]
    if subfilter == "/ETSI.CAdES.detached":
        has_cert_ref = _has_attr(signed_attrs, "signing_certificate_v2") or _has_attr(
            signed_attrs, "signing_certificate"
        )
        # PAdES baseline requires the ESS certificate reference and forbids the CMS signing-time.
        if not has_cert_ref or _has_attr(signed_attrs, "signing_time"):
            return "PAdES"
        family = "PAdES-BASELINE"
    elif subfilter in ("/adbe.pkcs7.detached", "/adbe.pkcs7.sha1"):
        family = "PKCS7"
    else:
        return subfilter.lstrip("/") or "unknown"

    level = "B"
    unsigned = sig.signer_info["unsigned_attrs"]
    if _has_attr(unsigned, "signature_time_stamp_token"):
        level = "T"
        dss = reader.root.get("/DSS")
        if dss is not None and ("/OCSPs" in dss or "/CRLs" in dss):
            level = "LT"
            if any(rev > sig.signed_revision for rev in timestamp_revisions):
                level = "LTA"
    return f"{family}-{level}"


def _has_attr(attrs: Any, name: str) -> bool:
    # An absent attribute set is an asn1crypto Void, whose .native is None.
    return attrs.native is not None and any(True for _ in find_cms_attribute_iter(attrs, name))


def _to_pyca(cert: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string(_DN_NAMES)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__
