"""The processes atti starts die with it, even when atti itself is killed with SIGKILL.

atti starts LibreOffice (a worker with soffice, oosplash and soffice.bin under it) and pdftotext,
each leading its own process group so that one ``killpg`` stops all of it. On an error, Ctrl-C
or SIGTERM, atti's own ``finally`` blocks kill those groups (the CLI turns SIGTERM into an
exception for that). A SIGKILL, or a crash, runs no ``finally``: then a watchdog does it.

The watchdog is one small process per atti process, started with the first group it guards. It
reads a pipe whose only writer is atti: ``+PGID`` when a group starts, ``-PGID`` when atti has
reaped it. When atti dies, for whatever reason, the kernel closes the pipe; the watchdog reads its
end and kills every group still listed. (``PR_SET_PDEATHSIG`` would not do: it fires when the
*thread* that started a child ends, and atti's worker threads start LibreOffices that outlive
them; and it reaches only the child, not soffice.bin behind oosplash.)
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

# Run as ``python -I -S -c``: the standard library only, no site, no atti. It ignores the
# signals a terminal or a service manager sends atti, and exits when atti has gone.
_WATCHDOG = """
import os, signal
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(s, signal.SIG_IGN)
groups = set()
with os.fdopen(0, "rb", buffering=0) as pipe:
    buffer = b""
    while chunk := pipe.read(4096):
        buffer += chunk
        *lines, buffer = buffer.split(b"\\n")
        for line in lines:
            if line[:1] == b"+":
                groups.add(int(line[1:]))
            elif line[:1] == b"-":
                groups.discard(int(line[1:]))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class _Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._owner = 0  # the pid that started it: a forked child of atti starts its own
        self._groups: set[int] = set()

    def _start(self) -> None:
        read, write = os.pipe()  # not inheritable (PEP 446): no other child holds the writing end
        try:
            os.posix_spawn(
                sys.executable, [sys.executable, "-I", "-S", "-c", _WATCHDOG], dict(os.environ),
                file_actions=[(os.POSIX_SPAWN_DUP2, read, 0)], setsid=True,
            )
        except OSError:
            os.close(write)
            return  # best effort: atti's own finally blocks still stop its children
        finally:
            os.close(read)
        self._fd, self._owner = write, os.getpid()
        for group in self._groups:
            self._write(f"+{group}\n")

    def _write(self, line: str) -> None:
        if self._fd is None:
            return
        try:
            os.write(self._fd, line.encode())
        except OSError:  # the watchdog died: start another one for the groups still running
            os.close(self._fd)
            self._fd = None

    def guard(self, group: int) -> None:
        with self._lock:
            if self._fd is None or self._owner != os.getpid():
                self._fd = None
                self._start()
            self._groups.add(group)
            self._write(f"+{group}\n")

    def release(self, group: int) -> None:
        with self._lock:
            self._groups.discard(group)
            if self._owner == os.getpid():
                self._write(f"-{group}\n")


_WATCHDOG_PROCESS = _Watchdog()


def guard(group: int) -> None:
    """Have the process group ``group`` (a child started with ``start_new_session=True``: its pid)
    killed if atti dies before :func:`release`."""
    _WATCHDOG_PROCESS.guard(group)


def release(group: int) -> None:
    """The group ``group`` is gone (killed and waited for): the watchdog forgets it."""
    _WATCHDOG_PROCESS.release(group)


def kill_group(group: int) -> None:
    """SIGKILL the whole process group ``group``, if anything of it is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


class Overrun(Exception):
    """A bounded run went past one of its limits: ``limit`` is "time", "output" or "memory"."""

    def __init__(self, limit: str) -> None:
        super().__init__(limit)
        self.limit = limit


@dataclass(frozen=True)
class Finished:
    returncode: int
    out: bytes
    err: bytes  # the last 4 KB of what it said on stderr


def run_bounded(cmd: list[str], *, timeout: float, max_output: int, max_memory: int | None = None) -> Finished:
    """Run ``cmd`` (a tool reading a file atti does not trust: pdftotext, pdftoppm) in a process
    group of its own, guarded by the watchdog, and collect its output within the limits.

    Raises :class:`Overrun` when it runs past ``timeout`` seconds, writes more than
    ``max_output`` bytes, or (with ``max_memory`` bytes, set with the shell's ``ulimit -v``, which
    then becomes the tool: no preexec_fn, safe with threads) runs out of that memory; OSError when
    it cannot be started. Whatever happens, the tool is gone when this returns or raises.
    """
    if max_memory is not None:
        cmd = ["/bin/sh", "-c", f'ulimit -v {max_memory // 1024} && exec "$0" "$@"', *cmd]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    guard(proc.pid)
    try:
        out, err = _collect(proc, time.monotonic() + timeout, max_output)
    finally:  # refused, timed out or interrupted: the tool goes too
        if proc.poll() is None:
            kill_group(proc.pid)
        proc.wait()
        release(proc.pid)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    if proc.returncode != 0 and max_memory is not None and (b"Out of memory" in err or b"bad_alloc" in err):
        raise Overrun("memory")
    return Finished(proc.returncode, out, err)


def _collect(proc: subprocess.Popen[bytes], deadline: float, max_output: int) -> tuple[bytes, bytes]:
    assert proc.stdout is not None and proc.stderr is not None
    out: list[bytes] = []
    size = 0
    err = b""
    open_fds = {proc.stdout.fileno(), proc.stderr.fileno()}
    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Overrun("time")
        readable, _, _ = select.select(list(open_fds), [], [], remaining)
        for fd in readable:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.discard(fd)
            elif fd == proc.stdout.fileno():
                size += len(chunk)
                if size > max_output:
                    raise Overrun("output")
                out.append(chunk)
            else:
                err = (err + chunk)[-4096:]
    try:
        proc.wait(max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        raise Overrun("time") from None
    return b"".join(out), err
