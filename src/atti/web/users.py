"""The web archive's users: a name, a role, an argon2 password hash and a generation, kept in the
archive's state directory (for an archive in ./archive)::

    archive/web/users.json   {"users": {"name": {"role": "archivist", "hash": "$argon2id$...",
                                                  "generation": "..."}}}

A small JSON file rather than a table in the catalog: the catalog is the tamper-evident record of
acts, users are the web application's business. Written whole to a temporary file and renamed
into place (mode 0600), so a crash leaves the old file or the new one, never half of it.

The generation is random, new for each account and at each new password: a session remembers the
generation it began under (atti.web.session), so a new password or a removal ends every session
of the user, and a name removed and added again never revives an old cookie.

A password has at least :data:`MIN_PASSWORD` characters, is not the user's name and is not on the
list of common passwords shipped with atti (``common-passwords.txt.gz``: the 20,000 passwords
Django ships, from Royce Williams' list of the most common ones in breaches; BSD licence).
"""

from __future__ import annotations

import gzip
import json
import re
import secrets
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from atti.archive.archive import Archive
from atti.config import Settings
from atti.errors import AttiError, UserError
from atti.files import PRIVATE_FILE, private_dir, write_atomic, write_error
from atti.i18n import _
from atti.web.session import SessionStore, session_store

ROLES = ("officer", "reviewer", "archivist", "admin")
USERS_FILE = Path("web") / "users.json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes any length; a megabyte "password" is only a way to waste time

_HASHER = PasswordHasher()
# Compared against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("atti: no such user")


@cache
def common_passwords() -> frozenset[str]:
    data = files("atti.web").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def password_problem(name: str, password: str) -> str | None:
    """Why ``password`` will not do for ``name``, or None."""
    if len(password) < MIN_PASSWORD:
        return _("the password must have at least {count} characters").format(count=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("the password must have at most {count} characters").format(count=MAX_PASSWORD)
    if password.strip().lower() == name.lower():
        return _("the password must not be the user name")
    if password.strip().lower() in common_passwords():
        return _("the password is one of the most common ones: choose another")
    return None


@dataclass(frozen=True)
class User:
    name: str
    role: str
    generation: str = field(default="", compare=False, repr=False)


class UserStore:
    def __init__(self, state_dir: Path, sessions: SessionStore | None = None) -> None:
        self.path = state_dir / USERS_FILE
        self.sessions = sessions or session_store(state_dir)

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            unreadable = _("cannot read the users file {path}: {reason}")
            raise AttiError(unreadable.format(path=self.path, reason=exc)) from None
        users = data.get("users") if isinstance(data, dict) else None
        return users if isinstance(users, dict) else {}

    def _write(self, users: dict[str, dict[str, str]]) -> None:
        text = json.dumps({"users": users}, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        try:
            private_dir(self.path.parent)
            write_atomic(self.path, text.encode("utf-8"), mode=PRIVATE_FILE)
        except OSError as exc:
            raise write_error(exc, f"the users file {self.path}") from None

    @staticmethod
    def _user(name: str, entry: object) -> User | None:
        if not isinstance(entry, dict) or entry.get("role") not in ROLES:
            return None
        return User(name, entry["role"], str(entry.get("generation", "")))

    def _existing(self, users: dict[str, dict[str, str]], name: str) -> dict[str, str]:
        entry = users.get(name)
        if self._user(name, entry) is None or not isinstance(entry, dict):
            raise UserError(_("no user '{name}' in {path}").format(name=name, path=self.path))
        return entry

    def add(self, name: str, role: str, password: str) -> tuple[User, bool]:
        """Add the user, or give an existing one a new role and password (which ends their
        sessions); says whether it was new."""
        if not _NAME.fullmatch(name):
            raise UserError(_("'{name}' is not a user name: letters, digits and . _ @ - (up to 64)").format(name=name))
        if role not in ROLES:
            raise UserError(_("'{role}' is not a role: choose one of {roles}").format(
                role=role, roles=", ".join(ROLES)))
        if (problem := password_problem(name, password)) is not None:
            raise UserError(problem)
        users = self._read()
        created = name not in users
        users[name] = {"role": role, "hash": _HASHER.hash(password), "generation": secrets.token_urlsafe(16)}
        self._write(users)
        self.sessions.end_user(name)
        return User(name, role, users[name]["generation"]), created

    def passwd(self, name: str, password: str) -> int:
        """Give ``name`` a new password; ends every session of theirs and says how many."""
        users = self._read()
        entry = self._existing(users, name)
        if (problem := password_problem(name, password)) is not None:
            raise UserError(problem)
        entry.update(hash=_HASHER.hash(password), generation=secrets.token_urlsafe(16))
        self._write(users)
        return self.sessions.end_user(name)

    def remove(self, name: str) -> int:
        """Remove ``name``; ends every session of theirs and says how many."""
        users = self._read()
        self._existing(users, name)
        del users[name]
        self._write(users)
        return self.sessions.end_user(name)

    def get(self, name: str) -> User | None:
        return self._user(name, self._read().get(name))

    def generation(self, name: str) -> str | None:
        """The account's generation, None when there is no such user (atti.web.session)."""
        user = self.get(name)
        return None if user is None else user.generation

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is theirs, else None (the same answer for an unknown name)."""
        entry = self._read().get(name)
        stored = entry.get("hash") if isinstance(entry, dict) else None
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD + 1])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return self._user(name, entry) if stored is not None else None

    def list(self) -> list[User]:
        return [u for n, e in sorted(self._read().items()) if (u := self._user(n, e)) is not None]


def _store(archive: Archive, settings: Settings | None) -> UserStore:
    return UserStore(archive.state_dir, session_store(archive.state_dir, settings))


def add_user(archive: Archive, name: str, role: str, password: str,
             settings: Settings | None = None) -> tuple[User, bool]:
    """``atti user add``: add (or update) a user of ``archive``, kept in its state directory."""
    return _store(archive, settings).add(name, role, password)


def change_password(archive: Archive, name: str, password: str, settings: Settings | None = None) -> int:
    """``atti user passwd``: a new password for ``name``; returns the sessions it ended."""
    return _store(archive, settings).passwd(name, password)


def remove_user(archive: Archive, name: str, settings: Settings | None = None) -> int:
    """``atti user remove``: ``name`` may no longer sign in; returns the sessions it ended."""
    return _store(archive, settings).remove(name)


def list_users(archive: Archive, settings: Settings | None = None) -> list[tuple[User, int]]:
    """``atti user list``: every user with the number of their live sessions."""
    store = _store(archive, settings)
    return [(user, store.sessions.count(user.name)) for user in store.list()]
