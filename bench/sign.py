"""Benchmark: signing N small PDFs with one ActSigner vs naive pyHanko usage.

    python bench/sign.py [-n 50]

"naive" is what the pyHanko quick-start suggests, per document: load the PKCS#12, then
``signers.sign_pdf`` with default options (so a dry-run signature sizes the placeholder, and the
key is re-parsed for each raw signature). "ActSigner" loads the key once, keeps it parsed and
passes ``bytes_reserved``. Both sign the same documents with the same RSA 3072 development key;
one output of each is verified, so the comparison is between working signatures.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyhanko.pdf_utils import generic, writer
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from atti.signing import ActSigner, DevCA, verify_pdf


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
    parser.add_argument("-n", type=int, default=50, help="documents to sign (default 50)")
    n = parser.parse_args().n
    docs = [make_pdf(i) for i in range(n)]

    with tempfile.TemporaryDirectory() as tmp:
        ca = DevCA.create(Path(tmp))
        p12 = ca.issue_signer("Mario Rossi", "Dirigente")

        def naive(pdf: bytes) -> bytes:
            signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=None)
            meta = signers.PdfSignatureMetadata(field_name="Firma")
            out: io.BytesIO = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer)
            return out.getvalue()

        # Loading is part of the cost for ActSigner too, paid once: count it in the total.
        load_start = time.perf_counter()
        act_signer = ActSigner.from_pkcs12(p12, None)
        load_time = time.perf_counter() - load_start

        results = {
            "naive pyHanko": run(docs, naive),
            "ActSigner": run(docs, act_signer.sign),
        }
        for label, (_times, last) in results.items():
            indication = verify_pdf(last, [ca.root_cert]).indication
            if indication != "TOTAL_PASSED":
                raise SystemExit(f"{label}: the last signed PDF verifies as {indication}")

    naive_total = sum(results["naive pyHanko"][0])
    print(f"{n} one-page PDFs, RSA 3072 key; ActSigner total includes loading the PKCS#12 once.\n")
    print(f"{'method':<15} {'total s':>8} {'sig/s':>8} {'median ms':>10} {'speed-up':>9}")
    for label, (times, _last) in results.items():
        total = sum(times) + (load_time if label == "ActSigner" else 0.0)
        median_ms = statistics.median(times) * 1000
        print(f"{label:<15} {total:>8.2f} {n / total:>8.1f} {median_ms:>10.1f} {naive_total / total:>8.1f}x")


if __name__ == "__main__":
    main()
