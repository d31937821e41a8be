"""The words of each page of a PDF and where they stand, as poppler's ``pdftotext -bbox`` reads them.

``atti compare`` reads a page's text from these words, and its layout from their boxes: two pages
with the same words in other places are laid out otherwise. Words come in the order the PDF draws
them (``-raw``), which does not depend on poppler guessing columns.

What this may cost is bounded: the pages read (COMPARE_MAX_PAGES), pdftotext's time, memory and
output (WORDS_TIMEOUT, WORDS_MAX_MEMORY, WORDS_MAX_BYTES). pdftotext leads its own process group,
killed on any way out (:mod:`atti.processes`).
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from atti.errors import ConverterMissing, VerificationError
from atti.i18n import _
from atti.processes import Overrun, run_bounded

MB = 1_000_000
COMPARE_MAX_PAGES = 500
"""The pages of each PDF whose text and layout ``atti compare`` reads; later ones are not compared."""
WORDS_TIMEOUT: float = 120
"""Seconds pdftotext may take over one PDF."""
WORDS_MAX_MEMORY = 512 * 1024 * 1024
"""The address space pdftotext may use."""
WORDS_MAX_BYTES = 100 * MB
"""The most output (words with their boxes, about 80 bytes a word) one PDF may give."""


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]  # xMin, yMin, xMax, yMax in points, from the top left


@dataclass(frozen=True)
class Page:
    size: tuple[float, float]  # width, height in points
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


_PAGE = re.compile(r'<page width="(?P<w>[-0-9.]+)" height="(?P<h>[-0-9.]+)">(?P<body>.*?)</page>', re.DOTALL)
_WORD = re.compile(
    r'<word xMin="(?P<x0>[-0-9.]+)" yMin="(?P<y0>[-0-9.]+)" xMax="(?P<x1>[-0-9.]+)" yMax="(?P<y1>[-0-9.]+)">'
    r"(?P<text>.*?)</word>",
    re.DOTALL,
)


def page_words(pdf: bytes, label: str) -> list[Page]:
    """The first COMPARE_MAX_PAGES pages of ``pdf``; VerificationError naming ``label`` if unreadable."""
    exe = shutil.which("pdftotext")
    if exe is None:
        raise ConverterMissing(_("pdftotext not found: install the Debian package poppler-utils"))
    with tempfile.TemporaryDirectory(prefix="atti-compare-") as tmp:
        path = Path(tmp) / "file.pdf"
        path.write_bytes(pdf)
        cmd = [exe, "-raw", "-bbox", "-enc", "UTF-8", "-l", str(COMPARE_MAX_PAGES), str(path), "-"]
        try:
            done = run_bounded(cmd, timeout=WORDS_TIMEOUT, max_output=WORDS_MAX_BYTES, max_memory=WORDS_MAX_MEMORY)
        except OSError as exc:
            raise VerificationError(_("cannot run pdftotext: {reason}").format(reason=exc.strerror)) from None
        except Overrun as over:
            raise VerificationError(f"{label}: {_overrun(over.limit)}") from None
    if done.returncode != 0:
        why = done.err.decode("utf-8", "replace").strip().splitlines()
        raise VerificationError(_("{label}: text unreadable: {reason}").format(
            label=label, reason=why[-1] if why else _("pdftotext failed")))
    out = done.out
    return [
        Page(
            (float(p["w"]), float(p["h"])),
            tuple(
                Word(html.unescape(m["text"]), (float(m["x0"]), float(m["y0"]), float(m["x1"]), float(m["y1"])))
                for m in _WORD.finditer(p["body"])
            ),
        )
        for p in _PAGE.finditer(out.decode("utf-8", "replace"))
    ]


def _overrun(limit: str) -> str:
    """What went past its bound, read at the time (the tests lower the bounds)."""
    return {
        "time": _("its words could not be read in {seconds} s").format(seconds=f"{WORDS_TIMEOUT:g}"),
        "output": _("its words would be more than {mb} MB").format(mb=f"{WORDS_MAX_BYTES / MB:g}"),
        "memory": _("reading its words would take more than {mb} MB").format(mb=WORDS_MAX_MEMORY >> 20),
    }[limit]
