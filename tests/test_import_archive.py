"""atti import, end to end: an imported act renders and publishes; PDFs go into an archive as imported acts.

Real LibreOffice renders and converts, pyHanko signs, SQLite archives; every signed PDF written
is verified.
"""

from __future__ import annotations

import datetime as dt
import json
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from atti.acts.importer import import_file
from atti.acts.loader import load_act
from atti.archive.archive import Archive
from atti.archive.integrity import verify_archive
from atti.signing.stamp import stamp_time
from atti.templates.convert import Converter
from tests.conftest import EXAMPLE, SEED, Atti, run_atti
from tests.test_import import DATA, EXPECTED, _assert_parts, _squash


def _parts(act: Any) -> dict[str, Any]:
    dump = act.model_dump(mode="json", exclude_defaults=True, exclude={"importazione", "non_classificato"})
    parts: dict[str, Any] = _squash(dump)
    return parts


@pytest.fixture(scope="module")
def published(libreoffice: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    """The seed text imported to YAML, then rendered, signed and archived by atti publish."""
    tmp = tmp_path_factory.mktemp("imported")
    yaml_file = tmp / "seed.yaml"
    assert run_atti("import", SEED, "-o", yaml_file).exit_code == 0
    archive = tmp / "A"
    assert run_atti("init", "--archive", archive).exit_code == 0
    result = run_atti("publish", yaml_file, "--archive", archive, "--json")
    assert result.exit_code == 0, result.output
    return archive, json.loads(result.stdout), yaml_file


def test_the_imported_seed_publishes_and_its_signed_pdf_verifies(
    atti: Atti, published: tuple[Path, dict[str, Any], Path]
) -> None:
    archive, record, _ = published
    assert (record["id"], record["stato"], record["firmatario"]) == ("DO-2026-129", "pubblicato", "Fabrizio Ventrice")
    verified = atti("verify", record["pdf"], "--archive", archive, "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["indication"] == "TOTAL_PASSED"


def test_the_signed_pdf_reads_back_to_the_reference_act(
    atti: Atti, published: tuple[Path, dict[str, Any], Path]
) -> None:
    _, record, _ = published
    result = import_file(Path(record["pdf"]))
    assert result.kind == "pdf"
    assert _parts(result.act) == _parts(load_act(EXAMPLE).act)
    # only the signature stamp laid out under the act has no part of its own; it shows the time
    # the signer's signature claims (not the archive's created_at, which may be a second later)
    report = json.loads(atti("verify", record["pdf"], "--trust", published[0] / "pki" / "root.pem", "--json").stdout)
    signed_at = dt.datetime.fromisoformat(report["signatures"][-1]["signing_time"])
    assert [r.testo for r in result.act.non_classificato] == [f"Il Direttore Operativo il {stamp_time(signed_at)}"]
    assert stamp_time(signed_at).endswith(" (ora italiana)")  # Europe/Rome, as the stamp says


def _pdf_of(text_file: Path) -> bytes:
    """A real PDF with a text layer: the text laid out by LibreOffice, one paragraph a line."""
    doc = Document()
    for line in text_file.read_text(encoding="utf-8").splitlines():
        doc.add_paragraph(line)
    buf = BytesIO()
    doc.save(buf)
    with Converter() as converter:
        return converter.to_pdf(buf.getvalue())


def test_a_folder_goes_into_an_archive_as_imported_acts(
    atti: Atti, published: tuple[Path, dict[str, Any], Path], tmp_path: Path
) -> None:
    _, record, _ = published
    folder = tmp_path / "vecchi"
    folder.mkdir()
    seed_pdf = Path(record["pdf"]).read_bytes()
    (folder / "det-129-2026.pdf").write_bytes(seed_pdf)
    graduatoria = _pdf_of(DATA / "unioncamere_graduatoria.txt")
    (folder / "det-60-2026.pdf").write_bytes(graduatoria)
    (folder / "rotto.pdf").write_bytes(b"%PDF-1.7 broken")
    (folder / "nota.txt").write_text((DATA / "comune_ordinanza.txt").read_text(encoding="utf-8"))
    (folder / "leggimi.md").write_text("not read")

    # the PDF LibreOffice made reads like its text
    converted = tmp_path / "graduatoria.pdf"
    converted.write_bytes(graduatoria)
    _assert_parts(import_file(converted), EXPECTED["unioncamere_graduatoria.txt"])

    archive = tmp_path / "B"
    assert atti("init", "--archive", archive).exit_code == 0
    result = atti("import", folder, "--archive", archive)
    assert result.exit_code == 1, result.output  # two files were skipped
    assert result.stdout.splitlines() == [
        "Importato DO-2026-129 da det-129-2026.pdf (affidabilità 96%)",
        "Importato DO-2026-60 da det-60-2026.pdf (affidabilità 96%)",
        "Saltato nota.txt: non è un PDF: solo un PDF si può conservare come originale firmato",
        "Saltato rotto.pdf: rotto.pdf: non è un PDF leggibile (danneggiato o cifrato)",
        "2 importati, 2 saltati; citazioni ricollegate in 0 atti",
    ]
    assert "Importazione" in result.stderr  # the progress bar

    with Archive.open(archive) as arch:
        act = arch.get("DO-2026-129")
        assert (act.stato, act.numero, act.firmatario) == ("importato", 129, "Fabrizio Ventrice")
        assert arch.blobs.get(act.pdf) == seed_pdf  # the original, byte for byte: not re-signed
        assert arch.get("DO-2026-60").stato == "importato"
        # the later act cites the earlier one, both archived now
        citing = [(r.act_id, r.present) for r in arch.cited_by("DO-2026-60")]
        assert ("DO-2026-129", True) in citing
        # publishing continues after the highest imported number
        assert arch.next_number("D.O.", 2026) == 130
        assert verify_archive(arch).ok

    # importing the same folder again refuses the numbers already taken, and stores nothing twice
    again = atti("import", folder, "--archive", archive, "--json")
    assert again.exit_code == 1
    report = json.loads(again.stdout)
    assert report["imported"] == []
    assert {"file": "det-60-2026.pdf", "reason": "il registro D.O. ha già il numero 60/2026 (DO-2026-60)"} in (
        report["skipped"]
    )
