"""Signing with a key on a PKCS#11 token: a real SoftHSM2 token, made by this module in a temp dir.

The keys are generated on the token (they never exist outside it) and their certificates are
issued by a DevCA and written to the token beside them, as a card issuer does.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
from cryptography.x509.oid import NameOID
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass, TokenFlag
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

import atti.signing.pkcs11 as token_signing
from atti.errors import PassphraseNeeded, SigningError
from atti.signing import DevCA, verify_pdf
from atti.signing.pkcs11 import Pkcs11ActSigner, open_pkcs11_signer

from .conftest import Atti
from .test_signing import make_pdf

# Where Debian's softhsm2 puts the module (the second path is the multiarch one).
SOFTHSM_MODULES = [Path("/usr/lib/softhsm/libsofthsm2.so"), Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")]

PIN, SO_PIN = "123456", "87654321"
AUTH_PIN = "24680"
REVIEW_PIN = "13579"  # a reviewer's own token: their PIN, not the signer's


@dataclass(frozen=True)
class Hsm:
    module: Path
    ca: DevCA


# -- making the token ----------------------------------------------------------------------------


def _softhsm_module() -> Path:
    if shutil.which("softhsm2-util") is None:
        pytest.skip("softhsm2 is not installed (bash scripts/setup.sh --test installs it)")
    module = next((m for m in SOFTHSM_MODULES if m.is_file()), None)
    if module is None:
        pytest.skip(f"softhsm2-util is installed but its module is in none of {SOFTHSM_MODULES}")
    return module


def _init_token(label: str, pin: str) -> None:
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
    )


def _rsa_pair(
    session: pkcs11.Session, label: str, key_id: bytes, *, always_authenticate: bool = False
) -> rsa.RSAPublicKey:
    public, _private = session.generate_keypair(
        KeyType.RSA,
        2048,
        label=label,
        id=key_id,
        store=True,
        private_template={Attribute.ALWAYS_AUTHENTICATE: always_authenticate},
    )
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"), int.from_bytes(public[Attribute.MODULUS], "big")
    )
    return numbers.public_key()


def _ec_pair(session: pkcs11.Session, label: str, key_id: bytes) -> ec.EllipticCurvePublicKey:
    params = session.create_domain_parameters(
        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
    )
    public, _private = params.generate_keypair(label=label, id=key_id, store=True)
    key = load_der_public_key(encode_ec_public_key(public))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def _store_certificate(session: pkcs11.Session, cert: x509.Certificate, label: str, key_id: bytes) -> None:
    session.create_object(
        {
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.LABEL: label,
            Attribute.ID: key_id,
            Attribute.SUBJECT: cert.subject.public_bytes(),
            Attribute.ISSUER: cert.issuer.public_bytes(),
            Attribute.VALUE: cert.public_bytes(Encoding.DER),
        }
    )


def _foreign_certificate(
    public_key: ec.EllipticCurvePublicKey, *, non_repudiation: bool = True, expired: bool = False
) -> x509.Certificate:
    """A certificate DevCA would never issue (no non-repudiation, or expired)."""
    now = dt.datetime.now(dt.UTC)
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    not_after = now - dt.timedelta(days=2) if expired else now + dt.timedelta(days=365)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Luca Neri")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA della carta")]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(not_after)
        .add_extension(usage, critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hsm]:
    module = _softhsm_module()
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    ca = DevCA.create(base / "ca", ente="Comune di Esempio")
    with pytest.MonkeyPatch.context() as mp:
        # SoftHSM2 reads this once, when the module is initialised: set before anything loads it.
        mp.setenv("SOFTHSM2_CONF", str(conf))
        _init_token("Firma", PIN)
        _init_token("Autenticazione", AUTH_PIN)
        _init_token("Revisione", REVIEW_PIN)
        library = pkcs11.lib(str(module))
        try:
            with library.get_token(token_label="Firma").open(rw=True, user_pin=PIN) as s:
                rsa_key = _rsa_pair(s, "firma", b"\x01")
                _store_certificate(s, ca.certify(rsa_key, "Mario Rossi", "Dirigente Area Tecnica"), "firma", b"\x01")
                # As on many signature cards: the PIN again for every signature (CKA_ALWAYS_AUTHENTICATE).
                rsa_key = _rsa_pair(s, "firma-qualificata", b"\x03", always_authenticate=True)
                cert = ca.certify(rsa_key, "Mario Rossi", "Dirigente Area Tecnica")
                _store_certificate(s, cert, "firma-qualificata", b"\x03")
                ec_key = _ec_pair(s, "firma-ec", b"\x02")
                _store_certificate(s, ca.certify(ec_key, "Giulia Bianchi", "Segretario Generale"), "firma-ec", b"\x02")
                # The CA certificate, as some cards carry it: it must end up in the signature.
                _store_certificate(s, ca.root_cert, "CA", b"ca")
            with library.get_token(token_label="Autenticazione").open(rw=True, user_pin=AUTH_PIN) as s:
                cns = _foreign_certificate(_ec_pair(s, "cns", b"\x01"), non_repudiation=False)
                _store_certificate(s, cns, "cns", b"\x01")
                expired = _foreign_certificate(_ec_pair(s, "scaduta", b"\x02"), expired=True)
                _store_certificate(s, expired, "scaduta", b"\x02")
                _ec_pair(s, "orfana", b"\x03")
                stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
                _store_certificate(s, ca.certify(stranger, "Anna Verdi", "Funzionario"), "orfana", b"\x03")
                _ec_pair(s, "senza-cert", b"\x04")
            with library.get_token(token_label="Revisione").open(rw=True, user_pin=REVIEW_PIN) as s:
                reviewer = _rsa_pair(s, "pozzoli", b"\x01")
                _store_certificate(s, ca.certify(reviewer, "Franco Pozzoli", "Verifica Legale"), "pozzoli", b"\x01")
            yield Hsm(module, ca)
        finally:
            # Another module may load SoftHSM2 with another SOFTHSM2_CONF: make it start afresh.
            library.finalize()


def _open(hsm: Hsm, token: str = "Firma", key: str = "firma", pin: str | None = PIN, **kw: Any) -> Pkcs11ActSigner:
    return open_pkcs11_signer(hsm.module, token, key, pin, **kw)


def _refused(hsm: Hsm, tmp_path: Path, message: str, *args: Any, **kw: Any) -> None:
    """Opening fails with exactly ``message``, and nothing is written."""
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(SigningError) as info, _open(hsm, *args, **kw) as signer:
        signer.sign_file(tmp_path / "in.pdf", out / "signed.pdf")
    assert str(info.value) == message
    assert list(out.iterdir()) == []


@pytest.fixture()
def pdf_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.pdf"
    path.write_bytes(make_pdf())
    return path


# -- signing -------------------------------------------------------------------------------------


def test_token_signature_verifies(hsm: Hsm) -> None:
    with _open(hsm) as signer:
        assert signer.signer_name == "Mario Rossi"
        assert signer.token_label == "Firma"
        # The CA certificate found on the token is part of the chain (and of the signature).
        assert signer.chain[1:] == [hsm.ca.root_cert]
        signed = signer.sign(make_pdf(), reason="Adozione della determinazione")
    report = verify_pdf(signed, [hsm.ca.root_cert])
    assert report.indication == "TOTAL_PASSED"
    assert report.signer == "Mario Rossi"


def test_one_session_signs_many(hsm: Hsm, pdf_file: Path, tmp_path: Path) -> None:
    with _open(hsm) as signer:
        for n in range(3):
            signer.sign_file(pdf_file, tmp_path / f"signed-{n}.pdf")
        # A second signature on an already signed act, with the same session.
        both = signer.sign((tmp_path / "signed-0.pdf").read_bytes(), field_name="Firma2")
    for n in range(3):
        assert verify_pdf((tmp_path / f"signed-{n}.pdf").read_bytes(), [hsm.ca.root_cert]).indication == "TOTAL_PASSED"
    report = verify_pdf(both, [hsm.ca.root_cert])
    assert report.indication == "TOTAL_PASSED"
    assert [s.signer for s in report.signatures] == ["Mario Rossi", "Mario Rossi"]


def test_ec_key_on_token(hsm: Hsm) -> None:
    with _open(hsm, key="firma-ec") as signer:
        signed = signer.sign(make_pdf())
    report = verify_pdf(signed, [hsm.ca.root_cert])
    assert report.indication == "TOTAL_PASSED"
    assert report.signer == "Giulia Bianchi"


def test_raw_mechanism_when_the_token_has_no_hash_and_sign(hsm: Hsm, monkeypatch: pytest.MonkeyPatch) -> None:
    # SoftHSM2 offers both; many cards offer only CKM_RSA_PKCS, where the hash is made here.
    monkeypatch.setattr(token_signing, "_use_raw_mechanism", lambda token, label, key: True)
    with _open(hsm) as signer:
        signed = signer.sign(make_pdf())
    assert verify_pdf(signed, [hsm.ca.root_cert]).indication == "TOTAL_PASSED"


def test_key_that_wants_the_pin_for_every_signature(hsm: Hsm) -> None:
    with _open(hsm, key="firma-qualificata") as signer:
        signed = [signer.sign(make_pdf()) for _ in range(2)]
    for pdf in signed:
        assert verify_pdf(pdf, [hsm.ca.root_cert]).indication == "TOTAL_PASSED"


def test_token_failing_between_signatures(hsm: Hsm) -> None:
    with _open(hsm) as signer:
        # What an unplugged card looks like from here: the session is gone under the signer.
        session = signer._session
        assert session is not None
        session.close()
        with pytest.raises(SigningError) as info:
            signer.sign(make_pdf())
    assert str(info.value) == "il token 'Firma' non è riuscito a firmare: la sessione con il token è stata chiusa"


def test_certificate_by_label(hsm: Hsm) -> None:
    with _open(hsm, key="firma", cert_label="firma") as signer:
        assert signer.signer_name == "Mario Rossi"


def test_close_logs_out_and_stops_signing(hsm: Hsm) -> None:
    signer = _open(hsm)
    signer.close()
    assert signer.closed
    with pytest.raises(SigningError) as info:
        signer.sign(make_pdf())
    assert str(info.value) == "la firma con il token 'Firma' è chiusa"
    signer.close()  # twice is harmless
    # Logged out: the token can be opened again, with the PIN checked again.
    with _open(hsm) as again:
        assert not again.closed


def test_second_signer_on_an_open_token_is_refused(hsm: Hsm) -> None:
    with _open(hsm):
        with pytest.raises(SigningError) as info:
            _open(hsm)
        assert str(info.value) == ("il token 'Firma' è già aperto in questo processo: prima chiudi l'altra firma che "
                                   "lo usa")
    with _open(hsm) as signer:  # the refused one left nothing behind
        assert signer.signer_name == "Mario Rossi"


# -- refusals ------------------------------------------------------------------------------------


def test_wrong_pin(hsm: Hsm, tmp_path: Path, pdf_file: Path) -> None:
    _refused(hsm, tmp_path, "PIN errato per il token 'Firma'", pin="000000")


def test_no_pin_asks_for_one(hsm: Hsm) -> None:
    with pytest.raises(PassphraseNeeded) as info:
        _open(hsm, pin=None)
    assert str(info.value) == "il token 'Firma' richiede un PIN, e non ne è stato indicato nessuno"


def test_unknown_token_lists_the_present_ones(hsm: Hsm, tmp_path: Path, pdf_file: Path) -> None:
    _refused(
        hsm,
        tmp_path,
        f"nessun token 'Carta' in {hsm.module}; token presenti: 'Autenticazione', 'Firma', 'Revisione'",
        token="Carta",
    )


def test_missing_module(tmp_path: Path) -> None:
    missing = tmp_path / "libnone.so"
    with pytest.raises(SigningError) as info:
        open_pkcs11_signer(missing, "Firma", "firma", PIN)
    assert str(info.value) == f"il modulo PKCS#11 {missing} non esiste"


def test_not_a_module(tmp_path: Path) -> None:
    text = tmp_path / "module.so"
    text.write_bytes(b"not a shared library\n" * 100)
    with pytest.raises(SigningError) as info:
        open_pkcs11_signer(text, "Firma", "firma", PIN)
    assert str(info.value) == f"non è un modulo PKCS#11: {text} (invalid ELF header)"
    with pytest.raises(SigningError) as info:
        open_pkcs11_signer(tmp_path, "Firma", "firma", PIN)
    assert str(info.value) == f"non è un modulo PKCS#11: {tmp_path} non è un file"


def test_library_that_is_not_pkcs11(tmp_path: Path) -> None:
    libc = Path(os.path.realpath("/lib/x86_64-linux-gnu/libz.so.1"))
    if not libc.is_file():
        pytest.skip("no libz.so.1 to stand in for a library that is not a PKCS#11 module")
    with pytest.raises(SigningError) as info:
        open_pkcs11_signer(libc, "Firma", "firma", PIN)
    assert str(info.value) == f"non è un modulo PKCS#11: {libc} (undefined symbol: C_GetFunctionList)"


def test_module_that_fails_to_start(tmp_path: Path) -> None:
    module = _softhsm_module()
    # In a child process: this one has SoftHSM2 initialised already, and it reads its
    # configuration only then.
    code = (
        "import sys; from pathlib import Path\n"
        "from atti.errors import SigningError\n"
        "from atti.signing.pkcs11 import open_pkcs11_signer\n"
        "try:\n"
        "    open_pkcs11_signer(Path(sys.argv[1]), 'Firma', 'firma', '1234')\n"
        "except SigningError as e:\n"
        "    print(e)\n"
    )
    env = {**os.environ, "SOFTHSM2_CONF": str(tmp_path / "missing.conf")}
    result = subprocess.run(
        [sys.executable, "-c", code, str(module)], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"il modulo PKCS#11 {module} non è riuscito ad avviarsi: GeneralError"


def test_missing_key_label(hsm: Hsm, tmp_path: Path, pdf_file: Path) -> None:
    message = ("nessuna chiave privata 'altra' sul token 'Firma'; chiavi presenti: 'firma', 'firma-ec', "
               "'firma-qualificata'")
    _refused(hsm, tmp_path, message, key="altra")


def test_key_without_certificate(hsm: Hsm, tmp_path: Path, pdf_file: Path) -> None:
    _refused(
        hsm,
        tmp_path,
        ("nessun certificato della chiave 'senza-cert' sul token 'Autenticazione'; certificati presenti: 'cns', "
         "'orfana', 'scaduta'"),
        token="Autenticazione",
        key="senza-cert",
        pin=AUTH_PIN,
    )


def test_missing_certificate_label(hsm: Hsm, tmp_path: Path, pdf_file: Path) -> None:
    _refused(
        hsm,
        tmp_path,
        ("nessun certificato 'firma-2026' sul token 'Firma'; certificati presenti: 'CA', 'firma', 'firma-ec', "
         "'firma-qualificata'"),
        cert_label="firma-2026",
    )


def test_certificate_without_non_repudiation(hsm: Hsm, tmp_path: Path, pdf_file: Path) -> None:
    message = (
        "il certificato di Luca Neri (il token 'Autenticazione') non ha l'uso della chiave non ripudio "
         "(contentCommitment)"
    )
    _refused(hsm, tmp_path, message, token="Autenticazione", key="cns", pin=AUTH_PIN)
    # The refused open logged out: trying again gives the same answer, not "already open".
    with pytest.raises(SigningError) as info:
        _open(hsm, token="Autenticazione", key="cns", pin=AUTH_PIN)
    assert str(info.value) == message


def test_expired_certificate(hsm: Hsm, tmp_path: Path, pdf_file: Path) -> None:
    expired_on = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).strftime("%Y-%m-%d")
    _refused(
        hsm,
        tmp_path,
        f"il certificato di Luca Neri (il token 'Autenticazione') è scaduto il {expired_on}",
        token="Autenticazione",
        key="scaduta",
        pin=AUTH_PIN,
    )


def test_certificate_of_another_key(hsm: Hsm, tmp_path: Path, pdf_file: Path) -> None:
    _refused(
        hsm,
        tmp_path,
        "il certificato di Anna Verdi sul token 'Autenticazione' non appartiene alla chiave 'orfana'",
        token="Autenticazione",
        key="orfana",
        pin=AUTH_PIN,
    )


# -- what SoftHSM2 cannot show -------------------------------------------------------------------
# SoftHSM2 never locks a PIN, however many wrong ones it gets, and offers every mechanism: these
# paths are driven with stand-ins for python-pkcs11's token object.


class _FakeToken:
    def __init__(
        self, flags: TokenFlag, error: Exception | None = None, mechanisms: frozenset[Mechanism] = frozenset()
    ) -> None:
        self.flags = flags
        self._error = error
        self._mechanisms = mechanisms

    @property
    def slot(self) -> _FakeToken:
        return self

    def get_token(self) -> _FakeToken:
        return self

    def get_mechanisms(self) -> set[Mechanism]:
        return set(self._mechanisms)

    def open(self, **kw: Any) -> Any:
        assert self._error is not None
        raise self._error


def test_locked_pin_is_reported_before_trying() -> None:
    token: Any = _FakeToken(TokenFlag.LOGIN_REQUIRED | TokenFlag.USER_PIN_LOCKED, AssertionError("no login attempt"))
    with pytest.raises(SigningError) as info:
        token_signing._open_session(token, "Firma", PIN)
    assert str(info.value) == "il PIN del token 'Firma' è bloccato: sbloccalo con il PUK"


def test_pin_locked_by_the_token() -> None:
    token: Any = _FakeToken(TokenFlag.LOGIN_REQUIRED, pkcs11.PinLocked())
    with pytest.raises(SigningError) as info:
        token_signing._open_session(token, "Firma", PIN)
    assert str(info.value) == "il PIN del token 'Firma' è bloccato: sbloccalo con il PUK"


def test_wrong_pin_on_the_last_try() -> None:
    token: Any = _FakeToken(TokenFlag.LOGIN_REQUIRED | TokenFlag.USER_PIN_FINAL_TRY, pkcs11.PinIncorrect())
    with pytest.raises(SigningError) as info:
        token_signing._open_session(token, "Firma", "000000")
    assert str(info.value) == "PIN errato per il token 'Firma'; un altro PIN errato lo bloccherà"


def test_mechanism_choice() -> None:
    rsa_key = {Attribute.KEY_TYPE: KeyType.RSA}

    def raw(*mechanisms: Mechanism) -> bool:
        token: Any = _FakeToken(TokenFlag(0), mechanisms=frozenset(mechanisms))
        return token_signing._use_raw_mechanism(token, "Carta", rsa_key)

    assert raw(Mechanism.SHA256_RSA_PKCS, Mechanism.RSA_PKCS) is False
    assert raw(Mechanism.RSA_PKCS) is True
    with pytest.raises(SigningError) as info:
        raw(Mechanism.RSA_PKCS_PSS)
    assert str(info.value) == "il token 'Carta' non supporta né SHA256_RSA_PKCS né RSA_PKCS per la sua chiave"


# -- the command line ------------------------------------------------------------------------------


def test_cli_signs_with_the_token(atti: Atti, hsm: Hsm, pdf_file: Path, tmp_path: Path) -> None:
    from atti.signing import verify_pdf

    def env(pin: str | None) -> dict[str, str | None]:
        return {"ATTI_PKCS11_PIN": pin, "ATTI_ARCHIVE": str(tmp_path / "none")}

    token = ["--pkcs11-module", hsm.module, "--token", "Firma", "--key-label", "firma"]
    out = tmp_path / "firmato.pdf"
    ok = atti("sign", pdf_file, "-o", out, *token, env=env(PIN))
    assert (ok.exit_code, ok.stdout) == (0, f"Firmato {out} (PAdES B-B) da Mario Rossi\n")
    assert verify_pdf(out.read_bytes(), [hsm.ca.root_cert]).indication == "TOTAL_PASSED"
    # The session was closed: the same token opens again in the same process.
    again = atti("sign", pdf_file, "-o", tmp_path / "di-nuovo.pdf", *token, env=env(PIN))
    assert again.exit_code == 0, again.output
    wrong = atti("sign", pdf_file, "-o", tmp_path / "no.pdf", *token, env=env("000000"))
    assert (wrong.exit_code, wrong.stderr) == (4, "Errore: PIN errato per il token 'Firma'\n")
    none = atti("sign", pdf_file, "-o", tmp_path / "no.pdf", *token, env=env(None))
    assert (none.exit_code, none.stderr) == (
        4, "Errore: il token 'Firma' richiede un PIN: imposta ATTI_PKCS11_PIN o esegui in un terminale\n"
    )
    assert not (tmp_path / "no.pdf").exists()


@pytest.mark.libreoffice
def test_cli_publish_signs_a_verifica_with_the_reviewers_token(
    atti: Atti, hsm: Hsm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reviewer's key on their own token (issue 16): its PIN from the variable their key names."""
    monkeypatch.delenv("ATTI_DEVELOPMENT", raising=False)  # not in development mode: own keys only
    import json

    from atti.archive import Archive

    from .conftest import EXAMPLE

    archive = tmp_path / "archive"
    hsm_root = tmp_path / "carta-root.pem"
    hsm_root.write_bytes(hsm.ca.root_cert.public_bytes(Encoding.PEM))
    assert atti("init", "--archive", archive, "--trust", hsm_root).exit_code == 0
    firmatario = DevCA.load(archive / "pki").signer_for("Fabrizio Ventrice", "Direttore Operativo")
    pozzoli = f"pkcs11:token=Revisione;key=pozzoli;module={hsm.module};pin-env=PIN_POZZOLI"
    publish = ["publish", EXAMPLE, "--archive", archive, "--p12", firmatario, "--json"]

    unset = atti(*publish, "--reviewer", pozzoli, env={"PIN_POZZOLI": None})
    assert (unset.exit_code, unset.stderr) == (
        4, "Errore: il PIN del token 'Revisione' deve venire da $PIN_POZZOLI, che non è impostata\n")
    wrong = atti(*publish, "--reviewer", pozzoli, env={"PIN_POZZOLI": "000000"})
    assert (wrong.exit_code, wrong.stderr) == (4, "Errore: PIN errato per il token 'Revisione'\n")
    # No pin-env and no terminal: the reviewer's PIN is asked for, never taken from ATTI_PKCS11_PIN.
    no_pin = atti(*publish, "--reviewer", f"pkcs11:token=Revisione;key=pozzoli;module={hsm.module}",
                  env={"ATTI_PKCS11_PIN": REVIEW_PIN})
    assert (no_pin.exit_code, no_pin.stderr) == (4, (
        "Errore: il token 'Revisione' del verificatore richiede un PIN: aggiungi pin-env=VARIABILE alla sua "
        "chiave o esegui in un terminale\n"))
    # Mario Rossi's token key is no reviewer's: refused, and its token logged out again.
    stranger = atti(*publish, "--reviewer", f"pkcs11:token=Firma;key=firma;module={hsm.module};pin-env=PIN_ROSSI",
                    env={"PIN_ROSSI": PIN})
    assert (stranger.exit_code, stranger.stderr) == (4, (
        "Errore: il token 'Firma' appartiene a Mario Rossi, che non ha fatto nessuna delle verifiche dell'atto "
        "(Roberto Valente, Franco Pozzoli, Mattia Cattaneo)\n"))
    with _open(hsm) as again:
        assert again.signer_name == "Mario Rossi"
    odd = atti(*publish, "--reviewer", "pkcs11:token=Revisione;chiave=pozzoli")
    assert (odd.exit_code, odd.stderr) == (4, (
        "Errore: chiave 'pkcs11:token=Revisione;chiave=pozzoli': 'chiave=pozzoli' non è tra token=..., key=..., "
        "module=..., pin-env=...\n"))
    bare = atti(*publish, "--reviewer", "pozzoli.p12")
    assert (bare.exit_code, bare.stderr) == (4, (
        "Errore: chiave 'pozzoli.p12': scrivila in una di queste forme: p12:PATH, pkcs11:token=LABEL;key=LABEL"
        "[;module=PATH][;pin-env=VARIABLE], csc:PROVIDER[:CREDENTIAL], remote:MODULE:FACTORY\n"))
    with Archive.open(archive) as arc:  # every refusal came before a number was taken
        assert arc.catalog.last_number("D.O.", 2026) == 0

    ok = atti(*publish, "--reviewer", pozzoli, env={"PIN_POZZOLI": REVIEW_PIN})
    assert ok.exit_code == 0, ok.output
    report = json.loads(atti("verify", json.loads(ok.stdout)["pdf"], "--archive", archive, "--json").stdout)
    assert report["indication"] == "TOTAL_PASSED"
    assert [(s["field_name"], s["signer"], s["indication"]) for s in report["signatures"]] == [
        ("Verifica2", "Franco Pozzoli", "TOTAL_PASSED"), ("Firma", "Fabrizio Ventrice", "TOTAL_PASSED"),
    ]
    # The reviewer's session was closed with the publish: the token opens again in this process.
    with _open(hsm, token="Revisione", key="pozzoli", pin=REVIEW_PIN) as reviewer:
        assert reviewer.signer_name == "Franco Pozzoli"
