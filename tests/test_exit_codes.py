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


# -- where the archive is -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "missing"),
    [
        ("postgresql://", "names no host and no database"),
        ("postgres://", "names no host and no database"),
        ("postgresql:", "names no host and no database"),
        ("postgresql://db.example.it", "names no database"),
        ("postgresql://atti@db.example.it:54x2/atti", "has a port that is not a number from 1 to 65535"),
    ],
)
def test_a_malformed_database_url_says_what_it_lacks(atti: Atti, location: str, missing: str) -> None:
    for command in (("search", "x"), ("init",), ("verify", README)):
        result = atti(*command, "--archive", location)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.startswith("Error: the archive's database URL "), result.stderr
        assert missing in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert "postgresql://USER@HOST[:PORT]/DATABASE" in result.stderr
    assert not Path("postgresql:").exists() and not Path("postgres:").exists()  # no folder made by mistake


def test_verify_with_trust_roots_needs_no_archive(atti: Atti, tmp_path: Path) -> None:
    """--trust (or --tsl) is enough to verify: no archive needed, whatever --archive names. Without
    either, the archive's roots are all there is to trust, and there must be one."""
    from atti.signing import ActSigner, DevCA

    from .test_signing import make_pdf

    ca = DevCA.create(tmp_path / "ca", ente="Comune di Prova")
    root = tmp_path / "ca" / "root.pem"
    signer = ActSigner.from_pkcs12(ca.signer_for("Mario Rossi", "Dirigente"), None)
    pdf = tmp_path / "firmato.pdf"
    pdf.write_bytes(signer.sign(make_pdf(), reason="Adozione", location="Prova"))
    nowhere = tmp_path / "nowhere"
    for args in ((), ("--archive", nowhere)):
        result = atti("verify", pdf, "--trust", root, *args, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["indication"] == "TOTAL_PASSED" and report["trust"] == [f"certificates in {root}"]
    without = atti("verify", pdf, "--archive", nowhere)
    assert (without.exit_code, without.stderr) == (
        6, f"Error: no archive at {nowhere}: create one with 'atti init --archive {nowhere}'\n"
    )
    assert not nowhere.exists()


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
