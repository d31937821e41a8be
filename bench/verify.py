# mypy: disable-error-code="no-untyped-call"
# (pyHanko's reader and validation calls have no type hints: this benchmark calls them directly.)
"""Benchmark: median time to verify one act, atti against pyHanko's plain validation, at B-B and B-LTA.

    python bench/verify.py [-n 20]

Each row verifies the same signed one-page PDF ``n`` times and prints the median:

* ``atti verify`` (process): ``atti verify FILE --trust ROOT`` as a subprocess, so the time
  includes starting Python and importing atti and pyHanko, as a script calling the CLI pays;
* ``verify_pdf`` (in process, warm): the library call the web uses, after one warm-up call;
  it does more than pyHanko's validation (every signature and document timestamp, the
  modification analysis with page counts, the format level, the qualified status);
* ``pyHanko validate_pdf_signature``: pyHanko's plain validation of the first signature, with
  the same trust root, no fetching, warm.

Signed with an RSA 3072 key of the tests' certomancer PKI; for B-LTA its TSA, OCSP responder and
CRL are served on 127.0.0.1 (tests/livepki.py) while signing only: verification is offline.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from atti.signing import ActSigner, verify_pdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from sign import make_pdf  # noqa: E402  # the same one-page PDF the signing benchmark uses


def median_ms(n: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def pyhanko_plain(pdf: bytes, root: x509.Certificate) -> None:
    sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    vc = ValidationContext(trust_roots=[translate_pyca_cryptography_cert_to_asn1(root)], allow_fetching=False)
    status = validate_pdf_signature(sig, vc)
    if not (status.intact and status.valid and status.trusted):
        raise SystemExit(f"pyHanko does not validate the signature: {status.summary()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="verifications per row (default 20)")
    n = parser.parse_args().n
    atti_cli = Path(sys.executable).with_name("atti")

    sys.path.insert(0, str(ROOT))
    from tests.livepki import LivePKI

    with tempfile.TemporaryDirectory() as tmp:
        pki = LivePKI(Path(tmp), rsa_keys={"giulia"})
        try:
            signer = ActSigner.from_pkcs12(pki.pkcs12("giulia"), None)
            root, root_pem = pki.root, pki.root_pem()
            signed = {
                "B-B": signer.sign(make_pdf(1)),
                "B-LTA": signer.sign(make_pdf(2), level="B-LTA", tsa_url=pki.tsa_url),
            }
        finally:
            pki.stop()
        rows = []
        for level, pdf in signed.items():
            path = Path(tmp) / f"{level}.pdf"
            path.write_bytes(pdf)
            report = verify_pdf(pdf, [root])  # the warm-up, and the check that it verifies
            if report.indication != "TOTAL_PASSED":
                raise SystemExit(f"{level}: verifies as {report.indication}: {report.message}")
            command = [str(atti_cli), "verify", str(path), "--trust", str(root_pem)]

            def cli(command: list[str] = command) -> None:
                subprocess.run(command, check=True, capture_output=True, cwd=tmp)

            rows.append((level, "atti verify (process)", median_ms(n, cli)))
            def in_process(pdf: bytes = pdf) -> None:
                verify_pdf(pdf, [root])

            def plain(pdf: bytes = pdf) -> None:
                pyhanko_plain(pdf, root)

            rows.append((level, "verify_pdf (in process)", median_ms(n, in_process)))
            plain()  # warm-up
            rows.append((level, "pyHanko validate_pdf_signature", median_ms(n, plain)))

    print(f"median of {n} verifications of one signed one-page act, RSA 3072, offline, same trust root\n")
    print(f"{'level':<6} {'how':<32} {'median ms':>10} {'vs pyHanko':>11}")
    for level, how, ms in rows:
        baseline = next(m for lv, h, m in rows if lv == level and h.startswith("pyHanko"))
        print(f"{level:<6} {how:<32} {ms:>10.1f} {ms / baseline:>10.1f}x")


if __name__ == "__main__":
    main()
