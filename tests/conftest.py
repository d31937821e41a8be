"""Shared fixtures: the reference act, the seed text it was written from, and a foreign PKI."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

# Live servers the tests start themselves: a throwaway PostgreSQL cluster (pg_server, pg_url)
# and a SeaweedFS S3 server with Object Lock (s3_server, s3_bucket, s3_env).
pytest_plugins = ["tests.pgserver", "tests.s3server"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "determinazione-DO-129-2026.yaml"
# The public act the project was created from, as text extracted from its PDF.
SEED = ROOT / "tests" / "data" / "seed" / "000_79e5a06dcd4514e5.txt"
PKI_DIR = ROOT / "tests" / "pki"


def process_alive(pid: int) -> bool:
    """Running or sleeping; a killed process may linger as a zombie until some parent reaps it."""
    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in {"Z", "X"}:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture()
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@dataclass(frozen=True)
class ForeignPKI:
    """The certomancer PKI of tests/pki/certomancer.yml, with keys made for this test run."""

    arch: Any
    directory: Path

    @property
    def root_pem(self) -> Path:
        from certomancer.registry import CertLabel

        path = self.directory / "root.pem"
        if not path.exists():
            der = self.arch.get_cert(CertLabel("root")).dump()
            cert = x509.load_der_x509_certificate(der)
            path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    def pkcs12(self, label: str, passphrase: bytes) -> Path:
        from certomancer.registry import CertLabel

        path = self.directory / f"{label}.p12"
        path.write_bytes(self.arch.package_pkcs12(CertLabel(label), password=passphrase))
        return path


@pytest.fixture(scope="session")
def foreign_pki(tmp_path_factory: pytest.TempPathFactory) -> ForeignPKI:
    from certomancer.registry import ArchLabel, CertomancerConfig

    from .livepki import write_keys

    directory = tmp_path_factory.mktemp("foreign-pki")
    # EC keys: generated in milliseconds, so no private key needs to be committed.
    write_keys(directory)
    config = CertomancerConfig.from_file(str(PKI_DIR / "certomancer.yml"), key_search_dir=str(directory))
    return ForeignPKI(config.get_pki_arch(ArchLabel("atti-test")), directory)


@pytest.fixture(scope="session")
def foreign_p12(foreign_pki: ForeignPKI) -> tuple[Path, bytes, Path]:
    """A PKCS#12 for the example act's firmatario, from a CA atti did not make."""
    passphrase = b"segreto-di-prova"
    return foreign_pki.pkcs12("ventrice", passphrase), passphrase, foreign_pki.root_pem
