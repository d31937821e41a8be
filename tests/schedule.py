"""The order of the test files: the costliest first.

scripts/test.sh runs the suite on every core with pytest-xdist, one test file at a time per
worker (``--dist loadfile``: the tests of a file share costly module fixtures, such as archives
published through LibreOffice), handing the files out in the order they are collected
(``--no-loadscope-reorder``; xdist's own order, by the number of tests, sent the two-test
browser file last). Starting with the costliest files leaves only cheap ones for the end, so no
worker idles while another finishes a long file.

The cost is a guess from the markers (tests/tiers.py); the order inside a file is left alone.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

# Seconds, roughly, that a test costs beyond the plain one, by what it needs.
COSTS = {"libreoffice": 0.3, "postgresql": 1.0, "s3": 0.3, "browser": 10.0}
PLAIN = 0.05


def cost(item: pytest.Item) -> float:
    return PLAIN + sum(weight for tier, weight in COSTS.items() if item.get_closest_marker(tier))


@pytest.hookimpl(trylast=True)  # after the markers are derived and the fixtures have ordered each file
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    files: defaultdict[str, float] = defaultdict(float)
    for item in items:
        files[item.nodeid.split("::", 1)[0]] += cost(item)
    # A stable sort: the same order in every worker, and each file's tests in the order they had.
    items.sort(key=lambda item: -files[item.nodeid.split("::", 1)[0]])
