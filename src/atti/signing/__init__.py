"""Signing stage of atti: PAdES signatures on act PDFs, and their offline verification.

* :class:`ActSigner` signs PDFs at every PAdES baseline level (B-B, B-T, B-LT, B-LTA) with a key
  loaded once: a PKCS#12 file, a PKCS#11 token (:mod:`.pkcs11`) or a remote service
  (:mod:`.remote`), a provider's remote key over the CSC API first of all (:mod:`.csc`, many
  signatures per OTP); :mod:`.keys` opens the key the settings name, :mod:`.identity` decides
  whose certificate names whom;
* :func:`verify_pdf` checks every signature of a PDF against given trust roots, without network,
  and returns a :class:`VerificationReport` in ETSI EN 319 102-1 terms;
* :class:`DevCA` is a development PKI (clearly NOT qualified) so that everything works
  without a real signature device.

Only :mod:`.pki` is cheap to import; the other modules pull in pyHanko (over half a second),
so the names are resolved on first use, and ``atti --help`` does not pay for signing.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pki import DevCA
    from .signer import ActSigner
    from .verify import SignatureReport, VerificationReport, load_trust_roots, verify_pdf

__all__ = [
    "ActSigner",
    "DevCA",
    "SignatureReport",
    "VerificationReport",
    "load_trust_roots",
    "verify_pdf",
]

_HOME = {
    "ActSigner": "signer",
    "DevCA": "pki",
    "SignatureReport": "verify",
    "VerificationReport": "verify",
    "load_trust_roots": "verify",
    "verify_pdf": "verify",
}

# pyHanko and certvalidator log expected validation failures (an untrusted chain, a tampered
# file) as warnings with tracebacks. With no logging configured, Python's last-resort handler
# would print them to stderr; a NullHandler stops that while still letting the records
# propagate to whatever handlers the CLI installs for --verbose.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
