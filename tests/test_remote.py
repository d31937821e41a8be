"""Signing through a remote signing service, via the RemoteSigningService protocol.

``LocalKeyService`` is a test double of the *remote service* (the provider's HSM behind its API):
it keeps a private key in memory and signs the digests it is sent, as the provider would after
the OTP. Everything on atti's side (RemoteSigner, ActSigner, the PAdES signature) is the real code.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from atti.errors import SigningError
from atti.signing import DevCA, verify_pdf
from atti.signing.remote import RemoteSigner, RemoteSigningService, open_remote_signer
from atti.signing.signer import ActSigner

from .test_signing import foreign_p12, make_pdf

HASHES = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}


class LocalKeyService:
    """The remote service, played by a key in memory; ``calls`` counts the signatures asked for."""

    def __init__(self, key: Any, chain: list[x509.Certificate]) -> None:
        self.key = key
        self.chain = chain
        self.calls: list[tuple[bytes, str]] = []

    def certificate_chain(self) -> list[x509.Certificate]:
        return list(self.chain)

    def sign_digest(self, digest: bytes, digest_algorithm: str) -> bytes:
        self.calls.append((digest, digest_algorithm))
        prehashed = Prehashed(HASHES[digest_algorithm])
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(digest, PKCS1v15(), prehashed)
        signature: bytes = self.key.sign(digest, ec.ECDSA(prehashed))
        return signature


class UnreachableService(LocalKeyService):
    def sign_digest(self, digest: bytes, digest_algorithm: str) -> bytes:
        raise ConnectionRefusedError("connection refused by firma.example")


def _service_from_p12(path: Path) -> LocalKeyService:
    key, cert, others = pkcs12.load_key_and_certificates(path.read_bytes(), None)
    assert cert is not None
    return LocalKeyService(key, [cert, *others])


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> DevCA:
    return DevCA.create(tmp_path_factory.mktemp("ca"), ente="Comune di Esempio")


@pytest.fixture(scope="module")
def service(ca: DevCA) -> LocalKeyService:
    return _service_from_p12(ca.issue_signer("Mario Rossi", "Dirigente Area Tecnica"))


def test_protocol_is_structural(service: LocalKeyService) -> None:
    typed: RemoteSigningService = service  # no inheritance needed: mypy checks the shape
    assert RemoteSigner(typed).certificate == service.chain[0]


def test_remote_signature_verifies(ca: DevCA, service: LocalKeyService) -> None:
    signer = open_remote_signer(service)
    assert signer.signer_name == "Mario Rossi"
    before = len(service.calls)
    signed = signer.sign(make_pdf(), reason="Adozione della determinazione")
    # One call per signature: no dry run, which would cost the holder an OTP for nothing.
    assert len(service.calls) == before + 1
    assert service.calls[-1][1] == "sha256"
    report = verify_pdf(signed, [ca.root_cert])
    assert report.indication == "TOTAL_PASSED"
    assert report.signer == "Mario Rossi"


def test_from_signer_directly(ca: DevCA, service: LocalKeyService) -> None:
    remote = RemoteSigner(service)
    signer = ActSigner.from_signer(remote, remote.certificate, remote.chain, source="il servizio di firma remota")
    signed = signer.sign(signer.sign(make_pdf()), field_name="Firma2")
    report = verify_pdf(signed, [ca.root_cert])
    assert report.indication == "TOTAL_PASSED"
    assert len(report.signatures) == 2


def test_remote_ec_key(tmp_path: Path) -> None:
    service = _service_from_p12(foreign_p12(tmp_path / "luca.p12"))
    signed = open_remote_signer(service).sign(make_pdf())
    report = verify_pdf(signed, [service.chain[-1]])
    assert report.indication == "TOTAL_PASSED"
    assert report.signer == "Luca Neri"


def test_signature_by_another_key_is_refused(service: LocalKeyService, tmp_path: Path) -> None:
    impostor = LocalKeyService(rsa.generate_private_key(public_exponent=65537, key_size=2048), service.chain)
    src = tmp_path / "in.pdf"
    src.write_bytes(make_pdf())
    with pytest.raises(SigningError) as info:
        open_remote_signer(impostor).sign_file(src, tmp_path / "signed.pdf")
    assert str(info.value) == ("il servizio di firma remota ha restituito una firma che non corrisponde al suo "
                               "certificato")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.pdf"]


def test_unreachable_service(service: LocalKeyService) -> None:
    signer = open_remote_signer(UnreachableService(service.key, service.chain))
    with pytest.raises(SigningError) as info:
        signer.sign(make_pdf())
    assert str(info.value) == "servizio di firma remota: connection refused by firma.example"


def test_certificate_checks_run_before_any_signature(tmp_path: Path) -> None:
    service = _service_from_p12(foreign_p12(tmp_path / "cns.p12", non_repudiation=False))
    with pytest.raises(SigningError) as info:
        open_remote_signer(service, source="the remote service of Example TSP")
    assert str(info.value) == (
        "il certificato di Luca Neri (the remote service of Example TSP) non ha l'uso della chiave non ripudio "
         "(contentCommitment)"
    )
    assert service.calls == []


def test_empty_chain_and_unsupported_key() -> None:
    with pytest.raises(SigningError) as info:
        RemoteSigner(LocalKeyService(None, []))
    assert str(info.value) == "il servizio di firma remota non ha restituito alcun certificato"

    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ed")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, None)
    )
    with pytest.raises(SigningError) as info:
        RemoteSigner(LocalKeyService(key, [cert]))
    assert str(info.value) == "la firma remota supporta chiavi RSA ed EC, non Ed25519PublicKey"


# -- a reviewer's key named remote:MODULE:FACTORY ------------------------------------------------


def reviewer_service() -> LocalKeyService:
    """What a provider's adapter is to atti: a factory taking no arguments. This one plays the
    service of the PKCS#12 in $REMOTE_TEST_P12."""
    return _service_from_p12(Path(os.environ["REMOTE_TEST_P12"]))


def test_a_key_spec_names_a_remote_service_by_its_factory(ca: DevCA, monkeypatch: pytest.MonkeyPatch) -> None:
    from atti.config import Settings
    from atti.signing.keys import open_key_spec

    monkeypatch.setenv("REMOTE_TEST_P12", str(ca.issue_signer("Franco Pozzoli", "Verifica Legale")))
    with open_key_spec("remote:tests.test_remote:reviewer_service", Settings()) as signer:
        assert (signer.signer_name, signer.source) == (
            "Franco Pozzoli", "il servizio di firma remota tests.test_remote:reviewer_service")
        signed = signer.sign(make_pdf(), field_name="Verifica1")
    report = verify_pdf(signed, [ca.root_cert])
    assert (report.indication, report.signer) == ("TOTAL_PASSED", "Franco Pozzoli")

    def refused(spec: str) -> str:
        with pytest.raises(SigningError) as info:
            open_key_spec(spec, Settings())
        return str(info.value)

    assert refused("remote:tests.nessuno:servizio") == (
        "chiave 'remote:tests.nessuno:servizio': impossibile importare tests.nessuno: No module named 'tests.nessuno'")
    assert refused("remote:tests.test_remote:nessuno") == (
        "chiave 'remote:tests.test_remote:nessuno': tests.test_remote non ha alcun callable nessuno")
    assert refused("remote:tests.test_remote") == (
        "chiave 'remote:tests.test_remote': una chiave remota si scrive remote:MODULE:FACTORY, ad esempio "
         "remote:ente.firma:servizio")
