"""The text of an existing act: plain text, the text layer of a PDF, or the paragraphs of a DOCX.

The kind is told by the file's first bytes, not its name: archives hold PDFs named ``.txt`` and
DOCX files without an extension. A PDF page break becomes a form feed, which the cleaning step
uses to find the lines that repeat at the top or bottom of every page. pdftotext runs in layout
mode: otherwise it reads the column of list marks apart from the column of the items.

What a document may cost is bounded, since a small file can expand to a huge one: the file
itself (IMPORT_MAX_BYTES), a DOCX's members (:mod:`atti.docxzip`), and pdftotext's time, memory
and output (PDFTOTEXT_TIMEOUT, PDFTOTEXT_MAX_MEMORY, PDF_TEXT_MAX_BYTES). A PDF of one megabyte
drawing a page of 256 MB of text took pdftotext nine gigabytes and over a minute.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from lxml import etree

from atti.docxzip import DocxTooLarge, read_member
from atti.errors import ImportSourceError
from atti.i18n import _
from atti.processes import Overrun, run_bounded

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MB = 1_000_000
IMPORT_MAX_BYTES = 200 * MB
"""The largest document ``atti import`` reads."""
PDFTOTEXT_TIMEOUT: float = 120
"""Seconds pdftotext may take over one PDF."""
PDFTOTEXT_MAX_MEMORY = 512 * 1024 * 1024
"""The address space pdftotext may use (a normal act needs a few tens of megabytes)."""
PDF_TEXT_MAX_BYTES = 20 * MB
"""The most text one PDF may give (a thousand-page act gives a few megabytes)."""


@dataclass(frozen=True)
class Source:
    text: str
    kind: str  # "pdf", "docx" or "txt"


def read_source(path: Path) -> Source:
    """The text of the document at ``path``; ImportSourceError when there is none to read."""
    return source_of(read_document(path), str(path))


def read_document(path: Path) -> bytes:
    """The bytes of the document at ``path``: a regular file of at most IMPORT_MAX_BYTES, else
    ImportSourceError."""
    try:
        # O_NONBLOCK: a named pipe would wait for a writer forever; it is refused below instead.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError
            if not stat.S_ISREG(info.st_mode):
                raise ImportSourceError(_("{path}: not a regular file").format(path=path))
            chunks: list[bytes] = []
            size = 0
            # In pieces, up to one byte past the limit: read(limit) would allocate all of it at once.
            while size <= IMPORT_MAX_BYTES and (chunk := fh.read(min(1 << 20, IMPORT_MAX_BYTES + 1 - size))):
                chunks.append(chunk)
                size += len(chunk)
        if size > IMPORT_MAX_BYTES:
            raise ImportSourceError(_("{path}: the file is larger than {mb} MB: refused").format(
                path=path, mb=f"{IMPORT_MAX_BYTES / MB:g}"))
        data = b"".join(chunks)
    except FileNotFoundError:
        raise ImportSourceError(_("{path}: no such file").format(path=path)) from None
    except IsADirectoryError:
        message = _("{path}: is a directory (to import a folder, give --archive)")
        raise ImportSourceError(message.format(path=path)) from None
    except OSError as exc:
        raise ImportSourceError(_("{path}: cannot read: {reason}").format(path=path, reason=exc.strerror)) from None
    return data


def source_of(data: bytes, name: str) -> Source:
    if not data.strip():
        raise ImportSourceError(_("{path}: the file is empty").format(path=name))
    if data.startswith(b"%PDF"):
        source = Source(_pdf_text(data, name), "pdf")
    elif data.startswith(b"PK\x03\x04"):
        source = Source(_docx_text(data, name), "docx")
    else:
        source = Source(_plain_text(data, name), "txt")
    if not source.text.strip():
        what = (_("{path}: the PDF has no text layer (a scan? run OCR first)") if source.kind == "pdf"
                else _("{path}: the {kind} has no text"))
        raise ImportSourceError(what.format(path=name, kind=source.kind.upper()))
    return source


def _plain_text(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise ImportSourceError(_("{path}: not a text, PDF or DOCX file (binary data)").format(path=name))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older offices saved in Windows-1252; accept it only when it reads as mostly text.
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > len(text) // 100 + 2 or text.count("\ufffd") > len(text) // 50 + 2:
        raise ImportSourceError(_("{path}: not a text, PDF or DOCX file (binary data)").format(path=name))
    return text


def _pdf_text(data: bytes, name: str) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise ImportSourceError(_("pdftotext is not installed (Debian package poppler-utils)"))
    with tempfile.TemporaryDirectory(prefix="atti-import-") as tmp:
        pdf = Path(tmp) / "act.pdf"
        pdf.write_bytes(data)
        try:
            done = run_bounded([exe, "-layout", "-enc", "UTF-8", str(pdf), "-"], timeout=PDFTOTEXT_TIMEOUT,
                               max_output=PDF_TEXT_MAX_BYTES, max_memory=PDFTOTEXT_MAX_MEMORY)
        except OSError as exc:
            raise ImportSourceError(_("cannot run pdftotext: {reason}").format(reason=exc.strerror)) from None
        except Overrun as over:
            raise ImportSourceError(f"{name}: {_overrun(over.limit)}") from None
    if done.returncode != 0:
        raise ImportSourceError(_("{path}: not a readable PDF (corrupt or encrypted)").format(path=name))
    return done.out.decode("utf-8", errors="replace")


def _overrun(limit: str) -> str:
    """What went past its bound, read at the time (the tests lower the bounds)."""
    return {
        "time": _("the PDF could not be read in {seconds} s").format(seconds=f"{PDFTOTEXT_TIMEOUT:g}"),
        "output": _("the PDF's text would be more than {mb} MB: refused").format(mb=f"{PDF_TEXT_MAX_BYTES / MB:g}"),
        "memory": _("reading the PDF's text would take more than {mb} MB of memory: refused").format(
            mb=PDFTOTEXT_MAX_MEMORY >> 20),
    }[limit]


def _docx_text(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            xml = read_member(zf, "word/document.xml")
    except DocxTooLarge as exc:
        raise ImportSourceError(f"{name}: {exc.msg}") from None
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        raise ImportSourceError(
            _("{path}: not a readable DOCX (corrupt, or a ZIP that is not a document)").format(path=name)) from None
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        broken = _("{path}: not a readable DOCX (its document.xml is broken)")
        raise ImportSourceError(broken.format(path=name)) from None
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
