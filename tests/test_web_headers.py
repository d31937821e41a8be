"""Every response of the web archive carries the security headers: pages, the API, downloads,
static files, redirects and every error (400, 403, 404, 405, a 500 of a bug included); and
``Cache-Control: no-store`` on whatever may depend on who asks. On both backends."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from starlette.testclient import TestClient

from atti import pipeline
from atti.acts import load_act
from atti.archive import Archive
from atti.web import WebConfig, create_app
from atti.web.app import WebArchive
from atti.web.headers import SECURITY_HEADERS, SESSION_COOKIE
from atti.web.users import UserStore

from .conftest import EXAMPLE

PASSWORD = "una password lunga"


def blank_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture()
def archive(archive_location: Path | str) -> Path | str:
    """One public act (sealed without LibreOffice: a blank PDF) and a user."""
    pipeline.init_archive(archive_location)
    act = load_act(EXAMPLE).act
    with Archive.open(archive_location) as arc:
        with arc.register_lock(act.registro, act.anno):
            numbered = act.with_numero(129)
            arc.seal(numbered, source=EXAMPLE.read_text(encoding="utf-8"), docx=b"docx", pdf=blank_pdf(),
                     firmatario="Fabrizio Ventrice")
        UserStore(arc.state_dir).add("ufficio", "officer", PASSWORD)
    return archive_location


@pytest.fixture()
def client(archive: Path | str) -> Iterator[TestClient]:
    with TestClient(create_app(WebConfig(archive=archive)), raise_server_exceptions=False) as c:
        yield c


LONG = " ".join(["proroga"] * 6000)

# (method, path, the status it answers): every route, every kind of answer.
ANSWERS = [
    ("GET", "/", 200),
    ("GET", "/?q=proroga", 200),
    ("GET", "/?anno=abc", 400),
    ("GET", f"/?q={LONG}", 400),
    ("GET", "/api/search?q=proroga", 200),
    ("GET", f"/api/search?q={LONG}", 400),
    ("GET", "/atti/DO-2026-129", 200),
    ("GET", "/api/atti/DO-2026-129", 200),
    ("GET", "/atti/DO-2026-129/pdf", 200),
    ("GET", "/atti/DO-2026-129/anteprima/1.png", 200),
    ("GET", "/atti/DO-2026-129/anteprima/9.png", 404),
    ("GET", "/atti/DO-2026-129/altro", 404),
    ("GET", "/atti/DO-2099-1", 404),
    ("GET", "/api/atti/DO-2099-1", 404),
    ("GET", "/non-esiste", 404),
    ("GET", "/accesso", 200),
    ("POST", "/accesso", 403),  # no CSRF token
    ("POST", "/uscita", 403),
    ("DELETE", "/", 405),
    ("POST", "/api/search", 405),
    ("GET", "/api/search/", 307),
    ("GET", "/static/style.css", 200),
    ("GET", "/static/manca.css", 404),
]


def assert_secured(response: object, *, stored: bool) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert {name: headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert headers.get("cache-control") == (None if stored else "no-store")


@pytest.mark.parametrize(("method", "path", "status"), ANSWERS, ids=[f"{m} {p[:40]} {s}" for m, p, s in ANSWERS])
def test_every_answer_carries_the_headers(client: TestClient, method: str, path: str, status: int) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == status
    # Only a public static file, asked without a session, may be kept by a cache.
    assert_secured(response, stored=path.startswith("/static/") and status == 200)


def test_a_static_file_asked_with_a_session_is_not_stored(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "anything")
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert_secured(response, stored=False)


def test_signing_in_and_what_follows_is_never_stored(client: TestClient) -> None:
    form = client.get("/accesso")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    assert_secured(form, stored=False)
    signed_in = client.post("/accesso", data={"nome": "ufficio", "password": PASSWORD, "csrf": csrf.group(1)},
                            follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=")
    assert_secured(signed_in, stored=False)
    static = client.get("/static/style.css")  # the session cookie goes with it now
    assert static.status_code == 200
    assert_secured(static, stored=False)


def test_the_500_of_a_bug_carries_them_too(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: WebArchive, request: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(WebArchive, "run_search", broken)
    for path in ("/", "/api/search"):
        response = client.get(path)
        assert (response.status_code, response.text) == (500, "Internal Server Error")
        assert_secured(response, stored=False)


def test_a_query_too_long_is_refused_alike_on_the_page_and_the_api(client: TestClient) -> None:
    message = "La ricerca è troppo lunga (47999 caratteri): usa al massimo 500 caratteri e 64 parole."
    assert client.get("/api/search", params={"q": LONG}).json() == {"error": message}
    page = client.get("/", params={"q": LONG})
    assert page.status_code == 400 and message in page.text
    words = " ".join(["atto"] * 65)
    assert client.get("/api/search", params={"q": words}).json() == {
        "error": "La ricerca è troppo lunga (65 parole): usa al massimo 500 caratteri e 64 parole."}
    assert client.get("/api/search", params={"q": " ".join(["atto"] * 64)}).status_code == 200
