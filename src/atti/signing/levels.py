"""PAdES baseline levels (ETSI EN 319 142-1) on top of pyHanko, and document timestamps.

* B-B: the signature alone;
* B-T: plus a signature timestamp from a TSA, proving the signature existed at that time;
* B-LT: plus the certificates, OCSP responses and CRLs that validate it, in the document's DSS
  (not inside the signature: the signature's size then does not depend on revocation data);
* B-LTA: plus a document timestamp over all of that, renewed before its TSA certificate expires
  (:func:`add_document_timestamp`), so the evidence outlives every certificate in it.

B-LT and B-LTA fetch revocation data for the signer's chain anyway, so they are also where a
revoked certificate is refused: B-B and B-T make no network request besides the TSA's.

Every network failure becomes one :class:`~atti.errors.SigningError` line naming the service
("TSA http://... did not answer: ..."): the officer can tell a TSA outage from a bad certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import functools
import io
import ssl
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import certifi
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, PdfTimeStamper, TimestampDSSContentSettings
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.errors import (
    CRLFetchError,
    ExpiredError,
    InsufficientRevinfoError,
    OCSPFetchError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
)
from pyhanko_certvalidator.fetchers import Fetchers
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession

from atti.config import LEVELS, Level
from atti.errors import ServiceError, SigningError
from atti.i18n import _

__all__ = [
    "LEVELS",
    "NETWORK_TIMEOUT",
    "Level",
    "LevelPlan",
    "ServiceError",
    "TimestampOutcome",
    "add_document_timestamp",
    "last_timestamp",
    "make_timestamper",
    "needs_revocation",
    "needs_timestamp",
    "parse_level",
    "run_signing",
    "signature_metadata",
]

NETWORK_TIMEOUT = 10.0  # seconds for one TSA, OCSP or CRL request
DIGEST = "sha256"
# DSS entries per signature (VRI) are deprecated in PAdES and would force an extra revision after
# every document timestamp; validators look the data up by certificate anyway.
_DSS = DSSContentSettings(include_vri=False)
_TS_DSS = TimestampDSSContentSettings(include_vri=False)


def parse_level(value: str) -> Level:
    """ "b-lta", "PAdES-B-LTA" -> "B-LTA"; anything else is a SigningError naming the choices."""
    text = value.strip().upper().removeprefix("PADES-").removeprefix("BASELINE-")
    for level in LEVELS:
        if text == level:
            return level
    raise SigningError(
        _("unknown signature level {level}: choose one of {levels}").format(level=repr(value), levels=", ".join(LEVELS))
    )


def needs_timestamp(level: Level) -> bool:
    return level != "B-B"


def needs_revocation(level: Level) -> bool:
    return level in ("B-LT", "B-LTA")


# -- HTTP: one session per operation ------------------------------------------------------------
#
# pyHanko opens an aiohttp session for every TSA request and one for the OCSP/CRL fetchers, and
# each loads certifi's CA bundle into a new TLS context: about 15 ms, three times per B-LTA
# signature, more than the signature itself. Here one session serves the whole operation (TSA,
# OCSP and CRL, with keep-alive), over one TLS context made once. Sessions belong to an event
# loop and every operation runs its own, so the session lives in a context variable that the
# operation sets, not in the long-lived timestamper.

_SESSION: contextvars.ContextVar[aiohttp.ClientSession | None] = contextvars.ContextVar("atti_http", default=None)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # The CA bundle pyHanko itself uses for HTTPS services.
    return ssl.create_default_context(cafile=certifi.where())


def _new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=_tls_context()))


@contextlib.asynccontextmanager
async def _operation_session() -> AsyncIterator[None]:
    session = _new_session()
    token = _SESSION.set(session)
    try:
        yield
    finally:
        _SESSION.reset(token)
        await session.close()


class _OperationSession(LazySession):
    """The fetchers' view of the operation's session: they neither create nor close it."""

    def get_session(self) -> aiohttp.ClientSession:
        session = _SESSION.get()
        if session is None:
            raise RuntimeError("OCSP/CRL fetching outside a signing operation")
        return session

    async def close(self) -> None:
        pass  # _operation_session closes it


class Timestamper(HTTPTimeStamper):
    """pyHanko's HTTP timestamp client, posting through the operation's session when there is one."""

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        session = _SESSION.get()
        if session is not None:
            return await self._post(session, req)
        async with _new_session() as own:
            return await self._post(own, req)

    async def _post(self, session: aiohttp.ClientSession, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            async with session.post(
                url=self.url,
                headers=await self.async_request_headers(),
                data=req.dump(),
                auth=self.auth,
                raise_for_status=True,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                data = await response.read()
                content_type = response.headers.get("Content-Type")
            if content_type != "application/timestamp-reply":
                raise ValueError(f"Content-Type {content_type}, not application/timestamp-reply")
            return tsp.TimeStampResp.load(data)
        except (aiohttp.ClientError, OSError, ValueError) as e:
            raise TimestampRequestError("Error while contacting timestamp service") from e


def make_timestamper(url: str, *, timeout: float = NETWORK_TIMEOUT) -> HTTPTimeStamper:
    """An RFC 3161 client; keep it for many signatures, it caches the TSA's certificates."""
    if not url.startswith(("http://", "https://")):
        raise SigningError(_("the TSA URL must start with http:// or https://: {url}").format(url=repr(url)))
    return Timestamper(url, timeout=timeout)


def _fetchers(timeout: float) -> Fetchers:
    # The backend is typed for a ClientSession, but takes a LazySession (its own default) as well.
    session: Any = _OperationSession()  # type: ignore[no-untyped-call]
    return AIOHttpFetcherBackend(session=session, per_request_timeout=timeout).get_fetchers()


def signature_metadata(
    level: Level,
    *,
    field_name: str,
    reason: str | None = None,
    location: str | None = None,
    name: str | None = None,
    validation_context: ValidationContext | None = None,
) -> signers.PdfSignatureMetadata:
    """pyHanko's description of one PAdES signature at ``level``.

    The timestamp itself is not described here: pyHanko adds one whenever the PdfSigner has a
    timestamper, so B-T is "B-B plus a timestamper".
    """
    lt = needs_revocation(level)
    if lt and validation_context is None:
        raise ValueError(f"{level} needs a validation context")
    return signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=name,
        embed_validation_info=lt,
        validation_context=validation_context if lt else None,
        use_pades_lta=level == "B-LTA",
        dss_settings=_DSS,
    )


# -- one signing operation ---------------------------------------------------------------------


def _cn(cert: asn1_x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("common_name") or cert.subject.human_friendly)


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


def _root_cause(e: BaseException) -> BaseException:
    seen = {id(e)}
    while e.__cause__ is not None and id(e.__cause__) not in seen:
        e = e.__cause__
        seen.add(id(e))
    return e


def _network_failure(e: BaseException, timeout: float) -> str:
    """ "did not answer: ..." or "answered HTTP 404 ...": what went wrong talking to a service."""
    cause = _root_cause(e)
    if isinstance(cause, aiohttp.ClientResponseError):
        return _("answered HTTP {status} {message}").format(status=cause.status, message=cause.message or "").rstrip()
    if isinstance(cause, asyncio.TimeoutError | TimeoutError):
        return _("did not answer within {seconds} s").format(seconds=f"{timeout:g}")
    if isinstance(cause, ConnectionRefusedError):
        return _("did not answer: connection refused")
    if isinstance(cause, aiohttp.ClientError | OSError):
        return _("did not answer: {reason}").format(reason=_one_line(cause))
    return _("gave an unusable answer: {reason}").format(reason=_one_line(cause))


def _crl_urls(cert: asn1_x509.Certificate) -> list[str]:
    return [str(dp.url) for dp in cert.crl_distribution_points if dp.url]


@dataclass
class LevelPlan:
    """What one signature at ``level`` needs: built before the PDF is touched, used once.

    The validation context is per signature on purpose: revocation status must be fresh for each
    document (a certificate can be revoked between two signatures of a batch), and pyHanko embeds
    every response the context holds.
    """

    level: Level
    tsa_url: str | None = None
    timestamper: TimeStamper | None = None
    validation_context: ValidationContext | None = None
    timeout: float = NETWORK_TIMEOUT
    _fetchers: Fetchers | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        level: Level,
        *,
        tsa_url: str | None,
        timestamper: TimeStamper | None,
        chain: Sequence[x509.Certificate],
        trust_roots: Sequence[x509.Certificate] = (),
        timeout: float = NETWORK_TIMEOUT,
    ) -> LevelPlan:
        """``chain``: the signer's certificate first, then its CAs; ``trust_roots`` are further
        roots (e.g. the TSA's), on top of the self-signed certificates of ``chain``."""
        if needs_timestamp(level) and (timestamper is None or not tsa_url):
            raise SigningError(_("a {level} signature needs a TSA: give --tsa URL or set tsa_url").format(level=level))
        plan = cls(level, tsa_url, timestamper if needs_timestamp(level) else None, timeout=timeout)
        if not needs_revocation(level):
            return plan
        signer_cert = translate_pyca_cryptography_cert_to_asn1(chain[0])
        if not signer_cert.ocsp_urls and not _crl_urls(signer_cert):
            raise SigningError(
                _("the certificate of {name} names no OCSP responder and no CRL,"
                  " so a {level} signature cannot carry its revocation data").format(name=_cn(signer_cert), level=level)
            )
        # The fetchers are ours rather than the context's, so that they can be asked first
        # (fetch_revocation) and report which service failed; their cache then serves pyHanko.
        plan._fetchers = _fetchers(timeout)
        # The signer's own root is trusted here only to build its path and collect revocation
        # data; trust is the verifier's decision, made later with the verifier's roots.
        roots: dict[bytes, asn1_x509.Certificate] = {}
        for cert in [*(c for c in chain if c.subject == c.issuer), *trust_roots]:
            asn1 = translate_pyca_cryptography_cert_to_asn1(cert)
            roots[asn1.sha256] = asn1
        plan.validation_context = ValidationContext(
            trust_roots=list(roots.values()),
            other_certs=[translate_pyca_cryptography_cert_to_asn1(c) for c in chain[1:]],
            allow_fetching=True,
            # Missing revocation data is an error, not a shrug: B-LT exists to carry it.
            revocation_mode="hard-fail",
            fetchers=plan._fetchers,
        )
        return plan

    async def fetch_revocation(self, chain: Sequence[x509.Certificate]) -> None:
        """Ask the signer's OCSP responder, then its CRL, before pyHanko does.

        certvalidator reports "no revocation information could be found" without saying which
        service failed or why; asking here yields that, and its fetchers cache what they got, so
        the validation that follows sends no second request.
        """
        assert self._fetchers is not None
        cert = translate_pyca_cryptography_cert_to_asn1(chain[0])
        issuer = next((c for c in chain[1:] if c.subject == chain[0].issuer), None)
        failures: list[str] = []
        if cert.ocsp_urls and issuer is not None:
            authority = AuthorityWithCert(translate_pyca_cryptography_cert_to_asn1(issuer))
            try:
                await self._fetchers.ocsp_fetcher.fetch(cert, authority)
                return
            except OCSPFetchError as e:
                urls = " ".join(cert.ocsp_urls)
                failures.append(
                    _("OCSP responder {urls} {failure}").format(urls=urls, failure=_network_failure(e, self.timeout))
                )
        if _crl_urls(cert):
            urls = " ".join(_crl_urls(cert))
            try:
                if await self._fetchers.crl_fetcher.fetch(cert):
                    return
                failures.append(_("CRL {urls} gave no CRL").format(urls=urls))
            except CRLFetchError as e:
                failures.append(_("CRL {urls} {failure}").format(urls=urls, failure=_network_failure(e, self.timeout)))
        if failures:
            raise ServiceError(
                _("no revocation data for the certificate of {name}: {failures}")
                .format(name=_cn(cert), failures="; ".join(failures))
            )

    async def extra_reserve(self) -> int:
        """Hex digits the signature timestamp adds to the CMS blob (with a margin, rounded up)."""
        if self.timestamper is None:
            return 0
        # pyHanko caches this token per timestamper: one request in the timestamper's lifetime.
        token = await self.timestamper.async_dummy_response(DIGEST)
        # A TSA's answers vary a little in length (nonce, serial, time precision): 50% margin.
        needed = len(token.dump()) * 2 * 3 // 2
        return -(-needed // 1024) * 1024

    def explain(self, e: BaseException, signer_name: str) -> SigningError | None:
        """One line for a failure of the network or of certificate validation, else None."""
        chain: list[BaseException] = []
        cur: BaseException | None = e
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = cur.__cause__ or cur.__context__
        for err in chain:
            if isinstance(err, TimestampRequestError):
                return ServiceError(
                    _("TSA {url} {failure}").format(url=self.tsa_url, failure=_tsa_failure(err, self.timeout))
                )
        # pyHanko wraps a failure of the signer's certificate; the TSA's comes unwrapped.
        signer_failed = any(
            isinstance(err, PyHankoSigningError) and "signer's certificate" in str(err) for err in chain
        )
        for err in chain:
            if isinstance(err, PathValidationError | PathBuildingError):
                return _explain_path_error(err, signer_name if signer_failed else None)
        return None


def _tsa_failure(e: TimestampRequestError, timeout: float) -> str:
    if e.__cause__ is not None:
        return _network_failure(e, timeout)
    return _("refused the request: {reason}").format(reason=_one_line(e))


def _explain_path_error(e: PathValidationError | PathBuildingError, signer_name: str | None) -> SigningError:
    """``signer_name`` is None when the failing certificate is not (or not known to be) the signer's."""
    if isinstance(e, PathBuildingError):
        whose = (_("the certificate of {name}").format(name=signer_name) if signer_name
                 else _("a certificate (of the TSA?)"))
        return SigningError(
            _("{whose} does not chain to a trusted root ({reason});"
              " put the root certificate of its CA in the archive's trust folder")
            .format(whose=whose, reason=_one_line(e))
        )
    leaf = e.original_path.leaf
    name = signer_name or (_cn(leaf) if isinstance(leaf, asn1_x509.Certificate) else _("the signer"))
    ee = e.is_ee_cert and not e.is_side_validation
    whose = (_("the certificate of {name}") if ee else _("a certificate in the chain of {name}")).format(name=name)
    if isinstance(e, RevokedError):
        reason = str(e.reason.native).replace("_", " ") if e.reason is not None else _("unspecified")
        return SigningError(
            _("{whose} was revoked on {when} UTC (reason: {reason})")
            .format(whose=whose, when=f"{e.revocation_dt:%Y-%m-%d %H:%M}", reason=reason)
        )
    if isinstance(e, ExpiredError):
        return SigningError(_("{whose} expired on {date}").format(whose=whose, date=f"{e.expired_dt:%Y-%m-%d}"))
    if isinstance(e, InsufficientRevinfoError):
        return SigningError(
            _("no usable revocation data for {whose}: {reason}").format(whose=whose, reason=_one_line(e))
        )
    return SigningError(_("{whose} does not validate: {reason}").format(whose=whose, reason=_one_line(e)))


async def run_signing(
    plan: LevelPlan,
    pdf_signer: signers.PdfSigner,
    writer: IncrementalPdfFileWriter,
    *,
    bytes_reserved: int,
    chain: Sequence[x509.Certificate],
    signer_name: str,
    appearance_text_params: dict[str, str] | None = None,
) -> bytes:
    """Sign ``writer`` as ``plan`` says; every failure the officer can act on is one SigningError.

    One event loop, and one HTTP session, for the whole operation.
    """
    try:
        async with _operation_session():
            if needs_revocation(plan.level):
                await plan.fetch_revocation(chain)
            reserve = bytes_reserved + await plan.extra_reserve()
            out = io.BytesIO()
            await pdf_signer.async_sign_pdf(
                writer, bytes_reserved=reserve, output=out, appearance_text_params=appearance_text_params
            )
            return out.getvalue()
    except SigningError:
        raise
    except Exception as e:
        explained = plan.explain(e, signer_name)
        if explained is None:
            raise
        raise explained from e


# -- document timestamps (B-LTA, and its renewal) ------------------------------------------------


@dataclass(frozen=True)
class TimestampInfo:
    """The newest timestamp of a PDF: a document timestamp, else the last signature timestamp."""

    kind: str  # "document" or "signature"
    tsa: str
    time: dt.datetime
    tsa_not_after: dt.datetime


@dataclass(frozen=True)
class TimestampOutcome:
    pdf: bytes
    notes: list[str]


def _tst_info(signed_data: Any) -> tuple[asn1_x509.Certificate, dt.datetime]:
    cert = extract_certificate_info(signed_data).signer_cert
    tst = signed_data["encap_content_info"]["content"].parsed
    return cert, tst["gen_time"].native


def last_timestamp(pdf: bytes) -> TimestampInfo | None:
    """The timestamp a B-LTA renewal must come before the TSA certificate of (None: there is none)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        found: list[TimestampInfo] = []
        for ts in reader.embedded_timestamp_signatures:
            cert, when = _tst_info(ts.signed_data)
            found.append(TimestampInfo("document", _cn(cert), when, cert.not_valid_after))
        if found:
            return found[-1]
        for sig in reader.embedded_regular_signatures:
            for signed_data in extract_tst_data_iter(sig.signer_info, signed=False):
                cert, when = _tst_info(signed_data)
                found.append(TimestampInfo("signature", _cn(cert), when, cert.not_valid_after))
    except Exception as e:  # a damaged file can fail anywhere in the parser
        raise SigningError(_("not a readable signed PDF: {reason}").format(reason=_one_line(e))) from e
    return max(found, key=lambda t: t.time) if found else None


def _signed_datas(sig: EmbeddedPdfSignature) -> Iterable[Any]:
    yield sig.signed_data
    for signed in (False, True):
        yield from extract_tst_data_iter(sig.signer_info, signed=signed)


def _embedded_roots(reader: PdfFileReader) -> list[asn1_x509.Certificate]:
    """Self-signed certificates the document carries (in its signatures and its DSS).

    Used only to build paths while *collecting* validation data: whether a root deserves trust
    is decided by whoever verifies, with their own roots. Without them, a renewal could not
    refresh the data of a signer whose root the archive was never given.
    """
    certs: list[asn1_x509.Certificate] = []
    for sig in reader.embedded_signatures:
        for signed_data in _signed_datas(sig):
            certs.extend(c.chosen for c in signed_data["certificates"] if c.name == "certificate")
    # No DSS (B-B, B-T), or a damaged one: fewer certificates, still fine.
    with contextlib.suppress(Exception):
        certs.extend(DocumentSecurityStore.read_dss(reader).load_certs())
    return [c for c in certs if c.self_signed != "no"]


async def _add_document_timestamp(
    pdf: bytes, timestamper: TimeStamper, tsa_url: str, trust_roots: Sequence[x509.Certificate], timeout: float
) -> TimestampOutcome:
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        if reader.security_handler is not None:
            raise SigningError(_("the PDF is encrypted: atti timestamps only unencrypted PDFs"))
        signatures = list(reader.embedded_signatures)
        roots = {c.sha256: c for c in _embedded_roots(reader)}
    except SigningError:
        raise
    except Exception as e:  # the parser meets arbitrary bytes
        raise SigningError(_("not a PDF: {reason}").format(reason=_one_line(e))) from e
    if not signatures:
        raise SigningError(_("the PDF has no signature to keep valid: sign it first"))
    for cert in trust_roots:
        asn1 = translate_pyca_cryptography_cert_to_asn1(cert)
        roots[asn1.sha256] = asn1
    vc = ValidationContext(
        trust_roots=list(roots.values()),
        allow_fetching=True,
        revocation_mode="hard-fail",
        fetchers=_fetchers(timeout),
    )
    plan = LevelPlan("B-LTA", tsa_url=tsa_url, timestamper=timestamper, timeout=timeout)
    try:
        async with _operation_session():
            return await _refresh_and_timestamp(pdf, signatures, timestamper, vc)
    except SigningError:
        raise
    except Exception as e:
        explained = plan.explain(e, "")
        if explained is None:
            raise SigningError(_("cannot timestamp the PDF: {reason}").format(reason=_one_line(e))) from e
        raise explained from e


def _is_document_timestamp(sig: EmbeddedPdfSignature) -> bool:
    return bool(sig.sig_object.get("/Type") == "/DocTimeStamp")


async def _refresh_and_timestamp(
    pdf: bytes, signatures: list[EmbeddedPdfSignature], timestamper: TimeStamper, vc: ValidationContext
) -> TimestampOutcome:
    """Current validation data for every signature and timestamp, then a timestamp over it.

    Only the newest document timestamp must still validate: it is what the new one extends. A
    signer's certificate may long have expired (that is why B-LTA exists) or have been revoked
    after signing, which the fresh data then records: those are notes, not errors.
    """
    last_document_ts = next((s for s in reversed(signatures) if _is_document_timestamp(s)), None)
    notes: list[str] = []
    paths = []
    for sig in signatures:
        for signed_data in _signed_datas(sig):
            info = extract_certificate_info(signed_data)
            validator = CertificateValidator(
                info.signer_cert, intermediate_certs=info.other_certs, validation_context=vc
            )
            try:
                paths.append(await validator.async_validate_usage(set()))  # type: ignore[no-untyped-call]
            except (PathValidationError, PathBuildingError) as e:
                err = _explain_path_error(e, _cn(info.signer_cert))
                if sig is last_document_ts:
                    raise SigningError(
                        _("the last document timestamp can no longer be validated, so a new one would not"
                          " extend it: {reason}").format(reason=err.msg)
                    ) from e
                if not isinstance(e, ExpiredError):
                    notes.append(err.msg)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    # The refreshed DSS goes into the same revision as the new timestamp, which covers it.
    DocumentSecurityStore.supply_dss_in_writer(writer, None, paths=paths, validation_context=vc)
    out = io.BytesIO()
    await PdfTimeStamper(timestamper).async_timestamp_pdf(writer, DIGEST, vc, output=out, dss_settings=_TS_DSS)
    return TimestampOutcome(out.getvalue(), notes)


def add_document_timestamp(
    pdf: bytes,
    *,
    tsa_url: str,
    timestamper: TimeStamper | None = None,
    trust_roots: Sequence[x509.Certificate] = (),
    timeout: float = NETWORK_TIMEOUT,
) -> TimestampOutcome:
    """Refresh the DSS with current validation data, then add a document timestamp over it.

    This makes B-T and B-LT signatures B-LTA, and renews a B-LTA document before its last
    timestamp's TSA certificate expires. ``notes`` lists what could not be refreshed without
    making the result invalid (a signer revoked after signing, say).
    """
    ts = timestamper or make_timestamper(tsa_url, timeout=timeout)
    return asyncio.run(_add_document_timestamp(pdf, ts, tsa_url, trust_roots, timeout))
