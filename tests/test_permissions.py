"""Owner-only files: everything atti keeps in an archive is 0700/0600 whatever the umask, and
``atti archive verify`` reports anything its group or others may read, write or enter.

Both backends: a directory archive holds it all; a database archive's state directory holds the
development CA, trust roots, atti.head, its lock and the web's state. The tests run as root, which
changes nothing here: they read modes, they do not try to open files as someone else.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from atti import files, pipeline
from atti.acts import load_act
from atti.archive import Archive
from atti.archive.integrity import MAX_EXPOSED, verify_archive
from atti.files import shared_paths, write_atomic
from atti.signing import DevCA
from atti.web import documents
from atti.web.session import SessionStore
from atti.web.signin import SignIn
from atti.web.users import UserStore

from .conftest import EXAMPLE, Atti, ForeignPKI


@pytest.fixture(params=[0o022, 0o002], ids=["umask022", "umask002"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process's umask for the test (a loose one, as many systems have), restored after."""
    before = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(before)


def modes(root: Path) -> dict[str, str]:
    """Every folder and file under ``root`` -> its permission bits, "0700"."""
    found = {".": f"{stat.S_IMODE(root.stat().st_mode):04o}"}
    for path in root.rglob("*"):
        found[path.relative_to(root).as_posix()] = f"{stat.S_IMODE(path.lstat().st_mode):04o}"
    return found


def fill(arc: Archive) -> SessionStore:
    """Write everything atti keeps: an act (documents, catalog rows, events, head, register lock),
    a signer's key, a trust root, a web user, the sessions database, the sign-in audit and a cached preview."""
    act = load_act(EXAMPLE).act
    with arc.register_lock(act.registro, act.anno):
        numbered = act.with_numero(arc.next_number(act.registro, act.anno))
        arc.seal(numbered, source="source", docx=b"docx", pdf=b"%PDF-1.7 pdf", firmatario="Fabrizio Ventrice")
    DevCA.load(arc.pki_dir).issue_signer("Fabrizio Ventrice", "Dirigente")
    UserStore(arc.state_dir).add("ufficio", "archivist", "una password lunga")
    sessions = SessionStore(arc.state_dir)
    SignIn(UserStore(arc.state_dir), sessions, arc.state_dir).attempt("ufficio", "una password sbagliata", "127.0.0.1")
    documents._cache(arc.state_dir / documents.CACHE_DIR / "preview.png", b"png")
    return sessions  # open, so its -wal and -shm are there to be checked too


def test_everything_in_an_archive_is_its_owners_only(
    archive_location: Path | str, umask: int, foreign_pki: ForeignPKI
) -> None:
    foreign_pki_root = foreign_pki.root_pem
    pipeline.init_archive(archive_location, trust=[foreign_pki_root])
    with Archive.open(archive_location) as arc:
        sessions = fill(arc)
        state = arc.state_dir
        found = modes(state)  # while the catalog is open: its -wal and -shm are there too
        report = verify_archive(arc, workers=1)
        sessions.close()
    expected_files = {
        "atti.head", "atti.head.lock", "pki/root.pem", "pki/root.key.pem", "pki/signers/fabrizio-ventrice.p12",
        f"trust/{foreign_pki_root.name}", "web/users.json", "web/sessions.sqlite",
        "web/sessions.sqlite-wal", "web/sessions.sqlite-shm", "web/signins.jsonl", "web/cache/preview.png",
    }
    if isinstance(archive_location, Path):
        expected_files |= {"atti.sqlite", "atti.sqlite-wal", "atti.sqlite-shm", "locks/DO-2026-0.lock"}
        expected_files |= {name for name in found if name.startswith("blobs/sha256/") and name.count("/") == 3}
        assert sum(name.startswith("blobs/sha256/") and name.count("/") == 3 for name in found) == 3
    assert expected_files <= set(found)  # the test sees what it means to check
    assert {name: mode for name, mode in found.items() if name in expected_files} == dict.fromkeys(
        expected_files, "0600")
    assert {name: mode for name, mode in found.items() if name not in expected_files} == dict.fromkeys(
        set(found) - expected_files, "0700")
    assert report.findings == [] and report.ok


def test_the_state_directory_and_its_parents_made_for_a_database_archive_are_private(
    pg_url: str, umask: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    pipeline.init_archive(pg_url)
    with Archive.open(pg_url) as arc:
        fill(arc).close()  # documents as files under the state directory: no S3 bucket is configured
        state = arc.state_dir
    assert state.is_relative_to(tmp_path / "xdg")
    assert {f"{stat.S_IMODE(p.stat().st_mode):04o}" for p in (tmp_path / "xdg", tmp_path / "xdg" / "atti")} \
        == {"0700"}
    assert any(p.suffix == ".pdf" for p in (state / "blobs").rglob("*"))
    assert shared_paths(state) == []


def test_verify_reports_what_others_may_read_with_the_fix(archive_location: Path | str, atti: Atti) -> None:
    pipeline.init_archive(archive_location)
    with Archive.open(archive_location) as arc:
        state = arc.state_dir
    (state / "pki" / "root.key.pem").chmod(0o644)
    (state / "trust").chmod(0o755)
    (state / "pki" / "root.pem").chmod(0o620)
    result = atti("archive", "verify", "--archive", archive_location)
    fix = f"rendilo accessibile al solo proprietario: chmod -R go-rwx {state}"
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[:-1] == [
        f"exposed: pki/root.key.pem: permessi 0644: anche altri oltre al proprietario possono leggere; {fix}",
        f"exposed: pki/root.pem: permessi 0620: anche altri oltre al proprietario possono scrivere; {fix}",
        f"exposed: trust: permessi 0755: anche altri oltre al proprietario possono leggere e accedere; {fix}",
    ]
    assert result.stdout.splitlines()[-1].startswith("Archivio NON VALIDO: 0 atti")
    subprocess_free_fix(state)
    result = atti("archive", "verify", "--archive", archive_location)
    assert result.exit_code == 0, result.output


def subprocess_free_fix(root: Path) -> None:
    """What ``chmod -R go-rwx root`` does."""
    for path in [root, *root.rglob("*")]:
        path.chmod(stat.S_IMODE(path.lstat().st_mode) & ~0o077)


def test_verify_names_the_first_exposed_paths_and_counts_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    pipeline.init_archive(root)
    for i in range(MAX_EXPOSED + 5):
        (root / "trust" / f"{i:02d}.pem").write_bytes(b"")
        (root / "trust" / f"{i:02d}.pem").chmod(0o604)
    with Archive.inspect(root) as arc:
        report = verify_archive(arc, workers=1)
    assert [f.what for f in report.findings] == [f"trust/{i:02d}.pem" for i in range(MAX_EXPOSED)] + ["altri 5"]
    assert report.findings[-1].message == (
        f"file e cartelle aperti ad altri; rendilo accessibile al solo proprietario: chmod -R go-rwx {root}")
    assert all(f.kind == "exposed" and f.fails for f in report.findings) and not report.ok


def test_an_existing_folder_becoming_an_archive_is_made_private(tmp_path: Path, umask: int) -> None:
    root = tmp_path / "archive"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    pipeline.init_archive(root)
    assert f"{stat.S_IMODE(root.stat().st_mode):04o}" == "0700"


def test_what_a_user_asks_for_in_their_own_folder_keeps_their_umask(
    tmp_path: Path, umask: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "_UMASK", umask)  # read once when atti starts: as if it started under this one
    write_atomic(tmp_path / "out" / "act.pdf", b"%PDF")
    assert f"{stat.S_IMODE((tmp_path / 'out' / 'act.pdf').stat().st_mode):04o}" == f"{0o666 & ~umask:04o}"
    assert f"{stat.S_IMODE((tmp_path / 'out').stat().st_mode):04o}" == f"{0o777 & ~umask:04o}"
