# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF writer and SimpleSigner have no type hints: this benchmark calls them directly.)
"""Benchmark: signing N small PDFs with one ActSigner vs naive pyHanko usage, at B-B and B-LTA.

    python bench/sign.py [-n 50]

"naive" is what the pyHanko quick-start suggests, per document: load the PKCS#12, then
``signers.sign_pdf`` with default options (so a dry-run signature sizes the placeholder, and the
key is re-parsed for each raw signature); for B-LTA also a new timestamper and validation
context per document. "ActSigner" loads the key once, keeps it parsed, passes ``bytes_reserved``
and reuses one timestamper. Everything signs with the same RSA 3072 key, whose certificate names
an OCSP responder and a CRL; the TSA, the OCSP responder and the CRL are certomancer's, served
on 127.0.0.1 (tests/livepki.py), so B-LTA pays real HTTP round trips, not Internet latency.
The last output of each row is verified (B-LTA offline with hard-fail revocation checking), so
the comparison is between working signatures.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.pdf_utils import generic, writer
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko_certvalidator import ValidationContext

from atti.signing import ActSigner, verify_pdf
from atti.signing.verify import RevocationMode

ROOT = Path(__file__).resolve().parent.parent


def make_pdf(i: int) -> bytes:
    w = writer.PdfFileWriter()
    font = w.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/Type1"),
                pdf_name("/BaseFont"): pdf_name("/Helvetica"),
            }
        )
    )
    fonts = generic.DictionaryObject({pdf_name("/F1"): font})
    resources = generic.DictionaryObject({pdf_name("/Font"): fonts})
    text = f"BT /F1 14 Tf 72 760 Td (Determinazione n. {i}/2026) Tj ET".encode()
    w.insert_page(
        writer.PageObject(
            contents=w.add_object(generic.StreamObject(stream_data=text)),
            media_box=[0, 0, 595, 842],
            resources=resources,
        )
    )
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def run(docs: list[bytes], sign: Callable[[bytes], bytes]) -> tuple[list[float], bytes]:
    times, last = [], b""
    for pdf in docs:
        start = time.perf_counter()
        last = sign(pdf)
        times.append(time.perf_counter() - start)
    return times, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="documents to sign per row (default 50)")
    n = parser.parse_args().n
    docs = [make_pdf(i) for i in range(n)]

    # The live PKI is test scaffolding: it lives with the tests, not in the package.
    sys.path.insert(0, str(ROOT))
    from tests.livepki import LivePKI

    with tempfile.TemporaryDirectory() as tmp:
        pki = LivePKI(Path(tmp), rsa_keys={"giulia"})
        try:
            p12, tsa_url, root = pki.pkcs12("giulia"), pki.tsa_url, pki.root

            def naive(pdf: bytes, lta: bool = False) -> bytes:
                signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=None)
                meta = signers.PdfSignatureMetadata(field_name="Firma", subfilter=fields.SigSeedSubFilter.PADES)
                timestamper = None
                if lta:
                    vc = ValidationContext(
                        trust_roots=[translate_pyca_cryptography_cert_to_asn1(root)],
                        allow_fetching=True,
                        revocation_mode="hard-fail",
                    )
                    meta = signers.PdfSignatureMetadata(
                        field_name="Firma",
                        subfilter=fields.SigSeedSubFilter.PADES,
                        embed_validation_info=True,
                        use_pades_lta=True,
                        validation_context=vc,
                    )
                    timestamper = timestamps.HTTPTimeStamper(tsa_url)
                w = IncrementalPdfFileWriter(io.BytesIO(pdf))
                out: io.BytesIO = signers.sign_pdf(w, meta, signer=signer, timestamper=timestamper)
                return out.getvalue()

            # Loading is part of the cost for ActSigner too, paid once: counted in its first row.
            load_start = time.perf_counter()
            act_signer = ActSigner.from_pkcs12(p12, None)
            load_time = time.perf_counter() - load_start

            rows = {
                ("naive pyHanko", "B-B"): run(docs, naive),
                ("ActSigner", "B-B"): run(docs, act_signer.sign),
                ("naive pyHanko", "B-LTA"): run(docs, lambda pdf: naive(pdf, lta=True)),
                ("ActSigner", "B-LTA"): run(docs, lambda pdf: act_signer.sign(pdf, level="B-LTA", tsa_url=tsa_url)),
            }
            remote, requests = remote_rows(pki, docs, tsa_url)
            rows |= remote
            for (label, level), (_times, last) in rows.items():
                mode: RevocationMode = "hard-fail" if level == "B-LTA" else "soft-fail"
                indication = verify_pdf(last, [root], revocation_mode=mode).indication
                if indication != "TOTAL_PASSED":
                    raise SystemExit(f"{label} {level}: the last signed PDF verifies as {indication}")
        finally:
            pki.stop()

    print(f"{n} one-page PDFs per row, RSA 3072 key, TSA/OCSP/CRL on 127.0.0.1;")
    print("the first ActSigner row includes loading the PKCS#12 once.\n")
    print(f"{'method':<14} {'level':<6} {'total s':>8} {'sig/s':>8} {'median ms':>10} {'vs naive':>9}")
    for (label, level), (times, _last) in rows.items():
        if label.startswith("CSC"):
            continue
        total = sum(times) + (load_time if (label, level) == ("ActSigner", "B-B") else 0.0)
        naive_total = sum(rows[("naive pyHanko", level)][0])
        median_ms = statistics.median(times) * 1000
        print(f"{label:<14} {level:<6} {total:>8.2f} {n / total:>8.1f} {median_ms:>10.1f} {naive_total / total:>8.1f}x")
    print(f"\nRemote signing over the CSC API (tests/cscserver.py on 127.0.0.1, same RSA 3072 key), {n} acts;")
    print("the token, credentials/info and the certificate checks are paid once, before the rows; the last row")
    print("signs the acts together (ActSigner.sign_many): its median is the mean.\n")
    print(f"{'method':<22} {'level':<6} {'total s':>8} {'acts/s':>8} {'median ms':>10} {'OTPs':>5} {'HTTP':>5}")
    for (label, level), (times, _last) in rows.items():
        if not label.startswith("CSC"):
            continue
        total = sum(times)
        otps, calls = requests[(label, level)]
        median_ms = statistics.median(times) * 1000
        print(f"{label:<22} {level:<6} {total:>8.2f} {n / total:>8.1f} {median_ms:>10.1f} {otps:>5} {calls:>5}")


def remote_rows(
    pki: Any, docs: list[bytes], tsa_url: str
) -> tuple[dict[tuple[str, str], tuple[list[float], bytes]], dict[tuple[str, str], tuple[int, int]]]:
    """Sign ``docs`` through the CSC test server: a new authorisation (an OTP) per act, as an
    officer signing one act at a time does, versus one authorisation for the whole batch."""
    from cryptography.hazmat.primitives import serialization
    from tests.cscserver import CLIENT_SECRET, CSCTestServer, ServerCredential

    from atti.config import CSCProvider, Settings
    from atti.signing.csc import open_csc_signer

    key = serialization.load_pem_private_key((pki.directory / "keys" / "giulia.key.pem").read_bytes(), None)
    server = CSCTestServer([ServerCredential("giulia", key, [pki.cert("giulia"), pki.root])])
    server.start()
    rows: dict[tuple[str, str], tuple[list[float], bytes]] = {}
    requests: dict[tuple[str, str], tuple[int, int]] = {}
    try:
        settings = Settings(csc={"bench": CSCProvider(**server.provider())})

        def otp(_what: str) -> bytes:
            return server.new_otp("giulia").encode()

        for level in ("B-B", "B-LTA"):
            for label, per_batch in (("CSC one OTP per act", False), ("CSC one OTP per batch", True)):
                secret = {"ATTI_CSC_CLIENT_SECRET": CLIENT_SECRET}
                signer = open_csc_signer(settings, "bench:giulia", otp, environ=secret)
                server.calls.clear()
                if per_batch:
                    signer.begin_batch(len(docs))

                def sign(pdf: bytes, signer: Any = signer, per_batch: bool = per_batch, level: str = level) -> bytes:
                    if not per_batch:
                        signer.begin_batch(1)
                    signed: bytes = signer.sign(pdf, level=level, tsa_url=tsa_url)
                    return signed

                rows[(label, level)] = run(docs, sign)
                requests[(label, level)] = (signer.authorisations or 0, sum(server.calls.values()))
            # Every act's hash in one signHash call (and one OTP): the acts are signed together.
            label = "CSC one signHash call"
            signer = open_csc_signer(settings, "bench:giulia", otp, environ=secret)
            server.calls.clear()
            start = time.perf_counter()
            signed = signer.sign_many(docs, level=level, tsa_url=tsa_url)
            total = time.perf_counter() - start
            rows[(label, level)] = ([total / len(docs)] * len(docs), signed[-1])
            requests[(label, level)] = (signer.authorisations or 0, sum(server.calls.values()))
    finally:
        server.stop()
    return rows, requests


if __name__ == "__main__":
    main()
