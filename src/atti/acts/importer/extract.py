"""The text of an existing act: plain text, the text layer of a PDF, or the paragraphs of a DOCX.

The kind is told by the file's first bytes, not its name: archives hold PDFs named ``.txt`` and
DOCX files without an extension. A PDF page break becomes a form feed, which the cleaning step
uses to find the lines that repeat at the top or bottom of every page. pdftotext runs in layout
mode: otherwise it reads the column of list marks apart from the column of the items.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from lxml import etree

from atti.errors import ImportSourceError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PDFTOTEXT_TIMEOUT = 120


@dataclass(frozen=True)
class Source:
    text: str
    kind: str  # "pdf", "docx" or "txt"


def read_source(path: Path) -> Source:
    """The text of the document at ``path``; ImportSourceError when there is none to read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportSourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportSourceError(f"{path}: is a directory (to import a folder, give --archive)") from None
    except OSError as exc:
        raise ImportSourceError(f"{path}: cannot read: {exc.strerror}") from None
    return source_of(data, str(path))


def source_of(data: bytes, name: str) -> Source:
    if not data.strip():
        raise ImportSourceError(f"{name}: the file is empty")
    if data.startswith(b"%PDF"):
        source = Source(_pdf_text(data, name), "pdf")
    elif data.startswith(b"PK\x03\x04"):
        source = Source(_docx_text(data, name), "docx")
    else:
        source = Source(_plain_text(data, name), "txt")
    if not source.text.strip():
        what = "has no text layer (a scan? run OCR first)" if source.kind == "pdf" else "has no text"
        raise ImportSourceError(f"{name}: the {source.kind.upper()} {what}")
    return source


def _plain_text(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise ImportSourceError(f"{name}: not a text, PDF or DOCX file (binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older offices saved in Windows-1252; accept it only when it reads as mostly text.
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > len(text) // 100 + 2 or text.count("\ufffd") > len(text) // 50 + 2:
        raise ImportSourceError(f"{name}: not a text, PDF or DOCX file (binary data)")
    return text


def _pdf_text(data: bytes, name: str) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise ImportSourceError("pdftotext is not installed (Debian package poppler-utils)")
    try:
        done = subprocess.run(
            [exe, "-layout", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, timeout=_PDFTOTEXT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ImportSourceError(f"{name}: the PDF could not be read in {_PDFTOTEXT_TIMEOUT} s") from None
    if done.returncode != 0:
        raise ImportSourceError(f"{name}: not a readable PDF (corrupt or encrypted)")
    return done.stdout.decode("utf-8", errors="replace")


def _docx_text(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            xml = zf.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        raise ImportSourceError(f"{name}: not a readable DOCX (corrupt, or a ZIP that is not a document)") from None
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        raise ImportSourceError(f"{name}: not a readable DOCX (its document.xml is broken)") from None
    paragraphs = []
    for p in root.iter(f"{_W}p"):
        parts = []
        for node in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
            if node.tag == f"{_W}t":
                parts.append(node.text or "")
            elif node.tag == f"{_W}tab":
                parts.append("\t")
            else:
                parts.append("\n")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)
