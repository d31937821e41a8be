"""A throwaway PostgreSQL cluster for the tests: Debian's server, started once per session.

PostgreSQL refuses to run as root (CI runs as root), so as root the cluster belongs to the
``postgres`` user and its commands run through ``runuser``. It listens on loopback only, on a free
port, with its unix socket in its own temporary directory, and trusts local connections: nothing
outside the test run can reach it. Each test gets a fresh, empty database (a copy of an empty
template, which is faster than building one from template0).

Each database archive keeps its local state in its own directory without ATTI_STATE_DIR: the
session points XDG_STATE_HOME into the cluster's temporary directory, and the default state
directory is named after the database (atti.archive.storage.location.state_dir).

``archive_location`` (and ``archive_location_module``) parametrise a test over both backends: a
directory (SQLite + files), or a fresh database with its documents in a fresh S3 bucket (Object
Lock) of the tests' SeaweedFS server (tests/s3server.py). A test marked ``sqlite_only`` (it opens
the SQLite file or the blob files themselves) runs with the directory only.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from atti.archive import Archive

from .tiers import refuse_in_fast_tier

TEMPLATE = "atti_empty"
_counter = itertools.count()


def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PgServer:
    port: int
    directory: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, *, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(sql.encode())

    def new_database(self) -> str:
        """A fresh empty database; returns its URL."""
        name = f"atti_test_{os.getpid()}_{next(_counter)}"
        self.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)


def start_server() -> tuple[PgServer, list[str]]:
    """Start a cluster; returns it and the command that stops it."""
    bindir = _bindir()
    if bindir is None:
        pytest.fail("PostgreSQL is not installed: run scripts/setup.sh --test (Debian package postgresql)")
    directory = Path(tempfile.mkdtemp(prefix="atti-pg-"))
    prefix: list[str] = []
    if os.getuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = directory / "data"
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--locale=C.UTF-8", "--no-sync"],
        check=True, capture_output=True,
    )
    # The port is free when asked for, but another process (another xdist worker starting its own
    # cluster) may take it before the server binds it: then try another one.
    for attempt in range(5):
        port = _free_port()
        # fsync off: a crashed test cluster is thrown away anyway.
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off -c synchronous_commit=off" \
                  " -c full_page_writes=off -c max_connections=200"
        started = subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-o", options, "-w",
             "-t", "120", "start"],
            capture_output=True,
        )
        if started.returncode == 0:
            break
        if attempt == 4:
            log = (directory / "log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr.decode(errors='replace')}\n{log}")
    server = PgServer(port, directory)
    server.execute(f"CREATE DATABASE {TEMPLATE} TEMPLATE template0")
    # archive verify checks the indexes with amcheck where a superuser installed it (and says
    # they went unchecked elsewhere, which test_catalog_faults sees by dropping it).
    server.execute("CREATE EXTENSION amcheck", database=TEMPLATE)
    return server, [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[PgServer]:
    """The session's cluster (one per xdist worker: each on its own free port and directory)."""
    refuse_in_fast_tier(request, "postgresql", "PostgreSQL server")
    server, stop = start_server()
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_STATE_HOME", str(server.directory / "state"))
    patch.delenv("ATTI_STATE_DIR", raising=False)
    try:
        yield server
    finally:
        patch.undo()
        subprocess.run(stop, check=False, capture_output=True)
        shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server: PgServer) -> str:
    """The URL of a fresh, empty database on the session's cluster (documents: files in its state
    directory, as long as no S3 bucket is configured)."""
    return pg_server.new_database()


BACKENDS = ("sqlite", "postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        params = getattr(item, "callspec", None)
        backend = params.params.get("archive_location", params.params.get("archive_location_module")) \
            if params else None
        (drop if backend == "postgresql" and item.get_closest_marker("sqlite_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=BACKENDS)
def archive_location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's archive goes: a directory, or a database plus an S3 bucket (see the module docstring)."""
    if request.param == "sqlite":
        return tmp_path / "archive"
    request.getfixturevalue("s3_env")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="module", params=BACKENDS)
def archive_location_module(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path | str]:
    """``archive_location`` for an archive a whole module shares."""
    if request.param == "sqlite":
        yield tmp_path_factory.mktemp("archive") / "archive"
        return
    pg: PgServer = request.getfixturevalue("pg_server")
    s3 = request.getfixturevalue("s3_server")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in s3.env(s3.new_bucket()).items():
            patch.setenv(name, value)
        yield pg.new_database()


def raw(arc: Archive, sql: str, *params: object) -> None:
    """Run ``sql`` on the archive's catalog behind atti's back (a tamperer's edit), on either backend."""
    if isinstance(arc.location, str):  # a PostgreSQL archive: the same SQL, its placeholders
        import psycopg

        with psycopg.connect(arc.location, autocommit=True) as pg:
            pg.execute(sql.replace("?", "%s").encode(), params)
        return
    db = sqlite3.connect(arc.state_dir / "atti.sqlite")
    db.execute(sql, params)
    db.commit()
    db.close()
