"""The web archive end to end, in a real headless Chromium (Debian's ``chromium``) driven by Playwright.

The server is the real one (uvicorn) on a free local port, over an archive made by the real
publish pipeline (see test_web.py). Screenshots of the search and act pages are saved under
/tmp/atti-web-screenshots for a person to look at.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from atti.signing import load_trust_roots, verify_pdf
from atti.web import WebConfig, create_app

from .test_web import PASSWORD, PUBLIC, RESERVED, RESERVED_WORD, build_archive
from .tiers import refuse_in_fast_tier

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SHOTS = Path("/tmp/atti-web-screenshots")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def archive(libreoffice: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("web-e2e")
    return Path(build_archive(work / "archive", work))


@pytest.fixture(scope="module")
def server(archive: Path) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(WebConfig(archive=archive, port=port)), host="127.0.0.1", port=port,
                            log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    refuse_in_fast_tier(request, "browser", "browser")
    if not CHROMIUM.exists():  # installed by scripts/setup.sh --test; a missing browser must be seen, not skipped
        pytest.fail(f"{CHROMIUM} is missing: run 'bash scripts/setup.sh --test'", pytrace=False)

    # expect() gives up after 5 s by default: too little on a busy machine (the act page verifies
    # the signature, the previews come from pdftoppm). A page that never shows still fails.
    expect.set_options(timeout=60_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_search_filter_open_download_verify(server: str, browser: object, archive: Path, tmp_path: Path) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    page.goto(server + "/")
    # the skip link is the first thing the keyboard reaches
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()

    page.get_by_label("Testo o numero dell'atto").fill("proroga")
    page.get_by_role("button", name="Cerca").click()
    expect(page).to_have_url(f"{server}/?q=proroga")
    expect(page.get_by_role("heading", level=2, name="2 atti")).to_be_visible()
    expect(page.locator(".snippet mark").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "ricerca.png"), full_page=True)

    # filter by a facet: a shareable URL, fewer results
    page.locator(".facet", has_text="Stato").get_by_role("link", name="rettificato").click()
    expect(page).to_have_url(f"{server}/?q=proroga&stato=rettificato")
    expect(page.get_by_role("heading", level=2, name="1 atto")).to_be_visible()

    page.get_by_role("link", name="Determinazione D.O. n. 129/2026").click()
    expect(page).to_have_url(f"{server}/atti/{PUBLIC}")
    expect(page.locator("#verifica")).to_have_text("✔ Firma valida, certificato di sviluppo NON qualificato")
    # the public sees the versions from publication on (v2; v1 was the signed act before it)
    expect(page.get_by_role("heading", name="Differenze tra la versione 2 e la 3")).to_be_visible()
    expect(page.get_by_role("heading", name="Differenze tra la versione 1 e la 2")).to_have_count(0)
    expect(page.get_by_role("img", name=re.compile(r"^Anteprima della pagina 1 di [0-9]+$"))).to_be_visible()
    # the previews are real images the browser decoded (pdftoppm's PNGs), not empty boxes
    # (polled from here: the page's Content-Security-Policy forbids wait_for_function's eval)
    previews = page.locator(".previews img")
    deadline = time.monotonic() + 60
    # (the first two load at once; later pages load lazily, when scrolled to)
    while not previews.evaluate_all("imgs => imgs.slice(0, 2).every(i => i.complete && i.naturalWidth > 100)"):
        assert time.monotonic() < deadline, "the page previews did not load"
        page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "atto.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="Scarica il PDF firmato").click()
    saved = tmp_path / "atto.pdf"
    info.value.save_as(saved)
    data = saved.read_bytes()
    assert info.value.suggested_filename == f"{PUBLIC}.pdf"
    archived = page.request.get(f"{server}/api/atti/{PUBLIC}").json()["sha256"]
    assert hashlib.sha256(data).hexdigest() == archived
    # pyHanko refuses to run inside Playwright's event loop: verify in a thread of its own
    with ThreadPoolExecutor(1) as pool:
        report = pool.submit(verify_pdf, data, load_trust_roots([archive / "pki" / "root.pem"])).result()
    assert report.indication == "TOTAL_PASSED"

    # readable on a phone: one column, nothing wider than the screen
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=1)
    small = phone.new_page()
    small.goto(server + "/?q=proroga")
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    small.screenshot(path=str(SHOTS / "ricerca-telefono.png"), full_page=True)
    small.goto(f"{server}/atti/{PUBLIC}")
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    context.close()
    for name in ("ricerca.png", "atto.png", "ricerca-telefono.png"):
        assert (SHOTS / name).stat().st_size > 10_000


def test_sign_in_see_reserved_sign_out_lose_it(server: str, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context()
    page = context.new_page()
    url = f"{server}/atti/{RESERVED}"
    assert page.goto(url).status == 404  # type: ignore[union-attr]
    page.goto(server + f"/?q={RESERVED_WORD}")
    expect(page.get_by_role("heading", level=2, name="0 atti")).to_be_visible()

    page.get_by_role("link", name="Accedi").click()
    page.get_by_label("Nome utente").fill("archivista")
    page.get_by_label("Password").fill("sbagliata-123")
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("alert")).to_have_text("Errore: Nome utente o password errati.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_text("archivista (archivista)")).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "atti_sessione")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.goto(server + f"/?q={RESERVED_WORD}")
    page.get_by_role("link", name="Determinazione D.O. n. 130/2026").click()
    expect(page).to_have_url(url)
    expect(page.locator(".badges .reserved")).to_have_text("riservato")

    page.get_by_role("button", name="Esci").click()
    expect(page.get_by_role("link", name="Accedi")).to_be_visible()
    response = page.goto(url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Atto non trovato")
    context.close()

