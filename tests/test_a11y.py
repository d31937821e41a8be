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

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .a11y_pages import AXE_TAGS, PAGE_STATES, WIDTHS, Ids, PageState
from .test_web import PASSWORD, PUBLIC, RESERVED, USERS, drafts
from .test_web_e2e import archive, browser, server  # noqa: F401  (the fixtures, shared)

pytestmark = pytest.mark.browser

HEIGHTS = {1280: 900, 390: 844}
REPORT = Path("/tmp/atti-a11y")  # the axe results of each page state, for a person to read


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
    "created", "saved", "submitted", "reviewed",
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
    assert not violations, f"{state.name} at {width} px:\n{describe(violations)}"
    words = set(re.findall(r"[a-z]+", page.evaluate(ITALIAN_TEXT).lower()))
    assert not words & ENGLISH, f"{state.name}: English words on the Italian page, unmarked: {words & ENGLISH}"
