"""Signing through a remote signing service ("firma remota").

Italian trust service providers offer remote qualified signatures: the key stays in the
provider's HSM, and the holder confirms each signature (or each batch) with an OTP. The
providers' APIs differ, but all come down to two calls: "give me the signer's certificate chain"
and "sign this digest". :class:`RemoteSigningService` is that shape; an adapter for one provider
implements it, handling authentication and the OTP itself, and :class:`RemoteSigner` turns it into
a pyHanko signer, so that :meth:`ActSigner.from_signer` (or :func:`open_remote_signer`) builds the
PAdES signature around it exactly as for a local key.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from atti.errors import SigningError
from atti.i18n import _
from atti.signing.signer import ActSigner

__all__ = ["RemoteSigner", "RemoteSigningService", "open_remote_signer"]


class RemoteSigningService(Protocol):
    """What atti needs from a remote signing service.

    Failures a user should see (service unreachable, OTP refused, credentials expired) are
    raised as :class:`~atti.errors.SigningError` with a one-line message; an ``OSError`` (the
    usual base of network errors) is turned into one by :class:`RemoteSigner`.
    """

    def certificate_chain(self) -> list[x509.Certificate]:
        """The signer's certificate first, then its CA certificates, issuer first."""
        ...

    def sign_digest(self, digest: bytes, digest_algorithm: str) -> bytes:
        """The raw signature over ``digest``, the ``digest_algorithm`` hash ("sha256") of the
        CMS signed attributes: for RSA a PKCS#1 v1.5 signature (the service wraps the digest in
        its DigestInfo), for EC a DER-encoded ECDSA signature (SEQUENCE of r and s)."""
        ...


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


class RemoteSigner(signers.Signer):
    """A pyHanko :class:`~pyhanko.sign.signers.Signer` whose signatures come from a service.

    The chain is asked for once, here. Each signature is checked against the certificate
    before it is used, so a service that signs with another key (or returns garbage) yields an
    error, not a PDF whose signature cannot be verified.
    """

    def __init__(self, service: RemoteSigningService) -> None:
        try:
            chain = list(service.certificate_chain())
        except OSError as e:
            raise SigningError(_("remote signing service: {reason}").format(reason=_one_line(e))) from None
        if not chain:
            raise SigningError(_("the remote signing service returned no certificate"))
        certificate, *cas = chain
        public = certificate.public_key()
        # The protocol passes a digest: RSA PKCS#1 v1.5 and ECDSA sign digests, while EdDSA signs
        # the whole message and PSS would need its parameters agreed with the service.
        if not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise SigningError(
                _("remote signing supports RSA and EC keys, not {kind}").format(kind=type(public).__name__)
            )
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # untyped __init__
        registry.register_multiple([translate_pyca_cryptography_cert_to_asn1(c) for c in cas])
        super().__init__(signing_cert=translate_pyca_cryptography_cert_to_asn1(certificate), cert_registry=registry)
        self.service = service
        self.certificate = certificate
        self.chain: list[x509.Certificate] = cas
        self._public = public
        self._gathering: _Gathering | None = None

    def begin_batch(self, signatures: int) -> None:
        """Tell a service that can authorise several signatures at once (one OTP) how many follow."""
        begin = getattr(self.service, "begin_batch", None)
        if callable(begin):
            begin(signatures)

    def authorise_ahead(self) -> None:
        """Let a service that can authorise the announced signatures now (one OTP) do so."""
        ahead = getattr(self.service, "authorise_ahead", None)
        if callable(ahead):
            ahead()

    @property
    def authorisations(self) -> int | None:
        """How many authorisations (OTPs) the service has asked for, when it counts them."""
        count = getattr(self.service, "authorisations", None)
        return count if isinstance(count, int) else None

    def _placeholder_size(self) -> int:
        if isinstance(self._public, rsa.RSAPublicKey):
            return self._public.key_size // 8
        # DER ECDSA signature: SEQUENCE of two INTEGERs, each up to one byte longer than the curve.
        return 2 * (self._public.curve.key_size // 8 + 1) + 8

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Hash ``data`` (the DER signed attributes) here and have the service sign the digest."""
        digest = _digest(data, digest_algorithm)
        try:
            signature = self.service.sign_digest(digest, digest_algorithm)
        except OSError as e:
            raise SigningError(_("remote signing service: {reason}").format(reason=_one_line(e))) from None
        self._check(signature, digest, digest_algorithm)
        return signature

    def _check(self, signature: bytes, digest: bytes, digest_algorithm: str) -> None:
        algorithm = get_pyca_cryptography_hash(digest_algorithm)
        try:
            if isinstance(self._public, rsa.RSAPublicKey):
                self._public.verify(signature, digest, PKCS1v15(), Prehashed(algorithm))
            else:
                self._public.verify(signature, digest, ec.ECDSA(Prehashed(algorithm)))
        except (InvalidSignature, ValueError):
            raise SigningError(
                _("the remote signing service returned a signature that does not match its certificate")
            ) from None

    def gather(self, count: int | None) -> None:
        """The next ``count`` signatures (made concurrently, :meth:`ActSigner.sign_many`) go to
        the service in one request, when it can sign several digests at once (``sign_digests``);
        None: back to one request per signature."""
        self._gathering = _Gathering(count) if count and callable(getattr(self.service, "sign_digests", None)) else None

    def _sign_gathered(self, digests: list[bytes], digest_algorithm: str) -> list[bytes]:
        try:
            signatures: list[bytes] = self.service.sign_digests(digests, digest_algorithm)  # type: ignore[attr-defined]
        except OSError as e:
            raise SigningError(_("remote signing service: {reason}").format(reason=_one_line(e))) from None
        if len(signatures) != len(digests):
            raise SigningError(_("the remote signing service returned fewer signatures than digests"))
        for signature, digest in zip(signatures, digests, strict=True):
            self._check(signature, digest, digest_algorithm)
        return signatures

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            # pyHanko's size estimate: never ask the service, each call may cost the holder an OTP.
            return bytes(self._placeholder_size())
        gathering = self._gathering
        if gathering is not None:
            return await gathering.add(self, _digest(data, digest_algorithm), digest_algorithm)
        # The call blocks on the network, maybe on a person typing an OTP: off the event loop.
        return await asyncio.to_thread(self.sign_raw, data, digest_algorithm)


def _digest(data: bytes, digest_algorithm: str) -> bytes:
    h = hashes.Hash(get_pyca_cryptography_hash(digest_algorithm))
    h.update(data)
    return h.finalize()


class _Gathering:
    """Digests collected from concurrent signatures until ``count`` are waiting, then signed in
    one request; every waiting signature gets its own result, or the request's error."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.waiting: list[tuple[bytes, asyncio.Future[bytes]]] = []

    async def add(self, signer: RemoteSigner, digest: bytes, digest_algorithm: str) -> bytes:
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.waiting.append((digest, future))
        if len(self.waiting) == self.count:
            batch, self.waiting = self.waiting, []
            try:
                signatures = await asyncio.to_thread(signer._sign_gathered, [d for d, _ in batch], digest_algorithm)
            except BaseException as e:
                for _, waiting in batch:
                    if not waiting.done():
                        waiting.set_exception(e)
            else:
                for (_, waiting), signature in zip(batch, signatures, strict=True):
                    waiting.set_result(signature)
        return await future


def open_remote_signer(service: RemoteSigningService, *, source: str | None = None) -> ActSigner:
    """An :class:`ActSigner` over ``service`` (``source``, what is named in messages: by default
    the remote signing service); the certificate checks run before any signature."""
    signer = RemoteSigner(service)
    return ActSigner.from_signer(
        signer, signer.certificate, signer.chain, source=source or _("the remote signing service")
    )
