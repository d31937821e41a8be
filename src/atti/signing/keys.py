"""Opening the key the settings name: a PKCS#11 token, else a PKCS#12 file; and whose key it is.

Secrets never travel in the settings: a token's PIN comes from ``$ATTI_PKCS11_PIN``, a PKCS#12's
passphrase from ``$ATTI_P12_PASSPHRASE``, else from the caller's ``prompt`` (the CLI asks on the
terminal; the library never does).

A reviewer's key is named by a key spec (:func:`open_key_spec`): ``p12:PATH``,
``pkcs11:token=LABEL;key=LABEL[;module=PATH][;pin-env=VARIABLE]``, ``csc:PROVIDER[:CREDENTIAL]`` (a
credential of a CSC service of the settings, :mod:`.csc`) or ``remote:MODULE:FACTORY``.
A reviewer's PIN is theirs, not the signer's: it comes from the variable the spec names, else the
prompt, never from ``$ATTI_PKCS11_PIN``.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from atti.config import Settings
from atti.errors import PassphraseNeeded, SigningError
from atti.i18n import _
from atti.signing.asked import Asked, kind_of
from atti.signing.identity import names_person
from atti.signing.signer import ActSigner

# Asks for a secret, given what it unlocks ("keys/ventrice.p12", "token 'Firma'"; an Asked says its kind).
PassphrasePrompt = Callable[[str], bytes]


def open_key(settings: Settings, prompt: PassphrasePrompt | None = None) -> ActSigner | None:
    """The key configured to sign with: a remote key over the CSC API (``remote``), else a PKCS#11
    token, else a PKCS#12 file, else None."""
    if settings.remote is not None:
        from atti.signing.csc import open_csc_signer

        return open_csc_signer(settings, settings.remote, prompt)
    if settings.pkcs11_module is not None:
        from atti.signing.pkcs11 import open_pkcs11_signer

        module, token, key = settings.pkcs11_module, settings.pkcs11_token, settings.pkcs11_key
        if not token or not key:
            raise SigningError(_("a PKCS#11 key needs the token's label and the key's label (--token, --key-label)"))
        try:
            return open_pkcs11_signer(module, token, key, os.environ.get("ATTI_PKCS11_PIN"))
        except PassphraseNeeded:
            if prompt is None:
                raise
            asked = Asked(_("token '{token}'").format(token=token), "pin")
            return open_pkcs11_signer(module, token, key, prompt(asked).decode())
    if settings.p12 is not None:
        return open_pkcs12(settings.p12, prompt)
    return None


def open_pkcs12(p12: Path, prompt: PassphrasePrompt | None = None) -> ActSigner:
    """Unlock a PKCS#12: without a passphrase if it has none, else $ATTI_P12_PASSPHRASE, else ``prompt``.

    Trying none first lets the signer's passphrase in the environment sit beside reviewers'
    files that have none.
    """
    try:
        return ActSigner.from_pkcs12(p12, None)
    except PassphraseNeeded:
        env = os.environ.get("ATTI_P12_PASSPHRASE")
        if env is not None:
            return ActSigner.from_pkcs12(p12, env.encode())
        if prompt is None:
            raise
        return ActSigner.from_pkcs12(p12, prompt(Asked(str(p12), "passphrase")))


def ensure_holder(signer: ActSigner, person: str, role: str = "firmatario") -> None:
    """Refuse a key whose certificate does not name ``person``: an act signed by someone other
    than the person it names is not that person's act. Closes the key when refusing it."""
    if not names_person(signer.certificate, person):
        signer.close()
        raise SigningError(
            _("the act's {role} is {person} but the certificate belongs to {holder}")
            .format(role=role, person=person, holder=signer.signer_name)
        )


KEY_SPEC_FORMS = (
    "p12:PATH, pkcs11:token=LABEL;key=LABEL[;module=PATH][;pin-env=VARIABLE], csc:PROVIDER[:CREDENTIAL],"
    " remote:MODULE:FACTORY"
)
_PKCS11_FIELDS = ("token", "key", "module", "pin-env")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def open_key_spec(spec: str, settings: Settings, prompt: PassphrasePrompt | None = None) -> ActSigner:
    """Open the key ``spec`` names (see the module's docstring); SigningError for a spec that is
    not one of the forms, naming the spec and the forms."""
    kind, colon, rest = spec.partition(":")
    if not colon or not rest or kind not in ("p12", "pkcs11", "csc", "remote"):
        raise SigningError(_("key '{spec}': write it as one of {forms}").format(spec=spec, forms=KEY_SPEC_FORMS))
    if kind == "p12":
        return open_pkcs12(Path(rest), prompt)
    if kind == "csc":
        from atti.signing.csc import open_csc_signer

        # The OTP and PIN are the reviewer's: never the signer's $ATTI_CSC_OTP / $ATTI_CSC_PIN, only
        # the variables the provider's table names (otp_env, pin_env), else the prompt.
        own = {k: v for k, v in os.environ.items() if k not in ("ATTI_CSC_OTP", "ATTI_CSC_PIN")}
        return open_csc_signer(settings, rest, _reviewer_prompt(prompt), environ=own)
    if kind == "pkcs11":
        return _open_pkcs11_spec(spec, rest, settings, prompt)
    return _open_remote_spec(spec, rest)


def _reviewer_prompt(prompt: PassphrasePrompt | None) -> PassphrasePrompt | None:
    """A reviewer's secrets are theirs: the prompt says whose they are asked for."""
    if prompt is None:
        return None
    # The prompt's text is read by the command line (atti.cli) to tell what is asked for: not translated here.
    return lambda what: prompt(Asked(_("reviewer's {what}").format(what=what), kind_of(what)[0], reviewer=True))


def _open_pkcs11_spec(spec: str, rest: str, settings: Settings, prompt: PassphrasePrompt | None) -> ActSigner:
    from atti.signing.pkcs11 import open_pkcs11_signer

    fields: dict[str, str] = {}
    for part in rest.split(";"):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or name not in _PKCS11_FIELDS or not value:
            raise SigningError(
                _("key '{spec}': '{part}' is not one of {fields}")
                .format(spec=spec, part=part, fields=", ".join(f + "=..." for f in _PKCS11_FIELDS))
            )
        if name in fields:
            raise SigningError(_("key '{spec}': {name} is given twice").format(spec=spec, name=name))
        fields[name] = value
    if "token" not in fields or "key" not in fields:
        raise SigningError(_("key '{spec}': a PKCS#11 key needs token=LABEL and key=LABEL").format(spec=spec))
    module = Path(fields["module"]) if "module" in fields else settings.pkcs11_module
    if module is None:
        raise SigningError(
            _("key '{spec}': name the PKCS#11 library with module=PATH or the pkcs11_module setting").format(spec=spec)
        )
    token, key = fields["token"], fields["key"]
    pin: str | None = None
    if "pin-env" in fields:
        variable = fields["pin-env"]
        if not _VARIABLE.fullmatch(variable):
            raise SigningError(
                _("key '{spec}': pin-env names an environment variable, not '{variable}'").format(
                    spec=spec, variable=variable
                )
            )
        if variable.upper().startswith("ATTI_"):
            # atti refuses an ATTI_* variable that is no setting: the PIN would never be read.
            raise SigningError(
                _("key '{spec}': pin-env must name a variable outside ATTI_*, which are settings").format(spec=spec)
            )
        pin = os.environ.get(variable)
        if pin is None:
            raise SigningError(
                _("the PIN of token '{token}' is to come from ${variable}, which is not set").format(
                    token=token, variable=variable
                )
            )
    try:
        return open_pkcs11_signer(module, token, key, pin)
    except PassphraseNeeded:
        if prompt is None:
            raise
        asked = Asked(_("reviewer's token '{token}'").format(token=token), "pin", reviewer=True)
        return open_pkcs11_signer(module, token, key, prompt(asked).decode())


def _open_remote_spec(spec: str, rest: str) -> ActSigner:
    """``MODULE:FACTORY``: an adapter for one provider, a callable that takes no arguments (it
    reads its own credentials) and returns a :class:`~atti.signing.remote.RemoteSigningService`."""
    from atti.signing.remote import open_remote_signer

    module_name, colon, factory_name = rest.partition(":")
    if not colon or not _DOTTED.fullmatch(module_name) or not _VARIABLE.fullmatch(factory_name):
        raise SigningError(
            _("key '{spec}': a remote key is remote:MODULE:FACTORY, e.g. remote:ente.firma:servizio").format(spec=spec)
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise SigningError(
            _("key '{spec}': cannot import {module}: {reason}").format(spec=spec, module=module_name, reason=e)
        ) from None
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise SigningError(
            _("key '{spec}': {module} has no callable {factory}")
            .format(spec=spec, module=module_name, factory=factory_name)
        )
    try:
        service = factory()
    except OSError as e:
        raise SigningError(
            _("key '{spec}': the remote signing service could not start: {reason}").format(spec=spec, reason=e)
        ) from None
    return open_remote_signer(
        service, source=_("the remote signing service {name}").format(name=f"{module_name}:{factory_name}")
    )
