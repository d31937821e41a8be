"""Session secret and CSRF tokens.

The session itself is Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=Lax, Secure
when configured. It holds only the user's name and the CSRF token; the user's role is read back
from the users file on every request, so a changed role or a removed user takes effect at once.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from atti.files import write_error

SECRET_FILE = Path("web") / "session.key"


def session_secret(state_dir: Path) -> str:
    """The archive's session key, created once (mode 0600) and then always the same, so sessions
    survive a restart; O_EXCL makes two servers starting together agree on one key."""
    path = state_dir / SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise write_error(exc, f"the session key {path}") from None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise write_error(exc, f"the session key {path}") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
        out.flush()
        os.fsync(out.fileno())
    return key


def csrf_token(session: dict[str, Any]) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: dict[str, Any], sent: object) -> bool:
    token = session.get("csrf")
    return isinstance(token, str) and isinstance(sent, str) and hmac.compare_digest(token, sent)
