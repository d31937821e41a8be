"""The event chain's head, kept outside the catalog: the newest event's seq and hash in a file.

A hash chain proves that no event was changed or removed from the middle, but deleting the
newest events (and the rows they recorded) leaves a shorter chain that still verifies. So after
every commit that appended events the catalog copies its last event's seq and hash to
``atti.head`` beside it, atomically. ``archive verify`` compares: a head the catalog does not
reach means events were deleted; a head whose hash differs from the catalog's event with that
seq means the chain was rewritten from there.

The file is written after the commit, never before, so a crash in between leaves it *behind*
the catalog, which is fine: the events after it are vouched for by the chain itself, and the
next commit brings it up to date. It is never ahead of what was committed. Writers take a lock
and read the newest event under it, so two processes committing at once cannot leave an older
head over a newer one.

The head is also what keeps a catalog that lost its history from being written over it: a
catalog emptied, truncated, deleted or replaced by another archive's ends before the head's event
or holds another one there (:func:`history_lost`), and opening it is refused, so that no number
it no longer records is given again. Only ``atti archive verify`` opens it, to say what is
missing. Restoring the newest backup of the catalog is the way out; an office that decides to go
on from an older backup (and to lose the acts after it) moves ``atti.head`` aside first.

What it does not stop: someone who can write both the catalog and the head file (and the meta
row saying a head is kept) can rewrite both consistently. Only a copy of the head held
elsewhere (another machine, a timestamp) can catch that.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from atti.files import PRIVATE_FILE, write_atomic
from atti.i18n import _

HEAD_FILE = "atti.head"


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


def head_path(catalog: Path) -> Path:
    return catalog.with_name(HEAD_FILE)


def write_head(path: Path, newest: Callable[[], ChainHead | None]) -> bool:
    """Write ``newest()`` (read under the lock) to ``path``; says whether it was written.

    A failure leaves the head behind (safe, see the module docstring) and the next commit
    writes it again.
    """
    try:
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        head = newest()
        if head is None:
            return False
        write_atomic(path, json.dumps({"seq": head.seq, "hash": head.hash}).encode() + b"\n", mode=PRIVATE_FILE)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def read_head(path: Path) -> ChainHead | None:
    """The head in ``path``; None when there is no file. ValueError when it is not a head."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(_("cannot be read ({reason})").format(reason=exc)) from None
    try:
        data = json.loads(text)
        head = ChainHead(int(data["seq"]), str(data["hash"]))
    except (ValueError, TypeError, KeyError):
        raise ValueError(_("is not a chain head (JSON with seq and hash)")) from None
    return head


def check_head(
    head: ChainHead | None, *, expected: bool, newest: ChainHead | None, hash_at: Callable[[int], str | None]
) -> list[tuple[str, str, str]]:
    """Findings (kind, what, message) comparing the head file with the catalog's events.

    ``expected``: the catalog says it keeps a head file (so a missing one was deleted);
    ``newest``: its last event; ``hash_at``: the hash of its event with a given seq.
    """
    if head is None:
        if expected:
            return [("missing", HEAD_FILE, _("deleted: the newest events can no longer be checked for truncation"))]
        return []
    last = newest.seq if newest else 0
    if head.seq > last:
        what = f"event {head.seq}" if head.seq == last + 1 else f"events {last + 1}..{head.seq}"
        message = _("deleted: {head} records event {seq}, the catalog ends at event {last}").format(
            head=HEAD_FILE, seq=head.seq, last=last
        )
        return [("missing", what, message)]
    actual = hash_at(head.seq)
    if actual is None:
        return [("missing", f"event {head.seq}", _("deleted: {head} records it").format(head=HEAD_FILE))]
    if actual != head.hash:
        message = _("differs from the one {head} records: the chain was rewritten").format(head=HEAD_FILE)
        return [("changed", f"event {head.seq}", message)]
    return []


def history_lost(
    head: ChainHead | None, newest: ChainHead | None, hash_at: Callable[[int], str | None], *, name: str = HEAD_FILE
) -> str | None:
    """Why a catalog is not the one whose history ``head`` records, completing "the catalog ...";
    None when it holds the head's event (or there is no head). ``name``: the head as messages call it."""
    if head is None:
        return None
    last = newest.seq if newest else 0
    if head.seq > last:
        return _("ends at event {last}, but {name} records event {seq}: it was emptied, truncated or replaced").format(
            last=last, name=name, seq=head.seq
        )
    actual = hash_at(head.seq)
    if actual is None:
        return _("has lost event {seq}, which {name} records: it was truncated or rewritten").format(
            seq=head.seq, name=name
        )
    if actual != head.hash:
        return _("holds another event {seq} than {name} records: it was replaced or rewritten").format(
            seq=head.seq, name=name
        )
    return None
