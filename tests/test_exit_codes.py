"""Exit codes: every one atti can end with is in README.md's table, and means what the table says.

The table is read from the README itself, so a code added to errors.py or cli.py without its row,
or a row that names a class whose code differs, fails here. Then the paths that are easy to get
wrong: bulk commands that skipped something, a standard output closed early, an archive location
that is a malformed database URL, verifying without an archive, interrupts and bugs.
"""

from __future__ import annotations

import json
from pathlib import Path

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
