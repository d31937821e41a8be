"""PAdES signing with a key that never leaves a PKCS#11 token: smart card, USB key, HSM.

:func:`open_pkcs11_signer` loads the token's PKCS#11 module, logs in and finds the key, its
certificate and any CA certificates on the token, then returns an :class:`ActSigner` that keeps
the session open, so that one PIN entry signs a whole batch (load once, sign many). Close it
(``close()`` or ``with``) to log out. Every check that can fail (module, token, PIN, key,
certificate) runs while opening, before any output exists.

PKCS#11 keeps one login per process and token: a second signer on a token that is already open
in this process is refused, and closing a session logs out every session of the token.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pkcs11
from asn1crypto import core as asn1_core
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass, TokenFlag
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.sign.pkcs11 import PKCS11Signer

from atti.errors import PassphraseNeeded, SigningError
from atti.i18n import N_, _, translate
from atti.signing.identity import common_name
from atti.signing.signer import ActSigner

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Pkcs11Library

__all__ = ["Pkcs11ActSigner", "open_pkcs11_signer"]

# ActSigner always signs with SHA-256. Per key type: the token-side hash-and-sign mechanism, and
# the raw one that signs a hash computed here. Many smart cards offer only the raw one.
_MECHANISMS = {
    KeyType.RSA: (Mechanism.SHA256_RSA_PKCS, Mechanism.RSA_PKCS),
    KeyType.EC: (Mechanism.ECDSA_SHA256, Mechanism.ECDSA),
}

_WRONG_PIN = (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange)

# python-pkcs11 exceptions mostly carry no text: say what the return code means.
_EXPLAINED: dict[type[pkcs11.PKCS11Error], str] = {
    pkcs11.DeviceRemoved: N_("the token was removed"),
    pkcs11.TokenNotPresent: N_("the token was removed"),
    pkcs11.SessionClosed: N_("the session with the token was closed"),
    pkcs11.SessionHandleInvalid: N_("the session with the token was closed"),
    pkcs11.UserNotLoggedIn: N_("the token is no longer logged in"),
    pkcs11.FunctionCancelled: N_("the operation was cancelled on the token"),
    pkcs11.DeviceMemory: N_("the token is out of memory"),
    pkcs11.DeviceError: N_("the token reported a device error"),
}


def _describe(e: pkcs11.PKCS11Error) -> str:
    for kind, text in _EXPLAINED.items():
        if isinstance(e, kind):
            return translate(text)
    detail = " ".join(str(e).split())
    return f"{type(e).__name__}: {detail}" if detail else type(e).__name__


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(repr(label) for label in labels)


def _attr(obj: Any, attribute: Attribute) -> Any:
    """``obj[attribute]``, or None where the token does not have or show that attribute."""
    try:
        return obj[attribute]
    except (pkcs11.PKCS11Error, KeyError):
        return None


def _objects(session: pkcs11.Session, template: dict[Attribute, Any]) -> list[Any]:
    # list(): a PKCS#11 search stays open until its iterator is exhausted.
    return list(session.get_objects(template))


def _labels(session: pkcs11.Session, object_class: ObjectClass) -> list[str]:
    found = (_attr(o, Attribute.LABEL) for o in _objects(session, {Attribute.CLASS: object_class}))
    return sorted({label for label in found if label})


# -- module, token, login ------------------------------------------------------------------------


def _load_module(module: Path) -> Pkcs11Library:
    # dlopen() looks a bare file name up in the library path and never in the current
    # directory: an absolute path makes it load the file the user named.
    path = os.path.abspath(module)
    if not os.path.exists(path):
        raise SigningError(_("no such PKCS#11 module: {module}").format(module=module))
    if not os.path.isfile(path):
        raise SigningError(_("not a PKCS#11 module: {module} is not a file").format(module=module))
    try:
        return pkcs11.lib(path)
    except pkcs11.PKCS11Error as e:
        text = " ".join(str(e).split())
        if not text.startswith(("OS exception while loading", "Unknown exception while loading")):
            # It loaded, but C_Initialize failed: e.g. SoftHSM2 without its configuration file.
            raise SigningError(
                _("the PKCS#11 module {module} failed to start: {reason}").format(module=module, reason=_describe(e))
            ) from None
        # "OS exception while loading P: P: undefined symbol: C_GetFunctionList" -> the dlerror() part
        reason = text.split(f"{path}: ", 1)[-1]
        if reason.startswith("/") and ": " in reason:
            reason = reason.split(": ", 1)[1]  # dlerror() repeats the (resolved) path
        raise SigningError(
            _("not a PKCS#11 module: {module} ({reason})").format(module=module, reason=reason)
        ) from None


def _find_token(library: Pkcs11Library, module: Path, token_label: str) -> pkcs11.Token:
    tokens = list(library.get_tokens(token_label=token_label))
    if len(tokens) == 1:
        return tokens[0]
    if tokens:
        raise SigningError(
            _("several tokens are labelled {token} in {module}: leave only one connected")
            .format(token=repr(token_label), module=module)
        )
    # An empty label is a slot with a blank (uninitialised) token: nothing a user could name.
    present = sorted({t.label for t in library.get_tokens() if t.label})
    if not present:
        raise SigningError(
            _("no token {token} in {module}: no token is present").format(token=repr(token_label), module=module)
        )
    raise SigningError(
        _("no token {token} in {module}; tokens present: {present}")
        .format(token=repr(token_label), module=module, present=_quoted(present))
    )


def _wrong_pin(token: pkcs11.Token, token_label: str) -> str:
    try:
        flags = token.slot.get_token().flags  # fresh: the Token object keeps the flags it was made with
    except pkcs11.PKCS11Error:
        flags = TokenFlag(0)
    if flags & TokenFlag.USER_PIN_LOCKED:
        return _("wrong PIN for token {token}; the PIN is now locked").format(token=repr(token_label))
    if flags & TokenFlag.USER_PIN_FINAL_TRY:
        return _("wrong PIN for token {token}; one more wrong PIN will lock it").format(token=repr(token_label))
    return _("wrong PIN for token {token}").format(token=repr(token_label))


def _locked(token_label: str) -> str:
    return _("the PIN of token {token} is locked: unlock it with the PUK").format(token=repr(token_label))


def _open_session(token: pkcs11.Token, token_label: str, pin: str | None) -> pkcs11.Session:
    flags = token.flags
    # Checked first so that a locked token costs no attempt and gives the real reason.
    if flags & TokenFlag.USER_PIN_LOCKED:
        raise SigningError(_locked(token_label))
    user_pin: str | object | None = pin
    if pin is None:
        if flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH:
            user_pin = pkcs11.PROTECTED_AUTH  # a reader with its own PIN pad asks for it
        elif flags & TokenFlag.LOGIN_REQUIRED:
            raise PassphraseNeeded(_("token {token} needs a PIN, and none was given").format(token=repr(token_label)))
    try:
        return token.open(user_pin=user_pin)
    except _WRONG_PIN:
        raise SigningError(_wrong_pin(token, token_label)) from None
    except pkcs11.PinLocked:
        raise SigningError(_locked(token_label)) from None
    except pkcs11.PinExpired:
        raise SigningError(
            _("the PIN of token {token} has expired: change it first").format(token=repr(token_label))
        ) from None
    except pkcs11.UserAlreadyLoggedIn:
        raise SigningError(
            _("token {token} is already open in this process: close its other signer first")
            .format(token=repr(token_label))
        ) from None
    except pkcs11.PKCS11Error as e:
        raise SigningError(
            _("cannot open token {token}: {reason}").format(token=repr(token_label), reason=_describe(e))
        ) from None


# -- key and certificates ------------------------------------------------------------------------


def _find_key(session: pkcs11.Session, token_label: str, key_label: str) -> Any:
    keys = _objects(session, {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: key_label})
    if not keys:
        present = _labels(session, ObjectClass.PRIVATE_KEY)
        where = _("keys present: {present}").format(present=_quoted(present)) if present else _(
            "it holds no private key")
        raise SigningError(
            _("no private key {key} on token {token}; {where}")
            .format(key=repr(key_label), token=repr(token_label), where=where)
        )
    if len(keys) > 1:
        raise SigningError(
            _("several private keys are labelled {key} on token {token}")
            .format(key=repr(key_label), token=repr(token_label))
        )
    if not _attr(keys[0], Attribute.SIGN):
        raise SigningError(
            _("the key {key} on token {token} is not allowed to sign")
            .format(key=repr(key_label), token=repr(token_label))
        )
    return keys[0]


def _find_certificate(
    session: pkcs11.Session, token_label: str, key: Any, key_label: str, cert_label: str | None
) -> x509.Certificate:
    certificates = {Attribute.CLASS: ObjectClass.CERTIFICATE}
    if cert_label is not None:
        what = _("certificate {label}").format(label=repr(cert_label))
        found = _objects(session, {**certificates, Attribute.LABEL: cert_label})
    else:
        # PKCS#11 convention: a certificate shares its key's ID; many tools also share the label.
        what = _("certificate for the key {key}").format(key=repr(key_label))
        key_id = _attr(key, Attribute.ID)
        found = _objects(session, {**certificates, Attribute.ID: key_id}) if key_id else []
        if not found:
            found = _objects(session, {**certificates, Attribute.LABEL: key_label})
    if not found:
        present = _labels(session, ObjectClass.CERTIFICATE)
        where = _("certificates present: {present}").format(present=_quoted(present)) if present else _(
            "it holds no certificate")
        raise SigningError(
            _("no {what} on token {token}; {where}").format(what=what, token=repr(token_label), where=where)
        )
    if len(found) > 1:
        raise SigningError(
            _("several objects match the {what} on token {token}: name one by label")
            .format(what=what, token=repr(token_label))
        )
    try:
        return x509.load_der_x509_certificate(found[0][Attribute.VALUE])
    except (ValueError, pkcs11.PKCS11Error):
        raise SigningError(
            _("the {what} on token {token} is not a readable X.509 certificate")
            .format(what=what, token=repr(token_label))
        ) from None


def _token_certificates(session: pkcs11.Session) -> list[x509.Certificate]:
    certs = []
    for obj in _objects(session, {Attribute.CLASS: ObjectClass.CERTIFICATE}):
        try:
            certs.append(x509.load_der_x509_certificate(obj[Attribute.VALUE]))
        except (ValueError, pkcs11.PKCS11Error):
            continue  # an unreadable certificate the signature does not need
    return certs


def _issuer_path(leaf: x509.Certificate, candidates: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """The CA certificates from ``leaf``'s issuer upward, as far as ``candidates`` reach.

    Only these go into the signature: a card often also holds an authentication certificate
    (CNS) that has no business in a signed act.
    """
    path: list[x509.Certificate] = []
    current = leaf
    while current.issuer != current.subject:
        issuer = next((c for c in candidates if c.subject == current.issuer and c not in path), None)
        if issuer is None:
            break
        path.append(issuer)
        current = issuer
    return path


def _ec_point(value: bytes) -> bytes:
    # CKA_EC_POINT is specified as a DER OCTET STRING, but some tokens store the bare point.
    try:
        inner = asn1_core.OctetString.load(value, strict=True).native
        return inner if isinstance(inner, bytes) else value
    except ValueError:
        return value


def _belongs(session: pkcs11.Session, key: Any, certificate: x509.Certificate) -> bool | None:
    """Whether ``key`` is the private key of ``certificate``; None when the token does not tell."""
    public = certificate.public_key()
    key_type = _attr(key, Attribute.KEY_TYPE)
    if isinstance(public, rsa.RSAPublicKey):
        if key_type != KeyType.RSA:
            return False
        modulus = _attr(key, Attribute.MODULUS)  # readable on RSA private keys, even unextractable ones
        return None if modulus is None else int.from_bytes(modulus, "big") == public.public_numbers().n
    if isinstance(public, ec.EllipticCurvePublicKey):
        if key_type != KeyType.EC:
            return False
        # An EC private key does not carry its point: the public key object with the same ID does.
        key_id = _attr(key, Attribute.ID)
        pair = _objects(session, {Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: key_id}) if key_id else []
        point = _attr(pair[0], Attribute.EC_POINT) if len(pair) == 1 else None
        if point is None:
            return None
        return _ec_point(point) == public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return None


def _use_raw_mechanism(token: pkcs11.Token, token_label: str, key: Any) -> bool:
    pair = _MECHANISMS.get(_attr(key, Attribute.KEY_TYPE))
    if pair is None:
        return False  # other key types: pyHanko's own choice
    try:
        available = token.slot.get_mechanisms()
    except pkcs11.PKCS11Error:
        return False  # the token does not say: try the usual mechanism
    hashed, raw = pair
    if hashed in available:
        return False
    if raw in available:
        return True
    raise SigningError(
        _("token {token} supports neither {hashed} nor {raw} for its key")
        .format(token=repr(token_label), hashed=hashed.name, raw=raw.name)
    )


# -- the signer ----------------------------------------------------------------------------------


class Pkcs11ActSigner(ActSigner):
    """An :class:`ActSigner` whose key is on a token; holds the session until :meth:`close`."""

    _session: pkcs11.Session | None
    _token_label: str

    @property
    def token_label(self) -> str:
        return self._token_label

    @property
    def closed(self) -> bool:
        return self._session is None

    def close(self) -> None:
        """Log out and end the session; signing afterwards raises SigningError."""
        session, self._session = self._session, None
        if session is not None:
            # A PKCS11Error here means the token is gone already, and with it the login.
            with contextlib.suppress(pkcs11.PKCS11Error):
                session.close()

    # Pass-through arguments: this only adds the session's state and errors to ActSigner.sign,
    # whatever options that has (sign_file and the rest go through here too).
    def sign(self, pdf: bytes, *args: Any, **kwargs: Any) -> bytes:
        if self._session is None:
            raise SigningError(_("the signer of token {token} is closed").format(token=repr(self._token_label)))
        try:
            return super().sign(pdf, *args, **kwargs)
        except pkcs11.PKCS11Error as e:
            # A token can disappear or refuse between signatures: unplugged, logged out, full.
            raise SigningError(
                _("token {token} could not sign: {reason}").format(token=repr(self._token_label), reason=_describe(e))
            ) from None


def open_pkcs11_signer(
    module: Path,
    token_label: str,
    key_label: str,
    pin: str | None,
    *,
    cert_label: str | None = None,
    chain: Sequence[x509.Certificate] = (),
) -> Pkcs11ActSigner:
    """Open ``token_label`` through the PKCS#11 library ``module`` and sign with ``key_label``.

    The certificate is the one labelled ``cert_label`` or, by default, the one with the key's ID
    (or else its label). CA certificates on the issuer path are taken from the token and from
    ``chain`` (cards seldom carry their CA). ``pin`` None means no login: allowed for a token
    that needs none or has a PIN pad; otherwise :class:`PassphraseNeeded` is raised.
    """
    module = Path(module)
    library = _load_module(module)
    try:
        token = _find_token(library, module, token_label)
        session = _open_session(token, token_label, pin)
    except pkcs11.PKCS11Error as e:
        raise SigningError(_("PKCS#11 module {module}: {reason}").format(module=module, reason=_describe(e))) from None
    try:
        key = _find_key(session, token_label, key_label)
        certificate = _find_certificate(session, token_label, key, key_label, cert_label)
        if _belongs(session, key, certificate) is False:
            raise SigningError(
                _("the certificate of {name} on token {token} does not belong to the key {key}").format(
                    name=common_name(certificate.subject), token=repr(token_label), key=repr(key_label)
                )
            )
        cas = _issuer_path(certificate, [*_token_certificates(session), *chain])
        sign_kwargs: dict[str, Any] = {}
        if pin is not None and _attr(key, Attribute.ALWAYS_AUTHENTICATE):
            # Qualified-signature keys on many cards want the PIN again for every signature.
            sign_kwargs["pin"] = pin
        key_id = _attr(key, Attribute.ID)
        signer = PKCS11Signer(
            session,
            signing_cert=translate_pyca_cryptography_cert_to_asn1(certificate),
            ca_chain=[translate_pyca_cryptography_cert_to_asn1(c) for c in cas],
            key_label=key_label,
            key_id=key_id or None,
            use_raw_mechanism=_use_raw_mechanism(token, token_label, key),
            base_sign_kwargs=sign_kwargs,
        )
        signer.signing_cert  # noqa: B018  # looks the key handle up now, not at the first signature
        source = _("token {token}").format(token=repr(token_label))
        act = Pkcs11ActSigner.from_signer(signer, certificate, cas, source=source)
        assert isinstance(act, Pkcs11ActSigner)  # from_signer builds an instance of its class
        act._session, act._token_label = session, token_label
        return act
    except BaseException as e:
        with contextlib.suppress(pkcs11.PKCS11Error):
            session.close()  # logs out: a refused signer must not leave the token unlocked
        if isinstance(e, pkcs11.PKCS11Error):
            raise SigningError(
                _("token {token}: {reason}").format(token=repr(token_label), reason=_describe(e))
            ) from None
        raise
