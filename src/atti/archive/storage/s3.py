"""Blobs in S3-compatible object storage, locked against deletion with S3 Object Lock.

Every document is stored under the same name it has in a file archive (``blobs/sha256/ab/<sha256>.pdf``),
so the two stores list, verify and migrate alike. Each object is written with a retention in
**COMPLIANCE** mode: until its RetainUntilDate no one, not even the bucket's owner or an administrator
with every permission, can delete that version or shorten its retention. An overwrite through S3 only
adds a newer version on top; the locked one stays readable (``archive verify`` then reports the key
as changed, and the original can be restored from its version).

Retention. Italian rules fix no single period for the storage layer: the Linee guida AgID sulla
formazione, gestione e conservazione dei documenti informatici (under the CAD, D.Lgs. 82/2005, art.
71; applied since 2022) leave the periods to each body's *piano di conservazione* (DPR 445/2000, art.
68), and the model plan for municipalities (Direzione generale archivi, 2005) keeps the registers of
deliberazioni and determinazioni **permanently**; discarding any public record needs the
Soprintendenza archivistica's authorisation (D.Lgs. 42/2004, art. 21).
The lock is therefore a floor against deletion, never a deletion date: nothing is removed when it
ends. The default of 10 years (``s3_retention_years``) matches the longest ordinary terms a body must
be able to prove its acts for (prescription, art. 2946 c.c.; accounting records, art. 2220 c.c.);
a COMPLIANCE retention can later be extended, never shortened, so a body can raise it without
rewriting anything.

A bucket without Object Lock is refused: a deployment that silently lost the lock would keep
running, and nobody would notice until a signed act was deleted. A test or development setup can
accept one explicitly (``s3_allow_unlocked``), with one warning when the store opens.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import mimetypes
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as Unreachable

from atti.archive.records import BlobRef
from atti.errors import ConfigError, StorageError
from atti.i18n import _

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from atti.config import Settings

log = logging.getLogger(__name__)

DEFAULT_RETENTION_YEARS = 10
DEFAULT_REGION = "us-east-1"
_CHUNK = 1 << 20
# Answers that mean "this object is not there" (HEAD requests carry no body, hence the bare codes).
_ABSENT = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchVersion"})
_NO_BUCKET = frozenset({"NoSuchBucket"})
_REFUSED = frozenset(
    {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
)
_NO_LOCK = frozenset({"ObjectLockConfigurationNotFoundError", "NotImplemented", "InvalidRequest"})


def retain_until(now: dt.datetime, years: int) -> dt.datetime:
    """``years`` calendar years after ``now``; 29 February becomes 28 February in a common year."""
    try:
        return now.replace(year=now.year + years)
    except ValueError:
        return now.replace(year=now.year + years, day=28)


def _same_content(head: Mapping[str, Any], data: bytes, checksum: str) -> bool:
    """Whether the object ``head`` describes holds ``data``, judged without downloading it.

    By the SHA-256 the server keeps when it was sent one (every put of this store sends it), else
    by the ETag, which is the MD5 of a single-part upload on most servers. When neither tells,
    the object is taken as different: one needless version is better than a damaged document kept.
    """
    if head.get("ContentLength") != len(data):
        return False
    stored = head.get("ChecksumSHA256")
    if stored:
        return str(stored).split("-")[0] == checksum
    return str(head.get("ETag", "")).strip('"') == hashlib.md5(data, usedforsecurity=False).hexdigest()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3BlobStore:
    """Documents as objects of one bucket, content-addressed and write-once.

    ``client`` is a boto3 S3 client; :meth:`from_env` builds one from the environment. Opening checks
    that the bucket is reachable and whether it has Object Lock (see the module docstring).
    """

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        endpoint: str = "",
        retention_years: int = DEFAULT_RETENTION_YEARS,
        allow_unlocked: bool = False,
    ) -> None:
        if retention_years < 1:
            raise ConfigError(
                _("setting 's3_retention_years': must be at least 1, not {years}").format(years=retention_years)
            )
        self.client = client
        self.bucket = bucket
        self.endpoint = endpoint or client.meta.endpoint_url
        self.retention_years = retention_years
        self.locked = self._bucket_locked()
        if not self.locked:
            if not allow_unlocked:
                raise StorageError(
                    _("bucket '{bucket}' has no Object Lock, so stored acts could be deleted: create it with "
                      "Object Lock enabled (or set ATTI_S3_ALLOW_UNLOCKED=1 for a test setup)").format(bucket=bucket)
                )
            log.warning(
                _("bucket '{bucket}' has no Object Lock: stored documents are not protected from deletion").format(
                    bucket=bucket
                )
            )

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3BlobStore:
        """The store named by the environment: ATTI_S3_ENDPOINT, ATTI_S3_BUCKET, AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN, AWS_DEFAULT_REGION optional), and the settings
        ATTI_S3_RETENTION_YEARS and ATTI_S3_ALLOW_UNLOCKED (also from the configuration file)."""
        from atti.config import load_settings

        environ = os.environ if environ is None else environ
        return cls.from_settings(load_settings(environ=environ), environ)

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> S3BlobStore:
        """Endpoint, bucket and retention from ``settings``; credentials and region from ``environ``.

        Credentials are taken from the environment only, never from boto3's other sources: its
        search ends at the cloud metadata service, which hangs for seconds off the cloud.
        """
        environ = os.environ if environ is None else environ
        if not settings.s3_endpoint or not settings.s3_bucket:
            raise ConfigError(_("S3 storage needs ATTI_S3_ENDPOINT and ATTI_S3_BUCKET"))
        key, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
        if not key or not secret:
            raise ConfigError(_("S3 storage needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
        client = connect(
            settings.s3_endpoint,
            key,
            secret,
            region=environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            session_token=environ.get("AWS_SESSION_TOKEN") or None,
        )
        return cls(
            client,
            settings.s3_bucket,
            endpoint=settings.s3_endpoint,
            retention_years=settings.s3_retention_years,
            allow_unlocked=settings.s3_allow_unlocked,
        )

    def _bucket_locked(self) -> bool:
        """Whether the bucket has Object Lock; also proves endpoint, credentials and bucket usable."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise self._failure(exc, _("open"), opening=True) from None
        try:
            answer = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) in _NO_LOCK:
                return False
            raise self._failure(exc, _("open"), opening=True) from None
        except BotoCoreError as exc:
            raise self._failure(exc, _("open"), opening=True) from None
        return answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"

    # -- the BlobStore interface -------------------------------------------------------------

    def put(self, data: bytes, ext: str) -> BlobRef:
        digest = hashlib.sha256(data).digest()
        ref = BlobRef(digest.hex(), ext)
        checksum = base64.b64encode(digest).decode("ascii")
        current = self._head(ref.relpath)
        # Content addressing makes a second put of the same bytes a no-op, which also keeps the
        # first version's retention as it was. An object under this name with other bytes is
        # rewritten: the new version restores the content (the changed one stays, locked or not).
        if current is not None and _same_content(current, data, checksum):
            return ref
        extra: dict[str, Any] = {}
        if self.locked:
            until = retain_until(dt.datetime.now(dt.UTC), self.retention_years)
            extra = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}
        try:
            # The SHA-256 goes along with the bytes, so the server refuses a body damaged on the way.
            self.client.put_object(
                Bucket=self.bucket,
                Key=ref.relpath,
                Body=data,
                ChecksumSHA256=checksum,
                ContentType=mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream",
                **extra,
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._failure(exc, _("store {file}").format(file=ref.relpath)) from None
        return ref

    def get(self, ref: BlobRef) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=ref.relpath)
            data = answer["Body"].read()
        except ClientError as exc:
            if _code(exc) in _ABSENT:
                raise StorageError(_("stored file missing from the archive: {file}").format(file=ref.relpath)) from None
            raise self._failure(exc, _("read {file}").format(file=ref.relpath)) from None
        except BotoCoreError as exc:
            raise self._failure(exc, _("read {file}").format(file=ref.relpath)) from None
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise StorageError(
                _("stored file changed in the archive: {file} does not match its SHA-256").format(file=ref.relpath)
            )
        return data

    def exists(self, ref: BlobRef) -> bool:
        return self._head(ref.relpath) is not None

    def location(self, ref: BlobRef) -> str:
        return f"s3://{self.bucket}/{ref.relpath}"

    def entries(self) -> list[tuple[str, int]]:
        """Every object in the bucket (its latest version) as (name, size)."""
        found: list[tuple[str, int]] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                found += [(obj["Key"], obj["Size"]) for obj in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as exc:
            raise self._failure(exc, _("list")) from None
        return found

    def digest(self, name: str) -> str | None:
        """SHA-256 of the object ``name`` as stored, read in chunks; None if it cannot be read."""
        hasher = hashlib.sha256()
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
            for chunk in body.iter_chunks(_CHUNK):
                hasher.update(chunk)
        except ClientError as exc:
            if _code(exc) in _ABSENT:  # deleted since it was listed
                return None
            raise self._failure(exc, _("read {file}").format(file=name)) from None
        except BotoCoreError as exc:
            raise self._failure(exc, _("read {file}").format(file=name)) from None
        return hasher.hexdigest()

    # -- helpers -----------------------------------------------------------------------------

    def _head(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.head_object(Bucket=self.bucket, Key=name, ChecksumMode="ENABLED"))
        except ClientError as exc:
            if _code(exc) in _ABSENT:
                return None
            raise self._failure(exc, _("look up {file}").format(file=name)) from None
        except BotoCoreError as exc:
            raise self._failure(exc, _("look up {file}").format(file=name)) from None

    def _failure(self, exc: ClientError | BotoCoreError, action: str, *, opening: bool = False) -> StorageError:
        """One line a user can act on, for every way S3 can fail (``action``: what failed, in words;
        ``opening``: the bucket's first look-up, where "not found" means no bucket)."""
        where = _("the S3 server at {endpoint}").format(endpoint=self.endpoint)
        if isinstance(exc, Unreachable | HTTPClientError):
            return StorageError(
                _("cannot reach {where} (is it running, is ATTI_S3_ENDPOINT right?)").format(where=where)
            )
        failed = _("cannot {action} in bucket '{bucket}' on {where}: {reason}")
        if isinstance(exc, ClientError):
            code = _code(exc)
            if code in _REFUSED:
                return StorageError(
                    _("{where} refused access to bucket '{bucket}': check AWS_ACCESS_KEY_ID and "
                      "AWS_SECRET_ACCESS_KEY ({code})").format(where=where, bucket=self.bucket, code=code)
                )
            if code in _NO_BUCKET or (code == "404" and opening):
                return StorageError(_("no bucket '{bucket}' on {where}").format(bucket=self.bucket, where=where))
            message = exc.response.get("Error", {}).get("Message") or code
            return StorageError(failed.format(action=action, bucket=self.bucket, where=where, reason=message))
        return StorageError(failed.format(action=action, bucket=self.bucket, where=where, reason=exc))


def connect(
    endpoint: str, key: str, secret: str, *, region: str = DEFAULT_REGION, session_token: str | None = None
) -> S3Client:
    """A boto3 S3 client for ``endpoint`` with explicit credentials, failing fast when unreachable."""
    config = Config(
        s3={"addressing_style": "path"},  # most S3-compatible servers have no per-bucket host names
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=16,  # archive verify hashes with up to 8 threads
        # atti sends and checks SHA-256 itself; the SDK's default CRC32 headers are not understood everywhere.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=session_token, region_name=region
    )
    try:
        return session.client("s3", endpoint_url=endpoint, config=config)
    except ValueError as exc:  # botocore's "Invalid endpoint"
        raise ConfigError(_("setting 's3_endpoint': {reason}").format(reason=exc)) from None
