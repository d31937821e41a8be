"""Keeps one LibreOffice running and converts DOCX files to PDF/A-2b through UNO.

Not part of atti's importable code: :class:`atti.templates.warm.WarmConverter` runs this file by
path with a Python that has LibreOffice's ``uno`` module (on Debian, ``/usr/bin/python3`` with the
python3-uno package), because the project's own interpreter usually cannot import ``uno``. So it
uses the standard library only and nothing from atti.

Protocol, one JSON object per line:

* stdout, once: ``{"ready": true, "pid": N}`` when LibreOffice accepts calls, or
  ``{"ready": false, "error": "...", "missing": "uno"}`` when this Python has no ``uno``;
* stdin -> stdout, per document: ``{"in": "a.docx", "out": "a.pdf"}`` ->
  ``{"ok": true}`` or ``{"ok": false, "error": "one line", "fatal": bool}``; after a fatal reply
  (LibreOffice gone) the worker exits and the parent starts a new one;
* end of stdin: LibreOffice is shut down and the worker exits.

It starts soffice itself, as its child, so that soffice, oosplash and soffice.bin share the
worker's process group and the parent can kill all of them at once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from typing import IO, Any

try:
    import uno  # type: ignore[import-not-found]
    from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
    from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]
    from com.sun.star.lang import DisposedException  # type: ignore[import-not-found]
except ImportError as exc:  # reported on the protocol, so the parent can name the package
    uno = None
    _MISSING = str(exc)
else:
    _MISSING = ""

# The same options as convert.PDF_FILTER: PDF/A-2b and tagged PDF.
PDF_EXPORT = "writer_pdf_Export"
NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE


def props(**values: Any) -> tuple[Any, ...]:
    return tuple(PropertyValue(Name=k, Value=v) for k, v in values.items())


def one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"


class Office:
    def __init__(self, soffice: str, profile: str, pipe: str) -> None:
        # --nodefault: no empty document at start; --nolockcheck: a profile we just made is ours.
        cmd = [
            soffice, f"-env:UserInstallation={profile}", "--headless", "--invisible", "--nocrashreport",
            "--nodefault", "--nologo", "--nofirststartwizard", "--norestore", "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ]
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        # soffice takes a few seconds to accept calls; the parent enforces the start-up time limit.
        while True:
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                status = self.process.poll()
                if status is not None:
                    raise RuntimeError(f"soffice exited with status {status}") from None
                time.sleep(0.05)
        self.desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)

    def alive(self) -> bool:
        return self.process.poll() is None

    def convert(self, src: str, dst: str) -> None:
        doc = self.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(src), "_blank", 0,
            props(Hidden=True, ReadOnly=True, MacroExecutionMode=NEVER_EXECUTE),
        )
        if doc is None:
            raise ValueError("LibreOffice could not open the document")
        try:
            # The filter reads SelectPdfVersion as a long: say so, pyuno would send a byte.
            filter_data = uno.Any(
                "[]com.sun.star.beans.PropertyValue",
                props(SelectPdfVersion=uno.Any("long", 2), UseTaggedPDF=True),
            )
            uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(dst), props(
                FilterName=PDF_EXPORT, FilterData=filter_data, Overwrite=True,
            )))
        finally:
            doc.close(True)

    def shutdown(self) -> None:
        try:
            if self.alive():
                self.desktop.terminate()
            self.process.wait(timeout=10)
        except Exception:  # already gone, or stuck: the group is killed below either way
            pass


def serve(office: Office, requests: IO[str], replies: IO[str]) -> None:
    for line in requests:
        try:
            request = json.loads(line)
            office.convert(request["in"], request["out"])
            reply: dict[str, Any] = {"ok": True}
        except Exception as exc:
            # A dead office or bridge is fatal; a document LibreOffice rejects is not.
            fatal = isinstance(exc, DisposedException) or not office.alive() or "bridge" in str(exc).lower()
            reply = {"ok": False, "error": one_line(getattr(exc, "Message", "") or str(exc)), "fatal": fatal}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
        if not reply["ok"] and reply["fatal"]:
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--soffice", required=True)
    parser.add_argument("--profile", required=True, help="file: URL of the private profile")
    parser.add_argument("--pipe", required=True, help="name of the UNO pipe")
    args = parser.parse_args()

    # The protocol gets its own copy of stdout; fd 1 then points at stderr, so that nothing
    # LibreOffice or a library prints can corrupt a reply.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    if uno is None:
        replies.write(json.dumps({"ready": False, "error": _MISSING, "missing": "uno"}) + "\n")
        replies.flush()
        sys.exit(1)
    office = None
    try:
        office = Office(args.soffice, args.profile, args.pipe)
        replies.write(json.dumps({"ready": True, "pid": office.process.pid}) + "\n")
        replies.flush()
        serve(office, sys.stdin, replies)
    except BrokenPipeError:  # the parent went away
        pass
    except Exception as exc:
        print(f"atti uno worker: {one_line(getattr(exc, 'Message', '') or str(exc))}", file=sys.stderr)
    finally:
        if office is not None:
            office.shutdown()
        # Leave nothing behind: soffice.bin may outlive oosplash. Only when this worker leads its
        # own group, as WarmConverter starts it; run by hand, it must not kill its caller's group.
        if os.getpgid(0) == os.getpid():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            os.killpg(0, signal.SIGTERM)


if __name__ == "__main__":
    main()
