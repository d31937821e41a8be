"""The byte-range check, independent of the PDF object parser, and what reports say about
signatures the parser could not take up (tests/data/foreign/structure and cms)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from atti.signing import load_trust_roots, verify_pdf
from atti.signing.byterange import check_integrity, ranges_problem, scan
from atti.signing.html_report import render_html

FOREIGN = Path(__file__).parent / "data" / "foreign"
MOMENT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def _verify(group: str, name: str):  # type: ignore[no-untyped-def]
    return verify_pdf(
        (FOREIGN / group / name).read_bytes(), load_trust_roots([FOREIGN / group / "trust"]), moment=MOMENT
    )


def test_scan_finds_each_signature_dictionary_once_and_timestamps_by_subfilter() -> None:
    two = scan((FOREIGN / "structure" / "two-fields-one-signature.pdf").read_bytes())
    assert [(s.subfilter, s.is_timestamp) for s in two] == [("/ETSI.CAdES.detached", False)]
    stamped = scan((FOREIGN / "structure" / "timestamp-no-type.pdf").read_bytes())
    assert [(s.subfilter, s.is_timestamp) for s in stamped] == [
        ("/ETSI.CAdES.detached", False),
        ("/ETSI.RFC3161", True),
    ]


def test_intact_from_the_raw_bytes_whatever_the_parser_thinks() -> None:
    pdf = (FOREIGN / "structure" / "wrong-offsets-signature.pdf").read_bytes()
    (raw,) = scan(pdf)
    assert check_integrity(pdf, raw.byte_range, raw.contents, raw.subfilter).intact is True
    flipped = (FOREIGN / "cms" / "flipped-byte.pdf").read_bytes()
    (raw,) = scan(flipped)
    assert check_integrity(flipped, raw.byte_range, raw.contents, raw.subfilter).intact is False


def test_sha1_encapsulated_digest_is_compared_with_the_ranges() -> None:
    pdf = (FOREIGN / "cms" / "pkcs7-sha1.pdf").read_bytes()
    (raw,) = scan(pdf)
    assert check_integrity(pdf, raw.byte_range, raw.contents, raw.subfilter).digest_algorithm == "sha1"
    assert check_integrity(pdf, raw.byte_range, raw.contents, raw.subfilter).intact is True
    at = pdf.index(b"Determinazione")
    changed = pdf[:at] + b"d" + pdf[at + 1 :]
    assert check_integrity(changed, raw.byte_range, raw.contents, raw.subfilter).intact is False


def test_insane_ranges_are_undecided_with_the_reason() -> None:
    pdf = (FOREIGN / "structure" / "table.pdf").read_bytes()
    (raw,) = scan(pdf)
    a, b, c, d = raw.byte_range
    assert ranges_problem(pdf, raw.byte_range) is None
    assert ranges_problem(pdf, (1, b, c, d - 1)) == "the /ByteRange does not start at the beginning of the file"
    assert (
        ranges_problem(pdf, (a, b - 1, c, d)) == "the bytes left out of the /ByteRange are not the /Contents hex string"
    )
    assert ranges_problem(pdf, (a, b, c, d - 10)) == "the /ByteRange does not end at the end of a revision (%%EOF)"
    assert ranges_problem(pdf, (a, b, c, d + 1)) == "the /ByteRange runs past the end of the file"
    undecided = check_integrity(pdf, (a, b, c, d - 10), raw.contents, raw.subfilter)
    assert (undecided.intact, undecided.reason) == (
        None,
        "the /ByteRange does not end at the end of a revision (%%EOF)",
    )


def test_formats_named_as_dss_names_them() -> None:
    got = {
        name: [s.format for s in _verify(group, name).signatures]
        for group, name in [
            ("cms", "pkcs7-detached.pdf"),
            ("cms", "pkcs7-sha1.pdf"),
            ("structure", "table.pdf"),
            ("structure", "timestamp-type-sig.pdf"),
            ("cms", "damaged-cms.pdf"),
        ]
    }
    assert got == {
        "pkcs7-detached.pdf": ["PKCS7-B"],
        "pkcs7-sha1.pdf": ["PKCS7-B"],
        "table.pdf": ["PAdES-BASELINE-B"],
        "timestamp-type-sig.pdf": ["PAdES-BASELINE-T"],
        "damaged-cms.pdf": [None],
    }


def test_a_damaged_signature_claims_nothing_it_could_not_read() -> None:
    report = _verify("cms", "damaged-cms.pdf")
    text = report.to_text("damaged-cms.pdf")
    assert text.splitlines()[2:] == [
        "  Firma1: TOTAL_FAILED/FORMAT_FAILURE",
        "    il CMS della firma non è leggibile: Error parsing asn1crypto.cms.ContentInfo - class should have "
        "been universal, but private was found",
        "    byte firmati: non è stato possibile controllarli",
    ]
    (sig,) = json.loads(json.dumps(report.to_dict()))["signatures"]
    assert {k: sig[k] for k in ("signer", "signer_subject", "issuer", "format", "covers", "intact")} == dict.fromkeys(
        ("signer", "signer_subject", "issuer", "format", "covers", "intact")
    )
    html = render_html(report, file="damaged-cms.pdf")  # the reviewer's page says so, in Italian
    assert "None" not in html and html.count("non leggibile") == 5  # signer, subject, issuer, format, coverage


def test_an_unreadable_object_structure_is_indeterminate_never_altered() -> None:
    """A signature found only in the raw bytes with something after it: what changed after it
    cannot be told, so INDETERMINATE, and its untouched bytes are never called altered."""
    pdf = (FOREIGN / "structure" / "wrong-offsets-signature.pdf").read_bytes()
    report = verify_pdf(pdf + b"% a later revision no reader can follow\n%%EOF\n",
                        load_trust_roots([FOREIGN / "structure" / "trust"]), moment=MOMENT)
    (sig,) = report.signatures
    assert (sig.indication, sig.sub_indication, sig.intact, sig.signer) == (
        "INDETERMINATE",
        "FORMAT_FAILURE",
        True,
        None,
    )
    assert sig.message.startswith("la struttura degli oggetti del PDF non è leggibile (")


def test_an_unreadable_structure_under_a_signature_of_the_whole_file_is_validated_from_its_cms() -> None:
    """Nothing came after the signature, so what any reader shows is what was signed: the CMS
    and the signed bytes decide, as in a validator that repairs the structure (DSS)."""
    report = _verify("structure", "wrong-offsets-signature.pdf")
    (sig,) = report.signatures
    assert (sig.indication, sig.intact, sig.signer, sig.format, sig.covers) == (
        "TOTAL_PASSED", True, "Mario Rossi (structure)", "PAdES-BASELINE-B", "entire file"
    )
    assert report.notes[0].startswith("la struttura degli oggetti del PDF non è leggibile (")
    untrusted = verify_pdf((FOREIGN / "structure" / "wrong-offsets-signature.pdf").read_bytes(), [], moment=MOMENT)
    assert (untrusted.indication, untrusted.sub_indication) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")



def test_hybrid_files_are_read_leniently_and_say_so() -> None:
    report = _verify("structure", "hybrid.pdf")
    assert report.indication == "TOTAL_PASSED"
    assert report.notes == ("il PDF è stato letto in modo tollerante: ha riferimenti incrociati ibridi (/XRefStm)",)
