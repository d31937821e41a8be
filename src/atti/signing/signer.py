"""PAdES signing of act PDFs with a key held in a PKCS#12 file.

An :class:`ActSigner` is meant to be created once and used for many documents: the PKCS#12 is
decrypted and every check that can fail because of the certificate (expired, wrong key usage)
runs at load time, before any output exists. Each signature is then a PAdES signature
(subfilter ETSI.CAdES.detached, SHA-256) appended as an incremental update, so the bytes
LibreOffice produced (and their PDF/A conformance) are kept as they are: B-B by default, B-T,
B-LT or B-LTA on request (see :mod:`.levels`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.misc import FormFillingError, PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import constants
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import read_certification_data
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from atti.errors import PassphraseNeeded, SigningError
from atti.files import write_atomic, write_error
from atti.i18n import _
from atti.signing import levels
from atti.signing.identity import common_name
from atti.signing.stamp import document_font, stamp_style, stamp_time

__all__ = ["ActSigner"]

# Room for the CMS blob, in hex digits as pyHanko counts it. Passing it skips pyHanko's dry-run
# signature that would otherwise only measure the size. 16 KiB holds a B-B signature with a
# two- or three-certificate chain; longer chains get more (see _reserve_for).
MIN_BYTES_RESERVED = 16 * 1024
CMS_OVERHEAD = 2048  # signed attributes, algorithm identifiers, ASN.1 framing

SUPPORTED_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)


class _LoadedKeySigner(signers.SimpleSigner):
    """A SimpleSigner that keeps the parsed private key.

    SimpleSigner re-parses its DER key on every signature; for RSA that includes the key
    consistency check, about 150 ms for a 3072-bit key, which is most of the cost of a signature.
    """

    def __init__(self, pyca_key: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pyca_key = pyca_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algo = mechanism.signature_algo
        except ValueError:
            algo = mechanism["algorithm"].native
        key = self._pyca_key
        if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        # PSS, EdDSA and the rest are rare in practice: pyHanko's own path is correct, only slower.
        result: bytes = super().sign_raw(data, digest_algorithm)
        return result


def _order_chain(leaf: x509.Certificate, others: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """``others`` from the leaf's issuer upward; certificates not on that path come last."""
    ordered: list[x509.Certificate] = []
    remaining = list(others)
    current = leaf
    while current.issuer != current.subject:
        issuer = next((c for c in remaining if c.subject == current.issuer), None)
        if issuer is None:
            break
        ordered.append(issuer)
        remaining.remove(issuer)
        current = issuer
    return ordered + remaining


def _looks_like_pkcs12(data: bytes) -> bool:
    """Outer PFX structure only: tells "not a PKCS#12" from "cannot decrypt", which cryptography
    reports with the same exception type."""
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return bool(pfx["version"].native == "v3" and pfx["auth_safe"]["content_type"].native)
    except Exception:  # asn1crypto raises several unrelated types on garbage
        return False


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SigningError(_("no such file: {path}").format(path=path)) from None
    except OSError as e:
        raise SigningError(_("cannot read {path}: {reason}").format(path=path, reason=e.strerror)) from None


def _keep_producer_in_step(writer: IncrementalPdfFileWriter) -> None:
    """Make Info /Producer match the XMP pdf:Producer that pyHanko is about to write.

    pyHanko sets XMP pdf:Producer to its own name but *appends* its name to Info /Producer, so a
    LibreOffice PDF/A would leave with "LibreOffice 7.4; pyHanko" beside "pyHanko": PDF/A asks
    the two to agree. The original values stay readable in the signed (earlier) revision.
    """
    if "/Metadata" not in writer.root:
        return  # no XMP: pyHanko only touches the Info dictionary, nothing can disagree
    try:
        info_ref = writer.trailer.raw_get("/Info")
        info = info_ref.get_object()
    except (KeyError, AttributeError):
        return
    if isinstance(info, generic.DictionaryObject) and "/Producer" in info and info["/Producer"] != VENDOR:
        info["/Producer"] = generic.TextStringObject(VENDOR)
        writer.mark_update(info_ref)


class _PdfSigner(signers.PdfSigner):
    """pyHanko's signer, without raising a PDF 1.7 file to PDF 2.0 for an ECDSA key.

    pyHanko registers ISO 32002 and sets the catalog's /Version to 2.0 for ECDSA on the NIST
    and Brainpool curves; a PDF/A-3 file (ISO 19005-3 rests on PDF 1.7) would then declare a
    version it may not have. ECDSA needs no PDF 2.0: PAdES (ETSI EN 319 142-1, with the ESIC
    extension pyHanko registers at 1.7) and ETSI TS 119 312 have long allowed it. Ed25519,
    Ed448 and SHA-3 are defined for PDF only by ISO 32001/32002, so a PDF/A file refuses them.
    """

    def register_extensions(self, pdf_out: Any, *, md_algorithm: str) -> None:
        if pdf_out.output_version >= (2, 0):
            super().register_extensions(pdf_out, md_algorithm=md_algorithm)
            return
        algo = self.signer.get_signature_mechanism_for_digest(md_algorithm).signature_algo
        if algo in ("ed25519", "ed448") or md_algorithm.startswith("sha3_") or md_algorithm == "shake256":
            if _claims_pdfa(pdf_out):
                raise SigningError(
                    _("a {algorithm} signature with {digest} needs PDF 2.0, which a PDF/A-3 file may not declare")
                    .format(algorithm=algo, digest=md_algorithm)
                )
            super().register_extensions(pdf_out, md_algorithm=md_algorithm)
            return
        if self.signature_meta.subfilter == fields.SigSeedSubFilter.PADES:
            pdf_out.ensure_output_version(version=(1, 7))
            pdf_out.register_extension(constants.ESIC_EXTENSION_1)


def _locked_by_a_signature(reader: Any) -> bool:
    """Whether a signed field carries a /Lock (FieldMDP), as atti's locking signatures do."""
    for _name, value, ref in fields.enumerate_sig_fields(reader, filled_status=True):
        if value is not None and "/Lock" in ref.get_object():
            return True
    return False


def _claims_pdfa(pdf_out: Any) -> bool:
    """Whether the document's XMP metadata identifies it as PDF/A (pdfaid:part)."""
    try:
        xmp = pdf_out.root["/Metadata"].get_object().data
    except Exception:  # no metadata, or unreadable: no claim
        return False
    return b"pdfaid:part" in bytes(xmp)


class ActSigner:
    """Signs PDFs as PAdES B-B with one certificate; create once, sign many."""

    def __init__(
        self,
        certificate: x509.Certificate,
        private_key: Any,
        chain: Sequence[x509.Certificate] = (),
        *,
        source: str | None = None,
    ) -> None:
        """Prefer :meth:`from_pkcs12`; ``chain`` holds the CA certificates, issuer first."""
        self._init_common(certificate, chain, source or _("the key"))
        self._signer: signers.Signer = _LoadedKeySigner(
            pyca_key=private_key,
            signing_cert=translate_pyca_cryptography_cert_to_asn1(certificate),
            signing_key=translate_pyca_cryptography_key_to_asn1(private_key),
            cert_registry=self._registry(),
        )

    def _init_common(self, certificate: x509.Certificate, chain: Sequence[x509.Certificate], source: str) -> None:
        self._certificate = certificate
        self._source = source
        self._cas = _order_chain(certificate, chain)
        self._check_certificate()
        self._bytes_reserved = self._reserve_for(certificate.public_key())
        # One per TSA URL, kept for the signer's lifetime: it caches the TSA's certificates
        # and the token that sizes the signature, so later signatures skip those requests.
        self._timestampers: dict[str, TimeStamper] = {}

    def _registry(self) -> SimpleCertificateStore:
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # untyped __init__
        registry.register_multiple([translate_pyca_cryptography_cert_to_asn1(c) for c in self._cas])
        return registry

    @classmethod
    def from_signer(
        cls,
        signer: signers.Signer,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
        *,
        source: str,
    ) -> ActSigner:
        """An ActSigner over any pyHanko signer whose key lives elsewhere: a PKCS#11 token, a
        remote signing service. The certificate checks run here, before anything is signed."""
        self = cls.__new__(cls)
        self._init_common(certificate, chain, source)
        self._signer = signer
        return self

    @classmethod
    def from_pkcs12(cls, path: Path, passphrase: bytes | None = None) -> ActSigner:
        path = Path(path)
        data = _read(path)
        if not _looks_like_pkcs12(data):
            raise SigningError(_("not a PKCS#12 file: {path}").format(path=path))
        # Tools disagree on whether "no passphrase" means an absent or an empty password.
        attempts = [passphrase] if passphrase else [None, b""]
        for attempt in attempts:
            try:
                key, cert, others = pkcs12.load_key_and_certificates(data, attempt)
                break
            except ValueError:
                continue
        else:
            if passphrase:
                raise SigningError(_("wrong passphrase for {path}").format(path=path))
            raise PassphraseNeeded(_("{path} is protected by a passphrase, and none was given").format(path=path))
        if key is None:
            raise SigningError(_("{path} holds no private key").format(path=path))
        if cert is None:
            raise SigningError(_("{path} holds no certificate for its key").format(path=path))
        if not isinstance(key, SUPPORTED_KEYS):
            raise SigningError(_("{path}: unsupported key type {kind}").format(path=path, kind=type(key).__name__))
        if key.public_key() != cert.public_key():
            raise SigningError(_("{path}: the private key does not belong to the certificate").format(path=path))
        return cls(cert, key, others, source=str(path))

    def close(self) -> None:
        """Release the key; nothing to do for a key in memory, a token session for PKCS#11."""

    def begin_batch(self, signatures: int) -> None:
        """``signatures`` signatures follow: a remote key may authorise them all with one OTP
        (:meth:`atti.signing.csc.CSCService.begin_batch`); other keys need nothing."""
        begin = getattr(self._signer, "begin_batch", None)
        if callable(begin):
            begin(signatures)

    def authorise_ahead(self) -> None:
        """A remote key authorises the signatures :meth:`begin_batch` announced now, asking for
        its OTP before any document is prepared (where the service allows it); others do nothing."""
        ahead = getattr(self._signer, "authorise_ahead", None)
        if callable(ahead):
            ahead()

    @property
    def authorisations(self) -> int | None:
        """The OTPs a remote key has asked for so far; None for a key that asks for none."""
        count = getattr(self._signer, "authorisations", None)
        return count if isinstance(count, int) else None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- what the certificate says -----------------------------------------------------------

    @property
    def source(self) -> str:
        """Where the key is, for messages: a PKCS#12's path, "token 'Firma'", a remote service."""
        return self._source

    @property
    def signer_name(self) -> str:
        return common_name(self._certificate.subject)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> list[x509.Certificate]:
        """The signer's certificate followed by its CA certificates, issuer first."""
        return [self._certificate, *self._cas]

    def _check_certificate(self) -> None:
        cert = self._certificate
        who = _("the certificate of {name} in {source}").format(name=self.signer_name, source=self._source)
        now = dt.datetime.now(dt.UTC)
        if now < cert.not_valid_before_utc:
            raise SigningError(
                _("{who} is not valid before {when} UTC")
                .format(who=who, when=f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M}")
            )
        if now > cert.not_valid_after_utc:
            raise SigningError(
                _("{who} expired on {date}").format(who=who, date=f"{cert.not_valid_after_utc:%Y-%m-%d}")
            )
        try:
            usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            usage = None
        # Acts need a signature the signer cannot later repudiate (CAD art. 21, eIDAS art. 25):
        # an authentication-only certificate (CNS, TLS client) must not be used.
        if usage is None or not usage.content_commitment:
            raise SigningError(_("{who} lacks the non-repudiation (contentCommitment) key usage").format(who=who))

    def _reserve_for(self, public_key: Any) -> int:
        certs = sum(len(c.public_bytes(Encoding.DER)) for c in self.chain)
        sig = public_key.key_size // 8 if isinstance(public_key, rsa.RSAPublicKey) else 160
        needed = 2 * (certs + sig + CMS_OVERHEAD)  # hex: two digits per byte
        return max(MIN_BYTES_RESERVED, -(-needed // 1024) * 1024)

    # -- signing ----------------------------------------------------------------------------

    def timestamper_for(self, tsa_url: str) -> TimeStamper:
        """The signer's client for ``tsa_url``, made on first use and then reused."""
        ts = self._timestampers.get(tsa_url)
        if ts is None:
            ts = self._timestampers[tsa_url] = levels.make_timestamper(tsa_url)
        return ts

    def plan(
        self, level: str = "B-B", tsa_url: str | None = None, trust_roots: Sequence[x509.Certificate] = ()
    ) -> levels.LevelPlan:
        """What a signature at ``level`` needs, checked without touching any PDF or the network:
        callers with costly work before signing (rendering, numbering) call it first."""
        lvl = levels.parse_level(level)
        return levels.LevelPlan.build(
            lvl,
            tsa_url=tsa_url,
            timestamper=self.timestamper_for(tsa_url) if tsa_url and levels.needs_timestamp(lvl) else None,
            chain=self.chain,
            trust_roots=trust_roots,
        )

    def sign(
        self,
        pdf: bytes,
        *,
        field_name: str = "Firma",
        reason: str | None = None,
        location: str | None = None,
        name: str | None = None,
        level: str = "B-B",
        tsa_url: str | None = None,
        trust_roots: Sequence[x509.Certificate] = (),
        stamp: Mapping[str, str] | None = None,
        lock: bool = False,
    ) -> bytes:
        """Return ``pdf`` with a PAdES signature at ``level`` in the field ``field_name``.

        See :meth:`_signing` for the options.
        """
        run = self._signing(pdf, field_name=field_name, reason=reason, location=location, name=name, level=level,
                            tsa_url=tsa_url, trust_roots=trust_roots, stamp=stamp, lock=lock)
        try:
            return asyncio.run(run)
        except (PyHankoSigningError, PdfError, ValueError, KeyError, TypeError) as e:
            # Malformed documents often surface only while the update is being written.
            raise SigningError(_("cannot sign the PDF: {reason}").format(reason=_one_line(e))) from e

    def sign_many(self, pdfs: Sequence[bytes], **options: Any) -> list[bytes]:
        """Sign every PDF of ``pdfs`` with :meth:`sign`'s ``options``, all or none.

        The signatures are made together, in one event loop: a remote key that can sign several
        digests in one request (:meth:`atti.signing.csc.CSCService.sign_digests`) gets them all
        at once, one authorisation (one OTP) and one ``signatures/signHash`` call for the lot
        (per ``multisign`` signatures). Any failure fails the whole call: nothing is returned.
        """
        runs: list[Coroutine[Any, Any, bytes]] = []
        try:
            for pdf in pdfs:
                runs.append(self._signing(pdf, **options))  # every check before any signature
        except BaseException:
            for run in runs:
                run.close()
            raise
        gather = getattr(self._signer, "gather", None)

        async def together() -> list[bytes]:
            if callable(gather):
                gather(len(runs))
            try:
                return list(await asyncio.gather(*runs))
            finally:
                if callable(gather):
                    gather(None)

        try:
            return asyncio.run(together())
        except (PyHankoSigningError, PdfError, ValueError, KeyError, TypeError) as e:
            raise SigningError(_("cannot sign the PDFs: {reason}").format(reason=_one_line(e))) from e

    def _signing(
        self,
        pdf: bytes,
        *,
        field_name: str = "Firma",
        reason: str | None = None,
        location: str | None = None,
        name: str | None = None,
        level: str = "B-B",
        tsa_url: str | None = None,
        trust_roots: Sequence[x509.Certificate] = (),
        stamp: Mapping[str, str] | None = None,
        lock: bool = False,
    ) -> Coroutine[Any, Any, bytes]:
        """The checks of a signature of ``pdf``, made now, and the coroutine that then signs it.

        With ``lock`` the new field locks the document as ``atti publish``'s final signature
        does (FieldMDP of every field, DocMDP /P 2): after it only form filling and further
        signatures in fields that exist are allowed. A field that exists cannot get a lock.

        The field is used when the PDF already has it (empty), else created invisible. With
        ``stamp`` (text parameters such as ``qualifica``) the field shows the visible stamp of
        :mod:`.stamp`. B-T and above need ``tsa_url``; B-LT and B-LTA fetch OCSP/CRL data for
        the signer's chain (refusing a revoked certificate) and may need ``trust_roots`` for the
        TSA's chain.
        """
        # Before anything else, so that a missing TSA URL costs nothing.
        plan = self.plan(level, tsa_url, trust_roots)
        # A period separates the parts of a qualified field name (ISO 32000-1 12.7.3.2).
        if not field_name or "." in field_name:
            raise SigningError(
                _("invalid signature field name {name}: empty or with a '.'").format(name=repr(field_name))
            )
        # Re-checked here because a long-running process can outlive the certificate.
        self._check_certificate()
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        except Exception as e:  # the parser meets arbitrary bytes: any failure means "not a PDF"
            raise SigningError(_("not a PDF: {reason}").format(reason=_one_line(e))) from e
        if writer.security_handler is not None:
            raise SigningError(_("the PDF is encrypted: atti signs only unencrypted PDFs (as PDF/A requires)"))
        self._check_field(writer, field_name, lock=lock)
        _keep_producer_in_step(writer)

        meta = levels.signature_metadata(
            plan.level,
            field_name=field_name,
            reason=reason,
            location=location,
            name=name,
            validation_context=plan.validation_context,
        )
        pdf_signer = _PdfSigner(
            meta,
            signer=self._signer,
            timestamper=plan.timestamper,
            new_field_spec=fields.SigFieldSpec(
                sig_field_name=field_name,
                field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if lock else None,
                doc_mdp_update_value=fields.MDPPerm.FILL_FORMS if lock else None,
            ),
            # In the document's own font; the time in Italian time, said as such.
            stamp_style=stamp_style(document_font(pdf)) if stamp is not None else None,
        )
        return levels.run_signing(
            plan,
            pdf_signer,
            writer,
            bytes_reserved=self._bytes_reserved,
            chain=self.chain,
            signer_name=self.signer_name,
            appearance_text_params={"ora": stamp_time(), **stamp} if stamp is not None else None,
        )

    def sign_detached(self, data: bytes) -> bytes:
        """A CAdES detached signature (CMS SignedData, DER, ETSI EN 319 122-1 B-B) of ``data``:
        for a file that is not a PDF, such as the index of a pacchetto di versamento."""
        try:
            signing = self._signer.async_sign_general_data(data, levels.DIGEST, detached=True, use_cades=True)
            signed = asyncio.run(signing)
        except (PyHankoSigningError, ValueError, KeyError, TypeError) as e:
            raise SigningError(_("cannot sign: {reason}").format(reason=_one_line(e))) from e
        return bytes(signed.dump())

    def timestamp_token(self, data: bytes, tsa_url: str) -> bytes:
        """An RFC 3161 TimeStampToken (CMS, DER) of ``data``'s SHA-256, from the TSA at ``tsa_url``."""
        digest = hashlib.sha256(data).digest()
        try:
            token = asyncio.run(self.timestamper_for(tsa_url).async_timestamp(digest, levels.DIGEST))
        except Exception as e:  # a TSA that is down, refuses or answers garbage
            raise SigningError(
                _("the time-stamping service {url} gave no timestamp: {reason}")
                .format(url=tsa_url, reason=_one_line(e))
            ) from e
        return bytes(token.dump())

    def sign_file(self, src: Path, dst: Path, **options: Any) -> None:
        """Sign ``src`` into ``dst`` (which may be ``src``), with :meth:`sign`'s options;
        ``dst`` is replaced atomically."""
        signed = self.sign(_read(Path(src)), **options)
        try:
            write_atomic(Path(dst), signed)
        except OSError as e:
            raise write_error(e, str(dst), SigningError) from None

    @staticmethod
    def _check_field(writer: Any, field_name: str, *, lock: bool = False) -> None:
        try:
            existing = list(fields.enumerate_sig_fields(writer.prev, with_name=field_name))
            certification = read_certification_data(writer.prev)
        except FormFillingError:
            raise SigningError(
                _("the PDF has a field {name} that is not a signature field").format(name=repr(field_name))
            ) from None
        except Exception as e:  # the form tree of a damaged file can fail in many ways
            raise SigningError(_("not a PDF: {reason}").format(reason=_one_line(e))) from e
        if any(bool(value) for _name, value, _ref in existing):
            raise SigningError(_("the PDF already has a signature in the field {name}").format(name=repr(field_name)))
        if lock and existing and not any("/Lock" in ref.get_object() for _name, _value, ref in existing):
            raise SigningError(
                _("the PDF already has an empty field {name} without a lock: sign it without locking,"
                  " or in a new field").format(name=repr(field_name))
            )
        if certification is not None:
            if certification.permission == fields.MDPPerm.NO_CHANGES:
                raise SigningError(_("the PDF is certified with a policy that forbids any further change"))
            # A certification signature forbids adding fields afterwards: only pre-made empty
            # fields may be signed, otherwise every earlier signature would become invalid.
            if not existing:
                raise SigningError(
                    _("the PDF is certified and has no empty signature field {name};"
                      " new fields would invalidate the certification").format(name=repr(field_name))
                )
        if not existing and _locked_by_a_signature(writer.prev):
            # A locking signature (atti publish, atti sign) allows signatures in existing fields only.
            raise SigningError(
                _("the PDF is locked by a signature and has no empty signature field {name};"
                  " a new field would invalidate that signature").format(name=repr(field_name))
            )
