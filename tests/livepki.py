"""The certomancer PKI of tests/pki/certomancer.yml, with its TSA, OCSP responder and CRL served
live on 127.0.0.1 by certomancer's Animator (a WSGI app) in a thread.

Used by tests/test_levels.py and bench/sign.py. The keys are EC, generated at start into a
directory of the caller's, so no private key is ever committed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

import yaml
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from werkzeug.serving import BaseWSGIServer, make_server

CONFIG = Path(__file__).resolve().parent / "pki" / "certomancer.yml"
ARCH = "atti-test"


def write_keys(directory: Path, rsa_keys: Collection[str] = ()) -> None:
    """One fresh key per key of the configuration's keyset, where the configuration looks: EC
    (made in milliseconds), or RSA 3072 for the labels in ``rsa_keys`` (as Italian signature
    devices mostly use, for a benchmark that should cost what production costs)."""
    keyset = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["keysets"][ARCH]
    (directory / keyset["path-prefix"]).mkdir(parents=True, exist_ok=True)
    for label, spec in keyset["keys"].items():
        key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
            rsa.generate_private_key(public_exponent=65537, key_size=3072)
            if label in rsa_keys
            else ec.generate_private_key(ec.SECP256R1())
        )
        (directory / keyset["path-prefix"] / spec["path"]).write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


class _Deferred:
    """The server must exist (and have its port) before the configuration that names its URL."""

    app: Callable[..., Iterable[bytes]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.app is not None
        return self.app(environ, start_response)


class LivePKI:
    def __init__(self, directory: Path, *, rsa_keys: Collection[str] = ()) -> None:
        write_keys(directory, rsa_keys)
        self.directory = directory
        # Werkzeug logs every request on stderr: noise in a benchmark's output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        deferred = _Deferred()
        # Port 0: the OS picks a free port, so parallel runs never collide.
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, deferred, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        config = CertomancerConfig.from_file(
            str(CONFIG), key_search_dir=str(directory), external_url_prefix=self.url
        )
        self.arch = config.get_pki_arch(ArchLabel(ARCH))
        deferred.app = Animator(AnimatorArchStore({self.arch.arch_label: self.arch}), with_web_ui=False)
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-pki", daemon=True)
        self._thread.start()

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    def cert(self, label: str) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.arch.get_cert(CertLabel(label)).dump())

    @property
    def root(self) -> x509.Certificate:
        return self.cert("root")

    def root_pem(self) -> Path:
        path = self.directory / "root.pem"
        path.write_bytes(self.root.public_bytes(serialization.Encoding.PEM))
        return path

    def pkcs12(self, label: str, passphrase: bytes | None = None) -> Path:
        path = self.directory / f"{label}.p12"
        path.write_bytes(self.arch.package_pkcs12(CertLabel(label), password=passphrase))
        return path

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
