"""Trusted lists (ETSI TS 119 612) as trust roots, read from a file that is already here.

The EU list of trusted lists and the national lists (AgID's for Italy) name, for each qualified
trust service provider, its services and their status. A signature made with a qualified
certificate chains to the certificate of a "CA/QC" service; the list is where a verifier learns
which of those the supervisory body currently grants. atti reads such a list from a file and
never downloads one: verification stays offline and repeatable, and the reader decides which
list (and which edition of it) to rely on.

The list's own XML signature is checked with signxml:

* against the certificates passed as ``signers`` (the operator's, as the list of trusted lists
  or the Official Journal publishes them): only then is the list's origin established;
* without them, against the certificate the list carries: this proves the file is intact since
  it was signed, not who signed it, and the result says so;
* an unsigned file is read, and the result says it is unsigned.

Trust is taken from the current status only: a service withdrawn since is not trusted, even for
a signature made while it was still granted. The status history and the qualifications a list
adds to a service (its Sie extensions) are read too, into each service's ``phases``: they decide
whether a signature was qualified when it was made (:mod:`atti.signing.qualified`), not trust.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from lxml import etree

from atti.errors import VerificationError
from atti.i18n import _

__all__ = [
    "Criteria", "QualificationElement", "ServicePhase", "TrustedList", "TrustedService", "load_trusted_list",
    "read_trusted_list",
]

TSL_NS = "http://uri.etsi.org/02231/v2#"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
# The Sie extension of TS 119 612 5.5.9.2 (named after the 1999 directive, still current).
ECC_NS = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
_NS = {"tsl": TSL_NS, "ds": DS_NS, "ecc": ECC_NS, "xades": XADES_NS}

CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
TSA_QTST = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"
GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
_SVC_INFO_EXT = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/"
# A CA/QC service may declare what its certificates are for (TS 119 612 5.5.9.4); one that
# declares only website authentication does not vouch for signatures.
_FOR_SIGNATURES = {_SVC_INFO_EXT + "ForeSignatures", _SVC_INFO_EXT + "ForeSeals"}
_PURPOSES = _FOR_SIGNATURES | {_SVC_INFO_EXT + "ForWebSiteAuthentication"}

Signature = Literal["verified", "intact", "unsigned"]


@dataclass(frozen=True)
class Criteria:
    """Which certificates a qualification element applies to (TS 119 612 5.5.9.2.2 CriteriaList).

    ``key_usage``: sets of (bit, value) that must all hold, one set per KeyUsage element;
    ``policies``: sets of policy OIDs that must all be present, one per PolicySet; ``unknown``:
    the list holds criteria atti does not evaluate (otherCriteriaList), which then never match.
    """

    mode: str  # "all", "atLeastOne" or "none"
    key_usage: tuple[frozenset[tuple[str, bool]], ...] = ()
    policies: tuple[frozenset[str], ...] = ()
    nested: tuple[Criteria, ...] = ()
    unknown: bool = False


@dataclass(frozen=True)
class QualificationElement:
    """Qualifiers (their last URI segment: "QCWithQSCD", "QCForESig"...) for the certificates
    that meet ``criteria``."""

    qualifiers: frozenset[str]
    criteria: Criteria


@dataclass(frozen=True)
class ServicePhase:
    """A service's status from ``since`` on, with what the list said about it then."""

    status: str
    since: dt.datetime | None
    purposes: frozenset[str]
    qualifications: tuple[QualificationElement, ...]


@dataclass(frozen=True)
class TrustedService:
    provider: str
    name: str
    type: str
    status: str
    purposes: frozenset[str]
    certificates: tuple[x509.Certificate, ...]
    phases: tuple[ServicePhase, ...] = ()  # the current one first, then its history, newest first

    @property
    def granted(self) -> bool:
        return self.status == GRANTED

    @property
    def for_signatures(self) -> bool:
        declared = self.purposes & _PURPOSES
        return not declared or bool(declared & _FOR_SIGNATURES)


@dataclass(frozen=True)
class TrustedList:
    """One trusted list as read from ``path``; ``signature`` says how far its origin is proven."""

    path: Path
    territory: str | None
    operator: str | None
    sequence_number: int | None
    issued: dt.datetime | None
    next_update: dt.datetime | None
    services: tuple[TrustedService, ...]
    signature: Signature
    signed_by: str | None
    unreadable_certificates: int = 0

    @property
    def ca_certificates(self) -> list[x509.Certificate]:
        """Certificates of the granted CA/QC services for signatures or seals: trust roots."""
        return _unique(
            c for s in self.services if s.type == CA_QC and s.granted and s.for_signatures for c in s.certificates
        )

    @property
    def tsa_certificates(self) -> list[x509.Certificate]:
        """Certificates of the granted qualified timestamping services: trusted for timestamps only."""
        return _unique(c for s in self.services if s.type == TSA_QTST and s.granted for c in s.certificates)

    def describe(self, now: dt.datetime | None = None) -> str:
        """One line for a verification report: which list, how much of it is trusted, and why."""
        now = now or dt.datetime.now(dt.UTC)
        name = _("trusted list {territory}").format(territory=self.territory or "?")
        if self.sequence_number is not None:
            name += _(" no. {number}").format(number=self.sequence_number)
        if self.issued is not None:
            name += _(" of {date}").format(date=f"{self.issued:%Y-%m-%d}")
        parts = [
            _("{name} ({file}): {count} granted CA/QC certificate(s)")
            .format(name=name, file=self.path.name, count=len(self.ca_certificates))
        ]
        if self.tsa_certificates:
            parts[0] += _(", {count} granted TSA/QTST for timestamps").format(count=len(self.tsa_certificates))
        if self.signature == "verified":
            parts.append(
                _("its XML signature verifies against the given certificate of {signer}").format(signer=self.signed_by)
            )
        elif self.signature == "intact":
            parts.append(
                _("its XML signature verifies with the certificate it carries ({signer}),"
                  " which was not checked against a known one: the list is intact, its origin unproven")
                .format(signer=self.signed_by)
            )
        else:
            parts.append(_("the list is NOT signed: its origin is unproven"))
        if self.next_update is not None and self.next_update < now:
            parts.append(
                _("its next update was due on {date}: it may be out of date")
                .format(date=f"{self.next_update:%Y-%m-%d}")
            )
        if self.unreadable_certificates:
            parts.append(
                _("{count} certificate(s) in it could not be read").format(count=self.unreadable_certificates)
            )
        return "; ".join(parts)


def load_trusted_list(path: Path, *, signers: Sequence[x509.Certificate] = ()) -> list[x509.Certificate]:
    """The certificates of the granted CA/QC services of the trusted list in ``path``.

    See :func:`read_trusted_list` for ``signers`` and for the errors.
    """
    return read_trusted_list(path, signers=signers).ca_certificates


def read_trusted_list(path: Path, *, signers: Sequence[x509.Certificate] = ()) -> TrustedList:
    """Read an ETSI TS 119 612 trusted list from ``path``; nothing is fetched from the network.

    With ``signers``, the list must carry an XML signature made with one of them. Raises
    VerificationError for a file that cannot be read, is not a trusted list, whose signature does
    not verify, or that lists no granted CA/QC service (a list of trusted lists holds only
    pointers to the national lists, which must be given instead).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise VerificationError(_("cannot read {path}: {reason}").format(path=path, reason=e.strerror)) from None
    # No entities, no DTD, no network: the file may come from anywhere.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise VerificationError(
            _("not an ETSI TS 119 612 trusted list: {path}: {reason}").format(path=path, reason=_one_line(e))
        ) from None
    if root.tag != f"{{{TSL_NS}}}TrustServiceStatusList":
        raise VerificationError(
            _("not an ETSI TS 119 612 trusted list: {path} (its root element is {element})")
            .format(path=path, element=etree.QName(root).localname)
        )

    issued = _when(root.findtext("tsl:SchemeInformation/tsl:ListIssueDateTime", namespaces=_NS))
    signature: Signature
    signed, signature, signed_by = _check_signature(path, root, signers, issued)
    info = signed.find("tsl:SchemeInformation", _NS)
    if info is None:
        raise VerificationError(
            _("not an ETSI TS 119 612 trusted list: {path} (no SchemeInformation)").format(path=path)
        )
    services, unreadable = _services(signed)
    result = TrustedList(
        path=path,
        territory=_text(info, "tsl:SchemeTerritory"),
        operator=_text(info, "tsl:SchemeOperatorName/tsl:Name"),
        sequence_number=_int(_text(info, "tsl:TSLSequenceNumber")),
        issued=_when(_text(info, "tsl:ListIssueDateTime")),
        next_update=_when(_text(info, "tsl:NextUpdate/tsl:dateTime")),
        services=tuple(services),
        signature=signature,
        signed_by=signed_by,
        unreadable_certificates=unreadable,
    )
    if not result.ca_certificates:
        if signed.find("tsl:TrustServiceProviderList", _NS) is None:
            raise VerificationError(
                _("{path} lists no trust service providers (a list of trusted lists?): give the national"
                  " trusted list itself, which atti does not download").format(path=path)
            )
        raise VerificationError(_("{path} lists no granted CA/QC service for signatures").format(path=path))
    return result


def _check_signature(
    path: Path, root: Any, signers: Sequence[x509.Certificate], issued: dt.datetime | None
) -> tuple[Any, Signature, str | None]:
    """(the element whose content the signature covers, how it was verified, who signed).

    What is read afterwards is what signxml returns as signed, never the file as parsed: an
    element outside the signed content (a wrapped copy) is thereby ignored.
    """
    sig = root.find("ds:Signature", _NS)
    if sig is None:
        if signers:
            raise VerificationError(
                _("the trusted list {path} is not signed, and a signer was required").format(path=path)
            )
        return root, "unsigned", None
    from signxml.exceptions import InvalidInput, InvalidSignature
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    # The list is signed when issued: its signer's certificate must have been valid then.
    config = SignatureConfiguration(location="./", expect_references=True, verification_time=issued)
    if signers:
        candidates, how = list(signers), "verified"
    else:
        candidates, how = _carried_certificates(sig), "intact"
        if not candidates:
            raise VerificationError(
                _("the XML signature of {path} carries no certificate to check it with").format(path=path)
            )
    problems = []
    for cert in candidates:
        try:
            results = XMLVerifier().verify(root, x509_cert=cert, expect_config=config)
        except (InvalidSignature, InvalidInput) as e:
            problems.append(_one_line(e))
            continue
        for result in results if isinstance(results, list) else [results]:
            element = result.signed_xml
            if getattr(element, "tag", None) == f"{{{TSL_NS}}}TrustServiceStatusList":
                signature: Signature = "verified" if how == "verified" else "intact"
                return element, signature, _subject(cert)
        problems.append(_("the signature does not cover the whole list"))
    if signers:
        raise VerificationError(
            _("the XML signature of the trusted list {path} does not verify with the given certificate(s): {reason}")
            .format(path=path, reason=problems[-1])
        )
    raise VerificationError(
        _("the XML signature of the trusted list {path} does not verify: {reason}")
        .format(path=path, reason=problems[-1])
    )


def _carried_certificates(sig: Any) -> list[x509.Certificate]:
    certs = []
    for text in sig.xpath("ds:KeyInfo/ds:X509Data/ds:X509Certificate/text()", namespaces=_NS):
        cert = _certificate(str(text))
        if cert is not None:
            certs.append(cert)
    return certs


def _services(root: Any) -> tuple[list[TrustedService], int]:
    services, unreadable = [], 0
    for tsp in root.iterfind("tsl:TrustServiceProviderList/tsl:TrustServiceProvider", _NS):
        provider = _text(tsp, "tsl:TSPInformation/tsl:TSPName/tsl:Name") or "?"
        for info in tsp.iterfind("tsl:TSPServices/tsl:TSPService/tsl:ServiceInformation", _NS):
            certs = []
            for text in info.xpath(
                "tsl:ServiceDigitalIdentity/tsl:DigitalId/tsl:X509Certificate/text()", namespaces=_NS
            ):
                cert = _certificate(str(text))
                if cert is None:
                    unreadable += 1
                else:
                    certs.append(cert)
            purposes = _purposes(info)
            history = info.getparent().iterfind("tsl:ServiceHistory/tsl:ServiceHistoryInstance", _NS)
            services.append(
                TrustedService(
                    provider=provider,
                    name=_text(info, "tsl:ServiceName/tsl:Name") or "?",
                    type=_text(info, "tsl:ServiceTypeIdentifier") or "",
                    status=_text(info, "tsl:ServiceStatus") or "",
                    purposes=purposes,
                    certificates=tuple(certs),
                    phases=tuple(_phase(element) for element in [info, *history]),
                )
            )
    return services, unreadable


def _purposes(info: Any) -> frozenset[str]:
    uris = info.xpath(
        "tsl:ServiceInformationExtensions/tsl:Extension/tsl:AdditionalServiceInformation/tsl:URI/text()",
        namespaces=_NS,
    )
    return frozenset(str(p).strip() for p in uris)


def _phase(info: Any) -> ServicePhase:
    """ServiceInformation or a ServiceHistoryInstance: both carry status, start and extensions."""
    elements = info.iterfind(
        "tsl:ServiceInformationExtensions/tsl:Extension/ecc:Qualifications/ecc:QualificationElement", _NS
    )
    return ServicePhase(
        status=_text(info, "tsl:ServiceStatus") or "",
        since=_when(_text(info, "tsl:StatusStartingTime")),
        purposes=_purposes(info),
        qualifications=tuple(_qualification(e) for e in elements),
    )


def _qualification(element: Any) -> QualificationElement:
    uris = element.xpath("ecc:Qualifiers/ecc:Qualifier/@uri", namespaces=_NS)
    criteria = element.find("ecc:CriteriaList", _NS)
    return QualificationElement(
        qualifiers=frozenset(str(u).strip().rstrip("/").rsplit("/", 1)[-1] for u in uris),
        criteria=_criteria(criteria) if criteria is not None else Criteria("all", unknown=True),
    )


def _criteria(element: Any) -> Criteria:
    usages, policies, nested, unknown = [], [], [], False
    for child in element:
        if not isinstance(child.tag, str):
            continue  # a comment
        name = etree.QName(child).localname
        if name == "KeyUsage":
            bits = child.iterfind("ecc:KeyUsageBit", _NS)
            usages.append(frozenset((b.get("name", ""), (b.text or "").strip() == "true") for b in bits))
        elif name == "PolicySet":
            oids = child.xpath("ecc:PolicyIdentifier/xades:Identifier/text()", namespaces=_NS)
            # Lists write an OID bare or as a URN ("urn:oid:0.4.0.194112.1.2", Qualifier="OIDAsURN").
            policies.append(frozenset(str(o).strip().removeprefix("urn:oid:") for o in oids))
        elif name == "CriteriaList":
            nested.append(_criteria(child))
        elif name != "Description":
            unknown = True  # otherCriteriaList: ExtendedKeyUsage, CertSubjectDNAttribute...
    return Criteria(element.get("assert", "all"), tuple(usages), tuple(policies), tuple(nested), unknown)


def _certificate(text: str) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(text.split()), validate=True))
    except (ValueError, binascii.Error):
        return None


def _unique(certs: Any) -> list[x509.Certificate]:
    seen: dict[bytes, x509.Certificate] = {}
    for cert in certs:
        seen.setdefault(cert.fingerprint(hashes.SHA256()), cert)
    return list(seen.values())


def _text(element: Any, path: str) -> str | None:
    value = element.findtext(path, namespaces=_NS)
    return " ".join(value.split()) if value and value.strip() else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _subject(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__
