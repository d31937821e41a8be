"""Colours and their contrast as WCAG 2.1 defines it, and the colours of style.css.

- :func:`contrast`: (L1 + 0.05) / (L2 + 0.05) of the relative luminances (WCAG 2.1, "contrast
  ratio" and "relative luminance": sRGB channels linearised with the 0.04045 threshold... as
  the W3C's formula says, 0.03928 in its older text: the same result for 8-bit channels).
- :func:`parse_colour`: ``#rgb``, ``#rrggbb``, ``rgb(r, g, b)`` and ``rgba(r, g, b, a)`` (what
  a browser's computed style gives), and a few keywords.
- :class:`StyleSheet`: the rules of a CSS file (no nesting but ``@media``), its custom
  properties and the colour each rule's declaration names, ``var(--x)`` resolved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

Colour = tuple[float, float, float, float]  # r, g, b in 0..255, alpha in 0..1

KEYWORDS = {"white": "#ffffff", "black": "#000000", "transparent": "rgba(0, 0, 0, 0)"}


def parse_colour(text: str) -> Colour:
    text = KEYWORDS.get(text.strip().lower(), text.strip().lower())
    if m := re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", text):
        h = m.group(1)
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 1.0
    if m := re.fullmatch(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+))?\s*\)", text):
        a = float(m.group(4)) if m.group(4) is not None else 1.0
        return float(m.group(1)), float(m.group(2)), float(m.group(3)), a
    raise ValueError(f"not a colour: {text!r}")


def over(top: Colour, bottom: Colour) -> Colour:
    """``top`` painted over the opaque ``bottom`` (alpha compositing)."""
    a = top[3]
    return (top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1.0)


def luminance(c: Colour) -> float:
    def channel(v: float) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])


def contrast(a: Colour, b: Colour) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def hex_of(c: Colour) -> str:
    return "#" + "".join(f"{round(v):02x}" for v in c[:3])


@dataclass(frozen=True)
class Rule:
    selectors: tuple[str, ...]
    declarations: dict[str, str]
    media: str | None  # the @media condition it sits in, or None


class StyleSheet:
    def __init__(self, text: str) -> None:
        self.rules: list[Rule] = []
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        self._parse(text, None)
        self.variables: dict[str, str] = {}
        for rule in self.rules:
            if ":root" in rule.selectors and rule.media is None:
                self.variables.update({k: v for k, v in rule.declarations.items() if k.startswith("--")})

    @classmethod
    def read(cls, path: Path) -> StyleSheet:
        return cls(path.read_text(encoding="utf-8"))

    def _parse(self, text: str, media: str | None) -> None:
        pos = 0
        while (start := text.find("{", pos)) != -1:
            prelude = text[pos:start].strip()
            if prelude.startswith("@media"):
                depth, i = 1, start + 1
                while depth:
                    depth += {"{": 1, "}": -1}.get(text[i], 0)
                    i += 1
                self._parse(text[start + 1 : i - 1], prelude[len("@media") :].strip())
                pos = i
                continue
            end = text.index("}", start)
            decls = {}
            for decl in text[start + 1 : end].split(";"):
                if ":" in decl:
                    name, _, value = decl.partition(":")
                    decls[name.strip()] = value.strip()
            self.rules.append(Rule(tuple(s.strip() for s in prelude.split(",")), decls, media))
            pos = end + 1

    def resolve(self, value: str) -> str:
        """``value`` with every ``var(--x)`` replaced by the custom property's value."""
        for _ in range(10):
            new = re.sub(r"var\((--[\w-]+)\)", lambda m: self.variables[m.group(1)], value)
            if new == value:
                return value
            value = new
        raise ValueError(f"var() nested too deep: {value}")

    def declared(self, selector: str, prop: str) -> list[str]:
        """Every value ``prop`` is given in a rule naming ``selector`` exactly, resolved."""
        return [self.resolve(r.declarations[prop]) for r in self.rules
                if selector in r.selectors and prop in r.declarations]

    def colour(self, selector: str, prop: str) -> Colour:
        values = self.declared(selector, prop)
        assert len(values) == 1, f"{selector} {{ {prop} }} is declared {len(values)} times: {values}"
        value = values[0]
        if prop in ("outline", "border"):
            value = next(part for part in re.split(r"\s+(?![^(]*\))", value) if _is_colour(part))
        if prop == "background":
            value = next(part for part in re.split(r"\s+(?![^(]*\))", value) if _is_colour(part))
        return parse_colour(value)

    def colours_of(self, prop: str) -> dict[str, Colour]:
        """Every selector whose rule gives ``prop`` a colour, with that colour."""
        found = {}
        for r in self.rules:
            if prop in r.declarations:
                value = self.resolve(r.declarations[prop])
                parts = [p for p in re.split(r"\s+(?![^(]*\))", value) if _is_colour(p)]
                if parts:
                    for s in r.selectors:
                        found[s] = parse_colour(parts[0])
        return found


def _is_colour(text: str) -> bool:
    try:
        parse_colour(text)
    except ValueError:
        return False
    return True


# -- what the tests measure in atti's style sheet ----------------------------------------------------

CSS = Path(__file__).resolve().parent.parent / "src" / "atti" / "web" / "static" / "style.css"

# The selectors whose background a control can sit on (the focus ring is drawn there).
CONTROL_BACKGROUNDS = {
    "body": "the page",
    "header.site": "the header (the site's name, sign-in and sign-out)",
    "footer.site": "the footer (the link to the API)",
    ".skip": "the skip link's own box, over the header",
    ".error": "an error message (its link to the field)",
}
# The selectors whose background holds no control, and why.
OTHER_BACKGROUNDS = {
    "button": "a control's own fill: the ring is drawn outside it (outline-offset), on what is around it",
    "mark": "a highlighted word of a snippet: text",
    "del": "a word struck in a redline: text",
    "ins": "a word added in a redline: text",
    ".badge.ok": "a badge: text",
    ".badge.ko": "a badge: text",
    ".badge.warn": "a badge: text",
    ".badge.reserved": "a badge: text",
}
# Where fields (input, select, textarea) sit: their border must be told from it (SC 1.4.11).
FIELD_BACKGROUNDS = ("body",)


def focus_ring_contrasts(sheet: StyleSheet) -> dict[str, float]:
    """The focus ring against each background a control sits on."""
    ring = sheet.colour(":focus-visible", "outline")
    backgrounds = {**sheet.colours_of("background"), **sheet.colours_of("background-color")}
    return {where: contrast(ring, backgrounds[where]) for where in CONTROL_BACKGROUNDS}


def badge_contrasts(sheet: StyleSheet) -> dict[str, float]:
    """Each badge's text against its background."""
    out = {}
    for selector, background in sheet.colours_of("background").items():
        if selector.startswith(".badge."):
            out[selector] = contrast(sheet.colour(selector, "color"), background)
    return out


def field_border_contrasts(sheet: StyleSheet) -> dict[str, float]:
    """The fields' border against the background they sit on."""
    [border] = [sheet.resolve(r.declarations["border"]) for r in sheet.rules
                if "input" in r.selectors and "border" in r.declarations]
    colour = parse_colour(border.split()[-1])
    backgrounds = sheet.colours_of("background")
    return {where: contrast(colour, backgrounds[where]) for where in FIELD_BACKGROUNDS}
