"""Checking a whole archive: the catalog's database itself, every stored file against its
SHA-256, every row against the event log, the event log against its own hash chain and the head
kept outside the catalog.

Findings are of eight kinds. ``missing``, ``changed``, ``unexpected`` and ``unrecorded`` mean
the archive is not what atti wrote (exit 1). ``incomplete`` (a ``.tmp-*`` file: a writer was
killed before it could rename it into place) and ``unreferenced`` (a well-formed file whose act
was never committed: files are written before the catalog transaction) are what an interrupted
publish leaves behind; they are reported as safe to delete and do not fail the check.
``unchecked`` (the database's own check is not available) does not fail it either. ``gap`` names
numbers missing between a register's archived acts of a year: publishing never leaves one, but
imported acts keep their own numbers; it is reported so that it is seen, and does not fail the
check.

``exposed`` names a file or folder of the archive (a directory archive's folder, a database
archive's state directory) that its group or others may read, write or enter: everything there
is its owner's only (reserved PDFs, the catalog, keys, the web's users and session key), so it
fails the check, with the fix (``chmod -R go-rwx``). An archive written by an older atti, or
copied under a loose umask, shows it.

A file is called ``unreferenced`` only while the catalog can vouch that it never recorded it:
the database is sound, the chain holds and reaches the head kept outside it, every row matches
its event. Otherwise a file the catalog does not name may be a signed original whose record was
lost, and it is ``unrecorded``: a failure, to be kept.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from atti.archive.archive import Archive
from atti.errors import StorageError
from atti.files import shared_paths
from atti.i18n import N_, _, translate

# Harmless leftovers of an interrupted writer, a check that could not be made, and numbers
# imported acts left out; every other kind fails the check.
BENIGN = frozenset({"incomplete", "unreferenced", "unchecked", "gap"})
EXPOSED = "exposed"  # the kind of a finding about permissions, not content (see the module docstring)
MAX_EXPOSED = 20  # listed one by one; the rest in one more finding
_BLOB = re.compile(r"^blobs/sha256/([0-9a-f]{2})/([0-9a-f]{64})\.[a-z0-9]+$")


@dataclass(frozen=True)
class Finding:
    kind: str  # missing | changed | unexpected | unrecorded | exposed | incomplete | unreferenced | unchecked | gap
    what: str  # "blobs/sha256/ab/ab...pdf", "act DO-2026-129", "event 12", "register D.O. 2026"
    message: str

    @property
    def fails(self) -> bool:
        return self.kind not in BENIGN

    def __str__(self) -> str:
        return f"{self.kind}: {self.what}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "what": self.what, "message": self.message, "fails": self.fails}


@dataclass
class IntegrityReport:
    archive: str  # what --archive names: the directory or the postgresql:// URL (no password)
    acts: int = 0
    events: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.fails for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "archive": str(self.archive),
            "ok": self.ok,
            "acts": self.acts,
            "events": self.events,
            "files": self.files,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "findings": [f.to_dict() for f in self.findings],
        }


def verify_archive(archive: Archive, *, workers: int | None = None) -> IntegrityReport:
    """Check everything the archive holds; see the module docstring for the kinds of finding."""
    start = time.perf_counter()
    report = IntegrityReport(archive.name)
    catalog = archive.catalog
    findings = report.findings
    own = 0  # how many findings the database's own check made

    def unchecked(what: str, exc: StorageError) -> Finding:
        """A check that the catalog stopped halfway: a failure too (once the database was found
        damaged, the reason is that)."""
        damaged = any(f.fails for f in findings[:own])
        reason = _("the catalog is damaged") if damaged else str(exc)
        return Finding("changed", what, _("cannot be checked: {reason}").format(reason=reason))

    def checked(what: str, check: Callable[[], list[tuple[str, str, str]]]) -> list[Finding]:
        try:
            return [Finding(*problem) for problem in check()]
        except StorageError as exc:
            return [unchecked(what, exc)]

    findings += checked("catalog", catalog.verify_catalog)  # the database's own check comes first
    own = len(findings)
    findings += checked("events", lambda: [
        ("changed", what, message) for what, _, message in (line.partition(": ") for line in catalog.verify_events())
    ])
    findings += checked("atti.head", catalog.verify_head)
    findings += checked("rows", catalog.verify_rows)
    with suppress(StorageError):
        report.acts, report.events = catalog.counts()
    owners: dict[str, list[str]] = {}
    try:
        for ref, owner in catalog.blob_refs():
            owners.setdefault(ref.relpath, []).append(owner)
    except StorageError as exc:
        findings.append(unchecked(_("files named by the catalog"), exc))
    # Only a catalog that holds its whole history can say that a file it does not name was never
    # recorded (left by an interrupted publish); any other may have lost the record of an original.
    vouched = not any(f.fails for f in findings)

    on_disk = archive.blobs.entries()
    to_hash: list[tuple[str, str]] = []  # (relpath, the SHA-256 its name claims)
    for rel, size in on_disk:
        name = rel.rsplit("/", 1)[-1]
        if name.startswith(".tmp-"):
            findings.append(
                Finding("incomplete", rel, _("incomplete write (a writer was interrupted), safe to delete"))
            )
            continue
        m = _BLOB.match(rel)
        if m is None or not m.group(2).startswith(m.group(1)):
            findings.append(Finding("unexpected", rel, _("not a file atti stores")))
            continue
        to_hash.append((rel, m.group(2)))
        report.files += 1
        report.bytes += size

    # Largest first, so one big file does not finish alone at the end; threads, since hashlib
    # releases the GIL while it hashes and the reads release it too.
    sizes = dict(on_disk)
    to_hash.sort(key=lambda item: -sizes[item[0]])
    with ThreadPoolExecutor(max_workers=workers or min(8, (os.cpu_count() or 1) + 1)) as pool:
        digests = list(pool.map(lambda item: archive.blobs.digest(item[0]), to_hash))
    for (rel, claimed), actual in zip(to_hash, digests, strict=True):
        who = ", ".join(owners.get(rel, []))
        whose = who or _("no act refers to it")
        if actual is None:
            findings.append(Finding("changed", rel, _("cannot be read ({whose})").format(whose=whose)))
        elif actual != claimed:
            message = _("content does not match its SHA-256 ({whose})").format(whose=whose)
            findings.append(Finding("changed", rel, message))
        elif not who and vouched:
            findings.append(
                Finding("unreferenced", rel, _("no act refers to it (left by an interrupted publish), safe to delete"))
            )
        elif not who:
            findings.append(Finding("unrecorded", rel, _("not recorded in what remains of the catalog: keep it")))
    present = {rel for rel, _ in to_hash}
    for rel, who_list in sorted(owners.items()):
        if rel not in present:
            findings.append(
                Finding("missing", rel, _("file not in the archive ({whose})").format(whose=", ".join(who_list)))
            )
    for register, year, first, last in catalog.register_gaps():
        missing = (
            _("number {first} is not in the archive").format(first=first)
            if first == last
            else _("numbers {first}-{last} are not in the archive").format(first=first, last=last)
        )
        findings.append(Finding("gap", f"register {register} {year}", missing))
    findings += exposed(archive)
    report.seconds = time.perf_counter() - start
    return report


def exposed(archive: Archive) -> list[Finding]:
    """What of the archive's own files its group or others may read, write or enter."""
    root = archive.state_dir
    shared = shared_paths(root)
    fix = _("make it its owner's only: chmod -R go-rwx {root}").format(root=root)
    found = [
        Finding(EXPOSED, str(root) if rel == "." else rel,
                _("mode {mode}: {who}; {fix}").format(
                    mode=f"{mode:04o}", who=_who_may(mode, (root / rel).is_dir()), fix=fix
                ))
        for rel, mode in shared[:MAX_EXPOSED]
    ]
    if len(shared) > MAX_EXPOSED:
        more = len(shared) - MAX_EXPOSED
        found.append(
            Finding(EXPOSED, _("{count} more").format(count=more),
                    _("files and folders open to others; {fix}").format(fix=fix))
        )
    return found


def _who_may(mode: int, folder: bool) -> str:
    """"others than its owner may read and write it" for the group and other bits of ``mode``."""
    may = [translate(verb) for bits, verb in ((0o044, N_("read")), (0o022, N_("write")),
                                              (0o011, N_("enter") if folder else N_("run")))
           if mode & bits]
    verbs = may[0] if len(may) == 1 else _("{some} and {last}").format(some=", ".join(may[:-1]), last=may[-1])
    return _("others than its owner may {verbs} it").format(verbs=verbs)
