"""Documents as files: every stored document lives under the SHA-256 of its bytes.

The embedded default behind the blob-store interface (:class:`atti.archive.store.BlobStore`).
Files are written with :func:`atti.files.write_atomic`, so a killed process or a full disk never
leaves a half-written document under a real name.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from atti.archive.records import BlobRef
from atti.errors import StorageError
from atti.files import PRIVATE_FILE, hash_file, write_atomic, write_error
from atti.i18n import _


class FileBlobStore:
    """Blobs as files under ``root``; the embedded default behind the blob-store interface."""

    def __init__(self, root: Path, *, read_only: str | None = None) -> None:
        self.root = root
        self.read_only = read_only  # None, or the one line every write is refused with

    def path(self, ref: BlobRef) -> Path:
        return self.root / ref.relpath

    def put(self, data: bytes, ext: str) -> BlobRef:
        if self.read_only is not None:
            raise StorageError(self.read_only)
        ref = BlobRef(hashlib.sha256(data).hexdigest(), ext)
        target = self.path(ref)
        if target.is_file() and target.stat().st_size == len(data):
            return ref  # same bytes already stored: content addressing makes this a no-op
        try:
            write_atomic(target, data, mode=PRIVATE_FILE)  # folders made for it are 0700 too
        except OSError as exc:
            raise write_error(exc, _("{ext} document into the archive").format(ext=ext)) from None
        return ref

    def get(self, ref: BlobRef) -> bytes:
        try:
            return self.path(ref).read_bytes()
        except FileNotFoundError:
            raise StorageError(_("stored file missing from the archive: {file}").format(file=ref.relpath)) from None

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
