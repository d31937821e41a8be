"""Content-addressed files: every stored document lives under the SHA-256 of its bytes.

A file is written to a temporary name, fsynced and renamed into place, so a killed process or a
full disk never leaves a half-written document under a real name.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from atti.errors import StorageError


@dataclass(frozen=True)
class BlobRef:
    sha256: str
    ext: str  # "pdf", "docx", "yaml": kept so an archivist can open the file as it is

    @property
    def relpath(self) -> str:
        return f"blobs/sha256/{self.sha256[:2]}/{self.sha256}.{self.ext}"


def storage_error(exc: OSError, what: str) -> StorageError:
    """One clear line for the OS errors a user can fix (disk full, read-only, permissions)."""
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exhausted",
        errno.EROFS: "the archive is on a read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return StorageError(f"cannot write {what}: {reason}")


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


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that the path holds either nothing or all of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        # mkstemp creates 0600; give the file the mode any other new file would get.
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


class FileBlobStore:
    """Blobs as files under ``root``; the embedded default behind the blob-store interface."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, ref: BlobRef) -> Path:
        return self.root / ref.relpath

    def put(self, data: bytes, ext: str) -> BlobRef:
        ref = BlobRef(hashlib.sha256(data).hexdigest(), ext)
        target = self.path(ref)
        if target.is_file() and target.stat().st_size == len(data):
            return ref  # same bytes already stored: content addressing makes this a no-op
        try:
            write_atomic(target, data)
        except OSError as exc:
            raise storage_error(exc, f"{ext} document into the archive") from None
        return ref

    def get(self, ref: BlobRef) -> bytes:
        try:
            return self.path(ref).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"stored file missing from the archive: {ref.relpath}") from None

    def exists(self, ref: BlobRef) -> bool:
        return self.path(ref).is_file()

    def location(self, ref: BlobRef) -> str:
        return str(self.path(ref).resolve())

    def entries(self) -> list[tuple[str, int]]:
        """Every file under blobs/ (finished or not) as (path relative to the archive, size)."""
        found: list[tuple[str, int]] = []
        stack = [self.root / "blobs"] if (self.root / "blobs").is_dir() else []
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    else:
                        rel = Path(entry.path).relative_to(self.root).as_posix()
                        found.append((rel, entry.stat(follow_symlinks=False).st_size))
        return found

    def digest(self, name: str) -> str | None:
        """SHA-256 of the file ``name`` (as listed by :meth:`entries`); None if it cannot be read."""
        try:
            return hash_file(self.root / name)
        except OSError:
            return None
