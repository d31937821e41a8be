"""Atomic file I/O, and the one translation of OS errors into a line a user can act on.

Every stage writes files: the renderer its DOCX and PDF, the archive its documents, the web its
caches. All of them write through :func:`write_atomic` (a temporary name, fsync, rename), so a
killed process or a full disk never leaves a half-written file under a real name, and all of them
describe a failed write with :func:`write_error`, each raising its own stage's error.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from atti.errors import AttiError, StorageError

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "part of the path is a file, not a folder",
    errno.EEXIST: "a file is in the way of a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the name is too long",
}


def os_reason(exc: OSError) -> str:
    """Why an OS call failed, in words a user can fix (disk full, read-only, permissions)."""
    return _REASONS.get(exc.errno or 0, exc.strerror or str(exc))


def write_error(exc: OSError, what: str, error: type[AttiError] = StorageError) -> AttiError:
    """``error("cannot write <what>: <reason>")``: each stage passes its own error class."""
    return error(f"cannot write {what}: {os_reason(exc)}")


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

    ``mode``: the new file's permissions (0o600 for secrets) [default: what the umask gives].
    """
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
