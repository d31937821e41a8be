"""Atomic file I/O, and the one translation of OS errors into a line a user can act on.

Every stage writes files: the renderer its DOCX and PDF, the archive its documents, the web its
caches. All of them write through :func:`write_atomic` (a temporary name, fsync, rename), so a
killed process or a full disk never leaves a half-written file under a real name, and all of them
describe a failed write with :func:`write_error`, each raising its own stage's error.

What atti keeps for itself (an archive, its catalog and documents, keys, the web's state) is its
owner's only, whatever the umask: files ``PRIVATE_FILE`` (0600), folders ``PRIVATE_DIR`` (0700),
set explicitly at creation (:func:`private_dir`, ``write_atomic(mode=PRIVATE_FILE)``), never by
changing the process's umask. What a user asks for in a folder of their own (a rendered PDF, an
export) keeps the mode their umask gives: that is their choice.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from atti.errors import AttiError, StorageError
from atti.i18n import N_, _, translate

_REASONS = {
    errno.ENOSPC: N_("the disk is full"),
    errno.EDQUOT: N_("the disk quota is exhausted"),
    errno.EROFS: N_("the file system is read-only"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.ENOTDIR: N_("part of the path is a file, not a folder"),
    errno.EEXIST: N_("a file is in the way of a folder"),
    errno.EISDIR: N_("it is a folder"),
    errno.ENAMETOOLONG: N_("the name is too long"),
}


def os_reason(exc: OSError) -> str:
    """Why an OS call failed, in words a user can fix (disk full, read-only, permissions)."""
    reason = _REASONS.get(exc.errno or 0)
    return translate(reason) if reason else exc.strerror or str(exc)


def write_error(exc: OSError, what: str, error: type[AttiError] = StorageError) -> AttiError:
    """``error("cannot write <what>: <reason>")``: each stage passes its own error class."""
    return error(_("cannot write {what}: {reason}").format(what=what, reason=os_reason(exc)))


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_umask() -> int:
    # The umask can only be read by setting it: do it once, before any thread writes files.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()
PRIVATE_FILE = 0o600  # read and written by the archive's owner only
PRIVATE_DIR = 0o700
SHARED_BITS = 0o077  # what group and others may do: none of it, in an archive
_BUFFER = 1 << 20  # 1 MiB reads: few system calls, and hashlib drops the GIL for each update


def hash_file(path: Path) -> str:
    """SHA-256 of a file, read in large chunks into one reused buffer."""
    digest = hashlib.sha256()
    buf = bytearray(_BUFFER)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            digest.update(view[:n])
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so that the path holds either its old content or all of ``data``.

    ``mode``: the new file's permissions (``PRIVATE_FILE`` for whatever an archive keeps)
    [default: what the umask gives]. The folders made for a private file are private too.
    """
    if mode is not None and not mode & SHARED_BITS:
        private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        # mkstemp creates 0600; give the file the mode any other new file would get.
        os.fchmod(fd, 0o666 & ~_UMASK if mode is None else mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def private_dir(path: Path) -> None:
    """Make the folder ``path``, and every missing folder above it, 0700 whatever the umask.

    Folders that exist already are left as they are: they are someone's choice.
    """
    missing = []
    here = path
    while not here.is_dir():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # made by another process meanwhile: its mode is its maker's
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode passes through the umask


def shared_paths(root: Path) -> list[tuple[str, int]]:
    """Every folder and file under ``root`` (``root`` itself included, as ".") that its group or
    others may read, write or enter: (path relative to ``root``, permission bits), sorted.
    Symbolic links are skipped: their own mode means nothing."""
    found: list[tuple[str, int]] = []
    try:
        mode = root.stat().st_mode & 0o7777
    except OSError:
        return found
    if mode & SHARED_BITS:
        found.append((".", mode))
    stack = [root]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if entry.is_symlink():
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    if st.st_mode & SHARED_BITS:
                        found.append((Path(entry.path).relative_to(root).as_posix(), st.st_mode & 0o7777))
        except OSError:
            continue
    return sorted(found)
