"""Exit codes: every one atti can end with is in README.md's table, and means what the table says.

The table is read from the README itself, so a code added to errors.py or cli.py without its row,
or a row that names a class whose code differs, fails here. Then the paths that are easy to get
wrong: bulk commands that skipped something, a standard output closed early, an archive location
that is a malformed database URL, verifying without an archive, interrupts and bugs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from .conftest import ROOT, Atti

README = ROOT / "README.md"
CLI = ROOT / "src" / "atti" / "cli.py"


# -- bulk commands ------------------------------------------------------------------------------


def test_import_of_a_folder_exits_1_when_any_file_was_skipped(atti: Atti, tmp_path: Path) -> None:
    folder = tmp_path / "vecchi"
    folder.mkdir()
    (folder / "nota.txt").write_text("Determinazione n. 1/2026", encoding="utf-8")
    (folder / "rotto.pdf").write_bytes(b"%PDF-1.7 broken")
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    result = atti("import", folder, "--archive", archive)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "Skipped nota.txt: not a PDF: only a PDF can be kept as the signed original",
        "Skipped rotto.pdf: rotto.pdf: not a readable PDF (corrupt or encrypted)",
        "0 imported, 2 skipped; citations relinked in 0 acts",
    ]
    as_json = atti("import", folder, "--archive", archive, "--json")
    assert as_json.exit_code == 1 and len(json.loads(as_json.stdout)["skipped"]) == 2


def test_renewal_exits_1_when_an_act_failed(atti: Atti, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from atti import pipeline

    def renew(archive: object, settings: object, *, before_days: int, progress: object) -> pipeline.RenewResult:
        failed = pipeline.Renewal("DO-2026-1", "2026-06-01", error="the PDF is damaged")
        done = pipeline.Renewal("DO-2026-2", "2026-06-01", sha256="ab" * 32)
        for renewal in (failed, done):
            progress(renewal)  # type: ignore[operator]
        return pipeline.RenewResult(2, [done], [failed], [])

    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    monkeypatch.setattr(pipeline, "renew_timestamps", renew)
    result = atti("timestamp", "--renew", "--archive", archive, "--tsa", "http://127.0.0.1:9/tsa")
    assert (result.exit_code, result.stderr) == (1, "Error: DO-2026-1: the PDF is damaged\n")
    assert result.stdout == "renewed DO-2026-2 (TSA certificate expires 2026-06-01)\nRenewed 1 of 2 acts, 1 failed\n"


# -- a standard output closed early ---------------------------------------------------------------


def _closed_stdout(*args: object) -> subprocess.CompletedProcess[bytes]:
    """Run atti with its standard output a pipe nobody reads any more (as ``atti ... | head -1``
    leaves it once head is done)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-c", "from atti.cli import main; main(prog_name='atti')", *map(str, args)],
            stdout=write, stderr=subprocess.PIPE, timeout=120, check=False,
        )
    finally:
        os.close(write)


def test_a_closed_standard_output_ends_atti_quietly(atti: Atti, tmp_path: Path) -> None:
    """No traceback, no "internal error": exit 1, as click has a closed pipe end a command."""
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    for args in (("search", "--archive", archive), ("search", "--archive", archive, "--json"), ("--help",),
                 ("archive", "verify", "--archive", archive)):
        done = _closed_stdout(*args)
        assert (done.returncode, done.stderr.decode()) == (1, ""), args


# -- interrupts and bugs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (KeyboardInterrupt(), 130, "Error: interrupted\n"),
        (click.Abort(), 130, "Error: interrupted\n"),
        (ZeroDivisionError("division by zero"), 70,
         "Error: internal error (ZeroDivisionError: division by zero); rerun with --verbose\n"),
    ],
)
def test_interrupts_and_bugs(
    atti: Atti, monkeypatch: pytest.MonkeyPatch, raised: BaseException, code: int, message: str
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr("atti.cli.load_settings", fail)
    for args in (("search", "x"), ("archive", "verify")):
        result = atti(*args)
        assert (result.exit_code, result.stderr) == (code, message), args
