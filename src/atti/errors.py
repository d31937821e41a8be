"""The one exception tree of atti.

Every failure a user can cause (bad input, a wrong passphrase, a missing program, a full disk)
is raised as a subclass of :class:`AttiError`. The CLI turns it into a single ``Error: ...`` line
and exits with the subclass's ``exit_code``; a traceback appears only with ``--verbose``.

::

    AttiError                      exit 2   anything atti refuses to do
    ├── ActError                   exit 1   the act is not valid (problems listed with file:line:col)
    ├── ConfigError                exit 2   configuration: unknown key, bad value
    ├── UserError                  exit 2   a web user cannot be added or signed in as given
    ├── ImportSourceError          exit 2   a document to import is empty, corrupt or not text/PDF/DOCX
    ├── SearchError                exit 2   a search query or filter cannot be understood
    ├── RenderError                exit 3   template or LibreOffice conversion failed
    │   └── ConverterMissing       exit 3   LibreOffice is not installed
    ├── SigningError               exit 4   key or certificate unusable, wrong passphrase
    │   ├── PassphraseNeeded       exit 4   the key is locked and no passphrase was given
    │   └── ServiceError           exit 4   a TSA, OCSP responder or CRL server did not answer usefully
    ├── VerificationError          exit 5   the PDF cannot be read as a signed PDF
    └── ArchiveError               exit 6   the archive refuses or cannot store
        ├── ArchiveNotFound        exit 6   no archive at the given place
        ├── DuplicateNumber        exit 6   the register already holds that number
        ├── ActNotFound            exit 6   no act with that id
        └── StorageError           exit 6   disk full, read-only, I/O failure

The command line's other codes (1 for a check that says no or a bulk command's failed items, 70
for a bug, 130 for an interrupt) are in README.md's table with these; tests/test_exit_codes.py
keeps the three in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from atti.i18n import _


class AttiError(Exception):
    """Base of every error atti reports to a user: ``msg`` is one line, without a traceback."""

    exit_code = 2

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg

    def __str__(self) -> str:
        return self.msg


@dataclass(frozen=True)
class Problem:
    """One problem of an act, placed in its source file (1-based line and column)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        # One line on a terminal whatever the act holds: a value a message quotes (a registro, a
        # key) may carry a newline, a vertical tab, a bidi control or a terminal escape sequence.
        return _printable(f"{self.file}:{self.line}:{self.column}: {self.message}")


def _printable(text: str) -> str:
    """``text`` with every character that does not print shown as its escape, ``\\x0b``."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class ActError(AttiError):
    """The act is not valid; ``problems`` lists every problem found, in file order."""

    exit_code = 1

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        first = str(self.problems[0]) if self.problems else _("invalid act")
        more = len(self.problems) - 1
        super().__init__(first + (_(" (and {more} more)").format(more=more) if more > 0 else ""))


class ConfigError(AttiError):
    exit_code = 2


class UserError(AttiError):
    """A web archive user: bad name, unknown role, short password."""

    exit_code = 2


class ImportSourceError(AttiError):
    """A document given to ``atti import`` cannot be read as an act: empty, corrupt, binary."""

    exit_code = 2


class SearchError(AttiError):
    """A search query or filter the user gave cannot be understood (exit 2, like any bad input)."""

    exit_code = 2


class RenderError(AttiError):
    exit_code = 3


class ConverterMissing(RenderError):
    pass


class SigningError(AttiError):
    exit_code = 4


class PassphraseNeeded(SigningError):
    """Raised before any prompt, so that an interactive caller can ask and try again."""


class ServiceError(SigningError):
    """A TSA, OCSP responder or CRL server did not answer usefully: the service's fault, not the
    document's, so a batch stops at the first one instead of failing every document alike."""


class VerificationError(AttiError):
    exit_code = 5


class ArchiveError(AttiError):
    exit_code = 6


class ArchiveNotFound(ArchiveError):
    pass


class DuplicateNumber(ArchiveError):
    pass


class ActNotFound(ArchiveError):
    pass


class StorageError(ArchiveError):
    pass
