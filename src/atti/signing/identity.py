"""Who a certificate names, and whether that is the person an act names.

One rule for every stage: publishing refuses a key whose certificate does not name the act's
firmatario (or a verifica's reviewer), and verification reports whether a signature's certificate
names the firmatario. Both ask :func:`names_person`, so an act atti signs always passes atti's
own check, and a certificate atti's check accepts can sign.
"""

from __future__ import annotations

import unicodedata

from cryptography import x509
from cryptography.x509.oid import NameOID

# cryptography prints these OIDs numerically by default; Italian certificates use them all.
DN_NAMES = {
    NameOID.TITLE: "title",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.SURNAME: "SN",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.DN_QUALIFIER: "dnQualifier",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
}


def common_name(name: x509.Name) -> str:
    """The CN of a subject or issuer, else the whole name as RFC 4514 text."""
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string(DN_NAMES)


def _fold(name: str) -> list[str]:
    decomposed = unicodedata.normalize("NFD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split()


def same_person(a: str, b: str) -> bool:
    """Whether two names are the same, ignoring case, accents and spacing."""
    return _fold(a) == _fold(b)


def names_in(cert: x509.Certificate) -> list[str]:
    """The ways ``cert`` names its holder: CN, "givenName SN" and "SN givenName".

    Italian qualified certificates often write the CN surname first or in capitals ("ROSSI
    MARIO"), and some carry the person only in givenName/surname; each of these is the holder.
    """

    def values(oid: x509.ObjectIdentifier) -> list[str]:
        return [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]

    names = values(NameOID.COMMON_NAME)
    for given in values(NameOID.GIVEN_NAME):
        for surname in values(NameOID.SURNAME):
            names += [f"{given} {surname}", f"{surname} {given}"]
    return names


def names_person(cert: x509.Certificate, person: str) -> bool:
    """Whether ``cert`` is the certificate of ``person`` (a firmatario's or a reviewer's ``nome``)."""
    return any(same_person(name, person) for name in names_in(cert))
