"""DOCX -> PDF/A-2b through LibreOffice headless.

One ``Converter`` owns a private LibreOffice profile (so it never fights with a desktop session or
another converter over ``~/.config/libreoffice``) and runs ``soffice --convert-to`` with the PDF
export filter set to PDF/A-2b and tagged PDF. A conversion that outlives the time limit, or is
interrupted, is killed with its whole process group, since soffice forks ``oosplash`` and
``soffice.bin``; should atti die first, the watchdog of :mod:`atti.processes` kills it.

Starting LibreOffice is most of the cost of one conversion: for many acts,
:class:`atti.templates.warm.WarmConverter` keeps one running, and
:func:`atti.templates.warm.open_converter` picks it whenever it can be used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from atti.errors import ConverterMissing, RenderError
from atti.i18n import _
from atti.processes import guard, kill_group, release

# PDF/A-2b ("SelectPdfVersion": 2) and tagged PDF, for accessibility; LibreOffice >= 7.4 reads the
# filter options as JSON.
PDF_FILTER = (
    'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"},'
    '"UseTaggedPDF":{"type":"boolean","value":"true"}}'
)
_CANDIDATES = ("soffice", "libreoffice", "/usr/lib/libreoffice/program/soffice")


def find_soffice() -> str:
    """The soffice executable: ``$ATTI_SOFFICE`` if set, else the first one on the PATH."""
    override = os.environ.get("ATTI_SOFFICE")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        message = _("LibreOffice not found: ATTI_SOFFICE={path} is not an executable")
        raise ConverterMissing(message.format(path=override))
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ConverterMissing(_(
        "LibreOffice not found: install the Debian package libreoffice-writer-nogui "
        "(bash scripts/setup.sh does) or set ATTI_SOFFICE"
    ))


class Converter:
    """Converts DOCX documents to PDF/A-2b; reuse one instance to reuse its LibreOffice profile."""

    pipeline_depth = 1
    """How many threads may call :meth:`to_pdf` at once: one, since each call runs its own
    soffice on the one profile."""

    def __init__(self, timeout: float = 120, soffice: str | None = None) -> None:
        self.timeout = timeout
        self._soffice = soffice
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self._running: subprocess.Popen[bytes] | None = None
        self._killed = False

    @property
    def soffice(self) -> str:
        if self._soffice is None:
            self._soffice = find_soffice()
        return self._soffice

    def to_pdf(self, docx: bytes) -> bytes:
        soffice = self.soffice
        if self._killed:
            raise RenderError(_("the conversion was stopped"))
        if self._profile is None:
            self._profile = tempfile.TemporaryDirectory(prefix="atti-lo-profile-")
        profile = Path(self._profile.name).as_uri()
        with tempfile.TemporaryDirectory(prefix="atti-convert-") as tmp:
            work = Path(tmp)
            (work / "act.docx").write_bytes(docx)
            cmd = [
                soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                "--nolockcheck", "--convert-to", PDF_FILTER, "--outdir", str(work / "out"),
                str(work / "act.docx"),
            ]
            # LibreOffice's own temporary files go in the work folder, removed with it.
            env = {**os.environ, "TMPDIR": tmp}
            try:
                proc = subprocess.Popen(
                    cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env
                )
            except OSError as exc:
                raise ConverterMissing(_("LibreOffice not found: cannot run {soffice}: {reason}").format(
                    soffice=soffice, reason=exc.strerror)) from None
            guard(proc.pid)
            self._running = proc
            try:
                _out, err = proc.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                kill_group(proc.pid)
                proc.communicate()
                raise RenderError(_("LibreOffice did not convert the act within {seconds} s").format(
                    seconds=f"{self.timeout:g}")) from None
            except BaseException:  # interrupted (Ctrl-C, SIGTERM): LibreOffice goes too
                kill_group(proc.pid)
                proc.wait()
                raise
            finally:
                self._running = None
                release(proc.pid)
            if self._killed:
                raise RenderError(_("the conversion was stopped"))
            pdf = work / "out" / "act.pdf"
            if proc.returncode != 0 or not pdf.is_file():
                detail = err.decode("utf-8", "replace").strip().splitlines()
                why = detail[-1] if detail else _("exit status {code}").format(code=proc.returncode)
                raise RenderError(_("LibreOffice could not convert the act to PDF: {reason}").format(reason=why))
            return pdf.read_bytes()

    def kill(self) -> None:
        """Stop now, from any thread: the conversion under way fails, and so does any later one."""
        self._killed = True
        running = self._running
        if running is not None:
            kill_group(running.pid)

    def close(self) -> None:
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
