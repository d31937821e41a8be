"""The watchdog of atti.processes: what atti starts dies with it, even when atti is SIGKILLed.

The test plays atti with a small Python process that starts ``sleep`` in a group of its own, as
atti starts LibreOffice, and then is killed. No LibreOffice is needed (tests/test_signals.py
kills a real atti running a real one).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import ROOT, process_alive

PARENT = textwrap.dedent("""
    import subprocess, sys
    from atti.processes import guard, release
    child = subprocess.Popen(["sleep", "600"], start_new_session=True)
    guard(child.pid)
    if sys.argv[1] == "release":
        release(child.pid)
    print(child.pid, flush=True)
    sys.stdin.read()
""")


def start_parent(mode: str) -> tuple[subprocess.Popen[bytes], int]:
    path = os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
    parent = subprocess.Popen([sys.executable, "-c", PARENT, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": path})
    assert parent.stdout is not None
    return parent, int(parent.stdout.readline())


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid...); None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return text.rsplit(")", 1)[1].split()


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat(int(entry.name))) is not None and fields[1] == str(pid):
            found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    fields = stat(pid)
    return fields is not None and fields[0] not in {"Z", "X"}


def test_a_guarded_group_dies_with_its_parent_even_on_sigkill() -> None:
    parent, child = start_parent("guard")
    assert running(child)
    watchdog = children(parent.pid) - {child}
    assert len(watchdog) == 1
    parent.kill()
    parent.wait()
    assert not process_alive(child)
    assert not process_alive(watchdog.pop())  # and the watchdog has gone too


def test_a_released_group_is_left_alone() -> None:
    parent, child = start_parent("release")
    watchdog = children(parent.pid) - {child}
    assert len(watchdog) == 1
    parent.kill()
    parent.wait()
    try:
        # The watchdog kills what is listed, then exits: once it has gone, it has done all it will.
        assert not process_alive(watchdog.pop())
        assert running(child)
    finally:
        os.killpg(child, signal.SIGKILL)
