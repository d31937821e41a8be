"""The web archive (issue 8): pages, API, access control, sessions, CSRF, escaping.

The archive is made once per module with the real publish pipeline (LibreOffice renders, the
development CA signs): a public act (129), a reserved act citing it (130), a public act that
rectifies 129 and carries markup in its oggetto (131), and a draft. Every access test asks for
the reserved act and the draft through each way in and checks the answer gives nothing away.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from atti.acts.model import TipoAtto
from atti.config import Settings, load_settings
from atti.web import WebConfig, create_app
from atti.web.app import highlight

from .conftest import EXAMPLE, Atti

PASSWORD = "parola-d-ordine-1"
TEXT = EXAMPLE.read_text(encoding="utf-8")
PUNTO_2 = "di pubblicare la nuova scadenza nella sezione dedicata al bando sul sito\n      www.unioncamerelombardia.it."
OGGETTO = "  Approvazione proroga per la presentazione"

PUBLIC, RESERVED, RECTIFYING = "DO-2026-129", "DO-2026-130", "DO-2026-131"
# Words only the hidden acts have: any trace of them in a public answer is a leak.
RESERVED_WORD, DRAFT_WORD = "zafferano", "mirtillo"
MARKUP = '<script>alert("x")</script> & [prova]'


def variant(numero: int | None, *, oggetto: str, punto_2: str, extra: str = "") -> str:
    text = TEXT.replace("numero: 129 ", f"numero: {numero} " if numero else "")
    text = text.replace(OGGETTO, f"  {oggetto}", 1).replace(PUNTO_2, punto_2)
    return text + extra


ACTS = {
    "129.yaml": TEXT,
    "130.yaml": variant(
        130, oggetto=f"Perizia riservata sullo {RESERVED_WORD}: proroga",
        punto_2=f"di affidare la perizia sullo {RESERVED_WORD} come previsto dalla Determinazione D.O. n. 129"
        " del 19/05/2026.", extra="\nriservato: true\n",
    ),
    "131.yaml": variant(
        131, oggetto=f"{MARKUP} Rettifica della proroga",
        punto_2="di rettificare la Determinazione D.O. n. 129 del 19/05/2026 nella data di scadenza.",
        extra="\nrelazioni:\n  - tipo: rettifica\n    atto: DO-2026-129\n",
    ),
}
DRAFTS = {
    "draft.yaml": variant(
        None, oggetto=f"Bozza sul {DRAFT_WORD}: proroga",
        punto_2=f"di prorogare il bando del {DRAFT_WORD} come da Determinazione D.O. n. 129 del 19/05/2026.",
    ),
    "draft-riservata.yaml": variant(
        None, oggetto=f"Bozza riservata sul {DRAFT_WORD} e lo {RESERVED_WORD}",
        punto_2=f"di rivedere il {DRAFT_WORD} come da Determinazione D.O. n. 129 del 19/05/2026.",
        extra="\nriservato: true\n",
    ),
}
USERS = {"ufficio": "officer", "revisore": "reviewer", "archivista": "archivist", "amministra": "admin"}


def build_archive(root: Path | str, work: Path) -> Path | str:
    """The fixture archive at ``root`` (a directory or a database), through the real pipeline;
    users of every role with PASSWORD. ``work``: a folder for the acts' sources."""
    from atti import pipeline
    from atti.web.users import UserStore

    pipeline.init_archive(root)
    settings = Settings(archive=root, development=True)
    sources = work / "sources"
    sources.mkdir()
    for name, text in {**ACTS, **DRAFTS}.items():
        (sources / name).write_text(text, encoding="utf-8")
    from atti.acts import load_act_text
    from atti.archive import Archive

    rendered = pipeline.render(sources / "draft.yaml", work / "rendered", settings)
    with Archive.open(root) as arc:
        for name in ACTS:
            pipeline.publish(arc, sources / name, settings)
        # Two drafts, kept through the archive's draft API: one rendered (an unsigned preview PDF)
        # and sent for review, one reserved and never rendered.
        text = DRAFTS["draft.yaml"]
        draft, _ = arc.save_draft(load_act_text(text, "draft.yaml", check=False).act, text,
                                  docx=rendered.docx.read_bytes(), pdf=rendered.pdf.read_bytes())
        arc.submit_draft(draft.id)
        text = DRAFTS["draft-riservata.yaml"]
        arc.save_draft(load_act_text(text, "draft-riservata.yaml", check=False).act, text)
        store = UserStore(arc.state_dir)
    for name, role in USERS.items():
        store.add(name, role, PASSWORD)
    return root


@pytest.fixture(scope="module")
def archive(
    libreoffice: str, archive_location_module: Path | str, tmp_path_factory: pytest.TempPathFactory
) -> Path | str:
    """The web archive on each backend: SQLite + files, and PostgreSQL + S3."""
    return build_archive(archive_location_module, tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def state(archive: Path | str) -> Path:
    """Where the archive keeps its local files: users, the session key, the web's caches."""
    from atti.archive import Archive

    with Archive.open(archive) as arc:
        return arc.state_dir


@pytest.fixture()
def client(archive: Path | str) -> Iterator[TestClient]:
    from .test_export import BODY

    # The body's settings (IPA code, AOO, PEC, titolario...) make the AgID metadata.
    # Merged with the environment's, as atti serve does (a database archive's bucket is there).
    settings = load_settings({**BODY, "classificazione": {t.value: "1.6" for t in TipoAtto}})
    with TestClient(create_app(WebConfig(archive=archive, settings=settings))) as c:
        yield c


def csrf_of(client: TestClient, path: str = "/accesso") -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert m, "the page has no CSRF field"
    return m.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    return client.post("/accesso", data={"nome": name, "password": password, "csrf": csrf_of(client)},
                       follow_redirects=False)


def as_role(client: TestClient, role: str) -> TestClient:
    name = next(n for n, r in USERS.items() if r == role)
    assert sign_in(client, name).status_code == 303
    return client


def hidden_ids(archive: Path | str) -> list[str]:
    """The acts the public must never see: the reserved one and any draft."""
    from atti.archive import Archive

    with Archive.open(archive) as arc:
        return [r.id for r in arc.catalog.all() if r.riservato or r.stato not in ("pubblicato", "rettificato",
                                                                                   "annullato")]


# -- the public sees nothing hidden ----------------------------------------------------------------


def assert_no_leak(text: str, archive: Path | str) -> None:
    for act_id in hidden_ids(archive):
        assert act_id not in text
    assert RESERVED_WORD not in text.lower()
    assert DRAFT_WORD not in text.lower()
    assert "badge reserved" not in text and "'riservato': True" not in text


def drafts(archive: Path | str) -> dict[str, bool]:
    """The drafts' ids, each with whether it is reserved."""
    from atti.archive import Archive

    with Archive.open(archive) as arc:
        return {d.id: d.riservato for d in arc.drafts()}


def test_fixture_has_reserved_act_and_drafts(archive: Path | str) -> None:
    assert RESERVED in hidden_ids(archive)
    assert sorted(drafts(archive).values()) == [False, True]
    assert set(drafts(archive)) < set(hidden_ids(archive))


@pytest.mark.parametrize("query", ["", "proroga", RESERVED_WORD, DRAFT_WORD, "130/2026", "perizia", "determinazione"])
def test_public_search_shows_no_hidden_act(client: TestClient, archive: Path | str, query: str) -> None:
    page = client.get("/", params={"q": query})
    assert page.status_code == 200
    assert_no_leak(page.text.replace(query, "") if query else page.text, archive)
    api = client.get("/api/search", params={"q": query}).json()
    assert {r["id"] for r in api["results"]} <= {PUBLIC, RECTIFYING}
    assert_no_leak(str({**api, "query": None}), archive)
    # counts and facets agree with what the public may see
    assert api["total"] == len(api["results"])
    for values in api["facets"].values():
        assert sum(n for _, n in values) == api["total"]


def test_public_counts_exclude_hidden(client: TestClient) -> None:
    api = client.get("/api/search").json()
    assert api["total"] == 2
    assert dict(map(tuple, api["facets"]["registro"])) == {"D.O.": 2}
    assert {v for v, _ in api["facets"]["stato"]} == {"pubblicato", "rettificato"}
    assert client.get("/api/search", params={"q": RESERVED_WORD}).json()["total"] == 0
    assert "0 atti" in client.get("/", params={"q": RESERVED_WORD}).text


@pytest.mark.parametrize("state", ["bozza", "in verifica", "firmato"])
def test_public_cannot_filter_drafts_in(client: TestClient, state: str) -> None:
    assert client.get("/api/search", params={"stato": state}).json()["total"] == 0


@pytest.mark.parametrize(
    "suffix", ["", "/pdf", "/pacchetto.zip", "/metadati.xml", "/anteprima/1.png"],
)
def test_hidden_act_is_404_like_a_missing_one(client: TestClient, archive: Path | str, suffix: str) -> None:
    for act_id in hidden_ids(archive):
        hidden = client.get(f"/atti/{act_id}{suffix}")
        missing = client.get(f"/atti/DO-2026-999{suffix}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text.replace(act_id, "X") == missing.text.replace("DO-2026-999", "X")
        api = client.get(f"/api/atti/{act_id}")
        assert api.status_code == 404
        assert api.json() == client.get("/api/atti/DO-2026-999").json() == {"error": "atto non trovato"}


def test_public_act_page_hides_who_cites_it_in_secret(client: TestClient, archive: Path | str) -> None:
    page = client.get(f"/atti/{PUBLIC}")
    assert page.status_code == 200
    assert f'href="/atti/{RECTIFYING}"' in page.text  # the public act that cites it is linked
    assert_no_leak(page.text, archive)
    api = client.get(f"/api/atti/{PUBLIC}").json()
    assert [r["act_id"] for r in api["cited_by"]] == [RECTIFYING, RECTIFYING]
    assert_no_leak(str(api), archive)


def test_archivist_sees_reserved_act_everywhere(client: TestClient, archive: Path | str) -> None:
    as_role(client, "archivist")
    api = client.get("/api/search", params={"q": RESERVED_WORD}).json()
    assert [r["id"] for r in api["results"]] == [RESERVED]
    assert api["results"][0]["riservato"] is True
    assert client.get("/api/search").json()["total"] == 3
    page = client.get(f"/atti/{RESERVED}")
    assert page.status_code == 200
    assert "badge reserved" in page.text and RESERVED_WORD in page.text
    assert client.get(f"/atti/{RESERVED}/pdf").content.startswith(b"%PDF-")
    assert client.get(f"/atti/{RESERVED}/metadati.xml").status_code == 200
    # and the public act now shows the reserved act that cites it
    assert f'href="/atti/{RESERVED}"' in client.get(f"/atti/{PUBLIC}").text


def test_officer_sees_drafts_but_no_reserved_act(client: TestClient, archive: Path | str) -> None:
    as_role(client, "officer")
    assert client.get(f"/atti/{RESERVED}").status_code == 404
    assert client.get("/api/search", params={"q": RESERVED_WORD}).json()["total"] == 0
    [(draft, _)] = [(d, r) for d, r in drafts(archive).items() if not r]
    [(secret, _)] = [(d, r) for d, r in drafts(archive).items() if r]
    api = client.get("/api/search", params={"q": DRAFT_WORD}).json()
    assert [r["id"] for r in api["results"]] == [draft] and api["total"] == 1
    assert client.get("/api/search").json()["total"] == 3  # 129, 131 and the draft
    page = client.get(f"/atti/{draft}")
    assert page.status_code == 200 and "Bozza: non ancora firmata" in page.text
    assert client.get(f"/atti/{draft}/pdf").content.startswith(b"%PDF-")  # the unsigned preview
    assert client.get(f"/atti/{draft}/pacchetto.zip").status_code == 404  # a draft is not exported
    assert client.get(f"/atti/{secret}").status_code == 404


def test_archivist_does_not_see_drafts(client: TestClient, archive: Path | str) -> None:
    as_role(client, "archivist")
    for draft in drafts(archive):
        assert client.get(f"/atti/{draft}").status_code == 404
    assert client.get("/api/search", params={"q": DRAFT_WORD}).json()["total"] == 0
    assert {v for v, _ in client.get("/api/search").json()["facets"]["stato"]} <= {"pubblicato", "rettificato"}


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewer_and_admin_see_everything(client: TestClient, archive: Path | str, role: str) -> None:
    as_role(client, role)
    total = client.get("/api/search").json()["total"]
    assert total == len(ACTS) + len(DRAFTS)
    for act_id in hidden_ids(archive):
        assert client.get(f"/api/atti/{act_id}").status_code == 200


def test_sign_out_hides_reserved_act_again(client: TestClient) -> None:
    as_role(client, "archivist")
    assert client.get(f"/atti/{RESERVED}").status_code == 200
    token = csrf_of(client, "/")
    assert client.post("/uscita", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get(f"/atti/{RESERVED}").status_code == 404


# -- sign-in, sessions, CSRF -----------------------------------------------------------------------


def test_bad_password_and_unknown_user_are_refused_alike(client: TestClient) -> None:
    wrong = sign_in(client, "archivista", "sbagliata-123")
    unknown = sign_in(client, "nessuno", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Nome utente o password errati." in wrong.text and "Nome utente o password errati." in unknown.text
    assert client.get(f"/atti/{RESERVED}").status_code == 404


def test_sign_in_without_or_with_a_wrong_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/accesso")
    for data in ({"nome": "archivista", "password": PASSWORD},
                 {"nome": "archivista", "password": PASSWORD, "csrf": "falso"}):
        answer = client.post("/accesso", data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert "Sessione scaduta" in answer.text
    assert client.get(f"/atti/{RESERVED}").status_code == 404


def test_csrf_token_of_another_session_is_refused(archive: Path | str) -> None:
    app = create_app(WebConfig(archive=archive))
    with TestClient(app) as attacker, TestClient(app) as victim:
        token = csrf_of(attacker)
        victim.get("/accesso")
        answer = victim.post("/accesso", data={"nome": "archivista", "password": PASSWORD, "csrf": token})
        assert answer.status_code == 403


def test_sign_out_needs_the_csrf_token(client: TestClient) -> None:
    as_role(client, "archivist")
    assert client.post("/uscita", data={}, follow_redirects=False).status_code == 403
    assert client.get(f"/atti/{RESERVED}").status_code == 200  # still signed in


def test_every_form_carries_a_csrf_token(client: TestClient) -> None:
    as_role(client, "archivist")
    for path in ("/", f"/atti/{PUBLIC}", "/accesso"):
        html = client.get(path).text
        posts = re.findall(r'<form method="post".*?</form>', html, re.S)
        assert posts
        assert all('name="csrf"' in form for form in posts)


def test_session_cookie_flags(archive: Path | str, state: Path) -> None:
    with TestClient(create_app(WebConfig(archive=archive))) as c:
        cookie = sign_in(c, "archivista").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    with TestClient(create_app(WebConfig(archive=archive, secure_cookies=True)), base_url="https://testserver") as c:
        cookie = sign_in(c, "archivista").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    sessions = state / "web" / "sessions.sqlite"
    assert stat.S_IMODE(sessions.stat().st_mode) == 0o600


def test_public_reader_gets_no_cookie(archive: Path | str) -> None:
    with TestClient(create_app(WebConfig(archive=archive))) as c:
        for path in ("/", "/?q=proroga", f"/atti/{PUBLIC}", "/api/search"):
            assert "set-cookie" not in c.get(path).headers, path
        assert "set-cookie" in c.get("/accesso").headers  # the sign-in form's CSRF token


def test_forged_session_cookie_is_ignored(archive: Path | str) -> None:
    import base64
    import json

    forged = base64.b64encode(json.dumps({"user": "amministra"}).encode()).decode() + ".AAAA.BBBB"
    with TestClient(create_app(WebConfig(archive=archive)), cookies={"atti_sessione": forged}) as c:
        assert c.get(f"/atti/{RESERVED}").status_code == 404


def test_sign_in_redirects_only_within_the_site(client: TestClient) -> None:
    token = csrf_of(client)
    for target, expected in ((f"/atti/{PUBLIC}", f"/atti/{PUBLIC}"), ("//evil.example/x", "/"),
                             ("https://evil.example/", "/")):
        answer = client.post("/accesso", data={"nome": "archivista", "password": PASSWORD, "csrf": token,
                                               "next": target}, follow_redirects=False)
        assert answer.headers["location"] == expected
        token = csrf_of(client)


def test_users_file_keeps_only_argon2_hashes(state: Path) -> None:
    path = state / "web" / "users.json"
    text = path.read_text()
    assert PASSWORD not in text
    assert text.count("$argon2id$") == len(USERS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- pages ----------------------------------------------------------------------------------------


def test_search_page_ranks_highlights_and_links(client: TestClient) -> None:
    page = client.get("/", params={"q": "prorogare"})
    assert page.status_code == 200
    assert "<mark>prorogare</mark>" in page.text
    assert f'href="/atti/{PUBLIC}"' in page.text
    assert '<a class="skip" href="#contenuto">' in page.text
    assert '<label for="q">' in page.text


def test_search_by_number(client: TestClient) -> None:
    api = client.get("/api/search", params={"q": "129/2026"}).json()
    # The act itself first, then the public act citing it (the rectification), never the reserved one.
    assert [r["id"] for r in api["results"]] == [PUBLIC, RECTIFYING]
    assert api["total"] == 2


def test_a_malformed_query_is_one_italian_line(client: TestClient) -> None:
    api = client.get("/api/search", params={"q": '"opere pubbliche'})
    assert api.status_code == 400 and api.json() == {"error": api.json()["error"]}
    assert api.json()["error"].startswith("La ricerca ha delle virgolette") and "\n" not in api.json()["error"]
    page = client.get("/", params={"q": "proroga OR"})
    assert page.status_code == 400 and "La ricerca finisce con OR" in page.text


def test_filters_and_facet_links_are_shareable_urls(client: TestClient) -> None:
    page = client.get("/", params={"q": "proroga", "stato": "rettificato"})
    assert page.status_code == 200
    assert f'href="/atti/{PUBLIC}"' in page.text and f'href="/atti/{RECTIFYING}"' not in page.text
    # the selected facet links to the same search without it
    assert 'href="/?q=proroga"' in page.text


def test_pagination(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("atti.web.app.PAGE_SIZE", 1)
    first = client.get("/api/search").json()
    second = client.get("/api/search", params={"pagina": 2}).json()
    assert (first["pages"], first["total"]) == (2, 2)
    assert {first["results"][0]["id"], second["results"][0]["id"]} == {PUBLIC, RECTIFYING}
    page = client.get("/", params={"pagina": 1}).text
    assert 'href="/?pagina=2"' in page and 'rel="next"' in page


def test_bad_filters_answer_400_in_italian(client: TestClient) -> None:
    for params, message in (({"dal": "ieri"}, "non è una data"), ({"anno": "20x6"}, "Anno non valido"),
                            ({"dal": "2026-06-01", "al": "2026-01-01"}, "successiva")):
        page = client.get("/", params=params)
        assert page.status_code == 400 and message in page.text
        assert client.get("/api/search", params=params).status_code == 400


def test_markup_is_escaped_everywhere(client: TestClient) -> None:
    for text in (client.get("/", params={"q": "rettifica"}).text, client.get(f"/atti/{RECTIFYING}").text,
                 client.get("/", params={"q": '"><script>alert(1)</script>'}).text):
        assert "<script>" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; [prova]" in client.get(f"/atti/{RECTIFYING}").text
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]


def test_highlight_escapes_and_marks_only_query_words() -> None:
    assert str(highlight("<b> [proroga] & [altro]", "proroghe")) == "&lt;b&gt; <mark>proroga</mark> &amp; [altro]"


def test_act_page_shows_header_text_versions_links_and_badge(client: TestClient, state: Path) -> None:
    page = client.get(f"/atti/{PUBLIC}").text
    for needle in ("Determinazione D.O. n. 129/2026", "Direttore Operativo", "Fabrizio Ventrice", "rettificato",
                   "Premesso che", "Visti", "Determina / Dispositivo", "di prorogare i termini",
                   '<span class="badge ok" id="verifica">', "Differenze tra la versione",
                   "pubblicato → <strong>rettificato</strong>", f'href="/atti/{RECTIFYING}"',
                   f'href="/atti/{PUBLIC}/anteprima/1.png"', f'href="/atti/{PUBLIC}/pacchetto.zip"'):
        assert needle in page, needle
    # the verification is cached by the PDF's hash
    api = client.get(f"/api/atti/{PUBLIC}").json()
    assert api["verification"]["indication"] == "TOTAL_PASSED"
    assert (state / "web" / "cache" / "verifica" / f"{api['sha256']}.json").is_file()
    assert [v["stato"] for v in api["versions"]][-2:] == ["pubblicato", "rettificato"]


def test_downloads(client: TestClient, state: Path) -> None:
    from atti.signing import load_trust_roots, verify_pdf

    pdf = client.get(f"/atti/{PUBLIC}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="DO-2026-129.pdf"'
    sha = client.get(f"/api/atti/{PUBLIC}").json()["sha256"]
    assert hashlib.sha256(pdf.content).hexdigest() == sha
    report = verify_pdf(pdf.content, load_trust_roots([state / "pki" / "root.pem"]))
    assert report.indication == "TOTAL_PASSED"
    png = client.get(f"/atti/{PUBLIC}/anteprima/1.png")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert client.get(f"/atti/{PUBLIC}/anteprima/99.png").status_code == 404
    bag = zipfile.ZipFile(io.BytesIO(client.get(f"/atti/{PUBLIC}/pacchetto.zip").content))
    names = set(bag.namelist())
    assert {f"{PUBLIC}/bagit.txt", f"{PUBLIC}/manifest-sha256.txt", f"{PUBLIC}/data/{PUBLIC}.pdf",
            f"{PUBLIC}/data/metadata.xml"} <= names
    assert hashlib.sha256(bag.read(f"{PUBLIC}/data/{PUBLIC}.pdf")).hexdigest() == sha
    xml = client.get(f"/atti/{PUBLIC}/metadati.xml")
    assert xml.content.startswith(b"<?xml") and b"DocumentoAmministrativoInformatico" in xml.content
    from lxml import etree

    from atti.export.agid import schema

    schema().assertValid(etree.fromstring(xml.content))
    assert bag.read(f"{PUBLIC}/data/metadata.xml") == xml.content  # the same file either way


# -- the CLI ---------------------------------------------------------------------------------------


def test_user_add_command(
    atti: Atti, archive: Path | str, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTI_USER_PASSWORD", "un-altra-parola")
    result = atti("user", "add", "nuovo", "--role", "reviewer", "--archive", archive)
    assert (result.exit_code, result.output) == (0, "Aggiunto l'utente nuovo (reviewer)\n")
    result = atti("user", "add", "nuovo", "--role", "officer", "--archive", archive)
    assert (result.exit_code, result.output) == (0, "Aggiornato l'utente nuovo (officer)\n")
    monkeypatch.setenv("ATTI_USER_PASSWORD", "corta")
    result = atti("user", "add", "altro", "--role", "admin", "--archive", archive)
    assert (result.exit_code, result.output) == (2, "Errore: la password deve avere almeno 12 caratteri\n")
    monkeypatch.delenv("ATTI_USER_PASSWORD")
    result = atti("user", "add", "altro", "--role", "admin", "--archive", archive)
    assert (result.exit_code, result.output) == (
        2, "Errore: nessuna password: scrivila sullo standard input, in ATTI_USER_PASSWORD o alla "
           "richiesta in un terminale\n")
    monkeypatch.setenv("ATTI_USER_PASSWORD", "abbastanza-lunga")
    result = atti("user", "add", "x y", "--role", "admin", "--archive", archive)
    assert result.exit_code == 2 and result.output.startswith("Errore: 'x y' non è un nome utente")
    missing = tmp_path / "nowhere"
    result = atti("user", "add", "altro", "--role", "admin", "--archive", missing)
    assert result.exit_code == 6 and result.output.startswith("Errore: nessun archivio in")
    from atti.web.users import UserStore

    assert UserStore(state).authenticate("nuovo", "un-altra-parola") is not None


def test_serve_refuses_a_missing_archive(atti: Atti, tmp_path: Path) -> None:
    result = atti("serve", "--archive", tmp_path / "none")
    assert result.exit_code == 6 and result.output.startswith("Errore: nessun archivio in")


def test_act_page_says_the_verification_in_italian(client: TestClient) -> None:
    page = client.get(f"/atti/{PUBLIC}").text
    assert '<span class="badge ok" id="verifica">✔ Firma valida, certificato di sviluppo NON qualificato</span>' in page
    assert "<strong>certificato di sviluppo NON qualificato</strong>: certificato di sviluppo NON qualificato" in page
    assert ("Firmatario dell'atto: il certificato di firma indica il firmatario dell&#39;atto, Fabrizio Ventrice"
            in page)
    # the report's English sentences stay out of the Italian page
    for english in ("the signature is valid", "the signer certificate names", "firmatario was not checked"):
        assert english not in page, english
    api = client.get(f"/api/atti/{PUBLIC}").json()
    assert api["verification"]["signatures"][0]["qualification"]["development"] is True
