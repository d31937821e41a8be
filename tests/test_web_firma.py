"""The officer's batch publication on the web: drafts ready to publish, signed with the configured
remote key over the CSC API (tests/cscserver.py) with one OTP for all ("firma massiva")."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from atti.archive import Archive
from atti.config import CSCProvider, Settings
from atti.signing import verify_pdf
from atti.web import WebConfig, create_app

from .conftest import EXAMPLE
from .cscserver import CLIENT_SECRET, CSCTestServer
from .livepki import LivePKI
from .test_csc import fresh, live, server  # noqa: F401 (the CSC test server's fixtures)

PASSWORD = "parola-d-ordine-1"
USERS = {"funzionaria": "officer", "revisore": "reviewer"}



@pytest.fixture()
def site(
    libreoffice: str, live: LivePKI, fresh: CSCTestServer, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[TestClient, Path, list[str], Settings]]:
    from atti import pipeline
    from atti.acts import load_act_text
    from atti.web.users import UserStore

    monkeypatch.setenv("ATTI_CSC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.delenv("ATTI_CSC_OTP", raising=False)
    monkeypatch.delenv("ATTI_DEVELOPMENT", raising=False)
    root = tmp_path / "archive"
    pipeline.init_archive(root, trust=[live.root_pem()])
    settings = Settings(archive=root, csc={"prova": CSCProvider(**fresh.provider("v1"))}, remote="prova:ventrice")
    ids = []
    with Archive.open(root) as arc:
        for n in (1, 2):
            text = EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", "# numbered when published ")
            text += f"\n# bozza {n}\n"
            draft, _ = arc.save_draft(load_act_text(text, f"bozza-{n}.yaml", check=False).act, text)
            arc.submit_draft(draft.id)
            ids.append(draft.id)
        arc.save_draft(load_act_text(text, "bozza-3.yaml", check=False).act, text + "# mai inviata\n")
        store = UserStore(arc.state_dir)
        for name, role in USERS.items():
            store.add(name, role, PASSWORD)
    with TestClient(create_app(WebConfig(archive=root, settings=settings))) as client:
        yield client, root, ids, settings


def csrf_of(client: TestClient, path: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert m, "the page has no CSRF field"
    return m.group(1)


def sign_in(client: TestClient, name: str) -> None:
    answer = client.post("/accesso", data={"nome": name, "password": PASSWORD, "csrf": csrf_of(client, "/accesso")},
                         follow_redirects=False)
    assert answer.status_code == 303


def own_otp(service: CSCTestServer) -> str:
    """An OTP the service accepts, distinctive enough to look for everywhere afterwards."""
    otp = "otp-" + secrets.token_hex(8)
    service.credentials["ventrice"].otps.add(otp)
    return otp


def every_file(*roots: Path) -> bytes:
    return b"".join(p.read_bytes() for r in roots for p in r.rglob("*") if p.is_file())


@pytest.mark.libreoffice
def test_two_drafts_published_with_one_otp(
    site: tuple[TestClient, Path, list[str], Settings], live: LivePKI, fresh: CSCTestServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, root, ids, _settings = site
    caplog.set_level(logging.DEBUG)
    sign_in(client, "funzionaria")
    page = client.get("/firma")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.text and 'type="password"' in page.text
    assert all(i in page.text for i in ids) and page.text.count('name="bozze"') == 2  # not the bozza
    otp = own_otp(fresh)
    answer = client.post("/firma", data={"csrf": csrf_of(client, "/firma"), "bozze": ids, "otp": otp})
    assert answer.status_code == 200, answer.text
    assert "Esito della firma" in answer.text and answer.text.count("pubblicata come") == 2
    assert fresh.calls["credentials/authorize"] == 1
    assert otp not in answer.text
    with Archive.open(root) as arc:
        published = [r for r in arc.catalog.all() if r.numero is not None]
        assert len(published) == 2
        for record in published:
            assert f'href="/atti/{record.id}"' in answer.text
            report = verify_pdf(arc.blobs.get(record.pdf), [live.root])
            assert (report.indication, report.signer) == ("TOTAL_PASSED", "Fabrizio Ventrice")
    assert otp.encode() not in every_file(root)
    assert otp not in caplog.text


@pytest.mark.libreoffice
def test_a_wrong_otp_stores_nothing(
    site: tuple[TestClient, Path, list[str], Settings], fresh: CSCTestServer,  # noqa: F811
) -> None:
    client, root, ids, _settings = site
    sign_in(client, "funzionaria")
    before = sorted(str(p) for p in root.rglob("*") if p.is_file() and "blobs" in p.parts)
    answer = client.post("/firma", data={"csrf": csrf_of(client, "/firma"), "bozze": ids, "otp": "000000"})
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text and "rifiutato l&#39;OTP" in answer.text
    assert 'id="otp" name="otp" type="password" autocomplete="one-time-code" inputmode="numeric" required' \
        ' aria-invalid="true" aria-describedby="errore-firma"' in answer.text
    assert "000000" not in answer.text
    assert sorted(str(p) for p in root.rglob("*") if p.is_file() and "blobs" in p.parts) == before
    with Archive.open(root) as arc:
        assert not [r for r in arc.catalog.all() if r.numero is not None]


def test_without_csrf_or_as_another_role_is_refused(
    site: tuple[TestClient, Path, list[str], Settings], fresh: CSCTestServer,  # noqa: F811
) -> None:
    client, root, ids, _settings = site
    sign_in(client, "funzionaria")
    otp = own_otp(fresh)
    assert client.post("/firma", data={"bozze": ids, "otp": otp}).status_code == 403
    assert client.post("/firma", data={"csrf": "x", "bozze": ids, "otp": otp}).status_code == 403
    client.post("/uscita", data={"csrf": csrf_of(client, "/firma")})
    sign_in(client, "revisore")
    assert client.get("/firma").status_code == 403
    answer = client.post("/firma", data={"csrf": csrf_of(client, "/"), "bozze": ids, "otp": otp})
    assert answer.status_code == 403
    assert fresh.calls["credentials/authorize"] == 0
    with Archive.open(root) as arc:
        assert not [r for r in arc.catalog.all() if r.numero is not None]


def test_without_a_remote_key_the_page_says_how_to_configure_it(tmp_path: Path) -> None:
    from atti import pipeline
    from atti.web.users import UserStore

    root = tmp_path / "archive"
    pipeline.init_archive(root)
    with Archive.open(root) as arc:
        UserStore(arc.state_dir).add("funzionaria", "officer", PASSWORD)
    with TestClient(create_app(WebConfig(archive=root, settings=Settings(archive=root)))) as client:
        assert client.get("/firma", follow_redirects=False).status_code == 303  # sign in first
        sign_in(client, "funzionaria")
        page = client.get("/firma")
        assert page.status_code == 200 and "La firma remota non è configurata" in page.text
        assert 'name="otp"' not in page.text and page.text.count("<h1") == 1


def test_a_service_that_is_down_is_one_italian_sentence(
    site: tuple[TestClient, Path, list[str], Settings],
) -> None:
    from .test_csc import closed_port

    _client, root, ids, settings = site
    down = settings.model_copy(update={"csc": {"prova": CSCProvider(
        base_url=f"http://127.0.0.1:{closed_port()}", client_id="atti-test-client")}})
    with TestClient(create_app(WebConfig(archive=root, settings=down))) as client:
        sign_in(client, "funzionaria")
        answer = client.post("/firma", data={"csrf": csrf_of(client, "/firma"), "bozze": ids, "otp": "otp-1"})
    assert answer.status_code == 400
    assert "il servizio di firma remota non risponde: nessun atto è stato firmato" in answer.text
    assert answer.text.count('role="alert"') == 1 and "otp-1" not in answer.text
    with Archive.open(root) as arc:
        assert not [r for r in arc.catalog.all() if r.numero is not None]
