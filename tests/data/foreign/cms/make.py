"""Makes the cms group: the hand-made PDF of the structure group signed with CMS variants other
tools produce (adbe.pkcs7.detached, adbe.pkcs7.sha1, content encapsulated, two SignerInfos), a
damaged CMS, and a byte flipped inside the signed range.

Run once from the repository root with atti's venv: ``.venv/bin/python tests/data/foreign/cms/make.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import random
import sys
from pathlib import Path

from asn1crypto import cms

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("structure_make", HERE.parent / "structure" / "make.py")
assert _spec is not None and _spec.loader is not None
sm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sm)


def signed_with(pki, subfilter: str, make_cms) -> bytes:  # type: ignore[no-untyped-def]
    pdf, _ = sm.sign_update(
        sm.base_pdf("table"), first_free=8, sig=sm.sig_dict(subfilter), fields=[(9, sm.widget(b"Firma1"))]
    )
    return sm.fill(pdf, make_cms)


def pkcs7_detached(pki):  # type: ignore[no-untyped-def]
    """A plain CMS as Adobe's adbe.pkcs7.detached has it: signing-time, no ESS certificate reference."""

    def make(data: bytes) -> bytes:
        ci = asyncio.run(pki.cms_signer().async_sign(hashlib.sha256(data).digest(), "sha256", use_pades=False))
        return ci.dump()

    return make


def encapsulated(pki, content_of):  # type: ignore[no-untyped-def]
    """A CMS that carries ``content_of(data)`` as its encapsulated content."""

    def make(data: bytes) -> bytes:
        algo = "sha1" if content_of is _sha1 else "sha256"
        ci = asyncio.run(pki.cms_signer().async_sign_general_data(content_of(data), algo, detached=False))
        return ci.dump()

    return make


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()  # what adbe.pkcs7.sha1 is


def two_signer_infos(pki, other):  # type: ignore[no-untyped-def]
    """Two signers' SignerInfos over the same bytes, in one SignedData."""

    def make(data: bytes) -> bytes:
        digest = hashlib.sha256(data).digest()
        a = asyncio.run(pki.cms_signer().async_sign(digest, "sha256", use_pades=True))
        b = asyncio.run(other.cms_signer().async_sign(digest, "sha256", use_pades=True))
        sd = a["content"]
        sd["signer_infos"] = cms.SignerInfos([*a["content"]["signer_infos"], *b["content"]["signer_infos"]])
        sd["certificates"] = cms.CertificateSet([*a["content"]["certificates"], *b["content"]["certificates"]])
        return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()

    return make


def main() -> None:
    pki = sm.make_pki("cms", HERE / "trust")
    other = sm.make_pki("cms", HERE / "trust-other")  # a second signer under a root of its own
    files = {
        "pkcs7-detached.pdf": signed_with(pki, "/adbe.pkcs7.detached", pkcs7_detached(pki)),
        "pkcs7-sha1.pdf": signed_with(pki, "/adbe.pkcs7.sha1", encapsulated(pki, _sha1)),
        "detached-with-content.pdf": signed_with(pki, "/adbe.pkcs7.detached", encapsulated(pki, lambda d: d)),
        "two-signer-infos.pdf": signed_with(pki, "/ETSI.CAdES.detached", two_signer_infos(pki, other)),
        "damaged-cms.pdf": signed_with(pki, "/ETSI.CAdES.detached", lambda d: random.Random(15).randbytes(1500)),
    }
    good = signed_with(pki, "/ETSI.CAdES.detached", sm.pades_cms(pki))
    at = good.index(b"Determinazione n. 15")
    files["flipped-byte.pdf"] = good[:at] + b"d" + good[at + 1 :]
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes", file=sys.stderr)
    for p in (HERE / "trust-other").iterdir():
        p.unlink()
    (HERE / "trust-other").rmdir()


if __name__ == "__main__":
    main()
