"""What a signer asks a person for: a secret named in words shown to them, with its kind.

The command line (atti.cli) prompts for it, or says which variable or setting can hold it when
there is no terminal; it tells what is asked by ``kind`` and ``reviewer``, never by the words,
which are in the language of messages.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["passphrase", "pin", "service"]


class Asked(str):
    """The words of a prompt (``str``), with ``kind``: a PKCS#12's ``passphrase``, a token's
    ``pin``, or a remote signing ``service``'s OTP, PIN or client secret (its words name the
    variable that can hold it); ``reviewer`` when it is a reviewer's, whose PIN is not ATTI_PKCS11_PIN."""

    kind: Kind
    reviewer: bool

    def __new__(cls, text: str, kind: Kind, reviewer: bool = False) -> Asked:
        asked = super().__new__(cls, text)
        asked.kind = kind
        asked.reviewer = reviewer
        return asked


def kind_of(what: str) -> tuple[Kind, bool]:
    """The kind of a prompt's request and whether it is a reviewer's (a plain string: a passphrase)."""
    if isinstance(what, Asked):
        return what.kind, what.reviewer
    return "passphrase", False
