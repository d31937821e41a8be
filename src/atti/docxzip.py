"""A DOCX's zip, read within bounds: a file of two megabytes must not become gigabytes in memory.

A DOCX is a zip, and a zip member can expand a thousand times (a "zip bomb"). Before anything
is read, the sizes the zip's central directory declares are checked: how many members, each
member's size and its compression ratio, and the total of the members that will be read. While
reading, no member yields more than it declared (zipfile stops there and then fails its CRC
check), so a zip that understates a size is refused as corrupt without expanding further.

Two readers use this: ``atti import`` (:mod:`atti.acts.importer.extract`, which reads only
``word/document.xml``) and the body's templates, which python-docx reads whole
(:mod:`atti.templates.render`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable

from atti.i18n import _

MB = 1_000_000
DOCX_MAX_BYTES = 200 * MB
"""The most the members read from one DOCX may expand to, together."""
DOCX_MAX_MEMBER_BYTES = 100 * MB
"""The most one member may expand to (a template's images included)."""
DOCX_MAX_RATIO = 200
"""How many times a member larger than 1 MB may expand; office XML rarely goes past 40."""
DOCX_MAX_MEMBERS = 10_000
_RATIO_FROM = 1 * MB


class DocxTooLarge(Exception):
    """The DOCX would cost more than the bounds allow; ``msg`` ends with ": refused" (in the language of messages)."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


def check_docx(zf: zipfile.ZipFile, names: Iterable[str] | None = None) -> None:
    """Refuse, from the central directory alone, a DOCX whose members ``names`` (default: all)
    would expand past the bounds; DocxTooLarge says which bound. Missing names are not checked."""
    infos = zf.infolist()
    if len(infos) > DOCX_MAX_MEMBERS:
        raise DocxTooLarge(_("the DOCX has more than {count} members: refused").format(count=DOCX_MAX_MEMBERS))
    wanted = None if names is None else set(names)
    total = 0
    for info in infos:
        if wanted is not None and info.filename not in wanted:
            continue
        if info.file_size > DOCX_MAX_MEMBER_BYTES:
            raise DocxTooLarge(_("the DOCX would expand to more than {mb} MB ({name}): refused").format(
                mb=DOCX_MAX_MEMBER_BYTES // MB, name=info.filename))
        if info.file_size > _RATIO_FROM and info.file_size > DOCX_MAX_RATIO * max(info.compress_size, 1):
            raise DocxTooLarge(
                _("the DOCX's {name} is compressed more than {ratio} to 1 (a zip bomb?): refused").format(
                    name=info.filename, ratio=DOCX_MAX_RATIO))
        total += info.file_size
        if total > DOCX_MAX_BYTES:
            raise DocxTooLarge(_("the DOCX would expand to more than {mb} MB: refused").format(mb=DOCX_MAX_BYTES // MB))


def read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    """One member, checked first (:func:`check_docx`) and read in pieces, never past its declared
    size nor the bounds. KeyError when missing; zipfile.BadZipFile when it is not what it declares."""
    info = zf.getinfo(name)
    check_docx(zf, [name])
    limit = min(info.file_size, DOCX_MAX_MEMBER_BYTES)
    chunks: list[bytes] = []
    size = 0
    with zf.open(info) as member:
        while chunk := member.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise zipfile.BadZipFile(_("{name} is larger than its zip entry says").format(name=name))
            chunks.append(chunk)
    return b"".join(chunks)
