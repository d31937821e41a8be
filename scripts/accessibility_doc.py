"""Generate docs/accessibility.md's sections on what the accessibility tests check, from the checks.

The file carries generated sections between two HTML comments, as scripts/cli_docs.py's do:

    <!-- BEGIN GENERATED accessibility_doc checks -->
    ...
    <!-- END GENERATED accessibility_doc checks -->

``checks`` lists the page states the browser tests visit (tests/a11y_pages.py), the widths, the
axe-core version and WCAG tags, and the keyboard checks; ``contrast`` the contrast ratios of the
focus ring, the badges and the fields' borders, computed from style.css (tests/contrast.py).
tests/test_a11y_contrast.py fails when the file differs from what this script would write, so
the declaration's template states what the tests check today.

    .venv/bin/python scripts/accessibility_doc.py --write    # regenerate the sections
    .venv/bin/python scripts/accessibility_doc.py            # check only: print a diff, exit 1 if out of date
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "accessibility.md"
REGENERATE = ".venv/bin/python scripts/accessibility_doc.py --write"
_SECTION = re.compile(
    r"(<!-- BEGIN GENERATED accessibility_doc (\w+) -->\n)(.*?)(<!-- END GENERATED accessibility_doc \2 -->)", re.S
)


def _tests_module(name: str) -> ModuleType:
    """A module of tests/ (those that import no browser nor pytest), imported as the tests do."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"tests.{name}")


def axe_version() -> str:
    """The version of axe-core the tests inject: the first line of the bundled axe.min.js."""
    from importlib.util import find_spec

    spec = find_spec("axe_playwright_python")
    assert spec is not None and spec.origin is not None, "axe-playwright-python is not installed (setup.sh --test)"
    head = (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")[:200]
    m = re.search(r"axe v(\d+\.\d+\.\d+)", head)
    assert m is not None, "axe.min.js names no version"
    return m.group(1)


def checks() -> str:
    pages = _tests_module("a11y_pages")
    from atti.web.parole import ruolo

    widths = " and ".join(f"{w} px" for w in pages.WIDTHS)
    lines = [
        f"axe-core {axe_version()} (from the PyPI package axe-playwright-python), rules tagged "
        + ", ".join(f"`{t}`" for t in pages.AXE_TAGS)
        + f", in Debian's Chromium, at {widths} of CSS width; any violation fails the test "
        "(`tests/test_a11y.py::test_axe_finds_no_wcag_violation`).",
        "",
        f"Page states ({len(pages.PAGE_STATES)}, each at {len(pages.WIDTHS)} widths: "
        f"{len(pages.PAGE_STATES) * len(pages.WIDTHS)} checks by axe-core and as many keyboard walks):",
        "",
        "| state | page | who is signed in | HTTP status of its URL |",
        "|---|---|---|---|",
    ]
    for s in pages.PAGE_STATES:
        who = ruolo(s.role) if s.role else "nessuno (pubblico)"
        lines.append(f"| `{s.name}` | {s.description} | {who} | {s.status} |")
    lines += [
        "",
        "On every state and width the keyboard walk (`test_keyboard_reaches_every_control_in_reading_order`)"
        " checks that:",
        "",
        "- Tab from the skip link reaches every visible control (links, buttons, fields, `summary`, scroll"
        " boxes) exactly once, and no trap holds it (SC 2.1.1, 2.1.2);",
        "- each stop follows the previous one in reading order: further down the page, or in the column to"
        " its right (SC 2.4.3, 1.3.2);",
        "- each stop shows a focus ring of at least 2 px whose colour has at least"
        f" {pages.FOCUS_CONTRAST:g}:1 against the colour under it on each side, as the browser paints it"
        " (SC 2.4.7, 1.4.11);",
        "- an error message takes the focus, is announced (`role=\"alert\"`) and the page's title begins"
        " with \"Errore: \" (SC 3.3.1, 4.1.3);",
        "- each kind of control works with the keyboard alone: Enter opens and closes the filters, the"
        " arrows scroll a table wider than the screen and choose in a list, typing reaches every text"
        " field, Enter follows the first link of the content (SC 2.1.1).",
        "",
        "At each width `test_buttons_work_with_the_keyboard_alone` searches, opens the filters, filters,"
        " signs in with a wrong password and then the right one, refuses a review without a note and"
        " signs out with Tab, typing, Enter and Space alone: every button there is, and the focus on"
        " each error and its field.",
        "",
        "The axe test also fails on an English word left unmarked in a page's Italian text (outside"
        " `lang=\"en\"` and `<code>`), and checks `<html lang=\"it\">` (SC 3.1.1, 3.1.2).",
    ]
    return "\n".join(lines) + "\n"


def contrast() -> str:
    c = _tests_module("contrast")
    sheet = c.StyleSheet.read(c.CSS)
    pages = _tests_module("a11y_pages")
    ring = c.hex_of(sheet.colour(":focus-visible", "outline"))
    backgrounds = {**sheet.colours_of("background"), **sheet.colours_of("background-color")}
    lines = [
        "Computed from `src/atti/web/static/style.css` (its custom properties resolved) with WCAG 2.1's"
        " relative luminance (`tests/test_a11y_contrast.py`):",
        "",
        "| what | colour | against | background | ratio | least |",
        "|---|---|---|---|---|---|",
    ]
    for where, ratio in c.focus_ring_contrasts(sheet).items():
        lines.append(f"| focus ring | {ring} | {c.CONTROL_BACKGROUNDS[where]} (`{where}`) |"
                     f" {c.hex_of(backgrounds[where])} | {ratio:.2f}:1 | {pages.FOCUS_CONTRAST:g}:1 |")
    for selector, ratio in c.badge_contrasts(sheet).items():
        lines.append(f"| badge text (`{selector}`) | {c.hex_of(sheet.colour(selector, 'color'))} | its badge |"
                     f" {c.hex_of(backgrounds[selector])} | {ratio:.2f}:1 | {pages.TEXT_CONTRAST:g}:1 |")
    for where, ratio in c.field_border_contrasts(sheet).items():
        border = sheet.resolve(next(r.declarations["border"] for r in sheet.rules
                                    if "input" in r.selectors and "border" in r.declarations)).split()[-1]
        lines.append(f"| a field's border | {border} | {c.CONTROL_BACKGROUNDS[where]} (`{where}`) |"
                     f" {c.hex_of(backgrounds[where])} | {ratio:.2f}:1 | {pages.FOCUS_CONTRAST:g}:1 |")
    return "\n".join(lines) + "\n"


GENERATORS = {"checks": checks, "contrast": contrast}


def regenerate(text: str) -> str:
    """``text`` with each generated section written anew."""
    return _SECTION.sub(lambda m: m.group(1) + GENERATORS[m.group(2)]() + m.group(4), text)


def diff(old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), str(DOC), "generated"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="rewrite docs/accessibility.md's generated sections")
    args = parser.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    expected = regenerate(text)
    if args.write:
        if expected != text:
            DOC.write_text(expected, encoding="utf-8")
            print(f"Wrote {DOC.relative_to(ROOT)}")
        return 0
    if expected != text:
        sys.stdout.write(diff(text, expected))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
