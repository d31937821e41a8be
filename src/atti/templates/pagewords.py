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
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from atti.errors import ConverterMissing, VerificationError
from atti.processes import guard, kill_group, release

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
        raise ConverterMissing("pdftotext not found: install the Debian package poppler-utils")
    with tempfile.TemporaryDirectory(prefix="atti-compare-") as tmp:
        path = Path(tmp) / "file.pdf"
        path.write_bytes(pdf)
        # The shell sets the memory limit and becomes pdftotext: no preexec_fn, safe with threads.
        cmd = ["/bin/sh", "-c", f'ulimit -v {WORDS_MAX_MEMORY // 1024} && exec "$0" "$@"', exe,
               "-raw", "-bbox", "-enc", "UTF-8", "-l", str(COMPARE_MAX_PAGES), str(path), "-"]
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
            )
        except OSError as exc:
            raise VerificationError(f"cannot run pdftotext: {exc.strerror}") from None
        guard(proc.pid)
        try:
            out, err = _bounded_output(proc, label)
        finally:  # refused, timed out or interrupted: pdftotext goes too
            if proc.poll() is None:
                kill_group(proc.pid)
            proc.wait()
            release(proc.pid)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
    if proc.returncode != 0:
        if b"Out of memory" in err or b"bad_alloc" in err:
            raise VerificationError(f"{label}: reading its words would take more than {WORDS_MAX_MEMORY >> 20} MB")
        why = err.decode("utf-8", "replace").strip().splitlines()
        raise VerificationError(f"{label}: text unreadable: {why[-1] if why else 'pdftotext failed'}")
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


def _bounded_output(proc: subprocess.Popen[bytes], label: str) -> tuple[bytes, bytes]:
    """pdftotext's output and the end of its messages, within WORDS_MAX_BYTES and WORDS_TIMEOUT."""
    assert proc.stdout is not None and proc.stderr is not None
    deadline = time.monotonic() + WORDS_TIMEOUT
    slow = f"{label}: its words could not be read in {WORDS_TIMEOUT:g} s"
    out: list[bytes] = []
    size = 0
    err = b""
    open_fds = {proc.stdout.fileno(), proc.stderr.fileno()}
    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise VerificationError(slow)
        readable, _, _ = select.select(list(open_fds), [], [], remaining)
        for fd in readable:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.discard(fd)
            elif fd == proc.stdout.fileno():
                size += len(chunk)
                if size > WORDS_MAX_BYTES:
                    raise VerificationError(f"{label}: its words would be more than {WORDS_MAX_BYTES / MB:g} MB")
                out.append(chunk)
            else:
                err = (err + chunk)[-4096:]
    try:
        proc.wait(max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        raise VerificationError(slow) from None
    return b"".join(out), err
