"""The characters an act may hold, and why each of the others is refused.

The signed PDF must say what the YAML says, and ``atti proof`` reads it back to show that it does.
Some characters cannot make that trip unchanged: a form feed becomes a page break, a vertical tab,
U+0085 or U+2028 a new line that splits an item, U+202E turns the text around on screen, a
zero-width space vanishes, a private-use character looks like whatever the font puts there. Others
do reach the PDF, but its text cannot be read back in the order it was written: right-to-left
scripts, and scripts whose letters change shape and place around each other (Arabic, Devanagari,
Thai...). So an act is written in a documented set of characters (docs/act-format.md):

- anywhere in the file (comments too), none of the invisible or ambiguous characters: controls
  other than tab and line breaks, format characters (bidi controls, zero-width characters, the
  soft hyphen, the byte order mark after the start...), line and paragraph separators,
  surrogates, private-use and unassigned code points, and the replacement character U+FFFD;
- in the act's text, moreover, only the letters of the Latin, Greek and Cyrillic scripts with
  their accents, digits, punctuation, spaces and the common symbols of :data:`TEXT_RANGES`, and
  at most :data:`MAX_MARKS` accents (combining marks) on one letter.

Tabs and the line breaks of a ``|`` block stay: in the PDF they are white space, which the proof
does not compare (a tab moves to the next tab stop). Invisible characters are refused rather than
dropped, because they are not only the PDF's problem: "pre\u00adcipitevolmente" with a soft hyphen
prints "pre-" at a line's end, and is not found by a search for "precipitevolmente" either.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

from atti.i18n import N_, _, translate

# The names of the C0 and C1 controls (Unicode's NameAliases.txt), which unicodedata.name lacks.
_C0 = (
    "NULL", "START OF HEADING", "START OF TEXT", "END OF TEXT", "END OF TRANSMISSION", "ENQUIRY",
    "ACKNOWLEDGE", "BELL", "BACKSPACE", "CHARACTER TABULATION", "LINE FEED", "LINE TABULATION",
    "FORM FEED", "CARRIAGE RETURN", "SHIFT OUT", "SHIFT IN", "DATA LINK ESCAPE", "DEVICE CONTROL ONE",
    "DEVICE CONTROL TWO", "DEVICE CONTROL THREE", "DEVICE CONTROL FOUR", "NEGATIVE ACKNOWLEDGE",
    "SYNCHRONOUS IDLE", "END OF TRANSMISSION BLOCK", "CANCEL", "END OF MEDIUM", "SUBSTITUTE", "ESCAPE",
    "INFORMATION SEPARATOR FOUR", "INFORMATION SEPARATOR THREE", "INFORMATION SEPARATOR TWO",
    "INFORMATION SEPARATOR ONE",
)
_C1 = (
    "PADDING CHARACTER", "HIGH OCTET PRESET", "BREAK PERMITTED HERE", "NO BREAK HERE", "INDEX", "NEXT LINE",
    "START OF SELECTED AREA", "END OF SELECTED AREA", "CHARACTER TABULATION SET",
    "CHARACTER TABULATION WITH JUSTIFICATION", "LINE TABULATION SET", "PARTIAL LINE FORWARD",
    "PARTIAL LINE BACKWARD", "REVERSE LINE FEED", "SINGLE SHIFT TWO", "SINGLE SHIFT THREE",
    "DEVICE CONTROL STRING", "PRIVATE USE ONE", "PRIVATE USE TWO", "SET TRANSMIT STATE", "CANCEL CHARACTER",
    "MESSAGE WAITING", "START OF GUARDED AREA", "END OF GUARDED AREA", "START OF STRING",
    "SINGLE GRAPHIC CHARACTER INTRODUCER", "SINGLE CHARACTER INTRODUCER", "CONTROL SEQUENCE INTRODUCER",
    "STRING TERMINATOR", "OPERATING SYSTEM COMMAND", "PRIVACY MESSAGE", "APPLICATION PROGRAM COMMAND",
)
_CONTROL_NAMES = {**dict(enumerate(_C0)), 0x7F: "DELETE", **{0x80 + i: name for i, name in enumerate(_C1)}}

# What YAML itself cannot read (YAML 1.1's printable set, as PyYAML's reader has it): the loader
# refuses these before parsing, with their place, instead of PyYAML's ReaderError.
UNREADABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# The characters YAML counts as line breaks and most editors do not.
YAML_LINE_BREAKS = frozenset("\x85\u2028\u2029")
# Anything not plain ASCII text: the only characters worth a closer look.
_UNUSUAL = re.compile("[^\t\n\x20-\x7e]")

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_CONTROL = N_("an invisible control character")

# The characters the act's text is written in (first and last code point, both included): the
# Latin, Greek and Cyrillic scripts with punctuation and common symbols, where the fonts atti's
# templates use have them (Liberation Sans, and DejaVu Sans where LibreOffice falls back to it;
# scripts/setup.sh installs both). A character no font has would print as an empty box, and a box
# among the characters LibreOffice takes from another font can throw the whole line out of order.
# Within these ranges the refusals above still apply (General Punctuation's format characters).
TEXT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0020, 0x007E, "Basic Latin"),
    (0x00A0, 0x024F, "Latin-1 Supplement, Latin Extended-A and -B"),
    (0x0250, 0x02FF, "IPA Extensions, Spacing Modifier Letters"),
    (0x0300, 0x036F, "Combining Diacritical Marks"),
    (0x0370, 0x03FF, "Greek and Coptic"),
    (0x0400, 0x0525, "Cyrillic, Cyrillic Supplement"),
    (0x1E00, 0x1EFB, "Latin Extended Additional"),
    (0x1F00, 0x1FFF, "Greek Extended"),
    (0x2000, 0x206F, "General Punctuation"),
    (0x2070, 0x209F, "Superscripts and Subscripts"),
    (0x20A0, 0x20B5, "Currency Symbols"),
    (0x20B8, 0x20BA, "Currency Symbols: tenge, rupee, Turkish lira"),
    (0x20BD, 0x20BD, "Currency Symbols: ruble"),
    (0x20BF, 0x20BF, "Currency Symbols: bitcoin"),
    (0x2100, 0x2109, "Letterlike Symbols"),
    (0x210B, 0x2149, "Letterlike Symbols"),
    (0x2150, 0x2185, "Number Forms"),
    (0x2190, 0x21FF, "Arrows"),
    (0x2200, 0x22FF, "Mathematical Operators"),
    (0x2460, 0x2469, "Enclosed Alphanumerics: circled 1 to 10"),
    (0x25A0, 0x25FF, "Geometric Shapes"),
    (0x2713, 0x2718, "Dingbats: check marks and crosses"),
    (0xFB00, 0xFB06, "Latin ligatures (Alphabetic Presentation Forms)"),
)


MAX_MARKS = 4
"""Combining marks on one letter: Vietnamese needs two (ệ); past some twenty, a stack of them is
read back from the PDF in another order."""
_MARKS = "".join(
    chr(code) for first, last, _ in TEXT_RANGES for code in range(first, last + 1)
    if unicodedata.category(chr(code)).startswith("M")
)
_STACKED = re.compile(f"[{re.escape(_MARKS)}]{{{MAX_MARKS + 1},}}")


def stacked_marks(text: str) -> Iterator[tuple[int, int]]:
    """``(index, count)`` of each run of more than MAX_MARKS combining marks in ``text``."""
    for match in _STACKED.finditer(text):
        yield match.start(), match.end() - match.start()


def refused_message(char: str, why: str) -> str:
    """"character U+202E (RIGHT-TO-LEFT OVERRIDE) cannot be in an act: <why>", in the current language."""
    return _("character {char} cannot be in an act: {why}").format(char=describe(char), why=translate(why))


def describe(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``, as a message names a character."""
    code = ord(char)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(char, "")
    return f"U+{code:04X} ({name})" if name else f"U+{code:04X}"


@functools.lru_cache(maxsize=4096)
def refused_in_file(char: str) -> str | None:
    """Why ``char`` may not be anywhere in an act's file, or None when it may."""
    if char in "\t\n\r":
        return None
    if char in YAML_LINE_BREAKS:
        return N_(
            "a line break inside the text: it would split the item in the signed PDF "
            "(write separate items, or a plain new line in a '|' block)"
        )
    if char == "\f":
        return N_("a page break in the signed PDF")
    if char == "\v":
        return N_("a line break in the signed PDF: it would split the item")
    category = unicodedata.category(char)
    if category == "Cc":
        return _CONTROL
    if char in _BIDI_CONTROLS:
        return N_("it changes the direction of the text on screen, so the act would read differently from what it says")
    if category == "Cf":
        return N_("an invisible formatting character: the text looks the same without it, but is not the same text")
    if category == "Cs":
        return N_("half of a character (a lone surrogate): the text was damaged")
    if category == "Co":
        return N_("a private-use character: what it looks like depends on the font")
    if category in ("Zl", "Zp"):
        return N_("a line break inside the text: it would split the item in the signed PDF")
    if category == "Cn":
        return N_("not a character (unassigned in Unicode, or a non-character)")
    if char == "\ufffd":
        return N_("the text was damaged when it was converted (U+FFFD stands for a lost character): type the original")
    return None


@functools.lru_cache(maxsize=4096)
def refused_in_text(char: str) -> str | None:
    """Why ``char`` may not be in the act's text, or None when it may."""
    if char == "\r":  # a line ending in the file; in a text only as the escape "\r"
        return _CONTROL
    refused = refused_in_file(char)
    if refused is not None or char in "\t\n":
        return refused
    code = ord(char)
    if any(first <= code <= last for first, last, _name in TEXT_RANGES):
        return None
    return N_(
        "it is not among the characters an act is written in (Latin, Greek and Cyrillic letters, digits, "
        "punctuation and common symbols: see docs/act-format.md), so the signed PDF could not be proved "
        "to say the same"
    )


def refused(text: str, *, in_text: bool = False) -> Iterator[tuple[int, str, str]]:
    """``(index, character, why)`` for every refused character of ``text``, in order."""
    why = refused_in_text if in_text else refused_in_file
    for match in _UNUSUAL.finditer(text):
        reason = why(match.group())
        if reason is not None:
            yield match.start(), match.group(), reason


# YAML's escapes in double-quoted scalars, and the character each stands for.
_ESCAPES = {
    "0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b", "f": "\x0c",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def find_in_scalar(text: str, start: int, end: int, style: str, char: str) -> int | None:
    """Where in ``text[start:end]`` (a scalar written in ``style``) ``char`` is written: as itself,
    or, between double quotes, as an escape such as ``\\f`` or ``\\u202e``; None if nowhere."""
    i = start
    while i < end:
        here = text[i]
        if here == char:
            return i
        if style == '"' and here == "\\" and i + 1 < end:
            code = text[i + 1]
            width = _HEX_ESCAPES.get(code)
            if width is not None:
                digits = text[i + 2:i + 2 + width]
                try:
                    if chr(int(digits, 16)) == char:
                        return i
                except ValueError:
                    pass
                i += 2 + width
                continue
            if _ESCAPES.get(code) == char:
                return i
            i += 2
            continue
        i += 1
    return None
