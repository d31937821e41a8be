"""Signing in within limits, with an audit log.

- **Per account and per client address**, attempts are counted in the sessions database (so the
  limits hold across threads and processes). Past ``free`` attempts, each further one must wait
  ``base * 2**(count - free)`` seconds after the last, up to ``cap``; a refused attempt is
  answered at once (no hashing) and is not counted, so every wait ends. A successful sign-in
  clears the account's count and takes back its own attempt from the address's; the counts are
  forgotten after ``forget`` seconds without attempts.
- **Concurrent hashing is bounded** (:data:`HASHING`, per process): argon2 takes 64 MiB and tens
  of milliseconds per password on purpose, so an attempt that finds every slot taken is answered
  "busy" at once instead of queueing, and memory stays bounded under a burst.
- **Audit**: every attempt is one JSON line in ``web/signins.jsonl`` (mode 0600) and one record of
  the ``atti.web.signin`` logger: time, user name, client address, outcome (``ok``, ``wrong``,
  ``refused``, ``busy``). Never the password.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from atti.files import PRIVATE_FILE, private_dir, write_error
from atti.web.session import Clock, SessionStore
from atti.web.users import User, UserStore

AUDIT_FILE = Path("web") / "signins.jsonl"
HASHING = 2  # passwords hashed at once, per process
_NAME_SHOWN = 100  # characters of a typed name kept in keys and the log: the form field has no bound

log = logging.getLogger("atti.web.signin")


@dataclass(frozen=True)
class Limit:
    free: int  # attempts without waiting
    base: float  # seconds of the first wait
    cap: float  # the longest wait
    forget: float  # seconds without attempts after which the count starts again

    def wait(self, count: int, last: float, now: float) -> float:
        """Seconds still to wait before the next attempt, after ``count`` attempts, the last at ``last``."""
        if count < self.free or now - last >= self.forget:
            return 0.0
        return max(0.0, last + min(self.base * 2.0 ** (count - self.free), self.cap) - now)


ACCOUNT = Limit(free=5, base=1.0, cap=15 * 60.0, forget=3600.0)
ADDRESS = Limit(free=20, base=1.0, cap=3600.0, forget=6 * 3600.0)


@dataclass(frozen=True)
class Outcome:
    """A sign-in's answer: the user, or why not (``retry_after`` seconds for a refusal)."""

    user: User | None
    result: str  # ok, wrong, refused, busy
    retry_after: int = 0


class SignIn:
    def __init__(self, users: UserStore, sessions: SessionStore, state_dir: Path, *, clock: Clock = time.time,
                 hashing: int = HASHING) -> None:
        self.users, self.sessions, self.clock = users, sessions, clock
        self.audit_path = state_dir / AUDIT_FILE
        self.hashing = threading.BoundedSemaphore(hashing)
        self._audit_lock = threading.Lock()

    def attempt(self, name: str, password: str, address: str) -> Outcome:
        """Check ``password`` for ``name`` from ``address`` within the limits; audited."""
        name = name[:_NAME_SHOWN]
        keys = {f"user:{name}": ACCOUNT, f"address:{address}": ADDRESS}
        if not self.hashing.acquire(blocking=False):
            return self._audit(Outcome(None, "busy", 1), name, address)
        try:
            wait = self._reserve(keys)
            if wait > 0:
                return self._audit(Outcome(None, "refused", math.ceil(wait)), name, address)
            user = self.users.authenticate(name, password)
        finally:
            self.hashing.release()
        if user is None:
            return self._audit(Outcome(None, "wrong"), name, address)
        self._succeeded(f"user:{name}", f"address:{address}")
        return self._audit(Outcome(user, "ok"), name, address)

    def _reserve(self, keys: dict[str, Limit]) -> float:
        """The longest wait any key still owes; when none, counts this attempt against every key
        (in one transaction, so concurrent attempts cannot all slip through together)."""
        now = self.clock()
        db = self.sessions.connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            rows: dict[str, tuple[int, float]] = {
                key: db.execute("SELECT count, last FROM attempts WHERE key = ?", (key,)).fetchone() or (0, now)
                for key in keys}
            wait = max(limit.wait(rows[key][0], rows[key][1], now) for key, limit in keys.items())
            if wait <= 0:
                for key, limit in keys.items():
                    count, last = rows[key]
                    count = 0 if now - last >= limit.forget else count
                    db.execute("INSERT OR REPLACE INTO attempts (key, count, last) VALUES (?, ?, ?)",
                               (key, count + 1, now))
            db.execute("DELETE FROM attempts WHERE last < ?", (now - max(ACCOUNT.forget, ADDRESS.forget),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return wait

    def _succeeded(self, account: str, address: str) -> None:
        db = self.sessions.connect()
        db.execute("DELETE FROM attempts WHERE key = ?", (account,))
        db.execute("UPDATE attempts SET count = max(count - 1, 0) WHERE key = ?", (address,))

    def _audit(self, outcome: Outcome, name: str, address: str) -> Outcome:
        when = datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")
        line = json.dumps({"time": when, "user": name, "address": address, "outcome": outcome.result},
                          ensure_ascii=False) + "\n"
        (log.info if outcome.result == "ok" else log.warning)(
            "sign-in %s: user %r from %s", outcome.result, name, address)
        with self._audit_lock:
            try:
                private_dir(self.audit_path.parent)
                fd = os.open(self.audit_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
                try:
                    os.write(fd, line.encode("utf-8", "backslashreplace"))
                finally:
                    os.close(fd)
            except OSError as exc:
                raise write_error(exc, f"the sign-in log {self.audit_path}") from None
        return outcome
