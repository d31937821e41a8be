"""Whether a signature is qualified: from the certificate's QC statements and a trusted list.

The Codice dell'amministrazione digitale (art. 1, 20 and 24) gives full legal effect to a
*firma qualificata* (the "firma digitale" is its Italian form): eIDAS's qualified electronic
signature, made with a qualified certificate for electronic signatures on a qualified signature
creation device (QSCD). What a certificate says of itself is not enough: a trusted list (ETSI
TS 119 612) must name the CA/QC service that issued it as granted when the signature was made.

This follows the logic of ETSI TS 119 615 and TS 119 172-4 in a simplified form:

* the certificate's QC statements (ETSI EN 319 412-5) and policies (EN 319 411-2, and TS 101 456
  before it) say whether it claims to be qualified, for which use (QcType esign, eseal, web)
  and whether its key is on a QSCD;
* the service of a trusted list whose certificate issued it gives the status at the signature
  time (the current status or one from its history), and the list's qualifiers for the
  certificates that meet their criteria override the certificate's claims (NotQualified,
  QCStatement, QCWithQSCD, QCNoQSCD, QCForESig...);
* the outcome is one of three words: "qualificata" (QES, or a qualified seal), "avanzata"
  (a qualified certificate without a QSCD, or a certificate claiming to be qualified that no
  given list confirms) and "non qualificata" (anything else, atti's development CA first of all).

Not evaluated: criteria other than key usage and policies (they never match, which only makes
a qualifier not apply), the consistency checks of TS 119 615 5.1, and the list of trusted lists
(the national list is given directly). The list's own XML signature is checked by
:mod:`atti.signing.trust`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from asn1crypto import core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from atti.signing.pki import ROOT_CN, ROOT_OU, SIGNER_OU
from atti.signing.trust import CA_QC, Criteria, ServicePhase, TrustedList, TrustedService

__all__ = ["CertificateClaims", "Qualification", "certificate_claims", "embedded_certificates", "qualify"]

Level = Literal["qualificata", "avanzata", "non qualificata"]

QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_SSCD = "0.4.0.1862.1.4"
QC_TYPE = "0.4.0.1862.1.6"
_QC_TYPES = {"0.4.0.1862.1.6.1": "esign", "0.4.0.1862.1.6.2": "eseal", "0.4.0.1862.1.6.3": "web"}
# RFC 3739's own statements say only how the holder is named: they make nothing qualified.
PKIX_QC_SYNTAX = {"1.3.6.1.5.5.7.11.1", "1.3.6.1.5.5.7.11.2"}

# Certificate policies of qualified certificates: EN 319 411-2 (QCP-n, QCP-l, with -qscd) and the
# TS 101 456 ones issued before eIDAS (QCP public, QCP public + SSCD).
QCP_QSCD = {"0.4.0.194112.1.2", "0.4.0.194112.1.3", "0.4.0.1456.1.1"}
QCP = QCP_QSCD | {"0.4.0.194112.1.0", "0.4.0.194112.1.1", "0.4.0.1456.1.2"}
QCP_SEAL = {"0.4.0.194112.1.1", "0.4.0.194112.1.3"}  # QCP-l: legal persons, that is seals

# Statuses under which a service's certificates are qualified: "granted" since eIDAS (TS 119 612
# v2), and the Directive 1999/93 statuses before it.
GRANTED_STATUSES = {
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/undersupervision",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/accredited",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/supervisionincessation",
    "http://uri.etsi.org/TrstSvc/Svcstatus/undersupervision",
    "http://uri.etsi.org/TrstSvc/Svcstatus/accredited",
    "http://uri.etsi.org/TrstSvc/Svcstatus/supervisionincessation",
}
_FOR_USE = {"ForeSignatures": "esign", "ForeSeals": "eseal", "ForWebSiteAuthentication": "web"}
_KEY_USAGE_BITS = {
    "digitalSignature": "digital_signature",
    "nonRepudiation": "content_commitment",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "crlSign": "crl_sign",
}


class _QcStatement(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
    _fields = [  # noqa: RUF012  # asn1crypto's way of declaring a structure
        ("statement_id", core.ObjectIdentifier),
        ("statement_info", core.Any, {"optional": True}),
    ]


class _QcStatements(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _QcStatement


class _QcTypes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.ObjectIdentifier


@dataclass(frozen=True)
class CertificateClaims:
    """What a certificate says of itself: QC statements (EN 319 412-5) and policies."""

    compliance: bool  # QcCompliance: "this is an EU qualified certificate"
    qscd: bool  # QcSSCD, or a -qscd policy: "the private key is on a QSCD"
    types: frozenset[str]  # "esign", "eseal", "web" (QcType); empty when not stated
    policies: frozenset[str]

    @property
    def qualified(self) -> bool:
        return self.compliance or bool(self.policies & QCP)

    @property
    def uses(self) -> frozenset[str]:
        """QcType, else what the policies imply; a pre-eIDAS qualified certificate was for signatures."""
        if self.types:
            return self.types
        if self.policies & QCP_SEAL:
            return frozenset({"eseal"})
        return frozenset({"esign"}) if self.qualified else frozenset()


def certificate_claims(cert: x509.Certificate) -> CertificateClaims:
    """The QC statements and policies of ``cert``; an undecodable extension claims nothing."""
    statement_ids: set[str] = set()
    types: set[str] = set()
    try:
        raw = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(QC_STATEMENTS)).value
        der = raw.value if isinstance(raw, x509.UnrecognizedExtension) else raw.public_bytes()
        for statement in _QcStatements.load(der):
            oid = statement["statement_id"].dotted
            statement_ids.add(oid)
            if oid == QC_TYPE and statement["statement_info"].native is not None:
                info = _QcTypes.load(statement["statement_info"].dump())
                types |= {_QC_TYPES.get(t.dotted, t.dotted) for t in info}
    except (x509.ExtensionNotFound, ValueError, TypeError):
        pass
    policies: set[str] = set()
    try:
        declared = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
        policies |= {info.policy_identifier.dotted_string for info in declared}
    except (x509.ExtensionNotFound, ValueError):
        pass
    return CertificateClaims(
        compliance=QC_COMPLIANCE in statement_ids,
        qscd=QC_SSCD in statement_ids or bool(policies & QCP_QSCD),
        types=frozenset(types),
        policies=frozenset(policies),
    )


@dataclass(frozen=True)
class Qualification:
    """How qualified one signature is, and why, in Italian (it is shown as it is on the web).

    ``at`` is the time the decision refers to (best signature time, else the claimed signing
    time, else the validation time); ``service`` names the trusted list's service, if one
    issued the certificate; ``development``: signed with atti's development CA.
    """

    level: Level
    reason: str
    at: dt.datetime | None = None
    service: str | None = None
    development: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "at": self.at.isoformat() if self.at else None}


def qualify(
    signer: x509.Certificate,
    at: dt.datetime | None,
    lists: Sequence[TrustedList],
    *,
    chain: Iterable[x509.Certificate] = (),
) -> Qualification:
    """Whether the signature made with ``signer`` at ``at`` is qualified, per the trusted ``lists``.

    ``chain``: further certificates (those the signature carries) to climb from ``signer`` to
    the certificate of a listed service, when that is not the one that issued ``signer``.
    """
    claims = certificate_claims(signer)
    if _is_development(signer):
        return Qualification(
            "non qualificata", "certificato di sviluppo NON qualificato: emesso dalla CA di sviluppo di atti, che"
            " non è un prestatore qualificato", at, development=True,
        )
    found = _issuing_service(signer, list(chain), lists)
    if found is None:
        if claims.qualified:
            where = "nessuna delle liste di fiducia indicate" if lists else "nessuna lista di fiducia (non indicata)"
            return Qualification(
                "avanzata", f"il certificato si dichiara qualificato ({_claimed(claims)}), ma {where} lo conferma:"
                " firma avanzata, non qualificata", at,
            )
        return Qualification(
            "non qualificata", "il certificato non si dichiara qualificato e nessuna lista di fiducia indicata"
            " ne elenca l'emittente come servizio qualificato", at,
        )
    service, trusted_list = found
    name = f"«{service.name}» di {service.provider} (lista di fiducia {trusted_list.territory or '?'})"
    phase = _phase_at(service, at)
    if phase is None or phase.status not in GRANTED_STATUSES:
        status = phase.status.rsplit("/", 1)[-1] if phase is not None else "nessuno"
        since = f" dal {_day(phase.since)}" if phase is not None and phase.since else ""
        return Qualification(
            "non qualificata", f"il servizio {name} non era qualificato al momento della firma ({_day(at)}):"
            f" stato {status}{since}", at, name,
        )
    qualifiers = frozenset().union(
        *(q.qualifiers for q in phase.qualifications if _meets(signer, claims, q.criteria))
    )
    return _decide(claims, qualifiers, phase, name, at)


def _decide(
    claims: CertificateClaims, qualifiers: frozenset[str], phase: ServicePhase, name: str, at: dt.datetime | None
) -> Qualification:
    granted = f"servizio {name} qualificato al {_day(at)}"
    if "NotQualified" in qualifiers:
        why = f"la lista di fiducia dichiara NON qualificato il certificato ({granted})"
        return Qualification("non qualificata", why, at, name)
    qualified = "QCStatement" in qualifiers or claims.qualified
    if not qualified:
        why = f"il certificato non si dichiara qualificato e la lista di fiducia non lo qualifica ({granted})"
        return Qualification("non qualificata", why, at, name)
    uses = {use for q, use in (("QCForESig", "esign"), ("QCForESeal", "eseal"), ("QCForWSA", "web")) if q in qualifiers}
    uses = uses or set(claims.uses)
    declared = {_FOR_USE[p.rsplit("/", 1)[-1]] for p in phase.purposes if p.rsplit("/", 1)[-1] in _FOR_USE}
    if declared:
        uses &= declared
    if not uses & {"esign", "eseal"}:
        why = f"il certificato è qualificato, ma non per firme o sigilli elettronici ({granted})"
        return Qualification("non qualificata", why, at, name)
    if qualifiers & {"QCNoQSCD", "QCNoSSCD"}:
        qscd = False
    elif qualifiers & {"QCWithQSCD", "QCWithSSCD", "QCQSCDManagedOnBehalf"}:
        qscd = True
    else:
        qscd = claims.qscd
    what = "firma elettronica" if "esign" in uses else "sigillo elettronico"
    if not qscd:
        return Qualification(
            "avanzata", f"{what} avanzata su certificato qualificato: la chiave non risulta su un dispositivo"
            f" qualificato (QSCD) ({granted})", at, name,
        )
    return Qualification(
        "qualificata", f"{what} qualificata: certificato qualificato su dispositivo qualificato (QSCD), {granted}",
        at, name,
    )


def embedded_certificates(signed_data: Any) -> list[x509.Certificate]:
    """The certificates a CMS SignedData (asn1crypto) carries, those cryptography can read."""
    certs = []
    for choice in signed_data["certificates"] or ():
        try:
            certs.append(x509.load_der_x509_certificate(choice.chosen.dump()))
        except ValueError:  # an attribute certificate, or one cryptography finds malformed
            continue
    return certs


def _is_development(cert: x509.Certificate) -> bool:
    """atti's development CA names itself, and every certificate it issues, NON qualificato."""
    ous = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    issuer = {str(a.value) for a in cert.issuer}
    return SIGNER_OU in ous or ROOT_CN in issuer or ROOT_OU in issuer


def _issuing_service(
    cert: x509.Certificate, chain: list[x509.Certificate], lists: Sequence[TrustedList]
) -> tuple[TrustedService, TrustedList] | None:
    """The CA/QC service whose certificate issued ``cert`` or one of its CAs, climbing ``chain``."""
    services = [(s, tl) for tl in lists for s in tl.services if s.type == CA_QC]
    current, seen = cert, 0
    while seen < 10:  # a chain longer than this is not one a qualified CA builds
        for service, trusted_list in services:
            if any(_issued(current, ca) for ca in service.certificates):
                return service, trusted_list
        parent = next((c for c in chain if c != current and _issued(current, c)), None)
        if parent is None or parent.subject == parent.issuer:
            return None
        current, seen = parent, seen + 1
    return None


def _issued(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    if cert.issuer != ca.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError):  # TypeError: a key type it cannot check
        return False
    return True


def _phase_at(service: TrustedService, at: dt.datetime | None) -> ServicePhase | None:
    """The phase in force at ``at``: the latest to start at or before it (now, without ``at``)."""
    when = at or dt.datetime.now(dt.UTC)
    started = [p for p in service.phases if p.since is None or p.since <= when]
    if not started:
        return None
    return max(started, key=lambda p: p.since or dt.datetime.min.replace(tzinfo=dt.UTC))


def _meets(cert: x509.Certificate, claims: CertificateClaims, criteria: Criteria) -> bool:
    if criteria.unknown:
        return False
    results = [_key_usage(cert, bits) for bits in criteria.key_usage]
    results += [oids <= claims.policies for oids in criteria.policies]
    results += [_meets(cert, claims, c) for c in criteria.nested]
    if criteria.mode == "atLeastOne":
        return any(results)
    if criteria.mode == "none":
        return not any(results)
    return all(results)


def _key_usage(cert: x509.Certificate, bits: frozenset[tuple[str, bool]]) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    for name, value in bits:
        attribute = _KEY_USAGE_BITS.get(name)
        if attribute is None or bool(getattr(usage, attribute)) != value:
            return False
    return True


def _claimed(claims: CertificateClaims) -> str:
    said = ["QcCompliance"] if claims.compliance else []
    said += sorted(claims.policies & QCP)
    return ", ".join(said)


def _day(when: dt.datetime | None) -> str:
    return f"{when.astimezone(dt.UTC):%d/%m/%Y %H:%M} UTC" if when else "ora"
