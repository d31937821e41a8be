"""Server-side sessions and CSRF tokens.

The cookie ``atti_sessione`` holds only a random opaque id (256 bits); the server keeps its
SHA-256 with the user's name, the account's generation, the CSRF token and two times, in a small
SQLite database (for an archive in ./archive)::

    archive/web/sessions.sqlite    mode 0600, WAL: safe for several threads and processes

A session ends when:

- its owner signs out (the row is deleted), or signs in (the pre-sign-in id never survives:
  every change of user gets a new id);
- it has not been used for ``session_idle_minutes`` or is older than ``session_hours``;
- the account's generation changes: a new password and a removal end every session of the user
  (their rows are deleted too), and a user name removed and added again is a new account, so an
  old cookie never comes back to life.

A reader who never meets a form gets no cookie and costs no row: a session starts only when a
page hands out a CSRF token (the sign-in form).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser

from atti.config import Settings
from atti.errors import StorageError
from atti.files import PRIVATE_FILE, private_dir, write_error
from atti.i18n import _

SESSIONS_FILE = Path("web") / "sessions.sqlite"
COOKIE = "atti_sessione"
TOUCH_EVERY = 60.0  # seconds: last-seen is written at most this often, not on every request
# Sessions before sign-in (a sign-in form's CSRF token) kept at most: anyone can start one, so a
# flood of them evicts the oldest rather than filling the disk.
MAX_ANONYMOUS = 10_000

Clock = Callable[[], float]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,          -- SHA-256 of the cookie's id: a copy of this file signs nobody in
    user TEXT,                    -- NULL before sign-in (a session that only holds a CSRF token)
    generation TEXT NOT NULL,     -- the account's generation when the session began
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user);
CREATE INDEX IF NOT EXISTS sessions_by_seen ON sessions (seen);
CREATE INDEX IF NOT EXISTS sessions_by_created ON sessions (created);
CREATE TABLE IF NOT EXISTS attempts (
    key TEXT PRIMARY KEY,         -- 'user:NAME' or 'address:IP' (atti.web.signin)
    count INTEGER NOT NULL,
    last REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_last ON attempts (last);
"""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Session:
    user: str | None
    generation: str
    csrf: str
    created: float
    seen: float


class SessionStore:
    """The sessions database of an archive's state directory; one connection per thread."""

    def __init__(self, state_dir: Path, *, idle: float = 30 * 60, lifetime: float = 8 * 3600,
                 clock: Clock = time.time) -> None:
        self.path = state_dir / SESSIONS_FILE
        self.idle, self.lifetime, self.clock = idle, lifetime, clock
        self.max_anonymous = MAX_ANONYMOUS
        self._local = threading.local()

    def connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                private_dir(self.path.parent)
                # Made 0600 before SQLite opens it, so its -wal and -shm (which take the database
                # file's mode) are never readable by others. O_EXCL: only a file no connection of
                # this process can have open is opened and closed here (closing any descriptor of
                # an open database drops this process's locks on it: POSIX).
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
                db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
                # A database made by an earlier atti, before it made it 0600: chmod, never
                # open-and-close (see above).
                for path in (self.path, *(self.path.with_name(self.path.name + e) for e in ("-wal", "-shm"))):
                    if path.exists() and path.stat().st_mode & 0o077:
                        path.chmod(PRIVATE_FILE)
            except OSError as exc:
                raise write_error(exc, f"the sessions database {self.path}") from None
            except sqlite3.Error as exc:
                raise StorageError(_("cannot open the sessions database {path}: {reason}").format(
                    path=self.path, reason=exc)) from None
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- one session --------------------------------------------------------------------------

    def load(self, token: str) -> Session | None:
        """The live session the cookie's id names, its last-seen time moved on; None when there
        is none or it has timed out (then its row goes)."""
        now, key = self.clock(), _digest(token)
        db = self.connect()
        row = db.execute("SELECT user, generation, csrf, created, seen FROM sessions WHERE id = ?",
                         (key,)).fetchone()
        if row is None:
            return None
        session = Session(*row)
        if now - session.seen >= self.idle or now - session.created >= self.lifetime:
            db.execute("DELETE FROM sessions WHERE id = ?", (key,))
            return None
        if now - session.seen >= TOUCH_EVERY:
            db.execute("UPDATE sessions SET seen = ? WHERE id = ?", (now, key))
        return session

    def create(self, user: str | None, generation: str, csrf: str) -> str:
        """A new session; returns the id for the cookie (only its hash is kept)."""
        token, now = secrets.token_urlsafe(32), self.clock()
        db = self.connect()
        db.execute("INSERT INTO sessions (id, user, generation, csrf, created, seen) VALUES (?, ?, ?, ?, ?, ?)",
                   (_digest(token), user, generation, csrf, now, now))
        self.purge(now)
        if user is None:
            db.execute("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE user IS NULL"
                       " ORDER BY seen DESC LIMIT -1 OFFSET ?)", (self.max_anonymous,))
        return token

    def delete(self, token: str) -> None:
        self.connect().execute("DELETE FROM sessions WHERE id = ?", (_digest(token),))

    def set_csrf(self, token: str, csrf: str) -> None:
        self.connect().execute("UPDATE sessions SET csrf = ? WHERE id = ?", (csrf, _digest(token)))

    # -- a user's sessions --------------------------------------------------------------------

    def end_user(self, user: str) -> int:
        """End every session of ``user``; returns how many were live."""
        now = self.clock()
        live = self.count(user)
        self.connect().execute("DELETE FROM sessions WHERE user = ?", (user,))
        self.purge(now)
        return live

    def count(self, user: str) -> int:
        now = self.clock()
        (n,) = self.connect().execute(
            "SELECT count(*) FROM sessions WHERE user = ? AND seen > ? AND created > ?",
            (user, now - self.idle, now - self.lifetime)).fetchone()
        return int(n)

    def purge(self, now: float) -> None:
        """Forget the sessions that have timed out: the table holds live sessions only."""
        self.connect().execute("DELETE FROM sessions WHERE seen <= ? OR created <= ?",
                               (now - self.idle, now - self.lifetime))


def session_store(state_dir: Path, settings: Settings | None = None, clock: Clock = time.time) -> SessionStore:
    """The sessions of the archive with ``state_dir``, with the timeouts of ``settings``."""
    settings = settings or Settings()
    return SessionStore(state_dir, idle=settings.session_idle_minutes * 60.0,
                        lifetime=settings.session_hours * 3600.0, clock=clock)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: MutableMapping[str, Any], sent: object) -> bool:
    token = session.get("csrf")
    return isinstance(token, str) and isinstance(sent, str) and hmac.compare_digest(token, sent)


class SessionMiddleware:
    """Puts the request's session in ``scope["session"]`` (a dict: ``user``, ``csrf``) and, when the
    application changed it, stores it and sets or clears the cookie.

    A different ``user`` afterwards (signed in, signed out) always means a new id and the old
    row deleted. ``generation_of(name)`` is the account's current generation (None when there is
    no such user): a session whose generation differs has ended.
    """

    def __init__(self, app: ASGIApp, store: SessionStore, generation_of: Callable[[str], str | None],
                 secure: bool) -> None:
        self.app, self.store, self.generation_of = app, store, generation_of
        self.flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    def _load(self, token: str) -> Session | None:
        session = self.store.load(token)
        if session is not None and session.user is not None and session.generation != self.generation_of(session.user):
            self.store.delete(token)
            return None
        return session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = cookie_parser(dict(scope["headers"]).get(b"cookie", b"").decode("latin-1"))
        token = cookies.get(COOKIE) or None
        if token is not None and len(token) > 100:
            token = ""  # not one of ours: never looked up, cleared below
        loaded = await anyio.to_thread.run_sync(self._load, token) if token else None
        before: dict[str, Any] = {}
        if loaded is not None:
            before = {"csrf": loaded.csrf} | ({"user": loaded.user} if loaded.user is not None else {})
        session: dict[str, Any] = dict(before)
        scope["session"] = session

        async def send_with_cookie(message: Message) -> None:
            changed = session != before or (token is not None and loaded is None)
            if message["type"] == "http.response.start" and changed:
                cookie = await anyio.to_thread.run_sync(self._commit, token, loaded, before, session)
                if cookie is not None:
                    MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _commit(self, token: str | None, loaded: Session | None, before: dict[str, Any],
                 after: dict[str, Any]) -> str | None:
        """Stores what changed; the Set-Cookie value, if the cookie changes."""
        if loaded is not None and token and after.get("user") == before.get("user") and after:
            if after.get("csrf") != before.get("csrf"):
                self.store.set_csrf(token, csrf_token(after))
            return None
        if loaded is not None and token:
            self.store.delete(token)  # a change of user (or an emptied session): the old id dies
        if after.get("user") is not None or after.get("csrf") is not None:
            user = after.get("user")
            generation = after.get("generation") if user is not None else ""
            if user is not None and not isinstance(generation, str):
                generation = self.generation_of(user) or ""
            new = self.store.create(user, str(generation or ""), csrf_token(after))
            return f"{COOKIE}={new}; Max-Age={int(self.store.lifetime)}{self.flags}"
        if token is not None:  # signed out, timed out, or a cookie that names nothing
            return f"{COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT{self.flags}"
        return None
