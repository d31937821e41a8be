"""The contrast of the focus ring, of every badge and of the fields' borders, computed from
style.css itself (its custom properties resolved) with WCAG 2.1's relative luminance: no browser.

Every background the style sheet declares is classified (tests/contrast.py) as one that controls sit on (the
focus ring is drawn on it, SC 1.4.11: 3:1) or one that holds none (a control's own fill, text
marks, badges): a new background must be added to one list or the other, so that none escapes.
The keyboard walk (tests/test_a11y.py) measures the ring again in the browser, against the
colour actually under it at every stop.
"""

from __future__ import annotations

import pytest

from .a11y_pages import FOCUS_CONTRAST, TEXT_CONTRAST
from .conftest import ROOT, load_script
from .contrast import (
    CONTROL_BACKGROUNDS,
    CSS,
    OTHER_BACKGROUNDS,
    StyleSheet,
    badge_contrasts,
    contrast,
    field_border_contrasts,
    focus_ring_contrasts,
    luminance,
    parse_colour,
)


@pytest.fixture(scope="module")
def sheet() -> StyleSheet:
    return StyleSheet.read(CSS)


def test_the_luminance_formula_on_known_values() -> None:
    white, black = parse_colour("#fff"), parse_colour("#000000")
    assert luminance(white) == pytest.approx(1.0) and luminance(black) == 0.0
    assert contrast(white, black) == pytest.approx(21.0)
    assert contrast(parse_colour("#777"), white) == pytest.approx(4.48, abs=0.01)  # the classic just-fails grey
    assert contrast(parse_colour("rgb(255, 159, 26)"), white) == pytest.approx(2.05, abs=0.01)  # the old ring


def test_every_background_of_the_style_sheet_is_classified(sheet: StyleSheet) -> None:
    declared = set(sheet.colours_of("background")) | set(sheet.colours_of("background-color"))
    known = set(CONTROL_BACKGROUNDS) | set(OTHER_BACKGROUNDS)
    assert declared == known, (
        f"style.css gives a background to {sorted(declared - known)} that tests/test_a11y_contrast.py does not "
        f"classify; it classifies {sorted(known - declared)} that style.css no longer has"
    )




def test_the_focus_ring_stands_out_from_every_background_a_control_sits_on(sheet: StyleSheet) -> None:
    width = sheet.declared(":focus-visible", "outline")[0].split()[0]
    assert width.endswith("px") and float(width[:-2]) >= 2, "a ring of at least 2 px"
    low = {where: round(ratio, 2) for where, ratio in focus_ring_contrasts(sheet).items() if ratio < FOCUS_CONTRAST}
    assert not low, f"the focus ring is below {FOCUS_CONTRAST}:1 on {low}"
    # nothing takes the ring away again, but main, focused only as the skip link's target
    for rule in sheet.rules:
        if "outline" in rule.declarations and rule.declarations["outline"].strip() in ("none", "0"):
            assert rule.selectors == ("main:focus",), f"{rule.selectors} removes the focus ring"




def test_every_badge_is_readable(sheet: StyleSheet) -> None:
    """A badge's words are small bold text (0.9rem): 4.5:1 (SC 1.4.3); the badge says its meaning in
    words, so no colour needs telling apart (SC 1.4.1)."""
    badges = badge_contrasts(sheet)
    assert set(badges) >= {".badge.ok", ".badge.ko", ".badge.warn", ".badge.reserved"}
    low = {s: round(r, 2) for s, r in badges.items() if r < TEXT_CONTRAST}
    assert not low, f"badges below {TEXT_CONTRAST}:1: {low}"




def test_a_fields_border_stands_out_from_the_page(sheet: StyleSheet) -> None:
    low = {w: round(r, 2) for w, r in field_border_contrasts(sheet).items() if r < FOCUS_CONTRAST}
    assert not low, f"the fields' border is below {FOCUS_CONTRAST}:1 on {low}"


def test_the_checker_finds_a_ring_too_faint() -> None:
    faint = StyleSheet(CSS.read_text(encoding="utf-8").replace("--focus: #b35900", "--focus: #ff9f1a"))
    ratios = focus_ring_contrasts(faint)
    assert round(ratios["body"], 2) == 2.05 and round(ratios["header.site"], 2) == 1.88


def test_the_declaration_is_generated_from_the_checks() -> None:
    """docs/accessibility.md is what scripts/accessibility_doc.py writes from the page states, the
    axe-core rules and the contrasts measured here."""
    doc = load_script(ROOT / "scripts" / "accessibility_doc.py")
    path = ROOT / "docs" / "accessibility.md"
    text = path.read_text(encoding="utf-8")
    expected = doc.regenerate(text)
    assert text == expected, (
        f"docs/accessibility.md differs from the checks: run {doc.REGENERATE} and commit the result\n"
        + doc.diff(text, expected)
    )
