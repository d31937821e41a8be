"""The S3 blob store against a real S3 server (SeaweedFS, tests/s3server.py) that enforces Object Lock."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from atti.acts import load_act
from atti.archive import Archive
from atti.archive.integrity import verify_archive
from atti.archive.records import BlobRef
from atti.archive.storage.s3 import S3BlobStore, retain_until
from atti.errors import ConfigError, StorageError

from .conftest import EXAMPLE
from .s3server import S3Server, _free_ports

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture()
def store(s3_env: dict[str, str]) -> S3BlobStore:
    return S3BlobStore.from_env(s3_env)


def versions(store: S3BlobStore, key: str) -> list[str]:
    answer = store.client.list_object_versions(Bucket=store.bucket, Prefix=key)
    return [v["VersionId"] for v in answer.get("Versions", []) if v["Key"] == key]


def test_round_trip(store: S3BlobStore) -> None:
    ref = store.put(PDF, "pdf")
    assert ref == BlobRef(hashlib.sha256(PDF).hexdigest(), "pdf")
    assert store.exists(ref)
    assert store.get(ref) == PDF
    head = store.client.head_object(Bucket=store.bucket, Key=ref.relpath)
    assert head["ContentLength"] == len(PDF)
    assert head["ContentType"] == "application/pdf"
    assert store.entries() == [(ref.relpath, len(PDF))]
    assert store.digest(ref.relpath) == ref.sha256


def test_put_is_idempotent(store: S3BlobStore) -> None:
    first = store.put(PDF, "pdf")
    before = versions(store, first.relpath)
    assert store.put(PDF, "pdf") == first
    assert versions(store, first.relpath) == before
    assert len(before) == 1


def test_retention_is_compliance_for_the_configured_years(s3_env: dict[str, str]) -> None:
    for years in (10, 3):
        store = S3BlobStore.from_env({**s3_env, "ATTI_S3_RETENTION_YEARS": str(years)} if years != 10 else s3_env)
        assert store.locked
        ref = store.put(f"act under {years} years".encode(), "yaml")
        head = store.client.head_object(Bucket=store.bucket, Key=ref.relpath)
        assert head["ObjectLockMode"] == "COMPLIANCE"
        expected = retain_until(dt.datetime.now(dt.UTC), years)
        assert abs(head["ObjectLockRetainUntilDate"] - expected) < dt.timedelta(minutes=5)


def test_retain_until_counts_calendar_years() -> None:
    assert retain_until(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), 10) == dt.datetime(2036, 3, 1, tzinfo=dt.UTC)
    assert retain_until(dt.datetime(2028, 2, 29, tzinfo=dt.UTC), 1) == dt.datetime(2029, 2, 28, tzinfo=dt.UTC)


def test_deleting_a_locked_version_is_refused(store: S3BlobStore) -> None:
    ref = store.put(PDF, "pdf")
    (version,) = versions(store, ref.relpath)
    with pytest.raises(ClientError) as refused:
        store.client.delete_object(Bucket=store.bucket, Key=ref.relpath, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # COMPLIANCE, not GOVERNANCE: the bypass an administrator has does not help either.
    with pytest.raises(ClientError):
        store.client.delete_object(
            Bucket=store.bucket, Key=ref.relpath, VersionId=version, BypassGovernanceRetention=True
        )
    with pytest.raises(ClientError):
        store.client.put_object_retention(
            Bucket=store.bucket, Key=ref.relpath, VersionId=version, BypassGovernanceRetention=True,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": dt.datetime.now(dt.UTC) + dt.timedelta(days=1)},
        )  # fmt: skip
    assert versions(store, ref.relpath) == [version]
    assert store.get(ref) == PDF


def test_overwrite_and_delete_leave_the_locked_version(store: S3BlobStore) -> None:
    ref = store.put(PDF, "pdf")
    (original,) = versions(store, ref.relpath)
    store.client.put_object(Bucket=store.bucket, Key=ref.relpath, Body=b"%PDF forged")
    with pytest.raises(StorageError, match=f"^file conservato modificato nell'archivio: {ref.relpath} non corrisponde"):
        store.get(ref)
    kept = store.client.get_object(Bucket=store.bucket, Key=ref.relpath, VersionId=original)
    assert kept["Body"].read() == PDF
    # Putting the document again restores it as the newest version, locked as before.
    assert store.put(PDF, "pdf") == ref
    assert store.get(ref) == PDF
    assert len(versions(store, ref.relpath)) == 3
    # So does putting it again after a change that keeps the length (no checksum to compare).
    flipped = bytearray(PDF)
    flipped[9] ^= 0x80
    store.client.put_object(Bucket=store.bucket, Key=ref.relpath, Body=bytes(flipped))
    with pytest.raises(StorageError, match="non corrisponde al suo SHA-256"):
        store.get(ref)
    store.put(PDF, "pdf")
    assert store.get(ref) == PDF
    assert len(versions(store, ref.relpath)) == 5
    # A plain delete only hides the object behind a delete marker.
    store.client.delete_object(Bucket=store.bucket, Key=ref.relpath)
    assert not store.exists(ref)
    with pytest.raises(StorageError, match=f"^file conservato mancante dall'archivio: {ref.relpath}$"):
        store.get(ref)
    kept = store.client.get_object(Bucket=store.bucket, Key=ref.relpath, VersionId=original)
    assert kept["Body"].read() == PDF


def test_verify_finds_flipped_missing_and_stray_objects(store: S3BlobStore, tmp_path: Path) -> None:
    act = load_act(EXAMPLE).act
    archive, _ = Archive.create(tmp_path / "archive")
    archive.blobs = store  # the SQLite catalog with documents in S3
    with archive.register_lock(act.registro, act.anno):
        numbered = act.with_numero(archive.next_number(act.registro, act.anno))
        archive.seal(numbered, source="source", docx=b"docx bytes", pdf=PDF, firmatario="Fabrizio Ventrice")
    report = verify_archive(archive, workers=2)
    assert report.ok, report.findings
    assert (report.files, report.bytes) == (3, len(PDF) + len(b"docx bytes") + len(b"source"))

    record = archive.catalog.all()[0]
    flipped = bytearray(PDF)
    flipped[100] ^= 0x01
    store.client.put_object(Bucket=store.bucket, Key=record.pdf.relpath, Body=bytes(flipped))
    store.client.delete_object(Bucket=store.bucket, Key=record.docx.relpath)
    store.client.put_object(Bucket=store.bucket, Key="blobs/stray.txt", Body=b"not atti's")
    report = verify_archive(archive, workers=2)
    found = {(f.kind, f.what) for f in report.findings}
    assert found == {
        ("changed", record.pdf.relpath),
        ("missing", record.docx.relpath),
        ("unexpected", "blobs/stray.txt"),
    }
    assert not report.ok
    with pytest.raises(StorageError, match="non corrisponde al suo SHA-256"):
        store.get(record.pdf)
    archive.close()


def test_missing_object(store: S3BlobStore) -> None:
    ref = BlobRef("ab" * 32, "pdf")
    assert not store.exists(ref)
    assert store.digest(ref.relpath) is None
    with pytest.raises(StorageError, match=f"^file conservato mancante dall'archivio: {ref.relpath}$"):
        store.get(ref)


def test_unreachable_server_is_one_clear_error(s3_env: dict[str, str]) -> None:
    (port,) = _free_ports(1)
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.raises(StorageError) as failed:
        S3BlobStore.from_env({**s3_env, "ATTI_S3_ENDPOINT": endpoint})
    assert failed.value.msg == (
        f"impossibile raggiungere il server S3 in {endpoint} (è in funzione? ATTI_S3_ENDPOINT è corretto?)"
    )


@pytest.mark.parametrize("which", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
def test_wrong_credentials_are_one_clear_error(s3_env: dict[str, str], which: str) -> None:
    with pytest.raises(StorageError) as failed:
        S3BlobStore.from_env({**s3_env, which: "wrong-" + s3_env[which]})
    assert failed.value.msg.startswith(
        f"il server S3 in {s3_env['ATTI_S3_ENDPOINT']} ha negato l'accesso al bucket '{s3_env['ATTI_S3_BUCKET']}': "
        "controlla AWS_ACCESS_KEY_ID e AWS_SECRET_ACCESS_KEY"
    )
    assert "\n" not in failed.value.msg


def test_missing_bucket_is_one_clear_error(s3_env: dict[str, str]) -> None:
    with pytest.raises(StorageError) as failed:
        S3BlobStore.from_env({**s3_env, "ATTI_S3_BUCKET": "atti-no-such-bucket"})
    assert failed.value.msg == (
        f"nessun bucket 'atti-no-such-bucket' presso il server S3 in {s3_env['ATTI_S3_ENDPOINT']}"
    )


def test_missing_configuration(s3_env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"^l'archiviazione S3 richiede ATTI_S3_ENDPOINT e ATTI_S3_BUCKET$"):
        S3BlobStore.from_env({k: v for k, v in s3_env.items() if k != "ATTI_S3_BUCKET"})
    with pytest.raises(ConfigError, match=r"^l'archiviazione S3 richiede AWS_ACCESS_KEY_ID e AWS_SECRET_ACCESS_KEY$"):
        S3BlobStore.from_env({k: v for k, v in s3_env.items() if k != "AWS_SECRET_ACCESS_KEY"})
    with pytest.raises(ConfigError, match=r"^impostazione 's3_retention_years': "):
        S3BlobStore.from_env({**s3_env, "ATTI_S3_RETENTION_YEARS": "0"})


def test_bucket_without_object_lock_is_refused_unless_allowed(
    s3_server: S3Server, caplog: pytest.LogCaptureFixture
) -> None:
    bucket = s3_server.new_bucket(locked=False)
    env = s3_server.env(bucket)
    unlocked = f"^il bucket '{bucket}' non ha Object Lock, quindi gli atti conservati potrebbero essere cancellati"
    with pytest.raises(StorageError, match=unlocked):
        S3BlobStore.from_env(env)
    with caplog.at_level(logging.WARNING, logger="atti.archive.storage.s3"):
        store = S3BlobStore.from_env({**env, "ATTI_S3_ALLOW_UNLOCKED": "true"})
    assert [r.getMessage() for r in caplog.records] == [
        f"il bucket '{bucket}' non ha Object Lock: i documenti conservati non sono protetti dalla cancellazione"
    ]
    ref = store.put(PDF, "pdf")
    assert store.get(ref) == PDF
    assert "ObjectLockMode" not in store.client.head_object(Bucket=bucket, Key=ref.relpath)


def test_the_bucket_named_in_a_configuration_file_holds_the_documents(
    s3_server: S3Server, s3_bucket: str, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """s3_endpoint and s3_bucket given only in --config's file, not as ATTI_* variables: a database
    archive opened with those settings keeps its documents in that bucket, not in local files."""
    from atti.archive.storage.files import FileBlobStore
    from atti.config import load_settings

    for name, value in s3_server.env(s3_bucket).items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)  # credentials are never settings
    config = tmp_path / "atti.toml"
    config.write_text(f'[atti]\ns3_endpoint = "{s3_server.endpoint}"\ns3_bucket = "{s3_bucket}"\n', encoding="utf-8")
    settings = load_settings({"archive": pg_url}, config_file=config)
    created, _ = Archive.create(pg_url, settings=settings)
    with created as arc:
        assert isinstance(arc.blobs, S3BlobStore) and arc.blobs.bucket == s3_bucket
    with Archive.open(pg_url) as arc:  # without the file's settings: local files
        assert isinstance(arc.blobs, FileBlobStore)
