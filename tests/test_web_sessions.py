"""Sessions that end, sign-in limits, the users' commands and Secure cookies (issue 14).

Each test has its own archive (no acts: who is signed in shows in the page's header), on both
backends, and a clock of its own: the web application's clock is injected, so timeouts and
waits are counted, never slept.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from atti.config import load_settings
from atti.web import WebConfig, create_app
from atti.web.app import secure_cookies
from atti.web.session import COOKIE, SESSIONS_FILE, SessionStore
from atti.web.signin import ACCOUNT, ADDRESS, SignIn
from atti.web.users import MIN_PASSWORD, UserStore, common_passwords

from .conftest import Atti
from .test_web import csrf_of

PASSWORD = "parola-d-ordine-1"
OTHER = "un-altra-parola-2"
START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def archive(archive_location: Path | str) -> Path | str:
    from atti import pipeline

    pipeline.init_archive(archive_location)
    return archive_location


@pytest.fixture()
def state(archive: Path | str) -> Path:
    from atti.archive import Archive

    with Archive.open(archive) as arc:
        store = UserStore(arc.state_dir)
        store.add("archivista", "archivist", PASSWORD)
        store.add("revisore", "reviewer", PASSWORD)
        return arc.state_dir


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def app(archive: Path | str, state: Path, clock: Clock) -> Any:
    return create_app(WebConfig(archive=archive), clock=clock)


@pytest.fixture()
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def sign_in(client: TestClient, name: str = "archivista", password: str = PASSWORD) -> Any:
    return client.post("/accesso", data={"nome": name, "password": password, "csrf": csrf_of(client)},
                       follow_redirects=False)


def who(client: TestClient) -> str | None:
    """The name the page's header shows as signed in, None for the public."""
    html = client.get("/").text
    if '<span class="who">' not in html:
        return None
    return html.split('<span class="who">', 1)[1].split(" ", 1)[0]


def with_cookie(app: Any, token: str) -> TestClient:
    return TestClient(app, cookies={COOKIE: token})


def rows(state: Path, sql: str = "SELECT user FROM sessions") -> list[tuple[Any, ...]]:
    with sqlite3.connect(state / SESSIONS_FILE) as db:
        return db.execute(sql).fetchall()


# -- sessions --------------------------------------------------------------------------------------


def test_sign_in_gives_a_new_id_and_the_old_one_dies(app: Any, client: TestClient, state: Path) -> None:
    csrf_of(client)
    before = client.cookies[COOKIE]
    assert rows(state) == [(None,)]
    assert sign_in(client).status_code == 303
    after = client.cookies[COOKIE]
    assert after != before and who(client) == "archivista"
    assert rows(state) == [("archivista",)]
    with with_cookie(app, before) as attacker:  # a fixed pre-sign-in id gives the attacker nothing
        assert who(attacker) is None
    # Only a hash of the id is kept: the database alone signs nobody in.
    data = b"".join(p.read_bytes() for p in (state / "web").glob("sessions.sqlite*"))
    assert after.encode() not in data and before.encode() not in data


def test_sign_out_ends_the_session_on_the_server(app: Any, client: TestClient, state: Path) -> None:
    sign_in(client)
    token = client.cookies[COOKIE]
    answer = client.post("/uscita", data={"csrf": csrf_of(client, "/")}, follow_redirects=False)
    assert answer.status_code == 303
    assert f"{COOKIE}=;" in answer.headers["set-cookie"] and "Max-Age=0" in answer.headers["set-cookie"]
    assert rows(state) == []
    with with_cookie(app, token) as replay:
        assert who(replay) is None


def test_new_password_ends_every_session_of_the_user(app: Any, state: Path) -> None:
    with TestClient(app) as one, TestClient(app) as two, TestClient(app) as other:
        sign_in(one), sign_in(two), sign_in(other, "revisore")
        assert (who(one), who(two), who(other)) == ("archivista", "archivista", "revisore")
        assert UserStore(state).passwd("archivista", OTHER) == 2
        assert (who(one), who(two), who(other)) == (None, None, "revisore")
        assert sign_in(one, password=PASSWORD).status_code == 401
        assert sign_in(one, password=OTHER).status_code == 303 and who(one) == "archivista"


def test_a_removed_user_name_added_again_revives_no_cookie(app: Any, client: TestClient, state: Path) -> None:
    sign_in(client)
    token = client.cookies[COOKIE]
    store = UserStore(state)
    assert store.remove("archivista") == 1
    assert who(client) is None
    # The old row is gone; even if it were not, the new account's generation differs.
    store.add("archivista", "admin", PASSWORD)
    with with_cookie(app, token) as replay:
        assert who(replay) is None


def test_a_session_of_an_older_generation_is_refused_even_with_its_row(
    app: Any, client: TestClient, state: Path
) -> None:
    """Belt and braces: a row the removal could not delete (another machine's copy) still fails."""
    sign_in(client)
    users = json.loads((state / "web" / "users.json").read_text())
    users["users"]["archivista"]["generation"] = "another-account"
    (state / "web" / "users.json").write_text(json.dumps(users))
    assert who(client) is None
    assert rows(state) == []


def test_idle_timeout(client: TestClient, clock: Clock, state: Path) -> None:
    sign_in(client)
    for _ in range(3):  # used every 29 minutes, it lives on
        clock.advance(29 * 60)
        assert who(client) == "archivista"
    clock.advance(30 * 60)
    answer = client.get("/")
    assert '<span class="who">' not in answer.text and "Max-Age=0" in answer.headers["set-cookie"]
    assert rows(state) == []


def test_absolute_timeout(client: TestClient, clock: Clock) -> None:
    sign_in(client)
    for _ in range(8 * 3 - 1):  # busy all day, every 20 minutes
        clock.advance(20 * 60)
        assert who(client) == "archivista"
    clock.advance(20 * 60)  # 8 hours after signing in
    assert who(client) is None


def test_timeouts_are_settings(archive: Path | str, state: Path, clock: Clock) -> None:
    settings = load_settings({"archive": archive, "session_idle_minutes": 5, "session_hours": 1})
    with TestClient(create_app(WebConfig(archive=archive, settings=settings), clock=clock)) as c:
        sign_in(c)
        clock.advance(4 * 60)
        assert who(c) == "archivista"
        clock.advance(5 * 60)
        assert who(c) is None


def test_public_reader_gets_no_cookie_and_costs_no_row(client: TestClient, state: Path) -> None:
    for path in ("/", "/?q=proroga", "/api/search"):
        assert "set-cookie" not in client.get(path).headers
    assert rows(state) == []


def test_sessions_before_sign_in_are_bounded(app: Any, client: TestClient, clock: Clock, state: Path) -> None:
    app.state.web.sessions.max_anonymous = 3
    sign_in(client)
    forms, tokens = [TestClient(app) for _ in range(5)], []
    for form in forms:
        clock.advance(1)
        tokens.append(csrf_of(form))
    # The three newest forms keep their sessions, the signed-in user theirs.
    assert sorted(rows(state), key=str) == [("archivista",), (None,), (None,), (None,)]
    assert who(client) == "archivista"
    # Newest first: a refused form's page hands out a new token, which would evict another.
    for form, token, expected in reversed(list(zip(forms, tokens, (403, 403, 303, 303, 303), strict=True))):
        answer = form.post("/accesso", data={"nome": "revisore", "password": PASSWORD, "csrf": token},
                           follow_redirects=False)
        assert answer.status_code == expected


@pytest.mark.parametrize("token", ["nessuna", "x" * 5000])
def test_a_cookie_that_names_no_session_is_cleared(app: Any, token: str, state: Path) -> None:
    with with_cookie(app, token) as c:
        answer = c.get("/")
        assert answer.status_code == 200 and "Max-Age=0" in answer.headers["set-cookie"]
        assert '<span class="who">' not in answer.text


def test_sessions_database_is_owner_only(client: TestClient, state: Path, tmp_path: Path) -> None:
    sign_in(client)
    assert stat.S_IMODE((state / SESSIONS_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "web").stat().st_mode) == 0o700
    old = os.umask(0)  # whatever the umask
    try:
        store = SessionStore(tmp_path)
        store.create("archivista", "g", "c")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "web").iterdir()}
    assert modes == {"sessions.sqlite": 0o600, "sessions.sqlite-wal": 0o600, "sessions.sqlite-shm": 0o600}
    assert stat.S_IMODE((tmp_path / "web").stat().st_mode) == 0o700
    store.close()


# -- sign-in limits --------------------------------------------------------------------------------


class Hashes:
    """Counts the passwords checked (each an argon2 hash)."""

    def __init__(self, store: UserStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = store.authenticate

        def counted(name: str, password: str) -> Any:
            self.count += 1
            return real(name, password)

        monkeypatch.setattr(store, "authenticate", counted)


def test_account_waits_grow_refusals_are_immediate_and_every_wait_ends(
    app: Any, client: TestClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = Hashes(app.state.web.users, monkeypatch)
    for _ in range(ACCOUNT.free):
        assert sign_in(client, password="sbagliata-123").status_code == 401
    waits = []
    for _ in range(12):
        refused = sign_in(client)  # the right password, too soon: refused without hashing
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        assert f"Troppi tentativi di accesso: riprova tra {wait} secondi." in refused.text
        waits.append(wait)
        clock.advance(wait)
        assert sign_in(client, password="sbagliata-123").status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]  # capped at 15 minutes
    assert hashes.count == ACCOUNT.free + 12
    clock.advance(900)
    assert sign_in(client).status_code == 303  # the right password once the wait is over
    assert hashes.count == ACCOUNT.free + 13


def test_success_clears_the_account_count(client: TestClient) -> None:
    for _ in range(ACCOUNT.free - 1):
        assert sign_in(client, password="sbagliata-123").status_code == 401
    assert sign_in(client).status_code == 303
    for _ in range(ACCOUNT.free):
        assert sign_in(client, password="sbagliata-123").status_code == 401


def test_address_limit_does_not_lock_the_account_elsewhere(app: Any, clock: Clock) -> None:
    attacker, user = TestClient(app, client=("203.0.113.7", 5000)), TestClient(app, client=("198.51.100.2", 6000))
    with attacker, user:
        for n in range(ADDRESS.free):  # one try each for many names: no account reaches its limit
            assert sign_in(attacker, f"nome{n}", "sbagliata-123").status_code == 401
        assert sign_in(attacker, "archivista").status_code == 429
        assert sign_in(user, "archivista").status_code == 303  # from elsewhere, the account is open
        clock.advance(1)
        assert sign_in(attacker, "archivista").status_code == 303  # and the address's wait ends


def test_concurrent_attempts_cannot_slip_past_the_limit(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = UserStore(state)
    signin = SignIn(store, store.sessions, state, clock=Clock(), hashing=ACCOUNT.free * 3)
    hashes = Hashes(store, monkeypatch)
    outcomes: list[str] = []
    start = threading.Barrier(ACCOUNT.free * 3)

    def attempt() -> None:
        start.wait()
        outcomes.append(signin.attempt("archivista", "sbagliata-123", "192.0.2.1").result)

    threads = [threading.Thread(target=attempt) for _ in range(ACCOUNT.free * 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Each attempt is counted before its hash, in one transaction: exactly `free` get through.
    assert sorted(outcomes) == ["refused"] * (ACCOUNT.free * 2) + ["wrong"] * ACCOUNT.free
    assert hashes.count == ACCOUNT.free


def test_hashing_is_bounded_and_a_full_house_answers_at_once(
    app: Any, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = Hashes(app.state.web.users, monkeypatch)
    semaphore = app.state.web.signin.hashing
    assert semaphore.acquire(blocking=False) and semaphore.acquire(blocking=False)  # two hashing now
    try:
        busy = sign_in(client)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert "Troppi accessi in corso: riprova tra qualche secondo." in busy.text
        assert hashes.count == 0
    finally:
        semaphore.release(), semaphore.release()
    assert sign_in(client).status_code == 303  # a busy answer is not counted as an attempt


def test_sign_ins_are_audited_without_passwords(
    client: TestClient, state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="atti.web.signin"):
        sign_in(client, password="sbagliata-123")
        sign_in(client, "nessuno\nfalso", PASSWORD)
        sign_in(client)
    path = state / "web" / "signins.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(e["user"], e["address"], e["outcome"]) for e in lines] == [
        ("archivista", "testclient", "wrong"), ("nessuno\nfalso", "testclient", "wrong"),
        ("archivista", "testclient", "ok")]
    assert all(e["time"] == "2027-01-15T08:00:00+00:00" for e in lines)
    text = path.read_text(encoding="utf-8") + caplog.text
    assert "sbagliata" not in text and PASSWORD not in text
    assert [r.getMessage() for r in caplog.records] == [
        "sign-in wrong: user 'archivista' from testclient", "sign-in wrong: user 'nessuno\\nfalso' from testclient",
        "sign-in ok: user 'archivista' from testclient"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- passwords -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "password", "error"), [
    ("nuovo", "x" * (MIN_PASSWORD - 1), f"la password deve avere almeno {MIN_PASSWORD} caratteri"),
    ("nuovo", "q1w2e3r4t5y6", "la password è tra le più comuni: scegline un'altra"),
    ("nuovo", "QWERTY123456", "la password è tra le più comuni: scegline un'altra"),
    ("amministratore", "Amministratore", "la password non può essere il nome utente"),
])
def test_weak_passwords_are_refused(state: Path, name: str, password: str, error: str) -> None:
    from atti.errors import UserError

    with pytest.raises(UserError) as refused:
        UserStore(state).add(name, "admin", password)
    assert refused.value.msg == error
    assert UserStore(state).get(name) is None


def test_common_password_list_is_shipped() -> None:
    common = common_passwords()
    assert len(common) > 19_000 and "password" in common and "q1w2e3r4t5y6" in common


# -- the users' commands ---------------------------------------------------------------------------


def test_user_commands(atti: Atti, archive: Path | str, state: Path, app: Any) -> None:
    with TestClient(app) as c:
        sign_in(c), sign_in(TestClient(app))
        result = atti("user", "list", "--archive", archive)
        assert (result.exit_code, result.output) == (
            0, "archivista\tarchivist\t2 sessioni\nrevisore\treviewer\t0 sessioni\n")
        result = atti("user", "passwd", "archivista", "--archive", archive, input=OTHER + "\n")
        assert (result.exit_code, result.output) == (0, "Cambiata la password di archivista; chiuse 2 sessioni\n")
        assert who(c) is None
        assert sign_in(c, password=OTHER).status_code == 303
    assert UserStore(state).authenticate("archivista", OTHER) is not None
    result = atti("user", "passwd", "archivista", "--archive", archive, input="corta\n")
    assert (result.exit_code, result.output) == (
        2, f"Errore: la password deve avere almeno {MIN_PASSWORD} caratteri\n")
    result = atti("user", "passwd", "archivista", "--archive", archive, input="")
    assert (result.exit_code, result.output) == (
        2, "Errore: nessuna password: scrivila sullo standard input, in ATTI_USER_PASSWORD o alla "
           "richiesta in un terminale\n")
    result = atti("user", "passwd", "nessuno", "--archive", archive, input=OTHER + "\n")
    assert (result.exit_code, result.output) == (
        2, f"Errore: nessun utente 'nessuno' in {state / 'web' / 'users.json'}\n")
    result = atti("user", "add", "nuovo", "--role", "officer", "--archive", archive, input=OTHER + "\n")
    assert (result.exit_code, result.output) == (0, "Aggiunto l'utente nuovo (officer)\n")
    result = atti("user", "remove", "archivista", "--archive", archive)
    assert (result.exit_code, result.output) == (0, "Rimosso l'utente archivista; chiusa 1 sessione\n")
    result = atti("user", "remove", "archivista", "--archive", archive)
    assert (result.exit_code, result.output) == (
        2, f"Errore: nessun utente 'archivista' in {state / 'web' / 'users.json'}\n")
    result = atti("user", "list", "--archive", archive)
    assert (result.exit_code, result.output) == (0, "nuovo\tofficer\t0 sessioni\nrevisore\treviewer\t0 sessioni\n")


# -- Secure cookies --------------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "secure"), [
    ("127.0.0.1", False), ("127.3.2.1", False), ("::1", False), ("[::1]", False), ("localhost", False),
    ("0.0.0.0", True), ("::", True), ("192.168.1.10", True), ("atti.example.it", True),
])
def test_cookies_are_secure_unless_served_on_loopback(host: str, secure: bool) -> None:
    assert secure_cookies(WebConfig(archive="x", host=host)) is secure
    assert secure_cookies(WebConfig(archive="x", host=host, secure_cookies=True)) is True
    assert secure_cookies(WebConfig(archive="x", host=host, secure_cookies=False)) is False


def test_cookie_on_a_public_address_is_secure(archive: Path | str, state: Path) -> None:
    with TestClient(create_app(WebConfig(archive=archive, host="0.0.0.0")), base_url="https://testserver") as c:
        cookie = sign_in(c).headers["set-cookie"]
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
        assert who(c) == "archivista"


def test_serve_refuses_contradictory_cookie_flags(atti: Atti, archive: Path | str) -> None:
    result = atti("serve", "--archive", archive, "--secure-cookies", "--insecure-cookies")
    assert (result.exit_code, result.output) == (
        2, "Errore: --secure-cookies e --insecure-cookies si contraddicono: indicane uno\n")
