"""A development PKI, so that signing works out of the box without a qualified certificate.

Nothing issued here is qualified, and every name says so: the root is called
"atti - CA di sviluppo (NON QUALIFICATA)" and every signer certificate carries
"Certificato di sviluppo - NON qualificato". A verifier that has not been told to trust this
root reports such signatures as INDETERMINATE, which is exactly what should happen.

Layout of a CA directory::

    root.pem              the self-signed root certificate (give it to verifiers as a trust root)
    root.key.pem          its private key, unencrypted, mode 0600
    signers/<slug>.p12    one PKCS#12 per person, without passphrase, holding key + cert + root

RSA 3072 is used because it is what real Italian signature devices mostly use, so the
development path exercises the same code as production.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from atti.errors import SigningError
from atti.files import private_dir
from atti.i18n import _

__all__ = ["DevCA", "slugify"]

ROOT_CERT_FILE = "root.pem"
ROOT_KEY_FILE = "root.key.pem"
SIGNERS_DIR = "signers"

ROOT_CN = "atti - CA di sviluppo (NON QUALIFICATA)"
ROOT_OU = "Solo per sviluppo e prove - NON QUALIFICATA"
SIGNER_OU = "Certificato di sviluppo - NON qualificato"

ROOT_VALIDITY = dt.timedelta(days=3652)
SIGNER_VALIDITY = dt.timedelta(days=730)
# A reused signer certificate must outlive the signing session by a margin, otherwise a
# document signed at the end of the day could carry a certificate that expires overnight.
REUSE_MARGIN = dt.timedelta(days=7)
# X.520 upper bound for CN, O, OU and title; cryptography refuses longer values.
MAX_NAME = 64
KEY_BITS = 3072


def slugify(text: str) -> str:
    """ASCII file-name slug: "Dott.ssa Maria Bianchi" -> "dott-ssa-maria-bianchi"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _check_name(what: str, value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise SigningError(_("{what} must not be empty").format(what=what))
    if len(value) > MAX_NAME:
        raise SigningError(
            _("{what} is too long for a certificate ({length} > {limit} characters)")
            .format(what=what, length=len(value), limit=MAX_NAME)
        )
    return value


def _fit_name(what: str, value: str) -> str:
    """An ente or a qualifica as a development certificate can hold it: cut to MAX_NAME characters.

    A body's name can be longer than X.520 allows ("Camera di Commercio, Industria, Artigianato e
    Agricoltura di Milano Monza Brianza Lodi", 85): an act that passed check must still publish
    with the development CA, whose certificates prove nothing legal. The act's PDF says the whole
    name; the firmatario's own name, which verification matches, is never cut.
    """
    value = " ".join(value.split())
    if len(value) <= MAX_NAME:
        return _check_name(what, value)
    return value[: MAX_NAME - 1].rstrip() + "…"


def _split_name(nome: str) -> tuple[str, str] | None:
    """givenName/surname only when unambiguous: exactly two words ("Maria Grazia De Luca" is not)."""
    parts = nome.split()
    if len(parts) == 2 and all(re.fullmatch(r"[^\W\d_]+(['’-][^\W\d_]+)*", p) for p in parts):
        return parts[0], parts[1]
    return None


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from the start, so the key is never briefly world-readable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _replace_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _write_private(tmp, data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class DevCA:
    """A development root CA kept in a directory; see the module docstring for the layout."""

    def __init__(self, directory: Path, root_cert: x509.Certificate, root_key: rsa.RSAPrivateKey) -> None:
        self.directory = directory
        self.root_cert = root_cert
        self._root_key = root_key

    @property
    def ente(self) -> str:
        values = self.root_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return str(values[0].value) if values else "atti"

    # -- creation and loading ---------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, *, ente: str = "atti") -> DevCA:
        directory = Path(directory)
        ente = _check_name("ente", ente)
        cert_path, key_path = directory / ROOT_CERT_FILE, directory / ROOT_KEY_FILE
        if cert_path.exists() or key_path.exists():
            raise SigningError(
                _("a development CA already exists in {directory}: refusing to overwrite it")
                .format(directory=directory)
            )

        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ente),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ROOT_OU),
                x509.NameAttribute(NameOID.COMMON_NAME, ROOT_CN),
            ]
        )
        now = _now()
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            # Backdated a little so that a verifier with a slightly slow clock accepts it.
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + ROOT_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        try:
            private_dir(directory / SIGNERS_DIR)  # the CA's folders are its owner's only, as its key
            _write_private(
                key_path,
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            )
            try:
                _replace_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
            except OSError:
                key_path.unlink()  # a key without its certificate would block the next create()
                raise
        except FileExistsError:
            raise SigningError(
                _("a development CA already exists in {directory}: refusing to overwrite it")
                .format(directory=directory)
            ) from None
        except OSError as e:
            raise SigningError(
                _("cannot write the development CA to {directory}: {reason}")
                .format(directory=directory, reason=e.strerror)
            ) from None
        return cls(directory, cert, key)

    @classmethod
    def load(cls, directory: Path) -> DevCA:
        directory = Path(directory)
        cert_path, key_path = directory / ROOT_CERT_FILE, directory / ROOT_KEY_FILE
        try:
            cert_data, key_data = cert_path.read_bytes(), key_path.read_bytes()
        except FileNotFoundError as e:
            missing = Path(str(e.filename)).name
            raise SigningError(
                _("no development CA in {directory} (missing {missing})").format(directory=directory, missing=missing)
            ) from None
        except OSError as e:
            raise SigningError(
                _("cannot read the development CA in {directory}: {reason}")
                .format(directory=directory, reason=e.strerror)
            ) from None
        try:
            cert = x509.load_pem_x509_certificate(cert_data)
        except ValueError:
            raise SigningError(_("not a PEM certificate: {path}").format(path=cert_path)) from None
        try:
            key = serialization.load_pem_private_key(key_data, password=None)
        except (ValueError, TypeError):
            raise SigningError(_("not an unencrypted PEM private key: {path}").format(path=key_path)) from None
        if not isinstance(key, rsa.RSAPrivateKey) or key.public_key() != cert.public_key():
            raise SigningError(_("{key} is not the key of {cert}").format(key=key_path, cert=cert_path))
        return cls(directory, cert, key)

    # -- signers ----------------------------------------------------------------------------

    def signer_path(self, nome: str) -> Path:
        slug = slugify(nome)
        if not slug:
            raise SigningError(_("cannot make a file name from the signer name {name}").format(name=repr(nome)))
        return self.directory / SIGNERS_DIR / f"{slug}.p12"

    def issue_signer(self, nome: str, qualifica: str, *, organisation: str | None = None) -> Path:
        """PKCS#12 (no passphrase) for ``nome``; an existing one is reused while valid and matching.

        ``organisation`` defaults to the CA's ente. The file name is the slug of ``nome``, so two
        people with the same name share a file: acceptable for a development PKI.
        """
        nome = _check_name(_("signer name"), nome)
        qualifica = _fit_name("qualifica", qualifica)
        organisation = _fit_name(_("organisation"), organisation if organisation is not None else self.ente)
        path = self.signer_path(nome)
        subject = self._signer_subject(nome, qualifica, organisation)
        if self._reusable(path, subject):
            return path

        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        cert = self._signer_certificate(subject, key.public_key())
        p12 = pkcs12.serialize_key_and_certificates(
            slugify(nome).encode(), key, cert, [self.root_cert], serialization.NoEncryption()
        )
        try:
            private_dir(path.parent)
            _replace_private(path, p12)
        except OSError as e:
            raise SigningError(_("cannot write {path}: {reason}").format(path=path, reason=e.strerror)) from None
        return path

    # An alias that reads better at call sites that only want "the file for this person".
    signer_for = issue_signer

    def certify(
        self, public_key: CertificatePublicKeyTypes, nome: str, qualifica: str, *, organisation: str | None = None
    ) -> x509.Certificate:
        """A signer certificate for a key made elsewhere, e.g. on a PKCS#11 token that never lets
        its private key out; same subject and extensions as :meth:`issue_signer`."""
        nome = _check_name(_("signer name"), nome)
        qualifica = _fit_name("qualifica", qualifica)
        organisation = _fit_name(_("organisation"), organisation if organisation is not None else self.ente)
        return self._signer_certificate(self._signer_subject(nome, qualifica, organisation), public_key)

    def _signer_certificate(self, subject: x509.Name, public_key: CertificatePublicKeyTypes) -> x509.Certificate:
        now = _now()
        root_ski = self.root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.root_cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(min(now + SIGNER_VALIDITY, self.root_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False
            )
            .sign(self._root_key, hashes.SHA256())
        )

    def _signer_subject(self, nome: str, qualifica: str, organisation: str) -> x509.Name:
        attrs = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, SIGNER_OU),
        ]
        split = _split_name(nome)
        if split is not None:
            attrs += [
                x509.NameAttribute(NameOID.GIVEN_NAME, split[0]),
                x509.NameAttribute(NameOID.SURNAME, split[1]),
            ]
        attrs += [
            x509.NameAttribute(NameOID.TITLE, qualifica),
            x509.NameAttribute(NameOID.COMMON_NAME, nome),
        ]
        return x509.Name(attrs)

    def _reusable(self, path: Path, subject: x509.Name) -> bool:
        """True when ``path`` holds a certificate from this root, for ``subject``, valid for a while."""
        try:
            _key, cert, _others = pkcs12.load_key_and_certificates(path.read_bytes(), None)
        except (OSError, ValueError):
            return False  # missing or unreadable: issue a fresh one over it
        if cert is None or cert.subject != subject or cert.issuer != self.root_cert.subject:
            return False
        try:
            cert.verify_directly_issued_by(self.root_cert)
        except (InvalidSignature, ValueError, TypeError):
            return False  # same name, different (e.g. re-created) root
        now = _now()
        return cert.not_valid_before_utc <= now and cert.not_valid_after_utc - REUSE_MARGIN > now
