"""DOCX -> PDF/A-2b through one LibreOffice kept running and driven over UNO.

A cold ``soffice --convert-to`` spends about a second starting LibreOffice for each act; a warm
one converts an act in a tenth of that. The project's Python usually cannot import LibreOffice's
``uno`` module (on Debian it belongs to /usr/bin/python3 through python3-uno), so the UNO side
lives in ``uno_worker.py``, run by path with that Python; this module only talks JSON lines to it.

The worker leads its own process group, with soffice, oosplash and soffice.bin in it: on a time
limit, or when atti is interrupted, the whole group is killed (and the next conversion starts a
fresh one); should atti die first, the watchdog of :mod:`atti.processes` kills it. A LibreOffice that dies
under a document is restarted once and the document tried again.

Several threads can share one converter: their requests queue in the worker's stdin, so that
LibreOffice starts the next document the moment it has written the last one, without waiting for
atti's Python (busy rendering the next DOCX, or waiting for the interpreter lock) to read the
reply and send another request. Replies come in request order; the thread whose request is first
in line reads the next one.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import json
import os
import secrets
import select
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atti.errors import ConverterMissing, RenderError
from atti.i18n import N_, _, translate
from atti.processes import guard, kill_group, release
from atti.templates.convert import Converter, find_soffice

WORKER = Path(__file__).with_name("uno_worker.py")
# A LibreOffice from libreoffice.org brings its own Python next to soffice; Debian's is the
# system Python with python3-uno.
UNO_PYTHONS = ("/usr/bin/python3",)
UNO_MISSING = N_(
    "LibreOffice's Python bridge (uno) not found: install the Debian package python3-uno "
    "(bash scripts/setup.sh does)"
)


class _Crashed(Exception):
    """The worker or its LibreOffice died; the conversion may be tried again."""


@dataclass(eq=False)
class _Request:
    docx: bytes
    src: Path | None = None
    dst: Path | None = None
    lost: bool = False
    """The worker it was sent to was stopped before replying: to be sent again."""


@functools.cache
def _has_uno(python: str) -> bool:
    try:
        probe = subprocess.run(
            [python, "-c", "import uno"], env=_worker_env(), capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def find_uno_python(soffice: str) -> str:
    """A Python that can import ``uno`` and so drive ``soffice``; ConverterMissing if none."""
    bundled = Path(soffice).resolve().parent / "python"
    for candidate in (str(bundled), *UNO_PYTHONS):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK) and _has_uno(candidate):
            return candidate
    raise ConverterMissing(translate(UNO_MISSING))


def uno_available() -> bool:
    """True when LibreOffice and a Python with its ``uno`` module are both installed."""
    try:
        find_uno_python(find_soffice())
    except ConverterMissing:
        return False
    return True


def _worker_env() -> dict[str, str]:
    # The worker runs under another Python: variables meant for atti's interpreter would mislead it.
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONHOME", "PYTHONPATH"}}


class WarmConverter(Converter):
    """Converts DOCX documents to PDF/A-2b with one LibreOffice kept running between documents.

    Same interface as :class:`Converter`. Threads may share one: LibreOffice converts their
    documents one after the other, queued (``pipeline_depth`` at a time is enough to keep it
    busy). ``start_timeout`` bounds LibreOffice's start-up, ``timeout`` each document, counted
    from the moment it is first in line.
    """

    pipeline_depth = 2

    def __init__(
        self,
        timeout: float = 120,
        soffice: str | None = None,
        *,
        start_timeout: float = 60,
        python: str | None = None,
    ) -> None:
        super().__init__(timeout, soffice)
        self.start_timeout = start_timeout
        self._python = python
        self._worker: subprocess.Popen[bytes] | None = None
        self._work: tempfile.TemporaryDirectory[str] | None = None
        self._pipe = ""
        self._buffer = b""
        self._count = 0
        # Guards the worker's life cycle, its stdin and the queue; the reply pipe is read only
        # by the thread whose request is first in the queue, without the lock.
        self._lock = threading.Condition()
        self._queue: collections.deque[_Request] = collections.deque()
        self._killed = False

    @property
    def python(self) -> str:
        if self._python is None:
            self._python = find_uno_python(self.soffice)
        return self._python

    @property
    def pid(self) -> int | None:
        """The worker's pid, which is also the process group of its LibreOffice; None if stopped."""
        return self._worker.pid if self._worker is not None else None

    def start(self) -> None:
        """Start LibreOffice now rather than at the first conversion."""
        with self._lock:
            self._ensure_started()

    def to_pdf(self, docx: bytes) -> bytes:
        request = _Request(docx)
        crashes = 0
        while True:
            request.lost = False
            try:
                self._send(request)
            except _Crashed as exc:
                crashes = self._crashed(crashes, str(exc))
                continue
            if not self._wait_turn(request):
                continue
            try:
                reply = self._reply(self.timeout)
            except TimeoutError:
                self._abandon()
                raise RenderError(_("LibreOffice did not convert the act within {seconds} s").format(
                    seconds=f"{self.timeout:g}")) from None
            except _Crashed:
                crashes = self._crashed(crashes, self._last_words())
                continue
            except BaseException:
                # Interrupted mid-request (Ctrl-C, a bug): the worker's next reply would belong to
                # this document, so the worker cannot be trusted with another one.
                self._abandon()
                raise
            if reply.get("fatal"):
                crashes = self._crashed(crashes, str(reply.get("error")))
                continue
            return self._result(request, reply)

    def _crashed(self, crashes: int, why: str) -> int:
        """Stop the dead worker (the requests queued behind go again) and count the crash."""
        self._abandon()
        if crashes:
            raise RenderError(_("LibreOffice crashed twice converting the act: {reason}").format(reason=why))
        return crashes + 1

    def _abandon(self) -> None:
        """Kill the worker: every request sent to it, this one included, is lost."""
        with self._lock:
            for queued in self._queue:
                queued.lost = True
            self._queue.clear()
            self._stop(kill=True)
            self._lock.notify_all()

    def _send(self, request: _Request) -> None:
        with self._lock:
            # A worker with requests queued is only stopped by the thread first in line, which
            # reads its replies; a send failing meanwhile waits for that thread to see the death.
            while True:
                if not self._queue:
                    self._ensure_started()
                assert self._work is not None and self._worker is not None and self._worker.stdin is not None
                self._count += 1
                work = Path(self._work.name)
                request.src, request.dst = work / f"act-{self._count}.docx", work / f"act-{self._count}.pdf"
                try:
                    request.src.write_bytes(request.docx)
                except OSError as exc:
                    unwritten = _("cannot write the act for LibreOffice: {reason}")
                    raise RenderError(unwritten.format(reason=exc.strerror)) from None
                try:
                    self._worker.stdin.write(
                        json.dumps({"in": str(request.src), "out": str(request.dst)}).encode() + b"\n"
                    )
                    self._worker.stdin.flush()
                except OSError:
                    request.src.unlink(missing_ok=True)
                    if not self._queue:
                        raise _Crashed(self._last_words()) from None
                    worker = self._worker
                    while self._worker is worker and self._queue:
                        self._lock.wait()
                    continue
                self._queue.append(request)
                return

    def _wait_turn(self, request: _Request) -> bool:
        """Wait until ``request`` is first in line (True) or lost with its worker (False)."""
        with self._lock:
            try:
                while not request.lost and self._queue[0] is not request:
                    self._lock.wait()
            except BaseException:
                if not request.lost:  # its reply would be taken for the next request's
                    self._abandon()
                raise
            return not request.lost

    def _result(self, request: _Request, reply: dict[str, Any]) -> bytes:
        assert request.src is not None and request.dst is not None
        with self._lock:
            self._queue.popleft()
            self._lock.notify_all()
        try:
            if reply.get("ok"):
                try:
                    return request.dst.read_bytes()
                except OSError as exc:
                    raise RenderError(_("LibreOffice wrote no PDF: {reason}").format(reason=exc.strerror)) from None
            raise RenderError(_("LibreOffice could not convert the act to PDF: {reason}").format(
                reason=reply.get("error")))
        finally:
            request.src.unlink(missing_ok=True)
            request.dst.unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            self._stop(kill=False)

    def kill(self) -> None:
        """Stop now, from any thread and without waiting for the lock (a thread may hold it while
        LibreOffice starts): the worker's group is killed, the threads converting see it die and
        clean up, and no conversion starts a LibreOffice again."""
        self._killed = True
        worker = self._worker
        if worker is not None:
            kill_group(worker.pid)

    # -- worker life cycle ------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self._worker is not None and self._worker.poll() is None:
            return
        self._stop(kill=True)  # exited while idle: clear what it left
        if self._killed:
            raise RenderError(_("the conversion was stopped"))
        soffice, python = self.soffice, self.python
        self._work = tempfile.TemporaryDirectory(prefix="atti-lo-warm-")
        work = Path(self._work.name)
        # A fresh pipe name and profile for every start: a killed soffice can leave both stale.
        self._pipe = f"atti-{os.getpid()}-{secrets.token_hex(6)}"
        cmd = [
            python, str(WORKER), "--soffice", soffice, "--profile", (work / "profile").as_uri(),
            "--pipe", self._pipe,
        ]
        # LibreOffice's own temporary files go in the work folder too, so a killed one leaves none.
        env = {**_worker_env(), "TMPDIR": str(work)}
        with open(work / "soffice.log", "wb") as log:
            try:
                self._worker = subprocess.Popen(
                    cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                    start_new_session=True, env=env,
                )
            except OSError as exc:
                self._stop(kill=True)
                raise ConverterMissing(_("{missing}: cannot run {python}: {reason}").format(
                    missing=translate(UNO_MISSING), python=python, reason=exc.strerror)) from None
        guard(self._worker.pid)
        if self._killed:  # kill() ran while the worker was being started, and did not see it
            self._stop(kill=True)
            raise RenderError(_("the conversion was stopped"))
        self._buffer = b""
        try:
            ready = self._reply(self.start_timeout)
        except BaseException as exc:
            why = self._last_words() if isinstance(exc, _Crashed) else ""
            self._stop(kill=True)  # interrupted while starting too: nothing may stay behind
            if isinstance(exc, TimeoutError):
                raise RenderError(_("LibreOffice did not start within {seconds} s").format(
                    seconds=f"{self.start_timeout:g}")) from None
            if isinstance(exc, _Crashed):
                raise RenderError(_("LibreOffice did not start: {reason}").format(reason=why)) from None
            raise
        if not ready.get("ready"):
            self._stop(kill=True)
            raise ConverterMissing(translate(UNO_MISSING))

    def _stop(self, *, kill: bool) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            if not kill:
                # End of input asks the worker to close LibreOffice properly (it removes its pipe).
                try:
                    assert worker.stdin is not None
                    worker.stdin.close()
                    worker.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            # Whatever is left of the group (a stuck soffice.bin, helpers it spawned) goes now.
            kill_group(worker.pid)
            worker.wait()
            release(worker.pid)
            for stream in (worker.stdin, worker.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            self._remove_pipes()
        if self._work is not None:
            self._work.cleanup()
            self._work = None

    def _remove_pipes(self) -> None:
        """Remove the socket files in /tmp that a killed soffice leaves (an exiting one removes them).

        One is the UNO pipe we named; the other is LibreOffice's single-instance pipe, named after
        the MD5 of the profile URL in UTF-16, in hex without leading zeros. Should a LibreOffice
        name it differently, the file merely stays.
        """
        assert self._work is not None
        profile = (Path(self._work.name) / "profile").as_uri()
        digest = "".join(f"{b:x}" for b in hashlib.md5(profile.encode("utf-16-le"), usedforsecurity=False).digest())
        for name in (self._pipe, f"SingleOfficeIPC_{digest}"):
            Path(f"/tmp/OSL_PIPE_{os.getuid()}_{name}").unlink(missing_ok=True)

    # -- protocol ---------------------------------------------------------------------------

    def _reply(self, timeout: float) -> dict[str, Any]:
        """The worker's next line as JSON; TimeoutError after ``timeout`` s, _Crashed at its end."""
        assert self._worker is not None and self._worker.stdout is not None
        fd = self._worker.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            # In slices, to notice a worker that died while something it started keeps its stdout.
            readable, _, _ = select.select([fd], [], [], min(remaining, 0.5))
            if not readable:
                if self._worker.poll() is not None and not select.select([fd], [], [], 0)[0]:
                    raise _Crashed("the worker exited")
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise _Crashed("the worker exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            raise _Crashed(f"garbled reply from the worker: {line[:80]!r}") from None
        if not isinstance(reply, dict):
            raise _Crashed(f"garbled reply from the worker: {line[:80]!r}")
        return reply

    def _last_words(self) -> str:
        """Why the worker ended: its own last message, else how it exited.

        Not LibreOffice's last line on stderr: that is mostly a harmless warning about Java.
        """
        if self._work is not None:
            with contextlib.suppress(OSError):
                text = (Path(self._work.name) / "soffice.log").read_text("utf-8", "replace")
                ours = [line for line in text.splitlines() if line.startswith("atti uno worker: ")]
                if ours:
                    return ours[-1].removeprefix("atti uno worker: ").strip()
        status = self._worker.poll() if self._worker is not None else None
        if status is None:
            return _("the UNO worker stopped answering")
        if status < 0:
            return _("the UNO worker was killed by signal {signal}").format(signal=-status)
        return _("the UNO worker exited with status {status}").format(status=status)


def open_converter(timeout: float = 120, *, warm: bool | None = None) -> Converter:
    """A converter for many documents: warm when LibreOffice's ``uno`` is available, else cold.

    ``warm=True`` insists on the warm one (ConverterMissing at the first conversion if ``uno`` is
    missing); ``warm=False`` gives the cold one.
    """
    if warm is None:
        warm = uno_available()
    return WarmConverter(timeout) if warm else Converter(timeout)
