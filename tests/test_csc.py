"""Remote signing over the CSC API (atti.signing.csc) against the CSC test server (tests/cscserver.py).

The server holds keys of the tests' live PKI (tests/livepki.py: certomancer's root, with its TSA,
OCSP responder and CRL on 127.0.0.1) and plays a provider's service per the specification:
OAuth2 client credentials, credentials/list and /info, credentials/authorize with a one-time OTP,
extendTransaction, signHash, SAD expiry and the specification's JSON errors. Every signed PDF is
verified (TOTAL_PASSED) and checked by pdfsig as well.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from atti.archive import Archive
from atti.config import CSCProvider, Settings, load_settings
from atti.errors import ConfigError, ServiceError, SigningError
from atti.signing import verify_pdf
from atti.signing.asked import kind_of
from atti.signing.csc import CSCAuthorisationError, open_csc_signer
from atti.signing.qualified import certificate_claims

from .conftest import EXAMPLE, Atti
from .cscserver import CLIENT_SECRET, CSCTestServer, ServerCredential, running
from .livepki import LivePKI
from .test_signing import make_pdf

COMPLIANCE, SSCD, QCTYPE, ESIGN = "0.4.0.1862.1.1", "0.4.0.1862.1.4", "0.4.0.1862.1.6", "0.4.0.1862.1.6.1"


def _seq(*parts: bytes) -> bytes:
    body = b"".join(parts)
    assert len(body) < 128
    return bytes([0x30, len(body)]) + body


def _oid(dotted: str) -> bytes:
    from asn1crypto import core

    return bytes(core.ObjectIdentifier(dotted).dump())


def qc_statements() -> x509.UnrecognizedExtension:
    """QcCompliance, QcSSCD and QcType esign (ETSI EN 319 412-5), as a qualified certificate has."""
    items = [_seq(_oid(COMPLIANCE)), _seq(_oid(SSCD)), _seq(_oid(QCTYPE), _seq(_oid(ESIGN)))]
    return x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3"), _seq(*items))


def _key(live: LivePKI, label: str) -> Any:
    return serialization.load_pem_private_key((live.directory / "keys" / f"{label}.key.pem").read_bytes(), None)


def qualified_certificate(live: LivePKI, name: str) -> tuple[Any, x509.Certificate]:
    """A qualified certificate of ``name`` issued by the live PKI's root: QC statements, and the
    root's CRL (so that B-LT and B-LTA find its revocation status)."""
    root, root_key = live.root, _key(live, "root")
    crl = live.cert("giulia").extensions.get_extension_for_class(x509.CRLDistributionPoints)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(x509.NameOID.COUNTRY_NAME, "IT"),
            x509.NameAttribute(x509.NameOID.COMMON_NAME, name),
        ]))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(crl.value, critical=False)
        .add_extension(qc_statements(), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePKI]:
    pki = LivePKI(tmp_path_factory.mktemp("csc-pki"))
    yield pki
    pki.stop()


@pytest.fixture(scope="module")
def server(live: LivePKI) -> Iterator[CSCTestServer]:
    def credential(cid: str, label: str, **more: Any) -> ServerCredential:
        return ServerCredential(cid, _key(live, label.removesuffix("-lt")), [live.cert(label), live.root], **more)

    qc_key, qc_cert = qualified_certificate(live, "Fabrizio Ventrice")
    valente_key, valente_cert = qualified_certificate(live, "Roberto Valente")  # a reviewer of the example act
    yield from running(CSCTestServer([
        credential("ventrice", "ventrice-lt"),
        ServerCredential("ventrice-qc", qc_key, [qc_cert, live.root]),
        ServerCredential("valente", valente_key, [valente_cert, live.root]),
        credential("ventrice-scal2", "ventrice-lt", scal=2),
        credential("ventrice-pin", "ventrice-lt", pin="4321"),
        credential("ventrice-two", "ventrice-lt", multisign=2),
        credential("ventrice-sms", "ventrice-lt", online=True),
        credential("ventrice-bare", "ventrice-lt", bare=True),
        credential("ventrice-app", "ventrice-lt", approval=2),
        credential("giulia", "giulia"),
        credential("revocata", "revocata", status="revoked"),
        credential("scaduto", "scaduto", status="expired"),
    ]))


@pytest.fixture()
def fresh(server: CSCTestServer) -> Iterator[CSCTestServer]:
    """The server as the module made it, its counters at zero, and left so."""
    server.calls.clear()
    server.sad_lifetime, server.delay, server.echo = 3600.0, 0.0, False
    yield server
    server.sad_lifetime, server.delay, server.echo = 3600.0, 0.0, False


def settings_for(server: CSCTestServer, version: str = "v1", **more: Any) -> Settings:
    return Settings(csc={"prova": CSCProvider(**server.provider(version, **more))})


def environ(server: CSCTestServer, credential: str | None, **more: str) -> dict[str, str]:
    env = {"ATTI_CSC_CLIENT_SECRET": CLIENT_SECRET}
    if credential is not None:
        env["ATTI_CSC_OTP"] = server.new_otp(credential)
    return env | more


def pdfsig_valid(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "pdfsig.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, check=False).stdout
    assert "Signature Validation: Signature is Valid." in out, out


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- single signatures at every level, CSC 1.0.4 and 2.0 ------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_a_remote_signature_verifies(
    live: LivePKI, fresh: CSCTestServer, version: str, level: str, tmp_path: Path
) -> None:
    signer = open_csc_signer(settings_for(fresh, version), "prova:ventrice", environ=environ(fresh, "ventrice"))
    assert signer.signer_name == "Fabrizio Ventrice"
    assert signer.source == "la credenziale ventrice del servizio CSC prova"
    signed = signer.sign(make_pdf(), level=level, tsa_url=live.tsa_url)
    # B-B and B-T carry no revocation data: verified offline, they cannot be hard-fail.
    report = verify_pdf(signed, [live.root], revocation_mode="hard-fail" if "L" in level else "soft-fail")
    assert (report.indication, report.signer) == ("TOTAL_PASSED", "Fabrizio Ventrice")
    pdfsig_valid(signed, tmp_path)
    assert fresh.calls["oauth2/token"] == 1
    assert fresh.calls["credentials/authorize"] == 1 and fresh.calls["signatures/signHash"] == 1
    assert signer.authorisations == 1


def test_the_only_credential_is_found_by_credentials_list(fresh: CSCTestServer) -> None:
    with pytest.raises(SigningError) as info:
        open_csc_signer(settings_for(fresh), "prova", environ=environ(fresh, None))
    assert str(info.value) == (
        f"il servizio CSC prova ({fresh.url}) ha 12 credenziali (ventrice, ventrice-qc, valente, ventrice-scal2, "
         f"ventrice-pin, ventrice-two, ventrice-sms, ventrice-bare, ventrice-app, giulia, revocata, scaduto): "
         f"indicane una, con --remote prova:ID oppure credential_id in [csc.prova]"
    )
    # credential_id in the settings names it.
    signer = open_csc_signer(settings_for(fresh, credential_id="giulia"), "prova", environ=environ(fresh, None))
    assert signer.signer_name == "Giulia Neri"


def test_a_token_given_by_the_provider(fresh: CSCTestServer) -> None:
    settings = Settings(csc={"prova": CSCProvider(base_url=fresh.url)})  # no client_id: the provider's token
    env = {"ATTI_CSC_TOKEN": fresh.issue_token(), "ATTI_CSC_OTP": fresh.new_otp("ventrice")}
    signer = open_csc_signer(settings, "prova:ventrice", environ=env)
    assert verify_pdf(signer.sign(make_pdf()), [signer.chain[-1]]).indication == "TOTAL_PASSED"
    assert fresh.calls["oauth2/token"] == 0
    with pytest.raises(CSCAuthorisationError) as info:
        open_csc_signer(settings, "prova:ventrice", environ={})
    assert str(info.value) == (
        f"il servizio CSC prova ({fresh.url}): manca il token di accesso: imposta client_id in [csc.prova] (il suo "
         f"secret in $ATTI_CSC_CLIENT_SECRET) oppure indica il token del prestatore in $ATTI_CSC_TOKEN"
    )


def test_a_pin_and_an_otp_as_each_version_sends_them(fresh: CSCTestServer) -> None:
    for version in ("v1", "v2"):
        env = environ(fresh, "ventrice-pin", ATTI_CSC_PIN="4321")
        signer = open_csc_signer(settings_for(fresh, version), "prova:ventrice-pin", environ=env)
        assert verify_pdf(signer.sign(make_pdf()), [signer.chain[-1]]).indication == "TOTAL_PASSED"
        wrong = environ(fresh, "ventrice-pin", ATTI_CSC_PIN="0000")
        with pytest.raises(CSCAuthorisationError) as info:
            open_csc_signer(settings_for(fresh, version), "prova:ventrice-pin", environ=wrong).sign(make_pdf())
        said = "invalid_pin: The PIN is invalid" if version == "v1" else (
            "invalid_authentication_data: The authentication data is invalid")
        assert str(info.value) == (
            f"il servizio CSC prova ({fresh.url}) ha rifiutato l'OTP o il PIN ({said}): non è stato firmato nulla; "
             f"riprova con un nuovo OTP"
        )


# -- many signatures, one OTP -----------------------------------------------------------------


@pytest.mark.parametrize("credential", ["ventrice", "ventrice-scal2"])
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_batch_takes_one_otp(
    live: LivePKI, fresh: CSCTestServer, credential: str, version: str, tmp_path: Path
) -> None:
    signer = open_csc_signer(settings_for(fresh, version), f"prova:{credential}", environ=environ(fresh, credential))
    signer.begin_batch(4)
    signer.authorise_ahead()  # SCAL 1: the OTP now; SCAL 2: at the first hash
    assert fresh.calls["credentials/authorize"] == (0 if credential.endswith("scal2") else 1)
    pdfs = [signer.sign(make_pdf(f"Determinazione n. {i}/2026")) for i in range(4)]
    for pdf in pdfs:
        assert verify_pdf(pdf, [live.root]).indication == "TOTAL_PASSED"
    pdfsig_valid(pdfs[-1], tmp_path)
    # One OTP, then a new SAD per further signHash call (SCAL 2: bound to that call's hash).
    assert fresh.calls["credentials/authorize"] == 1
    assert fresh.calls["credentials/extendTransaction"] == 3
    assert fresh.calls["signatures/signHash"] == 4
    assert signer.authorisations == 1


def test_a_batch_beyond_multisign_asks_for_another_otp(fresh: CSCTestServer) -> None:
    env = environ(fresh, "ventrice-two")
    signer = open_csc_signer(settings_for(fresh), "prova:ventrice-two", environ=env)
    signer.begin_batch(3)
    signer.sign(make_pdf())
    signer.sign(make_pdf())
    with pytest.raises(CSCAuthorisationError) as info:  # the variable's OTP was spent: no prompt here
        signer.sign(make_pdf())
    assert str(info.value) == (
        f"il servizio CSC prova ({fresh.url}): la credenziale ventrice-two richiede un OTP, e $ATTI_CSC_OTP è già "
         f"stata usata"
    )
    asked: list[str] = []

    def prompt(what: str) -> bytes:
        asked.append(what)
        return fresh.new_otp("ventrice-two").encode()

    prompted = open_csc_signer(settings_for(fresh), "prova:ventrice-two", prompt, environ=environ(fresh, None))
    prompted.begin_batch(3)
    for _ in range(3):
        prompted.sign(make_pdf())
    assert prompted.authorisations == 2
    assert asked == ["OTP per la credenziale ventrice-two del servizio CSC prova (oppure imposta $ATTI_CSC_OTP)"] * 2
    assert {kind_of(a) for a in asked} == {("service", False)}  # the command line tells it by kind, not words


# -- errors: one line each, nothing written ----------------------------------------------------------


def refused(signer_of: Any, tmp_path: Path) -> SigningError:
    src, dst = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(make_pdf())
    with pytest.raises(SigningError) as info:
        signer_of().sign_file(src, dst)
    assert not dst.exists()
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_wrong_otp(fresh: CSCTestServer, version: str, tmp_path: Path) -> None:
    env = environ(fresh, None, ATTI_CSC_OTP="999999")
    error = refused(lambda: open_csc_signer(settings_for(fresh, version), "prova:ventrice", environ=env), tmp_path)
    said = "invalid_otp: The OTP is invalid" if version == "v1" else (
        "invalid_authentication_data: The authentication data is invalid")
    what = "l'OTP" if version == "v1" else "l'OTP o il PIN"
    assert str(error) == (
        f"il servizio CSC prova ({fresh.url}) ha rifiutato {what} ({said}): non è stato firmato nulla;"
        " riprova con un nuovo OTP"
    )
    assert isinstance(error, CSCAuthorisationError)
    assert fresh.calls["signatures/signHash"] == 0


def test_an_otp_is_one_time(fresh: CSCTestServer, tmp_path: Path) -> None:
    env = environ(fresh, "ventrice")
    open_csc_signer(settings_for(fresh), "prova:ventrice", environ=env).sign(make_pdf())
    error = refused(lambda: open_csc_signer(settings_for(fresh), "prova:ventrice", environ=env), tmp_path)
    assert "ha rifiutato l'OTP (invalid_otp: The OTP is invalid)" in str(error)


def test_an_expired_sad(fresh: CSCTestServer, tmp_path: Path) -> None:
    fresh.sad_lifetime = 0  # the service lets each SAD expire at once
    env = environ(fresh, "ventrice")
    error = refused(lambda: open_csc_signer(settings_for(fresh), "prova:ventrice", environ=env), tmp_path)
    assert str(error) == (
        f"l'autorizzazione alla firma (SAD) di il servizio CSC prova ({fresh.url}) è scaduta prima della firma "
         f"(invalid_request: SAD expired): non è stato firmato nulla; autorizza di nuovo con un nuovo OTP"
    )


@pytest.mark.parametrize(("credential", "status"), [("revocata", "revoked"), ("scaduto", "expired")])
def test_a_revoked_or_expired_certificate_is_refused_before_any_signature(
    fresh: CSCTestServer, credential: str, status: str, tmp_path: Path
) -> None:
    env = environ(fresh, credential)
    error = refused(lambda: open_csc_signer(settings_for(fresh), f"prova:{credential}", environ=env), tmp_path)
    name = "Paola Revocata" if credential == "revocata" else "Marco Scaduto"
    assert str(error) == (
        f"il certificato di {name} (credenziale {credential} di il servizio CSC prova ({fresh.url})) è {status}: non "
         f"può firmare"
    )
    assert fresh.calls["credentials/authorize"] == 0


def test_a_revoked_certificate_the_service_calls_valid_is_refused_at_b_lta(live: LivePKI, fresh: CSCTestServer) -> None:
    fresh.credentials["revocata"].status = "valid"  # a service that does not know yet: OCSP does
    try:
        signer = open_csc_signer(settings_for(fresh), "prova:revocata", environ=environ(fresh, "revocata"))
        with pytest.raises(SigningError) as info:
            signer.sign(make_pdf(), level="B-LTA", tsa_url=live.tsa_url)
        assert "Paola Revocata" in str(info.value) and "revocato" in str(info.value)
        assert fresh.calls["credentials/authorize"] == 0  # refused before the OTP was spent
    finally:
        fresh.credentials["revocata"].status = "revoked"


def test_a_service_that_is_down(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    settings = Settings(csc={"giu": CSCProvider(base_url=url, client_id="x")})
    with pytest.raises(ServiceError) as info:
        open_csc_signer(settings, "giu:ventrice", environ={"ATTI_CSC_CLIENT_SECRET": "s"})
    assert str(info.value) == f"il servizio CSC giu ({url}) non è raggiungibile: Connection refused"


def test_a_slow_service_meets_its_time_limit(fresh: CSCTestServer, tmp_path: Path) -> None:
    fresh.delay = 3.0
    with pytest.raises(ServiceError) as info:
        open_csc_signer(settings_for(fresh, timeout=0.2), "prova:ventrice", environ=environ(fresh, None))
    assert str(info.value) == f"il servizio CSC prova ({fresh.url}) non ha risposto entro 0.2 s"


def test_a_wrong_client_secret(fresh: CSCTestServer) -> None:
    with pytest.raises(CSCAuthorisationError) as info:
        open_csc_signer(settings_for(fresh), "prova:ventrice", environ={"ATTI_CSC_CLIENT_SECRET": "no"})
    assert str(info.value) == (
        f"il servizio CSC prova ({fresh.url}) ha rifiutato l'accesso di atti (invalid_client: Client authentication "
         f"failed): controlla client_id e il client secret, oppure il token"
    )


def test_an_unknown_provider_or_credential(fresh: CSCTestServer) -> None:
    with pytest.raises(SigningError) as info:
        open_csc_signer(settings_for(fresh), "aruba:x", environ={})
    assert str(info.value) == (
        "nessun servizio CSC 'aruba' nelle impostazioni (configurati: prova): aggiungi una tabella [csc.aruba] con "
         "base_url e client_id oppure un token (docs/signing.md)"
    )
    with pytest.raises(SigningError) as info:
        open_csc_signer(settings_for(fresh), "prova:nessuna", environ=environ(fresh, None))
    assert str(info.value) == (
        f"il servizio CSC prova ({fresh.url}) ha rifiutato credentials/info (HTTP 400, invalid_request: Invalid "
         f"parameter credentialID)"
    )


# -- settings -------------------------------------------------------------------------------------


def test_provider_settings(tmp_path: Path) -> None:
    config = tmp_path / "atti.toml"
    config.write_text('[csc.aruba]\nbase_url = "https://arss.example.it/"\nclient_id = "ente"\n'
                      'credential_id = "R0001"\nscopes = ["service", "credential"]\ntimeout = 10\n')
    settings = load_settings(config_file=config, environ={"ATTI_REMOTE": "aruba"})
    provider = settings.csc["aruba"]
    assert (provider.base_url, provider.credential_id, provider.scopes, provider.timeout) == (
        "https://arss.example.it", "R0001", ["service", "credential"], 10.0)
    assert settings.remote == "aruba"
    config.write_text('[csc.aruba]\nbase_url = "https://arss.example.it"\nclient_secret = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config_file=config, environ={})
    assert info.value.msg == "impostazione 'csc.aruba.client_secret': chiave sconosciuta 'client_secret'"
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"ATTI_CSC": '{"x": {"base_url": "https://x.it", "otp_env": "ATTI_OTP"}}'})
    assert info.value.msg == (
        "impostazione 'csc.x.otp_env': 'ATTI_OTP': indica una variabile fuori da ATTI_* "
        "(quelle sono impostazioni)")
    env = load_settings(environ={"ATTI_CSC": '{"x": {"base_url": "https://x.it", "api_version": "v2"}}'})
    assert env.csc["x"].api_version == "v2"
    for url in ("http://firma.example.it", "ftp://x.it", "https://"):
        with pytest.raises(ConfigError) as info:
            load_settings(environ={"ATTI_CSC": json.dumps({"x": {"base_url": url}})})
        assert info.value.msg == (
            "impostazione 'csc.x.base_url': deve essere un URL https:// (http:// solo su 127.0.0.1, per "
            "un servizio di prova)")


# -- the command line: atti sign --remote, secrets never written -----------------------------------

CANARY_OTP = "otp-canary-81913"


def test_atti_sign_remote_keeps_its_secrets(atti: Atti, live: LivePKI, fresh: CSCTestServer, tmp_path: Path) -> None:
    config = tmp_path / "atti.toml"
    config.write_text(f'[csc.prova]\nbase_url = "{fresh.url}"\nclient_id = "atti-test-client"\n')
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(make_pdf())
    fresh.credentials["ventrice"].otps.add(CANARY_OTP)
    env = {"ATTI_CSC_CLIENT_SECRET": CLIENT_SECRET, "ATTI_CSC_OTP": CANARY_OTP}
    result = atti("--config", config, "sign", src, "-o", out, "--remote", "prova:ventrice", "--level", "B-LTA",
                  "--tsa", live.tsa_url, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Firmato {out} (PAdES B-LTA) da Fabrizio Ventrice\n"
    signed = out.read_bytes()
    assert verify_pdf(signed, [live.root], revocation_mode="hard-fail").indication == "TOTAL_PASSED"
    pdfsig_valid(signed, tmp_path)
    for secret in (CANARY_OTP, CLIENT_SECRET):
        assert secret not in result.output
        assert all(secret.encode() not in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    # The OTP was spent: the same one again is one clean error, and nothing is written.
    again = atti("--config", config, "sign", src, "-o", tmp_path / "again.pdf", "--remote", "prova:ventrice",
                 env=env)
    assert again.exit_code == 4
    assert again.stderr == (
        f"Errore: il servizio CSC prova ({fresh.url}) ha rifiutato l'OTP (invalid_otp: The OTP is invalid): non è "
         f"stato firmato nulla; riprova con un nuovo OTP\n"
    )
    assert not (tmp_path / "again.pdf").exists()
    assert CANARY_OTP not in again.output


# -- a reviewer's key: csc:PROVIDER[:CREDENTIAL] ------------------------------------------------------


def test_a_reviewer_key_spec_names_a_csc_credential(live: LivePKI, fresh: CSCTestServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from atti.signing.keys import open_key_spec

    settings = settings_for(fresh, otp_env="OTP_NERI")
    monkeypatch.setenv("ATTI_CSC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("OTP_NERI", fresh.new_otp("giulia"))
    with open_key_spec("csc:prova:giulia", settings) as signer:
        signed = signer.sign(make_pdf(), field_name="Verifica1")
    assert verify_pdf(signed, [live.root]).signer == "Giulia Neri"


# -- publishing: the qualified status recorded with the signature ---------------------------------------


@pytest.mark.libreoffice
def test_publish_remote_b_lta_records_the_qualified_status(
    atti: Atti, live: LivePKI, fresh: CSCTestServer, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive, "--trust", live.root_pem()).exit_code == 0
    config = tmp_path / "atti.toml"
    # The reviewer's service: their own table, so that their OTP comes from their own variable.
    config.write_text(f'[csc.prova]\nbase_url = "{fresh.url}"\nclient_id = "atti-test-client"\n'
                      f'[csc.prova-valente]\nbase_url = "{fresh.url}"\nclient_id = "atti-test-client"\n'
                      'credential_id = "valente"\notp_env = "OTP_VALENTE"\n')
    env = {"ATTI_DEVELOPMENT": None, "ATTI_CSC_CLIENT_SECRET": CLIENT_SECRET, "ATTI_CSC_OTP": CANARY_OTP,
           "OTP_VALENTE": fresh.new_otp("valente")}
    fresh.credentials["ventrice-qc"].otps.add(CANARY_OTP)
    result = atti("--config", config, "publish", EXAMPLE, "--archive", archive, "--remote", "prova:ventrice-qc",
                  "--reviewer", "csc:prova-valente", "--level", "B-LTA", "--tsa", live.tsa_url, "--json", env=env)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    signed = Path(record["pdf"]).read_bytes()
    report = verify_pdf(signed, [live.root], revocation_mode="hard-fail")
    assert report.indication == "TOTAL_PASSED"
    assert [s.signer for s in report.signatures] == ["Roberto Valente", "Fabrizio Ventrice"]
    assert fresh.calls["credentials/authorize"] == 2  # the signer's OTP (before rendering), the reviewer's
    pdfsig_valid(signed, tmp_path)
    signature = record["signature"]
    assert signature["key"] == "la credenziale ventrice-qc del servizio CSC prova"
    assert signature["qc"] == {"compliance": True, "qscd": True, "types": ["esign"], "policies": []}
    assert signature["qualification"]["level"] == "avanzata"  # no trusted list given confirms it
    [verifica] = signature["verifiche"]
    assert (verifica["verifica"], verifica["signer"], verifica["key"]) == (
        "Verifica Area Servizi alle Imprese ed al Territorio", "Roberto Valente",
        "la credenziale valente del servizio CSC prova-valente")
    assert verifica["qc"]["compliance"] is True
    with Archive.open(archive) as arc:
        events = arc.catalog._fetch_all("SELECT kind, act_id, payload FROM events")  # type: ignore[attr-defined]
        recorded = [json.loads(e["payload"]) for e in events if e["kind"] == "signature"]
    assert recorded == [signature]
    assert atti("archive", "verify", "--archive", archive).exit_code == 0
    for p in [*archive.rglob("*"), *tmp_path.glob("*")]:
        if p.is_file():
            assert CANARY_OTP.encode() not in p.read_bytes() and CLIENT_SECRET.encode() not in p.read_bytes(), p
    assert certificate_claims(fresh.credentials["ventrice-qc"].chain[0]).qualified


# -- atti publish DIR --remote: many acts, one OTP, each act whole or not at all ------------------------


def batch_folder(tmp_path: Path, firmatari: list[str]) -> Path:
    folder = tmp_path / "atti"
    folder.mkdir()
    text = EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", "# numbered when published ")
    for i, name in enumerate(firmatari, 1):
        act = text.replace("  nome: Fabrizio Ventrice\n", f"  nome: {name}\n")
        (folder / f"{i}-determinazione.yaml").write_text(act, encoding="utf-8")
    return folder


@pytest.mark.libreoffice
def test_publish_a_folder_with_one_otp(atti: Atti, live: LivePKI, fresh: CSCTestServer, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive, "--trust", live.root_pem()).exit_code == 0
    config = tmp_path / "atti.toml"
    config.write_text(f'[csc.prova]\nbase_url = "{fresh.url}"\nclient_id = "atti-test-client"\n')
    folder = batch_folder(tmp_path, ["Fabrizio Ventrice", "Giulia Neri", "Fabrizio Ventrice"])
    env = {"ATTI_DEVELOPMENT": None, **environ(fresh, "ventrice")}
    result = atti("--config", config, "publish", folder, "--archive", archive, "--remote", "prova:ventrice",
                  "--level", "B-LTA", "--tsa", live.tsa_url, env=env)
    assert result.exit_code == 1, result.output
    assert result.stdout == (
        f"Pubblicato DO-2026-1 ({folder}/1-determinazione.yaml): D.O. n. 1/2026, firmato da Fabrizio Ventrice\n"
        f"Non pubblicato {folder}/2-determinazione.yaml: il firmatario dell'atto è Giulia Neri ma il certificato"
        " appartiene a Fabrizio Ventrice\n"
        f"Pubblicato DO-2026-2 ({folder}/3-determinazione.yaml): D.O. n. 2/2026, firmato da Fabrizio Ventrice\n"
        "Atti pubblicati: 2 su 3, autorizzazioni OTP: 1\n"
    )
    # One OTP for the batch: authorised for three, the second signature on an extended transaction.
    assert fresh.calls["credentials/authorize"] == 1
    assert fresh.calls["signatures/signHash"] == 2
    for n in (1, 2):
        shown = json.loads(atti("show", f"DO-2026-{n}", "--archive", archive, "--json").stdout)
        report = verify_pdf(Path(shown["pdf"]).read_bytes(), [live.root], revocation_mode="hard-fail")
        assert (report.indication, report.signer) == ("TOTAL_PASSED", "Fabrizio Ventrice")
    pdfsig_valid(Path(shown["pdf"]).read_bytes(), tmp_path)
    assert atti("archive", "verify", "--archive", archive).exit_code == 0

    # A wrong OTP stops the batch before anything is rendered or stored (a SCAL 1 credential is
    # authorised before the first act): each act says why.
    before = sorted(p.name for p in (archive / "blobs").rglob("*") if p.is_file())
    wrong = atti("--config", config, "publish", folder, "--archive", archive, "--remote", "prova:ventrice",
                 "--json", env={**env, "ATTI_CSC_OTP": "000000"})
    assert wrong.exit_code == 1, wrong.output
    batch = json.loads(wrong.stdout)
    refusal = (f"il servizio CSC prova ({fresh.url}) ha rifiutato l'OTP (invalid_otp: The OTP is invalid): non è "
                f"stato firmato nulla; riprova con un nuovo OTP")
    assert (batch["published"], batch["failed"], batch["stopped"]) == (0, 3, refusal)
    assert [a["error"] for a in batch["acts"]] == [f"non tentato: {refusal}"] * 3
    assert sorted(p.name for p in (archive / "blobs").rglob("*") if p.is_file()) == before
    with Archive.open(archive) as arc:
        assert arc.catalog.last_number("D.O.", 2026) == 2


# -- several hashes in one signHash call ------------------------------------------------------------


@pytest.mark.parametrize(("credential", "level"), [("ventrice", "B-LTA"), ("ventrice-scal2", "B-B")])
def test_sign_many_sends_every_hash_in_one_call(
    live: LivePKI, fresh: CSCTestServer, credential: str, level: str, tmp_path: Path
) -> None:
    signer = open_csc_signer(settings_for(fresh, "v2"), f"prova:{credential}", environ=environ(fresh, credential))
    pdfs = signer.sign_many([make_pdf(f"Determinazione n. {i}/2026") for i in range(5)], level=level,
                            tsa_url=live.tsa_url)
    assert len(pdfs) == 5 and len(set(pdfs)) == 5
    mode = "hard-fail" if level == "B-LTA" else "soft-fail"
    for pdf in pdfs:
        assert verify_pdf(pdf, [live.root], revocation_mode=mode).indication == "TOTAL_PASSED"
    pdfsig_valid(pdfs[-1], tmp_path)
    assert (fresh.calls["credentials/authorize"], fresh.calls["signatures/signHash"]) == (1, 1)


def test_sign_many_beyond_multisign_and_all_or_nothing(fresh: CSCTestServer) -> None:
    otps = iter([fresh.new_otp("ventrice-two") for _ in range(2)])
    signer = open_csc_signer(settings_for(fresh), "prova:ventrice-two", lambda _: next(otps).encode(),
                             environ=environ(fresh, None))
    pdfs = signer.sign_many([make_pdf() for _ in range(3)])
    assert all(verify_pdf(p, [signer.chain[-1]]).indication == "TOTAL_PASSED" for p in pdfs)
    assert (fresh.calls["credentials/authorize"], fresh.calls["signatures/signHash"]) == (2, 2)
    # A wrong OTP: every signature fails, none is returned, and nothing waits for ever.
    wrong = open_csc_signer(settings_for(fresh), "prova:ventrice-two", environ=environ(fresh, None,
                            ATTI_CSC_OTP="000000"))
    with pytest.raises(CSCAuthorisationError):
        wrong.sign_many([make_pdf(), make_pdf()])
    # A PDF that cannot be signed is refused before any request.
    before = fresh.calls["credentials/authorize"]
    with pytest.raises(SigningError) as info:
        signer.sign_many([make_pdf(), b"not a pdf"])
    assert str(info.value).startswith("non è un PDF")
    assert fresh.calls["credentials/authorize"] == before


def test_publish_refuses_a_remote_certificate_before_numbering(
    atti: Atti, fresh: CSCTestServer, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    config = tmp_path / "atti.toml"
    config.write_text(f'[csc.prova]\nbase_url = "{fresh.url}"\nclient_id = "atti-test-client"\n')
    env = {"ATTI_DEVELOPMENT": None, **environ(fresh, None)}
    for credential, message in [
        ("giulia", "firmatario dell'atto: Fabrizio Ventrice, ma il certificato appartiene a Giulia Neri"),
        ("revocata", (f"il certificato di Paola Revocata (credenziale revocata di il servizio CSC prova "
                      f"({fresh.url})) è revoked: non può firmare")),
        ("scaduto", (f"il certificato di Marco Scaduto (credenziale scaduto di il servizio CSC prova ({fresh.url})) è "
                     f"expired: non può firmare")),
    ]:
        result = atti("--config", config, "publish", EXAMPLE, "--archive", archive, "--remote", f"prova:{credential}",
                      env=env)
        assert (result.exit_code, result.stderr) == (4, f"Errore: {message}\n")
    down = atti("publish", EXAMPLE, "--archive", archive, "--remote", "giu", env={
        **env, "ATTI_CSC": json.dumps({"giu": {"base_url": f"http://127.0.0.1:{closed_port()}", "client_id": "x"}})})
    assert down.exit_code == 4 and "non è raggiungibile" in down.stderr and down.stderr.count("\n") == 1
    assert fresh.calls["credentials/authorize"] == 0  # no OTP spent
    with Archive.open(archive) as arc:
        assert arc.catalog.last_number("D.O.", 2026) == 0
    assert not list((archive / "blobs").rglob("*.pdf"))


def test_a_secret_the_service_repeats_is_not(fresh: CSCTestServer) -> None:
    fresh.echo = True
    with pytest.raises(CSCAuthorisationError) as info:
        open_csc_signer(settings_for(fresh), "prova:ventrice", environ=environ(fresh, None, ATTI_CSC_OTP="554433")
                        ).sign(make_pdf())
    assert "554433" not in str(info.value)
    assert "(invalid_otp: The OTP *** is invalid)" in str(info.value)


def test_an_access_token_that_expires_during_a_batch_is_renewed_once(fresh: CSCTestServer) -> None:
    signer = open_csc_signer(settings_for(fresh), "prova:ventrice", environ=environ(fresh, "ventrice"))
    signer.begin_batch(2)
    signer.sign(make_pdf())
    fresh.tokens.clear()  # the token expired
    assert verify_pdf(signer.sign(make_pdf()), [signer.chain[-1]]).indication == "TOTAL_PASSED"
    assert fresh.calls["oauth2/token"] == 2
    # A token the provider gave is not renewed: its refusal is the error.
    given = Settings(csc={"prova": CSCProvider(base_url=fresh.url)})
    env = {"ATTI_CSC_TOKEN": "tok-expired", "ATTI_CSC_OTP": fresh.new_otp("ventrice")}
    with pytest.raises(CSCAuthorisationError) as info:
        open_csc_signer(given, "prova:ventrice", environ=env)
    assert "ha rifiutato l'accesso di atti (invalid_token: The access token is not valid)" in str(info.value)


def test_a_local_key_on_the_command_line_wins_over_a_configured_remote_key(
    atti: Atti, fresh: CSCTestServer, foreign_p12: tuple[Path, bytes, Path], tmp_path: Path
) -> None:
    p12, passphrase, _root = foreign_p12
    config = tmp_path / "atti.toml"
    config.write_text(f'remote = "prova:ventrice"\n[csc.prova]\nbase_url = "{fresh.url}"\n'
                      'client_id = "atti-test-client"\n')
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(make_pdf())
    result = atti("--config", config, "sign", src, "-o", out, "--p12", p12,
                  env={"ATTI_P12_PASSPHRASE": passphrase.decode()})
    assert result.exit_code == 0, result.output
    assert sum(fresh.calls.values()) == 0
    # Without an OTP and without a terminal: one line, nothing written.
    result = atti("--config", config, "sign", src, "-o", out, env={"ATTI_CSC_CLIENT_SECRET": CLIENT_SECRET})
    assert result.exit_code == 4
    assert result.stderr == (
        "Errore: Serve OTP per la credenziale ventrice del servizio CSC prova (oppure imposta $ATTI_CSC_OTP): esegui"
        " in un terminale\n"
    )


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_an_otp_the_service_sends_is_asked_for_after_sending_it(fresh: CSCTestServer, version: str) -> None:
    order: list[str] = []

    def prompt(what: str) -> bytes:
        order.append(f"asked after {len(fresh.sent_otps)} sent")
        return fresh.new_otp("ventrice-sms").encode()

    fresh.sent_otps.clear()
    signer = open_csc_signer(settings_for(fresh, version), "prova:ventrice-sms", prompt, environ=environ(fresh, None))
    assert verify_pdf(signer.sign(make_pdf()), [signer.chain[-1]]).indication == "TOTAL_PASSED"
    assert (fresh.sent_otps, order) == (["ventrice-sms"], ["asked after 1 sent"])


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_key_algorithm_without_its_hash(fresh: CSCTestServer, version: str) -> None:
    """key/algo may name only the key's algorithm (ecPublicKey, rsaEncryption): the hash goes apart."""
    env = environ(fresh, "ventrice-bare")
    signer = open_csc_signer(settings_for(fresh, version), "prova:ventrice-bare", environ=env)
    assert verify_pdf(signer.sign(make_pdf()), [signer.chain[-1]]).indication == "TOTAL_PASSED"


def test_a_batch_stops_at_an_expired_sad_and_reports_every_act(
    fresh: CSCTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's bookkeeping without LibreOffice: each act's publication is only its signature."""
    from atti import pipeline

    def signed_only(archive: Any, loaded: Any, settings: Any, signers: Any, *args: Any, **kwargs: Any) -> Any:
        signers[0].sign(make_pdf())  # the one firmatario's signer
        return pipeline.PublishResult(record=None, pdf="")  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_publish_with", signed_only)
    for name, value in environ(fresh, "ventrice").items():
        monkeypatch.setenv(name, value)
    fresh.sad_lifetime = 0
    folder = batch_folder(tmp_path, ["Fabrizio Ventrice"] * 3)
    archive, _ = Archive.create(tmp_path / "archive")
    reported: list[pipeline.BatchItem] = []
    settings = settings_for(fresh).model_copy(update={"remote": "prova:ventrice"})
    with archive:
        batch = pipeline.publish_many(archive, [folder], settings, progress=reported.append)
    expired = (f"l'autorizzazione alla firma (SAD) di il servizio CSC prova ({fresh.url}) è scaduta prima della "
                f"firma (invalid_request: SAD expired): non è stato firmato nulla; autorizza di nuovo con un nuovo OTP")
    assert batch.stopped == expired
    assert [(Path(i.file).name, i.error) for i in reported] == [
        ("1-determinazione.yaml", expired),
        ("2-determinazione.yaml", f"non tentato: {expired}"),
        ("3-determinazione.yaml", f"non tentato: {expired}"),
    ]
    assert batch.items == reported and batch.authorisations == 1


def test_an_authorisation_approved_on_the_holders_phone(fresh: CSCTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """CSC 2.0: authorize answers 202 with a handle; authorizeCheck gives the SAD once approved."""
    from atti.signing import csc

    monkeypatch.setattr(csc, "POLL_SECONDS", 0.01)
    signer = open_csc_signer(settings_for(fresh, "v2"), "prova:ventrice-app", environ=environ(fresh, None))
    assert verify_pdf(signer.sign(make_pdf()), [signer.chain[-1]]).indication == "TOTAL_PASSED"
    assert fresh.calls["credentials/authorizeCheck"] == 2
    fresh.credentials["ventrice-app"].approval = 10**6  # never approved: a time limit, not a hang
    try:
        never = open_csc_signer(settings_for(fresh, "v2", approval_timeout=0.05), "prova:ventrice-app",
                                environ=environ(fresh, None))
        with pytest.raises(CSCAuthorisationError) as info:
            never.sign(make_pdf())
    finally:
        fresh.credentials["ventrice-app"].approval = 2
    assert str(info.value) == (
        f"il servizio CSC prova ({fresh.url}): l'autorizzazione non è stata approvata entro 0.05 s: non è stato "
         f"firmato nulla")
