"""Shared fixtures: the reference act, the seed text it was written from, a foreign PKI, the
``atti`` command line run in-process, a clean environment, and the test tiers (tests/tiers.py)."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import hypothesis
import hypothesis.configuration
import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from atti.cli import main

from .tiers import NO_SOFFICE, derive_markers, fast, needs, refuse_in_fast_tier

# Live servers the tests start themselves: a throwaway PostgreSQL cluster (pg_server, pg_url)
# and a SeaweedFS S3 server with Object Lock (s3_server, s3_bucket, s3_env); the order in which
# the test files run (costliest first, for pytest-xdist).
pytest_plugins = ["tests.pgserver", "tests.s3server", "tests.schedule"]

# No test may depend on how fast the machine is: no hypothesis deadline, anywhere.
hypothesis.settings.register_profile("atti", deadline=None)
hypothesis.settings.load_profile("atti")

ROOT = Path(__file__).resolve().parent.parent


def load_script(path: Path) -> ModuleType:
    """A script of scripts/ (no package) imported as a module, for the tests that check it."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module
# Hypothesis keeps the examples that failed in .hypothesis, to try them first next time: in the
# project, not in the temporary directory the tests run in (clean_environment).
hypothesis.configuration.set_hypothesis_home_dir(ROOT / ".hypothesis")
EXAMPLE = ROOT / "examples" / "determinazione-DO-129-2026.yaml"
# The public act the project was created from, as text extracted from its PDF.
SEED = ROOT / "tests" / "data" / "seed" / "000_79e5a06dcd4514e5.txt"
PKI_DIR = ROOT / "tests" / "pki"


def process_alive(pid: int) -> bool:
    """Running or sleeping; a killed process may linger as a zombie until some parent reaps it.
    A process that just got SIGKILL may take a moment to go, more so on a busy machine: it is
    alive only if it is still there after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in {"Z", "X"}:
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.02)


# -- tiers ---------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast", action="store_true", default=False,
        help="atti: only the tests that need no LibreOffice, PostgreSQL, S3 server or browser; LibreOffice "
        "and those servers are made unavailable, so a test that needs one and lacks its marker fails",
    )


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        derive_markers(item)
    if fast(config):
        needing = [item for item in items if needs(item)]
        if needing:
            config.hook.pytest_deselected(items=needing)
            items[:] = [item for item in items if not needs(item)]


@pytest.fixture(scope="session")
def libreoffice(request: pytest.FixtureRequest) -> str:
    """LibreOffice's soffice. A fixture that runs LibreOffice requests this one, which gives every
    test using it the ``libreoffice`` marker (tests/tiers.py)."""
    from atti.errors import ConverterMissing
    from atti.templates.convert import find_soffice

    refuse_in_fast_tier(request, "libreoffice", "LibreOffice")
    try:
        return find_soffice()
    except ConverterMissing as exc:
        pytest.fail(f"{exc} (bash scripts/setup.sh installs it)", pytrace=False)


# -- a clean environment -------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def clean_environment(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[None]:
    """Nothing of the developer's environment reaches the tests: no ATTI_* setting but
    ATTI_DEVELOPMENT=1 (the same for everyone), no AWS_* variable (boto3 reads endpoints,
    profiles and credentials from them), no state directory under the developer's home, no
    ./atti.toml or ./archive of the directory pytest runs in (the tests run in an empty temporary
    one).

    Session-scoped and autouse, so it runs before every other fixture: the fixtures that set
    such variables on purpose (the S3 ones, the PostgreSQL backend of archive_location_module)
    set them after it, each with its own monkeypatch, and this fixture never undoes theirs."""
    patch = pytest.MonkeyPatch()
    for name in list(os.environ):
        if name.startswith(("ATTI_", "AWS_")):
            patch.delenv(name)
    # Publishing without a key signs with the development CA only in development mode: the suite
    # runs in it, and a test of publishing outside it removes the variable (env={"ATTI_DEVELOPMENT": None}).
    patch.setenv("ATTI_DEVELOPMENT", "1")
    patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))
    patch.chdir(tmp_path_factory.mktemp("cwd"))
    if fast(pytestconfig):
        patch.setenv("ATTI_SOFFICE", NO_SOFFICE)
    yield
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def every_published_act_proves() -> Iterator[None]:
    """Issue 16: `atti proof ID` passes for every act the suite publishes, numbered in advance or
    at publication. Each publication, through the command line or the library, is followed by
    the proof that command makes (against the YAML the signed PDF carries, else the archived
    source), and a proof that fails fails the test that published the act."""
    from atti import pipeline

    publish_with = pipeline._publish_with

    def proved(archive: Any, loaded: Any, settings: Any, *args: Any, **kwargs: Any) -> Any:
        result = publish_with(archive, loaded, settings, *args, **kwargs)
        act_id = result.record.id
        proof = pipeline.prove(act_id, settings, act=None if settings.embed_source else act_id, archive=archive)
        from atti.templates.proof import describe

        assert proof.proof.passed, f"atti proof {act_id} fails: {describe(proof.proof)}"
        return result

    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "_publish_with", proved)
    yield
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """argon2id with atti's parameters (64 MiB, 3 passes) makes each sign-in slow on purpose; the
    suite signs in hundreds of times and checks who may do what, not how hard a hash is to break.
    The same algorithm with the least memory and time it takes: the stored hash is still
    "$argon2id$...", a wrong password still fails. bench/web.py measures the real cost."""
    from argon2 import PasswordHasher

    from atti.web import users

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    patch = pytest.MonkeyPatch()
    patch.setattr(users, "_HASHER", cheap)
    patch.setattr(users, "_DUMMY_HASH", cheap.hash("atti: no such user"))
    yield
    patch.undo()


# -- the command line ----------------------------------------------------------------------------


def run_atti(*args: object, env: Mapping[str, str | None] | None = None, input: str | None = None) -> Result:
    """Run the ``atti`` command line in this process, with ``args`` made strings, ``env`` added to
    the environment (a None value removes a variable) and ``input`` on its standard input.
    stdout and stderr are kept apart (result.stdout, result.stderr; result.output has both). An
    exception atti does not turn into an exit status is raised here: a bug is a traceback."""
    runner = CliRunner(env=dict(env) if env else None)
    return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


class Atti(Protocol):
    def __call__(
        self, *args: object, env: Mapping[str, str | None] | None = None, input: str | None = None
    ) -> Result: ...


@pytest.fixture()
def atti() -> Atti:
    """``atti(*args, env=None, input=None) -> Result``: see :func:`run_atti` (which module-scoped
    fixtures call directly)."""
    return run_atti


# -- the reference act and PKI -------------------------------------------------------------------


@pytest.fixture()
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@dataclass(frozen=True)
class ForeignPKI:
    """The certomancer PKI of tests/pki/certomancer.yml, with keys made for this test run."""

    arch: Any
    directory: Path

    @property
    def root_pem(self) -> Path:
        from certomancer.registry import CertLabel

        path = self.directory / "root.pem"
        if not path.exists():
            der = self.arch.get_cert(CertLabel("root")).dump()
            cert = x509.load_der_x509_certificate(der)
            path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    def pkcs12(self, label: str, passphrase: bytes) -> Path:
        from certomancer.registry import CertLabel

        path = self.directory / f"{label}.p12"
        path.write_bytes(self.arch.package_pkcs12(CertLabel(label), password=passphrase))
        return path


@pytest.fixture(scope="session")
def foreign_pki(tmp_path_factory: pytest.TempPathFactory) -> ForeignPKI:
    from certomancer.registry import ArchLabel, CertomancerConfig

    from .livepki import write_keys

    directory = tmp_path_factory.mktemp("foreign-pki")
    # EC keys: generated in milliseconds, so no private key needs to be committed.
    write_keys(directory)
    config = CertomancerConfig.from_file(str(PKI_DIR / "certomancer.yml"), key_search_dir=str(directory))
    return ForeignPKI(config.get_pki_arch(ArchLabel("atti-test")), directory)


@pytest.fixture(scope="session")
def foreign_p12(foreign_pki: ForeignPKI) -> tuple[Path, bytes, Path]:
    """A PKCS#12 for the example act's firmatario, from a CA atti did not make."""
    passphrase = b"segreto-di-prova"
    return foreign_pki.pkcs12("ventrice", passphrase), passphrase, foreign_pki.root_pem
