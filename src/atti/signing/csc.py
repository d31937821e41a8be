"""Remote signing over the Cloud Signature Consortium API: CSC 1.0.4 ("v1"), and 2.0 ("v2") where it differs.

A qualified trust service provider keeps the officer's key in its HSM; atti reaches it as the
specification says, with the settings of one ``[csc.PROVIDER]`` table (:class:`~atti.config.CSCProvider`):

1. service authorisation: an OAuth2 access token, from the client credentials grant (client id
   in the settings, secret from the environment or a prompt) or given by the provider (in the
   environment);
2. ``credentials/list`` (when no credential is named) and ``credentials/info``: the credential's
   certificate chain, its status, the key's algorithms, how many signatures one authorisation
   may cover (``multisign``), whether the SAD is bound to the hashes (``SCAL`` 2) and whether an
   OTP or a PIN is asked for;
3. credential authorisation: ``credentials/authorize`` with the OTP (and PIN) for ``numSignatures``
   signatures gives the Signature Activation Data (SAD); each further ``signatures/signHash``
   call of the same authorisation first gets a new SAD from ``credentials/extendTransaction``
   (with the new hash: SCAL 2 binds each SAD to its hashes), when the service offers it;
4. ``signatures/signHash``: the raw signature of the CMS signed attributes' digest, checked
   against the certificate by :class:`~atti.signing.remote.RemoteSigner` before it is used.

So one OTP covers a whole batch of acts (``atti publish DIR --remote``) up to ``multisign``
signatures: :meth:`CSCService.begin_batch` says how many to ask for.

pyHanko's own CSC signer (``pyhanko.sign.signers.csc_signer``) is not used: it drops the JSON
error body the specification gives (so a wrong OTP and an expired SAD would both read "Signature
request failed"), and it binds an aiohttp session to one event loop while atti runs one per
signature. The client below is the standard library's HTTP, with the provider's time limit on
every request; what the service says is reported in one line, never a secret.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from atti.config import CSCProvider, Settings
from atti.errors import ServiceError, SigningError
from atti.i18n import _
from atti.signing.asked import Asked
from atti.signing.identity import common_name
from atti.signing.signer import ActSigner

__all__ = [
    "CSCAuthorisationError",
    "CSCClient",
    "CSCService",
    "Credential",
    "open_csc_signer",
    "parse_remote_spec",
]

# Asks for a secret, given what it unlocks: the same shape as atti.signing.keys.PassphrasePrompt.
Prompt = Callable[[str], bytes]

HASH_OIDS = {
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}
RSA = "1.2.840.113549.1.1.1"  # rsaEncryption: the hash algorithm is then given apart
RSA_WITH = {"sha256": "1.2.840.113549.1.1.11", "sha384": "1.2.840.113549.1.1.12", "sha512": "1.2.840.113549.1.1.13"}
ECDSA_WITH = {"sha256": "1.2.840.10045.4.3.2", "sha384": "1.2.840.10045.4.3.3", "sha512": "1.2.840.10045.4.3.4"}
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
_MAX_ANSWER = 4 * 1024 * 1024  # bytes of one answer: a certificate chain, a batch of signatures
POLL_SECONDS = 2.0  # between two credentials/authorizeCheck while the holder approves on their device


class CSCAuthorisationError(SigningError):
    """The service refused the authorisation itself (access token, OTP, PIN, SAD): every further
    signature would be refused alike, so a batch stops at the first one."""


def _one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def parse_remote_spec(spec: str) -> tuple[str, str | None]:
    """``PROVIDER[:CREDENTIAL]`` -> (provider, credential or None)."""
    provider, _sep, credential = spec.partition(":")
    if not provider.strip():
        raise SigningError(
            _("remote key '{spec}': write it as PROVIDER[:CREDENTIAL], PROVIDER a [csc.PROVIDER] table")
            .format(spec=spec)
        )
    return provider.strip(), credential.strip() or None


def _object(answer: dict[str, Any], name: str) -> dict[str, Any]:
    value = answer.get(name)
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Credential:
    """What ``credentials/info`` says of one credential."""

    id: str
    certificates: list[x509.Certificate]
    cert_status: str | None  # valid | expired | revoked | suspended (optional in the specification)
    key_status: str  # enabled | disabled
    algorithms: frozenset[str]  # OIDs of the signature algorithms the key supports
    multisign: int  # signatures one authorisation may cover
    scal: int  # 2: each SAD is bound to the hashes it authorises
    auth_mode: str  # explicit | implicit | oauth2code
    otp: bool  # an OTP is asked for
    otp_online: bool  # the service sends it (credentials/sendOTP) rather than a token showing it
    pin: bool
    description: str = ""


@dataclass
class CSCClient:
    """The HTTP side: one call per endpoint of the specification, each within ``provider.timeout``."""

    name: str
    provider: CSCProvider
    prompt: Prompt | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    _token: str | None = field(default=None, repr=False)
    _token_from_grant: bool = field(default=False, repr=False)
    _info: dict[str, Any] | None = field(default=None, repr=False)
    # Every secret sent (secret, token, OTP, PIN): blanked out of whatever the service says back.
    _sent: set[str] = field(default_factory=set, repr=False)
    _access_refused: bool = field(default=False, repr=False)  # the last refusal was of atti's access
    requests: int = 0  # calls made, for the benchmark and the tests

    @property
    def who(self) -> str:
        return _("the CSC service {name} ({url})").format(name=self.name, url=self.provider.base_url)

    def endpoint(self, method: str) -> str:
        return f"{self.provider.base_url}/csc/{self.provider.api_version}/{method}"

    # -- HTTP -----------------------------------------------------------------------------------

    def _request(self, url: str, method: str, data: bytes, headers: dict[str, str]) -> dict[str, Any]:
        self.requests += 1
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        context = None
        if url.startswith("https://"):
            from atti.signing.levels import _tls_context

            context = _tls_context()
        timeout = self.provider.timeout
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
                raw = response.read(_MAX_ANSWER)
                status = response.status
        except urllib.error.HTTPError as e:
            try:
                raw = e.read(_MAX_ANSWER)
            except (OSError, http.client.HTTPException):
                raw = b""
            raise self._refusal(method, e.code, raw) from None
        except urllib.error.URLError as e:
            raise self._unreachable(e.reason) from None
        except (OSError, http.client.HTTPException) as e:
            raise self._unreachable(e) from None
        if status == 204 or not raw:
            return {}
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ServiceError(
                _("{who} answered {method} with something that is not JSON").format(who=self.who, method=method)
            ) from None
        if not isinstance(answer, dict):
            raise ServiceError(
                _("{who} answered {method} with JSON that is not an object").format(who=self.who, method=method)
            )
        return answer

    def _unreachable(self, reason: object) -> ServiceError:
        if isinstance(reason, TimeoutError | socket.timeout):
            return ServiceError(
                _("{who} did not answer within {seconds} s").format(who=self.who, seconds=f"{self.provider.timeout:g}")
            )
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        return ServiceError(_("{who} cannot be reached: {reason}").format(who=self.who, reason=_one_line(text)))

    def _refusal(self, method: str, status: int, raw: bytes) -> SigningError:
        """One line for an error answer (HTTP status and the specification's JSON error body)."""
        self._access_refused = False
        return self._classify(method, status, raw)

    def _classify(self, method: str, status: int, raw: bytes) -> SigningError:
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        error = self._redacted(_one_line(body.get("error") or "", 60))
        description = self._redacted(_one_line(body.get("error_description") or ""))
        said = ": ".join(p for p in (error, description) if p) or f"HTTP {status}"
        lowered = f"{error} {description}".lower()
        who = self.who
        if status == 401 or error in ("invalid_token", "expired_token", "invalid_client", "unauthorized_client"):
            self._access_refused = True
            return CSCAuthorisationError(
                _("{who} refused atti's access ({said}): check client_id and the client secret, or the token")
                .format(who=who, said=said)
            )
        if error in ("invalid_otp",) or (method.startswith("credentials/") and "otp" in lowered):
            return CSCAuthorisationError(
                _("{who} refused the OTP ({said}): nothing was signed; try again with a new OTP")
                .format(who=who, said=said)
            )
        if error in ("invalid_pin", "invalid_authentication_data") or "pin" in lowered.split():
            return CSCAuthorisationError(
                _("{who} refused the OTP or PIN ({said}): nothing was signed; try again with a new OTP")
                .format(who=who, said=said)
            )
        if "sad" in lowered and "expired" in lowered:
            return CSCAuthorisationError(
                _("the signing authorisation (SAD) of {who} expired before the signature ({said}): nothing"
                  " was signed; authorise again with a new OTP").format(who=who, said=said)
            )
        if "sad" in lowered or "not authorized" in lowered:
            return CSCAuthorisationError(
                _("{who} refused the signing authorisation ({said}): nothing was signed").format(who=who, said=said)
            )
        if "certificate" in lowered and ("expired" in lowered or "revoked" in lowered or "suspended" in lowered):
            return SigningError(_("{who} cannot sign with this credential ({said})").format(who=who, said=said))
        if status == 429 or status >= 500 or error in ("server_error", "temporarily_unavailable"):
            return ServiceError(
                _("{who} is unavailable ({method}: HTTP {status}, {said})")
                .format(who=who, method=method, status=status, said=said)
            )
        return SigningError(
            _("{who} refused {method} (HTTP {status}, {said})").format(who=who, method=method, status=status, said=said)
        )

    def _redacted(self, text: str) -> str:
        for secret in self._sent:
            if secret:
                text = text.replace(secret, "***")
        return text

    def sent(self, secret: str | None) -> str | None:
        """Note ``secret`` as sent to the service (so that no message repeats it); return it."""
        if secret:
            self._sent.add(secret)
        return secret

    def call(self, method: str, body: dict[str, Any], *, authorised: bool = True) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        data = json.dumps(body).encode()
        if not authorised:
            return self._request(self.endpoint(method), method, data, headers)
        headers["Authorization"] = f"Bearer {self.access_token()}"
        try:
            return self._request(self.endpoint(method), method, data, headers)
        except CSCAuthorisationError:
            if not self._token_from_grant or not self._access_refused:
                raise
        # A token of the client credentials grant that expired during a long batch: one new one.
        self._token = None
        headers["Authorization"] = f"Bearer {self.access_token()}"
        return self._request(self.endpoint(method), method, data, headers)

    # -- service authorisation (OAuth2) ---------------------------------------------------------

    def secret(self, variable: str, what: str) -> str | None:
        """A secret from ``$variable``, else the prompt, else None."""
        value = self.environ.get(variable)
        if value:
            return value
        if self.prompt is None:
            return None
        try:
            asked = _("{what} (or set ${variable})").format(what=what, variable=variable)
            return self.prompt(Asked(asked, "service")).decode()
        except SigningError as e:  # no terminal to ask in: the authorisation cannot happen at all
            raise CSCAuthorisationError(e.msg) from None

    def info(self) -> dict[str, Any]:
        """The service's ``info`` (no authorisation needed), asked for once."""
        if self._info is None:
            self._info = self.call("info", {}, authorised=False)
        return self._info

    def access_token(self) -> str:
        if self._token is not None:
            return self._token
        provider = self.provider
        given = self.environ.get(provider.token_env)
        if given:
            self._token = self.sent(given)
            return given
        if provider.client_id is None:
            raise CSCAuthorisationError(
                _("{who}: no access token: set client_id in [csc.{name}] (its secret in ${secret_env})"
                  " or give the provider's token in ${token_env}").format(
                    who=self.who, name=self.name, secret_env=provider.client_secret_env, token_env=provider.token_env
                )
            )
        what = _("client secret of the CSC service {name}").format(name=self.name)
        secret = self.sent(self.secret(provider.client_secret_env, what))
        if not secret:
            raise CSCAuthorisationError(
                _("{who}: the client secret of {client_id} is to come from ${variable}, which is not set").format(
                    who=self.who, client_id=provider.client_id, variable=provider.client_secret_env
                )
            )
        url = provider.token_url or self._token_url()
        form = {"grant_type": "client_credentials", "client_id": provider.client_id, "client_secret": secret}
        if provider.scopes:
            form["scope"] = " ".join(provider.scopes)
        answer = self._request(
            url, "oauth2/token", urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise ServiceError(_("{who} gave no access_token").format(who=self.who))
        self._token, self._token_from_grant = self.sent(token), True
        return token

    def _token_url(self) -> str:
        info = self.info()
        base = info.get("oauth2") or info.get("oauth2Issuer")
        if not isinstance(base, str) or not base.startswith(("https://", "http://")):
            raise SigningError(
                _("{who} names no OAuth2 server in its info: set token_url in [csc.{name}]")
                .format(who=self.who, name=self.name)
            )
        return f"{base.rstrip('/')}/oauth2/token"

    # -- credentials ----------------------------------------------------------------------------

    def credential_ids(self) -> list[str]:
        answer = self.call("credentials/list", {})
        ids = answer.get("credentialIDs")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ServiceError(
                _("{who} answered credentials/list without a list of credentialIDs").format(who=self.who)
            )
        return ids

    def credential(self, credential_id: str) -> Credential:
        answer = self.call(
            "credentials/info",
            {"credentialID": credential_id, "certificates": "chain", "certInfo": True, "authInfo": True},
        )
        return self._parse_credential(credential_id, answer)

    def _parse_credential(self, credential_id: str, answer: dict[str, Any]) -> Credential:
        key, cert = _object(answer, "key"), _object(answer, "cert")
        try:
            certificates = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in cert.get("certificates", [])]
        except (ValueError, TypeError, binascii.Error):
            raise ServiceError(
                _("{who} gave credential {credential} an unreadable certificate")
                .format(who=self.who, credential=credential_id)
            ) from None
        if not certificates:
            raise ServiceError(
                _("{who} gave no certificate for credential {credential}")
                .format(who=self.who, credential=credential_id)
            )
        try:
            multisign = int(answer.get("multisign", 1))
            scal = int(answer.get("SCAL", 1))
        except (TypeError, ValueError):
            raise ServiceError(
                _("{who}: credential {credential} has a bad multisign or SCAL")
                .format(who=self.who, credential=credential_id)
            ) from None
        if self.provider.api_version == "v1":
            mode = str(answer.get("authMode", "explicit"))
            otp_info, pin_info = _object(answer, "OTP"), _object(answer, "PIN")
            otp = str(otp_info.get("presence", "false")).lower() == "true"
            otp_online = otp_info.get("type") == "online"
            pin = str(pin_info.get("presence", "false")).lower() == "true"
        else:
            auth = _object(answer, "auth")
            mode = str(auth.get("mode", "explicit"))
            objects = [o for o in auth.get("objects", []) if isinstance(o, dict)]
            otp_objects = [o for o in objects if o.get("id") == "OTP"]
            otp = bool(otp_objects)
            otp_online = any(o.get("generator") == "online" or o.get("type") == "online" for o in otp_objects)
            pin = any(o.get("id") == "PIN" for o in objects)
        return Credential(
            id=credential_id,
            certificates=certificates,
            cert_status=cert.get("status"),
            key_status=str(key.get("status", "enabled")),
            algorithms=frozenset(str(a) for a in key.get("algo", [])),
            multisign=max(1, multisign),
            scal=scal,
            auth_mode=mode,
            otp=otp,
            otp_online=otp_online,
            pin=pin,
            description=_one_line(answer.get("description") or ""),
        )

    # -- credential authorisation and signatures --------------------------------------------------

    def _hashes(self, hashes: list[str], digest_algorithm: str) -> dict[str, Any]:
        if self.provider.api_version == "v1":
            return {"hash": hashes}
        return {"hashes": hashes, "hashAlgorithmOID": HASH_OIDS[digest_algorithm]}

    def authorize(
        self, credential_id: str, num_signatures: int, *, hashes: list[str] | None, digest_algorithm: str,
        otp: str | None, pin: str | None, description: str | None = None,
    ) -> str:
        body: dict[str, Any] = {"credentialID": credential_id, "numSignatures": num_signatures}
        if hashes is not None:
            body |= self._hashes(hashes, digest_algorithm)
        if self.provider.api_version == "v1":
            if otp is not None:
                body["OTP"] = otp
            if pin is not None:
                body["PIN"] = pin
        else:
            body["authData"] = [{"id": i, "value": v} for i, v in (("PIN", pin), ("OTP", otp)) if v is not None]
        if description:
            body["description"] = description[:500]
        return self._sad(self.call("credentials/authorize", body), "credentials/authorize")

    def extend(self, credential_id: str, sad: str, hashes: list[str], digest_algorithm: str) -> str:
        body = {"credentialID": credential_id, "SAD": sad, **self._hashes(hashes, digest_algorithm)}
        return self._sad(self.call("credentials/extendTransaction", body), "credentials/extendTransaction")

    def _sad(self, answer: dict[str, Any], method: str) -> str:
        if "handle" in answer and "SAD" not in answer:
            answer = self._approved(answer, method)
        sad = answer.get("SAD")
        if not isinstance(sad, str) or not sad:
            raise ServiceError(_("{who} answered {method} without a SAD").format(who=self.who, method=method))
        return sad

    def _approved(self, answer: dict[str, Any], method: str) -> dict[str, Any]:
        """An authorisation under way (CSC 2.0: HTTP 202 and a handle), while the holder approves
        it on their device: ``credentials/authorizeCheck`` every :data:`POLL_SECONDS` until it
        gives the SAD, for at most the provider's ``approval_timeout``."""
        deadline = time.monotonic() + self.provider.approval_timeout
        while "SAD" not in answer:
            handle = answer.get("handle")
            if not isinstance(handle, str) or not handle:
                raise ServiceError(_("{who} answered {method} without a SAD").format(who=self.who, method=method))
            if time.monotonic() + POLL_SECONDS > deadline:
                raise CSCAuthorisationError(
                    _("{who}: the authorisation was not approved within {seconds} s: nothing was signed")
                    .format(who=self.who, seconds=f"{self.provider.approval_timeout:g}")
                )
            time.sleep(POLL_SECONDS)
            method = "credentials/authorizeCheck"
            answer = self.call(method, {"handle": handle})
        return answer

    def send_otp(self, credential_id: str) -> None:
        self.call("credentials/sendOTP", {"credentialID": credential_id})

    def sign_hashes(
        self, credential_id: str, sad: str, hashes: list[str], digest_algorithm: str, sign_algo: str
    ) -> list[bytes]:
        body: dict[str, Any] = {"credentialID": credential_id, "SAD": sad, "signAlgo": sign_algo}
        body |= self._hashes(hashes, digest_algorithm)
        if self.provider.api_version == "v1" and sign_algo in (RSA, EC_PUBLIC_KEY):  # no hash in the OID
            body["hashAlgo"] = HASH_OIDS[digest_algorithm]
        answer = self.call("signatures/signHash", body)
        signatures = answer.get("signatures")
        if not isinstance(signatures, list) or len(signatures) != len(hashes):
            raise ServiceError(
                _("{who} answered signatures/signHash without one signature per hash").format(who=self.who)
            )
        try:
            return [base64.b64decode(s, validate=True) for s in signatures]
        except (ValueError, TypeError, binascii.Error):
            raise ServiceError(_("{who} returned a signature that is not Base64").format(who=self.who)) from None


class CSCService:
    """One credential of a CSC service as a :class:`~atti.signing.remote.RemoteSigningService`.

    The first signature asks for the OTP and authorises as many signatures as
    :meth:`begin_batch` announced (at most ``multisign``); the next ones of that authorisation
    need no OTP. A refused signature drops the authorisation: it is never used again.
    """

    def __init__(self, client: CSCClient, credential: Credential) -> None:
        self.client = client
        self.credential = credential
        self.authorisations = 0  # OTPs spent
        self.signatures = 0
        self._planned = 1
        self._sad: str | None = None
        self._remaining = 0
        self._used = False  # the current SAD served a signHash call already
        self._otp_from_environment_used = False
        self._pin: str | None = None

    def certificate_chain(self) -> list[x509.Certificate]:
        return list(self.credential.certificates)

    def begin_batch(self, signatures: int) -> None:
        """The next authorisation is to cover ``signatures`` signatures (at most ``multisign``)."""
        self._planned = max(1, signatures)

    def authorise_ahead(self) -> None:
        """Authorise the announced signatures now, before any document is ready: the OTP is asked
        for at the start of a batch and a refusal comes before any act is rendered. Only for a
        SCAL 1 credential: SCAL 2 binds the SAD to a hash, known only when the first act is."""
        if self.credential.scal != 1 or self._sad is not None:
            return
        count = min(self._planned, self.credential.multisign)
        try:
            self._sad = self.client.authorize(
                self.credential.id, count, hashes=None, digest_algorithm="sha256", otp=self._otp(),
                pin=self._pin_value(), description=f"atti: {count} firma/e",
            )
        except SigningError:
            self._sad, self._remaining = None, 0
            raise
        self.authorisations += 1
        self._remaining, self._used = count, False

    def _sign_algo(self, digest_algorithm: str) -> str:
        public = self.credential.certificates[0].public_key()
        from cryptography.hazmat.primitives.asymmetric import rsa

        offered = self.credential.algorithms
        if isinstance(public, rsa.RSAPublicKey):
            choices = [RSA_WITH[digest_algorithm], RSA]
        else:
            choices = [ECDSA_WITH[digest_algorithm], EC_PUBLIC_KEY]
        for oid in choices:
            if not offered or oid in offered:
                return oid
        raise SigningError(
            _("{who}: credential {credential} offers none of the algorithms atti signs with ({offered})").format(
                who=self.client.who, credential=self.credential.id, offered=", ".join(sorted(offered))
            )
        )

    def _otp(self) -> str | None:
        if not self.credential.otp:
            return None
        variable = self.client.provider.otp_env
        value = self.client.environ.get(variable)
        if value and not self._otp_from_environment_used:
            self._otp_from_environment_used = True  # one time: a second authorisation needs a new OTP
            return self.client.sent(value)
        if self.client.prompt is None:
            if value:
                message = _("{who}: credential {credential} needs an OTP, and ${variable} was used already")
            else:
                message = _("{who}: credential {credential} needs an OTP, and ${variable} is not set")
            raise CSCAuthorisationError(
                message.format(who=self.client.who, credential=self.credential.id, variable=variable)
            )
        if self.credential.otp_online:
            self.client.send_otp(self.credential.id)
        try:
            asked = _("OTP for credential {credential} of the CSC service {name} (or set ${variable})").format(
                credential=self.credential.id, name=self.client.name, variable=variable)
            otp = self.client.prompt(Asked(asked, "service")).decode().strip()
        except SigningError as e:  # no terminal to ask in
            raise CSCAuthorisationError(e.msg) from None
        return self.client.sent(otp)

    def _pin_value(self) -> str | None:
        if not self.credential.pin:
            return None
        if self._pin is None:
            pin = self.client.secret(
                self.client.provider.pin_env,
                _("PIN for credential {credential} of the CSC service {name}").format(
                    credential=self.credential.id, name=self.client.name),
            )
            if not pin:
                raise CSCAuthorisationError(
                    _("{who}: credential {credential} needs a PIN: set ${variable} or run in a terminal").format(
                        who=self.client.who, credential=self.credential.id, variable=self.client.provider.pin_env
                    )
                )
            self._pin = self.client.sent(pin)
        return self._pin

    def sign_digest(self, digest: bytes, digest_algorithm: str) -> bytes:
        if digest_algorithm not in HASH_OIDS:
            raise SigningError(
                _("remote signing over CSC supports SHA-2 digests, not {algorithm}").format(algorithm=digest_algorithm)
            )
        digest_b64 = base64.b64encode(digest).decode("ascii")
        sign_algo = self._sign_algo(digest_algorithm)
        client, cid = self.client, self.credential.id
        hashes = [digest_b64]
        try:
            if self._sad is None or self._remaining <= 0:
                count = min(self._planned, self.credential.multisign)
                # SCAL 1 needs no hash to authorise: sending it anyway binds the SAD to it, which only
                # helps when the whole authorisation is one signature.
                bound = hashes if self.credential.scal == 2 or count == 1 else None
                self._sad = client.authorize(
                    cid, count, hashes=bound, digest_algorithm=digest_algorithm, otp=self._otp(),
                    pin=self._pin_value(), description=f"atti: {count} firma/e",
                )
                self.authorisations += 1
                self._remaining, self._used = count, False
            elif self._used and "credentials/extendTransaction" in client.info().get("methods", []):
                self._sad = client.extend(cid, self._sad, hashes, digest_algorithm)
            assert self._sad is not None
            signature = client.sign_hashes(cid, self._sad, hashes, digest_algorithm, sign_algo)[0]
        except SigningError:
            self._sad, self._remaining = None, 0  # never used again after a refusal
            raise
        self._used = True
        self._remaining -= 1
        self._planned = max(1, self._planned - 1)
        self.signatures += 1
        return signature


    def sign_digests(self, digests: list[bytes], digest_algorithm: str) -> list[bytes]:
        """Several digests in one ``signatures/signHash`` call, authorised with one OTP (the
        hashes bound to the SAD): per ``multisign`` digests, an authorisation and a call."""
        if digest_algorithm not in HASH_OIDS:
            raise SigningError(
                _("remote signing over CSC supports SHA-2 digests, not {algorithm}").format(algorithm=digest_algorithm)
            )
        sign_algo = self._sign_algo(digest_algorithm)
        client, cid, step = self.client, self.credential.id, self.credential.multisign
        self._sad, self._remaining = None, 0  # an authorisation of its own
        out: list[bytes] = []
        for start in range(0, len(digests), step):
            hashes = [base64.b64encode(d).decode("ascii") for d in digests[start:start + step]]
            sad = client.authorize(
                cid, len(hashes), hashes=hashes, digest_algorithm=digest_algorithm, otp=self._otp(),
                pin=self._pin_value(), description=f"atti: {len(hashes)} firme",
            )
            self.authorisations += 1
            out += client.sign_hashes(cid, sad, hashes, digest_algorithm, sign_algo)
        self.signatures += len(out)
        return out


def _check_credential(client: CSCClient, credential: Credential) -> None:
    cert = credential.certificates[0]
    if credential.cert_status and credential.cert_status != "valid":
        raise SigningError(
            _("the certificate of {holder} (credential {credential} of {who}) is {status}: it cannot sign").format(
                holder=common_name(cert.subject), credential=credential.id, who=client.who,
                status=credential.cert_status,
            )
        )
    if credential.key_status != "enabled":
        raise SigningError(
            _("the key of credential {credential} of {who} is {status}").format(
                credential=credential.id, who=client.who, status=credential.key_status
            )
        )
    if credential.auth_mode == "oauth2code":
        raise SigningError(
            _("credential {credential} of {who} is authorised through a browser (oauth2code), which atti does not"
              " support: ask the provider for explicit authorisation with an OTP").format(
                credential=credential.id, who=client.who
            )
        )


def open_csc_signer(
    settings: Settings,
    spec: str,
    prompt: Prompt | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> ActSigner:
    """The :class:`ActSigner` of the remote key ``spec`` (``PROVIDER[:CREDENTIAL]``): the token,
    the credential and its certificate checks all happen here, before any document is touched."""
    from atti.signing.remote import open_remote_signer

    name, credential_id = parse_remote_spec(spec)
    provider = settings.csc.get(name)
    if provider is None:
        known = ", ".join(sorted(settings.csc)) or _("none")
        raise SigningError(
            _("no CSC service '{name}' in the settings (configured: {known}): add a [csc.{name}] table with"
              " base_url and client_id or a token (docs/signing.md)").format(name=name, known=known)
        )
    client = CSCClient(name, provider, prompt, os.environ if environ is None else environ)
    credential_id = credential_id or provider.credential_id
    if credential_id is None:
        ids = client.credential_ids()
        if len(ids) != 1:
            listed = ", ".join(ids) or _("none")
            raise SigningError(
                _("{who} holds {count} credentials ({listed}): name one, --remote {name}:ID or"
                  " credential_id in [csc.{name}]").format(who=client.who, count=len(ids), listed=listed, name=name)
            )
        credential_id = ids[0]
    credential = client.credential(credential_id)
    _check_credential(client, credential)
    service = CSCService(client, credential)
    return open_remote_signer(
        service,
        source=_("credential {credential} of the CSC service {name}").format(credential=credential_id, name=name),
    )
