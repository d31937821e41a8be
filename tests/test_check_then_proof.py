"""What `atti check` accepts, `atti publish` signs and `atti proof` finds in the archived PDF.

Issue 13: a form feed, a vertical tab, U+2028 or U+202E passed check and publish, and only proof
on the archived PDF found that the PDF said something else. Here hypothesis writes texts with
nasty Unicode into the example act's text fields (controls, bidi controls, separators, combining
marks, emoji, other scripts, very long words, leading and trailing spaces, the characters YAML
gives a meaning to), serialised with proper YAML quoting. For each act, either check refuses it
with FILE:LINE:COLUMN lines (exit 1, never "internal error"), or publish signs it into an archive
with the development CA and proof passes on the archived PDF.

Every published act is a LibreOffice conversion: a warm LibreOffice is shared by every publish
(the pipeline makes a cold one per act), few examples, no shrinking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from atti.templates.warm import WarmConverter

from .conftest import EXAMPLE, Atti, run_atti

# What an act's text is mostly made of: Italian words, with their accents and punctuation.
WORD = st.text(alphabet=st.sampled_from("abcdefghilmnopqrstuvzàèéìòùABCDEGILMNOPRSTUV0123456789.,;'’«»()/-€°"),
               min_size=1, max_size=14)
# One character at a time from the classes that cannot reach the PDF unchanged, or might not.
NASTY = st.sampled_from([
    "\x00", "\x07", "\b", "\v", "\f", "\r", "\x1b", "\x7f", "\x85", "\x9b",  # controls
    "\u2028", "\u2029",  # line and paragraph separators
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\U000e0041",  # invisible format characters
    "\u20dd", "\ufe0f", "a\u0301\u0302\u0303\u0304\u0306",  # an enclosing mark, a variation selector, a stack
    "\U0001f600", "\U0001f1ee\U0001f1f9", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "❤\ufe0f",  # emoji
    "\u05d0", "\u0627", "\u0915\u093f", "\u0e01\u0e34", "中", "한", "\U0001d538", "⑪",  # other scripts, symbols
    "\ue000", "\ufffd", "\uffff", "\u0378",  # private use, replacement, non-character, unassigned
])
# Printable oddities an act may well hold: spaces of other widths, tabs and new lines, accents
# on letters of their own, ligatures, symbols LibreOffice draws from a fallback font.
ODD = st.sampled_from([
    "\t", "\n", "\u00a0", "\u2009", "\u3000", "\u2011", "e\u0301", "o\u0308\u0323", "ﬁ", "½", "Ω", "ß", "Ж",
    "ǅ", "ŉ", "✓", "→", "≤", "Ⅻ", "①", "€", "№", "′", "‰",
])
# What YAML gives a meaning to, and what a template engine might.
SPECIAL = st.sampled_from([
    ":", ": ", " #", "#", "'", '"', "*", "&", "!", "!!str", "- ", "? ", "|", ">", "%", "@", "`", "{", "}", "[", "]",
    ",", "---", "...", "<<", "=", "~", "null", "yes", "0127", "1_000", "2:09", "{{ x }}", "{% if %}", "<w:t>", "&amp;",
])
LONG = st.text(alphabet=st.sampled_from("abcdefghilmnopqrstuvz/-_."), min_size=60, max_size=400)
CLEAN = st.one_of(WORD, WORD, WORD, ODD, SPECIAL, LONG)
ANY = st.one_of(CLEAN, NASTY, NASTY, st.text(max_size=4))
SPACES = st.sampled_from(["", "", " ", "  ", "\t", " \n"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    """A text of the act: one in four may hold anything, the others what an act may well hold."""
    segment = ANY if draw(st.integers(0, 3)) == 0 else CLEAN
    parts = draw(st.lists(segment, min_size=1, max_size=10))
    glue = draw(st.sampled_from([" ", " ", ""]))
    return draw(SPACES) + glue.join(parts) + draw(SPACES)


# The text fields the generated texts go into: every one is printed in the signed PDF.
FIELDS = ("oggetto", "organo", "premesse", "visti", "considerato", "punti", "qualifica", "ente", "registro")


@st.composite
def acts(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    del data["numero"]  # the archive numbers each act in turn
    chosen = draw(st.sets(st.sampled_from(FIELDS), min_size=1, max_size=4))
    for field in sorted(chosen):
        if field in ("oggetto", "organo"):
            data[field] = draw(texts())
        elif field in ("premesse", "visti", "considerato"):
            items = draw(st.lists(texts(), min_size=1, max_size=3))
            data[field] = items + list(data.get(field, []))[len(items):]
        elif field == "punti":
            data["dispositivo"]["punti"][0] = draw(texts())
        elif field == "qualifica":
            data["firmatario"]["qualifica"] = draw(texts())
        elif field == "ente":
            data["ente"]["nome"] = draw(texts())
        else:
            data["registro"] = draw(st.one_of(texts(), st.sampled_from(["D O", "D.O.", "DG/2", "S-G", "Ù.O.", "..."])))
    return data


@pytest.fixture(scope="module")
def publishing(libreoffice: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An archive with the development CA, and one warm LibreOffice for every publish into it."""
    import atti.templates

    archive = tmp_path_factory.mktemp("property") / "archive"
    assert run_atti("init", "--archive", archive).exit_code == 0
    with WarmConverter() as warm:
        patch = pytest.MonkeyPatch()
        # The pipeline takes its converter class from atti.templates at each publish.
        patch.setattr(atti.templates, "Converter", lambda timeout=120, **_: warm)
        try:
            yield archive
        finally:
            patch.undo()


PROBLEM = re.compile(r"(?P<file>.+):(?P<line>\d+):(?P<column>\d+): \S")
COUNTS: dict[str, int] = {"refused": 0, "published": 0}


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=acts())
@example(data={"oggetto": "prima\fdopo il form feed"})
@example(data={"premesse": ["prima\vdopo", "a\x85b", "c\u2028d"]})
@example(data={"registro": "D O"})
@example(data={"oggetto": "testo \u202eal contrario"})
@example(data={"punti": "una\tcolonna, poi\nuna riga nuova e ﬁne‑riga"})
def test_what_check_accepts_publishes_and_proves(
    data: dict[str, Any], atti: Atti, publishing: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = complete(data)
    path = tmp_path_factory.mktemp("act") / "act.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    checked = atti("check", path)
    assert checked.exit_code in (0, 1), checked.output
    if checked.exit_code == 1:
        lines = checked.output.splitlines()
        assert lines and all(
            (m := PROBLEM.match(line)) and m["file"] == str(path) for line in lines
        ), checked.output
        COUNTS["refused"] += 1
        return
    published = atti("publish", path, "--archive", publishing, "--json")
    assert published.exit_code == 0, published.output
    record = json.loads(published.stdout)
    proved = atti("proof", path, record["pdf"], "--numero", record["numero"])
    assert proved.exit_code == 0, proved.output
    COUNTS["published"] += 1


def complete(data: dict[str, Any]) -> dict[str, Any]:
    """An explicit example names only the fields it changes: the rest is the example act's."""
    if "ente" in data and "tipo" in data:
        return data
    act: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    del act["numero"]
    for key, value in data.items():
        if key == "punti":
            act["dispositivo"]["punti"][0] = value
        else:
            act[key] = value
    return act


def test_both_outcomes_happened() -> None:
    """The property means something only if hypothesis made acts check refused and acts it let
    through: run after it (pytest keeps the file's order), with the counts it kept."""
    if COUNTS["refused"] + COUNTS["published"] == 0:
        pytest.skip("the property test did not run")
    assert COUNTS["refused"] > 0 and COUNTS["published"] > 0, COUNTS
