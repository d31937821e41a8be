"""The warm converter (one LibreOffice driven over UNO), the converter factory and batch rendering.

The tests marked libreoffice run the real LibreOffice and hurt it (SIGSTOP, SIGKILL); the others
replace the UNO worker with a small fake speaking the same protocol, to reach every failure path
quickly.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from atti.acts import load_act
from atti.errors import ConverterMissing, RenderError
from atti.templates import warm
from atti.templates.batch import Failed, Outcome, find_acts, render_batch
from atti.templates.convert import Converter
from atti.templates.render import render_docx
from atti.templates.warm import WarmConverter, open_converter

from .conftest import EXAMPLE, Atti, process_alive


def example_docx() -> bytes:
    return render_docx(load_act(EXAMPLE).act)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


def group_members(pgid: int) -> dict[int, str]:
    """pid -> command name of the live processes in a process group."""
    members = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        if int(rest[2]) == pgid and rest[0] not in {"Z", "X"}:
            members[int(entry.name)] = name
    return members


def soffice_bin(converter: WarmConverter) -> int:
    assert converter.pid is not None, "LibreOffice is not running"
    pids = [pid for pid, name in group_members(converter.pid).items() if name == "soffice.bin"]
    assert len(pids) == 1, group_members(converter.pid)
    return pids[0]


@pytest.fixture()
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The converters' temporary folder, to check that they leave nothing behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


# -- the real LibreOffice ----------------------------------------------------------------------


@pytest.mark.libreoffice
def test_warm_conversion_gives_a_tagged_pdfa_with_the_acts_text(tmp_path: Path, private_tmp: Path) -> None:
    act = load_act(EXAMPLE).act
    with WarmConverter() as converter:
        pdf = converter.to_pdf(render_docx(act))
    assert b"<pdfaid:part>2</pdfaid:part>" in pdf and b"<pdfaid:conformance>B<" in pdf
    assert b"/StructTreeRoot" in pdf  # tagged
    text = pdf_text(pdf, tmp_path)
    assert "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026" in text
    assert " ".join(act.oggetto.split()) in text
    assert list(private_tmp.iterdir()) == []  # profile, work files and LibreOffice's own: all gone


@pytest.mark.libreoffice
def test_many_conversions_reuse_one_libreoffice(tmp_path: Path) -> None:
    docx = example_docx()
    with WarmConverter() as converter:
        converter.to_pdf(docx)
        first = (converter.pid, soffice_bin(converter))
        for _ in range(5):
            assert converter.to_pdf(docx).startswith(b"%PDF-")
        assert (converter.pid, soffice_bin(converter)) == first
        group = converter.pid
    assert not process_alive(first[1])
    assert group_members(group) == {}


@pytest.mark.libreoffice
def test_a_hanging_libreoffice_hits_the_time_limit_and_the_next_act_gets_a_fresh_one() -> None:
    docx = example_docx()
    with WarmConverter(timeout=60) as converter:
        converter.to_pdf(docx)
        stuck = soffice_bin(converter)
        os.kill(stuck, signal.SIGSTOP)
        converter.timeout = 1.5
        with pytest.raises(RenderError, match=r"^LibreOffice non ha convertito l'atto entro 1.5 s$"):
            converter.to_pdf(docx)
        assert not process_alive(stuck)
        converter.timeout = 60
        assert converter.to_pdf(docx).startswith(b"%PDF-")
        assert soffice_bin(converter) != stuck


@pytest.mark.libreoffice
def test_a_crashed_libreoffice_is_restarted_and_the_act_converted(tmp_path: Path) -> None:
    docx = example_docx()
    with WarmConverter() as converter:
        converter.to_pdf(docx)
        # Killed between two acts.
        dead = soffice_bin(converter)
        os.kill(dead, signal.SIGKILL)
        assert not process_alive(dead)
        assert b"<pdfaid:part>2</pdfaid:part>" in converter.to_pdf(docx)
        # Killed while an act is being converted: stopped first so that it cannot finish before.
        victim = soffice_bin(converter)
        assert victim != dead
        os.kill(victim, signal.SIGSTOP)
        result: list[bytes | BaseException] = []

        def convert() -> None:
            try:
                result.append(converter.to_pdf(docx))
            except BaseException as exc:
                result.append(exc)

        thread = threading.Thread(target=convert)
        thread.start()
        time.sleep(0.3)
        os.kill(victim, signal.SIGKILL)
        thread.join(60)
        assert len(result) == 1 and isinstance(result[0], bytes), result
        assert "N. 129/2026" in pdf_text(result[0], tmp_path)


@pytest.mark.libreoffice
def test_batch_renders_a_folder_and_reports_the_invalid_act(tmp_path: Path) -> None:
    acts = tmp_path / "acts"
    acts.mkdir()
    text = EXAMPLE.read_text(encoding="utf-8")
    for number in (201, 202, 203):
        (acts / f"act-{number}.yaml").write_text(text.replace("numero: 129", f"numero: {number}"), encoding="utf-8")
    (acts / "broken.yaml").write_text(text.replace("\norgano:", "\norgano_:"), encoding="utf-8")
    (acts / "notes.txt").write_text("not an act")
    out = tmp_path / "out"
    seen: list[tuple[Outcome, int, int]] = []

    result = render_batch([acts], out, workers=2, progress=lambda o, done, total: seen.append((o, done, total)))

    assert [r.source.name for r in result.rendered] == ["act-201.yaml", "act-202.yaml", "act-203.yaml"]
    assert result.failed == [Failed(acts / "broken.yaml", f"{acts / 'broken.yaml'}:4:1: manca la chiave "
                                    "obbligatoria 'organo' (e altri 1)", invalid=True)]
    assert result.exit_code == 1
    assert [(done, total) for _, done, total in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"determinazione-DO-{n}-2026.{ext}" for n in (201, 202, 203) for ext in ("docx", "pdf")
    )
    for rendered in result.rendered:
        pdf = rendered.output.pdf.read_bytes()
        assert b"<pdfaid:part>2</pdfaid:part>" in pdf
        number = rendered.source.stem.split("-")[1]
        assert f"N. {number}/2026" in pdf_text(pdf, tmp_path)


@pytest.mark.libreoffice
def test_batch_without_uno_uses_cold_converters(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(EXAMPLE.read_text(encoding="utf-8").replace("numero: 129", "numero: 130"), encoding="utf-8")
    result = render_batch([EXAMPLE, other], tmp_path / "out", warm=False)
    assert (result.failed, result.exit_code) == ([], 0)
    assert [b"<pdfaid:part>2</pdfaid:part>" in r.output.pdf.read_bytes() for r in result.rendered] == [True, True]


@pytest.mark.libreoffice
def test_cli_renders_a_folder_with_a_summary_and_exit_status(atti: Atti, tmp_path: Path) -> None:
    acts = tmp_path / "acts"
    acts.mkdir()
    text = EXAMPLE.read_text(encoding="utf-8")
    (acts / "a.yaml").write_text(text, encoding="utf-8")
    (acts / "b.yaml").write_text(text.replace("data: 2026-05-19", "data: 2026-05-32"), encoding="utf-8")
    other = tmp_path / "other.yaml"
    other.write_text(text.replace("numero: 129", "numero: 130"), encoding="utf-8")
    out = tmp_path / "out"

    result = atti("render", acts, other, "-o", out)

    assert result.exit_code == 1, result.output
    assert result.stdout == f"Atti generati in {out}: 2 su 3, non riusciti: 1\n"
    assert f"Errore: {acts / 'b.yaml'}:11:7: data: data non valida" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "determinazione-DO-129-2026.docx", "determinazione-DO-129-2026.pdf",
        "determinazione-DO-130-2026.docx", "determinazione-DO-130-2026.pdf",
    ]
    single = tmp_path / "single"
    assert atti("render", acts / "a.yaml", "-o", single).stdout == (
        f"DOCX: {single / 'determinazione-DO-129-2026.docx'}\nPDF:  {single / 'determinazione-DO-129-2026.pdf'}\n"
    )
    # Rendered in a batch or alone, an act gets the same kind of PDF (PDF/A part, attachments).
    def kind(pdf: bytes) -> tuple[bytes, bool]:
        part = re.search(rb"<pdfaid:part>(\d)</pdfaid:part>", pdf)
        return (part.group(1) if part else b"?"), b"/EmbeddedFiles" in pdf

    batched, alone = ((d / "determinazione-DO-129-2026.pdf").read_bytes() for d in (out, single))
    assert kind(batched) == kind(alone)


# -- no LibreOffice needed ---------------------------------------------------------------------


@pytest.mark.libreoffice
def test_cli_exits_3_when_acts_cannot_be_rendered(atti: Atti, tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_text("not a docx")
    out = tmp_path / "out"
    folder = tmp_path / "acts"
    folder.mkdir()
    act = folder / EXAMPLE.name
    act.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = atti("render", act, folder, "-o", out, "--template", broken)  # the same act twice: rendered once
    assert result.exit_code == 3, result.output
    assert result.stdout == f"Atti generati in {out}: 0 su 1, non riusciti: 1\n"
    assert f"Errore: {act}: il modello {broken} non è un file DOCX utilizzabile" in result.stderr
    assert not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = atti("render", empty, EXAMPLE, "-o", out)
    assert (nothing.exit_code, nothing.stderr) == (
        2, f"Errore: nessun atto da generare: {empty} non contiene file *.yaml\n")


@pytest.mark.libreoffice
def test_batch_renders_each_output_name_once(tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    found = find_acts([EXAMPLE, EXAMPLE.parent])  # each act once, the one named first where it was named
    assert found[0] == EXAMPLE and sorted(found) == sorted(EXAMPLE.parent.glob("*.yaml"))
    broken = tmp_path / "broken.docx"
    broken.write_text("not a docx")  # so that nothing reaches LibreOffice
    result = render_batch([EXAMPLE, copy, tmp_path / "none.yaml"], tmp_path / "out", template=broken)
    assert [(f.source, f.invalid) for f in result.failed] == [
        (EXAMPLE, False), (copy, True), (tmp_path / "none.yaml", True),
    ]
    assert result.failed[1].message == (
        f"{copy}: stessi file in uscita di {EXAMPLE} (determinazione-DO-129-2026.docx, .pdf); non generato"
    )
    assert result.failed[2].message == f"{tmp_path / 'none.yaml'}:1:1: il file non esiste"


def test_missing_libreoffice_or_uno_names_the_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ATTI_SOFFICE", str(tmp_path / "nothing"))
    with pytest.raises(ConverterMissing, match=r"^LibreOffice non trovato: ATTI_SOFFICE="):
        WarmConverter().to_pdf(b"")
    with pytest.raises(ConverterMissing, match=r"^LibreOffice non trovato"):
        render_batch([EXAMPLE], tmp_path / "out")
    monkeypatch.delenv("ATTI_SOFFICE")
    monkeypatch.setattr(warm, "UNO_PYTHONS", (sys.executable,))  # the venv's Python has no uno
    with pytest.raises(ConverterMissing,
                       match=r"^il collegamento Python di LibreOffice \(uno\) non è stato trovato: .*python3-uno"):
        WarmConverter().to_pdf(b"")
    assert type(open_converter(30)) is Converter  # the factory falls back to the cold converter
    assert type(open_converter(30, warm=True)) is WarmConverter


@pytest.mark.libreoffice
def test_the_factory_prefers_the_warm_converter() -> None:
    # python3-uno is part of the set-up (scripts/setup.sh): without it this fails, as it should.
    converter = open_converter(30)
    assert isinstance(converter, WarmConverter) and converter.timeout == 30
    assert type(open_converter(30, warm=False)) is Converter


def test_a_libreoffice_that_cannot_start_is_one_clear_error(tmp_path: Path, private_tmp: Path) -> None:
    soffice = tmp_path / "soffice"
    soffice.write_text("#!/bin/sh\necho 'Error: broken installation' >&2\nexit 81\n")
    soffice.chmod(0o755)
    with WarmConverter(soffice=str(soffice)) as converter, pytest.raises(RenderError) as raised:
        converter.to_pdf(b"act")
    assert str(raised.value) == "LibreOffice non è partito: soffice exited with status 81"
    assert list(private_tmp.iterdir()) == []


# -- a fake worker for the failure paths -------------------------------------------------------

FAKE_WORKER = """
import json, pathlib, subprocess, sys, time
here = pathlib.Path(sys.argv[0]).parent
mode = (here / "mode").read_text()
starts = here / "starts"
n = len(starts.read_text()) + 1 if starts.exists() else 1
starts.write_text("x" * n)
# Stands for soffice.bin: it must die with the group. It keeps the worker's stdout open, so the
# parent must notice the worker's death by other means than the end of that pipe.
child = subprocess.Popen(["sleep", "300"])
(here / f"child-{n}").write_text(str(child.pid))
if mode == "no-start":
    time.sleep(300)
if mode == "no-uno":
    print(json.dumps({"ready": False, "missing": "uno", "error": "No module named 'uno'"}), flush=True)
    sys.exit(1)
print(json.dumps({"ready": True, "pid": child.pid}), flush=True)
if mode == "queue":
    # Byte by byte, so that a request already sent waits in the pipe rather than in a buffer here.
    import os, select
    first = True
    while True:
        line = b""
        while not line.endswith(b"\\n"):
            byte = os.read(0, 1)
            if not byte:
                sys.exit(0)
            line += byte
        request = json.loads(line)
        # The first act is answered only once the next one is in the pipe (or after 30 s, if the
        # converter waits for the answer before sending the next act): no race with the clock.
        queued = b" (next one queued)" if select.select([0], [], [], 30 if first else 0)[0] else b""
        first = False
        pathlib.Path(request["out"]).write_bytes(b"%PDF-fake " + pathlib.Path(request["in"]).read_bytes() + queued)
        print(json.dumps({"ok": True}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    if mode == "crash":
        print(json.dumps({"ok": False, "fatal": True, "error": "Binary URP bridge disposed"}), flush=True)
        sys.exit(1)
    if mode == "die-once" and n == 1:
        sys.exit(1)
    if mode == "hang-once" and n == 1:
        time.sleep(300)
    if mode == "reject" and b"bad" in pathlib.Path(request["in"]).read_bytes():
        pathlib.Path(request["out"]).write_bytes(b"%PDF-partial")
        print(json.dumps({"ok": False, "fatal": False, "error": "type detection failed"}), flush=True)
        continue
    pathlib.Path(request["out"]).write_bytes(b"%PDF-fake " + pathlib.Path(request["in"]).read_bytes())
    print(json.dumps({"ok": True}), flush=True)
"""


class Fake:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def converter(self, mode: str, **kwargs: float) -> WarmConverter:
        (self.folder / "mode").write_text(mode)
        return WarmConverter(soffice="/bin/true", python=sys.executable, **kwargs)

    @property
    def starts(self) -> int:
        path = self.folder / "starts"
        return len(path.read_text()) if path.exists() else 0

    def child(self, n: int) -> int:
        return int((self.folder / f"child-{n}").read_text())


@pytest.fixture()
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    folder = tmp_path / "fake"
    folder.mkdir()
    (folder / "worker.py").write_text(textwrap.dedent(FAKE_WORKER))
    monkeypatch.setattr(warm, "WORKER", folder / "worker.py")
    yield Fake(folder)


def test_a_crash_is_retried_once_then_reported(fake: Fake, private_tmp: Path) -> None:
    with fake.converter("die-once") as converter:
        assert converter.to_pdf(b"act") == b"%PDF-fake act"
        assert fake.starts == 2 and not process_alive(fake.child(1))
    with fake.converter("crash") as converter, pytest.raises(RenderError) as raised:
        converter.to_pdf(b"act")
    assert str(raised.value) == "LibreOffice si è interrotto due volte convertendo l'atto: Binary URP bridge disposed"
    assert fake.starts == 4 and not process_alive(fake.child(3)) and not process_alive(fake.child(4))
    assert list(private_tmp.iterdir()) == []


def convert_in_threads(converter: WarmConverter, docs: list[bytes]) -> dict[bytes, bytes | BaseException]:
    """Each document converted by a thread of its own, in order: a thread starts once the one
    before has sent its document to the worker (counted, not timed)."""
    results: dict[bytes, bytes | BaseException] = {}

    def convert(docx: bytes) -> None:
        try:
            results[docx] = converter.to_pdf(docx)
        except BaseException as exc:
            results[docx] = exc

    threads = [threading.Thread(target=convert, args=(docx,)) for docx in docs]
    for thread in threads:
        sent = converter._count  # the documents written to a worker so far
        thread.start()
        deadline = time.monotonic() + 60
        while converter._count == sent and thread.is_alive():
            assert time.monotonic() < deadline, "the thread sent nothing"
            time.sleep(0.001)
    for thread in threads:
        thread.join(30)
    return results


def test_threads_sharing_a_converter_queue_their_acts_and_each_gets_its_own(fake: Fake, private_tmp: Path) -> None:
    with fake.converter("queue") as converter:
        results = convert_in_threads(converter, [b"one", b"two"])
        # The second request was waiting in the worker before the first was answered.
        assert results == {b"one": b"%PDF-fake one (next one queued)", b"two": b"%PDF-fake two"}
        assert fake.starts == 1
    assert list(private_tmp.iterdir()) == []


def test_acts_queued_behind_a_crash_go_to_the_next_libreoffice(fake: Fake, private_tmp: Path) -> None:
    with fake.converter("die-once") as converter:
        results = convert_in_threads(converter, [b"one", b"two", b"three"])
        assert results == {b"one": b"%PDF-fake one", b"two": b"%PDF-fake two", b"three": b"%PDF-fake three"}
        assert fake.starts == 2 and not process_alive(fake.child(1))
    assert list(private_tmp.iterdir()) == []


def test_a_hang_is_killed_with_its_group_and_the_next_act_starts_afresh(fake: Fake, private_tmp: Path) -> None:
    with fake.converter("hang-once", timeout=0.5) as converter:
        with pytest.raises(RenderError, match=r"^LibreOffice non ha convertito l'atto entro 0.5 s$"):
            converter.to_pdf(b"act")
        assert not process_alive(fake.child(1))
        assert list(private_tmp.iterdir()) == []  # no half-written PDF left anywhere
        assert converter.to_pdf(b"next") == b"%PDF-fake next"
        assert fake.starts == 2
    with fake.converter("no-start", start_timeout=0.5) as converter:
        with pytest.raises(RenderError, match=r"^LibreOffice non è partito entro 0.5 s$"):
            converter.to_pdf(b"act")
        assert not process_alive(fake.child(3))


def test_a_rejected_document_is_an_error_but_keeps_libreoffice(fake: Fake, private_tmp: Path) -> None:
    with fake.converter("reject") as converter:
        with pytest.raises(RenderError,
                           match=r"^LibreOffice non è riuscito a convertire l'atto in PDF: type detection failed$"):
            converter.to_pdf(b"bad")
        assert list(private_tmp.glob("*/act-*")) == []  # the partial PDF was not kept
        assert converter.to_pdf(b"good") == b"%PDF-fake good"
        assert fake.starts == 1


def test_a_worker_without_uno_is_converter_missing(fake: Fake) -> None:
    with fake.converter("no-uno") as converter, pytest.raises(ConverterMissing, match="python3-uno"):
        converter.to_pdf(b"act")

