"""Offline verification of the signatures in a PDF, reported in ETSI EN 319 102-1 terms.

Nothing is fetched from the network: trust comes only from the roots the caller passes, and
revocation information only from what the document itself carries (its DSS, PAdES LT). That is
why revocation checking defaults to soft-fail: the development PKI publishes neither CRLs nor
OCSP, and a B-B signature carries none.

Every signature and every document timestamp gets its own indication; the document's is the
worst of them, made at least INDETERMINATE when the caller expects a firmatario whom no signer
certificate names.

Changes after a signature are judged by the permissions in force for it (:mod:`.changes`): the
certification's DocMDP /P, the signature's own DocMDP or its field's /Lock /P; with none (only
approval signatures), ISO 32000 leaves the document open to further signatures, form filling,
validation data, document timestamps and annotations. A change the permissions do not allow
(a page added or removed, content replaced, an annotation under /P 2, anything under /P 1 but
validation data and timestamps) makes the signature TOTAL_FAILED (FORMAT_FAILURE), as the EU
DSS does for DocMDP, FieldMDP and page differences. Allowed changes must also leave what a
reader sees as it was signed: the pages a later revision touches are rendered then and now and
compared, and any difference beyond an allowed addition on blank paper (a shadow attack: an
overlay hidden, a field's signed value replaced, both) makes the signature INDETERMINATE
(SIG_CONSTRAINTS_FAILURE), never TOTAL_PASSED; so does a comparison that could not be made.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import io
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESStatus
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import find_cms_attribute_iter
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    TimestampSignatureStatus,
)
from pyhanko_certvalidator import ValidationContext

from atti.errors import VerificationError
from atti.i18n import N_, _, translate
from atti.signing import byterange
from atti.signing.changes import Permissions, Visual, annotations_only, permissions_in_force, visual_changes
from atti.signing.identity import DN_NAMES, common_name, names_person
from atti.signing.qualified import Qualification, embedded_certificates, qualify
from atti.signing.trust import TrustedList

__all__ = [
    "DocumentTimestampReport",
    "FirmatarioCheck",
    "SignatureReport",
    "TimestampInfo",
    "VerificationReport",
    "act_source",
    "load_trust_roots",
    "signed_act_source",
    "verify_pdf",
]

Indication = Literal["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"]
RevocationMode = Literal["soft-fail", "hard-fail", "require"]

PASSED: Indication = "TOTAL_PASSED"
FAILED: Indication = "TOTAL_FAILED"
INDETERMINATE: Indication = "INDETERMINATE"
_SEVERITY = {PASSED: 0, INDETERMINATE: 1, FAILED: 2}
_SIGNATURE_SUBFILTERS = {"/adbe.pkcs7.detached", "/adbe.pkcs7.sha1", "/ETSI.CAdES.detached"}
_TIMESTAMP_SUBFILTERS = {"/ETSI.RFC3161"}

# What atti accepts after a signature whose document has no DocMDP and no lock (ISO 32000-2
# 12.8.2.2): later signatures, DSS/timestamps, form filling, annotations. With permissions,
# :func:`atti.signing.changes.permissions_in_force` gives the level.
ALLOWED_AFTER_SIGNING = ModificationLevel.ANNOTATIONS

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}

# What pyHanko's diff analysis found after a signature, in words a reviewer can act on.
_CHANGES = {
    ModificationLevel.LTA_UPDATES: N_("validation data or document timestamps were added"),
    ModificationLevel.FORM_FILLING: N_("further signatures or form field values were added"),
    ModificationLevel.ANNOTATIONS: N_("annotations were added or changed"),
    ModificationLevel.OTHER: N_("the content or structure of the document was changed"),
}
# What a signature covers, as the text report says it (the JSON keeps the English of _COVERS).
_COVERS_TEXT = {
    "entire file": N_("covers the entire file"),
    "entire revision": N_("covers the entire revision"),
    "partial": N_("covers part of the file"),
}
_COVERS = {
    "ENTIRE_FILE": "entire file",
    "ENTIRE_REVISION": "entire revision",
}


def _covers(coverage: str | None) -> str | None:
    """ "entire file", "entire revision" (the file was extended afterwards) or "partial"; None
    when the coverage could not be read."""
    return None if coverage is None else _COVERS.get(coverage, "partial")


def _covers_text(covers: str) -> str:
    return translate(_COVERS_TEXT[covers]) if covers in _COVERS_TEXT else _("covers the {what}").format(what=covers)


def _intact_text(intact: bool | None) -> str:
    if intact is None:
        return _("signed bytes: could not be checked")
    return _("signed bytes: intact") if intact else _("signed bytes: ALTERED")


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when else None


def _text_time(when: dt.datetime | None) -> str:
    return f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC" if when else _("not given")


@dataclass(frozen=True)
class TimestampInfo:
    """The signature timestamp inside a signature's CMS (PAdES B-T): who stamped it, and when."""

    tsa: str
    time: dt.datetime
    indication: Indication
    sub_indication: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "time": self.time.isoformat()}


@dataclass(frozen=True)
class SignatureReport:
    """One signature. ``sub_indication`` uses ETSI EN 319 102-1 names; ``message`` is for humans.

    ``signing_time`` is what the signer claims; ``best_signature_time`` is proven by a trusted
    timestamp (the signature's own, or a document timestamp over it), and None without one.
    """

    field_name: str
    indication: Indication
    sub_indication: str | None
    message: str
    signer: str | None  # None (null) when the signer's certificate could not be read
    signer_subject: str | None
    issuer: str | None
    signing_time: dt.datetime | None
    best_signature_time: dt.datetime | None
    timestamp: TimestampInfo | None
    intact: bool | None  # the byte ranges' digest matches the CMS; None when undecidable
    valid: bool
    trusted: bool
    coverage: str | None
    modified_after: bool
    modification_level: str | None
    modification: str | None
    format: str | None
    qualification: Qualification | None = None  # qualificata / avanzata / non qualificata, and why

    @property
    def covers(self) -> str | None:
        return _covers(self.coverage)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["signing_time"] = _iso(self.signing_time)
        d["best_signature_time"] = _iso(self.best_signature_time)
        d["timestamp"] = self.timestamp.to_dict() if self.timestamp else None
        d["covers"] = self.covers
        d["qualification"] = self.qualification.to_dict() if self.qualification else None
        return d


@dataclass(frozen=True)
class DocumentTimestampReport:
    """One document timestamp (PAdES B-LTA, or B-T over a B-B signature)."""

    field_name: str
    indication: Indication
    sub_indication: str | None
    message: str
    tsa: str | None
    tsa_subject: str | None
    issuer: str | None
    time: dt.datetime | None
    intact: bool | None
    valid: bool
    trusted: bool
    coverage: str | None
    modified_after: bool
    modification_level: str | None
    modification: str | None

    @property
    def covers(self) -> str | None:
        return _covers(self.coverage)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "time": _iso(self.time), "covers": self.covers}


@dataclass(frozen=True)
class FirmatarioCheck:
    """Whether a signer certificate names the act's firmatario (``expected``)."""

    expected: str
    matches: bool
    signers: tuple[str, ...]
    source: str | None = None  # where ``expected`` comes from: an act file, the attached YAML

    @property
    def message(self) -> str:
        if self.matches:
            return _("the signer certificate names the act's firmatario, {name}").format(name=self.expected)
        if not self.signers:
            return _("no signer certificate names anybody, the act's firmatario is {name}").format(name=self.expected)
        if len(self.signers) == 1:
            message = _("the signer certificate names {names}, the act's firmatario is {name}")
        else:
            message = _("the signer certificates name {names}, the act's firmatario is {name}")
        return message.format(names=", ".join(self.signers), name=self.expected)

    def to_dict(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "matches": self.matches,
            "signers": list(self.signers),
            "source": self.source,
            "message": self.message,
        }


@dataclass(frozen=True)
class VerificationReport:
    """All signatures of a document in signing order, and its document timestamps.

    ``indication`` is the worst of them all, at least INDETERMINATE when ``firmatario`` does not
    match; ``sub_indication`` and ``message`` are those of the item that decided it.
    """

    indication: Indication
    signatures: list[SignatureReport]
    timestamps: list[DocumentTimestampReport] = dataclasses.field(default_factory=list)
    sub_indication: str | None = None
    message: str = ""
    firmatario: FirmatarioCheck | None = None  # the first firmatario not named, else the first
    firmatari: tuple[FirmatarioCheck, ...] = ()  # one per firmatario, in signing order
    validation_time: dt.datetime | None = None
    sha256: str = ""
    trust: tuple[str, ...] = ()  # where the trust roots came from, for the reader of the report
    notes: tuple[str, ...] = ()

    @property
    def signer(self) -> str | None:
        """Signer of the last signature, the one that covers the most."""
        return self.signatures[-1].signer

    def to_text(self, label: str) -> str:
        """A verdict line ``INDICATION  label``, then what a reviewer needs, item by item."""
        lines = [f"{self.indication}  {label}"]
        none = _("none")
        if self.indication != PASSED:
            sub = f" ({self.sub_indication})" if self.sub_indication else ""
            lines.append("  " + _("why: {message}").format(message=self.message) + sub)
        for s in self.signatures:
            sub = f"/{s.sub_indication}" if s.sub_indication else ""
            signed_by = (
                _(", signed by {signer} (issuer {issuer})").format(signer=s.signer, issuer=s.issuer)
                if s.signer is not None else ""
            )
            lines.append(f"  {s.field_name}: {s.indication}{sub}{signed_by}")
            if s.indication != PASSED:
                lines.append(f"    {s.message}")
            read = [_("format: {format}").format(format=s.format)] if s.format else []
            read += [_covers_text(s.covers)] if s.covers else []
            read += [_intact_text(s.intact)]
            lines.append(f"    {'; '.join(read)}")
            if s.signer is None:
                continue  # nothing else could be read: claim nothing
            lines.append("    " + _("changes after signing: {changes}").format(changes=s.modification or none))
            lines.append("    " + _("signing time (claimed): {time}").format(time=_text_time(s.signing_time)))
            proven = (_text_time(s.best_signature_time) if s.best_signature_time
                      else _("none (no valid timestamp)"))
            lines.append("    " + _("best signature time: {time}").format(time=proven))
            if s.timestamp:
                st = s.timestamp
                tsub = f"/{st.sub_indication}" if st.sub_indication else ""
                lines.append("    " + _("signature timestamp: {verdict}, {tsa}, {time}").format(
                    verdict=f"{st.indication}{tsub}", tsa=st.tsa, time=_text_time(st.time)))
            if s.qualification:
                lines.append("    " + _("qualification: {level}: {reason}").format(
                    level=s.qualification.level, reason=s.qualification.reason))
        for t in self.timestamps:
            sub = f"/{t.sub_indication}" if t.sub_indication else ""
            by = f", TSA {t.tsa}, {_text_time(t.time)}" if t.tsa is not None else ""
            lines.append("  " + _("document timestamp {field}: {verdict}").format(
                field=t.field_name, verdict=f"{t.indication}{sub}{by}"))
            if t.indication != PASSED:
                lines.append(f"    {t.message}")
            covered = f"{_covers_text(t.covers)}; " if t.covers else ""
            lines.append(f"    {covered}{_intact_text(t.intact)}; "
                         + _("changes after it: {changes}").format(changes=t.modification or none))
        for f in self.firmatari or ((self.firmatario,) if self.firmatario is not None else ()):
            source = _(" (from {source})").format(source=f.source) if f.source else ""
            verdict = _("matches") if f.matches else _("DOES NOT MATCH")
            lines.append(f"  firmatario{source}: {verdict}: {f.message}")
        lines += ["  " + _("trust: {source}").format(source=source) for source in self.trust]
        lines += ["  " + _("note: {note}").format(note=n) for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "message": self.message,
            "signer": self.signer,
            "signatures": [s.to_dict() for s in self.signatures],
            "timestamps": [t.to_dict() for t in self.timestamps],
            "firmatario": self.firmatario.to_dict() if self.firmatario else None,
            "firmatari": [f.to_dict() for f in self.firmatari],
            "validation_time": _iso(self.validation_time),
            "sha256": self.sha256,
            "trust": list(self.trust),
            "notes": list(self.notes),
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
            raise VerificationError(_("no such file or directory: {path}").format(path=path))
        for file in candidates:
            try:
                certs = _parse_certs(file.read_bytes())
            except OSError as e:
                raise VerificationError(
                    _("cannot read {path}: {reason}").format(path=file, reason=e.strerror)
                ) from None
            except ValueError:
                raise VerificationError(_("not a PEM or DER certificate: {path}").format(path=file)) from None
            if not certs and explicit:
                raise VerificationError(_("no certificate in {path}").format(path=file))
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
    expected_signer: str | None = None,
    tsa_roots: Sequence[x509.Certificate] = (),
    trusted_lists: Sequence[TrustedList] = (),
    expected_signers: Sequence[str] = (),
) -> VerificationReport:
    """Verify every signature and document timestamp of ``pdf`` against ``trust_roots``, offline.

    ``revocation_mode`` is pyhanko-certvalidator's: "soft-fail" accepts certificates whose
    revocation status cannot be determined, "hard-fail" rejects them when the certificate names
    a CRL or OCSP source, "require" always demands revocation data. ``moment`` is the validation
    time (default: now), timezone-aware. ``expected_signer`` is the act's firmatario: when no
    signer certificate names them, the document is at best INDETERMINATE; ``expected_signers``
    are the firmatari of an act several people sign, each of whom a signer certificate must
    name (a check each in the report's ``firmatari``). ``tsa_roots`` are
    trusted for timestamps only (a trusted list's TSA services), besides ``trust_roots``.
    ``trusted_lists`` decide whether each signature is qualified (:mod:`atti.signing.qualified`).

    Runs pyHanko's validation with ``asyncio.run``, so it cannot be called from a running event
    loop: use ``asyncio.to_thread`` there.
    """
    if _in_event_loop():
        # Otherwise every signature would fail inside pyHanko and be misreported as broken.
        raise RuntimeError("verify_pdf() cannot run inside an event loop; use asyncio.to_thread()")
    expected = [expected_signer] if expected_signer is not None else list(expected_signers)
    notes: list[str] = []
    try:
        reader, found, stamps, lenient = _read(pdf)
    except VerificationError:
        raise
    except Exception as e:  # a corrupt file can fail anywhere in the parser
        when = moment or dt.datetime.now(dt.UTC)
        contexts = _Contexts(trust_roots, tsa_roots, revocation_mode, when, None, trusted_lists)
        scanned, scanned_stamps = _scanned(pdf, _one_line(e), contexts)
        if not scanned:
            raise VerificationError(_("not a readable PDF: {reason}").format(reason=_one_line(e))) from e
        notes.append(
            _("the PDF's object structure cannot be read ({reason}): signatures found in its bytes")
            .format(reason=_one_line(e))
        )
        signers = [(r.signer, cert) for r, cert in scanned if cert is not None and r.signer is not None]
        return _report(pdf, [r for r, _ in scanned], scanned_stamps, when, expected, signers, notes)
    if lenient:
        notes.append(_("the PDF was read leniently: {why}").format(why=lenient))
    if not found:
        if stamps:
            raise VerificationError(_("no signature in the PDF (only document timestamps)"))
        raise VerificationError(_("no signature in the PDF"))

    when = moment or dt.datetime.now(dt.UTC)
    dss = _read_dss(reader)
    contexts = _Contexts(trust_roots, tsa_roots, revocation_mode, when, dss, trusted_lists)

    ts_reports: list[tuple[int, DocumentTimestampReport]] = []
    for _name, item in stamps:
        if isinstance(item, DocumentTimestampReport):
            ts_reports.append((sys.maxsize, item))
        elif isinstance(item, SignatureReport):
            raise AssertionError("a signature among the timestamps")
        else:
            ts_reports.append((item.signed_revision, _verify_timestamp(reader, item, contexts)))
    # A document timestamp proves that every revision before its own existed at its time.
    proofs = [(rev, r.time) for rev, r in ts_reports if r.indication == PASSED and r.time is not None]
    layout = _Layout.of(reader, [rev for rev, _ in ts_reports], dss)

    reports: list[SignatureReport] = []
    names: list[tuple[str, x509.Certificate]] = []
    for _field_name, item in found:
        if isinstance(item, SignatureReport):
            reports.append(item)
            continue
        if isinstance(item, DocumentTimestampReport):
            raise AssertionError("a timestamp among the signatures")
        try:
            sig_format = _format(item, layout)
        except Exception:  # odd attributes make the level underivable, not the signature invalid
            sig_format = "unknown"
        if item.signed_data["encap_content_info"]["content"].native is not None:
            reports.append(_encapsulated(pdf, item, sig_format))
            continue
        report, cert = _verify_one(reader, item, contexts, sig_format, proofs)
        reports.append(report)
        if cert is not None and report.signer is not None:
            names.append((report.signer, cert))
    return _report(pdf, reports, [r for _rev, r in ts_reports], when, expected, names, notes)


def _report(
    pdf: bytes,
    reports: list[SignatureReport],
    timestamps: list[DocumentTimestampReport],
    when: dt.datetime | None,
    expected: list[str],
    signers: list[tuple[str, x509.Certificate]],
    notes: list[str],
) -> VerificationReport:
    """The document's verdict: the worst of its items, and the check of each firmatario."""
    items: list[SignatureReport | DocumentTimestampReport] = [*reports, *timestamps]
    decisive = max(items, key=lambda r: _SEVERITY[r.indication])
    indication, sub, message = decisive.indication, decisive.sub_indication, decisive.message
    names = tuple(dict.fromkeys(name for name, _cert in signers))
    checks = tuple(
        FirmatarioCheck(
            expected=" ".join(person.split()),
            matches=any(names_person(cert, person) for _name, cert in signers),
            signers=names,
        )
        for person in expected
    )
    failed = [c for c in checks if not c.matches]
    if failed and indication == PASSED:
        # ETSI's word for "valid, but not under the constraints the verifier set".
        indication, sub = INDETERMINATE, AdESIndeterminate.SIG_CONSTRAINTS_FAILURE.name
        message = failed[0].message
    return VerificationReport(
        indication=indication,
        signatures=reports,
        timestamps=timestamps,
        sub_indication=sub,
        message=message,
        firmatario=next(iter(failed or checks), None),
        firmatari=checks,
        validation_time=when,
        sha256=hashlib.sha256(pdf).hexdigest(),
        notes=tuple(notes),
    )


@dataclass
class _Contexts:
    """Builds validation contexts: pyHanko closes one after each synchronous validation."""

    roots: Sequence[x509.Certificate]
    tsa_roots: Sequence[x509.Certificate]
    revocation_mode: RevocationMode
    moment: dt.datetime
    dss: DocumentSecurityStore | None
    trusted_lists: Sequence[TrustedList] = ()

    def signer(self) -> ValidationContext:
        return self._make(self.roots)

    def timestamp(self) -> ValidationContext:
        return self._make([*self.roots, *self.tsa_roots])

    def _make(self, roots: Sequence[x509.Certificate]) -> ValidationContext:
        kwargs: dict[str, Any] = {
            "trust_roots": [translate_pyca_cryptography_cert_to_asn1(c) for c in roots],
            "allow_fetching": False,
            "revocation_mode": self.revocation_mode,
            "moment": self.moment,
            # Without these certvalidator refuses "require" offline instead of reporting on it.
            "crls": [],
            "ocsps": [],
        }
        return self.dss.as_validation_context(kwargs) if self.dss is not None else ValidationContext(**kwargs)


_Item = EmbeddedPdfSignature | SignatureReport | DocumentTimestampReport
_Found = list[tuple[str, _Item]]


class _DocumentTimestamp(EmbeddedPdfSignature):
    """A document timestamp whose dictionary says /Type /Sig or nothing: ISO 32000-2 12.8.5 and
    ETSI EN 319 142-1 know it by its /SubFilter /ETSI.RFC3161, and so does the EU DSS."""

    @property
    def sig_object_type(self) -> generic.NameObject:
        return generic.NameObject("/DocTimeStamp")


def _read(pdf: bytes) -> tuple[PdfFileReader, _Found, _Found, str | None]:
    """The reader, the signatures and the timestamps, and why the file was read leniently.

    The strict reader comes first; a file it cannot read, or a hybrid-reference file (which
    pyHanko refuses to validate strictly), is read again with ``strict=False``, as other
    validators read it. Either way the digest of the signed bytes is checked on its own.
    """
    why: str | None = None
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        if reader.security_handler is not None:
            raise VerificationError(_("the PDF is encrypted: atti verifies only unencrypted PDFs"))
        if reader.xrefs.hybrid_xrefs_present:
            why = _("it has hybrid cross-references (/XRefStm)")
        else:
            found, stamps = _collect(pdf, reader)
            return reader, found, stamps, None
    except VerificationError:
        raise
    except Exception as e:  # the strict parser gave up: try the lenient one before judging the file
        why = _("the strict parser failed ({reason})").format(reason=_one_line(e))
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if reader.security_handler is not None:
        raise VerificationError(_("the PDF is encrypted: atti verifies only unencrypted PDFs"))
    found, stamps = _collect(pdf, reader)
    return reader, found, stamps, why


def _collect(pdf: bytes, reader: PdfFileReader) -> tuple[_Found, _Found]:
    """Signatures and document timestamps in document order, each parsed or replaced by the
    report of why it cannot be.

    One item per signature dictionary, however many fields name it as their /V; a document
    timestamp is known by its /SubFilter whatever its /Type. pyHanko's own collection fails as
    a whole on one broken signature and silently skips unknown subfilters; here either becomes
    the report of that signature alone.
    """
    signatures: list[tuple[int, str, _Item]] = []
    timestamps: list[tuple[int, str, _Item]] = []
    seen: set[Any] = set()
    for fq_name, _value, field_ref in fields.enumerate_sig_fields(reader, filled_status=True):
        value_ref = field_ref.get_object().raw_get("/V")
        # The signature dictionary must be indirect; a direct one sorts last and fails below.
        revision = sys.maxsize
        if isinstance(value_ref, generic.IndirectObject):
            if value_ref.reference in seen:
                continue
            seen.add(value_ref.reference)
            revision = reader.xrefs.get_last_change(value_ref.reference)
        sig_obj = value_ref.get_object()
        subfilter = sig_obj.get("/SubFilter")
        is_timestamp = subfilter in _TIMESTAMP_SUBFILTERS or sig_obj.get("/Type") == "/DocTimeStamp"
        allowed = _TIMESTAMP_SUBFILTERS if is_timestamp else _SIGNATURE_SUBFILTERS
        name = str(fq_name)
        item: _Item
        try:
            if subfilter not in allowed:
                item = _unprocessable_item(
                    name, is_timestamp, FAILED, _("unsupported /SubFilter {subfilter}").format(subfilter=subfilter),
                    _integrity(pdf, sig_obj),
                )
            else:
                kind = _DocumentTimestamp if is_timestamp else EmbeddedPdfSignature
                item = kind(reader, field_ref, name)
                item.signer_cert  # noqa: B018  # fails here when the CMS lacks the signer's certificate
        except Exception as e:  # the CMS blob is attacker-controlled: any parse failure
            item = _damaged(pdf, name, is_timestamp, sig_obj, e)
        (timestamps if is_timestamp else signatures).append((revision, name, item))
    signatures.sort(key=lambda t: t[0])
    timestamps.sort(key=lambda t: t[0])
    return [(n, i) for _r, n, i in signatures], [(n, i) for _r, n, i in timestamps]


def _integrity(pdf: bytes, sig_obj: Any) -> byterange.Integrity:
    """The byte-range check of a signature dictionary, from its parsed entries."""
    try:
        br = [int(x) for x in sig_obj.raw_get("/ByteRange")]
        contents = sig_obj.raw_get("/Contents")
        data = contents.original_bytes if isinstance(contents, generic.ByteStringObject) else bytes(contents)
        subfilter = sig_obj.get("/SubFilter")
        return byterange.check_integrity(pdf, br, data, str(subfilter) if subfilter is not None else None)
    except Exception as e:  # a /ByteRange or /Contents that is not what it should be
        return byterange.Integrity(None, f"its /ByteRange or /Contents cannot be read ({_one_line(e)})")


def _damaged(pdf: bytes, name: str, is_timestamp: bool, sig_obj: Any, e: Exception) -> _Item:
    """The report of a signature pyHanko could not take up: what failed, nothing claimed."""
    integrity = _integrity(pdf, sig_obj)
    if integrity.reason is not None and integrity.reason.startswith("the CMS cannot be read"):
        # The file itself is not conformant: EN 319 102-1 5.2.2 format checking fails.
        message = (_("the document timestamp's CMS cannot be read: {reason}") if is_timestamp
                   else _("the signature's CMS cannot be read: {reason}")).format(reason=_one_line(e))
        return _unprocessable_item(name, is_timestamp, FAILED, message, integrity)
    text = _one_line(e)
    if "signer certificate not included" in text or "signer_cert" in text.lower():
        missing = (_("the signer's certificate is not in the document timestamp's CMS") if is_timestamp
                   else _("the signer's certificate is not in the signature's CMS"))
        return _unprocessable_item(
            name, is_timestamp, INDETERMINATE, missing, integrity,
            sub=AdESIndeterminate.NO_SIGNING_CERTIFICATE_FOUND.name,
        )
    if "signer_infos should contain exactly one entry" in text:
        text = _("its CMS has more than one SignerInfo; a PDF signature has exactly one signer (ISO 32000-2 12.8.3.3)")
    unprocessed = (_("the document timestamp cannot be processed: {reason}") if is_timestamp
                   else _("the signature cannot be processed: {reason}")).format(reason=text)
    return _unprocessable_item(name, is_timestamp, INDETERMINATE, unprocessed, integrity)


def _scanned(
    pdf: bytes, why: str, contexts: _Contexts
) -> tuple[list[tuple[SignatureReport, x509.Certificate | None]], list[DocumentTimestampReport]]:
    """What the raw bytes show when no PDF reader can read the object structure: every
    signature with the integrity of its byte ranges. One that covers the entire file (nothing
    was added after it, so what any reader shows is what was signed) is validated from its CMS
    alone, as a validator that repairs the structure would; the others, and every document
    timestamp, are INDETERMINATE/FORMAT_FAILURE: what changed after them cannot be told."""
    signatures: list[tuple[SignatureReport, x509.Certificate | None]] = []
    timestamps: list[DocumentTimestampReport] = []
    for i, raw in enumerate(byterange.scan(pdf), start=1):
        integrity = byterange.check_integrity(pdf, raw.byte_range, raw.contents, raw.subfilter)
        label = _("signature {number} (by byte range)").format(number=i)
        a, b, c, d = raw.byte_range if len(raw.byte_range) == 4 else (0, 0, 0, -1)
        covers_all = c + d in (len(pdf), len(pdf.rstrip(b"\r\n")))  # trailing end-of-line allowed
        if not raw.is_timestamp and integrity.intact and covers_all:
            found = _whole_file_cms(pdf[a:a + b] + pdf[c:c + d], raw, label, why, contexts)
            if found is not None:
                signatures.append(found)
                continue
        message = _("the PDF's object structure cannot be read ({why}); the signature was found in its bytes").format(
            why=why)
        item = _unprocessable_item(label, raw.is_timestamp, INDETERMINATE, message, integrity)
        if isinstance(item, DocumentTimestampReport):
            timestamps.append(item)
        else:
            signatures.append((item, None))
    return signatures, timestamps


def _whole_file_cms(
    signed: bytes, raw: byterange.RawSignature, label: str, why: str, contexts: _Contexts
) -> tuple[SignatureReport, x509.Certificate] | None:
    """A signature over the entire file validated from its CMS and the signed bytes alone (no
    object structure needed: nothing came after it); None when the CMS cannot be taken up."""
    from asn1crypto import cms as asn1_cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    try:
        signed_data = asn1_cms.ContentInfo.load(raw.contents.rstrip(b"\0"), strict=False)["content"]
        status = asyncio.run(async_validate_detached_cms(
            signed, signed_data, signer_validation_context=contexts.signer(),
            ts_validation_context=contexts.timestamp(),
            key_usage_settings=PdfSignatureStatus.default_usage_constraints(None),
        ))
        cert = _to_pyca(status.signing_cert)
    except Exception:  # a CMS pyHanko cannot take up: reported as found in the bytes
        return None
    if not status.valid:
        indication, sub, message = FAILED, AdESFailure.SIG_CRYPTO_FAILURE.name, _("the signature value does not verify")
    elif status.trust_problem_indic is not None:
        indic = status.trust_problem_indic
        indication = FAILED if indic.status == AdESStatus.FAILED else INDETERMINATE
        sub, message = indic.standard_name, _trust_message(indic, N_("the certificate is not trusted"))
    elif status.revoked:
        indication, sub, message = FAILED, AdESFailure.REVOKED.name, _("the signer's certificate is revoked")
    elif not status.trusted:
        indication, sub, message = INDETERMINATE, None, _("the certificate is not trusted")
    else:
        indication, sub, message = PASSED, None, _("the signature is valid")
    message += _(
        "; the PDF's object structure cannot be read ({why}), but the signature covers the entire file"
    ).format(why=why)
    timestamp = _timestamp_info(status.timestamp_validity)
    if timestamp is not None and timestamp.indication != PASSED and indication == PASSED:
        indication, sub, message = INDETERMINATE, timestamp.sub_indication, _("the signature timestamp does not verify")
    proven = timestamp.time if timestamp is not None and timestamp.indication == PASSED else None
    claimed = status.signer_reported_dt
    report = SignatureReport(
        field_name=label, indication=indication, sub_indication=sub, message=message,
        signer=common_name(cert.subject), signer_subject=cert.subject.rfc4514_string(DN_NAMES),
        issuer=cert.issuer.rfc4514_string(DN_NAMES), signing_time=claimed, best_signature_time=proven,
        timestamp=timestamp, intact=status.intact, valid=status.valid, trusted=status.trusted,
        coverage=SignatureCoverageLevel.ENTIRE_FILE.name, modified_after=False, modification_level=None,
        modification=None,
        # Nothing came after it, so no DSS nor document timestamp: B, or T with its own timestamp.
        format=f"{'PAdES-BASELINE' if raw.subfilter == '/ETSI.CAdES.detached' else 'PKCS7'}-{'BT'[bool(timestamp)]}",
        qualification=qualify(cert, proven or claimed or contexts.moment, contexts.trusted_lists,
                              chain=embedded_certificates(signed_data)),
    )
    return report, cert


def _read_dss(reader: PdfFileReader) -> DocumentSecurityStore | None:
    """The document's own certificates and revocation data (PAdES LT), if any."""
    try:
        return DocumentSecurityStore.read_dss(reader)
    except Exception:  # NoDSSFoundError, or a damaged DSS: less validation data, still readable
        return None


def _unprocessable_item(
    field_name: str,
    is_timestamp: bool,
    indication: Indication,
    message: str,
    integrity: byterange.Integrity,
    sub: str | None = None,
) -> SignatureReport | DocumentTimestampReport:
    """A signature or timestamp that could not be validated: ``message`` says what failed, and
    ``intact`` is the byte-range check's, never a guess; nothing else is claimed."""
    if integrity.intact is False:
        indication, sub = FAILED, AdESFailure.HASH_FAILURE.name
        message += _("; and the signed bytes were altered")
    if is_timestamp:
        return _unprocessable_timestamp(field_name, message, indication, integrity.intact, sub)
    return _unprocessable(field_name, message, indication, integrity.intact, sub)


def _unprocessable(
    field_name: str,
    message: str,
    indication: Indication = INDETERMINATE,
    intact: bool | None = None,
    sub: str | None = None,
) -> SignatureReport:
    return SignatureReport(
        field_name=field_name,
        indication=indication,
        sub_indication=sub or AdESFailure.FORMAT_FAILURE.name,
        message=message,
        signer=None,
        signer_subject=None,
        issuer=None,
        signing_time=None,
        best_signature_time=None,
        timestamp=None,
        intact=intact,
        valid=False,
        trusted=False,
        coverage=None,
        modified_after=False,
        modification_level=None,
        modification=None,
        format=None,
    )


def _unprocessable_timestamp(
    field_name: str,
    message: str,
    indication: Indication = INDETERMINATE,
    intact: bool | None = None,
    sub: str | None = None,
) -> DocumentTimestampReport:
    return DocumentTimestampReport(
        field_name=field_name,
        indication=indication,
        sub_indication=sub or AdESFailure.FORMAT_FAILURE.name,
        message=message,
        tsa=None,
        tsa_subject=None,
        issuer=None,
        time=None,
        intact=intact,
        valid=False,
        trusted=False,
        coverage=None,
        modified_after=False,
        modification_level=None,
        modification=None,
    )


def _verify_one(
    reader: PdfFileReader,
    sig: EmbeddedPdfSignature,
    contexts: _Contexts,
    sig_format: str,
    proofs: list[tuple[int, dt.datetime]],
) -> tuple[SignatureReport, x509.Certificate | None]:
    try:
        # cryptography is stricter than asn1crypto: a certificate pyHanko accepted may still fail here.
        signer_cert = _to_pyca(sig.signer_cert)
        status = validate_pdf_signature(sig, contexts.signer(), contexts.timestamp())
    except Exception as e:  # a malformed CMS blob can break validation anywhere
        integrity = _integrity(_file_bytes(reader), sig.sig_object)
        mismatch = _algorithm_mismatch(sig)
        if integrity.intact is False:
            why, failed_as, verdict = _("the signed bytes were altered"), AdESFailure.HASH_FAILURE.name, FAILED
        elif mismatch is not None:
            why, failed_as, verdict = mismatch, AdESFailure.SIG_CRYPTO_FAILURE.name, FAILED
        else:
            why = _("the signature cannot be validated: {reason}").format(reason=_one_line(e))
            failed_as, verdict = AdESFailure.FORMAT_FAILURE.name, INDETERMINATE
        report = _unprocessable(str(sig.field_name), why, verdict, integrity.intact, failed_as)
        return dataclasses.replace(report, format=sig_format), None
    changes = _modification(reader, sig, status)
    indication, sub, message = _classify(status, changes)
    level = changes.level
    timestamp = _timestamp_info(status.timestamp_validity)
    proven = [when for rev, when in proofs if rev > sig.signed_revision]
    if timestamp is not None and timestamp.indication == PASSED:
        proven.append(timestamp.time)
    report = SignatureReport(
        field_name=str(sig.field_name),
        indication=indication,
        sub_indication=sub,
        message=message,
        signer=common_name(signer_cert.subject),
        signer_subject=signer_cert.subject.rfc4514_string(DN_NAMES),
        issuer=signer_cert.issuer.rfc4514_string(DN_NAMES),
        signing_time=_claimed_time(sig),
        best_signature_time=min(proven) if proven else None,
        timestamp=timestamp,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        coverage=status.coverage.name if status.coverage is not None else None,
        modified_after=_modified(status),
        modification_level=level.name if level is not None else None,
        modification=changes.text,
        format=sig_format,
        qualification=qualify(
            signer_cert, min(proven) if proven else _claimed_time(sig) or contexts.moment, contexts.trusted_lists,
            chain=embedded_certificates(sig.signed_data),
        ),
    )
    return report, signer_cert


# The key each CMS signature algorithm needs (asn1crypto's names).
_KEY_OF_ALGORITHM = {"rsassa_pkcs1v15": "rsa", "rsassa_pss": "rsa", "ecdsa": "ec", "dsa": "dsa",
                     "ed25519": "ed25519", "ed448": "ed448"}


def _algorithm_mismatch(sig: EmbeddedPdfSignature) -> str | None:
    """Why the signature value cannot be checked with the signer's key, when the CMS names an
    algorithm that does not fit that key (e.g. RSA over an EC key, as some signers write): the
    value can never verify, so the signature fails (ETSI EN 319 102-1 SIG_CRYPTO_FAILURE)."""
    try:
        algorithm = sig.signer_info["signature_algorithm"].signature_algo
        key = sig.signer_cert.public_key.algorithm
    except Exception:  # unreadable: the caller reports the format failure instead
        return None
    needs = _KEY_OF_ALGORITHM.get(algorithm)
    if needs is None or needs == key or (needs == "rsa" and key == "rsassa_pss"):
        return None
    return _("the signature value cannot be checked: the CMS says {algorithm}, but the signer's key is {key}").format(
        algorithm=algorithm, key=key)


def _verify_timestamp(reader: PdfFileReader, ts: EmbeddedPdfSignature, contexts: _Contexts) -> DocumentTimestampReport:
    try:
        tsa_cert = _to_pyca(ts.signer_cert)
        status = validate_pdf_timestamp(ts, contexts.timestamp())
    except Exception as e:  # as for signatures: the CMS blob is attacker-controlled
        integrity = _integrity(_file_bytes(reader), ts.sig_object)
        why = _("the document timestamp cannot be processed: {reason}").format(reason=_one_line(e))
        report = _unprocessable_item(str(ts.field_name), True, INDETERMINATE, why, integrity)
        assert isinstance(report, DocumentTimestampReport)
        return report
    changes = _modification(reader, ts, status)
    indication, sub, message = _classify_timestamp(status, changes)
    level = changes.level
    return DocumentTimestampReport(
        field_name=str(ts.field_name),
        indication=indication,
        sub_indication=sub,
        message=message,
        tsa=common_name(tsa_cert.subject),
        tsa_subject=tsa_cert.subject.rfc4514_string(DN_NAMES),
        issuer=tsa_cert.issuer.rfc4514_string(DN_NAMES),
        time=status.timestamp,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        coverage=status.coverage.name if status.coverage is not None else None,
        modified_after=_modified(status),
        modification_level=level.name if level is not None else None,
        modification=changes.text,
    )


def _file_bytes(reader: PdfFileReader) -> bytes:
    stream = reader.stream
    stream.seek(0)
    return bytes(stream.read())


def _encapsulated(pdf: bytes, sig: EmbeddedPdfSignature, sig_format: str) -> SignatureReport:
    """A CMS that carries its content (adbe.pkcs7.sha1, or a detached signature that should not):
    pyHanko validates only detached PDF signatures, so the integrity and the signature value are
    checked here, and the verdict says what ETSI and ISO 32000-2 make of the format."""
    integrity = _integrity(pdf, sig.sig_object)
    subfilter = str(sig.sig_object.get("/SubFilter", ""))
    try:
        signer_cert = _to_pyca(sig.signer_cert)
        valid = byterange.encapsulated_signature_valid(sig.signed_data, sig.signer_info, sig.signer_cert)
    except Exception as e:  # a malformed CMS blob
        return dataclasses.replace(
            _unprocessable(
                str(sig.field_name), _("the signature cannot be processed: {reason}").format(reason=_one_line(e)),
                INDETERMINATE, integrity.intact,
            ),
            format=sig_format,
        )
    indication: Indication
    if integrity.intact is not True:
        indication, sub, message = FAILED, AdESFailure.HASH_FAILURE.name, _("the signed bytes were altered")
    elif not valid:
        indication, sub, message = FAILED, AdESFailure.SIG_CRYPTO_FAILURE.name, _("the signature value does not verify")
    elif subfilter == "/adbe.pkcs7.sha1":
        # DSS's default policy (after ETSI TS 119 312) expired SHA-1 for signatures long ago;
        # without proof of existence from before then the result is indeterminate.
        indication, sub = INDETERMINATE, AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE.name
        message = _("adbe.pkcs7.sha1: the document digest is SHA-1, no longer acceptable (ETSI TS 119 312)")
    else:
        indication, sub = FAILED, AdESFailure.FORMAT_FAILURE.name
        message = _("{subfilter}: a detached signature must not encapsulate content (ISO 32000-2 12.8.3.3)").format(
            subfilter=subfilter.lstrip("/"))
    return SignatureReport(
        field_name=str(sig.field_name),
        indication=indication,
        sub_indication=sub,
        message=message,
        signer=common_name(signer_cert.subject),
        signer_subject=signer_cert.subject.rfc4514_string(DN_NAMES),
        issuer=signer_cert.issuer.rfc4514_string(DN_NAMES),
        signing_time=_claimed_time(sig),
        best_signature_time=None,
        timestamp=None,
        intact=integrity.intact,
        valid=valid,
        trusted=False,
        coverage=None,
        modified_after=False,
        modification_level=None,
        modification=None,
        format=sig_format,
    )


def _modified(status: PdfSignatureStatus | DocumentTimestampStatus) -> bool:
    level = status.modification_level
    if level is not None:
        return bool(level != ModificationLevel.NONE)
    return bool(status.coverage != SignatureCoverageLevel.ENTIRE_FILE)


@dataclass(frozen=True)
class _Changes:
    """What changed after a signature: in words (``text``), the permissions it is judged by, and
    what a reader sees now (None when nothing visual can have changed)."""

    text: str | None
    level: ModificationLevel | None = None  # pyHanko's, or ANNOTATIONS where it could not explain them
    permissions: Permissions | None = None
    visual: Visual | None = None


def _modification(
    reader: PdfFileReader, sig: EmbeddedPdfSignature, status: PdfSignatureStatus | DocumentTimestampStatus
) -> _Changes:
    """What changed after ``sig``, judged by the permissions in force, and what pages now show."""
    level = status.modification_level
    if level == ModificationLevel.NONE or (level is None and status.coverage == SignatureCoverageLevel.ENTIRE_FILE):
        return _Changes(None, level)
    pdf = reader.stream.getvalue()
    end = int(sig.byte_range[2]) + int(sig.byte_range[3])
    if level == ModificationLevel.OTHER and annotations_only(pdf, end):
        level = ModificationLevel.ANNOTATIONS  # pyHanko's default policy has no rule for them
    if level is None:
        text = _("the file was extended after signing and the change was not analysed")
    else:
        text = translate(_CHANGES[level]) if level in _CHANGES else level.name
    pages = _page_counts(reader, sig.signed_revision)
    if pages is not None and pages[0] != pages[1]:
        text += _("; the signed document had {then} page(s), the file now has {now}").format(
            then=pages[0], now=pages[1])
    permissions = permissions_in_force(reader, sig)
    visual = None
    if level is None or level > ModificationLevel.LTA_UPDATES:
        # Validation data and document timestamps show nothing: only other changes are rendered.
        visual = visual_changes(pdf, end, permissions)
        if visual.changed or not visual.checked:
            text += f"; {visual.describe()}"
    if level is not None:
        verdict = _("allowed") if permissions.allows(level) else _("NOT allowed")
        text += _(" (modification level {level}, {verdict}; {permissions})").format(
            level=level.name, verdict=verdict, permissions=permissions.describe())
    return _Changes(text, level, permissions, visual)


def _page_counts(reader: PdfFileReader, revision: int) -> tuple[int, int] | None:
    try:
        then = int(reader.get_historical_root(revision)["/Pages"]["/Count"])
        now = int(reader.root["/Pages"]["/Count"])
    except Exception:  # a damaged page tree: the diff level still says what kind of change it was
        return None
    return then, now


def _classify(status: PdfSignatureStatus, changes: _Changes) -> tuple[Indication, str | None, str]:
    """Map pyHanko's status to (indication, sub-indication, message), first problem wins."""
    if not status.intact:
        return FAILED, AdESFailure.HASH_FAILURE.name, _("the signed bytes were altered")
    if not status.valid:
        return FAILED, AdESFailure.SIG_CRYPTO_FAILURE.name, _("the signature value does not verify")
    if status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION):
        return FAILED, AdESFailure.FORMAT_FAILURE.name, _("the signature does not cover its whole revision")

    level = status.modification_level
    if _forbidden(status, changes):
        message = _("the PDF was changed after signing (not allowed): {changes}").format(changes=changes.text)
        return FAILED, AdESFailure.FORMAT_FAILURE.name, message

    indic = status.trust_problem_indic
    if indic is not None:
        indication = FAILED if indic.status == AdESStatus.FAILED else INDETERMINATE
        return indication, indic.standard_name, _trust_message(indic, N_("the certificate is not trusted"))
    if status.revoked:
        return FAILED, AdESFailure.REVOKED.name, _("the signer's certificate is revoked")
    if not status.trusted:
        return INDETERMINATE, None, _("the certificate is not trusted")
    ts = status.timestamp_validity
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        ts_indic = ts.trust_problem_indic
        sub = ts_indic.standard_name if ts_indic is not None else None
        return INDETERMINATE, sub, _("the signature timestamp does not verify")
    if not status.seed_value_ok:
        return INDETERMINATE, AdESIndeterminate.SIG_CONSTRAINTS_FAILURE.name, _("seed value constraints unmet")

    seen = _unseen(changes, timestamp=False)
    if seen is not None:
        return INDETERMINATE, AdESIndeterminate.SIG_CONSTRAINTS_FAILURE.name, seen
    if level is None and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return INDETERMINATE, None, _("the PDF was extended after signing and the change was not analysed")
    return PASSED, None, _("the signature is valid")


def _forbidden(status: PdfSignatureStatus | DocumentTimestampStatus, changes: _Changes) -> bool:
    """Whether the changes after a signature break the permissions in force (or are of no kind
    any permission allows). pyHanko's own DocMDP verdict counts only the signature's own /P."""
    level = changes.level
    if level is None or changes.permissions is None:
        return getattr(status, "docmdp_ok", None) is False
    return not changes.permissions.allows(level)


def _unseen(changes: _Changes, *, timestamp: bool) -> str | None:
    """Why a reader may not see what was signed (a shadow attack, or no comparison), or None."""
    visual = changes.visual
    if visual is None or (visual.checked and not visual.changed):
        return None
    if timestamp:
        return _("what the PDF shows was changed after the timestamp: {changes}").format(changes=visual.describe())
    return _("what the PDF shows was changed after signing: {changes}").format(changes=visual.describe())


def _classify_timestamp(status: DocumentTimestampStatus, changes: _Changes) -> tuple[Indication, str | None, str]:
    """As :func:`_classify`, for a document timestamp."""
    if not status.intact:
        return FAILED, AdESFailure.HASH_FAILURE.name, _("the timestamped bytes were altered")
    if not status.valid:
        return FAILED, AdESFailure.SIG_CRYPTO_FAILURE.name, _("the timestamp's signature does not verify")
    if status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION):
        return FAILED, AdESFailure.FORMAT_FAILURE.name, _("the timestamp does not cover its whole revision")
    level = status.modification_level
    if _forbidden(status, changes):
        return FAILED, AdESFailure.FORMAT_FAILURE.name, _("the PDF was changed after the timestamp: {changes}").format(
            changes=changes.text)
    indic = status.trust_problem_indic
    if indic is not None:
        indication = FAILED if indic.status == AdESStatus.FAILED else INDETERMINATE
        return indication, indic.standard_name, _trust_message(indic, N_("the TSA certificate is not trusted"))
    if not status.trusted:
        return INDETERMINATE, None, _("the TSA certificate is not trusted")
    seen = _unseen(changes, timestamp=True)
    if seen is not None:
        return INDETERMINATE, AdESIndeterminate.SIG_CONSTRAINTS_FAILURE.name, seen
    if level is None and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return INDETERMINATE, None, _("the PDF was extended after the timestamp and the change was not analysed")
    return PASSED, None, _("the document timestamp is valid")


_TRUST_MESSAGES = {
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND: N_("no chain to a trusted root"),
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE: N_("the certificate was not valid at validation time"),
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED: N_("the certificate was not valid at validation time"),
    AdESIndeterminate.EXPIRED: N_("the certificate has expired"),
    AdESIndeterminate.NOT_YET_VALID: N_("the certificate is not yet valid"),
    AdESFailure.NOT_YET_VALID: N_("the certificate is not yet valid"),
    AdESFailure.REVOKED: N_("the signer's certificate is revoked"),
    AdESIndeterminate.REVOKED_NO_POE: N_("the signer's certificate is revoked"),
    AdESIndeterminate.REVOKED_CA_NO_POE: N_("a CA certificate of the chain is revoked"),
    AdESIndeterminate.TRY_LATER: N_("no revocation information is available"),
    AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE: N_("the certificate is not fit for signing (key usage)"),
    AdESIndeterminate.SIG_CONSTRAINTS_FAILURE: N_("the certificate is not fit for signing (key usage)"),
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE: N_("the algorithms used are no longer acceptable"),
    AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE: N_(
        "the certificate chain does not validate (revocation data missing, or not valid at that time)"
    ),
}


def _trust_message(indic: Any, otherwise: str) -> str:
    """What a trust problem means, in the current language (``otherwise`` marked with N_)."""
    return translate(_TRUST_MESSAGES.get(indic, otherwise))


def _timestamp_info(ts: TimestampSignatureStatus | None) -> TimestampInfo | None:
    if ts is None:
        return None
    indication: Indication
    sub = None
    indic = ts.trust_problem_indic
    if not ts.intact:
        indication, sub = FAILED, AdESFailure.HASH_FAILURE.name
        message = _("the timestamp does not match the signature")
    elif not ts.valid:
        indication, sub = FAILED, AdESFailure.SIG_CRYPTO_FAILURE.name
        message = _("the timestamp's signature does not verify")
    elif indic is not None:
        indication = FAILED if indic.status == AdESStatus.FAILED else INDETERMINATE
        sub, message = indic.standard_name, _trust_message(indic, N_("the TSA certificate is not trusted"))
    elif not ts.trusted:
        indication, message = INDETERMINATE, _("the TSA certificate is not trusted")
    else:
        indication, message = PASSED, _("the signature timestamp is valid")
    try:
        tsa = common_name(_to_pyca(ts.signing_cert).subject)
    except Exception:  # the TSA's certificate did not parse in cryptography: say so, not crash
        tsa = _("unknown")
    return TimestampInfo(tsa=tsa, time=ts.timestamp, indication=indication, sub_indication=sub, message=message)


def _claimed_time(sig: EmbeddedPdfSignature) -> dt.datetime | None:
    """The time the signer claims: CMS signing-time, else the signature dictionary's /M."""
    try:
        when: dt.datetime | None = sig.self_reported_timestamp
    except Exception:  # a malformed /M is a missing claim, not a broken signature
        return None
    return when


@dataclass(frozen=True)
class _Layout:
    """Where the long-term validation material sits among the document's revisions."""

    timestamp_revisions: list[int]
    dss_revision: int | None  # first revision whose DSS holds revocation data
    revocation: tuple[list[Any], list[Any]]  # (OCSP responses, CRLs) of the current DSS

    @classmethod
    def of(cls, reader: PdfFileReader, timestamp_revisions: list[int], dss: DocumentSecurityStore | None) -> _Layout:
        ocsps: list[Any] = []
        crls: list[Any] = []
        first = None
        if dss is not None:
            for ref in dss.ocsps:
                try:
                    ocsps.append(asn1_ocsp.OCSPResponse.load(ref.get_object().data))
                except Exception:  # an unreadable response proves nothing
                    continue
            for ref in dss.crls:
                try:
                    crls.append(asn1_crl.CertificateList.load(ref.get_object().data))
                except Exception:  # nor does an unreadable CRL
                    continue
            for revision in range(reader.xrefs.total_revisions):
                try:
                    old = reader.get_historical_root(revision).get("/DSS")
                    old = old.get_object() if old is not None else None  # .get() does not dereference
                    if isinstance(old, generic.DictionaryObject) and ("/OCSPs" in old or "/CRLs" in old):
                        first = revision
                        break
                except Exception:  # a damaged old revision: look at the next
                    continue
        return cls(timestamp_revisions, first, (ocsps, crls))

    def revocation_for(self, cert: Any) -> bool:
        """Whether the DSS holds an OCSP response or a CRL about ``cert`` (asn1crypto)."""
        ocsps, crls = self.revocation
        serial = cert.serial_number
        for resp in ocsps:
            try:
                single = resp["response_bytes"]["response"].parsed["tbs_response_data"]["responses"]
                for item in single:
                    cert_id = item["cert_id"]
                    algo = cert_id["hash_algorithm"]["algorithm"].native
                    if cert_id["serial_number"].native == serial and (
                        cert_id["issuer_name_hash"].native == hashlib.new(algo, cert.issuer.dump()).digest()
                    ):
                        return True
            except Exception:  # a malformed response covers nothing
                continue
        return any(c["tbs_cert_list"]["issuer"] == cert.issuer for c in crls)


def _format(sig: EmbeddedPdfSignature, layout: _Layout) -> str:
    """ETSI level as the EU DSS names it: PAdES-BASELINE-B/T/LT/LTA, or PKCS7-* for Adobe subfilters.

    T: a signature timestamp, or a document timestamp after the signature (EN 319 142-1 allows
    either). LT: besides, the DSS holds revocation data for the signer's certificate. LTA:
    besides, a document timestamp covers that validation data.
    """
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
    later = [rev for rev in layout.timestamp_revisions if rev > sig.signed_revision]
    if _has_attr(sig.signer_info["unsigned_attrs"], "signature_time_stamp_token") or later:
        level = "T"
        if layout.dss_revision is not None and layout.revocation_for(sig.signer_cert):
            level = "LT"
            # >=: pyHanko writes the DSS into the timestamp's own revision, under its byte range.
            if any(rev >= layout.dss_revision for rev in later):
                level = "LTA"
    return f"{family}-{level}"


def _has_attr(attrs: Any, name: str) -> bool:
    # An absent attribute set is an asn1crypto Void, whose .native is None.
    return attrs.native is not None and any(True for _ in find_cms_attribute_iter(attrs, name))


def _to_pyca(cert: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


# -- the act's source, as signed ---------------------------------------------------------------


def signed_act_source(pdf: bytes) -> tuple[str, str] | None:
    """The act's YAML source attached to ``pdf`` (name, text), as the first signature covers it.

    The rendering stage attaches ``<name>.yaml`` with /AFRelationship /Source. It is read from
    the first signed revision, not from the file as it is now: an update appended later could
    swap the attachment for one naming whoever holds the certificate. None when there is no
    signature, no such attachment, or it is not UTF-8.
    """
    signed = _first_signed_revision(pdf)
    return _attached_source(signed) if signed is not None else None


def act_source(pdf: bytes) -> tuple[str, str] | None:
    """The act's YAML source attached to ``pdf``: as the first signature covers it when the PDF is
    signed (see :func:`signed_act_source`), else as the file carries it (an unsigned rendering)."""
    signed = _first_signed_revision(pdf)
    return _attached_source(pdf if signed is None else signed)


def _first_signed_revision(pdf: bytes) -> bytes | None:
    """The bytes the first signature covers; None when nothing is signed (or the file is unreadable)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        ends = []
        for _name, _value, field_ref in fields.enumerate_sig_fields(reader, filled_status=True):
            sig_obj = field_ref.get_object()["/V"]
            if sig_obj.get("/Type") == "/DocTimeStamp":
                continue
            byte_range = [int(x) for x in sig_obj["/ByteRange"]]
            ends.append(byte_range[2] + byte_range[3])
    except Exception:  # a damaged file: verify_pdf reports on the file
        return None
    return pdf[: min(ends)] if ends else None


def _attached_source(pdf: bytes) -> tuple[str, str] | None:
    import pikepdf  # only these helpers need it; verify_pdf stays on pyHanko alone

    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            names = doc.Root.get("/Names")
            tree = names.get("/EmbeddedFiles") if isinstance(names, pikepdf.Dictionary) else None
            if not isinstance(tree, pikepdf.Dictionary):
                return None
            for key, spec in pikepdf.NameTree(tree).items():
                if not isinstance(spec, pikepdf.Dictionary) or spec.get("/AFRelationship") != "/Source":
                    continue
                name = str(spec.get("/UF", spec.get("/F", key)))
                if not name.lower().endswith((".yaml", ".yml")):
                    continue
                ef = spec.get("/EF")
                stream = ef.get("/F") if isinstance(ef, pikepdf.Dictionary) else None
                if isinstance(stream, pikepdf.Stream):
                    return name, bytes(stream.read_bytes()).decode("utf-8")
    except Exception:  # a damaged file or a non-UTF-8 attachment: verify_pdf reports on the file
        return None
    return None
