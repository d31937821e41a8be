"""The test tiers: what a test needs beyond Python, as pytest markers, and the fast tier without them.

A test needs one of four things that are slow to start or not on every machine:

- ``libreoffice``: it runs LibreOffice (renders, converts, publishes through the real pipeline);
- ``postgresql``: the tests' PostgreSQL cluster (tests/pgserver.py);
- ``s3``: the tests' SeaweedFS S3 server (tests/s3server.py);
- ``browser``: Chromium, driven by Playwright (tests/test_web_e2e.py).

Most markers are derived at collection (:func:`derive_markers`): a test whose fixtures include
``pg_server`` gets ``postgresql``, ``s3_server`` gets ``s3``, the ``libreoffice`` fixture (which
a fixture that renders or publishes requests) gets ``libreoffice``, and a test parametrised on the
PostgreSQL backend (``archive_location``) gets ``postgresql`` and ``s3``. What cannot be derived
(a test body that runs LibreOffice itself, a browser) is marked in the test file.

``pytest --fast`` (``bash scripts/test.sh --fast``) runs the tests with none of the four. There,
LibreOffice is made unavailable (ATTI_SOFFICE names a missing file) and the server and browser
fixtures refuse to start, so a test that needs one of them and lacks its marker fails, saying so.
"""

from __future__ import annotations

import pytest

TIERS = ("libreoffice", "postgresql", "s3", "browser")

# The fixtures whose presence in a test's fixture closure gives the test a marker.
FIXTURE_MARKERS = {"libreoffice": "libreoffice", "pg_server": "postgresql", "s3_server": "s3"}
# The fixtures that parametrise a test over the archive backends (tests/pgserver.py).
BACKEND_PARAMS = ("archive_location", "archive_location_module")

# In the fast tier: soffice that does not exist, named so that the error says what is wrong.
NO_SOFFICE = "/nonexistent/the-fast-tier-runs-no-LibreOffice--mark-the-test-libreoffice/soffice"


def fast(config: pytest.Config) -> bool:
    return bool(config.getoption("fast", False))


def derive_markers(item: pytest.Item) -> None:
    names = set(getattr(item, "fixturenames", ()))
    for fixture, marker in FIXTURE_MARKERS.items():
        if fixture in names:
            item.add_marker(marker)
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgresql" in (callspec.params.get(name) for name in BACKEND_PARAMS):
        # The PostgreSQL backend keeps its documents in a bucket of the S3 server.
        item.add_marker("postgresql")
        item.add_marker("s3")


def needs(item: pytest.Item) -> list[str]:
    return [tier for tier in TIERS if item.get_closest_marker(tier)]


def refuse_in_fast_tier(request: pytest.FixtureRequest, tier: str, what: str) -> None:
    """Fail a fixture that starts ``what`` in the fast tier: the test using it lacks the marker."""
    if fast(request.config):
        pytest.fail(
            f"the fast tier starts no {what}: the test using fixture '{request.fixturename}' needs "
            f"@pytest.mark.{tier} (see tests/tiers.py)",
            pytrace=False,
        )
