"""What atti leaves behind when it is stopped: nothing running, no temporary folder, no half output.

atti runs here as a real process, on real LibreOffice, and is stopped while LibreOffice works:
SIGTERM (a service manager, ``kill``) and SIGINT (Ctrl-C) end it with "Errore: interrotto" and
143 or 130, after its ``finally`` blocks have stopped LibreOffice and removed their folders; a
SIGKILL runs no ``finally``, and the watchdog of atti.processes stops LibreOffice instead.
Nothing here is timed: each wait is for an event (soffice.bin appears, atti exits), bounded only
so that a broken atti fails the test instead of hanging it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import EXAMPLE, ROOT, Atti, process_alive

pytestmark = pytest.mark.libreoffice


def descendants(pid: int) -> dict[int, str]:
    """pid -> command name of the live descendants of ``pid`` (LibreOffice leads groups of its own,
    so they are found by parent, not by group)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2 :].split()
        if rest[0] in {"Z", "X"}:
            continue
        parents[int(entry.name)] = int(rest[1])
        names[int(entry.name)] = stat[stat.index("(") + 1 : stat.rindex(")")]
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found[child] = names[child]
                frontier.append(child)
    return found


def start_atti(args: list[object], tmp: Path) -> subprocess.Popen[bytes]:
    """``atti ARGS`` as a process of its own, its temporary files in ``tmp``."""
    env = {
        **os.environ,
        "TMPDIR": str(tmp),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from atti.cli import main; main()", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )


def freeze_libreoffice(atti: subprocess.Popen[bytes]) -> dict[int, str]:
    """Wait until a soffice.bin works for ``atti``, stop it there (SIGSTOP, so that the act cannot
    be finished before atti is stopped) and return every process atti has started so far."""
    for _ in range(20_000):  # polls, not seconds: LibreOffice may be slow to start on a busy machine
        found = descendants(atti.pid)
        working = [pid for pid, name in found.items() if name == "soffice.bin"]
        if working:
            for pid in working:
                os.kill(pid, signal.SIGSTOP)
            return descendants(atti.pid)
        if atti.poll() is not None:
            out, err = atti.communicate()
            pytest.fail(f"atti ended before LibreOffice started: {atti.returncode} {out!r} {err!r}")
        time.sleep(0.01)
    pytest.fail("LibreOffice never started")


def acts_folder(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "atti"
    folder.mkdir()
    text = EXAMPLE.read_text(encoding="utf-8")
    for number in range(1, count + 1):
        (folder / f"atto-{number}.yaml").write_text(text.replace("numero: 129", f"numero: {number}"))
    return folder


@pytest.fixture()
def tmp(tmp_path: Path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


def assert_nothing_left(started: dict[int, str], tmp: Path, out: Path | None = None) -> None:
    alive = {pid: name for pid, name in started.items() if process_alive(pid)}
    assert alive == {}, f"still running after atti: {alive}"
    assert sorted(p.name for p in tmp.iterdir()) == []
    if out is not None and out.exists():
        names = {p.name for p in out.iterdir()}
        assert not [n for n in names if n.startswith(".tmp-")], names  # no half-written file
        assert {n.removesuffix(".docx") for n in names if n.endswith(".docx")} <= {
            n.removesuffix(".pdf") for n in names if n.endswith(".pdf")
        }, names  # no DOCX without its PDF


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_batch_render_stops_libreoffice_and_removes_its_folders(
    libreoffice: str, tmp_path: Path, tmp: Path, signum: int, status: int
) -> None:
    out = tmp_path / "out"
    atti = start_atti(["render", acts_folder(tmp_path, 8), "-o", out], tmp)
    started = freeze_libreoffice(atti)
    atti.send_signal(signum)
    _, err = atti.communicate(timeout=120)
    assert (atti.returncode, err.decode().splitlines()[-1]) == (status, "Errore: interrotto")
    assert_nothing_left(started, tmp, out)


def test_a_stopped_render_of_one_act_stops_its_soffice(libreoffice: str, tmp_path: Path, tmp: Path) -> None:
    out = tmp_path / "out"
    atti = start_atti(["render", EXAMPLE, "-o", out], tmp)
    started = freeze_libreoffice(atti)
    atti.terminate()
    _, err = atti.communicate(timeout=120)
    assert (atti.returncode, err.decode()) == (143, "Errore: interrotto\n")
    assert_nothing_left(started, tmp, out)
    assert not out.exists() or list(out.iterdir()) == []


def test_a_stopped_publish_removes_its_folder(libreoffice: str, atti: Atti, tmp_path: Path, tmp: Path) -> None:
    archive = tmp_path / "archivio"
    assert atti("init", "--archive", archive).exit_code == 0
    process = start_atti(["publish", EXAMPLE, "--archive", archive], tmp)
    started = freeze_libreoffice(process)
    process.terminate()
    _, err = process.communicate(timeout=120)
    assert (process.returncode, err.decode()) == (143, "Errore: interrotto\n")
    assert_nothing_left(started, tmp)


def test_libreoffice_dies_with_a_killed_atti(libreoffice: str, tmp_path: Path, tmp: Path) -> None:
    """SIGKILL runs no cleanup in atti: its watchdog stops what it started."""
    atti = start_atti(["render", acts_folder(tmp_path, 8), "-o", tmp_path / "out"], tmp)
    started = freeze_libreoffice(atti)
    atti.kill()
    atti.communicate(timeout=120)
    alive = {pid: name for pid, name in started.items() if process_alive(pid)}
    assert alive == {}, f"still running after atti was killed: {alive}"
