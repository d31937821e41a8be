"""Opening the key the settings name: a PKCS#11 token, else a PKCS#12 file; and whose key it is.

Secrets never travel in the settings: a token's PIN comes from ``$ATTI_PKCS11_PIN``, a PKCS#12's
passphrase from ``$ATTI_P12_PASSPHRASE``, else from the caller's ``prompt`` (the CLI asks on the
terminal; the library never does).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from atti.config import Settings
from atti.errors import PassphraseNeeded, SigningError
from atti.signing.identity import names_person
from atti.signing.signer import ActSigner

# Asks for a secret, given what it unlocks ("keys/ventrice.p12", "token 'Firma'").
PassphrasePrompt = Callable[[str], bytes]


def open_key(settings: Settings, prompt: PassphrasePrompt | None = None) -> ActSigner | None:
    """The key configured to sign with: a PKCS#11 token, else a PKCS#12 file, else None."""
    if settings.pkcs11_module is not None:
        from atti.signing.pkcs11 import open_pkcs11_signer

        module, token, key = settings.pkcs11_module, settings.pkcs11_token, settings.pkcs11_key
        if not token or not key:
            raise SigningError("a PKCS#11 key needs the token's label and the key's label (--token, --key-label)")
        try:
            return open_pkcs11_signer(module, token, key, os.environ.get("ATTI_PKCS11_PIN"))
        except PassphraseNeeded:
            if prompt is None:
                raise
            return open_pkcs11_signer(module, token, key, prompt(f"token '{token}'").decode())
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
        return ActSigner.from_pkcs12(p12, prompt(str(p12)))


def ensure_holder(signer: ActSigner, person: str, role: str = "firmatario") -> None:
    """Refuse a key whose certificate does not name ``person``: an act signed by someone other
    than the person it names is not that person's act. Closes the key when refusing it."""
    if not names_person(signer.certificate, person):
        signer.close()
        raise SigningError(f"the act's {role} is {person} but the certificate belongs to {signer.signer_name}")
