"""WCAG 2.1 AA for every page of ``atti serve``, checked in a real Chromium (Debian's) with Playwright.

- axe-core (the copy the PyPI package ``axe-playwright-python`` ships, pinned in
  requirements/lock.txt: no network needed) runs on every page state of tests/a11y_pages.py at
  each width, signed out and signed in, and any violation of a rule tagged WCAG 2.0/2.1 A or AA
  fails the test.
- The keyboard walk presses Tab through each page state from the top and checks that focus
  visits every control there is, in the order the page shows them (top to bottom, and left to
  right across columns), with a focus indicator of at least 3:1 against the background it is
  drawn on; then it operates each kind of control with the keyboard alone.
- The contrast of the focus indicator and of every badge is computed from style.css itself
  (tests/test_a11y_contrast.py, no browser).

The archive is the one tests/test_web_e2e.py publishes, served on a loopback port.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .a11y_pages import AXE_TAGS, FOCUS_CONTRAST, PAGE_STATES, WIDTHS, Ids, PageState
from .contrast import contrast, hex_of, over, parse_colour
from .test_web import PASSWORD, PUBLIC, RESERVED, USERS, drafts
from .test_web_e2e import archive, browser, server  # noqa: F401  (the fixtures, shared)

pytestmark = pytest.mark.browser

HEIGHTS = {1280: 900, 390: 844}
REPORT = Path("/tmp/atti-a11y")  # each page state's axe results, HTML and screenshot, for a person to look at


@pytest.fixture(scope="module")
def ids(archive: Path) -> Ids:  # noqa: F811
    drafted = drafts(archive)
    [draft] = [d for d, reserved in drafted.items() if not reserved]
    [reserved_draft] = [d for d, reserved in drafted.items() if reserved]
    return Ids(public=PUBLIC, rectifying="DO-2026-131", reserved=RESERVED, draft=draft, reserved_draft=reserved_draft)


@pytest.fixture(scope="module")
def sessions(server: str, browser: Any) -> dict[str, Any]:  # noqa: F811
    """Each role's signed-in browser state, signed in once through the form."""
    states = {}
    for name, role in USERS.items():
        context = browser.new_context()
        page = context.new_page()
        page.goto(server + "/accesso")
        page.get_by_label("Nome utente").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Accedi").click()
        page.wait_for_url(server + "/")
        states[role] = context.storage_state()
        context.close()
    return states


@pytest.fixture
def open_state(server: str, browser: Any, sessions: dict[str, Any], ids: Ids) -> Iterator[Any]:  # noqa: F811
    """A function that opens a page state at a width in a context of its own: the Playwright page."""
    contexts = []

    def open_(state: PageState, width: int) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": HEIGHTS[width]}, locale="it-IT",
            storage_state=sessions[state.role] if state.role else None,
        )
        contexts.append(context)
        page = context.new_page()
        response = page.goto(server + state.path(ids))
        assert response is not None and response.status == state.status, (state.name, response and response.status)
        if state.steps is not None:
            state.steps(page, ids)
        return page

    yield open_
    for context in contexts:
        context.close()


STATES = [pytest.param(s, w, id=f"{s.name}-{w}") for s in PAGE_STATES for w in WIDTHS]


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of the WCAG A/AA rules on the page as it is now."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": list(AXE_TAGS)}, "resultTypes": ["violations"]}
    result = page.evaluate("options => axe.run(document, options)", options)
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        wcag = ", ".join(t for t in v["tags"] if t.startswith("wcag"))
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{wcag}]")
        for node in v["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


# Words of English that Italian does not use: one of them in a page's Italian text (outside an
# element marked with another lang, and outside <code>, which holds codes) is English left
# untranslated and unmarked (WCAG 2.1 SC 3.1.2). A cheap net, not a language detector.
ENGLISH = frozenset((
    "the", "is", "are", "was", "were", "and", "of", "not", "with", "which", "this", "that", "signature", "signer",
    "certificate", "reviewer", "archivist", "officer", "admin", "draft", "published", "signed", "valid", "invalid",
    "created", "saved", "submitted", "reviewed", "to", "what", "be", "has", "have", "for", "from", "by", "on", "at",
    "or", "an", "its", "needs", "change", "rejection",
))
ITALIAN_TEXT = """() => {
  const out = [];
  const walk = (el) => {
    if (el.lang && !el.lang.startsWith("it")) return;
    if (["CODE", "SCRIPT", "STYLE"].includes(el.tagName)) return;
    for (const child of el.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) out.push(child.textContent);
      else if (child.nodeType === Node.ELEMENT_NODE) walk(child);
    }
  };
  walk(document.body);
  return out.join(" ") + " " + document.title;
}"""


@pytest.mark.parametrize(("state", "width"), STATES)
def test_axe_finds_no_wcag_violation(open_state: Any, state: PageState, width: int) -> None:
    page = open_state(state, width)
    assert page.evaluate("document.documentElement.lang") == "it"
    violations = run_axe(page)
    REPORT.mkdir(exist_ok=True)
    (REPORT / f"{state.name}-{width}.json").write_text(json.dumps(violations, indent=1), encoding="utf-8")
    (REPORT / f"{state.name}-{width}.html").write_text(page.content(), encoding="utf-8")
    page.screenshot(path=str(REPORT / f"{state.name}-{width}.png"), full_page=True)
    assert not violations, f"{state.name} at {width} px:\n{describe(violations)}"
    words = set(re.findall(r"[a-z]+", page.evaluate(ITALIAN_TEXT).lower()))
    assert not words & ENGLISH, f"{state.name}: English words on the Italian page, unmarked: {words & ENGLISH}"


# -- the keyboard --------------------------------------------------------------------------------

# What the keyboard must reach: every control a person can see (a field inside a closed
# <details> is not rendered, so not counted), in the order of the document.
CONTROLS = """() => {
  const sel = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]),'
    + ' textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  return [...document.querySelectorAll(sel)].filter(el => {
    // checkVisibility: not inside a closed <details> either (its content is content-visibility: hidden)
    if (!el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})) return false;
    return el.tabIndex >= 0;
  }).map((el, i) => {
    el.dataset.a11y = String(i);
    return {key: String(i), tag: el.tagName.toLowerCase(), type: el.getAttribute("type") || "",
            role: el.getAttribute("role") || "", text: (el.innerText || el.value || el.name || "").slice(0, 40),
            href: el.getAttribute("href"), main: !!el.closest("main"), download: el.hasAttribute("download")};
  });
}"""

# The element that has the focus: its key, where it is on the page (CSS px from the document's
# top left), its outline, and the background colour just outside each side of it, where the
# ring is drawn (the first opaque background among the elements there, the focused one aside).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {key: null, tag: null};
  // Something the browser focuses that is no control of CONTROLS (a scroll box Chromium makes
  // focusable by itself, say): a stop of its own, which the test then reports.
  const key = el.dataset && el.dataset.a11y !== undefined ? el.dataset.a11y : "other: " + el.outerHTML.slice(0, 80);
  const r = el.getBoundingClientRect();
  const cs = getComputedStyle(el);
  const backgroundAt = (x, y) => {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return null;
    const under = document.elementsFromPoint(x, y).find(e => e !== el && !el.contains(e));
    for (let e = under; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (bg && bg !== "rgba(0, 0, 0, 0)" && bg !== "transparent") return bg;
    }
    return "rgb(255, 255, 255)";
  };
  const off = parseFloat(cs.outlineOffset) + parseFloat(cs.outlineWidth) / 2;
  const sides = [[r.left - off, r.top + r.height / 2], [r.right + off, r.top + r.height / 2],
                 [r.left + r.width / 2, r.top - off], [r.left + r.width / 2, r.bottom + off]];
  return {
    key, tag: el.tagName.toLowerCase(), text: (el.innerText || el.name || "").slice(0, 40),
    top: r.top + scrollY, left: r.left + scrollX, bottom: r.bottom + scrollY, right: r.right + scrollX,
    outline: {style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), color: cs.outlineColor},
    backgrounds: sides.map(([x, y]) => backgroundAt(x, y)).filter(b => b),
  };
}"""


def walk(page: Any, limit: int = 400) -> list[dict[str, Any]]:
    """Tab from the skip link to the end of the page: each stop as FOCUSED describes it."""
    # Forth and back with the keyboard, so that the browser shows the focus as it does to one who
    # tabs (after a click it may not: :focus-visible).
    page.locator("a.skip").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    stops = [page.evaluate(FOCUSED)]
    assert stops[0]["tag"] == "a" and stops[0]["text"] == "Vai al contenuto", stops[0]
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop["key"] is None or stop["key"] == stops[0]["key"]:
            return stops
        if stop["key"] != stops[-1]["key"]:  # a date field's day, month and year are one control
            stops.append(stop)
    raise AssertionError(f"still tabbing after {limit} stops: a trap?")


def follows_reading_order(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """``b`` comes after ``a`` as a person reads the page: further down (a little higher is the same
    line: a button beside a field), or in a column to the right of ``a`` (the facets beside the
    results)."""
    same_line = min(8.0, (a["bottom"] - a["top"]) / 2)
    return bool(b["top"] >= a["top"] - same_line or b["left"] >= a["right"])


@pytest.mark.parametrize(("state", "width"), STATES)
def test_keyboard_reaches_every_control_in_reading_order(open_state: Any, state: PageState, width: int) -> None:
    page = open_state(state, width)
    if page.locator(".error[role=alert]").count():
        # An error takes the focus, so that it is read first (SC 3.3.1).
        assert page.evaluate("document.activeElement.getAttribute('role')") == "alert", state.name
        assert page.title().startswith("Errore: ")
    controls = page.evaluate(CONTROLS)
    stops = walk(page)
    where = f"{state.name} at {width} px"

    # Reached: every control, each once, none that is not a control.
    reached = [s["key"] for s in stops]
    others = [k for k in reached if k.startswith("other: ")]
    assert not others, f"{where}: Tab stops on what is no control: {others}"
    assert len(reached) == len(set(reached)), f"{where}: a control is reached twice"
    missing = [c for c in controls if c["key"] not in set(reached)]
    assert not missing, f"{where}: never reached by Tab: {missing}"

    # In reading order (SC 2.4.3): the positions follow one another.
    for a, b in itertools.pairwise(stops):
        assert follows_reading_order(a, b), (
            f"{where}: focus goes from {a['tag']} «{a['text']}» at y={a['top']:.0f}, x={a['left']:.0f} back to "
            f"{b['tag']} «{b['text']}» at y={b['top']:.0f}, x={b['left']:.0f}"
        )

    # A visible focus indicator (SC 2.4.7) of at least 3:1 against what it is drawn on (SC 1.4.11).
    for s in stops:
        outline = s["outline"]
        assert outline["style"] != "none" and outline["width"] >= 2, f"{where}: no focus ring on {s}"
        ring = parse_colour(outline["color"])
        for background in s["backgrounds"]:
            ratio = contrast(ring, over(parse_colour(background), parse_colour("#fff")))
            assert ratio >= FOCUS_CONTRAST, (
                f"{where}: focus ring {hex_of(ring)} on {background} is {ratio:.2f}:1 ({s['tag']} «{s['text']}»)"
            )

    # Operated with the keyboard alone: each kind of control there is.
    operate(page, controls, where)


def operate(page: Any, controls: list[dict[str, Any]], where: str) -> None:
    def focus(control: dict[str, Any]) -> Any:
        element = page.locator(f"[data-a11y='{control['key']}']")
        element.focus()
        return element

    for c in controls:
        if c["tag"] == "summary":  # Enter opens and closes the filters
            element = focus(c)
            was = element.evaluate("s => s.parentElement.open")
            page.keyboard.press("Enter")
            assert element.evaluate("s => s.parentElement.open") != was, f"{where}: Enter does not toggle {c}"
            page.keyboard.press("Enter")
        elif c["role"] == "region":  # the arrows scroll a box that is wider than the screen
            element = focus(c)
            if element.evaluate("e => e.scrollWidth > e.clientWidth"):
                page.keyboard.press("ArrowRight")
                # Chromium scrolls smoothly: wait for it (a box that never scrolls fails, however fast)
                deadline = time.monotonic() + 30
                while element.evaluate("e => e.scrollLeft") == 0:
                    assert time.monotonic() < deadline, f"{where}: the arrows do not scroll {c}"
                    page.wait_for_timeout(50)
        elif c["tag"] == "textarea" or (c["tag"] == "input" and c["type"] in ("", "search", "password")):
            element = focus(c)
            before = element.input_value()
            page.keyboard.press("End")
            page.keyboard.type("x")
            assert element.input_value() == before + "x", f"{where}: typing does not reach {c}"
            page.keyboard.press("Backspace")
        elif c["tag"] == "select":
            element = focus(c)
            if element.evaluate("s => s.options.length") > 1:
                before = element.input_value()
                page.keyboard.press("ArrowDown")
                assert element.input_value() != before, f"{where}: the arrows do not choose in {c}"
                page.keyboard.press("ArrowUp")
    # Last, as it leaves the page: Enter follows the first link of the content.
    links = [c for c in controls if c["tag"] == "a" and c["main"] and not c["download"]]
    if links:
        href = links[0]["href"]
        focus(links[0])
        if href.startswith("#"):
            page.keyboard.press("Enter")
            assert page.evaluate("location.hash") == href, f"{where}: Enter on the link to {href} did not follow it"
        else:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            url = page.url.split("#")[0]
            path = url[url.index("/", len("http://")) :]
            assert path == href.split("#")[0], f"{where}: Enter on {href} went to {url}"


def tab_to(page: Any, selector: str, limit: int = 200) -> None:
    """Press Tab until the control ``selector`` names has the focus, as a person who cannot use a mouse."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reaches {selector}")


def assert_focus_on(page: Any, element_id: str) -> None:
    """The page gives the focus to ``element_id`` once loaded: autofocus is applied by the browser
    at its next rendering step, after the navigation ends, so wait for it (up to playwright's
    timeout) rather than read the focus at once."""
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=element_id)
    assert page.evaluate("document.activeElement.id") == element_id


@pytest.mark.parametrize("width", WIDTHS)
def test_buttons_work_with_the_keyboard_alone(server: str, browser: Any, ids: Ids, width: int) -> None:  # noqa: F811
    """Search, filter, sign in (wrong, then right), refuse a review without a note, sign out: every
    button there is, with Tab, typing, Enter and Space alone. Nothing is recorded."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": HEIGHTS[width]}, locale="it-IT")
    page = context.new_page()
    page.goto(server + "/")
    tab_to(page, "#q")
    page.keyboard.type("proroga")
    tab_to(page, "form.search button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="2 atti")).to_be_visible()
    tab_to(page, "summary")
    page.keyboard.press("Enter")
    tab_to(page, "#anno")
    page.keyboard.type("2026")
    tab_to(page, ".filters button")
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert page.url.endswith("/?q=proroga&anno=2026")

    tab_to(page, "nav a[href^='/accesso']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_focus_on(page, "nome")  # the form takes the focus
    page.keyboard.type("revisore")
    tab_to(page, "#password")
    page.keyboard.type("sbagliata-123")
    tab_to(page, ".login button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_focus_on(page, "errore-accesso")
    tab_to(page, "#password")
    assert page.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"
    page.keyboard.type(PASSWORD)
    tab_to(page, ".login button")
    with page.expect_navigation():
        page.keyboard.press("Space")
    expect(page.get_by_text("revisore (revisore)")).to_be_visible()

    page.goto(f"{server}/atti/{ids.draft}")
    tab_to(page, "button[value=negativo]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_focus_on(page, "errore-revisione")
    tab_to(page, "#nota")
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "errore-revisione"

    page.goto(server + "/")
    tab_to(page, "header button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Accedi")).to_be_visible()
    context.close()
