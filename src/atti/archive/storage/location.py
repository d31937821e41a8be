"""Which storage an archive location names: a directory (SQLite + files, the default) or a
PostgreSQL URL (the catalog in PostgreSQL, the documents in S3-compatible object storage).

``--archive`` / ``ATTI_ARCHIVE`` takes either. For a URL:

- the catalog is the database the URL names (``postgresql://user:password@host:5432/atti``);
  ``atti init`` creates its tables, in an empty database the user may create tables in;
- the documents go to the S3 bucket of the setting ``s3_bucket``/``ATTI_S3_BUCKET`` (endpoint
  ``ATTI_S3_ENDPOINT``, credentials ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``); without a bucket they are kept as
  files under the state directory (one machine only: for development and tests);
- what stays local is the state directory, ``ATTI_STATE_DIR``, else
  ``$XDG_STATE_HOME/atti/<host>-<port>-<database>`` (``~/.local/state`` by default): the
  development CA made by ``atti init`` (``pki/``), further trust roots (``trust/``) and this
  server's copy of the event chain's head (``atti.head``, see ``PgCatalog.verify_head``). Several
  application servers must share the CA (or hold copies of it) to sign with it.

A path given on the command line goes through ``pathlib.Path``: see :mod:`.urls` for what that
means for a URL.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from atti.archive.storage.files import FileBlobStore
from atti.archive.storage.urls import database_url
from atti.errors import ArchiveNotFound, StorageError
from atti.files import PRIVATE_DIR, private_dir, write_error
from atti.i18n import _

if TYPE_CHECKING:
    from atti.archive.store import BlobStore, Catalog
    from atti.config import Settings

CATALOG_FILE = "atti.sqlite"  # the catalog of an archive in a directory

def archive_state_dir(location: Path | str) -> Path | None:
    """Where the archive at ``location`` keeps its development CA and trust roots; None if no archive is there.

    A database archive is taken to exist (whether it does is learnt by connecting); a directory
    is an archive when it holds the catalog, or once held one (:func:`history`: opening it then
    says the catalog is missing).
    """
    url = database_url(location)
    if url is not None:
        return state_dir(url)
    root = Path(location)
    return root if (root / CATALOG_FILE).is_file() or history(root) is not None else None


def history(root: Path) -> str | None:
    """What, besides its catalog, says the archive directory ``root`` has a history, completing
    "but ...": a chain head that records events, stored documents. None when nothing does: only
    there may ``atti init`` make a catalog."""
    from atti.archive.storage.head import HEAD_FILE, read_head

    said = []
    try:
        head = read_head(root / HEAD_FILE)
    except ValueError:
        said.append(_("there is an {head}").format(head=HEAD_FILE))
    else:
        if head is not None:
            said.append(_("{head} records event {seq}").format(head=HEAD_FILE, seq=head.seq))
    if _holds_a_file(root / "blobs"):
        said.append(_("blobs/ holds stored documents"))
    return _(" and ").join(said) or None


def _holds_a_file(directory: Path) -> bool:
    """Whether there is any file under ``directory`` (stops at the first one)."""
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False) or _holds_a_file(Path(entry.path)):
                    return True
    except OSError:
        return False
    return False


def read_only(root: Path) -> str | None:
    """None when the archive directory ``root`` can be written (or does not exist yet), else the
    one line every write to it is refused with."""
    catalog = root / CATALOG_FILE
    if not root.is_dir() or (os.access(root, os.W_OK) and (not catalog.exists() or os.access(catalog, os.W_OK))):
        return None
    try:
        mounted_read_only = bool(os.statvfs(root).f_flag & os.ST_RDONLY)
    except OSError:
        mounted_read_only = False
    why = _("the file system is read-only") if mounted_read_only else _("permission denied")
    return _("the archive at {root} is read-only ({why}): it can be searched, shown and verified, not written").format(
        root=root, why=why
    )


def state_dir(url: str) -> Path:
    """Where a database archive keeps its local state (see the module docstring)."""
    explicit = os.environ.get("ATTI_STATE_DIR")
    if explicit:
        return Path(explicit)
    parts = urlsplit(url)
    name = f"{parts.hostname or 'local'}-{parts.port or 5432}-{unquote(parts.path.lstrip('/')) or 'atti'}"
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "atti" / re.sub(r"[^0-9A-Za-z._-]+", "_", name)


def blob_store(state: Path, settings: Settings | None = None) -> BlobStore:
    """The S3 bucket of the settings (``s3_bucket``...) when set, else files under ``state``."""
    from atti.config import load_settings

    settings = settings or load_settings()
    if settings.s3_bucket or settings.s3_endpoint:
        from atti.archive.storage.s3 import S3BlobStore  # boto3 only for archives that use it

        return S3BlobStore.from_settings(settings)
    return FileBlobStore(state)


@dataclass(frozen=True)
class Storage:
    """What an archive is made of, as its location names it."""

    state_dir: Path  # this machine's files of the archive (see Archive.state_dir)
    catalog: Catalog
    blobs: BlobStore
    location: Path | str  # what --archive names: the directory or the postgresql:// URL
    created: bool  # whether the catalog was made now


def open_storage(
    location: Path | str, *, create: bool, settings: Settings | None = None, inspect: bool = False
) -> Storage:
    """The catalog and document store of the archive at ``location``, made first if ``create``.

    ``settings`` name the S3 bucket of a database archive [default: the environment and atti.toml].
    ``inspect``: for ``atti archive verify``, a catalog that lost the archive's history is opened
    as it is instead of refused (see ``SqliteCatalog`` and ``PgCatalog``).
    """
    url = database_url(location)
    if url is not None:
        return _open_database(url, create=create, settings=settings, inspect=inspect)
    return _open_directory(Path(location), create=create, inspect=inspect)


def _open_directory(root: Path, *, create: bool, inspect: bool) -> Storage:
    from atti.archive.storage.sqlite import SqliteCatalog

    found = (root / CATALOG_FILE).is_file()
    had = history(root)
    if not found and had is None and not create:
        raise ArchiveNotFound(_("no archive at {root}: create one with 'atti init --archive {root}'").format(root=root))
    refused = read_only(root)
    if create and not found and refused is not None:
        raise StorageError(refused)
    try:
        if create and had is None:
            private_dir(root)
            if not found:  # a folder becoming an archive is its owner's only, as everything in it
                root.chmod(PRIVATE_DIR)
        catalog = SqliteCatalog(root / CATALOG_FILE, create=create, read_only=refused, inspect=inspect, history=had)
        if create and refused is None:  # the catalog is there, so the rest may be made
            for sub in ("blobs", "pki", "trust", "locks"):
                private_dir(root / sub)
    except OSError as exc:
        raise write_error(exc, _("the archive directory {root}").format(root=root)) from None
    return Storage(root, catalog, FileBlobStore(root, read_only=refused), root, catalog.created)


def _open_database(url: str, *, create: bool, settings: Settings | None, inspect: bool) -> Storage:
    from atti.archive.storage.head import HEAD_FILE
    from atti.archive.storage.postgresql import PgCatalog

    state = state_dir(url)
    if create:
        try:
            for sub in ("pki", "trust"):
                private_dir(state / sub)
        except OSError as exc:
            what = _("the archive's state directory {state} (ATTI_STATE_DIR)").format(state=state)
            raise write_error(exc, what) from None
    catalog = PgCatalog(url, create=create, head=state / HEAD_FILE, inspect=inspect)
    try:
        blobs = blob_store(state, settings)
    except BaseException:
        catalog.close()
        raise
    return Storage(state, catalog, blobs, url, catalog.created)
