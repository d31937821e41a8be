"""atti archive migrate: a whole archive copied between SQLite + files and PostgreSQL, verified."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from atti.acts import Act, load_act
from atti.archive import Archive
from atti.archive.integrity import verify_archive
from atti.archive.migrate import migrate, read_tables
from atti.archive.storage.location import state_dir
from atti.errors import ArchiveError

from .conftest import EXAMPLE, Atti


@pytest.fixture()
def source(atti: Atti, tmp_path: Path) -> Path:
    """A SQLite archive made by atti init (with its development CA) holding every kind of row:
    acts with citations, a renewed PDF (two versions), an annulment, a riservato act."""
    root = tmp_path / "source"
    assert atti("init", "--archive", root).exit_code == 0
    act: Act = load_act(EXAMPLE).act
    with Archive.open(root) as arc:
        for number in (129, 130, 131):
            arc.seal(act.model_copy(update={"numero": number, "riservato": number == 131}), source=f"src {number}",
                     docx=b"docx%d" % number, pdf=b"%%PDF act %d" % number, firmatario="Fabrizio Ventrice")
        arc.add_pdf_version("DO-2026-129", b"%PDF act 129 + a document timestamp")
        with arc.catalog.transaction():
            arc.catalog.set_state("DO-2026-130", "annullato", reason="annullamento", by_act="DO-2026-131")
    return root


def _snapshot(location: Path | str) -> tuple[dict[str, list[dict[str, object]]], list[str], list[bytes]]:
    with Archive.open(location) as arc:
        report = verify_archive(arc)
        assert report.ok, report.findings
        tables = read_tables(arc.catalog)
        found = [h.record.id for h in arc.search("proroga termini", limit=100)]
        blobs = sorted(arc.blobs.get(ref) for ref, _ in arc.catalog.blob_refs())
    return tables, found, blobs


def test_sqlite_to_postgresql_and_back_keeps_every_row_and_hash(source: Path, pg_url: str, tmp_path: Path) -> None:
    before = _snapshot(source)
    report = migrate(source, pg_url)
    assert (report.acts, report.events, report.files) == (3, 5, 10)
    assert report.head == before[0]["events"][-1]["hash"]
    assert report.source_check is not None and report.target_check is not None
    assert report.source_check.ok and report.target_check.ok
    assert _snapshot(pg_url) == before  # rows, event chain, search results and documents
    assert (state_dir(pg_url) / "pki" / "root.pem").read_bytes() == (source / "pki" / "root.pem").read_bytes()
    with Archive.open(pg_url) as arc, Archive.open(source) as lite:
        assert arc.versions("DO-2026-129") == lite.versions("DO-2026-129")
        assert arc.versions("DO-2026-129")[-1].reason == "timestamp-renewed"
        assert arc.get("DO-2026-130").stato == "annullato" and arc.get("DO-2026-131").riservato
        assert arc.cites("DO-2026-129") == lite.cites("DO-2026-129") != []
        assert arc.cited_by("DO-2026-131") == lite.cited_by("DO-2026-131")
        assert arc.next_number("D.O.", 2026) == 132

    back = tmp_path / "back"
    migrate(pg_url, back)
    assert _snapshot(back) == before


def test_a_changed_row_after_migration_is_found_on_the_target(source: Path, pg_url: str) -> None:
    migrate(source, pg_url)
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE acts SET signer = 'altri' WHERE id = 'DO-2026-129'")
    with Archive.open(pg_url) as arc:
        assert [str(f) for f in verify_archive(arc).findings] == [
            "changed: act DO-2026-129: signer: modificato dopo che l'evento 4 ha registrato la riga"
        ]


def test_a_non_empty_target_is_refused_and_left_alone(source: Path, pg_url: str, tmp_path: Path) -> None:
    migrate(source, pg_url)
    with pytest.raises(ArchiveError, match=r"^l'archivio di destinazione postgresql://.* non è vuoto: migra solo in"):
        migrate(source, pg_url)
    with Archive.open(pg_url) as arc:
        assert arc.catalog.counts() == (3, 5) and verify_archive(arc).ok
    with pytest.raises(ArchiveError, match=r"non è vuoto"):
        migrate(pg_url, source)


def test_a_source_that_does_not_verify_is_refused(source: Path, pg_url: str) -> None:
    import sqlite3

    with sqlite3.connect(source / "atti.sqlite") as db:
        db.execute("UPDATE acts SET oggetto = 'x' WHERE id = 'DO-2026-131'")
    db.close()
    refused = r"^l'archivio di origine non supera la verifica \(changed: act DO-2026-131: oggetto"
    with pytest.raises(ArchiveError, match=refused):
        migrate(source, pg_url)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('acts')").fetchone() == (None,)  # target never created


def test_cli_migrate(atti: Atti, source: Path, pg_url: str) -> None:
    result = atti("archive", "migrate", "--archive", source, "--to", pg_url)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Migrati 3 atti, 5 eventi, 10 file (0.0 MB) da {source} a {pg_url}",
        "Entrambi gli archivi risultano integri; testa della catena degli eventi "
        f"{_snapshot(source)[0]['events'][-1]['hash']}",
    ]
    result = atti("archive", "migrate", "--from", source, "--to", pg_url)
    assert result.exit_code == 6
    assert result.stderr == (
        f"Errore: l'archivio di destinazione {pg_url} non è vuoto: migra solo in un archivio nuovo\n"
    )
    result = atti("archive", "verify", "--archive", pg_url)
    assert result.exit_code == 0 and result.output.startswith("Archivio OK: 3 atti, 5 eventi, 10 file")


def test_into_postgresql_with_documents_in_s3(
    source: Path, pg_url: str, s3_env: dict[str, str], tmp_path: Path
) -> None:
    """With a bucket configured the documents go to S3 (Object Lock), and come back from it."""
    before = _snapshot(source)
    migrate(source, pg_url)
    with Archive.open(pg_url) as arc:
        assert type(arc.blobs).__name__ == "S3BlobStore"
        assert sorted(name for name, _ in arc.blobs.entries()) == sorted(
            ref.relpath for ref in {ref for ref, _ in arc.catalog.blob_refs()}
        )
    assert _snapshot(pg_url) == before
    migrate(pg_url, tmp_path / "back")
    assert _snapshot(tmp_path / "back") == before


@pytest.mark.libreoffice
def test_publish_into_postgresql_and_s3_then_verify(
    atti: Atti, pg_url: str, s3_env: dict[str, str], tmp_path: Path
) -> None:
    """One command from YAML to a signed act in PostgreSQL + S3; its PDF verifies against the archive's CA."""
    env = {"ATTI_ARCHIVE": pg_url}
    assert atti("init", env=env).exit_code == 0
    result = atti("publish", EXAMPLE, "--json", env=env)
    assert result.exit_code == 0, result.output
    published = json.loads(result.stdout)
    assert published["pdf"] == f"s3://{s3_env['ATTI_S3_BUCKET']}/blobs/sha256/{published['sha256'][:2]}/" \
        f"{published['sha256']}.pdf"
    with Archive.open(pg_url) as archive:
        pdf = archive.blobs.get(archive.get(published["id"]).pdf)
    (tmp_path / "act.pdf").write_bytes(pdf)
    verified = atti("verify", tmp_path / "act.pdf", "--act", EXAMPLE, env=env)
    assert verified.exit_code == 0, verified.output
    assert "TOTAL_PASSED" in verified.output
    assert atti("archive", "verify", env=env).exit_code == 0
