"""Whether a signature's signed bytes are untouched, decided from the raw bytes alone.

A PDF's object parser can fail on a file whose signed bytes are perfectly intact (a hybrid
cross-reference, wrong xref offsets, an object the strict reader cannot find). Integrity does
not depend on any of that: the signature dictionary names its /ByteRange and holds the CMS in
/Contents, and the digest of the ranges either matches what the CMS commits to or does not.
This module finds those two entries by scanning the file, checks the ranges are sane, and
compares the digests, so verification never reports "altered" because its parser gave up.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms, tsp

__all__ = ["RawSignature", "check_integrity", "scan"]

# /ByteRange [a b c d] then, within the same dictionary, /Contents <hex> (either order).
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_CONTENTS = re.compile(rb"/Contents\s*<([0-9A-Fa-f\s]*)>")
_SUBFILTER = re.compile(rb"/SubFilter\s*/([A-Za-z0-9.#_-]+)")
_NEAR = 64 * 1024 + 2 * 1024 * 1024  # how far from /ByteRange its /Contents may sit


@dataclass(frozen=True)
class RawSignature:
    """A signature dictionary as the raw bytes show it."""

    byte_range: tuple[int, int, int, int]
    contents: bytes  # the CMS, DER, with the placeholder's zero padding
    subfilter: str | None  # "/ETSI.CAdES.detached", ... when the dictionary names one

    @property
    def is_timestamp(self) -> bool:
        """A document timestamp by its /SubFilter, whatever its /Type (ISO 32000-2 12.8.5)."""
        return self.subfilter == "/ETSI.RFC3161"


def scan(pdf: bytes) -> list[RawSignature]:
    """Every signature dictionary whose /Contents gap matches its /ByteRange, in file order;
    the same dictionary repeated (its revision rewritten) counts once."""
    found: dict[tuple[int, int, int, int], RawSignature] = {}
    for m in _BYTE_RANGE.finditer(pdf):
        br = (int(m[1]), int(m[2]), int(m[3]), int(m[4]))
        if br in found or not 0 < br[1] < br[2] <= len(pdf):
            continue
        gap = pdf[br[1] : br[2]]
        contents = _CONTENTS.fullmatch(b"/Contents " + gap)
        if contents is None:
            continue
        start = max(0, min(m.start(), br[1]) - 4096)
        window = pdf[start : min(len(pdf), max(m.end(), br[2]) + 4096)]
        sub = _SUBFILTER.search(window)
        hexed = re.sub(rb"\s", b"", contents[1])
        if len(hexed) % 2:
            hexed += b"0"
        found[br] = RawSignature(br, bytes.fromhex(hexed.decode()), "/" + sub[1].decode() if sub else None)
    return list(found.values())


@dataclass(frozen=True)
class Integrity:
    """``intact`` is None when it could not be decided (``reason`` says why)."""

    intact: bool | None
    reason: str | None = None
    digest_algorithm: str | None = None


def ranges_problem(pdf: bytes, byte_range: tuple[int, ...] | list[int]) -> str | None:
    """Why the ranges are not those of a PDF signature, or None when they are: two ranges
    from byte 0 that leave out exactly the /Contents hex string and end at an %%EOF."""
    if len(byte_range) != 4 or any(x < 0 for x in byte_range):
        return "the /ByteRange does not have four non-negative numbers"
    a, b, c, d = byte_range
    if a != 0:
        return "the /ByteRange does not start at the beginning of the file"
    if not b < c or c + d > len(pdf):
        return "the /ByteRange runs past the end of the file"
    gap = pdf[b:c]
    if not (gap.startswith(b"<") and gap.endswith(b">") and re.fullmatch(rb"[0-9A-Fa-f\s]*", gap[1:-1])):
        return "the bytes left out of the /ByteRange are not the /Contents hex string"
    if not pdf[: c + d].rstrip(b"\r\n\t \x00").endswith(b"%%EOF"):
        return "the /ByteRange does not end at the end of a revision (%%EOF)"
    return None


def check_integrity(
    pdf: bytes, byte_range: tuple[int, ...] | list[int], contents: bytes, subfilter: str | None
) -> Integrity:
    """Compare the digest of the ranges with what the CMS in ``contents`` commits to: the
    messageDigest signed attribute, the encapsulated SHA-1 of adbe.pkcs7.sha1, the encapsulated
    data itself, or a timestamp token's message imprint."""
    problem = ranges_problem(pdf, byte_range)
    if problem is not None:
        return Integrity(None, problem)
    a, b, c, d = byte_range
    data = pdf[a : a + b] + pdf[c : c + d]
    try:
        signed_data = cms.ContentInfo.load(contents.rstrip(b"\x00") or contents)["content"]
        signer_infos = list(signed_data["signer_infos"])
        eci = signed_data["encap_content_info"]
        econtent = eci["content"]
        if eci["content_type"].native == "tst_info":
            imprint = tsp.TSTInfo.load(bytes(econtent.contents))["message_imprint"]
            algo = imprint["hash_algorithm"]["algorithm"].native
            return Integrity(hashlib.new(algo, data).digest() == imprint["hashed_message"].native, None, algo)
        if not signer_infos:
            return Integrity(None, "the CMS has no SignerInfo")
        if econtent.native is not None:
            content = bytes(econtent.native) if not isinstance(econtent.native, bytes) else econtent.native
            if subfilter == "/adbe.pkcs7.sha1":
                return Integrity(content == hashlib.sha1(data).digest(), None, "sha1")  # checked, not trusted
            return Integrity(content == data, None, None)
        results = []
        for si in signer_infos:
            algo = si["digest_algorithm"]["algorithm"].native
            attrs = si["signed_attrs"]
            digests = (
                [a["values"][0].native for a in attrs if a["type"].native == "message_digest"] if attrs.native else []
            )
            if len(digests) != 1:
                return Integrity(None, "a SignerInfo has no messageDigest attribute")
            results.append((hashlib.new(algo, data).digest() == digests[0], algo))
    except Exception as e:  # the CMS is attacker-controlled: any parse failure leaves it undecided
        return Integrity(None, f"the CMS cannot be read: {' '.join(str(e).split()) or type(e).__name__}")
    return Integrity(all(ok for ok, _ in results), None, results[0][1])


def encapsulated_signature_valid(signed_data: cms.SignedData, signer_info: cms.SignerInfo, cert: Any) -> bool:
    """Whether the signature value of a CMS that carries its content verifies over that content."""
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity

    algo = signer_info["digest_algorithm"]["algorithm"].native
    eci = signed_data["encap_content_info"]
    content = eci["content"].native
    digest = hashlib.new(algo, bytes(content)).digest()
    _intact, valid = validate_sig_integrity(
        signer_info, cert, expected_content_type=eci["content_type"].native, actual_digest=digest
    )
    return bool(valid)
