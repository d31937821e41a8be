"""A Cloud Signature Consortium API test server: a small Starlette app served by uvicorn on 127.0.0.1.

It plays a qualified trust service provider's remote signing service, per the CSC API 1.0.4
(``/csc/v1``) and 2.0 (``/csc/v2``) where they differ, with the keys of the tests' PKI:

- ``info`` (no token), and ``oauth2/token`` (client credentials grant, form or JSON);
- ``credentials/list``, ``credentials/info`` (certificate chain, cert/status, key/algo, multisign,
  SCAL, OTP/PIN as 1.0.4 or as 2.0's auth objects), ``credentials/sendOTP``;
- ``credentials/authorize``: a one-time OTP (each is accepted once), ``numSignatures`` up to
  ``multisign``, hashes bound to the SAD for SCAL 2; a SAD expires after ``sad_lifetime`` seconds;
- ``credentials/extendTransaction``: a new SAD for the rest of the transaction (and new hashes);
- ``signatures/signHash``: one or more hashes per call, refused with the specification's errors
  (invalid SAD, SAD expired, hash not authorised, certificate expired, too many signatures).

Errors are the specification's JSON bodies, ``{"error": ..., "error_description": ...}``.
``delay`` makes every answer wait (a slow service); ``echo`` makes a refused OTP appear in the
error description; ``calls`` counts the requests per method; clearing ``tokens`` expires them.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

HASHES = {
    "2.16.840.1.101.3.4.2.1": hashes.SHA256(),
    "2.16.840.1.101.3.4.2.2": hashes.SHA384(),
    "2.16.840.1.101.3.4.2.3": hashes.SHA512(),
}
SIGN_ALGOS = {  # signAlgo -> its hash (None: given apart, as hashAlgo / hashAlgorithmOID)
    "1.2.840.113549.1.1.1": None,
    "1.2.840.113549.1.1.11": "2.16.840.1.101.3.4.2.1",
    "1.2.840.113549.1.1.12": "2.16.840.1.101.3.4.2.2",
    "1.2.840.113549.1.1.13": "2.16.840.1.101.3.4.2.3",
    "1.2.840.10045.2.1": None,
    "1.2.840.10045.4.3.2": "2.16.840.1.101.3.4.2.1",
    "1.2.840.10045.4.3.3": "2.16.840.1.101.3.4.2.2",
    "1.2.840.10045.4.3.4": "2.16.840.1.101.3.4.2.3",
}
CLIENT_ID, CLIENT_SECRET = "atti-test-client", "client-secret-canary-7Q2"


@dataclass
class ServerCredential:
    id: str
    key: Any  # the private key (RSA or EC)
    chain: list[x509.Certificate]
    status: str = "valid"  # cert/status
    multisign: int = 100
    scal: int = 1
    pin: str | None = None
    otps: set[str] = field(default_factory=set)  # each accepted once
    online: bool = False  # the service sends the OTP (credentials/sendOTP), as by SMS
    bare: bool = False  # key/algo names only the key's algorithm: the hash goes apart (hashAlgo)
    approval: int | None = None  # 2.0: no OTP; authorize answers 202, approved after this many checks

    @property
    def algos(self) -> list[str]:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return ["1.2.840.113549.1.1.1"] if self.bare else ["1.2.840.113549.1.1.11", "1.2.840.113549.1.1.1"]
        return ["1.2.840.10045.2.1"] if self.bare else ["1.2.840.10045.4.3.2", "1.2.840.10045.2.1"]


@dataclass
class _Sad:
    credential: str
    remaining: int
    hashes: set[str] | None  # bound hashes (SCAL 2)
    expires: float


class CSCError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class CSCTestServer:
    def __init__(self, credentials: list[ServerCredential]) -> None:
        self.credentials = {c.id: c for c in credentials}
        self.sad_lifetime = 3600.0
        self.delay = 0.0
        self.echo = False  # error descriptions repeat the OTP sent
        self.calls: Counter[str] = Counter()
        self.tokens: set[str] = set()
        self.sent_otps: list[str] = []  # credentials whose OTP was "sent by SMS"
        self._sads: dict[str, _Sad] = {}
        self._pending: dict[str, list[Any]] = {}  # handle -> [checks left, credential, count, hashes]
        self._otp_counter = 100000
        self._lock = threading.Lock()
        routes = [Route("/oauth2/token", self._token, methods=["POST"])]
        for version in ("v1", "v2"):
            for method in ("info", "credentials/list", "credentials/info", "credentials/authorize",
                           "credentials/extendTransaction", "credentials/sendOTP", "signatures/signHash",
                           "credentials/authorizeCheck"):
                routes.append(Route(f"/csc/{version}/{method}", self._endpoint(version, method), methods=["POST"]))
        self.app = Starlette(routes=routes)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- running -------------------------------------------------------------------------------

    def start(self) -> str:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="csc-test-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the CSC test server did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self._server, self._thread, self.url = server, thread, f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    # -- what the tests use ----------------------------------------------------------------------

    def new_otp(self, credential: str) -> str:
        """A fresh OTP for ``credential``, as the holder's token or SMS would show."""
        with self._lock:
            self._otp_counter += 1
            otp = str(self._otp_counter)
            self.credentials[credential].otps.add(otp)
            return otp

    def issue_token(self) -> str:
        """An access token, as a provider hands one to its customer."""
        token = "tok-" + secrets.token_urlsafe(16)
        self.tokens.add(token)
        return token

    def provider(self, version: str = "v1", **more: Any) -> dict[str, Any]:
        """A [csc.NAME] table for this server."""
        return {"base_url": self.url, "api_version": version, "client_id": CLIENT_ID, **more}

    # -- the endpoints -------------------------------------------------------------------------

    async def _body(self, request: Request) -> dict[str, Any]:
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            from urllib.parse import parse_qsl

            return dict(parse_qsl(raw.decode()))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise CSCError("invalid_request", "Malformed JSON body") from None
        if not isinstance(body, dict):
            raise CSCError("invalid_request", "Malformed JSON body")
        return body

    async def _token(self, request: Request) -> Response:
        self.calls["oauth2/token"] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        try:
            body = await self._body(request)
            if body.get("grant_type") != "client_credentials":
                raise CSCError("unsupported_grant_type", "Only client_credentials is supported")
            if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
                raise CSCError("invalid_client", "Client authentication failed", 401)
        except CSCError as e:
            return JSONResponse({"error": e.error, "error_description": e.description}, status_code=e.status)
        return JSONResponse({"access_token": self.issue_token(), "token_type": "Bearer", "expires_in": 3600})

    def _endpoint(self, version: str, method: str) -> Any:
        async def endpoint(request: Request) -> Response:
            self.calls[method] += 1
            if self.delay:
                await asyncio.sleep(self.delay)
            try:
                body = await self._body(request)
                if method != "info":
                    auth = request.headers.get("authorization", "")
                    if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
                        raise CSCError("invalid_token", "The access token is not valid", 401)
                with self._lock:
                    answer = getattr(self, "_" + method.replace("/", "_"))(version, body)
            except CSCError as e:
                return JSONResponse({"error": e.error, "error_description": e.description}, status_code=e.status)
            if answer is None:
                return Response(status_code=204)
            return JSONResponse(answer, status_code=answer.pop("__status__", 200))

        return endpoint

    def _info(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "specs": "1.0.4.0" if version == "v1" else "2.0.0.0",
            "name": "Firma remota di prova",
            "logo": f"{self.url}/logo.png",
            "region": "IT",
            "lang": "it-IT",
            "description": "CSC test server of the atti test suite",
            "authType": ["oauth2client"],
            "oauth2": self.url,
            "methods": ["credentials/list", "credentials/info", "credentials/authorize",
                        "credentials/extendTransaction", "credentials/sendOTP", "signatures/signHash"],
        }

    def _credential(self, body: dict[str, Any]) -> ServerCredential:
        cid = body.get("credentialID")
        if not isinstance(cid, str):
            raise CSCError("invalid_request", "Missing (or invalid type) string parameter credentialID")
        if cid not in self.credentials:
            raise CSCError("invalid_request", "Invalid parameter credentialID")
        return self.credentials[cid]

    def _credentials_list(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"credentialIDs": list(self.credentials)}

    def _credentials_info(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        c = self._credential(body)
        leaf = c.chain[0]
        from cryptography.hazmat.primitives.serialization import Encoding

        which = body.get("certificates", "single")
        certs = {"none": [], "single": c.chain[:1], "chain": c.chain}.get(which)
        if certs is None:
            raise CSCError("invalid_request", "Invalid parameter certificates")
        key_len = c.key.key_size
        answer: dict[str, Any] = {
            "description": f"Firma qualificata di {leaf.subject.rfc4514_string()}",
            "key": {"status": "enabled", "algo": c.algos, "len": key_len},
            "cert": {
                "status": c.status,
                "certificates": [base64.b64encode(x.public_bytes(Encoding.DER)).decode() for x in certs],
                "issuerDN": leaf.issuer.rfc4514_string(),
                "serialNumber": format(leaf.serial_number, "X"),
                "subjectDN": leaf.subject.rfc4514_string(),
                "validFrom": leaf.not_valid_before_utc.strftime("%Y%m%d%H%M%SZ"),
                "validTo": leaf.not_valid_after_utc.strftime("%Y%m%d%H%M%SZ"),
            },
            "multisign": c.multisign,
            "SCAL": str(c.scal),
            "lang": "it-IT",
        }
        if version == "v1":
            answer["authMode"] = "explicit"
            answer["PIN"] = {"presence": "true" if c.pin else "false"}
            answer["OTP"] = {"presence": "true", "type": "online" if c.online else "offline", "ID": "MB-OTP",
                             "provider": "test",
                             "format": "N", "label": "OTP", "description": "Il codice OTP"}
        else:
            objects = [{"type": "Password", "id": "OTP", "format": "N", "label": "OTP",
                        "generator": "online" if c.online else "totp"}]
            if c.approval is not None:  # approved on the holder's phone: nothing to type
                objects = []
            if c.pin:
                objects.insert(0, {"type": "Password", "id": "PIN", "format": "N", "label": "PIN"})
            answer["auth"] = {"mode": "explicit", "expression": " AND ".join(o["id"] for o in objects),
                              "objects": objects}
        return answer

    def _hashes(self, version: str, body: dict[str, Any], *, required: bool) -> list[str] | None:
        name = "hash" if version == "v1" else "hashes"
        value = body.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
            raise CSCError("invalid_request", f"Missing (or invalid type) array parameter {name}")
        if not value:
            raise CSCError("invalid_request", "Empty hash array")
        for h in value:
            try:
                base64.b64decode(h, validate=True)
            except ValueError:
                raise CSCError("invalid_request", "Invalid Base64 hash string parameter") from None
        return value

    def _credentials_authorize(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        c = self._credential(body)
        n = body.get("numSignatures")
        if not isinstance(n, int) or isinstance(n, bool):
            raise CSCError("invalid_request", "Missing (or invalid type) integer parameter numSignatures")
        if n < 1:
            raise CSCError("invalid_request", "Invalid value for parameter numSignatures")
        if n > c.multisign:
            raise CSCError("invalid_request", "Numbers of signatures is too high")
        bound = self._hashes(version, body, required=c.scal == 2)
        if version == "v1":
            otp, pin = body.get("OTP"), body.get("PIN")
        else:
            data = {o.get("id"): o.get("value") for o in body.get("authData", []) if isinstance(o, dict)}
            otp, pin = data.get("OTP"), data.get("PIN")
        if c.approval is not None and version == "v2":
            handle = "h-" + secrets.token_urlsafe(8)
            self._pending[handle] = [c.approval, c.id, n, bound]
            return {"__status__": 202, "handle": handle}
        if c.pin is not None and pin != c.pin:
            raise (CSCError("invalid_pin", "The PIN is invalid") if version == "v1"
                   else CSCError("invalid_authentication_data", "The authentication data is invalid"))
        if not isinstance(otp, str) or otp not in c.otps:
            if self.echo:  # a careless service that repeats what it was sent
                raise CSCError("invalid_otp", f"The OTP {otp} is invalid")
            raise (CSCError("invalid_otp", "The OTP is invalid") if version == "v1"
                   else CSCError("invalid_authentication_data", "The authentication data is invalid"))
        c.otps.discard(otp)  # one time
        return self._new_sad(c.id, n, bound)

    def _new_sad(self, credential: str, remaining: int, bound: list[str] | None) -> dict[str, Any]:
        sad = "sad-" + secrets.token_urlsafe(24)
        self._sads[sad] = _Sad(credential, remaining, set(bound) if bound is not None else None,
                               time.monotonic() + self.sad_lifetime)
        return {"SAD": sad, "expiresIn": max(0, int(self.sad_lifetime))}

    def _sad(self, body: dict[str, Any], c: ServerCredential) -> tuple[str, _Sad]:
        sad = body.get("SAD")
        if not isinstance(sad, str):
            raise CSCError("invalid_request", "Missing (or invalid type) string parameter SAD")
        found = self._sads.get(sad)
        if found is None or found.credential != c.id:
            raise CSCError("invalid_request", "Invalid parameter SAD")
        if time.monotonic() >= found.expires:
            raise CSCError("invalid_request", "SAD expired")
        return sad, found

    def _credentials_extendTransaction(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        c = self._credential(body)
        sad, found = self._sad(body, c)
        bound = self._hashes(version, body, required=c.scal == 2)
        del self._sads[sad]  # the old SAD is replaced
        return self._new_sad(c.id, found.remaining, bound)

    def _credentials_authorizeCheck(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        pending = self._pending.get(body.get("handle"))  # type: ignore[arg-type]
        if pending is None:
            raise CSCError("invalid_request", "Invalid parameter handle")
        pending[0] -= 1
        if pending[0] > 0:
            return {"__status__": 202, "handle": body["handle"]}
        del self._pending[body["handle"]]
        return self._new_sad(pending[1], pending[2], pending[3])

    def _credentials_sendOTP(self, version: str, body: dict[str, Any]) -> None:
        c = self._credential(body)
        self.sent_otps.append(c.id)
        return None

    def _signatures_signHash(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        c = self._credential(body)
        _, found = self._sad(body, c)
        hashes_b64 = self._hashes(version, body, required=True)
        assert hashes_b64 is not None
        sign_algo = body.get("signAlgo")
        if not isinstance(sign_algo, str):
            raise CSCError("invalid_request", "Missing (or invalid type) string parameter signAlgo")
        if sign_algo not in c.algos:
            raise CSCError("invalid_request", "Invalid parameter signAlgo")
        hash_oid = SIGN_ALGOS[sign_algo] or body.get("hashAlgo" if version == "v1" else "hashAlgorithmOID")
        if hash_oid not in HASHES:
            raise CSCError("invalid_request", "Missing (or invalid type) string parameter hashAlgo")
        if c.chain[0].not_valid_after_utc < dt.datetime.now(dt.UTC):
            raise CSCError("invalid_request", "Signing certificate is expired")
        if c.status == "revoked":
            raise CSCError("invalid_request", "Signing certificate is revoked")
        if found.hashes is not None and not set(hashes_b64) <= found.hashes:
            raise CSCError("invalid_request", "Hash is not authorized by the SAD")
        if len(hashes_b64) > found.remaining:
            raise CSCError("invalid_request", "Numbers of signatures is too high")
        algorithm = HASHES[hash_oid]
        signatures = []
        for h in hashes_b64:
            digest = base64.b64decode(h)
            if len(digest) != algorithm.digest_size:
                raise CSCError("invalid_request", "Invalid digest value length")
            if isinstance(c.key, rsa.RSAPrivateKey):
                signature = c.key.sign(digest, PKCS1v15(), Prehashed(algorithm))
            else:
                assert isinstance(c.key, ec.EllipticCurvePrivateKey)
                signature = c.key.sign(digest, ec.ECDSA(Prehashed(algorithm)))
            signatures.append(base64.b64encode(signature).decode())
        found.remaining -= len(hashes_b64)
        if found.hashes is not None:
            found.hashes -= set(hashes_b64)
        return {"signatures": signatures}


def running(server: CSCTestServer) -> Iterator[CSCTestServer]:
    """Start ``server``, yield it, stop it: for fixtures."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
