"""The web archive's users: a name, a role and an argon2 password hash, kept in the archive's
state directory (for an archive in ./archive)::

    archive/web/users.json   {"users": {"name": {"role": "archivist", "hash": "$argon2id$..."}}}

A small JSON file rather than a table in the catalog: the catalog is the tamper-evident record of
acts, users are the web application's business. Written whole to a temporary file and renamed
into place (mode 0600), so a crash leaves the old file or the new one, never half of it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from atti.archive.archive import Archive
from atti.errors import AttiError, UserError
from atti.files import write_atomic, write_error

ROLES = ("officer", "reviewer", "archivist", "admin")
USERS_FILE = Path("web") / "users.json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 8

_HASHER = PasswordHasher()
# Compared against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("atti: no such user")


@dataclass(frozen=True)
class User:
    name: str
    role: str


class UserStore:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / USERS_FILE

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise AttiError(f"cannot read the users file {self.path}: {exc}") from None
        users = data.get("users") if isinstance(data, dict) else None
        return users if isinstance(users, dict) else {}

    def _write(self, users: dict[str, dict[str, str]]) -> None:
        text = json.dumps({"users": users}, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(self.path, text.encode("utf-8"), mode=0o600)
        except OSError as exc:
            raise write_error(exc, f"the users file {self.path}") from None

    def add(self, name: str, role: str, password: str) -> tuple[User, bool]:
        """Add the user, or give an existing one a new role and password; says whether it was new."""
        if not _NAME.fullmatch(name):
            raise UserError(f"'{name}' is not a user name: letters, digits and . _ @ - (up to 64)")
        if role not in ROLES:
            raise UserError(f"'{role}' is not a role: choose one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
        users = self._read()
        created = name not in users
        users[name] = {"role": role, "hash": _HASHER.hash(password)}
        self._write(users)
        return User(name, role), created

    def get(self, name: str) -> User | None:
        entry = self._read().get(name)
        if not isinstance(entry, dict) or entry.get("role") not in ROLES:
            return None
        return User(name, entry["role"])

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is theirs, else None (the same answer for an unknown name)."""
        entry = self._read().get(name)
        stored = entry.get("hash") if isinstance(entry, dict) else None
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if stored is None or not isinstance(entry, dict) or entry.get("role") not in ROLES:
            return None
        return User(name, entry["role"])

    def list(self) -> list[User]:
        return [User(n, e["role"]) for n, e in sorted(self._read().items()) if e.get("role") in ROLES]


def add_user(archive: Archive, name: str, role: str, password: str) -> tuple[User, bool]:
    """``atti user add``: add (or update) a user of ``archive``, kept in its state directory."""
    return UserStore(archive.state_dir).add(name, role, password)
