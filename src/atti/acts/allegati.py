"""Where an allegato's file may come from, and reading it without being led elsewhere.

An act is text anyone can write, and the file an allegato names travels inside the signed PDF
byte for byte: ``file: /etc/shadow`` must not sign and archive the machine's passwords. So an
allegato is read only from inside the act's folder, or from a folder the setting
``allegati_dirs`` names, wherever its path leads once every ``..`` and symbolic link is followed.
The checks (:func:`atti.acts.checks.check_act`) place a refused path on its line; rendering
refuses it again (:func:`read_allegato`), opening the file one folder at a time without following
links, so that a folder swapped for a link after the check does not lead out either.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from atti.i18n import N_, _, translate

MB = 1_000_000
ALLEGATO_MAX_BYTES = 200 * MB
"""The largest allegato atti reads (into memory, then into the act's PDF)."""

_HINT = N_("allegati are read from the act's folder, or from a folder named in the setting allegati_dirs")


def _not_regular(file: str) -> str:
    return _("'{file}' is not a regular file").format(file=file)


def _too_large(file: str) -> str:
    return _("'{file}' is larger than {mb} MB").format(file=file, mb=f"{ALLEGATO_MAX_BYTES / MB:g}")


class AllegatoRefused(Exception):
    """Why an allegato's file may not be read: one phrase naming the file, e.g. "'x' is not a regular file"."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


@dataclass(frozen=True)
class LocatedAllegato:
    """An allegato's file, resolved: ``path`` (no link, no ``..`` left) inside the folder ``root``."""

    file: str
    """As the act writes it."""
    root: Path
    path: Path


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def locate_allegato(file: str, act_dir: Path, allegati_dirs: Sequence[Path] = ()) -> LocatedAllegato:
    """Where the allegato ``file`` of an act in ``act_dir`` is; AllegatoRefused if outside the
    act's folder and ``allegati_dirs``. Whether the file exists is not checked here."""
    if "\0" in file:  # no file system takes it; os.path would raise ValueError
        raise AllegatoRefused(_("{file} is not a file name").format(file=repr(file)))
    act_root = os.path.realpath(act_dir)
    roots = [act_root, *(os.path.realpath(d) for d in allegati_dirs)]
    real = os.path.realpath(os.path.join(act_root, file))
    for root in roots:
        if _inside(real, root):
            return LocatedAllegato(file, Path(root), Path(real))
    # Why not, in the words of how the path was written.
    written = os.path.normpath(os.path.join(os.path.abspath(act_dir), file))
    lexical_roots = [os.path.abspath(act_dir), *(os.path.abspath(d) for d in allegati_dirs)]
    if os.path.isabs(file):
        why = _("'{file}' is an absolute path outside the act's folder; {hint}")
    elif not any(_inside(written, root) for root in lexical_roots):
        why = _("'{file}' goes up out of the act's folder; {hint}")
    else:
        why = _("'{file}' leads out of the act's folder through a symbolic link; {hint}")
    raise AllegatoRefused(why.format(file=file, hint=translate(_HINT)))


def check_allegato(file: str, act_dir: Path, allegati_dirs: Sequence[Path] = ()) -> str | None:
    """What stops the allegato ``file`` from being read, as a phrase; None when nothing does."""
    try:
        located = locate_allegato(file, act_dir, allegati_dirs)
    except AllegatoRefused as exc:
        return exc.msg
    try:
        info = located.path.stat()
    except FileNotFoundError:
        return _("no such file '{file}'").format(file=file)
    except OSError as exc:
        return _("cannot read '{file}': {reason}").format(file=file, reason=exc.strerror)
    if not stat.S_ISREG(info.st_mode) or file.endswith(("/", os.sep)):
        return _not_regular(file)
    if info.st_size > ALLEGATO_MAX_BYTES:
        return _too_large(file)
    return None


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a named pipe would otherwise wait for a writer; a regular file ignores it.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def read_allegato(located: LocatedAllegato) -> bytes:
    """The bytes of a located allegato, opened from its root one folder at a time without following
    a link; AllegatoRefused for a link, something other than a regular file, or a file over
    ALLEGATO_MAX_BYTES; OSError when it cannot be read."""
    file = located.file
    parts = located.path.relative_to(located.root).parts
    if not parts or file.endswith(("/", os.sep)):
        raise AllegatoRefused(_not_regular(file))
    fd = os.open(located.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            try:
                opened = os.open(part, _FILE_FLAGS if last else _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                # O_NOFOLLOW on a link: ELOOP; O_DIRECTORY on a link to a folder: ENOTDIR.
                if exc.errno == errno.ELOOP or (exc.errno == errno.ENOTDIR and os.path.islink(
                    os.path.join(located.root, *parts[: i + 1])
                )):
                    raise AllegatoRefused(_("'{file}' leads out of the act's folder through a symbolic link; {hint}")
                                          .format(file=file, hint=translate(_HINT))) from None
                raise
            os.close(fd)
            fd = opened
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise AllegatoRefused(_not_regular(file))
        if info.st_size > ALLEGATO_MAX_BYTES:
            raise AllegatoRefused(_too_large(file))
        chunks: list[bytes] = []
        size = 0
        # Up to one byte past the limit: a file growing while it is read is refused all the same.
        while chunk := os.read(fd, min(1 << 20, ALLEGATO_MAX_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > ALLEGATO_MAX_BYTES:
                raise AllegatoRefused(_too_large(file))
        return b"".join(chunks)
    finally:
        os.close(fd)
